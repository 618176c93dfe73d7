//! The grade a task's result gets at 销号 (考核等次), by one documented rule of three
//! things: the target met, on time, and with evidence.
//!
//! A task is closed off only when its accepted value meets the target and the report
//! that showed it carries evidence (`decide` refuses otherwise). Then:
//!
//! - **优秀**: met by the original deadline, without an extension, without a 督办通知,
//!   and every milestone reached by its day;
//! - **良好**: met by the deadline in force (an approved extension, a notice or a
//!   milestone missed along the way);
//! - **合格**: met, but after the deadline in force;
//! - **不合格**: concluded unmet (结项, 逾期未完成).
//!
//! "Met" is the time the report that first showed the target met was made, not the
//! time it was reviewed, so a slow review does not cost the unit its grade.

use super::state::Task;
use crate::Instant;
use serde::{Deserialize, Serialize};

/// 考核等次.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Grade {
    Excellent,
    Good,
    Pass,
    Fail,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Excellent => "excellent",
            Self::Good => "good",
            Self::Pass => "pass",
            Self::Fail => "fail",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Excellent => "优秀",
            Self::Good => "良好",
            Self::Pass => "合格",
            Self::Fail => "不合格",
        }
    }
}

/// When the target was first shown met, and whether that report carried evidence:
/// the accepted reports in order, the value they add up to after each.
pub fn met_at(t: &Task) -> Option<(Instant, bool)> {
    let mut shown = t.clone();
    for (i, r) in t.reports.iter().enumerate() {
        if !r.accepted() {
            continue;
        }
        // The state as it was once this report was accepted.
        shown.reports = t.reports[..=i].iter().filter(|x| x.accepted()).cloned().collect();
        if shown.met() {
            return Some((r.at, !r.evidence.is_empty()));
        }
    }
    None
}

/// The grade of task `t` closed off now (see the module's rule), and whether it was
/// met on time; `None` while it may not be closed off (unmet, or met without evidence).
pub fn grade(t: &Task) -> Option<(Grade, bool)> {
    let (at, evidence) = met_at(t)?;
    if !evidence {
        return None;
    }
    let on_time = at <= t.due();
    let clean = at <= super::end_of(t.original_deadline)
        && t.extensions == 0
        && t.notices.is_empty()
        && t.milestones.iter().all(|m| milestone_reached(t, m.date, m.share));
    let grade = match (on_time, clean) {
        (true, true) => Grade::Excellent,
        (true, false) => Grade::Good,
        (false, _) => Grade::Pass,
    };
    Some((grade, on_time))
}

/// Whether an accepted report made by the end of `date` showed at least `share` of
/// the target.
fn milestone_reached(t: &Task, date: chrono::NaiveDate, share: f64) -> bool {
    let ends = super::end_of(date);
    let mut shown = t.clone();
    shown.reports = t.reports.iter().filter(|r| r.accepted() && r.at <= ends).cloned().collect();
    shown.achieved().is_some_and(|a| t.target.progress(a) + 1e-9 >= share)
}
