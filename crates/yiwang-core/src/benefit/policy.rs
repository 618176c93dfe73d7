//! The policy (政策) as a kind: draft → enabled → closed, each run recorded.
//!
//! Budget rule: a policy whose dry run's total exceeds its budget cannot be enabled
//! (`budget_exceeded`). A run after enabling (the register may have grown) grants in
//! the register's order while the period's granted total stays within the budget and
//! counts the rest as `over_budget` in its summary: the budget is never overspent.

use super::{PolicyDef, compile};
use crate::case::{Context, Envelope, Header, Kind, Projection, Refusal, text};
use crate::deadline::Stage;
use crate::id::{CaseId, UnitCode};
use crate::org::{Actor, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a run did, as its event records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunSummary {
    pub period: String,
    /// Enterprises of the register read.
    pub enterprises: u64,
    /// Found eligible.
    pub eligible: u64,
    /// Grants opened by this run.
    pub opened: u64,
    /// Eligible but granted already this period (by an earlier run or a claim).
    pub already: u64,
    /// Eligible but not granted: the period's budget would be exceeded.
    pub over_budget: u64,
    /// 元 granted by this run.
    pub amount: u64,
}

/// What people do with a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Changed while a draft.
    Edit { def: PolicyDef },
    /// 启用, with what the dry run the app just made found.
    Enable { eligible: u64, total: u64 },
    /// A run's summary (the app opened the grants).
    RecordRun { run: RunSummary },
    /// 停止执行.
    Close { reason: String },
}

/// Stored as JSON and hashed: never rename or remove a field or variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicyEvent {
    Defined { def: PolicyDef, unit: UnitCode },
    Edited { def: PolicyDef },
    Enabled { eligible: u64, total: u64 },
    RunRecorded { run: RunSummary },
    Closed { reason: String },
}

impl PolicyEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Defined { .. } => "defined",
            Self::Edited { .. } => "edited",
            Self::Enabled { .. } => "enabled",
            Self::RunRecorded { .. } => "run_recorded",
            Self::Closed { .. } => "closed",
        }
    }
    pub fn summary(&self) -> String {
        match self {
            Self::Defined { def, .. } => format!("拟定政策：{}（{}）", def.name, def.basis),
            Self::Edited { .. } => "修改政策草稿".into(),
            Self::Enabled { eligible, total } => format!("启用：试算符合条件 {eligible} 家，合计 {total} 元"),
            Self::RunRecorded { run } => format!(
                "执行（{}）：符合 {} 家，新发放 {} 家 {} 元，已享受 {} 家，超出预算 {} 家",
                run.period, run.eligible, run.opened, run.amount, run.already, run.over_budget
            ),
            Self::Closed { reason } => format!("停止执行：{reason}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PolicyStatus {
    Draft,
    Enabled,
    Closed,
}

impl PolicyStatus {
    pub const ALL: [Self; 3] = [Self::Draft, Self::Enabled, Self::Closed];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Enabled => "enabled",
            Self::Closed => "closed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Enabled => "执行中",
            Self::Closed => "已停止",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Policy {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub status: PolicyStatus,
    pub def: PolicyDef,
    /// The unit whose officer defined it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    pub runs: Vec<(DateTime<Utc>, RunSummary)>,
    pub defined_at: DateTime<Utc>,
    pub enabled_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
}

impl Policy {
    /// 元 granted so far in `period`, by the runs recorded.
    pub fn granted_in(&self, period: &str) -> u64 {
        self.runs.iter().filter(|(_, r)| r.period == period).map(|(_, r)| r.amount).sum()
    }

    /// When the scheduler runs it next: by its schedule after its last run (or its
    /// enabling); none unless enabled and scheduled.
    pub fn next_run(&self) -> Option<DateTime<Utc>> {
        if self.status != PolicyStatus::Enabled {
            return None;
        }
        let last = self.runs.last().map(|(at, _)| *at).or(self.enabled_at)?;
        self.def.schedule.next_after(last)
    }
}

pub type PolicyEnvelope = Envelope<PolicyEvent>;

/// A policy officer of the paying department (or, for runs, the scheduler).
fn may_manage(actor: &Actor, unit: &UnitCode) -> bool {
    actor.has_role(Role::PolicyOfficer) && actor.unit() == Some(unit)
}

/// 拟定政策: a policy officer of the paying department.
pub fn open(def: &PolicyDef, ctx: &Context<'_>) -> Result<Vec<PolicyEvent>, Refusal> {
    let c = compile(def)?;
    if ctx.org.get(&c.def.unit).is_none() {
        return Err(Refusal::UnknownUnit(c.def.unit.clone()));
    }
    if !may_manage(ctx.actor, &c.def.unit) {
        return Err(Refusal::Forbidden {
            action: "define", why: "只有拨付部门的政策专员可以拟定政策"
        });
    }
    Ok(vec![PolicyEvent::Defined { unit: c.def.unit.clone(), def: c.def }])
}

pub fn decide(s: &Policy, c: &Command, ctx: &Context<'_>) -> Result<Vec<PolicyEvent>, Refusal> {
    let system = matches!(ctx.actor, Actor::System);
    match c {
        Command::Edit { def } => {
            if !may_manage(ctx.actor, &s.def.unit) {
                return Err(Refusal::Forbidden {
                    action: "edit", why: "只有拨付部门的政策专员可以修改政策"
                });
            }
            if s.status != PolicyStatus::Draft {
                return Err(Refusal::rule("not_draft", "政策启用后不能修改：请停止后另拟新政策"));
            }
            let c = compile(def)?;
            if c.def.unit != s.def.unit {
                return Err(Refusal::rule("unit_mismatch", "不能更改拨付部门"));
            }
            if c.def == s.def {
                return Ok(vec![]);
            }
            Ok(vec![PolicyEvent::Edited { def: c.def }])
        }
        Command::Enable { eligible, total } => {
            if !may_manage(ctx.actor, &s.def.unit) {
                return Err(Refusal::Forbidden {
                    action: "enable", why: "只有拨付部门的政策专员可以启用政策"
                });
            }
            if s.status != PolicyStatus::Draft {
                return Err(Refusal::TransitionNotAllowed { action: "enable", status: s.status.label() });
            }
            if *total > s.def.budget {
                return Err(Refusal::rule(
                    "budget_exceeded",
                    format!(
                        "试算符合条件 {eligible} 家，合计 {total} 元，超出预算 {} 元：请调整条件、金额或预算后再启用",
                        s.def.budget
                    ),
                ));
            }
            Ok(vec![PolicyEvent::Enabled { eligible: *eligible, total: *total }])
        }
        Command::RecordRun { run } => {
            if !(system || may_manage(ctx.actor, &s.def.unit)) {
                return Err(Refusal::Forbidden {
                    action: "run", why: "只有拨付部门的政策专员可以执行政策"
                });
            }
            if s.status != PolicyStatus::Enabled {
                return Err(Refusal::rule("not_enabled", "政策未启用或已停止，不能执行"));
            }
            if run.period != s.def.period {
                return Err(Refusal::rule("invalid_period", "执行周期与政策周期不符"));
            }
            Ok(vec![PolicyEvent::RunRecorded { run: run.clone() }])
        }
        Command::Close { reason } => {
            if !may_manage(ctx.actor, &s.def.unit) {
                return Err(Refusal::Forbidden {
                    action: "close", why: "只有拨付部门的政策专员可以停止政策"
                });
            }
            if s.status == PolicyStatus::Closed {
                return Err(Refusal::AlreadyDone("政策已停止"));
            }
            Ok(vec![PolicyEvent::Closed { reason: text("reason", reason, 200)? }])
        }
    }
}

pub fn evolve(state: Option<Policy>, env: &PolicyEnvelope) -> Option<Policy> {
    match (&env.event, state) {
        (PolicyEvent::Defined { def, unit }, None) => Some(Policy {
            id: env.case.clone(),
            status: PolicyStatus::Draft,
            def: def.clone(),
            unit: unit.clone(),
            runs: vec![],
            defined_at: env.at,
            enabled_at: None,
            closed_at: None,
            updated_at: env.at,
            version: env.seq,
        }),
        (_, None) => None,
        (e, Some(mut s)) => {
            match e {
                PolicyEvent::Defined { .. } => {}
                PolicyEvent::Edited { def } => s.def = def.clone(),
                PolicyEvent::Enabled { .. } => {
                    s.status = PolicyStatus::Enabled;
                    s.enabled_at = Some(env.at);
                }
                PolicyEvent::RunRecorded { run } => s.runs.push((env.at, run.clone())),
                PolicyEvent::Closed { .. } => {
                    s.status = PolicyStatus::Closed;
                    s.closed_at = Some(env.at);
                }
            }
            s.updated_at = env.at;
            s.version = env.seq;
            Some(s)
        }
    }
}

/// A policy's own columns, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyDetail {
    pub name: String,
    pub basis: String,
    pub period: String,
    pub budget: u64,
    pub pay_unit: String,
    /// 元 granted in the current period.
    pub granted: u64,
    /// When the scheduler runs it next (`Policy::next_run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run: Option<DateTime<Utc>>,
}

pub struct PolicyKind;

impl Kind for PolicyKind {
    const NAME: &'static str = "policy";
    const PREFIX: &'static str = "ZC";
    const LABEL: &'static str = "惠企政策";
    type State = Policy;
    type Event = PolicyEvent;
    type Command = Command;

    fn event_name(e: &PolicyEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &PolicyEvent) -> bool {
        matches!(e, PolicyEvent::Defined { .. })
    }
    fn evolve(state: Option<Policy>, env: &PolicyEnvelope) -> Option<Policy> {
        evolve(state, env)
    }
    fn decide(s: &Policy, c: &Command, ctx: &Context<'_>) -> Result<Vec<PolicyEvent>, Refusal> {
        decide(s, c, ctx)
    }
    fn alarms(_s: &Policy, _ctx: &Context<'_>) -> Vec<PolicyEvent> {
        vec![]
    }
    fn id(s: &Policy) -> &CaseId {
        &s.id
    }
    fn version(s: &Policy) -> u32 {
        s.version
    }
    fn project(s: &Policy) -> Projection {
        Projection {
            header: Header {
                status: s.status.as_str(),
                title: Some(s.def.name.clone()),
                // Not a to-do: the officer finds it in the policies' list.
                unit: None,
                category: None,
                area: None,
                person: None,
                tracking_code: None,
                opened_at: s.defined_at,
                updated_at: s.updated_at,
                closed_at: s.closed_at,
                stage: Stage::Green,
                next_due: None,
                next_due_working: false,
                next_alarm: None,
                version: s.version,
            },
            co_units: vec![],
            access: vec![s.unit.clone()],
            facts: vec![],
            volume: vec![("status", s.status.as_str().to_owned())],
            detail: serde_json::to_string(&PolicyDetail {
                name: s.def.name.clone(),
                basis: s.def.basis.clone(),
                period: s.def.period.clone(),
                budget: s.def.budget,
                pay_unit: s.def.unit.to_string(),
                granted: s.granted_in(&s.def.period),
                next_run: s.next_run(),
            })
            .expect("a policy's detail serialises"),
            example: None,
        }
    }
    fn status_label(status: &str) -> &'static str {
        PolicyStatus::ALL.into_iter().find(|x| x.as_str() == status).map(PolicyStatus::label).unwrap_or("")
    }
    fn search_text(s: &Policy) -> String {
        format!("{} {}", s.def.name, s.def.basis)
    }
    fn touches_text(e: &PolicyEvent) -> bool {
        matches!(e, PolicyEvent::Defined { .. } | PolicyEvent::Edited { .. })
    }
    /// Policies are public documents: every policy officer and leader sees them all.
    fn sees_all(actor: &Actor) -> bool {
        actor.has_role(Role::PolicyOfficer) || actor.has_role(Role::Leader) || actor.has_role(Role::Regulator)
    }
}
