//! The enterprise register (core's `enterprise`): importing it, reading it, and the
//! credit facts other kinds add to it.
//!
//! An import (CSV or JSON, by a 监管人员 or the set-up) is checked whole before anything
//! is stored: every bad row is named with its line and field, and a file with one bad
//! row stores nothing. A good file registers the enterprises new to the register and
//! corrects the others (`Update`, which records only what changed); the facts a row
//! brings are recorded once, when it is registered.
//!
//! The whole register is read from the projections (the kind's detail document is its
//! `Profile`), never by folding the enterprises' events.

use crate::case::CitizenInput;
use crate::{App, AppError, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use yiwang_core::case::{Events, Kind};
use yiwang_core::enterprise::{
    self, Command, CreditClass, CreditFact, Enterprise, EnterpriseKind, FactKind, Profile, Registration,
};
use yiwang_core::id::{CaseId, CreditCode, UnitCode};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_store::{CaseQuery, NewCase};

/// The unit that keeps the register when the system imports it (the demo, the
/// set-up): the 市场监管局, which registers market entities.
pub const REGISTER_UNIT: &str = "scjgj";

/// One entry of an import file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterEntry {
    pub code: String,
    pub name: String,
    pub entity_type: String,
    pub industry: String,
    pub address: String,
    #[serde(default)]
    pub street: Option<String>,
    /// [longitude, latitude]
    #[serde(default)]
    pub location: Option<(f64, f64)>,
    #[serde(default)]
    pub capital: u64,
    #[serde(default)]
    pub employees: u32,
    pub founded: NaiveDate,
    #[serde(default)]
    pub tags: Vec<String>,
    /// 法定代表人 (or 经营者): name and mobile phone, personal data kept apart. The
    /// phone is the register's contact phone, with which the enterprise logs in.
    #[serde(default)]
    pub legal_representative: Option<CitizenInput>,
    /// Its record so far (from the 国家企业信用信息公示系统).
    #[serde(default)]
    pub facts: Vec<FactEntry>,
}

/// A fact of an import row.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FactEntry {
    /// `penalty`, `abnormal_listed`, `inspection_passed` … (`FactKind`).
    pub kind: String,
    pub date: NaiveDate,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub special: bool,
}

/// A bad row of an import: its line (1 is the first entry; in a CSV file, the first
/// line after the header), the field and what is wrong.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterReport {
    pub registered: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// An enterprise as the console and the portal show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseView {
    pub enterprise: Enterprise,
    pub profile: Profile,
    pub class_label: &'static str,
    pub street_name: Option<String>,
    pub unit_name: String,
    /// The legal representative, masked (张*，138****8000); full for nobody here.
    pub legal_representative: Option<String>,
    /// The first day each standing negative fact may be repaired (number, date).
    pub repairable_from: Vec<(u32, NaiveDate)>,
}

/// What a CSV row holds: the JSON entry's fields flattened (`lon`, `lat`; `tags`
/// separated by `;`; `legal_name`, `legal_phone`; `facts` as `kind@date` separated
/// by `;`).
#[derive(Debug, Deserialize)]
struct CsvRow {
    code: String,
    name: String,
    entity_type: String,
    industry: String,
    address: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    capital: String,
    #[serde(default)]
    employees: String,
    founded: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    legal_name: String,
    #[serde(default)]
    legal_phone: String,
    #[serde(default)]
    facts: String,
}

fn number<T: std::str::FromStr + Default>(s: &str, field: &str, row: usize, errors: &mut Vec<RowError>) -> T {
    if s.trim().is_empty() {
        return T::default();
    }
    s.trim().replace([',', '，'], "").parse().unwrap_or_else(|_| {
        errors.push(RowError { row, field: field.into(), message: format!("“{s}”不是非负整数") });
        T::default()
    })
}

fn csv_entry(r: CsvRow, row: usize, errors: &mut Vec<RowError>) -> Option<RegisterEntry> {
    let before = errors.len();
    let location = match (r.lon.trim(), r.lat.trim()) {
        ("", "") => None,
        (lon, lat) => match (lon.parse::<f64>(), lat.parse::<f64>()) {
            (Ok(a), Ok(b)) => Some((a, b)),
            _ => {
                errors.push(RowError { row, field: "lon/lat".into(), message: "经纬度应为数字".into() });
                None
            }
        },
    };
    let founded = NaiveDate::parse_from_str(r.founded.trim(), "%Y-%m-%d").unwrap_or_else(|_| {
        errors.push(RowError { row, field: "founded".into(), message: "成立日期应为 YYYY-MM-DD".into() });
        NaiveDate::MIN
    });
    let mut facts = vec![];
    for f in r.facts.split([';', '；']).map(str::trim).filter(|f| !f.is_empty()) {
        match f.split_once('@') {
            Some((kind, date)) => match NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d") {
                Ok(date) => {
                    facts.push(FactEntry { kind: kind.trim().into(), date, note: String::new(), special: false })
                }
                Err(_) => {
                    errors.push(RowError {
                        row, field: "facts".into(), message: format!("“{f}”的日期应为 YYYY-MM-DD")
                    })
                }
            },
            None => errors
                .push(RowError { row, field: "facts".into(), message: format!("“{f}”应写作 类型@日期") }),
        }
    }
    let legal = (!r.legal_name.trim().is_empty() || !r.legal_phone.trim().is_empty()).then(|| CitizenInput {
        name: Some(r.legal_name.trim().to_owned()).filter(|s| !s.is_empty()),
        phone: Some(r.legal_phone.trim().to_owned()).filter(|s| !s.is_empty()),
        ..Default::default()
    });
    let entry = RegisterEntry {
        code: r.code,
        name: r.name,
        entity_type: r.entity_type,
        industry: r.industry,
        address: r.address,
        street: Some(r.street.trim().to_owned()).filter(|s| !s.is_empty()),
        location,
        capital: number(&r.capital, "capital", row, errors),
        employees: number(&r.employees, "employees", row, errors),
        founded,
        tags: r.tags.split([';', '；']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        legal_representative: legal,
        facts,
    };
    (errors.len() == before).then_some(entry)
}

/// Reads an import file: JSON (an array of entries) when it starts with `[`, else
/// CSV with a header. Rows that do not parse are named; the others are returned.
pub fn parse_register(text: &str) -> (Vec<(usize, RegisterEntry)>, Vec<RowError>) {
    let text = text.trim_start_matches('\u{feff}');
    let mut errors = vec![];
    let mut entries = vec![];
    if text.trim_start().starts_with('[') {
        match serde_json::from_str::<Vec<serde_json::Value>>(text) {
            Err(e) => {
                errors.push(RowError { row: 0, field: "file".into(), message: format!("JSON 格式有误：{e}") })
            }
            Ok(values) => {
                for (i, v) in values.into_iter().enumerate() {
                    match serde_json::from_value::<RegisterEntry>(v) {
                        Ok(e) => entries.push((i + 1, e)),
                        Err(e) => errors.push(RowError {
                            row: i + 1,
                            field: "entry".into(),
                            message: format!("字段有误：{e}"),
                        }),
                    }
                }
            }
        }
    } else {
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
        for (i, r) in reader.deserialize::<CsvRow>().enumerate() {
            match r {
                Ok(r) => {
                    if let Some(e) = csv_entry(r, i + 1, &mut errors) {
                        entries.push((i + 1, e));
                    }
                }
                Err(e) => {
                    errors.push(RowError { row: i + 1, field: "row".into(), message: format!("CSV 行有误：{e}") })
                }
            }
        }
    }
    (entries, errors)
}

/// An entry checked against the organisation: its registration, facts and person.
struct Checked {
    registration: Registration,
    facts: Vec<CreditFact>,
    legal: Option<CitizenInput>,
}

fn registered_twice(code: &CreditCode, e: yiwang_store::StoreError) -> AppError {
    match e {
        yiwang_store::StoreError::Duplicate(_) => AppError::Conflict(format!("企业 {code} 已在名录中")),
        other => other.into(),
    }
}

impl App {
    fn check_entry(&self, row: usize, e: RegisterEntry, errors: &mut Vec<RowError>) -> Option<Checked> {
        let before = errors.len();
        let mut bad = |field: &str, message: String| errors.push(RowError { row, field: field.into(), message });
        let code =
            CreditCode::parse(&e.code).map_err(|x| bad("code", format!("统一社会信用代码“{}”{}", e.code, x.rule))).ok();
        let r = self.reference();
        let street = match e.street.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match UnitCode::parse(s).ok().and_then(|c| r.org.get(&c)) {
                Some(u) if u.kind == UnitKind::Street => Some(u.code.clone()),
                _ => {
                    bad("street", format!("“{s}”不是本区的街道"));
                    None
                }
            },
        };
        let mut facts = vec![];
        for f in &e.facts {
            match FactKind::parse(&f.kind) {
                Some(kind) => facts.push(CreditFact {
                    kind,
                    date: f.date,
                    source: None,
                    note: f.note.clone(),
                    special: f.special,
                }),
                None => bad("facts", format!("信用信息类型“{}”不存在", f.kind)),
            }
        }
        if let Some(p) = &e.legal_representative
            && let Err(AppError::Invalid { message, .. }) = self.person_data(p, "legal_representative")
        {
            bad("legal_representative", message);
        }
        let registration = Registration {
            code: code?,
            name: e.name,
            entity_type: e.entity_type,
            industry: e.industry,
            address: e.address,
            street,
            location: e.location,
            capital: e.capital,
            employees: e.employees,
            founded: e.founded,
            tags: e.tags,
        };
        let now = self.now();
        let checked = enterprise::check_import(&registration, &facts, now);
        if let Err(refusal) = checked {
            let field = match &refusal {
                yiwang_core::case::Refusal::Invalid(v) => v.field.to_owned(),
                other => other.code().trim_start_matches("invalid_").to_owned(),
            };
            errors.push(RowError { row, field, message: refusal.to_string() });
        }
        (errors.len() == before).then_some(Checked { registration, facts, legal: e.legal_representative })
    }

    /// Imports a register file (CSV or JSON, `parse_register`), checked whole first:
    /// with any bad row nothing is stored, and the error names every bad row.
    pub fn import_register(&self, actor: &Actor, text: &str) -> Result<RegisterReport> {
        let (entries, errors) = parse_register(text);
        self.import_entries(actor, entries, errors)
    }

    pub(crate) fn import_entries(
        &self,
        actor: &Actor,
        entries: Vec<(usize, RegisterEntry)>,
        mut errors: Vec<RowError>,
    ) -> Result<RegisterReport> {
        if !matches!(actor, Actor::System) && !actor.has_role(Role::Regulator) {
            return Err(AppError::Forbidden("只有监管人员可以导入企业名录".into()));
        }
        let mut checked = vec![];
        let mut seen = std::collections::HashMap::new();
        for (row, e) in entries {
            if let Some(c) = self.check_entry(row, e, &mut errors) {
                if let Some(first) = seen.insert(c.registration.code.clone(), row) {
                    errors.push(RowError {
                        row,
                        field: "code".into(),
                        message: format!("统一社会信用代码与第 {first} 行重复"),
                    });
                    continue;
                }
                checked.push(c);
            }
        }
        if checked.is_empty() && errors.is_empty() {
            errors.push(RowError { row: 0, field: "file".into(), message: "文件中没有企业".into() });
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.row);
            return Err(AppError::InvalidRows { file: "企业名录".into(), rows: errors });
        }
        let mut report = RegisterReport::default();
        // New enterprises are written side by side (the writer commits them in
        // batches); corrections one by one.
        let mut pending = vec![];
        for c in checked {
            match self.enterprise(&c.registration.code)? {
                None => {
                    let code = c.registration.code.clone();
                    let new = self.new_enterprise(actor, c.registration, &c.facts, c.legal.as_ref())?;
                    pending.push((code, self.create_case(new)));
                }
                Some(old) => {
                    let before = old.version;
                    let after = self.act_on::<EnterpriseKind>(
                        actor,
                        &old.id,
                        &Command::Update { registration: c.registration },
                    )?;
                    if after.version == before { report.unchanged += 1 } else { report.updated += 1 }
                }
            }
        }
        for (code, p) in pending {
            p.wait().map_err(|e| registered_twice(&code, e))?;
            report.registered += 1;
        }
        Ok(report)
    }

    fn new_enterprise(
        &self,
        actor: &Actor,
        registration: Registration,
        facts: &[CreditFact],
        legal: Option<&CitizenInput>,
    ) -> Result<NewCase> {
        let r = self.reference();
        let now = self.now();
        let unit = match actor {
            Actor::Staff { unit, .. } => unit.clone(),
            _ => UnitCode::parse(REGISTER_UNIT)?,
        };
        let events = enterprise::open(&registration, facts, &unit, &self.context(&r, actor, now))?;
        let person = match legal {
            Some(p) => self.person_data(p, "legal_representative")?,
            None => None,
        };
        Ok(NewCase {
            tenant: r.tenant.clone(),
            at: now,
            actor: actor.clone(),
            person,
            events: Events::new::<EnterpriseKind>(events),
            notices: vec![],
            idempotency: None,
        })
    }

    /// 登记入库 of one enterprise.
    pub fn register_enterprise(
        &self,
        actor: &Actor,
        registration: Registration,
        facts: &[CreditFact],
        legal: Option<&CitizenInput>,
    ) -> Result<Enterprise> {
        let code = registration.code.clone();
        let new = self.new_enterprise(actor, registration, facts, legal)?;
        self.create_case(new)
            .wait()
            .map_err(|e| registered_twice(&code, e))?
            .into_state::<EnterpriseKind>()
            .map_err(|c| crate::case::wrong_kind(c.id()))
    }

    /// The enterprise with this 统一社会信用代码, if the register has it.
    pub fn enterprise(&self, code: &CreditCode) -> Result<Option<Enterprise>> {
        match self.store.find_by_tracking_code(&enterprise::key(code))? {
            Some(id) => self.load_as::<EnterpriseKind>(&id).map(Some),
            None => Ok(None),
        }
    }

    /// The enterprise, for staff who may see it (the register's readers: `sees_all`).
    pub fn enterprise_view(&self, actor: &Actor, code: &CreditCode) -> Result<EnterpriseView> {
        let e = self.enterprise(code)?.ok_or(AppError::NotFound("企业"))?;
        let case = self.load_case(&e.id)?;
        if !case.can_view(actor) {
            return Err(AppError::NotFound("企业"));
        }
        self.enterprise_view_of(e)
    }

    pub(crate) fn enterprise_view_of(&self, e: Enterprise) -> Result<EnterpriseView> {
        let r = self.reference();
        let legal = match e.person {
            Some(p) => self.store.person(p)?.filter(|p| p.erased_at.is_none()).map(|p| {
                let name = p.data.name.as_deref().map(yiwang_core::id::mask_name).unwrap_or_default();
                let phone = p.data.phone.as_deref().map(yiwang_core::id::mask_phone).unwrap_or_default();
                format!("{name} {phone}").trim().to_owned()
            }),
            None => None,
        };
        let rules = &self.config.limits.credit;
        let repairable_from = e
            .facts
            .iter()
            .filter(|f| f.repaired_at.is_none() && f.fact.kind.repairable())
            .filter_map(|f| rules.repairable_from(&f.fact).map(|d| (f.number, d)))
            .collect();
        let profile = e.profile();
        Ok(EnterpriseView {
            class_label: profile.class.label(),
            street_name: e.registration.street.as_ref().and_then(|s| r.org.get(s)).map(|u| u.name.clone()),
            unit_name: r.org.get(&e.unit).map(|u| u.name.clone()).unwrap_or_default(),
            legal_representative: legal,
            repairable_from,
            profile,
            enterprise: e,
        })
    }

    /// The whole register, from the projections: one `Profile` per enterprise.
    pub fn register_profiles(&self) -> Result<Vec<Profile>> {
        let mut out = vec![];
        self.each_case(&CaseQuery { kind: Some(EnterpriseKind::NAME), ..Default::default() }, |row| {
            let p: Profile = serde_json::from_str(&row.detail)
                .map_err(|e| AppError::Internal(format!("enterprise {}: {e}", row.id)))?;
            out.push(p);
            Ok(())
        })?;
        Ok(out)
    }

    /// A page of the register for the console: by name, code or address (`text`),
    /// class and street.
    pub fn register_page(
        &self,
        actor: &Actor,
        text: Option<&str>,
        class: Option<CreditClass>,
        street: Option<&UnitCode>,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<(CaseId, Profile)>, u64)> {
        if !EnterpriseKind::sees_all(actor) && !matches!(actor, Actor::System) {
            return Err(AppError::Forbidden("企业名录仅供监管、执法和政策部门查阅".into()));
        }
        let mut detail = vec![];
        if let Some(c) = class {
            detail.push(("class", serde_json::json!(c.as_str())));
        }
        let q = CaseQuery {
            kind: Some(EnterpriseKind::NAME),
            text: text.map(str::trim).filter(|t| !t.is_empty()).and_then(yiwang_store::search::fts_query),
            areas: street.into_iter().cloned().collect(),
            detail,
            limit,
            offset,
            count_up_to: Some(100_000),
            ..Default::default()
        };
        let page = self.store.list_cases(&q)?;
        let rows = page
            .rows
            .into_iter()
            .filter_map(|row| serde_json::from_str::<Profile>(&row.detail).ok().map(|p| (row.id, p)))
            .collect();
        Ok((rows, page.total))
    }

    /// A credit fact from another kind (an inspection's result, a rectification on
    /// time or late) or a department (a penalty, the 经营异常名录): the class follows.
    pub fn record_credit_fact(&self, actor: &Actor, code: &CreditCode, fact: CreditFact) -> Result<()> {
        let e = self.enterprise(code)?.ok_or(AppError::NotFound("企业"))?;
        self.act_on::<EnterpriseKind>(actor, &e.id, &Command::RecordFact { fact })?;
        Ok(())
    }

    /// Puts the certificate of an enterprise's application on the enterprise's
    /// record, once (the register's `LinkLicence` records nothing twice). An
    /// enterprise not in the register is left alone: the register is imported, never
    /// made up from an application.
    pub(crate) fn link_licence(&self, a: &yiwang_core::application::Application) -> Result<()> {
        let (Some(e), Some(c)) = (&a.enterprise, &a.certificate) else { return Ok(()) };
        let Some(ent) = self.enterprise(&e.code)? else { return Ok(()) };
        let licence =
            enterprise::Licence { number: c.number.clone(), name: a.service.name.clone(), case: Some(a.id.clone()) };
        self.act_on::<EnterpriseKind>(&Actor::System, &ent.id, &Command::LinkLicence { licence })?;
        Ok(())
    }

    /// The applications filed for an enterprise (一网通办), newest first, with their
    /// certificates: from the applications' own column, which the console and the
    /// enterprise's own page show.
    pub fn enterprise_applications(&self, code: &CreditCode, limit: u32) -> Result<Vec<yiwang_store::CaseRow>> {
        let q = CaseQuery {
            kind: Some(yiwang_core::application::ApplicationKind::NAME),
            detail: vec![("enterprise_code", serde_json::json!(code.to_string()))],
            limit,
            ..Default::default()
        };
        Ok(self.store.list_cases(&q)?.rows)
    }

    /// The enterprises the applicant's phone may act for: through an authorisation in
    /// force (企业授权), or as the register's contact phone (its legal representative).
    pub fn my_enterprises(&self, who: &crate::applicant::Applicant) -> Result<Vec<(CreditCode, String)>> {
        let mut out: Vec<(CreditCode, String)> = vec![];
        let q = CaseQuery {
            kind: Some(EnterpriseKind::NAME),
            phone_digest: Some(self.phone_digest(&who.phone)),
            limit: 50,
            ..Default::default()
        };
        for row in self.store.list_cases(&q)?.rows {
            if let Ok(p) = serde_json::from_str::<Profile>(&row.detail) {
                out.push((p.code, p.name));
            }
        }
        for a in self.my_authorisations(who)? {
            if a.in_force && !out.iter().any(|(c, _)| *c == a.authorisation.enterprise) {
                out.push((a.authorisation.enterprise.clone(), a.authorisation.enterprise_name.clone()));
            }
        }
        Ok(out)
    }

    /// The enterprise's own view of its record, for a phone that may act for it.
    pub fn my_enterprise(&self, who: &crate::applicant::Applicant, code: &str) -> Result<EnterpriseView> {
        let bound = self.bound_enterprise(who, code)?;
        let e = self.enterprise(&bound.code)?.ok_or(AppError::NotFound("企业"))?;
        self.enterprise_view_of(e)
    }

    /// Whether the register's contact phone of `code` is the applicant's.
    pub(crate) fn register_contact(
        &self,
        who: &crate::applicant::Applicant,
        code: &CreditCode,
    ) -> Result<Option<String>> {
        let q = CaseQuery {
            kind: Some(EnterpriseKind::NAME),
            phone_digest: Some(self.phone_digest(&who.phone)),
            detail: vec![("code", serde_json::json!(code.to_string()))],
            limit: 1,
            ..Default::default()
        };
        Ok(self.store.list_cases(&q)?.rows.into_iter().next().and_then(|r| r.title))
    }
}
