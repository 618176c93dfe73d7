//! yiwang-web: the HTTP face of yiwang. The JSON API under `/api/v1` with its OpenAPI
//! document; later the Open311 API, the citizen portal and the staff console.
//!
//! It holds no business rules: handlers parse input, call one use case of
//! `yiwang_app::App` (on a blocking thread: the use cases wait for commits), and turn
//! the result or the `ApiError` into a response.

mod appeal;
mod auth;
mod citizen;
mod error;
mod measure;
mod openapi;
mod queue;
mod reference;
mod session;

pub use error::ApiError;

use axum::Router;
use axum::routing::get;
use std::sync::Arc;
use yiwang_app::App;

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
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

/// The whole HTTP surface.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .merge(session::router())
        .merge(appeal::router())
        .merge(queue::router())
        .merge(measure::router())
        .merge(citizen::router())
        .merge(reference::router())
        .merge(openapi::router());
    Router::new().route("/healthz", get(healthz)).nest("/api/v1", api).fallback(not_found).with_state(AppState { app })
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
    axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await
}
