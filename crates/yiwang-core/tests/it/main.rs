//! yiwang-core's rules as tables: (state, actor, command, time) → events or refusal.
//!
//! Every state is reached by acting it out through `decide` and `evolve`, as the app
//! does; time is an argument stepped by hand; the calendar is the real one.

mod access;
mod application;
mod authorisation;
mod benefit;
mod bundle;
mod callback;
mod catalogue;
mod enterprise;
mod evolve;
mod fixture;
mod inspection;
mod lifecycle;
mod patrol;
mod permissions;
mod plan;
mod task;
mod time_limits;
mod transitions;
mod validation;
