//! The rectification (整改) of 一网通管's 闭环: opened by an inspection's final result
//! 责令整改, with its deadline (the period the finding set, natural days, yellow and
//! red on the engine's clock).
//!
//! The enterprise reports what it did, with evidence files, through the applicant
//! login (`Command::Report`, as 一网通办's 补正). The department re-inspects (复查):
//! the re-inspection is recorded on the rectification itself (`Command::Recheck`:
//! passed or not, what was seen, photos, by an 执法检查人员 or 监管人员 of the
//! department), so the loop closes on one case; a department that wants a full
//! on-site record opens an inspection with `inspection::Source::Recheck` besides.
//! Passed closes it (整改销号); not passed sends it back to the enterprise, which may
//! report again; the department may escalate it to 立案查处 (`Command::Escalate`)
//! at any time before it is closed. The credit fact follows: 整改按期完成 when the
//! report that passed came by the deadline, else 逾期; escalation records 逾期 too.
//! The app records it on the enterprise's record and then `Command::Follow` (the
//! system, once).

use crate::case::{Context, Header, Kind, Projection, Refusal, text};
use crate::deadline::{Budget, Clock, ClockName, Clocks, Stage};
use crate::enterprise::FactKind;
use crate::id::{CaseId, CreditCode, UnitCode};
use crate::org::{Actor, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The tracking code that makes one rectification per inspection.
pub fn key(inspection: &CaseId) -> String {
    format!("rectification:{inspection}")
}

/// What opens one: the inspection's final 责令整改.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRectification {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub inspection: CaseId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub enterprise: CreditCode,
    pub enterprise_name: String,
    pub matter_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    /// The problems found (the failed items with their notes).
    pub problems: Vec<String>,
    /// 整改期限, natural days from now.
    pub days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Command {
    /// 整改报告, by the enterprise (the app has checked its binding).
    Report {
        text: String,
        #[serde(default)]
        files: Vec<String>,
    },
    /// 复查, by the department's 执法检查人员 or 监管人员, after a report.
    Recheck {
        passed: bool,
        note: String,
        #[serde(default)]
        photos: Vec<String>,
    },
    /// 转立案查处, by the department's 监管人员.
    Escalate { reason: String },
    /// The credit fact is recorded (the system, once).
    Follow {
        #[serde(default)]
        fact: Option<FactKind>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RectificationClock {
    /// 整改期限.
    Deadline,
}

impl ClockName for RectificationClock {
    fn label(self) -> &'static str {
        "整改期限"
    }
}

/// Stored as JSON and hashed: never rename or remove a field or variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RectificationEvent {
    Opened {
        inspection: CaseId,
        enterprise: CreditCode,
        enterprise_name: String,
        matter_name: String,
        unit: UnitCode,
        problems: Vec<String>,
        deadline: Clock<RectificationClock>,
    },
    Reported {
        text: String,
        #[serde(default)]
        files: Vec<String>,
    },
    Rechecked {
        passed: bool,
        note: String,
        #[serde(default)]
        photos: Vec<String>,
        /// Whether the report that passed came by the deadline.
        on_time: bool,
    },
    Escalated {
        reason: String,
    },
    Followed {
        #[serde(default)]
        fact: Option<FactKind>,
    },
    ClockWarned {
        clock: RectificationClock,
        due: DateTime<Utc>,
    },
    ClockOverdue {
        clock: RectificationClock,
        due: DateTime<Utc>,
    },
}

impl RectificationEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Opened { .. } => "opened",
            Self::Reported { .. } => "reported",
            Self::Rechecked { .. } => "rechecked",
            Self::Escalated { .. } => "escalated",
            Self::Followed { .. } => "followed",
            Self::ClockWarned { .. } => "clock_warned",
            Self::ClockOverdue { .. } => "clock_overdue",
        }
    }
    pub fn summary(&self) -> String {
        match self {
            Self::Opened { deadline, .. } => {
                format!("责令整改，期限至 {}", crate::calendar::civil_date(deadline.due))
            }
            Self::Reported { .. } => "企业提交整改报告".into(),
            Self::Rechecked { passed: true, note, on_time, .. } => {
                format!("复查通过（{}）：{note}", if *on_time { "按期" } else { "逾期" })
            }
            Self::Rechecked { passed: false, note, .. } => format!("复查未通过：{note}"),
            Self::Escalated { reason } => format!("转立案查处：{reason}"),
            Self::Followed { fact } => match fact {
                Some(f) => format!("记入信用档案（{}）", f.label()),
                None => "已处理".into(),
            },
            Self::ClockWarned { .. } => "整改期限即将届满（黄灯）".into(),
            Self::ClockOverdue { .. } => "整改已逾期（红灯）".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RectificationStatus {
    /// 整改中.
    Rectifying,
    /// 待复查.
    Reported,
    /// 已销号.
    Closed,
    /// 已转立案.
    Escalated,
}

impl RectificationStatus {
    pub const ALL: [Self; 4] = [Self::Rectifying, Self::Reported, Self::Closed, Self::Escalated];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rectifying => "rectifying",
            Self::Reported => "reported",
            Self::Closed => "closed",
            Self::Escalated => "escalated",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Rectifying => "整改中",
            Self::Reported => "待复查",
            Self::Closed => "已整改销号",
            Self::Escalated => "已转立案查处",
        }
    }
}

/// A report and its re-inspection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub text: String,
    pub files: Vec<String>,
    pub at: DateTime<Utc>,
    pub passed: Option<bool>,
    pub note: Option<String>,
    pub photos: Vec<String>,
    pub rechecked_at: Option<DateTime<Utc>>,
    pub rechecked_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rectification {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub status: RectificationStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub inspection: CaseId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub enterprise: CreditCode,
    pub enterprise_name: String,
    pub matter_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    pub problems: Vec<String>,
    pub due: DateTime<Utc>,
    pub reports: Vec<Report>,
    pub on_time: Option<bool>,
    pub escalation: Option<String>,
    pub followed: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub clocks: Vec<Clock<RectificationClock>>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
}

impl Rectification {
    pub fn is_open(&self) -> bool {
        matches!(self.status, RectificationStatus::Rectifying | RectificationStatus::Reported)
    }
    /// The credit fact its end gives.
    pub fn fact(&self) -> Option<FactKind> {
        match (self.status, self.on_time) {
            (RectificationStatus::Closed, Some(true)) => Some(FactKind::RectifiedOnTime),
            (RectificationStatus::Closed, _) | (RectificationStatus::Escalated, _) => Some(FactKind::RectifiedLate),
            _ => None,
        }
    }
}

pub type RectificationEnvelope = crate::case::Envelope<RectificationEvent>;

fn files(v: &[String]) -> Result<Vec<String>, Refusal> {
    if v.len() > crate::inspection::MAX_FILES {
        return Err(Refusal::rule("too_many_files", "最多9个文件"));
    }
    if let Some(bad) = v.iter().find(|f| !crate::inspection::is_upload(f)) {
        return Err(Refusal::rule("invalid_file", format!("文件“{bad}”不是本站上传的文件")));
    }
    Ok(v.to_vec())
}

fn of_unit(actor: &Actor, unit: &UnitCode) -> bool {
    matches!(actor, Actor::Staff { unit: u, .. } if u == unit)
}

/// 责令整改: the system (following the inspection's final result up) or the
/// department's 监管人员.
pub fn open(n: &NewRectification, ctx: &Context<'_>) -> Result<Vec<RectificationEvent>, Refusal> {
    if !(matches!(ctx.actor, Actor::System) || (of_unit(ctx.actor, &n.unit) && ctx.actor.has_role(Role::Regulator))) {
        return Err(Refusal::Forbidden {
            action: "open", why: "整改由检查结果责令，或由承办部门的监管人员立项"
        });
    }
    if ctx.org.get(&n.unit).is_none() {
        return Err(Refusal::UnknownUnit(n.unit.clone()));
    }
    let max = ctx.limits.supervision.rectify_days_max;
    if !(1..=max).contains(&n.days) {
        return Err(Refusal::rule("rectify_days", format!("整改期限应为1至{max}天")));
    }
    let mut problems = vec![];
    for p in &n.problems {
        problems.push(text("problems", p, 500)?);
    }
    if problems.is_empty() {
        return Err(Refusal::rule("no_problems", "请写明需整改的问题"));
    }
    let deadline =
        Clock::start(RectificationClock::Deadline, Budget::Days(n.days), ctx.now, ctx.calendar, ctx.limits.warn_ratio);
    Ok(vec![RectificationEvent::Opened {
        inspection: n.inspection.clone(),
        enterprise: n.enterprise.clone(),
        enterprise_name: text("enterprise_name", &n.enterprise_name, 100)?,
        matter_name: text("matter_name", &n.matter_name, 100)?,
        unit: n.unit.clone(),
        problems,
        deadline,
    }])
}

pub fn decide(s: &Rectification, c: &Command, ctx: &Context<'_>) -> Result<Vec<RectificationEvent>, Refusal> {
    use RectificationStatus as S;
    let status = |action| Refusal::TransitionNotAllowed { action, status: s.status.label() };
    match c {
        Command::Report { text: t, files: f } => {
            if !matches!(ctx.actor, Actor::Citizen) {
                return Err(Refusal::Forbidden { action: "report", why: "整改报告由被检查企业提交" });
            }
            if s.status != S::Rectifying {
                return Err(status("report"));
            }
            let files = files(f)?;
            if files.is_empty() {
                return Err(Refusal::rule("evidence_missing", "请上传整改的证明材料（照片或文件）"));
            }
            Ok(vec![RectificationEvent::Reported { text: text("text", t, 2000)?, files }])
        }
        Command::Recheck { passed, note, photos } => {
            if !(of_unit(ctx.actor, &s.unit) && ctx.actor.has_any_role(&[Role::Enforcer, Role::Regulator])) {
                return Err(Refusal::Forbidden {
                    action: "recheck", why: "由承办部门的执法检查人员或监管人员复查"
                });
            }
            if s.status != S::Reported {
                return Err(status("recheck"));
            }
            let last = s.reports.last().map(|r| r.at).unwrap_or(ctx.now);
            Ok(vec![RectificationEvent::Rechecked {
                passed: *passed,
                note: text("note", note, 2000)?,
                photos: files(photos)?,
                on_time: last <= s.due,
            }])
        }
        Command::Escalate { reason } => {
            if !(of_unit(ctx.actor, &s.unit) && ctx.actor.has_role(Role::Regulator)) {
                return Err(Refusal::Forbidden {
                    action: "escalate", why: "由承办部门的监管人员决定转立案查处"
                });
            }
            if !s.is_open() {
                return Err(status("escalate"));
            }
            Ok(vec![RectificationEvent::Escalated { reason: text("reason", reason, 1000)? }])
        }
        Command::Follow { fact } => {
            if !matches!(ctx.actor, Actor::System) {
                return Err(Refusal::Forbidden { action: "follow", why: "由系统在整改结束后处理" });
            }
            if s.is_open() {
                return Err(status("follow"));
            }
            if s.followed {
                return Err(Refusal::AlreadyDone("整改结果已记入信用档案"));
            }
            Ok(vec![RectificationEvent::Followed { fact: *fact }])
        }
    }
}

pub fn alarms(s: &Rectification, ctx: &Context<'_>) -> Vec<RectificationEvent> {
    if !s.is_open() {
        return vec![];
    }
    let mut out = vec![];
    for c in &s.clocks {
        match (c.stage, c.stage_at(ctx.now)) {
            (Stage::Green, Stage::Yellow) => out.push(RectificationEvent::ClockWarned { clock: c.kind, due: c.due }),
            (Stage::Green | Stage::Yellow, Stage::Red) => {
                out.push(RectificationEvent::ClockOverdue { clock: c.kind, due: c.due })
            }
            _ => {}
        }
    }
    out
}

pub fn evolve(state: Option<Rectification>, env: &RectificationEnvelope) -> Option<Rectification> {
    use RectificationStatus as S;
    let mut s = match (state, &env.event) {
        (
            None,
            RectificationEvent::Opened {
                inspection,
                enterprise,
                enterprise_name,
                matter_name,
                unit,
                problems,
                deadline,
            },
        ) => {
            return Some(Rectification {
                id: env.case.clone(),
                status: S::Rectifying,
                inspection: inspection.clone(),
                enterprise: enterprise.clone(),
                enterprise_name: enterprise_name.clone(),
                matter_name: matter_name.clone(),
                unit: unit.clone(),
                problems: problems.clone(),
                due: deadline.due,
                reports: vec![],
                on_time: None,
                escalation: None,
                followed: false,
                clocks: vec![*deadline],
                opened_at: env.at,
                closed_at: None,
                updated_at: env.at,
                version: env.seq,
            });
        }
        (None, _) => return None,
        (Some(s), _) => s,
    };
    match &env.event {
        RectificationEvent::Opened { .. } => {}
        RectificationEvent::Reported { text, files } => {
            s.reports.push(Report {
                text: text.clone(),
                files: files.clone(),
                at: env.at,
                passed: None,
                note: None,
                photos: vec![],
                rechecked_at: None,
                rechecked_by: None,
            });
            s.status = S::Reported;
        }
        RectificationEvent::Rechecked { passed, note, photos, on_time } => {
            if let Some(r) = s.reports.last_mut() {
                r.passed = Some(*passed);
                r.note = Some(note.clone());
                r.photos = photos.clone();
                r.rechecked_at = Some(env.at);
                r.rechecked_by = env.actor.username().map(str::to_owned);
            }
            if *passed {
                s.status = S::Closed;
                s.on_time = Some(*on_time);
                s.closed_at = Some(env.at);
                s.clocks.stop_clock(RectificationClock::Deadline);
            } else {
                s.status = S::Rectifying;
            }
        }
        RectificationEvent::Escalated { reason } => {
            s.status = S::Escalated;
            s.escalation = Some(reason.clone());
            s.on_time = Some(false);
            s.closed_at = Some(env.at);
            s.clocks.stop_clock(RectificationClock::Deadline);
        }
        RectificationEvent::Followed { .. } => s.followed = true,
        RectificationEvent::ClockWarned { clock, .. } => s.clocks.mark(*clock, Stage::Yellow),
        RectificationEvent::ClockOverdue { clock, .. } => s.clocks.mark(*clock, Stage::Red),
    }
    s.updated_at = env.at;
    s.version = env.seq;
    Some(s)
}

/// The rectification's own columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RectificationDetail {
    pub inspection: String,
    pub enterprise: String,
    pub enterprise_name: String,
    pub matter_name: String,
    pub due: DateTime<Utc>,
    pub on_time: Option<bool>,
    /// Ended and its credit fact not yet recorded: what the app's repair looks for.
    pub follow_up: bool,
}

pub struct RectificationKind;

impl Kind for RectificationKind {
    const NAME: &'static str = "rectification";
    const PREFIX: &'static str = "ZG";
    const LABEL: &'static str = "整改";
    type State = Rectification;
    type Event = RectificationEvent;
    type Command = Command;
    const NOTICES_TO_ENTERPRISE: bool = true;

    /// The enterprise is told when the rectification opens (the app queues that with
    /// the opening) and when its deadline turns yellow.
    fn notices(_before: Option<&Rectification>, events: &[RectificationEvent]) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| match e {
                RectificationEvent::ClockWarned { .. } => Some("rectification_due_soon"),
                _ => None,
            })
            .collect()
    }

    fn event_name(e: &RectificationEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &RectificationEvent) -> bool {
        matches!(e, RectificationEvent::Opened { .. })
    }
    fn evolve(state: Option<Rectification>, env: &RectificationEnvelope) -> Option<Rectification> {
        evolve(state, env)
    }
    fn decide(s: &Rectification, c: &Command, ctx: &Context<'_>) -> Result<Vec<RectificationEvent>, Refusal> {
        decide(s, c, ctx)
    }
    fn alarms(s: &Rectification, ctx: &Context<'_>) -> Vec<RectificationEvent> {
        alarms(s, ctx)
    }
    fn id(s: &Rectification) -> &CaseId {
        &s.id
    }
    fn version(s: &Rectification) -> u32 {
        s.version
    }
    fn project(s: &Rectification) -> Projection {
        let open = s.is_open();
        Projection {
            header: Header {
                status: s.status.as_str(),
                title: Some(format!("{}·{}整改", s.enterprise_name, s.matter_name)),
                unit: Some(s.unit.clone()),
                category: None,
                area: None,
                person: None,
                tracking_code: Some(key(&s.inspection)),
                opened_at: s.opened_at,
                updated_at: s.updated_at,
                // Closed for the engine once its fact is recorded too.
                closed_at: if open || !s.followed { None } else { s.closed_at },
                stage: if open { s.clocks.worst_stage() } else { Stage::Green },
                next_due: if open { s.clocks.next_due() } else { None },
                next_due_working: false,
                next_alarm: if open { s.clocks.next_alarm() } else { None },
                version: s.version,
            },
            co_units: vec![],
            access: vec![s.unit.clone()],
            facts: vec![],
            volume: vec![("status", s.status.as_str().to_owned())],
            detail: serde_json::to_string(&RectificationDetail {
                inspection: s.inspection.to_string(),
                enterprise: s.enterprise.to_string(),
                enterprise_name: s.enterprise_name.clone(),
                matter_name: s.matter_name.clone(),
                due: s.due,
                on_time: s.on_time,
                follow_up: !open && !s.followed,
            })
            .expect("a rectification's detail serialises"),
            example: None,
        }
    }
    fn status_label(status: &str) -> &'static str {
        RectificationStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == status)
            .map(RectificationStatus::label)
            .unwrap_or("")
    }
    fn search_text(s: &Rectification) -> String {
        format!("{} {} {}", s.enterprise_name, s.enterprise, s.matter_name)
    }
    fn touches_text(e: &RectificationEvent) -> bool {
        matches!(e, RectificationEvent::Opened { .. })
    }
    fn attachments(s: &Rectification) -> Vec<String> {
        s.reports.iter().flat_map(|r| r.files.iter().chain(r.photos.iter()).cloned()).collect()
    }
    fn sees_all(actor: &Actor) -> bool {
        actor.has_role(Role::Leader)
    }
}
