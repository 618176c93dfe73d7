//! The PostgreSQL store, for districts that run a database server (or Citus) rather
//! than the embedded file.
//!
//! Same shape as the SQLite store: one writer thread owns one connection and commits
//! queued requests in groups (see `writer`); a small pool of connections serves
//! queries. It uses the synchronous `postgres` client, which drives its own small
//! runtime: call the store from plain threads or tokio's `spawn_blocking`, never from
//! an async task on a runtime worker thread.
//!
//! Connections are plain TCP unless the URL asks for TLS the way libpq does:
//! `sslmode=require` (encrypted, the server not verified), `verify-ca` (its
//! certificate checked against the CA in `sslrootcert`), `verify-full` (and its host
//! name against the certificate). The `postgres` crate parses neither `sslrootcert`
//! nor the verify modes, so `Target` takes them out of the URL and builds an OpenSSL
//! connector (`postgres-openssl`, on the system's libssl) for them. A URL may name
//! several hosts (`postgres://h1:5432,h2:5432/db?target_session_attrs=read-write`):
//! each connection, and each reconnection, goes to the one that takes writes.

mod anchor;
mod bulk;
mod codec;
mod projection;
mod read;
mod writer;

use crate::{Result, StoreError};
use postgres::config::SslMode;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};
use postgres_openssl::MakeTlsConnector;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use writer::Writer;

pub(crate) use codec::*;

/// Applied in order, once each; `schema_migrations` records which have run.
/// Append-only: a released migration is never edited.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_event_recorded.sql"),
    include_str!("../../migrations/postgres/0003_measure_tally.sql"),
    include_str!("../../migrations/postgres/0004_lz4.sql"),
    include_str!("../../migrations/postgres/0005_accepted_order.sql"),
    include_str!("../../migrations/postgres/0006_volume_tally.sql"),
    include_str!("../../migrations/postgres/0007_case_kinds.sql"),
    include_str!("../../migrations/postgres/0008_anchor.sql"),
    include_str!("../../migrations/postgres/0009_seal_and_archive.sql"),
    include_str!("../../migrations/postgres/0010_outbox.sql"),
    include_str!("../../migrations/postgres/0011_due_working.sql"),
    include_str!("../../migrations/postgres/0012_category_keywords.sql"),
    include_str!("../../migrations/postgres/0013_idempotency_key.sql"),
    include_str!("../../migrations/postgres/0014_phone_lookup.sql"),
    include_str!("../../migrations/postgres/0015_phone_lookup_partial.sql"),
];

/// The advisory lock migrations run under ("yiwang" in ASCII), so two processes
/// starting at once do not both apply the same migration.
const MIGRATION_LOCK: i64 = 0x7969_7761_6e67;

/// How many connections serve reads.
const READERS: usize = 4;

/// Prepared statements a connection keeps at most; queue filters combine into many
/// statement texts, and a connection that has seen too many starts afresh.
const MAX_STATEMENTS: usize = 256;

/// `Store` on a PostgreSQL server (15 or later). `connect` migrates; `close` finishes
/// what is queued. Several yiwang processes may share one database: migrations take
/// an advisory lock and appends lock the chain head they extend.
pub struct PgStore {
    target: Target,
    /// The kinds of case it holds, with which it folds a case's events.
    kinds: yiwang_core::case::Kinds,
    readers: Vec<Mutex<Conn>>,
    next_reader: AtomicUsize,
    /// A read replica for dashboards and search (`with_read_replica`), and its
    /// connections; none reads the primary.
    replica: Option<(Target, Vec<Mutex<Conn>>)>,
    writer: Writer,
    /// What personal data is sealed with (`crate::seal`).
    keys: Arc<crate::PersonalKeys>,
    /// What new events are chained and checkpoints digested with (`crate::Crypto`).
    hash: yiwang_core::chain::HashAlg,
}

pub(crate) fn map_err(e: postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) if *db.code() == postgres::error::SqlState::UNIQUE_VIOLATION => {
            StoreError::Duplicate(db.constraint().unwrap_or("row").to_owned())
        }
        // With its causes: "error connecting to server" alone does not say that the
        // certificate was refused or the server was read-only.
        _ => {
            let mut msg = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                let s = c.to_string();
                if !msg.contains(&s) {
                    msg = format!("{msg}: {s}");
                }
                cause = c.source();
            }
            StoreError::Database(msg)
        }
    }
}

/// Where and how to connect: the URL as the `postgres` crate takes it, and the TLS
/// connector its libpq `sslmode` and `sslrootcert` parameters ask for.
#[derive(Clone)]
pub(crate) struct Target {
    config: postgres::Config,
    tls: Option<MakeTlsConnector>,
}

impl Target {
    /// Reads `url`. `sslmode`: absent or `disable`, plain TCP; `allow`, `prefer`,
    /// TLS when the server offers it; `require`, TLS, the server unverified;
    /// `verify-ca`, TLS with a certificate signed by a CA of `sslrootcert` (a PEM
    /// file; the system's CAs when absent or `system`); `verify-full`, that and the
    /// host name in the certificate.
    pub(crate) fn parse(url: &str) -> Result<Target> {
        let bad = |m: String| StoreError::Database(format!("the database URL: {m}"));
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let (mut mode, mut root, mut kept) = (None, None, vec![]);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=').unwrap_or((pair, "")) {
                ("sslmode", v) => mode = Some(unescape(v)),
                ("sslrootcert", v) => root = Some(unescape(v)),
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
        let mut config: postgres::Config = rest.parse().map_err(|e: postgres::Error| bad(e.to_string()))?;
        let mode = mode.unwrap_or_else(|| "disable".into());
        let (ssl, verify, host) = match mode.as_str() {
            "disable" => {
                config.ssl_mode(SslMode::Disable);
                return Ok(Target { config, tls: None });
            }
            "allow" | "prefer" => (SslMode::Prefer, false, false),
            "require" => (SslMode::Require, false, false),
            "verify-ca" => (SslMode::Require, true, false),
            "verify-full" => (SslMode::Require, true, true),
            other => {
                return Err(bad(format!(
                    "sslmode={other} is none of disable, allow, prefer, require, verify-ca, verify-full"
                )));
            }
        };
        config.ssl_mode(ssl);
        let tls = (|| -> std::result::Result<MakeTlsConnector, String> {
            use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
            let mut b = SslConnector::builder(SslMethod::tls_client()).map_err(|e| e.to_string())?;
            if !verify {
                b.set_verify(SslVerifyMode::NONE);
            } else if let Some(path) = root.as_deref().filter(|p| *p != "system") {
                // Only the CAs named: a certificate from any other is refused.
                let pem = std::fs::read(path).map_err(|e| format!("sslrootcert {path}: {e}"))?;
                let cas = openssl::x509::X509::stack_from_pem(&pem).map_err(|e| format!("sslrootcert {path}: {e}"))?;
                if cas.is_empty() {
                    return Err(format!("sslrootcert {path} holds no PEM certificate"));
                }
                let mut store = openssl::x509::store::X509StoreBuilder::new().map_err(|e| e.to_string())?;
                for ca in cas {
                    store.add_cert(ca).map_err(|e| e.to_string())?;
                }
                b.set_cert_store(store.build());
                b.set_verify(SslVerifyMode::PEER);
            } else {
                b.set_verify(SslVerifyMode::PEER);
            }
            let mut tls = MakeTlsConnector::new(b.build());
            if !host {
                tls.set_callback(|c, _| {
                    c.set_verify_hostname(false);
                    Ok(())
                });
            }
            Ok(tls)
        })()
        .map_err(bad)?;
        Ok(Target { config, tls: Some(tls) })
    }
}

/// A URL query value with its `%XX` escapes decoded.
fn unescape(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())) {
            (b'%', Some(x)) => {
                out.push(x);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A connection with its prepared statements. Preparing costs a round trip, so each
/// statement text is prepared once per connection and reused.
pub(crate) struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// The `measure_tally` rows this connection moves (see migration 3): a writer's
    /// number, so two writers never wait on each other's counts.
    pub(crate) slot: i16,
}

impl Conn {
    fn connect(target: &Target) -> Result<Self> {
        let client = match &target.tls {
            Some(tls) => target.config.connect(tls.clone()),
            None => target.config.connect(NoTls),
        };
        Ok(Conn { client: client.map_err(map_err)?, statements: HashMap::new(), slot: 0 })
    }

    fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.clear();
        }
        let s = self.client.prepare(sql).map_err(map_err)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    pub(crate) fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let s = self.statement(sql)?;
        self.client.query(&s, params).map_err(map_err)
    }

    pub(crate) fn query_opt(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        let s = self.statement(sql)?;
        self.client.query_opt(&s, params).map_err(map_err)
    }

    pub(crate) fn query_one(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        let s = self.statement(sql)?;
        self.client.query_one(&s, params).map_err(map_err)
    }

    pub(crate) fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let s = self.statement(sql)?;
        self.client.execute(&s, params).map_err(map_err)
    }

    /// Runs statements without parameters in one round trip.
    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        self.client.batch_execute(sql).map_err(map_err)
    }
}

/// Brings the schema up to date. All pending migrations run in one transaction that
/// first takes a transaction-level advisory lock: a second process waits, then finds
/// the work done. The lock goes with the commit or the rollback, even on error.
fn migrate(conn: &mut Conn) -> Result<()> {
    let mut tx = conn.client.transaction().map_err(map_err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(map_err)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .map_err(map_err)?;
    let row = tx.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[]).map_err(map_err)?;
    let applied = uint(col::<i32>(&row, 0)?)? as usize;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "the database has schema version {applied}, newer than this yiwang knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.batch_execute(sql).map_err(map_err)?;
        let version = int(i + 1)?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&version]).map_err(map_err)?;
    }
    tx.commit().map_err(map_err)
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`) and brings
    /// its schema up to date. It holds cases of the kinds `kinds` knows, and writes
    /// personal data in plaintext: an installation connects `sealed`.
    pub fn connect(url: &str, kinds: yiwang_core::case::Kinds) -> Result<Self> {
        Self::sealed(url, kinds, crate::PersonalKeys::none())
    }

    /// As `connect`, sealing personal data with `keys` (`crate::seal`), and hashing
    /// with the algorithm `Crypto` names when given one.
    pub fn sealed(url: &str, kinds: yiwang_core::case::Kinds, keys: impl Into<crate::Crypto>) -> Result<Self> {
        let crate::Crypto { hash, keys } = keys.into();
        let target = Target::parse(url)?;
        let mut conn = Conn::connect(&target)?;
        migrate(&mut conn)?;
        let mut found = vec![];
        for sql in [
            "SELECT sealed_with FROM person WHERE sealed_with IS NOT NULL ORDER BY id LIMIT 1",
            "SELECT sealed_with FROM person WHERE sealed_with IS NOT NULL ORDER BY id DESC LIMIT 1",
        ] {
            if let Some(r) = conn.query_opt(sql, &[])? {
                found.push(codec::col::<String>(&r, 0)?);
            }
        }
        keys.check_covers(&found)?;
        let keys = Arc::new(keys);
        let readers = (0..READERS).map(|_| Conn::connect(&target).map(Mutex::new)).collect::<Result<Vec<_>>>()?;
        let store = PgStore {
            writer: Writer::start(target.clone(), keys.clone(), hash)?,
            target,
            kinds,
            readers,
            next_reader: AtomicUsize::new(0),
            replica: None,
            keys,
            hash,
        };
        store.backfill_due_working()?;
        Ok(store)
    }

    /// After the upgrade that added `due_working` (as on SQLite).
    fn backfill_due_working(&self) -> Result<()> {
        loop {
            let rows =
                self.read(|c| c.query("SELECT case_id FROM case_header WHERE due_working IS NULL LIMIT 500", &[]))?;
            let ids = rows.iter().map(|r| codec::col::<String>(r, 0)).collect::<Result<Vec<_>>>()?;
            if ids.is_empty() {
                return Ok(());
            }
            let (ids, working): (Vec<String>, Vec<bool>) = crate::due_working_of(self, &ids).into_iter().unzip();
            self.write(move |c| {
                c.execute(
                    "UPDATE case_header h SET due_working = x.w FROM unnest($1::text[], $2::boolean[]) AS x(id, w)
                     WHERE h.case_id = x.id",
                    &[&ids, &working],
                )
                .map(drop)
            })?;
        }
    }

    /// Runs `f` on one of the read connections, reconnecting one the server dropped.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let mut conn = self.readers[i].lock().unwrap_or_else(|p| p.into_inner());
        if conn.is_closed() {
            *conn = Conn::connect(&self.target)?;
        }
        f(&mut conn)
    }

    /// Sends the reads of dashboards and search (the month's measures, the volumes,
    /// the red cases per unit, text searches and their counts, the texts that hot
    /// topics are drawn from) to the read replica at `url`, a streaming standby of
    /// this database. They may lag behind what was written by the replica's delay;
    /// everything else (a case, queues, what a write checks) reads the primary.
    pub fn with_read_replica(mut self, url: &str) -> Result<Self> {
        let target = Target::parse(url)?;
        let conns = (0..READERS).map(|_| Conn::connect(&target).map(Mutex::new)).collect::<Result<Vec<_>>>()?;
        self.replica = Some((target, conns));
        Ok(self)
    }

    /// Runs `f` on a connection to the read replica when there is one (reads that
    /// may be a little behind: dashboards and search), else as `read`.
    pub(crate) fn read_replica<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let Some((target, conns)) = &self.replica else { return self.read(f) };
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % conns.len();
        let mut conn = conns[i].lock().unwrap_or_else(|p| p.into_inner());
        if conn.is_closed() {
            *conn = Conn::connect(target)?;
        }
        f(&mut conn)
    }

    /// `read_replica` for a search, `read` otherwise.
    pub(crate) fn read_searching<T>(&self, search: bool, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        if search { self.read_replica(f) } else { self.read(f) }
    }

    /// Holds both writers still until the hold is dropped: writes submitted meanwhile
    /// are committed together, in one batch. For tests of what a batch does.
    #[doc(hidden)]
    pub fn hold_writes(&self) -> crate::WriteHold {
        crate::WriteHold::new(writer::WRITERS, |f| {
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

    /// Waits for the writer to finish what is queued, then stops it (as dropping
    /// the store does).
    pub fn close(self) {
        drop(self);
    }
}

impl Drop for PgStore {
    /// The synchronous client closes its connection by blocking on its own runtime,
    /// which panics on a tokio worker thread — where a server's last handle to the
    /// store is often dropped. So the read connections are closed on a thread of
    /// their own (the writer's connection lives on the writer's thread already).
    fn drop(&mut self) {
        let readers = std::mem::take(&mut self.readers);
        let replica = self.replica.take();
        if std::thread::spawn(move || drop((readers, replica))).join().is_err() {
            tracing::warn!("closing the PostgreSQL read connections failed");
        }
    }
}
