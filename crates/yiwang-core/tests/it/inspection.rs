//! 行政检查 and 整改: who opens, records, answers and publishes an inspection; what a
//! record must hold; the 陈述申辩 period; the publication clock (red on working day
//! 21); the rectification's report, re-inspection, escalation and deadline.

use crate::fixture::{code_of, context, t};
use chrono::Duration;
use yiwang_core::Instant;
use yiwang_core::case::{Envelope, Refusal};
use yiwang_core::deadline::Stage;
use yiwang_core::enterprise::FactKind;
use yiwang_core::id::{CaseId, CreditCode, Username};
use yiwang_core::inspection::{
    self, CheckItem, Command, Conformity, Finding, Inspection, InspectionEvent, InspectionStatus, InspectorRef,
    NewInspection, OnSite, Outcome, Signature, Source,
};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_core::rectification::{self, NewRectification, Rectification, RectificationStatus};

fn staff(name: &str, unit: &str, role: Role) -> Actor {
    Actor::Staff {
        username: Username::parse(name).unwrap(),
        unit: code_of(unit),
        unit_kind: UnitKind::Department,
        roles: vec![role],
    }
}
fn regulator() -> Actor {
    staff("scj-regulator", "scj", Role::Regulator)
}
fn enforcer() -> Actor {
    staff("scj-enforcer1", "scj", Role::Enforcer)
}
fn other_enforcer() -> Actor {
    staff("scj-enforcer3", "scj", Role::Enforcer)
}
fn inspector(n: u32) -> InspectorRef {
    InspectorRef {
        id: format!("ZF{n:04}"),
        name: format!("检查员{n}"),
        unit: code_of("scj"),
        username: Some(format!("scj-enforcer{n}")),
    }
}

fn new(source: Source, inspectors: Vec<InspectorRef>) -> NewInspection {
    NewInspection {
        enterprise: CreditCode::parse("91350100M000100Y43").unwrap(),
        enterprise_name: "云溪区好味小厨餐饮店".into(),
        matter: "SC-01".into(),
        matter_name: "食品经营许可情况检查".into(),
        items: vec![
            CheckItem { code: "1".into(), name: "证照公示".into() },
            CheckItem { code: "2".into(), name: "从业人员健康证明".into() },
        ],
        inspectors,
        unit: code_of("scj"),
        source,
    }
}
fn draw() -> Source {
    Source::Draw { plan: CaseId::parse("CJ20261116000001").unwrap() }
}

fn fold(mut s: Option<Inspection>, at: Instant, who: &Actor, events: &[InspectionEvent]) -> Inspection {
    for e in events {
        let seq = s.as_ref().map(|s| s.version + 1).unwrap_or(1);
        let env = Envelope {
            case: CaseId::parse("JC20261116000001").unwrap(),
            seq,
            at,
            actor: who.clone(),
            event: e.clone(),
        };
        s = inspection::evolve(s, &env);
    }
    s.expect("an inspection")
}

fn opened() -> Inspection {
    let at = t("2026-11-16 09:00");
    let n = new(draw(), vec![inspector(1), inspector(2)]);
    fold(None, at, &Actor::System, &inspection::open(&n, &context(&Actor::System, at)).unwrap())
}

fn on_site(outcome: Outcome, second: Conformity, at: Instant) -> OnSite {
    OnSite {
        findings: vec![
            Finding { item: "1".into(), conformity: Conformity::Conforms, note: String::new() },
            Finding { item: "2".into(), conformity: second, note: "两名从业人员健康证明过期".into() },
        ],
        outcome,
        summary: "现场检查了经营场所".into(),
        place: Some((119.3, 26.08)),
        inspected_at: at,
        photos: vec!["uploads/0123456789abcdef0123456789abcdef.jpg".into()],
        signature: Signature::Signed { image: "uploads/0123456789abcdefsig.png".into(), signer: "张三".into() },
        rectify_days: (outcome == Outcome::Rectify).then_some(15),
    }
}

fn record(s: &Inspection, o: OnSite, at: Instant) -> Result<Vec<InspectionEvent>, Refusal> {
    inspection::decide(s, &Command::Record { on_site: o }, &context(&enforcer(), at))
}

fn recorded(outcome: Outcome) -> (Inspection, Instant) {
    let s = opened();
    let at = t("2026-11-17 10:00");
    let second = if outcome == Outcome::Passed { Conformity::Conforms } else { Conformity::Fails };
    let events = record(&s, on_site(outcome, second, t("2026-11-17 09:30")), at).unwrap();
    (fold(Some(s), at, &enforcer(), &events), at)
}

fn code<T>(r: Result<T, Refusal>) -> Result<(), &'static str> {
    r.map(|_| ()).map_err(|e| e.code())
}

#[test]
fn who_opens_an_inspection_and_with_what() {
    let at = t("2026-11-16 09:00");
    let handler = staff("cgw-handler", "cgw", Role::Handler);
    let referral =
        || Source::Referral { case: CaseId::parse("YW20261116000001").unwrap(), reason: "油烟扰民".into() };
    let mut no_items = new(draw(), vec![inspector(1)]);
    no_items.items.clear();
    let mut other_unit = new(draw(), vec![inspector(1)]);
    other_unit.unit = code_of("nowhere");
    let mut foreign = inspector(1);
    foreign.unit = code_of("sw");
    let rows: Vec<(&str, Actor, NewInspection, Result<(), &str>)> = vec![
        ("the system, for a draw", Actor::System, new(draw(), vec![inspector(1), inspector(2)]), Ok(())),
        ("the department's regulator", regulator(), new(draw(), vec![inspector(1)]), Ok(())),
        (
            "another department's regulator",
            staff("sw-regulator", "sw", Role::Regulator),
            new(draw(), vec![inspector(1)]),
            Err("forbidden"),
        ),
        ("an enforcer", enforcer(), new(draw(), vec![inspector(1)]), Err("forbidden")),
        ("a citizen", Actor::Citizen, new(draw(), vec![inspector(1)]), Err("forbidden")),
        ("a draw without inspectors", Actor::System, new(draw(), vec![]), Err("no_inspectors")),
        ("a referral by the appeal's handler, no inspectors yet", handler.clone(), new(referral(), vec![]), Ok(())),
        ("a draw by the appeal's handler", handler, new(draw(), vec![inspector(1)]), Err("forbidden")),
        ("no check items", Actor::System, no_items, Err("no_items")),
        ("an unknown unit", Actor::System, other_unit, Err("unknown_unit")),
        (
            "the same inspector twice",
            Actor::System,
            new(draw(), vec![inspector(1), inspector(1)]),
            Err("duplicate_inspector"),
        ),
        ("no inspector of the department", Actor::System, new(draw(), vec![foreign]), Err("no_inspector_of_unit")),
    ];
    for (what, who, n, want) in rows {
        assert_eq!(code(inspection::open(&n, &context(&who, at))), want, "{what}");
    }
    let s = fold(
        None,
        at,
        &Actor::System,
        &inspection::open(&new(referral(), vec![]), &context(&Actor::System, at)).unwrap(),
    );
    assert_eq!(s.status, InspectionStatus::Unassigned);
    assert_eq!(
        code(inspection::decide(&s, &Command::Assign { inspectors: vec![inspector(1)] }, &context(&enforcer(), at))),
        Err("forbidden")
    );
    let events =
        inspection::decide(&s, &Command::Assign { inspectors: vec![inspector(1)] }, &context(&regulator(), at))
            .unwrap();
    assert_eq!(fold(Some(s), at, &regulator(), &events).status, InspectionStatus::Assigned);
}

#[test]
fn only_an_assigned_inspector_records_and_the_record_must_agree_with_itself() {
    let s = opened();
    let at = t("2026-11-17 10:00");
    let site = t("2026-11-17 09:30");
    let ok = on_site(Outcome::Rectify, Conformity::Fails, site);
    let with = |f: fn(&mut OnSite)| {
        let mut o = ok.clone();
        f(&mut o);
        o
    };
    let rows: Vec<(&str, Actor, OnSite, Result<(), &str>)> = vec![
        ("an assigned inspector", enforcer(), ok.clone(), Ok(())),
        ("an inspector not assigned", other_enforcer(), ok.clone(), Err("forbidden")),
        ("the regulator", regulator(), ok.clone(), Err("forbidden")),
        ("passed with a failed item", enforcer(), with(|o| o.outcome = Outcome::Passed), Err("outcome_mismatch")),
        (
            "rectify with nothing failed",
            enforcer(),
            with(|o| o.findings[1].conformity = Conformity::Conforms),
            Err("outcome_mismatch"),
        ),
        ("a failed item without a note", enforcer(), with(|o| o.findings[1].note.clear()), Err("finding_note")),
        (
            "an item left out",
            enforcer(),
            with(|o| {
                o.findings.pop();
            }),
            Err("finding_missing"),
        ),
        ("an item not on the list", enforcer(), with(|o| o.findings[0].item = "9".into()), Err("finding_missing")),
        ("rectify without a period", enforcer(), with(|o| o.rectify_days = None), Err("rectify_days")),
        ("rectify for 91 days", enforcer(), with(|o| o.rectify_days = Some(91)), Err("rectify_days")),
        ("no signature nor refusal", enforcer(), with(|o| o.signature = Signature::Absent), Err("signature_missing")),
        (
            "refused to sign, with the reason",
            enforcer(),
            with(|o| o.signature = Signature::Refused { reason: "负责人不在场".into() }),
            Ok(()),
        ),
        (
            "a signature that is no upload",
            enforcer(),
            with(|o| o.signature = Signature::Signed { image: "/etc/passwd".into(), signer: "张三".into() }),
            Err("invalid_file"),
        ),
        ("a place off the globe", enforcer(), with(|o| o.place = Some((200.0, 26.0))), Err("invalid_place")),
        ("inspected in the future", enforcer(), with(|o| o.inspected_at = t("2026-11-17 11:00")), Err("inspected_at")),
        ("ten photos", enforcer(), with(|o| o.photos = vec!["uploads/a.jpg".into(); 10]), Err("too_many_files")),
        (
            "not found: no findings, nobody to sign",
            enforcer(),
            with(|o| {
                o.outcome = Outcome::NotFound;
                o.findings.clear();
                o.signature = Signature::Absent;
                o.rectify_days = None;
            }),
            Ok(()),
        ),
    ];
    for (what, who, o, want) in rows {
        let got = inspection::decide(&s, &Command::Record { on_site: o }, &context(&who, at));
        assert_eq!(code(got), want, "{what}");
    }
}

#[test]
fn a_result_without_problems_is_final_at_once_others_wait_for_the_statement_period() {
    let (passed, _) = recorded(Outcome::Passed);
    assert_eq!(passed.status, InspectionStatus::Final);
    assert!(passed.statement_due.is_none());
    let (s, at) = recorded(Outcome::Rectify);
    assert_eq!(s.status, InspectionStatus::Recorded);
    // 5 working days: recorded Tuesday 17 November, the period ends Tuesday 24th.
    assert_eq!(s.statement_due, Some(t("2026-11-24 10:00")));
    let state = |now| {
        inspection::decide(
            &s,
            &Command::State { text: "健康证明已补办".into(), files: vec![] },
            &context(&Actor::Citizen, now),
        )
    };
    let rows: &[(&str, Instant, Result<(), &str>)] = &[
        ("the next day", at + Duration::days(1), Ok(())),
        ("at the period's end", t("2026-11-24 10:00"), Err("statement_period_over")),
    ];
    for (what, now, want) in rows {
        assert_eq!(code(state(*now)), *want, "{what}");
    }
    assert_eq!(
        code(inspection::decide(&s, &Command::State { text: "x".into(), files: vec![] }, &context(&regulator(), at))),
        Err("forbidden")
    );
    assert_eq!(
        code(inspection::decide(
            &passed,
            &Command::State { text: "x".into(), files: vec![] },
            &context(&Actor::Citizen, at)
        )),
        Err("transition_not_allowed")
    );
    // No statement: the scheduler makes it final when the period ends, not before.
    assert!(inspection::alarms(&s, &context(&Actor::System, t("2026-11-24 09:59"))).is_empty());
    let names: Vec<_> =
        inspection::alarms(&s, &context(&Actor::System, t("2026-11-24 10:00"))).iter().map(|e| e.name()).collect();
    assert_eq!(names, ["finalised"]);
}

#[test]
fn the_department_answers_a_statement_and_only_then_publishes() {
    let (s, at) = recorded(Outcome::Rectify);
    let events =
        inspection::decide(&s, &Command::State { text: "已补办".into(), files: vec![] }, &context(&Actor::Citizen, at))
            .unwrap();
    let stated = fold(Some(s.clone()), at, &Actor::Citizen, &events);
    assert_eq!(stated.status, InspectionStatus::Stated);
    let answer =
        |accepted, outcome| Command::Answer { accepted, reply: "经复核".into(), outcome, rectify_days: None };
    let rows: Vec<(&str, Actor, Command, Result<Outcome, &str>)> = vec![
        ("rejected: the result stands", regulator(), answer(false, None), Ok(Outcome::Rectify)),
        ("accepted: changed to passed", regulator(), answer(true, Some(Outcome::Passed)), Ok(Outcome::Passed)),
        ("accepted without a new result", regulator(), answer(true, None), Err("outcome_unchanged")),
        ("accepted with the same result", regulator(), answer(true, Some(Outcome::Rectify)), Err("outcome_unchanged")),
        ("by an enforcer", enforcer(), answer(false, None), Err("forbidden")),
        ("by another department", staff("sw-regulator", "sw", Role::Regulator), answer(false, None), Err("forbidden")),
    ];
    for (what, who, c, want) in rows {
        let got = inspection::decide(&stated, &c, &context(&who, at)).map(|e| fold(Some(stated.clone()), at, &who, &e));
        assert_eq!(got.as_ref().map(|s| s.outcome.unwrap()).map_err(|e| e.code()), want, "{what}");
        if let Ok(s) = got {
            assert_eq!(s.status, InspectionStatus::Final, "{what}");
        }
    }
    // Publication: only a final result, by the department's regulator.
    let publish = |s: &Inspection, who: &Actor| code(inspection::decide(s, &Command::Publish, &context(who, at)));
    assert_eq!(publish(&s, &regulator()), Err("not_final"));
    assert_eq!(publish(&stated, &regulator()), Err("not_final"));
    let (passed, _) = recorded(Outcome::Passed);
    assert_eq!(publish(&passed, &enforcer()), Err("forbidden"));
    assert_eq!(publish(&passed, &regulator()), Ok(()));
    let published = fold(Some(passed.clone()), at, &regulator(), &[InspectionEvent::Published]);
    assert_eq!(publish(&published, &regulator()), Err("already_done"));
    // The follow-up is the system's, once.
    let follow = Command::Follow { rectification: None, fact: Some(FactKind::InspectionPassed) };
    assert_eq!(code(inspection::decide(&passed, &follow, &context(&regulator(), at))), Err("forbidden"));
    assert_eq!(code(inspection::decide(&s, &follow, &context(&Actor::System, at))), Err("not_final"));
    let events = inspection::decide(&passed, &follow, &context(&Actor::System, at)).unwrap();
    let followed = fold(Some(passed), at, &Actor::System, &events);
    assert_eq!(code(inspection::decide(&followed, &follow, &context(&Actor::System, at))), Err("already_done"));
}

/// Acceptance (#15): an unpublished result turns red on working day 21 after the
/// inspection's end, stepping the clock one day at a time.
#[test]
fn an_unpublished_result_turns_red_on_working_day_21() {
    let (mut s, end) = recorded(Outcome::Passed);
    let cal = &crate::fixture::WORLD.calendar;
    let mut working_days = 0;
    let mut red_on = None;
    let mut now = end;
    for _ in 0..60 {
        now += Duration::days(1);
        if cal.is_working_day(yiwang_core::calendar::civil_date(now)) {
            working_days += 1;
        }
        let events = inspection::alarms(&s, &context(&Actor::System, now));
        if events.iter().any(|e| matches!(e, InspectionEvent::ClockOverdue { .. })) && red_on.is_none() {
            red_on = Some(working_days);
        }
        s = fold(Some(s), now, &Actor::System, &events);
        if working_days <= 20 {
            assert_ne!(s.clocks[0].stage, Stage::Red, "red too early, working day {working_days}");
        }
    }
    assert_eq!(red_on, Some(21));
    // Published in time, no clock runs.
    let (passed, at) = recorded(Outcome::Passed);
    let published = fold(Some(passed), at, &regulator(), &[InspectionEvent::Published]);
    assert!(published.clocks.is_empty());
    assert!(inspection::alarms(&published, &context(&Actor::System, at + Duration::days(60))).is_empty());
}

fn rect_open(at: Instant) -> Rectification {
    let n = NewRectification {
        inspection: CaseId::parse("JC20261116000001").unwrap(),
        enterprise: CreditCode::parse("91350100M000100Y43").unwrap(),
        enterprise_name: "云溪区好味小厨餐饮店".into(),
        matter_name: "食品经营许可情况检查".into(),
        unit: code_of("scj"),
        problems: vec!["从业人员健康证明：两人过期".into()],
        days: 15,
    };
    let events = rectification::open(&n, &context(&Actor::System, at)).unwrap();
    rect_fold(None, at, &Actor::System, &events)
}

fn rect_fold(
    mut s: Option<Rectification>,
    at: Instant,
    who: &Actor,
    events: &[rectification::RectificationEvent],
) -> Rectification {
    for e in events {
        let seq = s.as_ref().map(|s| s.version + 1).unwrap_or(1);
        let env = Envelope {
            case: CaseId::parse("ZG20261116000001").unwrap(),
            seq,
            at,
            actor: who.clone(),
            event: e.clone(),
        };
        s = rectification::evolve(s, &env);
    }
    s.expect("a rectification")
}

#[test]
fn a_rectification_closes_on_a_passed_recheck_on_time_or_late_or_is_escalated() {
    use rectification::Command as C;
    let at = t("2026-11-20 09:00");
    let s = rect_open(at);
    assert_eq!(s.due, at + Duration::days(15));
    let report = C::Report { text: "已补办健康证明".into(), files: vec!["uploads/abc.jpg".into()] };
    let rows: Vec<(&str, Actor, C, Result<(), &str>)> = vec![
        ("the enterprise reports with evidence", Actor::Citizen, report.clone(), Ok(())),
        (
            "without evidence",
            Actor::Citizen,
            C::Report { text: "已整改".into(), files: vec![] },
            Err("evidence_missing"),
        ),
        ("staff cannot report for it", regulator(), report.clone(), Err("forbidden")),
        (
            "no recheck before a report",
            enforcer(),
            C::Recheck { passed: true, note: "ok".into(), photos: vec![] },
            Err("transition_not_allowed"),
        ),
        ("the regulator escalates", regulator(), C::Escalate { reason: "拒不整改".into() }, Ok(())),
        ("an enforcer cannot escalate", enforcer(), C::Escalate { reason: "拒不整改".into() }, Err("forbidden")),
    ];
    for (what, who, c, want) in rows {
        assert_eq!(code(rectification::decide(&s, &c, &context(&who, at))), want, "{what}");
    }
    // Reported on time, rechecked after the deadline: on time all the same.
    let when = |report_at: Instant, passed: bool| {
        let e = rectification::decide(&s, &report, &context(&Actor::Citizen, report_at)).unwrap();
        let r = rect_fold(Some(s.clone()), report_at, &Actor::Citizen, &e);
        let later = s.due + Duration::days(3);
        let c = C::Recheck { passed, note: "复查".into(), photos: vec![] };
        let e = rectification::decide(&r, &c, &context(&other_enforcer(), later)).unwrap();
        rect_fold(Some(r), later, &other_enforcer(), &e)
    };
    let on_time = when(at + Duration::days(10), true);
    assert_eq!((on_time.status, on_time.fact()), (RectificationStatus::Closed, Some(FactKind::RectifiedOnTime)));
    let late = when(s.due + Duration::days(1), true);
    assert_eq!((late.status, late.fact()), (RectificationStatus::Closed, Some(FactKind::RectifiedLate)));
    let failed = when(at + Duration::days(1), false);
    assert_eq!((failed.status, failed.fact()), (RectificationStatus::Rectifying, None));
    assert_eq!(
        code(rectification::decide(
            &failed,
            &C::Recheck { passed: true, note: "x".into(), photos: vec![] },
            &context(&enforcer(), at)
        )),
        Err("transition_not_allowed")
    );
    let e = rectification::decide(&s, &C::Escalate { reason: "拒不整改".into() }, &context(&regulator(), at)).unwrap();
    let escalated = rect_fold(Some(s.clone()), at, &regulator(), &e);
    assert_eq!((escalated.status, escalated.fact()), (RectificationStatus::Escalated, Some(FactKind::RectifiedLate)));
    // The deadline turns yellow, then red, while it is open.
    let names = |r: &Rectification, now| {
        rectification::alarms(r, &context(&Actor::System, now)).iter().map(|e| e.name()).collect::<Vec<_>>()
    };
    assert!(names(&s, at + Duration::days(11)).is_empty());
    assert_eq!(names(&s, at + Duration::days(13)), ["clock_warned"]);
    assert_eq!(names(&s, s.due), ["clock_overdue"]);
    assert!(names(&on_time, s.due + Duration::days(5)).is_empty());
    // The enterprise (no person of the case's own) is told when the deadline turns
    // yellow, not when it is overdue (the credit fact says that).
    use yiwang_core::case::Kind;
    use yiwang_core::rectification::RectificationKind;
    const { assert!(RectificationKind::NOTICES_TO_ENTERPRISE) };
    let told = |now| RectificationKind::notices(Some(&s), &rectification::alarms(&s, &context(&Actor::System, now)));
    assert_eq!(told(at + Duration::days(13)), ["rectification_due_soon"]);
    assert!(told(s.due).is_empty());
}

#[test]
fn a_rectification_needs_a_period_and_problems() {
    let at = t("2026-11-20 09:00");
    let base = NewRectification {
        inspection: CaseId::parse("JC20261116000001").unwrap(),
        enterprise: CreditCode::parse("91350100M000100Y43").unwrap(),
        enterprise_name: "好味小厨".into(),
        matter_name: "食品".into(),
        unit: code_of("scj"),
        problems: vec!["问题".into()],
        days: 15,
    };
    let with = |f: fn(&mut NewRectification)| {
        let mut n = base.clone();
        f(&mut n);
        n
    };
    let rows: Vec<(&str, Actor, NewRectification, Result<(), &str>)> = vec![
        ("the system", Actor::System, base.clone(), Ok(())),
        ("the department's regulator", regulator(), base.clone(), Ok(())),
        ("an enforcer", enforcer(), base.clone(), Err("forbidden")),
        ("no days", Actor::System, with(|n| n.days = 0), Err("rectify_days")),
        ("no problems", Actor::System, with(|n| n.problems.clear()), Err("no_problems")),
    ];
    for (what, who, n, want) in rows {
        assert_eq!(code(rectification::open(&n, &context(&who, at))), want, "{what}");
    }
}
