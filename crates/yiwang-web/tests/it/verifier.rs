//! The 核验员 (`Role::Verifier`): verifies the certificates presented to them at
//! `/console/verify` — a QR code's text or a certificate file — and is refused every
//! other path, in the API and the console, whatever their unit could otherwise see.

use crate::harness::{Api, code_of};
use crate::ui::{get, post_form, send};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

/// A food licence issued at the window, and an appeal of the verifier's own unit:
/// (application id, certificate status id, appeal id).
async fn issued(api: &Api) -> (String, String, String) {
    let clerk = api.login("scjgj-clerk").await;
    let (s, v) = api
        .call(
            "POST",
            "/api/v1/applications",
            Some(&clerk),
            Some(json!({
                "service": "sole-trader",
                "applicant": {"name": "王小二", "phone": "13812345678"},
                "form": {"trade-name": "王小二便利店", "scope": "日用百货零售"},
                "materials": [{"material": "id-card", "paper": true}]
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/applications/{id}/actions");
    let (s, v) =
        api.call("POST", &path, Some(&clerk), Some(json!({"action": "accept", "verdict": {"grant": true}}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let certify = json!({"action": "certify", "number": "GT350102260001", "valid_from": "2026-01-01"});
    let (s, v) = api.call("POST", &path, Some(&clerk), Some(certify)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let sid = v["detail"]["certificate_status_id"].as_str().unwrap().to_owned();
    // An appeal dispatched to 人社局, the verifier's unit.
    let dispatcher = api.login("dispatcher1").await;
    let (appeal, _) = api.citizen_appeal().await;
    api.act_ok(&dispatcher, &appeal, json!({"action": "dispatch", "category": "cxjs-02", "unit": "rsj"})).await;
    (id, sid, appeal)
}

/// A multipart form as a browser sends it.
fn multipart(path: &str, cookie: &str, fields: &[(&str, Option<&str>, &str)]) -> Request<Body> {
    let boundary = "yiwang-test-boundary";
    let mut body = String::new();
    for (name, filename, value) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""));
        if let Some(f) = filename {
            body.push_str(&format!("; filename=\"{f}\"\r\nContent-Type: application/json"));
        }
        body.push_str(&format!("\r\n\r\n{value}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    Request::builder()
        .method("POST")
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn a_verifier_reads_no_case_queue_dashboard_or_person_through_the_api() {
    let api = Api::new();
    let (application, sid, appeal) = issued(&api).await;
    let verifier = api.login("verifier1").await;
    let leader = api.login("rsj-leader").await;
    // The ids are real: the verifier's own unit's leader reads the appeal.
    let (s, _) = api.call("GET", &format!("/api/v1/appeals/{appeal}"), Some(&leader), None).await;
    assert_eq!(s, StatusCode::OK);
    // Every path of the API, with real ids where it takes one: what needs a login is
    // refused to the verifier as `verifier_only`; what anyone may do is left aside.
    let (_, doc) = api.call("GET", "/api/v1/openapi.json", None, None).await;
    let paths = doc["paths"].as_object().unwrap();
    let mut refused = 0;
    for (template, ops) in paths {
        for method in ["get", "post", "put"] {
            // Logging out is theirs to do (and would end the session checked here).
            if ops.get(method).is_none() || template.ends_with("/logout") {
                continue;
            }
            let id = if template.contains("/appeals/") {
                appeal.as_str()
            } else if template.contains("/applications/") {
                application.as_str()
            } else {
                "1"
            };
            let path = template
                .replace("{id}", id)
                .replace("{status_id}", &sid)
                .replace("{code}", "sole-trader")
                .replace("{month}", "2026-12")
                .replace("{queue}", "all");
            let body = (method != "get").then(|| json!({}));
            let (anonymous, _) = api.call(&method.to_uppercase(), &path, None, body.clone()).await;
            let (s, v) = api.call(&method.to_uppercase(), &path, Some(&verifier), body).await;
            if anonymous != StatusCode::UNAUTHORIZED {
                continue; // for anyone (the guide, certificates, tracking, filing)
            }
            // The applicant's own paths take an applicant's login (a phone and its
            // code), which no staff token is.
            if template.starts_with("/api/v1/applicant/") {
                assert_eq!((s, code_of(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{method} {path}: {v}");
                continue;
            }
            // A shared resource's records take a grant's credential, which no staff
            // token is (一网共享).
            if template.ends_with("/records") && template.starts_with("/api/v1/share/") {
                assert_eq!((s, code_of(&v)), (StatusCode::UNAUTHORIZED, "credential_invalid"), "{method} {path}: {v}");
                continue;
            }
            assert_eq!((s, code_of(&v)), (StatusCode::FORBIDDEN, "verifier_only"), "{method} {path}: {v}");
            refused += 1;
        }
    }
    assert!(refused >= 30, "only {refused} paths checked");
    // The public certificate status is public for them as for anyone.
    let (s, _) = api.call("GET", &format!("/api/v1/certificates/{sid}"), Some(&verifier), None).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_verifier_verifies_a_presented_certificate_in_the_console_and_nothing_else() {
    let api = Api::new();
    let (application, sid, appeal) = issued(&api).await;
    let (_, status) = api.call("GET", &format!("/api/v1/certificates/{sid}"), None, None).await;
    let qr = status["qr"].as_str().expect("a compact QR form").to_owned();
    let file = status.to_string();

    let form = format!("username=verifier1&password={}&next=%2Fconsole", yiwang_app::DEMO_PASSWORD);
    let (s, headers, _) = send(&api, post_form("/console/login", None, &form)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    // Every other console page leads back to verification.
    for path in [
        "/console".to_owned(),
        "/console/todo".into(),
        "/console/search?q=%E4%BA%95%E7%9B%96".into(),
        format!("/console/cases/{appeal}"),
        format!("/console/applications/{application}"),
        format!("/console/applications/{application}/print/acceptance"),
        "/console/applications/new".into(),
        "/console/dashboard".into(),
        "/console/dashboard/export.csv".into(),
        "/console/indicators".into(),
        "/console/tasks".into(),
        "/console/board".into(),
        "/console/patrols".into(),
        "/console/patrol".into(),
        "/console/outbox".into(),
        "/console/audit".into(),
        "/console/intake".into(),
    ] {
        let (s, headers, page) = send(&api, get(&path, Some(&cookie))).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{path}: {page}");
        assert_eq!(headers[header::LOCATION], "/console/verify", "{path}");
    }
    let (s, _, page) = send(&api, get("/console/verify", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("电子证照核验") && !page.contains("工单队列") && !page.contains("我的待办"), "{page}");
    let csrf = page.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();

    // The QR text, pasted: valid, with what the certificate shows.
    let (s, _, page) =
        send(&api, multipart("/console/verify", &cookie, &[("_csrf", None, &csrf), ("presented", None, &qr)])).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("verdict valid") && page.contains("GT350102260001") && page.contains("王*"), "{page}");
    assert!(page.contains("二维码（COSE 签名）"), "{page}");
    assert!(!page.contains("13812345678"), "no phone number: {page}");
    // The certificate file, uploaded.
    let (s, _, page) = send(
        &api,
        multipart(
            "/console/verify",
            &cookie,
            &[("_csrf", None, &csrf), ("presented", None, ""), ("file", Some("certificate.json"), &file)],
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("verdict valid") && page.contains("证照文件（JSON 签名）"), "{page}");
    // Altered: the signature fails, and the page says not to trust it.
    let forged = file.replace("王小二便利店", "王小三便利店");
    let (_, _, page) =
        send(&api, multipart("/console/verify", &cookie, &[("_csrf", None, &csrf), ("presented", None, &forged)]))
            .await;
    assert!(page.contains("verdict bad_signature") && page.contains("以下内容不可信"), "{page}");
    // Not a certificate at all; and without the form token.
    let (s, _, page) =
        send(&api, multipart("/console/verify", &cookie, &[("_csrf", None, &csrf), ("presented", None, "YW1:bb")]))
            .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Base45"), "{page}");
    let (s, _, _) = send(&api, multipart("/console/verify", &cookie, &[("presented", None, &qr)])).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Revoked: the live status says so.
    let approver = api.login("scjgj-approver").await;
    let revoke = json!({"action": "revoke", "reason": "以欺骗手段取得"});
    let (s, v) =
        api.call("POST", &format!("/api/v1/applications/{application}/actions"), Some(&approver), Some(revoke)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, _, page) =
        send(&api, multipart("/console/verify", &cookie, &[("_csrf", None, &csrf), ("presented", None, &qr)])).await;
    assert!(page.contains("verdict revoked") && page.contains("以欺骗手段取得"), "{page}");

    // Staff without the role are refused the page; each verification is in the log.
    let (clerk_cookie, _) = crate::ui::console_login(&api, "scjgj-clerk").await;
    let (s, _, _) = send(&api, get("/console/verify", Some(&clerk_cookie))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let auditor = api.login("auditor").await;
    let (_, log) =
        api.call("GET", "/api/v1/admin/security-events?kind=certificate_verified", Some(&auditor), None).await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log.iter().all(|e| e["username"] == "verifier1"), "{log:?}");
    // And they log out.
    let (s, headers, _) = send(&api, post_form("/console/logout", Some(&cookie), &format!("_csrf={csrf}"))).await;
    assert_eq!((s, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console/login"));
    let (_, headers, _) = send(&api, get("/console/verify", Some(&cookie))).await;
    assert!(headers[header::LOCATION].to_str().unwrap().starts_with("/console/login"));
}
