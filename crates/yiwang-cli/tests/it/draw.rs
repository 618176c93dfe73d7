//! `yiwang verify-draw` on a published draw record: the built binary says OK and
//! exits 0 for the record as made, and names what differs, exiting 1, for the same
//! record changed by one byte (a target, the seed, the beacon's signature).

use crate::bin;
use yiwang_core::enterprise::CreditClass;
use yiwang_core::plan::draw::{self, Commitment, DrawParams, MatterRef, SnapInspector, SnapTarget};
use yiwang_core::plan::{Beacon, DrawRecord, Ratios, Snapshot};

/// quicknet round 123, as recorded in drand-verify's own tests.
const ROUND: u64 = 123;
const SIGNATURE: &str =
    "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";

fn record() -> Vec<u8> {
    let params = DrawParams {
        matters: vec![MatterRef {
            code: "SC-SP-01".into(),
            name: "食品经营许可事项检查".into(),
            unit: "scjgj".into(),
            domain: "食品安全".into(),
        }],
        ratios: Ratios::default(),
        min_ratio: 500,
        inspectors_per_target: 2,
    };
    let snapshot = Snapshot {
        targets: (0..120).map(|i| SnapTarget { code: format!("T{i:04}"), class: CreditClass::ALL[i % 4] }).collect(),
        inspectors: (0..5)
            .map(|i| SnapInspector {
                id: format!("SC00{i}"),
                unit: "scjgj".into(),
                qualifications: vec!["食品安全".into()],
                recusals: if i == 0 { vec!["T0003".into()] } else { vec![] },
            })
            .collect(),
        last: vec![],
    }
    .canonical();
    let seed = [42u8; 32];
    let commitment = Commitment {
        plan: "CC20230823000001".into(),
        title: "餐饮服务食品安全双随机抽查".into(),
        number: 1,
        reason: None,
        params: params.clone(),
        snapshot_sha256: snapshot.sha256(),
        seed_sha256: draw::seed_sha256(&seed),
        beacon_chain: draw::QUICKNET_CHAIN_HASH.into(),
        round: ROUND,
        committed_at: draw::round_time(ROUND) - chrono::Duration::minutes(5),
    };
    let beacon = Beacon { round: ROUND, signature: SIGNATURE.into() };
    let randomness = draw::verify_beacon(&beacon).unwrap();
    let result = draw::draw(&params, &snapshot, &draw::draw_key(&seed, &randomness, &commitment)).unwrap();
    DrawRecord {
        format: draw::FORMAT.into(),
        commitment,
        snapshot,
        seed: seed.iter().map(|b| format!("{b:02x}")).collect(),
        beacon,
        result,
    }
    .to_bytes()
}

fn verify_draw(bytes: &[u8]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("draw.json");
    std::fs::write(&file, bytes).unwrap();
    let out = bin().arg("verify-draw").arg(&file).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn verify_draw_says_ok_or_exactly_what_differs() {
    let bytes = record();
    let (ok, out) = verify_draw(&bytes);
    assert!(ok, "{out}");
    assert!(out.starts_with("OK"), "{out}");
    assert!(out.contains("drand quicknet 第 123 轮签名有效"), "{out}");

    let text = String::from_utf8(bytes.clone()).unwrap();
    let seed_at = text.find("\"seed\": \"").unwrap() + 9;
    let sig_at = text.find("\"signature\": \"").unwrap() + 20;
    let target_at = text.find("\"T0001\"").unwrap() + 4;
    for (what, at, says) in [
        ("seed", seed_at, "种子的 SHA-256"),
        ("signature", sig_at, "信标签名"),
        ("snapshot target", target_at, "名单快照的 SHA-256"),
    ] {
        let mut changed = bytes.clone();
        changed[at] = if changed[at] == b'0' { b'1' } else { b'0' };
        let (ok, out) = verify_draw(&changed);
        assert!(!ok, "{what} changed still verifies: {out}");
        assert!(out.contains("验证失败") && out.contains(says), "{what}: {out}");
    }
    // Not a record at all.
    let (ok, out) = verify_draw(b"{}");
    assert!(!ok && out.contains("不是有效的抽取记录"), "{out}");
}
