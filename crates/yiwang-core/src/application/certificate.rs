//! The e-certificate (电子证照) a granting decision yields: what it says, and its
//! signature by the installation's keyring (Ed25519, or SM2 under 国密). Core only
//! carries it: the app signs, and anyone verifies with the published public keys —
//! online at the status page, or offline with `yiwang verify-certificate`.

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

/// What a certificate says. Signed as its JSON, fields in this order.
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
}

impl CertificateDocument {
    /// The bytes signed: the document as JSON.
    pub fn message(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a certificate serialises")
    }

    /// Whether it is valid on `day` by its dates (revocation is told apart).
    pub fn in_force(&self, day: NaiveDate) -> bool {
        day >= self.valid_from && self.valid_until.is_none_or(|u| day <= u)
    }
}
