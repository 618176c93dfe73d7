//! 督查督办 over the JSON API, on both stores: a report's targets become tasks that run
//! to 销号; bad input gets a stable code and nothing half-done; a red task's notice
//! goes up when unanswered; 我的待办 shows every kind of work with the time left.

use crate::harness::{Api, Backend, code_of};
use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{Value, json};

const REPORT: &str = "2026年，全区新增城镇就业8000人，改造老旧小区15个，城镇调查失业率控制在3.8%以内。";

fn task(title: &str, value: &str, unit: &str, lead: &str) -> Value {
    json!({
        "title": title,
        "task_type": "annual",
        "target": {"value": value, "unit": unit, "what": title, "direction": "at_least", "source": REPORT},
        "lead": lead,
        "co_units": [],
        "deadline": "2026-12-31",
        "leader": "leader1",
        "document": "云溪区2026年政府工作报告"
    })
}

async fn open(api: &Api, token: &str, tasks: Vec<Value>) -> Vec<String> {
    let (s, v) = api.call("POST", "/api/v1/tasks", Some(token), Some(json!({"tasks": tasks}))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["ids"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect()
}

async fn task_act(api: &Api, token: &str, id: &str, action: Value) -> (StatusCode, Value) {
    api.call("POST", &format!("/api/v1/tasks/{id}/actions"), Some(token), Some(action)).await
}

async fn task_ok(api: &Api, token: &str, id: &str, action: Value) -> Value {
    let (s, v) = task_act(api, token, id, action.clone()).await;
    assert_eq!(s, StatusCode::OK, "{action} → {v}");
    v
}

async fn get(api: &Api, token: &str, path: &str) -> Value {
    let (s, v) = api.call("GET", path, Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{path} → {v}");
    v
}

fn ids_in(rows: &Value) -> Vec<String> {
    rows.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
}

async fn a_report_becomes_tasks_that_run_to_closing_off(backend: Backend) {
    let api = Api::on(backend);
    let inspector = api.login("inspector1").await;

    let (s, found) = api.call("POST", "/api/v1/targets/extract", Some(&inspector), Some(json!({"text": REPORT}))).await;
    assert_eq!(s, StatusCode::OK, "{found}");
    let got: Vec<(String, String, String)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["value"].as_str().unwrap().into(),
                t["unit"].as_str().unwrap().into(),
                t["direction"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("8000".into(), "人".into(), "at_least".into()),
            ("15".into(), "个".into(), "at_least".into()),
            ("3.8".into(), "%".into(), "at_most".into())
        ]
    );
    assert!(found[0]["sentence"].as_str().unwrap().contains("8000人"));

    let mut jobs = task("城镇新增就业8000人", "8000", "人", "rsj");
    jobs["co_units"] = json!(["mzj"]);
    let ids = open(&api, &inspector, vec![jobs, task("改造老旧小区15个", "15", "个", "zjw")]).await;
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|id| id.starts_with("DB")), "{ids:?}");
    let id = &ids[0];

    // The lead unit finds it in 我的待办, with the time it has to sign for it.
    let rsj = api.login("rsj-handler").await;
    let todo = get(&api, &rsj, "/api/v1/todo?kind=task").await;
    let item = todo["items"].as_array().unwrap().iter().find(|i| i["id"] == json!(id)).expect("the task waits").clone();
    assert_eq!((item["kind"].as_str(), item["kind_label"].as_str()), (Some("task"), Some("督办任务")));
    assert!(item["seconds_left"].as_i64().unwrap() > 0, "{item}");
    assert!(ids_in(&get(&api, &rsj, "/api/v1/todo").await["items"]).contains(id));
    assert!(!ids_in(&get(&api, &rsj, "/api/v1/todo?kind=appeal").await["items"]).contains(id));
    // Another unit does not see it.
    let zjw = api.login("zjw-handler").await;
    let (s, e) = api.call("GET", &format!("/api/v1/tasks/{id}"), Some(&zjw), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::NOT_FOUND, "not_found"));

    task_ok(&api, &rsj, id, json!({"action": "sign_for"})).await;
    api.step(Duration::days(10));
    let (inspector, rsj) = (api.login("inspector1").await, api.login("rsj-handler").await);
    // The co-unit reports its part (its value does not count); the lead unit its own.
    let mzj = api.login("mzj-handler").await;
    task_ok(&api, &mzj, id, json!({"action": "report", "text": "组织招聘会3场"})).await;
    // Evidence over JSON names material kept elsewhere; files are uploaded through the
    // task page's form, which attaches them itself (no request may cite a stored file).
    let evidence = "https://tjj.yunxi.gov.cn/2026/jiuye.pdf";
    task_ok(
        &api,
        &rsj,
        id,
        json!({"action": "report", "achieved": 8200, "text": "全年目标已完成", "evidence": [evidence]}),
    )
    .await;
    let review = get(&api, &inspector, "/api/v1/task-queues/to_review").await;
    assert_eq!(ids_in(&review), vec![id.clone()]);
    let view = get(&api, &inspector, &format!("/api/v1/tasks/{id}")).await;
    let reports = view["task"]["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(view["achieved"], Value::Null, "nothing counts before it is accepted");
    for r in reports {
        task_ok(&api, &inspector, id, json!({"action": "review", "report": r["seq"], "accept": true})).await;
    }
    let view = get(&api, &inspector, &format!("/api/v1/tasks/{id}")).await;
    assert_eq!(view["achieved"], json!(8200.0), "only the lead unit's value counts");
    assert_eq!((view["met"].as_bool(), view["task"]["light"].as_str()), (Some(true), Some("green")));
    assert!(ids_in(&get(&api, &inspector, "/api/v1/task-queues/to_review").await).is_empty());
    let closed = task_ok(&api, &inspector, id, json!({"action": "close", "note": "予以销号"})).await;
    assert_eq!(
        (closed["task"]["status"].as_str(), closed["task"]["grade"].as_str()),
        (Some("closed"), Some("excellent"))
    );
    assert!(!ids_in(&get(&api, &rsj, "/api/v1/todo").await["items"]).contains(id), "a closed task leaves 我的待办");

    let leader = api.login("leader1").await;
    let board = get(&api, &leader, "/api/v1/board?year=2026").await;
    assert_eq!(
        (board["total"].as_u64(), board["closed"].as_u64(), board["green"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    let (s, e) = api.call("GET", "/api/v1/board?year=2026", Some(&rsj), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));

    let report = api.blocking(|app| app.store().verify()).await.unwrap();
    assert!(report.is_intact() && report.cases == 2, "every chain verifies: {:?}", report.breaks);
}

async fn bad_task_input_gets_a_clear_error_and_opens_nothing(backend: Backend) {
    let api = Api::on(backend);
    let inspector = api.login("inspector1").await;
    let rsj = api.login("rsj-handler").await;

    let (s, e) = api.call("POST", "/api/v1/targets/extract", Some(&rsj), Some(json!({"text": REPORT}))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, e) = api.call("POST", "/api/v1/targets/extract", Some(&inspector), Some(json!({"text": "  "}))).await;
    assert_eq!(
        (s, code_of(&e), e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("text"))
    );

    let good = task("城镇新增就业8000人", "8000", "人", "rsj");
    let cases: Vec<(Value, &str)> = vec![
        (json!({"target": {"value": "八千"}}), "tasks[1].target.value"),
        (json!({"lead": "nope"}), "tasks[1].lead"),
        (json!({"lead": "gd-wh-2-2"}), "tasks[1].lead"),
        (json!({"co_units": ["nope"]}), "tasks[1].co_units"),
        (json!({"task_type": "weekly"}), "tasks[1].task_type"),
        (json!({"co_units": ["rsj"]}), "tasks[1].co_units"),
        (json!({"leader": "rsj-handler"}), "tasks[1].leader"),
        (json!({"deadline": "2020-12-31"}), "tasks[1].deadline"),
        (json!({"title": ""}), "tasks[1].title"),
        (
            json!({"milestones": [{"date": "2026-12-20", "share": 0.5}, {"date": "2026-12-10", "share": 0.7}]}),
            "tasks[1].milestones",
        ),
    ];
    for (change, field) in cases {
        let mut bad = good.clone();
        for (k, v) in change.as_object().unwrap() {
            if k == "target" {
                bad["target"]["value"] = v["value"].clone();
            } else {
                bad[k] = v.clone();
            }
        }
        let (s, e) = api.call("POST", "/api/v1/tasks", Some(&inspector), Some(json!({"tasks": [good, bad]}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{change} → {e}");
        assert_eq!(e["error"]["field"].as_str(), Some(field), "{change} → {e}");
        assert!(e["error"]["message"].as_str().unwrap().starts_with("第 2 项"), "{e}");
    }
    let (s, e) = api.call("POST", "/api/v1/tasks", Some(&inspector), Some(json!({"tasks": []}))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
    let (s, e) = api.call("POST", "/api/v1/tasks", Some(&rsj), Some(json!({"tasks": [good]}))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, e) = api.call("POST", "/api/v1/tasks", Some(&inspector), Some(json!({"tasks": [{"title": 1}]}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // A batch with a bad task opened none of its good ones.
    assert!(ids_in(&get(&api, &inspector, "/api/v1/task-queues/all").await).is_empty());

    let id = open(&api, &inspector, vec![good.clone()]).await.remove(0);
    task_ok(&api, &rsj, &id, json!({"action": "sign_for"})).await;
    for (action, code, status) in [
        (json!({"action": "report", "text": "进展"}), "invalid_field", StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"action": "report", "achieved": -1, "text": "进展"}),
            "invalid_field",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"action": "report", "achieved": 1, "text": ""}), "invalid_field", StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"action": "close"}), "forbidden", StatusCode::FORBIDDEN),
        (json!({"action": "fly"}), "invalid_body", StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"action": "request_extension", "deadline": "2026-12-01", "reason": "x"}),
            "invalid_field",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (s, e) = task_act(&api, &rsj, &id, action.clone()).await;
        assert_eq!((s, code_of(&e)), (status, code), "{action} → {e}");
    }
    // A report without evidence meets the target, but a task is closed off only with evidence.
    task_ok(&api, &rsj, &id, json!({"action": "report", "achieved": 8000, "text": "已完成"})).await;
    let (s, e) = task_act(&api, &inspector, &id, json!({"action": "review", "report": 99, "accept": true})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_report"));
    let (s, e) = task_act(&api, &inspector, &id, json!({"action": "close"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "report_pending"));
    let seq = get(&api, &inspector, &format!("/api/v1/tasks/{id}")).await["task"]["reports"][0]["seq"].clone();
    let (s, e) = task_act(&api, &inspector, &id, json!({"action": "review", "report": seq, "accept": false})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("note")),
        "a return says why"
    );
    task_ok(&api, &inspector, &id, json!({"action": "review", "report": seq, "accept": true})).await;
    let (s, e) = task_act(&api, &inspector, &id, json!({"action": "close"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "target_not_met"), "{e}");
    let (s, e) = task_act(&api, &inspector, &id, json!({"action": "conclude", "note": "未完成"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "not_yet_due"), "{e}");
    let (s, e) = api.call("GET", "/api/v1/tasks/DB20261116999999", Some(&inspector), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, e) = api.call("GET", "/api/v1/task-queues/everything", Some(&inspector), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, e) = api.call("GET", "/api/v1/todo?kind=dragon", Some(&rsj), None).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")));
}

async fn a_red_tasks_notice_goes_up_when_unanswered(backend: Backend) {
    let api = Api::on(backend);
    let inspector = api.login("inspector1").await;
    let rsj = api.login("rsj-handler").await;
    let id = open(&api, &inspector, vec![task("城镇新增就业8000人", "8000", "人", "rsj")]).await.remove(0);
    task_ok(&api, &rsj, &id, json!({"action": "sign_for"})).await;
    task_ok(&api, &rsj, &id, json!({"action": "report", "achieved": 100, "text": "起步"})).await;
    let seq = get(&api, &inspector, &format!("/api/v1/tasks/{id}")).await["task"]["reports"][0]["seq"].clone();
    task_ok(&api, &inspector, &id, json!({"action": "review", "report": seq, "accept": true})).await;
    let light = |v: &Value| v["task"]["light"].as_str().unwrap().to_owned();
    assert_eq!(light(&get(&api, &inspector, &format!("/api/v1/tasks/{id}")).await), "green");

    // Half the time gone (from 11-16 to the end of 12-31), 1 % done: red, and noticed.
    api.step(Duration::days(24));
    api.blocking(|app| app.tick()).await.unwrap();
    let (inspector, rsj) = (api.login("inspector1").await, api.login("rsj-handler").await);
    let view = get(&api, &inspector, &format!("/api/v1/tasks/{id}")).await;
    assert_eq!(light(&view), "red");
    assert_eq!(view["task"]["notices"].as_array().unwrap().len(), 1);
    assert_eq!(view["task"]["notices"][0]["level"].as_str(), Some("unit"));
    assert_eq!(ids_in(&get(&api, &inspector, "/api/v1/task-queues/red").await), vec![id.clone()]);
    assert!(
        get(&api, &rsj, &format!("/api/v1/tasks/{id}")).await["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("answer_notice"))
    );

    // Unanswered past its reply time: to the unit's leader, then to the district leader.
    assert!(ids_in(&get(&api, &api.login("rsj-leader").await, "/api/v1/task-queues/escalated").await).is_empty());
    api.step(Duration::days(5));
    api.blocking(|app| app.tick()).await.unwrap();
    let unit_leader = api.login("rsj-leader").await;
    let leader1 = api.login("leader1").await;
    assert_eq!(ids_in(&get(&api, &unit_leader, "/api/v1/task-queues/escalated").await), vec![id.clone()]);
    assert!(ids_in(&get(&api, &leader1, "/api/v1/task-queues/escalated").await).is_empty());
    api.step(Duration::days(4));
    api.blocking(|app| app.tick()).await.unwrap();
    let (inspector, rsj) = (api.login("inspector1").await, api.login("rsj-handler").await);
    let (leader1, leader2) = (api.login("leader1").await, api.login("leader2").await);
    let view = get(&api, &inspector, &format!("/api/v1/tasks/{id}")).await;
    assert_eq!(view["task"]["notices"][0]["level"].as_str(), Some("district_leader"), "{view}");
    assert_eq!(ids_in(&get(&api, &leader1, "/api/v1/task-queues/escalated").await), vec![id.clone()]);
    assert!(
        ids_in(&get(&api, &leader2, "/api/v1/task-queues/escalated").await).is_empty(),
        "only the leader in charge"
    );

    // The answer ends it; the light stays red until progress is made.
    task_ok(&api, &rsj, &id, json!({"action": "answer_notice", "text": "已召开专题会，加快推进"})).await;
    assert!(ids_in(&get(&api, &leader1, "/api/v1/task-queues/escalated").await).is_empty());
    assert_eq!(light(&get(&api, &inspector, &format!("/api/v1/tasks/{id}")).await), "red");
}

async fn todo_shows_every_kind_with_its_time_left(backend: Backend) {
    let api = Api::on(backend);
    let (appeal, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &appeal, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let inspector = api.login("inspector1").await;
    let task = open(&api, &inspector, vec![task("新建口袋公园10个", "10", "个", "cgw")]).await.remove(0);

    let cgw = api.login("cgw-handler").await;
    let all = get(&api, &cgw, "/api/v1/todo").await;
    let kinds: Vec<(String, String)> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap().into(), i["kind"].as_str().unwrap().into()))
        .collect();
    assert!(kinds.contains(&(appeal.clone(), "appeal".into())), "{all}");
    assert!(kinds.contains(&(task.clone(), "task".into())), "{all}");
    assert!(all["items"].as_array().unwrap().iter().all(|i| i["seconds_left"].is_i64()), "{all}");
    assert_eq!(all["total"].as_u64(), Some(2));
    assert_eq!(ids_in(&get(&api, &cgw, "/api/v1/todo?kind=appeal").await["items"]), vec![appeal]);
    assert_eq!(ids_in(&get(&api, &cgw, "/api/v1/todo?kind=task").await["items"]), vec![task]);
    // Another unit's list holds neither.
    let zjw = api.login("zjw-handler").await;
    assert_eq!(get(&api, &zjw, "/api/v1/todo").await["total"].as_u64(), Some(0));
}

on_both_stores!(
    a_report_becomes_tasks_that_run_to_closing_off,
    bad_task_input_gets_a_clear_error_and_opens_nothing,
    a_red_tasks_notice_goes_up_when_unanswered,
    todo_shows_every_kind_with_its_time_left,
);
