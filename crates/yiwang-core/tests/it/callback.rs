//! The callback clock (回访时限): the reply starts it (a merged caller's too, when
//! the master's reply reaches them), and the callback, a close or a reopen stops it;
//! it turns yellow and red like every other clock; a reply recorded before the clock
//! existed runs none.

use crate::fixture::*;
use yiwang_core::Instant;
use yiwang_core::appeal::{Action, AppealEvent, ClockKind, ReplyOutcome, ReplyRecord, Satisfaction, Status};
use yiwang_core::deadline::{Budget, Stage};

/// The running clocks as a table reads them: name and due.
fn clocks(case: &Case) -> Vec<(ClockKind, Instant)> {
    case.state.clocks.iter().map(|c| (c.kind, c.due)).collect()
}

fn merged() -> Case {
    accepted().then(Dispatcher, cmd::merge(OTHER_CASE), "2026-11-16 09:10")
}

fn share_reply() -> Action {
    Action::ShareReply {
        master: case_id(OTHER_CASE),
        reply: ReplyRecord {
            unit: code_of("cgw"),
            outcome: ReplyOutcome::Resolved,
            text: "已清理".into(),
            at: t("2026-11-17 10:00"),
            on_time: true,
            photos: vec![],
        },
    }
}

#[test]
fn the_reply_starts_the_callback_clock_in_working_days() {
    use ClockKind::Callback;
    #[rustfmt::skip]
    let table: [(&str, Case, &str, &str, &str); 4] = [
        // what, case, started at; warn at (80 %), due (3 working days)
        ("replied on a Tuesday", replied(), "2026-11-17 10:00", "2026-11-19 19:36", "2026-11-20 10:00"),
        // The weekend does not count.
        ("replied on a Friday afternoon", handling().then(HandlerA, cmd::reply("已清理"), "2026-11-20 16:00"),
            "2026-11-20 16:00", "2026-11-25 01:36", "2026-11-25 16:00"),
        // Nor does National Day (1–7 October 2026).
        ("replied before National Day", handling().then(HandlerA, cmd::reply("已清理"), "2026-09-30 10:00"),
            "2026-09-30 10:00", "2026-10-09 19:36", "2026-10-10 10:00"),
        // A merged caller's clock starts when the master's reply reaches them.
        ("a merged caller", merged().then(System, share_reply(), "2026-11-17 10:05"),
            "2026-11-17 10:05", "2026-11-19 19:41", "2026-11-20 10:05"),
    ];
    for (what, case, started, warn, due) in table {
        assert_eq!(case.state.status, Status::Replied, "{what}");
        // The only clock left running: the unit's are stopped by its answer.
        assert_eq!(clocks(&case), [(Callback, t(due))], "{what}");
        let c = case.state.clock(Callback).expect("callback clock");
        assert_eq!(
            (c.budget, c.started_at, c.warn_at, c.stage),
            (Budget::WorkingDays(3), t(started), t(warn), Stage::Green),
            "{what}"
        );
        // The queue shows the time left in working time.
        assert_eq!(
            (case.state.next_due(), yiwang_core::deadline::Clocks::next_due_working(&case.state.clocks)),
            (Some(t(due)), true),
            "{what}"
        );
    }
}

#[test]
fn the_callback_a_close_or_a_reopen_stops_the_callback_clock() {
    use cmd::*;
    #[rustfmt::skip]
    let table: Vec<(&str, Who, Action, Status, Vec<ClockKind>)> = vec![
        // what the centre or the citizen does, by whom; the status after, the clocks after
        ("called back, solved", Operator, callback(true, Satisfaction::Satisfied), Status::Closed, vec![]),
        ("called back, not solved", Operator, callback(false, Satisfaction::Unsatisfied), Status::CalledBack, vec![]),
        ("the citizen answers online", Citizen, callback(false, Satisfaction::Unsatisfied), Status::CalledBack, vec![]),
        ("closed without a callback", Supervisor, close(), Status::Closed, vec![]),
        ("reopened", Supervisor, reopen("摊点仍在"), Status::Handling, vec![ClockKind::Resolve]),
        // Pressing the centre changes no clock.
        ("reminded", Supervisor, remind("请尽快回访"), Status::Replied, vec![ClockKind::Callback]),
    ];
    for (what, who, action, status, after) in table {
        let mut case = replied();
        case.act(who, &action, t("2026-11-18 10:00"));
        let kinds: Vec<ClockKind> = case.state.clocks.iter().map(|c| c.kind).collect();
        assert_eq!((case.state.status, kinds), (status, after), "{what}");
    }
    // A merged caller's callback stops theirs.
    let mut dup = merged().then(System, share_reply(), "2026-11-17 10:05");
    dup.act(Operator, &callback(true, Satisfaction::Satisfied), t("2026-11-17 15:00"));
    assert_eq!((dup.state.status, clocks(&dup)), (Status::Closed, vec![]));
}

#[test]
fn a_late_callback_turns_yellow_then_red() {
    let mut case = replied();
    let due = t("2026-11-20 10:00");
    assert_eq!(case.state.next_alarm(), Some(t("2026-11-19 19:36")));
    #[rustfmt::skip]
    let steps = [
        // tick at; what it records
        ("2026-11-19 19:35", vec![]),
        ("2026-11-19 19:36", vec![("clock_warned", due)]),
        ("2026-11-20 09:59", vec![]),
        ("2026-11-20 10:00", vec![("clock_overdue", due)]),
        ("2026-11-23 10:00", vec![]),
    ];
    for (at, expected) in steps {
        let events = case.act(System, &cmd::tick(), t(at));
        let got: Vec<_> = events
            .iter()
            .map(|e| match e {
                AppealEvent::ClockWarned { clock: ClockKind::Callback, due }
                | AppealEvent::ClockOverdue { clock: ClockKind::Callback, due } => (e.name(), *due),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got, expected, "tick at {at}");
    }
    assert_eq!((case.state.stage(), case.state.next_alarm()), (Stage::Red, None));
    // Called back late, the case runs no clock and says nothing more.
    case.act(Operator, &cmd::callback(false, Satisfaction::Unsatisfied), t("2026-11-23 11:00"));
    assert_eq!((case.state.stage(), case.state.next_alarm()), (Stage::Green, None));
}

/// Histories recorded before the callback clock existed still read: their reply and
/// their master's reply simply run no clock.
#[test]
fn a_reply_recorded_before_the_callback_clock_runs_none() {
    let old_reply: AppealEvent =
        serde_json::from_str(r#"{"type":"replied","outcome":"resolved","text":"已清理"}"#).expect("an old reply reads");
    assert_eq!(
        old_reply,
        AppealEvent::Replied {
            outcome: ReplyOutcome::Resolved,
            text: "已清理".into(),
            photos: vec![],
            callback_clock: None
        }
    );
    let mut case = handling();
    case.record(HandlerA, t("2026-11-17 10:00"), vec![old_reply]);
    assert_eq!((case.state.status, clocks(&case)), (Status::Replied, vec![]));
    assert_eq!(case.state.next_alarm(), None);

    let old_share: AppealEvent = serde_json::from_str(&format!(
        r#"{{"type":"master_replied","master":"{OTHER_CASE}","unit":"cgw","outcome":"resolved","text":"已清理","on_time":true}}"#
    ))
    .expect("an old master's reply reads");
    let mut dup = merged();
    dup.record(System, t("2026-11-17 10:05"), vec![old_share]);
    assert_eq!((dup.state.status, clocks(&dup)), (Status::Replied, vec![]));

    // New events carry the clock, and a reply without photos stores no `photos` key.
    let new = handling().decide(HandlerA, &cmd::reply("已清理"), t("2026-11-17 10:00")).unwrap();
    let json = serde_json::to_value(&new[0]).unwrap();
    assert_eq!(json["callback_clock"]["kind"], "callback", "{json}");
    assert!(json.get("photos").is_none(), "{json}");
}
