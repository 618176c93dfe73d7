//! 共享读取记录: every read of a shared resource is evidence (X-Road's message log).
//!
//! One case per grant per day (China time), found by its tracking code
//! `readlog:<grant>:<YYYY-MM-DD>` (unique in the store, so two first reads of a day
//! make one log), and each read an event appended to it: who read (the consuming
//! system and unit, named when the log opens; the event's actor is the system),
//! under which grant, which filter, how many rows, the hash of the response body as
//! sent, and the ids of the people whose data it held. Being events on a case's
//! chain, the reads are in the head log, sealed by the signed checkpoints and checked
//! by `audit verify` like every case: an owner can prove, and a consumer cannot
//! deny, what was read.
//!
//! The state keeps counts only, so a day of many reads folds small; the app keeps
//! the day's log in memory and appends to it without loading its chain again.

use crate::case::{Context, Envelope, Header, Kind, Projection, Refusal};
use crate::deadline::Stage;
use crate::id::{CaseId, PersonId, UnitCode};
use crate::org::Actor;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A day's log of a grant: what every read under it shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReadLog {
    pub grant: CaseId,
    pub resource: String,
    pub system: String,
    pub consumer: UnitCode,
    pub owner: UnitCode,
    pub bureau: Option<UnitCode>,
    pub day: NaiveDate,
}

/// One read, as the API answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadEntry {
    /// The query as given (`since`, `after`, `limit`), canonical.
    pub filter: String,
    pub rows: u32,
    /// The response body's hash: `sha256:<hex>` or `sm3:<hex>`.
    pub digest: String,
    /// The people whose data the rows held.
    pub persons: Vec<PersonId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Record(ReadEntry),
}

/// Stored as JSON and hashed: never rename or remove a field or variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReadLogEvent {
    Opened {
        grant: CaseId,
        resource: String,
        system: String,
        consumer: UnitCode,
        owner: UnitCode,
        bureau: Option<UnitCode>,
        day: NaiveDate,
    },
    Read(ReadEntry),
}

impl ReadLogEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Opened { .. } => "opened",
            Self::Read(_) => "read",
        }
    }
    pub fn summary(&self) -> String {
        match self {
            Self::Opened { system, resource, day, .. } => format!("{system} 读取 {resource} 的 {day} 记录"),
            Self::Read(r) => format!("读取 {} 条（{}）", r.rows, r.filter),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadLog {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub grant: CaseId,
    pub resource: String,
    pub system: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub consumer: UnitCode,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub owner: UnitCode,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub bureau: Option<UnitCode>,
    pub day: NaiveDate,
    pub reads: u32,
    pub rows: u64,
    pub opened_at: DateTime<Utc>,
    pub last_read_at: Option<DateTime<Utc>>,
    pub version: u32,
}

pub type ReadLogEnvelope = Envelope<ReadLogEvent>;

/// The tracking code that makes one log per grant per day.
pub fn tracking_code(grant: &CaseId, day: NaiveDate) -> String {
    format!("readlog:{grant}:{day}")
}

/// Opened by the system (the reading API), never by people.
pub fn open(n: &NewReadLog, ctx: &Context<'_>) -> Result<Vec<ReadLogEvent>, Refusal> {
    if !matches!(ctx.actor, Actor::System | Actor::Client { .. }) {
        return Err(Refusal::Forbidden { action: "open_read_log", why: "读取记录由系统在读取时登记" });
    }
    Ok(vec![ReadLogEvent::Opened {
        grant: n.grant.clone(),
        resource: n.resource.clone(),
        system: n.system.clone(),
        consumer: n.consumer.clone(),
        owner: n.owner.clone(),
        bureau: n.bureau.clone(),
        day: n.day,
    }])
}

pub fn decide(s: &ReadLog, c: &Command, ctx: &Context<'_>) -> Result<Vec<ReadLogEvent>, Refusal> {
    let Command::Record(entry) = c;
    if !matches!(ctx.actor, Actor::System | Actor::Client { .. }) {
        return Err(Refusal::Forbidden { action: "record_read", why: "读取记录由系统在读取时登记" });
    }
    if crate::calendar::civil_date(ctx.now) != s.day {
        return Err(Refusal::rule("read_log_closed", "该读取记录只记当日的读取"));
    }
    Ok(vec![ReadLogEvent::Read(entry.clone())])
}

pub fn evolve(state: Option<ReadLog>, env: &ReadLogEnvelope) -> Option<ReadLog> {
    match (&env.event, state) {
        (ReadLogEvent::Opened { grant, resource, system, consumer, owner, bureau, day }, None) => Some(ReadLog {
            id: env.case.clone(),
            grant: grant.clone(),
            resource: resource.clone(),
            system: system.clone(),
            consumer: consumer.clone(),
            owner: owner.clone(),
            bureau: bureau.clone(),
            day: *day,
            reads: 0,
            rows: 0,
            opened_at: env.at,
            last_read_at: None,
            version: env.seq,
        }),
        (_, None) => None,
        (e, Some(mut s)) => {
            if let ReadLogEvent::Read(r) = e {
                s.reads += 1;
                s.rows += u64::from(r.rows);
                s.last_read_at = Some(env.at);
            }
            s.version = env.seq;
            Some(s)
        }
    }
}

/// A log's own columns: what the usage page sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadLogDetail {
    pub grant: String,
    pub resource: String,
    pub system: String,
    pub consumer: String,
    pub owner: String,
    pub day: NaiveDate,
    pub reads: u32,
    pub rows: u64,
}

/// The day's read log of a grant, as the engine knows it.
pub struct ReadLogKind;

impl Kind for ReadLogKind {
    const NAME: &'static str = "read_log";
    const PREFIX: &'static str = "DQ";
    const LABEL: &'static str = "共享读取记录";
    type State = ReadLog;
    type Event = ReadLogEvent;
    type Command = Command;

    fn event_name(e: &ReadLogEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &ReadLogEvent) -> bool {
        matches!(e, ReadLogEvent::Opened { .. })
    }
    fn evolve(state: Option<ReadLog>, env: &ReadLogEnvelope) -> Option<ReadLog> {
        evolve(state, env)
    }
    fn decide(s: &ReadLog, c: &Command, ctx: &Context<'_>) -> Result<Vec<ReadLogEvent>, Refusal> {
        decide(s, c, ctx)
    }
    fn alarms(_s: &ReadLog, _ctx: &Context<'_>) -> Vec<ReadLogEvent> {
        vec![]
    }
    fn id(s: &ReadLog) -> &CaseId {
        &s.id
    }
    fn version(s: &ReadLog) -> u32 {
        s.version
    }
    fn project(s: &ReadLog) -> Projection {
        let mut access = vec![s.owner.clone(), s.consumer.clone()];
        access.extend(s.bureau.clone());
        access.sort();
        access.dedup();
        Projection {
            header: Header {
                status: "logged",
                title: Some(format!("{} 读取 {}（{}）", s.system, s.resource, s.day)),
                // Nobody's work: it stays out of every 我的待办.
                unit: None,
                category: Some(s.resource.clone()),
                area: None,
                person: None,
                tracking_code: Some(tracking_code(&s.grant, s.day)),
                opened_at: s.opened_at,
                updated_at: s.last_read_at.unwrap_or(s.opened_at),
                closed_at: None,
                stage: Stage::Green,
                next_due: None,
                next_due_working: false,
                next_alarm: None,
                version: s.version,
            },
            co_units: vec![],
            access,
            facts: vec![],
            volume: vec![("resource", s.resource.clone())],
            detail: serde_json::to_string(&ReadLogDetail {
                grant: s.grant.to_string(),
                resource: s.resource.clone(),
                system: s.system.clone(),
                consumer: s.consumer.to_string(),
                owner: s.owner.to_string(),
                day: s.day,
                reads: s.reads,
                rows: s.rows,
            })
            .expect("a read log's detail serialises"),
            example: None,
        }
    }
    fn status_label(status: &str) -> &'static str {
        if status == "logged" { "已记录" } else { "" }
    }
    fn search_text(s: &ReadLog) -> String {
        format!("{} {}", s.system, s.resource)
    }
    fn touches_text(e: &ReadLogEvent) -> bool {
        matches!(e, ReadLogEvent::Opened { .. })
    }
    /// Nobody sees every log by role; the owner, the consumer and the 数据局 see theirs.
    fn sees_all(_actor: &Actor) -> bool {
        false
    }
}
