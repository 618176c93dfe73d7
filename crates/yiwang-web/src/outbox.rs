//! The notifications outbox for the hotline centre: what was sent to whom and when,
//! what failed and why, and 重发 for a failed one (`yiwang_app::notify`).

use crate::auth::StaffAuth;
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yiwang_app::{OutboxEntry, OutboxQuery};

pub fn router() -> Router<AppState> {
    Router::new().route("/outbox", get(list)).route("/outbox/{id}/resend", post(resend))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// `pending` (待发送), `sent` (已发送), `failed` (发送失败) or `skipped` (已跳过).
    pub state: Option<String>,
    pub case_id: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// An outbox entry as listed: the recipient is never shown (a citizen's is their
/// case's; an explicit address is a system's).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    pub case_id: Option<String>,
    pub template: String,
    /// `pending`, `sent` or `failed`.
    pub state: &'static str,
    pub attempts: u32,
    pub created_at: String,
    pub next_at: Option<String>,
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
}

impl From<OutboxEntry> for Entry {
    fn from(e: OutboxEntry) -> Self {
        let t = |i: chrono::DateTime<chrono::Utc>| i.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        Entry {
            id: e.id,
            state: e.state(),
            case_id: e.case_id.map(|c| c.to_string()),
            template: e.template,
            attempts: e.attempts,
            created_at: t(e.created_at),
            next_at: e.next_at.map(t),
            sent_at: e.sent_at.map(t),
            last_error: e.last_error,
        }
    }
}

/// The outbox, newest first (hotline centre).
#[utoipa::path(get, path = "/api/v1/outbox", tag = "notifications", params(ListQuery),
    responses((status = 200, body = [Entry]), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Entry>>, ApiError> {
    let case_id = q
        .case_id
        .map(|c| yiwang_core::id::CaseId::parse(&c))
        .transpose()
        .map_err(|_| ApiError::invalid("case_id", "工单号格式不正确"))?;
    let query = OutboxQuery {
        state: q.state,
        case_id,
        recipient_prefix: None,
        // Every lane here, the stream's too (its backlog is what a monitor watches).
        without_stream: false,
        limit: q.limit.unwrap_or(100),
        offset: q.offset.unwrap_or(0),
    };
    let entries = state.run(move |app| app.outbox_for(&auth.actor, &query)).await?;
    Ok(Json(entries.into_iter().map(Entry::from).collect()))
}

/// Sends a failed notification again at the next pass (hotline centre).
#[utoipa::path(post, path = "/api/v1/outbox/{id}/resend", tag = "notifications",
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn resend(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.run(move |app| app.resend_notice(&auth.actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
