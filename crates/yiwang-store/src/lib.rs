//! yiwang-store: where the record lives.
//!
//! Owns the `Store` trait and its two implementations: `SqliteStore` (the embedded
//! default) and `PgStore` (PostgreSQL, which Citus can distribute by tenant). Each has
//! its migrations, the event log with its hash chain, and the projections (the header
//! of every case, who may see it, its co-units, the measures' counts, the dashboards'
//! volumes, full-text search) that are derived from the events and rebuilt by
//! `reindex`.
//!
//! It knows cases of every kind and no kind in particular: a kind's events reach it
//! as `case::Events`, and what it stores of a case is the kind's `case::Projection`
//! in tables it owns. A store is opened with the `case::Kinds` it holds, with which it
//! folds a case's recorded events again (`load`, `reindex`). Adding a kind adds no
//! method here and no SQL beyond optional indexes.
//!
//! It must not leak row types or SQL errors upward: callers see domain types and
//! `StoreError`. Writes go through one writer that commits concurrent requests in
//! groups (one transaction and one fsync for many requests) and answers each request
//! only after its commit.

pub mod anchor;
mod audit;
mod commit;
mod link;
mod pg;
mod record;
pub mod seal;
pub mod search;
pub mod sqlite;
mod tally;

pub use commit::{Pending, WriteHold};
pub use pg::PgStore;
pub use record::*;
pub use seal::PersonalKeys;

/// How a store protects what it writes: the hash it chains new events and digests
/// checkpoints with, and the keys it seals personal data with (each key names its
/// cipher). The default is SHA-256; the 国密 option is SM3 with SM4 keys.
#[derive(Debug, Clone, Default)]
pub struct Crypto {
    pub hash: yiwang_core::chain::HashAlg,
    pub keys: PersonalKeys,
}

/// Personal-data keys alone: SHA-256 chains, as before the 国密 option.
impl From<PersonalKeys> for Crypto {
    fn from(keys: PersonalKeys) -> Self {
        Crypto { hash: yiwang_core::chain::HashAlg::Sha256, keys }
    }
}
pub use sqlite::SqliteStore;

use chrono::NaiveDate;
use yiwang_core::Instant;
use yiwang_core::case::{Case, Recorded, ReplayError};
use yiwang_core::id::{CaseId, PersonId, UnitCode, Username};
use yiwang_core::org::Unit;
use yiwang_core::taxonomy::Category;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else changed the case since it was read; reload and decide again.
    #[error("case {case} changed concurrently (expected version {expected}, found {found})")]
    Conflict { case: CaseId, expected: u32, found: u32 },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("the store is shutting down")]
    Closed,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// An imported case whose history its kind could never have made; it names the
    /// case, and nothing of its batch is stored.
    #[error("import refused: {0}")]
    InvalidImport(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<ReplayError> for StoreError {
    fn from(e: ReplayError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// The one interface the rest of yiwang has to its data. Implemented for SQLite
/// (`SqliteStore`) and PostgreSQL (`PgStore`); tests/it runs one contract suite against
/// each. Methods block: call them from plain threads or tokio's `spawn_blocking`
/// (`PgStore`'s client must never run on an async worker thread).
///
/// Full-text queries (`CaseQuery::text`, `similar_case_texts`) are FTS5 strings built
/// by `search::fts_query` and `search::fts_any_query`, whatever the store: `PgStore`
/// translates them to tsquery (`search::fts_to_tsquery`).
pub trait Store: Send + Sync {
    // Reference data -------------------------------------------------------------
    // Rows written here are stamped `at` (the caller's clock: the store reads none).
    fn replace_organisation(&self, units: &[Unit], at: Instant) -> Result<()>;
    fn units(&self) -> Result<Vec<Unit>>;
    fn replace_categories(&self, categories: &[Category], at: Instant) -> Result<()>;
    fn categories(&self) -> Result<Vec<Category>>;
    fn replace_boundaries(&self, boundaries: &[(UnitCode, String)], at: Instant) -> Result<()>;
    fn boundaries(&self) -> Result<Vec<(UnitCode, String)>>;
    fn put_staff(&self, s: &StaffRecord, at: Instant) -> Result<()>;
    fn staff(&self, username: &Username) -> Result<Option<StaffRecord>>;
    fn list_staff(&self) -> Result<Vec<StaffRecord>>;

    // Sessions --------------------------------------------------------------------
    /// Records a login; sessions expired at `now` are swept at the same time.
    fn create_session(&self, token_hash: &str, username: &Username, now: Instant, expires_at: Instant) -> Result<()>;
    fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>>;
    fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Notes that a session was used at `at`.
    fn touch_session(&self, token_hash: &str, at: Instant) -> Result<()>;
    /// Ends every session of `username` but `except` (a token hash); how many.
    fn end_sessions(&self, username: &Username, except: Option<&str>) -> Result<u64>;
    /// Appends to the security audit log.
    fn log_security(&self, e: &SecurityEvent) -> Result<()>;
    fn security_events(&self, q: &SecurityQuery) -> Result<Vec<SecurityEvent>>;

    // Personal data -------------------------------------------------------------------
    fn person(&self, id: PersonId) -> Result<Option<Person>>;
    /// Erases a person's data; events that refer to them stay as they are.
    fn erase_person(&self, id: PersonId, at: Instant) -> Result<bool>;
    /// Seals, with the current personal-data key, the persons of the next `limit`
    /// rows after `after` (by id) that are in plaintext or under an older key
    /// (`seal.rs`). Returns the last id looked at and how many were sealed, or none
    /// past the last row. Safe while the store serves; a store without keys seals
    /// nothing.
    fn seal_people(&self, after: PersonId, limit: usize) -> Result<Option<(PersonId, u64)>>;
    fn log_access(&self, entry: &AccessEntry) -> Result<()>;
    /// The access-log entries whose `what` starts with `what_prefix` naming any
    /// person row with this keyed phone digest, newest first: what a citizen logged
    /// in by phone may see of who used their data (个人信息保护法 §44).
    fn accesses_by_phone(&self, phone_digest: &str, what_prefix: &str, limit: u32) -> Result<Vec<AccessEntry>>;

    // The notifications outbox ----------------------------------------------------------
    /// Entries of `lane` due to be tried at `now` (oldest due first), at most `limit`.
    fn due_notices(&self, now: Instant, lane: Lane, limit: u32) -> Result<Vec<OutboxEntry>>;
    /// Records how a try of entry `id` ended.
    fn notice_tried(&self, id: i64, outcome: Sent) -> Result<()>;
    /// Records entries delivered at `at`, in one write (the event stream's relay marks
    /// each batch JetStream acknowledged).
    fn notices_delivered(&self, ids: &[i64], at: Instant) -> Result<()>;
    /// Makes a failed entry due again at `at` (the centre's 重发); false when it was not
    /// a failed one.
    fn notice_retry(&self, id: i64, at: Instant) -> Result<bool>;
    fn outbox(&self, q: &OutboxQuery) -> Result<Vec<OutboxEntry>>;
    /// Moves a pending entry's next try to `at` without counting a try (a webhook
    /// endpoint that asked to slow down, an entry waiting for an earlier one of its
    /// case); false when it was not pending.
    fn notice_defer(&self, id: i64, at: Instant) -> Result<bool>;
    /// Gives up a failed entry for good (the centre's 跳过), with the reason; false
    /// when it was not a failed one.
    fn notice_skip(&self, id: i64, at: Instant, why: &str) -> Result<bool>;
    /// Puts a notice in the outbox on its own, for what is no event of a case: about
    /// case `case` (a citizen asking for their tracking code again), or about none (an
    /// applicant's one-time login code, with its address in `notice.to`).
    fn enqueue_notice(
        &self,
        tenant: &yiwang_core::id::TenantId,
        case: Option<&CaseId>,
        notice: Notice,
        at: Instant,
    ) -> Result<()>;

    // Cases ----------------------------------------------------------------------------
    /// Creates a case: allocates its number (its kind's prefix, the day, the next
    /// number of the day), stores the person's data, and appends the first events,
    /// all in one commit. Refuses a tracking code another case has (`Duplicate`),
    /// before writing. Returns at once; the answer comes when the commit is on disk
    /// (`wait` for it, or await it).
    fn create_case(&self, new: NewCase) -> Pending<Case>;
    /// Appends events decided on `before` (whose version must still be current).
    /// Answered, like `create_case`, once committed.
    fn append(&self, batch: AppendBatch) -> Pending<Case>;
    /// Loads whole cases with their history in one transaction: each case's person,
    /// its events on a new hash chain (as they would have been appended live), its
    /// projections; the day counters are raised past every imported number so later
    /// cases do not collide. All or nothing: a case already stored (`Duplicate`) or
    /// one whose history does not open a case of its kind (`Corrupt`) leaves the
    /// store as it was.
    ///
    /// The events are recorded at `recorded_at` (the time of the import; see
    /// `events_between`), each keeping its own time.
    ///
    /// What can be done without the database (linking, projections) is done on the
    /// calling thread before this returns; the answer comes once the batch is
    /// committed, so a caller can prepare its next batch meanwhile.
    fn import_cases(&self, cases: Vec<ImportedCase>, recorded_at: Instant) -> Pending<()>;
    /// The write a client's Idempotency-Key (`scope`, `key`) was stored with, if any
    /// is kept (see `purge_idempotency`).
    fn idempotent(&self, scope: &str, key: &str) -> Result<Option<IdempotentWrite>>;
    /// Forgets the Idempotency-Keys stored before `before`; how many.
    fn purge_idempotency(&self, before: Instant) -> Result<u64>;
    /// The case, folded from its events by its kind.
    fn load(&self, id: &CaseId) -> Result<Option<Case>>;
    fn events(&self, id: &CaseId) -> Result<Vec<Recorded>>;
    /// Events of cases of kind `kind` recorded at or after `from` and before `to`, in
    /// the order recorded. An event recorded live is recorded at its own time;
    /// imported events are recorded when they were imported.
    fn events_between(&self, kind: &str, from: Instant, to: Instant, limit: u32, offset: u32) -> Result<Vec<Recorded>>;
    fn find_by_tracking_code(&self, code: &str) -> Result<Option<CaseId>>;
    fn list_cases(&self, q: &CaseQuery) -> Result<CasePage>;
    fn count_cases(&self, q: &CaseQuery) -> Result<u64>;
    /// The cases `q` finds (its text, limit and count bound aside), counted per
    /// holding unit (`None`: held by none), in unit order.
    fn count_by_unit(&self, q: &CaseQuery) -> Result<Vec<(Option<UnitCode>, u64)>>;
    /// Open cases of any kind whose next alarm is at or before `now`, oldest first.
    fn due_alarms(&self, now: Instant, limit: u32) -> Result<Vec<CaseId>>;
    /// The database's size on disk and its write-ahead log's, for monitoring.
    fn disk_usage(&self) -> Result<DiskUsage>;
    /// The measures' facts of a month (`YYYY-MM`), counted per kind, unit, name, flag
    /// and value; in unit order.
    fn tally_month(&self, month: &str) -> Result<Vec<FactCount>>;
    /// Volumes by day and by each of the kind's dimensions for dashboards, over the
    /// cases of kind `kind` opened on the days `from` up to (not including) `to`, China
    /// time.
    fn volumes(&self, kind: &str, from: NaiveDate, to: NaiveDate) -> Result<Volumes>;

    // Dispatch intelligence ----------------------------------------------------------
    /// Replaces a whole reference document (`places`, `routing`), as JSON text.
    fn put_document(&self, name: &str, body: &str, at: Instant) -> Result<()>;
    fn document(&self, name: &str) -> Result<Option<String>>;
    /// Inserts (id 0) or updates an article; returns its id.
    fn put_article(&self, a: &Article) -> Result<i64>;
    fn article(&self, id: i64) -> Result<Option<Article>>;
    fn articles(&self) -> Result<Vec<Article>>;
    /// Cases of kind `kind` opened at or after `since` whose text matches the FTS
    /// query, best match first (for duplicate candidates).
    fn similar_case_texts(&self, kind: &str, fts_query: &str, since: Instant, limit: u32) -> Result<Vec<CaseText>>;
    /// Cases of kind `kind` opened in [from, to), newest first (for topics and word
    /// weights).
    fn case_texts(&self, kind: &str, from: Instant, to: Instant, limit: u32) -> Result<Vec<CaseText>>;
    /// The district's corrected cases, as labelled examples.
    fn labelled_cases(&self) -> Result<Vec<LabelledCase>>;

    // Open311 API keys -----------------------------------------------------------
    /// Stores a new key's hash; returns its id.
    fn create_api_key(&self, key_hash: &str, name: &str, at: Instant) -> Result<i64>;
    fn api_keys(&self) -> Result<Vec<ApiKeyRecord>>;
    fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>>;
    /// Stamps a key revoked; false when there is no such key or it was revoked already.
    fn revoke_api_key(&self, id: i64, at: Instant) -> Result<bool>;

    // The record -----------------------------------------------------------------
    /// Checks every case's chain; never stops at the first break.
    fn verify(&self) -> Result<VerifyReport>;
    /// Rebuilds every projection from the events; returns the number of cases.
    fn reindex(&self) -> Result<u64>;
    /// Seals the chain heads and access-log entries logged since the last checkpoint
    /// in a new one, signed by `signer` (`anchor`); `None` when nothing new was logged.
    fn seal(&self, at: Instant, signer: anchor::Signer) -> Result<Option<anchor::Checkpoint>>;
    /// What the anchored record shows of changes made behind the store's back.
    fn check_anchor(&self) -> Result<anchor::AnchorReport> {
        self.check_anchor_with(&anchor::SecurityArchive::new())
    }
    /// As `check_anchor`, digesting archived checkpoints with their security events
    /// from `archive`.
    fn check_anchor_with(&self, archive: &anchor::SecurityArchive) -> Result<anchor::AnchorReport>;
    /// The security events of each checkpoint sealed before `before` whose events
    /// are still in the database, to archive.
    fn security_to_archive(&self, before: Instant) -> Result<anchor::SecurityArchive>;
    /// Deletes the security events of `checkpoints` (which the caller has archived)
    /// and marks them archived at `at`, in one transaction; how many events went.
    /// Refuses a checkpoint sealed at or after `before` (the retention period).
    fn archive_security(&self, checkpoints: &[i64], before: Instant, at: Instant) -> Result<u64>;
}

/// Whether each case's deadline counts working days, from its events: for filling in
/// `case_header.due_working` after the upgrade that added it. A case that cannot be
/// loaded counts natural hours (and is named in the log).
pub(crate) fn due_working_of(store: &dyn Store, ids: &[String]) -> Vec<(String, bool)> {
    ids.iter()
        .map(|id| {
            let working = yiwang_core::id::CaseId::parse(id)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
                .and_then(|cid| store.load(&cid))
                .map(|c| c.is_some_and(|c| c.project().header.next_due_working));
            let working = working.unwrap_or_else(|e| {
                tracing::warn!(case = %id, "cannot tell how its deadline counts: {e}");
                false
            });
            (id.clone(), working)
        })
        .collect()
}
