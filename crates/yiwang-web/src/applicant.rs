//! The applicant's JSON API (一网通办's 我的办件, `yiwang-app/src/applicant.rs`): a code
//! by SMS, a login with it, then the applicant's own applications, files, certificates
//! and enterprise authorisations. The session token goes in `Authorization: Bearer`
//! (an app) or the `yw_applicant` cookie (the portal's pages). And the window's side
//! of 企业授权.

use crate::appeal::case_id;
use crate::auth::{Body, StaffAuth, bearer};
use crate::{ApiError, AppState};
use axum::extract::{FromRequestParts, Multipart, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use yiwang_app::{
    Applicant, ApplicantCommand, ApplicantLogin, ApplicantView, AuthorisationInput, AuthorisationView, CodeSent,
    MyApplication, MyCertificate, OnlineApplication, OnlineBundle,
};
use yiwang_core::application::Provided;

/// The portal's cookie holding the applicant's session token.
pub const APPLICANT_COOKIE: &str = "yw_applicant";
/// The largest material file: 10 MB (scans and PDFs).
pub const MATERIAL_BYTES_MAX: usize = 10 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/applicant/code", post(send_code))
        .route("/applicant/login", post(login))
        .route("/applicant/applications", get(my_applications).post(apply))
        .route("/applicant/applications/{id}", get(my_application))
        .route("/applicant/bundles", post(apply_bundle))
        .route("/applicant/applications/{id}/actions", post(act))
        .route(
            "/applicant/uploads",
            post(upload).layer(axum::extract::DefaultBodyLimit::max(MATERIAL_BYTES_MAX + 64 * 1024)),
        )
        .route("/applicant/certificates", get(my_certificates))
        .route("/applicant/authorisations", get(my_authorisations))
        .route("/applicant/authorisations/{id}/revoke", post(revoke_mine))
        .route("/authorisations", post(grant))
        .route("/authorisations/{id}", get(get_authorisation))
        .route("/authorisations/{id}/revoke", post(revoke))
}

/// A logged-in applicant: by a bearer token, or the portal's cookie.
pub struct ApplicantAuth(pub Applicant);

pub(crate) fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts.headers.get_all(axum::http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|h| {
        h.split(';').map(str::trim).find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=').map(str::to_owned))
    })
}

impl FromRequestParts<AppState> for ApplicantAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).or_else(|| cookie(parts, APPLICANT_COOKIE));
        token
            .and_then(|t| state.app.applicant(&t))
            .map(ApplicantAuth)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "请先用手机号和验证码登录"))
    }
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct CodeRequest {
    /// An 11-digit mobile number.
    pub phone: String,
}

/// 获取验证码: a six-digit code by SMS, valid for 10 minutes. At most one a minute and
/// five an hour per phone.
#[utoipa::path(post, path = "/api/v1/applicant/code", tag = "applicant", request_body = CodeRequest,
    responses((status = 202, body = CodeSent), (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn send_code(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    Body(req): Body<CodeRequest>,
) -> Result<(StatusCode, Json<CodeSent>), ApiError> {
    let sent = state.run(move |app| app.send_login_code(&req.phone, addr.0.as_deref())).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub phone: String,
    /// The `nonce` the code request answered.
    pub nonce: String,
    pub code: String,
}

/// 验证码登录: the session token, for `Authorization: Bearer`, valid for 2 hours.
#[utoipa::path(post, path = "/api/v1/applicant/login", tag = "applicant", request_body = LoginRequest,
    responses((status = 200, body = ApplicantLogin), (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    Body(req): Body<LoginRequest>,
) -> Result<Json<ApplicantLogin>, ApiError> {
    Ok(Json(state.run(move |app| app.login_with_code(&req.phone, &req.nonce, &req.code, addr.0.as_deref())).await?))
}

/// 我的办件: every application filed with the applicant's phone, online or at a window.
#[utoipa::path(get, path = "/api/v1/applicant/applications", tag = "applicant",
    responses((status = 200, body = [MyApplication]), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn my_applications(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
) -> Result<Json<Vec<MyApplication>>, ApiError> {
    Ok(Json(state.run(move |app| app.my_applications(&who)).await?))
}

/// Refuses files the applicant did not upload (`POST /api/v1/applicant/uploads`).
pub(crate) fn own_files(state: &AppState, who: &Applicant, materials: &[Provided]) -> Result<(), ApiError> {
    for m in materials {
        for f in &m.files {
            if !uploaded_by(state, who, f) {
                return Err(ApiError::invalid(
                    "materials",
                    format!("文件 {f} 不是您上传的：请先上传（POST /api/v1/applicant/uploads）"),
                ));
            }
        }
    }
    Ok(())
}

/// 网上申请, as the logged-in applicant (for an enterprise, one their phone is bound
/// to). Materials are files the applicant uploaded, or their own certificates.
#[utoipa::path(post, path = "/api/v1/applicant/applications", tag = "applicant", request_body = OnlineApplication,
    responses((status = 201, body = ApplicantView), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn apply(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Body(input): Body<OnlineApplication>,
) -> Result<(StatusCode, Json<ApplicantView>), ApiError> {
    own_files(&state, &who, &input.materials)?;
    let v = state
        .run(move |app| {
            let a = app.apply_online(&who, input)?;
            app.my_application(&who, &a.id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// 一件事 online, as the logged-in applicant: the answers choose the parts, each
/// filed as an application of theirs with the shared form and materials.
#[utoipa::path(post, path = "/api/v1/applicant/bundles", tag = "applicant", request_body = OnlineBundle,
    responses((status = 201, body = yiwang_app::BundleView), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn apply_bundle(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Body(input): Body<OnlineBundle>,
) -> Result<(StatusCode, Json<yiwang_app::BundleView>), ApiError> {
    own_files(&state, &who, &input.materials)?;
    let v = state.run(move |app| app.apply_bundle_online(&who, input)).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One of the applicant's applications.
#[utoipa::path(get, path = "/api/v1/applicant/applications/{id}", tag = "applicant", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = ApplicantView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn my_application(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(id): Path<String>,
) -> Result<Json<ApplicantView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.my_application(&who, &id)).await?))
}

/// 补正 (`supplement`, with uploaded files or certificates), 撤回 (`withdraw`) or 评价
/// (`rate`) of one of the applicant's applications.
#[utoipa::path(post, path = "/api/v1/applicant/applications/{id}/actions", tag = "applicant", request_body = ApplicantCommand,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = ApplicantView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn act(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(id): Path<String>,
    Body(c): Body<ApplicantCommand>,
) -> Result<Json<ApplicantView>, ApiError> {
    let id = case_id(&id)?;
    if let ApplicantCommand::Supplement { materials } = &c {
        own_files(&state, &who, materials)?;
    }
    Ok(Json(state.run(move |app| app.act_as_applicant(&who, &id, c)).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Uploaded {
    /// What a material's `files` names.
    pub file: String,
}

fn upload_tag(state: &AppState, who: &Applicant, nonce: &str, kind: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&state.app.config().digest_key).expect("hmac takes any key length");
    mac.update(format!("yiwang-applicant-upload:{}:{nonce}.{kind}", who.phone.as_str()).as_bytes());
    mac
}

/// Stores a material file for the applicant under a name bound to their phone (8
/// random bytes and a tag of them), so that only they can put it in an application.
pub(crate) async fn save_applicant_upload(state: &AppState, who: &Applicant, bytes: &[u8]) -> Result<String, ApiError> {
    let Some(dir) = state.uploads_dir.clone() else {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "uploads_off", "本站未开放文件上传"));
    };
    if bytes.len() > MATERIAL_BYTES_MAX {
        return Err(ApiError::invalid("file", "文件过大：每个文件不超过10MB"));
    }
    let Some(kind) = crate::ui::file_kind(bytes) else {
        return Err(ApiError::invalid("file", "材料应为PDF或JPEG、PNG、WebP格式的图片"));
    };
    let mut raw = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut raw);
    let nonce = hex::encode(raw);
    let tag = hex::encode(&upload_tag(state, who, &nonce, kind).finalize().into_bytes()[..8]);
    let (name, _) = crate::ui::write_upload(&dir, &format!("{nonce}{tag}.{kind}"), bytes)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("文件保存失败：{e}")))?;
    Ok(name)
}

pub(crate) fn uploaded_by(state: &AppState, who: &Applicant, attachment: &str) -> bool {
    let Some((stem, kind)) = crate::ui::upload_name(attachment).and_then(|n| n.split_once('.')) else { return false };
    let (nonce, tag) = stem.split_at(16);
    let Ok(tag) = hex::decode(tag) else { return false };
    upload_tag(state, who, nonce, kind).verify_truncated_left(&tag).is_ok()
}

/// 上传材料: one file (`file`, a PDF or an image of at most 10 MB), for a material of
/// an application or a 补正 to name.
#[utoipa::path(post, path = "/api/v1/applicant/uploads", tag = "applicant",
    request_body(content_type = "multipart/form-data", description = "`file`: the material"),
    responses((status = 201, body = Uploaded), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    mut mp: Multipart,
) -> Result<(StatusCode, Json<Uploaded>), ApiError> {
    while let Some(field) = mp.next_field().await.map_err(|_| ApiError::invalid("file", "上传的内容过大或不完整"))?
    {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(|_| ApiError::invalid("file", "文件过大或上传中断"))?;
            let file = save_applicant_upload(&state, &who, &bytes).await?;
            return Ok((StatusCode::CREATED, Json(Uploaded { file })));
        }
    }
    Err(ApiError::invalid("file", "请选择要上传的文件"))
}

/// 我的证照: certificates issued on the applicant's applications, in force, which a
/// material may reuse.
#[utoipa::path(get, path = "/api/v1/applicant/certificates", tag = "applicant",
    responses((status = 200, body = [MyCertificate]), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn my_certificates(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
) -> Result<Json<Vec<MyCertificate>>, ApiError> {
    Ok(Json(state.run(move |app| app.my_certificates(&who)).await?))
}

/// The enterprise authorisations of the applicant's phone.
#[utoipa::path(get, path = "/api/v1/applicant/authorisations", tag = "applicant",
    responses((status = 200, body = [AuthorisationView]), (status = 401, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn my_authorisations(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
) -> Result<Json<Vec<AuthorisationView>>, ApiError> {
    Ok(Json(state.run(move |app| app.my_authorisations(&who)).await?))
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
pub struct RevokeRequest {
    pub reason: String,
}

/// The agent ends their own authorisation.
#[utoipa::path(post, path = "/api/v1/applicant/authorisations/{id}/revoke", tag = "applicant", request_body = RevokeRequest,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = AuthorisationView), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_mine(
    State(state): State<AppState>,
    ApplicantAuth(who): ApplicantAuth,
    Path(id): Path<String>,
    Body(req): Body<RevokeRequest>,
) -> Result<Json<AuthorisationView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.revoke_my_authorisation(&who, &id, &req.reason)).await?))
}

/// 企业授权登记, by a window clerk who checked the enterprise's written authorisation:
/// the agent's phone may then act for the enterprise online until `valid_until`.
#[utoipa::path(post, path = "/api/v1/authorisations", tag = "applications", request_body = AuthorisationInput,
    responses((status = 201, body = AuthorisationView), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn grant(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(input): Body<AuthorisationInput>,
) -> Result<(StatusCode, Json<AuthorisationView>), ApiError> {
    let v = state
        .run(move |app| {
            let a = app.grant_authorisation(&auth.actor, input)?;
            app.authorisation_view(&auth.actor, &a.id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One enterprise authorisation, for window clerks.
#[utoipa::path(get, path = "/api/v1/authorisations/{id}", tag = "applications", params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = AuthorisationView), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn get_authorisation(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
) -> Result<Json<AuthorisationView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.authorisation_view(&auth.actor, &id)).await?))
}

/// 解除授权, by a window clerk.
#[utoipa::path(post, path = "/api/v1/authorisations/{id}/revoke", tag = "applications", request_body = RevokeRequest,
    params(("id" = String, Path, description = "case number")),
    responses((status = 200, body = AuthorisationView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(id): Path<String>,
    Body(req): Body<RevokeRequest>,
) -> Result<Json<AuthorisationView>, ApiError> {
    let id = case_id(&id)?;
    Ok(Json(state.run(move |app| app.revoke_authorisation(&auth.actor, &id, &req.reason)).await?))
}
