//! 共享申请: a department's system asks another department for one of its catalogued
//! resources (一网共享), and the case, once granted, IS the grant.
//!
//! The rules are the 政务信息资源共享管理暂行办法 (国发〔2016〕51号) and the
//! 政务数据共享条例 (国务院令第809号):
//! - a 无条件共享 resource is granted at once (§10: 直接获取);
//! - a 有条件共享 one goes to the owning department, which answers within 10 working
//!   days (§14; provinces set shorter, so the period is `[sharing] answer_days` of
//!   `limits.toml`, on a clock with yellow and red): it approves, approves fewer
//!   fields than asked (narrowing only, never more), or refuses with its reason;
//! - a 不予共享 one is refused at once, with the reason.
//!
//! A grant names the fields, the personal ones the consumer may read unmasked (only
//! those it asked for as such), a rate and its period; it ends by itself after the
//! period's last day (the scheduler records `Expired`), or earlier when revoked. The
//! credential the consuming system reads with is made by the app (core draws no
//! randomness): the events hold only its SHA-256, which the grant's detail document
//! shows, so the reading API finds the grant by a detail query.
//!
//! Who sees a request: the owning department, the consuming unit and the district's
//! big-data bureau (数据局), whose unit the app names when the request is made.

use crate::calendar::{civil_date, day_start};
use crate::case::{Context, Envelope, Header, Kind, Projection, Refusal, text};
use crate::deadline::{Budget, ClockName, Stage};
use crate::id::{CaseId, UnitCode};
use crate::org::{Actor, Role};
use crate::share::ShareClass;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The longest a grant may run: 3 years (a purpose is reviewed again after that).
pub const MAX_DAYS: i64 = 3 * 366;

/// `[sharing]` of `limits.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SharingLimits {
    /// Working days the owner has to answer a 有条件共享 request: 10 (政务信息资源共享
    /// 管理暂行办法 §14); provinces set shorter.
    pub answer_days: u32,
    /// The reads a grant allows per minute.
    pub rate_per_minute: u32,
    /// How long reads go on while no checkpoint could be signed: past it they answer
    /// 503 `signing_unavailable` rather than go unlogged (X-Road's rule).
    pub unsigned_reads_max_minutes: u32,
}

impl Default for SharingLimits {
    fn default() -> Self {
        SharingLimits { answer_days: 10, rate_per_minute: 60, unsigned_reads_max_minutes: 10 }
    }
}

impl SharingLimits {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=30).contains(&self.answer_days) {
            return Err("[sharing] answer_days must be 1 to 30 working days".into());
        }
        if !(1..=100_000).contains(&self.rate_per_minute) {
            return Err("[sharing] rate_per_minute must be 1 to 100000".into());
        }
        if !(1..=1440).contains(&self.unsigned_reads_max_minutes) {
            return Err("[sharing] unsigned_reads_max_minutes must be 1 to 1440".into());
        }
        Ok(())
    }
}

/// The one clock: the owner's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccessClock {
    Answer,
}

impl ClockName for AccessClock {
    fn label(self) -> &'static str {
        "共享审核"
    }
}

pub type Clock = crate::deadline::Clock<AccessClock>;

/// A field of the resource as the request sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedField {
    pub name: String,
    pub personal: bool,
}

/// What a consuming unit asks, with what the catalogue says of the resource.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccess {
    /// The consuming system (its name), and its unit.
    pub system: String,
    pub consumer: UnitCode,
    pub resource: String,
    pub resource_name: String,
    pub owner: UnitCode,
    pub share: ShareClass,
    /// The catalogue's conditions (有条件共享) or reason (不予共享).
    pub conditions: String,
    pub offered: Vec<OfferedField>,
    pub fields: Vec<String>,
    /// Personal fields asked for unmasked (each among `fields`).
    pub unmasked: Vec<String>,
    pub purpose: String,
    pub legal_basis: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The 数据局's unit, which sees every request.
    pub bureau: Option<UnitCode>,
    /// SHA-256 of the credential the app made, used if it is granted at once.
    pub credential: String,
}

/// What people do with a request. The credential's hash is the app's, never a
/// client's: the web takes `Decision` without it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// 同意 (with `fields` fewer than asked: 部分同意).
    Approve {
        opinion: String,
        #[serde(default)]
        fields: Option<Vec<String>>,
        #[serde(default)]
        unmasked: Option<Vec<String>>,
    },
    /// 不予同意, with the reason.
    Refuse { reason: String },
    /// 撤销授权.
    Revoke { reason: String },
    /// 签发凭证: the consuming unit's 数据专员 takes a credential for its system (the
    /// one an owner's approval made is never shown to the owner), and again whenever
    /// it is lost or leaked; the one before stops reading at once.
    IssueCredential { credential: String },
}

/// Stored as JSON and hashed: never rename or remove a field or variant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccessEvent {
    Requested {
        system: String,
        consumer: UnitCode,
        resource: String,
        resource_name: String,
        owner: UnitCode,
        share: ShareClass,
        fields: Vec<String>,
        unmasked: Vec<String>,
        purpose: String,
        legal_basis: String,
        from: NaiveDate,
        to: NaiveDate,
        bureau: Option<UnitCode>,
        /// The owner's answer, for a 有条件共享 resource.
        answer: Option<Clock>,
    },
    Granted {
        fields: Vec<String>,
        unmasked: Vec<String>,
        rate_per_minute: u32,
        /// SHA-256 (hex) of the credential: the consumer's own for a grant made at
        /// once; empty for an owner's approval, after which the consumer issues one
        /// (`CredentialIssued`).
        credential: String,
        opinion: String,
    },
    Refused {
        reason: String,
    },
    Revoked {
        reason: String,
    },
    /// The period's last day passed (recorded by the scheduler).
    Expired,
    /// A new credential for the consuming system; the one before no longer reads.
    CredentialIssued {
        /// SHA-256 (hex) of the credential.
        credential: String,
    },
    AnswerWarned {
        due: DateTime<Utc>,
    },
    AnswerOverdue {
        due: DateTime<Utc>,
    },
}

impl AccessEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Requested { .. } => "requested",
            Self::Granted { .. } => "granted",
            Self::Refused { .. } => "refused",
            Self::Revoked { .. } => "revoked",
            Self::Expired => "expired",
            Self::CredentialIssued { .. } => "credential_issued",
            Self::AnswerWarned { .. } => "answer_warned",
            Self::AnswerOverdue { .. } => "answer_overdue",
        }
    }
    pub fn summary(&self) -> String {
        match self {
            Self::Requested { system, resource_name, fields, .. } => {
                format!("{system} 申请共享 {resource_name}（{}）", fields.join("、"))
            }
            Self::Granted { fields, opinion, .. } => format!("同意共享 {}：{opinion}", fields.join("、")),
            Self::Refused { reason } => format!("不予共享：{reason}"),
            Self::Revoked { reason } => format!("撤销授权：{reason}"),
            Self::Expired => "授权期限届满".into(),
            Self::CredentialIssued { .. } => "使用部门签发新的访问凭证，原凭证作废".into(),
            Self::AnswerWarned { .. } => "审核时限临近".into(),
            Self::AnswerOverdue { .. } => "审核已超时".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccessStatus {
    Pending,
    Granted,
    Refused,
    Revoked,
    Expired,
}

impl AccessStatus {
    pub const ALL: [Self; 5] = [Self::Pending, Self::Granted, Self::Refused, Self::Revoked, Self::Expired];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Granted => "granted",
            Self::Refused => "refused",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待审核",
            Self::Granted => "已授权",
            Self::Refused => "不予共享",
            Self::Revoked => "已撤销",
            Self::Expired => "已到期",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Access {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub status: AccessStatus,
    pub system: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub consumer: UnitCode,
    pub resource: String,
    pub resource_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub owner: UnitCode,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub share: ShareClass,
    /// Asked for.
    pub requested_fields: Vec<String>,
    pub requested_unmasked: Vec<String>,
    /// Granted (empty until then).
    pub fields: Vec<String>,
    pub unmasked: Vec<String>,
    pub purpose: String,
    pub legal_basis: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub bureau: Option<UnitCode>,
    pub answer: Option<Clock>,
    pub rate_per_minute: u32,
    /// SHA-256 of the credential; never the credential.
    #[serde(skip_serializing)]
    pub credential: Option<String>,
    /// The opinion or the reason of the answer, or of the revocation.
    pub decision: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
}

impl Access {
    /// When the grant starts: the start of its first day, China time.
    pub fn starts_at(&self) -> DateTime<Utc> {
        day_start(self.from)
    }
    /// When it ends by its period: the start of the day after `to`, China time.
    pub fn ends_at(&self) -> DateTime<Utc> {
        day_start(self.to.succ_opt().unwrap_or(self.to))
    }
}

pub type AccessEnvelope = Envelope<AccessEvent>;

/// Who speaks for a unit in sharing: its 数据专员 or its head.
fn speaks_for(actor: &Actor, unit: &UnitCode) -> bool {
    matches!(actor, Actor::Staff { unit: u, .. } if u == unit)
        && actor.has_any_role(&[Role::DataOfficer, Role::UnitLeader])
}

fn check_period(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<(), Refusal> {
    if to < from {
        return Err(Refusal::rule("period_invalid", "共享期限的结束日期不能早于开始日期"));
    }
    if to < today {
        return Err(Refusal::rule("period_past", "共享期限已过"));
    }
    if (to - from).num_days() > MAX_DAYS {
        return Err(Refusal::rule("period_too_long", "共享期限最长3年"));
    }
    Ok(())
}

/// Checks a set of field names: each once, each offered, the unmasked ones among
/// them and personal.
fn check_fields(
    fields: &[String],
    unmasked: &[String],
    offered: &dyn Fn(&str) -> Option<bool>,
) -> Result<(Vec<String>, Vec<String>), Refusal> {
    if fields.is_empty() {
        return Err(Refusal::rule("fields_required", "请至少选择一个字段"));
    }
    let mut out: Vec<String> = vec![];
    for f in fields {
        let f = f.trim();
        if offered(f).is_none() {
            return Err(Refusal::rule("unknown_field", format!("字段“{f}”不在该资源的字段之列")));
        }
        if !out.iter().any(|x| x == f) {
            out.push(f.to_owned());
        }
    }
    let mut clear: Vec<String> = vec![];
    for f in unmasked {
        let f = f.trim();
        if !out.iter().any(|x| x == f) {
            return Err(Refusal::rule("unmasked_not_requested", format!("明文字段“{f}”须在所选字段之中")));
        }
        if offered(f) != Some(true) {
            return Err(Refusal::rule("unmasked_not_personal", format!("字段“{f}”不是个人信息，无需申请明文")));
        }
        if !clear.iter().any(|x| x == f) {
            clear.push(f.to_owned());
        }
    }
    Ok((out, clear))
}

/// 共享申请, by the consuming unit's 数据专员 or head.
pub fn open(n: &NewAccess, ctx: &Context<'_>) -> Result<Vec<AccessEvent>, Refusal> {
    if !speaks_for(ctx.actor, &n.consumer) {
        return Err(Refusal::Forbidden {
            action: "request_access", why: "由使用部门的数据专员或负责人提出共享申请"
        });
    }
    if n.consumer == n.owner {
        return Err(Refusal::rule("own_resource", "本部门的信息资源无需申请共享"));
    }
    let offered = |f: &str| n.offered.iter().find(|o| o.name == f).map(|o| o.personal);
    let (fields, unmasked) = check_fields(&n.fields, &n.unmasked, &offered)?;
    check_period(n.from, n.to, civil_date(ctx.now))?;
    let requested = AccessEvent::Requested {
        system: text("system", &n.system, 100)?,
        consumer: n.consumer.clone(),
        resource: n.resource.clone(),
        resource_name: n.resource_name.clone(),
        owner: n.owner.clone(),
        share: n.share,
        fields: fields.clone(),
        unmasked: unmasked.clone(),
        purpose: text("purpose", &n.purpose, 1000)?,
        legal_basis: text("legal_basis", &n.legal_basis, 500)?,
        from: n.from,
        to: n.to,
        bureau: n.bureau.clone(),
        answer: (n.share == ShareClass::Conditional).then(|| {
            Clock::start(
                AccessClock::Answer,
                Budget::WorkingDays(ctx.limits.sharing.answer_days),
                ctx.now,
                ctx.calendar,
                ctx.limits.warn_ratio,
            )
        }),
    };
    Ok(match n.share {
        ShareClass::Unconditional => vec![
            requested,
            AccessEvent::Granted {
                fields,
                unmasked,
                rate_per_minute: ctx.limits.sharing.rate_per_minute,
                credential: n.credential.clone(),
                opinion: "无条件共享，自动授权".into(),
            },
        ],
        ShareClass::Conditional => vec![requested],
        ShareClass::None => {
            let why = n.conditions.trim();
            let reason = if why.is_empty() {
                "该信息资源属于不予共享类".to_owned()
            } else {
                format!("该信息资源属于不予共享类：{why}")
            };
            vec![requested, AccessEvent::Refused { reason }]
        }
    })
}

pub fn decide(s: &Access, c: &Command, ctx: &Context<'_>) -> Result<Vec<AccessEvent>, Refusal> {
    match c {
        Command::Approve { opinion, fields, unmasked } => {
            if s.status != AccessStatus::Pending {
                return Err(Refusal::CaseClosed("该共享申请已有答复"));
            }
            if !speaks_for(ctx.actor, &s.owner) {
                return Err(Refusal::Forbidden {
                    action: "approve", why: "由资源提供部门的数据专员或负责人审核"
                });
            }
            if ctx.now >= s.ends_at() {
                return Err(Refusal::rule("period_past", "申请的共享期限已过，不能再同意"));
            }
            // Narrowing only: the owner may give fewer fields than asked, never others.
            let asked = |f: &str| {
                s.requested_fields.iter().any(|x| x == f).then(|| s.requested_unmasked.iter().any(|x| x == f))
            };
            let fields = fields.clone().unwrap_or_else(|| s.requested_fields.clone());
            let unmasked = unmasked
                .clone()
                .unwrap_or_else(|| s.requested_unmasked.iter().filter(|u| fields.contains(u)).cloned().collect());
            let (fields, unmasked) = check_fields(&fields, &unmasked, &asked).map_err(|e| match e.code() {
                "unknown_field" | "unmasked_not_personal" => {
                    Refusal::rule("not_narrowing", "只能同意申请的字段中的部分或全部，不能增加")
                }
                _ => e,
            })?;
            Ok(vec![AccessEvent::Granted {
                fields,
                unmasked,
                rate_per_minute: ctx.limits.sharing.rate_per_minute,
                credential: String::new(),
                opinion: text("opinion", opinion, 500)?,
            }])
        }
        Command::Refuse { reason } => {
            if s.status != AccessStatus::Pending {
                return Err(Refusal::CaseClosed("该共享申请已有答复"));
            }
            if !speaks_for(ctx.actor, &s.owner) {
                return Err(Refusal::Forbidden {
                    action: "refuse", why: "由资源提供部门的数据专员或负责人审核"
                });
            }
            Ok(vec![AccessEvent::Refused { reason: text("reason", reason, 500)? }])
        }
        Command::Revoke { reason } => {
            if s.status != AccessStatus::Granted {
                return Err(Refusal::CaseClosed("只有有效的授权可以撤销"));
            }
            let bureau = s.bureau.as_ref().is_some_and(|b| speaks_for(ctx.actor, b));
            if !(speaks_for(ctx.actor, &s.owner) || speaks_for(ctx.actor, &s.consumer) || bureau) {
                return Err(Refusal::Forbidden {
                    action: "revoke", why: "由资源提供部门、使用部门或数据局撤销授权"
                });
            }
            Ok(vec![AccessEvent::Revoked { reason: text("reason", reason, 500)? }])
        }
        Command::IssueCredential { credential } => {
            if s.status != AccessStatus::Granted {
                return Err(Refusal::CaseClosed("只有有效的授权可以签发凭证"));
            }
            if !speaks_for(ctx.actor, &s.consumer) {
                return Err(Refusal::Forbidden {
                    action: "issue_credential",
                    why: "凭证由使用部门的数据专员或负责人签发",
                });
            }
            if ctx.now >= s.ends_at() {
                return Err(Refusal::rule("period_past", "授权期限已过，不能再签发凭证"));
            }
            Ok(vec![AccessEvent::CredentialIssued { credential: credential.clone() }])
        }
    }
}

/// The answer's clock turns yellow and red; a grant ends after its last day.
pub fn alarms(s: &Access, ctx: &Context<'_>) -> Vec<AccessEvent> {
    match s.status {
        AccessStatus::Pending => match s.answer {
            Some(a) => match (a.stage, a.stage_at(ctx.now)) {
                (Stage::Green, Stage::Yellow) => vec![AccessEvent::AnswerWarned { due: a.due }],
                (Stage::Green | Stage::Yellow, Stage::Red) => vec![AccessEvent::AnswerOverdue { due: a.due }],
                _ => vec![],
            },
            None => vec![],
        },
        AccessStatus::Granted if ctx.now >= s.ends_at() => vec![AccessEvent::Expired],
        _ => vec![],
    }
}

pub fn evolve(state: Option<Access>, env: &AccessEnvelope) -> Option<Access> {
    match (&env.event, state) {
        (
            AccessEvent::Requested {
                system,
                consumer,
                resource,
                resource_name,
                owner,
                share,
                fields,
                unmasked,
                purpose,
                legal_basis,
                from,
                to,
                bureau,
                answer,
            },
            None,
        ) => Some(Access {
            id: env.case.clone(),
            status: AccessStatus::Pending,
            system: system.clone(),
            consumer: consumer.clone(),
            resource: resource.clone(),
            resource_name: resource_name.clone(),
            owner: owner.clone(),
            share: *share,
            requested_fields: fields.clone(),
            requested_unmasked: unmasked.clone(),
            fields: vec![],
            unmasked: vec![],
            purpose: purpose.clone(),
            legal_basis: legal_basis.clone(),
            from: *from,
            to: *to,
            bureau: bureau.clone(),
            answer: *answer,
            rate_per_minute: 0,
            credential: None,
            decision: None,
            requested_at: env.at,
            decided_at: None,
            ended_at: None,
            updated_at: env.at,
            version: env.seq,
        }),
        (_, None) => None,
        (e, Some(mut s)) => {
            match e {
                AccessEvent::Requested { .. } => {}
                AccessEvent::Granted { fields, unmasked, rate_per_minute, credential, opinion } => {
                    s.status = AccessStatus::Granted;
                    s.fields = fields.clone();
                    s.unmasked = unmasked.clone();
                    s.rate_per_minute = *rate_per_minute;
                    s.credential = (!credential.is_empty()).then(|| credential.clone());
                    s.decision = Some(opinion.clone());
                    s.decided_at = Some(env.at);
                }
                AccessEvent::Refused { reason } => {
                    s.status = AccessStatus::Refused;
                    s.decision = Some(reason.clone());
                    s.decided_at = Some(env.at);
                    s.ended_at = Some(env.at);
                }
                AccessEvent::Revoked { reason } => {
                    s.status = AccessStatus::Revoked;
                    s.decision = Some(reason.clone());
                    s.ended_at = Some(env.at);
                }
                AccessEvent::Expired => {
                    s.status = AccessStatus::Expired;
                    s.ended_at = Some(env.at);
                }
                AccessEvent::CredentialIssued { credential } => {
                    s.credential = Some(credential.clone());
                }
                AccessEvent::AnswerWarned { .. } => {
                    if let Some(a) = &mut s.answer {
                        a.stage = Stage::Yellow
                    }
                }
                AccessEvent::AnswerOverdue { .. } => {
                    if let Some(a) = &mut s.answer {
                        a.stage = Stage::Red
                    }
                }
            }
            s.updated_at = env.at;
            s.version = env.seq;
            Some(s)
        }
    }
}

/// A request's own columns: what the queues and the reading API look it up by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessDetail {
    pub system: String,
    pub consumer: String,
    pub owner: String,
    pub resource: String,
    pub resource_name: String,
    /// SHA-256 of the credential of a grant (kept after it ends, so a credential
    /// that no longer reads is told apart from one that never existed).
    pub credential: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// 共享申请 and its grant, as the engine knows it.
pub struct AccessKind;

impl Kind for AccessKind {
    const NAME: &'static str = "access";
    const PREFIX: &'static str = "GX";
    const LABEL: &'static str = "共享申请";
    type State = Access;
    type Event = AccessEvent;
    type Command = Command;

    fn event_name(e: &AccessEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &AccessEvent) -> bool {
        matches!(e, AccessEvent::Requested { .. })
    }
    fn evolve(state: Option<Access>, env: &AccessEnvelope) -> Option<Access> {
        evolve(state, env)
    }
    fn decide(s: &Access, c: &Command, ctx: &Context<'_>) -> Result<Vec<AccessEvent>, Refusal> {
        decide(s, c, ctx)
    }
    fn alarms(s: &Access, ctx: &Context<'_>) -> Vec<AccessEvent> {
        alarms(s, ctx)
    }
    fn id(s: &Access) -> &CaseId {
        &s.id
    }
    fn version(s: &Access) -> u32 {
        s.version
    }
    fn project(s: &Access) -> Projection {
        let pending = s.status == AccessStatus::Pending;
        let mut access = vec![s.owner.clone(), s.consumer.clone()];
        access.extend(s.bureau.clone());
        access.sort();
        access.dedup();
        Projection {
            header: Header {
                status: s.status.as_str(),
                title: Some(format!("{} 申请共享 {}", s.system, s.resource_name)),
                // Pending, it is the owner's work (我的待办); granted, nobody's.
                unit: pending.then(|| s.owner.clone()),
                category: Some(s.resource.clone()),
                area: None,
                person: None,
                tracking_code: None,
                opened_at: s.requested_at,
                updated_at: s.updated_at,
                closed_at: s.ended_at,
                stage: match (pending, s.answer) {
                    (true, Some(a)) => a.stage,
                    _ => Stage::Green,
                },
                next_due: if pending { s.answer.map(|a| a.due) } else { None },
                next_due_working: true,
                next_alarm: match s.status {
                    AccessStatus::Pending => s.answer.and_then(|a| a.next_alarm()),
                    AccessStatus::Granted => Some(s.ends_at()),
                    _ => None,
                },
                version: s.version,
            },
            co_units: vec![],
            access,
            facts: vec![],
            volume: vec![("status", s.status.as_str().to_owned()), ("resource", s.resource.clone())],
            detail: serde_json::to_string(&AccessDetail {
                system: s.system.clone(),
                consumer: s.consumer.to_string(),
                owner: s.owner.to_string(),
                resource: s.resource.clone(),
                resource_name: s.resource_name.clone(),
                credential: s.credential.clone(),
                from: s.from,
                to: s.to,
            })
            .expect("an access request's detail serialises"),
            example: None,
        }
    }
    fn status_label(status: &str) -> &'static str {
        AccessStatus::ALL.into_iter().find(|x| x.as_str() == status).map(AccessStatus::label).unwrap_or("")
    }
    fn search_text(s: &Access) -> String {
        format!("{} {} {} {}", s.system, s.resource_name, s.resource, s.purpose)
    }
    fn touches_text(e: &AccessEvent) -> bool {
        matches!(e, AccessEvent::Requested { .. })
    }
    /// The 数据局 sees every request through the access its unit is given; nobody
    /// sees all by role.
    fn sees_all(_actor: &Actor) -> bool {
        false
    }
}
