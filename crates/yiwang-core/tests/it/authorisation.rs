//! 企业授权: only a window clerk binds a phone to an enterprise, within five years;
//! a clerk or the agent revokes it; it ends by itself after its last day (China time),
//! and what has ended cannot be revoked.

use crate::fixture::{code_of, context, t};
use chrono::NaiveDate;
use yiwang_core::Instant;
use yiwang_core::authorisation::{
    self, Authorisation, AuthorisationEvent, AuthorisationKind, AuthorisationStatus, Command, NewAuthorisation,
};
use yiwang_core::case::{Envelope, Kind, Refusal};
use yiwang_core::id::{CaseId, CreditCode, Username};
use yiwang_core::org::{Actor, Role, UnitKind};

fn staff(name: &str, unit: &str, role: Role) -> Actor {
    Actor::Staff {
        username: Username::parse(name).unwrap(),
        unit: code_of(unit),
        unit_kind: UnitKind::Department,
        roles: vec![role],
    }
}
fn clerk() -> Actor {
    staff("cgw-clerk", "cgw", Role::Clerk)
}

fn new(until: &str) -> NewAuthorisation {
    NewAuthorisation {
        enterprise: CreditCode::parse("91350100M000100Y43").unwrap(),
        enterprise_name: "云溪区好味小厨餐饮店".into(),
        document: "授权委托书，营业执照副本".into(),
        valid_until: NaiveDate::parse_from_str(until, "%Y-%m-%d").unwrap(),
    }
}

fn fold(
    state: Option<Authorisation>,
    first: u32,
    at: Instant,
    who: &Actor,
    events: &[AuthorisationEvent],
) -> Authorisation {
    let mut s = state;
    for (i, e) in events.iter().enumerate() {
        let env = Envelope {
            case: CaseId::parse("SQ20261116000001").unwrap(),
            seq: first + i as u32,
            at,
            actor: who.clone(),
            event: e.clone(),
        };
        s = authorisation::evolve(s, &env);
    }
    s.expect("an authorisation")
}

fn granted(until: &str) -> Authorisation {
    let at = t("2026-11-16 09:00");
    fold(None, 1, at, &clerk(), &authorisation::open(&new(until), &context(&clerk(), at)).unwrap())
}

#[test]
fn only_a_window_clerk_grants_for_at_most_five_years_from_today() {
    let at = t("2026-11-16 09:00");
    let rows: &[(Actor, &str, Result<(), &str>)] = &[
        (clerk(), "2027-11-15", Ok(())),
        (clerk(), "2026-11-16", Ok(())),
        (clerk(), "2026-11-15", Err("valid_until_past")),
        (clerk(), "2031-11-16", Ok(())),
        (clerk(), "2031-11-30", Err("valid_until_too_far")),
        (staff("cgw-handler", "cgw", Role::Handler), "2027-11-15", Err("forbidden")),
        (staff("cgw-reviewer", "cgw", Role::Reviewer), "2027-11-15", Err("forbidden")),
        (Actor::Citizen, "2027-11-15", Err("forbidden")),
    ];
    for (who, until, want) in rows {
        let got = authorisation::open(&new(until), &context(who, at)).map(|_| ()).map_err(|r| r.code());
        assert_eq!(got, want.map_err(|c| c), "{who:?} until {until}");
    }
    let mut blank = new("2027-11-15");
    blank.document = "  ".into();
    assert!(matches!(authorisation::open(&blank, &context(&clerk(), at)), Err(Refusal::Invalid(_))));
    let a = granted("2027-11-15");
    assert_eq!((a.status, a.unit.as_str()), (AuthorisationStatus::Active, "cgw"), "the window that checked it");
}

#[test]
fn a_clerk_or_the_agent_revokes_and_nobody_else() {
    let a = granted("2027-11-15");
    let at = t("2026-12-01 10:00");
    let revoke = Command::Revoke { reason: "企业申请解除".into() };
    for (who, ok) in [
        (clerk(), true),
        (staff("scjgj-clerk", "scjgj", Role::Clerk), true),
        (Actor::Citizen, true),
        (staff("cgw-handler", "cgw", Role::Handler), false),
        (Actor::System, false),
    ] {
        let got = authorisation::decide(&a, &revoke, &context(&who, at));
        assert_eq!(got.is_ok(), ok, "{who:?}: {got:?}");
    }
    let events = authorisation::decide(&a, &revoke, &context(&clerk(), at)).unwrap();
    let gone = fold(Some(a.clone()), 2, at, &clerk(), &events);
    assert_eq!(gone.status, AuthorisationStatus::Revoked);
    assert!(!gone.in_force(at));
    let again = authorisation::decide(&gone, &revoke, &context(&clerk(), at));
    assert_eq!(again.map_err(|r| r.code()), Err("case_closed"));
    let blank = authorisation::decide(&a, &Command::Revoke { reason: "".into() }, &context(&clerk(), at));
    assert!(matches!(blank, Err(Refusal::Invalid(_))), "{blank:?}");
}

#[test]
fn it_ends_by_itself_after_its_last_day_china_time() {
    let a = granted("2026-11-20");
    // In force all through Friday 20 November, China time (16:00 UTC is midnight there).
    for (at, in_force) in [("2026-11-20 23:59", true), ("2026-11-21 00:00", false)] {
        let at = t(at);
        assert_eq!(a.in_force(at), in_force, "{at}");
        let alarms = authorisation::alarms(&a, &context(&Actor::System, at));
        assert_eq!(alarms.is_empty(), in_force, "{at}: {alarms:?}");
    }
    let p = AuthorisationKind::project(&a);
    assert_eq!(p.header.next_alarm, Some(t("2026-11-21 00:00")), "the scheduler looks again at the end");
    let at = t("2026-11-21 00:00");
    let ended = fold(
        Some(a),
        2,
        at,
        &Actor::System,
        &authorisation::alarms(&granted("2026-11-20"), &context(&Actor::System, at)),
    );
    assert_eq!(ended.status, AuthorisationStatus::Expired);
    assert_eq!(AuthorisationKind::project(&ended).header.next_alarm, None);
    assert!(authorisation::alarms(&ended, &context(&Actor::System, t("2026-12-01 00:00"))).is_empty(), "once");
}
