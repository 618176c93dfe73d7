//! 一网共享's catalogue (政务信息资源目录): the API on both stores (registering,
//! refusals with their codes, amending, searching), reading each source with paging
//! and `since`, the gateway against a real HTTP service on loopback (a bad record,
//! a service down, one too slow), the open data and its DCAT catalogue read by
//! rdflib from a real server, and the console's pages.

use crate::harness::{Api, Backend, code_of};
use crate::ui::{console_login, get, post_form, send};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use yiwang_app::AppConfig;
use yiwang_app::catalogue::{GatewayConfig, ReadQuery, RecordPage};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_core::share::Resource;

/// The 水务局's accounts, served by its own system (the gateway's resource).
fn water(url: &str) -> Value {
    json!({
        "code": "YXQ-SW-0009",
        "name": "供水户信息",
        "owner": "swj",
        "description": "区水务局供水户的户号、用水性质和开户日期",
        "fields": [
            {"name": "account", "label": "户号", "ty": "code"},
            {"name": "holder", "label": "户主姓名", "ty": "text", "personal": true},
            {"name": "meters", "label": "水表数", "ty": "integer"},
            {"name": "opened", "label": "开户日期", "ty": "date"}
        ],
        "share": "conditional",
        "conditions": "用于供水保障和应急处置",
        "frequency": "daily",
        "format": "JSON",
        "source": {"type": "gateway", "url": url},
        "open": "closed",
        "key_field": "account"
    })
}

fn bureau() -> Actor {
    Actor::Staff {
        username: yiwang_core::id::Username::parse("data-bureau").unwrap(),
        unit: yiwang_core::id::UnitCode::parse("district").unwrap(),
        unit_kind: UnitKind::District,
        roles: vec![Role::DataOfficer],
    }
}

async fn seed(api: &Api) {
    api.blocking(|app| app.seed_catalogue(&bureau(), yiwang_app::DEMO_CATALOGUE).unwrap()).await;
}

async fn read(api: &Api, code: &str, q: ReadQuery) -> Result<RecordPage, yiwang_web::ApiError> {
    let code = code.to_owned();
    api.blocking(move |app| {
        let r = app.resource(&code)?;
        app.read_resource(&r, &q)
    })
    .await
    .map_err(yiwang_web::ApiError::from)
}

fn page(limit: u32) -> ReadQuery {
    ReadQuery { limit, ..Default::default() }
}

on_both_stores!(
    a_department_registers_amends_and_finds_its_resource,
    bad_resources_are_refused_with_their_codes,
    each_source_reads_by_pages_and_since,
    the_gateway_checks_what_the_department_answers,
    open_data_publishes_closed_cases_without_personal_text,
);

/// The 水务局's 数据专员 registers its resource, amends it, and every department
/// finds it by words, department and share class; another department's 数据专员
/// may not touch it, the 数据局's may.
async fn a_department_registers_amends_and_finds_its_resource(backend: Backend) {
    let api = Api::on(backend);
    let officer = api.login("swj-data").await;
    let (s, v) = api.call("POST", "/api/v1/catalogue", Some(&officer), Some(water("http://10.20.1.5/share/a"))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["code"], "YXQ-SW-0009");
    assert_eq!(v["owner_name"], "云溪区水务局");
    assert_eq!(v["share_label"], "有条件共享");
    assert_eq!(v["version"], 1);
    assert!(v["id"].as_str().unwrap().starts_with("ZY"));

    let (s, v) = api.call("POST", "/api/v1/catalogue", Some(&officer), Some(water("http://10.20.1.5/share/a"))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::CONFLICT, "conflict"), "one resource per code: {v}");

    let mut amended = water("http://10.20.1.5/share/b");
    amended["share"] = json!("unconditional");
    let (s, v) = api.call("PUT", "/api/v1/catalogue/YXQ-SW-0009", Some(&officer), Some(amended.clone())).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["version"].as_u64(), v["share"].as_str()), (Some(2), Some("unconditional")));
    assert_eq!(v["source"]["url"], "http://10.20.1.5/share/b");

    let other = api.login("cgw-data").await;
    let (s, v) = api.call("PUT", "/api/v1/catalogue/YXQ-SW-0009", Some(&other), Some(amended.clone())).await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");
    let mut by_bureau = amended.clone();
    by_bureau["description"] = json!("区水务局供水户信息（数据局核定）");
    let bureau = api.login("data-bureau").await;
    let (s, v) = api.call("PUT", "/api/v1/catalogue/YXQ-SW-0009", Some(&bureau), Some(by_bureau)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 3);

    let mut recoded = amended.clone();
    recoded["code"] = json!("YXQ-SW-0010");
    let (s, v) = api.call("PUT", "/api/v1/catalogue/YXQ-SW-0009", Some(&officer), Some(recoded)).await;
    assert_eq!((s, code_of(&v)), (StatusCode::CONFLICT, "code_mismatch"), "{v}");
    let (s, v) = api.call("PUT", "/api/v1/catalogue/YXQ-XX-0001", Some(&officer), Some(amended)).await;
    assert_eq!((s, code_of(&v)), (StatusCode::NOT_FOUND, "not_found"), "{v}");

    seed(&api).await;
    let handler = api.login("cgw-handler").await;
    let find = |q: &'static str| {
        let (api, handler) = (&api, handler.clone());
        async move {
            let (s, v) = api.call("GET", &format!("/api/v1/catalogue{q}"), Some(&handler), None).await;
            assert_eq!(s, StatusCode::OK, "{q}: {v}");
            v.as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    let all = find("").await;
    assert!(all.len() > 10 && all.contains(&"YXQ-SW-0009".to_owned()), "{all:?}");
    assert!(all.windows(2).all(|w| w[0] < w[1]), "by code: {all:?}");
    assert_eq!(
        find("?q=%E4%BE%9B%E6%B0%B4%E6%88%B7").await,
        vec!["YXQ-SW-0001", "YXQ-SW-0009"],
        "by words of the name (供水户): the demo's and this one"
    );
    assert_eq!(find("?q=YXQ-SW-0009").await, vec!["YXQ-SW-0009"], "by code");
    assert_eq!(find("?owner=swj&share=unconditional").await, vec!["YXQ-SW-0009"]);
    assert!(find("?share=conditional").await.contains(&"YXQ-SC-0001".to_owned()));
    assert!(!find("?share=conditional").await.contains(&"YXQ-SW-0009".to_owned()));
    let (s, v) = api.call("GET", "/api/v1/catalogue/YXQ-SW-0009", Some(&handler), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["fields"][1]["personal"], true);
    let (s, v) = api.call("GET", "/api/v1/catalogue?share=sometimes", Some(&handler), None).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("share")), "{v}");
    let (s, _) = api.call("GET", "/api/v1/catalogue", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// Each broken rule answers its own code, and nothing is registered.
async fn bad_resources_are_refused_with_their_codes(backend: Backend) {
    let api = Api::on(backend);
    let officer = api.login("swj-data").await;
    type Break = fn(&mut Value);
    let table: &[(&str, Break, StatusCode, &str)] = &[
        (
            "a lowercase code",
            |r| r["code"] = json!("yxq-sw-1"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_resource_code",
        ),
        ("no fields", |r| r["fields"] = json!([]), StatusCode::UNPROCESSABLE_ENTITY, "no_fields"),
        (
            "a field twice",
            |r| r["fields"][1]["name"] = json!("account"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "duplicate_field",
        ),
        (
            "a field name in Chinese",
            |r| r["fields"][0]["name"] = json!("户号"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field_name",
        ),
        ("an unknown key", |r| r["key_field"] = json!("meter"), StatusCode::UNPROCESSABLE_ENTITY, "unknown_key_field"),
        (
            "conditional, no conditions",
            |r| r["conditions"] = json!(""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "conditions_required",
        ),
        ("open with personal data", |r| r["open"] = json!("open"), StatusCode::UNPROCESSABLE_ENTITY, "personal_open"),
        (
            "a gateway not over HTTP",
            |r| r["source"] = json!({"type": "gateway", "url": "file:///etc/passwd"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_gateway_url",
        ),
        (
            "cases of no kind",
            |r| r["source"] = json!({"type": "cases", "kind": "nothing", "view": "full"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_source",
        ),
        ("an unknown type", |r| r["fields"][0]["ty"] = json!("blob"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        ("no name", |r| r["name"] = json!(" "), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        ("another department's", |r| r["owner"] = json!("cgw"), StatusCode::FORBIDDEN, "forbidden"),
    ];
    for (what, break_it, status, code) in table {
        let mut r = water("http://10.20.1.5/share/a");
        break_it(&mut r);
        let (s, v) = api.call("POST", "/api/v1/catalogue", Some(&officer), Some(r)).await;
        assert_eq!((s, code_of(&v)), (*status, *code), "{what}: {v}");
    }
    let handler = api.login("swj-handler").await;
    let (s, v) = api.call("POST", "/api/v1/catalogue", Some(&handler), Some(water("http://10.20.1.5/x"))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "forbidden"), "a handler is no 数据专员: {v}");
    let (s, v) = api.call("GET", "/api/v1/catalogue", Some(&officer), None).await;
    assert_eq!((s, v.as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "nothing registered: {v}");
}

/// Appeals (anonymised and full), the register, indicators: every declared field,
/// pages that neither repeat nor skip, `since`, and the people each record holds.
async fn each_source_reads_by_pages_and_since(backend: Backend) {
    let api = Api::on(backend);
    seed(&api).await;
    let mut ids = vec![];
    for _ in 0..3 {
        ids.push(api.citizen_appeal().await.0);
        api.step(chrono::Duration::hours(1));
    }
    let middle = api.blocking({
        let id = ids[1].clone();
        move |app| app.load_case(&yiwang_core::id::CaseId::parse(&id).unwrap()).unwrap().project().header.opened_at
    });
    let middle = middle.await;

    // Anonymised: no person, and the text masked (a web appeal is published).
    let first = read(&api, "YXQ-RX-0001", page(2)).await.unwrap();
    assert_eq!(first.records.len(), 2);
    let anon = api.blocking(|app| app.resource("YXQ-RX-0001").unwrap()).await;
    for r in &first.records {
        let keys: Vec<&String> = r.keys().collect();
        let declared: Vec<&String> = anon.fields.iter().map(|f| &f.name).collect();
        assert_eq!(keys.len(), declared.len(), "every declared field: {r:?}");
        assert!(declared.iter().all(|k| r.contains_key(*k)));
        assert_eq!(r["street"], "st-wh", "the street of the appeal's grid");
        assert!(r["text"].as_str().unwrap().contains("路灯"), "{r:?}");
        assert!(!r.contains_key("person_name"));
    }
    assert!(first.person_ids.iter().all(Vec::is_empty));
    assert_eq!(first.records[0]["id"], ids[2].as_str(), "newest first");
    let next = first.next.clone().expect("a next page");
    let second = read(&api, "YXQ-RX-0001", ReadQuery { after: Some(next), ..page(2) }).await.unwrap();
    let seen: Vec<&str> = first.records.iter().chain(&second.records).map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(seen, vec![ids[2].as_str(), ids[1].as_str(), ids[0].as_str()], "no repeat, no gap");
    if let Some(n) = second.next {
        let third = read(&api, "YXQ-RX-0001", ReadQuery { after: Some(n), ..page(2) }).await.unwrap();
        assert!(third.records.is_empty());
    }
    let since = read(&api, "YXQ-RX-0001", ReadQuery { since: Some(middle), ..page(10) }).await.unwrap();
    let since: Vec<&str> = since.records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(since, vec![ids[2].as_str(), ids[1].as_str()], "opened since");
    let filtered =
        read(&api, "YXQ-RX-0001", ReadQuery { filter: vec![("id".into(), ids[0].clone())], ..page(10) }).await.unwrap();
    assert_eq!(filtered.records.len(), 1);
    let e = read(&api, "YXQ-RX-0001", ReadQuery { after: Some("garbage".into()), ..page(2) }).await.unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (StatusCode::UNPROCESSABLE_ENTITY, Some("after")));
    let e = read(&api, "YXQ-RX-0001", page(0)).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("limit"));

    // Full: the citizen, as personal fields, and their person id.
    let full = read(&api, "YXQ-RX-0002", page(1)).await.unwrap();
    assert_eq!(full.records[0]["person_name"], "张三");
    assert_eq!(full.records[0]["person_phone"], crate::harness::PHONE);
    assert_eq!(full.person_ids[0].len(), 1);

    // The register: the legal representative is the record's person.
    api.register(3).await;
    let reg = read(&api, "YXQ-SC-0001", page(2)).await.unwrap();
    assert_eq!(reg.records.len(), 2);
    assert!(reg.next.is_some());
    let r = &reg.records[0];
    assert!(r["code"].as_str().unwrap().len() == 18 && r["capital"].is_u64() && r["founded"].is_string(), "{r:?}");
    let rest = read(&api, "YXQ-SC-0001", ReadQuery { after: reg.next.clone(), ..page(2) }).await.unwrap();
    assert_eq!(rest.records.len(), 1, "three enterprises in all");
    let with_legal = reg.records.iter().chain(&rest.records).filter(|r| r["legal_representative"].is_string()).count();
    let people = reg.person_ids.iter().chain(&rest.person_ids).filter(|p| !p.is_empty()).count();
    assert_eq!(with_legal, people, "each legal representative named is a person of the record");

    // Indicators: one record per unit and month, of their declared types; two
    // units have work this month.
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &ids[0], json!({"action": "dispatch", "category": "cxjs-02"})).await;
    api.act_ok(&dispatcher, &ids[1], json!({"action": "dispatch", "category": "hjbh-02"})).await;
    let ind = read(&api, "YXQ-RX-0003", page(1)).await.unwrap();
    assert_eq!(ind.records.len(), 1);
    let ind_r = api.blocking(|app| app.resource("YXQ-RX-0003").unwrap()).await;
    for r in &ind.records {
        for f in &ind_r.fields {
            assert!(f.ty.admits(&r[&f.name]), "{} of {r:?}", f.name);
        }
    }
    assert_eq!(ind.records[0]["month"], "2026-11");
    assert_eq!(ind.records[0]["dispatched"], 1);
    let more = read(&api, "YXQ-RX-0003", ReadQuery { after: ind.next.clone(), ..page(5) }).await.unwrap();
    assert_eq!(more.records.len(), 1, "the other unit: {:?}", more.records);
    assert_ne!(more.records[0]["unit"], ind.records[0]["unit"], "no repeat");

    // Published inspection results and certificates: none yet, and that is a page.
    assert!(read(&api, "YXQ-SC-0002", page(10)).await.unwrap().records.is_empty());
    assert!(read(&api, "YXQ-ZW-0002", page(10)).await.unwrap().records.is_empty());
}

/// The 水务局's system, on loopback: `/accounts` pages through five accounts by
/// `after`, echoing `since`; the others answer something wrong.
async fn department_system() -> String {
    use axum::extract::Query;
    use axum::routing::get;
    use std::collections::HashMap;
    async fn accounts(Query(q): Query<HashMap<String, String>>) -> axum::Json<Value> {
        let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(2);
        let from: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
        let all: Vec<Value> = (1..=5)
            .map(|i| {
                json!({"account": format!("A{i:03}"), "holder": format!("户主{i}"), "meters": i,
                       "opened": q.get("since").map(|s| s[..10].to_owned()).unwrap_or_else(|| "2020-01-01".into())})
            })
            .collect();
        let page: Vec<Value> = all.iter().skip(from).take(limit).cloned().collect();
        let next = (from + limit < all.len()).then(|| (from + limit).to_string());
        axum::Json(json!({"records": page, "next": next}))
    }
    let app = axum::Router::new()
        .route("/accounts", get(accounts))
        .route(
            "/extra",
            get(|| async {
                axum::Json(json!({"records": [{"account": "A1", "holder": "x", "meters": 1, "opened": "2020-01-01", "idcard": "1"}], "next": null}))
            }),
        )
        .route(
            "/missing",
            get(|| async { axum::Json(json!({"records": [{"account": "A1", "holder": "x", "opened": "2020-01-01"}]})) }),
        )
        .route(
            "/mistyped",
            get(|| async {
                axum::Json(json!({"records": [{"account": "A1", "holder": "x", "meters": "one", "opened": "2020-01-01"}]}))
            }),
        )
        .route("/html", get(|| async { "<html>维护中</html>" }))
        .route("/down", get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "busy") }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                axum::Json(json!({"records": []}))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Through the gateway: the department's pages as they are, `since` passed on; a
/// record missing a field, with one undeclared, or of the wrong type is
/// `gateway_invalid`; a service down or too slow is `gateway_unavailable`, both 502.
async fn the_gateway_checks_what_the_department_answers(backend: Backend) {
    let config =
        AppConfig { demo: true, gateway: GatewayConfig { timeout: Duration::from_secs(1) }, ..Default::default() };
    let api = Api::with_config(backend, config);
    let base = department_system().await;
    let officer = api.login("swj-data").await;
    for (i, path) in ["accounts", "extra", "missing", "mistyped", "html", "down", "slow"].iter().enumerate() {
        let mut r = water(&format!("{base}/{path}"));
        r["code"] = json!(format!("YXQ-SW-{:04}", i + 1));
        let (s, v) = api.call("POST", "/api/v1/catalogue", Some(&officer), Some(r)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let first = read(&api, "YXQ-SW-0001", page(2)).await.unwrap();
    assert_eq!(first.records.len(), 2);
    assert_eq!(first.records[0]["account"], "A001");
    assert_eq!(first.records[0]["holder"], "户主1", "every declared field, personal ones too");
    let mut all: Vec<Value> = first.records.iter().map(|r| r["account"].clone()).collect();
    let mut next = first.next;
    while let Some(n) = next {
        let p = read(&api, "YXQ-SW-0001", ReadQuery { after: Some(n), ..page(2) }).await.unwrap();
        all.extend(p.records.iter().map(|r| r["account"].clone()));
        next = p.next;
    }
    assert_eq!(all, vec!["A001", "A002", "A003", "A004", "A005"]);
    let since = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z").unwrap().to_utc();
    let p = read(&api, "YXQ-SW-0001", ReadQuery { since: Some(since), ..page(1) }).await.unwrap();
    assert_eq!(p.records[0]["opened"], "2026-11-01", "since is passed on");

    for (code, want) in [
        ("YXQ-SW-0002", "gateway_invalid"),
        ("YXQ-SW-0003", "gateway_invalid"),
        ("YXQ-SW-0004", "gateway_invalid"),
        ("YXQ-SW-0005", "gateway_invalid"),
        ("YXQ-SW-0006", "gateway_unavailable"),
        ("YXQ-SW-0007", "gateway_unavailable"),
    ] {
        let e = read(&api, code, page(2)).await.unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::BAD_GATEWAY, want), "{code}: {}", e.message);
    }
    let e = read(&api, "YXQ-SW-0002", page(2)).await.unwrap_err();
    assert!(e.message.contains("idcard"), "names the undeclared field: {}", e.message);
    let e = read(&api, "YXQ-SW-0004", page(2)).await.unwrap_err();
    assert!(e.message.contains("meters"), "names the mistyped field: {}", e.message);
}

/// A closed consultation is published in the day's export: category, dates and
/// outcome, its text with the caller's name and phone masked; a hotline appeal's
/// text (not published) is left out; the CSV says the same.
async fn open_data_publishes_closed_cases_without_personal_text(backend: Backend) {
    let api = Api::on(backend);
    seed(&api).await;
    let (s, v) = api
        .call(
            "POST",
            "/api/v1/appeals",
            None,
            Some(json!({
                "channel": "web",
                "appeal_type": "consultation",
                "title": "补办身份证",
                "text": "我是李秀英，电话13900001111，身份证丢了怎么补办？",
                "location": {"address": "望湖街道湖畔路"},
                "citizen": {"name": "李秀英", "phone": "13900001111"}
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let web = v["case_id"].as_str().unwrap().to_owned();
    let operator = api.login("operator1").await;
    let (s, v) = api
        .call(
            "POST",
            "/api/v1/appeals",
            Some(&operator),
            Some(json!({
                "channel": "hotline",
                "appeal_type": "consultation",
                "title": "社保查询",
                "text": "王建国来电咨询社保缴费年限，电话13700002222",
                "location": {"address": "云溪街道"},
                "citizen": {"name": "王建国", "phone": "13700002222"}
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let hotline = v["case_id"].as_str().unwrap().to_owned();
    let (open, _) = api.citizen_appeal().await;
    for id in [&web, &hotline] {
        api.act_ok(&operator, id, json!({"action": "answer_directly", "answer": "携带户口簿到派出所补办。"})).await;
    }
    let n = api.blocking(|app| app.refresh_open_data().unwrap()).await;
    assert_eq!(n, 3, "appeals, applications and indicators (inspection results are published already)");

    let (s, d) = api.call("GET", "/open/data/YXQ-RX-0001.json", None, None).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let recs = d["records"].as_array().unwrap();
    let ids: Vec<&str> = recs.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&web.as_str()) && ids.contains(&hotline.as_str()), "{ids:?}");
    assert!(!ids.contains(&open.as_str()), "an open case is not exported");
    let of = |id: &str| recs.iter().find(|r| r["id"] == id).unwrap().clone();
    let w = of(&web);
    let text = w["text"].as_str().unwrap();
    assert!(text.contains("补办") && !text.contains("13900001111") && !text.contains("李秀英"), "{text}");
    assert!(w["closed_at"].is_string() && w["outcome"].is_string(), "{w}");
    assert_eq!(of(&hotline)["text"], Value::Null, "a hotline call is not published");
    let everything = d.to_string();
    for secret in ["13900001111", "13700002222", "王建国", "李秀英", "张三"] {
        assert!(!everything.contains(secret), "{secret} in {everything}");
    }

    let (s, _, csv) = send(&api, get("/open/data/YXQ-RX-0001.csv", None)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.starts_with("\u{feff}编号,"), "{csv}");
    assert!(csv.contains(&web) && !csv.contains("13900001111") && !csv.contains("13700002222"));
    for closed in [
        "/open/data/YXQ-RX-0002.json",
        "/open/data/YXQ-SC-0002.csv",
        "/open/data/NONE.json",
        "/open/data/YXQ-RX-0001.xml",
    ] {
        let (s, _) = api.call("GET", closed, None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{closed}");
    }
}

/// The DCAT catalogue from a real server, parsed by rdflib (Debian's python3-rdflib,
/// run by /usr/bin/python3 or YIWANG_TEST_PYTHON): datasets, each distribution's
/// download URL, which answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dcat_catalogue_parses_with_rdflib() {
    let api = Api::new();
    seed(&api).await;
    api.blocking(|app| app.refresh_open_data().unwrap()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = yiwang_web::WebConfig { public_url: base.clone(), ..Default::default() };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(yiwang_web::serve_with(listener, api.app.clone(), config, async {
        let _ = stopped.await;
    }));
    const SCRIPT: &str = "import json, sys\n\
        from rdflib import Graph, Namespace, RDF\n\
        DCAT = Namespace('http://www.w3.org/ns/dcat#')\n\
        DCT = Namespace('http://purl.org/dc/terms/')\n\
        g = Graph()\n\
        g.parse(sys.argv[1], format='json-ld')\n\
        print(json.dumps({\n\
        \x20   'catalogs': len(list(g.subjects(RDF.type, DCAT.Catalog))),\n\
        \x20   'datasets': sorted(str(o) for s in g.subjects(RDF.type, DCAT.Dataset) for o in g.objects(s, DCT.identifier)),\n\
        \x20   'distributions': len(list(g.subjects(RDF.type, DCAT.Distribution))),\n\
        \x20   'downloads': sorted(str(o) for o in g.objects(None, DCAT.downloadURL)),\n\
        \x20   'periodicity': sorted(set(str(o) for o in g.objects(None, DCT.accrualPeriodicity))),\n\
        }))\n";
    let url = format!("{base}/open/catalog.jsonld");
    let out = tokio::task::spawn_blocking(move || {
        let python = std::env::var("YIWANG_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        std::process::Command::new(&python)
            .args(["-c", SCRIPT, &url])
            .output()
            .unwrap_or_else(|e| panic!("{python}: {e} (scripts/test installs python3-rdflib)"))
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "rdflib refused the catalogue or is missing (apt-get install python3-rdflib): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let g: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(g["catalogs"], 1);
    assert_eq!(
        g["datasets"],
        json!(["YXQ-RX-0001", "YXQ-RX-0003", "YXQ-SC-0002", "YXQ-ZW-0001"]),
        "the open ones: {g}"
    );
    assert_eq!(g["distributions"], 8, "{g}");
    assert!(g["periodicity"].as_array().unwrap().contains(&json!("http://purl.org/cld/freq/daily")), "{g}");
    let downloads: Vec<String> = serde_json::from_value(g["downloads"].clone()).unwrap();
    assert!(
        downloads.contains(&format!("{base}/api/v1/supervision/results.csv")),
        "not published twice: {downloads:?}"
    );
    let client = reqwest::Client::new();
    for d in &downloads {
        let r = client.get(d).send().await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK, "{d}");
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// The console: the catalogue searched and filtered, a resource's page with its
/// personal fields marked, and a department's 数据专员 registering and amending
/// through the form (fields as lines), its mistakes shown with what was typed.
#[tokio::test]
async fn the_console_lists_shows_and_keeps_the_catalogue() {
    let api = Api::new();
    seed(&api).await;
    let (cookie, _) = console_login(&api, "cgw-handler").await;
    let (s, _, page) = send(&api, get("/console/catalogue?share=conditional", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("市场主体名录") && !page.contains("12345热线考核指标"), "filtered by share class");
    assert!(!page.contains("/console/catalogue/new"), "a handler registers nothing");
    let (_, _, page) = send(&api, get("/console/catalogue?q=%E5%90%8D%E5%BD%95", Some(&cookie))).await;
    assert!(page.contains("YXQ-SC-0001") && !page.contains("YXQ-RX-0001"), "by words (名录)");
    let (s, _, page) = send(&api, get("/console/catalogue/YXQ-SC-0001", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    let fields = page.split("id=\"resource-fields\"").nth(1).unwrap();
    assert!(fields.contains("法定代表人") && fields.contains("个人信息"), "{fields}");
    assert!(page.contains("有条件共享") && page.contains("共享条件"));

    let (cookie, csrf) = console_login(&api, "swj-data").await;
    let form = |code: &str, lines: &str, share: &str| {
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        format!(
            "_csrf={csrf}&code={code}&name={}&owner=swj&description={}&fields={}&key_field=account&share={share}\
             &conditions=&open=closed&frequency=daily&format=JSON&source=gateway&url={}&kind=&view=anonymised",
            enc("水表读数"),
            enc("各户月度水表读数"),
            enc(lines),
            enc("http://10.20.1.5/share/meters"),
        )
    };
    let lines = "account,户号,code,否\nholder,户主,text,是\nreading,读数,decimal,否";
    let (s, _, page) =
        send(&api, post_form("/console/catalogue/new", Some(&cookie), &form("YXQ-SW-0100", lines, "conditional")))
            .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("共享条件") && page.contains("水表读数"), "the refusal, what was typed kept");
    let (s, headers, _) =
        send(&api, post_form("/console/catalogue/new", Some(&cookie), &form("YXQ-SW-0100", lines, "unconditional")))
            .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/console/catalogue/YXQ-SW-0100");
    let r: Resource = api.blocking(|app| app.resource("YXQ-SW-0100").unwrap()).await;
    assert_eq!(r.fields.len(), 3);
    assert!(r.fields[1].personal && !r.fields[0].personal);

    let (s, _, page) = send(&api, get("/console/catalogue/YXQ-SW-0100/edit", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("holder,户主,text,是"), "the fields as lines");
    let more = format!("{lines}\nmonth,月份,text,否");
    let (s, _, _) = send(
        &api,
        post_form("/console/catalogue/YXQ-SW-0100/edit", Some(&cookie), &form("YXQ-SW-0100", &more, "unconditional")),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let r: Resource = api.blocking(|app| app.resource("YXQ-SW-0100").unwrap()).await;
    assert_eq!(r.fields.len(), 4);

    let (other, _) = console_login(&api, "cgw-data").await;
    let (s, _, _) = send(&api, get("/console/catalogue/YXQ-SW-0100/edit", Some(&other))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// The portal's open data page lists the open datasets with their downloads.
#[tokio::test]
async fn the_portal_lists_the_open_datasets() {
    let api = Api::new();
    seed(&api).await;
    let (s, _, page) = send(&api, get("/open", None)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("公共数据开放") && page.contains("12345热线诉求办理情况（脱敏）"));
    assert!(page.contains("/open/data/YXQ-RX-0001.csv") && page.contains("/api/v1/supervision/results.csv"));
    assert!(!page.contains("市场主体名录"), "a closed resource is not on the portal");
}
