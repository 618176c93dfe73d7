//! API tests, in-process (`oneshot`), against a real SQLite store in a temporary
//! directory, with the demo district's units, categories and staff and a clock the
//! tests step by hand.

mod dispatch;
mod harness;
mod lifecycle;
mod open311;
mod permissions;
mod ui;
mod validation;
