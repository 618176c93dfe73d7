//! `bench intake --webhook --stream URL`: the live feeds under intake load. A webhook
//! receiver on loopback (the hotline centre's subscription: every new appeal) and a
//! JetStream consumer on the bench's own stream; each records, per event, the time
//! from its commit (the event's own time, in its body) to its receipt.

use crate::bench::pct;
use anyhow::{Context, Result};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use yiwang_app::App;
use yiwang_store::Store;

/// What one feed received: each event's latency (µs) and when the last came.
#[derive(Default)]
struct Received {
    latencies_us: Vec<u64>,
    last: Option<Instant>,
}

type Shared = Arc<Mutex<Received>>;

fn record(r: &Shared, time: Option<&str>) {
    let Some(t) = time.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else { return };
    let us = (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_microseconds().unwrap_or(0).max(0) as u64;
    let mut g = r.lock().unwrap_or_else(|p| p.into_inner());
    g.latencies_us.push(us);
    g.last = Some(Instant::now());
}

/// How long `finish` waits for the feeds after intake stops.
const CATCH_UP: Duration = Duration::from_secs(60);

pub struct Feeds {
    started: Instant,
    webhook: Option<Shared>,
    stream: Option<(Shared, crate::stream::StreamConfig)>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Feeds {
    /// Subscribes the receiver and/or starts the relay and a consumer, and switches
    /// the app's feeds on.
    pub async fn start(
        app: Arc<App>,
        store: Arc<dyn Store>,
        stream: Option<crate::stream::StreamConfig>,
        webhook: bool,
    ) -> Result<Feeds> {
        let mut feeds = Feeds { started: Instant::now(), webhook: None, stream: None, tasks: vec![] };
        if webhook {
            let got: Shared = Default::default();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let url = format!("http://{}/events", listener.local_addr()?);
            feeds.tasks.push(tokio::spawn(receive(listener, got.clone())));
            let a = app.clone();
            tokio::task::spawn_blocking(move || {
                let centre = yiwang_core::org::Actor::Staff {
                    username: yiwang_core::id::Username::parse("bench").expect("a username"),
                    unit: yiwang_core::id::UnitCode::parse("centre").expect("a unit code"),
                    unit_kind: yiwang_core::org::UnitKind::Centre,
                    roles: vec![],
                };
                let input = yiwang_app::webhook::WebhookInput { url, unit: "centre".into(), ..Default::default() };
                a.add_webhook(&centre, &input)
            })
            .await?
            .map_err(|e| anyhow::anyhow!("subscribing the bench's receiver: {e}"))?;
            // Delivery as `serve` runs it: a pass at once while there is work.
            let a = app.clone();
            feeds.tasks.push(tokio::spawn(async move {
                loop {
                    let a = a.clone();
                    match tokio::task::spawn_blocking(move || a.deliver_webhooks(100)).await {
                        Ok(Ok(r)) if r.delivered + r.retrying > 0 => {}
                        _ => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            }));
            feeds.webhook = Some(got);
        }
        if let Some(config) = stream {
            // The stream made before the consumer reads it.
            drop(crate::stream::Publisher::connect(config.clone()).await?);
            let got: Shared = Default::default();
            feeds.tasks.push(tokio::spawn(consume(config.clone(), got.clone())));
            feeds.tasks.push(tokio::spawn(crate::stream::run(store, config.clone(), Duration::from_millis(20))));
            app.set_stream(true);
            feeds.stream = Some((got, config));
        }
        feeds.started = Instant::now();
        Ok(feeds)
    }

    /// Waits for the feeds to catch up (until nothing new came for 2 s, or for at most
    /// `CATCH_UP` after intake stopped: a feed slower than intake would otherwise keep
    /// the bench waiting for its whole backlog), prints their figures and returns them
    /// as `key=value` pairs. What had not arrived by then is printed as left behind.
    pub async fn finish(self, acked: u64, rate: f64, without: Option<f64>) -> Result<String> {
        let count = |r: &Shared| r.lock().unwrap_or_else(|p| p.into_inner()).latencies_us.len();
        let total = || self.webhook.iter().chain(self.stream.iter().map(|(r, _)| r)).map(count).sum::<usize>();
        let mut seen = total();
        let mut quiet = Instant::now();
        let waited = Instant::now();
        while quiet.elapsed() < Duration::from_secs(2) && waited.elapsed() < CATCH_UP {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = total();
            if now != seen {
                (seen, quiet) = (now, Instant::now());
            }
        }
        let mut figures = String::new();
        let mut report = |name: &str, r: &Shared| {
            let mut g = r.lock().unwrap_or_else(|p| p.into_inner());
            g.latencies_us.sort_unstable();
            let n = g.latencies_us.len();
            let secs = g.last.map(|l| (l - self.started).as_secs_f64()).unwrap_or(0.0).max(1e-3);
            let (p50, p99) = (pct(&g.latencies_us, 0.5), pct(&g.latencies_us, 0.99));
            println!(
                "{name}: {n} events received in {secs:.1} s = {:.0}/s; commit to receipt p50 {p50:.2} ms, p99 {p99:.2} ms{}",
                n as f64 / secs,
                if quiet.elapsed() < Duration::from_secs(2) {
                    format!(" (still arriving {} s after intake stopped: a backlog)", CATCH_UP.as_secs())
                } else {
                    String::new()
                }
            );
            figures += &format!(
                " {name}_events={n} {name}_per_s={:.0} {name}_p50_ms={p50:.2} {name}_p99_ms={p99:.2}",
                n as f64 / secs
            );
        };
        if let Some(w) = &self.webhook {
            report("webhook", w);
        }
        if let Some((s, _)) = &self.stream {
            report("jetstream", s);
        }
        if let Some(b) = without {
            let cost = (b - rate) / b.max(1.0) * 100.0;
            println!(
                "intake: {b:.0} appeals/s without feeds, {rate:.0}/s with ({cost:.1}% fewer); {acked} acknowledged with"
            );
            figures += &format!(" without_feeds_per_s={b:.0} feeds_cost_pct={cost:.1}");
        }
        for t in &self.tasks {
            t.abort();
        }
        if let Some((_, config)) = &self.stream {
            let client = async_nats::connect(&config.nats_url).await.context("NATS")?;
            let _ = async_nats::jetstream::new(client).delete_stream(&config.stream).await;
        }
        Ok(figures)
    }
}

/// The webhook receiver: keep-alive HTTP/1.1, 204 to every POST.
async fn receive(listener: tokio::net::TcpListener, got: Shared) {
    while let Ok((conn, _)) = listener.accept().await {
        let got = got.clone();
        tokio::spawn(async move {
            let mut conn = BufReader::new(conn);
            loop {
                let mut length = 0usize;
                let mut line = String::new();
                loop {
                    line.clear();
                    if conn.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if conn.read_exact(&mut body).await.is_err() {
                    return;
                }
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                record(&got, v["timestamp"].as_str());
                if conn.get_mut().write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await.is_err() {
                    return;
                }
            }
        });
    }
}

/// A JetStream consumer of the whole stream.
async fn consume(config: crate::stream::StreamConfig, got: Shared) {
    use async_nats::jetstream::consumer::pull;
    use futures_util::StreamExt;
    let run = async {
        let client = async_nats::connect(&config.nats_url).await?;
        let js = async_nats::jetstream::new(client);
        let stream = js.get_stream(&config.stream).await?;
        let consumer = stream.create_consumer(pull::OrderedConfig::default()).await?;
        let mut messages = consumer.messages().await?;
        while let Some(m) = messages.next().await {
            let m = m?;
            let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap_or_default();
            record(&got, v["time"].as_str());
        }
        anyhow::Ok(())
    };
    if let Err(e) = run.await {
        tracing::error!("bench: the JetStream consumer: {e:#}");
    }
}
