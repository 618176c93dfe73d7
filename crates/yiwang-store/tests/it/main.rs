//! The store contract suite: every `Store` implementation must pass `contract::*`.
//! `sqlite` runs it on the embedded store and `postgres` on a PostgreSQL server (named
//! by `YIWANG_TEST_DATABASE_URL`; without it those tests fail, never skip); each adds
//! the tamper tests that need raw access behind the store's back. `chore` is a kind
//! of case that exists only here; `upgrade` opens databases written by an earlier
//! release.

mod chore;
mod contract;
mod postgres;
mod sqlite;
mod upgrade;
