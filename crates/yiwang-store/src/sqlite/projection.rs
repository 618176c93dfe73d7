//! Writes the projections of one case from its state: the `appeal` row, its co-units
//! and its measure facts. Used on every append and by `reindex`, so both paths give
//! the same rows.

use super::{enum_str, map_err, ts};
use crate::Result;
use rusqlite::{Connection, params};
use yiwang_core::appeal::Appeal;
use yiwang_core::measure::{FactKind, facts};

pub(crate) fn project(conn: &Connection, tenant: &str, a: &Appeal) -> Result<()> {
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

    conn.prepare_cached("DELETE FROM appeal_co_unit WHERE case_id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map_err(map_err)?;
    let mut ins = conn
        .prepare_cached("INSERT INTO appeal_co_unit (case_id, unit, created_at) VALUES (?1, ?2, ?3)")
        .map_err(map_err)?;
    for c in &a.co_units {
        ins.execute(params![id, c.unit.as_str(), ts(c.summoned_at)]).map_err(map_err)?;
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
