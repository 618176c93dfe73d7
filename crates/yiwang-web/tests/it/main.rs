//! API tests, in-process (`oneshot`), with the demo district's units, categories and
//! staff and a clock the tests step by hand. The API tests run twice, on a fresh SQLite
//! store and on a fresh PostgreSQL database (`harness::on_both_stores!`; the server is
//! named by `YIWANG_TEST_DATABASE_URL`, and without it those fail, never skip); the
//! page tests (`ui`) run on SQLite.

#[macro_use]
mod harness;

mod accounts;
mod applicant;
mod application_pages;
mod applications;
mod benefit;
mod bundles;
mod callback;
mod catalogue;
mod certificates;
mod dispatch;
mod fuzz;
mod hardening;
mod idempotency;
mod lifecycle;
mod need_to_know;
mod notify;
mod open311;
mod patrols;
mod permissions;
mod plans;
mod print;
mod register;
mod reply_photos;
mod sharing;
mod supervision;
mod task_pages;
mod tasks;
mod ui;
mod validation;
mod verifier;
mod webhooks;
