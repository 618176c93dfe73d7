//! 一网通办 over JSON: the public service guide (办事指南), the catalogue an
//! administrator loads, and applications: registered at the window, then accepted,
//! reviewed, decided, certified and delivered, one command per call.

use crate::appeal::case_id;
use crate::auth::{Body, Params, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use yiwang_app::{
    ApplicantView, ApplicationInput, ApplicationView, CatalogueReport, CertificateStatus, FixView, RatingInput,
    ServiceMonth, ServiceSummary, StatusList,
};
use yiwang_core::application::{Command, Provided, Service};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services", get(list_services).put(load_services))
        .route("/services/{code}", get(get_service))
        .route("/applications", post(register))
        .route("/applications/{id}", get(get_application))
        .route("/applications/{id}/actions", post(act))
        .route("/service-indicators", get(indicators))
        .route("/application-tracking", post(track))
        .route("/application-ratings", post(rate))
        .route("/certificates/{status_id}", get(get_certificate))
        .route("/certificate-status-list", get(status_list))
        .route("/rating-fixes/{id}", get(get_fix))
        .route("/rating-fixes/{id}/actions", post(act_on_fix))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ServiceFilter {
    /// Part of a service's name, its department's name or its code.
    #[serde(default)]
    pub q: Option<String>,
}

/// The service guide: every service at its current version. Public.
#[utoipa::path(get, path = "/api/v1/services", tag = "services", params(ServiceFilter),
    responses((status = 200, body = Vec<ServiceSummary>)))]
pub async fn list_services(
    State(state): State<AppState>,
    Params(f): Params<ServiceFilter>,
) -> Result<Json<Vec<ServiceSummary>>, ApiError> {
    Ok(Json(state.run(move |app| app.service_summaries(f.q.as_deref())).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct VersionParam {
    /// A past version (an application keeps the one it was filed under); the current
    /// one by default.
    #[serde(default)]
    pub version: Option<u32>,
}

/// One service's guide: legal basis, time limits, materials, form, fees, steps. Public.
#[utoipa::path(get, path = "/api/v1/services/{code}", tag = "services", params(("code" = String, Path), VersionParam),
    responses((status = 200, body = Service), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_service(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Params(v): Params<VersionParam>,
) -> Result<Json<Service>, ApiError> {
    Ok(Json(state.run(move |app| app.service(&code, v.version)).await?))
}

/// Loads the catalogue (`services.toml`, or the same as JSON), for the system
/// administrator: everything is checked before anything is stored; a service whose
/// text changed gets a new version, and filed applications keep theirs.
#[utoipa::path(put, path = "/api/v1/services", tag = "services",
    request_body(content = String, content_type = "application/toml", description = "the catalogue: [[service]] tables, or {\"service\": [...]}"),
    responses((status = 200, body = CatalogueReport), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn load_services(
    State(state): State<AppState>,
    auth: StaffAuth,
    text: String,
) -> Result<Json<CatalogueReport>, ApiError> {
    Ok(Json(state.run(move |app| app.load_services(&auth.actor, &text)).await?))
}

/// Files named in materials must come through an upload form, never by name.
fn no_stored_files(materials: &[Provided]) -> Result<(), ApiError> {
    for m in materials {
        crate::ui::refuse_stored_uploads("materials", &m.files)?;
    }
    Ok(())
}

/// 窗口收件: a clerk registers an application, the applicant present, under the
/// service's current version. Materials are handed in on paper (`"paper": true`,
/// checked by the clerk) or as e-certificates that stand in for them (证照免提交); an
/// incomplete set is what 补正 is for.
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications", request_body = ApplicationInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key gets the first try's application")),
    responses((status = 201, body = ApplicationView), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn register(
    State(state): State<AppState>,
    auth: StaffAuth,
    idempotency: crate::idempotency::IdempotencyHeader,
    Body(input): Body<ApplicationInput>,
) -> Result<(StatusCode, [(HeaderName, HeaderValue); 1], Json<ApplicationView>), ApiError> {
    no_stored_files(&input.materials)?;
    let key =
        idempotency.key(crate::idempotency::staff_scope(&auth.staff.username), "POST /api/v1/applications", &input);
    let (replayed, v) = state
        .run(move |app| {
            let (a, replayed) = app.register_application_keyed(&auth.actor, input, key.as_ref())?;
            Ok((replayed, app.application_view(&auth.actor, &a.id)?))
        })
        .await?;
    Ok((StatusCode::CREATED, crate::idempotency::replayed_header(replayed), Json(v)))
}

/// One application with its record, for its department, the window that registered
/// it and leaders.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = ApplicationView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_application(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.application_view(&auth.actor, &id)).await?))
}

/// One command on an application, e.g. `{"action": "accept"}`: accept, reject,
/// ask_supplement, supplement, withdraw, review, suspend, resume, ask_extension,
/// decide_extension, decide, record_payment (缴费: the fees in all, in fen, with the
/// payment's reference, once the decision grants and before 制证, which a fee-bearing
/// service refuses unpaid: `payment_required`), certify, deliver, and rate_visit (a
/// visit at the hall rated on the window's tablet, `visit` counting from 1; a bad one
/// opens a 差评整改). Refusals carry the law's rule in their code (`supplement_once`,
/// `notice_period_passed`, `extension_once` …).
#[utoipa::path(post, path = "/api/v1/applications/{id}/actions", tag = "applications", request_body = Command,
    params(("id" = String, Path, description = "case number"),
        ("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key runs nothing again")),
    responses((status = 200, body = ApplicationView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn act(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    idempotency: crate::idempotency::IdempotencyHeader,
    Body(command): Body<Command>,
) -> Result<([(HeaderName, HeaderValue); 1], Json<ApplicationView>), ApiError> {
    let key = idempotency.key(
        crate::idempotency::staff_scope(&auth.staff.username),
        &format!("POST /api/v1/applications/{id}/actions"),
        &command,
    );
    let id = case_id(&id)?;
    if let Command::Supplement { materials, .. } = &command {
        no_stored_files(materials)?;
    }
    let (replayed, v) = state
        .run(move |app| {
            let replayed = app.act_application_keyed(&auth.actor, &id, &command, key.as_ref())?;
            Ok((replayed, app.application_view(&auth.actor, &id)?))
        })
        .await?;
    Ok((crate::idempotency::replayed_header(replayed), Json(v)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MonthParam {
    /// `YYYY-MM`.
    pub month: String,
}

/// 一网通办's indicators of a month, from finished applications: per department and
/// per service, 办结 count, 按时办结, 全程网办, 即办件, 零跑动 and visits in all (the
/// rates and the average are these over 办结); 好差评: ratings and 好评, the hall's
/// visit ratings, and each dimension's levels given (`scores`: count and total by
/// `online.overall` … `hall.attitude`, 5 for 非常满意 … 1 for 非常不满意); decisions, the
/// working time they took and their promised and legal limits in all. Leaders and the
/// centre see every department; a department's staff their own. The console's
/// `/console/indicators?format=xlsx` is the same as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/service-indicators", tag = "services", params(MonthParam),
    responses((status = 200, body = ServiceMonth), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn indicators(
    State(state): State<AppState>,
    auth: StaffAuth,
    Params(p): Params<MonthParam>,
) -> Result<Json<ServiceMonth>, ApiError> {
    Ok(Json(state.run(move |app| app.service_indicators(&auth.actor, &p.month)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ApplicantTrack {
    pub tracking_code: String,
    pub phone: String,
}

/// 办件查询: the applicant follows their application with its tracking code and the
/// phone number given at filing. POST keeps the number out of URLs and logs; misses
/// are limited per client address.
#[utoipa::path(post, path = "/api/v1/application-tracking", tag = "applications", request_body = ApplicantTrack,
    responses((status = 200, body = ApplicantView), (status = 404, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn track(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    Body(req): Body<ApplicantTrack>,
) -> Result<Json<ApplicantView>, ApiError> {
    Ok(Json(state.run(move |app| app.track_application(&req.tracking_code, &req.phone, addr.0.as_deref())).await?))
}

/// 好差评: the applicant rates a finished application (办结 or 不予受理) once, with
/// the tracking code and phone, and with any of the online dimensions (`dimensions`:
/// efficiency 办事效率, guide 办事指南精确度, convenience 办事便捷度, platform 平台操作性,
/// each on the five levels). 不满意 and 非常不满意 need a comment, and open a 差评整改
/// for the department.
#[utoipa::path(post, path = "/api/v1/application-ratings", tag = "applications", request_body = RatingInput,
    responses((status = 200, body = ApplicantView), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn rate(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    Body(req): Body<RatingInput>,
) -> Result<Json<ApplicantView>, ApiError> {
    Ok(Json(state.run(move |app| app.rate_application(req, addr.0.as_deref())).await?))
}

/// One 差评整改, for its department, the centre's supervisors and leaders.
#[utoipa::path(get, path = "/api/v1/rating-fixes/{id}", tag = "applications", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = FixView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_fix(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<FixView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.rating_fix_view(&auth.actor, &id)).await?))
}

/// One command on a 差评整改: verify (the department), decide_appeal (the centre, on
/// an unfounded rating), answer (整改 and 答复, the department), call_back (the
/// centre, for a named rating).
#[utoipa::path(post, path = "/api/v1/rating-fixes/{id}/actions", tag = "applications", request_body = yiwang_core::rating_fix::Command,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = FixView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn act_on_fix(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(command): Body<yiwang_core::rating_fix::Command>,
) -> Result<Json<FixView>, ApiError> {
    let id = case_id(&id)?;
    let v = state
        .run(move |app| {
            app.act_rating_fix(&auth.actor, &id, &command)?;
            app.rating_fix_view(&auth.actor, &id)
        })
        .await?;
    Ok(Json(v))
}

/// An e-certificate by its status id (the QR's link), for anyone: valid, revoked or
/// expired, with the signed document, which verifies with `GET /api/v1/keys`.
#[utoipa::path(get, path = "/api/v1/certificates/{status_id}", tag = "applications", params(("status_id" = String, Path)),
    responses((status = 200, body = CertificateStatus), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_certificate(
    State(state): State<AppState>,
    Path(status_id): Path<String>,
) -> Result<Json<CertificateStatus>, ApiError> {
    Ok(Json(state.run(move |app| app.certificate_status(&status_id)).await?))
}

/// The signed list of revoked certificates, as of now: an offline verifier keeps a
/// copy (`yiwang verify-certificate --status-list`) and knows how old it is.
#[utoipa::path(get, path = "/api/v1/certificate-status-list", tag = "applications",
    responses((status = 200, body = StatusList)))]
pub async fn status_list(State(state): State<AppState>) -> Result<Json<StatusList>, ApiError> {
    Ok(Json(state.run(|app| app.status_list()).await?))
}
