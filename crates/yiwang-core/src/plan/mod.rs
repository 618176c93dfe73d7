//! The 抽查计划 of 双随机一公开 (`plan`, numbers `CC…`): which matters, over which
//! period, which targets, at which ratio per credit class, with how many inspectors per
//! target, and its draws (commit, then reveal; `draw.rs` is the algorithm).
//!
//! Statuses: 草拟 (`draft`) → 已承诺 (`committed`: the snapshot and the seed's
//! commitment recorded, the beacon round named) → 已抽取 (`drawn`) → 已下达
//! (`published`: the inspections opened) → 已结束 (`closed`). A redraw (`commit` again
//! with a reason, from drawn or published) is a new commitment numbered after the
//! last; every draw stays in the record.

pub mod draw;
pub mod register;

use crate::case::{Context, Header, Kind, Projection, Refusal, text};
use crate::deadline::Stage;
use crate::id::{CaseId, UnitCode};
use crate::org::{Actor, Role};
use chrono::{DateTime, NaiveDate, Utc};
pub use draw::{Assignment, Beacon, Commitment, DrawParams, DrawRecord, MatterRef, Ratios, Snapshot};
pub use register::{CheckItem, Inspector, Matter, Registers, TargetFilter};
use serde::{Deserialize, Serialize};

/// The least inspectors per target (国办发〔2019〕5号's 双随机: at least two).
pub const MIN_INSPECTORS: u32 = 2;
pub const MAX_INSPECTORS: u32 = 6;
/// The default least share of the targets a plan draws: 5 %.
pub const DEFAULT_MIN_RATIO: u32 = 500;
/// How far ahead of the commit the beacon round is named by default: 10 minutes.
pub const DEFAULT_ROUND_LEAD: u64 = 200;

/// What a 监管人员 drafts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPlan {
    pub title: String,
    /// The matters, copied whole from the register (a joint plan has several
    /// departments' matters).
    pub matters: Vec<Matter>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub filter: TargetFilter,
    pub ratios: Ratios,
    pub min_ratio: u32,
    pub inspectors_per_target: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Command {
    /// 承诺 (or, with a reason, 重新抽取): the app gives the snapshot, the seed's
    /// SHA-256 and the round.
    Commit {
        snapshot: Snapshot,
        seed_sha256: String,
        round: u64,
        #[serde(default)]
        reason: Option<String>,
    },
    /// 抽取: the revealed seed and the named round's beacon.
    Draw {
        seed: String,
        beacon: Beacon,
    },
    /// 下达: the draw is final and its inspections are opened.
    Publish,
    Close {
        reason: String,
    },
}

/// Stored as JSON and hashed: never rename or remove a field or variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanEvent {
    Planned {
        title: String,
        unit: UnitCode,
        matters: Vec<Matter>,
        period_start: NaiveDate,
        period_end: NaiveDate,
        filter: TargetFilter,
        ratios: Ratios,
        min_ratio: u32,
        inspectors_per_target: u32,
    },
    Committed {
        commitment: Commitment,
        snapshot: Snapshot,
    },
    Drawn {
        number: u32,
        seed: String,
        beacon: Beacon,
        result: Vec<Assignment>,
    },
    Published,
    Closed {
        reason: String,
    },
}

impl PlanEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Planned { .. } => "planned",
            Self::Committed { .. } => "committed",
            Self::Drawn { .. } => "drawn",
            Self::Published => "published",
            Self::Closed { .. } => "closed",
        }
    }
    pub fn summary(&self) -> String {
        match self {
            Self::Planned { title, .. } => format!("制定抽查计划：{title}"),
            Self::Committed { commitment: c, snapshot } => format!(
                "第 {} 次抽取承诺{}：对象 {} 户、检查人员 {} 名，名单 SHA-256 {}，种子承诺 {}，drand 第 {} 轮",
                c.number,
                c.reason.as_deref().map(|r| format!("（重新抽取：{r}）")).unwrap_or_default(),
                snapshot.targets.len(),
                snapshot.inspectors.len(),
                &c.snapshot_sha256[..16.min(c.snapshot_sha256.len())],
                &c.seed_sha256[..16.min(c.seed_sha256.len())],
                c.round
            ),
            Self::Drawn { number, result, beacon, .. } => {
                format!("第 {number} 次抽取：以 drand 第 {} 轮抽中 {} 户", beacon.round, result.len())
            }
            Self::Published => "抽查结果下达，生成检查任务".into(),
            Self::Closed { reason } => format!("计划结束：{reason}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PlanStatus {
    Draft,
    Committed,
    Drawn,
    Published,
    Closed,
}

impl PlanStatus {
    pub const ALL: [Self; 5] = [Self::Draft, Self::Committed, Self::Drawn, Self::Published, Self::Closed];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Committed => "committed",
            Self::Drawn => "drawn",
            Self::Published => "published",
            Self::Closed => "closed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "草拟",
            Self::Committed => "已承诺待抽取",
            Self::Drawn => "已抽取",
            Self::Published => "已下达",
            Self::Closed => "已结束",
        }
    }
}

/// One draw of the plan: its commitment, and once drawn its reveal and result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanDraw {
    pub commitment: Commitment,
    pub snapshot: Snapshot,
    pub seed: Option<String>,
    pub beacon: Option<Beacon>,
    pub result: Option<Vec<Assignment>>,
    pub drawn_at: Option<DateTime<Utc>>,
}

impl PlanDraw {
    /// Its published record, once drawn.
    pub fn record(&self) -> Option<DrawRecord> {
        Some(DrawRecord {
            format: draw::FORMAT.into(),
            commitment: self.commitment.clone(),
            snapshot: self.snapshot.clone(),
            seed: self.seed.clone()?,
            beacon: self.beacon.clone()?,
            result: self.result.clone()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub status: PlanStatus,
    pub title: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    pub matters: Vec<Matter>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub filter: TargetFilter,
    pub ratios: Ratios,
    pub min_ratio: u32,
    pub inspectors_per_target: u32,
    pub draws: Vec<PlanDraw>,
    pub close_reason: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: u32,
}

impl Plan {
    pub fn params(&self) -> DrawParams {
        DrawParams {
            matters: self
                .matters
                .iter()
                .map(|m| MatterRef {
                    code: m.code.clone(),
                    name: m.name.clone(),
                    unit: m.unit.to_string(),
                    domain: m.domain.clone(),
                })
                .collect(),
            ratios: self.ratios,
            min_ratio: self.min_ratio,
            inspectors_per_target: self.inspectors_per_target,
        }
    }
    /// The departments of its matters, the planning unit first.
    pub fn departments(&self) -> Vec<UnitCode> {
        let mut out = vec![self.unit.clone()];
        for m in &self.matters {
            if !out.contains(&m.unit) {
                out.push(m.unit.clone());
            }
        }
        out
    }
    /// The latest draw made (revealed), if any.
    pub fn last_drawn(&self) -> Option<&PlanDraw> {
        self.draws.iter().rev().find(|d| d.result.is_some())
    }
    pub fn current(&self) -> Option<&PlanDraw> {
        self.draws.last()
    }
}

pub type PlanEnvelope = crate::case::Envelope<PlanEvent>;

pub fn evolve(state: Option<Plan>, env: &PlanEnvelope) -> Option<Plan> {
    match (&env.event, state) {
        (
            PlanEvent::Planned {
                title,
                unit,
                matters,
                period_start,
                period_end,
                filter,
                ratios,
                min_ratio,
                inspectors_per_target,
            },
            None,
        ) => Some(Plan {
            id: env.case.clone(),
            status: PlanStatus::Draft,
            title: title.clone(),
            unit: unit.clone(),
            matters: matters.clone(),
            period_start: *period_start,
            period_end: *period_end,
            filter: filter.clone(),
            ratios: *ratios,
            min_ratio: *min_ratio,
            inspectors_per_target: *inspectors_per_target,
            draws: vec![],
            close_reason: None,
            opened_at: env.at,
            updated_at: env.at,
            closed_at: None,
            version: env.seq,
        }),
        (_, None) => None,
        (e, Some(mut s)) => {
            match e {
                PlanEvent::Planned { .. } => {}
                PlanEvent::Committed { commitment, snapshot } => {
                    s.draws.push(PlanDraw {
                        commitment: commitment.clone(),
                        snapshot: snapshot.clone(),
                        seed: None,
                        beacon: None,
                        result: None,
                        drawn_at: None,
                    });
                    s.status = PlanStatus::Committed;
                }
                PlanEvent::Drawn { number, seed, beacon, result } => {
                    if let Some(d) = s.draws.iter_mut().find(|d| d.commitment.number == *number) {
                        d.seed = Some(seed.clone());
                        d.beacon = Some(beacon.clone());
                        d.result = Some(result.clone());
                        d.drawn_at = Some(env.at);
                    }
                    s.status = PlanStatus::Drawn;
                }
                PlanEvent::Published => s.status = PlanStatus::Published,
                PlanEvent::Closed { reason } => {
                    s.status = PlanStatus::Closed;
                    s.close_reason = Some(reason.clone());
                    s.closed_at = Some(env.at);
                }
            }
            s.updated_at = env.at;
            s.version = env.seq;
            Some(s)
        }
    }
}

fn may_plan(actor: &Actor, unit: &UnitCode) -> bool {
    matches!(actor, Actor::System)
        || matches!(actor, Actor::Staff { unit: u, .. } if u == unit) && actor.has_role(Role::Regulator)
}

/// 制定计划: a 监管人员 of one of the matters' departments.
pub fn open(n: &NewPlan, ctx: &Context<'_>) -> Result<Vec<PlanEvent>, Refusal> {
    let unit = match ctx.actor {
        Actor::Staff { unit, .. } if ctx.actor.has_role(Role::Regulator) => unit.clone(),
        _ => return Err(Refusal::Forbidden { action: "plan", why: "抽查计划由监管人员制定" }),
    };
    if n.matters.is_empty() {
        return Err(Refusal::rule("no_matter", "抽查计划至少需要一个抽查事项"));
    }
    if !n.matters.iter().any(|m| m.unit == unit) {
        return Err(Refusal::rule("not_own_matter", "只能就本部门的抽查事项制定计划（联合抽查须包含本部门事项）"));
    }
    for (i, m) in n.matters.iter().enumerate() {
        if n.matters[..i].iter().any(|x| x.code == m.code) {
            return Err(Refusal::rule("duplicate_matter", format!("抽查事项 {} 重复", m.code)));
        }
    }
    if n.period_end < n.period_start || (n.period_end - n.period_start).num_days() > 366 {
        return Err(Refusal::rule("invalid_period", "抽查期限应为开始日期至结束日期，且不超过一年"));
    }
    for bp in [n.ratios.a, n.ratios.b, n.ratios.c, n.ratios.d, n.min_ratio] {
        if bp > 10_000 {
            return Err(Refusal::rule("invalid_ratio", "抽查比例应在0%至100%之间"));
        }
    }
    let departments = {
        let mut d: Vec<&UnitCode> = n.matters.iter().map(|m| &m.unit).collect();
        d.sort();
        d.dedup();
        d.len() as u32
    };
    if n.inspectors_per_target < MIN_INSPECTORS.max(departments) || n.inspectors_per_target > MAX_INSPECTORS {
        return Err(Refusal::rule(
            "invalid_inspectors_per_target",
            format!(
                "每户检查人员应为 {} 至 {MAX_INSPECTORS} 名（至少2名，联合抽查每个部门至少1名）",
                MIN_INSPECTORS.max(departments)
            ),
        ));
    }
    Ok(vec![PlanEvent::Planned {
        title: text("title", &n.title, 100)?,
        unit,
        matters: n.matters.clone(),
        period_start: n.period_start,
        period_end: n.period_end,
        filter: n.filter.clone(),
        ratios: n.ratios,
        min_ratio: n.min_ratio,
        inspectors_per_target: n.inspectors_per_target,
    }])
}

fn is_hex32(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

pub fn decide(s: &Plan, c: &Command, ctx: &Context<'_>) -> Result<Vec<PlanEvent>, Refusal> {
    if !may_plan(ctx.actor, &s.unit) {
        return Err(Refusal::Forbidden {
            action: "plan", why: "只有制定计划部门的监管人员可以操作抽查计划"
        });
    }
    if s.status == PlanStatus::Closed {
        return Err(Refusal::CaseClosed("抽查计划已结束"));
    }
    match c {
        Command::Commit { snapshot, seed_sha256, round, reason } => {
            let redraw = !s.draws.is_empty();
            match s.status {
                PlanStatus::Draft => {}
                PlanStatus::Drawn | PlanStatus::Published => {}
                PlanStatus::Committed => {
                    return Err(Refusal::rule("already_committed", "已承诺的抽取尚未进行，不能再次承诺"));
                }
                PlanStatus::Closed => unreachable!("refused above"),
            }
            let reason = match (redraw, reason.as_deref().map(str::trim).filter(|r| !r.is_empty())) {
                (true, None) => return Err(Refusal::rule("reason_required", "重新抽取必须说明理由")),
                (true, Some(r)) => Some(text("reason", r, 500)?),
                (false, _) => None,
            };
            if !snapshot.is_canonical() {
                return Err(Refusal::rule("snapshot_not_canonical", "名单快照应按规范顺序排列"));
            }
            if snapshot.targets.is_empty() {
                return Err(Refusal::rule("no_targets", "没有符合条件的抽查对象"));
            }
            if !is_hex32(seed_sha256) {
                return Err(Refusal::rule("invalid_commitment", "种子承诺应为64位小写十六进制 SHA-256"));
            }
            if draw::round_time(*round) <= ctx.now {
                return Err(Refusal::rule(
                    "round_not_future",
                    format!("drand 第 {round} 轮已经发布或正在发布，请指定承诺时间之后的轮次"),
                ));
            }
            let params = s.params();
            draw::feasible(&params, snapshot).map_err(|e| Refusal::rule("no_valid_assignment", e.to_string()))?;
            let commitment = Commitment {
                plan: s.id.to_string(),
                title: s.title.clone(),
                number: s.draws.len() as u32 + 1,
                reason,
                params,
                snapshot_sha256: snapshot.sha256(),
                seed_sha256: seed_sha256.clone(),
                beacon_chain: draw::QUICKNET_CHAIN_HASH.into(),
                round: *round,
                committed_at: ctx.now,
            };
            Ok(vec![PlanEvent::Committed { commitment, snapshot: snapshot.clone() }])
        }
        Command::Draw { seed, beacon } => {
            let Some(d) = s.draws.last().filter(|_| s.status == PlanStatus::Committed) else {
                return Err(Refusal::rule("not_committed", "请先承诺名单和种子，再进行抽取"));
            };
            let c = &d.commitment;
            if beacon.round != c.round {
                return Err(Refusal::rule(
                    "wrong_round",
                    format!("应使用承诺的 drand 第 {} 轮，而不是第 {} 轮", c.round, beacon.round),
                ));
            }
            let randomness = draw::verify_beacon(beacon).map_err(|e| Refusal::rule("bad_beacon", e))?;
            let seed_bytes = draw::hex32(seed).ok_or_else(|| Refusal::rule("bad_seed", "种子应为32字节十六进制"))?;
            if draw::seed_sha256(&seed_bytes) != c.seed_sha256 {
                return Err(Refusal::rule("bad_seed", "种子与承诺不符"));
            }
            let key = draw::draw_key(&seed_bytes, &randomness, c);
            let result = draw::draw(&c.params, &d.snapshot, &key)
                .map_err(|e| Refusal::rule("no_valid_assignment", e.to_string()))?;
            Ok(vec![PlanEvent::Drawn {
                number: c.number,
                seed: seed.clone(),
                beacon: Beacon { round: beacon.round, signature: beacon.signature.trim().to_ascii_lowercase() },
                result,
            }])
        }
        Command::Publish => {
            if s.status != PlanStatus::Drawn {
                return Err(Refusal::rule("not_drawn", "抽取完成后才能下达"));
            }
            Ok(vec![PlanEvent::Published])
        }
        Command::Close { reason } => Ok(vec![PlanEvent::Closed { reason: text("reason", reason, 500)? }]),
    }
}

/// A plan's own columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDetail {
    pub matters: Vec<String>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub draws: u32,
    /// Targets drawn by the latest draw.
    pub drawn: u32,
    /// Whether it has a draw to show on the portal.
    pub public: bool,
}

pub struct PlanKind;

impl Kind for PlanKind {
    const NAME: &'static str = "plan";
    const PREFIX: &'static str = "CC";
    const LABEL: &'static str = "抽查计划";
    type State = Plan;
    type Event = PlanEvent;
    type Command = Command;

    fn event_name(e: &PlanEvent) -> &'static str {
        e.name()
    }
    fn opens(e: &PlanEvent) -> bool {
        matches!(e, PlanEvent::Planned { .. })
    }
    fn evolve(state: Option<Plan>, env: &PlanEnvelope) -> Option<Plan> {
        evolve(state, env)
    }
    fn decide(s: &Plan, c: &Command, ctx: &Context<'_>) -> Result<Vec<PlanEvent>, Refusal> {
        decide(s, c, ctx)
    }
    fn alarms(_: &Plan, _: &Context<'_>) -> Vec<PlanEvent> {
        vec![]
    }
    fn id(s: &Plan) -> &CaseId {
        &s.id
    }
    fn version(s: &Plan) -> u32 {
        s.version
    }
    fn project(s: &Plan) -> Projection {
        let last = s.last_drawn();
        Projection {
            header: Header {
                status: s.status.as_str(),
                title: Some(s.title.clone()),
                unit: Some(s.unit.clone()),
                category: None,
                area: None,
                person: None,
                tracking_code: None,
                opened_at: s.opened_at,
                updated_at: s.updated_at,
                closed_at: s.closed_at,
                stage: Stage::Green,
                next_due: None,
                next_due_working: false,
                next_alarm: None,
                version: s.version,
            },
            co_units: s.departments().into_iter().skip(1).map(|u| (u, s.opened_at)).collect(),
            access: s.departments(),
            facts: vec![],
            volume: vec![("status", s.status.as_str().to_owned())],
            detail: serde_json::to_string(&PlanDetail {
                matters: s.matters.iter().map(|m| m.code.clone()).collect(),
                period_start: s.period_start,
                period_end: s.period_end,
                draws: s.draws.len() as u32,
                drawn: last.and_then(|d| d.result.as_ref()).map_or(0, |r| r.len() as u32),
                public: last.is_some(),
            })
            .expect("a plan's detail serialises"),
            example: None,
        }
    }
    fn status_label(status: &str) -> &'static str {
        PlanStatus::ALL.into_iter().find(|x| x.as_str() == status).map(PlanStatus::label).unwrap_or("")
    }
    fn search_text(s: &Plan) -> String {
        let names: Vec<&str> = s.matters.iter().map(|m| m.name.as_str()).collect();
        format!("{} {}", s.title, names.join(" "))
    }
    fn touches_text(e: &PlanEvent) -> bool {
        matches!(e, PlanEvent::Planned { .. })
    }
    fn set_person(_: &mut PlanEvent, _: crate::id::PersonId) {}
    /// Every 监管人员 sees every plan (joint plans, and the 一公开 of them all).
    fn sees_all(actor: &Actor) -> bool {
        actor.has_role(Role::Regulator)
    }
}
