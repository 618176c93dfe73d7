//! 政务信息资源目录 (core's `share::catalogue`): the catalogue's entries, and reading
//! a resource's records from its source, whichever it is.
//!
//! The read interface (`resource`, `resources`, `read_resource`) is what the access
//! layer builds on: it returns every declared field of every record; dropping fields
//! outside a grant and masking personal ones is the access layer's.
//!
//! What `since` means per source (every source pages newest first by a keyset
//! cursor, `next`, which the caller passes back as `after`):
//!
//! | source | a record | `since` |
//! |---|---|---|
//! | cases of a kind | a case | opened at or after |
//! | the enterprise register | an enterprise | entered the register at or after |
//! | certificates | an issued certificate | its application opened at or after |
//! | inspection results | a published result | its inspection opened at or after |
//! | indicators | a unit's month | months from `since`'s month (China time) |
//! | a gateway | what the department's system answers | passed on as `since` |

use crate::{App, AppError, Result};
use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::time::Duration;
use yiwang_core::appeal::AppealKind;
use yiwang_core::case::{Events, Kind};
use yiwang_core::enterprise::{EnterpriseKind, Profile};
use yiwang_core::id::{CaseId, PersonId, UnitCode};
use yiwang_core::org::Actor;
use yiwang_core::share::catalogue::{self as cat, CaseView, Command, Field, FieldType, ResourceEntry, ResourceKind};
use yiwang_core::share::{OpenClass, Resource, ResourceStatus, ShareClass, Source};
use yiwang_store::{CaseQuery, CaseRow, ListOrder, NewCase};

/// The most records one read returns.
pub const MAX_READ: u32 = 1000;

/// What the catalogue is searched by.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResourceFilter {
    /// Words of the name, code, description or field labels.
    pub text: Option<String>,
    pub owner: Option<UnitCode>,
    pub share: Option<ShareClass>,
    pub open: Option<OpenClass>,
    /// Withdrawn resources too.
    #[serde(default)]
    pub withdrawn: bool,
}

/// A read of a resource's records.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReadQuery {
    /// Records changed since (per source: see the module's doc).
    pub since: Option<DateTime<Utc>>,
    /// The cursor a page's `next` gave.
    pub after: Option<String>,
    /// 1 to `MAX_READ`.
    pub limit: u32,
    /// field = value (the value as text: `true`, `42`, `2026-12-01`): records whose
    /// field has that value. A page is read, then filtered: a filtered page may hold
    /// fewer than `limit` records and still have a `next`.
    #[serde(default)]
    pub filter: Vec<(String, String)>,
}

/// A page of records.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RecordPage {
    /// Every declared field of each record (`null` where it has no value).
    pub records: Vec<Map<String, Value>>,
    /// The cursor of the next page; none after the last.
    pub next: Option<String>,
    /// Per record: the people whose personal data it holds (may be empty).
    pub person_ids: Vec<Vec<PersonId>>,
}

/// An entry as the console and the API show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceView {
    #[serde(flatten)]
    pub resource: Resource,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub status: ResourceStatus,
    pub owner_name: String,
    pub share_label: &'static str,
    pub open_label: &'static str,
    pub frequency_label: &'static str,
    pub source_label: String,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
    /// The open data's files, for an open resource published on the portal.
    pub downloads: Vec<String>,
}

/// One change of a resource's entry, as its page lists them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceChange {
    pub seq: u32,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `registered`, `amended`, `withdrawn`.
    pub kind: &'static str,
    pub summary: String,
}

/// The gateway's settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// How long a department's system may take to answer one page.
    pub timeout: Duration,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig { timeout: Duration::from_secs(10) }
    }
}

fn entry_of(row_state: yiwang_core::case::Case) -> Result<ResourceEntry> {
    row_state.into_state::<ResourceKind>().map_err(|c| crate::case::wrong_kind(c.id()))
}

impl App {
    /// The entry of the resource with this code, withdrawn or not. Its case number
    /// (`ZY…`, which search and 我的待办 link by) finds it too.
    pub fn resource_entry(&self, code: &str) -> Result<ResourceEntry> {
        match self.store.find_by_tracking_code(&cat::key(code.trim()))? {
            Some(id) => self.load_as::<ResourceKind>(&id),
            None => match CaseId::parse(code.trim()) {
                Ok(id) if id.as_str().starts_with(ResourceKind::PREFIX) => self.load_as::<ResourceKind>(&id),
                _ => Err(AppError::NotFound(ResourceKind::LABEL)),
            },
        }
    }

    /// Every registration, amendment and withdrawal of a resource, oldest first: the
    /// case's hash-chained events, for staff who read the catalogue.
    pub fn resource_history(&self, actor: &Actor, code: &str) -> Result<Vec<ResourceChange>> {
        self.may_read_catalogue(actor)?;
        let e = self.resource_entry(code)?;
        let mut out = vec![];
        for r in self.store.events(&e.id)? {
            let env = r.decode::<ResourceKind>().map_err(|e| AppError::Internal(e.to_string()))?;
            out.push(ResourceChange {
                seq: env.seq,
                at: env.at,
                actor: env.actor.label(),
                kind: env.event.name(),
                summary: env.event.summary(),
            });
        }
        Ok(out)
    }

    /// The resource with this code; a withdrawn one is not found.
    pub fn resource(&self, code: &str) -> Result<Resource> {
        let e = self.resource_entry(code)?;
        if e.status == ResourceStatus::Withdrawn {
            return Err(AppError::NotFound(ResourceKind::LABEL));
        }
        Ok(e.resource)
    }

    /// The entries the filter finds, by code.
    pub fn resource_entries(&self, f: &ResourceFilter) -> Result<Vec<ResourceEntry>> {
        let text = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let mut detail = vec![];
        if let Some(o) = &f.owner {
            detail.push(("owner", json!(o.to_string())));
        }
        if let Some(s) = f.share {
            detail.push(("share", json!(s.as_str())));
        }
        if let Some(o) = f.open {
            detail.push(("open", json!(o.as_str())));
        }
        let q = CaseQuery {
            kind: Some(ResourceKind::NAME),
            open: (!f.withdrawn).then_some(true),
            detail,
            ..Default::default()
        };
        let mut ids = vec![];
        self.each_case(&q, |row| {
            ids.push(row.id);
            Ok(())
        })?;
        let mut out = vec![];
        for id in ids {
            let e = entry_of(self.load_case(&id)?)?;
            if let Some(t) = text
                && !matches_text(&e.resource, t, &self.reference().unit_name(&e.resource.owner))
            {
                continue;
            }
            out.push(e);
        }
        out.sort_by(|a, b| a.resource.code.cmp(&b.resource.code));
        Ok(out)
    }

    /// The resources the filter finds, by code.
    pub fn resources(&self, f: &ResourceFilter) -> Result<Vec<Resource>> {
        Ok(self.resource_entries(f)?.into_iter().map(|e| e.resource).collect())
    }

    pub fn resource_view(&self, e: ResourceEntry) -> ResourceView {
        let r = &e.resource;
        ResourceView {
            owner_name: self
                .reference()
                .org
                .get(&r.owner)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| r.owner.to_string()),
            share_label: r.share.label(),
            open_label: r.open.label(),
            frequency_label: r.frequency.label(),
            source_label: r.source.label(),
            downloads: open_downloads(r),
            id: e.id,
            status: e.status,
            registered_at: e.registered_at,
            updated_at: e.updated_at,
            version: e.version,
            resource: e.resource,
        }
    }

    /// The catalogue as staff read it: every department's (not a 核验员's).
    pub fn catalogue(&self, actor: &Actor, f: &ResourceFilter) -> Result<Vec<ResourceView>> {
        self.may_read_catalogue(actor)?;
        Ok(self.resource_entries(f)?.into_iter().map(|e| self.resource_view(e)).collect())
    }

    /// One entry, withdrawn or not, as staff read it.
    pub fn catalogue_entry(&self, actor: &Actor, code: &str) -> Result<ResourceView> {
        self.may_read_catalogue(actor)?;
        Ok(self.resource_view(self.resource_entry(code)?))
    }

    fn may_read_catalogue(&self, actor: &Actor) -> Result<()> {
        if let Actor::Staff { roles, .. } = actor
            && yiwang_core::org::Role::only_verifies(roles)
        {
            return Err(AppError::VerifierOnly);
        }
        if ResourceKind::sees_all(actor) || matches!(actor, Actor::System) {
            Ok(())
        } else {
            Err(AppError::Forbidden("政务信息资源目录供各部门工作人员查阅".into()))
        }
    }

    /// 登记 a resource.
    pub fn register_resource(&self, actor: &Actor, r: &Resource) -> Result<ResourceEntry> {
        self.check_source(&r.source)?;
        let now = self.now();
        let reference = self.reference();
        let events = cat::open(r, &self.context(&reference, actor, now))?;
        let code = r.code.trim().to_owned();
        let new = NewCase {
            tenant: reference.tenant.clone(),
            at: now,
            actor: actor.clone(),
            person: None,
            events: Events::new::<ResourceKind>(events),
            notices: vec![],
            idempotency: None,
        };
        // Through the live feeds, as every creation (`crate::feed`).
        let case = self.create_case(new).wait().map_err(|e| match e {
            yiwang_store::StoreError::Duplicate(_) => AppError::Conflict(format!("资源代码 {code} 已登记")),
            e => e.into(),
        })?;
        entry_of(case)
    }

    /// 变更 a resource: `r` is the resource as it now is.
    pub fn amend_resource(&self, actor: &Actor, code: &str, r: &Resource) -> Result<ResourceEntry> {
        self.check_source(&r.source)?;
        let e = self.resource_entry(code)?;
        self.act_on::<ResourceKind>(actor, &e.id, &Command::Amend { resource: r.clone() })
    }

    /// 撤销 a resource.
    pub fn withdraw_resource(&self, actor: &Actor, code: &str, reason: &str) -> Result<ResourceEntry> {
        let e = self.resource_entry(code)?;
        self.act_on::<ResourceKind>(actor, &e.id, &Command::Withdraw { reason: reason.into() })
    }

    /// A source yiwang's own data gives must be one it has: a known kind.
    fn check_source(&self, s: &Source) -> Result<()> {
        if let Source::Cases { kind, .. } = s
            && yiwang_core::kinds().get(kind).is_none()
        {
            return Err(AppError::Refused(yiwang_core::case::Refusal::rule(
                "unknown_source",
                format!("办件类型“{kind}”不存在"),
            )));
        }
        Ok(())
    }

    /// Reads a page of the resource's records from its source, every declared field.
    pub fn read_resource(&self, r: &Resource, q: &ReadQuery) -> Result<RecordPage> {
        if q.limit == 0 || q.limit > MAX_READ {
            return Err(AppError::invalid("limit", format!("limit 应为 1 至 {MAX_READ}")));
        }
        for (name, _) in &q.filter {
            if r.field(name).is_none() {
                return Err(AppError::invalid("filter", format!("信息项“{name}”不在该资源之列")));
            }
        }
        let page = match &r.source {
            Source::Gateway { url } => return self.read_gateway(r, url, q),
            Source::Cases { kind, view } => self.read_cases(kind, *view, q)?,
            Source::Register => self.read_register(q)?,
            Source::Certificates => self.read_certificates(q)?,
            Source::InspectionResults => self.read_inspections(q)?,
            Source::Indicators => self.read_indicators(q)?,
        };
        Ok(project(r, page, &q.filter))
    }

    /// The rows of a walk newest first, from the cursor, with the next cursor.
    fn walk(&self, mut base: CaseQuery, q: &ReadQuery) -> Result<(Vec<CaseRow>, Option<String>)> {
        base.opened_from = q.since;
        if let Some(c) = &q.after {
            let (opened_at, id) = parse_cursor(c)?;
            base.order = ListOrder::NewestAfter { opened_at, id };
        }
        base.limit = q.limit;
        base.count_up_to = Some(1);
        let rows = self.store.list_cases(&base)?.rows;
        let next = (rows.len() as u32 == q.limit).then(|| rows.last().map(cursor)).flatten();
        Ok((rows, next))
    }

    fn read_cases(&self, kind: &str, view: CaseView, q: &ReadQuery) -> Result<Raw> {
        let kind: &'static str = yiwang_core::kinds()
            .get(kind)
            .map(|k| k.name())
            .ok_or_else(|| AppError::Internal(format!("no kind {kind}")))?;
        let base = CaseQuery { kind: Some(kind), ..Default::default() };
        let (rows, next) = self.walk(base, q)?;
        let reference = self.reference();
        let mut out = Raw { next, ..Default::default() };
        for row in rows {
            let case = self.load_case(&row.id)?;
            let p = case.project();
            let h = &p.header;
            let street = h.area.as_ref().and_then(|a| reference.org.street_of(a)).map(|u| u.code.to_string());
            let mut m = Map::new();
            m.insert("id".into(), json!(row.id.to_string()));
            m.insert("status".into(), json!(h.status));
            m.insert("status_label".into(), json!(case.kind_of().status_label(h.status)));
            m.insert("category".into(), json!(h.category));
            m.insert("street".into(), json!(street));
            m.insert("unit".into(), json!(h.unit.as_ref().map(|u| u.to_string())));
            m.insert("opened_at".into(), json!(stamp(h.opened_at)));
            m.insert("closed_at".into(), json!(h.closed_at.map(stamp)));
            m.insert("updated_at".into(), json!(stamp(h.updated_at)));
            let mut hours = h.closed_at.map(|c| hours_between(h.opened_at, c));
            let mut outcome = h.closed_at.map(|_| case.kind_of().status_label(h.status).to_owned());
            let mut text = None;
            if let Some(a) = case.state::<AppealKind>() {
                if let Some(reply) = &a.reply {
                    hours = Some(hours_between(a.accepted_at, reply.at));
                    // A closed appeal is held by no unit: the one that replied handled it.
                    if h.unit.is_none() {
                        m.insert("unit".into(), json!(reply.unit.to_string()));
                    }
                }
                outcome = a.outcome.map(|o| o.label().to_owned()).or(outcome);
                // Anonymised: text only where the district publishes it, masked
                // (open311's `Publication`, the publication filter).
                if view == CaseView::Full || self.config.publication.publishes(a) {
                    text = Some(if view == CaseView::Full { a.text.clone() } else { self.published_text(a)? });
                }
            }
            m.insert("reply_hours".into(), json!(hours));
            m.insert("outcome".into(), json!(outcome));
            m.insert("text".into(), json!(text));
            let mut people = vec![];
            if view == CaseView::Full {
                m.insert("title".into(), json!(h.title));
                m.insert("detail".into(), json!(p.detail));
                let person = match h.person {
                    Some(id) => self.store.person(id)?.filter(|p| p.erased_at.is_none()),
                    None => None,
                };
                m.insert("person_name".into(), json!(person.as_ref().and_then(|p| p.data.name.clone())));
                m.insert("person_phone".into(), json!(person.as_ref().and_then(|p| p.data.phone.clone())));
                people.extend(h.person);
            }
            out.push(m, people);
        }
        Ok(out)
    }

    fn read_register(&self, q: &ReadQuery) -> Result<Raw> {
        let (rows, next) = self.walk(CaseQuery { kind: Some(EnterpriseKind::NAME), ..Default::default() }, q)?;
        let mut out = Raw { next, ..Default::default() };
        for row in rows {
            let p: Profile = serde_json::from_str(&row.detail)
                .map_err(|e| AppError::Internal(format!("enterprise {}: {e}", row.id)))?;
            let e = self.load_as::<EnterpriseKind>(&row.id)?;
            let legal = match e.person {
                Some(id) => self.store.person(id)?.filter(|p| p.erased_at.is_none()),
                None => None,
            };
            let mut m = Map::new();
            m.insert("code".into(), json!(p.code.to_string()));
            m.insert("name".into(), json!(p.name));
            m.insert("entity_type".into(), json!(p.entity_type));
            m.insert("industry".into(), json!(p.industry));
            m.insert("address".into(), json!(p.address));
            m.insert("street".into(), json!(p.street.as_ref().map(|s| s.to_string())));
            m.insert("capital".into(), json!(p.capital));
            m.insert("employees".into(), json!(p.employees));
            m.insert("founded".into(), json!(p.founded.to_string()));
            m.insert("credit_class".into(), json!(p.class.as_str()));
            m.insert("legal_representative".into(), json!(legal.as_ref().and_then(|p| p.data.name.clone())));
            m.insert("legal_phone".into(), json!(legal.as_ref().and_then(|p| p.data.phone.clone())));
            m.insert("registered_at".into(), json!(stamp(e.registered_at)));
            out.push(m, e.person.into_iter().collect());
        }
        Ok(out)
    }

    fn read_certificates(&self, q: &ReadQuery) -> Result<Raw> {
        use yiwang_core::application::ApplicationKind;
        let base = CaseQuery {
            kind: Some(ApplicationKind::NAME),
            detail: vec![("granted", json!(true))],
            ..Default::default()
        };
        let (rows, next) = self.walk(base, q)?;
        let mut out = Raw { next, ..Default::default() };
        for row in rows {
            let a = self.load_as::<ApplicationKind>(&row.id)?;
            let Some(c) = &a.certificate else { continue };
            let holder = match &a.enterprise {
                Some(e) => Some(e.name.clone()),
                None => match a.person {
                    Some(id) => self.store.person(id)?.filter(|p| p.erased_at.is_none()).and_then(|p| p.data.name),
                    None => None,
                },
            };
            let mut m = Map::new();
            m.insert("number".into(), json!(c.number));
            m.insert("name".into(), json!(a.service.certificate.as_ref().map(|s| s.name.clone())));
            m.insert("service".into(), json!(a.service.code));
            m.insert("holder".into(), json!(holder));
            m.insert("enterprise_code".into(), json!(a.enterprise.as_ref().map(|e| e.code.to_string())));
            m.insert("valid_from".into(), json!(c.valid_from.to_string()));
            m.insert("valid_until".into(), json!(c.valid_until.map(|d| d.to_string())));
            m.insert("issued_at".into(), json!(stamp(c.at)));
            m.insert("revoked".into(), json!(c.revoked.is_some()));
            m.insert("case".into(), json!(row.id.to_string()));
            let people = if a.enterprise.is_none() { a.person.into_iter().collect() } else { vec![] };
            out.push(m, people);
        }
        Ok(out)
    }

    fn read_inspections(&self, q: &ReadQuery) -> Result<Raw> {
        use yiwang_core::inspection::{InspectionDetail, InspectionKind, InspectionStatus, Outcome};
        let base = CaseQuery {
            kind: Some(InspectionKind::NAME),
            statuses: vec![InspectionStatus::Published.as_str()],
            ..Default::default()
        };
        let (rows, next) = self.walk(base, q)?;
        let mut out = Raw { next, ..Default::default() };
        for row in rows {
            let d: InspectionDetail =
                serde_json::from_str(&row.detail).map_err(|e| AppError::Internal(format!("inspection detail: {e}")))?;
            let outcome = d.outcome.unwrap_or(Outcome::Passed);
            let mut m = Map::new();
            m.insert("case".into(), json!(row.id.to_string()));
            m.insert("enterprise".into(), json!(d.enterprise));
            m.insert("enterprise_name".into(), json!(d.enterprise_name));
            m.insert("matter".into(), json!(d.matter));
            m.insert("matter_name".into(), json!(d.matter_name));
            m.insert("source".into(), json!(d.source));
            m.insert("department".into(), json!(row.unit.as_ref().map(|u| u.to_string())));
            m.insert("outcome".into(), json!(outcome.as_str()));
            m.insert("outcome_label".into(), json!(outcome.label()));
            m.insert("inspected_at".into(), json!(d.ended_at.map(stamp)));
            out.push(m, vec![]);
        }
        Ok(out)
    }

    /// The 三率 of each unit per month, newest month first; the cursor is the month
    /// and the unit last given.
    fn read_indicators(&self, q: &ReadQuery) -> Result<Raw> {
        let today = yiwang_core::calendar::civil_date(self.now());
        let first = q
            .since
            .map(yiwang_core::calendar::civil_date)
            .unwrap_or_else(|| today - chrono::Months::new(11))
            .with_day(1)
            .expect("day 1");
        let (after_month, after_unit) = match &q.after {
            Some(c) => {
                let (m, u) = c.split_once('_').ok_or_else(bad_cursor)?;
                (Some(m.to_owned()), Some(u.to_owned()))
            }
            None => (None, None),
        };
        let mut out = Raw::default();
        let mut month = today.with_day(1).expect("day 1");
        let mut taken = 0u32;
        while month >= first {
            let label = month.format("%Y-%m").to_string();
            month = month - chrono::Months::new(1);
            if after_month.as_ref().is_some_and(|a| label > *a) {
                continue;
            }
            let mut units = self.measures(&label)?.units;
            // By code: the cursor's order, whatever order the measures rank in.
            units.sort_by(|a, b| a.unit.cmp(&b.unit));
            for u in units {
                let code = u.unit.to_string();
                if after_month.as_ref() == Some(&label) && after_unit.as_ref().is_some_and(|a| code <= *a) {
                    continue;
                }
                if taken == q.limit {
                    out.next = out
                        .records
                        .last()
                        .map(|r| format!("{}_{}", r["month"].as_str().unwrap_or(""), r["unit"].as_str().unwrap_or("")));
                    return Ok(out);
                }
                let mut r = Map::new();
                r.insert("id".into(), json!(format!("{label}_{code}")));
                r.insert("month".into(), json!(label));
                r.insert("unit".into(), json!(code));
                r.insert("unit_name".into(), json!(u.unit_name));
                r.insert("dispatched".into(), json!(u.tally.dispatched));
                r.insert("replied".into(), json!(u.tally.replied));
                r.insert("response_rate".into(), json!(u.rates.response));
                r.insert("resolution_rate".into(), json!(u.rates.resolution));
                r.insert("satisfaction_rate".into(), json!(u.rates.satisfaction));
                r.insert("on_time_rate".into(), json!(u.rates.on_time));
                r.insert("score".into(), json!(u.rates.score));
                out.push(r, vec![]);
                taken += 1;
            }
        }
        Ok(out)
    }

    /// One page from a department's system (the gateway's contract):
    /// `GET {url}?since=…&after=…&limit=…` answers `{"records": [...], "next": …}`,
    /// each record with exactly the declared fields, each of its declared type.
    fn read_gateway(&self, r: &Resource, url: &str, q: &ReadQuery) -> Result<RecordPage> {
        let unavailable = |why: String| AppError::Gateway { code: "gateway_unavailable", message: why };
        let invalid = |why: String| AppError::Gateway { code: "gateway_invalid", message: why };
        let client = reqwest::blocking::Client::builder()
            .timeout(self.config.gateway.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AppError::Internal(format!("gateway client: {e}")))?;
        let mut params: Vec<(&str, String)> = vec![("limit", q.limit.to_string())];
        if let Some(s) = q.since {
            params.push(("since", stamp(s)));
        }
        if let Some(a) = &q.after {
            params.push(("after", a.clone()));
        }
        let res = client.get(url).query(&params).send().map_err(|e| {
            tracing::warn!(resource = %r.code, %url, error = %e, "gateway unavailable");
            unavailable(if e.is_timeout() {
                format!("资源 {} 的部门接口未在规定时间内响应", r.code)
            } else {
                format!("资源 {} 的部门接口无法连接", r.code)
            })
        })?;
        if !res.status().is_success() {
            return Err(unavailable(format!("资源 {} 的部门接口返回错误（HTTP {}）", r.code, res.status().as_u16())));
        }
        let body: Value = res.json().map_err(|e| {
            tracing::warn!(resource = %r.code, error = %e, "gateway answered no JSON");
            invalid(format!("资源 {} 的部门接口返回的不是 JSON", r.code))
        })?;
        let records = body
            .get("records")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid(format!("资源 {} 的部门接口返回缺少 records 数组", r.code)))?;
        let next = match body.get("next") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 500 => Some(s.clone()),
            Some(_) => return Err(invalid(format!("资源 {} 的部门接口返回的 next 不是字符串", r.code))),
        };
        if records.len() > q.limit as usize {
            return Err(invalid(format!("资源 {} 的部门接口返回的记录多于请求的 {} 条", r.code, q.limit)));
        }
        let mut page = RecordPage { next, ..Default::default() };
        for (i, rec) in records.iter().enumerate() {
            let m = check_record(r, rec).map_err(|why| invalid(format!("资源 {} 第 {} 条记录{why}", r.code, i + 1)))?;
            if passes(&m, &q.filter) {
                page.records.push(m);
                page.person_ids.push(vec![]);
            }
        }
        Ok(page)
    }
}

/// A resource of a seed list (`data/demo/catalogue.json`): yiwang's own sources may
/// leave out their fields and key, which the source gives.
#[derive(Debug, Clone, Deserialize)]
struct SeedResource {
    code: String,
    name: String,
    owner: UnitCode,
    description: String,
    #[serde(default)]
    fields: Vec<Field>,
    share: ShareClass,
    #[serde(default)]
    conditions: String,
    frequency: yiwang_core::share::Frequency,
    format: String,
    source: Source,
    open: OpenClass,
    #[serde(default)]
    key_field: String,
}

impl App {
    /// Registers the resources of a seed list (JSON) that are not registered yet, as
    /// `actor`; how many.
    pub fn seed_catalogue(&self, actor: &Actor, json: &str) -> Result<usize> {
        let seeds: Vec<SeedResource> =
            serde_json::from_str(json).map_err(|e| AppError::invalid("catalogue", format!("资源清单有误：{e}")))?;
        let mut n = 0;
        for s in seeds {
            if self.store.find_by_tracking_code(&cat::key(&s.code))?.is_some() {
                continue;
            }
            let fields = if s.fields.is_empty() { source_fields(&s.source) } else { s.fields };
            let key_field = if s.key_field.is_empty() { source_key(&s.source).to_owned() } else { s.key_field };
            let r = Resource {
                code: s.code,
                name: s.name,
                owner: s.owner,
                description: s.description,
                fields,
                share: s.share,
                conditions: s.conditions,
                frequency: s.frequency,
                format: s.format,
                source: s.source,
                open: s.open,
                key_field,
            };
            self.register_resource(actor, &r)?;
            n += 1;
        }
        Ok(n)
    }
}

/// Whether a record of the gateway has exactly the declared fields, each of its type.
fn check_record(r: &Resource, rec: &Value) -> std::result::Result<Map<String, Value>, String> {
    let Value::Object(m) = rec else { return Err("不是 JSON 对象".into()) };
    for f in &r.fields {
        match m.get(&f.name) {
            None => return Err(format!("缺少信息项“{}”", f.name)),
            Some(v) if !f.ty.admits(v) => {
                return Err(format!("信息项“{}”应为{}", f.name, f.ty.label()));
            }
            _ => {}
        }
    }
    if let Some(extra) = m.keys().find(|k| r.field(k).is_none()) {
        return Err(format!("含有未登记的信息项“{extra}”"));
    }
    Ok(m.clone())
}

/// Records as a source reads them, before they are fitted to the declared fields.
#[derive(Default)]
struct Raw {
    records: Vec<Map<String, Value>>,
    people: Vec<Vec<PersonId>>,
    next: Option<String>,
}

impl Raw {
    fn push(&mut self, m: Map<String, Value>, people: Vec<PersonId>) {
        self.records.push(m);
        self.people.push(people);
    }
}

/// The declared fields of each record (a field the source does not give is null),
/// the records the filter keeps.
fn project(r: &Resource, raw: Raw, filter: &[(String, String)]) -> RecordPage {
    let mut page = RecordPage { next: raw.next, ..Default::default() };
    for (m, people) in raw.records.into_iter().zip(raw.people) {
        let out: Map<String, Value> =
            r.fields.iter().map(|f| (f.name.clone(), m.get(&f.name).cloned().unwrap_or(Value::Null))).collect();
        if passes(&out, filter) {
            page.records.push(out);
            page.person_ids.push(people);
        }
    }
    page
}

fn passes(m: &Map<String, Value>, filter: &[(String, String)]) -> bool {
    filter.iter().all(|(k, v)| match m.get(k) {
        Some(Value::String(s)) => s == v,
        Some(Value::Null) | None => v.is_empty(),
        Some(other) => v.as_str() == other.to_string().as_str(),
    })
}

fn matches_text(r: &Resource, t: &str, owner_name: &str) -> bool {
    t.split_whitespace().all(|w| {
        let w = w.to_lowercase();
        r.code.to_lowercase().contains(&w)
            || r.name.to_lowercase().contains(&w)
            || r.description.to_lowercase().contains(&w)
            || owner_name.contains(&w)
            || r.owner.as_str() == w
            || r.fields.iter().any(|f| f.label.contains(&w) || f.name == w)
    })
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn hours_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    ((b - a).num_minutes() as f64 / 60.0 * 10.0).round() / 10.0
}

/// A row's place in a walk: its `opened_at` (microseconds) and its number.
fn cursor(row: &CaseRow) -> String {
    format!("{}_{}", row.opened_at.timestamp_micros(), row.id)
}

fn bad_cursor() -> AppError {
    AppError::invalid("after", "游标无效：请使用上一页返回的 next")
}

fn parse_cursor(c: &str) -> Result<(DateTime<Utc>, CaseId)> {
    let (t, id) = c.split_once('_').ok_or_else(bad_cursor)?;
    let t = t.parse::<i64>().ok().and_then(DateTime::from_timestamp_micros).ok_or_else(bad_cursor)?;
    let id = CaseId::parse(id).map_err(|_| bad_cursor())?;
    Ok((t, id))
}

/// The fields yiwang's own sources give, as the catalogue declares them by default.
pub fn source_fields(s: &Source) -> Vec<Field> {
    let f = |name: &str, label: &str, ty: FieldType, personal: bool| Field {
        name: name.into(),
        label: label.into(),
        ty,
        personal,
    };
    use FieldType::*;
    match s {
        Source::Cases { view, .. } => {
            let mut v = vec![
                f("id", "编号", Text, false),
                f("status", "状态", Code, false),
                f("status_label", "状态名称", Text, false),
                f("category", "分类", Code, false),
                f("street", "街道", Code, false),
                f("unit", "承办单位", Code, false),
                f("opened_at", "受理时间", Datetime, false),
                f("closed_at", "办结时间", Datetime, false),
                f("updated_at", "更新时间", Datetime, false),
                f("reply_hours", "答复用时（小时）", Decimal, false),
                f("outcome", "办理结果", Text, false),
                // Anonymised: only the text the publication filter passes, masked.
                f("text", "内容", Text, *view == CaseView::Full),
            ];
            if *view == CaseView::Full {
                v.extend([
                    f("title", "标题", Text, false),
                    f("detail", "业务信息（JSON）", Text, false),
                    f("person_name", "当事人姓名", Text, true),
                    f("person_phone", "当事人电话", Text, true),
                ]);
            }
            v
        }
        Source::Register => vec![
            f("code", "统一社会信用代码", Code, false),
            f("name", "企业名称", Text, false),
            f("entity_type", "企业类型", Text, false),
            f("industry", "行业代码", Code, false),
            f("address", "住所", Text, false),
            f("street", "所在街道", Code, false),
            f("capital", "注册资本（元）", Integer, false),
            f("employees", "从业人数", Integer, false),
            f("founded", "成立日期", Date, false),
            f("credit_class", "信用等级", Code, false),
            f("legal_representative", "法定代表人", Text, true),
            f("legal_phone", "联系电话", Text, true),
            f("registered_at", "入库时间", Datetime, false),
        ],
        Source::Certificates => vec![
            f("number", "证照编号", Text, false),
            f("name", "证照名称", Text, false),
            f("service", "事项编码", Code, false),
            f("holder", "持证主体", Text, true),
            f("enterprise_code", "统一社会信用代码", Code, false),
            f("valid_from", "有效期起", Date, false),
            f("valid_until", "有效期止", Date, false),
            f("issued_at", "签发时间", Datetime, false),
            f("revoked", "已吊销", Boolean, false),
            f("case", "办件编号", Text, false),
        ],
        Source::InspectionResults => vec![
            f("case", "案件编号", Text, false),
            f("enterprise", "统一社会信用代码", Code, false),
            f("enterprise_name", "企业名称", Text, false),
            f("matter", "检查事项编码", Code, false),
            f("matter_name", "检查事项", Text, false),
            f("source", "检查方式", Code, false),
            f("department", "检查部门", Code, false),
            f("outcome", "检查结果", Code, false),
            f("outcome_label", "检查结果名称", Text, false),
            f("inspected_at", "检查时间", Datetime, false),
        ],
        Source::Indicators => vec![
            f("id", "标识", Text, false),
            f("month", "月份", Text, false),
            f("unit", "单位", Code, false),
            f("unit_name", "单位名称", Text, false),
            f("dispatched", "派单量", Integer, false),
            f("replied", "答复量", Integer, false),
            f("response_rate", "响应率", Decimal, false),
            f("resolution_rate", "解决率", Decimal, false),
            f("satisfaction_rate", "满意率", Decimal, false),
            f("on_time_rate", "按时办结率", Decimal, false),
            f("score", "综合得分", Decimal, false),
        ],
        Source::Gateway { .. } => vec![],
    }
}

/// The key field of yiwang's own sources.
pub fn source_key(s: &Source) -> &'static str {
    match s {
        Source::Cases { .. } | Source::Indicators => "id",
        Source::Register => "code",
        Source::Certificates => "number",
        Source::InspectionResults => "case",
        Source::Gateway { .. } => "",
    }
}

/// Where the open data of an open resource is downloaded. Inspection results are
/// already published at `/api/v1/supervision/results(.csv)`: not twice.
pub fn open_downloads(r: &Resource) -> Vec<String> {
    if r.open != OpenClass::Open {
        return vec![];
    }
    match &r.source {
        Source::InspectionResults => {
            vec!["/api/v1/supervision/results.csv".into(), "/api/v1/supervision/results".into()]
        }
        Source::Gateway { .. } => vec![],
        _ => vec![format!("/open/data/{}.csv", r.code), format!("/open/data/{}.json", r.code)],
    }
}
