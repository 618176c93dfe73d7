//! Who is calling: a staff member with a bearer token, or nobody (a citizen).

use crate::{ApiError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use yiwang_core::org::{Actor, Staff};

/// A logged-in staff member. Rejects with 401 without a valid token.
pub struct StaffAuth {
    pub staff: Staff,
    pub actor: Actor,
}

/// A staff member if a token is given, else nobody. A given but invalid token is
/// still refused, so a client never silently acts as a citizen.
pub struct MaybeStaff(pub Option<StaffAuth>);

pub(crate) fn bearer(parts: &Parts) -> Option<String> {
    let h = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    h.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

impl FromRequestParts<AppState> for StaffAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| ApiError::from(yiwang_app::AppError::Unauthenticated))?;
        let (staff, actor) = state.run(move |app| app.authenticate(&token)).await?;
        Ok(StaffAuth { staff, actor })
    }
}

impl FromRequestParts<AppState> for MaybeStaff {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if bearer(parts).is_none() {
            return Ok(MaybeStaff(None));
        }
        StaffAuth::from_request_parts(parts, state).await.map(|s| MaybeStaff(Some(s)))
    }
}

/// `Json` whose rejections are `ApiError`s with stable codes.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Body<T>(pub T);

/// `Query` whose rejections are `ApiError`s.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Params<T>(pub T);
