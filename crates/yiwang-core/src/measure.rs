//! The measures every unit is ranked by each month (三率), defined here once.
//!
//! - **响应率 (response rate)** = dispatches to the unit in the month that were signed
//!   for within the sign-for limit *and* whose citizen was contacted within the contact
//!   limit ÷ dispatches to the unit in the month.
//! - **解决率 (resolution rate)** = callbacks in the month answered "solved" ÷ callbacks
//!   in the month, for cases the unit held.
//! - **满意率 (satisfaction rate)** = (满意 + 0.8 × 基本满意) ÷ callbacks in the month.
//!   The weight of 基本满意 is [`BASICALLY_SATISFIED_WEIGHT`].
//! - **按期办结率 (on-time rate)** = replies in the month made before the resolve
//!   deadline (extensions included) ÷ replies in the month.
//! - **综合得分 (score)** ranks units: 10 % response, 45 % resolution, 45 % satisfaction,
//!   the weights Beijing's 接诉即办 assessment uses.
//!
//! A month is a calendar month in China Standard Time. A dispatch counts in the month
//! it was made, a reply and a callback in the month they happened.

use crate::Instant;
use crate::appeal::{Appeal, Satisfaction};
use crate::calendar::china_tz;
use crate::case::Fact;
use crate::id::UnitCode;
use serde::{Deserialize, Serialize};

pub const BASICALLY_SATISFIED_WEIGHT: f64 = 0.8;
pub const SCORE_WEIGHTS: (f64, f64, f64) = (0.10, 0.45, 0.45);

/// `YYYY-MM` of an instant in China.
pub fn month_of(t: Instant) -> String {
    t.with_timezone(&china_tz()).format("%Y-%m").to_string()
}

/// Validates a `YYYY-MM` month.
pub fn parse_month(s: &str) -> Option<String> {
    let (y, m) = s.split_once('-')?;
    let (y, m): (u32, u32) = (y.parse().ok()?, m.parse().ok()?);
    ((2000..3000).contains(&y) && (1..=12).contains(&m) && s.len() == 7).then(|| s.to_owned())
}

/// The instants a `YYYY-MM` month starts and ends (exclusive) in China.
pub fn month_bounds(month: &str) -> Option<(Instant, Instant)> {
    let m = parse_month(month)?;
    let (y, mo): (i32, u32) = (m[..4].parse().ok()?, m[5..].parse().ok()?);
    let start = chrono::NaiveDate::from_ymd_opt(y, mo, 1)?;
    let next = if mo == 12 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        chrono::NaiveDate::from_ymd_opt(y, mo + 1, 1)?
    };
    Some((crate::calendar::day_start(start), crate::calendar::day_start(next)))
}

/// An appeal's countable facts, as the engine counts them (`case::Fact`): a dispatch
/// responded to in time or not, a reply on time or not, a callback solved or not with
/// its satisfaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    Dispatch { responded: bool },
    Reply { on_time: bool },
    Callback { solved: bool, satisfaction: Satisfaction },
}

impl FactKind {
    /// The fact as the engine counts it: its name, flag and value.
    pub fn parts(self) -> (&'static str, bool, &'static str) {
        match self {
            FactKind::Dispatch { responded } => ("dispatch", responded, ""),
            FactKind::Reply { on_time } => ("reply", on_time, ""),
            FactKind::Callback { solved, satisfaction } => ("callback", solved, satisfaction.as_str()),
        }
    }

    /// The appeal's fact with these parts, if it is one.
    pub fn from_parts(name: &str, flag: bool, value: &str) -> Option<FactKind> {
        match name {
            "dispatch" => Some(FactKind::Dispatch { responded: flag }),
            "reply" => Some(FactKind::Reply { on_time: flag }),
            "callback" => Some(FactKind::Callback { solved: flag, satisfaction: Satisfaction::parse(value)? }),
            _ => None,
        }
    }

    fn fact(self, unit: &UnitCode, at: Instant) -> Fact {
        let (name, flag, value) = self.parts();
        Fact { unit: unit.clone(), month: month_of(at), name, flag, value: value.to_owned() }
    }
}

/// The facts of one appeal, derived from its state (itself folded from its events).
pub fn facts(a: &Appeal) -> Vec<Fact> {
    let mut out = vec![];
    for asg in &a.assignments {
        let signed = asg.signed_at.is_some_and(|t| t <= asg.sign_due);
        let contacted = matches!((asg.contacted_at, asg.contact_due), (Some(t), Some(d)) if t <= d);
        out.push(FactKind::Dispatch { responded: signed && contacted }.fact(&asg.unit, asg.dispatched_at));
    }
    if let Some(r) = &a.reply {
        out.push(FactKind::Reply { on_time: r.on_time }.fact(&r.unit, r.at));
    }
    for cb in &a.callbacks {
        if let Some(u) = &cb.unit {
            out.push(FactKind::Callback { solved: cb.solved, satisfaction: cb.satisfaction }.fact(u, cb.at));
        }
    }
    out
}

/// Counts for one unit and month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tally {
    pub dispatched: u64,
    pub responded: u64,
    pub replied: u64,
    pub replied_on_time: u64,
    pub callbacks: u64,
    pub solved: u64,
    pub satisfied: u64,
    pub basically_satisfied: u64,
}

impl Tally {
    pub fn add(&mut self, k: FactKind) {
        self.add_many(k, 1);
    }
    /// Counts a fact of the engine's if it is one of the appeal's; says whether it was.
    pub fn add_fact(&mut self, f: &Fact) -> bool {
        match FactKind::from_parts(f.name, f.flag, &f.value) {
            Some(k) => {
                self.add(k);
                true
            }
            None => false,
        }
    }
    /// Counts `n` facts of one kind.
    pub fn add_many(&mut self, k: FactKind, n: u64) {
        match k {
            FactKind::Dispatch { responded } => {
                self.dispatched += n;
                self.responded += responded as u64 * n;
            }
            FactKind::Reply { on_time } => {
                self.replied += n;
                self.replied_on_time += on_time as u64 * n;
            }
            FactKind::Callback { solved, satisfaction } => {
                self.callbacks += n;
                self.solved += solved as u64 * n;
                match satisfaction {
                    Satisfaction::Satisfied => self.satisfied += n,
                    Satisfaction::BasicallySatisfied => self.basically_satisfied += n,
                    Satisfaction::Unsatisfied => {}
                }
            }
        }
    }
    pub fn merge(&mut self, o: &Tally) {
        self.dispatched += o.dispatched;
        self.responded += o.responded;
        self.replied += o.replied;
        self.replied_on_time += o.replied_on_time;
        self.callbacks += o.callbacks;
        self.solved += o.solved;
        self.satisfied += o.satisfied;
        self.basically_satisfied += o.basically_satisfied;
    }
    pub fn rates(&self) -> Rates {
        let ratio = |n: f64, d: u64| (d > 0).then(|| n / d as f64);
        let response = ratio(self.responded as f64, self.dispatched);
        let resolution = ratio(self.solved as f64, self.callbacks);
        let satisfaction =
            ratio(self.satisfied as f64 + BASICALLY_SATISFIED_WEIGHT * self.basically_satisfied as f64, self.callbacks);
        let on_time = ratio(self.replied_on_time as f64, self.replied);
        // A rate with nothing to measure does not count against the unit: its weight
        // is spread over the rates that exist.
        let parts = [(response, SCORE_WEIGHTS.0), (resolution, SCORE_WEIGHTS.1), (satisfaction, SCORE_WEIGHTS.2)];
        let wsum: f64 = parts.iter().filter(|(r, _)| r.is_some()).map(|(_, w)| w).sum();
        let score =
            (wsum > 0.0).then(|| parts.iter().filter_map(|(r, w)| r.map(|r| r * w)).sum::<f64>() / wsum * 100.0);
        Rates { response, resolution, satisfaction, on_time, score }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rates {
    pub response: Option<f64>,
    pub resolution: Option<f64>,
    pub satisfaction: Option<f64>,
    pub on_time: Option<f64>,
    /// 0–100.
    pub score: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_their_definitions() {
        let mut t = Tally::default();
        for k in [
            FactKind::Dispatch { responded: true },
            FactKind::Dispatch { responded: true },
            FactKind::Dispatch { responded: false },
            FactKind::Dispatch { responded: true },
            FactKind::Reply { on_time: true },
            FactKind::Reply { on_time: false },
            FactKind::Callback { solved: true, satisfaction: Satisfaction::Satisfied },
            FactKind::Callback { solved: true, satisfaction: Satisfaction::BasicallySatisfied },
            FactKind::Callback { solved: false, satisfaction: Satisfaction::Unsatisfied },
            FactKind::Callback { solved: true, satisfaction: Satisfaction::Satisfied },
        ] {
            t.add(k);
        }
        let r = t.rates();
        assert_eq!(r.response, Some(0.75));
        assert_eq!(r.resolution, Some(0.75));
        assert_eq!(r.satisfaction, Some((2.0 + 0.8) / 4.0));
        assert_eq!(r.on_time, Some(0.5));
        let score = r.score.unwrap();
        assert!((score - (0.1 * 0.75 + 0.45 * 0.75 + 0.45 * 0.7) * 100.0).abs() < 1e-9);
        assert_eq!(Tally::default().rates().score, None);
    }

    #[test]
    fn months_are_civil_months_in_china() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-10-31T17:00:00Z").unwrap().to_utc();
        assert_eq!(month_of(t), "2026-11");
        assert_eq!(parse_month("2026-11").as_deref(), Some("2026-11"));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("2026-1"), None);
    }
}
