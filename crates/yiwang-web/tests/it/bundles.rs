//! 一件事一次办 over the API, on both stores: the bundles of the catalogue (public);
//! 开办餐饮店 registered once at the window, its answers choosing the parts, each part
//! an application of its own department marked with the bundle; a refusal under the
//! all-stop rule ending the other part, the applicant told; 新生儿出生一件事 under the
//! go-on rule, ending with one part refused and the others done; a crash between the
//! writes repaired by the scheduler; and every refusal with its code.

use crate::harness::{Api, Backend, PHONE, code_of};
use axum::http::StatusCode;
use serde_json::{Value, json};
use yiwang_core::case::Kind;

fn restaurant(signboard: &str) -> Value {
    json!({
        "bundle": "open-restaurant",
        "applicant": {"name": "刘海峰", "phone": PHONE},
        "enterprise": {"code": "91350100M000100Y43", "name": "云溪区好味小厨餐饮店"},
        "answers": {"signboard": signboard, "wastewater": "否", "size": "150平方米以下"},
        "form": {"shop-name": "好味小厨", "address": "云溪区府前街18号", "kind": "热食类食品制售", "area-sqm": "85", "size": "4.5"},
        "materials": [
            {"material": "application-form", "paper": true},
            {"material": "business-licence", "certificate": "YX-GSZZ-2026-000318"},
            {"material": "floor-plan", "paper": true},
            {"material": "design", "paper": true}
        ]
    })
}

async fn act(api: &Api, token: &str, id: &str, action: Value) -> (StatusCode, Value) {
    api.call("POST", &format!("/api/v1/applications/{id}/actions"), Some(token), Some(action)).await
}

async fn act_ok(api: &Api, token: &str, id: &str, action: Value) -> Value {
    let (s, v) = act(api, token, id, action.clone()).await;
    assert_eq!(s, StatusCode::OK, "{action} → {v}");
    v
}

fn part<'a>(v: &'a Value, service: &str) -> &'a Value {
    v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["service"] == service)
        .unwrap_or_else(|| panic!("no {service}: {v}"))
}

async fn a_restaurant_bundle_runs_in_two_departments_and_stops_on_a_refusal(backend: Backend) {
    let api = Api::on(backend);
    // The catalogue's bundles are public.
    let (s, list) = api.call("GET", "/api/v1/bundle-catalogue", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let codes: Vec<&str> = list.as_array().unwrap().iter().map(|b| b["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["newborn", "open-restaurant"]);
    let (s, guide) = api.call("GET", "/api/v1/bundle-catalogue/open-restaurant", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((guide["bundle"]["promised_days"].as_u64(), guide["promised_sum"].as_u64()), (Some(5), Some(20)));
    // The sign's text is the shop's name: one field, filling two forms.
    let shop = guide["fields"].as_array().unwrap().iter().find(|f| f["code"] == "shop-name").unwrap();
    assert_eq!(shop["parts"], json!(["food-business", "signboard"]));
    let licence = guide["materials"].as_array().unwrap().iter().find(|m| m["material"]["code"] == "business-licence");
    assert_eq!(licence.unwrap()["parts"], json!(["food-business", "signboard"]));
    let (s, e) = api.call("GET", "/api/v1/bundle-catalogue/no-such", None, None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::NOT_FOUND, "not_found"));

    // Registered once at the 市场监管局's window: a sign, so two parts.
    let clerk = api.login("scjgj-clerk").await;
    let (s, v) = api.call("POST", "/api/v1/bundles", Some(&clerk), Some(restaurant("是"))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["bundle"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("YJ"), "{id}");
    assert_eq!(v["status_label"], "办理中");
    let services: Vec<&str> = v["parts"].as_array().unwrap().iter().map(|p| p["service"].as_str().unwrap()).collect();
    assert_eq!(services, ["food-business", "signboard"]);
    let food = part(&v, "food-business")["case"].as_str().unwrap().to_owned();
    let sign = part(&v, "signboard")["case"].as_str().unwrap().to_owned();
    assert!(food.starts_with("BJ") && sign.starts_with("BJ"), "{v}");
    assert_eq!(part(&v, "signboard")["department_name"], "城管委");
    assert_eq!(part(&v, "signboard")["status_label"], "待受理");
    assert_eq!(v["bundle"]["clocks"].as_array().unwrap().len(), 2, "the promise and §42's joint limit");
    assert_eq!(v["actions"], json!(["withdraw"]));

    // Each part is its department's application, marked with the bundle, its form
    // filled from the shared one.
    let cgw_clerk = api.login("cgw-clerk").await;
    let (s, a) = api.call("GET", &format!("/api/v1/applications/{sign}"), Some(&cgw_clerk), None).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(
        (a["detail"]["bundle"].as_str(), a["detail"]["bundle_part"].as_str()),
        (Some(id.as_str()), Some("signboard"))
    );
    assert_eq!(a["application"]["form"], json!({"text": "好味小厨", "size": "4.5"}));
    let materials: Vec<&str> =
        a["application"]["materials"].as_array().unwrap().iter().map(|m| m["material"].as_str().unwrap()).collect();
    assert_eq!(materials, ["business-licence", "design"]);
    // The 城管委 sees the bundle; a department with no part does not.
    let (s, _) = api.call("GET", &format!("/api/v1/bundles/{id}"), Some(&cgw_clerk), None).await;
    assert_eq!(s, StatusCode::OK);
    let wjw = api.login("wjw-clerk").await;
    let (s, e) = api.call("GET", &format!("/api/v1/bundles/{id}"), Some(&wjw), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::NOT_FOUND, "not_found"));

    // The 城管委 accepts, reviews and refuses the sign: the rule is all-stop.
    act_ok(&api, &cgw_clerk, &sign, json!({"action": "accept"})).await;
    let cgw_reviewer = api.login("cgw-reviewer").await;
    act_ok(&api, &cgw_reviewer, &sign, json!({"action": "review", "opinion": "招牌尺寸超出街区导则", "grant": false}))
        .await;
    let refused =
        json!({"action": "decide", "verdict": {"grant": false, "reasons": "招牌面积超过该路段门头招牌设置导则上限"}});
    act_ok(&api, &cgw_reviewer, &sign, refused).await;
    let (_, v) = api.call("GET", &format!("/api/v1/bundles/{id}"), Some(&clerk), None).await;
    assert_eq!(v["status_label"], "已终止", "{v}");
    assert_eq!(part(&v, "signboard")["outcome"], "refused");
    assert_eq!(part(&v, "food-business")["outcome"], "withdrawn");
    assert_eq!(part(&v, "food-business")["status_label"], "已撤回");
    assert!(v["bundle"]["stopped"].as_str().unwrap().contains("门头招牌设置审批"), "{v}");
    // The food licence ended with it, and its applicant is told.
    let (_, a) = api.call("GET", &format!("/api/v1/applications/{food}"), Some(&clerk), None).await;
    let last = a["timeline"].as_array().unwrap().last().unwrap()["summary"].as_str().unwrap().to_owned();
    assert!(last.starts_with("一件事终止"), "{last}");
    let (s, e) = act(&api, &clerk, &food, json!({"action": "accept"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::CONFLICT, "case_closed"));
    let notices: Vec<String> = api
        .blocking(|app| app.store().outbox(&yiwang_store::OutboxQuery { limit: 100, ..Default::default() }))
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.template)
        .collect();
    assert!(notices.iter().any(|t| t == "application_bundle_stopped"), "{notices:?}");
    assert!(notices.iter().any(|t| t == "bundle_stopped"), "{notices:?}");

    // The same answers without a sign: only the food licence, and the sign's design
    // handed in is a mistake to say.
    let (s, e) = api.call("POST", "/api/v1/bundles", Some(&clerk), Some(restaurant("否"))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_form_field"), "{e}");
}

async fn a_go_on_bundle_ends_with_one_part_refused_and_the_rest_done(backend: Backend) {
    let api = Api::on(backend);
    let clerk = api.login("wjw-clerk").await;
    let newborn = json!({
        "bundle": "newborn",
        "applicant": {"name": "陈晓梅", "phone": PHONE},
        "answers": {"insure": "是", "card": "否"},
        "form": {"baby-name": "陈小雨", "baby-sex": "女", "birth-date": "2026-11-10", "hospital": "云溪区妇幼保健院", "address": "云溪区府前街18号"},
        "materials": [{"material": "parents-id", "paper": true}, {"material": "delivery-record", "paper": true}, {"material": "hukou-book", "paper": true}]
    });
    let (s, v) = api.call("POST", "/api/v1/bundles", Some(&clerk), Some(newborn)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["bundle"]["id"].as_str().unwrap().to_owned();
    let services: Vec<&str> = v["parts"].as_array().unwrap().iter().map(|p| p["service"].as_str().unwrap()).collect();
    assert_eq!(services, ["birth-certificate", "newborn-hukou", "newborn-insurance"], "no card asked for");
    let case = |s: &str| part(&v, s)["case"].as_str().unwrap().to_owned();
    let (cert, hukou, insurance) = (case("birth-certificate"), case("newborn-hukou"), case("newborn-insurance"));

    // The window refuses the hukou part (不予受理): the others go on.
    let reject = json!({"action": "reject", "reason": "申报人不是新生儿的监护人", "basis": "《户口登记条例》第七条"});
    act_ok(&api, &clerk, &hukou, reject).await;
    let (_, v) = api.call("GET", &format!("/api/v1/bundles/{id}"), Some(&clerk), None).await;
    assert_eq!(
        (v["status_label"].as_str(), part(&v, "newborn-hukou")["outcome"].as_str()),
        (Some("办理中"), Some("refused"))
    );
    // The insurance is a 即办件, decided and handed over at the window.
    act_ok(&api, &clerk, &insurance, json!({"action": "accept", "verdict": {"grant": true}})).await;
    act_ok(&api, &clerk, &insurance, json!({"action": "deliver", "how": "on_the_spot"})).await;
    // The birth certificate through review, decision and certificate.
    act_ok(&api, &clerk, &cert, json!({"action": "accept"})).await;
    let reviewer = api.login("wjw-reviewer").await;
    act_ok(&api, &reviewer, &cert, json!({"action": "review", "opinion": "分娩记录与申报一致", "grant": true})).await;
    act_ok(&api, &reviewer, &cert, json!({"action": "decide", "verdict": {"grant": true}})).await;
    let certify = json!({"action": "certify", "number": "Q350102026000123", "valid_from": "2026-11-16"});
    act_ok(&api, &clerk, &cert, certify).await;
    act_ok(&api, &clerk, &cert, json!({"action": "deliver", "how": "electronic"})).await;
    let (_, v) = api.call("GET", &format!("/api/v1/bundles/{id}"), Some(&clerk), None).await;
    assert_eq!(v["status_label"], "已结束（部分未获准予）", "{v}");
    assert_eq!(v["bundle"]["on_time"], true);
    assert!(v["bundle"]["closed_at"].is_string());
    assert_eq!(v["actions"], json!([]));
}

async fn the_scheduler_repairs_a_crash_between_the_writes(backend: Backend) {
    use yiwang_core::application::{self as core_app, ApplicationKind};
    use yiwang_core::bundle::{self, BundleKind, NewBundle};
    let api = Api::on(backend);
    // A bundle filed, and the process gone before any part was opened.
    let id = api
        .blocking(|app| {
            let r = app.reference();
            let clerk = yiwang_core::org::Actor::Staff {
                username: yiwang_core::id::Username::parse("scjgj-clerk").unwrap(),
                unit: yiwang_core::id::UnitCode::parse("scjgj").unwrap(),
                unit_kind: yiwang_core::org::UnitKind::Department,
                roles: vec![yiwang_core::org::Role::Clerk],
            };
            let guide = app.bundle_guide("open-restaurant").unwrap();
            let input: yiwang_app::BundleInput = serde_json::from_value(restaurant("是")).unwrap();
            let n = NewBundle {
                def: guide.bundle,
                services: guide.services,
                channel: core_app::Channel::Window,
                enterprise: input.enterprise,
                answers: input.answers,
                form: input.form,
                materials: input.materials,
                area: None,
                tracking_code: None,
            };
            let calendar = yiwang_core::calendar::Calendar::bundled();
            let limits = yiwang_core::deadline::TimeLimits::default();
            let now = app.now();
            let ctx = yiwang_core::case::Context {
                now,
                actor: &clerk,
                calendar: &calendar,
                limits: &limits,
                org: &r.org,
                taxonomy: &r.taxonomy,
            };
            let events = bundle::open(&n, &ctx).unwrap();
            let case = yiwang_store::NewCase {
                tenant: r.tenant.clone(),
                at: now,
                actor: clerk.clone(),
                person: None,
                events: yiwang_core::case::Events::new::<BundleKind>(events),
                notices: vec![],
                idempotency: None,
            };
            app.store().create_case(case).wait().unwrap().id().clone()
        })
        .await;
    let clerk = api.login("scjgj-clerk").await;
    let (_, v) = api.call("GET", &format!("/api/v1/bundles/{id}"), Some(&clerk), None).await;
    assert_eq!(part(&v, "signboard")["status_label"], "待分送", "{v}");
    // The scheduler opens both parts, once, however often it runs.
    api.blocking(|app| app.tick()).await.unwrap();
    api.blocking(|app| app.tick()).await.unwrap();
    let (_, v) = api.call("GET", &format!("/api/v1/bundles/{id}"), Some(&clerk), None).await;
    assert_eq!(v["detail"]["unopened"], 0, "{v}");
    let sign = part(&v, "signboard")["case"].as_str().unwrap().to_owned();
    let idv = id.clone();
    let parts = api
        .blocking(move |app| {
            let q = yiwang_store::CaseQuery {
                kind: Some(ApplicationKind::NAME),
                detail: vec![("bundle", json!(idv.to_string()))],
                limit: 10,
                ..Default::default()
            };
            app.store().list_cases(&q).unwrap().rows.len()
        })
        .await;
    assert_eq!(parts, 2, "each part opened once");

    // A part withdrawn, and the process gone before the bundle heard of it.
    let sid = yiwang_core::id::CaseId::parse(&sign).unwrap();
    api.blocking(move |app| {
        let clerk = yiwang_core::org::Actor::Staff {
            username: yiwang_core::id::Username::parse("scjgj-clerk").unwrap(),
            unit: yiwang_core::id::UnitCode::parse("scjgj").unwrap(),
            unit_kind: yiwang_core::org::UnitKind::Department,
            roles: vec![yiwang_core::org::Role::Clerk],
        };
        let w = core_app::Command::Withdraw { reason: Some("不再设置招牌".into()), in_person: true };
        app.act_on::<ApplicationKind>(&clerk, &sid, &w).unwrap();
    })
    .await;
    let (_, v) = api.call("GET", &format!("/api/v1/bundles/{id}"), Some(&clerk), None).await;
    assert!(part(&v, "signboard")["outcome"].is_null(), "not yet told: {v}");
    api.blocking(|app| app.tick()).await.unwrap();
    let (_, v) = api.call("GET", &format!("/api/v1/bundles/{id}"), Some(&clerk), None).await;
    assert_eq!(part(&v, "signboard")["outcome"], "withdrawn", "{v}");
    assert_eq!(v["status_label"], "办理中", "a withdrawal is no refusal");
}

async fn bad_bundle_input_is_refused_with_its_code(backend: Backend) {
    let api = Api::on(backend);
    let clerk = api.login("scjgj-clerk").await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = restaurant("是");
        f(&mut v);
        v
    };
    let table: Vec<(Value, StatusCode, &str)> = vec![
        (with(&|v| v["bundle"] = json!("no-such")), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (with(&|v| v["answers"] = json!({"signboard": "是"})), StatusCode::UNPROCESSABLE_ENTITY, "answer_missing"),
        (with(&|v| v["answers"]["size"] = json!("很大")), StatusCode::UNPROCESSABLE_ENTITY, "answer_invalid"),
        (with(&|v| v["answers"]["seats"] = json!("20")), StatusCode::UNPROCESSABLE_ENTITY, "unknown_question"),
        (with(&|v| v["form"]["colour"] = json!("红")), StatusCode::UNPROCESSABLE_ENTITY, "unknown_form_field"),
        (
            with(&|v| v["form"].as_object_mut().unwrap().remove("kind").map(drop).unwrap_or(())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_field_missing",
        ),
        (with(&|v| v["form"]["area-sqm"] = json!("很多")), StatusCode::UNPROCESSABLE_ENTITY, "form_field_invalid"),
        (
            with(&|v| v["materials"][0] = json!({"material": "pipe-plan", "paper": true})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_material",
        ),
        (with(&|v| v["enterprise"] = Value::Null), StatusCode::UNPROCESSABLE_ENTITY, "enterprise_required"),
        (with(&|v| v["applicant"] = json!({"name": "刘海峰"})), StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        (with(&|v| v["answers"] = json!("是")), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
    ];
    for (body, status, code) in table {
        let (s, e) = api.call("POST", "/api/v1/bundles", Some(&clerk), Some(body.clone())).await;
        assert_eq!((s, code_of(&e)), (status, code), "{body} → {e}");
        assert!(!e["error"]["message"].as_str().unwrap_or("").is_empty(), "{e}");
    }
    // The part's refusal names the part.
    let (_, e) =
        api.call("POST", "/api/v1/bundles", Some(&clerk), Some(with(&|v| v["form"]["size"] = json!("0")))).await;
    assert!(e["error"]["message"].as_str().unwrap().starts_with("门头招牌设置审批"), "{e}");
    // Nothing was stored by any of them.
    let (_, todo) = api.call("GET", "/api/v1/todo?kind=bundle", Some(&clerk), None).await;
    assert_eq!(todo["items"].as_array().map(Vec::len), Some(0), "{todo}");

    // Only a window clerk registers; no one without a login.
    let reviewer = api.login("scjgj-reviewer").await;
    let (s, e) = api.call("POST", "/api/v1/bundles", Some(&reviewer), Some(restaurant("是"))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, _) = api.call("POST", "/api/v1/bundles", None, Some(restaurant("是"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // The bundle's commands.
    let (_, v) = api.call("POST", "/api/v1/bundles", Some(&clerk), Some(restaurant("是"))).await;
    let id = v["bundle"]["id"].as_str().unwrap().to_owned();
    let bundle_act = |token: String, body: Value| {
        let api = &api;
        let id = id.clone();
        async move { api.call("POST", &format!("/api/v1/bundles/{id}/actions"), Some(&token), Some(body)).await }
    };
    let cgw_clerk = api.login("cgw-clerk").await;
    let (s, e) = bundle_act(cgw_clerk, json!({"action": "withdraw"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "only the window that registered it");
    let (s, e) = bundle_act(clerk.clone(), json!({"action": "extend", "days": 10, "reason": "联合踏勘"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "§42: the government's head");
    let (s, e) =
        bundle_act(clerk.clone(), json!({"action": "record_part", "part": "signboard", "case": "BJ20261116000001"}))
            .await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, e) = bundle_act(clerk.clone(), json!({"action": "dance"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"), "{e}");
    let leader = api.login("leader1").await;
    let (s, e) = bundle_act(leader.clone(), json!({"action": "extend", "days": 16, "reason": "联合踏勘"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "extension_too_long"), "{e}");
    let (s, v) =
        bundle_act(leader.clone(), json!({"action": "extend", "days": 15, "reason": "需组织联合现场踏勘"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["bundle"]["extended"], 15);
    let (s, v) = bundle_act(clerk.clone(), json!({"action": "withdraw", "reason": "店址变更"})).await;
    assert_eq!((s, v["status_label"].as_str()), (StatusCode::OK, Some("已终止")), "{v}");
    assert!(v["parts"].as_array().unwrap().iter().all(|p| p["outcome"] == "withdrawn"), "{v}");
    let (s, e) = api.call("GET", "/api/v1/bundles/YJ20261116999999", Some(&clerk), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, _) = api.call("GET", "/api/v1/bundles/not-a-number", Some(&clerk), None).await;
    assert!(s.is_client_error(), "{s}");
}

on_both_stores!(
    a_restaurant_bundle_runs_in_two_departments_and_stops_on_a_refusal,
    a_go_on_bundle_ends_with_one_part_refused_and_the_rest_done,
    the_scheduler_repairs_a_crash_between_the_writes,
    bad_bundle_input_is_refused_with_its_code,
);
