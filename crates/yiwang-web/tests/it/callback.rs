//! The callback clock (回访时限) over the API: the 待回访 queue carries the time left
//! to call the citizen back, the scheduler turns it yellow and red, and a late
//! callback is the centre's lateness, not the unit's.

use crate::harness::{Api, Backend};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

/// The queue's item for `id`, if listed.
async fn item(api: &Api, user: &str, queue: &str, id: &str) -> Option<Value> {
    let token = api.login(user).await;
    let (_, q) = api.call("GET", &format!("/api/v1/queues/{queue}"), Some(&token), None).await;
    q["items"].as_array().unwrap_or_else(|| panic!("{q}")).iter().find(|i| i["id"] == id).cloned()
}

async fn the_callback_queue_shows_the_time_left_to_call_back(backend: Backend) {
    let api = Api::on(backend);
    let (id, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let handler = api.login("cgw-handler").await;
    api.act_ok(&handler, &id, json!({"action": "sign_for"})).await;
    api.act_ok(&handler, &id, json!({"action": "contact", "note": "已电话联系"})).await;
    // Replied on Monday 2026-11-16 09:00 in China: called back within 3 working days.
    let v = api.act_ok(&handler, &id, json!({"action": "reply", "outcome": "resolved", "text": "已修复"})).await;
    let clocks = v["appeal"]["clocks"].as_array().unwrap();
    assert_eq!(clocks.len(), 1, "{clocks:?}");
    assert_eq!(
        (clocks[0]["kind"].as_str(), clocks[0]["budget"].clone()),
        (Some("callback"), json!({"working_days": 3}))
    );
    let due = Utc.with_ymd_and_hms(2026, 11, 19, 1, 0, 0).unwrap();

    let it = item(&api, "operator1", "to_callback", &id).await.expect("waits for its callback");
    let next_due: DateTime<Utc> = serde_json::from_value(it["next_due"].clone()).unwrap();
    assert_eq!(next_due, due, "{it}");
    assert_eq!((it["seconds_left"].as_i64(), it["working"].as_bool()), (Some(3 * 86_400), Some(true)), "{it}");
    assert_eq!(it["stage"], "green");

    // Yellow with a fifth of the time left (Wednesday 18:36), red at the due.
    api.step(Duration::hours(58));
    api.blocking(|app| app.tick()).await.unwrap();
    let it = item(&api, "operator1", "to_callback", &id).await.unwrap();
    assert_eq!(it["stage"], "yellow", "{it}");
    api.step(Duration::hours(14));
    api.blocking(|app| app.tick()).await.unwrap();
    let it = item(&api, "operator1", "to_callback", &id).await.unwrap();
    assert_eq!((it["stage"].as_str(), it["seconds_left"].as_i64()), (Some("red"), Some(0)), "{it}");
    // Overdue for the centre, which owes the callback; not for the unit that answered.
    assert!(item(&api, "operator1", "overdue", &id).await.is_some(), "the centre's overdue queue lists it");
    assert!(item(&api, "cgw-handler", "overdue", &id).await.is_none(), "the unit answered in time");

    // Called back, it leaves both queues and runs no clock.
    let operator = api.login("operator1").await;
    let v =
        api.act_ok(&operator, &id, json!({"action": "callback", "solved": false, "satisfaction": "unsatisfied"})).await;
    assert_eq!(v["appeal"]["clocks"], json!([]));
    assert!(item(&api, "operator1", "to_callback", &id).await.is_none());
    assert!(item(&api, "operator1", "overdue", &id).await.is_none());
}

on_both_stores!(the_callback_queue_shows_the_time_left_to_call_back);

/// The case page shows the callback's time left like any other limit's.
#[tokio::test]
async fn the_case_page_shows_the_callback_limit() {
    let api = Api::new();
    let (id, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let handler = api.login("cgw-handler").await;
    api.act_ok(&handler, &id, json!({"action": "sign_for"})).await;
    api.act_ok(&handler, &id, json!({"action": "reply", "outcome": "resolved", "text": "已修复"})).await;
    let (cookie, _) = crate::ui::console_login(&api, "operator1").await;
    for path in [format!("/console/cases/{id}"), "/console?queue=to_callback".to_owned()] {
        let (_, _, page) = crate::ui::send(&api, crate::ui::get(&path, Some(&cookie))).await;
        assert!(page.contains("剩 3个工作日"), "{path}: {page}");
    }
    let (_, _, page) = crate::ui::send(&api, crate::ui::get(&format!("/console/cases/{id}"), Some(&cookie))).await;
    assert!(page.contains("<td>回访</td>") && page.contains("2026-11-19 09:00"), "{page}");
}
