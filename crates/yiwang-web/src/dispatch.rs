//! Dispatch intelligence: suggestions at intake, hot topics, the place gazetteer.

use crate::auth::{Body, Params, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yiwang_app::{DispatchSuggestion, SuggestInput, TopicsReport};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dispatch/suggest", post(suggest_dispatch))
        .route("/topics", get(get_topics))
        .route("/places", get(complete_place))
}

/// While the operator types: the area, the three likeliest categories with their
/// confidence and the unit each routes to (or `unsure`), and likely duplicates.
#[utoipa::path(post, path = "/api/v1/dispatch/suggest", tag = "dispatch", request_body = SuggestInput,
    responses((status = 200, body = DispatchSuggestion), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn suggest_dispatch(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(input): Body<SuggestInput>,
) -> Result<Json<DispatchSuggestion>, ApiError> {
    Ok(Json(state.run(move |app| app.suggest_dispatch(&auth.actor, &input)).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TopicParams {
    /// `YYYY-MM`: the month (default: the current month).
    pub month: Option<String>,
}

/// 每月一题: the month's appeals grouped into topics, ranked by size and growth, each
/// with keywords and representative appeals.
#[utoipa::path(get, path = "/api/v1/topics", tag = "dispatch", params(TopicParams),
    responses((status = 200, body = TopicsReport), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_topics(
    State(state): State<AppState>,
    auth: StaffAuth,
    Params(p): Params<TopicParams>,
) -> Result<Json<TopicsReport>, ApiError> {
    let report = state
        .run(move |app| {
            let month = match p.month {
                Some(m) => m,
                None => yiwang_core::measure::month_of(app.now()),
            };
            let (from, to) = yiwang_core::measure::month_bounds(&month)
                .ok_or_else(|| yiwang_app::AppError::invalid("month", "月份格式应为 YYYY-MM，例如 2026-11"))?;
            app.hot_topics(&auth.actor, from, to)
        })
        .await?;
    Ok(Json(report))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PlaceParams {
    pub q: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PlaceView {
    pub name: String,
    pub kind: String,
    pub area: String,
    pub area_name: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// Named places (roads, compounds, landmarks) matching what is typed.
#[utoipa::path(get, path = "/api/v1/places", tag = "dispatch", params(PlaceParams),
    responses((status = 200, body = [PlaceView])), security(("bearer" = [])))]
pub async fn complete_place(
    State(state): State<AppState>,
    _auth: StaffAuth,
    Params(p): Params<PlaceParams>,
) -> Json<Vec<PlaceView>> {
    let r = state.app.reference();
    Json(
        state
            .app
            .complete_place(&p.q, 10)
            .into_iter()
            .map(|pl| PlaceView {
                area_name: yiwang_core::id::UnitCode::parse(&pl.area).map(|u| r.unit_name(&u)).unwrap_or_default(),
                name: pl.name,
                kind: pl.kind,
                area: pl.area,
                lon: pl.lon,
                lat: pl.lat,
            })
            .collect(),
    )
}
