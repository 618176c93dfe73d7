//! What happened to a task. Each event carries what was decided when it happened
//! (clocks with their deadlines, the light and the grade), so `evolve` needs no
//! calendar and makes no decisions.

use super::grade::Grade;
use super::light::Light;
use super::state::Escalation;
use super::{Clock, Milestone, Target, TaskClock};
use crate::id::{UnitCode, Username};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaskEvent {
    /// 立项
    Opened {
        title: String,
        task_type: String,
        target: Target,
        deadline: NaiveDate,
        milestones: Vec<Milestone>,
        sum_co_units: bool,
        leader: Option<Username>,
        document: Option<String>,
    },
    /// 交办: to the lead unit, with its co-units; the sign-for and deadline clocks start.
    Assigned {
        lead: UnitCode,
        co_units: Vec<UnitCode>,
        sign_clock: Clock,
        complete_clock: Clock,
    },
    /// 签收部署
    SignedFor {
        report_clock: Clock,
    },
    /// 进度报告
    Reported {
        unit: UnitCode,
        achieved: Option<f64>,
        text: String,
        evidence: Vec<String>,
    },
    /// 审核 of the report recorded as event `report`; the light as it stands after it.
    ReportReviewed {
        report: u32,
        accepted: bool,
        note: Option<String>,
        light: Light,
    },
    ExtensionRequested {
        deadline: NaiveDate,
        reason: String,
    },
    /// An approved extension moves the deadline and its clock.
    ExtensionDecided {
        approved: bool,
        note: Option<String>,
        deadline: Option<NaiveDate>,
        complete_clock: Option<Clock>,
    },
    /// 督办通知, by an inspector or (red light) by the system.
    NoticeIssued {
        note: String,
        reply_clock: Clock,
    },
    /// An unanswered notice goes up: to the lead unit's leader, then to the district
    /// leader in charge.
    NoticeEscalated {
        level: Escalation,
        reply_clock: Clock,
    },
    NoticeAnswered {
        text: String,
    },
    /// The light as the scheduler found it.
    LightChanged {
        light: Light,
    },
    /// A clock passed its warning point (黄灯).
    ClockWarned {
        clock: TaskClock,
        due: DateTime<Utc>,
    },
    /// A clock passed its deadline (红灯); the deadline's makes the task 逾期未完成.
    ClockOverdue {
        clock: TaskClock,
        due: DateTime<Utc>,
    },
    /// 销号, with the grade the rule gives (`grade::grade`).
    Closed {
        grade: Grade,
        on_time: bool,
        note: Option<String>,
    },
    /// 结项: concluded unmet (不合格).
    Concluded {
        note: String,
    },
}

impl TaskEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Opened { .. } => "opened",
            Self::Assigned { .. } => "assigned",
            Self::SignedFor { .. } => "task_signed_for",
            Self::Reported { .. } => "reported",
            Self::ReportReviewed { .. } => "report_reviewed",
            Self::ExtensionRequested { .. } => "task_extension_requested",
            Self::ExtensionDecided { .. } => "task_extension_decided",
            Self::NoticeIssued { .. } => "notice_issued",
            Self::NoticeEscalated { .. } => "notice_escalated",
            Self::NoticeAnswered { .. } => "notice_answered",
            Self::LightChanged { .. } => "light_changed",
            Self::ClockWarned { .. } => "task_clock_warned",
            Self::ClockOverdue { .. } => "task_clock_overdue",
            Self::Closed { .. } => "task_closed",
            Self::Concluded { .. } => "task_concluded",
        }
    }

    /// A one-line Chinese description for timelines.
    pub fn summary(&self) -> String {
        use crate::deadline::ClockName;
        match self {
            Self::Opened { title, .. } => format!("立项：{title}"),
            Self::Assigned { lead, co_units, .. } if co_units.is_empty() => format!("交办 {lead} 牵头"),
            Self::Assigned { lead, co_units, .. } => {
                format!("交办 {lead} 牵头，{} 配合", co_units.iter().map(|u| u.as_str()).collect::<Vec<_>>().join("、"))
            }
            Self::SignedFor { .. } => "签收部署".into(),
            Self::Reported { unit, achieved: Some(v), .. } => format!("{unit} 报告进度：已完成 {v}"),
            Self::Reported { unit, .. } => format!("{unit} 报告进度"),
            Self::ReportReviewed { accepted: true, .. } => "审核通过".into(),
            Self::ReportReviewed { accepted: false, .. } => "审核退回".into(),
            Self::ExtensionRequested { deadline, .. } => format!("申请延期至 {deadline}"),
            Self::ExtensionDecided { approved: true, deadline: Some(d), .. } => format!("同意延期至 {d}"),
            Self::ExtensionDecided { .. } => "不同意延期".into(),
            Self::NoticeIssued { .. } => "发出督办通知".into(),
            Self::NoticeEscalated { level, .. } => format!("督办通知未回复，升级至{}", level.label()),
            Self::NoticeAnswered { .. } => "书面回复督办通知".into(),
            Self::LightChanged { light } => format!("转为{}", light.label()),
            Self::ClockWarned { clock, .. } => format!("{}即将超时（黄灯）", clock.label()),
            Self::ClockOverdue { clock, .. } => format!("{}已超时（红灯）", clock.label()),
            Self::Closed { grade, .. } => format!("销号，评定为{}", grade.label()),
            Self::Concluded { .. } => "结项：逾期未完成".into(),
        }
    }
}

/// A task's event as recorded.
pub type TaskEnvelope = crate::case::Envelope<TaskEvent>;
