//! The values that cross the store boundary.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yiwang_core::Instant;
use yiwang_core::appeal::{AppealEvent, AppealType, Channel, Status};
use yiwang_core::chain::ChainBreak;
use yiwang_core::deadline::{Stage, Urgency};
use yiwang_core::id::{CaseId, CategoryCode, PersonId, TenantId, UnitCode, Username};
use yiwang_core::org::{Actor, Role};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub username: Username,
    pub name: String,
    pub unit: UnitCode,
    pub roles: Vec<Role>,
    pub password_hash: String,
    pub active: bool,
}

/// Personal data of a citizen as stored beside the record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PersonData {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub phone_digest: Option<String>,
    pub id_number: Option<String>,
    pub contact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    pub data: PersonData,
    pub erased_at: Option<Instant>,
}

#[derive(Debug, Clone)]
pub struct AccessEntry {
    pub at: Instant,
    pub actor: String,
    pub case: Option<CaseId>,
    pub person: Option<PersonId>,
    pub what: String,
}

/// A new case. The `Accepted` event's `citizen` is filled in by the store with the id
/// of `person` when given.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub tenant: TenantId,
    /// Two capital letters that start every case number.
    pub prefix: String,
    pub at: Instant,
    pub actor: Actor,
    pub person: Option<PersonData>,
    pub event: AppealEvent,
}

/// A whole case with its history, for bulk loading (`Store::import_cases`): a
/// district's past cases migrated from a legacy system, or a benchmark's synthetic
/// record. The number is given, not allocated; the events are in order, the first an
/// `Accepted` whose `citizen` the store fills in with the id of `person` when given.
#[derive(Debug, Clone)]
pub struct ImportedCase {
    pub tenant: TenantId,
    pub id: CaseId,
    pub person: Option<PersonData>,
    pub events: Vec<ImportedEvent>,
}

/// One event of an imported case: when, by whom, what.
#[derive(Debug, Clone)]
pub struct ImportedEvent {
    pub at: Instant,
    pub actor: Actor,
    pub event: AppealEvent,
}

/// Events decided on `before`, to append if `before.version` is still current.
#[derive(Debug, Clone)]
pub struct AppendBatch {
    pub tenant: TenantId,
    pub before: yiwang_core::appeal::Appeal,
    pub at: Instant,
    pub actor: Actor,
    pub events: Vec<AppealEvent>,
}

/// What a queue or a search asks for. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    /// Full-text query (see `search::fts_query`); matches are listed newest first, in
    /// the order they were recorded (for cases recorded live, the order accepted).
    pub text: Option<String>,
    /// Only cases this unit may see: held now or before, or summoned to.
    pub visible_to: Option<UnitCode>,
    pub unit: Option<UnitCode>,
    /// Cases this unit was summoned to as a co-unit.
    pub co_unit: Option<UnitCode>,
    pub statuses: Vec<Status>,
    pub stage: Option<Stage>,
    pub returned: Option<bool>,
    pub category: Option<CategoryCode>,
    pub accepted_from: Option<Instant>,
    pub accepted_to: Option<Instant>,
    pub limit: u32,
    pub offset: u32,
    /// Count matches only up to this many: a count (or a page's `total`) equal to it
    /// means "at least this many". Counting every match of a common word among ten
    /// million cases costs more than anyone reading the number gains.
    pub count_up_to: Option<u64>,
}

impl CaseQuery {
    /// Whether nothing but the text (if any) narrows the query.
    pub fn only_text(&self) -> bool {
        self.visible_to.is_none()
            && self.unit.is_none()
            && self.co_unit.is_none()
            && self.statuses.is_empty()
            && self.stage.is_none()
            && self.returned.is_none()
            && self.category.is_none()
            && self.accepted_from.is_none()
            && self.accepted_to.is_none()
    }
}

/// One line of a queue. Personal data comes raw; the app masks it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    pub id: CaseId,
    pub status: Status,
    pub appeal_type: AppealType,
    pub urgency: Urgency,
    pub channel: Channel,
    pub title: Option<String>,
    pub unit: Option<UnitCode>,
    pub category: Option<CategoryCode>,
    pub area: Option<UnitCode>,
    pub stage: Stage,
    pub next_due: Option<Instant>,
    pub returned: bool,
    pub supervised: bool,
    pub accepted_at: Instant,
    pub citizen_name: Option<String>,
    pub citizen_phone: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CasePage {
    pub rows: Vec<CaseRow>,
    pub total: u64,
}

/// Counts for dashboards, over cases accepted in a period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Volumes {
    /// (YYYY-MM-DD in China, count)
    pub by_day: Vec<(String, u64)>,
    /// (first-level or leaf category code, count)
    pub by_category: Vec<(String, u64)>,
    /// (area unit code as recorded — grid, community or street —, count)
    pub by_area: Vec<(String, u64)>,
    pub by_channel: Vec<(String, u64)>,
    pub by_status: Vec<(String, u64)>,
}

impl Volumes {
    /// The volumes from sums of `volume_tally` over a period, as both stores' `volumes`
    /// query them: (dimension, value, count), and (`day`, the day, count) for each day's
    /// sum of `status` (every case has one).
    /// Counts that sum to nothing are left out; each list is in key order.
    pub(crate) fn sum(rows: impl IntoIterator<Item = (String, String, i64)>) -> Volumes {
        let mut sums: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (dimension, value, n) in rows {
            *sums.entry((dimension, value)).or_default() += n;
        }
        let mut v = Volumes::default();
        for ((dimension, value), n) in sums {
            let list = match dimension.as_str() {
                "day" => &mut v.by_day,
                "status" => &mut v.by_status,
                "category" => &mut v.by_category,
                "area" => &mut v.by_area,
                "channel" => &mut v.by_channel,
                _ => continue,
            };
            if n > 0 {
                list.push((value, n as u64));
            }
        }
        v
    }
}

#[derive(Debug, Default)]
pub struct VerifyReport {
    pub cases: u64,
    pub events: u64,
    pub breaks: Vec<(String, ChainBreak)>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.breaks.is_empty()
    }
}

/// A knowledge-base article (知识库).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// 0 for a new article.
    pub id: i64,
    pub unit: UnitCode,
    pub question: String,
    pub answer: String,
    pub keywords: String,
    pub valid_from: chrono::NaiveDate,
    pub valid_to: Option<chrono::NaiveDate>,
    pub updated_by: String,
    pub updated_at: Instant,
}

/// A labelled example from the district's own corrected cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledCase {
    pub case: CaseId,
    pub text: String,
    pub category: CategoryCode,
}

/// An Open311 client app's API key, as stored: only the SHA-256 of the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub key_hash: String,
    /// The client app the key was issued to.
    pub name: String,
    pub created_at: Instant,
    pub revoked_at: Option<Instant>,
}

/// The text of a case, for similarity (duplicates, topics).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseText {
    pub id: CaseId,
    pub title: Option<String>,
    pub text: String,
    pub area: Option<UnitCode>,
    pub point: Option<(f64, f64)>,
    pub status: Status,
    pub accepted_at: Instant,
}
