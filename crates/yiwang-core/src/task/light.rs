//! The traffic light (红黄绿灯): a task's standing, from the time gone against the
//! progress made. The rule, for a task handed over at `start` and due at the end of
//! its deadline's day, with `p` the accepted value's share of the target
//! (`Target::progress`):
//!
//! - a task whose target is met is **green**;
//! - once its deadline has passed unmet, it is **red**;
//! - a ceiling (不超过, 控制在…以内) is red once an accepted value is over it, yellow
//!   while nothing is accepted after half the time, and green otherwise;
//! - otherwise the expected share at `now` is that of the last milestone whose day
//!   has ended (0 before the first), or, without milestones, the share of the time
//!   gone, `(now - start) / (due - start)`. With `gap = expected - p`: green while
//!   `gap ≤ 0.10`, yellow while `gap ≤ 0.25`, red beyond.
//!
//! The light only worsens as time passes (progress moves it back), so the scheduler
//! is woken at the first instant it would change (`next_change`) and records the new
//! light; an accepted report records the light as it stands after it.

use super::state::Task;
use super::{Direction, Milestone};
use crate::Instant;
use serde::{Deserialize, Serialize};

/// 红黄绿灯.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Light {
    #[default]
    Green,
    Yellow,
    Red,
}

impl Light {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Green => "green",
            Self::Yellow => "yellow",
            Self::Red => "red",
        }
    }
    pub fn parse(s: &str) -> Option<Light> {
        [Self::Green, Self::Yellow, Self::Red].into_iter().find(|l| l.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Green => "绿灯",
            Self::Yellow => "黄灯",
            Self::Red => "红灯",
        }
    }
    pub fn stage(self) -> crate::deadline::Stage {
        match self {
            Self::Green => crate::deadline::Stage::Green,
            Self::Yellow => crate::deadline::Stage::Yellow,
            Self::Red => crate::deadline::Stage::Red,
        }
    }
}

/// Behind by at most this share: green.
pub const GREEN_GAP: f64 = 0.10;
/// Behind by at most this share: yellow; beyond it, red.
pub const YELLOW_GAP: f64 = 0.25;

/// The light of task `t` at `now` (see the module's rule).
pub fn light(t: &Task, now: Instant) -> Light {
    let achieved = t.achieved();
    if achieved.is_some_and(|a| t.target.met_by(a)) {
        return Light::Green;
    }
    let (start, due) = (t.start(), t.due());
    if now >= due {
        return Light::Red;
    }
    let gone = share_of_time(start, due, now);
    if t.target.direction == Direction::AtMost {
        return match achieved {
            Some(_) => Light::Red,
            None if gone >= 0.5 => Light::Yellow,
            None => Light::Green,
        };
    }
    let p = achieved.map(|a| t.target.progress(a)).unwrap_or(0.0);
    let expected = if t.milestones.is_empty() { gone } else { milestone_share(&t.milestones, now) };
    let gap = expected - p;
    if gap <= GREEN_GAP + 1e-12 {
        Light::Green
    } else if gap <= YELLOW_GAP + 1e-12 {
        Light::Yellow
    } else {
        Light::Red
    }
}

fn share_of_time(start: Instant, due: Instant, now: Instant) -> f64 {
    let span = (due - start).num_milliseconds();
    if span <= 0 {
        return 1.0;
    }
    ((now - start).num_milliseconds() as f64 / span as f64).clamp(0.0, 1.0)
}

/// The share of the last milestone whose day has ended by `now`.
fn milestone_share(milestones: &[Milestone], now: Instant) -> f64 {
    milestones.iter().filter(|m| m.ends() <= now).map(|m| m.share).fold(0.0, f64::max)
}

/// The first instant at or after `from` at which `t`'s light differs from the light
/// it has recorded, as time passes with nothing else happening: `from` itself when it
/// differs already, else the next threshold crossed, milestone ended or deadline.
pub fn next_change(t: &Task, from: Instant) -> Option<Instant> {
    if !t.is_open() {
        return None;
    }
    let (start, due) = (t.start(), t.due());
    let mut candidates = vec![from, due];
    candidates.extend(t.milestones.iter().map(Milestone::ends));
    let span = (due - start).num_milliseconds() as f64;
    let p = t.achieved().map(|a| t.target.progress(a)).unwrap_or(0.0);
    // Without milestones the expected share grows with time: the instants it passes
    // each threshold, and half the time for a ceiling.
    for share in [p + GREEN_GAP, p + YELLOW_GAP, 0.5] {
        if (0.0..1.0).contains(&share) {
            let at = start + chrono::Duration::milliseconds((span * share).ceil() as i64 + 1);
            candidates.push(at);
        }
    }
    candidates.sort();
    candidates.into_iter().filter(|c| *c >= from).find(|c| light(t, *c) != t.light)
}
