//! The appeal (诉求, 12345 工单): a citizen's request from intake to callback.
//!
//! `decide(state, command, ctx) -> events` holds every rule: who may act, in which
//! state, before which deadline. `evolve(state, event) -> state` folds the record
//! into the current state and does nothing else, so a projection rebuilt from the
//! events is the state the rules saw.

mod command;
mod decide;
mod event;
mod kind;
mod limits;
mod state;

pub use crate::case::{Context, Refusal};
pub use command::{Action, CallbackAnswer, Intake, ReplyOutcome};
pub use decide::{NOTE_MAX, REPLY_PHOTOS_MAX, TEXT_MAX, alarms, can_view, decide, decide_intake};
pub use event::{AppealEvent, Envelope};
pub use kind::{AppealKind, Detail};
pub use limits::{AppealLimits, Clock, ClockKind, LimitKey, LimitOverride};
pub use state::{Appeal, Assignment, CallbackRecord, CoUnit, Outcome, PendingExtension, ReplyRecord, Status, evolve};

use serde::{Deserialize, Serialize};

/// 诉求类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AppealType {
    /// 咨询
    Consultation,
    /// 求助
    Help,
    /// 投诉
    Complaint,
    /// 举报
    Report,
    /// 建议
    Suggestion,
}

impl AppealType {
    pub const ALL: [AppealType; 5] = [Self::Consultation, Self::Help, Self::Complaint, Self::Report, Self::Suggestion];
    pub fn label(self) -> &'static str {
        match self {
            Self::Consultation => "咨询",
            Self::Help => "求助",
            Self::Complaint => "投诉",
            Self::Report => "举报",
            Self::Suggestion => "建议",
        }
    }
}

/// Where an appeal came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    /// 12345 热线电话, entered by an operator.
    Hotline,
    /// The citizen portal.
    Web,
    /// A mobile app (via the API).
    App,
    /// An Open311 GeoReport v2 client.
    Open311,
    /// A grid worker's patrol (网格巡查).
    GridPatrol,
    /// A batch import of another system's records.
    Import,
}

impl Channel {
    pub const ALL: [Channel; 6] = [Self::Hotline, Self::Web, Self::App, Self::Open311, Self::GridPatrol, Self::Import];
    /// The serde name (`grid_patrol`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hotline => "hotline",
            Self::Web => "web",
            Self::App => "app",
            Self::Open311 => "open311",
            Self::GridPatrol => "grid_patrol",
            Self::Import => "import",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Hotline => "热线电话",
            Self::Web => "网站",
            Self::App => "移动端",
            Self::Open311 => "Open311",
            Self::GridPatrol => "网格巡查",
            Self::Import => "批量导入",
        }
    }
}

/// A point in WGS84.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Point {
    pub lon: f64,
    pub lat: f64,
}

impl Point {
    pub fn parse(lon: f64, lat: f64) -> Result<Self, crate::id::InvalidValue> {
        if lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) {
            Ok(Point { lon, lat })
        } else {
            Err(crate::id::InvalidValue {
                field: "location.point", rule: "经度应在±180以内，纬度应在±90以内"
            })
        }
    }
}

/// Where the problem is: a point, an address, or both; and the area it falls in
/// (grid, or at least street) once known.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    #[serde(default)]
    pub point: Option<Point>,
    #[serde(default)]
    pub address: Option<String>,
    /// The smallest unit of area known to contain the location (grid, community or street).
    #[serde(default)]
    pub area: Option<crate::id::UnitCode>,
}

/// 满意度.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Satisfaction {
    /// 满意
    Satisfied,
    /// 基本满意
    BasicallySatisfied,
    /// 不满意
    Unsatisfied,
}

impl Satisfaction {
    pub const ALL: [Satisfaction; 3] = [Self::Satisfied, Self::BasicallySatisfied, Self::Unsatisfied];
    /// The serde name (`basically_satisfied`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Satisfied => "satisfied",
            Self::BasicallySatisfied => "basically_satisfied",
            Self::Unsatisfied => "unsatisfied",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Satisfied => "满意",
            Self::BasicallySatisfied => "基本满意",
            Self::Unsatisfied => "不满意",
        }
    }
}
