//! 一件事一次办 over JSON: the bundles of the catalogue (public, as the guide is),
//! registering a bundle at the window, a bundle with its parts, and the commands a
//! person may give a bundle (a leader's extension, a withdrawal at the window). The
//! parts are applications: their commands go to `/api/v1/applications/{id}/actions`.

use crate::appeal::case_id;
use crate::auth::{Body, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use yiwang_app::{BundleGuide, BundleInput, BundleView};
use yiwang_core::bundle::{BundleDef, Command};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bundle-catalogue", get(list_bundle_catalogue))
        .route("/bundle-catalogue/{code}", get(get_bundle_guide))
        .route("/bundles", post(register_bundle))
        .route("/bundles/{id}", get(get_bundle))
        .route("/bundles/{id}/actions", post(act_on_bundle))
}

/// The bundles (一件事) of the catalogue, each at its current version. Public.
#[utoipa::path(get, path = "/api/v1/bundle-catalogue", tag = "bundles",
    responses((status = 200, body = Vec<BundleDef>)))]
pub async fn list_bundle_catalogue(State(state): State<AppState>) -> Result<Json<Vec<BundleDef>>, ApiError> {
    Ok(Json(state.run(move |app| app.bundles()).await?))
}

/// One bundle's guide: its parts' services, the questions that choose them, the
/// shared form and the materials once, the committed time. Public.
#[utoipa::path(get, path = "/api/v1/bundle-catalogue/{code}", tag = "bundles", params(("code" = String, Path)),
    responses((status = 200, body = BundleGuide), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_bundle_guide(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<BundleGuide>, ApiError> {
    Ok(Json(state.run(move |app| app.bundle_guide(&code)).await?))
}

/// 一件事收件: a clerk registers a bundle, the applicant present. The answers choose
/// the parts; every chosen part is checked as it will be filed before anything is
/// stored; then one application per part is filed for its department, each marked
/// with the bundle.
#[utoipa::path(post, path = "/api/v1/bundles", tag = "bundles", request_body = BundleInput,
    responses((status = 201, body = BundleView), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn register_bundle(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(input): Body<BundleInput>,
) -> Result<(StatusCode, Json<BundleView>), ApiError> {
    for m in &input.materials {
        crate::ui::refuse_stored_uploads("materials", &m.files)?;
    }
    let v = state.run(move |app| app.register_bundle(&auth.actor, input)).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A bundle with its parts (each part's status and clock) and its own clocks, for the
/// window that registered it, the departments of its parts and leaders.
#[utoipa::path(get, path = "/api/v1/bundles/{id}", tag = "bundles", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = BundleView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_bundle(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<BundleView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.bundle_view(&auth.actor, &id)).await?))
}

/// One command on a bundle: `{"action": "extend", "days": 15, "reason": "…"}` (§42
/// para 2, by a district leader) or `{"action": "withdraw"}` (at the window that
/// registered it; the parts not yet decided end). What happens to the parts is the
/// system's to record.
#[utoipa::path(post, path = "/api/v1/bundles/{id}/actions", tag = "bundles", request_body = Command,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = BundleView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn act_on_bundle(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(command): Body<Command>,
) -> Result<Json<BundleView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.act_bundle(&auth.actor, &id, &command)).await?))
}
