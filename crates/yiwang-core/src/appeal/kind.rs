//! The appeal as a kind of case: what it shows the engine.

use super::command::Action;
use super::event::{AppealEvent, Envelope};
use super::state::{Appeal, evolve};
use super::{AppealType, Channel};
use crate::case::{Context, Example, Header, Kind, Projection, Refusal};
use crate::deadline::Urgency;
use crate::id::{CaseId, PersonId};
use crate::org::Actor;
use serde::{Deserialize, Serialize};

/// The appeal (诉求), as the engine knows it.
pub struct AppealKind;

/// An appeal's own columns, beside the header every case has: what its queues show
/// and filter by. Defaults are left out, so most appeals store a short document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub appeal_type: AppealType,
    pub channel: Channel,
    #[serde(default = "normal", skip_serializing_if = "is_normal")]
    pub urgency: Urgency,
    /// Returned by a unit and waiting for re-dispatch (退单).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub returned: bool,
    /// Under formal supervision (督办).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub supervised: bool,
    /// The citizen asked that it not be published.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
}

fn normal() -> Urgency {
    Urgency::Normal
}
fn is_normal(u: &Urgency) -> bool {
    *u == Urgency::Normal
}

impl Detail {
    pub fn of(a: &Appeal) -> Detail {
        Detail {
            appeal_type: a.appeal_type,
            channel: a.channel,
            urgency: a.urgency,
            returned: a.returned.is_some(),
            supervised: a.supervised,
            private: a.private,
        }
    }
}

impl Kind for AppealKind {
    const NAME: &'static str = "appeal";
    const PREFIX: &'static str = "YW";
    const LABEL: &'static str = "诉求";
    type State = Appeal;
    type Event = AppealEvent;
    type Command = Action;

    fn event_name(e: &AppealEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &AppealEvent) -> bool {
        matches!(e, AppealEvent::Accepted { .. })
    }
    fn evolve(state: Option<Appeal>, env: &Envelope) -> Option<Appeal> {
        evolve(state, env)
    }
    fn decide(state: &Appeal, command: &Action, ctx: &Context<'_>) -> Result<Vec<AppealEvent>, Refusal> {
        super::decide(state, command, ctx)
    }
    fn alarms(state: &Appeal, ctx: &Context<'_>) -> Vec<AppealEvent> {
        super::alarms(state, ctx.now)
    }
    fn id(state: &Appeal) -> &CaseId {
        &state.id
    }
    fn version(state: &Appeal) -> u32 {
        state.version
    }

    fn project(a: &Appeal) -> Projection {
        // One row per co-unit: an imported history may summon a unit twice (live,
        // core refuses it); the latest summons stands.
        let mut co_units: Vec<(crate::id::UnitCode, crate::Instant)> = vec![];
        for c in &a.co_units {
            co_units.retain(|(u, _)| u != &c.unit);
            co_units.push((c.unit.clone(), c.summoned_at));
        }
        let category = a.category.as_ref().map(|c| c.to_string());
        let area = a.location.area.as_ref().map(|u| u.to_string());
        Projection {
            header: Header {
                status: a.status.as_str(),
                title: a.title.clone(),
                unit: a.unit.clone(),
                category: category.clone(),
                area: a.location.area.clone(),
                person: a.citizen,
                tracking_code: Some(a.tracking_code.as_str().to_owned()),
                opened_at: a.accepted_at,
                updated_at: a.updated_at,
                closed_at: a.closed_at,
                stage: a.stage(),
                next_due: a.next_due(),
                next_due_working: crate::deadline::Clocks::next_due_working(&a.clocks),
                next_alarm: if a.is_open() { a.next_alarm() } else { None },
                version: a.version,
            },
            co_units,
            access: super::decide::access(a),
            facts: crate::measure::facts(a),
            volume: vec![
                ("status", a.status.as_str().to_owned()),
                ("category", category.unwrap_or_default()),
                ("area", area.unwrap_or_default()),
                ("channel", a.channel.as_str().to_owned()),
            ],
            detail: serde_json::to_string(&Detail::of(a)).expect("an appeal's detail serialises"),
            // A corrected case that a unit answered is a labelled example.
            example: match (a.was_corrected(), &a.reply, &a.category) {
                (true, Some(_), Some(cat)) => Some(Example {
                    text: format!("{}{}", a.title.as_deref().unwrap_or(""), a.text),
                    category: cat.clone(),
                }),
                _ => None,
            },
        }
    }

    fn status_label(status: &str) -> &'static str {
        super::Status::parse(status).map(super::Status::label).unwrap_or("")
    }

    /// Title, text, address and reply.
    fn search_text(a: &Appeal) -> String {
        let mut text = String::new();
        for part in [
            a.title.as_deref(),
            Some(a.text.as_str()),
            a.location.address.as_deref(),
            a.reply.as_ref().map(|r| r.text.as_str()),
        ]
        .into_iter()
        .flatten()
        {
            text.push_str(part);
            text.push(' ');
        }
        text
    }

    /// The searchable text (title, text, address, reply) changes only with a reply or
    /// a reopen (which withdraws the reply).
    fn touches_text(e: &AppealEvent) -> bool {
        matches!(
            e,
            AppealEvent::Accepted { .. }
                | AppealEvent::Replied { .. }
                | AppealEvent::MasterReplied { .. }
                | AppealEvent::Reopened { .. }
        )
    }

    /// The citizen hears that the appeal was accepted (its number and tracking code),
    /// replied to (and is asked to rate the answer), answered at once, and reopened.
    fn notices(_before: Option<&Appeal>, events: &[AppealEvent]) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| match e {
                AppealEvent::Accepted { .. } => Some("appeal_accepted"),
                AppealEvent::Replied { .. } | AppealEvent::MasterReplied { .. } => Some("appeal_replied"),
                AppealEvent::AnsweredDirectly { .. } => Some("appeal_answered"),
                AppealEvent::Reopened { .. } => Some("appeal_reopened"),
                _ => None,
            })
            .collect()
    }

    fn set_person(first: &mut AppealEvent, person: PersonId) {
        if let AppealEvent::Accepted { citizen, .. } = first {
            *citizen = Some(person);
        }
    }

    /// The citizen's photos and the photos every reply carried.
    fn attachments(a: &Appeal) -> Vec<String> {
        a.attachments.iter().chain(&a.reply_photos).cloned().collect()
    }

    fn sees_all(actor: &Actor) -> bool {
        super::decide::sees_all(actor)
    }

    fn check(a: &Appeal) -> Result<(), String> {
        a.check()
    }
}
