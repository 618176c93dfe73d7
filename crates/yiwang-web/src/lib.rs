//! yiwang-web: the HTTP face of yiwang. The JSON API under `/api/v1` with its OpenAPI
//! document; later the Open311 API, the citizen portal and the staff console.
//!
//! It holds no business rules: handlers parse input, call one use case of
//! `yiwang_app::App` (on a blocking thread, as the use cases read and wait for
//! commits; intake, which only waits for its commit, is awaited instead), and turn
//! the result or the `ApiError` into a response.

mod appeal;
mod auth;
mod citizen;
mod dispatch;
mod error;
mod knowledge;
mod measure;
mod open311;
mod openapi;
mod overload;
mod queue;
mod reference;
mod search;
mod session;
mod task;
mod ui;

pub use error::ApiError;

use axum::Router;
use axum::routing::get;
use std::sync::Arc;
use yiwang_app::App;

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    /// Where the portal stores citizens' photos; `None` refuses uploads.
    pub uploads_dir: Option<Arc<std::path::PathBuf>>,
}

impl AppState {
    /// Runs a use case on the blocking pool and maps its error.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&App) -> yiwang_app::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let app = self.app.clone();
        match tokio::task::spawn_blocking(move || f(&app)).await {
            Ok(r) => r.map_err(ApiError::from),
            Err(e) => Err(ApiError::from(yiwang_app::AppError::Internal(format!("task failed: {e}")))),
        }
    }
}

/// The whole HTTP surface, without a directory for uploaded photos.
pub fn router(app: Arc<App>) -> Router {
    router_with_uploads(app, None)
}

/// The whole HTTP surface; the portal keeps photos in `uploads_dir`.
pub fn router_with_uploads(app: Arc<App>, uploads_dir: Option<std::path::PathBuf>) -> Router {
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
        .merge(open311::admin_router())
        .merge(openapi::router());
    let routes = Router::new()
        .nest("/api/v1", api)
        .nest("/open311/v2", open311::router())
        .merge(ui::router())
        .fallback(not_found);
    overload::limit_in_flight(routes, overload::MAX_IN_FLIGHT)
        .route("/healthz", get(healthz))
        .with_state(AppState { app, uploads_dir: uploads_dir.map(Arc::new) })
}

async fn healthz() -> &'static str {
    "ok"
}

async fn not_found() -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "没有这个地址")
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_uploads(listener, app, None, shutdown).await
}

/// As `serve`, with a directory for the photos citizens upload.
pub async fn serve_with_uploads(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    uploads_dir: Option<std::path::PathBuf>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router_with_uploads(app, uploads_dir)).with_graceful_shutdown(shutdown).await
}
