//! `/metrics` from a real server, read by two real Prometheus parsers: Debian's
//! `python3-prometheus-client` (`prometheus_client.parser`), run by `/usr/bin/python3`
//! or `YIWANG_TEST_PYTHON`, which gives the values checked; and Prometheus' own
//! `promtool check metrics` (`YIWANG_TEST_PROMTOOL`, else `promtool` on the path),
//! which also holds the text to Prometheus' naming rules. `scripts/test` provides
//! both; without either the tests fail.

use super::{Server, free_port};
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

/// One sample as the parser read it: name, labels, value.
type Sample = (String, HashMap<String, String>, f64);

/// Parses `text` with `prometheus_client.parser.text_string_to_metric_families` and
/// gives every sample back; panics when the parser refuses the text or is missing.
fn parse_with_prometheus_client(text: &str) -> Vec<Sample> {
    const SCRIPT: &str = "import json, sys\n\
        from prometheus_client.parser import text_string_to_metric_families\n\
        out = []\n\
        for f in text_string_to_metric_families(sys.stdin.read()):\n\
        \x20   for s in f.samples:\n\
        \x20       out.append([s.name, s.labels, s.value])\n\
        print(json.dumps(out))\n";
    let python = std::env::var("YIWANG_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let mut child = std::process::Command::new(&python)
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e} (scripts/test installs python3-prometheus-client)"));
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refused the text or is missing (apt-get install python3-prometheus-client): {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let samples: Vec<(String, HashMap<String, String>, serde_json::Value)> =
        serde_json::from_slice(&out.stdout).unwrap();
    samples.into_iter().map(|(n, l, v)| (n, l, v.as_f64().unwrap_or(f64::NAN))).collect()
}

/// `promtool check metrics` on `text`: it must parse, with no problem found by
/// Prometheus' lint (names, suffixes, help texts).
fn check_with_promtool(text: &str) {
    let promtool = std::env::var("YIWANG_TEST_PROMTOOL").unwrap_or_else(|_| "promtool".into());
    let mut child = std::process::Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{promtool}: {e} (scripts/test unpacks it from Debian's prometheus package)"));
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The value of the one sample named `name` with (at least) `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
        .collect();
    assert_eq!(found.len(), 1, "one sample {name}{labels:?}, found {found:?}");
    found[0].2
}

fn appeal(i: u32) -> serde_json::Value {
    serde_json::json!({
        "channel": "app",
        "appeal_type": "complaint",
        "title": format!("路灯不亮 {i}"),
        "text": "小区门口的路灯坏了一周，晚上很黑，请尽快修理。",
        "citizen": {"name": "测试", "phone": format!("139{i:08}")},
    })
}

const TOKEN: &str = "metrics-test-token-0123456789abcdef";

#[test]
fn metrics_count_requests_by_route_logins_and_the_store_and_parse_as_prometheus_text() {
    let dir = tempfile::tempdir().unwrap();
    scrape_after_requests(&dir.path().join("data"), None);

    // Neither setting: no /metrics on the main address.
    let plain = Server::start(&dir.path().join("data"), false);
    let r = reqwest::blocking::get(format!("{}/metrics", plain.base)).unwrap();
    assert_eq!(r.status().as_u16(), 404, "no /metrics without --metrics-token or --metrics-listen");
    let r = reqwest::blocking::Client::new().get(format!("{}/metrics", plain.base)).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(r.status().as_u16(), 404, "nor with a token it was not given");
}

/// The same on PostgreSQL: its writer's batches and commits, its database's size.
#[test]
fn metrics_on_postgres_count_its_writer_and_its_database() {
    let admin_url =
        std::env::var("YIWANG_TEST_DATABASE_URL").expect("set YIWANG_TEST_DATABASE_URL or run ./scripts/test");
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap();
    let (server, _) = admin_url.rsplit_once('/').expect("a postgres://…/database URL");
    let name = format!("yiwang_metrics_{}", std::process::id());
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{server}/{name}");
    let outcome = std::panic::catch_unwind(|| scrape_after_requests(&dir.path().join("data"), Some(&url)));
    admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e);
    }
}

/// Starts a server (on SQLite, or on the PostgreSQL database `database`) with both
/// metrics settings, files appeals, fails logins until the account is locked, and
/// checks what `/metrics` says on either address.
fn scrape_after_requests(data: &std::path::Path, database: Option<&str>) {
    let metrics_port = free_port();
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let mut args = vec!["--metrics-listen", &metrics_addr, "--metrics-token", TOKEN, "--tick-seconds", "1"];
    if let Some(url) = database {
        args.extend(["--database", url]);
    }
    let server = Server::start_with(data, false, &args);
    let (base, client) = (server.base.clone(), reqwest::blocking::Client::new());

    const APPEALS: u32 = 7;
    let mut ids = vec![];
    for i in 0..APPEALS {
        let r = client.post(format!("{base}/api/v1/appeals")).json(&appeal(i)).send().unwrap();
        assert_eq!(r.status().as_u16(), 201, "intake");
        let v: serde_json::Value = r.json().unwrap();
        ids.push(v["case_id"].as_str().unwrap().to_owned());
    }
    // A concrete case id in the path: counted under its route's template.
    let r = client.get(format!("{base}/api/v1/appeals/{}", ids[0])).send().unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // Five failures lock the account from this address; the sixth try is refused.
    for _ in 0..6 {
        let r = client
            .post(format!("{base}/api/v1/login"))
            .json(&serde_json::json!({"username": "nobody", "password": "wrong-password"}))
            .send()
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
    }

    // The token on the main address: nothing, a wrong one, another scheme → 401.
    let metrics = format!("{base}/metrics");
    let r = client.get(&metrics).send().unwrap();
    assert_eq!(r.status().as_u16(), 401, "no token");
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = client.get(&metrics).bearer_auth("metrics-test-token-0123456789abcdeF").send().unwrap();
    assert_eq!(r.status().as_u16(), 401, "a wrong token");
    let r = client.get(&metrics).header("authorization", format!("Basic {TOKEN}")).send().unwrap();
    assert_eq!(r.status().as_u16(), 401, "the token under another scheme");
    let r = client.get(&metrics).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(r.status().as_u16(), 200, "the token");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let with_token = r.text().unwrap();

    // The scheduler ticks every second: wait for one past start.
    std::thread::sleep(Duration::from_millis(1500));
    // The address of its own, without a token.
    let r = client.get(format!("http://{metrics_addr}/metrics")).send().unwrap();
    assert_eq!(r.status().as_u16(), 200, "the metrics address needs no token");
    let text = r.text().unwrap();
    let r = client.get(format!("http://{metrics_addr}/api/v1/appeals/{}", ids[0])).send().unwrap();
    assert_eq!(r.status().as_u16(), 404, "the metrics address serves nothing else");

    for text in [&with_token, &text] {
        check_with_promtool(text);
        let s = parse_with_prometheus_client(text);
        let intake = [("route", "/api/v1/appeals"), ("method", "POST"), ("status", "201")];
        assert!(value(&s, "yiwang_http_requests_total", &intake) >= f64::from(APPEALS));
        assert!(value(&s, "yiwang_http_request_duration_seconds_count", &intake) >= f64::from(APPEALS));
        let le_inf = [intake.as_slice(), &[("le", "+Inf")]].concat();
        assert_eq!(
            value(&s, "yiwang_http_request_duration_seconds_bucket", &le_inf),
            value(&s, "yiwang_http_request_duration_seconds_count", &intake)
        );
        assert!(value(&s, "yiwang_http_request_duration_seconds_sum", &intake) > 0.0);
        let by_id = [("route", "/api/v1/appeals/{id}"), ("method", "GET"), ("status", "401")];
        assert!(value(&s, "yiwang_http_requests_total", &by_id) >= 1.0);
        // Bounded labels: no path a client sent is a label value.
        for (name, labels, _) in &s {
            assert!(!labels.values().any(|v| v.contains(&ids[0])), "{name}{labels:?} carries a case id");
        }
        // Six tries: five failures, the fifth locks the account, the sixth is refused.
        assert_eq!(value(&s, "yiwang_logins_total", &[("outcome", "failure")]), 5.0);
        assert_eq!(value(&s, "yiwang_logins_total", &[("outcome", "locked")]), 1.0);
        assert_eq!(value(&s, "yiwang_logins_total", &[("outcome", "success")]), 0.0);
        assert_eq!(value(&s, "yiwang_lockouts_total", &[]), 1.0);
        assert_eq!(value(&s, "yiwang_http_shed_total", &[("reason", "overloaded")]), 0.0);
        // The writer: every intake was in some batch, each committed and synced.
        assert!(value(&s, "yiwang_store_batch_size_sum", &[]) >= f64::from(APPEALS));
        let batches = value(&s, "yiwang_store_batch_size_count", &[]);
        assert!(batches >= 1.0);
        assert!(value(&s, "yiwang_store_commit_seconds_count", &[]) >= 1.0);
        let fsyncs = value(&s, "yiwang_store_fsync_seconds_count", &[]);
        if database.is_none() {
            assert!(fsyncs >= 1.0, "SQLite's syncer");
        } else {
            assert_eq!(fsyncs, 0.0, "PostgreSQL's COMMIT is durable itself");
        }
        assert_eq!(value(&s, "yiwang_store_write_queue_depth", &[]), 0.0, "every write was answered");
        // The case projection: seven open appeals, none late; the other kinds are there.
        assert_eq!(value(&s, "yiwang_cases_open", &[("kind", "appeal")]), f64::from(APPEALS));
        assert_eq!(value(&s, "yiwang_cases_yellow", &[("kind", "appeal")]), 0.0);
        assert_eq!(value(&s, "yiwang_cases_red", &[("kind", "appeal")]), 0.0);
        assert_eq!(value(&s, "yiwang_cases_open", &[("kind", "task")]), 0.0);
        assert!(value(&s, "yiwang_database_size_bytes", &[]) > 4096.0);
        // PostgreSQL lists its WAL to superusers and pg_monitor only (the test's
        // role may be neither: CREATEDB is all the tests need).
        let wal = s.iter().find(|(n, _, _)| n == "yiwang_database_wal_size_bytes").map(|x| x.2);
        if database.is_none() {
            assert!(wal.is_some_and(|w| w > 0.0), "the -wal file: {wal:?}");
        } else if let Some(w) = wal {
            assert!(w > 0.0, "the WAL directory");
        }
    }
    let s = parse_with_prometheus_client(&text);
    let lag = value(&s, "yiwang_scheduler_lag_seconds", &[]);
    assert!((0.0..5.0).contains(&lag), "ticks every second: lag {lag}");
    assert!(value(&s, "yiwang_scheduler_tick_seconds_count", &[]) >= 1.0);
}

/// The rate limit and the lock-out are counted apart: guesses past the limit are
/// shed (429) before they reach the lock-out.
#[test]
fn guesses_past_the_rate_limit_are_counted_as_shed() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        Server::start_with(&dir.path().join("data"), false, &["--metrics-token", TOKEN, "--guesses-per-minute", "2"]);
    let client = reqwest::blocking::Client::new();
    let mut limited = 0;
    for _ in 0..5 {
        let r = client
            .post(format!("{}/api/v1/login", server.base))
            .json(&serde_json::json!({"username": "nobody", "password": "wrong-password"}))
            .send()
            .unwrap();
        limited += u32::from(r.status().as_u16() == 429);
    }
    assert_eq!(limited, 3);
    let text = client.get(format!("{}/metrics", server.base)).bearer_auth(TOKEN).send().unwrap().text().unwrap();
    check_with_promtool(&text);
    let s = parse_with_prometheus_client(&text);
    assert_eq!(value(&s, "yiwang_http_shed_total", &[("reason", "rate_limited")]), 3.0);
    assert_eq!(value(&s, "yiwang_logins_total", &[("outcome", "failure")]), 2.0);
    let login = [("route", "/api/v1/login"), ("method", "POST"), ("status", "429")];
    assert_eq!(value(&s, "yiwang_http_requests_total", &login), 3.0);
}

#[test]
fn a_short_metrics_token_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr");
    let mut child = super::bin()
        .args(["serve", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["--listen", &format!("127.0.0.1:{}", free_port()), "--metrics-token", "guessable"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // A server that started anyway would serve forever: give it 30 s to exit.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server started with a 9-character metrics token");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(err.contains("--metrics-token must be at least 16 characters"), "{err}");
}
