//! The monthly measures.

use crate::auth::StaffAuth;
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use yiwang_app::MonthMeasures;

pub fn router() -> Router<AppState> {
    Router::new().route("/measures/{month}", get(get_measures))
}

/// The three rates (响应率, 解决率, 满意率), on-time rate, volumes and score per unit for
/// a month (`YYYY-MM`), with the ranking of streets and of departments. The
/// definitions are in the README and in `yiwang_core::measure`.
#[utoipa::path(get, path = "/api/v1/measures/{month}", tag = "measures", params(("month" = String, Path, example = "2026-11")),
    responses((status = 200, body = MonthMeasures), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_measures(
    State(state): State<AppState>,
    _auth: StaffAuth,
    Path(month): Path<String>,
) -> Result<Json<MonthMeasures>, ApiError> {
    Ok(Json(state.run(move |app| app.measures(&month)).await?))
}
