//! Which action is allowed in which status: every action, tried by an actor who may
//! do it, in every status.

use crate::fixture::*;
use std::collections::BTreeSet;
use yiwang_core::appeal::{Action, Satisfaction, Status};

const TNA: Want = Err("transition_not_allowed");
const FORBIDDEN: Want = Err("forbidden");
const CLOSED: Want = Err("case_closed");

/// One of each action, with valid fields.
fn every_action() -> Vec<Action> {
    use cmd::*;
    vec![
        dispatch("csgl"),
        sign_for(),
        send_back("不属于本单位职责"),
        reassign("scj", "属于食品安全"),
        summon(&["scj"]),
        report_in(),
        answer_part("供水管线无渗漏"),
        contact("已联系诉求人"),
        request_extension(5),
        decide_extension(true),
        remind("请尽快办理"),
        supervise("列入督办"),
        suspend("等待诉求人提供照片"),
        resume(),
        reply("已清理占道摊点"),
        callback(true, Satisfaction::Satisfied),
        reopen("诉求人反映仍有摊点"),
        close(),
        merge(OTHER_CASE),
        answer_directly("由区城管委负责"),
        tick(),
    ]
}

#[test]
fn the_tables_name_every_action() {
    let names: BTreeSet<_> = every_action().iter().map(Action::name).collect();
    assert_eq!(names.len(), 21, "one of each action: {names:?}");
}

#[test]
fn every_action_outside_its_statuses_is_refused() {
    use cmd::*;
    // The columns: a complaint in each status, reached along the standard path. In
    // the handling column department B has been summoned and has not reported in.
    let merged = accepted().then(Dispatcher, merge(OTHER_CASE), "2026-11-16 09:10");
    let columns = [accepted(), dispatched(), summoned(), merged, replied(), called_back(), closed()];
    let statuses: Vec<Status> = columns.iter().map(|c| c.state.status).collect();
    assert_eq!(statuses, Status::ALL, "one column per status, in order");

    let ok = |events: &'static [&'static str]| -> Want { Ok(events) };
    // Actions of the holding unit on a case no unit holds are refused as forbidden:
    // nobody holds it. Co-unit actions likewise before anyone is summoned.
    #[rustfmt::skip]
    let table: Vec<(Who, Action, [Want; 7])> = vec![
        // Columns: accepted, dispatched, handling, merged (a duplicate waiting for its
        // master), replied, called_back, closed.
        (Dispatcher, dispatch("csgl"),                     [ok(&["dispatched"]), TNA, TNA, TNA, TNA, TNA, CLOSED]),
        (HandlerA,   sign_for(),                           [FORBIDDEN, ok(&["signed_for"]), TNA, FORBIDDEN, TNA, TNA, CLOSED]),
        (HandlerA,   send_back("不属于本单位职责"),         [FORBIDDEN, ok(&["returned"]), ok(&["returned"]), FORBIDDEN, TNA, TNA, CLOSED]),
        (Dispatcher, reassign("scj", "属于食品安全"),       [TNA, ok(&["reassigned"]), ok(&["reassigned"]), TNA, TNA, TNA, CLOSED]),
        (HandlerA,   summon(&["scj"]),                     [FORBIDDEN, TNA, ok(&["summoned"]), FORBIDDEN, TNA, TNA, CLOSED]),
        (HandlerB,   report_in(),                          [FORBIDDEN, FORBIDDEN, ok(&["reported_in"]), FORBIDDEN, TNA, TNA, CLOSED]),
        // A co-unit answers its part only after reporting in.
        (HandlerB,   answer_part("供水管线无渗漏"),         [FORBIDDEN, FORBIDDEN, TNA, FORBIDDEN, TNA, TNA, CLOSED]),
        (HandlerA,   contact("已联系诉求人"),               [FORBIDDEN, TNA, ok(&["contacted"]), FORBIDDEN, TNA, TNA, CLOSED]),
        (HandlerA,   request_extension(5),                 [FORBIDDEN, TNA, ok(&["extension_requested"]), FORBIDDEN, TNA, TNA, CLOSED]),
        (Supervisor, decide_extension(true),               [TNA, TNA, Err("no_extension_pending"), TNA, TNA, TNA, CLOSED]),
        (Supervisor, remind("请尽快办理"),                  [ok(&["reminded"]), ok(&["reminded"]), ok(&["reminded"]), TNA, ok(&["reminded"]), ok(&["reminded"]), CLOSED]),
        (Supervisor, supervise("列入督办"),                 [ok(&["supervised"]), ok(&["supervised"]), ok(&["supervised"]), TNA, ok(&["supervised"]), ok(&["supervised"]), CLOSED]),
        (HandlerA,   suspend("等待诉求人提供照片"),         [FORBIDDEN, TNA, ok(&["suspended"]), FORBIDDEN, TNA, TNA, CLOSED]),
        (HandlerA,   resume(),                             [FORBIDDEN, TNA, Err("already_done"), FORBIDDEN, TNA, TNA, CLOSED]),
        (HandlerA,   reply("已清理占道摊点"),               [FORBIDDEN, TNA, Err("co_units_pending"), FORBIDDEN, TNA, TNA, CLOSED]),
        (Operator,   callback(true, Satisfaction::Satisfied), [TNA, TNA, TNA, TNA, ok(&["called_back"]), TNA, CLOSED]),
        (Supervisor, reopen("诉求人反映仍有摊点"),          [TNA, TNA, TNA, ok(&["reopened"]), ok(&["reopened"]), ok(&["reopened"]), ok(&["reopened"])]),
        (Supervisor, close(),                              [TNA, TNA, TNA, TNA, ok(&["closed"]), ok(&["closed"]), CLOSED]),
        (Dispatcher, merge(OTHER_CASE),                    [ok(&["joined"]), ok(&["joined"]), ok(&["joined"]), TNA, TNA, TNA, CLOSED]),
        (Operator,   answer_directly("由区城管委负责"),     [Err("not_a_consultation"), TNA, TNA, TNA, TNA, TNA, CLOSED]),
        (System,     tick(),                               [ok(&[]), ok(&[]), ok(&[]), ok(&[]), ok(&[]), ok(&[]), CLOSED]),
    ];
    let covered: BTreeSet<_> = table.iter().map(|(_, a, _)| a.name()).collect();
    let all: BTreeSet<_> = every_action().iter().map(Action::name).collect();
    assert_eq!(covered, all, "the table covers every action");

    for (who, action, row) in table {
        for (case, expected) in columns.iter().zip(row) {
            assert_eq!(
                case.try_(who, &action, case.soon()),
                want(expected),
                "{} by {who:?} in {:?}",
                action.name(),
                case.state.status
            );
        }
    }
}

#[test]
fn a_consultation_is_answered_directly_only_before_dispatch() {
    let columns = [
        accepted_with(consultation()),
        dispatched_with(consultation()),
        summoned_with(consultation()),
        replied_with(consultation()),
        called_back_with(consultation()),
        closed_with(consultation()),
    ];
    let row = [Ok(&["answered_directly"][..]), TNA, TNA, TNA, TNA, CLOSED];
    for (case, expected) in columns.iter().zip(row) {
        let action = cmd::answer_directly("由区城管委负责");
        assert_eq!(case.try_(Operator, &action, case.soon()), want(expected), "{:?}", case.state.status);
    }
}

#[test]
fn a_closed_case_refuses_everything_but_reopen_by_the_centre() {
    let closed_cases = [
        ("resolved", closed()),
        (
            "answered directly",
            accepted_with(consultation()).then(Operator, cmd::answer_directly("由区城管委负责"), "2026-11-16 09:05"),
        ),
        ("closed without callback", replied().then(Supervisor, cmd::close(), "2026-11-18 09:00")),
    ];
    for (how, case) in closed_cases {
        assert_eq!(case.state.status, Status::Closed, "{how}");
        for action in every_action() {
            for who in Who::ALL {
                let expected = match (&action, who) {
                    (Action::Reopen { .. }, Supervisor | Dispatcher) => Ok(vec!["reopened"]),
                    (Action::Reopen { .. }, _) => Err("forbidden"),
                    _ => Err("case_closed"),
                };
                assert_eq!(case.try_(who, &action, case.soon()), expected, "{how}: {} by {who:?}", action.name());
            }
        }
    }
}

#[test]
fn actions_that_were_done_are_not_done_twice() {
    use cmd::*;
    let table: Vec<(Case, Who, Action, &str)> = vec![
        (reported_in(), HandlerB, report_in(), "already_done"),
        (part_answered(), HandlerB, answer_part("再次答复"), "already_done"),
        (
            handling().then(HandlerA, suspend("等待诉求人"), "2026-11-17 09:00"),
            HandlerA,
            suspend("再次挂起"),
            "already_done",
        ),
        (handling(), HandlerA, resume(), "already_done"),
        (
            handling().then(HandlerA, request_extension(5), "2026-11-17 09:00"),
            HandlerA,
            request_extension(3),
            "extension_pending",
        ),
        (handling(), Supervisor, decide_extension(false), "no_extension_pending"),
        (handling(), HandlerA, sign_for(), "transition_not_allowed"),
        (
            replied().then(Operator, callback(false, Satisfaction::Unsatisfied), "2026-11-18 10:00"),
            Citizen,
            callback(true, Satisfaction::Satisfied),
            "transition_not_allowed",
        ),
    ];
    for (case, who, action, code) in table {
        assert_eq!(case.try_(who, &action, case.soon()), Err(code), "{} by {who:?}", action.name());
    }
}

/// Department B has answered its part; A has not replied yet.
fn part_answered() -> Case {
    reported_in().then(HandlerB, cmd::answer_part("供水管线无渗漏"), "2026-11-16 14:00")
}
