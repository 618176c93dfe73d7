//! 实时推送 by webhook, to a real HTTP receiver on 127.0.0.1:0 (axum) that checks
//! each delivery's signature with its own HMAC code written from the Standard
//! Webhooks specification, and once with the specification's own Python library
//! (`standardwebhooks` from PyPI, `tests/webhooks/verify.py`). The receiver's address
//! is allowed by configuration (`[webhooks] allow_networks`), as an intranet's would
//! be; the clock is stepped by hand through the retry schedule.

use crate::harness::{Api, Backend, PHONE};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use yiwang_app::webhook::{WebhookConfig, WebhookRun};
use yiwang_app::{AppConfig, Clock};

/// One delivery as the receiver got it.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// An answer to give: the status and a `Retry-After`.
type Answer = (u16, Option<&'static str>);

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    /// The answers to give, in order (status, Retry-After); 200 once used up.
    answers: Arc<Mutex<VecDeque<Answer>>>,
    url: String,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let r =
            Receiver { url: format!("http://{}/yiwang/events", listener.local_addr().unwrap()), ..Default::default() };
        let app = axum::Router::new().route("/yiwang/events", axum::routing::post(receive)).with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        r
    }

    fn answer(&self, answers: &[Answer]) {
        self.answers.lock().unwrap().extend(answers.iter().copied());
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// The deliveries answered 2xx: what the receiving system accepted.
    fn accepted(&self) -> Vec<Got> {
        self.got()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> impl IntoResponse {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (status, retry_after) = r.answers.lock().unwrap().pop_front().unwrap_or((200, None));
    if status < 300 {
        r.got.lock().unwrap().push(Got {
            id: h("webhook-id"),
            timestamp: h("webhook-timestamp"),
            signature: h("webhook-signature"),
            body,
        });
    }
    let mut resp = StatusCode::from_u16(status).unwrap().into_response();
    if let Some(a) = retry_after {
        resp.headers_mut().insert("retry-after", a.parse().unwrap());
    }
    resp
}

/// The receiver's check, from the specification's text: the secret's bytes are the
/// base64 after `whsec_`; the signed content `{id}.{timestamp}.{body}`; the header a
/// space-separated list of `v1,<base64>`, any of which may match.
fn verified(secret: &str, g: &Got) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", g.id, g.timestamp, g.body).as_bytes());
    let expected = format!("v1,{}", b64.encode(mac.finalize().into_bytes()));
    g.signature.split(' ').any(|s| s == expected)
}

/// The same check by the Standard Webhooks project's Python library.
fn verified_by_the_reference_library(secret: &str, g: &Got) -> bool {
    use std::io::Write;
    let python = std::env::var("YIWANG_TEST_WEBHOOK_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/webhooks/verify.py");
    let mut child = std::process::Command::new(&python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} {script}: {e} (./scripts/test installs standardwebhooks)"));
    let input =
        json!({"secret": secret, "id": g.id, "timestamp": g.timestamp, "signature": g.signature, "body": g.body});
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        said == "verified" || said == "refused",
        "{python} {script} said {said:?} (is standardwebhooks installed?)"
    );
    said == "verified"
}

/// The demo district with the loopback receiver's network allowed.
fn api_with_loopback(backend: Backend) -> Api {
    let mut config = AppConfig::default();
    config.login.idle_minutes = 24 * 60;
    config.demo = true;
    config.webhooks = WebhookConfig { allow_networks: vec!["127.0.0.0/8".parse().unwrap()] };
    Api::with_config(backend, config)
}

async fn subscribe(api: &Api, token: &str, body: Value) -> (u32, String) {
    let (s, v) = api.call("POST", "/api/v1/webhooks", Some(token), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (v["id"].as_u64().unwrap() as u32, v["secret"].as_str().unwrap().to_owned())
}

async fn deliver(api: &Api) -> WebhookRun {
    api.blocking(|app| app.deliver_webhooks(100).unwrap()).await
}

async fn a_unit_receives_signed_events_of_the_cases_it_may_see(backend: Backend) {
    let api = api_with_loopback(backend);
    let rx = Receiver::start().await;
    let other = Receiver::start().await;
    let centre = api.login("dispatcher1").await;
    let (_, secret) = subscribe(&api, &centre, json!({"url": rx.url, "unit": "zjw"})).await;
    subscribe(&api, &centre, json!({"url": other.url, "unit": "jw", "events": ["case.created", "case.routed"]})).await;

    // Filed: no department may see it yet. Dispatched to 住建委: it is routed there.
    let (id, _) = api.citizen_appeal().await;
    api.act_ok(&centre, &id, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    let zjw = api.login("zjw-handler").await;
    api.act_ok(&zjw, &id, json!({"action": "sign_for"})).await;
    api.act_ok(&zjw, &id, json!({"action": "reply", "outcome": "resolved", "text": "已修复路灯"})).await;
    assert_eq!(deliver(&api).await, WebhookRun { delivered: 3, ..Default::default() });

    let got = rx.accepted();
    let types: Vec<_> = got.iter().map(|g| g.json()["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(types, ["case.routed", "case.status_changed", "case.replied"]);
    for g in &got {
        assert!(verified(&secret, g), "signature of {g:?}");
        assert!(!verified("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", g), "another secret does not verify");
        assert!(g.id.starts_with("msg_"), "{}", g.id);
        let ts: i64 = g.timestamp.parse().unwrap();
        assert_eq!(ts, api.clock.now().timestamp());
        // No personal data: neither the citizen's phone nor their name.
        assert!(!g.body.contains(PHONE) && !g.body.contains("张三"), "{}", g.body);
    }
    assert!(verified_by_the_reference_library(&secret, &got[0]));
    let first = got[0].json();
    assert_eq!(first["data"]["case_id"], id.as_str());
    assert_eq!(first["data"]["kind"], "appeal");
    assert_eq!(first["data"]["unit"], "zjw");
    assert_eq!(first["data"]["category"], "cxjs-02");
    assert!(first["data"]["events"].as_array().unwrap().contains(&json!("dispatched")), "{first}");
    assert!(first["timestamp"].as_str().unwrap().starts_with("2026-11-16T"));
    let ids: std::collections::HashSet<_> = got.iter().map(|g| g.id.clone()).collect();
    assert_eq!(ids.len(), 3, "each event its own id");
    // 教委 sees none of it.
    assert!(other.got().is_empty());
    // Delivered is done: nothing is sent twice.
    assert_eq!(deliver(&api).await, WebhookRun::default());
    assert_eq!(rx.got().len(), 3);
}

async fn a_receiver_that_comes_back_gets_the_event_after_the_schedules_pause(backend: Backend) {
    let api = api_with_loopback(backend);
    let rx = Receiver::start().await;
    let centre = api.login("dispatcher1").await;
    let (_, secret) = subscribe(&api, &centre, json!({"url": rx.url, "unit": "zjw"})).await;
    rx.answer(&[(503, None)]);
    let (id, _) = api.citizen_appeal().await;
    api.act_ok(&centre, &id, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    assert_eq!(deliver(&api).await, WebhookRun { retrying: 1, ..Default::default() });
    assert!(rx.got().is_empty());
    // Not before the specification's 5 seconds.
    api.clock.advance(chrono::Duration::seconds(4));
    assert_eq!(deliver(&api).await, WebhookRun::default());
    api.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(deliver(&api).await, WebhookRun { delivered: 1, ..Default::default() });
    let got = rx.got();
    assert!(verified(&secret, &got[0]));
    // The entry's id is the same on each try, so a receiver de-duplicates by it.
    let (_, outbox) = api.call("GET", "/api/v1/outbox?state=sent", Some(&centre), None).await;
    let entry = outbox.as_array().unwrap().iter().find(|e| e["case_id"] == id.as_str()).unwrap();
    assert_eq!(got[0].id, format!("msg_{}", entry["id"]));
    assert_eq!(entry["attempts"], 2);
}

/// Steps the clock through the whole retry schedule with the receiver failing: the
/// delivery is tried 10 times, then dead-lettered.
async fn fail_through_the_schedule(api: &Api) {
    let mut tries = 0;
    for pause in std::iter::once(0).chain(yiwang_app::webhook::RETRY_SECONDS) {
        api.clock.advance(chrono::Duration::seconds(pause));
        let run = deliver(api).await;
        tries += run.retrying + run.dead;
    }
    assert_eq!(tries, 10);
}

async fn a_dead_letter_holds_back_its_case_until_replayed_or_skipped(backend: Backend) {
    let api = api_with_loopback(backend);
    let rx = Receiver::start().await;
    let centre = api.login("dispatcher1").await;
    subscribe(&api, &centre, json!({"url": rx.url, "unit": "zjw"})).await;
    rx.answer(&[(500, None); 10]);
    let (a, _) = api.citizen_appeal().await;
    let (b, _) = api.citizen_appeal().await;
    api.act_ok(&centre, &a, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    fail_through_the_schedule(&api).await;
    // Days have passed: a new session.
    let centre = api.login("dispatcher1").await;
    let (s, dead) = api.call("GET", "/api/v1/webhooks/dead-letters", Some(&centre), None).await;
    assert_eq!(s, StatusCode::OK);
    let dead = dead.as_array().unwrap().clone();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0]["case_id"].as_str(), dead[0]["attempts"].as_u64()), (Some(a.as_str()), Some(10)));
    let (_, subs) = api.call("GET", "/api/v1/webhooks", Some(&centre), None).await;
    assert_eq!(subs[0]["dead_letters"], 1);

    // The receiver is back. A later event of case A waits behind the dead letter;
    // case B's go on.
    let zjw = api.login("zjw-handler").await;
    api.act_ok(&zjw, &a, json!({"action": "sign_for"})).await;
    api.act_ok(&centre, &b, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    let run = deliver(&api).await;
    assert_eq!((run.delivered, run.deferred), (1, 1));
    assert_eq!(rx.got().iter().map(|g| g.json()["data"]["case_id"].clone()).collect::<Vec<_>>(), [json!(b)]);

    // 重放: the dead letter first, then what it held back, in order.
    let (s, v) =
        api.call("POST", &format!("/api/v1/webhooks/dead-letters/{}/replay", dead[0]["id"]), Some(&centre), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(deliver(&api).await.delivered, 2);
    let of_a: Vec<_> = rx
        .got()
        .iter()
        .map(|g| g.json())
        .filter(|j| j["data"]["case_id"] == a.as_str())
        .map(|j| j["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(of_a, ["case.routed", "case.status_changed"]);
    // Only a dead letter is replayed.
    let (s, e) =
        api.call("POST", &format!("/api/v1/webhooks/dead-letters/{}/replay", dead[0]["id"]), Some(&centre), None).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")));

    // 跳过: given up for good; the case's later events go on without it.
    rx.answer(&[(500, None); 10]);
    api.act_ok(&zjw, &b, json!({"action": "sign_for"})).await;
    fail_through_the_schedule(&api).await;
    let (centre, zjw) = (api.login("dispatcher1").await, api.login("zjw-handler").await);
    api.act_ok(&zjw, &b, json!({"action": "reply", "outcome": "resolved", "text": "已处理"})).await;
    assert_eq!(deliver(&api).await.deferred, 1);
    let (_, dead) = api.call("GET", "/api/v1/webhooks/dead-letters", Some(&centre), None).await;
    let skipped = dead[0]["id"].clone();
    let (s, _) = api.call("POST", &format!("/api/v1/webhooks/dead-letters/{skipped}/skip"), Some(&centre), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(deliver(&api).await.delivered, 1);
    assert_eq!(rx.got().last().unwrap().json()["type"], "case.replied");
    let (_, gone) = api.call("GET", "/api/v1/outbox?state=skipped", Some(&centre), None).await;
    assert_eq!(gone[0]["id"], skipped);
    // Staff of a department manage no subscriptions.
    let (s, _) = api.call("GET", "/api/v1/webhooks/dead-letters", Some(&zjw), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn a_410_disables_the_endpoint_and_a_429_slows_it_down(backend: Backend) {
    let api = api_with_loopback(backend);
    let rx = Receiver::start().await;
    let slow = Receiver::start().await;
    let centre = api.login("dispatcher1").await;
    let (gone_id, _) = subscribe(&api, &centre, json!({"url": rx.url, "unit": "zjw"})).await;
    subscribe(&api, &centre, json!({"url": slow.url, "unit": "zjw"})).await;
    rx.answer(&[(410, None)]);
    slow.answer(&[(429, Some("600"))]);
    let (a, _) = api.citizen_appeal().await;
    let (b, _) = api.citizen_appeal().await;
    api.act_ok(&centre, &a, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    let run = deliver(&api).await;
    assert_eq!((run.dead, run.retrying), (1, 1));
    let (_, subs) = api.call("GET", "/api/v1/webhooks", Some(&centre), None).await;
    let gone = subs.as_array().unwrap().iter().find(|s| s["id"] == gone_id).unwrap();
    assert_eq!(gone["enabled"], false);
    assert!(gone["disabled_reason"].as_str().unwrap().contains("410"));

    // The slowed endpoint: B's event waits out the 600 s it asked for, though the
    // schedule's pause is 5 s; the disabled endpoint gets nothing new.
    api.act_ok(&centre, &b, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    api.clock.advance(chrono::Duration::seconds(5));
    let run = deliver(&api).await;
    assert_eq!((run.delivered, run.deferred), (0, 1));
    api.clock.advance(chrono::Duration::seconds(600));
    assert_eq!(deliver(&api).await.delivered, 2);
    assert_eq!(slow.got().len(), 2);
    assert!(rx.got().is_empty());
}

async fn a_rotated_secret_signs_beside_the_old_one_for_a_day(backend: Backend) {
    let api = api_with_loopback(backend);
    let rx = Receiver::start().await;
    let centre = api.login("dispatcher1").await;
    let (id, old) = subscribe(&api, &centre, json!({"url": rx.url, "unit": "zjw"})).await;
    let (s, v) = api.call("POST", &format!("/api/v1/webhooks/{id}/rotate"), Some(&centre), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let new = v["secret"].as_str().unwrap().to_owned();
    assert!(new.starts_with("whsec_") && new != old);
    let (a, _) = api.citizen_appeal().await;
    api.act_ok(&centre, &a, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    deliver(&api).await;
    let g = rx.got()[0].clone();
    assert_eq!(g.signature.split(' ').count(), 2, "{}", g.signature);
    assert!(verified(&old, &g) && verified(&new, &g));
    assert!(verified_by_the_reference_library(&old, &g) && verified_by_the_reference_library(&new, &g));

    // A day later the old secret signs no more.
    api.clock.advance(chrono::Duration::hours(24));
    let zjw = api.login("zjw-handler").await;
    let _ = centre;
    api.act_ok(&zjw, &a, json!({"action": "sign_for"})).await;
    deliver(&api).await;
    let g = rx.got()[1].clone();
    assert_eq!(g.signature.split(' ').count(), 1);
    assert!(verified(&new, &g) && !verified(&old, &g));
    assert!(!verified_by_the_reference_library(&old, &g));
}

async fn addresses_inside_the_network_are_refused_unless_configured(backend: Backend) {
    // No network allowed: loopback, link-local and metadata are refused.
    let api = Api::on(backend);
    let centre = api.login("dispatcher1").await;
    for url in [
        "http://127.0.0.1:9/x",
        "http://localhost:9/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/x",
        "http://[fd00:ec2::254]/x",
        "http://10.1.2.3/x",
    ] {
        let (s, e) =
            api.call("POST", "/api/v1/webhooks", Some(&centre), Some(json!({"url": url, "unit": "zjw"}))).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("webhook_url_refused")),
            "{url}: {e}"
        );
    }
    let (s, e) = api
        .call("POST", "/api/v1/webhooks", Some(&centre), Some(json!({"url": "ftp://x.example/", "unit": "zjw"})))
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("url")));
    let (s, e) = api
        .call("POST", "/api/v1/webhooks", Some(&centre), Some(json!({"url": "http://203.0.113.7/x", "unit": "nope"})))
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unit")));
    let zjw = api.login("zjw-handler").await;
    let (s, _) = api
        .call("POST", "/api/v1/webhooks", Some(&zjw), Some(json!({"url": "http://203.0.113.7/x", "unit": "zjw"})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // An intranet's 10.0.0.0/8 configured: allowed there, and nowhere else.
    let config = AppConfig {
        demo: true,
        webhooks: WebhookConfig { allow_networks: vec!["10.0.0.0/8".parse().unwrap()] },
        ..Default::default()
    };
    let intranet = Api::with_config(backend, config);
    let centre = intranet.login("dispatcher1").await;
    let (s, v) = intranet
        .call("POST", "/api/v1/webhooks", Some(&centre), Some(json!({"url": "http://10.1.2.3/x", "unit": "zjw"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = intranet
        .call("POST", "/api/v1/webhooks", Some(&centre), Some(json!({"url": "http://127.0.0.1:9/x", "unit": "zjw"})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn delivery_checks_the_address_again(backend: Backend) {
    // A subscription stored when its address was allowed (here: written as the
    // document holds it) is refused at delivery by a server that does not allow it:
    // nothing reaches the receiver.
    let rx = Receiver::start().await;
    let api = Api::on(backend);
    let centre = api.login("dispatcher1").await;
    let doc = json!({"next_id": 1, "subscriptions": [{
        "id": 1, "url": rx.url, "unit": "zjw", "secrets": [{"key": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}],
        "enabled": true, "created_at": "2026-11-16T01:00:00Z", "created_by": "test"
    }]});
    api.blocking(move |app| {
        app.store().put_document("webhooks", &doc.to_string(), app.now()).unwrap();
        app.reload().unwrap();
    })
    .await;
    let (a, _) = api.citizen_appeal().await;
    api.act_ok(&centre, &a, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    assert_eq!(deliver(&api).await.retrying, 1);
    assert!(rx.got().is_empty());
    let (_, outbox) = api.call("GET", "/api/v1/outbox?state=pending", Some(&centre), None).await;
    let e = outbox.as_array().unwrap().iter().find(|e| e["case_id"] == a.as_str()).unwrap().clone();
    assert!(e["last_error"].as_str().unwrap().contains("本机回环地址"), "{e}");
}

async fn the_centre_manages_subscriptions_in_the_console(backend: Backend) {
    use crate::ui::{console_login, get, post_form, send};
    use axum::http::header;
    let api = api_with_loopback(backend);
    let rx = Receiver::start().await;
    let (cookie, csrf) = console_login(&api, "dispatcher1").await;
    let form = format!("_csrf={csrf}&url={}&unit=zjw&events=case.replied", yiwang_web_url_encode(&rx.url));
    let (s, h, _) = send(&api, post_form("/console/webhooks", Some(&cookie), &form)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let to = h[header::LOCATION].to_str().unwrap().to_owned();
    assert!(to.contains("done=added") && to.contains("secret=whsec_"), "{to}");
    let (_, _, page) = send(&api, get(&to, Some(&cookie))).await;
    assert!(page.contains("实时推送") && page.contains(&rx.url) && page.contains("答复"), "{page}");
    // The secret is shown on the page it was made for, never in the list.
    let (_, _, list) = send(&api, get("/console/webhooks", Some(&cookie))).await;
    assert!(!list.contains("whsec_"));
    // A refused address is said in Chinese on the page.
    let form = format!("_csrf={csrf}&url=http%3A%2F%2F169.254.169.254%2F&unit=zjw");
    let (_, h, _) = send(&api, post_form("/console/webhooks", Some(&cookie), &form)).await;
    let (_, _, page) = send(&api, get(h[header::LOCATION].to_str().unwrap(), Some(&cookie))).await;
    assert!(page.contains("云平台元数据地址"), "{page}");

    // 停用: no entries; 启用 again: only what was asked for (replies).
    let (s, _, _) = send(&api, post_form("/console/webhooks/1/disable", Some(&cookie), &format!("_csrf={csrf}"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let centre = api.login("dispatcher1").await;
    let (a, _) = api.citizen_appeal().await;
    api.act_ok(&centre, &a, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    assert_eq!(deliver(&api).await, WebhookRun::default(), "a disabled subscription gets no entries");
    send(&api, post_form("/console/webhooks/1/enable", Some(&cookie), &format!("_csrf={csrf}"))).await;
    let zjw = api.login("zjw-handler").await;
    api.act_ok(&zjw, &a, json!({"action": "sign_for"})).await;
    assert_eq!(deliver(&api).await, WebhookRun::default(), "only replies were asked for");
    api.act_ok(&zjw, &a, json!({"action": "reply", "outcome": "resolved", "text": "已修复"})).await;
    assert_eq!(deliver(&api).await.delivered, 1);

    // A dead letter is listed, and 跳过 from the page.
    rx.answer(&[(500, None); 10]);
    api.act_ok(&centre, &a, json!({"action": "callback", "solved": true, "satisfaction": "satisfied"})).await;
    let (b, _) = api.citizen_appeal().await;
    api.act_ok(&centre, &b, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    api.act_ok(&zjw, &b, json!({"action": "sign_for"})).await;
    api.act_ok(&zjw, &b, json!({"action": "reply", "outcome": "resolved", "text": "已处理"})).await;
    fail_through_the_schedule(&api).await;
    let (cookie, csrf) = console_login(&api, "dispatcher1").await;
    let (_, _, page) = send(&api, get("/console/webhooks", Some(&cookie))).await;
    assert!(page.contains("投递失败") && page.contains(&b) && page.contains("重放"), "{page}");
    let dead = api
        .blocking(|app| {
            app.store()
                .outbox(&yiwang_store::OutboxQuery { state: Some("failed".into()), limit: 1, ..Default::default() })
                .unwrap()[0]
                .id
        })
        .await;
    let (s, h, _) = send(
        &api,
        post_form(&format!("/console/webhooks/dead-letters/{dead}/skip"), Some(&cookie), &format!("_csrf={csrf}")),
    )
    .await;
    assert_eq!(
        (s, h[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/console/webhooks?done=skipped&secret=")
    );
    let (_, _, page) = send(&api, get("/console/webhooks", Some(&cookie))).await;
    assert!(page.contains("没有投递失败的推送"), "{page}");
}

fn yiwang_web_url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

on_both_stores!(
    a_unit_receives_signed_events_of_the_cases_it_may_see,
    a_receiver_that_comes_back_gets_the_event_after_the_schedules_pause,
    a_dead_letter_holds_back_its_case_until_replayed_or_skipped,
    a_410_disables_the_endpoint_and_a_429_slows_it_down,
    a_rotated_secret_signs_beside_the_old_one_for_a_day,
    addresses_inside_the_network_are_refused_unless_configured,
    delivery_checks_the_address_again,
    the_centre_manages_subscriptions_in_the_console,
);
