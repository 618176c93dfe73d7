//! The enterprise register's pages (`yiwang-app/src/register.rs`): the console's
//! register (by words, class and street), its import, one enterprise's record with
//! its class and why, the facts a 监管人员 records, and 信用修复's review; and the
//! enterprise's own page on the portal (`/my/enterprise/<code>`), where a phone that
//! may act for it sees its class, record and licences and asks for 信用修复.

use super::applicant::PortalApplicant;
use super::form::Fields;
use super::{Chrome, StaffUser, UiError, UiResult, fmt_time, html_response, page};
use crate::{ApiError, AppState};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use yiwang_app::{EnterpriseView, RepairInput, RepairView};
use yiwang_core::credit_repair::{ABNORMAL_CONDITIONS, Command as RepairCommand, Repair};
use yiwang_core::enterprise::{CreditClass, CreditFact, FactKind};
use yiwang_core::id::{CreditCode, UnitCode};
use yiwang_core::org::Role;

/// Who reads the register: the departments that supervise, inspect or grant.
pub(crate) fn sees_register(u: &StaffUser) -> bool {
    u.actor.has_any_role(&[Role::Regulator, Role::Enforcer, Role::PolicyOfficer, Role::Leader])
}

fn class_tag(c: CreditClass) -> Markup {
    html! { span class={"tag credit credit-" (c.as_str().to_ascii_lowercase())} { (c.label()) } }
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    street: Option<String>,
    #[serde(default)]
    page: Option<u32>,
}

const PAGE: u32 = 50;

pub async fn show_list(State(state): State<AppState>, u: StaffUser, Query(q): Query<ListQuery>) -> UiResult {
    if !sees_register(&u) {
        return Err(UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "企业名录仅供监管、执法和政策部门查阅")));
    }
    let class = q.class.as_deref().and_then(CreditClass::parse);
    let street = q.street.as_deref().filter(|s| !s.is_empty()).and_then(|s| UnitCode::parse(s).ok());
    let page_no = q.page.unwrap_or(1).max(1);
    let actor = u.actor.clone();
    let (text, st) = (q.q.clone(), street.clone());
    let ((rows, total), streets) = state
        .run(move |app| {
            let page = app.register_page(&actor, text.as_deref(), class, st.as_ref(), PAGE, (page_no - 1) * PAGE)?;
            let streets: Vec<(String, String)> = app
                .reference()
                .org
                .units()
                .filter(|u| u.kind == yiwang_core::org::UnitKind::Street)
                .map(|u| (u.code.to_string(), u.name.clone()))
                .collect();
            Ok((page, streets))
        })
        .await?;
    let query = |p: u32| {
        format!(
            "/console/enterprises?q={}&class={}&street={}&page={p}",
            urlencode(q.q.as_deref().unwrap_or("")),
            class.map(|c| c.as_str()).unwrap_or(""),
            street.as_ref().map(|s| s.to_string()).unwrap_or_default()
        )
    };
    let body = html! {
        section.card #register {
            div.card-head {
                h1 { "企业名录" }
                @if u.actor.has_role(Role::Regulator) { a.button href="/console/enterprises/import" { "导入名录" } }
            }
            form.filters method="get" action="/console/enterprises" {
                div.field { label for="q" { "名称、代码、地址" } input #q name="q" value=(q.q.as_deref().unwrap_or("")); }
                div.field {
                    label for="class" { "信用风险分类" }
                    select #class name="class" {
                        option value="" { "全部" }
                        @for c in CreditClass::ALL { option value=(c.as_str()) selected[class == Some(c)] { (c.label()) } }
                    }
                }
                div.field {
                    label for="street" { "街道" }
                    select #street name="street" {
                        option value="" { "全部" }
                        @for (code, name) in &streets {
                            option value=(code) selected[street.as_ref().is_some_and(|s| s.as_str() == code)] { (name) }
                        }
                    }
                }
                div.actions { button type="submit" { "查询" } }
            }
            p.muted #register-total { "共 " (total) " 户" }
            table.cases #register-rows {
                thead { tr { th { "企业名称" } th { "统一社会信用代码" } th { "行业" } th { "街道" } th { "信用分类" } th { "标签" } } }
                tbody {
                    @for (_, p) in &rows {
                        tr {
                            td { a href={"/console/enterprises/" (p.code)} { (p.name) } @if p.abnormal { " " span.tag.red { "经营异常" } } }
                            td { (p.code) }
                            td { (p.industry) }
                            td { @if let Some(s) = &p.street { (streets.iter().find(|(c, _)| c == s.as_str()).map(|(_, n)| n.as_str()).unwrap_or("")) } }
                            td { (class_tag(p.class)) }
                            td { (p.tags.join("、")) }
                        }
                    }
                }
            }
            nav.pager {
                @if page_no > 1 { a href=(query(page_no - 1)) { "上一页" } }
                @if (page_no as u64) * (PAGE as u64) < total { a href=(query(page_no + 1)) { "下一页" } }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("企业名录", Chrome::Console(&u, "enterprises"), body)))
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub async fn show_import(u: StaffUser) -> UiResult {
    if !u.actor.has_role(Role::Regulator) {
        return Err(UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "只有监管人员可以导入企业名录")));
    }
    Ok(render_import(&u, None, StatusCode::OK))
}

fn render_import(u: &StaffUser, result: Option<Result<String, String>>, status: StatusCode) -> Response {
    let body = html! {
        section.card #register-import {
            h1 { "导入企业名录" }
            p { "上传 CSV 或 JSON 文件。文件整体校验：任何一行有误，整个文件都不导入，并列出每一行错误。已在名录中的企业按文件更新，只记录变化的字段。" }
            p.muted { "CSV 列：code,name,entity_type,industry,address,street,lon,lat,capital,employees,founded,tags,legal_name,legal_phone,facts（标签用分号分隔；信用信息写作 类型@日期，如 penalty@2026-03-01）。" }
            @match &result {
                Some(Ok(msg)) => { div.flash role="status" #import-result { (msg) } }
                Some(Err(msg)) => { div.alert role="alert" #import-errors { (msg) } }
                None => {}
            }
            form method="post" action="/console/enterprises/import" enctype="multipart/form-data" {
                input type="hidden" name="_csrf" value=(u.csrf);
                div.field { label for="file" { "名录文件" } input #file type="file" name="file" accept=".csv,.json,text/csv,application/json" required; }
                div.actions { button.primary type="submit" { "导入" } }
            }
        }
    };
    html_response(status, page("导入企业名录", Chrome::Console(u, "enterprises"), body))
}

pub async fn import(State(state): State<AppState>, u: StaffUser, mut mp: Multipart) -> UiResult {
    let mut f = Fields::default();
    let mut text = None;
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            let bytes = field.bytes().await.map_err(|_| ApiError::invalid("file", "文件过大或上传中断"))?;
            text = Some(
                String::from_utf8(bytes.to_vec())
                    .map_err(|_| ApiError::invalid("file", "文件应为 UTF-8 编码的 CSV 或 JSON"))?,
            );
        } else {
            f.push(&name, field.text().await.unwrap_or_default());
        }
    }
    u.check_csrf(&f)?;
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(render_import(&u, Some(Err("请选择名录文件".into())), StatusCode::UNPROCESSABLE_ENTITY));
    };
    let actor = u.actor.clone();
    match state.run(move |app| app.import_register(&actor, &text)).await {
        Ok(r) => Ok(render_import(
            &u,
            Some(Ok(format!("导入完成：新登记 {} 户，更新 {} 户，未变 {} 户", r.registered, r.updated, r.unchanged))),
            StatusCode::OK,
        )),
        Err(e) if e.status == StatusCode::FORBIDDEN => Err(UiError(e)),
        Err(e) => Ok(render_import(&u, Some(Err(e.message)), e.status)),
    }
}

fn code_of(s: &str) -> Result<CreditCode, UiError> {
    CreditCode::parse(s).map_err(|_| UiError(ApiError::new(StatusCode::NOT_FOUND, "not_found", "企业不存在")))
}

/// The record shared by the console's and the enterprise's own page.
fn record(v: &EnterpriseView, applications: &[yiwang_app::CaseRow], repairs: &[Repair], console: bool) -> Markup {
    let e = &v.enterprise;
    let p = &v.profile;
    html! {
        dl.facts #enterprise-facts {
            dt { "统一社会信用代码" } dd #enterprise-code { (p.code) }
            dt { "企业类型" } dd { (p.entity_type) }
            dt { "行业" } dd { (p.industry) }
            dt { "住所" } dd { (p.address) @if let Some(s) = &v.street_name { "（" (s) "）" } }
            @if let Some(l) = &v.legal_representative { dt { "法定代表人" } dd { (l) } }
            dt { "注册资本" } dd { (p.capital / 10_000) " 万元" }
            dt { "从业人数" } dd { (p.employees) }
            dt { "成立日期" } dd { (p.founded) }
            @if !p.tags.is_empty() { dt { "标签" } dd { (p.tags.join("、")) } }
            dt { "信用风险分类" } dd #enterprise-class { (class_tag(p.class)) @if p.abnormal { " " span.tag.red { "列入经营异常名录" } } }
            @if let Some(last) = e.class_history.last() { dt { "分类依据" } dd #class-reasons { (last.reasons.join("；")) } }
        }
        h2 { "证照" }
        @if e.licences.is_empty() { p.muted { "暂无" } } @else {
            ul.plain #licences { @for l in &e.licences { li { (l.name) " " (l.number) } } }
        }
        @if !applications.is_empty() {
            h2 { "办件（一网通办）" }
            ul.plain #enterprise-applications {
                @for a in applications {
                    li {
                        @if console { a href={"/console/applications/" (a.id)} { (a.id) } } @else { (a.id) }
                        " " (a.title.as_deref().unwrap_or("")) " · " (fmt_time(a.opened_at))
                    }
                }
            }
        }
        h2 { "信用记录" }
        @if e.facts.is_empty() { p.muted { "暂无信用信息" } } @else {
            table.data #credit-facts {
                thead { tr { th { "编号" } th { "信息" } th { "日期" } th { "说明" } th { "状态" } } }
                tbody {
                    @for f in e.facts.iter().rev() {
                        tr {
                            td { "#" (f.number) }
                            td { (f.fact.kind.label()) }
                            td { (f.fact.date) }
                            td { (f.fact.note) }
                            td {
                                @if let Some(at) = f.repaired_at { span.tag.green { "已修复 " (fmt_time(at)) } }
                                @else if let Some((_, from)) = v.repairable_from.iter().find(|(n, _)| *n == f.number) {
                                    span.muted { (from) " 起可申请修复" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "分类变更" }
        ul.plain #class-history {
            @for c in e.class_history.iter().rev() {
                li {
                    (fmt_time(c.at)) " · "
                    @if let Some(f) = c.from { (f.label()) " → " }
                    strong { (c.to.label()) } "：" (c.reasons.join("；"))
                }
            }
        }
        @if !repairs.is_empty() {
            h2 { "信用修复申请" }
            ul.plain #repairs {
                @for r in repairs {
                    li {
                        @if console { a href={"/console/credit-repairs/" (r.id)} { (r.id) } } @else { (r.id) }
                        " 信息 #" (r.fact) "（" (r.fact_kind.label()) "） "
                        span.status { (yiwang_core::credit_repair::RepairStatus::label(r.status)) }
                        @if let Some(d) = &r.decision { " · " (d) }
                    }
                }
            }
        }
    }
}

pub async fn show_one(State(state): State<AppState>, u: StaffUser, Path(code): Path<String>) -> UiResult {
    // By its case number too (what 我的待办 and search link to).
    if let Ok(id) = yiwang_core::id::CaseId::parse(&code) {
        let found = state.run(move |app| app.load_as::<yiwang_core::enterprise::EnterpriseKind>(&id)).await;
        return match found {
            Ok(e) => Ok(Redirect::to(&format!("/console/enterprises/{}", e.registration.code)).into_response()),
            Err(_) => Err(UiError(ApiError::new(StatusCode::NOT_FOUND, "not_found", "企业不存在"))),
        };
    }
    let code = code_of(&code)?;
    render_one(&state, &u, code, None, StatusCode::OK).await
}

async fn render_one(
    state: &AppState,
    u: &StaffUser,
    code: CreditCode,
    flash: Option<Result<String, String>>,
    status: StatusCode,
) -> UiResult {
    let actor = u.actor.clone();
    let (v, applications, repairs) = state
        .run(move |app| {
            let v = app.enterprise_view(&actor, &code)?;
            Ok((v, app.enterprise_applications(&code, 20)?, app.enterprise_repairs(&code)?))
        })
        .await?;
    let p = &v.profile;
    let may_record = u.actor.has_any_role(&[Role::Regulator, Role::Enforcer]);
    let body = html! {
        @match &flash {
            Some(Ok(m)) => { div.flash role="status" { (m) } }
            Some(Err(m)) => { div.alert role="alert" { (m) } }
            None => {}
        }
        section.card #enterprise {
            h1 { (p.name) " " small.muted #case-id { (v.enterprise.id) } }
            (record(&v, &applications, &repairs, true))
        }
        @if may_record {
            section.card #record-fact {
                h2 { "记录信用信息" }
                form method="post" action={"/console/enterprises/" (p.code) "/facts"} {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    div.field {
                        label for="kind" { "信息类型" }
                        select #kind name="kind" {
                            @for k in FactKind::ALL { option value=(k.as_str()) { (k.label()) } }
                        }
                    }
                    div.field { label for="date" { "日期" } input #date name="date" type="date" required; }
                    div.field { label for="note" { "说明（如处罚决定书文号）" } input #note name="note" maxlength="500"; }
                    div.field.check { label { input type="checkbox" name="special" value="1"; " 属于食品、药品、特种设备领域" } }
                    div.actions { button.primary type="submit" { "记录" } }
                }
            }
        }
    };
    Ok(html_response(status, page(&p.name, Chrome::Console(u, "enterprises"), body)))
}

pub async fn record_fact(
    State(state): State<AppState>,
    u: StaffUser,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let code = code_of(&code)?;
    let Some(kind) = FactKind::parse(f.get("kind")) else {
        return render_one(&state, &u, code, Some(Err("请选择信息类型".into())), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let Ok(date) = chrono::NaiveDate::parse_from_str(f.get("date"), "%Y-%m-%d") else {
        return render_one(&state, &u, code, Some(Err("请选择日期".into())), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let fact =
        CreditFact { kind, date, source: None, note: f.get("note").trim().to_owned(), special: f.has("special", "1") };
    let (actor, c) = (u.actor.clone(), code.clone());
    match state.run(move |app| app.record_credit_fact(&actor, &c, fact)).await {
        Ok(()) => Ok(Redirect::to(&format!("/console/enterprises/{code}")).into_response()),
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => Err(UiError(e)),
        Err(e) => render_one(&state, &u, code, Some(Err(e.message)), e.status).await,
    }
}

pub async fn show_repair(State(state): State<AppState>, u: StaffUser, Path(id): Path<String>) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    let v = state.run(move |app| app.repair_view(&actor, &id)).await?;
    Ok(render_repair(&u, &v, None, StatusCode::OK))
}

fn render_repair(u: &StaffUser, v: &RepairView, error: Option<String>, status: StatusCode) -> Response {
    let r = &v.repair;
    let body = html! {
        @if let Some(e) = &error { div.alert role="alert" { (e) } }
        section.card #credit-repair {
            h1 { "信用修复申请 " span #case-id { (r.id) } }
            dl.facts {
                dt { "状态" } dd #repair-status { span.status { (v.status_label) } }
                dt { "企业" } dd { a href={"/console/enterprises/" (r.enterprise)} { (r.enterprise_name) } "（" (r.enterprise) "）" }
                dt { "修复的信息" } dd { "#" (r.fact) " " (r.fact_kind.label()) "（" (r.fact_date) "）" }
                dt { "纠正情况" } dd { (r.correction) }
                @if !r.conditions.is_empty() { dt { "已消除的列入情形" } dd { (r.conditions.join("；")) } }
                dt { "信用承诺" } dd { (r.commitment) }
                dt { "证明材料" } dd {
                    @for f in &r.evidence {
                        @if let Some(name) = f.strip_prefix("uploads/") { a href={"/uploads/" (r.id) "/" (name)} { (name) } " " }
                        @else { (f) " " }
                    }
                }
                dt { "审核部门" } dd { (v.unit_name) }
                dt { "审核期限" } dd { (fmt_time(r.review.due)) }
                @if let Some(d) = &r.decision { dt { "审核意见" } dd { (d) } }
            }
            @if !v.actions.is_empty() {
                form method="post" action={"/console/credit-repairs/" (r.id) "/act"} {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    div.field { label for="opinion" { "审核意见" } textarea #opinion name="opinion" required maxlength="500" {} }
                    div.actions {
                        button.primary type="submit" name="action" value="approve" { "同意修复" }
                        button.danger type="submit" name="action" value="reject" { "不予修复" }
                    }
                }
            }
        }
    };
    html_response(status, page("信用修复申请", Chrome::Console(u, "enterprises"), body))
}

pub async fn act_on_repair(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let id = crate::appeal::case_id(&id)?;
    let text = f.get("opinion").to_owned();
    let cmd = match f.get("action") {
        "approve" => RepairCommand::Approve { opinion: text },
        "reject" => RepairCommand::Reject { reason: text },
        _ => return Err(UiError(ApiError::invalid("action", "未知的操作"))),
    };
    let (actor, i) = (u.actor.clone(), id.clone());
    match state.run(move |app| app.decide_repair(&actor, &i, &cmd)).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/credit-repairs/{id}")).into_response()),
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => Err(UiError(e)),
        Err(e) => {
            let actor = u.actor.clone();
            let v = state.run(move |app| app.repair_view(&actor, &id)).await?;
            Ok(render_repair(&u, &v, Some(e.message), e.status))
        }
    }
}

// The enterprise's own page ----------------------------------------------------------

pub async fn show_mine(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(code): Path<String>,
) -> Response {
    render_mine(&state, who, code, None, StatusCode::OK).await
}

async fn render_mine(
    state: &AppState,
    who: yiwang_app::Applicant,
    code: String,
    flash: Option<Result<String, String>>,
    status: StatusCode,
) -> Response {
    let found = state
        .run(move |app| {
            let v = app.my_enterprise(&who, &code)?;
            let apps = app.enterprise_applications(&v.profile.code, 20)?;
            let repairs = app.enterprise_repairs(&v.profile.code)?;
            Ok((v, apps, repairs))
        })
        .await;
    let (v, apps, repairs) = match found {
        Ok(x) => x,
        Err(e) => return UiError(e).into_response(),
    };
    let p = &v.profile;
    let repairable: Vec<_> = v
        .enterprise
        .facts
        .iter()
        .filter(|f| f.repaired_at.is_none() && f.fact.kind.repairable())
        .filter(|f| {
            !repairs
                .iter()
                .any(|r| r.fact == f.number && r.status == yiwang_core::credit_repair::RepairStatus::Reviewing)
        })
        .collect();
    let body = html! {
        @match &flash {
            Some(Ok(m)) => { div.flash role="status" { (m) } }
            Some(Err(m)) => { div.alert role="alert" #repair-error { (m) } }
            None => {}
        }
        section.card #my-enterprise {
            div.card-head { h1 { (p.name) } a href="/my" { "返回我的办件" } }
            p { a #my-inspections-link href={"/my/inspections?enterprise=" (p.code)} { "检查记录、陈述申辩与整改" } }
            p.muted { "本页显示本企业在云溪区企业名录中的登记信息、信用风险分类及其依据。对信用记录有异议，可向登记部门（" (v.unit_name) "）提出。" }
            (record(&v, &apps, &repairs, false))
        }
        @if !repairable.is_empty() {
            section.card #repair-form {
                h2 { "申请信用修复" }
                p { "失信行为已纠正、公示期满的，可申请信用修复。修复后该信息不再计入信用风险分类，原记录保留。" }
                form method="post" action={"/my/enterprise/" (p.code) "/repair"} enctype="multipart/form-data" {
                    div.field {
                        label for="fact" { "修复的信用信息" }
                        select #fact name="fact" {
                            @for f in &repairable {
                                option value=(f.number) {
                                    "#" (f.number) " " (f.fact.kind.label()) "（" (f.fact.date) "）"
                                    @if let Some((_, from)) = v.repairable_from.iter().find(|(n, _)| *n == f.number) { " · " (from) " 起可申请" }
                                }
                            }
                        }
                    }
                    div.field { label for="correction" { "纠正情况" } textarea #correction name="correction" required maxlength="2000" {} }
                    fieldset {
                        legend { "移出经营异常名录的，请勾选已消除的情形" }
                        @for c in ABNORMAL_CONDITIONS { div.field.check { label { input type="checkbox" name="condition" value=(c); " " (c) } } }
                    }
                    div.field { label for="file-evidence" { "证明材料（PDF或图片，可多选）" } input #file-evidence type="file" name="file.evidence" multiple accept=".pdf,image/*"; }
                    div.field {
                        label for="commitment" { "信用承诺" }
                        textarea #commitment name="commitment" required maxlength="1000" {
                            "本企业承诺：所提交材料真实、有效，已纠正失信行为，今后将依法诚信经营，如有不实，愿承担相应法律责任。"
                        }
                    }
                    div.actions { button.primary type="submit" { "提交申请" } }
                }
            }
        }
    };
    html_response(status, page(&format!("{} · 企业信用", p.name), Chrome::Portal, body))
}

pub async fn request_repair(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(code): Path<String>,
    mp: Multipart,
) -> Response {
    let (f, files) = match super::applicant::read_files(mp).await {
        Ok(x) => x,
        Err((_, e)) => return render_mine(&state, who, code, Some(Err(e)), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let mut evidence = vec![];
    for (_, bytes) in files {
        match crate::applicant::save_applicant_upload(&state, &who, &bytes).await {
            Ok(name) => evidence.push(name),
            Err(e) => return render_mine(&state, who, code, Some(Err(e.message)), e.status).await,
        }
    }
    let Ok(fact) = f.get("fact").parse::<u32>() else {
        return render_mine(
            &state,
            who,
            code,
            Some(Err("请选择要修复的信用信息".into())),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let input = RepairInput {
        enterprise: code.clone(),
        fact,
        correction: f.get("correction").to_owned(),
        evidence,
        commitment: f.get("commitment").to_owned(),
        conditions: f.0.iter().filter(|(k, _)| k == "condition").map(|(_, v)| v.clone()).collect(),
    };
    let w = who.clone();
    match state.run(move |app| app.request_repair_online(&w, input)).await {
        Ok(r) => {
            let msg = format!("信用修复申请已提交（{}），登记部门将在5个工作日内审核，结果以短信告知。", r.id);
            render_mine(&state, who, code, Some(Ok(msg)), StatusCode::OK).await
        }
        Err(e) if e.status == StatusCode::FORBIDDEN => UiError(e).into_response(),
        Err(e) => render_mine(&state, who, code, Some(Err(e.message)), e.status).await,
    }
}
