//! An e-certificate verified offline: issued by a running yiwang (the demo district,
//! its real keyring), saved with the published keys and the signed status list, then
//! checked by `yiwang verify-certificate` with the server stopped — valid, tampered
//! with, out of date, and revoked.

use crate::{Server, bin};
use serde_json::{Value, json};
use std::path::Path;

struct Client {
    http: reqwest::blocking::Client,
    base: String,
}

impl Client {
    fn login(&self, user: &str) -> String {
        let r = self
            .http
            .post(format!("{}/api/v1/login", self.base))
            .json(&json!({"username": user, "password": yiwang_app::DEMO_PASSWORD}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.json::<Value>().unwrap()["token"].as_str().unwrap().to_owned()
    }
    fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let r = self.http.post(format!("{}{path}", self.base)).bearer_auth(token).json(&body).send().unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().unwrap();
        assert!(status < 300, "{path}: {status} {v}");
        v
    }
    fn get(&self, path: &str) -> String {
        self.http.get(format!("{}{path}", self.base)).send().unwrap().text().unwrap()
    }
}

fn verify(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = bin()
        .arg("verify-certificate")
        .arg(dir.join("certificate.json"))
        .arg("--keys")
        .arg(dir.join("keys.json"))
        .args(args)
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `verify-certificate` with the QR text (`--qr`) or a file of it, and the keys.
fn verify_qr(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = bin().arg("verify-certificate").args(args).arg("--keys").arg(dir.join("keys.json")).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The QR text with `from` replaced by `to` (of the same length in bytes) in its
/// payload, re-compressed and re-encoded: a well-formed forgery.
fn forge_qr(qr: &str, from: &str, to: &str) -> String {
    use yiwang_core::application::certificate::compact;
    let mut cose = compact::unwrap(qr).unwrap();
    let at = cose.windows(from.len()).position(|w| w == from.as_bytes()).expect("the text is in the payload");
    cose[at..at + to.len()].copy_from_slice(to.as_bytes());
    compact::wrap(&cose)
}

#[test]
fn a_certificate_verifies_offline_and_a_revoked_or_altered_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let files = dir.path();
    let status_id = {
        let server = Server::start(&data, true);
        let c = Client { http: reqwest::blocking::Client::new(), base: server.base.clone() };
        let clerk = c.login("scjgj-clerk");
        // A 即办件 decided at the window, and its business licence issued.
        let a = c.post(
            &clerk,
            "/api/v1/applications",
            json!({
                "service": "sole-trader",
                "applicant": {"name": "王小二", "phone": "13812345678"},
                "form": {"trade-name": "王小二便利店", "scope": "日用百货零售"},
                "materials": [{"material": "id-card", "paper": true}]
            }),
        );
        let id = a["application"]["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/applications/{id}/actions");
        c.post(&clerk, &path, json!({"action": "accept", "verdict": {"grant": true}}));
        let v =
            c.post(&clerk, &path, json!({"action": "certify", "number": "GT350102260001", "valid_from": "2026-01-01"}));
        let sid = v["detail"]["certificate_status_id"].as_str().unwrap().to_owned();
        let status = c.get(&format!("/api/v1/certificates/{sid}"));
        std::fs::write(files.join("certificate.json"), &status).unwrap();
        let qr: Value = serde_json::from_str(&status).unwrap();
        std::fs::write(files.join("qr.txt"), qr["qr"].as_str().expect("a compact QR form")).unwrap();
        std::fs::write(files.join("keys.json"), c.get("/api/v1/keys")).unwrap();
        std::fs::write(files.join("list.json"), c.get("/api/v1/certificate-status-list")).unwrap();
        sid
    };
    // The server is stopped: everything below is offline.
    let list = files.join("list.json");
    let (ok, out) = verify(files, &["--status-list", list.to_str().unwrap()]);
    assert!(ok && out.contains("结论：有效") && out.contains("王*"), "{out}");
    let (ok, out) = verify(files, &["--on", "2025-12-31"]);
    assert!(!ok && out.contains("尚未生效"), "{out}");
    // What its QR code says verifies as well, given as text or in a file.
    let qr = std::fs::read_to_string(files.join("qr.txt")).unwrap();
    assert!(qr.starts_with("YW1:"), "{qr}");
    let (ok, out) = verify_qr(files, &["--qr", &qr, "--status-list", list.to_str().unwrap()]);
    assert!(ok && out.contains("结论：有效") && out.contains("二维码（COSE）") && out.contains("王*"), "{out}");
    let (ok, out) = verify_qr(files, &[files.join("qr.txt").to_str().unwrap()]);
    assert!(ok && out.contains("结论：有效"), "{out}");
    // A QR text changed in its payload no longer verifies. The status id's bytes come
    // first in the payload; change the holder's name instead, re-encoded whole.
    let forged = forge_qr(&qr, "王*", "李*");
    let (ok, out) = verify_qr(files, &["--qr", &forged]);
    assert!(!ok && out.contains("签名无效") && out.contains("李*"), "{out}");
    // One character changed, and the signature no longer holds.
    let text = std::fs::read_to_string(files.join("certificate.json")).unwrap();
    std::fs::write(files.join("certificate.json"), text.replace("王小二便利店", "王小三便利店")).unwrap();
    let (ok, out) = verify(files, &[]);
    assert!(!ok && out.contains("签名无效"), "{out}");
    std::fs::write(files.join("certificate.json"), &text).unwrap();

    // Revoked: the new status list says so, offline.
    {
        let server = Server::start(&data, false);
        let c = Client { http: reqwest::blocking::Client::new(), base: server.base.clone() };
        let approver = c.login("scjgj-approver");
        let status: Value = serde_json::from_str(&c.get(&format!("/api/v1/certificates/{status_id}"))).unwrap();
        let id = status["certificate"]["document"]["application"].as_str().unwrap().to_owned();
        c.post(
            &approver,
            &format!("/api/v1/applications/{id}/actions"),
            json!({"action": "revoke", "reason": "以欺骗手段取得"}),
        );
        let status: Value = serde_json::from_str(&c.get(&format!("/api/v1/certificates/{status_id}"))).unwrap();
        assert_eq!(status["status"], "revoked", "{status}");
        std::fs::write(files.join("list.json"), c.get("/api/v1/certificate-status-list")).unwrap();
    }
    let (ok, out) = verify(files, &["--status-list", list.to_str().unwrap()]);
    assert!(!ok && out.contains("结论：已吊销") && out.contains("状态清单：签发于"), "{out}");
    let (ok, out) = verify_qr(files, &["--qr", &qr, "--status-list", list.to_str().unwrap()]);
    assert!(!ok && out.contains("结论：已吊销"), "the QR form too, offline: {out}");
    // A list whose signature does not hold is not believed.
    let forged = std::fs::read_to_string(&list).unwrap().replace(&status_id, "00000000000000000000000000000000");
    std::fs::write(&list, forged).unwrap();
    let (ok, out) = verify(files, &["--status-list", list.to_str().unwrap()]);
    assert!(!ok && out.contains("状态清单的签名无效"), "{out}");
}
