//! A kind of case defined here and nowhere else, to show that the store serves any
//! kind: 杂务 (a chore), with a prefix, states, a clock, co-units, facts, volumes, a
//! detail document and search text of its own. The store's code knows nothing of it.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use yiwang_core::Instant;
use yiwang_core::case::{Context, Envelope, Example, Fact, Header, Kind, Projection, Refusal};
use yiwang_core::deadline::Stage;
use yiwang_core::id::{CaseId, PersonId, UnitCode};
use yiwang_core::measure::month_of;
use yiwang_core::org::{Actor, Role};

pub struct Chore;

/// Four hours to finish a chore; yellow at 80 % of them.
const BUDGET_MINUTES: i64 = 240;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChoreEvent {
    Opened {
        title: String,
        points: u32,
        code: Option<String>,
        person: Option<PersonId>,
        warn_at: Instant,
        due: Instant,
    },
    Assigned {
        unit: UnitCode,
    },
    Helped {
        unit: UnitCode,
    },
    Warned,
    Overdue,
    Finished {
        note: String,
    },
}

#[derive(Debug)]
pub enum ChoreCommand {
    Open { title: String, points: u32, code: Option<String> },
    Assign { unit: UnitCode },
    Help { unit: UnitCode },
    Finish { note: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoreState {
    pub id: CaseId,
    pub title: String,
    pub points: u32,
    pub code: Option<String>,
    pub person: Option<PersonId>,
    pub unit: Option<UnitCode>,
    pub helpers: Vec<(UnitCode, Instant)>,
    pub opened_at: Instant,
    pub updated_at: Instant,
    pub warn_at: Instant,
    pub due: Instant,
    pub stage: Stage,
    pub note: Option<String>,
    pub finished_at: Option<Instant>,
    pub version: u32,
}

impl Chore {
    /// The events that open a chore at `ctx.now`.
    pub fn open(cmd: &ChoreCommand, ctx: &Context<'_>) -> Vec<ChoreEvent> {
        let ChoreCommand::Open { title, points, code } = cmd else { panic!("not an opening") };
        let due = ctx.now + Duration::minutes(BUDGET_MINUTES);
        let warn_at = ctx.now + Duration::minutes(BUDGET_MINUTES * 4 / 5);
        vec![ChoreEvent::Opened {
            title: title.clone(),
            points: *points,
            code: code.clone(),
            person: None,
            warn_at,
            due,
        }]
    }
}

impl Kind for Chore {
    const NAME: &'static str = "chore";
    const PREFIX: &'static str = "ZW";
    const LABEL: &'static str = "杂务";
    /// Found by phone, as 一网通办's applications are: its person rows are indexed.
    const FOUND_BY_PHONE: bool = true;
    type State = ChoreState;
    type Event = ChoreEvent;
    type Command = ChoreCommand;

    fn event_name(e: &ChoreEvent) -> &'static str {
        match e {
            ChoreEvent::Opened { .. } => "opened",
            ChoreEvent::Assigned { .. } => "assigned",
            ChoreEvent::Helped { .. } => "helped",
            ChoreEvent::Warned => "warned",
            ChoreEvent::Overdue => "overdue",
            ChoreEvent::Finished { .. } => "finished",
        }
    }

    fn opens(e: &ChoreEvent) -> bool {
        matches!(e, ChoreEvent::Opened { .. })
    }

    fn evolve(state: Option<ChoreState>, env: &Envelope<ChoreEvent>) -> Option<ChoreState> {
        if let ChoreEvent::Opened { title, points, code, person, warn_at, due } = &env.event {
            return Some(ChoreState {
                id: env.case.clone(),
                title: title.clone(),
                points: *points,
                code: code.clone(),
                person: *person,
                unit: None,
                helpers: vec![],
                opened_at: env.at,
                updated_at: env.at,
                warn_at: *warn_at,
                due: *due,
                stage: Stage::Green,
                note: None,
                finished_at: None,
                version: env.seq,
            });
        }
        let mut s = state?;
        s.version = env.seq;
        s.updated_at = env.at;
        match &env.event {
            ChoreEvent::Opened { .. } => unreachable!("handled above"),
            ChoreEvent::Assigned { unit } => s.unit = Some(unit.clone()),
            ChoreEvent::Helped { unit } => s.helpers.push((unit.clone(), env.at)),
            ChoreEvent::Warned => s.stage = s.stage.max(Stage::Yellow),
            ChoreEvent::Overdue => s.stage = Stage::Red,
            ChoreEvent::Finished { note } => {
                s.note = Some(note.clone());
                s.finished_at = Some(env.at);
            }
        }
        Some(s)
    }

    fn decide(s: &ChoreState, cmd: &ChoreCommand, ctx: &Context<'_>) -> Result<Vec<ChoreEvent>, Refusal> {
        if s.finished_at.is_some() {
            return Err(Refusal::CaseClosed("杂务已完成"));
        }
        Ok(match cmd {
            ChoreCommand::Open { .. } => return Err(Refusal::rule("opened_already", "杂务已登记")),
            ChoreCommand::Assign { unit } => vec![ChoreEvent::Assigned { unit: unit.clone() }],
            ChoreCommand::Help { unit } => vec![ChoreEvent::Helped { unit: unit.clone() }],
            ChoreCommand::Finish { note } => {
                if ctx.actor.unit() != s.unit.as_ref() {
                    return Err(Refusal::Forbidden { action: "finish", why: "不是本单位的杂务" });
                }
                vec![ChoreEvent::Finished { note: note.clone() }]
            }
        })
    }

    fn alarms(s: &ChoreState, ctx: &Context<'_>) -> Vec<ChoreEvent> {
        let now = ctx.now;
        match (s.finished_at, s.stage) {
            (None, Stage::Green) if now >= s.due => vec![ChoreEvent::Overdue],
            (None, Stage::Green) if now >= s.warn_at => vec![ChoreEvent::Warned],
            (None, Stage::Yellow) if now >= s.due => vec![ChoreEvent::Overdue],
            _ => vec![],
        }
    }

    fn id(s: &ChoreState) -> &CaseId {
        &s.id
    }

    fn version(s: &ChoreState) -> u32 {
        s.version
    }

    fn project(s: &ChoreState) -> Projection {
        let open = s.finished_at.is_none();
        let status = match (open, &s.unit) {
            (false, _) => "finished",
            (true, Some(_)) => "assigned",
            (true, None) => "open",
        };
        let next_alarm = match s.stage {
            _ if !open => None,
            Stage::Green => Some(s.warn_at),
            Stage::Yellow => Some(s.due),
            Stage::Red => None,
        };
        let mut access: Vec<UnitCode> =
            s.unit.iter().cloned().chain(s.helpers.iter().map(|(u, _)| u.clone())).collect();
        access.sort();
        access.dedup();
        let facts = match (&s.unit, s.finished_at) {
            (Some(unit), Some(at)) => vec![Fact {
                unit: unit.clone(),
                month: month_of(at),
                name: "finished",
                flag: at <= s.due,
                value: s.points.to_string(),
            }],
            _ => vec![],
        };
        Projection {
            header: Header {
                status,
                title: Some(s.title.clone()),
                unit: s.unit.clone(),
                category: Some("chores".into()),
                area: None,
                person: s.person,
                tracking_code: s.code.clone(),
                opened_at: s.opened_at,
                updated_at: s.updated_at,
                closed_at: s.finished_at,
                stage: s.stage,
                next_due: open.then_some(s.due),
                next_due_working: false,
                next_alarm,
                version: s.version,
            },
            co_units: s.helpers.clone(),
            access,
            facts,
            volume: vec![("status", status.to_owned())],
            detail: serde_json::json!({ "points": s.points }).to_string(),
            example: None::<Example>,
        }
    }

    fn status_label(status: &str) -> &'static str {
        match status {
            "open" => "待分派",
            "assigned" => "已分派",
            "finished" => "已完成",
            _ => "",
        }
    }

    fn search_text(s: &ChoreState) -> String {
        format!("{} {}", s.title, s.note.as_deref().unwrap_or(""))
    }

    fn set_person(first: &mut ChoreEvent, p: PersonId) {
        if let ChoreEvent::Opened { person, .. } = first {
            *person = Some(p);
        }
    }

    fn sees_all(actor: &Actor) -> bool {
        actor.has_role(Role::Admin)
    }
}
