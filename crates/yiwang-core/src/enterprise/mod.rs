//! The enterprise register (市场主体名录) of 一网通管, and each enterprise's credit.
//!
//! Every enterprise of the district is a long-lived case of its own kind
//! (`enterprise`, numbers `QY…`), opened when it enters the register and never
//! closed: each change of its register data, each credit fact (an inspection's
//! result, a rectification on time or late, a 行政处罚, the 经营异常名录, a
//! commendation), each 信用修复 and each change of its credit class is an event on its
//! own hash chain, checked by `audit verify` like any case. The other kinds of
//! 一网通管 and 免申即享 read the register through the kind's projection (its detail
//! document is the [`Profile`]) and add facts through its commands.
//!
//! The legal representative (法定代表人) is personal data: the case's person, kept
//! beside the record and sealed, never in an event. Their phone is the register's
//! contact phone, through which the enterprise also logs in to the portal.
//!
//! Its unique key is the case header's tracking code, `enterprise:<code>`: the
//! store's unique index makes "one case per enterprise" hold even for two imports at
//! once.

pub mod credit;
mod kind;

pub use credit::{CreditClass, CreditFact, CreditRules, FactKind};
pub use kind::{EnterpriseKind, check_import, check_registration, decide, evolve, open};

use crate::id::{CaseId, CreditCode, PersonId, UnitCode};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The tracking code that is an enterprise's unique key among cases.
pub fn key(code: &CreditCode) -> String {
    format!("enterprise:{code}")
}

/// What the register holds of an enterprise, as imported or corrected: everything
/// but its record (licences, facts, class), which events add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registration {
    /// 统一社会信用代码 (GB 32100, check character verified).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: CreditCode,
    pub name: String,
    /// 企业类型 (有限责任公司, 个体工商户 …).
    pub entity_type: String,
    /// 国民经济行业分类 (GB/T 4754-2017): a section letter and up to 4 digits, `H6210`.
    pub industry: String,
    pub address: String,
    /// The street (街道) it lies in, a unit of the organisation.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub street: Option<UnitCode>,
    /// (longitude, latitude), WGS-84.
    pub location: Option<(f64, f64)>,
    /// 注册资本, in 元.
    pub capital: u64,
    pub employees: u32,
    /// 成立日期.
    pub founded: NaiveDate,
    /// 高新技术企业, 小微企业, 重点排污单位, 食品经营 …
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The register's row of an enterprise as other kinds read it: its registration,
/// the licences it holds and its credit now. No personal data. It is the kind's
/// detail document, so the whole register is read from projections alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: CreditCode,
    pub name: String,
    pub entity_type: String,
    pub industry: String,
    pub address: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub street: Option<UnitCode>,
    pub location: Option<(f64, f64)>,
    pub capital: u64,
    pub employees: u32,
    pub founded: NaiveDate,
    pub tags: Vec<String>,
    /// Numbers of the licences (e-certificates) it holds.
    pub licences: Vec<String>,
    pub class: CreditClass,
    /// On the 经营异常名录 now.
    pub abnormal: bool,
    /// The date of its latest 行政处罚 not repaired.
    pub last_penalty: Option<NaiveDate>,
}

/// A licence it holds: an e-certificate of 一网通办 (its number and name, and the
/// application that issued it), or one recorded from elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Licence {
    pub number: String,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub case: Option<CaseId>,
}

/// A credit fact as the record keeps it: numbered in the order recorded, and marked
/// once repaired (the fact stays; it no longer counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordedFact {
    pub number: u32,
    pub fact: CreditFact,
    pub recorded_at: DateTime<Utc>,
    /// When it was repaired (信用修复), and by which case.
    pub repaired_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub repaired_by: Option<CaseId>,
}

/// A change of class, with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClassChange {
    pub at: DateTime<Utc>,
    pub from: Option<CreditClass>,
    pub to: CreditClass,
    pub reasons: Vec<String>,
}

/// An enterprise as its case knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enterprise {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub registration: Registration,
    /// The unit keeping the register (the 市场监管局 that imported it).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    /// The legal representative: name and phone kept apart.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>))]
    pub person: Option<PersonId>,
    pub licences: Vec<Licence>,
    pub facts: Vec<RecordedFact>,
    pub class: CreditClass,
    pub class_history: Vec<ClassChange>,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
}

impl Enterprise {
    pub fn code(&self) -> &CreditCode {
        &self.registration.code
    }
    /// The facts that count: recorded and not repaired.
    pub fn standing_facts(&self) -> impl Iterator<Item = &CreditFact> + Clone {
        self.facts.iter().filter(|f| f.repaired_at.is_none()).map(|f| &f.fact)
    }
    pub fn fact(&self, number: u32) -> Option<&RecordedFact> {
        self.facts.iter().find(|f| f.number == number)
    }
    /// On the 经营异常名录 now: its latest standing listing or removal is a listing.
    pub fn abnormal(&self) -> bool {
        credit::abnormal(self.standing_facts())
    }
    /// The register's row of it.
    pub fn profile(&self) -> Profile {
        let r = &self.registration;
        Profile {
            code: r.code.clone(),
            name: r.name.clone(),
            entity_type: r.entity_type.clone(),
            industry: r.industry.clone(),
            address: r.address.clone(),
            street: r.street.clone(),
            location: r.location,
            capital: r.capital,
            employees: r.employees,
            founded: r.founded,
            tags: r.tags.clone(),
            licences: self.licences.iter().map(|l| l.number.clone()).collect(),
            class: self.class,
            abnormal: self.abnormal(),
            last_penalty: self.standing_facts().filter(|f| f.kind == FactKind::Penalty).map(|f| f.date).max(),
        }
    }
}

/// Commands on an enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Command {
    /// 变更登记: the register's data corrected or re-imported.
    Update { registration: Registration },
    /// A credit fact: from an inspection, a rectification, a penalty, the 经营异常名录,
    /// a commendation.
    RecordFact { fact: CreditFact },
    /// 信用修复 approved: the fact stops counting; the record keeps it.
    Repair {
        number: u32,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        repair: Option<CaseId>,
        note: String,
    },
    /// A licence it was issued.
    LinkLicence { licence: Licence },
}

/// Stored as JSON and hashed: never rename or remove a field or variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnterpriseEvent {
    /// 登记入库, by the unit keeping the register.
    Registered {
        registration: Registration,
        unit: UnitCode,
        #[serde(default)]
        person: Option<PersonId>,
    },
    /// 变更: the whole registration as it now stands, and the fields that changed.
    Updated {
        registration: Registration,
        changed: Vec<String>,
    },
    LicenceLinked {
        licence: Licence,
    },
    FactRecorded {
        number: u32,
        fact: CreditFact,
    },
    FactRepaired {
        number: u32,
        #[serde(default)]
        repair: Option<CaseId>,
        note: String,
    },
    /// 信用分类变更, with the rules that decided it.
    Classified {
        from: Option<CreditClass>,
        to: CreditClass,
        reasons: Vec<String>,
    },
}

impl EnterpriseEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Registered { .. } => "registered",
            Self::Updated { .. } => "updated",
            Self::LicenceLinked { .. } => "licence_linked",
            Self::FactRecorded { .. } => "fact_recorded",
            Self::FactRepaired { .. } => "fact_repaired",
            Self::Classified { .. } => "classified",
        }
    }
    pub fn summary(&self) -> String {
        match self {
            Self::Registered { registration, .. } => format!("登记入库：{}", registration.name),
            Self::Updated { changed, .. } => format!("登记信息变更：{}", changed.join("、")),
            Self::LicenceLinked { licence } => format!("取得证照：{}（{}）", licence.name, licence.number),
            Self::FactRecorded { number, fact } => {
                format!("记录信用信息 #{number}：{}（{}）{}", fact.kind.label(), fact.date, fact.note)
            }
            Self::FactRepaired { number, note, .. } => format!("信用修复：信息 #{number} 不再计入（{note}）"),
            Self::Classified { from, to, reasons } => match from {
                Some(f) => format!("信用风险分类由 {} 调整为 {}：{}", f.label(), to.label(), reasons.join("；")),
                None => format!("信用风险分类为 {}：{}", to.label(), reasons.join("；")),
            },
        }
    }
}

pub type EnterpriseEnvelope = crate::case::Envelope<EnterpriseEvent>;

/// The register's own columns: what other kinds and queues read and filter by.
pub type EnterpriseDetail = Profile;
