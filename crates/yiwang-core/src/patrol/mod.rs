//! The patrol (网格巡查): a grid worker walks their grid (全科网格, 路长制), the phone
//! records the route, and each problem found is either put right on the spot
//! (已当场处置, kept on the patrol) or reported for dispatch (上报, which opens an
//! appeal through the grid-patrol channel and is linked here). A patrol is a case of
//! its own kind: its route and its problems are events on its chain, and the street
//! sees its grids' coverage from them.
//!
//! Its life: started by the grid's worker → route points and problems → ended by the
//! worker, or by the system once it has run `MAX_HOURS` (a patrol left running on a
//! phone in a pocket).

mod decide;
mod event;
mod kind;
mod state;

pub use decide::{decide, open, sees_all};
pub use event::{PatrolEnvelope, PatrolEvent};
pub use kind::{PatrolDetail, PatrolKind};
pub use state::{Patrol, PatrolStatus, Problem, RoutePoint, evolve};

use crate::appeal::Point;
use crate::id::CaseId;

/// A patrol still running this long after it started is ended by the system.
pub const MAX_HOURS: i64 = 12;
/// Most route points one `Track` carries (a phone sends them in batches).
pub const POINTS_PER_BATCH: usize = 500;
/// Most photos of one problem, as an appeal takes.
pub const PHOTOS_MAX: usize = 3;
/// The longest description of a problem, in characters.
pub const PROBLEM_TEXT_MAX: usize = 1000;

/// What a grid worker does on a patrol. The problems reported for dispatch reach here
/// through the app, which opens their appeal first (`Reported`).
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Route points recorded by the phone since the last batch, oldest first.
    Track { points: Vec<RoutePoint> },
    /// 已当场处置: a problem put right on the spot.
    Fixed { text: String, point: Option<Point>, photos: Vec<String> },
    /// 上报: a problem sent for dispatch as the appeal `case`.
    Reported { case: CaseId, text: String, point: Option<Point>, photos: Vec<String> },
    /// 结束巡查.
    End,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Track { .. } => "track",
            Command::Fixed { .. } => "fixed",
            Command::Reported { .. } => "reported",
            Command::End => "end",
        }
    }
}
