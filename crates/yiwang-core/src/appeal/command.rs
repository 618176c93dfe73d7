//! What people ask the engine to do. Names follow GLOSSARY.md.

use super::{AppealType, Channel, Location, Satisfaction};
use crate::deadline::Urgency;
use crate::id::{CaseId, CategoryCode, PersonId, UnitCode};
use serde::{Deserialize, Serialize};

/// A new appeal (受理). Personal data has already been put beside the record; only
/// its id comes here.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub channel: Channel,
    pub appeal_type: AppealType,
    pub urgency: Urgency,
    pub title: Option<String>,
    pub text: String,
    pub location: Location,
    pub citizen: Option<PersonId>,
    pub attachments: Vec<String>,
    /// The operator's classification at intake, if made.
    pub category: Option<CategoryCode>,
    pub tracking_code: crate::id::TrackingCode,
    /// The citizen asked that it not be published.
    pub private: bool,
}

/// How a unit finished a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReplyOutcome {
    /// 已解决
    Resolved,
    /// 无法解决 (the reason is the reply text): e.g. beyond the law, or a demand that
    /// cannot be met.
    CannotSolve,
}

/// The citizen's answer at callback (回访).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackAnswer {
    pub solved: bool,
    pub satisfaction: Satisfaction,
}

/// One command on an existing case: `{"action": "dispatch", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Action {
    /// 派单: send the case to a unit with a category. Without `unit`, the category's
    /// owner.
    Dispatch {
        category: CategoryCode,
        #[serde(default)]
        unit: Option<UnitCode>,
        #[serde(default)]
        note: Option<String>,
    },
    /// 签收
    SignFor,
    /// 退单: not ours; back to the centre for re-dispatch.
    Return { reason: String },
    /// 改派: the centre moves the case to another unit.
    Reassign {
        unit: UnitCode,
        #[serde(default)]
        category: Option<CategoryCode>,
        reason: String,
    },
    /// 吹哨: the handling unit summons co-units.
    Summon {
        units: Vec<UnitCode>,
        #[serde(default)]
        note: Option<String>,
    },
    /// 报到: a summoned unit reports in.
    ReportIn,
    /// A co-unit's answer for its own part.
    AnswerPart { text: String },
    /// 联系诉求人
    Contact { note: String },
    /// 申请延期
    RequestExtension { working_days: u32, reason: String },
    /// 延期审批
    DecideExtension {
        approve: bool,
        #[serde(default)]
        note: Option<String>,
    },
    /// 催办
    Remind { note: String },
    /// 督办
    Supervise { note: String },
    /// Pause the clock while waiting on the citizen (e.g. for material).
    Suspend { reason: String },
    /// Restart the paused clock.
    Resume,
    /// 答复/办结 by the handling unit, with photos of the work done (处置后照片,
    /// upload names) if any.
    Reply {
        outcome: ReplyOutcome,
        text: String,
        #[serde(default)]
        photos: Vec<String>,
    },
    /// 回访: a solved answer closes the case; an unsolved one waits for the centre to
    /// reopen or close it.
    Callback {
        solved: bool,
        satisfaction: Satisfaction,
        #[serde(default)]
        note: Option<String>,
    },
    /// 重办: back to the unit; the only action a closed case accepts.
    Reopen { reason: String },
    /// 结案 without (further) callback, e.g. an anonymous appeal.
    Close {
        #[serde(default)]
        note: Option<String>,
    },
    /// 合并: a duplicate of another case.
    Merge { into: CaseId },
    /// 直接办结: the operator answered a consultation on the call.
    AnswerDirectly { answer: String },
    /// On a master: note that a duplicate joined it (system only, after a merge).
    #[serde(skip)]
    NoteDuplicate { case: CaseId },
    /// On a joined duplicate: the master's reply (system only).
    #[serde(skip)]
    ShareReply { master: CaseId, reply: super::state::ReplyRecord },
    /// The scheduler marks clocks yellow or red (system only).
    #[serde(skip)]
    Tick,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Dispatch { .. } => "dispatch",
            Action::SignFor => "sign_for",
            Action::Return { .. } => "return",
            Action::Reassign { .. } => "reassign",
            Action::Summon { .. } => "summon",
            Action::ReportIn => "report_in",
            Action::AnswerPart { .. } => "answer_part",
            Action::Contact { .. } => "contact",
            Action::RequestExtension { .. } => "request_extension",
            Action::DecideExtension { .. } => "decide_extension",
            Action::Remind { .. } => "remind",
            Action::Supervise { .. } => "supervise",
            Action::Suspend { .. } => "suspend",
            Action::Resume => "resume",
            Action::Reply { .. } => "reply",
            Action::Callback { .. } => "callback",
            Action::Reopen { .. } => "reopen",
            Action::Close { .. } => "close",
            Action::Merge { .. } => "merge",
            Action::AnswerDirectly { .. } => "answer_directly",
            Action::NoteDuplicate { .. } => "note_duplicate",
            Action::ShareReply { .. } => "share_reply",
            Action::Tick => "tick",
        }
    }
}
