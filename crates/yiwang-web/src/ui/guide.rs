//! The public service guide (办事指南) on the citizen portal: every service of the
//! catalogue, searchable, and each one's guide in plain Chinese — who may apply, the
//! materials, the time limits, how many visits, the fees, the steps and what it yields
//! — with a print view. Nothing here needs a login.

use super::{Chrome, UiError, UiResult, assets, html_response, page};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use yiwang_core::application::Service;
use yiwang_core::application::service::{Depth, FieldType};

#[derive(Deserialize, Default)]
pub struct GuideQuery {
    #[serde(default)]
    q: Option<String>,
}

pub async fn show_services(State(state): State<AppState>, Query(q): Query<GuideQuery>) -> UiResult {
    let wanted = q.q.clone();
    let (list, bundles) = state.run(move |app| Ok((app.service_summaries(wanted.as_deref())?, app.bundles()?))).await?;
    let q = q.q.unwrap_or_default();
    let body = html! {
        section.card {
            h1 { "办事指南" }
            p { "已经申请？" a href="/my" { "我的办件" } "（手机号登录），或凭查询码" a href="/services/track" { "查询与评价" } }
            form.search method="get" action="/services" role="search" {
                label for="guide-q" { "查找事项" }
                input #guide-q name="q" type="search" value=(q) placeholder="如：食品经营、居住证、退休";
                button type="submit" { "查找" }
            }
            @if list.is_empty() {
                p.muted.empty { "没有找到相关事项。" }
            } @else {
                div.table-wrap {
                    table.cases #guide-list {
                        thead { tr {
                            th scope="col" { "事项名称" } th scope="col" { "实施部门" } th scope="col" { "承诺时限" } th scope="col" { "办理方式" }
                        } }
                        tbody {
                            @for s in &list {
                                tr {
                                    td { a href={"/services/" (s.code)} { (s.name) } @if s.for_enterprises { " " span.tag { "企业" } } }
                                    td { (s.department_name) }
                                    td { @if s.instant { span.tag { "即办" } } @else { (s.promised_days) " 个工作日" } }
                                    td { (s.depth_label) }
                                }
                            }
                        }
                    }
                }
            }
        }
        (super::bundles::guide_list(&bundles))
    };
    Ok(html_response(StatusCode::OK, page("办事指南", Chrome::Portal, body)))
}

#[derive(Deserialize, Default)]
pub struct PrintQuery {
    #[serde(default)]
    print: Option<String>,
}

pub async fn show_service(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(p): Query<PrintQuery>,
) -> UiResult {
    let wanted = code.clone();
    let found = state
        .run(move |app| {
            let s = app.service(&wanted, None)?;
            let department = app.reference().org.get(&s.department).map(|u| u.name.clone()).unwrap_or_default();
            Ok((s, department))
        })
        .await;
    let (s, department) = match found {
        Ok(x) => x,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Err(UiError(ApiError::new(StatusCode::NOT_FOUND, "not_found", "没有这个事项，请从办事指南中查找")));
        }
        Err(e) => return Err(UiError(e)),
    };
    let guide = guide(&s, &department);
    if p.print.is_some() {
        let markup = html! {
            (DOCTYPE)
            html lang="zh-CN" {
                head {
                    meta charset="utf-8";
                    title { (s.name) " · 办事指南" }
                    link rel="stylesheet" href=(assets::CSS_PATH);
                }
                body.print-view { main.document { header.print-head { p.district { (department) } h1 { (s.name) "办事指南" } } (guide) } }
            }
        };
        return Ok(html_response(StatusCode::OK, markup));
    }
    let body = html! {
        section.card #guide {
            p.muted { a href="/services" { "办事指南" } " › " (department) }
            h1 { (s.name) }
            (guide)
            p.print-links {
                a.button.primary #apply-online href={"/services/" (s.code) "/apply"} { "在线申请" }
                " "
                a.button href={"/services/" (s.code) "?print=1"} target="_blank" { "打印本指南" }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page(&s.name, Chrome::Portal, body)))
}

fn guide(s: &Service, department: &str) -> Markup {
    html! {
        dl.facts #guide-facts {
            dt { "实施部门" } dd { (department) }
            dt { "事项类型" } dd { (s.service_type.label()) }
            dt { "设定依据" } dd { (s.legal_basis) }
            dt { "申请对象" } dd { @if s.for_enterprises { "企业及其他组织" } @else { "自然人" } }
            @if !s.conditions.is_empty() { dt { "受理条件" } dd { (s.conditions) } }
            dt { "办结时限" }
            dd #guide-limits {
                @if s.instant { "即办件：材料齐全的，当场办结。" }
                @else { "承诺 " strong { (s.promised_days) } " 个工作日办结（法定时限 " (s.legal_days) " 个工作日），自受理之日起计算。" }
            }
            dt { "办理方式" }
            dd {
                @match s.depth {
                    Depth::Online => { "全程网办，无需到现场。" }
                    Depth::Visits(n) => { "需到现场 " (n) " 次" @if let Some(p) = &s.place { "：" (p) } "。" }
                }
            }
            dt { "收费" }
            dd {
                @if s.fees.is_empty() { "不收费。" }
                @for f in &s.fees { (f.name) "：" (f.amount) " 元（依据：" (f.basis) "）。" }
            }
            @if let Some(c) = &s.certificate {
                dt { "办理结果" } dd { (c.name) @if let Some(y) = c.valid_years { "，有效期 " (y) " 年" } "。电子证照与纸质证照具有同等效力。" }
            }
        }
        h2 { "申请材料" }
        @if s.materials.is_empty() { p { "无需提交材料。" } }
        @else {
            table.data #guide-materials {
                thead { tr { th scope="col" { "材料名称" } th scope="col" { "要求" } th scope="col" { "说明" } } }
                tbody {
                    @for m in &s.materials {
                        tr {
                            td { (m.name) }
                            td { @if m.required { "必须" } @else { "视情况提供" } "，" @if m.original { "原件" } @else { "复印件或电子件" } }
                            td {
                                @if m.certificate.is_some() { "已有电子证照的，无需提交。" }
                                @if let Some(n) = &m.note { (n) }
                            }
                        }
                    }
                }
            }
            p.hint { "材料不齐全或者不符合法定形式的，窗口将当场或者在 5 个工作日内一次性告知需要补正的全部内容；逾期不告知的，自收到材料之日起即为受理。补正期限为 " (s.supplement_days) " 个工作日，逾期未补正的视为撤回申请。" }
        }
        @if !s.fields.is_empty() {
            h2 { "需要填写的信息" }
            ul.plain {
                @for x in &s.fields {
                    li { (x.label) @if !x.required { "（选填）" }
                        @match &x.field_type {
                            FieldType::Choice { options } => { "：" (options.join("、")) }
                            FieldType::Date => { "（日期）" }
                            _ => {}
                        }
                    }
                }
            }
        }
        @if !s.steps.is_empty() {
            h2 { "办理流程" }
            ol #guide-steps {
                @for st in &s.steps { li { (st.name) @if !st.counted { "（所需时间不计入办结时限，将书面告知）" } } }
            }
        }
    }
}

// ---------------------------------------------------------------- 办件查询 and 好差评

use super::form::Fields;
use super::portal::field_of;
use super::{fmt_time, html_response as respond};
use axum::response::Response;
use yiwang_app::ApplicantView;
use yiwang_core::application::Rating;

pub async fn show_track() -> Response {
    render_track(&Fields::default(), None, Err(None), StatusCode::OK)
}

/// The tracking form, the application found, and a message: `Ok` a flash, `Err` an
/// error.
fn render_track(
    f: &Fields,
    v: Option<&ApplicantView>,
    said: Result<&str, Option<String>>,
    status: StatusCode,
) -> Response {
    let body = html! {
        @if let Ok(flash) = said { div.flash role="status" { (flash) } }
        section.card {
            h1 { "办件查询" }
            p { "输入办件时得到的查询码和留下的手机号。" }
            @if let Err(Some(e)) = &said { div.alert role="alert" { (e) } }
            form method="post" action="/services/track" {
                div.field {
                    label for="tracking_code" { "查询码" }
                    input #tracking_code name="tracking_code" required autocomplete="off" maxlength="16" value=(f.get("tracking_code"));
                }
                div.field {
                    label for="phone" { "手机号" }
                    input #phone name="phone" type="tel" inputmode="tel" required maxlength="20" value=(f.get("phone"));
                }
                div.actions { button.primary type="submit" { "查询" } }
            }
        }
        @if let Some(v) = v {
            section.card #applicant-view {
                h2 { (v.service_name) }
                dl.facts {
                    dt { "办件编号" } dd { (v.id) }
                    dt { "办理部门" } dd { (v.department_name) }
                    dt { "状态" } dd #applicant-status { span.status { (v.status_label) } }
                    dt { "申请时间" } dd { (fmt_time(v.filed_at)) }
                    @if let Some(t) = v.accepted_at { dt { "受理时间" } dd { (fmt_time(t)) } }
                    dt { "到现场次数" } dd { (v.visits) }
                    @if let Some(c) = &v.certificate { dt { "证照编号" } dd { (c) } }
                    @if let Some(r) = v.rating { dt { "您的评价" } dd #applicant-rating { (r.label()) } }
                }
                @if !v.missing.is_empty() {
                    h3 { "需要补正的材料" }
                    ul.plain { @for m in &v.missing { li { (m) } } }
                }
                h3 { "办理过程" }
                ol.timeline { @for e in v.timeline.iter().rev() { li { time { (fmt_time(e.at)) } span { (e.summary) } } } }
            }
            @if v.can_rate {
                section.card #rate {
                    h2 { "评价本次办理（好差评）" }
                    form method="post" action="/services/track/rate" {
                        input type="hidden" name="tracking_code" value=(f.get("tracking_code"));
                        input type="hidden" name="phone" value=(f.get("phone"));
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
        }
    };
    respond(status, page("办件查询", Chrome::Portal, body))
}

pub async fn track(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    axum::Form(f): axum::Form<Fields>,
) -> Response {
    let (code, phone) = (f.get("tracking_code").trim().to_owned(), f.get("phone").trim().to_owned());
    match state.run(move |app| app.track_application(&code, &phone, addr.0.as_deref())).await {
        Ok(v) => render_track(&f, Some(&v), Err(None), StatusCode::OK),
        Err(e) => render_track(&f, None, Err(Some(field_of(&state, &e).1)), e.status),
    }
}

pub async fn rate(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    axum::Form(f): axum::Form<Fields>,
) -> Response {
    let Some(rating) = Rating::parse(f.get("rating")) else {
        return render_track(&f, None, Err(Some("请选择满意程度".into())), StatusCode::UNPROCESSABLE_ENTITY);
    };
    let dimensions = match super::rating::dimensions_from(&f, &yiwang_core::application::Dimension::ONLINE, false) {
        Ok(d) => d,
        Err(e) => {
            let said = Some(e.to_string());
            return render_track(&f, None, Err(said), StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let input = yiwang_app::RatingInput {
        tracking_code: f.get("tracking_code").trim().to_owned(),
        phone: f.get("phone").trim().to_owned(),
        rating,
        comment: f.opt("comment"),
        named: f.has("named", "1"),
        dimensions,
    };
    let (code, phone) = (input.tracking_code.clone(), input.phone.clone());
    let address = addr.0.clone();
    match state.run(move |app| app.rate_application(input, addr.0.as_deref())).await {
        Ok(v) => {
            let thanks = if rating.is_good() {
                "感谢您的评价。"
            } else {
                "感谢您的评价。办理部门将在规定时限内核实整改，并答复您。"
            };
            render_track(&f, Some(&v), Ok(thanks), StatusCode::OK)
        }
        Err(e) => {
            // The application again with the error, when it can still be found.
            let v = state.run(move |app| app.track_application(&code, &phone, address.as_deref())).await.ok();
            render_track(&f, v.as_ref(), Err(Some(field_of(&state, &e).1)), e.status)
        }
    }
}

// ---------------------------------------------------------------- 电子证照核验

/// A certificate's public page (the QR's link): valid, revoked or expired, who issued
/// it, and what it says; the holder's code masked.
pub async fn show_certificate(State(state): State<AppState>, Path(status_id): Path<String>) -> UiResult {
    let c = match state.run(move |app| app.certificate_status(&status_id)).await {
        Ok(c) => c,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Err(UiError(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "没有这份电子证照，请核对二维码或链接",
            )));
        }
        Err(e) => return Err(UiError(e)),
    };
    let d = &c.certificate.document;
    let masked = d.holder_code.as_deref().and_then(|x| yiwang_core::id::CreditCode::parse(x).ok()).map(|x| x.masked());
    let body = html! {
        section.card #certificate {
            h1 { "电子证照核验" }
            p #certificate-status class={"verdict " (c.status)} { strong { (c.status_label) } }
            @if let (Some(at), Some(r)) = (c.revoked_at, &c.revoked_reason) { p.alert { "已于 " (fmt_time(at)) " 吊销：" (r) } }
            dl.facts {
                dt { "证照类型" } dd { (d.type_name) }
                dt { "证照编号" } dd #certificate-number { (d.number) }
                dt { "持证主体" } dd { (d.holder) @if let Some(m) = &masked { "（" (m) "）" } }
                dt { "发证机关" } dd { (d.issuer) }
                dt { "发证日期" } dd { (d.issued_on) }
                dt { "有效期" } dd { (d.valid_from) " 至 " (d.valid_until.map(|u| u.to_string()).unwrap_or_else(|| "长期".into())) }
                @for i in &d.items { dt { (i.label) } dd { (i.value) } }
            }
            @if let Some(svg) = qr_svg(&c.certificate) {
                figure.qr #certificate-qr { (maud::PreEscaped(svg)) figcaption { "证照二维码：含签名的证照本身（YW1 紧凑格式），离线扫描即可核验" } }
            }
            p.hint { "本证照由发证机关以数字签名签发（密钥 " (c.certificate.key_id) "，" (c.certificate.alg) "），公钥见 /api/v1/keys；离线核验：yiwang verify-certificate 证照文件 --keys 公钥文件（或 --qr 二维码内容），或下载" a href="/certificates/verifier.html" { "离线核验页" } "在浏览器中打开。" }
        }
    };
    Ok(respond(StatusCode::OK, page("电子证照核验", Chrome::Portal, body)))
}

/// The self-contained offline verifier (`static/verify.html`): one HTML file that
/// checks a certificate and a status list against the published keys in the browser,
/// with no server. Sent as a download, to be opened from disk.
pub const VERIFIER: &str = include_str!("../../static/verify.html");

pub async fn download_verifier() -> Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut r = VERIFIER.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"yiwang-verify-certificate.html\""),
    );
    r
}

/// What a certificate's QR code carries: the compact signed form (`YW1:…`, see
/// `certificate::compact`: COSE_Sign1, zlib, base45), its status id inside, so that a
/// scan verifies with no server — the offline page and `yiwang verify-certificate`
/// take it as it is. A certificate signed before the compact form existed carries its
/// file form, the signed certificate as canonical JSON, which both also take.
pub fn qr_payload(c: &yiwang_core::application::certificate::SignedCertificate) -> String {
    use yiwang_core::application::certificate::{canonical, compact};
    compact::qr_text(c).unwrap_or_else(|| canonical(&serde_json::to_value(c).expect("a certificate serialises")))
}

/// The certificate's QR code: its width in modules and the modules, row by row (true
/// for dark); none when the payload cannot be encoded.
pub fn qr_modules(c: &yiwang_core::application::certificate::SignedCertificate) -> Option<(usize, Vec<bool>)> {
    let code = qrcode::QrCode::with_error_correction_level(qr_payload(c).as_bytes(), qrcode::EcLevel::L).ok()?;
    let dark = code.to_colors().into_iter().map(|m| m == qrcode::Color::Dark).collect();
    Some((code.width(), dark))
}

/// The QR code as inline SVG: one square a dark module, inside a 4-module quiet zone.
pub fn qr_svg(c: &yiwang_core::application::certificate::SignedCertificate) -> Option<String> {
    let (width, dark) = qr_modules(c)?;
    let size = width + 8;
    let mut path = String::new();
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        path.push_str(&format!("M{} {}h1v1h-1z", i % width + 4, i / width + 4));
    }
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges" role="img" aria-label="证照二维码"><rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##
    ))
}
