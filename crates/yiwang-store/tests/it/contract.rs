//! What every store must do, written against `&dyn Store` only.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use yiwang_core::appeal::{
    self, Action, Appeal, AppealEvent, AppealKind, AppealType, Channel, Context, Intake, Location, Satisfaction, Status,
};
use yiwang_core::calendar::{Calendar, civil_date};
use yiwang_core::case::{Case, Events};
use yiwang_core::deadline::{Stage, TimeLimits, Urgency};
use yiwang_core::id::{CaseId, CategoryCode, PersonId, TenantId, TrackingCode, UnitCode, Username};
use yiwang_core::measure::Tally;
use yiwang_core::org::{Actor, Organisation, Role, Unit, UnitKind};
use yiwang_core::taxonomy::{Category, Taxonomy};
use yiwang_store::{
    AccessEntry, AppendBatch, CaseQuery, CaseRow, FactCount, ImportedCase, ImportedEvent, Lane, ListOrder, NewCase,
    PersonData, StaffRecord, Store, StoreError, WriteHold,
};

pub use crate::chore::{Chore, ChoreCommand, ChoreEvent};

pub struct World {
    pub org: Organisation,
    pub taxonomy: Taxonomy,
    pub calendar: Calendar,
    pub limits: TimeLimits,
}

impl World {
    /// The context `decide` runs in, at `now`, for `actor`.
    pub fn ctx<'a>(&'a self, now: DateTime<Utc>, actor: &'a Actor) -> Context<'a> {
        Context { now, actor, calendar: &self.calendar, limits: &self.limits, org: &self.org, taxonomy: &self.taxonomy }
    }
}

pub fn code(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

pub fn t0() -> DateTime<Utc> {
    // Monday 2026-11-16 09:00 in China.
    Utc.with_ymd_and_hms(2026, 11, 16, 1, 0, 0).unwrap()
}

fn unit(c: &str, kind: UnitKind, parent: Option<&str>) -> Unit {
    Unit { code: code(c), name: c.to_uppercase(), short: None, kind, parent: parent.map(code) }
}

pub fn world(store: &dyn Store) -> World {
    let units = vec![
        unit("d", UnitKind::District, None),
        unit("centre", UnitKind::Centre, Some("d")),
        unit("dept-a", UnitKind::Department, Some("d")),
        unit("dept-b", UnitKind::Department, Some("d")),
    ];
    let cats = vec![Category {
        code: CategoryCode::parse("c1").unwrap(),
        name: "市容".into(),
        parent: None,
        unit: code("dept-a"),
        utility: false,
        attributes: vec![],
        keywords: vec!["路灯".into(), "井盖".into()],
    }];
    store.replace_organisation(&units, t0()).unwrap();
    store.replace_categories(&cats, t0()).unwrap();
    assert_eq!(store.categories().unwrap(), cats, "a category comes back as saved, keywords included");
    World {
        org: Organisation::new(store.units().unwrap()).unwrap(),
        taxonomy: Taxonomy::new(store.categories().unwrap()).unwrap(),
        calendar: Calendar::bundled(),
        limits: TimeLimits::default(),
    }
}

pub fn staff(name: &str, unit: &str, kind: UnitKind, roles: &[Role]) -> Actor {
    Actor::Staff { username: Username::parse(name).unwrap(), unit: code(unit), unit_kind: kind, roles: roles.to_vec() }
}

pub fn operator() -> Actor {
    staff("op", "centre", UnitKind::Centre, &[Role::Operator, Role::Dispatcher])
}
pub fn handler_a() -> Actor {
    staff("ha", "dept-a", UnitKind::Department, &[Role::Handler])
}

pub fn tenant() -> TenantId {
    TenantId::parse("d").unwrap()
}

/// The appeal a store handed back.
pub fn appeal_of(c: Case) -> Appeal {
    c.into_state::<AppealKind>().expect("an appeal")
}

/// The appeal stored under `id`.
pub fn load(store: &dyn Store, id: &CaseId) -> Appeal {
    appeal_of(store.load(id).unwrap().expect("stored"))
}

/// The appeal's events as stored, decoded.
pub fn appeal_events(store: &dyn Store, id: &CaseId) -> Vec<appeal::Envelope> {
    store.events(id).unwrap().iter().map(|r| r.decode::<AppealKind>().unwrap()).collect()
}

pub fn intake(text: &str, code: TrackingCode) -> Intake {
    Intake {
        channel: Channel::Hotline,
        appeal_type: AppealType::Complaint,
        urgency: Urgency::Normal,
        title: None,
        text: text.into(),
        location: Location::default(),
        citizen: None,
        attachments: vec![],
        category: None,
        tracking_code: code,
        private: false,
    }
}

/// A distinct tracking code for each `n` below 961: two base-31 digits after the day.
pub fn tracking(at: DateTime<Utc>, n: u16, salt: u8) -> TrackingCode {
    TrackingCode::dated(civil_date(at), [(n % 31) as u8, (n / 31) as u8, salt, 3, 4, 5, 6])
}

pub fn new_case_for(w: &World, store: &dyn Store, at: DateTime<Utc>, i: Intake, person: Option<PersonData>) -> Appeal {
    appeal_of(store.create_case(new_case_of(w, at, i, person)).wait().unwrap())
}

/// What `new_case_for` stores.
pub fn new_case_of(w: &World, at: DateTime<Utc>, i: Intake, person: Option<PersonData>) -> NewCase {
    let actor = operator();
    let events = appeal::decide_intake(&i, &w.ctx(at, &actor)).unwrap();
    NewCase {
        tenant: tenant(),
        at,
        actor,
        person,
        events: Events::new::<AppealKind>(events),
        notices: vec![],
        idempotency: None,
    }
}

pub fn new_case(w: &World, store: &dyn Store, at: DateTime<Utc>, n: u16, phone: Option<&str>) -> Appeal {
    let mut i = intake("道路破损", tracking(at, n, 2));
    i.title = Some(format!("诉求 {n}"));
    let person = phone.map(|p| PersonData {
        name: Some("张三".into()),
        phone: Some(p.into()),
        phone_digest: Some(format!("digest-{p}")),
        ..Default::default()
    });
    new_case_for(w, store, at, i, person)
}

/// The append of what `action` decides on `a`.
pub fn decided(w: &World, a: &Appeal, actor: &Actor, action: &Action, at: DateTime<Utc>) -> AppendBatch {
    let events = appeal::decide(a, action, &w.ctx(at, actor)).unwrap();
    AppendBatch::new(tenant(), Case::new::<AppealKind>(a.clone()), at, actor.clone(), Events::new::<AppealKind>(events))
}

pub fn act(w: &World, store: &dyn Store, a: &Appeal, actor: &Actor, action: Action, at: DateTime<Utc>) -> Appeal {
    appeal_of(store.append(decided(w, a, actor, &action, at)).wait().unwrap())
}

pub fn dispatch_and_sign(w: &World, store: &dyn Store, a: &Appeal, at: DateTime<Utc>) -> Appeal {
    let d = Action::Dispatch { category: CategoryCode::parse("c1").unwrap(), unit: None, note: None };
    let a = act(w, store, a, &operator(), d, at);
    act(w, store, &a, &handler_a(), Action::SignFor, at + Duration::minutes(10))
}

/// A case's history as an import: its recorded events, each changed by `edit`.
pub fn history_of(store: &dyn Store, id: &CaseId, edit: impl Fn(&mut AppealEvent)) -> Vec<ImportedEvent<AppealEvent>> {
    appeal_events(store, id)
        .into_iter()
        .map(|e| {
            let mut event = e.event;
            edit(&mut event);
            ImportedEvent { at: e.at, actor: e.actor, event }
        })
        .collect()
}

pub fn imported(id: &str, person: Option<PersonData>, events: Vec<ImportedEvent<AppealEvent>>) -> ImportedCase {
    ImportedCase::new::<AppealKind>(tenant(), CaseId::parse(id).unwrap(), person, events)
}

/// An accepted event's tracking code replaced, and its citizen cleared.
pub fn recoded(code: TrackingCode) -> impl Fn(&mut AppealEvent) {
    move |e| {
        if let AppealEvent::Accepted { tracking_code, citizen, .. } = e {
            *tracking_code = code.clone();
            *citizen = None;
        }
    }
}

fn ids(rows: &[CaseRow]) -> Vec<CaseId> {
    rows.iter().map(|r| r.id.clone()).collect()
}

/// The month's counts of the appeal's facts, per unit.
pub fn tally(store: &dyn Store, month: &str) -> Vec<(UnitCode, Tally)> {
    let mut out: Vec<(UnitCode, Tally)> = vec![];
    for f in store.tally_month(month).unwrap().into_iter().filter(|f| f.kind == "appeal") {
        let k = yiwang_core::measure::FactKind::from_parts(&f.name, f.flag, &f.value).expect("an appeal's fact");
        if out.last().is_none_or(|(u, _)| *u != f.unit) {
            out.push((f.unit.clone(), Tally::default()));
        }
        out.last_mut().unwrap().1.add_many(k, f.count);
    }
    out
}

/// Everything the projections answer, for comparing a store before and after
/// `reindex`: queue rows of every kind, counts, the month's facts and the volumes.
pub fn projected(store: &dyn Store) -> String {
    let all = store.list_cases(&CaseQuery { limit: 500, ..Default::default() }).unwrap();
    let mut out = format!("{} cases\n", all.total);
    for r in &all.rows {
        out += &format!("{r:?}\n");
    }
    for u in ["dept-a", "dept-b"] {
        for (name, q) in [
            ("visible", CaseQuery { visible_to: Some(code(u)), ..Default::default() }),
            ("co", CaseQuery { co_unit: Some(code(u)), ..Default::default() }),
            ("open", CaseQuery { unit: Some(code(u)), open: Some(true), ..Default::default() }),
        ] {
            let page = store.list_cases(&CaseQuery { limit: 500, ..q }).unwrap();
            out += &format!("{u} {name}: {:?}\n", ids(&page.rows));
        }
    }
    let mut examples: Vec<_> = store.labelled_cases().unwrap().into_iter().map(|e| format!("{e:?}")).collect();
    examples.sort();
    out += &format!("examples {examples:?}\n");
    for month in ["2026-10", "2026-11", "2026-12"] {
        out += &format!("{month} {:?}\n", store.tally_month(month).unwrap());
    }
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    for kind in ["appeal", "chore"] {
        out += &format!("{kind} {:?}\n", store.volumes(kind, day("2026-01-01"), day("2027-01-01")).unwrap());
    }
    out
}

pub fn case_numbers_are_sequential_per_day_and_personal_data_is_kept_beside_the_record(store: &dyn Store) {
    let w = world(store);
    let a = new_case(&w, store, t0(), 1, Some("13812345678"));
    let b = new_case(&w, store, t0() + Duration::minutes(1), 2, None);
    let next_day = new_case(&w, store, t0() + Duration::days(1), 3, None);
    assert_eq!(a.id.as_str(), "YW20261116000001");
    assert_eq!(b.id.as_str(), "YW20261116000002");
    assert_eq!(next_day.id.as_str(), "YW20261117000001");
    let pid = a.citizen.expect("the citizen is referenced by id");
    let p = store.person(pid).unwrap().unwrap();
    assert_eq!(p.data.phone.as_deref(), Some("13812345678"));
    // No event carries the phone number itself.
    let events = store.events(&a.id).unwrap();
    assert_eq!(events.len(), 1);
    for e in events {
        assert!(!e.body.contains("13812345678"));
    }
    assert_eq!(b.citizen, None);
}

pub fn appends_are_chained_and_a_stale_version_is_refused(store: &dyn Store) {
    let w = world(store);
    let a = new_case(&w, store, t0(), 4, None);
    let a2 = dispatch_and_sign(&w, store, &a, t0() + Duration::minutes(5));
    assert_eq!(a2.version, 3);
    assert_eq!(a2.status, Status::Handling);
    // Deciding again on the stale state is a conflict, not a silent overwrite.
    let stale = load(store, &a.id);
    let contact = Action::Contact { note: "已联系".into() };
    let mut old = stale.clone();
    old.version = 2;
    let err = store.append(decided(&w, &old, &handler_a(), &contact, t0())).wait().unwrap_err();
    assert!(matches!(err, StoreError::Conflict { expected: 2, found: 3, .. }), "{err:?}");
    let ok = appeal_of(store.append(decided(&w, &stale, &handler_a(), &contact, t0())).wait().unwrap());
    assert_eq!(ok.version, 4);
    let evs = store.events(&a.id).unwrap();
    assert_eq!(evs.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(
        evs.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["accepted", "dispatched", "signed_for", "contacted"]
    );
    // The name stored beside each body is the event's own.
    assert!(evs.iter().all(|e| e.decode::<AppealKind>().unwrap().event.name() == e.name));
    assert!(store.verify().unwrap().is_intact());
    // A case the store does not have.
    let mut ghost = stale.clone();
    ghost.id = CaseId::parse("YW20000101000001").unwrap();
    let err = store.append(decided(&w, &ghost, &handler_a(), &contact, t0())).wait().unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

/// Queues read the projections; `reindex` drops and rebuilds every one of them from
/// the events, and everything they answer is the same after (queue rows, counts,
/// the month's facts, the volumes, the labelled examples).
pub fn projections_answer_queues_and_reindex_rebuilds_them_identically(store: &dyn Store) {
    let w = world(store);
    let fresh = new_case(&w, store, t0(), 5, Some("13900000000"));
    let held = dispatch_and_sign(&w, store, &new_case(&w, store, t0(), 6, None), t0() + Duration::minutes(1));
    let summon = Action::Summon { units: vec![code("dept-b")], note: None };
    let summoner = act(&w, store, &held, &handler_a(), summon, t0() + Duration::hours(1));
    let returned = new_case(&w, store, t0(), 7, None);
    let d = Action::Dispatch { category: CategoryCode::parse("c1").unwrap(), unit: Some(code("dept-b")), note: None };
    let returned = act(&w, store, &returned, &operator(), d, t0());
    let hb = staff("hb", "dept-b", UnitKind::Department, &[Role::Handler]);
    let returned = act(&w, store, &returned, &hb, Action::Return { reason: "非本单位职责".into() }, t0());

    let q = |f: CaseQuery| store.list_cases(&CaseQuery { limit: 50, ..f }).unwrap();
    let waiting = q(CaseQuery { statuses: vec!["accepted"], open: Some(true), ..Default::default() });
    assert_eq!(waiting.rows.len(), 2);
    assert!(waiting.rows.iter().all(|r| r.status == "accepted" && r.kind == "appeal"));
    let fresh_row = waiting.rows.iter().find(|r| r.id == fresh.id).unwrap();
    assert_eq!(fresh_row.person_phone.as_deref(), Some("13900000000"));
    assert_eq!(fresh_row.title.as_deref(), Some("诉求 5"));
    let detail: appeal::Detail = serde_json::from_str(&fresh_row.detail).unwrap();
    assert_eq!(detail, appeal::Detail::of(&fresh));
    // The kind's own columns filter as the detail document holds them.
    let back = q(CaseQuery { detail: vec![("returned", serde_json::json!(true))], ..Default::default() });
    assert_eq!(ids(&back.rows), vec![returned.id.clone()]);
    let a_queue = q(CaseQuery { unit: Some(code("dept-a")), statuses: vec!["handling"], ..Default::default() });
    assert_eq!(ids(&a_queue.rows), vec![held.id.clone()]);
    let co = q(CaseQuery { co_unit: Some(code("dept-b")), ..Default::default() });
    assert_eq!(ids(&co.rows), vec![held.id.clone()]);
    assert_eq!(store.count_cases(&CaseQuery { co_unit: Some(code("dept-b")), ..Default::default() }).unwrap(), 1);
    // dept-b held one case and was summoned to another.
    let b_sees = q(CaseQuery { visible_to: Some(code("dept-b")), ..Default::default() });
    let mut seen = ids(&b_sees.rows);
    seen.sort();
    assert_eq!(seen, [summoner.id.clone(), returned.id.clone()]);

    let before = projected(store);
    assert!(before.contains(fresh.id.as_str()) && before.contains("dispatch"), "{before}");
    let n = store.reindex().unwrap();
    assert_eq!(n, 3);
    assert_eq!(projected(store), before);
}

pub fn alarms_and_monthly_facts_follow_the_state(store: &dyn Store) {
    let w = world(store);
    let a = new_case(&w, store, t0(), 7, None);
    // The dispatch clock (24 h) warns at 80 %.
    let warn_at = a.next_alarm().unwrap();
    assert_eq!(warn_at, t0() + Duration::hours(24) - Duration::minutes(288));
    assert!(!store.due_alarms(warn_at - Duration::seconds(1), 100).unwrap().contains(&a.id));
    assert!(store.due_alarms(warn_at, 100).unwrap().contains(&a.id));

    let a = dispatch_and_sign(&w, store, &a, t0() + Duration::minutes(30));
    let a = act(&w, store, &a, &handler_a(), Action::Contact { note: "已联系".into() }, t0() + Duration::hours(2));
    let a = act(
        &w,
        store,
        &a,
        &handler_a(),
        Action::Reply { outcome: appeal::ReplyOutcome::Resolved, text: "已修复".into(), photos: vec![] },
        t0() + Duration::hours(30),
    );
    let a = act(
        &w,
        store,
        &a,
        &operator(),
        Action::Callback { solved: true, satisfaction: Satisfaction::BasicallySatisfied, note: None },
        t0() + Duration::hours(40),
    );
    assert_eq!(a.status, Status::Closed);
    assert!(!store.due_alarms(t0() + Duration::days(400), 1000).unwrap().contains(&a.id));
    // The dispatch was counted as not (yet) responded to when it was made; signing and
    // contacting moved it, so the month holds exactly one of each fact.
    let month = tally(store, "2026-11");
    assert_eq!(month.len(), 1, "{month:?}");
    let (_, t) = month.iter().find(|(u, _)| u.as_str() == "dept-a").unwrap();
    let expected = Tally {
        dispatched: 1,
        responded: 1,
        replied: 1,
        replied_on_time: 1,
        callbacks: 1,
        solved: 1,
        satisfied: 0,
        basically_satisfied: 1,
    };
    assert_eq!(*t, expected);
    let raw = store.tally_month("2026-11").unwrap();
    store.reindex().unwrap();
    assert_eq!(store.tally_month("2026-11").unwrap(), raw, "reindex counts the same");
    assert_eq!(store.tally_month("2026-10").unwrap(), [], "nothing happened in October");
    let green = store.list_cases(&CaseQuery { stage: Some(Stage::Green), limit: 100, ..Default::default() }).unwrap();
    assert_eq!(ids(&green.rows), vec![a.id.clone()]);
    assert!(green.rows.iter().all(|r| r.stage == Stage::Green));
}

pub fn concurrent_writers_are_all_committed(store: Arc<dyn Store>) {
    let w = Arc::new(world(store.as_ref()));
    let threads: Vec<_> = (0..8u16)
        .map(|t| {
            let (store, w) = (store.clone(), w.clone());
            std::thread::spawn(move || {
                (0..25u16)
                    .map(|i| new_case(&w, store.as_ref(), t0() + Duration::days(3), t * 25 + i, None).id)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let ids: Vec<CaseId> = threads.into_iter().flat_map(|h| h.join().unwrap()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 200, "every request got its own case number");
    for id in &ids {
        assert!(store.load(id).unwrap().is_some());
    }
    assert!(store.verify().unwrap().is_intact());
}

/// A client's Idempotency-Key is stored in the commit of the case it came with and is
/// used once per scope: a second write carrying it is refused before anything is
/// written, also when both meet in one batch (`hold` holds the writer); the purge
/// forgets keys older than its bound.
pub fn an_idempotency_key_is_stored_with_its_write_and_used_once(store: &dyn Store, hold: &dyn Fn() -> WriteHold) {
    let w = world(store);
    let key = |scope: &str, k: &str, f: &str| {
        Some(yiwang_store::IdempotencyKey { scope: scope.into(), key: k.into(), fingerprint: f.into() })
    };
    let keyed = |n: u16, k| {
        let mut new = new_case_of(&w, t0(), intake("井盖松动", tracking(t0(), n, 7)), None);
        new.idempotency = k;
        store.create_case(new)
    };
    let all = || store.count_cases(&CaseQuery::default()).unwrap();
    let a = keyed(1, key("staff:li", "k1", "f1")).wait().unwrap();
    let stored = store.idempotent("staff:li", "k1").unwrap().expect("stored with the case");
    assert_eq!((stored.case_id, stored.fingerprint.as_str(), stored.created_at), (a.id().clone(), "f1", t0()));
    assert_eq!(store.idempotent("staff:wang", "k1").unwrap(), None, "scoped");
    let again = keyed(2, key("staff:li", "k1", "f1")).wait();
    assert!(matches!(&again, Err(StoreError::Duplicate(what)) if what == "idempotency_key"), "{again:?}");
    assert_eq!(all(), 1, "nothing of the refused case was written");
    keyed(3, key("staff:wang", "k1", "f1")).wait().unwrap();

    // Two writes with one key in one batch: one is made, the other refused; the
    // batch's other request is committed all the same.
    let held = hold();
    let racing = [keyed(4, key("client:1", "k2", "f")), keyed(5, key("client:1", "k2", "f")), keyed(6, None)];
    drop(held);
    let [x, y, other] = racing.map(|p| p.wait());
    assert!(other.is_ok(), "{other:?}");
    assert_eq!([&x, &y].iter().filter(|r| r.is_ok()).count(), 1, "{x:?} {y:?}");
    let made = x.as_ref().or(y.as_ref()).unwrap().id().clone();
    assert_eq!(store.idempotent("client:1", "k2").unwrap().unwrap().case_id, made);
    assert_eq!(all(), 4);

    // An append carries its key the same way.
    let dispatch = Action::Dispatch { category: CategoryCode::parse("c1").unwrap(), unit: None, note: None };
    let mut batch = decided(&w, &appeal_of(a), &operator(), &dispatch, t0() + Duration::minutes(5));
    batch.idempotency = key("staff:li", "k3", "f3");
    let dispatched = store.append(batch).wait().unwrap();
    assert_eq!(store.idempotent("staff:li", "k3").unwrap().unwrap().case_id, dispatched.id().clone());
    let remind = Action::Remind { note: "请尽快".into() };
    let mut batch = decided(&w, &appeal_of(dispatched.clone()), &operator(), &remind, t0() + Duration::minutes(6));
    batch.idempotency = key("staff:li", "k3", "f3");
    let twice = store.append(batch).wait();
    assert!(matches!(&twice, Err(StoreError::Duplicate(what)) if what == "idempotency_key"), "{twice:?}");
    assert_eq!(store.load(dispatched.id()).unwrap().unwrap().version(), dispatched.version(), "nothing appended");

    assert_eq!(store.purge_idempotency(t0() + Duration::minutes(1)).unwrap(), 3, "k1 twice and k2");
    assert_eq!(store.idempotent("staff:li", "k1").unwrap(), None);
    assert!(store.idempotent("staff:li", "k3").unwrap().is_some(), "younger than the bound");
    assert!(store.verify().unwrap().is_intact());
}

/// Requests that meet in one batch share a commit; one the store refuses (a stale
/// version, a tracking code taken) is answered so, and the others are committed all
/// the same. `hold` holds the writer, so the four requests wait for it together.
pub fn a_refused_request_leaves_the_others_of_its_batch_committed(store: &dyn Store, hold: &dyn Fn() -> WriteHold) {
    let w = world(store);
    let a = new_case(&w, store, t0(), 1, None);
    let b = new_case(&w, store, t0(), 2, None);
    let c = new_case(&w, store, t0(), 3, None);
    let dispatch = Action::Dispatch { category: CategoryCode::parse("c1").unwrap(), unit: None, note: None };
    let mut old = b.clone();
    old.version = 0;
    let stale = decided(&w, &old, &operator(), &dispatch, t0());
    // A new case under a's tracking code.
    let actor = operator();
    let events = appeal::decide_intake(&intake("重复的查询码", a.tracking_code.clone()), &w.ctx(t0(), &actor)).unwrap();
    let taken = NewCase {
        tenant: tenant(),
        at: t0(),
        actor,
        person: None,
        events: Events::new::<AppealKind>(events),
        notices: vec![],
        idempotency: None,
    };
    let held = hold();
    let pending = [
        store.append(decided(&w, &a, &operator(), &dispatch, t0())),
        store.append(stale),
        store.create_case(taken),
        store.append(decided(&w, &c, &operator(), &dispatch, t0())),
    ];
    drop(held);
    let [pa, pstale, ptaken, pc] = pending.map(|p| p.wait());
    assert_eq!(pa.unwrap().version(), a.version + 1);
    assert!(matches!(pstale, Err(StoreError::Conflict { .. })), "{pstale:?}");
    assert!(matches!(ptaken, Err(StoreError::Duplicate(_))), "{ptaken:?}");
    assert_eq!(pc.unwrap().version(), c.version + 1);
    assert_eq!(load(store, &a.id).status, Status::Dispatched);
    assert_eq!(load(store, &b.id).version, b.version, "the stale request changed nothing");
    assert_eq!(load(store, &c.id).status, Status::Dispatched);
    assert_eq!(store.count_cases(&CaseQuery::default()).unwrap(), 3);
    assert!(store.verify().unwrap().is_intact());
}

pub fn reference_data_sessions_and_erasure_round_trip(store: &dyn Store) {
    let w = world(store);
    assert_eq!(store.units().unwrap().len(), 4);
    let rec = StaffRecord {
        username: Username::parse("li").unwrap(),
        name: "李四".into(),
        unit: code("dept-a"),
        roles: vec![Role::Handler, Role::UnitLeader],
        password_hash: "$argon2id$x".into(),
        active: true,
        must_change_password: true,
        password_changed_at: Some(t0()),
        totp_secret: Some("JBSWY3DPEHPK3PXP".into()),
        recovery_codes: vec!["ab12".into(), "cd34".into()],
    };
    store.put_staff(&rec, t0()).unwrap();
    assert_eq!(store.staff(&rec.username).unwrap(), Some(rec.clone()));
    let other = StaffRecord { username: Username::parse("an").unwrap(), unit: code("centre"), ..rec.clone() };
    store.put_staff(&other, t0()).unwrap();
    // Ordered by unit, then login.
    assert_eq!(store.list_staff().unwrap(), [other.clone(), rec.clone()]);
    let moved = StaffRecord { active: false, roles: vec![Role::Handler], ..rec.clone() };
    store.put_staff(&moved, t0()).unwrap();
    assert_eq!(store.list_staff().unwrap(), [other, moved]);
    store.create_session("h1", &rec.username, t0(), t0() + Duration::days(1)).unwrap();
    let s1 = store.session("h1").unwrap().unwrap();
    assert_eq!((s1.username.clone(), s1.last_seen_at), (rec.username.clone(), t0()));
    store.touch_session("h1", t0() + Duration::minutes(5)).unwrap();
    assert_eq!(store.session("h1").unwrap().unwrap().last_seen_at, t0() + Duration::minutes(5));
    store.delete_session("h1").unwrap();
    assert_eq!(store.session("h1").unwrap(), None);
    for h in ["h2", "h3", "h4"] {
        store.create_session(h, &rec.username, t0(), t0() + Duration::days(1)).unwrap();
    }
    assert_eq!(store.end_sessions(&rec.username, Some("h3")).unwrap(), 2);
    assert!(store.session("h3").unwrap().is_some() && store.session("h2").unwrap().is_none());

    // The security audit log: appended, read newest first, by account and kind.
    for (i, kind) in ["login_failed", "login_failed", "login"].iter().enumerate() {
        let e = yiwang_store::SecurityEvent {
            id: 0,
            at: t0() + Duration::seconds(i as i64),
            kind: (*kind).into(),
            username: Some("ha".into()),
            address: Some("10.0.0.1".into()),
            detail: "测试".into(),
        };
        store.log_security(&e).unwrap();
    }
    let q = |kinds: &[&str]| yiwang_store::SecurityQuery {
        username: Some("ha".into()),
        kinds: kinds.iter().map(|k| k.to_string()).collect(),
        limit: 10,
        ..Default::default()
    };
    let all = store.security_events(&q(&[])).unwrap();
    assert_eq!(all.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["login", "login_failed", "login_failed"]);
    assert_eq!(all[0].address.as_deref(), Some("10.0.0.1"));
    assert_eq!(store.security_events(&q(&["login_failed"])).unwrap().len(), 2);

    let boundaries = vec![(code("dept-a"), r#"{"type":"Polygon","coordinates":[]}"#.to_owned())];
    store.replace_boundaries(&boundaries, t0()).unwrap();
    assert_eq!(store.boundaries().unwrap(), boundaries);
    store.replace_boundaries(&[], t0()).unwrap();
    assert_eq!(store.boundaries().unwrap(), []);

    let a = new_case(&w, store, t0(), 9, Some("13711112222"));
    let pid = a.citizen.unwrap();
    store
        .log_access(&AccessEntry {
            at: t0(),
            actor: "ha".into(),
            case: Some(a.id.clone()),
            person: Some(pid),
            what: "reveal_phone".into(),
        })
        .unwrap();
    assert!(store.erase_person(pid, t0() + Duration::days(200)).unwrap());
    let p = store.person(pid).unwrap().unwrap();
    assert_eq!(p.data.phone, None);
    assert!(p.erased_at.is_some());
    assert!(!store.erase_person(pid, t0()).unwrap(), "erasing twice reports nothing to do");
    assert_eq!(store.person(PersonId(pid.0 + 1000)).unwrap(), None);
    assert!(store.verify().unwrap().is_intact(), "erasure leaves every chain valid");
    let events = appeal_events(store, &a.id);
    assert_eq!(events.len(), 1);
    let AppealEvent::Accepted { citizen, .. } = &events[0].event else { panic!() };
    assert_eq!(*citizen, Some(pid));
}

/// Open311 client apps' keys: only the hash is stored; a key is found by its hash,
/// listed, and revoked once.
pub fn api_keys_are_kept_by_their_hash_and_revoked_once(store: &dyn Store) {
    assert_eq!(store.api_keys().unwrap(), []);
    let id = store.create_api_key("hash-1", "区政务App", t0()).unwrap();
    let id2 = store.create_api_key("hash-2", "街道小程序", t0() + Duration::hours(1)).unwrap();
    assert_ne!(id, id2);
    let keys = store.api_keys().unwrap();
    assert_eq!(
        keys.iter().map(|k| (k.id, k.name.as_str())).collect::<Vec<_>>(),
        [(id, "区政务App"), (id2, "街道小程序")]
    );
    let k = store.api_key_by_hash("hash-1").unwrap().unwrap();
    assert_eq!((k.id, k.created_at, k.revoked_at), (id, t0(), None));
    assert_eq!(store.api_key_by_hash("hash-3").unwrap(), None);
    assert!(matches!(store.create_api_key("hash-1", "again", t0()), Err(StoreError::Duplicate(_))));
    assert!(store.revoke_api_key(id, t0() + Duration::days(1)).unwrap());
    assert!(!store.revoke_api_key(id, t0() + Duration::days(2)).unwrap(), "revoked already");
    assert!(!store.revoke_api_key(9999, t0()).unwrap(), "no such key");
    assert_eq!(store.api_key_by_hash("hash-1").unwrap().unwrap().revoked_at, Some(t0() + Duration::days(1)));
    assert_eq!(store.api_key_by_hash("hash-2").unwrap().unwrap().revoked_at, None);
}

pub fn full_text_search_finds_chinese_substrings_within_what_a_unit_may_see(store: &dyn Store) {
    let w = world(store);
    let mut cases = vec![];
    for (n, text) in [(1u16, "湖畔路路灯一周不亮，晚上很黑"), (2, "楼下饭店油烟扰民"), (3, "小区路灯坏了")]
    {
        cases.push(new_case_for(&w, store, t0(), intake(text, tracking(t0(), n, 9)), None));
    }
    let search = |text: &str, visible_to: Option<UnitCode>| {
        let q = CaseQuery { text: yiwang_store::search::fts_query(text), visible_to, limit: 10, ..Default::default() };
        let mut found: Vec<String> = store.list_cases(&q).unwrap().rows.into_iter().map(|r| r.id.to_string()).collect();
        found.sort();
        found
    };
    assert_eq!(search("路灯", None), vec![cases[0].id.to_string(), cases[2].id.to_string()]);
    assert_eq!(search("路灯 不亮", None), vec![cases[0].id.to_string()]);
    assert_eq!(search("油烟扰民", None), vec![cases[1].id.to_string()]);
    assert!(search("烟油", None).is_empty(), "bigrams in order, not a bag of characters");
    // A unit sees only what it held or was summoned to.
    assert!(search("路灯", Some(code("dept-a"))).is_empty());
    let held = dispatch_and_sign(&w, store, &cases[2], t0());
    assert_eq!(search("路灯", Some(code("dept-a"))), vec![cases[2].id.to_string()]);
    // A reply's words become searchable.
    assert!(search("更换灯泡", None).is_empty());
    act(
        &w,
        store,
        &held,
        &handler_a(),
        Action::Reply { outcome: appeal::ReplyOutcome::Resolved, text: "已更换灯泡".into(), photos: vec![] },
        t0(),
    );
    assert_eq!(search("更换灯泡", None), vec![cases[2].id.to_string()]);
    // The index is a projection: reindex rebuilds it.
    store.reindex().unwrap();
    assert_eq!(search("路灯", None).len(), 2);
    assert_eq!(search("更换灯泡", None), vec![cases[2].id.to_string()]);
}

/// The texts the dispatch model compares: matches of a query among recent cases of
/// a kind, best first, and the cases of a period, newest first, each with its first
/// event for its kind to read.
pub fn case_texts_are_found_by_words_and_by_time(store: &dyn Store) {
    let w = world(store);
    let texts = ["湖畔路路灯一周不亮", "湖畔路路灯又不亮了，路灯杆也歪了", "楼下饭店油烟扰民"];
    let cases: Vec<Appeal> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            new_case_for(&w, store, t0() + Duration::hours(i as i64), intake(t, tracking(t0(), i as u16, 4)), None)
        })
        .collect();
    let q = yiwang_store::search::fts_any_query("湖畔路路灯不亮", 20).unwrap();
    let similar = store.similar_case_texts("appeal", &q, t0(), 10).unwrap();
    let found: Vec<&CaseId> = similar.iter().map(|c| &c.id).collect();
    assert_eq!(found.len(), 2, "{similar:?}");
    assert!(found.contains(&&cases[0].id) && found.contains(&&cases[1].id));
    let first = similar.iter().find(|c| c.id == cases[1].id).unwrap();
    let AppealEvent::Accepted { text, .. } = serde_json::from_str(&first.opening).unwrap() else { panic!() };
    assert_eq!(text, texts[1]);
    assert_eq!((first.status.as_str(), first.opened_at), ("accepted", t0() + Duration::hours(1)));
    // Opened before `since`: not a candidate.
    assert_eq!(store.similar_case_texts("appeal", &q, t0() + Duration::minutes(30), 10).unwrap().len(), 1);
    // Another kind's cases are not an appeal's duplicates.
    assert_eq!(store.similar_case_texts("chore", &q, t0(), 10).unwrap(), []);

    let period = store.case_texts("appeal", t0(), t0() + Duration::hours(2), 10).unwrap();
    assert_eq!(period.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), [cases[1].id.clone(), cases[0].id.clone()]);
    let newest = store.case_texts("appeal", t0(), t0() + Duration::days(1), 1).unwrap();
    assert_eq!(newest.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), [cases[2].id.clone()]);
    assert_eq!(store.case_texts("chore", t0(), t0() + Duration::days(1), 10).unwrap(), []);
}

pub fn search_lists_newest_first_and_counts_up_to_a_limit(store: &dyn Store) {
    let w = world(store);
    // Recorded as they are accepted, as they are live.
    let mut newest_first: Vec<CaseId> = vec![];
    for (n, minutes) in [(1u16, 10i64), (2, 20), (3, 30), (4, 50)] {
        newest_first.insert(0, new_case(&w, store, t0() + Duration::minutes(minutes), n, None).id);
    }
    let text = yiwang_store::search::fts_query("道路破损");
    let all = CaseQuery { text: text.clone(), limit: 10, ..Default::default() };
    let page = store.list_cases(&all).unwrap();
    assert_eq!(ids(&page.rows), newest_first);
    assert_eq!(page.total, 4);
    let unfiltered = store.list_cases(&CaseQuery { limit: 10, ..Default::default() }).unwrap();
    assert_eq!(ids(&unfiltered.rows), newest_first);
    // A page further on, and a window of the time opened.
    let second =
        store.list_cases(&CaseQuery { text: text.clone(), limit: 2, offset: 2, ..Default::default() }).unwrap();
    assert_eq!(ids(&second.rows), newest_first[2..]);
    let window = CaseQuery {
        text: text.clone(),
        opened_from: Some(t0() + Duration::minutes(20)),
        opened_to: Some(t0() + Duration::minutes(50)),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(ids(&store.list_cases(&window).unwrap().rows), newest_first[1..3]);
    // Counting stops at the limit; the page is the same.
    let capped = CaseQuery { count_up_to: Some(3), ..all.clone() };
    let page = store.list_cases(&capped).unwrap();
    assert_eq!((page.total, page.rows.len()), (3, 4));
    assert_eq!(store.count_cases(&capped).unwrap(), 3);
    assert_eq!(store.count_cases(&CaseQuery { count_up_to: Some(10), ..all }).unwrap(), 4);
}

pub fn a_walk_by_id_visits_every_case_of_a_kind_once(store: &dyn Store) {
    let w = world(store);
    // Several opened in the same instant, as an import opens them.
    for (n, minutes) in [(1u16, 10i64), (2, 20), (3, 20), (4, 20), (5, 40)] {
        new_case(&w, store, t0() + Duration::minutes(minutes), n, None);
    }
    let walk = |kind: &'static str| {
        let mut walked: Vec<CaseId> = vec![];
        let mut after = None;
        for _ in 0..10 {
            let q = CaseQuery { kind: Some(kind), limit: 2, order: ListOrder::ById { after }, ..Default::default() };
            let page = store.list_cases(&q).unwrap();
            let Some(last) = page.rows.last() else { break };
            after = Some(last.id.clone());
            walked.extend(ids(&page.rows));
        }
        walked
    };
    let walked = walk("appeal");
    let mut every = ids(&store.list_cases(&CaseQuery { limit: 10, ..Default::default() }).unwrap().rows);
    every.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(every.len(), 5);
    assert_eq!(walked, every, "every case once, in id order");
    assert_eq!(walk("chore"), Vec::<CaseId>::new());
    // The cursor excludes the case it names and every one before it.
    let q = CaseQuery { limit: 10, order: ListOrder::ById { after: Some(walked[2].clone()) }, ..Default::default() };
    assert_eq!(ids(&store.list_cases(&q).unwrap().rows), walked[3..]);
    // Newest first from a page's last row: the rest, ties broken by id.
    let newest = store.list_cases(&CaseQuery { limit: 10, ..Default::default() }).unwrap().rows;
    let (opened_at, id) = (newest[1].opened_at, newest[1].id.clone());
    let q = CaseQuery { limit: 10, order: ListOrder::NewestAfter { opened_at, id }, ..Default::default() };
    assert_eq!(ids(&store.list_cases(&q).unwrap().rows), ids(&newest[2..]));
}

pub fn articles_and_documents_round_trip_and_corrections_become_examples(store: &dyn Store) {
    let w = world(store);
    store.put_document("routing", "[]", t0()).unwrap();
    store.put_document("routing", r#"[{"unit":"dept-a"}]"#, t0()).unwrap();
    assert_eq!(store.document("routing").unwrap().as_deref(), Some(r#"[{"unit":"dept-a"}]"#));
    assert_eq!(store.document("nothing").unwrap(), None);

    let mut a = yiwang_store::Article {
        id: 0,
        unit: code("dept-a"),
        question: "路灯不亮找谁？".into(),
        answer: "城管委".into(),
        keywords: "路灯".into(),
        valid_from: "2026-01-01".parse().unwrap(),
        valid_to: None,
        updated_by: "ha".into(),
        updated_at: t0(),
    };
    let id = store.put_article(&a).unwrap();
    a.id = id;
    a.valid_to = Some("2026-12-31".parse().unwrap());
    assert_eq!(store.put_article(&a).unwrap(), id);
    assert_eq!(store.article(id).unwrap(), Some(a.clone()));
    assert_eq!(store.articles().unwrap(), [a.clone()]);
    a.id = 999;
    assert!(matches!(store.put_article(&a), Err(StoreError::NotFound(_))));

    // Returned by a unit, re-dispatched and answered: a labelled example.
    let c = new_case(&w, store, t0(), 1, None);
    let d = Action::Dispatch { category: CategoryCode::parse("c1").unwrap(), unit: Some(code("dept-b")), note: None };
    let c = act(&w, store, &c, &operator(), d, t0());
    let hb = staff("hb", "dept-b", UnitKind::Department, &[Role::Handler]);
    let c = act(&w, store, &c, &hb, Action::Return { reason: "非本单位职责".into() }, t0());
    let c = dispatch_and_sign(&w, store, &c, t0());
    assert_eq!(store.labelled_cases().unwrap(), [], "not yet answered");
    act(
        &w,
        store,
        &c,
        &handler_a(),
        Action::Reply { outcome: appeal::ReplyOutcome::Resolved, text: "已处理".into(), photos: vec![] },
        t0(),
    );
    let ex = store.labelled_cases().unwrap();
    assert_eq!(ex.len(), 1);
    assert_eq!(
        (ex[0].case.clone(), ex[0].category.as_str(), ex[0].text.as_str()),
        (c.id.clone(), "c1", "诉求 1道路破损")
    );
    // An uncorrected case is no example.
    let plain = dispatch_and_sign(&w, store, &new_case(&w, store, t0(), 2, None), t0());
    act(
        &w,
        store,
        &plain,
        &handler_a(),
        Action::Reply { outcome: appeal::ReplyOutcome::Resolved, text: "已处理".into(), photos: vec![] },
        t0(),
    );
    assert_eq!(store.labelled_cases().unwrap().len(), 1);
}

pub fn imported_cases_are_stored_as_if_recorded_live(store: &dyn Store) {
    let w = world(store);
    // A case recorded live, from intake to a closing callback.
    let live = new_case(&w, store, t0(), 8, Some("13712345678"));
    let live = dispatch_and_sign(&w, store, &live, t0() + Duration::minutes(5));
    let live =
        act(&w, store, &live, &handler_a(), Action::Contact { note: "已联系".into() }, t0() + Duration::hours(1));
    let reply =
        Action::Reply { outcome: appeal::ReplyOutcome::Resolved, text: "井盖已更换".into(), photos: vec![] };
    let live = act(&w, store, &live, &handler_a(), reply, t0() + Duration::hours(20));
    let callback = Action::Callback { solved: true, satisfaction: Satisfaction::Satisfied, note: None };
    let live = act(&w, store, &live, &operator(), callback, t0() + Duration::hours(30));
    let tally_before = tally(store, "2026-11");

    // The same history imported under another number (the day before) and tracking code.
    let id = CaseId::parse("YW20261115000007").unwrap();
    let code_b = TrackingCode::dated(civil_date(t0()), [9, 9, 9, 9, 9, 9, 9]);
    let history = || history_of(store, &live.id, recoded(code_b.clone()));
    let person = PersonData { name: Some("李四".into()), phone: Some("13700000000".into()), ..Default::default() };
    let imported_at = t0() + Duration::days(3);
    store.import_cases(vec![imported(id.as_str(), Some(person), history())], imported_at).wait().unwrap();

    // Its events keep their own times and are recorded at the import: a window of
    // recording time finds them there, and only the live case's in the past.
    let recorded = |from: DateTime<Utc>, to: DateTime<Utc>| -> Vec<String> {
        store.events_between("appeal", from, to, 1000, 0).unwrap().into_iter().map(|e| e.case.to_string()).collect()
    };
    let at_import = recorded(imported_at, imported_at + Duration::milliseconds(1));
    assert_eq!(at_import.len(), live.version as usize);
    assert!(at_import.iter().all(|c| c == id.as_str()));
    let earlier = recorded(t0(), t0() + Duration::days(2));
    assert_eq!(earlier.len(), live.version as usize);
    assert!(earlier.iter().all(|c| c == live.id.as_str()));
    assert_eq!(
        store.events(&id).unwrap().iter().map(|e| e.at).collect::<Vec<_>>(),
        store.events(&live.id).unwrap().iter().map(|e| e.at).collect::<Vec<_>>()
    );

    let got = load(store, &id);
    let pid = got.citizen.expect("the imported citizen is referenced by id");
    assert_ne!(Some(pid), live.citizen);
    assert_eq!(store.person(pid).unwrap().unwrap().data.phone.as_deref(), Some("13700000000"));
    let mut expected = live.clone();
    expected.id = id.clone();
    expected.tracking_code = code_b.clone();
    expected.citizen = Some(pid);
    assert_eq!(got, expected);
    let (a, b) = (appeal_events(store, &live.id), appeal_events(store, &id));
    let shape =
        |v: &[appeal::Envelope]| v.iter().map(|e| (e.seq, e.at, e.actor.clone(), e.event.name())).collect::<Vec<_>>();
    assert_eq!(shape(&a), shape(&b));
    assert_eq!(store.find_by_tracking_code(code_b.as_str()).unwrap(), Some(id.clone()));
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert_eq!(report.events, 2 * a.len() as u64);

    // Queues, search and the month's facts count it like the live one.
    let closed = CaseQuery { unit: Some(code("dept-a")), statuses: vec!["closed"], limit: 10, ..Default::default() };
    let rows = store.list_cases(&closed).unwrap().rows;
    // Both were accepted at the same instant: either may come first.
    let mut listed = ids(&rows);
    listed.sort();
    assert_eq!(listed, [id.clone(), live.id.clone()]);
    let text = yiwang_store::search::fts_query("井盖").unwrap();
    let found = store.list_cases(&CaseQuery {
        text: Some(text),
        visible_to: Some(code("dept-a")),
        limit: 10,
        ..Default::default()
    });
    assert_eq!(found.unwrap().total, 2);
    let t = |v: &[(UnitCode, Tally)]| v.iter().find(|(u, _)| u.as_str() == "dept-a").unwrap().1;
    let (before, after) = (t(&tally_before), t(&tally(store, "2026-11")));
    assert_eq!((after.dispatched, after.callbacks, after.satisfied), (2 * before.dispatched, 2, 2));

    // The day's counter was raised past the imported number.
    assert_eq!(new_case(&w, store, t0() - Duration::days(1), 9, None).id.as_str(), "YW20261115000008");

    // All or nothing: a batch with a stored case, or one not opening with an intake,
    // leaves nothing.
    let fresh = || {
        let code = TrackingCode::dated(civil_date(t0()), [8, 8, 8, 8, 8, 8, 8]);
        imported("YW20261114000001", None, history_of(store, &live.id, recoded(code)))
    };
    let again = imported(id.as_str(), None, history());
    let err = store.import_cases(vec![fresh(), again], imported_at).wait().unwrap_err();
    assert!(matches!(&err, StoreError::Duplicate(m) if m == "case YW20261115000007"), "{err:?}");
    let mut headless = history_of(store, &live.id, recoded(TrackingCode::dated(civil_date(t0()), [7; 7])));
    headless.remove(0);
    let err = store
        .import_cases(vec![fresh(), imported("YW20261114000002", None, headless)], imported_at)
        .wait()
        .unwrap_err();
    assert!(matches!(&err, StoreError::InvalidImport(m) if m.contains("YW20261114000002")), "{err:?}");
    assert_eq!(store.load(&CaseId::parse("YW20261114000001").unwrap()).unwrap(), None);
    assert_eq!(store.verify().unwrap().cases, 3);
}

/// Imports do not pass through `decide`, so a legacy history can say what no rule
/// allows: a reply with no unit ever dispatched to, a unit signing for a case never
/// dispatched. Each is refused before it reaches a writer, naming the case and the
/// event, and nothing of its batch is stored; the store goes on taking writes (once,
/// one such case panicked PostgreSQL's writer thread, and every later write failed).
pub fn an_impossible_history_is_refused_naming_the_case(store: &dyn Store) {
    let w = world(store);
    let live = new_case(&w, store, t0(), 1, None);
    let accepted = history_of(store, &live.id, recoded(TrackingCode::dated(civil_date(t0()), [5; 7])));
    let then = |event: AppealEvent| {
        let mut h = accepted.clone();
        h.push(ImportedEvent { at: t0() + Duration::hours(1), actor: handler_a(), event });
        h
    };
    let replied = then(AppealEvent::Replied {
        outcome: appeal::ReplyOutcome::Resolved,
        text: "已处理".into(),
        photos: vec![],
        callback_clock: None,
    });
    let signed = then(AppealEvent::SignedFor { contact_clock: live.clocks[0] });
    for (id, history, why) in
        [("YW20261114000011", replied, "no unit holds it"), ("YW20261114000012", signed, "no unit holds it")]
    {
        let good = imported(
            "YW20261114000010",
            None,
            history_of(store, &live.id, recoded(TrackingCode::dated(civil_date(t0()), [6; 7]))),
        );
        let err = store.import_cases(vec![good, imported(id, None, history)], t0()).wait().unwrap_err();
        match &err {
            StoreError::InvalidImport(m) => assert!(m.contains(id) && m.contains("event 2") && m.contains(why), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(store.load(&CaseId::parse("YW20261114000010").unwrap()).unwrap(), None, "nothing of the batch");
    }
    // The writer lives on.
    let after = new_case(&w, store, t0() + Duration::minutes(1), 2, None);
    assert!(store.load(&after.id).unwrap().is_some());
    assert!(store.verify().unwrap().is_intact());
}

/// A batch large enough that its rows go many to a statement (and some one by one):
/// 75 cases with their citizens, each stored whole, its chain intact, findable.
pub fn a_large_import_is_stored_whole(store: &dyn Store) {
    let w = world(store);
    let live = new_case(&w, store, t0(), 1, None);
    let live = dispatch_and_sign(&w, store, &live, t0() + Duration::minutes(5));
    let case = |n: u32| {
        let code = TrackingCode::dated(civil_date(t0()), [(n % 31) as u8, (n / 31) as u8, 9, 9, 9, 9, 9]);
        let events = history_of(store, &live.id, |e| {
            recoded(code.clone())(e);
            if let AppealEvent::Accepted { text, .. } = e {
                *text = format!("第{n}号井盖破损");
            }
        })
        .into_iter()
        .map(|e| ImportedEvent { at: e.at + Duration::seconds(i64::from(n)), ..e })
        .collect();
        let person = PersonData { phone: Some(format!("1370000{n:04}")), ..Default::default() };
        imported(&format!("YW20261110{n:06}"), Some(person), events)
    };
    store.import_cases((1..=75u32).map(case).collect(), t0() + Duration::days(1)).wait().unwrap();
    let history = store.events(&live.id).unwrap();
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert_eq!(report.events, 76 * history.len() as u64);
    for n in [1u32, 32, 33, 64, 75] {
        let got = load(store, &CaseId::parse(&format!("YW20261110{n:06}")).unwrap());
        assert_eq!(got.text, format!("第{n}号井盖破损"));
        assert_eq!(got.version, live.version);
        let phone = store.person(got.citizen.unwrap()).unwrap().unwrap().data.phone;
        assert_eq!(phone, Some(format!("1370000{n:04}")));
    }
    let search = |text: &str| {
        let q = CaseQuery { text: yiwang_store::search::fts_query(text), limit: 5, ..Default::default() };
        store.list_cases(&q).unwrap()
    };
    assert_eq!(search("井盖破损").total, 75);
    let page = search("64");
    assert_eq!((page.total, page.rows[0].id.as_str()), (1, "YW20261110000064"));
    store.reindex().unwrap();
    assert_eq!(search("井盖破损").total, 75);

    // Numbers around the stored ones: a batch spanning many stored numbers has each
    // looked up. New numbers are taken; a stored one refuses the batch.
    let err = import_numbered(store, &live.id, &[200, 40], 7).unwrap_err();
    assert!(matches!(&err, StoreError::Duplicate(m) if m == "case YW20261110000040"), "{err:?}");
    let err = import_numbered(store, &live.id, &[0, 75], 8).unwrap_err();
    assert!(matches!(&err, StoreError::Duplicate(m) if m == "case YW20261110000075"), "{err:?}");
    let err = import_numbered(store, &live.id, &[0, 75, 0], 9).unwrap_err();
    assert!(matches!(&err, StoreError::Duplicate(m) if m == "case YW20261110000000"), "{err:?}");
    // A stored tracking code under a new number.
    let mut taken = case(1);
    taken.person = None;
    taken.id = CaseId::parse("YW20261110000300").unwrap();
    let err = store.import_cases(vec![taken], t0()).wait().unwrap_err();
    assert!(
        matches!(&err, StoreError::Duplicate(m) if m == "case_header.tracking_code of case YW20261110000300"),
        "{err:?}"
    );
    assert_eq!(store.load(&CaseId::parse("YW20261110000000").unwrap()).unwrap(), None);
    import_numbered(store, &live.id, &[0, 100], 7).unwrap();
    assert!(store.load(&CaseId::parse("YW20261110000100").unwrap()).unwrap().is_some());
    assert_eq!(store.load(&CaseId::parse("YW20261110000200").unwrap()).unwrap(), None);
}

/// Imports the history of `template` again under the numbers `YW20261110nnnnnn`,
/// without a citizen and with tracking codes of their own (`salt` tells two imports'
/// codes apart).
pub fn import_numbered(store: &dyn Store, template: &CaseId, numbers: &[u32], salt: u8) -> yiwang_store::Result<()> {
    let batch = numbers
        .iter()
        .map(|&n| {
            let code = TrackingCode::dated(civil_date(t0()), [(n % 31) as u8, (n / 31) as u8, salt, 7, 7, 7, 7]);
            imported(&format!("YW20261110{n:06}"), None, history_of(store, template, recoded(code)))
        })
        .collect();
    store.import_cases(batch, t0() + Duration::days(2)).wait()
}

/// The dashboards' volumes count each case once, on the day it was accepted (China
/// time), with its current status, category, area and channel: for live writes and
/// imports alike, and the same after reindex.
pub fn volumes_count_each_case_on_its_accepted_day(store: &dyn Store) {
    let w = world(store);
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    // 09:00 on the 16th, 00:30 on the 17th and 09:00 on the 14th, China time.
    let a = new_case(&w, store, t0(), 1, None);
    let a = dispatch_and_sign(&w, store, &a, t0() + Duration::minutes(5));
    let b = new_case(&w, store, t0() + Duration::minutes(15 * 60 + 30), 2, None);
    new_case(&w, store, t0() - Duration::days(2), 3, None);
    // a's history again, imported under another number and code, located in an area
    // and with a unit summoned twice (a legacy history may; core would refuse it).
    let mut events = history_of(store, &a.id, |e| {
        if let AppealEvent::Accepted { tracking_code, location, .. } = e {
            *tracking_code = TrackingCode::dated(civil_date(t0()), [5, 5, 5, 5, 5, 5, 5]);
            location.area = Some(code("dept-b"));
        }
    });
    events.extend((1..=2).map(|i| ImportedEvent {
        at: t0() + Duration::hours(i),
        actor: handler_a(),
        event: AppealEvent::Summoned { units: vec![code("dept-b")], note: None },
    }));
    store.import_cases(vec![imported("YW20261116000100", None, events)], t0()).wait().unwrap();
    let co = store.list_cases(&CaseQuery { co_unit: Some(code("dept-b")), limit: 10, ..Default::default() }).unwrap();
    assert_eq!(co.total, 1, "a unit summoned twice is one co-unit");

    fn pairs(v: &[(String, u64)]) -> Vec<(&str, u64)> {
        v.iter().map(|(k, n)| (k.as_str(), *n)).collect()
    }
    let check = || {
        let v = store.volumes("appeal", day("2026-11-15"), day("2026-11-18")).unwrap();
        assert_eq!(pairs(&v.by_day), [("2026-11-16", 2), ("2026-11-17", 1)]);
        let mut statuses = vec![(a.status.as_str(), 2), (b.status.as_str(), 1)];
        statuses.sort();
        assert_eq!(pairs(v.dimension("status")), statuses);
        assert_eq!(pairs(v.dimension("category")), [("", 1), ("c1", 2)]);
        assert_eq!(pairs(v.dimension("area")), [("", 2), ("dept-b", 1)]);
        assert_eq!(pairs(v.dimension("channel")), [("hotline", 3)]);
        let first = store.volumes("appeal", day("2026-11-16"), day("2026-11-17")).unwrap();
        assert_eq!(pairs(&first.by_day), [("2026-11-16", 2)]);
        assert_eq!(pairs(first.dimension("category")), [("c1", 2)]);
        assert_eq!(store.volumes("chore", day("2026-11-15"), day("2026-11-18")).unwrap().by_day, []);
    };
    check();
    // b moves on: it leaves 待派发 for its new status, still on the 17th.
    let b2 = dispatch_and_sign(&w, store, &b, t0() + Duration::hours(16));
    let v = store.volumes("appeal", day("2026-11-17"), day("2026-11-18")).unwrap();
    assert_eq!(pairs(v.dimension("status")), [(b2.status.as_str(), 1)]);
    assert_eq!(pairs(v.dimension("category")), [("c1", 1)]);
    let before = store.volumes("appeal", day("2026-11-01"), day("2026-12-01")).unwrap();
    store.reindex().unwrap();
    let after = store.volumes("appeal", day("2026-11-01"), day("2026-12-01")).unwrap();
    assert_eq!(format!("{before:?}"), format!("{after:?}"));
    assert_eq!(pairs(&after.by_day), [("2026-11-14", 1), ("2026-11-16", 2), ("2026-11-17", 1)]);
}

/// Counts per holding unit are the counts of what the same query lists.
pub fn counts_by_unit_are_what_the_query_lists(store: &dyn Store) {
    let w = world(store);
    new_case(&w, store, t0(), 1, None);
    for n in 2..=3 {
        let a = new_case(&w, store, t0(), n, None);
        dispatch_and_sign(&w, store, &a, t0() + Duration::minutes(5));
    }
    let open = CaseQuery { open: Some(true), limit: 100, ..Default::default() };
    let listed = store.list_cases(&open).unwrap().rows;
    assert_eq!(listed.len(), 3);
    let by_unit = store.count_by_unit(&open).unwrap();
    assert_eq!(by_unit, [(None, 1), (Some(code("dept-a")), 2)]);
    let stage = listed[0].stage;
    let same_stage = store.count_by_unit(&CaseQuery { stage: Some(stage), ..open.clone() }).unwrap();
    let n = listed.iter().filter(|r| r.stage == stage).count() as u64;
    assert!(n > 0);
    assert_eq!(same_stage.iter().map(|(_, k)| k).sum::<u64>(), n);
    let red = store.count_by_unit(&CaseQuery { stage: Some(Stage::Red), ..open.clone() }).unwrap();
    assert_eq!(red, [], "nothing is overdue yet");
    let a_only = store.count_by_unit(&CaseQuery { unit: Some(code("dept-a")), ..open }).unwrap();
    assert_eq!(a_only, [(Some(code("dept-a")), 2)]);
}

// A kind the store has never seen ---------------------------------------------------

/// A kind defined here alone, in the test (`chore.rs`), runs on the engine as the
/// appeal does: created, acted on, listed in its queues and beside appeals, searched,
/// marked by the scheduler's alarms, counted, reindexed and verified, with nothing of
/// it in the store's code.
pub fn a_kind_the_store_has_never_seen_runs_on_the_engine(store: &dyn Store) {
    let w = world(store);
    let admin = staff("root", "d", UnitKind::District, &[Role::Admin]);
    let open = |title: &str, points: u32, code: &str| {
        let cmd = ChoreCommand::Open { title: title.into(), points, code: Some(code.into()) };
        let events = Chore::open(&cmd, &w.ctx(t0(), &admin));
        let new = NewCase {
            tenant: tenant(),
            at: t0(),
            actor: admin.clone(),
            person: Some(PersonData { name: Some("王五".into()), ..Default::default() }),
            events: Events::new::<Chore>(events),
            notices: vec![],
            idempotency: None,
        };
        store.create_case(new).wait()
    };
    let run = |c: &Case, actor: &Actor, cmd: ChoreCommand, at: DateTime<Utc>| -> Case {
        let state = c.state::<Chore>().expect("a chore");
        let events = <Chore as yiwang_core::case::Kind>::decide(state, &cmd, &w.ctx(at, actor)).unwrap();
        store
            .append(AppendBatch::new(tenant(), c.clone(), at, actor.clone(), Events::new::<Chore>(events)))
            .wait()
            .unwrap()
    };
    let leaves = open("清扫落叶", 3, "CHORE-1").unwrap();
    let snow = open("铲除积雪", 5, "CHORE-2").unwrap();
    let appeal = new_case(&w, store, t0(), 1, None);
    // Its own prefix, and the day's numbers of its own kind.
    assert_eq!((leaves.id().as_str(), snow.id().as_str()), ("ZW20261116000001", "ZW20261116000002"));
    assert_eq!(appeal.id.as_str(), "YW20261116000001");
    assert_eq!(leaves.kind(), "chore");
    let person = leaves.state::<Chore>().unwrap().person.unwrap();
    assert_eq!(store.person(person).unwrap().unwrap().data.name.as_deref(), Some("王五"));

    let leaves = run(&leaves, &admin, ChoreCommand::Assign { unit: code("dept-a") }, t0() + Duration::hours(1));
    let leaves = run(&leaves, &admin, ChoreCommand::Help { unit: code("dept-b") }, t0() + Duration::hours(2));
    assert_eq!(leaves.version(), 3);
    // Its tracking code is unique among every kind's.
    assert!(matches!(open("重复", 1, "CHORE-1"), Err(StoreError::Duplicate(_))));
    assert!(matches!(open("重复", 1, appeal.tracking_code.as_str()), Err(StoreError::Duplicate(_))));

    // Loaded back as itself, by the kind recorded for it.
    let loaded = store.load(leaves.id()).unwrap().unwrap();
    assert_eq!(loaded, leaves);
    assert!(loaded.state::<AppealKind>().is_none());
    assert!(store.load(&appeal.id).unwrap().unwrap().state::<Chore>().is_none());

    // Queues: its kind alone, beside appeals, by its detail, by unit and co-unit.
    let q = |f: CaseQuery| store.list_cases(&CaseQuery { limit: 50, ..f }).unwrap();
    let chores = q(CaseQuery { kind: Some("chore"), ..Default::default() });
    assert_eq!(chores.total, 2);
    assert!(chores.rows.iter().all(|r| r.kind == "chore"));
    let everything = q(CaseQuery::default());
    assert_eq!(everything.total, 3);
    let mine = q(CaseQuery { unit: Some(code("dept-a")), open: Some(true), ..Default::default() });
    assert_eq!(ids(&mine.rows), vec![leaves.id().clone()]);
    assert_eq!(mine.rows[0].status, "assigned");
    assert_eq!(mine.rows[0].person_name.as_deref(), Some("王五"));
    let heavy = q(CaseQuery { detail: vec![("points", serde_json::json!(5))], ..Default::default() });
    assert_eq!(ids(&heavy.rows), vec![snow.id().clone()]);
    let helping = q(CaseQuery { co_unit: Some(code("dept-b")), ..Default::default() });
    assert_eq!(ids(&helping.rows), vec![leaves.id().clone()]);
    let b_sees = q(CaseQuery { visible_to: Some(code("dept-b")), ..Default::default() });
    assert_eq!(ids(&b_sees.rows), vec![leaves.id().clone()]);
    assert_eq!(store.find_by_tracking_code("CHORE-2").unwrap(), Some(snow.id().clone()));

    // One search, with a kind filter.
    let text = yiwang_store::search::fts_query("落叶");
    let found = q(CaseQuery { text: text.clone(), ..Default::default() });
    assert_eq!(ids(&found.rows), vec![leaves.id().clone()]);
    assert_eq!(q(CaseQuery { text: text.clone(), kind: Some("appeal"), ..Default::default() }).total, 0);

    // The one scheduler: its clock's alarms come due and are recorded.
    let due = leaves.project().header.next_alarm.unwrap();
    assert!(store.due_alarms(due, 100).unwrap().contains(leaves.id()));
    let (alarms, _) = leaves.kind_of().alarms(&leaves, &w.ctx(due, &Actor::System)).expect("the clock turns yellow");
    let leaves = store.append(AppendBatch::new(tenant(), leaves.clone(), due, Actor::System, alarms)).wait().unwrap();
    assert_eq!(leaves.project().header.stage, Stage::Yellow);
    assert_eq!(q(CaseQuery { stage: Some(Stage::Yellow), ..Default::default() }).rows[0].id, *leaves.id());

    // Finished: closed, counted for the month, out of the open queues.
    let leaves =
        run(&leaves, &handler_a(), ChoreCommand::Finish { note: "已清扫完毕".into() }, t0() + Duration::minutes(210));
    assert!(leaves.project().header.closed_at.is_some());
    assert!(q(CaseQuery { unit: Some(code("dept-a")), open: Some(true), ..Default::default() }).rows.is_empty());
    assert!(!store.due_alarms(t0() + Duration::days(30), 100).unwrap().contains(leaves.id()));
    let facts: Vec<FactCount> =
        store.tally_month("2026-11").unwrap().into_iter().filter(|f| f.kind == "chore").collect();
    assert_eq!(
        facts,
        [FactCount {
            kind: "chore".into(),
            unit: code("dept-a"),
            name: "finished".into(),
            flag: true,
            value: "3".into(),
            count: 1
        }]
    );
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let v = store.volumes("chore", day("2026-11-16"), day("2026-11-17")).unwrap();
    assert_eq!(v.by_day, [("2026-11-16".to_owned(), 2)]);
    assert_eq!(v.dimension("status"), [("finished".to_owned(), 1), ("open".to_owned(), 1)]);
    // Its words from later events become searchable.
    assert_eq!(
        ids(&q(CaseQuery { text: yiwang_store::search::fts_query("清扫完毕"), ..Default::default() }).rows),
        [leaves.id().clone()]
    );
    // Its events come back by kind.
    let recorded = store.events_between("chore", t0(), t0() + Duration::days(1), 100, 0).unwrap();
    assert_eq!(recorded.len(), 5 + 1, "leaves: opened, assigned, helped, warned, finished; snow: opened");
    assert!(recorded.iter().all(|e| e.case.as_str().starts_with("ZW")));

    // Reindex and verify know it as well as appeals.
    let before = projected(store);
    assert!(before.contains("finished"), "{before}");
    assert_eq!(store.reindex().unwrap(), 3);
    assert_eq!(projected(store), before);
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert_eq!(report.cases, 3);
}

/// Importing cases of a kind the store has never seen, beside appeals.
pub fn cases_of_another_kind_import_beside_appeals(store: &dyn Store) {
    let w = world(store);
    let admin = staff("root", "d", UnitKind::District, &[Role::Admin]);
    let cmd = ChoreCommand::Open { title: "修剪树枝".into(), points: 2, code: None };
    let opened = Chore::open(&cmd, &w.ctx(t0(), &admin));
    let mut events: Vec<ImportedEvent<ChoreEvent>> =
        opened.into_iter().map(|event| ImportedEvent { at: t0(), actor: admin.clone(), event }).collect();
    events.push(ImportedEvent {
        at: t0() + Duration::hours(1),
        actor: admin.clone(),
        event: ChoreEvent::Assigned { unit: code("dept-b") },
    });
    let chore = ImportedCase::new::<Chore>(tenant(), CaseId::parse("ZW20261101000042").unwrap(), None, events);
    let live = new_case(&w, store, t0(), 1, None);
    let again = imported("YW20261101000001", None, history_of(store, &live.id, recoded(tracking(t0(), 1, 1))));
    store.import_cases(vec![chore, again], t0() + Duration::days(1)).wait().unwrap();
    let c = store.load(&CaseId::parse("ZW20261101000042").unwrap()).unwrap().unwrap();
    assert_eq!(c.state::<Chore>().unwrap().unit, Some(code("dept-b")));
    assert_eq!(c.version(), 2);
    assert!(store.verify().unwrap().is_intact());
    assert_eq!(store.list_cases(&CaseQuery { kind: Some("chore"), limit: 5, ..Default::default() }).unwrap().total, 1);
    // A chore's history that does not open one is refused, and nothing is stored.
    let headless = ImportedCase::new::<Chore>(
        tenant(),
        CaseId::parse("ZW20261101000043").unwrap(),
        None,
        vec![ImportedEvent { at: t0(), actor: admin, event: ChoreEvent::Assigned { unit: code("dept-a") } }],
    );
    assert!(matches!(store.import_cases(vec![headless], t0()).wait(), Err(StoreError::InvalidImport(_))));
    assert_eq!(store.load(&CaseId::parse("ZW20261101000043").unwrap()).unwrap(), None);
}

/// A search within a kind finds and counts that kind's cases only, whether they were
/// written live, imported or reindexed, with or without a count bound.
pub fn a_search_within_a_kind_finds_and_counts_its_own(store: &dyn Store) {
    let w = world(store);
    let admin = staff("root", "d", UnitKind::District, &[Role::Admin]);
    let chore = |title: &str| {
        let cmd = ChoreCommand::Open { title: title.into(), points: 1, code: None };
        let events = Events::new::<Chore>(Chore::open(&cmd, &w.ctx(t0(), &admin)));
        let new = NewCase {
            tenant: tenant(),
            at: t0(),
            actor: admin.clone(),
            person: None,
            events,
            notices: vec![],
            idempotency: None,
        };
        store.create_case(new).wait().unwrap().id().clone()
    };
    let appeal = new_case_for(&w, store, t0(), intake("小区门口落叶没人扫", tracking(t0(), 7, 7)), None).id;
    let other = new_case_for(&w, store, t0(), intake("路灯不亮", tracking(t0(), 8, 8)), None).id;
    let text = yiwang_store::search::fts_query("落叶");
    // Searched before the first chore: the store may then know of no chore, and must
    // still tell the chores from the appeals once they come.
    let q = CaseQuery { text: text.clone(), kind: Some("appeal"), count_up_to: Some(1000), ..Default::default() };
    assert_eq!(store.count_cases(&q).unwrap(), 1);
    let chores = [chore("清扫落叶"), chore("落叶堆满了路边")];
    let check = |when: &str| {
        for (kind, mut want) in [
            (None, vec![appeal.clone(), chores[0].clone(), chores[1].clone()]),
            (Some("appeal"), vec![appeal.clone()]),
            (Some("chore"), chores.to_vec()),
        ] {
            for bound in [None, Some(1000)] {
                let page = store
                    .list_cases(&CaseQuery {
                        text: text.clone(),
                        kind,
                        count_up_to: bound,
                        limit: 10,
                        ..Default::default()
                    })
                    .unwrap();
                let mut got = ids(&page.rows);
                got.sort();
                want.sort();
                assert_eq!((&got, page.total), (&want, want.len() as u64), "{when}: {kind:?}, bound {bound:?}");
            }
        }
        let appeals = CaseQuery { kind: Some("appeal"), limit: 10, ..Default::default() };
        assert_eq!(store.list_cases(&appeals).unwrap().total, 2, "{when}: {other} is an appeal without the word");
    };
    check("written live");
    store.reindex().unwrap();
    check("reindexed");
}

/// A signer for checkpoints: the store never checks signatures (the app does, with
/// the published keys), so any text serves here.
fn test_signer() -> yiwang_store::anchor::Signer {
    yiwang_store::anchor::Signer { key_id: "test".into(), sign: Box::new(|m| format!("signed {} bytes", m.len())) }
}

/// Someone with write access to the database (`sql` runs a statement behind the
/// store's back) rewrites a case and recomputes its whole chain and head, deletes a
/// case whole, and wipes the access log. The chains alone still verify; the anchored
/// log names each change. `links`: the store keeps each event's link to the one
/// before (PostgreSQL's `prev_hash`), which the rewrite recomputes too.
pub fn a_hostile_database_administrator_is_caught(store: &dyn Store, sql: &dyn Fn(&str), links: bool) {
    use yiwang_store::anchor::AnchorBreak;
    let w = world(store);
    let a = new_case(&w, store, t0(), 1, Some("13711112222"));
    let a = dispatch_and_sign(&w, store, &a, t0() + Duration::minutes(1));
    let b = new_case(&w, store, t0(), 2, None);
    store
        .log_access(&AccessEntry {
            at: t0() + Duration::minutes(3),
            actor: "ha".into(),
            case: Some(a.id.clone()),
            person: a.citizen,
            what: "reveal_phone".into(),
        })
        .unwrap();
    let cp = store.seal(t0() + Duration::minutes(5), test_signer()).unwrap().expect("something to seal");
    assert_eq!((cp.n, cp.heads, cp.accesses), (1, 4, 1), "two creates, two appends, one reveal");
    assert_eq!(cp.message().lines().next(), Some("yiwang-checkpoint/1"));
    assert!(store.seal(t0() + Duration::minutes(6), test_signer()).unwrap().is_none(), "nothing new");
    let r = store.check_anchor().unwrap();
    assert!(r.is_intact(), "{:?}", r.breaks);
    assert_eq!((r.checkpoints, r.unsealed_heads, r.unsealed_accesses), (vec![cp], 0, 0));

    // Case A's title rewritten, its chain and head recomputed: every link holds.
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let mut prev = yiwang_core::chain::GENESIS.to_owned();
    for e in store.events(&a.id).unwrap() {
        let body = e.body.replace("诉求 1", "诉求 X");
        let at = e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let actor = serde_json::to_string(&e.actor).unwrap();
        let alg = yiwang_core::chain::HashAlg::Sha256;
        let hash = yiwang_core::chain::link_event(alg, &prev, "d", a.id.as_str(), e.seq, &at, &actor, &body);
        let link = if links { format!(", prev_hash = {}", quote(&prev)) } else { String::new() };
        sql(&format!(
            "UPDATE event SET body = {}, hash = {}{link} WHERE case_id = {} AND seq = {}",
            quote(&body),
            quote(&hash),
            quote(a.id.as_str()),
            e.seq
        ));
        prev = hash;
    }
    sql(&format!("UPDATE chain_head SET hash = {} WHERE case_id = {}", quote(&prev), quote(a.id.as_str())));
    // Case B deleted whole, and the access log wiped.
    sql(&format!("DELETE FROM event WHERE case_id = {}", quote(b.id.as_str())));
    sql(&format!("DELETE FROM chain_head WHERE case_id = {}", quote(b.id.as_str())));
    sql("DELETE FROM access_log");

    let chains = store.verify().unwrap();
    assert!(chains.is_intact(), "the chains alone cannot tell: {:?}", chains.breaks);
    let r = store.check_anchor().unwrap();
    let rewritten: Vec<i64> = r
        .breaks
        .iter()
        .filter_map(|x| match x {
            AnchorBreak::Rewritten { case, seq } if *case == a.id.as_str() => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(rewritten, [1, 2, 3], "A's heads as logged (created, dispatched, signed for): {:?}", r.breaks);
    assert!(r.breaks.contains(&AnchorBreak::Missing { case: b.id.to_string(), seq: 1 }), "{:?}", r.breaks);
    assert!(
        r.breaks.iter().any(|x| matches!(x, AnchorBreak::Altered { n: 1, accesses: 1, now_accesses: 0, .. })),
        "{:?}",
        r.breaks
    );
    // Covering the tracks in the log itself breaks the sealed digest just the same.
    sql(&format!("DELETE FROM head_log WHERE case_id = {}", quote(b.id.as_str())));
    let r = store.check_anchor().unwrap();
    assert!(!r.breaks.iter().any(|x| matches!(x, AnchorBreak::Missing { .. })));
    assert!(r.breaks.iter().any(|x| matches!(x, AnchorBreak::Altered { n: 1, heads: 4, now_heads: 3, .. })));
    // A head whose logging was removed before any checkpoint sealed it is named too.
    let c = new_case(&w, store, t0() + Duration::minutes(7), 3, None);
    sql(&format!("DELETE FROM head_log WHERE case_id = {}", quote(c.id.as_str())));
    let r = store.check_anchor().unwrap();
    assert!(r.breaks.contains(&AnchorBreak::Unlogged { case: c.id.to_string(), seq: 1 }), "{:?}", r.breaks);
}

/// Personal data is sealed at rest (`seal.rs`): what the table holds is ciphertext
/// bound to its row, the store reads it back, rows written in plaintext before are
/// sealed in batches, a rotated key takes over, and a store without the key refuses
/// rather than shows ciphertext. `open` opens the database with the keys given (the
/// store before it dropped); `raw` reads a person row behind the store's back:
/// name, phone, sealed_with.
pub fn personal_data_is_sealed_at_rest(
    open: &dyn Fn(yiwang_store::PersonalKeys) -> yiwang_store::Result<Box<dyn Store>>,
    raw: &dyn Fn(i64) -> (Option<String>, Option<String>, Option<String>),
) {
    use yiwang_store::PersonalKeys;
    let k1 = || PersonalKeys::new(vec![("k1".into(), [1; 32])], "k1").unwrap();
    let k12 = || PersonalKeys::new(vec![("k1".into(), [1; 32]), ("k2".into(), [2; 32])], "k2").unwrap();
    let seal_all = |store: &dyn Store| {
        let (mut after, mut total) = (PersonId(0), 0);
        while let Some((last, n)) = store.seal_people(after, 1).unwrap() {
            (after, total) = (last, total + n);
        }
        total
    };
    let name_of = |store: &dyn Store, id: PersonId| store.person(id).unwrap().unwrap().data.name;

    // Written before sealing existed: plaintext, read as it is.
    let store = open(PersonalKeys::none()).unwrap();
    let w = world(store.as_ref());
    let a = new_case(&w, store.as_ref(), t0(), 1, Some("13711112222"));
    let pa = a.citizen.unwrap();
    assert_eq!(raw(pa.0), (Some("张三".into()), Some("13711112222".into()), None));
    drop(store);

    // Sealed: the table holds ciphertext under k1; the store reads the person and the
    // case lists show the name and phone.
    let store = open(k1()).unwrap();
    let b = new_case(&w, store.as_ref(), t0(), 2, Some("13733334444"));
    let pb = b.citizen.unwrap();
    let (name, phone, key) = raw(pb.0);
    assert_eq!(key.as_deref(), Some("k1"));
    assert!(!name.as_deref().unwrap().contains('张'), "{name:?}");
    assert!(!phone.as_deref().unwrap().contains("3333"), "{phone:?}");
    let person = store.person(pb).unwrap().unwrap();
    assert_eq!(person.data.phone.as_deref(), Some("13733334444"));
    assert_eq!(person.data.phone_digest.as_deref(), Some("digest-13733334444"), "the digest is kept to match");
    assert_eq!(name_of(store.as_ref(), pa).as_deref(), Some("张三"), "an old row reads as it is");
    let listed = store.list_cases(&CaseQuery { limit: 10, ..Default::default() }).unwrap();
    let mut phones: Vec<_> = listed.rows.iter().map(|r| r.person_phone.clone().unwrap()).collect();
    phones.sort();
    assert_eq!(phones, ["13711112222", "13733334444"]);
    assert!(listed.rows.iter().all(|r| r.person_name.as_deref() == Some("张三")));

    // The old row is sealed in batches (of one here), once.
    assert_eq!(seal_all(store.as_ref()), 1);
    assert_eq!(raw(pa.0).2.as_deref(), Some("k1"));
    assert_ne!(raw(pa.0).0.as_deref(), Some("张三"));
    assert_eq!(name_of(store.as_ref(), pa).as_deref(), Some("张三"));
    assert_eq!(seal_all(store.as_ref()), 0);
    // Erasure clears a sealed row, and sealing leaves it erased.
    assert!(store.erase_person(pa, t0() + Duration::hours(1)).unwrap());
    drop(store);

    // Without the key the store refuses to read the row, naming the key.
    let store = open(PersonalKeys::none()).unwrap();
    let refused = store.person(pb).unwrap_err().to_string();
    assert!(refused.contains("k1"), "{refused}");
    // A list still opens, the row shown as not readable rather than as ciphertext.
    let listed = store.list_cases(&CaseQuery { limit: 10, ..Default::default() }).unwrap();
    assert!(listed.rows.iter().any(|r| r.person_name.as_deref() == Some("（无法解密）") && r.person_phone.is_none()));
    drop(store);

    // Keys that cannot open what is sealed (a key directory lost, a fresh key made in
    // its place) are refused at open, naming the key, before anything is written.
    let stray = PersonalKeys::new(vec![("k9".into(), [9; 32])], "k9").unwrap();
    let refused = open(stray).err().expect("refused").to_string();
    assert!(refused.contains("k1"), "{refused}");

    // A rotated key seals what is new and takes the old rows over; k1 still opens
    // what is not moved yet.
    let store = open(k12()).unwrap();
    assert_eq!(name_of(store.as_ref(), pb).as_deref(), Some("张三"));
    let c = new_case(&w, store.as_ref(), t0(), 3, Some("13755556666"));
    assert_eq!(raw(c.citizen.unwrap().0).2.as_deref(), Some("k2"));
    assert_eq!(seal_all(store.as_ref()), 1, "b moves to k2; a is erased; c is current");
    assert_eq!(raw(pb.0).2.as_deref(), Some("k2"));
    assert_eq!(name_of(store.as_ref(), pb).as_deref(), Some("张三"));
    let erased = store.person(pa).unwrap().unwrap();
    assert!(erased.erased_at.is_some() && erased.data == PersonData::default());
}

/// The security log is kept for its period, then moved out whole checkpoints at a
/// time: what was archived still verifies against the signed checkpoint when the
/// archive is given, an edited archive does not, and nothing younger than the period
/// can be removed through the store. `sql` runs a statement behind the store's back.
pub fn security_events_are_archived_by_checkpoint_after_their_period(store: &dyn Store, sql: &dyn Fn(&str)) {
    use yiwang_store::anchor::AnchorBreak;
    use yiwang_store::{SecurityEvent, SecurityQuery};
    let log = |at: DateTime<Utc>, kind: &str| {
        let e = SecurityEvent {
            id: 0,
            at,
            kind: kind.into(),
            username: Some("operator1".into()),
            address: Some("10.0.0.7".into()),
            detail: format!("{kind} at {at}"),
        };
        store.log_security(&e).unwrap();
    };
    let day = Duration::days(1);
    log(t0(), "login_failed");
    log(t0() + Duration::minutes(1), "login");
    let old = store.seal(t0() + Duration::minutes(2), test_signer()).unwrap().unwrap();
    log(t0() + day * 200, "login");
    let recent = store.seal(t0() + day * 200 + Duration::minutes(1), test_signer()).unwrap().unwrap();
    let all = || store.security_events(&SecurityQuery { limit: 100, ..Default::default() }).unwrap();
    assert_eq!(all().len(), 3);

    // Kept 180 days at the 201st: the first checkpoint's events are due, the second's not.
    let now = t0() + day * 201;
    let before = now - day * 180;
    let due = store.security_to_archive(before).unwrap();
    assert_eq!(due.keys().copied().collect::<Vec<_>>(), [old.n]);
    assert_eq!(due[&old.n].len(), 2);
    let refused = store.archive_security(&[old.n, recent.n], before, now).unwrap_err().to_string();
    assert!(refused.contains(&format!("checkpoint {}", recent.n)), "{refused}");
    assert_eq!(all().len(), 3, "a refusal removes nothing");
    assert_eq!(store.archive_security(&[old.n], before, now).unwrap(), 2);
    assert_eq!(store.archive_security(&[old.n], before, now).unwrap(), 0, "once");
    let left = all();
    assert_eq!((left.len(), left[0].at), (1, t0() + day * 200));
    assert!(store.security_to_archive(before).unwrap().is_empty());

    // Without the archive the checkpoint cannot be re-digested, and says so; with it,
    // it verifies; an edited archive does not.
    let r = store.check_anchor().unwrap();
    assert!(r.is_intact(), "{:?}", r.breaks);
    assert_eq!((r.archived.clone(), r.unchecked.clone()), (vec![old.n], vec![old.n]));
    let r = store.check_anchor_with(&due).unwrap();
    assert!(r.is_intact() && r.unchecked.is_empty(), "{:?}", r.breaks);
    let mut edited = due.clone();
    edited.get_mut(&old.n).unwrap()[0].kind = "login".into();
    let r = store.check_anchor_with(&edited).unwrap();
    assert!(matches!(r.breaks.as_slice(), [AnchorBreak::Altered { n, .. }] if *n == old.n), "{:?}", r.breaks);

    // An administrator who deletes recent events and marks their checkpoint archived
    // leaves a checkpoint that is archived too young: the store reports it archived,
    // and `verify_record` (which knows the date) names it.
    sql(&format!("DELETE FROM security_event WHERE checkpoint = {}", recent.n));
    sql(&format!("UPDATE checkpoint SET security_archived_at = checkpoint.at WHERE n = {}", recent.n));
    let r = store.check_anchor().unwrap();
    assert_eq!(r.archived, [old.n, recent.n]);
}

/// The outbox: notices are stored in their events' own commit (a refused write
/// stores none), are due at once, wait after a failure until their retry, stay
/// failed once given up until someone sends them again, and are done once sent.
pub fn notices_are_written_with_their_events_and_tried_until_sent(store: &dyn Store) {
    use yiwang_store::{Notice, OutboxQuery, Sent};
    let w = world(store);
    let actor = operator();
    let mut i = intake("路灯不亮", tracking(t0(), 1, 2));
    i.title = Some("路灯".into());
    let events = appeal::decide_intake(&i, &w.ctx(t0(), &actor)).unwrap();
    let new = NewCase {
        tenant: tenant(),
        at: t0(),
        actor,
        person: None,
        events: Events::new::<AppealKind>(events),
        notices: vec![Notice::to_citizen("appeal_accepted")],
        idempotency: None,
    };
    let a = appeal_of(store.create_case(new).wait().unwrap());
    let all = |state: Option<&str>| {
        store.outbox(&OutboxQuery { state: state.map(str::to_owned), limit: 50, ..Default::default() }).unwrap()
    };
    let first = all(None);
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].case_id.as_ref(), first[0].template.as_str()), (Some(&a.id), "appeal_accepted"));
    assert_eq!((first[0].next_at, first[0].attempts, first[0].state()), (Some(t0()), 0, "pending"));

    // A stale append is refused, and its notice with it.
    let at = t0() + Duration::minutes(5);
    let d = Action::Dispatch { category: CategoryCode::parse("c1").unwrap(), unit: None, note: None };
    let mut fresh = decided(&w, &a, &operator(), &d, at);
    fresh.notices = vec![Notice { template: "appeal_dispatched".into(), to: Some("sms:13800000000".into()) }];
    let mut stale = decided(&w, &a, &operator(), &d, at);
    stale.notices = vec![Notice::to_citizen("never")];
    store.append(fresh).wait().unwrap();
    assert!(matches!(store.append(stale).wait(), Err(StoreError::Conflict { .. })));
    let now = all(None);
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!(now[0].to.as_deref(), Some("sms:13800000000"));
    assert!(now.iter().all(|e| e.template != "never"));

    // Tried: a failure waits for its retry; one given up waits for 重发; sent is done.
    assert_eq!(store.due_notices(at, Lane::Messages, 10).unwrap().len(), 2);
    let (one, two) = (now[1].id, now[0].id);
    let retry = at + Duration::minutes(1);
    store.notice_tried(one, Sent::Failed { at, error: "网关超时".into(), retry_at: Some(retry) }).unwrap();
    store.notice_tried(two, Sent::Failed { at, error: "无手机号".into(), retry_at: None }).unwrap();
    assert!(store.due_notices(at, Lane::Messages, 10).unwrap().is_empty());
    let due = store.due_notices(retry, Lane::Messages, 10).unwrap();
    assert_eq!(
        due.iter().map(|e| (e.id, e.attempts, e.last_error.as_deref())).collect::<Vec<_>>(),
        [(one, 1, Some("网关超时"))]
    );
    assert_eq!(all(Some("failed")).iter().map(|e| e.id).collect::<Vec<_>>(), [two]);
    assert!(!store.notice_retry(one, retry).unwrap(), "only a failed one is sent again");
    assert!(store.notice_retry(two, retry).unwrap());
    store.notice_tried(one, Sent::Delivered { at: retry }).unwrap();
    assert_eq!(store.due_notices(retry, Lane::Messages, 10).unwrap().iter().map(|e| e.id).collect::<Vec<_>>(), [two]);
    let sent = all(Some("sent"));
    assert_eq!((sent.len(), sent[0].id, sent[0].sent_at, sent[0].attempts), (1, one, Some(retry), 2));
    assert_eq!(all(Some("pending")).len(), 1);
    let of_case = store.outbox(&OutboxQuery { case_id: Some(a.id.clone()), limit: 10, ..Default::default() }).unwrap();
    assert_eq!(of_case.len(), 2);

    // A notice of no case (an applicant's login code) is kept and tried like the rest.
    let code = Notice { template: "login_code/n1".into(), to: Some("sms:13900000000".into()) };
    store.enqueue_notice(&tenant(), None, code, retry).unwrap();
    let due = store.due_notices(retry, Lane::Messages, 10).unwrap();
    let mine = due.iter().find(|e| e.template == "login_code/n1").expect("the caseless notice is due");
    assert_eq!((mine.case_id.as_ref(), mine.to.as_deref()), (None, Some("sms:13900000000")));
}

/// Webhook entries (recipient `webhook:…`) and the event stream's (`stream:`) form
/// lanes of their own: the SMS pass never sees them, nor they it. A pending one can be deferred without counting a
/// try; a failed one can be skipped for good, and is then neither sent nor failed.
pub fn webhook_entries_are_a_lane_of_their_own_deferred_and_skipped(store: &dyn Store) {
    use yiwang_store::{Notice, OutboxQuery, Sent};
    let w = world(store);
    let a = new_case(&w, store, t0(), 1, None);
    let hook = |t: &str, to: &str| Notice { template: t.into(), to: Some(to.into()) };
    store.enqueue_notice(&tenant(), Some(&a.id), Notice::to_citizen("appeal_accepted"), t0()).unwrap();
    store.enqueue_notice(&tenant(), Some(&a.id), hook("case.created", "webhook:1"), t0()).unwrap();
    store.enqueue_notice(&tenant(), Some(&a.id), hook("case.updated", "webhook:12"), t0()).unwrap();
    store.enqueue_notice(&tenant(), Some(&a.id), hook("{}", "stream:"), t0()).unwrap();
    let due = |lane| store.due_notices(t0(), lane, 10).unwrap().into_iter().map(|e| e.template).collect::<Vec<_>>();
    assert_eq!(due(Lane::Messages), ["appeal_accepted"]);
    assert_eq!(due(Lane::Webhooks), ["case.created", "case.updated"]);
    assert_eq!(due(Lane::Stream), ["{}"]);
    let of = |prefix: &str, state: Option<&str>| {
        let q = OutboxQuery {
            recipient_prefix: Some(prefix.into()),
            state: state.map(str::to_owned),
            limit: 10,
            ..Default::default()
        };
        store.outbox(&q).unwrap().into_iter().map(|e| e.template).collect::<Vec<_>>()
    };
    assert_eq!(of("webhook:1", None), ["case.updated", "case.created"], "a prefix, newest first");
    assert_eq!(of("webhook:12", None), ["case.updated"]);
    assert_eq!(of("webhook:1_", None), Vec::<String>::new(), "no wildcard in a prefix");
    let listed = |without_stream| {
        let q = OutboxQuery { without_stream, limit: 10, ..Default::default() };
        store.outbox(&q).unwrap().into_iter().map(|e| e.template).collect::<Vec<_>>()
    };
    assert_eq!(listed(false), ["{}", "case.updated", "case.created", "appeal_accepted"]);
    assert_eq!(listed(true), ["case.updated", "case.created", "appeal_accepted"], "the stream's left out");

    let entries =
        store.outbox(&OutboxQuery { recipient_prefix: Some("webhook:".into()), limit: 10, ..Default::default() });
    let (created, updated) = (entries.as_ref().unwrap()[1].id, entries.as_ref().unwrap()[0].id);
    let later = t0() + Duration::minutes(5);
    assert!(store.notice_defer(created, later).unwrap());
    assert_eq!(due(Lane::Webhooks), ["case.updated"]);
    let deferred = store.due_notices(later, Lane::Webhooks, 10).unwrap();
    assert_eq!((deferred[0].id, deferred[0].attempts), (updated, 0), "oldest due first");
    assert_eq!((deferred[1].id, deferred[1].attempts), (created, 0), "a deferral is no try");

    // Only a failed entry is skipped; a skipped one is neither due nor failed.
    assert!(!store.notice_skip(created, later, "中心跳过").unwrap(), "a pending one is not skipped");
    store.notice_tried(created, Sent::Failed { at: later, error: "HTTP 500".into(), retry_at: None }).unwrap();
    assert!(!store.notice_defer(created, later).unwrap(), "a failed one is not deferred");
    assert_eq!(of("webhook:", Some("failed")), ["case.created"]);
    assert!(store.notice_skip(created, later, "中心跳过").unwrap());
    assert_eq!(of("webhook:", Some("failed")), Vec::<String>::new());
    assert_eq!(of("webhook:", Some("skipped")), ["case.created"]);
    assert_eq!(of("webhook:", Some("sent")), Vec::<String>::new(), "skipped is not sent");
    let skipped = store.outbox(&OutboxQuery { state: Some("skipped".into()), limit: 1, ..Default::default() }).unwrap();
    assert_eq!((skipped[0].state(), skipped[0].last_error.as_deref()), ("skipped", Some("中心跳过")));
    assert!(!store.notice_retry(created, later).unwrap(), "a skipped one is not sent again");
    // Delivered in one write, as the stream's relay marks a batch.
    store.notices_delivered(&[updated], later).unwrap();
    assert_eq!(of("webhook:", Some("sent")), ["case.updated"]);
    let sent = store.outbox(&OutboxQuery { state: Some("sent".into()), limit: 1, ..Default::default() }).unwrap();
    assert_eq!((sent[0].id, sent[0].attempts, sent[0].sent_at), (updated, 1, Some(later)));
    assert!(store.due_notices(later + Duration::days(1), Lane::Webhooks, 10).unwrap().is_empty());
}

/// A citizen's cases are found by the digest of their phone, across their person rows,
/// for the kinds found by phone (`Kind::FOUND_BY_PHONE`: the chore here, as 一网通办's
/// applications): the store indexes those person rows alone, so the appeals' are not
/// found, until someone is logged reading one (`log_access`), which the citizen's
/// 谁查看了我的信息 then finds by phone. Written live and imported alike; an erased
/// person's cases are no longer found.
pub fn cases_are_found_by_their_peoples_phone(store: &dyn Store) {
    let w = world(store);
    let admin = staff("root", "d", UnitKind::District, &[Role::Admin]);
    let person = |p: &str| PersonData {
        name: Some("张三".into()),
        phone: Some(p.into()),
        phone_digest: Some(format!("digest-{p}")),
        ..Default::default()
    };
    let chore = |at: DateTime<Utc>, phone: &str| -> CaseId {
        let cmd = ChoreCommand::Open { title: "扫雪".into(), points: 1, code: None };
        let new = NewCase {
            tenant: tenant(),
            at,
            actor: admin.clone(),
            person: Some(person(phone)),
            events: Events::new::<Chore>(Chore::open(&cmd, &w.ctx(at, &admin))),
            notices: vec![],
            idempotency: None,
        };
        store.create_case(new).wait().unwrap().id().clone()
    };
    let c1 = chore(t0(), "13711110001");
    let appeal = new_case(&w, store, t0() + Duration::minutes(1), 2, Some("13711110001"));
    let c3 = chore(t0() + Duration::minutes(2), "13711110001");
    let _other = chore(t0() + Duration::minutes(3), "13711110002");
    let _anonymous = new_case(&w, store, t0() + Duration::minutes(4), 5, None);
    // Imported: a chore and an appeal of the same phone.
    let at = t0() + Duration::minutes(5);
    let cmd = ChoreCommand::Open { title: "清扫".into(), points: 1, code: None };
    let opened = Chore::open(&cmd, &w.ctx(at, &admin));
    let events = opened.into_iter().map(|event| ImportedEvent { at, actor: admin.clone(), event }).collect();
    let c6 = CaseId::parse("ZW20261101000906").unwrap();
    let imported_chore = ImportedCase::new::<Chore>(tenant(), c6.clone(), Some(person("13711110001")), events);
    let live = new_case(&w, store, at, 7, None);
    let imported_appeal = imported(
        "YW20261101000907",
        Some(person("13711110001")),
        history_of(store, &live.id, recoded(tracking(at, 907, 1))),
    );
    store.import_cases(vec![imported_chore, imported_appeal], at).wait().unwrap();
    let of = |d: &str| {
        let q = CaseQuery { phone_digest: Some(d.into()), limit: 10, ..Default::default() };
        let page = store.list_cases(&q).unwrap();
        assert_eq!(store.count_cases(&q).unwrap(), page.rows.len() as u64);
        ids(&page.rows)
    };
    assert_eq!(
        of("digest-13711110001"),
        [c6.clone(), c3.clone(), c1.clone()],
        "newest first, every chore's person row, none of the appeals'"
    );
    assert_eq!(of("digest-13711110002").len(), 1);
    assert!(of("digest-13799999999").is_empty());
    let q = CaseQuery {
        kind: Some("chore"),
        phone_digest: Some("digest-13711110001".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.list_cases(&q).unwrap().rows.len(), 3);
    // Someone reads the appeal's citizen: the entry is found by the phone, and so is
    // the appeal from now on.
    let reads = || store.accesses_by_phone("digest-13711110001", "reveal_phone", 10).unwrap();
    assert!(reads().is_empty());
    let entry = AccessEntry {
        at: t0() + Duration::hours(1),
        actor: "staff:li".into(),
        case: Some(appeal.id.clone()),
        person: appeal.citizen,
        what: "reveal_phone".into(),
    };
    store.log_access(&entry).unwrap();
    let found: Vec<_> = reads().into_iter().map(|e| (e.at, e.case, e.person, e.what)).collect();
    assert_eq!(found, [(entry.at, entry.case, entry.person, entry.what)]);
    assert_eq!(of("digest-13711110001"), [c6.clone(), c3.clone(), appeal.id.clone(), c1.clone()]);
    let first = store.load(&c1).unwrap().unwrap();
    let pid = first.state::<Chore>().unwrap().person.unwrap();
    assert!(store.erase_person(pid, t0() + Duration::days(1)).unwrap());
    assert_eq!(of("digest-13711110001"), [c6, c3, appeal.id], "an erased person's digest is gone");
}

/// The 国密 option on an installation that ran with SHA-256 and AES-GCM (`seal.rs`,
/// `yiwang_core::chain`): reopened with SM3 and an SM4 key, new events, imports and
/// checkpoints use SM3 while the older ones keep SHA-256, and both verify; the rows
/// sealed with AES are re-sealed with SM4 in batches and read back; relabelling an
/// event's or a checkpoint's algorithm is caught. `open` opens the database (the
/// store before it dropped); `rows` runs a query behind the store's back and gives
/// its first column as text; `sql` runs a statement behind it.
pub fn a_store_switched_to_gm_hashes_with_sm3_seals_with_sm4_and_verifies_both(
    open: &dyn Fn(yiwang_store::Crypto) -> yiwang_store::Result<Box<dyn Store>>,
    rows: &dyn Fn(&str) -> Vec<String>,
    sql: &dyn Fn(&str),
) {
    use yiwang_core::chain::HashAlg;
    use yiwang_store::anchor::AnchorBreak;
    use yiwang_store::seal::PersonalCipher;
    use yiwang_store::{Crypto, PersonalKeys};
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("personal");
    let algs = |id: &CaseId| rows(&format!("SELECT alg FROM event WHERE case_id = '{id}' ORDER BY seq"));
    let sealed_with = |p: PersonId| rows(&format!("SELECT sealed_with FROM person WHERE id = {}", p.0));
    let digests = || rows("SELECT digest FROM checkpoint ORDER BY n");

    // The installation as it was: SHA-256, AES-256-GCM.
    let standard = Crypto::from(PersonalKeys::open_or_create(&keys).unwrap());
    let aes_key = standard.keys.current_id().unwrap().to_owned();
    let store = open(standard).unwrap();
    let w = world(store.as_ref());
    let a = new_case(&w, store.as_ref(), t0(), 1, Some("13711112222"));
    let a = act(
        &w,
        store.as_ref(),
        &a,
        &operator(),
        Action::Dispatch { category: CategoryCode::parse("c1").unwrap(), unit: None, note: None },
        t0(),
    );
    let cp1 = store.seal(t0() + Duration::minutes(1), test_signer()).unwrap().unwrap();
    assert_eq!(sealed_with(a.citizen.unwrap()), [aes_key.as_str()]);
    drop(store);

    // Switched: SM3, and a new SM4 key that seals.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let gm = PersonalKeys::open_or_create_for(&keys, PersonalCipher::Sm4Gcm).unwrap();
    let sm4_key = gm.current_id().unwrap().to_owned();
    assert_ne!(sm4_key, aes_key);
    let store = open(Crypto { hash: HashAlg::Sm3, keys: gm }).unwrap();
    let s = store.as_ref();
    let a = act(&w, s, &a, &handler_a(), Action::SignFor, t0() + Duration::minutes(10));
    let b = new_case(&w, s, t0() + Duration::minutes(11), 2, Some("13733334444"));
    let id = CaseId::parse("YW20261115000009").unwrap();
    let code = TrackingCode::dated(civil_date(t0()), [9, 8, 7, 6, 5, 4, 3]);
    s.import_cases(vec![imported(id.as_str(), None, history_of(s, &a.id, recoded(code)))], t0() + Duration::hours(1))
        .wait()
        .unwrap();
    let cp2 = s.seal(t0() + Duration::hours(2), test_signer()).unwrap().unwrap();

    assert_eq!(algs(&a.id), ["sha256", "sha256", "sm3"], "a chain that switched keeps its older links");
    assert_eq!(algs(&b.id), ["sm3"]);
    assert_eq!(algs(&id), ["sm3", "sm3", "sm3"], "an import hashes with SM3 too");
    assert!(!cp1.digest.contains(':') && cp1.digest.len() == 64, "{}", cp1.digest);
    assert!(cp2.digest.starts_with("sm3:") && cp2.digest.len() == 68, "{}", cp2.digest);
    assert_eq!(digests(), [cp1.digest.clone(), cp2.digest.clone()]);
    let v = s.verify().unwrap();
    assert!(v.is_intact(), "{:?}", v.breaks);
    let r = s.check_anchor().unwrap();
    assert!(r.is_intact(), "{:?}", r.breaks);

    // Personal data: new rows under SM4; the AES row re-sealed in batches, once.
    assert_eq!(sealed_with(b.citizen.unwrap()), [sm4_key.as_str()]);
    let (mut after, mut total) = (PersonId(0), 0);
    while let Some((last, n)) = s.seal_people(after, 1).unwrap() {
        (after, total) = (last, total + n);
    }
    assert_eq!(total, 1);
    assert_eq!(sealed_with(a.citizen.unwrap()), [sm4_key.as_str()]);
    let pa = s.person(a.citizen.unwrap()).unwrap().unwrap();
    assert_eq!((pa.data.name.as_deref(), pa.data.phone.as_deref()), (Some("张三"), Some("13711112222")));
    assert_eq!(pa.data.phone_digest.as_deref(), Some("digest-13711112222"), "the digest keeps its key");
    assert!(s.erase_person(pa.id, t0() + Duration::hours(3)).unwrap());
    assert_eq!(s.person(pa.id).unwrap().unwrap().data, PersonData::default(), "erasure works as before");

    // An SM3 event relabelled SHA-256 breaks its chain; an SM3 checkpoint relabelled
    // (its prefix cut) no longer digests.
    sql(&format!("UPDATE event SET alg = 'sha256' WHERE case_id = '{}' AND seq = 1", b.id));
    let v = s.verify().unwrap();
    assert!(
        v.breaks
            .iter()
            .any(|(c, x)| c == b.id.as_str() && matches!(x, yiwang_core::chain::ChainBreak::Altered { seq: 1 })),
        "{:?}",
        v.breaks
    );
    sql("UPDATE checkpoint SET digest = substr(digest, 5) WHERE n = 2");
    let r = s.check_anchor().unwrap();
    assert!(r.breaks.iter().any(|x| matches!(x, AnchorBreak::Altered { n: 2, .. })), "{:?}", r.breaks);
    assert!(!r.breaks.iter().any(|x| matches!(x, AnchorBreak::Altered { n: 1, .. })), "{:?}", r.breaks);
}

/// What monitoring reports as the database's size: there, and larger once cases are
/// written (SQLite: the file and its WAL; PostgreSQL: `pg_database_size`, plus the WAL
/// directory when the role may list it).
pub fn the_disk_usage_grows_with_what_is_written(store: &dyn Store) {
    let w = world(store);
    let before = store.disk_usage().unwrap();
    assert!(before.database > 0, "{before:?}");
    for n in 0..200 {
        new_case(&w, store, t0(), n, Some("13900000000"));
    }
    let after = store.disk_usage().unwrap();
    // The file or its WAL grows (SQLite writes to the WAL until a checkpoint); not
    // their sum, as PostgreSQL recycles WAL segments that other databases filled.
    assert!(after.database > before.database || after.wal > before.wal, "{before:?} → {after:?}");
}
