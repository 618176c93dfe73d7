//! 网格巡查 over JSON: a grid worker starts a patrol, sends route points, reports what
//! they find (fixed on the spot, or an appeal for dispatch) and ends it; the street
//! sees its grids' coverage.

use crate::appeal::case_id;
use crate::auth::{Body, Params, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yiwang_app::{Coverage, PatrolView, ProblemInput};
use yiwang_core::id::{CaseId, UnitCode};
use yiwang_core::patrol::RoutePoint;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/patrols", post(start))
        .route("/patrols/current", get(current))
        .route("/patrols/{id}", get(get_patrol))
        .route("/patrols/{id}/track", post(track))
        .route("/patrols/{id}/problems", post(problem))
        .route("/patrols/{id}/end", post(end))
        .route("/patrol-coverage", get(coverage))
}

/// 开始巡查 (a grid worker, in their grid). 409 while another of theirs runs.
#[utoipa::path(post, path = "/api/v1/patrols", tag = "patrols",
    responses((status = 201, body = PatrolView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn start(State(state): State<AppState>, auth: StaffAuth) -> Result<(StatusCode, Json<PatrolView>), ApiError> {
    let v = state
        .run(move |app| {
            let p = app.start_patrol(&auth.actor)?;
            app.patrol_view(&auth.actor, &p.id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The caller's patrol now running; 404 when there is none.
#[utoipa::path(get, path = "/api/v1/patrols/current", tag = "patrols",
    responses((status = 200, body = PatrolView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn current(State(state): State<AppState>, auth: StaffAuth) -> Result<Json<PatrolView>, ApiError> {
    let v = state
        .run(move |app| match app.active_patrol(&auth.actor)? {
            Some(p) => app.patrol_view(&auth.actor, &p.id),
            None => Err(yiwang_app::AppError::NotFound("进行中的巡查")),
        })
        .await?;
    Ok(Json(v))
}

/// One patrol: route, problems, time and length.
#[utoipa::path(get, path = "/api/v1/patrols/{id}", tag = "patrols", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = PatrolView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_patrol(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<PatrolView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.patrol_view(&auth.actor, &id)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TrackInput {
    /// Route points since the last call, oldest first (at most 500).
    pub points: Vec<RoutePoint>,
    /// The phone's clock when it sent them: the points' times are corrected by its
    /// difference to the server's clock. Without it they are taken as they are.
    #[serde(default)]
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Route points from the phone.
#[utoipa::path(post, path = "/api/v1/patrols/{id}/track", tag = "patrols", request_body = TrackInput,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = PatrolView), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn track(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(input): Body<TrackInput>,
) -> Result<Json<PatrolView>, ApiError> {
    let id = case_id(&id)?;
    let v = state
        .run(move |app| {
            app.track_patrol(&auth.actor, &id, input.points, input.sent_at)?;
            app.patrol_view(&auth.actor, &id)
        })
        .await?;
    Ok(Json(v))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemDone {
    pub patrol: PatrolView,
    /// The appeal a reported problem became (none when fixed on the spot).
    pub case_id: Option<CaseId>,
}

/// A problem found: `fixed` (已当场处置) keeps it on the patrol; otherwise it becomes
/// an appeal of the grid-patrol channel, waiting for dispatch. Photos are uploaded
/// through the console's form; names of stored files are refused here.
#[utoipa::path(post, path = "/api/v1/patrols/{id}/problems", tag = "patrols", request_body = ProblemInput,
    params(("id" = String, Path, description = "case number")),
    responses((status = 201, body = ProblemDone), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn problem(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(input): Body<ProblemInput>,
) -> Result<(StatusCode, Json<ProblemDone>), ApiError> {
    let id = case_id(&id)?;
    crate::ui::refuse_stored_uploads("photos", &input.photos)?;
    let done = state
        .run(move |app| {
            let (_, case_id) = app.patrol_problem(&auth.actor, &id, input)?;
            Ok(ProblemDone { patrol: app.patrol_view(&auth.actor, &id)?, case_id })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// 结束巡查.
#[utoipa::path(post, path = "/api/v1/patrols/{id}/end", tag = "patrols", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = PatrolView), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn end(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<PatrolView>, ApiError> {
    let id = case_id(&id)?;
    let v = state
        .run(move |app| {
            app.end_patrol(&auth.actor, &id)?;
            app.patrol_view(&auth.actor, &id)
        })
        .await?;
    Ok(Json(v))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CoverageParams {
    /// The street (default: the caller's own).
    pub street: Option<String>,
    /// `YYYY-MM` (default: the current month).
    pub month: Option<String>,
}

/// 巡查覆盖: a street's grids in a month, each with its patrols, time, length and
/// problems; grids nobody patrolled are listed too.
#[utoipa::path(get, path = "/api/v1/patrol-coverage", tag = "patrols", params(CoverageParams),
    responses((status = 200, body = Coverage), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn coverage(
    State(state): State<AppState>,
    auth: StaffAuth,
    Params(p): Params<CoverageParams>,
) -> Result<Json<Coverage>, ApiError> {
    let street = p
        .street
        .filter(|s| !s.is_empty())
        .map(|s| UnitCode::parse(&s).map_err(|_| ApiError::invalid("street", "街道编码不正确")))
        .transpose()?;
    let c = state
        .run(move |app| {
            let month = p.month.unwrap_or_else(|| yiwang_core::measure::month_of(app.now()));
            let (from, to) = yiwang_core::measure::month_bounds(&month)
                .ok_or_else(|| yiwang_app::AppError::invalid("month", "月份格式应为 YYYY-MM，例如 2026-11"))?;
            app.patrol_coverage(&auth.actor, street.as_ref(), from, to)
        })
        .await?;
    Ok(Json(c))
}
