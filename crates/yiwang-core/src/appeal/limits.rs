//! An appeal's clocks and their limits.
//!
//! Defaults follow DB11/T 2021-2022 (Beijing's 12345 service standard) and common
//! practice: dispatch within 1 hour for emergencies, 2 hours for water, power, gas and
//! heat, 24 hours otherwise; contact the citizen within 24 hours of signing; resolve
//! consultations within 3 working days and other appeals within 15; call the citizen
//! back within 3 working days of the reply. Every limit can be overridden per category
//! and urgency.

use crate::deadline::{Budget, ClockName, Urgency};
use crate::id::CategoryCode;
use serde::{Deserialize, Serialize};

/// The clocks an appeal runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ClockKind {
    /// From intake to dispatch (派单时限).
    Dispatch,
    /// From dispatch to signing for (签收时限).
    SignFor,
    /// From signing to the first contact with the citizen (联系时限).
    Contact,
    /// From dispatch to the reply (办理时限).
    Resolve,
    /// From the reply to the callback (回访时限), which the centre owes.
    Callback,
}

impl ClockName for ClockKind {
    fn label(self) -> &'static str {
        ClockKind::label(self)
    }
}

impl ClockKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Dispatch => "派单",
            Self::SignFor => "签收",
            Self::Contact => "联系诉求人",
            Self::Resolve => "办理",
            Self::Callback => "回访",
        }
    }
}

/// A clock of an appeal.
pub type Clock = crate::deadline::Clock<ClockKind>;

/// One override of a default limit. The most specific applies: category and urgency,
/// then category, then urgency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitOverride {
    #[serde(default)]
    pub category: Option<CategoryCode>,
    #[serde(default)]
    pub urgency: Option<Urgency>,
    pub clock: ClockKind,
    pub budget: Budget,
}

/// The appeal's limits: the top level of `limits.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppealLimits {
    /// DB11/T 2021-2022: emergencies are dispatched within 1 hour.
    pub dispatch_emergency_hours: u32,
    /// DB11/T 2021-2022: water, power, gas and heat within 2 hours.
    pub dispatch_utility_hours: u32,
    /// DB11/T 2021-2022: general appeals within 24 hours.
    pub dispatch_general_hours: u32,
    /// Signing for a dispatched case.
    pub sign_for_hours: u32,
    pub sign_for_emergency_hours: u32,
    /// Contacting the citizen after signing.
    pub contact_hours: u32,
    /// 咨询类 3 working days.
    pub resolve_consultation_days: u32,
    /// Other appeals 15 working days.
    pub resolve_general_days: u32,
    /// The callback (回访), in working days from the reply: 3 is common practice.
    pub callback_days: u32,
    #[serde(rename = "override")]
    pub overrides: Vec<LimitOverride>,
}

impl Default for AppealLimits {
    fn default() -> Self {
        AppealLimits {
            dispatch_emergency_hours: 1,
            dispatch_utility_hours: 2,
            dispatch_general_hours: 24,
            sign_for_hours: 2,
            sign_for_emergency_hours: 1,
            contact_hours: 24,
            resolve_consultation_days: 3,
            resolve_general_days: 15,
            callback_days: 3,
            overrides: vec![],
        }
    }
}

/// What the limits depend on.
#[derive(Debug, Clone, Copy)]
pub struct LimitKey<'a> {
    pub consultation: bool,
    pub urgency: Urgency,
    pub category: Option<&'a CategoryCode>,
    pub utility: bool,
}

impl AppealLimits {
    pub fn budget(&self, clock: ClockKind, key: LimitKey<'_>) -> Budget {
        let specific = |o: &&LimitOverride| o.clock == clock;
        let by_both =
            self.overrides.iter().filter(specific).find(|o| {
                o.category.is_some() && o.category.as_ref() == key.category && o.urgency == Some(key.urgency)
            });
        let by_cat = || {
            self.overrides
                .iter()
                .filter(specific)
                .find(|o| o.urgency.is_none() && o.category.is_some() && o.category.as_ref() == key.category)
        };
        let by_urg =
            || self.overrides.iter().filter(specific).find(|o| o.category.is_none() && o.urgency == Some(key.urgency));
        if let Some(o) = by_both.or_else(by_cat).or_else(by_urg) {
            return o.budget;
        }
        let emergency = key.urgency == Urgency::Emergency;
        match clock {
            ClockKind::Dispatch if emergency => Budget::Hours(self.dispatch_emergency_hours),
            ClockKind::Dispatch if key.utility => Budget::Hours(self.dispatch_utility_hours),
            ClockKind::Dispatch => Budget::Hours(self.dispatch_general_hours),
            ClockKind::SignFor if emergency => Budget::Hours(self.sign_for_emergency_hours),
            ClockKind::SignFor => Budget::Hours(self.sign_for_hours),
            ClockKind::Contact => Budget::Hours(self.contact_hours),
            ClockKind::Resolve if key.consultation => Budget::WorkingDays(self.resolve_consultation_days),
            ClockKind::Resolve => Budget::WorkingDays(self.resolve_general_days),
            ClockKind::Callback => Budget::WorkingDays(self.callback_days),
        }
    }
}
