//! 证照核验 at a window: a 核验员 (`Role::Verifier`: a bank's or another department's
//! staff) is shown a certificate — its QR code's text (`YW1:…`) or its file — and
//! learns whether the district signed it, what it says, and its live status. They see
//! what the certificate shows and nothing else: no case, queue or personal data
//! (`App::authenticate` refuses them everywhere else). Each verification is in the
//! security log, so who checked which certificate can be answered.

use crate::{App, AppError, Result};
use serde::Serialize;
use yiwang_core::application::certificate::{CertificateDocument, SignedCertificate, compact};
use yiwang_core::org::{Actor, Role};

/// What verifying a presented certificate found.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    /// `valid`, `revoked`, `expired`, `not_yet_valid`, `bad_signature`, or `unknown`
    /// (signed by the district's key, but not issued by this installation's record).
    pub verdict: &'static str,
    /// The verdict for people.
    pub verdict_label: &'static str,
    /// `qr` or `file`: which form was presented.
    pub form: &'static str,
    /// What the certificate says; to be trusted only when the signature holds.
    pub document: CertificateDocument,
    /// The key that signed it, and its algorithm.
    pub key_id: String,
    pub alg: String,
    /// When and why it was revoked, if it was.
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_reason: Option<String>,
}

impl App {
    /// Verifies what a holder presents: the QR code's text or the certificate file
    /// (its JSON, or the status page's answer holding it), against every key this
    /// installation ever published, then looks up its live status.
    pub fn verify_presented(&self, actor: &Actor, presented: &str) -> Result<Verification> {
        if !actor.has_role(Role::Verifier) {
            return Err(AppError::Forbidden("只有核验员可以核验电子证照".into()));
        }
        let keys = self.config.keyring.public_keys();
        let text = presented.trim();
        if text.is_empty() {
            return Err(AppError::invalid("presented", "请粘贴或扫描证照二维码内容，或上传证照文件"));
        }
        let (document, key_id, alg, signed, form) = if text.starts_with(compact::PREFIX) {
            let c = compact::parse_qr(text).map_err(|e| AppError::invalid("presented", e.to_string()))?;
            let same_alg = keys.iter().any(|k| k.id == c.key_id && k.alg == c.alg);
            let signed = same_alg && crate::keyring::verifies(&keys, &c.key_id, &c.to_be_signed(), &c.signature);
            (c.document, c.key_id, c.alg, signed, "qr")
        } else {
            let unreadable = || AppError::invalid("presented", "无法读取：请粘贴二维码内容（YW1:…）或完整的证照文件");
            let value: serde_json::Value = serde_json::from_str(text).map_err(|_| unreadable())?;
            let c: SignedCertificate =
                serde_json::from_value(value.get("certificate").cloned().unwrap_or(value)).map_err(|_| unreadable())?;
            let signed = crate::keyring::verifies(&keys, &c.key_id, &c.document.message(), &c.signature);
            (c.document, c.key_id, c.alg, signed, "file")
        };
        let mut found = Verification {
            verdict: "bad_signature",
            verdict_label: "签名无效：证照被改动，或不是本区签发的",
            form,
            document,
            key_id,
            alg,
            revoked_at: None,
            revoked_reason: None,
        };
        if signed {
            match self.certificate_status(&found.document.status_id) {
                Ok(s) => {
                    found.verdict = s.status;
                    found.verdict_label = s.status_label;
                    found.revoked_at = s.revoked_at;
                    found.revoked_reason = s.revoked_reason;
                }
                Err(AppError::NotFound(_)) => {
                    found.verdict = "unknown";
                    found.verdict_label = "签名有效，但本系统没有这份证照的记录，请向发证机关核实";
                }
                Err(e) => return Err(e),
            }
        }
        let d = &found.document;
        let what = format!("核验电子证照 {}（{}）：{}", d.number, d.type_name, found.verdict_label);
        self.security(self.now(), "certificate_verified", actor.username(), None, what)?;
        Ok(found)
    }
}
