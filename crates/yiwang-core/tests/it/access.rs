//! 共享申请 (政务信息资源共享管理暂行办法): an unconditional resource is granted at
//! once, a conditional one waits for its owner (approve, narrow, refuse) on a clock
//! of `[sharing] answer_days` working days, a 不予共享 one is refused at once; a grant
//! ends after its period or when revoked; the read log records reads of the day.

use crate::fixture::{code_of, context, t};
use chrono::NaiveDate;
use yiwang_core::Instant;
use yiwang_core::access::{
    self, Access, AccessEvent, AccessKind, AccessStatus, Command, NewAccess, OfferedField, SharingLimits,
};
use yiwang_core::case::{Envelope, Kind};
use yiwang_core::deadline::{Stage, TimeLimits};
use yiwang_core::id::{CaseId, Username};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_core::read_log::{self, NewReadLog, ReadEntry, ReadLogKind};
use yiwang_core::share::ShareClass;

fn staff(name: &str, unit: &str, role: Role) -> Actor {
    Actor::Staff {
        username: Username::parse(name).unwrap(),
        unit: code_of(unit),
        unit_kind: UnitKind::Department,
        roles: vec![role],
    }
}
/// The consumer: 人社局's 数据专员; the owner: 市场监管局's.
fn consumer() -> Actor {
    staff("rsj-data", "rsj", Role::DataOfficer)
}
fn owner() -> Actor {
    staff("scjgj-data", "scjgj", Role::DataOfficer)
}
fn bureau() -> Actor {
    staff("sjj-data", "yx", Role::DataOfficer)
}
fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn new(share: ShareClass) -> NewAccess {
    NewAccess {
        system: "就业补贴审核系统".into(),
        consumer: code_of("rsj"),
        resource: "YXQ-SJ-0002".into(),
        resource_name: "企业登记信息".into(),
        owner: code_of("scjgj"),
        share,
        conditions: "仅用于法定职责".into(),
        offered: vec![
            OfferedField { name: "code".into(), personal: false },
            OfferedField { name: "name".into(), personal: false },
            OfferedField { name: "legal_person".into(), personal: true },
            OfferedField { name: "phone".into(), personal: true },
        ],
        fields: vec!["code".into(), "name".into(), "legal_person".into()],
        unmasked: vec![],
        purpose: "核验申请补贴的企业".into(),
        legal_basis: "《就业促进法》".into(),
        from: day("2026-11-16"),
        to: day("2027-11-15"),
        bureau: Some(code_of("yx")),
        credential: "c0ffee".into(),
    }
}

fn fold(state: Option<Access>, first: u32, at: Instant, who: &Actor, events: &[AccessEvent]) -> Access {
    let mut s = state;
    for (i, e) in events.iter().enumerate() {
        let env = Envelope {
            case: CaseId::parse("GX20261116000001").unwrap(),
            seq: first + i as u32,
            at,
            actor: who.clone(),
            event: e.clone(),
        };
        s = access::evolve(s, &env);
    }
    s.expect("a request")
}

fn requested(share: ShareClass) -> Access {
    let at = t("2026-11-16 09:00");
    fold(None, 1, at, &consumer(), &access::open(&new(share), &context(&consumer(), at)).unwrap())
}

fn act(s: &Access, who: &Actor, c: &Command, at: Instant) -> Result<Access, &'static str> {
    let events = access::decide(s, c, &context(who, at)).map_err(|r| r.code())?;
    Ok(fold(Some(s.clone()), s.version + 1, at, who, &events))
}

fn approve(fields: Option<&[&str]>, unmasked: Option<&[&str]>) -> Command {
    Command::Approve {
        opinion: "同意".into(),
        fields: fields.map(|f| f.iter().map(|x| x.to_string()).collect()),
        unmasked: unmasked.map(|f| f.iter().map(|x| x.to_string()).collect()),
    }
}

#[test]
fn the_share_class_decides_what_opening_a_request_does() {
    let at = t("2026-11-16 09:00");
    let rows: &[(ShareClass, &[&str], AccessStatus)] = &[
        (ShareClass::Unconditional, &["requested", "granted"], AccessStatus::Granted),
        (ShareClass::Conditional, &["requested"], AccessStatus::Pending),
        (ShareClass::None, &["requested", "refused"], AccessStatus::Refused),
    ];
    for (share, names, status) in rows {
        let events = access::open(&new(*share), &context(&consumer(), at)).unwrap();
        let got: Vec<&str> = events.iter().map(AccessEvent::name).collect();
        assert_eq!(&got, names, "{share:?}");
        let s = fold(None, 1, at, &consumer(), &events);
        assert_eq!(s.status, *status, "{share:?}");
        let detail: serde_json::Value = serde_json::from_str(&AccessKind::project(&s).detail).unwrap();
        let granted = *status == AccessStatus::Granted;
        assert_eq!(
            detail["credential"].as_str() == Some("c0ffee"),
            granted,
            "{share:?}: only a grant has a credential"
        );
    }
    let refused = requested(ShareClass::None);
    assert!(refused.decision.unwrap().contains("不予共享类：仅用于法定职责"), "the reason is the catalogue's");
    let granted = requested(ShareClass::Unconditional);
    assert_eq!(granted.fields, ["code", "name", "legal_person"]);
    assert_eq!(granted.rate_per_minute, SharingLimits::default().rate_per_minute);
}

#[test]
fn only_the_consuming_units_data_officer_or_head_asks_for_valid_fields_and_period() {
    let at = t("2026-11-16 09:00");
    let with = |f: fn(&mut NewAccess)| {
        let mut n = new(ShareClass::Conditional);
        f(&mut n);
        n
    };
    let rows: Vec<(Actor, NewAccess, Result<(), &str>)> = vec![
        (consumer(), new(ShareClass::Conditional), Ok(())),
        (staff("rsj-head", "rsj", Role::UnitLeader), new(ShareClass::Conditional), Ok(())),
        (staff("rsj-handler", "rsj", Role::Handler), new(ShareClass::Conditional), Err("forbidden")),
        (staff("mzj-data", "mzj", Role::DataOfficer), new(ShareClass::Conditional), Err("forbidden")),
        (Actor::Citizen, new(ShareClass::Conditional), Err("forbidden")),
        (owner(), with(|n| n.consumer = code_of("scjgj")), Err("own_resource")),
        (consumer(), with(|n| n.fields = vec![]), Err("fields_required")),
        (consumer(), with(|n| n.fields = vec!["salary".into()]), Err("unknown_field")),
        (consumer(), with(|n| n.unmasked = vec!["phone".into()]), Err("unmasked_not_requested")),
        (consumer(), with(|n| n.unmasked = vec!["name".into()]), Err("unmasked_not_personal")),
        (consumer(), with(|n| n.unmasked = vec!["legal_person".into()]), Ok(())),
        (consumer(), with(|n| n.to = day("2026-11-01")), Err("period_invalid")),
        (consumer(), with(|n| n.from = day("2026-10-01")), Ok(())),
        (
            consumer(),
            with(|n| {
                n.from = day("2026-10-01");
                n.to = day("2026-11-15");
            }),
            Err("period_past"),
        ),
        (consumer(), with(|n| n.to = day("2030-01-01")), Err("period_too_long")),
        (consumer(), with(|n| n.purpose = " ".into()), Err("invalid_field")),
        (consumer(), with(|n| n.legal_basis = String::new()), Err("invalid_field")),
    ];
    for (who, n, want) in rows {
        let got = access::open(&n, &context(&who, at)).map(|_| ()).map_err(|r| r.code());
        assert_eq!(got, want, "{who:?} {n:?}");
    }
}

#[test]
fn the_owner_approves_narrows_or_refuses_a_conditional_request_once() {
    let at = t("2026-11-17 10:00");
    let s = requested(ShareClass::Conditional);
    type Row = (Actor, Command, Result<&'static [&'static str], &'static str>);
    let rows: Vec<Row> = vec![
        (owner(), approve(None, None), Ok(&["code", "name", "legal_person"])),
        (owner(), approve(Some(&["code", "name"]), None), Ok(&["code", "name"])),
        (owner(), approve(Some(&["code", "phone"]), None), Err("not_narrowing")),
        (owner(), approve(Some(&[]), None), Err("fields_required")),
        (owner(), approve(None, Some(&["legal_person"])), Err("not_narrowing")),
        (staff("scjgj-head", "scjgj", Role::UnitLeader), approve(None, None), Ok(&["code", "name", "legal_person"])),
        (staff("scjgj-reg", "scjgj", Role::Regulator), approve(None, None), Err("forbidden")),
        (consumer(), approve(None, None), Err("forbidden")),
        (bureau(), approve(None, None), Err("forbidden")),
        (owner(), Command::Refuse { reason: "用途与职责无关".into() }, Ok(&[])),
        (owner(), Command::Refuse { reason: " ".into() }, Err("invalid_field")),
        (consumer(), Command::Refuse { reason: "x".into() }, Err("forbidden")),
        (owner(), Command::Revoke { reason: "x".into() }, Err("case_closed")),
    ];
    for (who, c, want) in rows {
        let got = act(&s, &who, &c, at);
        match (got, want) {
            (Ok(a), Ok(fields)) => {
                let want_status = if fields.is_empty() { AccessStatus::Refused } else { AccessStatus::Granted };
                assert_eq!(a.status, want_status, "{who:?} {c:?}");
                assert_eq!(a.fields, fields, "{who:?} {c:?}");
                if a.status == AccessStatus::Granted {
                    assert_eq!(a.credential, None, "the consumer issues its own");
                }
            }
            (got, want) => assert_eq!(got.map(|_| ()), want.map(|_| ()), "{who:?} {c:?}"),
        }
    }
    let answered = act(&s, &owner(), &approve(None, None), at).unwrap();
    assert_eq!(act(&answered, &owner(), &approve(None, None), at).err(), Some("case_closed"));
    assert_eq!(act(&answered, &owner(), &Command::Refuse { reason: "x".into() }, at).err(), Some("case_closed"));
    // Asked unmasked, the owner may keep it masked by narrowing `unmasked`.
    let mut n = new(ShareClass::Conditional);
    n.unmasked = vec!["legal_person".into()];
    let at0 = t("2026-11-16 09:00");
    let s = fold(None, 1, at0, &consumer(), &access::open(&n, &context(&consumer(), at0)).unwrap());
    assert_eq!(act(&s, &owner(), &approve(None, None), at).unwrap().unmasked, ["legal_person"]);
    assert!(act(&s, &owner(), &approve(None, Some(&[])), at).unwrap().unmasked.is_empty());
    assert!(act(&s, &owner(), &approve(Some(&["code"]), None), at).unwrap().unmasked.is_empty());
}

#[test]
fn the_answer_clock_turns_yellow_then_red_after_ten_working_days() {
    let s = requested(ShareClass::Conditional);
    let clock = s.answer.expect("a conditional request runs the answer clock");
    assert_eq!(clock.budget, yiwang_core::deadline::Budget::WorkingDays(10));
    let alarms = |s: &Access, at: Instant| -> Vec<&'static str> {
        access::alarms(s, &context(&Actor::System, at)).iter().map(AccessEvent::name).collect()
    };
    assert!(alarms(&s, t("2026-11-17 09:00")).is_empty());
    assert_eq!(alarms(&s, clock.warn_at), ["answer_warned"]);
    let yellow =
        fold(Some(s.clone()), 2, clock.warn_at, &Actor::System, &[AccessEvent::AnswerWarned { due: clock.due }]);
    assert_eq!(AccessKind::project(&yellow).header.stage, Stage::Yellow);
    assert!(alarms(&yellow, clock.warn_at).is_empty());
    assert_eq!(alarms(&yellow, clock.due), ["answer_overdue"]);
    // An unconditional grant has no answer to wait for.
    assert!(requested(ShareClass::Unconditional).answer.is_none());
    // A province's shorter period is data.
    let mut limits = TimeLimits::parse_toml("[sharing]\nanswer_days = 5\nunsigned_reads_max_minutes = 3\n").unwrap();
    assert_eq!(limits.sharing.answer_days, 5);
    assert_eq!(limits.sharing.unsigned_reads_max_minutes, 3);
    limits.sharing.answer_days = 0;
    assert!(limits.sharing.check().is_err());
    assert!(TimeLimits::parse_toml("[sharing]\nanswer_days = 90\n").is_err());
}

#[test]
fn a_grant_expires_after_its_last_day_china_time_and_then_reads_no_more() {
    let s = requested(ShareClass::Unconditional);
    let alarms = |at: Instant| -> Vec<&'static str> {
        access::alarms(&s, &context(&Actor::System, at)).iter().map(AccessEvent::name).collect()
    };
    assert_eq!(AccessKind::project(&s).header.next_alarm, Some(t("2027-11-16 00:00")));
    assert!(alarms(t("2027-11-15 23:59")).is_empty());
    assert_eq!(alarms(t("2027-11-16 00:00")), ["expired"]);
    let ended = fold(Some(s.clone()), 3, t("2027-11-16 00:00"), &Actor::System, &[AccessEvent::Expired]);
    assert_eq!(ended.status, AccessStatus::Expired);
    assert!(AccessKind::project(&ended).header.closed_at.is_some());
    assert!(access::alarms(&ended, &context(&Actor::System, t("2027-12-01 00:00"))).is_empty());
    // The detail keeps the hash, so an ended credential is told from an unknown one.
    let detail: serde_json::Value = serde_json::from_str(&AccessKind::project(&ended).detail).unwrap();
    assert_eq!(detail["credential"], "c0ffee");
    // Approving after the period asked for has passed is refused.
    let pending = requested(ShareClass::Conditional);
    assert_eq!(act(&pending, &owner(), &approve(None, None), t("2027-11-16 08:00")).err(), Some("period_past"));
}

#[test]
fn the_owner_the_consumer_or_the_bureau_revoke_a_grant_once() {
    let s = requested(ShareClass::Unconditional);
    let at = t("2026-12-01 10:00");
    let revoke = Command::Revoke { reason: "项目结束".into() };
    let rows: Vec<(Actor, Result<(), &str>)> = vec![
        (owner(), Ok(())),
        (consumer(), Ok(())),
        (bureau(), Ok(())),
        (staff("yx-handler", "yx", Role::Handler), Err("forbidden")),
        (staff("mzj-data", "mzj", Role::DataOfficer), Err("forbidden")),
        (staff("rsj-handler", "rsj", Role::Handler), Err("forbidden")),
    ];
    for (who, want) in rows {
        let got = act(&s, &who, &revoke, at).map(|a| assert_eq!(a.status, AccessStatus::Revoked));
        assert_eq!(got, want, "{who:?}");
    }
    let revoked = act(&s, &owner(), &revoke, at).unwrap();
    assert_eq!(act(&revoked, &owner(), &revoke, at).err(), Some("case_closed"));
    assert!(access::alarms(&revoked, &context(&Actor::System, t("2028-01-01 00:00"))).is_empty());
}

#[test]
fn the_owner_the_consumer_and_the_bureau_see_a_request_and_nobody_else() {
    let s = requested(ShareClass::Conditional);
    let p = AccessKind::project(&s);
    let sees = |who: &Actor| yiwang_core::case::can_view(AccessKind::sees_all(who), &p.access, who);
    assert!(sees(&owner()));
    assert!(sees(&consumer()));
    assert!(sees(&bureau()));
    assert!(!sees(&staff("mzj-data", "mzj", Role::DataOfficer)));
    assert!(!sees(&staff("x-leader", "mzj", Role::Leader)));
    // Pending, it is the owner's work; granted, nobody's.
    assert_eq!(p.header.unit, Some(code_of("scjgj")));
    assert_eq!(AccessKind::project(&requested(ShareClass::Unconditional)).header.unit, None);
}

#[test]
fn a_read_log_counts_the_days_reads_and_takes_none_of_another_day_or_from_people() {
    let at = t("2026-11-16 09:00");
    let system = Actor::Client { name: "就业补贴审核系统".into() };
    let n = NewReadLog {
        grant: CaseId::parse("GX20261116000001").unwrap(),
        resource: "YXQ-SJ-0002".into(),
        system: "就业补贴审核系统".into(),
        consumer: code_of("rsj"),
        owner: code_of("scjgj"),
        bureau: Some(code_of("yx")),
        day: day("2026-11-16"),
    };
    assert_eq!(read_log::open(&n, &context(&consumer(), at)).map_err(|r| r.code()).err(), Some("forbidden"));
    let opened = read_log::open(&n, &context(&system, at)).unwrap();
    let env = |seq: u32, event: read_log::ReadLogEvent| Envelope {
        case: CaseId::parse("DQ20261116000001").unwrap(),
        seq,
        at,
        actor: system.clone(),
        event,
    };
    let mut s = read_log::evolve(None, &env(1, opened[0].clone()));
    let entry = ReadEntry { filter: "{}".into(), rows: 3, digest: "sha256:00".into(), persons: vec![] };
    let cmd = read_log::Command::Record(entry);
    for seq in 2..4 {
        let e = read_log::decide(s.as_ref().unwrap(), &cmd, &context(&system, at)).unwrap();
        s = read_log::evolve(s, &env(seq, e[0].clone()));
    }
    let s = s.unwrap();
    assert_eq!((s.reads, s.rows), (2, 6));
    let p = ReadLogKind::project(&s);
    assert_eq!(p.header.tracking_code.as_deref(), Some("readlog:GX20261116000001:2026-11-16"));
    assert_eq!(p.access, [code_of("rsj"), code_of("scjgj"), code_of("yx")]);
    let next_day = read_log::decide(&s, &cmd, &context(&system, t("2026-11-17 00:00")));
    assert_eq!(next_day.map_err(|r| r.code()).err(), Some("read_log_closed"));
    let by_staff = read_log::decide(&s, &cmd, &context(&owner(), at));
    assert_eq!(by_staff.map_err(|r| r.code()).err(), Some("forbidden"));
}

/// 签发凭证: only the consuming unit's 数据专员 or head, only while the grant is in
/// force; the new hash replaces the one before (which then finds no grant).
#[test]
fn only_the_consumer_issues_a_credential_while_the_grant_is_in_force() {
    let at = t("2026-11-17 09:00");
    let granted = requested(ShareClass::Unconditional);
    let issue = || Command::IssueCredential { credential: "d00d".into() };
    let rows: Vec<(Actor, Result<(), &str>)> = vec![
        (consumer(), Ok(())),
        (staff("rsj-head", "rsj", Role::UnitLeader), Ok(())),
        (staff("rsj-handler", "rsj", Role::Handler), Err("forbidden")),
        (owner(), Err("forbidden")),
        (bureau(), Err("forbidden")),
        (Actor::Citizen, Err("forbidden")),
    ];
    for (who, want) in rows {
        assert_eq!(act(&granted, &who, &issue(), at).map(|_| ()), want, "{who:?}");
    }
    let reissued = act(&granted, &consumer(), &issue(), at).unwrap();
    assert_eq!(reissued.credential.as_deref(), Some("d00d"));
    let detail: serde_json::Value = serde_json::from_str(&AccessKind::project(&reissued).detail).unwrap();
    assert_eq!(detail["credential"], "d00d", "the old hash finds the grant no more");
    assert_eq!(act(&requested(ShareClass::Conditional), &consumer(), &issue(), at).err(), Some("case_closed"));
    assert_eq!(act(&granted, &consumer(), &issue(), t("2027-11-16 08:00")).err(), Some("period_past"));
}
