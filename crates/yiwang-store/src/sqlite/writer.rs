//! Group commit: one thread owns the write connection. It takes every request queued
//! since its last commit, runs them all in one transaction and commits; a second
//! thread, the syncer, makes the commit durable with one fsync of the WAL and only
//! then answers each request. An answer therefore always means "committed and on
//! disk".
//!
//! The writer connection runs with `synchronous = OFF`, and the fsync is the
//! syncer's, so the writer goes on with the next batch while the disk flushes the
//! last one: a commit costs the writer its page writes, not the disk's latency. One
//! fsync covers every batch committed before it began, so the syncer answers all of
//! them together, in order. What a batch wrote may be read by other connections
//! before the fsync returns; a power cut in that moment loses it, but no request in
//! it has been answered. A process that dies loses nothing committed (the pages are
//! in the kernel's cache). Checkpoints, which overwrite the database file from the
//! WAL, still run with `synchronous = FULL`: SQLite fsyncs the WAL before it copies.
//! A failed fsync leaves the kernel's cache in doubt, so the store then refuses all
//! further writes until restarted.
//!
//! One refused request must not undo the others. Savepoints would give that, but
//! each one costs a statement journal and makes FTS5 flush its pending index, which
//! was most of the writer's time under load. So creates and appends check everything
//! that can refuse them (version, tracking code) before their first write; after that
//! only the database itself can fail, and then the whole batch is rolled back and
//! every request in it answered with the error (none was acknowledged). Arbitrary
//! `exec` jobs, which are rare, still run in a savepoint of their own.
//!
//! For the same reason every write of a create or append is `OR ROLLBACK` and none is
//! an upsert: SQLite gives each statement that may abort half-way (a constraint with
//! the default ABORT, which an upsert's DO UPDATE always has) a statement journal,
//! and copies every page it touches into it first. Nothing here is expected to
//! violate a constraint once the checks have passed; if something does, the whole
//! batch rolls back, as above.

use super::projection::{Deferred, Rows};
use super::{People, insert_rows, map_err, trunc_ms, ts};
use super::{RESTART_NO, RESTART_NOW, RESTART_WHEN_IDLE};
use crate::commit::{self, Done, Pending};
use crate::link::{Linked, link};
use crate::{AppendBatch, NewCase, PersonData, Result, StoreError};
use rusqlite::{Connection, OptionalExtension, ToSql, params};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use yiwang_core::calendar::civil_date;
use yiwang_core::case::Case;
use yiwang_core::chain;
use yiwang_core::id::{CaseId, PersonId};

/// The most requests one commit takes; bounds the latency a batch adds.
const MAX_BATCH: usize = 1024;
/// How long without a request counts as idle, for a checkpoint that can wait.
const IDLE: std::time::Duration = std::time::Duration::from_millis(2);

/// The writer's page cache while the file is smaller than 1 GiB, in KiB.
///
/// When SQLite's B-tree balancing reorders pages it parks one at the number just past
/// the 1 GiB lock page (`balance_nonroot`), so the page cache believes it holds a page
/// that far out. While the file is smaller than that, every COMMIT then truncates the
/// cache back to the file's size by scanning its whole hash table: with a 32 MB cache,
/// some 10 % of the writer's time (perf, `bench intake`). A small cache keeps that scan
/// short, and costs little while the whole file sits in the OS page cache anyway.
const SMALL_FILE_CACHE_KIB: i64 = 4_000;

/// Batches between two looks at the file's size.
const CACHE_FIT_EVERY: u32 = 1024;

/// Sets the writer's cache for the file's size (see `SMALL_FILE_CACHE_KIB`); `small`
/// remembers the setting in force.
fn fit_cache(conn: &Connection, small: &mut Option<bool>) {
    let bytes = conn.query_row("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", [], |r| {
        r.get::<_, i64>(0)
    });
    let Ok(bytes) = bytes else { return };
    let want = bytes < 1 << 30;
    if *small != Some(want) {
        let kib = if want { SMALL_FILE_CACHE_KIB } else { super::CACHE_KIB };
        if conn.execute_batch(&format!("PRAGMA cache_size = -{kib}")).is_ok() {
            *small = Some(want);
        }
    }
}

type ExecFn = Box<dyn FnOnce(&Connection) -> Result<()> + Send>;
type Job = commit::Job<ExecFn>;
pub(crate) type Writer = commit::Writer<ExecFn>;

/// Set by the syncer when an fsync failed; every later write is refused.
type Failed = Arc<AtomicBool>;

impl Writer {
    /// Starts the writer on `conn`, which must run with `synchronous = OFF`: `wal` is
    /// its WAL file, which the syncer fsyncs. `restart` is set by the checkpointer
    /// when the WAL has grown long enough to be rewound (see `Checkpointer`).
    /// At `max_frames` the writer rewinds the WAL at once, whatever the checkpointer
    /// has seen.
    /// New citizens get their ids from `ids`.
    pub(crate) fn start(
        conn: Connection,
        ids: Arc<People>,
        wal: PathBuf,
        max_frames: i64,
        restart: Arc<AtomicU8>,
    ) -> Self {
        Writer::spawn("yiwang-writer", move |rx| {
            let failed = Failed::default();
            let syncer = Syncer::spawn(wal, failed.clone());
            conn.wal_hook(Some(note_wal_frames));
            run(conn, &ids, rx, &restart, max_frames, &syncer, &failed);
            // Dropping the syncer waits for its last answers.
            drop(syncer);
        })
    }

    pub(crate) fn exec(&self, f: impl FnOnce(&Connection) -> Result<()> + Send + 'static) -> Result<()> {
        self.submit(|r| Job::Exec(Box::new(f), r)).wait()
    }

    /// A write that has checked what can refuse it before writing (`Job::Checked`).
    pub(crate) fn checked(&self, f: impl FnOnce(&Connection) -> Result<()> + Send + 'static) -> Pending<()> {
        self.submit(|r| Job::Checked(Box::new(f), r))
    }
}

/// The thread that makes committed batches durable and then answers them.
struct Syncer {
    tx: Option<mpsc::Sender<Vec<Done>>>,
    handle: Option<JoinHandle<()>>,
}

impl Syncer {
    fn spawn(wal: PathBuf, failed: Failed) -> Self {
        let (tx, rx) = mpsc::channel::<Vec<Done>>();
        let handle = std::thread::Builder::new()
            .name("yiwang-sync".into())
            .spawn(move || sync_loop(&wal, rx, &failed))
            .expect("spawn sync thread");
        Syncer { tx: Some(tx), handle: Some(handle) }
    }

    /// Answers a committed batch once it is on disk.
    fn send(&self, done: Vec<Done>) {
        if let Some(tx) = &self.tx
            && let Err(mpsc::SendError(done)) = tx.send(done)
        {
            done.into_iter().for_each(|d| d.fail("the store is shutting down").send());
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn sync_loop(wal: &Path, rx: mpsc::Receiver<Vec<Done>>, failed: &AtomicBool) {
    // Opened on first use: SQLite creates the WAL with the first write. It keeps the
    // file (it only rewinds it) while any connection is open, and the store keeps
    // its connections open, so this handle stays the WAL's.
    let mut file: Option<File> = None;
    while let Ok(first) = rx.recv() {
        let mut batches = vec![first];
        batches.extend(rx.try_iter());
        let began = std::time::Instant::now();
        let synced = match &file {
            Some(f) => f.sync_data(),
            None => OpenOptions::new().write(true).open(wal).and_then(|f| f.sync_data().map(|()| file = Some(f))),
        };
        yiwang_metrics::STORE.fsync.observe_duration(began.elapsed());
        match synced {
            Ok(()) => batches.into_iter().flatten().for_each(Done::send),
            Err(e) => {
                failed.store(true, Ordering::SeqCst);
                let msg = format!("fsync of the WAL failed, writes are refused until yiwang restarts: {e}");
                tracing::error!("{msg}");
                batches.into_iter().flatten().for_each(|d| d.fail(&msg).send());
            }
        }
    }
}

thread_local! {
    /// Frames in the WAL after this thread's last commit (SQLite's WAL hook runs on
    /// the committing thread, and each store has its own writer thread).
    static WAL_FRAMES: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

fn note_wal_frames(_: &rusqlite::hooks::Wal, frames: std::ffi::c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.with(|f| f.set(frames.into()));
    Ok(())
}

fn run(
    conn: Connection,
    ids: &People,
    rx: mpsc::Receiver<Job>,
    restart: &AtomicU8,
    max_frames: i64,
    syncer: &Syncer,
    failed: &AtomicBool,
) {
    let (mut small_cache, mut batches) = (None, 0u32);
    loop {
        if batches % CACHE_FIT_EVERY == 0 {
            fit_cache(&conn, &mut small_cache);
        }
        batches = batches.wrapping_add(1);
        // Between batches nothing of ours is in flight. When the checkpointer asks,
        // copy what it has not copied yet, so the next transaction rewinds the WAL:
        // at once when the WAL is at its limit, else when no request comes within
        // `IDLE` (so no request waits for it).
        let first = match restart.load(Ordering::Relaxed) {
            RESTART_NOW => None,
            RESTART_WHEN_IDLE => match rx.recv_timeout(IDLE) {
                Ok(j) => Some(j),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            },
            _ => match rx.recv() {
                Ok(j) => Some(j),
                Err(_) => return,
            },
        };
        let Some(first) = first else {
            restart.store(RESTART_NO, Ordering::Relaxed);
            let t = std::time::Instant::now();
            // A checkpoint overwrites the database file: it must fsync the WAL first.
            let full = |on: bool| {
                conn.execute_batch(if on { "PRAGMA synchronous = FULL" } else { "PRAGMA synchronous = OFF" })
            };
            let checkpoint = full(true).and_then(|()| super::checkpoint_passive(&conn));
            if let Err(e) = full(false) {
                tracing::error!("the writer could not return to synchronous = OFF: {e}");
            }
            match checkpoint {
                Ok((log, copied)) => tracing::debug!(log, copied, took = ?t.elapsed(), "WAL checkpoint in the writer"),
                Err(e) => tracing::warn!("WAL checkpoint in the writer failed: {e}"),
            }
            continue;
        };
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        yiwang_metrics::STORE.batch_taken(jobs.len());
        if failed.load(Ordering::SeqCst) {
            jobs.into_iter().for_each(|j| j.refuse("an earlier fsync failed; restart yiwang"));
            continue;
        }
        if let Some(done) = commit_batch(&conn, ids, jobs) {
            syncer.send(done);
        }
        if WAL_FRAMES.with(|f| f.get()) >= max_frames {
            restart.store(RESTART_NOW, Ordering::Relaxed);
        }
    }
}

/// Runs a batch in one transaction and commits it. Returns the answers to send once
/// the commit is on disk; a batch that failed is answered here, and `None` returned.
fn commit_batch(conn: &Connection, ids: &People, jobs: Vec<Job>) -> Option<Vec<Done>> {
    let began = std::time::Instant::now();
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let msg = e.to_string();
        jobs.into_iter().for_each(|j| j.refuse(&msg));
        return None;
    }
    let mut done = Vec::with_capacity(jobs.len());
    let mut deferred = Deferred::default();
    let mut broken = None;
    for job in jobs {
        let changes = conn.total_changes();
        let (d, undone_alone) = match job {
            Job::Create(n, r) => (Done::Case(r, Box::new(create(conn, ids, *n, &mut deferred))), false),
            Job::Append(b, r) => (Done::Case(r, Box::new(append(conn, ids, *b, &mut deferred))), false),
            Job::Exec(f, r) => (Done::Unit(r, in_savepoint(conn, f)), true),
            Job::Checked(f, r) => (Done::Unit(r, f(conn)), false),
        };
        // A job refused before its first write left nothing behind. One that failed
        // after it taints the batch (unless its savepoint undid it), and so does any
        // job that ended the transaction (an `OR ROLLBACK` write that met a
        // constraint).
        if let Some(e) = d.error()
            && !undone_alone
            && conn.total_changes() != changes
        {
            broken.get_or_insert(e.to_string());
        }
        if conn.is_autocommit() {
            broken.get_or_insert_with(|| "a write ended the transaction".to_owned());
        }
        done.push(d);
    }
    if broken.is_none()
        && let Err(e) = deferred.write(conn)
    {
        broken = Some(e.to_string());
    }
    if let Some(e) = broken {
        let _ = conn.execute_batch("ROLLBACK");
        let msg = format!("batch rolled back: {e}");
        tracing::error!("{msg}");
        done.into_iter().for_each(|d| d.fail(&msg).send());
        return None;
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => {
            yiwang_metrics::STORE.commit.observe_duration(began.elapsed());
            Some(done)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            let msg = format!("commit failed: {e}");
            tracing::error!("{msg}");
            done.into_iter().for_each(|d| d.fail(&msg).send());
            None
        }
    }
}

fn in_savepoint(conn: &Connection, f: ExecFn) -> Result<()> {
    conn.execute_batch("SAVEPOINT job").map_err(map_err)?;
    let r = f(conn);
    if r.is_err() {
        let _ = conn.execute_batch("ROLLBACK TO job");
    }
    let _ = conn.execute_batch("RELEASE job");
    r
}

fn create(conn: &Connection, ids: &People, n: NewCase, deferred: &mut Deferred) -> Result<Case> {
    let NewCase { tenant, at, actor, person, mut events, notices, idempotency } = n;
    let at = trunc_ms(at);
    let now = ts(at);
    let day = civil_date(at);
    let day_s = day.to_string();
    let prefix = events.kind_of().prefix();
    // The next number of the kind's day, read here and taken below: this thread is
    // the only one that writes, and the batch's transaction holds the file.
    let last: Option<u32> = conn
        .prepare_cached("SELECT last_seq FROM case_counter WHERE prefix = ?1 AND day = ?2")
        .and_then(|mut s| s.query_row([prefix, &day_s], |r| r.get(0)).optional())
        .map_err(map_err)?;
    let seq = last.unwrap_or(0) + 1;
    let id = CaseId::new(prefix, day, seq);
    let person = person.map(|p| {
        let pid = PersonId(ids.take(1));
        let (sealed, key) = ids.keys.seal(tenant.as_str(), pid, p);
        (pid, sealed, key)
    });
    if let Some((pid, _, _)) = &person {
        events.set_person(*pid);
    }
    let (linked, state) =
        link(ids.hash, tenant.as_str(), &id, None, (0, chain::GENESIS.to_owned()), at, &actor, events)?;
    let mut rows = Rows::of(tenant.as_str(), None, &state, true);
    // The one thing that can refuse a new case, checked before anything is written.
    if let Some(code) = rows.tracking_code() {
        let taken = conn
            .prepare_cached("SELECT 1 FROM case_header WHERE tracking_code = ?1")
            .and_then(|mut s| s.exists([code]))
            .map_err(map_err)?;
        if taken {
            return Err(StoreError::Duplicate("case_header.tracking_code".into()));
        }
    }
    refuse_used_key(conn, idempotency.as_ref())?;
    let counter = match last {
        Some(_) => conn
            .prepare_cached("UPDATE OR ROLLBACK case_counter SET last_seq = ?3 WHERE prefix = ?1 AND day = ?2")
            .and_then(|mut s| s.execute(params![prefix, day_s, seq])),
        None => conn
            .prepare_cached(
                "INSERT OR ROLLBACK INTO case_counter (prefix, day, last_seq, created_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![prefix, day_s, seq, now])),
    };
    counter.map_err(map_err)?;
    if let Some((pid, p, key)) = &person {
        insert_person(conn, tenant.as_str(), *pid, p, key.as_deref(), &now, state.kind_of().found_by_phone())?;
    }
    insert_events(conn, tenant.as_str(), &id, &linked, &linked.at)?;
    write_head(conn, tenant.as_str(), &id, None, state.kind(), linked.head(), &linked.at)?;
    insert_notices(conn, tenant.as_str(), &id, &notices, &linked.at)?;
    insert_key(conn, idempotency.as_ref(), &id, &linked.at)?;
    super::projection::write(conn, &mut rows, deferred)?;
    Ok(state)
}

fn append(conn: &Connection, ids: &People, b: AppendBatch, deferred: &mut Deferred) -> Result<Case> {
    let AppendBatch { tenant, before, at, actor, events, shown, notices, idempotency } = b;
    let id = before.id().clone();
    let head: Option<(u32, String)> = conn
        .prepare_cached("SELECT seq, hash FROM chain_head WHERE case_id = ?1")
        .and_then(|mut s| s.query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(map_err)?;
    let head = head.ok_or_else(|| StoreError::NotFound(format!("case {id}")))?;
    if head.0 != before.version() {
        return Err(StoreError::Conflict { case: id, expected: before.version(), found: head.0 });
    }
    if events.is_empty() {
        return Ok(before);
    }
    refuse_used_key(conn, idempotency.as_ref())?;
    let text = events.touches_text();
    let tenant = tenant.as_str();
    let version = before.version();
    let (linked, state) = link(ids.hash, tenant, &id, Some(before), head, trunc_ms(at), &actor, events)?;
    insert_events(conn, tenant, &id, &linked, &linked.at)?;
    write_head(conn, tenant, &id, Some(version), state.kind(), linked.head(), &linked.at)?;
    insert_notices(conn, tenant, &id, &notices, &linked.at)?;
    insert_key(conn, idempotency.as_ref(), &id, &linked.at)?;
    super::projection::project(conn, tenant, Some(&shown), &state, text, deferred)?;
    Ok(state)
}

/// The record's inserts, for `insert_rows`, shared by live writes (a row or a few)
/// and bulk imports (thousands): person (id, tenant, name, phone, phone_digest,
/// id_number, contact, sealed_with, created_at), sealed; event (case_id, seq, tenant, at, kind, actor,
/// body, alg, hash, created_at); chain_head (case_id, tenant, case_kind, seq, hash,
/// created_at).
pub(crate) const INSERT_PERSON: &str = "INSERT OR ROLLBACK INTO person (id, tenant, name, phone, phone_digest, id_number, contact, sealed_with, created_at, found_by_phone)";
pub(crate) const INSERT_EVENT: &str =
    "INSERT OR ROLLBACK INTO event (case_id, seq, tenant, at, kind, actor, body, alg, hash, created_at)";
pub(crate) const INSERT_HEAD: &str =
    "INSERT OR ROLLBACK INTO chain_head (case_id, tenant, case_kind, seq, hash, created_at)";

/// Stores a citizen's personal data, as sealed with the key `sealed_with`, under the
/// id the store handed out; `found_by_phone` for a case of a kind looked up by phone
/// (`Kind::FOUND_BY_PHONE`), whose row the digest's index then holds.
pub(crate) fn insert_person(
    conn: &Connection,
    tenant: &str,
    id: PersonId,
    p: &PersonData,
    sealed_with: Option<&str>,
    at: &str,
    found_by_phone: bool,
) -> Result<()> {
    insert_rows(
        conn,
        INSERT_PERSON,
        &[[
            &id.0,
            &tenant,
            &p.name,
            &p.phone,
            &p.phone_digest,
            &p.id_number,
            &p.contact,
            &sealed_with,
            &at,
            &found_by_phone,
        ]],
    )
}

/// Refuses, before anything is written, a write whose Idempotency-Key its scope has
/// used already (kept until purged).
fn refuse_used_key(conn: &Connection, key: Option<&crate::IdempotencyKey>) -> Result<()> {
    let Some(k) = key else { return Ok(()) };
    let used = conn
        .prepare_cached("SELECT 1 FROM idempotency_key WHERE scope = ?1 AND key = ?2")
        .and_then(|mut s| s.exists([&k.scope, &k.key]))
        .map_err(map_err)?;
    if used {
        return Err(StoreError::Duplicate("idempotency_key".into()));
    }
    Ok(())
}

/// Stores a write's Idempotency-Key with the case it wrote, in the write's commit.
fn insert_key(conn: &Connection, key: Option<&crate::IdempotencyKey>, id: &CaseId, at: &str) -> Result<()> {
    let Some(k) = key else { return Ok(()) };
    conn.prepare_cached(
        "INSERT OR ROLLBACK INTO idempotency_key (scope, key, fingerprint, case_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| s.execute(params![k.scope, k.key, k.fingerprint, id.as_str(), at]))
    .map(drop)
    .map_err(map_err)
}

/// Puts a write's notices in the outbox, due at once.
fn insert_notices(conn: &Connection, tenant: &str, id: &CaseId, notices: &[crate::Notice], at: &str) -> Result<()> {
    let mut s = conn
        .prepare_cached(
            "INSERT OR ROLLBACK INTO outbox (tenant, case_id, template, recipient, created_at, next_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )
        .map_err(map_err)?;
    for n in notices {
        s.execute(params![tenant, id.as_str(), n.template, n.to, at]).map_err(map_err)?;
    }
    Ok(())
}

/// Appends linked events to the log, recorded at `recorded` (their own time when
/// recorded live).
pub(crate) fn insert_events(conn: &Connection, tenant: &str, id: &CaseId, l: &Linked, recorded: &str) -> Result<()> {
    let (id, alg) = (id.as_str(), l.alg);
    let rows: Vec<[&dyn ToSql; 10]> = l
        .events
        .iter()
        .map(|e| -> [&dyn ToSql; 10] {
            [&id, &e.seq, &tenant, &l.at, &e.kind, &l.actor, &e.body, &alg, &e.hash, &recorded]
        })
        .collect();
    insert_rows(conn, INSERT_EVENT, &rows)
}

/// Moves a case's chain head; `stored` is the head's sequence number now, `None` for
/// a new case (of kind `kind`).
pub(crate) fn write_head(
    conn: &Connection,
    tenant: &str,
    id: &CaseId,
    stored: Option<u32>,
    kind: &str,
    (seq, hash): (u32, &str),
    at: &str,
) -> Result<()> {
    match stored {
        None => insert_rows(conn, INSERT_HEAD, &[[&id.as_str(), &tenant, &kind, &seq, &hash, &at]]),
        Some(_) => conn
            .prepare_cached("UPDATE OR ROLLBACK chain_head SET seq = ?2, hash = ?3 WHERE case_id = ?1")
            .and_then(|mut s| s.execute(params![id.as_str(), seq, hash]))
            .map(|_| ())
            .map_err(map_err),
    }
}
