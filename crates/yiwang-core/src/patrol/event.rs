//! A patrol's events. Stored as JSON and hashed: never rename or remove a field or
//! variant; add fields with `#[serde(default)]`.

use super::RoutePoint;
use crate::appeal::Point;
use crate::id::{CaseId, UnitCode, Username};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PatrolEvent {
    /// 开始巡查 in `grid` (`areas`: the grid, its community and its street, which see it).
    Started { grid: UnitCode, areas: Vec<UnitCode>, worker: Username },
    /// Route points, oldest first.
    Tracked { points: Vec<RoutePoint> },
    /// A problem put right on the spot (已当场处置).
    ProblemFixed {
        text: String,
        #[serde(default)]
        point: Option<Point>,
        #[serde(default)]
        photos: Vec<String>,
    },
    /// A problem reported for dispatch, as the appeal `case` (上报).
    ProblemReported {
        case: CaseId,
        text: String,
        #[serde(default)]
        point: Option<Point>,
        #[serde(default)]
        photos: Vec<String>,
    },
    /// 结束巡查; `by_system` when it ran past its time.
    Ended {
        #[serde(default)]
        by_system: bool,
    },
}

impl PatrolEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Started { .. } => "started",
            Self::Tracked { .. } => "tracked",
            Self::ProblemFixed { .. } => "problem_fixed",
            Self::ProblemReported { .. } => "problem_reported",
            Self::Ended { .. } => "ended",
        }
    }

    /// A one-line Chinese description for timelines.
    pub fn summary(&self) -> String {
        match self {
            Self::Started { grid, .. } => format!("开始巡查 {grid}"),
            Self::Tracked { points } => format!("记录轨迹 {} 个点", points.len()),
            Self::ProblemFixed { text, .. } => format!("当场处置：{text}"),
            Self::ProblemReported { case, text, .. } => format!("上报 {case}：{text}"),
            Self::Ended { by_system: false } => "结束巡查".into(),
            Self::Ended { by_system: true } => format!("巡查超过 {} 小时未结束，系统自动结束", super::MAX_HOURS),
        }
    }
}

pub type PatrolEnvelope = crate::case::Envelope<PatrolEvent>;
