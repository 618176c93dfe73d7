//! Who may do what: every action tried by every actor in a state where the action is
//! allowed, so the only thing that can refuse it is the actor.

use crate::fixture::*;
use yiwang_core::appeal::{Action, Channel, Refusal, Satisfaction};
use yiwang_core::org::Actor;

fn extension_pending() -> Case {
    handling().then(HandlerA, cmd::request_extension(5), "2026-11-17 09:00")
}

fn suspended() -> Case {
    handling().then(HandlerA, cmd::suspend("等待诉求人提供照片"), "2026-11-17 09:00")
}

fn consultation_accepted() -> Case {
    accepted_with(consultation())
}

#[test]
fn every_action_is_allowed_only_to_its_roles() {
    use cmd::*;
    let table: Vec<(Setup, Action, &[Who], &[&str])> = vec![
        (accepted, dispatch("csgl"), &[Dispatcher], &["dispatched"]),
        (dispatched, sign_for(), &[HandlerA, LeaderA], &["signed_for"]),
        (dispatched, send_back("不属于本单位职责"), &[HandlerA, LeaderA], &["returned"]),
        (handling, send_back("不属于本单位职责"), &[HandlerA, LeaderA], &["returned"]),
        (dispatched, reassign("scj", "属于食品安全"), &[Dispatcher], &["reassigned"]),
        (handling, reassign("scj", "属于食品安全"), &[Dispatcher], &["reassigned"]),
        (handling, summon(&["sw"]), &[HandlerA, LeaderA], &["summoned"]),
        (summoned, report_in(), &[HandlerB], &["reported_in"]),
        (reported_in, answer_part("供水管线无渗漏"), &[HandlerB], &["part_answered"]),
        (handling, contact("已联系诉求人"), &[HandlerA, LeaderA], &["contacted"]),
        (handling, request_extension(5), &[HandlerA, LeaderA], &["extension_requested"]),
        (extension_pending, decide_extension(true), &[Supervisor, Dispatcher], &["extension_decided"]),
        (extension_pending, decide_extension(false), &[Supervisor, Dispatcher], &["extension_decided"]),
        (handling, remind("请尽快办理"), &[Supervisor, Dispatcher], &["reminded"]),
        (handling, supervise("列入督办"), &[Supervisor, Dispatcher], &["supervised"]),
        (handling, suspend("等待诉求人提供照片"), &[HandlerA, LeaderA], &["suspended"]),
        (suspended, resume(), &[HandlerA, LeaderA], &["resumed"]),
        (handling, reply("已清理占道摊点"), &[HandlerA, LeaderA], &["replied"]),
        (
            replied,
            callback(true, Satisfaction::Satisfied),
            &[Citizen, Operator, Dispatcher, Supervisor],
            &["called_back"],
        ),
        (called_back, reopen("诉求人反映仍有摊点"), &[Supervisor, Dispatcher], &["reopened"]),
        (closed, reopen("诉求人反映仍有摊点"), &[Supervisor, Dispatcher], &["reopened"]),
        (replied, close(), &[Supervisor, Dispatcher], &["closed"]),
        (called_back, close(), &[Supervisor, Dispatcher], &["closed"]),
        (accepted, merge(OTHER_CASE), &[Dispatcher], &["joined"]),
        (handling, merge(OTHER_CASE), &[Dispatcher], &["joined"]),
        (consultation_accepted, answer_directly("由区城管委负责"), &[Operator, Dispatcher], &["answered_directly"]),
        (handling, tick(), &[System], &[]),
    ];
    for (setup, action, allowed, events) in table {
        let case = setup();
        for who in Who::ALL {
            let expected = if allowed.contains(&who) { Ok(events.to_vec()) } else { Err("forbidden") };
            assert_eq!(
                case.try_(who, &action, case.soon()),
                expected,
                "{} by {who:?} in {:?}",
                action.name(),
                case.state.status
            );
        }
    }
}

#[test]
fn another_units_handler_is_refused() {
    use cmd::*;
    let case = handling();
    let holder_actions = [
        send_back("不属于本单位职责"),
        summon(&["scj"]),
        contact("已联系诉求人"),
        request_extension(5),
        suspend("等待诉求人"),
        reply("已办结"),
    ];
    for action in &holder_actions {
        for who in [HandlerB, HandlerC, StreetHandler] {
            assert_eq!(
                case.decide(who, action, case.soon()),
                Err(Refusal::Forbidden { action: action.name(), why: "工单不在本单位" }),
                "{} by {who:?}",
                action.name()
            );
        }
    }
    // Signing for belongs to the unit it was dispatched to, and no other.
    let case = dispatched();
    assert_eq!(
        case.decide(HandlerB, &sign_for(), case.soon()),
        Err(Refusal::Forbidden { action: "sign_for", why: "工单不在本单位" })
    );
}

#[test]
fn an_operator_cannot_reply_on_a_departments_behalf() {
    let case = handling();
    for who in [Operator, Dispatcher, Supervisor] {
        assert_eq!(
            case.decide(who, &cmd::reply("已办结"), case.soon()),
            Err(Refusal::Forbidden { action: "reply", why: "工单不在本单位" }),
            "{who:?}"
        );
    }
    assert_eq!(
        case.decide(Citizen, &cmd::reply("已办结"), case.soon()),
        Err(Refusal::Forbidden { action: "reply", why: "只有承办单位可以执行" })
    );
}

#[test]
fn staff_of_the_holding_unit_without_a_handling_role_are_refused() {
    // The street holds the case; a staff member of the street without the handler
    // role may not act for it.
    let case = accepted().then(Dispatcher, cmd::dispatch("xxhj"), "2026-11-16 09:30");
    assert_eq!(case.state.unit, Some(code_of("jd")));
    let street_grid_worker = Actor::Staff {
        username: yiwang_core::id::Username::parse("jd-worker").unwrap(),
        unit: code_of("jd"),
        unit_kind: yiwang_core::org::UnitKind::Street,
        roles: vec![yiwang_core::org::Role::GridWorker],
    };
    let d = yiwang_core::appeal::decide(&case.state, &cmd::sign_for(), &context(&street_grid_worker, case.soon()));
    assert_eq!(d, Err(Refusal::Forbidden { action: "sign_for", why: "您的角色不能执行此操作" }));
    assert_eq!(case.try_(StreetHandler, &cmd::sign_for(), case.soon()), Ok(vec!["signed_for"]));
}

#[test]
fn co_unit_actions_are_only_for_summoned_units() {
    let not_summoned = Refusal::Forbidden { action: "report_in", why: "本单位未被吹哨召集" };
    let table = [
        // (state, who, expected)
        (summoned(), HandlerB, Ok(vec!["reported_in"])),
        (summoned(), HandlerC, Err(not_summoned.clone())),
        // The lead unit is not its own co-unit.
        (summoned(), HandlerA, Err(not_summoned.clone())),
        (summoned(), StreetHandler, Err(not_summoned.clone())),
        (summoned(), Operator, Err(not_summoned.clone())),
        (summoned(), Citizen, Err(Refusal::Forbidden { action: "report_in", why: "只有协办单位可以执行" })),
        // Before any summons nobody is a co-unit.
        (handling(), HandlerB, Err(not_summoned)),
    ];
    for (case, who, expected) in table {
        let got = case.decide(who, &cmd::report_in(), case.soon()).map(|es| es.iter().map(|e| e.name()).collect());
        assert_eq!(got, expected, "{who:?}");
    }
    let case = reported_in();
    assert_eq!(case.try_(HandlerB, &cmd::answer_part("已复核"), case.soon()), Ok(vec!["part_answered"]));
    assert_eq!(case.try_(HandlerC, &cmd::answer_part("已复核"), case.soon()), Err("forbidden"));
    assert_eq!(case.try_(HandlerA, &cmd::answer_part("已复核"), case.soon()), Err("forbidden"));
}

#[test]
fn only_the_system_ticks() {
    let case = dispatched();
    // At the warning point of the sign-for clock, so a tick has something to say.
    let now = t("2026-11-16 11:06");
    for who in Who::ALL {
        let got = case.decide(who, &cmd::tick(), now);
        if who == System {
            assert_eq!(outcome(got), Ok(vec!["clock_warned"]));
        } else {
            assert_eq!(got, Err(Refusal::Forbidden { action: "tick", why: "只有系统调度可以执行" }), "{who:?}");
        }
    }
}

#[test]
fn only_the_citizen_or_centre_staff_call_back() {
    let case = replied();
    let table = [
        (Citizen, Ok(vec!["called_back"])),
        (Operator, Ok(vec!["called_back"])),
        (Dispatcher, Ok(vec!["called_back"])),
        (Supervisor, Ok(vec!["called_back"])),
        // The unit that answered does not rate itself.
        (HandlerA, Err("forbidden")),
        (LeaderA, Err("forbidden")),
        (HandlerB, Err("forbidden")),
        (Leader, Err("forbidden")),
        (Admin, Err("forbidden")),
        (GridWorker, Err("forbidden")),
        (Client, Err("forbidden")),
        (System, Err("forbidden")),
    ];
    for (who, expected) in table {
        let action = cmd::callback(true, Satisfaction::Satisfied);
        assert_eq!(case.try_(who, &action, case.soon()), expected, "{who:?}");
    }
}

#[test]
fn each_channel_accepts_only_its_own_actors() {
    use Channel::*;
    let table: [(Channel, &[Who]); 6] = [
        (Hotline, &[Operator, Dispatcher]),
        (GridPatrol, &[GridWorker]),
        // The citizen files online, and centre staff may file for them.
        (Web, &[Citizen, Operator, Dispatcher, Supervisor]),
        (App, &[Citizen, Operator, Dispatcher, Supervisor]),
        // Open311 GeoReport v2, POST Service Request: a registered client app.
        (Open311, &[Client]),
        (Import, &[Admin, System]),
    ];
    for (channel, allowed) in table {
        let intake = yiwang_core::appeal::Intake { channel, ..complaint() };
        for who in Who::ALL {
            let expected = if allowed.contains(&who) { Ok(vec!["accepted"]) } else { Err("forbidden") };
            assert_eq!(outcome(try_intake(who, &intake, t("2026-11-16 09:00"))), expected, "{channel:?} by {who:?}");
        }
    }
}
