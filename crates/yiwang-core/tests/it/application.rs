//! The service application (办件): 行政许可法's clocks as rule tables on the real
//! calendar (weekends, 春节, 国庆 and their 调休 working days), and each rule reached
//! by acting it out through `decide` and `evolve`.

use crate::fixture::{code_of, context, t};
use std::collections::BTreeMap;
use yiwang_core::Instant;
use yiwang_core::application::service::{CertificateSpec, Depth, Field, FieldType, Material, ServiceType, Step};
use yiwang_core::application::{
    self, Application, ApplicationClock, ApplicationEvent, ApplicationKind, ApplicationStatus, Catalogue, Channel,
    Command, Delivery, Enterprise, Missing, NewApplication, Provided, Service, Verdict,
};
use yiwang_core::case::{Envelope, Kind, Refusal};
use yiwang_core::deadline::{Clocks, Stage};
use yiwang_core::id::{CaseId, CreditCode, Username};
use yiwang_core::org::{Actor, Role, UnitKind};

fn staff(name: &str, unit: &str, roles: &[Role]) -> Actor {
    Actor::Staff {
        username: Username::parse(name).unwrap(),
        unit: code_of(unit),
        unit_kind: UnitKind::Department,
        roles: roles.to_vec(),
    }
}
/// The 市场监管局's window clerk, reviewer, approver and head.
fn clerk() -> Actor {
    staff("clerk", "scj", &[Role::Clerk])
}
fn reviewer() -> Actor {
    staff("reviewer", "scj", &[Role::Reviewer])
}
fn approver() -> Actor {
    staff("approver", "scj", &[Role::Approver])
}
fn head() -> Actor {
    staff("head", "scj", &[Role::UnitLeader])
}
/// Another department's clerk (水务局).
fn other_clerk() -> Actor {
    staff("clerk-b", "sw", &[Role::Clerk])
}

/// 食品经营许可 of the 市场监管局: 20 days in law, 10 promised, a 现场核查 step
/// that does not count, and a licence.
fn food_licence() -> Service {
    Service {
        code: "food-business".into(),
        version: 1,
        name: "食品经营许可".into(),
        department: code_of("scj"),
        service_type: ServiceType::Licence,
        legal_basis: "《中华人民共和国食品安全法》第三十五条".into(),
        legal_days: 20,
        promised_days: 10,
        instant: false,
        conditions: "有与经营的食品品种、数量相适应的经营场所".into(),
        materials: vec![
            Material {
                code: "application-form".into(),
                name: "食品经营许可申请书".into(),
                required: true,
                original: true,
                certificate: None,
                note: None,
            },
            Material {
                code: "business-licence".into(),
                name: "营业执照".into(),
                required: true,
                original: false,
                certificate: Some("business-licence".into()),
                note: None,
            },
            Material {
                code: "floor-plan".into(),
                name: "经营场所平面布局图".into(),
                required: true,
                original: false,
                certificate: None,
                note: None,
            },
        ],
        fields: vec![
            Field {
                code: "shop-name".into(),
                label: "店铺名称".into(),
                field_type: FieldType::Text { max: 50 },
                required: true,
            },
            Field {
                code: "area-sqm".into(),
                label: "经营面积（平方米）".into(),
                field_type: FieldType::Number { min: Some(1.0), max: Some(100000.0) },
                required: true,
            },
            Field {
                code: "kind".into(),
                label: "经营项目".into(),
                field_type: FieldType::Choice {
                    options: vec!["预包装食品销售".into(), "热食类食品制售".into()]
                },
                required: true,
            },
            Field {
                code: "contact".into(), label: "联系电话".into(), field_type: FieldType::Phone, required: false
            },
        ],
        fees: vec![],
        depth: Depth::Visits(1),
        place: Some("区政务服务中心二楼市场监管窗口".into()),
        steps: vec![
            Step { code: "accept".into(), name: "受理".into(), counted: true },
            Step { code: "inspection".into(), name: "现场核查".into(), counted: false },
            Step { code: "decide".into(), name: "决定".into(), counted: true },
        ],
        certificate: Some(CertificateSpec {
            code: "food-business-licence".into(),
            name: "食品经营许可证".into(),
            valid_years: Some(5),
            gbt36904: None,
        }),
        supplement_days: 5,
        for_enterprises: true,
    }
}

/// A 即办件 for people: 个体工商户名称变更, decided at the window.
fn instant_service() -> Service {
    Service {
        code: "sole-trader-change".into(),
        name: "个体工商户变更登记".into(),
        legal_basis: "《促进个体工商户发展条例》".into(),
        legal_days: 15,
        promised_days: 0,
        instant: true,
        materials: vec![Material {
            code: "id-card".into(),
            name: "经营者身份证件".into(),
            required: true,
            original: true,
            certificate: Some("id-card".into()),
            note: None,
        }],
        fields: vec![],
        depth: Depth::Online,
        steps: vec![],
        certificate: None,
        for_enterprises: false,
        ..food_licence()
    }
}

fn enterprise() -> Enterprise {
    Enterprise { code: CreditCode::parse("91350100M000100Y43").unwrap(), name: "云溪区好味餐饮店".into() }
}

fn form() -> BTreeMap<String, String> {
    [("shop-name", "好味小厨"), ("area-sqm", "85"), ("kind", "热食类食品制售")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn given(material: &str) -> Provided {
    Provided {
        material: material.into(),
        files: vec![format!("uploads/{material}.pdf")],
        certificate: None,
        paper: false,
    }
}

fn new_app(channel: Channel, materials: Vec<Provided>) -> NewApplication {
    NewApplication {
        service: food_licence(),
        channel,
        enterprise: Some(enterprise()),
        form: form(),
        materials,
        area: None,
        tracking_code: Some("BJ7K2M9Q".into()),
    }
}

fn complete() -> Vec<Provided> {
    vec![given("application-form"), given("business-licence"), given("floor-plan")]
}

/// An application acted out event by event.
struct Case {
    state: Application,
}

impl Case {
    fn open(n: &NewApplication, who: &Actor, at: Instant) -> Case {
        let events = application::open(n, &context(who, at)).unwrap_or_else(|e| panic!("open refused: {e}"));
        Case { state: fold(None, 1, at, who, &events) }
    }
    fn decide(&self, who: &Actor, cmd: &Command, at: Instant) -> Result<Vec<ApplicationEvent>, Refusal> {
        application::decide(&self.state, cmd, &context(who, at))
    }
    fn act(&mut self, who: &Actor, cmd: &Command, at: Instant) -> Vec<ApplicationEvent> {
        let events = self.decide(who, cmd, at).unwrap_or_else(|e| panic!("{cmd:?} refused: {e}"));
        self.record(who, &events, at);
        events
    }
    fn refused(&self, who: &Actor, cmd: &Command, at: Instant) -> &'static str {
        match self.decide(who, cmd, at) {
            Err(e) => e.code(),
            Ok(events) => panic!("{cmd:?} by {who:?} was allowed: {events:?}"),
        }
    }
    fn record(&mut self, who: &Actor, events: &[ApplicationEvent], at: Instant) {
        self.state = fold(Some(self.state.clone()), self.state.version + 1, at, who, events);
    }
    /// The scheduler at `at`.
    fn tick(&mut self, at: Instant) -> Vec<ApplicationEvent> {
        let events = application::alarms(&self.state, &context(&Actor::System, at));
        if !events.is_empty() {
            self.record(&Actor::System, &events, at);
        }
        events
    }
    fn due(&self, clock: ApplicationClock) -> Instant {
        self.state.clocks.clock(clock).unwrap_or_else(|| panic!("no {clock:?} clock")).due
    }
}

fn fold(state: Option<Application>, first: u32, at: Instant, who: &Actor, events: &[ApplicationEvent]) -> Application {
    let mut s = state;
    for (i, e) in events.iter().enumerate() {
        let env = Envelope {
            case: CaseId::parse("BJ20260105000001").unwrap(),
            seq: first + i as u32,
            at,
            actor: who.clone(),
            event: e.clone(),
        };
        s = application::evolve(s, &env);
        ApplicationKind::check(s.as_ref().unwrap()).expect("every state reached by decide passes check");
    }
    s.expect("an application")
}

fn names(events: &[ApplicationEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.name()).collect()
}

fn accepted_at(at: &str) -> Case {
    let mut c = Case::open(&new_app(Channel::Online, complete()), &Actor::Citizen, t(at));
    c.act(&clerk(), &Command::Accept { verdict: None }, t(at));
    c
}

fn grant() -> Verdict {
    Verdict { grant: true, reasons: None }
}

// The unified social credit code ---------------------------------------------------

#[test]
fn credit_codes_are_checked_as_gb_32100_says() {
    // The standard's own example, 小米 and 腾讯 as registered.
    for ok in ["91350100M000100Y43", "91110108551385082Q", "91440300708461136T"] {
        assert_eq!(CreditCode::parse(ok).unwrap().as_str(), ok);
    }
    // Full width, lower case and spaces are read as what they are.
    assert_eq!(CreditCode::parse("９１３５０１００ｍ０００１００ｙ４３").unwrap().as_str(), "91350100M000100Y43");
    assert_eq!(CreditCode::parse(" 91350100m000100y43 ").unwrap().as_str(), "91350100M000100Y43");
    for (bad, why) in [
        ("91350100M000100Y44", "校验位"),
        ("91350100M000100Y4", "18位"),
        ("91350100O000100Y43", "18位"), // O is not in the alphabet
        ("9135A100M000100Y43", "行政区划"),
        ("", "18位"),
    ] {
        let e = CreditCode::parse(bad).unwrap_err();
        assert!(e.rule.contains(why), "{bad}: {}", e.rule);
    }
    assert_eq!(CreditCode::parse("91350100M000100Y43").unwrap().masked(), "91350100******0Y43");
}

// The catalogue ------------------------------------------------------------------

const CATALOGUE: &str = r#"
[[service]]
code = "residence-permit"
name = "居住证签发"
department = "sw"
type = "public"
legal_basis = "《居住证暂行条例》第十条"
legal_days = 15
promised_days = 7
depth = { visits = 1 }
steps = [{ code = "check", name = "核查" }]

[[service.materials]]
code = "id-card"
name = "居民身份证"
original = true
certificate = "id-card"

[[service.fields]]
code = "address"
label = "居住地址"
type = "text"
max = 100

[[service]]
code = "birth-registration"
name = "生育登记"
department = "sw"
type = "public"
legal_basis = "《河南省人口与计划生育条例》"
legal_days = 1
promised_days = 0
instant = true
depth = "online"
"#;

#[test]
fn a_catalogue_file_is_read_and_each_fault_is_named() {
    let c = Catalogue::parse_toml(CATALOGUE).unwrap();
    assert_eq!(c.services.len(), 2);
    let s = c.get("residence-permit").unwrap();
    assert_eq!((s.version, s.supplement_days, s.depth), (1, 30, Depth::Visits(1)));
    assert!(s.materials[0].required && s.materials[0].original);
    assert!(s.steps[0].counted);
    assert!(c.get("birth-registration").unwrap().instant);
    // The same as JSON.
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(Catalogue::parse_json(&json).unwrap(), c);

    for (change, fault) in [
        (("promised_days = 7", "promised_days = 21"), "承诺时限（21）不能长于法定时限（15）"),
        (("promised_days = 7", "promised_days = 0"), "即办件的承诺时限为 0"),
        (("code = \"birth-registration\"", "code = \"residence-permit\""), "出现了两次"),
        (("legal_days = 15", "legal_days = 15\ncolour = \"red\""), "unknown field `colour`"),
        (("max = 100", "max = 0"), "长度上限"),
        (("depth = { visits = 1 }", "depth = { visits = 0 }"), "全程网办"),
    ] {
        let text = CATALOGUE.replacen(change.0, change.1, 1);
        let e = Catalogue::parse_toml(&text).unwrap_err();
        assert!(e.contains(fault), "{change:?}: {e}");
    }
}

#[test]
fn a_form_is_checked_field_by_field() {
    let s = food_licence();
    let mut f = form();
    f.insert("contact".into(), "138 0013 8000".into());
    let kept = s.check_form(&f).unwrap();
    assert_eq!(kept["contact"], "13800138000");
    assert_eq!(kept["area-sqm"], "85");
    let with = |k: &str, v: &str| {
        let mut f = form();
        f.insert(k.into(), v.into());
        s.check_form(&f).map(|_| ()).map_err(|e| (e.code(), e.to_string()))
    };
    let without = |k: &str| {
        let mut f = form();
        f.remove(k);
        s.check_form(&f).map(|_| ()).map_err(|e| (e.code(), e.to_string()))
    };
    assert_eq!(without("shop-name").unwrap_err(), ("form_field_missing", "请填写“店铺名称”".into()));
    assert!(without("contact").is_ok(), "an optional field may be left out");
    assert_eq!(with("colour", "红").unwrap_err().0, "unknown_form_field");
    assert_eq!(with("area-sqm", "八十五").unwrap_err().0, "form_field_invalid");
    assert_eq!(with("area-sqm", "0").unwrap_err().0, "form_field_invalid");
    assert_eq!(with("area-sqm", "８５").map(|_| ()), Ok(()));
    assert!(with("kind", "网吧").unwrap_err().1.contains("预包装食品销售、热食类食品制售"));
    assert!(with("shop-name", &"好".repeat(51)).unwrap_err().1.contains("50"));
    assert_eq!(with("contact", "12345").unwrap_err().0, "form_field_invalid");
}

// Filing -------------------------------------------------------------------------

#[test]
fn online_the_applicant_files_at_the_window_a_clerk_registers_and_the_applicant_came_once() {
    let at = t("2026-11-02 09:00");
    let online = Case::open(&new_app(Channel::Online, complete()), &Actor::Citizen, at);
    assert_eq!(
        (online.state.status, online.state.visits, online.state.registered_by.clone()),
        (ApplicationStatus::Received, 0, None)
    );
    let window = Case::open(&new_app(Channel::Window, complete()), &clerk(), at);
    assert_eq!(window.state.visits, 1);
    assert_eq!(window.state.registered_by, Some(code_of("scj")));
    // The hall's 综合窗口 of another unit may register (无差别受理), and so may act as
    // the window on it; a third unit may not.
    let hall = Case::open(&new_app(Channel::Window, complete()), &other_clerk(), at);
    assert_eq!(ApplicationKind::project(&hall.state).access, vec![code_of("scj"), code_of("sw")]);
    assert!(hall.decide(&other_clerk(), &Command::Accept { verdict: None }, at).is_ok());
    assert_eq!(online.refused(&other_clerk(), &Command::Accept { verdict: None }, at), "forbidden");

    for (who, channel) in [(clerk(), Channel::Online), (Actor::Citizen, Channel::Window), (reviewer(), Channel::Window)]
    {
        let got = application::open(&new_app(channel, complete()), &context(&who, at));
        assert!(matches!(got, Err(Refusal::Forbidden { .. })), "{who:?} {channel:?}: {got:?}");
    }
}

#[test]
fn what_is_handed_in_must_be_on_the_list_and_an_enterprise_service_needs_its_enterprise() {
    let at = t("2026-11-02 09:00");
    let refusal = |n: NewApplication| application::open(&n, &context(&Actor::Citizen, at)).unwrap_err().code();
    assert_eq!(refusal(new_app(Channel::Online, vec![given("passport")])), "unknown_material");
    assert_eq!(refusal(new_app(Channel::Online, vec![given("floor-plan"), given("floor-plan")])), "material_twice");
    let empty = Provided { material: "floor-plan".into(), files: vec![], certificate: None, paper: false };
    assert_eq!(refusal(new_app(Channel::Online, vec![empty.clone()])), "material_empty");
    // Paper is handed in at the window, and only there.
    let paper = Provided { paper: true, ..empty };
    assert_eq!(refusal(new_app(Channel::Online, vec![paper.clone()])), "paper_at_window");
    assert!(application::open(&new_app(Channel::Window, vec![paper]), &context(&clerk(), at)).is_ok());
    // A certificate may stand in only where the list says so.
    let cert = |m: &str| Provided {
        material: m.into(),
        files: vec![],
        certificate: Some("GSXX-2026-0001".into()),
        paper: false,
    };
    assert_eq!(refusal(new_app(Channel::Online, vec![cert("floor-plan")])), "certificate_not_accepted");
    assert!(
        application::open(&new_app(Channel::Online, vec![cert("business-licence")]), &context(&Actor::Citizen, at))
            .is_ok()
    );
    assert_eq!(
        refusal(NewApplication { enterprise: None, ..new_app(Channel::Online, complete()) }),
        "enterprise_required"
    );
    let person = NewApplication {
        service: instant_service(),
        enterprise: Some(enterprise()),
        form: BTreeMap::new(),
        materials: vec![],
        ..new_app(Channel::Online, vec![])
    };
    assert_eq!(refusal(person), "enterprise_not_applicable");
}

// The legal clocks, on the real calendar -------------------------------------------

#[test]
fn the_clocks_of_the_law_count_working_days_across_weekends_holidays_and_their_working_weekends() {
    // (what, started, working days, due): every due worked out by hand from the State
    // Council's 2026 notice.
    struct Row {
        what: &'static str,
        at: &'static str,
        clock: ApplicationClock,
        due: &'static str,
    }
    let rows = [
        // §32's 5 days over 春节: Sat 2-14 is worked, 2-15 to 2-23 are not.
        Row {
            what: "notice over 春节",
            at: "2026-02-13 10:00",
            clock: ApplicationClock::Notice,
            due: "2026-02-27 10:00",
        },
        // Over 中秋 and 国庆, with Sun 9-20 worked.
        Row {
            what: "notice before 国庆",
            at: "2026-09-18 10:00",
            clock: ApplicationClock::Notice,
            due: "2026-09-24 10:00",
        },
        // §42's 20 days from 受理 on Mon 9-21: 9-22…24, 9-28…30, 10-8, 10-9, Sat 10-10, 10-12…16, 10-19…23, 10-26.
        Row {
            what: "legal over 国庆",
            at: "2026-09-21 09:00",
            clock: ApplicationClock::Legal,
            due: "2026-10-26 09:00",
        },
        // The 10 promised days: 9-22…24, 9-28…30, 10-8, 10-9, Sat 10-10, 10-12.
        Row {
            what: "promised over 国庆",
            at: "2026-09-21 09:00",
            clock: ApplicationClock::Promised,
            due: "2026-10-12 09:00",
        },
        // A plain month: 20 working days from Mon 11-02.
        Row {
            what: "legal in November",
            at: "2026-11-02 09:00",
            clock: ApplicationClock::Legal,
            due: "2026-11-30 09:00",
        },
    ];
    for r in rows {
        let c = match r.clock {
            ApplicationClock::Notice => Case::open(&new_app(Channel::Online, complete()), &Actor::Citizen, t(r.at)),
            _ => accepted_at(r.at),
        };
        assert_eq!(c.due(r.clock), t(r.due), "{}", r.what);
    }

    // §44: the certificate within 10 days of a decision on Thu 4-30, over 劳动节
    // (5-1…5-5 off, Sat 5-9 worked): 5-6, 7, 8, 9, 11…15, and 5-18 16:00.
    let mut c = accepted_at("2026-04-20 09:00");
    c.act(&approver(), &Command::Decide { verdict: grant() }, t("2026-04-30 16:00"));
    assert_eq!(c.state.status, ApplicationStatus::Certifying);
    assert_eq!(c.due(ApplicationClock::Certificate), t("2026-05-18 16:00"));
}

#[test]
fn a_department_silent_past_the_notice_period_has_the_application_accepted_from_the_day_its_material_arrived() {
    let mut c = Case::open(&new_app(Channel::Online, complete()), &Actor::Citizen, t("2026-02-13 10:00"));
    // Yellow at 4 of the 5 days (2-26 10:00), still not accepted a minute before.
    assert_eq!(names(&c.tick(t("2026-02-27 09:59"))), ["application_clock_warned"]);
    assert_eq!(c.state.status, ApplicationStatus::Received);
    let events = c.tick(t("2026-02-27 10:00"));
    assert_eq!(names(&events), ["application_accepted"]);
    assert!(c.state.deemed_accepted);
    assert_eq!(c.state.accepted_at, Some(t("2026-02-13 10:00")));
    // The decision's clocks run from the arrival: 10 promised days from Fri 2-13
    // 10:00 (Sat 2-14, 2-24…27, Sat 2-28, 3-02…04) end on 3-05 10:00.
    assert_eq!(c.due(ApplicationClock::Promised), t("2026-03-05 10:00"));
    assert_eq!(ApplicationKind::notices(None, &events), ["application_accepted"]);

    // Past the period, no 补正 can be asked any more; accepting records the law's date.
    let mut late = Case::open(&new_app(Channel::Online, complete()), &Actor::Citizen, t("2026-11-02 09:00"));
    let ask = Command::AskSupplement {
        missing: vec![Missing { material: None, what: "法定代表人签字".into() }],
        on_the_spot: false,
    };
    assert_eq!(late.refused(&clerk(), &ask, t("2026-11-09 09:00")), "notice_period_passed");
    late.act(&clerk(), &Command::Accept { verdict: None }, t("2026-11-10 09:00"));
    assert!(late.state.deemed_accepted);
    assert_eq!(late.state.accepted_at, Some(t("2026-11-02 09:00")));
    assert_eq!(late.due(ApplicationClock::Legal), t("2026-11-30 09:00"));
}

#[test]
fn a_supplement_is_asked_once_and_completely_and_at_the_window_costs_the_applicant_two_visits() {
    let at = t("2026-11-02 09:00");
    let mut c = Case::open(&new_app(Channel::Window, vec![given("application-form")]), &clerk(), at);
    let ask = Command::AskSupplement {
        missing: vec![
            Missing { material: Some("business-licence".into()), what: "营业执照复印件".into() },
            Missing { material: Some("floor-plan".into()), what: "标明设备布局的平面图".into() },
        ],
        on_the_spot: true,
    };
    assert_eq!(c.refused(&reviewer(), &ask, at), "forbidden");
    let empty = Command::AskSupplement { missing: vec![], on_the_spot: true };
    assert_eq!(c.refused(&clerk(), &empty, at), "missing_required");
    c.act(&clerk(), &ask, at);
    assert_eq!(c.state.status, ApplicationStatus::Supplementing);
    assert!(c.state.clocks.clock(ApplicationClock::Notice).is_none(), "the notice clock stops");
    // The applicant's 5 working days: Mon 11-02 to Mon 11-09.
    assert_eq!(c.due(ApplicationClock::Supplement), t("2026-11-09 09:00"));
    assert_eq!(c.refused(&clerk(), &Command::Accept { verdict: None }, at), "transition_not_allowed");

    // Back at the window with the rest: a second visit, and the notice period anew.
    let rest = Command::Supplement { materials: vec![given("business-licence"), given("floor-plan")], in_person: true };
    assert_eq!(c.refused(&Actor::Citizen, &rest, t("2026-11-05 10:00")), "in_person_needs_clerk");
    c.act(&clerk(), &rest, t("2026-11-05 10:00"));
    assert_eq!((c.state.status, c.state.visits), (ApplicationStatus::Received, 2));
    assert_eq!(c.state.materials.len(), 3);
    assert_eq!(c.due(ApplicationClock::Notice), t("2026-11-12 10:00"));
    // Once only.
    assert_eq!(c.refused(&clerk(), &ask, t("2026-11-05 11:00")), "supplement_once");
    c.act(&clerk(), &Command::Accept { verdict: None }, t("2026-11-05 11:00"));
    assert!(!c.state.deemed_accepted);
}

#[test]
fn an_applicant_who_never_hands_the_material_in_is_treated_as_withdrawing() {
    let mut c =
        Case::open(&new_app(Channel::Online, vec![given("application-form")]), &Actor::Citizen, t("2026-11-02 09:00"));
    let ask = Command::AskSupplement {
        missing: vec![Missing { material: Some("floor-plan".into()), what: "平面图".into() }],
        on_the_spot: false,
    };
    c.act(&clerk(), &ask, t("2026-11-02 10:00"));
    // Yellow at 80 % of the period, then withdrawn when it runs out.
    assert_eq!(names(&c.tick(t("2026-11-06 10:00"))), ["application_clock_warned"]);
    assert!(c.tick(t("2026-11-09 09:59")).is_empty());
    let events = c.tick(t("2026-11-09 10:00"));
    assert_eq!(names(&events), ["application_withdrawn"]);
    assert!(c.state.withdrawn_deemed);
    assert_eq!(c.state.status, ApplicationStatus::Withdrawn);
    assert_eq!(ApplicationKind::notices(None, &events), ["application_lapsed"]);
    assert!(c.tick(t("2026-12-01 10:00")).is_empty(), "a closed application raises no alarms");
}

#[test]
fn an_instant_service_is_decided_at_acceptance() {
    let n = NewApplication {
        service: instant_service(),
        enterprise: None,
        form: BTreeMap::new(),
        materials: vec![Provided {
            material: "id-card".into(),
            files: vec![],
            certificate: Some("ID-1".into()),
            paper: false,
        }],
        ..new_app(Channel::Window, vec![])
    };
    let at = t("2026-11-02 09:00");
    let mut c = Case::open(&n, &clerk(), at);
    assert_eq!(c.refused(&clerk(), &Command::Accept { verdict: None }, at), "instant_needs_verdict");
    let events = c.act(&clerk(), &Command::Accept { verdict: Some(grant()) }, at);
    assert_eq!(names(&events), ["application_accepted", "application_decided"]);
    assert_eq!(
        (c.state.status, c.state.on_time, c.state.working_seconds),
        (ApplicationStatus::Delivering, Some(true), Some(0))
    );
    c.act(&clerk(), &Command::Deliver { how: Delivery::OnTheSpot }, at);
    // Registered, decided and handed over in the one visit.
    assert_eq!((c.state.status, c.state.visits), (ApplicationStatus::Done, 1));
    let facts = ApplicationKind::project(&c.state).facts;
    assert!(facts.iter().any(|f| f.name == "application_instant" && f.flag));

    // A 承诺件 is not decided at the window.
    let mut other = Case::open(&new_app(Channel::Online, complete()), &Actor::Citizen, at);
    assert_eq!(other.refused(&clerk(), &Command::Accept { verdict: Some(grant()) }, at), "not_instant");
    other.act(&clerk(), &Command::Accept { verdict: None }, at);
}

#[test]
fn the_decision_is_extended_once_by_at_most_ten_days_with_the_heads_approval() {
    let mut c = accepted_at("2026-09-21 09:00");
    let ask = |days| Command::AskExtension { days, reason: "需征求消防部门意见".into() };
    assert_eq!(c.refused(&clerk(), &ask(10), t("2026-10-20 09:00")), "forbidden");
    assert_eq!(c.refused(&reviewer(), &ask(11), t("2026-10-20 09:00")), "extension_too_long");
    assert_eq!(c.refused(&reviewer(), &ask(10), t("2026-10-26 09:00")), "deadline_passed");
    c.act(&reviewer(), &ask(10), t("2026-10-20 09:00"));
    assert_eq!(c.refused(&reviewer(), &ask(5), t("2026-10-20 10:00")), "extension_once");
    let yes = Command::DecideExtension { approved: true, note: None };
    assert_eq!(c.refused(&approver(), &yes, t("2026-10-20 10:00")), "forbidden", "the head approves");
    c.act(&head(), &yes, t("2026-10-20 10:00"));
    // 10-26 09:00 plus 10 working days: 10-27…30, 11-02…06, 11-09.
    assert_eq!(c.due(ApplicationClock::Legal), t("2026-11-09 09:00"));
    assert_eq!(c.refused(&head(), &yes, t("2026-10-20 11:00")), "no_extension_asked");
}

#[test]
fn time_spent_on_an_uncounted_step_pauses_the_clocks_and_the_applicant_is_told() {
    let mut c = accepted_at("2026-11-02 09:00");
    let suspend = |step: &str| Command::Suspend { step: step.into(), reason: "需现场核查经营场所".into() };
    assert_eq!(c.refused(&reviewer(), &suspend("decide"), t("2026-11-04 09:00")), "step_counted");
    assert_eq!(c.refused(&clerk(), &suspend("inspection"), t("2026-11-04 09:00")), "forbidden");
    let events = c.act(&reviewer(), &suspend("inspection"), t("2026-11-04 09:00"));
    assert_eq!(ApplicationKind::notices(None, &events), ["application_suspended"]);
    assert_eq!(c.state.status, ApplicationStatus::Suspended);
    assert!(c.tick(t("2026-12-31 09:00")).is_empty(), "paused clocks raise no alarms");
    assert_eq!(
        c.refused(&approver(), &Command::Decide { verdict: grant() }, t("2026-11-10 09:00")),
        "transition_not_allowed"
    );
    c.act(&reviewer(), &Command::Resume { result: "核查合格".into() }, t("2026-11-16 09:00"));
    assert_eq!(c.state.status, ApplicationStatus::Accepted);
    // 2 of 20 working days were used before the pause; 18 from Mon 11-16 end on 12-10.
    assert_eq!(c.due(ApplicationClock::Legal), t("2026-12-10 09:00"));
    // And the 10 promised: 8 left, 11-17 … 11-26.
    assert_eq!(c.due(ApplicationClock::Promised), t("2026-11-26 09:00"));
    // Decided two working days later: four working days taken, the pause left out,
    // and counted as 8 half days in November.
    c.act(&approver(), &Command::Decide { verdict: grant() }, t("2026-11-18 09:00"));
    assert_eq!(c.state.working_seconds, Some(4 * 86_400));
    let time = ApplicationKind::project(&c.state).facts.into_iter().find(|f| f.name == "application_time").unwrap();
    assert_eq!((time.month.as_str(), time.flag, time.value.as_str()), ("2026-11", true, "food-business|8"));
}

#[test]
fn a_decision_is_the_approvers_a_refusal_gives_reasons_and_lateness_is_recorded() {
    let mut c = accepted_at("2026-11-02 09:00");
    c.act(&reviewer(), &Command::Review { opinion: "材料齐全，符合条件".into(), grant: true }, t("2026-11-10 09:00"));
    assert_eq!(c.state.status, ApplicationStatus::Reviewed);
    let refuse = Command::Decide { verdict: Verdict { grant: false, reasons: None } };
    assert_eq!(c.refused(&approver(), &refuse, t("2026-11-20 09:00")), "reasons_required");
    assert_eq!(c.refused(&reviewer(), &Command::Decide { verdict: grant() }, t("2026-11-20 09:00")), "forbidden");
    // The promise ran out on 11-16 09:00: yellow, then red, then a late decision.
    assert_eq!(names(&c.tick(t("2026-11-13 09:00"))), ["application_clock_warned"]);
    assert_eq!(names(&c.tick(t("2026-11-16 09:00"))), ["application_clock_overdue"]);
    assert_eq!(c.state.stage(), Stage::Red);
    c.act(&approver(), &Command::Decide { verdict: grant() }, t("2026-11-20 09:00"));
    assert_eq!(c.state.on_time, Some(false));
    assert_eq!(
        c.refused(&Actor::Citizen, &Command::Withdraw { reason: None, in_person: false }, t("2026-11-20 10:00")),
        "already_decided"
    );
    let certify = |until| Command::Certify {
        number: "JY13501000000001".into(),
        valid_from: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        valid_until: until,
        signed: None,
    };
    assert_eq!(
        c.refused(&clerk(), &certify(chrono::NaiveDate::from_ymd_opt(2026, 11, 1)), t("2026-11-20 10:00")),
        "validity_invalid"
    );
    c.act(&clerk(), &certify(chrono::NaiveDate::from_ymd_opt(2031, 11, 19)), t("2026-11-20 10:00"));
    assert_eq!(c.state.status, ApplicationStatus::Delivering);
    // Delivered electronically by the system: done, without one visit.
    c.act(&Actor::System, &Command::Deliver { how: Delivery::Electronic }, t("2026-11-20 10:01"));
    assert_eq!((c.state.status, c.state.visits), (ApplicationStatus::Done, 0));
    let p = ApplicationKind::project(&c.state);
    assert_eq!(p.header.status, "done");
    assert!(p.header.next_alarm.is_none());
    let fact = |name: &str| p.facts.iter().find(|f| f.name == name).map(|f| (f.flag, f.value.clone()));
    assert_eq!(fact("application_done"), Some((false, "food-business".into())));
    assert_eq!(fact("application_visits"), Some((true, "food-business|0".into())));
    assert_eq!(fact("application_online"), Some((true, "food-business".into())));
    assert_eq!(c.refused(&clerk(), &Command::Deliver { how: Delivery::Window }, t("2026-11-21 10:00")), "case_closed");
}

#[test]
fn an_applicant_withdraws_before_the_decision() {
    let mut c = accepted_at("2026-11-02 09:00");
    c.act(
        &Actor::Citizen,
        &Command::Withdraw { reason: Some("不再经营".into()), in_person: false },
        t("2026-11-03 09:00"),
    );
    assert_eq!(c.state.status, ApplicationStatus::Withdrawn);
    assert!(!c.state.withdrawn_deemed);
    assert!(ApplicationKind::project(&c.state).facts.is_empty(), "only a finished application counts");
}

#[test]
fn an_application_keeps_the_service_version_it_was_filed_under() {
    let c = Case::open(&new_app(Channel::Online, complete()), &Actor::Citizen, t("2026-11-02 09:00"));
    // The department edits the service afterwards: a new version with a new material.
    let mut v2 = food_licence();
    v2.version = 2;
    v2.materials.push(Material {
        code: "fire-commitment".into(),
        name: "消防安全承诺书".into(),
        required: true,
        original: true,
        certificate: None,
        note: None,
    });
    assert!(v2.check().is_ok());
    assert_eq!(c.state.service.version, 1);
    assert_eq!(c.state.service.materials.len(), 3);
    // The material list stays v1's: v2's new material is not on it.
    let more = Command::Supplement { materials: vec![given("fire-commitment")], in_person: false };
    let mut asked = c;
    asked.act(
        &clerk(),
        &Command::AskSupplement {
            missing: vec![Missing { material: None, what: "签字".into() }], on_the_spot: false
        },
        t("2026-11-02 10:00"),
    );
    assert_eq!(asked.refused(&Actor::Citizen, &more, t("2026-11-03 10:00")), "unknown_material");
    let detail: serde_json::Value = serde_json::from_str(&ApplicationKind::project(&asked.state).detail).unwrap();
    assert_eq!(detail["service_version"], 1);
}

// 好差评 and 差评整改 ----------------------------------------------------------------

use yiwang_core::application::Rating;
use yiwang_core::rating_fix::{self, Fix, FixEvent, FixStatus, NewFix, RatingFixKind};

/// An application delivered on 2026-11-20.
fn done() -> Case {
    let mut c = accepted_at("2026-11-02 09:00");
    c.act(&approver(), &Command::Decide { verdict: grant() }, t("2026-11-10 09:00"));
    c.act(
        &clerk(),
        &Command::Certify {
            number: "JY1".into(),
            valid_from: chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            valid_until: None,
            signed: None,
        },
        t("2026-11-10 10:00"),
    );
    c.act(&clerk(), &Command::Deliver { how: Delivery::Post }, t("2026-11-20 10:00"));
    c
}

fn rate(rating: Rating, comment: Option<&str>) -> Command {
    Command::Rate { rating, comment: comment.map(str::to_owned), named: true, dimensions: BTreeMap::new() }
}

#[test]
fn the_applicant_rates_once_when_it_has_ended_and_a_bad_rating_says_why() {
    let open = accepted_at("2026-11-02 09:00");
    assert_eq!(open.refused(&Actor::Citizen, &rate(Rating::Satisfied, None), t("2026-11-03 09:00")), "not_finished");
    let mut c = done();
    assert_eq!(c.refused(&clerk(), &rate(Rating::VerySatisfied, None), t("2026-11-21 09:00")), "forbidden");
    assert_eq!(c.refused(&Actor::Citizen, &rate(Rating::Unsatisfied, None), t("2026-11-21 09:00")), "comment_required");
    let pad = Actor::Client { name: "政务服务中心评价器".into() };
    c.act(&pad, &rate(Rating::VeryUnsatisfied, Some("窗口让我跑了两趟")), t("2026-12-01 09:00"));
    assert_eq!(c.refused(&Actor::Citizen, &rate(Rating::Satisfied, None), t("2026-12-01 10:00")), "already_done");
    let p = ApplicationKind::project(&c.state);
    let rated = p.facts.iter().find(|f| f.name == "application_rated").expect("a rating fact");
    // Counted in the month it was given, as 差评.
    assert_eq!((rated.month.as_str(), rated.flag), ("2026-12", false));
    assert!(p.facts.iter().any(|f| f.name == "application_done" && f.month == "2026-11"));
    assert!(Rating::Basic.is_good() && !Rating::Unsatisfied.is_good());
}

struct FixCase {
    state: Fix,
}

impl FixCase {
    fn open(named: bool, at: Instant) -> FixCase {
        let n = NewFix {
            application: CaseId::parse("BJ20261120000001").unwrap(),
            service: "food-business".into(),
            service_name: "食品经营许可".into(),
            department: code_of("scj"),
            rating: Rating::Unsatisfied,
            comment: "窗口让我跑了两趟".into(),
            named,
        };
        let events = rating_fix::open(&n, &context(&Actor::System, at)).unwrap();
        FixCase { state: fix_fold(None, 1, at, &Actor::System, &events) }
    }
    fn act(&mut self, who: &Actor, cmd: &rating_fix::Command, at: Instant) -> Vec<FixEvent> {
        let events = rating_fix::decide(&self.state, cmd, &context(who, at)).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        self.state = fix_fold(Some(self.state.clone()), self.state.version + 1, at, who, &events);
        events
    }
    fn refused(&self, who: &Actor, cmd: &rating_fix::Command, at: Instant) -> &'static str {
        rating_fix::decide(&self.state, cmd, &context(who, at)).expect_err("refused").code()
    }
}

fn fix_fold(state: Option<Fix>, first: u32, at: Instant, who: &Actor, events: &[FixEvent]) -> Fix {
    let mut s = state;
    for (i, e) in events.iter().enumerate() {
        let env = Envelope {
            case: CaseId::parse("CP20261120000001").unwrap(),
            seq: first + i as u32,
            at,
            actor: who.clone(),
            event: e.clone(),
        };
        s = rating_fix::evolve(s, &env);
    }
    s.expect("a fix")
}

fn centre() -> Actor {
    Actor::Staff {
        username: Username::parse("supervisor").unwrap(),
        unit: code_of("zx"),
        unit_kind: UnitKind::Centre,
        roles: vec![Role::Supervisor],
    }
}

#[test]
fn a_bad_rating_is_verified_put_right_and_answered_within_fifteen_working_days_and_called_back_when_named() {
    let mut c = FixCase::open(true, t("2026-11-20 10:00"));
    assert_eq!(c.state.status, FixStatus::Verifying);
    // 15 working days from Fri 11-20 10:00: 11-23…27, 11-30…12-04, 12-07…11 → Fri 12-11.
    assert_eq!(c.state.clocks[0].due, t("2026-12-11 10:00"));
    let verify = rating_fix::Command::Verify { founded: true, finding: "窗口未一次性告知补正材料".into() };
    assert_eq!(c.refused(&other_clerk(), &verify, t("2026-11-23 10:00")), "forbidden", "only the rated department");
    c.act(&head(), &verify, t("2026-11-23 10:00"));
    let answer = rating_fix::Command::Answer {
        measures: "对窗口人员进行一次性告知制度培训".into(),
        reply: "已核实，向您致歉，并已整改".into(),
    };
    let events = c.act(&head(), &answer, t("2026-12-01 10:00"));
    assert_eq!(RatingFixKind::notices(None, &events), ["rating_fix_answered"]);
    assert_eq!(
        (c.state.status, c.state.on_time),
        (FixStatus::Answered, Some(true)),
        "a named rating waits for its callback"
    );
    let call = rating_fix::Command::CallBack { satisfied: true, note: None };
    assert_eq!(c.refused(&head(), &call, t("2026-12-02 10:00")), "forbidden", "the centre calls back");
    c.act(&centre(), &call, t("2026-12-02 10:00"));
    assert_eq!(c.state.status, FixStatus::Closed);
    let p = RatingFixKind::project(&c.state);
    assert_eq!(
        p.facts.iter().map(|f| (f.name, f.flag, f.month.as_str())).collect::<Vec<_>>(),
        [("rating_fixed", true, "2026-12")]
    );

    // Anonymous, and late: closed at the answer, counted as not on time.
    let mut late = FixCase::open(false, t("2026-11-20 10:00"));
    let alarms = |f: &Fix, at| rating_fix::alarms(f, &context(&Actor::System, t(at)));
    assert_eq!(alarms(&late.state, "2026-12-08 10:00").len(), 1, "yellow at 80 %");
    late.act(&head(), &verify, t("2026-12-08 10:00"));
    late.act(&head(), &answer, t("2026-12-14 10:00"));
    assert_eq!((late.state.status, late.state.on_time), (FixStatus::Closed, Some(false)));
}

#[test]
fn an_unfounded_rating_goes_to_the_centre_which_sets_it_aside_or_sends_it_back() {
    let not_founded = rating_fix::Command::Verify {
        founded: false,
        finding: "申请人两次提交的材料均不全，已一次性告知".into(),
    };
    let mut c = FixCase::open(false, t("2026-11-20 10:00"));
    c.act(&head(), &not_founded, t("2026-11-23 10:00"));
    assert_eq!(c.state.status, FixStatus::Appealed);
    let uphold = rating_fix::Command::DecideAppeal { upheld: true, note: "经调阅记录，申诉属实".into() };
    assert_eq!(c.refused(&head(), &uphold, t("2026-11-24 10:00")), "forbidden");
    c.act(&centre(), &uphold, t("2026-11-24 10:00"));
    assert_eq!(c.state.status, FixStatus::SetAside);
    assert!(RatingFixKind::project(&c.state).facts.is_empty(), "a rating set aside counts nowhere");

    let mut back = FixCase::open(false, t("2026-11-20 10:00"));
    back.act(&head(), &not_founded, t("2026-11-23 10:00"));
    back.act(
        &centre(),
        &rating_fix::Command::DecideAppeal { upheld: false, note: "告知记录不完整".into() },
        t("2026-11-24 10:00"),
    );
    assert_eq!(back.state.status, FixStatus::Fixing);
    // Only a bad rating opens one, and only the system opens it.
    let good = NewFix {
        rating: Rating::Satisfied,
        ..NewFix {
            application: CaseId::parse("BJ20261120000001").unwrap(),
            service: "x".into(),
            service_name: "x".into(),
            department: code_of("scj"),
            rating: Rating::Unsatisfied,
            comment: "x".into(),
            named: false,
        }
    };
    assert_eq!(
        rating_fix::open(&good, &context(&Actor::System, t("2026-11-20 10:00"))).unwrap_err().code(),
        "not_a_bad_rating"
    );
    assert!(matches!(
        rating_fix::open(&good, &context(&head(), t("2026-11-20 10:00"))),
        Err(Refusal::Forbidden { .. })
    ));
}

#[test]
fn a_certificate_must_say_what_is_recorded_and_is_revoked_by_the_approver_even_after_the_end() {
    use yiwang_core::application::certificate::{CertificateDocument, SignedCertificate};
    let mut c = accepted_at("2026-11-02 09:00");
    c.act(&approver(), &Command::Decide { verdict: grant() }, t("2026-11-10 09:00"));
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
    let signed = |number: &str| {
        Some(Box::new(SignedCertificate {
            document: CertificateDocument {
                format: "yiwang-certificate/1".into(),
                status_id: "0".repeat(32),
                type_code: "food-business-licence".into(),
                type_name: "食品经营许可证".into(),
                number: number.into(),
                holder: "云溪区好味餐饮店".into(),
                holder_code: None,
                issuer: "区市场监督管理局".into(),
                issuer_code: "scj".into(),
                issued_on: day,
                valid_from: day,
                valid_until: None,
                items: vec![],
                application: c.state.id.clone(),
            },
            key_id: "k".into(),
            alg: "ed25519".into(),
            signature: "00".into(),
            cose_signature: None,
        }))
    };
    let certify = |number: &str, doc: &str| Command::Certify {
        number: number.into(),
        valid_from: day,
        valid_until: None,
        signed: signed(doc),
    };
    assert_eq!(c.refused(&clerk(), &certify("JY1", "JY2"), t("2026-11-10 10:00")), "certificate_mismatch");
    let revoke = Command::Revoke { reason: "以欺骗手段取得".into() };
    assert_eq!(c.refused(&approver(), &revoke, t("2026-11-10 10:00")), "no_certificate");
    c.act(&clerk(), &certify("JY1", "JY1"), t("2026-11-10 10:00"));
    assert_eq!(
        c.state.certificate.as_ref().and_then(|x| x.signed.as_ref()).map(|s| s.document.number.as_str()),
        Some("JY1")
    );
    c.act(&clerk(), &Command::Deliver { how: Delivery::Post }, t("2026-11-11 10:00"));
    assert_eq!(c.refused(&clerk(), &revoke, t("2026-11-12 10:00")), "forbidden");
    c.act(&approver(), &revoke, t("2026-11-12 10:00"));
    assert!(c.state.certificate.as_ref().unwrap().revoked.is_some());
    assert!(serde_json::from_str::<serde_json::Value>(&ApplicationKind::project(&c.state).detail).unwrap()["certificate_revoked"].as_bool().unwrap());
    assert_eq!(c.refused(&approver(), &revoke, t("2026-11-13 10:00")), "already_done");
}

// Rating dimensions, hall-visit ratings and payments ---------------------------------

use yiwang_core::application::service::Fee;
use yiwang_core::application::{Dimension, Dimensions};

fn dims(given: &[(Dimension, Rating)]) -> Dimensions {
    given.iter().copied().collect()
}

fn rate_visit(visit: u32, rating: Rating, given: &[(Dimension, Rating)], comment: Option<&str>) -> Command {
    Command::RateVisit { visit, rating, dimensions: dims(given), comment: comment.map(str::to_owned), named: false }
}

#[test]
fn a_rating_carries_the_online_dimensions_and_each_counts_in_the_month_it_was_given() {
    use Dimension::*;
    let mut c = done();
    let at = t("2026-12-01 09:00");
    let online = [(Efficiency, Rating::Satisfied), (Guide, Rating::Basic), (Convenience, Rating::VerySatisfied)];
    for (given, code) in [
        (vec![(Attitude, Rating::Satisfied)], "dimension_not_applicable"),
        (vec![(Level, Rating::Satisfied), (Guide, Rating::Satisfied)], "dimension_not_applicable"),
    ] {
        let cmd = Command::Rate { rating: Rating::Satisfied, comment: None, named: false, dimensions: dims(&given) };
        assert_eq!(c.refused(&Actor::Citizen, &cmd, at), code, "{given:?}");
    }
    let cmd = Command::Rate { rating: Rating::Satisfied, comment: None, named: false, dimensions: dims(&online) };
    c.act(&Actor::Citizen, &cmd, at);
    assert_eq!(c.state.rated.as_ref().unwrap().dimensions, dims(&online));
    let p = ApplicationKind::project(&c.state);
    let mut levels: Vec<&str> =
        p.facts.iter().filter(|f| f.name == application::FACT_DIMENSION).map(|f| f.value.as_str()).collect();
    levels.sort();
    assert_eq!(
        levels,
        [
            "food-business|online.convenience|5",
            "food-business|online.efficiency|4",
            "food-business|online.guide|3",
            "food-business|online.overall|4",
        ]
    );
    assert!(p.facts.iter().filter(|f| f.name == application::FACT_DIMENSION).all(|f| f.month == "2026-12"));
}

#[test]
fn a_rating_recorded_before_dimensions_existed_still_loads() {
    let old = r#"{"type":"rated","rating":"unsatisfied","comment":"慢","named":true}"#;
    let e: ApplicationEvent = serde_json::from_str(old).expect("an old rating event loads");
    let ApplicationEvent::Rated { dimensions, .. } = &e else { panic!("{e:?}") };
    assert!(dimensions.is_empty());
    // …and is written back as it was, so its hash does not move.
    assert_eq!(serde_json::to_string(&e).unwrap(), old);
    let mut c = done();
    c.record(&Actor::Citizen, &[e], t("2026-12-01 09:00"));
    assert_eq!(c.state.rated.as_ref().map(|r| r.rating), Some(Rating::Unsatisfied));
}

/// A window application with a 补正 handed in at the window: two visits, 窗口收件
/// and 窗口补正.
fn two_visits() -> Case {
    let at = t("2026-11-02 09:00");
    let mut c = Case::open(&new_app(Channel::Window, vec![given("application-form")]), &clerk(), at);
    let missing = vec![Missing { material: Some("floor-plan".into()), what: "平面图".into() }];
    c.act(&clerk(), &Command::AskSupplement { missing, on_the_spot: true }, at);
    let rest = Command::Supplement { materials: vec![given("business-licence"), given("floor-plan")], in_person: true };
    c.act(&clerk(), &rest, t("2026-11-05 10:00"));
    c
}

#[test]
fn each_visit_at_the_hall_is_rated_once_on_the_windows_pad_while_it_runs_or_after() {
    use Dimension::*;
    let mut c = two_visits();
    let steps: Vec<&str> = c.state.visit_log.iter().map(|v| v.step.as_str()).collect();
    assert_eq!((c.state.visits, steps), (2, vec!["窗口收件", "窗口补正"]));
    let at = t("2026-11-05 10:05");
    let good = rate_visit(
        2,
        Rating::VerySatisfied,
        &[(Efficiency, Rating::Satisfied), (Attitude, Rating::VerySatisfied)],
        None,
    );
    let pad = Actor::Client { name: "二楼市场监管窗口评价器".into() };
    // (who, command) → refusal code
    let table: Vec<(Actor, Command, &str)> = vec![
        (other_clerk(), good.clone(), "forbidden"),
        (reviewer(), good.clone(), "forbidden"),
        (clerk(), rate_visit(0, Rating::Satisfied, &[], None), "no_such_visit"),
        (clerk(), rate_visit(3, Rating::Satisfied, &[], None), "no_such_visit"),
        (clerk(), rate_visit(2, Rating::Satisfied, &[(Guide, Rating::Satisfied)], None), "dimension_not_applicable"),
        (clerk(), rate_visit(2, Rating::Satisfied, &[(Platform, Rating::Satisfied)], None), "dimension_not_applicable"),
        (clerk(), rate_visit(2, Rating::Unsatisfied, &[], None), "comment_required"),
    ];
    for (who, cmd, code) in &table {
        assert_eq!(c.refused(who, cmd, at), *code, "{cmd:?} by {who:?}");
    }
    // On the clerk's tablet, while the application runs.
    let events = c.act(&clerk(), &good, at);
    assert_eq!(names(&events), ["application_visit_rated"]);
    assert_eq!(c.state.status, ApplicationStatus::Received);
    assert_eq!(c.refused(&pad, &good, at), "already_done");
    // After the end, the first visit on the hall's own pad; then it too is rated.
    c.act(&clerk(), &Command::Accept { verdict: None }, t("2026-11-05 11:00"));
    c.act(
        &approver(),
        &Command::Decide { verdict: Verdict { grant: false, reasons: Some("场所不符".into()) } },
        t("2026-11-06 09:00"),
    );
    c.act(&clerk(), &Command::Deliver { how: Delivery::Post }, t("2026-11-06 10:00"));
    assert_eq!(c.state.status, ApplicationStatus::Done);
    let bad = rate_visit(1, Rating::VeryUnsatisfied, &[(Level, Rating::Unsatisfied)], Some("排队两小时"));
    c.act(&pad, &bad, t("2026-12-02 09:00"));
    assert_eq!(c.refused(&Actor::Citizen, &bad, t("2026-12-02 10:00")), "already_done");
    let p = ApplicationKind::project(&c.state);
    let mut hall: Vec<(&str, bool)> = p
        .facts
        .iter()
        .filter(|f| f.name == application::FACT_VISIT_RATED)
        .map(|f| (f.month.as_str(), f.flag))
        .collect();
    hall.sort();
    assert_eq!(hall, [("2026-11", true), ("2026-12", false)]);
    let mut levels: Vec<&str> =
        p.facts.iter().filter(|f| f.name == application::FACT_DIMENSION).map(|f| f.value.as_str()).collect();
    levels.sort();
    assert_eq!(
        levels,
        [
            "food-business|hall.attitude|5",
            "food-business|hall.efficiency|4",
            "food-business|hall.level|2",
            "food-business|hall.overall|1",
            "food-business|hall.overall|5",
        ]
    );
    // An all-online application has no visit to rate.
    let online = done();
    assert_eq!(online.refused(&Actor::Citizen, &rate_visit(1, Rating::Satisfied, &[], None), at), "no_such_visit");
}

/// 食品经营许可 with a fee: 10 元 工本费 and 2.50 元 邮寄费.
fn paid_service() -> Service {
    Service {
        fees: vec![
            Fee { name: "工本费".into(), amount: "10".into(), basis: "发改价格〔2026〕1号".into() },
            Fee { name: "邮寄费".into(), amount: "2.50".into(), basis: "自愿选择".into() },
        ],
        ..food_licence()
    }
}

fn payment(reference: &str, amount_fen: u64, paid_on: &str) -> Command {
    Command::RecordPayment {
        reference: reference.into(),
        amount_fen,
        paid_on: chrono::NaiveDate::parse_from_str(paid_on, "%Y-%m-%d").unwrap(),
    }
}

fn certify() -> Command {
    Command::Certify {
        number: "JY2".into(),
        valid_from: chrono::NaiveDate::from_ymd_opt(2026, 11, 11).unwrap(),
        valid_until: None,
        signed: None,
    }
}

#[test]
fn a_fee_is_paid_once_after_a_granting_decision_and_before_the_certificate() {
    let at = t("2026-11-02 09:00");
    let mut c = Case::open(
        &NewApplication { service: paid_service(), ..new_app(Channel::Online, complete()) },
        &Actor::Citizen,
        at,
    );
    c.act(&clerk(), &Command::Accept { verdict: None }, at);
    let ok = payment("FS2026-0001", 1250, "2026-11-11");
    assert_eq!(c.refused(&Actor::Citizen, &ok, t("2026-11-04 09:00")), "not_payable");
    c.act(&approver(), &Command::Decide { verdict: grant() }, t("2026-11-10 09:00"));
    let now = t("2026-11-11 09:00");
    assert_eq!(c.refused(&clerk(), &certify(), now), "payment_required");
    // (who, command) → refusal code
    let table: Vec<(Actor, Command, &str)> = vec![
        (other_clerk(), ok.clone(), "forbidden"),
        (reviewer(), ok.clone(), "forbidden"),
        (Actor::Citizen, payment("FS2026-0001", 1000, "2026-11-11"), "amount_mismatch"),
        (Actor::Citizen, payment("FS2026-0001", 0, "2026-11-11"), "amount_mismatch"),
        (Actor::Citizen, payment("FS 0001", 1250, "2026-11-11"), "reference_invalid"),
        (Actor::Citizen, payment("  ", 1250, "2026-11-11"), "invalid_field"),
        (Actor::Citizen, payment("FS2026-0001", 1250, "2026-11-12"), "paid_on_invalid"),
        (Actor::Citizen, payment("FS2026-0001", 1250, "2026-11-09"), "paid_on_invalid"),
    ];
    for (who, cmd, code) in &table {
        assert_eq!(c.refused(who, cmd, now), *code, "{cmd:?} by {who:?}");
    }
    c.act(&Actor::Citizen, &ok, now);
    assert_eq!(c.state.payment.as_ref().map(|p| (p.reference.as_str(), p.amount_fen)), Some(("FS2026-0001", 1250)));
    assert_eq!(c.refused(&clerk(), &payment("FS2026-0002", 1250, "2026-11-11"), now), "already_done");
    c.act(&clerk(), &certify(), now);
    assert_eq!(c.state.status, ApplicationStatus::Delivering);

    // A free service has nothing to pay, and is certified without.
    let mut free = accepted_at("2026-11-02 09:00");
    free.act(&approver(), &Command::Decide { verdict: grant() }, t("2026-11-10 09:00"));
    assert_eq!(free.refused(&clerk(), &ok, now), "no_fee");
    free.act(&clerk(), &certify(), now);
}

#[test]
fn a_fee_bearing_grant_with_no_certificate_is_handed_over_only_once_paid_and_a_refusal_costs_nothing() {
    let service = Service { certificate: None, ..paid_service() };
    let at = t("2026-11-02 09:00");
    let open = |s: &Service| {
        let mut c = Case::open(
            &NewApplication { service: s.clone(), ..new_app(Channel::Online, complete()) },
            &Actor::Citizen,
            at,
        );
        c.act(&clerk(), &Command::Accept { verdict: None }, at);
        c
    };
    let now = t("2026-11-11 09:00");
    let mut c = open(&service);
    c.act(&approver(), &Command::Decide { verdict: grant() }, t("2026-11-10 09:00"));
    assert_eq!(c.state.status, ApplicationStatus::Delivering);
    assert_eq!(c.refused(&clerk(), &Command::Deliver { how: Delivery::Window }, now), "payment_required");
    c.act(&clerk(), &payment("FS2026-0003", 1250, "2026-11-10"), now);
    c.act(&clerk(), &Command::Deliver { how: Delivery::Window }, now);
    assert_eq!(c.state.status, ApplicationStatus::Done);
    assert_eq!(c.refused(&Actor::Citizen, &payment("FS2026-0004", 1250, "2026-11-10"), now), "case_closed");

    let mut refused = open(&service);
    refused.act(
        &approver(),
        &Command::Decide { verdict: Verdict { grant: false, reasons: Some("不符合条件".into()) } },
        t("2026-11-10 09:00"),
    );
    assert_eq!(refused.refused(&Actor::Citizen, &payment("FS2026-0005", 1250, "2026-11-10"), now), "not_payable");
    refused.act(&clerk(), &Command::Deliver { how: Delivery::Post }, now);
}
