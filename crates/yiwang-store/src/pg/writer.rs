//! Group commit on PostgreSQL, with the SQLite writer's contract: one thread owns the
//! write connection, takes every request queued since its last commit, commits them
//! all in one transaction, and only then answers each request. An answer therefore
//! always means "committed".
//!
//! Round trips and statement starts cost more than rows, so a batch costs a handful
//! of them however many requests it holds: one to check the new cases' tracking codes,
//! one to allocate their numbers and citizens' ids (`Numbers`), one to lock the heads
//! of the chains appended to, and one statement that writes everything
//! (`projection::Rows`). Two writers take turns (`WRITERS`), so a commit's wait for the
//! disk overlaps the next batch.
//! Everything that can refuse a request (a tracking code taken, a stale version, an
//! unknown case) is checked before that statement, so a refused request costs the
//! others nothing; a statement that fails after the checks fails the whole batch, none
//! of which was answered. Arbitrary writes (`exec`) run after it, each in a savepoint.
//! Several processes may write one database: the counters are incremented in place
//! and the chain heads locked (`FOR UPDATE`) until the commit.

use super::projection::Rows;
use super::{Conn, Target, col, ms, uint};
use crate::commit::{self, Done, Reply};
use crate::link::link;
use crate::{AppendBatch, NewCase, Result, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, mpsc};
use yiwang_core::calendar::civil_date;
use yiwang_core::case::Case;
use yiwang_core::chain::{self, HashAlg};
use yiwang_core::id::{CaseId, PersonId};

/// The most requests one commit takes; bounds the latency a batch adds.
const MAX_BATCH: usize = 1024;

type ExecFn = Box<dyn FnOnce(&mut Conn) -> Result<()> + Send>;
type Job = commit::Job<ExecFn>;
pub(crate) type Writer = commit::Writer<ExecFn>;

/// Writer connections, each on a thread of its own, taking batches from one queue:
/// while one waits for its commit to reach the disk, the other writes the next batch.
/// Appends to one case in both are kept apart by the chain head's row lock.
pub(crate) const WRITERS: usize = 2;

/// A writer's connection. It looks rows up by key and writes them by key, for which
/// a sequential scan is never the plan to take; but the planner chooses one whenever
/// its statistics say a table is small, as they do for a fresh database filling faster
/// than autovacuum analyses it, and then every batch scans the growing table (seen:
/// intake at a third of its rate). So the writers' sessions rule it out.
fn writer_connection(target: &Target, slot: i16) -> Result<Conn> {
    let mut conn = Conn::connect(target)?;
    conn.slot = slot;
    conn.batch("SET enable_seqscan = off")?;
    Ok(conn)
}

/// The connection that allocates case numbers and citizens' ids, each allocation
/// committed at once, outside any batch: inside one, the day's counter row stays
/// locked until the batch commits, and a second writer's batch would wait for it.
/// Its commits need not wait for the disk (`synchronous_commit = off`): a batch that
/// uses the numbers commits after them, and its flush of the log covers them; numbers
/// lost in a crash were used by no committed batch, so giving them again is harmless.
/// A batch that fails leaves its numbers unused.
struct Numbers {
    target: Target,
    conn: std::sync::Mutex<Option<Conn>>,
    /// Held shared by a batch of creates, appends and imports, alone by one with
    /// arbitrary writes (`exec`): a reindex must not interleave with another writer's
    /// batch, as it never did with one writer. Imports may: their cases are new (a
    /// case stored already fails the import on the event table's key), their counts
    /// go to their writer's own rows, and the day counters they raise are locked
    /// in one order (by day) and only raised.
    turns: std::sync::RwLock<()>,
    /// What the persons it numbers are sealed with.
    keys: Arc<crate::PersonalKeys>,
    /// What new events are chained with (`crate::Crypto`).
    hash: HashAlg,
}

impl Numbers {
    fn query(&self, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<Vec<postgres::Row>> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_none_or(Conn::is_closed) {
            let mut c = Conn::connect(&self.target)?;
            c.batch("SET synchronous_commit = off")?;
            *guard = Some(c);
        }
        guard.as_mut().expect("connected").query(sql, params)
    }
}

impl Writer {
    /// Starts the writers on connections of their own to `url`, reconnecting when the
    /// server drops them.
    pub(crate) fn start(target: Target, keys: Arc<crate::PersonalKeys>, hash: HashAlg) -> Result<Self> {
        let conns = (0..WRITERS as i16).map(|slot| writer_connection(&target, slot)).collect::<Result<Vec<_>>>()?;
        let numbers = Numbers { target, conn: std::sync::Mutex::new(None), turns: Default::default(), keys, hash };
        Ok(Writer::spawn("yiwang-pg-writer", move |rx| {
            let rx = std::sync::Mutex::new(rx);
            std::thread::scope(|s| {
                for conn in conns {
                    let (rx, numbers) = (&rx, &numbers);
                    std::thread::Builder::new()
                        .name("yiwang-pg-writer".into())
                        .spawn_scoped(s, move || run(conn, &numbers.target, rx, numbers))
                        .expect("spawn writer thread");
                }
            });
        }))
    }

    pub(crate) fn exec(&self, f: impl FnOnce(&mut Conn) -> Result<()> + Send + 'static) -> Result<()> {
        self.submit(|r| Job::Exec(Box::new(f), r)).wait()
    }
}

fn run(mut conn: Conn, target: &Target, rx: &std::sync::Mutex<mpsc::Receiver<Job>>, numbers: &Numbers) {
    loop {
        // One writer takes what is queued; the other waits for the queue meanwhile.
        let jobs = {
            let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
            let Ok(first) = rx.recv() else { return };
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            yiwang_metrics::STORE.batch_taken(jobs.len());
            jobs
        };
        // A restarted server or a dropped connection costs one batch at most.
        if conn.is_closed() {
            match writer_connection(target, conn.slot) {
                Ok(c) => conn = c,
                Err(e) => {
                    let msg = format!("cannot reconnect: {e}");
                    tracing::error!("{msg}");
                    jobs.into_iter().for_each(|j| j.refuse(&msg));
                    continue;
                }
            }
        }
        commit_batch(&mut conn, numbers, jobs);
    }
}

/// The batch's Idempotency-Keys: those their scopes have used already (and those
/// taken earlier in the batch), and the rows of those it stores.
#[derive(Default)]
struct Keys {
    used: HashSet<(String, String)>,
    scope: Vec<String>,
    key: Vec<String>,
    fingerprint: Vec<String>,
    case: Vec<String>,
    at: Vec<yiwang_core::Instant>,
}

impl Keys {
    /// Locks the batch's keys (transaction-level advisory locks, in one order, so the
    /// other writer or another process carrying the same key waits for this commit
    /// and then sees the key used, rather than failing its batch on the key's
    /// primary key) and reads which are used already. Two round trips, and none
    /// for a batch without keys.
    fn lock(conn: &mut Conn, creates: &Creates, appends: &Appends) -> Result<Keys> {
        let (scopes, names): (Vec<&str>, Vec<&str>) = creates
            .iter()
            .filter_map(|(n, _)| n.idempotency.as_ref())
            .chain(appends.iter().filter_map(|(b, _)| b.idempotency.as_ref()))
            .map(|k| (k.scope.as_str(), k.key.as_str()))
            .unzip();
        if scopes.is_empty() {
            return Ok(Keys::default());
        }
        conn.execute(
            "SELECT pg_advisory_xact_lock(h) FROM (
                SELECT DISTINCT hashtextextended(s || chr(31) || k, 0) AS h FROM unnest($1::text[], $2::text[]) AS x(s, k)
                ORDER BY h
             ) o",
            &[&scopes, &names],
        )?;
        let rows = conn.query(
            "SELECT i.scope, i.key FROM idempotency_key i JOIN unnest($1::text[], $2::text[]) AS x(s, k)
             ON i.scope = x.s AND i.key = x.k",
            &[&scopes, &names],
        )?;
        let used = rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect::<Result<_>>()?;
        Ok(Keys { used, ..Keys::default() })
    }

    /// Takes a write's key for case `id`: refused when its scope used it already.
    fn take(&mut self, key: Option<crate::IdempotencyKey>, id: &CaseId, at: yiwang_core::Instant) -> Result<()> {
        let Some(k) = key else { return Ok(()) };
        if !self.used.insert((k.scope.clone(), k.key.clone())) {
            return Err(StoreError::Duplicate("idempotency_key".into()));
        }
        self.scope.push(k.scope);
        self.key.push(k.key);
        self.fingerprint.push(k.fingerprint);
        self.case.push(id.to_string());
        self.at.push(at);
        Ok(())
    }

    /// Stores the keys taken, in the batch's transaction.
    fn write(&self, conn: &mut Conn) -> Result<()> {
        if self.scope.is_empty() {
            return Ok(());
        }
        conn.execute(
            "INSERT INTO idempotency_key (scope, key, fingerprint, case_id, created_at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])",
            &[&self.scope, &self.key, &self.fingerprint, &self.case, &self.at],
        )
        .map(drop)
    }
}

type Creates = Vec<(Box<NewCase>, Reply<Case>)>;
type Appends = Vec<(Box<AppendBatch>, Reply<Case>)>;

fn commit_batch(conn: &mut Conn, numbers: &Numbers, jobs: Vec<Job>) {
    let (mut creates, mut appends, mut execs): (Creates, Appends, Vec<_>) = (vec![], vec![], vec![]);
    let mut alone = false;
    for job in jobs {
        match job {
            Job::Create(n, r) => creates.push((n, r)),
            Job::Append(b, r) => appends.push((b, r)),
            Job::Exec(f, r) => {
                alone = true;
                execs.push((f, r));
            }
            // Bulk imports: the two writers import side by side.
            Job::Checked(f, r) => execs.push((f, r)),
        }
    }
    let (_shared, _alone);
    if !alone {
        _shared = numbers.turns.read().unwrap_or_else(|p| p.into_inner());
    } else {
        _alone = numbers.turns.write().unwrap_or_else(|p| p.into_inner());
    }
    let began = std::time::Instant::now();
    if let Err(e) = conn.batch("BEGIN") {
        let msg = e.to_string();
        creates.into_iter().for_each(|(n, r)| Job::Create(n, r).refuse(&msg));
        appends.into_iter().for_each(|(b, r)| Job::Append(b, r).refuse(&msg));
        execs.into_iter().for_each(|(f, r)| Job::Exec(f, r).refuse(&msg));
        return;
    }
    let mut done: Vec<Done> = Vec::new();
    let mut rows = Rows::default();
    let mut broken: Option<String> = None;
    let mut keys = Keys::default();
    let linked = match Keys::lock(conn, &creates, &appends) {
        Err(e) => {
            let e = fail_all(creates, &mut done, e);
            Err(fail_all(appends, &mut done, e))
        }
        Ok(k) => {
            keys = k;
            match create(conn, numbers, creates, &mut rows, &mut keys, &mut done) {
                Ok(()) => append(conn, numbers.hash, appends, &mut rows, &mut keys, &mut done),
                Err(e) => Err(fail_all(appends, &mut done, e)),
            }
        }
    };
    if let Err(e) = linked.and_then(|()| rows.write(conn)).and_then(|()| keys.write(conn)) {
        broken = Some(format!("batch rolled back: {e}"));
    }
    for (f, r) in execs {
        if let Some(msg) = &broken {
            Job::Exec(f, r).refuse(msg);
            continue;
        }
        if let Err(e) = conn.batch("SAVEPOINT job") {
            broken = Some(format!("transaction failed: {e}"));
            Job::Exec(f, r).refuse(&e.to_string());
            continue;
        }
        let result = f(conn);
        let step =
            if result.is_err() { conn.batch("ROLLBACK TO SAVEPOINT job") } else { conn.batch("RELEASE SAVEPOINT job") };
        if let Err(e) = step {
            // The transaction can no longer be trusted: nothing in it will commit.
            broken = Some(format!("transaction failed: {e}"));
        }
        done.push(Done::Unit(r, result));
    }
    let commit = match &broken {
        Some(msg) => Err(msg.clone()),
        None => conn.batch("COMMIT").map_err(|e| format!("commit failed: {e}")),
    };
    match commit {
        Ok(()) => {
            // On PostgreSQL a COMMIT returns once durable (synchronous_commit).
            yiwang_metrics::STORE.commit.observe_duration(began.elapsed());
            done.into_iter().for_each(Done::send)
        }
        Err(msg) => {
            let _ = conn.batch("ROLLBACK");
            tracing::error!("{msg}");
            done.into_iter().for_each(|d| d.fail(&msg).send());
        }
    }
}

/// New cases: numbers them and their persons, links their first events, refuses
/// those whose tracking code is taken (their numbers stay unused) and adds the rows
/// of the rest.
fn create(
    conn: &mut Conn,
    numbers: &Numbers,
    creates: Creates,
    rows: &mut Rows,
    keys: &mut Keys,
    done: &mut Vec<Done>,
) -> Result<()> {
    if creates.is_empty() {
        return Ok(());
    }
    // The numbers of each kind's day and the persons' ids, in one round trip.
    let mut per_day: Vec<((&'static str, chrono::NaiveDate), i32)> = vec![];
    for (n, _) in &creates {
        let key = (n.events.kind_of().prefix(), civil_date(ms(n.at)));
        match per_day.iter_mut().find(|(k, _)| *k == key) {
            Some((_, count)) => *count += 1,
            None => per_day.push((key, 1)),
        }
    }
    let people = creates.iter().filter(|(n, _)| n.person.is_some()).count() as i64;
    let prefixes: Vec<&str> = per_day.iter().map(|((p, _), _)| *p).collect();
    let days: Vec<chrono::NaiveDate> = per_day.iter().map(|((_, d), _)| *d).collect();
    let counts: Vec<i32> = per_day.iter().map(|(_, k)| *k).collect();
    let now = ms(creates[0].0.at);
    let allocated = match numbers.query(
        "WITH c AS (
            INSERT INTO case_counter (prefix, day, last_seq, created_at)
            SELECT p, d, k, $4 FROM unnest($1::text[], $2::date[], $3::integer[]) AS x(p, d, k)
            ON CONFLICT (prefix, day) DO UPDATE SET last_seq = case_counter.last_seq + excluded.last_seq
            RETURNING prefix, day, last_seq
         )
         SELECT prefix, day, last_seq, NULL::bigint FROM c
         UNION ALL
         SELECT NULL, NULL, NULL, nextval(pg_get_serial_sequence('person', 'id')) FROM generate_series(1, $5::bigint)",
        &[&prefixes, &days, &counts, &now, &people],
    ) {
        Ok(a) => a,
        Err(e) => return Err(fail_all(creates, done, e)),
    };
    // Each kind's day's numbers run up to the counter it returned.
    let mut next_seq: HashMap<(String, chrono::NaiveDate), u32> = HashMap::new();
    let mut person_ids = vec![];
    let read = allocated.iter().try_for_each(|r| {
        match col::<Option<chrono::NaiveDate>>(r, 1)? {
            Some(day) => {
                let prefix: String = col(r, 0)?;
                let last = uint(col::<i32>(r, 2)?)?;
                let k = per_day.iter().find(|((p, d), _)| *p == prefix && *d == day).map(|(_, k)| *k as u32);
                next_seq.insert((prefix, day), last + 1 - k.unwrap_or(0));
            }
            None => person_ids.push(PersonId(col::<i64>(r, 3)?)),
        }
        Ok::<_, StoreError>(())
    });
    if let Err(e) = read {
        return Err(fail_all(creates, done, e));
    }
    // Each case numbered, linked and folded: what to store, and its tracking code.
    let mut person_ids = person_ids.into_iter();
    let mut linked = Vec::with_capacity(creates.len());
    let mut creates = creates.into_iter();
    while let Some((n, r)) = creates.next() {
        let NewCase { tenant, at, actor, person, mut events, notices, idempotency } = *n;
        let at = ms(at);
        let day = civil_date(at);
        let prefix = events.kind_of().prefix();
        let Some(seq) = next_seq.get_mut(&(prefix.to_owned(), day)) else {
            done.push(Done::Case(r, Box::new(Err(StoreError::Database(format!("no case number for {day}"))))));
            continue;
        };
        let id = CaseId::new(prefix, day, *seq);
        *seq += 1;
        let person = match person {
            None => None,
            Some(p) => {
                let Some(pid) = person_ids.next() else {
                    done.push(Done::Case(r, Box::new(Err(StoreError::Database("no person id".into())))));
                    continue;
                };
                events.set_person(pid);
                Some((pid, p))
            }
        };
        match link(numbers.hash, tenant.as_str(), &id, None, (0, chain::GENESIS.to_owned()), at, &actor, events) {
            Ok((l, state)) => {
                let shown = state.project();
                linked.push((tenant, id, at, person, l, state, shown, notices, idempotency, r));
            }
            // A case that cannot be linked (a bug) fails its batch: its number and
            // person are taken.
            Err(e) => {
                let msg = e.to_string();
                done.push(Done::Case(r, Box::new(Err(e))));
                for (_, r) in creates {
                    done.push(Done::Case(r, Box::new(Err(StoreError::Database(msg.clone())))));
                }
                for (.., r) in linked {
                    done.push(Done::Case(r, Box::new(Err(StoreError::Database(msg.clone())))));
                }
                return Err(StoreError::Database(msg));
            }
        }
    }
    // The one thing that refuses a new case: a tracking code another case has, or
    // one given twice in the batch (the app draws another). The codes are locked
    // first (advisory locks, in one order, as `Keys::lock` locks Idempotency-Keys):
    // a case the other writer or another process is creating with the same code,
    // uncommitted and so unseen, is waited for and then seen, and only the case that
    // came second is refused. Unlocked, both passed this check and the second batch
    // failed whole on the unique constraint, its unrelated cases with it (two 免申即享
    // runs at once, whose grants' codes are the enterprise's and the period's).
    let codes: Vec<String> = linked.iter().filter_map(|x| x.6.header.tracking_code.clone()).collect();
    let locked = if codes.is_empty() {
        Ok(0)
    } else {
        conn.execute(
            "SELECT pg_advisory_xact_lock(h) FROM (
                SELECT DISTINCT hashtextextended('tracking_code' || chr(31) || c, 0) AS h FROM unnest($1::text[]) AS c
                ORDER BY h
             ) o",
            &[&codes],
        )
    };
    let taken = locked
        .and_then(|_| conn.query("SELECT tracking_code FROM case_header WHERE tracking_code = ANY($1)", &[&codes]))
        .and_then(|rows| rows.iter().map(|r| col::<String>(r, 0)).collect::<Result<HashSet<String>>>());
    let mut taken = match taken {
        Ok(t) => t,
        Err(e) => {
            let msg = e.to_string();
            for (.., r) in linked {
                done.push(Done::Case(r, Box::new(Err(StoreError::Database(msg.clone())))));
            }
            return Err(e);
        }
    };
    for (tenant, id, at, person, l, state, shown, notices, key, r) in linked {
        if let Some(c) = &shown.header.tracking_code
            && !taken.insert(c.clone())
        {
            done.push(Done::Case(r, Box::new(Err(StoreError::Duplicate("case_header.tracking_code".into())))));
            continue;
        }
        if let Err(e) = keys.take(key, &id, at) {
            done.push(Done::Case(r, Box::new(Err(e))));
            continue;
        }
        if let Some((pid, p)) = person {
            let (sealed, key) = numbers.keys.seal(tenant.as_str(), pid, p);
            rows.person(tenant.as_str(), pid, sealed, key, at, state.kind_of().found_by_phone());
        }
        rows.events(tenant.as_str(), &id, state.kind(), l, at, at)?;
        rows.notices(tenant.as_str(), &id, notices, at);
        rows.project(tenant.as_str(), &state, shown, None, true);
        done.push(Done::Case(r, Box::new(Ok(state))));
    }
    Ok(())
}

/// Answers a request with what linking it gave. A failure (only a bug can cause
/// one) fails the batch: the requests not yet linked, `rest`, are answered with it.
fn answer<T>(
    written: Result<Case>,
    r: Reply<Case>,
    rest: &mut impl Iterator<Item = (T, Reply<Case>)>,
    done: &mut Vec<Done>,
) -> Result<()> {
    let failed = written.as_ref().err().map(|e| StoreError::Database(e.to_string()));
    done.push(Done::Case(r, Box::new(written)));
    match failed {
        Some(e) => Err(fail_all(rest.collect(), done, e)),
        None => Ok(()),
    }
}

/// Answers every request of `jobs` with `e` (they never ran) and gives it back.
fn fail_all<T>(jobs: Vec<(T, Reply<Case>)>, done: &mut Vec<Done>, e: StoreError) -> StoreError {
    let msg = e.to_string();
    for (_, r) in jobs {
        done.push(Done::Case(r, Box::new(Err(StoreError::Database(msg.clone())))));
    }
    e
}

/// Appends: locks the heads of the chains, refuses what is stale or unknown, links
/// the rest (several appends to one case in a batch chain on each other) and adds
/// their rows.
fn append(
    conn: &mut Conn,
    hash: HashAlg,
    appends: Appends,
    rows: &mut Rows,
    keys: &mut Keys,
    done: &mut Vec<Done>,
) -> Result<()> {
    if appends.is_empty() {
        return Ok(());
    }
    let (tenants, cases): (Vec<String>, Vec<String>) =
        appends.iter().map(|(b, _)| (b.tenant.as_str().to_owned(), b.before.id().to_string())).unzip();
    // FOR UPDATE: another process appending to the same cases waits for this commit,
    // then sees the new heads and reports a conflict.
    let found = conn
        .query(
            "SELECT h.tenant, h.case_id, h.seq, h.hash FROM chain_head h
             JOIN unnest($1::text[], $2::text[]) AS x(t, c) ON h.tenant = x.t AND h.case_id = x.c
             ORDER BY h.tenant, h.case_id FOR UPDATE OF h",
            &[&tenants, &cases],
        )
        .and_then(|found| {
            found
                .iter()
                .map(|r| Ok(((col(r, 0)?, col(r, 1)?), (uint(col::<i32>(r, 2)?)?, col(r, 3)?))))
                .collect::<Result<HashMap<(String, String), (u32, String)>>>()
        });
    let mut heads = match found {
        Ok(h) => h,
        Err(e) => return Err(fail_all(appends, done, e)),
    };
    let mut appends = appends.into_iter();
    while let Some((b, r)) = appends.next() {
        let AppendBatch { tenant, before, at, actor, events, shown, notices, idempotency } = *b;
        let key = (tenant.as_str().to_owned(), before.id().to_string());
        let Some(head) = heads.get(&key).cloned() else {
            done.push(Done::Case(r, Box::new(Err(StoreError::NotFound(format!("case {}", before.id()))))));
            continue;
        };
        if head.0 != before.version() {
            let e = StoreError::Conflict { case: before.id().clone(), expected: before.version(), found: head.0 };
            done.push(Done::Case(r, Box::new(Err(e))));
            continue;
        }
        if events.is_empty() {
            done.push(Done::Case(r, Box::new(Ok(before))));
            continue;
        }
        let text = events.touches_text();
        let at = ms(at);
        let id = before.id().clone();
        if let Err(e) = keys.take(idempotency, &id, at) {
            done.push(Done::Case(r, Box::new(Err(e))));
            continue;
        }
        let written =
            link(hash, tenant.as_str(), &id, Some(before), head, at, &actor, events).and_then(|(linked, state)| {
                heads.insert(key, (linked.head().0, linked.head().1.to_owned()));
                rows.events(tenant.as_str(), &id, state.kind(), linked, at, at)?;
                rows.notices(tenant.as_str(), &id, notices, at);
                rows.project(tenant.as_str(), &state, state.project(), Some(&shown), text);
                Ok(state)
            });
        answer(written, r, &mut appends, done)?;
    }
    Ok(())
}
