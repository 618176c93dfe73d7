//! 双随机一公开 over JSON: the registers (`/supervision`), plans (`/plans`: draft,
//! commit, draw with a beacon round, redraw with a reason, publish, close), and the
//! public draw records anyone may download and re-verify (`/draws`).

use crate::appeal::case_id;
use crate::auth::{Body, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use yiwang_app::{PlanInput, PlanRow, PlanView, SupervisionReport};
use yiwang_core::plan::{Beacon, DrawRecord, Registers};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/supervision", get(get_supervision).put(load_supervision))
        .route("/plans", get(list_plans).post(create_plan))
        .route("/plans/{id}", get(get_plan))
        .route("/plans/{id}/actions", post(act_on_plan))
        .route("/draws", get(list_draws))
        .route("/draws/{id}/{number}", get(get_draw_record))
}

/// The 随机抽查事项清单 and the 执法检查人员名录, for staff.
#[utoipa::path(get, path = "/api/v1/supervision", tag = "supervision",
    responses((status = 200, body = Registers)), security(("bearer" = [])))]
pub async fn get_supervision(State(state): State<AppState>, _auth: StaffAuth) -> Result<Json<Registers>, ApiError> {
    Ok(Json(state.run(move |app| app.supervision()).await?))
}

/// Loads `supervision.toml` (an administrator): every bad entry named, nothing
/// stored of a bad file.
#[utoipa::path(put, path = "/api/v1/supervision", tag = "supervision",
    request_body(content = String, content_type = "application/toml", description = "[[matter]] and [[inspector]] tables"),
    responses((status = 200, body = SupervisionReport), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn load_supervision(
    State(state): State<AppState>,
    auth: StaffAuth,
    text: String,
) -> Result<Json<SupervisionReport>, ApiError> {
    Ok(Json(state.run(move |app| app.load_supervision(&auth.actor, &text)).await?))
}

/// The plans the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/plans", tag = "supervision",
    responses((status = 200, body = Vec<PlanRow>)), security(("bearer" = [])))]
pub async fn list_plans(State(state): State<AppState>, auth: StaffAuth) -> Result<Json<Vec<PlanRow>>, ApiError> {
    Ok(Json(state.run(move |app| app.plans(&auth.actor)).await?))
}

/// 制定抽查计划 (a 监管人员, from matters of their department; a joint plan adds
/// other departments' matters).
#[utoipa::path(post, path = "/api/v1/plans", tag = "supervision", request_body = PlanInput,
    responses((status = 201, body = PlanView), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_plan(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(input): Body<PlanInput>,
) -> Result<(StatusCode, Json<PlanView>), ApiError> {
    let v = state
        .run(move |app| {
            let p = app.create_plan(&auth.actor, input)?;
            app.plan_view(&auth.actor, &p.id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "supervision", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = PlanView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_plan(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<PlanView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.plan_view(&auth.actor, &id)).await?))
}

/// What a plan's department does with it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum PlanAction {
    /// 承诺: fixes the snapshot and commits to the secret seed; `round` (a drand
    /// quicknet round after now) defaults to 10 minutes ahead.
    Commit {
        #[serde(default)]
        round: Option<u64>,
    },
    /// 抽取: the committed round, as published by drand (`round`, `signature` hex).
    Draw {
        round: u64,
        signature: String,
    },
    /// 重新抽取: a new commitment, with its reason; the old draw stays.
    Redraw {
        reason: String,
        #[serde(default)]
        round: Option<u64>,
    },
    /// 下达: the draw is final; its inspections are opened.
    Publish,
    Close {
        reason: String,
    },
}

#[utoipa::path(post, path = "/api/v1/plans/{id}/actions", tag = "supervision", request_body = PlanAction,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = PlanView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn act_on_plan(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(action): Body<PlanAction>,
) -> Result<Json<PlanView>, ApiError> {
    let id = case_id(&id)?;
    let v = state
        .run(move |app| {
            let a = &auth.actor;
            match action {
                PlanAction::Commit { round } => app.commit_plan(a, &id, round, None)?,
                PlanAction::Redraw { reason, round } => app.commit_plan(a, &id, round, Some(reason))?,
                PlanAction::Draw { round, signature } => app.draw_plan(a, &id, Beacon { round, signature })?,
                PlanAction::Publish => app.publish_plan(a, &id)?,
                PlanAction::Close { reason } => app.close_plan(a, &id, &reason)?,
            };
            app.plan_view(a, &id)
        })
        .await?;
    Ok(Json(v))
}

/// The drawn plans (一公开), for anyone.
#[utoipa::path(get, path = "/api/v1/draws", tag = "supervision", responses((status = 200, body = Vec<PlanRow>)))]
pub async fn list_draws(State(state): State<AppState>) -> Result<Json<Vec<PlanRow>>, ApiError> {
    Ok(Json(state.run(move |app| app.public_plans()).await?))
}

/// A draw's published record, byte for byte the file `yiwang verify-draw` checks.
#[utoipa::path(get, path = "/api/v1/draws/{id}/{number}", tag = "supervision",
    params(("id" = String, Path, description = "plan's case number"), ("number" = u32, Path, description = "1 for the first draw")),
    responses((status = 200, body = DrawRecord), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_draw_record(
    State(state): State<AppState>,
    Path((id, number)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    let id = case_id(&id)?;
    let name = format!("draw-{id}-{number}.json");
    let r = state.run(move |app| app.draw_record(&id, number)).await?;
    Ok(record_response(&r, &name))
}

pub(crate) fn record_response(r: &DrawRecord, name: &str) -> Response {
    let mut resp = (StatusCode::OK, r.to_bytes()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
