//! 一网通办 over the API, on both stores: the public service guide; an enterprise's
//! application registered at the window, asked once for what is missing (补正),
//! completed at the window, accepted, reviewed, decided, certified and delivered, with
//! its visits counted and the applicant told by SMS; the catalogue loaded again with a
//! changed service (a new version; the filed application keeps its own); a department
//! silent past §32's five days (the scheduler accepts the application from the day its
//! material arrived); and every refusal with its code.

use crate::harness::{Api, Backend, PHONE, code_of};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};
use std::sync::Arc;
use yiwang_app::notify::{HttpSmsConfig, NotifyConfig};
use yiwang_store::OutboxQuery;

/// 好味小厨 applies for its food business licence: the form filled, the application
/// form on paper, its business licence as an e-certificate; the floor plan and the
/// safety rules missing.
fn food_application() -> Value {
    json!({
        "service": "food-business",
        "applicant": {"name": "刘海峰", "phone": PHONE},
        "enterprise": {"code": "91350100M000100Y43", "name": "云溪区好味小厨餐饮店"},
        "form": {"shop-name": "好味小厨", "address": "云溪区府前街18号", "kind": "热食类食品制售", "area-sqm": "85"},
        "materials": [
            {"material": "application-form", "paper": true},
            {"material": "business-licence", "certificate": "YX-GSZZ-2026-000318"}
        ]
    })
}

async fn act(api: &Api, token: &str, id: &str, action: Value) -> (StatusCode, Value) {
    api.call("POST", &format!("/api/v1/applications/{id}/actions"), Some(token), Some(action)).await
}

async fn act_ok(api: &Api, token: &str, id: &str, action: Value) -> Value {
    let (s, v) = act(api, token, id, action.clone()).await;
    assert_eq!(s, StatusCode::OK, "{action} → {v}");
    v
}

async fn an_application_goes_from_the_window_to_its_certificate(backend: Backend) {
    let api = Api::on(backend);
    // The guide is public.
    let (s, list) = api.call("GET", "/api/v1/services", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 24, "the demo's catalogue");
    let (_, found) = api.call("GET", "/api/v1/services?q=%E9%A3%9F%E5%93%81", None, None).await; // 食品
    assert_eq!(found[0]["code"], "food-business", "{found}");
    assert_eq!(
        (found[0]["department_name"].as_str(), found[0]["depth_label"].as_str()),
        (Some("市场监管局"), Some("全程网办"))
    );
    let (s, guide) = api.call("GET", "/api/v1/services/food-business", None, None).await;
    assert_eq!((s, guide["legal_days"].as_u64(), guide["promised_days"].as_u64()), (StatusCode::OK, Some(20), Some(5)));
    assert_eq!(guide["materials"].as_array().unwrap().len(), 4);
    let (s, e) = api.call("GET", "/api/v1/services/no-such-service", None, None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::NOT_FOUND, "not_found"));

    let clerk = api.login("scjgj-clerk").await;
    let (s, v) = api.call("POST", "/api/v1/applications", Some(&clerk), Some(food_application())).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("BJ"), "{id}");
    assert_eq!((v["status_label"].as_str(), v["detail"]["visits"].as_u64()), (Some("待受理"), Some(1)));
    assert_eq!(v["application"]["service"]["version"], 1);
    // It is the department's work now, with the §32 clock's time left.
    let (_, todo) = api.call("GET", "/api/v1/todo?kind=application", Some(&clerk), None).await;
    let item = todo["items"].as_array().unwrap().iter().find(|i| i["id"] == id.as_str()).cloned();
    let item = item.unwrap_or_else(|| panic!("not in the clerk's todo: {todo}"));
    assert_eq!((item["kind_label"].as_str(), item["working"].as_bool()), (Some("办件"), Some(true)));
    // Another department does not see it.
    let other = api.login("cgw-clerk").await;
    let (s, _) = api.call("GET", &format!("/api/v1/applications/{id}"), Some(&other), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = act(&api, &other, &id, json!({"action": "accept"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::NOT_FOUND, "not_found"), "{e}");

    // 补正: everything missing, at once.
    let missing = json!({"action": "ask_supplement", "on_the_spot": true, "missing": [
        {"material": "floor-plan", "what": "经营场所平面布局图和设备布局图"},
        {"material": "safety-rules", "what": "食品安全管理制度文本"}
    ]});
    let reviewer = api.login("scjgj-reviewer").await;
    let (s, e) = act(&api, &reviewer, &id, missing.clone()).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    let v = act_ok(&api, &clerk, &id, missing.clone()).await;
    assert_eq!(v["status_label"], "待补正");
    api.step(Duration::hours(3));
    let rest = json!({"action": "supplement", "in_person": true, "materials": [
        {"material": "floor-plan", "paper": true}, {"material": "safety-rules", "paper": true}
    ]});
    let v = act_ok(&api, &clerk, &id, rest).await;
    assert_eq!((v["status_label"].as_str(), v["detail"]["visits"].as_u64()), (Some("待受理"), Some(2)));
    let (s, e) = act(&api, &clerk, &id, missing).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "supplement_once"), "{e}");

    // 受理, 审查, 决定, 制证, 送达.
    act_ok(&api, &clerk, &id, json!({"action": "accept"})).await;
    act_ok(&api, &reviewer, &id, json!({"action": "review", "opinion": "材料齐全，现场核查符合要求", "grant": true}))
        .await;
    let approver = api.login("scjgj-approver").await;
    let (s, e) = act(&api, &approver, &id, json!({"action": "decide", "verdict": {"grant": false}})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "reasons_required"), "{e}");
    let v = act_ok(&api, &approver, &id, json!({"action": "decide", "verdict": {"grant": true}})).await;
    assert_eq!((v["status_label"].as_str(), v["detail"]["on_time"].as_bool()), (Some("待制证"), Some(true)));
    let certify = json!({"action": "certify", "number": "JY13501020260001", "valid_from": "2026-11-16", "valid_until": "2031-11-15"});
    act_ok(&api, &clerk, &id, certify).await;
    let v = act_ok(&api, &clerk, &id, json!({"action": "deliver", "how": "electronic"})).await;
    assert_eq!((v["status_label"].as_str(), v["detail"]["visits"].as_u64()), (Some("已办结"), Some(2)));
    assert_eq!(v["detail"]["certificate"], "JY13501020260001");
    // The e-certificate is signed, and anyone can look it up by its status id.
    let sid = v["detail"]["certificate_status_id"].as_str().expect("a signed certificate").to_owned();
    let (s, c) = api.call("GET", &format!("/api/v1/certificates/{sid}"), None, None).await;
    assert_eq!((s, c["status"].as_str()), (StatusCode::OK, Some("valid")), "{c}");
    let doc: yiwang_core::application::certificate::SignedCertificate =
        serde_json::from_value(c["certificate"].clone()).unwrap();
    assert_eq!(
        (doc.document.holder.as_str(), doc.document.holder_code.as_deref()),
        ("云溪区好味小厨餐饮店", Some("91350100M000100Y43"))
    );
    assert!(doc.document.items.iter().any(|i| i.label == "经营项目" && i.value == "热食类食品制售"), "{c}");
    let keys = api.app.config().keyring.public_keys();
    assert!(yiwang_app::keyring::verifies(&keys, &doc.key_id, &doc.document.message(), &doc.signature));
    let mut forged = doc.clone();
    forged.document.valid_until = None;
    assert!(!yiwang_app::keyring::verifies(&keys, &forged.key_id, &forged.document.message(), &forged.signature));
    let (s, _) = api.call("GET", "/api/v1/certificates/0123456789abcdef0123456789abcdef", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Its QR code carries the signed certificate: read back from the modules, it is the
    // certificate, and it verifies; the status page draws exactly that code.
    let (w, dark) = yiwang_web::qr_modules(&doc).expect("the certificate fits a QR code");
    let scale = 4;
    let side = (w + 8) * scale;
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let inside = (4..w + 4).contains(&mx) && (4..w + 4).contains(&my);
        if inside && dark[(my - 4) * w + (mx - 4)] { 0 } else { 255 }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (_, scanned) = grids[0].decode().expect("the QR code decodes");
    assert_eq!(scanned, yiwang_web::qr_payload(&doc));
    assert_eq!(Some(&scanned), c["qr"].as_str().map(str::to_owned).as_ref(), "the API gives what the QR says");
    // The compact form: COSE_Sign1 over the document, verified by the same key.
    let read = yiwang_core::application::certificate::compact::parse_qr(&scanned).expect("a YW1 text");
    assert_eq!((&read.document, &read.key_id, read.alg.as_str()), (&doc.document, &doc.key_id, "ed25519"));
    assert!(yiwang_app::keyring::verifies(&keys, &read.key_id, &read.to_be_signed(), &read.signature));
    assert!(!yiwang_app::keyring::verifies(&keys, &read.key_id, &read.to_be_signed(), &doc.signature));
    // Smaller than the file form it replaced, in version and in modules.
    let mut old = doc.clone();
    old.cose_signature = None;
    let (old_w, _) = yiwang_web::qr_modules(&old).expect("the file form still fits");
    assert!(yiwang_web::qr_payload(&old).starts_with('{') && w < old_w, "{w} modules against {old_w}");
    let (s, page) = api.call("GET", &format!("/certificates/{sid}"), None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap().contains(&yiwang_web::qr_svg(&doc).unwrap()), "the page draws the code");
    // In force, but a food licence is no business licence.
    let mut wrong = food_application();
    wrong["materials"][1] = json!({"material": "business-licence", "certificate": "JY13501020260001"});
    let (s, e) = api.call("POST", "/api/v1/applications", Some(&clerk), Some(wrong)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("是食品经营许可证，不能代替这项材料"), "{e}");
    let steps: Vec<&str> = v["timeline"].as_array().unwrap().iter().map(|t| t["summary"].as_str().unwrap()).collect();
    assert_eq!(steps.first().copied(), Some("窗口收件：食品经营许可"));
    assert!(steps.contains(&"一次性告知补正 2 项材料"), "{steps:?}");
    let (s, e) = act(&api, &clerk, &id, json!({"action": "accept"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "case_closed"), "{e}");
    // Revoked by the department, after the application ended: every verification says so.
    let (s, e) = act(&api, &clerk, &id, json!({"action": "revoke", "reason": "x"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "the approver revokes: {e}");
    act_ok(&api, &approver, &id, json!({"action": "revoke", "reason": "经营场所已变更，未申请变更许可"})).await;
    let (_, c) = api.call("GET", &format!("/api/v1/certificates/{sid}"), None, None).await;
    assert_eq!(
        (c["status"].as_str(), c["revoked_reason"].as_str()),
        (Some("revoked"), Some("经营场所已变更，未申请变更许可")),
        "{c}"
    );
    let (_, list) = api.call("GET", "/api/v1/certificate-status-list", None, None).await;
    let list: yiwang_app::StatusList = serde_json::from_value(list).unwrap();
    assert_eq!(list.list.revoked, vec![sid]);
    assert!(yiwang_app::keyring::verifies(&keys, &list.key_id, &list.list.message(), &list.signature));
    // A certificate this installation issued stands in only for its own kind of
    // material, for its holder, while in force: this one is a food licence, and revoked.
    let mut reuse = food_application();
    reuse["materials"][1] = json!({"material": "business-licence", "certificate": "JY13501020260001"});
    let (s, e) = api.call("POST", "/api/v1/applications", Some(&clerk), Some(reuse)).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("已吊销"), "{e}");

    // The applicant was told at 补正, 受理, 决定 and 制证, by SMS, in plain words.
    let (url, bodies) = crate::notify::http_sink(vec![]);
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
    let run = api.blocking(move |app| app.send_notices(&senders, 100).unwrap()).await;
    assert_eq!((run.sent, run.given_up), (4, 0), "{run:?}");
    let texts: Vec<Value> = bodies.lock().unwrap().iter().map(|b| serde_json::from_str(b).unwrap()).collect();
    assert!(texts.iter().all(|t| t["mobile"] == PHONE), "{texts:?}");
    let said = |what: &str| texts.iter().any(|t| t["content"].as_str().unwrap().contains(what));
    assert!(said("需补正以下材料：经营场所平面布局图和设备布局图；食品安全管理制度文本"), "{texts:?}");
    assert!(said(&format!("“食品经营许可”已受理，办件号 {id}")), "{texts:?}");
    assert!(said("已审批通过") && said("证照编号 JY13501020260001"), "{texts:?}");
    assert!(said("【云溪区政务服务】"), "{texts:?}");

    // The month's indicators count it: on time, two visits, not online.
    let leader = api.login("leader1").await;
    let (s, m) = api.call("GET", "/api/v1/service-indicators?month=2026-11", Some(&leader), None).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let d = &m["district"];
    assert_eq!(
        (d["done"].as_u64(), d["on_time"].as_u64(), d["visits"].as_u64(), d["online"].as_u64()),
        (Some(1), Some(1), Some(2), Some(0)),
        "{m}"
    );
    assert_eq!(
        (m["departments"][0]["unit"].as_str(), m["services"][0]["service"].as_str()),
        (Some("scjgj"), Some("food-business"))
    );
    assert_eq!(m["services"][0]["name"], "食品经营许可");
    // Its business licence was an e-certificate: one material reused.
    assert_eq!(m["services"][0]["reused"], 1, "{m}");
    // Accepted and decided the same morning: no working day taken; promised 5, legal 20.
    let food = &m["services"][0];
    assert_eq!((food["decided"].as_u64(), food["half_days"].as_u64()), (Some(1), Some(0)), "{m}");
    assert_eq!((food["promised_days"].as_u64(), food["legal_days"].as_u64()), (Some(5), Some(20)));
    // Another department's staff see only their own: nothing.
    let (_, m) = api.call("GET", "/api/v1/service-indicators?month=2026-11", Some(&other), None).await;
    assert_eq!(m["district"]["done"], 0, "{m}");
    let (s, e) = api.call("GET", "/api/v1/service-indicators?month=2026-13", Some(&leader), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{e}");
}

async fn bad_input_is_refused_with_its_code_and_nothing_is_filed(backend: Backend) {
    let api = Api::on(backend);
    let clerk = api.login("scjgj-clerk").await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = food_application();
        f(&mut v);
        v
    };
    for (body, status, code) in [
        (with(&|v| v["service"] = json!("no-such")), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (with(&|v| v["form"]["kind"] = json!("网吧")), StatusCode::UNPROCESSABLE_ENTITY, "form_field_invalid"),
        (with(&|v| v["form"].as_object_mut().unwrap().clear()), StatusCode::UNPROCESSABLE_ENTITY, "form_field_missing"),
        (
            with(&|v| v["enterprise"]["code"] = json!("91350100M000100Y44")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (with(&|v| v["enterprise"] = json!(null)), StatusCode::UNPROCESSABLE_ENTITY, "enterprise_required"),
        (with(&|v| v["applicant"] = json!({"name": "刘海峰"})), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (
            with(&|v| v["materials"][0] = json!({"material": "passport", "paper": true})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_material",
        ),
        (
            with(&|v| {
                v["materials"][0] =
                    json!({"material": "floor-plan", "files": ["uploads/0123456789abcdef0123456789abcdef.pdf"]})
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
    ] {
        let (s, e) = api.call("POST", "/api/v1/applications", Some(&clerk), Some(body.clone())).await;
        assert_eq!((s, code_of(&e)), (status, code), "{body} → {e}");
        assert!(e["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    }
    // Only a window clerk registers.
    let handler = api.login("scjgj-handler").await;
    let (s, e) = api.call("POST", "/api/v1/applications", Some(&handler), Some(food_application())).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    let (_, todo) = api.call("GET", "/api/v1/todo?kind=application", Some(&clerk), None).await;
    assert_eq!(todo["total"], 0, "nothing was filed: {todo}");
}

async fn a_changed_service_gets_a_new_version_and_a_filed_application_keeps_its_own(backend: Backend) {
    let api = Api::on(backend);
    let clerk = api.login("scjgj-clerk").await;
    let (_, v) = api.call("POST", "/api/v1/applications", Some(&clerk), Some(food_application())).await;
    let id = v["application"]["id"].as_str().unwrap().to_owned();

    let changed = yiwang_app::DEMO_SERVICES.replacen(
        "promised_days = 5\ndepth = \"online\"\nfor_enterprises = true\nconditions",
        "promised_days = 3\ndepth = \"online\"\nfor_enterprises = true\nconditions",
        1,
    );
    assert_ne!(changed, yiwang_app::DEMO_SERVICES, "the edit applies");
    let put = |token: String, text: String| {
        let req = Request::builder()
            .method("PUT")
            .uri("/api/v1/services")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/toml")
            .body(Body::from(text))
            .unwrap();
        api.raw(req)
    };
    let (s, e) = put(clerk.clone(), changed.clone()).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    let admin = api.login("admin").await;
    // A broken file changes nothing, and says what is wrong.
    let broken = changed.replacen("department = \"scjgj\"", "department = \"nowhere\"", 1);
    let (s, e) = put(admin.clone(), broken).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("nowhere"), "{e}");
    let (s, r) = put(admin.clone(), changed.clone()).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["updated"].clone(), r["added"].clone(), r["unchanged"].as_u64()),
        // The other 23 services and the 2 bundles (一件事).
        (json!(["food-business"]), json!([]), Some(25))
    );
    let (s, r) = put(admin, changed).await;
    assert_eq!((s, r["updated"].clone()), (StatusCode::OK, json!([])), "loading it again changes nothing: {r}");

    let (_, now) = api.call("GET", "/api/v1/services/food-business", None, None).await;
    assert_eq!((now["version"].as_u64(), now["promised_days"].as_u64()), (Some(2), Some(3)));
    let (_, then) = api.call("GET", "/api/v1/services/food-business?version=1", None, None).await;
    assert_eq!(then["promised_days"], 5);
    // The filed application keeps version 1, and its promise of 5 days.
    let v = act_ok(&api, &clerk, &id, json!({"action": "accept"})).await;
    assert_eq!(
        (v["application"]["service"]["version"].as_u64(), v["application"]["service"]["promised_days"].as_u64()),
        (Some(1), Some(5))
    );
    let promised =
        v["application"]["clocks"].as_array().unwrap().iter().find(|c| c["kind"] == "promised").cloned().unwrap();
    // Accepted Mon 11-16 09:00: five working days end Mon 11-23 09:00 (01:00 UTC).
    assert_eq!(promised["due"], "2026-11-23T01:00:00Z", "{promised}");
    // A new application is filed under version 2.
    let (_, v) = api.call("POST", "/api/v1/applications", Some(&clerk), Some(food_application())).await;
    assert_eq!(v["application"]["service"]["version"], 2);
}

async fn a_department_silent_for_five_working_days_has_accepted_the_application(backend: Backend) {
    let api = Api::on(backend);
    let clerk = api.login("scjgj-clerk").await;
    // Filed Mon 11-16 09:00: the §32 period ends Mon 11-23 09:00.
    let (_, v) = api.call("POST", "/api/v1/applications", Some(&clerk), Some(food_application())).await;
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    api.step(Duration::days(7) - Duration::minutes(1));
    api.blocking(|app| app.tick()).await.unwrap();
    // A login lasts 12 hours at most: the clerk comes back a week later.
    let clerk = api.login("scjgj-clerk").await;
    let (_, v) = api.call("GET", &format!("/api/v1/applications/{id}"), Some(&clerk), None).await;
    assert_eq!(v["status_label"], "待受理", "{v}");
    api.step(Duration::minutes(1));
    api.blocking(|app| app.tick()).await.unwrap();
    let (_, v) = api.call("GET", &format!("/api/v1/applications/{id}"), Some(&clerk), None).await;
    assert_eq!(
        (v["status_label"].as_str(), v["detail"]["deemed_accepted"].as_bool()),
        (Some("审查中"), Some(true)),
        "{v}"
    );
    assert_eq!(v["application"]["accepted_at"], "2026-11-16T01:00:00Z");
    // No 补正 can be asked any more; the applicant is told it counts as accepted.
    let ask = json!({"action": "ask_supplement", "missing": [{"what": "签字"}]});
    let (s, e) = act(&api, &clerk, &id, ask).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "transition_not_allowed"), "{e}");
    let case_id = yiwang_core::id::CaseId::parse(&id).unwrap();
    let q = OutboxQuery { case_id: Some(case_id), limit: 10, ..Default::default() };
    let notes = api.blocking(move |app| app.outbox(&q).unwrap()).await;
    assert_eq!(notes.iter().map(|n| n.template.as_str()).collect::<Vec<_>>(), ["application_accepted"]);
}

async fn the_applicant_rates_and_a_bad_rating_is_verified_put_right_and_called_back(backend: Backend) {
    let api = Api::on(backend);
    let clerk = api.login("scjgj-clerk").await;
    let (_, v) = api.call("POST", "/api/v1/applications", Some(&clerk), Some(food_application())).await;
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    let code = v["application"]["tracking_code"].as_str().unwrap().to_owned();
    let track = |phone: &str| json!({"tracking_code": code, "phone": phone});
    let rating = |r: &str, comment: Option<&str>| json!({"tracking_code": code, "phone": PHONE, "rating": r, "comment": comment, "named": true});
    let (s, e) = api.call("POST", "/api/v1/application-ratings", None, Some(rating("satisfied", None))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "not_finished"), "{e}");

    act_ok(&api, &clerk, &id, json!({"action": "accept"})).await;
    let reviewer = api.login("scjgj-reviewer").await;
    act_ok(&api, &reviewer, &id, json!({"action": "review", "opinion": "内部意见：可以准予", "grant": true})).await;
    let approver = api.login("scjgj-approver").await;
    act_ok(&api, &approver, &id, json!({"action": "decide", "verdict": {"grant": true}})).await;
    act_ok(&api, &clerk, &id, json!({"action": "certify", "number": "JY1", "valid_from": "2026-11-16"})).await;
    act_ok(&api, &clerk, &id, json!({"action": "deliver", "how": "post"})).await;

    // The applicant finds it with the code and their phone, and nobody else does.
    let (s, _) = api.call("POST", "/api/v1/application-tracking", None, Some(track("13900000000"))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = api.call("POST", "/api/v1/application-tracking", None, Some(track(PHONE))).await;
    assert_eq!(
        (s, v["status_label"].as_str(), v["can_rate"].as_bool()),
        (StatusCode::OK, Some("已办结"), Some(true)),
        "{v}"
    );
    let steps = v["timeline"].as_array().unwrap();
    assert!(steps.iter().all(|t| t["by"] == ""), "no staff names: {v}");
    assert!(steps.iter().any(|t| t["summary"] == "决定：准予"), "{v}");
    assert!(!steps.iter().any(|t| t["summary"].as_str().unwrap().contains("审查意见")), "the review stays inside: {v}");

    let (s, e) = api.call("POST", "/api/v1/application-ratings", None, Some(rating("unsatisfied", None))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "comment_required"), "{e}");
    let (s, v) = api
        .call(
            "POST",
            "/api/v1/application-ratings",
            None,
            Some(rating("very_unsatisfied", Some("寄来的证照地址写错了"))),
        )
        .await;
    assert_eq!(
        (s, v["rating"].as_str(), v["can_rate"].as_bool()),
        (StatusCode::OK, Some("very_unsatisfied"), Some(false)),
        "{v}"
    );
    let (s, e) = api.call("POST", "/api/v1/application-ratings", None, Some(rating("satisfied", None))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "already_done"), "{e}");

    // The bad rating is the department's work now, with its 15 working days.
    let leader = api.login("scjgj-leader").await;
    let (_, todo) = api.call("GET", "/api/v1/todo?kind=rating_fix", Some(&leader), None).await;
    let fix = todo["items"][0]["id"].as_str().unwrap_or_else(|| panic!("no 差评整改: {todo}")).to_owned();
    assert!(fix.starts_with("CP"), "{fix}");
    let path = format!("/api/v1/rating-fixes/{fix}/actions");
    let verify = json!({"action": "verify", "founded": true, "finding": "邮寄地址录入错误"});
    let (s, v) = api.call("POST", &path, Some(&leader), Some(verify)).await;
    assert_eq!((s, v["status_label"].as_str()), (StatusCode::OK, Some("整改中")), "{v}");
    let answer =
        json!({"action": "answer", "measures": "重新寄送并核对地址录入流程", "reply": "已为您重新寄送证照，向您致歉"});
    let (s, v) = api.call("POST", &path, Some(&leader), Some(answer)).await;
    assert_eq!((s, v["status_label"].as_str()), (StatusCode::OK, Some("待回访")), "named: called back: {v}");
    let (s, e) = api.call("POST", &path, Some(&leader), Some(json!({"action": "call_back", "satisfied": true}))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "the centre calls back: {e}");
    let supervisor = api.login("supervisor1").await;
    let call = json!({"action": "call_back", "satisfied": true, "note": "申请人已收到"});
    let (s, v) = api.call("POST", &path, Some(&supervisor), Some(call)).await;
    assert_eq!((s, v["status_label"].as_str()), (StatusCode::OK, Some("已办结")), "{v}");
    // The applicant was told the answer.
    let q =
        OutboxQuery { case_id: Some(yiwang_core::id::CaseId::parse(&fix).unwrap()), limit: 10, ..Default::default() };
    let notes = api.blocking(move |app| app.outbox(&q).unwrap()).await;
    assert_eq!(notes.iter().map(|n| n.template.as_str()).collect::<Vec<_>>(), ["rating_fix_answered"]);

    let (_, m) =
        api.call("GET", "/api/v1/service-indicators?month=2026-11", Some(&api.login("leader1").await), None).await;
    let d = &m["district"];
    assert_eq!(
        (d["rated"].as_u64(), d["good"].as_u64(), d["fixed"].as_u64(), d["fixed_on_time"].as_u64()),
        (Some(1), Some(0), Some(1), Some(1)),
        "{m}"
    );
}

async fn ratings_carry_their_dimensions_and_a_bad_rating_of_a_visit_at_the_window_opens_a_fix(backend: Backend) {
    let api = Api::on(backend);
    let clerk = api.login("scjgj-clerk").await;
    let (_, v) = api.call("POST", "/api/v1/applications", Some(&clerk), Some(food_application())).await;
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    let code = v["application"]["tracking_code"].as_str().unwrap().to_owned();
    assert_eq!(v["application"]["visit_log"][0]["step"], "窗口收件", "{v}");
    assert!(v["actions"].as_array().unwrap().contains(&json!("rate_visit")), "请办事人评价 is offered: {v}");

    // 现场评价 on the window's tablet: bad input first, each with its code.
    let visit = |n: u32, rating: &str, dims: Value, comment: Option<&str>| json!({"action": "rate_visit", "visit": n, "rating": rating, "dimensions": dims, "comment": comment});
    for (body, status, code) in [
        (visit(2, "satisfied", json!({}), None), StatusCode::UNPROCESSABLE_ENTITY, "no_such_visit"),
        (
            visit(1, "satisfied", json!({"guide": "satisfied"}), None),
            StatusCode::UNPROCESSABLE_ENTITY,
            "dimension_not_applicable",
        ),
        (visit(1, "satisfied", json!({"speed": "satisfied"}), None), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        (visit(1, "satisfied", json!({"attitude": "great"}), None), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        (visit(1, "unsatisfied", json!({}), None), StatusCode::UNPROCESSABLE_ENTITY, "comment_required"),
    ] {
        let (s, e) = act(&api, &clerk, &id, body.clone()).await;
        assert_eq!((s, code_of(&e)), (status, code), "{body} → {e}");
    }
    let other = api.login("cgw-clerk").await;
    let (s, e) = act(&api, &other, &id, visit(1, "satisfied", json!({}), None)).await;
    assert!(matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "another department's window: {s} {e}");
    let bad = visit(
        1,
        "very_unsatisfied",
        json!({"efficiency": "unsatisfied", "attitude": "very_unsatisfied"}),
        Some("窗口人员态度生硬"),
    );
    let v = act_ok(&api, &clerk, &id, bad.clone()).await;
    let rated = &v["application"]["visit_log"][0]["rated"];
    assert_eq!(
        (rated["rating"].as_str(), rated["dimensions"]["attitude"].as_str()),
        (Some("very_unsatisfied"), Some("very_unsatisfied")),
        "{v}"
    );
    assert!(!v["actions"].as_array().unwrap().contains(&json!("rate_visit")), "each visit once: {v}");
    let (s, e) = act(&api, &clerk, &id, bad).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "already_done"), "{e}");
    // The bad hall rating is the department's 差评整改, naming the visit.
    let leader = api.login("scjgj-leader").await;
    let (_, todo) = api.call("GET", "/api/v1/todo?kind=rating_fix", Some(&leader), None).await;
    let fix = todo["items"][0]["id"].as_str().unwrap_or_else(|| panic!("no 差评整改: {todo}")).to_owned();
    let (_, f) = api.call("GET", &format!("/api/v1/rating-fixes/{fix}"), Some(&leader), None).await;
    assert!(f["fix"]["comment"].as_str().unwrap().contains("第 1 次到窗口（窗口收件）"), "{f}");

    // To the end, then the application's rating online with its dimensions.
    act_ok(&api, &clerk, &id, json!({"action": "accept"})).await;
    let approver = api.login("scjgj-approver").await;
    act_ok(&api, &approver, &id, json!({"action": "decide", "verdict": {"grant": true}})).await;
    act_ok(&api, &clerk, &id, json!({"action": "certify", "number": "JY7", "valid_from": "2026-11-16"})).await;
    act_ok(&api, &clerk, &id, json!({"action": "deliver", "how": "post"})).await;
    let rating =
        |dims: Value| json!({"tracking_code": code, "phone": PHONE, "rating": "satisfied", "dimensions": dims});
    let (s, e) =
        api.call("POST", "/api/v1/application-ratings", None, Some(rating(json!({"level": "satisfied"})))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "dimension_not_applicable"), "{e}");
    let dims =
        json!({"efficiency": "very_satisfied", "guide": "basic", "convenience": "satisfied", "platform": "satisfied"});
    let (s, v) = api.call("POST", "/api/v1/application-ratings", None, Some(rating(dims))).await;
    assert_eq!((s, v["rating"].as_str()), (StatusCode::OK, Some("satisfied")), "{v}");

    let (_, m) =
        api.call("GET", "/api/v1/service-indicators?month=2026-11", Some(&api.login("leader1").await), None).await;
    let d = &m["district"];
    assert_eq!(
        (d["rated"].as_u64(), d["hall_rated"].as_u64(), d["hall_good"].as_u64()),
        (Some(1), Some(1), Some(0)),
        "{m}"
    );
    let score = |k: &str| (d["scores"][k]["count"].as_u64(), d["scores"][k]["total"].as_u64());
    assert_eq!(score("online.overall"), (Some(1), Some(4)), "{m}");
    assert_eq!(score("online.efficiency"), (Some(1), Some(5)), "{m}");
    assert_eq!(score("online.guide"), (Some(1), Some(3)), "{m}");
    assert_eq!(score("hall.overall"), (Some(1), Some(1)), "{m}");
    assert_eq!(score("hall.attitude"), (Some(1), Some(1)), "{m}");
    assert_eq!(score("hall.level"), (None, None), "not given: {m}");
    // The OpenAPI document has the new commands and what they carry.
    let (_, doc) = api.call("GET", "/api/v1/openapi.json", None, None).await;
    let schemas = &doc["components"]["schemas"];
    for name in ["Payment", "Visit", "ServiceIndicators", "ApplicationCommand", "FixCommand"] {
        let names: Vec<&String> = schemas.as_object().unwrap().keys().collect();
        assert!(schemas.get(name).is_some(), "{name} is documented: {names:?}");
    }
    // The dimensions are documented where they are used, their names listed.
    assert!(schemas.get("BTreeMap").is_none(), "no anonymous map schema: {}", schemas["BTreeMap"]);
    assert!(
        schemas["ServiceIndicators"]["properties"]["scores"].to_string().contains("\"total\""),
        "{}",
        schemas["ServiceIndicators"]
    );
    assert!(schemas["Rated"]["properties"]["dimensions"].to_string().contains("\"attitude\""), "{}", schemas["Rated"]);
    let command = schemas["ApplicationCommand"].to_string();
    assert!(schemas["FixCommand"].to_string().contains("call_back"), "{}", schemas["FixCommand"]);
    let body = doc["paths"]["/api/v1/applications/{id}/actions"]["post"]["requestBody"].to_string();
    assert!(body.contains("#/components/schemas/ApplicationCommand"), "{body}");
    assert!(
        command.contains("rate_visit") && command.contains("record_payment") && command.contains("amount_fen"),
        "{command}"
    );
    assert!(schemas["RatingInput"]["properties"].get("dimensions").is_some(), "{}", schemas["RatingInput"]);
    // The decision's limits to set the time against: food-business promises 5, the law 20.
    assert_eq!(
        (d["decided"].as_u64(), d["promised_limit_days"].as_u64(), d["legal_limit_days"].as_u64()),
        (Some(1), Some(5), Some(20)),
        "{m}"
    );
}

async fn a_fee_is_recorded_after_the_grant_and_the_certificate_waits_for_it(backend: Backend) {
    let api = Api::on(backend);
    let with_fee = yiwang_app::DEMO_SERVICES.replacen(
        "certificate = { code = \"food-business-licence\"",
        "fees = [{ name = \"工本费\", amount = \"10\", basis = \"按规定\" }, { name = \"邮寄费\", amount = \"2.5\", basis = \"自愿\" }]\ncertificate = { code = \"food-business-licence\"",
        1,
    );
    assert_ne!(with_fee, yiwang_app::DEMO_SERVICES, "the edit applies");
    let admin = api.login("admin").await;
    let req = Request::builder()
        .method("PUT")
        .uri("/api/v1/services")
        .header("authorization", format!("Bearer {admin}"))
        .header("content-type", "application/toml")
        .body(Body::from(with_fee))
        .unwrap();
    let (s, r) = api.raw(req).await;
    assert_eq!(s, StatusCode::OK, "{r}");

    let clerk = api.login("scjgj-clerk").await;
    let (_, v) = api.call("POST", "/api/v1/applications", Some(&clerk), Some(food_application())).await;
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    let pay = |reference: &str, fen: u64, on: &str| json!({"action": "record_payment", "reference": reference, "amount_fen": fen, "paid_on": on});
    let (s, e) = act(&api, &clerk, &id, pay("FS-1", 1250, "2026-11-16")).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "not_payable"), "before the decision: {e}");
    act_ok(&api, &clerk, &id, json!({"action": "accept"})).await;
    let approver = api.login("scjgj-approver").await;
    let v = act_ok(&api, &approver, &id, json!({"action": "decide", "verdict": {"grant": true}})).await;
    assert_eq!(v["application"]["status"], "certifying", "{v}");
    let v = api.call("GET", &format!("/api/v1/applications/{id}"), Some(&clerk), None).await.1;
    let actions = v["actions"].as_array().unwrap();
    assert!(actions.contains(&json!("record_payment")) && !actions.contains(&json!("certify")), "pay first: {v}");
    let certify = json!({"action": "certify", "number": "JY9", "valid_from": "2026-11-16"});
    let (s, e) = act(&api, &clerk, &id, certify.clone()).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "payment_required"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("12.50"), "{e}");
    for (body, status, code) in [
        (pay("FS-1", 1000, "2026-11-16"), StatusCode::UNPROCESSABLE_ENTITY, "amount_mismatch"),
        (pay("FS 1", 1250, "2026-11-16"), StatusCode::UNPROCESSABLE_ENTITY, "reference_invalid"),
        (pay("FS-1", 1250, "2030-01-01"), StatusCode::UNPROCESSABLE_ENTITY, "paid_on_invalid"),
        (pay("FS-1", 1250, "16/11/2026"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        (
            json!({"action": "record_payment", "reference": "FS-1", "amount_fen": -5, "paid_on": "2026-11-16"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ] {
        let (s, e) = act(&api, &clerk, &id, body.clone()).await;
        assert_eq!((s, code_of(&e)), (status, code), "{body} → {e}");
    }
    let v = act_ok(&api, &clerk, &id, pay("FS-2026-000123", 1250, "2026-11-16")).await;
    assert_eq!(v["application"]["payment"]["reference"], "FS-2026-000123", "{v}");
    let (s, e) = act(&api, &clerk, &id, pay("FS-2", 1250, "2026-11-16")).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "already_done"), "{e}");
    let v = act_ok(&api, &clerk, &id, certify).await;
    assert_eq!(v["application"]["status"], "delivering", "{v}");
    assert!(
        v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["summary"] == "已缴费 12.50 元（缴费凭证号 FS-2026-000123）"),
        "{v}"
    );
}

/// A POST with an Idempotency-Key: the status, the body and whether it was a replay.
async fn keyed(api: &Api, token: &str, path: &str, key: &str, body: Value) -> (StatusCode, Value, Option<String>) {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(yiwang_web::router(api.app.clone()), req).await.unwrap();
    let status = resp.status();
    let replayed = resp.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap().to_owned());
    let bytes = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), replayed)
}

async fn a_retry_with_its_idempotency_key_never_files_or_acts_twice(backend: Backend) {
    let api = Api::on(backend);
    let clerk = api.login("scjgj-clerk").await;
    let (s, first, replayed) = keyed(&api, &clerk, "/api/v1/applications", "reg-1", food_application()).await;
    assert_eq!((s, replayed.as_deref()), (StatusCode::CREATED, Some("false")), "{first}");
    let id = first["application"]["id"].as_str().unwrap().to_owned();
    let (s, again, replayed) = keyed(&api, &clerk, "/api/v1/applications", "reg-1", food_application()).await;
    assert_eq!(
        (s, replayed.as_deref(), again["application"]["id"].as_str()),
        (StatusCode::CREATED, Some("true"), Some(id.as_str()))
    );
    let mut other = food_application();
    other["form"]["shop-name"] = json!("另一家店");
    let (s, e, _) = keyed(&api, &clerk, "/api/v1/applications", "reg-1", other).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"), "{e}");
    let (_, todo) = api.call("GET", "/api/v1/todo?kind=application", Some(&clerk), None).await;
    assert_eq!(todo["total"], 1, "one application: {todo}");

    // A 补正 retried: asked once, and the retry is no second (refused) notice.
    let path = format!("/api/v1/applications/{id}/actions");
    let ask = json!({"action": "ask_supplement", "missing": [{"material": "floor-plan", "what": "平面图"}]});
    let (s, _, replayed) = keyed(&api, &clerk, &path, "ask-1", ask.clone()).await;
    assert_eq!((s, replayed.as_deref()), (StatusCode::OK, Some("false")));
    let (s, v, replayed) = keyed(&api, &clerk, &path, "ask-1", ask).await;
    assert_eq!((s, replayed.as_deref()), (StatusCode::OK, Some("true")), "{v}");
    let asked =
        v["timeline"].as_array().unwrap().iter().filter(|t| t["summary"].as_str().unwrap().contains("补正")).count();
    assert_eq!(asked, 1, "{v}");
}

on_both_stores!(
    ratings_carry_their_dimensions_and_a_bad_rating_of_a_visit_at_the_window_opens_a_fix,
    a_fee_is_recorded_after_the_grant_and_the_certificate_waits_for_it,
    a_retry_with_its_idempotency_key_never_files_or_acts_twice,
    the_applicant_rates_and_a_bad_rating_is_verified_put_right_and_called_back,
    an_application_goes_from_the_window_to_its_certificate,
    bad_input_is_refused_with_its_code_and_nothing_is_filed,
    a_changed_service_gets_a_new_version_and_a_filed_application_keeps_its_own,
    a_department_silent_for_five_working_days_has_accepted_the_application,
);
