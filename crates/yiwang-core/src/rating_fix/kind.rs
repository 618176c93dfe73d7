//! The 差评整改 as a kind of case: what it shows the engine.

use super::Command;
use super::event::{FixEnvelope, FixEvent};
use super::state::{Fix, FixStatus, evolve};
use crate::application::Rating;
use crate::case::{Context, Fact, Header, Kind, Projection, Refusal};
use crate::deadline::Clocks;
use crate::id::{CaseId, PersonId};
use crate::org::Actor;
use serde::{Deserialize, Serialize};

/// The 差评整改, as the engine knows it.
pub struct RatingFixKind;

/// Its own columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FixDetail {
    pub application: CaseId,
    pub service: String,
    pub rating: Rating,
    pub named: bool,
    pub on_time: Option<bool>,
}

/// The fact a finished 差评整改 gives the department in the month it closed: answered
/// within the period (差评整改率's numerator) or not. A rating set aside gives none.
pub const FACT_FIXED: &str = "rating_fixed";

impl Kind for RatingFixKind {
    const NAME: &'static str = "rating_fix";
    const PREFIX: &'static str = "CP";
    const LABEL: &'static str = "差评整改";
    type State = Fix;
    type Event = FixEvent;
    type Command = Command;

    fn event_name(e: &FixEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &FixEvent) -> bool {
        matches!(e, FixEvent::FixOpened { .. })
    }
    fn evolve(state: Option<Fix>, env: &FixEnvelope) -> Option<Fix> {
        evolve(state, env)
    }
    fn decide(state: &Fix, command: &Command, ctx: &Context<'_>) -> Result<Vec<FixEvent>, Refusal> {
        super::decide(state, command, ctx)
    }
    fn alarms(state: &Fix, ctx: &Context<'_>) -> Vec<FixEvent> {
        super::alarms(state, ctx)
    }
    fn id(state: &Fix) -> &CaseId {
        &state.id
    }
    fn version(state: &Fix) -> u32 {
        state.version
    }

    fn project(f: &Fix) -> Projection {
        let facts = match (f.answered_at, f.on_time) {
            (Some(at), Some(on_time)) => {
                let month = crate::calendar::civil_date(at).format("%Y-%m").to_string();
                vec![Fact {
                    unit: f.department.clone(),
                    month,
                    name: FACT_FIXED,
                    flag: on_time,
                    value: f.service.clone(),
                }]
            }
            _ => vec![],
        };
        Projection {
            header: Header {
                status: f.status.as_str(),
                title: Some(format!("{}：{}", f.service_name, f.rating.label())),
                unit: Some(f.department.clone()),
                category: Some(f.service.clone()),
                area: None,
                person: f.person,
                tracking_code: None,
                opened_at: f.opened_at,
                updated_at: f.updated_at,
                closed_at: f.closed_at,
                stage: f.stage(),
                next_due: f.clocks.next_due(),
                next_due_working: f.clocks.next_due_working(),
                next_alarm: if f.is_open() { f.clocks.next_alarm() } else { None },
                version: f.version,
            },
            co_units: vec![],
            access: vec![f.department.clone()],
            facts,
            volume: vec![("status", f.status.as_str().to_owned())],
            detail: serde_json::to_string(&FixDetail {
                application: f.application.clone(),
                service: f.service.clone(),
                rating: f.rating,
                named: f.named,
                on_time: f.on_time,
            })
            .expect("a fix's detail serialises"),
            example: None,
        }
    }

    fn status_label(status: &str) -> &'static str {
        FixStatus::parse(status).map(FixStatus::label).unwrap_or("")
    }

    fn search_text(f: &Fix) -> String {
        format!("{} {}", f.service_name, f.comment)
    }

    fn touches_text(e: &FixEvent) -> bool {
        matches!(e, FixEvent::FixOpened { .. })
    }

    /// The applicant hears the department's answer.
    fn notices(_before: Option<&Fix>, events: &[FixEvent]) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| matches!(e, FixEvent::FixAnswered { .. }).then_some("rating_fix_answered"))
            .collect()
    }

    fn set_person(first: &mut FixEvent, person: PersonId) {
        if let FixEvent::FixOpened { person: p, .. } = first {
            *p = Some(person);
        }
    }

    fn sees_all(actor: &Actor) -> bool {
        super::sees_all(actor)
    }
}
