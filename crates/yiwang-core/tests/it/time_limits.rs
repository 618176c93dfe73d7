//! Time limits (时限): which budget each clock gets, where its deadline falls on the
//! real calendar, how suspensions and extensions move it, and how the scheduler's
//! tick colours it. Time is stepped by hand.

use crate::fixture::*;
use yiwang_core::Instant;
use yiwang_core::appeal::ClockKind;
use yiwang_core::appeal::{AppealEvent, AppealType, Intake, Refusal};
use yiwang_core::deadline::{Budget, Stage, Urgency};

/// Department A signed at 10:00 and contacted the citizen at 11:00 on Monday
/// 16 November; the resolve clock started at dispatch, 09:30, and runs to
/// Monday 7 December 09:30.
fn contacted() -> Case {
    handling().then(HandlerA, cmd::contact("已电话联系诉求人"), "2026-11-16 11:00")
}

/// Files and dispatches a case at one instant.
fn dispatched_at(intake: Intake, at: &str, category: &str) -> Case {
    Case::file(Operator, &intake, at).then(Dispatcher, cmd::dispatch(category), at)
}

#[test]
fn dispatch_clocks_follow_urgency_and_category() {
    use AppealType::*;
    use Urgency::*;
    // DB11/T 2021-2022: emergencies within 1 hour, water/power/gas/heat within 2,
    // everything else within 24; natural hours, holidays included. Yellow at 80 %.
    #[rustfmt::skip]
    let table = [
        // type, urgency, category at intake, filed at; budget, warn at, due
        (Complaint, Normal, None, "2026-11-16 09:00", Budget::Hours(24), "2026-11-17 04:12", "2026-11-17 09:00"),
        (Complaint, Urgent, None, "2026-11-16 09:00", Budget::Hours(24), "2026-11-17 04:12", "2026-11-17 09:00"),
        (Complaint, Normal, Some("csgl-zd"), "2026-11-16 09:00", Budget::Hours(24), "2026-11-17 04:12", "2026-11-17 09:00"),
        (Consultation, Normal, None, "2026-11-16 09:00", Budget::Hours(24), "2026-11-17 04:12", "2026-11-17 09:00"),
        (Help, Emergency, None, "2026-11-16 09:00", Budget::Hours(1), "2026-11-16 09:48", "2026-11-16 10:00"),
        (Help, Normal, Some("gs"), "2026-11-16 09:00", Budget::Hours(2), "2026-11-16 10:36", "2026-11-16 11:00"),
        (Help, Urgent, Some("gs"), "2026-11-16 09:00", Budget::Hours(2), "2026-11-16 10:36", "2026-11-16 11:00"),
        (Help, Emergency, Some("gs"), "2026-11-16 09:00", Budget::Hours(1), "2026-11-16 09:48", "2026-11-16 10:00"),
        // Hours run through the National Day holiday and across midnight.
        (Complaint, Normal, None, "2026-10-01 10:00", Budget::Hours(24), "2026-10-02 05:12", "2026-10-02 10:00"),
        (Help, Emergency, None, "2026-10-01 23:30", Budget::Hours(1), "2026-10-02 00:18", "2026-10-02 00:30"),
    ];
    for (appeal_type, urgency, category, at, budget, warn, due) in table {
        let intake = Intake { appeal_type, urgency, category: category.map(cat_of), ..complaint() };
        let case = Case::file(Operator, &intake, at);
        let c = case.state.clock(ClockKind::Dispatch).expect("dispatch clock");
        assert_eq!(
            (c.budget, c.started_at, c.warn_at, c.due),
            (budget, t(at), t(warn), t(due)),
            "{appeal_type:?} {urgency:?} {category:?} {at}"
        );
        assert_eq!(case.state.clocks.len(), 1);
    }
}

#[test]
fn a_returned_utility_case_must_be_dispatched_again_within_two_hours() {
    let mut case = dispatched_at(complaint(), "2026-11-16 09:00", "gs");
    case.act(HandlerB, &cmd::send_back("属于物业管线"), t("2026-11-16 09:20"));
    let c = case.state.clock(ClockKind::Dispatch).expect("dispatch clock");
    assert_eq!((c.budget, c.due), (Budget::Hours(2), t("2026-11-16 11:20")));
}

#[test]
fn sign_for_and_contact_clocks_run_in_hours() {
    let table = [
        (Urgency::Normal, Budget::Hours(2), "2026-11-16 11:30"),
        (Urgency::Urgent, Budget::Hours(2), "2026-11-16 11:30"),
        (Urgency::Emergency, Budget::Hours(1), "2026-11-16 10:30"),
    ];
    for (urgency, budget, sign_due) in table {
        let mut case = dispatched_with(Intake { urgency, ..complaint() });
        let c = case.state.clock(ClockKind::SignFor).expect("sign-for clock");
        assert_eq!((c.budget, c.due), (budget, t(sign_due)), "{urgency:?}");
        assert_eq!(case.state.assignments[0].sign_due, t(sign_due));
        // The citizen is to be contacted within 24 hours of signing.
        case.act(HandlerA, &cmd::sign_for(), t("2026-11-16 10:00"));
        assert_eq!(case.state.clock(ClockKind::SignFor), None);
        let c = case.state.clock(ClockKind::Contact).expect("contact clock");
        assert_eq!((c.budget, c.due), (Budget::Hours(24), t("2026-11-17 10:00")), "{urgency:?}");
        assert_eq!(case.state.assignments[0].contact_due, Some(t("2026-11-17 10:00")));
        case.act(HandlerA, &cmd::contact("已联系"), t("2026-11-16 11:00"));
        assert_eq!(case.state.clock(ClockKind::Contact), None);
    }
}

#[test]
fn resolve_clocks_count_working_days_on_the_real_calendar() {
    use AppealType::*;
    // Consultations 3 working days, everything else 15; yellow with 20 % left.
    #[rustfmt::skip]
    let table = [
        // type, dispatched at; budget, warn at, due
        (Complaint, "2026-11-16 09:30", 15, "2026-12-02 09:30", "2026-12-07 09:30"),
        // A weekend in between.
        (Consultation, "2026-11-20 10:00", 3, "2026-11-24 19:36", "2026-11-25 10:00"),
        // Dispatched the day before National Day 2026 (1–7 Oct; 10 Oct worked).
        (Complaint, "2026-09-30 09:00", 15, "2026-10-22 09:00", "2026-10-27 09:00"),
        (Consultation, "2026-09-30 09:00", 3, "2026-10-09 18:36", "2026-10-10 09:00"),
        // Dispatched during the holiday: the clock starts on 8 October.
        (Consultation, "2026-10-03 15:00", 3, "2026-10-10 09:36", "2026-10-11 00:00"),
        // Before the Spring Festival 2026 (15–23 Feb; 14 Feb worked).
        (Consultation, "2026-02-13 09:00", 3, "2026-02-24 18:36", "2026-02-25 09:00"),
        // National Day and Mid-Autumn 2025 (1–8 Oct; 28 Sep and 11 Oct worked).
        (Complaint, "2025-09-26 09:00", 15, "2025-10-20 09:00", "2025-10-23 09:00"),
    ];
    for (appeal_type, at, days, warn, due) in table {
        let case = dispatched_at(Intake { appeal_type, ..complaint() }, at, "csgl");
        let c = case.state.clock(ClockKind::Resolve).expect("resolve clock");
        assert_eq!(
            (c.budget, c.started_at, c.warn_at, c.due),
            (Budget::WorkingDays(days), t(at), t(warn), t(due)),
            "{appeal_type:?} dispatched {at}"
        );
    }
}

#[test]
fn suspend_and_resume_move_the_due_date_by_the_paused_working_time() {
    #[rustfmt::skip]
    let table: [(Setup, &str, &str, &str); 5] = [
        // setup, suspended at, resumed at, resolve due after resuming
        // Three working days paused: Monday 7 December becomes Thursday 10 December.
        (contacted, "2026-11-18 09:30", "2026-11-23 09:30", "2026-12-10 09:30"),
        // Friday 17:00 to Monday 09:00 is 7 + 9 working hours.
        (contacted, "2026-11-20 17:00", "2026-11-23 09:00", "2026-12-08 01:30"),
        // A pause within a weekend costs no working time.
        (contacted, "2026-11-21 10:00", "2026-11-22 18:00", "2026-12-07 09:30"),
        // Paused and resumed at once.
        (contacted, "2026-11-18 09:30", "2026-11-18 09:30", "2026-12-07 09:30"),
        // Across National Day: 7 h of 30 Sep, all of 8 Oct and 9 h of 9 Oct.
        (|| dispatched_at(complaint(), "2026-09-30 09:00", "csgl").then(HandlerA, cmd::sign_for(), "2026-09-30 09:10"),
            "2026-09-30 17:00", "2026-10-09 09:00", "2026-10-29 01:00"),
    ];
    for (setup, suspended, resumed, due) in table {
        let mut case = setup();
        let before = case.state.clock(ClockKind::Resolve).copied().expect("resolve clock");
        case.act(HandlerA, &cmd::suspend("等待诉求人提供照片"), t(suspended));
        let c = case.state.clock(ClockKind::Resolve).expect("resolve clock");
        assert_eq!((c.paused_at, c.due), (Some(t(suspended)), before.due), "paused {suspended}");
        assert_eq!(c.next_alarm(), None, "a paused clock raises no alarm");
        let events = case.act(HandlerA, &cmd::resume(), t(resumed));
        let [AppealEvent::Resumed { resolve_clock }] = &events[..] else { panic!("{events:?}") };
        assert_eq!((resolve_clock.paused_at, resolve_clock.due), (None, t(due)), "{suspended} → {resumed}");
        assert_eq!(case.due(ClockKind::Resolve), Some(t(due)));
    }
}

#[test]
fn an_approved_extension_moves_the_deadline_and_a_refused_one_does_not() {
    let table = [
        // working days, approved; resolve due after the decision
        (5, true, "2026-12-14 09:30"),
        (10, true, "2026-12-21 09:30"),
        (1, true, "2026-12-08 09:30"),
        (5, false, "2026-12-07 09:30"),
    ];
    for (days, approve, due) in table {
        let mut case = contacted();
        case.act(HandlerA, &cmd::request_extension(days), t("2026-11-17 09:00"));
        let pending = case.state.extension.as_ref().expect("pending extension");
        assert_eq!((pending.working_days, pending.requested_at), (days, t("2026-11-17 09:00")));
        let events = case.act(Dispatcher, &cmd::decide_extension(approve), t("2026-11-17 10:00"));
        let [AppealEvent::ExtensionDecided { approved, working_days, resolve_clock, .. }] = &events[..] else {
            panic!("{events:?}")
        };
        assert_eq!((*approved, *working_days), (approve, days));
        assert_eq!(resolve_clock.map(|c| c.due), approve.then(|| t(due)), "{days} {approve}");
        assert_eq!(case.due(ClockKind::Resolve), Some(t(due)), "{days} days, approved {approve}");
        assert_eq!(case.state.extension, None);
        // Decided, the unit may ask again.
        assert_eq!(case.try_(HandlerA, &cmd::request_extension(2), case.soon()), Ok(vec!["extension_requested"]));
    }
}

#[test]
fn late_extension_request_is_refused() {
    let due = t("2026-12-07 09:30");
    let table = [
        ("2026-12-07 09:29", Ok(vec!["extension_requested"])),
        ("2026-12-07 09:30", Err(Refusal::DeadlinePassed { due })),
        ("2026-12-08 10:00", Err(Refusal::DeadlinePassed { due })),
    ];
    let case = contacted();
    for (at, expected) in table {
        let got =
            case.decide(HandlerA, &cmd::request_extension(5), t(at)).map(|es| es.iter().map(|e| e.name()).collect());
        assert_eq!(got, expected, "{at}");
    }
}

#[test]
fn a_suspended_case_may_ask_for_more_time_only_if_it_was_suspended_in_time() {
    // Suspended before the deadline, the clock is frozen with time left: the unit
    // may still ask, even after the old due has passed on the wall clock.
    let in_time = contacted().then(HandlerA, cmd::suspend("等待诉求人"), "2026-12-04 09:00");
    assert_eq!(
        in_time.try_(HandlerA, &cmd::request_extension(5), t("2026-12-10 09:00")),
        Ok(vec!["extension_requested"])
    );
    // Suspended after the deadline, suspending does not reopen the door.
    let late = contacted().then(HandlerA, cmd::suspend("等待诉求人"), "2026-12-08 09:00");
    assert_eq!(
        late.decide(HandlerA, &cmd::request_extension(5), t("2026-12-08 10:00")),
        Err(Refusal::DeadlinePassed { due: t("2026-12-07 09:30") })
    );
}

/// A clock event as a table reads it: its name, its clock and the due it reports.
type ClockEvent = (&'static str, ClockKind, Instant);

fn clock_events(events: &[AppealEvent]) -> Vec<ClockEvent> {
    events
        .iter()
        .map(|e| match e {
            AppealEvent::ClockWarned { clock, due } | AppealEvent::ClockOverdue { clock, due } => {
                (e.name(), *clock, *due)
            }
            other => panic!("a tick records only clock events, got {other:?}"),
        })
        .collect()
}

#[test]
fn tick_warns_at_the_warning_point_and_marks_overdue_after_the_due() {
    use ClockKind::*;
    let sign_due = t("2026-11-16 11:30");
    let contact_due = t("2026-11-17 12:00");
    let resolve_due = t("2026-12-07 09:30");
    let mut case = dispatched();
    // The scheduler wakes at the next alarm; between alarms a tick has nothing to say.
    assert_eq!(case.state.next_alarm(), Some(t("2026-11-16 11:06")));
    #[rustfmt::skip]
    let steps: Vec<(&str, Option<yiwang_core::appeal::Action>, Vec<ClockEvent>)> = vec![
        // at, what department A does just before the tick, what the tick records
        ("2026-11-16 11:05", None, vec![]),
        ("2026-11-16 11:06", None, vec![("clock_warned", SignFor, sign_due)]),
        ("2026-11-16 11:20", None, vec![]),
        ("2026-11-16 11:30", None, vec![("clock_overdue", SignFor, sign_due)]),
        ("2026-11-16 11:45", None, vec![]),
        // Signed late at 12:00: the contact clock runs to Tuesday 12:00 and the
        // scheduler, waking only on Tuesday afternoon, finds it already red.
        ("2026-11-16 12:00", Some(cmd::sign_for()), vec![]),
        ("2026-11-17 13:00", None, vec![("clock_overdue", Contact, contact_due)]),
        ("2026-11-17 14:00", Some(cmd::contact("已联系")), vec![]),
        ("2026-12-02 09:29", None, vec![]),
        ("2026-12-02 09:30", None, vec![("clock_warned", Resolve, resolve_due)]),
        ("2026-12-04 09:30", None, vec![]),
        ("2026-12-07 09:30", None, vec![("clock_overdue", Resolve, resolve_due)]),
        ("2026-12-08 09:30", None, vec![]),
    ];
    for (at, before, expected) in steps {
        if let Some(action) = before {
            case.act(HandlerA, &action, t(at));
        }
        let events = case.act(System, &cmd::tick(), t(at));
        assert_eq!(clock_events(&events), expected, "tick at {at}");
    }
    let stages: Vec<_> = case.state.clocks.iter().map(|c| (c.kind, c.stage)).collect();
    assert_eq!(stages, [(Resolve, Stage::Red)]);
    assert_eq!(case.state.stage(), Stage::Red);
    assert_eq!(case.state.next_alarm(), None);
}

#[test]
fn two_clocks_can_turn_at_the_same_tick() {
    // Nobody signs or dispatches for days: the sign-for clock is long overdue when
    // the resolve clock turns yellow, but each is reported once.
    let mut case = dispatched();
    let events = case.act(System, &cmd::tick(), t("2026-12-02 09:30"));
    assert_eq!(
        clock_events(&events),
        [
            ("clock_overdue", ClockKind::SignFor, t("2026-11-16 11:30")),
            ("clock_warned", ClockKind::Resolve, t("2026-12-07 09:30")),
        ]
    );
    assert_eq!(clock_events(&case.act(System, &cmd::tick(), t("2026-12-02 09:31"))), []);
}

#[test]
fn tick_is_silent_while_the_clock_is_paused() {
    let mut case = contacted().then(HandlerA, cmd::suspend("等待诉求人"), "2026-11-18 09:30");
    assert_eq!(case.state.next_alarm(), None);
    assert_eq!(case.state.next_due(), None);
    // Long past the old due, nothing happens while paused.
    assert_eq!(clock_events(&case.act(System, &cmd::tick(), t("2026-12-08 09:30"))), []);
    // Resumed on Monday 14 December with the 13 working days that were left at the
    // pause (Wednesday 18 November 09:30 → Monday 7 December 09:30).
    case.act(HandlerA, &cmd::resume(), t("2026-12-14 09:30"));
    let due = t("2026-12-31 09:30");
    assert_eq!(case.due(ClockKind::Resolve), Some(due));
    assert_eq!(clock_events(&case.act(System, &cmd::tick(), t("2026-12-14 10:00"))), []);
    assert_eq!(
        clock_events(&case.act(System, &cmd::tick(), t("2026-12-31 09:30"))),
        [("clock_overdue", ClockKind::Resolve, due)]
    );
}

#[test]
fn an_approved_extension_turns_a_red_clock_green() {
    let mut case = contacted().then(HandlerA, cmd::request_extension(5), "2026-12-04 09:00");
    case.act(System, &cmd::tick(), t("2026-12-07 10:00"));
    assert_eq!(case.state.stage(), Stage::Red);
    // Approved after the old due: the deadline moves five working days on, and the
    // clock turns yellow when one of them is left.
    case.act(Supervisor, &cmd::decide_extension(true), t("2026-12-07 11:00"));
    let c = *case.state.clock(ClockKind::Resolve).expect("resolve clock");
    assert_eq!((c.stage, c.warn_at, c.due), (Stage::Green, t("2026-12-11 09:30"), t("2026-12-14 09:30")));
    assert_eq!(clock_events(&case.act(System, &cmd::tick(), t("2026-12-08 09:00"))), []);
    assert_eq!(
        clock_events(&case.act(System, &cmd::tick(), t("2026-12-11 09:30"))),
        [("clock_warned", ClockKind::Resolve, t("2026-12-14 09:30"))]
    );
}

#[test]
fn a_reply_counts_as_on_time_only_before_the_due_instant() {
    // At the due instant the clock is red (a tick then marks it overdue), so a reply
    // then is late: one rule for both.
    let table = [
        ("2026-12-07 09:29:59", true),
        ("2026-12-07 09:30:00", false),
        ("2026-12-07 09:30:01", false),
        ("2026-12-21 09:00:00", false),
    ];
    for (at, on_time) in table {
        let case = contacted().then(HandlerA, cmd::reply("已清理"), at);
        assert_eq!(case.state.reply.as_ref().map(|r| r.on_time), Some(on_time), "{at}");
    }
}

#[test]
fn a_reply_withdraws_a_pending_extension_request() {
    let mut case = contacted().then(HandlerA, cmd::request_extension(5), "2026-11-17 09:00").then(
        HandlerA,
        cmd::reply("已清理"),
        "2026-11-17 10:00",
    );
    assert_eq!(case.state.extension, None);
    // Nothing is left to decide once the unit has answered.
    assert_eq!(case.try_(Supervisor, &cmd::decide_extension(true), case.soon()), Err("transition_not_allowed"));
    // Reopened, the case starts without the old request: the unit may ask afresh,
    // and nobody can approve the old one onto the new clock.
    case.act(Operator, &cmd::callback(false, yiwang_core::appeal::Satisfaction::Unsatisfied), t("2026-11-18 10:00"));
    case.act(Supervisor, &cmd::reopen("摊点仍在"), t("2026-11-18 11:00"));
    assert_eq!(case.state.extension, None);
    assert_eq!(case.try_(Supervisor, &cmd::decide_extension(true), case.soon()), Err("no_extension_pending"));
    assert_eq!(case.try_(HandlerA, &cmd::request_extension(3), case.soon()), Ok(vec!["extension_requested"]));
}
