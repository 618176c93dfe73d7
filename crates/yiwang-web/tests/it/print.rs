//! The print view of a case (`/console/cases/{id}/print`): the district's name and the
//! print time, the facts, the text, the reply and the timeline, and nothing to click;
//! the same access rule as the case page.

use crate::harness::Api;
use crate::ui::{console_login, get, send};
use axum::http::{StatusCode, header};
use serde_json::json;

#[tokio::test]
async fn the_print_view_has_the_case_the_district_and_the_time_and_nothing_to_click() {
    let api = Api::new();
    let (id, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let handler = api.login("cgw-handler").await;
    api.act_ok(&handler, &id, json!({"action": "sign_for"})).await;
    api.step(chrono::Duration::minutes(90));
    api.act_ok(&handler, &id, json!({"action": "reply", "outcome": "resolved", "text": "已更换灯泡，路灯恢复照明。"}))
        .await;
    api.step(chrono::Duration::minutes(5));

    let (cookie, _) = console_login(&api, "dispatcher1").await;
    let path = format!("/console/cases/{id}/print");
    let (_, _, page) = send(&api, get(&format!("/console/cases/{id}"), Some(&cookie))).await;
    assert!(page.contains(&format!("href=\"{path}\"")) && page.contains(">打印</a>"), "the case page links to it");

    let (status, _, page) = send(&api, get(&path, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    // The district's name and when it was printed (China time), by whom.
    assert!(page.contains("<p class=\"district\" id=\"print-district\">云溪区人民政府</p>"), "{page}");
    assert!(page.contains("打印时间 <span id=\"print-time\">2026-11-16 10:35</span>"), "{page}");
    assert!(page.contains("打印人 朱志刚（12345中心）"), "{page}");
    // The facts, the text, the reply and the timeline.
    for part in [
        id.as_str(),
        "待回访",
        "城管委",
        "湖畔路望湖公园北门以西路灯一周不亮",
        "已更换灯泡，路灯恢复照明。",
        "派单至城管委",
        "签收",
        "答复：已解决",
        "张*",
        "138****5678",
    ] {
        assert!(page.contains(part), "{part} in {page}");
    }
    // Nothing to click or fill in, no navigation, no script.
    for chrome in ["<form", "<button", "<nav", "<script", "<input", "工单队列", "退出"] {
        assert!(!page.contains(chrome), "{chrome} in {page}");
    }

    // A case the staff member may not see is not found, printed or not.
    let (other, _) = console_login(&api, "swj-handler").await;
    let (status, _, page) = send(&api, get(&path, Some(&other))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
    // Without a session, the login page.
    let (status, headers, _) = send(&api, get(&path, None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
    // Printing the case page itself hides the chrome.
    let (_, _, css) = send(&api, get("/static/yiwang.css", None)).await;
    let print = css.split("@media print {").nth(1).expect("print styles").split("\n}").next().unwrap();
    assert!(print.contains("header.top") && print.contains(".case-actions") && print.contains("form"), "{print}");
}
