//! The record's integrity, whole: `audit verify` checks every case's chain
//! (`Store::verify`), the anchored log of chain heads and access-log entries against
//! the events and the checkpoints (`Store::check_anchor`), each checkpoint's signature
//! against the published keys, and the checkpoints against those exported to an
//! outside witness, which shows a database rolled back to an earlier copy (or
//! checkpoints deleted from it).

use crate::auth::AuditPolicy;
use crate::keyring::{Keyring, PublicKey};
use crate::{App, AppError, Result};
use yiwang_store::anchor::{AnchorReport, Checkpoint, SecurityArchive};
use yiwang_store::{SecurityEvent, VerifyReport};

/// What `verify_record` found. Empty `problems` and an intact chain report: intact.
#[derive(Debug)]
pub struct RecordReport {
    pub chains: VerifyReport,
    pub anchor: AnchorReport,
    /// Each a sentence naming what was changed: the anchor's breaks, bad signatures,
    /// and differences from the witness.
    pub problems: Vec<String>,
}

impl RecordReport {
    pub fn is_intact(&self) -> bool {
        self.chains.is_intact() && self.problems.is_empty()
    }
}

impl App {
    /// Seals what was logged since the last checkpoint in a new one, signed with the
    /// keyring's current key; `None` when nothing new was logged.
    /// The keyring's current key is read from its file again first, so a keyring
    /// that can no longer sign (its file unreadable or replaced) fails here; each
    /// success is recorded for 一网共享's reads, which stop when none came for
    /// `[sharing] unsigned_reads_max_minutes` (X-Road's rule).
    pub fn checkpoint(&self, keys: &Keyring) -> Result<Option<Checkpoint>> {
        keys.check()?;
        let now = self.now();
        let sealed = self.store().seal(now, keys.signer())?;
        self.signing_succeeded(now);
        Ok(sealed)
    }

    /// Checks the whole record (see the module's text). `witness`: checkpoints as
    /// exported, in any order; empty when there is no witness to compare with.
    /// `archive`: the security events archived out of the database, from the files
    /// `archive_security_log` wrote (`read_security_archive`). Without one, archived
    /// checkpoints are not re-digested (`AnchorReport::unchecked`); with one, an
    /// archived checkpoint it lacks is a problem.
    pub fn verify_record(
        &self,
        keys: &[PublicKey],
        witness: &[Checkpoint],
        archive: &SecurityArchive,
    ) -> Result<RecordReport> {
        let chains = self.store().verify()?;
        let anchor = self.store().check_anchor_with(archive)?;
        let mut problems: Vec<String> = anchor.breaks.iter().map(|b| b.to_string()).collect();
        // Nothing younger than the law's six months may have been moved out.
        let earliest = self.now() - chrono::Duration::days(AuditPolicy::MIN_KEEP_DAYS);
        for c in anchor.checkpoints.iter().filter(|c| anchor.archived.contains(&c.n) && c.at > earliest) {
            problems.push(format!(
                "checkpoint {} (sealed at {}): its security events were removed before the {} days the law requires",
                c.n,
                c.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                AuditPolicy::MIN_KEEP_DAYS
            ));
        }
        // Given an archive, every archived checkpoint must be in it: one missing means
        // the file given is not the whole archive (lost, truncated, or another file).
        if !archive.is_empty() {
            for n in &anchor.unchecked {
                problems.push(format!(
                    "checkpoint {n}: its security events were archived, but they are not in the archive given"
                ));
            }
        }
        for c in &anchor.checkpoints {
            if !crate::keyring::verifies(keys, &c.key_id, c.message().as_bytes(), &c.signature) {
                problems.push(format!("checkpoint {}: its signature does not verify with key {}", c.n, c.key_id));
            }
        }
        for w in witness {
            match anchor.checkpoints.iter().find(|c| c.n == w.n) {
                Some(c) if c == w => {}
                Some(_) => problems.push(format!("checkpoint {} differs from the one exported at {}", w.n, w.at)),
                None => problems.push(format!(
                    "checkpoint {} (exported at {}) is not in the database: it was rolled back to an earlier copy \
                     or its checkpoints were deleted",
                    w.n, w.at
                )),
            }
        }
        Ok(RecordReport { chains, anchor, problems })
    }
}

/// One line of a security-log archive: a checkpoint's events.
#[derive(serde::Serialize, serde::Deserialize)]
struct ArchivedCheckpoint {
    checkpoint: i64,
    events: Vec<SecurityEvent>,
}

/// What `archive_security_log` moved out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Archived {
    pub checkpoints: usize,
    pub events: u64,
}

impl App {
    /// Moves the security events of the checkpoints sealed more than
    /// `policy.keep_days` ago out of the database into `to` (appended, one JSON line
    /// per checkpoint, readable by the owner only), which is flushed to disk before
    /// the events are deleted. Keep the file: `verify_record` needs it to re-digest
    /// those checkpoints. The move itself is logged.
    pub fn archive_security_log(&self, policy: &AuditPolicy, to: &std::path::Path) -> Result<Archived> {
        use std::io::Write;
        if policy.keep_days < AuditPolicy::MIN_KEEP_DAYS {
            return Err(AppError::invalid("keep_days", format!("至少保存 {} 天", AuditPolicy::MIN_KEEP_DAYS)));
        }
        let now = self.now();
        let before = now - chrono::Duration::days(policy.keep_days);
        let due = self.store().security_to_archive(before)?;
        if due.is_empty() {
            return Ok(Archived { checkpoints: 0, events: 0 });
        }
        let io = |e: std::io::Error| AppError::Internal(format!("archive {}: {e}", to.display()));
        let mut o = std::fs::OpenOptions::new();
        o.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let mut f = o.open(to).map_err(io)?;
        let mut text = String::new();
        for (n, events) in &due {
            let line = ArchivedCheckpoint { checkpoint: *n, events: events.clone() };
            text += &serde_json::to_string(&line).map_err(|e| AppError::Internal(e.to_string()))?;
            text.push('\n');
        }
        f.write_all(text.as_bytes()).and_then(|_| f.sync_all()).map_err(io)?;
        let checkpoints: Vec<i64> = due.keys().copied().collect();
        let events = self.store().archive_security(&checkpoints, before, now)?;
        let (first, last) = (checkpoints[0], checkpoints[checkpoints.len() - 1]);
        self.security(
            now,
            "security_log_archived",
            None,
            None,
            format!(
                "检查点 {first}–{last} 的 {events} 条安全审计记录（已保存 {} 天）归档至 {}",
                policy.keep_days,
                to.display()
            ),
        )?;
        Ok(Archived { checkpoints: checkpoints.len(), events })
    }
}

/// The security events in archive files `archive_security_log` wrote, by checkpoint.
pub fn read_security_archive(text: &str) -> std::result::Result<SecurityArchive, String> {
    let mut out = SecurityArchive::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let a: ArchivedCheckpoint = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        out.insert(a.checkpoint, a.events);
    }
    Ok(out)
}
