//! Linking new events onto a case's hash chain, before anything is written: each
//! event's body is serialised once, as it will be stored and hashed, its hash is
//! computed from the one before, and the events are folded into the case's new
//! state by its kind. Both stores write what this gives them.
//!
//! It needs no connection, so the work can run wherever it is cheapest: a bulk import
//! links whole batches on the importing thread, not on the one writer thread.

use crate::{ImportedCase, Result, StoreError};
use yiwang_core::Instant;
use yiwang_core::case::{Case, Events, Stamp};
use yiwang_core::chain::{self, HashAlg};
use yiwang_core::id::CaseId;
use yiwang_core::org::Actor;

/// One event, ready to store.
pub(crate) struct LinkedEvent {
    pub(crate) seq: u32,
    pub(crate) kind: &'static str,
    /// The event as JSON, exactly as hashed.
    pub(crate) body: String,
    pub(crate) hash: String,
}

/// Events of one append (one time, one actor), linked and folded.
pub(crate) struct Linked {
    /// What the events were hashed with (the store's `Crypto::hash`), as stored.
    pub(crate) alg: &'static str,
    /// The hashed text of the time (`sqlite::ts`).
    pub(crate) at: String,
    /// The actor as JSON, exactly as hashed.
    pub(crate) actor: String,
    /// The chain head these events link to: `(seq, hash)`.
    pub(crate) prev: (u32, String),
    pub(crate) events: Vec<LinkedEvent>,
}

impl Linked {
    /// The chain head after these events: `(seq, hash)`.
    pub(crate) fn head(&self) -> (u32, &str) {
        match self.events.last() {
            Some(e) => (e.seq, &e.hash),
            None => (self.prev.0, &self.prev.1),
        }
    }
}

/// Links `events`, decided at `at` by `actor`, onto the chain whose head is
/// `(seq, hash)`, hashing them with `alg`, and folds them into `before` (`None` for a new case, whose first
/// event must open a case of the events' kind): the events to store and the case
/// after them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn link(
    alg: HashAlg,
    tenant: &str,
    id: &CaseId,
    before: Option<Case>,
    prev: (u32, String),
    at: Instant,
    actor: &Actor,
    events: Events,
) -> Result<(Linked, Case)> {
    let at_s = crate::sqlite::ts(at);
    let actor_json = serde_json::to_string(actor).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let serialised = events.serialise().map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut linked = Vec::with_capacity(serialised.len());
    let mut seq = prev.0;
    let mut last = prev.1.clone();
    for e in serialised {
        seq += 1;
        let hash = chain::link_event(alg, &last, tenant, id.as_str(), seq, &at_s, &actor_json, &e.body);
        linked.push(LinkedEvent { seq, kind: e.name, body: e.body, hash: hash.clone() });
        last = hash;
    }
    let state = events.fold(before, &Stamp { case: id, seq: prev.0 + 1, at, actor })?;
    Ok((Linked { alg: alg.as_str(), at: at_s, actor: actor_json, prev, events: linked }, state))
}

/// Drops sub-millisecond precision, which both stores keep no more of: an instant
/// survives a round trip unchanged, and its hashed text is a function of what is stored.
pub(crate) fn trunc_ms(t: Instant) -> Instant {
    use chrono::SubsecRound;
    t.trunc_subsecs(3)
}

/// Links an imported case's whole history as it would have been appended live (its
/// appends, `ImportedCase::new`), each onto the last: the appends, each with its
/// time, and the case after them.
pub(crate) fn link_history(alg: HashAlg, c: &mut ImportedCase) -> Result<(Vec<(Instant, Linked)>, Case)> {
    let tenant = c.tenant.as_str().to_owned();
    let mut out = vec![];
    let (mut state, mut head) = (None, (0u32, chain::GENESIS.to_owned()));
    for (at, actor, events) in std::mem::take(&mut c.appends) {
        let (linked, after) =
            link(alg, &tenant, &c.id, state.take(), head, at, &actor, events).map_err(|e| match e {
                // The kind refused the history (`Kind::check`), or it opens no case.
                StoreError::Corrupt(why) => StoreError::InvalidImport(why),
                e => e,
            })?;
        head = (linked.head().0, linked.head().1.to_owned());
        state = Some(after);
        out.push((at, linked));
    }
    let state = state.ok_or_else(|| StoreError::Corrupt(format!("imported case {} has no events", c.id)))?;
    Ok((out, state))
}
