//! Accounts: lock-out after failed logins (from one address, never from everywhere),
//! throttling across addresses, an administrator's unlock, idle sessions, and the
//! security audit log that records it all.

use crate::harness::{Api, Backend, code_of};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;

/// A login from `addr`, as the server loop hands it over (`ConnectInfo`).
async fn login_from(api: &Api, user: &str, password: &str, addr: &str) -> (StatusCode, Value) {
    post_from(api, "/api/v1/login", json!({"username": user, "password": password}), addr).await
}

async fn post_from(api: &Api, path: &str, body: Value, addr: &str) -> (StatusCode, Value) {
    let mut req =
        Request::post(path).header("content-type", "application/json").body(Body::from(body.to_string())).unwrap();
    let addr: SocketAddr = format!("{addr}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    api.raw(req).await
}

async fn events(api: &Api, auditor: &str, query: &str) -> Vec<Value> {
    let (s, v) = api.call("GET", &format!("/api/v1/admin/security-events?{query}"), Some(auditor), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

async fn five_failures_lock_an_account_from_that_address_only(backend: Backend) {
    let api = Api::on(backend);
    let good = yiwang_app::DEMO_PASSWORD;
    for i in 0..5 {
        let (s, e) = login_from(&api, "operator1", "wrong-password", "10.0.0.66").await;
        assert_eq!((s, code_of(&e)), (StatusCode::UNAUTHORIZED, "bad_credentials"), "attempt {i}");
    }
    // Locked from that address, even with the right password ...
    let (s, e) = login_from(&api, "operator1", good, "10.0.0.66").await;
    assert_eq!((s, code_of(&e)), (StatusCode::TOO_MANY_REQUESTS, "locked_out"), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("分钟"), "{e}");
    // ... but the operator at their own desk logs in.
    let (s, e) = login_from(&api, "operator1", good, "10.0.0.5").await;
    assert_eq!(s, StatusCode::OK, "{e}");

    // The lock ends by itself after 30 minutes.
    api.step(chrono::Duration::minutes(31));
    let (s, e) = login_from(&api, "operator1", good, "10.0.0.66").await;
    assert_eq!(s, StatusCode::OK, "{e}");

    // An administrator can unlock at once; the log has it all, with the addresses.
    for _ in 0..5 {
        login_from(&api, "operator1", "wrong-password", "10.0.0.66").await;
    }
    assert_eq!(login_from(&api, "operator1", good, "10.0.0.66").await.0, StatusCode::TOO_MANY_REQUESTS);
    let secadmin = api.login("secadmin").await;
    let (s, e) = api.call("POST", "/api/v1/admin/staff/operator1/unlock", Some(&secadmin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    assert_eq!(login_from(&api, "operator1", good, "10.0.0.66").await.0, StatusCode::OK);
    let auditor = api.login("auditor").await;
    let log = events(&api, &auditor, "username=operator1&limit=50").await;
    let kinds: Vec<&str> = log.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for k in ["login_failed", "locked_out", "login_refused", "unlocked", "login"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert!(log.iter().any(|e| e["kind"] == "login_failed" && e["address"] == "10.0.0.66"), "{log:?}");
    // Only the auditor reads the log, only the security administrator unlocks.
    let operator = api.login("operator1").await;
    let (s, e) = api.call("GET", "/api/v1/admin/security-events", Some(&operator), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, _) = api.call("POST", "/api/v1/admin/staff/operator1/unlock", Some(&operator), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Each refusal is in the log, with who asked for what.
    let refused = events(&api, &auditor, "kind=refused").await;
    assert!(
        refused.iter().any(|e| e["username"] == "operator1"
            && e["detail"].as_str().unwrap().contains("POST /api/v1/admin/staff/operator1/unlock")),
        "{refused:?}"
    );
}

/// Failures from many addresses cannot lock the account anywhere, but they slow
/// every further attempt on it.
async fn failures_from_many_addresses_throttle_but_never_lock(backend: Backend) {
    let api = Api::on(backend);
    for i in 0..10 {
        let (s, _) = login_from(&api, "dispatcher1", "wrong-password", &format!("10.1.0.{i}")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, e) = login_from(&api, "dispatcher1", yiwang_app::DEMO_PASSWORD, "10.0.0.7").await;
    assert_eq!((s, code_of(&e)), (StatusCode::TOO_MANY_REQUESTS, "throttled"), "{e}");
    api.step(chrono::Duration::seconds(31));
    let (s, e) = login_from(&api, "dispatcher1", yiwang_app::DEMO_PASSWORD, "10.0.0.7").await;
    assert_eq!(s, StatusCode::OK, "after the pause the right password gets in: {e}");
}

/// A session unused for 30 minutes ends; one in use lasts.
async fn an_idle_session_ends(backend: Backend) {
    let api = Api::with_config(backend, yiwang_app::AppConfig { demo: true, ..Default::default() });
    let t = api.login("operator1").await;
    for _ in 0..4 {
        api.step(chrono::Duration::minutes(20));
        let (s, _) = api.call("GET", "/api/v1/me", Some(&t), None).await;
        assert_eq!(s, StatusCode::OK, "used every 20 minutes, it lasts");
    }
    api.step(chrono::Duration::minutes(31));
    let (s, e) = api.call("GET", "/api/v1/me", Some(&t), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
}

/// Changing one's password takes the old one and a strong new one, and ends every
/// other session of the account; a deactivated account's sessions end at once.
async fn a_password_change_ends_other_sessions_and_deactivation_ends_all(backend: Backend) {
    let api = Api::on(backend);
    let (here, elsewhere) = (api.login("operator1").await, api.login("operator1").await);
    let change = |old: &str, new: &str| json!({"old_password": old, "new_password": new});
    let good = yiwang_app::DEMO_PASSWORD;
    let (s, e) = api.call("POST", "/api/v1/password", Some(&here), Some(change("wrong", "Lu7#deng-buliang"))).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("old_password")), "{e}");
    for weak in ["short1!", "alllowercase1", "P@ssw0rd", "Operator1-x"] {
        let (s, e) = api.call("POST", "/api/v1/password", Some(&here), Some(change(good, weak))).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("password")),
            "{weak}: {e}"
        );
    }
    let (s, v) = api.call("POST", "/api/v1/password", Some(&here), Some(change(good, "Lu7#deng-buliang"))).await;
    assert_eq!((s, v["sessions_ended"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    assert_eq!(api.call("GET", "/api/v1/me", Some(&here), None).await.0, StatusCode::OK);
    assert_eq!(api.call("GET", "/api/v1/me", Some(&elsewhere), None).await.0, StatusCode::UNAUTHORIZED);
    let (s, _) = login_from(&api, "operator1", "Lu7#deng-buliang", "10.0.0.5").await;
    assert_eq!(s, StatusCode::OK);

    let ended = api.blocking(|app| app.deactivate_staff("operator1")).await.unwrap();
    assert_eq!(ended, 2);
    assert_eq!(api.call("GET", "/api/v1/me", Some(&here), None).await.0, StatusCode::UNAUTHORIZED);
    let (s, e) = login_from(&api, "operator1", "Lu7#deng-buliang", "10.0.0.5").await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNAUTHORIZED, "bad_credentials"));
    let auditor = api.login("auditor").await;
    let kinds: Vec<String> = events(&api, &auditor, "username=operator1&kind=password_changed,staff_deactivated")
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["staff_deactivated", "password_changed"]);
}

/// Failed tracking-code lookups are limited per address (10 an hour), and an
/// anonymous appeal, followed by its code alone, gets a longer code.
async fn failed_lookups_are_limited_per_address(backend: Backend) {
    let api = Api::on(backend);
    let (_, code) = api.citizen_appeal().await;
    assert_eq!(code.len(), 10);
    let (s, v) = api
        .call(
            "POST",
            "/api/v1/appeals",
            None,
            Some(json!({"channel": "web", "appeal_type": "report", "text": "匿名举报"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let anonymous = v["tracking_code"].as_str().unwrap().to_owned();
    assert_eq!(anonymous.len(), 13, "{anonymous}");
    let (s, _) = post_from(&api, "/api/v1/track", json!({"tracking_code": anonymous}), "10.0.0.5").await;
    assert_eq!(s, StatusCode::OK);

    for _ in 0..10 {
        let (s, _) =
            post_from(&api, "/api/v1/track", json!({"tracking_code": code, "phone": "13900000000"}), "10.9.9.9").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let right = json!({"tracking_code": code, "phone": crate::harness::PHONE});
    let (s, e) = post_from(&api, "/api/v1/track", right.clone(), "10.9.9.9").await;
    assert_eq!((s, code_of(&e)), (StatusCode::TOO_MANY_REQUESTS, "throttled"), "{e}");
    assert_eq!(post_from(&api, "/api/v1/track", right.clone(), "10.0.0.5").await.0, StatusCode::OK, "another address");
    api.step(chrono::Duration::minutes(61));
    assert_eq!(post_from(&api, "/api/v1/track", right, "10.9.9.9").await.0, StatusCode::OK, "an hour later");
}

/// A password an import set must be changed at first login (outside the demo); with
/// an expiry set, an old password must be changed too. Until then the session may
/// only change it.
async fn an_imported_or_expired_password_must_be_changed_first(backend: Backend) {
    let mut config = yiwang_app::AppConfig { demo: false, ..Default::default() };
    config.login.idle_minutes = 24 * 60;
    config.login.password_max_age_days = Some(90);
    let api = Api::with_config(backend, config);
    let (s, v) = login_from(&api, "operator1", yiwang_app::DEMO_PASSWORD, "10.0.0.5").await;
    assert_eq!((s, v["must_change_password"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    let t = v["token"].as_str().unwrap().to_owned();
    let (s, e) = api.call("GET", "/api/v1/me", Some(&t), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "password_change_required"), "{e}");
    let change = json!({"old_password": yiwang_app::DEMO_PASSWORD, "new_password": "Lu7#deng-buliang"});
    let (s, v) = api.call("POST", "/api/v1/password", Some(&t), Some(change)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(api.call("GET", "/api/v1/me", Some(&t), None).await.0, StatusCode::OK);
    let (_, v) = login_from(&api, "operator1", "Lu7#deng-buliang", "10.0.0.5").await;
    assert_eq!(v["must_change_password"], false);

    // Ninety days on, the password has expired.
    api.step(chrono::Duration::days(91));
    let (s, v) = login_from(&api, "operator1", "Lu7#deng-buliang", "10.0.0.5").await;
    assert_eq!((s, v["must_change_password"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
}

/// The three administrators must log in with a second factor (TOTP): until they set
/// it up, they may do nothing else; then every login needs the authenticator's code
/// or a recovery code, each good once. Other roles may do without.
async fn the_administrators_log_in_with_a_second_factor(backend: Backend) {
    let mut config = yiwang_app::AppConfig { demo: false, ..Default::default() };
    config.login.idle_minutes = 24 * 60;
    let api = Api::with_config(backend, config);
    let new_password = "Lu7#deng-buliang";
    let first_login = |user: &'static str| {
        let api = &api;
        async move {
            let (_, v) = login_from(api, user, yiwang_app::DEMO_PASSWORD, "10.0.0.5").await;
            let t = v["token"].as_str().unwrap().to_owned();
            let change = json!({"old_password": yiwang_app::DEMO_PASSWORD, "new_password": new_password});
            assert_eq!(api.call("POST", "/api/v1/password", Some(&t), Some(change)).await.0, StatusCode::OK);
            t
        }
    };
    let t = first_login("auditor").await;
    let (s, e) = api.call("GET", "/api/v1/me", Some(&t), None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "totp_enrollment_required"), "{e}");
    let (s, v) = api.call("POST", "/api/v1/totp", Some(&t), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let secret = v["secret"].as_str().unwrap().to_owned();
    assert!(v["uri"].as_str().unwrap().starts_with("otpauth://totp/yiwang:auditor?secret="), "{v}");
    let recovery: Vec<String> =
        v["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().into()).collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(api.call("GET", "/api/v1/me", Some(&t), None).await.0, StatusCode::OK);
    assert_eq!(api.call("POST", "/api/v1/totp", Some(&t), None).await.0, StatusCode::CONFLICT, "set up once");

    let with = |otp: Option<String>| {
        let api = &api;
        async move {
            let body = json!({"username": "auditor", "password": new_password, "otp": otp});
            post_from(api, "/api/v1/login", body, "10.0.0.5").await
        }
    };
    let (s, e) = with(None).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNAUTHORIZED, "otp_required"), "{e}");
    let now = api.app.now().timestamp();
    let code = format!("{:06}", yiwang_app::totp::code_at(&yiwang_app::totp::unbase32(&secret).unwrap(), now, 6));
    assert_eq!(with(Some(code.clone())).await.0, StatusCode::OK);
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let (s, e) = with(Some(wrong)).await;
    assert_eq!((s, code_of(&e)), (StatusCode::UNAUTHORIZED, "bad_credentials"));
    assert_eq!(with(Some(recovery[0].to_lowercase())).await.0, StatusCode::OK, "a recovery code, any case");
    assert_eq!(with(Some(recovery[0].clone())).await.0, StatusCode::UNAUTHORIZED, "used once only");

    // A handler needs no second factor.
    let t = first_login("cgw-handler").await;
    assert_eq!(api.call("GET", "/api/v1/me", Some(&t), None).await.0, StatusCode::OK);
}

on_both_stores!(
    the_security_log_is_kept_its_period_then_archived_and_still_verifies,
    the_administrators_log_in_with_a_second_factor,
    an_imported_or_expired_password_must_be_changed_first,
    failed_lookups_are_limited_per_address,
    a_password_change_ends_other_sessions_and_deactivation_ends_all,
    five_failures_lock_an_account_from_that_address_only,
    failures_from_many_addresses_throttle_but_never_lock,
    an_idle_session_ends,
);

/// 三员分立: the system administrator reads no case data, the security administrator
/// manages lock-outs and keys, the auditor reads the security log and nothing else;
/// the people who work on cases keep what their roles give.
#[tokio::test]
async fn the_three_administrators_are_separate() {
    let api = Api::new();
    let dispatcher = api.login("dispatcher1").await;
    let (id, _) = api.citizen_appeal().await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02", "unit": "cgw"})).await;
    let case = format!("/api/v1/appeals/{id}");
    let reveal = format!("{case}/reveal-phone");
    let endpoints: [(&str, &str); 5] = [
        ("GET", &case),
        ("POST", &reveal),
        ("GET", "/api/v1/admin/security-events"),
        ("POST", "/api/v1/admin/staff/operator1/unlock"),
        ("GET", "/api/v1/admin/api-keys"),
    ];
    // Expected status per user, in the order of `endpoints`.
    let matrix: [(&str, [u16; 5]); 6] = [
        ("admin", [404, 404, 403, 403, 403]),
        ("secadmin", [404, 404, 403, 204, 200]),
        ("auditor", [404, 404, 200, 403, 403]),
        ("dispatcher1", [200, 200, 403, 403, 403]),
        ("cgw-handler", [200, 200, 403, 403, 403]),
        ("leader1", [200, 200, 403, 403, 403]),
    ];
    for (user, want) in matrix {
        let t = api.login(user).await;
        let got: Vec<u16> = {
            let mut got = vec![];
            for (m, path) in endpoints {
                got.push(api.call(m, path, Some(&t), None).await.0.as_u16());
            }
            got
        };
        assert_eq!(got, want, "{user}: {endpoints:?}");
    }
}

/// Every use of an Open311 API key, and every refused key, is in the security log.
#[tokio::test]
async fn api_key_use_and_refusal_are_logged() {
    let api = Api::new();
    let key = api.blocking(|app| app.issue_api_key(&yiwang_core::org::Actor::System, "区政务App")).await.unwrap().key;
    let form = |k: &str| {
        format!(
            "api_key={k}&service_code=cxjs-11&lat=39.876892&long=116.225087&description=%E5%81%9C%E6%B0%B4&attribute[utility]=water"
        )
    };
    for (k, want) in [(key.as_str(), StatusCode::OK), ("yw311-not-a-key", StatusCode::FORBIDDEN)] {
        let mut req = Request::post("/open311/v2/requests.json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form(k)))
            .unwrap();
        req.extensions_mut().insert(ConnectInfo("10.2.0.9:5000".parse::<SocketAddr>().unwrap()));
        let (s, v) = api.raw(req).await;
        assert_eq!(s, want, "{v}");
    }
    let auditor = api.login("auditor").await;
    let log = events(&api, &auditor, "kind=api_key_used,api_key_refused,api_key_issued").await;
    let seen: Vec<(&str, &str)> =
        log.iter().map(|e| (e["kind"].as_str().unwrap(), e["address"].as_str().unwrap_or("-"))).collect();
    assert_eq!(seen, [("api_key_refused", "10.2.0.9"), ("api_key_used", "10.2.0.9"), ("api_key_issued", "-")]);
}

/// The auditor searches the security log in the console and exports it; nobody else
/// opens the page.
#[tokio::test]
async fn the_auditor_searches_and_exports_the_log_in_the_console() {
    use crate::ui::{console_login, get, send};
    let api = Api::new();
    login_from(&api, "operator1", "wrong-password", "10.3.0.1").await;
    let (auditor, _) = console_login(&api, "auditor").await;
    let (s, _, page) = send(&api, get("/console/audit?kind=login_failed&days=7", Some(&auditor))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("安全审计日志") && page.contains("登录失败") && page.contains("10.3.0.1"), "{page}");
    assert!(page.contains("operator1"), "{page}");
    let (s, headers, csv) = send(&api, get("/console/audit/export.csv?kind=login_failed", Some(&auditor))).await;
    assert_eq!((s, headers["content-type"].to_str().unwrap()), (StatusCode::OK, "text/csv; charset=utf-8"));
    assert!(csv.starts_with('\u{feff}') && csv.contains("10.3.0.1") && csv.contains("登录失败"), "{csv}");
    let (dispatcher, _) = console_login(&api, "dispatcher1").await;
    let (s, _, _) = send(&api, get("/console/audit", Some(&dispatcher))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// In the console, a staff member who must change their password is taken to the
/// form, and nowhere else, until they do.
#[tokio::test]
async fn the_console_asks_for_a_new_password_first() {
    use crate::ui::{get, post_form, send};
    use axum::http::header;
    let api = Api::with_config(Backend::Sqlite, yiwang_app::AppConfig { demo: false, ..Default::default() });
    let form = format!("username=operator1&password={}&next=%2Fconsole", yiwang_app::DEMO_PASSWORD);
    let (s, h, _) = send(&api, post_form("/console/login", None, &form)).await;
    assert_eq!((s, h[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console/password"));
    let cookie = h[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let (s, h, _) = send(&api, get("/console", Some(&cookie))).await;
    assert_eq!((s, h[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console/password"));
    let (s, _, page) = send(&api, get("/console/password", Some(&cookie))).await;
    assert!(s == StatusCode::OK && page.contains("修改密码"), "{page}");
    let csrf = page.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let forged = format!("_csrf=x&old={}&new=Lu7%23deng-buliang&again=Lu7%23deng-buliang", yiwang_app::DEMO_PASSWORD);
    assert_eq!(send(&api, post_form("/console/password", Some(&cookie), &forged)).await.0, StatusCode::FORBIDDEN);
    let mismatch = format!("_csrf={csrf}&old={}&new=Lu7%23deng-buliang&again=other", yiwang_app::DEMO_PASSWORD);
    let (s, _, page) = send(&api, post_form("/console/password", Some(&cookie), &mismatch)).await;
    assert!(s == StatusCode::UNPROCESSABLE_ENTITY && page.contains("不一致"), "{page}");
    let ok = format!("_csrf={csrf}&old={}&new=Lu7%23deng-buliang&again=Lu7%23deng-buliang", yiwang_app::DEMO_PASSWORD);
    let (s, h, _) = send(&api, post_form("/console/password", Some(&cookie), &ok)).await;
    assert_eq!((s, h[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console"));
    let (s, _, _) = send(&api, get("/console", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
}

/// In the console, an administrator without a second factor is taken to set one up,
/// and then logs in with the authenticator's code.
#[tokio::test]
async fn the_console_sets_up_and_asks_for_the_second_factor() {
    use crate::ui::{get, post_form, send};
    use axum::http::header;
    let api = Api::with_config(Backend::Sqlite, yiwang_app::AppConfig { demo: true, ..Default::default() });
    // In the demo the second factor is not required, but anyone may set it up.
    let api_token = api.login("secadmin").await;
    let (s, v) = api.call("POST", "/api/v1/totp", Some(&api_token), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let secret = v["secret"].as_str().unwrap().to_owned();
    let form =
        |otp: &str| format!("username=secadmin&password={}&otp={otp}&next=%2Fconsole", yiwang_app::DEMO_PASSWORD);
    let (s, _, page) = send(&api, post_form("/console/login", None, &form(""))).await;
    assert!(s == StatusCode::UNAUTHORIZED && page.contains("动态口令"), "{page}");
    let now = api.app.now().timestamp();
    let code = format!("{:06}", yiwang_app::totp::code_at(&yiwang_app::totp::unbase32(&secret).unwrap(), now, 6));
    let (s, h, _) = send(&api, post_form("/console/login", None, &form(&code))).await;
    assert_eq!((s, h[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console"));

    // Outside the demo, an administrator without one is sent to set it up.
    let api = Api::with_config(Backend::Sqlite, yiwang_app::AppConfig { demo: false, ..Default::default() });
    let t = api.login("admin").await;
    let change = json!({"old_password": yiwang_app::DEMO_PASSWORD, "new_password": "Lu7#deng-buliang"});
    assert_eq!(api.call("POST", "/api/v1/password", Some(&t), Some(change)).await.0, StatusCode::OK);
    let login = "username=admin&password=Lu7%23deng-buliang&next=%2Fconsole";
    let (_, h, _) = send(&api, post_form("/console/login", None, login)).await;
    let cookie = h[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let (s, h, _) = send(&api, get("/console", Some(&cookie))).await;
    assert_eq!((s, h[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console/totp"));
    let (_, _, page) = send(&api, get("/console/totp", Some(&cookie))).await;
    let csrf = page.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let (s, _, page) = send(&api, post_form("/console/totp", Some(&cookie), &format!("_csrf={csrf}"))).await;
    assert!(s == StatusCode::OK && page.contains("totp-secret") && page.contains("recovery-codes"), "{page}");
}

/// The security administrator creates, changes and deactivates accounts through the
/// API; the system administrator cannot.
#[tokio::test]
async fn the_security_administrator_manages_accounts() {
    let api = Api::new();
    let secadmin = api.login("secadmin").await;
    let admin = api.login("admin").await;
    let save = json!({"action": "save", "username": "op9", "name": "新话务员", "unit": "centre",
                      "roles": ["operator"], "password": "Lu7#deng-buliang"});
    let (s, e) = api.call("POST", "/api/v1/admin/staff", Some(&admin), Some(save.clone())).await;
    assert_eq!((s, code_of(&e)), (StatusCode::FORBIDDEN, "forbidden"));
    let weak = json!({"action": "save", "username": "op9", "name": "新话务员", "unit": "centre",
                      "roles": ["operator"], "password": "password"});
    let (s, e) = api.call("POST", "/api/v1/admin/staff", Some(&secadmin), Some(weak)).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")), "{e}");
    let (s, e) = api.call("POST", "/api/v1/admin/staff", Some(&secadmin), Some(save)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (s, _) = login_from(&api, "op9", "Lu7#deng-buliang", "10.0.0.5").await;
    assert_eq!(s, StatusCode::OK);
    let off = json!({"action": "deactivate", "username": "op9"});
    assert_eq!(api.call("POST", "/api/v1/admin/staff", Some(&secadmin), Some(off)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(login_from(&api, "op9", "Lu7#deng-buliang", "10.0.0.5").await.0, StatusCode::UNAUTHORIZED);
}

/// The security log stays in the database for its period (180 days at least), then
/// `archive_security_log` moves whole checkpoints' events to a file; the record still
/// verifies with the file, says what it could not re-check without it, names an
/// edited file, and names events removed before the period.
async fn the_security_log_is_kept_its_period_then_archived_and_still_verifies(backend: Backend) {
    use yiwang_app::auth::AuditPolicy;
    let api = Api::on(backend);
    let dir = tempfile::tempdir().unwrap();
    let keys = yiwang_app::keyring::Keyring::open_or_create(&dir.path().join("keys")).unwrap();
    assert_eq!(login_from(&api, "operator1", "wrong-password", "10.0.0.9").await.0, StatusCode::UNAUTHORIZED);
    let first = {
        let keys = keys.clone();
        api.blocking(move |app| app.checkpoint(&keys).unwrap().unwrap()).await
    };
    api.step(chrono::Duration::days(200));
    api.login("operator1").await;
    let auditor = api.login("auditor").await;
    {
        let keys = keys.clone();
        api.blocking(move |app| app.checkpoint(&keys).unwrap().unwrap()).await;
    }
    assert!(events(&api, &auditor, "kind=login_failed").await.iter().any(|e| e["address"] == "10.0.0.9"));

    // A period under the law's six months is refused, in the file and by the app.
    let short = "[audit]\nkeep_days = 90\n";
    assert!(AuditPolicy::parse_toml(short).unwrap_err().contains("180"));
    assert_eq!(AuditPolicy::parse_toml("[audit]\nkeep_days = 365\n").unwrap().keep_days, 365);
    assert!(yiwang_app::auth::LoginPolicy::parse_toml("[login]\nmax_failures = 3\n[audit]\nkeep_days = 200\n").is_ok());

    // Archived at day 200: the first checkpoint's events go to the file.
    let file = dir.path().join("security-archive.jsonl");
    let f = file.clone();
    let done = api.blocking(move |app| app.archive_security_log(&AuditPolicy::default(), &f).unwrap()).await;
    assert_eq!(done.checkpoints, 1, "only what is older than 180 days");
    assert!(done.events >= 1);
    assert!(events(&api, &auditor, "kind=login_failed").await.is_empty(), "moved out of the database");
    let moved = events(&api, &auditor, "kind=security_log_archived").await;
    assert!(moved[0]["detail"].as_str().unwrap().contains("归档"), "{moved:?}");
    let f = file.clone();
    assert_eq!(api.blocking(move |app| app.archive_security_log(&AuditPolicy::default(), &f).unwrap().events).await, 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let verify = |archive: yiwang_store::anchor::SecurityArchive| {
        let keys = keys.public_keys();
        api.blocking(move |app| app.verify_record(&keys, &[], &archive).unwrap())
    };
    let text = std::fs::read_to_string(&file).unwrap();
    let archive = yiwang_app::read_security_archive(&text).unwrap();
    assert!(archive.contains_key(&first.n));
    let r = verify(Default::default()).await;
    assert!(r.is_intact(), "{:?}", r.problems);
    assert_eq!(r.anchor.unchecked, [first.n], "said, not hidden");
    let r = verify(archive).await;
    assert!(r.is_intact() && r.anchor.unchecked.is_empty(), "{:?}", r.problems);
    let edited = yiwang_app::read_security_archive(&text.replace("10.0.0.9", "10.0.0.8")).unwrap();
    let r = verify(edited).await;
    assert!(r.problems.iter().any(|p| p.starts_with(&format!("checkpoint {}", first.n))), "{:?}", r.problems);

    // Events removed before their time (a caller that passed the store a later
    // bound, or a database administrator) are named.
    let n = api
        .blocking(move |app| {
            let now = app.now();
            let last = app.store().check_anchor().unwrap().checkpoints.last().unwrap().n;
            app.store().archive_security(&[last], now + chrono::Duration::days(1), now).unwrap();
            last
        })
        .await;
    let r = verify(Default::default()).await;
    assert!(
        r.problems.iter().any(|p| p.starts_with(&format!("checkpoint {n}")) && p.contains("180 days")),
        "{:?}",
        r.problems
    );
    // An archive given that lacks an archived checkpoint (a lost or truncated file) is
    // a problem, not merely unchecked.
    let r = verify(yiwang_app::read_security_archive(&text).unwrap()).await;
    assert!(
        r.problems.iter().any(|p| p.starts_with(&format!("checkpoint {n}")) && p.contains("not in the archive given")),
        "{:?}",
        r.problems
    );
}

/// One address guessing logins or tracking codes is slowed to `guesses_per_minute`
/// (then 429 with `Retry-After`), whatever accounts or codes it tries; other
/// addresses and other routes go on. The API answers JSON, the pages a page.
#[tokio::test]
async fn one_address_guessing_is_rate_limited() {
    use tower::ServiceExt;
    let api = Api::new();
    let config = yiwang_web::WebConfig { guesses_per_minute: 5, ..Default::default() };
    let router = yiwang_web::router_with(api.app.clone(), &config);
    let send = |path: &str, body: String, json: bool, addr: &str| {
        let kind = if json { "application/json" } else { "application/x-www-form-urlencoded" };
        let mut req = Request::post(path).header("content-type", kind).body(Body::from(body)).unwrap();
        let addr: SocketAddr = format!("{addr}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
        router.clone().oneshot(req)
    };
    for i in 0..5 {
        let body = json!({"username": format!("nobody{i}"), "password": "x"}).to_string();
        let r = send("/api/v1/login", body, true, "10.9.9.9").await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "try {i}");
    }
    // The sixth guess from that address, at another route, is refused before the app.
    let body = json!({"tracking_code": "ABCDEFGHJK", "phone": "13800000000"}).to_string();
    let r = send("/api/v1/track", body.clone(), true, "10.9.9.9").await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=13).contains(&wait), "{wait}");
    let v: Value = serde_json::from_slice(&axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap()).unwrap();
    assert_eq!(code_of(&v), "rate_limited", "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("秒后再试"), "{v}");
    let r = send("/console/login", "username=a&password=b".into(), false, "10.9.9.9").await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = String::from_utf8(axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap().to_vec()).unwrap();
    assert!(page.contains("尝试过于频繁"), "{page}");
    // Another address, and the routes that guess nothing, are untouched.
    let r = send("/api/v1/track", body, true, "10.9.9.8").await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let appeal = json!({"channel": "web", "appeal_type": "help", "text": "井盖丢失"}).to_string();
    let r = send("/api/v1/appeals", appeal, true, "10.9.9.9").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}
