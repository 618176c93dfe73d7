//! Writes the projections of one case from its state: the `appeal` row, who may see
//! it, its co-units, its labelled example, its measure facts and its search text. Used on every append and by `reindex`, so both paths give
//! the same rows.
//!
//! Given the state before the events, only the rows that changed are written: most
//! events move a case along without touching its co-units, facts or text, and the
//! writer thread is the one place every write in the district passes through.

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

/// Writes the projections of `a`. `before` is the case's state whose rows are stored
/// now, or `None` when the case has no projection rows yet (a new case, or `reindex`
/// after clearing the tables). The full-text row, when it must be written, is pushed
/// to `texts` for the caller to write with `write_search_texts`.
pub(crate) fn project(
    conn: &Connection,
    tenant: &str,
    before: Option<&Appeal>,
    a: &Appeal,
    text: Reindex,
    texts: &mut Vec<SearchText>,
) -> Result<()> {
    let id = a.id.as_str();
    // A new row, or the row of a case that has one: never an upsert (see `writer`).
    let sql = if before.is_none() {
        "INSERT OR ROLLBACK INTO appeal (case_id, tenant, status, appeal_type, urgency, channel, title, unit, category,
                             area, stage, next_due, next_alarm, returned, supervised, citizen, tracking_code,
                             accepted_at, updated_at, closed_at, version, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?18)
         RETURNING rowid"
    } else {
        // Only what events change (the same columns as `pg::projection`); parameters
        // it does not use are bound all the same.
        "UPDATE OR ROLLBACK appeal SET
            status = ?3, urgency = ?5, title = ?7, unit = ?8, category = ?9, area = ?10, stage = ?11,
            next_due = ?12, next_alarm = ?13, returned = ?14, supervised = ?15, updated_at = ?19,
            closed_at = ?20, version = ?21
         WHERE case_id = ?1
         RETURNING rowid"
    };
    let rowid = conn
        .prepare_cached(sql)
        .and_then(|mut s| {
            s.query_row(
                params![
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
                ],
                |r| r.get::<_, i64>(0),
            )
        })
        .map_err(map_err)?;

    if text == Reindex::Text || before.is_none() {
        texts.push(search_text(rowid, before.is_some(), a));
    }

    // Who may see the case besides the centre: every holder and every co-unit. Access
    // is never withdrawn, so only units new to the case are added.
    let holders = |x: &Appeal| -> Vec<String> {
        x.assignments.iter().map(|x| x.unit.to_string()).chain(x.co_units.iter().map(|c| c.unit.to_string())).collect()
    };
    let known = before.map(holders).unwrap_or_default();
    let mut ins = conn
        .prepare_cached("INSERT OR IGNORE INTO appeal_access (case_id, unit, created_at) VALUES (?1, ?2, ?3)")
        .map_err(map_err)?;
    for u in holders(a).iter().filter(|u| !known.contains(u)) {
        ins.execute(params![id, u, ts(a.updated_at)]).map_err(map_err)?;
    }

    if before.is_none_or(|b| b.co_units != a.co_units) {
        if before.is_some() {
            conn.prepare_cached("DELETE FROM appeal_co_unit WHERE case_id = ?1")
                .and_then(|mut s| s.execute([id]))
                .map_err(map_err)?;
        }
        let mut ins = conn
            .prepare_cached("INSERT OR ROLLBACK INTO appeal_co_unit (case_id, unit, created_at) VALUES (?1, ?2, ?3)")
            .map_err(map_err)?;
        for c in &a.co_units {
            ins.execute(params![id, c.unit.as_str(), ts(c.summoned_at)]).map_err(map_err)?;
        }
    }

    // A corrected case that a unit answered is a labelled example.
    let example = |x: &Appeal| match (x.was_corrected(), &x.reply, &x.category) {
        (true, Some(_), Some(cat)) => Some((cat.clone(), x.title.clone(), x.text.clone())),
        _ => None,
    };
    let new_example = example(a);
    if before.is_none_or(|b| example(b) != new_example) {
        if before.is_some() {
            conn.prepare_cached("DELETE FROM dispatch_example WHERE case_id = ?1")
                .and_then(|mut s| s.execute([id]))
                .map_err(map_err)?;
        }
        if let Some((cat, title, body)) = new_example {
            let text = match title {
                Some(t) => format!("{t}{body}"),
                None => body,
            };
            conn.prepare_cached(
                "INSERT OR ROLLBACK INTO dispatch_example (case_id, text, category, created_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![id, text, cat.as_str(), ts(a.updated_at)]))
            .map_err(map_err)?;
        }
    }

    let new_facts = facts(a);
    if before.is_some_and(|b| facts(b) == new_facts) {
        return Ok(());
    }
    if before.is_some() {
        conn.prepare_cached("DELETE FROM measure_fact WHERE case_id = ?1")
            .and_then(|mut s| s.execute([id]))
            .map_err(map_err)?;
    }
    let mut ins = conn
        .prepare_cached(
            "INSERT OR ROLLBACK INTO measure_fact (case_id, n, unit, month, kind, flag, satisfaction, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(map_err)?;
    for (n, f) in new_facts.into_iter().enumerate() {
        let (kind, flag, sat) = match f.kind {
            FactKind::Dispatch { responded } => ("dispatch", responded, None),
            FactKind::Reply { on_time } => ("reply", on_time, None),
            FactKind::Callback { solved, satisfaction } => ("callback", solved, Some(enum_str(&satisfaction))),
        };
        ins.execute(params![id, n, f.unit.as_str(), f.month, kind, flag, sat, ts(a.updated_at)]).map_err(map_err)?;
    }
    Ok(())
}

/// A full-text row to write. The writer collects a batch's rows and writes them after
/// its other statements: FTS5 flushes its pending terms at every statement savepoint,
/// so interleaving its inserts with other writes flushes once per request.
pub(crate) struct SearchText {
    rowid: i64,
    replace: bool,
    tokens: String,
}

/// The search text of a case (title, text, address, reply) as bigram tokens, under the
/// appeal row's rowid; `replace` when the case has a text row already.
fn search_text(rowid: i64, replace: bool, a: &Appeal) -> SearchText {
    SearchText { rowid, replace, tokens: crate::search::case_tokens(a) }
}

pub(crate) fn write_search_texts(conn: &Connection, texts: &[SearchText]) -> Result<()> {
    let mut delete = conn.prepare_cached("DELETE FROM appeal_text WHERE rowid = ?1").map_err(map_err)?;
    let mut insert =
        conn.prepare_cached("INSERT OR ROLLBACK INTO appeal_text (rowid, body) VALUES (?1, ?2)").map_err(map_err)?;
    for t in texts {
        if t.replace {
            delete.execute([t.rowid]).map_err(map_err)?;
        }
        insert.execute(params![t.rowid, t.tokens]).map_err(map_err)?;
    }
    Ok(())
}
