//! The projections of one case of any kind, from what its kind shows the engine
//! (`case::Projection`): the `case_header` row, who may see it, its co-units, its
//! labelled example, its search text and its part in the month's counts and the
//! dashboards' volumes. Creates, appends, bulk import and `reindex` all go through
//! here, so every path gives the same rows.
//!
//! `Rows::of` computes the rows without a connection (a bulk import does it on the
//! importing thread); `write` stores them. Given the projection whose rows are stored
//! now, only what changed is written: most events move a case along without touching
//! its co-units, counts or text, and the writer thread is the one place every write in
//! the district passes through.

use super::{insert_rows, map_err, ts};
use crate::Result;
use crate::tally::{TallyKey, VolumeKey};
use rusqlite::{Connection, ToSql, params};
use std::collections::HashMap;
use yiwang_core::case::{Case, Projection};

/// The columns of the `case_header` row.
struct HeaderRow {
    kind: &'static str,
    status: &'static str,
    title: Option<String>,
    unit: Option<String>,
    category: Option<String>,
    area: Option<String>,
    stage: &'static str,
    next_due: Option<String>,
    due_working: bool,
    next_alarm: Option<String>,
    person: Option<i64>,
    tracking_code: Option<String>,
    opened_at: String,
    updated_at: String,
    closed_at: Option<String>,
    version: u32,
    detail: String,
}

/// What to write for one case. `None` in a field means "unchanged, write nothing".
pub(crate) struct Rows {
    case_id: String,
    tenant: String,
    /// No rows are stored for the case yet: insert rather than update.
    new: bool,
    header: HeaderRow,
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
    /// The rows of case `c`. `before` is what the case showed when its rows were
    /// stored, or `None` when it has no projection rows yet (a new case, or `reindex`
    /// after clearing the tables). `text`: whether its search text may have changed.
    pub(crate) fn of(tenant: &str, before: Option<&Projection>, c: &Case, text: bool) -> Rows {
        let p = c.project();
        let kind = c.kind();
        let known: &[yiwang_core::id::UnitCode] = before.map(|b| b.access.as_slice()).unwrap_or_default();
        // Access is never withdrawn, so only units new to the case are added.
        let access = p.access.iter().filter(|u| !known.contains(u)).map(|u| u.to_string()).collect();
        let example = |x: &Projection| x.example.as_ref().map(|e| (e.category.to_string(), e.text.clone()));
        let new_example = example(&p);
        let h = &p.header;
        Rows {
            case_id: c.id().to_string(),
            tenant: tenant.to_owned(),
            new: before.is_none(),
            header: HeaderRow {
                kind,
                status: h.status,
                title: h.title.clone(),
                unit: h.unit.as_ref().map(|u| u.to_string()),
                category: h.category.clone(),
                area: h.area.as_ref().map(|u| u.to_string()),
                stage: h.stage.as_str(),
                next_due: h.next_due.map(ts),
                due_working: h.next_due_working,
                next_alarm: h.next_alarm.map(ts),
                person: h.person.map(|p| p.0),
                tracking_code: h.tracking_code.clone(),
                opened_at: ts(h.opened_at),
                updated_at: ts(h.updated_at),
                closed_at: h.closed_at.map(ts),
                version: h.version,
                detail: p.detail.clone(),
            },
            access,
            co_units: before
                .is_none_or(|b| b.co_units != p.co_units)
                .then(|| p.co_units.iter().map(|(u, since)| (u.to_string(), ts(*since))).collect()),
            example: before.is_none_or(|b| example(b) != new_example).then_some(new_example),
            tally: crate::tally::delta(kind, before, &p),
            volume: crate::tally::volume_delta(kind, before, &p),
            tokens: (text || before.is_none()).then(|| crate::search::case_tokens(c)),
        }
    }

    /// The tracking code the case's header holds, if any.
    pub(crate) fn tracking_code(&self) -> Option<&str> {
        self.header.tracking_code.as_deref()
    }
}

/// Computes and writes the projections of `c` (see `Rows::of`); its search text and
/// counts go to `deferred`.
pub(crate) fn project(
    conn: &Connection,
    tenant: &str,
    before: Option<&Projection>,
    c: &Case,
    text: bool,
    deferred: &mut Deferred,
) -> Result<()> {
    write(conn, &mut Rows::of(tenant, before, c, text), deferred)
}

/// The columns of a new `case_header` row, in the order `Rows::header_values` gives
/// them.
const HEADER_COLUMNS: &str = "case_id, tenant, case_kind, status, title, unit, category, area, stage, next_due, \
     next_alarm, person, tracking_code, opened_at, updated_at, closed_at, version, detail, due_working, created_at";

/// Values of the `case_header` row, in the order of `HEADER_COLUMNS`; `created_at` is
/// the time it was opened.
const HEADER_VALUES: usize = 20;

/// A new `case_header` row, returning its rowid (built once, not per write).
static INSERT_HEADER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT OR ROLLBACK INTO case_header ({HEADER_COLUMNS}) VALUES ({}) RETURNING rowid",
        vec!["?"; HEADER_VALUES].join(", ")
    )
});

/// Writes a case's rows, but for its search text and counts, which move to
/// `deferred` for the end of the batch.
pub(crate) fn write(conn: &Connection, rows: &mut Rows, deferred: &mut Deferred) -> Result<()> {
    // A new row, or the row of a case that has one: never an upsert (see `writer`).
    let sql = if rows.new {
        INSERT_HEADER.as_str()
    } else {
        // What events change (the same columns as `pg::projection`); parameters it
        // does not use are bound all the same, and the last (`created_at`) is not.
        "UPDATE OR ROLLBACK case_header SET
            status = ?4, title = ?5, unit = ?6, category = ?7, area = ?8, stage = ?9, next_due = ?10,
            next_alarm = ?11, person = ?12, tracking_code = ?13, updated_at = ?15, closed_at = ?16, version = ?17,
            detail = ?18, due_working = ?19
         WHERE case_id = ?1
         RETURNING rowid"
    };
    let values = rows.header_values();
    let bound = if rows.new { &values[..] } else { &values[..HEADER_VALUES - 1] };
    let rowid =
        conn.prepare_cached(sql).and_then(|mut s| s.query_row(bound, |r| r.get::<_, i64>(0))).map_err(map_err)?;
    insert_rows(conn, INSERT_ACCESS, &rows.access_values())?;
    write_rest(conn, rows, rowid, deferred)
}

const INSERT_ACCESS: &str = "INSERT OR IGNORE INTO case_access (case_id, unit, created_at)";

/// Writes the rows of cases the store holds nothing of yet (a bulk import's), many to
/// a statement. Each `case_header` row is given its rowid, the next after the table's
/// last (as SQLite would), so its search text needs no rowid read back per case.
pub(crate) fn write_new(conn: &Connection, cases: &mut [&mut Rows], deferred: &mut Deferred) -> Result<()> {
    debug_assert!(cases.iter().all(|r| r.new));
    let last: i64 =
        conn.query_row("SELECT coalesce(max(rowid), 0) FROM case_header", [], |r| r.get(0)).map_err(map_err)?;
    let rowids: Vec<i64> = (last + 1..).take(cases.len()).collect();
    let values: Vec<[&dyn ToSql; HEADER_VALUES]> = cases.iter().map(|r| r.header_values()).collect();
    let headers: Vec<[&dyn ToSql; HEADER_VALUES + 1]> = values
        .iter()
        .zip(&rowids)
        .map(|(v, rowid)| std::array::from_fn(|i| if i == 0 { rowid as &dyn ToSql } else { v[i - 1] }))
        .collect();
    insert_rows(conn, &format!("INSERT OR ROLLBACK INTO case_header (rowid, {HEADER_COLUMNS})"), &headers)?;
    let access: Vec<[&dyn ToSql; 3]> = cases.iter().flat_map(|r| r.access_values()).collect();
    insert_rows(conn, INSERT_ACCESS, &access)?;
    drop((values, headers, access));
    for (rows, rowid) in cases.iter_mut().zip(rowids) {
        write_rest(conn, rows, rowid, deferred)?;
    }
    Ok(())
}

impl Rows {
    /// The rows of `case_access` to add.
    fn access_values(&self) -> Vec<[&dyn ToSql; 3]> {
        self.access.iter().map(|u| -> [&dyn ToSql; 3] { [&self.case_id, u, &self.header.updated_at] }).collect()
    }

    fn header_values(&self) -> [&dyn ToSql; HEADER_VALUES] {
        let r = &self.header;
        [
            &self.case_id,
            &self.tenant,
            &r.kind,
            &r.status,
            &r.title,
            &r.unit,
            &r.category,
            &r.area,
            &r.stage,
            &r.next_due,
            &r.next_alarm,
            &r.person,
            &r.tracking_code,
            &r.opened_at,
            &r.updated_at,
            &r.closed_at,
            &r.version,
            &r.detail,
            &r.due_working,
            &r.opened_at,
        ]
    }
}

/// What follows the `case_header` row and its access rows: search text and counts
/// (to `deferred`), co-units and the labelled example.
fn write_rest(conn: &Connection, rows: &mut Rows, rowid: i64, deferred: &mut Deferred) -> Result<()> {
    let id = rows.case_id.as_str();
    let r = &rows.header;
    if let Some(tokens) = rows.tokens.take() {
        deferred.texts.push(SearchText { rowid, replace: !rows.new, kind: r.kind, tokens });
    }
    for (key, n) in rows.tally.drain(..) {
        deferred.tally.entry(key).or_insert_with(|| (0, r.updated_at.clone())).0 += n;
    }
    for (key, n) in rows.volume.drain(..) {
        deferred.volume.entry(key).or_insert_with(|| (0, r.updated_at.clone())).0 += n;
    }

    if let Some(co_units) = &rows.co_units {
        if !rows.new {
            conn.prepare_cached("DELETE FROM case_co_unit WHERE case_id = ?1")
                .and_then(|mut s| s.execute([id]))
                .map_err(map_err)?;
        }
        let mut ins = conn
            .prepare_cached("INSERT OR ROLLBACK INTO case_co_unit (case_id, unit, created_at) VALUES (?1, ?2, ?3)")
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
        write_search_texts(conn, &mut self.texts)?;
        self.texts.clear();
        let mut update = conn
            .prepare_cached(
                "UPDATE OR ROLLBACK measure_tally SET count = count + ?7
                 WHERE month = ?1 AND case_kind = ?2 AND unit = ?3 AND fact = ?4 AND flag = ?5 AND value = ?6",
            )
            .map_err(map_err)?;
        let mut insert = conn
            .prepare_cached(
                "INSERT OR ROLLBACK INTO measure_tally (month, case_kind, unit, fact, flag, value, count, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(map_err)?;
        for ((month, kind, unit, fact, flag, value), (n, at)) in self.tally.drain() {
            if n != 0 && update.execute(params![month, kind, unit, fact, flag, value, n]).map_err(map_err)? == 0 {
                insert.execute(params![month, kind, unit, fact, flag, value, n, at]).map_err(map_err)?;
            }
        }
        let mut update = conn
            .prepare_cached(
                "UPDATE OR ROLLBACK volume_tally SET count = count + ?5
                 WHERE case_kind = ?1 AND day = ?2 AND dimension = ?3 AND value = ?4",
            )
            .map_err(map_err)?;
        let mut insert = conn
            .prepare_cached(
                "INSERT OR ROLLBACK INTO volume_tally (case_kind, day, dimension, value, count, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(map_err)?;
        for ((kind, day, dimension, value), (n, at)) in self.volume.drain() {
            if n != 0 && update.execute(params![kind, day, dimension, value, n]).map_err(map_err)? == 0 {
                insert.execute(params![kind, day, dimension, value, n, at]).map_err(map_err)?;
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
    kind: &'static str,
    tokens: String,
}

/// Writes a batch's search texts, each but the unmarked kind's with its kind's marker
/// (`search::kind_marker`).
fn write_search_texts(conn: &Connection, texts: &mut [SearchText]) -> Result<()> {
    if texts.is_empty() {
        return Ok(());
    }
    let unmarked: String = conn
        .prepare_cached("SELECT case_kind FROM case_text_unmarked")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(map_err)?;
    let mut delete = conn.prepare_cached("DELETE FROM case_text WHERE rowid = ?1").map_err(map_err)?;
    let mut insert =
        conn.prepare_cached("INSERT OR ROLLBACK INTO case_text (rowid, body) VALUES (?1, ?2)").map_err(map_err)?;
    for t in texts.iter_mut() {
        if t.replace {
            delete.execute([t.rowid]).map_err(map_err)?;
        }
        if t.kind != unmarked {
            t.tokens.push(' ');
            t.tokens.push_str(&crate::search::kind_marker(t.kind));
        }
        insert.execute(params![t.rowid, t.tokens]).map_err(map_err)?;
    }
    Ok(())
}
