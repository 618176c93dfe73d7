//! 双随机一公开: the registers' checks, the plan's rules as a table, and the draw:
//! deterministic, never putting an inspector on a target they are recused from, and
//! re-verifiable from its record, which fails when any one byte of it changes.

use crate::fixture::{code_of, context, t};
use chrono::NaiveDate;
use yiwang_core::Instant;
use yiwang_core::case::{Envelope, Refusal};
use yiwang_core::enterprise::CreditClass;
use yiwang_core::id::{CaseId, Username};
use yiwang_core::org::{Actor, Organisation, Role, UnitKind};
use yiwang_core::plan::draw::{self, DrawParams, MatterRef, Pair, SnapInspector, SnapTarget};
use yiwang_core::plan::{
    self, Beacon, Command, DrawRecord, NewPlan, Plan, PlanEvent, PlanStatus, Ratios, Registers, Snapshot, TargetFilter,
};

const SUPERVISION: &str = include_str!("../../../../data/demo/supervision.toml");

/// quicknet round 123 (from drand-verify's own tests: api3.drand.sh …/public/123).
const ROUND: u64 = 123;
const SIGNATURE: &str =
    "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
const SEED: [u8; 32] = [7; 32];

static ORG: std::sync::LazyLock<Organisation> = std::sync::LazyLock::new(|| {
    Organisation::new(serde_json::from_str(include_str!("../../../../data/demo/units.json")).unwrap()).unwrap()
});

fn registers() -> Registers {
    Registers::parse_toml(SUPERVISION, |u| ORG.get(u).is_some()).expect("the demo registers are good")
}

#[test]
fn the_demo_registers_are_good_and_realistic() {
    let r = registers();
    assert!(r.matters.len() >= 6, "{} matters", r.matters.len());
    assert!(r.inspectors.len() >= 20, "{} inspectors", r.inspectors.len());
    let mut units: Vec<&str> = r.inspectors.iter().map(|i| i.unit.as_str()).collect();
    units.sort();
    units.dedup();
    assert!(units.len() >= 3, "{units:?}");
}

#[test]
fn a_bad_register_file_names_every_bad_entry() {
    let bad = SUPERVISION
        .replacen("unit = \"sthjj\"\ndomain", "unit = \"nowhere\"\ndomain", 1)
        .replacen(
            "qualifications = [\"公共卫生\"]\nlicence = \"闽榕卫执04050002\"",
            "qualifications = [\"占卜\"]\nlicence = \"闽榕卫执04050001\"",
            1,
        )
        .replacen("code = \"YJ-WH-01\"", "code = \"YJ-AQ-01\"", 1);
    let problems = Registers::parse_toml(&bad, |u| ORG.get(u).is_some()).unwrap_err();
    let all = problems.join("\n");
    assert!(all.contains("HJ-PW-01") && all.contains("nowhere"), "{all}");
    assert!(all.contains("WJ002") && all.contains("占卜"), "{all}");
    assert!(all.contains("执法证号 闽榕卫执04050001 重复"), "{all}");
    assert!(all.contains("YJ-AQ-01") && all.contains("事项编码重复"), "{all}");
    assert_eq!(problems.len(), 4, "{all}");
    // Not TOML at all.
    assert!(Registers::parse_toml("[[matter]\n", |_| true).is_err());
}

#[test]
fn a_target_filter_matches_every_non_empty_list() {
    let r = registers();
    let food = &r.matter("SC-SP-01").unwrap().filter;
    let mut p = profile("91350100M000100Y43", "H6210", &["食品经营"]);
    assert!(food.matches(&p));
    p.tags = vec!["小微企业".into()];
    assert!(!food.matches(&p));
    let f = TargetFilter { industries: vec!["H62".into()], streets: vec!["st-yx".into()], ..Default::default() };
    p.street = Some(code_of("st-yx"));
    assert!(f.matches(&p));
    p.street = Some(code_of("st-wh"));
    assert!(!f.matches(&p));
    assert!(TargetFilter::default().matches(&p));
}

fn profile(code: &str, industry: &str, tags: &[&str]) -> yiwang_core::enterprise::Profile {
    yiwang_core::enterprise::Profile {
        code: yiwang_core::id::CreditCode::parse(code).unwrap(),
        name: "某企业".into(),
        entity_type: "个体工商户".into(),
        industry: industry.into(),
        address: "云溪路1号".into(),
        street: None,
        location: None,
        capital: 1,
        employees: 1,
        founded: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        licences: vec![],
        class: CreditClass::B,
        abnormal: false,
        last_penalty: None,
    }
}

#[test]
fn quicknet_rounds_are_named_by_time_and_verified_offline() {
    assert_eq!(draw::round_at(t("2023-08-23 23:09")), 0, "before genesis (China time)");
    let genesis = chrono::DateTime::from_timestamp(draw::QUICKNET_GENESIS, 0).unwrap();
    assert_eq!(draw::round_at(genesis), 1);
    assert_eq!(draw::round_time(1), genesis);
    assert_eq!(draw::round_time(ROUND), genesis + chrono::Duration::seconds(366));
    assert_eq!(draw::round_at(draw::round_time(ROUND)), ROUND);
    let good = Beacon { round: ROUND, signature: SIGNATURE.into() };
    assert!(draw::verify_beacon(&good).is_ok());
    // Another round with this signature, a changed signature, not hex.
    assert!(draw::verify_beacon(&Beacon { round: ROUND + 1, ..good.clone() }).is_err());
    let mut flipped = SIGNATURE.to_string();
    flipped.replace_range(40..41, if &SIGNATURE[40..41] == "0" { "1" } else { "0" });
    assert!(draw::verify_beacon(&Beacon { round: ROUND, signature: flipped }).is_err());
    assert!(draw::verify_beacon(&Beacon { round: ROUND, signature: "zz".into() }).is_err());
}

/// A small deterministic generator for the random snapshots.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn params(units: &[&str], per_target: u32) -> DrawParams {
    DrawParams {
        matters: units
            .iter()
            .enumerate()
            .map(|(i, u)| MatterRef {
                code: format!("M{i}"),
                name: format!("事项{i}"),
                unit: u.to_string(),
                domain: format!("领域{u}"),
            })
            .collect(),
        ratios: Ratios::default(),
        min_ratio: 500,
        inspectors_per_target: per_target,
    }
}

fn random_snapshot(rng: &mut Lcg, units: &[&str]) -> Snapshot {
    let n_targets = 20 + rng.below(300) as usize;
    let targets: Vec<SnapTarget> = (0..n_targets)
        .map(|i| SnapTarget { code: format!("T{i:04}"), class: CreditClass::ALL[rng.below(4) as usize] })
        .collect();
    let n_inspectors = units.len() * 2 + 2 + rng.below(8) as usize;
    let inspectors: Vec<SnapInspector> = (0..n_inspectors)
        .map(|i| {
            let unit = units[i % units.len()];
            let recusals = (0..rng.below(40)).map(|_| format!("T{:04}", rng.below(n_targets as u64))).collect();
            SnapInspector {
                id: format!("I{i:03}"),
                unit: unit.into(),
                qualifications: vec![format!("领域{unit}")],
                recusals,
            }
        })
        .collect();
    let last = (0..rng.below(60))
        .map(|_| Pair {
            target: format!("T{:04}", rng.below(n_targets as u64)),
            inspector: format!("I{:03}", rng.below(n_inspectors as u64)),
        })
        .collect();
    Snapshot { targets, inspectors, last }.canonical()
}

#[test]
fn over_a_thousand_draws_no_inspector_lands_on_a_target_they_are_recused_from() {
    let mut rng = Lcg(20261205);
    let (mut drawn, mut refused, mut assignments) = (0, 0, 0);
    for n in 0..1200u32 {
        let units: &[&str] = if n % 3 == 0 { &["scjgj", "wjw"] } else { &["scjgj"] };
        let p = params(units, 2 + rng.below(2) as u32);
        let s = random_snapshot(&mut rng, units);
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(&n.to_be_bytes());
        let feasible = draw::feasible(&p, &s).is_ok();
        match draw::draw(&p, &s, &key) {
            Err(_) => {
                assert!(!feasible, "draw {n} failed although feasible");
                refused += 1;
            }
            Ok(result) => {
                drawn += 1;
                // Every class's count is ⌈ratio × n⌉ or more (the 5 % floor tops up).
                for class in CreditClass::ALL {
                    let n_class = s.targets.iter().filter(|t| t.class == class).count();
                    let got = result.iter().filter(|a| a.class == class).count();
                    assert!(got >= draw::share(p.ratios.of(class), n_class) && got <= n_class);
                }
                assert!(result.len() >= draw::share(p.min_ratio, s.targets.len()));
                for a in &result {
                    assignments += 1;
                    assert_eq!(a.inspectors.len(), p.inspectors_per_target as usize);
                    let mut ids = a.inspectors.clone();
                    ids.sort();
                    ids.dedup();
                    assert_eq!(ids.len(), a.inspectors.len(), "the same inspector twice on {}", a.target);
                    for id in &a.inspectors {
                        let i = s.inspectors.iter().find(|i| &i.id == id).unwrap();
                        assert!(!i.recusals.contains(&a.target), "draw {n}: {id} is recused from {}", a.target);
                        assert!(
                            !s.last.contains(&Pair { target: a.target.clone(), inspector: id.clone() }),
                            "draw {n}: {id} inspected {} last time",
                            a.target
                        );
                    }
                    for u in units {
                        assert!(
                            a.inspectors.iter().any(|id| s.inspectors.iter().any(|i| &i.id == id && i.unit == *u)),
                            "a joint plan's target gets someone of {u}"
                        );
                    }
                }
                // Deterministic: the same inputs give the same draw.
                assert_eq!(draw::draw(&p, &s, &key).unwrap(), result);
            }
        }
    }
    assert!(drawn >= 1000, "{drawn} draws made, {refused} refused");
    assert!(assignments > 10_000, "{assignments} assignments");
}

#[test]
fn sampling_ratios_per_class_are_a_table() {
    // (targets per class A..D, ratios bp, floor bp) → drawn per class.
    type Row = ([usize; 4], [u32; 4], u32, [usize; 4]);
    let rows: &[Row] = &[
        ([1000, 500, 100, 20], [100, 200, 1000, 3000], 0, [10, 10, 10, 6]),
        // 81 by the floor: 45 more, one at a time from D, C, B, A.
        ([1000, 500, 100, 20], [100, 200, 1000, 3000], 500, [21, 21, 21, 18]),
        ([99, 1, 1, 1], [100, 200, 1000, 3000], 0, [1, 1, 1, 1]),
        ([0, 0, 0, 3], [100, 200, 1000, 3000], 0, [0, 0, 0, 1]),
        // The 5 % floor: 40 of 800, 8 + 4 by the ratios, topped up from D down.
        ([800, 0, 0, 0], [100, 200, 1000, 3000], 500, [40, 0, 0, 0]),
        ([400, 200, 10, 2], [100, 100, 100, 100], 500, [11, 9, 9, 2]),
        ([10, 10, 10, 10], [10_000, 0, 0, 0], 0, [10, 0, 0, 0]),
    ];
    for (counts, r, floor, want) in rows {
        let mut targets = vec![];
        for (ci, n) in counts.iter().enumerate() {
            for i in 0..*n {
                targets.push(SnapTarget { code: format!("{ci}-{i:05}"), class: CreditClass::ALL[ci] });
            }
        }
        let s = Snapshot {
            targets,
            inspectors: (0..3)
                .map(|i| SnapInspector {
                    id: format!("I{i}"),
                    unit: "scjgj".into(),
                    qualifications: vec!["领域scjgj".into()],
                    recusals: vec![],
                })
                .collect(),
            last: vec![],
        }
        .canonical();
        let mut p = params(&["scjgj"], 2);
        p.ratios = Ratios { a: r[0], b: r[1], c: r[2], d: r[3] };
        p.min_ratio = *floor;
        let result = draw::draw(&p, &s, &[1; 32]).unwrap();
        let got: Vec<usize> =
            CreditClass::ALL.iter().map(|c| result.iter().filter(|a| a.class == *c).count()).collect();
        assert_eq!(got, want.to_vec(), "{counts:?} {r:?} floor {floor}");
    }
}

// The plan as a case.

fn staff(name: &str, unit: &str, role: Role) -> Actor {
    Actor::Staff {
        username: Username::parse(name).unwrap(),
        unit: code_of(unit),
        unit_kind: UnitKind::Department,
        roles: vec![role],
    }
}
fn regulator() -> Actor {
    staff("scjgj-regulator", "scjgj", Role::Regulator)
}

/// Committed before round 123 is out (2023-08-23 23:15:33 China time).
fn commit_time() -> Instant {
    t("2023-08-23 23:14")
}

fn new_plan(matters: &[&str], per_target: u32) -> NewPlan {
    let r = registers();
    NewPlan {
        title: "2023年餐饮服务食品安全双随机抽查".into(),
        matters: matters.iter().map(|m| r.matter(m).unwrap().clone()).collect(),
        period_start: NaiveDate::from_ymd_opt(2023, 9, 1).unwrap(),
        period_end: NaiveDate::from_ymd_opt(2023, 11, 30).unwrap(),
        filter: matters.first().map(|m| r.matter(m).unwrap().filter.clone()).unwrap_or_default(),
        ratios: Ratios::default(),
        min_ratio: 500,
        inspectors_per_target: per_target,
    }
}

fn fold(state: Option<Plan>, at: Instant, who: &Actor, events: &[PlanEvent]) -> Plan {
    let mut s = state;
    let first = s.as_ref().map_or(1, |p| p.version + 1);
    for (i, e) in events.iter().enumerate() {
        let env = Envelope {
            case: CaseId::parse("CC20230823000001").unwrap(),
            seq: first + i as u32,
            at,
            actor: who.clone(),
            event: e.clone(),
        };
        s = plan::evolve(s, &env);
    }
    s.expect("a plan")
}

fn drafted() -> Plan {
    let at = commit_time();
    fold(None, at, &regulator(), &plan::open(&new_plan(&["SC-SP-01"], 2), &context(&regulator(), at)).unwrap())
}

fn snapshot_of(n: usize) -> Snapshot {
    let r = registers();
    let targets = (0..n).map(|i| SnapTarget { code: format!("Q{i:04}"), class: CreditClass::ALL[i % 4] }).collect();
    let inspectors = r
        .inspectors
        .iter()
        .map(|i| SnapInspector {
            id: i.id.clone(),
            unit: i.unit.to_string(),
            qualifications: i.qualifications.clone(),
            recusals: if i.id == "SC001" { vec!["Q0003".into(), "Q0007".into()] } else { vec![] },
        })
        .collect();
    Snapshot { targets, inspectors, last: vec![Pair { target: "Q0003".into(), inspector: "SC003".into() }] }.canonical()
}

fn seed_sha256() -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(SEED))
}

fn commit(_: &Plan, reason: Option<&str>) -> Command {
    Command::Commit {
        snapshot: snapshot_of(200),
        seed_sha256: seed_sha256(),
        round: ROUND,
        reason: reason.map(Into::into),
    }
}

fn committed() -> Plan {
    let s = drafted();
    let at = commit_time();
    let e = plan::decide(&s, &commit(&s, None), &context(&regulator(), at)).unwrap();
    fold(Some(s), at, &regulator(), &e)
}

fn draw_command() -> Command {
    Command::Draw { seed: hex::encode(SEED), beacon: Beacon { round: ROUND, signature: SIGNATURE.into() } }
}

fn drawn() -> Plan {
    let s = committed();
    let at = t("2023-08-23 23:20");
    let e = plan::decide(&s, &draw_command(), &context(&regulator(), at)).unwrap();
    fold(Some(s), at, &regulator(), &e)
}

fn code(r: Result<Vec<PlanEvent>, Refusal>) -> Result<Vec<&'static str>, String> {
    r.map(|e| e.iter().map(PlanEvent::name).collect()).map_err(|e| match e {
        Refusal::Rule { code, .. } => code.to_string(),
        Refusal::Forbidden { .. } => "forbidden".into(),
        Refusal::CaseClosed(_) => "closed".into(),
        Refusal::Invalid(v) => format!("invalid:{}", v.field),
        other => format!("{other:?}"),
    })
}

#[test]
fn who_may_plan_and_what_a_plan_must_say() {
    let at = commit_time();
    let enforcer = staff("scjgj-enforcer1", "scjgj", Role::Enforcer);
    let other = staff("yjj-regulator", "yjj", Role::Regulator);
    let mut no_title = new_plan(&["SC-SP-01"], 2);
    no_title.title = " ".into();
    let mut backwards = new_plan(&["SC-SP-01"], 2);
    backwards.period_end = NaiveDate::from_ymd_opt(2023, 8, 1).unwrap();
    let mut too_much = new_plan(&["SC-SP-01"], 2);
    too_much.ratios.d = 10_001;
    type Row = (&'static str, Actor, NewPlan, Result<Vec<&'static str>, String>);
    let rows: Vec<Row> = vec![
        ("a regulator plans their matter", regulator(), new_plan(&["SC-SP-01"], 2), Ok(vec!["planned"])),
        ("a joint plan", regulator(), new_plan(&["SC-SP-01", "WJ-GG-01"], 2), Ok(vec!["planned"])),
        ("an enforcer may not", enforcer, new_plan(&["SC-SP-01"], 2), Err("forbidden".into())),
        ("not their department's", other, new_plan(&["SC-SP-01"], 2), Err("not_own_matter".into())),
        (
            "one inspector is not 双随机",
            regulator(),
            new_plan(&["SC-SP-01"], 1),
            Err("invalid_inspectors_per_target".into()),
        ),
        (
            "three departments need three",
            regulator(),
            new_plan(&["SC-SP-01", "WJ-GG-01", "HJ-PW-01"], 2),
            Err("invalid_inspectors_per_target".into()),
        ),
        ("no matter", regulator(), new_plan(&[], 2), Err("no_matter".into())),
        ("the same matter twice", regulator(), new_plan(&["SC-SP-01", "SC-SP-01"], 2), Err("duplicate_matter".into())),
        ("no title", regulator(), no_title, Err("invalid:title".into())),
        ("a period backwards", regulator(), backwards, Err("invalid_period".into())),
        ("over 100 %", regulator(), too_much, Err("invalid_ratio".into())),
    ];
    for (what, who, n, want) in rows {
        assert_eq!(code(plan::open(&n, &context(&who, at))), want, "{what}");
    }
}

#[test]
fn commit_draw_redraw_publish_close_as_a_table() {
    let before = commit_time();
    let after = t("2023-08-23 23:20");
    let reg = regulator();
    let other = staff("yjj-regulator", "yjj", Role::Regulator);
    let s = drafted();
    let mut past = commit(&s, None);
    if let Command::Commit { round, .. } = &mut past {
        *round = 10;
    }
    let mut bad_seed_commitment = commit(&s, None);
    if let Command::Commit { seed_sha256, .. } = &mut bad_seed_commitment {
        *seed_sha256 = "ABC".into();
    }
    let mut impossible = commit(&s, None);
    if let Command::Commit { snapshot, .. } = &mut impossible {
        snapshot.inspectors.retain(|i| i.id == "SC001" || i.id == "SC002");
        *snapshot = snapshot.clone().canonical();
    }
    let wrong_seed =
        Command::Draw { seed: hex::encode([8u8; 32]), beacon: Beacon { round: ROUND, signature: SIGNATURE.into() } };
    let wrong_round =
        Command::Draw { seed: hex::encode(SEED), beacon: Beacon { round: 124, signature: SIGNATURE.into() } };
    let mut bad_sig = SIGNATURE.to_string();
    bad_sig.replace_range(10..12, "00");
    let forged = Command::Draw { seed: hex::encode(SEED), beacon: Beacon { round: ROUND, signature: bad_sig } };
    let close = Command::Close { reason: "计划完成".into() };
    type Row = (&'static str, fn() -> Plan, Actor, Command, Instant, Result<Vec<&'static str>, String>);
    let rows: Vec<Row> = vec![
        ("commit", drafted, reg.clone(), commit(&s, None), before, Ok(vec!["committed"])),
        ("not the planning department", drafted, other.clone(), commit(&s, None), before, Err("forbidden".into())),
        ("a round already out", drafted, reg.clone(), past, before, Err("round_not_future".into())),
        ("round 123 once it is out", drafted, reg.clone(), commit(&s, None), after, Err("round_not_future".into())),
        (
            "a commitment not SHA-256",
            drafted,
            reg.clone(),
            bad_seed_commitment,
            before,
            Err("invalid_commitment".into()),
        ),
        (
            "too few inspectors for a target",
            drafted,
            reg.clone(),
            impossible,
            before,
            Err("no_valid_assignment".into()),
        ),
        ("draw before commit", drafted, reg.clone(), draw_command(), after, Err("not_committed".into())),
        ("commit twice", committed, reg.clone(), commit(&s, None), before, Err("already_committed".into())),
        ("draw", committed, reg.clone(), draw_command(), after, Ok(vec!["drawn"])),
        ("a seed not committed", committed, reg.clone(), wrong_seed, after, Err("bad_seed".into())),
        ("another round", committed, reg.clone(), wrong_round, after, Err("wrong_round".into())),
        ("a forged beacon", committed, reg.clone(), forged, after, Err("bad_beacon".into())),
        ("publish before the draw", committed, reg.clone(), Command::Publish, after, Err("not_drawn".into())),
        ("publish", drawn, reg.clone(), Command::Publish, after, Ok(vec!["published"])),
        ("a redraw needs its reason", drawn, reg.clone(), commit(&s, None), before, Err("reason_required".into())),
        (
            "a redraw with its reason",
            drawn,
            reg.clone(),
            commit(&s, Some("执法人员变动")),
            before,
            Ok(vec!["committed"]),
        ),
        ("close", drawn, reg.clone(), close.clone(), after, Ok(vec!["closed"])),
    ];
    for (what, setup, who, c, at, want) in rows {
        assert_eq!(code(plan::decide(&setup(), &c, &context(&who, at))), want, "{what}");
    }
    // Closed is final.
    let s = drawn();
    let closed = fold(Some(s), after, &reg, &plan::decide(&drawn(), &close, &context(&reg, after)).unwrap());
    assert_eq!(closed.status, PlanStatus::Closed);
    assert_eq!(code(plan::decide(&closed, &Command::Publish, &context(&reg, after))), Err("closed".into()));
}

#[test]
fn a_redraw_is_a_new_commitment_and_the_old_draw_stays() {
    let s = drawn();
    let first = s.last_drawn().unwrap().clone();
    let reg = regulator();
    let at = commit_time();
    let e = plan::decide(&s, &commit(&s, Some("一名执法人员调离")), &context(&reg, at)).unwrap();
    let s = fold(Some(s), at, &reg, &e);
    assert_eq!(s.status, PlanStatus::Committed);
    assert_eq!(s.draws.len(), 2);
    assert_eq!(s.draws[1].commitment.number, 2);
    assert_eq!(s.draws[1].commitment.reason.as_deref(), Some("一名执法人员调离"));
    assert_eq!(s.last_drawn(), Some(&first), "the first draw is kept");
}

fn record() -> Vec<u8> {
    drawn().last_drawn().unwrap().record().unwrap().to_bytes()
}

#[test]
fn a_drawn_plans_record_verifies_and_respects_recusals() {
    let bytes = record();
    let r = draw::verify_record(&bytes).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(r.commitment.round, ROUND);
    // 200 targets, 50 per class: 1 + 1 + 5 + 15 = 22 by ratio; the 5 % floor is 10.
    assert_eq!(r.result.len(), 22);
    for a in &r.result {
        assert_eq!(a.inspectors.len(), 2);
        assert!(a.inspectors.iter().all(|i| i.starts_with("SC")), "市场监管局's own: {a:?}");
        if a.target == "Q0003" {
            assert!(!a.inspectors.iter().any(|i| i == "SC001" || i == "SC003"));
        }
    }
}

#[test]
fn a_record_changed_by_one_byte_fails_verification() {
    let bytes = record();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let parsed: DrawRecord = serde_json::from_slice(&bytes).unwrap();
    // A byte of: a target code of the snapshot, a drawn target, an inspector drawn,
    // the seed, the signature, the round's digit, the commitment's time, the title,
    // the ratio, the whitespace.
    let drawn_target = &parsed.result[0].target;
    let spots: Vec<(&str, usize)> = vec![
        ("snapshot target", text.find("\"Q0001\"").unwrap() + 4),
        ("drawn target", text.rfind(&format!("\"{drawn_target}\"")).unwrap() + 3),
        ("drawn inspector", text.rfind("\"SC00").unwrap() + 5),
        ("seed", text.find("\"seed\": \"").unwrap() + 12),
        ("signature", text.find("\"signature\": \"").unwrap() + 30),
        ("committed_at", text.find("\"committed_at\": \"").unwrap() + 20),
        ("title", text.find("\"title\": \"").unwrap() + 10),
        ("ratio", text.find("\"d\": ").unwrap() + 5),
        ("indentation", text.find("\n  ").unwrap() + 1),
    ];
    for (what, at) in spots {
        for replacement in [b'0', b'1', b'7', b'A', b'x'] {
            let mut changed = bytes.clone();
            if changed[at] == replacement {
                continue;
            }
            changed[at] = replacement;
            let out = draw::verify_record(&changed);
            assert!(out.is_err(), "{what} changed at byte {at} to {} still verifies", replacement as char);
        }
    }
    // Any byte of the first kilobyte, flipped.
    for at in (0..bytes.len().min(1024)).step_by(37) {
        let mut changed = bytes.clone();
        changed[at] ^= 0x01;
        assert!(draw::verify_record(&changed).is_err(), "byte {at} flipped still verifies");
    }
    assert!(draw::verify_record(&bytes).is_ok());
}
