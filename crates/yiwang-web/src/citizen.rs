//! What a citizen can do without an account: follow an appeal with its tracking code
//! and phone number, and answer the callback.

use crate::auth::Body;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use yiwang_app::PublicView;
use yiwang_core::appeal::{CallbackAnswer, Satisfaction};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/track", post(track_appeal))
        .route("/track/callback", post(answer_callback))
        .route("/track/resend-code", post(resend_code))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TrackRequest {
    pub tracking_code: String,
    /// The phone number given at intake (not needed for anonymous appeals).
    #[serde(default)]
    pub phone: String,
}

/// Status, public timeline and reply of an appeal. POST keeps the phone number out
/// of URLs and logs.
#[utoipa::path(post, path = "/api/v1/track", tag = "citizen", request_body = TrackRequest,
    responses((status = 200, body = PublicView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn track_appeal(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    Body(req): Body<TrackRequest>,
) -> Result<Json<PublicView>, ApiError> {
    Ok(Json(state.run(move |app| app.track(&req.tracking_code, &req.phone, addr.0.as_deref())).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CallbackRequest {
    pub tracking_code: String,
    #[serde(default)]
    pub phone: String,
    pub solved: bool,
    pub satisfaction: Satisfaction,
    #[serde(default)]
    pub note: Option<String>,
}

/// The citizen's own answer to the callback: solved or not, and how satisfied.
#[utoipa::path(post, path = "/api/v1/track/callback", tag = "citizen", request_body = CallbackRequest,
    responses((status = 200, body = PublicView), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn answer_callback(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    Body(req): Body<CallbackRequest>,
) -> Result<Json<PublicView>, ApiError> {
    let answer = CallbackAnswer { solved: req.solved, satisfaction: req.satisfaction };
    let a = addr.0;
    Ok(Json(
        state
            .run(move |app| app.citizen_callback(&req.tracking_code, &req.phone, answer, req.note, a.as_deref()))
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResendRequest {
    /// The case number (工单号), e.g. YW20261120000001.
    pub case_id: String,
    /// The phone number given at intake.
    pub phone: String,
}

/// A lost tracking code, sent again by SMS to the phone on file when the case number
/// and phone match. Always 202: the answer never tells whether they did.
#[utoipa::path(post, path = "/api/v1/track/resend-code", tag = "citizen", request_body = ResendRequest,
    responses((status = 202), (status = 429, body = crate::error::ErrorBody)))]
pub async fn resend_code(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    Body(req): Body<ResendRequest>,
) -> Result<axum::http::StatusCode, ApiError> {
    state.run(move |app| app.resend_tracking_code(&req.case_id, &req.phone, addr.0.as_deref())).await?;
    Ok(axum::http::StatusCode::ACCEPTED)
}
