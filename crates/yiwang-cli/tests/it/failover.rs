//! High availability on PostgreSQL (issue 19): a primary with a synchronous standby,
//! yiwang on a multi-host URL with `target_session_attrs=read-write`, the primary
//! killed with SIGKILL under `bench intake`, the standby promoted. yiwang finds the
//! new primary by itself and carries on; no acknowledged appeal is lost; a client
//! retrying with its Idempotency-Key across the failover makes one case per key.

use super::cluster::Cluster;
use super::{Server, assert_tracked, bin};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long `bench intake` runs in all; the primary is killed a few seconds in.
const BENCH_SECONDS: u64 = 8;

/// A client that files appeals one at a time, each under an Idempotency-Key of its
/// own, and retries a failed one with the same key until it is acknowledged: what a
/// careful integration does, for at most `GIVE_UP` per appeal. Returns whether every
/// appeal it sent was acknowledged; `acked` gets each acknowledged appeal.
fn probe(base: String, stop: Arc<AtomicBool>, acked: Arc<Mutex<Vec<Probed>>>) -> bool {
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let body = serde_json::json!({
            "channel": "app", "appeal_type": "complaint", "title": format!("探针{i}"),
            "text": format!("探针诉求第{i}件：小区路灯不亮。"), "citizen": {"phone": "13900000000"}
        });
        // Retried past `stop` too: a probe that was sent is seen through.
        let sent = Instant::now();
        loop {
            if sent.elapsed() > GIVE_UP {
                return false;
            }
            let attempt = Instant::now();
            let r = client
                .post(format!("{base}/api/v1/appeals"))
                .header("idempotency-key", format!("probe-{i}"))
                .json(&body)
                .send();
            match r {
                Ok(r) if r.status().as_u16() == 201 => {
                    let v: serde_json::Value = r.json().unwrap();
                    let id = v["case_id"].as_str().unwrap().to_owned();
                    acked.lock().unwrap().push(Probed { id, sent: attempt, acked: Instant::now() });
                    break;
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
    true
}

/// A probe's appeal: its case, when the attempt acknowledged was sent and answered.
#[derive(Clone)]
struct Probed {
    id: String,
    sent: Instant,
    acked: Instant,
}

/// How long the probe retries one appeal before the test fails.
const GIVE_UP: Duration = Duration::from_secs(20);

#[test]
fn a_primary_killed_under_load_fails_over_to_its_synchronous_standby_and_loses_nothing() {
    let primary = Cluster::start(&["synchronous_standby_names = 'standby1'", "synchronous_commit = on"]);
    // After its promotion the standby must not wait for a standby of its own.
    // It retries the lost primary's stream every 100 ms rather than every 5 s, so a
    // promotion is noticed at once.
    let standby = Cluster::standby_of(
        &primary,
        "standby1",
        &["synchronous_standby_names = ''", "wal_retrieve_retry_interval = '100ms'"],
    );
    primary.wait_for(
        "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'",
        "sync",
        Duration::from_secs(30),
    );
    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs=read-write",
        primary.port, standby.port
    );
    let dir = tempfile::tempdir().unwrap();
    let (data, acks, log) = (dir.path().join("data"), dir.path().join("acked.tsv"), dir.path().join("server.log"));
    // Its log (the failed writes while no primary answers) goes to a file.
    let server = Server::start_logged(&data, &[("YIWANG_DATABASE_URL", &url)], &log);

    let bench = bin()
        .args(["bench", "intake", "--no-trivial", "--clients", "8", "--url", &server.base])
        .args(["--seconds", &BENCH_SECONDS.to_string()])
        .arg("--ack-log")
        .arg(&acks)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let probed = Arc::new(Mutex::new(vec![]));
    let prober = {
        let (base, stop, probed) = (server.base.clone(), stop.clone(), probed.clone());
        std::thread::spawn(move || probe(base, stop, probed))
    };
    let lines = || std::fs::read_to_string(&acks).map(|s| s.lines().count()).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(BENCH_SECONDS / 2);
    while lines() < 100 {
        assert!(Instant::now() < deadline, "only {} appeals acknowledged on the primary", lines());
        std::thread::sleep(Duration::from_millis(20));
    }

    primary.kill_9();
    let killed = Instant::now();
    let before_kill = lines();
    standby.promote();
    let promoted = killed.elapsed();

    let out = bench.wait_with_output().unwrap();
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{summary}");
    stop.store(true, Ordering::Relaxed);
    assert!(prober.join().unwrap(), "a probe's appeal was not acknowledged within {GIVE_UP:?} of retrying");

    // yiwang carried on: it wrote on the promoted standby, through the same URL.
    let text = std::fs::read_to_string(&acks).unwrap();
    let after_kill = text.lines().count() - before_kill;
    assert!(after_kill > 100, "only {after_kill} appeals acknowledged after the failover: {summary}");
    let probed = probed.lock().unwrap().clone();
    // The failover time: from the kill to the first write acknowledged of those sent
    // after it (one sent before may have committed before the kill).
    let first_write = probed
        .iter()
        .filter(|p| p.sent > killed)
        .map(|p| p.acked.duration_since(killed))
        .min()
        .expect("a write acknowledged after the failover");

    // Every acknowledged appeal is on the new primary.
    let mut db = standby.client();
    let stored: std::collections::HashSet<String> =
        db.query("SELECT case_id FROM case_header", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    let acked: Vec<&str> = text.lines().chain(probed.iter().map(|p| p.id.as_str())).collect();
    let lost: Vec<&&str> = acked.iter().filter(|l| !stored.contains(l.split('\t').next().unwrap())).collect();
    println!(
        "failover: {} appeals acknowledged ({before_kill} before the kill, {after_kill} after, {} by the probe); \
         promotion took {:.2} s; first write {:.2} s after the kill; lost {}",
        acked.len(),
        probed.len(),
        promoted.as_secs_f64(),
        first_write.as_secs_f64(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    // And yiwang reads them back (its read connections moved too); a few, as the
    // tracking lookup is rate-limited per client.
    assert_tracked(
        &server.base,
        text.lines().take(20).chain(text.lines().skip(before_kill).take(20)),
        "after the failover",
    );

    // One case per Idempotency-Key, however often the probe retried across the failover.
    let probe_cases: i64 =
        db.query_one("SELECT count(*) FROM case_header WHERE title LIKE '探针%'", &[]).unwrap().get(0);
    assert_eq!(probe_cases as usize, probed.len(), "a retry made a second case");
    let keys: i64 = db
        .query_one("SELECT count(DISTINCT case_id) FROM idempotency_key WHERE key LIKE 'probe-%'", &[])
        .unwrap()
        .get(0);
    assert_eq!(keys as usize, probed.len());
    drop(server);

    let out = bin().args(["audit", "verify", "--data-dir"]).arg(&data).args(["--database", &url]).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "audit verify after the failover: {report}");
}
