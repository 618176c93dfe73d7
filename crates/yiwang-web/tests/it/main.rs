//! API tests (in-process).
