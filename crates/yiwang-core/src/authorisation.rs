//! The enterprise authorisation (企业授权): who may act for an enterprise in 一网通办.
//!
//! A window clerk checks an enterprise's written authorisation (授权委托书, with the
//! business licence and the agent's ID) and records that the agent's phone may act for
//! the enterprise until a date. The agent's name and phone are personal data, kept
//! beside the record as every case's person is. Every act the applicant portal does
//! for an enterprise (applying, 补正, 撤回, 评价) checks that an authorisation of that
//! phone for that enterprise is in force. It ends on its date (the scheduler records
//! it), or earlier when a clerk or the agent revokes it.
//!
//! A small kind of its own, so that the binding has the record every case has: who
//! checked what and when, on a hash chain. #9's enterprise register will add a second
//! way in (the register's contact phone) without changing this one.

use crate::case::{Context, Envelope, Header, Kind, Projection, Refusal, text};
use crate::id::{CaseId, CreditCode, PersonId, UnitCode};
use crate::org::{Actor, Role};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The longest an authorisation may run: 5 years.
pub const MAX_DAYS: i64 = 5 * 366;

/// What the clerk records: the enterprise, what was checked, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuthorisation {
    pub enterprise: CreditCode,
    pub enterprise_name: String,
    /// What was checked at the window (授权委托书 No., 营业执照 …).
    pub document: String,
    /// The last day it is in force.
    pub valid_until: NaiveDate,
}

/// What people do with one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Command {
    /// 解除授权, by a clerk or by the agent.
    Revoke { reason: String },
}

/// Stored as JSON and hashed: never rename or remove a field or variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuthorisationEvent {
    /// 授权登记, at the window of `unit`.
    Granted {
        enterprise: CreditCode,
        enterprise_name: String,
        document: String,
        valid_until: NaiveDate,
        unit: UnitCode,
        #[serde(default)]
        person: Option<PersonId>,
    },
    Revoked {
        reason: String,
    },
    /// Its last day passed (recorded by the scheduler).
    Expired,
}

impl AuthorisationEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Granted { .. } => "granted",
            Self::Revoked { .. } => "revoked",
            Self::Expired => "expired",
        }
    }
    pub fn summary(&self) -> String {
        match self {
            Self::Granted { enterprise_name, valid_until, document, .. } => {
                format!("授权代办 {enterprise_name} 的事项，至 {valid_until}（核验：{document}）")
            }
            Self::Revoked { reason } => format!("解除授权：{reason}"),
            Self::Expired => "授权到期".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AuthorisationStatus {
    Active,
    Revoked,
    Expired,
}

impl AuthorisationStatus {
    pub const ALL: [Self; 3] = [Self::Active, Self::Revoked, Self::Expired];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "有效",
            Self::Revoked => "已解除",
            Self::Expired => "已到期",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Authorisation {
    pub id: CaseId,
    pub status: AuthorisationStatus,
    pub enterprise: CreditCode,
    pub enterprise_name: String,
    pub document: String,
    pub valid_until: NaiveDate,
    pub unit: UnitCode,
    pub person: Option<PersonId>,
    pub granted_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
}

impl Authorisation {
    /// When it ends by its date: the start of the day after `valid_until`, China time.
    pub fn ends_at(&self) -> DateTime<Utc> {
        crate::calendar::day_start(self.valid_until.succ_opt().unwrap_or(self.valid_until))
    }
    /// Whether it lets its agent act at `now`.
    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.status == AuthorisationStatus::Active && now < self.ends_at()
    }
}

pub type AuthorisationEnvelope = Envelope<AuthorisationEvent>;

pub fn evolve(state: Option<Authorisation>, env: &AuthorisationEnvelope) -> Option<Authorisation> {
    match (&env.event, state) {
        (AuthorisationEvent::Granted { enterprise, enterprise_name, document, valid_until, unit, person }, None) => {
            Some(Authorisation {
                id: env.case.clone(),
                status: AuthorisationStatus::Active,
                enterprise: enterprise.clone(),
                enterprise_name: enterprise_name.clone(),
                document: document.clone(),
                valid_until: *valid_until,
                unit: unit.clone(),
                person: *person,
                granted_at: env.at,
                ended_at: None,
                updated_at: env.at,
                version: env.seq,
            })
        }
        (_, None) => None,
        (e, Some(mut s)) => {
            match e {
                AuthorisationEvent::Granted { .. } => {}
                AuthorisationEvent::Revoked { .. } => {
                    s.status = AuthorisationStatus::Revoked;
                    s.ended_at = Some(env.at);
                }
                AuthorisationEvent::Expired => {
                    s.status = AuthorisationStatus::Expired;
                    s.ended_at = Some(env.at);
                }
            }
            s.updated_at = env.at;
            s.version = env.seq;
            Some(s)
        }
    }
}

/// 授权登记: a window clerk records what they checked.
pub fn open(n: &NewAuthorisation, ctx: &Context<'_>) -> Result<Vec<AuthorisationEvent>, Refusal> {
    let Actor::Staff { unit, .. } = ctx.actor else {
        return Err(Refusal::Forbidden { action: "grant", why: "企业授权由窗口受理员核验后登记" });
    };
    if !ctx.actor.has_role(Role::Clerk) {
        return Err(Refusal::Forbidden { action: "grant", why: "企业授权由窗口受理员核验后登记" });
    }
    let today = crate::calendar::civil_date(ctx.now);
    if n.valid_until < today {
        return Err(Refusal::rule("valid_until_past", "授权截止日期不能早于今天"));
    }
    if (n.valid_until - today).num_days() > MAX_DAYS {
        return Err(Refusal::rule("valid_until_too_far", "授权期限最长5年"));
    }
    Ok(vec![AuthorisationEvent::Granted {
        enterprise: n.enterprise.clone(),
        enterprise_name: text("enterprise_name", &n.enterprise_name, 100)?,
        document: text("document", &n.document, 200)?,
        valid_until: n.valid_until,
        unit: unit.clone(),
        person: None,
    }])
}

/// 解除授权: by any window clerk, or by the agent (the app has checked their phone).
pub fn decide(s: &Authorisation, c: &Command, ctx: &Context<'_>) -> Result<Vec<AuthorisationEvent>, Refusal> {
    let Command::Revoke { reason } = c;
    if s.status != AuthorisationStatus::Active {
        return Err(Refusal::CaseClosed("授权已解除或已到期"));
    }
    if !(ctx.actor.has_role(Role::Clerk) || matches!(ctx.actor, Actor::Citizen)) {
        return Err(Refusal::Forbidden {
            action: "revoke", why: "只有窗口受理员或被授权人本人可以解除授权"
        });
    }
    Ok(vec![AuthorisationEvent::Revoked { reason: text("reason", reason, 200)? }])
}

/// It ends by itself after its last day.
pub fn alarms(s: &Authorisation, ctx: &Context<'_>) -> Vec<AuthorisationEvent> {
    if s.status == AuthorisationStatus::Active && ctx.now >= s.ends_at() {
        vec![AuthorisationEvent::Expired]
    } else {
        vec![]
    }
}

/// A binding's own columns: what the portal looks bindings up by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorisationDetail {
    pub enterprise: String,
    pub enterprise_name: String,
    pub valid_until: NaiveDate,
}

/// The enterprise authorisation, as the engine knows it.
pub struct AuthorisationKind;

impl Kind for AuthorisationKind {
    const NAME: &'static str = "authorisation";
    const PREFIX: &'static str = "SQ";
    const LABEL: &'static str = "企业授权";
    /// Found by phone: an agent's bindings.
    const FOUND_BY_PHONE: bool = true;
    type State = Authorisation;
    type Event = AuthorisationEvent;
    type Command = Command;

    fn event_name(e: &AuthorisationEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &AuthorisationEvent) -> bool {
        matches!(e, AuthorisationEvent::Granted { .. })
    }
    fn evolve(state: Option<Authorisation>, env: &AuthorisationEnvelope) -> Option<Authorisation> {
        evolve(state, env)
    }
    fn decide(s: &Authorisation, c: &Command, ctx: &Context<'_>) -> Result<Vec<AuthorisationEvent>, Refusal> {
        decide(s, c, ctx)
    }
    fn alarms(s: &Authorisation, ctx: &Context<'_>) -> Vec<AuthorisationEvent> {
        alarms(s, ctx)
    }
    fn id(s: &Authorisation) -> &CaseId {
        &s.id
    }
    fn version(s: &Authorisation) -> u32 {
        s.version
    }
    fn project(s: &Authorisation) -> Projection {
        let open = s.status == AuthorisationStatus::Active;
        Projection {
            header: Header {
                status: s.status.as_str(),
                title: Some(format!("{}（{}）授权", s.enterprise_name, s.enterprise)),
                // Nobody's work to do: it stays out of every 我的待办; the window that
                // recorded it sees it by its access.
                unit: None,
                category: None,
                area: None,
                person: s.person,
                tracking_code: None,
                opened_at: s.granted_at,
                updated_at: s.updated_at,
                closed_at: s.ended_at,
                stage: crate::deadline::Stage::Green,
                next_due: None,
                next_due_working: false,
                next_alarm: open.then(|| s.ends_at()),
                version: s.version,
            },
            co_units: vec![],
            access: vec![s.unit.clone()],
            facts: vec![],
            volume: vec![("status", s.status.as_str().to_owned())],
            detail: serde_json::to_string(&AuthorisationDetail {
                enterprise: s.enterprise.to_string(),
                enterprise_name: s.enterprise_name.clone(),
                valid_until: s.valid_until,
            })
            .expect("an authorisation's detail serialises"),
            example: None,
        }
    }
    fn status_label(status: &str) -> &'static str {
        AuthorisationStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == status)
            .map(AuthorisationStatus::label)
            .unwrap_or("")
    }
    fn search_text(s: &Authorisation) -> String {
        format!("{} {}", s.enterprise_name, s.enterprise)
    }
    fn touches_text(e: &AuthorisationEvent) -> bool {
        matches!(e, AuthorisationEvent::Granted { .. })
    }
    fn set_person(first: &mut AuthorisationEvent, id: PersonId) {
        if let AuthorisationEvent::Granted { person, .. } = first {
            *person = Some(id);
        }
    }
    /// The 政务服务中心's window clerks of any unit see every binding (they check
    /// them for each other), besides the unit that recorded it.
    fn sees_all(actor: &Actor) -> bool {
        actor.has_role(Role::Clerk)
    }
}
