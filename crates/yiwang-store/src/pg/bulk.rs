//! Bulk import of whole cases (`Store::import_cases`) on PostgreSQL: one transaction
//! per call on the writer thread, through the live write path — `chain_events` and
//! `projection::write` — once per group of events with the same time and actor, so an
//! imported case is stored exactly as if recorded append by append. That costs a
//! round trip per group; it is the plain way, not the fast one (COPY would be).

use super::projection::{Projection, Reindex, write};
use super::writer::chain_events;
use super::{Conn, col, ms};
use crate::{ImportedCase, Result, StoreError};
use std::collections::BTreeMap;
use yiwang_core::appeal::AppealEvent;
use yiwang_core::chain;
use yiwang_core::id::PersonId;

/// Writes `cases` on the writer's connection, inside the transaction it runs in.
pub(crate) fn import_cases(conn: &mut Conn, cases: Vec<ImportedCase>, recorded: yiwang_core::Instant) -> Result<()> {
    // The highest imported number of each day, to raise the day counters once.
    let mut days: BTreeMap<chrono::NaiveDate, (i32, yiwang_core::Instant)> = BTreeMap::new();
    for c in cases {
        if let (Some((day, seq)), Some(first)) = (number_of(&c), c.events.first()) {
            let e = days.entry(day).or_insert((0, ms(first.at)));
            e.0 = e.0.max(seq);
        }
        import_case(conn, c, ms(recorded))?;
    }
    for (day, (seq, created)) in days {
        conn.execute(
            "INSERT INTO case_counter (day, last_seq, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (day) DO UPDATE SET last_seq = greatest(case_counter.last_seq, excluded.last_seq)",
            &[&day, &seq, &created],
        )?;
    }
    Ok(())
}

fn import_case(conn: &mut Conn, mut c: ImportedCase, recorded: yiwang_core::Instant) -> Result<()> {
    if !matches!(c.events.first().map(|e| &e.event), Some(AppealEvent::Accepted { .. })) {
        return Err(StoreError::Corrupt(format!("imported case {} does not start with Accepted", c.id)));
    }
    let tenant = c.tenant.as_str().to_owned();
    if let Some(p) = &c.person {
        let row = conn.query_one(
            "INSERT INTO person (tenant, name, phone, phone_digest, id_number, contact, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[&tenant, &p.name, &p.phone, &p.phone_digest, &p.id_number, &p.contact, &ms(c.events[0].at)],
        )?;
        let pid = PersonId(col::<i64>(&row, 0)?);
        if let AppealEvent::Accepted { citizen, .. } = &mut c.events[0].event {
            *citizen = Some(pid);
        }
    }
    // Events with the same time and actor were one append when recorded live. A
    // second case with this number fails on the event table's key: `Duplicate`.
    let mut state = None;
    let mut head = (0u32, chain::GENESIS.to_owned());
    let mut events = c.events.into_iter().peekable();
    while let Some(first) = events.next() {
        let at = ms(first.at);
        let actor = first.actor;
        let mut group = vec![first.event];
        while let Some(next) = events.next_if(|e| ms(e.at) == at && e.actor == actor) {
            group.push(next.event);
        }
        let (mut rows, s) = chain_events(&tenant, &c.id, state.take(), head, at, &actor, group)?;
        rows.recorded = recorded;
        write(conn, &rows, &Projection::of(&tenant, &s, Reindex::Text)?)?;
        head = (s.version, rows.head_hash.clone());
        state = Some(s);
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
