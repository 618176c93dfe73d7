//! The anchored record on PostgreSQL (`crate::anchor`), as on SQLite.

use super::codec::col;
use super::{Conn, PgStore};
use crate::anchor::{self, AccessRow, AnchorBreak, AnchorReport, Checkpoint, HeadRow, Sealer, SecurityArchive, Signer};
use crate::{Result, SecurityEvent, StoreError};
use postgres::Row;
use yiwang_core::Instant;

/// Rows read per query when feeding a sealer.
const CHUNK: i64 = 10_000;

fn checkpoint_row(r: &Row) -> Result<Checkpoint> {
    Ok(Checkpoint {
        n: col(r, 0)?,
        at: col(r, 1)?,
        heads: col(r, 2)?,
        accesses: col(r, 3)?,
        digest: col(r, 4)?,
        key_id: col(r, 5)?,
        signature: col(r, 6)?,
    })
}

/// Runs `f` on checkpoint `n`'s rows of `sql` (which pages by `id > $2` and `LIMIT $3`
/// and gives `id` first), a chunk at a time, in id order.
fn each_row(c: &mut Conn, sql: &str, n: i64, mut f: impl FnMut(&Row) -> Result<()>) -> Result<()> {
    let mut after = 0i64;
    loop {
        let rows = c.query(sql, &[&n, &after, &CHUNK])?;
        for r in &rows {
            after = col(r, 0)?;
            f(r)?;
        }
        if (rows.len() as i64) < CHUNK {
            return Ok(());
        }
    }
}

/// Feeds `s` checkpoint `n`'s rows: its heads, then its access-log entries, then its
/// security events (`archived`, when they were moved out), in id order.
fn feed(c: &mut Conn, n: i64, s: &mut Sealer, archived: Option<&[SecurityEvent]>) -> Result<()> {
    each_row(
        c,
        "SELECT id, tenant, case_id, seq, hash FROM head_log WHERE checkpoint = $1 AND id > $2 ORDER BY id LIMIT $3",
        n,
        |r| {
            let seq: i32 = col(r, 3)?;
            s.head(&HeadRow {
                id: col(r, 0)?,
                tenant: col(r, 1)?,
                case_id: col(r, 2)?,
                seq: seq.into(),
                hash: col(r, 4)?,
            });
            Ok(())
        },
    )?;
    each_row(
        c,
        "SELECT id, at, actor, case_id, person_id, what FROM access_log
         WHERE checkpoint = $1 AND id > $2 ORDER BY id LIMIT $3",
        n,
        |r| {
            s.access(&AccessRow {
                id: col(r, 0)?,
                at: col(r, 1)?,
                actor: col(r, 2)?,
                case_id: col(r, 3)?,
                person: col(r, 4)?,
                what: col(r, 5)?,
            });
            Ok(())
        },
    )?;
    if let Some(events) = archived {
        events.iter().for_each(|e| s.security(e));
        return Ok(());
    }
    each_row(
        c,
        "SELECT id, at, kind, username, address, detail FROM security_event
         WHERE checkpoint = $1 AND id > $2 ORDER BY id LIMIT $3",
        n,
        |r| {
            s.security(&super::read::security_row(r)?);
            Ok(())
        },
    )
}

impl PgStore {
    /// In the writer's transaction: rows logged by a transaction still open stay
    /// unsealed (they are not visible to the UPDATE) and go to the next checkpoint.
    pub(super) fn seal_anchor(&self, at: Instant, signer: Signer) -> Result<Option<Checkpoint>> {
        // Stored to the millisecond: the exported checkpoint equals the stored one.
        let at = crate::link::trunc_ms(at);
        let alg = self.hash;
        self.write(move |c| {
            let last = c.query_opt("SELECT n, digest FROM checkpoint ORDER BY n DESC LIMIT 1", &[])?;
            let (n, prev): (i64, String) = match last {
                Some(r) => (col::<i64>(&r, 0)? + 1, col(&r, 1)?),
                None => (1, anchor::GENESIS.to_owned()),
            };
            let heads = c.execute("UPDATE head_log SET checkpoint = $1 WHERE checkpoint IS NULL", &[&n])?;
            let accesses = c.execute("UPDATE access_log SET checkpoint = $1 WHERE checkpoint IS NULL", &[&n])?
                + c.execute("UPDATE security_event SET checkpoint = $1 WHERE checkpoint IS NULL", &[&n])?;
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
                "INSERT INTO checkpoint (n, at, heads, accesses, digest, key_id, signature)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&cp.n, &cp.at, &cp.heads, &cp.accesses, &cp.digest, &cp.key_id, &cp.signature],
            )?;
            Ok(Some(cp))
        })
    }

    pub(super) fn security_before(&self, before: Instant) -> Result<SecurityArchive> {
        self.read(|c| {
            let due = c.query(
                "SELECT n FROM checkpoint WHERE security_archived_at IS NULL AND at < $1 ORDER BY n",
                &[&before],
            )?;
            let mut out = SecurityArchive::new();
            for r in &due {
                let n: i64 = col(r, 0)?;
                let rows = c.query(
                    "SELECT id, at, kind, username, address, detail FROM security_event WHERE checkpoint = $1 ORDER BY id",
                    &[&n],
                )?;
                out.insert(n, rows.iter().map(super::read::security_row).collect::<Result<_>>()?);
            }
            Ok(out)
        })
    }

    pub(super) fn drop_archived(&self, checkpoints: Vec<i64>, before: Instant, at: Instant) -> Result<u64> {
        self.write(move |c| {
            // All checked before anything is deleted.
            let mut due = vec![];
            for n in checkpoints {
                let found =
                    c.query_opt("SELECT at, security_archived_at IS NOT NULL FROM checkpoint WHERE n = $1", &[&n])?;
                let Some(r) = found else { return Err(StoreError::NotFound(format!("checkpoint {n}"))) };
                let (sealed, archived): (Instant, bool) = (col(&r, 0)?, col(&r, 1)?);
                if sealed >= before {
                    return Err(StoreError::Database(format!(
                        "checkpoint {n} was sealed at {sealed}, within the period its security events are kept"
                    )));
                }
                if !archived {
                    due.push(n);
                }
            }
            let mut dropped = 0;
            for n in due {
                dropped += c.execute("DELETE FROM security_event WHERE checkpoint = $1", &[&n])?;
                c.execute("UPDATE checkpoint SET security_archived_at = $2 WHERE n = $1", &[&n, &at])?;
            }
            Ok(dropped)
        })
    }

    pub(super) fn check_anchor_log(&self, archive: &SecurityArchive) -> Result<AnchorReport> {
        self.read(|c| {
            let rows =
                c.query("SELECT n, at, heads, accesses, digest, key_id, signature FROM checkpoint ORDER BY n", &[])?;
            let archived =
                c.query("SELECT n FROM checkpoint WHERE security_archived_at IS NOT NULL ORDER BY n", &[])?;
            let mut report = AnchorReport {
                checkpoints: rows.iter().map(checkpoint_row).collect::<Result<_>>()?,
                archived: archived.iter().map(|r| col(r, 0)).collect::<Result<_>>()?,
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
            let count = |c: &mut Conn, sql: &str| -> Result<u64> {
                let r = c.query_opt(sql, &[])?;
                Ok(r.map(|r| col::<i64>(&r, 0)).transpose()?.unwrap_or(0) as u64)
            };
            report.unsealed_heads = count(c, "SELECT count(*) FROM head_log WHERE checkpoint IS NULL")?;
            report.unsealed_accesses = count(
                c,
                "SELECT (SELECT count(*) FROM access_log WHERE checkpoint IS NULL)
                      + (SELECT count(*) FROM security_event WHERE checkpoint IS NULL)",
            )?;
            for r in c.query(
                "SELECT h.case_id, h.seq, e.hash IS NULL FROM head_log h
                 LEFT JOIN event e ON e.tenant = h.tenant AND e.case_id = h.case_id AND e.seq = h.seq
                 WHERE e.hash IS NULL OR e.hash <> h.hash ORDER BY h.id",
                &[],
            )? {
                let (case, seq, gone): (String, i32, bool) = (col(&r, 0)?, col(&r, 1)?, col(&r, 2)?);
                let seq = seq.into();
                report.breaks.push(if gone {
                    AnchorBreak::Missing { case, seq }
                } else {
                    AnchorBreak::Rewritten { case, seq }
                });
            }
            for r in c.query(
                "SELECT c.case_id, c.seq FROM chain_head c
                 WHERE NOT EXISTS (SELECT 1 FROM head_log h WHERE h.tenant = c.tenant AND h.case_id = c.case_id
                                   AND h.seq = c.seq AND h.hash = c.hash)
                 ORDER BY c.case_id",
                &[],
            )? {
                let seq: i32 = col(&r, 1)?;
                report.breaks.push(AnchorBreak::Unlogged { case: col(&r, 0)?, seq: seq.into() });
            }
            Ok(report)
        })
    }
}
