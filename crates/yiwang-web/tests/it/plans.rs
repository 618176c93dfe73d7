//! 双随机一公开 over the API, on both stores: a plan drafted from a matter of the
//! register, committed to a real drand quicknet round (123, recorded in drand-verify's
//! own tests: the clock is set to just before it was published), drawn with the pasted
//! signature, published and redrawn with a reason; bad input refused with its code;
//! the public record downloaded byte for byte and re-verified; the pages.

use crate::harness::{Api, Backend, code_of};
use crate::ui::{console_login, get, post_form, send};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use yiwang_core::org::Actor;
use yiwang_core::plan::draw;

const ROUND: u64 = 123;
const SIGNATURE: &str =
    "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
/// The enterprise SC001 (蔡丽华) must never inspect (her 回避 list).
const RECUSED: &str = "91350100M000100Y43";

on_both_stores!(a_plan_is_drawn_published_and_redrawn_and_its_record_verifies, bad_plan_input_is_refused_with_its_code);

/// 300 enterprises of the demo register (without their history, founded before the
/// test's today), imported as the register's keeper does.
async fn with_register(api: &Api) {
    let all: Vec<Value> = serde_json::from_str(yiwang_app::DEMO_ENTERPRISES).unwrap();
    let some: Vec<Value> = all
        .into_iter()
        .filter(|e| e["founded"].as_str().unwrap() < "2023-01-01")
        .take(300)
        .map(|mut e| {
            e["facts"] = json!([]);
            e
        })
        .collect();
    let text = serde_json::to_string(&some).unwrap();
    let r = api.blocking(move |app| app.import_register(&Actor::System, &text)).await.unwrap();
    assert!(r.registered >= 250, "{r:?}");
}

/// Just before quicknet round 123 was published (2023-08-23 15:15:33 UTC).
fn before_round() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 8, 23, 15, 12, 0).unwrap()
}

fn new_plan() -> Value {
    json!({
        "title": "2023年第三季度餐饮服务食品安全双随机抽查",
        "matters": ["SC-SP-01"],
        "period_start": "2023-09-01",
        "period_end": "2023-11-30",
        "ratios": {"a": 1000, "b": 2000, "c": 5000, "d": 10000}
    })
}

/// The inspections a plan opened.
async fn inspections(api: &Api, plan: String) -> Vec<yiwang_store::CaseRow> {
    api.blocking(move |app| {
        let q = yiwang_store::CaseQuery {
            kind: Some("inspection"),
            detail: vec![("source_case", json!(plan))],
            limit: 1000,
            ..Default::default()
        };
        app.store().list_cases(&q).unwrap().rows
    })
    .await
}

async fn record_bytes(api: &Api, path: &str) -> (StatusCode, Vec<u8>) {
    let req = Request::builder().uri(path).body(Body::empty()).unwrap();
    let resp = yiwang_web::router(api.app.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    (status, resp.into_body().collect().await.unwrap().to_bytes().to_vec())
}

async fn a_plan_is_drawn_published_and_redrawn_and_its_record_verifies(backend: Backend) {
    let api = Api::on(backend);
    with_register(&api).await;
    let reg = api.login("scjgj-regulator").await;
    let other = api.login("sthjj-regulator").await;
    api.clock.set(before_round());

    let (s, v) = api.call("POST", "/api/v1/plans", Some(&reg), Some(new_plan())).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["plan"]["status"], "draft");
    assert_eq!(v["actions"], json!(["commit", "close"]));
    let id = v["plan"]["id"].as_str().unwrap().to_owned();
    let act = |body: Value| {
        let (api, reg, id) = (&api, reg.clone(), id.clone());
        async move { api.call("POST", &format!("/api/v1/plans/{id}/actions"), Some(&reg), Some(body)).await }
    };

    // Another department's 监管人员 sees it but may not act on it.
    let (s, v) =
        api.call("POST", &format!("/api/v1/plans/{id}/actions"), Some(&other), Some(json!({"action": "commit"}))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");
    // A round already out.
    let (s, v) = act(json!({"action": "commit", "round": 10})).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "round_not_future"), "{v}");

    let (s, v) = act(json!({"action": "commit", "round": ROUND})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["plan"]["status"], "committed");
    let d = &v["plan"]["draws"][0];
    assert_eq!(d["commitment"]["round"], ROUND);
    assert!(d["seed"].is_null(), "the seed stays secret until the draw: {d}");
    assert_eq!(d["commitment"]["seed_sha256"].as_str().unwrap().len(), 64);
    let targets = d["snapshot"]["targets"].as_array().unwrap().len();
    assert!(targets >= 20, "食品经营 enterprises in the snapshot: {targets}");
    // Nothing public before the draw.
    let (s, _) = record_bytes(&api, &format!("/api/v1/draws/{id}/1")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    api.clock.set(Utc.with_ymd_and_hms(2023, 8, 23, 15, 20, 0).unwrap());
    let (s, v) = act(json!({"action": "draw", "round": 124, "signature": SIGNATURE})).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "wrong_round"), "{v}");
    let forged = format!("{}00{}", &SIGNATURE[..10], &SIGNATURE[12..]);
    let (s, v) = act(json!({"action": "draw", "round": ROUND, "signature": forged})).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "bad_beacon"), "{v}");
    let (s, v) = act(json!({"action": "draw", "round": ROUND, "signature": SIGNATURE})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["plan"]["status"], "drawn");
    let result = v["plan"]["draws"][0]["result"].as_array().unwrap().clone();
    assert!(!result.is_empty());
    for a in &result {
        let inspectors = a["inspectors"].as_array().unwrap();
        assert_eq!(inspectors.len(), 2, "{a}");
        assert!(inspectors.iter().all(|i| i.as_str().unwrap().starts_with("SC")), "市场监管局's own: {a}");
        if a["target"] == RECUSED {
            assert!(!inspectors.contains(&json!("SC001")), "SC001 is recused from {RECUSED}");
        }
        assert!(v["targets"][a["target"].as_str().unwrap()].is_string(), "the target's name: {a}");
    }

    // The public record: listed, downloaded byte for byte, re-verified.
    let (s, list) = api.call("GET", "/api/v1/draws", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.as_array().unwrap().iter().any(|r| r["id"] == id.as_str()), "{list}");
    let (s, bytes) = record_bytes(&api, &format!("/api/v1/draws/{id}/1")).await;
    assert_eq!(s, StatusCode::OK);
    let r = draw::verify_record(&bytes).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(r.result.len(), result.len());
    let mut changed = bytes.clone();
    let at = String::from_utf8_lossy(&bytes).find("\"seed\": \"").unwrap() + 9;
    changed[at] = if changed[at] == b'0' { b'1' } else { b'0' };
    assert!(draw::verify_record(&changed).is_err());

    let (s, v) = act(json!({"action": "publish"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["plan"]["status"], "published");
    assert_eq!(v["actions"], json!(["redraw", "close"]));
    // Publishing opened one inspection per drawn target, assigned to its inspectors;
    // the scheduler's repair opens none twice.
    let rows = inspections(&api, id.clone()).await;
    assert_eq!(rows.len(), result.len());
    for row in &rows {
        let d: Value = serde_json::from_str(&row.detail).unwrap();
        let a = result.iter().find(|a| a["target"] == d["enterprise"]).expect("a drawn target");
        assert_eq!(d["matter"], "SC-SP-01");
        // The detail names the drawn inspectors' logins (SC007 and SC008 have none).
        let logins = d["inspectors"].as_array().unwrap();
        assert!(!logins.is_empty() && logins.len() <= 2, "{d} for {a}");
        assert!(logins.iter().all(|l| l.as_str().unwrap().starts_with("scjgj-enforcer")), "{d}");
    }
    let again = {
        let id = yiwang_core::id::CaseId::parse(&id).unwrap();
        api.blocking(move |app| app.open_drawn_inspections(&id)).await.unwrap()
    };
    assert_eq!(again, 0);
    api.blocking(|app| app.tick()).await.unwrap();
    assert_eq!(inspections(&api, id.clone()).await.len(), result.len());

    // A redraw needs its reason; it is a new commitment, and the first draw stays.
    let (s, v) = act(json!({"action": "redraw", "reason": " "})).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "reason_required"), "{v}");
    let (s, v) = act(json!({"action": "redraw", "reason": "两名执法人员调离"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["plan"]["status"], "committed");
    assert_eq!(v["plan"]["draws"][1]["commitment"]["number"], 2);
    assert_eq!(v["plan"]["draws"][1]["commitment"]["reason"], "两名执法人员调离");
    assert!(v["plan"]["draws"][1]["commitment"]["round"].as_u64().unwrap() > ROUND);
    let (s, again) = record_bytes(&api, &format!("/api/v1/draws/{id}/1")).await;
    assert_eq!((s, again), (StatusCode::OK, bytes), "the first draw's record is unchanged");
    let (s, _) = record_bytes(&api, &format!("/api/v1/draws/{id}/2")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "the redraw is not drawn yet");

    // Another plan of the same matter: the targets drawn within the year are left out
    // of its snapshot, and the last draw's pairs are named for the recusal rule.
    let (s, v) = api.call("POST", "/api/v1/plans", Some(&reg), Some(new_plan())).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let second = v["plan"]["id"].as_str().unwrap().to_owned();
    let (s, v) = api
        .call("POST", &format!("/api/v1/plans/{second}/actions"), Some(&reg), Some(json!({"action": "commit"})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let snap = &v["plan"]["draws"][0]["snapshot"];
    assert_eq!(snap["targets"].as_array().unwrap().len(), targets - result.len(), "once a year per matter");
    for a in &result {
        assert!(!snap["targets"].as_array().unwrap().iter().any(|t| t["code"] == a["target"]), "{a} drawn again");
    }
    let pairs: usize = result.iter().map(|a| a["inspectors"].as_array().unwrap().len()).sum();
    assert_eq!(snap["last"].as_array().unwrap().len(), pairs, "the last draw's pairs");
}

async fn bad_plan_input_is_refused_with_its_code(backend: Backend) {
    let api = Api::on(backend);
    let reg = api.login("scjgj-regulator").await;
    let enforcer = api.login("scjgj-enforcer1").await;
    let with = |k: &str, v: Value| {
        let mut p = new_plan();
        p[k] = v;
        p
    };
    let rows: Vec<(&str, &str, Value, StatusCode, &str)> = vec![
        ("an enforcer", &enforcer, new_plan(), StatusCode::FORBIDDEN, "forbidden"),
        (
            "an unknown matter",
            &reg,
            with("matters", json!(["NO-SUCH"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "another department's matter",
            &reg,
            with("matters", json!(["HJ-PW-01"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_own_matter",
        ),
        ("no matter", &reg, with("matters", json!([])), StatusCode::UNPROCESSABLE_ENTITY, "no_matter"),
        (
            "one inspector",
            &reg,
            with("inspectors_per_target", json!(1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_inspectors_per_target",
        ),
        (
            "a period backwards",
            &reg,
            with("period_end", json!("2023-08-01")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_period",
        ),
        (
            "a ratio over 100 %",
            &reg,
            with("min_ratio", json!(20000)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ratio",
        ),
        ("an empty title", &reg, with("title", json!("")), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
    ];
    for (what, token, body, status, code) in rows {
        let (s, v) = api.call("POST", "/api/v1/plans", Some(token), Some(body)).await;
        assert_eq!((s, code_of(&v)), (status, code), "{what}: {v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_ascii()), "{what}: a Chinese message: {v}");
    }
    // Not JSON of a plan at all; an unknown field; an unknown action; no such plan.
    let (s, _) = api.call("POST", "/api/v1/plans", Some(&reg), Some(json!({"title": 3}))).await;
    assert!(s.is_client_error(), "{s}");
    let (s, _) = api.call("POST", "/api/v1/plans", Some(&reg), Some(with("seed", json!("00")))).await;
    assert!(s.is_client_error(), "{s}");
    let (s, v) = api.call("POST", "/api/v1/plans", Some(&reg), Some(new_plan())).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["plan"]["id"].as_str().unwrap();
    let (s, _) =
        api.call("POST", &format!("/api/v1/plans/{id}/actions"), Some(&reg), Some(json!({"action": "shuffle"}))).await;
    assert!(s.is_client_error(), "{s}");
    let (s, v) =
        api.call("POST", &format!("/api/v1/plans/{id}/actions"), Some(&reg), Some(json!({"action": "publish"}))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::CONFLICT, "not_drawn"), "{v}");
    // With an empty register nothing can be committed.
    let (s, v) =
        api.call("POST", &format!("/api/v1/plans/{id}/actions"), Some(&reg), Some(json!({"action": "commit"}))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::CONFLICT, "no_targets"), "{v}");
    let (s, _) = api.call("GET", "/api/v1/plans/CC20991231000001", Some(&reg), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api.call("GET", "/api/v1/plans", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The registers: anyone of staff reads them; only an administrator loads them,
    // and a bad file stores nothing.
    let (s, v) = api.call("GET", "/api/v1/supervision", Some(&reg), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["matters"].as_array().unwrap().len() >= 6);
    let put = |token: String, text: &'static str| {
        let req = Request::builder()
            .method("PUT")
            .uri("/api/v1/supervision")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/toml")
            .body(Body::from(text))
            .unwrap();
        api.raw(req)
    };
    let (s, v) = put(reg.clone(), "[[matter]]\ncode = \"X\"\n").await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");
    let admin = api.login("admin").await;
    let (s, v) = put(admin, "[[inspector]]\nid = \"Z1\"\nname = \"某人\"\nunit = \"nowhere\"\nqualifications = [\"占卜\"]\nlicence = \"1\"\n").await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{v}");
    let msg = v["error"]["message"].as_str().unwrap_or_else(|| panic!("{v}"));
    assert!(msg.contains("Z1") && msg.contains("nowhere") && msg.contains("占卜"), "{msg}");
    let (_, v) = api.call("GET", "/api/v1/supervision", Some(&reg), None).await;
    assert!(v["inspectors"].as_array().unwrap().len() >= 20, "the bad file stored nothing");
}

#[tokio::test]
async fn the_plan_pages_and_the_public_record_page() {
    let api = Api::new();
    with_register(&api).await;
    let (cookie, token) = console_login(&api, "scjgj-regulator").await;
    api.clock.set(before_round());
    let (status, _, page) = send(&api, get("/console/plans", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("制定抽查计划") && page.contains("食品经营许可事项检查"), "{page}");
    let form = format!(
        "_csrf={token}&title=%E9%A4%90%E9%A5%AE%E6%8A%BD%E6%9F%A5&matter=SC-SP-01&joint=&period_start=2023-09-01&period_end=2023-11-30&inspectors_per_target=2"
    );
    let (status, headers, _) = send(&api, post_form("/console/plans", Some(&cookie), &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = headers["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/console/plans/CC"), "{to}");
    let id = to.trim_start_matches("/console/plans/").to_owned();
    let (_, _, page) = send(&api, get(&to, Some(&cookie))).await;
    assert!(page.contains("承诺名单和种子"), "{page}");
    let act = |form: String| post_form(&format!("/console/plans/{id}/act"), Some(&cookie), &form);
    let (status, headers, _) = send(&api, act(format!("_csrf={token}&action=commit&round={ROUND}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers["location"].to_str().unwrap().ends_with("?done=1"));
    let (_, _, page) = send(&api, get(&to, Some(&cookie))).await;
    assert!(page.contains("信标签名（十六进制）") && page.contains("/public/123"), "{page}");
    api.clock.set(Utc.with_ymd_and_hms(2023, 8, 23, 15, 20, 0).unwrap());
    let (_, headers, _) = send(&api, act(format!("_csrf={token}&action=draw&round={ROUND}&signature=00"))).await;
    assert!(headers["location"].to_str().unwrap().contains("error="), "a bad signature is said");
    let (_, headers, _) =
        send(&api, act(format!("_csrf={token}&action=draw&round={ROUND}&signature={SIGNATURE}"))).await;
    assert!(headers["location"].to_str().unwrap().ends_with("?done=1"));
    let (_, _, page) = send(&api, get(&to, Some(&cookie))).await;
    assert!(page.contains("下载抽取记录") && page.contains("执法证"), "{page}");
    // The portal, without a session.
    let (status, _, page) = send(&api, get("/supervision/draws", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("餐饮抽查"), "{page}");
    let (status, _, page) = send(&api, get(&format!("/supervision/draws/{id}"), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("如何验证") && page.contains("yiwang verify-draw") && page.contains(SIGNATURE), "{page}");
    assert!(page.contains(&format!("/api/v1/draws/{id}/1")), "the download link");
    let (status, _, _) = send(&api, get("/supervision/draws/CC20991231000001", None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
