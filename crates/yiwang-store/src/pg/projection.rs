//! What a batch of writes stores, as columns, sent in one statement: the persons'
//! rows, the events, the chain heads, and the projections of every case written
//! (its `case_header` row with its search vector, who may see it, its co-units, its
//! labelled example, and how it moves the month's counts and the dashboards'
//! volumes), all from what its kind shows the engine (`case::Projection`). Creates,
//! appends, bulk import and `reindex` all go through here, so every path gives the
//! same rows.
//!
//! A round trip to the server, and the start of a statement, cost more than a row,
//! so a batch of a thousand intakes is one statement of data-modifying CTEs over
//! arrays (`unnest`), not a thousand. The statement is put together by `Statement`,
//! which numbers each array parameter as it is added, from the column lists below.
//! The CTEs share one snapshot: a `DELETE` of a case's old co-units does not see the
//! rows inserted beside it, so the two touch disjoint rows. A case written twice in a
//! batch has its projections written once, from its last state (`ON CONFLICT` may not
//! touch a row twice in one statement).

use super::{Conn, int, ms};
use crate::PersonData;
use crate::Result;
use crate::link::Linked;
use crate::tally::{TallyKey, VolumeKey};
use postgres::types::ToSql;
use std::collections::{BTreeMap, HashMap};
use yiwang_core::Instant;
use yiwang_core::case::{Case, Projection};
use yiwang_core::id::{CaseId, PersonId};

/// A statement's parameters, numbered as they are added.
struct Statement<'a> {
    params: Vec<&'a (dyn ToSql + Sync)>,
}

impl<'a> Statement<'a> {
    /// A parameter: `$n::ty`.
    fn param(&mut self, v: &'a (dyn ToSql + Sync), ty: &str) -> String {
        self.params.push(v);
        format!("${}::{ty}", self.params.len())
    }

    /// `unnest($a::ta[], $b::tb[], …)` over columns and their element types.
    fn unnest(&mut self, columns: &[(&'a (dyn ToSql + Sync), &str)]) -> String {
        let arrays: Vec<String> = columns.iter().map(|(v, ty)| self.param(*v, &format!("{ty}[]"))).collect();
        format!("unnest({})", arrays.join(", "))
    }
}

/// The rows of a batch, column by column.
#[derive(Default)]
pub(crate) struct Rows {
    person: PersonCols,
    notices: NoticeCols,
    event: EventCols,
    head: HeadCols,
    /// The projections to write: each case's last state and what it shows, the
    /// projection its rows show now (none when it has no rows yet), and whether its
    /// text may have changed.
    cases: Vec<(String, Case, Projection, Option<Projection>, bool)>,
    case_index: HashMap<(String, CaseId), usize>,
    /// How the batch moves the month's counts, by tenant and key, with the time of
    /// the first write that moved each (a new row's `created_at`). Sorted, so every
    /// writer locks the count rows it moves in one order.
    tally: BTreeMap<(String, TallyKey), (i64, Instant)>,
    /// How it moves the dashboards' volumes, the same way.
    volume: BTreeMap<(String, VolumeKey), (i64, Instant)>,
}

/// The outbox's new entries: tenant, case, template, recipient, time.
type NoticeCols = (Vec<String>, Vec<String>, Vec<String>, Vec<Option<String>>, Vec<Instant>);

#[derive(Default)]
struct PersonCols {
    tenant: Vec<String>,
    id: Vec<i64>,
    name: Vec<Option<String>>,
    phone: Vec<Option<String>>,
    digest: Vec<Option<String>>,
    id_number: Vec<Option<String>>,
    contact: Vec<Option<String>>,
    sealed_with: Vec<Option<String>>,
    at: Vec<Instant>,
    found_by_phone: Vec<bool>,
}

#[derive(Default)]
struct EventCols {
    tenant: Vec<String>,
    case: Vec<String>,
    seq: Vec<i32>,
    at: Vec<Instant>,
    kind: Vec<&'static str>,
    actor: Vec<String>,
    body: Vec<String>,
    alg: Vec<&'static str>,
    prev: Vec<String>,
    hash: Vec<String>,
    recorded: Vec<Instant>,
}

#[derive(Default)]
struct HeadCols {
    tenant: Vec<String>,
    case: Vec<String>,
    kind: Vec<&'static str>,
    seq: Vec<i32>,
    hash: Vec<String>,
    at: Vec<Instant>,
    /// Each case's row in the columns (a batch of an import holds thousands).
    index: HashMap<(String, String), usize>,
}

impl Rows {
    pub(crate) fn is_empty(&self) -> bool {
        self.event.tenant.is_empty() && self.cases.is_empty() && self.person.id.is_empty()
    }

    /// A write's notices, for the outbox.
    pub(crate) fn notices(&mut self, tenant: &str, case: &CaseId, notices: Vec<crate::Notice>, at: Instant) {
        for n in notices {
            let o = &mut self.notices;
            o.0.push(tenant.to_owned());
            o.1.push(case.to_string());
            o.2.push(n.template);
            o.3.push(n.to);
            o.4.push(at);
        }
    }

    /// A new person, `p` as sealed with the key `sealed_with` (`crate::seal`);
    /// `found_by_phone` for a case of a kind looked up by phone (`Kind::FOUND_BY_PHONE`).
    pub(crate) fn person(
        &mut self,
        tenant: &str,
        id: PersonId,
        p: PersonData,
        sealed_with: Option<String>,
        at: Instant,
        found_by_phone: bool,
    ) {
        let c = &mut self.person;
        c.found_by_phone.push(found_by_phone);
        c.sealed_with.push(sealed_with);
        c.tenant.push(tenant.to_owned());
        c.id.push(id.0);
        c.name.push(p.name);
        c.phone.push(p.phone);
        c.digest.push(p.phone_digest);
        c.id_number.push(p.id_number);
        c.contact.push(p.contact);
        c.at.push(ms(at));
    }

    /// Events of a case of kind `kind` linked at `at`, recorded at `recorded`; the
    /// chain head moves past them.
    pub(crate) fn events(
        &mut self,
        tenant: &str,
        id: &CaseId,
        kind: &'static str,
        l: Linked,
        at: Instant,
        recorded: Instant,
    ) -> Result<()> {
        let (at, recorded) = (ms(at), ms(recorded));
        let e = &mut self.event;
        let mut prev = l.prev.1;
        let (head_seq, head_hash) = match l.events.last() {
            Some(last) => (last.seq, last.hash.clone()),
            None => return Ok(()),
        };
        for ev in l.events {
            e.tenant.push(tenant.to_owned());
            e.case.push(id.to_string());
            e.seq.push(int(ev.seq)?);
            e.at.push(at);
            e.kind.push(ev.kind);
            e.actor.push(l.actor.clone());
            e.body.push(ev.body);
            e.alg.push(l.alg);
            e.prev.push(std::mem::replace(&mut prev, ev.hash.clone()));
            e.hash.push(ev.hash);
            e.recorded.push(recorded);
        }
        // One head row per case in the batch: the last one written wins.
        let h = &mut self.head;
        match h.index.get(&(tenant.to_owned(), id.to_string())) {
            Some(&i) => {
                h.seq[i] = int(head_seq)?;
                h.hash[i] = head_hash;
            }
            None => {
                h.index.insert((tenant.to_owned(), id.to_string()), h.case.len());
                h.tenant.push(tenant.to_owned());
                h.case.push(id.to_string());
                h.kind.push(kind);
                h.seq.push(int(head_seq)?);
                h.hash.push(head_hash);
                h.at.push(at);
            }
        }
        Ok(())
    }

    /// The projections of `c`, which shows `p` (written once per case, from its last
    /// state): `before`, what the case showed when its rows were stored (none for a
    /// case without projection rows); `text`, whether its search text may have changed.
    pub(crate) fn project(&mut self, tenant: &str, c: &Case, p: Projection, before: Option<&Projection>, text: bool) {
        let at = ms(p.header.updated_at);
        let kind = c.kind();
        for (key, n) in crate::tally::delta(kind, before, &p) {
            self.tally.entry((tenant.to_owned(), key)).or_insert((0, at)).0 += n;
        }
        for (key, n) in crate::tally::volume_delta(kind, before, &p) {
            self.volume.entry((tenant.to_owned(), key)).or_insert((0, at)).0 += n;
        }
        let key = (tenant.to_owned(), c.id().clone());
        match self.case_index.get(&key) {
            // Written before in this batch: its rows as stored are still the first
            // write's `before`.
            Some(&i) => {
                let (_, last, shown, _, t) = &mut self.cases[i];
                *last = c.clone();
                *shown = p;
                *t |= text;
            }
            None => {
                self.case_index.insert(key, self.cases.len());
                self.cases.push((tenant.to_owned(), c.clone(), p, before.cloned(), text));
            }
        }
    }

    /// Sends the batch in one statement.
    pub(crate) fn write(self, conn: &mut Conn) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let mut new = HeaderCols::default();
        let mut old = HeaderCols::default();
        let mut acc = (vec![], vec![], vec![], vec![]);
        let mut co_cases = (vec![], vec![]);
        let mut co = (vec![], vec![], vec![], vec![]);
        let mut ex = (vec![], vec![], vec![], vec![], vec![]);
        for (tenant, c, p, before, text) in &self.cases {
            let case = c.id().to_string();
            let tokens =
                (*text || before.is_none()).then(|| crate::search::tsvector_literal(&crate::search::case_tokens(c)));
            let cols = if before.is_some() { &mut old } else { &mut new };
            cols.push(tenant, &case, c.kind(), p, tokens)?;
            let updated = ms(p.header.updated_at);
            // Access is never withdrawn: only units new to the case are added.
            let known: &[yiwang_core::id::UnitCode] = before.as_ref().map(|b| b.access.as_slice()).unwrap_or_default();
            for u in p.access.iter().filter(|u| !known.contains(u)) {
                acc.0.push(tenant.clone());
                acc.1.push(case.clone());
                acc.2.push(u.to_string());
                acc.3.push(updated);
            }
            if before.as_ref().is_none_or(|b| b.co_units != p.co_units) {
                co_cases.0.push(tenant.clone());
                co_cases.1.push(case.clone());
                for (u, since) in &p.co_units {
                    co.0.push(tenant.clone());
                    co.1.push(case.clone());
                    co.2.push(u.to_string());
                    co.3.push(ms(*since));
                }
            }
            if before.as_ref().is_none_or(|b| b.example != p.example) {
                ex.0.push(tenant.clone());
                ex.1.push(case.clone());
                ex.2.push(p.example.as_ref().map(|e| e.text.clone()));
                ex.3.push(p.example.as_ref().map(|e| e.category.to_string()));
                ex.4.push(updated);
            }
        }
        let mut f = (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for ((tenant, (month, kind, unit, fact, flag, value)), (n, at)) in self.tally {
            if n != 0 {
                f.0.push(tenant);
                f.1.push(month);
                f.2.push(kind);
                f.3.push(unit);
                f.4.push(fact);
                f.5.push(flag);
                f.6.push(value);
                f.7.push(n);
                f.8.push(at);
            }
        }
        let mut vol = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for ((tenant, (kind, day, dimension, value)), (n, at)) in self.volume {
            if n != 0 {
                vol.0.push(tenant);
                vol.1.push(kind);
                vol.2.push(day);
                vol.3.push(dimension);
                vol.4.push(value);
                vol.5.push(n);
                vol.6.push(at);
            }
        }
        let (p, e, h) = (&self.person, &self.event, &self.head);
        let slot = conn.slot;
        let mut s = Statement { params: vec![] };
        let t = "text";
        let tz = "timestamptz";
        let persons = s.unnest(&[
            (&p.tenant, t),
            (&p.id, "bigint"),
            (&p.name, t),
            (&p.phone, t),
            (&p.digest, t),
            (&p.id_number, t),
            (&p.contact, t),
            (&p.sealed_with, t),
            (&p.at, tz),
            (&p.found_by_phone, "boolean"),
        ]);
        let events = s.unnest(&[
            (&e.tenant, t),
            (&e.case, t),
            (&e.seq, "integer"),
            (&e.at, tz),
            (&e.kind, t),
            (&e.actor, t),
            (&e.body, t),
            (&e.alg, t),
            (&e.prev, t),
            (&e.hash, t),
            (&e.recorded, tz),
        ]);
        let heads =
            s.unnest(&[(&h.tenant, t), (&h.case, t), (&h.kind, t), (&h.seq, "integer"), (&h.hash, t), (&h.at, tz)]);
        let new_headers = new.unnest(&mut s);
        let old_headers = old.unnest(&mut s);
        let access = s.unnest(&[(&acc.0, t), (&acc.1, t), (&acc.2, t), (&acc.3, tz)]);
        let co_rewritten = s.unnest(&[(&co_cases.0, t), (&co_cases.1, t)]);
        let co_units = s.unnest(&[(&co.0, t), (&co.1, t), (&co.2, t), (&co.3, tz)]);
        let examples = s.unnest(&[(&ex.0, t), (&ex.1, t), (&ex.2, t), (&ex.3, t), (&ex.4, tz)]);
        let ob = &self.notices;
        let notices = s.unnest(&[(&ob.0, t), (&ob.1, t), (&ob.2, t), (&ob.3, t), (&ob.4, tz)]);
        let slot = s.param(&slot, "smallint");
        let tallies = s.unnest(&[
            (&f.0, t),
            (&f.1, t),
            (&f.2, t),
            (&f.3, t),
            (&f.4, t),
            (&f.5, "boolean"),
            (&f.6, t),
            (&f.7, "bigint"),
            (&f.8, tz),
        ]);
        let volumes = s.unnest(&[
            (&vol.0, t),
            (&vol.1, t),
            (&vol.2, t),
            (&vol.3, t),
            (&vol.4, t),
            (&vol.5, "bigint"),
            (&vol.6, tz),
        ]);
        let sql = format!(
            "WITH
p AS (
    INSERT INTO person (tenant, id, name, phone, phone_digest, id_number, contact, sealed_with, created_at, found_by_phone)
    SELECT * FROM {persons}
),
ev AS (
    INSERT INTO event (tenant, case_id, seq, at, kind, actor, body, alg, prev_hash, hash, created_at)
    SELECT t, c, s, a, k, ac, b, al, ph, h, r
    FROM {events} WITH ORDINALITY AS x(t, c, s, a, k, ac, b, al, ph, h, r, n)
    ORDER BY n
),
head AS (
    INSERT INTO chain_head (tenant, case_id, case_kind, seq, hash, created_at)
    SELECT * FROM {heads}
    ON CONFLICT (tenant, case_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
),
new_header AS (
    INSERT INTO case_header ({HEADER_COLUMNS}, search, created_at)
    SELECT {HEADER_VALUES}, coalesce(tokens, '')::tsvector, opened_at
    FROM {new_headers} AS x({HEADER_COLUMNS}, tokens)
),
old_header AS (
    UPDATE case_header c SET status = x.status, title = x.title, unit = x.unit, category = x.category,
        area = x.area, stage = x.stage, next_due = x.next_due, next_alarm = x.next_alarm, person = x.person,
        tracking_code = x.tracking_code, updated_at = x.updated_at, closed_at = x.closed_at, version = x.version,
        detail = x.detail::jsonb, due_working = x.due_working, search = CASE WHEN x.tokens IS NULL THEN c.search ELSE x.tokens::tsvector END
    FROM {old_headers} AS x({HEADER_COLUMNS}, tokens)
    WHERE c.tenant = x.tenant AND c.case_id = x.case_id
),
acc AS (
    INSERT INTO case_access (tenant, case_id, unit, created_at)
    SELECT * FROM {access}
    ON CONFLICT DO NOTHING
),
co_gone AS (
    DELETE FROM case_co_unit x USING {co_rewritten} AS d(t, c)
    WHERE x.tenant = d.t AND x.case_id = d.c
      AND NOT EXISTS (SELECT 1 FROM {co_units} AS n(t, c, u, at)
                      WHERE n.t = x.tenant AND n.c = x.case_id AND n.u = x.unit)
),
co AS (
    INSERT INTO case_co_unit (tenant, case_id, unit, created_at)
    SELECT * FROM {co_units}
    ON CONFLICT (tenant, case_id, unit) DO UPDATE SET created_at = excluded.created_at
),
ex_gone AS (
    DELETE FROM dispatch_example x USING {examples} AS d(t, c, txt, cat, at)
    WHERE x.tenant = d.t AND x.case_id = d.c AND d.txt IS NULL
),
ex AS (
    INSERT INTO dispatch_example (tenant, case_id, text, category, created_at)
    SELECT * FROM {examples} AS d(t, c, txt, cat, at)
    WHERE txt IS NOT NULL
    ON CONFLICT (tenant, case_id) DO UPDATE
        SET text = excluded.text, category = excluded.category, created_at = excluded.created_at
),
ob AS (
    INSERT INTO outbox (tenant, case_id, template, recipient, created_at, next_at)
    SELECT t, c, tp, r, a, a FROM {notices} AS o(t, c, tp, r, a)
),
tally AS (
    INSERT INTO measure_tally (tenant, month, case_kind, unit, fact, flag, value, slot, count, created_at)
    SELECT t, m, k, u, f, fl, v, {slot}, n, at FROM {tallies} AS x(t, m, k, u, f, fl, v, n, at)
    ON CONFLICT (tenant, month, case_kind, unit, fact, flag, value, slot)
        DO UPDATE SET count = measure_tally.count + excluded.count
),
vol AS (
    INSERT INTO volume_tally (tenant, case_kind, day, dimension, value, slot, count, created_at)
    SELECT t, k, d::date, di, v, {slot}, n, at FROM {volumes} AS x(t, k, d, di, v, n, at)
    ON CONFLICT (tenant, case_kind, day, dimension, value, slot) DO UPDATE SET count = volume_tally.count + excluded.count
)
SELECT 1"
        );
        conn.execute(&sql, &s.params)?;
        Ok(())
    }
}

/// The columns of a `case_header` row as both CTEs name them (`HeaderCols` holds them
/// in this order, then the search tokens).
const HEADER_COLUMNS: &str = "tenant, case_id, case_kind, status, title, unit, category, area, stage, next_due, \
     next_alarm, person, tracking_code, opened_at, updated_at, closed_at, version, detail, due_working";

/// The same, as values: the detail document comes as text (a `String` binds as text).
const HEADER_VALUES: &str = "tenant, case_id, case_kind, status, title, unit, category, area, stage, next_due, \
     next_alarm, person, tracking_code, opened_at, updated_at, closed_at, version, detail::jsonb, due_working";

/// `case_header` rows, column by column.
#[derive(Default)]
struct HeaderCols {
    tenant: Vec<String>,
    case: Vec<String>,
    kind: Vec<&'static str>,
    status: Vec<&'static str>,
    title: Vec<Option<String>>,
    unit: Vec<Option<String>>,
    category: Vec<Option<String>>,
    area: Vec<Option<String>>,
    stage: Vec<&'static str>,
    next_due: Vec<Option<Instant>>,
    next_alarm: Vec<Option<Instant>>,
    person: Vec<Option<i64>>,
    tracking_code: Vec<Option<String>>,
    opened_at: Vec<Instant>,
    updated_at: Vec<Instant>,
    closed_at: Vec<Option<Instant>>,
    version: Vec<i32>,
    detail: Vec<String>,
    due_working: Vec<bool>,
    /// `None` keeps the stored search vector (on update).
    tokens: Vec<Option<String>>,
}

impl HeaderCols {
    fn push(
        &mut self,
        tenant: &str,
        case: &str,
        kind: &'static str,
        p: &Projection,
        tokens: Option<String>,
    ) -> Result<()> {
        let h = &p.header;
        self.tenant.push(tenant.to_owned());
        self.case.push(case.to_owned());
        self.kind.push(kind);
        self.status.push(h.status);
        self.title.push(h.title.clone());
        self.unit.push(h.unit.as_ref().map(|u| u.to_string()));
        self.category.push(h.category.clone());
        self.area.push(h.area.as_ref().map(|u| u.to_string()));
        self.stage.push(h.stage.as_str());
        self.next_due.push(h.next_due.map(ms));
        self.next_alarm.push(h.next_alarm.map(ms));
        self.person.push(h.person.map(|p| p.0));
        self.tracking_code.push(h.tracking_code.clone());
        self.opened_at.push(ms(h.opened_at));
        self.updated_at.push(ms(h.updated_at));
        self.closed_at.push(h.closed_at.map(ms));
        self.version.push(int(h.version)?);
        self.detail.push(p.detail.clone());
        self.due_working.push(h.next_due_working);
        self.tokens.push(tokens);
        Ok(())
    }

    /// The columns as one `unnest(…)`, in `HEADER_COLUMNS`' order, then the tokens.
    fn unnest<'a>(&'a self, s: &mut Statement<'a>) -> String {
        let t = "text";
        let tz = "timestamptz";
        s.unnest(&[
            (&self.tenant, t),
            (&self.case, t),
            (&self.kind, t),
            (&self.status, t),
            (&self.title, t),
            (&self.unit, t),
            (&self.category, t),
            (&self.area, t),
            (&self.stage, t),
            (&self.next_due, tz),
            (&self.next_alarm, tz),
            (&self.person, "bigint"),
            (&self.tracking_code, t),
            (&self.opened_at, tz),
            (&self.updated_at, tz),
            (&self.closed_at, tz),
            (&self.version, "integer"),
            (&self.detail, t),
            (&self.due_working, "boolean"),
            (&self.tokens, t),
        ])
    }
}
