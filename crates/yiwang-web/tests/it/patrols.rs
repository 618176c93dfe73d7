//! 网格巡查 over the API, on both stores: a grid worker starts a patrol, sends the
//! route, fixes one problem on the spot and reports another (an appeal waiting for
//! dispatch), ends it; the street sees its grids' coverage; a patrol left running is
//! ended by the scheduler; bad input and other people are refused.

use crate::harness::{Api, Backend, code_of};
use axum::http::StatusCode;
use chrono::Duration;
use serde_json::json;

fn points(from_min: i64, n: i64) -> serde_json::Value {
    // The demo's clock starts 2026-11-16 09:00 China time (01:00 UTC); walk north.
    let pts: Vec<_> = (0..n)
        .map(|i| {
            let at =
                chrono::DateTime::parse_from_rfc3339("2026-11-16T01:00:00Z").unwrap() + Duration::minutes(from_min + i);
            json!({"lon": 116.21, "lat": 39.90 + 0.001 * (from_min + i) as f64, "at": at.to_rfc3339()})
        })
        .collect();
    json!({ "points": pts })
}

async fn a_grid_worker_patrols_fixes_and_reports_and_the_street_sees_coverage(backend: Backend) {
    let api = Api::on(backend);
    let worker = api.login("gd-yx-1-1-worker").await;
    let (s, v) = api.call("POST", "/api/v1/patrols", Some(&worker), None).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["patrol"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("XC"), "{id}");
    assert_eq!((v["status_label"].as_str(), v["grid_name"].as_str()), (Some("巡查中"), Some("府前第1网格")));
    let (s, e) = api.call("POST", "/api/v1/patrols", Some(&worker), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "conflict"), "one patrol at a time: {e}");
    assert!(e["error"]["message"].as_str().unwrap().contains(&id));
    let (s, v) = api.call("GET", "/api/v1/patrols/current", Some(&worker), None).await;
    assert_eq!((s, v["patrol"]["id"].as_str()), (StatusCode::OK, Some(id.as_str())));

    api.step(Duration::minutes(10));
    let (s, v) = api.call("POST", &format!("/api/v1/patrols/{id}/track"), Some(&worker), Some(points(0, 10))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["patrol"]["route"].as_array().unwrap().len(), 10);
    assert!((v["patrol"]["metres"].as_f64().unwrap() - 1000.0).abs() < 10.0, "{v}");
    // A phone whose clock runs an hour fast: its points are moved to the server's time.
    let fast = json!({"points": [{"lon": 116.21, "lat": 39.911, "at": "2026-11-16T02:10:00Z"}], "sent_at": "2026-11-16T02:10:05Z"});
    let (s, v) = api.call("POST", &format!("/api/v1/patrols/{id}/track"), Some(&worker), Some(fast.clone())).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["patrol"]["route"][10]["at"], "2026-11-16T01:09:55Z");

    let here = json!({"lon": 116.21, "lat": 39.905});
    let fixed = json!({"text": "人行道上有碎玻璃，已清扫干净", "point": here, "fixed": true});
    let (s, v) = api.call("POST", &format!("/api/v1/patrols/{id}/problems"), Some(&worker), Some(fixed)).await;
    assert_eq!((s, v["case_id"].clone()), (StatusCode::CREATED, json!(null)), "{v}");
    let found =
        json!({"text": "府前街路口井盖破损，存在安全隐患", "point": here, "fixed": false, "category": "cxjs-02"});
    let (s, v) = api.call("POST", &format!("/api/v1/patrols/{id}/problems"), Some(&worker), Some(found)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let appeal = v["case_id"].as_str().expect("an appeal").to_owned();
    assert_eq!(v["patrol"]["patrol"]["problems"].as_array().unwrap().len(), 2);
    // The reported problem waits for dispatch as a grid-patrol appeal, in the grid.
    let dispatcher = api.login("dispatcher1").await;
    let (_, a) = api.call("GET", &format!("/api/v1/appeals/{appeal}"), Some(&dispatcher), None).await;
    assert_eq!(a["appeal"]["channel"], "grid_patrol", "{a}");
    assert_eq!(
        (a["appeal"]["status"].as_str(), a["appeal"]["location"]["area"].as_str()),
        (Some("accepted"), Some("gd-yx-1-1"))
    );
    let (_, q) = api.call("GET", "/api/v1/queues/to_dispatch", Some(&dispatcher), None).await;
    assert!(q["items"].as_array().unwrap().iter().any(|i| i["id"] == appeal.as_str()), "{q}");

    // Bad input is refused with its field; nobody else records on the patrol.
    for (body, field) in [
        (json!({"points": [{"lon": 116.2, "lat": 91.0, "at": "2026-11-16T01:20:00Z"}]}), "points"),
        (json!({"points": [{"lon": 116.2, "lat": 39.9, "at": "2026-11-16T00:00:00Z"}]}), "points"),
    ] {
        let (s, e) = api.call("POST", &format!("/api/v1/patrols/{id}/track"), Some(&worker), Some(body)).await;
        assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{e}");
    }
    let stored = json!({"text": "x", "fixed": true, "photos": ["uploads/0123456789abcdef0123456789abcdef.jpg"]});
    let (s, e) = api.call("POST", &format!("/api/v1/patrols/{id}/problems"), Some(&worker), Some(stored)).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photos")), "{e}");
    let other = api.login("gd-yx-1-2-worker").await;
    let (s, _) = api.call("POST", &format!("/api/v1/patrols/{id}/track"), Some(&other), Some(points(20, 1))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another grid's worker does not see it");
    let operator = api.login("operator1").await;
    let (s, _) = api.call("POST", "/api/v1/patrols", Some(&operator), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only grid workers patrol");

    api.step(Duration::minutes(50));
    let (s, v) = api.call("POST", &format!("/api/v1/patrols/{id}/end"), Some(&worker), None).await;
    assert_eq!(
        (s, v["status_label"].as_str(), v["minutes"].as_i64()),
        (StatusCode::OK, Some("已结束"), Some(60)),
        "{v}"
    );
    let (s, e) = api.call("POST", &format!("/api/v1/patrols/{id}/end"), Some(&worker), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "case_closed"));

    // The street sees every grid of its own, patrolled or not; not another street's.
    let street = api.login("st-yx-handler").await;
    let (s, c) = api.call("GET", "/api/v1/patrol-coverage?month=2026-11", Some(&street), None).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["street"], "st-yx");
    let grids = c["grids"].as_array().unwrap();
    assert!(grids.len() > 1 && c["covered"] == 1, "{c}");
    let g = grids.iter().find(|g| g["grid"] == "gd-yx-1-1").unwrap();
    assert_eq!(
        (g["patrols"].as_u64(), g["fixed"].as_u64(), g["reported"].as_u64()),
        (Some(1), Some(1), Some(1)),
        "{g}"
    );
    assert_eq!((g["minutes"].as_i64(), g["workers"].clone()), (Some(60), json!(["白晨曦"])));
    assert!(
        grids.iter().filter(|g| g["grid"] != "gd-yx-1-1").all(|g| g["patrols"] == 0 && g["last_started"].is_null())
    );
    let (s, _) = api.call("GET", "/api/v1/patrol-coverage?street=st-wh", Some(&street), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = api.call("GET", "/api/v1/patrol-coverage?month=2026-13", Some(&street), None).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("month")));
    let (s, c) = api.call("GET", "/api/v1/patrol-coverage?street=st-yx&month=2026-11", Some(&dispatcher), None).await;
    assert_eq!((s, c["covered"].as_u64()), (StatusCode::OK, Some(1)), "the centre sees any street");

    // A patrol left running is ended by the scheduler after 12 hours.
    let (_, v) = api.call("POST", "/api/v1/patrols", Some(&worker), None).await;
    let forgotten = v["patrol"]["id"].as_str().unwrap().to_owned();
    api.step(Duration::hours(12));
    api.blocking(|app| app.tick()).await.unwrap();
    let worker = api.login("gd-yx-1-1-worker").await;
    let (_, v) = api.call("GET", &format!("/api/v1/patrols/{forgotten}"), Some(&worker), None).await;
    assert_eq!(
        (v["patrol"]["status"].as_str(), v["patrol"]["auto_ended"].as_bool()),
        (Some("ended"), Some(true)),
        "{v}"
    );
    let (s, _) = api.call("GET", "/api/v1/patrols/current", Some(&worker), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

on_both_stores!(a_grid_worker_patrols_fixes_and_reports_and_the_street_sees_coverage,);
