//! Identifiers and validated values. Each is a newtype built only through `parse`,
//! so a value that exists is a valid one.

use chrono::Datelike;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused: the field and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub rule: &'static str,
}

/// Text a person could have typed: no control characters but line breaks and tabs.
/// A NUL in particular is refused, which PostgreSQL cannot store in text.
pub fn is_plain_text(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
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
        let t: String = halfwidth(s).chars().filter(|c| !matches!(c, ' ' | '-')).collect();
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
    /// A mobile number (11 digits from 13 to 19), which can receive an SMS.
    pub fn is_mobile(&self) -> bool {
        self.0.len() == 11 && self.0.starts_with('1')
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

/// Full-width digits, letters and spaces (as Chinese input methods type them) as their
/// ASCII forms: `１３８` is `138`, `Ｘ` is `X`, the ideographic space a space.
pub fn halfwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// A resident identity card number (公民身份号码, GB 11643-1999): a six-digit address
/// code, the date of birth as eight digits, a three-digit sequence number and a check
/// character (ISO 7064 MOD 11-2, `X` for ten). Full-width digits and a lower-case `x`
/// are read as what they are; spaces are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let t: String = halfwidth(s).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let b = t.as_bytes();
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || !matches!(b[17], b'0'..=b'9' | b'X') {
            return Err(invalid("id_number", "身份证号应为18位：17位数字加1位数字或X"));
        }
        // Province codes of GB/T 2260: 11–15, 21–23, 31–37, 41–46, 50–54, 61–65,
        // 71 (台湾), 81–83 (香港, 澳门, and the 台湾 residence permits' 83).
        let province = (b[0] - b'0') * 10 + (b[1] - b'0');
        if !matches!(province, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83) {
            return Err(invalid("id_number", "身份证号的前两位不是有效的省级行政区划代码"));
        }
        let born = chrono::NaiveDate::parse_from_str(&t[6..14], "%Y%m%d").ok();
        if born.is_none_or(|d| d.year() < 1880) {
            return Err(invalid("id_number", "身份证号第7至14位不是有效的出生日期"));
        }
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = b[..17].iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
        if b"10X98765432"[(sum % 11) as usize] != b[17] {
            return Err(invalid("id_number", "身份证号校验位不正确，请核对"));
        }
        Ok(IdNumber(t))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for IdNumber {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}
impl From<IdNumber> for String {
    fn from(v: IdNumber) -> String {
        v.0
    }
}

/// A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters of the
/// 31-letter alphabet `0-9 A-H J-N P-R T U W-Y` (no I, O, S, V, Z): the registering
/// authority, the kind of entity, the six-digit area code, the nine-character
/// organisation code and a check character, `31 - Σ(value × 3^i mod 31) mod 31`.
/// Full-width characters and lower case are read as what they are; spaces are
/// dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct CreditCode(String);

impl CreditCode {
    const ALPHABET: &'static [u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let t: String = halfwidth(s).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let values: Option<Vec<u32>> =
            t.bytes().map(|b| Self::ALPHABET.iter().position(|&a| a == b).map(|i| i as u32)).collect();
        let Some(values) = values.filter(|v| v.len() == 18) else {
            return Err(invalid("credit_code", "统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z）"));
        };
        if !t[2..8].bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("credit_code", "统一社会信用代码第3至8位应为行政区划代码"));
        }
        let mut weight = 1;
        let mut sum = 0;
        for v in &values[..17] {
            sum += v * weight;
            weight = weight * 3 % 31;
        }
        if (31 - sum % 31) % 31 != values[17] {
            return Err(invalid("credit_code", "统一社会信用代码校验位不正确，请核对"));
        }
        Ok(CreditCode(t))
    }
    /// The code of these 17 characters with its check character (for synthetic
    /// registers: the demo, benches, tests).
    pub fn complete(first17: &str) -> Result<Self, InvalidValue> {
        let mut sum = 0;
        let mut weight = 1;
        for b in first17.bytes() {
            let Some(v) = Self::ALPHABET.iter().position(|&a| a == b) else {
                return Err(invalid("credit_code", "统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z）"));
            };
            sum += v as u32 * weight;
            weight = weight * 3 % 31;
        }
        let check = Self::ALPHABET[((31 - sum % 31) % 31) as usize] as char;
        Self::parse(&format!("{first17}{check}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Shown on public views: the area code kept, the organisation code hidden
    /// (`91350100******0Y43`: the first eight and the last four).
    pub fn masked(&self) -> String {
        format!("{}******{}", &self.0[..8], &self.0[14..])
    }
}
impl TryFrom<String> for CreditCode {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}
impl From<CreditCode> for String {
    fn from(v: CreditCode) -> String {
        v.0
    }
}
impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-certificate's identifier under GB/T 36904-2018 《电子证照 标识规范》 (电子证照
/// 标识), which is its 证照编号 where the service's certificate type says it applies:
///
/// ```text
/// 1.2.156.3005.2.<证照类型代码>.<颁发机构代码>.<顺序号>.<版本号>.<校验位>
/// 1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F
/// ```
///
/// The standard's text was not available to us; this is what we could confirm, and
/// what we assumed:
/// - The root `1.2.156.3005.2` (an OID arc under China's 1.2.156) and the five parts
///   after it, separated by dots, as every identifier issued by the national
///   platform's catalogue shows (we checked identifiers published in public source
///   code and in provincial interface documents).
/// - 证照类型代码: 21 characters, as all we saw: the 统一社会信用代码 of the body that
///   defined the type (`11100000000013338W` for the national catalogue) and a 3-digit
///   number (every one we saw starts with a valid 统一社会信用代码). We check the
///   length, the characters and the 3 digits, not that code's check character.
/// - 颁发机构代码: the issuing authority's 统一社会信用代码 (18 characters). We issue
///   only with a valid one (`CreditCode`); reading, we take any 18 of `0-9A-Z`.
/// - 顺序号: 1 to 32 of `0-9A-Z` (the issuer's own number; we saw 7 to 32). We assume
///   only that it is unique per type and issuer, and make it from the application's
///   number (`CaseId` without its prefix), which is unique in the installation.
/// - 版本号: 3 digits, `001` for a first issue.
/// - 校验位: ISO/IEC 7064 MOD 37,36 (the hybrid system over `0-9A-Z`, values 0–35) of
///   the type code, issuer code, sequence and version written together without dots.
///   Confirmed: it reproduces the check character of six real identifiers from
///   different provinces' systems (the tests hold them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct CertificateIdentifier(String);

impl CertificateIdentifier {
    /// The root code every identifier starts with.
    pub const ROOT: &'static str = "1.2.156.3005.2";

    /// A new identifier with its check character.
    pub fn new(type_code: &str, issuer: &CreditCode, sequence: &str, version: u16) -> Result<Self, InvalidValue> {
        Self::check_type_code(type_code)?;
        Self::check_sequence(sequence)?;
        if !(1..=999).contains(&version) {
            return Err(invalid("certificate_identifier", "电子证照标识的版本号应为 001 至 999"));
        }
        let body = format!("{type_code}{issuer}{sequence}{version:03}");
        let check = Self::check_char(&body);
        Ok(Self(format!("{}.{type_code}.{issuer}.{sequence}.{version:03}.{check}", Self::ROOT)))
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let t = s.trim().to_ascii_uppercase();
        let rest = t
            .strip_prefix(Self::ROOT)
            .and_then(|r| r.strip_prefix('.'))
            .ok_or(invalid("certificate_identifier", "电子证照标识应以根代码 1.2.156.3005.2 开头"))?;
        let parts: Vec<&str> = rest.split('.').collect();
        let [type_code, issuer, sequence, version, check] = parts[..] else {
            return Err(invalid(
                "certificate_identifier",
                "电子证照标识应为：根代码.证照类型代码.颁发机构代码.顺序号.版本号.校验位",
            ));
        };
        Self::check_type_code(type_code)?;
        if issuer.len() != 18 || !issuer.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
            return Err(invalid("certificate_identifier", "颁发机构代码应为18位统一社会信用代码"));
        }
        Self::check_sequence(sequence)?;
        if version.len() != 3 || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("certificate_identifier", "电子证照标识的版本号应为3位数字"));
        }
        if check.len() != 1 || Self::check_char(&format!("{type_code}{issuer}{sequence}{version}")).to_string() != check
        {
            return Err(invalid("certificate_identifier", "电子证照标识校验位不正确，请核对"));
        }
        Ok(Self(t))
    }

    fn check_type_code(code: &str) -> Result<(), InvalidValue> {
        let b = code.as_bytes();
        if b.len() != 21
            || !b.iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            || !b[18..].iter().all(u8::is_ascii_digit)
        {
            return Err(invalid("certificate_identifier", "证照类型代码应为21位：定义机构的统一社会信用代码加3位数字"));
        }
        Ok(())
    }

    fn check_sequence(seq: &str) -> Result<(), InvalidValue> {
        if !(1..=32).contains(&seq.len()) || !seq.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()) {
            return Err(invalid("certificate_identifier", "电子证照标识的顺序号应为1至32位数字或大写字母"));
        }
        Ok(())
    }

    /// ISO/IEC 7064 MOD 37,36: `p = 36`; for each character `p = ((p + v) mod 36 or
    /// 36) × 2 mod 37`; the check character's value makes `(p + v) mod 36 = 1`.
    fn check_char(body: &str) -> char {
        const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut p = 36u32;
        for b in body.bytes() {
            let v = ALPHABET.iter().position(|&a| a == b).expect("checked characters") as u32;
            p = (p + v) % 36;
            if p == 0 {
                p = 36;
            }
            p = p * 2 % 37;
        }
        ALPHABET[((37 - p) % 36) as usize] as char
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for CertificateIdentifier {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}
impl From<CertificateIdentifier> for String {
    fn from(v: CertificateIdentifier) -> String {
        v.0
    }
}
impl fmt::Display for CertificateIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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

/// Text fit to publish: every run of seven or more digits (a phone number, an ID
/// number, a bank card; ASCII or full-width, with spaces or hyphens inside, an ID
/// number's final X included) keeps its first three and last two characters and the
/// rest become `*` (but digits right after a letter, a case number's, stay); each of `names` (the citizen's own, as known) becomes its masked
/// form (`张**`).
pub fn mask_personal(text: &str, names: &[&str]) -> String {
    let mut t = text.to_owned();
    for n in names.iter().map(|n| n.trim()).filter(|n| n.chars().count() >= 2) {
        t = t.replace(n, &mask_name(n));
    }
    let chars: Vec<char> = t.chars().collect();
    let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    let mut out = String::with_capacity(t.len());
    let mut i = 0;
    while i < chars.len() {
        if !digit(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A run: digits, with single spaces or hyphens between them, and an X at the end.
        let mut j = i;
        let mut digits = 0;
        while j < chars.len() {
            if digit(chars[j]) {
                digits += 1;
                j += 1;
            } else if matches!(chars[j], ' ' | '-') && j + 1 < chars.len() && digit(chars[j + 1]) {
                j += 1;
            } else {
                break;
            }
        }
        if j < chars.len() && matches!(chars[j], 'X' | 'x' | 'Ｘ') && digits == 17 {
            digits += 1;
            j += 1;
        }
        // Digits right after a letter are an identifier (a case number, YW2026…).
        let identifier = i > 0 && chars[i - 1].is_ascii_alphabetic();
        if digits >= 7 && !identifier {
            let mut seen = 0;
            for &c in &chars[i..j] {
                if digit(c) || matches!(c, 'X' | 'x' | 'Ｘ') {
                    seen += 1;
                    out.push(if seen <= 3 || seen > digits - 2 { c } else { '*' });
                } else {
                    out.push(c);
                }
            }
        } else {
            out.extend(&chars[i..j]);
        }
        i = j;
    }
    out
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

/// The code a citizen uses, with their phone number, to follow their appeal: ten
/// characters from an alphabet of 31 without look-alikes (no 0/O, 1/I/L). The first
/// three are the civil day the appeal was accepted; only the other seven are random,
/// each drawn uniformly from the 31 (`dated` takes digits below `BASE`; the caller
/// draws them without the bias of reducing a byte modulo 31).
///
/// The space a guess has to hit is therefore 31^7 ≈ 2.75 × 10^10 codes per day, not
/// 31^10. Following a case with a phone number takes the code and that number; an
/// anonymous case is followed by its code alone, so a guesser aims at all of a day's
/// anonymous cases at once: those codes have ten random characters (13 in all,
/// `dated_anonymous`, 31^10 ≈ 8.2 × 10^14).
///
/// The length follows from the tracking endpoints' rate limit (10 failed lookups per
/// client address per hour, `LoginPolicy::track_failures`) and this target: an
/// attacker with 1,000 addresses guessing for a year opens a given case with a
/// chance below 1 in 100, and any anonymous case (1,000 a day) below 1 in 1,000.
/// Such an attacker makes 240 × 1,000 × 365 ≈ 8.8 × 10^7 guesses a year: against a
/// known day and phone number, 8.8 × 10^7 / 31^7 ≈ 0.3 %; against a day's anonymous
/// cases, 8.8 × 10^7 × 1,000 / 31^10 ≈ 0.01 %. (A citizen's phone number is the other
/// half of the secret for the others.)
///
/// Why the day comes first: the store looks a case up by its code through an index,
/// and an index whose new keys are random takes every insert on a page of its own (at
/// ten million cases, one 4 KiB page written per appeal). Codes of one day sort
/// together, so a day's inserts fall on the few pages at its end, as a time-ordered
/// id's do (UUIDv7, ULID).
///
/// Codes issued before this scheme have eight random characters; they stay valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "F7GK7PX3MQ"))]
pub struct TrackingCode(String);

impl TrackingCode {
    pub const ALPHABET: &'static [u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    /// How many characters the alphabet has: random digits are below it.
    pub const BASE: u8 = 31;
    /// Day 0 of the day prefix; three characters count 31^3 = 29,791 days, to 2101.
    pub const EPOCH: (i32, u32, u32) = (2020, 1, 1);

    /// Accepts a code as a citizen types it: any case, spaces and hyphens ignored.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let up: String = s.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_ascii_uppercase();
        if matches!(up.len(), 8 | 10 | 13) && up.bytes().all(|b| Self::ALPHABET.contains(&b)) {
            Ok(Self(up))
        } else {
            Err(invalid("tracking_code", "应为回执上的10位（匿名反映为13位）字母和数字"))
        }
    }

    /// The code of a case accepted on `day`, from seven random digits below `BASE`,
    /// drawn uniformly by the caller (core reads no RNG). A digit past `BASE` is
    /// reduced modulo it, which a caller drawing bytes must not rely on: it biases
    /// the code towards the alphabet's first eight characters.
    pub fn dated(day: chrono::NaiveDate, random: [u8; 7]) -> Self {
        let (y, m, d) = Self::EPOCH;
        let epoch = chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a valid date");
        let n = Self::ALPHABET.len() as i64;
        let days = (day - epoch).num_days().clamp(0, n * n * n - 1);
        let digit = |i: i64| Self::ALPHABET[i as usize] as char;
        let mut code = String::with_capacity(10);
        code.push(digit(days / (n * n)));
        code.push(digit(days / n % n));
        code.push(digit(days % n));
        code.extend(random.iter().map(|b| digit(i64::from(*b) % n)));
        Self(code)
    }

    /// The code of an anonymous case: followed by the code alone, it carries ten
    /// random digits (below `BASE`) instead of seven; thirteen characters in all.
    pub fn dated_anonymous(day: chrono::NaiveDate, random: [u8; 10]) -> Self {
        let mut first = [0u8; 7];
        first.copy_from_slice(&random[..7]);
        let mut code = Self::dated(day, first).0;
        let n = Self::ALPHABET.len() as u8;
        code.extend(random[7..].iter().map(|b| Self::ALPHABET[(b % n) as usize] as char));
        Self(code)
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
    /// Identifiers issued by provincial systems, as published in public source code
    /// and interface documents: every check character is reproduced.
    #[test]
    fn gbt_36904_identifiers_of_real_certificates_check() {
        for id in [
            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
            "1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
            "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
            "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
        ] {
            let parsed = CertificateIdentifier::parse(id).unwrap_or_else(|e| panic!("{id}: {e:?}"));
            assert_eq!(parsed.as_str(), id);
        }
        // One character changed, a part missing, another root, a bad version.
        for bad in [
            "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430598.001.F",
            "1.2.156.3005.2.11100000000013338W032.11220000013544541J.001.F",
            "1.2.156.3005.3.11100000000013338W032.11220000013544541J.2430599.001.F",
            "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.01.F",
            "1.2.156.3005.2.11100000000013338WA32.11220000013544541J.2430599.001.F",
        ] {
            assert!(CertificateIdentifier::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_new_gbt_36904_identifier_carries_its_check_character() {
        let issuer = CreditCode::parse("11350102MB0C00721P").unwrap();
        let id = CertificateIdentifier::new("11100000000013338W901", &issuer, "20261116000001", 1).unwrap();
        assert!(id.as_str().starts_with("1.2.156.3005.2.11100000000013338W901.11350102MB0C00721P.20261116000001.001."));
        assert_eq!(CertificateIdentifier::parse(id.as_str()), Ok(id.clone()));
        // The same as the real ones: rebuilt from its parts, the 吉林 identifier.
        let jl = CreditCode::parse("11220000013544541J").unwrap();
        let rebuilt = CertificateIdentifier::new("11100000000013338W032", &jl, "2430599", 1).unwrap();
        assert_eq!(rebuilt.as_str(), "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F");
        assert!(CertificateIdentifier::new("11100000000013338W90", &issuer, "1", 1).is_err());
        assert!(CertificateIdentifier::new("11100000000013338W901", &issuer, "a-1", 1).is_err());
        assert!(CertificateIdentifier::new("11100000000013338W901", &issuer, "1", 1000).is_err());
    }

    use super::*;

    #[test]
    fn anonymous_codes_are_thirteen_characters_and_parse() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let c = TrackingCode::dated_anonymous(day, [0, 1, 2, 3, 4, 5, 6, 28, 29, 30]);
        assert_eq!(c.as_str().len(), 13);
        assert_eq!(&c.as_str()[..10], TrackingCode::dated(day, [0, 1, 2, 3, 4, 5, 6]).as_str());
        assert!(c.as_str().ends_with("XYZ"), "{}", c.as_str());
        assert_eq!(TrackingCode::parse(&c.as_str().to_lowercase()).unwrap(), c);
        assert!(TrackingCode::parse("ABCDEFGHJKMN").is_err(), "twelve characters");
    }

    #[test]
    fn personal_data_is_masked_for_publication() {
        let cases = [
            ("请联系13812345678张三", "请联系138******78张*"),
            ("电话 138-1234-5678 或 010 62345678", "电话 138-****-**78 或 010 ******78"),
            ("身份证11010519491231002X号", "身份证110*************2X号"),
            ("身份证１１０１０５１９４９１２３１００２Ｘ", "身份证１１０*************２Ｘ"),
            ("3号楼2单元501室，2026年12月", "3号楼2单元501室，2026年12月"),
            ("张三说路灯坏了", "张*说路灯坏了"),
            ("重复件，已并入 YW20261116000001", "重复件，已并入 YW20261116000001"),
            ("", ""),
        ];
        for (text, want) in cases {
            assert_eq!(mask_personal(text, &["张三"]), want, "{text}");
        }
    }

    /// GB 11643's own example, full-width and lower-case forms of it, and each way a
    /// number can be wrong; multi-byte input of any length is an error, never a panic.
    #[test]
    fn id_numbers_follow_gb_11643() {
        for ok in
            ["11010519491231002X", "11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ", " 110101199003074477 "]
        {
            let id = IdNumber::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert!(matches!(id.as_str(), "11010519491231002X" | "110101199003074477"), "{ok}");
        }
        let refused = [
            ("110105194912310021", "校验位"),
            ("11010519491231002", "18位"),
            ("1101051949123100２XX", "18位"),
            ("１１０１０１", "18位"),
            ("１１０１０１１９９０", "18位"),
            ("张三李四王五赵六钱", "18位"),
            ("00010519491231002X", "行政区划"),
            ("110105194902300020", "出生日期"),
            ("110105000012310020", "出生日期"),
        ];
        for (bad, why) in refused {
            let e = IdNumber::parse(bad).expect_err(bad);
            assert!(e.rule.contains(why), "{bad}: {}", e.rule);
        }
    }

    #[test]
    fn phone_numbers_are_validated_and_masked() {
        let cases = [
            ("13812345678", Some("138****5678")),
            ("+86 138-1234-5678", Some("138****5678")),
            ("１３８１２３４５６７８", Some("138****5678")),
            ("１３８１２３４５", None),
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
        assert_eq!(TrackingCode::parse("f7g-k7px-3mq").unwrap().as_str(), "F7GK7PX3MQ");
        assert!(TrackingCode::parse("K7PX3MQ0").is_err());
        assert!(TrackingCode::parse("K7PX3MQAB").is_err(), "nine characters");
    }

    #[test]
    fn tracking_codes_of_later_days_sort_after_earlier_ones() {
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let a = TrackingCode::dated(day(2026, 12, 1), [255; 7]);
        let b = TrackingCode::dated(day(2026, 12, 2), [0; 7]);
        let c = TrackingCode::dated(day(2027, 1, 1), [0; 7]);
        assert!(a.as_str() < b.as_str() && b.as_str() < c.as_str(), "{a:?} {b:?} {c:?}");
        assert_eq!(a.as_str().len(), 10);
        assert_eq!(TrackingCode::parse(a.as_str()).unwrap(), a);
        assert_eq!(&TrackingCode::dated(day(2020, 1, 1), [0; 7]).as_str()[..3], "222");
        assert_eq!(&TrackingCode::dated(day(2020, 1, 2), [0; 7]).as_str()[..3], "223");
    }
}
