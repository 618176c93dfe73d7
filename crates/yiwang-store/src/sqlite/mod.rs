//! The embedded store: one SQLite file in WAL mode under the data directory.
//!
//! One writer thread owns the only write connection and commits queued requests in
//! groups (see `writer`); a small pool of read connections serves queries, which WAL
//! lets run beside the writer; a checkpointer thread copies the WAL back into the
//! database file, so that work (and its fsync) is not done by the writer.

mod bulk;
mod codec;
mod projection;
mod read;
mod writer;

use crate::{Result, StoreError};
use rusqlite::Connection;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use writer::Writer;

pub(crate) use codec::*;

/// Applied in order; `PRAGMA user_version` counts how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_api_key.sql"),
    include_str!("../../migrations/sqlite/0003_dispatch.sql"),
    include_str!("../../migrations/sqlite/0004_search.sql"),
    include_str!("../../migrations/sqlite/0005_measure_tally.sql"),
];

pub struct SqliteStore {
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    writer: Writer,
    checkpointer: Checkpointer,
}

/// How often the checkpointer runs.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Runs `PRAGMA wal_checkpoint(PASSIVE)` on its own connection every half second
/// until dropped. PASSIVE never blocks the writer or readers; what it cannot copy
/// now it copies next time.
struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn spawn(conn: Connection) -> Self {
        let (stop, rx) = std::sync::mpsc::channel::<()>();
        let handle = std::thread::Builder::new()
            .name("yiwang-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(CHECKPOINT_EVERY) {
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::warn!("WAL checkpoint failed: {e}");
                    }
                }
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
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

pub(crate) fn map_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, msg) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::Duplicate(msg.unwrap_or_else(|| "row".into()))
        }
        other => StoreError::Database(other.to_string()),
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(map_err)?;
    // WAL lets readers run beside the writer; synchronous=FULL makes each commit
    // durable across power loss, and group commit pays that fsync once per batch.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA busy_timeout = 10000;
         PRAGMA foreign_keys = OFF;
         PRAGMA cache_size = -32000;",
    )
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
    pub fn open(path: &Path) -> Result<Self> {
        let mut w = open_connection(path)?;
        migrate(&mut w)?;
        // The checkpointer thread does the checkpoints, not the writer's commits.
        w.execute_batch("PRAGMA wal_autocheckpoint = 0").map_err(map_err)?;
        let readers = (0..4).map(|_| open_connection(path).map(Mutex::new)).collect::<Result<Vec<_>>>()?;
        let checkpointer = Checkpointer::spawn(open_connection(path)?);
        Ok(SqliteStore { readers, next_reader: AtomicUsize::new(0), writer: Writer::spawn(w), checkpointer })
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let conn = self.readers[i].lock().unwrap_or_else(|p| p.into_inner());
        f(&conn).map_err(map_err)
    }

    /// Waits for the writer to finish what is queued, then stops it.
    pub fn close(self) {
        self.writer.shutdown();
        drop(self.checkpointer);
    }
}
