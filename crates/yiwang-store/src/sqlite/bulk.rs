//! Bulk import of whole cases (`Store::import_cases`): one transaction per call on the
//! writer thread, through the same code as live writes — `write_events` for the hash
//! chain, `project` for the projections — so an imported case is stored exactly as if
//! it had been recorded event by event.
//!
//! What differs from live writes is only the bookkeeping around them: the case number
//! comes with the case, so the day counters are raised afterwards rather than
//! allocated, and the projections are written once from the final state instead of
//! after every append.

use super::projection::{Reindex, project, write_search_texts};
use super::writer::write_events;
use super::{map_err, trunc_ms, ts};
use crate::{ImportedCase, Result, StoreError};
use rusqlite::{Connection, params};
use std::collections::{BTreeMap, HashSet};
use yiwang_core::appeal::AppealEvent;
use yiwang_core::id::PersonId;

/// Writes `cases` on the writer's connection, inside the transaction it runs in.
pub(crate) fn import_cases(conn: &Connection, cases: Vec<ImportedCase>) -> Result<()> {
    check(conn, &cases)?;
    let mut texts = Vec::with_capacity(cases.len());
    // The highest imported number of each day, to raise the day counters once.
    let mut days: BTreeMap<String, (u32, String)> = BTreeMap::new();
    for c in cases {
        if let Some((day, seq)) = number_of(&c) {
            let created = ts(c.events.first().map(|e| e.at).unwrap_or_default());
            let e = days.entry(day).or_insert((0, created));
            e.0 = e.0.max(seq);
        }
        import_case(conn, c, &mut texts)?;
    }
    let mut raise = conn
        .prepare_cached(
            "INSERT INTO case_counter (day, last_seq, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (day) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)",
        )
        .map_err(map_err)?;
    for (day, (seq, created)) in days {
        raise.execute(params![day, seq, created]).map_err(map_err)?;
    }
    // Last: FTS5 flushes its pending terms at every statement savepoint, so its
    // inserts go after every other statement (see `projection::write_search_texts`).
    write_search_texts(conn, &texts)
}

/// Everything that can refuse a batch, before anything is written: the writes are
/// `OR ROLLBACK` (see `writer`), so a constraint they meet would end the whole
/// transaction, not only this job.
fn check(conn: &Connection, cases: &[ImportedCase]) -> Result<()> {
    let mut stored_case = conn.prepare_cached("SELECT 1 FROM chain_head WHERE case_id = ?1").map_err(map_err)?;
    let mut stored_code = conn.prepare_cached("SELECT 1 FROM appeal WHERE tracking_code = ?1").map_err(map_err)?;
    let (mut ids, mut codes) = (HashSet::new(), HashSet::new());
    for c in cases {
        let Some(AppealEvent::Accepted { tracking_code, .. }) = c.events.first().map(|e| &e.event) else {
            return Err(StoreError::Corrupt(format!("imported case {} does not start with Accepted", c.id)));
        };
        if !ids.insert(c.id.as_str()) || stored_case.exists([c.id.as_str()]).map_err(map_err)? {
            return Err(StoreError::Duplicate(format!("case {}", c.id)));
        }
        if !codes.insert(tracking_code.as_str()) || stored_code.exists([tracking_code.as_str()]).map_err(map_err)? {
            return Err(StoreError::Duplicate(format!("appeal.tracking_code of case {}", c.id)));
        }
    }
    Ok(())
}

fn import_case(conn: &Connection, mut c: ImportedCase, texts: &mut Vec<super::projection::SearchText>) -> Result<()> {
    let tenant = c.tenant.as_str();
    if let Some(p) = &c.person {
        let at = ts(trunc_ms(c.events[0].at));
        conn.prepare_cached(
            "INSERT OR ROLLBACK INTO person (tenant, name, phone, phone_digest, id_number, contact, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut s| s.execute(params![tenant, p.name, p.phone, p.phone_digest, p.id_number, p.contact, at]))
        .map_err(map_err)?;
        let pid = PersonId(conn.last_insert_rowid());
        if let AppealEvent::Accepted { citizen, .. } = &mut c.events[0].event {
            *citizen = Some(pid);
        }
    }
    // Events with the same time and actor were one append when recorded live; they
    // are linked as one here too.
    let mut state = None;
    let mut events = c.events.into_iter().peekable();
    while let Some(first) = events.next() {
        let at = trunc_ms(first.at);
        let actor = first.actor;
        let mut group = vec![first.event];
        while let Some(next) = events.next_if(|e| trunc_ms(e.at) == at && e.actor == actor) {
            group.push(next.event);
        }
        state = Some(write_events(conn, tenant, &c.id, state, at, &actor, group)?);
    }
    let state = state.expect("a case has at least its Accepted event");
    project(conn, tenant, None, &state, Reindex::Text, texts)
}

/// The day (`YYYY-MM-DD`, as `case_counter` keys it) and number within the day of a
/// case number `XXyyyymmddnnnnnn`; `None` when the number does not have that shape
/// (a legacy system's own numbering), which no allocated number can collide with.
fn number_of(c: &ImportedCase) -> Option<(String, u32)> {
    let s = c.id.as_str();
    let day = chrono::NaiveDate::parse_from_str(s.get(2..10)?, "%Y%m%d").ok()?;
    let seq: u32 = s.get(10..)?.parse().ok()?;
    Some((day.to_string(), seq))
}
