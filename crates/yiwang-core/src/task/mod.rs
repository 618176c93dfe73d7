//! The task (督办任务): one of the government's own measurable commitments — a target
//! of its work report or plan ("新增城镇就业8000人", "改造老旧小区15个") — tracked by
//! the 督查室 (its inspectors) until it is met and closed off (销号).
//!
//! Its life: 立项 and 交办 (opened and handed to its lead unit, with co-units, a
//! deadline and milestones) → the lead unit signs for it (签收部署) → progress reports
//! (the lead unit's achieved value, text and evidence; co-units report their part),
//! each reviewed by an inspector → 销号 (closed, graded) or 逾期未完成 (past its
//! deadline unmet, and in the end concluded so). Its clocks are node timers per task
//! type, as data (`TaskLimits`, the "13710" rule by default); its standing is a
//! traffic light (`light`), and a red task gets a 督办通知 that escalates when
//! unanswered (`decide::alarms`).

mod command;
mod decide;
mod event;
mod grade;
mod kind;
mod light;
mod limits;
mod state;

pub use command::{Command, NewTask};
pub use decide::{alarms, decide, open, sees_all};
pub use event::{TaskEnvelope, TaskEvent};
pub use grade::{Grade, grade};
pub use kind::{TaskDetail, TaskKind};
pub use light::{Light, light, next_change};
pub use limits::{TaskClock, TaskLimits, TaskType};
pub use state::{Escalation, Notice, PendingExtension, Report, Review, Task, TaskStatus, evolve};

use serde::{Deserialize, Serialize};

/// A clock of a task.
pub type Clock = crate::deadline::Clock<TaskClock>;

/// Which way a target points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Direction {
    /// 以上, 不低于, 力争, 新增 …: reach the value or more.
    AtLeast,
    /// 以内, 以下, 控制在, 不超过: stay at the value or under.
    AtMost,
    /// 左右: about the value (met at 95 % of it).
    About,
    /// Exactly the value (完成 N 个).
    Exact,
}

impl Direction {
    pub const ALL: [Direction; 4] = [Self::AtLeast, Self::AtMost, Self::About, Self::Exact];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AtLeast => "at_least",
            Self::AtMost => "at_most",
            Self::About => "about",
            Self::Exact => "exact",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::AtLeast => "不低于",
            Self::AtMost => "不超过",
            Self::About => "左右",
            Self::Exact => "完成",
        }
    }
}

/// The share of an "about" target that counts as met.
pub const ABOUT_MET: f64 = 0.95;

/// A measurable target, as the document states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Target {
    /// The number as written, as a plain decimal (`8000`, `1.1`).
    pub value: String,
    /// The unit as written, with any 万/亿/百万 before it (`人`, `万个`, `%`).
    pub unit: String,
    /// What it counts (城镇新增就业).
    pub what: String,
    pub direction: Direction,
    /// The sentence(s) of the document it comes from.
    pub source: String,
}

impl Target {
    /// The value as a number (in the target's unit as written: 1.1 万个 is 1.1).
    pub fn amount(&self) -> f64 {
        self.value.parse().unwrap_or(0.0)
    }

    /// Whether `achieved` (in the target's unit) meets the target.
    pub fn met_by(&self, achieved: f64) -> bool {
        let v = self.amount();
        match self.direction {
            Direction::AtLeast | Direction::Exact => achieved >= v,
            Direction::About => achieved >= v * ABOUT_MET,
            Direction::AtMost => achieved <= v,
        }
    }

    /// How far `achieved` has come towards the target (0 to 1 and beyond); for a
    /// ceiling (`AtMost`), 1 while under it and 0 once over.
    pub fn progress(&self, achieved: f64) -> f64 {
        let v = self.amount();
        match self.direction {
            Direction::AtMost => f64::from(u8::from(achieved <= v)),
            _ if v > 0.0 => (achieved / v).max(0.0),
            _ => 1.0,
        }
    }

    /// `8000人`, `1.1万个`, `3.8%`.
    pub fn display(&self) -> String {
        format!("{}{}", self.value, self.unit)
    }
}

/// One milestone: by the end of `date` (China time), `share` of the target is reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Milestone {
    pub date: chrono::NaiveDate,
    /// Between 0 and 1.
    pub share: f64,
}

impl Milestone {
    /// The instant the milestone's day ends.
    pub fn ends(&self) -> crate::Instant {
        crate::calendar::day_start(self.date + chrono::Duration::days(1))
    }
}

/// The instant a deadline's day ends (a task is due by the end of its day).
pub fn end_of(date: chrono::NaiveDate) -> crate::Instant {
    crate::calendar::day_start(date + chrono::Duration::days(1))
}
