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
        // The permit's fee (城市道路占用费) is paid before 制证.
        (
            &clerk,
            json!({"action": "record_payment", "reference": "FS-2026-000318", "amount_fen": 35000, "paid_on": "2026-11-16"}),
        ),
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

/// Under 国密 the certificate's compact form is signed with SM2 (COSE algorithm
/// -65537, private use): it verifies with the published SM2 key, and a 核验员 is told
/// it is valid; the file form is SM2-signed as before.
#[tokio::test]
async fn an_sm2_installation_signs_the_compact_form_with_sm2() {
    use yiwang_app::keyring::{Keyring, SignAlg};
    let dir = tempfile::tempdir().unwrap();
    let mut config = yiwang_app::AppConfig::default();
    config.login.idle_minutes = 24 * 60;
    config.demo = true;
    config.keyring = std::sync::Arc::new(Keyring::open_or_create_for(&dir.path().join("keys"), SignAlg::Sm2).unwrap());
    let api = Api::with_config(Backend::Sqlite, config);
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
    for action in [
        json!({"action": "accept", "verdict": {"grant": true}}),
        json!({"action": "certify", "number": "GT350102260009", "valid_from": "2026-01-01"}),
    ] {
        let (s, v) = api.call("POST", &path, Some(&clerk), Some(action)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (_, v) = api.call("GET", &format!("/api/v1/applications/{id}"), Some(&clerk), None).await;
    let sid = v["detail"]["certificate_status_id"].as_str().unwrap();
    let (_, c) = api.call("GET", &format!("/api/v1/certificates/{sid}"), None, None).await;
    let qr = c["qr"].as_str().unwrap();
    let read = yiwang_core::application::certificate::compact::parse_qr(qr).unwrap();
    assert_eq!(read.alg, "sm2");
    let keys = api.app.config().keyring.public_keys();
    assert!(keys.iter().any(|k| k.id == read.key_id && k.alg == "sm2"));
    assert!(yiwang_app::keyring::verifies(&keys, &read.key_id, &read.to_be_signed(), &read.signature));
    assert!(!yiwang_app::keyring::verifies(&keys, &read.key_id, &read.to_be_signed()[1..], &read.signature));
    let verifier = api
        .blocking(|app| {
            let staff = yiwang_core::org::Staff {
                username: yiwang_core::id::Username::parse("verifier1").unwrap(),
                name: String::new(),
                unit: yiwang_core::id::UnitCode::parse("rsj").unwrap(),
                roles: vec![yiwang_core::org::Role::Verifier],
            };
            app.actor_for(&staff).unwrap()
        })
        .await;
    let presented = qr.to_owned();
    let found = api.blocking(move |app| app.verify_presented(&verifier, &presented).unwrap()).await;
    assert_eq!((found.verdict, found.form, found.alg.as_str()), ("valid", "qr", "sm2"));
}
