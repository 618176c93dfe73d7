//! Credit classes (信用风险分类) and how an enterprise's record sets its class.
//!
//! The four classes follow the 市场监管总局's 企业信用风险分类管理 (A 低风险, B 中风险,
//! C 中高风险, D 高风险); a class sets the sampling ratio of random inspections.
//! The class is a function of the standing facts of the record and the day, by the
//! rules below, whose thresholds and windows are data (`[credit]` of `limits.toml`):
//!
//! 1. **D** when the enterprise is on the 经营异常名录, or has at least
//!    `d_penalties` (2) 行政处罚 within `penalty_months` (24).
//! 2. **C** when it has a 行政处罚 within `penalty_months`, or at least `c_failures`
//!    (2) failures (an inspection that found problems, a rectification finished late)
//!    within `failure_months` (12).
//! 3. **B** when it has a failure within `failure_months`.
//! 4. **A** when it has, within `positive_months` (24), a positive fact (an
//!    inspection without problems, a rectification on time, a commendation) and none
//!    of the above.
//! 5. **B** otherwise: an enterprise with no record is of medium risk.
//!
//! A repaired fact (信用修复) no longer counts, and a fact counts from its date until
//! its window ends: as windows end the class improves by itself (the scheduler
//! records it). 信用修复 can be asked for a fact once it has stood for the period
//! the rules set: 6 months for a 行政处罚 (12 in food, drugs and special equipment),
//! 3 for a failure, at once for the 经营异常名录 (once its cause is corrected).

use crate::calendar::civil_date;
use crate::id::CaseId;
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// 信用风险分类.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CreditClass {
    A,
    B,
    C,
    D,
}

impl CreditClass {
    pub const ALL: [Self; 4] = [Self::A, Self::B, Self::C, Self::D];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
        }
    }
    /// The class with its risk, as pages show it.
    pub fn label(self) -> &'static str {
        match self {
            Self::A => "A类（低风险）",
            Self::B => "B类（中风险）",
            Self::C => "C类（中高风险）",
            Self::D => "D类（高风险）",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// What a credit fact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FactKind {
    /// 检查未发现问题.
    InspectionPassed,
    /// 检查发现问题 (责令整改).
    InspectionFailed,
    /// 整改按期完成.
    RectifiedOnTime,
    /// 整改逾期完成 or not done.
    RectifiedLate,
    /// 行政处罚.
    Penalty,
    /// 列入经营异常名录.
    AbnormalListed,
    /// 移出经营异常名录.
    AbnormalRemoved,
    /// 表彰, 守信激励 …
    Commendation,
}

impl FactKind {
    pub const ALL: [Self; 8] = [
        Self::InspectionPassed,
        Self::InspectionFailed,
        Self::RectifiedOnTime,
        Self::RectifiedLate,
        Self::Penalty,
        Self::AbnormalListed,
        Self::AbnormalRemoved,
        Self::Commendation,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InspectionPassed => "inspection_passed",
            Self::InspectionFailed => "inspection_failed",
            Self::RectifiedOnTime => "rectified_on_time",
            Self::RectifiedLate => "rectified_late",
            Self::Penalty => "penalty",
            Self::AbnormalListed => "abnormal_listed",
            Self::AbnormalRemoved => "abnormal_removed",
            Self::Commendation => "commendation",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::InspectionPassed => "检查未发现问题",
            Self::InspectionFailed => "检查发现问题",
            Self::RectifiedOnTime => "整改按期完成",
            Self::RectifiedLate => "整改逾期",
            Self::Penalty => "行政处罚",
            Self::AbnormalListed => "列入经营异常名录",
            Self::AbnormalRemoved => "移出经营异常名录",
            Self::Commendation => "表彰奖励",
        }
    }
    fn failure(self) -> bool {
        matches!(self, Self::InspectionFailed | Self::RectifiedLate)
    }
    fn positive(self) -> bool {
        matches!(self, Self::InspectionPassed | Self::RectifiedOnTime | Self::Commendation)
    }
    /// Whether 信用修复 applies to it: the facts that count against a class.
    pub fn repairable(self) -> bool {
        matches!(self, Self::InspectionFailed | Self::RectifiedLate | Self::Penalty | Self::AbnormalListed)
    }
}

/// One fact of an enterprise's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditFact {
    pub kind: FactKind,
    /// The day it happened (a penalty's decision, an inspection's end …).
    pub date: NaiveDate,
    /// The case it came from (an inspection, a rectification), if any.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub source: Option<CaseId>,
    /// What it was: a penalty's decision number, a finding …
    #[serde(default)]
    pub note: String,
    /// In food, drugs or special equipment, where repair waits longer.
    #[serde(default)]
    pub special: bool,
}

/// The thresholds and windows of the class rules and the periods of 信用修复: data,
/// `[credit]` in `limits.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CreditRules {
    /// How long a 行政处罚 counts, in months.
    pub penalty_months: u32,
    /// Penalties within `penalty_months` that make an enterprise D.
    pub d_penalties: usize,
    /// How long a failure counts.
    pub failure_months: u32,
    /// Failures within `failure_months` that make an enterprise C.
    pub c_failures: usize,
    /// How long a positive fact counts towards A.
    pub positive_months: u32,
    /// Months a penalty must stand before 信用修复 (公示满6个月).
    pub repair_penalty_months: u32,
    /// … in food, drugs and special equipment (满1年).
    pub repair_penalty_special_months: u32,
    /// Months a failure must stand before 信用修复.
    pub repair_failure_months: u32,
    /// Working days the department has to decide a 信用修复.
    pub repair_review_days: u32,
}

impl Default for CreditRules {
    fn default() -> Self {
        CreditRules {
            penalty_months: 24,
            d_penalties: 2,
            failure_months: 12,
            c_failures: 2,
            positive_months: 24,
            repair_penalty_months: 6,
            repair_penalty_special_months: 12,
            repair_failure_months: 3,
            repair_review_days: 5,
        }
    }
}

impl CreditRules {
    pub fn check(&self) -> Result<(), String> {
        if self.d_penalties == 0 || self.c_failures == 0 {
            return Err("[credit]: d_penalties and c_failures must be at least 1".into());
        }
        if self.penalty_months == 0 || self.failure_months == 0 || self.positive_months == 0 {
            return Err("[credit]: the windows must be at least 1 month".into());
        }
        Ok(())
    }

    /// The first day on which 信用修复 of `fact` may be asked for.
    pub fn repairable_from(&self, fact: &CreditFact) -> Option<NaiveDate> {
        let months = match fact.kind {
            FactKind::Penalty if fact.special => self.repair_penalty_special_months,
            FactKind::Penalty => self.repair_penalty_months,
            FactKind::InspectionFailed | FactKind::RectifiedLate => self.repair_failure_months,
            FactKind::AbnormalListed => 0,
            _ => return None,
        };
        fact.date.checked_add_months(Months::new(months))
    }

    fn window(&self, kind: FactKind) -> Option<u32> {
        if kind == FactKind::Penalty {
            Some(self.penalty_months)
        } else if kind.failure() {
            Some(self.failure_months)
        } else if kind.positive() {
            Some(self.positive_months)
        } else {
            None
        }
    }

    /// The day a fact stops counting, if it ever does.
    pub fn counts_until(&self, fact: &CreditFact) -> Option<NaiveDate> {
        self.window(fact.kind).and_then(|m| fact.date.checked_add_months(Months::new(m)))
    }
}

/// On the 经营异常名录: the latest listing or removal among `facts` is a listing.
pub fn abnormal<'a>(facts: impl Iterator<Item = &'a CreditFact>) -> bool {
    let mut last: Option<(&NaiveDate, bool)> = None;
    for f in facts {
        let listed = match f.kind {
            FactKind::AbnormalListed => true,
            FactKind::AbnormalRemoved => false,
            _ => continue,
        };
        if last.is_none_or(|(d, _)| f.date >= *d) {
            last = Some((&f.date, listed));
        }
    }
    last.is_some_and(|(_, l)| l)
}

/// The class `facts` (the standing ones) give on `today`, with the reasons.
pub fn classify<'a>(
    facts: impl Iterator<Item = &'a CreditFact> + Clone,
    today: NaiveDate,
    rules: &CreditRules,
) -> (CreditClass, Vec<String>) {
    let counting = |kind: fn(FactKind) -> bool| {
        let mut v: Vec<&CreditFact> = facts
            .clone()
            .filter(|f| kind(f.kind) && f.date <= today && rules.counts_until(f).is_some_and(|end| today < end))
            .collect();
        v.sort_by_key(|f| f.date);
        v
    };
    let dates = |v: &[&CreditFact]| v.iter().map(|f| f.date.to_string()).collect::<Vec<_>>().join("、");
    let penalties = counting(|k| k == FactKind::Penalty);
    let failures = counting(FactKind::failure);
    let positives = counting(FactKind::positive);
    if abnormal(facts.clone()) {
        return (CreditClass::D, vec!["列入经营异常名录未移出".into()]);
    }
    if penalties.len() >= rules.d_penalties {
        return (
            CreditClass::D,
            vec![format!("{}个月内受到行政处罚{}次（{}）", rules.penalty_months, penalties.len(), dates(&penalties))],
        );
    }
    let mut reasons = vec![];
    if !penalties.is_empty() {
        reasons.push(format!("{}个月内受到行政处罚（{}）", rules.penalty_months, dates(&penalties)));
    }
    if failures.len() >= rules.c_failures {
        reasons.push(format!(
            "{}个月内检查发现问题或整改逾期{}次（{}）",
            rules.failure_months,
            failures.len(),
            dates(&failures)
        ));
    }
    if !reasons.is_empty() {
        return (CreditClass::C, reasons);
    }
    if !failures.is_empty() {
        return (
            CreditClass::B,
            vec![format!("{}个月内检查发现问题或整改逾期（{}）", rules.failure_months, dates(&failures))],
        );
    }
    if !positives.is_empty() {
        let kinds: Vec<&str> = positives.iter().map(|f| f.kind.label()).collect();
        return (
            CreditClass::A,
            vec![format!(
                "{}个月内无失信记录，有良好记录（{}：{}）",
                rules.positive_months,
                kinds.join("、"),
                dates(&positives)
            )],
        );
    }
    (CreditClass::B, vec!["无信用记录，按中风险管理".into()])
}

/// The next instant after `now` at which some fact stops counting, when the class
/// may change by itself.
pub fn next_change<'a>(
    facts: impl Iterator<Item = &'a CreditFact>,
    now: DateTime<Utc>,
    rules: &CreditRules,
) -> Option<DateTime<Utc>> {
    let today = civil_date(now);
    facts
        .flat_map(|f| [Some(f.date), rules.counts_until(f)])
        .flatten()
        .filter(|day| *day > today)
        .min()
        .map(crate::calendar::day_start)
}
