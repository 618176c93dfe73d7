//! 免申即享's pages (`yiwang-app/src/benefit.rs`). On the console, for the paying
//! departments' policy officers: the policies (拟定 with clauses, one a line), one
//! policy with its clauses, the dry run's page with each enterprise's trace, enable,
//! run and stop, its grants; one grant with its trace and the payment. On the portal
//! (`/my/grants`), for a phone bound to an enterprise: its grants with the trace in
//! plain Chinese, confirming the bank account or declining, and claiming (依申请).

use super::applicant::PortalApplicant;
use super::form::Fields;
use super::{Chrome, StaffUser, UiError, UiResult, fmt_time, html_response, page};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use yiwang_core::benefit::grant::BankAccount;
use yiwang_core::benefit::{Clause, ClauseTrace, PolicyDef, PolicyStatus, RunSchedule};
use yiwang_core::id::{CaseId, UnitCode};
use yiwang_core::org::Role;

fn is_officer(u: &StaffUser) -> bool {
    u.actor.has_role(Role::PolicyOfficer)
}

fn yuan(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} 元")
}

fn trace_list(trace: &[ClauseTrace]) -> Markup {
    html! {
        ul.plain.trace {
            @for c in trace {
                li.{"trace-" (c.result)} {
                    strong { (c.clause) } " " (c.text) "："
                    span.status { (c.result_label()) }
                    @if !c.values.is_empty() {
                        br;
                        small.muted {
                            @for (i, v) in c.values.iter().enumerate() {
                                @if i > 0 { "；" }
                                (v.label) "：" (v.value)
                            }
                            " · 条件 " code { (c.rule) }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- console

pub async fn show_policies(State(state): State<AppState>, u: StaffUser) -> UiResult {
    let figures = state.run(|app| app.policy_figures()).await?;
    Ok(render_policies(&u, figures, &Fields::default(), None, StatusCode::OK))
}

fn render_policies(
    u: &StaffUser,
    figures: Vec<yiwang_app::PolicyFigures>,
    f: &Fields,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let body = html! {
        section.card #policies {
            h1 { "免申即享 · 惠企政策" }
            @if figures.is_empty() {
                p.muted.empty { "还没有政策。" }
            } @else {
                table {
                    thead { tr { th { "政策" } th { "状态" } th { "预算" } th { "已核定" } th { "核定金额" } th { "已拨付" } th { "拨付金额" } } }
                    tbody {
                        @for p in &figures {
                            tr {
                                td { a href={"/console/policies/" (p.id)} { (p.name) } }
                                td { span.status { (p.status_label) } }
                                td { (yuan(p.budget)) }
                                td { (p.granted) " 户" }
                                td { (yuan(p.granted_amount)) }
                                td { (p.paid) " 户" }
                                td { (yuan(p.paid_amount)) }
                            }
                        }
                    }
                }
            }
        }
        @if is_officer(u) {
            section.card #policy-new {
                h2 { "拟定政策" }
                p { "享受条件每行一条，写作“条款 | 说明 | 条件表达式”，如："
                    code { "第三条第（一）项 | 属于小微企业 | \"小微企业\" in tags" }
                    "。可用字段：industry 行业代码、tags 企业标签、employees 从业人数、founded 成立日期、capital 注册资本、class 信用分类、abnormal 经营异常、last_penalty 最近处罚日期、street 街道；函数 months_since、years_since、starts_with、min、max 等。" }
                @if let Some(msg) = &error { div.alert role="alert" { (msg) } }
                form method="post" action="/console/policies" {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    div.field { label for="name" { "政策名称" } input #name name="name" required maxlength="100" value=(f.get("name")); }
                    div.field { label for="basis" { "政策依据（文号）" } input #basis name="basis" required maxlength="100" value=(f.get("basis")); }
                    div.field { label for="budget" { "预算（元）" } input #budget name="budget" inputmode="numeric" required value=(f.get("budget")); }
                    div.field { label for="period" { "周期" } input #period name="period" required placeholder="2026、2026H1 或 2026Q1" value=(f.get("period")); }
                    div.field {
                        label for="clauses" { "享受条件" }
                        textarea #clauses name="clauses" rows="6" required { (f.get("clauses")) }
                    }
                    div.field { label for="amount" { "补贴金额公式（元）" } input #amount name="amount" required placeholder="min(employees * 1000, 30000)" value=(f.get("amount")); }
                    div.field { label for="amount_clause" { "金额条款" } input #amount_clause name="amount_clause" maxlength="50" value=(f.get("amount_clause")); }
                    div.field {
                        label for="schedule" { "执行方式" }
                        select #schedule name="schedule" {
                            @for s in RunSchedule::ALL {
                                option value=(s.as_str()) selected[f.get("schedule") == s.as_str()] { (s.label()) }
                            }
                        }
                        p.muted { "启用后按所选周期自动执行，找出新符合条件的企业；同一企业每个周期只享受一次。" }
                    }
                    div.actions { button.primary type="submit" { "保存草稿" } }
                }
            }
        }
    };
    html_response(status, page("免申即享", Chrome::Console(u, "policies"), body))
}

fn def_from(f: &Fields, unit: &UnitCode) -> Result<PolicyDef, String> {
    let budget = f.get("budget").trim().replace(',', "").parse::<u64>().map_err(|_| "预算应为整数元".to_owned())?;
    let mut clauses = vec![];
    for (i, line) in f.get("clauses").lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let parts: Vec<&str> = line.splitn(3, '|').map(str::trim).collect();
        let [clause, text, rule] = parts[..] else {
            return Err(format!("享受条件第 {} 行应写作“条款 | 说明 | 条件表达式”", i + 1));
        };
        clauses.push(Clause { clause: clause.into(), text: text.into(), rule: rule.into() });
    }
    Ok(PolicyDef {
        name: f.get("name").into(),
        basis: f.get("basis").into(),
        budget,
        period: f.get("period").into(),
        unit: unit.clone(),
        clauses,
        amount: f.get("amount").into(),
        amount_clause: f.get("amount_clause").into(),
        schedule: RunSchedule::parse(f.get("schedule")).ok_or_else(|| "请选择执行方式".to_owned())?,
    })
}

pub async fn define(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    u.check_csrf(&f)?;
    let unit = u.staff.unit.clone();
    let def = match def_from(&f, &unit) {
        Ok(d) => d,
        Err(msg) => {
            let figures = state.run(|app| app.policy_figures()).await?;
            return Ok(render_policies(&u, figures, &f, Some(msg), StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let actor = u.actor.clone();
    match state.run(move |app| app.define_policy(&actor, def)).await {
        Ok(p) => Ok(Redirect::to(&format!("/console/policies/{}", p.id)).into_response()),
        Err(e) => {
            let figures = state.run(|app| app.policy_figures()).await?;
            let status = e.status;
            Ok(render_policies(&u, figures, &f, Some(e.message), status))
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct PolicyQuery {
    #[serde(default)]
    offset: Option<u32>,
    #[serde(default)]
    done: Option<String>,
}

pub async fn show_policy(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    Query(q): Query<PolicyQuery>,
) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let (actor, i) = (u.actor.clone(), id.clone());
    let v = state.run(move |app| app.policy_view(&actor, &i)).await?;
    let p = &v.policy;
    let offset = q.offset.unwrap_or(0);
    let dry = if is_officer(&u) && p.status != PolicyStatus::Closed {
        let (actor, i) = (u.actor.clone(), id.clone());
        Some(state.run(move |app| app.dry_run(&actor, &i, offset, 20)).await?)
    } else {
        None
    };
    let (actor, i) = (u.actor.clone(), id.clone());
    let (grants, total) = state.run(move |app| app.policy_grants(&actor, &i, None, 100, 0)).await?;
    let mine = is_officer(&u) && u.staff.unit == p.def.unit;
    let body = html! {
        @if let Some(d) = &q.done { div.flash role="status" { (d) } }
        section.card #policy {
            h1 { (p.def.name) " " span #case-id { (p.id) } }
            dl.facts {
                dt { "状态" } dd #policy-status { span.status { (v.status_label) } }
                dt { "政策依据" } dd { (p.def.basis) }
                dt { "拨付部门" } dd { (v.unit_name) }
                dt { "周期" } dd { (p.def.period) }
                dt { "执行方式" } dd #policy-schedule {
                    (p.def.schedule.label())
                    @if let Some(next) = p.next_run() { "，下次 " (crate::ui::fmt_time(next)) }
                }
                dt { "预算" } dd { (yuan(p.def.budget)) }
                dt { "已核定" } dd #policy-granted { (v.granted) " 户，" (yuan(v.granted_amount)) }
                dt { "已拨付" } dd { (v.paid) " 户，" (yuan(v.paid_amount)) }
                dt { "补贴金额" } dd { code { (p.def.amount) } " " (p.def.amount_clause) }
            }
            h2 { "享受条件（须全部符合）" }
            table {
                thead { tr { th { "条款" } th { "说明" } th { "条件" } } }
                tbody { @for c in &p.def.clauses { tr { td { (c.clause) } td { (c.text) } td { code { (c.rule) } } } } }
            }
            @if mine {
                div.actions {
                    @if p.status == PolicyStatus::Draft {
                        form method="post" action={"/console/policies/" (p.id) "/act"} {
                            input type="hidden" name="_csrf" value=(u.csrf);
                            input type="hidden" name="action" value="enable";
                            button.primary type="submit" { "启用" }
                        }
                    }
                    @if p.status == PolicyStatus::Enabled {
                        form method="post" action={"/console/policies/" (p.id) "/act"} {
                            input type="hidden" name="_csrf" value=(u.csrf);
                            input type="hidden" name="action" value="run";
                            button.primary #run-policy type="submit" { "执行（免申即享）" }
                        }
                    }
                    @if p.status != PolicyStatus::Closed {
                        form method="post" action={"/console/policies/" (p.id) "/act"} {
                            input type="hidden" name="_csrf" value=(u.csrf);
                            input type="hidden" name="action" value="close";
                            input name="reason" required maxlength="200" placeholder="停止原因";
                            button.danger type="submit" { "停止执行" }
                        }
                    }
                }
            }
            @if !p.runs.is_empty() {
                h2 { "执行记录" }
                ul.plain {
                    @for (at, r) in &p.runs {
                        li { (fmt_time(*at)) "：名录 " (r.enterprises) " 户，符合 " (r.eligible) " 户，新核定 " (r.opened) " 户 " (yuan(r.amount))
                            "，已享受 " (r.already) " 户，超出预算 " (r.over_budget) " 户" }
                    }
                }
            }
        }
        @if let Some(d) = &dry {
            section.card #dry-run {
                h2 { "试算" }
                p #dry-run-total {
                    "名录 " (d.enterprises) " 户，符合条件 " strong { (d.eligible) } " 户，合计 " strong { (yuan(d.total)) }
                    "，预算 " (yuan(d.budget)) "："
                    @if d.within_budget { span.status { "预算内" } } @else { span.status.late { "超出预算，不能启用" } }
                }
                table {
                    thead { tr { th { "企业" } th { "金额" } th { "依据" } } }
                    tbody {
                        @for r in &d.rows {
                            tr { td { (r.name) br; small.muted { (r.code) } } td { (yuan(r.amount)) } td { (trace_list(&r.trace)) } }
                        }
                    }
                }
                p {
                    @if d.offset > 0 { a href={"/console/policies/" (p.id) "?offset=" (d.offset.saturating_sub(20))} { "上一页" } " " }
                    @if u64::from(d.offset) + 20 < d.eligible { a href={"/console/policies/" (p.id) "?offset=" (d.offset + 20)} { "下一页" } }
                }
            }
        }
        section.card #policy-grants {
            h2 { "享受企业（" (total) "）" }
            @if grants.is_empty() { p.muted.empty { "尚未核定。" } } @else {
                table {
                    thead { tr { th { "编号" } th { "企业" } th { "金额" } th { "状态" } } }
                    tbody {
                        @for g in &grants {
                            tr {
                                td { a href={"/console/grants/" (g.id)} { (g.id) } }
                                td { (g.detail.enterprise_name) @if g.detail.claimed { " " span.tag { "依申请" } } }
                                td { (yuan(g.detail.amount)) }
                                td { span.status { (g.status_label) } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page(&p.def.name, Chrome::Console(&u, "policies"), body)))
}

pub async fn act_on_policy(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let id = crate::appeal::case_id(&id)?;
    let (actor, i) = (u.actor.clone(), id.clone());
    let done = match f.get("action") {
        "enable" => {
            state.run(move |app| app.enable_policy(&actor, &i)).await?;
            "已启用".to_owned()
        }
        "run" => {
            let r = state.run(move |app| app.run_policy(&actor, &i)).await?;
            format!("已执行：符合 {} 户，新核定 {} 户，{}", r.eligible, r.opened, yuan(r.amount))
        }
        "close" => {
            let reason = f.get("reason").to_owned();
            state.run(move |app| app.close_policy(&actor, &i, &reason)).await?;
            "已停止执行".to_owned()
        }
        _ => return Err(UiError(ApiError::invalid("action", "未知的操作"))),
    };
    Ok(Redirect::to(&format!("/console/policies/{id}?done={}", super::form::url_encode(&done))).into_response())
}

pub async fn show_grant(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    Query(q): Query<PolicyQuery>,
) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    let v = state.run(move |app| app.grant(&actor, &id)).await?;
    let g = &v.grant;
    let n = &g.grant;
    let body = html! {
        @if let Some(d) = &q.done { div.flash role="status" { (d) } }
        section.card #grant {
            h1 { "免申即享 " span #case-id { (g.id) } }
            dl.facts {
                dt { "状态" } dd #grant-status { span.status { (v.status_label) } }
                dt { "政策" } dd { a href={"/console/policies/" (n.policy)} { (n.policy_name) } "（" (n.basis) "）" }
                dt { "企业" } dd { (n.enterprise_name) "（" (n.enterprise) "）" @if n.claimed { " " span.tag { "依申请" } } }
                dt { "金额" } dd { (yuan(n.amount)) "：" code { (n.amount_formula) } " " (n.amount_clause) }
                dt { "核定时间" } dd { (fmt_time(g.opened_at)) }
                @if let Some(a) = &g.account { dt { "收款账户" } dd { (a.holder) "，" (a.bank) "，" (a.account) } }
                @if let Some(r) = &g.declined { dt { "放弃原因" } dd { (r) } }
                @if let Some(r) = &g.paid { dt { "拨付凭证" } dd { (r) } }
            }
            h2 { "核定依据" }
            (trace_list(&n.trace))
            @if g.status == yiwang_core::benefit::GrantStatus::Confirmed && is_officer(&u) && u.staff.unit == n.unit {
                form method="post" action={"/console/grants/" (g.id) "/pay"} {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    div.field { label for="reference" { "拨付凭证号" } input #reference name="reference" required maxlength="64"; }
                    div.actions { button.primary type="submit" { "登记拨付（办结）" } }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page(&format!("免申即享 {}", g.id), Chrome::Console(&u, "policies"), body)))
}

pub async fn pay(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let id = crate::appeal::case_id(&id)?;
    let (actor, i, reference) = (u.actor.clone(), id.clone(), f.get("reference").to_owned());
    state.run(move |app| app.record_grant_payment(&actor, &i, &reference)).await?;
    Ok(Redirect::to(&format!("/console/grants/{id}?done={}", super::form::url_encode("已登记拨付"))).into_response())
}

// ---------------------------------------------------------------- portal

#[derive(serde::Deserialize, Default)]
pub struct MyQuery {
    #[serde(default)]
    enterprise: Option<String>,
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

pub async fn show_my_grants(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Query(q): Query<MyQuery>,
) -> Response {
    let enterprise = q.enterprise.clone().unwrap_or_default();
    let e = enterprise.clone();
    let found = state
        .run(move |app| {
            let bindings = app.my_authorisations(&who)?;
            let grants = if e.trim().is_empty() { vec![] } else { app.my_grants(&who, &e)? };
            Ok((bindings, grants, app.policies_in_force()?))
        })
        .await;
    let (bindings, grants, policies) = match found {
        Ok(x) => x,
        Err(e) => return UiError(e).into_response(),
    };
    let back = |what: &str| format!("/my/grants/{what}?enterprise={}", super::form::url_encode(&enterprise));
    let body = html! {
        @if let Some(d) = &q.done { div.flash role="status" { (d) } }
        @if let Some(d) = &q.error { div.alert role="alert" { (d) } }
        section.card #my-grants {
            h1 { "免申即享" }
            p { "政府部门根据企业名录中的信息主动比对惠企政策，符合条件的企业无需申请即可享受。确认收款账户或放弃，须使用已获企业授权的手机号登录。" }
            @if bindings.is_empty() {
                p.muted.empty { "您的手机号尚未获得企业授权。请持授权委托书到政务服务窗口办理企业授权。" }
            } @else {
                ul.plain {
                    @for b in &bindings {
                        li { a href={"/my/grants?enterprise=" (b.authorisation.enterprise)} { (b.authorisation.enterprise_name) } " " small.muted { (b.authorisation.enterprise) } }
                    }
                }
            }
        }
        @if !enterprise.is_empty() {
            @for v in &grants {
                @let g = &v.grant;
                section.card.grant id={"grant-" (g.id)} {
                    h2 { (g.grant.policy_name) " · " (yuan(g.grant.amount)) }
                    p { span.status { (v.status_label) } " " small.muted { (g.id) " · " (g.grant.basis) " · " (v.unit_name) } }
                    h3 { "为什么符合" }
                    ul.plain { @for s in &v.explanation { li { (s) } } }
                    p.muted { "金额：" (g.grant.amount_clause) " " code { (g.grant.amount_formula) } }
                    @if let Some(a) = &v.account { p { "收款账户：" (a) } }
                    @if g.status == yiwang_core::benefit::GrantStatus::Notified {
                        form method="post" action=(back(&format!("{}/confirm", g.id))) {
                            div.field { label { "户名" } input name="holder" required value=(g.grant.enterprise_name); }
                            div.field { label { "开户行" } input name="bank" required maxlength="100"; }
                            div.field { label { "账号" } input name="account" inputmode="numeric" required maxlength="40"; }
                            div.actions { button.primary type="submit" { "确认收款账户" } }
                        }
                    }
                    @if matches!(g.status, yiwang_core::benefit::GrantStatus::Notified | yiwang_core::benefit::GrantStatus::Confirmed) {
                        form method="post" action=(back(&format!("{}/decline", g.id))) {
                            div.field { label { "放弃原因" } input name="reason" required maxlength="200"; }
                            div.actions { button.danger type="submit" { "放弃享受" } }
                        }
                    }
                }
            }
            @if grants.is_empty() { section.card { p.muted.empty { "该企业暂无免申即享记录。" } } }
            @if !policies.is_empty() {
                section.card #claim {
                    h2 { "依申请享受" }
                    p { "未被自动比对到、但认为符合条件的，可以申请。系统按同样的条件核对企业名录信息，并说明每一项是否符合。" }
                    form method="post" action=(back("new/claim")) {
                        div.field {
                            label for="policy" { "政策" }
                            select #policy name="policy" { @for p in &policies { option value=(p.id) { (p.detail.name) "（" (p.detail.basis) "）" } } }
                        }
                        div.actions { button.primary type="submit" { "申请" } }
                    }
                }
            }
        }
    };
    html_response(StatusCode::OK, page("免申即享", Chrome::Portal, body))
}

#[derive(serde::Deserialize, Default)]
pub struct EnterpriseQuery {
    #[serde(default)]
    enterprise: String,
}

fn back_to(enterprise: &str, key: &str, msg: &str) -> Response {
    Redirect::to(&format!(
        "/my/grants?enterprise={}&{key}={}",
        super::form::url_encode(enterprise),
        super::form::url_encode(msg)
    ))
    .into_response()
}

pub async fn my_act(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path((id, action)): Path<(String, String)>,
    Query(q): Query<EnterpriseQuery>,
    axum::Form(f): axum::Form<Fields>,
) -> Response {
    let e = q.enterprise.clone();
    let result = match action.as_str() {
        "claim" => {
            let Ok(policy) = CaseId::parse(f.get("policy")) else {
                return back_to(&e, "error", "请选择政策");
            };
            state.run(move |app| app.claim_grant(&who, &policy, &e)).await.map(|_| "申请已核定，请确认收款账户")
        }
        "confirm" | "decline" => {
            let Ok(id) = CaseId::parse(&id) else { return back_to(&e, "error", "享受记录不存在") };
            if action == "confirm" {
                let account = BankAccount {
                    holder: f.get("holder").into(),
                    bank: f.get("bank").into(),
                    account: f.get("account").into(),
                };
                state.run(move |app| app.confirm_grant(&who, &id, account)).await.map(|_| "收款账户已确认，等待拨付")
            } else {
                let reason = f.get("reason").to_owned();
                state.run(move |app| app.decline_grant(&who, &id, &reason)).await.map(|_| "已放弃享受")
            }
        }
        _ => return back_to(&e, "error", "未知的操作"),
    };
    match result {
        Ok(msg) => back_to(&q.enterprise, "done", msg),
        Err(err) => back_to(&q.enterprise, "error", &err.message),
    }
}
