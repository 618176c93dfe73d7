//! Live feeds (实时推送, issue 16): what a write adds to the outbox for other systems,
//! in the write's own commit: an entry per matching webhook subscription
//! (`crate::webhook`), and, when an event stream is configured, one entry for the
//! NATS JetStream relay (recipient `stream:`) holding the write's events as
//! CloudEvents are made of them.
//!
//! Why the stream goes through the outbox rather than a cursor over the event table:
//! the outbox row commits with the events, or neither does, so the relay publishes
//! exactly the committed events (none missing after a `kill -9`, none uncommitted),
//! whatever order concurrent writers commit in. A cursor over event ids would skip an
//! event whose id was allocated before, but committed after, one the relay had read
//! (PostgreSQL's two writers do this). The price is one more row per write.

use crate::App;
use serde_json::{Value, json};
use yiwang_core::Instant;
use yiwang_core::case::{Case, Events, Stamp};
use yiwang_core::id::CaseId;
use yiwang_core::org::Actor;
use yiwang_store::{Lane, NewCase, Notice, OutboxEntry, Pending};

impl App {
    /// Whether writes leave their events for the event stream's relay.
    pub fn stream_on(&self) -> bool {
        self.stream.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Starts or stops leaving events for the relay (a bench measures both).
    pub fn set_stream(&self, on: bool) {
        self.stream.store(on, std::sync::atomic::Ordering::Relaxed)
    }

    /// Creates a case with what its opening tells the live feeds in the same commit.
    /// Every creation in the app goes through here.
    pub(crate) fn create_case(&self, mut new: NewCase) -> Pending<Case> {
        let feed = self.feed_notices(None, &new.events, None, new.at, &new.actor);
        new.notices.extend(feed);
        self.store().create_case(new)
    }

    /// The outbox entries the live feeds take of `events` appended to `before` (none
    /// for a new case). Nothing is folded when no feed is on. `names` are the events'
    /// names when the caller has them typed (else they are serialised).
    pub(crate) fn feed_notices(
        &self,
        before: Option<&Case>,
        events: &Events,
        names: Option<&[&'static str]>,
        at: Instant,
        actor: &Actor,
    ) -> Vec<Notice> {
        let (hooks, stream) = (self.webhooks_enabled(), self.stream_on());
        if !hooks && !stream {
            return vec![];
        }
        let serialised;
        let names = match names {
            Some(n) => n,
            None => {
                serialised =
                    events.serialise().map(|v| v.iter().map(|e| e.name).collect::<Vec<_>>()).unwrap_or_default();
                &serialised[..]
            }
        };
        // A new case has no number yet: the store gives it in the commit, and the
        // sender reads it from the entry.
        let placeholder = CaseId::parse("XX00000000000000").expect("a valid case number");
        let id = before.map_or(&placeholder, |c| c.id());
        let seq = before.map_or(1, |c| c.version() + 1);
        let after = match events.clone().fold(before.cloned(), &Stamp { case: id, seq, at, actor }) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("live feeds: events not folded: {e}");
                return vec![];
            }
        };
        let mut out = if hooks { self.webhook_notices(before, &after, names, seq, at) } else { vec![] };
        if stream {
            let shown = after.project().header;
            let body = json!({
                "kind": after.kind(),
                "at": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "seq": seq,
                "events": names,
                "status": shown.status,
                "unit": shown.unit.as_ref().map(|u| u.to_string()),
                "category": shown.category,
                "area": shown.area.as_ref().map(|u| u.to_string()),
            });
            out.push(Notice { template: body.to_string(), to: Some(Lane::STREAM.into()) });
        }
        out
    }
}

/// One CloudEvent to publish, with the subject it goes to (after the configured
/// prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct CloudEvent {
    /// `<kind>.<event>`, under the configured subject prefix.
    pub subject: String,
    /// The CloudEvents id, `<case>/<seq>`: stable, so JetStream's de-duplication
    /// (`Nats-Msg-Id`) drops a republished one.
    pub id: String,
    /// The CloudEvent as JSON (structured content mode).
    pub json: String,
}

/// The CloudEvents 1.0 (https://github.com/cloudevents/spec, "CloudEvents - Version
/// 1.0.2", JSON event format) of a stream entry: one per event of the write, with
/// `source` as configured. No personal data: the case's number, kind, the event, and
/// the header's status, unit, category and area after the write.
pub fn cloud_events(e: &OutboxEntry, source: &str) -> Option<Vec<CloudEvent>> {
    let v: Value = serde_json::from_str(&e.template).ok()?;
    let case = e.case_id.as_ref()?.to_string();
    let kind = v["kind"].as_str()?;
    let first = v["seq"].as_u64()?;
    let names = v["events"].as_array()?;
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = name.as_str()?;
            let seq = first + i as u64;
            let id = format!("{case}/{seq}");
            let event = json!({
                "specversion": "1.0",
                "id": id,
                "source": source,
                "type": format!("cn.yiwang.{kind}.{name}"),
                "time": v["at"],
                "subject": case,
                "datacontenttype": "application/json",
                "data": {
                    "case_id": case,
                    "kind": kind,
                    "event": name,
                    "seq": seq,
                    "status": v["status"],
                    "unit": v["unit"],
                    "category": v["category"],
                    "area": v["area"],
                },
            });
            Some(CloudEvent { subject: format!("{kind}.{name}"), id, json: event.to_string() })
        })
        .collect()
}
