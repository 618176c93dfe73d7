//! yiwang-core: the pure domain of yiwang.
//!
//! Owns identifiers, the organisation tree, the category taxonomy, the working-day
//! calendar, time limits, the engine's view of a case of any kind (`case`), the kinds
//! themselves — each its own state machine with its `decide`/`evolve` functions (the
//! appeal, 诉求; the task, 督办任务) —, the hash chain over events and the definitions of the three rates.
//!
//! It must not do IO, read the clock, or know SQL or HTTP: every function takes `now`
//! and whatever reference data it needs as arguments, so every rule can be tested as
//! a table.

pub mod access;
pub mod appeal;
pub mod application;
pub mod authorisation;
pub mod benefit;
pub mod bundle;
pub mod calendar;
pub mod case;
pub mod chain;
pub mod credit_repair;
pub mod deadline;
pub mod enterprise;
pub mod id;
pub mod inspection;
pub mod measure;
pub mod org;
pub mod patrol;
pub mod plan;
pub mod rating_fix;
pub mod read_log;
pub mod rectification;
pub mod share;
pub mod task;
pub mod taxonomy;

pub use chrono;

/// Instants are UTC everywhere; the calendar converts to China Standard Time when
/// it needs a civil date.
pub type Instant = chrono::DateTime<chrono::Utc>;

/// The kinds of case this yiwang knows, for a store to fold any case it holds.
pub fn kinds() -> case::Kinds {
    case::Kinds::empty()
        .with::<appeal::AppealKind>()
        .with::<task::TaskKind>()
        .with::<patrol::PatrolKind>()
        .with::<application::ApplicationKind>()
        .with::<rating_fix::RatingFixKind>()
        .with::<bundle::BundleKind>()
        .with::<authorisation::AuthorisationKind>()
        .with::<enterprise::EnterpriseKind>()
        .with::<plan::PlanKind>()
        .with::<inspection::InspectionKind>()
        .with::<rectification::RectificationKind>()
        .with::<credit_repair::RepairKind>()
        .with::<benefit::PolicyKind>()
        .with::<benefit::GrantKind>()
        .with::<share::ResourceKind>()
        .with::<access::AccessKind>()
        .with::<read_log::ReadLogKind>()
}
