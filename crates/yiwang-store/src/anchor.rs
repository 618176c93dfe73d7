//! The anchored record, shared by both stores. Every chain head written is logged in
//! `head_log` (a trigger keeps it); a checkpoint seals the heads and the access-log
//! entries logged since the one before: it numbers them, digests them with the store's
//! hash (SHA-256, or SM3 under the 国密 option) chained from the checkpoint before
//! (`Sealer`), and carries a signature made with a
//! key the database does not hold (the app's keyring signs `Checkpoint::message`).
//!
//! `Store::check_anchor` then tells what someone with write access to the database
//! changed behind the store's back (`AnchorReport`): a logged head that is not the
//! hash of the event at its number (a case rewritten and its chain recomputed), a
//! logged case with no events (a case deleted), a head never logged, and sealed rows
//! that no longer digest as they were sealed (a head or an access-log entry altered or
//! deleted). The signatures, and a comparison with checkpoints exported to a witness
//! (a rollback), are checked by whoever holds the public keys (`yiwang audit verify`).
//!
//! The security log is kept for a period (six months at least, 网络安全法 §21), then
//! moved out: `Store::archive_security` deletes the security events of whole
//! checkpoints, which the caller has written to an archive first, and marks those
//! checkpoints. Their heads and access-log entries stay. `check_anchor_with` digests an
//! archived checkpoint with its events from the archive; without them it can only
//! say that it did not (`AnchorReport::unchecked`).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sm3::Sm3;
use std::collections::BTreeMap;
use yiwang_core::Instant;
use yiwang_core::chain::HashAlg;

/// The digest a first checkpoint chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Security events moved out of the database, by the checkpoint that sealed them.
pub type SecurityArchive = BTreeMap<i64, Vec<crate::SecurityEvent>>;

/// A signed checkpoint, as stored and as exported to a witness (one JSON line each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub n: i64,
    pub at: Instant,
    /// How many `head_log` rows it seals, and how many rows of the access log and
    /// the security audit log.
    pub heads: i64,
    pub accesses: i64,
    /// The hash (hex) over the digest of the checkpoint before and the rows it seals:
    /// SHA-256, or SM3 written with the prefix `sm3:` (`digest_alg`). Since the digest
    /// is part of what is signed, the algorithm cannot be relabelled unseen.
    pub digest: String,
    pub key_id: String,
    /// The signature (hex) of `message()`.
    pub signature: String,
}

impl Checkpoint {
    /// What is signed: every field but the signature, in a fixed text form.
    pub fn message(&self) -> String {
        message(self.n, self.at, self.heads, self.accesses, &self.digest, &self.key_id)
    }
}

pub(crate) fn message(n: i64, at: Instant, heads: i64, accesses: i64, digest: &str, key_id: &str) -> String {
    format!(
        "yiwang-checkpoint/1\nn={n}\nat={}\nheads={heads}\naccesses={accesses}\ndigest={digest}\nkey={key_id}\n",
        at_text(at)
    )
}

fn at_text(at: Instant) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Gives the signature (hex) of a message.
pub type Sign = Box<dyn FnOnce(&[u8]) -> String + Send>;

/// What signs a checkpoint: the key's id, and the signing function. The key itself
/// never reaches the store.
pub struct Signer {
    pub key_id: String,
    pub sign: Sign,
}

/// One logged chain head.
pub(crate) struct HeadRow {
    pub(crate) id: i64,
    pub(crate) tenant: String,
    pub(crate) case_id: String,
    pub(crate) seq: i64,
    pub(crate) hash: String,
}

/// One access-log entry.
pub(crate) struct AccessRow {
    pub(crate) id: i64,
    pub(crate) at: Instant,
    pub(crate) actor: String,
    pub(crate) case_id: Option<String>,
    pub(crate) person: Option<i64>,
    pub(crate) what: String,
}

/// The prefix of an SM3 checkpoint digest; a SHA-256 one (every digest from before
/// the 国密 option) has none.
const SM3_PREFIX: &str = "sm3:";

/// The algorithm a checkpoint's digest was made with.
pub fn digest_alg(digest: &str) -> HashAlg {
    if digest.starts_with(SM3_PREFIX) { HashAlg::Sm3 } else { HashAlg::Sha256 }
}

enum Hasher {
    Sha256(Sha256),
    Sm3(Sm3),
}

impl Hasher {
    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sm3(h) => h.update(bytes),
        }
    }
}

/// The digest of one checkpoint's rows: heads first, then access-log entries, then
/// security events, each in id order, each as one line.
pub(crate) struct Sealer {
    hash: Hasher,
    pub(crate) heads: i64,
    /// Access-log entries and security events.
    pub(crate) accesses: i64,
}

impl Sealer {
    /// Digests with `alg`, chained from the checkpoint before (whatever its algorithm).
    pub(crate) fn new(prev_digest: &str, alg: HashAlg) -> Self {
        let mut hash = match alg {
            HashAlg::Sha256 => Hasher::Sha256(Sha256::new()),
            HashAlg::Sm3 => Hasher::Sm3(Sm3::new()),
        };
        hash.update(prev_digest.as_bytes());
        hash.update(b"\n");
        Sealer { hash, heads: 0, accesses: 0 }
    }
    pub(crate) fn security(&mut self, e: &crate::SecurityEvent) {
        self.accesses += 1;
        let line = format!(
            "s\t{}\t{}\t{}\t{}\t{}\t{}\n",
            e.id,
            at_text(e.at),
            e.kind,
            e.username.as_deref().unwrap_or("-"),
            e.address.as_deref().unwrap_or("-"),
            e.detail
        );
        self.hash.update(line.as_bytes());
    }
    pub(crate) fn head(&mut self, r: &HeadRow) {
        self.heads += 1;
        self.hash.update(format!("h\t{}\t{}\t{}\t{}\t{}\n", r.id, r.tenant, r.case_id, r.seq, r.hash).as_bytes());
    }
    pub(crate) fn access(&mut self, r: &AccessRow) {
        self.accesses += 1;
        let case = r.case_id.as_deref().unwrap_or("-");
        let person = r.person.map(|p| p.to_string()).unwrap_or_else(|| "-".into());
        let line = format!("a\t{}\t{}\t{}\t{case}\t{person}\t{}\n", r.id, at_text(r.at), r.actor, r.what);
        self.hash.update(line.as_bytes());
    }
    pub(crate) fn finish(self) -> String {
        match self.hash {
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Sm3(h) => format!("{SM3_PREFIX}{}", hex::encode(h.finalize())),
        }
    }
}

/// What `Store::check_anchor` found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AnchorReport {
    /// The stored checkpoints, in order (their signatures are for the caller to check).
    pub checkpoints: Vec<Checkpoint>,
    /// Logged heads not sealed yet: written after the last checkpoint.
    pub unsealed_heads: u64,
    pub unsealed_accesses: u64,
    pub breaks: Vec<AnchorBreak>,
    /// Checkpoints whose security events were archived, and of those the ones not
    /// re-digested because the archive was not given.
    pub archived: Vec<i64>,
    pub unchecked: Vec<i64>,
}

impl AnchorReport {
    pub fn is_intact(&self) -> bool {
        self.breaks.is_empty()
    }
}

/// One thing the anchor shows was changed behind the store's back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorBreak {
    /// The event at a logged head's number has another hash: the case was rewritten
    /// (and its chain recomputed), or the log was.
    #[error("case {case}: event {seq} is not the one its logged head names (rewritten)")]
    Rewritten { case: String, seq: i64 },
    /// A logged head's case has no event at that number: deleted or truncated.
    #[error("case {case}: event {seq}, logged as written, is gone (case deleted or truncated)")]
    Missing { case: String, seq: i64 },
    /// A chain head the log never recorded.
    #[error("case {case}: its chain head (event {seq}) was never logged")]
    Unlogged { case: String, seq: i64 },
    /// A checkpoint's rows no longer digest as when it sealed them.
    #[error(
        "checkpoint {n}: the {heads} heads and {accesses} access-log entries it sealed were altered or deleted \
         (now {now_heads} and {now_accesses})"
    )]
    Altered { n: i64, heads: i64, accesses: i64, now_heads: i64, now_accesses: i64 },
    /// Checkpoints are numbered from 1 without gaps.
    #[error("checkpoint {n} is missing")]
    Gap { n: i64 },
}

/// Checks the checkpoints, in order, against the rows each sealed: for each, take a
/// `sealer`, feed it the checkpoint's heads and then its access-log entries (each in
/// id order), and `check` it.
pub(crate) struct SealCheck {
    prev: String,
    next: i64,
}

impl SealCheck {
    pub(crate) fn new() -> Self {
        SealCheck { prev: GENESIS.to_owned(), next: 1 }
    }
    /// A sealer for checkpoint `c`, with the algorithm its digest names.
    pub(crate) fn sealer(&self, c: &Checkpoint) -> Sealer {
        Sealer::new(&self.prev, digest_alg(&c.digest))
    }
    pub(crate) fn check(&mut self, c: &Checkpoint, s: Sealer, breaks: &mut Vec<AnchorBreak>) {
        let (now_heads, now_accesses) = (s.heads, s.accesses);
        if s.finish() != c.digest {
            breaks.push(AnchorBreak::Altered { n: c.n, heads: c.heads, accesses: c.accesses, now_heads, now_accesses });
        }
        self.skip(c, breaks);
    }
    /// Goes past a checkpoint whose rows cannot be digested (its security events
    /// archived, and the archive not given).
    pub(crate) fn skip(&mut self, c: &Checkpoint, breaks: &mut Vec<AnchorBreak>) {
        if c.n != self.next {
            breaks.push(AnchorBreak::Gap { n: self.next });
        }
        self.prev = c.digest.clone();
        self.next = c.n + 1;
    }
}
