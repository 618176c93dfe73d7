//! What happened to a 差评整改.

use super::{Clock, FixClock};
use crate::application::Rating;
use crate::id::{CaseId, UnitCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FixEvent {
    /// The bad rating, with the application it is about; the answer clock starts.
    FixOpened {
        application: CaseId,
        service: String,
        service_name: String,
        department: UnitCode,
        rating: Rating,
        comment: String,
        named: bool,
        #[serde(default)]
        person: Option<crate::id::PersonId>,
        answer_clock: Clock,
    },
    Verified {
        founded: bool,
        finding: String,
    },
    AppealDecided {
        upheld: bool,
        note: String,
    },
    /// 整改 and 答复; `closes` unless a named rating waits for its callback.
    FixAnswered {
        measures: String,
        reply: String,
        on_time: bool,
    },
    CalledBack {
        satisfied: bool,
        #[serde(default)]
        note: Option<String>,
    },
    FixClockWarned {
        clock: FixClock,
        due: DateTime<Utc>,
    },
    FixClockOverdue {
        clock: FixClock,
        due: DateTime<Utc>,
    },
}

impl FixEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::FixOpened { .. } => "fix_opened",
            Self::Verified { .. } => "fix_verified",
            Self::AppealDecided { .. } => "fix_appeal_decided",
            Self::FixAnswered { .. } => "fix_answered",
            Self::CalledBack { .. } => "fix_called_back",
            Self::FixClockWarned { .. } => "fix_clock_warned",
            Self::FixClockOverdue { .. } => "fix_clock_overdue",
        }
    }

    /// A one-line Chinese description for timelines.
    pub fn summary(&self) -> String {
        match self {
            Self::FixOpened { rating, service_name, .. } => format!("“{service_name}”收到差评：{}", rating.label()),
            Self::Verified { founded: true, .. } => "核实：差评属实".into(),
            Self::Verified { founded: false, .. } => "核实：差评不属实，向中心申诉".into(),
            Self::AppealDecided { upheld: true, .. } => "中心认定差评无效".into(),
            Self::AppealDecided { upheld: false, .. } => "中心不支持申诉，须整改".into(),
            Self::FixAnswered { on_time: true, .. } => "整改并答复申请人".into(),
            Self::FixAnswered { on_time: false, .. } => "整改并答复申请人（逾期）".into(),
            Self::CalledBack { satisfied: true, .. } => "回访：申请人认可整改".into(),
            Self::CalledBack { satisfied: false, .. } => "回访：申请人仍不满意".into(),
            Self::FixClockWarned { .. } => "整改答复即将届满（黄灯）".into(),
            Self::FixClockOverdue { .. } => "整改答复已超期（红灯）".into(),
        }
    }
}

pub type FixEnvelope = crate::case::Envelope<FixEvent>;
