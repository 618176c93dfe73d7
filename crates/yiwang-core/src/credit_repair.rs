//! 信用修复: an enterprise asks that a bad fact of its record stop counting.
//!
//! Following the 市场监管总局's 《市场监督管理信用修复管理办法》 (2021) and the NDRC's
//! 《失信行为纠正后的信用信息修复管理办法（试行）》 (2023): the fact must have stood for
//! its minimum period (a penalty published 6 months, 12 in food, drugs and special
//! equipment; the periods are `[credit]` of `limits.toml`, checked when the repair is
//! applied), the enterprise shows how it corrected it (evidence files) and signs a
//! 信用承诺; a removal from the 经营异常名录 further declares that its cause is gone
//! (the four conditions below). The department that keeps the register reviews it
//! within `repair_review_days` working days (a clock with yellow and red) and
//! approves, which repairs the fact on the enterprise's own record (its history kept),
//! or refuses with its reason.
//!
//! Two cases are two writes: the repair records `Applied` once the enterprise's
//! record has the repair, and the scheduler finishes an approval a crash cut short.

use crate::calendar::civil_date;
use crate::case::{Context, Envelope, Header, Kind, Projection, Refusal, text};
use crate::deadline::{Budget, ClockName, Stage};
use crate::enterprise::FactKind;
use crate::id::{CaseId, CreditCode, PersonId, UnitCode};
use crate::org::{Actor, Role};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What a removal from the 经营异常名录 declares (《经营异常名录管理办法》's grounds for
/// removal, one of which must hold).
pub const ABNORMAL_CONDITIONS: [&str; 4] = [
    "已补报未报年份的年度报告并公示",
    "已履行即时信息公示义务，补报、更正相关信息",
    "已依法办理住所或经营场所变更登记，或通过登记的住所可以重新取得联系",
    "已更正隐瞒真实情况、弄虚作假的公示信息",
];

/// The one clock: the department's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RepairClock {
    Review,
}

impl ClockName for RepairClock {
    fn label(self) -> &'static str {
        "修复审核"
    }
}

pub type Clock = crate::deadline::Clock<RepairClock>;

/// What an enterprise asks.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRepair {
    pub enterprise: CreditCode,
    pub enterprise_name: String,
    /// The fact's number on the enterprise's record, and what it is.
    pub fact: u32,
    pub fact_kind: FactKind,
    pub fact_date: NaiveDate,
    /// The first day the rules let it be repaired.
    pub repairable_from: NaiveDate,
    /// How it was corrected.
    pub correction: String,
    /// Evidence, as stored: `uploads/<name>`.
    pub evidence: Vec<String>,
    /// The 信用承诺, as signed.
    pub commitment: String,
    /// For a removal from the 经营异常名录: which of `ABNORMAL_CONDITIONS` holds.
    pub conditions: Vec<String>,
    /// The department that keeps the register and decides.
    pub unit: UnitCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Command {
    /// 同意修复.
    Approve { opinion: String },
    /// 不予修复, with the reason.
    Reject { reason: String },
    /// The enterprise's record now has the repair (the app, after approving).
    MarkApplied,
}

/// Stored as JSON and hashed: never rename or remove a field or variant. The opening
/// event is large and every other small, as with every kind: it is folded once.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RepairEvent {
    Requested {
        enterprise: CreditCode,
        enterprise_name: String,
        fact: u32,
        fact_kind: FactKind,
        fact_date: NaiveDate,
        correction: String,
        evidence: Vec<String>,
        commitment: String,
        conditions: Vec<String>,
        unit: UnitCode,
        review: Clock,
        #[serde(default)]
        person: Option<PersonId>,
    },
    Approved {
        opinion: String,
    },
    Rejected {
        reason: String,
    },
    Applied,
    ReviewWarned {
        due: DateTime<Utc>,
    },
    ReviewOverdue {
        due: DateTime<Utc>,
    },
}

impl RepairEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Requested { .. } => "requested",
            Self::Approved { .. } => "approved",
            Self::Rejected { .. } => "rejected",
            Self::Applied => "applied",
            Self::ReviewWarned { .. } => "review_warned",
            Self::ReviewOverdue { .. } => "review_overdue",
        }
    }
    pub fn summary(&self) -> String {
        match self {
            Self::Requested { enterprise_name, fact, fact_kind, .. } => {
                format!("{enterprise_name} 申请修复信用信息 #{fact}（{}）", fact_kind.label())
            }
            Self::Approved { opinion } => format!("同意修复：{opinion}"),
            Self::Rejected { reason } => format!("不予修复：{reason}"),
            Self::Applied => "信用记录已修复".into(),
            Self::ReviewWarned { .. } => "审核时限临近".into(),
            Self::ReviewOverdue { .. } => "审核已超时".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RepairStatus {
    Reviewing,
    Approved,
    Rejected,
}

impl RepairStatus {
    pub const ALL: [Self; 3] = [Self::Reviewing, Self::Approved, Self::Rejected];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reviewing => "reviewing",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Reviewing => "审核中",
            Self::Approved => "已修复",
            Self::Rejected => "不予修复",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Repair {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub status: RepairStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub enterprise: CreditCode,
    pub enterprise_name: String,
    pub fact: u32,
    pub fact_kind: FactKind,
    pub fact_date: NaiveDate,
    pub correction: String,
    pub evidence: Vec<String>,
    pub commitment: String,
    pub conditions: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    pub review: Clock,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>))]
    pub person: Option<PersonId>,
    /// The opinion or the reason of the decision.
    pub decision: Option<String>,
    /// Whether the enterprise's record has the repair.
    pub applied: bool,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
}

pub type RepairEnvelope = Envelope<RepairEvent>;

/// 信用修复申请: by the enterprise (through a phone that may act for it; the app
/// checked that), or by the department's staff on its written application.
pub fn open(n: &NewRepair, ctx: &Context<'_>) -> Result<Vec<RepairEvent>, Refusal> {
    if !(matches!(ctx.actor, Actor::Citizen) || ctx.actor.has_role(Role::Regulator)) {
        return Err(Refusal::Forbidden {
            action: "request_repair", why: "信用修复由企业申请，或由监管人员代为登记"
        });
    }
    if !n.fact_kind.repairable() {
        return Err(Refusal::rule("not_repairable", "该信用信息不是失信信息，无需修复"));
    }
    if civil_date(ctx.now) < n.repairable_from {
        return Err(Refusal::rule(
            "repair_too_early",
            format!("{}须公示期满后方可申请信用修复，最早 {}", n.fact_kind.label(), n.repairable_from),
        ));
    }
    if n.evidence.is_empty() {
        return Err(Refusal::rule("evidence_required", "请上传已纠正失信行为的证明材料"));
    }
    if n.evidence.len() > 10 {
        return Err(Refusal::rule("too_many_files", "证明材料最多10个文件"));
    }
    let commitment = text("commitment", &n.commitment, 1000)?;
    if !commitment.contains("承诺") {
        return Err(Refusal::rule("commitment_required", "请签署信用承诺书（须含“承诺”字样的承诺内容）"));
    }
    let mut conditions = vec![];
    for c in &n.conditions {
        if !ABNORMAL_CONDITIONS.contains(&c.as_str()) {
            return Err(Refusal::rule("unknown_condition", format!("移出条件“{c}”不在规定之列")));
        }
        if !conditions.contains(c) {
            conditions.push(c.clone());
        }
    }
    if n.fact_kind == FactKind::AbnormalListed && conditions.is_empty() {
        return Err(Refusal::rule("condition_required", "申请移出经营异常名录，须说明已消除列入情形（选择至少一项）"));
    }
    let days = ctx.limits.credit.repair_review_days;
    Ok(vec![RepairEvent::Requested {
        enterprise: n.enterprise.clone(),
        enterprise_name: text("enterprise_name", &n.enterprise_name, 100)?,
        fact: n.fact,
        fact_kind: n.fact_kind,
        fact_date: n.fact_date,
        correction: text("correction", &n.correction, 2000)?,
        evidence: n.evidence.clone(),
        commitment,
        conditions,
        unit: n.unit.clone(),
        review: Clock::start(
            RepairClock::Review,
            Budget::WorkingDays(days),
            ctx.now,
            ctx.calendar,
            ctx.limits.warn_ratio,
        ),
        person: None,
    }])
}

fn reviewer_of(s: &Repair, actor: &Actor) -> bool {
    matches!(actor, Actor::Staff { unit, .. } if *unit == s.unit) && actor.has_role(Role::Regulator)
}

pub fn decide(s: &Repair, c: &Command, ctx: &Context<'_>) -> Result<Vec<RepairEvent>, Refusal> {
    match c {
        Command::Approve { opinion } | Command::Reject { reason: opinion } => {
            if s.status != RepairStatus::Reviewing {
                return Err(Refusal::CaseClosed("该信用修复申请已有决定"));
            }
            if !reviewer_of(s, ctx.actor) {
                return Err(Refusal::Forbidden {
                    action: "decide_repair", why: "由负责企业名录的部门的监管人员审核"
                });
            }
            Ok(vec![match c {
                Command::Approve { .. } => RepairEvent::Approved { opinion: text("opinion", opinion, 500)? },
                _ => RepairEvent::Rejected { reason: text("reason", opinion, 500)? },
            }])
        }
        Command::MarkApplied => {
            if !matches!(ctx.actor, Actor::System) && !reviewer_of(s, ctx.actor) {
                return Err(Refusal::Forbidden { action: "mark_applied", why: "由系统在修复记录后登记" });
            }
            match (s.status, s.applied) {
                (RepairStatus::Approved, false) => Ok(vec![RepairEvent::Applied]),
                (RepairStatus::Approved, true) => Ok(vec![]),
                _ => Err(Refusal::rule("not_approved", "未同意的申请不能修复记录")),
            }
        }
    }
}

pub fn alarms(s: &Repair, ctx: &Context<'_>) -> Vec<RepairEvent> {
    if s.status != RepairStatus::Reviewing {
        return vec![];
    }
    match (s.review.stage, s.review.stage_at(ctx.now)) {
        (Stage::Green, Stage::Yellow) => vec![RepairEvent::ReviewWarned { due: s.review.due }],
        (Stage::Green | Stage::Yellow, Stage::Red) => vec![RepairEvent::ReviewOverdue { due: s.review.due }],
        _ => vec![],
    }
}

pub fn evolve(state: Option<Repair>, env: &RepairEnvelope) -> Option<Repair> {
    match (&env.event, state) {
        (
            RepairEvent::Requested {
                enterprise,
                enterprise_name,
                fact,
                fact_kind,
                fact_date,
                correction,
                evidence,
                commitment,
                conditions,
                unit,
                review,
                person,
            },
            None,
        ) => Some(Repair {
            id: env.case.clone(),
            status: RepairStatus::Reviewing,
            enterprise: enterprise.clone(),
            enterprise_name: enterprise_name.clone(),
            fact: *fact,
            fact_kind: *fact_kind,
            fact_date: *fact_date,
            correction: correction.clone(),
            evidence: evidence.clone(),
            commitment: commitment.clone(),
            conditions: conditions.clone(),
            unit: unit.clone(),
            review: *review,
            person: *person,
            decision: None,
            applied: false,
            requested_at: env.at,
            decided_at: None,
            updated_at: env.at,
            version: env.seq,
        }),
        (_, None) => None,
        (e, Some(mut s)) => {
            match e {
                RepairEvent::Requested { .. } => {}
                RepairEvent::Approved { opinion } => {
                    s.status = RepairStatus::Approved;
                    s.decision = Some(opinion.clone());
                    s.decided_at = Some(env.at);
                }
                RepairEvent::Rejected { reason } => {
                    s.status = RepairStatus::Rejected;
                    s.decision = Some(reason.clone());
                    s.decided_at = Some(env.at);
                }
                RepairEvent::Applied => s.applied = true,
                RepairEvent::ReviewWarned { .. } => s.review.stage = Stage::Yellow,
                RepairEvent::ReviewOverdue { .. } => s.review.stage = Stage::Red,
            }
            s.updated_at = env.at;
            s.version = env.seq;
            Some(s)
        }
    }
}

/// A repair's own columns: what the queue and the enterprise's page look it up by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairDetail {
    pub enterprise: String,
    pub enterprise_name: String,
    pub fact: u32,
    pub fact_kind: FactKind,
    /// Approved, its enterprise's record not yet repaired: what the scheduler finishes.
    pub pending: bool,
}

/// 信用修复, as the engine knows it.
pub struct RepairKind;

impl Kind for RepairKind {
    const NAME: &'static str = "credit_repair";
    const PREFIX: &'static str = "XF";
    const LABEL: &'static str = "信用修复";
    type State = Repair;
    type Event = RepairEvent;
    type Command = Command;

    fn event_name(e: &RepairEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &RepairEvent) -> bool {
        matches!(e, RepairEvent::Requested { .. })
    }
    fn evolve(state: Option<Repair>, env: &RepairEnvelope) -> Option<Repair> {
        evolve(state, env)
    }
    fn decide(s: &Repair, c: &Command, ctx: &Context<'_>) -> Result<Vec<RepairEvent>, Refusal> {
        decide(s, c, ctx)
    }
    fn alarms(s: &Repair, ctx: &Context<'_>) -> Vec<RepairEvent> {
        alarms(s, ctx)
    }
    fn id(s: &Repair) -> &CaseId {
        &s.id
    }
    fn version(s: &Repair) -> u32 {
        s.version
    }
    fn project(s: &Repair) -> Projection {
        let open = s.status == RepairStatus::Reviewing;
        let pending = s.status == RepairStatus::Approved && !s.applied;
        Projection {
            header: Header {
                status: s.status.as_str(),
                title: Some(format!("{} 信用修复（{}）", s.enterprise_name, s.fact_kind.label())),
                unit: Some(s.unit.clone()),
                category: Some(s.fact_kind.as_str().to_owned()),
                area: None,
                person: s.person,
                tracking_code: None,
                opened_at: s.requested_at,
                updated_at: s.updated_at,
                closed_at: (!open && !pending).then_some(s.decided_at.unwrap_or(s.updated_at)),
                stage: if open { s.review.stage } else { Stage::Green },
                next_due: open.then_some(s.review.due),
                next_due_working: true,
                next_alarm: if open { s.review.next_alarm() } else { None },
                version: s.version,
            },
            co_units: vec![],
            access: vec![s.unit.clone()],
            facts: vec![],
            volume: vec![("status", s.status.as_str().to_owned()), ("fact_kind", s.fact_kind.as_str().to_owned())],
            detail: serde_json::to_string(&RepairDetail {
                enterprise: s.enterprise.to_string(),
                enterprise_name: s.enterprise_name.clone(),
                fact: s.fact,
                fact_kind: s.fact_kind,
                pending,
            })
            .expect("a repair's detail serialises"),
            example: None,
        }
    }
    fn status_label(status: &str) -> &'static str {
        RepairStatus::ALL.into_iter().find(|x| x.as_str() == status).map(RepairStatus::label).unwrap_or("")
    }
    fn search_text(s: &Repair) -> String {
        format!("{} {} {}", s.enterprise_name, s.enterprise, s.correction)
    }
    fn touches_text(e: &RepairEvent) -> bool {
        matches!(e, RepairEvent::Requested { .. })
    }
    fn set_person(first: &mut RepairEvent, id: PersonId) {
        if let RepairEvent::Requested { person, .. } = first {
            *person = Some(id);
        }
    }
    fn attachments(s: &Repair) -> Vec<String> {
        s.evidence.clone()
    }
    fn notices(_before: Option<&Repair>, events: &[RepairEvent]) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| match e {
                RepairEvent::Approved { .. } => Some("repair_approved"),
                RepairEvent::Rejected { .. } => Some("repair_rejected"),
                _ => None,
            })
            .collect()
    }
    /// Every department's 监管人员 sees the register's repairs.
    fn sees_all(actor: &Actor) -> bool {
        actor.has_role(Role::Regulator) || actor.has_role(Role::Leader)
    }
}
