//! 一件事一次办 in the console and the public guide: the window's register page
//! (choose the bundle, answer its questions, see which parts apply, fill the shared
//! form once and tick the materials once), the bundle's page (its parts, each part's
//! status and clock, the bundle's own clocks, the leader's extension and the
//! withdrawal), and the guide's page of each bundle.

use super::console::{ActionCard, Failed};
use super::form::{ActionFields, Fields, actions_aside, field_error, staff_timeline};
use super::portal::field_of;
use super::{Chrome, StaffUser, UiError, UiResult, fmt_left, fmt_time, html_response, page, stage_badge};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use std::collections::BTreeMap;
use yiwang_app::{AppError, BundleGuide, BundleInput, BundleView, CitizenInput};
use yiwang_core::application::service::FieldType;
use yiwang_core::application::{Enterprise, Provided};
use yiwang_core::bundle::{self, Command, PartOutcome};
use yiwang_core::deadline::ClockName;
use yiwang_core::id::CreditCode;

fn forbidden(msg: &str) -> UiError {
    UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", msg))
}

fn action_label(name: &str) -> &'static str {
    match name {
        "register" => "一件事收件",
        "extend" => "延长联合办理时限",
        "withdraw" => "撤回一件事",
        _ => "操作",
    }
}

fn outcome_tag(o: Option<PartOutcome>) -> Markup {
    match o {
        None => html! { span.muted { "办理中" } },
        Some(PartOutcome::Done) => html! { span.tag { "已办结" } },
        Some(PartOutcome::Refused) => html! { span.tag.late { "未获准予" } },
        Some(PartOutcome::Withdrawn) => html! { span.tag.warn { "已撤回/终止" } },
    }
}

/// The answers in a form or a query: `q.<question>`.
pub(crate) fn answers_of(f: &Fields) -> BTreeMap<String, String> {
    f.0.iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("q.")?.to_owned(), v.trim().to_owned())))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

// ---------------------------------------------------------------- 一件事收件

pub async fn show_new(State(state): State<AppState>, u: StaffUser, Query(q): Query<Vec<(String, String)>>) -> UiResult {
    if !super::applications::is_clerk(&u) {
        return Err(forbidden("一件事收件仅限窗口受理员"));
    }
    render_new(&state, &u, &Fields(q), None, StatusCode::OK).await
}

async fn render_new(
    state: &AppState,
    u: &StaffUser,
    f: &Fields,
    error: Option<(String, String)>,
    status: StatusCode,
) -> UiResult {
    let code = f.opt("bundle");
    let (list, guide) = state
        .run(move |app| {
            let guide = match code {
                Some(c) => Some(app.bundle_guide(&c)?),
                None => None,
            };
            Ok((app.bundles()?, guide))
        })
        .await?;
    let body = match guide {
        None => html! {
            section.card {
                h1 { "一件事收件" }
                p.hint { "一件事一次办：一张表、一套材料、一次提交，相关部门并联审批。请选择申请人要办的一件事。" }
                ul.plain #bundle-choices {
                    @for b in &list {
                        li { a href={"/console/bundles/new?bundle=" (b.code)} { (b.name) } " · 承诺 " (b.promised_days) " 个工作日 · " (b.parts.len()) " 个事项" }
                    }
                }
            }
        },
        Some(g) => new_form(u, &g, &state.app.reference(), f, error.as_ref()),
    };
    Ok(html_response(status, page("一件事收件", Chrome::Console(u, "bundles"), body)))
}

fn new_form(
    u: &StaffUser,
    g: &BundleGuide,
    r: &yiwang_app::Reference,
    f: &Fields,
    e: Option<&(String, String)>,
) -> Markup {
    let b = &g.bundle;
    let answers = answers_of(f);
    let chosen = bundle::choose(b, &answers);
    let answered = b.questions.iter().all(|q| answers.contains_key(&q.code));
    html! {
        section.card {
            h1 { "一件事收件：" (b.name) }
            p.muted { "承诺时限 " (b.promised_days) " 个工作日（各事项承诺时限合计 " (g.promised_sum) " 个工作日）· " (g.refusal_label) }
            @if !b.questions.is_empty() {
                form #bundle-questions method="get" action="/console/bundles/new" {
                    input type="hidden" name="bundle" value=(b.code);
                    fieldset {
                        legend { "情形引导：请按申请人的情况回答" }
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
        @match (answered, chosen) {
            (false, _) => { section.card { p.hint { "回答上面的问题后，显示需要办理的事项和一张共享的申请表。" } } }
            (true, Err(r)) => { section.card { p.field-error role="alert" { (r.to_string()) } } }
            (true, Ok(parts)) => {
                @let codes: Vec<&str> = parts.iter().map(|p| p.service.as_str()).collect();
                @let services: Vec<_> = g.services.iter().filter(|s| codes.contains(&s.code.as_str())).collect();
                @let enterprise = services.iter().any(|s| s.for_enterprises);
                section.card #bundle-parts {
                    h2 { "需要办理的事项（" (services.len()) " 项，并联审批）" }
                    ul.plain { @for s in &services { li { (s.name) " · " span.muted { (r.unit_name(&s.department)) } " · 承诺 " @if s.instant { "即办" } @else { (s.promised_days) " 个工作日" } } } }
                    @let skipped: Vec<_> = g.services.iter().filter(|s| !codes.contains(&s.code.as_str())).collect();
                    @if !skipped.is_empty() { p.muted { "按您的回答无需办理：" @for (i, s) in skipped.iter().enumerate() { @if i > 0 { "、" } (s.name) } } }
                }
                section.card {
                    form #bundle-form method="post" action="/console/bundles/new" {
                        input type="hidden" name="_csrf" value=(u.csrf);
                        input type="hidden" name="bundle" value=(b.code);
                        @for (k, v) in &answers { input type="hidden" name={"q." (k)} value=(v); }
                        @if let Some((field, msg)) = e { p.field-error role="alert" data-field=(field) { (msg) } }
                        fieldset {
                            legend { @if enterprise { "经办人" } @else { "申请人" } }
                            div.field {
                                label for="applicant-name" { "姓名" }
                                input #applicant-name name="applicant_name" required value=(f.get("applicant_name"));
                                (field_error("applicant-name", e, "applicant.name"))
                            }
                            div.field {
                                label for="applicant-phone" { "联系电话" }
                                input #applicant-phone name="applicant_phone" inputmode="tel" required value=(f.get("applicant_phone"));
                                (field_error("applicant-phone", e, "applicant.phone"))
                            }
                        }
                        @if enterprise {
                            fieldset {
                                legend { "申请企业" }
                                div.field {
                                    label for="enterprise-code" { "统一社会信用代码" }
                                    input #enterprise-code name="enterprise_code" required maxlength="18" value=(f.get("enterprise_code"));
                                }
                                div.field {
                                    label for="enterprise-name" { "企业名称" }
                                    input #enterprise-name name="enterprise_name" required value=(f.get("enterprise_name"));
                                }
                            }
                        }
                        fieldset {
                            legend { "共享申请表（每项只填一次）" }
                            @for sf in g.fields.iter().filter(|sf| sf.parts.iter().any(|p| codes.contains(&p.as_str()))) {
                                @let x = &sf.field;
                                @let id = format!("form-{}", sf.code);
                                @let name = format!("form.{}", sf.code);
                                div.field {
                                    label for=(id) { (x.label) @if !x.required { span.opt { "（选填）" } } }
                                    @match &x.field_type {
                                        FieldType::Choice { options } => {
                                            select id=(id) name=(name) required[x.required] {
                                                option value="" { "请选择" }
                                                @for o in options { option value=(o) selected[f.get(&name) == o] { (o) } }
                                            }
                                        }
                                        FieldType::Date => { input id=(id) name=(name) type="date" required[x.required] value=(f.get(&name)); }
                                        FieldType::Number { .. } => { input id=(id) name=(name) inputmode="decimal" required[x.required] value=(f.get(&name)); }
                                        _ => { input id=(id) name=(name) required[x.required] value=(f.get(&name)); }
                                    }
                                    @if sf.parts.len() > 1 { span.hint { "用于：" (sf.parts.len()) " 个事项" } }
                                }
                            }
                        }
                        fieldset #materials {
                            legend { "收取材料（一套）" }
                            @for m in g.materials.iter().filter(|m| m.parts.iter().any(|p| codes.contains(&p.as_str()))) {
                                @let key = format!("mat.{}", m.material.code);
                                div.field.material {
                                    span.label { (m.material.name) @if !m.material.required { span.opt { "（选填）" } } }
                                    div.choices {
                                        label.choice { input type="radio" name=(key) value="" checked[f.get(&key).is_empty()]; "未提交" }
                                        label.choice { input type="radio" name=(key) value="paper" checked[f.get(&key) == "paper"]; "已收纸质材料" }
                                        @if m.material.certificate.is_some() {
                                            label.choice { input type="radio" name=(key) value="certificate" checked[f.get(&key) == "certificate"]; "以电子证照代替" }
                                            input name={"cert." (m.material.code)} placeholder="证照编号" aria-label={(m.material.name) "的证照编号"} value=(f.get(&format!("cert.{}", m.material.code)));
                                        }
                                    }
                                }
                            }
                        }
                        button.primary type="submit" { "一次收件，分送各部门" }
                    }
                }
            }
        }
    }
}

fn input_from(f: &Fields) -> Result<BundleInput, (String, String)> {
    let mut form = BTreeMap::new();
    let mut materials = vec![];
    for (k, v) in &f.0 {
        if let Some(code) = k.strip_prefix("form.") {
            if !v.trim().is_empty() {
                form.insert(code.to_owned(), v.clone());
            }
        } else if let Some(code) = k.strip_prefix("mat.") {
            match v.as_str() {
                "paper" => {
                    materials.push(Provided { material: code.into(), files: vec![], certificate: None, paper: true })
                }
                "certificate" => {
                    let number = f
                        .opt(&format!("cert.{code}"))
                        .ok_or(("materials".to_owned(), "请填写代替材料的电子证照编号".to_owned()))?;
                    materials.push(Provided {
                        material: code.into(),
                        files: vec![],
                        certificate: Some(number),
                        paper: false,
                    });
                }
                _ => {}
            }
        }
    }
    let enterprise = match f.opt("enterprise_code") {
        None => None,
        Some(c) => Some(Enterprise {
            code: CreditCode::parse(&c).map_err(|e| ("enterprise.code".to_owned(), e.rule.to_owned()))?,
            name: f.get("enterprise_name").trim().to_owned(),
        }),
    };
    Ok(BundleInput {
        bundle: f.get("bundle").to_owned(),
        applicant: CitizenInput {
            name: f.opt("applicant_name"),
            phone: f.opt("applicant_phone"),
            id_number: None,
            contact: None,
        },
        enterprise,
        answers: answers_of(f),
        form,
        materials,
        area: None,
    })
}

pub async fn register(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    u.check_csrf(&f)?;
    if !super::applications::is_clerk(&u) {
        return Err(forbidden("一件事收件仅限窗口受理员"));
    }
    let input = match input_from(&f) {
        Ok(i) => i,
        Err(e) => return render_new(&state, &u, &f, Some(e), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let actor = u.actor.clone();
    match state.run(move |app| app.register_bundle(&actor, input)).await {
        Ok(v) => Ok(Redirect::to(&format!("/console/bundles/{}?done=register", v.bundle.id)).into_response()),
        Err(e) => {
            let status = e.status;
            let error = field_of(&state, &e);
            render_new(&state, &u, &f, Some(error), status).await
        }
    }
}

// ---------------------------------------------------------------- one bundle

#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    done: Option<String>,
}

pub async fn show_one(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    let flash = q.done.as_deref().map(|d| format!("已完成：{}", action_label(d)));
    render_one(&state, &u, &id, None, flash, StatusCode::OK).await
}

async fn render_one(
    state: &AppState,
    u: &StaffUser,
    id: &str,
    failed: Option<Failed>,
    flash: Option<String>,
    status: StatusCode,
) -> UiResult {
    let id = crate::appeal::case_id(id)?;
    let actor = u.actor.clone();
    let view = state.run(move |app| app.bundle_view(&actor, &id)).await?;
    let body = bundle_page(state, u, &view, failed.as_ref(), flash);
    Ok(html_response(status, page(&format!("一件事 {}", view.bundle.id), Chrome::Console(u, "bundles"), body)))
}

fn bundle_page(
    state: &AppState,
    u: &StaffUser,
    v: &BundleView,
    failed: Option<&Failed>,
    flash: Option<String>,
) -> Markup {
    let b = &v.bundle;
    let now = state.app.now();
    let cal = &state.app.config().calendar;
    html! {
        @if let Some(f) = flash { div.flash role="status" { (f) } }
        @if let Some(f) = failed { div.alert role="alert" { (action_label(&f.action)) "未完成：" (f.error.1) } }
        div.case-grid {
            div.case-main {
                section.card {
                    h1 { "一件事 " span #case-id { (b.id) } }
                    p.title-line { (b.def.name) @if let Some(e) = &b.enterprise { "（" (e.name) "）" } }
                    dl.facts {
                        dt { "状态" } dd #bundle-status { span.status { (v.status_label) } }
                        @if let Some(s) = &b.stopped { dt { "终止原因" } dd { (s) } }
                        dt { "一件事" } dd { (b.def.name) " · 第 " (b.def.version) " 版" }
                        dt { "否决规则" } dd { (v.refusal_label) }
                        @if let Some(e) = &b.enterprise { dt { "统一社会信用代码" } dd { (e.code) } }
                        @if let Some(c) = &b.tracking_code { dt { "查询码" } dd { (c) } }
                        dt { "收件时间" } dd { (fmt_time(b.filed_at)) }
                        dt { "承诺时限" } dd { (b.def.promised_days) " 个工作日" @if let Some(t) = b.on_time { " · " @if t { "按时办结" } @else { span.tag.late { "超过承诺时限" } } } }
                        @for q in &b.def.questions { @if let Some(a) = b.answers.get(&q.code) { dt { (q.label) } dd { (a) } } }
                    }
                }
                section.card #bundle-parts {
                    h2 { "并联审批事项" }
                    div.table-wrap {
                        table.cases {
                            thead { tr { th scope="col" { "事项" } th scope="col" { "部门" } th scope="col" { "办件" } th scope="col" { "状态" } th scope="col" { "剩余" } th scope="col" { "结果" } } }
                            tbody {
                                @for p in &v.parts {
                                    tr data-part=(p.service) {
                                        td { (p.name) }
                                        td { (p.department_name) }
                                        td { @if let Some(c) = &p.case { a href={"/console/applications/" (c)} { (c) } } @else { span.muted { "待分送" } } }
                                        td { (p.status_label) }
                                        td { @match (p.next_due, p.stage) {
                                            (Some(due), Some(stage)) => { (stage_badge(stage, &fmt_left(yiwang_core::deadline::time_left(cal, now, due, true).num_seconds(), true))) }
                                            _ => { "—" }
                                        } }
                                        td { (outcome_tag(p.outcome)) }
                                    }
                                }
                            }
                        }
                    }
                }
                @if !b.clocks.is_empty() {
                    section.card #bundle-clocks {
                        h2 { "一件事时限" }
                        table.clocks {
                            thead { tr { th scope="col" { "时限" } th scope="col" { "截止" } th scope="col" { "剩余" } } }
                            tbody { @for c in &b.clocks {
                                tr {
                                    td { (c.kind.label()) @if c.kind == bundle::BundleClock::Legal { " " span.muted { "（行政许可法第四十二条第二款：45 个工作日" @if let Some(d) = b.extended { "，已延长 " (d) " 个工作日" } "）" } } }
                                    td { (fmt_time(c.due)) }
                                    td { (stage_badge(c.stage, &fmt_left(c.left(cal, now).num_seconds(), true))) }
                                }
                            } }
                        }
                    }
                }
                (staff_timeline(v.timeline.iter().map(|e| (e.at, e.by.as_str(), e.summary.as_str()))))
            }
            (actions_aside(v.actions.iter().map(|name| action_form(u, v, name, failed.filter(|f| f.action == *name))).collect()))
        }
    }
}

fn action_form(u: &StaffUser, v: &BundleView, name: &str, failed: Option<&Failed>) -> Markup {
    let empty = Fields::default();
    let af =
        ActionFields { name, posted: failed.map(|x| &x.fields).unwrap_or(&empty), error: failed.map(|x| &x.error) };
    let id = af.id("days");
    let fields = match name {
        "extend" => html! {
            p.hint { "联合办理经本级人民政府负责人批准，可以延长 15 个工作日（行政许可法第四十二条第二款），只能延长一次。" }
            div.field {
                label for=(id) { "延长工作日" }
                input id=(id) name="days" inputmode="numeric" required value=(af.posted.get("days"));
                (field_error(&id, af.error, "days"))
            }
            (af.text("reason", "延期理由", true, 2))
        },
        "withdraw" => html! {
            p.hint { "申请人撤回整件一件事：尚未作出决定的事项一并终止，已作出决定的不受影响。" }
            (af.text("reason", "撤回原因", false, 2))
        },
        _ => html! {},
    };
    ActionCard {
        name,
        label: action_label(name),
        target: format!("/console/bundles/{}/act", v.bundle.id),
        multipart: false,
        csrf: &u.csrf,
        error: af.error,
        fields_with_errors: &["reason", "days"],
        secondary: name == "withdraw",
        danger: name == "withdraw",
    }
    .render(fields)
}

fn command_from(f: &Fields) -> Result<Command, AppError> {
    Ok(match f.get("action") {
        "extend" => Command::Extend {
            days: f.get("days").trim().parse().map_err(|_| AppError::invalid("days", "请填写延长的工作日数"))?,
            reason: f.get("reason").to_owned(),
        },
        "withdraw" => Command::Withdraw { reason: f.opt("reason") },
        other => return Err(AppError::invalid("action", format!("未知的操作 {other}"))),
    })
}

pub async fn act(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let name = f.get("action").to_owned();
    let case = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    let posted = f.clone();
    let done = state.run(move |app| app.act_bundle(&actor, &case, &command_from(&posted)?)).await;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/console/bundles/{id}?done={name}")).into_response()),
        Err(e) if e.status == StatusCode::NOT_FOUND && e.field.is_none() => Err(UiError(e)),
        Err(e) => {
            let status = e.status;
            let failed = Failed { action: name, error: field_of(&state, &e), fields: f };
            render_one(&state, &u, &id, Some(failed), None, status).await
        }
    }
}

// ---------------------------------------------------------------- the public guide

/// The guide's page of one bundle: its parts, the questions that choose them, the
/// shared form, the materials once and the committed time.
pub async fn show_guide(State(state): State<AppState>, Path(code): Path<String>) -> UiResult {
    let g = state.run(move |app| app.bundle_guide(&code)).await?;
    let org = state.app.reference();
    let b = &g.bundle;
    let body = html! {
        section.card #bundle-guide {
            p { a href="/services" { "← 办事指南" } }
            h1 { (b.name) " " span.tag { "一件事" } }
            @if !b.description.is_empty() { p { (b.description) } }
            p { a.button.primary #apply-online href={"/services/bundles/" (b.code) "/apply"} { "在线申请" } }
            dl.facts {
                dt { "承诺时限" } dd { (b.promised_days) " 个工作日（各事项单独办理合计 " (g.promised_sum) " 个工作日）" }
                dt { "法定时限" } dd { "联合办理 45 个工作日，经本级人民政府负责人批准可延长 15 个工作日（《中华人民共和国行政许可法》第四十二条第二款）" }
                dt { "否决规则" } dd { (g.refusal_label) }
            }
        }
        section.card {
            h2 { "包含的事项" }
            div.table-wrap {
                table.cases {
                    thead { tr { th scope="col" { "事项" } th scope="col" { "实施部门" } th scope="col" { "何时需要办理" } } }
                    tbody {
                        @for p in &b.parts {
                            @if let Some(s) = g.services.iter().find(|s| s.code == p.service) {
                                tr {
                                    td { a href={"/services/" (s.code)} { (s.name) } }
                                    td { (org.unit_name(&s.department)) }
                                    td { @match &p.when { None => { "均需办理" } Some(c) => { (condition_text(b, c)) } } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !b.questions.is_empty() {
            section.card {
                h2 { "申请前需要回答的问题" }
                ul.plain { @for q in &b.questions { li { (q.label) "（" (q.options.join(" / ")) "）" } } }
            }
        }
        section.card {
            h2 { "一套材料" }
            ul.plain { @for m in &g.materials { li { (m.material.name) @if m.parts.len() > 1 { span.muted { "（" (m.parts.len()) " 个事项共用，只交一次）" } } } } }
            h2 { "一张申请表" }
            ul.plain { @for f in &g.fields { li { (f.field.label) } } }
        }
    };
    Ok(html_response(StatusCode::OK, page(&b.name, super::Chrome::Portal, body)))
}

/// A condition in words: "门头招牌：是".
fn condition_text(b: &bundle::BundleDef, c: &bundle::Condition) -> String {
    match c {
        bundle::Condition::Test(s) => {
            let (q, neg, v) = match s.split_once("!=") {
                Some((q, v)) => (q.trim(), true, v.trim()),
                None => s.split_once('=').map(|(q, v)| (q.trim(), false, v.trim())).unwrap_or((s.as_str(), false, "")),
            };
            let label =
                b.questions.iter().find(|x| x.code == q).map(|x| x.label.trim_end_matches(['？', '?'])).unwrap_or(q);
            format!("{label}{}“{v}”", if neg { "不为" } else { "为" })
        }
        bundle::Condition::Any { any } => any.iter().map(|c| condition_text(b, c)).collect::<Vec<_>>().join("，或"),
        bundle::Condition::All { all } => all.iter().map(|c| condition_text(b, c)).collect::<Vec<_>>().join("，且"),
    }
}

/// The bundles, for the guide's list.
pub(crate) fn guide_list(list: &[bundle::BundleDef]) -> Markup {
    html! {
        @if !list.is_empty() {
            section.card #bundle-list {
                h2 { "一件事一次办" }
                p.hint { "几件事一起办：一张表、一套材料、一次提交，相关部门并联审批。" }
                ul.plain {
                    @for b in list {
                        li { a href={"/services/bundles/" (b.code)} { (b.name) } " · " (b.parts.len()) " 个事项 · 承诺 " (b.promised_days) " 个工作日" }
                    }
                }
            }
        }
    }
}
