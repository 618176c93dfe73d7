//! Integration tests of yiwang-dispatch (one test binary; one module per area).

mod classifier;
mod corpus;
mod targets;

use std::path::{Path, PathBuf};

/// `shared/data/appeals` lives beside the repository (as in CI), not inside it. The tests
/// that read it fail without it, never skip: a missing data set must not pass for a
/// measured one.
pub fn appeals_dir() -> PathBuf {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/appeals")).to_path_buf();
    let file = dir.join(yiwang_dispatch::corpus::PARTIAL_FILE);
    assert!(
        file.exists(),
        "the appeals data is missing: expected {} (shared/data/appeals beside the repository, described by its SOURCE.md)",
        file.display()
    );
    dir
}
