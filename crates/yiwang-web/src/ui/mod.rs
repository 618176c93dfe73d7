//! The pages people use in a browser: the citizen portal (`/`, `/track`), the staff
//! console (`/console`, with the intake screen and the case page; 我的待办 and
//! 督查督办 in `tasks`) and the dashboard (`/console/dashboard`). Server-rendered HTML
//! (maud), one CSS file and a little JavaScript, all compiled into the binary: an
//! intranet without internet access needs nothing else.
//!
//! Like the JSON API, the pages hold no business rules: each handler parses a form,
//! calls one use case of `yiwang_app::App`, and renders the answer or the Chinese
//! message of the error next to what was typed.

mod applicant;
mod applications;
mod assets;
mod audit;
mod authorisations;
mod benefit;
mod bundles;
mod catalogue;
mod console;
mod dashboard;
mod enterprises;
mod export;
mod form;
pub(crate) mod guide;
mod intake;
mod map;
mod outbox;
mod patrol;
mod plans;
mod portal;
mod print;
mod rating;
mod search;
mod sharing;
mod supervision;
mod supervision_board;
mod tasks;
mod verify;
mod webhooks;

use crate::{ApiError, AppState};
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use sha2::{Digest, Sha256};
use yiwang_core::org::{Actor, Role, Staff};

pub use form::Fields;
pub(crate) use portal::{
    file_kind, photo_kind, refuse_foreign_photos, refuse_stored_uploads, save_case_upload, upload_name, uploaded_for,
    write_upload,
};

/// The cookie holding the staff session token (from `App::login`).
pub(crate) const SESSION_COOKIE: &str = "yiwang_session";

/// Photos: at most this many, each at most this large.
pub(crate) const MAX_PHOTOS: usize = 3;
pub(crate) const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// The size limit of the forms that carry files, by path (POST only); `None` for
/// every other path, which keeps the default. The routes below (and the API's photo
/// upload, `appeal::router`) say the same.
pub(crate) fn upload_limit(path: &str) -> Option<usize> {
    match path {
        "/" => Some(PORTAL_LIMIT),
        "/console/targets" => Some(TARGETS_LIMIT),
        p if p.starts_with("/console/tasks/") && p.ends_with("/act") => Some(EVIDENCE_LIMIT),
        p if p.starts_with("/console/patrol/") && p.ends_with("/problem") => Some(PATROL_LIMIT),
        p if p.starts_with("/console/cases/") && p.ends_with("/act") => Some(CASE_ACT_LIMIT),
        p if p.starts_with("/api/v1/appeals/") && p.ends_with("/photos") => Some(API_PHOTO_LIMIT),
        p if p.starts_with("/services/") && p.ends_with("/apply") => Some(applicant::APPLY_LIMIT),
        p if p.starts_with("/my/applications/") => Some(applicant::APPLY_LIMIT),
        "/api/v1/applicant/uploads" => Some(crate::applicant::MATERIAL_BYTES_MAX + 64 * 1024),
        p if p.starts_with("/console/inspections/") && p.ends_with("/act") => Some(supervision::RECORD_LIMIT),
        p if p.starts_with("/api/v1/inspections/") && p.ends_with("/photos") => Some(API_PHOTO_LIMIT),
        p if p.starts_with("/api/v1/rectifications/") && p.ends_with("/photos") => Some(API_PHOTO_LIMIT),
        p if p.starts_with("/my/inspections/") || p.starts_with("/my/rectifications/") => Some(applicant::APPLY_LIMIT),
        _ => None,
    }
}

const PORTAL_LIMIT: usize = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024;
/// A case's action forms: the reply carries as many photos as the portal.
const CASE_ACT_LIMIT: usize = PORTAL_LIMIT;
/// One photo, its bytes as the body.
pub(crate) const API_PHOTO_LIMIT: usize = MAX_PHOTO_BYTES + 64 * 1024;
const TARGETS_LIMIT: usize = tasks::MAX_DOCUMENT_UPLOAD + 1024 * 1024;
const PATROL_LIMIT: usize = yiwang_core::patrol::PHOTOS_MAX * patrol::PHOTO_BYTES_MAX + 1024 * 1024;
const EVIDENCE_LIMIT: usize = tasks::MAX_EVIDENCE_FILES * tasks::MAX_EVIDENCE_BYTES + 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(portal::show_portal).post(portal::submit_appeal).layer(DefaultBodyLimit::max(PORTAL_LIMIT)))
        .route("/receipt", get(portal::show_receipt))
        .route("/track", get(portal::show_track).post(portal::track_appeal))
        .route("/services", get(guide::show_services))
        .route("/services/track", get(guide::show_track).post(guide::track))
        .route("/services/track/rate", post(guide::rate))
        .route("/certificates/verifier.html", get(guide::download_verifier))
        .route("/certificates/{status_id}", get(guide::show_certificate))
        .route("/services/bundles/{code}", get(bundles::show_guide))
        .route(
            "/services/bundles/{code}/apply",
            get(applicant::show_bundle_apply)
                .post(applicant::apply_bundle)
                .layer(DefaultBodyLimit::max(applicant::APPLY_LIMIT)),
        )
        .route("/services/{code}", get(guide::show_service))
        .route(
            "/services/{code}/apply",
            get(applicant::show_apply).post(applicant::apply).layer(DefaultBodyLimit::max(applicant::APPLY_LIMIT)),
        )
        .route("/my", get(applicant::show_mine))
        .route("/my/login", get(applicant::show_login).post(applicant::login))
        .route("/my/code", post(applicant::send_code))
        .route("/my/logout", post(applicant::logout))
        .route(
            "/my/applications/{id}",
            get(applicant::show_one).post(applicant::act).layer(DefaultBodyLimit::max(applicant::APPLY_LIMIT)),
        )
        .route("/track/callback", post(portal::answer_callback))
        .route("/track/resend", post(portal::resend_code))
        .route("/uploads/{case}/{file}", get(portal::get_upload))
        .route("/static/{file}", get(assets::get_asset))
        .route("/console/login", get(console::show_login).post(console::login))
        .route("/console/logout", post(console::logout))
        .route("/console/password", get(console::show_password).post(console::change_password))
        .route("/console/totp", get(console::show_totp).post(console::enroll_totp))
        .route("/console", get(console::show_queues))
        .route("/console/cases/{id}", get(console::show_case))
        .route("/console/cases/{id}/act", post(console::act_on_case).layer(DefaultBodyLimit::max(CASE_ACT_LIMIT)))
        .route("/console/cases/{id}/reveal-phone", post(console::reveal_phone))
        .route("/console/cases/{id}/print", get(print::show_case_print))
        .route("/console/intake", get(intake::show_intake).post(intake::submit_intake))
        .route("/console/intake/hints", post(intake::intake_hints))
        .route("/console/dashboard", get(dashboard::show_dashboard))
        .route("/console/dashboard/export.csv", get(dashboard::export_csv))
        .route("/console/dashboard/export.xlsx", get(dashboard::export_xlsx))
        .route("/console/todo", get(tasks::show_todo))
        .route(
            "/console/targets",
            get(tasks::show_extract).post(tasks::extract).layer(DefaultBodyLimit::max(TARGETS_LIMIT)),
        )
        .route("/console/targets/open", post(tasks::open_tasks))
        .route("/console/tasks", get(tasks::show_task_queues))
        .route("/console/tasks/{id}", get(tasks::show_task))
        .route("/console/tasks/{id}/act", post(tasks::act_on_task).layer(DefaultBodyLimit::max(EVIDENCE_LIMIT)))
        .route("/console/audit", get(audit::show_audit))
        .route("/console/outbox", get(outbox::show_outbox))
        .route("/console/webhooks", get(webhooks::show_webhooks).post(webhooks::add))
        .route("/console/patrol", get(patrol::show_patrol))
        .route("/console/patrol/start", post(patrol::start))
        .route("/console/patrol/{id}/track", post(patrol::track))
        .route("/console/patrol/{id}/problem", post(patrol::problem).layer(DefaultBodyLimit::max(PATROL_LIMIT)))
        .route("/console/patrol/{id}/end", post(patrol::end))
        .route("/console/patrols", get(patrol::show_coverage))
        .route("/console/patrols/{id}", get(patrol::show_one))
        .route("/console/applications/new", get(applications::show_new).post(applications::register))
        .route("/console/bundles/new", get(bundles::show_new).post(bundles::register))
        .route("/console/bundles/{id}", get(bundles::show_one))
        .route("/console/bundles/{id}/act", post(bundles::act))
        .route("/console/indicators", get(applications::show_indicators))
        .route("/console/policies", get(benefit::show_policies).post(benefit::define))
        .route("/console/policies/{id}", get(benefit::show_policy))
        .route("/console/policies/{id}/act", post(benefit::act_on_policy))
        .route("/console/grants/{id}", get(benefit::show_grant))
        .route("/console/grants/{id}/pay", post(benefit::pay))
        .route("/my/grants", get(benefit::show_my_grants))
        .route("/my/grants/{id}/{action}", post(benefit::my_act))
        .route("/console/authorisations/new", get(authorisations::show_new).post(authorisations::register))
        .route("/console/authorisations/{id}", get(authorisations::show_one))
        .route("/console/authorisations/{id}/revoke", post(authorisations::revoke))
        .route("/console/plans", get(plans::show_plans).post(plans::create))
        .route("/console/plans/{id}", get(plans::show_one))
        .route("/console/plans/{id}/act", post(plans::act))
        .route("/supervision/draws", get(plans::show_public_list))
        .route("/supervision/draws/{id}", get(plans::show_public))
        .route("/console/rating-fixes/{id}", get(applications::show_fix))
        .route("/console/rating-fixes/{id}/act", post(applications::act_on_fix))
        .route("/console/applications/{id}", get(applications::show_one))
        .route("/console/applications/{id}/act", post(applications::act))
        .route("/console/applications/{id}/print/{doc}", get(applications::print))
        .route("/console/search", get(search::show_search))
        .route("/console/supervision", get(supervision_board::show))
        .route("/console/supervision/export.csv", get(supervision_board::export_csv))
        .route("/console/supervision/export.xlsx", get(supervision_board::export_xlsx))
        .route("/console/enterprises", get(enterprises::show_list))
        .route(
            "/console/enterprises/import",
            get(enterprises::show_import).post(enterprises::import).layer(DefaultBodyLimit::max(64 << 20)),
        )
        .route("/console/enterprises/{code}", get(enterprises::show_one))
        .route("/console/enterprises/{code}/facts", post(enterprises::record_fact))
        .route("/console/credit-repairs/{id}", get(enterprises::show_repair))
        .route("/console/credit-repairs/{id}/act", post(enterprises::act_on_repair))
        .route("/my/enterprise/{code}", get(enterprises::show_mine))
        .route(
            "/my/enterprise/{code}/repair",
            post(enterprises::request_repair).layer(DefaultBodyLimit::max(EVIDENCE_LIMIT)),
        )
        .route("/console/outbox/{id}/resend", post(outbox::resend))
        .route("/console/webhooks/{id}/rotate", post(webhooks::rotate))
        .route("/console/webhooks/{id}/disable", post(webhooks::disable))
        .route("/console/webhooks/{id}/enable", post(webhooks::enable))
        .route("/console/webhooks/dead-letters/{id}/replay", post(webhooks::replay))
        .route("/console/webhooks/dead-letters/{id}/skip", post(webhooks::skip))
        .route("/console/audit/export.csv", get(audit::export_audit))
        .route("/console/board", get(tasks::show_board))
        .route("/console/board/export.csv", get(tasks::export_board_csv))
        .route("/console/board/export.xlsx", get(tasks::export_board_xlsx))
        .route("/console/inspections", get(supervision::show_queue))
        .route("/console/inspections/{id}", get(supervision::show_one))
        .route(
            "/console/inspections/{id}/act",
            post(supervision::act).layer(DefaultBodyLimit::max(supervision::RECORD_LIMIT)),
        )
        .route("/console/rectifications/{id}", get(supervision::show_rect))
        .route("/console/rectifications/{id}/act", post(supervision::rect_act))
        .route("/console/cases/{id}/refer", get(supervision::show_refer).post(supervision::refer))
        .route("/my/inspections", get(supervision::show_mine))
        .route(
            "/my/inspections/{id}",
            get(supervision::show_my_inspection)
                .post(supervision::state_on)
                .layer(DefaultBodyLimit::max(applicant::APPLY_LIMIT)),
        )
        .route(
            "/my/rectifications/{id}",
            get(supervision::show_my_rect)
                .post(supervision::report)
                .layer(DefaultBodyLimit::max(applicant::APPLY_LIMIT)),
        )
        .route("/supervision/results", get(supervision::show_results))
        .route("/console/catalogue", get(catalogue::show_list))
        .route("/console/catalogue/new", get(catalogue::show_new).post(catalogue::register))
        .route("/console/catalogue/{code}", get(catalogue::show_one))
        .route("/console/catalogue/{code}/edit", get(catalogue::show_edit).post(catalogue::amend))
        .route("/open", get(catalogue::show_open))
        .route("/open/catalog.jsonld", get(catalogue::catalog_jsonld))
        .route("/open/data/{file}", get(catalogue::download))
        .route("/console/share", get(sharing::show_list))
        .route("/console/share/new", get(sharing::show_new).post(sharing::submit_new))
        .route("/console/share/usage", get(sharing::show_usage))
        .route("/console/share/{id}", get(sharing::show_one))
        .route("/console/share/{id}/act", post(sharing::act))
        .route("/my/reads", get(sharing::show_my_reads))
        .route(
            "/console/verify",
            get(verify::show_verify).post(verify::verify).layer(DefaultBodyLimit::max(verify::LIMIT)),
        )
}

/// A logged-in staff member in the console. Without a valid session cookie the
/// request is redirected to the login page.
pub(crate) struct StaffUser {
    pub staff: Staff,
    pub actor: Actor,
    pub unit_name: String,
    /// The per-session form token every console form carries (CSRF).
    pub csrf: String,
    token: String,
}

impl StaffUser {
    pub fn is_centre_or_leader(&self) -> bool {
        self.actor.is_centre() || self.actor.has_role(Role::Leader)
    }
    /// Refuses a form without this session's token (besides SameSite=Strict cookies).
    pub fn check_csrf(&self, f: &Fields) -> Result<(), UiError> {
        if f.get("_csrf") == self.csrf {
            Ok(())
        } else {
            Err(UiError(ApiError::new(StatusCode::FORBIDDEN, "csrf", "表单已过期，请返回上一页刷新后重试")))
        }
    }
}

fn csrf_of(token: &str) -> String {
    hex::encode(&Sha256::digest(format!("yiwang-form:{token}").as_bytes())[..16])
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/console");
        StaffUser::from_headers(state, &parts.headers, next).await
    }
}

impl StaffUser {
    /// The staff member behind the session cookie; else a redirect to the login page
    /// that comes back to `next`.
    pub async fn from_headers(state: &AppState, headers: &HeaderMap, next: &str) -> Result<Self, Response> {
        let to_login = || Redirect::to(&format!("/console/login?next={}", form::url_encode(next))).into_response();
        let Some(token) = cookie(headers, SESSION_COOKIE).map(str::to_owned) else {
            return Err(to_login());
        };
        let t = token.clone();
        match state.run(move |app| app.authenticate(&t)).await {
            Ok((staff, actor)) => Ok(StaffUser {
                unit_name: state.app.reference().unit_name(&staff.unit),
                csrf: csrf_of(&token),
                staff,
                actor,
                token,
            }),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => Err(to_login()),
            Err(e) if e.code == "password_change_required" => Err(Redirect::to("/console/password").into_response()),
            Err(e) if e.code == "totp_enrollment_required" => Err(Redirect::to("/console/totp").into_response()),
            // A 核验员 may log out; anything else leads back to the one page they use.
            Err(e) if e.code == "verifier_only" && next == "/console/logout" => {
                StaffUser::verifier(state, headers, next).await
            }
            Err(e) if e.code == "verifier_only" => Err(Redirect::to("/console/verify").into_response()),
            Err(e) => Err(UiError(e).into_response()),
        }
    }

    /// As `from_headers`, for the verification page: a staff member with
    /// `Role::Verifier` (`App::authenticate_verifier`).
    pub async fn verifier(state: &AppState, headers: &HeaderMap, next: &str) -> Result<Self, Response> {
        let to_login = || Redirect::to(&format!("/console/login?next={}", form::url_encode(next))).into_response();
        let Some(token) = cookie(headers, SESSION_COOKIE).map(str::to_owned) else {
            return Err(to_login());
        };
        let t = token.clone();
        match state.run(move |app| app.authenticate_verifier(&t)).await {
            Ok((staff, actor)) => Ok(StaffUser {
                unit_name: state.app.reference().unit_name(&staff.unit),
                csrf: csrf_of(&token),
                staff,
                actor,
                token,
            }),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => Err(to_login()),
            Err(e) if e.code == "password_change_required" => Err(Redirect::to("/console/password").into_response()),
            Err(e) => Err(UiError(e).into_response()),
        }
    }
}

/// An error shown as a page.
pub(crate) struct UiError(pub ApiError);

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        UiError(e)
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let title = match e.status {
            StatusCode::NOT_FOUND => "找不到页面",
            StatusCode::FORBIDDEN => "无权访问",
            s if s.is_server_error() => "系统出错",
            _ => "无法完成",
        };
        let mut r = html_response(e.status, page(title, Chrome::Plain, error_body(title, &e.message, "/")));
        // Marked, so that `staff_error_pages` can dress it for a logged-in staff member.
        r.extensions_mut().insert(ErrorPage { title, message: e.message });
        r
    }
}

fn error_body(title: &str, message: &str, home: &str) -> maud::Markup {
    html! {
        section.card.notice role="alert" {
            h1 { (title) }
            p { (message) }
            p { a href=(home) data-back { "返回上一页" } " · " a href=(home) { "首页" } }
        }
    }
}

/// An error page, as `UiError` made it.
#[derive(Clone)]
struct ErrorPage {
    title: &'static str,
    message: String,
}

/// Staff who meet an error in the console (a missing case, 无权访问) see it under the
/// console's header, with their name and the way back, not as a bare page.
pub(crate) async fn staff_error_pages(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let console = req.uri().path().starts_with("/console/") && req.uri().path() != "/console/login";
    let headers = if console { req.headers().clone() } else { HeaderMap::new() };
    let r = next.run(req).await;
    let Some(e) = r.extensions().get::<ErrorPage>().cloned() else { return r };
    if !console || cookie(&headers, SESSION_COOKIE).is_none() {
        return r;
    }
    match StaffUser::from_headers(&state, &headers, "/console").await {
        Ok(u) => {
            let body = error_body(e.title, &e.message, "/console");
            html_response(r.status(), page(e.title, Chrome::Console(&u, ""), body))
        }
        Err(_) => r,
    }
}

/// Addresses that do not exist: the JSON error under the APIs, a page elsewhere.
pub(crate) async fn not_found(uri: axum::http::Uri) -> Response {
    let e = ApiError::new(StatusCode::NOT_FOUND, "not_found", "没有这个地址");
    if uri.path().starts_with("/api/") || uri.path().starts_with("/open311/") {
        e.into_response()
    } else {
        UiError(ApiError { message: "没有这个页面，可能地址有误或已被删除".into(), ..e }).into_response()
    }
}

pub(crate) type UiResult = Result<Response, UiError>;

/// Which header a page gets.
pub(crate) enum Chrome<'a> {
    /// The citizen portal.
    Portal,
    /// Error pages and the login page.
    Plain,
    /// The console, with the staff member and the current section.
    Console(&'a StaffUser, &'static str),
}

/// The page shell: header, navigation, main content.
pub(crate) fn page(title: &str, chrome: Chrome<'_>, body: Markup) -> Markup {
    let wide = matches!(chrome, Chrome::Console(..));
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 云溪区12345" }
                link rel="stylesheet" href=(assets::CSS_PATH);
                script src=(assets::JS_PATH) defer {}
            }
            body.console[wide] {
                a.skip href="#main" { "跳到正文" }
                header.top {
                    @match chrome {
                        // A 核验员 sees one page: verification.
                        Chrome::Console(u, _) if Role::only_verifies(&u.staff.roles) => {
                            a.brand href="/console/verify" { "一网 · 证照核验" }
                            nav aria-label="工作台导航" {
                                a href="/console/verify" aria-current="page" { "证照核验" }
                            }
                            div.who {
                                span { (u.staff.name) " · " (u.unit_name) " · " (roles(&u.staff.roles)) }
                                form method="post" action="/console/logout" {
                                    input type="hidden" name="_csrf" value=(u.csrf);
                                    button.link type="submit" { "退出" }
                                }
                            }
                        }
                        Chrome::Console(u, section) => {
                            a.brand href="/console" { "一网 · 12345 工作台" }
                            nav aria-label="工作台导航" {
                                a href="/console/todo" aria-current=[(section == "todo").then_some("page")] { "我的待办" }
                                a href="/console" aria-current=[(section == "queues").then_some("page")] { "工单队列" }
                                a href="/console/search" aria-current=[(section == "search").then_some("page")] { "检索" }
                                @if u.actor.is_centre() && u.actor.has_any_role(&[Role::Operator, Role::Dispatcher]) {
                                    a href="/console/intake" aria-current=[(section == "intake").then_some("page")] { "来电受理" }
                                }
                                @if u.is_centre_or_leader() {
                                    a href="/console/dashboard" aria-current=[(section == "dashboard").then_some("page")] { "数据看板" }
                                }
                                @if u.actor.has_role(Role::GridWorker) {
                                    a href="/console/patrol" aria-current=[(section == "patrol").then_some("page")] { "网格巡查" }
                                }
                                @if patrol::sees_coverage(u) {
                                    a href="/console/patrols" aria-current=[(section == "patrols").then_some("page")] { "巡查覆盖" }
                                }
                                @if applications::is_clerk(u) {
                                    a href="/console/applications/new" aria-current=[(section == "applications").then_some("page")] { "窗口收件" }
                                    a href="/console/bundles/new" aria-current=[(section == "bundles").then_some("page")] { "一件事收件" }
                                    a href="/console/authorisations/new" { "企业授权" }
                                }
                                @if yiwang_app::sees_supervision(&u.actor) {
                                    a href="/console/supervision" aria-current=[(section == "supervision").then_some("page")] { "监管看板" }
                                }
                                @if enterprises::sees_register(u) {
                                    a href="/console/enterprises" aria-current=[(section == "enterprises").then_some("page")] { "企业名录" }
                                }
                                @if applications::sees_indicators(u) {
                                    a href="/console/indicators" aria-current=[(section == "indicators").then_some("page")] { "一网通办指标" }
                                }
                                @if plans::sees_plans(u) {
                                    a href="/console/plans" aria-current=[(section == "plans").then_some("page")] { "双随机抽查" }
                                }
                                @if supervision::sees_inspections(u) {
                                    a href="/console/inspections" aria-current=[(section == "inspections").then_some("page")] { "检查任务" }
                                }
                                @if sharing::sees_sharing(u) {
                                    a href="/console/share" aria-current=[(section == "share").then_some("page")] { "数据共享" }
                                }
                                @if u.actor.has_role(Role::PolicyOfficer) {
                                    a href="/console/policies" aria-current=[(section == "policies").then_some("page")] { "免申即享" }
                                }
                                a href="/console/tasks" aria-current=[(section == "tasks").then_some("page")] { "督查督办" }
                                a href="/console/catalogue" aria-current=[(section == "catalogue").then_some("page")] { "资源目录" }
                                @if tasks::sees_board(u) {
                                    a href="/console/board" aria-current=[(section == "board").then_some("page")] { "督办看板" }
                                }
                                @if u.actor.is_centre() {
                                    a href="/console/outbox" aria-current=[(section == "outbox").then_some("page")] { "通知记录" }
                                    a href="/console/webhooks" aria-current=[(section == "webhooks").then_some("page")] { "实时推送" }
                                }
                                @if u.actor.has_role(Role::Auditor) {
                                    a href="/console/audit" aria-current=[(section == "audit").then_some("page")] { "安全审计" }
                                }
                            }
                            div.who {
                                span { (u.staff.name) " · " (u.unit_name) " · " (roles(&u.staff.roles)) }
                                form method="post" action="/console/logout" {
                                    input type="hidden" name="_csrf" value=(u.csrf);
                                    button.link type="submit" { "退出" }
                                }
                            }
                        }
                        _ => {
                            a.brand href="/" { "云溪区 12345 市民服务热线" }
                            nav aria-label="市民服务" {
                                a href="/" { "我要反映" }
                                a href="/track" { "进度查询" }
                                a href="/services" { "办事指南" }
                                a href="/my" { "我的办件" }
                            }
                        }
                    }
                }
                main #main { (body) }
                footer.foot { "云溪区12345市民服务热线 · 热线电话 12345 · 由 yiwang 提供" }
            }
        }
    }
}

pub(crate) fn html_response(status: StatusCode, m: Markup) -> Response {
    let mut r = (status, axum::response::Html(m.into_string())).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn roles(rs: &[Role]) -> String {
    rs.iter().map(|r| r.label()).collect::<Vec<_>>().join("、")
}

/// China Standard Time, as people read it.
pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&yiwang_core::calendar::china_tz()).format("%Y-%m-%d %H:%M").to_string()
}

/// Time left before a deadline, e.g. "剩 2个工作日3小时" or "超时 5小时"; `working`
/// when the time counts working days only.
pub(crate) fn fmt_left(seconds: i64, working: bool) -> String {
    let s = seconds.unsigned_abs();
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    let day = if working { "个工作日" } else { "天" };
    let amount = match (d, h) {
        (0, 0) => format!("{m}分钟"),
        (0, h) => format!("{h}小时{m}分"),
        (d, 0) => format!("{d}{day}"),
        (d, h) => format!("{d}{day}{h}小时"),
    };
    if seconds >= 0 { format!("剩 {amount}") } else { format!("超时 {amount}") }
}

/// A message from the core in people's terms: the field named in Chinese, unit codes
/// replaced by unit names.
pub(crate) fn say(e: &ApiError, r: &yiwang_app::Reference) -> String {
    let mut m = match &e.field {
        Some(f) if !f.is_empty() => {
            let label = form::field_label(f);
            e.message.replace(&format!("字段 {f} 不符合要求："), &format!("“{label}”"))
        }
        _ => e.message.clone(),
    };
    if matches!(e.code, "co_units_pending" | "unknown_unit" | "same_unit" | "unit_cannot_handle") {
        let mut units: Vec<_> = r.org.units().collect();
        units.sort_by_key(|u| std::cmp::Reverse(u.code.as_str().len()));
        for u in units {
            m = m.replace(u.code.as_str(), u.display_name());
        }
    }
    m
}

/// The inline SVG of a small coloured dot (for stage badges without relying on colour alone).
pub(crate) fn stage_badge(stage: yiwang_core::deadline::Stage, text: &str) -> Markup {
    use yiwang_core::deadline::Stage;
    let (class, word) = match stage {
        Stage::Green => ("ok", "正常"),
        Stage::Yellow => ("warn", "即将超时"),
        Stage::Red => ("late", "已超时"),
    };
    html! { span class={"badge " (class)} title=(word) { (text) } }
}
