//! The staff console: log in and out, the work queues, and the case page with its
//! whole timeline and a form for every action the staff member may take now.

use super::form::{Fields, field_error, url_encode};
use super::map::area_label;
use super::portal::{field_of, read_multipart, save_case_upload, staff_photo_url};
use super::search;
use super::{
    Chrome, MAX_PHOTOS, SESSION_COOKIE, StaffUser, UiError, UiResult, fmt_left, fmt_time, html_response, page,
    stage_badge,
};
use crate::{ApiError, AppState};
use axum::extract::{FromRequest, Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use yiwang_app::{CaseView, DispatchSuggestion, Queue, QueuePage, SuggestInput};
use yiwang_core::appeal::{Action, AppealEvent, ReplyOutcome, Satisfaction};
use yiwang_core::id::{CaseId, CategoryCode, UnitCode};
use yiwang_core::org::Role;

// ---------------------------------------------------------------- login

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

/// Only paths inside the console, so the login cannot be used to send people away.
fn safe_next(next: &str) -> &str {
    if next.starts_with("/console") && !next.starts_with("/console/login") && !next.contains("//") {
        next
    } else {
        "/console"
    }
}

pub async fn show_login(Query(q): Query<LoginQuery>) -> Response {
    let mut f = Fields::default();
    f.push("next", q.next);
    render_login(&f, None, StatusCode::OK)
}

fn render_login(f: &Fields, e: Option<String>, status: StatusCode) -> Response {
    let body = html! {
        section.card.login {
            h1 { "工作人员登录" }
            @if let Some(msg) = &e { div.alert role="alert" #login-error { (msg) } }
            form method="post" action="/console/login" {
                input type="hidden" name="next" value=(f.get("next"));
                div.field {
                    label for="username" { "用户名" }
                    input #username name="username" required autocomplete="username" autofocus value=(f.get("username"))
                        aria-invalid=[e.as_ref().map(|_| "true")];
                }
                div.field {
                    label for="password" { "密码" }
                    input #password name="password" type="password" required autocomplete="current-password";
                }
                div.field {
                    label for="otp" { "动态口令" span.opt { "（已启用双因素登录时填写；也可填恢复码）" } }
                    input #otp name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="12";
                }
                div.actions { button.primary type="submit" { "登录" } }
            }
        }
    };
    html_response(status, page("工作人员登录", Chrome::Plain, body))
}

pub async fn login(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    axum::Form(f): axum::Form<Fields>,
) -> Response {
    let (user, pass) = (f.get("username").trim().to_owned(), f.get("password").to_owned());
    if user.is_empty() || pass.is_empty() {
        return render_login(&f, Some("请输入用户名和密码".into()), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let otp = f.opt("otp");
    match state.run(move |app| app.login(&user, &pass, otp.as_deref(), addr.0.as_deref())).await {
        Ok(s) => {
            let max_age = (s.expires_at - state.app.now()).num_seconds().max(0);
            let to = if s.must_change_password { "/console/password" } else { safe_next(f.get("next")) };
            let mut r = Redirect::to(to).into_response();
            let secure = if state.secure_cookies { "; Secure" } else { "" };
            let c =
                format!("{SESSION_COOKIE}={}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}", s.token);
            r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&c).expect("hex token"));
            r
        }
        Err(e) => render_login(&f, Some(e.message), e.status),
    }
}

/// The session token of a page that must work before the session may do anything
/// else (a password to change, a second factor to set up); else the way to log in
/// and come back to `page`.
fn session_token(headers: &axum::http::HeaderMap, page: &str) -> Result<String, Redirect> {
    super::cookie(headers, super::SESSION_COOKIE)
        .map(str::to_owned)
        .ok_or_else(|| Redirect::to(&format!("/console/login?next={page}")))
}

/// 修改密码: the form, for a session that must change its password first (or anyone
/// logged in). It reads the session cookie itself: the pages' extractor sends a
/// session that must change its password here.
pub async fn show_password(headers: axum::http::HeaderMap) -> Response {
    match session_token(&headers, "/console/password") {
        Ok(token) => render_password(&super::csrf_of(&token), None, StatusCode::OK),
        Err(to_login) => to_login.into_response(),
    }
}

fn render_password(csrf: &str, e: Option<String>, status: StatusCode) -> Response {
    let body = html! {
        section.card.login {
            h1 { "修改密码" }
            p { "首次登录须更换初始密码；密码到期后也须更换。新密码至少8位，含大写字母、小写字母、数字、符号中的至少三类，不能包含用户名，也不能是常见密码。" }
            @if let Some(e) = &e { p.error role="alert" { (e) } }
            form method="post" action="/console/password" {
                input type="hidden" name="_csrf" value=(csrf);
                div.field { label for="old" { "原密码" } input #old name="old" type="password" required autocomplete="current-password"; }
                div.field { label for="new" { "新密码" } input #new name="new" type="password" required autocomplete="new-password"; }
                div.field { label for="again" { "再次输入新密码" } input #again name="again" type="password" required autocomplete="new-password"; }
                div.actions { button.primary type="submit" { "修改" } }
            }
        }
    };
    html_response(status, page("修改密码", Chrome::Plain, body))
}

pub async fn change_password(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    headers: axum::http::HeaderMap,
    axum::Form(f): axum::Form<Fields>,
) -> Response {
    let token = match session_token(&headers, "/console/password") {
        Ok(t) => t,
        Err(to_login) => return to_login.into_response(),
    };
    let csrf = super::csrf_of(&token);
    if f.get("_csrf") != csrf {
        return render_password(&csrf, Some("页面已过期，请重新提交".into()), StatusCode::FORBIDDEN);
    }
    let (old, new) = (f.get("old").to_owned(), f.get("new").to_owned());
    if new != f.get("again") {
        return render_password(&csrf, Some("两次输入的新密码不一致".into()), StatusCode::UNPROCESSABLE_ENTITY);
    }
    match state.run(move |app| app.change_password(&token, &old, &new, addr.0.as_deref())).await {
        Ok(_) => Redirect::to("/console").into_response(),
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Redirect::to("/console/login").into_response(),
        Err(e) => render_password(&csrf, Some(e.message), e.status),
    }
}

/// 启用动态口令: for the three administrators, who must (and anyone who wants to).
pub async fn show_totp(headers: axum::http::HeaderMap) -> Response {
    let token = match session_token(&headers, "/console/totp") {
        Ok(t) => t,
        Err(to_login) => return to_login.into_response(),
    };
    let csrf = super::csrf_of(&token);
    let body = html! {
        section.card.login {
            h1 { "启用动态口令" }
            p { "系统管理员、安全管理员和安全审计员登录时须输入手机验证器（如身份验证器类应用）上的六位动态口令。启用后将显示密钥和10个恢复码，仅显示一次，请妥善保存。" }
            form method="post" action="/console/totp" {
                input type="hidden" name="_csrf" value=(csrf);
                div.actions { button.primary type="submit" { "启用" } }
            }
        }
    };
    html_response(StatusCode::OK, page("启用动态口令", Chrome::Plain, body))
}

pub async fn enroll_totp(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    headers: axum::http::HeaderMap,
    axum::Form(f): axum::Form<Fields>,
) -> Response {
    let token = match session_token(&headers, "/console/totp") {
        Ok(t) => t,
        Err(to_login) => return to_login.into_response(),
    };
    if f.get("_csrf") != super::csrf_of(&token) {
        return UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "页面已过期，请重新提交")).into_response();
    }
    match state.run(move |app| app.totp_enroll(&token, addr.0.as_deref())).await {
        Ok(e) => {
            let body = html! {
                section.card.login {
                    h1 { "动态口令已启用" }
                    p { "请在验证器中添加以下密钥（或扫描由此地址生成的二维码），以后登录时输入其显示的六位口令。" }
                    dl.big { dt { "密钥" } dd #totp-secret { (e.secret) } }
                    p.hint { (e.uri) }
                    h2 { "恢复码（每个只能用一次，仅显示这一次）" }
                    ul #recovery-codes { @for c in &e.recovery_codes { li { code { (c) } } } }
                    p { a href="/console" { "进入工作台" } }
                }
            };
            html_response(StatusCode::OK, page("动态口令已启用", Chrome::Plain, body))
        }
        Err(e) => UiError(e).into_response(),
    }
}

pub async fn logout(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    u.check_csrf(&f)?;
    let token = u.token.clone();
    state.run(move |app| app.logout(&token)).await?;
    let mut r = Redirect::to("/console/login").into_response();
    let c = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&c).expect("ascii"));
    Ok(r)
}

// ---------------------------------------------------------------- queues

#[derive(Deserialize)]
pub struct QueueQuery {
    queue: Option<String>,
    unit: Option<String>,
    page: Option<u32>,
}

pub(crate) fn queue_key(q: Queue) -> String {
    serde_json::to_value(q).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

const PAGE: u32 = 50;

pub async fn show_queues(State(state): State<AppState>, u: StaffUser, Query(q): Query<QueueQuery>) -> UiResult {
    // A grid worker's work is the patrol; their queue page is one link away.
    if q.queue.is_none()
        && u.actor.has_role(Role::GridWorker)
        && matches!(&u.actor, yiwang_core::org::Actor::Staff { unit_kind: yiwang_core::org::UnitKind::Grid, .. })
    {
        return Ok(Redirect::to("/console/patrol").into_response());
    }
    let wanted: Option<Queue> =
        q.queue.as_deref().and_then(|s| serde_json::from_value(serde_json::Value::String(s.into())).ok());
    let unit = match q.unit.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(UnitCode::parse(s).map_err(|_| ApiError::invalid("unit", "单位代码不合法"))?),
        None => None,
    };
    let page_no = q.page.unwrap_or(1).max(1);
    let actor = u.actor.clone();
    let unit2 = unit.clone();
    let (counts, list, units) = state
        .run(move |app| {
            let counts = app.queue_counts(&actor)?;
            // Unless asked, the first queue with work in it.
            let queue = wanted
                .or_else(|| counts.iter().find(|c| c.1 > 0).or(counts.first()).map(|c| c.0))
                .unwrap_or(Queue::All);
            let list = app.queue(&actor, queue, unit2, PAGE, (page_no - 1) * PAGE)?;
            Ok((counts, list, app.handling_units()))
        })
        .await?;
    let unit_q = unit.as_ref().map(|u| format!("&unit={u}")).unwrap_or_default();
    let body = html! {
        h1.sr-only { "工单队列" }
        nav.tabs aria-label="工单队列" {
            @for (queue, n) in &counts {
                a href={"/console?queue=" (queue_key(*queue)) (unit_q)} aria-current=[(*queue == list.queue).then_some("page")]
                    class={ "tab" @if matches!(queue, Queue::Overdue) && *n > 0 { " late" } @else if matches!(queue, Queue::Warning) && *n > 0 { " warn" } } {
                    (queue.label()) " " span.count { (n) @if *n >= yiwang_app::COUNT_LIMIT { "+" } }
                }
            }
        }
        @if u.is_centre_or_leader() {
            form.filter method="get" action="/console" {
                input type="hidden" name="queue" value=(queue_key(list.queue));
                label for="unit" { "承办单位" }
                select #unit name="unit" {
                    option value="" { "全部单位" }
                    @for (code, name) in &units {
                        option value=(code.as_str()) selected[unit.as_ref() == Some(code)] { (name) }
                    }
                }
                button type="submit" { "筛选" }
            }
        }
        (search::search_form(&state, &search::SearchQuery::default()))
        (queue_table(&list, list.queue.label()))
        (pager(&list, page_no, &unit_q))
    };
    Ok(html_response(StatusCode::OK, page(list.queue.label(), Chrome::Console(&u, "queues"), body)))
}

pub(crate) fn queue_table(list: &QueuePage, title: &str) -> Markup {
    html! {
        section.card {
            h2 { (title) " " span.muted { "共 " (list.total) @if list.more { "+" } " 件" } }
            @if list.items.is_empty() {
                p.muted.empty { "没有工单。" }
            } @else {
                div.table-wrap {
                    table.cases {
                        thead { tr {
                            th scope="col" { "工单编号" } th scope="col" { "标题" } th scope="col" { "类型" }
                            th scope="col" { "状态" } th scope="col" { "承办单位" } th scope="col" { "剩余时限" }
                            th scope="col" { "受理时间" } th scope="col" { "诉求人" }
                        } }
                        tbody {
                            @for c in &list.items {
                                tr {
                                    td { a href={"/console/cases/" (c.id)} { (c.id) } }
                                    td.title {
                                        (c.title.clone().unwrap_or_else(|| "（无标题）".into()))
                                        @if c.returned { " " span.tag { "退单" } }
                                        @if c.supervised { " " span.tag.late { "督办" } }
                                        @if c.urgency != yiwang_core::deadline::Urgency::Normal { " " span.tag.warn { (c.urgency.label()) } }
                                    }
                                    td data-label="类型" { (c.appeal_type.label()) }
                                    td data-label="状态" { (c.status_label) }
                                    td data-label="承办单位" { (c.unit_name.clone().unwrap_or_else(|| "—".into())) }
                                    td.left data-label="剩余时限" {
                                        @match (c.seconds_left, c.next_due) {
                                            (Some(s), Some(due)) => { (stage_badge(c.stage, &fmt_left(s, c.working))) br; small.muted { "截止 " (fmt_time(due)) } }
                                            _ => { "—" }
                                        }
                                    }
                                    td data-label="受理时间" { (fmt_time(c.accepted_at)) }
                                    td data-label="诉求人" { (c.citizen_name.clone().unwrap_or_default()) " " (c.citizen_phone.clone().unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn pager(list: &QueuePage, page_no: u32, unit_q: &str) -> Markup {
    let pages = list.total.div_ceil(PAGE as u64).max(1) as u32;
    let key = queue_key(list.queue);
    html! {
        @if pages > 1 {
            nav.pager aria-label="分页" {
                @if page_no > 1 { a href={"/console?queue=" (key) (unit_q) "&page=" (page_no - 1)} { "上一页" } }
                span { "第 " (page_no) " / " (pages) " 页" }
                @if page_no < pages { a href={"/console?queue=" (key) (unit_q) "&page=" (page_no + 1)} { "下一页" } }
            }
        }
    }
}

// ---------------------------------------------------------------- the case page

/// Every action the console offers, in order, with its Chinese name.
const ACTIONS: [(&str, &str); 20] = [
    ("dispatch", "派单"),
    ("sign_for", "签收"),
    ("report_in", "报到"),
    ("answer_part", "答复协办部分"),
    ("contact", "联系诉求人"),
    ("reply", "答复办结"),
    ("callback", "回访"),
    ("answer_directly", "直接办结"),
    ("decide_extension", "延期审批"),
    ("resume", "恢复办理"),
    ("summon", "吹哨召集协办单位"),
    ("request_extension", "申请延期"),
    ("suspend", "挂起"),
    ("return", "退单"),
    ("reassign", "改派"),
    ("remind", "催办"),
    ("supervise", "督办"),
    ("reopen", "重办"),
    ("close", "结案"),
    ("merge", "合并重复件"),
];

pub(crate) fn action_label(name: &str) -> &'static str {
    ACTIONS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l).unwrap_or("操作")
}

/// A failed action: which, what was typed, and what is wrong (field, message).
pub(crate) struct Failed {
    pub action: String,
    pub fields: Fields,
    pub error: (String, String),
}

#[derive(Deserialize)]
pub struct CaseQuery {
    done: Option<String>,
}

pub async fn show_case(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    Query(q): Query<CaseQuery>,
) -> UiResult {
    let flash = q.done.as_deref().map(|d| match d {
        "intake" => "已受理".to_owned(),
        d => format!("已完成：{}", action_label(d)),
    });
    render_case(&state, &u, &id, None, flash, None, StatusCode::OK).await
}

pub(crate) async fn render_case(
    state: &AppState,
    u: &StaffUser,
    id: &str,
    failed: Option<Failed>,
    flash: Option<String>,
    revealed: Option<Option<String>>,
    status: StatusCode,
) -> UiResult {
    let id = crate::appeal::case_id(id)?;
    let actor = u.actor.clone();
    let (view, actions, units, suggestion, caused) = state
        .run(move |app| {
            let view = app.case_view(&actor, &id)?;
            let mut actions = app.available_actions(&actor, &view.appeal);
            actions.sort_by_key(|a| ACTIONS.iter().position(|(n, _)| n == a));
            // In the order of the organisation tree.
            let units = app.handling_units();
            // The dispatcher gets the suggested categories and likely duplicates.
            let suggestion = (actions.contains(&"dispatch") || actions.contains(&"merge")).then(|| {
                let a = &view.appeal;
                let input = SuggestInput { title: a.title.clone(), text: a.text.clone(), location: a.location.clone() };
                app.suggest_dispatch(&actor, &input).ok()
            });
            // The inspections its referral caused (问题移送), linked from the page.
            let caused = app.inspections_from(&actor, &view.appeal.id)?;
            Ok((view, actions, units, suggestion.flatten(), caused))
        })
        .await?;
    let ctx = FormContext { units: &units, suggestion: suggestion.as_ref(), caused: &caused };
    let body = case_page(state, u, &view, &actions, &ctx, failed.as_ref(), flash, revealed);
    Ok(html_response(status, page(&format!("工单 {}", view.appeal.id), Chrome::Console(u, "queues"), body)))
}

#[allow(clippy::too_many_arguments)]
fn case_page(
    state: &AppState,
    u: &StaffUser,
    v: &CaseView,
    actions: &[&str],
    ctx: &FormContext<'_>,
    failed: Option<&Failed>,
    flash: Option<String>,
    revealed: Option<Option<String>>,
) -> Markup {
    let a = &v.appeal;
    let r = state.app.reference();
    let now = state.app.now();
    let cal = &state.app.config().calendar;
    let photos: Vec<String> = a.attachments.iter().filter_map(|x| staff_photo_url(&a.id, x)).collect();
    html! {
        @if let Some(f) = flash { div.flash role="status" { (f) } }
        @if let Some(f) = failed { div.alert role="alert" { (action_label(&f.action)) "未完成：" (f.error.1) } }
        div.case-grid {
            div.case-main {
                section.card {
                    div.case-head {
                        h1 { "工单 " span #case-id { (a.id) } }
                        a.print-link href={"/console/cases/" (a.id) "/print"} target="_blank" rel="noopener" { "打印" }
                        " " a.print-link #refer-link href={"/console/cases/" (a.id) "/refer"} { "移送监管" }
                    }
                    p.title-line { (a.title.clone().unwrap_or_else(|| "（无标题）".into())) }
                    @if !ctx.caused.is_empty() {
                        p #caused-inspections { "已移送监管："
                            @for i in ctx.caused { a href={"/console/inspections/" (i.id)} { (i.id) } " （" (i.status_label) "） " } }
                    }
                    dl.facts {
                        dt { "状态" } dd #case-status { span.status { (a.status.label()) } @if let Some(o) = a.outcome { "（" (o.label()) "）" } @if a.suspended_since.is_some() { " · 挂起中" } }
                        dt { "类型 / 紧急程度" } dd { (a.appeal_type.label()) " / " (a.urgency.label()) }
                        dt { "来源" } dd { (a.channel.label()) }
                        dt { "受理时间" } dd { (fmt_time(a.accepted_at)) }
                        dt { "诉求分类" } dd { (v.category_name.clone().unwrap_or_else(|| "未分类".into())) }
                        dt { "承办单位" } dd #case-unit { (v.unit_name.clone().unwrap_or_else(|| "—".into())) }
                        @if let Some(into) = &a.merged_into {
                            dt { "主工单" }
                            dd #merged-into { a href={"/console/cases/" (into)} { (into) } " " small.muted { "（作为重复件并入，随主件答复，单独回访）" } }
                        }
                        @if !a.co_units.is_empty() {
                            dt { "协办单位" }
                            dd { ul.plain { @for c in &a.co_units {
                                li { (r.unit_name(&c.unit)) "："
                                    @if c.answered_at.is_some() { "已答复" } @else if c.reported_in_at.is_some() { "已报到" } @else { "待报到" } }
                            } } }
                        }
                        dt { "位置" }
                        dd {
                            @if let Some(area) = &a.location.area { (area_label(&r, area)) }
                            @if let Some(addr) = &a.location.address { " " (addr) }
                            @if let Some(p) = a.location.point { " " small.muted { "(" (format!("{:.5}, {:.5}", p.lon, p.lat)) ")" } }
                            @if a.location.area.is_none() && a.location.address.is_none() && a.location.point.is_none() { "未提供" }
                        }
                        dt { "诉求人" }
                        dd {
                            @if a.citizen.is_none() { "匿名" } @else {
                                (v.citizen_name.clone().unwrap_or_default()) " "
                                @match &revealed {
                                    Some(Some(p)) => { strong #phone-full { (p) } " " small.muted { "（已记录本次查看）" } }
                                    Some(None) => { "未留电话" }
                                    None => {
                                        (v.citizen_phone.clone().unwrap_or_else(|| "未留电话".into()))
                                        @if v.citizen_phone.is_some() {
                                            form.inline method="post" action={"/console/cases/" (a.id) "/reveal-phone"} {
                                                input type="hidden" name="_csrf" value=(u.csrf);
                                                button.link type="submit" title="查看完整号码会被记录" { "查看完整号码" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    h2 { "诉求内容" }
                    p.text { (a.text) }
                    @if !photos.is_empty() {
                        div.photos { @for (i, p) in photos.iter().enumerate() { a href=(p) { img src=(p) alt={"诉求照片 " (i + 1)}; } } }
                    }
                }
                @if !a.clocks.is_empty() {
                    section.card {
                        h2 { "时限" }
                        table.clocks {
                            thead { tr { th scope="col" { "环节" } th scope="col" { "截止" } th scope="col" { "剩余" } } }
                            tbody { @for c in &a.clocks {
                                tr {
                                    td { (c.kind.label()) }
                                    td { (fmt_time(c.due)) }
                                    td { (stage_badge(c.stage, &fmt_left(c.left(cal, now).num_seconds(), matches!(c.budget, yiwang_core::deadline::Budget::WorkingDays(_))))) @if c.paused_at.is_some() { " （已暂停）" } }
                                }
                            } }
                        }
                    }
                }
                @if let Some(rep) = &a.reply {
                    section.card.reply {
                        h2 { "答复" }
                        p.muted { (r.unit_name(&rep.unit)) " · " (fmt_time(rep.at)) " · "
                            (match rep.outcome { ReplyOutcome::Resolved => "已解决", ReplyOutcome::CannotSolve => "无法解决" })
                            @if !rep.on_time { " · " span.tag.late { "超期答复" } } }
                        p #reply-text { (rep.text) }
                        (reply_photos(&a.id, &rep.photos))
                    }
                }
                @if !v.merged_callers.is_empty() {
                    section.card #merged-callers {
                        h2 { "并案来电（" (v.merged_callers.len()) "）" }
                        p.muted { "以下来电作为重复件并入本件：本件答复后，答复同时送达每位来电人，并分别回访。" }
                        table.compact {
                            thead { tr { th scope="col" { "工单号" } th scope="col" { "来电人" } th scope="col" { "来源" } th scope="col" { "受理时间" } th scope="col" { "状态" } } }
                            tbody { @for m in &v.merged_callers {
                                tr {
                                    td { a href={"/console/cases/" (m.case_id)} { (m.case_id) } }
                                    td { (m.citizen_name.clone().unwrap_or_else(|| "匿名".into())) }
                                    td { (m.channel_label) }
                                    td { (fmt_time(m.accepted_at)) }
                                    td { (m.status_label) }
                                }
                            } }
                        }
                    }
                }
                section.card {
                    h2 { "办理过程" }
                    ol.timeline.staff {
                        @for t in v.events.iter().rev() {
                            li {
                                time { (fmt_time(t.at)) }
                                span.actor { (t.actor) }
                                span { (t.summary) }
                                @if let Some(d) = t.detail.as_ref().and_then(event_note) { p.note { (d) } }
                                @if let Some(AppealEvent::Replied { photos, .. }) = &t.detail { (reply_photos(&a.id, photos)) }
                            }
                        }
                    }
                }
            }
            aside.case-actions aria-label="可执行的操作" {
                @if actions.is_empty() {
                    section.card { h2 { "操作" } p.muted { "当前没有您可以执行的操作。" } }
                }
                @for name in actions {
                    (action_form(state, u, v, name, ctx, failed.filter(|f| f.action == *name)))
                }
            }
        }
    }
}

/// A reply's photos (处置后照片) for staff, each a link to the full picture.
pub(super) fn reply_photos(case: &CaseId, photos: &[String]) -> Markup {
    let urls: Vec<String> = photos.iter().filter_map(|p| staff_photo_url(case, p)).collect();
    html! {
        @if !urls.is_empty() {
            div.photos.reply-photos { @for (i, u) in urls.iter().enumerate() { a href=(u) { img src=(u) alt={"处置后照片 " (i + 1)} loading="lazy"; } } }
        }
    }
}

/// The free text of an event, for the staff timeline.
pub(super) fn event_note(e: &AppealEvent) -> Option<String> {
    use AppealEvent as E;
    match e {
        E::Dispatched { note, .. } | E::Summoned { note, .. } | E::ExtensionDecided { note, .. } => note.clone(),
        E::CalledBack { note, .. } | E::Closed { note } => note.clone(),
        E::Returned { reason, .. } | E::Reassigned { reason, .. } | E::Suspended { reason } => Some(reason.clone()),
        E::ExtensionRequested { reason, .. } | E::Reopened { reason, .. } => Some(reason.clone()),
        E::PartAnswered { text, .. } | E::Replied { text, .. } => Some(text.clone()),
        E::Contacted { note } | E::Reminded { note } | E::Supervised { note } => Some(note.clone()),
        E::AnsweredDirectly { answer } => Some(answer.clone()),
        _ => None,
    }
}

fn category_select(state: &AppState, id: &str, name: &str, chosen: &str, optional: bool) -> Markup {
    let r = state.app.reference();
    let mut cats: Vec<_> = r.taxonomy.categories().filter(|c| c.parent.is_some()).collect();
    cats.sort_by(|a, b| a.code.cmp(&b.code));
    html! {
        select id=(id) name=(name) {
            option value="" { @if optional { "— 不变 —" } @else { "— 请选择分类 —" } }
            @for c in cats {
                option value=(c.code.as_str()) selected[chosen == c.code.as_str()] {
                    (r.taxonomy.path_name(&c.code).unwrap_or_else(|| c.name.clone())) " → " (r.unit_name(&c.unit))
                }
            }
        }
    }
}

/// The suggested leaf categories, each with the unit it routes to and a button that
/// applies it to the form's category select (and unit select, when the form has one).
/// The first is applied with Alt+G.
pub(super) fn suggested_categories(sg: &DispatchSuggestion, category: &str, unit: Option<&str>) -> Markup {
    html! {
        @if sg.categories.is_empty() { p { "暂无分类建议，请人工选择。" } } @else {
            p { "分类建议" @if sg.unsure { "（把握不大，请人工判断）" } "：" }
            ol.suggested { @for (i, c) in sg.categories.iter().enumerate() {
                li {
                    (c.name) " → " strong { (c.unit_name) } " " span.muted { (format!("{:.0}%", c.confidence * 100.0)) } " "
                    button.small type="button" hidden data-apply-category=(c.category.as_str()) data-category-select=(category)
                        data-apply-unit=(c.unit.as_str()) data-unit-select=[unit]
                        accesskey=[(i == 0).then_some("g")] title=[(i == 0).then_some("Alt+G")] { "采用" }
                }
            } }
        }
    }
}

fn unit_select(id: &str, name: &str, units: &[(UnitCode, String)], chosen: &str, first: &str) -> Markup {
    html! {
        select id=(id) name=(name) {
            option value="" { (first) }
            @for (code, n) in units { option value=(code.as_str()) selected[chosen == code.as_str()] { (n) } }
        }
    }
}

/// What the action forms choose from.
struct FormContext<'a> {
    units: &'a [(UnitCode, String)],
    suggestion: Option<&'a DispatchSuggestion>,
    caused: &'a [yiwang_app::InspectionRow],
}

/// One action's form. Field ids are prefixed with the action so labels stay unique.
fn action_form(
    state: &AppState,
    u: &StaffUser,
    v: &CaseView,
    name: &str,
    ctx: &FormContext<'_>,
    failed: Option<&Failed>,
) -> Markup {
    let units = ctx.units;
    let empty = Fields::default();
    let f = failed.map(|x| &x.fields).unwrap_or(&empty);
    let e = failed.map(|x| &x.error);
    let id = |field: &str| format!("{name}-{field}");
    let text = |field: &str, label: &str, required: bool, rows: u32| {
        html! {
            div.field {
                label for=(id(field)) { (label) @if !required { span.opt { "（选填）" } } }
                @if rows > 1 {
                    @let max = if matches!(field, "text" | "answer") { yiwang_core::appeal::TEXT_MAX } else { yiwang_core::appeal::NOTE_MAX };
                    textarea id=(id(field)) name=(field) rows=(rows) required[required] maxlength=(max) { (f.get(field)) }
                } @else {
                    input id=(id(field)) name=(field) required[required] value=(f.get(field));
                }
                (field_error(&id(field), e, field))
            }
        }
    };
    let a = &v.appeal;
    let fields = match name {
        "dispatch" => html! {
            @if let Some(sg) = ctx.suggestion {
                @let dups: Vec<_> = sg.duplicates.iter().filter(|d| d.case_id != a.id).collect();
                div.suggest {
                    (suggested_categories(sg, &id("category"), Some(&id("unit"))))
                    @if !dups.is_empty() {
                        p { "可能的重复件（可用“合并重复件”并入）：" }
                        ul { @for d in &dups {
                            li { a href={"/console/cases/" (d.case_id)} { (d.case_id) } " " (d.title.clone().unwrap_or_else(|| d.excerpt.clone()))
                                " " span.muted { "相似度 " (format!("{:.0}%", d.similarity * 100.0)) } }
                        } }
                    }
                }
            }
            div.field {
                label for=(id("category")) { "诉求分类" }
                (category_select(state, &id("category"), "category", &if failed.is_some() {
                    f.get("category").to_owned()
                } else {
                    a.category.as_ref().map(|c| c.as_str().to_owned())
                        .or_else(|| ctx.suggestion.filter(|s| !s.unsure).and_then(|s| s.categories.first()).map(|c| c.category.as_str().to_owned()))
                        .unwrap_or_default()
                }, false))
                (field_error(&id("category"), e, "category"))
            }
            div.field {
                label for=(id("unit")) { "承办单位" span.opt { "（不选则派给分类的主管单位）" } }
                (unit_select(&id("unit"), "unit", units, f.get("unit"), "— 按分类 —"))
                (field_error(&id("unit"), e, "unit"))
            }
            (text("note", "派单说明", false, 2))
        },
        "return" => text("reason", "退单原因", true, 3),
        "reassign" => html! {
            div.field {
                label for=(id("unit")) { "改派至" }
                (unit_select(&id("unit"), "unit", units, f.get("unit"), "— 请选择单位 —"))
                (field_error(&id("unit"), e, "unit"))
            }
            div.field {
                label for=(id("category")) { "诉求分类" span.opt { "（选填）" } }
                (category_select(state, &id("category"), "category", f.get("category"), true))
            }
            (text("reason", "改派原因", true, 2))
        },
        "summon" => html! {
            fieldset.units {
                legend { "召集哪些单位（可多选）" }
                div.unit-list {
                    @for (code, n) in units.iter().filter(|(c, _)| Some(c) != a.unit.as_ref() && !a.co_units.iter().any(|x| &x.unit == c)) {
                        label.check { input type="checkbox" name="units" value=(code.as_str()) checked[f.has("units", code.as_str())]; (n) }
                    }
                }
                (field_error(&id("units"), e, "units"))
            }
            (text("note", "召集说明", false, 2))
        },
        "answer_part" => text("text", "协办答复", true, 3),
        "contact" => text("note", "联系情况", true, 2),
        "request_extension" => html! {
            div.field {
                label for=(id("working_days")) { "延期天数（工作日）" }
                input id=(id("working_days")) name="working_days" type="number" min="1" max="30" required value=(f.get("working_days"));
                (field_error(&id("working_days"), e, "working_days"))
            }
            (text("reason", "延期理由", true, 2))
        },
        "decide_extension" => html! {
            @if let Some(x) = &a.extension { p { "申请延期 " (x.working_days) " 个工作日：" (x.reason) } }
            fieldset {
                legend { "审批意见" }
                div.choices {
                    label.choice { input type="radio" name="approve" value="yes" checked[f.get("approve") != "no"]; "同意" }
                    label.choice { input type="radio" name="approve" value="no" checked[f.get("approve") == "no"]; "不同意" }
                }
            }
            (text("note", "说明", false, 2))
        },
        "suspend" => text("reason", "挂起原因", true, 2),
        "reply" => html! {
            fieldset {
                legend { "办理结果" }
                div.choices {
                    label.choice { input type="radio" name="outcome" value="resolved" checked[f.get("outcome") != "cannot_solve"]; "已解决" }
                    label.choice { input type="radio" name="outcome" value="cannot_solve" checked[f.get("outcome") == "cannot_solve"]; "无法解决" }
                }
            }
            (text("text", "答复内容", true, 4))
            div.field {
                label for=(id("photos")) { "处置后照片" span.opt { "（选填，最多" (MAX_PHOTOS) "张，每张不超过5MB，JPEG/PNG/WebP）" } }
                input id=(id("photos")) type="file" name="photos" multiple accept="image/jpeg,image/png,image/webp";
                @if e.is_some_and(|(field, _)| field != "photos") { p.hint { "如需附照片，请重新选择（出错后浏览器不会保留已选的文件）。" } }
                (field_error(&id("photos"), e, "photos"))
            }
        },
        "callback" => html! {
            fieldset {
                legend { "诉求人反馈：是否解决" }
                div.choices {
                    label.choice { input type="radio" name="solved" value="yes" checked[f.get("solved") == "yes"]; "已解决" }
                    label.choice { input type="radio" name="solved" value="no" checked[f.get("solved") == "no"]; "未解决" }
                }
                (field_error(&id("solved"), e, "solved"))
            }
            fieldset {
                legend { "满意度" }
                div.choices {
                    @for (val, l) in [("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("unsatisfied", "不满意")] {
                        label.choice { input type="radio" name="satisfaction" value=(val) checked[f.get("satisfaction") == val]; (l) }
                    }
                }
                (field_error(&id("satisfaction"), e, "satisfaction"))
            }
            (text("note", "回访记录", false, 2))
        },
        "answer_directly" => text("answer", "答复内容", true, 3),
        "remind" => text("note", "催办意见", true, 2),
        "supervise" => text("note", "督办意见", true, 2),
        "reopen" => text("reason", "重办原因", true, 2),
        "close" => text("note", "结案说明", false, 2),
        "merge" => html! {
            @let candidates: Vec<_> = ctx.suggestion.map(|s| s.duplicates.iter().filter(|d| d.case_id != a.id).collect()).unwrap_or_default();
            @if !candidates.is_empty() {
                p { "可能的重复件：" }
                ul.candidates { @for d in &candidates {
                    li {
                        button.small type="button" hidden data-fill=(id("into")) data-value=(d.case_id.as_str()) { "选为主工单" } " "
                        a href={"/console/cases/" (d.case_id)} { (d.case_id) } " "
                        (d.title.clone().unwrap_or_else(|| d.excerpt.clone())) " · " (d.status_label)
                        " " span.muted { "相似度 " (format!("{:.0}%", d.similarity * 100.0)) }
                    }
                } }
            }
            div.field {
                label for=(id("into")) { "并入主工单编号" }
                input id=(id("into")) name="into" required placeholder="YW…" list=(id("candidates"))
                    value=(if f.get("into").is_empty() && candidates.len() == 1 { candidates[0].case_id.as_str() } else { f.get("into") });
                datalist id=(id("candidates")) { @for d in &candidates { option value=(d.case_id.as_str()) { (d.title.clone().unwrap_or_else(|| d.excerpt.clone())) } } }
                (field_error(&id("into"), e, "into"))
            }
        },
        _ => html! {},
    };
    // What cannot be undone asks to be confirmed (a required box, checked again by
    // the server), so a slip of the mouse does not close a citizen's case.
    let fields = if IRREVERSIBLE.contains(&name) {
        html! {
            (fields)
            label.check.confirm {
                input id=(id("confirmed")) type="checkbox" name="confirmed" value="1" required;
                "确认执行：此操作提交后不能撤销"
            }
            (field_error(&id("confirmed"), e, "confirmed"))
        }
    } else {
        fields
    };
    let danger = matches!(name, "return" | "merge" | "close");
    // The everyday actions stand open; the rarer ones fold away until needed.
    let secondary = matches!(
        name,
        "summon"
            | "request_extension"
            | "suspend"
            | "return"
            | "reassign"
            | "remind"
            | "supervise"
            | "reopen"
            | "close"
            | "merge"
    );
    let card = ActionCard {
        name,
        label: action_label(name),
        target: format!("/console/cases/{}/act", a.id),
        // The reply carries photos of the work done.
        multipart: name == "reply",
        csrf: &u.csrf,
        error: e,
        fields_with_errors: &[
            "confirmed",
            "category",
            "unit",
            "units",
            "working_days",
            "into",
            "solved",
            "satisfaction",
            "reason",
            "note",
            "text",
            "answer",
            "photos",
        ],
        secondary,
        danger,
    };
    card.render(fields)
}

/// One action's form on a case page of any kind: its fields, the session's form
/// token, the error of a failed attempt (under its field, or above the button for
/// one that has no field of its own), folded away when it is a rarer action.
pub(crate) struct ActionCard<'a> {
    pub name: &'a str,
    pub label: &'static str,
    /// Where the form posts.
    pub target: String,
    /// Whether it carries files.
    pub multipart: bool,
    pub csrf: &'a str,
    pub error: Option<&'a (String, String)>,
    /// The fields whose errors the fields show themselves.
    pub fields_with_errors: &'a [&'a str],
    pub secondary: bool,
    pub danger: bool,
}

impl ActionCard<'_> {
    pub(crate) fn render(&self, fields: Markup) -> Markup {
        let name = self.name;
        let form = html! {
            form method="post" action=(self.target) enctype=[self.multipart.then_some("multipart/form-data")] {
                @if !self.secondary { h2 { (self.label) } }
                input type="hidden" name="_csrf" value=(self.csrf);
                input type="hidden" name="action" value=(name);
                (fields)
                @if let Some((field, msg)) = self.error {
                    @if field.is_empty() || !self.fields_with_errors.contains(&field.as_str()) {
                        p.field-error role="alert" { (msg) }
                    }
                }
                button type="submit" class=(if self.danger { "danger" } else { "primary" }) { (self.label) }
            }
        };
        html! {
            section.card.action.failed[self.error.is_some()] id={"action-" (name)} {
                @if self.secondary {
                    details open[self.error.is_some()] {
                        summary { h2 { (self.label) } }
                        (form)
                    }
                } @else {
                    (form)
                }
            }
        }
    }
}

/// The action a posted form describes, or what is wrong with it (field, message).
/// Actions that cannot be undone, which a console form asks to confirm.
const IRREVERSIBLE: [&str; 5] = ["reply", "merge", "return", "close", "answer_directly"];

pub(crate) fn action_from(f: &Fields) -> Result<Action, (String, String)> {
    let action = action_of(f)?;
    if IRREVERSIBLE.contains(&f.get("action")) && f.get("confirmed") != "1" {
        return Err(("confirmed".into(), "此操作提交后不能撤销，请勾选“确认执行”".into()));
    }
    Ok(action)
}

fn action_of(f: &Fields) -> Result<Action, (String, String)> {
    let bad = |field: &str, msg: &str| (field.to_owned(), msg.to_owned());
    let unit = |field: &str, required: bool| -> Result<Option<UnitCode>, (String, String)> {
        match f.opt(field) {
            Some(s) => UnitCode::parse(&s).map(Some).map_err(|_| bad(field, "所选单位不存在")),
            None if required => Err(bad(field, "请选择单位")),
            None => Ok(None),
        }
    };
    let category = |required: bool| -> Result<Option<CategoryCode>, (String, String)> {
        match f.opt("category") {
            Some(s) => CategoryCode::parse(&s).map(Some).map_err(|_| bad("category", "所选分类不存在")),
            None if required => Err(bad("category", "请选择诉求分类")),
            None => Ok(None),
        }
    };
    let s = |field: &str| f.get(field).to_owned();
    Ok(match f.get("action") {
        "dispatch" => Action::Dispatch {
            category: category(true)?.expect("required"),
            unit: unit("unit", false)?,
            note: f.opt("note"),
        },
        "sign_for" => Action::SignFor,
        "return" => Action::Return { reason: s("reason") },
        "reassign" => Action::Reassign {
            unit: unit("unit", true)?.expect("required"),
            category: category(false)?,
            reason: s("reason"),
        },
        "summon" => {
            let units = f
                .all("units")
                .into_iter()
                .map(|u| UnitCode::parse(u).map_err(|_| bad("units", "所选单位不存在")))
                .collect::<Result<Vec<_>, _>>()?;
            if units.is_empty() {
                return Err(bad("units", "请至少选择一个要召集的单位"));
            }
            Action::Summon { units, note: f.opt("note") }
        }
        "report_in" => Action::ReportIn,
        "answer_part" => Action::AnswerPart { text: s("text") },
        "contact" => Action::Contact { note: s("note") },
        "request_extension" => {
            let days = f.get("working_days").trim().parse::<u32>().ok().filter(|d| (1..=30).contains(d));
            Action::RequestExtension {
                working_days: days.ok_or_else(|| bad("working_days", "延期天数应为1至30之间的整数"))?,
                reason: s("reason"),
            }
        }
        "decide_extension" => Action::DecideExtension { approve: f.get("approve") != "no", note: f.opt("note") },
        "suspend" => Action::Suspend { reason: s("reason") },
        "resume" => Action::Resume,
        // The photos are stored, and named here, once the form is found sound.
        "reply" => Action::Reply {
            outcome: if f.get("outcome") == "cannot_solve" {
                ReplyOutcome::CannotSolve
            } else {
                ReplyOutcome::Resolved
            },
            text: s("text"),
            photos: vec![],
        },
        "callback" => {
            let solved = match f.get("solved") {
                "yes" => true,
                "no" => false,
                _ => return Err(bad("solved", "请选择诉求人反馈的是否解决")),
            };
            let satisfaction: Satisfaction = serde_json::from_value(serde_json::Value::String(s("satisfaction")))
                .map_err(|_| bad("satisfaction", "请选择满意度"))?;
            Action::Callback { solved, satisfaction, note: f.opt("note") }
        }
        "answer_directly" => Action::AnswerDirectly { answer: s("answer") },
        "remind" => Action::Remind { note: s("note") },
        "supervise" => Action::Supervise { note: s("note") },
        "reopen" => Action::Reopen { reason: s("reason") },
        "close" => Action::Close { note: f.opt("note") },
        "merge" => {
            let into = f.get("into").trim().to_uppercase();
            if into.is_empty() {
                return Err(bad("into", "请填写要并入的主工单编号"));
            }
            Action::Merge {
                into: CaseId::parse(&into).map_err(|_| bad("into", "工单编号格式不正确，应如 YW20261122000001"))?,
            }
        }
        _ => return Err(bad("", "未知的操作")),
    })
}

/// One action's form, posted: url-encoded, or multipart for the reply with its
/// photos (处置后照片: the portal's types and sizes), which are stored under names bound
/// to this case and removed again if the action fails.
pub async fn act_on_case(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> UiResult {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (f, photos) = if multipart {
        let mp = match Multipart::from_request(req, &state).await {
            Ok(mp) => mp,
            Err(rejection) => return Ok(rejection.into_response()),
        };
        match read_multipart(mp).await {
            Ok(x) => x,
            Err((f, error)) => {
                u.check_csrf(&f)?;
                let failed = Failed { action: f.get("action").to_owned(), fields: f, error };
                return render_case(&state, &u, &id, Some(failed), None, None, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        }
    } else {
        match axum::Form::<Fields>::from_request(req, &state).await {
            Ok(axum::Form(f)) => (f, vec![]),
            Err(rejection) => return Ok(rejection.into_response()),
        }
    };
    u.check_csrf(&f)?;
    let name = f.get("action").to_owned();
    let refused = |f: Fields, error: (String, String)| Failed { action: name.clone(), fields: f, error };
    let case = crate::appeal::case_id(&id)?;
    let mut saved = vec![];
    let action = match action_from(&f) {
        Ok(_) if !photos.is_empty() && name != "reply" => Err(photo_error("只有答复可以附照片")),
        Ok(Action::Reply { outcome, text, .. }) if !photos.is_empty() => {
            store_photos(&state, &case, &photos).await.map(|stored| {
                let (names, paths) = stored.into_iter().unzip();
                saved = paths;
                Action::Reply { outcome, text, photos: names }
            })
        }
        other => other,
    };
    let action = match action {
        Ok(a) => a,
        Err(error) => {
            let failed = refused(f, error);
            return render_case(&state, &u, &id, Some(failed), None, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let actor = u.actor.clone();
    match state.run(move |app| app.act(&actor, &case, &action)).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/cases/{id}?done={}", url_encode(&name))).into_response()),
        Err(e) => {
            remove_all(&saved).await;
            if e.status == StatusCode::NOT_FOUND && e.field.is_none() && !name.eq("merge") {
                return Err(UiError(e));
            }
            let status = e.status;
            let failed = refused(f, field_of(&state, &e));
            render_case(&state, &u, &id, Some(failed), None, None, status).await
        }
    }
}

fn photo_error(msg: &str) -> (String, String) {
    ("photos".to_owned(), msg.to_owned())
}

/// Stores a reply's photos under names bound to its case: (attachment, path) of each,
/// or what went wrong, with nothing left stored.
async fn store_photos(
    state: &AppState,
    case: &CaseId,
    photos: &[(Vec<u8>, &'static str)],
) -> Result<Vec<(String, std::path::PathBuf)>, (String, String)> {
    let Some(dir) = state.uploads_dir.clone() else {
        return Err(photo_error("本站未配置上传目录，暂不接收照片"));
    };
    let mut stored = vec![];
    for (bytes, kind) in photos {
        match save_case_upload(state, &dir, case, bytes, kind).await {
            Ok(x) => stored.push(x),
            Err(e) => {
                tracing::error!(error = %e, dir = %dir.display(), "storing a reply's photo");
                remove_all(&stored.into_iter().map(|(_, p)| p).collect::<Vec<_>>()).await;
                return Err(photo_error("照片保存失败，请稍后重试或去掉照片后提交"));
            }
        }
    }
    Ok(stored)
}

/// Removes the files stored for an action that did not happen.
async fn remove_all(paths: &[std::path::PathBuf]) {
    for p in paths {
        let _ = tokio::fs::remove_file(p).await;
    }
}

pub async fn reveal_phone(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let case = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    let phone = state.run(move |app| app.reveal_phone(&actor, &case)).await?;
    render_case(&state, &u, &id, None, None, Some(phone), StatusCode::OK).await
}

/// Whether the staff member takes calls (the intake screen).
pub(crate) fn takes_calls(u: &StaffUser) -> bool {
    u.actor.is_centre() && u.actor.has_any_role(&[Role::Operator, Role::Dispatcher])
}
