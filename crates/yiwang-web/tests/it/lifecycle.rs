use crate::harness::{Api, Backend, PHONE, code_of};
use axum::http::StatusCode;
use chrono::Duration;
use serde_json::json;

fn names(v: &serde_json::Value) -> Vec<String> {
    v["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

async fn an_appeal_goes_from_intake_to_callback_and_is_counted(backend: Backend) {
    let api = Api::on(backend);
    let (id, code) = api.citizen_appeal().await;
    assert!(id.starts_with("YW20261116"), "{id}");

    let dispatcher = api.login("dispatcher1").await;
    let (s, v) = api.call("GET", &format!("/api/v1/appeals/{id}"), Some(&dispatcher), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["appeal"]["status"], "accepted");
    assert_eq!(v["appeal"]["location"]["area"], "gd-wh-2-2", "the point found its grid");
    assert_eq!(v["citizen_phone"], "138****5678");

    api.step(Duration::minutes(20));
    let v = api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    assert_eq!(v["appeal"]["unit"], "cgw", "the category's owner");
    assert_eq!(v["unit_name"], "城管委");

    let handler = api.login("cgw-handler").await;
    // The citizen sees when the answer is due: the resolve limit, on the map's place.
    let (s, t) = api.call("POST", "/api/v1/track", None, Some(json!({"tracking_code": code, "phone": PHONE}))).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let resolve = v["appeal"]["clocks"].as_array().unwrap().iter().find(|c| c["kind"] == "resolve").unwrap();
    assert_eq!(t["reply_due"], resolve["due"]);
    assert_eq!(t["location"]["area"], "gd-wh-2-2");
    api.step(Duration::minutes(30));
    api.act_ok(&handler, &id, json!({"action": "sign_for"})).await;
    api.act_ok(&handler, &id, json!({"action": "summon", "units": ["st-wh"], "note": "请街道协助核查"})).await;
    let street = api.login("st-wh-handler").await;
    let (s, v) = api.call("GET", "/api/v1/queues/co_handling", Some(&street), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["items"][0]["id"], id.as_str());
    api.act_ok(&street, &id, json!({"action": "report_in"})).await;
    api.step(Duration::hours(2));
    api.act_ok(&handler, &id, json!({"action": "contact", "note": "电话联系诉求人，约定现场查看"})).await;
    let (s, v) = api.act(&handler, &id, json!({"action": "reply", "outcome": "resolved", "text": "已修复"})).await;
    assert_eq!((s, code_of(&v)), (StatusCode::CONFLICT, "co_units_pending"));
    api.act_ok(&street, &id, json!({"action": "answer_part", "text": "街道已现场核实线路老化"})).await;
    api.step(Duration::days(2));
    // Logins last 12 hours.
    let (s, e) = api.act(&handler, &id, json!({"action": "contact", "note": "再次联系"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let handler = api.login("cgw-handler").await;
    let dispatcher = api.login("dispatcher1").await;
    let v = api
        .act_ok(&handler, &id, json!({"action": "reply", "outcome": "resolved", "text": "已更换电缆，路灯恢复照明。"}))
        .await;
    assert_eq!(v["appeal"]["status"], "replied");

    // The citizen sees the public timeline and the reply, but no staff notes.
    let (s, v) = api.call("POST", "/api/v1/track", None, Some(json!({"tracking_code": code, "phone": PHONE}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["reply"], "已更换电缆，路灯恢复照明。");
    assert_eq!(v["can_answer_callback"], true);
    let text = v.to_string();
    assert!(!text.contains("约定现场查看") && !text.contains("线路老化") && !text.contains("请街道协助"), "{text}");
    assert!(!text.contains(PHONE) && !text.contains("张三"));

    let (s, v) = api
        .call(
            "POST",
            "/api/v1/track/callback",
            None,
            Some(json!({"tracking_code": code, "phone": PHONE, "solved": true, "satisfaction": "satisfied"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "closed");
    assert_eq!(v["outcome"], "已解决");

    let (_, v) = api.call("GET", &format!("/api/v1/appeals/{id}"), Some(&dispatcher), None).await;
    assert_eq!(
        names(&v),
        [
            "accepted",
            "dispatched",
            "signed_for",
            "summoned",
            "reported_in",
            "contacted",
            "part_answered",
            "replied",
            "called_back",
        ]
    );
    // People by name, unit and role, not by login id.
    let dispatched = &v["events"][1]["actor"];
    assert!(dispatched.as_str().unwrap().ends_with("（12345中心·派单员）"), "{dispatched}");
    assert!(!v["events"].to_string().contains("\"actor\":\"dispatcher1\""));

    let (s, v) = api.call("GET", "/api/v1/measures/2026-11", Some(&dispatcher), None).await;
    assert_eq!(s, StatusCode::OK);
    let cgw = v["units"].as_array().unwrap().iter().find(|u| u["unit"] == "cgw").expect("cgw is measured");
    assert_eq!(cgw["tally"]["dispatched"], 1);
    assert_eq!(cgw["tally"]["responded"], 1);
    assert_eq!(cgw["rates"]["resolution"], 1.0);
    assert_eq!(cgw["rates"]["satisfaction"], 1.0);
    // One case is too few to rank a unit on (样本不足), however well it went.
    assert_eq!(
        (cgw["rank"].clone(), cgw["too_few"].clone(), cgw["sample"].clone()),
        (json!(null), json!(true), json!(1))
    );
}

async fn a_return_is_redispatched_and_an_unsolved_callback_reopens(backend: Backend) {
    let api = Api::on(backend);
    let (id, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    let supervisor = api.login("supervisor1").await;
    let operator = api.login("operator1").await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    let zjw = api.login("zjw-handler").await;
    let v = api.act_ok(&zjw, &id, json!({"action": "return", "reason": "路灯不属于住建委职责"})).await;
    // After a return the unit no longer sees the case as its own, but still may read it.
    assert!(v.is_object());
    let (_, q) = api.call("GET", "/api/v1/queues/returned", Some(&dispatcher), None).await;
    assert_eq!(q["items"][0]["id"], id.as_str());
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let cgw = api.login("cgw-handler").await;
    api.act_ok(&cgw, &id, json!({"action": "sign_for"})).await;
    api.act_ok(&cgw, &id, json!({"action": "reply", "outcome": "resolved", "text": "已修复"})).await;
    let v =
        api.act_ok(&operator, &id, json!({"action": "callback", "solved": false, "satisfaction": "unsatisfied"})).await;
    assert_eq!(v["appeal"]["status"], "called_back");
    let v = api.act_ok(&supervisor, &id, json!({"action": "reopen", "reason": "诉求人反映仍不亮"})).await;
    assert_eq!(v["appeal"]["status"], "handling");
    assert_eq!(v["appeal"]["unit"], "cgw");
    api.act_ok(&cgw, &id, json!({"action": "reply", "outcome": "cannot_solve", "text": "需整体改造，已列入明年计划"}))
        .await;
    let v = api.act_ok(&supervisor, &id, json!({"action": "close", "note": "已解释"})).await;
    assert_eq!(v["appeal"]["outcome"], "cannot_solve");
    // A closed case accepts nothing but a reopen by the centre.
    let (s, e) = api.act(&supervisor, &id, json!({"action": "remind", "note": "再催"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "case_closed"));
    let (s, e) = api.act(&cgw, &id, json!({"action": "reopen", "reason": "x"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    api.act_ok(&supervisor, &id, json!({"action": "reopen", "reason": "领导批示重办"})).await;
}

async fn consultations_are_answered_directly_and_duplicates_merged(backend: Backend) {
    let api = Api::on(backend);
    let operator = api.login("operator1").await;
    let dispatcher = api.login("dispatcher1").await;
    let (s, v) = api
        .call(
            "POST",
            "/api/v1/appeals",
            Some(&operator),
            Some(json!({"channel": "hotline", "appeal_type": "consultation", "text": "社保卡丢了怎么补办？"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["case_id"].as_str().unwrap().to_owned();
    let v = api
        .act_ok(&operator, &id, json!({"action": "answer_directly", "answer": "携带身份证到区政务服务中心补办。"}))
        .await;
    assert_eq!(v["appeal"]["status"], "closed");
    assert_eq!(v["appeal"]["outcome"], "answered_directly");

    let (a, _) = api.citizen_appeal().await;
    let (b, _) = api.citizen_appeal().await;
    let v = api.act_ok(&dispatcher, &b, json!({"action": "merge", "into": a})).await;
    assert_eq!((v["appeal"]["status"].as_str(), v["appeal"]["outcome"].as_str()), (Some("merged"), None));
    let (s, e) = api.act(&dispatcher, &a, json!({"action": "merge", "into": "YW20990101000001"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
}

/// A second caller merged as a duplicate is not dropped: the master lists them, its
/// answer reaches them, they are called back in their own right, and each caller
/// counts for the unit that answered. A caller merged after the answer gets it at once.
async fn a_merged_caller_gets_the_masters_reply_and_their_own_callback(backend: Backend) {
    let api = Api::on(backend);
    let dispatcher = api.login("dispatcher1").await;
    let operator = api.login("operator1").await;
    let (a, _) = api.citizen_appeal().await;
    let (b, code_b) = api.citizen_appeal().await;
    api.act_ok(&dispatcher, &a, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    api.act_ok(&dispatcher, &b, json!({"action": "merge", "into": a})).await;
    let (_, m) = api.call("GET", &format!("/api/v1/appeals/{a}"), Some(&dispatcher), None).await;
    assert_eq!(m["appeal"]["duplicates"], json!([b]));
    assert!(names(&m).contains(&"duplicate_joined".to_owned()), "the master's timeline says so");
    let queue = |name: &'static str| {
        let (api, operator) = (&api, operator.clone());
        async move {
            let (_, v) = api.call("GET", &format!("/api/v1/queues/{name}"), Some(&operator), None).await;
            v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert!(!queue("to_dispatch").await.contains(&b), "a merged case waits for nobody's dispatch");

    let handler = api.login("cgw-handler").await;
    api.act_ok(&handler, &a, json!({"action": "sign_for"})).await;
    api.act_ok(&handler, &a, json!({"action": "contact", "note": "已电话联系"})).await;
    api.act_ok(&handler, &a, json!({"action": "reply", "outcome": "resolved", "text": "已更换灯泡，路灯恢复照明。"}))
        .await;
    let (_, d) = api.call("GET", &format!("/api/v1/appeals/{b}"), Some(&dispatcher), None).await;
    assert_eq!(d["appeal"]["status"], "replied", "{d}");
    assert_eq!(d["appeal"]["reply"]["text"], "已更换灯泡，路灯恢复照明。");
    assert_eq!(names(&d).last().map(String::as_str), Some("master_replied"));
    let waiting = queue("to_callback").await;
    assert!(waiting.contains(&a) && waiting.contains(&b), "both callers are called back: {waiting:?}");
    // The second caller follows their own case online and sees the answer.
    let (s, v) = api.call("POST", "/api/v1/track", None, Some(json!({"tracking_code": code_b, "phone": PHONE}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["reply"], "已更换灯泡，路灯恢复照明。");
    // Told by SMS too: the outbox holds a reply notice for the duplicate.
    let centre = api.login("supervisor1").await;
    let (_, o) = api.call("GET", &format!("/api/v1/outbox?case_id={b}"), Some(&centre), None).await;
    assert!(o.to_string().contains("appeal_replied"), "{o}");

    api.act_ok(&operator, &b, json!({"action": "callback", "solved": true, "satisfaction": "satisfied"})).await;
    api.act_ok(&operator, &a, json!({"action": "callback", "solved": true, "satisfaction": "satisfied"})).await;
    let (_, d) = api.call("GET", &format!("/api/v1/appeals/{b}"), Some(&dispatcher), None).await;
    assert_eq!((d["appeal"]["status"].as_str(), d["appeal"]["outcome"].as_str()), (Some("closed"), Some("resolved")));

    // A third caller merged once the master is answered gets the answer at once.
    let (c, _) = api.citizen_appeal().await;
    let v = api.act_ok(&dispatcher, &c, json!({"action": "merge", "into": a})).await;
    assert_eq!(v["appeal"]["status"], "replied", "{v}");
    api.act_ok(&operator, &c, json!({"action": "callback", "solved": true, "satisfaction": "basically_satisfied"}))
        .await;

    // Each caller is an appeal answered and called back, for the unit that answered.
    let (_, v) = api.call("GET", "/api/v1/measures/2026-11", Some(&dispatcher), None).await;
    let cgw = v["units"].as_array().unwrap().iter().find(|u| u["unit"] == "cgw").expect("cgw is measured");
    assert_eq!((cgw["tally"]["replied"].as_u64(), cgw["tally"]["callbacks"].as_u64()), (Some(3), Some(3)), "{cgw}");
    assert_eq!(cgw["tally"]["dispatched"], 1, "one case was dispatched to it");
}

async fn the_scheduler_turns_clocks_yellow_then_red_on_a_stepped_clock(backend: Backend) {
    let api = Api::on(backend);
    let (id, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let handler = api.login("cgw-handler").await;
    let queue = |name: &'static str| {
        let api = &api;
        let handler = handler.clone();
        async move {
            let (_, v) = api.call("GET", &format!("/api/v1/queues/{name}"), Some(&handler), None).await;
            v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    // Sign-for limit is 2 hours; yellow at 80 %.
    api.step(Duration::minutes(90));
    assert_eq!(api.blocking(|app| app.tick()).await.unwrap().events, 0);
    assert!(queue("warning").await.is_empty());
    api.step(Duration::minutes(10));
    assert_eq!(api.blocking(|app| app.tick()).await.unwrap().events, 1);
    assert_eq!(queue("warning").await, vec![id.clone()]);
    assert_eq!(api.blocking(|app| app.tick()).await.unwrap().events, 0, "a tick with nothing new writes nothing");
    api.step(Duration::minutes(21));
    api.blocking(|app| app.tick()).await.unwrap();
    assert_eq!(queue("overdue").await, vec![id.clone()]);
    assert!(queue("warning").await.is_empty());
    let (_, v) = api.call("GET", &format!("/api/v1/appeals/{id}"), Some(&dispatcher), None).await;
    let kinds = names(&v);
    assert_eq!(kinds[kinds.len() - 2..], ["clock_warned", "clock_overdue"]);
    // Signing late stops the red clock but the lateness stays in the response rate.
    api.act_ok(&handler, &id, json!({"action": "sign_for"})).await;
    assert!(queue("overdue").await.is_empty());
}

on_both_stores!(
    an_appeal_goes_from_intake_to_callback_and_is_counted,
    a_return_is_redispatched_and_an_unsolved_callback_reopens,
    consultations_are_answered_directly_and_duplicates_merged,
    a_merged_caller_gets_the_masters_reply_and_their_own_callback,
    the_scheduler_turns_clocks_yellow_then_red_on_a_stepped_clock,
);

/// The time left in a queue is the figure on the case page, by one rule: dispatch,
/// sign-for and contact limits run in natural hours (a 24-hour limit is 24 hours on a
/// Friday evening too), the resolve limit in working time, across a weekend and the
/// Saturday worked in exchange for 劳动节 (2026-05-09).
async fn queues_and_case_pages_show_the_same_time_left(backend: Backend) {
    use chrono::{TimeZone, Utc};
    use yiwang_core::deadline::time_left;
    let api = Api::on(backend);
    let cal = yiwang_core::calendar::Calendar::bundled();
    let item = |q: &serde_json::Value, id: &str| {
        q["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{q}"))
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .expect("in the queue")
    };
    // Friday 2026-05-08 15:00: dispatched, signed for and contacted, the resolve limit
    // is what is left, in working time: the weekend's Sunday does not count, the
    // Saturday worked in exchange does.
    api.clock.set(Utc.with_ymd_and_hms(2026, 5, 8, 7, 0, 0).unwrap());
    let (id, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let handler = api.login("cgw-handler").await;
    api.act_ok(&handler, &id, json!({"action": "sign_for"})).await;
    let v = api.act_ok(&handler, &id, json!({"action": "contact", "note": "已电话联系"})).await;
    let due: chrono::DateTime<Utc> = serde_json::from_value(
        v["appeal"]["clocks"].as_array().unwrap().iter().find(|c| c["kind"] == "resolve").unwrap()["due"].clone(),
    )
    .unwrap();
    for hours in [0, 30, 60] {
        api.step(Duration::hours(hours));
        let now = api.app.now();
        let handler = api.login("cgw-handler").await;
        let (_, q) = api.call("GET", "/api/v1/queues/handling", Some(&handler), None).await;
        let it = item(&q, &id);
        let want = time_left(&cal, now, due, true).num_seconds();
        assert_eq!((it["seconds_left"].as_i64(), it["working"].as_bool()), (Some(want), Some(true)), "{now}");
        assert_ne!(want, (due - now).num_seconds(), "working time differs from natural time here");
    }
    // Friday 2026-11-20 20:29 in China: the dispatch limit has a whole day left.
    api.clock.set(Utc.with_ymd_and_hms(2026, 11, 20, 12, 29, 0).unwrap());
    let (id, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    let (_, q) = api.call("GET", "/api/v1/queues/to_dispatch", Some(&dispatcher), None).await;
    let it = item(&q, &id);
    assert_eq!((it["seconds_left"].as_i64(), it["working"].as_bool()), (Some(86_400), Some(false)), "{it}");
    let (cookie, _) = crate::ui::console_login(&api, "dispatcher1").await;
    for path in ["/console?queue=to_dispatch".to_owned(), format!("/console/cases/{id}")] {
        let (_, _, page) = crate::ui::send(&api, crate::ui::get(&path, Some(&cookie))).await;
        assert!(page.contains("剩 1天"), "{path} shows the natural day left");
    }

    assert!(cal.is_working_day(chrono::NaiveDate::from_ymd_opt(2026, 5, 9).unwrap()), "the 调休 Saturday");
}

on_both_stores!(queues_and_case_pages_show_the_same_time_left);
