//! A patrol's state, folded from its events.

use super::event::{PatrolEnvelope, PatrolEvent};
use crate::appeal::Point;
use crate::id::{CaseId, UnitCode, Username};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PatrolStatus {
    /// 巡查中
    Active,
    /// 已结束
    Ended,
}

impl PatrolStatus {
    pub const ALL: [PatrolStatus; 2] = [Self::Active, Self::Ended];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Ended => "ended",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "巡查中",
            Self::Ended => "已结束",
        }
    }
}

/// Where the worker was, and when.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoutePoint {
    pub lon: f64,
    pub lat: f64,
    pub at: DateTime<Utc>,
}

impl RoutePoint {
    /// Metres to another point along the earth's surface (haversine).
    pub fn metres_to(&self, o: &RoutePoint) -> f64 {
        let r = 6_371_000.0_f64;
        let (la1, la2) = (self.lat.to_radians(), o.lat.to_radians());
        let (dla, dlo) = ((o.lat - self.lat).to_radians(), (o.lon - self.lon).to_radians());
        let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        2.0 * r * h.sqrt().min(1.0).asin()
    }
}

/// A problem found on the patrol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    pub at: DateTime<Utc>,
    pub text: String,
    pub point: Option<Point>,
    pub photos: Vec<String>,
    /// Put right on the spot; otherwise reported as `case`.
    pub fixed: bool,
    pub case: Option<CaseId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Patrol {
    pub id: CaseId,
    pub status: PatrolStatus,
    pub grid: UnitCode,
    /// The grid, its community and its street: who sees the patrol.
    pub areas: Vec<UnitCode>,
    pub worker: Username,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Ended by the system after `MAX_HOURS`.
    pub auto_ended: bool,
    pub route: Vec<RoutePoint>,
    /// The route's length in metres.
    pub metres: f64,
    pub problems: Vec<Problem>,
    pub updated_at: DateTime<Utc>,
    pub version: u32,
}

impl Patrol {
    pub fn is_open(&self) -> bool {
        self.status == PatrolStatus::Active
    }
    /// Minutes from start to end (or to the last event while it runs).
    pub fn minutes(&self) -> i64 {
        (self.ended_at.unwrap_or(self.updated_at) - self.started_at).num_minutes().max(0)
    }
    /// When the system ends it if the worker does not.
    pub fn ends_by(&self) -> DateTime<Utc> {
        self.started_at + chrono::Duration::hours(super::MAX_HOURS)
    }
    pub fn fixed(&self) -> usize {
        self.problems.iter().filter(|p| p.fixed).count()
    }
    pub fn reported(&self) -> usize {
        self.problems.iter().filter(|p| !p.fixed).count()
    }
}

/// Folds one event into the state; never panics (an import reaches it unchecked).
pub fn evolve(state: Option<Patrol>, env: &PatrolEnvelope) -> Option<Patrol> {
    let at = env.at;
    if let PatrolEvent::Started { grid, areas, worker } = &env.event {
        return Some(Patrol {
            id: env.case.clone(),
            status: PatrolStatus::Active,
            grid: grid.clone(),
            areas: areas.clone(),
            worker: worker.clone(),
            started_at: at,
            ended_at: None,
            auto_ended: false,
            route: vec![],
            metres: 0.0,
            problems: vec![],
            updated_at: at,
            version: env.seq,
        });
    }
    let mut s = state?;
    s.version = env.seq;
    s.updated_at = at;
    match &env.event {
        PatrolEvent::Started { .. } => {}
        PatrolEvent::Tracked { points } => {
            for p in points {
                if let Some(last) = s.route.last() {
                    s.metres += last.metres_to(p);
                }
                s.route.push(*p);
            }
        }
        PatrolEvent::ProblemFixed { text, point, photos } => s.problems.push(Problem {
            at,
            text: text.clone(),
            point: *point,
            photos: photos.clone(),
            fixed: true,
            case: None,
        }),
        PatrolEvent::ProblemReported { case, text, point, photos } => s.problems.push(Problem {
            at,
            text: text.clone(),
            point: *point,
            photos: photos.clone(),
            fixed: false,
            case: Some(case.clone()),
        }),
        PatrolEvent::Ended { by_system } => {
            s.status = PatrolStatus::Ended;
            s.ended_at = Some(at);
            s.auto_ended = *by_system;
        }
    }
    Some(s)
}
