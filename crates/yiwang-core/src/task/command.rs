//! What people ask of a task. Names follow GLOSSARY.md (督查督办).

use super::{Milestone, Target};
use crate::id::{UnitCode, Username};
use serde::{Deserialize, Serialize};

/// 立项 and 交办: a confirmed target becomes a task, handed to its lead unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTask {
    pub title: String,
    /// The task type's code (`annual`, `general`, `major` …).
    pub task_type: String,
    pub target: Target,
    /// 牵头单位.
    pub lead: UnitCode,
    /// 配合单位.
    #[serde(default)]
    pub co_units: Vec<UnitCode>,
    /// The last day; without one, the type's own limit or the end of the year.
    #[serde(default)]
    pub deadline: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    /// Whether co-units' achieved values add up with the lead unit's towards the
    /// target (otherwise only the lead unit's counts).
    #[serde(default)]
    pub sum_co_units: bool,
    /// The district leader in charge (分管领导), who receives the last escalation.
    #[serde(default)]
    pub leader: Option<Username>,
    /// The document it comes from (2026年区政府工作报告).
    #[serde(default)]
    pub document: Option<String>,
}

/// One command on an existing task: `{"action": "report", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Command {
    /// 签收部署: the lead unit takes the task on.
    SignFor,
    /// 进度报告: the lead unit's value achieved so far (co-units may leave it out),
    /// what was done, and evidence (file names of uploaded material).
    Report {
        #[serde(default)]
        achieved: Option<f64>,
        text: String,
        #[serde(default)]
        evidence: Vec<String>,
    },
    /// 审核: an inspector accepts or returns a report (by the number of its event).
    Review {
        report: u32,
        accept: bool,
        #[serde(default)]
        note: Option<String>,
    },
    /// 申请延期: the lead unit asks, before the deadline, for a later one.
    RequestExtension { deadline: chrono::NaiveDate, reason: String },
    /// 延期审批.
    DecideExtension {
        approve: bool,
        #[serde(default)]
        note: Option<String>,
    },
    /// 督办通知: an inspector presses the lead unit for a written answer.
    IssueNotice { note: String },
    /// The lead unit's written answer to the notice.
    AnswerNotice { text: String },
    /// 销号: an inspector closes the task off once its target is met with evidence.
    Close {
        #[serde(default)]
        note: Option<String>,
    },
    /// 结项: past its deadline and unmet, concluded as not completed (逾期未完成).
    Conclude { note: String },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Self::SignFor => "sign_for",
            Self::Report { .. } => "report",
            Self::Review { .. } => "review",
            Self::RequestExtension { .. } => "request_extension",
            Self::DecideExtension { .. } => "decide_extension",
            Self::IssueNotice { .. } => "issue_notice",
            Self::AnswerNotice { .. } => "answer_notice",
            Self::Close { .. } => "close",
            Self::Conclude { .. } => "conclude",
        }
    }
}
