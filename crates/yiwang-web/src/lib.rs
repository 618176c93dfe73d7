//! yiwang-web: the HTTP face of yiwang. The JSON API under `/api/v1` with its OpenAPI
//! document; later the Open311 API, the citizen portal and the staff console.
//!
//! It holds no business rules: handlers parse input, call one use case of
//! `yiwang_app::App` (on a blocking thread, as the use cases read and wait for
//! commits; intake, which only waits for its commit, is awaited instead), and turn
//! the result or the `ApiError` into a response.

mod appeal;
mod applicant;
mod application;
mod auth;
mod benefit;
mod bundle;
mod catalogue;
mod citizen;
mod dispatch;
mod enterprise;
mod error;
mod idempotency;
mod inspection;
mod knowledge;
mod measure;
mod metrics;
mod net;
mod open311;
mod openapi;
mod outbox;
pub mod overload;
mod patrol;
mod plan;
mod queue;
pub mod rate;
mod reference;
mod search;
mod security;
mod session;
mod sharing;
mod task;
mod ui;
mod webhooks;
/// The e-certificate's QR code: what it carries, its modules, its SVG.
pub use ui::guide::{qr_modules, qr_payload, qr_svg};

pub use error::ApiError;

use axum::Router;
use axum::routing::get;
use std::sync::Arc;
use yiwang_app::App;

/// What every handler and middleware is given, behind one `Arc`: axum clones a
/// route's service, with its state, for every request and for each layer that holds
/// it, and a clone of five fields was five atomic counts moved between the cores
/// (`bench intake`'s trivial handler spent a fifth of its time cloning and dropping
/// it).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state handlers read through `AppState`.
pub struct Shared {
    pub app: Arc<App>,
    /// Where the portal stores citizens' photos; `None` refuses uploads.
    pub uploads_dir: Option<Arc<std::path::PathBuf>>,
    /// The address yiwang is reached at from outside, without a trailing `/`.
    pub public_url: Arc<str>,
    /// The keyring's public keys, published for anyone checking a signature.
    pub public_keys: Arc<Vec<yiwang_app::keyring::PublicKey>>,
    /// Whether cookies carry `Secure` (behind TLS).
    pub secure_cookies: bool,
}

/// How the HTTP server is set up: where it keeps uploads, the address it is reached
/// at, and how it guards itself against slow and greedy clients.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where the portal keeps photos; `None` refuses uploads.
    pub uploads_dir: Option<std::path::PathBuf>,
    /// The address citizens and client programs reach yiwang at, e.g.
    /// `https://12345.yunxi.gov.cn` (Open311 discovery names it). Never taken from a
    /// request's `Host` or `X-Forwarded-*` headers, which the client chooses.
    pub public_url: String,
    /// The longest time a client may take to send a request's headers.
    pub header_timeout: std::time::Duration,
    /// Connections one client address may hold open at once; 0 for no cap (behind a
    /// reverse proxy, which connects from one address, the proxy caps instead).
    pub max_connections_per_address: usize,
    pub admission: overload::Admission,
    /// The keyring's public keys (`GET /api/v1/keys`).
    pub public_keys: Vec<yiwang_app::keyring::PublicKey>,
    /// Mark the console's cookies `Secure`: set it when yiwang is reached over TLS.
    pub secure_cookies: bool,
    /// Logins, password changes and tracking-code lookups one client address may
    /// make per minute (`rate`); 0 for no limit (behind a reverse proxy, which
    /// connects from one address, the proxy limits instead).
    pub guesses_per_minute: u32,
    /// Serve `/metrics` on the main address to `Authorization: Bearer` this token
    /// (`metrics`); `None`: not there (404).
    pub metrics_token: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            uploads_dir: None,
            public_url: "http://127.0.0.1:8080".into(),
            header_timeout: std::time::Duration::from_secs(10),
            max_connections_per_address: 256,
            admission: overload::Admission::default(),
            public_keys: vec![],
            secure_cookies: false,
            guesses_per_minute: 60,
            metrics_token: None,
        }
    }
}

impl AppState {
    /// Runs a use case on the blocking pool and maps its error.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&App) -> yiwang_app::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let app = self.app.clone();
        // The request's span goes along, so what the app logs names the request.
        let span = tracing::Span::current();
        match tokio::task::spawn_blocking(move || span.in_scope(|| f(&app))).await {
            Ok(r) => r.map_err(ApiError::from),
            Err(e) => Err(ApiError::from(yiwang_app::AppError::Internal(format!("task failed: {e}")))),
        }
    }
}

/// The whole HTTP surface, as `WebConfig::default()` sets it up.
pub fn router(app: Arc<App>) -> Router {
    router_with(app, &WebConfig::default())
}

/// The whole HTTP surface. From the outside in: a request id on every request and
/// its answer, the security headers, the JSON form of the framework's own errors,
/// panics answered as internal errors, then admission (`overload`) and the routes.
pub fn router_with(app: Arc<App>, config: &WebConfig) -> Router {
    use axum::http::{HeaderName, HeaderValue, header};
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    use tower_http::set_header::SetResponseHeaderLayer;
    let api = Router::new()
        .merge(session::router())
        .merge(appeal::router())
        .merge(queue::router())
        .merge(measure::router())
        .merge(citizen::router())
        .merge(reference::router())
        .merge(knowledge::router())
        .merge(search::router())
        .merge(dispatch::router())
        .merge(task::router())
        .merge(patrol::router())
        .merge(plan::router())
        .merge(application::router())
        .merge(bundle::router())
        .merge(benefit::router())
        .merge(applicant::router())
        .merge(enterprise::router())
        .merge(catalogue::router())
        .merge(sharing::router())
        .merge(inspection::router())
        .merge(security::router())
        .merge(outbox::router())
        .merge(webhooks::router())
        .merge(open311::admin_router())
        .merge(openapi::router())
        .route("/keys", get(public_keys));
    let scrape = config.metrics_token.as_deref().map(|t| metrics::Scrape::new(app.clone(), Some(t)));
    let state = AppState(Arc::new(Shared {
        app,
        uploads_dir: config.uploads_dir.clone().map(Arc::new),
        public_url: config.public_url.trim_end_matches('/').into(),
        public_keys: Arc::new(config.public_keys.clone()),
        secure_cookies: config.secure_cookies,
    }));
    let routes = Router::new()
        .nest("/api/v1", api)
        .nest("/open311/v2", open311::router())
        .merge(ui::router())
        .fallback(ui::not_found);
    let headers: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    let routes = routes
        .layer(axum::middleware::from_fn_with_state(state.clone(), ui::staff_error_pages))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::log_refusals));
    let mut router = overload::admit(routes, config.admission.clone()).route("/healthz", get(healthz));
    // Like /healthz, outside admission: a server shedding load can still be watched.
    if let Some(scrape) = scrape {
        router = router.route("/metrics", metrics::route(scrape));
    }
    // Limited before admission: a refused guess takes no in-flight slot.
    if let Some(limiter) = rate::Limiter::new(config.guesses_per_minute) {
        router = router.layer(axum::middleware::from_fn_with_state(limiter, rate::guard));
    }
    let mut router = router
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panicked))
        .layer(axum::middleware::from_fn(error::framework_errors));
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    router
        .layer(axum::middleware::from_fn(metrics::record))
        .layer(axum::middleware::from_fn(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Every log line of a request carries its id (the `x-request-id` it came with, or the
/// one given to it, which goes back in the response), method and path.
async fn request_span(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use tracing::Instrument;
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    next.run(req).instrument(span).await
}

/// What a page may load and who may frame it: only yiwang's own script, styles and
/// images (maps are inline SVG, photos come from `/uploads`), no plugins, no framing,
/// forms posted only to yiwang. Inline `style` attributes (a bar's width, a colour
/// swatch) are allowed; inline scripts are not.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The keys yiwang signs with (checkpoints of the record), current and retired: for
/// anyone checking a signature without access to the server.
async fn public_keys(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<Vec<yiwang_app::keyring::PublicKey>> {
    // The keys the server was given, else the app's own keyring (which the CLI makes
    // the same one).
    match state.public_keys.is_empty() {
        true => axum::Json(state.app.config().keyring.public_keys()),
        false => axum::Json(state.public_keys.as_ref().clone()),
    }
}

async fn healthz() -> &'static str {
    "ok"
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    net::serve(listener, router(app), &WebConfig::default(), shutdown).await
}

/// Serves `/metrics` alone, without authentication, until `shutdown` resolves: for
/// an address of its own (`--metrics-listen`), reachable only by the monitoring.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    net::serve(listener, metrics::router(app), &WebConfig::default(), shutdown).await
}

/// As `serve`, set up by `config`.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    config: WebConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    net::serve(listener, router_with(app, &config), &config, shutdown).await
}
