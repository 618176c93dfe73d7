//! 一件事一次办 (the bundle): which parts the answers choose, what opening checks,
//! the district's promise and §42 para 2's 45(+15) working days on the real 2026
//! calendar (weekends, 春节, 中秋 and 国庆 with their 调休 working days), the refusal
//! rules and completion, each reached by acting it out through `decide` and `evolve`.

use crate::fixture::{code_of, context, t};
use std::collections::BTreeMap;
use yiwang_core::Instant;
use yiwang_core::application::{self, Catalogue, Channel, Enterprise, PartOf, Provided};
use yiwang_core::bundle::{
    self, Bundle, BundleClock, BundleDef, BundleEvent, BundleKind, BundleStatus, Command, NewBundle, PartOutcome,
};
use yiwang_core::case::{Envelope, Kind};
use yiwang_core::deadline::Stage;
use yiwang_core::id::{CaseId, CreditCode, Username};
use yiwang_core::org::{Actor, Role, UnitKind};

/// Three services of three departments of the fixture district, and a bundle of them:
/// the signboard only with a sign, the drainage permit with waste water or a big shop.
const CATALOGUE: &str = r#"
[[service]]
code = "food"
name = "食品经营许可"
department = "scj"
type = "licence"
legal_basis = "《食品安全法》第三十五条"
legal_days = 20
promised_days = 5
depth = "online"
for_enterprises = true
[[service.materials]]
code = "licence"
name = "营业执照"
[[service.materials]]
code = "floor-plan"
name = "平面布局图"
[[service.fields]]
code = "shop-name"
label = "店铺名称"
type = "text"
max = 50
[[service.fields]]
code = "area-sqm"
label = "经营面积"
type = "number"
min = 1

[[service]]
code = "sign"
name = "门头招牌设置审批"
department = "cgw"
type = "licence"
legal_basis = "《城市市容和环境卫生管理条例》第十一条"
legal_days = 20
promised_days = 5
depth = "online"
for_enterprises = true
[[service.materials]]
code = "licence"
name = "营业执照"
[[service.materials]]
code = "design"
name = "招牌效果图"
[[service.fields]]
code = "text"
label = "招牌文字"
type = "text"
max = 30

[[service]]
code = "drain"
name = "排水许可"
department = "sw"
type = "licence"
legal_basis = "《城镇排水与污水处理条例》第二十一条"
legal_days = 20
promised_days = 10
depth = "online"
for_enterprises = true
[[service.materials]]
code = "pipe-plan"
name = "排水管网图"

[[bundle]]
code = "restaurant"
name = "开办餐饮店"
promised_days = 5
refusal = "all_stop"
[[bundle.questions]]
code = "sign"
label = "是否设置招牌？"
options = ["是", "否"]
[[bundle.questions]]
code = "water"
label = "是否排放污水？"
options = ["是", "否"]
[[bundle.questions]]
code = "size"
label = "面积"
options = ["小", "大"]
[[bundle.parts]]
service = "food"
[[bundle.parts]]
service = "sign"
when = "sign = 是"
fields = { text = "shop-name" }
[[bundle.parts]]
service = "drain"
when = { any = ["water = 是", { all = ["size = 大", "sign != 否"] }] }
"#;

fn catalogue() -> Catalogue {
    Catalogue::parse_toml(CATALOGUE).expect("the test catalogue parses")
}

fn def() -> BundleDef {
    catalogue().bundles[0].clone()
}

fn with(f: impl FnOnce(&mut BundleDef)) -> BundleDef {
    let mut d = def();
    f(&mut d);
    d
}

fn check(d: &BundleDef) -> Result<(), String> {
    let c = catalogue();
    d.check(|code| c.get(code))
}

fn staff(name: &str, unit: &str, roles: &[Role]) -> Actor {
    Actor::Staff {
        username: Username::parse(name).unwrap(),
        unit: code_of(unit),
        unit_kind: UnitKind::Department,
        roles: roles.to_vec(),
    }
}
/// The hall's clerk (at the 市场监管局's window), and the district's head.
fn clerk() -> Actor {
    staff("clerk", "scj", &[Role::Clerk])
}
fn leader() -> Actor {
    staff("head", "scj", &[Role::Leader])
}

fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn given(material: &str) -> Provided {
    Provided {
        material: material.into(),
        files: vec![format!("uploads/{material}.pdf")],
        certificate: None,
        paper: false,
    }
}

fn new_bundle(ans: &[(&str, &str)]) -> NewBundle {
    NewBundle {
        def: def(),
        services: catalogue().services,
        channel: Channel::Window,
        enterprise: Some(Enterprise {
            code: CreditCode::parse("91350100M000100Y43").unwrap(),
            name: "云溪区好味餐饮店".into(),
        }),
        answers: answers(ans),
        form: answers(&[("shop-name", "好味小厨"), ("area-sqm", "85")]),
        materials: vec![given("licence"), given("floor-plan"), given("design"), given("pipe-plan")],
        area: None,
        tracking_code: None,
    }
}

/// Answers as a table row writes them.
type Answers = &'static [(&'static str, &'static str)];

const ALL: [(&str, &str); 3] = [("sign", "是"), ("water", "是"), ("size", "小")];

fn fold(state: Option<Bundle>, first: u32, at: Instant, who: &Actor, events: &[BundleEvent]) -> Bundle {
    let mut s = state;
    for (i, e) in events.iter().enumerate() {
        let env = Envelope {
            case: CaseId::parse("YJ20260918000001").unwrap(),
            seq: first + i as u32,
            at,
            actor: who.clone(),
            event: e.clone(),
        };
        s = bundle::evolve(s, &env);
        BundleKind::check(s.as_ref().unwrap()).expect("every state reached by decide passes check");
    }
    s.expect("the first event opens it")
}

struct Case {
    state: Bundle,
}

impl Case {
    fn open(ans: &[(&str, &str)], at: &str) -> Case {
        let at = t(at);
        let events = bundle::open(&new_bundle(ans), &context(&clerk(), at)).unwrap_or_else(|e| panic!("refused: {e}"));
        Case { state: fold(None, 1, at, &clerk(), &events) }
    }
    fn decide(&self, who: &Actor, cmd: &Command, at: &str) -> Result<Vec<BundleEvent>, yiwang_core::case::Refusal> {
        bundle::decide(&self.state, cmd, &context(who, t(at)))
    }
    fn act(&mut self, who: &Actor, cmd: &Command, at: &str) -> Vec<&'static str> {
        let events = self.decide(who, cmd, at).unwrap_or_else(|e| panic!("{cmd:?} refused: {e}"));
        self.state = fold(Some(self.state.clone()), self.state.version + 1, t(at), who, &events);
        events.iter().map(BundleEvent::name).collect()
    }
    fn refused(&self, who: &Actor, cmd: &Command, at: &str) -> &'static str {
        match self.decide(who, cmd, at) {
            Err(e) => e.code(),
            Ok(events) => panic!("{cmd:?} was allowed: {events:?}"),
        }
    }
    fn outcome(&mut self, part: &str, outcome: PartOutcome, at: &str) -> Vec<&'static str> {
        self.act(&Actor::System, &Command::RecordOutcome { part: part.into(), outcome }, at)
    }
    fn due(&self, clock: BundleClock) -> Instant {
        self.state.clock(clock).unwrap_or_else(|| panic!("no {clock:?} clock")).due
    }
}

#[test]
fn the_answers_choose_the_parts() {
    let table: [(Answers, &[&str]); 6] = [
        (&[("sign", "是"), ("water", "是"), ("size", "小")], &["food", "sign", "drain"]),
        (&[("sign", "否"), ("water", "是"), ("size", "小")], &["food", "drain"]),
        (&[("sign", "否"), ("water", "否"), ("size", "小")], &["food"]),
        // `any` of a test and an `all`: big, with a sign.
        (&[("sign", "是"), ("water", "否"), ("size", "大")], &["food", "sign", "drain"]),
        // big, but `sign != 否` fails.
        (&[("sign", "否"), ("water", "否"), ("size", "大")], &["food"]),
        (&[("sign", "是"), ("water", "否"), ("size", "小")], &["food", "sign"]),
    ];
    let d = def();
    for (ans, want) in table {
        let got: Vec<&str> = bundle::choose(&d, &answers(ans)).unwrap().iter().map(|p| p.service.as_str()).collect();
        assert_eq!(got, want, "answers {ans:?}");
    }
}

#[test]
fn answers_must_be_complete_and_of_the_options() {
    let d = def();
    let table: [(Answers, &str); 4] = [
        (&[("sign", "是"), ("water", "是")], "answer_missing"),
        (&[("sign", "也许"), ("water", "是"), ("size", "小")], "answer_invalid"),
        (&[("sign", "是"), ("water", "是"), ("size", "小"), ("seats", "20")], "unknown_question"),
        (&[("sign", " "), ("water", "是"), ("size", "小")], "answer_missing"),
    ];
    for (ans, code) in table {
        assert_eq!(bundle::choose(&d, &answers(ans)).unwrap_err().code(), code, "answers {ans:?}");
    }
    // A bundle whose every part is conditional can choose none.
    let none = with(|d| d.parts[0].when = Some(bundle::Condition::Test("water = 是".into())));
    let got = bundle::choose(&none, &answers(&[("sign", "否"), ("water", "否"), ("size", "小")]));
    assert_eq!(got.unwrap_err().code(), "no_part_applies");
}

#[test]
fn a_bundle_definition_is_checked_against_its_services() {
    use bundle::Condition::Test;
    assert_eq!(check(&def()), Ok(()));
    let table: [(BundleDef, &str); 9] = [
        // 5 + 5 + 10 = 20: the promise must beat the sum; 45 is §42's joint limit.
        (with(|d| d.promised_days = 20), "应短于各事项承诺时限之和"),
        (with(|d| d.promised_days = 0), "承诺时限应为 1 至 45"),
        (with(|d| d.parts[2].service = "nothing".into()), "不在办事指南中"),
        (with(|d| d.parts[1].when = Some(Test("colour = 红".into()))), "问题 colour 不存在"),
        (with(|d| d.parts[1].when = Some(Test("sign = 也许".into()))), "不是问题 sign 的选项"),
        (with(|d| d.parts[1].when = Some(Test("sign".into()))), "应写作"),
        (with(|d| d.parts[2].service = "food".into()), "事项 food 重复"),
        (with(|d| d.parts.truncate(1)), "至少包含两个事项"),
        (with(|d| d.parts[1].fields = [("colour".to_string(), "x".to_string())].into()), "没有字段 colour"),
    ];
    for (d, want) in table {
        let got = check(&d).unwrap_err();
        assert!(got.contains(want), "{got} should say {want}");
    }
    // One material code names one document across the parts; a shared field one type.
    let mut c = catalogue();
    c.services[1].materials[0].name = "招牌安全承诺书".into();
    assert!(def().check(|code| c.get(code)).unwrap_err().contains("材料 licence"));
    let mut c = catalogue();
    c.services[1].fields[0].field_type = application::service::FieldType::Date;
    assert!(def().check(|code| c.get(code)).unwrap_err().contains("共享字段 shop-name"));
}

#[test]
fn opening_files_the_bundle_with_the_chosen_parts_and_both_clocks() {
    let c = Case::open(&ALL, "2026-09-18 10:00");
    let b = &c.state;
    assert_eq!(b.status, BundleStatus::Running);
    let parts: Vec<&str> = b.parts.iter().map(|p| p.chosen.service.as_str()).collect();
    assert_eq!(parts, ["food", "sign", "drain"]);
    assert_eq!(b.registered_by, Some(code_of("scj")));
    // The departments of the parts see it, with the window.
    let access = BundleKind::project(b).access;
    assert_eq!(access, vec![code_of("cgw"), code_of("scj"), code_of("sw")]);
}

#[test]
fn opening_checks_every_chosen_part_as_it_will_be_filed() {
    let open = |n: NewBundle, who: &Actor| bundle::open(&n, &context(who, t("2026-09-18 10:00"))).map(|_| ());
    let code = |r: Result<(), yiwang_core::case::Refusal>| r.unwrap_err().code();
    // Who files.
    assert_eq!(code(open(new_bundle(&ALL), &Actor::Citizen)), "forbidden");
    assert_eq!(code(open(new_bundle(&ALL), &staff("r", "scj", &[Role::Reviewer]))), "forbidden");
    let online = NewBundle { channel: Channel::Online, ..new_bundle(&ALL) };
    assert_eq!(open(online.clone(), &Actor::Citizen), Ok(()));
    assert_eq!(code(open(online, &clerk())), "forbidden");
    // A field or a material no chosen part has.
    let mut n = new_bundle(&ALL);
    n.form.insert("colour".into(), "红".into());
    assert_eq!(code(open(n, &clerk())), "unknown_form_field");
    let n = new_bundle(&[("sign", "否"), ("water", "否"), ("size", "小")]);
    assert_eq!(code(open(n, &clerk())), "unknown_material");
    // A part's required field left empty: the refusal names the part.
    let mut n = new_bundle(&ALL);
    n.form.remove("area-sqm");
    let refusal = bundle::open(&n, &context(&clerk(), t("2026-09-18 10:00"))).unwrap_err();
    assert_eq!(refusal.code(), "form_field_missing");
    assert!(refusal.to_string().starts_with("食品经营许可："), "{refusal}");
    // The sign's text is the shop's name, filled once (its own limit of 30 applies).
    let mut n = new_bundle(&ALL);
    n.form.insert("shop-name".into(), "好".repeat(40));
    let refusal = bundle::open(&n, &context(&clerk(), t("2026-09-18 10:00"))).unwrap_err();
    assert!(refusal.to_string().starts_with("门头招牌设置审批："), "{refusal}");
    // The parts are enterprises' services: the enterprise is required.
    let n = NewBundle { enterprise: None, ..new_bundle(&ALL) };
    assert_eq!(code(open(n, &clerk())), "enterprise_required");
}

#[test]
fn each_part_gets_its_own_fields_and_materials() {
    let n = new_bundle(&ALL);
    let c = catalogue();
    let sign = bundle::part_input(
        &n.def,
        c.get("sign").unwrap(),
        Channel::Window,
        n.enterprise.as_ref(),
        &n.form,
        &n.materials,
        None,
    );
    assert_eq!(sign.form, answers(&[("text", "好味小厨")]));
    let materials: Vec<&str> = sign.materials.iter().map(|m| m.material.as_str()).collect();
    assert_eq!(materials, ["licence", "design"]);
    let food = bundle::part_input(
        &n.def,
        c.get("food").unwrap(),
        Channel::Window,
        n.enterprise.as_ref(),
        &n.form,
        &n.materials,
        None,
    );
    assert_eq!(food.form, answers(&[("shop-name", "好味小厨"), ("area-sqm", "85")]));
    // Filed, the part records its bundle; the system may file it for the window.
    let part_of = PartOf { bundle: CaseId::parse("YJ20260918000001").unwrap(), part: "sign".into() };
    let events =
        application::open_part(&sign, &part_of, Some(code_of("scj")), &context(&Actor::System, t("2026-09-18 10:00")))
            .unwrap();
    match &events[0] {
        application::ApplicationEvent::Filed { bundle, registered_by, .. } => {
            assert_eq!(bundle.as_ref(), Some(&part_of));
            assert_eq!(registered_by.as_ref(), Some(&code_of("scj")));
        }
        e => panic!("{e:?}"),
    }
    // Anyone else still files as the channel says.
    let refused = application::open_part(&sign, &part_of, None, &context(&leader(), t("2026-09-18 10:00")));
    assert_eq!(refused.unwrap_err().code(), "forbidden");
}

#[test]
fn the_promise_and_the_joint_limit_run_on_working_days() {
    // (filed, the promise's 5 days, §42 para 2's 45 days)
    let table = [
        // Fri before 中秋 and 国庆: Sun 9-20 is worked, 9-25..27 and 10-1..7 are not,
        // Sat 10-10 is worked.
        ("2026-09-18 10:00", "2026-09-24 10:00", "2026-11-26 10:00"),
        // Fri before 春节: Sat 2-14 worked, 2-15..23 off, Sat 2-28 worked; 清明 4-4..6 off.
        ("2026-02-13 16:00", "2026-02-27 16:00", "2026-04-24 16:00"),
        // Mon to Mon; 端午 (Fri 6-19) off.
        ("2026-06-01 09:00", "2026-06-08 09:00", "2026-08-04 09:00"),
    ];
    for (filed, promised, legal) in table {
        let c = Case::open(&ALL, filed);
        assert_eq!(c.due(BundleClock::Promised), t(promised), "promise from {filed}");
        assert_eq!(c.due(BundleClock::Legal), t(legal), "joint limit from {filed}");
    }
}

#[test]
fn the_head_extends_the_joint_limit_once_by_at_most_fifteen_days() {
    let mut c = Case::open(&ALL, "2026-09-18 10:00");
    let ext = |days| Command::Extend { days, reason: "需组织联合现场踏勘".into() };
    let table: [(Actor, Command, &str); 4] = [
        (staff("unit-head", "scj", &[Role::UnitLeader]), ext(10), "forbidden"),
        (clerk(), ext(10), "forbidden"),
        (leader(), ext(16), "extension_too_long"),
        (leader(), ext(0), "extension_too_long"),
    ];
    for (who, cmd, code) in table {
        assert_eq!(c.refused(&who, &cmd, "2026-11-20 10:00"), code, "{cmd:?} by {who:?}");
    }
    assert_eq!(c.refused(&leader(), &ext(15), "2026-11-26 10:00"), "deadline_passed");
    assert_eq!(c.act(&leader(), &ext(15), "2026-11-20 10:00"), ["bundle_extended"]);
    // 11-27, then 11-30..12-4, 12-7..11, 12-14..17.
    assert_eq!(c.due(BundleClock::Legal), t("2026-12-17 10:00"));
    assert_eq!(c.due(BundleClock::Promised), t("2026-09-24 10:00"), "the promise is not extended");
    assert_eq!(c.refused(&leader(), &ext(5), "2026-11-21 10:00"), "extension_once");
}

#[test]
fn the_clocks_turn_yellow_and_red() {
    let c = Case::open(&ALL, "2026-11-16 09:00");
    let at =
        |s| bundle::alarms(&c.state, &context(&Actor::System, t(s))).iter().map(BundleEvent::name).collect::<Vec<_>>();
    assert!(at("2026-11-17 09:00").is_empty());
    // The promise (5 days) is past; the joint limit (45) is still green.
    assert_eq!(at("2026-11-23 09:00"), ["bundle_clock_overdue"]);
    assert_eq!(at("2026-11-20 09:00"), ["bundle_clock_warned"]);
    let mut c = c;
    let events = bundle::alarms(&c.state, &context(&Actor::System, t("2026-11-23 09:00")));
    c.state = fold(Some(c.state.clone()), c.state.version + 1, t("2026-11-23 09:00"), &Actor::System, &events);
    assert_eq!(c.state.stage(), Stage::Red);
    assert_eq!(BundleKind::project(&c.state).header.stage, Stage::Red);
}

#[test]
fn every_part_done_completes_the_bundle_against_its_promise() {
    let mut c = Case::open(&ALL, "2026-11-16 09:00");
    assert_eq!(c.outcome("food", PartOutcome::Done, "2026-11-18 10:00"), ["bundle_part_ended"]);
    assert_eq!(c.outcome("sign", PartOutcome::Done, "2026-11-19 10:00"), ["bundle_part_ended"]);
    assert_eq!(c.outcome("drain", PartOutcome::Done, "2026-11-20 10:00"), ["bundle_part_ended", "bundle_completed"]);
    assert_eq!(c.state.status, BundleStatus::Done);
    assert_eq!(c.state.on_time, Some(true));
    assert!(!c.state.is_open());
    assert!(BundleKind::project(&c.state).header.closed_at.is_some());
    assert_eq!(
        c.refused(
            &Actor::System,
            &Command::RecordOutcome { part: "food".into(), outcome: PartOutcome::Done },
            "2026-11-21 10:00"
        ),
        "case_closed"
    );
    // Past the promise (5 working days from Mon 11-16 09:00 is Mon 11-23 09:00).
    let mut late = Case::open(&ALL, "2026-11-16 09:00");
    late.outcome("food", PartOutcome::Done, "2026-11-18 10:00");
    late.outcome("sign", PartOutcome::Done, "2026-11-18 10:00");
    late.outcome("drain", PartOutcome::Done, "2026-11-23 09:01");
    assert_eq!(late.state.on_time, Some(false));
}

#[test]
fn a_refusal_stops_the_rest_or_lets_them_go_on_as_the_bundle_says() {
    // all_stop: the first refusal stops the bundle; the others' outcomes still come in.
    let mut c = Case::open(&ALL, "2026-11-16 09:00");
    assert_eq!(c.outcome("sign", PartOutcome::Refused, "2026-11-17 10:00"), ["bundle_part_ended", "bundle_stopped"]);
    assert_eq!(c.state.status, BundleStatus::Stopped);
    assert!(c.state.clocks.is_empty(), "a stopped bundle's clocks stop");
    assert!(c.state.is_open(), "open for the engine until every part has its outcome");
    assert_eq!(c.outcome("food", PartOutcome::Withdrawn, "2026-11-17 10:01"), ["bundle_part_ended"]);
    assert_eq!(c.outcome("drain", PartOutcome::Refused, "2026-11-17 10:02"), ["bundle_part_ended", "bundle_completed"]);
    assert_eq!(c.state.status, BundleStatus::Stopped, "it stays stopped");
    assert!(!c.state.is_open());

    // go_on: each part stands on its own; the end says not all were granted.
    let go_on = |d: &mut BundleDef| d.refusal = bundle::RefusalRule::GoOn;
    let mut n = new_bundle(&ALL);
    go_on(&mut n.def);
    let events = bundle::open(&n, &context(&clerk(), t("2026-11-16 09:00"))).unwrap();
    let mut c = Case { state: fold(None, 1, t("2026-11-16 09:00"), &clerk(), &events) };
    assert_eq!(c.outcome("sign", PartOutcome::Refused, "2026-11-17 10:00"), ["bundle_part_ended"]);
    assert_eq!(c.state.status, BundleStatus::Running);
    c.outcome("food", PartOutcome::Done, "2026-11-18 10:00");
    assert_eq!(c.outcome("drain", PartOutcome::Done, "2026-11-19 10:00"), ["bundle_part_ended", "bundle_completed"]);
    assert_eq!(c.state.status, BundleStatus::Ended);

    // all_stop, but the refused part was the last one open: nothing is left to stop.
    let mut c = Case::open(&ALL, "2026-11-16 09:00");
    c.outcome("food", PartOutcome::Done, "2026-11-17 10:00");
    c.outcome("drain", PartOutcome::Done, "2026-11-17 10:00");
    assert_eq!(c.outcome("sign", PartOutcome::Refused, "2026-11-18 10:00"), ["bundle_part_ended", "bundle_completed"]);
    assert_eq!(c.state.status, BundleStatus::Ended);
}

#[test]
fn only_the_system_records_parts_and_each_once() {
    let mut c = Case::open(&ALL, "2026-11-16 09:00");
    let case = CaseId::parse("BJ20261116000001").unwrap();
    let other = CaseId::parse("BJ20261116000002").unwrap();
    let record = |part: &str, case: &CaseId| Command::RecordPart { part: part.into(), case: case.clone() };
    assert_eq!(c.refused(&clerk(), &record("food", &case), "2026-11-16 09:01"), "forbidden");
    assert_eq!(c.refused(&Actor::System, &record("water", &case), "2026-11-16 09:01"), "unknown_part");
    assert_eq!(c.act(&Actor::System, &record("food", &case), "2026-11-16 09:01"), ["bundle_part_opened"]);
    assert_eq!(c.refused(&Actor::System, &record("food", &case), "2026-11-16 09:02"), "already_done");
    assert_eq!(c.refused(&Actor::System, &record("food", &other), "2026-11-16 09:02"), "part_opened");
    let done = Command::RecordOutcome { part: "food".into(), outcome: PartOutcome::Done };
    assert_eq!(c.refused(&clerk(), &done, "2026-11-16 09:03"), "forbidden");
    c.act(&Actor::System, &done, "2026-11-16 09:03");
    assert_eq!(c.refused(&Actor::System, &done, "2026-11-16 09:04"), "already_done");
}

#[test]
fn the_window_withdraws_a_running_bundle() {
    let mut c = Case::open(&ALL, "2026-11-16 09:00");
    let w = Command::Withdraw { reason: Some("店址变更".into()) };
    assert_eq!(c.refused(&staff("clerk-b", "cgw", &[Role::Clerk]), &w, "2026-11-17 09:00"), "forbidden");
    assert_eq!(c.refused(&Actor::Citizen, &w, "2026-11-17 09:00"), "forbidden", "registered at the window");
    assert_eq!(c.act(&clerk(), &w, "2026-11-17 09:00"), ["bundle_stopped"]);
    assert_eq!(c.state.stopped.as_deref(), Some("申请人撤回：店址变更"));
    assert_eq!(c.refused(&clerk(), &w, "2026-11-17 09:01"), "transition_not_allowed");
}

#[test]
fn a_part_outcome_follows_its_application() {
    use application::ApplicationStatus as S;
    let table = [
        (S::Received, None, None),
        (S::Accepted, None, None),
        (S::Certifying, Some(true), None),
        (S::Delivering, Some(false), Some(PartOutcome::Refused)),
        (S::Done, Some(false), Some(PartOutcome::Refused)),
        (S::Done, Some(true), Some(PartOutcome::Done)),
        (S::Rejected, None, Some(PartOutcome::Refused)),
        (S::Withdrawn, None, Some(PartOutcome::Withdrawn)),
    ];
    for (status, granted, want) in table {
        assert_eq!(bundle::outcome_of(status, granted), want, "{status:?} {granted:?}");
    }
}
