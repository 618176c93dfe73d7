//! `Store` for SQLite: queries on the read pool, writes through the group-commit writer.

use super::projection::{Deferred, project};
use super::{SqliteStore, enum_str, map_err, parse_code, parse_enum, parse_json, parse_ts, ts};
use crate::audit;
use crate::*;
use rusqlite::types::ToSql;
use rusqlite::{OptionalExtension, Row, params};
use std::collections::HashMap;
use yiwang_core::case::{Case, Recorded};
use yiwang_core::chain;
use yiwang_core::deadline::Stage;
use yiwang_core::org::{Role, Unit};
use yiwang_core::taxonomy::Category;

fn staff_row(r: &Row<'_>) -> rusqlite::Result<StaffRecord> {
    let roles: String = r.get(3)?;
    Ok(StaffRecord {
        username: parse_code(r.get(0)?)?,
        name: r.get(1)?,
        unit: parse_code(r.get(2)?)?,
        roles: roles.split(',').filter(|s| !s.is_empty()).filter_map(|s| Role::parse(s).ok()).collect(),
        password_hash: r.get(4)?,
        active: r.get(5)?,
        must_change_password: r.get(6)?,
        password_changed_at: r.get::<_, Option<String>>(7)?.map(|t| parse_ts(&t)).transpose()?,
        totp_secret: r.get(8)?,
        recovery_codes: r.get::<_, String>(9)?.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    })
}

const CASE_COLUMNS: &str = "a.case_id, a.case_kind, a.status, a.title, a.unit, a.category, a.area, a.stage,
    a.next_due, a.opened_at, a.detail, p.name, p.phone, a.tenant, a.person, p.sealed_with, a.due_working";

/// A row of a case list, its citizen's name and phone opened with `keys`.
fn case_row(r: &Row<'_>, keys: &crate::PersonalKeys) -> rusqlite::Result<CaseRow> {
    let opt_code = |i: usize| -> rusqlite::Result<Option<String>> { r.get(i) };
    let (tenant, person, sealed_with): (String, Option<i64>, Option<String>) = (r.get(13)?, r.get(14)?, r.get(15)?);
    let (person_name, person_phone) =
        keys.open_shown_or_mark(&tenant, person, sealed_with.as_deref(), r.get(11)?, r.get(12)?);
    Ok(CaseRow {
        id: parse_code(r.get(0)?)?,
        kind: r.get(1)?,
        status: r.get(2)?,
        title: r.get(3)?,
        unit: opt_code(4)?.map(parse_code).transpose()?,
        category: r.get(5)?,
        area: opt_code(6)?.map(parse_code).transpose()?,
        stage: parse_stage(&r.get::<_, String>(7)?)?,
        next_due: r.get::<_, Option<String>>(8)?.map(|s| parse_ts(&s)).transpose()?,
        next_due_working: r.get::<_, Option<bool>>(16)?.unwrap_or(false),
        opened_at: parse_ts(&r.get::<_, String>(9)?)?,
        detail: r.get(10)?,
        person_name,
        person_phone,
    })
}

fn parse_stage(s: &str) -> rusqlite::Result<Stage> {
    Stage::parse(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("stage {s}").into())
    })
}

/// A case query as SQL: what to select from, the WHERE clause and its parameters, and
/// the order, newest first.
///
/// A full-text query selects from the index and joins the header rows to it: FTS5
/// gives its matches in rowid order, which is the order the cases were recorded, so a
/// page of twenty is the first twenty matches (from the newest) that pass the other
/// filters, not a sort of all of them. Other queries list by the time opened, along
/// their indexes.
struct CaseSql {
    from: &'static str,
    filter: String,
    params: Vec<Box<dyn ToSql>>,
    order: &'static str,
}

/// `q` as SQL; `matching` is its full-text query as `SqliteStore::match_of` gives it,
/// `kinds` the names of every kind the store holds.
fn case_filter(q: &CaseQuery, matching: Option<String>, kinds: &[&'static str]) -> CaseSql {
    let mut w: Vec<String> = vec!["1 = 1".into()];
    let mut p: Vec<Box<dyn ToSql>> = vec![];
    let open = q.open == Some(true);
    let newest = "a.opened_at DESC, a.case_id DESC";
    let (from, order) = match matching {
        Some(t) => {
            p.push(Box::new(t));
            w.push(format!("case_text MATCH ?{}", p.len()));
            ("case_text JOIN case_header a ON a.rowid = case_text.rowid", "case_text.rowid DESC")
        }
        // The index is named, not left to the planner: without statistics (ANALYZE
        // of ten million cases takes minutes) it counted a unit's 即将超时 queue along
        // all of the unit's cases, 1.6 s, where the open cases of that stage take 5 ms.
        // A queue's shape says which index fits it (see migrations 7 and 9).
        // The primary key's index, in its order.
        None if matches!(q.order, ListOrder::ById { .. }) => ("case_header a", "a.case_id"),
        None if q.co_unit.is_some() => ("case_header a", newest),
        None if open && q.stage.is_some() => ("case_header a INDEXED BY case_open_stage", newest),
        None if open && q.unit.is_some() => ("case_header a INDEXED BY case_open_unit", newest),
        None if open => ("case_header a INDEXED BY case_open_status", newest),
        None if q.unit.is_some() => ("case_header a INDEXED BY case_unit", newest),
        None => ("case_header a", newest),
    };
    // The queues' indexes begin with the kind: a query of every kind names them all,
    // so each index is read one kind's range at a time.
    let any_kind: Vec<&'static str> = match q.kind {
        Some(k) => vec![k],
        None => kinds.to_vec(),
    };
    let mut list = vec![];
    for k in any_kind {
        p.push(Box::new(k));
        list.push(format!("?{}", p.len()));
    }
    // A walk by id reads the primary key's range: the unary plus keeps the planner
    // (with no statistics, as a fresh file has none) from reading the whole kind
    // through a queue's index and sorting it again for every page.
    let by_id = if matches!(q.order, ListOrder::ById { .. }) { "+" } else { "" };
    w.push(format!("{by_id}a.case_kind IN ({})", list.join(",")));
    // Per row, by key: a unit may see hundreds of thousands of cases.
    if let Some(u) = &q.visible_to {
        p.push(Box::new(u.to_string()));
        w.push(format!("EXISTS (SELECT 1 FROM case_access x WHERE x.case_id = a.case_id AND x.unit = ?{})", p.len()));
    }
    if let Some(u) = &q.unit {
        p.push(Box::new(u.to_string()));
        w.push(format!("a.unit = ?{}", p.len()));
    }
    // A unit is co-unit to few cases: those, looked up one by one.
    if let Some(u) = &q.co_unit {
        p.push(Box::new(u.to_string()));
        w.push(format!("a.case_id IN (SELECT case_id FROM case_co_unit WHERE unit = ?{})", p.len()));
    }
    if !q.statuses.is_empty() {
        let mut list = vec![];
        for s in &q.statuses {
            p.push(Box::new(*s));
            list.push(format!("?{}", p.len()));
        }
        w.push(format!("a.status IN ({})", list.join(",")));
    }
    // Open cases only: said as the open-case indexes say it, so they can be used.
    match q.open {
        Some(true) => w.push("a.closed_at IS NULL".into()),
        Some(false) => w.push("a.closed_at IS NOT NULL".into()),
        None => {}
    }
    if let Some(s) = &q.stage {
        p.push(Box::new(s.as_str()));
        w.push(format!("a.stage = ?{}", p.len()));
    }
    // A key of the kind's document, compared as JSON (`->` gives a value's JSON text).
    for (key, value) in &q.detail {
        p.push(Box::new(format!("$.{key}")));
        p.push(Box::new(value.to_string()));
        w.push(format!("coalesce(a.detail -> ?{}, 'null') = ?{}", p.len() - 1, p.len()));
    }
    if let Some(pid) = q.person {
        p.push(Box::new(pid.0));
        w.push(format!("a.person = ?{}", p.len()));
    }
    // A phone's few person rows by the digest's index, which holds the rows found by
    // phone only, then their cases by `case_person`.
    if let Some(d) = &q.phone_digest {
        p.push(Box::new(d.clone()));
        w.push(format!("a.person IN (SELECT id FROM person WHERE phone_digest = ?{} AND found_by_phone = 1)", p.len()));
    }
    if let Some(c) = &q.category {
        p.push(Box::new(c.clone()));
        w.push(format!("a.category = ?{}", p.len()));
    }
    if !q.areas.is_empty() {
        let mut list = vec![];
        for a in &q.areas {
            p.push(Box::new(a.to_string()));
            list.push(format!("?{}", p.len()));
        }
        w.push(format!("a.area IN ({})", list.join(",")));
    }
    if let Some(t) = q.opened_from {
        p.push(Box::new(ts(t)));
        w.push(format!("a.opened_at >= ?{}", p.len()));
    }
    if let Some(t) = q.opened_to {
        p.push(Box::new(ts(t)));
        w.push(format!("a.opened_at < ?{}", p.len()));
    }
    match &q.order {
        ListOrder::Newest | ListOrder::ById { after: None } => {}
        ListOrder::NewestAfter { opened_at, id } => {
            p.push(Box::new(ts(*opened_at)));
            p.push(Box::new(id.to_string()));
            w.push(format!("(a.opened_at, a.case_id) < (?{}, ?{})", p.len() - 1, p.len()));
        }
        ListOrder::ById { after: Some(id) } => {
            p.push(Box::new(id.to_string()));
            w.push(format!("a.case_id > ?{}", p.len()));
        }
    }
    CaseSql { from, filter: w.join(" AND "), params: p, order }
}

/// A case's header and its first event (`e`), from which its kind reads its text.
const CASE_TEXT_COLUMNS: &str = "a.case_id, a.title, a.area, a.status, a.opened_at, e.body";
const FIRST_EVENT: &str = "JOIN event e ON e.case_id = a.case_id AND e.seq = 1";

fn case_text_row(r: &Row<'_>) -> rusqlite::Result<CaseText> {
    Ok(CaseText {
        id: parse_code(r.get(0)?)?,
        title: r.get(1)?,
        area: r.get::<_, Option<String>>(2)?.map(parse_code).transpose()?,
        status: r.get(3)?,
        opened_at: parse_ts(&r.get::<_, String>(4)?)?,
        opening: r.get(5)?,
    })
}

const ARTICLE_COLUMNS: &str = "id, unit, question, answer, keywords, valid_from, valid_to, updated_by, updated_at";

fn article_row(r: &Row<'_>) -> rusqlite::Result<Article> {
    let date = |s: String| {
        s.parse::<chrono::NaiveDate>()
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
    };
    Ok(Article {
        id: r.get(0)?,
        unit: parse_code(r.get(1)?)?,
        question: r.get(2)?,
        answer: r.get(3)?,
        keywords: r.get(4)?,
        valid_from: date(r.get(5)?)?,
        valid_to: r.get::<_, Option<String>>(6)?.map(date).transpose()?,
        updated_by: r.get(7)?,
        updated_at: parse_ts(&r.get::<_, String>(8)?)?,
    })
}

/// A case's events in order, as `recorded` reads them.
const EVENTS_OF_CASE: &str = "SELECT case_id, seq, at, actor, kind, body FROM event WHERE case_id = ?1 ORDER BY seq";

/// An event row: case_id, seq, at, actor, kind (the event's name), body.
fn recorded(r: &Row<'_>) -> rusqlite::Result<Recorded> {
    Ok(Recorded {
        case: parse_code(r.get(0)?)?,
        seq: r.get(1)?,
        at: parse_ts(&r.get::<_, String>(2)?)?,
        actor: parse_json(&r.get::<_, String>(3)?)?,
        name: r.get(4)?,
        body: r.get(5)?,
    })
}

impl SqliteStore {
    fn kind_names(&self) -> Vec<&'static str> {
        self.kinds.iter().map(|k| k.name()).collect()
    }

    /// The full-text query of `q`, restricted to its kind by the index's markers
    /// (`search::fts_of_kind`), so that a search within a kind is counted by the index.
    fn match_of(&self, q: &CaseQuery) -> Option<String> {
        let text = q.text.as_deref()?;
        Some(match q.kind {
            Some(kind) if kind == self.unmarked => {
                crate::search::fts_of_kind(text, kind, &self.unmarked, &self.marked_present())
            }
            Some(kind) => crate::search::fts_of_kind(text, kind, &self.unmarked, &self.kind_names()),
            None => text.to_owned(),
        })
    }

    /// The marked kinds with a case stored, whose markers a search within the unmarked
    /// kind must exclude. Each marker excluded is a term FTS5 looks up in every
    /// segment of the index; with twenty kinds known and only appeals stored, that
    /// tripled an appeal search's count (0.37 to 1.0 ms at one million). The kinds not
    /// seen yet cost a seek each of `case_unit` (its kind first), in one statement
    /// per search, until their first case; a probe that fails counts them present.
    fn marked_present(&self) -> Vec<&'static str> {
        let lock = || self.marked_present.lock().unwrap_or_else(|p| p.into_inner());
        let mut present: Vec<&'static str> = lock().iter().copied().collect();
        let unseen: Vec<&'static str> =
            self.kind_names().into_iter().filter(|k| *k != self.unmarked && !present.contains(k)).collect();
        if unseen.is_empty() {
            return present;
        }
        // One statement, a seek per kind.
        let values = vec!["(?)"; unseen.len()].join(",");
        let sql = format!(
            "SELECT column1 FROM (VALUES {values}) AS v
             WHERE EXISTS (SELECT 1 FROM case_header WHERE case_kind = v.column1)"
        );
        let seen: Vec<&'static str> = match self.read(|c| {
            let stored: Vec<String> = c
                .prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(&unseen), |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(stored)
        }) {
            Ok(stored) => unseen.into_iter().filter(|k| stored.iter().any(|s| s == k)).collect(),
            Err(_) => unseen,
        };
        if !seen.is_empty() {
            lock().extend(seen.iter().copied());
            present.extend(seen);
        }
        present
    }

    /// The full-text query of a page of `q`, whose rows are checked for their kind
    /// anyway (`case_filter`): a marked kind's marker narrows the matches to its few
    /// cases; the unmarked kind (most of them) is not worth excluding the others in the
    /// index, which costs a page more than the rows it saves reading.
    fn page_match_of(&self, q: &CaseQuery) -> Option<String> {
        match q.kind {
            Some(kind) if kind == self.unmarked => q.text.clone(),
            _ => self.match_of(q),
        }
    }
}

impl Store for SqliteStore {
    fn replace_organisation(&self, units: &[Unit], at: Instant) -> Result<()> {
        let units = units.to_vec();
        self.writer.exec(move |c| {
            let tenant = units.iter().find(|u| u.parent.is_none()).map(|u| u.code.to_string()).unwrap_or_default();
            c.execute("DELETE FROM unit", []).map_err(map_err)?;
            let now = ts(at);
            let mut s = c
                .prepare("INSERT INTO unit (code, tenant, name, short, kind, parent, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7)")
                .map_err(map_err)?;
            for u in &units {
                s.execute(params![
                    u.code.as_str(),
                    tenant,
                    u.name,
                    u.short,
                    enum_str(&u.kind),
                    u.parent.as_ref().map(|p| p.as_str()),
                    now
                ])
                .map_err(map_err)?;
            }
            Ok(())
        })
    }

    fn units(&self) -> Result<Vec<Unit>> {
        self.read(|c| {
            let mut s = c.prepare_cached("SELECT code, name, short, kind, parent FROM unit ORDER BY rowid")?;
            s.query_map([], |r| {
                Ok(Unit {
                    code: parse_code(r.get(0)?)?,
                    name: r.get(1)?,
                    short: r.get(2)?,
                    kind: parse_enum(&r.get::<_, String>(3)?)?,
                    parent: r.get::<_, Option<String>>(4)?.map(parse_code).transpose()?,
                })
            })?
            .collect()
        })
    }

    fn replace_categories(&self, categories: &[Category], at: Instant) -> Result<()> {
        let cats = categories.to_vec();
        self.writer.exec(move |c| {
            c.execute("DELETE FROM category", []).map_err(map_err)?;
            let now = ts(at);
            let mut s = c
                .prepare(
                    "INSERT INTO category (code, name, parent, unit, utility, created_at, attributes, keywords)
                     VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                )
                .map_err(map_err)?;
            for k in &cats {
                let attributes =
                    serde_json::to_string(&k.attributes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let keywords = serde_json::to_string(&k.keywords).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                s.execute(params![
                    k.code.as_str(),
                    k.name,
                    k.parent.as_ref().map(|p| p.as_str()),
                    k.unit.as_str(),
                    k.utility,
                    now,
                    attributes,
                    keywords
                ])
                .map_err(map_err)?;
            }
            Ok(())
        })
    }

    fn categories(&self) -> Result<Vec<Category>> {
        self.read(|c| {
            let mut s = c.prepare_cached(
                "SELECT code, name, parent, unit, utility, attributes, keywords FROM category ORDER BY rowid",
            )?;
            s.query_map([], |r| {
                Ok(Category {
                    code: parse_code(r.get(0)?)?,
                    name: r.get(1)?,
                    parent: r.get::<_, Option<String>>(2)?.map(parse_code).transpose()?,
                    unit: parse_code(r.get(3)?)?,
                    utility: r.get(4)?,
                    attributes: parse_json(&r.get::<_, String>(5)?)?,
                    keywords: parse_json(&r.get::<_, String>(6)?)?,
                })
            })?
            .collect()
        })
    }

    fn replace_boundaries(&self, boundaries: &[(UnitCode, String)], at: Instant) -> Result<()> {
        let b = boundaries.to_vec();
        self.writer.exec(move |c| {
            c.execute("DELETE FROM boundary", []).map_err(map_err)?;
            let now = ts(at);
            let mut s =
                c.prepare("INSERT INTO boundary (unit, geometry, created_at) VALUES (?1,?2,?3)").map_err(map_err)?;
            for (u, g) in &b {
                s.execute(params![u.as_str(), g, now]).map_err(map_err)?;
            }
            Ok(())
        })
    }

    fn boundaries(&self) -> Result<Vec<(UnitCode, String)>> {
        self.read(|c| {
            let mut s = c.prepare_cached("SELECT unit, geometry FROM boundary ORDER BY rowid")?;
            s.query_map([], |r| Ok((parse_code(r.get(0)?)?, r.get(1)?)))?.collect()
        })
    }

    fn put_staff(&self, st: &StaffRecord, at: Instant) -> Result<()> {
        let st = st.clone();
        self.writer.exec(move |c| {
            let roles: Vec<&str> = st.roles.iter().map(|r| r.as_str()).collect();
            c.execute(
                "INSERT INTO staff (username, name, unit, roles, password_hash, active, created_at,
                    must_change_password, password_changed_at, totp_secret, recovery_codes)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)
                 ON CONFLICT (username) DO UPDATE SET name = excluded.name, unit = excluded.unit,
                    roles = excluded.roles, password_hash = excluded.password_hash, active = excluded.active,
                    must_change_password = excluded.must_change_password,
                    password_changed_at = excluded.password_changed_at,
                    totp_secret = excluded.totp_secret, recovery_codes = excluded.recovery_codes",
                params![
                    st.username.as_str(),
                    st.name,
                    st.unit.as_str(),
                    roles.join(","),
                    st.password_hash,
                    st.active,
                    ts(at),
                    st.must_change_password,
                    st.password_changed_at.map(ts),
                    st.totp_secret,
                    st.recovery_codes.join(",")
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
    }

    fn staff(&self, username: &Username) -> Result<Option<StaffRecord>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT username, name, unit, roles, password_hash, active, must_change_password, password_changed_at, totp_secret, recovery_codes FROM staff WHERE username = ?1",
            )?
            .query_row([username.as_str()], staff_row)
            .optional()
        })
    }

    fn list_staff(&self) -> Result<Vec<StaffRecord>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT username, name, unit, roles, password_hash, active, must_change_password, password_changed_at, totp_secret, recovery_codes FROM staff ORDER BY unit, username",
            )?
            .query_map([], staff_row)?
            .collect()
        })
    }

    fn create_session(&self, token_hash: &str, username: &Username, now: Instant, expires_at: Instant) -> Result<()> {
        let (t, u) = (token_hash.to_owned(), username.to_string());
        self.writer.exec(move |c| {
            // Expired sessions are swept whenever a new one is made.
            c.execute("DELETE FROM session WHERE expires_at < ?1", [ts(now)]).map_err(map_err)?;
            c.execute(
                "INSERT INTO session (token_hash, username, expires_at, created_at) VALUES (?1,?2,?3,?4)",
                params![t, u, ts(expires_at), ts(now)],
            )
            .map_err(map_err)?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT username, expires_at, coalesce(last_seen_at, created_at) FROM session WHERE token_hash = ?1",
            )?
            .query_row([token_hash], |r| {
                Ok(SessionRecord {
                    username: parse_code(r.get(0)?)?,
                    expires_at: parse_ts(&r.get::<_, String>(1)?)?,
                    last_seen_at: parse_ts(&r.get::<_, String>(2)?)?,
                })
            })
            .optional()
        })
    }

    fn touch_session(&self, token_hash: &str, at: Instant) -> Result<()> {
        let t = token_hash.to_owned();
        self.writer.exec(move |c| {
            c.execute("UPDATE session SET last_seen_at = ?2 WHERE token_hash = ?1", params![t, ts(at)])
                .map_err(map_err)?;
            Ok(())
        })
    }

    fn end_sessions(&self, username: &Username, except: Option<&str>) -> Result<u64> {
        let (u, e) = (username.to_string(), except.unwrap_or("").to_owned());
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.writer.exec(move |c| {
            let n = c
                .execute("DELETE FROM session WHERE username = ?1 AND token_hash <> ?2", params![u, e])
                .map_err(map_err)?;
            let _ = tx.send(n as u64);
            Ok(())
        })?;
        Ok(rx.recv().unwrap_or(0))
    }

    fn log_security(&self, e: &SecurityEvent) -> Result<()> {
        let e = e.clone();
        self.writer.exec(move |c| {
            c.execute(
                "INSERT INTO security_event (at, kind, username, address, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![ts(e.at), e.kind, e.username, e.address, e.detail],
            )
            .map_err(map_err)?;
            Ok(())
        })
    }

    fn security_events(&self, q: &SecurityQuery) -> Result<Vec<SecurityEvent>> {
        let mut w = vec!["1 = 1".to_owned()];
        let mut p: Vec<Box<dyn ToSql>> = vec![];
        if let Some(u) = &q.username {
            p.push(Box::new(u.clone()));
            w.push(format!("username = ?{}", p.len()));
        }
        if let Some(a) = &q.address {
            p.push(Box::new(a.clone()));
            w.push(format!("address = ?{}", p.len()));
        }
        if !q.kinds.is_empty() {
            let mut marks = vec![];
            for k in &q.kinds {
                p.push(Box::new(k.clone()));
                marks.push(format!("?{}", p.len()));
            }
            w.push(format!("kind IN ({})", marks.join(", ")));
        }
        if let Some(t) = q.since {
            p.push(Box::new(ts(t)));
            w.push(format!("at >= ?{}", p.len()));
        }
        if let Some(t) = q.until {
            p.push(Box::new(ts(t)));
            w.push(format!("at < ?{}", p.len()));
        }
        let sql = format!(
            "SELECT id, at, kind, username, address, detail FROM security_event WHERE {} ORDER BY at DESC, id DESC
             LIMIT {} OFFSET {}",
            w.join(" AND "),
            q.limit.max(1),
            q.offset
        );
        self.read(|c| {
            let refs: Vec<&dyn ToSql> = p.iter().map(|b| b.as_ref()).collect();
            c.prepare(&sql)?.query_map(refs.as_slice(), security_row)?.collect()
        })
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        let t = token_hash.to_owned();
        self.writer.exec(move |c| {
            c.execute("DELETE FROM session WHERE token_hash = ?1", [t]).map_err(map_err)?;
            Ok(())
        })
    }

    fn person(&self, id: PersonId) -> Result<Option<Person>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT name, phone, phone_digest, id_number, contact, erased_at, tenant, sealed_with
                 FROM person WHERE id = ?1",
            )?
            .query_row([id.0], |r| {
                let data = person_data(r, 0)?;
                let erased_at = r.get::<_, Option<String>>(5)?.map(|s| parse_ts(&s)).transpose()?;
                Ok((data, erased_at, r.get::<_, String>(6)?, r.get::<_, Option<String>>(7)?))
            })
            .optional()
        })?
        .map(|(data, erased_at, tenant, sealed_with)| {
            let data = self.people.keys.open(&tenant, id, sealed_with.as_deref(), data)?;
            Ok(Person { id, data, erased_at })
        })
        .transpose()
    }

    fn erase_person(&self, id: PersonId, at: Instant) -> Result<bool> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.writer.exec(move |c| {
            let n = c
                .execute(
                    "UPDATE person SET name = NULL, phone = NULL, phone_digest = NULL, id_number = NULL,
                        contact = NULL, sealed_with = NULL, erased_at = ?2 WHERE id = ?1 AND erased_at IS NULL",
                    params![id.0, ts(at)],
                )
                .map_err(map_err)?;
            let _ = tx.send(n > 0);
            Ok(())
        })?;
        Ok(rx.recv().unwrap_or(false))
    }

    fn seal_people(&self, after: PersonId, limit: usize) -> Result<Option<(PersonId, u64)>> {
        let people = self.people.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.writer.exec(move |c| {
            let rows = c
                .prepare_cached(
                    "SELECT id, tenant, name, phone, phone_digest, id_number, contact, sealed_with, erased_at
                     FROM person WHERE id > ?1 ORDER BY id LIMIT ?2",
                )
                .and_then(|mut s| {
                    s.query_map(params![after.0, limit as i64], |r| {
                        let data = person_data(r, 2)?;
                        let erased = r.get::<_, Option<String>>(8)?.is_some();
                        Ok((PersonId(r.get(0)?), r.get::<_, String>(1)?, data, r.get::<_, Option<String>>(7)?, erased))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(map_err)?;
            let Some(last) = rows.last().map(|r| r.0) else {
                let _ = tx.send(None);
                return Ok(());
            };
            let mut sealed = 0;
            // The plaintext a row held is overwritten with zeros where it stood, not
            // left in the page's free space (the WAL keeps old pages until its next
            // checkpoint; README says how to drop every old copy).
            let was: i64 = c.pragma_query_value(None, "secure_delete", |r| r.get(0)).map_err(map_err)?;
            c.pragma_update(None, "secure_delete", 1).map_err(map_err)?;
            let mut update = c
                .prepare_cached(
                    "UPDATE person SET name = ?2, phone = ?3, id_number = ?4, contact = ?5, sealed_with = ?6 WHERE id = ?1",
                )
                .map_err(map_err)?;
            for (id, tenant, data, key, erased) in rows {
                if erased || !people.keys.is_stale(key.as_deref()) {
                    continue;
                }
                // A row that does not open is left as it is, and named, not a stop.
                let plain = match people.keys.open(&tenant, id, key.as_deref(), data) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!("sealing personal data: {e}");
                        continue;
                    }
                };
                let (p, key) = people.keys.seal(&tenant, id, plain);
                update.execute(params![id.0, p.name, p.phone, p.id_number, p.contact, key]).map_err(map_err)?;
                sealed += 1;
            }
            drop(update);
            c.pragma_update(None, "secure_delete", was).map_err(map_err)?;
            let _ = tx.send(Some((last, sealed)));
            Ok(())
        })?;
        rx.recv().map_err(|_| StoreError::Database("the writer stopped".into()))
    }

    fn due_notices(&self, now: Instant, lane: Lane, limit: u32) -> Result<Vec<OutboxEntry>> {
        let lane = match lane {
            Lane::Messages => "(recipient IS NULL OR (recipient NOT LIKE 'webhook:%' AND recipient <> 'stream:'))",
            Lane::Webhooks => "recipient LIKE 'webhook:%'",
            Lane::Stream => "recipient = 'stream:'",
        };
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE next_at IS NOT NULL AND next_at <= ?1 AND {lane}
                 ORDER BY next_at, id LIMIT ?2"
            ))?
            .query_map(params![ts(now), limit], outbox_row)?
            .collect()
        })
    }

    fn notice_defer(&self, id: i64, at: Instant) -> Result<bool> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.writer.exec(move |c| {
            let n = c
                .execute(
                    "UPDATE outbox SET next_at = ?2 WHERE id = ?1 AND sent_at IS NULL AND next_at IS NOT NULL",
                    params![id, ts(at)],
                )
                .map_err(map_err)?;
            let _ = tx.send(n > 0);
            Ok(())
        })?;
        Ok(rx.recv().unwrap_or(false))
    }

    fn notice_skip(&self, id: i64, at: Instant, why: &str) -> Result<bool> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let why = why.to_owned();
        self.writer.exec(move |c| {
            let n = c
                .execute(
                    "UPDATE outbox SET sent_at = ?2, last_error = ?3 WHERE id = ?1 AND sent_at IS NULL AND next_at IS NULL",
                    params![id, ts(at), why],
                )
                .map_err(map_err)?;
            let _ = tx.send(n > 0);
            Ok(())
        })?;
        Ok(rx.recv().unwrap_or(false))
    }

    fn notice_tried(&self, id: i64, outcome: Sent) -> Result<()> {
        self.writer.exec(move |c| {
            match outcome {
                Sent::Delivered { at } => c.execute(
                    "UPDATE outbox SET attempts = attempts + 1, sent_at = ?2, next_at = NULL, last_error = NULL WHERE id = ?1",
                    params![id, ts(at)],
                ),
                Sent::Failed { at: _, error, retry_at } => c.execute(
                    "UPDATE outbox SET attempts = attempts + 1, next_at = ?2, last_error = ?3 WHERE id = ?1",
                    params![id, retry_at.map(ts), error],
                ),
            }
            .map_err(map_err)?;
            Ok(())
        })
    }

    fn notices_delivered(&self, ids: &[i64], at: Instant) -> Result<()> {
        let ids = ids.to_vec();
        self.writer.exec(move |c| {
            let mut s = c
                .prepare_cached(
                    "UPDATE outbox SET attempts = attempts + 1, sent_at = ?2, next_at = NULL, last_error = NULL WHERE id = ?1",
                )
                .map_err(map_err)?;
            for id in ids {
                s.execute(params![id, ts(at)]).map_err(map_err)?;
            }
            Ok(())
        })
    }

    fn notice_retry(&self, id: i64, at: Instant) -> Result<bool> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.writer.exec(move |c| {
            let n = c
                .execute(
                    "UPDATE outbox SET next_at = ?2 WHERE id = ?1 AND sent_at IS NULL AND next_at IS NULL",
                    params![id, ts(at)],
                )
                .map_err(map_err)?;
            let _ = tx.send(n > 0);
            Ok(())
        })?;
        Ok(rx.recv().unwrap_or(false))
    }

    fn enqueue_notice(
        &self,
        tenant: &yiwang_core::id::TenantId,
        case: Option<&CaseId>,
        notice: Notice,
        at: Instant,
    ) -> Result<()> {
        let (tenant, case, at) = (tenant.to_string(), case.map(|c| c.to_string()), ts(at));
        self.writer.exec(move |c| {
            c.execute(
                "INSERT INTO outbox (tenant, case_id, template, recipient, created_at, next_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![tenant, case, notice.template, notice.to, at],
            )
            .map_err(map_err)?;
            Ok(())
        })
    }

    fn outbox(&self, q: &OutboxQuery) -> Result<Vec<OutboxEntry>> {
        let state = match q.state.as_deref() {
            None => "1",
            Some("sent") => "sent_at IS NOT NULL AND last_error IS NULL",
            Some("skipped") => "sent_at IS NOT NULL AND last_error IS NOT NULL",
            Some("pending") => "sent_at IS NULL AND next_at IS NOT NULL",
            Some("failed") => "sent_at IS NULL AND next_at IS NULL",
            Some(other) => return Err(StoreError::NotFound(format!("outbox state {other}"))),
        };
        let case = q.case_id.as_ref().map(|c| c.to_string());
        // A prefix, compared as text (no LIKE: its wildcards need no escaping).
        let prefix = q.recipient_prefix.clone();
        // A case's entries through `outbox_by_case`: `?1 IS NULL OR case_id = ?1` would
        // read the whole outbox for each (a webhook delivery asks per entry).
        let by_case = if case.is_some() { "case_id = ?1" } else { "?1 IS NULL" };
        let lane = if q.without_stream { "AND (recipient IS NULL OR recipient <> 'stream:')" } else { "" };
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE {state} AND {by_case} {lane}
                 AND (?4 IS NULL OR substr(recipient, 1, length(?4)) = ?4)
                 ORDER BY id DESC LIMIT ?2 OFFSET ?3"
            ))?
            .query_map(params![case, q.limit.max(1), q.offset, prefix], outbox_row)?
            .collect()
        })
    }

    fn log_access(&self, e: &AccessEntry) -> Result<()> {
        let e = e.clone();
        self.writer.exec(move |c| {
            c.execute(
                "INSERT INTO access_log (at, actor, case_id, person_id, what, created_at) VALUES (?1,?2,?3,?4,?5,?1)",
                params![ts(e.at), e.actor, e.case.as_ref().map(|c| c.as_str()), e.person.map(|p| p.0), e.what],
            )
            .map_err(map_err)?;
            // The person read is found by phone from now on: their 谁查看了我的信息.
            if let Some(p) = e.person {
                c.execute("UPDATE person SET found_by_phone = 1 WHERE id = ?1 AND found_by_phone = 0", [p.0])
                    .map_err(map_err)?;
            }
            Ok(())
        })
    }

    fn accesses_by_phone(&self, phone_digest: &str, what_prefix: &str, limit: u32) -> Result<Vec<AccessEntry>> {
        // The person rows by the digest's index; the log has no index by person (a
        // citizen's page reads it rarely), so this scans the entries of those rows.
        let like = format!("{}%", what_prefix.replace('%', "").replace('_', "\\_"));
        self.read(|c| {
            c.prepare_cached(
                "SELECT at, actor, case_id, person_id, what FROM access_log
                 WHERE person_id IN (SELECT id FROM person WHERE phone_digest = ?1 AND found_by_phone = 1)
                   AND what LIKE ?2 ESCAPE '\\'
                 ORDER BY at DESC, id DESC LIMIT ?3",
            )?
            .query_map(params![phone_digest, like, limit.max(1)], |r| {
                Ok(AccessEntry {
                    at: parse_ts(&r.get::<_, String>(0)?)?,
                    actor: r.get(1)?,
                    case: r.get::<_, Option<String>>(2)?.and_then(|s| CaseId::parse(&s).ok()),
                    person: r.get::<_, Option<i64>>(3)?.map(PersonId),
                    what: r.get(4)?,
                })
            })?
            .collect()
        })
    }

    fn create_case(&self, new: NewCase) -> Pending<Case> {
        self.writer.create(new)
    }

    fn append(&self, batch: AppendBatch) -> Pending<Case> {
        self.writer.append(batch)
    }

    fn import_cases(&self, cases: Vec<ImportedCase>, recorded_at: Instant) -> Pending<()> {
        match super::bulk::prepare(cases, &self.people) {
            Ok(mut prepared) => self.writer.checked(move |c| {
                let written = super::bulk::write(c, &mut prepared, &ts(recorded_at));
                // Freeing a batch's many strings took a tenth of the writer's time:
                // another thread does it.
                let _ = std::thread::Builder::new().name("yiwang-free".into()).spawn(move || drop(prepared));
                written
            }),
            Err(e) => Pending::ready(Err(e)),
        }
    }

    /// The fold of the case's events, by the kind its chain head records.
    fn load(&self, id: &CaseId) -> Result<Option<Case>> {
        let found = self.read(|c| {
            let kind: Option<String> = c
                .prepare_cached("SELECT case_kind FROM chain_head WHERE case_id = ?1")?
                .query_row([id.as_str()], |r| r.get(0))
                .optional()?;
            let Some(kind) = kind else { return Ok(None) };
            let events: rusqlite::Result<Vec<Recorded>> =
                c.prepare_cached(EVENTS_OF_CASE)?.query_map([id.as_str()], recorded)?.collect();
            Ok(Some((kind, events?)))
        })?;
        match found {
            None => Ok(None),
            Some((_, events)) if Vec::is_empty(&events) => Err(StoreError::Corrupt(format!("case {id} has no events"))),
            Some((kind, events)) => Ok(Some(self.kinds.replay(&kind, id, &events)?)),
        }
    }

    fn events(&self, id: &CaseId) -> Result<Vec<Recorded>> {
        self.read(|c| c.prepare_cached(EVENTS_OF_CASE)?.query_map([id.as_str()], recorded)?.collect())
    }

    fn idempotent(&self, scope: &str, key: &str) -> Result<Option<IdempotentWrite>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT fingerprint, case_id, created_at FROM idempotency_key WHERE scope = ?1 AND key = ?2",
            )?
            .query_row([scope, key], |r| {
                Ok(IdempotentWrite {
                    fingerprint: r.get(0)?,
                    case_id: parse_code(r.get(1)?)?,
                    created_at: parse_ts(&r.get::<_, String>(2)?)?,
                })
            })
            .optional()
        })
    }

    fn purge_idempotency(&self, before: Instant) -> Result<u64> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.writer.exec(move |c| {
            let n = c.execute("DELETE FROM idempotency_key WHERE created_at < ?1", [ts(before)]).map_err(map_err)?;
            let _ = tx.send(n as u64);
            Ok(())
        })?;
        Ok(rx.recv().unwrap_or(0))
    }

    fn find_by_tracking_code(&self, code: &str) -> Result<Option<CaseId>> {
        self.read(|c| {
            c.prepare_cached("SELECT case_id FROM case_header WHERE tracking_code = ?1")?
                .query_row([code], |r| parse_code(r.get(0)?))
                .optional()
        })
    }

    fn list_cases(&self, q: &CaseQuery) -> Result<CasePage> {
        let total = self.count_cases(q)?;
        let CaseSql { from, filter, mut params, order } = case_filter(q, self.page_match_of(q), &self.kind_names());
        params.push(Box::new(q.limit.clamp(1, 500)));
        params.push(Box::new(q.offset));
        let n = params.len();
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM {from} LEFT JOIN person p ON p.id = a.person
             WHERE {filter} ORDER BY {order} LIMIT ?{} OFFSET ?{n}",
            n - 1
        );
        let rows = self.read(|c| {
            let mut s = c.prepare_cached(&sql)?;
            let params: Vec<&dyn ToSql> = params.iter().map(|b| b.as_ref()).collect();
            s.query_map(params.as_slice(), |r| case_row(r, &self.people.keys))?.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(CasePage { rows, total })
    }

    fn count_cases(&self, q: &CaseQuery) -> Result<u64> {
        // Words alone, within a kind or not: the index counts its matches without
        // reading a case.
        if let (Some(text), true) = (self.match_of(q), q.only_text_and_kind()) {
            let sql = match q.count_up_to {
                Some(n) => {
                    format!("SELECT count(*) FROM (SELECT 1 FROM case_text WHERE case_text MATCH ?1 LIMIT {n})")
                }
                None => "SELECT count(*) FROM case_text WHERE case_text MATCH ?1".to_owned(),
            };
            return self.read(|c| c.prepare_cached(&sql)?.query_row([text], |r| r.get(0)));
        }
        let CaseSql { from, filter, params, .. } = case_filter(q, self.match_of(q), &self.kind_names());
        let sql = match q.count_up_to {
            Some(n) => format!("SELECT count(*) FROM (SELECT 1 FROM {from} WHERE {filter} LIMIT {n})"),
            None => format!("SELECT count(*) FROM {from} WHERE {filter}"),
        };
        self.read(|c| {
            let params: Vec<&dyn ToSql> = params.iter().map(|b| b.as_ref()).collect();
            c.prepare_cached(&sql)?.query_row(params.as_slice(), |r| r.get(0))
        })
    }

    fn count_by_unit(&self, q: &CaseQuery) -> Result<Vec<(Option<UnitCode>, u64)>> {
        let q = CaseQuery { text: None, ..q.clone() };
        let CaseSql { from, filter, params, .. } = case_filter(&q, None, &self.kind_names());
        let sql = format!("SELECT a.unit, count(*) FROM {from} WHERE {filter} GROUP BY a.unit ORDER BY a.unit");
        self.read(|c| {
            let params: Vec<&dyn ToSql> = params.iter().map(|b| b.as_ref()).collect();
            c.prepare_cached(&sql)?
                .query_map(params.as_slice(), |r| {
                    let unit: Option<String> = r.get(0)?;
                    Ok((unit.map(parse_code).transpose()?, r.get(1)?))
                })?
                .collect()
        })
    }

    fn due_alarms(&self, now: Instant, limit: u32) -> Result<Vec<CaseId>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT case_id FROM case_header WHERE next_alarm IS NOT NULL AND next_alarm <= ?1
                 ORDER BY next_alarm LIMIT ?2",
            )?
            .query_map(params![ts(now), limit], |r| parse_code(r.get(0)?))?
            .collect()
        })
    }

    fn disk_usage(&self) -> Result<DiskUsage> {
        // The file is where SQLite says it is; the WAL beside it (absent before the
        // first write, or after a clean close).
        let file: String = self.read(|c| c.query_row("PRAGMA database_list", [], |r| r.get(2)))?;
        let size = |p: &str| std::fs::metadata(p).map(|m| m.len());
        let database = size(&file).map_err(|e| StoreError::Database(format!("{file}: {e}")))?;
        Ok(DiskUsage { database, wal: Some(size(&format!("{file}-wal")).unwrap_or(0)) })
    }

    fn tally_month(&self, month: &str) -> Result<Vec<FactCount>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT case_kind, unit, fact, flag, value, count FROM measure_tally
                 WHERE month = ?1 AND count <> 0 ORDER BY unit, case_kind, fact, flag, value",
            )?
            .query_map([month], |r| {
                Ok(FactCount {
                    kind: r.get(0)?,
                    unit: parse_code(r.get(1)?)?,
                    name: r.get(2)?,
                    flag: r.get(3)?,
                    value: r.get(4)?,
                    count: r.get(5)?,
                })
            })?
            .collect()
        })
    }

    fn volumes(&self, kind: &str, from: NaiveDate, to: NaiveDate) -> Result<Volumes> {
        // The rows in key order, summed here: SQLite's GROUP BY over a year's 33,000
        // rows sorts them in a temporary B-tree, which took longer than reading them.
        let rows: Vec<(String, String, String, i64)> = self.read(|c| {
            c.prepare_cached(
                "SELECT day, dimension, value, count FROM volume_tally
                 WHERE case_kind = ?1 AND day >= ?2 AND day < ?3",
            )?
            .query_map(params![kind, from.to_string(), to.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect()
        })?;
        // Every case has a status: a day's cases are the sum of its statuses.
        let day = |(day, dimension, _, n): &(String, String, String, i64)| {
            (dimension == "status").then(|| ("day".to_owned(), day.clone(), *n))
        };
        let days: Vec<_> = rows.iter().filter_map(day).collect();
        Ok(Volumes::sum(rows.into_iter().map(|(_, dimension, value, n)| (dimension, value, n)).chain(days)))
    }

    fn put_document(&self, name: &str, body: &str, at: Instant) -> Result<()> {
        let (n, b) = (name.to_owned(), body.to_owned());
        self.writer.exec(move |c| {
            c.execute(
                "INSERT INTO reference_document (name, body, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET body = excluded.body",
                params![n, b, ts(at)],
            )
            .map_err(map_err)?;
            Ok(())
        })
    }

    fn document(&self, name: &str) -> Result<Option<String>> {
        self.read(|c| {
            c.prepare_cached("SELECT body FROM reference_document WHERE name = ?1")?
                .query_row([name], |r| r.get(0))
                .optional()
        })
    }

    fn put_article(&self, a: &Article) -> Result<i64> {
        let a = a.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.writer.exec(move |c| {
            let to = a.valid_to.map(|d| d.to_string());
            let id = if a.id == 0 {
                c.execute(
                    "INSERT INTO knowledge_article (unit, question, answer, keywords, valid_from, valid_to, updated_by,
                        updated_at, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?8)",
                    params![a.unit.as_str(), a.question, a.answer, a.keywords, a.valid_from.to_string(), to, a.updated_by, ts(a.updated_at)],
                )
                .map_err(map_err)?;
                c.last_insert_rowid()
            } else {
                let n = c
                    .execute(
                        "UPDATE knowledge_article SET unit = ?2, question = ?3, answer = ?4, keywords = ?5, valid_from = ?6,
                            valid_to = ?7, updated_by = ?8, updated_at = ?9 WHERE id = ?1",
                        params![a.id, a.unit.as_str(), a.question, a.answer, a.keywords, a.valid_from.to_string(), to, a.updated_by, ts(a.updated_at)],
                    )
                    .map_err(map_err)?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("article {}", a.id)));
                }
                a.id
            };
            let _ = tx.send(id);
            Ok(())
        })?;
        rx.recv().map_err(|_| StoreError::Closed)
    }

    fn article(&self, id: i64) -> Result<Option<Article>> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {ARTICLE_COLUMNS} FROM knowledge_article WHERE id = ?1"))?
                .query_row([id], article_row)
                .optional()
        })
    }

    fn articles(&self) -> Result<Vec<Article>> {
        self.read(|c| {
            c.prepare_cached(&format!("SELECT {ARTICLE_COLUMNS} FROM knowledge_article ORDER BY id"))?
                .query_map([], article_row)?
                .collect()
        })
    }

    fn similar_case_texts(&self, kind: &str, fts_query: &str, since: Instant, limit: u32) -> Result<Vec<CaseText>> {
        let sql = format!(
            "SELECT {CASE_TEXT_COLUMNS} FROM case_text t JOIN case_header a ON a.rowid = t.rowid {FIRST_EVENT}
             WHERE case_text MATCH ?1 AND a.case_kind = ?2 AND a.opened_at >= ?3 ORDER BY t.rank LIMIT ?4"
        );
        self.read(|c| {
            c.prepare_cached(&sql)?.query_map(params![fts_query, kind, ts(since), limit], case_text_row)?.collect()
        })
    }

    fn case_texts(&self, kind: &str, from: Instant, to: Instant, limit: u32) -> Result<Vec<CaseText>> {
        let sql = format!(
            "SELECT {CASE_TEXT_COLUMNS} FROM case_header a INDEXED BY case_opened {FIRST_EVENT}
             WHERE a.opened_at >= ?1 AND a.opened_at < ?2 AND a.case_kind = ?3 ORDER BY a.opened_at DESC LIMIT ?4"
        );
        self.read(|c| {
            c.prepare_cached(&sql)?.query_map(params![ts(from), ts(to), kind, limit], case_text_row)?.collect()
        })
    }

    fn labelled_cases(&self) -> Result<Vec<LabelledCase>> {
        self.read(|c| {
            c.prepare_cached("SELECT case_id, text, category FROM dispatch_example ORDER BY case_id")?
                .query_map([], |r| {
                    Ok(LabelledCase { case: parse_code(r.get(0)?)?, text: r.get(1)?, category: parse_code(r.get(2)?)? })
                })?
                .collect()
        })
    }

    fn verify(&self) -> Result<VerifyReport> {
        let heads: HashMap<audit::Key, audit::Head> = self.read(|c| {
            c.prepare("SELECT tenant, case_id, case_kind, seq, hash FROM chain_head")?
                .query_map([], |r| {
                    Ok(((r.get(0)?, r.get(1)?), audit::Head { kind: r.get(2)?, seq: r.get(3)?, hash: r.get(4)? }))
                })?
                .collect()
        })?;
        let mut audit = audit::Audit::new(&self.kinds, heads);
        self.read(|c| {
            let mut s =
                c.prepare("SELECT tenant, case_id, seq, at, actor, body, alg, hash FROM event ORDER BY case_id, seq")?;
            let mut rows = s.query([])?;
            let mut current: Option<audit::Key> = None;
            let mut links: Vec<audit::Link> = vec![];
            while let Some(r) = rows.next()? {
                let key: audit::Key = (r.get(0)?, r.get(1)?);
                if current.as_ref() != Some(&key) {
                    if let Some(prev) = current.take() {
                        audit.case(&prev, &links);
                        links.clear();
                    }
                    current = Some(key.clone());
                }
                let seq: u32 = r.get(2)?;
                let at: String = r.get(3)?;
                let actor: String = r.get(4)?;
                let body: String = r.get(5)?;
                let canonical = chain::canonical(&key.0, &key.1, seq, &at, &actor, &body);
                let body = links.is_empty().then_some(body);
                links.push(audit::Link { seq, alg: r.get(6)?, prev: None, hash: r.get(7)?, canonical, body });
            }
            if let Some(prev) = current.take() {
                audit.case(&prev, &links);
            }
            Ok(())
        })?;
        Ok(audit.finish())
    }

    fn reindex(&self) -> Result<u64> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let kinds = self.kinds.clone();
        self.writer.exec(move |c| {
            c.execute_batch(
                "DELETE FROM case_header; DELETE FROM case_co_unit; DELETE FROM measure_tally;
                 DELETE FROM volume_tally; DELETE FROM dispatch_example;
                 INSERT INTO case_text (case_text) VALUES ('delete-all'); DELETE FROM case_access;",
            )
            .map_err(map_err)?;
            let mut s = c
                .prepare(
                    "SELECT e.case_id, e.seq, e.at, e.actor, e.kind, e.body, e.tenant, h.case_kind
                     FROM event e JOIN chain_head h ON h.case_id = e.case_id ORDER BY e.case_id, e.seq",
                )
                .map_err(map_err)?;
            let mut rows = s.query([]).map_err(map_err)?;
            // One case's events at a time: (tenant, kind, events).
            let mut case: Option<(String, String, Vec<Recorded>)> = None;
            let mut deferred = Deferred::default();
            let mut n = 0u64;
            let flush = |case: (String, String, Vec<Recorded>), deferred: &mut Deferred| -> Result<()> {
                let (tenant, kind, events) = case;
                let state = kinds.replay(&kind, &events[0].case, &events)?;
                project(c, &tenant, None, &state, true, deferred)?;
                if deferred.len() >= 10_000 {
                    deferred.write(c)?;
                }
                Ok(())
            };
            while let Some(r) = rows.next().map_err(map_err)? {
                let e = recorded(r).map_err(map_err)?;
                if case.as_ref().is_some_and(|(_, _, events)| events[0].case != e.case) {
                    flush(case.take().expect("checked"), &mut deferred)?;
                    n += 1;
                }
                match &mut case {
                    Some((_, _, events)) => events.push(e),
                    None => case = Some((r.get(6).map_err(map_err)?, r.get(7).map_err(map_err)?, vec![e])),
                }
            }
            if let Some(last) = case.take() {
                flush(last, &mut deferred)?;
                n += 1;
            }
            deferred.write(c)?;
            let _ = tx.send(n);
            Ok(())
        })?;
        Ok(rx.recv().unwrap_or(0))
    }

    fn seal(&self, at: Instant, signer: crate::anchor::Signer) -> Result<Option<crate::anchor::Checkpoint>> {
        self.seal_anchor(at, signer)
    }

    fn check_anchor_with(&self, archive: &crate::anchor::SecurityArchive) -> Result<crate::anchor::AnchorReport> {
        self.check_anchor_log(archive)
    }

    fn security_to_archive(&self, before: Instant) -> Result<crate::anchor::SecurityArchive> {
        self.security_before(before)
    }

    fn archive_security(&self, checkpoints: &[i64], before: Instant, at: Instant) -> Result<u64> {
        self.drop_archived(checkpoints.to_vec(), before, at)
    }

    fn events_between(&self, kind: &str, from: Instant, to: Instant, limit: u32, offset: u32) -> Result<Vec<Recorded>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT e.case_id, e.seq, e.at, e.actor, e.kind, e.body FROM event e
                 JOIN chain_head h ON h.case_id = e.case_id
                 WHERE e.created_at >= ?1 AND e.created_at < ?2 AND h.case_kind = ?3
                 ORDER BY e.created_at, e.rowid LIMIT ?4 OFFSET ?5",
            )?
            .query_map(params![ts(from), ts(to), kind, limit, offset], recorded)?
            .collect()
        })
    }

    fn create_api_key(&self, key_hash: &str, name: &str, at: Instant) -> Result<i64> {
        let (h, n) = (key_hash.to_owned(), name.to_owned());
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.writer.exec(move |c| {
            c.execute("INSERT INTO api_key (key_hash, name, created_at) VALUES (?1, ?2, ?3)", params![h, n, ts(at)])
                .map_err(map_err)?;
            let _ = tx.send(c.last_insert_rowid());
            Ok(())
        })?;
        rx.recv().map_err(|_| StoreError::Closed)
    }

    fn api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        self.read(|c| {
            c.prepare_cached("SELECT id, key_hash, name, created_at, revoked_at FROM api_key ORDER BY id")?
                .query_map([], api_key_row)?
                .collect()
        })
    }

    fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        self.read(|c| {
            c.prepare_cached("SELECT id, key_hash, name, created_at, revoked_at FROM api_key WHERE key_hash = ?1")?
                .query_row([key_hash], api_key_row)
                .optional()
        })
    }

    fn revoke_api_key(&self, id: i64, at: Instant) -> Result<bool> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.writer.exec(move |c| {
            let n = c
                .execute("UPDATE api_key SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", params![id, ts(at)])
                .map_err(map_err)?;
            let _ = tx.send(n > 0);
            Ok(())
        })?;
        Ok(rx.recv().unwrap_or(false))
    }
}

pub(super) fn security_row(r: &Row<'_>) -> rusqlite::Result<SecurityEvent> {
    Ok(SecurityEvent {
        id: r.get(0)?,
        at: parse_ts(&r.get::<_, String>(1)?)?,
        kind: r.get(2)?,
        username: r.get(3)?,
        address: r.get(4)?,
        detail: r.get(5)?,
    })
}

fn api_key_row(r: &Row<'_>) -> rusqlite::Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: r.get(0)?,
        key_hash: r.get(1)?,
        name: r.get(2)?,
        created_at: parse_ts(&r.get::<_, String>(3)?)?,
        revoked_at: r.get::<_, Option<String>>(4)?.map(|s| parse_ts(&s)).transpose()?,
    })
}

const OUTBOX_COLUMNS: &str =
    "id, tenant, case_id, template, recipient, created_at, attempts, next_at, sent_at, last_error";

fn outbox_row(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let time = |i: usize| -> rusqlite::Result<Option<Instant>> {
        r.get::<_, Option<String>>(i)?.map(|s| parse_ts(&s)).transpose()
    };
    Ok(OutboxEntry {
        id: r.get(0)?,
        tenant: r.get(1)?,
        case_id: r.get::<_, Option<String>>(2)?.map(parse_code).transpose()?,
        template: r.get(3)?,
        to: r.get(4)?,
        created_at: parse_ts(&r.get::<_, String>(5)?)?,
        attempts: r.get(6)?,
        next_at: time(7)?,
        sent_at: time(8)?,
        last_error: r.get(9)?,
    })
}

/// A person's fields (name, phone, phone_digest, id_number, contact) from column
/// `first` on, as stored.
fn person_data(r: &Row<'_>, first: usize) -> rusqlite::Result<PersonData> {
    Ok(PersonData {
        name: r.get(first)?,
        phone: r.get(first + 1)?,
        phone_digest: r.get(first + 2)?,
        id_number: r.get(first + 3)?,
        contact: r.get(first + 4)?,
    })
}
