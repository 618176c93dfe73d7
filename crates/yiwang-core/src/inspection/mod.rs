//! The inspection (行政检查) of 一网通管: one enterprise checked on one supervision
//! matter, by at least one law-enforcement inspector (执法检查人员) of the department
//! that holds the case.
//!
//! An inspection comes from a random draw (双随机, `Source::Draw`), from a referral of
//! a 12345 appeal or a grid worker's patrol (`Source::Referral`), or from a
//! rectification's re-inspection (`Source::Recheck`). On site, from a phone, an
//! inspector records each check item's finding (符合 / 不符合 / 不涉及, with text),
//! photos, the place and time, the enterprise's signature (a drawn image) or its
//! refusal (拒签, with the reason), and the result: 未发现问题, 发现问题责令整改, 立案查处
//! or 未找到企业. That ends the inspection and starts the publication clock: results
//! are published within `publish_days` working days (20, 国发〔2019〕5号), yellow and
//! red on the engine's clocks.
//!
//! A result with problems (every result but 未发现问题) is not final at once: the
//! enterprise may answer it (陈述申辩) within `statement_days` working days (5). The
//! department answers a statement (accepted, with the result changed, or rejected
//! with the reason), and the result is final; with no statement, it is final when the
//! period ends (the scheduler records it). A final result is published by the
//! department's 监管人员. The app follows a final result up (`Command::Follow`, by the
//! system, once): the credit fact on the enterprise's record, and for 责令整改 the
//! rectification case (整改, `crate::rectification`).

mod kind;

pub use kind::{InspectionKind, MAX_FILES, MAX_ITEMS, alarms, decide, evolve, is_upload, open, publish_clock};

use crate::deadline::{Clock, ClockName};
use crate::enterprise::FactKind;
use crate::id::{CaseId, CreditCode, UnitCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One item of a matter's check list (检查事项的检查内容).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckItem {
    pub code: String,
    pub name: String,
}

/// An inspector named on the case: from the 执法检查人员名录 (`id`, e.g. the 执法证
/// number), and their staff login when they have one (who may then record it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectorRef {
    pub id: String,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    #[serde(default)]
    pub username: Option<String>,
}

/// Why the inspection happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Source {
    /// Drawn at random by a plan (双随机).
    Draw {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        plan: CaseId,
    },
    /// Referred from a 12345 appeal or a patrol (问题移送): a targeted inspection.
    Referral {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        case: CaseId,
        reason: String,
    },
    /// A rectification's re-inspection (复查).
    Recheck {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        rectification: CaseId,
    },
}

impl Source {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Draw { .. } => "draw",
            Self::Referral { .. } => "referral",
            Self::Recheck { .. } => "recheck",
        }
    }
    pub fn label(&self) -> &'static str {
        match self {
            Self::Draw { .. } => "双随机抽查",
            Self::Referral { .. } => "问题移送",
            Self::Recheck { .. } => "整改复查",
        }
    }
    /// The case it comes from.
    pub fn case(&self) -> &CaseId {
        match self {
            Self::Draw { plan } => plan,
            Self::Referral { case, .. } => case,
            Self::Recheck { rectification } => rectification,
        }
    }
}

/// What opens an inspection: by a draw (the system or a 监管人员), a referral (the
/// appeal's handler) or a recheck.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewInspection {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub enterprise: CreditCode,
    pub enterprise_name: String,
    /// The supervision matter's code (随机抽查事项清单).
    pub matter: String,
    pub matter_name: String,
    pub items: Vec<CheckItem>,
    /// At least one, except a referral, whose department may assign them later.
    pub inspectors: Vec<InspectorRef>,
    /// The department that holds it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    pub source: Source,
}

/// 符合 / 不符合 / 不涉及.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Conformity {
    Conforms,
    Fails,
    NotApplicable,
}

impl Conformity {
    pub const ALL: [Self; 3] = [Self::Conforms, Self::Fails, Self::NotApplicable];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conforms => "conforms",
            Self::Fails => "fails",
            Self::NotApplicable => "not_applicable",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Conforms => "符合",
            Self::Fails => "不符合",
            Self::NotApplicable => "不涉及",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One check item's finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// The check item's code.
    pub item: String,
    pub conformity: Conformity,
    #[serde(default)]
    pub note: String,
}

/// The result of an inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    /// 未发现问题.
    Passed,
    /// 发现问题，责令整改.
    Rectify,
    /// 立案查处.
    Case,
    /// 未找到企业（经营异常）.
    NotFound,
}

impl Outcome {
    pub const ALL: [Self; 4] = [Self::Passed, Self::Rectify, Self::Case, Self::NotFound];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Rectify => "rectify",
            Self::Case => "case",
            Self::NotFound => "not_found",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Passed => "未发现问题",
            Self::Rectify => "发现问题，责令整改",
            Self::Case => "立案查处",
            Self::NotFound => "未找到企业（经营异常）",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// The credit fact the final result puts on the enterprise's record.
    pub fn fact(self) -> FactKind {
        match self {
            Self::Passed => FactKind::InspectionPassed,
            Self::Rectify => FactKind::InspectionFailed,
            Self::Case => FactKind::Penalty,
            Self::NotFound => FactKind::AbnormalListed,
        }
    }
    /// Whether the enterprise may answer it (陈述申辩) before it is final.
    pub fn answerable(self) -> bool {
        self != Self::Passed
    }
}

/// The enterprise's signature on the record, or its refusal (拒签).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Signature {
    /// A drawn signature image (`uploads/…`), and who signed.
    Signed { image: String, signer: String },
    /// 拒签, with the reason the inspector recorded.
    Refused { reason: String },
    /// Nobody to sign (未找到企业).
    Absent,
}

/// What the inspector records on site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnSite {
    pub findings: Vec<Finding>,
    pub outcome: Outcome,
    /// 检查情况.
    pub summary: String,
    /// (longitude, latitude), WGS-84, from the phone.
    #[serde(default)]
    pub place: Option<(f64, f64)>,
    /// When it was done on site.
    pub inspected_at: DateTime<Utc>,
    /// Photos (`uploads/…`), uploaded for this case.
    #[serde(default)]
    pub photos: Vec<String>,
    pub signature: Signature,
    /// 责令整改's period, natural days: required for `rectify`.
    #[serde(default)]
    pub rectify_days: Option<u32>,
}

/// Commands on an inspection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Command {
    /// 指派检查人员, by the department's 监管人员, before the inspection is recorded.
    Assign { inspectors: Vec<InspectorRef> },
    /// 现场检查结果, by one of its inspectors.
    Record { on_site: OnSite },
    /// 陈述申辩, by the enterprise (the app has checked its binding).
    State {
        text: String,
        #[serde(default)]
        files: Vec<String>,
    },
    /// 申辩答复, by the department's 监管人员: accepted (the result changes to
    /// `outcome`) or rejected.
    Answer {
        accepted: bool,
        reply: String,
        #[serde(default)]
        outcome: Option<Outcome>,
        #[serde(default)]
        rectify_days: Option<u32>,
    },
    /// 结果公示, by the department's 监管人员, once final.
    Publish,
    /// The follow-up of a final result is done (the system, once).
    Follow {
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        rectification: Option<CaseId>,
        #[serde(default)]
        fact: Option<FactKind>,
    },
}

/// The inspection's clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InspectionClock {
    /// 结果公示: from the inspection's end.
    Publish,
}

impl ClockName for InspectionClock {
    fn label(self) -> &'static str {
        "结果公示"
    }
}

/// Stored as JSON and hashed: never rename or remove a field or variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InspectionEvent {
    Opened {
        enterprise: CreditCode,
        enterprise_name: String,
        matter: String,
        matter_name: String,
        items: Vec<CheckItem>,
        inspectors: Vec<InspectorRef>,
        unit: UnitCode,
        source: Source,
        /// The unit that referred it (the appeal's handler), which keeps sight of it.
        #[serde(default)]
        referred_by: Option<UnitCode>,
    },
    Assigned {
        inspectors: Vec<InspectorRef>,
    },
    Recorded {
        on_site: OnSite,
        /// The end of 陈述申辩's period; none when the result is final at once.
        #[serde(default)]
        statement_due: Option<DateTime<Utc>>,
        publish: Clock<InspectionClock>,
    },
    Stated {
        text: String,
        #[serde(default)]
        files: Vec<String>,
    },
    Answered {
        accepted: bool,
        reply: String,
        outcome: Outcome,
        #[serde(default)]
        rectify_days: Option<u32>,
    },
    /// The result is final (at once, after the answer, or when the period ended).
    Finalised {
        outcome: Outcome,
    },
    Published,
    Followed {
        #[serde(default)]
        rectification: Option<CaseId>,
        #[serde(default)]
        fact: Option<FactKind>,
    },
    ClockWarned {
        clock: InspectionClock,
        due: DateTime<Utc>,
    },
    ClockOverdue {
        clock: InspectionClock,
        due: DateTime<Utc>,
    },
}

impl InspectionEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Opened { .. } => "opened",
            Self::Assigned { .. } => "assigned",
            Self::Recorded { .. } => "recorded",
            Self::Stated { .. } => "stated",
            Self::Answered { .. } => "answered",
            Self::Finalised { .. } => "finalised",
            Self::Published => "published",
            Self::Followed { .. } => "followed",
            Self::ClockWarned { .. } => "clock_warned",
            Self::ClockOverdue { .. } => "clock_overdue",
        }
    }
    pub fn summary(&self) -> String {
        match self {
            Self::Opened { enterprise_name, matter_name, source, .. } => {
                format!("{}：{enterprise_name}，{matter_name}", source.label())
            }
            Self::Assigned { inspectors } => {
                format!("指派检查人员：{}", inspectors.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join("、"))
            }
            Self::Recorded { on_site, .. } => format!("现场检查：{}", on_site.outcome.label()),
            Self::Stated { .. } => "企业提出陈述申辩".into(),
            Self::Answered { accepted: true, outcome, reply, .. } => {
                format!("采纳陈述申辩，结果改为{}：{reply}", outcome.label())
            }
            Self::Answered { accepted: false, reply, .. } => format!("不予采纳陈述申辩：{reply}"),
            Self::Finalised { outcome } => format!("检查结果确定：{}", outcome.label()),
            Self::Published => "检查结果已公示".into(),
            Self::Followed { rectification, fact } => {
                let mut s = "结果已处理：".to_owned();
                if let Some(f) = fact {
                    s.push_str(&format!("记入信用档案（{}）", f.label()));
                }
                if let Some(r) = rectification {
                    s.push_str(&format!("；整改 {r}"));
                }
                s
            }
            Self::ClockWarned { .. } => "结果公示即将届满（黄灯）".into(),
            Self::ClockOverdue { .. } => "结果公示已超期（红灯）".into(),
        }
    }
}

/// Where an inspection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InspectionStatus {
    /// 待指派: a referral without inspectors yet.
    Unassigned,
    /// 待检查.
    Assigned,
    /// 陈述申辩期: recorded, not final yet.
    Recorded,
    /// 申辩待答复.
    Stated,
    /// 待公示: final.
    Final,
    /// 已公示.
    Published,
}

impl InspectionStatus {
    pub const ALL: [Self; 6] =
        [Self::Unassigned, Self::Assigned, Self::Recorded, Self::Stated, Self::Final, Self::Published];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unassigned => "unassigned",
            Self::Assigned => "assigned",
            Self::Recorded => "recorded",
            Self::Stated => "stated",
            Self::Final => "final",
            Self::Published => "published",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Unassigned => "待指派",
            Self::Assigned => "待检查",
            Self::Recorded => "陈述申辩期",
            Self::Stated => "申辩待答复",
            Self::Final => "待公示",
            Self::Published => "已公示",
        }
    }
}

/// A statement (陈述申辩) and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statement {
    pub text: String,
    pub files: Vec<String>,
    pub at: DateTime<Utc>,
    pub accepted: Option<bool>,
    pub reply: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// An inspection as its case knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inspection {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub status: InspectionStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub enterprise: CreditCode,
    pub enterprise_name: String,
    pub matter: String,
    pub matter_name: String,
    pub items: Vec<CheckItem>,
    pub inspectors: Vec<InspectorRef>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    pub source: Source,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub referred_by: Option<UnitCode>,
    pub on_site: Option<OnSite>,
    /// When it was recorded: the inspection's end.
    pub ended_at: Option<DateTime<Utc>>,
    pub statement_due: Option<DateTime<Utc>>,
    pub statement: Option<Statement>,
    /// The result as it stands (final from `final_at`).
    pub outcome: Option<Outcome>,
    pub rectify_days: Option<u32>,
    pub final_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub followed: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub rectification: Option<CaseId>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub clocks: Vec<Clock<InspectionClock>>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
}

impl Inspection {
    /// Whether `username` is one of its inspectors.
    pub fn is_inspector(&self, username: &str) -> bool {
        self.inspectors.iter().any(|i| i.username.as_deref() == Some(username))
    }
}

pub type InspectionEnvelope = crate::case::Envelope<InspectionEvent>;

/// 一网通管's periods: `[supervision]` in `limits.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupervisionLimits {
    /// Working days from an inspection's end to its result's publication: 20
    /// (国发〔2019〕5号).
    pub publish_days: u32,
    /// Working days the enterprise has to answer a finding (陈述申辩): 5.
    pub statement_days: u32,
    /// The longest 责令整改 period, natural days: 90.
    pub rectify_days_max: u32,
}

impl Default for SupervisionLimits {
    fn default() -> Self {
        SupervisionLimits { publish_days: 20, statement_days: 5, rectify_days_max: 90 }
    }
}

impl SupervisionLimits {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=60).contains(&self.publish_days) {
            return Err("[supervision] publish_days must be 1 to 60 working days".into());
        }
        if !(1..=30).contains(&self.statement_days) {
            return Err("[supervision] statement_days must be 1 to 30 working days".into());
        }
        if !(1..=365).contains(&self.rectify_days_max) {
            return Err("[supervision] rectify_days_max must be 1 to 365 days".into());
        }
        Ok(())
    }
}

/// The inspection's own columns: what queues, the portal and the public page read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectionDetail {
    pub enterprise: String,
    pub enterprise_name: String,
    pub matter: String,
    pub matter_name: String,
    pub source: String,
    /// The case it comes from (the plan, the appeal, the rectification).
    pub source_case: String,
    pub inspectors: Vec<String>,
    pub outcome: Option<Outcome>,
    pub ended_at: Option<DateTime<Utc>>,
    pub is_final: bool,
    pub published: bool,
    /// A final result not yet followed up: what the app's repair looks for.
    pub follow_up: bool,
}
