//! Work queues.

use crate::auth::{Params, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yiwang_app::{Queue, QueuePage};
use yiwang_core::id::UnitCode;

pub fn router() -> Router<AppState> {
    Router::new().route("/queues", get(list_queues)).route("/queues/{queue}", get(get_queue))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QueueCount {
    pub queue: Queue,
    pub label: &'static str,
    pub count: u64,
}

/// Every queue the caller may see, with its count.
#[utoipa::path(get, path = "/api/v1/queues", tag = "queues", responses((status = 200, body = [QueueCount])), security(("bearer" = [])))]
pub async fn list_queues(State(state): State<AppState>, auth: StaffAuth) -> Result<Json<Vec<QueueCount>>, ApiError> {
    let counts = state.run(move |app| app.queue_counts(&auth.actor)).await?;
    Ok(Json(counts.into_iter().map(|(queue, count)| QueueCount { queue, label: queue.label(), count }).collect()))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct QueueParams {
    /// Centre staff and leaders: one unit only.
    pub unit: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// One queue, newest first. Names and phone numbers are masked.
#[utoipa::path(get, path = "/api/v1/queues/{queue}", tag = "queues",
    params(("queue" = Queue, Path, description = "to_dispatch, returned, to_sign, handling, warning, overdue, to_callback, unsolved, co_handling, all"), QueueParams),
    responses((status = 200, body = QueuePage), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_queue(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(queue): Path<String>,
    Params(p): Params<QueueParams>,
) -> Result<Json<QueuePage>, ApiError> {
    let queue: Queue = serde_json::from_value(serde_json::Value::String(queue.clone())).map_err(|_| {
        ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", format!("没有名为 {queue} 的队列"))
    })?;
    let unit = match p.unit.as_deref() {
        Some(u) => Some(UnitCode::parse(u).map_err(|_| ApiError::invalid("unit", "单位代码不合法"))?),
        None => None,
    };
    let page =
        state.run(move |app| app.queue(&auth.actor, queue, unit, p.limit.unwrap_or(50), p.offset.unwrap_or(0))).await?;
    Ok(Json(page))
}
