//! `Store` for PostgreSQL: queries on the read pool, writes through the group-commit
//! writer. The queries mirror the SQLite store's; where PostgreSQL would answer
//! differently they say so (text sorts in the "C" collation, as SQLite compares
//! bytes; NULL keys sort first, as in SQLite).

use super::projection::Rows;
use super::{
    Conn, PgStore, col, count, enum_str, map_err, ms, opt_code, parse_code, parse_enum, parse_json, to_json, ts, uint,
};
use crate::audit;
use crate::search::fts_to_tsquery;
use crate::*;
use postgres::types::ToSql;
use postgres::{IsolationLevel, Row};
use std::collections::HashMap;
use yiwang_core::case::{Case, Recorded};
use yiwang_core::chain;
use yiwang_core::deadline::Stage;
use yiwang_core::org::{Role, Unit};
use yiwang_core::taxonomy::Category;

/// Rows `verify` and `reindex` take from the event log at a time.
const EVENT_CHUNK: i32 = 1000;

type Params = Vec<Box<dyn ToSql + Sync>>;

fn refs(p: &Params) -> Vec<&(dyn ToSql + Sync)> {
    p.iter().map(|b| b.as_ref()).collect()
}

fn staff_row(r: &Row) -> Result<StaffRecord> {
    let roles: String = col(r, 3)?;
    Ok(StaffRecord {
        username: parse_code(col(r, 0)?)?,
        name: col(r, 1)?,
        unit: parse_code(col(r, 2)?)?,
        roles: roles.split(',').filter(|s| !s.is_empty()).filter_map(|s| Role::parse(s).ok()).collect(),
        password_hash: col(r, 4)?,
        active: col(r, 5)?,
        must_change_password: col(r, 6)?,
        password_changed_at: col(r, 7)?,
        totp_secret: col(r, 8)?,
        recovery_codes: col::<String>(r, 9)?.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    })
}

const CASE_COLUMNS: &str = "a.case_id, a.case_kind, a.status, a.title, a.unit, a.category, a.area, a.stage,
    a.next_due, a.opened_at, a.detail::text, p.name, p.phone, a.tenant, a.person, p.sealed_with, a.due_working";

/// A row of a case list, its citizen's name and phone opened with `keys`.
fn case_row(r: &Row, keys: &crate::PersonalKeys) -> Result<CaseRow> {
    let stage: &str = col(r, 7)?;
    let sealed_with: Option<&str> = col(r, 15)?;
    let (person_name, person_phone) =
        keys.open_shown_or_mark(col(r, 13)?, col(r, 14)?, sealed_with, col(r, 11)?, col(r, 12)?);
    Ok(CaseRow {
        id: parse_code(col(r, 0)?)?,
        kind: col(r, 1)?,
        status: col(r, 2)?,
        title: col(r, 3)?,
        unit: opt_code(col(r, 4)?)?,
        category: col(r, 5)?,
        area: opt_code(col(r, 6)?)?,
        stage: Stage::parse(stage).ok_or_else(|| StoreError::Corrupt(format!("stage {stage}")))?,
        next_due: col(r, 8)?,
        next_due_working: col::<Option<bool>>(r, 16)?.unwrap_or(false),
        opened_at: col(r, 9)?,
        detail: col(r, 10)?,
        person_name,
        person_phone,
    })
}

/// How a case query's text condition is written, for the planner's sake.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TextMatch {
    /// `search @@ q`: the planner estimates the matches and may use the GIN index.
    Operator,
    /// `ts_match_vq(search, q)`, the same test as a function, which the planner
    /// neither estimates nor looks up in the index: for a phrase (a word of several
    /// bigrams) known to match many cases. The planner multiplies the bigrams'
    /// frequencies as if independent, so it takes a common word (占道经营, 3,282
    /// matches in 500,000) for a rare one, fetches and sorts every match (55 ms), where
    /// reading the newest cases until 20 match takes 7.
    Function,
}

/// A text search that matched fewer cases than this (counted exactly) has its page
/// taken from all its matches, fetched through the index and sorted.
const FEW_MATCHES: u64 = 1_000;

/// The WHERE clause and parameters of a case query; `None` when its text query has
/// nothing searchable left, so nothing matches.
fn case_filter(q: &CaseQuery, text: TextMatch) -> Option<(String, Params)> {
    let mut w: Vec<String> = vec!["true".into()];
    let mut p: Params = vec![];
    let push = |p: &mut Params, v: Box<dyn ToSql + Sync>| {
        p.push(v);
        p.len()
    };
    if let Some(t) = &q.text {
        let n = push(&mut p, Box::new(fts_to_tsquery(t)?));
        w.push(match text {
            TextMatch::Operator => format!("a.search @@ ${n}::text::tsquery"),
            TextMatch::Function => format!("ts_match_vq(a.search, ${n}::text::tsquery)"),
        });
    }
    if let Some(k) = q.kind {
        let n = push(&mut p, Box::new(k));
        w.push(format!("a.case_kind = ${n}"));
    }
    // The semi-joins name tenant too, so Citus keeps them on one shard.
    if let Some(u) = &q.visible_to {
        let n = push(&mut p, Box::new(u.to_string()));
        w.push(format!(
            "EXISTS (SELECT 1 FROM case_access x WHERE x.tenant = a.tenant AND x.case_id = a.case_id AND x.unit = ${n})"
        ));
    }
    if let Some(u) = &q.unit {
        let n = push(&mut p, Box::new(u.to_string()));
        w.push(format!("a.unit = ${n}"));
    }
    if let Some(u) = &q.co_unit {
        let n = push(&mut p, Box::new(u.to_string()));
        w.push(format!(
            "EXISTS (SELECT 1 FROM case_co_unit x WHERE x.tenant = a.tenant AND x.case_id = a.case_id AND x.unit = ${n})"
        ));
    }
    if !q.statuses.is_empty() {
        let list: Vec<String> = q.statuses.iter().map(|s| (*s).to_owned()).collect();
        let n = push(&mut p, Box::new(list));
        w.push(format!("a.status = ANY(${n}::text[])"));
    }
    match q.open {
        Some(true) => w.push("a.closed_at IS NULL".into()),
        Some(false) => w.push("a.closed_at IS NOT NULL".into()),
        None => {}
    }
    if let Some(s) = &q.stage {
        let n = push(&mut p, Box::new(s.as_str()));
        w.push(format!("a.stage = ${n}"));
    }
    // A key of the kind's document, compared as JSON (a key left out is null).
    for (key, value) in &q.detail {
        let k = push(&mut p, Box::new(*key));
        let v = push(&mut p, Box::new(value.to_string()));
        w.push(format!("coalesce(a.detail -> ${k}, 'null'::jsonb) = ${v}::text::jsonb"));
    }
    if let Some(pid) = q.person {
        let n = push(&mut p, Box::new(pid.0));
        w.push(format!("a.person = ${n}"));
    }
    // A phone's few person rows by the digest's index, which holds the rows found by
    // phone only, then their cases by `case_person`.
    if let Some(d) = &q.phone_digest {
        let n = push(&mut p, Box::new(d.clone()));
        w.push(format!("a.person IN (SELECT x.id FROM person x WHERE x.phone_digest = ${n} AND x.found_by_phone)"));
    }
    if let Some(c) = &q.category {
        let n = push(&mut p, Box::new(c.clone()));
        w.push(format!("a.category = ${n}"));
    }
    if !q.areas.is_empty() {
        let areas: Vec<String> = q.areas.iter().map(|a| a.to_string()).collect();
        let n = push(&mut p, Box::new(areas));
        w.push(format!("a.area = ANY(${n})"));
    }
    if let Some(t) = q.opened_from {
        let n = push(&mut p, Box::new(ms(t)));
        w.push(format!("a.opened_at >= ${n}"));
    }
    if let Some(t) = q.opened_to {
        let n = push(&mut p, Box::new(ms(t)));
        w.push(format!("a.opened_at < ${n}"));
    }
    match &q.order {
        ListOrder::Newest | ListOrder::ById { after: None } => {}
        ListOrder::NewestAfter { opened_at, id } => {
            let n = push(&mut p, Box::new(ms(*opened_at)));
            let m = push(&mut p, Box::new(id.to_string()));
            w.push(format!("(a.opened_at, a.case_id COLLATE \"C\") < (${n}, ${m})"));
        }
        ListOrder::ById { after: Some(id) } => {
            let n = push(&mut p, Box::new(id.to_string()));
            w.push(format!("a.case_id > ${n}"));
        }
    }
    Some((w.join(" AND "), p))
}

/// Matching cases, counted up to `up_to` (see `CaseQuery::count_up_to`).
fn count_where(c: &mut Conn, w: &str, p: &Params, up_to: Option<u64>) -> Result<u64> {
    let sql = match up_to {
        Some(n) => format!("SELECT count(*) FROM (SELECT 1 FROM case_header a WHERE {w} LIMIT {n}) x"),
        None => format!("SELECT count(*) FROM case_header a WHERE {w}"),
    };
    let row = c.query_one(&sql, &refs(p))?;
    count(col(&row, 0)?)
}

/// A case's header and its first event (`e`), from which its kind reads its text.
const CASE_TEXT_COLUMNS: &str = "a.case_id, a.title, a.area, a.status, a.opened_at, e.body";
const FIRST_EVENT: &str = "JOIN event e ON e.tenant = a.tenant AND e.case_id = a.case_id AND e.seq = 1";

fn case_text_row(r: &Row) -> Result<CaseText> {
    Ok(CaseText {
        id: parse_code(col(r, 0)?)?,
        title: col(r, 1)?,
        area: opt_code(col(r, 2)?)?,
        status: col(r, 3)?,
        opened_at: col(r, 4)?,
        opening: col(r, 5)?,
    })
}

const ARTICLE_COLUMNS: &str = "id, unit, question, answer, keywords, valid_from, valid_to, updated_by, updated_at";

fn article_row(r: &Row) -> Result<Article> {
    Ok(Article {
        id: col(r, 0)?,
        unit: parse_code(col(r, 1)?)?,
        question: col(r, 2)?,
        answer: col(r, 3)?,
        keywords: col(r, 4)?,
        valid_from: col(r, 5)?,
        valid_to: col(r, 6)?,
        updated_by: col(r, 7)?,
        updated_at: col(r, 8)?,
    })
}

/// A case's events in order, as `recorded` reads them.
const EVENTS_OF_CASE: &str = "SELECT case_id, seq, at, actor, kind, body FROM event WHERE case_id = $1 ORDER BY seq";

/// An event row: case_id, seq, at, actor, kind (the event's name), body.
fn recorded(r: &Row) -> Result<Recorded> {
    Ok(Recorded {
        case: parse_code(col(r, 0)?)?,
        seq: uint(col::<i32>(r, 1)?)?,
        at: col(r, 2)?,
        actor: parse_json(col(r, 3)?)?,
        name: col(r, 4)?,
        body: col(r, 5)?,
    })
}

pub(super) fn security_row(r: &Row) -> Result<SecurityEvent> {
    Ok(SecurityEvent {
        id: col(r, 0)?,
        at: col(r, 1)?,
        kind: col(r, 2)?,
        username: col(r, 3)?,
        address: col(r, 4)?,
        detail: col(r, 5)?,
    })
}

fn api_key_row(r: &Row) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: col(r, 0)?,
        key_hash: col(r, 1)?,
        name: col(r, 2)?,
        created_at: col(r, 3)?,
        revoked_at: col(r, 4)?,
    })
}

fn rows<T>(rows: Vec<Row>, f: impl Fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

impl PgStore {
    /// Runs `f` in the writer's next group commit and hands back its value once
    /// committed.
    pub(super) fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.writer.exec(move |c| {
            let _ = tx.send(f(c)?);
            Ok(())
        })?;
        rx.recv().map_err(|_| StoreError::Closed)
    }
}

impl Store for PgStore {
    fn replace_organisation(&self, units: &[Unit], at: Instant) -> Result<()> {
        let now = ms(at);
        let tenant = units.iter().find(|u| u.parent.is_none()).map(|u| u.code.to_string()).unwrap_or_default();
        let codes: Vec<String> = units.iter().map(|u| u.code.to_string()).collect();
        let names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
        let shorts: Vec<Option<String>> = units.iter().map(|u| u.short.clone()).collect();
        let kinds: Vec<String> = units.iter().map(|u| enum_str(&u.kind)).collect();
        let parents: Vec<Option<String>> = units.iter().map(|u| u.parent.as_ref().map(|p| p.to_string())).collect();
        self.write(move |c| {
            c.batch("DELETE FROM unit")?;
            c.execute(
                "INSERT INTO unit (code, tenant, name, short, kind, parent, ord, created_at)
                 SELECT code, $1, name, short, kind, parent, ord, $7
                 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY
                      AS x(code, name, short, kind, parent, ord)",
                &[&tenant, &codes, &names, &shorts, &kinds, &parents, &now],
            )?;
            Ok(())
        })
    }

    fn units(&self) -> Result<Vec<Unit>> {
        let found = self.read(|c| c.query("SELECT code, name, short, kind, parent FROM unit ORDER BY ord", &[]))?;
        rows(found, |r| {
            Ok(Unit {
                code: parse_code(col(r, 0)?)?,
                name: col(r, 1)?,
                short: col(r, 2)?,
                kind: parse_enum(col(r, 3)?)?,
                parent: opt_code(col(r, 4)?)?,
            })
        })
    }

    fn replace_categories(&self, categories: &[Category], at: Instant) -> Result<()> {
        let now = ms(at);
        let codes: Vec<String> = categories.iter().map(|k| k.code.to_string()).collect();
        let names: Vec<String> = categories.iter().map(|k| k.name.clone()).collect();
        let parents: Vec<Option<String>> =
            categories.iter().map(|k| k.parent.as_ref().map(|p| p.to_string())).collect();
        let units: Vec<String> = categories.iter().map(|k| k.unit.to_string()).collect();
        let utility: Vec<bool> = categories.iter().map(|k| k.utility).collect();
        let attributes = categories.iter().map(|k| to_json(&k.attributes)).collect::<Result<Vec<_>>>()?;
        let keywords = categories.iter().map(|k| to_json(&k.keywords)).collect::<Result<Vec<_>>>()?;
        self.write(move |c| {
            c.batch("DELETE FROM category")?;
            c.execute(
                "INSERT INTO category (code, name, parent, unit, utility, attributes, keywords, ord, created_at)
                 SELECT code, name, parent, unit, utility, attributes, keywords, ord, $8
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[])
                      WITH ORDINALITY AS x(code, name, parent, unit, utility, attributes, keywords, ord)",
                &[&codes, &names, &parents, &units, &utility, &attributes, &keywords, &now],
            )?;
            Ok(())
        })
    }

    fn categories(&self) -> Result<Vec<Category>> {
        let found = self.read(|c| {
            c.query("SELECT code, name, parent, unit, utility, attributes, keywords FROM category ORDER BY ord", &[])
        })?;
        rows(found, |r| {
            Ok(Category {
                code: parse_code(col(r, 0)?)?,
                name: col(r, 1)?,
                parent: opt_code(col(r, 2)?)?,
                unit: parse_code(col(r, 3)?)?,
                utility: col(r, 4)?,
                attributes: parse_json(col(r, 5)?)?,
                keywords: parse_json(col(r, 6)?)?,
            })
        })
    }

    fn replace_boundaries(&self, boundaries: &[(UnitCode, String)], at: Instant) -> Result<()> {
        let now = ms(at);
        let units: Vec<String> = boundaries.iter().map(|(u, _)| u.to_string()).collect();
        let geometries: Vec<String> = boundaries.iter().map(|(_, g)| g.clone()).collect();
        self.write(move |c| {
            c.batch("DELETE FROM boundary")?;
            c.execute(
                "INSERT INTO boundary (unit, geometry, ord, created_at)
                 SELECT unit, geometry, ord, $3 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY
                      AS x(unit, geometry, ord)",
                &[&units, &geometries, &now],
            )?;
            Ok(())
        })
    }

    fn boundaries(&self) -> Result<Vec<(UnitCode, String)>> {
        let found = self.read(|c| c.query("SELECT unit, geometry FROM boundary ORDER BY ord", &[]))?;
        rows(found, |r| Ok((parse_code(col(r, 0)?)?, col(r, 1)?)))
    }

    fn put_staff(&self, st: &StaffRecord, at: Instant) -> Result<()> {
        let now = ms(at);
        let st = st.clone();
        self.write(move |c| {
            let roles: Vec<&str> = st.roles.iter().map(|r| r.as_str()).collect();
            c.execute(
                "INSERT INTO staff (username, name, unit, roles, password_hash, active, created_at,
                    must_change_password, password_changed_at, totp_secret, recovery_codes)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (username) DO UPDATE SET name = excluded.name, unit = excluded.unit,
                    roles = excluded.roles, password_hash = excluded.password_hash, active = excluded.active,
                    must_change_password = excluded.must_change_password,
                    password_changed_at = excluded.password_changed_at,
                    totp_secret = excluded.totp_secret, recovery_codes = excluded.recovery_codes",
                &[
                    &st.username.as_str(),
                    &st.name,
                    &st.unit.as_str(),
                    &roles.join(","),
                    &st.password_hash,
                    &st.active,
                    &now,
                    &st.must_change_password,
                    &st.password_changed_at.map(ms),
                    &st.totp_secret,
                    &st.recovery_codes.join(","),
                ],
            )?;
            Ok(())
        })
    }

    fn staff(&self, username: &Username) -> Result<Option<StaffRecord>> {
        self.read(|c| {
            c.query_opt(
                "SELECT username, name, unit, roles, password_hash, active, must_change_password, password_changed_at, totp_secret, recovery_codes FROM staff WHERE username = $1",
                &[&username.as_str()],
            )
        })?
        .as_ref()
        .map(staff_row)
        .transpose()
    }

    fn list_staff(&self) -> Result<Vec<StaffRecord>> {
        let found = self.read(|c| {
            c.query(
                "SELECT username, name, unit, roles, password_hash, active, must_change_password, password_changed_at, totp_secret, recovery_codes FROM staff
                 ORDER BY unit COLLATE \"C\", username COLLATE \"C\"",
                &[],
            )
        })?;
        rows(found, staff_row)
    }

    fn create_session(&self, token_hash: &str, username: &Username, now: Instant, expires_at: Instant) -> Result<()> {
        let (t, u, now, expires_at) = (token_hash.to_owned(), username.to_string(), ms(now), ms(expires_at));
        self.write(move |c| {
            // Expired sessions are swept whenever a new one is made.
            c.execute("DELETE FROM session WHERE expires_at < $1", &[&now])?;
            c.execute(
                "INSERT INTO session (token_hash, username, expires_at, created_at) VALUES ($1, $2, $3, $4)",
                &[&t, &u, &expires_at, &now],
            )?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>> {
        self.read(|c| {
            c.query_opt(
                "SELECT username, expires_at, coalesce(last_seen_at, created_at) FROM session WHERE token_hash = $1",
                &[&token_hash],
            )
        })?
        .map(|r| {
            Ok(SessionRecord { username: parse_code(col(&r, 0)?)?, expires_at: col(&r, 1)?, last_seen_at: col(&r, 2)? })
        })
        .transpose()
    }

    fn touch_session(&self, token_hash: &str, at: Instant) -> Result<()> {
        let (t, at) = (token_hash.to_owned(), ms(at));
        self.write(move |c| {
            c.execute("UPDATE session SET last_seen_at = $2 WHERE token_hash = $1", &[&t, &at]).map(drop)
        })
    }

    fn end_sessions(&self, username: &Username, except: Option<&str>) -> Result<u64> {
        let (u, e) = (username.to_string(), except.unwrap_or("").to_owned());
        self.write(move |c| c.execute("DELETE FROM session WHERE username = $1 AND token_hash <> $2", &[&u, &e]))
    }

    fn log_security(&self, e: &SecurityEvent) -> Result<()> {
        let e = e.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO security_event (at, kind, username, address, detail) VALUES ($1, $2, $3, $4, $5)",
                &[&ms(e.at), &e.kind, &e.username, &e.address, &e.detail],
            )
            .map(drop)
        })
    }

    fn security_events(&self, q: &SecurityQuery) -> Result<Vec<SecurityEvent>> {
        let mut w = vec!["true".to_owned()];
        let mut p: Params = vec![];
        if let Some(u) = &q.username {
            p.push(Box::new(u.clone()));
            w.push(format!("username = ${}", p.len()));
        }
        if let Some(a) = &q.address {
            p.push(Box::new(a.clone()));
            w.push(format!("address = ${}", p.len()));
        }
        if !q.kinds.is_empty() {
            p.push(Box::new(q.kinds.clone()));
            w.push(format!("kind = ANY(${})", p.len()));
        }
        if let Some(t) = q.since {
            p.push(Box::new(ms(t)));
            w.push(format!("at >= ${}", p.len()));
        }
        if let Some(t) = q.until {
            p.push(Box::new(ms(t)));
            w.push(format!("at < ${}", p.len()));
        }
        let sql = format!(
            "SELECT id, at, kind, username, address, detail FROM security_event WHERE {} ORDER BY at DESC, id DESC
             LIMIT {} OFFSET {}",
            w.join(" AND "),
            q.limit.max(1),
            q.offset
        );
        let rows = self.read(|c| c.query(&sql, &refs(&p)))?;
        rows.iter().map(security_row).collect()
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        let t = token_hash.to_owned();
        self.write(move |c| c.execute("DELETE FROM session WHERE token_hash = $1", &[&t]).map(drop))
    }

    fn person(&self, id: PersonId) -> Result<Option<Person>> {
        self.read(|c| {
            c.query_opt(
                "SELECT name, phone, phone_digest, id_number, contact, erased_at, tenant, sealed_with
                 FROM person WHERE id = $1",
                &[&id.0],
            )
        })?
        .map(|r| {
            let data = person_data(&r, 0)?;
            let data = self.keys.open(col(&r, 6)?, id, col(&r, 7)?, data)?;
            Ok(Person { id, data, erased_at: col(&r, 5)? })
        })
        .transpose()
    }

    fn seal_people(&self, after: PersonId, limit: usize) -> Result<Option<(PersonId, u64)>> {
        let keys = &self.keys;
        self.read(|c| {
            let rows = c.query(
                "SELECT id, tenant, name, phone, phone_digest, id_number, contact, sealed_with, erased_at IS NOT NULL
                 FROM person WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after.0, &(limit as i64)],
            )?;
            let Some(last) = rows.last().map(|r| col::<i64>(r, 0)).transpose()? else { return Ok(None) };
            // The batch's new values, written by one statement.
            let (mut ids, mut names, mut phones, mut id_numbers, mut contacts, mut new_keys, mut old_keys) =
                (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
            for r in &rows {
                let (id, tenant, key, erased): (i64, &str, Option<&str>, bool) =
                    (col(r, 0)?, col(r, 1)?, col(r, 7)?, col(r, 8)?);
                if erased || !keys.is_stale(key) {
                    continue;
                }
                let data = person_data(r, 2)?;
                let plain = match keys.open(tenant, PersonId(id), key, data) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!("sealing personal data: {e}");
                        continue;
                    }
                };
                let (p, new_key) = keys.seal(tenant, PersonId(id), plain);
                ids.push(id);
                names.push(p.name);
                phones.push(p.phone);
                id_numbers.push(p.id_number);
                contacts.push(p.contact);
                new_keys.push(new_key);
                old_keys.push(key.map(str::to_owned));
            }
            if ids.is_empty() {
                return Ok(Some((PersonId(last), 0)));
            }
            // Only as read: a row erased or sealed meanwhile is left as it is now.
            let sealed = c.execute(
                "UPDATE person SET name = x.name, phone = x.phone, id_number = x.id_number, contact = x.contact,
                        sealed_with = x.new_key
                 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                      AS x(id, name, phone, id_number, contact, new_key, old_key)
                 WHERE person.id = x.id AND person.erased_at IS NULL
                   AND person.sealed_with IS NOT DISTINCT FROM x.old_key",
                &[&ids, &names, &phones, &id_numbers, &contacts, &new_keys, &old_keys],
            )?;
            Ok(Some((PersonId(last), sealed)))
        })
    }

    fn due_notices(&self, now: Instant, lane: Lane, limit: u32) -> Result<Vec<OutboxEntry>> {
        let lane = match lane {
            Lane::Messages => "(recipient IS NULL OR (recipient NOT LIKE 'webhook:%' AND recipient <> 'stream:'))",
            Lane::Webhooks => "recipient LIKE 'webhook:%'",
            Lane::Stream => "recipient = 'stream:'",
        };
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE next_at IS NOT NULL AND next_at <= $1 AND {lane}
             ORDER BY next_at, id LIMIT $2"
        );
        let rows = self.read(|c| c.query(&sql, &[&now, &i64::from(limit)]))?;
        rows.iter().map(outbox_row).collect()
    }

    fn notice_tried(&self, id: i64, outcome: Sent) -> Result<()> {
        self.write(move |c| {
            match outcome {
                Sent::Delivered { at } => c.execute(
                    "UPDATE outbox SET attempts = attempts + 1, sent_at = $2, next_at = NULL, last_error = NULL WHERE id = $1",
                    &[&id, &at],
                ),
                Sent::Failed { at: _, error, retry_at } => c.execute(
                    "UPDATE outbox SET attempts = attempts + 1, next_at = $2, last_error = $3 WHERE id = $1",
                    &[&id, &retry_at, &error],
                ),
            }
            .map(drop)
        })
    }

    fn notices_delivered(&self, ids: &[i64], at: Instant) -> Result<()> {
        let ids = ids.to_vec();
        self.write(move |c| {
            c.execute(
                "UPDATE outbox SET attempts = attempts + 1, sent_at = $2, next_at = NULL, last_error = NULL
                 WHERE id = ANY($1)",
                &[&ids, &at],
            )
            .map(drop)
        })
    }

    fn notice_retry(&self, id: i64, at: Instant) -> Result<bool> {
        self.write(move |c| {
            c.execute(
                "UPDATE outbox SET next_at = $2 WHERE id = $1 AND sent_at IS NULL AND next_at IS NULL",
                &[&id, &at],
            )
            .map(|n| n > 0)
        })
    }

    fn notice_defer(&self, id: i64, at: Instant) -> Result<bool> {
        self.write(move |c| {
            c.execute(
                "UPDATE outbox SET next_at = $2 WHERE id = $1 AND sent_at IS NULL AND next_at IS NOT NULL",
                &[&id, &at],
            )
            .map(|n| n > 0)
        })
    }

    fn notice_skip(&self, id: i64, at: Instant, why: &str) -> Result<bool> {
        let why = why.to_owned();
        self.write(move |c| {
            c.execute(
                "UPDATE outbox SET sent_at = $2, last_error = $3 WHERE id = $1 AND sent_at IS NULL AND next_at IS NULL",
                &[&id, &at, &why],
            )
            .map(|n| n > 0)
        })
    }

    fn enqueue_notice(
        &self,
        tenant: &yiwang_core::id::TenantId,
        case: Option<&CaseId>,
        notice: Notice,
        at: Instant,
    ) -> Result<()> {
        let (tenant, case) = (tenant.to_string(), case.map(|c| c.to_string()));
        self.write(move |c| {
            c.execute(
                "INSERT INTO outbox (tenant, case_id, template, recipient, created_at, next_at) VALUES ($1, $2, $3, $4, $5, $5)",
                &[&tenant, &case, &notice.template, &notice.to, &at],
            )
            .map(drop)
        })
    }

    fn outbox(&self, q: &OutboxQuery) -> Result<Vec<OutboxEntry>> {
        let state = match q.state.as_deref() {
            None => "true",
            Some("sent") => "sent_at IS NOT NULL AND last_error IS NULL",
            Some("skipped") => "sent_at IS NOT NULL AND last_error IS NOT NULL",
            Some("pending") => "sent_at IS NULL AND next_at IS NOT NULL",
            Some("failed") => "sent_at IS NULL AND next_at IS NULL",
            Some(other) => return Err(StoreError::NotFound(format!("outbox state {other}"))),
        };
        let case = q.case_id.as_ref().map(|c| c.to_string());
        let prefix = q.recipient_prefix.clone();
        // A prefix, compared as text (no LIKE: its wildcards need no escaping).
        // A case's entries through `outbox_by_case` (a generic plan of `$1 IS NULL OR
        // case_id = $1` reads the whole outbox; a webhook delivery asks per entry).
        let by_case = if case.is_some() { "case_id = $1" } else { "$1::text IS NULL" };
        let lane = if q.without_stream { "AND (recipient IS NULL OR recipient <> 'stream:')" } else { "" };
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE {state} AND {by_case} {lane}
             AND ($4::text IS NULL OR left(recipient, length($4)) = $4)
             ORDER BY id DESC LIMIT $2 OFFSET $3"
        );
        let (limit, offset) = (i64::from(q.limit.max(1)), i64::from(q.offset));
        let rows = self.read(|c| c.query(&sql, &[&case, &limit, &offset, &prefix]))?;
        rows.iter().map(outbox_row).collect()
    }

    fn erase_person(&self, id: PersonId, at: Instant) -> Result<bool> {
        let at = ms(at);
        self.write(move |c| {
            let n = c.execute(
                "UPDATE person SET name = NULL, phone = NULL, phone_digest = NULL, id_number = NULL,
                    contact = NULL, sealed_with = NULL, erased_at = $2 WHERE id = $1 AND erased_at IS NULL",
                &[&id.0, &at],
            )?;
            Ok(n > 0)
        })
    }

    fn log_access(&self, e: &AccessEntry) -> Result<()> {
        let e = e.clone();
        self.write(move |c| {
            let at = ms(e.at);
            c.execute(
                "INSERT INTO access_log (at, actor, case_id, person_id, what, created_at) VALUES ($1, $2, $3, $4, $5, $1)",
                &[&at, &e.actor, &e.case.as_ref().map(|c| c.as_str()), &e.person.map(|p| p.0), &e.what],
            )?;
            // The person read is found by phone from now on: their 谁查看了我的信息.
            if let Some(p) = e.person {
                c.execute("UPDATE person SET found_by_phone = true WHERE id = $1 AND NOT found_by_phone", &[&p.0])?;
            }
            Ok(())
        })
    }

    fn accesses_by_phone(&self, phone_digest: &str, what_prefix: &str, limit: u32) -> Result<Vec<AccessEntry>> {
        let like = format!("{}%", what_prefix.replace('%', "").replace('_', "\\_"));
        let limit = i64::from(limit.max(1));
        let rows = self.read(|c| {
            c.query(
                "SELECT at, actor, case_id, person_id, what FROM access_log
                 WHERE person_id IN (SELECT id FROM person WHERE phone_digest = $1 AND found_by_phone)
                   AND what LIKE $2
                 ORDER BY at DESC, id DESC LIMIT $3",
                &[&phone_digest, &like, &limit],
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(AccessEntry {
                    at: col(r, 0)?,
                    actor: col(r, 1)?,
                    case: col::<Option<String>>(r, 2)?.and_then(|s| CaseId::parse(&s).ok()),
                    person: col::<Option<i64>>(r, 3)?.map(PersonId),
                    what: col(r, 4)?,
                })
            })
            .collect()
    }

    fn create_case(&self, new: NewCase) -> Pending<Case> {
        self.writer.create(new)
    }

    fn append(&self, batch: AppendBatch) -> Pending<Case> {
        self.writer.append(batch)
    }

    /// Each history is checked here, on the caller's thread: the writer links and
    /// folds it again, and a history that failed there would fail the whole batch.
    fn import_cases(&self, cases: Vec<ImportedCase>, recorded_at: Instant) -> Pending<()> {
        if let Err(e) = cases.iter().try_for_each(ImportedCase::check) {
            return Pending::ready(Err(e));
        }
        self.writer.submit(|r| {
            let (keys, hash) = (self.keys.clone(), self.hash);
            crate::commit::Job::Checked(
                Box::new(move |c| super::bulk::import_cases(c, &keys, hash, cases, recorded_at)),
                r,
            )
        })
    }

    /// The fold of the case's events, by the kind its chain head records (as on
    /// SQLite: no projection is read, so none is needed to write).
    fn load(&self, id: &CaseId) -> Result<Option<Case>> {
        let found = self.read(|c| {
            let Some(head) = c.query_opt("SELECT case_kind FROM chain_head WHERE case_id = $1", &[&id.as_str()])?
            else {
                return Ok(None);
            };
            let kind: String = col(&head, 0)?;
            Ok(Some((kind, rows(c.query(EVENTS_OF_CASE, &[&id.as_str()])?, recorded)?)))
        })?;
        match found {
            None => Ok(None),
            Some((_, events)) if events.is_empty() => Err(StoreError::Corrupt(format!("case {id} has no events"))),
            Some((kind, events)) => Ok(Some(self.kinds.replay(&kind, id, &events)?)),
        }
    }

    fn events(&self, id: &CaseId) -> Result<Vec<Recorded>> {
        let found = self.read(|c| c.query(EVENTS_OF_CASE, &[&id.as_str()]))?;
        rows(found, recorded)
    }

    fn events_between(&self, kind: &str, from: Instant, to: Instant, limit: u32, offset: u32) -> Result<Vec<Recorded>> {
        let found = self.read(|c| {
            c.query(
                "SELECT e.case_id, e.seq, e.at, e.actor, e.kind, e.body FROM event e
                 JOIN chain_head h ON h.tenant = e.tenant AND h.case_id = e.case_id
                 WHERE e.created_at >= $1 AND e.created_at < $2 AND h.case_kind = $3
                 ORDER BY e.created_at, e.pos LIMIT $4 OFFSET $5",
                &[&ms(from), &ms(to), &kind, &i64::from(limit), &i64::from(offset)],
            )
        })?;
        rows(found, recorded)
    }

    fn idempotent(&self, scope: &str, key: &str) -> Result<Option<IdempotentWrite>> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT fingerprint, case_id, created_at FROM idempotency_key WHERE scope = $1 AND key = $2",
                &[&scope, &key],
            )
        })?;
        row.map(|r| {
            Ok(IdempotentWrite { fingerprint: col(&r, 0)?, case_id: parse_code(col(&r, 1)?)?, created_at: col(&r, 2)? })
        })
        .transpose()
    }

    fn purge_idempotency(&self, before: Instant) -> Result<u64> {
        let before = ms(before);
        self.write(move |c| c.execute("DELETE FROM idempotency_key WHERE created_at < $1", &[&before]))
    }

    fn find_by_tracking_code(&self, code: &str) -> Result<Option<CaseId>> {
        self.read(|c| c.query_opt("SELECT case_id FROM case_header WHERE tracking_code = $1 LIMIT 1", &[&code]))?
            .map(|r| parse_code(col(&r, 0)?))
            .transpose()
    }

    /// A text search chooses its plan by what the count found: fewer than
    /// `FEW_MATCHES` matches are all fetched and sorted (whatever the planner thinks of
    /// the word), a phrase with more is read newest first (`TextMatch::Function`).
    fn list_cases(&self, q: &CaseQuery) -> Result<CasePage> {
        let Some((w, p)) = case_filter(q, TextMatch::Operator) else { return Ok(CasePage::default()) };
        // A text search may read the replica; a queue reads the primary.
        let found = self.read_searching(q.text.is_some(), |c| {
            let total = count_where(c, &w, &p, q.count_up_to)?;
            let few = q.text.is_some() && total < FEW_MATCHES && q.count_up_to.is_none_or(|cap| total < cap);
            let phrase = q.text.as_deref().and_then(fts_to_tsquery).is_some_and(|t| t.contains("<->"));
            let (w, mut p) = match (few, phrase) {
                (false, true) => case_filter(q, TextMatch::Function).expect("searchable, as above"),
                _ => (w, p),
            };
            p.push(Box::new(i64::from(q.limit.clamp(1, 500))));
            p.push(Box::new(i64::from(q.offset)));
            let n = p.len();
            let order = match q.order {
                ListOrder::Newest | ListOrder::NewestAfter { .. } => "ORDER BY a.opened_at DESC, a.case_id COLLATE \"C\" DESC",
                // `case_header_case`, in its own collation.
                ListOrder::ById { .. } => "ORDER BY a.case_id",
            };
            let sql = if few {
                format!(
                    "WITH m AS MATERIALIZED (SELECT a.tenant, a.case_id, a.opened_at FROM case_header a WHERE {w})
                     SELECT {CASE_COLUMNS} FROM (SELECT * FROM m a {order} LIMIT ${} OFFSET ${n}) k
                     JOIN case_header a ON a.tenant = k.tenant AND a.case_id = k.case_id
                     LEFT JOIN person p ON p.tenant = a.tenant AND p.id = a.person {order}",
                    n - 1
                )
            } else {
                format!(
                    "SELECT {CASE_COLUMNS} FROM case_header a LEFT JOIN person p ON p.tenant = a.tenant AND p.id = a.person
                     WHERE {w} {order} LIMIT ${} OFFSET ${n}",
                    n - 1
                )
            };
            Ok((total, c.query(&sql, &refs(&p))?))
        })?;
        Ok(CasePage { rows: rows(found.1, |r| case_row(r, &self.keys))?, total: found.0 })
    }

    fn count_cases(&self, q: &CaseQuery) -> Result<u64> {
        let Some((w, p)) = case_filter(q, TextMatch::Operator) else { return Ok(0) };
        self.read_searching(q.text.is_some(), |c| count_where(c, &w, &p, q.count_up_to))
    }

    fn count_by_unit(&self, q: &CaseQuery) -> Result<Vec<(Option<UnitCode>, u64)>> {
        let q = CaseQuery { text: None, ..q.clone() };
        let Some((w, p)) = case_filter(&q, TextMatch::Operator) else { return Ok(vec![]) };
        let sql = format!(
            "SELECT a.unit, count(*) FROM case_header a WHERE {w} GROUP BY a.unit ORDER BY a.unit COLLATE \"C\" NULLS FIRST"
        );
        let found = self.read_replica(|c| c.query(&sql, &refs(&p)))?;
        rows(found, |r| Ok((opt_code(col(r, 0)?)?, count(col(r, 1)?)?)))
    }

    fn due_alarms(&self, now: Instant, limit: u32) -> Result<Vec<CaseId>> {
        let found = self.read(|c| {
            c.query(
                "SELECT case_id FROM case_header WHERE next_alarm IS NOT NULL AND next_alarm <= $1
                 ORDER BY next_alarm LIMIT $2",
                &[&ms(now), &i64::from(limit)],
            )
        })?;
        rows(found, |r| parse_code(col(r, 0)?))
    }

    fn disk_usage(&self) -> Result<DiskUsage> {
        self.read(|c| {
            let database: i64 = col(&c.query_one("SELECT pg_database_size(current_database())", &[])?, 0)?;
            // Listing the WAL needs pg_monitor (or superuser); without it, no figure,
            // and the failed statement leaves no transaction behind (autocommit).
            let wal = c
                .query_one("SELECT coalesce(sum(size), 0)::bigint FROM pg_ls_waldir()", &[])
                .ok()
                .and_then(|r| col::<i64>(&r, 0).ok())
                .map(|n| n as u64);
            Ok(DiskUsage { database: database as u64, wal })
        })
    }

    fn tally_month(&self, month: &str) -> Result<Vec<FactCount>> {
        let found = self.read_replica(|c| {
            c.query(
                "SELECT case_kind, unit, fact, flag, value, sum(count)::bigint FROM measure_tally WHERE month = $1
                 GROUP BY case_kind, unit, fact, flag, value HAVING sum(count) <> 0
                 ORDER BY unit COLLATE \"C\", case_kind COLLATE \"C\", fact COLLATE \"C\", flag, value COLLATE \"C\"",
                &[&month],
            )
        })?;
        rows(found, |r| {
            Ok(FactCount {
                kind: col(r, 0)?,
                unit: parse_code(col(r, 1)?)?,
                name: col(r, 2)?,
                flag: col(r, 3)?,
                value: col(r, 4)?,
                count: count(col(r, 5)?)?,
            })
        })
    }

    fn volumes(&self, kind: &str, from: NaiveDate, to: NaiveDate) -> Result<Volumes> {
        // Summed here (the slots too), so a year's dashboard receives a few hundred rows.
        let found = self.read_replica(|c| {
            c.query(
                "SELECT dimension, value, sum(count)::bigint FROM volume_tally
                 WHERE case_kind = $1 AND day >= $2 AND day < $3
                 GROUP BY dimension, value
                 UNION ALL
                 SELECT 'day', to_char(day, 'YYYY-MM-DD'), sum(count)::bigint FROM volume_tally
                 WHERE case_kind = $1 AND day >= $2 AND day < $3 AND dimension = 'status' GROUP BY day",
                &[&kind, &from, &to],
            )
        })?;
        let rows = rows(found, |r| Ok((col(r, 0)?, col(r, 1)?, col(r, 2)?)))?;
        Ok(Volumes::sum(rows))
    }

    fn put_document(&self, name: &str, body: &str, at: Instant) -> Result<()> {
        let now = ms(at);
        let (n, b) = (name.to_owned(), body.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO reference_document (name, body, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET body = excluded.body",
                &[&n, &b, &now],
            )
            .map(drop)
        })
    }

    fn document(&self, name: &str) -> Result<Option<String>> {
        self.read(|c| c.query_opt("SELECT body FROM reference_document WHERE name = $1", &[&name]))?
            .map(|r| col(&r, 0))
            .transpose()
    }

    fn put_article(&self, a: &Article) -> Result<i64> {
        let a = a.clone();
        self.write(move |c| {
            let at = ms(a.updated_at);
            if a.id == 0 {
                let r = c.query_one(
                    "INSERT INTO knowledge_article (unit, question, answer, keywords, valid_from, valid_to, updated_by,
                        updated_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                    &[
                        &a.unit.as_str(),
                        &a.question,
                        &a.answer,
                        &a.keywords,
                        &a.valid_from,
                        &a.valid_to,
                        &a.updated_by,
                        &at,
                    ],
                )?;
                return col(&r, 0);
            }
            let n = c.execute(
                "UPDATE knowledge_article SET unit = $2, question = $3, answer = $4, keywords = $5, valid_from = $6,
                    valid_to = $7, updated_by = $8, updated_at = $9 WHERE id = $1",
                &[
                    &a.id,
                    &a.unit.as_str(),
                    &a.question,
                    &a.answer,
                    &a.keywords,
                    &a.valid_from,
                    &a.valid_to,
                    &a.updated_by,
                    &at,
                ],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("article {}", a.id)));
            }
            Ok(a.id)
        })
    }

    fn article(&self, id: i64) -> Result<Option<Article>> {
        self.read(|c| c.query_opt(&format!("SELECT {ARTICLE_COLUMNS} FROM knowledge_article WHERE id = $1"), &[&id]))?
            .as_ref()
            .map(article_row)
            .transpose()
    }

    fn articles(&self) -> Result<Vec<Article>> {
        let found =
            self.read(|c| c.query(&format!("SELECT {ARTICLE_COLUMNS} FROM knowledge_article ORDER BY id"), &[]))?;
        rows(found, article_row)
    }

    /// Takes the FTS5 query `search::fts_any_query` builds, as every store does, and
    /// reads it as a tsquery (`search::fts_to_tsquery`); ranked by `ts_rank`.
    fn similar_case_texts(&self, kind: &str, fts_query: &str, since: Instant, limit: u32) -> Result<Vec<CaseText>> {
        let Some(q) = fts_to_tsquery(fts_query) else { return Ok(vec![]) };
        let sql = format!(
            "SELECT {CASE_TEXT_COLUMNS} FROM case_header a {FIRST_EVENT}, CAST($1::text AS tsquery) q
             WHERE a.search @@ q AND a.case_kind = $2 AND a.opened_at >= $3
             ORDER BY ts_rank(a.search, q) DESC, a.opened_at DESC LIMIT $4"
        );
        let found = self.read(|c| c.query(&sql, &[&q, &kind, &ms(since), &i64::from(limit)]))?;
        rows(found, case_text_row)
    }

    fn case_texts(&self, kind: &str, from: Instant, to: Instant, limit: u32) -> Result<Vec<CaseText>> {
        let sql = format!(
            "SELECT {CASE_TEXT_COLUMNS} FROM case_header a {FIRST_EVENT}
             WHERE a.opened_at >= $1 AND a.opened_at < $2 AND a.case_kind = $3 ORDER BY a.opened_at DESC LIMIT $4"
        );
        let found = self.read_replica(|c| c.query(&sql, &[&ms(from), &ms(to), &kind, &i64::from(limit)]))?;
        rows(found, case_text_row)
    }

    fn labelled_cases(&self) -> Result<Vec<LabelledCase>> {
        let found = self.read(|c| {
            c.query("SELECT case_id, text, category FROM dispatch_example ORDER BY case_id COLLATE \"C\"", &[])
        })?;
        rows(found, |r| {
            Ok(LabelledCase { case: parse_code(col(r, 0)?)?, text: col(r, 1)?, category: parse_code(col(r, 2)?)? })
        })
    }

    /// Reads the heads and the log in one repeatable-read snapshot, so writes that
    /// commit meanwhile cannot look like breaks; the log comes in chunks through a
    /// portal, never whole into memory.
    fn verify(&self) -> Result<VerifyReport> {
        self.read(|c| {
            let mut tx = c
                .client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(map_err)?;
            let mut heads: HashMap<audit::Key, audit::Head> = HashMap::new();
            for r in tx.query("SELECT tenant, case_id, case_kind, seq, hash FROM chain_head", &[]).map_err(map_err)? {
                let head = audit::Head { kind: col(&r, 2)?, seq: uint(col::<i32>(&r, 3)?)?, hash: col(&r, 4)? };
                heads.insert((col(&r, 0)?, col(&r, 1)?), head);
            }
            let mut audit = audit::Audit::new(&self.kinds, heads);
            let portal = tx
                .bind(
                    "SELECT tenant, case_id, seq, at, actor, body, alg, prev_hash, hash FROM event
                     ORDER BY tenant, case_id, seq",
                    &[],
                )
                .map_err(map_err)?;
            let mut current: Option<audit::Key> = None;
            let mut links: Vec<audit::Link> = vec![];
            loop {
                let chunk = tx.query_portal(&portal, EVENT_CHUNK).map_err(map_err)?;
                if chunk.is_empty() {
                    break;
                }
                for r in &chunk {
                    let key: audit::Key = (col(r, 0)?, col(r, 1)?);
                    if current.as_ref() != Some(&key) {
                        if let Some(prev) = current.take() {
                            audit.case(&prev, &links);
                            links.clear();
                        }
                        current = Some(key.clone());
                    }
                    let seq = uint(col::<i32>(r, 2)?)?;
                    let at = ts(col(r, 3)?);
                    let body: &str = col(r, 5)?;
                    let canonical = chain::canonical(&key.0, &key.1, seq, &at, col(r, 4)?, body);
                    links.push(audit::Link {
                        seq,
                        alg: col(r, 6)?,
                        prev: Some(col(r, 7)?),
                        hash: col(r, 8)?,
                        canonical,
                        body: links.is_empty().then(|| body.to_owned()),
                    });
                }
            }
            if let Some(prev) = current.take() {
                audit.case(&prev, &links);
            }
            tx.commit().map_err(map_err)?;
            Ok(audit.finish())
        })
    }

    /// Deletes rather than truncates the projections, so readers keep seeing the old
    /// rows until the rebuilt ones commit; the log is read through a cursor in chunks.
    fn reindex(&self) -> Result<u64> {
        let kinds = self.kinds.clone();
        self.write(move |c| {
            c.batch(
                "DELETE FROM case_header; DELETE FROM case_co_unit; DELETE FROM measure_tally;
                 DELETE FROM volume_tally; DELETE FROM dispatch_example; DELETE FROM case_access;
                 DECLARE reindex_events NO SCROLL CURSOR FOR
                     SELECT e.case_id, e.seq, e.at, e.actor, e.kind, e.body, e.tenant, h.case_kind
                     FROM event e JOIN chain_head h ON h.tenant = e.tenant AND h.case_id = e.case_id
                     ORDER BY e.tenant, e.case_id, e.seq",
            )?;
            // One case's events at a time: (tenant, kind, events).
            let mut case: Option<(String, String, Vec<Recorded>)> = None;
            let mut n = 0u64;
            // The rebuilt rows go in chunks of whole cases.
            let mut rows = Rows::default();
            let flush = |case: (String, String, Vec<Recorded>), rows: &mut Rows| -> Result<()> {
                let (tenant, kind, events) = case;
                let state = kinds.replay(&kind, &events[0].case, &events)?;
                let shown = state.project();
                rows.project(&tenant, &state, shown, None, true);
                Ok(())
            };
            loop {
                let chunk = c.query(&format!("FETCH {EVENT_CHUNK} FROM reindex_events"), &[])?;
                if chunk.is_empty() {
                    break;
                }
                for r in &chunk {
                    let e = recorded(r)?;
                    let tenant: String = col(r, 6)?;
                    if case.as_ref().is_some_and(|(t, _, events)| events[0].case != e.case || *t != tenant) {
                        flush(case.take().expect("checked"), &mut rows)?;
                        n += 1;
                    }
                    match &mut case {
                        Some((_, _, events)) => events.push(e),
                        None => case = Some((tenant, col(r, 7)?, vec![e])),
                    }
                }
                std::mem::take(&mut rows).write(c)?;
            }
            if let Some(last) = case.take() {
                flush(last, &mut rows)?;
                n += 1;
            }
            rows.write(c)?;
            c.batch("CLOSE reindex_events")?;
            Ok(n)
        })
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

    fn create_api_key(&self, key_hash: &str, name: &str, at: Instant) -> Result<i64> {
        let (h, n, at) = (key_hash.to_owned(), name.to_owned(), ms(at));
        self.write(move |c| {
            let r = c.query_one(
                "INSERT INTO api_key (key_hash, name, created_at) VALUES ($1, $2, $3) RETURNING id",
                &[&h, &n, &at],
            )?;
            col(&r, 0)
        })
    }

    fn api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        let found =
            self.read(|c| c.query("SELECT id, key_hash, name, created_at, revoked_at FROM api_key ORDER BY id", &[]))?;
        rows(found, api_key_row)
    }

    fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        self.read(|c| {
            c.query_opt(
                "SELECT id, key_hash, name, created_at, revoked_at FROM api_key WHERE key_hash = $1",
                &[&key_hash],
            )
        })?
        .as_ref()
        .map(api_key_row)
        .transpose()
    }

    fn revoke_api_key(&self, id: i64, at: Instant) -> Result<bool> {
        let at = ms(at);
        self.write(move |c| {
            let n =
                c.execute("UPDATE api_key SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", &[&id, &at])?;
            Ok(n > 0)
        })
    }
}

const OUTBOX_COLUMNS: &str =
    "id, tenant, case_id, template, recipient, created_at, attempts, next_at, sent_at, last_error";

fn outbox_row(r: &Row) -> Result<OutboxEntry> {
    let attempts: i32 = col(r, 6)?;
    Ok(OutboxEntry {
        id: col(r, 0)?,
        tenant: col(r, 1)?,
        case_id: opt_code(col(r, 2)?)?,
        template: col(r, 3)?,
        to: col(r, 4)?,
        created_at: col(r, 5)?,
        attempts: attempts as u32,
        next_at: col(r, 7)?,
        sent_at: col(r, 8)?,
        last_error: col(r, 9)?,
    })
}

/// A person's fields (name, phone, phone_digest, id_number, contact) from column
/// `first` on, as stored.
fn person_data(r: &Row, first: usize) -> Result<PersonData> {
    Ok(PersonData {
        name: col(r, first)?,
        phone: col(r, first + 1)?,
        phone_digest: col(r, first + 2)?,
        id_number: col(r, first + 3)?,
        contact: col(r, first + 4)?,
    })
}
