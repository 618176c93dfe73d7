//! Bulk import of whole cases (`Store::import_cases`) on PostgreSQL: one transaction
//! per call on the writer thread, through the rows live writes use
//! (`projection::Rows`): each case's events linked as they would have been appended
//! live (events with the same time and actor as one append), its projections from its
//! final state, and the whole batch sent in one statement. A case number or tracking
//! code given twice, or stored already, is refused before anything is written
//! (`Duplicate`, naming the case, as on SQLite); one stored by another process in the
//! meantime still fails the statement on a key, and nothing of the batch stays.

use super::projection::{Reindex, Rows};
use super::{Conn, col, ms};
use crate::link::link_history;
use crate::{ImportedCase, Result, StoreError};
use std::collections::{BTreeMap, HashSet};
use yiwang_core::appeal::AppealEvent;
use yiwang_core::id::PersonId;

/// Writes `cases` on the writer's connection, inside the transaction it runs in.
pub(crate) fn import_cases(conn: &mut Conn, cases: Vec<ImportedCase>, recorded: yiwang_core::Instant) -> Result<()> {
    let (mut numbers, mut codes) = (HashSet::new(), HashSet::new());
    for c in &cases {
        let Some(AppealEvent::Accepted { tracking_code, .. }) = c.events.first().map(|e| &e.event) else {
            return Err(StoreError::Corrupt(format!("imported case {} does not start with Accepted", c.id)));
        };
        if !numbers.insert((c.tenant.as_str(), c.id.as_str())) {
            return Err(StoreError::Duplicate(format!("case {}", c.id)));
        }
        if !codes.insert((c.tenant.as_str(), tracking_code.as_str())) {
            return Err(StoreError::Duplicate(format!("appeal.tracking_code of case {}", c.id)));
        }
    }
    check_stored(conn, &cases)?;
    let citizens = cases.iter().filter(|c| c.person.is_some()).count() as i64;
    let ids = conn.query(
        "SELECT nextval(pg_get_serial_sequence('person', 'id')) FROM generate_series(1, $1::bigint)",
        &[&citizens],
    )?;
    let mut ids = ids.iter().map(|r| col::<i64>(r, 0).map(PersonId)).collect::<Result<Vec<_>>>()?.into_iter();
    let mut rows = Rows::default();
    // The highest imported number of each day, to raise the day counters once.
    let mut days: BTreeMap<chrono::NaiveDate, (i32, yiwang_core::Instant)> = BTreeMap::new();
    for mut c in cases {
        if let (Some((day, seq)), Some(first)) = (number_of(&c), c.events.first()) {
            let e = days.entry(day).or_insert((0, ms(first.at)));
            e.0 = e.0.max(seq);
        }
        let tenant = c.tenant.as_str().to_owned();
        if let Some(p) = c.person.take() {
            let pid = ids.next().ok_or_else(|| StoreError::Database("no person id".into()))?;
            if let AppealEvent::Accepted { citizen, .. } = &mut c.events[0].event {
                *citizen = Some(pid);
            }
            rows.person(&tenant, pid, p, ms(c.events[0].at));
        }
        let (appends, state) = link_history(&tenant, &c.id, c.events)?;
        for (at, linked) in appends {
            rows.events(&tenant, &c.id, linked, at, recorded)?;
        }
        rows.project(&tenant, &state, false, Reindex::Text, None);
    }
    rows.write(conn)?;
    for (day, (seq, created)) in days {
        conn.execute(
            "INSERT INTO case_counter (day, last_seq, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (day) DO UPDATE SET last_seq = greatest(case_counter.last_seq, excluded.last_seq)",
            &[&day, &seq, &created],
        )?;
    }
    Ok(())
}

/// Refuses a batch holding a case number or tracking code that is stored already, in
/// two round trips whatever the batch's size.
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
    let codes: Vec<&str> = cases
        .iter()
        .map(|c| match c.events.first().map(|e| &e.event) {
            Some(AppealEvent::Accepted { tracking_code, .. }) => tracking_code.as_str(),
            _ => "",
        })
        .collect();
    let taken = conn.query(
        "SELECT x.c FROM appeal a JOIN unnest($1::text[], $2::text[], $3::text[]) AS x(t, code, c)
             ON a.tenant = x.t AND a.tracking_code = x.code
         LIMIT 1",
        &[&tenants, &codes, &ids],
    )?;
    if let Some(r) = taken.first() {
        return Err(StoreError::Duplicate(format!("appeal.tracking_code of case {}", col::<&str>(r, 0)?)));
    }
    Ok(())
}

/// The day and number within the day of a case number `XXyyyymmddnnnnnn`; `None`
/// when the number does not have that shape (a legacy system's own numbering).
fn number_of(c: &ImportedCase) -> Option<(chrono::NaiveDate, i32)> {
    let s = c.id.as_str();
    let day = chrono::NaiveDate::parse_from_str(s.get(2..10)?, "%Y%m%d").ok()?;
    let seq: i32 = s.get(10..)?.parse().ok()?;
    Some((day, seq))
}
