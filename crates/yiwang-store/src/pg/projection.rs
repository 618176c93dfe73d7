//! What a batch of writes stores, as columns, sent in one statement: the citizens'
//! person rows, the events, the chain heads, and the projections of every case
//! written (the `appeal` row with its search vector, who may see it, its co-units,
//! its labelled example and its measure facts). Live writes, bulk import and
//! `reindex` all go through here, so every path gives the same rows.
//!
//! A round trip to the server, and the start of a statement, cost more than a row,
//! so a batch of a thousand intakes is one statement of data-modifying CTEs over
//! arrays (`unnest`), not a thousand. The CTEs share one snapshot: a `DELETE` of a
//! case's old facts does not see the facts inserted beside it, and where a key could
//! meet both (co-units) the two touch disjoint rows. A case written twice in a batch
//! has its projections written once, from its last state (`ON CONFLICT` may not touch
//! a row twice in one statement).

use super::{Conn, enum_str, int, ms, to_json};
use crate::PersonData;
use crate::Result;
use crate::link::{ALG, Linked};
use crate::tally::{Counted, TallyKey, VolumeKey};
use postgres::types::ToSql;
use std::collections::{BTreeMap, HashMap};
use yiwang_core::Instant;
use yiwang_core::appeal::Appeal;
use yiwang_core::id::{CaseId, PersonId};

/// Whether the search vector must be computed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reindex {
    Text,
    KeepText,
}

const WRITE_SQL: &str = "
WITH
p AS (
    INSERT INTO person (tenant, id, name, phone, phone_digest, id_number, contact, created_at)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::timestamptz[])
),
ev AS (
    INSERT INTO event (tenant, case_id, seq, at, kind, actor, body, alg, prev_hash, hash, created_at)
    SELECT t, c, s, a, k, ac, b, $9::text, ph, h, r
    FROM unnest($10::text[], $11::text[], $12::integer[], $13::timestamptz[], $14::text[], $15::text[], $16::text[],
                $17::text[], $18::text[], $19::timestamptz[]) WITH ORDINALITY AS x(t, c, s, a, k, ac, b, ph, h, r, n)
    ORDER BY n
),
head AS (
    INSERT INTO chain_head (tenant, case_id, seq, hash, created_at)
    SELECT * FROM unnest($20::text[], $21::text[], $22::integer[], $23::text[], $24::timestamptz[])
    ON CONFLICT (tenant, case_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
),
ap_new AS (
    INSERT INTO appeal (tenant, case_id, status, appeal_type, urgency, channel, title, unit, category, area, stage,
                        next_due, next_alarm, returned, supervised, citizen, tracking_code, accepted_at, updated_at,
                        closed_at, version, state, search, created_at)
    SELECT t, c, st, ty, ur, ch, ti, u, cat, ar, sg, nd, na, re, su, ci, tc, aa, ua, ca, v, js::jsonb,
           coalesce(tok, '')::tsvector, aa
    FROM unnest($25::text[], $26::text[], $27::text[], $28::text[], $29::text[], $30::text[], $31::text[],
                $32::text[], $33::text[], $34::timestamptz[], $35::timestamptz[], $36::boolean[], $37::boolean[],
                $38::timestamptz[], $39::timestamptz[], $40::integer[], $41::text[], $42::text[],
                $43::text[], $44::text[], $45::bigint[], $46::text[], $47::timestamptz[])
         AS x(t, c, st, ur, ti, u, cat, ar, sg, nd, na, re, su, ua, ca, v, js, tok, ty, ch, ci, tc, aa)
),
ap_old AS (
    UPDATE appeal a SET status = x.st, urgency = x.ur, title = x.ti, unit = x.u, category = x.cat, area = x.ar,
        stage = x.sg, next_due = x.nd, next_alarm = x.na, returned = x.re, supervised = x.su, updated_at = x.ua,
        closed_at = x.ca, version = x.v, state = x.js::jsonb,
        search = CASE WHEN x.tok IS NULL THEN a.search ELSE x.tok::tsvector END
    FROM unnest($48::text[], $49::text[], $50::text[], $51::text[], $52::text[], $53::text[], $54::text[],
                $55::text[], $56::text[], $57::timestamptz[], $58::timestamptz[], $59::boolean[], $60::boolean[],
                $61::timestamptz[], $62::timestamptz[], $63::integer[], $64::text[], $65::text[])
         AS x(t, c, st, ur, ti, u, cat, ar, sg, nd, na, re, su, ua, ca, v, js, tok)
    WHERE a.tenant = x.t AND a.case_id = x.c
),
acc AS (
    INSERT INTO appeal_access (tenant, case_id, unit, created_at)
    SELECT * FROM unnest($66::text[], $67::text[], $68::text[], $69::timestamptz[])
    ON CONFLICT DO NOTHING
),
co_gone AS (
    DELETE FROM appeal_co_unit x USING unnest($70::text[], $71::text[]) AS d(t, c)
    WHERE x.tenant = d.t AND x.case_id = d.c
      AND NOT EXISTS (SELECT 1 FROM unnest($72::text[], $73::text[], $74::text[]) AS n(t, c, u)
                      WHERE n.t = x.tenant AND n.c = x.case_id AND n.u = x.unit)
),
co AS (
    INSERT INTO appeal_co_unit (tenant, case_id, unit, created_at)
    SELECT * FROM unnest($72::text[], $73::text[], $74::text[], $75::timestamptz[])
    ON CONFLICT (tenant, case_id, unit) DO UPDATE SET created_at = excluded.created_at
),
ex_gone AS (
    DELETE FROM dispatch_example x USING unnest($76::text[], $77::text[], $78::text[]) AS d(t, c, txt)
    WHERE x.tenant = d.t AND x.case_id = d.c AND d.txt IS NULL
),
ex AS (
    INSERT INTO dispatch_example (tenant, case_id, text, category, created_at)
    SELECT t, c, txt, cat, at
    FROM unnest($76::text[], $77::text[], $78::text[], $79::text[], $80::timestamptz[]) AS d(t, c, txt, cat, at)
    WHERE txt IS NOT NULL
    ON CONFLICT (tenant, case_id) DO UPDATE
        SET text = excluded.text, category = excluded.category, created_at = excluded.created_at
),
tally AS (
    INSERT INTO measure_tally (tenant, month, unit, kind, flag, satisfaction, slot, count, created_at)
    SELECT t, m, u, k, f, sa, $89::smallint, n, at
    FROM unnest($81::text[], $82::text[], $83::text[], $84::text[], $85::boolean[], $86::text[], $87::bigint[],
                $88::timestamptz[]) AS x(t, m, u, k, f, sa, n, at)
    ON CONFLICT (tenant, month, unit, kind, flag, satisfaction, slot)
        DO UPDATE SET count = measure_tally.count + excluded.count
),
vol AS (
    INSERT INTO volume_tally (tenant, day, dimension, value, slot, count, created_at)
    SELECT t, d::date, di, v, $89::smallint, n, at
    FROM unnest($90::text[], $91::text[], $92::text[], $93::text[], $94::bigint[], $95::timestamptz[])
         AS x(t, d, di, v, n, at)
    ON CONFLICT (tenant, day, dimension, value, slot) DO UPDATE SET count = volume_tally.count + excluded.count
)
SELECT 1";

/// The rows of a batch, column by column (see `WRITE_SQL` for the parameters).
#[derive(Default)]
pub(crate) struct Rows {
    person: PersonCols,
    event: EventCols,
    head: HeadCols,
    /// The projections to write: each case's last state, whether its rows exist,
    /// and whether its text changed.
    cases: Vec<(String, Appeal, bool, Reindex)>,
    case_index: HashMap<(String, CaseId), usize>,
    /// How the batch moves the month's counts, by tenant and key, with the time of
    /// the first write that moved each (a new row's `created_at`). Sorted, so every
    /// writer locks the count rows it moves in one order.
    tally: BTreeMap<(String, TallyKey), (i64, Instant)>,
    /// How it moves the dashboards' volumes, the same way.
    volume: BTreeMap<(String, VolumeKey), (i64, Instant)>,
}

#[derive(Default)]
struct PersonCols {
    tenant: Vec<String>,
    id: Vec<i64>,
    name: Vec<Option<String>>,
    phone: Vec<Option<String>>,
    digest: Vec<Option<String>>,
    id_number: Vec<Option<String>>,
    contact: Vec<Option<String>>,
    at: Vec<Instant>,
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
    prev: Vec<String>,
    hash: Vec<String>,
    recorded: Vec<Instant>,
}

#[derive(Default)]
struct HeadCols {
    tenant: Vec<String>,
    case: Vec<String>,
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

    pub(crate) fn person(&mut self, tenant: &str, id: PersonId, p: PersonData, at: Instant) {
        let c = &mut self.person;
        c.tenant.push(tenant.to_owned());
        c.id.push(id.0);
        c.name.push(p.name);
        c.phone.push(p.phone);
        c.digest.push(p.phone_digest);
        c.id_number.push(p.id_number);
        c.contact.push(p.contact);
        c.at.push(ms(at));
    }

    /// Events linked at `at`, recorded at `recorded`; the chain head moves past them.
    pub(crate) fn events(
        &mut self,
        tenant: &str,
        id: &CaseId,
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
                h.seq.push(int(head_seq)?);
                h.hash.push(head_hash);
                h.at.push(at);
            }
        }
        Ok(())
    }

    /// The projections of `a` (written once per case, from its last state): `stored`
    /// when the case has projection rows already; `before`, what the state before this
    /// write counted for (none for a case without projection rows).
    pub(crate) fn project(&mut self, tenant: &str, a: &Appeal, stored: bool, text: Reindex, before: Option<&Counted>) {
        let at = ms(a.updated_at);
        for (key, n) in crate::tally::delta(before, a) {
            self.tally.entry((tenant.to_owned(), key)).or_insert((0, at)).0 += n;
        }
        for (key, n) in crate::tally::volume_delta(before, a) {
            self.volume.entry((tenant.to_owned(), key)).or_insert((0, at)).0 += n;
        }
        let key = (tenant.to_owned(), a.id.clone());
        match self.case_index.get(&key) {
            Some(&i) => {
                let (_, last, _, t) = &mut self.cases[i];
                *last = a.clone();
                if text == Reindex::Text {
                    *t = Reindex::Text;
                }
            }
            None => {
                self.case_index.insert(key, self.cases.len());
                self.cases.push((tenant.to_owned(), a.clone(), stored, text));
            }
        }
    }

    /// Sends the batch in one statement.
    pub(crate) fn write(self, conn: &mut Conn) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let mut n = Inserted::default();
        let mut o = Changed::default();
        let mut acc = (vec![], vec![], vec![], vec![]);
        let mut co_cases = (vec![], vec![]);
        let mut co = (vec![], vec![], vec![], vec![]);
        let mut ex = (vec![], vec![], vec![], vec![], vec![]);
        for (tenant, a, stored, text) in &self.cases {
            let case = a.id.to_string();
            let tokens = (*text == Reindex::Text || !*stored)
                .then(|| crate::search::tsvector_literal(&crate::search::case_tokens(a)));
            if *stored {
                o.push(tenant, &case, a, tokens)?;
            } else {
                n.push(tenant, &case, a, tokens)?;
            }
            let updated = ms(a.updated_at);
            // Who may see the case besides the centre: every holder and every co-unit.
            let mut units: Vec<String> = a
                .assignments
                .iter()
                .map(|x| x.unit.to_string())
                .chain(a.co_units.iter().map(|c| c.unit.to_string()))
                .collect();
            units.sort();
            units.dedup();
            for u in units {
                acc.0.push(tenant.clone());
                acc.1.push(case.clone());
                acc.2.push(u);
                acc.3.push(updated);
            }
            // One row per co-unit; a unit summoned again keeps its latest summons.
            co_cases.0.push(tenant.clone());
            co_cases.1.push(case.clone());
            let mut seen: Vec<(String, Instant)> = vec![];
            for c in &a.co_units {
                seen.retain(|(u, _)| u != c.unit.as_str());
                seen.push((c.unit.to_string(), ms(c.summoned_at)));
            }
            for (u, since) in seen {
                co.0.push(tenant.clone());
                co.1.push(case.clone());
                co.2.push(u);
                co.3.push(since);
            }
            // A corrected case that a unit answered is a labelled example.
            let example = match (a.was_corrected(), &a.reply, &a.category) {
                (true, Some(_), Some(cat)) => {
                    Some((format!("{}{}", a.title.as_deref().unwrap_or(""), a.text), cat.to_string()))
                }
                _ => None,
            };
            ex.0.push(tenant.clone());
            ex.1.push(case.clone());
            ex.2.push(example.as_ref().map(|(t, _)| t.clone()));
            ex.3.push(example.map(|(_, c)| c));
            ex.4.push(updated);
        }
        let mut f = (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for ((tenant, (month, unit, kind, flag, sat)), (n, at)) in self.tally {
            if n != 0 {
                f.0.push(tenant);
                f.1.push(month);
                f.2.push(unit);
                f.3.push(kind);
                f.4.push(flag);
                f.5.push(sat);
                f.6.push(n);
                f.7.push(at);
            }
        }
        let mut vol = (vec![], vec![], vec![], vec![], vec![], vec![]);
        for ((tenant, (day, dimension, value)), (n, at)) in self.volume {
            if n != 0 {
                vol.0.push(tenant);
                vol.1.push(day);
                vol.2.push(dimension);
                vol.3.push(value);
                vol.4.push(n);
                vol.5.push(at);
            }
        }
        let (p, e, h) = (&self.person, &self.event, &self.head);
        let slot = conn.slot;
        let alg = ALG.as_str();
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![
            &p.tenant,
            &p.id,
            &p.name,
            &p.phone,
            &p.digest,
            &p.id_number,
            &p.contact,
            &p.at,
            &alg,
            &e.tenant,
            &e.case,
            &e.seq,
            &e.at,
            &e.kind,
            &e.actor,
            &e.body,
            &e.prev,
            &e.hash,
            &e.recorded,
            &h.tenant,
            &h.case,
            &h.seq,
            &h.hash,
            &h.at,
        ];
        params.extend(n.changed.params());
        params.extend::<[&(dyn ToSql + Sync); 5]>([
            &n.appeal_type,
            &n.channel,
            &n.citizen,
            &n.tracking_code,
            &n.accepted_at,
        ]);
        params.extend(o.params());
        params.extend::<[&(dyn ToSql + Sync); 30]>([
            &acc.0,
            &acc.1,
            &acc.2,
            &acc.3,
            &co_cases.0,
            &co_cases.1,
            &co.0,
            &co.1,
            &co.2,
            &co.3,
            &ex.0,
            &ex.1,
            &ex.2,
            &ex.3,
            &ex.4,
            &f.0,
            &f.1,
            &f.2,
            &f.3,
            &f.4,
            &f.5,
            &f.6,
            &f.7,
            &slot,
            &vol.0,
            &vol.1,
            &vol.2,
            &vol.3,
            &vol.4,
            &vol.5,
        ]);
        conn.execute(WRITE_SQL, &params)?;
        Ok(())
    }
}

/// `appeal` columns that events change: the rows to update, and the first columns of
/// the rows to insert.
#[derive(Default)]
struct Changed {
    tenant: Vec<String>,
    case: Vec<String>,
    status: Vec<&'static str>,
    urgency: Vec<String>,
    title: Vec<Option<String>>,
    unit: Vec<Option<String>>,
    category: Vec<Option<String>>,
    area: Vec<Option<String>>,
    stage: Vec<String>,
    next_due: Vec<Option<Instant>>,
    next_alarm: Vec<Option<Instant>>,
    returned: Vec<bool>,
    supervised: Vec<bool>,
    updated_at: Vec<Instant>,
    closed_at: Vec<Option<Instant>>,
    version: Vec<i32>,
    state: Vec<String>,
    /// `None` keeps the stored search vector (on update).
    tokens: Vec<Option<String>>,
}

impl Changed {
    fn push(&mut self, tenant: &str, case: &str, a: &Appeal, tokens: Option<String>) -> Result<()> {
        self.tenant.push(tenant.to_owned());
        self.case.push(case.to_owned());
        self.status.push(a.status.as_str());
        self.urgency.push(enum_str(&a.urgency));
        self.title.push(a.title.clone());
        self.unit.push(a.unit.as_ref().map(|u| u.to_string()));
        self.category.push(a.category.as_ref().map(|c| c.to_string()));
        self.area.push(a.location.area.as_ref().map(|u| u.to_string()));
        self.stage.push(enum_str(&a.stage()));
        self.next_due.push(a.next_due().map(ms));
        self.next_alarm.push(if a.is_open() { a.next_alarm().map(ms) } else { None });
        self.returned.push(a.returned.is_some());
        self.supervised.push(a.supervised);
        self.updated_at.push(ms(a.updated_at));
        self.closed_at.push(a.closed_at.map(ms));
        self.version.push(int(a.version)?);
        self.state.push(to_json(a)?);
        self.tokens.push(tokens);
        Ok(())
    }

    /// The columns as parameters, in `WRITE_SQL`'s order.
    fn params(&self) -> [&(dyn ToSql + Sync); 18] {
        [
            &self.tenant,
            &self.case,
            &self.status,
            &self.urgency,
            &self.title,
            &self.unit,
            &self.category,
            &self.area,
            &self.stage,
            &self.next_due,
            &self.next_alarm,
            &self.returned,
            &self.supervised,
            &self.updated_at,
            &self.closed_at,
            &self.version,
            &self.state,
            &self.tokens,
        ]
    }
}

/// `appeal` rows to insert: the columns events change and those fixed at intake.
#[derive(Default)]
struct Inserted {
    changed: Changed,
    appeal_type: Vec<String>,
    channel: Vec<String>,
    citizen: Vec<Option<i64>>,
    tracking_code: Vec<String>,
    accepted_at: Vec<Instant>,
}

impl Inserted {
    fn push(&mut self, tenant: &str, case: &str, a: &Appeal, tokens: Option<String>) -> Result<()> {
        self.changed.push(tenant, case, a, tokens)?;
        self.appeal_type.push(enum_str(&a.appeal_type));
        self.channel.push(enum_str(&a.channel));
        self.citizen.push(a.citizen.map(|p| p.0));
        self.tracking_code.push(a.tracking_code.as_str().to_owned());
        self.accepted_at.push(ms(a.accepted_at));
        Ok(())
    }
}
