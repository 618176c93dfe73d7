//! Whole lifecycles, step by step: what each command records and where it leaves the
//! case.

use crate::fixture::*;
use yiwang_core::appeal::ClockKind;
use yiwang_core::appeal::{Action, AppealType, Outcome, Refusal, Satisfaction, Status};

/// Runs `steps` on `case`, checking each step's events and the status it leaves.
fn run(case: &mut Case, steps: Vec<(Who, Action, &str, &[&str], Status)>) {
    for (who, action, at, events, status) in steps {
        let got: Vec<_> = case.act(who, &action, t(at)).iter().map(|e| e.name()).collect();
        assert_eq!(got, events, "{} by {who:?} at {at}", action.name());
        assert_eq!(case.state.status, status, "after {} at {at}", action.name());
    }
}

#[test]
fn a_solved_appeal_goes_from_intake_to_close_with_outcome_resolved() {
    use cmd::*;
    let mut case = Case::file(Operator, &complaint(), "2026-11-16 09:00");
    assert_eq!(case.log[0].event.name(), "accepted");
    assert_eq!(case.state.status, Status::Accepted);
    run(
        &mut case,
        vec![
            (Dispatcher, dispatch("csgl"), "2026-11-16 09:30", &["dispatched"], Status::Dispatched),
            (HandlerA, sign_for(), "2026-11-16 10:00", &["signed_for"], Status::Handling),
            (HandlerA, summon(&["sw"]), "2026-11-16 10:30", &["summoned"], Status::Handling),
            (HandlerB, report_in(), "2026-11-16 11:00", &["reported_in"], Status::Handling),
            (HandlerB, answer_part("供水管线无渗漏，已复核"), "2026-11-16 14:00", &["part_answered"], Status::Handling),
            (HandlerA, contact("已电话联系诉求人"), "2026-11-16 15:00", &["contacted"], Status::Handling),
            (HandlerA, reply("已依法清理占道摊点"), "2026-11-17 10:00", &["replied"], Status::Replied),
            (Citizen, callback(true, Satisfaction::Satisfied), "2026-11-18 10:00", &["called_back"], Status::Closed),
        ],
    );
    let s = &case.state;
    assert_eq!(s.outcome, Some(Outcome::Resolved));
    assert_eq!(s.closed_at, Some(t("2026-11-18 10:00")));
    assert_eq!(s.unit, Some(code_of("cgw")));
    assert_eq!(s.category, Some(cat_of("csgl")));
    assert!(s.clocks.is_empty(), "a closed case runs no clock: {:?}", s.clocks);
    assert_eq!(s.version, 9);
}

#[test]
fn an_unsolved_callback_is_reopened_and_then_closed_as_unsolved() {
    use cmd::*;
    let mut case = replied();
    run(
        &mut case,
        vec![
            (
                Operator,
                callback(false, Satisfaction::Unsatisfied),
                "2026-11-18 10:00",
                &["called_back"],
                Status::CalledBack,
            ),
            (Supervisor, reopen("诉求人反映摊点仍在"), "2026-11-18 11:00", &["reopened"], Status::Handling),
            (HandlerA, reply("已联合街道再次清理，并设置隔离栏"), "2026-11-20 16:00", &["replied"], Status::Replied),
            (Supervisor, close(), "2026-11-23 09:00", &["closed"], Status::Closed),
        ],
    );
    let s = &case.state;
    assert_eq!(s.outcome, Some(Outcome::Unsolved));
    assert_eq!(s.reopens, 1);
    assert_eq!(s.unit, Some(code_of("cgw")));
    assert_eq!(s.callbacks.len(), 1);
    assert!(!s.callbacks[0].solved);
}

#[test]
fn a_reopened_case_goes_back_to_its_unit_with_a_new_resolve_clock() {
    let mut case = called_back();
    let events = case.act(Supervisor, &cmd::reopen("诉求人反映摊点仍在"), t("2026-11-18 11:00"));
    let s = &case.state;
    assert_eq!(events.len(), 1);
    assert_eq!(s.status, Status::Handling);
    assert_eq!(s.unit, Some(code_of("cgw")));
    assert_eq!(s.reply, None);
    assert_eq!(s.outcome, None);
    // Wednesday 11:00 + 15 working days → Wednesday three weeks on.
    let c = s.clock(ClockKind::Resolve).expect("resolve clock");
    assert_eq!((c.started_at, c.due), (t("2026-11-18 11:00"), t("2026-12-09 11:00")));
    assert_eq!(s.clocks.len(), 1, "{:?}", s.clocks);
    // The unit acts again; another unit still may not.
    assert_eq!(case.try_(HandlerA, &cmd::reply("已再次清理"), case.soon()), Ok(vec!["replied"]));
    assert_eq!(case.try_(HandlerB, &cmd::reply("已再次清理"), case.soon()), Err("forbidden"));
}

#[test]
fn a_returned_case_is_dispatched_again() {
    use cmd::*;
    for from in [dispatched(), handling()] {
        let mut case = from;
        let was = case.state.status;
        run(
            &mut case,
            vec![(
                HandlerA,
                send_back("供水问题，不属于城管职责"),
                "2026-11-16 11:00",
                &["returned"],
                Status::Accepted,
            )],
        );
        let s = &case.state;
        assert_eq!(s.unit, None, "from {was:?}");
        assert_eq!(s.returned, Some((code_of("cgw"), "供水问题，不属于城管职责".to_owned())));
        assert_eq!(s.returns, 1);
        // Only the dispatch clock runs again, 24 hours for a general category.
        let kinds: Vec<_> = s.clocks.iter().map(|c| (c.kind, c.due)).collect();
        assert_eq!(kinds, [(ClockKind::Dispatch, t("2026-11-17 11:00"))], "from {was:?}");
        // The unit that returned it no longer holds it.
        assert_eq!(case.try_(HandlerA, &contact("已联系"), case.soon()), Err("forbidden"));

        run(
            &mut case,
            vec![
                (Dispatcher, dispatch("gs"), "2026-11-16 11:30", &["dispatched"], Status::Dispatched),
                (HandlerB, sign_for(), "2026-11-16 12:00", &["signed_for"], Status::Handling),
            ],
        );
        let s = &case.state;
        assert_eq!(s.unit, Some(code_of("sw")));
        assert_eq!(s.category, Some(cat_of("gs")));
        assert_eq!(s.returned, None);
        let units: Vec<_> = s.assignments.iter().map(|a| (a.unit.as_str(), a.ended_at)).collect();
        assert_eq!(units, [("cgw", Some(t("2026-11-16 11:00"))), ("sw", None)]);
    }
}

#[test]
fn reassign_moves_the_case_to_another_unit() {
    let mut case = handling();
    let action = yiwang_core::appeal::Action::Reassign {
        unit: code_of("sw"),
        category: Some(cat_of("gs")),
        reason: "属于供水问题".into(),
    };
    case.act(Dispatcher, &action, t("2026-11-16 12:00"));
    let s = &case.state;
    assert_eq!(s.status, Status::Dispatched);
    assert_eq!((s.unit.clone(), s.category.clone()), (Some(code_of("sw")), Some(cat_of("gs"))));
    let units: Vec<_> = s.assignments.iter().map(|a| (a.unit.as_str(), a.ended_at)).collect();
    assert_eq!(units, [("cgw", Some(t("2026-11-16 12:00"))), ("sw", None)]);
    // Reassigned cases start their clocks afresh for the new unit.
    assert_eq!(case.due(ClockKind::SignFor), Some(t("2026-11-16 14:00")));
    assert_eq!(case.due(ClockKind::Resolve), Some(t("2026-12-07 12:00")));
    assert_eq!(case.due(ClockKind::Contact), None);

    let table = [
        (HandlerA, cmd::sign_for(), Err("forbidden")),
        (HandlerB, cmd::sign_for(), Ok(vec!["signed_for"])),
        (Dispatcher, cmd::reassign("sw", "重复改派"), Err("same_unit")),
        (Dispatcher, cmd::reassign("cgw", "改回城管"), Ok(vec!["reassigned"])),
    ];
    for (who, action, expected) in table {
        assert_eq!(case.try_(who, &action, case.soon()), expected, "{} by {who:?}", action.name());
    }
    // Without a category the case keeps its own.
    let events = case.act(Dispatcher, &cmd::reassign("scj", "属于市场监管"), case.soon());
    assert!(
        matches!(&events[..], [yiwang_core::appeal::AppealEvent::Reassigned { category, .. }] if *category == cat_of("gs"))
    );
}

#[test]
fn a_duplicate_is_merged_and_a_case_cannot_be_merged_into_itself() {
    let table = [
        (accepted(), cmd::merge(OTHER_CASE), Ok(vec!["joined"])),
        (handling(), cmd::merge(OTHER_CASE), Ok(vec!["joined"])),
        (accepted(), cmd::merge(CASE), Err("merge_into_self")),
        (handling(), cmd::merge(CASE), Err("merge_into_self")),
    ];
    for (case, action, expected) in table {
        assert_eq!(case.try_(Dispatcher, &action, case.soon()), expected, "{:?}", case.state.status);
    }
    let mut case = handling();
    case.act(Dispatcher, &cmd::merge(OTHER_CASE), t("2026-11-16 11:00"));
    let s = &case.state;
    // Open, with no clock and no unit working on it: it waits for the master's reply.
    assert_eq!(s.status, Status::Merged);
    assert_eq!(s.outcome, None);
    assert!(s.is_open());
    assert_eq!(s.merged_into, Some(case_id(OTHER_CASE)));
    assert_eq!(s.assignments[0].ended_at, Some(t("2026-11-16 11:00")));
    assert!(s.clocks.is_empty());
}

/// The second caller of a merged duplicate is answered with the master's reply and
/// called back in their own right; the master lists the duplicates that joined it.
#[test]
fn a_merged_caller_gets_the_masters_reply_and_their_own_callback() {
    use yiwang_core::appeal::{Action, ReplyRecord};
    let mut dup = accepted().then(Dispatcher, cmd::merge(OTHER_CASE), "2026-11-16 09:10");
    let reply = ReplyRecord {
        unit: code_of("cgw"),
        outcome: yiwang_core::appeal::ReplyOutcome::Resolved,
        text: "路灯已修复".into(),
        at: t("2026-11-17 10:00"),
        on_time: true,
        photos: vec![],
    };
    let share = |master: &str| Action::ShareReply { master: case_id(master), reply: reply.clone() };
    // Only the system passes a reply on, and only from the case it joined.
    assert_eq!(dup.try_(Dispatcher, &share(OTHER_CASE), dup.soon()), Err("forbidden"));
    assert_eq!(dup.try_(System, &share(CASE), dup.soon()), Err("not_the_master"));
    assert_eq!(dup.try_(System, &share(OTHER_CASE), dup.soon()), Ok(vec!["master_replied"]));
    dup.act(System, &share(OTHER_CASE), t("2026-11-17 10:00"));
    let s = &dup.state;
    assert_eq!(s.status, Status::Replied, "waits for its own callback");
    assert_eq!(s.reply.as_ref().map(|r| (r.unit.as_str(), r.text.as_str())), Some(("cgw", "路灯已修复")));
    // Its callback closes it, counted for the unit that answered.
    dup.act(Operator, &cmd::callback(true, Satisfaction::Satisfied), t("2026-11-17 15:00"));
    assert_eq!((dup.state.status, dup.state.outcome), (Status::Closed, Some(Outcome::Resolved)));
    assert_eq!(dup.state.callbacks[0].unit.as_ref().map(|u| u.as_str()), Some("cgw"));
    assert_eq!(
        yiwang_core::measure::facts(&dup.state).iter().map(|f| (f.name, f.unit.as_str())).collect::<Vec<_>>(),
        [("reply", "cgw"), ("callback", "cgw")]
    );
    // The master notes each duplicate once, even once closed.
    let mut master = handling();
    let note = Action::NoteDuplicate { case: case_id(OTHER_CASE) };
    assert_eq!(master.try_(HandlerA, &note, master.soon()), Err("forbidden"));
    master.act(System, &note, t("2026-11-16 11:00"));
    assert_eq!(master.state.duplicates, [case_id(OTHER_CASE)]);
    assert_eq!(master.try_(System, &note, master.soon()), Ok(vec![]));
    // A duplicate taken back out of its master goes to dispatch.
    let mut back = accepted().then(Dispatcher, cmd::merge(OTHER_CASE), "2026-11-16 09:10");
    back.act(Supervisor, &cmd::reopen("并非重复件"), t("2026-11-16 10:00"));
    assert_eq!((back.state.status, back.state.merged_into.as_ref()), (Status::Accepted, None));
}

#[test]
fn a_merged_case_reopened_goes_back_to_dispatch() {
    let mut case = handling().then(HandlerA, cmd::suspend("等待诉求人"), "2026-11-16 10:30").then(
        Dispatcher,
        cmd::merge(OTHER_CASE),
        "2026-11-16 11:00",
    );
    case.act(Supervisor, &cmd::reopen("并非重复件"), t("2026-11-16 12:00"));
    let s = &case.state;
    assert_eq!(s.status, Status::Accepted);
    assert_eq!(s.merged_into, None);
    assert_eq!(s.outcome, None);
    // No unit holds a case waiting for dispatch, and nothing from before the merge
    // is left pending.
    assert_eq!(s.unit, None);
    assert_eq!(s.suspended_since, None);
    let kinds: Vec<_> = s.clocks.iter().map(|c| (c.kind, c.due)).collect();
    assert_eq!(kinds, [(ClockKind::Dispatch, t("2026-11-17 12:00"))]);
    assert_eq!(case.try_(HandlerA, &cmd::sign_for(), case.soon()), Err("forbidden"));
    // Dispatched and signed again, the case replies without a stale suspension.
    case.act(Dispatcher, &cmd::dispatch("csgl"), t("2026-11-16 12:10"));
    case.act(HandlerA, &cmd::sign_for(), t("2026-11-16 12:20"));
    assert_eq!(case.try_(HandlerA, &cmd::reply("已清理"), case.soon()), Ok(vec!["replied"]));
}

#[test]
fn only_consultations_are_answered_directly() {
    for appeal_type in AppealType::ALL {
        let case = accepted_with(yiwang_core::appeal::Intake { appeal_type, ..complaint() });
        let expected = if appeal_type == AppealType::Consultation {
            Ok(vec!["answered_directly"])
        } else {
            Err("not_a_consultation")
        };
        assert_eq!(
            case.try_(Operator, &cmd::answer_directly("由区城管委负责"), case.soon()),
            expected,
            "{appeal_type:?}"
        );
    }
    let mut case = accepted_with(consultation());
    case.act(Operator, &cmd::answer_directly("由区城管委负责"), t("2026-11-16 09:05"));
    assert_eq!((case.state.status, case.state.outcome), (Status::Closed, Some(Outcome::AnsweredDirectly)));
    // Reopened, a consultation nobody held goes to dispatch.
    case.act(Supervisor, &cmd::reopen("诉求人仍有疑问"), t("2026-11-16 10:00"));
    assert_eq!(case.state.status, Status::Accepted);
    assert_eq!(case.state.unit, None);
}

#[test]
fn reply_is_refused_while_co_units_are_pending() {
    // The street holds the case and summons two departments (街乡吹哨、部门报到).
    let mut case = accepted()
        .then(Dispatcher, cmd::dispatch("xxhj"), "2026-11-16 09:30")
        .then(StreetHandler, cmd::sign_for(), "2026-11-16 10:00")
        .then(StreetHandler, cmd::summon(&["cgw", "sw"]), "2026-11-16 10:30");
    let reply = cmd::reply("已协调城管、水务完成整治");
    let pending =
        |units: &[&str]| Err(Refusal::rule("co_units_pending", format!("协办单位尚未全部答复：{}", units.join("、"))));
    let steps: Vec<(Who, Action, &str, Result<usize, Refusal>)> = vec![
        (HandlerA, cmd::report_in(), "2026-11-16 11:00", pending(&["cgw", "sw"])),
        (HandlerA, cmd::answer_part("已清理占道摊点"), "2026-11-16 14:00", pending(&["sw"])),
        (HandlerB, cmd::report_in(), "2026-11-16 15:00", pending(&["sw"])),
        (HandlerB, cmd::answer_part("已修复管线"), "2026-11-17 09:00", Ok(1)),
    ];
    assert_eq!(case.decide(StreetHandler, &reply, case.soon()).map(|e| e.len()), pending(&["cgw", "sw"]));
    for (who, action, at, expected) in steps {
        case.act(who, &action, t(at));
        assert_eq!(case.decide(StreetHandler, &reply, case.soon()).map(|e| e.len()), expected, "after {at}");
    }
    let co: Vec<_> =
        case.state.co_units.iter().map(|c| (c.unit.as_str(), c.summoned_at, c.reported_in_at, c.answered_at)).collect();
    assert_eq!(
        co,
        [
            ("cgw", t("2026-11-16 10:30"), Some(t("2026-11-16 11:00")), Some(t("2026-11-16 14:00"))),
            ("sw", t("2026-11-16 10:30"), Some(t("2026-11-16 15:00")), Some(t("2026-11-17 09:00"))),
        ]
    );
}

#[test]
fn reply_is_refused_while_suspended() {
    let mut case = handling().then(HandlerA, cmd::suspend("等待诉求人提供照片"), "2026-11-17 09:00");
    assert_eq!(case.state.suspended_since, Some(t("2026-11-17 09:00")));
    let reply = cmd::reply("已清理");
    assert_eq!(
        case.decide(HandlerA, &reply, case.soon()),
        Err(Refusal::rule("case_suspended", "工单挂起中，请先恢复办理"))
    );
    case.act(HandlerA, &cmd::resume(), t("2026-11-18 09:00"));
    assert_eq!(case.state.suspended_since, None);
    assert_eq!(case.try_(HandlerA, &reply, case.soon()), Ok(vec!["replied"]));
}

#[test]
fn each_way_of_ending_gives_its_outcome() {
    use Satisfaction::*;
    use cmd::*;
    let table: Vec<(&str, Case, Outcome)> = vec![
        (
            "solved at callback",
            replied().then(Citizen, callback(true, Satisfied), "2026-11-18 10:00"),
            Outcome::Resolved,
        ),
        ("closed without callback", replied().then(Supervisor, close(), "2026-11-18 10:00"), Outcome::Resolved),
        (
            "unsolved, closed by the centre",
            called_back().then(Supervisor, close(), "2026-11-18 11:00"),
            Outcome::Unsolved,
        ),
        (
            "cannot solve, accepted by the citizen",
            handling().then(HandlerA, reply_cannot_solve("诉求超出法定职责"), "2026-11-17 10:00").then(
                Citizen,
                callback(true, BasicallySatisfied),
                "2026-11-18 10:00",
            ),
            Outcome::CannotSolve,
        ),
        (
            "cannot solve, not accepted",
            handling()
                .then(HandlerA, reply_cannot_solve("诉求超出法定职责"), "2026-11-17 10:00")
                .then(Citizen, callback(false, Unsatisfied), "2026-11-18 10:00")
                .then(Supervisor, close(), "2026-11-18 11:00"),
            Outcome::CannotSolve,
        ),
        (
            "reopened, answered again and closed",
            called_back()
                .then(Supervisor, reopen("摊点仍在"), "2026-11-18 11:00")
                .then(HandlerA, reply("已再次清理"), "2026-11-19 11:00")
                .then(Supervisor, close(), "2026-11-20 11:00"),
            Outcome::Unsolved,
        ),
        (
            "reopened, answered again and solved",
            called_back()
                .then(Supervisor, reopen("摊点仍在"), "2026-11-18 11:00")
                .then(HandlerA, reply("已再次清理"), "2026-11-19 11:00")
                .then(Citizen, callback(true, Satisfied), "2026-11-20 11:00"),
            Outcome::Resolved,
        ),
        (
            "merged, answered with its master and called back",
            accepted()
                .then(Dispatcher, merge(OTHER_CASE), "2026-11-16 09:10")
                .then(
                    System,
                    yiwang_core::appeal::Action::ShareReply {
                        master: case_id(OTHER_CASE),
                        reply: yiwang_core::appeal::ReplyRecord {
                            unit: code_of("cgw"),
                            outcome: yiwang_core::appeal::ReplyOutcome::Resolved,
                            text: "已清理".into(),
                            at: t("2026-11-17 10:00"),
                            on_time: true,
                            photos: vec![],
                        },
                    },
                    "2026-11-17 10:00",
                )
                .then(Citizen, callback(true, Satisfied), "2026-11-17 11:00"),
            Outcome::Resolved,
        ),
        (
            "answered directly",
            accepted_with(consultation()).then(Operator, answer_directly("由区城管委负责"), "2026-11-16 09:05"),
            Outcome::AnsweredDirectly,
        ),
    ];
    for (how, case, outcome) in table {
        assert_eq!((case.state.status, case.state.outcome), (Status::Closed, Some(outcome)), "{how}");
    }
}
