//! The contract suite on PostgreSQL, and tampering with the tables behind the store's
//! back. Each test gets a database of its own, created on the server named by
//! `YIWANG_TEST_DATABASE_URL` and dropped afterwards.

use crate::contract::{self, t0};
use chrono::Duration;
use postgres::{Client, NoTls};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use yiwang_core::appeal::{Action, ReplyOutcome};
use yiwang_core::chain::ChainBreak;
use yiwang_store::{PgStore, Store};

/// A throwaway database, dropped (best effort) when the test ends, pass or fail.
pub struct TestDb {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDb {
    pub fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin_url = std::env::var("YIWANG_TEST_DATABASE_URL").expect(
            "set YIWANG_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) or run ./scripts/test, \
             which starts a throwaway PostgreSQL",
        );
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("yiwang_t_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut admin = Client::connect(&admin_url, NoTls).expect("connect to YIWANG_TEST_DATABASE_URL");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let url = with_dbname(&admin_url, &name);
        TestDb { admin_url, name, url }
    }

    pub fn store(&self) -> PgStore {
        PgStore::connect(&self.url, crate::sqlite::kinds()).unwrap()
    }

    pub fn store_sealed(&self, keys: yiwang_store::PersonalKeys) -> PgStore {
        PgStore::sealed(&self.url, crate::sqlite::kinds(), keys).unwrap()
    }

    pub fn sql(&self) -> Client {
        Client::connect(&self.url, NoTls).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.admin_url, NoTls) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// The same server with another database: a URL's path, or a `dbname=` setting.
fn with_dbname(url: &str, name: &str) -> String {
    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        return format!("{url} dbname={name}");
    }
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").unwrap() + 3;
    let host_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[test]
fn a_database_name_replaces_the_one_in_the_url() {
    assert_eq!(with_dbname("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
    assert_eq!(with_dbname("postgresql://u@h/test?sslmode=disable", "x"), "postgresql://u@h/x?sslmode=disable");
    assert_eq!(with_dbname("postgres://u@h", "x"), "postgres://u@h/x");
    assert_eq!(with_dbname("host=h user=u", "x"), "host=h user=u dbname=x");
}

macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            let db = TestDb::new();
            let store = db.store();
            contract::$name(&store);
            store.close();
        }
    )*};
}

contract_tests!(
    case_numbers_are_sequential_per_day_and_personal_data_is_kept_beside_the_record,
    appends_are_chained_and_a_stale_version_is_refused,
    projections_answer_queues_and_reindex_rebuilds_them_identically,
    alarms_and_monthly_facts_follow_the_state,
    reference_data_sessions_and_erasure_round_trip,
    full_text_search_finds_chinese_substrings_within_what_a_unit_may_see,
    search_lists_newest_first_and_counts_up_to_a_limit,
    a_walk_by_id_visits_every_case_of_a_kind_once,
    api_keys_are_kept_by_their_hash_and_revoked_once,
    the_disk_usage_grows_with_what_is_written,
    case_texts_are_found_by_words_and_by_time,
    articles_and_documents_round_trip_and_corrections_become_examples,
    imported_cases_are_stored_as_if_recorded_live,
    a_large_import_is_stored_whole,
    an_impossible_history_is_refused_naming_the_case,
    volumes_count_each_case_on_its_accepted_day,
    counts_by_unit_are_what_the_query_lists,
    a_kind_the_store_has_never_seen_runs_on_the_engine,
    cases_of_another_kind_import_beside_appeals,
    a_search_within_a_kind_finds_and_counts_its_own,
    notices_are_written_with_their_events_and_tried_until_sent,
    webhook_entries_are_a_lane_of_their_own_deferred_and_skipped,
    cases_are_found_by_their_peoples_phone,
);

#[test]
fn an_idempotency_key_is_stored_with_its_write_and_used_once() {
    let db = TestDb::new();
    let store = db.store();
    contract::an_idempotency_key_is_stored_with_its_write_and_used_once(&store, &|| store.hold_writes());
    store.close();
}

#[test]
fn a_refused_request_leaves_the_others_of_its_batch_committed() {
    let db = TestDb::new();
    let store = db.store();
    contract::a_refused_request_leaves_the_others_of_its_batch_committed(&store, &|| store.hold_writes());
    store.close();
}

/// Rows the store stamps carry the caller's time, never the machine's clock.
#[test]
fn reference_rows_are_stamped_with_the_callers_time() {
    let db = TestDb::new();
    let store = db.store();
    let w = contract::world(&store);
    let rec = yiwang_store::StaffRecord {
        username: yiwang_core::id::Username::parse("li").unwrap(),
        name: "李四".into(),
        unit: contract::code("dept-a"),
        roles: vec![],
        password_hash: "x".into(),
        active: true,
        must_change_password: false,
        password_changed_at: None,
        totp_secret: None,
        recovery_codes: vec![],
    };
    store.put_staff(&rec, t0()).unwrap();
    store.put_document("places", "[]", t0()).unwrap();
    store.replace_boundaries(&[(contract::code("dept-a"), "{}".into())], t0()).unwrap();
    let a = contract::new_case(&w, &store, t0(), 1, Some("13812345678"));
    store
        .log_access(&yiwang_store::AccessEntry {
            at: t0(),
            actor: "ha".into(),
            case: Some(a.id.clone()),
            person: a.citizen,
            what: "reveal_phone".into(),
        })
        .unwrap();
    let stamps: Vec<chrono::DateTime<chrono::Utc>> = db
        .sql()
        .query(
            "SELECT created_at FROM unit UNION ALL SELECT created_at FROM category UNION ALL
             SELECT created_at FROM staff UNION ALL SELECT created_at FROM reference_document UNION ALL
             SELECT created_at FROM boundary UNION ALL SELECT created_at FROM access_log",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(stamps.len(), 4 + 1 + 1 + 1 + 1 + 1);
    assert!(stamps.iter().all(|s| *s == t0()), "{stamps:?}");
    let r = db.sql().query_one("SELECT actor, case_id, person_id, what FROM access_log", &[]).unwrap();
    let logged: (String, String, i64, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
    assert_eq!(logged, ("ha".into(), a.id.to_string(), a.citizen.unwrap().0, "reveal_phone".into()));
}

#[test]
fn concurrent_writers_are_all_committed() {
    let db = TestDb::new();
    contract::concurrent_writers_are_all_committed(Arc::new(db.store()));
}

#[test]
fn concurrent_creates_from_many_threads_all_commit_with_distinct_numbers() {
    let db = TestDb::new();
    let store = Arc::new(db.store());
    let w = Arc::new(contract::world(store.as_ref()));
    let threads: Vec<_> = (0..6u16)
        .map(|t| {
            let (store, w) = (store.clone(), w.clone());
            std::thread::spawn(move || {
                (0..20u16)
                    .map(|i| contract::new_case(&w, store.as_ref(), t0(), t * 20 + i, None).id)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<String> = threads.into_iter().flat_map(|h| h.join().unwrap()).map(|id| id.to_string()).collect();
    ids.sort();
    ids.dedup();
    // All on one day: numbers 1 to 120 with none skipped, as each answer was a commit.
    let expected: Vec<String> = (1..=120).map(|n| format!("YW20261116{n:06}")).collect();
    assert_eq!(ids, expected);
    // A second connection sees every case: the answers came after COMMIT.
    let mut sql = db.sql();
    let n: i64 = sql.query_one("SELECT count(*) FROM chain_head", &[]).unwrap().get(0);
    assert_eq!(n, 120);
}

#[test]
fn the_schema_survives_reconnecting_and_two_stores_migrate_once() {
    let db = TestDb::new();
    // Two stores connecting at once: the advisory lock lets one migrate.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| db.store());
        let b = s.spawn(|| db.store());
        (a.join().unwrap(), b.join().unwrap())
    });
    let w = contract::world(&a);
    let id = contract::new_case(&w, &a, t0(), 1, None).id;
    assert!(b.load(&id).unwrap().is_some());
    a.close();
    b.close();
    let store = db.store();
    assert!(store.load(&id).unwrap().is_some());
    // Every migration ran once.
    let (versions, distinct): (i64, i64) = db
        .sql()
        .query_one("SELECT count(*), count(DISTINCT version) FROM schema_migrations", &[])
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres")).unwrap().count() as i64;
    assert_eq!((versions, distinct), (files, files));
}

#[test]
fn events_between_lists_events_in_commit_order() {
    let db = TestDb::new();
    let store = db.store();
    let w = contract::world(&store);
    let a = contract::new_case(&w, &store, t0(), 1, None);
    let b = contract::new_case(&w, &store, t0(), 2, None);
    contract::dispatch_and_sign(&w, &store, &a, t0());
    let evs = store.events_between("appeal", t0(), t0() + Duration::hours(1), 100, 0).unwrap();
    let order: Vec<(String, u32)> = evs.iter().map(|e| (e.case.to_string(), e.seq)).collect();
    assert_eq!(
        order,
        [(a.id.to_string(), 1), (b.id.to_string(), 1), (a.id.to_string(), 2), (a.id.to_string(), 3)],
        "same instant: commit order"
    );
    assert_eq!(store.events_between("appeal", t0(), t0() + Duration::hours(1), 2, 2).unwrap().len(), 2);
    assert_eq!(store.events_between("chore", t0(), t0() + Duration::hours(1), 100, 0).unwrap(), []);
}

/// Builds a store with two handled cases, runs `sql` on the first, and verifies.
fn tampered(sql: impl FnOnce(&mut Client, &str)) -> Vec<(String, ChainBreak)> {
    let db = TestDb::new();
    let store = db.store();
    let w = contract::world(&store);
    let a = contract::new_case(&w, &store, t0(), 1, None);
    let a = contract::dispatch_and_sign(&w, &store, &a, t0());
    let other = contract::new_case(&w, &store, t0(), 2, None);
    assert!(store.verify().unwrap().is_intact());
    sql(&mut db.sql(), a.id.as_str());
    let report = store.verify().unwrap();
    assert!(report.breaks.iter().all(|(c, _)| c != other.id.as_str()), "untouched cases stay intact");
    assert_eq!(report.cases, 2);
    report.breaks
}

#[test]
fn an_altered_event_is_named() {
    let breaks = tampered(|c, id| {
        c.execute("UPDATE event SET body = replace(body, 'c1', 'c2') WHERE case_id = $1 AND seq = 2", &[&id]).unwrap();
    });
    assert!(matches!(breaks.as_slice(), [(_, ChainBreak::Altered { seq: 2 })]), "{breaks:?}");
}

#[test]
fn an_altered_time_is_named() {
    let breaks = tampered(|c, id| {
        c.execute("UPDATE event SET at = at + interval '1 millisecond' WHERE case_id = $1 AND seq = 3", &[&id])
            .unwrap();
    });
    assert!(matches!(breaks.as_slice(), [(_, ChainBreak::Altered { seq: 3 })]), "{breaks:?}");
}

#[test]
fn a_removed_event_is_named() {
    let breaks = tampered(|c, id| {
        c.execute("DELETE FROM event WHERE case_id = $1 AND seq = 2", &[&id]).unwrap();
    });
    assert!(matches!(breaks.as_slice(), [(_, ChainBreak::Gap { seq: 3, expected: 2 })]), "{breaks:?}");
}

#[test]
fn reordered_events_are_named() {
    let breaks = tampered(|c, id| {
        for (from, to) in [(2, 99), (3, 2), (99, 3)] {
            c.execute("UPDATE event SET seq = $3 WHERE case_id = $1 AND seq = $2", &[&id, &from, &to]).unwrap();
        }
    });
    assert_eq!(breaks.len(), 1, "{breaks:?}");
    assert!(matches!(breaks[0].1, ChainBreak::Unlinked { seq: 2 } | ChainBreak::Altered { seq: 2 }), "{breaks:?}");
}

#[test]
fn a_removed_last_event_is_named() {
    let breaks = tampered(|c, id| {
        c.execute("DELETE FROM event WHERE case_id = $1 AND seq = 3", &[&id]).unwrap();
    });
    assert!(matches!(breaks.as_slice(), [(_, ChainBreak::Truncated { head_seq: 3, last_seq: 2, .. })]), "{breaks:?}");
}

/// The kind recorded beside a case's head is part of the record: a case recorded as
/// another kind is named by `verify`, and refused by `load` rather than misread.
#[test]
fn a_case_recorded_as_another_kind_is_named() {
    let db = TestDb::new();
    let store = db.store();
    let w = contract::world(&store);
    let a = contract::dispatch_and_sign(&w, &store, &contract::new_case(&w, &store, t0(), 1, None), t0());
    db.sql().execute("UPDATE chain_head SET case_kind = 'chore' WHERE case_id = $1", &[&a.id.as_str()]).unwrap();
    let report = store.verify().unwrap();
    assert!(
        matches!(report.breaks.as_slice(), [(c, ChainBreak::WrongKind { kind })] if c == a.id.as_str() && kind == "chore"),
        "{:?}",
        report.breaks
    );
    assert!(matches!(store.load(&a.id), Err(yiwang_store::StoreError::Corrupt(_))));
}

#[test]
fn a_hostile_database_administrator_is_caught() {
    let db = TestDb::new();
    let store = db.store();
    let client = std::sync::Mutex::new(db.sql());
    contract::a_hostile_database_administrator_is_caught(
        &store,
        &|s| {
            client.lock().unwrap().batch_execute(s).unwrap();
        },
        true,
    );
}

#[test]
fn a_whole_deleted_case_is_named() {
    let breaks = tampered(|c, id| {
        c.execute("DELETE FROM event WHERE case_id = $1", &[&id]).unwrap();
    });
    assert!(matches!(breaks.as_slice(), [(_, ChainBreak::Truncated { last_seq: 0, .. })]), "{breaks:?}");
}

/// Every projection may be dropped: cases still load (from their events), and
/// `reindex` brings back everything the projections answered.
#[test]
fn reindex_rebuilds_dropped_projections() {
    let db = TestDb::new();
    let store = db.store();
    let w = contract::world(&store);
    let a = contract::dispatch_and_sign(&w, &store, &contract::new_case(&w, &store, t0(), 1, None), t0());
    let before = contract::projected(&store);
    db.sql()
        .batch_execute(
            "DELETE FROM case_header; DELETE FROM case_access; DELETE FROM case_co_unit; DELETE FROM measure_tally;
             DELETE FROM volume_tally; DELETE FROM dispatch_example",
        )
        .unwrap();
    assert_eq!(contract::load(&store, &a.id), a, "a case loads from its events alone");
    assert_ne!(contract::projected(&store), before);
    assert_eq!(store.reindex().unwrap(), 1);
    assert_eq!(contract::projected(&store), before);
}

/// A server's last handle to the store is often dropped on a tokio worker thread,
/// where the synchronous client's own shutdown would panic ("Cannot start a runtime
/// from within a runtime") and, with several connections, abort the process.
#[test]
fn the_store_can_be_dropped_on_an_async_worker_thread() {
    let db = TestDb::new();
    let store = db.store();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
    rt.block_on(async move { tokio::spawn(async move { drop(store) }).await }).expect("dropped without a panic");
}

/// Both writer connections move the month's counts, each in its own rows (migration
/// 3): concurrent dispatches, signatures and replies on many cases add up to what
/// `reindex` counts from the events afresh.
#[test]
fn counts_moved_by_both_writers_add_up_to_the_reindexed_month() {
    let db = TestDb::new();
    let store: Arc<dyn Store> = Arc::new(db.store());
    let w = Arc::new(contract::world(store.as_ref()));
    let threads: Vec<_> = (0..8u16)
        .map(|t| {
            let (store, w) = (store.clone(), w.clone());
            std::thread::spawn(move || {
                for i in 0..15u16 {
                    let at = t0() + Duration::hours(i64::from(i));
                    let a = contract::new_case(&w, store.as_ref(), at, t * 15 + i, None);
                    let a = contract::dispatch_and_sign(&w, store.as_ref(), &a, at);
                    if i % 3 == 0 {
                        let h = contract::handler_a();
                        let contact = Action::Contact { note: "已联系".into() };
                        let a = contract::act(&w, store.as_ref(), &a, &h, contact, at + Duration::hours(1));
                        let reply = Action::Reply {
                            outcome: ReplyOutcome::Resolved,
                            text: "已处理完毕".into(),
                            photos: vec![],
                        };
                        contract::act(&w, store.as_ref(), &a, &h, reply, at + Duration::hours(2));
                    }
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|h| h.join().unwrap());
    let live = store.tally_month("2026-11").unwrap();
    let month = contract::tally(store.as_ref(), "2026-11");
    let (_, t) = month.iter().find(|(u, _)| u.as_str() == "dept-a").expect("dept-a counted");
    assert_eq!((t.dispatched, t.responded, t.replied), (120, 40, 40), "{t:?}");
    let slots: i64 = db.sql().query_one("SELECT count(DISTINCT slot) FROM measure_tally", &[]).unwrap().get(0);
    assert!((1..=2).contains(&slots), "{slots} slots");
    let days =
        (chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    let volumes = format!("{:?}", store.volumes("appeal", days.0, days.1).unwrap());
    store.reindex().unwrap();
    assert_eq!(store.tally_month("2026-11").unwrap(), live, "the live counts are the counts of the events");
    assert_eq!(format!("{:?}", store.volumes("appeal", days.0, days.1).unwrap()), volumes, "so are the volumes");
}

/// Migration 3 turns the facts of version 2 into counts: the month's rates read the
/// same before and after it.
#[test]
fn migration_3_keeps_the_month_counted() {
    let db = TestDb::new();
    let mut c = db.sql();
    c.batch_execute(include_str!("../../migrations/postgres/0001_init.sql")).unwrap();
    c.batch_execute(include_str!("../../migrations/postgres/0002_event_recorded.sql")).unwrap();
    c.batch_execute(
        "CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
         INSERT INTO schema_migrations (version) VALUES (1), (2);
         INSERT INTO measure_fact (tenant, case_id, unit, month, kind, flag, satisfaction, created_at) VALUES
           ('t', 'c1', 'dept-a', '2026-11', 'dispatch', true, NULL, now()),
           ('t', 'c2', 'dept-a', '2026-11', 'dispatch', false, NULL, now()),
           ('t', 'c3', 'dept-a', '2026-11', 'dispatch', true, NULL, now()),
           ('t', 'c1', 'dept-a', '2026-11', 'reply', true, NULL, now()),
           ('t', 'c1', 'dept-a', '2026-11', 'callback', true, 'satisfied', now()),
           ('t', 'c4', 'dept-b', '2026-10', 'callback', false, 'unsatisfied', now())",
    )
    .unwrap();
    let store = db.store();
    let nov = contract::tally(&store, "2026-11");
    let expected = yiwang_core::measure::Tally {
        dispatched: 3,
        responded: 2,
        replied: 1,
        replied_on_time: 1,
        callbacks: 1,
        solved: 1,
        satisfied: 1,
        basically_satisfied: 0,
    };
    assert_eq!(nov.len(), 1);
    assert_eq!((nov[0].0.as_str(), nov[0].1), ("dept-a", expected));
    let oct = contract::tally(&store, "2026-10");
    assert_eq!((oct[0].0.as_str(), oct[0].1.callbacks, oct[0].1.solved), ("dept-b", 1, 0));
}

/// Migration 6 counts the volumes of the appeals stored before it (version 5's
/// appeal rows, written here as version 5 wrote them), and migration 7 keeps them as
/// the appeal's: the dashboard reads them after both.
#[test]
fn migration_6_counts_the_stored_appeals() {
    let db = TestDb::new();
    let mut c = db.sql();
    c.batch_execute(
        "CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .unwrap();
    for (i, sql) in [
        include_str!("../../migrations/postgres/0001_init.sql"),
        include_str!("../../migrations/postgres/0002_event_recorded.sql"),
        include_str!("../../migrations/postgres/0003_measure_tally.sql"),
        include_str!("../../migrations/postgres/0004_lz4.sql"),
        include_str!("../../migrations/postgres/0005_accepted_order.sql"),
    ]
    .iter()
    .enumerate()
    {
        c.batch_execute(sql).unwrap();
        c.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&(i as i32 + 1)]).unwrap();
    }
    // 09:00 and 17:00 China time on the 16th, and 00:30 on the 17th.
    c.batch_execute(
        "INSERT INTO appeal (tenant, case_id, status, appeal_type, urgency, channel, title, unit, category, area, stage,
                             returned, supervised, tracking_code, accepted_at, updated_at, version, state, search,
                             created_at) VALUES
           ('d', 'YW20261116000001', 'handling', 'complaint', 'normal', 'hotline', NULL, 'dept-a', 'c1', NULL,
            'green', false, false, 'AAAAAAAAA1', '2026-11-16T01:00:00Z', now(), 3, '{}', '', now()),
           ('d', 'YW20261116000002', 'accepted', 'help', 'urgent', 'web', NULL, NULL, NULL, 'g1',
            'green', true, false, 'AAAAAAAAA2', '2026-11-16T09:00:00Z', now(), 1, '{}', '', now()),
           ('d', 'YW20261117000001', 'accepted', 'complaint', 'normal', 'web', NULL, NULL, NULL, NULL,
            'green', false, true, 'AAAAAAAAA3', '2026-11-16T16:30:00Z', now(), 1, '{}', '', now())",
    )
    .unwrap();
    let store = db.store();
    let days =
        (chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    let v = store.volumes("appeal", days.0, days.1).unwrap();
    let pairs = |v: &[(String, u64)]| v.iter().map(|(k, n)| (k.clone(), *n)).collect::<Vec<_>>();
    let owned = |v: &[(&str, u64)]| v.iter().map(|(k, n)| (k.to_string(), *n)).collect::<Vec<_>>();
    assert_eq!(pairs(&v.by_day), owned(&[("2026-11-16", 2), ("2026-11-17", 1)]));
    assert_eq!(pairs(v.dimension("status")), owned(&[("accepted", 2), ("handling", 1)]));
    assert_eq!(pairs(v.dimension("channel")), owned(&[("hotline", 1), ("web", 2)]));
    assert_eq!(pairs(v.dimension("area")), owned(&[("", 2), ("g1", 1)]));
    // Migration 7 made the appeal's own columns its detail document.
    let rows = store.list_cases(&yiwang_store::CaseQuery { limit: 10, ..Default::default() }).unwrap().rows;
    let detail = |id: &str| -> serde_json::Value {
        serde_json::from_str(&rows.iter().find(|r| r.id.as_str() == id).unwrap().detail).unwrap()
    };
    assert_eq!(
        detail("YW20261116000002"),
        serde_json::json!({"appeal_type": "help", "channel": "web", "urgency": "urgent", "returned": true})
    );
    assert_eq!(
        detail("YW20261117000001"),
        serde_json::json!({"appeal_type": "complaint", "channel": "web", "supervised": true})
    );
}

/// Imports run on both writers side by side: batches sent at once from several
/// threads are all stored, their chains verify, the day's counter ends past the
/// highest imported number, and the live counts equal what `reindex` counts.
#[test]
fn imports_on_both_writers_side_by_side_are_all_stored_and_counted() {
    use yiwang_core::id::TrackingCode;
    use yiwang_store::ImportedCase;
    let db = TestDb::new();
    let store: Arc<dyn Store> = Arc::new(db.store());
    let w = contract::world(store.as_ref());
    let a = contract::new_case(&w, store.as_ref(), t0(), 1, None);
    let a = contract::dispatch_and_sign(&w, store.as_ref(), &a, t0());
    // Case n of the day before, with a tracking code of its own.
    let case = |n: u32| {
        let code = TrackingCode::dated(chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap(), {
            let mut r = [0u8; 7];
            for (i, d) in r.iter_mut().enumerate() {
                *d = ((n >> (3 * i)) & 7) as u8;
            }
            r
        });
        contract::imported(
            &format!("YW20261115{n:06}"),
            None,
            contract::history_of(store.as_ref(), &a.id, contract::recoded(code)),
        )
    };
    let threads: Vec<_> = (0..4u32)
        .map(|t| {
            let store = store.clone();
            let batches: Vec<Vec<ImportedCase>> =
                (0..5u32).map(|b| (0..20u32).map(|i| case(1 + t * 100 + b * 20 + i)).collect()).collect();
            std::thread::spawn(move || {
                let pending: Vec<_> = batches.into_iter().map(|b| store.import_cases(b, t0())).collect();
                pending.into_iter().for_each(|p| p.wait().unwrap());
            })
        })
        .collect();
    threads.into_iter().for_each(|h| h.join().unwrap());
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert_eq!(report.cases, 401);
    let live = store.tally_month("2026-11").unwrap();
    let days =
        (chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
    let volumes = format!("{:?}", store.volumes("appeal", days.0, days.1).unwrap());
    let month = contract::tally(store.as_ref(), "2026-11");
    let (_, t) = month.iter().find(|(u, _)| u.as_str() == "dept-a").unwrap();
    assert_eq!(t.dispatched, 401);
    store.reindex().unwrap();
    assert_eq!(store.tally_month("2026-11").unwrap(), live);
    assert_eq!(format!("{:?}", store.volumes("appeal", days.0, days.1).unwrap()), volumes);
    // The next number of that day follows the highest imported (400).
    let next = contract::new_case(&w, store.as_ref(), t0() - Duration::days(1), 2, None);
    assert_eq!(next.id.as_str(), "YW20261115000401");
}

/// A phrase that matches many cases is read newest first, one that matches few is
/// fetched and sorted (`list_cases` picks by the count); both give the same page as
/// sorting every match would.
#[test]
fn text_search_pages_are_newest_first_whichever_plan_the_count_picks() {
    use yiwang_core::appeal::AppealEvent;
    use yiwang_core::id::TrackingCode;
    use yiwang_store::{CaseQuery, ImportedCase, ImportedEvent, search::fts_query};
    let db = TestDb::new();
    let store = db.store();
    let w = contract::world(&store);
    let a = contract::new_case(&w, &store, t0(), 1, None);
    // 1,200 copies of the case ("道路破损"), each accepted a minute after the last;
    // the last 30 also say "井盖".
    let cases: Vec<ImportedCase> = (1..=1200u32)
        .map(|n| {
            let events = contract::history_of(&store, &a.id, |event| {
                if let AppealEvent::Accepted { tracking_code, text, .. } = event {
                    let mut r = [0u8; 7];
                    for (i, d) in r.iter_mut().enumerate() {
                        *d = ((n >> (3 * i)) & 7) as u8;
                    }
                    *tracking_code = TrackingCode::dated(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), r);
                    if n > 1170 {
                        text.push_str("，井盖缺失");
                    }
                }
            })
            .into_iter()
            .map(|e| ImportedEvent { at: e.at - Duration::days(10) + Duration::minutes(i64::from(n)), ..e })
            .collect();
            contract::imported(&format!("YW20261106{n:06}"), None, events)
        })
        .collect();
    store.import_cases(cases, t0()).wait().unwrap();
    let page = |text: &str, offset: u32| {
        let q = CaseQuery { text: fts_query(text), limit: 20, offset, count_up_to: Some(1000), ..Default::default() };
        let p = store.list_cases(&q).unwrap();
        (p.total, p.rows.iter().map(|r| r.id.to_string()).collect::<Vec<_>>())
    };
    let ids = |range: std::ops::RangeInclusive<u32>| -> Vec<String> {
        range.rev().map(|n| format!("YW20261106{n:06}")).collect()
    };
    // Many matches: the live case (accepted last) first, then the newest copies.
    let (total, rows) = page("道路破损", 0);
    assert_eq!(total, 1000);
    assert_eq!(rows[0], a.id.to_string());
    assert_eq!(rows[1..], ids(1182..=1200)[..]);
    assert_eq!(page("道路破损", 40).1, ids(1142..=1161));
    // Few matches: the 30 copies that say 井盖 and 缺失, newest first.
    let (total, rows) = page("井盖缺失", 0);
    assert_eq!(total, 30);
    assert_eq!(rows, ids(1181..=1200));
    assert_eq!(page("井盖缺失", 20).1, ids(1171..=1180));
}

/// The search vector written as a literal is the one PostgreSQL's own parser makes of
/// the same tokens, so vectors written before and after the change match alike.
#[test]
fn tsvector_literals_equal_what_to_tsvector_makes_of_the_tokens() {
    use yiwang_store::search::{index_tokens, tsvector_literal};
    let db = TestDb::new();
    let mut c = db.sql();
    for text in [
        "湖畔路望湖公园北门以西路灯一周不亮，晚上很黑。路灯路灯",
        "上海市浦东新区XX路123弄4号601室（近YY路）电话：021-12345678",
        "小区WiFi坏了ＡＢＣ１２３ v2x",
        "Äpfel und Öl: straße 12-3",
        "",
    ] {
        let tokens = index_tokens(text);
        let same: bool = c
            .query_one("SELECT to_tsvector('simple', $1) = $2::text::tsvector", &[&tokens, &tsvector_literal(&tokens)])
            .unwrap()
            .get(0);
        assert!(same, "{text:?}");
    }
}

#[test]
fn personal_data_is_sealed_at_rest() {
    let db = TestDb::new();
    contract::personal_data_is_sealed_at_rest(
        &|keys| PgStore::sealed(&db.url, crate::sqlite::kinds(), keys).map(|s| Box::new(s) as Box<dyn Store>),
        &|id| {
            let r = db.sql().query_one("SELECT name, phone, sealed_with FROM person WHERE id = $1", &[&id]).unwrap();
            (r.get(0), r.get(1), r.get(2))
        },
    );
}

#[test]
fn security_events_are_archived_by_checkpoint_after_their_period() {
    let db = TestDb::new();
    let store = db.store();
    let client = std::sync::Mutex::new(db.sql());
    contract::security_events_are_archived_by_checkpoint_after_their_period(&store, &|s| {
        client.lock().unwrap().batch_execute(s).unwrap();
    });
}

#[test]
fn a_store_switched_to_gm_hashes_with_sm3_seals_with_sm4_and_verifies_both() {
    let db = TestDb::new();
    contract::a_store_switched_to_gm_hashes_with_sm3_seals_with_sm4_and_verifies_both(
        &|crypto| PgStore::sealed(&db.url, crate::sqlite::kinds(), crypto).map(|s| Box::new(s) as Box<dyn Store>),
        &|q| db.sql().query(q, &[]).unwrap().iter().map(|r| r.get(0)).collect(),
        &|s| db.sql().batch_execute(s).unwrap(),
    );
}

/// Two processes (or the two writer connections) create cases with the same tracking
/// code at once: the second case alone is refused as a duplicate, as on SQLite, and
/// never fails its batch on the unique constraint. A transaction holding
/// `case_header` keeps both writes from inserting until both have checked the code,
/// which is exactly the race: each saw the other's case uncommitted, so unseen.
#[test]
fn two_processes_creating_one_tracking_code_refuse_only_the_second() {
    let db = TestDb::new();
    let (one, two) = (db.store(), db.store());
    let w = contract::world(&one);
    let code = contract::tracking(t0(), 7, 7);
    let new = |text: &str, code| contract::new_case_of(&w, t0(), contract::intake(text, code), None);
    let mut sql = db.sql();
    let mut hold = sql.transaction().unwrap();
    hold.batch_execute("LOCK TABLE case_header IN SHARE MODE").unwrap();
    let first = one.create_case(new("井盖松动", code.clone()));
    let second = two.create_case(new("井盖松动了", code));
    // Both writes wait: on the table (checked, unlocked, about to insert), or on the
    // code's lock, behind the other.
    let mut watch = db.sql();
    let waiting = |c: &mut Client| -> i64 {
        c.query_one(
            "SELECT count(*) FROM pg_locks WHERE NOT granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .unwrap()
        .get(0)
    };
    let since = std::time::Instant::now();
    while waiting(&mut watch) < 2 {
        assert!(since.elapsed() < std::time::Duration::from_secs(20), "both writes should be waiting");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    hold.commit().unwrap();
    let results = [first.wait(), second.wait()];
    let made = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| matches!(r, Err(yiwang_store::StoreError::Duplicate(_)))).count();
    assert_eq!((made, refused), (1, 1), "{results:?}");
    // The writers go on: a case with another code is stored by either.
    let other = contract::tracking(t0(), 8, 7);
    two.create_case(new("路灯不亮", other)).wait().unwrap();
    assert_eq!(one.count_cases(&yiwang_store::CaseQuery::default()).unwrap(), 2);
}
