//! The bundle as a kind of case: what it shows the engine.

use super::event::{BundleEnvelope, BundleEvent};
use super::state::{Bundle, BundleStatus, evolve};
use super::{Command, PartOutcome, RefusalRule};
use crate::application::Channel;
use crate::case::{Context, Header, Kind, Projection, Refusal};
use crate::deadline::Clocks;
use crate::id::{CaseId, PersonId};
use crate::org::Actor;
use serde::{Deserialize, Serialize};

/// The bundle (一件事), as the engine knows it.
pub struct BundleKind;

/// One part as a bundle's detail shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartDetail {
    pub service: String,
    pub name: String,
    pub department: String,
    pub case: Option<String>,
    pub outcome: Option<PartOutcome>,
}

/// A bundle's own columns: what queues show and filter by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleDetail {
    pub bundle: String,
    pub bundle_name: String,
    pub bundle_version: u32,
    pub channel: Channel,
    pub enterprise: Option<String>,
    pub refusal: RefusalRule,
    pub parts: Vec<PartDetail>,
    /// Parts chosen but not yet opened: what the app's reconcile looks for.
    pub unopened: usize,
    pub on_time: Option<bool>,
}

impl BundleDetail {
    pub fn of(b: &Bundle) -> Self {
        BundleDetail {
            bundle: b.def.code.clone(),
            bundle_name: b.def.name.clone(),
            bundle_version: b.def.version,
            channel: b.channel,
            enterprise: b.enterprise.as_ref().map(|e| e.name.clone()),
            refusal: b.def.refusal,
            parts: b
                .parts
                .iter()
                .map(|p| PartDetail {
                    service: p.chosen.service.clone(),
                    name: p.chosen.name.clone(),
                    department: p.chosen.department.to_string(),
                    case: p.case.as_ref().map(|c| c.to_string()),
                    outcome: p.outcome,
                })
                .collect(),
            unopened: b.parts.iter().filter(|p| p.case.is_none()).count(),
            on_time: b.on_time,
        }
    }
}

impl Kind for BundleKind {
    const NAME: &'static str = "bundle";
    const PREFIX: &'static str = "YJ";
    const LABEL: &'static str = "一件事";
    type State = Bundle;
    type Event = BundleEvent;
    type Command = Command;

    fn event_name(e: &BundleEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &BundleEvent) -> bool {
        matches!(e, BundleEvent::BundleFiled { .. })
    }
    fn evolve(state: Option<Bundle>, env: &BundleEnvelope) -> Option<Bundle> {
        evolve(state, env)
    }
    fn decide(state: &Bundle, command: &Command, ctx: &Context<'_>) -> Result<Vec<BundleEvent>, Refusal> {
        super::decide::decide(state, command, ctx)
    }
    fn alarms(state: &Bundle, ctx: &Context<'_>) -> Vec<BundleEvent> {
        super::alarms(state, ctx)
    }
    fn id(state: &Bundle) -> &CaseId {
        &state.id
    }
    fn version(state: &Bundle) -> u32 {
        state.version
    }

    fn project(b: &Bundle) -> Projection {
        // The window that registered it, and every department with a part.
        let mut access: Vec<_> = b.registered_by.iter().cloned().collect();
        access.extend(b.parts.iter().map(|p| p.chosen.department.clone()));
        access.sort();
        access.dedup();
        let title = match &b.enterprise {
            Some(e) => format!("{}（{}）", b.def.name, e.name),
            None => b.def.name.clone(),
        };
        Projection {
            header: Header {
                status: b.status.as_str(),
                title: Some(title),
                unit: b.registered_by.clone(),
                category: Some(b.def.code.clone()),
                area: b.area.clone(),
                person: b.person,
                tracking_code: b.tracking_code.clone(),
                opened_at: b.filed_at,
                updated_at: b.updated_at,
                closed_at: b.closed_at,
                stage: b.stage(),
                next_due: b.clocks.next_due(),
                next_due_working: b.clocks.next_due_working(),
                next_alarm: if b.is_open() { b.clocks.next_alarm() } else { None },
                version: b.version,
            },
            co_units: vec![],
            access,
            facts: vec![],
            volume: vec![("status", b.status.as_str().to_owned()), ("category", b.def.code.clone())],
            detail: serde_json::to_string(&BundleDetail::of(b)).expect("a bundle's detail serialises"),
            example: None,
        }
    }

    fn status_label(status: &str) -> &'static str {
        BundleStatus::parse(status).map(BundleStatus::label).unwrap_or("")
    }

    fn search_text(b: &Bundle) -> String {
        let mut t = b.def.name.clone();
        if let Some(e) = &b.enterprise {
            t.push(' ');
            t.push_str(&e.name);
            t.push(' ');
            t.push_str(e.code.as_str());
        }
        t
    }

    fn touches_text(e: &BundleEvent) -> bool {
        matches!(e, BundleEvent::BundleFiled { .. })
    }

    /// Each part tells the applicant of its own steps; the bundle tells of its end.
    fn notices(_before: Option<&Bundle>, events: &[BundleEvent]) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| match e {
                BundleEvent::Stopped { .. } => Some("bundle_stopped"),
                BundleEvent::Completed { .. } => Some("bundle_completed"),
                _ => None,
            })
            .collect()
    }

    fn set_person(first: &mut BundleEvent, person: PersonId) {
        if let BundleEvent::BundleFiled { person: p, .. } = first {
            *p = Some(person);
        }
    }

    fn attachments(b: &Bundle) -> Vec<String> {
        b.materials.iter().flat_map(|m| m.files.iter().cloned()).collect()
    }

    fn sees_all(actor: &Actor) -> bool {
        super::sees_all(actor)
    }

    fn check(b: &Bundle) -> Result<(), String> {
        if b.parts.is_empty() {
            return Err("a bundle chose no part".into());
        }
        if b.closed_at.is_some() && b.parts.iter().any(|p| p.outcome.is_none()) {
            return Err("a bundle ended with a part still under way".into());
        }
        Ok(())
    }
}
