//! A bundle's state, folded from its events.

use super::event::{BundleEnvelope, BundleEvent, ChosenPart};
use super::{BundleClock, BundleDef, Clock, PartOutcome};
use crate::application::{Channel, Enterprise, Provided};
use crate::deadline::{Clocks, Stage};
use crate::id::{CaseId, PersonId, UnitCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BundleStatus {
    /// 办理中: the parts run in parallel.
    Running,
    /// 已终止: refused under the all-stop rule, or withdrawn; the parts already
    /// decided still finish.
    Stopped,
    /// 已办结: every part done and granted.
    Done,
    /// 已结束: every part ended, not all granted.
    Ended,
}

impl BundleStatus {
    pub const ALL: [Self; 4] = [Self::Running, Self::Stopped, Self::Done, Self::Ended];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
            Self::Done => "done",
            Self::Ended => "ended",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Running => "办理中",
            Self::Stopped => "已终止",
            Self::Done => "已办结",
            Self::Ended => "已结束（部分未获准予）",
        }
    }
}

/// A part of the bundle and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Part {
    #[serde(flatten)]
    pub chosen: ChosenPart,
    /// Its application, once opened.
    pub case: Option<CaseId>,
    pub outcome: Option<PartOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bundle {
    pub id: CaseId,
    pub status: BundleStatus,
    pub def: BundleDef,
    pub channel: Channel,
    pub enterprise: Option<Enterprise>,
    pub answers: BTreeMap<String, String>,
    pub form: BTreeMap<String, String>,
    pub materials: Vec<Provided>,
    pub parts: Vec<Part>,
    pub area: Option<UnitCode>,
    pub tracking_code: Option<String>,
    pub person: Option<PersonId>,
    pub registered_by: Option<UnitCode>,
    pub filed_at: DateTime<Utc>,
    /// Why it stopped, once it did.
    pub stopped: Option<String>,
    /// The days §42's extension added, once approved.
    pub extended: Option<u32>,
    pub on_time: Option<bool>,
    pub clocks: Vec<Clock>,
    pub updated_at: DateTime<Utc>,
    /// The promise's deadline as set at filing.
    pub promised_due: DateTime<Utc>,
    /// When every part had its outcome.
    pub closed_at: Option<DateTime<Utc>>,
    pub version: u32,
}

impl Bundle {
    /// Open, for the engine: until every part has its outcome, a stopped bundle too.
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
    pub fn part(&self, code: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.chosen.service == code)
    }
    pub fn promised_due(&self) -> DateTime<Utc> {
        self.promised_due
    }
    pub fn stage(&self) -> Stage {
        self.clocks.worst_stage()
    }
}

/// Folds one event into the state. Makes no decisions and never panics.
pub fn evolve(state: Option<Bundle>, env: &BundleEnvelope) -> Option<Bundle> {
    let at = env.at;
    if let BundleEvent::BundleFiled {
        bundle,
        channel,
        enterprise,
        answers,
        form,
        materials,
        parts,
        area,
        tracking_code,
        person,
        registered_by,
        promised_clock,
        legal_clock,
    } = &env.event
    {
        return Some(Bundle {
            id: env.case.clone(),
            status: BundleStatus::Running,
            def: (**bundle).clone(),
            channel: *channel,
            enterprise: enterprise.clone(),
            answers: answers.clone(),
            form: form.clone(),
            materials: materials.clone(),
            parts: parts.iter().map(|c| Part { chosen: c.clone(), case: None, outcome: None }).collect(),
            area: area.clone(),
            tracking_code: tracking_code.clone(),
            person: *person,
            registered_by: registered_by.clone(),
            filed_at: at,
            stopped: None,
            extended: None,
            on_time: None,
            promised_due: promised_clock.due,
            clocks: vec![*promised_clock, *legal_clock],
            updated_at: at,
            closed_at: None,
            version: env.seq,
        });
    }
    let mut s = state?;
    s.version = env.seq;
    s.updated_at = at;
    match &env.event {
        BundleEvent::BundleFiled { .. } => {}
        BundleEvent::PartOpened { part, case } => {
            if let Some(p) = s.parts.iter_mut().find(|p| p.chosen.service == *part) {
                p.case = Some(case.clone());
            }
        }
        BundleEvent::PartEnded { part, outcome } => {
            if let Some(p) = s.parts.iter_mut().find(|p| p.chosen.service == *part) {
                p.outcome = Some(*outcome);
            }
        }
        BundleEvent::Stopped { reason, .. } => {
            s.status = BundleStatus::Stopped;
            s.stopped = Some(reason.clone());
            s.clocks.clear();
        }
        BundleEvent::Completed { all_done, on_time } => {
            if s.status == BundleStatus::Running {
                s.status = if *all_done { BundleStatus::Done } else { BundleStatus::Ended };
            }
            s.on_time = Some(*on_time);
            s.closed_at = Some(at);
            s.clocks.clear();
        }
        BundleEvent::Extended { days, clock, .. } => {
            s.extended = Some(*days);
            s.clocks.set_clock(*clock);
        }
        BundleEvent::ClockWarned { clock, .. } => s.clocks.mark(*clock, Stage::Yellow),
        BundleEvent::ClockOverdue { clock, .. } => s.clocks.mark(*clock, Stage::Red),
    }
    Some(s)
}

impl Bundle {
    /// The clock of `kind`, while it runs.
    pub fn clock(&self, kind: BundleClock) -> Option<&Clock> {
        self.clocks.clock(kind)
    }
}
