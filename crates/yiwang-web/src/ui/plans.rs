//! 双随机一公开's pages (`yiwang-app/src/plan.rs`): the console's plans (draft from
//! a matter, commit, paste the beacon round and draw, redraw with a reason, publish,
//! close) and the portal's 一公开 of every drawn plan, with its record to download and
//! how to re-verify it.

use super::form::Fields;
use super::{Chrome, StaffUser, UiError, UiResult, fmt_time, html_response, page};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use yiwang_app::{PlanInput, PlanView};
use yiwang_core::org::Role;
use yiwang_core::plan::{PlanDraw, draw};

/// Who sees the plans' pages: 监管人员 and 执法检查人员.
pub(crate) fn sees_plans(u: &StaffUser) -> bool {
    u.actor.has_any_role(&[Role::Regulator, Role::Enforcer])
}

fn forbidden() -> UiError {
    UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "抽查计划由监管人员制定"))
}

#[derive(serde::Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

pub async fn show_plans(State(state): State<AppState>, u: StaffUser, Query(q): Query<Notice>) -> UiResult {
    if !sees_plans(&u) {
        return Err(forbidden());
    }
    let actor = u.actor.clone();
    let (rows, registers) = state.run(move |app| Ok((app.plans(&actor)?, app.supervision()?))).await?;
    let own: Vec<_> = registers
        .matters
        .iter()
        .filter(|m| matches!(&u.actor, yiwang_core::org::Actor::Staff { unit, .. } if *unit == m.unit))
        .collect();
    let body = html! {
        @if let Some(e) = &q.error { div.alert role="alert" { (e) } }
        section.card #plans {
            h1 { "双随机抽查计划" }
            p { "抽查对象从企业名录中按信用风险分类分层随机抽取，执法检查人员从名录中随机匹配。抽取前公布名单快照的哈希和种子承诺，并指定一个未来的 drand 公共随机信标轮次；抽取结果任何人都可以用 " code { "yiwang verify-draw" } " 复核。" }
            div.table-wrap {
                table.cases {
                    thead { tr { th { "编号" } th { "计划" } th { "部门" } th { "事项" } th { "期限" } th { "状态" } th { "抽中" } } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { a href={"/console/plans/" (r.id)} { (r.id) } }
                                td { (r.title) }
                                td { (r.unit_name) }
                                td { (r.matters.join("、")) }
                                td { (r.period_start) " 至 " (r.period_end) }
                                td { span.status { (r.status_label) } }
                                td { (r.drawn) }
                            }
                        }
                        @if rows.is_empty() { tr { td colspan="7" { "暂无抽查计划" } } }
                    }
                }
            }
        }
        @if u.actor.has_role(Role::Regulator) && !own.is_empty() {
            section.card #plan-new {
                h2 { "制定抽查计划" }
                form method="post" action="/console/plans" {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    div.field {
                        label for="title" { "计划名称" }
                        input #title name="title" required maxlength="100" placeholder="如：2026年第四季度餐饮服务食品安全双随机抽查";
                    }
                    div.field {
                        label for="matter" { "抽查事项" }
                        select #matter name="matter" required {
                            @for m in &own { option value=(m.code) { (m.name) "（" (m.code) "）" } }
                        }
                    }
                    div.field {
                        label for="joint" { "联合抽查的其他部门事项（可选）" }
                        select #joint name="joint" {
                            option value="" { "不联合" }
                            @for m in registers.matters.iter().filter(|m| !own.iter().any(|o| o.code == m.code)) {
                                option value=(m.code) { (m.name) "（" (m.code) "）" }
                            }
                        }
                    }
                    div.field {
                        label for="period_start" { "开始日期" }
                        input #period_start name="period_start" type="date" required;
                    }
                    div.field {
                        label for="period_end" { "结束日期" }
                        input #period_end name="period_end" type="date" required;
                    }
                    div.field {
                        label for="inspectors_per_target" { "每户检查人员" }
                        input #inspectors_per_target name="inspectors_per_target" type="number" min="2" max="6" value="2";
                    }
                    p.hint { "抽查比例默认按信用风险分类：A类1%、B类2%、C类10%、D类30%，全部对象至少5%。" }
                    div.actions { button.primary type="submit" { "制定计划" } }
                }
            }
        }
    };
    let _ = q.done;
    Ok(html_response(StatusCode::OK, page("双随机抽查计划", Chrome::Console(&u, "plans"), body)))
}

pub async fn create(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    u.check_csrf(&f)?;
    let date = |k: &str| chrono::NaiveDate::parse_from_str(f.get(k), "%Y-%m-%d").ok();
    let (Some(period_start), Some(period_end)) = (date("period_start"), date("period_end")) else {
        return Ok(Redirect::to("/console/plans?error=请选择抽查的开始和结束日期").into_response());
    };
    let mut matters = vec![f.get("matter").to_owned()];
    if let Some(j) = f.opt("joint").filter(|j| !j.trim().is_empty()) {
        matters.push(j);
    }
    let input = PlanInput {
        title: f.get("title").to_owned(),
        matters,
        period_start,
        period_end,
        filter: None,
        ratios: None,
        min_ratio: None,
        inspectors_per_target: f.get("inspectors_per_target").trim().parse().ok(),
    };
    let actor = u.actor.clone();
    match state.run(move |app| app.create_plan(&actor, input)).await {
        Ok(p) => Ok(Redirect::to(&format!("/console/plans/{}", p.id)).into_response()),
        Err(e) => Ok(Redirect::to(&format!("/console/plans?error={}", urlencode(&e.message))).into_response()),
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One draw: its commitment and, once drawn, its reveal and result.
fn draw_section(v: &PlanView, d: &PlanDraw, public: bool) -> Markup {
    let c = &d.commitment;
    html! {
        section.card.draw id={"draw-" (c.number)} {
            h2 { "第 " (c.number) " 次抽取" @if c.reason.is_some() { "（重新抽取）" } }
            dl.facts {
                @if let Some(r) = &c.reason { dt { "重新抽取理由" } dd.reason { (r) } }
                dt { "承诺时间" } dd { (fmt_time(c.committed_at)) }
                dt { "名单快照" } dd { "抽查对象 " (d.snapshot.targets.len()) " 户，执法检查人员 " (d.snapshot.inspectors.len()) " 名；SHA-256 " code.hash { (c.snapshot_sha256) } }
                dt { "种子承诺" } dd { "SHA-256(种子) = " code.hash { (c.seed_sha256) } }
                dt { "公共随机信标" } dd { "drand quicknet 第 " span.round { (c.round) } " 轮（" (fmt_time(draw::round_time(c.round))) " 发布）" }
                @if let (Some(seed), Some(b)) = (&d.seed, &d.beacon) {
                    dt { "公开的种子" } dd { code.hash { (seed) } }
                    dt { "信标签名" } dd { code.hash { (b.signature) } }
                }
                @if let Some(at) = d.drawn_at { dt { "抽取时间" } dd { (fmt_time(at)) } }
            }
            @if let Some(result) = &d.result {
                @if !public && d.commitment.number < v.plan.draws.len() as u32 { p.hint { "此次抽取已被重新抽取取代，记录保留。" } }
                p {
                    a.button href={"/api/v1/draws/" (c.plan) "/" (c.number)} download { "下载抽取记录（JSON）" }
                }
                div.table-wrap {
                    table.cases.result {
                        thead { tr { th { "序号" } th { "抽查对象" } th { "信用风险分类" } th { "执法检查人员" } } }
                        tbody {
                            @for (i, a) in result.iter().enumerate() {
                                tr {
                                    td { (i + 1) }
                                    td {
                                        (v.targets.get(&a.target).map(String::as_str).unwrap_or("")) " "
                                        code { (a.target) }
                                    }
                                    td { (a.class.label()) }
                                    td {
                                        @for (k, id) in a.inspectors.iter().enumerate() {
                                            @if k > 0 { "、" }
                                            @match v.inspectors.get(id) {
                                                Some(n) => { (n.name) "（" (n.unit_name) "，执法证 " (n.licence) "）" }
                                                None => { (id) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn show_one(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    Query(q): Query<Notice>,
) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    let v = state.run(move |app| app.plan_view(&actor, &id)).await?;
    let p = &v.plan;
    let may = |a: &str| v.actions.contains(&a);
    let next_round = draw::round_at(state.app.now()) + yiwang_core::plan::DEFAULT_ROUND_LEAD;
    let body = html! {
        @if q.done.is_some() { div.flash role="status" { "已完成" } }
        @if let Some(e) = &q.error { div.alert role="alert" { (e) } }
        section.card #plan {
            h1 { (p.title) " " span #case-id { (p.id) } }
            dl.facts {
                dt { "状态" } dd #plan-status { span.status { (v.status_label) } }
                dt { "制定部门" } dd { (v.unit_name) }
                dt { "抽查事项" } dd {
                    @for m in &p.matters { div { (m.name) "（" (m.code) "）：" (m.legal_basis) } }
                }
                dt { "抽查期限" } dd { (p.period_start) " 至 " (p.period_end) }
                dt { "抽查对象范围" } dd { (p.filter.describe()) }
                dt { "抽查比例" } dd {
                    "A类 " (pct(p.ratios.a)) "，B类 " (pct(p.ratios.b)) "，C类 " (pct(p.ratios.c)) "，D类 " (pct(p.ratios.d)) "；全部对象至少 " (pct(p.min_ratio))
                }
                dt { "每户检查人员" } dd { (p.inspectors_per_target) " 名" }
            }
            @if may("commit") || may("redraw") {
                form.act method="post" action={"/console/plans/" (p.id) "/act"} {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    input type="hidden" name="action" value=(if may("commit") { "commit" } else { "redraw" });
                    @if may("redraw") {
                        div.field {
                            label for="reason" { "重新抽取理由" }
                            input #reason name="reason" required maxlength="500";
                        }
                    }
                    div.field {
                        label for="round" { "drand quicknet 轮次（须晚于现在）" }
                        input #round name="round" type="number" value=(next_round);
                    }
                    div.actions { button.primary type="submit" { @if may("commit") { "承诺名单和种子" } @else { "重新抽取" } } }
                }
            }
            @if may("draw") {
                @if let Some(d) = p.current() {
                    form.act method="post" action={"/console/plans/" (p.id) "/act"} {
                        input type="hidden" name="_csrf" value=(u.csrf);
                        input type="hidden" name="action" value="draw";
                        input type="hidden" name="round" value=(d.commitment.round);
                        p { "第 " (d.commitment.round) " 轮于 " (v.round_time.map(fmt_time).unwrap_or_default()) " 发布后，从 "
                            code { "https://api.drand.sh/" (draw::QUICKNET_CHAIN_HASH) "/public/" (d.commitment.round) }
                            " 复制其签名（signature）粘贴到下面。" }
                        div.field {
                            label for="signature" { "信标签名（十六进制）" }
                            textarea #signature name="signature" required rows="3" {}
                        }
                        div.actions { button.primary type="submit" { "抽取" } }
                    }
                }
            }
            @if may("publish") {
                form.act method="post" action={"/console/plans/" (p.id) "/act"} {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    input type="hidden" name="action" value="publish";
                    div.actions { button.primary type="submit" { "下达检查任务" } }
                }
            }
            @if may("close") {
                form.act method="post" action={"/console/plans/" (p.id) "/act"} {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    input type="hidden" name="action" value="close";
                    div.field {
                        label for="close-reason" { "结束说明" }
                        input #close-reason name="reason" required maxlength="500";
                    }
                    div.actions { button.danger type="submit" { "结束计划" } }
                }
            }
            @if p.last_drawn().is_some() {
                p { a href={"/supervision/draws/" (p.id)} { "查看公开页面" } }
            }
        }
        @for d in p.draws.iter().rev() { (draw_section(&v, d, false)) }
    };
    Ok(html_response(StatusCode::OK, page(&p.title, Chrome::Console(&u, "plans"), body)))
}

fn pct(bp: u32) -> String {
    let s = format!("{:.2}", bp as f64 / 100.0);
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

pub async fn act(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let id = crate::appeal::case_id(&id)?;
    let (actor, back) = (u.actor.clone(), format!("/console/plans/{id}"));
    let action = f.get("action").to_owned();
    let round: Option<u64> = f.get("round").trim().parse().ok();
    let reason = f.get("reason").to_owned();
    let signature = f.get("signature").trim().to_owned();
    let r = state
        .run(move |app| match action.as_str() {
            "commit" => app.commit_plan(&actor, &id, round, None),
            "redraw" => app.commit_plan(&actor, &id, round, Some(reason)),
            "draw" => {
                app.draw_plan(&actor, &id, yiwang_core::plan::Beacon { round: round.unwrap_or_default(), signature })
            }
            "publish" => app.publish_plan(&actor, &id),
            "close" => app.close_plan(&actor, &id, &reason),
            _ => Err(yiwang_app::AppError::invalid("action", "未知的操作")),
        })
        .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("{back}?done=1")).into_response()),
        Err(e) => Ok(Redirect::to(&format!("{back}?error={}", urlencode(&e.message))).into_response()),
    }
}

/// The portal's list of drawn plans.
pub async fn show_public_list(State(state): State<AppState>) -> UiResult {
    let rows = state.run(move |app| app.public_plans()).await?;
    let body = html! {
        section.card #draws {
            h1 { "双随机抽查公示" }
            p { "每次抽取前公布名单快照的哈希、种子承诺和一个未来的公共随机信标轮次（drand quicknet）；抽取后公开种子、信标签名和结果。任何人都可以下载抽取记录，自行重算验证。" }
            div.table-wrap {
                table.cases {
                    thead { tr { th { "计划" } th { "部门" } th { "事项" } th { "期限" } th { "抽中" } } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { a href={"/supervision/draws/" (r.id)} { (r.title) } }
                                td { (r.unit_name) }
                                td { (r.matters.join("、")) }
                                td { (r.period_start) " 至 " (r.period_end) }
                                td { (r.drawn) " 户" }
                            }
                        }
                        @if rows.is_empty() { tr { td colspan="5" { "暂无公示的抽取" } } }
                    }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("双随机抽查公示", Chrome::Portal, body)))
}

/// One drawn plan on the portal: every draw, its record and how to verify it.
pub async fn show_public(State(state): State<AppState>, Path(id): Path<String>) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let v = state.run(move |app| app.public_plan(&id)).await?;
    let p = &v.plan;
    let body = html! {
        section.card #plan-public {
            h1 { (p.title) }
            dl.facts {
                dt { "部门" } dd { (v.unit_name) }
                dt { "抽查事项" } dd { @for m in &p.matters { div { (m.name) "：" (m.legal_basis) } } }
                dt { "抽查期限" } dd { (p.period_start) " 至 " (p.period_end) }
                dt { "状态" } dd { (v.status_label) }
            }
            h2 { "如何验证" }
            ol.verify-steps {
                li { "下载抽取记录（JSON），不要改动文件内容。" }
                li { "运行 " code { "yiwang verify-draw draw.json" } "。它检查：名单快照的 SHA-256 与承诺一致；公开的种子与承诺的 SHA-256 一致；drand quicknet 信标签名有效（链 " code.hash { (draw::QUICKNET_CHAIN_HASH) } "），且该轮在承诺之后才发布；按公开的算法（" (draw::FORMAT) "）重算的抽查对象和执法检查人员与公布的完全一致。" }
                li { "输出 OK 即验证通过；否则逐项列出不一致之处。" }
            }
        }
        @for d in p.draws.iter().rev().filter(|d| d.result.is_some()) { (draw_section(&v, d, true)) }
    };
    Ok(html_response(StatusCode::OK, page(&p.title, Chrome::Portal, body)))
}
