//! Bulk import of whole cases (`Store::import_cases`), in two steps.
//!
//! `prepare` runs on the importing thread and needs no connection: it gives each
//! person a person id, links each case's events onto a new hash chain (events with
//! the same time and actor are linked as one append, as if recorded live) and computes
//! the projections of the final state, all through the code live writes use
//! (`link::link`, `projection::Rows`). Cases of any kind may be imported together. `write` then runs on the writer thread, in one
//! transaction, and only inserts: the one thread every write passes through does no
//! serialising, hashing or tokenising for an import.
//!
//! What differs from live writes is only the bookkeeping around them: the case number
//! comes with the case, so the day counters are raised afterwards rather than
//! allocated; and the chain head and projections are written once, from the final
//! state, instead of after every append.

use super::projection::{Deferred, Rows};
use super::writer::{INSERT_EVENT, INSERT_HEAD, INSERT_PERSON};
use super::{People, insert_rows, map_err, trunc_ms, ts};
use crate::link::{Linked, link_history};
use crate::{ImportedCase, PersonData, Result, StoreError};
use rusqlite::{Connection, ToSql, params};
use std::collections::{BTreeMap, HashSet};
use yiwang_core::id::{CaseId, PersonId};

/// A case ready to insert.
pub(crate) struct Prepared {
    tenant: String,
    id: CaseId,
    kind: &'static str,
    tracking_code: Option<String>,
    /// Sealed, with the key it is sealed with, and its time.
    person: Option<(PersonId, PersonData, Option<String>, String)>,
    /// Whether its kind is looked up by phone (`Kind::FOUND_BY_PHONE`).
    found_by_phone: bool,
    appends: Vec<Linked>,
    rows: Rows,
}

/// Checks a batch and prepares its cases. Refuses, before anything is written, a case
/// whose history does not open a case of its kind (`Corrupt`) and a case number or
/// tracking code given twice in the batch (`Duplicate`); `write` checks those already
/// stored.
pub(crate) fn prepare(cases: Vec<ImportedCase>, ids: &People) -> Result<Vec<Prepared>> {
    let mut numbers = HashSet::new();
    for c in &cases {
        c.check_opens()?;
        if !numbers.insert(c.id.as_str()) {
            return Err(StoreError::Duplicate(format!("case {}", c.id)));
        }
    }
    let people = cases.iter().filter(|c| c.person.is_some()).count() as i64;
    let mut next_id = ids.take(people);
    let mut codes = HashSet::new();
    cases
        .into_iter()
        .map(|mut c| {
            let tenant = c.tenant.as_str().to_owned();
            let opened = c.appends.first().map(|(at, _, _)| *at).expect("an opening append");
            let person = c.person.take().map(|p| {
                let id = PersonId(next_id);
                next_id += 1;
                if let Some((_, _, first)) = c.appends.first_mut() {
                    first.set_person(id);
                }
                let (sealed, key) = ids.keys.seal(&tenant, id, p);
                (id, sealed, key, ts(trunc_ms(opened)))
            });
            let (appends, state) = link_history(ids.hash, &mut c)?;
            let appends = appends.into_iter().map(|(_, linked)| linked).collect();
            let rows = Rows::of(&tenant, None, &state, true);
            let tracking_code = rows.tracking_code().map(str::to_owned);
            if let Some(code) = &tracking_code
                && !codes.insert(code.clone())
            {
                return Err(StoreError::Duplicate(format!("case_header.tracking_code of case {}", c.id)));
            }
            let found_by_phone = state.kind_of().found_by_phone();
            Ok(Prepared { tenant, id: c.id, kind: state.kind(), tracking_code, person, found_by_phone, appends, rows })
        })
        .collect()
}

/// Writes prepared cases on the writer's connection, inside the transaction it runs
/// in, after checking that none of them is stored already.
pub(crate) fn write(conn: &Connection, cases: &mut [Prepared], recorded: &str) -> Result<()> {
    check_stored(conn, cases)?;
    insert_record(conn, cases, recorded)?;
    let mut deferred = Deferred::default();
    // The highest imported number of each prefix and day, to raise the counters once.
    let mut days: BTreeMap<(String, String), (u32, String)> = BTreeMap::new();
    for c in cases.iter() {
        if let Some((prefix, day, seq)) = number_of(&c.id) {
            let created = c.appends.first().map(|l| l.at.clone()).unwrap_or_default();
            let e = days.entry((prefix, day)).or_insert((0, created));
            e.0 = e.0.max(seq);
        }
    }
    let mut rows: Vec<&mut Rows> = cases.iter_mut().map(|c| &mut c.rows).collect();
    super::projection::write_new(conn, &mut rows, &mut deferred)?;
    let mut raise = conn
        .prepare_cached(
            "UPDATE OR ROLLBACK case_counter SET last_seq = ?3 WHERE prefix = ?1 AND day = ?2 AND last_seq < ?3",
        )
        .map_err(map_err)?;
    let mut start = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO case_counter (prefix, day, last_seq, created_at) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(map_err)?;
    for ((prefix, day), (seq, created)) in days {
        if start.execute(params![prefix, day, seq, created]).map_err(map_err)? == 0 {
            raise.execute(params![prefix, day, seq]).map_err(map_err)?;
        }
    }
    deferred.write(conn)
}

/// Inserts the batch's citizens, events (in order: their rowids are the order they
/// were recorded in) and chain heads, many rows to a statement.
fn insert_record(conn: &Connection, cases: &[Prepared], recorded: &str) -> Result<()> {
    let people: Vec<[&dyn ToSql; 10]> = cases
        .iter()
        .filter_map(|c| c.person.as_ref().map(|(id, p, key, at)| (c, id, p, key, at)))
        .map(|(c, id, p, key, at)| -> [&dyn ToSql; 10] {
            [&id.0, &c.tenant, &p.name, &p.phone, &p.phone_digest, &p.id_number, &p.contact, key, at, &c.found_by_phone]
        })
        .collect();
    insert_rows(conn, INSERT_PERSON, &people)?;
    // Each case's number, and its head: the last event's position and hash.
    let keys: Vec<(&str, u32, &str)> = cases
        .iter()
        .map(|c| {
            let (seq, hash) = c.appends.last().expect("prepared").head();
            (c.id.as_str(), seq, hash)
        })
        .collect();
    let mut events: Vec<[&dyn ToSql; 10]> =
        Vec::with_capacity(cases.iter().flat_map(|c| &c.appends).map(|l| l.events.len()).sum());
    events.extend(
        cases
            .iter()
            .zip(&keys)
            .flat_map(|(c, (id, _, _))| c.appends.iter().flat_map(move |l| l.events.iter().map(move |e| (c, id, l, e))))
            .map(|(c, id, l, e)| -> [&dyn ToSql; 10] {
                [id, &e.seq, &c.tenant, &l.at, &e.kind, &l.actor, &e.body, &l.alg, &e.hash, &recorded]
            }),
    );
    insert_rows(conn, INSERT_EVENT, &events)?;
    let heads: Vec<[&dyn ToSql; 6]> = cases
        .iter()
        .zip(&keys)
        .map(|(c, (id, seq, hash))| -> [&dyn ToSql; 6] {
            [id, &c.tenant, &c.kind, seq, hash, &c.appends.first().expect("prepared").at]
        })
        .collect();
    insert_rows(conn, INSERT_HEAD, &heads)
}

/// Refuses a batch holding a case number or tracking code that is stored already.
fn check_stored(conn: &Connection, cases: &[Prepared]) -> Result<()> {
    // The stored case numbers within the batch's range: one seek, and none at all
    // for a batch of numbers past the last stored, as a load's are.
    let (Some(low), Some(high)) =
        (cases.iter().map(|c| c.id.as_str()).min(), cases.iter().map(|c| c.id.as_str()).max())
    else {
        return Ok(());
    };
    // A batch of legacy numbers may span many stored ones: past twice its own size,
    // each number is looked up instead.
    let cap = 2 * cases.len();
    let stored: HashSet<String> = conn
        .prepare_cached("SELECT case_id FROM chain_head WHERE case_id BETWEEN ?1 AND ?2 LIMIT ?3")
        .and_then(|mut s| s.query_map(params![low, high, cap], |r| r.get(0))?.collect())
        .map_err(map_err)?;
    let whole = stored.len() < cap;
    let mut stored_case = conn.prepare_cached("SELECT 1 FROM chain_head WHERE case_id = ?1").map_err(map_err)?;
    let mut stored_code = conn.prepare_cached("SELECT 1 FROM case_header WHERE tracking_code = ?1").map_err(map_err)?;
    for c in cases {
        let taken = if whole {
            stored.contains(c.id.as_str())
        } else {
            stored_case.exists([c.id.as_str()]).map_err(map_err)?
        };
        if taken {
            return Err(StoreError::Duplicate(format!("case {}", c.id)));
        }
        if let Some(code) = &c.tracking_code
            && stored_code.exists([code.as_str()]).map_err(map_err)?
        {
            return Err(StoreError::Duplicate(format!("case_header.tracking_code of case {}", c.id)));
        }
    }
    Ok(())
}

/// The prefix, the day (`YYYY-MM-DD`, as `case_counter` keys it) and the number within
/// the day of a case number `XXyyyymmddnnnnnn`; `None` when the number does not have
/// that shape (a legacy system's own numbering), which no allocated number can
/// collide with.
fn number_of(id: &CaseId) -> Option<(String, String, u32)> {
    let s = id.as_str();
    let day = chrono::NaiveDate::parse_from_str(s.get(2..10)?, "%Y%m%d").ok()?;
    let seq: u32 = s.get(10..)?.parse().ok()?;
    Some((s[..2].to_owned(), day.to_string(), seq))
}
