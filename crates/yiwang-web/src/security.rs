//! The client's address (for the security log and the lock-out), and the
//! administrator's API for accounts' lock-outs and the security audit log.

use crate::auth::StaffAuth;
use crate::{ApiError, AppState};
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::net::SocketAddr;
use yiwang_app::{SecurityEvent, SecurityQuery};

/// The address the request came from, as the server loop saw it (`net`); none in
/// process (tests). Behind a reverse proxy it is the proxy's: run the lock-out there
/// too, or on one address per desk.
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string())))
    }
}

/// Every refusal (403) goes to the security audit log, with the request's method and
/// path, the client's address and the user behind its session, if any.
pub(crate) async fn log_refusals(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // Only cheap clones on every request; the strings are made for a 403 alone.
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let address = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let auth = req.headers().get(axum::http::header::AUTHORIZATION).cloned();
    let cookie = req.headers().get(axum::http::header::COOKIE).cloned();
    let r = next.run(req).await;
    if r.status() == StatusCode::FORBIDDEN {
        let bearer = auth.and_then(|h| h.to_str().ok()?.strip_prefix("Bearer ").map(|t| t.trim().to_owned()));
        let mut headers = axum::http::HeaderMap::new();
        if let Some(c) = cookie {
            headers.insert(axum::http::header::COOKIE, c);
        }
        let token = bearer.or_else(|| crate::ui::cookie(&headers, crate::ui::SESSION_COOKIE).map(str::to_owned));
        let what = format!("{method} {}", uri.path());
        tracing::info!(status = 403, %what, "refused");
        let address = address.map(|a| a.to_string());
        let noted = state.run(move |app| app.note_refusal(token.as_deref(), &what, address.as_deref())).await;
        if let Err(e) = noted {
            tracing::error!("noting a refusal: {}", e.message);
        }
    }
    r
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/staff/{username}/unlock", post(unlock))
        .route("/admin/security-events", get(security_events))
        .route("/admin/staff", post(manage_staff))
}

/// Clears an account's lock-outs and throttling (administrator).
pub async fn unlock(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.run(move |app| app.unlock(&auth.actor, &username)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create, update or deactivate a staff account (security administrator):
/// `{"action": "save", "username", "name", "unit", "roles": [...], "password"}` or
/// `{"action": "deactivate", "username"}`.
pub async fn manage_staff(
    State(state): State<AppState>,
    auth: StaffAuth,
    crate::auth::Body(change): crate::auth::Body<yiwang_app::auth::StaffChange>,
) -> Result<StatusCode, ApiError> {
    state.run(move |app| app.manage_staff(&auth.actor, change)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct EventsQuery {
    pub username: Option<String>,
    /// Comma-separated kinds, e.g. `login_failed,locked_out`.
    pub kind: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// The security audit log, newest first (administrator).
pub async fn security_events(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(q): Query<EventsQuery>,
) -> Result<Json<Vec<SecurityEvent>>, ApiError> {
    let query = SecurityQuery {
        username: q.username,
        kinds: q
            .kind
            .map(|k| k.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default(),
        limit: q.limit.unwrap_or(100).min(1000),
        offset: q.offset.unwrap_or(0),
        ..Default::default()
    };
    Ok(Json(state.run(move |app| app.security_log(&auth.actor, &query)).await?))
}
