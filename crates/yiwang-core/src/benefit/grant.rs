//! The grant (免申即享) as a kind: one enterprise's benefit under one policy for one
//! period. Opened by a run (or by the enterprise's claim, 依申请) with the trace; the
//! enterprise confirms its bank account or declines, only through a phone bound to it
//! (the app checks the binding, core that the actor is that applicant); the paying
//! department records the payment, which ends it (办结).

use super::{ClauseTrace, Evaluation, FieldValue};
use crate::case::{Context, Envelope, Header, Kind, Projection, Refusal, text};
use crate::deadline::Stage;
use crate::id::{CaseId, CreditCode, PersonId, UnitCode};
use crate::org::{Actor, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a run (or a claim) opens a grant with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewGrant {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub policy: CaseId,
    pub policy_name: String,
    pub basis: String,
    pub period: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub enterprise: CreditCode,
    pub enterprise_name: String,
    /// The paying department.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    /// 元.
    pub amount: u64,
    /// Why: every clause, held, with the register's values it read.
    pub trace: Vec<ClauseTrace>,
    pub amount_formula: String,
    pub amount_clause: String,
    pub amount_values: Vec<FieldValue>,
    /// Claimed by the enterprise (依申请) rather than found by a run.
    pub claimed: bool,
    /// The enterprise's contact (its register's legal representative), told by SMS.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>))]
    pub contact: Option<PersonId>,
}

impl NewGrant {
    pub fn from_evaluation(
        policy: &super::Policy,
        enterprise: &crate::enterprise::Profile,
        ev: Evaluation,
        claimed: bool,
        contact: Option<PersonId>,
    ) -> Self {
        NewGrant {
            policy: policy.id.clone(),
            policy_name: policy.def.name.clone(),
            basis: policy.def.basis.clone(),
            period: policy.def.period.clone(),
            enterprise: enterprise.code.clone(),
            enterprise_name: enterprise.name.clone(),
            unit: policy.def.unit.clone(),
            amount: ev.amount,
            trace: ev.clauses,
            amount_formula: ev.amount_formula,
            amount_clause: ev.amount_clause,
            amount_values: ev.amount_values,
            claimed,
            contact,
        }
    }
}

/// A bank account to pay into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BankAccount {
    /// 户名: the enterprise's name.
    pub holder: String,
    /// 开户行.
    pub bank: String,
    /// 账号: 8 to 32 digits.
    pub account: String,
}

impl BankAccount {
    /// The account as lists show it: its last 4 digits.
    pub fn masked(&self) -> String {
        let tail: String = self.account.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        format!("{} ****{tail}", self.bank)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Command {
    /// 确认收款账户, by the enterprise.
    ConfirmBank { account: BankAccount },
    /// 放弃享受, by the enterprise.
    Decline { reason: String },
    /// 拨付, by the paying department's policy officer.
    RecordPayment { reference: String },
}

/// Stored as JSON and hashed: never rename or remove a field or variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GrantEvent {
    Opened { grant: Box<NewGrant> },
    BankConfirmed { account: BankAccount },
    Declined { reason: String },
    Paid { reference: String, amount: u64 },
}

impl GrantEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Opened { .. } => "opened",
            Self::BankConfirmed { .. } => "bank_confirmed",
            Self::Declined { .. } => "declined",
            Self::Paid { .. } => "paid",
        }
    }
    pub fn summary(&self) -> String {
        match self {
            Self::Opened { grant } if grant.claimed => {
                format!("依申请核定：{} 符合“{}”，{} 元", grant.enterprise_name, grant.policy_name, grant.amount)
            }
            Self::Opened { grant } => {
                format!("免申即享：{} 符合“{}”，{} 元", grant.enterprise_name, grant.policy_name, grant.amount)
            }
            Self::BankConfirmed { account } => format!("企业确认收款账户：{}", account.masked()),
            Self::Declined { reason } => format!("企业放弃享受：{reason}"),
            Self::Paid { reference, amount } => format!("已拨付 {amount} 元（凭证 {reference}），办结"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GrantStatus {
    /// 待企业确认.
    Notified,
    /// 待拨付.
    Confirmed,
    /// 已拨付（办结）.
    Paid,
    /// 企业放弃.
    Declined,
}

impl GrantStatus {
    pub const ALL: [Self; 4] = [Self::Notified, Self::Confirmed, Self::Paid, Self::Declined];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notified => "notified",
            Self::Confirmed => "confirmed",
            Self::Paid => "paid",
            Self::Declined => "declined",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Notified => "待企业确认",
            Self::Confirmed => "待拨付",
            Self::Paid => "已拨付（办结）",
            Self::Declined => "企业已放弃",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Grant {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub status: GrantStatus,
    pub grant: NewGrant,
    pub account: Option<BankAccount>,
    pub declined: Option<String>,
    pub paid: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
}

pub type GrantEnvelope = Envelope<GrantEvent>;

/// 免申即享 opened by a run (the system or the officer) or by a claim (the enterprise,
/// after the app re-evaluated it).
pub fn open(g: &NewGrant, ctx: &Context<'_>) -> Result<Vec<GrantEvent>, Refusal> {
    let ok = match ctx.actor {
        Actor::System => true,
        Actor::Citizen => g.claimed,
        a => a.has_role(Role::PolicyOfficer) && a.unit() == Some(&g.unit),
    };
    if !ok {
        return Err(Refusal::Forbidden { action: "grant", why: "只有政策执行或企业申请可以核定享受" });
    }
    if g.amount == 0 {
        return Err(Refusal::rule("not_eligible", "核定金额为0元"));
    }
    if let Some(c) = g.trace.iter().find(|c| !c.held()) {
        return Err(Refusal::rule("not_eligible", format!("不符合条件：{}", c.sentence())));
    }
    Ok(vec![GrantEvent::Opened { grant: Box::new(g.clone()) }])
}

pub fn decide(s: &Grant, c: &Command, ctx: &Context<'_>) -> Result<Vec<GrantEvent>, Refusal> {
    match c {
        Command::ConfirmBank { account } => {
            if !matches!(ctx.actor, Actor::Citizen) {
                return Err(Refusal::Forbidden {
                    action: "confirm_bank",
                    why: "收款账户只能由企业通过已绑定的手机确认",
                });
            }
            if s.status != GrantStatus::Notified {
                return Err(Refusal::TransitionNotAllowed { action: "confirm_bank", status: s.status.label() });
            }
            let digits = account.account.trim().replace(' ', "");
            if !(8..=32).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(Refusal::rule("invalid_account", "银行账号应为8至32位数字"));
            }
            let holder = text("holder", &account.holder, 100)?;
            if holder != s.grant.enterprise_name {
                return Err(Refusal::rule("holder_mismatch", "收款账户户名须与企业名称一致"));
            }
            Ok(vec![GrantEvent::BankConfirmed {
                account: BankAccount { holder, bank: text("bank", &account.bank, 100)?, account: digits },
            }])
        }
        Command::Decline { reason } => {
            if !matches!(ctx.actor, Actor::Citizen) {
                return Err(Refusal::Forbidden { action: "decline", why: "只有企业本身可以放弃享受" });
            }
            if !matches!(s.status, GrantStatus::Notified | GrantStatus::Confirmed) {
                return Err(Refusal::TransitionNotAllowed { action: "decline", status: s.status.label() });
            }
            Ok(vec![GrantEvent::Declined { reason: text("reason", reason, 200)? }])
        }
        Command::RecordPayment { reference } => {
            if !(ctx.actor.has_role(Role::PolicyOfficer) && ctx.actor.unit() == Some(&s.grant.unit)) {
                return Err(Refusal::Forbidden {
                    action: "record_payment", why: "只有拨付部门的政策专员可以登记拨付"
                });
            }
            if s.status != GrantStatus::Confirmed {
                return Err(Refusal::rule("not_confirmed", "企业确认收款账户后才能拨付"));
            }
            Ok(vec![GrantEvent::Paid { reference: text("reference", reference, 64)?, amount: s.grant.amount }])
        }
    }
}

pub fn evolve(state: Option<Grant>, env: &GrantEnvelope) -> Option<Grant> {
    match (&env.event, state) {
        (GrantEvent::Opened { grant }, None) => Some(Grant {
            id: env.case.clone(),
            status: GrantStatus::Notified,
            grant: (**grant).clone(),
            account: None,
            declined: None,
            paid: None,
            opened_at: env.at,
            closed_at: None,
            updated_at: env.at,
            version: env.seq,
        }),
        (_, None) => None,
        (e, Some(mut s)) => {
            match e {
                GrantEvent::Opened { .. } => {}
                GrantEvent::BankConfirmed { account } => {
                    s.status = GrantStatus::Confirmed;
                    s.account = Some(account.clone());
                }
                GrantEvent::Declined { reason } => {
                    s.status = GrantStatus::Declined;
                    s.declined = Some(reason.clone());
                    s.closed_at = Some(env.at);
                }
                GrantEvent::Paid { reference, .. } => {
                    s.status = GrantStatus::Paid;
                    s.paid = Some(reference.clone());
                    s.closed_at = Some(env.at);
                }
            }
            s.updated_at = env.at;
            s.version = env.seq;
            Some(s)
        }
    }
}

/// A grant's own columns: the portal finds an enterprise's by `enterprise`, the
/// officer a policy's by `policy` and `period`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantDetail {
    pub policy: String,
    pub policy_name: String,
    pub period: String,
    pub enterprise: String,
    pub enterprise_name: String,
    pub amount: u64,
    pub claimed: bool,
    /// 元 paid (the amount once paid, else 0).
    pub paid: u64,
}

pub struct GrantKind;

impl Kind for GrantKind {
    const NAME: &'static str = "grant";
    const PREFIX: &'static str = "XS";
    const LABEL: &'static str = "免申即享";
    const NOTICES_TO_ENTERPRISE: bool = true;
    type State = Grant;
    type Event = GrantEvent;
    type Command = Command;

    fn event_name(e: &GrantEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &GrantEvent) -> bool {
        matches!(e, GrantEvent::Opened { .. })
    }
    fn evolve(state: Option<Grant>, env: &GrantEnvelope) -> Option<Grant> {
        evolve(state, env)
    }
    fn decide(s: &Grant, c: &Command, ctx: &Context<'_>) -> Result<Vec<GrantEvent>, Refusal> {
        decide(s, c, ctx)
    }
    fn alarms(_s: &Grant, _ctx: &Context<'_>) -> Vec<GrantEvent> {
        vec![]
    }
    fn id(s: &Grant) -> &CaseId {
        &s.id
    }
    fn version(s: &Grant) -> u32 {
        s.version
    }
    fn project(s: &Grant) -> Projection {
        let g = &s.grant;
        Projection {
            header: Header {
                status: s.status.as_str(),
                title: Some(format!("{}：{}", g.policy_name, g.enterprise_name)),
                // The paying department's to-do once the account is confirmed.
                unit: (s.status == GrantStatus::Confirmed).then(|| g.unit.clone()),
                category: None,
                area: None,
                person: None,
                tracking_code: Some(super::grant_key(&g.policy, &g.period, &g.enterprise)),
                opened_at: s.opened_at,
                updated_at: s.updated_at,
                closed_at: s.closed_at,
                stage: Stage::Green,
                next_due: None,
                next_due_working: false,
                next_alarm: None,
                version: s.version,
            },
            co_units: vec![],
            access: vec![g.unit.clone()],
            facts: vec![],
            volume: vec![("status", s.status.as_str().to_owned()), ("policy", g.policy.to_string())],
            detail: serde_json::to_string(&GrantDetail {
                policy: g.policy.to_string(),
                policy_name: g.policy_name.clone(),
                period: g.period.clone(),
                enterprise: g.enterprise.to_string(),
                enterprise_name: g.enterprise_name.clone(),
                amount: g.amount,
                claimed: g.claimed,
                paid: if s.status == GrantStatus::Paid { g.amount } else { 0 },
            })
            .expect("a grant's detail serialises"),
            example: None,
        }
    }
    fn status_label(status: &str) -> &'static str {
        GrantStatus::ALL.into_iter().find(|x| x.as_str() == status).map(GrantStatus::label).unwrap_or("")
    }
    fn search_text(s: &Grant) -> String {
        format!("{} {} {}", s.grant.policy_name, s.grant.enterprise_name, s.grant.enterprise)
    }
    fn touches_text(e: &GrantEvent) -> bool {
        matches!(e, GrantEvent::Opened { .. })
    }
    fn notices(_before: Option<&Grant>, events: &[GrantEvent]) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| match e {
                GrantEvent::Opened { .. } => Some("grant_opened"),
                GrantEvent::Paid { .. } => Some("grant_paid"),
                _ => None,
            })
            .collect()
    }
    fn sees_all(actor: &Actor) -> bool {
        actor.has_role(Role::Leader)
    }
}
