//! Notifications through real senders: an SMS gateway (a local HTTP sink this test
//! runs, which fails the first message) and e-mail through a real SMTP server
//! (`tests/notify/smtp_sink.py`, aiosmtpd from Debian's python3-aiosmtpd). The outbox
//! is written with the events; a failed send is retried after its pause and shown
//! to the centre; an erased citizen gets nothing.

use crate::harness::{Api, Backend, PHONE};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use yiwang_app::notify::{HttpSmsConfig, NotifyConfig, SmtpConfig};
use yiwang_store::OutboxQuery;

/// An HTTP server on loopback that records each request's body and answers with the
/// next status of `statuses` (then 200).
pub(crate) fn http_sink(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/sms/send", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(vec![]));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            seen.lock().unwrap().push(String::from_utf8(body).unwrap());
            let status = statuses.next().unwrap_or(200);
            let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            conn.write_all(reply.as_bytes()).unwrap();
        }
    });
    (url, bodies)
}

/// The SMTP server, killed when dropped; what it received is in `file`, a JSON line
/// per message.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    file: tempfile::NamedTempFile,
}

impl SmtpSink {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let file = tempfile::NamedTempFile::new().unwrap();
        let python = std::env::var("YIWANG_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/notify/smtp_sink.py");
        let mut child = std::process::Command::new(&python)
            .arg(script)
            .arg(port.to_string())
            .arg(file.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{python} {script}: {e} (./scripts/test installs python3-aiosmtpd)"));
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "ready", "the SMTP sink did not start (is python3-aiosmtpd installed?)");
        SmtpSink { child, port, file }
    }

    fn received(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.file.path()).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn appeal(api: &Api, citizen: Value) -> (String, String) {
    let body = json!({"channel": "hotline", "appeal_type": "consultation", "text": "小区门口井盖丢失了，应该找哪个部门补装？", "citizen": citizen});
    let operator = api.login("operator1").await;
    let (s, v) = api.call("POST", "/api/v1/appeals", Some(&operator), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (v["case_id"].as_str().unwrap().to_owned(), v["tracking_code"].as_str().unwrap_or_default().to_owned())
}

async fn citizens_are_told_by_sms_or_email_and_failures_are_retried(backend: Backend) {
    let api = Api::on(backend);
    let (url, sms) = http_sink(vec![503]);
    let smtp = SmtpSink::start();
    let config = NotifyConfig {
        sms: Some(HttpSmsConfig {
            url,
            body: r#"{"mobile": "{phone}", "content": "{text}"}"#.into(),
            content_type: "application/json".into(),
            authorization: Some("Bearer t0ken".into()),
        }),
        email: Some(SmtpConfig { host: "127.0.0.1".into(), port: smtp.port, from: "12345@yunxi.gov.cn".into() }),
        webhooks: Default::default(),
    };
    let senders = Arc::new(config.senders());
    let send = || {
        let senders = senders.clone();
        api.blocking(move |app| app.send_notices(&senders, 100).unwrap())
    };

    // A caller with a phone, one who left only an e-mail address, one anonymous.
    let (by_phone, _) = appeal(&api, json!({"name": "张三", "phone": PHONE})).await;
    let (by_mail, _) = appeal(&api, json!({"name": "李四", "contact": "lisi@example.cn"})).await;
    appeal(&api, json!(null)).await;
    let outbox = |state: &str| {
        let q = OutboxQuery { state: Some(state.into()), limit: 50, ..Default::default() };
        api.blocking(move |app| app.outbox(&q).unwrap())
    };
    assert_eq!(outbox("pending").await.len(), 2, "the anonymous caller gets nothing");

    // The gateway fails the first SMS: retried after a minute; the mail goes at once.
    let r = send().await;
    assert_eq!((r.sent, r.retrying, r.given_up), (1, 1, 0), "{r:?}");
    let pending = outbox("pending").await;
    assert_eq!(pending.len(), 1);
    assert!(pending[0].last_error.as_deref().unwrap().contains("503"), "{pending:?}");
    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["to"], json!(["lisi@example.cn"]));
    assert_eq!(mails[0]["subject"], format!("12345 诉求 {by_mail}"));
    assert!(mails[0]["text"].as_str().unwrap().contains(&format!("工单号 {by_mail}")), "{mails:?}");
    assert_eq!(send().await, Default::default(), "not before its pause");
    api.step(chrono::Duration::minutes(1));
    assert_eq!(send().await.sent, 1);
    let bodies = sms.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2);
    let sent: Value = serde_json::from_str(&bodies[1]).unwrap();
    assert_eq!(sent["mobile"], PHONE);
    let text = sent["content"].as_str().unwrap();
    let code = api.blocking({
        let id = by_phone.clone();
        move |app| {
            app.store()
                .load(&yiwang_core::id::CaseId::parse(&id).unwrap())
                .unwrap()
                .unwrap()
                .project()
                .header
                .tracking_code
                .unwrap()
        }
    });
    assert!(text.contains(&format!("工单号 {by_phone}")) && text.contains(&code.await), "{text}");
    assert!(text.starts_with("【云溪区12345】"), "{text}");

    // The answer and a reopening are told too; an erased citizen is not.
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &by_phone, json!({"action": "answer_directly", "answer": "已转告物业当天补装井盖。"}))
        .await;
    assert_eq!(send().await.sent, 1);
    let bodies = sms.lock().unwrap().clone();
    assert!(bodies[2].contains("已答复：已转告物业当天补装井盖") && bodies[2].contains("12345"), "{bodies:?}");
    let id = by_mail.clone();
    api.blocking(move |app| {
        let c = app.store().load(&yiwang_core::id::CaseId::parse(&id).unwrap()).unwrap().unwrap();
        let p = c.project().header.person.unwrap();
        app.store().erase_person(p, app.now()).unwrap();
    })
    .await;
    api.act_ok(&dispatcher, &by_mail, json!({"action": "answer_directly", "answer": "已处理。"})).await;
    let r = send().await;
    assert_eq!((r.sent, r.given_up), (0, 1));
    let failed = outbox("failed").await;
    assert_eq!(failed[0].last_error.as_deref(), Some("诉求人个人信息已删除"));
    assert_eq!(smtp.received().len(), 1);

    // The centre sees the outbox and sends a failed one again (given up again here).
    let centre = api.login("dispatcher1").await;
    let (s, v) = api.call("GET", "/api/v1/outbox?state=failed", Some(&centre), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v[0]["case_id"], by_mail.as_str());
    assert_eq!(v[0]["state"], "failed");
    let path = format!("/api/v1/outbox/{}/resend", v[0]["id"]);
    let (s, _) = api.call("POST", &path, Some(&centre), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(outbox("pending").await.len(), 1);
    let handler = api.login("cgw-handler").await;
    let (s, _) = api.call("GET", "/api/v1/outbox", Some(&handler), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the centre's, not a unit's");
}

on_both_stores!(citizens_are_told_by_sms_or_email_and_failures_are_retried);

/// The centre reads the outbox in the console (通知记录) and sends a failed one again;
/// a unit's staff do not see the page.
#[tokio::test]
async fn the_centre_sees_the_outbox_in_the_console() {
    use crate::ui::{console_login, get, post_form, send};
    let api = Api::new();
    let (case, _) = api.citizen_appeal().await;
    // No sender configured: the entry fails for good, with the reason.
    let r = api.blocking(|app| app.send_notices(&Default::default(), 100).unwrap()).await;
    assert_eq!(r.given_up, 1, "{r:?}");
    let (dispatcher, csrf) = console_login(&api, "dispatcher1").await;
    let (s, _, page) = send(&api, get("/console/outbox?state=failed", Some(&dispatcher))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("通知记录") && page.contains(&case) && page.contains("受理通知"), "{page}");
    assert!(page.contains("未配置短信通道") && page.contains("重发"), "{page}");
    assert!(!page.contains(PHONE), "the outbox shows no phone number");
    let id = api.blocking(|app| app.outbox(&OutboxQuery { limit: 5, ..Default::default() }).unwrap()[0].id).await;
    let (s, headers, _) =
        send(&api, post_form(&format!("/console/outbox/{id}/resend"), Some(&dispatcher), &format!("_csrf={csrf}")))
            .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/console/outbox?done=resend");
    let (_, _, page) = send(&api, get("/console/outbox?state=pending", Some(&dispatcher))).await;
    assert!(page.contains(&case) && page.contains("待发送"), "{page}");
    // With an event stream, each write also leaves the relay an entry: the page lists
    // messages and webhooks, not those.
    api.blocking(|app| app.set_stream(true)).await;
    let (streamed, _) = api.citizen_appeal().await;
    let stream_entries = api
        .blocking(|app| {
            let all = app.outbox(&OutboxQuery { limit: 50, ..Default::default() }).unwrap();
            all.iter().filter(|e| e.to.as_deref() == Some("stream:")).count()
        })
        .await;
    assert_eq!(stream_entries, 1, "the appeal's write left the relay one");
    let (_, _, page) = send(&api, get("/console/outbox?state=pending", Some(&dispatcher))).await;
    assert!(page.contains(&streamed) && page.contains("受理通知"), "its message is listed: {page}");
    assert!(!page.contains("<td>实时推送</td>"), "the stream's entry is not: {page}");
    let (handler, _) = console_login(&api, "cgw-handler").await;
    let (s, _, _) = send(&api, get("/console/outbox", Some(&handler))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// A lost tracking code is sent again to the phone on file when the case number and
/// phone match; a mismatch answers the same, sends nothing, and counts as a failed
/// lookup.
async fn a_lost_tracking_code_is_sent_again_to_the_phone_on_file(backend: Backend) {
    let api = Api::on(backend);
    let (id, code) = api.citizen_appeal().await;
    let (url, sms) = http_sink(vec![]);
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
    let s = senders.clone();
    api.blocking(move |app| app.send_notices(&s, 100).unwrap()).await; // the acceptance SMS
    let codes = || {
        let q = OutboxQuery { limit: 50, ..Default::default() };
        api.blocking(move |app| app.outbox(&q).unwrap().into_iter().filter(|e| e.template == "appeal_code").count())
    };
    let (s, _) =
        api.call("POST", "/api/v1/track/resend-code", None, Some(json!({"case_id": id, "phone": "13900000000"}))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "a mismatch answers the same");
    assert_eq!(codes().await, 0);
    let (s, _) =
        api.call("POST", "/api/v1/track/resend-code", None, Some(json!({"case_id": id, "phone": PHONE}))).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(codes().await, 1);
    // Asked again at once: no second SMS within ten minutes.
    let (s, _) =
        api.call("POST", "/api/v1/track/resend-code", None, Some(json!({"case_id": id, "phone": PHONE}))).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(codes().await, 1, "one code SMS per case in ten minutes");
    let s = senders.clone();
    assert_eq!(api.blocking(move |app| app.send_notices(&s, 100).unwrap().sent).await, 1);
    let last = sms.lock().unwrap().last().cloned().unwrap();
    assert!(last.contains(&format!("查询码为 {code}")) && last.contains(PHONE), "{last}");
    let failed = api
        .blocking(|app| {
            let q = yiwang_app::SecurityQuery { kinds: vec!["track_failed".into()], limit: 10, ..Default::default() };
            app.store().security_events(&q).unwrap()
        })
        .await;
    assert!(failed.iter().any(|e| e.detail.contains("补发查询码")), "{failed:?}");
    // The portal's form says the same whatever was typed.
    let (s, _, page) =
        crate::ui::send(&api, crate::ui::post_form("/track/resend", None, &format!("case_id={id}&phone=13900000000")))
            .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("如果工单编号与手机号相符"), "{page}");
}

on_both_stores!(a_lost_tracking_code_is_sent_again_to_the_phone_on_file);
