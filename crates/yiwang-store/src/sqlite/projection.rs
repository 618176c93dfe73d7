//! The projections of one case, from its state: the `appeal` row, who may see it, its
//! co-units, its labelled example, its search text and its part in the month's counts. Appends,
//! bulk import and `reindex` all go through here, so every path gives the same rows.
//!
//! `Rows::of` computes the rows without a connection (a bulk import does it on the
//! importing thread); `write` stores them. Given the state whose rows are stored now,
//! only what changed is written: most events move a case along without touching its
//! co-units, counts or text, and the writer thread is the one place every write in the
//! district passes through.

use super::{enum_str, insert_rows, map_err, ts};
use crate::Result;
use crate::tally::{Counted, TallyKey, VolumeKey};
use rusqlite::{Connection, ToSql, params};
use std::collections::HashMap;
use yiwang_core::appeal::Appeal;

/// Whether the full-text row must be written again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reindex {
    Text,
    KeepText,
}

/// The columns of the `appeal` row.
struct AppealRow {
    status: &'static str,
    appeal_type: String,
    urgency: String,
    channel: String,
    title: Option<String>,
    unit: Option<String>,
    category: Option<String>,
    area: Option<String>,
    stage: String,
    next_due: Option<String>,
    next_alarm: Option<String>,
    returned: bool,
    supervised: bool,
    citizen: Option<i64>,
    tracking_code: String,
    accepted_at: String,
    updated_at: String,
    closed_at: Option<String>,
    version: u32,
}

/// What to write for one case. `None` in a field means "unchanged, write nothing".
pub(crate) struct Rows {
    case_id: String,
    tenant: String,
    /// No rows are stored for the case yet: insert rather than update.
    new: bool,
    appeal: AppealRow,
    /// Units that may now see the case and could not before.
    access: Vec<String>,
    co_units: Option<Vec<(String, String)>>,
    /// The labelled example: `Some(None)` removes it.
    example: Option<Option<(String, String)>>,
    /// How the case moves the month's counts: its facts after, less those before.
    tally: Vec<(TallyKey, i64)>,
    /// How it moves the dashboards' volumes.
    volume: Vec<(VolumeKey, i64)>,
    tokens: Option<String>,
}

impl Rows {
    /// The rows of `a`. `before` is the case's state whose rows are stored now, or
    /// `None` when the case has no projection rows yet (a new case, or `reindex` after
    /// clearing the tables).
    pub(crate) fn of(tenant: &str, before: Option<&Appeal>, a: &Appeal, text: Reindex) -> Rows {
        // Who may see the case besides the centre: every holder and every co-unit.
        // Access is never withdrawn, so only units new to the case are added.
        let holders = |x: &Appeal| -> Vec<String> {
            x.assignments
                .iter()
                .map(|x| x.unit.to_string())
                .chain(x.co_units.iter().map(|c| c.unit.to_string()))
                .collect()
        };
        let known = before.map(holders).unwrap_or_default();
        let mut access: Vec<String> = holders(a).into_iter().filter(|u| !known.contains(u)).collect();
        access.sort();
        access.dedup();

        // A corrected case that a unit answered is a labelled example.
        let example = |x: &Appeal| match (x.was_corrected(), &x.reply, &x.category) {
            (true, Some(_), Some(cat)) => {
                Some((cat.to_string(), format!("{}{}", x.title.as_deref().unwrap_or(""), x.text)))
            }
            _ => None,
        };
        let new_example = example(a);
        let counted = before.map(Counted::of);
        let tally = crate::tally::delta(counted.as_ref(), a);
        Rows {
            case_id: a.id.to_string(),
            tenant: tenant.to_owned(),
            new: before.is_none(),
            appeal: AppealRow {
                status: a.status.as_str(),
                appeal_type: enum_str(&a.appeal_type),
                urgency: enum_str(&a.urgency),
                channel: enum_str(&a.channel),
                title: a.title.clone(),
                unit: a.unit.as_ref().map(|u| u.to_string()),
                category: a.category.as_ref().map(|c| c.to_string()),
                area: a.location.area.as_ref().map(|u| u.to_string()),
                stage: enum_str(&a.stage()),
                next_due: a.next_due().map(ts),
                next_alarm: if a.is_open() { a.next_alarm().map(ts) } else { None },
                returned: a.returned.is_some(),
                supervised: a.supervised,
                citizen: a.citizen.map(|p| p.0),
                tracking_code: a.tracking_code.as_str().to_owned(),
                accepted_at: ts(a.accepted_at),
                updated_at: ts(a.updated_at),
                closed_at: a.closed_at.map(ts),
                version: a.version,
            },
            access,
            co_units: before.is_none_or(|b| b.co_units != a.co_units).then(|| {
                // One row per co-unit: an imported history may summon a unit twice
                // (live, core refuses it); the latest summons stands, as on PostgreSQL.
                let mut rows: Vec<(String, String)> = vec![];
                for c in &a.co_units {
                    rows.retain(|(u, _)| u != c.unit.as_str());
                    rows.push((c.unit.to_string(), ts(c.summoned_at)));
                }
                rows
            }),
            example: before.is_none_or(|b| example(b) != new_example).then_some(new_example),
            tally,
            volume: crate::tally::volume_delta(counted.as_ref(), a),
            tokens: (text == Reindex::Text || before.is_none()).then(|| crate::search::case_tokens(a)),
        }
    }
}

/// Computes and writes the projections of `a` (see `Rows::of`); its search text and
/// counts go to `deferred`.
pub(crate) fn project(
    conn: &Connection,
    tenant: &str,
    before: Option<&Appeal>,
    a: &Appeal,
    text: Reindex,
    deferred: &mut Deferred,
) -> Result<()> {
    write(conn, &mut Rows::of(tenant, before, a, text), deferred)
}

/// The columns of a new `appeal` row, in the order `Rows::appeal_values` gives them.
const APPEAL_COLUMNS: &str = "case_id, tenant, status, appeal_type, urgency, channel, title, unit, category, area, \
     stage, next_due, next_alarm, returned, supervised, citizen, tracking_code, accepted_at, updated_at, closed_at, \
     version, created_at";

/// A new `appeal` row, returning its rowid (built once, not per write).
static INSERT_APPEAL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT OR ROLLBACK INTO appeal ({APPEAL_COLUMNS}) VALUES ({}) RETURNING rowid",
        vec!["?"; APPEAL_VALUES].join(", ")
    )
});

/// Writes a case's rows, but for its search text and counts, which move to
/// `deferred` for the end of the batch.
pub(crate) fn write(conn: &Connection, rows: &mut Rows, deferred: &mut Deferred) -> Result<()> {
    // A new row, or the row of a case that has one: never an upsert (see `writer`).
    let sql = if rows.new {
        INSERT_APPEAL.as_str()
    } else {
        // Only what events change (the same columns as `pg::projection`); parameters
        // it does not use are bound all the same, and the last (`created_at`) is not.
        "UPDATE OR ROLLBACK appeal SET
            status = ?3, urgency = ?5, title = ?7, unit = ?8, category = ?9, area = ?10, stage = ?11,
            next_due = ?12, next_alarm = ?13, returned = ?14, supervised = ?15, updated_at = ?19,
            closed_at = ?20, version = ?21
         WHERE case_id = ?1
         RETURNING rowid"
    };
    let values = rows.appeal_values();
    let bound = if rows.new { &values[..] } else { &values[..APPEAL_VALUES - 1] };
    let rowid =
        conn.prepare_cached(sql).and_then(|mut s| s.query_row(bound, |r| r.get::<_, i64>(0))).map_err(map_err)?;
    insert_rows(conn, INSERT_ACCESS, &rows.access_values())?;
    write_rest(conn, rows, rowid, deferred)
}

const INSERT_ACCESS: &str = "INSERT OR IGNORE INTO appeal_access (case_id, unit, created_at)";

/// Writes the rows of cases the store holds nothing of yet (a bulk import's), many to
/// a statement. Each `appeal` row is given its rowid, the next after the table's last
/// (as SQLite would), so its search text needs no rowid read back per case.
pub(crate) fn write_new(conn: &Connection, cases: &mut [&mut Rows], deferred: &mut Deferred) -> Result<()> {
    debug_assert!(cases.iter().all(|r| r.new));
    let last: i64 = conn.query_row("SELECT coalesce(max(rowid), 0) FROM appeal", [], |r| r.get(0)).map_err(map_err)?;
    let rowids: Vec<i64> = (last + 1..).take(cases.len()).collect();
    let values: Vec<[&dyn ToSql; APPEAL_VALUES]> = cases.iter().map(|r| r.appeal_values()).collect();
    let appeals: Vec<[&dyn ToSql; APPEAL_VALUES + 1]> = values
        .iter()
        .zip(&rowids)
        .map(|(v, rowid)| std::array::from_fn(|i| if i == 0 { rowid as &dyn ToSql } else { v[i - 1] }))
        .collect();
    insert_rows(conn, &format!("INSERT OR ROLLBACK INTO appeal (rowid, {APPEAL_COLUMNS})"), &appeals)?;
    let access: Vec<[&dyn ToSql; 3]> = cases.iter().flat_map(|r| r.access_values()).collect();
    insert_rows(conn, INSERT_ACCESS, &access)?;
    drop((values, appeals, access));
    for (rows, rowid) in cases.iter_mut().zip(rowids) {
        write_rest(conn, rows, rowid, deferred)?;
    }
    Ok(())
}

/// Values of the `appeal` row, in the order of `APPEAL_COLUMNS`; `created_at` is the
/// accepted time.
const APPEAL_VALUES: usize = 22;

impl Rows {
    /// The rows of `appeal_access` to add.
    fn access_values(&self) -> Vec<[&dyn ToSql; 3]> {
        self.access.iter().map(|u| -> [&dyn ToSql; 3] { [&self.case_id, u, &self.appeal.updated_at] }).collect()
    }

    fn appeal_values(&self) -> [&dyn ToSql; APPEAL_VALUES] {
        let r = &self.appeal;
        [
            &self.case_id,
            &self.tenant,
            &r.status,
            &r.appeal_type,
            &r.urgency,
            &r.channel,
            &r.title,
            &r.unit,
            &r.category,
            &r.area,
            &r.stage,
            &r.next_due,
            &r.next_alarm,
            &r.returned,
            &r.supervised,
            &r.citizen,
            &r.tracking_code,
            &r.accepted_at,
            &r.updated_at,
            &r.closed_at,
            &r.version,
            &r.accepted_at,
        ]
    }
}

/// What follows the `appeal` row and its access rows: search text and counts (to
/// `deferred`), co-units and the labelled example.
fn write_rest(conn: &Connection, rows: &mut Rows, rowid: i64, deferred: &mut Deferred) -> Result<()> {
    let id = rows.case_id.as_str();
    let r = &rows.appeal;
    if let Some(tokens) = rows.tokens.take() {
        deferred.texts.push(SearchText { rowid, replace: !rows.new, tokens });
    }
    for (key, n) in rows.tally.drain(..) {
        deferred.tally.entry(key).or_insert_with(|| (0, r.updated_at.clone())).0 += n;
    }
    for (key, n) in rows.volume.drain(..) {
        deferred.volume.entry(key).or_insert_with(|| (0, r.updated_at.clone())).0 += n;
    }

    if let Some(co_units) = &rows.co_units {
        if !rows.new {
            conn.prepare_cached("DELETE FROM appeal_co_unit WHERE case_id = ?1")
                .and_then(|mut s| s.execute([id]))
                .map_err(map_err)?;
        }
        let mut ins = conn
            .prepare_cached("INSERT OR ROLLBACK INTO appeal_co_unit (case_id, unit, created_at) VALUES (?1, ?2, ?3)")
            .map_err(map_err)?;
        for (unit, since) in co_units {
            ins.execute(params![id, unit, since]).map_err(map_err)?;
        }
    }

    if let Some(example) = &rows.example {
        if !rows.new {
            conn.prepare_cached("DELETE FROM dispatch_example WHERE case_id = ?1")
                .and_then(|mut s| s.execute([id]))
                .map_err(map_err)?;
        }
        if let Some((category, text)) = example {
            conn.prepare_cached(
                "INSERT OR ROLLBACK INTO dispatch_example (case_id, text, category, created_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![id, text, category, r.updated_at]))
            .map_err(map_err)?;
        }
    }

    Ok(())
}

/// What a batch writes at its end: the search texts of its cases, in one run into
/// FTS5's pending terms, and the sum of its changes to each count, one row each.
#[derive(Default)]
pub(crate) struct Deferred {
    texts: Vec<SearchText>,
    /// Each key's change, and the time of the first write that made it.
    tally: HashMap<TallyKey, (i64, String)>,
    volume: HashMap<VolumeKey, (i64, String)>,
}

impl Deferred {
    pub(crate) fn len(&self) -> usize {
        self.texts.len() + self.tally.len() + self.volume.len()
    }

    pub(crate) fn write(&mut self, conn: &Connection) -> Result<()> {
        write_search_texts(conn, &self.texts)?;
        self.texts.clear();
        let mut update = conn
            .prepare_cached(
                "UPDATE OR ROLLBACK measure_tally SET count = count + ?6
                 WHERE month = ?1 AND unit = ?2 AND kind = ?3 AND flag = ?4 AND satisfaction = ?5",
            )
            .map_err(map_err)?;
        let mut insert = conn
            .prepare_cached(
                "INSERT OR ROLLBACK INTO measure_tally (month, unit, kind, flag, satisfaction, count, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(map_err)?;
        for ((month, unit, kind, flag, sat), (n, at)) in self.tally.drain() {
            if n != 0 && update.execute(params![month, unit, kind, flag, sat, n]).map_err(map_err)? == 0 {
                insert.execute(params![month, unit, kind, flag, sat, n, at]).map_err(map_err)?;
            }
        }
        let mut update = conn
            .prepare_cached(
                "UPDATE OR ROLLBACK volume_tally SET count = count + ?4 WHERE day = ?1 AND dimension = ?2 AND value = ?3",
            )
            .map_err(map_err)?;
        let mut insert = conn
            .prepare_cached(
                "INSERT OR ROLLBACK INTO volume_tally (day, dimension, value, count, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(map_err)?;
        for ((day, dimension, value), (n, at)) in self.volume.drain() {
            if n != 0 && update.execute(params![day, dimension, value, n]).map_err(map_err)? == 0 {
                insert.execute(params![day, dimension, value, n, at]).map_err(map_err)?;
            }
        }
        Ok(())
    }
}

/// A full-text row to write. The writer collects a batch's rows and writes them after
/// its other statements, so FTS5 takes them in one run into its pending terms.
pub(crate) struct SearchText {
    rowid: i64,
    /// The case has a text row already, to be replaced.
    replace: bool,
    tokens: String,
}

fn write_search_texts(conn: &Connection, texts: &[SearchText]) -> Result<()> {
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
