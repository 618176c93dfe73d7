use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;
use yiwang_app::{App, AppConfig, ManualClock};
use yiwang_store::SqliteStore;

pub struct Api {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

pub const PHONE: &str = "13812345678";

impl Api {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("yiwang.sqlite"), yiwang_core::kinds()).unwrap());
        // Monday 2026-11-16 09:00 in China.
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 16, 1, 0, 0).unwrap()));
        let app = Arc::new(App::new(store, clock.clone(), AppConfig::default()).unwrap());
        app.setup_district(&yiwang_app::demo_files(), Some(yiwang_app::DEMO_PASSWORD)).unwrap();
        Api { app, clock, _dir: dir }
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

pub fn code_of(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<none>")
}
