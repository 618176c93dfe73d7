//! 一网共享's access over JSON (`yiwang-app/src/sharing.rs`): requests, the owner's
//! answers and revocations, the consumer's reads with a grant's credential, the
//! owner's usage figures and the citizen's own reads.

use crate::applicant::ApplicantAuth;
use crate::auth::{Body, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use yiwang_app::{AccessAction, AccessInput, AccessView, PersonalRead, UsageRow};
use yiwang_core::id::CaseId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/share/requests", post(create_request).get(list_requests))
        .route("/share/requests/{id}", get(get_request))
        .route("/share/requests/{id}/actions", post(act_on_request))
        .route("/share/requests/{id}/revoke", post(revoke_request))
        .route("/share/usage", get(usage))
        .route("/share/{resource}/records", get(read_records))
        .route("/applicant/share-reads", get(my_reads))
}

fn case_id(s: &str) -> Result<CaseId, ApiError> {
    CaseId::parse(s).map_err(|e| ApiError::invalid("id", format!("编号{}", e.rule)))
}

/// 共享申请: the consuming unit's 数据专员 or head asks for fields of a resource. A
/// 无条件共享 resource is granted at once and the answer carries the credential,
/// shown this once; a 不予共享 one is refused at once.
#[utoipa::path(post, path = "/api/v1/share/requests", tag = "sharing", request_body = AccessInput,
    responses((status = 201, body = AccessView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_request(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(input): Body<AccessInput>,
) -> Result<(StatusCode, Json<AccessView>), ApiError> {
    let v = state.run(move |app| app.request_access(&auth.actor, input)).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RequestsQuery {
    /// `owner` (to answer: the resources of the caller's unit), `consumer` (its own
    /// requests); all it may see when absent.
    #[serde(default)]
    pub role: Option<String>,
    /// `pending`, `granted`, `refused`, `revoked`, `expired`.
    #[serde(default)]
    pub status: Option<String>,
}

/// The requests the caller's unit may see.
#[utoipa::path(get, path = "/api/v1/share/requests", tag = "sharing", params(RequestsQuery),
    responses((status = 200, body = Vec<AccessView>), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_requests(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(q): Query<RequestsQuery>,
) -> Result<Json<Vec<AccessView>>, ApiError> {
    if let Some(r) = q.role.as_deref()
        && !matches!(r, "owner" | "consumer" | "")
    {
        return Err(ApiError::invalid("role", "应为 owner 或 consumer"));
    }
    let role = q.role.filter(|r| !r.is_empty());
    let status = q.status.filter(|s| !s.is_empty());
    Ok(Json(state.run(move |app| app.access_requests(&auth.actor, role.as_deref(), status.as_deref())).await?))
}

/// One request (or grant), for the owner, the consumer and the 数据局.
#[utoipa::path(get, path = "/api/v1/share/requests/{id}", tag = "sharing",
    params(("id" = String, Path, description = "GX…")),
    responses((status = 200, body = AccessView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_request(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<AccessView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.access_view(&auth.actor, &id)).await?))
}

/// The owner's answer (`approve`, with `fields` fewer than asked to narrow;
/// `refuse` with a reason), a revocation (`revoke`), or the consuming unit's
/// `issue_credential`, whose answer carries the new credential, shown this once (the
/// one before reads no more).
#[utoipa::path(post, path = "/api/v1/share/requests/{id}/actions", tag = "sharing",
    params(("id" = String, Path, description = "GX…")), request_body = AccessAction,
    responses((status = 200, body = AccessView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn act_on_request(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(action): Body<AccessAction>,
) -> Result<Json<AccessView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.act_on_access(&auth.actor, &id, action)).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeInput {
    pub reason: String,
}

/// 撤销授权: by the owner, the consumer or the 数据局; the credential reads no more.
#[utoipa::path(post, path = "/api/v1/share/requests/{id}/revoke", tag = "sharing",
    params(("id" = String, Path, description = "GX…")), request_body = RevokeInput,
    responses((status = 200, body = AccessView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_request(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(input): Body<RevokeInput>,
) -> Result<Json<AccessView>, ApiError> {
    let id = case_id(&id)?;
    let action = AccessAction::Revoke { reason: input.reason };
    Ok(Json(state.run(move |app| app.act_on_access(&auth.actor, &id, action)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RecordsQuery {
    /// Records changed at or after this instant (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
    /// The cursor the previous page gave as `next`.
    #[serde(default)]
    pub after: Option<String>,
    /// 1 to 500; 100 by default.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Reads a shared resource with a grant's credential (`Authorization: Bearer …`).
/// Only the granted fields are returned; personal ones are masked unless granted
/// unmasked. Every read is logged and signed as evidence before it is answered; the
/// `X-Read-Log` header names the log and `X-Body-Digest` the body's hash as logged.
#[utoipa::path(get, path = "/api/v1/share/{resource}/records", tag = "sharing",
    params(("resource" = String, Path, description = "资源代码"), RecordsQuery),
    responses((status = 200, description = "`{resource, grant, records, next}`", body = serde_json::Value),
        (status = 401, description = "credential_invalid", body = crate::error::ErrorBody),
        (status = 403, description = "grant_expired, grant_revoked, grant_not_started, grant_scope", body = crate::error::ErrorBody),
        (status = 429, description = "rate_limited", body = crate::error::ErrorBody),
        (status = 503, description = "signing_unavailable", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn read_records(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(resource): Path<String>,
    Query(q): Query<RecordsQuery>,
) -> Result<Response, ApiError> {
    let credential = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "credential_invalid", "请提供共享凭证"))?;
    let since = match q.since.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|_| ApiError::invalid("since", "since 应为 RFC 3339 时间"))?
                .to_utc(),
        ),
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit 应为 1 到 500"));
    }
    let query =
        yiwang_app::catalogue::ReadQuery { since, after: q.after.filter(|a| !a.is_empty()), limit, filter: vec![] };
    let page = state.run(move |app| app.read_shared(&credential, &resource, &query)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::HeaderName::from_static("x-read-log"), page.log.to_string()),
            (header::HeaderName::from_static("x-body-digest"), page.digest),
        ],
        page.body,
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UsageQuery {
    /// The last this many days (30 by default).
    #[serde(default)]
    pub days: Option<u32>,
}

/// Who read the caller's unit's resources, how often and how many rows (the 数据局:
/// every unit's), one line per grant.
#[utoipa::path(get, path = "/api/v1/share/usage", tag = "sharing", params(UsageQuery),
    responses((status = 200, body = Vec<UsageRow>)), security(("bearer" = [])))]
pub async fn usage(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(q): Query<UsageQuery>,
) -> Result<Json<Vec<UsageRow>>, ApiError> {
    let days = q.days.unwrap_or(30);
    Ok(Json(state.run(move |app| app.share_usage(&auth.actor, days)).await?))
}

/// Which departments read the applicant's data, and when (个人信息保护法 §44).
#[utoipa::path(get, path = "/api/v1/applicant/share-reads", tag = "sharing",
    responses((status = 200, body = Vec<PersonalRead>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn my_reads(State(state): State<AppState>, who: ApplicantAuth) -> Result<Json<Vec<PersonalRead>>, ApiError> {
    Ok(Json(state.run(move |app| app.my_reads(&who.0)).await?))
}
