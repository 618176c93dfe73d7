//! 一件事一次办: bundles of services filed once and approved in parallel.
//!
//! A bundle's definition is catalogue data beside the services (`[[bundle]]` in
//! `services.toml`, versioned with them in the reference document `services`).
//! Registering one (`register_bundle`, at the window or by the applicant online)
//! files the bundle case, then one application per part it chose, each recording the
//! bundle and its part. When a part ends the app reports it to the bundle
//! (`settle_bundle`) in the same flow; under the all-stop rule a refusal ends the
//! other parts not yet decided.
//!
//! Every step is a separate write, so a crash can fall between two. `settle_bundle`
//! is idempotent and repairs whatever is missing — a chosen part never opened (each
//! part is found by its bundle and part code, and opened under an Idempotency-Key of
//! its own, so never twice), a part opened but not recorded, an outcome not reported,
//! a part left running after a stop — and the scheduler's `tick` runs it over every
//! open bundle.

use crate::{App, AppError, CitizenInput, Result};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yiwang_core::application::{
    self, ApplicationDetail, ApplicationKind, ApplicationStatus, Channel, Enterprise, PartOf, Provided, Service,
};
use yiwang_core::bundle::{self, Bundle, BundleDef, BundleDetail, BundleKind, Command, NewBundle, PartOutcome};
use yiwang_core::case::{Events, Kind};
use yiwang_core::deadline::Stage;
use yiwang_core::id::{CaseId, TrackingCode, UnitCode};
use yiwang_core::org::{Actor, Role};
use yiwang_store::{CaseQuery, IdempotencyKey, NewCase, StoreError};

/// A bundle application as the window (or the applicant online) files it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleInput {
    /// The bundle's code; its current version applies, and its services' current ones.
    pub bundle: String,
    pub applicant: CitizenInput,
    #[serde(default)]
    pub enterprise: Option<Enterprise>,
    /// The answers to the bundle's questions: they choose the parts.
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// The shared form, each field once.
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    /// The materials, each once; every part gets those on its list.
    #[serde(default)]
    pub materials: Vec<Provided>,
    #[serde(default)]
    pub area: Option<UnitCode>,
}

/// A bundle of the catalogue as the guide and the register page show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleGuide {
    pub bundle: BundleDef,
    /// The services of its parts, at their current versions, in the bundle's order.
    pub services: Vec<Service>,
    /// The shared form: each field once, under the bundle's code for it.
    pub fields: Vec<SharedField>,
    /// Each material once (the first part's wording), and the parts that ask for it.
    pub materials: Vec<SharedMaterial>,
    /// The parts' promises added up, which the bundle's own promise beats.
    pub promised_sum: u32,
    pub refusal_label: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedField {
    pub code: String,
    pub field: application::service::Field,
    /// The services whose form it fills.
    pub parts: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedMaterial {
    pub material: application::service::Material,
    pub parts: Vec<String>,
}

/// One part as the bundle's page shows it: its application's status and clock.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartView {
    pub service: String,
    pub name: String,
    pub department: UnitCode,
    pub department_name: String,
    pub case: Option<CaseId>,
    pub status: Option<String>,
    pub status_label: &'static str,
    pub stage: Option<Stage>,
    pub next_due: Option<chrono::DateTime<chrono::Utc>>,
    pub outcome: Option<PartOutcome>,
}

/// A bundle as its page shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BundleView {
    pub bundle: Bundle,
    pub detail: BundleDetail,
    pub status_label: &'static str,
    pub refusal_label: &'static str,
    pub parts: Vec<PartView>,
    pub timeline: Vec<crate::ApplicationStep>,
    /// The commands the caller may give now (`extend`, `withdraw`).
    pub actions: Vec<&'static str>,
}

impl App {
    /// The bundles of the catalogue now, each at its current version.
    pub fn bundles(&self) -> Result<Vec<BundleDef>> {
        self.stored_bundles()
    }

    /// One bundle of the catalogue with its services, shared form and materials.
    pub fn bundle_guide(&self, code: &str) -> Result<BundleGuide> {
        let def = self.bundles()?.into_iter().find(|b| b.code == code).ok_or(AppError::NotFound("一件事"))?;
        let services: Vec<Service> = def.parts.iter().map(|p| self.service(&p.service, None)).collect::<Result<_>>()?;
        let find = |c: &str| services.iter().find(|s| s.code == c);
        let fields = def
            .fields(find)
            .into_iter()
            .map(|(code, field)| {
                let parts = def
                    .parts
                    .iter()
                    .filter(|p| {
                        find(&p.service)
                            .is_some_and(|s| s.fields.iter().any(|f| p.fields.get(&f.code).unwrap_or(&f.code) == &code))
                    })
                    .map(|p| p.service.clone())
                    .collect();
                SharedField { code, field, parts }
            })
            .collect();
        let mut materials: Vec<SharedMaterial> = vec![];
        for s in &services {
            for m in &s.materials {
                match materials.iter_mut().find(|x| x.material.code == m.code) {
                    Some(x) => x.parts.push(s.code.clone()),
                    None => materials.push(SharedMaterial { material: m.clone(), parts: vec![s.code.clone()] }),
                }
            }
        }
        Ok(BundleGuide {
            promised_sum: services.iter().map(|s| s.promised_days.max(1)).sum(),
            refusal_label: def.refusal.label(),
            fields,
            materials,
            services,
            bundle: def,
        })
    }

    /// 一件事收件: the bundle is filed under its current version, then each part it
    /// chose. A clerk registers it at the window (the applicant present); an
    /// applicant files it online as `Actor::Citizen` (the portal proves who they are).
    /// Anything wrong with any part refuses the whole before anything is stored.
    pub fn register_bundle(&self, actor: &Actor, input: BundleInput) -> Result<BundleView> {
        let channel = match actor {
            Actor::Citizen => Channel::Online,
            a if a.has_role(Role::Clerk) => Channel::Window,
            _ => return Err(AppError::Forbidden("只有窗口受理员可以登记一件事".into())),
        };
        let guide = self
            .bundle_guide(&input.bundle)
            .map_err(|_| AppError::invalid("bundle", format!("一件事 {} 不存在，请从办事指南中选择", input.bundle)))?;
        let person = self.person_data(&input.applicant, "applicant")?;
        if person.as_ref().is_none_or(|p| p.name.is_none() || p.phone.is_none()) {
            return Err(AppError::invalid("applicant", "请填写申请人（或经办人）的姓名和联系电话"));
        }
        let r = self.reference();
        let id = loop {
            let now = self.now();
            let new = NewBundle {
                def: guide.bundle.clone(),
                services: guide.services.clone(),
                channel,
                enterprise: input.enterprise.clone(),
                answers: input.answers.clone(),
                form: input.form.clone(),
                materials: input.materials.clone(),
                area: input.area.clone(),
                tracking_code: Some(tracking_code(now)),
            };
            let events = bundle::open(&new, &self.context(&r, actor, now))?;
            let case = NewCase {
                tenant: r.tenant.clone(),
                at: now,
                actor: actor.clone(),
                person: person.clone(),
                events: Events::new::<BundleKind>(events),
                notices: vec![],
                idempotency: None,
            };
            match self.create_case(case).wait() {
                Err(StoreError::Duplicate(m)) if m.contains("tracking_code") => continue,
                created => break created?.id().clone(),
            }
        };
        self.settle_as(actor, &id)?;
        self.bundle_view(&Actor::System, &id).map(|mut v| {
            v.actions = self.bundle_actions(actor, &v.bundle);
            v
        })
    }

    /// Brings a bundle and its parts into agreement, whatever happened in between:
    /// opens the chosen parts not yet opened, records the parts opened, reports each
    /// part's outcome, and after a stop ends the parts not yet decided. Idempotent; the
    /// scheduler runs it over every open bundle.
    pub fn settle_bundle(&self, id: &CaseId) -> Result<Bundle> {
        self.settle_as(&Actor::System, id)
    }

    /// `settle_bundle`, parts opened by `opener` (the clerk registering the bundle, or
    /// the system when it repairs).
    fn settle_as(&self, opener: &Actor, id: &CaseId) -> Result<Bundle> {
        let mut b = self.load_as::<BundleKind>(id)?;
        if !b.is_open() {
            return Ok(b);
        }
        let mut rows = self.part_rows(&b)?;
        // Open what was chosen and never opened.
        for p in b.parts.clone() {
            if !rows.iter().any(|r| r.part == p.chosen.service) {
                self.open_part(opener, &b, &p.chosen)?;
                rows = self.part_rows(&b)?;
            }
        }
        // Record each part's application, and what became of it.
        for r in &rows {
            let Some(part) = b.part(&r.part) else { continue };
            if part.case.is_none() {
                b = self.record_on_bundle(id, Command::RecordPart { part: r.part.clone(), case: r.case.clone() })?;
            }
            if let Some(outcome) = bundle::outcome_of(r.status, r.granted)
                && b.part(&r.part).is_some_and(|p| p.outcome.is_none())
            {
                b = self.record_on_bundle(id, Command::RecordOutcome { part: r.part.clone(), outcome })?;
            }
        }
        // A stopped bundle ends its parts not yet decided; the applicant is told.
        if b.status == bundle::BundleStatus::Stopped {
            let reason = b.stopped.clone().unwrap_or_else(|| "一件事终止".into());
            for r in rows.iter().filter(|r| r.status.before_decision()) {
                let cmd = application::Command::EndWithBundle { reason: reason.clone() };
                match self.act_on::<ApplicationKind>(&Actor::System, &r.case, &cmd) {
                    Ok(_) | Err(AppError::Refused(_)) => {}
                    Err(e) => return Err(e),
                }
                let a = self.load_as::<ApplicationKind>(&r.case)?;
                if let Some(outcome) = bundle::part_outcome(&a)
                    && b.part(&r.part).is_some_and(|p| p.outcome.is_none())
                {
                    b = self.record_on_bundle(id, Command::RecordOutcome { part: r.part.clone(), outcome })?;
                }
            }
        }
        Ok(b)
    }

    /// A command of the system on a bundle; one already recorded is no error.
    fn record_on_bundle(&self, id: &CaseId, cmd: Command) -> Result<Bundle> {
        match self.act_on::<BundleKind>(&Actor::System, id, &cmd) {
            Err(AppError::Refused(yiwang_core::case::Refusal::AlreadyDone(_))) => self.load_as::<BundleKind>(id),
            other => other,
        }
    }

    /// The applications of a bundle's parts. When the bundle has recorded every
    /// part's application they are loaded by number; only a part not yet recorded (at
    /// registration, or after a crash) needs the query by the detail key `bundle`.
    fn part_rows(&self, b: &Bundle) -> Result<Vec<PartRow>> {
        if b.parts.iter().all(|p| p.case.is_some()) {
            return b
                .parts
                .iter()
                .filter_map(|p| Some((p.case.clone()?, p.chosen.service.clone())))
                .map(|(case, part)| {
                    let a = self.load_as::<ApplicationKind>(&case)?;
                    Ok(PartRow {
                        status: a.status,
                        granted: a.granted,
                        stage: a.stage(),
                        next_due: if a.is_open() { yiwang_core::deadline::Clocks::next_due(&a.clocks) } else { None },
                        case,
                        part,
                    })
                })
                .collect();
        }
        let q = CaseQuery {
            kind: Some(ApplicationKind::NAME),
            detail: vec![("bundle", serde_json::json!(b.id.to_string()))],
            limit: 100,
            ..Default::default()
        };
        Ok(self
            .store
            .list_cases(&q)?
            .rows
            .into_iter()
            .filter_map(|r| {
                let d = serde_json::from_str::<ApplicationDetail>(&r.detail).ok()?;
                Some(PartRow {
                    part: d.bundle_part?,
                    status: ApplicationStatus::parse(&r.status)?,
                    granted: d.granted,
                    stage: r.stage,
                    next_due: r.next_due,
                    case: r.id,
                })
            })
            .collect())
    }

    /// Files one part's application, under an Idempotency-Key of the bundle and part,
    /// so that two repairs racing open it once.
    fn open_part(&self, opener: &Actor, b: &Bundle, chosen: &bundle::ChosenPart) -> Result<()> {
        let service = self.service(&chosen.service, Some(chosen.version))?;
        let person = match b.person {
            Some(p) => self.store.person(p)?.filter(|p| p.erased_at.is_none()).map(|p| p.data),
            None => None,
        };
        let key = IdempotencyKey {
            scope: "bundle".into(),
            key: format!("{}/{}", b.id, chosen.service),
            fingerprint: String::new(),
        };
        if self.replay(&key)?.is_some() {
            return Ok(());
        }
        let part_of = PartOf { bundle: b.id.clone(), part: chosen.service.clone() };
        let r = self.reference();
        loop {
            let now = self.now();
            let mut input = bundle::part_input(
                &b.def,
                &service,
                b.channel,
                b.enterprise.as_ref(),
                &b.form,
                &b.materials,
                b.area.as_ref(),
            );
            input.tracking_code = Some(tracking_code(now));
            let events =
                application::open_part(&input, &part_of, b.registered_by.clone(), &self.context(&r, opener, now))?;
            let case = NewCase {
                tenant: r.tenant.clone(),
                at: now,
                actor: opener.clone(),
                person: person.clone(),
                events: Events::new::<ApplicationKind>(events),
                notices: vec![],
                idempotency: Some(key.clone()),
            };
            match self.create_case(case).wait() {
                Err(StoreError::Duplicate(m)) if m.contains("tracking_code") => continue,
                Err(e) => match AppError::from(e) {
                    AppError::IdempotencyKeyUsed => return Ok(()),
                    e => return Err(e),
                },
                Ok(_) => return Ok(()),
            }
        }
    }

    /// Settles every open bundle (the scheduler's repair of a crash between writes).
    pub fn reconcile_bundles(&self) -> Result<u32> {
        let q = CaseQuery { kind: Some(BundleKind::NAME), open: Some(true), limit: 10_000, ..Default::default() };
        let mut n = 0;
        for row in self.store.list_cases(&q)?.rows {
            let before = self.load_as::<BundleKind>(&row.id)?.version;
            if self.settle_bundle(&row.id)?.version != before {
                n += 1;
            }
        }
        Ok(n)
    }

    /// A bundle for whoever may see it: the window that registered it, the departments
    /// of its parts, leaders.
    pub fn bundle_view(&self, actor: &Actor, id: &CaseId) -> Result<BundleView> {
        let case = self.load_case(id)?;
        if !case.is::<BundleKind>() || !case.can_view(actor) {
            return Err(AppError::NotFound(BundleKind::LABEL));
        }
        let b = case.into_state::<BundleKind>().map_err(|c| crate::case::wrong_kind(c.id()))?;
        let r = self.reference();
        let rows = self.part_rows(&b)?;
        let parts = b
            .parts
            .iter()
            .map(|p| {
                let row = rows.iter().find(|r| r.part == p.chosen.service);
                PartView {
                    service: p.chosen.service.clone(),
                    name: p.chosen.name.clone(),
                    department_name: r.unit_name(&p.chosen.department),
                    department: p.chosen.department.clone(),
                    case: row.map(|x| x.case.clone()).or_else(|| p.case.clone()),
                    status_label: row.map(|x| x.status.label()).unwrap_or("待分送"),
                    status: row.map(|x| x.status.as_str().to_owned()),
                    stage: row.map(|x| x.stage),
                    next_due: row.and_then(|x| x.next_due),
                    outcome: p.outcome,
                }
            })
            .collect();
        let timeline = self
            .store
            .events(id)?
            .iter()
            .filter_map(|e| {
                let env = e.decode::<BundleKind>().ok()?;
                let name = |code: &str| b.part(code).map_or_else(|| code.to_owned(), |p| p.chosen.name.clone());
                Some(crate::ApplicationStep { at: env.at, summary: env.event.summary(name), by: by(&env.actor) })
            })
            .collect();
        Ok(BundleView {
            actions: self.bundle_actions(actor, &b),
            detail: BundleDetail::of(&b),
            status_label: b.status.label(),
            refusal_label: b.def.refusal.label(),
            parts,
            timeline,
            bundle: b,
        })
    }

    /// Runs one command on a bundle (a leader's extension, a withdrawal at the
    /// window); a withdrawal ends the parts not yet decided in the same flow.
    pub fn act_bundle(&self, actor: &Actor, id: &CaseId, command: &Command) -> Result<BundleView> {
        if matches!(command, Command::RecordPart { .. } | Command::RecordOutcome { .. }) {
            return Err(AppError::Forbidden("各事项的办理情况由系统记录".into()));
        }
        self.act_on::<BundleKind>(actor, id, command)?;
        self.settle_bundle(id)?;
        self.bundle_view(actor, id)
    }

    /// The commands `actor` may give `b` now.
    pub fn bundle_actions(&self, actor: &Actor, b: &Bundle) -> Vec<&'static str> {
        let probes = [Command::Extend { days: 1, reason: "x".into() }, Command::Withdraw { reason: None }];
        let r = self.reference();
        let ctx = self.context(&r, actor, self.now());
        probes.iter().filter(|c| bundle::decide(b, c, &ctx).is_ok()).map(|c| c.name()).collect()
    }

    /// When a command ended (or refused) a part of a bundle, the bundle hears of it in
    /// the same flow.
    pub(crate) fn after_part_changed(&self, id: &CaseId) -> Result<()> {
        let a = self.load_as::<ApplicationKind>(id)?;
        if let Some(p) = &a.bundle
            && bundle::part_outcome(&a).is_some()
        {
            self.settle_bundle(&p.bundle)?;
        }
        Ok(())
    }
}

/// A part's application as settling and the bundle's page need it.
struct PartRow {
    case: CaseId,
    part: String,
    status: ApplicationStatus,
    granted: Option<bool>,
    stage: Stage,
    next_due: Option<chrono::DateTime<chrono::Utc>>,
}

fn tracking_code(now: chrono::DateTime<chrono::Utc>) -> String {
    let mut rng = rand::thread_rng();
    let raw: [u8; 7] = std::array::from_fn(|_| rng.gen_range(0..TrackingCode::BASE));
    TrackingCode::dated(yiwang_core::calendar::civil_date(now), raw).as_str().to_owned()
}

fn by(actor: &Actor) -> String {
    match actor {
        Actor::Staff { username, .. } => username.to_string(),
        Actor::Citizen => "申请人".into(),
        Actor::Client { name } => name.clone(),
        Actor::System => "系统".into(),
    }
}
