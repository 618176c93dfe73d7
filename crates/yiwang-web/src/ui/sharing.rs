//! 一网共享's access pages (`yiwang-app/src/sharing.rs`): the requests of a unit (to
//! answer as owner, its own as consumer), the request form (a resource of the
//! catalogue, its fields ticked), one request with the owner's answer (approve,
//! narrow, refuse) and revocation, the credential shown once on the page that granted
//! it, the owner's usage figures; and the citizen's `/my/reads` on the portal.

use super::applicant::PortalApplicant;
use super::form::{Fields, url_encode};
use super::{Chrome, StaffUser, UiError, UiResult, fmt_time, html_response, page};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use yiwang_app::{AccessAction, AccessInput, AccessView};
use yiwang_core::access::AccessStatus;
use yiwang_core::org::Role;
use yiwang_core::share::Resource;

/// Who works with sharing: a unit's 数据专员 or head.
pub(crate) fn sees_sharing(u: &StaffUser) -> bool {
    u.actor.has_any_role(&[Role::DataOfficer, Role::UnitLeader])
}

fn forbidden() -> UiError {
    UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "数据共享由各单位的数据专员或负责人办理"))
}

fn status_tag(s: AccessStatus) -> Markup {
    let class = match s {
        AccessStatus::Pending => "tag yellow",
        AccessStatus::Granted => "tag green",
        _ => "tag",
    };
    html! { span class=(class) { (s.label()) } }
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    role: Option<String>,
}

/// 数据共享: the requests to answer (owner) and the unit's own (consumer).
pub async fn show_list(State(state): State<AppState>, u: StaffUser, Query(q): Query<ListQuery>) -> UiResult {
    if !sees_sharing(&u) {
        return Err(forbidden());
    }
    let role = q.role.clone().filter(|r| r == "owner" || r == "consumer").unwrap_or_else(|| "owner".into());
    let (actor, r) = (u.actor.clone(), role.clone());
    let rows = state.run(move |app| app.access_requests(&actor, Some(&r), None)).await?;
    let body = html! {
        section.card #share-requests {
            div.card-head {
                h1 { "数据共享" }
                a.button href="/console/share/new" { "申请共享" }
                " " a href="/console/share/usage" { "资源使用情况" }
            }
            nav.tabs {
                a href="/console/share?role=owner" aria-current=[(role == "owner").then_some("page")] { "待本单位审核" }
                a href="/console/share?role=consumer" aria-current=[(role == "consumer").then_some("page")] { "本单位的申请" }
            }
            @if rows.is_empty() {
                p.muted.empty { "暂无共享申请" }
            } @else {
                table.cases #share-rows {
                    thead { tr { th { "编号" } th { "信息资源" } th { "使用系统" } th { "使用部门" } th { "提供部门" } th { "状态" } th { "审核期限" } } }
                    tbody {
                        @for v in &rows {
                            tr {
                                td { a href={"/console/share/" (v.access.id)} { (v.access.id) } }
                                td { (v.access.resource_name) " " small.muted { (v.access.resource) } }
                                td { (v.access.system) }
                                td { (v.consumer_name) }
                                td { (v.owner_name) }
                                td { (status_tag(v.access.status)) }
                                td { @if let (AccessStatus::Pending, Some(a)) = (v.access.status, v.access.answer) { (fmt_time(a.due)) } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("数据共享", Chrome::Console(&u, "share"), body)))
}

#[derive(serde::Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    resource: Option<String>,
}

/// The request form: a resource of the catalogue, then its fields.
pub async fn show_new(State(state): State<AppState>, u: StaffUser, Query(q): Query<NewQuery>) -> UiResult {
    if !sees_sharing(&u) {
        return Err(forbidden());
    }
    render_new(&state, &u, q.resource.unwrap_or_default(), &Fields::default(), None, StatusCode::OK).await
}

async fn render_new(
    state: &AppState,
    u: &StaffUser,
    code: String,
    f: &Fields,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let c = code.clone();
    let (resources, chosen, owner): (Vec<Resource>, Option<Resource>, String) = state
        .run(move |app| {
            let all = app.resources(&Default::default())?;
            let chosen = if c.trim().is_empty() { None } else { Some(app.resource(c.trim())?) };
            let owner = chosen.as_ref().map(|r| app.reference().unit_name(&r.owner)).unwrap_or_default();
            Ok((all, chosen, owner))
        })
        .await?;
    let body = html! {
        @if let Some(e) = &error { div.alert role="alert" { (e) } }
        section.card #share-new {
            h1 { "申请共享信息资源" }
            form method="get" action="/console/share/new" {
                div.field {
                    label for="resource" { "信息资源" }
                    select #resource name="resource" {
                        option value="" { "请选择" }
                        @for r in &resources {
                            option value=(r.code) selected[chosen.as_ref().is_some_and(|c| c.code == r.code)] {
                                (r.name) "（" (r.code) "，" (r.share.label()) "）"
                            }
                        }
                    }
                }
                div.actions { button type="submit" { "选择" } }
            }
            @if let Some(r) = &chosen {
                p { "提供部门：" (owner) "；共享类型：" strong { (r.share.label()) } }
                @if !r.conditions.is_empty() { p.muted { "共享条件：" (r.conditions) } }
                form method="post" action="/console/share/new" #share-request-form {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    input type="hidden" name="resource" value=(r.code);
                    div.field { label for="system" { "使用系统名称" } input #system name="system" required maxlength="100" value=(f.get("system")); }
                    fieldset {
                        legend { "申请字段" }
                        table.cases {
                            thead { tr { th { "字段" } th { "说明" } th { "申请" } th { "个人信息明文" } } }
                            tbody {
                                @for fd in &r.fields {
                                    tr {
                                        td { (fd.name) }
                                        td { (fd.label) @if fd.personal { " " span.tag.red { "个人信息" } } }
                                        td { input type="checkbox" name="fields" value=(fd.name) checked[f.has("fields", &fd.name)]; }
                                        td { @if fd.personal { input type="checkbox" name="unmasked" value=(fd.name) checked[f.has("unmasked", &fd.name)]; } }
                                    }
                                }
                            }
                        }
                        p.muted { "未申请明文的个人信息字段将脱敏返回（如 张*、138****0000）。" }
                    }
                    div.field { label for="purpose" { "用途" } textarea #purpose name="purpose" required maxlength="1000" { (f.get("purpose")) } }
                    div.field { label for="legal_basis" { "共享依据" } input #legal_basis name="legal_basis" required maxlength="500" value=(f.get("legal_basis")); }
                    div.field { label for="from" { "使用期限自" } input #from type="date" name="from" required value=(f.get("from")); }
                    div.field { label for="to" { "至" } input #to type="date" name="to" required value=(f.get("to")); }
                    div.actions { button.primary type="submit" { "提交申请" } }
                }
            }
        }
    };
    Ok(html_response(status, page("申请共享", Chrome::Console(u, "share"), body)))
}

fn date_of(f: &Fields, name: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(f.get(name).trim(), "%Y-%m-%d").map_err(|_| "请填写使用期限（日期）".to_owned())
}

pub async fn submit_new(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    u.check_csrf(&f)?;
    if !sees_sharing(&u) {
        return Err(forbidden());
    }
    let code = f.get("resource").to_owned();
    let (from, to) = match (date_of(&f, "from"), date_of(&f, "to")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            return render_new(&state, &u, code, &f, Some(e), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let input = AccessInput {
        system: f.get("system").to_owned(),
        resource: code.clone(),
        fields: f.all("fields").into_iter().map(str::to_owned).collect(),
        unmasked: f.all("unmasked").into_iter().map(str::to_owned).collect(),
        purpose: f.get("purpose").to_owned(),
        legal_basis: f.get("legal_basis").to_owned(),
        from,
        to,
    };
    let actor = u.actor.clone();
    match state.run(move |app| app.request_access(&actor, input)).await {
        Ok(v) => Ok(render_one(&u, &v, None, StatusCode::CREATED)),
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => Err(UiError(e)),
        Err(e) => render_new(&state, &u, code, &f, Some(e.message), e.status).await,
    }
}

pub async fn show_one(State(state): State<AppState>, u: StaffUser, Path(id): Path<String>) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    let v = state.run(move |app| app.access_view(&actor, &id)).await?;
    Ok(render_one(&u, &v, None, StatusCode::OK))
}

fn render_one(u: &StaffUser, v: &AccessView, error: Option<String>, status: StatusCode) -> Response {
    let a = &v.access;
    let body = html! {
        @if let Some(e) = &error { div.alert role="alert" { (e) } }
        @if let Some(c) = &v.credential {
            section.card.flash #credential role="status" {
                h2 { "共享凭证（仅显示这一次）" }
                p { "请立即复制并妥善保存到使用系统中；系统只保存其摘要，无法再次查看。读取接口：" code { "GET /api/v1/share/" (a.resource) "/records" } "，请求头 " code { "Authorization: Bearer <凭证>" } "。" }
                pre #credential-value { (c) }
            }
        }
        section.card #share-request {
            h1 { "共享申请 " span #case-id { (a.id) } }
            dl.facts {
                dt { "状态" } dd #share-status { (status_tag(a.status)) }
                dt { "信息资源" } dd { (a.resource_name) "（" (a.resource) "，" (a.share.label()) "）" }
                dt { "提供部门" } dd { (v.owner_name) }
                dt { "使用部门" } dd { (v.consumer_name) }
                dt { "使用系统" } dd { (a.system) }
                dt { "申请字段" } dd { (a.requested_fields.join("、")) }
                @if !a.requested_unmasked.is_empty() { dt { "申请明文" } dd { (a.requested_unmasked.join("、")) } }
                @if !a.fields.is_empty() { dt { "授权字段" } dd #granted-fields { (a.fields.join("、")) } }
                @if !a.unmasked.is_empty() { dt { "授权明文" } dd { (a.unmasked.join("、")) } }
                dt { "用途" } dd { (a.purpose) }
                dt { "共享依据" } dd { (a.legal_basis) }
                dt { "使用期限" } dd { (a.from) " 至 " (a.to) }
                @if a.rate_per_minute > 0 { dt { "读取频率" } dd { "每分钟不超过 " (a.rate_per_minute) " 次" } }
                @if let (AccessStatus::Pending, Some(c)) = (a.status, a.answer) { dt { "审核期限" } dd { (fmt_time(c.due)) } }
                @if let Some(d) = &a.decision { dt { "意见" } dd #share-decision { (d) } }
            }
            @if v.actions.contains(&"approve") {
                form method="post" action={"/console/share/" (a.id) "/act"} #share-answer {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    fieldset {
                        legend { "同意的字段（可减少，不能增加）" }
                        @for fd in &a.requested_fields {
                            label.check { input type="checkbox" name="fields" value=(fd) checked; " " (fd) }
                            @if a.requested_unmasked.contains(fd) {
                                label.check { input type="checkbox" name="unmasked" value=(fd) checked; " 明文" }
                            }
                        }
                    }
                    div.field { label for="opinion" { "审核意见 / 不予共享的理由" } textarea #opinion name="opinion" required maxlength="500" {} }
                    div.actions {
                        button.primary type="submit" name="action" value="approve" { "同意共享" }
                        button.danger type="submit" name="action" value="refuse" { "不予共享" }
                    }
                }
            }
            @if v.actions.contains(&"issue_credential") {
                form method="post" action={"/console/share/" (a.id) "/act"} #share-credential {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    p.hint { "使用系统读取时出示访问凭证。凭证只显示一次；遗失或泄露时重新签发，原凭证随即作废。" }
                    div.actions { button.primary type="submit" name="action" value="issue_credential" { "签发访问凭证" } }
                }
            }
            @if v.actions.contains(&"revoke") {
                form method="post" action={"/console/share/" (a.id) "/act"} #share-revoke {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    div.field { label for="reason" { "撤销理由" } input #reason name="opinion" required maxlength="500"; }
                    div.actions { button.danger type="submit" name="action" value="revoke" { "撤销授权" } }
                }
            }
        }
    };
    html_response(status, page("共享申请", Chrome::Console(u, "share"), body))
}

pub async fn act(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let id = crate::appeal::case_id(&id)?;
    let text = f.get("opinion").to_owned();
    let action = match f.get("action") {
        "approve" => AccessAction::Approve {
            opinion: text,
            fields: Some(f.all("fields").into_iter().map(str::to_owned).collect()),
            unmasked: Some(f.all("unmasked").into_iter().map(str::to_owned).collect()),
        },
        "refuse" => AccessAction::Refuse { reason: text },
        "revoke" => AccessAction::Revoke { reason: text },
        "issue_credential" => AccessAction::IssueCredential,
        _ => return Err(UiError(ApiError::invalid("action", "未知的操作"))),
    };
    let (actor, i) = (u.actor.clone(), id.clone());
    match state.run(move |app| app.act_on_access(&actor, &i, action)).await {
        // The credential is shown on this page, once: no redirect.
        Ok(v) if v.credential.is_some() => Ok(render_one(&u, &v, None, StatusCode::OK)),
        Ok(_) => Ok(Redirect::to(&format!("/console/share/{id}")).into_response()),
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => Err(UiError(e)),
        Err(e) => {
            let actor = u.actor.clone();
            let v = state.run(move |app| app.access_view(&actor, &id)).await?;
            Ok(render_one(&u, &v, Some(e.message), e.status))
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct UsageQuery {
    #[serde(default)]
    days: Option<u32>,
}

/// 资源使用情况: who read the unit's resources, how often, how many rows.
pub async fn show_usage(State(state): State<AppState>, u: StaffUser, Query(q): Query<UsageQuery>) -> UiResult {
    if !sees_sharing(&u) {
        return Err(forbidden());
    }
    let days = q.days.unwrap_or(30).clamp(1, 366);
    let actor = u.actor.clone();
    let rows = state.run(move |app| app.share_usage(&actor, days)).await?;
    let body = html! {
        section.card #share-usage {
            h1 { "资源使用情况" }
            p.muted { "近 " (days) " 天本单位信息资源被读取的情况。每次读取均已存证（签名检查点），可用 " code { "yiwang audit verify" } " 核验。" }
            form.filters method="get" action="/console/share/usage" {
                div.field { label for="days" { "天数" } input #days type="number" name="days" min="1" max="366" value=(days); }
                div.actions { button type="submit" { "查询" } }
            }
            @if rows.is_empty() {
                p.muted.empty { "暂无读取记录" }
            } @else {
                table.cases #usage-rows {
                    thead { tr { th { "信息资源" } th { "使用部门" } th { "使用系统" } th { "授权" } th { "读取天数" } th { "读取次数" } th { "返回条数" } th { "最近读取" } } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { (r.resource) }
                                td { (r.consumer_name) }
                                td { (r.system) }
                                td { a href={"/console/share/" (url_encode(&r.grant))} { (r.grant) } }
                                td { (r.days) }
                                td { (r.reads) }
                                td { (r.rows) }
                                td { (r.last_day) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("资源使用情况", Chrome::Console(&u, "share"), body)))
}

/// 我的数据被谁使用: which departments read the applicant's data, and when.
pub async fn show_my_reads(State(state): State<AppState>, PortalApplicant(who): PortalApplicant) -> Response {
    let rows = match state.run(move |app| app.my_reads(&who)).await {
        Ok(r) => r,
        Err(e) => return UiError(e).into_response(),
    };
    let body = html! {
        section.card #my-reads {
            h1 { "我的数据使用记录" }
            p { "根据《个人信息保护法》，您有权知悉政府部门如何使用您的个人信息。以下是各部门通过一网共享读取含有您的信息的记录。" }
            @if rows.is_empty() {
                p.muted.empty { "暂无部门读取您的信息" }
            } @else {
                table.cases #my-read-rows {
                    thead { tr { th { "时间" } th { "读取部门" } th { "使用系统" } th { "信息资源" } } }
                    tbody {
                        @for r in &rows {
                            tr { td { (fmt_time(r.at)) } td { (r.department) } td { (r.system) } td { (r.resource) } }
                        }
                    }
                }
            }
        }
    };
    html_response(StatusCode::OK, page("我的数据使用记录", Chrome::Portal, body))
}
