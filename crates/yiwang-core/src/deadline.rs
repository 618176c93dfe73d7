//! Time limits (时限) and the clocks that run against them.
//!
//! Defaults follow DB11/T 2021-2022 (Beijing's 12345 service standard) and common
//! practice: dispatch within 1 hour for emergencies, 2 hours for water, power, gas and
//! heat, 24 hours otherwise; contact the citizen within 24 hours of signing; resolve
//! consultations within 3 working days and other appeals within 15; call the citizen
//! back within 3 working days of the reply. Every limit can be overridden per category
//! and urgency.

use crate::calendar::Calendar;
use chrono::Duration;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Urgency {
    /// 一般
    Normal,
    /// 紧急
    Urgent,
    /// 特急: danger to life or property.
    Emergency,
}

impl Urgency {
    pub fn label(self) -> &'static str {
        match self {
            Self::Normal => "一般",
            Self::Urgent => "紧急",
            Self::Emergency => "特急",
        }
    }
}

/// What a kind calls its clocks (an appeal's 派单, 签收 …; a task's nodes). Each kind
/// has its own names; the arithmetic of a clock is the same for all of them.
pub trait ClockName:
    Copy + Eq + Ord + std::hash::Hash + std::fmt::Debug + Serialize + serde::de::DeserializeOwned + Send + Sync + 'static
{
    /// The clock's name for people (派单, 签收 …).
    fn label(self) -> &'static str;
}

/// A time budget: natural hours, or working days on the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Budget {
    Hours(u32),
    WorkingDays(u32),
    /// Natural days, rest days included (a month: `{ days = 30 }`).
    Days(u32),
}

impl Budget {
    /// The instant the budget runs out when started at `start`.
    pub fn due(self, cal: &Calendar, start: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Budget::Hours(h) => start + Duration::hours(h as i64),
            Budget::Days(d) => start + Duration::days(d as i64),
            Budget::WorkingDays(d) => cal.add_working(start, Duration::days(d as i64)),
        }
    }
    fn scaled(self, ratio: f64) -> Duration {
        let secs = match self {
            Budget::Hours(h) => h as f64 * 3600.0,
            Budget::WorkingDays(d) | Budget::Days(d) => d as f64 * 86400.0,
        };
        Duration::seconds((secs * ratio).round() as i64)
    }
    pub fn is_working(self) -> bool {
        matches!(self, Budget::WorkingDays(_))
    }
}

/// Green while time is left, yellow once the warning point has passed, red once the
/// deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Stage {
    #[default]
    Green,
    Yellow,
    Red,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Green, Stage::Yellow, Stage::Red];
    /// The serde name (`yellow`).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Green => "green",
            Stage::Yellow => "yellow",
            Stage::Red => "red",
        }
    }
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A running clock. Its instants are computed when it starts (and when it is paused,
/// resumed or extended) and written into the event, so the record shows the deadline
/// that applied at the time. `N` is the kind's name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "N: ClockName"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Clock<N> {
    pub kind: N,
    pub budget: Budget,
    pub started_at: DateTime<Utc>,
    pub warn_at: DateTime<Utc>,
    pub due: DateTime<Utc>,
    #[serde(default)]
    pub stage: Stage,
    /// Set while the clock is paused (waiting on the citizen).
    #[serde(default)]
    pub paused_at: Option<DateTime<Utc>>,
}

/// The running clocks of a case, at most one of each name, in name order: the same
/// bookkeeping for every kind.
pub trait Clocks<N: ClockName> {
    fn clock(&self, kind: N) -> Option<&Clock<N>>;
    fn clock_mut(&mut self, kind: N) -> Option<&mut Clock<N>>;
    /// Starts `c`, replacing a clock of its name.
    fn set_clock(&mut self, c: Clock<N>);
    fn stop_clock(&mut self, kind: N);
    /// Records that clock `kind` turned `stage` (a warning never takes a red clock
    /// back to yellow), as the scheduler's warned and overdue events say.
    fn mark(&mut self, kind: N, stage: Stage);
    /// The worst colour of any running clock.
    fn worst_stage(&self) -> Stage;
    /// The earliest instant any clock changes colour.
    fn next_alarm(&self) -> Option<DateTime<Utc>>;
    /// The deadline that matters now: the earliest due of the clocks not paused.
    fn next_due(&self) -> Option<DateTime<Utc>>;
    /// Whether the time left to `next_due` counts working days (the clock that gives
    /// it runs on a working-day budget) rather than natural hours.
    fn next_due_working(&self) -> bool;
}

impl<N: ClockName> Clocks<N> for Vec<Clock<N>> {
    fn clock(&self, kind: N) -> Option<&Clock<N>> {
        self.iter().find(|c| c.kind == kind)
    }
    fn clock_mut(&mut self, kind: N) -> Option<&mut Clock<N>> {
        self.iter_mut().find(|c| c.kind == kind)
    }
    fn set_clock(&mut self, c: Clock<N>) {
        self.retain(|x| x.kind != c.kind);
        self.push(c);
        self.sort_by_key(|c| c.kind);
    }
    fn stop_clock(&mut self, kind: N) {
        self.retain(|x| x.kind != kind);
    }
    fn mark(&mut self, kind: N, stage: Stage) {
        if let Some(c) = self.clock_mut(kind) {
            c.stage = c.stage.max(stage);
        }
    }
    fn worst_stage(&self) -> Stage {
        self.iter().map(|c| c.stage).max().unwrap_or_default()
    }
    fn next_alarm(&self) -> Option<DateTime<Utc>> {
        self.iter().filter_map(Clock::next_alarm).min()
    }
    fn next_due(&self) -> Option<DateTime<Utc>> {
        self.iter().filter(|c| c.paused_at.is_none()).map(|c| c.due).min()
    }
    fn next_due_working(&self) -> bool {
        self.iter().filter(|c| c.paused_at.is_none()).min_by_key(|c| c.due).is_some_and(|c| c.budget.is_working())
    }
}

/// The time left at `now` before `due`, negative once past: working time on the
/// calendar when the limit counts working days (`working`), else natural time. The one
/// rule behind every "剩 …" a person reads, on a case page or in a queue.
pub fn time_left(cal: &Calendar, now: DateTime<Utc>, due: DateTime<Utc>, working: bool) -> Duration {
    match (working, now <= due) {
        (true, true) => cal.working_between(now, due),
        (true, false) => -cal.working_between(due, now),
        (false, _) => due - now,
    }
}

impl<N: ClockName> Clock<N> {
    pub fn start(kind: N, budget: Budget, now: DateTime<Utc>, cal: &Calendar, warn_ratio: f64) -> Self {
        let due = budget.due(cal, now);
        let warn_at = shift(budget, cal, now, budget.scaled(1.0 - warn_ratio));
        Clock { kind, budget, started_at: now, warn_at, due, stage: Stage::Green, paused_at: None }
    }

    /// A clock that runs from `start` to a given instant, `due` (a date a person set,
    /// such as a task's deadline), in natural time.
    pub fn until(kind: N, start: DateTime<Utc>, due: DateTime<Utc>, warn_ratio: f64) -> Self {
        let total = (due - start).max(Duration::zero());
        let hours = u32::try_from(total.num_hours()).unwrap_or(u32::MAX);
        let warn_at = due - Duration::seconds((total.num_seconds() as f64 * warn_ratio).round() as i64);
        Clock {
            kind,
            budget: Budget::Hours(hours),
            started_at: start,
            warn_at,
            due,
            stage: Stage::Green,
            paused_at: None,
        }
    }

    /// The clock moved to a new deadline (an approved extension to a date): it keeps
    /// its start, warns at the same share of its new span, and is green again.
    pub fn moved_to(self, due: DateTime<Utc>, warn_ratio: f64) -> Self {
        Clock::until(self.kind, self.started_at, due, warn_ratio)
    }

    /// Time left before the deadline, counted in working time for working-day
    /// budgets; negative once overdue.
    pub fn left(&self, cal: &Calendar, now: DateTime<Utc>) -> Duration {
        time_left(cal, self.paused_at.unwrap_or(now), self.due, self.budget.is_working())
    }

    pub fn paused(mut self, now: DateTime<Utc>) -> Self {
        self.paused_at = Some(now);
        self
    }

    /// Resumes a paused clock: what was left at the pause is left now.
    pub fn resumed(mut self, cal: &Calendar, now: DateTime<Utc>) -> Self {
        let Some(p) = self.paused_at else { return self };
        let left_due = self.left(cal, p);
        let left_warn = if self.warn_at > p {
            if self.budget.is_working() { cal.working_between(p, self.warn_at) } else { self.warn_at - p }
        } else {
            Duration::zero()
        };
        self.due = shift(self.budget, cal, now, left_due.max(Duration::zero()));
        self.warn_at = shift(self.budget, cal, now, left_warn);
        self.paused_at = None;
        self
    }

    /// Moves the deadline by an approved extension of `days` working days; the warning
    /// point moves with it and a yellow or red clock turns green again.
    pub fn extended(mut self, cal: &Calendar, days: u32, warn_ratio: f64) -> Self {
        let extra = Budget::WorkingDays(days);
        let new_due = cal.add_working(self.due, Duration::days(days as i64));
        self.warn_at = cal.add_working(self.due, extra.scaled(1.0 - warn_ratio));
        self.due = new_due;
        self.stage = Stage::Green;
        self
    }

    /// The next instant at which this clock changes colour, if any.
    pub fn next_alarm(&self) -> Option<DateTime<Utc>> {
        if self.paused_at.is_some() {
            return None;
        }
        match self.stage {
            Stage::Green => Some(self.warn_at.min(self.due)),
            Stage::Yellow => Some(self.due),
            Stage::Red => None,
        }
    }

    /// The colour this clock should have at `now`.
    pub fn stage_at(&self, now: DateTime<Utc>) -> Stage {
        if self.paused_at.is_some() {
            self.stage
        } else if now >= self.due {
            Stage::Red
        } else if now >= self.warn_at {
            Stage::Yellow
        } else {
            Stage::Green
        }
    }
}

fn shift(budget: Budget, cal: &Calendar, from: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    if budget.is_working() { cal.add_working(from, by) } else { from + by }
}

/// The district's time-limit policy: what every kind shares (when a clock turns
/// yellow) and each kind's own limits. Read from `limits.toml` in the data directory
/// when present; otherwise the defaults.
///
/// The file keeps the form it had when appeals were the only kind: the appeal's
/// settings at its top level (`resolve_general_days = 10`, `[[override]]`), beside
/// `warn_ratio`. Another kind's settings are a table named after the kind.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeLimits {
    /// The share of a budget left when a clock turns yellow (0.2: at 80 % of it).
    pub warn_ratio: f64,
    pub appeal: crate::appeal::AppealLimits,
    /// `[task]`: the task types and their node timers.
    pub task: crate::task::TaskLimits,
    /// `[application]`: 一网通办's own periods (the legal ones are each service's).
    pub application: crate::application::ApplicationLimits,
    /// `[credit]`: the credit class rules' thresholds and 信用修复's periods.
    pub credit: crate::enterprise::CreditRules,
    /// `[supervision]`: inspections' publication and 陈述申辩 periods, 责令整改's longest.
    pub supervision: crate::inspection::SupervisionLimits,
    /// `[sharing]`: 一网共享's answer period, grants' rate and unsigned reads' limit.
    pub sharing: crate::access::SharingLimits,
}

impl Default for TimeLimits {
    fn default() -> Self {
        TimeLimits {
            warn_ratio: 0.2,
            appeal: Default::default(),
            task: Default::default(),
            application: Default::default(),
            credit: Default::default(),
            supervision: Default::default(),
            sharing: Default::default(),
        }
    }
}

impl TimeLimits {
    pub fn parse_toml(text: &str) -> Result<Self, String> {
        let mut table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut limits = TimeLimits::default();
        if let Some(v) = table.remove("warn_ratio") {
            let r = v.as_float().or_else(|| v.as_integer().map(|i| i as f64)).ok_or("warn_ratio must be a number")?;
            if !(0.0..1.0).contains(&r) {
                return Err("warn_ratio must be at least 0 and below 1".into());
            }
            limits.warn_ratio = r;
        }
        if let Some(v) = table.remove("task") {
            limits.task = v.try_into().map_err(|e: toml::de::Error| format!("[task]: {e}"))?;
            limits.task.check()?;
        }
        if let Some(v) = table.remove("credit") {
            limits.credit = v.try_into().map_err(|e: toml::de::Error| format!("[credit]: {e}"))?;
            limits.credit.check()?;
        }
        if let Some(v) = table.remove("supervision") {
            limits.supervision = v.try_into().map_err(|e: toml::de::Error| format!("[supervision]: {e}"))?;
            limits.supervision.check()?;
        }
        if let Some(v) = table.remove("sharing") {
            limits.sharing = v.try_into().map_err(|e: toml::de::Error| format!("[sharing]: {e}"))?;
            limits.sharing.check()?;
        }
        if let Some(v) = table.remove("application") {
            limits.application = v.try_into().map_err(|e: toml::de::Error| format!("[application]: {e}"))?;
            limits.application.check()?;
        }
        // What is left belongs to the appeal, whose settings are at the top level.
        limits.appeal = toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| e.to_string())?;
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    use crate::appeal::{ClockKind, LimitKey};
    use crate::id::CategoryCode;

    #[test]
    fn default_limits_follow_the_standard() {
        let l = TimeLimits::default();
        let water = CategoryCode::parse("cxjs-11").unwrap();
        let key = |consultation, urgency, utility| LimitKey { consultation, urgency, category: Some(&water), utility };
        let table = [
            (ClockKind::Dispatch, key(false, Urgency::Emergency, false), Budget::Hours(1)),
            (ClockKind::Dispatch, key(false, Urgency::Normal, true), Budget::Hours(2)),
            (ClockKind::Dispatch, key(false, Urgency::Normal, false), Budget::Hours(24)),
            (ClockKind::Contact, key(false, Urgency::Normal, false), Budget::Hours(24)),
            (ClockKind::Resolve, key(true, Urgency::Normal, false), Budget::WorkingDays(3)),
            (ClockKind::Resolve, key(false, Urgency::Urgent, false), Budget::WorkingDays(15)),
            (ClockKind::Callback, key(true, Urgency::Emergency, false), Budget::WorkingDays(3)),
        ];
        for (clock, k, want) in table {
            assert_eq!(l.appeal.budget(clock, k), want, "{clock:?} {k:?}");
        }
    }

    #[test]
    fn the_most_specific_override_wins() {
        let text = r#"
resolve_general_days = 10
[[override]]
urgency = "urgent"
clock = "resolve"
budget = { working_days = 5 }
[[override]]
category = "cxjs-11"
clock = "resolve"
budget = { working_days = 2 }
[[override]]
category = "cxjs-11"
urgency = "urgent"
clock = "resolve"
budget = { hours = 12 }
"#;
        let l = TimeLimits::parse_toml(text).unwrap();
        let water = CategoryCode::parse("cxjs-11").unwrap();
        let other = CategoryCode::parse("jywt-01").unwrap();
        let k = |c, u| LimitKey { consultation: false, urgency: u, category: Some(c), utility: false };
        assert_eq!(l.appeal.budget(ClockKind::Resolve, k(&water, Urgency::Urgent)), Budget::Hours(12));
        assert_eq!(l.appeal.budget(ClockKind::Resolve, k(&water, Urgency::Normal)), Budget::WorkingDays(2));
        assert_eq!(l.appeal.budget(ClockKind::Resolve, k(&other, Urgency::Urgent)), Budget::WorkingDays(5));
        assert_eq!(l.appeal.budget(ClockKind::Resolve, k(&other, Urgency::Normal)), Budget::WorkingDays(10));
        let callback = TimeLimits::parse_toml(
            "callback_days = 5\n[[override]]\nurgency = \"urgent\"\nclock = \"callback\"\nbudget = { hours = 24 }",
        )
        .unwrap();
        assert_eq!(callback.appeal.budget(ClockKind::Callback, k(&other, Urgency::Normal)), Budget::WorkingDays(5));
        assert_eq!(callback.appeal.budget(ClockKind::Callback, k(&other, Urgency::Urgent)), Budget::Hours(24));
        assert_eq!(TimeLimits::parse_toml("warn_ratio = 0.25").unwrap().warn_ratio, 0.25);
        assert!(TimeLimits::parse_toml("warn_ratio = 1.5").is_err());
        assert!(TimeLimits::parse_toml("nonsense = 1").is_err());
        let district = TimeLimits::parse_toml("[application]\nbad_rating_days = 10").unwrap();
        assert_eq!((district.application.bad_rating_days, TimeLimits::default().application.bad_rating_days), (10, 15));
        assert!(TimeLimits::parse_toml("[application]\nbad_rating_days = 0").is_err());
    }

    #[test]
    fn a_paused_clock_keeps_its_remaining_working_time() {
        let cal = Calendar::bundled();
        // Monday 2026-11-16 09:00, 3 working days → Thursday 09:00.
        let c = Clock::start(ClockKind::Resolve, Budget::WorkingDays(3), at("2026-11-16T09:00:00+08:00"), &cal, 0.2);
        assert_eq!(c.due, at("2026-11-19T09:00:00+08:00"));
        // Paused Tuesday 09:00 with 2 working days left, resumed Friday 09:00.
        let p = c.paused(at("2026-11-17T09:00:00+08:00"));
        assert_eq!(p.next_alarm(), None);
        let r = p.resumed(&cal, at("2026-11-20T09:00:00+08:00"));
        // Friday 09:00 + 2 working days skips the weekend → Tuesday 09:00.
        assert_eq!(r.due, at("2026-11-24T09:00:00+08:00"));
        assert_eq!(r.left(&cal, at("2026-11-23T09:00:00+08:00")), Duration::days(1));
    }

    #[test]
    fn clocks_turn_yellow_then_red() {
        let cal = Calendar::bundled();
        let c = Clock::start(ClockKind::Dispatch, Budget::Hours(10), at("2026-11-16T09:00:00+08:00"), &cal, 0.2);
        assert_eq!(c.warn_at, at("2026-11-16T17:00:00+08:00"));
        assert_eq!(c.stage_at(at("2026-11-16T16:59:59+08:00")), Stage::Green);
        assert_eq!(c.stage_at(at("2026-11-16T17:00:00+08:00")), Stage::Yellow);
        assert_eq!(c.stage_at(at("2026-11-16T19:00:00+08:00")), Stage::Red);
        let e = c.extended(&cal, 1, 0.2);
        assert_eq!(e.due, at("2026-11-17T19:00:00+08:00"));
    }
}
