//! Appeals: intake, one case, one command per call on it, and the photos of the work
//! done that a reply then carries.

use crate::auth::{Body, MaybeStaff, StaffAuth};
use crate::idempotency::{self, IdempotencyHeader};
use crate::security::ClientAddr;
use crate::{ApiError, AppState};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::http::{HeaderName, HeaderValue};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use yiwang_app::{AppError, CaseView, IdempotencyKey, IntakeInput, Receipt};
use yiwang_core::appeal::Action;
use yiwang_core::id::CaseId;
use yiwang_core::org::Actor;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/appeals", post(create_appeal))
        .route("/appeals/{id}", get(get_appeal))
        .route("/appeals/{id}/actions", post(act_on_appeal))
        .route("/appeals/{id}/photos", post(upload_photo).layer(DefaultBodyLimit::max(crate::ui::API_PHOTO_LIMIT)))
        .route("/appeals/{id}/reveal-phone", post(reveal_phone))
}

pub(crate) fn case_id(s: &str) -> Result<CaseId, ApiError> {
    CaseId::parse(s).map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("工单 {s} 不存在")))
}

/// 受理: register an appeal. Staff send their token (hotline, grid patrol, import);
/// without a token the caller is the citizen, and only the `web` and `app` channels
/// are open to them. Answers 201 with the case number and the tracking code.
#[utoipa::path(post, path = "/api/v1/appeals", tag = "appeals", request_body = IntakeInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "a fresh key per request, the same for its retries: a retry answers the case the first try made")),
    responses((status = 201, body = Receipt), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_appeal(
    State(state): State<AppState>,
    MaybeStaff(staff): MaybeStaff,
    ClientAddr(addr): ClientAddr,
    idempotency: IdempotencyHeader,
    Body(input): Body<IntakeInput>,
) -> Result<(StatusCode, [(HeaderName, HeaderValue); 1], Json<Receipt>), ApiError> {
    let scope = match &staff {
        Some(s) => idempotency::staff_scope(&s.staff.username),
        None => idempotency::client_scope(addr.as_deref()),
    };
    let actor = staff.map(|s| s.actor).unwrap_or(Actor::Citizen);
    crate::ui::refuse_stored_uploads("attachments", &input.attachments)?;
    let key = idempotency.key(scope, "POST /api/v1/appeals", &input);
    // A retry: what the first try made, looked up on the blocking pool.
    let replay = |key: IdempotencyKey| state.run(move |app| app.replay_intake(&key));
    if let Some(k) = key.clone()
        && let Some(r) = replay(k).await?
    {
        return Ok((StatusCode::CREATED, idempotency::replayed(), Json(r)));
    }
    // Awaited here rather than run on the blocking pool: intake does no IO but its
    // commit, and awaiting that holds no thread.
    match state.app.intake_keyed(&actor, &input, key.as_ref()).await {
        // A concurrent retry used the key first: answer what it made.
        Err(AppError::IdempotencyKeyUsed) if key.is_some() => match replay(key.expect("checked")).await? {
            Some(r) => Ok((StatusCode::CREATED, idempotency::replayed(), Json(r))),
            None => Err(AppError::IdempotencyKeyUsed.into()),
        },
        r => Ok((StatusCode::CREATED, fresh(), Json(r?))),
    }
}

/// The header of an answer that replays nothing.
fn fresh() -> [(HeaderName, HeaderValue); 1] {
    [(idempotency::REPLAYED, HeaderValue::from_static("false"))]
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
/// A reply's `photos` are names `POST /api/v1/appeals/{id}/photos` gave for this case;
/// any other name (another case's upload, a citizen's photo) is refused.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/actions", tag = "appeals", request_body = Action,
    params(("id" = String, Path, description = "case number"),
        ("Idempotency-Key" = Option<String>, Header, description = "a fresh key per command, the same for its retries: a retry does not run it again")),
    responses((status = 200, body = CaseView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn act_on_appeal(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    idempotency: IdempotencyHeader,
    Body(action): Body<Action>,
) -> Result<([(HeaderName, HeaderValue); 1], Json<CaseView>), ApiError> {
    let key = idempotency.key(
        idempotency::staff_scope(&auth.staff.username),
        &format!("POST /api/v1/appeals/{id}/actions"),
        &action,
    );
    let id = case_id(&id)?;
    if let Action::Reply { photos, .. } = &action {
        crate::ui::refuse_foreign_photos(&state, &id, photos).await?;
    }
    let (replayed, view) = state
        .run(move |app| {
            let (_, replayed) = app.act_keyed(&auth.actor, &id, &action, key.as_ref())?;
            Ok::<_, AppError>((replayed, app.case_view(&auth.actor, &id)?))
        })
        .await?;
    Ok((idempotency::replayed_header(replayed), Json(view)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UploadedPhoto {
    /// The name a `reply` on this case carries in `photos`.
    pub photo: String,
}

/// Uploads a photo of the work done (处置后照片) for the reply to this case: the body is
/// the picture itself (JPEG, PNG or WebP, at most 5 MB). Answers 201 with its name,
/// which a `reply` on this case, and on no other, may then carry in `photos` (at most
/// 3). Only who may reply to the case now may upload.
#[utoipa::path(post, path = "/api/v1/appeals/{id}/photos", tag = "appeals", params(("id" = String, Path, description = "case number")),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "the photo: JPEG, PNG or WebP, at most 5 MB"),
    responses((status = 201, body = UploadedPhoto), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn upload_photo(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<UploadedPhoto>), ApiError> {
    let id = case_id(&id)?;
    let case = id.clone();
    state.run(move |app| app.may_reply(&auth.actor, &case)).await?;
    let Some(kind) = crate::ui::photo_kind(&body) else {
        return Err(ApiError::invalid("photo", "不是JPEG、PNG或WebP格式的图片"));
    };
    if body.len() > crate::ui::MAX_PHOTO_BYTES {
        return Err(ApiError::invalid("photo", "照片不能超过5MB"));
    }
    let Some(dir) = state.uploads_dir.clone() else {
        return Err(ApiError::invalid("photo", "本站未配置上传目录，暂不接收照片"));
    };
    match crate::ui::save_case_upload(&state, &dir, &id, &body, kind).await {
        Ok((photo, _)) => Ok((StatusCode::CREATED, Json(UploadedPhoto { photo }))),
        Err(e) => {
            tracing::error!(error = %e, dir = %dir.display(), "storing a reply's photo");
            Err(yiwang_app::AppError::Internal(format!("storing an upload: {e}")).into())
        }
    }
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
