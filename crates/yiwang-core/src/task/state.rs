//! The current state of a task, folded from its events.

use super::event::{TaskEnvelope, TaskEvent};
use super::grade::Grade;
use super::light::Light;
use super::{Clock, Milestone, Target, TaskClock};
use crate::deadline::{Clocks, Stage};
use crate::id::{CaseId, UnitCode, Username};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaskStatus {
    /// 待签收: handed to the lead unit (交办), not yet taken on.
    Assigned,
    /// 推进中
    Underway,
    /// 逾期未完成: past its deadline, the target not met; still open.
    Overdue,
    /// 已销号
    Closed,
    /// 已结项（未完成）
    Concluded,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 5] = [Self::Assigned, Self::Underway, Self::Overdue, Self::Closed, Self::Concluded];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::Underway => "underway",
            Self::Overdue => "overdue",
            Self::Closed => "closed",
            Self::Concluded => "concluded",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Assigned => "待签收",
            Self::Underway => "推进中",
            Self::Overdue => "逾期未完成",
            Self::Closed => "已销号",
            Self::Concluded => "已结项（未完成）",
        }
    }
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Closed | Self::Concluded)
    }
}

/// An inspector's review of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub accepted: bool,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// A progress report, by the lead unit or a co-unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// The number of its event: how a review names it.
    pub seq: u32,
    pub unit: UnitCode,
    /// Whether the lead unit made it (only its value counts, unless the task sums).
    pub lead: bool,
    pub at: DateTime<Utc>,
    pub achieved: Option<f64>,
    pub text: String,
    pub evidence: Vec<String>,
    pub review: Option<Review>,
}

impl Report {
    pub fn accepted(&self) -> bool {
        self.review.as_ref().is_some_and(|r| r.accepted)
    }
    pub fn pending(&self) -> bool {
        self.review.is_none()
    }
}

/// How far an unanswered 督办通知 has gone up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Escalation {
    /// To the lead unit itself.
    Unit,
    /// To the lead unit's leader (单位负责人).
    UnitLeader,
    /// To the district leader in charge (分管区领导).
    DistrictLeader,
}

impl Escalation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unit => "unit",
            Self::UnitLeader => "unit_leader",
            Self::DistrictLeader => "district_leader",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Unit => "牵头单位",
            Self::UnitLeader => "牵头单位负责人",
            Self::DistrictLeader => "分管区领导",
        }
    }
    /// The next level up, if any.
    pub fn next(self) -> Option<Escalation> {
        match self {
            Self::Unit => Some(Self::UnitLeader),
            Self::UnitLeader => Some(Self::DistrictLeader),
            Self::DistrictLeader => None,
        }
    }
}

/// A 督办通知 and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    pub note: String,
    pub issued_at: DateTime<Utc>,
    pub level: Escalation,
    pub answered_at: Option<DateTime<Utc>>,
    pub answer: Option<String>,
    /// Answered before its reply clock (at the level it had then) ran out.
    pub answered_in_time: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingExtension {
    pub deadline: NaiveDate,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    pub id: CaseId,
    pub status: TaskStatus,
    pub title: String,
    pub task_type: String,
    pub target: Target,
    pub deadline: NaiveDate,
    /// The deadline set at 立项, before any extension.
    pub original_deadline: NaiveDate,
    pub milestones: Vec<Milestone>,
    pub sum_co_units: bool,
    pub leader: Option<Username>,
    pub document: Option<String>,
    /// 牵头单位.
    pub lead: Option<UnitCode>,
    /// 配合单位, with when they joined.
    pub co_units: Vec<(UnitCode, DateTime<Utc>)>,
    pub clocks: Vec<Clock>,
    pub reports: Vec<Report>,
    pub light: Light,
    pub extension: Option<PendingExtension>,
    pub extensions: u32,
    /// Every 督办通知, the latest last.
    pub notices: Vec<Notice>,
    pub grade: Option<Grade>,
    pub closed_on_time: Option<bool>,
    pub opened_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
}

impl Task {
    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }
    pub fn clock(&self, kind: TaskClock) -> Option<&Clock> {
        self.clocks.clock(kind)
    }
    /// The worst colour of any running clock.
    pub fn clock_stage(&self) -> Stage {
        self.clocks.worst_stage()
    }
    /// When the deadline's day ends.
    pub fn due(&self) -> DateTime<Utc> {
        super::end_of(self.deadline)
    }
    /// When the lead unit was handed the task (the light measures time from then).
    pub fn start(&self) -> DateTime<Utc> {
        self.assigned_at.unwrap_or(self.opened_at)
    }
    /// The value achieved as accepted so far: the lead unit's latest accepted value
    /// (with each co-unit's latest accepted value added, when the task sums them).
    pub fn achieved(&self) -> Option<f64> {
        let latest = |lead: bool, unit: Option<&UnitCode>| {
            self.reports
                .iter()
                .rev()
                .filter(|r| r.accepted() && r.lead == lead && unit.is_none_or(|u| *u == r.unit))
                .find_map(|r| r.achieved)
        };
        let lead = latest(true, None);
        if !self.sum_co_units {
            return lead;
        }
        let parts: Vec<f64> = self.co_units.iter().filter_map(|(u, _)| latest(false, Some(u))).collect();
        match (lead, parts.is_empty()) {
            (None, true) => None,
            (lead, _) => Some(lead.unwrap_or(0.0) + parts.iter().sum::<f64>()),
        }
    }
    /// Whether the accepted value meets the target.
    pub fn met(&self) -> bool {
        self.achieved().is_some_and(|a| self.target.met_by(a))
    }
    /// Reports waiting for an inspector.
    pub fn pending_reports(&self) -> impl Iterator<Item = &Report> {
        self.reports.iter().filter(|r| r.pending())
    }
    /// The open (unanswered) notice, if any.
    pub fn open_notice(&self) -> Option<&Notice> {
        self.notices.last().filter(|n| n.answered_at.is_none())
    }
    /// The earliest instant the scheduler must look at this task again: a clock
    /// changing colour, or the light turning worse with time.
    pub fn next_alarm(&self) -> Option<DateTime<Utc>> {
        if !self.is_open() {
            return None;
        }
        let clocks = self.clocks.next_alarm();
        let light = super::light::next_change(self, self.updated_at);
        clocks.into_iter().chain(light).min()
    }
    /// The deadline that matters now: the earliest due of the running clocks.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.clocks.next_due()
    }
}

/// Folds one event into the state. `None` before the first event; events other than
/// `Opened` on no state are ignored (the store never writes such a log).
pub fn evolve(state: Option<Task>, env: &TaskEnvelope) -> Option<Task> {
    let at = env.at;
    if let TaskEvent::Opened { title, task_type, target, deadline, milestones, sum_co_units, leader, document } =
        &env.event
    {
        return Some(Task {
            id: env.case.clone(),
            status: TaskStatus::Assigned,
            title: title.clone(),
            task_type: task_type.clone(),
            target: target.clone(),
            deadline: *deadline,
            original_deadline: *deadline,
            milestones: milestones.clone(),
            sum_co_units: *sum_co_units,
            leader: leader.clone(),
            document: document.clone(),
            lead: None,
            co_units: vec![],
            clocks: vec![],
            reports: vec![],
            light: Light::Green,
            extension: None,
            extensions: 0,
            notices: vec![],
            grade: None,
            closed_on_time: None,
            opened_at: at,
            assigned_at: None,
            signed_at: None,
            closed_at: None,
            updated_at: at,
            version: env.seq,
        });
    }
    let mut s = state?;
    s.version = env.seq;
    s.updated_at = at;
    match &env.event {
        TaskEvent::Opened { .. } => unreachable!("handled above"),
        TaskEvent::Assigned { lead, co_units, sign_clock, complete_clock } => {
            s.status = TaskStatus::Assigned;
            s.lead = Some(lead.clone());
            for u in co_units {
                if !s.co_units.iter().any(|(c, _)| c == u) {
                    s.co_units.push((u.clone(), at));
                }
            }
            s.assigned_at = Some(at);
            s.clocks.set_clock(*sign_clock);
            s.clocks.set_clock(*complete_clock);
        }
        TaskEvent::SignedFor { report_clock } => {
            s.status = TaskStatus::Underway;
            s.signed_at = Some(at);
            s.clocks.stop_clock(TaskClock::SignFor);
            s.clocks.set_clock(*report_clock);
        }
        TaskEvent::Reported { unit, achieved, text, evidence } => {
            let lead = s.lead.as_ref() == Some(unit);
            if lead {
                // The first report of the lead unit answers the report-back node.
                s.clocks.stop_clock(TaskClock::FirstReport);
            }
            s.reports.push(Report {
                seq: env.seq,
                unit: unit.clone(),
                lead,
                at,
                achieved: *achieved,
                text: text.clone(),
                evidence: evidence.clone(),
                review: None,
            });
        }
        TaskEvent::ReportReviewed { report, accepted, note, light } => {
            if let Some(r) = s.reports.iter_mut().find(|r| r.seq == *report) {
                r.review = Some(Review { accepted: *accepted, note: note.clone(), at });
            }
            s.light = *light;
        }
        TaskEvent::ExtensionRequested { deadline, reason } => {
            s.extension = Some(PendingExtension { deadline: *deadline, reason: reason.clone(), requested_at: at });
        }
        TaskEvent::ExtensionDecided { approved, deadline, complete_clock, .. } => {
            s.extension = None;
            if let (true, Some(d), Some(c)) = (approved, deadline, complete_clock) {
                s.extensions += 1;
                s.deadline = *d;
                s.clocks.set_clock(*c);
                if s.status == TaskStatus::Overdue {
                    s.status = TaskStatus::Underway;
                }
            }
        }
        TaskEvent::NoticeIssued { note, reply_clock } => {
            s.notices.push(Notice {
                note: note.clone(),
                issued_at: at,
                level: Escalation::Unit,
                answered_at: None,
                answer: None,
                answered_in_time: false,
            });
            s.clocks.set_clock(*reply_clock);
        }
        TaskEvent::NoticeEscalated { level, reply_clock } => {
            if let Some(n) = s.notices.last_mut() {
                n.level = *level;
            }
            s.clocks.set_clock(*reply_clock);
        }
        TaskEvent::NoticeAnswered { text } => {
            let in_time = s.clock(TaskClock::NoticeReply).is_none_or(|c| at < c.due);
            if let Some(n) = s.notices.last_mut() {
                n.answered_at = Some(at);
                n.answer = Some(text.clone());
                n.answered_in_time = in_time && n.level == Escalation::Unit;
            }
            s.clocks.stop_clock(TaskClock::NoticeReply);
        }
        TaskEvent::LightChanged { light } => s.light = *light,
        TaskEvent::ClockWarned { clock, .. } => s.clocks.mark(*clock, Stage::Yellow),
        TaskEvent::ClockOverdue { clock, .. } => {
            s.clocks.mark(*clock, Stage::Red);
            if *clock == TaskClock::Complete && s.is_open() && !s.met() {
                s.status = TaskStatus::Overdue;
            }
        }
        TaskEvent::Closed { grade, on_time, .. } => {
            s.status = TaskStatus::Closed;
            s.grade = Some(*grade);
            s.closed_on_time = Some(*on_time);
            s.closed_at = Some(at);
            s.light = Light::Green;
            s.clocks.clear();
            s.extension = None;
        }
        TaskEvent::Concluded { .. } => {
            s.status = TaskStatus::Concluded;
            s.grade = Some(Grade::Fail);
            s.closed_on_time = Some(false);
            s.closed_at = Some(at);
            s.clocks.clear();
            s.extension = None;
        }
    }
    Some(s)
}
