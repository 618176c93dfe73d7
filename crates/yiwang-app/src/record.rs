//! The record's integrity, whole: `audit verify` checks every case's chain
//! (`Store::verify`), the anchored log of chain heads and access-log entries against
//! the events and the checkpoints (`Store::check_anchor`), each checkpoint's signature
//! against the published keys, and the checkpoints against those exported to an
//! outside witness, which shows a database rolled back to an earlier copy (or
//! checkpoints deleted from it).

use crate::keyring::{Keyring, PublicKey};
use crate::{App, Result};
use yiwang_store::VerifyReport;
use yiwang_store::anchor::{AnchorReport, Checkpoint};

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
    pub fn checkpoint(&self, keys: &Keyring) -> Result<Option<Checkpoint>> {
        Ok(self.store().seal(self.now(), keys.signer())?)
    }

    /// Checks the whole record (see the module's text). `witness`: checkpoints as
    /// exported, in any order; empty when there is no witness to compare with.
    pub fn verify_record(&self, keys: &[PublicKey], witness: &[Checkpoint]) -> Result<RecordReport> {
        let chains = self.store().verify()?;
        let anchor = self.store().check_anchor()?;
        let mut problems: Vec<String> = anchor.breaks.iter().map(|b| b.to_string()).collect();
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
