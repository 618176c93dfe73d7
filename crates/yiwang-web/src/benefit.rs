//! 免申即享 over JSON: policies (`/api/v1/policies`: define, dry run, enable, run,
//! close, their grants) for the paying departments' policy officers; grants
//! (`/api/v1/grants/{id}`: view, record payment); and the enterprise's side on the
//! applicant login (`/api/v1/applicant/grants`: its grants with the trace, confirm the
//! bank account or decline, claim a policy in force, 依申请).

use crate::appeal::case_id;
use crate::applicant::ApplicantAuth;
use crate::auth::{Body, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use yiwang_app::{DryRun, GrantRow, GrantView, PolicyFigures, PolicyRow, PolicyView};
use yiwang_core::benefit::grant::BankAccount;
use yiwang_core::benefit::{GrantKind, GrantStatus, Policy, PolicyDef, PolicyStatus, RunSummary};
use yiwang_core::case::Kind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/policies", get(list_policies).post(define_policy))
        .route("/policies/figures", get(figures))
        .route("/policies/{id}", get(get_policy).put(edit_policy))
        .route("/policies/{id}/dry-run", get(dry_run))
        .route("/policies/{id}/enable", post(enable))
        .route("/policies/{id}/run", post(run))
        .route("/policies/{id}/close", post(close))
        .route("/policies/{id}/grants", get(grants))
        .route("/grants/{id}", get(get_grant))
        .route("/grants/{id}/payment", post(record_payment))
        .route("/applicant/policies", get(policies_in_force))
        .route("/applicant/grants", get(my_grants))
        .route("/applicant/grants/{id}", get(my_grant))
        .route("/applicant/grants/{id}/confirm", post(confirm))
        .route("/applicant/grants/{id}/decline", post(decline))
        .route("/applicant/claims", post(claim))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// `draft`, `enabled` or `closed`.
    pub status: Option<String>,
}

fn policy_status(s: Option<&str>) -> Result<Option<PolicyStatus>, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => PolicyStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .map(Some)
            .ok_or_else(|| ApiError::invalid("status", "status 应为 draft、enabled 或 closed")),
    }
}

/// Policies, newest first (every policy officer, regulator and leader reads them).
#[utoipa::path(get, path = "/api/v1/policies", tag = "benefit", params(ListParams),
    responses((status = 200, body = Vec<PolicyRow>), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn list_policies(
    State(state): State<AppState>,
    _auth: StaffAuth,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<PolicyRow>>, ApiError> {
    let status = policy_status(p.status.as_deref())?;
    Ok(Json(state.run(move |app| app.policies(status)).await?))
}

/// The dashboard's line: each policy with the number granted and the amount paid.
#[utoipa::path(get, path = "/api/v1/policies/figures", tag = "benefit",
    responses((status = 200, body = Vec<PolicyFigures>)), security(("bearer" = [])))]
pub async fn figures(State(state): State<AppState>, _auth: StaffAuth) -> Result<Json<Vec<PolicyFigures>>, ApiError> {
    Ok(Json(state.run(move |app| app.policy_figures()).await?))
}

/// 拟定政策 (a draft), by a policy officer of the paying department: clauses, each a
/// condition in the eligibility language, and the amount's formula.
#[utoipa::path(post, path = "/api/v1/policies", tag = "benefit", request_body = PolicyDef,
    responses((status = 201, body = Policy), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn define_policy(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(def): Body<PolicyDef>,
) -> Result<(StatusCode, Json<Policy>), ApiError> {
    let p = state.run(move |app| app.define_policy(&auth.actor, def)).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// A policy with what it has granted and paid.
#[utoipa::path(get, path = "/api/v1/policies/{id}", tag = "benefit", params(("id" = String, Path)),
    responses((status = 200, body = PolicyView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_policy(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<PolicyView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.policy_view(&auth.actor, &id)).await?))
}

/// 修改草稿 (the whole definition again); refused once enabled.
#[utoipa::path(put, path = "/api/v1/policies/{id}", tag = "benefit", request_body = PolicyDef, params(("id" = String, Path)),
    responses((status = 200, body = Policy), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn edit_policy(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(def): Body<PolicyDef>,
) -> Result<Json<Policy>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.edit_policy(&auth.actor, &id, def)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    pub offset: Option<u32>,
    /// At most 200 (dry run) or 500 (grants); 50 by default.
    pub limit: Option<u32>,
    /// Grants of one status: `notified`, `confirmed`, `paid`, `declined`.
    pub status: Option<String>,
}

/// 试算: the eligible enterprises (a page, each with its trace), their number and the
/// total amount against the budget. Nothing is stored.
#[utoipa::path(get, path = "/api/v1/policies/{id}/dry-run", tag = "benefit", params(("id" = String, Path), PageParams),
    responses((status = 200, body = DryRun), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn dry_run(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Query(p): Query<PageParams>,
) -> Result<Json<DryRun>, ApiError> {
    let id = case_id(&id)?;
    let (offset, limit) = (p.offset.unwrap_or(0), p.limit.unwrap_or(50));
    Ok(Json(state.run(move |app| app.dry_run(&auth.actor, &id, offset, limit)).await?))
}

/// 启用: the dry run is made again; a total over the budget refuses it (`budget_exceeded`).
#[utoipa::path(post, path = "/api/v1/policies/{id}/enable", tag = "benefit", params(("id" = String, Path)),
    responses((status = 200, body = Policy), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn enable(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Policy>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.enable_policy(&auth.actor, &id)).await?))
}

/// 执行: a grant for every eligible enterprise not granted this period, within the
/// budget; a re-run grants nobody twice.
#[utoipa::path(post, path = "/api/v1/policies/{id}/run", tag = "benefit", params(("id" = String, Path)),
    responses((status = 200, body = RunSummary), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn run(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<RunSummary>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.run_policy(&auth.actor, &id)).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    pub reason: String,
}

/// 停止执行.
#[utoipa::path(post, path = "/api/v1/policies/{id}/close", tag = "benefit", request_body = ReasonInput, params(("id" = String, Path)),
    responses((status = 200, body = Policy), (status = 409, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn close(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(input): Body<ReasonInput>,
) -> Result<Json<Policy>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.close_policy(&auth.actor, &id, &input.reason)).await?))
}

fn grant_status(s: Option<&str>) -> Result<Option<&'static str>, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => GrantStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .map(|x| Some(x.as_str()))
            .ok_or_else(|| ApiError::invalid("status", "status 应为 notified、confirmed、paid 或 declined")),
    }
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct GrantPage {
    pub rows: Vec<GrantRow>,
    pub total: u64,
}

/// A policy's grants, newest first.
#[utoipa::path(get, path = "/api/v1/policies/{id}/grants", tag = "benefit", params(("id" = String, Path), PageParams),
    responses((status = 200, body = GrantPage), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn grants(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Query(p): Query<PageParams>,
) -> Result<Json<GrantPage>, ApiError> {
    let id = case_id(&id)?;
    let status = grant_status(p.status.as_deref())?;
    let (offset, limit) = (p.offset.unwrap_or(0), p.limit.unwrap_or(50));
    let (rows, total) = state.run(move |app| app.policy_grants(&auth.actor, &id, status, limit, offset)).await?;
    Ok(Json(GrantPage { rows, total }))
}

fn grant_id(id: &str) -> Result<yiwang_core::id::CaseId, ApiError> {
    let id = case_id(id)?;
    if !id.as_str().starts_with(GrantKind::PREFIX) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "享受记录不存在"));
    }
    Ok(id)
}

/// A grant with its trace, for the paying department.
#[utoipa::path(get, path = "/api/v1/grants/{id}", tag = "benefit", params(("id" = String, Path)),
    responses((status = 200, body = GrantView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_grant(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<GrantView>, ApiError> {
    let id = grant_id(&id)?;
    Ok(Json(state.run(move |app| app.grant(&auth.actor, &id)).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// The payment's voucher number (国库集中支付凭证号).
    pub reference: String,
}

/// 登记拨付 (办结), once the enterprise confirmed its account.
#[utoipa::path(post, path = "/api/v1/grants/{id}/payment", tag = "benefit", request_body = PaymentInput, params(("id" = String, Path)),
    responses((status = 200, body = GrantView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn record_payment(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(input): Body<PaymentInput>,
) -> Result<Json<GrantView>, ApiError> {
    let id = grant_id(&id)?;
    Ok(Json(state.run(move |app| app.record_grant_payment(&auth.actor, &id, &input.reference)).await?))
}

/// The policies in force, which an enterprise may claim.
#[utoipa::path(get, path = "/api/v1/applicant/policies", tag = "benefit",
    responses((status = 200, body = Vec<PolicyRow>)), security(("bearer" = [])))]
pub async fn policies_in_force(
    State(state): State<AppState>,
    _who: ApplicantAuth,
) -> Result<Json<Vec<PolicyRow>>, ApiError> {
    Ok(Json(state.run(move |app| app.policies_in_force()).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EnterpriseParam {
    /// The enterprise's 统一社会信用代码; the phone must be bound to it.
    pub enterprise: String,
}

/// The grants of an enterprise the applicant's phone is bound to, with the trace.
#[utoipa::path(get, path = "/api/v1/applicant/grants", tag = "benefit", params(EnterpriseParam),
    responses((status = 200, body = Vec<GrantView>), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn my_grants(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Query(p): Query<EnterpriseParam>,
) -> Result<Json<Vec<GrantView>>, ApiError> {
    Ok(Json(state.run(move |app| app.my_grants(&who, &p.enterprise)).await?))
}

/// One grant of an enterprise the phone is bound to.
#[utoipa::path(get, path = "/api/v1/applicant/grants/{id}", tag = "benefit", params(("id" = String, Path)),
    responses((status = 200, body = GrantView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn my_grant(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(id): Path<String>,
) -> Result<Json<GrantView>, ApiError> {
    let id = grant_id(&id)?;
    Ok(Json(state.run(move |app| app.my_grant(&who, &id)).await?))
}

/// 确认收款账户: the holder must be the enterprise's name.
#[utoipa::path(post, path = "/api/v1/applicant/grants/{id}/confirm", tag = "benefit", request_body = BankAccount, params(("id" = String, Path)),
    responses((status = 200, body = GrantView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn confirm(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(id): Path<String>,
    Body(account): Body<BankAccount>,
) -> Result<Json<GrantView>, ApiError> {
    let id = grant_id(&id)?;
    Ok(Json(state.run(move |app| app.confirm_grant(&who, &id, account)).await?))
}

/// 放弃享受.
#[utoipa::path(post, path = "/api/v1/applicant/grants/{id}/decline", tag = "benefit", request_body = ReasonInput, params(("id" = String, Path)),
    responses((status = 200, body = GrantView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn decline(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(id): Path<String>,
    Body(input): Body<ReasonInput>,
) -> Result<Json<GrantView>, ApiError> {
    let id = grant_id(&id)?;
    Ok(Json(state.run(move |app| app.decline_grant(&who, &id, &input.reason)).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    pub policy: String,
    pub enterprise: String,
}

/// 依申请: an enterprise claims a policy in force; the same rules decide, with the trace.
#[utoipa::path(post, path = "/api/v1/applicant/claims", tag = "benefit", request_body = ClaimInput,
    responses((status = 201, body = GrantView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn claim(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Body(input): Body<ClaimInput>,
) -> Result<(StatusCode, Json<GrantView>), ApiError> {
    let policy = case_id(&input.policy)?;
    let v = state.run(move |app| app.claim_grant(&who, &policy, &input.enterprise)).await?;
    Ok((StatusCode::CREATED, Json(v)))
}
