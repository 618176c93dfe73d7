use crate::harness::{Api, Backend, code_of};
use axum::http::StatusCode;
use serde_json::json;

async fn departments_keep_their_articles_and_operators_find_only_current_ones(backend: Backend) {
    let api = Api::on(backend);
    let rsj = api.login("rsj-handler").await;
    let operator = api.login("operator1").await;
    let (s, a) = api
        .call(
            "POST",
            "/api/v1/knowledge",
            Some(&rsj),
            Some(json!({"question": "社保卡丢失了怎么补办？", "answer": "携带身份证到政务服务中心补办。", "keywords": "社保卡 补卡"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["unit"], "rsj");
    let (s, _) = api
        .call(
            "POST",
            "/api/v1/knowledge",
            Some(&rsj),
            Some(json!({"question": "2025年社保补贴怎么领？", "answer": "已截止。", "valid_from": "2025-01-01", "valid_to": "2025-12-31"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Another department cannot edit it; an operator cannot write articles for a unit.
    let other = api.login("jw-handler").await;
    let id = a["id"].as_i64().unwrap();
    let (s, e) = api
        .call("PUT", &format!("/api/v1/knowledge/{id}"), Some(&other), Some(json!({"question": "x", "answer": "y"})))
        .await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, e) =
        api.call("POST", "/api/v1/knowledge", Some(&rsj), Some(json!({"question": "  ", "answer": "y"}))).await;
    assert_eq!(
        (s, code_of(&e), e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("question"))
    );

    let (s, hits) = api
        .call("GET", "/api/v1/knowledge?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1%E4%B8%A2%E4%BA%86", Some(&operator), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["question"], "社保卡丢失了怎么补办？");
    // The expired article is not offered, even for its own words (社保补贴); the current
    // one, which shares 社保, is, so the list checked is not empty.
    let questions = |hits: &serde_json::Value| -> Vec<String> {
        hits.as_array().unwrap().iter().map(|h| h["question"].as_str().unwrap().to_owned()).collect()
    };
    let (_, hits) =
        api.call("GET", "/api/v1/knowledge?q=%E7%A4%BE%E4%BF%9D%E8%A1%A5%E8%B4%B4", Some(&operator), None).await;
    assert_eq!(questions(&hits), ["社保卡丢失了怎么补办？"], "{hits}");
    // Ending an article stops offering it: 社保卡 finds it before, and nothing after.
    let (_, hits) = api.call("GET", "/api/v1/knowledge?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1", Some(&operator), None).await;
    assert_eq!(questions(&hits), ["社保卡丢失了怎么补办？"], "{hits}");
    let (s, _) = api
        .call(
            "PUT",
            &format!("/api/v1/knowledge/{id}"),
            Some(&rsj),
            Some(json!({"question": "社保卡丢失了怎么补办？", "answer": "见新规定。", "valid_from": "2026-01-01", "valid_to": "2026-11-01"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, hits) = api.call("GET", "/api/v1/knowledge?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1", Some(&operator), None).await;
    assert!(hits.as_array().unwrap().is_empty(), "{hits}");
    let (_, own) = api.call("GET", "/api/v1/knowledge-by-unit", Some(&rsj), None).await;
    assert_eq!(own.as_array().unwrap().len(), 2);
}

async fn search_finds_chinese_text_and_respects_who_may_see(backend: Backend) {
    let api = Api::on(backend);
    let (id, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    let q = |t: &str| format!("/api/v1/search?q={}", t.bytes().map(|b| format!("%{b:02X}")).collect::<String>());
    let (s, v) = api.call("GET", &q("路灯 不亮"), Some(&dispatcher), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["items"][0]["id"], id.as_str());
    let (_, v) = api.call("GET", &q("油烟"), Some(&dispatcher), None).await;
    assert_eq!(v["total"], 0);
    let (s, e) = api.call("GET", &q("灯"), Some(&dispatcher), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
    // A department finds the case only once it is theirs.
    let cgw = api.login("cgw-handler").await;
    let (_, v) = api.call("GET", &q("路灯"), Some(&cgw), None).await;
    assert_eq!(v["total"], 0);
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let (_, v) = api.call("GET", &q("路灯"), Some(&cgw), None).await;
    assert_eq!(v["total"], 1);
    let (_, v) = api.call("GET", &(q("路灯") + "&status=closed"), Some(&dispatcher), None).await;
    assert_eq!(v["total"], 0);
}

async fn intake_suggestions_locate_the_address_and_show_likely_duplicates(backend: Backend) {
    let api = Api::on(backend);
    let (first, _) = api.citizen_appeal().await;
    let operator = api.login("operator1").await;
    let (s, v) = api
        .call(
            "POST",
            "/api/v1/dispatch/suggest",
            Some(&operator),
            Some(
                json!({"text": "湖畔路的路灯已经一周不亮了，晚上很黑", "location": {"address": "望湖街道湖畔路32号"}}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["located"]["area"], "gd-wh-2-2", "the gazetteer places 湖畔路");
    assert_eq!(v["located"]["by"], "address");
    assert_eq!(v["duplicates"][0]["case_id"], first.as_str(), "{v}");
    // A leaf, not a first-level category, with the unit it routes to.
    let best = &v["categories"][0];
    assert_eq!((best["category"].as_str(), best["unit"].as_str()), (Some("cxjs-02"), Some("cgw")), "{v}");
    assert_eq!(best["name"], "城乡建设 / 城市建设和市政管理");
    assert_eq!(best["unit_name"], "城管委", "{v}");
    assert_eq!(v["categories"].as_array().unwrap().len(), 3);
    let (_, v) =
        api.call("POST", "/api/v1/dispatch/suggest", Some(&operator), Some(json!({"text": "学校乱收补课费"}))).await;
    assert!(v["duplicates"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["categories"][0]["category"], "jywt-03", "教育收费: {v}");
    // A utility leaf follows its district-wide routing rule.
    let (_, v) = api
        .call(
            "POST",
            "/api/v1/dispatch/suggest",
            Some(&operator),
            Some(json!({"text": "我家小区从昨晚开始停水，到现在还没来水"})),
        )
        .await;
    assert_eq!(
        (v["categories"][0]["category"].as_str(), v["categories"][0]["unit"].as_str()),
        (Some("cxjs-11"), Some("swj")),
        "{v}"
    );
    let (s, e) = api.call("POST", "/api/v1/dispatch/suggest", Some(&operator), Some(json!({"text": " "}))).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"));
    let (s, _) = api.call("POST", "/api/v1/dispatch/suggest", None, Some(json!({"text": "x"}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, v) = api.call("GET", "/api/v1/places?q=%E6%B9%96%E7%95%94", Some(&operator), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v.as_array().unwrap().iter().any(|p| p["name"] == "湖畔路"), "{v}");
}

async fn the_months_hot_topics_group_repeated_appeals(backend: Backend) {
    let api = Api::on(backend);
    for _ in 0..3 {
        api.citizen_appeal().await;
    }
    let operator = api.login("operator1").await;
    api.call(
        "POST",
        "/api/v1/appeals",
        Some(&operator),
        Some(json!({"channel": "hotline", "appeal_type": "complaint", "text": "学校食堂收费太高，家长意见很大"})),
    )
    .await;
    let (s, v) = api.call("GET", "/api/v1/topics?month=2026-11", Some(&operator), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["appeals"], 4);
    assert_eq!(v["topics"][0]["size"], 3, "{v}");
    assert!(v["topics"][0]["keywords"].as_array().unwrap().iter().any(|k| k.as_str().unwrap().contains("路灯")), "{v}");
    // Words and the district's own place names, not fragments across them.
    let words: Vec<&str> = v["topics"][0]["keywords"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    assert!(words.contains(&"路灯") && words.contains(&"湖畔路"), "{words:?}");
    let handler = api.login("cgw-handler").await;
    let (s, _) = api.call("GET", "/api/v1/topics", Some(&handler), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api.call("GET", "/api/v1/topics?month=2026-13", Some(&operator), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

on_both_stores!(
    departments_keep_their_articles_and_operators_find_only_current_ones,
    search_finds_chinese_text_and_respects_who_may_see,
    intake_suggestions_locate_the_address_and_show_likely_duplicates,
    the_months_hot_topics_group_repeated_appeals,
);
