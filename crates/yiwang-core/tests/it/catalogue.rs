//! 政务信息资源目录: who may register, amend and withdraw a resource, and what a
//! resource must declare.

use crate::fixture::{code_of, context, t};
use yiwang_core::case::{Envelope, Kind, Refusal};
use yiwang_core::id::{CaseId, Username};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_core::share::catalogue::{self, decide, evolve};
use yiwang_core::share::{
    Command, Field, FieldType, Frequency, OpenClass, Resource, ResourceEntry, ResourceEvent, ResourceKind,
    ResourceStatus, ShareClass, Source,
};

fn staff(name: &str, unit: &str, unit_kind: UnitKind, role: Role) -> Actor {
    Actor::Staff { username: Username::parse(name).unwrap(), unit: code_of(unit), unit_kind, roles: vec![role] }
}

fn field(name: &str, ty: FieldType, personal: bool) -> Field {
    Field { name: name.into(), label: format!("{name}项"), ty, personal }
}

/// A resource of the 水务局 (`sw`).
fn resource() -> Resource {
    Resource {
        code: "YXQ-SW-0001".into(),
        name: "供水户信息".into(),
        owner: code_of("sw"),
        description: "区内供水户的户号、地址和用水性质".into(),
        fields: vec![
            field("account", FieldType::Code, false),
            field("holder", FieldType::Text, true),
            field("opened", FieldType::Date, false),
        ],
        share: ShareClass::Conditional,
        conditions: "用于供水服务和应急保障".into(),
        frequency: Frequency::Daily,
        format: "JSON".into(),
        source: Source::Gateway { url: "http://10.1.2.3/api/accounts".into() },
        open: OpenClass::Closed,
        key_field: "account".into(),
    }
}

/// Who tries: (name, actor).
fn actors() -> Vec<(&'static str, Actor)> {
    vec![
        ("data officer of the owner", staff("sw-data", "sw", UnitKind::Department, Role::DataOfficer)),
        ("data officer of the district (数据局)", staff("sjj-data", "qu", UnitKind::District, Role::DataOfficer)),
        ("data officer of another department", staff("cgw-data", "cgw", UnitKind::Department, Role::DataOfficer)),
        ("handler of the owner", staff("sw-handler", "sw", UnitKind::Department, Role::Handler)),
        ("system administrator", staff("admin", "qu", UnitKind::District, Role::Admin)),
        ("leader", staff("leader", "qu", UnitKind::District, Role::Leader)),
        ("citizen", Actor::Citizen),
        ("the system", Actor::System),
    ]
}

fn entry_of(events: Vec<ResourceEvent>, actor: &Actor) -> ResourceEntry {
    let mut s = None;
    for (i, event) in events.into_iter().enumerate() {
        let env = Envelope {
            case: CaseId::parse("ZY20261116000001").unwrap(),
            seq: i as u32 + 1,
            at: t("2026-11-16 09:00"),
            actor: actor.clone(),
            event,
        };
        s = evolve(s, &env);
    }
    s.expect("registered")
}

fn registered() -> ResourceEntry {
    let a = Actor::System;
    entry_of(catalogue::open(&resource(), &context(&a, t("2026-11-16 09:00"))).unwrap(), &a)
}

fn code(r: Result<Vec<ResourceEvent>, Refusal>) -> Result<Vec<&'static str>, &'static str> {
    r.map(|e| e.iter().map(ResourceEvent::name).collect()).map_err(|r| r.code())
}

/// Registering, amending and withdrawing: the owner's 数据专员, the 数据局's and the
/// system may; nobody else.
#[test]
fn who_may_keep_an_entry() {
    let now = t("2026-11-16 10:00");
    let mut amended = resource();
    amended.description = "区内供水户的户号、地址、用水性质和水表口径".into();
    type Outcome = Result<Vec<&'static str>, &'static str>;
    let table: &[(&str, Outcome, Outcome, Outcome)] = &[
        ("data officer of the owner", Ok(vec!["registered"]), Ok(vec!["amended"]), Ok(vec!["withdrawn"])),
        ("data officer of the district (数据局)", Ok(vec!["registered"]), Ok(vec!["amended"]), Ok(vec!["withdrawn"])),
        ("data officer of another department", Err("forbidden"), Err("forbidden"), Err("forbidden")),
        ("handler of the owner", Err("forbidden"), Err("forbidden"), Err("forbidden")),
        ("system administrator", Err("forbidden"), Err("forbidden"), Err("forbidden")),
        ("leader", Err("forbidden"), Err("forbidden"), Err("forbidden")),
        ("citizen", Err("forbidden"), Err("forbidden"), Err("forbidden")),
        ("the system", Ok(vec!["registered"]), Ok(vec!["amended"]), Ok(vec!["withdrawn"])),
    ];
    let actors = actors();
    assert_eq!(table.len(), actors.len());
    for ((who, register, amend, withdraw), (name, actor)) in table.iter().zip(&actors) {
        assert_eq!(who, name);
        let ctx = context(actor, now);
        assert_eq!(code(catalogue::open(&resource(), &ctx)), *register, "{who} registers");
        let s = registered();
        assert_eq!(code(decide(&s, &Command::Amend { resource: amended.clone() }, &ctx)), *amend, "{who} amends");
        assert_eq!(
            code(decide(&s, &Command::Withdraw { reason: "系统停用".into() }, &ctx)),
            *withdraw,
            "{who} withdraws"
        );
    }
}

/// What a resource must declare: each broken rule, its stable code.
#[test]
fn what_a_resource_must_declare() {
    type Break = fn(&mut Resource);
    let table: &[(&str, Break, &str)] = &[
        ("a lowercase code", |r| r.code = "yxq-sw-0001".into(), "invalid_resource_code"),
        ("a code with an empty part", |r| r.code = "YXQ--0001".into(), "invalid_resource_code"),
        ("a code starting with a digit", |r| r.code = "1XQ-SW".into(), "invalid_resource_code"),
        ("no name", |r| r.name = " ".into(), "invalid_field"),
        ("no description", |r| r.description = "".into(), "invalid_field"),
        ("no fields", |r| r.fields.clear(), "no_fields"),
        ("a field name in Chinese", |r| r.fields[0].name = "户号".into(), "invalid_field_name"),
        ("a field name with a capital", |r| r.fields[0].name = "Account".into(), "invalid_field_name"),
        ("the same field twice", |r| r.fields[1].name = "account".into(), "duplicate_field"),
        ("a field without a label", |r| r.fields[1].label = "".into(), "invalid_field"),
        ("a key field not declared", |r| r.key_field = "meter".into(), "unknown_key_field"),
        ("conditional without conditions", |r| r.conditions = " ".into(), "conditions_required"),
        (
            "a gateway that is not HTTP",
            |r| r.source = Source::Gateway { url: "ftp://10.1.2.3/x".into() },
            "invalid_gateway_url",
        ),
        (
            "a gateway URL with a query",
            |r| r.source = Source::Gateway { url: "http://10.1.2.3/x?token=1".into() },
            "invalid_gateway_url",
        ),
        ("no format", |r| r.format = "".into(), "invalid_field"),
        ("open with a personal field", |r| r.open = OpenClass::Open, "personal_open"),
    ];
    let a = staff("sw-data", "sw", UnitKind::Department, Role::DataOfficer);
    let ctx = context(&a, t("2026-11-16 10:00"));
    assert!(catalogue::open(&resource(), &ctx).is_ok(), "the resource as given is valid");
    for (what, break_it, want) in table {
        let mut r = resource();
        break_it(&mut r);
        assert_eq!(code(catalogue::open(&r, &ctx)), Err(*want), "{what}");
    }
    let mut unknown = resource();
    unknown.owner = code_of("nowhere");
    let district = staff("sjj-data", "qu", UnitKind::District, Role::DataOfficer);
    assert_eq!(
        code(catalogue::open(&unknown, &context(&district, t("2026-11-16 10:00")))),
        Err("unknown_unit"),
        "an owner that is no unit"
    );
}

/// An amendment keeps the code, names what changed, and an unchanged one records
/// nothing; a withdrawn resource is closed to every change; only the 数据局 moves a
/// resource to another department.
#[test]
fn amendments_and_withdrawal() {
    let owner = staff("sw-data", "sw", UnitKind::Department, Role::DataOfficer);
    let bureau = staff("sjj-data", "qu", UnitKind::District, Role::DataOfficer);
    let now = t("2026-11-16 10:00");
    let s = registered();

    let mut r = resource();
    r.share = ShareClass::Unconditional;
    r.fields.push(field("meter", FieldType::Text, false));
    match decide(&s, &Command::Amend { resource: r }, &context(&owner, now)).unwrap().as_slice() {
        [ResourceEvent::Amended { changed, resource }] => {
            assert_eq!(changed, &vec!["信息项".to_owned(), "共享类型".to_owned()]);
            assert_eq!(resource.fields.len(), 4);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(code(decide(&s, &Command::Amend { resource: resource() }, &context(&owner, now))), Ok(vec![]));

    let mut recoded = resource();
    recoded.code = "YXQ-SW-0002".into();
    assert_eq!(code(decide(&s, &Command::Amend { resource: recoded }, &context(&owner, now))), Err("code_mismatch"));

    let mut moved = resource();
    moved.owner = code_of("cgw");
    assert_eq!(code(decide(&s, &Command::Amend { resource: moved.clone() }, &context(&owner, now))), Err("forbidden"));
    assert_eq!(code(decide(&s, &Command::Amend { resource: moved }, &context(&bureau, now))), Ok(vec!["amended"]));

    let withdrawn = {
        let events = decide(&s, &Command::Withdraw { reason: "系统停用".into() }, &context(&owner, now)).unwrap();
        let mut st = Some(s.clone());
        for (i, e) in events.into_iter().enumerate() {
            let env =
                Envelope { case: s.id.clone(), seq: s.version + 1 + i as u32, at: now, actor: owner.clone(), event: e };
            st = evolve(st, &env);
        }
        st.unwrap()
    };
    assert_eq!(withdrawn.status, ResourceStatus::Withdrawn);
    assert!(ResourceKind::project(&withdrawn).header.closed_at.is_some());
    assert_eq!(
        code(decide(&withdrawn, &Command::Amend { resource: resource() }, &context(&owner, now))),
        Err("case_closed")
    );
    assert_eq!(
        code(decide(&withdrawn, &Command::Withdraw { reason: "again".into() }, &context(&owner, now))),
        Err("case_closed")
    );
}

/// One case per code: the header's tracking code; the catalogue is every staff
/// member's to read, but not a 核验员's or a citizen's.
#[test]
fn the_projection_keys_by_code_and_every_staff_member_reads_it() {
    let p = ResourceKind::project(&registered());
    assert_eq!(p.header.tracking_code.as_deref(), Some("resource:YXQ-SW-0001"));
    assert_eq!(p.header.unit, None, "nobody's work");
    let detail: serde_json::Value = serde_json::from_str(&p.detail).unwrap();
    assert_eq!(detail["share"], "conditional");
    assert_eq!(detail["source"], "gateway");
    assert!(ResourceKind::sees_all(&staff("cgw-handler", "cgw", UnitKind::Department, Role::Handler)));
    assert!(!ResourceKind::sees_all(&staff("bank", "cgw", UnitKind::Department, Role::Verifier)));
    assert!(!ResourceKind::sees_all(&Actor::Citizen));
}

/// A field's type admits the JSON the gateway's records carry.
#[test]
fn field_types_admit_their_json() {
    use serde_json::json;
    let table = [
        (FieldType::Text, json!("x"), true),
        (FieldType::Text, json!(1), false),
        (FieldType::Integer, json!(3), true),
        (FieldType::Integer, json!(3.5), false),
        (FieldType::Integer, json!("3"), false),
        (FieldType::Decimal, json!(3.5), true),
        (FieldType::Decimal, json!("12.30"), true),
        (FieldType::Decimal, json!("twelve"), false),
        (FieldType::Date, json!("2026-11-16"), true),
        (FieldType::Date, json!("2026-13-01"), false),
        (FieldType::Datetime, json!("2026-11-16T09:00:00+08:00"), true),
        (FieldType::Datetime, json!("2026-11-16"), false),
        (FieldType::Boolean, json!(true), true),
        (FieldType::Boolean, json!("true"), false),
        (FieldType::Code, json!("sw"), true),
        (FieldType::Code, json!(null), true),
    ];
    for (ty, v, ok) in table {
        assert_eq!(ty.admits(&v), ok, "{ty:?} {v}");
    }
}
