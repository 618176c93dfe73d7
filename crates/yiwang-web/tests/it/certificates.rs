//! Certificate numbers under GB/T 36904: a type whose catalogue entry says so is
//! numbered with the structured identifier at 制证, whatever the clerk typed; the QR's
//! online id stays a separate random token.

use crate::harness::{Api, Backend};
use axum::http::StatusCode;
use serde_json::json;
use yiwang_core::id::CertificateIdentifier;

async fn a_gbt_36904_type_is_numbered_with_the_structured_identifier(backend: Backend) {
    let api = Api::on(backend);
    let clerk = api.login("cgw-clerk").await;
    let (s, v) = api
        .call(
            "POST",
            "/api/v1/applications",
            Some(&clerk),
            Some(json!({
                "service": "road-occupation",
                "applicant": {"name": "李四", "phone": "13812345678"},
                "form": {"place": "湖畔路望湖公园北门西侧人行道", "from": "2026-12-01", "days": "7"},
                "materials": [{"material": "application-form", "paper": true}, {"material": "site-plan", "paper": true}]
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/applications/{id}/actions");
    let reviewer = api.login("cgw-reviewer").await;
    for (who, action) in [
        (&clerk, json!({"action": "accept"})),
        (&reviewer, json!({"action": "decide", "verdict": {"grant": true}})),
        // The clerk's number is not the certificate's: the identifier is made.
        (&clerk, json!({"action": "certify", "number": "", "valid_from": "2026-12-01", "valid_until": "2026-12-07"})),
    ] {
        let (s, v) = api.call("POST", &path, Some(who), Some(action.clone())).await;
        assert_eq!(s, StatusCode::OK, "{action}: {v}");
    }
    let (_, v) = api.call("GET", &format!("/api/v1/applications/{id}"), Some(&clerk), None).await;
    let number = v["detail"]["certificate"].as_str().unwrap().to_owned();
    let parsed = CertificateIdentifier::parse(&number).expect("a GB/T 36904 identifier");
    let sequence = &id[2..];
    assert!(
        number.starts_with(&format!("1.2.156.3005.2.11100000000013338W901.11350102MB0C00721P.{sequence}.001.")),
        "{parsed}"
    );
    let sid = v["detail"]["certificate_status_id"].as_str().unwrap().to_owned();
    assert!(!number.contains(&sid), "the online id is apart from the number");
    let (_, c) = api.call("GET", &format!("/api/v1/certificates/{sid}"), None, None).await;
    assert_eq!(c["certificate"]["document"]["number"], number.as_str(), "{c}");
    assert_eq!(c["certificate"]["document"]["issuer_code"], "11350102MB0C00721P", "{c}");
    // It verifies in its compact form too, number and all.
    let read = yiwang_core::application::certificate::compact::parse_qr(c["qr"].as_str().unwrap()).unwrap();
    assert_eq!(read.document.number, number);
    let keys = api.app.config().keyring.public_keys();
    assert!(yiwang_app::keyring::verifies(&keys, &read.key_id, &read.to_be_signed(), &read.signature));
}

on_both_stores!(a_gbt_36904_type_is_numbered_with_the_structured_identifier);
