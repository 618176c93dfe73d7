//! Grid patrols (网格巡查): a grid worker starts a patrol on the phone, the route is
//! recorded as they walk, each problem found is put right on the spot or reported as
//! an appeal for dispatch (channel 网格巡查), and the patrol ends. The street sees its
//! grids' coverage (路长制, 全科网格): who patrolled which grid, how long and how far,
//! and what they found.

use crate::{App, AppError, Result};
use serde::{Deserialize, Serialize};
use yiwang_core::appeal::{AppealType, Channel, Location, Point};
use yiwang_core::case::{Events, Kind};
use yiwang_core::id::{CaseId, CategoryCode, UnitCode};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_core::patrol::{self, Command, Patrol, PatrolDetail, PatrolKind, RoutePoint};
use yiwang_store::{CaseQuery, NewCase};

/// A problem found on a patrol.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProblemInput {
    pub text: String,
    /// Where it is (the phone's position, or a pick on the map).
    #[serde(default)]
    pub point: Option<Point>,
    /// Photos, as saved by the upload form.
    #[serde(default)]
    pub photos: Vec<String>,
    /// 已当场处置; otherwise it is reported for dispatch.
    pub fixed: bool,
    /// For a reported problem: its category, if the worker knows it.
    #[serde(default)]
    pub category: Option<CategoryCode>,
}

/// A patrol as its page shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatrolView {
    pub patrol: Patrol,
    pub grid_name: String,
    pub worker_name: String,
    pub status_label: &'static str,
    /// Minutes so far, or in all once ended.
    pub minutes: i64,
}

/// One grid's patrols in a period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridCoverage {
    pub grid: UnitCode,
    pub grid_name: String,
    pub community_name: String,
    pub patrols: u32,
    pub minutes: i64,
    pub metres: f64,
    pub fixed: u32,
    pub reported: u32,
    /// When a patrol of the grid last started; none: not patrolled in the period.
    pub last_started: Option<chrono::DateTime<chrono::Utc>>,
    /// That patrol.
    pub last_patrol: Option<CaseId>,
    /// The workers who patrolled it, by name.
    pub workers: Vec<String>,
}

/// A street's grids in a period: every grid, patrolled or not.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    pub street: UnitCode,
    pub street_name: String,
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    pub grids: Vec<GridCoverage>,
    /// Grids patrolled at least once.
    pub covered: usize,
}

/// Most patrols a coverage period reads.
const COVERAGE_PATROLS_MAX: u32 = 20_000;

impl App {
    fn patrol_worker(actor: &Actor) -> Result<()> {
        match actor {
            Actor::Staff { unit_kind: UnitKind::Grid, roles, .. } if roles.contains(&Role::GridWorker) => Ok(()),
            _ => Err(AppError::Forbidden("只有网格员可以巡查".into())),
        }
    }

    /// The patrol this grid worker is on, if any.
    pub fn active_patrol(&self, actor: &Actor) -> Result<Option<Patrol>> {
        let Actor::Staff { username, unit, .. } = actor else { return Ok(None) };
        let q = CaseQuery {
            kind: Some(PatrolKind::NAME),
            unit: Some(unit.clone()),
            open: Some(true),
            detail: vec![("worker", serde_json::json!(username.as_str()))],
            limit: 1,
            ..Default::default()
        };
        match self.store.list_cases(&q)?.rows.first() {
            Some(row) => Ok(Some(self.load_as::<PatrolKind>(&row.id)?)),
            None => Ok(None),
        }
    }

    /// 开始巡查. A worker on a patrol already is told which.
    pub fn start_patrol(&self, actor: &Actor) -> Result<Patrol> {
        Self::patrol_worker(actor)?;
        if let Some(p) = self.active_patrol(actor)? {
            return Err(AppError::Conflict(format!("巡查 {} 尚未结束，请先结束它", p.id)));
        }
        let now = self.now();
        let r = self.reference();
        let events = patrol::open(&self.context(&r, actor, now))?;
        let new = NewCase {
            tenant: r.tenant.clone(),
            at: now,
            actor: actor.clone(),
            person: None,
            events: Events::new::<PatrolKind>(events),
            notices: vec![],
            idempotency: None,
        };
        let case = self.create_case(new).wait()?;
        case.into_state::<PatrolKind>().map_err(|c| crate::case::wrong_kind(c.id()))
    }

    /// Route points from the phone. `sent_at`: the phone's clock when it sent them;
    /// given, every point is moved by the difference to this server's clock, so a phone
    /// whose clock is off still records a route in the patrol's time.
    pub fn track_patrol(
        &self,
        actor: &Actor,
        id: &CaseId,
        mut points: Vec<RoutePoint>,
        sent_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Patrol> {
        if let Some(sent) = sent_at {
            let skew = self.now() - sent;
            for p in &mut points {
                p.at += skew;
            }
        }
        self.act_on::<PatrolKind>(actor, id, &Command::Track { points })
    }

    /// A problem found: kept on the patrol when fixed on the spot; otherwise opened as
    /// an appeal of the grid-patrol channel, located where it was found, and linked.
    /// Answers the patrol and the appeal's number.
    pub fn patrol_problem(&self, actor: &Actor, id: &CaseId, p: ProblemInput) -> Result<(Patrol, Option<CaseId>)> {
        if p.fixed {
            let cmd = Command::Fixed { text: p.text, point: p.point, photos: p.photos };
            return Ok((self.act_on::<PatrolKind>(actor, id, &cmd)?, None));
        }
        // Checked before an appeal is opened for it: the same rules, on a dry run.
        let case = self.load_case(id)?;
        if !case.is::<PatrolKind>() || !case.can_view(actor) {
            return Err(AppError::NotFound(PatrolKind::LABEL));
        }
        let current = case.into_state::<PatrolKind>().map_err(|c| crate::case::wrong_kind(c.id()))?;
        let r = self.reference();
        let dry = Command::Fixed { text: p.text.clone(), point: p.point, photos: p.photos.clone() };
        patrol::decide(&current, &dry, &self.context(&r, actor, self.now()))?;
        let input = crate::IntakeInput {
            channel: Channel::GridPatrol,
            appeal_type: AppealType::Help,
            urgency: yiwang_core::deadline::Urgency::Normal,
            title: None,
            text: p.text.clone(),
            location: Location { point: p.point, area: Some(current.grid.clone()), ..Default::default() },
            citizen: None,
            attachments: p.photos.clone(),
            category: p.category,
            private: false,
        };
        let receipt = self.submit_appeal(actor, input)?;
        let cmd = Command::Reported { case: receipt.case_id.clone(), text: p.text, point: p.point, photos: p.photos };
        Ok((self.act_on::<PatrolKind>(actor, id, &cmd)?, Some(receipt.case_id)))
    }

    /// 结束巡查.
    pub fn end_patrol(&self, actor: &Actor, id: &CaseId) -> Result<Patrol> {
        self.act_on::<PatrolKind>(actor, id, &Command::End)
    }

    /// A patrol for whoever may see it (its worker, its grid's community and street,
    /// the centre, leaders).
    pub fn patrol_view(&self, actor: &Actor, id: &CaseId) -> Result<PatrolView> {
        let case = self.load_case(id)?;
        if !case.is::<PatrolKind>() || !case.can_view(actor) {
            return Err(AppError::NotFound(PatrolKind::LABEL));
        }
        let p = case.into_state::<PatrolKind>().map_err(|c| crate::case::wrong_kind(c.id()))?;
        let r = self.reference();
        let worker_name = self.store.staff(&p.worker)?.map(|s| s.name).unwrap_or_else(|| p.worker.to_string());
        Ok(PatrolView {
            grid_name: r.unit_name(&p.grid),
            worker_name,
            status_label: p.status.label(),
            minutes: if p.is_open() { (self.now() - p.started_at).num_minutes().max(0) } else { p.minutes() },
            patrol: p,
        })
    }

    /// 巡查覆盖: a street's grids in a period, each with its patrols. Street staff see
    /// their own street; the centre and leaders any.
    pub fn patrol_coverage(
        &self,
        actor: &Actor,
        street: Option<&UnitCode>,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Coverage> {
        let r = self.reference();
        let own_street = actor.unit().and_then(|u| r.org.street_of(u)).map(|s| s.code.clone());
        let street = match (street, PatrolKind::sees_all(actor), own_street) {
            (Some(s), true, _) => s.clone(),
            (Some(s), false, Some(own)) if *s == own => own,
            (None, _, Some(own)) => own,
            (None, true, None) => r
                .org
                .units()
                .find(|u| u.kind == UnitKind::Street)
                .map(|u| u.code.clone())
                .ok_or_else(|| AppError::invalid("street", "本区没有街道"))?,
            _ => return Err(AppError::Forbidden("只能查看本街道的巡查覆盖".into())),
        };
        if r.org.get(&street).is_none_or(|u| u.kind != UnitKind::Street) {
            return Err(AppError::invalid("street", "街道不存在"));
        }
        if to <= from || to - from > chrono::Duration::days(366) {
            return Err(AppError::invalid("to", "时间段须在一年以内，且结束晚于开始"));
        }
        let grids: Vec<&yiwang_core::org::Unit> = r
            .org
            .in_tree_order()
            .into_iter()
            .map(|(u, _)| u)
            .filter(|u| u.kind == UnitKind::Grid && r.org.street_of(&u.code).is_some_and(|s| s.code == street))
            .collect();
        let q = CaseQuery {
            kind: Some(PatrolKind::NAME),
            areas: grids.iter().map(|g| g.code.clone()).collect(),
            opened_from: Some(from),
            opened_to: Some(to),
            limit: COVERAGE_PATROLS_MAX,
            ..Default::default()
        };
        let rows = self.store.list_cases(&q)?.rows;
        let mut names = std::collections::HashMap::new();
        let mut out: Vec<GridCoverage> = grids
            .iter()
            .map(|g| GridCoverage {
                grid: g.code.clone(),
                grid_name: g.name.clone(),
                community_name: g.parent.as_ref().map(|c| r.unit_name(c)).unwrap_or_default(),
                patrols: 0,
                minutes: 0,
                metres: 0.0,
                fixed: 0,
                reported: 0,
                last_started: None,
                last_patrol: None,
                workers: vec![],
            })
            .collect();
        for row in rows {
            let Some(g) = out.iter_mut().find(|g| Some(&g.grid) == row.unit.as_ref()) else { continue };
            let d: PatrolDetail = serde_json::from_str(&row.detail)
                .map_err(|e| AppError::Internal(format!("patrol {}: unreadable detail: {e}", row.id)))?;
            g.patrols += 1;
            g.minutes += d.minutes;
            g.metres += d.metres;
            g.fixed += d.fixed as u32;
            g.reported += d.reported as u32;
            if g.last_started < Some(row.opened_at) {
                g.last_started = Some(row.opened_at);
                g.last_patrol = Some(row.id.clone());
            }
            if !names.contains_key(&d.worker) {
                let name = self.store.staff(&d.worker)?.map(|s| s.name).unwrap_or_else(|| d.worker.to_string());
                names.insert(d.worker.clone(), name);
            }
            let name = &names[&d.worker];
            if !g.workers.contains(name) {
                g.workers.push(name.clone());
            }
        }
        Ok(Coverage {
            street_name: r.unit_name(&street),
            street,
            from,
            to,
            covered: out.iter().filter(|g| g.patrols > 0).count(),
            grids: out,
        })
    }
}
