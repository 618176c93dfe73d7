//! API tests, in-process (`oneshot`), against a real SQLite store in a temporary
//! directory, with the demo district's units, categories and staff and a clock the
//! tests step by hand.

mod harness;
mod lifecycle;
mod permissions;
mod validation;
