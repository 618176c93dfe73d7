//! Group commit on PostgreSQL, with the SQLite writer's contract: one thread owns the
//! write connection, takes every request queued since its last commit, runs each
//! inside a savepoint (so one refused request does not undo the others), commits them
//! all in one transaction, and only then answers each request. An answer therefore
//! always means "committed".
//!
//! Round trips dominate the cost on a network, so a request spends few: one to move
//! the savepoint (`RELEASE` and `SAVEPOINT` go together), one to read the chain head
//! or allocate the case number, and one statement that writes the events, the chain
//! head and every projection (`projection::WRITE_SQL`).

use super::projection::{EventRows, Projection, Reindex, write};
use super::{Conn, col, int, ms, uint};
use crate::commit::{self, Done};
use crate::{AppendBatch, NewCase, Result, StoreError};
use std::sync::mpsc;
use yiwang_core::Instant;
use yiwang_core::appeal::{Appeal, AppealEvent};
use yiwang_core::calendar::civil_date;
use yiwang_core::chain;
use yiwang_core::id::{CaseId, PersonId};
use yiwang_core::org::Actor;

/// The most requests one commit takes; bounds the latency a batch adds.
const MAX_BATCH: usize = 1024;

type ExecFn = Box<dyn FnOnce(&mut Conn) -> Result<()> + Send>;
type Job = commit::Job<ExecFn>;
pub(crate) type Writer = commit::Writer<ExecFn>;

impl Writer {
    /// Starts the writer on `conn`; `url` reconnects it when the server drops it.
    pub(crate) fn start(conn: Conn, url: String) -> Self {
        Writer::spawn("yiwang-pg-writer", move |rx| run(conn, &url, rx))
    }

    pub(crate) fn exec(&self, f: impl FnOnce(&mut Conn) -> Result<()> + Send + 'static) -> Result<()> {
        self.submit(|r| Job::Exec(Box::new(f), r)).wait()
    }
}

fn run_job(job: Job, conn: &mut Conn) -> Done {
    match job {
        Job::Create(n, r) => Done::Appeal(r, Box::new(create(conn, *n))),
        Job::Append(b, r) => Done::Appeal(r, Box::new(append(conn, *b))),
        // Each job has a savepoint here anyway (see `commit_batch`).
        Job::Exec(f, r) | Job::Checked(f, r) => Done::Unit(r, f(conn)),
    }
}

fn run(mut conn: Conn, url: &str, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        // A restarted server or a dropped connection costs one batch at most.
        if conn.is_closed() {
            match Conn::connect(url) {
                Ok(c) => conn = c,
                Err(e) => {
                    let msg = format!("cannot reconnect: {e}");
                    tracing::error!("{msg}");
                    jobs.into_iter().for_each(|j| j.refuse(&msg));
                    continue;
                }
            }
        }
        commit_batch(&mut conn, jobs);
    }
}

fn commit_batch(conn: &mut Conn, jobs: Vec<Job>) {
    if let Err(e) = conn.batch("BEGIN; SAVEPOINT job") {
        let msg = e.to_string();
        let _ = conn.batch("ROLLBACK");
        jobs.into_iter().for_each(|j| j.refuse(&msg));
        return;
    }
    let n = jobs.len();
    let mut done = Vec::with_capacity(n);
    let mut broken: Option<String> = None;
    for (i, job) in jobs.into_iter().enumerate() {
        if let Some(msg) = &broken {
            job.refuse(msg);
            continue;
        }
        let d = run_job(job, conn);
        // After a failure the savepoint still marks where the job began, so rolling
        // back to it leaves it ready for the next job. After a success the next job
        // needs a savepoint of its own; the last job's is released by COMMIT.
        let step = if d.failed() {
            conn.batch("ROLLBACK TO SAVEPOINT job")
        } else if i + 1 < n {
            conn.batch("RELEASE SAVEPOINT job; SAVEPOINT job")
        } else {
            Ok(())
        };
        done.push(d);
        if let Err(e) = step {
            // The transaction can no longer be trusted: nothing in it will commit.
            broken = Some(format!("transaction failed: {e}"));
        }
    }
    let commit = match &broken {
        Some(msg) => Err(msg.clone()),
        None => conn.batch("COMMIT").map_err(|e| format!("commit failed: {e}")),
    };
    match commit {
        Ok(()) => done.into_iter().for_each(Done::send),
        Err(msg) => {
            let _ = conn.batch("ROLLBACK");
            tracing::error!("{msg}");
            done.into_iter().for_each(|d| d.fail(&msg).send());
        }
    }
}

fn create(conn: &mut Conn, mut n: NewCase) -> Result<Appeal> {
    let at = ms(n.at);
    let day = civil_date(at);
    let p = n.person.take();
    // The case number and the person's id in one round trip; the person row is
    // inserted only when there is one.
    let row = conn.query_one(
        "WITH c AS (
            INSERT INTO case_counter (day, last_seq, created_at) VALUES ($1, 1, $2)
            ON CONFLICT (day) DO UPDATE SET last_seq = case_counter.last_seq + 1 RETURNING last_seq
         ), p AS (
            INSERT INTO person (tenant, name, phone, phone_digest, id_number, contact, created_at)
            SELECT $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $2::timestamptz WHERE $9::boolean
            RETURNING id
         )
         SELECT c.last_seq, p.id FROM c LEFT JOIN p ON true",
        &[
            &day,
            &at,
            &n.tenant.as_str(),
            &p.as_ref().and_then(|p| p.name.as_deref()),
            &p.as_ref().and_then(|p| p.phone.as_deref()),
            &p.as_ref().and_then(|p| p.phone_digest.as_deref()),
            &p.as_ref().and_then(|p| p.id_number.as_deref()),
            &p.as_ref().and_then(|p| p.contact.as_deref()),
            &p.is_some(),
        ],
    )?;
    let seq = uint(col::<i32>(&row, 0)?)?;
    let id = CaseId::new(&n.prefix, day, seq);
    if let (Some(pid), AppealEvent::Accepted { citizen, .. }) = (col::<Option<i64>>(&row, 1)?, &mut n.event) {
        *citizen = Some(PersonId(pid));
    }
    let (rows, state) =
        chain_events(n.tenant.as_str(), &id, None, (0, chain::GENESIS.to_owned()), at, &n.actor, vec![n.event])?;
    write(conn, &rows, &Projection::of(n.tenant.as_str(), &state, Reindex::Text)?)?;
    Ok(state)
}

fn append(conn: &mut Conn, b: AppendBatch) -> Result<Appeal> {
    let id = b.before.id.clone();
    // FOR UPDATE: another process appending to the same case waits for this commit,
    // then sees the new head and reports a conflict.
    let head = conn
        .query_opt(
            "SELECT seq, hash FROM chain_head WHERE tenant = $1 AND case_id = $2 FOR UPDATE",
            &[&b.tenant.as_str(), &id.as_str()],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("case {id}")))?;
    let found = uint(col::<i32>(&head, 0)?)?;
    if found != b.before.version {
        return Err(StoreError::Conflict { case: id, expected: b.before.version, found });
    }
    if b.events.is_empty() {
        return Ok(b.before);
    }
    let at = ms(b.at);
    // The searchable text (title, text, address, reply) changes only with a reply or a
    // reopen; other events leave the search vector as it is.
    let text = if b.events.iter().any(|e| matches!(e, AppealEvent::Replied { .. } | AppealEvent::Reopened { .. })) {
        Reindex::Text
    } else {
        Reindex::KeepText
    };
    let tenant = b.tenant.as_str();
    let (rows, state) = chain_events(tenant, &id, Some(b.before), (found, col(&head, 1)?), at, &b.actor, b.events)?;
    write(conn, &rows, &Projection::of(tenant, &state, text)?)?;
    Ok(state)
}

/// Hashes events onto a case's chain, from its head `(seq, hash)`, and folds them into
/// its state (`link::link`), as the columns `projection::write` sends. Nothing is
/// written here.
pub(crate) fn chain_events(
    tenant: &str,
    id: &CaseId,
    before: Option<Appeal>,
    head: (u32, String),
    at: Instant,
    actor: &Actor,
    events: Vec<AppealEvent>,
) -> Result<(EventRows, Appeal)> {
    let (l, state) = crate::link::link(tenant, id, before, head, at, actor, events)?;
    let (head_seq, head_hash) = l.head();
    let mut rows = EventRows {
        seqs: Vec::with_capacity(l.events.len()),
        kinds: Vec::with_capacity(l.events.len()),
        bodies: Vec::with_capacity(l.events.len()),
        prev_hashes: Vec::with_capacity(l.events.len()),
        hashes: Vec::with_capacity(l.events.len()),
        actor: String::new(),
        at,
        alg: crate::link::ALG.as_str(),
        head_seq: int(head_seq)?,
        head_hash: head_hash.to_owned(),
        recorded: at,
    };
    let mut prev = l.prev.1;
    for e in l.events {
        rows.seqs.push(int(e.seq)?);
        rows.kinds.push(e.kind);
        rows.bodies.push(e.body);
        rows.prev_hashes.push(std::mem::replace(&mut prev, e.hash.clone()));
        rows.hashes.push(e.hash);
    }
    rows.actor = l.actor;
    Ok((rows, state))
}
