//! The patrol (网格巡查): who may patrol and record, what a route point must be, and
//! the system ending a patrol left running.

use crate::fixture::{code_of, context, t};
use yiwang_core::Instant;
use yiwang_core::appeal::Point;
use yiwang_core::case::{Envelope, Kind, Refusal};
use yiwang_core::id::{CaseId, Username};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_core::patrol::{self, Command, Patrol, PatrolEvent, PatrolKind, PatrolStatus, RoutePoint};

fn staff(name: &str, unit: &str, kind: UnitKind, role: Role) -> Actor {
    Actor::Staff { username: Username::parse(name).unwrap(), unit: code_of(unit), unit_kind: kind, roles: vec![role] }
}
fn worker() -> Actor {
    staff("wg-worker", "wg", UnitKind::Grid, Role::GridWorker)
}

fn fold(state: Option<Patrol>, first: u32, at: Instant, who: &Actor, events: &[PatrolEvent]) -> Patrol {
    let mut s = state;
    for (i, e) in events.iter().enumerate() {
        let env = Envelope {
            case: CaseId::parse("XC20261116000001").unwrap(),
            seq: first + i as u32,
            at,
            actor: who.clone(),
            event: e.clone(),
        };
        s = patrol::evolve(s, &env);
    }
    s.expect("a patrol")
}

fn started() -> Patrol {
    let at = t("2026-11-16 09:00");
    fold(None, 1, at, &worker(), &patrol::open(&context(&worker(), at)).unwrap())
}

fn act(p: &Patrol, who: &Actor, cmd: &Command, at: &str) -> Result<Patrol, Refusal> {
    let at = t(at);
    let events = patrol::decide(p, cmd, &context(who, at))?;
    Ok(fold(Some(p.clone()), p.version + 1, at, who, &events))
}

fn point(lon: f64, lat: f64, at: &str) -> RoutePoint {
    RoutePoint { lon, lat, at: t(at) }
}

#[test]
fn only_a_grids_worker_starts_a_patrol_of_that_grid() {
    let p = started();
    assert_eq!((p.grid.as_str(), p.status), ("wg", PatrolStatus::Active));
    let areas: Vec<&str> = p.areas.iter().map(|u| u.as_str()).collect();
    assert_eq!(areas, ["wg", "sq", "jd"], "the grid, its community and its street see it");
    let at = t("2026-11-16 09:00");
    for who in [
        staff("handler-a", "cgw", UnitKind::Department, Role::Handler),
        staff("jd-handler", "jd", UnitKind::Street, Role::GridWorker),
        staff("wg-handler", "wg", UnitKind::Grid, Role::Handler),
        Actor::Citizen,
    ] {
        assert_eq!(patrol::open(&context(&who, at)).unwrap_err().code(), "forbidden", "{who:?}");
    }
    // The street and the centre see it; another department does not.
    let proj = PatrolKind::project(&p);
    assert!(proj.access.contains(&code_of("jd")));
    assert!(yiwang_core::case::can_view(false, &proj.access, &staff("s", "jd", UnitKind::Street, Role::Handler)));
    assert!(!yiwang_core::case::can_view(false, &proj.access, &staff("h", "cgw", UnitKind::Department, Role::Handler)));
    assert!(PatrolKind::sees_all(&staff("d", "zx", UnitKind::Centre, Role::Dispatcher)));
}

#[test]
fn the_route_is_recorded_in_order_and_its_length_kept() {
    let p = started();
    let track = |points: Vec<RoutePoint>| Command::Track { points };
    // About 111 m per thousandth of a degree of latitude.
    let p = act(
        &p,
        &worker(),
        &track(vec![point(116.2, 39.870, "2026-11-16 09:01"), point(116.2, 39.871, "2026-11-16 09:02")]),
        "2026-11-16 09:02",
    )
    .unwrap();
    let p = act(&p, &worker(), &track(vec![point(116.2, 39.872, "2026-11-16 09:03")]), "2026-11-16 09:03").unwrap();
    assert_eq!(p.route.len(), 3);
    assert!((p.metres - 222.4).abs() < 1.0, "{}", p.metres);
    let refused = |cmd: &Command, who: &Actor| act(&p, who, cmd, "2026-11-16 09:05").unwrap_err().code();
    let other = staff("sq-worker", "wg", UnitKind::Grid, Role::GridWorker);
    for (what, cmd, who, code) in [
        ("out of order", track(vec![point(116.2, 39.87, "2026-11-16 09:02")]), worker(), "invalid_field"),
        ("in the future", track(vec![point(116.2, 39.87, "2026-11-16 10:00")]), worker(), "invalid_field"),
        ("off the globe", track(vec![point(200.0, 39.87, "2026-11-16 09:04")]), worker(), "invalid_field"),
        ("too many", track(vec![point(116.2, 39.87, "2026-11-16 09:04"); 501]), worker(), "invalid_field"),
        ("another worker", track(vec![point(116.2, 39.87, "2026-11-16 09:04")]), other.clone(), "forbidden"),
    ] {
        assert_eq!(refused(&cmd, &who), code, "{what}");
    }
    assert!(patrol::decide(&p, &track(vec![]), &context(&worker(), t("2026-11-16 09:05"))).unwrap().is_empty());
}

#[test]
fn problems_are_fixed_on_the_spot_or_reported_and_the_patrol_ends() {
    let p = started();
    let here = Some(Point { lon: 116.2, lat: 39.87 });
    let fixed = Command::Fixed {
        text: "人行道上有碎玻璃，已清扫".into(), point: here, photos: vec!["a.jpg".into()]
    };
    let p = act(&p, &worker(), &fixed, "2026-11-16 09:10").unwrap();
    let case = CaseId::parse("YW20261116000007").unwrap();
    let reported = Command::Reported { case: case.clone(), text: "井盖破损".into(), point: here, photos: vec![] };
    let p = act(&p, &worker(), &reported, "2026-11-16 09:20").unwrap();
    assert_eq!((p.fixed(), p.reported()), (1, 1));
    assert_eq!(p.problems[1].case.as_ref(), Some(&case));
    for (cmd, code) in [
        (Command::Fixed { text: " ".into(), point: None, photos: vec![] }, "invalid_field"),
        (Command::Fixed { text: "x".into(), point: None, photos: vec!["p".into(); 4] }, "invalid_field"),
        (
            Command::Fixed { text: "x".into(), point: Some(Point { lon: 0.0, lat: 91.0 }), photos: vec![] },
            "invalid_field",
        ),
    ] {
        assert_eq!(act(&p, &worker(), &cmd, "2026-11-16 09:25").unwrap_err().code(), code, "{cmd:?}");
    }
    let p = act(&p, &worker(), &Command::End, "2026-11-16 10:00").unwrap();
    assert_eq!((p.status, p.minutes()), (PatrolStatus::Ended, 60));
    assert_eq!(act(&p, &worker(), &Command::End, "2026-11-16 10:01").unwrap_err().code(), "case_closed");
    let detail = PatrolKind::project(&p).detail;
    assert!(detail.contains("\"fixed\":1") && detail.contains("\"reported\":1"), "{detail}");
}

#[test]
fn a_patrol_left_running_is_ended_by_the_system_after_twelve_hours() {
    let p = started();
    assert_eq!(PatrolKind::project(&p).header.next_alarm, Some(t("2026-11-16 21:00")));
    let sys = Actor::System;
    assert!(PatrolKind::alarms(&p, &context(&sys, t("2026-11-16 20:59"))).is_empty());
    let events = PatrolKind::alarms(&p, &context(&sys, t("2026-11-16 21:00")));
    assert_eq!(events, [PatrolEvent::Ended { by_system: true }]);
    let p = fold(Some(p.clone()), p.version + 1, t("2026-11-16 21:00"), &sys, &events);
    assert!(p.auto_ended && !p.is_open());
    assert_eq!(PatrolKind::project(&p).header.next_alarm, None);
}
