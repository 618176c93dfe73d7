//! The patrol's rules: only a grid's worker patrols it, and only the worker who
//! started a patrol records on it.

use super::event::PatrolEvent;
use super::state::{Patrol, PatrolStatus};
use super::{Command, MAX_HOURS, PHOTOS_MAX, POINTS_PER_BATCH, PROBLEM_TEXT_MAX};
use crate::appeal::Point;
use crate::case::{Context, Refusal, text};
use crate::id::InvalidValue;
use crate::org::{Actor, Role, UnitKind};

type Decision = Result<Vec<PatrolEvent>, Refusal>;

fn invalid(field: &'static str, rule: &'static str) -> Refusal {
    Refusal::Invalid(InvalidValue { field, rule })
}

/// Who sees every patrol: the 12345 centre and district leaders. A street sees its
/// grids' patrols through their access (the grid, its community, its street).
pub fn sees_all(actor: &Actor) -> bool {
    matches!(actor, Actor::Staff { unit_kind, roles, .. }
        if *unit_kind == UnitKind::Centre || roles.contains(&Role::Leader))
}

/// 开始巡查: a grid worker starts a patrol of their own grid.
pub fn open(ctx: &Context<'_>) -> Decision {
    let Actor::Staff { username, unit, unit_kind: UnitKind::Grid, roles } = ctx.actor else {
        return Err(Refusal::Forbidden { action: "start", why: "只有网格员可以开始巡查" });
    };
    if !roles.contains(&Role::GridWorker) {
        return Err(Refusal::Forbidden { action: "start", why: "只有网格员可以开始巡查" });
    }
    let areas = ctx
        .org
        .ancestry(unit)
        .filter(|u| matches!(u.kind, UnitKind::Grid | UnitKind::Community | UnitKind::Street))
        .map(|u| u.code.clone())
        .collect::<Vec<_>>();
    if areas.is_empty() {
        return Err(Refusal::UnknownUnit(unit.clone()));
    }
    Ok(vec![PatrolEvent::Started { grid: unit.clone(), areas, worker: username.clone() }])
}

fn problem(t: &str, point: &Option<Point>, photos: &[String]) -> Result<(String, Option<Point>), Refusal> {
    let t = text("text", t, PROBLEM_TEXT_MAX)?;
    let point = point.map(|p| Point::parse(p.lon, p.lat).map_err(Refusal::Invalid)).transpose()?;
    if photos.len() > PHOTOS_MAX {
        return Err(invalid("photos", "每个问题最多 3 张照片"));
    }
    Ok((t, point))
}

/// Decides a command on a patrol.
pub fn decide(s: &Patrol, cmd: &Command, ctx: &Context<'_>) -> Decision {
    let action = cmd.name();
    if s.status == PatrolStatus::Ended {
        return Err(Refusal::CaseClosed("巡查已结束"));
    }
    if !matches!(ctx.actor, Actor::Staff { username, .. } if *username == s.worker) {
        return Err(Refusal::Forbidden { action, why: "只有开始这次巡查的网格员可以记录" });
    }
    match cmd {
        Command::Track { points } => {
            if points.is_empty() {
                return Ok(vec![]);
            }
            if points.len() > POINTS_PER_BATCH {
                return Err(invalid("points", "一次最多上传 500 个轨迹点"));
            }
            // In order, within the patrol's time (a minute's slack for phone clocks).
            let slack = chrono::Duration::minutes(1);
            let mut last = s.route.last().map_or(s.started_at - slack, |p| p.at);
            for p in points {
                Point::parse(p.lon, p.lat).map_err(|_| invalid("points", "经度应在±180以内，纬度应在±90以内"))?;
                if p.at < last || p.at > ctx.now + slack {
                    return Err(invalid("points", "轨迹点的时间须按先后排列，且在巡查期间"));
                }
                last = p.at;
            }
            Ok(vec![PatrolEvent::Tracked { points: points.clone() }])
        }
        Command::Fixed { text: t, point, photos } => {
            let (text, point) = problem(t, point, photos)?;
            Ok(vec![PatrolEvent::ProblemFixed { text, point, photos: photos.clone() }])
        }
        Command::Reported { case, text: t, point, photos } => {
            let (text, point) = problem(t, point, photos)?;
            Ok(vec![PatrolEvent::ProblemReported { case: case.clone(), text, point, photos: photos.clone() }])
        }
        Command::End => Ok(vec![PatrolEvent::Ended { by_system: false }]),
    }
}

/// What the scheduler records: a patrol still running `MAX_HOURS` after its start is
/// ended.
pub fn alarms(s: &Patrol, ctx: &Context<'_>) -> Vec<PatrolEvent> {
    if s.is_open() && ctx.now >= s.started_at + chrono::Duration::hours(MAX_HOURS) {
        vec![PatrolEvent::Ended { by_system: true }]
    } else {
        vec![]
    }
}
