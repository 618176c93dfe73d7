//! The service catalogue (办事指南): what a district offers, one `Service` per 事项 and
//! version. An application copies the version it was filed under into its first
//! event, so editing a service later changes nothing of a filed application: not
//! its material list, not its 受理通知书, not its time limits.
//!
//! A district writes its catalogue as files (`[[service]]` in TOML, or the same as
//! JSON), as it writes its set-up; `Catalogue::parse_toml` checks every service and
//! names the first it refuses.

use crate::case::Refusal;
use crate::id::{CreditCode, IdNumber, InvalidValue, PhoneNumber, UnitCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kinds of 政务服务事项 (the national 权责清单's classes that are applied for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ServiceType {
    /// 行政许可: 行政许可法 applies in full.
    Licence,
    /// 行政确认
    Confirmation,
    /// 行政给付
    Benefit,
    /// 公共服务
    Public,
    /// 其他行政权力
    Other,
}

impl ServiceType {
    pub fn label(self) -> &'static str {
        match self {
            Self::Licence => "行政许可",
            Self::Confirmation => "行政确认",
            Self::Benefit => "行政给付",
            Self::Public => "公共服务",
            Self::Other => "其他行政权力",
        }
    }
}

/// How far a service can be done without coming in: 全程网办, or N visits to the hall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Depth {
    /// 全程网办: zero visits.
    Online,
    /// 到现场 N 次 (最多跑一次 is 1).
    Visits(u8),
}

/// One material the applicant hands in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Material {
    /// Lowercase letters, digits, `-` and `_`, unique within the service.
    pub code: String,
    pub name: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// 原件 (shown at the window) rather than a copy.
    #[serde(default)]
    pub original: bool,
    /// The e-certificate type that may stand in for it (证照免提交), if any.
    #[serde(default)]
    pub certificate: Option<String>,
    /// What it must show, in plain words.
    #[serde(default)]
    pub note: Option<String>,
}

fn yes() -> bool {
    true
}

/// What a form field holds, and so how it is checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FieldType {
    /// Free text of at most `max` characters.
    Text {
        max: usize,
    },
    /// A decimal number, optionally bounded.
    Number {
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
    },
    /// `YYYY-MM-DD`.
    Date,
    /// One of the options.
    Choice {
        options: Vec<String>,
    },
    /// 是 or 否 (`true`/`false`).
    YesNo,
    Phone,
    IdNumber,
    CreditCode,
}

/// A field of the service's form. (Its type's settings sit beside its code and label,
/// so serde cannot refuse unknown keys here as it does everywhere else.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Field {
    pub code: String,
    pub label: String,
    #[serde(flatten)]
    pub field_type: FieldType,
    #[serde(default = "yes")]
    pub required: bool,
}

/// A fee (收费), with its basis. Most services are free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fee {
    pub name: String,
    /// Yuan, as written (`"10"`, `"2.50"`).
    pub amount: String,
    pub basis: String,
}

/// A step of the procedure (受理, 审查, 决定 …). A step that does not count towards
/// the time limit (行政许可法 §45: 听证, 招标, 拍卖, 检验, 检测, 检疫, 鉴定, 专家评审)
/// pauses the clocks while it runs, and the applicant is told in writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Step {
    pub code: String,
    pub name: String,
    #[serde(default = "yes")]
    pub counted: bool,
}

/// The certificate a granting decision yields (电子证照).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateSpec {
    /// The certificate type's code (e.g. `food-business-licence`).
    pub code: String,
    pub name: String,
    /// How long it is valid, in years; none for no end.
    #[serde(default)]
    pub valid_years: Option<u32>,
    /// Where GB/T 36904's structured identifier applies: it is then the certificate's
    /// number, made at 制证 (`CertificateIdentifier`); other types keep the number the
    /// department gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gbt36904: Option<Gbt36904>,
}

/// What a GB/T 36904 identifier needs from the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gbt36904 {
    /// 证照类型代码 in the catalogue of certificate types (21 characters).
    pub type_code: String,
    /// 颁发机构代码: the issuing department's 统一社会信用代码.
    pub issuer: crate::id::CreditCode,
}

/// One 事项 of the catalogue, at one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Service {
    /// The 事项编码: lowercase letters, digits, `-` and `_`.
    pub code: String,
    /// Counted from 1; a new version for every edit.
    #[serde(default = "one")]
    pub version: u32,
    pub name: String,
    /// The department that owns it and decides.
    pub department: UnitCode,
    #[serde(rename = "type")]
    pub service_type: ServiceType,
    /// 设定依据: the law and article.
    pub legal_basis: String,
    /// 法定时限, working days from 受理 to the decision.
    pub legal_days: u32,
    /// 承诺时限, working days; at most the legal limit. 0 for a 即办件.
    pub promised_days: u32,
    /// 即办件: decided at once, at 受理.
    #[serde(default)]
    pub instant: bool,
    /// Who may apply (受理条件), in plain words.
    #[serde(default)]
    pub conditions: String,
    #[serde(default)]
    pub materials: Vec<Material>,
    #[serde(default)]
    pub fields: Vec<Field>,
    #[serde(default)]
    pub fees: Vec<Fee>,
    pub depth: Depth,
    /// Where to go when a visit is needed.
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub certificate: Option<CertificateSpec>,
    /// Working days an applicant has to hand in what a 补正 asks for; after them the
    /// application is treated as withdrawn (视为撤回).
    #[serde(default = "thirty")]
    pub supplement_days: u32,
    /// Whether an enterprise applies (with its 统一社会信用代码) rather than a person.
    #[serde(default)]
    pub for_enterprises: bool,
}

fn one() -> u32 {
    1
}
fn thirty() -> u32 {
    30
}

/// 行政许可法 §32: a department that does not tell the applicant what is missing,
/// once and completely, within 5 working days of receiving the material counts the
/// application as accepted from the day it arrived.
pub const NOTICE_DAYS: u32 = 5;
/// §44: the certificate within 10 working days of the decision.
pub const CERTIFICATE_DAYS: u32 = 10;
/// §42: the decision may be extended once, by at most 10 working days, with the
/// head's approval.
pub const EXTENSION_DAYS_MAX: u32 = 10;

fn code_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Service {
    /// Checks a service as a district wrote it; the message names what is wrong.
    pub fn check(&self) -> Result<(), String> {
        let me = &self.code;
        if !code_ok(me) {
            return Err(format!("事项编码 {me:?} 只能由小写字母、数字、“-”和“_”组成"));
        }
        if self.version == 0 {
            return Err(format!("事项 {me}：版本从 1 开始"));
        }
        if self.name.trim().is_empty() || self.legal_basis.trim().is_empty() {
            return Err(format!("事项 {me}：名称和设定依据不能为空"));
        }
        if self.legal_days == 0 || self.legal_days > 365 {
            return Err(format!("事项 {me}：法定时限应为 1 至 365 个工作日"));
        }
        if self.promised_days > self.legal_days {
            return Err(format!(
                "事项 {me}：承诺时限（{}）不能长于法定时限（{}）",
                self.promised_days, self.legal_days
            ));
        }
        if self.instant != (self.promised_days == 0) {
            return Err(format!("事项 {me}：即办件的承诺时限为 0，承诺件的承诺时限至少 1 个工作日"));
        }
        if self.supplement_days == 0 || self.supplement_days > 365 {
            return Err(format!("事项 {me}：补正期限应为 1 至 365 个工作日"));
        }
        if let Depth::Visits(0) = self.depth {
            return Err(format!("事项 {me}：到现场 0 次即全程网办，请写 depth = \"online\""));
        }
        for (i, m) in self.materials.iter().enumerate() {
            if !code_ok(&m.code) || m.name.trim().is_empty() {
                return Err(format!("事项 {me}：材料 {:?} 的编码或名称不符合要求", m.code));
            }
            if self.materials[..i].iter().any(|o| o.code == m.code) {
                return Err(format!("事项 {me}：材料 {} 重复", m.code));
            }
        }
        for (i, f) in self.fields.iter().enumerate() {
            if !code_ok(&f.code) || f.label.trim().is_empty() {
                return Err(format!("事项 {me}：表单字段 {:?} 的编码或名称不符合要求", f.code));
            }
            if self.fields[..i].iter().any(|o| o.code == f.code) {
                return Err(format!("事项 {me}：表单字段 {} 重复", f.code));
            }
            match &f.field_type {
                FieldType::Text { max } if *max == 0 || *max > 5000 => {
                    return Err(format!("事项 {me}：字段 {} 的长度上限应为 1 至 5000", f.code));
                }
                FieldType::Choice { options } if options.len() < 2 => {
                    return Err(format!("事项 {me}：字段 {} 至少要有两个选项", f.code));
                }
                _ => {}
            }
        }
        for (i, s) in self.steps.iter().enumerate() {
            if !code_ok(&s.code) || s.name.trim().is_empty() {
                return Err(format!("事项 {me}：环节 {:?} 的编码或名称不符合要求", s.code));
            }
            if self.steps[..i].iter().any(|o| o.code == s.code) {
                return Err(format!("事项 {me}：环节 {} 重复", s.code));
            }
        }
        for f in &self.fees {
            if !f.amount.parse::<f64>().is_ok_and(|a| a.is_finite() && a >= 0.0) {
                return Err(format!("事项 {me}：收费 {} 的金额 {:?} 不是有效的金额", f.name, f.amount));
            }
        }
        if let Some(c) = &self.certificate
            && (!code_ok(&c.code) || c.name.trim().is_empty())
        {
            return Err(format!("事项 {me}：证照类型 {:?} 的编码或名称不符合要求", c.code));
        }
        if let Some(g) = self.certificate.as_ref().and_then(|c| c.gbt36904.as_ref())
            && let Err(e) = crate::id::CertificateIdentifier::new(&g.type_code, &g.issuer, "1", 1)
        {
            return Err(format!("事项 {me}：电子证照标识（GB/T 36904）设置有误：{}", e.rule));
        }
        Ok(())
    }

    /// The fees in all, in fen (分); none for a free service.
    pub fn fee_fen(&self) -> Option<u64> {
        if self.fees.is_empty() {
            return None;
        }
        Some(self.fees.iter().map(|f| f.amount.trim().parse::<f64>().map_or(0, |a| (a * 100.0).round() as u64)).sum())
    }
    pub fn material(&self, code: &str) -> Option<&Material> {
        self.materials.iter().find(|m| m.code == code)
    }

    /// A step whose time does not count (§45), by code.
    pub fn uncounted_step(&self, code: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.code == code && !s.counted)
    }

    /// Checks a filled-in form against the service's fields: every required field
    /// given, no field the form does not have, each value of its type. Returns the
    /// values as kept (trimmed; numbers, IDs and codes in their normal form).
    pub fn check_form(&self, form: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Refusal> {
        let mut out = BTreeMap::new();
        if let Some(k) = form.keys().find(|k| !self.fields.iter().any(|f| &f.code == *k)) {
            return Err(Refusal::rule("unknown_form_field", format!("表单中没有字段“{k}”")));
        }
        for f in &self.fields {
            let v = form.get(&f.code).map(|v| v.trim()).unwrap_or("");
            if v.is_empty() {
                if f.required {
                    return Err(Refusal::rule("form_field_missing", format!("请填写“{}”", f.label)));
                }
                continue;
            }
            let bad = |why: &str| Refusal::rule("form_field_invalid", format!("“{}”{why}", f.label));
            if !crate::id::is_plain_text(v) {
                return Err(bad("含有不可见的控制字符"));
            }
            let kept = match &f.field_type {
                FieldType::Text { max } => {
                    if v.chars().count() > *max {
                        return Err(bad(&format!("不能超过 {max} 个字")));
                    }
                    v.to_owned()
                }
                FieldType::Number { min, max } => {
                    let n: f64 = crate::id::halfwidth(v)
                        .parse()
                        .ok()
                        .filter(|n: &f64| n.is_finite())
                        .ok_or_else(|| bad("应为数字"))?;
                    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                        return Err(bad("超出允许的范围"));
                    }
                    crate::id::halfwidth(v)
                }
                FieldType::Date => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| bad("应为日期，如 2026-03-01"))?
                    .to_string(),
                FieldType::Choice { options } => {
                    if !options.iter().any(|o| o == v) {
                        return Err(bad(&format!("应为以下之一：{}", options.join("、"))));
                    }
                    v.to_owned()
                }
                FieldType::YesNo => match v {
                    "true" | "是" => "true".into(),
                    "false" | "否" => "false".into(),
                    _ => return Err(bad("应为“是”或“否”")),
                },
                FieldType::Phone => PhoneNumber::parse(v).map_err(|e| field_refusal(f, e))?.as_str().to_owned(),
                FieldType::IdNumber => IdNumber::parse(v).map_err(|e| field_refusal(f, e))?.as_str().to_owned(),
                FieldType::CreditCode => CreditCode::parse(v).map_err(|e| field_refusal(f, e))?.as_str().to_owned(),
            };
            out.insert(f.code.clone(), kept);
        }
        Ok(out)
    }
}

fn field_refusal(f: &Field, e: InvalidValue) -> Refusal {
    Refusal::rule("form_field_invalid", format!("“{}”：{}", f.label, e.rule))
}

/// A district's catalogue as written in one file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    #[serde(rename = "service", default)]
    pub services: Vec<Service>,
    /// 一件事: bundles of the services (`[[bundle]]`), checked against them.
    #[serde(rename = "bundle", default)]
    pub bundles: Vec<crate::bundle::BundleDef>,
}

impl Catalogue {
    /// Reads and checks a catalogue file (`[[service]]` tables).
    pub fn parse_toml(text: &str) -> Result<Self, String> {
        let c: Catalogue = toml::from_str(text).map_err(|e| e.to_string())?;
        c.check()?;
        Ok(c)
    }

    /// Reads and checks the same as JSON (`{"service": [...]}`).
    pub fn parse_json(text: &str) -> Result<Self, String> {
        let c: Catalogue = serde_json::from_str(text).map_err(|e| e.to_string())?;
        c.check()?;
        Ok(c)
    }

    /// Every service valid, and each code once.
    pub fn check(&self) -> Result<(), String> {
        for (i, s) in self.services.iter().enumerate() {
            s.check()?;
            if self.services[..i].iter().any(|o| o.code == s.code) {
                return Err(format!("事项 {} 出现了两次", s.code));
            }
        }
        // A bundle is checked against the services when the app loads it (they may be
        // in the catalogue already rather than in this file).
        for (i, b) in self.bundles.iter().enumerate() {
            if self.bundles[..i].iter().any(|o| o.code == b.code) {
                return Err(format!("一件事 {} 出现了两次", b.code));
            }
        }
        Ok(())
    }

    pub fn get(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.code == code)
    }
}
