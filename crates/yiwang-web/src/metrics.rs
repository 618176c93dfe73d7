//! `/metrics` in the Prometheus text format (0.0.4), and the layer that counts every
//! request into `yiwang_metrics::HTTP`.
//!
//! Where it is served (`yiwang serve`'s settings):
//! - `--metrics-listen ADDR`: on an address of its own, without authentication (bind
//!   it to loopback or a monitoring network): `serve_metrics`;
//! - `--metrics-token TOKEN`: on the main address, to `Authorization: Bearer TOKEN`
//!   only (401 otherwise), the token compared in constant time;
//! - with neither, the main address has no `/metrics` (404).
//!
//! The figures counted in the process are rendered as they stand; what is read from
//! the database (cases per kind, its size: `App::monitoring`) is read at most once per
//! `CACHE_FOR`, and one scrape at a time reads it, so scraping cannot load the database.
//!
//! Requests are labelled with the **route template** they matched (axum's
//! `MatchedPath`, e.g. `/api/v1/appeals/{id}`), never the path sent, so the number of
//! series is bounded by the routes yiwang has, not by what clients send.

use crate::ApiError;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};
use yiwang_app::App;
use yiwang_app::monitor::Monitoring;

/// How long what was read from the database is served before it is read again.
pub const CACHE_FOR: Duration = Duration::from_secs(5);

/// The Prometheus text format's content type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Counts a request by the route it matched, its method and its status, with its
/// latency. Layered on the whole router, so it sees every answer (refusals by
/// admission and the rate limit included).
pub(crate) async fn record(req: Request, next: Next) -> Response {
    let began = Instant::now();
    let method = yiwang_metrics::method_label(req.method().as_str());
    // Cloned out before the request moves: an `Arc<str>`, no copy of the text.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let response = next.run(req).await;
    let route = route.as_ref().map_or(yiwang_metrics::UNMATCHED, MatchedPath::as_str);
    yiwang_metrics::HTTP.observe(route, method, response.status().as_u16(), began.elapsed());
    response
}

pub(crate) struct Scrape {
    app: Arc<App>,
    /// SHA-256 of the bearer token; `None`: no authentication (its own listener).
    token: Option<[u8; 32]>,
    cache: tokio::sync::Mutex<Option<(Instant, Arc<Monitoring>)>>,
}

impl Scrape {
    pub(crate) fn new(app: Arc<App>, token: Option<&str>) -> Arc<Self> {
        Arc::new(Scrape { app, token: token.map(digest), cache: tokio::sync::Mutex::new(None) })
    }

    /// What the database shows, read again when older than `CACHE_FOR`. A scrape
    /// that comes while another reads waits for that reading.
    async fn monitoring(&self) -> Option<Arc<Monitoring>> {
        let mut cache = self.cache.lock().await;
        if let Some((at, m)) = cache.as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return Some(m.clone());
        }
        let app = self.app.clone();
        match tokio::task::spawn_blocking(move || app.monitoring()).await {
            Ok(Ok(m)) => {
                let m = Arc::new(m);
                *cache = Some((Instant::now(), m.clone()));
                Some(m)
            }
            Ok(Err(e)) => {
                tracing::warn!("metrics: reading the database's figures failed: {e}");
                None
            }
            Err(e) => {
                tracing::warn!("metrics: reading the database's figures failed: {e}");
                None
            }
        }
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether the request carries the token. Both sides are hashed first, so the
/// comparison takes the same time whatever the length or content of what was sent,
/// and it reads every byte (no early exit).
fn authorised(headers: &HeaderMap, expected: &[u8; 32]) -> bool {
    let Some(sent) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return false };
    let Some((scheme, token)) = sent.split_once(' ') else { return false };
    let sent = digest(token.trim());
    let diff = sent.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    scheme.eq_ignore_ascii_case("bearer") & (std::hint::black_box(diff) == 0)
}

async fn metrics(State(scrape): State<Arc<Scrape>>, headers: HeaderMap) -> Response {
    if let Some(expected) = &scrape.token
        && !authorised(&headers, expected)
    {
        let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "需要监控令牌（Authorization: Bearer）")
            .into_response();
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    let mut text = yiwang_metrics::Text::new();
    text.process();
    if let Some(m) = scrape.monitoring().await {
        database(&mut text, &m);
    }
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text.finish()).into_response()
}

/// The figures read from the database.
fn database(t: &mut yiwang_metrics::Text, m: &Monitoring) {
    type Pick = fn(&yiwang_app::monitor::CaseCounts) -> u64;
    let families: [(&str, &str, Pick); 3] = [
        ("yiwang_cases_open", "Open cases, by kind.", |c| c.open),
        ("yiwang_cases_yellow", "Open cases whose deadline is near (yellow), by kind.", |c| c.yellow),
        ("yiwang_cases_red", "Open cases past their deadline (red), by kind.", |c| c.red),
    ];
    for (name, help, pick) in families {
        t.family(name, "gauge", help);
        for c in &m.cases {
            t.sample(name, &[("kind", c.kind)], pick(c));
        }
    }
    t.family("yiwang_database_size_bytes", "gauge", "The database's size on disk.").sample(
        "yiwang_database_size_bytes",
        &[],
        m.disk.database,
    );
    if let Some(wal) = m.disk.wal {
        t.family(
            "yiwang_database_wal_size_bytes",
            "gauge",
            "The write-ahead log's size (SQLite: the -wal file; PostgreSQL: the server's WAL directory).",
        )
        .sample("yiwang_database_wal_size_bytes", &[], wal);
    }
}

/// The `/metrics` route with its scrape state, for either address.
pub(crate) fn route<S: Clone + Send + Sync + 'static>(scrape: Arc<Scrape>) -> axum::routing::MethodRouter<S> {
    get(metrics).with_state(scrape)
}

/// The separate listener's whole surface: `/metrics`, unauthenticated.
pub fn router(app: Arc<App>) -> Router {
    Router::new().route("/metrics", route(Scrape::new(app, None)))
}
