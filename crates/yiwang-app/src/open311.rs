//! Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2): the client apps' API keys,
//! yiwang's categories as services, a service request filed as an ordinary appeal on
//! the `open311` channel, and the public view of cases as service requests, with
//! FixMyStreet's `servicerequestupdates` extension.
//!
//! It knows nothing of XML, JSON or HTTP; the web crate renders what it returns. No
//! personal data leaves through here: a service request shows what the case is about,
//! where, who handles it and how it stands, never who reported it.

use crate::{App, AppError, CitizenInput, IntakeInput, Result};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use yiwang_core::Instant;
use yiwang_core::appeal::{
    Appeal, AppealEvent, AppealKind, AppealType, Channel, ClockKind, Envelope, Location, Outcome, Point, ReplyOutcome,
    Status, evolve,
};
use yiwang_core::case::Kind;
use yiwang_core::deadline::Urgency;
use yiwang_core::id::mask_personal;
use yiwang_core::id::{CaseId, CategoryCode, UnitCode};
use yiwang_core::org::{Actor, Role};
use yiwang_core::taxonomy::{Category, QuestionType};
use yiwang_store::CaseQuery;

/// The demo client app's key, created by `seed_demo` (the README names it). Anyone
/// who reads the README knows it: it exists only in demo installations.
pub const DEMO_API_KEY: &str = "yiwang-demo-open311-key";
/// The name of the demo client app.
pub const DEMO_API_CLIENT: &str = "Open311 演示客户端";

/// GeoReport v2, GET Service Requests: "may not span more than 90 days"; "when not
/// specified, the range defaults to most recent 90 days".
pub const OPEN311_WINDOW_DAYS: i64 = 90;
/// GeoReport v2, GET Service Requests, Response Volume: "first 1000 requests".
pub const OPEN311_MAX_REQUESTS: u32 = 1000;
/// GeoReport v2, POST Service Request: description "limited to 4,000 characters".
const DESCRIPTION_MAX: usize = 4000;

/// A key as shown once, when it is issued.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedApiKey {
    pub id: i64,
    pub name: String,
    /// The key itself. yiwang keeps only its SHA-256: it cannot be shown again.
    pub key: String,
    pub created_at: DateTime<Utc>,
}

/// A key as listed: never the key itself.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A service: a leaf category.
#[derive(Debug, Clone)]
pub struct Open311Service {
    pub category: Category,
    /// "城乡建设 / 水电气热"
    pub description: String,
    /// The first-level category's name.
    pub group: String,
    pub keywords: String,
}

/// A POST Service Request as the client sent it, fields still unchecked.
#[derive(Debug, Clone, Default)]
pub struct ServiceRequestInput {
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    /// `attribute[code]=v` and `attribute[code][]=v`, in the order sent.
    pub attributes: Vec<(String, String)>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub media_url: Option<String>,
}

/// What POST Service Request answers.
#[derive(Debug, Clone)]
pub struct CreatedRequest {
    pub service_request_id: CaseId,
    pub service_notice: String,
}

/// A case as Open311 shows it (GET Service Request(s)).
#[derive(Debug, Clone)]
pub struct ServiceRequest {
    pub service_request_id: CaseId,
    /// `open` or `closed`.
    pub status: &'static str,
    /// FixMyStreet's richer status (see `fms_status`).
    pub extended_status: &'static str,
    pub status_notes: Option<String>,
    pub service_name: Option<String>,
    pub service_code: Option<CategoryCode>,
    pub description: String,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: Instant,
    pub updated_datetime: Instant,
    pub expected_datetime: Option<Instant>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
}

/// One public step of a case (FixMyStreet's GET servicerequestupdates).
#[derive(Debug, Clone)]
pub struct RequestUpdate {
    /// `<case number>-<event seq>`: stable, and unique across cases.
    pub update_id: String,
    pub service_request_id: CaseId,
    pub status: &'static str,
    pub updated_datetime: Instant,
    pub description: String,
}

/// Which cases Open311 publishes (GET Service Requests, GET Service Request and the
/// updates), and how: the district's setting, `publication.toml` in the data
/// directory. By default, cases a citizen filed in public (the portal, an app, an
/// Open311 client; not the hotline, a grid patrol or an import), not 举报 (whose
/// reporter needs protecting) and not marked private by the citizen; phone numbers,
/// ID numbers and the citizen's name masked in every text; coordinates kept to three
/// decimal places (about 100 m).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Publication {
    pub channels: Vec<Channel>,
    pub exclude_types: Vec<AppealType>,
    /// Decimal places of published coordinates; none keeps them whole.
    pub coordinate_decimals: Option<u32>,
}

impl Default for Publication {
    fn default() -> Self {
        Publication {
            channels: vec![Channel::Web, Channel::App, Channel::Open311],
            exclude_types: vec![AppealType::Report],
            coordinate_decimals: Some(3),
        }
    }
}

impl Publication {
    /// Reads `publication.toml`, e.g. `channels = ["web", "app", "open311", "hotline"]`.
    pub fn parse_toml(text: &str) -> std::result::Result<Self, String> {
        let p: Publication = toml::from_str(text).map_err(|e| e.to_string())?;
        if p.coordinate_decimals.is_some_and(|d| d > 6) {
            return Err("coordinate_decimals: at most 6".into());
        }
        Ok(p)
    }

    pub fn publishes(&self, a: &Appeal) -> bool {
        self.channels.contains(&a.channel) && !self.exclude_types.contains(&a.appeal_type) && !a.private
    }

    /// Every (channel, type) published.
    fn published_kinds(&self) -> Vec<(Channel, AppealType)> {
        self.channels
            .iter()
            .flat_map(|c| AppealType::ALL.iter().filter(|t| !self.exclude_types.contains(t)).map(move |t| (*c, *t)))
            .collect()
    }
}

/// GET Service Requests' filters, already parsed.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub service_codes: Vec<CategoryCode>,
    pub from: Option<Instant>,
    pub to: Option<Instant>,
    /// Empty: every status.
    pub statuses: Vec<Status>,
    pub limit: u32,
    pub offset: u32,
}

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn clean(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn bad(field: &str, message: impl Into<String>) -> AppError {
    AppError::invalid(field, message)
}

/// FixMyStreet's extended statuses, from yiwang's status and outcome:
///
/// | yiwang | status |
/// |---|---|
/// | 待派单 (new or returned) | `open` |
/// | 待签收 (sent to a unit) | `investigating` |
/// | 办理中 | `in_progress` |
/// | 待回访, replied solved / cannot solve | `fixed` / `unable_to_fix` |
/// | 已回访未解决 (the centre decides) | `investigating` |
/// | 已并案 (a duplicate waiting for its master's reply) | `duplicate` |
/// | 结案: resolved, cannot solve, merged duplicate | `fixed`, `unable_to_fix`, `duplicate` |
/// | 结案: unsolved, or a consultation answered on the call | `closed` |
pub fn fms_status(a: &Appeal) -> &'static str {
    match a.status {
        Status::Accepted => "open",
        Status::Dispatched | Status::CalledBack => "investigating",
        Status::Handling => "in_progress",
        Status::Merged => "duplicate",
        Status::Replied => match a.reply.as_ref().map(|r| r.outcome) {
            Some(ReplyOutcome::CannotSolve) => "unable_to_fix",
            _ => "fixed",
        },
        Status::Closed => match a.outcome {
            Some(Outcome::Resolved) => "fixed",
            Some(Outcome::CannotSolve) => "unable_to_fix",
            Some(Outcome::Merged) => "duplicate",
            Some(Outcome::Unsolved | Outcome::AnsweredDirectly) | None => "closed",
        },
    }
}

/// Chinese time, as GeoReport v2 wants an offset on every datetime.
fn china(t: Instant) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

impl App {
    fn require_admin(actor: &Actor) -> Result<()> {
        if *actor == Actor::System || actor.has_role(Role::SecurityAdmin) {
            Ok(())
        } else {
            Err(AppError::Forbidden("只有安全管理员可以管理 API 密钥".into()))
        }
    }

    /// Issues a key to a named client app. The key is returned once; only its
    /// SHA-256 is stored.
    pub fn issue_api_key(&self, actor: &Actor, name: &str) -> Result<IssuedApiKey> {
        Self::require_admin(actor)?;
        let mut raw = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut raw);
        let key = format!("yw311-{}", hex::encode(raw));
        let issued = self.install_api_key(&key, name)?;
        let detail = format!("{} 签发 API 密钥 {}（{}）", actor.label(), issued.id, issued.name);
        self.security(self.now(), "api_key_issued", None, None, detail)?;
        Ok(issued)
    }

    /// Stores a given key (the demo's fixed one).
    pub(crate) fn install_api_key(&self, key: &str, name: &str) -> Result<IssuedApiKey> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(bad("name", "客户端应用名称须为1至100个字"));
        }
        let now = self.now();
        let id = self.store.create_api_key(&key_hash(key), name, now)?;
        Ok(IssuedApiKey { id, name: name.to_owned(), key: key.to_owned(), created_at: now })
    }

    pub fn api_keys(&self, actor: &Actor) -> Result<Vec<ApiKeyView>> {
        Self::require_admin(actor)?;
        Ok(self
            .store
            .api_keys()?
            .into_iter()
            .map(|k| ApiKeyView { id: k.id, name: k.name, created_at: k.created_at, revoked_at: k.revoked_at })
            .collect())
    }

    /// Revokes a key: posts with it are refused from now on.
    pub fn revoke_api_key(&self, actor: &Actor, id: i64) -> Result<()> {
        Self::require_admin(actor)?;
        if self.store.revoke_api_key(id, self.now())? {
            self.security(self.now(), "api_key_revoked", None, None, format!("{} 吊销 API 密钥 {id}", actor.label()))
        } else {
            Err(AppError::NotFound("有效的 API 密钥"))
        }
    }

    /// The client app behind a key; `Unauthenticated` for a missing, unknown or
    /// revoked key.
    /// Each use of a key, and each refused key, goes to the security audit log with the
    /// client's address.
    pub fn open311_client(&self, key: Option<&str>, address: crate::auth::Address) -> Result<Actor> {
        let key = key.map(str::trim).filter(|k| !k.is_empty());
        let found = match key {
            Some(k) => self.store.api_key_by_hash(&key_hash(k))?,
            None => None,
        };
        let now = self.now();
        match found {
            Some(k) if k.revoked_at.is_none() => {
                self.security(now, "api_key_used", None, address, format!("API 密钥 {}（{}）", k.id, k.name))?;
                Ok(Actor::Client { name: k.name })
            }
            Some(k) => {
                let detail = format!("已吊销的 API 密钥 {}（{}）", k.id, k.name);
                self.security(now, "api_key_refused", None, address, detail)?;
                Err(AppError::Unauthenticated)
            }
            None => {
                let detail = if key.is_some() { "未知的 API 密钥" } else { "未提供 API 密钥" };
                self.security(now, "api_key_refused", None, address, detail.into())?;
                Err(AppError::Unauthenticated)
            }
        }
    }

    /// The jurisdiction: the district's code (GeoReport v2 `jurisdiction_id`).
    pub fn open311_jurisdiction(&self) -> String {
        self.reference().tenant.to_string()
    }

    /// GET Service List: the leaf categories, each with its first-level group.
    pub fn open311_services(&self) -> Vec<Open311Service> {
        let r = self.reference();
        r.taxonomy
            .categories()
            .filter(|c| r.taxonomy.is_leaf(&c.code))
            .map(|c| {
                let group = r.taxonomy.top_level(&c.code).map(|t| t.name.clone()).unwrap_or_default();
                let description = r.taxonomy.path_name(&c.code).unwrap_or_else(|| c.name.clone());
                let keywords = if group == c.name { c.name.clone() } else { format!("{}, {}", c.name, group) };
                Open311Service { category: c.clone(), description, group, keywords }
            })
            .collect()
    }

    /// GET Service Definition: a leaf category and its questions.
    pub fn open311_service(&self, code: &str) -> Result<Category> {
        let r = self.reference();
        CategoryCode::parse(code)
            .ok()
            .and_then(|c| r.taxonomy.get(&c).filter(|c| r.taxonomy.is_leaf(&c.code)).cloned())
            .ok_or(AppError::NotFound("service_code"))
    }

    /// POST Service Request: files the request as an appeal (channel `open311`, type
    /// 求助) in the leaf category `service_code`, which then waits for dispatch like
    /// any other. The answers to the category's questions are appended to the text,
    /// so the operator reads them where the rest of the appeal is. A location yiwang
    /// cannot place is kept as given, for the operator to locate.
    pub fn open311_submit(&self, client: &Actor, input: ServiceRequestInput) -> Result<CreatedRequest> {
        self.open311_submit_keyed(client, input, None)
    }

    /// `open311_submit` once per client's Idempotency-Key (`submit_appeal_keyed`).
    pub fn open311_submit_keyed(
        &self,
        client: &Actor,
        input: ServiceRequestInput,
        key: Option<&crate::IdempotencyKey>,
    ) -> Result<CreatedRequest> {
        let r = self.reference();
        let code = clean(&input.service_code).ok_or_else(|| bad("service_code", "service_code was not provided"))?;
        let category = self.open311_service(&code)?;

        // Location: lat & long, or address_string, or address_id.
        let point = match (clean(&input.lat), clean(&input.long)) {
            (None, None) => None,
            (Some(lat), Some(lon)) => {
                let parse = |s: &str, f: &str| s.parse::<f64>().map_err(|_| bad(f, format!("{f} is not a number")));
                let p = Point::parse(parse(&lon, "long")?, parse(&lat, "lat")?)
                    .map_err(|_| bad("lat", "lat must be within ±90 and long within ±180 (WGS84)"))?;
                Some(p)
            }
            _ => return Err(bad("lat", "lat and long must both be sent")),
        };
        let mut address = clean(&input.address_string);
        let address_id = clean(&input.address_id);
        if point.is_none() && address.is_none() && address_id.is_none() {
            return Err(bad(
                "location",
                "a location was not provided: send lat and long, address_string or address_id",
            ));
        }
        if address.as_ref().is_some_and(|a| a.chars().count() > 150) {
            return Err(bad("address_string", "address_string is longer than 150 characters"));
        }
        // address_id: yiwang's own address ids are its area codes (grid, community,
        // street). Any other id is kept in the address for the operator.
        let mut area = None;
        if let Some(id) = &address_id {
            match UnitCode::parse(id).ok().filter(|u| r.org.get(u).is_some()) {
                Some(u) => area = Some(u),
                None => {
                    let a = address.take().map(|a| format!("{a}（地址编号 {id}）")).unwrap_or(format!("地址编号 {id}"));
                    address = Some(a.chars().take(200).collect());
                }
            }
        }

        // The category's questions.
        let mut answers: Vec<String> = vec![];
        for q in &category.attributes {
            let given: Vec<&str> = input
                .attributes
                .iter()
                .filter(|(c, v)| c == &q.code && !v.trim().is_empty())
                .map(|(_, v)| v.trim())
                .collect();
            let field = format!("attribute[{}]", q.code);
            if given.is_empty() {
                if q.required {
                    return Err(bad(&field, format!("{field} is required: {}", q.description)));
                }
                continue;
            }
            let single = |what: &str| -> Result<()> {
                if given.len() > 1 { Err(bad(&field, format!("{field} takes one {what}"))) } else { Ok(()) }
            };
            let shown: Vec<String> = match q.datatype {
                QuestionType::Singlevaluelist | QuestionType::Multivaluelist => {
                    if q.datatype == QuestionType::Singlevaluelist {
                        single("value")?;
                    }
                    given
                        .iter()
                        .map(|v| {
                            q.values.iter().find(|c| c.key == *v).map(|c| c.name.clone()).ok_or_else(|| {
                                bad(&field, format!("{field}: {v} is not one of the values of the service definition"))
                            })
                        })
                        .collect::<Result<_>>()?
                }
                QuestionType::Number => {
                    single("number")?;
                    given[0].parse::<f64>().map_err(|_| bad(&field, format!("{field} must be a number")))?;
                    vec![given[0].to_owned()]
                }
                QuestionType::Datetime => {
                    single("datetime")?;
                    chrono::DateTime::parse_from_rfc3339(given[0])
                        .map_err(|_| bad(&field, format!("{field} must be an ISO 8601 datetime with a time zone")))?;
                    vec![given[0].to_owned()]
                }
                QuestionType::String | QuestionType::Text => {
                    single("value")?;
                    if q.datatype == QuestionType::String && given[0].contains(['\n', '\r']) {
                        return Err(bad(&field, format!("{field} is a string without line breaks")));
                    }
                    vec![given[0].to_owned()]
                }
            };
            answers.push(format!("{}：{}", q.description, shown.join("、")));
        }

        let description = clean(&input.description);
        if description.as_ref().is_some_and(|d| d.chars().count() > DESCRIPTION_MAX) {
            return Err(bad("description", "description is longer than 4,000 characters"));
        }
        let mut text = description.unwrap_or_else(|| format!("{}（Open311 报告，未附说明）", category.name));
        if !answers.is_empty() {
            text.push_str("\n\n补充信息：\n");
            text.push_str(&answers.join("\n"));
        }

        let media = clean(&input.media_url);
        if let Some(m) = &media
            && (!(m.starts_with("http://") || m.starts_with("https://")) || m.len() > 500)
        {
            return Err(bad("media_url", "media_url must be an http or https URL of at most 500 characters"));
        }

        // Contact fields: the citizen's personal data, beside the record.
        let name = match (clean(&input.last_name), clean(&input.first_name)) {
            (Some(l), Some(f)) => {
                Some(if l.is_ascii() && f.is_ascii() { format!("{f} {l}") } else { format!("{l}{f}") })
            }
            (l, f) => l.or(f),
        };
        let citizen = CitizenInput { name, phone: clean(&input.phone), id_number: None, contact: clean(&input.email) };
        let intake = IntakeInput {
            channel: Channel::Open311,
            appeal_type: AppealType::Help,
            urgency: Urgency::Normal,
            title: Some(category.name.chars().take(100).collect()),
            text,
            location: Location { point, address, area },
            citizen: Some(citizen),
            attachments: media.into_iter().collect(),
            category: Some(category.code.clone()),
            private: false,
        };
        let receipt = self.submit_appeal_keyed(client, intake, key).map_err(|e| match e {
            AppError::Invalid { field, message } if field.starts_with("citizen.") => {
                let f = match field.as_str() {
                    "citizen.phone" => "phone",
                    "citizen.contact" => "email",
                    _ => "first_name",
                };
                AppError::Invalid { field: f.into(), message }
            }
            other => other,
        })?;
        let due = receipt.dispatch_due.map(|d| format!("，将于 {} 前派单", china(d))).unwrap_or_default();
        Ok(CreatedRequest {
            service_notice: format!(
                "12345 热线已受理{due}。诉求人可凭查询码 {} 和联系电话查询办理进度。",
                receipt.tracking_code.as_str()
            ),
            service_request_id: receipt.case_id,
        })
    }

    /// A case as Open311 publishes it: personal data masked in every text, the
    /// coordinates coarsened (`Publication`).
    fn service_request(&self, a: &Appeal) -> Result<ServiceRequest> {
        let names = self.citizen_names(a)?;
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mask = |t: &str| mask_personal(t, &names);
        let mut s = self.service_request_unmasked(a);
        s.description = mask(&s.description);
        s.status_notes = s.status_notes.map(|t| mask(&t));
        s.address = s.address.map(|t| mask(&t));
        let coarse = |x: f64| match self.config.publication.coordinate_decimals {
            Some(d) => {
                let k = 10f64.powi(d as i32);
                (x * k).round() / k
            }
            None => x,
        };
        s.lat = s.lat.map(coarse);
        s.long = s.long.map(coarse);
        Ok(s)
    }

    /// An appeal's text as published: personal data masked (for open data, once the
    /// publication filter passes the appeal).
    pub(crate) fn published_text(&self, a: &Appeal) -> Result<String> {
        let names = self.citizen_names(a)?;
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Ok(mask_personal(&a.text, &names))
    }

    /// The citizen's name, for masking where they wrote it into the text.
    fn citizen_names(&self, a: &Appeal) -> Result<Vec<String>> {
        Ok(match a.citizen {
            Some(p) => self.store.person(p)?.and_then(|p| p.data.name).into_iter().collect(),
            None => vec![],
        })
    }

    fn service_request_unmasked(&self, a: &Appeal) -> ServiceRequest {
        let r = self.reference();
        let category = a.category.as_ref().and_then(|c| r.taxonomy.get(c));
        let holder = a.unit.clone().or_else(|| a.reply.as_ref().map(|x| x.unit.clone()));
        let status_notes = match (&a.reply, a.outcome, &a.merged_into) {
            (_, Some(Outcome::Merged), Some(into)) => format!("重复件，已并入 {into}"),
            (None, None, Some(into)) => format!("重复件，已并入 {into}，随主件答复"),
            (Some(reply), _, _) => reply.text.clone(),
            (None, Some(o), _) => o.label().to_owned(),
            (None, None, _) => a.status.label().to_owned(),
        };
        let expected = if a.is_open() {
            a.clock(ClockKind::Resolve)
                .or(a.clock(ClockKind::Dispatch))
                .filter(|c| c.paused_at.is_none())
                .map(|c| c.due)
        } else {
            None
        };
        ServiceRequest {
            service_request_id: a.id.clone(),
            status: if a.is_open() { "open" } else { "closed" },
            extended_status: fms_status(a),
            status_notes: Some(status_notes),
            service_name: category.map(|c| c.name.clone()),
            service_code: a.category.clone(),
            description: a.text.clone(),
            agency_responsible: holder.map(|u| r.unit_name(&u)),
            service_notice: expected.map(|d| format!("按时限应于 {} 前办结", china(d))),
            requested_datetime: a.accepted_at,
            updated_datetime: a.closed_at.unwrap_or(a.updated_at),
            expected_datetime: expected,
            address: a.location.address.clone(),
            address_id: a.location.area.as_ref().map(|u| u.to_string()),
            lat: a.location.point.map(|p| p.lat),
            long: a.location.point.map(|p| p.lon),
            media_url: a.attachments.iter().find(|m| m.starts_with("http://") || m.starts_with("https://")).cloned(),
        }
    }

    /// GET Service Request: one case by its number.
    pub fn open311_request(&self, id: &str) -> Result<ServiceRequest> {
        let id = CaseId::parse(id).map_err(|_| AppError::NotFound("service_request_id"))?;
        let a = self.load_as::<AppealKind>(&id).map_err(|_| AppError::NotFound("service_request_id"))?;
        // A case the district does not publish answers as one that does not exist.
        if !self.config.publication.publishes(&a) {
            return Err(AppError::NotFound("service_request_id"));
        }
        self.service_request(&a)
    }

    /// GET Service Requests with `service_request_id`: the cases named, in the order
    /// named; unknown numbers are left out.
    pub fn open311_requests_by_id(&self, ids: &[&str]) -> Result<Vec<ServiceRequest>> {
        let mut out = vec![];
        for id in ids.iter().take(OPEN311_MAX_REQUESTS as usize) {
            match self.open311_request(id) {
                Ok(s) => out.push(s),
                Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The window of a query: GeoReport v2 allows at most 90 days, and without dates
    /// it is the most recent 90 days. Either end alone reaches 90 days from it.
    pub fn open311_window(&self, start: Option<Instant>, end: Option<Instant>) -> Result<(Instant, Instant)> {
        let span = chrono::Duration::days(OPEN311_WINDOW_DAYS);
        let (from, to) = match (start, end) {
            (None, None) => {
                let now = self.now();
                (now - span, now)
            }
            (Some(s), None) => (s, s + span),
            (None, Some(e)) => (e - span, e),
            (Some(s), Some(e)) => (s, e),
        };
        if to < from {
            return Err(bad("end_date", "end_date is before start_date"));
        }
        if to - from > span {
            return Err(bad("end_date", "start_date and end_date may not span more than 90 days"));
        }
        Ok((from, to))
    }

    /// GET Service Requests: newest first, in the window, by service and status.
    pub fn open311_requests(&self, f: &RequestFilter) -> Result<Vec<ServiceRequest>> {
        let (from, to) = self.open311_window(f.from, f.to)?;
        let limit = f.limit.clamp(1, OPEN311_MAX_REQUESTS);
        // end_date is "the latest datetime to include".
        let base = CaseQuery {
            kind: Some(AppealKind::NAME),
            statuses: f.statuses.iter().map(|s| s.as_str()).collect(),
            opened_from: Some(from),
            opened_to: Some(to + chrono::Duration::milliseconds(1)),
            ..Default::default()
        };
        let codes: Vec<Option<CategoryCode>> =
            if f.service_codes.is_empty() { vec![None] } else { f.service_codes.iter().cloned().map(Some).collect() };
        let mut rows = vec![];
        // Only what the district publishes (`Publication`): one query per public
        // channel, type and service, merged below.
        let kinds = self.config.publication.published_kinds();
        for (code, (channel, appeal_type)) in codes.iter().flat_map(|c| kinds.iter().map(move |k| (c, k))) {
            let detail = vec![
                ("channel", serde_json::json!(channel)),
                ("appeal_type", serde_json::json!(appeal_type)),
                ("private", serde_json::Value::Null),
            ];
            let mut q = CaseQuery { category: code.as_ref().map(|c| c.to_string()), detail, ..base.clone() };
            // Each service's page may hold the merged page's rows: read up to offset + limit.
            let want = f.offset.saturating_add(limit);
            q.offset = 0;
            while (q.offset) < want {
                q.limit = (want - q.offset).min(500);
                let page = self.store.list_cases(&q)?;
                let n = page.rows.len() as u32;
                rows.extend(page.rows);
                if n < q.limit {
                    break;
                }
                q.offset += n;
            }
        }
        rows.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
        rows.dedup_by(|a, b| a.id == b.id);
        let mut out = vec![];
        for row in rows.into_iter().skip(f.offset as usize).take(limit as usize) {
            if let Some(c) = self.store.load(&row.id)? {
                let a = c.into_state::<AppealKind>().map_err(|c| crate::case::wrong_kind(c.id()))?;
                out.push(self.service_request(&a)?);
            }
        }
        Ok(out)
    }

    /// FixMyStreet's GET servicerequestupdates: one update per public event (not the
    /// intake itself) recorded in the window, oldest first, with the FixMyStreet
    /// status the case had after it.
    pub fn open311_updates(
        &self,
        start: Option<Instant>,
        end: Option<Instant>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<RequestUpdate>> {
        let (from, to) = self.open311_window(start, end)?;
        let limit = limit.clamp(1, OPEN311_MAX_REQUESTS) as usize;
        let r = self.reference();
        // Each case's status after each event, or none when it is not published.
        type Published = Option<(Vec<&'static str>, Vec<String>)>;
        let mut statuses: HashMap<CaseId, Published> = HashMap::new();
        let mut out = vec![];
        let mut skipped = 0usize;
        let mut cursor = 0u32;
        'scan: loop {
            let recorded = self.store.events_between(
                AppealKind::NAME,
                from,
                to + chrono::Duration::milliseconds(1),
                2000,
                cursor,
            )?;
            cursor += recorded.len() as u32;
            let batch = crate::case::decoded(recorded)?;
            for e in &batch {
                if !e.event.is_public() || matches!(e.event, AppealEvent::Accepted { .. }) {
                    continue;
                }
                if !statuses.contains_key(&e.case) {
                    statuses.insert(e.case.clone(), self.published_statuses(&e.case)?);
                }
                let Some((after, names)) = &statuses[&e.case] else { continue };
                if skipped < offset as usize {
                    skipped += 1;
                    continue;
                }
                let status = after.get(e.seq as usize).copied().unwrap_or("open");
                out.push(RequestUpdate {
                    update_id: format!("{}-{}", e.case, e.seq),
                    service_request_id: e.case.clone(),
                    status,
                    updated_datetime: e.at,
                    description: mask_personal(
                        &update_text(&r, e),
                        &names.iter().map(String::as_str).collect::<Vec<_>>(),
                    ),
                });
                if out.len() >= limit {
                    break 'scan;
                }
            }
            if batch.len() < 2000 {
                break;
            }
        }
        Ok(out)
    }

    /// The FixMyStreet status of a published case after each of its events, indexed
    /// by seq, and the citizen's name to mask; none for a case the district does not
    /// publish.
    fn published_statuses(&self, id: &CaseId) -> Result<Option<(Vec<&'static str>, Vec<String>)>> {
        let mut state: Option<Appeal> = None;
        let mut out = vec![];
        for e in crate::case::decoded(self.store.events(id)?)? {
            state = evolve(state, &e);
            let s = state.as_ref().map(fms_status).unwrap_or("open");
            if out.len() <= e.seq as usize {
                out.resize(e.seq as usize + 1, s);
            }
            out[e.seq as usize] = s;
        }
        match state.filter(|a| self.config.publication.publishes(a)) {
            Some(a) => Ok(Some((out, self.citizen_names(&a)?))),
            None => Ok(None),
        }
    }

    /// FixMyStreet's POST servicerequestupdates: a client app adding a comment to a
    /// case. yiwang has no citizen comment on a case yet (the citizen's word comes
    /// in at callback), so the update is refused rather than stored somewhere it
    /// would not be read.
    pub fn open311_post_update(&self, _client: &Actor, service_request_id: Option<&str>) -> Result<()> {
        let id = service_request_id
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("service_request_id", "service_request_id was not provided"))?;
        self.open311_request(id)?;
        Err(bad(
            "service_request_id",
            "yiwang does not take updates to a service request through Open311: the citizen follows the case \
             with the tracking code, and answers the callback by phone or online",
        ))
    }
}

/// The text of an update: what the citizen's public timeline says.
fn update_text(r: &crate::Reference, e: &Envelope) -> String {
    match &e.event {
        AppealEvent::Dispatched { unit, .. } => format!("派单至{}", r.unit_name(unit)),
        AppealEvent::SignedFor { .. } => match e.actor.unit() {
            Some(u) => format!("{}已签收", r.unit_name(u)),
            None => "承办单位已签收".into(),
        },
        AppealEvent::Reassigned { to, .. } => format!("转至{}办理", r.unit_name(to)),
        AppealEvent::Replied { text, .. } => text.clone(),
        AppealEvent::AnsweredDirectly { answer } => answer.clone(),
        other => other.summary(),
    }
}
