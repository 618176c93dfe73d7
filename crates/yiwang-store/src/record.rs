//! The values that cross the store boundary.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yiwang_core::Instant;
use yiwang_core::case::{Case, Events, Kind, Projection};
use yiwang_core::chain::ChainBreak;
use yiwang_core::deadline::Stage;
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
    /// The password was set by an import (a default): it must be changed at login.
    pub must_change_password: bool,
    /// When the staff member last set their password, if they have.
    pub password_changed_at: Option<Instant>,
    /// The TOTP secret (base32), once enrolled in two-factor login.
    pub totp_secret: Option<String>,
    /// The SHA-256 (hex) of each recovery code not used yet.
    pub recovery_codes: Vec<String>,
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

/// One entry of the security audit log (安全审计).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEvent {
    /// The log's number (0 for a new entry).
    pub id: i64,
    pub at: Instant,
    /// `login`, `login_failed`, `locked_out`, `unlocked`, `logout`, `refused`,
    /// `password_changed`, `sessions_ended`, `staff_changed` …
    pub kind: String,
    /// The account it concerns, if any.
    pub username: Option<String>,
    /// The client's address, if known.
    pub address: Option<String>,
    /// For people: what happened, by whom.
    pub detail: String,
}

/// Which security events to read: newest first.
#[derive(Debug, Clone, Default)]
pub struct SecurityQuery {
    pub username: Option<String>,
    /// Events from this client address only.
    pub address: Option<String>,
    /// Only these kinds; every kind when empty.
    pub kinds: Vec<String>,
    pub since: Option<Instant>,
    pub until: Option<Instant>,
    pub limit: u32,
    pub offset: u32,
}

/// A login session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub username: Username,
    pub expires_at: Instant,
    /// When it was last used (to the minute), or made.
    pub last_seen_at: Instant,
}

#[derive(Debug, Clone)]
pub struct AccessEntry {
    pub at: Instant,
    pub actor: String,
    pub case: Option<CaseId>,
    pub person: Option<PersonId>,
    pub what: String,
}

/// A new case of any kind: the events that open it. Its number is the kind's prefix,
/// the day and the next number of the day. The first event is pointed at the id the
/// store gives `person`, when given (`Kind::set_person`).
#[derive(Debug)]
pub struct NewCase {
    pub tenant: TenantId,
    pub at: Instant,
    pub actor: Actor,
    pub person: Option<PersonData>,
    pub events: Events,
    /// What the case's opening must tell someone, stored in the same commit.
    pub notices: Vec<Notice>,
    /// The client's Idempotency-Key, stored in the same commit; a key its scope has
    /// already used refuses the case (`StoreError::Duplicate("idempotency_key")`)
    /// before anything is written.
    pub idempotency: Option<IdempotencyKey>,
}

/// A client's Idempotency-Key for one write (issue 19): a retry carrying it finds
/// the case the first try made (`Store::idempotent`) instead of making another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// Whose key it is: a client credential (`apikey:7`, `staff:li`, `client:…`).
    pub scope: String,
    /// The key as the client sent it.
    pub key: String,
    /// A digest of the request, so the same key with another request is told apart.
    pub fingerprint: String,
}

/// What a stored Idempotency-Key answers: the case its write made or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentWrite {
    pub fingerprint: String,
    pub case_id: CaseId,
    pub created_at: Instant,
}

/// A message a write must send (the notifications outbox): stored in the write's own
/// commit, rendered and sent by the app afterwards (`Store::due_notices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// What to say, e.g. `appeal_accepted`; the app renders it as it sends.
    pub template: String,
    /// To whom: none for the case's own person (its citizen), else an address the
    /// sender understands (`sms:139…`, `email:…`, a system's `https://…`).
    pub to: Option<String>,
}

impl Notice {
    /// To the case's own person.
    pub fn to_citizen(template: &str) -> Self {
        Notice { template: template.into(), to: None }
    }
}

/// An entry of the outbox, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub tenant: String,
    pub case_id: Option<CaseId>,
    pub template: String,
    pub to: Option<String>,
    pub created_at: Instant,
    /// Tries so far.
    pub attempts: u32,
    /// When it is next tried; none once sent or given up.
    pub next_at: Option<Instant>,
    pub sent_at: Option<Instant>,
    /// Why the last try failed.
    pub last_error: Option<String>,
}

impl OutboxEntry {
    /// 待发送, 已发送, 发送失败 (given up) or 已跳过 (given up, then skipped by the
    /// centre: `Store::notice_skip` stamps `sent_at` and keeps the reason in
    /// `last_error`, which a delivery clears).
    pub fn state(&self) -> &'static str {
        match (self.sent_at, self.next_at) {
            (Some(_), _) if self.last_error.is_some() => "skipped",
            (Some(_), _) => "sent",
            (None, Some(_)) => "pending",
            (None, None) => "failed",
        }
    }
}

/// How a try to send an outbox entry ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Delivered {
        at: Instant,
    },
    /// Failed with `error`; tried again at `retry_at`, or never (given up).
    Failed {
        at: Instant,
        error: String,
        retry_at: Option<Instant>,
    },
}

/// Which of the outbox's senders an entry is for: messages to people (SMS, e-mail)
/// a department system's webhook (recipient `webhook:<subscription>`) or the event
/// stream (recipient `stream:`). Each runs
/// its own pass, so a webhook endpoint that is down never holds up an SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Messages,
    Webhooks,
    /// The event stream's relay (recipient `stream:`), which publishes each write's
    /// events to NATS JetStream.
    Stream,
}

impl Lane {
    /// The recipient prefix of the webhook lane.
    pub const WEBHOOK_PREFIX: &'static str = "webhook:";
    /// The recipient of the stream lane.
    pub const STREAM: &'static str = "stream:";
}

/// Which outbox entries to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct OutboxQuery {
    /// `pending`, `sent`, `failed` or `skipped`; every state when none.
    pub state: Option<String>,
    pub case_id: Option<CaseId>,
    /// Only entries whose recipient begins with this (`webhook:`, `webhook:3`).
    pub recipient_prefix: Option<String>,
    /// Leave out the event stream's entries (`Lane::STREAM`): one per write while a
    /// stream is configured, the relay's bookkeeping rather than anyone's message.
    pub without_stream: bool,
    pub limit: u32,
    pub offset: u32,
}

/// A whole case with its history, for bulk loading (`Store::import_cases`): a
/// district's past cases migrated from a legacy system, or a benchmark's synthetic
/// record. The number is given, not allocated; the events are in order, the first one
/// that opens a case of its kind and is pointed at the id the store gives `person`.
#[derive(Debug)]
pub struct ImportedCase {
    pub tenant: TenantId,
    pub id: CaseId,
    pub person: Option<PersonData>,
    /// The history as it would have been appended live: events with the same time
    /// (to the millisecond) and actor as one append.
    pub(crate) appends: Vec<(Instant, Actor, Events)>,
}

/// One event of an imported case: when, by whom, what.
#[derive(Debug, Clone)]
pub struct ImportedEvent<E> {
    pub at: Instant,
    pub actor: Actor,
    pub event: E,
}

impl ImportedCase {
    /// Case `id` of kind `K` with its history, `events` in order.
    pub fn new<K: Kind>(
        tenant: TenantId,
        id: CaseId,
        person: Option<PersonData>,
        events: Vec<ImportedEvent<K::Event>>,
    ) -> Self {
        let mut appends: Vec<(Instant, Actor, Vec<K::Event>)> = vec![];
        for e in events {
            let at = crate::link::trunc_ms(e.at);
            match appends.last_mut() {
                Some((t, a, group)) if *t == at && *a == e.actor => group.push(e.event),
                _ => appends.push((at, e.actor, vec![e.event])),
            }
        }
        let appends = appends.into_iter().map(|(at, actor, group)| (at, actor, Events::new::<K>(group))).collect();
        ImportedCase { tenant, id, person, appends }
    }

    /// Refuses a history that does not begin with an event opening a case of its kind.
    pub(crate) fn check_opens(&self) -> crate::Result<()> {
        if self.appends.first().is_some_and(|(_, _, e)| e.opens()) {
            Ok(())
        } else {
            Err(crate::StoreError::InvalidImport(format!(
                "case {} does not begin with an event that opens it",
                self.id
            )))
        }
    }

    /// Folds the whole history as its kind would (`Kind::check` after every event),
    /// on the caller's thread, so that a history its kind could never have made is
    /// refused, naming the case, before it reaches a writer.
    pub(crate) fn check(&self) -> crate::Result<()> {
        self.check_opens()?;
        let mut state = None;
        let mut seq = 1;
        for (at, actor, events) in &self.appends {
            let stamp = yiwang_core::case::Stamp { case: &self.id, seq, at: *at, actor };
            let after = events.clone().fold(state, &stamp);
            state = Some(after.map_err(|e| crate::StoreError::InvalidImport(e.to_string()))?);
            seq += events.len() as u32;
        }
        Ok(())
    }
}

/// Events decided on `before`, to append if `before.version()` is still current.
#[derive(Debug)]
pub struct AppendBatch {
    pub tenant: TenantId,
    pub before: Case,
    pub at: Instant,
    pub actor: Actor,
    pub events: Events,
    /// What `before` shows the engine, taken on the caller's thread so that the one
    /// writer thread does not: a write moves the counts by what changed.
    pub(crate) shown: Projection,
    /// What the events must tell someone, stored in the same commit.
    pub notices: Vec<Notice>,
    /// The client's Idempotency-Key, stored in the same commit (as `NewCase`'s).
    pub idempotency: Option<IdempotencyKey>,
}

impl AppendBatch {
    pub fn new(tenant: TenantId, before: Case, at: Instant, actor: Actor, events: Events) -> Self {
        let shown = before.project();
        AppendBatch { tenant, before, at, actor, events, shown, notices: vec![], idempotency: None }
    }
}

/// What a queue or a search asks for. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    /// Cases of this kind only (`Kind::NAME`); any kind when `None`.
    pub kind: Option<&'static str>,
    /// Full-text query (see `search::fts_query`); matches are listed newest first, in
    /// the order they were recorded (for cases recorded live, the order opened).
    pub text: Option<String>,
    /// Only cases this unit may see (`Projection::access`).
    pub visible_to: Option<UnitCode>,
    pub unit: Option<UnitCode>,
    /// Cases this unit takes part in as a co-unit.
    pub co_unit: Option<UnitCode>,
    /// The kinds' names of statuses (`Header::status`).
    pub statuses: Vec<&'static str>,
    /// Open cases only (not closed: `Header::closed_at` is none), or closed ones only.
    /// Queues of open cases say so: the store keeps indexes over open cases alone.
    pub open: Option<bool>,
    pub stage: Option<Stage>,
    /// Keys of the kind's detail document and the values they must have (a key left
    /// out of a document is `null`).
    pub detail: Vec<(&'static str, serde_json::Value)>,
    pub category: Option<String>,
    /// Cases lying in one of these areas (a street and its communities and grids):
    /// any area when empty.
    pub areas: Vec<UnitCode>,
    /// Cases of this citizen.
    pub person: Option<PersonId>,
    /// Cases of the people with this phone: the keyed digest of their person rows
    /// (`PersonData::phone_digest`), as an applicant logged in by phone sees theirs.
    pub phone_digest: Option<String>,
    pub opened_from: Option<Instant>,
    pub opened_to: Option<Instant>,
    /// The list's order: newest first, or by id for a walk over every case.
    pub order: ListOrder,
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
        self.kind.is_none() && self.only_text_and_kind()
    }

    /// Whether nothing but the text (if any) and the kind narrows the query.
    pub fn only_text_and_kind(&self) -> bool {
        self.visible_to.is_none()
            && self.unit.is_none()
            && self.co_unit.is_none()
            && self.statuses.is_empty()
            && self.open.is_none()
            && self.stage.is_none()
            && self.detail.is_empty()
            && self.category.is_none()
            && self.areas.is_empty()
            && self.person.is_none()
            && self.phone_digest.is_none()
            && self.opened_from.is_none()
            && self.opened_to.is_none()
            && self.order == ListOrder::Newest
    }
}

/// The order of a case list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// Newest first (by `opened_at`, then id): what people read.
    #[default]
    Newest,
    /// Newest first, continuing after the case given by its `opened_at` and id (the
    /// last row of the page before): a client's page cursor, stable while cases are
    /// added. Not with `text` (SQLite orders matches by the index).
    NewestAfter { opened_at: Instant, id: CaseId },
    /// By case id, from after `after`: a walk over every case of a kind pages by it.
    /// The ids are the primary key's index and a kind's prefix makes its cases one range
    /// of it, so each page costs the same however deep the walk; an offset reads again
    /// every row it skips, and cases opened in the same instant (an import) leave no
    /// order by time to seek in. Not with `text`.
    ById { after: Option<CaseId> },
}

/// One line of a queue: the header of a case of any kind and its detail document.
/// Personal data comes raw; the app masks it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    pub id: CaseId,
    pub kind: String,
    pub status: String,
    pub title: Option<String>,
    pub unit: Option<UnitCode>,
    pub category: Option<String>,
    pub area: Option<UnitCode>,
    pub stage: Stage,
    pub next_due: Option<Instant>,
    /// Whether the time left to it counts working days (`Header::next_due_working`).
    pub next_due_working: bool,
    pub opened_at: Instant,
    /// The kind's detail document (JSON).
    pub detail: String,
    pub person_name: Option<String>,
    pub person_phone: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CasePage {
    pub rows: Vec<CaseRow>,
    pub total: u64,
}

/// How many facts of one name, flag and value a unit has in a month, for one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactCount {
    pub kind: String,
    pub unit: UnitCode,
    pub name: String,
    pub flag: bool,
    pub value: String,
    pub count: u64,
}

/// Counts for dashboards, over the cases of one kind opened in a period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Volumes {
    /// (YYYY-MM-DD in China, count)
    pub by_day: Vec<(String, u64)>,
    /// Per dimension of the kind (`status`, `category` …): (value, count), in value
    /// order; '' is none.
    pub dimensions: BTreeMap<String, Vec<(String, u64)>>,
}

impl Volumes {
    /// The counts of one dimension (none when nothing was counted in it).
    pub fn dimension(&self, name: &str) -> &[(String, u64)] {
        self.dimensions.get(name).map(Vec::as_slice).unwrap_or_default()
    }

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
            if n <= 0 {
                continue;
            }
            if dimension == "day" {
                v.by_day.push((value, n as u64));
            } else {
                v.dimensions.entry(dimension).or_default().push((value, n as u64));
            }
        }
        v
    }
}

/// The database's size on disk (`Store::disk_usage`), in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiskUsage {
    /// SQLite: the database file; PostgreSQL: `pg_database_size` of the database.
    pub database: u64,
    /// SQLite: the `-wal` file; PostgreSQL: the server's WAL directory
    /// (`pg_ls_waldir()`, shared by every database of the server), `None` when the
    /// role may not list it (it needs `pg_monitor` or superuser).
    pub wal: Option<u64>,
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

/// The text of a case, for similarity (duplicates, topics): its header, and the body
/// of its first event, which its kind reads the text from.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseText {
    pub id: CaseId,
    pub title: Option<String>,
    pub area: Option<UnitCode>,
    pub status: String,
    pub opened_at: Instant,
    /// The first event as JSON (`Recorded::body`).
    pub opening: String,
}
