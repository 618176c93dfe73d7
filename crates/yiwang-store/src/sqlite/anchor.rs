//! The anchored record on SQLite (`crate::anchor`): sealing a checkpoint on the writer
//! thread, and checking the log against the events and the checkpoints.

use super::codec::{parse_ts, ts};
use super::{SqliteStore, map_err};
use crate::anchor::{self, AccessRow, AnchorBreak, AnchorReport, Checkpoint, HeadRow, Sealer, SecurityArchive, Signer};
use crate::{Result, SecurityEvent, StoreError};
use rusqlite::{Connection, OptionalExtension, Row, params};
use yiwang_core::Instant;
use yiwang_core::chain::HashAlg;

fn head_row(r: &Row<'_>) -> rusqlite::Result<HeadRow> {
    Ok(HeadRow { id: r.get(0)?, tenant: r.get(1)?, case_id: r.get(2)?, seq: r.get(3)?, hash: r.get(4)? })
}

fn access_row(r: &Row<'_>) -> rusqlite::Result<AccessRow> {
    let at: String = r.get(1)?;
    Ok(AccessRow {
        id: r.get(0)?,
        at: parse_ts(&at)?,
        actor: r.get(2)?,
        case_id: r.get(3)?,
        person: r.get(4)?,
        what: r.get(5)?,
    })
}

fn checkpoint_row(r: &Row<'_>) -> rusqlite::Result<Checkpoint> {
    let at: String = r.get(1)?;
    Ok(Checkpoint {
        n: r.get(0)?,
        at: parse_ts(&at)?,
        heads: r.get(2)?,
        accesses: r.get(3)?,
        digest: r.get(4)?,
        key_id: r.get(5)?,
        signature: r.get(6)?,
    })
}

/// Feeds `s` checkpoint `n`'s rows: its heads, then its access-log entries, then its
/// security events (`archived`, when they were moved out), in id order.
fn feed(c: &Connection, n: i64, s: &mut Sealer, archived: Option<&[SecurityEvent]>) -> rusqlite::Result<()> {
    let mut heads =
        c.prepare_cached("SELECT id, tenant, case_id, seq, hash FROM head_log WHERE checkpoint = ?1 ORDER BY id")?;
    for h in heads.query_map([n], head_row)? {
        s.head(&h?);
    }
    let mut accesses = c.prepare_cached(
        "SELECT id, at, actor, case_id, person_id, what FROM access_log WHERE checkpoint = ?1 ORDER BY id",
    )?;
    for a in accesses.query_map([n], access_row)? {
        s.access(&a?);
    }
    if let Some(events) = archived {
        events.iter().for_each(|e| s.security(e));
        return Ok(());
    }
    let mut events = c.prepare_cached(
        "SELECT id, at, kind, username, address, detail FROM security_event WHERE checkpoint = ?1 ORDER BY id",
    )?;
    for e in events.query_map([n], super::read::security_row)? {
        s.security(&e?);
    }
    Ok(())
}

impl SqliteStore {
    pub(super) fn seal_anchor(&self, at: Instant, signer: Signer) -> Result<Option<Checkpoint>> {
        // Stored to the millisecond: the exported checkpoint equals the stored one.
        let at = crate::link::trunc_ms(at);
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let alg = self.people.hash;
        self.writer.exec(move |c| {
            let sealed = seal(c, at, signer, alg).map_err(map_err)?;
            let _ = tx.send(sealed);
            Ok(())
        })?;
        rx.recv().map_err(|_| StoreError::Closed)
    }

    pub(super) fn check_anchor_log(&self, archive: &SecurityArchive) -> Result<AnchorReport> {
        self.read(|c| {
            let mut report = AnchorReport {
                checkpoints: c
                    .prepare("SELECT n, at, heads, accesses, digest, key_id, signature FROM checkpoint ORDER BY n")?
                    .query_map([], checkpoint_row)?
                    .collect::<rusqlite::Result<_>>()?,
                archived: c
                    .prepare("SELECT n FROM checkpoint WHERE security_archived_at IS NOT NULL ORDER BY n")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?,
                ..Default::default()
            };
            let mut check = anchor::SealCheck::new();
            for cp in &report.checkpoints {
                let archived = report.archived.binary_search(&cp.n).is_ok();
                let events = archive.get(&cp.n).map(Vec::as_slice);
                if archived && events.is_none() {
                    check.skip(cp, &mut report.breaks);
                    report.unchecked.push(cp.n);
                    continue;
                }
                let mut s = check.sealer(cp);
                feed(c, cp.n, &mut s, events.filter(|_| archived))?;
                check.check(cp, s, &mut report.breaks);
            }
            report.unsealed_heads =
                c.query_row("SELECT count(*) FROM head_log WHERE checkpoint IS NULL", [], |r| r.get(0))?;
            report.unsealed_accesses = c.query_row(
                "SELECT (SELECT count(*) FROM access_log WHERE checkpoint IS NULL)
                      + (SELECT count(*) FROM security_event WHERE checkpoint IS NULL)",
                [],
                |r| r.get(0),
            )?;
            // Every logged head is the hash of the event at its number.
            let mut s = c.prepare(
                "SELECT h.case_id, h.seq, e.hash IS NULL FROM head_log h
                 LEFT JOIN event e ON e.case_id = h.case_id AND e.seq = h.seq
                 WHERE e.hash IS NULL OR e.hash <> h.hash ORDER BY h.id",
            )?;
            for r in s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, bool>(2)?)))? {
                let (case, seq, gone) = r?;
                report.breaks.push(if gone {
                    AnchorBreak::Missing { case, seq }
                } else {
                    AnchorBreak::Rewritten { case, seq }
                });
            }
            // Every head was logged. A join, not NOT EXISTS: SQLite builds a transient
            // index over the log for it, where the correlated subquery scanned the
            // whole log once per case (hours at a million cases).
            let mut s = c.prepare(
                "SELECT c.case_id, c.seq FROM chain_head c
                 LEFT JOIN head_log h ON h.case_id = c.case_id AND h.seq = c.seq AND h.hash = c.hash
                 WHERE h.id IS NULL
                 ORDER BY c.case_id",
            )?;
            for r in s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
                let (case, seq) = r?;
                report.breaks.push(AnchorBreak::Unlogged { case, seq });
            }
            Ok(report)
        })
    }
}

impl SqliteStore {
    pub(super) fn security_before(&self, before: Instant) -> Result<SecurityArchive> {
        self.read(|c| {
            let due: Vec<(i64, String)> = c
                .prepare("SELECT n, at FROM checkpoint WHERE security_archived_at IS NULL ORDER BY n")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = SecurityArchive::new();
            let mut events = c.prepare(
                "SELECT id, at, kind, username, address, detail FROM security_event WHERE checkpoint = ?1 ORDER BY id",
            )?;
            for (n, at) in due {
                if parse_ts(&at)? >= before {
                    break;
                }
                let e = events.query_map([n], super::read::security_row)?.collect::<rusqlite::Result<_>>()?;
                out.insert(n, e);
            }
            Ok(out)
        })
    }

    pub(super) fn drop_archived(&self, checkpoints: Vec<i64>, before: Instant, at: Instant) -> Result<u64> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.writer.exec(move |c| {
            // All checked before anything is deleted.
            let mut due = vec![];
            for n in checkpoints {
                let found: Option<(String, Option<String>)> = c
                    .query_row("SELECT at, security_archived_at FROM checkpoint WHERE n = ?1", [n], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()
                    .map_err(map_err)?;
                let Some((sealed, archived)) = found else {
                    return Err(StoreError::NotFound(format!("checkpoint {n}")));
                };
                if parse_ts(&sealed).map_err(map_err)? >= before {
                    return Err(StoreError::Database(format!(
                        "checkpoint {n} was sealed at {sealed}, within the period its security events are kept"
                    )));
                }
                if archived.is_none() {
                    due.push(n);
                }
            }
            let mut dropped = 0;
            for n in due {
                dropped += c.execute("DELETE FROM security_event WHERE checkpoint = ?1", [n]).map_err(map_err)?;
                c.execute("UPDATE checkpoint SET security_archived_at = ?2 WHERE n = ?1", params![n, ts(at)])
                    .map_err(map_err)?;
            }
            let _ = tx.send(dropped as u64);
            Ok(())
        })?;
        rx.recv().map_err(|_| StoreError::Closed)
    }
}

/// Seals what was logged since the last checkpoint in checkpoint n + 1, inside the
/// writer's transaction; `None` when nothing was.
fn seal(c: &Connection, at: Instant, signer: Signer, alg: HashAlg) -> rusqlite::Result<Option<Checkpoint>> {
    let last: Option<(i64, String)> = c
        .query_row("SELECT n, digest FROM checkpoint ORDER BY n DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (n, prev) = match last {
        Some((n, digest)) => (n + 1, digest),
        None => (1, anchor::GENESIS.to_owned()),
    };
    let heads = c.execute("UPDATE head_log SET checkpoint = ?1 WHERE checkpoint IS NULL", [n])?;
    let accesses = c.execute("UPDATE access_log SET checkpoint = ?1 WHERE checkpoint IS NULL", [n])?
        + c.execute("UPDATE security_event SET checkpoint = ?1 WHERE checkpoint IS NULL", [n])?;
    if heads == 0 && accesses == 0 {
        return Ok(None);
    }
    let mut s = Sealer::new(&prev, alg);
    feed(c, n, &mut s, None)?;
    let (heads, accesses) = (s.heads, s.accesses);
    let digest = s.finish();
    let message = anchor::message(n, at, heads, accesses, &digest, &signer.key_id);
    let signature = (signer.sign)(message.as_bytes());
    let cp = Checkpoint { n, at, heads, accesses, digest, key_id: signer.key_id, signature };
    c.execute(
        "INSERT INTO checkpoint (n, at, heads, accesses, digest, key_id, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![cp.n, ts(cp.at), cp.heads, cp.accesses, cp.digest, cp.key_id, cp.signature],
    )?;
    Ok(Some(cp))
}
