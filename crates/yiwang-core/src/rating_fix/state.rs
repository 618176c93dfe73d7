//! A 差评整改's state, folded from its events.

use super::event::{FixEnvelope, FixEvent};
use super::{Clock, FixClock};
use crate::application::Rating;
use crate::deadline::{Clocks, Stage};
use crate::id::{CaseId, PersonId, UnitCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FixStatus {
    /// 待核实
    Verifying,
    /// 申诉中: the department found it unfounded; the centre decides.
    Appealed,
    /// 整改中
    Fixing,
    /// 待回访: answered; a named rating is called back.
    Answered,
    /// 已办结
    Closed,
    /// 差评无效: set aside on appeal.
    SetAside,
}

impl FixStatus {
    pub const ALL: [Self; 6] =
        [Self::Verifying, Self::Appealed, Self::Fixing, Self::Answered, Self::Closed, Self::SetAside];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verifying => "verifying",
            Self::Appealed => "appealed",
            Self::Fixing => "fixing",
            Self::Answered => "answered",
            Self::Closed => "closed",
            Self::SetAside => "set_aside",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Verifying => "待核实",
            Self::Appealed => "申诉中",
            Self::Fixing => "整改中",
            Self::Answered => "待回访",
            Self::Closed => "已办结",
            Self::SetAside => "差评无效",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fix {
    pub id: CaseId,
    pub status: FixStatus,
    pub application: CaseId,
    pub service: String,
    pub service_name: String,
    pub department: UnitCode,
    pub rating: Rating,
    pub comment: String,
    pub named: bool,
    pub person: Option<PersonId>,
    pub finding: Option<String>,
    pub appeal_note: Option<String>,
    pub measures: Option<String>,
    pub reply: Option<String>,
    /// Whether the answer came within the period, and when it came.
    pub on_time: Option<bool>,
    pub answered_at: Option<DateTime<Utc>>,
    pub satisfied: Option<bool>,
    pub clocks: Vec<Clock>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: u32,
}

impl Fix {
    pub fn is_open(&self) -> bool {
        !matches!(self.status, FixStatus::Closed | FixStatus::SetAside)
    }
    pub fn stage(&self) -> Stage {
        self.clocks.worst_stage()
    }
}

/// Folds one event into the state. Makes no decisions and never panics.
pub fn evolve(state: Option<Fix>, env: &FixEnvelope) -> Option<Fix> {
    let at = env.at;
    if let FixEvent::FixOpened {
        application,
        service,
        service_name,
        department,
        rating,
        comment,
        named,
        person,
        answer_clock,
    } = &env.event
    {
        return Some(Fix {
            id: env.case.clone(),
            status: FixStatus::Verifying,
            application: application.clone(),
            service: service.clone(),
            service_name: service_name.clone(),
            department: department.clone(),
            rating: *rating,
            comment: comment.clone(),
            named: *named,
            person: *person,
            finding: None,
            appeal_note: None,
            measures: None,
            reply: None,
            on_time: None,
            answered_at: None,
            satisfied: None,
            clocks: vec![*answer_clock],
            opened_at: at,
            updated_at: at,
            closed_at: None,
            version: env.seq,
        });
    }
    let mut s = state?;
    s.version = env.seq;
    s.updated_at = at;
    match &env.event {
        FixEvent::FixOpened { .. } => {}
        FixEvent::Verified { founded, finding } => {
            s.finding = Some(finding.clone());
            s.status = if *founded { FixStatus::Fixing } else { FixStatus::Appealed };
        }
        FixEvent::AppealDecided { upheld, note } => {
            s.appeal_note = Some(note.clone());
            if *upheld {
                s.status = FixStatus::SetAside;
                s.closed_at = Some(at);
                s.clocks.clear();
            } else {
                s.status = FixStatus::Fixing;
            }
        }
        FixEvent::FixAnswered { measures, reply, on_time } => {
            s.measures = Some(measures.clone());
            s.reply = Some(reply.clone());
            s.on_time = Some(*on_time);
            s.answered_at = Some(at);
            s.clocks.stop_clock(FixClock::Answer);
            if s.named {
                s.status = FixStatus::Answered;
            } else {
                s.status = FixStatus::Closed;
                s.closed_at = Some(at);
            }
        }
        FixEvent::CalledBack { satisfied, .. } => {
            s.satisfied = Some(*satisfied);
            s.status = FixStatus::Closed;
            s.closed_at = Some(at);
        }
        FixEvent::FixClockWarned { clock, .. } => s.clocks.mark(*clock, Stage::Yellow),
        FixEvent::FixClockOverdue { clock, .. } => s.clocks.mark(*clock, Stage::Red),
    }
    Some(s)
}
