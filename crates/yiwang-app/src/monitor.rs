//! What monitoring reads from the database when `/metrics` is scraped: open, yellow
//! and red cases per kind, over the generic case projection (`case_header`, whose
//! open cases are indexed), and the database's size on disk. The caller caches it
//! (the web crate, for a few seconds), so scraping cannot load the database.

use crate::{App, Result};
use yiwang_core::deadline::Stage;
use yiwang_store::{CaseQuery, DiskUsage};

/// Open cases of one kind, and how many of them are yellow and red.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCounts {
    pub kind: &'static str,
    pub open: u64,
    pub yellow: u64,
    pub red: u64,
}

#[derive(Debug, Clone)]
pub struct Monitoring {
    /// One per kind this build knows, in `yiwang_core::kinds()`'s order.
    pub cases: Vec<CaseCounts>,
    pub disk: DiskUsage,
}

impl App {
    /// Three counts per kind and the database's size: a handful of indexed queries.
    pub fn monitoring(&self) -> Result<Monitoring> {
        let store = self.store();
        let count = |kind: &'static str, stage: Option<Stage>| {
            store.count_cases(&CaseQuery { kind: Some(kind), open: Some(true), stage, ..CaseQuery::default() })
        };
        let mut cases = vec![];
        for k in yiwang_core::kinds().iter() {
            let kind = k.name();
            cases.push(CaseCounts {
                kind,
                open: count(kind, None)?,
                yellow: count(kind, Some(Stage::Yellow))?,
                red: count(kind, Some(Stage::Red))?,
            });
        }
        Ok(Monitoring { cases, disk: store.disk_usage()? })
    }
}
