//! 一网通办 for an applicant, in the real browser: a window clerk records that a phone
//! may act for a shop (企业授权); on a phone, its agent opens the signboard service's
//! guide, logs in with the code the SMS gateway received, applies online with a
//! scanned file, and finds the application in 我的办件.

use super::{DESK_H, DESK_W, PHONE_H, PHONE_W, login, logout, screenshots_dir, start_server};
use crate::webdriver::Driver;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use yiwang_app::notify::{HttpSmsConfig, NotifyConfig};

const AGENT: &str = "13900001111";

/// A real HTTP SMS gateway on loopback that answers 200 and keeps every body.
fn sms_gateway() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(vec![]));
    let seen = bodies.clone();
    std::thread::spawn(move || {
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
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            seen.lock().unwrap().push(String::from_utf8_lossy(&body).into_owned());
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    (url, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_applies_online_for_a_shop_on_a_phone() {
    let mut server = start_server().await;
    let base = server.base.clone();
    let mut d = Driver::start(&screenshots_dir("applicant")).await;
    let (url, sms) = sms_gateway();
    let senders = Arc::new(
        NotifyConfig {
            sms: Some(HttpSmsConfig {
                url,
                body: r#"{"mobile": "{phone}", "content": "{text}"}"#.into(),
                content_type: "application/json".into(),
                authorization: None,
            }),
            email: None,
            webhooks: Default::default(),
        }
        .senders(),
    );

    // The window checks the shop's authorisation and records its agent's phone.
    d.size(DESK_W, DESK_H).await;
    login(&mut d, &base, "cgw-clerk").await;
    d.goto(&format!("{base}/console/authorisations/new")).await;
    d.type_in("#enterprise", "91350100M000100Y43").await;
    d.type_in("#enterprise_name", "云溪区好味小厨餐饮店").await;
    d.type_in("#agent_name", "刘海峰").await;
    d.type_in("#agent_phone", AGENT).await;
    d.type_in("#document", "授权委托书（2026-11-20）、营业执照副本、经办人身份证").await;
    d.script("document.getElementById('valid_until').value = '2027-11-19';", vec![]).await;
    d.full_shot("authorisation-register", DESK_W, DESK_H).await;
    d.click_to_load("#authorisation-new button[type=submit]").await;
    assert!(d.text("#authorisation-status").await.contains("有效"));
    assert!(d.text("#case-id").await.starts_with("SQ"));
    logout(&d).await;

    // The agent, on a phone: the guide, 在线申请, a login by SMS code.
    d.size(PHONE_W, PHONE_H).await;
    d.goto(&format!("{base}/services/signboard")).await;
    d.click_to_load("#apply-online").await;
    d.type_in("#phone", AGENT).await;
    d.click_to_load("#applicant-login button[type=submit]").await;
    assert!(d.body_text().await.contains("验证码已发送至 139****1111"));
    let sending = (server.app.clone(), senders.clone());
    // The outbox sends what is due (the demo's own notices too).
    tokio::task::spawn_blocking(move || while sending.0.send_notices(&sending.1, 100).unwrap().sent > 0 {})
        .await
        .unwrap();
    let texts = sms.lock().unwrap().clone();
    let text = texts
        .iter()
        .map(|b| serde_json::from_str::<serde_json::Value>(b).unwrap())
        .rfind(|t| t["mobile"] == AGENT)
        .expect("the gateway got the SMS");
    let code: String = text["content"].as_str().unwrap().chars().filter(char::is_ascii_digit).take(6).collect();
    d.type_in("#code", &code).await;
    assert!(d.fits_width().await, "the login fits a phone");
    d.full_shot("applicant-login", PHONE_W, PHONE_H).await;
    d.click_to_load("#applicant-login form[action='/my/login'] button[type=submit]").await;

    // Back on the form: for the shop it may act for, with a scan of the design.
    assert!(d.text("#apply h1").await.contains("门头招牌设置审批"));
    assert!(d.text("#enterprise").await.contains("云溪区好味小厨餐饮店"));
    d.type_in("#name", "刘海峰").await;
    d.type_in("#form-text", "好味小厨").await;
    d.type_in("#form-size", "3.5").await;
    let files = tempfile::tempdir().unwrap();
    let scan = files.path().join("design.pdf");
    std::fs::write(&scan, b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
        .unwrap();
    d.type_in("#file-design", scan.to_str().unwrap()).await;
    d.type_in("#file-safety-commitment", scan.to_str().unwrap()).await;
    assert!(d.fits_width().await, "the application form fits a phone");
    d.full_shot("apply-online", PHONE_W, PHONE_H).await;
    d.click_to_load("#apply button[type=submit]").await;
    let id = d.text("#case-id").await;
    assert!(id.starts_with("BJ"), "{id}: {}", d.body_text().await);
    assert!(d.text("#applicant-status").await.contains("待受理"));
    assert_eq!(d.text("#applicant-visits").await, "0", "all online, no visit");
    d.full_shot("applicant-application", PHONE_W, PHONE_H).await;
    d.goto(&format!("{base}/my")).await;
    assert!(d.text("#my-applications").await.contains(&id));
    assert!(d.text("#my-enterprises").await.contains("云溪区好味小厨餐饮店"));
    assert!(d.fits_width().await, "我的办件 fits a phone");
    d.full_shot("my-applications", PHONE_W, PHONE_H).await;

    // The department has it, with the agent's two files.
    let filed = server
        .app
        .load_as::<yiwang_core::application::ApplicationKind>(&yiwang_core::id::CaseId::parse(&id).unwrap())
        .unwrap();
    assert_eq!(filed.materials.iter().map(|m| m.files.len()).sum::<usize>(), 2);
    assert_eq!(filed.enterprise.map(|e| e.name).as_deref(), Some("云溪区好味小厨餐饮店"));

    d.quit().await;
    if let Some(s) = server.stop.take() {
        let _ = s.send(());
    }
}
