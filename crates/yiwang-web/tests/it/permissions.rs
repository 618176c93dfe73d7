use crate::harness::{Api, Backend, PHONE, code_of};
use axum::http::StatusCode;
use serde_json::json;

async fn another_units_handler_is_refused(backend: Backend) {
    let api = Api::on(backend);
    let (id, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let other = api.login("zjw-handler").await;
    let (s, e) = api.call("GET", &format!("/api/v1/appeals/{id}"), Some(&other), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, e) = api.act(&other, &id, json!({"action": "sign_for"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, e) = api.call("GET", "/api/v1/queues/to_dispatch", Some(&other), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
}

async fn each_role_does_only_its_own_part(backend: Backend) {
    let api = Api::on(backend);
    let (id, _) = api.citizen_appeal().await;
    let operator = api.login("operator1").await;
    let dispatcher = api.login("dispatcher1").await;
    let handler = api.login("cgw-handler").await;
    let street = api.login("st-wh-handler").await;
    let leader = api.login("leader1").await;

    // An operator takes calls but does not dispatch.
    let (s, e) = api.act(&operator, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    // The centre cannot sign for or reply on a department's behalf.
    let (s, e) = api.act(&dispatcher, &id, json!({"action": "sign_for"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    api.act_ok(&handler, &id, json!({"action": "sign_for"})).await;
    let (s, e) = api.act(&operator, &id, json!({"action": "reply", "outcome": "resolved", "text": "代答"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    // A handler cannot dispatch, remind or call back.
    for action in [
        json!({"action": "reassign", "unit": "zjw", "reason": "x"}),
        json!({"action": "remind", "note": "x"}),
        json!({"action": "callback", "solved": true, "satisfaction": "satisfied"}),
    ] {
        let (s, e) = api.act(&handler, &id, action.clone()).await;
        assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{action}");
    }
    // A summoned co-unit reports in and answers its part, but does not reply for the case.
    api.act_ok(&handler, &id, json!({"action": "summon", "units": ["st-wh"]})).await;
    let (s, e) = api.act(&street, &id, json!({"action": "reply", "outcome": "resolved", "text": "x"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    api.act_ok(&street, &id, json!({"action": "report_in"})).await;
    let (s, e) = api.act(&street, &id, json!({"action": "report_in"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "already_done"));
    // Leaders read everything but act on nothing.
    let (s, _) = api.call("GET", &format!("/api/v1/appeals/{id}"), Some(&leader), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = api.act(&leader, &id, json!({"action": "remind", "note": "x"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    // The supervisor reminds and supervises.
    let supervisor = api.login("supervisor1").await;
    api.act_ok(&supervisor, &id, json!({"action": "supervise", "note": "列入督办"})).await;
}

async fn lists_mask_personal_data_and_revealing_it_is_recorded(backend: Backend) {
    let api = Api::on(backend);
    let (id, code) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    let (_, v) = api.call("GET", "/api/v1/queues/to_dispatch", Some(&dispatcher), None).await;
    let item = &v["items"][0];
    assert_eq!(item["citizen_name"], "张*");
    assert_eq!(item["citizen_phone"], "138****5678");
    assert!(!v.to_string().contains(PHONE));
    let (s, v) = api.call("POST", &format!("/api/v1/appeals/{id}/reveal-phone"), Some(&dispatcher), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["phone"], PHONE);
    // The wrong phone number finds nothing.
    let (s, e) =
        api.call("POST", "/api/v1/track", None, Some(json!({"tracking_code": code, "phone": "13900000000"}))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::NOT_FOUND, "not_found"));
    // Another unit cannot reveal it.
    let other = api.login("zjw-handler").await;
    let (s, _) = api.call("POST", &format!("/api/v1/appeals/{id}/reveal-phone"), Some(&other), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn logging_out_ends_the_session(backend: Backend) {
    let api = Api::on(backend);
    let t = api.login("operator1").await;
    let (s, v) = api.call("GET", "/api/v1/me", Some(&t), None).await;
    assert_eq!((s, v["unit_name"].as_str()), (StatusCode::OK, Some("12345中心")));
    let (s, _) = api.call("POST", "/api/v1/logout", Some(&t), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = api.call("GET", "/api/v1/me", Some(&t), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
}

on_both_stores!(
    another_units_handler_is_refused,
    each_role_does_only_its_own_part,
    lists_mask_personal_data_and_revealing_it_is_recorded,
    logging_out_ends_the_session,
);
