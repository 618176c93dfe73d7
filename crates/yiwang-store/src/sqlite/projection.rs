//! Writes the projections of one case from its state: the `appeal` row, its co-units
//! and its measure facts. Used on every append and by `reindex`, so both paths give
//! the same rows.

use super::{enum_str, map_err, ts};
use crate::Result;
use rusqlite::{Connection, params};
use yiwang_core::appeal::Appeal;
use yiwang_core::measure::{FactKind, facts};

/// Whether the full-text row must be written again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reindex {
    Text,
    KeepText,
}

pub(crate) fn project(conn: &Connection, tenant: &str, a: &Appeal, text: Reindex) -> Result<()> {
    let id = a.id.as_str();
    let state = serde_json::to_string(a).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO appeal (case_id, tenant, status, appeal_type, urgency, channel, title, unit, category, area,
                             stage, next_due, next_alarm, returned, supervised, citizen, tracking_code,
                             accepted_at, updated_at, closed_at, version, state, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?18)
         ON CONFLICT (case_id) DO UPDATE SET
            status = excluded.status, urgency = excluded.urgency, title = excluded.title, unit = excluded.unit,
            category = excluded.category, area = excluded.area, stage = excluded.stage,
            next_due = excluded.next_due, next_alarm = excluded.next_alarm, returned = excluded.returned,
            supervised = excluded.supervised, updated_at = excluded.updated_at, closed_at = excluded.closed_at,
            version = excluded.version, state = excluded.state",
    )
    .and_then(|mut s| {
        s.execute(params![
            id,
            tenant,
            a.status.as_str(),
            enum_str(&a.appeal_type),
            enum_str(&a.urgency),
            enum_str(&a.channel),
            a.title,
            a.unit.as_ref().map(|u| u.as_str()),
            a.category.as_ref().map(|c| c.as_str()),
            a.location.area.as_ref().map(|u| u.as_str()),
            enum_str(&a.stage()),
            a.next_due().map(ts),
            if a.is_open() { a.next_alarm().map(ts) } else { None },
            a.returned.is_some(),
            a.supervised,
            a.citizen.map(|p| p.0),
            a.tracking_code.as_str(),
            ts(a.accepted_at),
            ts(a.updated_at),
            a.closed_at.map(ts),
            a.version,
            state,
        ])
    })
    .map_err(map_err)?;

    if text == Reindex::Text {
        write_search_text(conn, a)?;
    }

    // Who may see the case besides the centre: every holder and every co-unit.
    let mut ins = conn
        .prepare_cached("INSERT OR IGNORE INTO appeal_access (case_id, unit, created_at) VALUES (?1, ?2, ?3)")
        .map_err(map_err)?;
    for u in a.assignments.iter().map(|x| &x.unit).chain(a.co_units.iter().map(|c| &c.unit)) {
        ins.execute(params![id, u.as_str(), ts(a.updated_at)]).map_err(map_err)?;
    }

    conn.prepare_cached("DELETE FROM appeal_co_unit WHERE case_id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map_err(map_err)?;
    let mut ins = conn
        .prepare_cached("INSERT INTO appeal_co_unit (case_id, unit, created_at) VALUES (?1, ?2, ?3)")
        .map_err(map_err)?;
    for c in &a.co_units {
        ins.execute(params![id, c.unit.as_str(), ts(c.summoned_at)]).map_err(map_err)?;
    }

    // A corrected case that a unit answered is a labelled example.
    conn.prepare_cached("DELETE FROM dispatch_example WHERE case_id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map_err(map_err)?;
    if let (true, Some(_), Some(cat)) = (a.was_corrected(), &a.reply, &a.category) {
        let text = match &a.title {
            Some(t) => format!("{t}{}", a.text),
            None => a.text.clone(),
        };
        conn.prepare_cached(
            "INSERT INTO dispatch_example (case_id, text, category, created_at) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| s.execute(params![id, text, cat.as_str(), ts(a.updated_at)]))
        .map_err(map_err)?;
    }

    conn.prepare_cached("DELETE FROM measure_fact WHERE case_id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map_err(map_err)?;
    let mut ins = conn
        .prepare_cached(
            "INSERT INTO measure_fact (case_id, unit, month, kind, flag, satisfaction, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(map_err)?;
    for f in facts(a) {
        let (kind, flag, sat) = match f.kind {
            FactKind::Dispatch { responded } => ("dispatch", responded, None),
            FactKind::Reply { on_time } => ("reply", on_time, None),
            FactKind::Callback { solved, satisfaction } => ("callback", solved, Some(enum_str(&satisfaction))),
        };
        ins.execute(params![id, f.unit.as_str(), f.month, kind, flag, sat, ts(a.updated_at)]).map_err(map_err)?;
    }
    Ok(())
}

/// The search text of a case (title, text, address, reply) as bigram tokens, under the
/// appeal row's rowid.
fn write_search_text(conn: &Connection, a: &Appeal) -> Result<()> {
    let id = a.id.as_str();
    let rowid: i64 = conn
        .prepare_cached("SELECT rowid FROM appeal WHERE case_id = ?1")
        .and_then(|mut s| s.query_row([id], |r| r.get(0)))
        .map_err(map_err)?;
    let mut text = String::new();
    for part in [
        a.title.as_deref(),
        Some(a.text.as_str()),
        a.location.address.as_deref(),
        a.reply.as_ref().map(|r| r.text.as_str()),
    ]
    .into_iter()
    .flatten()
    {
        text.push_str(part);
        text.push(' ');
    }
    conn.prepare_cached("DELETE FROM appeal_text WHERE rowid = ?1")
        .and_then(|mut s| s.execute([rowid]))
        .map_err(map_err)?;
    conn.prepare_cached("INSERT INTO appeal_text (rowid, body) VALUES (?1, ?2)")
        .and_then(|mut s| s.execute(params![rowid, crate::search::index_tokens(&text)]))
        .map_err(map_err)?;
    Ok(())
}
