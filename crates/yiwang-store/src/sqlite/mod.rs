//! The embedded store: one SQLite file in WAL mode under the data directory.
//!
//! One writer thread owns the only write connection and commits queued requests in
//! groups (see `writer`); a small pool of read connections serves queries, which WAL
//! lets run beside the writer; a checkpointer thread copies the WAL back into the
//! database file, so that work (and its fsync) is not done by the writer.

mod anchor;
mod bulk;
mod codec;
mod projection;
mod read;
mod writer;

use crate::{Result, StoreError};
use rusqlite::{Connection, OptionalExtension, ToSql};
use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use writer::Writer;

pub(crate) use codec::*;

/// Applied in order; `PRAGMA user_version` counts how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_api_key.sql"),
    include_str!("../../migrations/sqlite/0003_dispatch.sql"),
    include_str!("../../migrations/sqlite/0004_search.sql"),
    include_str!("../../migrations/sqlite/0005_measure_tally.sql"),
    include_str!("../../migrations/sqlite/0006_no_phone_digest_index.sql"),
    include_str!("../../migrations/sqlite/0007_compact_record.sql"),
    include_str!("../../migrations/sqlite/0008_volume_tally.sql"),
    include_str!("../../migrations/sqlite/0009_case_kinds.sql"),
    include_str!("../../migrations/sqlite/0010_anchor.sql"),
    include_str!("../../migrations/sqlite/0011_seal_and_archive.sql"),
    include_str!("../../migrations/sqlite/0012_outbox.sql"),
    include_str!("../../migrations/sqlite/0013_due_working.sql"),
    include_str!("../../migrations/sqlite/0014_category_keywords.sql"),
    include_str!("../../migrations/sqlite/0015_idempotency_key.sql"),
    include_str!("../../migrations/sqlite/0016_phone_lookup.sql"),
    include_str!("../../migrations/sqlite/0017_phone_lookup_partial.sql"),
];

pub struct SqliteStore {
    /// The kinds of case it holds, with which it folds a case's events.
    kinds: yiwang_core::case::Kinds,
    /// The kind whose cases carry no marker in the full-text index (`case_text_unmarked`).
    unmarked: String,
    /// The marked kinds known to have a case stored: a search within the unmarked kind
    /// excludes their markers alone (`SqliteStore::marked_present`). Cases are never
    /// deleted, so a kind seen once stays.
    marked_present: Mutex<std::collections::BTreeSet<&'static str>>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    people: Arc<People>,
    writer: Writer,
    checkpointer: Checkpointer,
}

/// The ids of citizens' person rows, handed out by the store rather than by SQLite,
/// so that a bulk import can number its citizens, and link the appeals that name them,
/// on its own thread before it reaches the writer. It starts past the largest id ever
/// used (`sqlite_sequence`, which `AUTOINCREMENT` keeps even when rows are deleted),
/// so no id is given twice; a batch that fails leaves its ids unused.
///
/// This assumes what the store assumes anyway: one process writes a SQLite file.
///
/// It also holds the keys their personal data is sealed with (`crate::seal`), which
/// the writer and a bulk import's own thread use as they number them.
pub(crate) struct People {
    next: std::sync::atomic::AtomicI64,
    pub(crate) keys: crate::PersonalKeys,
    /// What new events are chained and checkpoints digested with (`crate::Crypto`).
    pub(crate) hash: yiwang_core::chain::HashAlg,
}

impl People {
    fn load(conn: &Connection, crypto: crate::Crypto) -> Result<Self> {
        let last: i64 = conn
            .query_row(
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'person'), 0),
                            coalesce((SELECT max(id) FROM person), 0))",
                [],
                |r| r.get(0),
            )
            .map_err(map_err)?;
        Ok(People { next: (last + 1).into(), keys: crypto.keys, hash: crypto.hash })
    }

    /// The first of `n` consecutive new ids.
    pub(crate) fn take(&self, n: i64) -> i64 {
        self.next.fetch_add(n, Ordering::Relaxed)
    }
}

/// How long the checkpointer sleeps after a pass that found the WAL empty, and after
/// one that copied frames (it keeps up with a busy writer by running again soon).
const CHECKPOINT_IDLE: Duration = Duration::from_millis(100);
const CHECKPOINT_BUSY: Duration = Duration::from_millis(10);

/// When the WAL is rewound (see `Checkpointer`), in frames (pages of 4 KiB).
#[derive(Debug, Clone, Copy)]
pub struct WalLimits {
    /// Past this, the writer is asked to finish a checkpoint when it is idle, so that
    /// its next transaction writes the WAL from the start again. It is asked only
    /// after a checkpoint pass that copied fewer than `short_pass` frames, so what it
    /// then copies itself is small.
    pub restart: i64,
    pub short_pass: i64,
    /// Past this, the writer finishes a checkpoint at once, idle or not, so the WAL
    /// stays bounded under load that never pauses. The writer checks it after every
    /// commit (SQLite's WAL hook tells it the WAL's length).
    pub max: i64,
}

impl Default for WalLimits {
    /// 16 MiB when idle, 256 MiB at the most.
    fn default() -> Self {
        WalLimits { restart: 4096, short_pass: 1024, max: 65_536 }
    }
}

/// What the checkpointer asks of the writer.
pub(crate) const RESTART_NO: u8 = 0;
pub(crate) const RESTART_WHEN_IDLE: u8 = 1;
pub(crate) const RESTART_NOW: u8 = 2;

/// Runs `PRAGMA wal_checkpoint(PASSIVE)` on its own connection until dropped. PASSIVE
/// never blocks the writer or readers; what it cannot copy now it copies next time.
///
/// A PASSIVE checkpoint alone never lets the WAL start over under steady load: SQLite
/// rewinds the WAL only when a write transaction begins with every frame copied, and
/// a busy writer has always added frames since the checkpoint began. The WAL would
/// then grow for as long as the load lasts, and every commit would extend the file.
/// So once the WAL is past `WalLimits::restart` and the checkpointer has caught up (a
/// short pass), it asks the writer to run one PASSIVE checkpoint itself between two
/// batches, when no request is waiting; it copies only what was written during that
/// pass, and its next transaction rewinds the WAL. A WAL at `WalLimits::max` makes
/// the writer do it at once.
struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

/// `(log, checkpointed)` frames from `PRAGMA wal_checkpoint(PASSIVE)`.
pub(crate) fn checkpoint_passive(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(1)?, r.get(2)?)))
}

impl Checkpointer {
    fn spawn(conn: Connection, limits: WalLimits, restart: Arc<AtomicU8>) -> Self {
        let (stop, rx) = mpsc::channel::<()>();
        let handle = std::thread::Builder::new()
            .name("yiwang-checkpoint".into())
            .spawn(move || {
                let (mut wait, mut copied_before) = (CHECKPOINT_IDLE, 0);
                while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(wait) {
                    wait = match checkpoint_passive(&conn) {
                        Ok((log, copied)) => {
                            // A smaller count than last time: the WAL started over.
                            let this_pass = if copied >= copied_before { copied - copied_before } else { copied };
                            copied_before = copied;
                            if log >= limits.max {
                                restart.store(RESTART_NOW, Ordering::Relaxed);
                            } else if log >= limits.restart && this_pass < limits.short_pass {
                                let _ = restart.compare_exchange(
                                    RESTART_NO,
                                    RESTART_WHEN_IDLE,
                                    Ordering::Relaxed,
                                    Ordering::Relaxed,
                                );
                            }
                            if log > 0 { CHECKPOINT_BUSY } else { CHECKPOINT_IDLE }
                        }
                        Err(e) => {
                            tracing::warn!("WAL checkpoint failed: {e}");
                            CHECKPOINT_IDLE
                        }
                    };
                }
                let _ = checkpoint_passive(&conn);
            })
            .expect("spawn checkpoint thread");
        Checkpointer { stop: Some(stop), handle: Some(handle) }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// SQLite's name for a database's WAL file.
fn wal_path(db: &Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

pub(crate) fn map_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, msg) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::Duplicate(msg.unwrap_or_else(|| "row".into()))
        }
        other => StoreError::Database(other.to_string()),
    }
}

/// Each connection's page cache, in KiB (SQLite's `cache_size = -N`).
pub(crate) const CACHE_KIB: i64 = 32_000;

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(map_err)?;
    // WAL lets readers run beside the writer; synchronous=FULL makes each commit
    // durable across power loss, and group commit pays that fsync once per batch.
    // temp_store=MEMORY keeps statement journals in memory: on disk, each batch
    // created and deleted a temporary file.
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA busy_timeout = 10000;
         PRAGMA foreign_keys = OFF;
         PRAGMA cache_size = -{CACHE_KIB};
         PRAGMA temp_store = MEMORY;"
    ))
    .map_err(map_err)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(map_err)?;
    if version as usize > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "the database has schema version {version}, newer than this yiwang knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().map_err(map_err)?;
        tx.execute_batch(sql).map_err(map_err)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1)).map_err(map_err)?;
        tx.commit().map_err(map_err)?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    /// It holds cases of the kinds `kinds` knows, and writes personal data in
    /// plaintext: an installation opens it `sealed`.
    pub fn open(path: &Path, kinds: yiwang_core::case::Kinds) -> Result<Self> {
        Self::open_with(path, kinds, WalLimits::default(), crate::PersonalKeys::none())
    }

    /// As `open`, sealing personal data with `keys` (`crate::seal`), and hashing with
    /// the algorithm `Crypto` names when given one.
    pub fn sealed(path: &Path, kinds: yiwang_core::case::Kinds, keys: impl Into<crate::Crypto>) -> Result<Self> {
        Self::open_with(path, kinds, WalLimits::default(), keys)
    }

    /// As `sealed`, with other bounds on the WAL (tests use small ones).
    pub fn open_with(
        path: &Path,
        kinds: yiwang_core::case::Kinds,
        wal: WalLimits,
        crypto: impl Into<crate::Crypto>,
    ) -> Result<Self> {
        let crypto = crypto.into();
        let mut w = open_connection(path)?;
        migrate(&mut w)?;
        // The checkpointer thread does the checkpoints, not the writer's commits, and
        // the writer's syncer thread does the fsync of each commit (see `writer`).
        w.execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA synchronous = OFF").map_err(map_err)?;
        let readers = (0..4).map(|_| open_connection(path).map(Mutex::new)).collect::<Result<Vec<_>>>()?;
        let restart = Arc::new(AtomicU8::new(RESTART_NO));
        let checkpointer = Checkpointer::spawn(open_connection(path)?, wal, restart.clone());
        let found: Vec<String> = [
            "SELECT sealed_with FROM person WHERE sealed_with IS NOT NULL ORDER BY id LIMIT 1",
            "SELECT sealed_with FROM person WHERE sealed_with IS NOT NULL ORDER BY id DESC LIMIT 1",
        ]
        .iter()
        .filter_map(|sql| w.query_row(sql, [], |r| r.get(0)).optional().transpose())
        .collect::<rusqlite::Result<_>>()
        .map_err(map_err)?;
        crypto.keys.check_covers(&found)?;
        let people = Arc::new(People::load(&w, crypto)?);
        let unmarked = w.query_row("SELECT case_kind FROM case_text_unmarked", [], |r| r.get(0)).map_err(map_err)?;
        let store = SqliteStore {
            kinds,
            unmarked,
            marked_present: Mutex::new(Default::default()),
            readers,
            next_reader: AtomicUsize::new(0),
            writer: Writer::start(w, people.clone(), wal_path(path), wal.max, restart),
            people,
            checkpointer,
        };
        store.backfill_due_working()?;
        Ok(store)
    }

    /// After the upgrade to schema 13: whether each open case's deadline counts
    /// working days, from its events.
    fn backfill_due_working(&self) -> Result<()> {
        loop {
            let ids: Vec<String> = self.read(|c| {
                c.prepare("SELECT case_id FROM case_header WHERE due_working IS NULL LIMIT 500")?
                    .query_map([], |r| r.get(0))?
                    .collect()
            })?;
            if ids.is_empty() {
                return Ok(());
            }
            let found = crate::due_working_of(self, &ids);
            self.writer.exec(move |c| {
                let mut s = c.prepare("UPDATE case_header SET due_working = ?2 WHERE case_id = ?1").map_err(map_err)?;
                for (id, working) in found {
                    s.execute(rusqlite::params![id, working]).map_err(map_err)?;
                }
                Ok(())
            })?;
        }
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let conn = self.readers[i].lock().unwrap_or_else(|p| p.into_inner());
        f(&conn).map_err(map_err)
    }

    /// Holds the writer still until the hold is dropped: writes submitted meanwhile
    /// are committed together, in one batch. For tests of what a batch does.
    #[doc(hidden)]
    pub fn hold_writes(&self) -> crate::WriteHold {
        crate::WriteHold::new(1, |f| {
            self.writer.submit(|r| {
                crate::commit::Job::Exec(
                    Box::new(move |_| {
                        f();
                        Ok(())
                    }),
                    r,
                )
            })
        })
    }

    /// Waits for the writer to finish what is queued, then stops it.
    pub fn close(self) {
        drop(self.writer);
        drop(self.checkpointer);
    }
}

/// Rows per statement when a batch inserts many into one table (a bulk import's
/// events, citizens and chain heads; a live write inserts its few the same way). A statement's start, binding and
/// end cost the writer about as much as a row's B-tree inserts, and an import's batch
/// holds some 40,000 events (measured with `yiwang bench scale`: the writer's CPU per
/// appeal went from 101 to 83 µs with events alone).
const MANY_ROWS: usize = 32;

/// Inserts rows in order, `MANY_ROWS` to a statement and the rest one by one: `head`
/// is `INSERT OR ROLLBACK INTO t (a, b, …)` and each row holds its values in that order.
pub(crate) fn insert_rows<const N: usize>(conn: &Connection, head: &str, rows: &[[&dyn ToSql; N]]) -> Result<()> {
    let one = format!("({})", vec!["?"; N].join(", "));
    let mut chunks = rows.chunks_exact(MANY_ROWS);
    if chunks.len() > 0 {
        let sql = format!("{head} VALUES {}", vec![one.as_str(); MANY_ROWS].join(", "));
        let mut insert = conn.prepare_cached(&sql).map_err(map_err)?;
        for chunk in &mut chunks {
            let values: Vec<&dyn ToSql> = chunk.iter().flatten().copied().collect();
            insert.execute(values.as_slice()).map_err(map_err)?;
        }
    }
    if !chunks.remainder().is_empty() {
        let mut insert = conn.prepare_cached(&format!("{head} VALUES {one}")).map_err(map_err)?;
        for row in chunks.remainder() {
            insert.execute(&row[..]).map_err(map_err)?;
        }
    }
    Ok(())
}
