//! The e-certificate (电子证照) a granting decision yields: what it says, and its
//! signature by the installation's keyring (Ed25519, or SM2 under 国密). Core only
//! carries it: the app signs, and anyone verifies with the published public keys —
//! online at the status page, or offline with `yiwang verify-certificate`.

pub mod compact;

use crate::id::CaseId;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The format's name and version, the document's first field.
pub const FORMAT: &str = "yiwang-certificate/1";

/// One data item of a certificate (the licence's 经营项目, 经营场所 …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    pub label: String,
    pub value: String,
}

/// What a certificate says. Signed as its canonical JSON (`canonical`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateDocument {
    /// `yiwang-certificate/1`.
    pub format: String,
    /// An unguessable id for its online status (the QR's link), apart from the number.
    pub status_id: String,
    /// 证照类型: code and name.
    pub type_code: String,
    pub type_name: String,
    /// 证照编号.
    pub number: String,
    /// 持证主体, and its 统一社会信用代码 (an enterprise's; none for a person).
    pub holder: String,
    #[serde(default)]
    pub holder_code: Option<String>,
    /// 发证机关 and its code.
    pub issuer: String,
    pub issuer_code: String,
    pub issued_on: NaiveDate,
    pub valid_from: NaiveDate,
    /// None: valid without end (长期).
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    pub items: Vec<Item>,
    /// The application it was issued on.
    pub application: CaseId,
}

/// A certificate with its signature: the file a holder keeps and shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedCertificate {
    pub document: CertificateDocument,
    /// The signing key's id among the published keys, and its algorithm.
    pub key_id: String,
    pub alg: String,
    /// The signature of `message()`, hex.
    pub signature: String,
    /// The same key's signature of the compact form (`compact::message`), hex: what
    /// the QR code carries. Absent in certificates signed before there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cose_signature: Option<String>,
}

/// The canonical JSON of `value`: no spaces, every object's keys in code-point order,
/// recursively (as RFC 8785 orders them; strings escaped as serde_json does, which is
/// what `JSON.stringify` does). What is signed, so that a file re-written with its
/// keys in another order still verifies, in Rust and in a browser alike.
pub fn canonical(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", serde_json::to_string(k).expect("a key serialises"), canonical(&map[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => serde_json::to_string(other).expect("a value serialises"),
    }
}

impl CertificateDocument {
    /// The bytes signed: the document's canonical JSON.
    pub fn message(&self) -> Vec<u8> {
        canonical(&serde_json::to_value(self).expect("a certificate serialises")).into_bytes()
    }

    /// Whether it is valid on `day` by its dates (revocation is told apart).
    pub fn in_force(&self, day: NaiveDate) -> bool {
        day >= self.valid_from && self.valid_until.is_none_or(|u| day <= u)
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn canonical_json_sorts_keys_at_every_level_and_keeps_strings_as_json_writes_them() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"z": 1, "a": {"y": [3, {"b": "引号\"和\n换行", "a": null}], "x": true}}"#)
                .unwrap();
        assert_eq!(canonical(&v), r#"{"a":{"x":true,"y":[3,{"a":null,"b":"引号\"和\n换行"}]},"z":1}"#);
    }
}
