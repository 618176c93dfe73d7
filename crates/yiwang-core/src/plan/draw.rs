//! The draw of 双随机一公开: commit-reveal over a public beacon, deterministic, and
//! re-verifiable by anyone from the published record alone (`yiwang verify-draw`).
//!
//! **Commit.** Before the draw the plan records a [`Commitment`]: the plan's
//! parameters, the SHA-256 of the [`Snapshot`] (the exact eligible targets with their
//! credit class, the inspectors with unit, qualifications and 回避 list, and the last
//! draw's target–inspector pairs of the same matters), the SHA-256 of a secret 32-byte
//! seed, and a drand `quicknet` round whose time lies after the commit. Nobody knows
//! the round's value at commit time, and the seed is fixed before it is published.
//!
//! **Reveal.** Once the round is out, the seed is revealed and the beacon's signature
//! checked against quicknet's public key (BLS on G1, RFC 9380 hashing;
//! `drand-verify`). Its randomness is SHA-256(signature), as drand defines it.
//!
//! **The algorithm**, version `yiwang-draw/1`:
//! 1. `key = SHA-256("yiwang-draw/1" ‖ seed ‖ randomness ‖ SHA-256(commitment))`, the
//!    commitment in its canonical JSON (so every committed byte moves the draw).
//! 2. A keyed stream per label: the blocks `HMAC-SHA256(key, label ‖ counter)`, counter
//!    a big-endian u64 from 0, each read as four big-endian u64. A number below `n`
//!    is the next u64 `x` with `x < n·⌊(2⁶⁴−1)/n⌋`, as `x mod n` (no bias).
//! 3. Targets, per credit class A, B, C, D (the strata): the class's targets sorted
//!    by code, Fisher–Yates shuffled with the stream `targets/<class>` (for `i` from
//!    `len−1` down to 1, swap `i` with a number below `i+1`); the first
//!    `⌈ratio × n⌉` are drawn (ratios in basis points). When the total falls short of
//!    the plan's minimum ratio of all targets, the next ones are taken one at a time
//!    from D, C, B, A in turn, in their shuffled order.
//! 4. Inspectors, for each drawn target in that order: the inspectors qualified for the
//!    plan (their unit is a department of one of its matters and they hold that
//!    matter's domain) sorted by id, shuffled with the stream `inspectors/<code>`. An
//!    inspector is valid for the target unless it is in their 回避 list or they
//!    inspected it in the last draw of the same matter. First, for each department of
//!    the plan in order, its first valid inspector (a joint plan has someone of each
//!    department); then the next valid ones until `inspectors_per_target`.
//!    No valid assignment refuses the draw, naming the target.

use crate::enterprise::CreditClass;
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// The algorithm's name, in every record.
pub const FORMAT: &str = "yiwang-draw/1";
/// drand quicknet (League of Entropy): its chain hash, genesis, period and key.
pub const QUICKNET_CHAIN_HASH: &str = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971";
pub const QUICKNET_GENESIS: i64 = 1_692_803_367;
pub const QUICKNET_PERIOD: i64 = 3;
pub const QUICKNET_PUBLIC_KEY: &str = "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a";

/// The latest quicknet round published at `t` (0 before genesis).
pub fn round_at(t: DateTime<Utc>) -> u64 {
    let s = t.timestamp();
    if s < QUICKNET_GENESIS { 0 } else { ((s - QUICKNET_GENESIS) / QUICKNET_PERIOD) as u64 + 1 }
}

/// When quicknet publishes `round` (round 1 at genesis).
pub fn round_time(round: u64) -> DateTime<Utc> {
    let s = QUICKNET_GENESIS + (round.max(1) as i64 - 1) * QUICKNET_PERIOD;
    Utc.timestamp_opt(s, 0).single().unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Sampling ratios per credit class, in basis points (万分之; 100 = 1 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ratios {
    pub a: u32,
    pub b: u32,
    pub c: u32,
    pub d: u32,
}

impl Default for Ratios {
    /// Henan's 2021 rule: low risk 1 %, medium 2 %, mid-high 10 %, high 30 %.
    fn default() -> Self {
        Ratios { a: 100, b: 200, c: 1000, d: 3000 }
    }
}

impl Ratios {
    pub fn of(&self, c: CreditClass) -> u32 {
        match c {
            CreditClass::A => self.a,
            CreditClass::B => self.b,
            CreditClass::C => self.c,
            CreditClass::D => self.d,
        }
    }
}

/// `⌈bp × n / 10000⌉`, at most `n`.
pub fn share(bp: u32, n: usize) -> usize {
    ((bp as u64 * n as u64).div_ceil(10_000) as usize).min(n)
}

/// A matter as a draw needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatterRef {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub domain: String,
}

/// What of the plan the draw depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrawParams {
    pub matters: Vec<MatterRef>,
    pub ratios: Ratios,
    /// The least share of all targets drawn, basis points.
    pub min_ratio: u32,
    pub inspectors_per_target: u32,
}

impl DrawParams {
    /// The plan's departments, in the order of its matters.
    pub fn departments(&self) -> Vec<&str> {
        let mut out: Vec<&str> = vec![];
        for m in &self.matters {
            if !out.contains(&m.unit.as_str()) {
                out.push(&m.unit);
            }
        }
        out
    }
    /// Whether an inspector may serve on this plan at all.
    pub fn qualifies(&self, i: &SnapInspector) -> bool {
        self.matters.iter().any(|m| m.unit == i.unit && i.qualifications.contains(&m.domain))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapTarget {
    pub code: String,
    pub class: CreditClass,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapInspector {
    pub id: String,
    pub unit: String,
    pub qualifications: Vec<String>,
    pub recusals: Vec<String>,
}

/// An inspector who inspected a target in the last draw of one of the plan's matters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pair {
    pub target: String,
    pub inspector: String,
}

/// The lists a draw is made from, fixed at commit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snapshot {
    pub targets: Vec<SnapTarget>,
    pub inspectors: Vec<SnapInspector>,
    pub last: Vec<Pair>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The commitment to a seed: SHA-256(seed), lower-case hex.
pub fn seed_sha256(seed: &[u8; 32]) -> String {
    sha256_hex(seed)
}

impl Snapshot {
    /// The same lists in canonical order: everything sorted, no duplicates.
    pub fn canonical(mut self) -> Self {
        for i in &mut self.inspectors {
            i.qualifications.sort();
            i.qualifications.dedup();
            i.recusals.sort();
            i.recusals.dedup();
        }
        self.targets.sort();
        self.targets.dedup_by(|a, b| a.code == b.code);
        self.inspectors.sort();
        self.inspectors.dedup_by(|a, b| a.id == b.id);
        self.last.sort();
        self.last.dedup();
        self
    }
    pub fn is_canonical(&self) -> bool {
        self.clone().canonical() == *self
    }
    /// SHA-256 of its canonical JSON (compact, fields in declaration order), hex.
    pub fn sha256(&self) -> String {
        sha256_hex(&serde_json::to_vec(self).expect("a snapshot serialises"))
    }
}

/// What is published before the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Commitment {
    pub plan: String,
    pub title: String,
    /// 1 for the first draw, 2 for the first redraw …
    pub number: u32,
    /// Why it is redrawn (none for the first draw).
    pub reason: Option<String>,
    pub params: DrawParams,
    pub snapshot_sha256: String,
    /// SHA-256 of the secret seed, hex.
    pub seed_sha256: String,
    pub beacon_chain: String,
    pub round: u64,
    pub committed_at: DateTime<Utc>,
}

impl Commitment {
    pub fn sha256(&self) -> String {
        sha256_hex(&serde_json::to_vec(self).expect("a commitment serialises"))
    }
}

/// A beacon round as pasted or fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Beacon {
    pub round: u64,
    /// The BLS signature, hex (48 bytes on quicknet).
    pub signature: String,
}

/// Checks a quicknet round's signature; gives its randomness, SHA-256(signature).
pub fn verify_beacon(b: &Beacon) -> Result<[u8; 32], String> {
    use drand_verify::{G2PubkeyRfc, Pubkey};
    let sig = hex::decode(b.signature.trim()).map_err(|_| "信标签名应为十六进制".to_string())?;
    let mut key = [0u8; 96];
    hex::decode_to_slice(QUICKNET_PUBLIC_KEY, &mut key).expect("the quicknet key is hex");
    let pk = G2PubkeyRfc::from_fixed(key).expect("the quicknet key is a point");
    match pk.verify(b.round, b"", &sig) {
        Ok(true) => Ok(drand_verify::derive_randomness(&sig)),
        Ok(false) => Err(format!("第 {} 轮信标签名验证失败", b.round)),
        Err(e) => Err(format!("第 {} 轮信标签名无效：{e}", b.round)),
    }
}

/// A drawn target and its inspectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub target: String,
    pub class: CreditClass,
    pub inspectors: Vec<String>,
}

/// Why a draw cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("抽查对象 {target} 没有足够的符合资格且无需回避的执法检查人员（需要 {needed} 名）")]
    NoValidAssignment { target: String, needed: u32 },
}

/// The keyed stream of one label.
struct Stream<'a> {
    key: &'a [u8; 32],
    label: Vec<u8>,
    counter: u64,
    buf: Vec<u64>,
}

impl<'a> Stream<'a> {
    fn new(key: &'a [u8; 32], label: &str) -> Self {
        Stream { key, label: label.as_bytes().to_vec(), counter: 0, buf: vec![] }
    }
    fn next_u64(&mut self) -> u64 {
        if self.buf.is_empty() {
            let mut mac = Hmac::<Sha256>::new_from_slice(self.key).expect("hmac takes any key length");
            mac.update(&self.label);
            mac.update(&self.counter.to_be_bytes());
            self.counter += 1;
            let block = mac.finalize().into_bytes();
            // Popped from the end: store the four words reversed.
            self.buf = block.chunks(8).rev().map(|c| u64::from_be_bytes(c.try_into().expect("8 bytes"))).collect();
        }
        self.buf.pop().expect("refilled")
    }
    /// A number below `n` (> 0), without bias.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = (u64::MAX / n) * n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// The draw's key (step 1).
pub fn draw_key(seed: &[u8; 32], randomness: &[u8; 32], commitment: &Commitment) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(FORMAT.as_bytes());
    h.update(seed);
    h.update(randomness);
    h.update(Sha256::digest(serde_json::to_vec(commitment).expect("a commitment serialises")));
    h.finalize().into()
}

/// Whether `i` may inspect `target` (回避 and last time's pairs).
fn valid(i: &SnapInspector, target: &str, last: &BTreeSet<(&str, &str)>) -> bool {
    !i.recusals.iter().any(|r| r == target) && !last.contains(&(target, i.id.as_str()))
}

/// The inspectors for one target, in the stream's order (step 4).
fn assign(
    params: &DrawParams,
    pool: &[&SnapInspector],
    target: &str,
    last: &BTreeSet<(&str, &str)>,
    stream: Option<&mut Stream<'_>>,
) -> Result<Vec<String>, DrawError> {
    let mut order: Vec<&SnapInspector> = pool.to_vec();
    if let Some(s) = stream {
        s.shuffle(&mut order);
    }
    let needed = params.inspectors_per_target;
    let fail = || DrawError::NoValidAssignment { target: target.into(), needed };
    let mut chosen: Vec<&SnapInspector> = vec![];
    for d in params.departments() {
        let first = order.iter().find(|i| i.unit == d && valid(i, target, last)).ok_or_else(fail)?;
        chosen.push(first);
    }
    for i in &order {
        if chosen.len() >= needed as usize {
            break;
        }
        if valid(i, target, last) && !chosen.iter().any(|c| c.id == i.id) {
            chosen.push(i);
        }
    }
    if chosen.len() < needed as usize {
        return Err(fail());
    }
    Ok(chosen.into_iter().map(|i| i.id.clone()).collect())
}

fn last_pairs(s: &Snapshot) -> BTreeSet<(&str, &str)> {
    s.last.iter().map(|p| (p.target.as_str(), p.inspector.as_str())).collect()
}

fn pool<'s>(params: &DrawParams, s: &'s Snapshot) -> Vec<&'s SnapInspector> {
    let mut pool: Vec<&SnapInspector> = s.inspectors.iter().filter(|i| params.qualifies(i)).collect();
    pool.sort_by(|a, b| a.id.cmp(&b.id));
    pool
}

/// Whether every target of the snapshot can be given its inspectors whatever the
/// draw: checked at commit, so a committed draw never fails for want of inspectors.
pub fn feasible(params: &DrawParams, s: &Snapshot) -> Result<(), DrawError> {
    let pool = pool(params, s);
    let last = last_pairs(s);
    for t in &s.targets {
        assign(params, &pool, &t.code, &last, None)?;
    }
    Ok(())
}

/// The draw (steps 3 and 4), from the key.
pub fn draw(params: &DrawParams, s: &Snapshot, key: &[u8; 32]) -> Result<Vec<Assignment>, DrawError> {
    let mut strata: Vec<(CreditClass, Vec<&SnapTarget>, usize)> = vec![];
    for class in CreditClass::ALL {
        let mut ts: Vec<&SnapTarget> = s.targets.iter().filter(|t| t.class == class).collect();
        ts.sort_by(|a, b| a.code.cmp(&b.code));
        Stream::new(key, &format!("targets/{}", class.as_str())).shuffle(&mut ts);
        let k = share(params.ratios.of(class), ts.len());
        strata.push((class, ts, k));
    }
    let least = share(params.min_ratio, s.targets.len());
    let mut total: usize = strata.iter().map(|x| x.2).sum();
    while total < least {
        let before = total;
        for st in strata.iter_mut().rev() {
            if total < least && st.2 < st.1.len() {
                st.2 += 1;
                total += 1;
            }
        }
        if total == before {
            break;
        }
    }
    let pool = pool(params, s);
    let last = last_pairs(s);
    let mut out = vec![];
    for (class, ts, k) in &strata {
        for t in &ts[..*k] {
            let mut stream = Stream::new(key, &format!("inspectors/{}", t.code));
            let inspectors = assign(params, &pool, &t.code, &last, Some(&mut stream))?;
            out.push(Assignment { target: t.code.clone(), class: *class, inspectors });
        }
    }
    Ok(out)
}

/// The published record of one draw: everything needed to re-verify it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrawRecord {
    pub format: String,
    pub commitment: Commitment,
    pub snapshot: Snapshot,
    /// The revealed seed, hex.
    pub seed: String,
    pub beacon: Beacon,
    pub result: Vec<Assignment>,
}

impl DrawRecord {
    /// The record's one file form: pretty JSON and a final newline. Verification
    /// accepts only this form, so that no byte of a published file is free.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("a draw record serialises");
        v.push(b'\n');
        v
    }
}

/// Parses a 32-byte hex value.
pub fn hex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok().map(|_| out)
}

/// Re-verifies a published record: its form, the snapshot's hash, the seed against
/// its commitment, the beacon (chain, signature, a round after the commit), and the
/// result recomputed. Gives every difference found, in Chinese.
pub fn verify_record(bytes: &[u8]) -> Result<DrawRecord, Vec<String>> {
    let r: DrawRecord = serde_json::from_slice(bytes).map_err(|e| vec![format!("记录不是有效的抽取记录 JSON：{e}")])?;
    let mut diffs = vec![];
    let canonical = r.to_bytes();
    if canonical != bytes {
        let at = canonical.iter().zip(bytes).position(|(a, b)| a != b).unwrap_or(canonical.len().min(bytes.len()));
        diffs.push(format!("记录不是规范格式：第 {at} 字节起与规范序列化不同"));
    }
    if r.format != FORMAT {
        diffs.push(format!("算法版本为“{}”，本程序验证 {FORMAT}", r.format));
    }
    let c = &r.commitment;
    if !r.snapshot.is_canonical() {
        diffs.push("名单快照不是规范顺序".into());
    }
    let snap = r.snapshot.sha256();
    if snap != c.snapshot_sha256 {
        diffs.push(format!("名单快照的 SHA-256 为 {snap}，承诺中为 {}", c.snapshot_sha256));
    }
    let seed = hex32(&r.seed);
    match seed {
        None => diffs.push("种子应为32字节的十六进制".into()),
        Some(s) => {
            let h = sha256_hex(&s);
            if h != c.seed_sha256 {
                diffs.push(format!("种子的 SHA-256 为 {h}，承诺中为 {}", c.seed_sha256));
            }
        }
    }
    if c.beacon_chain != QUICKNET_CHAIN_HASH {
        diffs.push(format!("信标链 {} 不是 drand quicknet", c.beacon_chain));
    }
    if r.beacon.round != c.round {
        diffs.push(format!("信标轮次为 {}，承诺中为 {}", r.beacon.round, c.round));
    }
    if round_time(c.round) <= c.committed_at {
        diffs.push(format!("承诺的信标轮次 {} 不在承诺时间 {} 之后", c.round, c.committed_at));
    }
    let randomness = match verify_beacon(&r.beacon) {
        Ok(x) => Some(x),
        Err(e) => {
            diffs.push(e);
            None
        }
    };
    if let (Some(seed), Some(randomness)) = (seed, randomness) {
        match draw(&c.params, &r.snapshot, &draw_key(&seed, &randomness, c)) {
            Err(e) => diffs.push(format!("重算抽取失败：{e}")),
            Ok(again) => diffs.extend(compare(&r.result, &again)),
        }
    }
    if diffs.is_empty() { Ok(r) } else { Err(diffs) }
}

/// The differences between a recorded and a recomputed result.
pub fn compare(recorded: &[Assignment], again: &[Assignment]) -> Vec<String> {
    let mut out = vec![];
    if recorded.len() != again.len() {
        out.push(format!("记录抽中 {} 个对象，重算抽中 {} 个", recorded.len(), again.len()));
    }
    for (i, (a, b)) in recorded.iter().zip(again).enumerate() {
        if a.target != b.target || a.class != b.class {
            out.push(format!(
                "第 {} 个抽中对象：记录为 {}（{}类），重算为 {}（{}类）",
                i + 1,
                a.target,
                a.class.as_str(),
                b.target,
                b.class.as_str()
            ));
        } else if a.inspectors != b.inspectors {
            out.push(format!(
                "对象 {} 的检查人员：记录为 {}，重算为 {}",
                a.target,
                a.inspectors.join("、"),
                b.inspectors.join("、")
            ));
        }
    }
    out
}
