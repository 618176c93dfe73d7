//! What every store must do, written against `&dyn Store` only.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use yiwang_core::appeal::{
    self, Action, AppealEvent, AppealType, Channel, Context, Intake, Location, Satisfaction, Status,
};
use yiwang_core::calendar::{Calendar, civil_date};
use yiwang_core::deadline::{Stage, TimeLimits, Urgency};
use yiwang_core::id::{CaseId, CategoryCode, TenantId, TrackingCode, UnitCode, Username};
use yiwang_core::org::{Actor, Organisation, Role, Unit, UnitKind};
use yiwang_core::taxonomy::{Category, Taxonomy};
use yiwang_store::{
    AppendBatch, CaseQuery, ImportedCase, ImportedEvent, NewCase, PersonData, StaffRecord, Store, StoreError,
};

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
    }];
    store.replace_organisation(&units).unwrap();
    store.replace_categories(&cats).unwrap();
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

pub fn new_case(w: &World, store: &dyn Store, at: DateTime<Utc>, n: u16, phone: Option<&str>) -> appeal::Appeal {
    let actor = operator();
    let ctx = w.ctx(at, &actor);
    let intake = Intake {
        channel: Channel::Hotline,
        appeal_type: AppealType::Complaint,
        urgency: Urgency::Normal,
        title: Some(format!("诉求 {n}")),
        text: "道路破损".into(),
        location: Location::default(),
        citizen: None,
        attachments: vec![],
        category: None,
        // Distinct n give distinct codes: two base-31 digits after the day.
        tracking_code: TrackingCode::dated(civil_date(at), [(n % 31) as u8, (n / 31) as u8, 2, 3, 4, 5, 6]),
    };
    let event = appeal::decide_intake(&intake, &ctx).unwrap().pop().unwrap();
    let person = phone.map(|p| PersonData {
        name: Some("张三".into()),
        phone: Some(p.into()),
        phone_digest: Some(format!("digest-{p}")),
        ..Default::default()
    });
    store.create_case(NewCase { tenant: tenant(), prefix: "YW".into(), at, actor, person, event }).wait().unwrap()
}

pub fn act(
    w: &World,
    store: &dyn Store,
    a: &appeal::Appeal,
    actor: &Actor,
    action: Action,
    at: DateTime<Utc>,
) -> appeal::Appeal {
    let ctx = w.ctx(at, actor);
    let events = appeal::decide(a, &action, &ctx).unwrap();
    store.append(AppendBatch { tenant: tenant(), before: a.clone(), at, actor: actor.clone(), events }).wait().unwrap()
}

pub fn dispatch_and_sign(w: &World, store: &dyn Store, a: &appeal::Appeal, at: DateTime<Utc>) -> appeal::Appeal {
    let d = Action::Dispatch { category: CategoryCode::parse("c1").unwrap(), unit: None, note: None };
    let a = act(w, store, a, &operator(), d, at);
    act(w, store, &a, &handler_a(), Action::SignFor, at + Duration::minutes(10))
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
    for e in store.events(&a.id).unwrap() {
        assert!(!serde_json::to_string(&e.event).unwrap().contains("13812345678"));
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
    let ctx_actor = handler_a();
    let ctx = w.ctx(t0(), &ctx_actor);
    let stale = store.load(&a.id).unwrap().unwrap();
    let events = appeal::decide(&stale, &Action::Contact { note: "已联系".into() }, &ctx).unwrap();
    let mut old = stale.clone();
    old.version = 2;
    let err = store
        .append(AppendBatch {
            tenant: tenant(),
            before: old,
            at: t0(),
            actor: ctx_actor.clone(),
            events: events.clone(),
        })
        .wait()
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { expected: 2, found: 3, .. }), "{err:?}");
    let ok = store
        .append(AppendBatch { tenant: tenant(), before: stale, at: t0(), actor: ctx_actor, events })
        .wait()
        .unwrap();
    assert_eq!(ok.version, 4);
    let evs = store.events(&a.id).unwrap();
    assert_eq!(evs.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(
        evs.iter().map(|e| e.event.name()).collect::<Vec<_>>(),
        ["accepted", "dispatched", "signed_for", "contacted"]
    );
    assert!(store.verify().unwrap().is_intact());
}

pub fn projections_answer_queues_and_reindex_rebuilds_them_identically(store: &dyn Store) {
    let w = world(store);
    let fresh = new_case(&w, store, t0(), 5, Some("13900000000"));
    let held = dispatch_and_sign(&w, store, &new_case(&w, store, t0(), 6, None), t0() + Duration::minutes(1));
    let ops = operator();
    let summoner = act(
        &w,
        store,
        &held,
        &handler_a(),
        Action::Summon { units: vec![code("dept-b")], note: None },
        t0() + Duration::hours(1),
    );

    let q = |f: CaseQuery| store.list_cases(&CaseQuery { limit: 50, ..f }).unwrap();
    let waiting = q(CaseQuery { statuses: vec![Status::Accepted], ..Default::default() });
    assert!(waiting.rows.iter().any(|r| r.id == fresh.id));
    assert!(waiting.rows.iter().all(|r| r.status == Status::Accepted));
    let fresh_row = waiting.rows.iter().find(|r| r.id == fresh.id).unwrap();
    assert_eq!(fresh_row.citizen_phone.as_deref(), Some("13900000000"));
    let a_queue = q(CaseQuery { unit: Some(code("dept-a")), statuses: vec![Status::Handling], ..Default::default() });
    assert!(a_queue.rows.iter().any(|r| r.id == held.id));
    let co = q(CaseQuery { co_unit: Some(code("dept-b")), ..Default::default() });
    assert_eq!(co.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), vec![held.id.clone()]);
    assert_eq!(store.count_cases(&CaseQuery { co_unit: Some(code("dept-b")), ..Default::default() }).unwrap(), 1);
    let _ = ops;

    let before: Vec<_> = [&fresh.id, &summoner.id].iter().map(|id| store.load(id).unwrap().unwrap()).collect();
    let n = store.reindex().unwrap();
    assert!(n >= 2);
    let after: Vec<_> = [&fresh.id, &summoner.id].iter().map(|id| store.load(id).unwrap().unwrap()).collect();
    assert_eq!(before, after);
    assert_eq!(q(CaseQuery { co_unit: Some(code("dept-b")), ..Default::default() }).rows.len(), 1);
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
        Action::Reply { outcome: appeal::ReplyOutcome::Resolved, text: "已修复".into() },
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
    let tally = store.tally_month("2026-11").unwrap();
    let (_, t) = tally.iter().find(|(u, _)| u.as_str() == "dept-a").unwrap();
    let expected = yiwang_core::measure::Tally {
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
    store.reindex().unwrap();
    assert_eq!(store.tally_month("2026-11").unwrap(), tally, "reindex counts the same");
    assert!(store.tally_month("2026-10").unwrap().iter().all(|(u, _)| u.as_str() != "dept-a"));
    let rows = store.list_cases(&CaseQuery { stage: Some(Stage::Green), limit: 100, ..Default::default() }).unwrap();
    assert!(rows.rows.iter().all(|r| r.stage == Stage::Green));
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

/// Requests sent together share a commit; one the store refuses (a stale version, a
/// tracking code taken) is answered so, and the others are committed all the same.
pub fn a_refused_request_leaves_the_others_of_its_batch_committed(store: &dyn Store) {
    let w = world(store);
    let a = new_case(&w, store, t0(), 1, None);
    let b = new_case(&w, store, t0(), 2, None);
    let c = new_case(&w, store, t0(), 3, None);
    let actor = operator();
    let ctx = w.ctx(t0(), &actor);
    let dispatch = Action::Dispatch { category: CategoryCode::parse("c1").unwrap(), unit: None, note: None };
    let append = |x: &appeal::Appeal| {
        let events = appeal::decide(x, &dispatch, &ctx).unwrap();
        AppendBatch { tenant: tenant(), before: x.clone(), at: t0(), actor: actor.clone(), events }
    };
    let mut stale = append(&b);
    stale.before.version = 0;
    // A new case under a's tracking code.
    let mut taken = appeal::decide_intake(
        &Intake {
            channel: Channel::Hotline,
            appeal_type: AppealType::Complaint,
            urgency: Urgency::Normal,
            title: None,
            text: "重复的查询码".into(),
            location: Location::default(),
            citizen: None,
            attachments: vec![],
            category: None,
            tracking_code: a.tracking_code.clone(),
        },
        &ctx,
    )
    .unwrap();
    let taken = NewCase {
        tenant: tenant(),
        prefix: "YW".into(),
        at: t0(),
        actor: actor.clone(),
        person: None,
        event: taken.pop().unwrap(),
    };
    // Sent before any is waited for, so they reach the writer together.
    let pending = [store.append(append(&a)), store.append(stale), store.create_case(taken), store.append(append(&c))];
    let [pa, pstale, ptaken, pc] = pending.map(|p| p.wait());
    assert_eq!(pa.unwrap().version, a.version + 1);
    assert!(matches!(pstale, Err(StoreError::Conflict { .. })), "{pstale:?}");
    assert!(matches!(ptaken, Err(StoreError::Duplicate(_))), "{ptaken:?}");
    assert_eq!(pc.unwrap().version, c.version + 1);
    assert_eq!(store.load(&a.id).unwrap().unwrap().status, Status::Dispatched);
    assert_eq!(store.load(&b.id).unwrap().unwrap().version, b.version, "the stale request changed nothing");
    assert_eq!(store.load(&c.id).unwrap().unwrap().status, Status::Dispatched);
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
    };
    store.put_staff(&rec).unwrap();
    assert_eq!(store.staff(&rec.username).unwrap(), Some(rec.clone()));
    store.create_session("h1", &rec.username, t0(), t0() + Duration::days(1)).unwrap();
    assert_eq!(store.session("h1").unwrap().map(|s| s.0), Some(rec.username.clone()));
    store.delete_session("h1").unwrap();
    assert_eq!(store.session("h1").unwrap(), None);

    let a = new_case(&w, store, t0(), 9, Some("13711112222"));
    let pid = a.citizen.unwrap();
    assert!(store.erase_person(pid, t0() + Duration::days(200)).unwrap());
    let p = store.person(pid).unwrap().unwrap();
    assert_eq!(p.data.phone, None);
    assert!(p.erased_at.is_some());
    assert!(!store.erase_person(pid, t0()).unwrap(), "erasing twice reports nothing to do");
    assert!(store.verify().unwrap().is_intact(), "erasure leaves every chain valid");
    assert_eq!(store.events(&a.id).unwrap().len(), 1);
    let AppealEvent::Accepted { citizen, .. } = &store.events(&a.id).unwrap()[0].event else { panic!() };
    assert_eq!(*citizen, Some(pid));
}

pub fn full_text_search_finds_chinese_substrings_within_what_a_unit_may_see(store: &dyn Store) {
    let w = world(store);
    let actor = operator();
    let ctx = w.ctx(t0(), &actor);
    let mut ids = vec![];
    for (n, text) in [(1u16, "湖畔路路灯一周不亮，晚上很黑"), (2, "楼下饭店油烟扰民"), (3, "小区路灯坏了")]
    {
        let intake = Intake {
            channel: Channel::Hotline,
            appeal_type: AppealType::Complaint,
            urgency: Urgency::Normal,
            title: None,
            text: text.into(),
            location: Location::default(),
            citizen: None,
            attachments: vec![],
            category: None,
            tracking_code: TrackingCode::dated(civil_date(t0()), [n as u8, 9, 9, 9, 9, 9, 9]),
        };
        let event = appeal::decide_intake(&intake, &ctx).unwrap().pop().unwrap();
        ids.push(
            store
                .create_case(NewCase {
                    tenant: tenant(),
                    prefix: "YW".into(),
                    at: t0(),
                    actor: actor.clone(),
                    person: None,
                    event,
                })
                .wait()
                .unwrap(),
        );
    }
    let search = |text: &str, visible_to: Option<UnitCode>| {
        let q = CaseQuery { text: yiwang_store::search::fts_query(text), visible_to, limit: 10, ..Default::default() };
        let mut found: Vec<String> = store.list_cases(&q).unwrap().rows.into_iter().map(|r| r.id.to_string()).collect();
        found.sort();
        found
    };
    assert_eq!(search("路灯", None), vec![ids[0].id.to_string(), ids[2].id.to_string()]);
    assert_eq!(search("路灯 不亮", None), vec![ids[0].id.to_string()]);
    assert_eq!(search("油烟扰民", None), vec![ids[1].id.to_string()]);
    assert!(search("烟油", None).is_empty(), "bigrams in order, not a bag of characters");
    // A unit sees only what it held or was summoned to.
    assert!(search("路灯", Some(code("dept-a"))).is_empty());
    let held = dispatch_and_sign(&w, store, &ids[2], t0());
    assert_eq!(search("路灯", Some(code("dept-a"))), vec![ids[2].id.to_string()]);
    // A reply's words become searchable.
    assert!(search("更换灯泡", None).is_empty());
    act(
        &w,
        store,
        &held,
        &handler_a(),
        Action::Reply { outcome: appeal::ReplyOutcome::Resolved, text: "已更换灯泡".into() },
        t0(),
    );
    assert_eq!(search("更换灯泡", None), vec![ids[2].id.to_string()]);
    // The index is a projection: reindex rebuilds it.
    store.reindex().unwrap();
    assert_eq!(search("路灯", None).len(), 2);
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
    assert_eq!(page.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), newest_first);
    assert_eq!(page.total, 4);
    let unfiltered = store.list_cases(&CaseQuery { limit: 10, ..Default::default() }).unwrap();
    assert_eq!(unfiltered.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), newest_first);
    // A page further on, and a window of accepted time.
    let second =
        store.list_cases(&CaseQuery { text: text.clone(), limit: 2, offset: 2, ..Default::default() }).unwrap();
    assert_eq!(second.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), newest_first[2..]);
    let window = CaseQuery {
        text: text.clone(),
        accepted_from: Some(t0() + Duration::minutes(20)),
        accepted_to: Some(t0() + Duration::minutes(50)),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        store.list_cases(&window).unwrap().rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        newest_first[1..3]
    );
    // Counting stops at the limit; the page is the same.
    let capped = CaseQuery { count_up_to: Some(3), ..all.clone() };
    let page = store.list_cases(&capped).unwrap();
    assert_eq!((page.total, page.rows.len()), (3, 4));
    assert_eq!(store.count_cases(&capped).unwrap(), 3);
    assert_eq!(store.count_cases(&CaseQuery { count_up_to: Some(10), ..all }).unwrap(), 4);
}

pub fn articles_and_documents_round_trip_and_corrections_become_examples(store: &dyn Store) {
    let w = world(store);
    store.put_document("routing", "[]").unwrap();
    store.put_document("routing", r#"[{"unit":"dept-a"}]"#).unwrap();
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
    a.id = 999;
    assert!(matches!(store.put_article(&a), Err(StoreError::NotFound(_))));

    // Returned by a unit, re-dispatched and answered: a labelled example.
    let c = new_case(&w, store, t0(), 1, None);
    let d = Action::Dispatch { category: CategoryCode::parse("c1").unwrap(), unit: Some(code("dept-b")), note: None };
    let c = act(&w, store, &c, &operator(), d, t0());
    let hb = staff("hb", "dept-b", UnitKind::Department, &[Role::Handler]);
    let c = act(&w, store, &c, &hb, Action::Return { reason: "非本单位职责".into() }, t0());
    let c = dispatch_and_sign(&w, store, &c, t0());
    assert!(store.labelled_cases().unwrap().is_empty(), "not yet answered");
    act(
        &w,
        store,
        &c,
        &handler_a(),
        Action::Reply { outcome: appeal::ReplyOutcome::Resolved, text: "已处理".into() },
        t0(),
    );
    let ex = store.labelled_cases().unwrap();
    assert_eq!(ex.len(), 1);
    assert_eq!((ex[0].case.clone(), ex[0].category.as_str()), (c.id.clone(), "c1"));
    // An uncorrected case is no example.
    let plain = dispatch_and_sign(&w, store, &new_case(&w, store, t0(), 2, None), t0());
    act(
        &w,
        store,
        &plain,
        &handler_a(),
        Action::Reply { outcome: appeal::ReplyOutcome::Resolved, text: "已处理".into() },
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
    let reply = Action::Reply { outcome: appeal::ReplyOutcome::Resolved, text: "井盖已更换".into() };
    let live = act(&w, store, &live, &handler_a(), reply, t0() + Duration::hours(20));
    let callback = Action::Callback { solved: true, satisfaction: Satisfaction::Satisfied, note: None };
    let live = act(&w, store, &live, &operator(), callback, t0() + Duration::hours(30));
    let tally_before = store.tally_month("2026-11").unwrap();

    // The same history imported under another number (the day before) and tracking code.
    let id = CaseId::parse("YW20261115000007").unwrap();
    let code_b = TrackingCode::dated(civil_date(t0()), [9, 9, 9, 9, 9, 9, 9]);
    let events: Vec<ImportedEvent> = store
        .events(&live.id)
        .unwrap()
        .into_iter()
        .map(|e| {
            let mut event = e.event;
            if let AppealEvent::Accepted { tracking_code, citizen, .. } = &mut event {
                *tracking_code = code_b.clone();
                *citizen = None;
            }
            ImportedEvent { at: e.at, actor: e.actor, event }
        })
        .collect();
    let person = PersonData { name: Some("李四".into()), phone: Some("13700000000".into()), ..Default::default() };
    let imported = ImportedCase { tenant: tenant(), id: id.clone(), person: Some(person), events };
    let imported_at = t0() + Duration::days(3);
    store.import_cases(vec![imported.clone()], imported_at).wait().unwrap();

    // Its events keep their own times and are recorded at the import: a window of
    // recording time finds them there, and only the live case's in the past.
    let recorded = |from: DateTime<Utc>, to: DateTime<Utc>| -> Vec<String> {
        store.events_between(from, to, 1000, 0).unwrap().into_iter().map(|e| e.case.to_string()).collect()
    };
    let at_import = recorded(imported_at, imported_at + Duration::milliseconds(1));
    assert_eq!(at_import.len(), live.version as usize);
    assert!(at_import.iter().all(|c| c == id.as_str()));
    assert!(recorded(t0(), t0() + Duration::days(2)).iter().all(|c| c != id.as_str()));
    assert_eq!(
        store.events(&id).unwrap().iter().map(|e| e.at).collect::<Vec<_>>(),
        store.events(&live.id).unwrap().iter().map(|e| e.at).collect::<Vec<_>>()
    );

    let got = store.load(&id).unwrap().expect("the imported case is stored");
    let pid = got.citizen.expect("the imported citizen is referenced by id");
    assert_ne!(Some(pid), live.citizen);
    assert_eq!(store.person(pid).unwrap().unwrap().data.phone.as_deref(), Some("13700000000"));
    let mut expected = live.clone();
    expected.id = id.clone();
    expected.tracking_code = code_b.clone();
    expected.citizen = Some(pid);
    assert_eq!(got, expected);
    let (a, b) = (store.events(&live.id).unwrap(), store.events(&id).unwrap());
    let shape =
        |v: &[appeal::Envelope]| v.iter().map(|e| (e.seq, e.at, e.actor.clone(), e.event.name())).collect::<Vec<_>>();
    assert_eq!(shape(&a), shape(&b));
    assert_eq!(store.find_by_tracking_code(&code_b).unwrap(), Some(id.clone()));
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert_eq!(report.events, 2 * a.len() as u64);

    // Queues, search and the month's facts count it like the live one.
    let closed =
        CaseQuery { unit: Some(code("dept-a")), statuses: vec![Status::Closed], limit: 10, ..Default::default() };
    let rows = store.list_cases(&closed).unwrap().rows;
    // Both were accepted at the same instant: either may come first.
    let mut listed = rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
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
    let t = |v: &[(UnitCode, yiwang_core::measure::Tally)]| v.iter().find(|(u, _)| u.as_str() == "dept-a").unwrap().1;
    let (before, after) = (t(&tally_before), t(&store.tally_month("2026-11").unwrap()));
    assert_eq!((after.dispatched, after.callbacks, after.satisfied), (2 * before.dispatched, 2, 2));

    // The day's counter was raised past the imported number.
    assert_eq!(new_case(&w, store, t0() - Duration::days(1), 9, None).id.as_str(), "YW20261115000008");

    // All or nothing: a batch with a stored case, or one not starting with Accepted, leaves nothing.
    let mut fresh = imported.clone();
    fresh.id = CaseId::parse("YW20261114000001").unwrap();
    if let AppealEvent::Accepted { tracking_code, .. } = &mut fresh.events[0].event {
        *tracking_code = TrackingCode::dated(civil_date(t0()), [8, 8, 8, 8, 8, 8, 8]);
    }
    let err = store.import_cases(vec![fresh.clone(), imported.clone()], imported_at).wait().unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(_)), "{err:?}");
    let mut headless = fresh.clone();
    headless.id = CaseId::parse("YW20261114000002").unwrap();
    headless.events.remove(0);
    let err = store.import_cases(vec![fresh.clone(), headless], imported_at).wait().unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert_eq!(store.load(&fresh.id).unwrap(), None);
    assert_eq!(store.verify().unwrap().cases, 3);
}

/// A batch large enough that its rows go many to a statement (and some one by one):
/// 75 cases with their citizens, each stored whole, its chain intact, findable.
pub fn a_large_import_is_stored_whole(store: &dyn Store) {
    let w = world(store);
    let live = new_case(&w, store, t0(), 1, None);
    let live = dispatch_and_sign(&w, store, &live, t0() + Duration::minutes(5));
    let history = store.events(&live.id).unwrap();
    let cases: Vec<ImportedCase> = (1..=75u32)
        .map(|n| {
            let code = TrackingCode::dated(civil_date(t0()), [(n % 31) as u8, (n / 31) as u8, 9, 9, 9, 9, 9]);
            let events = history
                .iter()
                .map(|e| {
                    let mut event = e.event.clone();
                    if let AppealEvent::Accepted { tracking_code, citizen, text, .. } = &mut event {
                        *tracking_code = code.clone();
                        *citizen = None;
                        *text = format!("第{n}号井盖破损");
                    }
                    ImportedEvent { at: e.at + Duration::seconds(i64::from(n)), actor: e.actor.clone(), event }
                })
                .collect();
            let person = PersonData { phone: Some(format!("1370000{n:04}")), ..Default::default() };
            let id = CaseId::parse(&format!("YW20261110{n:06}")).unwrap();
            ImportedCase { tenant: tenant(), id, person: Some(person), events }
        })
        .collect();
    store.import_cases(cases.clone(), t0() + Duration::days(1)).wait().unwrap();
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert_eq!(report.events, 76 * history.len() as u64);
    for n in [1u32, 32, 33, 64, 75] {
        let id = CaseId::parse(&format!("YW20261110{n:06}")).unwrap();
        let got = store.load(&id).unwrap().expect("imported");
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
    let err = import_numbered(store, &cases[0], &[200, 40], 7).unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(_)), "{err:?}");
    let err = import_numbered(store, &cases[0], &[0, 75], 8).unwrap_err();
    assert!(matches!(&err, StoreError::Duplicate(m) if m == "case YW20261110000075"), "{err:?}");
    let err = import_numbered(store, &cases[0], &[0, 75, 0], 9).unwrap_err();
    assert!(matches!(&err, StoreError::Duplicate(m) if m == "case YW20261110000000"), "{err:?}");
    // A stored tracking code under a new number.
    let mut taken = cases[0].clone();
    taken.id = CaseId::parse("YW20261110000300").unwrap();
    taken.person = None;
    let err = store.import_cases(vec![taken], t0()).wait().unwrap_err();
    assert!(
        matches!(&err, StoreError::Duplicate(m) if m == "appeal.tracking_code of case YW20261110000300"),
        "{err:?}"
    );
    assert_eq!(store.load(&CaseId::parse("YW20261110000000").unwrap()).unwrap(), None);
    import_numbered(store, &cases[0], &[0, 100], 7).unwrap();
    assert!(store.load(&CaseId::parse("YW20261110000100").unwrap()).unwrap().is_some());
    assert_eq!(store.load(&CaseId::parse("YW20261110000200").unwrap()).unwrap(), None);
}

/// Imports `template` again under the numbers `YW20261110nnnnnn`, without a citizen
/// and with tracking codes of their own (`salt` tells two imports' codes apart).
pub fn import_numbered(
    store: &dyn Store,
    template: &ImportedCase,
    numbers: &[u32],
    salt: u8,
) -> yiwang_store::Result<()> {
    let batch = numbers
        .iter()
        .map(|&n| {
            let mut c = template.clone();
            c.id = CaseId::parse(&format!("YW20261110{n:06}")).unwrap();
            c.person = None;
            if let AppealEvent::Accepted { tracking_code, .. } = &mut c.events[0].event {
                *tracking_code =
                    TrackingCode::dated(civil_date(t0()), [(n % 31) as u8, (n / 31) as u8, salt, 7, 7, 7, 7]);
            }
            c
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
    let events: Vec<ImportedEvent> = store
        .events(&a.id)
        .unwrap()
        .into_iter()
        .map(|e| {
            let mut event = e.event;
            if let AppealEvent::Accepted { tracking_code, location, .. } = &mut event {
                *tracking_code = TrackingCode::dated(civil_date(t0()), [5, 5, 5, 5, 5, 5, 5]);
                location.area = Some(code("dept-b"));
            }
            ImportedEvent { at: e.at, actor: e.actor, event }
        })
        .chain((1..=2).map(|i| ImportedEvent {
            at: t0() + Duration::hours(i),
            actor: handler_a(),
            event: AppealEvent::Summoned { units: vec![code("dept-b")], note: None },
        }))
        .collect();
    let id = CaseId::parse("YW20261116000100").unwrap();
    store.import_cases(vec![ImportedCase { tenant: tenant(), id, person: None, events }], t0()).wait().unwrap();

    fn pairs(v: &[(String, u64)]) -> Vec<(&str, u64)> {
        v.iter().map(|(k, n)| (k.as_str(), *n)).collect()
    }
    let check = || {
        let v = store.volumes(day("2026-11-15"), day("2026-11-18")).unwrap();
        assert_eq!(pairs(&v.by_day), [("2026-11-16", 2), ("2026-11-17", 1)]);
        let mut statuses = vec![(a.status.as_str(), 2), (b.status.as_str(), 1)];
        statuses.sort();
        assert_eq!(pairs(&v.by_status), statuses);
        assert_eq!(pairs(&v.by_category), [("", 1), ("c1", 2)]);
        assert_eq!(pairs(&v.by_area), [("", 2), ("dept-b", 1)]);
        assert_eq!(pairs(&v.by_channel), [("hotline", 3)]);
        let first = store.volumes(day("2026-11-16"), day("2026-11-17")).unwrap();
        assert_eq!(pairs(&first.by_day), [("2026-11-16", 2)]);
        assert_eq!(pairs(&first.by_category), [("c1", 2)]);
    };
    check();
    // b moves on: it leaves 待派发 for its new status, still on the 17th.
    let b2 = dispatch_and_sign(&w, store, &b, t0() + Duration::hours(16));
    let v = store.volumes(day("2026-11-17"), day("2026-11-18")).unwrap();
    assert_eq!(pairs(&v.by_status), [(b2.status.as_str(), 1)]);
    assert_eq!(pairs(&v.by_category), [("c1", 1)]);
    let before = store.volumes(day("2026-11-01"), day("2026-12-01")).unwrap();
    store.reindex().unwrap();
    let after = store.volumes(day("2026-11-01"), day("2026-12-01")).unwrap();
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
    let open = CaseQuery {
        statuses: vec![Status::Accepted, Status::Dispatched, Status::Handling],
        limit: 100,
        ..Default::default()
    };
    let listed = store.list_cases(&open).unwrap().rows;
    assert_eq!(listed.len(), 3);
    let by_unit = store.count_by_unit(&open).unwrap();
    assert_eq!(by_unit, [(None, 1), (Some(code("dept-a")), 2)]);
    let stage = listed[0].stage;
    let same_stage = store.count_by_unit(&CaseQuery { stage: Some(stage), ..open.clone() }).unwrap();
    let n = listed.iter().filter(|r| r.stage == stage).count() as u64;
    assert_eq!(same_stage.iter().map(|(_, k)| k).sum::<u64>(), n);
    let red = store.count_by_unit(&CaseQuery { stage: Some(Stage::Red), ..open.clone() }).unwrap();
    assert_eq!(red, [], "nothing is overdue yet");
    let a_only = store.count_by_unit(&CaseQuery { unit: Some(code("dept-a")), ..open }).unwrap();
    assert_eq!(a_only, [(Some(code("dept-a")), 2)]);
}
