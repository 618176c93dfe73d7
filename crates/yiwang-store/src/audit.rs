//! `audit verify`, shared by both stores: each reads the chain heads and then the
//! whole event log in case order, and this checks what it reads. A case's events must
//! chain (`chain::verify`), end where its head says, and begin with an event that
//! opens a case of the kind recorded beside the head. A head whose case has no events
//! left is a deleted case. Every break is reported; the check never stops at the first.

use crate::VerifyReport;
use std::collections::{HashMap, HashSet};
use yiwang_core::case::Kinds;
use yiwang_core::chain::{self, ChainBreak, StoredLink};

/// A case's head as stored: its kind, the number and hash of its last event.
pub(crate) struct Head {
    pub(crate) kind: String,
    pub(crate) seq: u32,
    pub(crate) hash: String,
}

/// One stored event as read for checking.
pub(crate) struct Link {
    pub(crate) seq: u32,
    pub(crate) alg: String,
    /// The stored link to the event before, where the store keeps one (PostgreSQL);
    /// otherwise the hash of the event read before it.
    pub(crate) prev: Option<String>,
    pub(crate) hash: String,
    /// The bytes the hash covers (`chain::canonical`).
    pub(crate) canonical: String,
    /// The first event's body, for its kind; none for the others.
    pub(crate) body: Option<String>,
}

/// A case's key: its tenant and number.
pub(crate) type Key = (String, String);

/// Checks cases as the log is read.
pub(crate) struct Audit<'k> {
    kinds: &'k Kinds,
    heads: HashMap<Key, Head>,
    seen: HashSet<Key>,
    report: VerifyReport,
}

impl<'k> Audit<'k> {
    pub(crate) fn new(kinds: &'k Kinds, heads: HashMap<Key, Head>) -> Self {
        Audit { kinds, heads, seen: HashSet::new(), report: VerifyReport::default() }
    }

    /// Checks one case's events, in stored order.
    pub(crate) fn case(&mut self, key: &Key, links: &[Link]) {
        self.seen.insert(key.clone());
        let case = key.1.clone();
        self.report.cases += 1;
        self.report.events += links.len() as u64;
        let Some(head) = self.heads.get(key) else {
            let b = ChainBreak::Truncated { head_seq: 0, head_hash: "-".into(), last_seq: links.len() as u32 };
            self.report.breaks.push((case, b));
            return;
        };
        // Each event's link is the stored one, or the hash of the event before it.
        let prevs = std::iter::once(chain::GENESIS).chain(links.iter().map(|l| l.hash.as_str()));
        let stored = links.iter().zip(prevs).map(|(l, before)| StoredLink {
            seq: l.seq,
            alg: &l.alg,
            prev_hash: l.prev.as_deref().unwrap_or(before),
            hash: &l.hash,
            canonical: l.canonical.clone(),
        });
        if let Err(b) = chain::verify(stored, Some((head.seq, head.hash.as_str()))) {
            self.report.breaks.push((case, b));
            return;
        }
        let opens = match (self.kinds.get(&head.kind), links.first().and_then(|l| l.body.as_deref())) {
            (Some(kind), Some(body)) => kind.opens(body),
            _ => false,
        };
        if !opens {
            self.report.breaks.push((case, ChainBreak::WrongKind { kind: head.kind.clone() }));
        }
    }

    /// The report, with a break for every head whose case has no events left.
    pub(crate) fn finish(mut self) -> VerifyReport {
        let mut missing: Vec<(&Key, &Head)> = self.heads.iter().filter(|(k, _)| !self.seen.contains(*k)).collect();
        missing.sort_by(|a, b| a.0.cmp(b.0));
        for (key, head) in missing {
            self.report.cases += 1;
            let b = ChainBreak::Truncated { head_seq: head.seq, head_hash: head.hash.clone(), last_seq: 0 };
            self.report.breaks.push((key.1.clone(), b));
        }
        self.report
    }
}
