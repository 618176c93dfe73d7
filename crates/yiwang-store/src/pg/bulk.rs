//! Bulk import of whole cases (`Store::import_cases`) on PostgreSQL: one transaction
//! per call on the writer thread, through the rows live writes use
//! (`projection::Rows`): each case's events linked as they would have been appended
//! live (events with the same time and actor as one append), its projections from its
//! final state, and the whole batch sent in one statement. A case number or tracking
//! code given twice, or stored already, is refused before anything is written
//! (`Duplicate`, naming the case, as on SQLite); one stored by another process in the
//! meantime still fails the statement on a key, and nothing of the batch stays.

use super::projection::Rows;
use super::{Conn, col, ms};
use crate::link::link_history;
use crate::{ImportedCase, Result, StoreError};
use std::collections::{BTreeMap, HashSet};
use yiwang_core::id::PersonId;

/// Writes `cases` on the writer's connection, inside the transaction it runs in.
pub(crate) fn import_cases(
    conn: &mut Conn,
    keys: &crate::PersonalKeys,
    hash: yiwang_core::chain::HashAlg,
    cases: Vec<ImportedCase>,
    recorded: yiwang_core::Instant,
) -> Result<()> {
    let mut numbers = HashSet::new();
    for c in &cases {
        if !numbers.insert((c.tenant.as_str(), c.id.as_str())) {
            return Err(StoreError::Duplicate(format!("case {}", c.id)));
        }
    }
    check_stored(conn, &cases)?;
    let people = cases.iter().filter(|c| c.person.is_some()).count() as i64;
    let ids = conn.query(
        "SELECT nextval(pg_get_serial_sequence('person', 'id')) FROM generate_series(1, $1::bigint)",
        &[&people],
    )?;
    let mut ids = ids.iter().map(|r| col::<i64>(r, 0).map(PersonId)).collect::<Result<Vec<_>>>()?.into_iter();
    // Linked and folded before anything is stored: the tracking codes come from the
    // cases' projections.
    let mut linked = Vec::with_capacity(cases.len());
    for mut c in cases {
        let opened = ms(c.appends.first().map(|(at, _, _)| *at).expect("an opening append"));
        let person = match c.person.take() {
            None => None,
            Some(p) => {
                let pid = ids.next().ok_or_else(|| StoreError::Database("no person id".into()))?;
                if let Some((_, _, first)) = c.appends.first_mut() {
                    first.set_person(pid);
                }
                Some((pid, p))
            }
        };
        let (appends, state) = link_history(hash, &mut c)?;
        let shown = state.project();
        linked.push((c, opened, person, appends, state, shown));
    }
    let mut codes = HashSet::new();
    let (mut tenants, mut code_list, mut ids_of_codes) = (vec![], vec![], vec![]);
    for (c, _, _, _, _, shown) in &linked {
        if let Some(code) = shown.header.tracking_code.clone() {
            if !codes.insert((c.tenant.as_str().to_owned(), code.clone())) {
                return Err(StoreError::Duplicate(format!("case_header.tracking_code of case {}", c.id)));
            }
            tenants.push(c.tenant.as_str().to_owned());
            code_list.push(code);
            ids_of_codes.push(c.id.as_str().to_owned());
        }
    }
    let taken = conn.query(
        "SELECT x.c FROM case_header a JOIN unnest($1::text[], $2::text[], $3::text[]) AS x(t, code, c)
             ON a.tenant = x.t AND a.tracking_code = x.code
         LIMIT 1",
        &[&tenants, &code_list, &ids_of_codes],
    )?;
    if let Some(r) = taken.first() {
        return Err(StoreError::Duplicate(format!("case_header.tracking_code of case {}", col::<&str>(r, 0)?)));
    }
    let mut rows = Rows::default();
    // The highest imported number of each prefix and day, to raise the counters once.
    let mut days: BTreeMap<(String, chrono::NaiveDate), (i32, yiwang_core::Instant)> = BTreeMap::new();
    for (c, opened, person, appends, state, shown) in linked {
        if let Some((prefix, day, seq)) = number_of(&c) {
            let e = days.entry((prefix, day)).or_insert((0, opened));
            e.0 = e.0.max(seq);
        }
        let tenant = c.tenant.as_str();
        if let Some((pid, p)) = person {
            let (sealed, key) = keys.seal(tenant, pid, p);
            rows.person(tenant, pid, sealed, key, opened, state.kind_of().found_by_phone());
        }
        for (at, l) in appends {
            rows.events(tenant, &c.id, state.kind(), l, at, recorded)?;
        }
        rows.project(tenant, &state, shown, None, true);
    }
    rows.write(conn)?;
    for ((prefix, day), (seq, created)) in days {
        conn.execute(
            "INSERT INTO case_counter (prefix, day, last_seq, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (prefix, day) DO UPDATE SET last_seq = greatest(case_counter.last_seq, excluded.last_seq)",
            &[&prefix, &day, &seq, &created],
        )?;
    }
    Ok(())
}

/// Refuses a batch holding a case number that is stored already, in one round trip
/// whatever the batch's size.
fn check_stored(conn: &mut Conn, cases: &[ImportedCase]) -> Result<()> {
    let tenants: Vec<&str> = cases.iter().map(|c| c.tenant.as_str()).collect();
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let stored = conn.query(
        "SELECT h.case_id FROM chain_head h JOIN unnest($1::text[], $2::text[]) AS x(t, c)
             ON h.tenant = x.t AND h.case_id = x.c
         LIMIT 1",
        &[&tenants, &ids],
    )?;
    if let Some(r) = stored.first() {
        return Err(StoreError::Duplicate(format!("case {}", col::<&str>(r, 0)?)));
    }
    Ok(())
}

/// The prefix, day and number within the day of a case number `XXyyyymmddnnnnnn`;
/// `None` when the number does not have that shape (a legacy system's own numbering).
fn number_of(c: &ImportedCase) -> Option<(String, chrono::NaiveDate, i32)> {
    let s = c.id.as_str();
    let day = chrono::NaiveDate::parse_from_str(s.get(2..10)?, "%Y%m%d").ok()?;
    let seq: i32 = s.get(10..)?.parse().ok()?;
    Some((s[..2].to_owned(), day, seq))
}
