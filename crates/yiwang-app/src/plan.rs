//! 双随机一公开 beyond one command: the two registers (`supervision.toml`, the
//! reference document `supervision`), drafting a plan from matters, the snapshot a
//! commit fixes (the register filtered, the once-a-year rule applied, the last draws'
//! pairs), the secret seed, the draw with a pasted or fetched beacon, the published
//! records, and the inspections a published draw opens.
//!
//! **The seed.** It is derived, never stored: `HMAC-SHA256(K, "<plan>/<number>")`
//! with `K = HMAC-SHA256(digest_key, "yiwang-draw-seed/1")`. The digest key lives in
//! the data directory (`secret.key`), outside the database, so neither a database
//! reader nor the plan's own record learns a seed before its reveal, and nothing can
//! leak from a table; a restart or another node derives the same seed. Only its
//! SHA-256 goes into the commitment; the seed itself is recorded by the `drawn` event.

use crate::{App, AppError, Result};
use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet};
use yiwang_core::case::{Events, Kind};
use yiwang_core::enterprise::Profile;
use yiwang_core::id::CaseId;
use yiwang_core::org::{Actor, Role};
use yiwang_core::plan::draw::{self, Pair, SnapInspector, SnapTarget};
use yiwang_core::plan::{
    self, Beacon, Command, DrawRecord, NewPlan, Plan, PlanKind, PlanStatus, Ratios, Registers, Snapshot, TargetFilter,
};
use yiwang_store::{CaseQuery, NewCase};

/// The reference document holding both registers (as JSON).
pub const SUPERVISION_DOCUMENT: &str = "supervision";
/// The same target at most once a year for the same matter.
pub const ONCE_A_YEAR_DAYS: i64 = 365;

/// What loading `supervision.toml` did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupervisionReport {
    pub matters: usize,
    pub inspectors: usize,
}

/// What a 监管人员 drafts. Left out: the first matter's filter, the default ratios
/// (A 1 %, B 2 %, C 10 %, D 30 %), a 5 % floor and 2 inspectors per target.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanInput {
    pub title: String,
    /// Codes of the 随机抽查事项清单.
    pub matters: Vec<String>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    #[serde(default)]
    pub filter: Option<TargetFilter>,
    #[serde(default)]
    pub ratios: Option<Ratios>,
    /// Basis points of all targets at least.
    #[serde(default)]
    pub min_ratio: Option<u32>,
    #[serde(default)]
    pub inspectors_per_target: Option<u32>,
}

/// A plan as pages show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanView {
    pub plan: Plan,
    pub status_label: &'static str,
    pub unit_name: String,
    /// Who each inspector id is: name, unit's name, 执法证号.
    pub inspectors: BTreeMap<String, InspectorName>,
    /// Each target's name in the register.
    pub targets: BTreeMap<String, String>,
    /// The commands the viewer may give now (`commit`, `draw`, `redraw`, `publish`, `close`).
    pub actions: Vec<&'static str>,
    /// When the named round of a pending commitment is published.
    pub round_time: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectorName {
    pub name: String,
    pub unit_name: String,
    pub licence: String,
}

/// A plan in a list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanRow {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: CaseId,
    pub title: String,
    pub status: PlanStatus,
    pub status_label: &'static str,
    pub unit_name: String,
    pub matters: Vec<String>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub draws: usize,
    pub drawn: usize,
}

impl App {
    /// Loads `supervision.toml` (both registers), for an administrator or the set-up:
    /// every entry checked against the organisation, every bad one named, nothing
    /// stored of a bad file.
    pub fn load_supervision(&self, actor: &Actor, text: &str) -> Result<SupervisionReport> {
        if !matches!(actor, Actor::System) && !actor.has_role(Role::Admin) {
            return Err(AppError::Forbidden("只有系统管理员可以维护抽查事项清单和执法检查人员名录".into()));
        }
        let r = parse_supervision(text, &self.reference().org)?;
        let json = serde_json::to_string(&r).map_err(|e| AppError::Internal(e.to_string()))?;
        self.store.put_document(SUPERVISION_DOCUMENT, &json, self.now())?;
        Ok(SupervisionReport { matters: r.matters.len(), inspectors: r.inspectors.len() })
    }

    /// Both registers as loaded (empty before any load).
    pub fn supervision(&self) -> Result<Registers> {
        match self.store.document(SUPERVISION_DOCUMENT)? {
            Some(t) => serde_json::from_str(&t).map_err(|e| AppError::Internal(format!("stored supervision: {e}"))),
            None => Ok(Registers::default()),
        }
    }

    /// 制定抽查计划 from matters of the register.
    pub fn create_plan(&self, actor: &Actor, input: PlanInput) -> Result<Plan> {
        let registers = self.supervision()?;
        let mut matters = vec![];
        for code in &input.matters {
            let m = registers
                .matter(code.trim())
                .ok_or_else(|| AppError::invalid("matters", format!("抽查事项 {code} 不在随机抽查事项清单中")))?;
            matters.push(m.clone());
        }
        let filter = input.filter.or_else(|| matters.first().map(|m| m.filter.clone())).unwrap_or_default();
        let n = NewPlan {
            title: input.title,
            matters,
            period_start: input.period_start,
            period_end: input.period_end,
            filter,
            ratios: input.ratios.unwrap_or_default(),
            min_ratio: input.min_ratio.unwrap_or(plan::DEFAULT_MIN_RATIO),
            inspectors_per_target: input.inspectors_per_target.unwrap_or(plan::MIN_INSPECTORS),
        };
        let now = self.now();
        let r = self.reference();
        let events = plan::open(&n, &self.context(&r, actor, now))?;
        let case = NewCase {
            tenant: r.tenant.clone(),
            at: now,
            actor: actor.clone(),
            person: None,
            events: Events::new::<PlanKind>(events),
            notices: vec![],
            idempotency: None,
        };
        self.create_case(case).wait()?.into_state::<PlanKind>().map_err(|c| crate::case::wrong_kind(c.id()))
    }

    /// Every plan, for the plans' cases (newest first).
    fn all_plans(&self) -> Result<Vec<Plan>> {
        let mut ids = vec![];
        self.each_case(&CaseQuery { kind: Some(PlanKind::NAME), ..Default::default() }, |row| {
            ids.push(row.id);
            Ok(())
        })?;
        // A kind's ids are in the order its cases were opened: the last is the newest.
        let out = ids.iter().rev().map(|id| self.load_as::<PlanKind>(id)).collect::<Result<Vec<_>>>()?;
        Ok(out)
    }

    /// The plans a member of staff may see: a 监管人员 all; others their unit's.
    pub fn plans(&self, actor: &Actor) -> Result<Vec<PlanRow>> {
        let mut rows: Vec<PlanRow> = self
            .all_plans()?
            .into_iter()
            .filter(|p| match actor {
                Actor::Staff { unit, .. } => actor.has_role(Role::Regulator) || p.departments().contains(unit),
                Actor::System => true,
                _ => false,
            })
            .map(|p| self.row_of(&p))
            .collect();
        rows.sort_by(|a, b| b.id.as_str().cmp(a.id.as_str()));
        Ok(rows)
    }

    fn row_of(&self, p: &Plan) -> PlanRow {
        PlanRow {
            id: p.id.clone(),
            title: p.title.clone(),
            status: p.status,
            status_label: p.status.label(),
            unit_name: self.reference().unit_name(&p.unit),
            matters: p.matters.iter().map(|m| m.name.clone()).collect(),
            period_start: p.period_start,
            period_end: p.period_end,
            draws: p.draws.len(),
            drawn: p.last_drawn().and_then(|d| d.result.as_ref()).map_or(0, Vec::len),
        }
    }

    /// The snapshot a commit of `p` fixes now: the register filtered by the plan's
    /// filter, less the targets drawn for one of its matters by another plan within a
    /// year; the inspectors of its departments; and the pairs of the last draw of each
    /// of its matters.
    pub fn plan_snapshot(&self, p: &Plan) -> Result<Snapshot> {
        let now = self.now();
        let codes: BTreeSet<&str> = p.matters.iter().map(|m| m.code.as_str()).collect();
        let mut recent: BTreeSet<String> = BTreeSet::new();
        // matter → (drawn at, pairs) of the latest draw of another plan.
        let mut last: BTreeMap<String, (chrono::DateTime<chrono::Utc>, Vec<Pair>)> = BTreeMap::new();
        for other in self.all_plans()? {
            if other.id == p.id {
                continue;
            }
            let Some(d) = other.last_drawn() else { continue };
            let (Some(result), Some(at)) = (&d.result, d.drawn_at) else { continue };
            for m in other.matters.iter().filter(|m| codes.contains(m.code.as_str())) {
                if (now - at).num_days() < ONCE_A_YEAR_DAYS {
                    recent.extend(result.iter().map(|a| a.target.clone()));
                }
                let pairs: Vec<Pair> = result
                    .iter()
                    .flat_map(|a| a.inspectors.iter().map(|i| Pair { target: a.target.clone(), inspector: i.clone() }))
                    .collect();
                if last.get(&m.code).is_none_or(|(t, _)| *t < at) {
                    last.insert(m.code.clone(), (at, pairs));
                }
            }
        }
        let targets = self
            .register_profiles()?
            .into_iter()
            .filter(|e: &Profile| p.filter.matches(e) && !recent.contains(e.code.as_str()))
            .map(|e| SnapTarget { code: e.code.to_string(), class: e.class })
            .collect();
        let departments: Vec<String> = p.matters.iter().map(|m| m.unit.to_string()).collect();
        let inspectors = self
            .supervision()?
            .inspectors
            .into_iter()
            .filter(|i| departments.contains(&i.unit.to_string()))
            .map(|i| SnapInspector {
                id: i.id,
                unit: i.unit.to_string(),
                qualifications: i.qualifications,
                recusals: i.recusals.into_iter().map(|c| c.to_string()).collect(),
            })
            .collect();
        let last = last.into_values().flat_map(|(_, pairs)| pairs).collect();
        Ok(Snapshot { targets, inspectors, last }.canonical())
    }

    /// The secret seed of a plan's draw `number` (see the module's doc).
    fn draw_seed(&self, plan: &CaseId, number: u32) -> [u8; 32] {
        let mut k = Hmac::<Sha256>::new_from_slice(&self.config.digest_key).expect("hmac takes any key length");
        k.update(b"yiwang-draw-seed/1");
        let mut mac = Hmac::<Sha256>::new_from_slice(&k.finalize().into_bytes()).expect("hmac takes any key length");
        mac.update(format!("{plan}/{number}").as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// 承诺 (the first time) or 重新抽取 (with a reason): fixes the snapshot, commits
    /// to the seed and names the round (by default 10 minutes ahead).
    pub fn commit_plan(&self, actor: &Actor, id: &CaseId, round: Option<u64>, reason: Option<String>) -> Result<Plan> {
        let p = self.load_as::<PlanKind>(id)?;
        let snapshot = self.plan_snapshot(&p)?;
        let number = p.draws.len() as u32 + 1;
        let seed_sha256 = draw::seed_sha256(&self.draw_seed(id, number));
        let round = round.unwrap_or_else(|| draw::round_at(self.now()) + plan::DEFAULT_ROUND_LEAD);
        self.act_on::<PlanKind>(actor, id, &Command::Commit { snapshot, seed_sha256, round, reason })
    }

    /// 抽取: with the named round's beacon (pasted by an operator or fetched by a
    /// deployment; core verifies it either way), the seed revealed.
    pub fn draw_plan(&self, actor: &Actor, id: &CaseId, beacon: Beacon) -> Result<Plan> {
        let p = self.load_as::<PlanKind>(id)?;
        let number = p.current().map_or(1, |d| d.commitment.number);
        let seed = hex::encode(self.draw_seed(id, number));
        self.act_on::<PlanKind>(actor, id, &Command::Draw { seed, beacon })
    }

    /// 下达: the draw is final; its inspections are opened.
    pub fn publish_plan(&self, actor: &Actor, id: &CaseId) -> Result<Plan> {
        let p = self.act_on::<PlanKind>(actor, id, &Command::Publish)?;
        self.open_drawn_inspections(&p.id)?;
        Ok(p)
    }

    pub fn close_plan(&self, actor: &Actor, id: &CaseId, reason: &str) -> Result<Plan> {
        self.act_on::<PlanKind>(actor, id, &Command::Close { reason: reason.into() })
    }

    /// The inspections of a published plan's draw: for each drawn target, one per
    /// matter of the plan (a joint plan's target is inspected for each department's
    /// matter, by the whole team drawn), held by the matter's department and assigned
    /// to the drawn inspectors. Idempotent: an inspection's detail names its plan
    /// (`source_case`), its enterprise and its matter, so a repair (the scheduler's
    /// `reconcile_plans`) opens only those missing. Gives how many it opened.
    pub fn open_drawn_inspections(&self, id: &CaseId) -> Result<usize> {
        use yiwang_core::inspection::{self, InspectionKind, InspectorRef, NewInspection, Source};
        let p = self.load_as::<PlanKind>(id)?;
        if !matches!(p.status, PlanStatus::Published | PlanStatus::Closed) {
            return Ok(0);
        }
        let Some(result) = p.last_drawn().and_then(|d| d.result.clone()) else { return Ok(0) };
        let q = CaseQuery {
            kind: Some(InspectionKind::NAME),
            detail: vec![("source_case", serde_json::Value::String(p.id.to_string()))],
            limit: 100_000,
            ..Default::default()
        };
        let mut opened: BTreeSet<(String, String)> = BTreeSet::new();
        for row in self.store.list_cases(&q)?.rows {
            if let Ok(d) = serde_json::from_str::<inspection::InspectionDetail>(&row.detail) {
                opened.insert((d.enterprise, d.matter));
            }
        }
        let registers = self.supervision()?;
        let names: BTreeMap<String, String> = self
            .register_profiles()?
            .into_iter()
            .filter(|e| result.iter().any(|a| a.target == e.code.as_str()))
            .map(|e| (e.code.to_string(), e.name))
            .collect();
        let mut n = 0;
        for a in &result {
            let Ok(code) = yiwang_core::id::CreditCode::parse(&a.target) else { continue };
            let inspectors: Vec<InspectorRef> = a
                .inspectors
                .iter()
                .filter_map(|i| registers.inspectors.iter().find(|r| r.id == *i))
                .map(|r| InspectorRef {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    unit: r.unit.clone(),
                    username: r.username.clone(),
                })
                .collect();
            for m in &p.matters {
                if opened.contains(&(a.target.clone(), m.code.clone())) {
                    continue;
                }
                let new = NewInspection {
                    enterprise: code.clone(),
                    enterprise_name: names.get(&a.target).cloned().unwrap_or_else(|| a.target.clone()),
                    matter: m.code.clone(),
                    matter_name: m.name.clone(),
                    items: m
                        .items
                        .iter()
                        .map(|i| inspection::CheckItem { code: i.code.clone(), name: i.name.clone() })
                        .collect(),
                    inspectors: inspectors.clone(),
                    unit: m.unit.clone(),
                    source: Source::Draw { plan: p.id.clone() },
                };
                self.open_inspection(&Actor::System, new)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// The scheduler's repair: every published plan's inspections opened.
    pub(crate) fn reconcile_plans(&self) -> Result<usize> {
        let q = CaseQuery {
            kind: Some(PlanKind::NAME),
            statuses: vec![PlanStatus::Published.as_str()],
            limit: 10_000,
            ..Default::default()
        };
        let mut n = 0;
        for row in self.store.list_cases(&q)?.rows {
            n += self.open_drawn_inspections(&row.id)?;
        }
        Ok(n)
    }

    /// One plan, for staff who may see it.
    pub fn plan_view(&self, actor: &Actor, id: &CaseId) -> Result<PlanView> {
        let p = self.load_as::<PlanKind>(id)?;
        let sees = match actor {
            Actor::Staff { unit, .. } => actor.has_role(Role::Regulator) || p.departments().contains(unit),
            Actor::System => true,
            _ => false,
        };
        if !sees {
            return Err(AppError::NotFound("抽查计划"));
        }
        let may = match actor {
            Actor::Staff { unit, .. } => actor.has_role(Role::Regulator) && *unit == p.unit,
            _ => false,
        };
        let mut actions = vec![];
        if may {
            match p.status {
                PlanStatus::Draft => actions.push("commit"),
                PlanStatus::Committed => actions.push("draw"),
                PlanStatus::Drawn => actions.extend(["publish", "redraw"]),
                PlanStatus::Published => actions.push("redraw"),
                PlanStatus::Closed => {}
            }
            if p.status != PlanStatus::Closed {
                actions.push("close");
            }
        }
        self.view_of_plan(p, actions)
    }

    fn view_of_plan(&self, p: Plan, actions: Vec<&'static str>) -> Result<PlanView> {
        let r = self.reference();
        let registers = self.supervision()?;
        let inspectors = registers
            .inspectors
            .iter()
            .map(|i| {
                (
                    i.id.clone(),
                    InspectorName { name: i.name.clone(), unit_name: r.unit_name(&i.unit), licence: i.licence.clone() },
                )
            })
            .collect();
        let drawn: BTreeSet<&str> =
            p.draws.iter().filter_map(|d| d.result.as_ref()).flatten().map(|a| a.target.as_str()).collect();
        let targets = if drawn.is_empty() {
            BTreeMap::new()
        } else {
            self.register_profiles()?
                .into_iter()
                .filter(|e| drawn.contains(e.code.as_str()))
                .map(|e| (e.code.to_string(), e.name))
                .collect()
        };
        let round_time = match p.status {
            PlanStatus::Committed => p.current().map(|d| draw::round_time(d.commitment.round)),
            _ => None,
        };
        Ok(PlanView {
            status_label: p.status.label(),
            unit_name: r.unit_name(&p.unit),
            inspectors,
            targets,
            actions,
            round_time,
            plan: p,
        })
    }

    /// The plans with a draw, for the portal's 一公开 (newest first).
    pub fn public_plans(&self) -> Result<Vec<PlanRow>> {
        let mut rows: Vec<PlanRow> =
            self.all_plans()?.iter().filter(|p| p.last_drawn().is_some()).map(|p| self.row_of(p)).collect();
        rows.sort_by(|a, b| b.id.as_str().cmp(a.id.as_str()));
        Ok(rows)
    }

    /// A drawn plan as the public sees it (what the portal shows; no seed is secret
    /// any more once drawn, and a commitment pending shows only its hashes).
    pub fn public_plan(&self, id: &CaseId) -> Result<PlanView> {
        let p = self.load_as::<PlanKind>(id).map_err(|_| AppError::NotFound("抽查计划"))?;
        if p.last_drawn().is_none() {
            return Err(AppError::NotFound("抽查计划"));
        }
        self.view_of_plan(p, vec![])
    }

    /// The published record of draw `number` (1 the first), for anyone.
    pub fn draw_record(&self, id: &CaseId, number: u32) -> Result<DrawRecord> {
        let p = self.load_as::<PlanKind>(id).map_err(|_| AppError::NotFound("抽取记录"))?;
        p.draws
            .iter()
            .find(|d| d.commitment.number == number)
            .and_then(|d| d.record())
            .ok_or(AppError::NotFound("抽取记录"))
    }
}

/// Reads and checks `supervision.toml` against the organisation.
pub(crate) fn parse_supervision(text: &str, org: &yiwang_core::org::Organisation) -> Result<Registers> {
    Registers::parse_toml(text, |u| org.get(u).is_some()).map_err(|problems| {
        AppError::invalid(
            "supervision.toml",
            format!("supervision.toml 有 {} 处错误，未导入任何数据：{}", problems.len(), problems.join("；")),
        )
    })
}
