//! The enterprise register and credit: the class rules as a table over records and
//! days, 信用修复's periods, and who may keep the register.

use crate::fixture::{code_of, context, t};
use chrono::NaiveDate;
use yiwang_core::Instant;
use yiwang_core::case::{Envelope, Kind, Refusal};
use yiwang_core::enterprise::credit::{classify, next_change};
use yiwang_core::enterprise::{
    self, Command, CreditClass, CreditFact, CreditRules, Enterprise, EnterpriseEvent, EnterpriseKind, FactKind,
    Registration,
};
use yiwang_core::id::{CaseId, CreditCode, Username};
use yiwang_core::org::{Actor, Role, UnitKind};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn fact(kind: FactKind, date: &str) -> CreditFact {
    CreditFact { kind, date: d(date), source: None, note: String::new(), special: false }
}

use FactKind::*;

#[test]
fn the_class_follows_the_documented_rules() {
    let rules = CreditRules::default();
    let today = "2026-12-01";
    // (record, class, a word every reason must contain)
    let table: Vec<(Vec<CreditFact>, CreditClass, &str)> = vec![
        (vec![], CreditClass::B, "无信用记录"),
        (vec![fact(InspectionPassed, "2026-03-01")], CreditClass::A, "良好记录"),
        (vec![fact(Commendation, "2025-01-02")], CreditClass::A, "表彰"),
        // A positive fact counts 24 months: on the day it ends, it no longer does.
        (vec![fact(InspectionPassed, "2024-12-01")], CreditClass::B, "无信用记录"),
        (vec![fact(InspectionPassed, "2024-12-02")], CreditClass::A, "良好记录"),
        // A failure outweighs a positive fact.
        (vec![fact(InspectionPassed, "2026-10-01"), fact(InspectionFailed, "2026-06-01")], CreditClass::B, "发现问题"),
        // Two failures within 12 months: C.
        (vec![fact(InspectionFailed, "2026-06-01"), fact(RectifiedLate, "2026-09-01")], CreditClass::C, "2次"),
        // … but not when one is older than 12 months.
        (vec![fact(InspectionFailed, "2025-11-30"), fact(RectifiedLate, "2026-09-01")], CreditClass::B, "整改逾期"),
        (vec![fact(Penalty, "2025-01-10")], CreditClass::C, "行政处罚"),
        (vec![fact(Penalty, "2024-11-30")], CreditClass::B, "无信用记录"),
        (vec![fact(Penalty, "2025-01-10"), fact(Penalty, "2026-02-01")], CreditClass::D, "行政处罚2次"),
        (vec![fact(AbnormalListed, "2026-05-01")], CreditClass::D, "经营异常"),
        // Removed from the list: it no longer counts.
        (vec![fact(AbnormalListed, "2026-05-01"), fact(AbnormalRemoved, "2026-08-01")], CreditClass::B, "无信用记录"),
        // A fact dated after today does not count yet.
        (vec![fact(Penalty, "2026-12-02")], CreditClass::B, "无信用记录"),
    ];
    for (i, (facts, class, word)) in table.iter().enumerate() {
        let (got, reasons) = classify(facts.iter(), d(today), &rules);
        assert_eq!(got, *class, "row {i}: {facts:?}");
        assert!(reasons.iter().any(|r| r.contains(word)), "row {i}: reasons {reasons:?} lack {word}");
    }
}

#[test]
fn thresholds_are_data() {
    let rules = CreditRules { d_penalties: 1, ..Default::default() };
    let (class, _) = classify([fact(Penalty, "2026-01-10")].iter(), d("2026-12-01"), &rules);
    assert_eq!(class, CreditClass::D);
    let limits = yiwang_core::deadline::TimeLimits::parse_toml("[credit]\npenalty_months = 6\n").unwrap();
    let (class, _) = classify([fact(Penalty, "2026-01-10")].iter(), d("2026-12-01"), &limits.credit);
    assert_eq!(class, CreditClass::B, "a penalty counts 6 months under these rules");
    assert!(yiwang_core::deadline::TimeLimits::parse_toml("[credit]\nd_penalties = 0\n").is_err());
    assert!(yiwang_core::deadline::TimeLimits::parse_toml("[credit]\nno_such = 1\n").is_err());
}

#[test]
fn repair_waits_for_its_period() {
    let rules = CreditRules::default();
    let special = CreditFact { special: true, ..fact(Penalty, "2026-01-15") };
    let table = [
        (fact(Penalty, "2026-01-15"), Some("2026-07-15")),
        (special, Some("2027-01-15")),
        (fact(InspectionFailed, "2026-01-15"), Some("2026-04-15")),
        (fact(RectifiedLate, "2026-01-31"), Some("2026-04-30")),
        (fact(AbnormalListed, "2026-01-15"), Some("2026-01-15")),
        (fact(InspectionPassed, "2026-01-15"), None),
        (fact(Commendation, "2026-01-15"), None),
    ];
    for (f, from) in table {
        assert_eq!(rules.repairable_from(&f), from.map(d), "{f:?}");
    }
}

#[test]
fn the_next_change_is_when_a_fact_stops_counting() {
    let rules = CreditRules::default();
    let facts = [fact(InspectionFailed, "2026-06-01"), fact(Penalty, "2025-03-01")];
    let next = next_change(facts.iter(), t("2026-12-01 10:00"), &rules).unwrap();
    // The penalty ends on 2027-03-01 and the failure on 2027-06-01: the first, at
    // midnight China time.
    assert_eq!(next, t("2027-03-01 00:00"));
}

// The kind ---------------------------------------------------------------------

fn staff(unit: &str, role: Role) -> Actor {
    Actor::Staff {
        username: Username::parse(&format!("{unit}-x")).unwrap(),
        unit: code_of(unit),
        unit_kind: UnitKind::Department,
        roles: vec![role],
    }
}

fn registration() -> Registration {
    Registration {
        code: CreditCode::parse("91350100M000100Y43").unwrap(),
        name: "云溪区好味小厨餐饮店".into(),
        entity_type: "个体工商户".into(),
        industry: "h6210".into(),
        address: "云溪区府前路18号".into(),
        street: Some(code_of("jd")),
        location: Some((119.30, 26.08)),
        capital: 100_000,
        employees: 6,
        founded: d("2019-05-20"),
        tags: vec!["食品经营".into(), "小微企业".into(), "食品经营".into()],
    }
}

fn fold(state: Option<Enterprise>, at: Instant, who: &Actor, events: &[EnterpriseEvent]) -> Enterprise {
    let mut s = state;
    for e in events {
        let seq = s.as_ref().map_or(1, |x| x.version + 1);
        let env = Envelope {
            case: CaseId::parse("QY20261201000001").unwrap(),
            seq,
            at,
            actor: who.clone(),
            event: e.clone(),
        };
        s = enterprise::evolve(s, &env);
    }
    s.expect("an enterprise")
}

fn registered(facts: &[CreditFact]) -> Enterprise {
    let at = t("2026-12-01 09:00");
    let who = staff("scj", Role::Regulator);
    fold(None, at, &who, &enterprise::open(&registration(), facts, &code_of("scj"), &context(&who, at)).unwrap())
}

#[test]
fn only_a_regulator_keeps_the_register() {
    let at = t("2026-12-01 09:00");
    for (who, ok) in [
        (staff("scj", Role::Regulator), true),
        (Actor::System, true),
        (staff("scj", Role::Enforcer), false),
        (staff("scj", Role::Clerk), false),
        (Actor::Citizen, false),
    ] {
        let r = enterprise::open(&registration(), &[], &code_of("scj"), &context(&who, at));
        assert_eq!(r.is_ok(), ok, "{who:?}");
    }
    let s = registered(&[]);
    let fact_cmd = Command::RecordFact { fact: fact(InspectionFailed, "2026-12-01") };
    assert!(EnterpriseKind::decide(&s, &fact_cmd, &context(&staff("scj", Role::Enforcer), at)).is_ok());
    assert!(matches!(
        EnterpriseKind::decide(&s, &fact_cmd, &context(&staff("scj", Role::Handler), at)),
        Err(Refusal::Forbidden { .. })
    ));
    let upd = Command::Update { registration: registration() };
    assert!(matches!(
        EnterpriseKind::decide(&s, &upd, &context(&staff("scj", Role::Enforcer), at)),
        Err(Refusal::Forbidden { .. })
    ));
}

#[test]
fn registration_is_checked_and_its_record_classifies_it() {
    let s = registered(&[fact(Penalty, "2026-02-01"), fact(Penalty, "2026-06-01")]);
    assert_eq!(s.registration.industry, "H6210", "the industry code is upper-cased");
    assert_eq!(s.registration.tags, vec!["食品经营".to_string(), "小微企业".into()], "tags once each");
    assert_eq!(s.class, CreditClass::D);
    assert_eq!(s.class_history.len(), 1);
    assert_eq!(s.profile().last_penalty, Some(d("2026-06-01")));
    let at = t("2026-12-01 09:00");
    let who = staff("scj", Role::Regulator);
    for (bad, code) in [
        (Registration { industry: "62".into(), ..registration() }, "invalid_industry"),
        (Registration { industry: "Z1234".into(), ..registration() }, "invalid_industry"),
        (Registration { location: Some((200.0, 1.0)), ..registration() }, "invalid_location"),
        (Registration { founded: d("2027-01-01"), ..registration() }, "founded_in_future"),
        (Registration { name: " ".into(), ..registration() }, "invalid_field"),
    ] {
        let r = enterprise::open(&bad, &[], &code_of("scj"), &context(&who, at));
        assert_eq!(r.unwrap_err().code(), code);
    }
    let r = enterprise::open(&registration(), &[], &code_of("nowhere"), &context(&who, at));
    assert_eq!(r.unwrap_err().code(), "unknown_unit");
}

#[test]
fn facts_and_repairs_change_the_class_with_reasons() {
    let who = staff("scj", Role::Regulator);
    let s = registered(&[]);
    assert_eq!(s.class, CreditClass::B);
    let at = t("2026-12-02 10:00");
    let e = EnterpriseKind::decide(&s, &Command::RecordFact { fact: fact(Penalty, "2026-12-02") }, &context(&who, at))
        .unwrap();
    assert!(matches!(
        &e[..],
        [EnterpriseEvent::FactRecorded { number: 1, .. }, EnterpriseEvent::Classified { to: CreditClass::C, .. }]
    ));
    let s = fold(Some(s), at, &who, &e);
    assert_eq!(s.class, CreditClass::C);
    // Repair too early is refused, naming the first day it may be asked for.
    let repair = Command::Repair { number: 1, repair: None, note: "已整改并公示期满".into() };
    let err = EnterpriseKind::decide(&s, &repair, &context(&who, t("2027-06-01 10:00"))).unwrap_err();
    assert_eq!(err.code(), "repair_too_early");
    assert!(err.to_string().contains("2027-06-02"), "{err}");
    // After six months it is repaired: the fact stays on the record, the class returns.
    let later = t("2027-06-02 10:00");
    let e = EnterpriseKind::decide(&s, &repair, &context(&who, later)).unwrap();
    let s = fold(Some(s), later, &who, &e);
    assert_eq!(s.class, CreditClass::B);
    assert_eq!(s.facts.len(), 1);
    assert!(s.facts[0].repaired_at.is_some());
    assert_eq!(EnterpriseKind::decide(&s, &repair, &context(&who, later)).unwrap_err().code(), "already_done");
    let unknown = Command::Repair { number: 9, repair: None, note: "x".into() };
    assert_eq!(EnterpriseKind::decide(&s, &unknown, &context(&who, later)).unwrap_err().code(), "unknown_fact");
}

#[test]
fn the_class_improves_by_itself_as_facts_age() {
    let s = registered(&[fact(InspectionFailed, "2026-06-01")]);
    assert_eq!(s.class, CreditClass::B);
    let s = registered(&[fact(InspectionFailed, "2026-06-01"), fact(RectifiedLate, "2026-07-01")]);
    assert_eq!(s.class, CreditClass::C);
    let p = EnterpriseKind::project(&s);
    assert_eq!(p.header.next_alarm, Some(t("2027-06-01 00:00")));
    assert_eq!(p.header.tracking_code.as_deref(), Some("enterprise:91350100M000100Y43"));
    // On 2027-06-01 the first failure no longer counts: C becomes B.
    let e = EnterpriseKind::alarms(&s, &context(&Actor::System, t("2027-06-01 00:00")));
    assert!(matches!(&e[..], [EnterpriseEvent::Classified { from: Some(CreditClass::C), to: CreditClass::B, .. }]));
    assert!(EnterpriseKind::alarms(&s, &context(&Actor::System, t("2027-05-31 23:00"))).is_empty());
}

#[test]
fn an_unchanged_update_records_nothing_and_a_change_names_its_fields() {
    let who = staff("scj", Role::Regulator);
    let s = registered(&[]);
    let at = t("2026-12-02 10:00");
    let same = Command::Update { registration: registration() };
    assert!(EnterpriseKind::decide(&s, &same, &context(&who, at)).unwrap().is_empty());
    let moved = Command::Update {
        registration: Registration { employees: 12, address: "云溪区江滨路2号".into(), ..registration() },
    };
    let e = EnterpriseKind::decide(&s, &moved, &context(&who, at)).unwrap();
    match &e[..] {
        [EnterpriseEvent::Updated { changed, .. }] => assert_eq!(changed, &vec!["住所".to_string(), "从业人数".into()]),
        other => panic!("{other:?}"),
    }
    let other = Registration { code: CreditCode::complete("91350100MA2Y00001").unwrap(), ..registration() };
    let e = EnterpriseKind::decide(&s, &Command::Update { registration: other }, &context(&who, at));
    assert_eq!(e.unwrap_err().code(), "code_mismatch");
    assert_eq!(CreditCode::complete("91350100M000100Y4").unwrap().as_str(), "91350100M000100Y43");
}
