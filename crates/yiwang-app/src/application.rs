//! 一网通办: the service catalogue (办事指南) and the applications made under it.
//!
//! The catalogue is reference data, loaded from `services.toml` with the district's
//! set-up (or on its own) and kept whole with every version of every service in the
//! reference document `services`: a service whose text changed gets the next version,
//! one that did not keeps its own. An application copies the version it was filed
//! under into its record, so editing a service never changes a filed one.
//!
//! An application is a case of `ApplicationKind`; the window registers it (the
//! applicant present) and the department accepts, reviews, decides, certifies and
//! delivers it through `act_application`. Queues, the scheduler (§32's deemed
//! acceptance, the deemed withdrawal after a missed 补正, yellow and red), search and
//! `audit verify` are the engine's, as for every kind.

use crate::{App, AppError, CitizenInput, Result};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yiwang_core::application::{
    self, Application, ApplicationDetail, ApplicationKind, Catalogue, Channel, Command, Enterprise, NewApplication,
    Provided, Service,
};
use yiwang_core::case::{Events, Kind};
use yiwang_core::id::{CaseId, TrackingCode, UnitCode};
use yiwang_core::org::{Actor, Organisation, Role};
use yiwang_store::{NewCase, StoreError};

/// The reference document that holds every version of every service.
const SERVICES_DOCUMENT: &str = "services";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StoredCatalogue {
    /// Every version of every service, oldest first.
    versions: Vec<Service>,
    /// Every version of every bundle (一件事), oldest first.
    #[serde(default)]
    bundles: Vec<yiwang_core::bundle::BundleDef>,
}

impl StoredCatalogue {
    fn current(&self, code: &str) -> Option<&Service> {
        self.versions.iter().filter(|s| s.code == code).max_by_key(|s| s.version)
    }
    fn current_bundle(&self, code: &str) -> Option<&yiwang_core::bundle::BundleDef> {
        self.bundles.iter().filter(|s| s.code == code).max_by_key(|s| s.version)
    }
}

/// What loading a catalogue did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogueReport {
    /// Services and bundles (一件事) new to the catalogue (version 1).
    pub added: Vec<String>,
    /// Services and bundles whose text changed: a new version each.
    pub updated: Vec<String>,
    pub unchanged: usize,
}

/// A service as the public guide lists it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceSummary {
    pub code: String,
    pub version: u32,
    pub name: String,
    pub department: UnitCode,
    pub department_name: String,
    /// 行政许可, 公共服务 …
    pub type_label: &'static str,
    pub legal_days: u32,
    pub promised_days: u32,
    pub instant: bool,
    /// 全程网办, or 到现场 N 次.
    pub depth_label: String,
    pub for_enterprises: bool,
}

/// A new application as the window registers it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationInput {
    /// The service's code (事项编码); its current version applies.
    pub service: String,
    /// The applicant (for an enterprise, the person acting for it): kept beside the
    /// record, as personal data always is.
    pub applicant: CitizenInput,
    #[serde(default)]
    pub enterprise: Option<Enterprise>,
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    #[serde(default)]
    pub materials: Vec<Provided>,
    #[serde(default)]
    pub area: Option<UnitCode>,
}

/// An application as its page shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationView {
    pub application: Application,
    pub detail: ApplicationDetail,
    pub status_label: &'static str,
    pub department_name: String,
    pub timeline: Vec<ApplicationStep>,
    /// The commands the caller may give now (`accept`, `ask_supplement` …), in the
    /// order of the procedure.
    pub actions: Vec<&'static str>,
}

/// One step of an application's record, for people.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationStep {
    pub at: chrono::DateTime<chrono::Utc>,
    pub summary: String,
    /// Who: a staff member's username, 申请人 or 系统.
    pub by: String,
}

/// Reads and checks a catalogue file against the organisation it will live in.
pub(crate) fn parse_services(text: &str, org: &Organisation) -> Result<Catalogue> {
    let file = if text.trim_start().starts_with('{') { "services.json" } else { "services.toml" };
    let parsed = if file == "services.json" { Catalogue::parse_json(text) } else { Catalogue::parse_toml(text) };
    let catalogue = parsed.map_err(|e| AppError::invalid(file, format!("{file} 有误：{e}")))?;
    for s in &catalogue.services {
        let unit = org
            .get(&s.department)
            .ok_or_else(|| AppError::invalid(file, format!("事项 {} 的所属部门 {} 不存在", s.code, s.department)))?;
        if !unit.kind.can_handle() {
            return Err(AppError::invalid(file, format!("事项 {} 的所属部门 {} 不能办理事项", s.code, unit.name)));
        }
    }
    Ok(catalogue)
}

fn depth_label(s: &Service) -> String {
    match s.depth {
        application::service::Depth::Online => "全程网办".into(),
        application::service::Depth::Visits(n) => format!("到现场 {n} 次"),
    }
}

impl App {
    fn stored_catalogue(&self) -> Result<StoredCatalogue> {
        match self.store.document(SERVICES_DOCUMENT)? {
            Some(t) => serde_json::from_str(&t).map_err(|e| AppError::Internal(format!("stored services: {e}"))),
            None => Ok(StoredCatalogue::default()),
        }
    }

    /// Loads a catalogue file (`services.toml`, or the same as JSON when it starts
    /// with `{`), for an administrator or the set-up: every service checked, its
    /// department an existing unit that handles work, before anything is stored. A
    /// service whose text changed gets the next version; the old versions stay for the
    /// applications filed under them.
    pub fn load_services(&self, actor: &Actor, text: &str) -> Result<CatalogueReport> {
        if !matches!(actor, Actor::System) && !actor.has_role(Role::Admin) {
            return Err(AppError::Forbidden("只有系统管理员可以维护办事指南".into()));
        }
        let catalogue = parse_services(text, &self.reference().org)?;
        let mut stored = self.stored_catalogue()?;
        let mut report = CatalogueReport::default();
        for mut s in catalogue.services {
            match stored.current(&s.code) {
                None => {
                    s.version = 1;
                    report.added.push(s.code.clone());
                    stored.versions.push(s);
                }
                Some(old) => {
                    let version = old.version;
                    s.version = version;
                    if *old == s {
                        report.unchanged += 1;
                    } else {
                        s.version = version + 1;
                        report.updated.push(s.code.clone());
                        stored.versions.push(s);
                    }
                }
            }
        }
        // Bundles, against the services as they now stand; versioned alike.
        for mut b in catalogue.bundles {
            b.check(|c| stored.current(c)).map_err(|e| AppError::invalid("services.toml", e))?;
            match stored.current_bundle(&b.code) {
                None => {
                    b.version = 1;
                    report.added.push(b.code.clone());
                    stored.bundles.push(b);
                }
                Some(old) => {
                    let version = old.version;
                    b.version = version;
                    if *old == b {
                        report.unchanged += 1;
                    } else {
                        b.version = version + 1;
                        report.updated.push(b.code.clone());
                        stored.bundles.push(b);
                    }
                }
            }
        }
        if !report.added.is_empty() || !report.updated.is_empty() {
            let text = serde_json::to_string(&stored).map_err(|e| AppError::Internal(e.to_string()))?;
            self.store.put_document(SERVICES_DOCUMENT, &text, self.now())?;
        }
        Ok(report)
    }

    /// The bundles now: each at its current version, by code.
    pub(crate) fn stored_bundles(&self) -> Result<Vec<yiwang_core::bundle::BundleDef>> {
        let stored = self.stored_catalogue()?;
        let mut codes: Vec<&str> = stored.bundles.iter().map(|s| s.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        Ok(codes.into_iter().filter_map(|c| stored.current_bundle(c).cloned()).collect())
    }

    /// The catalogue now: each service at its current version, by code.
    pub fn services(&self) -> Result<Vec<Service>> {
        let stored = self.stored_catalogue()?;
        let mut codes: Vec<&str> = stored.versions.iter().map(|s| s.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        Ok(codes.into_iter().filter_map(|c| stored.current(c).cloned()).collect())
    }

    /// The public guide's list, optionally only those whose name, department or code
    /// contains `q`.
    pub fn service_summaries(&self, q: Option<&str>) -> Result<Vec<ServiceSummary>> {
        let r = self.reference();
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        Ok(self
            .services()?
            .into_iter()
            .map(|s| ServiceSummary {
                department_name: r.unit_name(&s.department),
                type_label: s.service_type.label(),
                depth_label: depth_label(&s),
                code: s.code,
                version: s.version,
                name: s.name,
                department: s.department,
                legal_days: s.legal_days,
                promised_days: s.promised_days,
                instant: s.instant,
                for_enterprises: s.for_enterprises,
            })
            .filter(|s| q.is_none_or(|q| s.name.contains(q) || s.department_name.contains(q) || s.code.contains(q)))
            .collect())
    }

    /// One service at its current version, or at `version`.
    pub fn service(&self, code: &str, version: Option<u32>) -> Result<Service> {
        let stored = self.stored_catalogue()?;
        let found = match version {
            None => stored.current(code),
            Some(v) => stored.versions.iter().find(|s| s.code == code && s.version == v),
        };
        found.cloned().ok_or(AppError::NotFound("事项"))
    }

    /// 窗口收件: a clerk registers an application, the applicant present, under the
    /// service's current version.
    pub fn register_application(&self, actor: &Actor, input: ApplicationInput) -> Result<Application> {
        self.register_application_keyed(actor, input, None).map(|(a, _)| a)
    }

    /// As `register_application`, once per client's Idempotency-Key: a retry gets the
    /// application the first try made (and true), never a second one.
    pub fn register_application_keyed(
        &self,
        actor: &Actor,
        input: ApplicationInput,
        key: Option<&yiwang_store::IdempotencyKey>,
    ) -> Result<(Application, bool)> {
        let replayed = |k: &yiwang_store::IdempotencyKey| -> Result<Option<Application>> {
            match self.replay(k)? {
                Some(id) => self.load_as::<ApplicationKind>(&id).map(Some).map_err(|_| AppError::IdempotencyKeyReused),
                None => Ok(None),
            }
        };
        if let Some(a) = key.map(replayed).transpose()?.flatten() {
            return Ok((a, true));
        }
        match self.register_once(actor, input, key) {
            // A concurrent retry used the key first: answer what it made.
            Err(AppError::IdempotencyKeyUsed) if key.is_some() => match key.map(replayed).transpose()?.flatten() {
                Some(a) => Ok((a, true)),
                None => Err(AppError::IdempotencyKeyUsed),
            },
            made => made.map(|a| (a, false)),
        }
    }

    fn register_once(
        &self,
        actor: &Actor,
        input: ApplicationInput,
        key: Option<&yiwang_store::IdempotencyKey>,
    ) -> Result<Application> {
        if !actor.has_role(Role::Clerk) {
            return Err(AppError::Forbidden("只有窗口受理员可以登记申请".into()));
        }
        self.register_as(actor, Channel::Window, input, key)
    }

    /// Files an application through `channel`: at a window by its clerk, or online by
    /// the applicant (`applicant.rs`).
    pub(crate) fn register_as(
        &self,
        actor: &Actor,
        channel: Channel,
        input: ApplicationInput,
        key: Option<&yiwang_store::IdempotencyKey>,
    ) -> Result<Application> {
        let service = self
            .service(&input.service, None)
            .map_err(|_| AppError::invalid("service", format!("事项 {} 不存在，请从办事指南中选择", input.service)))?;
        let person = self.person_data(&input.applicant, "applicant")?;
        if person.as_ref().is_none_or(|p| p.name.is_none() || p.phone.is_none()) {
            return Err(AppError::invalid("applicant", "请填写申请人（或经办人）的姓名和联系电话"));
        }
        self.check_reused_certificates(&service, &input)?;
        let r = self.reference();
        loop {
            let now = self.now();
            let mut rng = rand::thread_rng();
            let raw: [u8; 7] = std::array::from_fn(|_| rng.gen_range(0..TrackingCode::BASE));
            let code = TrackingCode::dated(yiwang_core::calendar::civil_date(now), raw);
            let new = NewApplication {
                service: service.clone(),
                channel,
                enterprise: input.enterprise.clone(),
                form: input.form.clone(),
                materials: input.materials.clone(),
                area: input.area.clone(),
                tracking_code: Some(code.as_str().to_owned()),
            };
            let events = application::open(&new, &self.context(&r, actor, now))?;
            let case = NewCase {
                tenant: r.tenant.clone(),
                at: now,
                actor: actor.clone(),
                person: person.clone(),
                events: Events::new::<ApplicationKind>(events),
                notices: vec![],
                idempotency: key.cloned(),
            };
            match self.create_case(case).wait() {
                // A tracking code collides rarely (see `intake`): draw again.
                Err(StoreError::Duplicate(m)) if m.contains("tracking_code") => continue,
                created => {
                    return created?.into_state::<ApplicationKind>().map_err(|c| crate::case::wrong_kind(c.id()));
                }
            }
        }
    }

    /// Runs one command on an application.
    pub fn act_application(&self, actor: &Actor, id: &CaseId, command: &Command) -> Result<Application> {
        self.act_application_keyed(actor, id, command, None)?;
        self.load_as::<ApplicationKind>(id)
    }

    /// As `act_application`, once per client's Idempotency-Key: true when the key
    /// was used already for this command, and nothing ran again.
    pub fn act_application_keyed(
        &self,
        actor: &Actor,
        id: &CaseId,
        command: &Command,
        key: Option<&yiwang_store::IdempotencyKey>,
    ) -> Result<bool> {
        if matches!(actor, Actor::Citizen) {
            // The applicant acts through their own login (which comes with the portal);
            // until then, at the window.
            return Err(AppError::Forbidden("请到窗口办理，或登录后在“我的办件”中办理".into()));
        }
        // 制证: the certificate is made and signed here, whatever the request said.
        if let Command::Certify { number, valid_from, valid_until, .. } = command {
            let a = self.load_as::<ApplicationKind>(id)?;
            let signed = self.sign_certificate(&a, number.trim(), *valid_from, *valid_until)?;
            let cmd = Command::Certify {
                // The department's, or the GB/T 36904 identifier made for it.
                number: signed.document.number.clone(),
                valid_from: *valid_from,
                valid_until: *valid_until,
                signed: Some(Box::new(signed)),
            };
            let replayed = self.act_on_once::<ApplicationKind>(actor, id, &cmd, key)?;
            // The licence goes on the enterprise's record in the register.
            self.link_licence(&self.load_as::<ApplicationKind>(id)?)?;
            return Ok(replayed);
        }
        let replayed = self.act_on_once::<ApplicationKind>(actor, id, command, key)?;
        // 现场评价 on the window's tablet: a bad one opens a 差评整改 as a bad
        // application rating does (not again on a replayed request).
        if let (Command::RateVisit { visit, .. }, false) = (command, replayed) {
            let a = self.load_as::<ApplicationKind>(id)?;
            let bad = a.visit_log.get(visit.saturating_sub(1) as usize).and_then(|v| v.rated.clone());
            if let Some(r) = bad.filter(|r| !r.rating.is_good()) {
                self.open_rating_fix(&a, &r, Some(*visit))?;
            }
        }
        // A part of a bundle that ended (or was refused) is reported to it now.
        self.after_part_changed(id)?;
        Ok(replayed)
    }

    /// The e-certificate of `a`, signed with the keyring's current key. The holder is
    /// the enterprise, or the applicant by their masked name (their full name stays
    /// beside the record, as personal data does); the items are the form's, but for
    /// phone and ID numbers.
    fn sign_certificate(
        &self,
        a: &Application,
        number: &str,
        valid_from: chrono::NaiveDate,
        valid_until: Option<chrono::NaiveDate>,
    ) -> Result<yiwang_core::application::certificate::SignedCertificate> {
        use yiwang_core::application::certificate::{CertificateDocument, FORMAT, Item, SignedCertificate, compact};
        use yiwang_core::application::service::FieldType;
        let spec = a.service.certificate.as_ref().ok_or_else(|| AppError::invalid("number", "本事项不制发证照"))?;
        let r = self.reference();
        let issuer = r.org.get(a.department()).map(|u| u.name.clone()).unwrap_or_else(|| a.department().to_string());
        let (holder, holder_code) = match &a.enterprise {
            Some(e) => (e.name.clone(), Some(e.code.to_string())),
            None => {
                let name = match a.person {
                    Some(p) => self.store.person(p)?.and_then(|p| p.data.name),
                    None => None,
                };
                (name.map(|n| yiwang_core::id::mask_name(&n)).unwrap_or_else(|| "申请人".into()), None)
            }
        };
        let items = a
            .service
            .fields
            .iter()
            .filter(|f| !matches!(f.field_type, FieldType::Phone | FieldType::IdNumber))
            .filter_map(|f| a.form.get(&f.code).map(|v| Item { label: f.label.clone(), value: v.clone() }))
            .collect();
        // GB/T 36904: the identifier is the number; its 顺序号 is the application's
        // number without its prefix, unique in the installation.
        let (number, issuer_code) = match &spec.gbt36904 {
            Some(g) => {
                let id = yiwang_core::id::CertificateIdentifier::new(&g.type_code, &g.issuer, &a.id.as_str()[2..], 1)
                    .map_err(|e| AppError::invalid("number", e.rule))?;
                (id.to_string(), g.issuer.to_string())
            }
            None => (number.to_owned(), a.department().to_string()),
        };
        let mut raw = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
        let document = CertificateDocument {
            format: FORMAT.into(),
            status_id: hex::encode(raw),
            type_code: spec.code.clone(),
            type_name: spec.name.clone(),
            number,
            holder,
            holder_code,
            issuer,
            issuer_code,
            issued_on: yiwang_core::calendar::civil_date(self.now()),
            valid_from,
            valid_until,
            items,
            application: a.id.clone(),
        };
        let keyring = &self.config.keyring;
        let (key_id, alg, signature) = keyring.sign(&document.message());
        // The compact form the QR code carries, signed by the same key (`sign` uses
        // the current key, which a shared `&Keyring` cannot change in between).
        let cose_signature = compact::message(&document, alg, &key_id).map(|m| keyring.sign(&m).2);
        Ok(SignedCertificate { document, key_id, alg: alg.into(), signature, cose_signature })
    }

    /// An application for whoever may see it (its department, the window that
    /// registered it, leaders).
    pub fn application_view(&self, actor: &Actor, id: &CaseId) -> Result<ApplicationView> {
        let case = self.load_case(id)?;
        if !case.is::<ApplicationKind>() || !case.can_view(actor) {
            return Err(AppError::NotFound(ApplicationKind::LABEL));
        }
        let a = case.into_state::<ApplicationKind>().map_err(|c| crate::case::wrong_kind(c.id()))?;
        let timeline = self
            .store
            .events(id)?
            .iter()
            .filter_map(|e| {
                let env = e.decode::<ApplicationKind>().ok()?;
                Some(ApplicationStep { at: env.at, summary: env.event.summary(), by: by(&env.actor) })
            })
            .collect();
        let actions = self.application_actions(actor, &a);
        Ok(ApplicationView {
            actions,
            detail: ApplicationDetail::of(&a),
            status_label: a.status.label(),
            department_name: self.reference().unit_name(a.department()),
            timeline,
            application: a,
        })
    }

    /// The commands `actor` may give `a` now: each tried on core's rules with input
    /// that is valid when the command is allowed at all.
    pub fn application_actions(&self, actor: &Actor, a: &Application) -> Vec<&'static str> {
        use application::{Delivery, Missing, Verdict};
        let x = || "x".to_owned();
        let grant = || Verdict { grant: true, reasons: None };
        let first_material = a.service.materials.first().map(|m| m.code.clone()).unwrap_or_default();
        let uncounted = a.service.steps.iter().find(|s| !s.counted).map(|s| s.code.clone()).unwrap_or_default();
        let today = yiwang_core::calendar::civil_date(self.now());
        let probes = [
            Command::Accept { verdict: a.service.instant.then(grant) },
            Command::AskSupplement { missing: vec![Missing { material: None, what: x() }], on_the_spot: false },
            Command::Reject { reason: x(), basis: x() },
            Command::Supplement {
                materials: vec![Provided { material: first_material, files: vec![], certificate: None, paper: true }],
                in_person: true,
            },
            Command::Review { opinion: x(), grant: true },
            Command::Suspend { step: uncounted, reason: x() },
            Command::Resume { result: x() },
            Command::AskExtension { days: 1, reason: x() },
            Command::DecideExtension { approved: true, note: None },
            Command::Decide { verdict: grant() },
            Command::Certify { number: x(), valid_from: today, valid_until: None, signed: None },
            Command::Deliver { how: if a.service.instant { Delivery::OnTheSpot } else { Delivery::Window } },
            Command::Withdraw { reason: None, in_person: true },
            Command::Revoke { reason: x() },
            Command::RecordPayment {
                reference: "x".into(),
                amount_fen: a.service.fee_fen().unwrap_or(0),
                paid_on: a.decided_at.map(yiwang_core::calendar::civil_date).unwrap_or(today),
            },
            Command::RateVisit {
                visit: a.visit_log.iter().position(|v| v.rated.is_none()).map_or(0, |i| i as u32 + 1),
                rating: application::Rating::Satisfied,
                dimensions: Default::default(),
                comment: None,
                named: false,
            },
        ];
        let r = self.reference();
        let ctx = self.context(&r, actor, self.now());
        probes.iter().filter(|c| application::decide(a, c, &ctx).is_ok()).map(|c| c.name()).collect()
    }
}

/// One row of 一网通办's indicators: a department, or one service of it, in a month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceIndicators {
    /// The department's code, and the service's for a service's row.
    pub unit: Option<UnitCode>,
    pub service: Option<String>,
    /// The department's or the service's name.
    pub name: String,
    /// Applications finished (办结) in the month.
    pub done: u64,
    /// Finished within the promised limit.
    pub on_time: u64,
    /// Filed and delivered online, the applicant never coming in (全程网办).
    pub online: u64,
    /// 即办件.
    pub instant: u64,
    /// With no visit at all (零跑动).
    pub zero_visits: u64,
    /// Visits in all, for the average 跑动次数.
    pub visits: u64,
    /// Ratings given in the month (好差评), and how many were 好评.
    pub rated: u64,
    pub good: u64,
    /// Bad ratings answered in the month (差评整改), and how many within the period.
    pub fixed: u64,
    pub fixed_on_time: u64,
    /// Decisions made in the month, and the working time they took from 受理 in all,
    /// in half working days (§45's pauses left out).
    pub decided: u64,
    pub half_days: u64,
    /// Materials an e-certificate stood in for, in applications filed in the month
    /// (证照复用: nothing uploaded).
    pub reused: u64,
    /// A service's limits, for its row: the promised and the legal, in working days.
    pub promised_days: Option<u32>,
    pub legal_days: Option<u32>,
    /// The limits of the month's decisions in all, in working days (each decision its
    /// service's promised and legal limit): what the average time is set against, on
    /// a department's and the district's rows too.
    #[serde(default)]
    pub promised_limit_days: u64,
    #[serde(default)]
    pub legal_limit_days: u64,
    /// Visits at the hall rated in the month (现场评价), and how many were 好评.
    #[serde(default)]
    pub hall_rated: u64,
    #[serde(default)]
    pub hall_good: u64,
    /// Each dimension's levels given in the month, by `online.overall`,
    /// `online.efficiency` … `hall.attitude` (`SCORE_COLUMNS`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub scores: BTreeMap<String, Score>,
}

/// A dimension's levels in a month: how many were given and their sum (非常满意 5 …
/// 非常不满意 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Score {
    pub count: u64,
    pub total: u64,
}

impl Score {
    /// The average level, 1 to 5.
    pub fn average(&self) -> Option<f64> {
        (self.count > 0).then(|| self.total as f64 / self.count as f64)
    }
}

/// The dimensions of 好差评 as the indicators show them: key and name, online first.
pub const SCORE_COLUMNS: [(&str, &str); 9] = [
    ("online.overall", "网办整体满意度"),
    ("online.efficiency", "办事效率"),
    ("online.guide", "办事指南精确度"),
    ("online.convenience", "办事便捷度"),
    ("online.platform", "平台操作性"),
    ("hall.overall", "现场整体满意度"),
    ("hall.efficiency", "服务效率"),
    ("hall.level", "服务水平"),
    ("hall.attitude", "服务态度"),
];

impl ServiceIndicators {
    fn add(&mut self, o: &ServiceIndicators) {
        self.done += o.done;
        self.on_time += o.on_time;
        self.online += o.online;
        self.instant += o.instant;
        self.zero_visits += o.zero_visits;
        self.visits += o.visits;
        self.rated += o.rated;
        self.good += o.good;
        self.fixed += o.fixed;
        self.fixed_on_time += o.fixed_on_time;
        self.decided += o.decided;
        self.half_days += o.half_days;
        self.reused += o.reused;
        self.promised_limit_days += o.promised_limit_days;
        self.legal_limit_days += o.legal_limit_days;
        self.hall_rated += o.hall_rated;
        self.hall_good += o.hall_good;
        for (k, v) in &o.scores {
            let s = self.scores.entry(k.clone()).or_default();
            s.count += v.count;
            s.total += v.total;
        }
    }
    fn rate(n: u64, of: u64) -> Option<f64> {
        (of > 0).then(|| n as f64 / of as f64)
    }
    /// 按时办结率.
    pub fn on_time_rate(&self) -> Option<f64> {
        Self::rate(self.on_time, self.done)
    }
    /// 全程网办率.
    pub fn online_rate(&self) -> Option<f64> {
        Self::rate(self.online, self.done)
    }
    /// 即办件率.
    pub fn instant_rate(&self) -> Option<f64> {
        Self::rate(self.instant, self.done)
    }
    /// 平均跑动次数.
    pub fn average_visits(&self) -> Option<f64> {
        Self::rate(self.visits, self.done)
    }
    /// 好评率: 好评 over ratings given, of applications and of visits at the hall.
    pub fn good_rate(&self) -> Option<f64> {
        Self::rate(self.good + self.hall_good, self.rated + self.hall_rated)
    }
    /// 现场好评率: of the visits at the hall rated.
    pub fn hall_good_rate(&self) -> Option<f64> {
        Self::rate(self.hall_good, self.hall_rated)
    }
    /// A dimension's average level (`SCORE_COLUMNS`' keys).
    pub fn score(&self, key: &str) -> Option<f64> {
        self.scores.get(key).and_then(Score::average)
    }
    /// The average promised and legal limit of the month's decisions, in working days,
    /// to set `average_days` against.
    pub fn average_promised_days(&self) -> Option<f64> {
        Self::rate(self.promised_limit_days, self.decided)
    }
    pub fn average_legal_days(&self) -> Option<f64> {
        Self::rate(self.legal_limit_days, self.decided)
    }
    /// 未评价率: finished applications not rated (visits' ratings aside), over those finished — in the
    /// month, so a rating given the month after its application ended counts there.
    pub fn unrated_rate(&self) -> Option<f64> {
        Self::rate(self.done.saturating_sub(self.rated), self.done)
    }
    /// The average working days a decision took from 受理 (平均办理时长).
    pub fn average_days(&self) -> Option<f64> {
        (self.decided > 0).then(|| self.half_days as f64 / 2.0 / self.decided as f64)
    }
    /// 差评整改率: bad ratings answered within the period, over those answered.
    pub fn fixed_rate(&self) -> Option<f64> {
        Self::rate(self.fixed_on_time, self.fixed)
    }
}

/// 一网通办's indicators of a month: the district, each department, and each service
/// of each department.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceMonth {
    pub month: String,
    pub district: ServiceIndicators,
    /// Departments by applications finished, most first.
    pub departments: Vec<ServiceIndicators>,
    /// Every service's row (its department in `unit`), most finished first.
    pub services: Vec<ServiceIndicators>,
}

impl App {
    /// 一网通办's indicators for `month` (`YYYY-MM`), from the facts finished
    /// applications leave: for leaders and the centre, every department; for a
    /// department's staff, their own.
    pub fn service_indicators(&self, actor: &Actor, month: &str) -> Result<ServiceMonth> {
        use std::collections::BTreeMap;
        use yiwang_core::application::{
            FACT_DIMENSION, FACT_DONE, FACT_INSTANT, FACT_ONLINE, FACT_RATED, FACT_REUSED, FACT_TIME, FACT_VISIT_RATED,
            FACT_VISITS,
        };
        use yiwang_core::rating_fix::{FACT_FIXED, RatingFixKind};
        let month = yiwang_core::measure::parse_month(month)
            .ok_or_else(|| AppError::invalid("month", "月份格式应为 YYYY-MM，例如 2026-11"))?;
        let only: Option<UnitCode> = match actor {
            Actor::System => None,
            a if a.has_role(Role::Leader) || a.is_centre() => None,
            Actor::Staff { unit, .. } => Some(unit.clone()),
            _ => return Err(AppError::Forbidden("一网通办指标仅供工作人员查看".into())),
        };
        let mut rows: BTreeMap<(UnitCode, String), ServiceIndicators> = BTreeMap::new();
        let kinds = [ApplicationKind::NAME, RatingFixKind::NAME];
        for f in self.store.tally_month(&month)?.into_iter().filter(|f| kinds.contains(&f.kind.as_str())) {
            if only.as_ref().is_some_and(|u| *u != f.unit) {
                continue;
            }
            let (service, visits) = match f.name.as_str() {
                FACT_VISITS | FACT_TIME | FACT_REUSED => match f.value.split_once('|') {
                    Some((s, v)) => (s.to_owned(), v.parse::<u64>().unwrap_or(0)),
                    None => continue,
                },
                // `service|online.efficiency|4`
                FACT_DIMENSION => {
                    let mut parts = f.value.rsplitn(3, '|');
                    let (Some(score), Some(key), Some(service)) = (parts.next(), parts.next(), parts.next()) else {
                        continue;
                    };
                    let Ok(score) = score.parse::<u64>() else { continue };
                    let s = rows.entry((f.unit.clone(), service.to_owned())).or_default().scores.entry(key.into());
                    let s = s.or_default();
                    s.count += f.count;
                    s.total += score * f.count;
                    continue;
                }
                _ => (f.value.clone(), 0),
            };
            let row = rows.entry((f.unit.clone(), service)).or_default();
            match f.name.as_str() {
                FACT_DONE => {
                    row.done += f.count;
                    row.on_time += if f.flag { f.count } else { 0 };
                }
                FACT_ONLINE if f.flag => row.online += f.count,
                FACT_INSTANT if f.flag => row.instant += f.count,
                FACT_VISITS => {
                    row.visits += visits * f.count;
                    row.zero_visits += if f.flag { f.count } else { 0 };
                }
                FACT_RATED => {
                    row.rated += f.count;
                    row.good += if f.flag { f.count } else { 0 };
                }
                FACT_VISIT_RATED => {
                    row.hall_rated += f.count;
                    row.hall_good += if f.flag { f.count } else { 0 };
                }
                FACT_FIXED => {
                    row.fixed += f.count;
                    row.fixed_on_time += if f.flag { f.count } else { 0 };
                }
                FACT_TIME => {
                    row.decided += f.count;
                    row.half_days += visits * f.count;
                }
                FACT_REUSED => row.reused += visits * f.count,
                _ => {}
            }
        }
        let r = self.reference();
        let catalogue: BTreeMap<String, Service> = self.services()?.into_iter().map(|s| (s.code.clone(), s)).collect();
        let mut district = ServiceIndicators { name: "全区".into(), ..Default::default() };
        let mut departments: BTreeMap<UnitCode, ServiceIndicators> = BTreeMap::new();
        let mut services = vec![];
        for ((unit, service), mut row) in rows {
            let known = catalogue.get(&service);
            row.promised_limit_days = known.map_or(0, |s| u64::from(s.promised_days) * row.decided);
            row.legal_limit_days = known.map_or(0, |s| u64::from(s.legal_days) * row.decided);
            district.add(&row);
            departments
                .entry(unit.clone())
                .or_insert_with(|| ServiceIndicators {
                    unit: Some(unit.clone()),
                    name: r.unit_name(&unit),
                    ..Default::default()
                })
                .add(&row);
            row.name = known.map(|s| s.name.clone()).unwrap_or_else(|| service.clone());
            row.promised_days = known.map(|s| s.promised_days);
            row.legal_days = known.map(|s| s.legal_days);
            row.unit = Some(unit);
            row.service = Some(service);
            services.push(row);
        }
        let mut departments: Vec<ServiceIndicators> = departments.into_values().collect();
        departments.sort_by(|a, b| b.done.cmp(&a.done).then_with(|| a.name.cmp(&b.name)));
        services.sort_by(|a, b| b.done.cmp(&a.done).then_with(|| a.name.cmp(&b.name)));
        Ok(ServiceMonth { month, district, departments, services })
    }
}

/// What the applicant sees of their application, found by its tracking code and
/// their phone number.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicantView {
    pub id: CaseId,
    /// The service's code and the version the application was filed under.
    pub service: String,
    pub service_version: u32,
    pub service_name: String,
    pub department_name: String,
    pub status_label: &'static str,
    pub filed_at: chrono::DateTime<chrono::Utc>,
    pub accepted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// What a 补正 asks for, while the application waits for it.
    pub missing: Vec<String>,
    /// The materials (their codes) it names, for the applicant's uploads.
    pub missing_materials: Vec<String>,
    /// Whether the applicant may still withdraw it (before the decision).
    pub can_withdraw: bool,
    /// The fee to pay (in fen) before 制证, while a granted application waits for it.
    pub payment_due: Option<u64>,
    /// Filed for this enterprise, by its name.
    pub enterprise: Option<String>,
    pub visits: u32,
    pub certificate: Option<String>,
    /// The certificate's online status id: its page (`/certificates/ID`) shows it with
    /// its QR code and file, for the holder to keep and show.
    pub certificate_status_id: Option<String>,
    /// Whether a rating may be given now (办结 or 不予受理, not yet rated).
    pub can_rate: bool,
    pub rating: Option<yiwang_core::application::Rating>,
    pub timeline: Vec<ApplicationStep>,
}

/// A rating as the applicant gives it (好差评).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingInput {
    pub tracking_code: String,
    pub phone: String,
    pub rating: yiwang_core::application::Rating,
    #[serde(default)]
    pub comment: Option<String>,
    /// 实名评价: the department may call back about it.
    #[serde(default)]
    pub named: bool,
    /// 办事效率, 办事指南精确度, 办事便捷度, 平台操作性, each on the five levels; any
    /// may be left out.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub dimensions: yiwang_core::application::Dimensions,
}

/// A 差评整改 as its page shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FixView {
    pub fix: yiwang_core::rating_fix::Fix,
    pub status_label: &'static str,
    pub department_name: String,
    pub timeline: Vec<ApplicationStep>,
    /// The commands the caller may give now.
    pub actions: Vec<&'static str>,
}

fn by(actor: &Actor) -> String {
    match actor {
        Actor::Staff { username, .. } => username.to_string(),
        Actor::Citizen => "申请人".into(),
        Actor::Client { name } => name.clone(),
        Actor::System => "系统".into(),
    }
}

impl App {
    /// The application with `code` whose applicant's phone is `phone`; misses are
    /// limited per client address, as the appeal's tracking is.
    fn applicant_case(&self, code: &str, phone: &str, address: crate::auth::Address) -> Result<Application> {
        self.guarded_lookup(address, || {
            let not_found = || AppError::NotFound("与查询码和电话匹配的办件");
            let code = TrackingCode::parse(code).map_err(|_| not_found())?;
            let id = self.store.find_by_tracking_code(code.as_str())?.ok_or_else(not_found)?;
            let a = self.load_as::<ApplicationKind>(&id).map_err(|_| not_found())?;
            let person = a.person.ok_or_else(not_found)?;
            let digest = match self.store.person(person)? {
                Some(p) if p.erased_at.is_none() => p.data.phone_digest.ok_or_else(not_found)?,
                _ => return Err(not_found()),
            };
            let given = yiwang_core::id::PhoneNumber::parse(phone).map_err(|_| not_found())?;
            if self.phone_digest(&given) != digest {
                return Err(not_found());
            }
            Ok(a)
        })
    }

    pub(crate) fn applicant_view(&self, a: &Application) -> Result<ApplicantView> {
        use yiwang_core::application::ApplicationStatus as S;
        // What was done, not who did it, and not the department's inner steps.
        let timeline = self
            .store
            .events(&a.id)?
            .iter()
            .filter_map(|e| e.decode::<ApplicationKind>().ok())
            .filter(|env| env.event.is_public())
            .map(|env| ApplicationStep { at: env.at, summary: env.event.summary(), by: String::new() })
            .collect();
        Ok(ApplicantView {
            id: a.id.clone(),
            service: a.service.code.clone(),
            service_version: a.service.version,
            service_name: a.service.name.clone(),
            department_name: self.reference().unit_name(a.department()),
            status_label: a.status.label(),
            filed_at: a.filed_at,
            accepted_at: a.accepted_at,
            // What a 补正 asks for, while it is waited for.
            missing: if a.status == S::Supplementing {
                a.missing.iter().map(|m| m.what.clone()).collect()
            } else {
                vec![]
            },
            missing_materials: if a.status == S::Supplementing {
                a.missing.iter().filter_map(|m| m.material.clone()).collect()
            } else {
                vec![]
            },
            can_withdraw: a.status.before_decision(),
            payment_due: a
                .service
                .fee_fen()
                .filter(|fen| *fen > 0 && a.granted == Some(true) && a.payment.is_none() && a.certificate.is_none()),
            enterprise: a.enterprise.as_ref().map(|e| e.name.clone()),
            visits: a.visits,
            certificate: a.certificate.as_ref().map(|c| c.number.clone()),
            certificate_status_id: a
                .certificate
                .as_ref()
                .and_then(|c| c.signed.as_ref())
                .map(|s| s.document.status_id.clone()),
            can_rate: matches!(a.status, S::Done | S::Rejected) && a.rated.is_none(),
            rating: a.rated.as_ref().map(|r| r.rating),
            timeline,
        })
    }

    /// 办件查询: the applicant follows their application by its tracking code and phone.
    pub fn track_application(&self, code: &str, phone: &str, address: crate::auth::Address) -> Result<ApplicantView> {
        let a = self.applicant_case(code, phone, address)?;
        self.applicant_view(&a)
    }

    /// 好差评: the applicant rates their finished application. A bad rating opens a
    /// 差评整改 for the department (the applicant's contact copied to it, so the
    /// answer reaches them).
    pub fn rate_application(&self, input: RatingInput, address: crate::auth::Address) -> Result<ApplicantView> {
        let a = self.applicant_case(&input.tracking_code, &input.phone, address)?;
        let cmd = Command::Rate {
            rating: input.rating,
            comment: input.comment,
            named: input.named,
            dimensions: input.dimensions,
        };
        let a = self.act_on::<ApplicationKind>(&Actor::Citizen, &a.id, &cmd)?;
        if let Some(r) = a.rated.as_ref().filter(|r| !r.rating.is_good()) {
            self.open_rating_fix(&a, r, None)?;
        }
        self.applicant_view(&a)
    }

    /// Opens the 差评整改 of a bad rating: of the application, or of its `visit`-th
    /// visit at the hall (named in the comment the department reads).
    pub(crate) fn open_rating_fix(
        &self,
        a: &Application,
        r: &yiwang_core::application::Rated,
        visit: Option<u32>,
    ) -> Result<()> {
        use yiwang_core::rating_fix::{self, NewFix, RatingFixKind};
        let now = self.now();
        let reference = self.reference();
        let n = NewFix {
            application: a.id.clone(),
            service: a.service.code.clone(),
            service_name: a.service.name.clone(),
            department: a.department().clone(),
            rating: r.rating,
            comment: match visit.and_then(|v| Some((v, a.visit_log.get(v.checked_sub(1)? as usize)?))) {
                Some((n, v)) => {
                    format!("【现场评价：第 {n} 次到窗口（{}）】{}", v.step, r.comment.clone().unwrap_or_default())
                }
                None => r.comment.clone().unwrap_or_default(),
            },
            named: r.named,
        };
        let events = rating_fix::open(&n, &self.context(&reference, &Actor::System, now))?;
        let person = match a.person {
            Some(p) => self.store.person(p)?.filter(|p| p.erased_at.is_none()).map(|p| p.data),
            None => None,
        };
        let case = NewCase {
            tenant: reference.tenant.clone(),
            at: now,
            actor: Actor::System,
            person,
            events: Events::new::<RatingFixKind>(events),
            notices: vec![],
            idempotency: None,
        };
        self.create_case(case).wait()?;
        Ok(())
    }

    /// Runs one command on a 差评整改.
    pub fn act_rating_fix(
        &self,
        actor: &Actor,
        id: &CaseId,
        command: &yiwang_core::rating_fix::Command,
    ) -> Result<yiwang_core::rating_fix::Fix> {
        self.act_on::<yiwang_core::rating_fix::RatingFixKind>(actor, id, command)
    }

    /// A 差评整改 for whoever may see it (the department, the centre's supervisors,
    /// leaders).
    pub fn rating_fix_view(&self, actor: &Actor, id: &CaseId) -> Result<FixView> {
        use yiwang_core::rating_fix::{self, Command as Fix, RatingFixKind};
        let case = self.load_case(id)?;
        if !case.is::<RatingFixKind>() || !case.can_view(actor) {
            return Err(AppError::NotFound(RatingFixKind::LABEL));
        }
        let f = case.into_state::<RatingFixKind>().map_err(|c| crate::case::wrong_kind(c.id()))?;
        let timeline = self
            .store
            .events(id)?
            .iter()
            .filter_map(|e| {
                let env = e.decode::<RatingFixKind>().ok()?;
                Some(ApplicationStep { at: env.at, summary: env.event.summary(), by: by(&env.actor) })
            })
            .collect();
        let x = || "x".to_owned();
        let probes = [
            Fix::Verify { founded: true, finding: x() },
            Fix::DecideAppeal { upheld: true, note: x() },
            Fix::Answer { measures: x(), reply: x() },
            Fix::CallBack { satisfied: true, note: None },
        ];
        let r = self.reference();
        let ctx = self.context(&r, actor, self.now());
        let actions = probes.iter().filter(|c| rating_fix::decide(&f, c, &ctx).is_ok()).map(|c| c.name()).collect();
        Ok(FixView {
            status_label: f.status.label(),
            department_name: r.unit_name(&f.department),
            timeline,
            actions,
            fix: f,
        })
    }
}

/// What verifying a certificate online finds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateStatus {
    /// `valid`, `revoked`, `expired` or `not_yet_valid`.
    pub status: &'static str,
    /// 有效, 已吊销, 已过期, 尚未生效.
    pub status_label: &'static str,
    pub certificate: yiwang_core::application::certificate::SignedCertificate,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_reason: Option<String>,
    /// What its QR code carries: the compact signed form (`YW1:…`,
    /// `certificate::compact`); none for a certificate signed before there was one.
    pub qr: Option<String>,
}

/// The revoked certificates, signed: what an offline verifier with a copy checks a
/// certificate against, knowing how old its copy is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusList {
    pub list: StatusListBody,
    pub key_id: String,
    pub alg: String,
    pub signature: String,
}

/// What a status list says; signed as its canonical JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusListBody {
    pub format: String,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    /// The status ids of every revoked certificate.
    pub revoked: Vec<String>,
}

impl StatusListBody {
    /// The bytes signed: the canonical JSON, as a certificate's.
    pub fn message(&self) -> Vec<u8> {
        let v = serde_json::to_value(self).expect("a status list serialises");
        yiwang_core::application::certificate::canonical(&v).into_bytes()
    }
}

impl App {
    /// A certificate by its status id (the QR's link), for anyone: valid, revoked or
    /// expired, with the signed document.
    pub fn certificate_status(&self, status_id: &str) -> Result<CertificateStatus> {
        let not_found = || AppError::NotFound("电子证照");
        if status_id.len() != 32 || !status_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let q = yiwang_store::CaseQuery {
            kind: Some(ApplicationKind::NAME),
            detail: vec![("certificate_status_id", serde_json::json!(status_id))],
            limit: 1,
            ..Default::default()
        };
        let id = self.store.list_cases(&q)?.rows.into_iter().next().map(|r| r.id).ok_or_else(not_found)?;
        let a = self.load_as::<ApplicationKind>(&id)?;
        let issued = a.certificate.ok_or_else(not_found)?;
        let certificate = issued.signed.ok_or_else(not_found)?;
        let today = yiwang_core::calendar::civil_date(self.now());
        let d = &certificate.document;
        let (status, status_label) = if issued.revoked.is_some() {
            ("revoked", "已吊销")
        } else if today < d.valid_from {
            ("not_yet_valid", "尚未生效")
        } else if !d.in_force(today) {
            ("expired", "已过期")
        } else {
            ("valid", "有效")
        };
        Ok(CertificateStatus {
            status,
            status_label,
            revoked_at: issued.revoked.as_ref().map(|(at, _)| *at),
            revoked_reason: issued.revoked.map(|(_, r)| r),
            qr: yiwang_core::application::certificate::compact::qr_text(&certificate),
            certificate,
        })
    }

    /// The signed list of revoked certificates, as of now.
    pub fn status_list(&self) -> Result<StatusList> {
        let q = yiwang_store::CaseQuery {
            kind: Some(ApplicationKind::NAME),
            detail: vec![("certificate_revoked", serde_json::json!(true))],
            limit: 100_000,
            ..Default::default()
        };
        let mut revoked = vec![];
        for row in self.store.list_cases(&q)?.rows {
            let a = self.load_as::<ApplicationKind>(&row.id)?;
            if let Some(s) = a.certificate.and_then(|c| c.signed) {
                revoked.push(s.document.status_id);
            }
        }
        revoked.sort();
        let list = StatusListBody { format: "yiwang-status-list/1".into(), issued_at: self.now(), revoked };
        let (key_id, alg, signature) = self.config.keyring.sign(&list.message());
        Ok(StatusList { list, key_id, alg: alg.into(), signature })
    }

    /// 证照复用: a certificate this installation issued may stand in for a material
    /// only when it is in force and the applying enterprise holds it. One issued
    /// elsewhere (a 居民身份证) is taken on the clerk's word.
    fn check_reused_certificates(&self, service: &Service, input: &ApplicationInput) -> Result<()> {
        for m in &input.materials {
            let Some(number) = m.certificate.as_deref() else { continue };
            let wanted = service.material(&m.material).and_then(|x| x.certificate.clone());
            let q = yiwang_store::CaseQuery {
                kind: Some(ApplicationKind::NAME),
                detail: vec![("certificate", serde_json::json!(number))],
                limit: 1,
                ..Default::default()
            };
            let Some(row) = self.store.list_cases(&q)?.rows.into_iter().next() else { continue };
            let issued = self.load_as::<ApplicationKind>(&row.id)?.certificate;
            let Some(c) = issued.and_then(|c| c.revoked.is_none().then_some(c.signed).flatten()) else {
                return Err(AppError::invalid("materials", format!("电子证照 {number} 已吊销，不能代替材料")));
            };
            if wanted.as_deref() != Some(c.document.type_code.as_str()) {
                return Err(AppError::invalid(
                    "materials",
                    format!("电子证照 {number} 是{}，不能代替这项材料", c.document.type_name),
                ));
            }
            let holder = input.enterprise.as_ref().map(|e| e.code.to_string());
            let today = yiwang_core::calendar::civil_date(self.now());
            if c.document.holder_code.is_none() || c.document.holder_code != holder || !c.document.in_force(today) {
                return Err(AppError::invalid("materials", format!("电子证照 {number} 不属于申请企业或不在有效期内")));
            }
        }
        Ok(())
    }
}
