//! Upgrades lose nothing: a SQLite file and a PostgreSQL database written by the
//! release at `e7ec50f` (`tests/fixtures`, the demo district with every status) are
//! opened by today's store, which migrates them in place. Every case and event is
//! still there, every chain verifies, every count (the month's facts, the dashboards'
//! volumes) reads as the old release wrote it, and the projections the migration
//! wrote are exactly those `reindex` writes from the events. The later fixtures'
//! tests exercise what the migrations after them added: `84af512` keywords, due-time
//! kinds and Idempotency-Keys; `f138b5c` the phone lookup; `bbe9cb4` (the release
//! before schema 17, every network's kinds) the partial phone index. Each verifies
//! the record after them.

use crate::contract::{self, t0};
use std::collections::BTreeMap;
use yiwang_core::appeal::AppealKind;
use yiwang_store::{CaseQuery, Store};

const CASES: u64 = 156;
const EVENTS: u64 = 936;

/// What the old release counted: per month, unit, kind of fact, flag and
/// satisfaction; and per day, dimension and value.
type OldCounts = (BTreeMap<(String, String, String, bool, String), i64>, BTreeMap<(String, String, String), i64>);

/// Checks a migrated store against what the old release stored (`old`).
fn check_upgraded(store: &dyn Store, old: &OldCounts, statuses: &BTreeMap<String, u64>) {
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert_eq!((report.cases, report.events), (CASES, EVENTS));

    // Every case loads as an appeal, and the queues list every one by its status.
    let all = store.list_cases(&CaseQuery { limit: 500, ..Default::default() }).unwrap();
    assert_eq!(all.total, CASES);
    for row in &all.rows {
        assert_eq!(row.kind, "appeal");
        let case = store.load(&row.id).unwrap().unwrap();
        let a = case.state::<AppealKind>().expect("an appeal");
        assert_eq!((a.status.as_str(), a.version), (row.status.as_str(), case.project().header.version));
        let detail: yiwang_core::appeal::Detail = serde_json::from_str(&row.detail).unwrap();
        assert_eq!(detail, yiwang_core::appeal::Detail::of(a), "{}", row.id);
    }
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    for r in &all.rows {
        *by_status.entry(r.status.clone()).or_default() += 1;
    }
    assert_eq!(&by_status, statuses);
    assert!(statuses.len() >= 5, "the fixture holds every status: {statuses:?}");

    // The month's counts, as the old release kept them.
    let (facts, volumes) = old;
    let months: std::collections::BTreeSet<&String> = facts.keys().map(|k| &k.0).collect();
    assert!(months.len() >= 3, "{months:?}");
    let mut now: BTreeMap<(String, String, String, bool, String), i64> = BTreeMap::new();
    for m in &months {
        for f in store.tally_month(m).unwrap() {
            assert_eq!(f.kind, "appeal");
            *now.entry(((*m).clone(), f.unit.to_string(), f.name, f.flag, f.value)).or_default() += f.count as i64;
        }
    }
    let nonzero = |m: &BTreeMap<(String, String, String, bool, String), i64>| {
        m.iter().filter(|(_, n)| **n != 0).map(|(k, n)| (k.clone(), *n)).collect::<Vec<_>>()
    };
    assert_eq!(nonzero(&now), nonzero(facts));

    // The dashboards' volumes, day by day.
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let v = store.volumes("appeal", day("2020-01-01"), day("2030-01-01")).unwrap();
    let mut got: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (dimension, values) in &v.dimensions {
        for (value, n) in values {
            *got.entry((dimension.clone(), value.clone())).or_default() += *n as i64;
        }
    }
    let mut want: BTreeMap<(String, String), i64> = BTreeMap::new();
    for ((_, dimension, value), n) in volumes {
        *want.entry((dimension.clone(), value.clone())).or_default() += n;
    }
    want.retain(|_, n| *n != 0);
    assert_eq!(got, want);
    assert_eq!(v.by_day.iter().map(|(_, n)| n).sum::<u64>(), CASES);

    // Search finds the old cases through the kept index.
    let q = CaseQuery { text: yiwang_store::search::fts_query("路灯"), limit: 50, ..Default::default() };
    let found = store.list_cases(&q).unwrap().total;
    assert!(found > 0);
    // Within their kind as well: the old rows are the appeals' (`case_text_unmarked`).
    let appeals = CaseQuery { kind: Some("appeal"), count_up_to: Some(1000), ..q.clone() };
    assert_eq!(store.list_cases(&appeals).unwrap().total, found);
    assert_eq!(store.list_cases(&CaseQuery { kind: Some("chore"), ..q.clone() }).unwrap().total, 0);

    // What the migration wrote is what the events give.
    let migrated = contract::projected(store);
    assert_eq!(store.reindex().unwrap(), CASES);
    assert_eq!(contract::projected(store), migrated);

    // And the upgraded store goes on: the next case of the day and an append.
    let w = contract::world(store);
    let fresh = contract::new_case(&w, store, t0(), 900, None);
    let fresh = contract::dispatch_and_sign(&w, store, &fresh, t0());
    assert_eq!(fresh.version, 3);
    assert!(store.verify().unwrap().is_intact());
}

#[test]
fn a_sqlite_file_written_by_e7ec50f_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("yiwang.sqlite");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/e7ec50f.sqlite"), &path).unwrap();
    let (old, statuses) = {
        let c = rusqlite::Connection::open(&path).unwrap();
        let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, 8, "written by the release before");
        let facts = c
            .prepare("SELECT month, unit, kind, flag, satisfaction, count FROM measure_tally")
            .unwrap()
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?), r.get(5)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let volumes = c
            .prepare("SELECT day, dimension, value, count FROM volume_tally")
            .unwrap()
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let statuses = c
            .prepare("SELECT status, count(*) FROM appeal GROUP BY status")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        ((facts, volumes), statuses)
    };
    let store = crate::sqlite::open_at(&path);
    check_upgraded(&store, &old, &statuses);
}

#[test]
fn a_postgres_database_written_by_e7ec50f_upgrades_in_place() {
    let db = crate::postgres::TestDb::new();
    let dump = include_str!("../fixtures/e7ec50f.pg.sql");
    db.sql().batch_execute(dump).unwrap();
    let mut c = db.sql();
    let version: i32 = c.query_one("SELECT max(version) FROM schema_migrations", &[]).unwrap().get(0);
    assert_eq!(version, 6, "written by the release before");
    let facts = c
        .query("SELECT month, unit, kind, flag, satisfaction, sum(count)::bigint FROM measure_tally GROUP BY 1, 2, 3, 4, 5", &[])
        .unwrap()
        .iter()
        .map(|r| ((r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)), r.get(5)))
        .collect();
    let volumes = c
        .query(
            "SELECT to_char(day, 'YYYY-MM-DD'), dimension, value, sum(count)::bigint FROM volume_tally GROUP BY 1, 2, 3",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| ((r.get(0), r.get(1), r.get(2)), r.get(3)))
        .collect();
    let statuses = c
        .query("SELECT status, count(*) FROM appeal GROUP BY status", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
        .collect();
    let store = db.store();
    check_upgraded(&store, &(facts, volumes), &statuses);
    store.close();
}

/// What a database written at `91dcf8a` (SQLite schema 9, PostgreSQL migration 7:
/// appeals and tasks on the one engine, an access-log entry) holds, read with SQL:
/// cases by kind and status, events, access-log entries, and the month's counts.
type Held = (BTreeMap<(String, String), i64>, i64, i64, BTreeMap<(String, String, String, String, bool, String), i64>);

/// Checks a store migrated from `91dcf8a`: everything it held is there, every chain
/// verifies, the anchor logs every case's head and the access log unsealed, and the
/// first checkpoint seals them all.
fn check_anchored(store: &dyn Store, held: &Held, now: &dyn Fn() -> Held) {
    assert_eq!(&now(), held, "cases by kind and status, events, accesses and counts survive");
    let (by_status, events, accesses, _) = held;
    let cases: i64 = by_status.values().sum();
    assert!(by_status.keys().any(|(k, _)| k == "task") && by_status.keys().any(|(k, _)| k == "appeal"));
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert_eq!((report.cases as i64, report.events as i64), (cases, *events));
    let a = store.check_anchor().unwrap();
    assert!(a.is_intact(), "{:?}", a.breaks);
    assert_eq!((a.unsealed_heads as i64, a.unsealed_accesses as i64), (cases, *accesses));
    let signer = yiwang_store::anchor::Signer { key_id: "k".into(), sign: Box::new(|_| "sig".into()) };
    let cp = store.seal(t0(), signer).unwrap().unwrap();
    assert_eq!((cp.n, cp.heads, cp.accesses), (1, cases, *accesses));
    let a = store.check_anchor().unwrap();
    assert!(a.is_intact() && a.unsealed_heads == 0, "{:?}", a.breaks);
}

#[test]
fn a_sqlite_file_written_by_91dcf8a_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("yiwang.sqlite");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/91dcf8a.sqlite"), &path).unwrap();
    let read = || -> Held {
        let c = rusqlite::Connection::open(&path).unwrap();
        let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        let by_status = c
            .prepare("SELECT case_kind, status, count(*) FROM case_header GROUP BY 1, 2")
            .unwrap()
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let facts = c
            .prepare("SELECT case_kind, month, unit, fact, flag, value, sum(count) FROM measure_tally GROUP BY 1, 2, 3, 4, 5, 6")
            .unwrap()
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?), r.get(6)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        (by_status, q("SELECT count(*) FROM event"), q("SELECT count(*) FROM access_log"), facts)
    };
    let held = read();
    let version: i64 =
        rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 9, "written by the release before");
    let store = crate::sqlite::open_at(&path);
    check_anchored(&store, &held, &read);
}

#[test]
fn a_postgres_database_written_by_91dcf8a_upgrades_in_place() {
    let db = crate::postgres::TestDb::new();
    db.sql().batch_execute(include_str!("../fixtures/91dcf8a.pg.sql")).unwrap();
    let read = || -> Held {
        let mut c = db.sql();
        let mut q = |sql: &str| c.query_one(sql, &[]).unwrap().get::<_, i64>(0);
        let (events, accesses) = (q("SELECT count(*) FROM event"), q("SELECT count(*) FROM access_log"));
        let by_status = c
            .query("SELECT case_kind, status, count(*) FROM case_header GROUP BY 1, 2", &[])
            .unwrap()
            .iter()
            .map(|r| ((r.get(0), r.get(1)), r.get(2)))
            .collect();
        let facts = c
            .query(
                "SELECT case_kind, month, unit, fact, flag, value, sum(count)::bigint FROM measure_tally
                 GROUP BY 1, 2, 3, 4, 5, 6",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| ((r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)), r.get(6)))
            .collect();
        (by_status, events, accesses, facts)
    };
    let held = read();
    let version: i32 = db.sql().query_one("SELECT max(version) FROM schema_migrations", &[]).unwrap().get(0);
    assert_eq!(version, 7, "written by the release before");
    let store = db.store();
    check_anchored(&store, &held, &read);
    store.close();
}

/// A person row as stored: id, tenant, name, phone, phone digest, ID number, contact,
/// and the key it is sealed with.
type RawPerson = (i64, String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);

/// Checks a store migrated from `84af512` (personal data in plaintext, one signed
/// checkpoint): everything reads as before, the persons are sealed in batches with
/// the installation's key and read back the same, the table then holds no plaintext,
/// and the record and its anchor stay intact.
fn check_sealed(store: &dyn Store, before: &[RawPerson], raw: &dyn Fn() -> Vec<(RawPerson, Option<String>)>) {
    assert!(before.len() > 100, "the demo's citizens: {}", before.len());
    assert!(raw().iter().all(|(_, key)| key.is_none()), "nothing sealed yet");
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    let anchor = store.check_anchor().unwrap();
    assert!(anchor.is_intact() && anchor.checkpoints.len() == 1, "{anchor:?}");
    let read = |p: &RawPerson| store.person(yiwang_core::id::PersonId(p.0)).unwrap().unwrap().data;
    let as_stored = |p: &RawPerson| yiwang_store::PersonData {
        name: p.2.clone(),
        phone: p.3.clone(),
        phone_digest: p.4.clone(),
        id_number: p.5.clone(),
        contact: p.6.clone(),
    };
    for p in before {
        assert_eq!(read(p), as_stored(p), "read as it is before sealing");
    }
    let (mut after, mut sealed) = (yiwang_core::id::PersonId(0), 0);
    while let Some((last, n)) = store.seal_people(after, 40).unwrap() {
        (after, sealed) = (last, sealed + n);
    }
    assert_eq!(sealed as usize, before.len());
    let now = raw();
    for ((p, key), old) in now.iter().zip(before) {
        assert_eq!(key.as_deref(), Some("k84"), "person {}", p.0);
        assert_eq!(p.4, old.4, "the digest is kept");
        for (new, old) in [(&p.2, &old.2), (&p.3, &old.3), (&p.5, &old.5), (&p.6, &old.6)] {
            assert!(new.is_some() == old.is_some() && (old.is_none() || new != old), "person {}: {new:?}", p.0);
        }
        assert_eq!(read(p), as_stored(old), "read back the same");
    }
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert!(store.check_anchor().unwrap().is_intact());
    // The category tree reads as before, with no keywords (migration 14 / 12), and
    // takes keywords from now on.
    let mut cats = store.categories().unwrap();
    assert!(!cats.is_empty() && cats.iter().all(|c| c.keywords.is_empty()), "{cats:?}");
    cats[0].keywords = vec!["路灯".into()];
    store.replace_categories(&cats, t0()).unwrap();
    assert_eq!(store.categories().unwrap(), cats);
    // What the upgrade filled in (how each deadline counts) is what the events give.
    let migrated = contract::projected(store);
    assert!(migrated.contains("next_due_working: true"), "some open case has a resolve deadline");
    store.reindex().unwrap();
    assert_eq!(contract::projected(store), migrated);
    // New citizens are sealed as they are written.
    let w = contract::world(store);
    let fresh = contract::new_case(&w, store, t0(), 901, Some("13700001111"));
    let p = fresh.citizen.unwrap();
    assert_eq!(store.person(p).unwrap().unwrap().data.phone.as_deref(), Some("13700001111"));
    assert!(raw().iter().all(|(_, key)| key.as_deref() == Some("k84")));
    // The Idempotency-Key table (migration 15 / 13) takes keys from now on: stored
    // with its case, used once; and the record still verifies.
    let key =
        || Some(yiwang_store::IdempotencyKey { scope: "staff:li".into(), key: "k1".into(), fingerprint: "f".into() });
    let mut keyed =
        contract::new_case_of(&w, t0(), contract::intake("井盖松动", contract::tracking(t0(), 902, 7)), None);
    keyed.idempotency = key();
    let made = store.create_case(keyed).wait().unwrap();
    assert_eq!(store.idempotent("staff:li", "k1").unwrap().map(|k| k.case_id), Some(made.id().clone()));
    let mut again =
        contract::new_case_of(&w, t0(), contract::intake("井盖松动", contract::tracking(t0(), 903, 7)), None);
    again.idempotency = key();
    assert!(store.create_case(again).wait().is_err(), "a key is used once");
    // The people from before are appeals' citizens, which are not found by phone
    // (migrations 16 and 17 / 14 and 15), until someone is logged reading one.
    let (pid, digest) = before.iter().find_map(|p| Some((p.0, p.4.clone()?))).expect("a citizen with a phone");
    let q = yiwang_store::CaseQuery { phone_digest: Some(digest.clone()), limit: 100, ..Default::default() };
    assert!(store.list_cases(&q).unwrap().rows.is_empty(), "an appeal's citizen is not found by phone");
    let theirs =
        yiwang_store::CaseQuery { person: Some(yiwang_core::id::PersonId(pid)), limit: 1, ..Default::default() };
    let case = store.list_cases(&theirs).unwrap().rows.into_iter().next().map(|r| r.id);
    assert!(case.is_some());
    store
        .log_access(&yiwang_store::AccessEntry {
            at: t0(),
            actor: "staff:li".into(),
            case,
            person: Some(yiwang_core::id::PersonId(pid)),
            what: "reveal_phone".into(),
        })
        .unwrap();
    assert_eq!(store.list_cases(&q).unwrap().rows.len(), 1, "read, then found by phone");
    assert_eq!(store.accesses_by_phone(&digest, "reveal_phone", 10).unwrap().len(), 1);
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
}

fn k84() -> yiwang_store::PersonalKeys {
    yiwang_store::PersonalKeys::new(vec![("k84".into(), [84; 32])], "k84").unwrap()
}

#[test]
fn a_sqlite_file_written_by_84af512_upgrades_in_place_and_its_citizens_are_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("yiwang.sqlite");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/84af512.sqlite"), &path).unwrap();
    let version: i64 =
        rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 10, "written by the release before");
    let select = "SELECT id, tenant, name, phone, phone_digest, id_number, contact FROM person ORDER BY id";
    let before: Vec<RawPerson> = {
        let c = rusqlite::Connection::open(&path).unwrap();
        let mut s = c.prepare(select).unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let store = yiwang_store::SqliteStore::sealed(&path, crate::sqlite::kinds(), k84()).unwrap();
    let raw = || -> Vec<(RawPerson, Option<String>)> {
        let c = rusqlite::Connection::open(&path).unwrap();
        let mut s = c.prepare(&select.replace(" FROM", ", sealed_with FROM")).unwrap();
        s.query_map([], |r| {
            Ok(((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?), r.get(7)?))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    };
    check_sealed(&store, &before, &raw);
    // No copy of the plaintext is left in the file: the rows were overwritten where
    // they stood, and closing checkpoints and removes the write-ahead log.
    store.close();
    let bytes = std::fs::read(&path).unwrap();
    let phones: Vec<&String> = before.iter().filter_map(|p| p.3.as_ref()).collect();
    assert!(phones.len() > 100);
    let left: Vec<&&String> = phones.iter().filter(|p| bytes.windows(p.len()).any(|w| w == p.as_bytes())).collect();
    assert!(left.is_empty(), "{} phone numbers still in the file, e.g. {:?}", left.len(), left.first());
}

#[test]
fn a_postgres_database_written_by_84af512_upgrades_in_place_and_its_citizens_are_sealed() {
    let db = crate::postgres::TestDb::new();
    db.sql().batch_execute(include_str!("../fixtures/84af512.pg.sql")).unwrap();
    let version: i32 = db.sql().query_one("SELECT max(version) FROM schema_migrations", &[]).unwrap().get(0);
    assert_eq!(version, 8, "written by the release before");
    let select = "SELECT id, tenant, name, phone, phone_digest, id_number, contact FROM person ORDER BY id";
    let row =
        |r: &postgres::Row| -> RawPerson { (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)) };
    let before: Vec<RawPerson> = db.sql().query(select, &[]).unwrap().iter().map(row).collect();
    let store = db.store_sealed(k84());
    let raw = || -> Vec<(RawPerson, Option<String>)> {
        let rows = db.sql().query(&select.replace(" FROM", ", sealed_with FROM"), &[]).unwrap();
        rows.iter().map(|r| (row(r), r.get(7))).collect()
    };
    check_sealed(&store, &before, &raw);
    store.close();
}

/// What the release before wrote (`f138b5c`): appeals, tasks, patrols, 一网通办's
/// applications and 差评整改, one signed checkpoint, citizens sealed under the key
/// below (a test key, kept here with the fixture).
const F138: &[(&str, i64)] = &[("appeal", 155), ("application", 50), ("patrol", 104), ("rating_fix", 2), ("task", 42)];
const F138_EVENTS: i64 = 2592;

fn fixture_keys(id: &str, hex_key: &str) -> yiwang_store::PersonalKeys {
    let key: [u8; 32] = hex::decode(hex_key).unwrap().try_into().unwrap();
    yiwang_store::PersonalKeys::new(vec![(id.into(), key)], id).unwrap()
}

/// What a fixture holds, counted behind the store's back: its cases per kind (their
/// chain heads) and its events.
struct Stored {
    kinds: Vec<(String, i64)>,
    events: i64,
}

const STORED_KINDS: &str = "SELECT case_kind, count(*) FROM chain_head GROUP BY 1 ORDER BY 1";

fn sqlite_stored(c: &rusqlite::Connection) -> Stored {
    let kinds = c
        .prepare(STORED_KINDS)
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    Stored { kinds, events: c.query_row("SELECT count(*) FROM event", [], |r| r.get(0)).unwrap() }
}

fn pg_stored(db: &crate::postgres::TestDb) -> Stored {
    let kinds = db.sql().query(STORED_KINDS, &[]).unwrap().iter().map(|r| (r.get(0), r.get(1))).collect();
    Stored { kinds, events: db.sql().query_one("SELECT count(*) FROM event", &[]).unwrap().get(0) }
}

/// A migrated fixture holds the cases of every kind it held (`want`) and `events`;
/// its record and anchor verify over `cases` cases; each kind's cases are counted
/// by the store, and up to 500 of each load as their kind.
fn check_every_kind(store: &dyn Store, stored: &Stored, want: &[(&'static str, i64)], events: i64, cases: u64) {
    let want_kinds: Vec<(String, i64)> = want.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    assert_eq!(stored.kinds, want_kinds, "the cases of every kind are there");
    assert_eq!(stored.events, events);
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert_eq!(report.cases, cases);
    assert!(store.check_anchor().unwrap().is_intact());
    for (kind, n) in want {
        let q = CaseQuery { kind: Some(kind), limit: 500, count_up_to: Some(100_000), ..Default::default() };
        assert_eq!(store.count_cases(&q).unwrap() as i64, *n, "{kind}");
        let rows = store.list_cases(&q).unwrap().rows;
        assert_eq!(rows.len() as i64, (*n).min(500), "{kind}");
        for r in rows {
            let case = store.load(&r.id).unwrap().unwrap_or_else(|| panic!("{} does not load", r.id));
            assert_eq!(case.kind(), *kind);
        }
    }
}

/// Checks a store migrated from `f138b5c`: every case of every kind loads and folds
/// with today's kinds (whose events gained fields since), the record and its anchor
/// verify, reindexing writes what the migration left, and a citizen's cases are found
/// by their phone's digest (`digest`: one stored digest, how many person rows have it
/// and how many of them are applications').
fn check_f138(store: &dyn Store, stored: &Stored, digest: (String, i64, i64)) {
    check_every_kind(store, stored, F138, F138_EVENTS, 353);
    // Applications project more than they did (a bundle's part, payments, the ratings'
    // dimensions): `yiwang reindex` after this upgrade writes them for the old ones
    // (README: Upgrade), and writes the same again when run twice.
    store.reindex().unwrap();
    let reindexed = contract::projected(store);
    assert!(reindexed.contains("bundle_part"), "old applications' detail has the new keys");
    store.reindex().unwrap();
    assert_eq!(contract::projected(store), reindexed);
    // Of the person rows with that phone, the applications' are found (migration 17 /
    // 15 marks the kinds found by phone), the 差评整改's not.
    let (d, people, applicants) = digest;
    assert!(people > applicants && applicants > 0, "{people} rows, {applicants} of applications");
    let q = CaseQuery { phone_digest: Some(d), limit: 100, ..Default::default() };
    let found = store.list_cases(&q).unwrap().rows;
    assert_eq!(found.len() as i64, applicants, "one case per applicant's person row with that phone");
    assert!(found.iter().all(|r| r.kind == "application"));
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
}

#[test]
fn a_sqlite_file_written_by_f138b5c_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("yiwang.sqlite");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/f138b5c.sqlite"), &path).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 15, "written by the release before");
    // A phone two person rows share (the applicant of an application and of its 差评整改).
    let digest: (String, i64, i64) = c
        .query_row(
            "SELECT p.phone_digest, count(*), sum(CASE WHEN c.case_kind = 'application' THEN 1 ELSE 0 END)
             FROM person p JOIN case_header c ON c.person = p.id WHERE p.phone_digest IS NOT NULL
             GROUP BY p.phone_digest ORDER BY count(*) DESC, p.phone_digest LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    drop(c);
    let keys = fixture_keys("20261205042059faba", "58006092f628ec74470451ab1d6a2acd89caefa3571ad0b8497a94177108e4de");
    let store = yiwang_store::SqliteStore::sealed(&path, crate::sqlite::kinds(), keys).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    check_f138(&store, &sqlite_stored(&c), digest);
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 17);
    store.close();
}

#[test]
fn a_postgres_database_written_by_f138b5c_upgrades_in_place() {
    let db = crate::postgres::TestDb::new();
    db.sql().batch_execute(include_str!("../fixtures/f138b5c.pg.sql")).unwrap();
    let version: i32 = db.sql().query_one("SELECT max(version) FROM schema_migrations", &[]).unwrap().get(0);
    assert_eq!(version, 13, "written by the release before");
    let row = db
        .sql()
        .query_one(
            "SELECT p.phone_digest, count(*), sum(CASE WHEN c.case_kind = 'application' THEN 1 ELSE 0 END)
             FROM person p JOIN case_header c ON c.person = p.id WHERE p.phone_digest IS NOT NULL
             GROUP BY p.phone_digest ORDER BY count(*) DESC, p.phone_digest LIMIT 1",
            &[],
        )
        .unwrap();
    let digest: (String, i64, i64) = (row.get(0), row.get(1), row.get(2));
    let keys = fixture_keys("202612050421247b13", "8511c649c8e3ca60054db85f758643d81937407148c1d9e96245a41ef18b21c7");
    let store = db.store_sealed(keys);
    check_f138(&store, &pg_stored(&db), digest);
    store.close();
}

/// What the release before wrote (`bbe9cb4`, gzipped): the demo district of every
/// network, 3,090 cases of twelve kinds, a citizen's phone revealed (an access-log
/// entry), one signed checkpoint, citizens sealed under the key below.
const BBE: &[(&str, i64)] = &[
    ("access", 2),
    ("appeal", 155),
    ("application", 63),
    ("authorisation", 1),
    ("bundle", 5),
    ("enterprise", 2000),
    ("grant", 700),
    ("patrol", 104),
    ("policy", 2),
    ("rating_fix", 2),
    ("resource", 14),
    ("task", 42),
];
const BBE_EVENTS: i64 = 8476;

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = vec![];
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// What a fixture of `bbe9cb4` held, read behind the store's back before it migrates:
/// each person row with a digest, with its case's kind, and the person an access-log
/// entry names.
struct BbePeople {
    /// (person, digest, kind of its case)
    rows: Vec<(i64, String, String)>,
    logged: i64,
}

/// Checks a store migrated from `bbe9cb4` (migration 17 / 15: only the person rows
/// found by phone are indexed): every case of every kind loads, the record and its
/// anchor verify, and by phone are found the cases of the kinds found by phone
/// (`Kind::FOUND_BY_PHONE`) and the appeal whose citizen was read, and no other.
fn check_bbe(store: &dyn Store, stored: &Stored, people: &BbePeople) {
    check_every_kind(store, stored, BBE, BBE_EVENTS, 3090);
    let found_by_phone = ["application", "authorisation", "enterprise"];
    let kinds = yiwang_core::kinds();
    for k in kinds.iter() {
        assert_eq!(k.found_by_phone(), found_by_phone.contains(&k.name()), "{}: the migration names it", k.name());
    }
    let mut seen = std::collections::BTreeSet::new();
    let (mut found_kinds, mut appeals) = (std::collections::BTreeSet::new(), 0);
    for (pid, digest, kind) in &people.rows {
        let q = CaseQuery { phone_digest: Some(digest.clone()), limit: 100, ..Default::default() };
        let found = store.list_cases(&q).unwrap().rows;
        let want = found_by_phone.contains(&kind.as_str()) || *pid == people.logged;
        let mine = CaseQuery { person: Some(yiwang_core::id::PersonId(*pid)), limit: 10, ..Default::default() };
        let theirs = store.list_cases(&mine).unwrap().rows;
        assert_eq!(theirs.len(), 1, "person {pid}");
        assert_eq!(found.iter().any(|r| r.id == theirs[0].id), want, "person {pid} of a {kind}");
        if want && seen.insert(pid) {
            found_kinds.insert(kind.clone());
            appeals += usize::from(kind == "appeal");
        }
    }
    let all: Vec<String> = ["appeal", "application", "authorisation", "enterprise"].map(String::from).to_vec();
    assert_eq!(found_kinds.into_iter().collect::<Vec<_>>(), all);
    assert_eq!(appeals, 1, "the appeal whose citizen was read");
    let entries = people.rows.iter().find(|p| p.0 == people.logged).map(|p| p.1.clone()).unwrap();
    assert_eq!(store.accesses_by_phone(&entries, "reveal_phone", 10).unwrap().len(), 1);
    let report = store.verify().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
}

const BBE_PEOPLE: &str = "SELECT p.id, p.phone_digest, c.case_kind FROM person p JOIN case_header c ON c.person = p.id
     WHERE p.phone_digest IS NOT NULL ORDER BY p.id";
const BBE_LOGGED: &str = "SELECT person_id FROM access_log WHERE person_id IS NOT NULL";

#[test]
fn a_sqlite_file_written_by_bbe9cb4_upgrades_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("yiwang.sqlite");
    std::fs::write(&path, gunzip(include_bytes!("../fixtures/bbe9cb4.sqlite.gz"))).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 16, "written by the release before");
    let rows = c
        .prepare(BBE_PEOPLE)
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap();
    let people = BbePeople { rows, logged: c.query_row(BBE_LOGGED, [], |r| r.get(0)).unwrap() };
    drop(c);
    let keys = fixture_keys("2026120512481589f6", "cec36f99e70945f1e20f8dc2ea84a9055483a92be0baaf5312dd21f291928fb3");
    let store = yiwang_store::SqliteStore::sealed(&path, crate::sqlite::kinds(), keys).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    check_bbe(&store, &sqlite_stored(&c), &people);
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 17);
    store.close();
}

#[test]
fn a_postgres_database_written_by_bbe9cb4_upgrades_in_place() {
    let db = crate::postgres::TestDb::new();
    let dump = String::from_utf8(gunzip(include_bytes!("../fixtures/bbe9cb4.pg.sql.gz"))).unwrap();
    db.sql().batch_execute(&dump).unwrap();
    let version: i32 = db.sql().query_one("SELECT max(version) FROM schema_migrations", &[]).unwrap().get(0);
    assert_eq!(version, 14, "written by the release before");
    let rows = db.sql().query(BBE_PEOPLE, &[]).unwrap().iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    let people = BbePeople { rows, logged: db.sql().query_one(BBE_LOGGED, &[]).unwrap().get(0) };
    let keys = fixture_keys("20261205124840a40a", "80bf4d7ef34269a231b42d8125829b6b9849d89993832cc0bc3eac315acdbe2e");
    let store = db.store_sealed(keys);
    check_bbe(&store, &pg_stored(&db), &people);
    let version: i32 = db.sql().query_one("SELECT max(version) FROM schema_migrations", &[]).unwrap().get(0);
    assert_eq!(version, 15);
    store.close();
}
