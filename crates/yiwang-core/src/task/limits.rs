//! A task's node timers, as data per task type.
//!
//! The default types follow the node-timer practice of provincial 督查 work, e.g.
//! Shanxi's "13710" (1 day to deploy, 3 days to report back, 7 days for a general
//! issue, a month for a major one, 0 left open until 销号), all on the working-day
//! calendar but the month. A district sets its own in `limits.toml`:
//!
//! ```toml
//! [[task.type]]
//! code = "general"
//! name = "一般事项"
//! sign_for = { working_days = 1 }
//! first_report = { working_days = 3 }
//! complete = { working_days = 7 }
//! notice_reply = { working_days = 3 }
//! escalate_after = { working_days = 2 }
//! ```

use crate::deadline::{Budget, ClockName};
use serde::{Deserialize, Serialize};

/// The clocks a task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaskClock {
    /// From 交办 to signing for it and deploying the work (签收部署).
    SignFor,
    /// From signing to the first progress report (反馈).
    FirstReport,
    /// From 交办 to the deadline: the target met (完成时限).
    Complete,
    /// From a 督办通知 (or its escalation) to the lead unit's written answer.
    NoticeReply,
}

impl ClockName for TaskClock {
    fn label(self) -> &'static str {
        match self {
            Self::SignFor => "签收部署",
            Self::FirstReport => "首次反馈",
            Self::Complete => "完成时限",
            Self::NoticeReply => "督办回复",
        }
    }
}

/// A type of task with its node limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskType {
    /// Lowercase letters, digits, `-` and `_`.
    pub code: String,
    /// For people (年度目标, 一般事项 …).
    pub name: String,
    pub sign_for: Budget,
    pub first_report: Budget,
    /// From 交办 to the deadline; none when the deadline is a date given at 立项 (a
    /// year's target, due at the year's end by default).
    #[serde(default)]
    pub complete: Option<Budget>,
    /// How long the lead unit has to answer a 督办通知.
    pub notice_reply: Budget,
    /// How long each escalation of an unanswered notice waits in turn.
    pub escalate_after: Budget,
}

/// The task types of the district.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskLimits {
    #[serde(rename = "type")]
    pub types: Vec<TaskType>,
}

impl Default for TaskLimits {
    fn default() -> Self {
        let t = |code: &str, name: &str, complete| TaskType {
            code: code.into(),
            name: name.into(),
            sign_for: Budget::WorkingDays(1),
            first_report: Budget::WorkingDays(3),
            complete,
            notice_reply: Budget::WorkingDays(3),
            escalate_after: Budget::WorkingDays(2),
        };
        TaskLimits {
            types: vec![
                t("annual", "年度目标", None),
                t("general", "一般事项", Some(Budget::WorkingDays(7))),
                t("major", "重大事项", Some(Budget::Days(30))),
            ],
        }
    }
}

impl TaskLimits {
    pub fn get(&self, code: &str) -> Option<&TaskType> {
        self.types.iter().find(|t| t.code == code)
    }

    /// Checks the types a district wrote: codes well-formed and distinct.
    pub fn check(&self) -> Result<(), String> {
        if self.types.is_empty() {
            return Err("[task] needs at least one [[task.type]]".into());
        }
        for (i, t) in self.types.iter().enumerate() {
            if crate::id::CategoryCode::parse(&t.code).is_err() {
                return Err(format!("task type code {:?}: lowercase letters, digits, - and _ only", t.code));
            }
            if self.types[..i].iter().any(|o| o.code == t.code) {
                return Err(format!("task type {} is listed twice", t.code));
            }
            if t.name.trim().is_empty() {
                return Err(format!("task type {} has no name", t.code));
            }
        }
        Ok(())
    }
}
