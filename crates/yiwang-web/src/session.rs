//! Staff login and logout.

use crate::auth::{Body, StaffAuth, bearer};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yiwang_core::org::{Role, Staff};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The authenticator's six-digit code (or a recovery code), for an account with
    /// two-factor login.
    #[serde(default)]
    pub otp: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub staff: Me,
    /// The password must be changed (`POST /api/v1/password`) before anything else:
    /// it was set by an import, or it has expired.
    pub must_change_password: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub username: String,
    pub name: String,
    pub unit: String,
    pub unit_name: String,
    pub roles: Vec<Role>,
}

fn me(state: &AppState, s: &Staff) -> Me {
    Me {
        username: s.username.to_string(),
        name: s.name.clone(),
        unit: s.unit.to_string(),
        unit_name: state.app.reference().unit_name(&s.unit),
        roles: s.roles.clone(),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(who_am_i))
        .route("/password", post(change_password))
        .route("/totp", post(enroll_totp))
}

/// Log in with username and password; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/login", tag = "session", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    Body(req): Body<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let s =
        state.run(move |app| app.login(&req.username, &req.password, req.otp.as_deref(), addr.0.as_deref())).await?;
    Ok(Json(LoginResponse {
        token: s.token,
        expires_at: s.expires_at,
        staff: me(&state, &s.staff),
        must_change_password: s.must_change_password,
    }))
}

/// End the session of the token given.
#[utoipa::path(post, path = "/api/v1/logout", tag = "session", responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    parts: axum::http::HeaderMap,
) -> Result<axum::http::StatusCode, ApiError> {
    let mut req = axum::http::Request::new(());
    *req.headers_mut() = parts;
    let (p, _) = req.into_parts();
    if let Some(t) = bearer(&p) {
        state.run(move |app| app.logout(&t)).await?;
    }
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize)]
pub struct PasswordChange {
    pub old_password: String,
    pub new_password: String,
}

#[derive(serde::Serialize)]
pub struct PasswordChanged {
    /// How many other sessions of the account were ended.
    pub sessions_ended: u64,
}

/// Change one's own password (at least 8 characters of 3 kinds, not the username,
/// not a common password); every other session of the account ends.
pub async fn change_password(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    parts: axum::http::HeaderMap,
    Body(req): Body<PasswordChange>,
) -> Result<Json<PasswordChanged>, ApiError> {
    let mut r = axum::http::Request::new(());
    *r.headers_mut() = parts;
    let (p, _) = r.into_parts();
    let token = bearer(&p).ok_or_else(|| ApiError::from(yiwang_app::AppError::Unauthenticated))?;
    let ended = state
        .run(move |app| app.change_password(&token, &req.old_password, &req.new_password, addr.0.as_deref()))
        .await?;
    Ok(Json(PasswordChanged { sessions_ended: ended }))
}

/// Set up two-factor login: answers the TOTP secret, its `otpauth://` URI and ten
/// recovery codes, shown this once. Every later login needs a code.
pub async fn enroll_totp(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    parts: axum::http::HeaderMap,
) -> Result<Json<yiwang_app::auth::TotpEnrollment>, ApiError> {
    let mut r = axum::http::Request::new(());
    *r.headers_mut() = parts;
    let (p, _) = r.into_parts();
    let token = bearer(&p).ok_or_else(|| ApiError::from(yiwang_app::AppError::Unauthenticated))?;
    Ok(Json(state.run(move |app| app.totp_enroll(&token, addr.0.as_deref())).await?))
}

/// The staff member behind the token.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn who_am_i(State(state): State<AppState>, auth: StaffAuth) -> Json<Me> {
    Json(me(&state, &auth.staff))
}
