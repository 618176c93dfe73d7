//! 实时推送 subscriptions for the hotline centre (`yiwang_app::webhook`): a unit's
//! system subscribes, its secret is rotated, it is disabled, and dead-lettered
//! deliveries are replayed (重放) or skipped (跳过).

use crate::auth::StaffAuth;
use crate::outbox::Entry;
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use yiwang_app::webhook::{WebhookInput, WebhookSecret, WebhookView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list_webhooks).post(add_webhook))
        .route("/webhooks/{id}/rotate", post(rotate_webhook))
        .route("/webhooks/{id}/disable", post(disable_webhook))
        .route("/webhooks/{id}/enable", post(enable_webhook))
        .route("/webhooks/dead-letters", get(dead_letters))
        .route("/webhooks/dead-letters/{id}/replay", post(replay))
        .route("/webhooks/dead-letters/{id}/skip", post(skip))
}

/// The subscriptions (hotline centre); secrets are never listed.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = [WebhookView]), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_webhooks(State(state): State<AppState>, auth: StaffAuth) -> Result<Json<Vec<WebhookView>>, ApiError> {
    Ok(Json(state.run(move |app| app.webhooks(&auth.actor)).await?))
}

/// Subscribes a unit's system; answers the signing secret (`whsec_…`), shown once.
/// A URL that resolves to a loopback, link-local, private or cloud-metadata address
/// outside the configured networks is refused (`webhook_url_refused`).
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookInput,
    responses((status = 201, body = WebhookSecret), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn add_webhook(
    State(state): State<AppState>,
    auth: StaffAuth,
    Json(input): Json<WebhookInput>,
) -> Result<(StatusCode, Json<WebhookSecret>), ApiError> {
    let made = state.run(move |app| app.add_webhook(&auth.actor, &input)).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// A new signing secret; the old one signs too for 24 hours.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate", tag = "webhooks",
    responses((status = 200, body = WebhookSecret), (status = 404, body = crate::error::ErrorBody)))]
pub async fn rotate_webhook(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<u32>,
) -> Result<Json<WebhookSecret>, ApiError> {
    Ok(Json(state.run(move |app| app.rotate_webhook(&auth.actor, id)).await?))
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/disable", tag = "webhooks",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn disable_webhook(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<u32>,
) -> Result<StatusCode, ApiError> {
    state.run(move |app| app.set_webhook_enabled(&auth.actor, id, false)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/webhooks/{id}/enable", tag = "webhooks",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn enable_webhook(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<u32>,
) -> Result<StatusCode, ApiError> {
    state.run(move |app| app.set_webhook_enabled(&auth.actor, id, true)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeadQuery {
    pub limit: Option<u32>,
}

/// Deliveries given up after the retry schedule, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/dead-letters", tag = "webhooks", params(DeadQuery),
    responses((status = 200, body = [Entry]), (status = 403, body = crate::error::ErrorBody)))]
pub async fn dead_letters(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(q): Query<DeadQuery>,
) -> Result<Json<Vec<Entry>>, ApiError> {
    let rows = state.run(move |app| app.webhook_dead_letters(&auth.actor, q.limit.unwrap_or(100))).await?;
    Ok(Json(rows.into_iter().map(Entry::from).collect()))
}

/// 重放: tried again at the next pass, with the later events of its case.
#[utoipa::path(post, path = "/api/v1/webhooks/dead-letters/{id}/replay", tag = "webhooks",
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.run(move |app| app.replay_webhook(&auth.actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 跳过: given up for good; the later events of its case go on.
#[utoipa::path(post, path = "/api/v1/webhooks/dead-letters/{id}/skip", tag = "webhooks",
    responses((status = 204), (status = 422, body = crate::error::ErrorBody)))]
pub async fn skip(State(state): State<AppState>, auth: StaffAuth, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    state.run(move |app| app.skip_webhook(&auth.actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
