//! The patrol as a kind of case: what it shows the engine.

use super::Command;
use super::event::{PatrolEnvelope, PatrolEvent};
use super::state::{Patrol, PatrolStatus, evolve};
use crate::case::{Context, Header, Kind, Projection, Refusal};
use crate::id::{CaseId, Username};
use crate::org::Actor;
use serde::{Deserialize, Serialize};

/// The patrol (网格巡查), as the engine knows it.
pub struct PatrolKind;

/// A patrol's own columns: what the coverage view counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolDetail {
    pub worker: Username,
    pub minutes: i64,
    pub metres: f64,
    pub points: usize,
    pub fixed: usize,
    pub reported: usize,
}

impl PatrolDetail {
    pub fn of(p: &Patrol) -> Self {
        PatrolDetail {
            worker: p.worker.clone(),
            minutes: p.minutes(),
            metres: p.metres.round(),
            points: p.route.len(),
            fixed: p.fixed(),
            reported: p.reported(),
        }
    }
}

impl Kind for PatrolKind {
    const NAME: &'static str = "patrol";
    const PREFIX: &'static str = "XC";
    const LABEL: &'static str = "巡查";
    type State = Patrol;
    type Event = PatrolEvent;
    type Command = Command;

    fn event_name(e: &PatrolEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &PatrolEvent) -> bool {
        matches!(e, PatrolEvent::Started { .. })
    }
    fn evolve(state: Option<Patrol>, env: &PatrolEnvelope) -> Option<Patrol> {
        evolve(state, env)
    }
    fn decide(state: &Patrol, command: &Command, ctx: &Context<'_>) -> Result<Vec<PatrolEvent>, Refusal> {
        super::decide(state, command, ctx)
    }
    fn alarms(state: &Patrol, ctx: &Context<'_>) -> Vec<PatrolEvent> {
        super::decide::alarms(state, ctx)
    }
    fn id(state: &Patrol) -> &CaseId {
        &state.id
    }
    fn version(state: &Patrol) -> u32 {
        state.version
    }

    fn project(p: &Patrol) -> Projection {
        let mut access = p.areas.clone();
        access.sort();
        access.dedup();
        let day = crate::calendar::civil_date(p.started_at);
        Projection {
            header: Header {
                status: p.status.as_str(),
                title: Some(format!("{} 巡查", day.format("%Y-%m-%d"))),
                unit: Some(p.grid.clone()),
                category: None,
                area: Some(p.grid.clone()),
                person: None,
                tracking_code: None,
                opened_at: p.started_at,
                updated_at: p.updated_at,
                closed_at: p.ended_at,
                stage: crate::deadline::Stage::Green,
                next_due: None,
                next_due_working: false,
                next_alarm: p.is_open().then(|| p.ends_by()),
                version: p.version,
            },
            co_units: vec![],
            access,
            facts: vec![],
            volume: vec![("status", p.status.as_str().to_owned())],
            detail: serde_json::to_string(&PatrolDetail::of(p)).expect("a patrol's detail serialises"),
            example: None,
        }
    }

    fn status_label(status: &str) -> &'static str {
        PatrolStatus::parse(status).map(PatrolStatus::label).unwrap_or("")
    }

    /// The problems found.
    fn search_text(p: &Patrol) -> String {
        p.problems.iter().map(|x| x.text.as_str()).collect::<Vec<_>>().join(" ")
    }

    fn touches_text(e: &PatrolEvent) -> bool {
        matches!(e, PatrolEvent::ProblemFixed { .. } | PatrolEvent::ProblemReported { .. })
    }

    fn attachments(p: &Patrol) -> Vec<String> {
        p.problems.iter().flat_map(|x| x.photos.iter().cloned()).collect()
    }

    fn sees_all(actor: &Actor) -> bool {
        super::sees_all(actor)
    }

    fn check(p: &Patrol) -> Result<(), String> {
        if p.areas.is_empty() {
            return Err("the patrol names no area".into());
        }
        Ok(())
    }
}
