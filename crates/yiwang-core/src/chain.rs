//! The hash chain over a case's events: each event's hash covers its content and the
//! hash of the event before it, so altering, removing or reordering any stored event
//! breaks the chain (`yiwang audit verify`).
//!
//! The hash function is a choice, not a constant (DESIGN.md): SHA-256 by default, SM3
//! (GB/T 32905-2016, 国密) when the installation chooses it. The algorithm is stored
//! with every event, so an installation that switches keeps its older events as they
//! were hashed and a chain may mix both (`verify` reads each event's own).

use sha2::{Digest, Sha256};
use sm3::Sm3;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HashAlg {
    #[default]
    Sha256,
    Sm3,
}

impl HashAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sm3 => "sm3",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sha256" => Some(HashAlg::Sha256),
            "sm3" => Some(HashAlg::Sm3),
            _ => None,
        }
    }

    /// The hex digest of the concatenated parts.
    pub fn hex(self, parts: &[&[u8]]) -> String {
        match self {
            HashAlg::Sha256 => hex_of::<Sha256>(parts),
            HashAlg::Sm3 => hex_of::<Sm3>(parts),
        }
    }
}

fn hex_of<D: Digest>(parts: &[&[u8]]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut h = D::new();
    for p in parts {
        h.update(p);
    }
    let out = h.finalize();
    let mut s = String::with_capacity(2 * out.len());
    for b in out {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// The `prev_hash` of a case's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The exact bytes an event's hash covers. Every field is included; the JSON parts are
/// written once, stored as they were hashed, and never re-serialised.
pub fn canonical(tenant: &str, case: &str, seq: u32, at: &str, actor_json: &str, body_json: &str) -> String {
    format!("{tenant}\n{case}\n{seq}\n{at}\n{actor_json}\n{body_json}")
}

/// `hash = H(prev_hash || "\n" || canonical)`, hex encoded.
pub fn link(alg: HashAlg, prev_hash: &str, canonical: &str) -> String {
    digest(alg, &[prev_hash.as_bytes(), b"\n", canonical.as_bytes()])
}

/// The hash `link` gives an event's `canonical` text, computed from its parts without
/// building the text first: the same bytes, in the same order.
#[allow(clippy::too_many_arguments)]
pub fn link_event(
    alg: HashAlg,
    prev_hash: &str,
    tenant: &str,
    case: &str,
    seq: u32,
    at: &str,
    actor_json: &str,
    body_json: &str,
) -> String {
    let mut n = [0u8; 10];
    let seq = decimal(seq, &mut n);
    let parts: [&[u8]; 13] = [
        prev_hash.as_bytes(),
        b"\n",
        tenant.as_bytes(),
        b"\n",
        case.as_bytes(),
        b"\n",
        seq,
        b"\n",
        at.as_bytes(),
        b"\n",
        actor_json.as_bytes(),
        b"\n",
        body_json.as_bytes(),
    ];
    digest(alg, &parts)
}

/// `n` in decimal, written into `buf`.
fn decimal(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

fn digest(alg: HashAlg, parts: &[&[u8]]) -> String {
    alg.hex(parts)
}

/// What is wrong with a stored chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("event {seq}: expected sequence number {expected} (an event was removed or reordered)")]
    Gap { seq: u32, expected: u32 },
    #[error("event {seq}: prev_hash does not match the previous event's hash")]
    Unlinked { seq: u32 },
    #[error("event {seq}: content does not match its hash (the event was altered)")]
    Altered { seq: u32 },
    #[error("event {seq}: unknown hash algorithm {alg}")]
    UnknownAlg { seq: u32, alg: String },
    #[error("the case's head says {head_seq} events ending in {head_hash}, the log ends at event {last_seq}")]
    Truncated { head_seq: u32, head_hash: String, last_seq: u32 },
    /// The kind recorded for the case (beside its head) is not the kind its first
    /// event opens: one of the two was altered.
    #[error("the case is recorded as a {kind}, but its first event does not open one")]
    WrongKind { kind: String },
}

/// A stored event as the verifier reads it.
pub struct StoredLink<'a> {
    pub seq: u32,
    pub alg: &'a str,
    pub prev_hash: &'a str,
    pub hash: &'a str,
    pub canonical: String,
}

/// Verifies one case's events in stored order against the case's recorded head.
pub fn verify<'a>(
    links: impl IntoIterator<Item = StoredLink<'a>>,
    head: Option<(u32, &str)>,
) -> Result<(), ChainBreak> {
    let mut prev = GENESIS.to_owned();
    let mut expected = 1u32;
    for l in links {
        if l.seq != expected {
            return Err(ChainBreak::Gap { seq: l.seq, expected });
        }
        if l.prev_hash != prev {
            return Err(ChainBreak::Unlinked { seq: l.seq });
        }
        let Some(alg) = HashAlg::parse(l.alg) else {
            return Err(ChainBreak::UnknownAlg { seq: l.seq, alg: l.alg.to_owned() });
        };
        if link(alg, l.prev_hash, &l.canonical) != l.hash {
            return Err(ChainBreak::Altered { seq: l.seq });
        }
        prev = l.hash.to_owned();
        expected += 1;
    }
    if let Some((head_seq, head_hash)) = head
        && (head_seq != expected - 1 || head_hash != prev)
    {
        return Err(ChainBreak::Truncated { head_seq, head_hash: head_hash.to_owned(), last_seq: expected - 1 });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u32) -> Vec<(u32, String, String, String)> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let c = canonical("t", "YW1", seq, "2026-01-01T00:00:00Z", "{}", &format!("{{\"n\":{seq}}}"));
                let h = link(HashAlg::Sha256, &prev, &c);
                let row = (seq, prev.clone(), h.clone(), c);
                prev = h;
                row
            })
            .collect()
    }
    fn links(rows: &[(u32, String, String, String)]) -> Vec<StoredLink<'_>> {
        rows.iter()
            .map(|(seq, p, h, c)| StoredLink { seq: *seq, alg: "sha256", prev_hash: p, hash: h, canonical: c.clone() })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_and_every_kind_of_tampering_is_caught() {
        let rows = chain(4);
        let head = (4, rows[3].2.as_str());
        assert_eq!(verify(links(&rows), Some(head)), Ok(()));

        let mut altered = rows.clone();
        altered[1].3 = altered[1].3.replace("\"n\":2", "\"n\":9");
        assert_eq!(verify(links(&altered), Some(head)), Err(ChainBreak::Altered { seq: 2 }));

        let mut removed = rows.clone();
        removed.remove(1);
        assert_eq!(verify(links(&removed), Some(head)), Err(ChainBreak::Gap { seq: 3, expected: 2 }));

        let mut reordered = rows.clone();
        reordered.swap(1, 2);
        assert!(matches!(verify(links(&reordered), Some(head)), Err(ChainBreak::Gap { .. })));

        let truncated = rows[..3].to_vec();
        assert!(matches!(verify(links(&truncated), Some(head)), Err(ChainBreak::Truncated { .. })));
    }

    #[test]
    fn an_event_hashed_from_its_parts_has_the_hash_of_its_canonical_text() {
        for seq in [1, 9, 10, 12345, u32::MAX] {
            let c =
                canonical("yx", "YW20261201000001", seq, "2026-12-01T02:00:00.000Z", "{\"a\":1}", "{\"b\":\"路灯\"}");
            assert_eq!(
                link_event(
                    HashAlg::Sha256,
                    GENESIS,
                    "yx",
                    "YW20261201000001",
                    seq,
                    "2026-12-01T02:00:00.000Z",
                    "{\"a\":1}",
                    "{\"b\":\"路灯\"}"
                ),
                link(HashAlg::Sha256, GENESIS, &c)
            );
        }
    }

    #[test]
    fn sha256_matches_a_known_vector() {
        // sha256("\n" + "") with an empty prev hash: H("\n").
        assert_eq!(link(HashAlg::Sha256, "", ""), "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b");
    }

    #[test]
    fn sm3_matches_the_standards_examples() {
        // GB/T 32905-2016, appendix A: example 1 ("abc") and example 2 ("abcd" × 16).
        assert_eq!(HashAlg::Sm3.hex(&[b"abc"]), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
        assert_eq!(
            HashAlg::Sm3.hex(&[b"abcd".repeat(8).as_slice(), b"abcd".repeat(8).as_slice()]),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
        assert_eq!(HashAlg::parse(HashAlg::Sm3.as_str()), Some(HashAlg::Sm3));
    }

    #[test]
    fn a_chain_that_switched_from_sha256_to_sm3_verifies_and_tampering_is_still_caught() {
        let algs = [HashAlg::Sha256, HashAlg::Sha256, HashAlg::Sm3, HashAlg::Sm3];
        let mut prev = GENESIS.to_owned();
        let rows: Vec<_> = (1..=4u32)
            .map(|seq| {
                let alg = algs[seq as usize - 1];
                let c = canonical("t", "YW1", seq, "2026-01-01T00:00:00Z", "{}", &format!("{{\"n\":{seq}}}"));
                let h =
                    link_event(alg, &prev, "t", "YW1", seq, "2026-01-01T00:00:00Z", "{}", &format!("{{\"n\":{seq}}}"));
                assert_eq!(h, link(alg, &prev, &c));
                let row = (seq, alg.as_str(), prev.clone(), h.clone(), c);
                prev = h;
                row
            })
            .collect();
        let links = |rows: &[(u32, &'static str, String, String, String)]| -> Vec<StoredLink<'static>> {
            rows.iter()
                .map(|(seq, alg, p, h, c)| StoredLink {
                    seq: *seq,
                    alg,
                    prev_hash: Box::leak(p.clone().into_boxed_str()),
                    hash: Box::leak(h.clone().into_boxed_str()),
                    canonical: c.clone(),
                })
                .collect()
        };
        let head = (4, rows[3].3.as_str());
        assert_eq!(verify(links(&rows), Some(head)), Ok(()));
        assert_ne!(rows[2].3, link(HashAlg::Sha256, &rows[2].2, &rows[2].4), "SM3 is not SHA-256");
        // An SM3 event relabelled as SHA-256 no longer matches its hash.
        let mut relabelled = rows.clone();
        relabelled[2].1 = "sha256";
        assert_eq!(verify(links(&relabelled), Some(head)), Err(ChainBreak::Altered { seq: 3 }));
        let mut altered = rows.clone();
        altered[3].4 = altered[3].4.replace("\"n\":4", "\"n\":5");
        assert_eq!(verify(links(&altered), Some(head)), Err(ChainBreak::Altered { seq: 4 }));
    }
}
