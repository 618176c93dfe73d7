//! Need to know: what Open311 publishes, what duplicates staff are shown, who sees a
//! tracking code, who may rate or merge or call, and what a citizen may not decide.

use crate::harness::{Api, Backend, PHONE, code_of};
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn appeal(api: &Api, token: Option<&str>, body: Value) -> (String, String) {
    let (s, v) = api.call("POST", "/api/v1/appeals", token, Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (v["case_id"].as_str().unwrap().to_owned(), v["tracking_code"].as_str().unwrap().to_owned())
}

async fn open311(api: &Api, path: &str) -> (StatusCode, Value) {
    api.call("GET", &format!("/open311/v2/{path}"), None, None).await
}

/// Open311 publishes only what a citizen filed in public, not 举报 and not marked
/// private; the texts it publishes carry no phone number and no name, and the
/// coordinates are coarse.
async fn open311_publishes_only_public_cases_and_masks_them(backend: Backend) {
    let api = Api::on(backend);
    let operator = api.login("operator1").await;
    let dispatcher = api.login("dispatcher1").await;
    let point = json!({"point": {"lon": 116.225087, "lat": 39.876892}});
    let (public, _) = appeal(
        &api,
        None,
        json!({"channel": "web", "appeal_type": "complaint", "text": "我是王小明，电话13912345678，湖畔路井盖丢失",
               "location": point, "citizen": {"name": "王小明", "phone": PHONE}}),
    )
    .await;
    let (hotline, _) = appeal(
        &api,
        Some(&operator),
        json!({"channel": "hotline", "appeal_type": "help", "text": "热线反映路灯不亮", "citizen": {"phone": PHONE}}),
    )
    .await;
    let (report, _) =
        appeal(&api, None, json!({"channel": "web", "appeal_type": "report", "text": "举报某餐馆无证经营"})).await;
    let (private, _) = appeal(
        &api,
        None,
        json!({"channel": "web", "appeal_type": "help", "text": "家门口积水", "private": true, "citizen": {"phone": PHONE}}),
    )
    .await;
    for id in [&public, &hotline, &report, &private] {
        api.act_ok(&dispatcher, id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    }

    let (s, v) = open311(&api, "requests.json").await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [public.as_str()], "{v}");
    let text = v.to_string();
    assert!(!text.contains("13912345678") && !text.contains("王小明"), "{text}");
    assert!(text.contains("139******78") && text.contains("王**"), "{text}");
    assert_eq!((v[0]["lat"].as_f64(), v[0]["long"].as_f64()), (Some(39.877), Some(116.225)));
    for id in [&hotline, &report, &private] {
        let (s, _) = open311(&api, &format!("requests/{id}.json")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{id} answers as a case that does not exist");
        let (_, v) = open311(&api, &format!("requests.json?service_request_id={id}")).await;
        assert_eq!(v, json!([]));
    }
    let (_, v) = open311(&api, "servicerequestupdates.json").await;
    let updated: Vec<&str> = v.as_array().unwrap().iter().map(|u| u["service_request_id"].as_str().unwrap()).collect();
    assert_eq!(updated, [public.as_str()], "{v}");
}

/// Likely duplicates are only cases the asker may see.
async fn dispatch_suggestions_show_only_cases_the_asker_may_see(backend: Backend) {
    let api = Api::on(backend);
    let (first, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &first, json!({"action": "dispatch", "category": "cxjs-02", "unit": "cgw"})).await;
    let ask = json!({"text": "湖畔路的路灯已经一周不亮了，晚上很黑", "location": {"address": "望湖街道湖畔路32号"}});
    let duplicates =
        |v: &Value| v["duplicates"].as_array().unwrap().iter().map(|d| d["case_id"].clone()).collect::<Vec<_>>();
    for (user, sees) in [("dispatcher1", true), ("cgw-handler", true), ("zjw-handler", false)] {
        let t = api.login(user).await;
        let (s, v) = api.call("POST", "/api/v1/dispatch/suggest", Some(&t), Some(ask.clone())).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(duplicates(&v).contains(&json!(first)), sees, "{user}: {v}");
    }
}

/// Staff never see a case's tracking code, but the operator who registers the call
/// reads it from the receipt; a handler cannot rate its own case; a citizen's own
/// callback is recorded as the citizen's.
async fn tracking_codes_stay_with_the_citizen_and_handlers_cannot_rate(backend: Backend) {
    let api = Api::on(backend);
    let operator = api.login("operator1").await;
    let dispatcher = api.login("dispatcher1").await;
    let (id, code) = appeal(
        &api,
        Some(&operator),
        json!({"channel": "hotline", "appeal_type": "help", "text": "路灯不亮", "citizen": {"phone": PHONE}}),
    )
    .await;
    assert_eq!(code.len(), 10, "the operator's receipt carries the code to read out");
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02", "unit": "cgw"})).await;
    let cgw = api.login("cgw-handler").await;
    api.act_ok(&cgw, &id, json!({"action": "sign_for"})).await;
    api.act_ok(&cgw, &id, json!({"action": "reply", "outcome": "resolved", "text": "已修复"})).await;
    for t in [&dispatcher, &cgw, &operator] {
        let (s, v) = api.call("GET", &format!("/api/v1/appeals/{id}"), Some(t), None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!v.to_string().contains(&code), "no tracking code in the staff view: {v}");
    }
    let (s, e) = api.act(&cgw, &id, json!({"action": "callback", "solved": true, "satisfaction": "satisfied"})).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "the handling unit rates its own case");

    let (s, v) = api
        .call(
            "POST",
            "/api/v1/track/callback",
            None,
            Some(json!({"tracking_code": code, "phone": PHONE, "solved": true, "satisfaction": "satisfied"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = api.call("GET", &format!("/api/v1/appeals/{id}"), Some(&dispatcher), None).await;
    let last = v["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["actor"].as_str()), (Some("called_back"), Some("诉求人")), "{last}");
}

/// Merging into a case the actor may not see answers exactly as merging into one
/// that does not exist.
async fn merging_into_an_unseen_case_answers_as_a_missing_one(backend: Backend) {
    let api = Api::on(backend);
    let dispatcher = api.login("dispatcher1").await;
    let (mine, _) = api.citizen_appeal().await;
    let (theirs, _) = api.citizen_appeal().await;
    api.act_ok(&dispatcher, &mine, json!({"action": "dispatch", "category": "cxjs-02", "unit": "cgw"})).await;
    api.act_ok(&dispatcher, &theirs, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    let cgw = api.login("cgw-handler").await;
    let missing = "YW20261116009999";
    let (s1, e1) = api.act(&cgw, &mine, json!({"action": "merge", "into": missing})).await;
    let (s2, e2) = api.act(&cgw, &mine, json!({"action": "merge", "into": theirs})).await;
    assert_eq!((s1, code_of(&e1)), (s2, code_of(&e2)));
    assert_eq!(
        e1["error"]["message"].as_str().unwrap().replace(missing, "…"),
        e2["error"]["message"].as_str().unwrap().replace(&theirs, "…")
    );
}

/// Which area a case belongs to and how urgent it is are staff decisions: a
/// citizen's are ignored (the area they chose is kept in the address), an
/// operator's are kept.
async fn citizens_cannot_set_area_or_urgency(backend: Backend) {
    let api = Api::on(backend);
    let operator = api.login("operator1").await;
    let dispatcher = api.login("dispatcher1").await;
    let body = |channel: &str| {
        json!({"channel": channel, "appeal_type": "help", "text": "家门口积水", "urgency": "urgent",
               "location": {"area": "st-wh", "address": "某小区"}, "citizen": {"phone": PHONE}})
    };
    let (by_citizen, _) = appeal(&api, None, body("web")).await;
    let (by_operator, _) = appeal(&api, Some(&operator), body("hotline")).await;
    let view = |id: String| {
        let (api, t) = (&api, &dispatcher);
        async move { api.call("GET", &format!("/api/v1/appeals/{id}"), Some(t), None).await.1["appeal"].clone() }
    };
    let a = view(by_citizen).await;
    assert_eq!((a["urgency"].as_str(), a["location"]["area"].as_str()), (Some("normal"), None), "{a}");
    assert!(a["location"]["address"].as_str().unwrap().contains("诉求人所选区域"), "{a}");
    let a = view(by_operator).await;
    assert_eq!((a["urgency"].as_str(), a["location"]["area"].as_str()), (Some("urgent"), Some("st-wh")), "{a}");
}

/// A unit that no longer holds a case still reads it (what became of its work) but
/// may no longer reveal the citizen's phone number; the unit holding it may.
async fn a_former_unit_reads_the_case_but_cannot_reveal_the_phone(backend: Backend) {
    let api = Api::on(backend);
    let dispatcher = api.login("dispatcher1").await;
    let (id, _) = api.citizen_appeal().await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02", "unit": "zjw"})).await;
    let zjw = api.login("zjw-handler").await;
    let reveal = |t: String| {
        let (api, id) = (&api, id.clone());
        async move { api.call("POST", &format!("/api/v1/appeals/{id}/reveal-phone"), Some(&t), None).await }
    };
    assert_eq!(reveal(zjw.clone()).await.0, StatusCode::OK, "the holding unit may");
    api.act_ok(&zjw, &id, json!({"action": "return", "reason": "不属于住建委职责"})).await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02", "unit": "cgw"})).await;
    let (s, _) = api.call("GET", &format!("/api/v1/appeals/{id}"), Some(&zjw), None).await;
    assert_eq!(s, StatusCode::OK, "a former unit still reads the case");
    let (s, e) = reveal(zjw).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    let cgw = api.login("cgw-handler").await;
    let (s, v) = reveal(cgw).await;
    assert_eq!((s, v["phone"].as_str()), (StatusCode::OK, Some(PHONE)));
}

/// Erasing a citizen answers their cases' files (the CLI deletes them) and ends
/// following the case online: the phone number it needed can no longer be checked.
async fn erasing_a_person_takes_their_files_and_ends_online_tracking(backend: Backend) {
    let api = Api::on(backend);
    let (id, code) = api.citizen_appeal().await;
    let case = yiwang_core::id::CaseId::parse(&id).unwrap();
    let pid = api.blocking(move |app| app.store().load(&case).unwrap().unwrap().project().header.person.unwrap()).await;
    let track = json!({"tracking_code": code, "phone": PHONE});
    assert_eq!(api.call("POST", "/api/v1/track", None, Some(track.clone())).await.0, StatusCode::OK);
    let files = api.blocking(move |app| app.erase_person(pid)).await.unwrap();
    assert_eq!(files, Some(vec!["uploads/photo-1.jpg".to_owned()]));
    for body in [track, json!({"tracking_code": code})] {
        assert_eq!(api.call("POST", "/api/v1/track", None, Some(body)).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(api.blocking(move |app| app.erase_person(pid)).await.unwrap(), None, "erased already");
}

on_both_stores!(
    erasing_a_person_takes_their_files_and_ends_online_tracking,
    open311_publishes_only_public_cases_and_masks_them,
    dispatch_suggestions_show_only_cases_the_asker_may_see,
    tracking_codes_stay_with_the_citizen_and_handlers_cannot_rate,
    merging_into_an_unseen_case_answers_as_a_missing_one,
    citizens_cannot_set_area_or_urgency,
    a_former_unit_reads_the_case_but_cannot_reveal_the_phone,
);
