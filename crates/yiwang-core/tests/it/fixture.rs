//! The fixture world every table runs in: a small district with its hotline centre,
//! three departments and a street down to one grid; a taxonomy; one actor for each
//! role; and a harness that runs commands through `decide` and folds the events with
//! `evolve`, as the app does, so a test can reach any state by acting it out.

use std::sync::LazyLock;

use yiwang_core::Instant;
use yiwang_core::appeal::ClockKind;
use yiwang_core::appeal::{
    Action, Appeal, AppealEvent, AppealType, Channel, Context, Envelope, Intake, Location, Refusal, ReplyOutcome,
    Satisfaction, decide, decide_intake, evolve,
};
use yiwang_core::calendar::{Calendar, china_tz};
use yiwang_core::chrono::{Duration, NaiveDateTime, TimeZone};
use yiwang_core::deadline::{TimeLimits, Urgency};
use yiwang_core::id::{CaseId, CategoryCode, PersonId, TrackingCode, UnitCode, Username};
use yiwang_core::org::{Actor, Organisation, Role, Unit, UnitKind};
use yiwang_core::taxonomy::{Category, Taxonomy};

pub use Who::*;

/// Reference data a decision looks at besides the case.
pub struct World {
    pub org: Organisation,
    pub taxonomy: Taxonomy,
    pub calendar: Calendar,
    pub limits: TimeLimits,
}

pub static WORLD: LazyLock<World> = LazyLock::new(|| {
    let unit = |code: &str, name: &str, kind, parent: Option<&str>| Unit {
        code: code_of(code),
        name: name.into(),
        short: None,
        kind,
        parent: parent.map(code_of),
    };
    let org = Organisation::new(vec![
        unit("qu", "示例区人民政府", UnitKind::District, None),
        unit("zx", "12345热线中心", UnitKind::Centre, Some("qu")),
        // Department A, B and C.
        unit("cgw", "区城市管理委员会", UnitKind::Department, Some("qu")),
        unit("sw", "区水务局", UnitKind::Department, Some("qu")),
        unit("scj", "区市场监督管理局", UnitKind::Department, Some("qu")),
        unit("jd", "东风街道", UnitKind::Street, Some("qu")),
        unit("sq", "东风社区", UnitKind::Community, Some("jd")),
        unit("wg", "东风社区第一网格", UnitKind::Grid, Some("sq")),
    ])
    .expect("the fixture organisation is a valid tree");
    let cat = |code: &str, name: &str, parent: Option<&str>, owner: &str, utility| Category {
        code: cat_of(code),
        name: name.into(),
        parent: parent.map(cat_of),
        unit: code_of(owner),
        utility,
        attributes: vec![],
        keywords: vec![],
    };
    let taxonomy = Taxonomy::new(vec![
        cat("csgl", "城市管理", None, "cgw", false),
        cat("csgl-zd", "占道经营", Some("csgl"), "cgw", false),
        cat("gs", "供水", None, "sw", true),
        cat("spaq", "食品安全", None, "scj", false),
        cat("xxhj", "街巷环境", None, "jd", false),
    ])
    .expect("the fixture taxonomy is valid");
    World { org, taxonomy, calendar: Calendar::bundled(), limits: TimeLimits::default() }
});

pub fn code_of(s: &str) -> UnitCode {
    UnitCode::parse(s).expect("fixture unit code")
}

pub fn cat_of(s: &str) -> CategoryCode {
    CategoryCode::parse(s).expect("fixture category code")
}

/// An instant given as a civil time in China: `"2026-11-16 09:30"` (seconds optional).
pub fn t(s: &str) -> Instant {
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .unwrap_or_else(|e| panic!("bad fixture time {s}: {e}"));
    china_tz().from_local_datetime(&naive).single().expect("fixed offset").to_utc()
}

/// Everyone who may try to act on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// 话务员 at the centre.
    Operator,
    /// 派单员 at the centre.
    Dispatcher,
    /// 督办员 at the centre.
    Supervisor,
    /// 系统管理员, at the district.
    Admin,
    /// 区领导, at the district.
    Leader,
    /// 承办人 of department A (城管委).
    HandlerA,
    /// 单位负责人 of department A.
    LeaderA,
    /// 承办人 of department B (水务局).
    HandlerB,
    /// 承办人 of department C (市场监管局).
    HandlerC,
    /// 承办人 of the street (东风街道).
    StreetHandler,
    /// 网格员 of the grid.
    GridWorker,
    /// The citizen who filed the appeal.
    Citizen,
    /// The deadline scheduler.
    System,
    /// An Open311 client app.
    Client,
}

impl Who {
    pub const ALL: [Who; 14] = [
        Operator,
        Dispatcher,
        Supervisor,
        Admin,
        Leader,
        HandlerA,
        LeaderA,
        HandlerB,
        HandlerC,
        StreetHandler,
        GridWorker,
        Citizen,
        System,
        Client,
    ];

    pub fn actor(self) -> Actor {
        let staff = |name: &str, unit: &str, unit_kind, role| Actor::Staff {
            username: Username::parse(name).expect("fixture username"),
            unit: code_of(unit),
            unit_kind,
            roles: vec![role],
        };
        match self {
            Operator => staff("operator", "zx", UnitKind::Centre, Role::Operator),
            Dispatcher => staff("dispatcher", "zx", UnitKind::Centre, Role::Dispatcher),
            Supervisor => staff("supervisor", "zx", UnitKind::Centre, Role::Supervisor),
            Admin => staff("admin", "qu", UnitKind::District, Role::Admin),
            Leader => staff("leader", "qu", UnitKind::District, Role::Leader),
            HandlerA => staff("handler-a", "cgw", UnitKind::Department, Role::Handler),
            LeaderA => staff("leader-a", "cgw", UnitKind::Department, Role::UnitLeader),
            HandlerB => staff("handler-b", "sw", UnitKind::Department, Role::Handler),
            HandlerC => staff("handler-c", "scj", UnitKind::Department, Role::Handler),
            StreetHandler => staff("handler-jd", "jd", UnitKind::Street, Role::Handler),
            GridWorker => staff("grid-worker", "wg", UnitKind::Grid, Role::GridWorker),
            Citizen => Actor::Citizen,
            System => Actor::System,
            Client => Actor::Client { name: "open311-app".into() },
        }
    }
}

/// The number of the case every fixture files.
pub const CASE: &str = "YW20261116000001";
/// Another case, for merges.
pub const OTHER_CASE: &str = "YW20261116000002";

pub fn case_id(s: &str) -> CaseId {
    CaseId::parse(s).expect("fixture case id")
}

/// A hotline complaint about street vending, category not yet known.
pub fn complaint() -> Intake {
    Intake {
        channel: Channel::Hotline,
        appeal_type: AppealType::Complaint,
        urgency: Urgency::Normal,
        title: None,
        text: "小区门口长期占道经营，影响通行".into(),
        location: Location::default(),
        citizen: Some(PersonId(1)),
        attachments: vec![],
        category: None,
        tracking_code: TrackingCode::parse("K7PX3MQA").expect("fixture tracking code"),
        private: false,
    }
}

/// The same intake as a consultation (咨询).
pub fn consultation() -> Intake {
    Intake { appeal_type: AppealType::Consultation, text: "占道经营由哪个部门管理？".into(), ..complaint() }
}

pub fn context<'a>(actor: &'a Actor, now: Instant) -> Context<'a> {
    let w = &*WORLD;
    Context { now, actor, calendar: &w.calendar, limits: &w.limits, org: &w.org, taxonomy: &w.taxonomy }
}

/// A state to start a table row from, reached by acting it out.
pub type Setup = fn() -> Case;

/// What a table expects: the names of the events, or the code of the refusal.
pub type Want = Result<&'static [&'static str], &'static str>;

/// A decision as a table compares it.
pub fn outcome(d: Result<Vec<AppealEvent>, Refusal>) -> Result<Vec<&'static str>, &'static str> {
    d.map(|es| es.iter().map(AppealEvent::name).collect()).map_err(|r| r.code())
}

pub fn want(w: Want) -> Result<Vec<&'static str>, &'static str> {
    w.map(<[_]>::to_vec)
}

/// Decides an intake without recording it.
pub fn try_intake(who: Who, intake: &Intake, now: Instant) -> Result<Vec<AppealEvent>, Refusal> {
    decide_intake(intake, &context(&who.actor(), now))
}

/// A case as the store keeps it: its log of envelopes and the state folded from them.
#[derive(Debug, Clone)]
pub struct Case {
    pub state: Appeal,
    pub log: Vec<Envelope>,
}

impl Case {
    /// Files an intake; panics if it is refused.
    pub fn file(who: Who, intake: &Intake, at: &str) -> Case {
        let now = t(at);
        let events = try_intake(who, intake, now).unwrap_or_else(|r| panic!("intake by {who:?} refused: {r}"));
        let mut log = vec![];
        let mut state = None;
        for (i, event) in events.into_iter().enumerate() {
            let env = Envelope { case: case_id(CASE), seq: i as u32 + 1, at: now, actor: who.actor(), event };
            state = evolve(state, &env);
            log.push(env);
        }
        Case { state: state.expect("an intake starts a case"), log }
    }

    /// What `decide` says, without recording anything.
    pub fn decide(&self, who: Who, action: &Action, now: Instant) -> Result<Vec<AppealEvent>, Refusal> {
        decide(&self.state, action, &context(&who.actor(), now))
    }

    /// `decide` as a table compares it.
    pub fn try_(&self, who: Who, action: &Action, now: Instant) -> Result<Vec<&'static str>, &'static str> {
        outcome(self.decide(who, action, now))
    }

    /// Decides and records; returns the events recorded. Panics if refused.
    pub fn act(&mut self, who: Who, action: &Action, now: Instant) -> Vec<AppealEvent> {
        let events = self
            .decide(who, action, now)
            .unwrap_or_else(|r| panic!("{} by {who:?} in {:?} refused: {r}", action.name(), self.state.status));
        self.record(who, now, events.clone());
        events
    }

    /// Appends events in envelopes with the next sequence numbers and folds them in.
    pub fn record(&mut self, who: Who, now: Instant, events: Vec<AppealEvent>) {
        let mut state = Some(self.state.clone());
        for event in events {
            let env =
                Envelope { case: case_id(CASE), seq: self.log.len() as u32 + 1, at: now, actor: who.actor(), event };
            state = evolve(state, &env);
            self.log.push(env);
        }
        self.state = state.expect("a case stays a case");
    }

    /// Builder form of [`Case::act`].
    pub fn then(mut self, who: Who, action: Action, at: &str) -> Case {
        self.act(who, &action, t(at));
        self
    }

    /// The time of the last event.
    pub fn last(&self) -> Instant {
        self.log.last().expect("a case has events").at
    }

    /// A minute after the last event: "right now" for a table row.
    pub fn soon(&self) -> Instant {
        self.last() + Duration::minutes(1)
    }

    pub fn due(&self, kind: ClockKind) -> Option<Instant> {
        self.state.clock(kind).map(|c| c.due)
    }
}

/// The standard path every status fixture follows. Monday 16 November 2026 is an
/// ordinary working week.
pub fn accepted_with(intake: Intake) -> Case {
    Case::file(Operator, &intake, "2026-11-16 09:00")
}

pub fn accepted() -> Case {
    accepted_with(complaint())
}

pub fn dispatched_with(intake: Intake) -> Case {
    accepted_with(intake).then(Dispatcher, cmd::dispatch("csgl"), "2026-11-16 09:30")
}

pub fn dispatched() -> Case {
    dispatched_with(complaint())
}

pub fn handling_with(intake: Intake) -> Case {
    dispatched_with(intake).then(HandlerA, cmd::sign_for(), "2026-11-16 10:00")
}

/// Department A holds the case and has signed for it.
pub fn handling() -> Case {
    handling_with(complaint())
}

/// Department A has summoned department B (吹哨), which has not reported in yet.
pub fn summoned_with(intake: Intake) -> Case {
    handling_with(intake).then(HandlerA, cmd::summon(&["sw"]), "2026-11-16 10:30")
}

pub fn summoned() -> Case {
    summoned_with(complaint())
}

/// Department B has reported in (报到) but not answered its part.
pub fn reported_in() -> Case {
    summoned().then(HandlerB, cmd::report_in(), "2026-11-16 11:00")
}

/// Department A has answered after B answered its part and A contacted the citizen.
pub fn replied_with(intake: Intake) -> Case {
    summoned_with(intake)
        .then(HandlerB, cmd::report_in(), "2026-11-16 11:00")
        .then(HandlerB, cmd::answer_part("供水管线无渗漏，已复核"), "2026-11-16 14:00")
        .then(HandlerA, cmd::contact("已电话联系诉求人，约定现场查看"), "2026-11-16 15:00")
        .then(HandlerA, cmd::reply("已依法清理占道摊点，并安排每日巡查"), "2026-11-17 10:00")
}

pub fn replied() -> Case {
    replied_with(complaint())
}

/// The citizen said it is not solved; the case waits for the centre.
pub fn called_back_with(intake: Intake) -> Case {
    replied_with(intake).then(Operator, cmd::callback(false, Satisfaction::Unsatisfied), "2026-11-18 10:00")
}

pub fn called_back() -> Case {
    called_back_with(complaint())
}

/// The citizen said it is solved, which closes the case.
pub fn closed_with(intake: Intake) -> Case {
    replied_with(intake).then(Operator, cmd::callback(true, Satisfaction::Satisfied), "2026-11-18 10:00")
}

pub fn closed() -> Case {
    closed_with(complaint())
}

/// Commands, built the way a table reads.
pub mod cmd {
    use super::*;

    pub fn dispatch(category: &str) -> Action {
        Action::Dispatch { category: cat_of(category), unit: None, note: None }
    }
    pub fn dispatch_to(category: &str, unit: &str) -> Action {
        Action::Dispatch { category: cat_of(category), unit: Some(code_of(unit)), note: None }
    }
    pub fn sign_for() -> Action {
        Action::SignFor
    }
    pub fn send_back(reason: &str) -> Action {
        Action::Return { reason: reason.into() }
    }
    pub fn reassign(unit: &str, reason: &str) -> Action {
        Action::Reassign { unit: code_of(unit), category: None, reason: reason.into() }
    }
    pub fn summon(units: &[&str]) -> Action {
        Action::Summon { units: units.iter().map(|u| code_of(u)).collect(), note: None }
    }
    pub fn report_in() -> Action {
        Action::ReportIn
    }
    pub fn answer_part(text: &str) -> Action {
        Action::AnswerPart { text: text.into() }
    }
    pub fn contact(note: &str) -> Action {
        Action::Contact { note: note.into() }
    }
    pub fn request_extension(working_days: u32) -> Action {
        Action::RequestExtension { working_days, reason: "需协调产权单位".into() }
    }
    pub fn decide_extension(approve: bool) -> Action {
        Action::DecideExtension { approve, note: None }
    }
    pub fn remind(note: &str) -> Action {
        Action::Remind { note: note.into() }
    }
    pub fn supervise(note: &str) -> Action {
        Action::Supervise { note: note.into() }
    }
    pub fn suspend(reason: &str) -> Action {
        Action::Suspend { reason: reason.into() }
    }
    pub fn resume() -> Action {
        Action::Resume
    }
    pub fn reply(text: &str) -> Action {
        Action::Reply { outcome: ReplyOutcome::Resolved, text: text.into(), photos: vec![] }
    }
    pub fn reply_cannot_solve(text: &str) -> Action {
        Action::Reply { outcome: ReplyOutcome::CannotSolve, text: text.into(), photos: vec![] }
    }
    pub fn callback(solved: bool, satisfaction: Satisfaction) -> Action {
        Action::Callback { solved, satisfaction, note: None }
    }
    pub fn reopen(reason: &str) -> Action {
        Action::Reopen { reason: reason.into() }
    }
    pub fn close() -> Action {
        Action::Close { note: None }
    }
    pub fn merge(into: &str) -> Action {
        Action::Merge { into: case_id(into) }
    }
    pub fn answer_directly(answer: &str) -> Action {
        Action::AnswerDirectly { answer: answer.into() }
    }
    pub fn tick() -> Action {
        Action::Tick
    }
}
