//! Identifiers and validated values. Each is a newtype built only through `parse`,
//! so a value that exists is a valid one.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused: the field and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub rule: &'static str,
}

fn invalid(field: &'static str, rule: &'static str) -> InvalidValue {
    InvalidValue { field, rule }
}

macro_rules! code_newtype {
    ($(#[$m:meta])* $name:ident, $field:literal, $max:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
        pub struct $name(String);

        impl $name {
            /// Lowercase ASCII letters, digits, `-` and `_`, 1 to
            #[doc = stringify!($max)]
            /// characters.
            pub fn parse(s: &str) -> Result<Self, InvalidValue> {
                let ok = !s.is_empty()
                    && s.len() <= $max
                    && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
                if ok {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(invalid($field, concat!("只能由小写字母、数字、“-”和“_”组成，长度1至", stringify!($max), "个字符")))
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidValue;
            fn try_from(s: String) -> Result<Self, InvalidValue> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

code_newtype!(
    /// A unit of the organisation tree (district, centre, department, street, community, grid).
    UnitCode, "unit", 40
);
code_newtype!(
    /// A category of the appeal taxonomy.
    CategoryCode, "category", 40
);
code_newtype!(
    /// A staff member's login name.
    Username, "username", 64
);
code_newtype!(
    /// The jurisdiction a case belongs to (the tenant); every case and event carries it.
    TenantId, "tenant", 40
);

/// A case number such as `YX20261122000123`: the tenant's prefix, the civil date of
/// intake and a six-digit sequence of that day. Case numbers are what people read
/// out on the phone, so they are the one id of a case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "YW20261122000001"))]
pub struct CaseId(String);

impl CaseId {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let b = s.as_bytes();
        let ok = (10..=32).contains(&b.len())
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(invalid("case_id", "应为两个大写字母加日期和序号，如 YW20261122000001"))
        }
    }
    /// Builds the number of the `seq`-th case of `date` (YYYYMMDD).
    pub fn new(prefix: &str, date: chrono::NaiveDate, seq: u32) -> Self {
        Self(format!("{}{}{:06}", prefix, date.format("%Y%m%d"), seq))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for CaseId {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}
impl From<CaseId> for String {
    fn from(v: CaseId) -> String {
        v.0
    }
}
impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reference to a row of personal data kept beside the record (DESIGN.md: personal
/// data lives beside the record, not in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonId(pub i64);

/// A mainland China phone number: an 11-digit mobile (1[3-9]xxxxxxxxx) or a landline
/// of 7–12 digits with an optional area code and hyphen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let t: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let t = t.strip_prefix("+86").unwrap_or(&t).to_owned();
        let digits = t.bytes().all(|b| b.is_ascii_digit());
        let mobile = t.len() == 11 && t.starts_with('1') && matches!(t.as_bytes()[1], b'3'..=b'9');
        let landline = (7..=12).contains(&t.len()) && !t.starts_with('1');
        if digits && (mobile || landline) {
            Ok(Self(t))
        } else {
            Err(invalid("phone", "应为11位手机号或带区号的固定电话"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `138****5678`: what lists and citizens' timelines show.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}
impl TryFrom<String> for PhoneNumber {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}
impl From<PhoneNumber> for String {
    fn from(v: PhoneNumber) -> String {
        v.0
    }
}

/// Masks all but the first three and last four characters of a phone number.
pub fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// Masks a person's name: the family name stays, the rest becomes `*` (张** / 欧阳*).
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        n => format!("{}{}", chars[0], "*".repeat(n - 1)),
    }
}

/// The code a citizen uses, with their phone number, to follow their appeal: eight
/// characters from an alphabet without look-alikes (no 0/O, 1/I/L).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "K7PX3MQA"))]
pub struct TrackingCode(String);

impl TrackingCode {
    pub const ALPHABET: &'static [u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let up = s.trim().to_ascii_uppercase();
        if up.len() == 8 && up.bytes().all(|b| Self::ALPHABET.contains(&b)) {
            Ok(Self(up))
        } else {
            Err(invalid("tracking_code", "应为回执上的8位字母和数字"))
        }
    }
    /// Builds a code from eight random bytes supplied by the caller (core reads no RNG).
    pub fn from_random(bytes: [u8; 8]) -> Self {
        let n = Self::ALPHABET.len();
        Self(bytes.iter().map(|b| Self::ALPHABET[*b as usize % n] as char).collect())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for TrackingCode {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}
impl From<TrackingCode> for String {
    fn from(v: TrackingCode) -> String {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_validated_and_masked() {
        let cases = [
            ("13812345678", Some("138****5678")),
            ("+86 138-1234-5678", Some("138****5678")),
            ("010-62345678", Some("010****5678")),
            ("12812345678", None),
            ("1381234567", None),
            ("abc", None),
            ("", None),
        ];
        for (input, masked) in cases {
            assert_eq!(PhoneNumber::parse(input).ok().map(|p| p.masked()), masked.map(String::from), "{input}");
        }
    }

    #[test]
    fn names_keep_only_the_family_name() {
        assert_eq!(mask_name("张伟"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "*");
    }

    #[test]
    fn codes_reject_what_they_cannot_hold() {
        assert!(UnitCode::parse("cgw").is_ok());
        assert!(UnitCode::parse("gd-yx-1-2").is_ok());
        assert!(UnitCode::parse("CGW").is_err());
        assert!(UnitCode::parse("").is_err());
        assert!(UnitCode::parse("城管委").is_err());
        assert!(CaseId::parse("YW20261122000001").is_ok());
        assert!(CaseId::parse("yw20261122000001").is_err());
        assert!(CaseId::parse("YW2026-11").is_err());
        assert_eq!(TrackingCode::parse(" k7px3mqa ").unwrap().as_str(), "K7PX3MQA");
        assert!(TrackingCode::parse("K7PX3MQ0").is_err());
    }
}
