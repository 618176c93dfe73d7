//! What happened to a case. Events are appended, never updated; each carries the
//! deadlines computed when it happened, so `evolve` needs no calendar.

use super::command::ReplyOutcome;
use super::limits::{Clock, ClockKind};
use super::{AppealType, Channel, Location, Satisfaction};
use crate::deadline::Urgency;
use crate::id::{CaseId, CategoryCode, PersonId, TrackingCode, UnitCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AppealEvent {
    /// 受理
    Accepted {
        channel: Channel,
        appeal_type: AppealType,
        urgency: Urgency,
        title: Option<String>,
        text: String,
        location: Location,
        citizen: Option<PersonId>,
        attachments: Vec<String>,
        category: Option<CategoryCode>,
        tracking_code: TrackingCode,
        dispatch_clock: Clock,
        /// The citizen asked that the appeal not be published (Open311, the portal's
        /// public lists). Absent in events recorded before it existed.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        private: bool,
    },
    /// 派单 (also re-dispatch after a return)
    Dispatched {
        unit: UnitCode,
        category: CategoryCode,
        note: Option<String>,
        sign_clock: Clock,
        resolve_clock: Clock,
    },
    /// 签收
    SignedFor {
        contact_clock: Clock,
    },
    /// 退单
    Returned {
        unit: UnitCode,
        reason: String,
        dispatch_clock: Clock,
    },
    /// 改派
    Reassigned {
        from: UnitCode,
        to: UnitCode,
        category: CategoryCode,
        reason: String,
        sign_clock: Clock,
        resolve_clock: Clock,
    },
    /// 吹哨
    Summoned {
        units: Vec<UnitCode>,
        note: Option<String>,
    },
    /// 报到
    ReportedIn {
        unit: UnitCode,
    },
    /// A co-unit answered for its part.
    PartAnswered {
        unit: UnitCode,
        text: String,
    },
    /// 联系诉求人
    Contacted {
        note: String,
    },
    ExtensionRequested {
        working_days: u32,
        reason: String,
    },
    ExtensionDecided {
        approved: bool,
        working_days: u32,
        note: Option<String>,
        resolve_clock: Option<Clock>,
    },
    /// 催办
    Reminded {
        note: String,
    },
    /// 督办
    Supervised {
        note: String,
    },
    Suspended {
        reason: String,
    },
    Resumed {
        resolve_clock: Clock,
    },
    /// 答复
    Replied {
        outcome: ReplyOutcome,
        text: String,
        /// Photos of the work done (处置后照片): upload names, as the appeal's
        /// `attachments`. Absent in events recorded before it existed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        photos: Vec<String>,
        /// The callback's clock (回访时限), started by the reply. Absent in events
        /// recorded before it existed: such a reply runs no clock.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        callback_clock: Option<Clock>,
    },
    /// 回访
    CalledBack {
        solved: bool,
        satisfaction: Satisfaction,
        note: Option<String>,
    },
    /// 重办
    Reopened {
        reason: String,
        clock: Clock,
    },
    /// 结案
    Closed {
        note: Option<String>,
    },
    /// 合并 into another case, closing this one at once (how merging worked before
    /// `Joined`; kept so that earlier histories read as they were written).
    Merged {
        into: CaseId,
    },
    /// 合并: this case is a duplicate of `into` (主件) and waits for its reply, which the
    /// caller then gets (`MasterReplied`) with their own callback.
    Joined {
        into: CaseId,
    },
    /// On the master: a duplicate joined it; its caller gets this case's reply.
    DuplicateJoined {
        case: CaseId,
    },
    /// On a joined duplicate: the master's reply, given to this caller too.
    MasterReplied {
        master: CaseId,
        unit: UnitCode,
        outcome: ReplyOutcome,
        text: String,
        /// Whether the master was answered in time.
        on_time: bool,
        /// This caller's callback clock, started as the reply reaches them. Absent in
        /// events recorded before it existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        callback_clock: Option<Clock>,
    },
    /// 直接办结
    AnsweredDirectly {
        answer: String,
    },
    /// A clock passed its warning point (黄灯).
    ClockWarned {
        clock: ClockKind,
        due: DateTime<Utc>,
    },
    /// A clock passed its deadline (红灯).
    ClockOverdue {
        clock: ClockKind,
        due: DateTime<Utc>,
    },
}

impl AppealEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Accepted { .. } => "accepted",
            Self::Dispatched { .. } => "dispatched",
            Self::SignedFor { .. } => "signed_for",
            Self::Returned { .. } => "returned",
            Self::Reassigned { .. } => "reassigned",
            Self::Summoned { .. } => "summoned",
            Self::ReportedIn { .. } => "reported_in",
            Self::PartAnswered { .. } => "part_answered",
            Self::Contacted { .. } => "contacted",
            Self::ExtensionRequested { .. } => "extension_requested",
            Self::ExtensionDecided { .. } => "extension_decided",
            Self::Reminded { .. } => "reminded",
            Self::Supervised { .. } => "supervised",
            Self::Suspended { .. } => "suspended",
            Self::Resumed { .. } => "resumed",
            Self::Replied { .. } => "replied",
            Self::CalledBack { .. } => "called_back",
            Self::Reopened { .. } => "reopened",
            Self::Closed { .. } => "closed",
            Self::Merged { .. } => "merged",
            Self::Joined { .. } => "joined",
            Self::DuplicateJoined { .. } => "duplicate_joined",
            Self::MasterReplied { .. } => "master_replied",
            Self::AnsweredDirectly { .. } => "answered_directly",
            Self::ClockWarned { .. } => "clock_warned",
            Self::ClockOverdue { .. } => "clock_overdue",
        }
    }

    /// Whether the citizen sees this event in their public timeline. Internal
    /// handling (returns, summons, reminders, notes, clocks) stays with staff.
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            Self::Accepted { .. }
                | Self::Dispatched { .. }
                | Self::SignedFor { .. }
                | Self::Reassigned { .. }
                | Self::Replied { .. }
                | Self::CalledBack { .. }
                | Self::Reopened { .. }
                | Self::Closed { .. }
                | Self::Merged { .. }
                | Self::Joined { .. }
                | Self::MasterReplied { .. }
                | Self::AnsweredDirectly { .. }
        )
    }

    /// A one-line Chinese description for timelines.
    pub fn summary(&self) -> String {
        match self {
            Self::Accepted { channel, appeal_type, .. } => {
                format!("受理（{}，{}）", channel.label(), appeal_type.label())
            }
            Self::Dispatched { unit, .. } => format!("派单至 {unit}"),
            Self::SignedFor { .. } => "签收".into(),
            Self::Returned { unit, reason, .. } => format!("{unit} 退单：{reason}"),
            Self::Reassigned { from, to, reason, .. } => format!("由 {from} 改派至 {to}：{reason}"),
            Self::Summoned { units, .. } => {
                format!("吹哨：{}", units.iter().map(|u| u.as_str()).collect::<Vec<_>>().join("、"))
            }
            Self::ReportedIn { unit } => format!("{unit} 报到"),
            Self::PartAnswered { unit, .. } => format!("{unit} 答复协办部分"),
            Self::Contacted { .. } => "联系诉求人".into(),
            Self::ExtensionRequested { working_days, .. } => format!("申请延期 {working_days} 个工作日"),
            Self::ExtensionDecided { approved: true, working_days, .. } => format!("同意延期 {working_days} 个工作日"),
            Self::ExtensionDecided { approved: false, .. } => "不同意延期".into(),
            Self::Reminded { .. } => "催办".into(),
            Self::Supervised { .. } => "督办".into(),
            Self::Suspended { .. } => "挂起（等待诉求人）".into(),
            Self::Resumed { .. } => "恢复办理".into(),
            Self::Replied { outcome: ReplyOutcome::Resolved, .. } => "答复：已解决".into(),
            Self::Replied { outcome: ReplyOutcome::CannotSolve, .. } => "答复：无法解决".into(),
            Self::CalledBack { solved, satisfaction, .. } => {
                format!("回访：{}，{}", if *solved { "已解决" } else { "未解决" }, satisfaction.label())
            }
            Self::Reopened { reason, .. } => format!("重办：{reason}"),
            Self::Closed { .. } => "结案".into(),
            Self::Merged { into } => format!("作为重复件并入 {into}"),
            Self::Joined { into } => format!("作为重复件并入 {into}，随主件答复"),
            Self::DuplicateJoined { case } => format!("重复件 {case} 并入本件，其来电人一并答复、回访"),
            Self::MasterReplied { master, outcome: ReplyOutcome::Resolved, .. } => {
                format!("随主件 {master} 答复：已解决")
            }
            Self::MasterReplied { master, outcome: ReplyOutcome::CannotSolve, .. } => {
                format!("随主件 {master} 答复：无法解决")
            }
            Self::AnsweredDirectly { .. } => "直接办结".into(),
            Self::ClockWarned { clock, .. } => format!("{}即将超时（黄灯）", clock.label()),
            Self::ClockOverdue { clock, .. } => format!("{}已超时（红灯）", clock.label()),
        }
    }
}

/// An appeal's event as recorded: its place in the case's chain, when, and by whom.
pub type Envelope = crate::case::Envelope<AppealEvent>;
