//! 一网通办 in the console: the window's registration form (窗口收件: pick a service,
//! fill its form, tick the materials handed in on paper or given as e-certificates),
//! an application's page with the commands the caller may give now, and the documents
//! the window prints for the applicant: 受理通知书, 补正材料告知书 and 不予受理决定书,
//! with the legal text.

use super::console::{ActionCard, Failed};
use super::form::{ActionFields, Fields, actions_aside, field_error, staff_timeline};
use super::portal::field_of;
use super::{Chrome, StaffUser, UiError, UiResult, fmt_left, fmt_time, html_response, page, stage_badge};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use std::collections::BTreeMap;
use yiwang_app::{AppError, ApplicationInput, ApplicationView, CitizenInput};
use yiwang_core::application::service::Depth;
use yiwang_core::application::{Application, Command, Delivery, Enterprise, Missing, Provided, Service, Verdict};
use yiwang_core::deadline::ClockName;
use yiwang_core::id::CreditCode;
use yiwang_core::org::Role;

fn forbidden(msg: &str) -> UiError {
    UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", msg))
}

/// Who registers at the window.
pub(crate) fn is_clerk(u: &StaffUser) -> bool {
    u.actor.has_role(Role::Clerk)
}

fn action_label(name: &str) -> &'static str {
    match name {
        "register" => "窗口收件",
        "accept" => "受理",
        "reject" => "不予受理",
        "ask_supplement" => "一次性告知补正",
        "supplement" => "收取补正材料",
        "withdraw" => "撤回申请",
        "review" => "审查意见",
        "suspend" => "进入特别程序",
        "resume" => "特别程序结束",
        "ask_extension" => "申请延期",
        "decide_extension" => "审批延期",
        "decide" => "作出决定",
        "certify" => "制证",
        "deliver" => "送达",
        "revoke" => "吊销证照",
        "record_payment" => "登记缴费",
        "rate_visit" => "请办事人评价",
        _ => "操作",
    }
}

fn depth_text(s: &Service) -> String {
    match s.depth {
        Depth::Online => "全程网办（零跑动）".into(),
        Depth::Visits(n) => format!("到现场 {n} 次"),
    }
}

// ---------------------------------------------------------------- 窗口收件

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    service: Option<String>,
}

pub async fn show_new(State(state): State<AppState>, u: StaffUser, Query(q): Query<NewQuery>) -> UiResult {
    if !is_clerk(&u) {
        return Err(forbidden("窗口收件仅限窗口受理员"));
    }
    let f = Fields::default();
    render_new(&state, &u, q.service.filter(|s| !s.is_empty()), &f, None, StatusCode::OK).await
}

async fn render_new(
    state: &AppState,
    u: &StaffUser,
    code: Option<String>,
    f: &Fields,
    error: Option<(String, String)>,
    status: StatusCode,
) -> UiResult {
    let services = state.run(|app| app.services()).await?;
    let chosen = code.as_deref().and_then(|c| services.iter().find(|s| s.code == c));
    let body = match chosen {
        None => html! {
            section.card {
                h1 { "窗口收件" }
                p.hint { "请选择申请人要办理的事项。" }
                div.table-wrap {
                    table.cases #services {
                        thead { tr { th scope="col" { "事项" } th scope="col" { "类型" } th scope="col" { "承诺时限" } th scope="col" { "办理深度" } } }
                        tbody {
                            @for s in &services {
                                tr {
                                    td { a href={"/console/applications/new?service=" (s.code)} { (s.name) } }
                                    td { (s.service_type.label()) }
                                    td { @if s.instant { "即办" } @else { (s.promised_days) " 个工作日" } }
                                    td { (depth_text(s)) }
                                }
                            }
                        }
                    }
                }
            }
        },
        Some(s) => new_form(u, s, f, error.as_ref()),
    };
    Ok(html_response(status, page("窗口收件", Chrome::Console(u, "applications"), body)))
}

fn new_form(u: &StaffUser, s: &Service, f: &Fields, e: Option<&(String, String)>) -> Markup {
    html! {
        section.card {
            h1 { "窗口收件：" (s.name) }
            p.muted { (s.service_type.label()) " · 法定时限 " (s.legal_days) " 个工作日 · 承诺时限 "
                @if s.instant { "即办" } @else { (s.promised_days) " 个工作日" } " · " (depth_text(s)) }
            @if let Some((field, msg)) = e { @if field.is_empty() || field == "service" { p.field-error role="alert" { (msg) } } }
            form method="post" action="/console/applications/new" {
                input type="hidden" name="_csrf" value=(u.csrf);
                input type="hidden" name="service" value=(s.code);
                fieldset {
                    legend { @if s.for_enterprises { "经办人" } @else { "申请人" } }
                    div.field {
                        label for="applicant-name" { "姓名" }
                        input #applicant-name name="applicant_name" required value=(f.get("applicant_name"));
                        (field_error("applicant-name", e, "applicant.name"))
                    }
                    div.field {
                        label for="applicant-phone" { "联系电话" }
                        input #applicant-phone name="applicant_phone" inputmode="tel" required value=(f.get("applicant_phone"));
                        (field_error("applicant-phone", e, "applicant.phone"))
                        (field_error("applicant-phone", e, "applicant"))
                    }
                }
                @if s.for_enterprises {
                    fieldset {
                        legend { "申请企业" }
                        div.field {
                            label for="enterprise-code" { "统一社会信用代码" }
                            input #enterprise-code name="enterprise_code" required maxlength="18" value=(f.get("enterprise_code"));
                            (field_error("enterprise-code", e, "enterprise.code"))
                        }
                        div.field {
                            label for="enterprise-name" { "企业名称" }
                            input #enterprise-name name="enterprise_name" required value=(f.get("enterprise_name"));
                        }
                    }
                }
                (super::form::service_fields(&s.fields, f))
                @if !s.materials.is_empty() {
                    fieldset #materials {
                        legend { "收取材料" }
                        p.hint { "材料不全的，也可先收件，再一次性告知补正。" }
                        @for m in &s.materials {
                            @let key = format!("mat.{}", m.code);
                            div.field.material {
                                span.label { (m.name) @if m.original { "（原件）" } @if !m.required { span.opt { "（选填）" } } }
                                div.choices {
                                    label.choice { input type="radio" name=(key) value="" checked[f.get(&key).is_empty()]; "未提交" }
                                    label.choice { input type="radio" name=(key) value="paper" checked[f.get(&key) == "paper"]; "已收纸质材料" }
                                    @if m.certificate.is_some() {
                                        label.choice { input type="radio" name=(key) value="certificate" checked[f.get(&key) == "certificate"]; "以电子证照代替" }
                                        input name={"cert." (m.code)} placeholder="证照编号" aria-label={(m.name) "的证照编号"} value=(f.get(&format!("cert.{}", m.code)));
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some((field, msg)) = e { @if !field.is_empty() && field != "service" && !field.starts_with("applicant") && field != "enterprise.code" { p.field-error role="alert" { (msg) } } }
                button.primary type="submit" { "收件" }
            }
        }
    }
}

fn input_from(f: &Fields) -> Result<ApplicationInput, (String, String)> {
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
    Ok(ApplicationInput {
        service: f.get("service").to_owned(),
        applicant: CitizenInput {
            name: f.opt("applicant_name"),
            phone: f.opt("applicant_phone"),
            id_number: None,
            contact: None,
        },
        enterprise,
        form,
        materials,
        area: None,
    })
}

pub async fn register(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    u.check_csrf(&f)?;
    if !is_clerk(&u) {
        return Err(forbidden("窗口收件仅限窗口受理员"));
    }
    let code = f.opt("service");
    let input = match input_from(&f) {
        Ok(i) => i,
        Err(e) => return render_new(&state, &u, code, &f, Some(e), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let actor = u.actor.clone();
    match state.run(move |app| app.register_application(&actor, input)).await {
        Ok(a) => Ok(Redirect::to(&format!("/console/applications/{}?done=register", a.id)).into_response()),
        Err(e) => {
            let status = e.status;
            let error = field_of(&state, &e);
            render_new(&state, &u, code, &f, Some(error), status).await
        }
    }
}

// ---------------------------------------------------------------- one application

#[derive(Deserialize, Default)]
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
    let view = state.run(move |app| app.application_view(&actor, &id)).await?;
    let body = application_page(state, u, &view, failed.as_ref(), flash);
    Ok(html_response(status, page(&format!("办件 {}", view.application.id), Chrome::Console(u, "applications"), body)))
}

fn provided_text(s: &Service, p: &Provided) -> Markup {
    let name = s.material(&p.material).map(|m| m.name.as_str()).unwrap_or(p.material.as_str());
    html! {
        li {
            (name) "："
            @if p.paper { "纸质材料（窗口已核）" }
            @if let Some(c) = &p.certificate { "电子证照 " (c) }
            @if !p.files.is_empty() { (p.files.len()) " 个文件" }
        }
    }
}

fn application_page(
    state: &AppState,
    u: &StaffUser,
    v: &ApplicationView,
    failed: Option<&Failed>,
    flash: Option<String>,
) -> Markup {
    let a = &v.application;
    let s = &a.service;
    let now = state.app.now();
    let cal = &state.app.config().calendar;
    let docs = documents(a);
    html! {
        @if let Some(f) = flash { div.flash role="status" { (f) } }
        @if let Some(f) = failed { div.alert role="alert" { (action_label(&f.action)) "未完成：" (f.error.1) } }
        div.case-grid {
            div.case-main {
                section.card {
                    h1 { "办件 " span #case-id { (a.id) } }
                    p.title-line { (s.name) @if let Some(e) = &a.enterprise { "（" (e.name) "）" } }
                    @if let Some(b) = &a.bundle {
                        p #application-bundle { span.tag { "联办" } " 一件事 " a href={"/console/bundles/" (b.bundle)} { (b.bundle) } " 的事项之一，与其他部门并联审批" }
                    }
                    dl.facts {
                        dt { "状态" } dd #application-status { span.status { (v.status_label) } @if a.deemed_accepted { " " span.tag.warn { "逾期视为受理" } } }
                        dt { "事项" } dd { (s.name) " · 第 " (s.version) " 版 · " (s.service_type.label()) }
                        dt { "办理部门" } dd { (v.department_name) }
                        dt { "申请方式" } dd { @match a.channel { yiwang_core::application::Channel::Online => { "网上申请" } yiwang_core::application::Channel::Window => { "窗口申请" } } }
                        @if let Some(e) = &a.enterprise { dt { "统一社会信用代码" } dd { (e.code) } }
                        @if let Some(c) = &a.tracking_code { dt { "查询码" } dd { (c) } }
                        dt { "收件时间" } dd { (fmt_time(a.filed_at)) }
                        @if let Some(t) = a.accepted_at { dt { "受理时间" } dd { (fmt_time(t)) } }
                        dt { "跑动次数" } dd #application-visits { (a.visits) }
                        @if let Some(fen) = s.fee_fen() {
                            dt { "收费" }
                            dd #application-payment {
                                (fen / 100) "." (format!("{:02}", fen % 100)) " 元 · "
                                @if let Some(p) = &a.payment { "已缴费（凭证号 " (p.reference) "，" (p.paid_on) "）" }
                                @else { span.tag.warn { "未缴费" } }
                            }
                        }
                        dt { "时限" } dd { "法定 " (s.legal_days) " 个工作日，承诺 " @if s.instant { "即办" } @else { (s.promised_days) " 个工作日" } }
                        @if let Some(c) = &a.certificate {
                            dt { "证照" }
                            dd #application-certificate {
                                (c.number) " · 有效期 " (c.valid_from) " 至 " (c.valid_until.map(|d| d.to_string()).unwrap_or_else(|| "长期".into()))
                                @if c.revoked.is_some() { " " span.tag.late { "已吊销" } }
                                @if let Some(s) = &c.signed { " · " a href={"/certificates/" (s.document.status_id)} { "核验页" } " · " a href={"/api/v1/certificates/" (s.document.status_id)} { "证照文件" } }
                            }
                        }
                    }
                    @if !docs.is_empty() {
                        p.print-links {
                            @for (doc, label) in &docs { a.button href={"/console/applications/" (a.id) "/print/" (doc)} target="_blank" { "打印" (label) } " " }
                        }
                    }
                }
                @if a.is_open() && !a.clocks.is_empty() {
                    section.card {
                        h2 { "时限" }
                        table.clocks {
                            thead { tr { th scope="col" { "时限" } th scope="col" { "截止" } th scope="col" { "剩余" } } }
                            tbody { @for c in &a.clocks {
                                tr {
                                    td { (c.kind.label()) }
                                    td { (fmt_time(c.due)) }
                                    td { @if c.paused_at.is_some() { span.tag { "暂停计时" } } @else { (stage_badge(c.stage, &fmt_left(c.left(cal, now).num_seconds(), true))) } }
                                }
                            } }
                        }
                    }
                }
                section.card #application-materials {
                    h2 { "材料" }
                    @if a.materials.is_empty() { p.muted { "未收取材料。" } }
                    ul.plain { @for p in &a.materials { (provided_text(s, p)) } }
                    @if !a.missing.is_empty() {
                        h3 { "一次性告知补正的材料" }
                        ul.plain #application-missing { @for m in &a.missing { li { (m.what) } } }
                    }
                    @if !a.form.is_empty() {
                        h3 { "申请表" }
                        dl.facts {
                            // In the form's own order.
                            @for x in &s.fields {
                                @if let Some(val) = a.form.get(&x.code) { dt { (x.label) } dd { (val) } }
                            }
                        }
                    }
                }
                @if a.review.is_some() || a.granted.is_some() || a.rejection.is_some() {
                    section.card {
                        h2 { "审查与决定" }
                        @if let Some(r) = &a.rejection { p { "不予受理：" (r.reason) "（依据：" (r.basis) "）" } }
                        @if let Some(r) = &a.review { p { "审查意见：" (r.opinion) "（建议" @if r.grant { "准予" } @else { "不予" } "）" } }
                        @if let Some(g) = a.granted {
                            p #application-decision { "决定：" @if g { "准予" } @else { "不予许可" }
                                @if let Some(r) = &a.reasons { "。理由：" (r) }
                                @if a.on_time == Some(false) { " " span.tag.late { "超过承诺时限" } } }
                        }
                    }
                }
                @if a.rated.is_some() || !a.visit_log.is_empty() { (ratings_card(a)) }
                (staff_timeline(v.timeline.iter().map(|e| (e.at, e.by.as_str(), e.summary.as_str()))))
            }
            (actions_aside(v.actions.iter().map(|name| action_form(u, a, name, failed.filter(|f| f.action == *name))).collect()))
        }
    }
}

/// 好差评 given: the application's rating and each visit at the hall, with the
/// dimensions.
fn ratings_card(a: &Application) -> Markup {
    use yiwang_core::application::Rated;
    let rated = |r: &Rated, hall: bool| {
        html! {
            strong { (r.rating.label()) }
            @for (d, level) in &r.dimensions { " · " (d.label(hall)) " " (level.label()) }
            @if let Some(c) = &r.comment { br; small { "“" (c) "”" } }
            @if r.named { " " span.tag { "实名" } }
        }
    };
    html! {
        section.card #application-ratings {
            h2 { "好差评" }
            dl.facts {
                dt { "办件评价" } dd { @if let Some(r) = &a.rated { (rated(r, false)) } @else { span.muted { "未评价" } } }
                @for (i, v) in a.visit_log.iter().enumerate() {
                    dt { "第 " (i + 1) " 次到窗口" br; small.muted { (v.step) } }
                    dd.visit-rating { @if let Some(r) = &v.rated { (rated(r, true)) } @else { span.muted { "未评价" } } }
                }
            }
        }
    }
}

fn action_form(u: &StaffUser, a: &Application, name: &str, failed: Option<&Failed>) -> Markup {
    let s = &a.service;
    let empty = Fields::default();
    let af =
        ActionFields { name, posted: failed.map(|x| &x.fields).unwrap_or(&empty), error: failed.map(|x| &x.error) };
    let (f, e) = (af.posted, af.error);
    let id = |field: &str| af.id(field);
    let text = |field: &str, label: &str, required: bool, rows: u32| af.text(field, label, required, rows);
    let yes_no = |legend: &str, field: &str, yes: &str, no: &str| af.yes_no(legend, field, yes, no);
    let fields = match name {
        "accept" if s.instant => html! {
            p.hint { "即办件：受理时当场作出决定。" }
            (yes_no("决定", "grant", "准予", "不予许可"))
            (text("reasons", "理由（不予许可时必填）", false, 2))
        },
        "accept" => html! { p.hint { "材料齐全、符合法定形式的，予以受理；受理后开始计算办理时限。" } },
        "reject" => html! {
            (text("reason", "不予受理的理由", true, 2))
            (text("basis", "法律依据", true, 2))
        },
        "ask_supplement" => html! {
            p.hint { "须一次性告知需要补正的全部内容，本件只能告知一次。" }
            fieldset {
                legend { "需补正的材料" }
                @for m in &s.materials {
                    label.choice.block { input type="checkbox" name="missing" value=(m.code) checked[f.has("missing", &m.code)]; (m.name) }
                }
            }
            (text("other", "其他需补正的内容（每行一项）", false, 3))
            label.choice { input type="checkbox" name="on_the_spot" value="1" checked[f.has("on_the_spot", "1")]; "当场告知" }
        },
        "supplement" => html! {
            fieldset {
                legend { "收取的补正材料（纸质）" }
                @for m in &s.materials {
                    label.choice.block { input type="checkbox" name="paper" value=(m.code) checked[f.has("paper", &m.code) || a.missing.iter().any(|x| x.material.as_deref() == Some(m.code.as_str()))]; (m.name) }
                }
            }
        },
        "withdraw" => html! { (text("reason", "撤回原因", false, 2)) },
        "revoke" => {
            html! { (text("reason", "吊销原因", true, 2)) p.hint { "吊销后，在线核验和状态清单都显示为已吊销。" } }
        }
        "review" => html! {
            (yes_no("审查建议", "grant", "建议准予", "建议不予"))
            (text("opinion", "审查意见", true, 3))
        },
        "suspend" => html! {
            div.field {
                label for=(id("step")) { "特别程序" }
                select id=(id("step")) name="step" {
                    @for st in s.steps.iter().filter(|x| !x.counted) { option value=(st.code) selected[f.get("step") == st.code] { (st.name) } }
                }
            }
            (text("reason", "书面告知申请人的内容", true, 2))
            p.hint { "行政许可法第45条：听证、检验、检测、鉴定、专家评审等所需时间不计入办理时限。" }
        },
        "resume" => html! { (text("result", "结果", true, 2)) },
        "ask_extension" => html! {
            div.field {
                label for=(id("days")) { "延长工作日数（至多10个）" }
                input id=(id("days")) name="days" type="number" min="1" max="10" required value=(f.get("days"));
                (field_error(&id("days"), e, "days"))
            }
            (text("reason", "理由", true, 2))
        },
        "decide_extension" => html! {
            (yes_no("是否批准延期", "approved", "批准", "不批准"))
            (text("note", "说明", false, 2))
        },
        "decide" => html! {
            (yes_no("决定", "grant", "准予", "不予许可"))
            (text("reasons", "理由（不予许可时必填，并告知申请复议或诉讼的权利）", false, 3))
        },
        "certify" => html! {
            @if s.certificate.as_ref().is_some_and(|c| c.gbt36904.is_some()) {
                p.hint { "证照编号按 GB/T 36904 电子证照标识自动生成。" }
            } @else {
                div.field {
                    label for=(id("number")) { @if let Some(c) = &s.certificate { (c.name) } "编号" }
                    input id=(id("number")) name="number" required value=(f.get("number"));
                }
            }
            div.field {
                label for=(id("valid_from")) { "有效期起" }
                input id=(id("valid_from")) name="valid_from" type="date" required value=(f.get("valid_from"));
            }
            div.field {
                label for=(id("valid_until")) { "有效期至" span.opt { "（长期有效的不填）" } }
                input id=(id("valid_until")) name="valid_until" type="date" value=(f.get("valid_until"));
            }
        },
        "deliver" => html! {
            div.field {
                label for=(id("how")) { "送达方式" }
                select id=(id("how")) name="how" {
                    @if s.instant { option value="on_the_spot" { "当场送达" } }
                    option value="window" selected[f.get("how") == "window"] { "窗口领取" }
                    option value="post" selected[f.get("how") == "post"] { "邮寄送达" }
                    option value="electronic" selected[f.get("how") == "electronic"] { "电子送达" }
                }
            }
        },
        "record_payment" => payment_fields(a, &af),
        "rate_visit" => visit_rating_fields(a, &af),
        _ => html! {},
    };
    let secondary = matches!(name, "reject" | "withdraw" | "suspend" | "ask_extension" | "revoke");
    ActionCard {
        name,
        label: action_label(name),
        target: format!("/console/applications/{}/act", a.id),
        multipart: false,
        csrf: &u.csrf,
        error: e,
        fields_with_errors: &[
            "reason",
            "basis",
            "opinion",
            "result",
            "reasons",
            "note",
            "days",
            "other",
            "reference",
            "amount",
            "paid_on",
            "comment",
        ],
        secondary,
        danger: matches!(name, "reject" | "revoke"),
    }
    .render(fields)
}

/// 缴费: the reference, the amount (the fees in all, filled in) and the day.
fn payment_fields(a: &Application, af: &ActionFields<'_>) -> Markup {
    let (f, e) = (af.posted, af.error);
    let id = |field: &str| af.id(field);
    let fee = a.service.fee_fen().unwrap_or(0);
    let amount =
        if f.get("amount").is_empty() { format!("{}.{:02}", fee / 100, fee % 100) } else { f.get("amount").into() };
    html! {
        ul.plain.fees { @for x in &a.service.fees { li { (x.name) "：" (x.amount) " 元" small.muted { "（" (x.basis) "）" } } } }
        div.field {
            label for=(id("reference")) { "缴费凭证号" }
            input id=(id("reference")) name="reference" required maxlength="64" autocomplete="off" value=(f.get("reference"));
            (field_error(&id("reference"), e, "reference"))
        }
        div.field {
            label for=(id("amount")) { "金额（元）" }
            input id=(id("amount")) name="amount" inputmode="decimal" required value=(amount);
            (field_error(&id("amount"), e, "amount"))
        }
        div.field {
            label for=(id("paid_on")) { "缴费日期" }
            input id=(id("paid_on")) name="paid_on" type="date" required value=(f.get("paid_on"));
            (field_error(&id("paid_on"), e, "paid_on"))
        }
        p.hint { "依缴费凭证登记（本系统不代收费用）；有收费的事项须登记缴费后才能制证。" }
    }
}

/// 「请办事人评价」: the applicant rates a visit at this window on the clerk's tablet.
fn visit_rating_fields(a: &Application, af: &ActionFields<'_>) -> Markup {
    let f = af.posted;
    let id = |field: &str| af.id(field);
    let open: Vec<(usize, &yiwang_core::application::Visit)> =
        a.visit_log.iter().enumerate().filter(|(_, v)| v.rated.is_none()).map(|(i, v)| (i + 1, v)).collect();
    let last = open.last().map(|(n, _)| n.to_string()).unwrap_or_default();
    let chosen = if f.get("visit").is_empty() { last.as_str() } else { f.get("visit") };
    html! {
        p.hint { "请将平板交给办事人，由办事人本人选择。" }
        div.field {
            label for=(id("visit")) { "评价哪一次到窗口" }
            select id=(id("visit")) name="visit" {
                @for (n, v) in &open { option value=(n) selected[chosen == n.to_string()] { "第 " (n) " 次：" (v.step) "（" (fmt_time(v.at)) "）" } }
            }
        }
        (super::rating::overall(f, "您对这次窗口服务是否满意？（整体满意度）"))
        (super::rating::dimensions(f, &yiwang_core::application::Dimension::HALL, true))
        (af.text("comment", "意见或建议", false, 2))
        p.hint { "选择不满意或非常不满意的，请写明原因，以便整改。" }
        label.choice { input type="checkbox" name="named" value="1" checked[f.has("named", "1")]; "实名评价：同意办理部门就本评价与我联系" }
    }
}

/// Yuan as written (`12.5`, `12.50`, `12`) in fen.
fn fen_of(s: &str) -> Option<u64> {
    let s = s.trim().trim_end_matches('元').trim();
    let (yuan, cents) = s.split_once('.').unwrap_or((s, ""));
    if yuan.is_empty() || !yuan.bytes().all(|b| b.is_ascii_digit()) || cents.len() > 2 {
        return None;
    }
    if !cents.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cents = format!("{cents:0<2}").parse::<u64>().ok()?;
    yuan.parse::<u64>().ok()?.checked_mul(100)?.checked_add(cents)
}

fn command_from(f: &Fields, a: &Application) -> Result<Command, AppError> {
    let s = &a.service;
    let yes = |field: &str| f.get(field) != "no";
    let text = |field: &str| f.get(field).to_owned();
    Ok(match f.get("action") {
        "accept" if s.instant => {
            Command::Accept { verdict: Some(Verdict { grant: yes("grant"), reasons: f.opt("reasons") }) }
        }
        "accept" => Command::Accept { verdict: None },
        "reject" => Command::Reject { reason: text("reason"), basis: text("basis") },
        "ask_supplement" => {
            let mut missing: Vec<Missing> = f
                .all("missing")
                .into_iter()
                .filter_map(|code| s.material(code))
                .map(|m| Missing { material: Some(m.code.clone()), what: m.name.clone() })
                .collect();
            missing.extend(
                f.get("other")
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| Missing { material: None, what: l.into() }),
            );
            Command::AskSupplement { missing, on_the_spot: f.has("on_the_spot", "1") }
        }
        "supplement" => Command::Supplement {
            materials: f
                .all("paper")
                .into_iter()
                .map(|code| Provided { material: code.into(), files: vec![], certificate: None, paper: true })
                .collect(),
            in_person: true,
        },
        "withdraw" => Command::Withdraw { reason: f.opt("reason"), in_person: true },
        "revoke" => Command::Revoke { reason: text("reason") },
        "review" => Command::Review { opinion: text("opinion"), grant: yes("grant") },
        "suspend" => Command::Suspend { step: text("step"), reason: text("reason") },
        "resume" => Command::Resume { result: text("result") },
        "ask_extension" => Command::AskExtension {
            days: f
                .get("days")
                .trim()
                .parse()
                .map_err(|_| AppError::invalid("days", "请填写延长的工作日数（1至10）"))?,
            reason: text("reason"),
        },
        "decide_extension" => Command::DecideExtension { approved: yes("approved"), note: f.opt("note") },
        "decide" => Command::Decide { verdict: Verdict { grant: yes("grant"), reasons: f.opt("reasons") } },
        "certify" => {
            let date = |field: &str| {
                chrono::NaiveDate::parse_from_str(f.get(field).trim(), "%Y-%m-%d")
                    .map_err(|_| AppError::invalid(field, "请填写日期，如 2026-11-20"))
            };
            Command::Certify {
                number: text("number"),
                valid_from: date("valid_from")?,
                valid_until: if f.get("valid_until").trim().is_empty() { None } else { Some(date("valid_until")?) },
                signed: None,
            }
        }
        "deliver" => Command::Deliver {
            how: match f.get("how") {
                "on_the_spot" => Delivery::OnTheSpot,
                "post" => Delivery::Post,
                "electronic" => Delivery::Electronic,
                _ => Delivery::Window,
            },
        },
        "record_payment" => Command::RecordPayment {
            reference: text("reference"),
            amount_fen: fen_of(f.get("amount")).ok_or_else(|| AppError::invalid("amount", "请填写金额，如 12.50"))?,
            paid_on: chrono::NaiveDate::parse_from_str(f.get("paid_on").trim(), "%Y-%m-%d")
                .map_err(|_| AppError::invalid("paid_on", "请填写缴费日期，如 2026-11-20"))?,
        },
        "rate_visit" => Command::RateVisit {
            visit: f.get("visit").trim().parse().map_err(|_| AppError::invalid("visit", "请选择评价哪一次到窗口"))?,
            rating: super::rating::overall_from(f)?,
            dimensions: super::rating::dimensions_from(f, &yiwang_core::application::Dimension::HALL, true)?,
            comment: f.opt("comment"),
            named: f.has("named", "1"),
        },
        _ => return Err(AppError::invalid("action", "未知的操作")),
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
    let done = state
        .run(move |app| {
            let v = app.application_view(&actor, &case)?;
            let command = command_from(&posted, &v.application)?;
            app.act_application(&actor, &case, &command)
        })
        .await;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/console/applications/{id}?done={name}")).into_response()),
        Err(e) if e.status == StatusCode::NOT_FOUND && e.field.is_none() => Err(UiError(e)),
        Err(e) => {
            let status = e.status;
            let failed = Failed { action: name, error: field_of(&state, &e), fields: f };
            render_one(&state, &u, &id, Some(failed), None, status).await
        }
    }
}

// ---------------------------------------------------------------- documents

/// The documents an application has given rise to, for printing.
fn documents(a: &Application) -> Vec<(&'static str, &'static str)> {
    let mut d = vec![];
    if a.supplement_asked {
        d.push(("supplement", "补正材料告知书"));
    }
    if a.accepted_at.is_some() {
        d.push(("accept", "受理通知书"));
    }
    if a.rejection.is_some() {
        d.push(("reject", "不予受理决定书"));
    }
    if a.suspended.is_some() {
        d.push(("suspension", "特别程序告知书"));
    }
    match a.granted {
        Some(true) => d.push(("decision", "准予行政许可决定书")),
        Some(false) => d.push(("decision", "不予行政许可决定书")),
        None => {}
    }
    d
}

pub async fn print(State(state): State<AppState>, u: StaffUser, Path((id, doc)): Path<(String, String)>) -> UiResult {
    let case = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    let v = state.run(move |app| app.application_view(&actor, &case)).await?;
    let a = &v.application;
    let Some((_, title)) = documents(a).into_iter().find(|(d, _)| *d == doc) else {
        return Err(UiError(ApiError::new(StatusCode::NOT_FOUND, "not_found", "本办件没有这份文书")));
    };
    let s = &a.service;
    let applicant = a.enterprise.as_ref().map(|e| e.name.clone()).unwrap_or_else(|| "申请人".into());
    // A document is signed with the department's full name (云溪区市场监督管理局).
    let issuer = state.app.reference().org.get(&s.department).map(|u| u.name.clone()).unwrap_or_default();
    let body = match doc.as_str() {
        "accept" => html! {
            p { (applicant) "：" }
            p.indent { "你（单位）于 " (fmt_time(a.received_at)) " 提出的“" (s.name) "”申请，"
                @if a.deemed_accepted { "本机关未在法定期限内告知补正，依据《中华人民共和国行政许可法》第三十二条，自收到申请材料之日起即为受理。" }
                @else { "申请材料齐全、符合法定形式，依据《中华人民共和国行政许可法》第三十二条，本机关决定予以受理。" } }
            p.indent { "本机关将自受理之日起 " (s.legal_days) " 个工作日内作出决定（本区承诺 "
                @if s.instant { "当场办结" } @else { (s.promised_days) " 个工作日" } "）。依法需要听证、检验、检测、鉴定和专家评审的，所需时间不计算在期限内，本机关将书面告知。" }
            p.indent { "办件编号：" (a.id) @if let Some(c) = &a.tracking_code { "；查询码：" (c) } "。" }
        },
        "supplement" => html! {
            p { (applicant) "：" }
            p.indent { "你（单位）于 " (fmt_time(a.filed_at)) " 提出的“" (s.name) "”申请，申请材料不齐全或者不符合法定形式。依据《中华人民共和国行政许可法》第三十二条，现一次性告知你（单位）需要补正的全部内容：" }
            ol { @for m in &a.missing { li { (m.what) } } }
            p.indent { "请于 " (s.supplement_days) " 个工作日内补正。逾期未补正的，视为撤回申请。补正材料齐全后，本机关将依法受理。" }
            p.indent { "办件编号：" (a.id) "。" }
        },
        "suspension" => {
            let step = a
                .suspended
                .as_ref()
                .and_then(|x| s.steps.iter().find(|st| st.code == x.step))
                .map(|st| st.name.clone())
                .unwrap_or_default();
            html! {
                p { (applicant) "：" }
                p.indent { "你（单位）提出的“" (s.name) "”申请（办件编号 " (a.id) "），因需进行" (step)
                    "，依据《中华人民共和国行政许可法》第四十五条，所需时间不计算在办理期限内，待" (step) "结束后继续计算。特此告知。" }
            }
        }
        "decision" if a.granted == Some(true) => html! {
            p { (applicant) "：" }
            p.indent { "你（单位）于 " (fmt_time(a.received_at)) " 提出的“" (s.name) "”申请，经审查，符合法定条件、标准。依据《中华人民共和国行政许可法》第三十八条第一款，本机关决定准予行政许可。" }
            @if let Some(c) = &s.certificate { p.indent { "本机关将自作出决定之日起十日内向你（单位）颁发" (c.name) "（行政许可法第四十四条）。" } }
            @if let Some(fen) = s.fee_fen() {
                p.indent #decision-fee { "本事项依法收费 " (fen / 100) "." (format!("{:02}", fen % 100)) " 元。"
                    @if let Some(p) = &a.payment { "已于 " (p.paid_on) " 缴纳，缴费凭证号 " (p.reference) "。" }
                    @else { "请缴费后凭缴费凭证领取证照。" } }
            }
            p.indent { "办件编号：" (a.id) "。" }
        },
        "decision" => html! {
            p { (applicant) "：" }
            p.indent { "你（单位）于 " (fmt_time(a.received_at)) " 提出的“" (s.name) "”申请，经审查，" (a.reasons.clone().unwrap_or_default())
                "。依据《中华人民共和国行政许可法》第三十八条第二款，本机关决定不予行政许可。" }
            p.indent { "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，或者在六个月内依法向人民法院提起行政诉讼。" }
            p.indent { "办件编号：" (a.id) "。" }
        },
        _ => html! {
            p { (applicant) "：" }
            p.indent { "你（单位）提出的“" (s.name) "”申请，经审查，" (a.rejection.as_ref().map(|r| r.reason.clone()).unwrap_or_default())
                "。依据" (a.rejection.as_ref().map(|r| r.basis.clone()).unwrap_or_default()) "，本机关决定不予受理。" }
            p.indent { "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，或者在六个月内依法向人民法院提起行政诉讼。" }
            p.indent { "办件编号：" (a.id) "。" }
        },
    };
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                title { (title) " · " (a.id) }
                link rel="stylesheet" href=(super::assets::CSS_PATH);
            }
            body.print-view {
                main.document {
                    header.print-head {
                        p.district { (issuer) }
                        h1 #document-title { (title) }
                        p.meta { "办件编号 " strong { (a.id) } }
                    }
                    (body)
                    p.sign { (issuer) br; (fmt_time(state.app.now())) }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, markup))
}

// ---------------------------------------------------------------- 一网通办指标

/// Who sees the indicators page: leaders, the centre, and the staff of departments
/// that handle applications.
pub(crate) fn sees_indicators(u: &StaffUser) -> bool {
    u.is_centre_or_leader() || u.actor.has_any_role(&[Role::Clerk, Role::Reviewer, Role::Approver])
}

#[derive(Deserialize, Default)]
pub struct IndicatorQuery {
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

fn this_month(state: &AppState) -> String {
    yiwang_core::calendar::civil_date(state.app.now()).format("%Y-%m").to_string()
}

fn indicator_table(m: &yiwang_app::ServiceMonth) -> super::export::Table {
    use super::export::Cell;
    let row = |kind: &str, x: &yiwang_app::ServiceIndicators| -> Vec<Cell> {
        vec![
            kind.into(),
            x.name.clone().into(),
            x.done.into(),
            Cell::percent(x.on_time_rate()),
            Cell::percent(x.online_rate()),
            Cell::percent(x.instant_rate()),
            x.average_visits().into(),
            x.average_days().into(),
            x.promised_days.map(|d| Cell::from(u64::from(d))).unwrap_or(Cell::Empty),
            x.legal_days.map(|d| Cell::from(u64::from(d))).unwrap_or(Cell::Empty),
            x.reused.into(),
            x.rated.into(),
            Cell::percent(x.good_rate()),
            Cell::percent(x.unrated_rate()),
            Cell::percent(x.fixed_rate()),
            x.average_promised_days().into(),
            x.average_legal_days().into(),
            x.hall_rated.into(),
            Cell::percent(x.hall_good_rate()),
        ]
        .into_iter()
        .chain(yiwang_app::SCORE_COLUMNS.iter().map(|(k, _)| Cell::from(x.score(k))))
        .collect()
    };
    let mut rows = vec![row("全区", &m.district)];
    rows.extend(m.departments.iter().map(|d| row("部门", d)));
    rows.extend(m.services.iter().map(|s| row("事项", s)));
    super::export::Table {
        name: "services",
        title: format!("一网通办指标 {}", m.month),
        header: vec![
            "范围",
            "名称",
            "办结件数",
            "按时办结率",
            "全程网办率",
            "即办件率",
            "平均跑动次数",
            "平均办理时长（工作日）",
            "承诺时限",
            "法定时限",
            "证照复用",
            "评价数",
            "好评率",
            "未评价率",
            "差评整改率",
            "平均承诺时限（工作日）",
            "平均法定时限（工作日）",
            "现场评价数",
            "现场好评率",
        ]
        .into_iter()
        .chain(yiwang_app::SCORE_COLUMNS.iter().map(|(_, label)| *label))
        .collect(),
        rows,
    }
}

pub async fn show_indicators(State(state): State<AppState>, u: StaffUser, Query(q): Query<IndicatorQuery>) -> UiResult {
    if !sees_indicators(&u) {
        return Err(forbidden("一网通办指标仅供区领导、热线中心和办理部门查看"));
    }
    let month = q.month.clone().filter(|m| !m.is_empty()).unwrap_or_else(|| this_month(&state));
    let actor = u.actor.clone();
    let wanted = month.clone();
    let m = state.run(move |app| app.service_indicators(&actor, &wanted)).await?;
    let export = match q.format.as_deref() {
        Some("csv") => Some(("csv", "text/csv; charset=utf-8", "一网通办指标（CSV）")),
        Some("xlsx") => {
            Some(("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "一网通办指标（Excel）"))
        }
        _ => None,
    };
    if let Some((ext, mime, what)) = export {
        let actor = u.actor.clone();
        state.run(move |app| app.note_export(&actor, what)).await?;
        let table = indicator_table(&m);
        let bytes = if ext == "csv" { super::export::csv(&table) } else { super::export::xlsx(&table) };
        let mut r = bytes.into_response();
        r.headers_mut().insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static(mime));
        let file = format!("attachment; filename=\"yiwang-services-{}.{ext}\"", m.month);
        r.headers_mut().insert(
            axum::http::header::CONTENT_DISPOSITION,
            axum::http::HeaderValue::from_str(&file).expect("ascii file name"),
        );
        return Ok(r);
    }
    let pct = |r: Option<f64>| r.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_else(|| "—".into());
    let avg = |r: Option<f64>| r.map(|r| format!("{r:.2}")).unwrap_or_else(|| "—".into());
    let row = |x: &yiwang_app::ServiceIndicators| {
        html! {
            td.num { (x.done) } td.num { (pct(x.on_time_rate())) } td.num { (pct(x.online_rate())) }
            td.num { (pct(x.instant_rate())) } td.num { (avg(x.average_visits())) }
            td.num { (avg(x.average_days())) @if let (Some(p), Some(l)) = (x.average_promised_days(), x.average_legal_days()) { small.muted { " / " (avg(Some(p))) " / " (avg(Some(l))) } } }
            td.num { (x.reused) }
            td.num { (x.rated) } td.num { (pct(x.good_rate())) } td.num { (pct(x.unrated_rate())) } td.num { (pct(x.fixed_rate())) }
        }
    };
    let head = html! {
        th.num scope="col" { "办结件数" } th.num scope="col" { "按时办结率" } th.num scope="col" { "全程网办率" }
        th.num scope="col" { "即办件率" } th.num scope="col" { "平均跑动次数" }
        th.num scope="col" { "平均办理时长" br; small { "（工作日 / 平均承诺时限 / 平均法定时限）" } }
        th.num scope="col" { "证照复用" }
        th.num scope="col" { "评价数" } th.num scope="col" { "好评率" } th.num scope="col" { "未评价率" } th.num scope="col" { "差评整改率" }
    };
    let body = html! {
        div.dash-head {
            h1 { "一网通办指标" }
            form.filter method="get" action="/console/indicators" {
                label for="month" { "月份" }
                input #month name="month" type="month" value=(m.month);
                button type="submit" { "刷新" }
            }
        }
        section.kpis aria-label="关键指标" {
            div.kpi { span.k-label { (m.month) " 办结" } span.k-value #kpi-done { (m.district.done) } }
            div.kpi { span.k-label { "按时办结率" } span.k-value #kpi-on-time { (pct(m.district.on_time_rate())) } }
            div.kpi { span.k-label { "全程网办率" } span.k-value { (pct(m.district.online_rate())) } }
            div.kpi { span.k-label { "平均跑动次数" } span.k-value #kpi-visits { (avg(m.district.average_visits())) } }
            div.kpi { span.k-label { "好评率" } span.k-value #kpi-good { (pct(m.district.good_rate())) } }
            div.kpi { span.k-label { "差评整改率" } span.k-value #kpi-fixed { (pct(m.district.fixed_rate())) } }
        }
        section.card {
            h2 { "按部门" " " span.exports { "导出："
                a href={"/console/indicators?format=xlsx&month=" (m.month)} { "Excel" } " · "
                a href={"/console/indicators?format=csv&month=" (m.month)} { "CSV" } } }
            @if m.departments.is_empty() { p.muted.empty { "本月没有办结的办件。" } }
            @else {
                div.table-wrap { table.data #indicators-departments {
                    thead { tr { th scope="col" { "部门" } (head) } }
                    tbody { @for d in &m.departments { tr { td { (d.name) } (row(d)) } } }
                } }
            }
        }
        @if !m.services.is_empty() {
            section.card {
                h2 { "按事项" }
                div.table-wrap { table.data #indicators-services {
                    thead { tr { th scope="col" { "事项" } (head) } }
                    tbody { @for s in &m.services { tr { td { (s.name) } (row(s)) } } }
                } }
            }
        }
        section.card {
            h2 { "好差评分项" " " small.muted { "（平均分：非常满意 5 分 … 非常不满意 1 分）" } }
            div.table-wrap { table.data #indicators-scores {
                thead { tr {
                    th scope="col" { "范围" } th.num scope="col" { "现场评价数" } th.num scope="col" { "现场好评率" }
                    @for (_, label) in yiwang_app::SCORE_COLUMNS { th.num scope="col" { (label) } }
                } }
                tbody {
                    @for x in std::iter::once(&m.district).chain(&m.departments).chain(&m.services) {
                        tr {
                            td { (x.name) }
                            td.num { (x.hall_rated) } td.num { (pct(x.hall_good_rate())) }
                            @for (k, _) in yiwang_app::SCORE_COLUMNS { td.num { (avg(x.score(k))) } }
                        }
                    }
                }
            } }
        }
        p.hint { "按时办结率：在承诺时限内作出决定的办结件占办结件的比例；全程网办：网上申请、电子送达、未到现场；平均跑动次数：办结件的到现场次数之和除以办结件数；平均办理时长：当月作出决定的办件自受理至决定所用的工作日（不计特别程序和补正时间）；证照复用：当月收件中以电子证照代替的材料数；好评率：非常满意、满意和基本满意占当月评价（办件评价和现场评价）的比例；分项平均分：当月评价中各分项的平均等级；平均承诺（法定）时限：当月作出决定的办件所属事项时限的平均数，与平均办理时长对照；未评价率：当月办结件中未评价的比例；差评整改率：当月答复的差评中按期整改答复的比例（中心认定无效的差评不计）。" }
    };
    Ok(html_response(StatusCode::OK, page("一网通办指标", Chrome::Console(&u, "indicators"), body)))
}

// ---------------------------------------------------------------- 差评整改

fn fix_label(name: &str) -> &'static str {
    match name {
        "verify" => "核实",
        "decide_appeal" => "审定申诉",
        "answer" => "整改答复",
        "call_back" => "回访",
        _ => "操作",
    }
}

pub async fn show_fix(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> UiResult {
    let flash = q.done.as_deref().map(|d| format!("已完成：{}", fix_label(d)));
    render_fix(&state, &u, &id, None, flash, StatusCode::OK).await
}

async fn render_fix(
    state: &AppState,
    u: &StaffUser,
    id: &str,
    failed: Option<Failed>,
    flash: Option<String>,
    status: StatusCode,
) -> UiResult {
    let id = crate::appeal::case_id(id)?;
    let actor = u.actor.clone();
    let v = state.run(move |app| app.rating_fix_view(&actor, &id)).await?;
    let f = &v.fix;
    let now = state.app.now();
    let cal = &state.app.config().calendar;
    let body = html! {
        @if let Some(m) = flash { div.flash role="status" { (m) } }
        @if let Some(x) = &failed { div.alert role="alert" { (fix_label(&x.action)) "未完成：" (x.error.1) } }
        div.case-grid {
            div.case-main {
                section.card {
                    h1 { "差评整改 " span #case-id { (f.id) } }
                    dl.facts {
                        dt { "状态" } dd #fix-status { span.status { (v.status_label) } }
                        dt { "评价" } dd { strong { (f.rating.label()) } @if f.named { "（实名）" } }
                        dt { "申请人意见" } dd { (f.comment) }
                        dt { "事项" } dd { (f.service_name) "，办件 " a href={"/console/applications/" (f.application)} { (f.application) } }
                        dt { "办理部门" } dd { (v.department_name) }
                        dt { "收到时间" } dd { (fmt_time(f.opened_at)) }
                        @for c in &f.clocks {
                            dt { "答复时限" } dd { (fmt_time(c.due)) " " (stage_badge(c.stage, &fmt_left(c.left(cal, now).num_seconds(), true))) }
                        }
                        @if let Some(x) = &f.finding { dt { "核实情况" } dd { (x) } }
                        @if let Some(x) = &f.appeal_note { dt { "中心意见" } dd { (x) } }
                        @if let Some(x) = &f.measures { dt { "整改措施" } dd { (x) } }
                        @if let Some(x) = &f.reply { dt { "答复" } dd { (x) @if f.on_time == Some(false) { " " span.tag.late { "逾期" } } } }
                    }
                }
                (staff_timeline(v.timeline.iter().map(|e| (e.at, e.by.as_str(), e.summary.as_str()))))
            }
            (actions_aside(v.actions.iter().map(|name| fix_form(u, f, name, failed.as_ref().filter(|x| x.action == *name))).collect()))
        }
    };
    Ok(html_response(status, page(&format!("差评整改 {}", f.id), Chrome::Console(u, "todo"), body)))
}

fn fix_form(u: &StaffUser, f: &yiwang_core::rating_fix::Fix, name: &str, failed: Option<&Failed>) -> Markup {
    let empty = Fields::default();
    let af =
        ActionFields { name, posted: failed.map(|x| &x.fields).unwrap_or(&empty), error: failed.map(|x| &x.error) };
    let e = af.error;
    let text = |field: &str, label: &str, required: bool| af.text(field, label, required, 3);
    let yes_no = |legend: &str, field: &str, yes: &str, no: &str| af.yes_no(legend, field, yes, no);
    let fields = match name {
        "verify" => {
            html! { (yes_no("差评是否属实", "founded", "属实，进行整改", "不属实，向中心申诉")) (text("finding", "核实情况", true)) }
        }
        "decide_appeal" => {
            html! { (yes_no("申诉是否成立", "upheld", "成立，差评无效", "不成立，须整改")) (text("note", "审定意见", true)) }
        }
        "answer" => html! { (text("measures", "整改措施", true)) (text("reply", "答复申请人的内容", true)) },
        "call_back" => {
            html! { (yes_no("申请人是否认可整改", "satisfied", "认可", "不认可")) (text("note", "回访记录", false)) }
        }
        _ => html! {},
    };
    ActionCard {
        name,
        label: fix_label(name),
        target: format!("/console/rating-fixes/{}/act", f.id),
        multipart: false,
        csrf: &u.csrf,
        error: e,
        fields_with_errors: &["finding", "note", "measures", "reply"],
        secondary: false,
        danger: false,
    }
    .render(fields)
}

pub async fn act_on_fix(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    use yiwang_core::rating_fix::Command as Fix;
    u.check_csrf(&f)?;
    let name = f.get("action").to_owned();
    let yes = |field: &str| f.get(field) != "no";
    let text = |field: &str| f.get(field).to_owned();
    let command = match name.as_str() {
        "verify" => Fix::Verify { founded: yes("founded"), finding: text("finding") },
        "decide_appeal" => Fix::DecideAppeal { upheld: yes("upheld"), note: text("note") },
        "answer" => Fix::Answer { measures: text("measures"), reply: text("reply") },
        "call_back" => Fix::CallBack { satisfied: yes("satisfied"), note: f.opt("note") },
        _ => return Err(UiError(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", "未知的操作"))),
    };
    let case = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    match state.run(move |app| app.act_rating_fix(&actor, &case, &command)).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/rating-fixes/{id}?done={name}")).into_response()),
        Err(e) if e.status == StatusCode::NOT_FOUND && e.field.is_none() => Err(UiError(e)),
        Err(e) => {
            let status = e.status;
            let failed = Failed { action: name, error: field_of(&state, &e), fields: f };
            render_fix(&state, &u, &id, Some(failed), None, status).await
        }
    }
}
