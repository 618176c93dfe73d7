//! The event stream (实时推送, issue 16): every committed event published as a
//! CloudEvent (JSON) to a NATS JetStream stream, which a city's other systems read
//! with any NATS client, from any position (a stream with limits retention).
//!
//! The relay reads the outbox's stream lane (`Lane::Stream`: one entry per write,
//! written in the write's own commit by `yiwang_app::feed`), publishes each event with
//! `Nats-Msg-Id` = its CloudEvents id (`<case>/<seq>`), waits for JetStream's acks,
//! and only then marks the entry sent. After a `kill -9` the entries not yet marked
//! are published again; JetStream drops those it has within its duplicate window
//! (`duplicate_window_seconds`). An event that did not commit has no entry, and is
//! never published.

use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Duration;
use yiwang_store::{Lane, OutboxEntry, Store};

/// `stream.toml` in the data directory, section `[stream]`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamConfig {
    /// The NATS server, e.g. `nats://127.0.0.1:4222`.
    pub nats_url: String,
    /// Events go to `<prefix>.<kind>.<event>` (`yiwang.appeal.dispatched`).
    #[serde(default = "default_prefix")]
    pub subject_prefix: String,
    /// The JetStream stream, made when missing (subjects `<prefix>.>`).
    #[serde(default = "default_stream")]
    pub stream: String,
    /// The CloudEvents `source` (a URI reference naming this installation).
    #[serde(default = "default_source")]
    pub source: String,
    /// JetStream's de-duplication window for a stream made here: a republished event
    /// within it is dropped.
    #[serde(default = "default_window")]
    pub duplicate_window_seconds: u64,
    /// How long a stream made here keeps messages (0: for good).
    #[serde(default)]
    pub max_age_days: u64,
}

fn default_prefix() -> String {
    "yiwang".into()
}
fn default_stream() -> String {
    "YIWANG".into()
}
fn default_source() -> String {
    "/yiwang".into()
}
fn default_window() -> u64 {
    // Longer than a restart takes.
    600
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    stream: StreamConfig,
}

impl StreamConfig {
    pub fn parse_toml(text: &str) -> std::result::Result<Self, String> {
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let c = f.stream;
        let token = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !c.subject_prefix.split('.').all(token) {
            return Err(format!("stream.subject_prefix {:?} is not a NATS subject", c.subject_prefix));
        }
        if !token(&c.stream) {
            return Err(format!("stream.stream {:?} is not a stream name", c.stream));
        }
        Ok(c)
    }
}

/// A connection to the stream.
pub struct Publisher {
    js: async_nats::jetstream::Context,
    config: StreamConfig,
}

impl Publisher {
    /// Connects and makes the stream when missing.
    pub async fn connect(config: StreamConfig) -> Result<Publisher> {
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect(&config.nats_url)
            .await
            .with_context(|| format!("connecting to NATS at {}", config.nats_url))?;
        let js = async_nats::jetstream::new(client);
        js.get_or_create_stream(async_nats::jetstream::stream::Config {
            name: config.stream.clone(),
            subjects: vec![format!("{}.>", config.subject_prefix)],
            retention: async_nats::jetstream::stream::RetentionPolicy::Limits,
            storage: async_nats::jetstream::stream::StorageType::File,
            duplicate_window: Duration::from_secs(config.duplicate_window_seconds),
            max_age: Duration::from_secs(config.max_age_days * 86_400),
            ..Default::default()
        })
        .await
        .with_context(|| format!("the JetStream stream {}", config.stream))?;
        Ok(Publisher { js, config })
    }

    /// Publishes the events of `entries`, all at once, and waits for every ack.
    /// Returns how many events were published (duplicates included).
    pub async fn publish(&self, entries: &[OutboxEntry]) -> Result<usize> {
        let mut acks = vec![];
        for e in entries {
            let Some(events) = yiwang_app::feed::cloud_events(e, &self.config.source) else {
                tracing::warn!(id = e.id, "stream: an entry that is no event; left");
                continue;
            };
            for ev in events {
                let mut headers = async_nats::HeaderMap::new();
                headers.insert("Nats-Msg-Id", ev.id.as_str());
                headers.insert("Content-Type", "application/cloudevents+json");
                let subject = format!("{}.{}", self.config.subject_prefix, ev.subject);
                acks.push(self.js.publish_with_headers(subject, headers, ev.json.into()).await?);
            }
        }
        let n = acks.len();
        for a in acks {
            a.await.context("JetStream did not acknowledge")?;
        }
        Ok(n)
    }
}

/// What one pass of the relay did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Relayed {
    pub entries: usize,
    pub events: usize,
}

/// One pass: the stream entries due, published in order, then marked sent.
pub async fn relay_once(store: &Arc<dyn Store>, publisher: &Publisher, limit: u32) -> Result<Relayed> {
    let s = store.clone();
    let mut due = tokio::task::spawn_blocking(move || s.due_notices(far_future(), Lane::Stream, limit)).await??;
    if due.is_empty() {
        return Ok(Relayed::default());
    }
    due.sort_by_key(|e| e.id);
    let events = publisher.publish(&due).await?;
    let (s, at) = (store.clone(), chrono::Utc::now());
    let ids: Vec<i64> = due.iter().map(|e| e.id).collect();
    tokio::task::spawn_blocking(move || s.notices_delivered(&ids, at)).await??;
    Ok(Relayed { entries: due.len(), events })
}

/// Every entry is due at once: the relay publishes what committed, whatever clock
/// stamped it.
fn far_future() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::days(365 * 100)
}

/// The relay, for good: a pass as soon as the last one found work, else every
/// `idle`. A failure (NATS down) is logged and tried again; nothing is lost, as the
/// entries stay in the outbox.
pub async fn run(store: Arc<dyn Store>, config: StreamConfig, idle: Duration) {
    loop {
        let publisher = match Publisher::connect(config.clone()).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("stream: {e:#}");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        tracing::info!(url = config.nats_url, stream = config.stream, "stream: publishing events to JetStream");
        loop {
            match relay_once(&store, &publisher, 1000).await {
                Ok(r) if r.entries > 0 => tracing::debug!(entries = r.entries, events = r.events, "stream"),
                Ok(_) => tokio::time::sleep(idle).await,
                Err(e) => {
                    tracing::error!("stream: {e:#}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_names_a_server_and_checks_the_names() {
        let c = StreamConfig::parse_toml("[stream]\nnats_url = \"nats://127.0.0.1:4222\"\n").unwrap();
        assert_eq!((c.subject_prefix.as_str(), c.stream.as_str()), ("yiwang", "YIWANG"));
        assert!(StreamConfig::parse_toml("[stream]\nnats_url = \"x\"\nsubject_prefix = \"a.>\"\n").is_err());
        assert!(StreamConfig::parse_toml("[stream]\nnats_url = \"x\"\nstream = \"A B\"\n").is_err());
        assert!(StreamConfig::parse_toml("[stream]\nnats = \"x\"\n").is_err(), "unknown keys are refused");
    }
}
