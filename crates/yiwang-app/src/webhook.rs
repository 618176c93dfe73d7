//! 实时推送 by webhook (issue 16, 一网共享): a department's system subscribes to the
//! events of the cases its unit may see, and yiwang POSTs each to it as the Standard
//! Webhooks specification says (https://www.standardwebhooks.com/, "Standard
//! Webhooks specification" v1: headers `webhook-id`, `webhook-timestamp`,
//! `webhook-signature`; HMAC-SHA256 over `{id}.{timestamp}.{body}`; its retry
//! schedule).
//!
//! Webhooks are one more sender on the notifications outbox: `App::act_on` and intake
//! add one entry per matching subscription (recipient `webhook:<id>`, template the
//! event's JSON without the case id) to the events' own commit, so no committed event
//! loses its delivery and no refused one makes any. `App::deliver_webhooks` sends them
//! in a pass of its own (`Lane::Webhooks`), so an endpoint that is down never holds up
//! an SMS, and never intake, which only writes a row.
//!
//! The subscriptions are the reference document `webhooks`, cached in memory (intake
//! reads no document per write) and replaced whole on each change.

use crate::{App, AppError, Result};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex, RwLock};
use yiwang_core::Instant;
use yiwang_core::case::Case;
use yiwang_core::id::{UnitCode, Username};
use yiwang_core::org::{Actor, Organisation};
use yiwang_store::{Lane, Notice, OutboxEntry, OutboxQuery, Sent};

/// The reference document the subscriptions are stored in.
const DOCUMENT: &str = "webhooks";

/// The Standard Webhooks retry schedule: after the first try (at once), the pauses
/// before each retry; after the last the delivery is dead-lettered for the centre's
/// 重放 or 跳过.
pub const RETRY_SECONDS: [i64; 9] =
    [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600];

/// How long an old secret keeps signing after a rotation, so the receiver can switch
/// at its own pace (the specification's "multiple signatures" in one header).
pub const ROTATION_HOURS: i64 = 24;

/// How long an entry waiting for a dead-lettered earlier one of its case waits before
/// it is looked at again (a replay or skip wakes it at once).
const BLOCKED_RECHECK_MINUTES: i64 = 60;

/// Event types, as Standard Webhooks names them (`group.event`).
pub const EVENT_TYPES: [(&str, &str); 4] = [
    ("case.created", "新工单（本单位可见）"),
    ("case.routed", "工单交办至本单位"),
    ("case.status_changed", "状态变化"),
    ("case.replied", "答复"),
];

/// `notify.toml`'s `[webhooks]`: which networks a subscription may point into.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Networks allowed although private, loopback or link-local (an intranet's
    /// `10.0.0.0/8`). Cloud metadata addresses stay refused unless named exactly.
    #[serde(default)]
    pub allow_networks: Vec<ipnet::IpNet>,
}

/// A department system's subscription.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Subscription {
    pub id: u32,
    pub url: String,
    /// The unit it is for: it gets events only of cases this unit may see.
    pub unit: UnitCode,
    /// Kinds (`appeal`, `task` …); every kind when empty.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Category codes (exact); every category when empty.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Areas (streets): a case in one of them or below; everywhere when empty.
    #[serde(default)]
    pub areas: Vec<UnitCode>,
    /// Event types (`EVENT_TYPES`); every type when empty.
    #[serde(default)]
    pub events: Vec<String>,
    /// Signing secrets, the newest first; an old one signs until it expires.
    pub secrets: Vec<Secret>,
    pub enabled: bool,
    /// Why it was disabled (by whom, or a receiver's 410).
    #[serde(default)]
    pub disabled_reason: Option<String>,
    pub created_at: Instant,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Secret {
    /// `whsec_` and the key's bytes in base64.
    pub key: String,
    /// When a rotated-out secret stops signing; none for the current one.
    #[serde(default)]
    pub expires_at: Option<Instant>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Document {
    next_id: u32,
    subscriptions: Vec<Subscription>,
}

/// What a subscription is asked with.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookInput {
    pub url: String,
    pub unit: String,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub areas: Vec<String>,
    #[serde(default)]
    pub events: Vec<String>,
}

/// A subscription as shown: its secrets never (only at creation and rotation).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookView {
    pub id: u32,
    pub url: String,
    pub unit: String,
    pub unit_name: String,
    pub kinds: Vec<String>,
    pub categories: Vec<String>,
    pub areas: Vec<String>,
    pub events: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// How many secrets sign now (2 during a rotation).
    pub signing_secrets: usize,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub created_at: Instant,
    pub created_by: String,
    /// Deliveries dead-lettered, waiting for 重放 or 跳过.
    pub dead_letters: usize,
}

/// A subscription just made or rotated, with the secret to give its receiver.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSecret {
    pub id: u32,
    pub secret: String,
}

/// What one pass of `deliver_webhooks` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WebhookRun {
    pub delivered: u32,
    pub retrying: u32,
    pub dead: u32,
    /// Put off without a try: behind an earlier event of their case, or an endpoint
    /// that asked to slow down.
    pub deferred: u32,
}

/// The subscriptions in memory, and each endpoint's pause after a 429, 502 or 504.
#[derive(Default)]
pub(crate) struct Hooks {
    subscriptions: RwLock<Arc<Vec<Subscription>>>,
    /// Read-modify-write of the document, one at a time.
    editing: Mutex<()>,
    paused: Mutex<HashMap<u32, Instant>>,
    /// An HTTP client per endpoint and the address it was checked to reach, kept
    /// between deliveries (a blocking client runs a thread of its own).
    clients: Mutex<HashMap<(u32, SocketAddr), reqwest::blocking::Client>>,
}

impl Hooks {
    fn current(&self) -> Arc<Vec<Subscription>> {
        self.subscriptions.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl App {
    /// Reads the subscriptions from the store again (at start, after each change).
    /// Whether any subscription takes entries now (intake folds nothing otherwise).
    pub(crate) fn webhooks_enabled(&self) -> bool {
        self.hooks.current().iter().any(|s| s.enabled)
    }

    pub(crate) fn reload_webhooks(&self) -> Result<()> {
        let doc = self.load_webhooks()?;
        *self.hooks.subscriptions.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(doc.subscriptions);
        Ok(())
    }

    fn load_webhooks(&self) -> Result<Document> {
        match self.store().document(DOCUMENT)? {
            None => Ok(Document::default()),
            Some(t) => serde_json::from_str(&t).map_err(|e| AppError::Internal(format!("stored webhooks: {e}"))),
        }
    }

    /// Changes the stored subscriptions with `f`, and the cache with them.
    fn edit_webhooks<T>(&self, f: impl FnOnce(&mut Document) -> Result<T>) -> Result<T> {
        let _one = self.hooks.editing.lock().unwrap_or_else(|p| p.into_inner());
        let mut doc = self.load_webhooks()?;
        let out = f(&mut doc)?;
        let text = serde_json::to_string(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
        self.store().put_document(DOCUMENT, &text, self.now())?;
        *self.hooks.subscriptions.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(doc.subscriptions);
        Ok(out)
    }

    /// The subscriptions (hotline centre).
    pub fn webhooks(&self, actor: &Actor) -> Result<Vec<WebhookView>> {
        centre_only(actor)?;
        let r = self.reference();
        let dead = self.store().outbox(&OutboxQuery {
            state: Some("failed".into()),
            recipient_prefix: Some(Lane::WEBHOOK_PREFIX.into()),
            limit: 10_000,
            ..Default::default()
        })?;
        Ok(self
            .hooks
            .current()
            .iter()
            .map(|s| WebhookView {
                id: s.id,
                url: s.url.clone(),
                unit: s.unit.to_string(),
                unit_name: r.unit_name(&s.unit),
                kinds: s.kinds.clone(),
                categories: s.categories.clone(),
                areas: s.areas.iter().map(|a| a.to_string()).collect(),
                events: s.events.clone(),
                enabled: s.enabled,
                disabled_reason: s.disabled_reason.clone(),
                signing_secrets: signing(s, self.now()).count(),
                created_at: s.created_at,
                created_by: s.created_by.clone(),
                dead_letters: dead.iter().filter(|e| e.to.as_deref() == Some(&recipient(s.id))).count(),
            })
            .collect())
    }

    /// Subscribes a unit's system (hotline centre): the URL is checked against the
    /// SSRF rules now and again at each delivery. Answers the signing secret, shown
    /// this once.
    pub fn add_webhook(&self, actor: &Actor, input: &WebhookInput) -> Result<WebhookSecret> {
        centre_only(actor)?;
        let r = self.reference();
        let url = input.url.trim();
        check_target(url, &self.config().webhooks)?;
        let unit = UnitCode::parse(input.unit.trim()).map_err(|_| AppError::invalid("unit", "单位编码格式不正确"))?;
        if r.org.get(&unit).is_none() {
            return Err(AppError::invalid("unit", format!("单位 {unit} 不存在")));
        }
        let known = yiwang_core::kinds();
        for k in &input.kinds {
            if known.get(k).is_none() {
                return Err(AppError::invalid("kinds", format!("未知的工单类型 {k}")));
            }
        }
        let mut areas = vec![];
        for a in &input.areas {
            let code = UnitCode::parse(a.trim()).map_err(|_| AppError::invalid("areas", "区域编码格式不正确"))?;
            if r.org.get(&code).is_none() {
                return Err(AppError::invalid("areas", format!("区域 {code} 不存在")));
            }
            areas.push(code);
        }
        for e in &input.events {
            if !EVENT_TYPES.iter().any(|(t, _)| t == e) {
                return Err(AppError::invalid("events", format!("未知的事件类型 {e}")));
            }
        }
        if input.categories.iter().any(|c| c.trim().is_empty() || c.len() > 64) {
            return Err(AppError::invalid("categories", "分类编码不能为空"));
        }
        let secret = new_secret();
        let now = self.now();
        let by = actor.label();
        let id = self.edit_webhooks(|doc| {
            doc.next_id += 1;
            let id = doc.next_id;
            doc.subscriptions.push(Subscription {
                id,
                url: url.to_owned(),
                unit,
                kinds: input.kinds.clone(),
                categories: input.categories.iter().map(|c| c.trim().to_owned()).collect(),
                areas,
                events: input.events.clone(),
                secrets: vec![Secret { key: secret.clone(), expires_at: None }],
                enabled: true,
                disabled_reason: None,
                created_at: now,
                created_by: by,
            });
            Ok(id)
        })?;
        tracing::info!(id, url, "webhook subscribed");
        Ok(WebhookSecret { id, secret })
    }

    /// A new signing secret (hotline centre); the old one keeps signing for
    /// `ROTATION_HOURS`, both signatures in each delivery meanwhile.
    pub fn rotate_webhook(&self, actor: &Actor, id: u32) -> Result<WebhookSecret> {
        centre_only(actor)?;
        let secret = new_secret();
        let now = self.now();
        self.edit_webhooks(|doc| {
            let s = doc.subscriptions.iter_mut().find(|s| s.id == id).ok_or(AppError::NotFound("推送订阅"))?;
            s.secrets.retain(|k| k.expires_at.is_none_or(|e| e > now));
            for k in &mut s.secrets {
                k.expires_at.get_or_insert(now + chrono::Duration::hours(ROTATION_HOURS));
            }
            s.secrets.insert(0, Secret { key: secret.clone(), expires_at: None });
            Ok(())
        })?;
        Ok(WebhookSecret { id, secret })
    }

    /// Disables or enables a subscription (hotline centre). A disabled one gets no
    /// new entries; its pending ones are dead-lettered as they come due.
    pub fn set_webhook_enabled(&self, actor: &Actor, id: u32, enabled: bool) -> Result<()> {
        centre_only(actor)?;
        let by = actor.label();
        self.edit_webhooks(|doc| {
            let s = doc.subscriptions.iter_mut().find(|s| s.id == id).ok_or(AppError::NotFound("推送订阅"))?;
            s.enabled = enabled;
            s.disabled_reason = (!enabled).then(|| format!("{by} 停用"));
            Ok(())
        })
    }

    /// Dead-lettered deliveries, newest first (hotline centre).
    pub fn webhook_dead_letters(&self, actor: &Actor, limit: u32) -> Result<Vec<OutboxEntry>> {
        centre_only(actor)?;
        Ok(self.store().outbox(&OutboxQuery {
            state: Some("failed".into()),
            recipient_prefix: Some(Lane::WEBHOOK_PREFIX.into()),
            limit: limit.clamp(1, 500),
            ..Default::default()
        })?)
    }

    /// 重放: a dead-lettered delivery is tried again at the next pass, and the later
    /// events of its case it held back with it (hotline centre).
    pub fn replay_webhook(&self, actor: &Actor, entry: i64) -> Result<()> {
        centre_only(actor)?;
        let e = self.webhook_entry(entry)?;
        if !self.store().notice_retry(entry, self.now())? {
            return Err(AppError::invalid("id", "只有投递失败的推送可以重放"));
        }
        self.wake_followers(&e)
    }

    /// 跳过: a dead-lettered delivery is given up for good, and the later events of
    /// its case go on (hotline centre).
    pub fn skip_webhook(&self, actor: &Actor, entry: i64) -> Result<()> {
        centre_only(actor)?;
        let e = self.webhook_entry(entry)?;
        let why = format!("{} 跳过", actor.label());
        if !self.store().notice_skip(entry, self.now(), &why)? {
            return Err(AppError::invalid("id", "只有投递失败的推送可以跳过"));
        }
        self.wake_followers(&e)
    }

    fn webhook_entry(&self, id: i64) -> Result<OutboxEntry> {
        let q = OutboxQuery {
            state: Some("failed".into()),
            recipient_prefix: Some(Lane::WEBHOOK_PREFIX.into()),
            limit: 500,
            ..Default::default()
        };
        self.store()
            .outbox(&q)?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| AppError::invalid("id", "只有投递失败的推送可以重放或跳过"))
    }

    /// Makes the entries held back behind `e` (same endpoint, same case) due now.
    fn wake_followers(&self, e: &OutboxEntry) -> Result<()> {
        let now = self.now();
        for f in self.same_stream(e)? {
            if f.id > e.id && f.state() == "pending" {
                self.store().notice_defer(f.id, now)?;
            }
        }
        Ok(())
    }

    /// The entries of `e`'s case to `e`'s endpoint.
    fn same_stream(&self, e: &OutboxEntry) -> Result<Vec<OutboxEntry>> {
        let Some(case) = &e.case_id else { return Ok(vec![]) };
        let q = OutboxQuery {
            case_id: Some(case.clone()),
            recipient_prefix: e.to.clone(),
            limit: 10_000,
            ..Default::default()
        };
        Ok(self.store().outbox(&q)?.into_iter().filter(|x| x.to == e.to).collect())
    }

    /// The webhook entries a write adds: one per enabled subscription whose unit may
    /// see the case after the events (`after`, numbered from `seq`), whose filters
    /// match it, and which asked for the event's type.
    pub(crate) fn webhook_notices(
        &self,
        before: Option<&Case>,
        after: &Case,
        names: &[&'static str],
        seq: u32,
        at: Instant,
    ) -> Vec<Notice> {
        let subs = self.hooks.current();
        let r = self.reference();
        let shown = after.project().header;
        let status_before = before.map(|c| c.project().header.status);
        let replied = names.iter().any(|n| n.contains("repl") || n.contains("answer"));
        let mut out = vec![];
        for s in subs.iter().filter(|s| s.enabled) {
            if !(s.kinds.is_empty() || s.kinds.iter().any(|k| k == after.kind())) {
                continue;
            }
            if !(s.categories.is_empty() || shown.category.as_ref().is_some_and(|c| s.categories.contains(c))) {
                continue;
            }
            if !(s.areas.is_empty() || shown.area.as_ref().is_some_and(|a| within(&r.org, a, &s.areas))) {
                continue;
            }
            let viewer = viewer(&r.org, &s.unit);
            if !after.can_view(&viewer) {
                continue;
            }
            let saw = before.is_some_and(|b| b.can_view(&viewer));
            let candidates = [
                ("case.created", before.is_none()),
                ("case.routed", before.is_some() && !saw),
                ("case.replied", replied),
                ("case.status_changed", status_before.is_some_and(|b| b != shown.status)),
            ];
            let Some((kind, _)) =
                candidates.iter().find(|(t, yes)| *yes && (s.events.is_empty() || s.events.iter().any(|e| e == t)))
            else {
                continue;
            };
            let body = serde_json::json!({
                "type": kind,
                "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "data": {
                    "kind": after.kind(),
                    "events": names,
                    "seq": seq + names.len() as u32 - 1,
                    "status": shown.status,
                    "status_label": after.kind_of().status_label(shown.status),
                    "unit": shown.unit.as_ref().map(|u| u.to_string()),
                    "category": shown.category,
                    "area": shown.area.as_ref().map(|u| u.to_string()),
                    "street": shown.area.as_ref().and_then(|a| r.org.street_of(a)).map(|u| u.code.to_string()),
                },
            });
            out.push(Notice { template: body.to_string(), to: Some(recipient(s.id)) });
        }
        out
    }

    /// Delivers the webhook entries due now, at most `limit`, each to its endpoint
    /// (blocking: run it on a thread of its own, as `yiwang serve` does).
    pub fn deliver_webhooks(&self, limit: u32) -> Result<WebhookRun> {
        let now = self.now();
        let mut run = WebhookRun::default();
        let mut due = self.store().due_notices(now, Lane::Webhooks, limit)?;
        // Earlier events first, so that a case's next one finds its predecessor done.
        due.sort_by_key(|e| e.id);
        let subs = self.hooks.current();
        for e in due {
            let sub =
                e.to.as_deref()
                    .and_then(|t| t.strip_prefix(Lane::WEBHOOK_PREFIX))
                    .and_then(|id| id.parse::<u32>().ok())
                    .and_then(|id| subs.iter().find(|s| s.id == id));
            let Some(sub) = sub.filter(|s| s.enabled) else {
                let why = if sub.is_some() { "订阅已停用" } else { "订阅不存在" };
                self.store().notice_tried(e.id, Sent::Failed { at: now, error: why.into(), retry_at: None })?;
                run.dead += 1;
                continue;
            };
            // Order per endpoint and case: an earlier entry not yet delivered holds
            // this one back (a dead-lettered one until it is replayed or skipped).
            let earlier = self.same_stream(&e)?.into_iter().filter(|x| x.id < e.id).find(|x| x.sent_at.is_none());
            if let Some(x) = earlier {
                let until = x.next_at.unwrap_or(now + chrono::Duration::minutes(BLOCKED_RECHECK_MINUTES)).max(now);
                self.store().notice_defer(e.id, until + chrono::Duration::milliseconds(1))?;
                run.deferred += 1;
                continue;
            }
            let paused = self.hooks.paused.lock().unwrap_or_else(|p| p.into_inner()).get(&sub.id).copied();
            if let Some(until) = paused.filter(|u| *u > now) {
                self.store().notice_defer(e.id, until)?;
                run.deferred += 1;
                continue;
            }
            let outcome = self.post_webhook(sub, &e, now);
            let tried = match outcome {
                Ok(()) => {
                    run.delivered += 1;
                    Sent::Delivered { at: now }
                }
                Err(Failure::Gone) => {
                    // Standard Webhooks: 410 Gone means the endpoint is no more.
                    self.edit_webhooks(|doc| {
                        if let Some(s) = doc.subscriptions.iter_mut().find(|s| s.id == sub.id) {
                            s.enabled = false;
                            s.disabled_reason = Some("接收方答复 410 Gone，已自动停用".into());
                        }
                        Ok(())
                    })?;
                    tracing::warn!(id = sub.id, url = sub.url, "webhook endpoint gone (410): disabled");
                    run.dead += 1;
                    Sent::Failed { at: now, error: "接收方答复 410 Gone，订阅已停用".into(), retry_at: None }
                }
                Err(Failure::Retry { why, slow_down }) => {
                    let pause = RETRY_SECONDS.get(e.attempts as usize).copied();
                    // A receiver that asks to slow down is left alone for as long as
                    // it asked, and at least the schedule's pause.
                    let pause = match (pause, slow_down) {
                        (Some(p), Some(s)) => Some(p.max(s)),
                        (p, _) => p,
                    };
                    let retry_at = pause.map(|p| now + chrono::Duration::seconds(p));
                    if let (Some(_), Some(at)) = (slow_down, retry_at) {
                        self.hooks.paused.lock().unwrap_or_else(|p| p.into_inner()).insert(sub.id, at);
                    }
                    if retry_at.is_some() {
                        run.retrying += 1;
                    } else {
                        run.dead += 1;
                    }
                    tracing::warn!(id = e.id, url = sub.url, %why, retry = retry_at.is_some(), "webhook not delivered");
                    Sent::Failed { at: now, error: why, retry_at }
                }
            };
            self.store().notice_tried(e.id, tried)?;
        }
        Ok(run)
    }

    fn post_webhook(&self, sub: &Subscription, e: &OutboxEntry, now: Instant) -> std::result::Result<(), Failure> {
        let retry = |why: String| Failure::Retry { why, slow_down: None };
        // DNS may have changed since the subscription: checked again, and the
        // connection made to the address checked.
        let target = check_target(&sub.url, &self.config().webhooks).map_err(|e| retry(e.to_string()))?;
        let body = webhook_body(e).ok_or_else(|| retry("推送内容无法读取".into()))?;
        let id = format!("msg_{}", e.id);
        let timestamp = now.timestamp();
        let signature = sign_all(sub, now, &id, timestamp, &body);
        let key = (sub.id, target.addr);
        let cached = self.hooks.clients.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
        let client = match cached {
            Some(c) => c,
            None => {
                let mut client = reqwest::blocking::Client::builder()
                    .timeout(std::time::Duration::from_secs(10))
                    // A redirect could lead anywhere the checks refuse.
                    .redirect(reqwest::redirect::Policy::none());
                // The connection goes to the address checked, whatever DNS says next.
                if let Some(host) = target.host {
                    client = client.resolve(&host, target.addr);
                }
                let c = client.build().map_err(|e| retry(format!("HTTP 客户端：{e}")))?;
                self.hooks.clients.lock().unwrap_or_else(|p| p.into_inner()).insert(key, c.clone());
                c
            }
        };
        let answer = client
            .post(&sub.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send();
        match answer {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) if r.status().as_u16() == 410 => Err(Failure::Gone),
            Ok(r) if matches!(r.status().as_u16(), 429 | 502 | 504) => {
                let after = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<i64>().ok())
                    .unwrap_or(0);
                Err(Failure::Retry {
                    why: format!("接收方答复 {}", r.status()),
                    slow_down: Some(after.clamp(0, 86_400)),
                })
            }
            Ok(r) => Err(retry(format!("接收方答复 {}", r.status()))),
            Err(e) if e.is_timeout() => Err(retry("接收方超时".into())),
            Err(e) => Err(retry(format!("无法连接接收方：{e}"))),
        }
    }
}

enum Failure {
    Gone,
    /// Tried again on the schedule; `slow_down` (seconds, from `Retry-After`) when the
    /// receiver asked for it (429, 502, 504).
    Retry {
        why: String,
        slow_down: Option<i64>,
    },
}

fn centre_only(actor: &Actor) -> Result<()> {
    if actor.is_centre() { Ok(()) } else { Err(AppError::Forbidden("推送订阅由热线中心管理".into())) }
}

fn recipient(id: u32) -> String {
    format!("{}{id}", Lane::WEBHOOK_PREFIX)
}

/// A member of `unit` with no role: what the unit may see, as the access rule says.
fn viewer(org: &Organisation, unit: &UnitCode) -> Actor {
    Actor::Staff {
        username: Username::parse("webhook").expect("a valid username"),
        unit: unit.clone(),
        unit_kind: org.get(unit).map(|u| u.kind).unwrap_or(yiwang_core::org::UnitKind::Department),
        roles: vec![],
    }
}

/// Whether `area` is one of `areas` or lies in one.
fn within(org: &Organisation, area: &UnitCode, areas: &[UnitCode]) -> bool {
    org.ancestry(area).any(|u| areas.contains(&u.code))
}

/// The body sent: the entry's event with the case number it was given.
pub fn webhook_body(e: &OutboxEntry) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_str(&e.template).ok()?;
    let data = v.get_mut("data")?.as_object_mut()?;
    data.insert("case_id".into(), e.case_id.as_ref().map(|c| c.to_string()).into());
    Some(v.to_string())
}

fn signing(s: &Subscription, now: Instant) -> impl Iterator<Item = &Secret> {
    s.secrets.iter().filter(move |k| k.expires_at.is_none_or(|e| e > now))
}

/// `webhook-signature`: `v1,<base64 HMAC-SHA256>` by each secret that signs now,
/// space-separated.
fn sign_all(s: &Subscription, now: Instant, id: &str, timestamp: i64, body: &str) -> String {
    signing(s, now).filter_map(|k| sign(&k.key, id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

/// One signature (Standard Webhooks, "Signature scheme"): the secret's bytes are the
/// base64 after `whsec_`; the signed content is `{id}.{timestamp}.{body}`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", b64.encode(mac.finalize().into_bytes())))
}

fn new_secret() -> String {
    let mut k = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut k);
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(k))
}

/// Where a checked URL connects: its host name (to pin to the address checked) and
/// the address.
struct Target {
    host: Option<String>,
    addr: SocketAddr,
}

/// SSRF (OWASP's "Server-Side Request Forgery Prevention"): an http(s) URL whose host
/// resolves only to addresses that are public, or inside a configured network.
/// Loopback, link-local, private, shared, unspecified and multicast addresses are
/// refused unless configured; cloud metadata addresses (169.254.169.254,
/// fd00:ec2::254) unless configured exactly.
fn check_target(url: &str, config: &WebhookConfig) -> Result<Target> {
    let refused = |why: String| AppError::Refused(yiwang_core::case::Refusal::rule("webhook_url_refused", why));
    let parsed = reqwest::Url::parse(url).map_err(|_| AppError::invalid("url", "推送地址不是有效的网址"))?;
    if !matches!(parsed.scheme(), "http" | "https") || url.len() > 2000 {
        return Err(AppError::invalid("url", "推送地址应以 http:// 或 https:// 开头"));
    }
    let port = parsed.port_or_known_default().unwrap_or(80);
    let (host, addrs): (Option<String>, Vec<SocketAddr>) = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => (None, vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(url::Host::Ipv6(ip)) => (None, vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(url::Host::Domain(d)) => {
            let found = (d, port)
                .to_socket_addrs()
                .map_err(|_| refused(format!("推送地址的主机 {d} 无法解析")))?
                .collect::<Vec<_>>();
            (Some(d.to_owned()), found)
        }
        None => return Err(AppError::invalid("url", "推送地址缺少主机")),
    };
    let first = *addrs.first().ok_or_else(|| refused("推送地址的主机无法解析".into()))?;
    for a in &addrs {
        if let Some(why) = refused_ip(a.ip(), config) {
            return Err(refused(format!("推送地址指向{why}（{}），已拒绝", a.ip())));
        }
    }
    Ok(Target { host, addr: first })
}

/// Why `ip` may not be reached, if it may not.
pub fn refused_ip(ip: IpAddr, config: &WebhookConfig) -> Option<&'static str> {
    // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is the IPv4 address.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    const METADATA: [IpAddr; 2] =
        [IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)), IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254))];
    if METADATA.contains(&ip) {
        let exact = config.allow_networks.iter().any(|n| n.prefix_len() == n.max_prefix_len() && n.contains(&ip));
        return (!exact).then_some("云平台元数据地址");
    }
    if config.allow_networks.iter().any(|n| n.contains(&ip)) {
        return None;
    }
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some("本机回环地址")
            } else if v4.is_link_local() {
                Some("链路本地地址")
            } else if v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
                Some("内网地址")
            } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() || o[0] == 0 {
                Some("保留地址")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if v6.is_loopback() {
                Some("本机回环地址")
            } else if s[0] & 0xffc0 == 0xfe80 {
                Some("链路本地地址")
            } else if s[0] & 0xfe00 == 0xfc00 {
                Some("内网地址")
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some("保留地址")
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_refused_unless_configured() {
        let none = WebhookConfig::default();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        for bad in ["127.0.0.1", "::1", "169.254.1.1", "fe80::1", "10.1.2.3", "192.168.0.1", "172.16.0.1", "fc00::1"] {
            assert!(refused_ip(ip(bad), &none).is_some(), "{bad}");
        }
        assert!(refused_ip(ip("::ffff:127.0.0.1"), &none).is_some(), "IPv4-mapped loopback");
        assert!(refused_ip(ip("169.254.169.254"), &none).is_some());
        assert!(refused_ip(ip("fd00:ec2::254"), &none).is_some());
        assert!(refused_ip(ip("203.0.113.9"), &none).is_none());
        let intranet = WebhookConfig { allow_networks: vec!["10.0.0.0/8".parse().unwrap()] };
        assert!(refused_ip(ip("10.1.2.3"), &intranet).is_none());
        assert!(refused_ip(ip("192.168.0.1"), &intranet).is_some());
        let link = WebhookConfig { allow_networks: vec!["169.254.0.0/16".parse().unwrap()] };
        assert!(refused_ip(ip("169.254.1.1"), &link).is_none());
        assert!(refused_ip(ip("169.254.169.254"), &link).is_some(), "metadata only when named exactly");
    }

    #[test]
    fn the_signature_is_the_specifications_example() {
        // Standard Webhooks' reference test vector (libraries' test suites).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(sign(secret, id, 1614265330, body).unwrap(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
