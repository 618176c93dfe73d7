//! The enterprise register over JSON (`yiwang-app/src/register.rs`): importing it
//! (CSV or JSON, all or nothing), reading it, recording credit facts, and the
//! enterprise's own view through the applicant login.

use crate::applicant::ApplicantAuth;
use crate::auth::{Body, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yiwang_app::{CitizenInput, EnterpriseView, RegisterReport, RepairInput, RepairView};
use yiwang_core::credit_repair::{Command as RepairCommand, Repair};
use yiwang_core::enterprise::{CreditClass, CreditFact, FactKind, Profile};
use yiwang_core::id::{CreditCode, UnitCode};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/enterprises", get(list_enterprises))
        .route("/enterprises/import", post(import_register))
        .route("/enterprises/{code}", get(get_enterprise))
        .route("/enterprises/{code}/facts", post(record_fact))
        .route("/applicant/enterprises", get(my_enterprises))
        .route("/applicant/enterprises/{code}", get(my_enterprise))
        .route("/applicant/enterprises/{code}/credit-repairs", get(my_repairs))
        .route("/applicant/credit-repairs", post(request_repair_online))
        .route("/credit-repairs", post(request_repair))
        .route("/credit-repairs/{id}", get(get_repair))
        .route("/credit-repairs/{id}/actions", post(decide_repair))
}

pub(crate) fn credit_code(s: &str) -> Result<CreditCode, ApiError> {
    CreditCode::parse(s).map_err(|e| ApiError::invalid("code", format!("统一社会信用代码{}", e.rule)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RegisterQuery {
    /// Words of the name, code, address or tags.
    #[serde(default)]
    pub q: Option<String>,
    /// A, B, C or D.
    #[serde(default)]
    pub class: Option<String>,
    /// A street's unit code.
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisterRow {
    /// The enterprise's case number (QY…).
    pub id: String,
    pub profile: Profile,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisterPage {
    pub rows: Vec<RegisterRow>,
    /// How many match (counted up to 100,000).
    pub total: u64,
}

pub(crate) fn parse_filters(q: &RegisterQuery) -> Result<(Option<CreditClass>, Option<UnitCode>), ApiError> {
    let class = match q.class.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => {
            Some(CreditClass::parse(c).ok_or_else(|| ApiError::invalid("class", "信用分类应为 A、B、C、D 之一"))?)
        }
    };
    let street = match q.street.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(UnitCode::parse(s).map_err(|e| ApiError::invalid("street", e.rule))?),
    };
    Ok((class, street))
}

/// The register: every enterprise, by words, class and street. For the departments
/// that supervise, inspect or grant (监管人员, 执法检查人员, 政策专员, 区领导).
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "enterprises", params(RegisterQuery),
    responses((status = 200, body = RegisterPage), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_enterprises(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(q): Query<RegisterQuery>,
) -> Result<Json<RegisterPage>, ApiError> {
    let (class, street) = parse_filters(&q)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let offset = q.offset.unwrap_or(0);
    let (rows, total) = state
        .run(move |app| app.register_page(&auth.actor, q.q.as_deref(), class, street.as_ref(), limit, offset))
        .await?;
    let rows = rows.into_iter().map(|(id, profile)| RegisterRow { id: id.to_string(), profile }).collect();
    Ok(Json(RegisterPage { rows, total }))
}

/// Imports the register from a CSV file (`text/csv`: a header, then one enterprise
/// a line) or JSON (an array of entries). Checked whole first: with any bad row
/// nothing is stored, and the error (`invalid_rows`) names every one. New
/// enterprises are registered, the others corrected (only what changed).
#[utoipa::path(post, path = "/api/v1/enterprises/import", tag = "enterprises",
    request_body(content = String, content_type = "text/csv", description = "CSV (code,name,entity_type,industry,address,street,lon,lat,capital,employees,founded,tags,legal_name,legal_phone,facts) or a JSON array of RegisterEntry"),
    responses((status = 200, body = RegisterReport), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_register(
    State(state): State<AppState>,
    auth: StaffAuth,
    _headers: HeaderMap,
    text: String,
) -> Result<Json<RegisterReport>, ApiError> {
    if text.len() > 64 << 20 {
        return Err(ApiError::invalid("file", "文件太大（最大64MB）：请分批导入"));
    }
    Ok(Json(state.run(move |app| app.import_register(&auth.actor, &text)).await?))
}

/// One enterprise: its registration, licences, credit record, class and history.
#[utoipa::path(get, path = "/api/v1/enterprises/{code}", tag = "enterprises",
    params(("code" = String, Path, description = "统一社会信用代码")),
    responses((status = 200, body = EnterpriseView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_enterprise(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(code): Path<String>,
) -> Result<Json<EnterpriseView>, ApiError> {
    let code = credit_code(&code)?;
    Ok(Json(state.run(move |app| app.enterprise_view(&auth.actor, &code)).await?))
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactRequest {
    /// `penalty`, `abnormal_listed`, `abnormal_removed`, `commendation` …
    pub kind: String,
    pub date: chrono::NaiveDate,
    #[serde(default)]
    pub note: String,
    /// In food, drugs or special equipment.
    #[serde(default)]
    pub special: bool,
}

/// Records a credit fact (a 行政处罚, the 经营异常名录, a commendation …); the class
/// follows, with its reasons. 监管人员 and 执法检查人员.
#[utoipa::path(post, path = "/api/v1/enterprises/{code}/facts", tag = "enterprises", request_body = FactRequest,
    params(("code" = String, Path, description = "统一社会信用代码")),
    responses((status = 200, body = EnterpriseView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn record_fact(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(code): Path<String>,
    Body(req): Body<FactRequest>,
) -> Result<Json<EnterpriseView>, ApiError> {
    let code = credit_code(&code)?;
    let kind = FactKind::parse(&req.kind).ok_or_else(|| {
        ApiError::invalid("kind", "信用信息类型应为 penalty、abnormal_listed、abnormal_removed、commendation 等之一")
    })?;
    let fact = CreditFact { kind, date: req.date, source: None, note: req.note, special: req.special };
    let v = state
        .run(move |app| {
            app.record_credit_fact(&auth.actor, &code, fact)?;
            app.enterprise_view(&auth.actor, &code)
        })
        .await?;
    Ok(Json(v))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyEnterprise {
    pub code: String,
    pub name: String,
}

/// The enterprises the applicant's phone acts for: by 企业授权, or as the register's
/// contact phone.
#[utoipa::path(get, path = "/api/v1/applicant/enterprises", tag = "applicant",
    responses((status = 200, body = [MyEnterprise]), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn my_enterprises(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
) -> Result<Json<Vec<MyEnterprise>>, ApiError> {
    let v = state.run(move |app| app.my_enterprises(&who)).await?;
    Ok(Json(v.into_iter().map(|(c, name)| MyEnterprise { code: c.to_string(), name }).collect()))
}

/// The enterprise's own record: its class and why, its facts, its licences.
#[utoipa::path(get, path = "/api/v1/applicant/enterprises/{code}", tag = "applicant",
    params(("code" = String, Path, description = "统一社会信用代码")),
    responses((status = 200, body = EnterpriseView), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn my_enterprise(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(code): Path<String>,
) -> Result<Json<EnterpriseView>, ApiError> {
    Ok(Json(state.run(move |app| app.my_enterprise(&who, &code)).await?))
}

/// The enterprise's 信用修复 requests.
#[utoipa::path(get, path = "/api/v1/applicant/enterprises/{code}/credit-repairs", tag = "applicant",
    params(("code" = String, Path, description = "统一社会信用代码")),
    responses((status = 200, body = [Repair]), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn my_repairs(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(code): Path<String>,
) -> Result<Json<Vec<Repair>>, ApiError> {
    Ok(Json(state.run(move |app| app.my_repairs(&who, &code)).await?))
}

/// 信用修复申请 online, by a phone that may act for the enterprise: the fact, how it
/// was corrected, the evidence (files uploaded by the same applicant), the 信用承诺,
/// and for the 经营异常名录 the grounds for removal.
#[utoipa::path(post, path = "/api/v1/applicant/credit-repairs", tag = "applicant", request_body = RepairInput,
    responses((status = 201, body = Repair), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn request_repair_online(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Body(input): Body<RepairInput>,
) -> Result<(axum::http::StatusCode, Json<Repair>), ApiError> {
    for f in &input.evidence {
        if !crate::applicant::uploaded_by(&state, &who, f) {
            return Err(ApiError::invalid("evidence", "证明材料须是您本人上传的文件"));
        }
    }
    let r = state.run(move |app| app.request_repair_online(&who, input)).await?;
    Ok((axum::http::StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffRepairRequest {
    pub repair: RepairInput,
    /// Who applied for the enterprise (name and phone), as written on the application.
    pub applicant: CitizenInput,
}

/// 信用修复申请 registered by the department from the enterprise's written one.
#[utoipa::path(post, path = "/api/v1/credit-repairs", tag = "enterprises", request_body = StaffRepairRequest,
    responses((status = 201, body = Repair), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn request_repair(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(req): Body<StaffRepairRequest>,
) -> Result<(axum::http::StatusCode, Json<Repair>), ApiError> {
    for f in &req.repair.evidence {
        crate::ui::refuse_stored_uploads("evidence", std::slice::from_ref(f))?;
    }
    let r = state.run(move |app| app.request_repair(&auth.actor, req.repair, req.applicant)).await?;
    Ok((axum::http::StatusCode::CREATED, Json(r)))
}

/// One 信用修复 request, with what the viewer may do.
#[utoipa::path(get, path = "/api/v1/credit-repairs/{id}", tag = "enterprises", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = RepairView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_repair(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<RepairView>, ApiError> {
    let id = crate::appeal::case_id(&id)?;
    Ok(Json(state.run(move |app| app.repair_view(&auth.actor, &id)).await?))
}

/// 审核: `{"action": "approve", "opinion": …}` repairs the fact on the enterprise's
/// record; `{"action": "reject", "reason": …}` refuses.
#[utoipa::path(post, path = "/api/v1/credit-repairs/{id}/actions", tag = "enterprises", request_body = RepairCommand,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = RepairView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn decide_repair(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(cmd): Body<RepairCommand>,
) -> Result<Json<RepairView>, ApiError> {
    let id = crate::appeal::case_id(&id)?;
    Ok(Json(state.run(move |app| app.decide_repair(&auth.actor, &id, &cmd)).await?))
}
