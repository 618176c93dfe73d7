//! The event stream against a real `nats-server -js` (`YIWANG_TEST_NATS_URL`, which
//! `scripts/test` starts when none is given; without it these tests fail), read back
//! with a real client (async-nats): the real `yiwang serve` is killed with SIGKILL in
//! the middle of `bench intake`, restarted, and the stream then holds exactly the
//! committed events, each once.

use crate::{Server, bin};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn nats_url() -> String {
    std::env::var("YIWANG_TEST_NATS_URL").expect("set YIWANG_TEST_NATS_URL (a nats-server -js) or run ./scripts/test")
}

/// A stream and subjects of the test's own, on the shared server.
pub(crate) fn names(test: &str) -> (String, String) {
    let tag = format!("{test}{}", std::process::id());
    (format!("YWT_{tag}"), format!("ywt{tag}"))
}

pub(crate) fn write_config(data: &Path, stream: &str, prefix: &str) {
    std::fs::create_dir_all(data).unwrap();
    let text = format!(
        "[stream]\nnats_url = \"{}\"\nstream = \"{stream}\"\nsubject_prefix = \"{prefix}\"\nsource = \"/yiwang/test\"\n",
        nats_url()
    );
    std::fs::write(data.join("stream.toml"), text).unwrap();
}

/// Every event the database holds, by its CloudEvents id.
fn committed(data: &Path) -> BTreeSet<String> {
    let db = rusqlite::Connection::open(data.join("yiwang.sqlite")).unwrap();
    let mut q = db.prepare("SELECT case_id, seq FROM event").unwrap();
    q.query_map([], |r| Ok(format!("{}/{}", r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// The stream's messages as (sequence, Nats-Msg-Id, CloudEvent), read from the
/// first; with `from`, what a consumer starting at that sequence reads.
pub(crate) async fn read_stream(stream: &str, from: u64) -> Vec<(u64, String, serde_json::Value)> {
    use async_nats::jetstream::consumer::{DeliverPolicy, pull};
    use futures_util::StreamExt;
    let client = async_nats::connect(nats_url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut s = js.get_stream(stream).await.unwrap();
    let last = s.info().await.unwrap().state.last_sequence;
    if last < from {
        return vec![];
    }
    let consumer = s
        .create_consumer(pull::OrderedConfig {
            deliver_policy: DeliverPolicy::ByStartSequence { start_sequence: from },
            ..Default::default()
        })
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut out = vec![];
    while let Some(m) = messages.next().await {
        let m = m.unwrap();
        let seq = m.info().unwrap().stream_sequence;
        let id = m.headers.as_ref().and_then(|h| h.get("Nats-Msg-Id")).map(|v| v.to_string()).unwrap_or_default();
        out.push((seq, id, serde_json::from_slice(&m.payload).unwrap()));
        if seq >= last {
            break;
        }
    }
    out
}

/// How many messages the stream holds (none before the relay makes it).
async fn messages(stream: &str) -> u64 {
    let client = async_nats::connect(nats_url()).await.unwrap();
    match async_nats::jetstream::new(client).get_stream(stream).await {
        Ok(mut s) => s.info().await.map(|i| i.state.messages).unwrap_or(0),
        Err(_) => 0,
    }
}

pub(crate) async fn delete_stream(stream: &str) {
    let client = async_nats::connect(nats_url()).await.unwrap();
    let _ = async_nats::jetstream::new(client).delete_stream(stream).await;
}

#[test]
fn after_kill_9_the_stream_holds_exactly_the_committed_events() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (stream, prefix) = names("kill");
    rt.block_on(delete_stream(&stream));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_config(&data, &stream, &prefix);
    let acks = dir.path().join("acked.tsv");
    let mut server = Server::start(&data, false);
    let mut bench = bin()
        .args(["bench", "intake", "--no-trivial", "--clients", "8", "--url", &server.base, "--seconds", "8"])
        .arg("--ack-log")
        .arg(&acks)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let lines = || std::fs::read_to_string(&acks).map(|s| s.lines().count()).unwrap_or(0);
    // Mid-stream: appeals are coming in, and the relay is publishing them.
    let deadline = Instant::now() + Duration::from_secs(8);
    while (lines() < 40 || rt.block_on(messages(&stream)) < 10) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(lines() >= 40, "only {} appeals acknowledged", lines());
    assert!(rt.block_on(messages(&stream)) >= 10, "the relay published nothing while intake ran");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    bench.wait().unwrap();
    let before_restart = rt.block_on(messages(&stream));

    let all = committed(&data);
    assert!(all.len() >= 40, "{} events committed", all.len());
    let server = Server::start(&data, false);
    // The relay publishes what was left; wait for it (a guard against a hang only).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = rt.block_on(read_stream(&stream, 1));
    while got.iter().map(|(_, id, _)| id.clone()).collect::<BTreeSet<_>>() != all {
        assert!(Instant::now() < deadline, "{} of {} events in the stream after the restart", got.len(), all.len());
        std::thread::sleep(Duration::from_millis(200));
        got = rt.block_on(read_stream(&stream, 1));
    }
    drop(server);
    eprintln!("{before_restart} messages in the stream at the kill, {} events committed", all.len());

    // Exactly the committed events: none missing, none that did not commit, and
    // each once (a republished one was dropped by its Nats-Msg-Id).
    let ids: BTreeSet<String> = got.iter().map(|(_, id, _)| id.clone()).collect();
    assert_eq!(ids, all);
    assert_eq!(got.len(), all.len(), "no event twice");
    let mut per_case: BTreeMap<String, u32> = BTreeMap::new();
    for (_, id, e) in &got {
        // A CloudEvent 1.0 whose id is the message id.
        assert_eq!(e["specversion"], "1.0");
        assert_eq!(e["id"], id.as_str());
        assert_eq!(e["source"], "/yiwang/test");
        assert!(e["type"].as_str().unwrap().starts_with("cn.yiwang.appeal."), "{e}");
        assert_eq!(e["datacontenttype"], "application/json");
        assert_eq!(e["subject"], e["data"]["case_id"]);
        assert!(e["time"].as_str().is_some());
        // A case's events in their order.
        let (case, seq) = id.rsplit_once('/').unwrap();
        let seq: u32 = seq.parse().unwrap();
        let last = per_case.insert(case.to_owned(), seq).unwrap_or(0);
        assert!(seq > last, "{id} after {case}/{last}");
    }
    // No personal data: bench intake's callers leave phone numbers.
    assert!(got.iter().all(|(_, _, e)| !e.to_string().contains("\"phone\"")));

    // A consumer replays from any position.
    let mid = got[got.len() / 2].0;
    let tail = rt.block_on(read_stream(&stream, mid));
    assert_eq!(tail.first().map(|t| t.0), Some(mid));
    assert_eq!(tail.len(), got.len() - got.len() / 2);
    rt.block_on(delete_stream(&stream));
}

/// `bench intake --webhook --stream` keeps working: both feeds get every appeal
/// acknowledged while they were on (one event each), and their figures are printed.
/// A count, not a rate: the rates are the bench's to print.
#[test]
fn bench_intake_with_both_feeds_prints_their_figures() {
    let url = nats_url();
    let out =
        crate::bench(&["intake", "--seconds", "1", "--clients", "4", "--no-trivial", "--webhook", "--stream", &url]);
    let acked: f64 = out
        .lines()
        .find_map(|l| l.strip_prefix("intake: ")?.split_once(" acknowledged with")?.0.rsplit_once("; ")?.1.parse().ok())
        .unwrap_or_else(|| panic!("no 'intake: …; N acknowledged with' line in {out}"));
    assert!(acked > 0.0, "{out}");
    let line = crate::last_line(&out);
    assert_eq!(crate::figure(line, "webhook_events"), acked, "{out}");
    assert_eq!(crate::figure(line, "jetstream_events"), acked, "{out}");
    for key in ["webhook_p99_ms", "jetstream_p99_ms", "feeds_cost_pct"] {
        assert!(crate::figure(line, key).is_finite(), "{key}: {line}");
    }
}
