//! 差评整改: a bad rating (差评) of an application, followed up by the department that
//! handled it — verified, put right and answered to the applicant within the
//! district's period (`[application] bad_rating_days`, 15 working days by default, the
//! common provincial rule; GB/T 39734-2020 §9.2–9.3) — and called back every time the
//! applicant gave their name. A department that finds a rating unfounded appeals to
//! the centre (申诉), which decides: upheld, the rating is set aside (差评无效) and
//! counts nowhere; refused, the department puts it right.
//!
//! A case of its own kind, opened by the app when an application is rated 不满意 or
//! 非常不满意, not the 整改 of 一网通管.

mod decide;
mod event;
mod kind;
mod state;

pub use decide::{alarms, decide, open, sees_all};
pub use event::{FixEnvelope, FixEvent};
pub use kind::{FACT_FIXED, FixDetail, RatingFixKind};
pub use state::{Fix, FixStatus, evolve};

use crate::application::Rating;
use crate::deadline::ClockName;
use crate::id::{CaseId, UnitCode};
use serde::{Deserialize, Serialize};

/// The one clock: from the rating to the department's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FixClock {
    Answer,
}

impl ClockName for FixClock {
    fn label(self) -> &'static str {
        "整改答复"
    }
}

pub type Clock = crate::deadline::Clock<FixClock>;

/// What opens a 差评整改: the rated application as it stood.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFix {
    pub application: CaseId,
    pub service: String,
    pub service_name: String,
    pub department: UnitCode,
    pub rating: Rating,
    pub comment: String,
    pub named: bool,
}

/// What people do with a 差评整改: `{"action": "verify", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// Named apart in the OpenAPI document: the task's, the 差评整改's and the
// application's commands would otherwise all be `Command`, and one would hide the others.
#[cfg_attr(feature = "openapi", schema(as = FixCommand))]
pub enum Command {
    /// 核实, by the department: founded, or not (which appeals to the centre).
    Verify { founded: bool, finding: String },
    /// The centre's decision on the department's appeal: `upheld` sets the rating aside.
    DecideAppeal { upheld: bool, note: String },
    /// 整改 and 答复: what was put right, and what the applicant is told.
    Answer { measures: String, reply: String },
    /// 回访 of a named rating, by the centre.
    CallBack { satisfied: bool, note: Option<String> },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Verify { .. } => "verify",
            Self::DecideAppeal { .. } => "decide_appeal",
            Self::Answer { .. } => "answer",
            Self::CallBack { .. } => "call_back",
        }
    }
}
