//! The Idempotency-Key header on intake and on actions (issue 19): a retry answers
//! what the first try did and never makes a second case or a second action.

use crate::harness::{Api, Backend, code_of};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A POST with an Idempotency-Key: status, the `idempotent-replayed` header, body.
async fn keyed(api: &Api, path: &str, token: Option<&str>, key: &str, body: &Value) -> (StatusCode, String, Value) {
    send(api.app.clone(), path, token, key, body).await
}

async fn send(
    app: std::sync::Arc<yiwang_app::App>,
    path: &str,
    token: Option<&str>,
    key: &str,
    body: &Value,
) -> (StatusCode, String, Value) {
    let mut req = Request::builder().method("POST").uri(path).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req.header("idempotency-key", key).body(Body::from(body.to_string())).unwrap();
    let resp = yiwang_web::router(app).oneshot(req).await.unwrap();
    let status = resp.status();
    let replayed =
        resp.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, replayed, serde_json::from_slice(&bytes).unwrap())
}

fn appeal(text: &str) -> Value {
    json!({"channel": "web", "appeal_type": "complaint", "text": text, "citizen": {"name": "李四", "phone": "13900001111"}})
}

async fn cases(api: &Api) -> u64 {
    api.blocking(|app| app.store().count_cases(&yiwang_store::CaseQuery::default()).unwrap()).await
}

async fn an_intake_retried_with_its_idempotency_key_makes_one_case(backend: Backend) {
    let api = Api::on(backend);
    let before = cases(&api).await;
    let body = appeal("小区门口的井盖松动，走上去会响。");
    let (s, replayed, first) = keyed(&api, "/api/v1/appeals", None, "k-0001", &body).await;
    assert_eq!((s, replayed.as_str()), (StatusCode::CREATED, "false"), "{first}");
    let (s, replayed, again) = keyed(&api, "/api/v1/appeals", None, "k-0001", &body).await;
    assert_eq!((s, replayed.as_str()), (StatusCode::CREATED, "true"), "{again}");
    assert_eq!(again["case_id"], first["case_id"]);
    assert_eq!(again["tracking_code"], first["tracking_code"]);
    assert_eq!(again["accepted_at"], first["accepted_at"]);
    assert_eq!(cases(&api).await, before + 1, "the retry made no second case");

    // The same key with another request is refused with a stable code.
    let (s, _, e) = keyed(&api, "/api/v1/appeals", None, "k-0001", &appeal("另一件事：路灯不亮。")).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"));
    // Keys are scoped per credential: a staff member's k-0001 is another key.
    let operator = api.login("operator1").await;
    let (s, _, staffs) = keyed(&api, "/api/v1/appeals", Some(&operator), "k-0001", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{staffs}");
    assert_ne!(staffs["case_id"], first["case_id"]);
    // A key no client could mean is refused, not ignored.
    for bad in ["", &"x".repeat(256)] {
        let (s, _, e) = keyed(&api, "/api/v1/appeals", None, bad, &body).await;
        assert_eq!((s, code_of(&e)), (StatusCode::BAD_REQUEST, "invalid_idempotency_key"), "{bad:?}");
    }

    // Retries racing each other (a client that gave up waiting, twice): one case.
    let before = cases(&api).await;
    let race = appeal("楼道灯坏了三天。");
    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (app, race) = (api.app.clone(), race.clone());
        racing.spawn(async move { send(app, "/api/v1/appeals", None, "k-race", &race).await });
    }
    let answers = racing.join_all().await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(s, _, v)| {
            assert_eq!(*s, StatusCode::CREATED, "{v}");
            v["case_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(answers.iter().filter(|(_, r, _)| r == "false").count(), 1, "one made it, the rest replayed");
    assert_eq!(cases(&api).await, before + 1);

    // Kept 24 hours: after the scheduler's purge the key is free again.
    api.step(chrono::Duration::hours(25));
    api.blocking(|app| app.tick().unwrap()).await;
    let (s, replayed, later) = keyed(&api, "/api/v1/appeals", None, "k-0001", &body).await;
    assert_eq!((s, replayed.as_str()), (StatusCode::CREATED, "false"), "{later}");
    assert_ne!(later["case_id"], first["case_id"]);
}

async fn an_action_retried_with_its_idempotency_key_is_done_once(backend: Backend) {
    let api = Api::on(backend);
    let (id, _) = api.citizen_appeal().await;
    let (other, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let handler = api.login("cgw-handler").await;
    api.act_ok(&handler, &id, json!({"action": "sign_for"})).await;
    let events = |v: &Value| v["events"].as_array().unwrap().len();

    let path = format!("/api/v1/appeals/{id}/actions");
    let contact = json!({"action": "contact", "note": "电话联系诉求人"});
    let (s, replayed, first) = keyed(&api, &path, Some(&handler), "act-1", &contact).await;
    assert_eq!((s, replayed.as_str()), (StatusCode::OK, "false"), "{first}");
    let (s, replayed, again) = keyed(&api, &path, Some(&handler), "act-1", &contact).await;
    assert_eq!((s, replayed.as_str()), (StatusCode::OK, "true"), "{again}");
    assert_eq!(events(&again), events(&first), "the retry appended nothing");
    // Without a key the same command is simply done again.
    let v = api.act_ok(&handler, &id, contact.clone()).await;
    assert_eq!(events(&v), events(&first) + 1);

    // The same key for another command, or on another case, is refused.
    let (s, _, e) = keyed(&api, &path, Some(&handler), "act-1", &json!({"action": "contact", "note": "再次"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"), "{e}");
    let elsewhere = format!("/api/v1/appeals/{other}/actions");
    let (s, _, e) =
        keyed(&api, &elsewhere, Some(&dispatcher), "act-1", &json!({"action": "dispatch", "category": "cxjs-02"}))
            .await;
    assert_eq!(s, StatusCode::OK, "another staff member's act-1 is another key: {e}");
    let (s, _, e) = keyed(&api, &elsewhere, Some(&handler), "act-1", &contact).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"), "{e}");
}

/// An Open311 POST Service Request with an Idempotency-Key: scoped to the API key.
async fn open311(api: &Api, api_key: &str, key: &str, description: &str) -> (StatusCode, String) {
    let form = format!("api_key={api_key}&service_code=cxjs-02&address_string=湖畔路12号&description={description}");
    let req = Request::builder()
        .method("POST")
        .uri("/open311/v2/requests.json")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", key)
        .body(Body::from(form))
        .unwrap();
    let resp = yiwang_web::router(api.app.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn an_open311_request_retried_with_its_idempotency_key_makes_one_case(backend: Backend) {
    let api = Api::on(backend);
    let issue = |name: &'static str| {
        api.blocking(move |app| app.issue_api_key(&yiwang_core::org::Actor::System, name).unwrap().key)
    };
    let (a, b) = (issue("甲客户端").await, issue("乙客户端").await);
    let before = cases(&api).await;
    let (s, first) = open311(&api, &a, "o-1", "路面塌陷").await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let id = |body: &str| serde_json::from_str::<Value>(body).unwrap()[0]["service_request_id"].clone();
    let (s, again) = open311(&api, &a, "o-1", "路面塌陷").await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(id(&again), id(&first));
    assert_eq!(cases(&api).await, before + 1);
    // Another request under the key is refused with the spec's 400; another client's
    // o-1 is its own.
    let (s, e) = open311(&api, &a, "o-1", "另一处塌陷").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(e.contains("Idempotency-Key"), "{e}");
    let (s, other) = open311(&api, &b, "o-1", "路面塌陷").await;
    assert_eq!(s, StatusCode::OK, "{other}");
    assert_ne!(id(&other), id(&first));
}

/// A task's progress report with a key: reported once, however often it is sent.
async fn a_task_report_retried_with_its_idempotency_key_is_recorded_once(backend: Backend) {
    let api = Api::on(backend);
    let inspector = api.login("inspector1").await;
    let task = json!({"tasks": [{
        "title": "改造老旧小区15个", "task_type": "annual",
        "target": {"value": "15", "unit": "个", "what": "改造老旧小区", "direction": "at_least", "source": "改造老旧小区15个。"},
        "lead": "zjw", "co_units": ["mzj"], "deadline": "2026-12-31", "leader": "leader1", "document": "政府工作报告"
    }]});
    let (s, v) = api.call("POST", "/api/v1/tasks", Some(&inspector), Some(task)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["ids"][0].as_str().unwrap().to_owned();
    let zjw = api.login("zjw-handler").await;
    let path = format!("/api/v1/tasks/{id}/actions");
    let (s, _, v) = keyed(&api, &path, Some(&zjw), "t-1", &json!({"action": "sign_for"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // The co-unit reports its part; a second report waits for the first's review.
    let mzj = api.login("mzj-handler").await;
    let report = json!({"action": "report", "text": "协助完成入户调查"});
    let (s, replayed, first) = keyed(&api, &path, Some(&mzj), "t-2", &report).await;
    assert_eq!((s, replayed.as_str()), (StatusCode::OK, "false"), "{first}");
    let (s, replayed, again) = keyed(&api, &path, Some(&mzj), "t-2", &report).await;
    assert_eq!((s, replayed.as_str()), (StatusCode::OK, "true"), "{again}");
    let events = |v: &Value| v["events"].as_array().unwrap_or_else(|| panic!("{v}")).len();
    assert_eq!(events(&again), events(&first), "the retry reported nothing more: {again}");
    // Under another key it is a second report, refused: the retry above was answered
    // with what its first try did instead.
    let (s, _, other) = keyed(&api, &path, Some(&mzj), "t-3", &report).await;
    assert_eq!((s, code_of(&other)), (StatusCode::CONFLICT, "report_pending"), "{other}");
    let other_report = json!({"action": "report", "text": "另一条"});
    let (s, _, e) = keyed(&api, &path, Some(&mzj), "t-2", &other_report).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"), "{e}");
}

on_both_stores!(
    a_task_report_retried_with_its_idempotency_key_is_recorded_once,
    an_intake_retried_with_its_idempotency_key_makes_one_case,
    an_action_retried_with_its_idempotency_key_is_done_once,
    an_open311_request_retried_with_its_idempotency_key_makes_one_case,
);
