//! The applicant's pages on the portal (我的办件, `yiwang-app/src/applicant.rs`): a
//! login with the phone and a code by SMS; the list of their applications, enterprise
//! authorisations and certificates; one application with 补正, 撤回 and 评价 online;
//! and 网上申请 from a service's guide, with files uploaded and certificates reused.
//!
//! The session is the `yw_applicant` cookie: HttpOnly, SameSite=Strict (so no other
//! site's form can post with it), Secure behind TLS; two hours, then a new login.

use super::form::Fields;
use super::portal::field_of;
use super::{Chrome, fmt_time, html_response, page};
use crate::applicant::{APPLICANT_COOKIE, MATERIAL_BYTES_MAX, cookie, save_applicant_upload};
use crate::{ApiError, AppState};
use axum::extract::{FromRequestParts, Multipart, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::collections::BTreeMap;
use yiwang_app::{Applicant, ApplicantCommand, ApplicantView, MyCertificate, OnlineApplication};
use yiwang_core::application::{Provided, Rating, Service};
use yiwang_core::id::CaseId;

/// Files one form may carry: at most this many, together at most `APPLY_LIMIT`.
pub(crate) const FILES_MAX: usize = 8;
pub(crate) const APPLY_LIMIT: usize = 30 * 1024 * 1024;

type FieldError = (String, String);

/// The logged-in applicant of a page; without one, the login page (and back after).
pub(crate) struct PortalApplicant(pub Applicant);

impl FromRequestParts<AppState> for PortalApplicant {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match cookie(parts, APPLICANT_COOKIE).and_then(|t| state.app.applicant(&t)) {
            Some(a) => Ok(PortalApplicant(a)),
            None => {
                let next = parts.uri.path();
                Err(Redirect::to(&format!("/my/login?next={}", super::form::url_encode(next))).into_response())
            }
        }
    }
}

/// Where a login goes back to: a page of the portal's own (never another site).
fn safe_next(next: &str) -> &str {
    let ok =
        (next.starts_with("/my") || next.starts_with("/services/")) && !next.contains("//") && !next.contains('\\');
    if ok { next } else { "/my" }
}

#[derive(serde::Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

pub async fn show_login(axum::extract::Query(q): axum::extract::Query<NextQuery>) -> Response {
    let mut f = Fields::default();
    f.push("next", safe_next(q.next.as_deref().unwrap_or("/my")));
    render_login(&f, None, None, StatusCode::OK)
}

/// The phone form, or (once a code was sent: `sent` is the masked phone) the code form.
fn render_login(f: &Fields, sent: Option<&str>, error: Option<&str>, status: StatusCode) -> Response {
    let body = html! {
        section.card #applicant-login {
            h1 { "办事人登录" }
            p { "用手机号和短信验证码登录，查看您的全部办件，在线申请、补正和评价。" }
            @if let Some(e) = error { div.alert role="alert" { (e) } }
            @match sent {
                None => {
                    form method="post" action="/my/code" {
                        input type="hidden" name="next" value=(f.get("next"));
                        div.field {
                            label for="phone" { "手机号" }
                            input #phone name="phone" type="tel" inputmode="numeric" autocomplete="tel" required maxlength="11" value=(f.get("phone"));
                        }
                        div.actions { button.primary type="submit" { "获取验证码" } }
                    }
                }
                Some(masked) => {
                    p.flash role="status" { "验证码已发送至 " (masked) "，10 分钟内有效。" }
                    form method="post" action="/my/login" {
                        input type="hidden" name="next" value=(f.get("next"));
                        input type="hidden" name="phone" value=(f.get("phone"));
                        input type="hidden" name="nonce" value=(f.get("nonce"));
                        div.field {
                            label for="code" { "验证码" }
                            input #code name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="6" pattern="[0-9]{6}";
                        }
                        div.actions { button.primary type="submit" { "登录" } }
                    }
                    form method="post" action="/my/code" {
                        input type="hidden" name="next" value=(f.get("next"));
                        input type="hidden" name="phone" value=(f.get("phone"));
                        button.link type="submit" { "没收到？重新获取" }
                    }
                }
            }
        }
    };
    html_response(status, page("办事人登录", Chrome::Portal, body))
}

pub async fn send_code(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    axum::Form(mut f): axum::Form<Fields>,
) -> Response {
    let phone = f.get("phone").trim().to_owned();
    match state.run(move |app| app.send_login_code(&phone, addr.0.as_deref())).await {
        Ok(sent) => {
            f.push("nonce", sent.nonce);
            render_login(&f, Some(&sent.phone), None, StatusCode::OK)
        }
        Err(e) => render_login(&f, None, Some(&field_of(&state, &e).1), e.status),
    }
}

pub async fn login(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    axum::Form(f): axum::Form<Fields>,
) -> Response {
    let (phone, nonce, code) = (f.get("phone").to_owned(), f.get("nonce").to_owned(), f.get("code").to_owned());
    match state.run(move |app| app.login_with_code(&phone, &nonce, &code, addr.0.as_deref())).await {
        Ok(l) => {
            let secure = if state.secure_cookies { "; Secure" } else { "" };
            let max_age = yiwang_app::SESSION_HOURS * 3600;
            let c =
                format!("{APPLICANT_COOKIE}={}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}", l.token);
            let mut r = Redirect::to(safe_next(f.get("next"))).into_response();
            r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&c).expect("an ascii token"));
            r
        }
        Err(e) => {
            // Back to the code form while the code may still be right; else from the start.
            let sent = (e.status == StatusCode::UNPROCESSABLE_ENTITY)
                .then(|| yiwang_core::id::PhoneNumber::parse(f.get("phone")).map(|p| p.masked()).unwrap_or_default());
            render_login(&f, sent.as_deref(), Some(&field_of(&state, &e).1), e.status)
        }
    }
}

pub async fn logout() -> Response {
    let mut r = Redirect::to("/services").into_response();
    let c = format!("{APPLICANT_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&c).expect("ascii"));
    r
}

// ---------------------------------------------------------------- 我的办件

pub async fn show_mine(State(state): State<AppState>, PortalApplicant(who): PortalApplicant) -> Response {
    let masked = who.phone.masked();
    let found = state
        .run(move |app| {
            Ok((
                app.my_applications(&who)?,
                app.my_authorisations(&who)?,
                app.my_certificates(&who)?,
                app.my_enterprises(&who)?,
            ))
        })
        .await;
    let (list, bindings, certificates, enterprises) = match found {
        Ok(x) => x,
        Err(e) => return super::UiError(e).into_response(),
    };
    let body = html! {
        section.card #my-applications {
            div.card-head {
                h1 { "我的办件" }
                form method="post" action="/my/logout" { button.link type="submit" { "退出登录（" (masked) "）" } }
            }
            p { a.button href="/services" { "在线申请办事" } }
            @if list.is_empty() {
                p.muted.empty { "您还没有办件。在办事指南中找到事项，即可在线申请。" }
            } @else {
                ul.plain.my-list {
                    @for m in &list {
                        li.my-item {
                            a href={"/my/applications/" (m.id)} { strong { (m.service_name) } }
                            " " span.status { (m.status_label) }
                            @if let Some(t) = &m.to_do { " " span.tag.todo { (t) } }
                            br;
                            small.muted {
                                (m.id) " · " (fmt_time(m.filed_at)) " · " @if m.online { "网上申请" } @else { "窗口申请" }
                                @if let Some(e) = &m.enterprise { " · " (e) }
                            }
                        }
                    }
                }
            }
        }
        @if !bindings.is_empty() || !enterprises.is_empty() {
            section.card #my-enterprises {
                h2 { "我可代办的企业" }
                ul.plain {
                    @for (code, name) in &enterprises {
                        li {
                            a href={"/my/enterprise/" (code)} { (name) } "（" (code) "）"
                            @if let Some(b) = bindings.iter().find(|b| b.in_force && b.authorisation.enterprise == *code) {
                                " " span.status { (b.status_label) } " 至 " (b.authorisation.valid_until)
                            }
                        }
                    }
                    @for b in bindings.iter().filter(|b| !b.in_force) {
                        li { (b.authorisation.enterprise_name) "（" (b.authorisation.enterprise) "）"
                            " " span.status { (b.status_label) } " 至 " (b.authorisation.valid_until)
                            @if b.in_force { " · " a href={"/my/grants?enterprise=" (b.authorisation.enterprise)} { "免申即享" } } }
                    }
                }
            }
        }
        @if !certificates.is_empty() {
            section.card #my-certificates {
                h2 { "我的电子证照" }
                ul.plain { @for c in &certificates { li { (c.type_name) " " (c.number) " · " (c.holder) } } }
            }
        }
    };
    html_response(StatusCode::OK, page("我的办件", Chrome::Portal, body))
}

pub async fn show_one(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = CaseId::parse(&id) else { return not_found() };
    render_one(&state, who, id, None, Fields::default(), StatusCode::OK).await
}

fn not_found() -> Response {
    super::UiError(ApiError::new(StatusCode::NOT_FOUND, "not_found", "没有这件办件，或它不是您的")).into_response()
}

async fn render_one(
    state: &AppState,
    who: Applicant,
    id: CaseId,
    said: Option<Result<String, String>>,
    f: Fields,
    status: StatusCode,
) -> Response {
    let found = state
        .run(move |app| {
            let v = app.my_application(&who, &id)?;
            let s = app.service(&v.service, Some(v.service_version))?;
            Ok((v, s))
        })
        .await;
    let (v, s) = match found {
        Ok(x) => x,
        Err(e) if e.status == StatusCode::NOT_FOUND => return not_found(),
        Err(e) => return super::UiError(e).into_response(),
    };
    html_response(status, page(&v.service_name, Chrome::Portal, one(&v, &s, said, &f)))
}

fn one(v: &ApplicantView, s: &Service, said: Option<Result<String, String>>, f: &Fields) -> Markup {
    let act = format!("/my/applications/{}", v.id);
    html! {
        @match &said {
            Some(Ok(flash)) => { div.flash role="status" { (flash) } }
            Some(Err(e)) => { div.alert role="alert" { (e) } }
            None => {}
        }
        section.card #applicant-view {
            p.muted { a href="/my" { "我的办件" } " › " (v.id) }
            h1 { (v.service_name) }
            dl.facts {
                dt { "办件编号" } dd #case-id { (v.id) }
                dt { "办理部门" } dd { (v.department_name) }
                @if let Some(e) = &v.enterprise { dt { "申请企业" } dd { (e) } }
                dt { "状态" } dd #applicant-status { span.status { (v.status_label) } }
                dt { "申请时间" } dd { (fmt_time(v.filed_at)) }
                @if let Some(t) = v.accepted_at { dt { "受理时间" } dd { (fmt_time(t)) } }
                dt { "到现场次数" } dd #applicant-visits { (v.visits) }
                @if let Some(c) = &v.certificate {
                    dt { "电子证照" }
                    dd #applicant-certificate {
                        (c)
                        @if let Some(sid) = &v.certificate_status_id { " " a href={"/certificates/" (sid)} { "查看证照与二维码" } }
                    }
                }
                @if let Some(r) = v.rating { dt { "您的评价" } dd #applicant-rating { (r.label()) } }
            }
            h2 { "办理过程" }
            ol.timeline { @for e in v.timeline.iter().rev() { li { time { (fmt_time(e.at)) } span { (e.summary) } } } }
        }
        @if !v.missing.is_empty() {
            section.card #supplement {
                h2 { "补正材料" }
                p { "办理部门一次性告知，需要补正以下内容：" }
                ul.plain #applicant-missing { @for m in &v.missing { li { (m) } } }
                form method="post" action=(act) enctype="multipart/form-data" {
                    input type="hidden" name="action" value="supplement";
                    @for m in &s.materials {
                        @let wanted = v.missing_materials.contains(&m.code);
                        div.field.material.wanted[wanted] {
                            label for={"file-" (m.code)} { (m.name) @if wanted { " " span.tag.todo { "需补正" } } }
                            input id={"file-" (m.code)} name={"file." (m.code)} type="file" accept="application/pdf,image/jpeg,image/png,image/webp";
                        }
                    }
                    p.hint { "每个文件不超过10MB，PDF或图片。" }
                    div.actions { button.primary type="submit" { "提交补正" } }
                }
            }
        }
        @if v.can_rate {
            section.card #rate {
                h2 { "评价本次办理（好差评）" }
                form method="post" action=(act) {
                    input type="hidden" name="action" value="rate";
                    (super::rating::overall(f, "您对本次办理是否满意？（整体满意度）"))
                    (super::rating::dimensions(f, &yiwang_core::application::Dimension::ONLINE, false))
                    div.field {
                        label for="comment" { "意见或建议" span.opt { "（不满意时必填）" } }
                        textarea #comment name="comment" rows="3" maxlength="500" { (f.get("comment")) }
                    }
                    label.choice { input type="checkbox" name="named" value="1" checked[f.has("named", "1")]; "实名评价：同意办理部门就本评价与我联系" }
                    div.actions { button.primary type="submit" { "提交评价" } }
                }
            }
        }
        @if let Some(fen) = v.payment_due {
            section.card #pay {
                h2 { "缴费" }
                p { "本事项已准予，需缴纳费用 " strong { (fen / 100) "." (format!("{:02}", fen % 100)) " 元" } "。请按缴费通知缴费后，登记缴费凭证号，部门即可制证。" }
                form method="post" action=(act) enctype="multipart/form-data" {
                    input type="hidden" name="action" value="pay";
                    div.field {
                        label for="reference" { "缴费凭证号" }
                        input #reference name="reference" required maxlength="64" value=(f.get("reference"));
                    }
                    div.field {
                        label for="paid_on" { "缴费日期" }
                        input #paid_on name="paid_on" type="date" required value=(f.get("paid_on"));
                    }
                    div.actions { button.primary type="submit" { "登记缴费" } }
                }
            }
        }
        @if v.can_withdraw {
            section.card #withdraw {
                h2 { "撤回申请" }
                form method="post" action=(act) {
                    input type="hidden" name="action" value="withdraw";
                    div.field {
                        label for="reason" { "撤回原因" span.opt { "（选填）" } }
                        input #reason name="reason" maxlength="200";
                    }
                    div.actions { button.danger type="submit" { "撤回申请" } }
                }
            }
        }
    }
}

/// 申请企业: the enterprises the applicant's phone may act for now.
fn enterprise_field(bound: &[&yiwang_app::AuthorisationView], f: &Fields) -> Markup {
    html! {
        div.field {
            label for="enterprise" { "申请企业" }
            select #enterprise name="enterprise" required {
                @for b in bound {
                    @let code = b.authorisation.enterprise.to_string();
                    option value=(code) selected[f.get("enterprise") == code] { (b.authorisation.enterprise_name) "（" (code) "）" }
                }
            }
        }
    }
}

/// One material: a file to upload (`file.<code>`), or one of the applicant's
/// certificates of the kind that stands in for it (`cert.<code>`).
fn material_field(
    m: &yiwang_core::application::service::Material,
    certificates: &[MyCertificate],
    f: &Fields,
) -> Markup {
    let mine: Vec<&MyCertificate> =
        certificates.iter().filter(|c| m.certificate.as_deref() == Some(c.type_code.as_str())).collect();
    let chosen = f.get(&format!("cert.{}", m.code));
    html! {
        div.field.material {
            label for={"file-" (m.code)} { (m.name) @if !m.required { span.opt { "（选填）" } } }
            @if !mine.is_empty() {
                select name={"cert." (m.code)} aria-label={(m.name) "：选用电子证照"} {
                    option value="" { "上传文件" }
                    @for c in mine { option value=(c.number) selected[chosen == c.number] { "选用电子证照 " (c.number) } }
                }
            }
            input id={"file-" (m.code)} name={"file." (m.code)} type="file" accept="application/pdf,image/jpeg,image/png,image/webp";
        }
    }
}

/// The service's (or the bundle's shared) form as posted: `form.<code>`, blanks left out.
fn form_of(f: &Fields) -> BTreeMap<String, String> {
    f.0.iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("form.")?.to_owned(), v.clone())))
        .filter(|(_, v)| !v.trim().is_empty())
        .collect()
}

/// A form that carries files: its fields, and each file with the field it came in
/// (`file.<material>`).
pub(crate) async fn read_files(mut mp: Multipart) -> Result<(Fields, Vec<(String, Vec<u8>)>), (Fields, String)> {
    let mut f = Fields::default();
    let mut files = vec![];
    let too_big = "上传的内容过大或不完整：每个文件不超过10MB，全部文件合计不超过30MB".to_owned();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(_) => return Err((f, too_big)),
        };
        let name = field.name().unwrap_or("").to_owned();
        if let Some(code) = name.strip_prefix("file.") {
            let code = code.to_owned();
            let bytes = match field.bytes().await {
                Ok(b) => b,
                Err(_) => return Err((f, too_big)),
            };
            if bytes.is_empty() {
                continue; // no file chosen
            }
            if bytes.len() > MATERIAL_BYTES_MAX {
                return Err((f, "文件过大：每个文件不超过10MB".into()));
            }
            files.push((code, bytes.to_vec()));
            if files.len() > FILES_MAX {
                return Err((f, format!("一次最多上传{FILES_MAX}个文件")));
            }
        } else {
            let value = field.text().await.unwrap_or_default();
            f.push(&name, value);
        }
    }
    Ok((f, files))
}

/// Stores each file for the applicant, and the materials they make (with the
/// certificates chosen on the form: `cert.<material>`).
async fn materials_from(
    state: &AppState,
    who: &Applicant,
    f: &Fields,
    files: Vec<(String, Vec<u8>)>,
) -> Result<Vec<Provided>, ApiError> {
    let mut by_material: BTreeMap<String, Provided> = BTreeMap::new();
    for (code, bytes) in files {
        let name = save_applicant_upload(state, who, &bytes).await?;
        by_material
            .entry(code.clone())
            .or_insert_with(|| Provided { material: code, files: vec![], certificate: None, paper: false })
            .files
            .push(name);
    }
    for (k, v) in &f.0 {
        if let Some(code) = k.strip_prefix("cert.")
            && !v.trim().is_empty()
        {
            let p = by_material.entry(code.to_owned()).or_insert_with(|| Provided {
                material: code.to_owned(),
                files: vec![],
                certificate: None,
                paper: false,
            });
            if p.files.is_empty() {
                p.certificate = Some(v.trim().to_owned());
            }
        }
    }
    Ok(by_material.into_values().collect())
}

pub async fn act(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(id): Path<String>,
    mp: Multipart,
) -> Response {
    let Ok(id) = CaseId::parse(&id) else { return not_found() };
    let (f, files) = match read_files(mp).await {
        Ok(x) => x,
        Err((f, e)) => return render_one(&state, who, id, Some(Err(e)), f, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let command = match f.get("action") {
        "supplement" => match materials_from(&state, &who, &f, files).await {
            Ok(materials) => ApplicantCommand::Supplement { materials },
            Err(e) => return render_one(&state, who, id, Some(Err(e.message)), f, e.status).await,
        },
        "withdraw" => ApplicantCommand::Withdraw { reason: f.opt("reason") },
        "pay" => match chrono::NaiveDate::parse_from_str(f.get("paid_on"), "%Y-%m-%d") {
            Ok(paid_on) => {
                // The amount is the service's fee: the page states it, the rule checks it.
                let (w, i) = (who.clone(), id.clone());
                let due = state.run(move |app| app.my_application(&w, &i)).await.ok().and_then(|v| v.payment_due);
                ApplicantCommand::RecordPayment {
                    reference: f.get("reference").trim().to_owned(),
                    amount_fen: due.unwrap_or(0),
                    paid_on,
                }
            }
            Err(_) => {
                let e = "请选择缴费日期".to_owned();
                return render_one(&state, who, id, Some(Err(e)), f, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
        "rate" => match (
            Rating::parse(f.get("rating")),
            super::rating::dimensions_from(&f, &yiwang_core::application::Dimension::ONLINE, false),
        ) {
            (_, Err(e)) => {
                let e = e.to_string();
                return render_one(&state, who, id, Some(Err(e)), f, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            (Some(rating), Ok(dimensions)) => {
                ApplicantCommand::Rate { rating, comment: f.opt("comment"), named: f.has("named", "1"), dimensions }
            }
            (None, _) => {
                let e = "请选择满意程度".to_owned();
                return render_one(&state, who, id, Some(Err(e)), f, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
        _ => {
            return render_one(&state, who, id, Some(Err("未知的操作".into())), f, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let flash = match &command {
        ApplicantCommand::Supplement { .. } => "补正材料已提交，办理部门将尽快审核。",
        ApplicantCommand::Withdraw { .. } => "申请已撤回。",
        ApplicantCommand::Rate { rating, .. } if rating.is_good() => "感谢您的评价。",
        ApplicantCommand::Rate { .. } => "感谢您的评价。办理部门将在规定时限内核实整改，并答复您。",
        ApplicantCommand::RecordPayment { .. } => "缴费信息已登记。",
    };
    let (w, i) = (who.clone(), id.clone());
    match state.run(move |app| app.act_as_applicant(&w, &i, command)).await {
        Ok(_) => render_one(&state, who, id, Some(Ok(flash.into())), Fields::default(), StatusCode::OK).await,
        Err(e) => {
            let said = field_of(&state, &e).1;
            render_one(&state, who, id, Some(Err(said)), f, e.status).await
        }
    }
}

// ---------------------------------------------------------------- 网上申请

pub async fn show_apply(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(code): Path<String>,
) -> Response {
    render_apply(&state, who, code, &Fields::default(), None, StatusCode::OK).await
}

async fn render_apply(
    state: &AppState,
    who: Applicant,
    code: String,
    f: &Fields,
    error: Option<FieldError>,
    status: StatusCode,
) -> Response {
    let found = state
        .run(move |app| {
            let s = app.service(&code, None)?;
            let department = app.reference().unit_name(&s.department);
            let bindings = app.my_authorisations(&who)?;
            Ok((s, department, bindings, app.my_certificates(&who)?))
        })
        .await;
    let (s, department, bindings, certificates) = match found {
        Ok(x) => x,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return super::UiError(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "没有这个事项，请从办事指南中查找",
            ))
            .into_response();
        }
        Err(e) => return super::UiError(e).into_response(),
    };
    let bound: Vec<_> = bindings.iter().filter(|b| b.in_force).collect();
    let body = html! {
        section.card #apply {
            p.muted { a href={"/services/" (s.code)} { (s.name) "办事指南" } " › 在线申请" }
            h1 { "在线申请：" (s.name) }
            p { (department) " · " @if s.instant { "即办件" } @else { "承诺 " (s.promised_days) " 个工作日办结" } }
            @if let Some((_, msg)) = &error { div.alert role="alert" { (msg) } }
            @if s.for_enterprises && bound.is_empty() {
                div.alert role="alert" #no-binding {
                    "本事项由企业申请。您的手机号还没有获得企业授权：请持企业的授权委托书和营业执照，到政务服务窗口办理企业授权后再申请。"
                }
            } @else {
                form method="post" action={"/services/" (s.code) "/apply"} enctype="multipart/form-data" {
                    fieldset {
                        legend { "申请人" }
                        @if s.for_enterprises { (enterprise_field(&bound, f)) }
                        div.field {
                            label for="name" { @if s.for_enterprises { "经办人姓名" } @else { "姓名" } }
                            input #name name="name" required maxlength="50" autocomplete="name" value=(f.get("name"));
                        }
                        div.field {
                            label for="id_number" { "身份证号" span.opt { "（选填）" } }
                            input #id_number name="id_number" maxlength="18" value=(f.get("id_number"));
                        }
                    }
                    (super::form::service_fields(&s.fields, f))
                    @if !s.materials.is_empty() {
                        fieldset #materials {
                            legend { "申请材料" }
                            p.hint { "每个文件不超过10MB，PDF或图片。已有电子证照的，可直接选用，无需上传。" }
                            @for m in &s.materials {
                                (material_field(m, &certificates, f))
                            }
                        }
                    }
                    div.actions { button.primary type="submit" { "提交申请" } }
                }
            }
        }
    };
    html_response(status, page(&format!("在线申请 · {}", s.name), Chrome::Portal, body))
}

pub async fn apply(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(code): Path<String>,
    mp: Multipart,
) -> Response {
    let (f, files) = match read_files(mp).await {
        Ok(x) => x,
        Err((f, e)) => {
            return render_apply(&state, who, code, &f, Some((String::new(), e)), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let materials = match materials_from(&state, &who, &f, files).await {
        Ok(m) => m,
        Err(e) => return render_apply(&state, who, code, &f, Some((String::new(), e.message)), e.status).await,
    };
    let input = OnlineApplication {
        service: code.clone(),
        name: f.get("name").trim().to_owned(),
        id_number: f.opt("id_number"),
        enterprise: f.opt("enterprise"),
        form: form_of(&f),
        materials,
        area: None,
    };
    let w = who.clone();
    match state.run(move |app| app.apply_online(&w, input)).await {
        Ok(a) => Redirect::to(&format!("/my/applications/{}", a.id)).into_response(),
        Err(e) => {
            let status = e.status;
            let error = field_of(&state, &e);
            render_apply(&state, who, code, &f, Some(error), status).await
        }
    }
}

// ---------------------------------------------------------------- 一件事 online

pub async fn show_bundle_apply(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> Response {
    render_bundle_apply(&state, who, code, &Fields(q), None, StatusCode::OK).await
}

/// The questions first (a GET form); once answered, the parts they choose, one shared
/// form and each material the chosen parts need, once.
async fn render_bundle_apply(
    state: &AppState,
    who: Applicant,
    code: String,
    f: &Fields,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let found = state
        .run(move |app| Ok((app.bundle_guide(&code)?, app.my_authorisations(&who)?, app.my_certificates(&who)?)))
        .await;
    let (g, bindings, certificates) = match found {
        Ok(x) => x,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return super::UiError(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "没有这件一件事，请从办事指南中查找",
            ))
            .into_response();
        }
        Err(e) => return super::UiError(e).into_response(),
    };
    let b = &g.bundle;
    let answers = super::bundles::answers_of(f);
    let answered = b.questions.iter().all(|q| answers.contains_key(&q.code));
    let chosen: Vec<String> = match yiwang_core::bundle::choose(b, &answers) {
        Ok(parts) if answered => parts.iter().map(|p| p.service.clone()).collect(),
        _ => vec![],
    };
    let services: Vec<&Service> = g.services.iter().filter(|s| chosen.contains(&s.code)).collect();
    let for_enterprise = services.iter().any(|s| s.for_enterprises);
    let bound: Vec<_> = bindings.iter().filter(|b| b.in_force).collect();
    let fields: Vec<yiwang_core::application::service::Field> = g
        .fields
        .iter()
        .filter(|x| x.parts.iter().any(|p| chosen.contains(p)))
        .map(|x| {
            let mut field = x.field.clone();
            field.code = x.code.clone();
            field
        })
        .collect();
    let path = format!("/services/bundles/{}/apply", b.code);
    let body = html! {
        section.card #bundle-apply {
            p.muted { a href={"/services/bundles/" (b.code)} { (b.name) } " › 在线申请" }
            h1 { "在线申请：" (b.name) }
            p { "一张表、一套材料、一次提交，相关部门并联审批。承诺 " (b.promised_days) " 个工作日办结。" }
            @if let Some(e) = &error { div.alert role="alert" { (e) } }
            @if !b.questions.is_empty() {
                form #bundle-questions method="get" action=(path) {
                    fieldset {
                        legend { "请按您的情况回答" }
                        @for q in &b.questions {
                            @let name = format!("q.{}", q.code);
                            div.field {
                                span.label { (q.label) }
                                div.choices {
                                    @for o in &q.options {
                                        label.choice { input type="radio" name=(name) value=(o) required checked[f.get(&name) == o]; (o) }
                                    }
                                }
                            }
                        }
                    }
                    button type="submit" { "确定需要办理的事项" }
                }
            }
        }
        @if answered && !chosen.is_empty() {
            section.card #bundle-form {
                h2 { "需要办理的事项" }
                ul.plain #bundle-chosen { @for s in &services { li { (s.name) } } }
                @if for_enterprise && bound.is_empty() {
                    div.alert role="alert" #no-binding {
                        "其中有企业办理的事项。您的手机号还没有获得企业授权：请持企业的授权委托书和营业执照，到政务服务窗口办理企业授权后再申请。"
                    }
                } @else {
                    form method="post" action=(path) enctype="multipart/form-data" {
                        @for (q, a) in &answers { input type="hidden" name={"q." (q)} value=(a); }
                        fieldset {
                            legend { "申请人" }
                            @if for_enterprise { (enterprise_field(&bound, f)) }
                            div.field {
                                label for="name" { @if for_enterprise { "经办人姓名" } @else { "姓名" } }
                                input #name name="name" required maxlength="50" autocomplete="name" value=(f.get("name"));
                            }
                        }
                        (super::form::service_fields(&fields, f))
                        fieldset #materials {
                            legend { "一套材料" }
                            p.hint { "每份材料只交一次，各部门共用。每个文件不超过10MB。" }
                            @for m in g.materials.iter().filter(|m| m.parts.iter().any(|p| chosen.contains(p))) {
                                @let m = &m.material;
                                (material_field(m, &certificates, f))
                            }
                        }
                        div.actions { button.primary type="submit" { "一次提交" } }
                    }
                }
            }
        }
    };
    html_response(status, page(&format!("在线申请 · {}", b.name), Chrome::Portal, body))
}

pub async fn apply_bundle(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(code): Path<String>,
    mp: Multipart,
) -> Response {
    let (f, files) = match read_files(mp).await {
        Ok(x) => x,
        Err((f, e)) => {
            return render_bundle_apply(&state, who, code, &f, Some(e), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let materials = match materials_from(&state, &who, &f, files).await {
        Ok(m) => m,
        Err(e) => return render_bundle_apply(&state, who, code, &f, Some(e.message), e.status).await,
    };
    let input = yiwang_app::OnlineBundle {
        bundle: code.clone(),
        name: f.get("name").trim().to_owned(),
        id_number: f.opt("id_number"),
        enterprise: f.opt("enterprise"),
        answers: super::bundles::answers_of(&f),
        form: form_of(&f),
        materials,
    };
    let w = who.clone();
    match state.run(move |app| app.apply_bundle_online(&w, input)).await {
        Ok(_) => Redirect::to("/my").into_response(),
        Err(e) => {
            let status = e.status;
            let said = field_of(&state, &e).1;
            render_bundle_apply(&state, who, code, &f, Some(said), status).await
        }
    }
}
