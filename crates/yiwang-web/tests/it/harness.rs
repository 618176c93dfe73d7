use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tower::ServiceExt;
use yiwang_app::{App, AppConfig, Clock, ManualClock};
use yiwang_store::{PgStore, SqliteStore, Store};

/// Which store an `Api` runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// A fresh SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server named by `YIWANG_TEST_DATABASE_URL`,
    /// dropped when the test ends. Without the variable the test fails, never skips.
    Postgres,
}

/// Generates, for each `async fn NAME(backend: Backend)` named, a module `NAME` with
/// the tests `sqlite` and `postgres`: the same test on each store
/// (`cargo test postgres` runs the PostgreSQL ones).
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name($crate::harness::Backend::Postgres).await
            }
        }
    )*};
}

pub struct Api {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    /// The SQLite file's directory or the PostgreSQL database, held to the end of the
    /// test. Declared after `app`, so the store is closed before either goes.
    _dir: Option<tempfile::TempDir>,
    _db: Option<TestDb>,
}

pub const PHONE: &str = "13812345678";

impl Api {
    /// On SQLite (the tests that exercise no store-specific path: pages, exports).
    pub fn new() -> Self {
        Api::on(Backend::Sqlite)
    }

    /// The demo district on a fresh store, on a clock at Monday 2026-11-16 09:00 in
    /// China. Built on a thread of its own: the PostgreSQL client blocks, and must not
    /// run on the test's async runtime.
    pub fn on(backend: Backend) -> Self {
        // The stories step the clock by hours between one user's actions: sessions
        // here end only at their absolute end (the idle end has its own test).
        let mut config = AppConfig::default();
        config.login.idle_minutes = 24 * 60;
        // The demo district's published logins (the first-login change has its test).
        config.demo = true;
        Api::with_config(backend, config)
    }

    /// As `on`, with `config`.
    pub fn with_config(backend: Backend, config: AppConfig) -> Self {
        std::thread::spawn(move || {
            let (store, dir, db): (Arc<dyn Store>, _, _) = match backend {
                Backend::Sqlite => {
                    let dir = tempfile::tempdir().unwrap();
                    (
                        Arc::new(
                            SqliteStore::sealed(
                                &dir.path().join("yiwang.sqlite"),
                                yiwang_core::kinds(),
                                personal_keys(),
                            )
                            .unwrap(),
                        ),
                        Some(dir),
                        None,
                    )
                }
                Backend::Postgres => {
                    let db = TestDb::new();
                    (Arc::new(PgStore::sealed(&db.url, yiwang_core::kinds(), personal_keys()).unwrap()), None, Some(db))
                }
            };
            let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 16, 1, 0, 0).unwrap()));
            let app = Arc::new(App::new(store, clock.clone(), config).unwrap());
            app.setup_district(&yiwang_app::demo_files(), Some(yiwang_app::DEMO_PASSWORD)).unwrap();
            Api { app, clock, _dir: dir, _db: db }
        })
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
    }

    /// Runs `f` on the blocking pool, as the web layer runs use cases: a test calls the
    /// app directly (the scheduler's tick, a key issued by an administrator) only
    /// through this, since the PostgreSQL store blocks.
    pub async fn blocking<T: Send + 'static>(&self, f: impl FnOnce(&App) -> T + Send + 'static) -> T {
        let app = self.app.clone();
        tokio::task::spawn_blocking(move || f(&app)).await.unwrap()
    }

    /// Runs `sql` on the database behind the app's back, as a hostile database
    /// administrator would (one statement, written for both stores).
    pub async fn tamper(&self, sql: &str) {
        let sql = sql.to_owned();
        let sqlite = self._dir.as_ref().map(|d| d.path().join("yiwang.sqlite"));
        let url = self._db.as_ref().map(|d| d.url.clone());
        tokio::task::spawn_blocking(move || match (sqlite, url) {
            (Some(path), _) => {
                let c = rusqlite::Connection::open(path).unwrap();
                c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
                c.execute_batch(&sql).unwrap();
            }
            (None, Some(url)) => {
                let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                c.batch_execute(&sql).unwrap();
            }
            _ => unreachable!("a store is either"),
        })
        .await
        .unwrap()
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        self.raw(req).await
    }

    pub async fn raw(&self, req: Request<Body>) -> (StatusCode, Value) {
        let resp = yiwang_web::router(self.app.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, v)
    }

    /// The first `n` enterprises of the demo register (`data/demo/enterprises.json`),
    /// imported by the system: the register the supervision tests work on. The first
    /// is 云溪区好味小厨餐饮店 (`91350100M000100Y43`), the demo applicant's restaurant.
    pub async fn register(&self, n: usize) -> usize {
        let today = yiwang_core::calendar::civil_date(self.clock.now());
        let (all, _) = yiwang_app::demo_register(today);
        let all: Vec<_> = all.into_iter().map(|(_, e)| e).collect();
        let text = serde_json::to_string(&all[..n.min(all.len())]).unwrap();
        self.blocking(move |app| app.import_register(&yiwang_core::org::Actor::System, &text).unwrap().registered).await
    }

    /// Logs an applicant in with their phone, as the portal does: a code asked for,
    /// sent through the outbox to a real HTTP SMS gateway (`notify::http_sink`), read
    /// from the SMS and given back. Sends every notice due, whatever its case.
    pub async fn applicant_login(&self, phone: &str) -> String {
        use yiwang_app::notify::{HttpSmsConfig, NotifyConfig};
        let (url, sms) = crate::notify::http_sink(vec![]);
        let config = NotifyConfig {
            sms: Some(HttpSmsConfig {
                url,
                body: r#"{"mobile": "{phone}", "content": "{text}"}"#.into(),
                content_type: "application/json".into(),
                authorization: None,
            }),
            email: None,
            webhooks: Default::default(),
        };
        let senders = Arc::new(config.senders());
        let (s, sent) = self.call("POST", "/api/v1/applicant/code", None, Some(json!({"phone": phone}))).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{sent}");
        self.blocking(move |app| app.send_notices(&senders, 1000).unwrap()).await;
        let texts = sms.lock().unwrap().clone();
        let text = texts
            .iter()
            .rev()
            .map(|b| serde_json::from_str::<Value>(b).unwrap())
            .find(|t| t["mobile"] == phone)
            .unwrap_or_else(|| panic!("no SMS to {phone}: {texts:?}"))["content"]
            .as_str()
            .unwrap()
            .to_owned();
        let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
        let body = json!({"phone": phone, "nonce": sent["nonce"], "code": code});
        let (s, v) = self.call("POST", "/api/v1/applicant/login", None, Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_owned()
    }

    pub async fn login(&self, user: &str) -> String {
        let (s, v) = self
            .call("POST", "/api/v1/login", None, Some(json!({"username": user, "password": yiwang_app::DEMO_PASSWORD})))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_owned()
    }

    /// A citizen's web appeal about the street lights on 湖畔路 (at the road's point in
    /// the demo gazetteer, which lies in grid gd-wh-2-2); returns (case id, tracking code).
    pub async fn citizen_appeal(&self) -> (String, String) {
        let (s, v) = self
            .call(
                "POST",
                "/api/v1/appeals",
                None,
                Some(json!({
                    "channel": "web",
                    "appeal_type": "complaint",
                    "title": "路灯不亮",
                    "text": "湖畔路望湖公园北门以西路灯一周不亮，晚上很黑。",
                    "location": {"point": {"lon": 116.225087, "lat": 39.876892}, "address": "望湖街道湖畔路"},
                    "citizen": {"name": "张三", "phone": PHONE},
                    "attachments": ["uploads/photo-1.jpg"]
                })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        (v["case_id"].as_str().unwrap().to_owned(), v["tracking_code"].as_str().unwrap().to_owned())
    }

    pub async fn act(&self, token: &str, id: &str, action: Value) -> (StatusCode, Value) {
        self.call("POST", &format!("/api/v1/appeals/{id}/actions"), Some(token), Some(action)).await
    }

    pub async fn act_ok(&self, token: &str, id: &str, action: Value) -> Value {
        let (s, v) = self.act(token, id, action.clone()).await;
        assert_eq!(s, StatusCode::OK, "{action} → {v}");
        v
    }

    pub fn step(&self, d: chrono::Duration) {
        self.clock.advance(d);
    }
}

/// A throwaway PostgreSQL database (as in yiwang-store's tests), dropped with
/// `WITH (FORCE)` when the test ends, pass or fail.
struct TestDb {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDb {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin_url = std::env::var("YIWANG_TEST_DATABASE_URL").expect(
            "set YIWANG_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) or run ./scripts/test, \
             which starts a throwaway PostgreSQL",
        );
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("yiwang_web_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut admin =
            postgres::Client::connect(&admin_url, postgres::NoTls).expect("connect to YIWANG_TEST_DATABASE_URL");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let url = with_dbname(&admin_url, &name);
        TestDb { admin_url, name, url }
    }
}

impl Drop for TestDb {
    /// On a thread of its own: the test's async runtime may be the one dropping it.
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut admin) = postgres::Client::connect(&admin_url, postgres::NoTls) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// The same server with another database: a URL's path, or a `dbname=` setting.
fn with_dbname(url: &str, name: &str) -> String {
    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        return format!("{url} dbname={name}");
    }
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").unwrap() + 3;
    let host_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

pub fn code_of(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}

/// The tests' key for personal data: every test runs with it sealed at rest, as an
/// installation does.
pub fn personal_keys() -> yiwang_store::PersonalKeys {
    yiwang_store::PersonalKeys::new(vec![("test".into(), [9; 32])], "test").unwrap()
}
