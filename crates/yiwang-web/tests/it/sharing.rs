//! 一网共享's access over the API, on both stores: a request, the owner's answer,
//! the consumer's reads with the credential (fields dropped, personal ones masked),
//! the credential's codes (bad, revoked, expired, rate), every read in the signed
//! record (`audit verify`, and an altered entry caught), reads stopped while nothing
//! can be signed, the owner's usage and the citizen's own reads.

use crate::harness::{Api, Backend};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use yiwang_app::AppConfig;
use yiwang_core::id::{UnitCode, Username};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_core::share::{Frequency, OpenClass, Resource, ShareClass, Source};

fn code_of(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

/// The enterprise register as a 有条件共享 resource of 市场监管局 (its legal
/// representative and phone personal), and inspection results as a 无条件共享 one,
/// registered by the 数据局's 数据专员 (once per store).
async fn seed(api: &Api) -> (Resource, Resource) {
    api.blocking(|app| {
        let bureau = Actor::Staff {
            username: Username::parse("sjj-data").unwrap(),
            unit: UnitCode::parse("district").unwrap(),
            unit_kind: UnitKind::District,
            roles: vec![Role::DataOfficer],
        };
        let make = |code: &str, name: &str, source: Source, share: ShareClass| Resource {
            code: code.into(),
            name: name.into(),
            owner: UnitCode::parse("scjgj").unwrap(),
            description: format!("{name}（测试）"),
            fields: yiwang_app::catalogue::source_fields(&source),
            share,
            conditions: if share == ShareClass::Conditional { "仅用于法定职责".into() } else { String::new() },
            frequency: Frequency::Daily,
            format: "JSON".into(),
            key_field: yiwang_app::catalogue::source_fields(&source)[0].name.clone(),
            source,
            open: OpenClass::Closed,
        };
        let register = make("YXQ-TEST-0001", "企业登记信息（共享测试）", Source::Register, ShareClass::Conditional);
        let results =
            make("YXQ-TEST-0002", "抽查结果（共享测试）", Source::InspectionResults, ShareClass::Unconditional);
        for r in [&register, &results] {
            if app.resource(&r.code).is_err() {
                app.register_resource(&bureau, r).unwrap();
            }
        }
        (app.resource(&register.code).unwrap(), app.resource(&results.code).unwrap())
    })
    .await
}

async fn register_resource(api: &Api) -> Resource {
    seed(api).await.0
}

async fn unconditional_resource(api: &Api) -> Resource {
    seed(api).await.1
}

/// The leader of a unit other than the owner: the consumer.
fn consumer_for(r: &Resource) -> &'static str {
    if r.owner.as_str() == "rsj" { "mzj-leader" } else { "rsj-leader" }
}

fn request(r: &Resource, fields: &[&str], unmasked: &[&str]) -> Value {
    json!({
        "system": "就业补贴审核系统",
        "resource": r.code.to_string(),
        "fields": fields,
        "unmasked": unmasked,
        "purpose": "核验申请就业补贴的企业",
        "legal_basis": "《就业促进法》第十八条",
        "from": "2026-11-16",
        "to": "2026-12-31",
    })
}

/// A read with a credential: status, body and the `x-read-log` header.
async fn read(api: &Api, resource: &str, credential: &str, query: &str) -> (StatusCode, Value, Option<String>) {
    let req = Request::builder()
        .uri(format!("/api/v1/share/{resource}/records{query}"))
        .header("authorization", format!("Bearer {credential}"))
        .body(Body::empty())
        .unwrap();
    let resp = yiwang_web::router(api.app.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let log = resp.headers().get("x-read-log").map(|h| h.to_str().unwrap().to_owned());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), log)
}

/// A conditional request approved with fewer fields than asked, and the consumer's
/// credential: the owner's answer shows none (the owner is not the one to read); the
/// consumer issues it, shown once.
async fn granted_register(api: &Api, fields: &[&str], unmasked: &[&str]) -> (Resource, String, String) {
    let r = register_resource(api).await;
    assert_eq!(r.share, ShareClass::Conditional);
    let consumer = api.login(consumer_for(&r)).await;
    let owner = api.login(&format!("{}-leader", r.owner)).await;
    let all: Vec<&str> = r.fields.iter().map(|f| f.name.as_str()).collect();
    let (s, v) = api.call("POST", "/api/v1/share/requests", Some(&consumer), Some(request(&r, &all, unmasked))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["access"]["status"], "pending");
    assert!(v.get("credential").is_none(), "no credential before the owner answers: {v}");
    let id = v["access"]["id"].as_str().unwrap().to_owned();
    let (s, queue) = api.call("GET", "/api/v1/share/requests?role=owner&status=pending", Some(&owner), None).await;
    assert_eq!(s, StatusCode::OK, "{queue}");
    assert!(queue.as_array().unwrap().iter().any(|q| q["access"]["id"] == id), "the owner's queue: {queue}");
    // No fields named: every field asked for.
    let fields = if fields.is_empty() { Value::Null } else { json!(fields) };
    let answer = json!({"action": "approve", "opinion": "同意，仅限核验", "fields": fields, "unmasked": unmasked});
    let (s, v) = api.call("POST", &format!("/api/v1/share/requests/{id}/actions"), Some(&owner), Some(answer)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["access"]["status"], "granted");
    assert!(v.get("credential").is_none(), "not to the owner: {v}");
    assert!(!v["actions"].as_array().unwrap().contains(&json!("issue_credential")), "{v}");
    let issue = || json!({"action": "issue_credential"});
    let path = format!("/api/v1/share/requests/{id}/actions");
    let (s, v) = api.call("POST", &path, Some(&owner), Some(issue())).await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "forbidden"), "the owner issues none: {v}");
    let (s, v) = api.call("GET", &format!("/api/v1/share/requests/{id}"), Some(&consumer), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["actions"].as_array().unwrap().contains(&json!("issue_credential")), "{v}");
    // Issued twice (a lost one): the first reads no more.
    let (s, v) = api.call("POST", &path, Some(&consumer), Some(issue())).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let lost = v["credential"].as_str().expect("the credential, shown once").to_owned();
    let (s, v) = api.call("POST", &path, Some(&consumer), Some(issue())).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let credential = v["credential"].as_str().expect("the credential, shown once").to_owned();
    assert_ne!(lost, credential);
    let (s, v, _) = read(api, &r.code.to_string(), &lost, "?limit=1").await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNAUTHORIZED, "credential_invalid"), "{v}");
    // Never again: not on the request's page, and no hash in its JSON either.
    let (_, again) = api.call("GET", &format!("/api/v1/share/requests/{id}"), Some(&consumer), None).await;
    assert!(again.get("credential").is_none() && !again.to_string().contains(&credential), "{again}");
    (r, id, credential)
}

async fn a_granted_credential_reads_only_its_fields_with_personal_ones_masked(backend: Backend) {
    let api = Api::on(backend);
    api.register(5).await;
    let r = register_resource(&api).await;
    let personal = r.fields.iter().find(|f| f.personal).expect("a personal field").name.clone();
    let plain: Vec<String> = r.fields.iter().filter(|f| !f.personal).map(|f| f.name.clone()).collect();
    let (_, dropped) = (plain[0].clone(), plain.last().unwrap().clone());
    // Every field but the last plain one; the personal one asked for masked.
    let mut fields: Vec<&str> = plain[..plain.len() - 1].iter().map(String::as_str).collect();
    fields.push(&personal);
    let (r, grant, credential) = granted_register(&api, &fields, &[]).await;
    let (s, page, log) = read(&api, &r.code.to_string(), &credential, "?limit=3").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(log.unwrap().starts_with("DQ"), "the read's log is named");
    assert_eq!(page["grant"], grant);
    let records = page["records"].as_array().unwrap();
    assert_eq!(records.len(), 3, "{page}");
    for rec in records {
        let keys: Vec<&String> = rec.as_object().unwrap().keys().collect();
        assert!(!keys.contains(&&dropped), "a field outside the grant is never returned: {rec}");
        assert_eq!(keys.len(), fields.len(), "{rec}");
        if let Some(v) = rec[&personal].as_str() {
            assert!(v.contains('*'), "a personal field not granted unmasked is masked: {rec}");
        }
    }
    // The next page by the cursor.
    let next = page["next"].as_str().expect("more than three enterprises").to_owned();
    let (s, page2, _) = read(&api, &r.code.to_string(), &credential, &format!("?limit=3&after={next}")).await;
    assert_eq!(s, StatusCode::OK, "{page2}");
    assert_ne!(page2["records"][0], records[0]);
    // Bad input and bad credentials answer with their codes.
    let (s, v, _) = read(&api, &r.code.to_string(), "yws_not-a-credential", "").await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNAUTHORIZED, "credential_invalid"), "{v}");
    let (s, v) = api.call("GET", &format!("/api/v1/share/{}/records", r.code), None, None).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNAUTHORIZED, "credential_invalid"), "{v}");
    let (s, v, _) = read(&api, &r.code.to_string(), &credential, "?limit=0").await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{v}");
    let (s, v, _) = read(&api, &r.code.to_string(), &credential, "?since=yesterday").await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"), "{v}");
    let other = unconditional_resource(&api).await;
    let (s, v, _) = read(&api, &other.code.to_string(), &credential, "").await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "grant_scope"), "{v}");
    // Granted unmasked, the personal field is in clear.
    let (_, _, clear) = granted_register(&api, &[personal.as_str()], &[personal.as_str()]).await;
    let (s, page, _) = read(&api, &r.code.to_string(), &clear, "?limit=5").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let values: Vec<&str> = page["records"].as_array().unwrap().iter().filter_map(|x| x[&personal].as_str()).collect();
    assert!(!values.is_empty() && values.iter().all(|v| !v.contains('*')), "{page}");
}

async fn requests_refuse_bad_input_and_answers_only_narrow(backend: Backend) {
    let api = Api::on(backend);
    let r = register_resource(&api).await;
    let consumer = api.login(consumer_for(&r)).await;
    let owner = api.login(&format!("{}-leader", r.owner)).await;
    let handler = api.login(&format!("{}-handler", r.owner)).await;
    let first = r.fields[0].name.clone();
    let cases: Vec<(Value, &str)> = vec![
        (request(&r, &[], &[]), "fields_required"),
        (request(&r, &["no_such_field"], &[]), "unknown_field"),
        (request(&r, &[first.as_str()], &[first.as_str()]), "unmasked_not_personal"),
        (
            json!({"system": "x", "resource": "NO-SUCH-1", "fields": ["a"], "purpose": "p", "legal_basis": "l",
                "from": "2026-11-16", "to": "2026-12-31"}),
            "not_found",
        ),
        (
            {
                let mut v = request(&r, &[first.as_str()], &[]);
                v["to"] = json!("2026-01-01");
                v
            },
            "period_invalid",
        ),
        (
            {
                let mut v = request(&r, &[first.as_str()], &[]);
                v["purpose"] = json!("");
                v
            },
            "invalid_field",
        ),
    ];
    for (body, code) in cases {
        let (s, v) = api.call("POST", "/api/v1/share/requests", Some(&consumer), Some(body.clone())).await;
        assert_eq!(code_of(&v), code, "{body}: {v}");
        assert!(s.is_client_error(), "{s}");
    }
    let (s, v) =
        api.call("POST", "/api/v1/share/requests", Some(&handler), Some(request(&r, &[first.as_str()], &[]))).await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "forbidden"), "a handler does not speak for its unit: {v}");
    let (s, v) =
        api.call("POST", "/api/v1/share/requests", Some(&consumer), Some(request(&r, &[first.as_str()], &[]))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["access"]["id"].as_str().unwrap().to_owned();
    let act = |who: String, body: Value| {
        let api = &api;
        let id = id.clone();
        async move { api.call("POST", &format!("/api/v1/share/requests/{id}/actions"), Some(&who), Some(body)).await }
    };
    let other = r.fields.iter().find(|f| f.name != first).unwrap().name.clone();
    let (s, v) = act(owner.clone(), json!({"action": "approve", "opinion": "同意", "fields": [other]})).await;
    assert_eq!((s, code_of(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "not_narrowing"), "{v}");
    let (s, v) = act(consumer.clone(), json!({"action": "approve", "opinion": "同意"})).await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");
    let (s, v) = act(owner.clone(), json!({"action": "approve", "opinion": "同意", "credential": "mine"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a client never sets the credential: {v}");
    let (s, v) = act(owner.clone(), json!({"action": "refuse", "reason": "用途超出职责范围"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["access"]["status"], "refused");
    assert!(v.get("credential").is_none());
    let (s, v) = act(owner.clone(), json!({"action": "approve", "opinion": "同意"})).await;
    assert_eq!((s, code_of(&v)), (StatusCode::CONFLICT, "case_closed"), "{v}");
    // An unconditional resource is granted at once, with its credential.
    let u = unconditional_resource(&api).await;
    let consumer = api.login(consumer_for(&u)).await;
    let f = u.fields[0].name.clone();
    let (s, v) =
        api.call("POST", "/api/v1/share/requests", Some(&consumer), Some(request(&u, &[f.as_str()], &[]))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["access"]["status"], "granted");
    assert!(v["credential"].as_str().unwrap().starts_with("yws_"));
    // Another unit (not owner, consumer or 数据局) does not see the request.
    let stranger = api.login("wjw-leader").await;
    let (s, _) = api.call("GET", &format!("/api/v1/share/requests/{id}"), Some(&stranger), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn revoked_expired_and_too_frequent_reads_answer_their_codes(backend: Backend) {
    let mut config = AppConfig::default();
    config.login.idle_minutes = 24 * 60;
    config.demo = true;
    config.limits.sharing.rate_per_minute = 3;
    let api = Api::with_config(backend, config);
    api.register(3).await;
    let (r, grant, credential) = granted_register(&api, &[], &[]).await;
    let code = r.code.to_string();
    for _ in 0..3 {
        assert_eq!(read(&api, &code, &credential, "?limit=1").await.0, StatusCode::OK);
    }
    let (s, v, _) = read(&api, &code, &credential, "?limit=1").await;
    assert_eq!((s, code_of(&v)), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"), "{v}");
    // The next minute (of the injected clock) reads again.
    api.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(read(&api, &code, &credential, "?limit=1").await.0, StatusCode::OK);
    // Revoked by the consumer itself: the credential reads no more.
    let consumer = api.login(consumer_for(&r)).await;
    let (s, v) = api
        .call(
            "POST",
            &format!("/api/v1/share/requests/{grant}/revoke"),
            Some(&consumer),
            Some(json!({"reason": "项目结束"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v, _) = read(&api, &code, &credential, "?limit=1").await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "grant_revoked"), "{v}");
    // Past its period (2026-12-31, China time) a grant reads no more, before and
    // after the scheduler records it.
    let (_, _, second) = granted_register(&api, &[], &[]).await;
    api.clock.set(chrono::DateTime::parse_from_rfc3339("2026-12-31T16:00:00Z").unwrap().to_utc());
    api.blocking(|app| app.checkpoint(&app.config().keyring).unwrap()).await;
    let (s, v, _) = read(&api, &code, &second, "?limit=1").await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "grant_expired"), "{v}");
    api.blocking(|app| app.tick().unwrap()).await;
    let (s, v, _) = read(&api, &code, &second, "?limit=1").await;
    assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "grant_expired"), "{v}");
}

async fn every_read_is_in_the_signed_record_and_an_altered_entry_is_caught(backend: Backend) {
    let api = Api::on(backend);
    api.register(4).await;
    let (r, grant, credential) = granted_register(&api, &[], &[]).await;
    let code = r.code.to_string();
    let mut log = None;
    for _ in 0..3 {
        let (s, _, l) = read(&api, &code, &credential, "?limit=2").await;
        assert_eq!(s, StatusCode::OK);
        log = l;
    }
    let log = log.unwrap();
    let keys = api.app.config().keyring.public_keys();
    let k = keys.clone();
    let report = api
        .blocking(move |app| {
            app.checkpoint(&app.config().keyring).unwrap().expect("the reads are sealed");
            app.verify_record(&k, &[], &Default::default()).unwrap()
        })
        .await;
    assert!(report.is_intact(), "{:?} {:?}", report.chains, report.problems);
    // The log holds every read: rows and the body's digest.
    let events = api
        .blocking({
            let log = log.clone();
            move |app| app.store().events(&yiwang_core::id::CaseId::parse(&log).unwrap()).unwrap()
        })
        .await;
    let reads: Vec<Value> =
        events.iter().filter(|e| e.name == "read").map(|e| serde_json::from_str(&e.body).unwrap()).collect();
    assert_eq!(reads.len(), 3, "{events:?}");
    assert!(reads.iter().all(|r| r["rows"] == 2 && r["digest"].as_str().unwrap().starts_with("sha256:")));
    let usage_owner = api.login(&format!("{}-leader", r.owner)).await;
    let (s, usage) = api.call("GET", "/api/v1/share/usage", Some(&usage_owner), None).await;
    assert_eq!(s, StatusCode::OK, "{usage}");
    let line = usage.as_array().unwrap().iter().find(|u| u["grant"] == grant).expect("the grant's line").clone();
    assert_eq!((line["reads"].as_u64(), line["rows"].as_u64()), (Some(3), Some(6)), "{usage}");
    // A hostile DBA shrinks what one read returned: the record says so.
    api.tamper(&format!(
        "UPDATE event SET body = replace(body, '\"rows\":2', '\"rows\":1') WHERE case_id = '{log}' AND seq = 3"
    ))
    .await;
    let report = api.blocking(move |app| app.verify_record(&keys, &[], &Default::default()).unwrap()).await;
    assert!(!report.is_intact(), "an altered read is caught");
}

async fn reads_stop_when_no_checkpoint_could_be_signed_for_the_period(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let keys = std::sync::Arc::new(yiwang_app::keyring::Keyring::open_or_create(dir.path()).unwrap());
    let mut config = AppConfig::default();
    config.login.idle_minutes = 24 * 60;
    config.demo = true;
    config.keyring = keys.clone();
    config.limits.sharing.unsigned_reads_max_minutes = 10;
    let api = Api::with_config(backend, config);
    api.register(2).await;
    let (r, _, credential) = granted_register(&api, &[], &[]).await;
    let code = r.code.to_string();
    assert_eq!(read(&api, &code, &credential, "?limit=1").await.0, StatusCode::OK);
    // The signing key becomes unreadable: checkpoints fail from now on.
    let key_file = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "key"))
        .unwrap();
    let good = std::fs::read_to_string(&key_file).unwrap();
    std::fs::write(&key_file, "not a key").unwrap();
    api.clock.advance(chrono::Duration::minutes(5));
    assert!(api.blocking(|app| app.checkpoint(&app.config().keyring)).await.is_err());
    // Within the period, reads go on (they are logged, sealed later).
    assert_eq!(read(&api, &code, &credential, "?limit=1").await.0, StatusCode::OK);
    api.clock.advance(chrono::Duration::minutes(6));
    assert!(api.blocking(|app| app.checkpoint(&app.config().keyring)).await.is_err());
    let (s, v, _) = read(&api, &code, &credential, "?limit=1").await;
    assert_eq!((s, code_of(&v)), (StatusCode::SERVICE_UNAVAILABLE, "signing_unavailable"), "{v}");
    // The key back, a checkpoint signed: reads resume.
    std::fs::write(&key_file, good).unwrap();
    assert!(api.blocking(|app| app.checkpoint(&app.config().keyring)).await.unwrap().is_some());
    assert_eq!(read(&api, &code, &credential, "?limit=1").await.0, StatusCode::OK);
}

async fn a_citizen_sees_which_departments_read_their_data(backend: Backend) {
    let api = Api::on(backend);
    api.register(3).await;
    // 云溪区好味小厨餐饮店's legal representative, 陈家乐 (data/demo/enterprises.json).
    let phone = "13906001234";
    let token = api.applicant_login(phone).await;
    let (s, v) = api.call("GET", "/api/v1/applicant/share-reads", Some(&token), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!([]), "nobody read it yet");
    let (r, _, credential) = granted_register(&api, &[], &[]).await;
    let (s, page, _) = read(&api, &r.code.to_string(), &credential, "?limit=10").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let (s, v) = api.call("GET", "/api/v1/applicant/share-reads", Some(&token), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v}");
    // The department by its short name (units.json's `short`).
    let consumer_unit = if r.owner.as_str() == "rsj" { "民政局" } else { "人社局" };
    assert_eq!(rows[0]["department"], consumer_unit, "{v}");
    assert_eq!(rows[0]["system"], "就业补贴审核系统");
    assert_eq!(rows[0]["resource"], r.name.as_str());
    // Another citizen sees none of it; without a login, nothing.
    let other = api.applicant_login("13912345670").await;
    let (_, v) = api.call("GET", "/api/v1/applicant/share-reads", Some(&other), None).await;
    assert_eq!(v, json!([]));
    let (s, _) = api.call("GET", "/api/v1/applicant/share-reads", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

on_both_stores!(
    a_citizen_sees_which_departments_read_their_data,
    a_granted_credential_reads_only_its_fields_with_personal_ones_masked,
    requests_refuse_bad_input_and_answers_only_narrow,
    revoked_expired_and_too_frequent_reads_answer_their_codes,
    every_read_is_in_the_signed_record_and_an_altered_entry_is_caught,
    reads_stop_when_no_checkpoint_could_be_signed_for_the_period,
);

/// The console, in-process: the consumer asks through the form, the owner narrows
/// it, the credential is on that page once, usage shows the reads; the citizen's
/// `/my/reads` shows the department.
#[tokio::test]
async fn the_console_requests_answers_and_shows_usage_and_the_portal_shows_a_citizen_their_reads() {
    use crate::ui::{console_login, get, post_form, send};
    let api = Api::new();
    api.register(3).await;
    let r = register_resource(&api).await;
    let code = r.code.to_string();
    let (consumer, ctoken) = console_login(&api, consumer_for(&r)).await;
    let (_, _, list) = send(&api, get("/console/share?role=consumer", Some(&consumer))).await;
    assert!(list.contains("数据共享") && list.contains("暂无共享申请"), "{list}");
    let (s, _, form) = send(&api, get(&format!("/console/share/new?resource={code}"), Some(&consumer))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("申请字段") && form.contains("个人信息"), "{form}");
    let mut body = format!(
        "_csrf={ctoken}&resource={code}&system=%E5%B0%B1%E4%B8%9A%E8%A1%A5%E8%B4%B4%E7%B3%BB%E7%BB%9F\
         &purpose=%E6%A0%B8%E9%AA%8C&legal_basis=%E5%B0%B1%E4%B8%9A%E4%BF%83%E8%BF%9B%E6%B3%95&from=2026-11-16&to=2026-12-31"
    );
    for f in &r.fields {
        body += &format!("&fields={}", f.name);
    }
    // A missing date is said in Chinese, and what was typed is kept.
    let bad = body.replace("&to=2026-12-31", "");
    let (s, _, page) = send(&api, post_form("/console/share/new", Some(&consumer), &bad)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请填写使用期限") && page.contains("value=\"2026-11-16\""), "{page}");
    let (s, _, page) = send(&api, post_form("/console/share/new", Some(&consumer), &body)).await;
    assert_eq!(s, StatusCode::CREATED, "{page}");
    assert!(page.contains("待审核"), "{page}");
    let id = page.split("id=\"case-id\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    // The owner answers with one field only.
    let (owner, otoken) = console_login(&api, &format!("{}-leader", r.owner)).await;
    let (_, _, queue) = send(&api, get("/console/share?role=owner", Some(&owner))).await;
    assert!(queue.contains(&id), "{queue}");
    let (_, _, one) = send(&api, get(&format!("/console/share/{id}"), Some(&owner))).await;
    assert!(one.contains("同意共享") && one.contains("不予共享"), "{one}");
    let first = &r.fields[0].name;
    let answer = format!("_csrf={otoken}&action=approve&opinion=%E5%90%8C%E6%84%8F&fields={first}");
    let (s, _, _) = send(&api, post_form(&format!("/console/share/{id}/act"), Some(&owner), &answer)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, answered) = send(&api, get(&format!("/console/share/{id}"), Some(&owner))).await;
    assert!(answered.contains("已授权") && !answered.contains("credential-value"), "{answered}");
    assert!(!answered.contains("签发访问凭证"), "the owner issues none: {answered}");
    // The consumer issues its system's credential, shown once.
    let (_, _, mine) = send(&api, get(&format!("/console/share/{id}"), Some(&consumer))).await;
    assert!(mine.contains("签发访问凭证"), "{mine}");
    let issue = format!("_csrf={ctoken}&action=issue_credential");
    let (s, _, issued) = send(&api, post_form(&format!("/console/share/{id}/act"), Some(&consumer), &issue)).await;
    assert_eq!(s, StatusCode::OK, "{issued}");
    assert!(issued.contains("仅显示这一次"), "{issued}");
    let credential = issued.split("id=\"credential-value\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(credential.starts_with("yws_"));
    let (_, _, later) = send(&api, get(&format!("/console/share/{id}"), Some(&consumer))).await;
    assert!(!later.contains(&credential) && later.contains("已授权"), "shown once only");
    let (s, page, _) = read(&api, &code, &credential, "?limit=2").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["records"][0].as_object().unwrap().len(), 1, "narrowed to one field: {page}");
    let (_, _, usage) = send(&api, get("/console/share/usage", Some(&owner))).await;
    assert!(usage.contains(&id) && usage.contains("就业补贴系统"), "{usage}");
    // A handler of another unit may not use these pages.
    let (handler, _) = console_login(&api, "wjw-handler").await;
    let (s, _, _) = send(&api, get("/console/share", Some(&handler))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The portal: the citizen whose data was read (the first enterprise's legal
    // representative) sees the department, if the field read holds their data.
    let token = api.applicant_login("13906001234").await;
    let cookie = format!("yw_applicant={token}");
    let (s, _, mine) = send(&api, get("/my/reads", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert!(mine.contains("我的数据使用记录"), "{mine}");
}

/// Under 国密 (an SM2 keyring, as `--crypto gm` makes it) a read's body is hashed
/// with SM3, and a pending request is in the owner's 我的待办, linked to its page.
#[tokio::test]
async fn under_gm_a_read_is_hashed_with_sm3_and_a_pending_request_is_the_owners_todo() {
    use crate::ui::{console_login, get, send};
    let dir = tempfile::tempdir().unwrap();
    let keys = yiwang_app::keyring::Keyring::open_or_create_for(dir.path(), yiwang_app::keyring::SignAlg::Sm2).unwrap();
    let mut config = AppConfig::default();
    config.login.idle_minutes = 24 * 60;
    config.demo = true;
    config.keyring = std::sync::Arc::new(keys);
    let api = Api::with_config(Backend::Sqlite, config);
    api.register(2).await;
    let (r, _, credential) = granted_register(&api, &[], &[]).await;
    let req = Request::builder()
        .uri(format!("/api/v1/share/{}/records?limit=1", r.code))
        .header("authorization", format!("Bearer {credential}"))
        .body(Body::empty())
        .unwrap();
    let resp = yiwang_web::router(api.app.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let digest = resp.headers()["x-body-digest"].to_str().unwrap().to_owned();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let want = yiwang_core::chain::HashAlg::Sm3.hex(&[&body[..]]);
    assert_eq!(digest, format!("sm3:{want}"), "the digest is of the body as sent");
    // A conditional request waits in the owner's 我的待办.
    let consumer = api.login(consumer_for(&r)).await;
    let (s, v) = api.call("POST", "/api/v1/share/requests", Some(&consumer), Some(request(&r, &["code"], &[]))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["access"]["id"].as_str().unwrap().to_owned();
    let (owner, _) = console_login(&api, &format!("{}-leader", r.owner)).await;
    let (_, _, todo) = send(&api, get("/console/todo", Some(&owner))).await;
    assert!(todo.contains(&format!("/console/share/{id}")), "{todo}");
}

/// The demo (`serve --demo`): 人社局 holds a narrowed grant of the register, and a
/// request of 卫健委 waits in the centre's queue, whose 数据专员 can answer it.
#[tokio::test]
async fn the_demo_has_a_grant_and_a_request_waiting_for_its_owner() {
    use chrono::TimeZone;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(yiwang_store::SqliteStore::open(&dir.path().join("yiwang.sqlite"), yiwang_core::kinds()).unwrap());
    let clock = Arc::new(yiwang_app::ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap()));
    let config = AppConfig { demo: true, ..Default::default() };
    let app = Arc::new(yiwang_app::App::new(store, clock, config).unwrap());
    let views = tokio::task::spawn_blocking(move || {
        app.seed_demo().unwrap();
        let as_ = |u: &str| {
            let s = app.store().staff(&Username::parse(u).unwrap()).unwrap().unwrap();
            Actor::Staff { username: s.username, unit: s.unit, unit_kind: UnitKind::Department, roles: s.roles }
        };
        let rsj = app.access_requests(&as_("rsj-data"), Some("consumer"), Some("granted")).unwrap();
        let centre = app.access_requests(&as_("centre-data"), Some("owner"), Some("pending")).unwrap();
        (rsj, centre)
    })
    .await
    .unwrap();
    assert_eq!(views.0.len(), 1);
    assert!(!views.0[0].access.fields.contains(&"legal_representative".to_owned()), "narrowed");
    assert_eq!(views.1.len(), 1);
    assert_eq!(views.1[0].actions, ["approve", "refuse"]);
}
