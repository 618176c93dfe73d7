//! The store contract suite: every `Store` implementation must pass `contract::*`.
//! `sqlite` runs it on the embedded store and adds the tamper tests that need raw
//! access to the file.

mod contract;
mod sqlite;
