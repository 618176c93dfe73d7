//! `evolve`: folding a case's record gives the state the rules saw, and the
//! measures (三率) read their facts from that state.

use crate::fixture::*;
use yiwang_core::appeal::ClockKind;
use yiwang_core::appeal::{CallbackRecord, Envelope, Outcome, ReplyOutcome, Satisfaction, Status, evolve};
use yiwang_core::case::Fact;
use yiwang_core::measure::{FactKind, Tally, facts};

/// The whole unsolved-then-reopened lifecycle of one complaint.
fn reopened_and_closed() -> Case {
    use Satisfaction::*;
    use cmd::*;
    Case::file(Operator, &complaint(), "2026-11-16 09:00")
        .then(Dispatcher, dispatch("csgl"), "2026-11-16 09:30")
        .then(HandlerA, sign_for(), "2026-11-16 10:00")
        .then(HandlerA, summon(&["sw"]), "2026-11-16 10:30")
        .then(HandlerB, report_in(), "2026-11-16 11:00")
        .then(HandlerB, answer_part("供水管线无渗漏"), "2026-11-16 14:00")
        .then(HandlerA, contact("已电话联系诉求人"), "2026-11-16 15:00")
        .then(HandlerA, contact("再次联系诉求人"), "2026-11-16 16:00")
        .then(Supervisor, remind("请尽快办理"), "2026-11-17 09:00")
        .then(HandlerA, reply("已清理占道摊点"), "2026-11-17 10:00")
        .then(Citizen, callback(false, Unsatisfied), "2026-11-18 10:00")
        .then(Supervisor, reopen("摊点仍在"), "2026-11-18 11:00")
        .then(HandlerA, reply_cannot_solve("摊点位于私人产权用地，已告知诉求人维权途径"), "2026-12-10 11:00")
        .then(Operator, callback(true, BasicallySatisfied), "2026-12-11 10:00")
}

#[test]
fn folding_a_lifecycle_gives_the_expected_state() {
    let case = reopened_and_closed();
    let s = &case.state;
    assert_eq!(s.id, case_id(CASE));
    assert_eq!(s.version, 14);
    assert_eq!(s.status, Status::Closed);
    assert_eq!(s.outcome, Some(Outcome::CannotSolve));
    assert_eq!(s.unit, Some(code_of("cgw")));
    assert_eq!(s.category, Some(cat_of("csgl")));
    assert_eq!(
        (s.accepted_at, s.updated_at, s.closed_at),
        (t("2026-11-16 09:00"), t("2026-12-11 10:00"), Some(t("2026-12-11 10:00")))
    );
    assert_eq!((s.returns, s.reopens, s.reminders, s.supervised), (0, 1, 1, false));
    assert!(s.clocks.is_empty());

    // One assignment: signed at 10:00 against a due of 11:30, first contacted at
    // 15:00 against a due of Tuesday 10:00.
    assert_eq!(s.assignments.len(), 1);
    let a = &s.assignments[0];
    assert_eq!(a.unit, code_of("cgw"));
    assert_eq!(
        (a.dispatched_at, a.sign_due, a.signed_at),
        (t("2026-11-16 09:30"), t("2026-11-16 11:30"), Some(t("2026-11-16 10:00")))
    );
    assert_eq!(
        (a.contact_due, a.contacted_at, a.ended_at),
        (Some(t("2026-11-17 10:00")), Some(t("2026-11-16 15:00")), None)
    );

    let co: Vec<_> = s.co_units.iter().map(|c| (c.unit.as_str(), c.reported_in_at, c.answered_at)).collect();
    assert_eq!(co, [("sw", Some(t("2026-11-16 11:00")), Some(t("2026-11-16 14:00")))]);

    // The reply is the last one. Reopened on 18 November, the resolve clock ran 15
    // working days to 9 December 11:00, so the reply of 10 December was late.
    let r = s.reply.as_ref().expect("reply");
    assert_eq!(
        (r.unit.as_str(), r.outcome, r.at, r.on_time),
        ("cgw", ReplyOutcome::CannotSolve, t("2026-12-10 11:00"), false)
    );

    assert_eq!(
        s.callbacks,
        [
            CallbackRecord {
                unit: Some(code_of("cgw")),
                solved: false,
                satisfaction: Satisfaction::Unsatisfied,
                at: t("2026-11-18 10:00")
            },
            CallbackRecord {
                unit: Some(code_of("cgw")),
                solved: true,
                satisfaction: Satisfaction::BasicallySatisfied,
                at: t("2026-12-11 10:00")
            },
        ]
    );
}

#[test]
fn the_record_replayed_from_storage_gives_the_same_state() {
    for case in [reopened_and_closed(), summoned(), called_back(), accepted()] {
        // The store keeps envelopes as JSON; reading them back and folding them
        // afresh must give the state the rules saw.
        let json = serde_json::to_string(&case.log).expect("envelopes serialise");
        let log: Vec<Envelope> = serde_json::from_str(&json).expect("envelopes deserialise");
        assert_eq!(log, case.log);
        let replayed = log.iter().fold(None, evolve);
        assert_eq!(replayed.as_ref(), Some(&case.state));
        let seqs: Vec<u32> = log.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=log.len() as u32).collect::<Vec<_>>());
    }
}

#[test]
fn events_before_an_intake_fold_to_nothing() {
    let case = dispatched();
    // The dispatch envelope on its own, as if the intake had been lost.
    assert_eq!(evolve(None, &case.log[1]), None);
}

fn fact(unit: &str, month: &str, k: FactKind) -> Fact {
    let (name, flag, value) = k.parts();
    Fact { unit: code_of(unit), month: month.into(), name, flag, value: value.into() }
}

#[test]
fn the_measures_count_the_facts_of_the_state() {
    let dispatch = |unit: &str, month: &str, responded| fact(unit, month, FactKind::Dispatch { responded });
    let reply = |unit: &str, month: &str, on_time| fact(unit, month, FactKind::Reply { on_time });
    let callback =
        |unit: &str, month: &str, solved, satisfaction| fact(unit, month, FactKind::Callback { solved, satisfaction });
    use Satisfaction::*;
    let table: Vec<(&str, Case, Vec<Fact>)> = vec![
        ("accepted only", accepted(), vec![]),
        ("signed in time but not yet contacted", handling(), vec![dispatch("cgw", "2026-11", false)]),
        (
            "the standard path, solved",
            closed(),
            vec![
                dispatch("cgw", "2026-11", true),
                reply("cgw", "2026-11", true),
                callback("cgw", "2026-11", true, Satisfied),
            ],
        ),
        (
            "reopened and closed",
            reopened_and_closed(),
            vec![
                dispatch("cgw", "2026-11", true),
                reply("cgw", "2026-12", false),
                callback("cgw", "2026-11", false, Unsatisfied),
                callback("cgw", "2026-12", true, BasicallySatisfied),
            ],
        ),
        (
            "signed on the due instant",
            dispatched().then(HandlerA, cmd::sign_for(), "2026-11-16 11:30").then(
                HandlerA,
                cmd::contact("已联系"),
                "2026-11-16 12:00",
            ),
            vec![dispatch("cgw", "2026-11", true)],
        ),
        (
            "signed late",
            dispatched().then(HandlerA, cmd::sign_for(), "2026-11-16 11:31").then(
                HandlerA,
                cmd::contact("已联系"),
                "2026-11-16 12:00",
            ),
            vec![dispatch("cgw", "2026-11", false)],
        ),
        (
            "contacted late",
            handling().then(HandlerA, cmd::contact("已联系"), "2026-11-17 10:01"),
            vec![dispatch("cgw", "2026-11", false)],
        ),
        (
            "contacted on the due instant",
            handling().then(HandlerA, cmd::contact("已联系"), "2026-11-17 10:00"),
            vec![dispatch("cgw", "2026-11", true)],
        ),
        (
            "returned and dispatched again",
            dispatched()
                .then(HandlerA, cmd::send_back("不属于本单位"), "2026-11-16 10:00")
                .then(Dispatcher, cmd::dispatch("gs"), "2026-11-16 10:30")
                .then(HandlerB, cmd::sign_for(), "2026-11-16 11:00")
                .then(HandlerB, cmd::contact("已联系"), "2026-11-16 11:30"),
            vec![dispatch("cgw", "2026-11", false), dispatch("sw", "2026-11", true)],
        ),
        (
            // Months are civil months in China: 23:30 on 30 November and 00:30 on
            // 1 December fall in different months.
            "replied and called back across a month end",
            handling()
                .then(HandlerA, cmd::contact("已联系"), "2026-11-16 11:00")
                .then(HandlerA, cmd::reply("已清理"), "2026-11-30 23:30")
                .then(Citizen, cmd::callback(true, Satisfied), "2026-12-01 00:30"),
            vec![
                dispatch("cgw", "2026-11", true),
                reply("cgw", "2026-11", true),
                callback("cgw", "2026-12", true, Satisfied),
            ],
        ),
        ("merged before dispatch", accepted().then(Dispatcher, cmd::merge(OTHER_CASE), "2026-11-16 09:10"), vec![]),
    ];
    for (what, case, expected) in table {
        assert_eq!(facts(&case.state), expected, "{what}");
    }

    // The unit's tally over the reopened case and a solved one.
    let mut tally = Tally::default();
    for f in facts(&reopened_and_closed().state).into_iter().chain(facts(&closed().state)) {
        assert_eq!(f.unit, code_of("cgw"));
        assert!(tally.add_fact(&f), "an appeal's fact: {f:?}");
    }
    assert_eq!(
        (tally.dispatched, tally.responded, tally.replied, tally.replied_on_time, tally.callbacks, tally.solved),
        (2, 2, 2, 1, 3, 2)
    );
    assert_eq!((tally.satisfied, tally.basically_satisfied), (1, 1));
    let rates = tally.rates();
    assert_eq!(rates.response, Some(1.0));
    assert_eq!(rates.on_time, Some(0.5));
    assert_eq!(rates.resolution, Some(2.0 / 3.0));
    assert_eq!(rates.satisfaction, Some((1.0 + 0.8) / 3.0));
}

#[test]
fn a_reopened_case_runs_only_its_resolve_clock() {
    let case = called_back().then(Supervisor, cmd::reopen("摊点仍在"), "2026-11-18 11:00");
    let kinds: Vec<ClockKind> = case.state.clocks.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [ClockKind::Resolve]);
    // Co-units that answered before stay on record.
    assert_eq!(case.state.co_units.len(), 1);
}
