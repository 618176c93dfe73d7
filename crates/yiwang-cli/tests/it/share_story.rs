//! 一网共享's story in a real browser (issue 16): the real `yiwang serve --demo`, its
//! webhook deliveries to a real receiver on loopback and its event stream to a real
//! NATS JetStream (`YIWANG_TEST_NATS_URL`), driven through the console in headless
//! Chromium (the browser tests' WebDriver client). A screenshot of every step goes
//! to `target/screenshots/share/`.
//!
//! 民政局's 数据专员 asks for the enterprise register (市场主体名录, 有条件共享), its
//! legal representative masked; 市场监管局's 数据专员 finds the request in 我的待办 and
//! approves it without the phone number (no credential on the owner's page);
//! 民政局's own page shows the narrowed grant, and its 数据专员 issues the system's
//! credential there, shown once; the credential reads only the granted fields; the owner sees the read
//! in 资源使用情况; the read is in the signed record (`audit checkpoint`, `audit
//! verify`). The hotline centre subscribes a receiver to new appeals in 实时推送; a
//! citizen's appeal finds the receiver down, and the retry five seconds later
//! delivers it, signed; a JetStream consumer reads the request's and the appeal's
//! CloudEvents from the stream.

use crate::stream::{delete_stream, names, read_stream, write_config};
use crate::{Server, audit, bin};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// The browser tests' client; this story uses only part of it.
#[allow(dead_code)]
#[path = "../../../yiwang-web/tests/browser/webdriver.rs"]
mod webdriver;

use webdriver::Driver;

const DESK_W: u32 = 1440;
const DESK_H: u32 = 900;
/// The enterprise register, 市场监管局's, shared on conditions.
const REGISTER: &str = "YXQ-SC-0001";

/// `target/screenshots/share` of the workspace, emptied.
fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots/share");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

async fn login(d: &Driver, base: &str, user: &str) {
    d.goto(&format!("{base}/console/login")).await;
    d.type_in("#username", user).await;
    d.type_in("#password", yiwang_app::DEMO_PASSWORD).await;
    d.click_to_load("button[type=submit]").await;
    d.find("header .who").await;
}

async fn logout(d: &Driver) {
    d.click_to_load("header .who button").await;
    d.find("#username").await;
}

/// One delivery as the receiver got it, with the status it answered.
#[derive(Debug, Clone)]
struct Delivery {
    at: Instant,
    status: u16,
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// The receiving department's system: down (503) for the first delivery, back up
/// (204) after.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Delivery>>>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mzj/yiwang-events", listener.local_addr().unwrap());
        let r = Receiver::default();
        let app = axum::Router::new().route("/mzj/yiwang-events", axum::routing::post(receive)).with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (r, url)
    }

    fn got(&self) -> Vec<Delivery> {
        self.got.lock().unwrap().clone()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let mut got = r.got.lock().unwrap();
    let status = if got.is_empty() { 503 } else { 204 };
    got.push(Delivery {
        at: Instant::now(),
        status,
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
        body,
    });
    StatusCode::from_u16(status).unwrap()
}

/// Standard Webhooks (https://www.standardwebhooks.com, "Verifying webhooks"): the
/// secret's bytes are the base64 after `whsec_`, the signed content is
/// `{id}.{timestamp}.{body}`, and the header lists `v1,<base64 HMAC-SHA256>`.
fn verified(secret: &str, d: &Delivery) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", d.id, d.timestamp, d.body).as_bytes());
    let expected = format!("v1,{}", b64.encode(mac.finalize().into_bytes()));
    d.signature.split(' ').any(|s| s == expected)
}

/// Today in China, as the date inputs take it.
fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

#[test]
fn a_request_is_approved_read_and_verified_and_a_webhook_and_a_stream_consumer_get_the_events() {
    let started = Instant::now();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (stream, prefix) = names("share");
    rt.block_on(delete_stream(&stream));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_config(&data, &stream, &prefix);
    // The receiver is on loopback, which subscriptions may not reach unless allowed.
    std::fs::write(data.join("notify.toml"), "[webhooks]\nallow_networks = [\"127.0.0.0/8\"]\n").unwrap();
    // The server's log (info) to a file: the demo's text messages, which no gateway
    // sends here, would fill the test's output.
    let log = dir.path().join("server.log");
    let server = Server::spawn(&data, true, &[], &[], Some(&log));
    eprintln!("share story: demo district served after {:?}", started.elapsed());
    let base = server.base.clone();
    let shots = screenshots_dir();
    rt.block_on(story(&base, &data, &stream, &shots));
    drop(server);
    rt.block_on(delete_stream(&stream));
    eprintln!("share story: {:?} in all; screenshots in {}", started.elapsed(), shots.display());
    drop(dir);
}

async fn story(base: &str, data: &std::path::Path, stream: &str, shots: &std::path::Path) {
    let http = reqwest::Client::new();
    let mut d = Driver::start(shots).await;
    d.size(DESK_W, DESK_H).await;

    // 1. 民政局's 数据专员 asks for the register: five fields, none in clear.
    login(&d, base, "mzj-data").await;
    d.click_to_load("nav a[href='/console/share']").await;
    d.click_to_load("a.button[href='/console/share/new']").await;
    d.select("#resource", REGISTER).await;
    d.click_to_load("#share-new form[method=get] button[type=submit]").await;
    let form = d.text("#share-new").await;
    assert!(form.contains("提供部门：市场监管局；共享类型：有条件共享"), "{form}");
    d.type_in("#system", "最低生活保障审核系统").await;
    for f in ["code", "name", "credit_class", "legal_representative", "legal_phone"] {
        d.click(&format!("#share-request-form input[name=fields][value={f}]")).await;
    }
    d.type_in("#purpose", "核验申请最低生活保障家庭成员名下企业的登记和经营情况").await;
    d.type_in("#legal_basis", "《社会救助暂行办法》第十一条；《政务数据共享条例》第十二条").await;
    let (from, to) = (today(), today() + chrono::Duration::days(180));
    d.script(
        "document.getElementById('from').value = arguments[0]; document.getElementById('to').value = arguments[1];",
        vec![json!(from.to_string()), json!(to.to_string())],
    )
    .await;
    d.full_shot("consumer-requests-the-register", DESK_W, DESK_H).await;
    d.click_to_load("#share-request-form button.primary").await;
    let id = d.text("#case-id").await;
    assert!(id.starts_with("GX"), "a request number: {id}");
    assert_eq!(d.text("#share-status").await, "待审核");
    d.shot("request-waits-for-the-owner").await;
    logout(&d).await;

    // 2. 市场监管局's 数据专员 finds it in 我的待办 and approves it without the phone.
    login(&d, base, "scjgj-data").await;
    d.click_to_load("nav a[href='/console/todo']").await;
    let todo = d.text("#todo").await;
    assert!(todo.contains(&id), "the request in the owner's 我的待办: {todo}");
    d.shot("owner-todo-holds-the-request").await;
    d.click_to_load(&format!("#todo a[href='/console/share/{id}']")).await;
    d.click("#share-answer input[name=fields][value=legal_phone]").await;
    d.type_in("#opinion", "同意共享登记和信用信息；联系电话与核验用途无关，不予提供").await;
    d.full_shot("owner-narrows-and-approves", DESK_W, DESK_H).await;
    d.click_to_load("#share-answer button[value=approve]").await;
    assert_eq!(d.text("#share-status").await, "已授权");
    assert_eq!(d.text("#granted-fields").await, "code、name、credit_class、legal_representative");
    let answered = d.body_text().await;
    assert!(!answered.contains("仅显示这一次") && !answered.contains("签发访问凭证"), "not the owner's: {answered}");
    logout(&d).await;
    // The consumer sees its grant, the fields narrowed, and issues its credential.
    login(&d, base, "mzj-data").await;
    d.click_to_load("nav a[href='/console/share']").await;
    d.click_to_load("a[href='/console/share?role=consumer']").await;
    let mine = d.text("#share-rows").await;
    let row = mine.lines().find(|l| l.contains(&id)).unwrap_or_else(|| panic!("the consumer's request: {mine}"));
    assert!(row.contains("已授权") && row.contains("市场监管局"), "{row}");
    d.click_to_load(&format!("#share-rows a[href='/console/share/{id}']")).await;
    assert_eq!(d.text("#granted-fields").await, "code、name、credit_class、legal_representative");
    d.shot("consumer-sees-the-narrowed-grant").await;
    d.click_to_load("#share-credential button[value=issue_credential]").await;
    let credential = d.text("#credential-value").await.trim().to_owned();
    assert!(credential.len() > 20, "the credential, shown once: {credential:?}");
    d.shot("credential-shown-once").await;
    d.click_to_load("nav a[href='/console/share']").await;
    d.click_to_load("a[href='/console/share?role=consumer']").await;
    d.click_to_load(&format!("#share-rows a[href='/console/share/{id}']")).await;
    let again = d.body_text().await;
    assert!(again.contains("已授权") && !again.contains(&credential), "never again: {again}");
    logout(&d).await;

    // 3. A read with the credential: only the granted fields, the representative masked.
    let read = |credential: String| {
        http.get(format!("{base}/api/v1/share/{REGISTER}/records?limit=5"))
            .header("authorization", format!("Bearer {credential}"))
            .send()
    };
    let r = read(credential.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let log = r.headers()["x-read-log"].to_str().unwrap().to_owned();
    let digest = r.headers()["x-body-digest"].to_str().unwrap().to_owned();
    assert!(log.starts_with("DQ"), "the read's log: {log}");
    let body = r.bytes().await.unwrap();
    assert_eq!(digest, format!("sha256:{}", hex::encode(Sha256::digest(&body))), "the body is the one logged");
    let page: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(page["grant"], id.as_str());
    let records = page["records"].as_array().unwrap();
    assert_eq!(records.len(), 5, "{page}");
    let granted: BTreeSet<&str> = ["code", "name", "credit_class", "legal_representative"].into();
    for rec in records {
        assert_eq!(rec.as_object().unwrap().keys().map(String::as_str).collect::<BTreeSet<_>>(), granted, "{rec}");
        let who = rec["legal_representative"].as_str().unwrap();
        assert!(who.contains('*'), "the legal representative is masked: {rec}");
    }
    assert_eq!(read("yws_not-a-credential".into()).await.unwrap().status(), 401);
    // The owner sees the read.
    login(&d, base, "scjgj-data").await;
    d.click_to_load("nav a[href='/console/share']").await;
    d.click_to_load("a[href='/console/share/usage']").await;
    let usage = d.text("#usage-rows").await;
    let line = usage.lines().find(|l| l.contains(&id)).unwrap_or_else(|| panic!("the grant's line: {usage}"));
    assert!(line.contains("民政局") && line.contains("最低生活保障审核系统"), "{line}");
    assert!(line.contains(" 1 5 "), "one read of five rows: {line}");
    d.shot("owner-sees-the-read").await;
    logout(&d).await;

    // 4. The signed log: the read is an event of its log, sealed into a checkpoint
    // signed now, and `audit verify` checks every chain and checkpoint.
    {
        let db = rusqlite::Connection::open(data.join("yiwang.sqlite")).unwrap();
        let reads: Vec<String> = db
            .prepare("SELECT body FROM event WHERE case_id = ?1 AND kind = 'read'")
            .unwrap()
            .query_map([&log], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(reads.len(), 1, "{reads:?}");
        let logged: Value = serde_json::from_str(&reads[0]).unwrap();
        assert_eq!((logged["rows"].as_u64(), logged["digest"].as_str()), (Some(5), Some(digest.as_str())), "{logged}");
    }
    let out = bin().args(["audit", "checkpoint", "--data-dir"]).arg(data).output().unwrap();
    let sealed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{sealed} {}", String::from_utf8_lossy(&out.stderr));
    let checkpoint: Value = serde_json::from_str(sealed.trim()).unwrap_or_else(|_| panic!("a checkpoint: {sealed}"));
    assert!(checkpoint["heads"].as_i64().unwrap() > 100, "{checkpoint}");
    let (ok, report) = audit(data);
    assert!(ok, "{report}");
    assert!(report.contains(" 0 broken") && report.contains("; 0 problems"), "{report}");
    assert!(!report.contains("anchor: 0 checkpoints"), "{report}");
    eprintln!("share story: audit verify: {}", report.trim());

    // 5. The hotline centre subscribes a receiver to new appeals in 实时推送.
    let (receiver, url) = Receiver::start().await;
    login(&d, base, "centre-data").await;
    d.click_to_load("nav a[href='/console/webhooks']").await;
    d.type_in("#url", &url).await;
    d.type_in("#unit", "centre").await;
    d.click("form.stack input[name=events][value='case.created']").await;
    d.type_in("#kinds", "appeal").await;
    d.full_shot("centre-subscribes-a-receiver", DESK_W, DESK_H).await;
    d.click_to_load("form.stack button[type=submit]").await;
    let secret = d.text("p.notice code").await;
    assert!(secret.starts_with("whsec_"), "the secret, shown once: {secret}");
    d.shot("subscription-and-its-secret").await;

    // A citizen's appeal; the receiver is down for the first try.
    let r = http
        .post(format!("{base}/api/v1/appeals"))
        .json(&json!({"channel": "web", "appeal_type": "help", "text": "小区东门的路灯坏了一个星期，晚上出行不安全"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let appeal = r.json::<Value>().await.unwrap()["case_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(40);
    while !receiver.got().iter().any(|g| g.status < 300) {
        assert!(Instant::now() < deadline, "not delivered: {:?}", receiver.got());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = receiver.got();
    assert_eq!(got.iter().map(|g| g.status).collect::<Vec<_>>(), [503, 204], "{got:?}");
    let (down, back) = (&got[0], &got[1]);
    assert_eq!(down.id, back.id, "the same message, tried again");
    assert_eq!(down.body, back.body);
    let waited = back.at - down.at;
    // The server counts the 5 s from the moment it tried, a little before the
    // receiver saw that try: the receipts may be a few milliseconds closer.
    assert!(waited >= Duration::from_millis(4_500), "the retry waits the schedule's 5 s: {waited:?}");
    assert!(verified(&secret, back), "the signature: {back:?}");
    assert!(!verified("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", back), "another secret does not verify");
    let ts: i64 = back.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - ts).abs() < 60, "{ts}");
    let event: Value = serde_json::from_str(&back.body).unwrap();
    assert_eq!((event["type"].as_str(), event["data"]["case_id"].as_str()), (Some("case.created"), Some(&*appeal)));
    // The centre's console after delivery: no failures, and the entry sent on its
    // second try.
    d.goto(&format!("{base}/console/webhooks")).await;
    let subs = d.text("table.list").await;
    let row = subs.lines().find(|l| l.contains(&url)).unwrap_or_else(|| panic!("the subscription: {subs}"));
    assert!(row.ends_with(" 启用 0"), "enabled, no dead letters: {row}");
    d.full_shot("webhooks-after-the-redelivery", DESK_W, DESK_H).await;
    d.goto(&format!("{base}/console/outbox?state=sent")).await;
    let sent = d.text("table.list").await;
    let rows: Vec<&str> = sent.lines().filter(|l| l.contains(&appeal)).collect();
    assert!(
        rows.iter().any(|row| row.contains("实时推送") && row.contains("已发送 2")),
        "sent on the second try: {rows:?}"
    );
    d.shot("outbox-webhook-sent-on-the-second-try").await;
    d.quit().await;

    // 6. A JetStream consumer reads the request's, the read log's and the appeal's
    // CloudEvents.
    let read_log = log;
    let wanted =
        [format!("{id}/1"), format!("{id}/2"), format!("{read_log}/1"), format!("{read_log}/2"), format!("{appeal}/1")];
    let deadline = Instant::now() + Duration::from_secs(30);
    let events = loop {
        let all = read_stream(stream, 1).await;
        let found: Vec<(String, Value)> =
            all.into_iter().filter(|(_, msg_id, _)| wanted.contains(msg_id)).map(|(_, m, e)| (m, e)).collect();
        if found.len() == wanted.len() {
            break found;
        }
        assert!(Instant::now() < deadline, "in the stream: {found:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let types: Vec<&str> = events.iter().map(|(_, e)| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "cn.yiwang.access.requested",
            "cn.yiwang.access.granted",
            "cn.yiwang.read_log.opened",
            "cn.yiwang.read_log.read",
            "cn.yiwang.appeal.accepted"
        ]
    );
    for (msg_id, e) in &events {
        assert_eq!(e["specversion"], "1.0");
        assert_eq!(e["id"], msg_id.as_str(), "Nats-Msg-Id is the CloudEvent's id");
        assert_eq!(e["subject"], e["data"]["case_id"]);
        assert!(!e.to_string().contains(&credential), "no credential in the stream: {e}");
    }
}
