//! Appeals: intake, one case, and one command per call on it.

use crate::auth::{Body, MaybeStaff, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use yiwang_app::{CaseView, IntakeInput, Receipt};
use yiwang_core::appeal::Action;
use yiwang_core::id::CaseId;
use yiwang_core::org::Actor;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/appeals", post(create_appeal))
        .route("/appeals/{id}", get(get_appeal))
        .route("/appeals/{id}/actions", post(act_on_appeal))
        .route("/appeals/{id}/reveal-phone", post(reveal_phone))
}

pub(crate) fn case_id(s: &str) -> Result<CaseId, ApiError> {
    CaseId::parse(s).map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("工单 {s} 不存在")))
}

/// 受理: register an appeal. Staff send their token (hotline, grid patrol, import);
/// without a token the caller is the citizen, and only the `web` and `app` channels
/// are open to them. Answers 201 with the case number and the tracking code.
#[utoipa::path(post, path = "/api/v1/appeals", tag = "appeals", request_body = IntakeInput,
    responses((status = 201, body = Receipt), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_appeal(
    State(state): State<AppState>,
    MaybeStaff(staff): MaybeStaff,
    Body(input): Body<IntakeInput>,
) -> Result<(StatusCode, Json<Receipt>), ApiError> {
    let actor = staff.map(|s| s.actor).unwrap_or(Actor::Citizen);
    crate::ui::refuse_stored_uploads("attachments", &input.attachments)?;
    // Awaited here rather than run on the blocking pool: intake does no IO but its
    // commit, and awaiting that holds no thread.
    let r = state.app.intake(&actor, &input).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// One case: state, unit, deadlines and every event. The citizen is masked.
#[utoipa::path(get, path = "/api/v1/appeals/{id}", tag = "appeals", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = CaseView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_appeal(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.case_view(&auth.actor, &id)).await?))
}

/// One command on a case, e.g. `{"action": "dispatch", "category": "cxjs-02"}`.
/// Names follow the glossary: dispatch, sign_for, return, reassign, summon,
/// report_in, answer_part, contact, request_extension, decide_extension, remind,
/// supervise, suspend, resume, reply, callback, reopen, close, merge, answer_directly.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/actions", tag = "appeals", request_body = Action,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = CaseView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn act_on_appeal(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(action): Body<Action>,
) -> Result<Json<CaseView>, ApiError> {
    let id = case_id(&id)?;
    let view = state
        .run(move |app| {
            app.act(&auth.actor, &id, &action)?;
            app.case_view(&auth.actor, &id)
        })
        .await?;
    Ok(Json(view))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RevealedPhone {
    pub phone: Option<String>,
}

/// Shows the citizen's full phone number. Every reveal is recorded (who, when, which case).
#[utoipa::path(post, path = "/api/v1/appeals/{id}/reveal-phone", tag = "appeals", params(("id" = String, Path)),
    responses((status = 200, body = RevealedPhone), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn reveal_phone(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<RevealedPhone>, ApiError> {
    let id = case_id(&id)?;
    let phone = state.run(move |app| app.reveal_phone(&auth.actor, &id)).await?;
    Ok(Json(RevealedPhone { phone }))
}
