//! What happened to a bundle. Each event carries what was decided when it happened
//! (the definition whole, the parts chosen, the clocks with their deadlines), so
//! `evolve` needs no calendar and makes no decisions.

use super::{BundleClock, BundleDef, Clock, PartOutcome};
use crate::application::{Channel, Enterprise, Provided};
use crate::id::{CaseId, PersonId, UnitCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A part chosen at filing: the service and the version its application is filed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChosenPart {
    pub service: String,
    pub version: u32,
    pub name: String,
    pub department: UnitCode,
}

// The filing is large (the answers, the form, two clocks) and happens once per bundle;
// boxing it would save little and make every match on it noisier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BundleEvent {
    /// 一件事收件: the definition as it stood, the answers and the parts they chose,
    /// the shared form and the materials once, and both clocks started.
    BundleFiled {
        bundle: Box<BundleDef>,
        channel: Channel,
        #[serde(default)]
        enterprise: Option<Enterprise>,
        answers: BTreeMap<String, String>,
        form: BTreeMap<String, String>,
        materials: Vec<Provided>,
        parts: Vec<ChosenPart>,
        #[serde(default)]
        area: Option<UnitCode>,
        #[serde(default)]
        tracking_code: Option<String>,
        #[serde(default)]
        person: Option<PersonId>,
        #[serde(default)]
        registered_by: Option<UnitCode>,
        promised_clock: Clock,
        legal_clock: Clock,
    },
    /// A part's application was opened.
    PartOpened {
        part: String,
        case: CaseId,
    },
    /// A part ended (or was refused).
    PartEnded {
        part: String,
        outcome: PartOutcome,
    },
    /// The refusal rule stopped the bundle, or the applicant withdrew it: the parts
    /// not yet decided end. `part` is the refused one.
    Stopped {
        #[serde(default)]
        part: Option<String>,
        reason: String,
    },
    /// Every part has its outcome: the bundle ends. `on_time` against its promise.
    Completed {
        all_done: bool,
        on_time: bool,
    },
    /// §42 para 2's extension, approved by the government's head.
    Extended {
        days: u32,
        reason: String,
        clock: Clock,
    },
    ClockWarned {
        clock: BundleClock,
        due: DateTime<Utc>,
    },
    ClockOverdue {
        clock: BundleClock,
        due: DateTime<Utc>,
    },
}

impl BundleEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::BundleFiled { .. } => "bundle_filed",
            Self::PartOpened { .. } => "bundle_part_opened",
            Self::PartEnded { .. } => "bundle_part_ended",
            Self::Stopped { .. } => "bundle_stopped",
            Self::Completed { .. } => "bundle_completed",
            Self::Extended { .. } => "bundle_extended",
            Self::ClockWarned { .. } => "bundle_clock_warned",
            Self::ClockOverdue { .. } => "bundle_clock_overdue",
        }
    }

    /// A one-line Chinese description for timelines, parts named by `name` (their
    /// services' names).
    pub fn summary(&self, name: impl Fn(&str) -> String) -> String {
        use crate::deadline::ClockName;
        match self {
            Self::BundleFiled { bundle, parts, .. } => format!("一件事收件：{}（{} 个事项）", bundle.name, parts.len()),
            Self::PartOpened { part, case } => format!("“{}”已分送部门办理（{case}）", name(part)),
            Self::PartEnded { part, outcome } => format!("“{}”：{}", name(part), outcome.label()),
            Self::Stopped { reason, .. } => format!("一件事终止：{reason}"),
            Self::Completed { all_done: true, .. } => "全部事项办结".into(),
            Self::Completed { .. } => "各事项均已结束（部分未获准予）".into(),
            Self::Extended { days, .. } => format!("经政府负责人批准，联合办理时限延长 {days} 个工作日"),
            Self::ClockWarned { clock, .. } => format!("{}即将届满（黄灯）", clock.label()),
            Self::ClockOverdue { clock, .. } => format!("{}已超期（红灯）", clock.label()),
        }
    }
}

/// A bundle's event as recorded.
pub type BundleEnvelope = crate::case::Envelope<BundleEvent>;
