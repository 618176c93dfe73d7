//! The applicant's own side of 一网通办 over the API, on both stores: a login code sent
//! by SMS through the outbox (read back from a real HTTP gateway) and given back once;
//! 我的办件 listing what was filed with that phone at a window and online; an online
//! application with a file the applicant uploaded; acting for an enterprise only with a
//! window's authorisation (企业授权), and no longer once it is revoked; 补正 and 撤回
//! online; and every refusal with its code.

use crate::harness::{Api, Backend, code_of};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;
use yiwang_app::notify::{HttpSmsConfig, NotifyConfig};

const MINE: &str = "13900001111";
const OTHER: &str = "13900002222";
const SHOP: &str = "91350100M000100Y43";

struct Portal {
    api: Api,
    uploads: tempfile::TempDir,
    sms: Arc<Mutex<Vec<String>>>,
    senders: Arc<yiwang_app::notify::Senders>,
}

impl Portal {
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
        Portal {
            api: Api::on(backend),
            uploads: tempfile::tempdir().unwrap(),
            sms,
            senders: Arc::new(config.senders()),
        }
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let config = yiwang_web::WebConfig { uploads_dir: Some(self.uploads.path().into()), ..Default::default() };
        let resp = yiwang_web::router_with(self.api.app.clone(), &config).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
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

    /// The code the gateway received for `phone`: the outbox sent for real.
    async fn code_sent_to(&self, phone: &str) -> String {
        let senders = self.senders.clone();
        let run = self.api.blocking(move |app| app.send_notices(&senders, 100).unwrap()).await;
        assert_eq!(run.given_up, 0, "{run:?}");
        let texts = self.sms.lock().unwrap().clone();
        let last = texts
            .iter()
            .rev()
            .map(|b| serde_json::from_str::<Value>(b).unwrap())
            .find(|t| t["mobile"] == phone)
            .unwrap_or_else(|| panic!("no SMS to {phone}: {texts:?}"));
        let text = last["content"].as_str().unwrap().to_owned();
        assert!(text.contains("登录验证码") && text.contains("【云溪区政务服务】"), "{text}");
        text.chars().filter(char::is_ascii_digit).take(6).collect()
    }

    /// Logs `phone` in: a code asked for, read from the SMS, given back.
    async fn login(&self, phone: &str) -> String {
        let (s, sent) = self.call("POST", "/api/v1/applicant/code", None, Some(json!({"phone": phone}))).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{sent}");
        let code = self.code_sent_to(phone).await;
        let body = json!({"phone": phone, "nonce": sent["nonce"], "code": code});
        let (s, v) = self.call("POST", "/api/v1/applicant/login", None, Some(body)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_owned()
    }

    async fn upload(&self, token: &str, bytes: &[u8]) -> (StatusCode, Value) {
        let boundary = "yiwangboundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"id.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/applicant/uploads")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn an_applicant_logs_in_by_sms_and_applies_online(backend: Backend) {
    let p = Portal::new(backend);
    // Bad phones and a second code within the minute are refused.
    for bad in ["1390000111", "0591-87654321", "abc"] {
        let (s, e) = p.call("POST", "/api/v1/applicant/code", None, Some(json!({"phone": bad}))).await;
        assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{bad}: {e}");
    }
    let (s, sent) = p.call("POST", "/api/v1/applicant/code", None, Some(json!({"phone": MINE}))).await;
    assert_eq!((s, sent["phone"].as_str()), (StatusCode::ACCEPTED, Some("139****1111")), "{sent}");
    let (s, e) = p.call("POST", "/api/v1/applicant/code", None, Some(json!({"phone": MINE}))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::TOO_MANY_REQUESTS, "throttled"), "{e}");
    // The outbox keeps no code: its entry names the nonce, and the code is made as it is sent.
    let outbox = p.api.blocking(|app| app.outbox(&yiwang_store::OutboxQuery { limit: 10, ..Default::default() })).await;
    let entry = outbox.unwrap().into_iter().find(|e| e.template.starts_with("login_code/")).unwrap();
    assert_eq!((entry.case_id, entry.to.as_deref()), (None, Some("sms:13900001111")));
    let code = p.code_sent_to(MINE).await;
    assert!(!entry.template.contains(&code));
    let login = |code: &str, nonce: &Value| json!({"phone": MINE, "nonce": nonce, "code": code});
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let (s, e) = p.call("POST", "/api/v1/applicant/login", None, Some(login(wrong, &sent["nonce"]))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{e}");
    let (s, e) = p.call("POST", "/api/v1/applicant/login", None, Some(login(&code, &json!("ffffffff-00")))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a made-up nonce: {e}");
    let (s, v) = p.call("POST", "/api/v1/applicant/login", None, Some(login(&code, &sent["nonce"]))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let me = v["token"].as_str().unwrap().to_owned();
    let (s, e) = p.call("POST", "/api/v1/applicant/login", None, Some(login(&code, &sent["nonce"]))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "a code is used once: {e}");
    // No token, or a forged one, is no login.
    let (s, e) = p.call("GET", "/api/v1/applicant/applications", None, None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let forged = me.replacen("13900001111", "13900002222", 1);
    let (s, _) = p.call("GET", "/api/v1/applicant/applications", Some(&forged), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // What a window filed with this phone is in 我的办件.
    let clerk = p.api.login("scjgj-clerk").await;
    let window = json!({
        "service": "food-business",
        "applicant": {"name": "刘海峰", "phone": MINE},
        "enterprise": {"code": SHOP, "name": "云溪区好味小厨餐饮店"},
        "form": {"shop-name": "好味小厨", "address": "云溪区府前街18号", "kind": "热食类食品制售", "area-sqm": "85"},
        "materials": [{"material": "application-form", "paper": true}]
    });
    let (s, v) = p.call("POST", "/api/v1/applications", Some(&clerk), Some(window)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let at_window = v["application"]["id"].as_str().unwrap().to_owned();
    let (s, list) = p.call("GET", "/api/v1/applicant/applications", Some(&me), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!((list[0]["id"].as_str(), list[0]["online"].as_bool()), (Some(at_window.as_str()), Some(false)));

    // 生育登记 online, for herself, with a scan she uploads.
    let (s, up) = p.upload(&me, PDF).await;
    assert_eq!(s, StatusCode::CREATED, "{up}");
    let file = up["file"].as_str().unwrap().to_owned();
    let (s, e) = p.upload(&me, b"not a document").await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{e}");
    let birth = |file: &str| {
        json!({
            "service": "birth-registration",
            "name": "林晓",
            "form": {"due-date": "2027-03-01"},
            "materials": [{"material": "id-cards", "files": [file]}]
        })
    };
    // Another applicant cannot put her file in theirs.
    let other = p.login(OTHER).await;
    let (s, e) = p.call("POST", "/api/v1/applicant/applications", Some(&other), Some(birth(&file))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{e}");
    let (s, v) = p.call("POST", "/api/v1/applicant/applications", Some(&me), Some(birth(&file))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let online = v["id"].as_str().unwrap().to_owned();
    assert_eq!((v["visits"].as_u64(), v["service_name"].as_str()), (Some(0), Some("生育登记")), "{v}");
    let (_, list) = p.call("GET", "/api/v1/applicant/applications", Some(&me), None).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!((list[0]["id"].as_str(), list[0]["online"].as_bool()), (Some(online.as_str()), Some(true)));
    // The department sees the file; the other applicant sees nothing of hers.
    let wjw = p.api.login("wjw-clerk").await;
    let (s, v) = p.call("GET", &format!("/api/v1/applications/{online}"), Some(&wjw), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["application"]["channel"], "online");
    assert_eq!(v["application"]["materials"][0]["files"][0].as_str(), Some(file.as_str()), "{v}");
    let (s, _) = p.call("GET", &format!("/api/v1/applicant/applications/{online}"), Some(&other), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, theirs) = p.call("GET", "/api/v1/applicant/applications", Some(&other), None).await;
    assert_eq!(theirs, json!([]));

    // For the enterprise only once a window has bound her phone to it.
    let shop = |materials: Value| {
        json!({
            "service": "signboard", "name": "刘海峰", "enterprise": SHOP,
            "form": {"text": "好味小厨", "size": "3.5"}, "materials": materials
        })
    };
    let (s, e) = p.call("POST", "/api/v1/applicant/applications", Some(&me), Some(shop(json!([])))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("企业授权"), "{e}");
    let grant = json!({
        "enterprise": SHOP, "enterprise_name": "云溪区好味小厨餐饮店",
        "document": "授权委托书（2026-11-16），营业执照副本，经办人身份证",
        "valid_until": "2027-11-15",
        "agent": {"name": "刘海峰", "phone": MINE}
    });
    let cgw = p.api.login("cgw-clerk").await;
    let mut bad = grant.clone();
    bad["enterprise"] = json!("91350100M000100Y44");
    let (s, e) = p.call("POST", "/api/v1/authorisations", Some(&cgw), Some(bad)).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "a wrong check character: {e}");
    let mut bad = grant.clone();
    bad["valid_until"] = json!("2026-11-01");
    let (s, e) = p.call("POST", "/api/v1/authorisations", Some(&cgw), Some(bad)).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "valid_until_past"), "{e}");
    let leader = p.api.login("leader1").await;
    let (s, _) = p.call("POST", "/api/v1/authorisations", Some(&leader), Some(grant.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only a window clerk binds");
    let (s, g) = p.call("POST", "/api/v1/authorisations", Some(&cgw), Some(grant)).await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let bound = g["authorisation"]["id"].as_str().unwrap().to_owned();
    assert!(bound.starts_with("SQ"), "{bound}");
    assert_eq!((g["in_force"].as_bool(), g["agent"].as_str()), (Some(true), Some("刘海峰 139****1111")));
    let (s, v) = p.call("POST", "/api/v1/applicant/applications", Some(&me), Some(shop(json!([])))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let for_shop = v["id"].as_str().unwrap().to_owned();
    let (s, e) = p.call("POST", "/api/v1/applicant/applications", Some(&other), Some(shop(json!([])))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another phone is not bound: {e}");
    let (_, mine) = p.call("GET", "/api/v1/applicant/authorisations", Some(&me), None).await;
    assert_eq!(mine[0]["authorisation"]["enterprise"], SHOP, "{mine}");

    // 补正 online: the window asks, she uploads.
    let ask = json!({"action": "ask_supplement", "missing": [{"material": "design", "what": "招牌设计效果图"}]});
    let (s, v) = p.call("POST", &format!("/api/v1/applications/{for_shop}/actions"), Some(&cgw), Some(ask)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = p.call("GET", &format!("/api/v1/applicant/applications/{for_shop}"), Some(&me), None).await;
    assert_eq!(v["missing"], json!(["招牌设计效果图"]), "{v}");
    let (_, list) = p.call("GET", "/api/v1/applicant/applications", Some(&me), None).await;
    assert_eq!(list[0]["to_do"], "请补正材料", "{list}");
    let (_, up) = p.upload(&me, PDF).await;
    let supplement = json!({"action": "supplement", "materials": [{"material": "design", "files": [up["file"]]}]});
    let path = format!("/api/v1/applicant/applications/{for_shop}/actions");
    let (s, e) = p
        .call(
            "POST",
            &path,
            Some(&me),
            Some(json!({"action": "supplement", "materials": [{"material": "design", "paper": true}]})),
        )
        .await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "no paper online: {e}");
    let (s, v) = p.call("POST", &path, Some(&me), Some(supplement)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["status_label"].as_str(), v["visits"].as_u64()), (Some("待受理"), Some(0)), "{v}");

    // Revoked at the window: she may no longer act for the shop.
    let (s, v) = p
        .call(
            "POST",
            &format!("/api/v1/authorisations/{bound}/revoke"),
            Some(&clerk),
            Some(json!({"reason": "企业申请解除"})),
        )
        .await;
    assert_eq!((s, v["in_force"].as_bool()), (StatusCode::OK, Some(false)), "{v}");
    let (s, e) = p.call("POST", &path, Some(&me), Some(json!({"action": "withdraw", "reason": "不再需要"}))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    // Her own application she withdraws herself.
    let path = format!("/api/v1/applicant/applications/{at_window}/actions");
    let (s, e) = p.call("POST", &path, Some(&me), Some(json!({"action": "withdraw"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the window's application was for the shop too: {e}");
    let (s, e) = p
        .call(
            "POST",
            &format!("/api/v1/applicant/applications/{online}/actions"),
            Some(&me),
            Some(json!({"action": "fly"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // The record of everything verifies.
    let report = p.api.blocking(|app| app.store().verify().unwrap()).await;
    assert!(report.is_intact(), "{:?}", report.breaks);
}

async fn wrong_codes_are_limited_per_phone(backend: Backend) {
    let p = Portal::new(backend);
    let (_, sent) = p.call("POST", "/api/v1/applicant/code", None, Some(json!({"phone": MINE}))).await;
    let code = p.code_sent_to(MINE).await;
    let wrong = if code == "123456" { "654321" } else { "123456" };
    for _ in 0..5 {
        let (s, _) = p
            .call(
                "POST",
                "/api/v1/applicant/login",
                None,
                Some(json!({"phone": MINE, "nonce": sent["nonce"], "code": wrong})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The right code no longer helps: five wrong ones lock the phone's logins for a while.
    let (s, e) = p
        .call(
            "POST",
            "/api/v1/applicant/login",
            None,
            Some(json!({"phone": MINE, "nonce": sent["nonce"], "code": code})),
        )
        .await;
    assert_eq!((s, code_of(&e)), (StatusCode::TOO_MANY_REQUESTS, "throttled"), "{e}");
    // A code expires after ten minutes.
    p.api.step(chrono::Duration::minutes(11));
    let (_, sent) = p.call("POST", "/api/v1/applicant/code", None, Some(json!({"phone": MINE}))).await;
    let code = p.code_sent_to(MINE).await;
    p.api.step(chrono::Duration::minutes(11));
    let (s, _) = p
        .call(
            "POST",
            "/api/v1/applicant/login",
            None,
            Some(json!({"phone": MINE, "nonce": sent["nonce"], "code": code})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "expired");
}

/// 新生儿出生一件事 online: the answers choose two parts, each filed as one of the
/// applicant's applications with the shared form and the one set of files.
async fn an_applicant_files_a_bundle_online(backend: Backend) {
    let p = Portal::new(backend);
    let me = p.login(MINE).await;
    let (_, a) = p.upload(&me, PDF).await;
    let (_, b) = p.upload(&me, PDF).await;
    let (_, c) = p.upload(&me, PDF).await;
    let bundle = |answers: Value| {
        json!({
            "bundle": "newborn", "name": "林晓", "answers": answers,
            "form": {"baby-name": "林小雨", "baby-sex": "女", "birth-date": "2026-11-10",
                     "hospital": "云溪区妇幼保健院", "address": "云溪区府前街18号"},
            "materials": [
                {"material": "parents-id", "files": [a["file"]]},
                {"material": "delivery-record", "files": [b["file"]]},
                {"material": "hukou-book", "files": [c["file"]]}
            ]
        })
    };
    let (s, e) = p.call("POST", "/api/v1/applicant/bundles", Some(&me), Some(bundle(json!({"insure": "是"})))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "answer_missing"), "{e}");
    let (s, e) =
        p.call("POST", "/api/v1/applicant/bundles", None, Some(bundle(json!({"insure": "否", "card": "否"})))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
    let (s, v) = p
        .call("POST", "/api/v1/applicant/bundles", Some(&me), Some(bundle(json!({"insure": "否", "card": "否"}))))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["bundle"]["id"].as_str().unwrap().starts_with("YJ"), "{v}");
    let parts: Vec<&str> = v["parts"].as_array().unwrap().iter().map(|x| x["service"].as_str().unwrap()).collect();
    assert_eq!(parts, ["birth-certificate", "newborn-hukou"], "{v}");
    let (_, list) = p.call("GET", "/api/v1/applicant/applications", Some(&me), None).await;
    let mut services: Vec<&str> = list.as_array().unwrap().iter().map(|x| x["service"].as_str().unwrap()).collect();
    services.sort();
    assert_eq!(services, ["birth-certificate", "newborn-hukou"], "both parts are hers: {list}");
    assert!(list.as_array().unwrap().iter().all(|x| x["online"] == true), "{list}");
}

/// The applicant pays a fee-bearing service online (the reference of the payment) once
/// it is granted, the window certifies it then, and the applicant rates it with the
/// online dimensions.
async fn an_applicant_records_the_payment_online_and_rates_with_dimensions(backend: Backend) {
    let p = Portal::new(backend);
    let phone = "13900002222";
    let me = p.login(phone).await;
    let cgw = p.api.login("cgw-clerk").await;
    let paper = |m: &str| json!({"material": m, "paper": true});
    let body = json!({
        "service": "road-occupation",
        "applicant": {"name": "周明", "phone": phone},
        "form": {"place": "湖畔路望湖公园北门西侧人行道", "from": "2026-12-01", "days": "7"},
        "materials": [paper("application-form"), paper("site-plan")]
    });
    let (s, v) = p.call("POST", "/api/v1/applications", Some(&cgw), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    let staff = format!("/api/v1/applications/{id}/actions");
    let mine = format!("/api/v1/applicant/applications/{id}/actions");
    let pay = json!({"action": "record_payment", "reference": "FS-2026-000901", "amount_fen": 35000, "paid_on": "2026-11-16"});
    let (s, e) = p.call("POST", &mine, Some(&me), Some(pay.clone())).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "not_payable"), "{e}");
    for (who, action) in [
        (&cgw, json!({"action": "accept"})),
        (&p.api.login("cgw-leader").await, json!({"action": "decide", "verdict": {"grant": true}})),
    ] {
        let (s, v) = p.call("POST", &staff, Some(who), Some(action)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let certify = json!({"action": "certify", "number": "ZD1", "valid_from": "2026-11-16"});
    let (s, e) = p.call("POST", &staff, Some(&cgw), Some(certify.clone())).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "payment_required"), "{e}");
    let wrong =
        json!({"action": "record_payment", "reference": "FS-2026-000901", "amount_fen": 100, "paid_on": "2026-11-16"});
    let (s, e) = p.call("POST", &mine, Some(&me), Some(wrong)).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "amount_mismatch"), "{e}");
    let (_, v) = p.call("GET", &format!("/api/v1/applicant/applications/{id}"), Some(&me), None).await;
    assert_eq!(v["payment_due"], 35000, "the portal offers 缴费 for the fee: {v}");
    let (s, v) = p.call("POST", &mine, Some(&me), Some(pay)).await;
    assert_eq!((s, &v["payment_due"]), (StatusCode::OK, &Value::Null), "{v}");
    let (s, v) = p.call("POST", &staff, Some(&cgw), Some(certify)).await;
    assert_eq!((s, v["application"]["payment"]["reference"].as_str()), (StatusCode::OK, Some("FS-2026-000901")), "{v}");
    let (s, v) = p.call("POST", &staff, Some(&cgw), Some(json!({"action": "deliver", "how": "post"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The holder finds the certificate's page, with its QR code, from 我的办件.
    let (_, v) = p.call("GET", &format!("/api/v1/applicant/applications/{id}"), Some(&me), None).await;
    let sid = v["certificate_status_id"].as_str().unwrap_or_else(|| panic!("no certificate to keep: {v}")).to_owned();
    let (s, c) = p.call("GET", &format!("/api/v1/certificates/{sid}"), None, None).await;
    assert_eq!((s, c["status"].as_str()), (StatusCode::OK, Some("valid")), "{c}");
    let rate = |dims: Value| json!({"action": "rate", "rating": "satisfied", "dimensions": dims});
    let (s, e) = p.call("POST", &mine, Some(&me), Some(rate(json!({"attitude": "satisfied"})))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "dimension_not_applicable"), "{e}");
    let (s, v) =
        p.call("POST", &mine, Some(&me), Some(rate(json!({"guide": "basic", "platform": "very_satisfied"})))).await;
    assert_eq!((s, v["rating"].as_str()), (StatusCode::OK, Some("satisfied")), "{v}");
    let (_, m) =
        p.call("GET", "/api/v1/service-indicators?month=2026-11", Some(&p.api.login("leader1").await), None).await;
    assert_eq!(m["district"]["scores"]["online.guide"]["total"].as_u64(), Some(3), "{m}");
}

on_both_stores!(
    an_applicant_logs_in_by_sms_and_applies_online,
    wrong_codes_are_limited_per_phone,
    an_applicant_files_a_bundle_online,
    an_applicant_records_the_payment_online_and_rates_with_dimensions
);

/// A page of the portal: status, headers, the body as text.
async fn page(p: &Portal, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let config = yiwang_web::WebConfig { uploads_dir: Some(p.uploads.path().into()), ..Default::default() };
    let resp = yiwang_web::router_with(p.api.app.clone(), &config).oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
}

fn form(path: &str, cookie: Option<&str>, body: &str) -> Request<Body> {
    let mut r = Request::builder().method("POST").uri(path).header("content-type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    r.body(Body::from(body.to_owned())).unwrap()
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::builder().uri(path).header("cookie", cookie).body(Body::empty()).unwrap()
}

/// The portal's login, as a browser does it: the phone, the code from the SMS; the
/// redirect and the cookie.
async fn portal_login(p: &Portal, next: &str) -> (String, String) {
    let (s, _, sent) =
        page(p, form("/my/code", None, &format!("phone={MINE}&next={}", next.replace('/', "%2F")))).await;
    assert_eq!(s, StatusCode::OK, "{sent}");
    assert!(sent.contains("验证码已发送至 139****1111"), "{sent}");
    let nonce = sent.split("name=\"nonce\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let code = p.code_sent_to(MINE).await;
    let body = format!("phone={MINE}&nonce={nonce}&code={code}&next={}", next.replace('/', "%2F"));
    let (s, headers, _) = page(p, form("/my/login", None, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let set = headers["set-cookie"].to_str().unwrap();
    assert!(set.starts_with("yw_applicant=") && set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    (set.split(';').next().unwrap().to_owned(), headers["location"].to_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_portal_logs_an_applicant_in_and_takes_an_application_with_its_file() {
    let p = Portal::new(Backend::Sqlite);
    let (s, headers, _) = page(&p, Request::builder().uri("/my").body(Body::empty()).unwrap()).await;
    assert_eq!((s, headers["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/my/login?next=/my"));
    let (cookie, to) = portal_login(&p, "/services/birth-registration/apply").await;
    assert_eq!(to, "/services/birth-registration/apply", "back where the login was asked for");

    let (s, _, html) = page(&p, get(&to, &cookie)).await;
    assert_eq!(s, StatusCode::OK);
    for want in ["在线申请：生育登记", "name=\"file.id-cards\"", "name=\"form.due-date\"", "夫妻双方居民身份证"]
    {
        assert!(html.contains(want), "{want} missing: {html}");
    }
    let boundary = "b0undary";
    let part = |name: &str, value: &str| {
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes()
    };
    let mut body = part("name", "林晓");
    body.extend(part("form.due-date", "2027-03-01"));
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file.id-cards\"; filename=\"id.pdf\"\r\nContent-Type: application/pdf\r\n\r\n")
            .into_bytes(),
    );
    body.extend_from_slice(PDF);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let multipart = |path: &str, body: Vec<u8>| {
        Request::builder()
            .method("POST")
            .uri(path)
            .header("cookie", &cookie)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap()
    };
    // Without a name it is answered on the form, nothing filed.
    let mut nameless = part("form.due-date", "2027-03-01");
    nameless.extend(format!("--{boundary}--\r\n").into_bytes());
    let (s, _, html) = page(&p, multipart(&to, nameless)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("请填写申请人（或经办人）的姓名和联系电话"), "{html}");
    let (s, headers, html) = page(&p, multipart(&to, body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");
    let mine = headers["location"].to_str().unwrap().to_owned();
    assert!(mine.starts_with("/my/applications/BJ"), "{mine}");
    let (_, _, html) = page(&p, get(&mine, &cookie)).await;
    assert!(html.contains("生育登记") && html.contains("待受理") && html.contains("撤回申请"), "{html}");
    let (_, _, html) = page(&p, get("/my", &cookie)).await;
    assert!(html.contains("我的办件") && html.contains("网上申请") && html.contains(&mine), "{html}");
    // Its file is with the application, for its department.
    let id = mine.trim_start_matches("/my/applications/").to_owned();
    let files = p.api.blocking(move |app| {
        use yiwang_core::application::ApplicationKind;
        app.store()
            .load(&yiwang_core::id::CaseId::parse(&id).unwrap())
            .unwrap()
            .unwrap()
            .state::<ApplicationKind>()
            .unwrap()
            .materials
            .clone()
    });
    let files = files.await;
    assert_eq!(files.len(), 1);
    let stored = files[0].files[0].trim_start_matches("uploads/").to_owned();
    assert_eq!(std::fs::read(p.uploads.path().join(stored)).unwrap(), PDF);

    // An enterprise's service needs a window's authorisation first.
    let (_, _, html) = page(&p, get("/services/signboard/apply", &cookie)).await;
    assert!(html.contains("id=\"no-binding\"") && !html.contains("提交申请"), "{html}");
    // Logged out, the pages ask for a login again.
    let (s, headers, _) = page(&p, form("/my/logout", Some(&cookie), "")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn a_login_goes_back_only_to_the_portals_own_pages() {
    let p = Portal::new(Backend::Sqlite);
    for next in ["//evil.example/my", "https://evil.example/", "/console"] {
        let (_, to) = portal_login(&p, next).await;
        assert_eq!(to, "/my", "{next}");
        p.api.step(chrono::Duration::seconds(61));
    }
}
