//! Writes the projections of one case from its state: the `appeal` row with its search
//! vector, who may see it, its co-units, its labelled example and its measure facts.
//! Used on every write and by `reindex`, so both paths give the same rows.
//!
//! Each round trip to the server costs more than the statement itself, so all of a
//! case's projections are one statement of data-modifying CTEs, and a write sends its
//! events and chain head in the same statement (`WRITE_SQL`). The CTEs share one
//! snapshot: a `DELETE` of a case's old facts does not see the facts inserted beside
//! it, and where a key could meet both (co-units) the two touch disjoint rows.

use super::{Conn, enum_str, int, ms, to_json};
use crate::Result;
use postgres::types::ToSql;
use yiwang_core::Instant;
use yiwang_core::appeal::Appeal;
use yiwang_core::measure::{FactKind, facts};

/// Whether the search vector must be written again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reindex {
    Text,
    KeepText,
}

/// The projection CTEs; parameters $1 to $33 (see `Projection::params`).
macro_rules! project_ctes {
    () => {
        "ap AS (
            INSERT INTO appeal (tenant, case_id, status, appeal_type, urgency, channel, title, unit, category, area,
                                stage, next_due, next_alarm, returned, supervised, citizen, tracking_code,
                                accepted_at, updated_at, closed_at, version, state, search, created_at)
            VALUES ($1::text, $2::text, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                    $18::timestamptz, $19::timestamptz, $20, $21, $22::text::jsonb,
                    to_tsvector('simple', coalesce($23::text, '')), $18)
            ON CONFLICT (tenant, case_id) DO UPDATE SET
                status = excluded.status, urgency = excluded.urgency, title = excluded.title, unit = excluded.unit,
                category = excluded.category, area = excluded.area, stage = excluded.stage,
                next_due = excluded.next_due, next_alarm = excluded.next_alarm, returned = excluded.returned,
                supervised = excluded.supervised, updated_at = excluded.updated_at, closed_at = excluded.closed_at,
                version = excluded.version, state = excluded.state,
                search = CASE WHEN $23::text IS NULL THEN appeal.search ELSE excluded.search END
        ),
        acc AS (
            INSERT INTO appeal_access (tenant, case_id, unit, created_at)
            SELECT $1, $2, u, $19 FROM unnest($24::text[]) AS u
            ON CONFLICT DO NOTHING
        ),
        co_gone AS (
            DELETE FROM appeal_co_unit WHERE tenant = $1 AND case_id = $2 AND unit <> ALL($25::text[])
        ),
        co AS (
            INSERT INTO appeal_co_unit (tenant, case_id, unit, created_at)
            SELECT $1, $2, u, s FROM unnest($25::text[], $26::timestamptz[]) AS x(u, s)
            ON CONFLICT (tenant, case_id, unit) DO UPDATE SET created_at = excluded.created_at
        ),
        ex_gone AS (
            DELETE FROM dispatch_example WHERE tenant = $1 AND case_id = $2 AND $27::text IS NULL
        ),
        ex AS (
            INSERT INTO dispatch_example (tenant, case_id, text, category, created_at)
            SELECT $1, $2, $27::text, $28::text, $19 WHERE $27::text IS NOT NULL
            ON CONFLICT (tenant, case_id) DO UPDATE
                SET text = excluded.text, category = excluded.category, created_at = excluded.created_at
        ),
        facts_gone AS (
            DELETE FROM measure_fact WHERE tenant = $1 AND case_id = $2
        ),
        facts AS (
            INSERT INTO measure_fact (tenant, case_id, unit, month, kind, flag, satisfaction, created_at)
            SELECT $1, $2, u, m, k, f, s, $19
            FROM unnest($29::text[], $30::text[], $31::text[], $32::boolean[], $33::text[]) AS x(u, m, k, f, s)
        )"
    };
}

/// Rewrites a case's projections.
pub(crate) const PROJECT_SQL: &str = concat!("WITH ", project_ctes!(), " SELECT 1");

/// Appends events (in `seq` order, so `pos` follows it), moves the chain head and
/// rewrites the projections: one round trip per write. Parameters $34 to $44 are the
/// events' (see `EventRows::params`).
pub(crate) const WRITE_SQL: &str = concat!(
    "WITH ev AS (
        INSERT INTO event (tenant, case_id, seq, at, kind, actor, body, alg, prev_hash, hash, created_at)
        SELECT $1::text, $2::text, s, $40::timestamptz, k, $39::text, b, $41::text, p, h, $44::timestamptz
        FROM unnest($34::integer[], $35::text[], $36::text[], $37::text[], $38::text[]) WITH ORDINALITY
             AS x(s, k, b, p, h, n)
        ORDER BY n
    ),
    head AS (
        INSERT INTO chain_head (tenant, case_id, seq, hash, created_at) VALUES ($1::text, $2::text, $42, $43, $40)
        ON CONFLICT (tenant, case_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
    ), ",
    project_ctes!(),
    " SELECT 1"
);

/// A case's projection rows, as statement parameters.
pub(crate) struct Projection {
    tenant: String,
    id: String,
    status: String,
    appeal_type: String,
    urgency: String,
    channel: String,
    title: Option<String>,
    unit: Option<String>,
    category: Option<String>,
    area: Option<String>,
    stage: String,
    next_due: Option<Instant>,
    next_alarm: Option<Instant>,
    returned: bool,
    supervised: bool,
    citizen: Option<i64>,
    tracking_code: String,
    accepted_at: Instant,
    updated_at: Instant,
    closed_at: Option<Instant>,
    version: i32,
    state: String,
    /// `None` keeps the stored search vector.
    search: Option<String>,
    access: Vec<String>,
    co_units: Vec<String>,
    co_since: Vec<Instant>,
    example_text: Option<String>,
    example_category: Option<String>,
    fact_units: Vec<String>,
    fact_months: Vec<String>,
    fact_kinds: Vec<&'static str>,
    fact_flags: Vec<bool>,
    fact_satisfaction: Vec<Option<String>>,
}

impl Projection {
    pub(crate) fn of(tenant: &str, a: &Appeal, text: Reindex) -> Result<Self> {
        // Who may see the case besides the centre: every holder and every co-unit.
        let mut access: Vec<String> = a
            .assignments
            .iter()
            .map(|x| &x.unit)
            .chain(a.co_units.iter().map(|c| &c.unit))
            .map(|u| u.to_string())
            .collect();
        access.sort();
        access.dedup();
        // One row per co-unit; a unit summoned again keeps its latest summons.
        let mut co: Vec<(String, Instant)> = vec![];
        for c in &a.co_units {
            co.retain(|(u, _)| u != c.unit.as_str());
            co.push((c.unit.to_string(), ms(c.summoned_at)));
        }
        // A corrected case that a unit answered is a labelled example.
        let example = match (a.was_corrected(), &a.reply, &a.category) {
            (true, Some(_), Some(cat)) => {
                let text = match &a.title {
                    Some(t) => format!("{t}{}", a.text),
                    None => a.text.clone(),
                };
                Some((text, cat.to_string()))
            }
            _ => None,
        };
        let mut p = Projection {
            tenant: tenant.to_owned(),
            id: a.id.to_string(),
            status: a.status.as_str().to_owned(),
            appeal_type: enum_str(&a.appeal_type),
            urgency: enum_str(&a.urgency),
            channel: enum_str(&a.channel),
            title: a.title.clone(),
            unit: a.unit.as_ref().map(|u| u.to_string()),
            category: a.category.as_ref().map(|c| c.to_string()),
            area: a.location.area.as_ref().map(|u| u.to_string()),
            stage: enum_str(&a.stage()),
            next_due: a.next_due().map(ms),
            next_alarm: if a.is_open() { a.next_alarm().map(ms) } else { None },
            returned: a.returned.is_some(),
            supervised: a.supervised,
            citizen: a.citizen.map(|p| p.0),
            tracking_code: a.tracking_code.as_str().to_owned(),
            accepted_at: ms(a.accepted_at),
            updated_at: ms(a.updated_at),
            closed_at: a.closed_at.map(ms),
            version: int(a.version)?,
            state: to_json(a)?,
            search: (text == Reindex::Text).then(|| crate::search::case_tokens(a)),
            access,
            co_since: co.iter().map(|(_, t)| *t).collect(),
            co_units: co.into_iter().map(|(u, _)| u).collect(),
            example_category: example.as_ref().map(|(_, c)| c.clone()),
            example_text: example.map(|(t, _)| t),
            fact_units: vec![],
            fact_months: vec![],
            fact_kinds: vec![],
            fact_flags: vec![],
            fact_satisfaction: vec![],
        };
        for f in facts(a) {
            let (kind, flag, sat) = match f.kind {
                FactKind::Dispatch { responded } => ("dispatch", responded, None),
                FactKind::Reply { on_time } => ("reply", on_time, None),
                FactKind::Callback { solved, satisfaction } => ("callback", solved, Some(enum_str(&satisfaction))),
            };
            p.fact_units.push(f.unit.to_string());
            p.fact_months.push(f.month);
            p.fact_kinds.push(kind);
            p.fact_flags.push(flag);
            p.fact_satisfaction.push(sat);
        }
        Ok(p)
    }

    /// Parameters $1 to $33 of `project_ctes!`.
    pub(crate) fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.tenant,
            &self.id,
            &self.status,
            &self.appeal_type,
            &self.urgency,
            &self.channel,
            &self.title,
            &self.unit,
            &self.category,
            &self.area,
            &self.stage,
            &self.next_due,
            &self.next_alarm,
            &self.returned,
            &self.supervised,
            &self.citizen,
            &self.tracking_code,
            &self.accepted_at,
            &self.updated_at,
            &self.closed_at,
            &self.version,
            &self.state,
            &self.search,
            &self.access,
            &self.co_units,
            &self.co_since,
            &self.example_text,
            &self.example_category,
            &self.fact_units,
            &self.fact_months,
            &self.fact_kinds,
            &self.fact_flags,
            &self.fact_satisfaction,
        ]
    }
}

/// New events of one case, hashed and ready to insert, with the chain head they end at.
pub(crate) struct EventRows {
    pub(crate) seqs: Vec<i32>,
    pub(crate) kinds: Vec<&'static str>,
    pub(crate) bodies: Vec<String>,
    pub(crate) prev_hashes: Vec<String>,
    pub(crate) hashes: Vec<String>,
    pub(crate) actor: String,
    pub(crate) at: Instant,
    pub(crate) alg: &'static str,
    pub(crate) head_seq: i32,
    pub(crate) head_hash: String,
    /// When the events are recorded (`created_at`): `at` when recorded live.
    pub(crate) recorded: Instant,
}

impl EventRows {
    /// Parameters $34 to $44 of `WRITE_SQL`.
    fn params(&self) -> [&(dyn ToSql + Sync); 11] {
        [
            &self.seqs,
            &self.kinds,
            &self.bodies,
            &self.prev_hashes,
            &self.hashes,
            &self.actor,
            &self.at,
            &self.alg,
            &self.head_seq,
            &self.head_hash,
            &self.recorded,
        ]
    }
}

/// Rewrites a case's projections (`reindex`).
pub(crate) fn project(conn: &mut Conn, p: &Projection) -> Result<()> {
    conn.execute(PROJECT_SQL, &p.params())?;
    Ok(())
}

/// Appends a case's new events and rewrites its projections, in one statement.
pub(crate) fn write(conn: &mut Conn, events: &EventRows, p: &Projection) -> Result<()> {
    let mut params = p.params();
    params.extend(events.params());
    conn.execute(WRITE_SQL, &params)?;
    Ok(())
}
