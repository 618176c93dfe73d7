//! The contract suite on SQLite, and tampering with the file behind the store's back.

use crate::contract::{self, t0};
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;
use yiwang_core::chain::ChainBreak;
use yiwang_core::measure::FactKind;
use yiwang_store::{SqliteStore, Store};

/// The kinds the suite's stores hold: yiwang's own and the test's chore.
pub fn kinds() -> yiwang_core::case::Kinds {
    yiwang_core::kinds().with::<contract::Chore>()
}

pub fn open_at(path: &Path) -> SqliteStore {
    SqliteStore::open(path, kinds()).unwrap()
}

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_at(&dir.path().join("yiwang.sqlite"));
    (dir, store)
}

macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            let (_dir, store) = open();
            contract::$name(&store);
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
    let (_dir, store) = open();
    contract::an_idempotency_key_is_stored_with_its_write_and_used_once(&store, &|| store.hold_writes());
}

#[test]
fn a_refused_request_leaves_the_others_of_its_batch_committed() {
    let (_dir, store) = open();
    contract::a_refused_request_leaves_the_others_of_its_batch_committed(&store, &|| store.hold_writes());
}

/// Rows the store stamps carry the caller's time, never the machine's clock.
#[test]
fn reference_rows_are_stamped_with_the_callers_time() {
    let (dir, store) = open();
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
    drop(store);
    let c = Connection::open(dir.path().join("yiwang.sqlite")).unwrap();
    let stamps: Vec<String> = c
        .prepare(
            "SELECT created_at FROM unit UNION ALL SELECT created_at FROM category UNION ALL
             SELECT created_at FROM staff UNION ALL SELECT created_at FROM reference_document UNION ALL
             SELECT created_at FROM boundary UNION ALL SELECT created_at FROM access_log",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(stamps.len(), 4 + 1 + 1 + 1 + 1 + 1);
    assert!(stamps.iter().all(|s| s == "2026-11-16T01:00:00.000Z"), "{stamps:?}");
    let logged: (String, String, i64, String) = c
        .query_row("SELECT actor, case_id, person_id, what FROM access_log", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(logged, ("ha".into(), a.id.to_string(), a.citizen.unwrap().0, "reveal_phone".into()));
}

#[test]
fn concurrent_writers_are_all_committed() {
    let (_dir, store) = open();
    contract::concurrent_writers_are_all_committed(Arc::new(store));
}

#[test]
fn the_schema_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("yiwang.sqlite");
    let id = {
        let store = open_at(&path);
        let w = contract::world(&store);
        contract::new_case(&w, &store, t0(), 1, None).id
    };
    let store = open_at(&path);
    assert!(store.load(&id).unwrap().is_some());
}

/// Builds a store with two handled cases and returns its file and the first case.
fn tampered(sql: impl FnOnce(&Connection, &str)) -> Vec<(String, ChainBreak)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("yiwang.sqlite");
    let (id, other) = {
        let store = open_at(&path);
        let w = contract::world(&store);
        let a = contract::new_case(&w, &store, t0(), 1, None);
        let a = contract::dispatch_and_sign(&w, &store, &a, t0());
        let b = contract::new_case(&w, &store, t0(), 2, None);
        assert!(store.verify().unwrap().is_intact());
        (a.id, b.id)
    };
    let conn = Connection::open(&path).unwrap();
    sql(&conn, id.as_str());
    drop(conn);
    let store = open_at(&path);
    let report = store.verify().unwrap();
    assert!(report.breaks.iter().all(|(c, _)| c != other.as_str()), "untouched cases stay intact");
    report.breaks
}

#[test]
fn an_altered_event_is_named() {
    let breaks = tampered(|c, id| {
        c.execute("UPDATE event SET body = replace(body, 'c1', 'c2') WHERE case_id = ?1 AND seq = 2", [id]).unwrap();
    });
    assert!(matches!(breaks.as_slice(), [(_, ChainBreak::Altered { seq: 2 })]), "{breaks:?}");
}

#[test]
fn an_altered_actor_or_time_is_named() {
    let breaks = tampered(|c, id| {
        c.execute("UPDATE event SET at = '2026-01-01T00:00:00.000Z' WHERE case_id = ?1 AND seq = 3", [id]).unwrap();
    });
    assert!(matches!(breaks.as_slice(), [(_, ChainBreak::Altered { seq: 3 })]), "{breaks:?}");
}

#[test]
fn a_removed_event_is_named() {
    let breaks = tampered(|c, id| {
        c.execute("DELETE FROM event WHERE case_id = ?1 AND seq = 2", [id]).unwrap();
    });
    assert!(matches!(breaks.as_slice(), [(_, ChainBreak::Gap { seq: 3, expected: 2 })]), "{breaks:?}");
}

#[test]
fn a_removed_last_event_is_named() {
    let breaks = tampered(|c, id| {
        c.execute("DELETE FROM event WHERE case_id = ?1 AND seq = 3", [id]).unwrap();
    });
    assert!(matches!(breaks.as_slice(), [(_, ChainBreak::Truncated { head_seq: 3, last_seq: 2, .. })]), "{breaks:?}");
}

#[test]
fn reordered_events_are_named() {
    let breaks = tampered(|c, id| {
        c.execute_batch(&format!(
            "UPDATE event SET seq = 99 WHERE case_id = '{id}' AND seq = 2;
             UPDATE event SET seq = 2 WHERE case_id = '{id}' AND seq = 3;
             UPDATE event SET seq = 3 WHERE case_id = '{id}' AND seq = 99;"
        ))
        .unwrap();
    });
    assert_eq!(breaks.len(), 1, "{breaks:?}");
    assert!(matches!(breaks[0].1, ChainBreak::Unlinked { seq: 2 } | ChainBreak::Altered { seq: 2 }), "{breaks:?}");
}

/// The kind recorded beside a case's head is part of the record: a case recorded as
/// another kind is named by `verify`, and refused by `load` rather than misread.
#[test]
fn a_case_recorded_as_another_kind_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("yiwang.sqlite");
    let id = {
        let store = open_at(&path);
        let w = contract::world(&store);
        contract::dispatch_and_sign(&w, &store, &contract::new_case(&w, &store, t0(), 1, None), t0()).id
    };
    Connection::open(&path)
        .unwrap()
        .execute("UPDATE chain_head SET case_kind = 'chore' WHERE case_id = ?1", [id.as_str()])
        .unwrap();
    let store = open_at(&path);
    let report = store.verify().unwrap();
    assert!(
        matches!(report.breaks.as_slice(), [(c, ChainBreak::WrongKind { kind })] if c == id.as_str() && kind == "chore"),
        "{:?}",
        report.breaks
    );
    assert!(matches!(store.load(&id), Err(yiwang_store::StoreError::Corrupt(_))));
}

#[test]
fn a_hostile_database_administrator_is_caught() {
    let (dir, store) = open();
    let conn = Connection::open(dir.path().join("yiwang.sqlite")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    contract::a_hostile_database_administrator_is_caught(
        &store,
        &|s| {
            conn.execute_batch(s).unwrap();
        },
        false,
    );
}

#[test]
fn a_whole_deleted_case_is_named() {
    let breaks = tampered(|c, id| {
        c.execute("DELETE FROM event WHERE case_id = ?1", [id]).unwrap();
    });
    assert!(matches!(breaks.as_slice(), [(_, ChainBreak::Truncated { last_seq: 0, .. })]), "{breaks:?}");
}

/// Under writes that never pause, the WAL must still be rewound, or it grows for as
/// long as the load lasts (a PASSIVE checkpoint alone never lets it start over).
#[test]
fn the_wal_stays_bounded_under_writes_that_never_pause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("yiwang.sqlite");
    // 1 MiB at the most (and one batch past it); unbounded, these writes leave a WAL
    // of some 27 MiB.
    let limits = yiwang_store::sqlite::WalLimits { restart: 64, short_pass: 32, max: 256 };
    let store = Arc::new(SqliteStore::open_with(&path, kinds(), limits, yiwang_store::PersonalKeys::none()).unwrap());
    let w = Arc::new(contract::world(store.as_ref()));
    let threads: Vec<_> = (0..8u16)
        .map(|t| {
            let (store, w) = (store.clone(), w.clone());
            std::thread::spawn(move || {
                for i in 0..120u16 {
                    contract::new_case(&w, store.as_ref(), t0(), t * 120 + i, Some("13812345678"));
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|h| h.join().unwrap());
    let wal = std::fs::metadata(dir.path().join("yiwang.sqlite-wal")).unwrap().len();
    assert!(wal < 4 << 20, "the WAL grew to {} KiB", wal >> 10);
    assert_eq!(store.count_cases(&Default::default()).unwrap(), 960);
    assert!(store.verify().unwrap().is_intact());
}

/// A database written by schema version 6 (events with `prev_hash`, the state as JSON
/// in `appeal`, an FTS5 table with its content, a row per measure fact) is migrated on
/// open through every version since, and its record and projections read back as
/// they were written.
#[test]
fn a_version_6_database_is_migrated_with_its_record_intact() {
    const V6: [&str; 6] = [
        include_str!("../../migrations/sqlite/0001_init.sql"),
        include_str!("../../migrations/sqlite/0002_api_key.sql"),
        include_str!("../../migrations/sqlite/0003_dispatch.sql"),
        include_str!("../../migrations/sqlite/0004_search.sql"),
        include_str!("../../migrations/sqlite/0005_measure_tally.sql"),
        include_str!("../../migrations/sqlite/0006_no_phone_digest_index.sql"),
    ];
    let dir = tempfile::tempdir().unwrap();
    // The cases, recorded by today's store; then the same rows as version 6 kept them.
    let today = dir.path().join("today.sqlite");
    let days =
        (chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    let (handled, fresh, tally, volumes) = {
        let store = open_at(&today);
        let w = contract::world(&store);
        let a = contract::new_case(&w, &store, t0(), 1, Some("13812345678"));
        let a = contract::dispatch_and_sign(&w, &store, &a, t0());
        // 17:00 UTC on the 16th: the 17th in China.
        let b = contract::new_case(&w, &store, t0() + chrono::Duration::hours(16), 2, None);
        (a, b, store.tally_month("2026-11").unwrap(), store.volumes("appeal", days.0, days.1).unwrap())
    };
    let old = dir.path().join("v6.sqlite");
    {
        let c = Connection::open(&old).unwrap();
        for sql in V6 {
            c.execute_batch(sql).unwrap();
        }
        c.execute_batch("PRAGMA user_version = 6").unwrap();
        c.execute("ATTACH ?1 AS today", [today.to_str().unwrap()]).unwrap();
        c.execute_batch(
            "INSERT INTO person SELECT id, tenant, name, phone, phone_digest, id_number, contact, created_at, erased_at
                 FROM today.person;
             INSERT INTO event (tenant, case_id, seq, at, kind, actor, body, alg, prev_hash, hash, created_at)
                 SELECT tenant, case_id, seq, at, kind, actor, body, alg,
                        coalesce(lag(hash) OVER (PARTITION BY case_id ORDER BY seq), printf('%.64d', 0)), hash, at
                 FROM today.event ORDER BY case_id, seq;
             INSERT INTO chain_head SELECT case_id, tenant, seq, hash, created_at FROM today.chain_head;
             INSERT INTO appeal_access SELECT case_id, unit, created_at FROM today.case_access;",
        )
        .unwrap();
        for a in [&handled, &fresh] {
            // The appeal's own columns were columns of its row then.
            c.execute(
                "INSERT INTO appeal (rowid, case_id, tenant, status, appeal_type, urgency, channel, title, unit, category,
                                     area, stage, next_due, next_alarm, returned, supervised, citizen, tracking_code,
                                     accepted_at, updated_at, closed_at, version, state, created_at)
                 SELECT rowid, case_id, tenant, status, detail ->> '$.appeal_type',
                        coalesce(detail ->> '$.urgency', 'normal'), detail ->> '$.channel', title, unit, category,
                        area, stage, next_due, next_alarm, coalesce(detail ->> '$.returned', 0),
                        coalesce(detail ->> '$.supervised', 0), person, tracking_code, opened_at, updated_at,
                        closed_at, version, ?2, created_at
                 FROM today.case_header WHERE case_id = ?1",
                [a.id.as_str(), &serde_json::to_string(a).unwrap()],
            )
            .unwrap();
            // Version 6 kept one row per measure fact.
            for f in yiwang_core::measure::facts(a) {
                let k = FactKind::from_parts(f.name, f.flag, &f.value).unwrap();
                let (kind, flag, sat) = match k {
                    FactKind::Dispatch { responded } => ("dispatch", responded, None),
                    FactKind::Reply { on_time } => ("reply", on_time, None),
                    FactKind::Callback { solved, satisfaction } => ("callback", solved, Some(satisfaction.as_str())),
                };
                c.execute(
                    "INSERT INTO measure_fact (case_id, unit, month, kind, flag, satisfaction, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, '2026-11-20T00:00:00.000Z')",
                    rusqlite::params![a.id.as_str(), f.unit.as_str(), f.month, kind, flag, sat],
                )
                .unwrap();
            }
            let tokens = yiwang_store::search::index_tokens(&format!("{} {}", a.title.clone().unwrap(), a.text));
            c.execute(
                "INSERT INTO appeal_text (rowid, body) SELECT rowid, ?2 FROM appeal WHERE case_id = ?1",
                [a.id.as_str(), &tokens],
            )
            .unwrap();
        }
    }

    let store = open_at(&old);
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert_eq!((report.cases, report.events), (2, handled.version as u64 + fresh.version as u64));
    assert_eq!(contract::load(&store, &handled.id), handled);
    assert_eq!(contract::load(&store, &fresh.id), fresh);
    assert_eq!(store.tally_month("2026-11").unwrap(), tally);
    // Version 8 counted the volumes from the appeal rows.
    assert_eq!(format!("{:?}", store.volumes("appeal", days.0, days.1).unwrap()), format!("{volumes:?}"));
    assert_eq!(volumes.by_day.len(), 2, "{volumes:?}");
    let mine = yiwang_store::CaseQuery {
        visible_to: Some(contract::code("dept-a")),
        text: yiwang_store::search::fts_query("道路"),
        limit: 10,
        ..Default::default()
    };
    let found = store.list_cases(&mine).unwrap();
    assert_eq!(found.rows.iter().map(|r| &r.id).collect::<Vec<_>>(), [&handled.id]);
    // The migrated store goes on recording: the next event links to the old chain.
    let w = contract::world(&store);
    let more = contract::act(
        &w,
        &store,
        &handled,
        &contract::handler_a(),
        yiwang_core::appeal::Action::Contact { note: "已联系".into() },
        t0(),
    );
    assert_eq!(more.version, handled.version + 1);
    assert!(store.verify().unwrap().is_intact());
}

/// A batch's case numbers are checked against the stored ones before anything is
/// written (a constraint failure would roll back the writer's whole group commit): a
/// stored number at the far end of a range holding many stored ones is found, and
/// named.
#[test]
fn an_import_with_a_stored_number_is_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_at(&dir.path().join("y.sqlite"));
    let w = contract::world(&store);
    let live = contract::new_case(&w, &store, t0(), 1, None);
    let live = contract::dispatch_and_sign(&w, &store, &live, t0());
    contract::import_numbered(&store, &live.id, &(10..=20).collect::<Vec<_>>(), 7).unwrap();
    // 5 is new, 20 stored (under another tracking code), and eleven stored numbers
    // lie between them.
    let err = contract::import_numbered(&store, &live.id, &[5, 20], 8).unwrap_err();
    assert!(
        matches!(&err, yiwang_store::StoreError::Duplicate(m) if m.contains("YW20261110000020")),
        "named by the check, not by a constraint: {err:?}"
    );
}

#[test]
fn personal_data_is_sealed_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("yiwang.sqlite");
    contract::personal_data_is_sealed_at_rest(
        &|keys| {
            let wal = yiwang_store::sqlite::WalLimits::default();
            SqliteStore::open_with(&path, kinds(), wal, keys).map(|s| Box::new(s) as Box<dyn Store>)
        },
        &|id| {
            let c = Connection::open(&path).unwrap();
            c.query_row("SELECT name, phone, sealed_with FROM person WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap()
        },
    );
}

#[test]
fn security_events_are_archived_by_checkpoint_after_their_period() {
    let (dir, store) = open();
    let conn = Connection::open(dir.path().join("yiwang.sqlite")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    contract::security_events_are_archived_by_checkpoint_after_their_period(&store, &|s| {
        conn.execute_batch(s).unwrap();
    });
}

#[test]
fn a_store_switched_to_gm_hashes_with_sm3_seals_with_sm4_and_verifies_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("yiwang.sqlite");
    let conn = || {
        let c = Connection::open(&path).unwrap();
        c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        c
    };
    contract::a_store_switched_to_gm_hashes_with_sm3_seals_with_sm4_and_verifies_both(
        &|crypto| SqliteStore::sealed(&path, kinds(), crypto).map(|s| Box::new(s) as Box<dyn Store>),
        &|q| conn().prepare(q).unwrap().query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap(),
        &|s| conn().execute_batch(s).unwrap(),
    );
}
