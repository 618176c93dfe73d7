//! The enterprise register over the API, on both stores: an import with bad rows
//! names every one and stores nothing; a good import registers, a second corrects
//! only what changed; facts move the class with reasons, on the enterprise's chain;
//! the register's readers and no one else see it; a 一网通办 licence lands on its
//! enterprise; the enterprise's contact phone sees its own record.

use crate::harness::{Api, Backend, code_of};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use yiwang_app::Clock;

const GOOD_CSV: &str = "code,name,entity_type,industry,address,street,lon,lat,capital,employees,founded,tags,legal_name,legal_phone,facts
91350100M000100Y43,云溪区好味小厨餐饮店,个体工商户,H6210,澜江市云溪区府前街18号,st-yx,116.2444,39.8967,100000,6,2019-05-20,小微企业;食品经营,陈家乐,13906001234,inspection_passed@2026-04-16
91350103MA2Y00001R,澜江恒泰科技有限公司,有限责任公司（自然人投资或控股）,I6510,澜江市云溪区科创路8号,st-jq,,,5000000,45,2021-03-02,小微企业;高新技术企业,许海,13700001111,
";

async fn import(api: &Api, token: &str, body: &str, ctype: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/enterprises/import")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", ctype)
        .body(Body::from(body.to_owned()))
        .unwrap();
    api.raw(req).await
}

fn second_code() -> String {
    yiwang_core::id::CreditCode::complete("91350103MA2Y00001").unwrap().to_string()
}

/// A code whose check character is wrong.
fn bad_check() -> String {
    let good = yiwang_core::id::CreditCode::complete("91350103MA2Y00002").unwrap().to_string();
    let last = if good.ends_with('0') { '1' } else { '0' };
    format!("{}{last}", &good[..17])
}

async fn import_names_every_bad_row_and_stores_nothing(backend: Backend) {
    let api = Api::on(backend);
    let reg = api.login("scjgj-regulator").await;
    let good = GOOD_CSV.replace("91350103MA2Y00001R", &second_code());
    // Three bad rows among good ones: a check character, a street, an industry.
    let bad = format!(
        "{good}{},坏代码有限公司,有限责任公司,I6510,某路1号,st-yx,,,1,1,2020-01-01,,,,\n\
         {},无此街道有限公司,有限责任公司,I6510,某路2号,st-nowhere,,,1,1,2020-01-01,,,,\n\
         {},行业有误有限公司,有限责任公司,62,某路3号,st-yx,,,1,1,2020-01-01,,,,penalty@2020-13-01\n",
        bad_check(),
        yiwang_core::id::CreditCode::complete("91350103MA2Y00003").unwrap(),
        yiwang_core::id::CreditCode::complete("91350103MA2Y00004").unwrap(),
    );
    let (s, v) = import(&api, &reg, &bad, "text/csv").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(code_of(&v), "invalid_rows");
    let msg = v["error"]["message"].as_str().unwrap();
    for want in ["第 3 行", "校验位", "第 4 行", "st-nowhere", "第 5 行", "facts"] {
        assert!(msg.contains(want), "{want} missing from {msg}");
    }
    let (s, page) = api.call("GET", "/api/v1/enterprises", Some(&reg), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["total"], 0, "nothing of a bad file is stored: {page}");

    // The same file without its bad rows: two registered.
    let (s, v) = import(&api, &reg, &good, "text/csv").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"registered": 2, "updated": 0, "unchanged": 0}));
    // Again, with one change: one corrected, one unchanged, and the change named.
    let moved = good.replace("澜江市云溪区科创路8号", "澜江市云溪区科创路10号").replace(",45,", ",52,");
    let (s, v) = import(&api, &reg, &moved, "text/csv").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"registered": 0, "updated": 1, "unchanged": 1}));
    let (s, e) = api.call("GET", &format!("/api/v1/enterprises/{}", second_code()), Some(&reg), None).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["profile"]["employees"], 52);
    assert_eq!(e["profile"]["class"], "B");
    assert_eq!(e["legal_representative"], "许* 137****1111");
    let history = e["enterprise"]["class_history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "registered once, classified once: {e}");
    assert_eq!(e["enterprise"]["version"], 3, "registered, classified, then updated once: {e}");
    let (s, row) = api.call("GET", "/api/v1/enterprises?q=好味小厨", Some(&reg), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(row["total"], 1, "{row}");
    assert_eq!(row["rows"][0]["profile"]["class"], "A", "a passed inspection within 24 months");

    // JSON, with a duplicate and an unknown fact kind.
    let json_body = json!([
        {"code": second_code(), "name": "甲", "entity_type": "有限责任公司", "industry": "I6510", "address": "某路", "founded": "2020-01-01"},
        {"code": second_code(), "name": "乙", "entity_type": "有限责任公司", "industry": "I6510", "address": "某路", "founded": "2020-01-01",
         "facts": [{"kind": "no_such", "date": "2026-01-01"}]},
        {"name": "缺代码"}
    ]);
    let (s, v) = import(&api, &reg, &json_body.to_string(), "application/json").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("第 2 行") && msg.contains("no_such") && msg.contains("第 3 行"), "{msg}");
    // The second row's duplicate code is named too, unless its fact already failed it.
    let (_, e) = api.call("GET", &format!("/api/v1/enterprises/{}", second_code()), Some(&reg), None).await;
    assert_eq!(e["profile"]["name"], "澜江恒泰科技有限公司", "nothing of the bad JSON file was stored");

    // Who may import and read.
    let handler = api.login("cgw-handler").await;
    let (s, _) = import(&api, &handler, &good, "text/csv").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api.call("GET", "/api/v1/enterprises", Some(&handler), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api.call("GET", &format!("/api/v1/enterprises/{}", second_code()), Some(&handler), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a case the caller may not see does not exist for them");
    let enforcer = api.login("yjj-enforcer1").await;
    let (s, _) = api.call("GET", "/api/v1/enterprises?class=A", Some(&enforcer), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = api.call("GET", "/api/v1/enterprises?class=E", Some(&enforcer), None).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
    let (s, v) = api.call("GET", "/api/v1/enterprises/123", Some(&enforcer), None).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
}

async fn facts_move_the_class_with_reasons(backend: Backend) {
    let api = Api::on(backend);
    assert_eq!(api.register(40).await, 40);
    let reg = api.login("scjgj-regulator").await;
    let code = "91350100M000100Y43";
    let url = format!("/api/v1/enterprises/{code}/facts");
    let (s, v) = api
        .call(
            "POST",
            &url,
            Some(&reg),
            Some(json!({"kind": "penalty", "date": "2026-11-10", "note": "云市监罚〔2026〕88号"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["profile"]["class"], "C");
    assert_eq!(v["profile"]["last_penalty"], "2026-11-10");
    let history = v["enterprise"]["class_history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!((last["from"].as_str(), last["to"].as_str()), (Some("A"), Some("C")));
    assert!(last["reasons"][0].as_str().unwrap().contains("行政处罚"), "{last}");
    // The penalty may be repaired from six months on, and the page says so.
    assert_eq!(v["repairable_from"].as_array().unwrap().last().unwrap()[1], "2027-05-10");
    let (s, v) =
        api.call("POST", &url, Some(&reg), Some(json!({"kind": "abnormal_listed", "date": "2026-11-15"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["profile"]["class"], "D");
    assert_eq!(v["profile"]["abnormal"], true);
    // Bad input.
    for (body, code_want) in [
        (json!({"kind": "bribe", "date": "2026-11-10"}), "invalid_field"),
        (json!({"kind": "penalty", "date": "2026-12-10"}), "fact_in_future"),
        (json!({"kind": "penalty"}), "invalid_body"),
        (json!({"kind": "penalty", "date": "2026-11-10", "extra": 1}), "invalid_body"),
    ] {
        let (s, v) = api.call("POST", &url, Some(&reg), Some(body.clone())).await;
        assert!(s.is_client_error(), "{body} → {s} {v}");
        assert_eq!(code_of(&v), code_want, "{body} → {v}");
    }
    // The keeping unit's handler sees the enterprise, and may not record facts.
    let handler = api.login("scjgj-handler").await;
    let (s, _) = api.call("POST", &url, Some(&handler), Some(json!({"kind": "penalty", "date": "2026-11-10"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The enterprise's chain verifies like any case's.
    let report = api.blocking(|app| app.store().verify().unwrap()).await;
    assert!(report.is_intact(), "{:?}", report.breaks);
}

async fn the_contact_phone_sees_its_enterprise(backend: Backend) {
    let api = Api::on(backend);
    api.register(5).await;
    let token = api.applicant_login("13906001234").await;
    let (s, v) = api.call("GET", "/api/v1/applicant/enterprises", Some(&token), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!([{"code": "91350100M000100Y43", "name": "云溪区好味小厨餐饮店"}]));
    let (s, v) = api.call("GET", "/api/v1/applicant/enterprises/91350100M000100Y43", Some(&token), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["profile"]["class"], "A");
    // Another enterprise's record is not theirs.
    let (all, _) = yiwang_app::demo_register(yiwang_core::calendar::civil_date(api.clock.now()));
    let other = all[1].1.code.clone();
    let (s, v) = api.call("GET", &format!("/api/v1/applicant/enterprises/{other}"), Some(&token), None).await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, _) = api.call("GET", "/api/v1/applicant/enterprises", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// `task_pages::send_up` (a router that keeps uploads in `dir`), its body as JSON.
async fn with_uploads(api: &Api, dir: &std::path::Path, req: Request<Body>) -> (StatusCode, Value) {
    let (status, _, bytes) = crate::task_pages::send_up(api, dir, req).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn upload_pdf(api: &Api, dir: &std::path::Path, token: &str) -> String {
    let boundary = "yiwangboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"proof.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/applicant/uploads")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let (s, v) = with_uploads(api, dir, req).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["file"].as_str().unwrap().to_owned()
}

async fn repair_request(api: &Api, dir: &std::path::Path, token: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/applicant/credit-repairs")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    with_uploads(api, dir, req).await
}

async fn credit_repair_online_then_reviewed(backend: Backend) {
    let api = Api::on(backend);
    let uploads = tempfile::tempdir().unwrap();
    api.register(3).await;
    let code = "91350100M000100Y43";
    let reg = api.login("scjgj-regulator").await;
    let url = format!("/api/v1/enterprises/{code}/facts");
    // A penalty of seven months ago: C; repairable since a month.
    let (s, v) = api
        .call(
            "POST",
            &url,
            Some(&reg),
            Some(json!({"kind": "penalty", "date": "2026-04-10", "note": "云市监罚〔2026〕12号"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["profile"]["class"], "C");
    let penalty = v["enterprise"]["facts"].as_array().unwrap().last().unwrap()["number"].as_u64().unwrap();
    // A food penalty waits a year.
    let (_, v) = api
        .call("POST", &url, Some(&reg), Some(json!({"kind": "penalty", "date": "2026-04-12", "special": true})))
        .await;
    assert_eq!(v["profile"]["class"], "D");
    let special = v["enterprise"]["facts"].as_array().unwrap().last().unwrap()["number"].as_u64().unwrap();

    let token = api.applicant_login("13906001234").await;
    let proof = upload_pdf(&api, uploads.path(), &token).await;
    let ask = |fact: u64, evidence: Vec<String>| {
        json!({"enterprise": code, "fact": fact, "correction": "已整改完毕并缴纳罚款",
               "evidence": evidence, "commitment": "本企业承诺提交的材料真实有效，今后依法诚信经营。"})
    };
    let (s, v) = repair_request(&api, uploads.path(), &token, ask(special, vec![proof.clone()])).await;
    assert_eq!((s, code_of(&v)), (StatusCode::CONFLICT, "repair_too_early"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("2027-04-12"), "{v}");
    let (s, v) = repair_request(
        &api,
        uploads.path(),
        &token,
        ask(penalty, vec!["uploads/0123456789abcdef0123456789abcdef.pdf".into()]),
    )
    .await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "someone else's file: {v}");
    let (s, v) = repair_request(&api, uploads.path(), &token, ask(99, vec![proof.clone()])).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{v}");
    let (s, repair) = repair_request(&api, uploads.path(), &token, ask(penalty, vec![proof.clone()])).await;
    assert_eq!(s, StatusCode::CREATED, "{repair}");
    let id = repair["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("XF"), "{id}");
    let (s, v) = repair_request(&api, uploads.path(), &token, ask(penalty, vec![proof.clone()])).await;
    assert_eq!(s, StatusCode::CONFLICT, "one open request per fact: {v}");
    // Another phone may not ask for this enterprise.
    let stranger = api.applicant_login("13900009999").await;
    let (s, v) = repair_request(&api, uploads.path(), &stranger, ask(penalty, vec![])).await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");

    // Only the keeping department's 监管人员 decide.
    let act = format!("/api/v1/credit-repairs/{id}/actions");
    let other = api.login("sthjj-regulator").await;
    let (s, v) = api.call("GET", &format!("/api/v1/credit-repairs/{id}"), Some(&other), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["actions"], json!([]));
    let (s, _) = api.call("POST", &act, Some(&other), Some(json!({"action": "approve", "opinion": "同意"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = api.call("POST", &act, Some(&reg), Some(json!({"action": "mark_applied"}))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{v}");
    let (s, v) =
        api.call("POST", &act, Some(&reg), Some(json!({"action": "approve", "opinion": "材料齐全，同意修复"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["repair"]["status"], "approved");
    assert_eq!(v["repair"]["applied"], true);
    // The record keeps the fact, repaired; the class follows: one penalty left, C.
    let (_, e) = api.call("GET", &format!("/api/v1/enterprises/{code}"), Some(&reg), None).await;
    let f = e["enterprise"]["facts"].as_array().unwrap().iter().find(|f| f["number"] == penalty).unwrap().clone();
    assert_eq!(f["repaired_by"], id.as_str(), "{f}");
    assert_eq!(e["profile"]["class"], "C", "{e}");
    assert_eq!(e["profile"]["last_penalty"], "2026-04-12");
    let (s, _) = api.call("POST", &act, Some(&reg), Some(json!({"action": "reject", "reason": "晚了"}))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The enterprise sees its requests, and is told by SMS (the outbox).
    let (s, mine) =
        api.call("GET", &format!("/api/v1/applicant/enterprises/{code}/credit-repairs"), Some(&token), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine[0]["status"], "approved");
    let notices = api
        .blocking(move |app| {
            app.store()
                .outbox(&yiwang_store::OutboxQuery {
                    case_id: Some(yiwang_core::id::CaseId::parse(&id).unwrap()),
                    limit: 10,
                    ..Default::default()
                })
                .unwrap()
        })
        .await;
    assert!(notices.iter().any(|n| n.template == "repair_approved"), "{notices:?}");
}

on_both_stores!(
    import_names_every_bad_row_and_stores_nothing,
    facts_move_the_class_with_reasons,
    the_contact_phone_sees_its_enterprise,
    credit_repair_online_then_reviewed
);

/// The console's register pages, in process: the list by class, one enterprise with
/// its reasons, a fact recorded from the form, an import whose bad rows are listed,
/// and who is refused.
#[tokio::test]
async fn the_register_pages() {
    use crate::task_pages::multipart;
    use crate::ui::{console_login, get, post_form, send};
    let api = Api::new();
    api.register(60).await;
    let (cookie, csrf) = console_login(&api, "scjgj-regulator").await;
    let (s, _, html) = send(&api, get("/console/enterprises?class=A", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("企业名录") && html.contains("云溪区好味小厨餐饮店") && html.contains("A类（低风险）"),
        "{html}"
    );
    assert!(!html.contains("D类（高风险）</span></td>"), "only class A is listed");
    let (s, _, html) = send(&api, get("/console/enterprises/91350100M000100Y43", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"class-reasons\"") && html.contains("良好记录"), "{html}");
    let form = format!("_csrf={csrf}&kind=penalty&date=2026-11-10&note=%E4%BA%91%E5%B8%82%E7%9B%91%E7%BD%9A88");
    let (s, _, _) = send(&api, post_form("/console/enterprises/91350100M000100Y43/facts", Some(&cookie), &form)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, html) = send(&api, get("/console/enterprises/91350100M000100Y43", Some(&cookie))).await;
    assert!(html.contains("C类（中高风险）") && html.contains("云市监罚88"), "{html}");
    // A bad date from the form: the page says so, nothing recorded.
    let form = format!("_csrf={csrf}&kind=penalty&date=");
    let (s, _, html) =
        send(&api, post_form("/console/enterprises/91350100M000100Y43/facts", Some(&cookie), &form)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("请选择日期"), "{html}");
    // An import with a bad row lists it and stores nothing.
    let csv =
        "code,name,entity_type,industry,address,founded\n91350100M000100Y44,坏,个体工商户,H6210,某路,2020-01-01\n";
    let req =
        multipart("/console/enterprises/import", &cookie, &[("_csrf", &csrf)], &[("file", "r.csv", csv.as_bytes())]);
    let (s, _, html) = send(&api, req).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"import-errors\"") && html.contains("第 1 行") && html.contains("校验位"), "{html}");
    // A handler has no register.
    let (cookie, _) = console_login(&api, "cgw-handler").await;
    let (s, _, _) = send(&api, get("/console/enterprises", Some(&cookie))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// The supervision dashboard: the register by class on the map and by street, every
/// supervision kind by status, each table exported; only leaders, 监管人员 and 政策专员.
#[tokio::test]
async fn the_supervision_dashboard() {
    use crate::ui::{console_login, get, send};
    let api = Api::new();
    assert_eq!(api.register(120).await, 120);
    let profiles = api.blocking(|app| app.register_profiles().unwrap()).await;
    let d = profiles.iter().filter(|p| p.class == yiwang_core::enterprise::CreditClass::D).count();
    let (cookie, _) = console_login(&api, "leader1").await;
    let (s, _, html) = send(&api, get("/console/supervision", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"kpi-enterprises\">120<"), "{html}");
    assert!(html.contains(&format!("id=\"kpi-class-D\">{d}<")), "D: {d}");
    assert_eq!(html.matches("class=\"dot\"").count(), 120, "every enterprise with a place is on the map");
    assert!(html.contains("信用修复"), "the supervision kinds are listed");
    let (s, headers, csv) = send(&api, get("/console/supervision/export.csv?table=register", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(headers[axum::http::header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    assert!(csv.contains("云溪街道") && csv.contains("A类"), "{csv}");
    let (s, _, _) = send(&api, get("/console/supervision/export.xlsx?table=kinds", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = send(&api, get("/console/supervision/export.csv?table=nope", Some(&cookie))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (cookie, _) = console_login(&api, "cgw-handler").await;
    let (s, _, _) = send(&api, get("/console/supervision", Some(&cookie))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
