//! The `yiwang` binary end to end: a real server process on a loopback port, killed
//! with SIGKILL in the middle of `bench intake`; `audit verify` on a file that was
//! tampered with; and the other benches, small, on SQLite and PostgreSQL.

mod certificate;
mod draw;
mod metrics;
mod settings;
mod share_story;
mod stream;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yiwang"));
    c.env("YIWANG_LOG", "warn").env_remove("YIWANG_DATA_DIR");
    c
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(dir: &Path, demo: bool) -> Server {
        Server::start_with(dir, demo, &[])
    }

    fn start_with(dir: &Path, demo: bool, args: &[&str]) -> Server {
        Server::spawn(dir, demo, args, &[], None)
    }

    /// A server whose log (at `YIWANG_LOG=info`, with `envs`) goes to the file `log`.
    fn start_logged(dir: &Path, envs: &[(&str, &str)], log: &Path) -> Server {
        Server::spawn(dir, false, &[], envs, Some(log))
    }

    fn spawn(dir: &Path, demo: bool, args: &[&str], envs: &[(&str, &str)], log: Option<&Path>) -> Server {
        let port = free_port();
        let mut cmd = bin();
        cmd.args(["serve", "--data-dir"]).arg(dir).args(["--listen", &format!("127.0.0.1:{port}")]).args(args);
        if demo {
            cmd.arg("--demo");
        }
        if let Some(log) = log {
            cmd.env("YIWANG_LOG", "info").envs(envs.iter().copied()).stderr(std::fs::File::create(log).unwrap());
        } else {
            cmd.stderr(Stdio::inherit());
        }
        let child = cmd.stdout(Stdio::null()).spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::blocking::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !client.get(format!("{base}/healthz")).send().is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "server did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn audit(dir: &Path) -> (bool, String) {
    let out = bin().args(["audit", "verify", "--data-dir"]).arg(dir).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn audit_verify_names_the_case_and_event_that_was_tampered_with() {
    let dir = tempfile::tempdir().unwrap();
    {
        let _server = Server::start(dir.path(), true);
    }
    let (ok, report) = audit(dir.path());
    assert!(ok, "{report}");
    assert!(report.contains("0 broken"), "{report}");

    let db = rusqlite::Connection::open(dir.path().join("yiwang.sqlite")).unwrap();
    let (case, seq): (String, u32) = db
        .query_row("SELECT case_id, seq FROM event WHERE kind = 'replied' ORDER BY case_id LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    db.execute(
        "UPDATE event SET body = replace(body, '\"resolved\"', '\"cannot_solve\"') WHERE case_id = ?1 AND seq = ?2",
        rusqlite::params![case, seq],
    )
    .unwrap();
    // And a task's: one audit covers every kind.
    let (task, task_seq): (String, u32) = db
        .query_row("SELECT case_id, seq FROM event WHERE kind = 'reported' ORDER BY case_id LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    db.execute(
        "UPDATE event SET body = replace(body, '\"achieved\":', '\"achieved\":1') WHERE case_id = ?1 AND seq = ?2",
        rusqlite::params![task, task_seq],
    )
    .unwrap();
    let cases: u64 = db.query_row("SELECT count(*) FROM chain_head", [], |r| r.get(0)).unwrap();
    let tasks: u64 =
        db.query_row("SELECT count(*) FROM chain_head WHERE case_kind = 'task'", [], |r| r.get(0)).unwrap();
    assert!(tasks > 0 && cases > tasks, "the demo holds appeals and tasks");
    drop(db);
    let (ok, report) = audit(dir.path());
    assert!(!ok, "a tampered store fails the audit");
    assert!(report.contains(&format!("BROKEN case {case}: event {seq}")), "{report}");
    assert!(report.contains(&format!("BROKEN case {task}: event {task_seq}")), "{report}");

    // Projections come back from the events.
    let out = bin().args(["reindex", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&format!("rebuilt projections of {cases} cases")), "{said}");
}

/// The server seals a signed checkpoint every --checkpoint-seconds and exports it to
/// a witness file. A database rolled back to an earlier copy still verifies on its
/// own, but not against the witness; a rotated key still verifies old checkpoints.
#[test]
fn a_database_rolled_back_to_an_earlier_copy_is_caught_against_the_exported_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let witness = dir.path().join("witness.jsonl");
    let lines = || std::fs::read_to_string(&witness).unwrap_or_default().lines().count();
    let run = |args: &[&str]| {
        let out = bin().args(args).arg("--data-dir").arg(&data).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let verify = |with_witness: bool| {
        let mut c = bin();
        c.args(["audit", "verify", "--data-dir"]).arg(&data);
        if with_witness {
            c.arg("--witness").arg(&witness);
        }
        let out = c.output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let export = witness.to_str().unwrap();
    {
        let server = Server::start_with(&data, true, &["--checkpoint-seconds", "1", "--checkpoint-export", export]);
        let deadline = Instant::now() + Duration::from_secs(20);
        while lines() < 1 {
            assert!(Instant::now() < deadline, "no checkpoint exported");
            std::thread::sleep(Duration::from_millis(100));
        }
        let keys: serde_json::Value =
            reqwest::blocking::get(format!("{}/api/v1/keys", server.base)).unwrap().json().unwrap();
        assert_eq!(keys[0]["alg"], "ed25519", "{keys}");
        assert_eq!(keys[0]["current"], true, "{keys}");
    }
    // The data directory and everything secret in it are the owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("keys")), 0o700);
        for f in ["yiwang.sqlite", "yiwang.sqlite-wal", "secret.key"] {
            if data.join(f).exists() {
                assert_eq!(mode(&data.join(f)), 0o600, "{f}");
            }
        }
        for k in std::fs::read_dir(data.join("keys")).unwrap().flatten() {
            if k.path().is_dir() {
                assert_eq!(mode(&k.path()), 0o700, "{:?}", k.file_name());
                for f in std::fs::read_dir(k.path()).unwrap().flatten() {
                    assert_eq!(mode(&f.path()), 0o600, "{:?}", f.path());
                }
            } else {
                assert_eq!(mode(&k.path()), 0o600, "{:?}", k.file_name());
            }
        }
    }
    // The demo's citizens are sealed at rest: the file holds no name or phone number.
    {
        let c = rusqlite::Connection::open(data.join("yiwang.sqlite")).unwrap();
        let (people, plain, sealed): (i64, i64, i64) = c
            .query_row(
                "SELECT count(*), count(*) FILTER (WHERE sealed_with IS NULL),
                        count(*) FILTER (WHERE phone GLOB '1[3-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]')
                 FROM person WHERE erased_at IS NULL",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert!(people > 50, "{people}");
        assert_eq!((plain, sealed), (0, 0), "no person in plaintext");
        let (code, said) = run(&["keys", "list"]);
        assert_eq!(code, Some(0), "{said}");
        assert!(said.lines().any(|l| l.contains("aes256gcm") && l.ends_with("current")), "{said}");
    }
    let first: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&witness).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(first["n"], 1);
    assert!(first["heads"].as_i64().unwrap() > 100, "the demo's cases: {first}");
    assert_eq!(verify(true).0, Some(0), "{}", verify(true).1);

    // A copy of the database as it is now, then more work, sealed and exported.
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for f in std::fs::read_dir(&data).unwrap().flatten() {
        if f.file_name().to_string_lossy().starts_with("yiwang.sqlite") {
            std::fs::copy(f.path(), copy.join(f.file_name())).unwrap();
        }
    }
    {
        let server = Server::start(&data, false);
        let r = reqwest::blocking::Client::new()
            .post(format!("{}/api/v1/appeals", server.base))
            .json(&serde_json::json!({"channel": "web", "appeal_type": "help", "text": "井盖丢失"}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let (code, said) = run(&["audit", "checkpoint", "--export", export]);
    assert_eq!(code, Some(0), "{said}");
    let n = lines();
    assert!(n >= 2, "{said}");
    let (code, said) = run(&["keys", "rotate"]);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(said.lines().filter(|l| l.contains("ed25519")).count(), 2, "{said}");
    let (code, said) = verify(true);
    assert_eq!(code, Some(0), "old checkpoints verify with the retired key: {said}");
    // The security log is kept its period: nothing of today is archived, and a period
    // shorter than the law's is refused.
    let archive = dir.path().join("security.jsonl");
    let (code, said) = run(&["audit", "archive", "--to", archive.to_str().unwrap()]);
    assert_eq!(
        (code, said.trim()),
        (
            Some(0),
            format!(
                "archived 0 security events of 0 checkpoints sealed more than 180 days ago to {}",
                archive.display()
            )
            .as_str()
        )
    );
    std::fs::write(data.join("security.toml"), "[audit]\nkeep_days = 30\n").unwrap();
    let out =
        bin().args(["audit", "archive", "--to", archive.to_str().unwrap(), "--data-dir"]).arg(&data).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("keep_days must be at least 180"), "{out:?}");
    std::fs::remove_file(data.join("security.toml")).unwrap();

    // The database put back to the copy: intact on its own, not against the witness.
    for f in std::fs::read_dir(&copy).unwrap().flatten() {
        std::fs::copy(f.path(), data.join(f.file_name())).unwrap();
    }
    let (code, said) = verify(false);
    assert_eq!(code, Some(0), "without a witness a rollback cannot be told: {said}");
    let (code, said) = verify(true);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains(&format!("BROKEN checkpoint {n} (exported at")) && said.contains("rolled back"), "{said}");
}

/// `erase-person` erases a citizen's data and deletes the photos of their cases.
#[test]
fn erase_person_deletes_the_citizens_photos() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let server = Server::start(dir.path(), true);
        let b = "EraseBoundary";
        let mut body = vec![];
        for (k, v) in [("appeal_type", "help"), ("text", "楼道灯坏了"), ("phone", "13812345678")] {
            body.extend_from_slice(
                format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\r\n");
        body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
        let r = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}/", server.base))
            .header("content-type", format!("multipart/form-data; boundary={b}"))
            .body(body)
            .send()
            .unwrap();
        assert_eq!(r.status(), 303);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        cookie.split('=').nth(1).unwrap().split('.').next().unwrap().to_owned()
    };
    let uploads = dir.path().join("uploads");
    assert_eq!(std::fs::read_dir(&uploads).unwrap().count(), 1, "the photo is stored");
    let db = rusqlite::Connection::open(dir.path().join("yiwang.sqlite")).unwrap();
    let person: i64 = db.query_row("SELECT person FROM case_header WHERE case_id = ?1", [&id], |r| r.get(0)).unwrap();
    drop(db);
    let out = bin()
        .args(["erase-person", "--data-dir"])
        .arg(dir.path())
        .args(["--id", &person.to_string()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("erased; 1 files removed"), "{said}");
    assert_eq!(std::fs::read_dir(&uploads).unwrap().count(), 0, "the photo went with the person");
}

#[test]
fn a_district_is_set_up_from_files_and_bad_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/demo");
    let out = bin()
        .args(["import", "--data-dir"])
        .arg(dir.path())
        .args(["--from", demo, "--default-password", "district-pass-1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("91 units"));

    let bad = tempfile::tempdir().unwrap();
    std::fs::write(bad.path().join("units.json"), r#"[{"code":"x","name":"X","kind":"grid","parent":"nowhere"}]"#)
        .unwrap();
    let out = bin().args(["import", "--data-dir"]).arg(dir.path()).arg("--from").arg(bad.path()).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Acknowledged appeals to wait for before the server is killed: enough that the kill
/// lands in the middle of a run, with commits in flight.
const ACKS_BEFORE_KILL: usize = 20;

/// How long `bench intake` runs, and so the longest the test waits for those
/// acknowledgements: it only guards against a hang (the server acknowledges hundreds
/// a second even in a debug build), it is not a rate to reach.
const CRASH_BENCH_SECONDS: u64 = 15;

/// The crash procedure of the README ("Crash check"), as a test: `bench intake`
/// against a real server, the server killed with SIGKILL mid-run, then every appeal
/// the bench saw acknowledged is found after a restart and the record verifies.
#[test]
fn kill_9_during_bench_intake_loses_no_acknowledged_appeal() {
    let dir = tempfile::tempdir().unwrap();
    let acks = dir.path().join("acked.tsv");
    let data = dir.path().join("data");
    let mut server = Server::start(&data, false);
    let mut bench = bin()
        .args(["bench", "intake", "--no-trivial", "--clients", "16", "--url", &server.base])
        .args(["--seconds", &CRASH_BENCH_SECONDS.to_string()])
        .arg("--ack-log")
        .arg(&acks)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = || std::fs::read_to_string(&acks).map(|s| s.lines().count()).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(CRASH_BENCH_SECONDS);
    while lines() < ACKS_BEFORE_KILL {
        if Instant::now() >= deadline {
            let _ = bench.kill();
            panic!("only {} acknowledged appeals logged after {CRASH_BENCH_SECONDS} s: a hang, or no ack log", lines());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    // The bench's clients now fail and retry until its time is up.
    let out = bench.wait_with_output().unwrap();
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "bench intake keeps going when its server dies: {summary}");
    let last = summary.lines().last().unwrap_or_default();
    assert!(figure(last, "errors") > 0.0, "the requests to the dead server were counted as errors: {summary}");

    let text = std::fs::read_to_string(&acks).unwrap();
    // Not empty, or the check below would pass without checking anything.
    assert!(text.lines().count() >= ACKS_BEFORE_KILL, "{} acknowledged appeals logged", text.lines().count());

    let (ok, report) = audit(&data);
    assert!(ok, "every event chain is valid after the crash: {report}");

    let server = Server::start(&data, false);
    assert_tracked(&server.base, text.lines(), "after the restart");
}

/// Runs `yiwang bench ARGS…`, expects success, and returns what it printed; its last
/// line holds the `key=value` figures.
fn bench(args: &[&str]) -> String {
    let out = bin().arg("bench").args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "bench {args:?}: {text}\n{}", String::from_utf8_lossy(&out.stderr));
    text
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or_default()
}

/// How many appeals `bench lifecycle` played through to closed: the `N` of its
/// "lifecycles: N closed in …" line. A count, not a rate: the test asks that the
/// bench works, not how fast.
fn closed_lifecycles(text: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix("lifecycles: ")?.split_once(" closed")?.0.parse().ok())
        .unwrap_or_else(|| panic!("no 'lifecycles: N closed' line in {text}"))
}

/// The figure `key` of a `key=value` line.
fn figure(line: &str, key: &str) -> f64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {line}"))
}

/// The benches a maintainer runs by hand keep working: a small `bench scale` loads,
/// measures in a fresh process and cleans up; `bench lifecycle` closes appeals.
#[test]
fn bench_scale_and_lifecycle_run_on_sqlite_and_print_their_figures() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("scale");
    let out = bench(&["scale", "--appeals", "3000", "--data-dir", data.to_str().unwrap()]);
    let line = last_line(&out);
    assert_eq!(figure(line, "appeals"), 3000.0, "{line}");
    assert!(figure(line, "events") >= 5.0 * 3000.0, "at least five events a case: {line}");
    for key in ["queue_p99_ms", "fts_p95_ms", "rates_ms", "dashboard_ms", "rss_mb"] {
        assert!(figure(line, key).is_finite(), "{key} measured: {line}");
    }
    assert!(!data.exists(), "the data directory is removed without --keep");

    let out = bench(&["lifecycle", "--clients", "4", "--seconds", "1"]);
    assert!(closed_lifecycles(&out) > 0, "appeals were played to closed: {out}");
    assert_eq!(figure(last_line(&out), "failed"), 0.0, "{out}");
}

/// The same on PostgreSQL (`YIWANG_TEST_DATABASE_URL`, which `scripts/test` sets): the
/// bulk import and the queries of the PostgreSQL store, through the binary.
#[test]
fn bench_scale_and_lifecycle_run_on_postgres() {
    let admin_url =
        std::env::var("YIWANG_TEST_DATABASE_URL").expect("set YIWANG_TEST_DATABASE_URL or run ./scripts/test");
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap();
    let (server, _) = admin_url.rsplit_once('/').expect("a postgres://…/database URL");
    // Each bench gets an empty database of its own.
    let names = ["scale", "lifecycle"].map(|b| format!("yiwang_bench_{b}_{}", std::process::id()));
    for name in &names {
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    }
    let [scale, lifecycle] = names.clone().map(|name| format!("{server}/{name}"));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("scale");
    let out = bench(&["scale", "--appeals", "2000", "--data-dir", data.to_str().unwrap(), "--database", &scale]);
    let out2 = bench(&["lifecycle", "--clients", "4", "--seconds", "1", "--database", &lifecycle]);
    let (line, line2) = (last_line(&out), last_line(&out2));
    for name in &names {
        admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).unwrap();
    }
    assert_eq!(figure(line, "appeals"), 2000.0, "{line}");
    for key in ["queue_p99_ms", "fts_p95_ms", "rates_ms", "dashboard_ms"] {
        assert!(figure(line, key).is_finite(), "{key} measured: {line}");
    }
    assert!(closed_lifecycles(&out2) > 0, "appeals were played to closed: {out2}");
    assert_eq!(figure(line2, "failed"), 0.0, "{out2}");
}

/// `bench lifecycle --kind application` plays service applications from 收件 to 评价
/// on SQLite and on PostgreSQL (`YIWANG_TEST_DATABASE_URL`), stops at `--count`, and
/// prints each step's figures. A count and the figures' presence, not a rate.
#[test]
fn bench_lifecycle_plays_service_applications_on_both_stores() {
    let done = |text: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix("applications: ")?.split_once(" done")?.0.parse().ok())
            .unwrap_or_else(|| panic!("no 'applications: N done' line in {text}"))
    };
    let out = bench(&["lifecycle", "--kind", "application", "--clients", "2", "--count", "6", "--seconds", "120"]);
    let line = last_line(&out);
    assert_eq!((done(&out), figure(line, "failed")), (6, 0.0), "{out}");
    for key in ["applications_per_s", "step1_p50_ms", "step5_p99_ms", "step7_p99_ms", "writer_cpu_us_per_application"] {
        assert!(figure(line, key).is_finite(), "{key} measured: {line}");
    }
    assert!(out.contains("收件 → 受理 → 审查 → 决定 → 制证 → 送达 → 评价"), "{out}");

    let admin_url =
        std::env::var("YIWANG_TEST_DATABASE_URL").expect("set YIWANG_TEST_DATABASE_URL or run ./scripts/test");
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap();
    let (server, _) = admin_url.rsplit_once('/').expect("a postgres://…/database URL");
    let name = format!("yiwang_bench_applications_{}", std::process::id());
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let url = format!("{server}/{name}");
    let out = bin()
        .args(["bench", "lifecycle", "--kind", "application", "--clients", "2", "--count", "4", "--database", &url])
        .output()
        .unwrap();
    admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!((done(&text), figure(last_line(&text), "failed")), (4, 0.0), "{text}");
}

#[test]
fn extract_targets_prints_value_unit_and_sentence_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("报告.txt");
    std::fs::write(&file, "新增城镇就业8千人，改造老旧小区二十个。\n新建充电桩1.1万个，失业率控制在3.8%以内。")
        .unwrap();
    let out = bin().arg("extract-targets").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Vec<String>> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| l.split('\t').map(str::to_owned).collect()).collect();
    let got: Vec<(&str, &str, &str)> = lines.iter().map(|l| (l[0].as_str(), l[1].as_str(), l[2].as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("8000", "人", "新增城镇就业8千人，改造老旧小区二十个。"),
            ("20", "个", "新增城镇就业8千人，改造老旧小区二十个。"),
            ("1.1", "万个", "新建充电桩1.1万个，失业率控制在3.8%以内。"),
            ("3.8", "%", "新建充电桩1.1万个，失业率控制在3.8%以内。"),
        ]
    );
    // What it cannot read is said, and the exit code says so.
    let doc = dir.path().join("报告.doc");
    std::fs::write(&doc, b"\xD0\xCF\x11\xE0").unwrap();
    let out = bin().arg("extract-targets").arg(&doc).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(".docx"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn eval_targets_reports_precision_and_recall_on_the_held_out_part() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/targets");
    let out = bin().args(["eval", "targets", "--data", data]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("split heldout: 22 documents"), "{said}");
    let figure = |name: &str| -> f64 {
        let at = said.find(&format!("{name}=")).unwrap_or_else(|| panic!("{name} in {said}")) + name.len() + 1;
        said[at..].split_whitespace().next().unwrap().parse().unwrap()
    };
    assert!(figure("recall") >= 0.90 && figure("precision") >= 0.85, "{said}");
    let out = bin().args(["eval", "targets", "--data", "/nonexistent"]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn eval_leaves_meets_the_leaf_and_unit_targets_on_the_labelled_set() {
    let labelled = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/dispatch/leaf_eval.csv");
    let out = bin().args(["eval", "leaves", "--labelled", labelled]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.starts_with("300 labelled messages (0 with a leaf the tree lacks"), "{said}");
    let figure = |line: &str, name: &str| -> f64 {
        let line = said.lines().find(|l| l.starts_with(line)).unwrap_or_else(|| panic!("{line} in {said}"));
        let at = line.find(&format!("{name}=")).unwrap() + name.len() + 1;
        line[at..].split_whitespace().next().unwrap().parse().unwrap()
    };
    // The issue's targets: the right leaf in the top 3 for 80 %, the right unit first
    // for 85 % (met with the district's corrected cases; the tree alone is at 84.7 %).
    assert!(figure("first-level model", "leaf_top3") >= 0.80, "{said}");
    assert!(figure("with corrected cases", "leaf_top3") >= 0.80, "{said}");
    assert!(figure("with corrected cases", "unit_first") >= 0.85, "{said}");
    let out = bin().args(["eval", "leaves", "--labelled", "/nonexistent.csv"]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn bench_targets_prints_its_figures() {
    let out = bin().args(["bench", "targets", "--chars", "3000", "--rounds", "2"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    let last = said.lines().last().unwrap();
    assert!(last.starts_with("chars=") && last.contains(" extract_p50_ms="), "{said}");
    let targets: u64 = last.split("targets=").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(targets > 50, "{said}");
}

/// `yiwang backup` while `bench intake` writes, then `yiwang restore` into a fresh
/// directory: every appeal acknowledged before the backup started is there, and the
/// record verifies. A damaged file and a directory in use are refused, writing nothing.
#[test]
fn a_backup_taken_under_load_restores_every_acknowledged_appeal() {
    let dir = tempfile::tempdir().unwrap();
    let acks = dir.path().join("acked.tsv");
    let data = dir.path().join("data");
    let server = Server::start(&data, false);
    let mut bench = bin()
        .args(["bench", "intake", "--no-trivial", "--clients", "8", "--seconds", "8", "--url", &server.base])
        .arg("--ack-log")
        .arg(&acks)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let read_acks = || std::fs::read_to_string(&acks).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(8);
    while read_acks().lines().count() < 30 {
        assert!(Instant::now() < deadline, "the bench acknowledged too little to test with");
        std::thread::sleep(Duration::from_millis(10));
    }
    // What was acknowledged before the backup started; the bench goes on meanwhile.
    let before: Vec<String> = read_acks().lines().map(str::to_owned).collect();
    let file = dir.path().join("yiwang.backup");
    let out = bin().args(["backup", "--data-dir"]).arg(&data).arg("--to").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("backed up"), "{}", String::from_utf8_lossy(&out.stdout));
    let after_backup = read_acks().lines().count();
    assert!(bench.wait().unwrap().success());
    assert!(
        read_acks().lines().count() > after_backup.min(before.len()),
        "the bench went on writing once the backup had started"
    );
    drop(server);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let restored = dir.path().join("restored");
    let out = bin().args(["restore", "--from"]).arg(&file).arg("--data-dir").arg(&restored).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("restored") && said.contains("0 broken") && said.contains("0 problems"), "{said}");
    let server = Server::start(&restored, false);
    assert_tracked(&server.base, before.iter().map(String::as_str), "in the copy restored from the backup");
    drop(server);

    // Into a directory in use: refused.
    let out = bin().args(["restore", "--from"]).arg(&file).arg("--data-dir").arg(&restored).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"), "{}", String::from_utf8_lossy(&out.stderr));
    // One byte changed in the middle of the database: refused, nothing written.
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    let broken = dir.path().join("broken.backup");
    std::fs::write(&broken, bytes).unwrap();
    let target = dir.path().join("from-broken");
    let out = bin().args(["restore", "--from"]).arg(&broken).arg("--data-dir").arg(&target).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("damaged") && err.contains("nothing was restored"), "{err}");
    assert!(!target.exists(), "nothing of a damaged backup is written");
    assert_eq!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".yiwang-restore-"))
            .count(),
        0,
        "no working files are left behind"
    );
}

/// SIGTERM while `bench intake` writes: the server finishes what is in flight, seals
/// a last checkpoint and exits 0; every acknowledged appeal is there after a restart,
/// the record verifies and nothing is left unsealed.
#[cfg(unix)]
#[test]
fn sigterm_during_bench_intake_stops_cleanly_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let acks = dir.path().join("acked.tsv");
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let mut server = Server::start_logged(&data, &[], &log);
    let base = server.base.clone();
    let bench = bin()
        .args(["bench", "intake", "--no-trivial", "--clients", "8", "--seconds", "6", "--url", &base])
        .arg("--ack-log")
        .arg(&acks)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = || std::fs::read_to_string(&acks).map(|s| s.lines().count()).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(6);
    while lines() < 20 {
        assert!(Instant::now() < deadline, "too few acknowledged appeals to test with");
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = Instant::now();
    let killed = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(sent.elapsed() < Duration::from_secs(20), "the server did not stop within 20 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "a SIGTERM stop exits 0: {status:?}");
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(said.contains("checkpoint sealed at shutdown") && said.contains("stopped"), "{said}");
    assert!(bench.wait_with_output().unwrap().status.success());

    let (ok, report) = audit(&data);
    assert!(ok, "{report}");
    assert!(report.contains("0 heads and 0 access-log entries written since the last one are not sealed"), "{report}");
    let text = std::fs::read_to_string(&acks).unwrap();
    let server = Server::start(&data, false);
    assert_tracked(&server.base, text.lines(), "after the stop");
}

/// Each line of an ack log (case id, tracking code, phone) can be followed on the
/// server at `base`: the appeal is there.
fn assert_tracked<'a>(base: &str, acked: impl IntoIterator<Item = &'a str>, when: &str) {
    let client = reqwest::blocking::Client::new();
    for line in acked {
        let [id, code, phone] = line.split('\t').collect::<Vec<_>>()[..] else { panic!("an ack log line: {line}") };
        let r = client
            .post(format!("{base}/api/v1/track"))
            .json(&serde_json::json!({"tracking_code": code, "phone": phone}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "acknowledged appeal {id} is there {when}");
        let v: serde_json::Value = r.json().unwrap();
        assert_eq!(v["case_id"].as_str(), Some(id));
    }
}

/// YIWANG_LOG_FORMAT=json: the log is one JSON object per line, and what is logged
/// while serving a request carries the request's id, which also comes back in the
/// response's `x-request-id`.
#[test]
fn json_logs_carry_the_request_id_that_the_response_returns() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start_logged(&dir.path().join("data"), &[("YIWANG_LOG_FORMAT", "json")], &log);
    let (base, client) = (server.base.clone(), reqwest::blocking::Client::new());
    // A refused Open311 key: a 403, which is logged.
    let r = client
        .post(format!("{base}/open311/v2/requests.json"))
        .header("x-request-id", "req-json-test-1")
        .form(&[("api_key", "not-a-key"), ("service_code", "x"), ("description", "路灯不亮")])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(r.headers()["x-request-id"], "req-json-test-1", "the id comes back");
    let r = client.get(format!("{base}/healthz")).send().unwrap();
    assert!(!r.headers()["x-request-id"].is_empty(), "a request without one is given one");
    std::thread::sleep(Duration::from_millis(300));
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    assert!(lines.iter().any(|l| l["fields"]["message"] == "yiwang is serving"), "{text}");
    let refused = lines.iter().find(|l| l["fields"]["message"] == "refused").unwrap_or_else(|| panic!("{text}"));
    assert_eq!(refused["span"]["id"], "req-json-test-1", "{refused}");
    assert_eq!(refused["span"]["path"], "/open311/v2/requests.json");
}

/// Opens a person's sealed field as an outsider holding the key file would, with
/// GCM over SM4 (not through yiwang): the key `keys/personal/sm4gcm-<id>.key`, the
/// stored value base64 (nonce, ciphertext, tag), bound to tenant, row and column.
fn open_sm4(data: &Path, key_id: &str, tenant: &str, person: i64, column: &str, sealed: &str) -> String {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use base64::Engine as _;
    type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;
    let key = std::fs::read_to_string(data.join(format!("keys/personal/sm4gcm-{key_id}.key"))).unwrap();
    let cipher = Sm4Gcm::new_from_slice(&hex::decode(key.trim()).unwrap()).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD.decode(sealed).unwrap();
    let aad = format!("yiwang/person/{tenant}/{person}/{column}");
    let plain = cipher
        .decrypt(aes_gcm::Nonce::from_slice(&bytes[..12]), Payload { msg: &bytes[12..], aad: aad.as_bytes() })
        .expect("the field opens with SM4-GCM and its key");
    String::from_utf8(plain).unwrap()
}

/// Files a web appeal with a citizen; its tracking code.
fn file_appeal(base: &str, text: &str, phone: &str) -> String {
    let r = reqwest::blocking::Client::new()
        .post(format!("{base}/api/v1/appeals"))
        .json(&serde_json::json!({
            "channel": "app", "appeal_type": "complaint", "text": text,
            "citizen": {"name": "王五", "phone": phone},
        }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().unwrap();
    v["tracking_code"].as_str().unwrap_or_else(|| panic!("{v}")).to_owned()
}

/// A person row as stored: id, the key it is sealed with, its sealed phone, tenant.
type SealedPerson = (i64, String, String, String);

/// Each event's algorithm, and each person as stored.
fn algs_and_people(data: &Path) -> (Vec<String>, Vec<SealedPerson>) {
    let c = rusqlite::Connection::open(data.join("yiwang.sqlite")).unwrap();
    let algs = c
        .prepare("SELECT alg FROM event ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let people = c
        .prepare("SELECT id, sealed_with, phone, tenant FROM person ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (algs, people)
}

fn run_in(data: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = bin().args(args).arg("--data-dir").arg(data).output().unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// `serve --crypto gm` on a fresh data directory: appeals filed over HTTP are
/// chained with SM3, the published key is SM2, a checkpoint is digested with SM3 and
/// signed with SM2, the citizens' data is sealed with SM4 and opens with its key, the
/// appeals can be followed, and `audit verify` passes. A later start without the flag
/// stays 国密, and asking for standard is refused.
#[test]
fn a_gm_installation_chains_with_sm3_signs_with_sm2_and_seals_with_sm4() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut codes = vec![];
    {
        let server = Server::start_with(&data, false, &["--crypto", "gm"]);
        for i in 0..3 {
            codes.push((file_appeal(&server.base, &format!("路灯不亮 {i}"), &format!("1380000000{i}")), i));
        }
        let keys: serde_json::Value =
            reqwest::blocking::get(format!("{}/api/v1/keys", server.base)).unwrap().json().unwrap();
        let keys = keys.as_array().unwrap();
        assert_eq!(keys.len(), 1, "{keys:?}");
        assert_eq!((keys[0]["alg"].as_str(), keys[0]["current"].as_bool()), (Some("sm2"), Some(true)));
        assert!(keys[0]["public_key"].as_str().unwrap().starts_with("04"), "{keys:?}");
    }
    assert_eq!(std::fs::read_to_string(data.join("crypto")).unwrap().trim(), "gm", "the choice is kept");
    let (algs, people) = algs_and_people(&data);
    assert!(!algs.is_empty() && algs.iter().all(|a| a == "sm3"), "{algs:?}");
    assert_eq!(people.len(), 3);
    let (_, said) = run_in(&data, &["keys", "list"]);
    let sm4_key =
        said.lines().find(|l| l.contains("\tsm4gcm\t") && l.ends_with("current")).unwrap_or_else(|| panic!("{said}"));
    let sm4_key = sm4_key.split('\t').next().unwrap();
    for (id, key, phone, tenant) in &people {
        assert_eq!(key, sm4_key);
        assert!(!phone.contains("13800"), "sealed: {phone}");
        assert!(open_sm4(&data, sm4_key, tenant, *id, "phone", phone).starts_with("1380000000"));
    }
    let (code, said) = run_in(&data, &["audit", "checkpoint"]);
    assert_eq!(code, Some(0), "{said}");
    let cp: serde_json::Value = serde_json::from_str(said.lines().next().unwrap()).unwrap();
    assert!(cp["digest"].as_str().unwrap().starts_with("sm3:"), "{cp}");
    assert_eq!(cp["signature"].as_str().unwrap().len(), 128, "{cp}");
    let (ok, report) = audit(&data);
    assert!(
        ok && report.contains("0 broken") && report.contains("1 checkpoints") && report.contains("0 problems"),
        "{report}"
    );

    // Restarted without the flag: still 国密; the appeals follow by code and phone.
    {
        let server = Server::start(&data, false);
        let acked: Vec<String> = codes.iter().map(|(c, i)| format!("-\t{c}\t1380000000{i}")).collect();
        for line in &acked {
            let [_, code, phone] = line.split('\t').collect::<Vec<_>>()[..] else { unreachable!() };
            let r = reqwest::blocking::Client::new()
                .post(format!("{}/api/v1/track", server.base))
                .json(&serde_json::json!({"tracking_code": code, "phone": phone}))
                .send()
                .unwrap();
            assert_eq!(r.status().as_u16(), 200, "{line}");
        }
        file_appeal(&server.base, "井盖丢失", "13900000000");
    }
    let (algs, _) = algs_and_people(&data);
    assert_eq!(algs.last().map(String::as_str), Some("sm3"), "a start without the flag stays 国密");
    let (code, said) = run_in(&data, &["audit", "verify", "--crypto", "standard"]);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("cannot switch back"), "{said}");
}

/// An installation that ran with the standard algorithms switched to 国密: the
/// chains go on with SM3 beside their SHA-256 events, the Ed25519-signed checkpoint
/// still verifies beside an SM2-signed one, the AES-sealed citizens are re-sealed with
/// SM4 while the server runs, and `audit verify` passes over all of it.
#[test]
fn a_standard_installation_switched_to_gm_keeps_verifying_and_reseals_its_citizens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let code = {
        let server = Server::start(&data, false);
        file_appeal(&server.base, "路灯不亮", "13800000001")
    };
    let (code0, said) = run_in(&data, &["audit", "checkpoint"]);
    assert_eq!(code0, Some(0), "{said}");
    assert!(!said.contains("sm3:"), "{said}");
    let (algs, people) = algs_and_people(&data);
    assert!(algs.iter().all(|a| a == "sha256"), "{algs:?}");
    let aes_key = people[0].1.clone();

    {
        let server = Server::start_with(&data, false, &["--crypto", "gm"]);
        file_appeal(&server.base, "井盖丢失", "13800000002");
        // The old citizen is re-sealed in the background: wait for it.
        let deadline = Instant::now() + Duration::from_secs(20);
        while algs_and_people(&data).1.iter().any(|p| p.1 == aes_key) {
            assert!(Instant::now() < deadline, "the AES-sealed row was not re-sealed");
            std::thread::sleep(Duration::from_millis(100));
        }
        let r = reqwest::blocking::Client::new()
            .post(format!("{}/api/v1/track", server.base))
            .json(&serde_json::json!({"tracking_code": code, "phone": "13800000001"}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "the phone digest kept its key");
        let keys: serde_json::Value =
            reqwest::blocking::get(format!("{}/api/v1/keys", server.base)).unwrap().json().unwrap();
        let algs: Vec<(&str, bool)> =
            keys.as_array().unwrap().iter().map(|k| (k["alg"].as_str().unwrap(), k["current"] == true)).collect();
        assert_eq!(algs.len(), 2, "{keys}");
        assert!(algs.contains(&("ed25519", false)) && algs.contains(&("sm2", true)), "{keys}");
    }
    let (code1, said) = run_in(&data, &["audit", "checkpoint"]);
    assert_eq!(code1, Some(0), "{said}");
    assert!(said.contains("\"digest\":\"sm3:"), "{said}");
    let (algs, people) = algs_and_people(&data);
    assert!(algs.contains(&"sha256".to_owned()) && algs.last().map(String::as_str) == Some("sm3"), "{algs:?}");
    let (_, said) = run_in(&data, &["keys", "list"]);
    let sm4_key =
        said.lines().find(|l| l.contains("\tsm4gcm\t") && l.ends_with("current")).unwrap_or_else(|| panic!("{said}"));
    let sm4_key = sm4_key.split('\t').next().unwrap();
    for (id, key, phone, tenant) in &people {
        assert_eq!(key, sm4_key);
        assert!(open_sm4(&data, sm4_key, tenant, *id, "phone", phone).starts_with("1380000000"));
    }
    let (ok, report) = audit(&data);
    assert!(
        ok && report.contains("0 broken") && report.contains("2 checkpoints") && report.contains("0 problems"),
        "{report}"
    );
}

/// `serve --crypto gm` on an empty PostgreSQL database: the events are chained with
/// SM3, the checkpoint digested with SM3 and signed with SM2, the citizens sealed
/// with SM4 (opened here with the key file), and `audit verify` passes.
#[test]
fn a_gm_installation_on_postgres_chains_with_sm3_and_seals_with_sm4() {
    let admin_url =
        std::env::var("YIWANG_TEST_DATABASE_URL").expect("set YIWANG_TEST_DATABASE_URL or run ./scripts/test");
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap();
    let (server, _) = admin_url.rsplit_once('/').expect("a postgres://…/database URL");
    let name = format!("yiwang_gm_{}", std::process::id());
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let url = format!("{server}/{name}");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let server = Server::start_with(&data, false, &["--crypto", "gm", "--database", &url]);
        file_appeal(&server.base, "路灯不亮", "13800000001");
        file_appeal(&server.base, "井盖丢失", "13800000002");
        let keys: serde_json::Value =
            reqwest::blocking::get(format!("{}/api/v1/keys", server.base)).unwrap().json().unwrap();
        assert_eq!(keys[0]["alg"], "sm2", "{keys}");
    }
    let (code, said) = run_in(&data, &["audit", "checkpoint", "--database", &url]);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("\"digest\":\"sm3:"), "{said}");
    let (code, report) = run_in(&data, &["audit", "verify", "--database", &url]);
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let algs: Vec<String> = db.query("SELECT alg FROM event", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    let people: Vec<SealedPerson> = db
        .query("SELECT id, sealed_with, phone, tenant FROM person ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    drop(db);
    admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).unwrap();
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("0 broken") && report.contains("0 problems"), "{report}");
    assert!(!algs.is_empty() && algs.iter().all(|a| a == "sm3"), "{algs:?}");
    assert_eq!(people.len(), 2);
    for (id, key, phone, tenant) in &people {
        assert!(data.join(format!("keys/personal/sm4gcm-{key}.key")).exists(), "{key}");
        assert!(open_sm4(&data, key, tenant, *id, "phone", phone).starts_with("1380000000"));
    }
}

mod cluster;
mod failover;
mod pitr;
mod replica;
mod tls;
