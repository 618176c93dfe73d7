//! The application as a kind of case: what it shows the engine.

use super::Command;
use super::event::{ApplicationEnvelope, ApplicationEvent};
use super::service::Depth;
use super::state::{Application, ApplicationStatus, evolve};
use super::{Channel, Delivery};
use crate::case::{Context, Fact, Header, Kind, Projection, Refusal};
use crate::deadline::Clocks;
use crate::id::{CaseId, PersonId};
use crate::org::Actor;
use serde::{Deserialize, Serialize};

/// The service application (办件), as the engine knows it.
pub struct ApplicationKind;

/// An application's own columns: what queues show and the indicators count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationDetail {
    pub service: String,
    pub service_name: String,
    pub service_version: u32,
    pub channel: Channel,
    /// The enterprise's name, for an enterprise's application.
    pub enterprise: Option<String>,
    /// Its 统一社会信用代码: what the enterprise register finds its applications by.
    #[serde(default)]
    pub enterprise_code: Option<String>,
    pub instant: bool,
    /// 全程网办 as the service promises it.
    pub online_service: bool,
    pub visits: u32,
    pub deemed_accepted: bool,
    pub granted: Option<bool>,
    pub on_time: Option<bool>,
    pub certificate: Option<String>,
    /// 好差评, once given.
    #[serde(default)]
    pub rating: Option<super::Rating>,
    /// The certificate's online status id, and whether it was revoked: what
    /// verification and the status list look certificates up by.
    #[serde(default)]
    pub certificate_status_id: Option<String>,
    #[serde(default)]
    pub certificate_revoked: bool,
    /// The bundle (一件事) it is a part of: queues mark it 联办 and link to it.
    #[serde(default)]
    pub bundle: Option<String>,
    /// Which part of its bundle it is (the service's code).
    #[serde(default)]
    pub bundle_part: Option<String>,
}

impl ApplicationDetail {
    pub fn of(a: &Application) -> Self {
        ApplicationDetail {
            service: a.service.code.clone(),
            service_name: a.service.name.clone(),
            service_version: a.service.version,
            channel: a.channel,
            enterprise: a.enterprise.as_ref().map(|e| e.name.clone()),
            enterprise_code: a.enterprise.as_ref().map(|e| e.code.to_string()),
            instant: a.service.instant,
            online_service: a.service.depth == Depth::Online,
            visits: a.visits,
            deemed_accepted: a.deemed_accepted,
            granted: a.granted,
            on_time: a.on_time,
            certificate: a.certificate.as_ref().map(|c| c.number.clone()),
            rating: a.rated.as_ref().map(|r| r.rating),
            certificate_status_id: a
                .certificate
                .as_ref()
                .and_then(|c| c.signed.as_ref())
                .map(|s| s.document.status_id.clone()),
            certificate_revoked: a.certificate.as_ref().is_some_and(|c| c.revoked.is_some()),
            bundle: a.bundle.as_ref().map(|b| b.bundle.to_string()),
            bundle_part: a.bundle.as_ref().map(|b| b.part.clone()),
        }
    }
}

/// The facts an application finished (办结) gives its department's indicators in the
/// month it ended, each with the service's code in its value (the visits after a
/// `|`): 按时办结 (against the promise), 全程网办 (filed and delivered online, no
/// visit), 即办件, and the visits (零跑动 as the flag, the count for the average).
fn facts(a: &Application) -> Vec<Fact> {
    let mut out = vec![];
    // 好评 (flag) or 差评, in the month it was given, whatever the application's end.
    if let Some(r) = &a.rated {
        let month = crate::calendar::civil_date(r.at).format("%Y-%m").to_string();
        out.push(Fact {
            unit: a.department().clone(),
            month,
            name: FACT_RATED,
            flag: r.rating.is_good(),
            value: a.service.code.clone(),
        });
    }
    // Each dimension's level (the overall one too), online and at the hall, and the
    // hall's ratings as 好评 or 差评, in the month each was given.
    if let Some(r) = &a.rated {
        out.extend(dimension_facts(a, r, "online"));
    }
    for r in a.visit_log.iter().filter_map(|v| v.rated.as_ref()) {
        let month = crate::calendar::civil_date(r.at).format("%Y-%m").to_string();
        out.push(Fact {
            unit: a.department().clone(),
            month,
            name: FACT_VISIT_RATED,
            flag: r.rating.is_good(),
            value: a.service.code.clone(),
        });
        out.extend(dimension_facts(a, r, "hall"));
    }
    // The time the decision took, in the month it was made, by half working days.
    if let (Some(at), Some(seconds)) = (a.decided_at, a.working_seconds) {
        out.push(Fact {
            unit: a.department().clone(),
            month: crate::calendar::civil_date(at).format("%Y-%m").to_string(),
            name: FACT_TIME,
            flag: a.on_time.unwrap_or(false),
            value: format!("{}|{}", a.service.code, (seconds + 21_600) / 43_200),
        });
    }
    // 证照复用: the materials e-certificates stood in for, in the month it was filed.
    let reused = a.materials.iter().filter(|m| m.certificate.is_some()).count();
    if reused > 0 {
        out.push(Fact {
            unit: a.department().clone(),
            month: crate::calendar::civil_date(a.filed_at).format("%Y-%m").to_string(),
            name: FACT_REUSED,
            flag: true,
            value: format!("{}|{reused}", a.service.code),
        });
    }
    let (Some(closed), ApplicationStatus::Done) = (a.closed_at, a.status) else { return out };
    let month = crate::calendar::civil_date(closed).format("%Y-%m").to_string();
    let fact =
        |name, flag, value: String| Fact { unit: a.department().clone(), month: month.clone(), name, flag, value };
    let code = a.service.code.clone();
    let online = a.channel == Channel::Online && a.visits == 0 && a.delivery != Some(Delivery::Window);
    out.extend([
        fact(FACT_DONE, a.on_time.unwrap_or(false), code.clone()),
        fact(FACT_VISITS, a.visits == 0, format!("{code}|{}", a.visits)),
        fact(FACT_INSTANT, a.service.instant, code.clone()),
        fact(FACT_ONLINE, online, code),
    ]);
    out
}

/// A rating's levels as facts: `service|where.dimension|score`, `where` being
/// `online` or `hall` and the overall level `overall`.
fn dimension_facts(a: &Application, r: &super::Rated, place: &str) -> Vec<Fact> {
    let month = crate::calendar::civil_date(r.at).format("%Y-%m").to_string();
    let code = &a.service.code;
    std::iter::once(("overall", r.rating))
        .chain(r.dimensions.iter().map(|(d, level)| (d.as_str(), *level)))
        .map(|(d, level)| Fact {
            unit: a.department().clone(),
            month: month.clone(),
            name: FACT_DIMENSION,
            flag: level.is_good(),
            value: format!("{code}|{place}.{d}|{}", level.score()),
        })
        .collect()
}

/// The names of an application's facts (`ApplicationKind::project`).
pub const FACT_DONE: &str = "application_done";
pub const FACT_VISITS: &str = "application_visits";
pub const FACT_INSTANT: &str = "application_instant";
pub const FACT_ONLINE: &str = "application_online";
pub const FACT_RATED: &str = "application_rated";
/// Materials an e-certificate stood in for (证照复用): `service|how many`.
pub const FACT_REUSED: &str = "application_reused";
/// A visit at the hall rated (现场评价): 好评 as the flag, the service as the value.
pub const FACT_VISIT_RATED: &str = "application_visit_rated";
/// One dimension of a rating: `service|online.efficiency|4` (`dimension_facts`).
pub const FACT_DIMENSION: &str = "application_dimension";
/// A decision and how long it took: `service|half working days`.
pub const FACT_TIME: &str = "application_time";

impl Kind for ApplicationKind {
    const NAME: &'static str = "application";
    const PREFIX: &'static str = "BJ";
    const LABEL: &'static str = "办件";
    /// Found by phone: the applicant's 我的办件.
    const FOUND_BY_PHONE: bool = true;
    type State = Application;
    type Event = ApplicationEvent;
    type Command = Command;

    fn event_name(e: &ApplicationEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &ApplicationEvent) -> bool {
        matches!(e, ApplicationEvent::Filed { .. })
    }
    fn evolve(state: Option<Application>, env: &ApplicationEnvelope) -> Option<Application> {
        evolve(state, env)
    }
    fn decide(state: &Application, command: &Command, ctx: &Context<'_>) -> Result<Vec<ApplicationEvent>, Refusal> {
        super::decide(state, command, ctx)
    }
    fn alarms(state: &Application, ctx: &Context<'_>) -> Vec<ApplicationEvent> {
        super::alarms(state, ctx)
    }
    fn id(state: &Application) -> &CaseId {
        &state.id
    }
    fn version(state: &Application) -> u32 {
        state.version
    }

    fn project(a: &Application) -> Projection {
        let mut access = vec![a.department().clone()];
        access.extend(a.registered_by.iter().cloned());
        access.sort();
        access.dedup();
        let mut title = match &a.enterprise {
            Some(e) => format!("{}（{}）", a.service.name, e.name),
            None => a.service.name.clone(),
        };
        // A part of a bundle is marked in every queue and list (联办: 一件事).
        if a.bundle.is_some() {
            title.insert_str(0, "【一件事·联办】");
        }
        Projection {
            header: Header {
                status: a.status.as_str(),
                title: Some(title),
                unit: Some(a.department().clone()),
                category: Some(a.service.code.clone()),
                area: a.area.clone(),
                person: a.person,
                tracking_code: a.tracking_code.clone(),
                opened_at: a.filed_at,
                updated_at: a.updated_at,
                closed_at: a.closed_at,
                stage: a.stage(),
                next_due: a.clocks.next_due(),
                next_due_working: a.clocks.next_due_working(),
                next_alarm: if a.is_open() { a.clocks.next_alarm() } else { None },
                version: a.version,
            },
            co_units: vec![],
            access,
            facts: facts(a),
            volume: vec![("status", a.status.as_str().to_owned()), ("category", a.service.code.clone())],
            detail: serde_json::to_string(&ApplicationDetail::of(a)).expect("an application's detail serialises"),
            example: None,
        }
    }

    fn status_label(status: &str) -> &'static str {
        ApplicationStatus::parse(status).map(ApplicationStatus::label).unwrap_or("")
    }

    /// The service and the enterprise; the form holds personal data and is not indexed.
    fn search_text(a: &Application) -> String {
        let mut t = a.service.name.clone();
        if let Some(e) = &a.enterprise {
            t.push(' ');
            t.push_str(&e.name);
            t.push(' ');
            t.push_str(e.code.as_str());
        }
        t
    }

    fn touches_text(e: &ApplicationEvent) -> bool {
        matches!(e, ApplicationEvent::Filed { .. })
    }

    /// The applicant is told at 受理, 补正, 不予受理, a §45 pause, the decision, the
    /// certificate, and when a missed 补正 ends the application.
    fn notices(_before: Option<&Application>, events: &[ApplicationEvent]) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| match e {
                ApplicationEvent::Accepted { .. } => Some("application_accepted"),
                ApplicationEvent::SupplementAsked { .. } => Some("application_supplement"),
                ApplicationEvent::Rejected { .. } => Some("application_rejected"),
                ApplicationEvent::Suspended { .. } => Some("application_suspended"),
                ApplicationEvent::Decided { .. } => Some("application_decided"),
                ApplicationEvent::Certified { .. } => Some("application_certified"),
                ApplicationEvent::Withdrawn { deemed: true, .. } => Some("application_lapsed"),
                ApplicationEvent::EndedWithBundle { .. } => Some("application_bundle_stopped"),
                _ => None,
            })
            .collect()
    }

    fn set_person(first: &mut ApplicationEvent, person: PersonId) {
        if let ApplicationEvent::Filed { person: p, .. } = first {
            *p = Some(person);
        }
    }

    fn attachments(a: &Application) -> Vec<String> {
        a.materials.iter().flat_map(|m| m.files.iter().cloned()).collect()
    }

    fn sees_all(actor: &Actor) -> bool {
        super::sees_all(actor)
    }

    fn check(a: &Application) -> Result<(), String> {
        a.service.check()?;
        if a.status == ApplicationStatus::Suspended && a.suspended.is_none() {
            return Err("a suspended application names no step".into());
        }
        if matches!(a.status, ApplicationStatus::Accepted | ApplicationStatus::Reviewed) && a.accepted_at.is_none() {
            return Err("an application under review was never accepted".into());
        }
        Ok(())
    }
}
