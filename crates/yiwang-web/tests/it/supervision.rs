//! 一网通管's inspections and rectifications over the API, on both stores: a
//! department opens an inspection, its inspector records it on site with a photo and
//! the signature uploaded to the case, the enterprise (a phone bound to it) answers
//! the finding, the department rejects the statement and publishes, the result is
//! open data (JSON, CSV), the final 责令整改 opens a rectification and puts its credit
//! fact on the register, the enterprise reports with evidence, the re-inspection closes
//! it on time; an unpublished result turns red on working day 21 by the scheduler; a
//! 12345 appeal refers a restaurant into supervision and lists the inspection it
//! caused. Bad input throughout, with its codes.

use crate::harness::{Api, Backend, code_of};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;
use yiwang_app::notify::{HttpSmsConfig, NotifyConfig};
use yiwang_core::enterprise::{FactKind, Registration};
use yiwang_core::id::CreditCode;
use yiwang_core::org::Actor;

const MINE: &str = "13900003333";
/// The shop's legal representative, its contact in the register.
const OWNER_PHONE: &str = "13900005555";
const SHOP: &str = "91350100M000100Y43";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

struct Site {
    api: Api,
    uploads: tempfile::TempDir,
    sms: Arc<Mutex<Vec<String>>>,
    senders: Arc<yiwang_app::notify::Senders>,
}

impl Site {
    fn new(backend: Backend) -> Self {
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
        Site { api: Api::on(backend), uploads: tempfile::tempdir().unwrap(), sms, senders: Arc::new(config.senders()) }
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let config = yiwang_web::WebConfig { uploads_dir: Some(self.uploads.path().into()), ..Default::default() };
        let resp = yiwang_web::router_with(self.api.app.clone(), &config).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let v = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, v)
    }

    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    async fn ok(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
        let (s, v) = self.call(method, path, Some(token), body.clone()).await;
        assert!(s.is_success(), "{method} {path} {body:?} → {s} {v}");
        v
    }

    async fn photo(&self, token: &str, path: &str) -> String {
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "image/png")
            .body(Body::from(PNG))
            .unwrap();
        let (s, v) = self.send(req).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["file"].as_str().unwrap().to_owned()
    }

    /// The texts sent to `phone` so far (the outbox sent first).
    async fn texts_to(&self, phone: &str) -> Vec<String> {
        let senders = self.senders.clone();
        self.api.blocking(move |app| app.send_notices(&senders, 100).unwrap()).await;
        let texts = self.sms.lock().unwrap().clone();
        texts
            .iter()
            .map(|b| serde_json::from_str::<Value>(b).unwrap())
            .filter(|t| t["mobile"] == phone)
            .map(|t| t["content"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn applicant_login(&self, phone: &str) -> String {
        let (s, sent) = self.call("POST", "/api/v1/applicant/code", None, Some(json!({"phone": phone}))).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{sent}");
        let senders = self.senders.clone();
        self.api.blocking(move |app| app.send_notices(&senders, 100).unwrap()).await;
        let texts = self.sms.lock().unwrap().clone();
        let text = texts
            .iter()
            .rev()
            .map(|b| serde_json::from_str::<Value>(b).unwrap())
            .find(|t| t["mobile"] == phone)
            .unwrap()["content"]
            .as_str()
            .unwrap()
            .to_owned();
        let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
        let body = json!({"phone": phone, "nonce": sent["nonce"], "code": code});
        self.ok("POST", "/api/v1/applicant/login", "", Some(body)).await["token"].as_str().unwrap().to_owned()
    }

    async fn applicant_upload(&self, token: &str) -> String {
        let boundary = "yiwangboundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(PDF);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/applicant/uploads")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        let (s, v) = self.send(req).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["file"].as_str().unwrap().to_owned()
    }

    /// The demo's restaurant in the register, and `MINE` bound to it by a window.
    async fn register_and_bind(&self) {
        self.api
            .blocking(|app| {
                let r = Registration {
                    code: CreditCode::parse(SHOP).unwrap(),
                    name: "云溪区好味小厨餐饮店".into(),
                    entity_type: "个体工商户".into(),
                    industry: "H6210".into(),
                    address: "云溪区府前街8号".into(),
                    street: None,
                    location: None,
                    capital: 100_000,
                    employees: 6,
                    founded: chrono::NaiveDate::from_ymd_opt(2019, 3, 1).unwrap(),
                    tags: vec!["食品经营".into()],
                };
                let legal = yiwang_app::CitizenInput {
                    name: Some("刘海峰".into()),
                    phone: Some(OWNER_PHONE.into()),
                    ..Default::default()
                };
                app.register_enterprise(&Actor::System, r, &[], Some(&legal)).unwrap();
            })
            .await;
        let clerk = self.api.login("cgw-clerk").await;
        let grant = json!({
            "enterprise": SHOP, "enterprise_name": "云溪区好味小厨餐饮店", "document": "授权委托书",
            "valid_until": "2027-11-15", "agent": {"name": "刘海峰", "phone": MINE}
        });
        self.ok("POST", "/api/v1/authorisations", &clerk, Some(grant)).await;
    }

    async fn facts(&self) -> Vec<FactKind> {
        self.api
            .blocking(|app| {
                let e = app.enterprise(&CreditCode::parse(SHOP).unwrap()).unwrap().unwrap();
                e.facts.iter().map(|f| f.fact.kind).collect()
            })
            .await
    }
}

fn new_inspection(inspectors: Value) -> Value {
    json!({
        "enterprise": SHOP, "enterprise_name": "云溪区好味小厨餐饮店",
        "matter": "SC-01", "matter_name": "食品经营许可情况检查",
        "items": [{"code": "1", "name": "证照公示"}, {"code": "2", "name": "从业人员健康证明"}],
        "inspectors": inspectors,
        "unit": "scjgj",
        "source": {"type": "draw", "plan": "YW20261116000001"}
    })
}

fn two_inspectors() -> Value {
    json!([
        {"id": "ZF0001", "name": "蔡丽华", "unit": "scjgj", "username": "scjgj-enforcer1"},
        {"id": "ZF0002", "name": "检查员二", "unit": "scjgj", "username": "scjgj-enforcer2"}
    ])
}

fn on_site(outcome: &str, photos: Value, signature: Value, at: &str) -> Value {
    let second = if outcome == "passed" { "conforms" } else { "fails" };
    json!({"action": "record", "on_site": {
        "findings": [
            {"item": "1", "conformity": "conforms"},
            {"item": "2", "conformity": second, "note": "两名从业人员健康证明过期"}
        ],
        "outcome": outcome, "summary": "检查了后厨和证照", "place": [116.22, 39.87],
        "inspected_at": at, "photos": photos, "signature": signature,
        "rectify_days": if outcome == "rectify" { json!(15) } else { Value::Null }
    }})
}

async fn an_inspection_runs_from_the_record_to_a_closed_rectification(backend: Backend) {
    let site = Site::new(backend);
    site.register_and_bind().await;
    let reg = site.api.login("scjgj-regulator").await;
    let e1 = site.api.login("scjgj-enforcer1").await;
    let e3 = site.api.login("scjgj-enforcer3").await;

    // Opening: bad input refused with its code.
    let rows: &[(&str, &str, Value, StatusCode, &str)] = &[
        ("no inspectors", "reg", new_inspection(json!([])), StatusCode::UNPROCESSABLE_ENTITY, "no_inspectors"),
        (
            "a login that is no enforcer",
            "reg",
            new_inspection(json!([{"id": "X1", "name": "许文涛", "unit": "scjgj", "username": "scjgj-regulator"}])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        ("an enforcer opens", "e1", new_inspection(two_inspectors()), StatusCode::FORBIDDEN, "forbidden"),
        (
            "an unknown field",
            "reg",
            json!({"enterprise": SHOP, "bogus": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ];
    for (what, who, body, status, code) in rows {
        let token = if *who == "reg" { &reg } else { &e1 };
        let (s, v) = site.call("POST", "/api/v1/inspections", Some(token), Some(body.clone())).await;
        assert_eq!((s, code_of(&v)), (*status, *code), "{what}: {v}");
    }
    let (s, v) = site.call("POST", "/api/v1/inspections", Some(&reg), Some(new_inspection(two_inspectors()))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["inspection"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("JC"), "{id}");
    assert_eq!(v["status_label"], "待检查");

    // The inspector's list has it; another inspector's does not.
    let mine = site.ok("GET", "/api/v1/inspections", &e1, None).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    let theirs = site.ok("GET", "/api/v1/inspections", &e3, None).await;
    assert_eq!(theirs, json!([]));
    let (s, v) = site.call("GET", "/api/v1/inspections?status=nonsense", Some(&e1), None).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
    let (s, _) =
        site.call("GET", &format!("/api/v1/inspections/{id}"), Some(&site.api.login("swj-handler").await), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another department does not see it");

    // On site: a photo and the drawn signature uploaded to the case, then the record.
    let view = site.ok("GET", &format!("/api/v1/inspections/{id}"), &e1, None).await;
    assert_eq!(view["actions"], json!(["record"]));
    let photo = site.photo(&e1, &format!("/api/v1/inspections/{id}/photos")).await;
    let sig = site.photo(&e1, &format!("/api/v1/inspections/{id}/photos")).await;
    site.api.step(Duration::hours(2));
    let signed = json!({"type": "signed", "image": sig, "signer": "刘海峰"});
    let at = "2026-11-16T02:30:00Z";
    let act = format!("/api/v1/inspections/{id}/actions");
    let bad_rows: Vec<(&str, Value, &str)> = vec![
        (
            "a photo not of this case",
            on_site("rectify", json!(["uploads/0011223344556677aabbccddeeff0011.png"]), signed.clone(), at),
            "invalid_field",
        ),
        (
            "passed with a failed item",
            {
                let mut b = on_site("rectify", json!([photo]), signed.clone(), at);
                b["on_site"]["outcome"] = json!("passed");
                b
            },
            "outcome_mismatch",
        ),
        (
            "no signature nor refusal",
            on_site("rectify", json!([photo]), json!({"type": "absent"}), at),
            "signature_missing",
        ),
        ("in the future", on_site("rectify", json!([photo]), signed.clone(), "2026-11-17T02:30:00Z"), "inspected_at"),
    ];
    for (what, body, code) in bad_rows {
        let (s, v) = site.call("POST", &act, Some(&e1), Some(body)).await;
        assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, code), "{what}: {v}");
    }
    let (s, v) = site.call("POST", &act, Some(&e3), Some(on_site("rectify", json!([photo]), signed.clone(), at))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "forbidden"), "not assigned: {v}");
    let v = site.ok("POST", &act, &e1, Some(on_site("rectify", json!([photo]), signed, at))).await;
    assert_eq!(
        (v["status_label"].as_str(), v["outcome_label"].as_str()),
        (Some("陈述申辩期"), Some("发现问题，责令整改"))
    );
    let (s, v) = site.call("POST", &act, Some(&reg), Some(json!({"action": "publish"}))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::CONFLICT, "not_final"), "{v}");
    // The enterprise's contact in the register is told, with the statement period's end.
    let told = site.texts_to(OWNER_PHONE).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains(&id) && told[0].contains("陈述申辩") && told[0].contains("云溪区好味小厨餐饮店"),
        "{told:?}"
    );

    // The enterprise sees it through its bound phone and answers it.
    let me = site.applicant_login(MINE).await;
    let list = site.ok("GET", &format!("/api/v1/applicant/enterprises/{SHOP}/inspections"), &me, None).await;
    assert_eq!(list[0]["inspection"]["id"], id.as_str(), "{list}");
    let other = site.applicant_login("13900004444").await;
    let (s, _) =
        site.call("GET", &format!("/api/v1/applicant/enterprises/{SHOP}/inspections"), Some(&other), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a phone not bound");
    let (s, _) = site.call("GET", &format!("/api/v1/applicant/inspections/{id}"), Some(&other), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let statement = format!("/api/v1/applicant/inspections/{id}/statement");
    let (s, v) =
        site.call("POST", &statement, Some(&me), Some(json!({"text": "健康证明已在办理", "files": [photo]}))).await;
    assert_eq!(
        (s, code_of(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        "a file not the applicant's: {v}"
    );
    let (s, v) = site.call("POST", &statement, Some(&me), Some(json!({"text": "  "}))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{v}");
    let file = site.applicant_upload(&me).await;
    let v = site.ok("POST", &statement, &me, Some(json!({"text": "健康证明已在办理", "files": [file]}))).await;
    assert_eq!(v["status_label"], "申辩待答复");
    let (s, v) = site.call("POST", &statement, Some(&me), Some(json!({"text": "再说一次"}))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::CONFLICT, "transition_not_allowed"), "{v}");

    // The department rejects it: final, followed up at once.
    let (s, v) =
        site.call("POST", &act, Some(&reg), Some(json!({"action": "answer", "accepted": true, "reply": "x"}))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "outcome_unchanged"), "{v}");
    let v = site
        .ok("POST", &act, &reg, Some(json!({"action": "answer", "accepted": false, "reply": "健康证明过期属实"})))
        .await;
    assert_eq!(v["status_label"], "待公示");
    let rect = v["inspection"]["rectification"].as_str().expect("a rectification opened").to_owned();
    assert!(rect.starts_with("ZG"), "{rect}");
    let told = site.texts_to(OWNER_PHONE).await;
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told[1].contains(&rect) && told[1].contains("责令") && told[1].contains("前完成整改"), "{told:?}");
    assert_eq!(site.facts().await, [FactKind::InspectionFailed]);
    assert_eq!(site.ok("GET", "/api/v1/supervision/results", "", None).await, json!([]), "not published yet");
    let v = site.ok("POST", &act, &reg, Some(json!({"action": "publish"}))).await;
    assert_eq!(v["status_label"], "已公示");
    let (s, results) = site.call("GET", "/api/v1/supervision/results", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((results[0]["case"].as_str(), results[0]["outcome"].as_str()), (Some(id.as_str()), Some("rectify")));
    assert!(!results.to_string().contains("刘海峰"), "no personal data: {results}");
    let (s, csv) = site.call("GET", "/api/v1/supervision/results.csv", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let csv = csv.as_str().unwrap();
    assert!(csv.contains("云溪区好味小厨餐饮店") && csv.contains("发现问题，责令整改") && csv.contains(&id), "{csv}");

    // The rectification: the enterprise reports with evidence; the re-inspection passes.
    let list = site.ok("GET", &format!("/api/v1/applicant/enterprises/{SHOP}/rectifications"), &me, None).await;
    assert_eq!(list[0]["rectification"]["id"], rect.as_str(), "{list}");
    assert_eq!(list[0]["actions"], json!(["report"]));
    let report = format!("/api/v1/applicant/rectifications/{rect}/report");
    let (s, v) = site.call("POST", &report, Some(&me), Some(json!({"text": "已补办"}))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "evidence_missing"), "{v}");
    let (s, v) = site.call("POST", &report, Some(&other), Some(json!({"text": "已补办", "files": []}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let evidence = site.applicant_upload(&me).await;
    let v = site.ok("POST", &report, &me, Some(json!({"text": "两人已补办健康证明", "files": [evidence]}))).await;
    assert_eq!(v["status_label"], "待复查");
    let ract = format!("/api/v1/rectifications/{rect}/actions");
    let (s, v) =
        site.call("POST", &ract, Some(&me), Some(json!({"action": "recheck", "passed": true, "note": "x"}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, v) = site.call("POST", &ract, Some(&e1), Some(json!({"action": "follow"}))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{v}");
    let queue = site.ok("GET", "/api/v1/rectifications?open=true", &reg, None).await;
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    let v = site
        .ok("POST", &ract, &e1, Some(json!({"action": "recheck", "passed": true, "note": "现场复查，健康证明齐全"})))
        .await;
    assert_eq!((v["status_label"].as_str(), v["rectification"]["on_time"].as_bool()), (Some("已整改销号"), Some(true)));
    assert_eq!(site.facts().await, [FactKind::InspectionFailed, FactKind::RectifiedOnTime]);
    // Nothing is followed up twice by the scheduler's repair.
    site.api.blocking(|app| app.tick().unwrap()).await;
    assert_eq!(site.facts().await, [FactKind::InspectionFailed, FactKind::RectifiedOnTime]);
    let v = site.ok("GET", &format!("/api/v1/inspections/{id}"), &reg, None).await;
    assert_eq!(v["inspection"]["followed"], true);
}

/// Acceptance (#15): with the clock stepped a day at a time and the scheduler ticking,
/// a result left unpublished is red on working day 21 after the inspection's end, not
/// before; a passed result is final at once and counts on the register.
async fn an_unpublished_result_turns_red_on_working_day_21(backend: Backend) {
    let site = Site::new(backend);
    site.register_and_bind().await;
    let reg = site.api.login("scjgj-regulator").await;
    let e1 = site.api.login("scjgj-enforcer1").await;
    let v = site.ok("POST", "/api/v1/inspections", &reg, Some(new_inspection(two_inspectors()))).await;
    let id = v["inspection"]["id"].as_str().unwrap().to_owned();
    site.api.step(Duration::hours(1));
    let refused = json!({"type": "refused", "reason": "负责人不在场"});
    let v = site
        .ok(
            "POST",
            &format!("/api/v1/inspections/{id}/actions"),
            &e1,
            Some(on_site("passed", json!([]), refused, "2026-11-16T01:30:00Z")),
        )
        .await;
    assert_eq!(v["status_label"], "待公示");
    assert_eq!(site.facts().await, [FactKind::InspectionPassed]);
    let calendar = yiwang_core::calendar::Calendar::bundled();
    let mut working = 0;
    let mut red_on = None;
    for _ in 0..45 {
        site.api.step(Duration::days(1));
        let today = yiwang_core::calendar::civil_date(site.api.app.now());
        if calendar.is_working_day(today) {
            working += 1;
        }
        let case = yiwang_core::id::CaseId::parse(&id).unwrap();
        let stage = site
            .api
            .blocking(move |app| {
                use yiwang_core::deadline::Clocks;
                app.tick().unwrap();
                app.load_as::<yiwang_core::inspection::InspectionKind>(&case).unwrap().clocks.worst_stage()
            })
            .await;
        if stage == yiwang_core::deadline::Stage::Red && red_on.is_none() {
            red_on = Some(working);
        }
    }
    assert_eq!(red_on, Some(21));
    let reg = site.api.login("scjgj-regulator").await;
    let v =
        site.ok("POST", &format!("/api/v1/inspections/{id}/actions"), &reg, Some(json!({"action": "publish"}))).await;
    assert_eq!((v["status_label"].as_str(), v["stage"].as_str()), (Some("已公示"), Some("green")));
}

/// 问题移送: the centre's operator refers the restaurant an appeal is about to the
/// 生态环境局; the appeal lists the inspection it caused; the department assigns it.
async fn an_appeal_refers_an_enterprise_into_supervision(backend: Backend) {
    let site = Site::new(backend);
    site.register_and_bind().await;
    let (appeal, _) = site.api.citizen_appeal().await;
    let op = site.api.login("operator1").await;
    let refer = format!("/api/v1/cases/{appeal}/referrals");
    let body = json!({"enterprise": SHOP, "unit": "sthjj", "reason": "油烟扰民：排烟口正对居民楼"});
    let rows: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "a bad credit code",
            json!({"enterprise": "91350100M000100Y44", "unit": "sthjj", "reason": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "not in the register, no name",
            json!({"enterprise": "91110000600037341L", "unit": "sthjj", "reason": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "no reason",
            json!({"enterprise": SHOP, "unit": "sthjj", "reason": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "an unknown unit",
            json!({"enterprise": SHOP, "unit": "nowhere", "reason": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_unit",
        ),
    ];
    for (what, b, status, code) in rows {
        let (s, v) = site.call("POST", &refer, Some(&op), Some(b)).await;
        assert_eq!((s, code_of(&v)), (status, code), "{what}: {v}");
    }
    let (s, v) = site.call("POST", "/api/v1/cases/YW20991231000001/referrals", Some(&op), Some(body.clone())).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = site.call("POST", &refer, Some(&op), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["inspection"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (v["status_label"].as_str(), v["inspection"]["source"]["type"].as_str()),
        (Some("待指派"), Some("referral"))
    );
    assert_eq!(v["inspection"]["enterprise_name"], "云溪区好味小厨餐饮店", "the register's name");
    let caused = site.ok("GET", &format!("/api/v1/cases/{appeal}/inspections"), &op, None).await;
    assert_eq!(caused[0]["id"], id.as_str(), "{caused}");
    // The department assigns its inspectors; then it is theirs.
    let reg = site.api.login("sthjj-regulator").await;
    let act = format!("/api/v1/inspections/{id}/actions");
    let assign = json!({"action": "assign", "inspectors": [
        {"id": "HB0001", "name": "叶秋实", "unit": "sthjj", "username": "sthjj-enforcer1"}
    ]});
    let (s, v) = site.call("POST", &act, Some(&op), Some(assign.clone())).await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");
    let v = site.ok("POST", &act, &reg, Some(assign)).await;
    assert_eq!(v["status_label"], "待检查");
    let e = site.api.login("sthjj-enforcer1").await;
    let mine = site.ok("GET", "/api/v1/inspections", &e, None).await;
    assert_eq!(mine[0]["id"], id.as_str(), "{mine}");
}

on_both_stores!(
    an_inspection_runs_from_the_record_to_a_closed_rectification,
    an_unpublished_result_turns_red_on_working_day_21,
    an_appeal_refers_an_enterprise_into_supervision,
);

/// The console's on-site form, in-process: the inspector's list links the inspection,
/// its page has the form with the signature pad; the posted form (a photo, the drawn
/// signature as a PNG data URL, the phone's place) records the inspection; the appeal's
/// referral page and the public results page answer.
#[tokio::test]
async fn an_inspector_records_an_inspection_on_the_console_form() {
    use crate::task_pages::{multipart, send_up, text};
    use base64::Engine;
    let api = Api::new();
    let dir = tempfile::tempdir().unwrap();
    let reg = api.login("scjgj-regulator").await;
    let (s, v) = api.call("POST", "/api/v1/inspections", Some(&reg), Some(new_inspection(two_inspectors()))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["inspection"]["id"].as_str().unwrap().to_owned();
    let (cookie, csrf) = crate::ui::console_login(&api, "scjgj-enforcer1").await;
    let (s, _, list) = crate::ui::send(&api, crate::ui::get("/console/inspections", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains(&format!("/console/inspections/{id}")), "{list}");
    let (s, _, one) = crate::ui::send(&api, crate::ui::get(&format!("/console/inspections/{id}"), Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(one.contains("inspection-form") && one.contains("sig-canvas") && one.contains("从业人员健康证明"), "{one}");
    api.step(Duration::minutes(30));
    let sig = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(PNG));
    let path = format!("/console/inspections/{id}/act");
    let fields = [
        ("_csrf", csrf.as_str()),
        ("action", "record"),
        ("c.1", "conforms"),
        ("c.2", "fails"),
        ("n.2", "两名从业人员健康证明过期"),
        ("outcome", "rectify"),
        ("rectify_days", "15"),
        ("summary", "检查了后厨"),
        ("lon", "116.220000"),
        ("lat", "39.870000"),
        ("signature_png", sig.as_str()),
        ("signer", "刘海峰"),
    ];
    let (s, h, body) = send_up(&api, dir.path(), multipart(&path, &cookie, &fields, &[("photos", "a.png", PNG)])).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{}", text(&body));
    assert_eq!(h["location"], format!("/console/inspections/{id}?done=1"));
    let v = api.call("GET", &format!("/api/v1/inspections/{id}"), Some(&reg), None).await.1;
    let o = &v["inspection"]["on_site"];
    assert_eq!((o["photos"].as_array().unwrap().len(), o["signature"]["type"].as_str()), (1, Some("signed")), "{v}");
    assert_eq!(o["place"], json!([116.22, 39.87]));
    // Again: refused, said on the page.
    let (s, _, body) = send_up(&api, dir.path(), multipart(&path, &cookie, &fields, &[])).await;
    assert_eq!(s, StatusCode::CONFLICT, "{}", text(&body));
    assert!(text(&body).contains("陈述申辩期"), "{}", text(&body));
    // The referral page of an appeal, and the public results.
    let (appeal, _) = api.citizen_appeal().await;
    let (op, op_csrf) = crate::ui::console_login(&api, "operator1").await;
    let (s, _, page) =
        crate::ui::send(&api, crate::ui::get(&format!("/console/cases/{appeal}/refer"), Some(&op))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("移送监管"));
    let form = format!(
        "_csrf={}&enterprise={SHOP}&enterprise_name=%E5%A5%BD%E5%91%B3%E5%B0%8F%E5%8E%A8&unit=sthjj&reason=%E6%B2%B9%E7%83%9F%E6%89%B0%E6%B0%91",
        op_csrf
    );
    let (s, h, _) =
        crate::ui::send(&api, crate::ui::post_form(&format!("/console/cases/{appeal}/refer"), Some(&op), &form)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let inspection = h["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/console/inspections/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let (_, _, page) = crate::ui::send(&api, crate::ui::get(&format!("/console/cases/{appeal}"), Some(&op))).await;
    assert!(page.contains(&format!("/console/inspections/{inspection}")), "the appeal links the inspection it caused");
    let (s, _, page) = crate::ui::send(&api, crate::ui::get("/supervision/results", None)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("检查结果公示"));
}
