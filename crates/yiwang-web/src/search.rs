//! Full-text search over appeals.

use crate::auth::{Params, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use yiwang_app::{QueuePage, SearchFilter};
use yiwang_core::appeal::Status;
use yiwang_core::id::{CategoryCode, UnitCode};

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search_appeals))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// Words to find (Chinese: at least two characters per word); empty lists all.
    #[serde(default)]
    pub q: String,
    pub unit: Option<String>,
    /// A street (or other area): cases in it, its communities and grids.
    pub street: Option<String>,
    pub category: Option<String>,
    /// accepted, dispatched, handling, replied, called_back, closed
    pub status: Option<String>,
    /// RFC 3339: accepted at or after.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// RFC 3339: accepted before.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// Chinese-aware full-text search over the appeals the caller may see, filterable by
/// unit, category, status and time; newest first. Names and phones are masked.
#[utoipa::path(get, path = "/api/v1/search", tag = "appeals", params(SearchParams),
    responses((status = 200, body = QueuePage), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn search_appeals(
    State(state): State<AppState>,
    auth: StaffAuth,
    Params(p): Params<SearchParams>,
) -> Result<Json<QueuePage>, ApiError> {
    let filter = SearchFilter {
        unit: p
            .unit
            .as_deref()
            .map(|u| UnitCode::parse(u).map_err(|_| ApiError::invalid("unit", "单位代码不合法")))
            .transpose()?,
        street: p
            .street
            .as_deref()
            .map(|u| UnitCode::parse(u).map_err(|_| ApiError::invalid("street", "街道代码不合法")))
            .transpose()?,
        category: p
            .category
            .as_deref()
            .map(|c| CategoryCode::parse(c).map_err(|_| ApiError::invalid("category", "分类代码不合法")))
            .transpose()?,
        status: p
            .status
            .as_deref()
            .map(|s| Status::parse(s).ok_or_else(|| ApiError::invalid("status", "状态不合法")))
            .transpose()?,
        from: p.from,
        to: p.to,
    };
    let page = state
        .run(move |app| app.search_cases(&auth.actor, &p.q, filter, p.limit.unwrap_or(20), p.offset.unwrap_or(0)))
        .await?;
    Ok(Json(page))
}
