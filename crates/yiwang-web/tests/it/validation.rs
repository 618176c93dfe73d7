use crate::harness::{Api, Backend, code_of};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

async fn bad_input_gets_a_stable_code_and_nothing_is_stored(backend: Backend) {
    let api = Api::on(backend);
    let dispatcher = api.login("dispatcher1").await;
    let count = || api.blocking(|app| app.store().count_cases(&Default::default()).unwrap());
    let good = json!({"channel": "web", "appeal_type": "complaint", "text": "噪音扰民"});
    let cases = [
        (json!({"channel": "web", "appeal_type": "complaint"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        (
            json!({"channel": "web", "appeal_type": "complaint", "text": "   "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json!({"channel": "web", "appeal_type": "gossip", "text": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json!({"channel": "web", "appeal_type": "help", "text": "x", "citizen": {"phone": "12345"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json!({"channel": "web", "appeal_type": "help", "text": "x", "location": {"point": {"lon": 500.0, "lat": 1.0}}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json!({"channel": "web", "appeal_type": "help", "text": "x", "category": "nope"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_category",
        ),
        (json!({"channel": "hotline", "appeal_type": "help", "text": "x"}), StatusCode::FORBIDDEN, "forbidden"),
        (
            json!({"channel": "web", "appeal_type": "help", "text": "x".repeat(5001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        // A NUL, which PostgreSQL cannot store, is refused before it reaches a batch.
        (
            json!({"channel": "web", "appeal_type": "help", "text": "路灯不亮\u{0}"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json!({"channel": "web", "appeal_type": "help", "text": "x", "citizen": {"name": "张\u{0}三"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        // Six full-width digits are eighteen bytes: once a slice at byte 17, a panic.
        (
            json!({"channel": "web", "appeal_type": "help", "text": "x", "citizen": {"id_number": "１１０１０１"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json!({"channel": "web", "appeal_type": "help", "text": "x", "citizen": {"id_number": "110105194912310021"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
    ];
    for (body, status, code) in cases {
        let (s, e) = api.call("POST", "/api/v1/appeals", None, Some(body.clone())).await;
        assert_eq!((s, code_of(&e)), (status, code), "{body}");
        assert!(!e["error"]["message"].as_str().unwrap().is_empty());
    }
    let (s, e) = api
        .raw(
            Request::post("/api/v1/appeals")
                .header("content-type", "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!((s, code_of(&e)), (StatusCode::BAD_REQUEST, "malformed_json"));
    let (s, e) = api.raw(Request::post("/api/v1/appeals").body(Body::from(good.to_string())).unwrap()).await;
    assert_eq!((s, code_of(&e)), (StatusCode::BAD_REQUEST, "malformed_json"));
    assert_eq!(count().await, 0, "nothing malformed reached the store");

    let (s, _) = api.call("POST", "/api/v1/appeals", None, Some(good)).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = api.blocking(|app| app.demo_case_ids(1)).await.unwrap()[0].to_string();
    let actions = [
        (json!({"action": "fly"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        (json!({"action": "dispatch"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        (
            json!({"action": "dispatch", "category": "cxjs-02", "unit": "centre"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unit_cannot_handle",
        ),
        (
            json!({"action": "dispatch", "category": "cxjs-02", "unit": "nowhere"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_unit",
        ),
        (
            json!({"action": "dispatch", "category": "cxjs-02", "unit": "BAD UNIT"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (json!({"action": "sign_for"}), StatusCode::FORBIDDEN, "forbidden"),
        (json!({"action": "answer_directly", "answer": "x"}), StatusCode::CONFLICT, "not_a_consultation"),
        (json!({"action": "close"}), StatusCode::CONFLICT, "transition_not_allowed"),
    ];
    for (body, status, code) in actions {
        let (s, e) = api.act(&dispatcher, &id, body.clone()).await;
        assert_eq!((s, code_of(&e)), (status, code), "{body} → {e}");
    }
    let (_, v) = api.call("GET", &format!("/api/v1/appeals/{id}"), Some(&dispatcher), None).await;
    assert_eq!(v["events"].as_array().unwrap().len(), 1, "refused actions wrote nothing");

    // An ID number typed in full-width characters is kept in its standard form.
    let body = json!({"channel": "web", "appeal_type": "help", "text": "x",
                      "citizen": {"id_number": "１１０１０５１９４９１２３１００２ｘ"}});
    let (s, v) = api.call("POST", "/api/v1/appeals", None, Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = yiwang_core::id::CaseId::parse(v["case_id"].as_str().unwrap()).unwrap();
    let stored = api
        .blocking(move |app| {
            let person = app.store().load(&id).unwrap().unwrap().project().header.person.unwrap();
            app.store().person(person).unwrap().unwrap().data.id_number
        })
        .await;
    assert_eq!(stored.as_deref(), Some("11010519491231002X"));
}

async fn unknown_things_and_missing_credentials_are_named(backend: Backend) {
    let api = Api::on(backend);
    let t = api.login("dispatcher1").await;
    let checks = [
        ("GET", "/api/v1/appeals/YW20260101000001", Some(t.as_str()), StatusCode::NOT_FOUND, "not_found"),
        ("GET", "/api/v1/appeals/not-a-case", Some(t.as_str()), StatusCode::NOT_FOUND, "not_found"),
        ("GET", "/api/v1/appeals/YW20260101000001", None, StatusCode::UNAUTHORIZED, "unauthenticated"),
        ("GET", "/api/v1/appeals/YW20260101000001", Some("forged"), StatusCode::UNAUTHORIZED, "unauthenticated"),
        ("GET", "/api/v1/queues/nonsense", Some(t.as_str()), StatusCode::NOT_FOUND, "not_found"),
        ("GET", "/api/v1/queues/all?limit=abc", Some(t.as_str()), StatusCode::BAD_REQUEST, "invalid_query"),
        ("GET", "/api/v1/measures/2026-13", Some(t.as_str()), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        ("GET", "/api/v1/nowhere", None, StatusCode::NOT_FOUND, "not_found"),
    ];
    for (m, path, tok, status, code) in checks {
        let (s, e) = api.call(m, path, tok, None).await;
        assert_eq!((s, code_of(&e)), (status, code), "{m} {path}");
    }
    let (s, e) =
        api.call("POST", "/api/v1/login", None, Some(json!({"username": "operator1", "password": "wrong"}))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNAUTHORIZED, "bad_credentials"));
    let (s, e) = api.call("POST", "/api/v1/login", None, Some(json!({"username": "nobody", "password": "x"}))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNAUTHORIZED, "bad_credentials"));
}

/// Reads nothing from the store, so it runs on SQLite only.
#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let api = Api::new();
    let (s, v) = api.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/api/v1/login",
        "/api/v1/appeals",
        "/api/v1/appeals/{id}/actions",
        "/api/v1/queues/{queue}",
        "/api/v1/measures/{month}",
        "/api/v1/track",
    ] {
        assert!(v["paths"].get(p).is_some(), "{p} is documented");
    }
    assert!(v["components"]["schemas"].get("Action").is_some());
    let (s, _) = api.call("GET", "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
}

on_both_stores!(bad_input_gets_a_stable_code_and_nothing_is_stored, unknown_things_and_missing_credentials_are_named,);
