//! 一网通管's inspections and rectifications over JSON: the department opens and
//! assigns, the inspector records on site (photos and the signature uploaded to the
//! case first), the department answers 陈述申辩, publishes, re-inspects and
//! escalates; a 12345 appeal or a patrol refers an enterprise into supervision; the
//! enterprise (a phone bound to it) reads its inspections, answers a finding and
//! reports its rectification; anyone reads the published results (JSON and CSV).

use crate::appeal::case_id;
use crate::applicant::ApplicantAuth;
use crate::auth::{Body, StaffAuth};
use crate::{ApiError, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yiwang_app::{InspectionRow, InspectionView, PublishedResult, RectificationView, ReferralInput};
use yiwang_core::id::CaseId;
use yiwang_core::inspection::{Command, NewInspection, Signature};
use yiwang_core::rectification::Command as RectCommand;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inspections", get(queue).post(open))
        .route("/inspections/{id}", get(get_inspection))
        .route("/inspections/{id}/actions", post(act))
        .route("/inspections/{id}/photos", post(upload_photo))
        .route("/cases/{id}/referrals", post(refer))
        .route("/cases/{id}/inspections", get(caused))
        .route("/rectifications", get(rect_queue))
        .route("/rectifications/{id}", get(get_rectification))
        .route("/rectifications/{id}/actions", post(rect_act))
        .route("/rectifications/{id}/photos", post(upload_rect_photo))
        .route("/applicant/enterprises/{code}/inspections", get(my_inspections))
        .route("/applicant/inspections/{id}", get(my_inspection))
        .route("/applicant/inspections/{id}/statement", post(state_on))
        .route("/applicant/enterprises/{code}/rectifications", get(my_rectifications))
        .route("/applicant/rectifications/{id}", get(my_rectification))
        .route("/applicant/rectifications/{id}/report", post(report))
        .route("/supervision/results", get(results))
        .route("/supervision/results.csv", get(results_csv))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct QueueParams {
    /// unassigned, assigned, recorded, stated, final, published
    pub status: Option<String>,
}

/// 检查任务: an inspector's own inspections; a 监管人员's whole department.
#[utoipa::path(get, path = "/api/v1/inspections", tag = "supervision", params(QueueParams),
    responses((status = 200, body = [InspectionRow]), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn queue(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(p): Query<QueueParams>,
) -> Result<Json<Vec<InspectionRow>>, ApiError> {
    Ok(Json(state.run(move |app| app.inspection_queue(&auth.actor, p.status.as_deref())).await?))
}

/// 检查立项 (a department's 监管人员; a draw calls the app directly).
#[utoipa::path(post, path = "/api/v1/inspections", tag = "supervision", request_body = NewInspection,
    responses((status = 201, body = InspectionView), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn open(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(n): Body<NewInspection>,
) -> Result<(StatusCode, Json<InspectionView>), ApiError> {
    let v = state
        .run(move |app| {
            let s = app.open_inspection(&auth.actor, n)?;
            app.inspection_view(&auth.actor, &s.id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "supervision", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = InspectionView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_inspection(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<InspectionView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.inspection_view(&auth.actor, &id)).await?))
}

/// Refuses files not uploaded for this case (`…/photos`), or no longer stored.
async fn own_case_files(
    state: &AppState,
    case: &CaseId,
    field: &'static str,
    names: &[String],
) -> Result<(), ApiError> {
    for n in names {
        let stored = match (state.uploads_dir.as_deref(), crate::ui::upload_name(n)) {
            (Some(dir), Some(file)) => tokio::fs::try_exists(dir.join(file)).await.unwrap_or(false),
            _ => false,
        };
        if !stored || !crate::ui::uploaded_for(state, case, n) {
            return Err(ApiError::invalid(field, format!("文件 {n} 不是为 {case} 上传的：请先上传到本案件")));
        }
    }
    Ok(())
}

/// A command: `assign`, `record` (on site: findings, outcome, photos, place, time,
/// the signature or 拒签), `answer` (陈述申辩), `publish`. Photos and the signature
/// image are uploaded to the case first (`…/photos`).
#[utoipa::path(post, path = "/api/v1/inspections/{id}/actions", tag = "supervision", request_body = Command,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = InspectionView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn act(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(c): Body<Command>,
) -> Result<Json<InspectionView>, ApiError> {
    let id = case_id(&id)?;
    if let Command::Record { on_site } = &c {
        own_case_files(&state, &id, "photos", &on_site.photos).await?;
        if let Signature::Signed { image, .. } = &on_site.signature {
            own_case_files(&state, &id, "signature", std::slice::from_ref(image)).await?;
        }
    }
    Ok(Json(state.run(move |app| app.act_on_inspection(&auth.actor, &id, &c)).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UploadedFile {
    /// The name a command on this case carries (`photos`, `signature.image`).
    pub file: String,
}

async fn store_photo(
    state: &AppState,
    id: &CaseId,
    body: &Bytes,
) -> Result<(StatusCode, Json<UploadedFile>), ApiError> {
    let Some(kind) = crate::ui::photo_kind(body) else {
        return Err(ApiError::invalid("photo", "不是JPEG、PNG或WebP格式的图片"));
    };
    if body.len() > crate::ui::MAX_PHOTO_BYTES {
        return Err(ApiError::invalid("photo", "照片不能超过5MB"));
    }
    let Some(dir) = state.uploads_dir.clone() else {
        return Err(ApiError::invalid("photo", "本站未配置上传目录，暂不接收照片"));
    };
    match crate::ui::save_case_upload(state, &dir, id, body, kind).await {
        Ok((file, _)) => Ok((StatusCode::CREATED, Json(UploadedFile { file }))),
        Err(e) => Err(yiwang_app::AppError::Internal(format!("storing an upload: {e}")).into()),
    }
}

/// Uploads a photo, or the drawn signature (PNG), for this inspection's record: only
/// who may see it. Answers the name the record then carries.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/photos", tag = "supervision", params(("id" = String, Path, description = "case number")),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "JPEG, PNG or WebP, at most 5 MB"),
    responses((status = 201, body = UploadedFile), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_photo(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<UploadedFile>), ApiError> {
    let id = case_id(&id)?;
    let case = id.clone();
    state.run(move |app| app.inspection_view(&auth.actor, &case)).await?;
    store_photo(&state, &id, &body).await
}

/// 问题移送: an appeal's or a patrol's handler refers the enterprise it is about to
/// its supervising department: a targeted inspection outside any draw.
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals", tag = "supervision", request_body = ReferralInput,
    params(("id" = String, Path, description = "the appeal's or patrol's case number")),
    responses((status = 201, body = InspectionView), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn refer(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(input): Body<ReferralInput>,
) -> Result<(StatusCode, Json<InspectionView>), ApiError> {
    let id = case_id(&id)?;
    let v = state
        .run(move |app| {
            let s = app.refer_to_inspection(&auth.actor, &id, input)?;
            app.inspection_view(&auth.actor, &s.id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The inspections a case (an appeal, a patrol, a plan) caused.
#[utoipa::path(get, path = "/api/v1/cases/{id}/inspections", tag = "supervision", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = [InspectionRow])), security(("bearer" = [])))]
pub async fn caused(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<InspectionRow>>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.inspections_from(&auth.actor, &id)).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RectParams {
    /// true: 整改中 and 待复查 only; false: ended only.
    pub open: Option<bool>,
}

/// The department's rectifications.
#[utoipa::path(get, path = "/api/v1/rectifications", tag = "supervision", params(RectParams),
    responses((status = 200, body = [InspectionRow])), security(("bearer" = [])))]
pub async fn rect_queue(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(p): Query<RectParams>,
) -> Result<Json<Vec<InspectionRow>>, ApiError> {
    Ok(Json(state.run(move |app| app.rectification_queue(&auth.actor, p.open)).await?))
}

#[utoipa::path(get, path = "/api/v1/rectifications/{id}", tag = "supervision", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = RectificationView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_rectification(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<RectificationView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.rectification_view(&auth.actor, &id)).await?))
}

/// 复查 (`recheck`: passed or not) or 转立案 (`escalate`).
#[utoipa::path(post, path = "/api/v1/rectifications/{id}/actions", tag = "supervision", request_body = RectCommand,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = RectificationView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn rect_act(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(c): Body<RectCommand>,
) -> Result<Json<RectificationView>, ApiError> {
    let id = case_id(&id)?;
    if let RectCommand::Recheck { photos, .. } = &c {
        own_case_files(&state, &id, "photos", photos).await?;
    }
    Ok(Json(state.run(move |app| app.act_on_rectification(&auth.actor, &id, &c)).await?))
}

/// Uploads a re-inspection's photo.
#[utoipa::path(post, path = "/api/v1/rectifications/{id}/photos", tag = "supervision", params(("id" = String, Path, description = "case number")),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "JPEG, PNG or WebP, at most 5 MB"),
    responses((status = 201, body = UploadedFile), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_rect_photo(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<UploadedFile>), ApiError> {
    let id = case_id(&id)?;
    let case = id.clone();
    state.run(move |app| app.rectification_view(&auth.actor, &case)).await?;
    store_photo(&state, &id, &body).await
}

/// The enterprise's inspections (after the visit), for a phone bound to it.
#[utoipa::path(get, path = "/api/v1/applicant/enterprises/{code}/inspections", tag = "applicant",
    params(("code" = String, Path, description = "统一社会信用代码")),
    responses((status = 200, body = [InspectionView]), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn my_inspections(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(code): Path<String>,
) -> Result<Json<Vec<InspectionView>>, ApiError> {
    Ok(Json(state.run(move |app| app.enterprise_inspections(&who, &code)).await?))
}

#[utoipa::path(get, path = "/api/v1/applicant/inspections/{id}", tag = "applicant", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = InspectionView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn my_inspection(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(id): Path<String>,
) -> Result<Json<InspectionView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.my_inspection(&who, &id)).await?))
}

/// What the enterprise writes: a statement (陈述申辩) or a rectification report.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseText {
    pub text: String,
    /// Files uploaded by the applicant (`POST /api/v1/applicant/uploads`).
    #[serde(default)]
    pub files: Vec<String>,
}

fn own_uploads(state: &AppState, who: &yiwang_app::Applicant, files: &[String]) -> Result<(), ApiError> {
    match files.iter().find(|f| !crate::applicant::uploaded_by(state, who, f)) {
        Some(f) => Err(ApiError::invalid(
            "files",
            format!("文件 {f} 不是您上传的：请先上传（POST /api/v1/applicant/uploads）"),
        )),
        None => Ok(()),
    }
}

/// 陈述申辩, within the period, by a phone bound to the enterprise.
#[utoipa::path(post, path = "/api/v1/applicant/inspections/{id}/statement", tag = "applicant", request_body = EnterpriseText,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = InspectionView), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn state_on(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(id): Path<String>,
    Body(b): Body<EnterpriseText>,
) -> Result<Json<InspectionView>, ApiError> {
    let id = case_id(&id)?;
    own_uploads(&state, &who, &b.files)?;
    Ok(Json(state.run(move |app| app.state_on_inspection(&who, &id, &b.text, b.files)).await?))
}

#[utoipa::path(get, path = "/api/v1/applicant/enterprises/{code}/rectifications", tag = "applicant",
    params(("code" = String, Path, description = "统一社会信用代码")),
    responses((status = 200, body = [RectificationView]), (status = 403, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn my_rectifications(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(code): Path<String>,
) -> Result<Json<Vec<RectificationView>>, ApiError> {
    Ok(Json(state.run(move |app| app.enterprise_rectifications(&who, &code)).await?))
}

#[utoipa::path(get, path = "/api/v1/applicant/rectifications/{id}", tag = "applicant", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = RectificationView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn my_rectification(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(id): Path<String>,
) -> Result<Json<RectificationView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.my_rectification(&who, &id)).await?))
}

/// 整改报告 with evidence, by a phone bound to the enterprise.
#[utoipa::path(post, path = "/api/v1/applicant/rectifications/{id}/report", tag = "applicant", request_body = EnterpriseText,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = RectificationView), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn report(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(id): Path<String>,
    Body(b): Body<EnterpriseText>,
) -> Result<Json<RectificationView>, ApiError> {
    let id = case_id(&id)?;
    own_uploads(&state, &who, &b.files)?;
    Ok(Json(state.run(move |app| app.report_rectification(&who, &id, &b.text, b.files)).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ResultParams {
    /// At most this many, newest first (1 to 10,000; 1,000 by default).
    pub limit: Option<u32>,
}

/// 抽查结果公示 as open data (JSON): published results only, no personal data.
#[utoipa::path(get, path = "/api/v1/supervision/results", tag = "supervision", params(ResultParams),
    responses((status = 200, body = [PublishedResult])))]
pub async fn results(
    State(state): State<AppState>,
    Query(p): Query<ResultParams>,
) -> Result<Json<Vec<PublishedResult>>, ApiError> {
    Ok(Json(state.run(move |app| app.published_results(p.limit.unwrap_or(1000))).await?))
}

fn csv_field(s: &str) -> String {
    // A leading = + - @ would be a formula to a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// The published results as CSV (UTF-8 with BOM, for spreadsheets).
pub fn results_csv_text(rows: &[PublishedResult]) -> String {
    let mut out = String::from(
        "\u{feff}案件编号,统一社会信用代码,企业名称,检查事项编码,检查事项,检查方式,检查部门,检查结果,检查日期\r\n",
    );
    for r in rows {
        let date = r.inspected_at.map(|t| yiwang_core::calendar::civil_date(t).to_string()).unwrap_or_default();
        let source = match r.source.as_str() {
            "draw" => "双随机抽查",
            "referral" => "问题移送",
            "recheck" => "整改复查",
            _ => "",
        };
        let line = [
            r.case.to_string(),
            r.enterprise.clone(),
            r.enterprise_name.clone(),
            r.matter.clone(),
            r.matter_name.clone(),
            source.to_owned(),
            r.department.clone(),
            r.outcome_label.clone(),
            date,
        ]
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

/// 抽查结果公示 as open data (CSV).
#[utoipa::path(get, path = "/api/v1/supervision/results.csv", tag = "supervision", params(ResultParams),
    responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn results_csv(State(state): State<AppState>, Query(p): Query<ResultParams>) -> Result<Response, ApiError> {
    let rows = state.run(move |app| app.published_results(p.limit.unwrap_or(1000))).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"supervision-results.csv\""),
        ],
        results_csv_text(&rows),
    )
        .into_response())
}
