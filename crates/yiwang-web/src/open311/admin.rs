//! The administrator's API for Open311 client apps' keys: issue (the key is shown
//! once), list (never the keys), revoke. Role `admin`.

use crate::auth::{Body, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use yiwang_app::{ApiKeyView, IssuedApiKey};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/api-keys", get(list_api_keys).post(issue_api_key))
        .route("/admin/api-keys/{id}", delete(revoke_api_key))
}

#[derive(Deserialize)]
pub struct NewApiKey {
    /// The client app the key is for, e.g. "区政务App".
    pub name: String,
}

/// Issues a key to a client app; answers 201 with the key, which is not shown again.
pub async fn issue_api_key(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(req): Body<NewApiKey>,
) -> Result<(StatusCode, Json<IssuedApiKey>), ApiError> {
    let k = state.run(move |app| app.issue_api_key(&auth.actor, &req.name)).await?;
    Ok((StatusCode::CREATED, Json(k)))
}

/// Every key issued, revoked ones too, without the keys themselves.
pub async fn list_api_keys(State(state): State<AppState>, auth: StaffAuth) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
    Ok(Json(state.run(move |app| app.api_keys(&auth.actor)).await?))
}

/// Revokes a key; its client's posts are refused from then on.
pub async fn revoke_api_key(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 =
        id.parse().map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("API 密钥 {id} 不存在")))?;
    state.run(move |app| app.revoke_api_key(&auth.actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
