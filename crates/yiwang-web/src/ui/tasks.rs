//! 督查督办 in the console, and the work of every kind a unit holds:
//!
//! - 我的待办 (`/console/todo`): the open cases of every kind the unit holds, with a
//!   kind filter and the time left on each;
//! - 目标立项 (`/console/targets`): an inspector pastes or uploads a work report, the
//!   extractor proposes its targets, the inspector confirms, edits, merges or drops
//!   each, names lead and co-units, and the confirmed ones become tasks;
//! - 督查督办 (`/console/tasks`): the queues of tasks, and the task page with its
//!   reports, notices, clocks, timeline and a form for every command the viewer may
//!   give;
//! - 督办看板 (`/console/board`): every target of a year by unit and light, with
//!   export to Excel and CSV.

use super::console::{ActionCard, Failed};
use super::export::{Cell, Table, csv, xlsx};
use super::form::{ActionFields, Fields, actions_aside, field_error, staff_timeline, url_encode};
use super::portal::{field_of, file_kind, save_upload, upload_name};
use super::{Chrome, StaffUser, UiError, UiResult, fmt_left, fmt_time, html_response, page, stage_badge};
use crate::{ApiError, AppState};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use maud::{Markup, html};
use serde::Deserialize;
use yiwang_app::{Board, TaskQueue, TaskRow, TaskView, TodoPage};
use yiwang_core::deadline::{Budget, Stage};
use yiwang_core::id::{CaseId, UnitCode, Username};
use yiwang_core::org::Role;
use yiwang_core::task::{Command, Direction, Light, Milestone, NewTask, Target};

const PAGE: u32 = 50;

/// Evidence with one report: at most this many files, each at most this large.
pub(crate) const MAX_EVIDENCE_FILES: usize = 5;
pub(crate) const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;

/// The console page of a case of each kind.
pub(crate) fn case_href(kind: &str, id: &CaseId) -> String {
    match kind {
        "task" => format!("/console/tasks/{id}"),
        "patrol" => format!("/console/patrols/{id}"),
        "application" => format!("/console/applications/{id}"),
        "bundle" => format!("/console/bundles/{id}"),
        "rating_fix" => format!("/console/rating-fixes/{id}"),
        "plan" => format!("/console/plans/{id}"),
        "inspection" => format!("/console/inspections/{id}"),
        "rectification" => format!("/console/rectifications/{id}"),
        "credit_repair" => format!("/console/credit-repairs/{id}"),
        "enterprise" => format!("/console/enterprises/{id}"),
        "policy" => format!("/console/policies/{id}"),
        "grant" => format!("/console/grants/{id}"),
        "resource" => format!("/console/catalogue/{id}"),
        "access" => format!("/console/share/{id}"),
        _ => format!("/console/cases/{id}"),
    }
}

fn forbidden(msg: &str) -> UiError {
    UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", msg))
}

fn is_inspector(u: &StaffUser) -> bool {
    u.actor.has_role(Role::Inspector)
}

/// Who sees the commitments board.
pub(crate) fn sees_board(u: &StaffUser) -> bool {
    u.actor.has_any_role(&[Role::Leader, Role::Inspector])
}

// ---------------------------------------------------------------- 我的待办

#[derive(Deserialize)]
pub struct TodoQuery {
    kind: Option<String>,
    page: Option<u32>,
}

pub async fn show_todo(State(state): State<AppState>, u: StaffUser, Query(q): Query<TodoQuery>) -> UiResult {
    let kind = q.kind.filter(|k| !k.is_empty());
    let page_no = q.page.unwrap_or(1).max(1);
    let actor = u.actor.clone();
    let wanted = kind.clone();
    let (tabs, list) = state
        .run(move |app| {
            let mut tabs = vec![(String::new(), "全部", app.todo(&actor, None, 1, 0)?.total)];
            for k in yiwang_core::kinds().iter() {
                tabs.push((k.name().to_owned(), k.label(), app.todo(&actor, Some(k.name()), 1, 0)?.total));
            }
            let list = app.todo(&actor, wanted.as_deref(), PAGE, (page_no - 1) * PAGE)?;
            Ok((tabs, list))
        })
        .await?;
    let current = kind.unwrap_or_default();
    let body = html! {
        h1.sr-only { "我的待办" }
        nav.tabs aria-label="按类别筛选待办" {
            @for (k, label, n) in &tabs {
                a.tab href={"/console/todo" @if !k.is_empty() { "?kind=" (k) }} aria-current=[(*k == current).then_some("page")] {
                    (label) " " span.count { (n) @if *n >= yiwang_app::COUNT_LIMIT { "+" } }
                }
            }
        }
        (todo_table(&u, &list))
        (todo_pager(&list, page_no, &current))
    };
    Ok(html_response(StatusCode::OK, page("我的待办", Chrome::Console(&u, "todo"), body)))
}

fn todo_table(u: &StaffUser, list: &TodoPage) -> Markup {
    html! {
        section.card {
            h2 { "我的待办" " " span.muted { (u.unit_name) " · 共 " (list.total) @if list.more { "+" } " 件" } }
            @if list.items.is_empty() {
                p.muted.empty { "没有待办的工作。" }
            } @else {
                div.table-wrap {
                    table.cases #todo {
                        thead { tr {
                            th scope="col" { "编号" } th scope="col" { "类别" } th scope="col" { "标题" }
                            th scope="col" { "状态" } th scope="col" { "剩余时限" } th scope="col" { "开始时间" }
                        } }
                        tbody {
                            @for c in &list.items {
                                tr data-kind=(c.kind) {
                                    td { a href=(case_href(&c.kind, &c.id)) { (c.id) } }
                                    td { span.tag { (c.kind_label) } }
                                    td.title { (c.title.clone().unwrap_or_else(|| "（无标题）".into())) }
                                    td { (c.status_label) }
                                    td.left {
                                        @match (c.seconds_left, c.next_due) {
                                            (Some(s), Some(due)) => { (stage_badge(c.stage, &fmt_left(s, c.working))) br; small.muted { "截止 " (fmt_time(due)) } }
                                            _ => { "—" }
                                        }
                                    }
                                    td { (fmt_time(c.opened_at)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn todo_pager(list: &TodoPage, page_no: u32, kind: &str) -> Markup {
    let pages = list.total.div_ceil(PAGE as u64).max(1) as u32;
    let k = if kind.is_empty() { String::new() } else { format!("kind={kind}&") };
    html! {
        @if pages > 1 {
            nav.pager aria-label="分页" {
                @if page_no > 1 { a href={"/console/todo?" (k) "page=" (page_no - 1)} { "上一页" } }
                span { "第 " (page_no) " / " (pages) " 页" }
                @if page_no < pages { a href={"/console/todo?" (k) "page=" (page_no + 1)} { "下一页" } }
            }
        }
    }
}

// ---------------------------------------------------------------- pieces

fn light_badge(light: Light) -> Markup {
    let stage = match light {
        Light::Green => Stage::Green,
        Light::Yellow => Stage::Yellow,
        Light::Red => Stage::Red,
    };
    html! { span.light data-light=(light.as_str()) { (stage_badge(stage, light.label())) } }
}

/// A progress bar with its percentage (a ceiling shows 100 % while it holds).
fn progress_bar(p: Option<f64>) -> Markup {
    let pct = p.map(|p| (p * 100.0).clamp(0.0, 100.0));
    html! {
        span.progress-wrap {
            span.progress role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=[pct.map(|x| format!("{x:.0}"))] aria-label="完成进度" {
                span.fill style={"width:" (format!("{:.1}", pct.unwrap_or(0.0))) "%"} {}
            }
            " " span.pct { @match p { Some(p) => { (format!("{:.0}%", p * 100.0)) } None => { "未报" } } }
        }
    }
}

fn fmt_value(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{x:.0}") } else { format!("{x}") }
}

fn target_text(direction: Direction, target: &str) -> String {
    match direction {
        Direction::AtMost => format!("控制在{target}以内"),
        Direction::About => format!("{target}左右"),
        Direction::AtLeast => format!("不低于{target}"),
        Direction::Exact => format!("完成{target}"),
    }
}

/// The table of tasks a queue or a board section shows.
fn task_table(rows: &[TaskRow], with_unit: bool, caption: Option<&str>) -> Markup {
    html! {
        div.table-wrap {
            table.cases.tasks {
                @if let Some(c) = caption { caption { (c) } }
                thead { tr {
                    th scope="col" { "编号" } th scope="col" { "任务" } th scope="col" { "目标" }
                    th scope="col" { "进度" } th scope="col" { "灯" } th scope="col" { "状态" }
                    @if with_unit { th scope="col" { "牵头单位" } }
                    th scope="col" { "截止日期" }
                } }
                tbody {
                    @for t in rows {
                        tr data-id=(t.id) data-light=(t.light.as_str()) {
                            td { a href={"/console/tasks/" (t.id)} { (t.id) } }
                            td.title {
                                (t.title)
                                @if t.review { " " span.tag.warn { "待审核" } }
                                @if let Some(e) = t.escalated { " " span.tag.late { "已升级至" (e) } }
                                @if let Some(g) = t.grade { " " span.tag { "等次：" (g) } }
                            }
                            td { (target_text(t.direction, &t.target)) }
                            td {
                                (progress_bar(t.progress))
                                @if let Some(a) = t.achieved { br; small.muted { "已完成 " (fmt_value(a)) } }
                            }
                            td { @if t.status.is_open() { (light_badge(t.light)) } @else { "—" } }
                            td { (t.status_label) }
                            @if with_unit { td { (t.lead_name.clone().unwrap_or_else(|| "—".into())) } }
                            td { (t.deadline) }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------- the queues of tasks

fn queues_for(u: &StaffUser) -> Vec<TaskQueue> {
    use TaskQueue::*;
    let a = &u.actor;
    if a.has_role(Role::Inspector) {
        vec![ToReview, Red, All]
    } else if a.has_role(Role::Leader) {
        vec![Escalated, Red, All]
    } else if a.has_role(Role::UnitLeader) {
        vec![Mine, Escalated]
    } else {
        vec![Mine]
    }
}

fn queue_key(q: TaskQueue) -> String {
    serde_json::to_value(q).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[derive(Deserialize)]
pub struct TaskQueueQuery {
    queue: Option<String>,
    done: Option<String>,
}

pub async fn show_task_queues(
    State(state): State<AppState>,
    u: StaffUser,
    Query(q): Query<TaskQueueQuery>,
) -> UiResult {
    let queues = queues_for(&u);
    let current =
        q.queue.as_deref().and_then(|s| queues.iter().copied().find(|x| queue_key(*x) == s)).unwrap_or(queues[0]);
    let actor = u.actor.clone();
    let qs = queues.clone();
    let (counts, rows) = state
        .run(move |app| {
            let mut counts = vec![];
            let mut rows = vec![];
            for queue in qs {
                let list = app.task_queue(&actor, queue, 5_000)?;
                counts.push((queue, list.len()));
                if queue == current {
                    rows = list;
                }
            }
            Ok((counts, rows))
        })
        .await?;
    let flash = q.done.as_deref().and_then(|d| d.strip_prefix("opened:")).map(|n| format!("已立项交办 {n} 项任务"));
    let body = html! {
        @if let Some(f) = flash { div.flash role="status" { (f) } }
        div.dash-head {
            h1 { "督查督办" }
            @if is_inspector(&u) { a.button.primary href="/console/targets" { "提取目标立项" } }
            @if sees_board(&u) { a.button href="/console/board" { "督办看板" } }
        }
        nav.tabs aria-label="任务队列" {
            @for (queue, n) in &counts {
                a href={"/console/tasks?queue=" (queue_key(*queue))} aria-current=[(*queue == current).then_some("page")]
                    class={ "tab" @if matches!(queue, TaskQueue::Red | TaskQueue::Escalated) && *n > 0 { " late" } @else if *queue == TaskQueue::ToReview && *n > 0 { " warn" } } {
                    (queue.label()) " " span.count { (n) }
                }
            }
        }
        section.card {
            h2 { (current.label()) " " span.muted { "共 " (rows.len()) " 项" } }
            @if rows.is_empty() {
                p.muted.empty { "这个队列里没有任务。" }
            } @else {
                (task_table(&rows, true, None))
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("督查督办", Chrome::Console(&u, "tasks"), body)))
}

// ---------------------------------------------------------------- the task page

/// Every command the task page offers, in order, with its Chinese name.
const TASK_ACTIONS: [(&str, &str); 9] = [
    ("sign_for", "签收部署"),
    ("report", "报告进度"),
    ("review", "审核进度报告"),
    ("answer_notice", "答复督办通知"),
    ("close", "销号"),
    ("issue_notice", "发出督办通知"),
    ("decide_extension", "延期审批"),
    ("request_extension", "申请延期"),
    ("conclude", "结项（逾期未完成）"),
];

fn task_action_label(name: &str) -> &'static str {
    TASK_ACTIONS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l).unwrap_or("操作")
}

#[derive(Deserialize)]
pub struct TaskPageQuery {
    done: Option<String>,
}

pub async fn show_task(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    Query(q): Query<TaskPageQuery>,
) -> UiResult {
    let flash = q.done.as_deref().map(|d| format!("已完成：{}", task_action_label(d)));
    render_task(&state, &u, &id, None, flash, StatusCode::OK).await
}

async fn render_task(
    state: &AppState,
    u: &StaffUser,
    id: &str,
    failed: Option<Failed>,
    flash: Option<String>,
    status: StatusCode,
) -> UiResult {
    let id = crate::appeal::case_id(id)?;
    let actor = u.actor.clone();
    let (mut view, leaders) = state.run(move |app| Ok((app.task_view(&actor, &id)?, app.district_leaders()?))).await?;
    view.actions.sort_by_key(|a| TASK_ACTIONS.iter().position(|(n, _)| n == a));
    let body = task_page(state, u, &view, &leaders, failed.as_ref(), flash);
    Ok(html_response(status, page(&format!("督办任务 {}", view.task.id), Chrome::Console(u, "tasks"), body)))
}

fn evidence_links(id: &CaseId, evidence: &[String]) -> Markup {
    html! {
        @if !evidence.is_empty() {
            ul.plain.evidence {
                @for (i, e) in evidence.iter().enumerate() {
                    li {
                        @match upload_name(e) {
                            Some(name) if name.ends_with(".pdf") => { a href={"/uploads/" (id) "/" (name)} { "佐证材料 " (i + 1) "（PDF）" } }
                            Some(name) => { a href={"/uploads/" (id) "/" (name)} { img.thumb src={"/uploads/" (id) "/" (name)} alt={"佐证材料 " (i + 1)}; } }
                            None => { "佐证：" (e) }
                        }
                    }
                }
            }
        }
    }
}

fn task_page(
    state: &AppState,
    u: &StaffUser,
    v: &TaskView,
    leaders: &[(Username, String)],
    failed: Option<&Failed>,
    flash: Option<String>,
) -> Markup {
    let t = &v.task;
    let r = state.app.reference();
    let now = state.app.now();
    let cal = &state.app.config().calendar;
    let leader_name = t
        .leader
        .as_ref()
        .map(|l| leaders.iter().find(|(u, _)| u == l).map(|(_, n)| n.clone()).unwrap_or_else(|| l.as_str().to_owned()));
    html! {
        @if let Some(f) = flash { div.flash role="status" { (f) } }
        @if let Some(f) = failed { div.alert role="alert" { (task_action_label(&f.action)) "未完成：" (f.error.1) } }
        div.case-grid {
            div.case-main {
                section.card {
                    h1 { "督办任务 " span #case-id { (t.id) } }
                    p.title-line #task-title { (t.title) }
                    dl.facts {
                        dt { "状态" } dd #task-status { span.status { (v.status_label) } @if let Some(g) = t.grade { " · 等次：" strong #task-grade { (g.label()) } } }
                        dt { "红黄绿灯" } dd #task-light { @if t.is_open() { (light_badge(t.light)) } @else { "—" } }
                        dt { "目标" } dd { (target_text(t.target.direction, &t.target.display())) @if !t.target.what.is_empty() { "（" (t.target.what) "）" } }
                        dt { "完成进度" }
                        dd #task-progress {
                            (progress_bar(v.progress))
                            @if let Some(a) = v.achieved { " 已完成 " strong { (fmt_value(a)) (t.target.unit) } }
                            @if v.met { " " span.tag { "已达标" } }
                            @if t.sum_co_units { br; small.muted { "牵头单位与配合单位的完成值合计计入" } }
                        }
                        dt { "牵头单位" } dd #task-lead { (v.lead_name.clone().unwrap_or_else(|| "—".into())) }
                        @if !v.co_unit_names.is_empty() { dt { "配合单位" } dd { (v.co_unit_names.join("、")) } }
                        dt { "完成时限" }
                        dd { (t.deadline) @if t.deadline != t.original_deadline { " " small.muted { "（原定 " (t.original_deadline) "，已延期）" } } }
                        dt { "任务类型" } dd { (v.type_name) }
                        @if let Some(l) = &leader_name { dt { "分管区领导" } dd { (l) } }
                        @if let Some(d) = &t.document { dt { "来源文件" } dd { (d) } }
                        dt { "立项时间" } dd { (fmt_time(t.opened_at)) }
                    }
                    h2 { "原文" }
                    p.text { (t.target.source) }
                    @if !t.milestones.is_empty() {
                        h2 { "进度节点" }
                        table.data {
                            thead { tr { th scope="col" { "节点" } th.num scope="col" { "应完成" } } }
                            tbody { @for m in &t.milestones {
                                tr { td { (m.date) } td.num { (format!("{:.0}%", m.share * 100.0)) } }
                            } }
                        }
                    }
                }
                @if t.is_open() && !t.clocks.is_empty() {
                    section.card {
                        h2 { "时限" }
                        table.clocks {
                            thead { tr { th scope="col" { "节点" } th scope="col" { "截止" } th scope="col" { "剩余" } } }
                            tbody { @for c in &t.clocks {
                                tr {
                                    td { (yiwang_core::deadline::ClockName::label(c.kind)) }
                                    td { (fmt_time(c.due)) }
                                    td { (stage_badge(c.stage, &fmt_left(c.left(cal, now).num_seconds(), matches!(c.budget, Budget::WorkingDays(_))))) }
                                }
                            } }
                        }
                    }
                }
                section.card #reports {
                    h2 { "进度报告" }
                    @if t.reports.is_empty() { p.muted { "尚无进度报告。" } }
                    @for rep in t.reports.iter().rev() {
                        article.report data-seq=(rep.seq) {
                            p.muted {
                                (r.unit_name(&rep.unit)) @if rep.lead { "（牵头）" } @else { "（配合）" }
                                " · " (fmt_time(rep.at))
                                @if let Some(a) = rep.achieved { " · 累计完成 " strong { (fmt_value(a)) (t.target.unit) } }
                                " · "
                                @match &rep.review {
                                    None => { span.tag.warn { "待审核" } }
                                    Some(x) if x.accepted => { span.tag { "已采纳" } }
                                    Some(_) => { span.tag.late { "已退回" } }
                                }
                            }
                            p { (rep.text) }
                            (evidence_links(&t.id, &rep.evidence))
                            @if let Some(n) = rep.review.as_ref().and_then(|x| x.note.as_ref()) { p.note { "审核意见：" (n) } }
                        }
                    }
                }
                @if !t.notices.is_empty() {
                    section.card #notices {
                        h2 { "督办通知" }
                        @for n in t.notices.iter().rev() {
                            article.notice {
                                p.muted { (fmt_time(n.issued_at)) " · 送达" (n.level.label())
                                    @match n.answered_at { Some(a) => { " · " (fmt_time(a)) " 已答复" @if !n.answered_in_time { " " span.tag.late { "逾期答复" } } } None => { " · " span.tag.late { "未答复" } } } }
                                p { (n.note) }
                                @if let Some(a) = &n.answer { p.note { "答复：" (a) } }
                            }
                        }
                    }
                }
                (staff_timeline(v.events.iter().map(|e| (e.at, e.actor.as_str(), e.summary.as_str()))))
            }
            (actions_aside(v.actions.iter().map(|name| task_form(u, v, name, failed.filter(|f| f.action == *name))).collect()))
        }
    }
}

fn task_form(u: &StaffUser, v: &TaskView, name: &str, failed: Option<&Failed>) -> Markup {
    let t = &v.task;
    let empty = Fields::default();
    let af =
        ActionFields { name, posted: failed.map(|x| &x.fields).unwrap_or(&empty), error: failed.map(|x| &x.error) };
    let (f, e) = (af.posted, af.error);
    let id = |field: &str| af.id(field);
    let text = |field: &str, label: &str, required: bool, rows: u32| af.text(field, label, required, rows);
    let approve = |legend: &str, yes: &str, no: &str| af.yes_no(legend, "approve", yes, no);
    let is_lead = t.lead.as_ref() == Some(&u.staff.unit);
    let fields = match name {
        "sign_for" => html! { p.hint { "签收后请部署落实，并在首次反馈时限内报告进度。" } },
        "report" => html! {
            div.field {
                label for=(id("achieved")) { "累计完成值（" (t.target.unit) "）" @if !is_lead { span.opt { "（配合单位选填）" } } }
                input id=(id("achieved")) name="achieved" inputmode="decimal" value=(f.get("achieved"))
                    placeholder={"目标 " (t.target.display())};
                @if is_lead && !t.sum_co_units { p.hint { "只有牵头单位的完成值计入目标。" } }
                (field_error(&id("achieved"), e, "achieved"))
            }
            (text("text", "进展情况", true, 4))
            div.field {
                label for=(id("evidence")) { "佐证材料" span.opt { "（照片或 PDF，最多5个，每个不超过10MB）" } }
                input id=(id("evidence")) name="evidence" type="file" multiple accept="image/jpeg,image/png,image/webp,application/pdf";
                (field_error(&id("evidence"), e, "evidence"))
            }
            div.field {
                label for=(id("evidence_note")) { "其他佐证" span.opt { "（纸质材料等，选填）" } }
                input id=(id("evidence_note")) name="evidence_note" value=(f.get("evidence_note")) placeholder="如：区统计局2026年三季度就业统计表";
            }
            p.hint { "销号须有佐证材料。" }
        },
        "review" => html! {
            fieldset {
                legend { "待审核的报告" }
                @for (i, rep) in t.pending_reports().enumerate() {
                    label.choice.block {
                        input type="radio" name="report" value=(rep.seq) checked[f.get("report") == rep.seq.to_string() || (f.get("report").is_empty() && i == 0)];
                        (fmt_time(rep.at)) " "
                        @if let Some(a) = rep.achieved { "累计完成 " (fmt_value(a)) (t.target.unit) } @else { "（未报数值）" }
                        @if rep.evidence.is_empty() { " · 无佐证" } @else { " · 佐证 " (rep.evidence.len()) " 项" }
                    }
                }
                (field_error(&id("report"), e, "report"))
            }
            (approve("审核结果", "采纳", "退回"))
            (text("note", "审核意见", false, 2))
        },
        "answer_notice" => html! {
            @if let Some(n) = t.open_notice() { p.note { "督办通知：" (n.note) } }
            (text("text", "答复内容", true, 4))
        },
        "request_extension" => html! {
            div.field {
                label for=(id("deadline")) { "申请延至" }
                input id=(id("deadline")) name="deadline" type="date" required value=(f.get("deadline"))
                    min=((t.deadline + chrono::Duration::days(1)).to_string());
                (field_error(&id("deadline"), e, "deadline"))
            }
            (text("reason", "延期理由", true, 3))
            p.hint { "须在完成时限前提出，由督查室审批。" }
        },
        "decide_extension" => html! {
            @if let Some(x) = &t.extension { p { "申请延至 " strong { (x.deadline) } "：" (x.reason) } }
            (approve("审批意见", "同意", "不同意"))
            (text("note", "说明", false, 2))
        },
        "issue_notice" => html! {
            (text("note", "督办要求", true, 3))
            p.hint { "通知送达牵头单位；逾期未答复将依次升级至单位负责人和分管区领导。" }
        },
        "close" => html! {
            @if let Some(g) = v.grade_now { p { "按评定规则，本任务等次为 " strong #grade-now { (g.label()) } "。" } }
            (text("note", "销号意见", false, 2))
        },
        "conclude" => html! {
            p.hint { "已过完成时限而目标未完成：结项后等次为不合格。" }
            (text("note", "结项说明", true, 2))
        },
        _ => html! {},
    };
    let danger = matches!(name, "conclude");
    let secondary = matches!(name, "request_extension" | "issue_notice" | "conclude");
    let card = ActionCard {
        name,
        label: task_action_label(name),
        target: format!("/console/tasks/{}/act", t.id),
        multipart: true,
        csrf: &u.csrf,
        error: e,
        fields_with_errors: &["achieved", "text", "evidence", "report", "deadline", "reason", "note"],
        secondary,
        danger,
    };
    card.render(fields)
}

/// A form posted as multipart, with the files of one field: (file name, bytes).
pub(super) async fn read_multipart(
    mut mp: Multipart,
    file_field: &str,
    max_files: usize,
    max_bytes: usize,
) -> Result<(Fields, Vec<(String, Vec<u8>)>), (Fields, String)> {
    let mut f = Fields::default();
    let mut files = vec![];
    let too_big = format!("上传的内容过大或不完整：每个文件不超过{}MB", max_bytes / 1024 / 1024);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(_) => return Err((f, too_big)),
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == file_field {
            let file_name = field.file_name().unwrap_or("").to_owned();
            let bytes = match field.bytes().await {
                Ok(b) => b,
                Err(_) => return Err((f, too_big)),
            };
            if bytes.is_empty() {
                continue; // no file chosen
            }
            if bytes.len() > max_bytes {
                return Err((f, format!("“{file_name}”过大：每个文件不超过{}MB", max_bytes / 1024 / 1024)));
            }
            files.push((file_name, bytes.to_vec()));
            if files.len() > max_files {
                return Err((f, format!("最多上传{max_files}个文件")));
            }
        } else {
            let value = field.text().await.unwrap_or_default();
            f.push(&name, value);
        }
    }
    Ok((f, files))
}

/// The command a posted form describes, or what is wrong with it (field, message).
fn command_from(f: &Fields, evidence: Vec<String>) -> Result<Command, (String, String)> {
    let bad = |field: &str, msg: &str| (field.to_owned(), msg.to_owned());
    let s = |field: &str| f.get(field).trim().to_owned();
    Ok(match f.get("action") {
        "sign_for" => Command::SignFor,
        "report" => {
            let achieved = match f.opt("achieved") {
                Some(a) => Some(
                    a.replace([',', '，'], "")
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x >= 0.0)
                        .ok_or_else(|| bad("achieved", "完成值应为不小于0的数字，如 6500 或 3.2"))?,
                ),
                None => None,
            };
            Command::Report { achieved, text: s("text"), evidence }
        }
        "review" => Command::Review {
            report: f.get("report").parse().map_err(|_| bad("report", "请选择要审核的报告"))?,
            accept: f.get("approve") != "no",
            note: f.opt("note"),
        },
        "answer_notice" => Command::AnswerNotice { text: s("text") },
        "request_extension" => Command::RequestExtension {
            deadline: NaiveDate::parse_from_str(f.get("deadline").trim(), "%Y-%m-%d")
                .map_err(|_| bad("deadline", "请选择申请延至的日期"))?,
            reason: s("reason"),
        },
        "decide_extension" => Command::DecideExtension { approve: f.get("approve") != "no", note: f.opt("note") },
        "issue_notice" => Command::IssueNotice { note: s("note") },
        "close" => Command::Close { note: f.opt("note") },
        "conclude" => Command::Conclude { note: s("note") },
        _ => return Err(bad("", "未知的操作")),
    })
}

/// Stores uploaded evidence in the uploads directory: `uploads/<name>` for each.
async fn store_files(state: &AppState, files: Vec<(String, Vec<u8>)>) -> Result<Vec<String>, (String, String)> {
    if files.is_empty() {
        return Ok(vec![]);
    }
    let Some(dir) = state.uploads_dir.clone() else {
        return Err(("evidence".into(), "本站未配置上传目录，暂不接收文件".into()));
    };
    let mut checked = vec![];
    for (name, bytes) in files {
        let Some(kind) = file_kind(&bytes) else {
            return Err(("evidence".into(), format!("“{name}”不是 JPEG、PNG、WebP 图片或 PDF 文件")));
        };
        checked.push((bytes, kind));
    }
    let mut saved = vec![];
    for (bytes, kind) in checked {
        match save_upload(&dir, &bytes, kind).await {
            Ok((attachment, _)) => saved.push(attachment),
            Err(e) => {
                tracing::error!(error = %e, dir = %dir.display(), "storing uploaded evidence");
                remove_files(state, &saved).await;
                return Err(("evidence".into(), "文件保存失败，请稍后重试".into()));
            }
        }
    }
    Ok(saved)
}

async fn remove_files(state: &AppState, files: &[String]) {
    if let Some(dir) = &state.uploads_dir {
        for f in files.iter().filter_map(|f| upload_name(f)) {
            let _ = tokio::fs::remove_file(dir.join(f)).await;
        }
    }
}

pub async fn act_on_task(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    mp: Multipart,
) -> UiResult {
    let (f, files) = match read_multipart(mp, "evidence", MAX_EVIDENCE_FILES, MAX_EVIDENCE_BYTES).await {
        Ok(x) => x,
        Err((f, msg)) => {
            u.check_csrf(&f)?;
            let failed = Failed { action: f.get("action").to_owned(), fields: f, error: ("evidence".into(), msg) };
            return render_task(&state, &u, &id, Some(failed), None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    u.check_csrf(&f)?;
    let name = f.get("action").to_owned();
    let fail = |f: Fields, error: (String, String)| Failed { action: name.clone(), fields: f, error };
    if name != "report" && !files.is_empty() {
        let failed = fail(f, ("evidence".into(), "只有进度报告可以附佐证材料".into()));
        return render_task(&state, &u, &id, Some(failed), None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut evidence = match store_files(&state, files).await {
        Ok(x) => x,
        Err(error) => {
            return render_task(&state, &u, &id, Some(fail(f, error)), None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let saved = evidence.clone();
    if let Some(note) = f.opt("evidence_note") {
        evidence.push(note);
    }
    let command = match command_from(&f, evidence) {
        Ok(c) => c,
        Err(error) => {
            remove_files(&state, &saved).await;
            return render_task(&state, &u, &id, Some(fail(f, error)), None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let case = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    match state.run(move |app| app.act_on_task(&actor, &case, &command)).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/tasks/{id}?done={}", url_encode(&name))).into_response()),
        Err(e) => {
            remove_files(&state, &saved).await;
            if e.status == StatusCode::NOT_FOUND && e.field.is_none() {
                return Err(UiError(e));
            }
            let status = e.status;
            let failed = fail(f, field_of(&state, &e));
            render_task(&state, &u, &id, Some(failed), None, status).await
        }
    }
}

// ---------------------------------------------------------------- 目标立项

/// The largest upload the extraction page takes.
pub(crate) const MAX_DOCUMENT_UPLOAD: usize = yiwang_app::MAX_DOCUMENT_BYTES;

pub async fn show_extract(State(state): State<AppState>, u: StaffUser) -> UiResult {
    if !is_inspector(&u) {
        return Err(forbidden("只有督查室可以立项督办任务"));
    }
    let mut f = Fields::default();
    f.push("document", format!("{}年区政府工作报告", state.app.this_year()));
    Ok(render_extract(&u, &f, None, StatusCode::OK))
}

fn render_extract(u: &StaffUser, f: &Fields, e: Option<(String, String)>, status: StatusCode) -> Response {
    let body = html! {
        section.card {
            h1 { "提取目标立项" }
            p.hint { "粘贴或上传政府工作报告、实施方案（.txt 或 .docx），系统找出其中可量化的目标；请逐项确认、修改、合并或删除，指定牵头和配合单位后立项交办。" }
            @if let Some((_, msg)) = &e { div.alert role="alert" #extract-error { (msg) } }
            form method="post" action="/console/targets" enctype="multipart/form-data" {
                input type="hidden" name="_csrf" value=(u.csrf);
                div.field {
                    label for="document" { "文件名称" }
                    input #document name="document" required value=(f.get("document")) maxlength="200";
                }
                div.field {
                    label for="text" { "粘贴全文" }
                    textarea #text name="text" rows="14" placeholder="把工作报告的全文粘贴到这里，或在下方上传文件" { (f.get("text")) }
                    (field_error("text", e.as_ref(), "text"))
                }
                div.field {
                    label for="file" { "或上传文件" span.opt { "（.txt 或 .docx，不超过10MB）" } }
                    input #file name="file" type="file" accept=".txt,.docx,text/plain,application/vnd.openxmlformats-officedocument.wordprocessingml.document";
                    (field_error("file", e.as_ref(), "file"))
                }
                div.actions { button.primary type="submit" { "提取目标" } }
            }
        }
    };
    html_response(status, page("提取目标立项", Chrome::Console(u, "tasks"), body))
}

/// The form's defaults for a batch: year end, quarterly milestones, the yearly type.
fn batch_defaults(f: &mut Fields, year: i32) {
    f.push("deadline", format!("{year}-12-31"));
    f.push("plan", "quarterly");
    f.push("task_type", "annual");
}

pub async fn extract(State(state): State<AppState>, u: StaffUser, mp: Multipart) -> UiResult {
    if !is_inspector(&u) {
        return Err(forbidden("只有督查室可以立项督办任务"));
    }
    let (f, files) = match read_multipart(mp, "file", 1, MAX_DOCUMENT_UPLOAD).await {
        Ok(x) => x,
        Err((f, msg)) => {
            u.check_csrf(&f)?;
            return Ok(render_extract(&u, &f, Some(("file".into(), msg)), StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    u.check_csrf(&f)?;
    let text = match files.into_iter().next() {
        Some((name, bytes)) => match yiwang_app::App::document_text(&name, &bytes) {
            Ok(t) => t,
            Err(e) => {
                let e = ApiError::from(e);
                return Ok(render_extract(&u, &f, Some(("file".into(), e.message)), StatusCode::UNPROCESSABLE_ENTITY));
            }
        },
        None => f.get("text").to_owned(),
    };
    let actor = u.actor.clone();
    let proposals = match state.run(move |app| app.propose_targets(&actor, &text)).await {
        Ok(p) => p,
        Err(e) => {
            let status = e.status;
            return Ok(render_extract(&u, &f, Some(("text".into(), e.message)), status));
        }
    };
    if proposals.is_empty() {
        let msg = "没有找到可量化的目标（如“新增城镇就业8000人”）。请检查粘贴的内容，或手动立项。".to_owned();
        return Ok(render_extract(&u, &f, Some(("text".into(), msg)), StatusCode::UNPROCESSABLE_ENTITY));
    }
    let mut t = Fields::default();
    t.push("document", f.get("document"));
    batch_defaults(&mut t, state.app.this_year());
    for (i, p) in proposals.iter().enumerate() {
        t.push(&format!("keep_{i}"), "1");
        t.push(&format!("title_{i}"), p.title.clone());
        t.push(&format!("what_{i}"), p.what.clone());
        t.push(&format!("value_{i}"), p.value.clone());
        t.push(&format!("unit_{i}"), p.unit.clone());
        t.push(&format!("direction_{i}"), p.direction.as_str());
        t.push(&format!("source_{i}"), p.sentence.clone());
    }
    t.push("count", (proposals.len() + 1).to_string());
    render_targets(&state, &u, &t, None, StatusCode::OK).await
}

/// The proposals to confirm, one row each, and one empty row to add a target by hand.
async fn render_targets(
    state: &AppState,
    u: &StaffUser,
    f: &Fields,
    error: Option<RowError>,
    status: StatusCode,
) -> UiResult {
    let (units, leaders, types) =
        state.run(|app| Ok((app.task_units(), app.district_leaders()?, app.task_types()))).await?;
    let count: usize = f.get("count").parse().unwrap_or(0).min(yiwang_app::MAX_TASKS_AT_ONCE + 1);
    let bad_row = error.as_ref().and_then(|(row, _)| *row);
    let body = html! {
        form.targets method="post" action="/console/targets/open" {
            input type="hidden" name="_csrf" value=(u.csrf);
            input type="hidden" name="count" value=(count);
            section.card {
                h1 { "确认目标" " " span.muted { "共提取 " (count.saturating_sub(1)) " 项" } }
                p.hint { "勾选要立项的目标；可修改名称、目标值和单位；重复的目标填“并入第几项”合并；每项须选牵头单位。" }
                @if let Some((_, msg)) = &error { div.alert role="alert" #targets-error { (msg) } }
                div.row2 {
                    div.field {
                        label for="document" { "来源文件" }
                        input #document name="document" value=(f.get("document")) maxlength="200";
                    }
                    div.field {
                        label for="deadline" { "完成时限" }
                        input #deadline name="deadline" type="date" required value=(f.get("deadline"));
                    }
                    div.field {
                        label for="plan" { "进度节点" }
                        select #plan name="plan" {
                            @for (v, l) in [("quarterly", "按季度（25%、50%、75%）"), ("half", "按半年（50%）"), ("none", "不设节点（按时间均匀推进）")] {
                                option value=(v) selected[f.get("plan") == v] { (l) }
                            }
                        }
                    }
                    div.field {
                        label for="task_type" { "任务类型" }
                        select #task_type name="task_type" {
                            @for (code, name) in &types { option value=(code) selected[f.get("task_type") == code] { (name) } }
                        }
                    }
                }
            }
            section.card {
                div.table-wrap {
                    table.targets {
                        thead { tr {
                            th scope="col" { "立项" } th scope="col" { "#" } th scope="col" { "任务名称与原文" }
                            th scope="col" { "目标" } th scope="col" { "牵头单位" } th scope="col" { "配合单位" }
                            th scope="col" { "分管区领导" } th scope="col" { "并入" }
                        } }
                        tbody {
                            @for i in 0..count {
                                @let k = |name: &str| format!("{name}_{i}");
                                @let blank = i + 1 == count;
                                tr.target-row.failed[bad_row == Some(i)] data-row=(i) {
                                    td { input type="checkbox" name=(k("keep")) value="1" checked[f.has(&k("keep"), "1")] aria-label={"立项第 " (i + 1) " 项"}; }
                                    td { (i + 1) }
                                    td.title {
                                        @if blank { p.muted { "手动添加一项：" } }
                                        input name=(k("title")) value=(f.get(&k("title"))) aria-label="任务名称" maxlength="200";
                                        input type="hidden" name=(k("what")) value=(f.get(&k("what")));
                                        @if blank {
                                            textarea name=(k("source")) rows="2" aria-label="原文或依据" placeholder="原文或依据" { (f.get(&k("source"))) }
                                        } @else {
                                            input type="hidden" name=(k("source")) value=(f.get(&k("source")));
                                            small.muted.source { (f.get(&k("source"))) }
                                        }
                                    }
                                    td.target {
                                        select name=(k("direction")) aria-label="方向" {
                                            @for d in Direction::ALL { option value=(d.as_str()) selected[f.get(&k("direction")) == d.as_str()] { (d.label()) } }
                                        }
                                        input.value name=(k("value")) value=(f.get(&k("value"))) inputmode="decimal" aria-label="目标值" size="8";
                                        input.unit name=(k("unit")) value=(f.get(&k("unit"))) aria-label="单位" size="5";
                                        br;
                                        label.check.small { input type="checkbox" name=(k("sum")) value="1" checked[f.has(&k("sum"), "1")]; "配合单位完成值合计计入" }
                                    }
                                    td {
                                        select name=(k("lead")) aria-label="牵头单位" {
                                            option value="" { "— 请选择 —" }
                                            @for (code, n) in &units { option value=(code.as_str()) selected[f.get(&k("lead")) == code.as_str()] { (n) } }
                                        }
                                    }
                                    td {
                                        @let chosen = f.all(&k("co"));
                                        details.co {
                                            summary { @if chosen.is_empty() { "选择" } @else { "已选 " (chosen.len()) " 个" } }
                                            div.unit-list {
                                                @for (code, n) in &units {
                                                    label.check { input type="checkbox" name=(k("co")) value=(code.as_str()) checked[chosen.contains(&code.as_str())]; (n) }
                                                }
                                            }
                                        }
                                    }
                                    td {
                                        select name=(k("leader")) aria-label="分管区领导" {
                                            option value="" { "—" }
                                            @for (user, n) in &leaders { option value=(user.as_str()) selected[f.get(&k("leader")) == user.as_str()] { (n) } }
                                        }
                                    }
                                    td { input.merge name=(k("merge")) value=(f.get(&k("merge"))) inputmode="numeric" size="3" aria-label="并入第几项"; }
                                }
                            }
                        }
                    }
                }
                div.actions { button.primary type="submit" { "立项交办" } }
            }
        }
    };
    Ok(html_response(status, page("确认目标", Chrome::Console(u, "tasks"), body)))
}

/// One row the inspector kept.
struct Row {
    index: usize,
    task: NewTask,
    merge_into: Option<usize>,
}

/// The milestones of a plan, between today and the deadline (none for a ceiling).
fn milestones(plan: &str, deadline: NaiveDate, today: NaiveDate, direction: Direction) -> Vec<Milestone> {
    if direction == Direction::AtMost {
        return vec![];
    }
    let y = deadline.year();
    let points: &[(u32, u32, f64)] = match plan {
        "quarterly" => &[(3, 31, 0.25), (6, 30, 0.5), (9, 30, 0.75)],
        "half" => &[(6, 30, 0.5)],
        _ => &[],
    };
    points
        .iter()
        .filter_map(|&(m, d, share)| NaiveDate::from_ymd_opt(y, m, d).map(|date| Milestone { date, share }))
        .filter(|m| m.date >= today && m.date < deadline)
        .collect()
}

/// What is wrong with the confirmed rows: the row (from 0), if one, and the message.
type RowError = (Option<usize>, String);

/// The tasks the confirmed rows describe, with the row each comes from.
fn tasks_from(f: &Fields, today: NaiveDate) -> Result<(Vec<NewTask>, Vec<usize>), RowError> {
    let count: usize = f.get("count").parse().map_err(|_| (None, "表单不完整，请重新提取".to_owned()))?;
    if count > yiwang_app::MAX_TASKS_AT_ONCE + 1 {
        return Err((None, "一次最多立项 300 项".into()));
    }
    let deadline = NaiveDate::parse_from_str(f.get("deadline").trim(), "%Y-%m-%d")
        .map_err(|_| (None, "请选择完成时限".to_owned()))?;
    let plan = f.get("plan");
    let task_type = f.get("task_type").to_owned();
    let document = f.opt("document");
    let mut rows = vec![];
    for i in 0..count {
        let k = |name: &str| format!("{name}_{i}");
        if !f.has(&k("keep"), "1") {
            continue;
        }
        let at = |msg: &str| (Some(i), format!("第 {} 项：{msg}", i + 1));
        let title = f.get(&k("title")).trim().to_owned();
        if title.is_empty() {
            return Err(at("请填写任务名称"));
        }
        let value = f.get(&k("value")).trim().replace([',', '，'], "");
        let direction = Direction::parse(f.get(&k("direction"))).ok_or_else(|| at("请选择目标方向"))?;
        let lead = match f.opt(&k("lead")) {
            Some(s) => UnitCode::parse(&s).map_err(|_| at("所选牵头单位不存在"))?,
            None => return Err(at("请选择牵头单位")),
        };
        let co_units = f
            .all(&k("co"))
            .into_iter()
            .filter(|c| *c != lead.as_str())
            .map(|c| UnitCode::parse(c).map_err(|_| at("所选配合单位不存在")))
            .collect::<Result<Vec<_>, _>>()?;
        let leader = match f.opt(&k("leader")) {
            Some(s) => Some(Username::parse(&s).map_err(|_| at("所选分管区领导不存在"))?),
            None => None,
        };
        let merge_into = match f.opt(&k("merge")) {
            Some(s) => {
                let j = s
                    .parse::<usize>()
                    .ok()
                    .filter(|j| (1..=count).contains(j))
                    .ok_or_else(|| at("“并入”应填另一项的序号"))?;
                if j - 1 == i {
                    return Err(at("不能并入自己"));
                }
                Some(j - 1)
            }
            None => None,
        };
        let what = f.opt(&k("what")).unwrap_or_else(|| title.clone());
        let source = f.opt(&k("source")).unwrap_or_else(|| title.clone());
        rows.push(Row {
            index: i,
            merge_into,
            task: NewTask {
                milestones: milestones(plan, deadline, today, direction),
                title,
                task_type: task_type.clone(),
                target: Target { value, unit: f.get(&k("unit")).trim().to_owned(), what, direction, source },
                lead,
                co_units,
                deadline: Some(deadline),
                sum_co_units: f.has(&k("sum"), "1"),
                leader,
                document: document.clone(),
            },
        });
    }
    // A merged row adds its sentence to the row it goes into, which must stay.
    let mut merged: Vec<(usize, String)> = vec![];
    for r in rows.iter().filter(|r| r.merge_into.is_some()) {
        let j = r.merge_into.expect("filtered");
        match rows.iter().find(|x| x.index == j) {
            Some(x) if x.merge_into.is_none() => merged.push((j, r.task.target.source.clone())),
            Some(_) => return Err((Some(r.index), format!("第 {} 项：第 {} 项本身已并入其他项", r.index + 1, j + 1))),
            None => return Err((Some(r.index), format!("第 {} 项：第 {} 项未勾选立项，不能并入", r.index + 1, j + 1))),
        }
    }
    rows.retain(|r| r.merge_into.is_none());
    for (j, source) in merged {
        let row = rows.iter_mut().find(|r| r.index == j).expect("checked above");
        if !row.task.target.source.contains(&source) {
            row.task.target.source = format!("{}\n{source}", row.task.target.source);
        }
    }
    if rows.is_empty() {
        return Err((None, "请至少勾选一项目标".into()));
    }
    Ok((rows.iter().map(|r| r.task.clone()).collect(), rows.iter().map(|r| r.index).collect()))
}

pub async fn open_tasks(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    u.check_csrf(&f)?;
    if !is_inspector(&u) {
        return Err(forbidden("只有督查室可以立项督办任务"));
    }
    let today = yiwang_core::calendar::civil_date(state.app.now());
    let (tasks, index) = match tasks_from(&f, today) {
        Ok(x) => x,
        Err(e) => return render_targets(&state, &u, &f, Some(e), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let actor = u.actor.clone();
    match state.run(move |app| app.open_tasks(&actor, &tasks)).await {
        Ok(ids) => Ok(Redirect::to(&format!("/console/tasks?queue=all&done=opened:{}", ids.len())).into_response()),
        Err(e) => {
            // `tasks[i].field`: the i-th task is row `index[i]`.
            let row = e
                .field
                .as_deref()
                .and_then(|f| f.strip_prefix("tasks["))
                .and_then(|f| f.split_once(']'))
                .and_then(|(i, _)| i.parse::<usize>().ok())
                .and_then(|i| index.get(i).copied());
            let msg = match row {
                Some(r) => {
                    format!("第 {} 项：{}", r + 1, e.message.split_once('：').map(|x| x.1).unwrap_or(&e.message))
                }
                None => e.message.clone(),
            };
            let status = e.status;
            render_targets(&state, &u, &f, Some((row, msg)), status).await
        }
    }
}

// ---------------------------------------------------------------- 督办看板

#[derive(Deserialize)]
pub struct BoardQuery {
    year: Option<i32>,
}

async fn load_board(state: &AppState, u: &StaffUser, q: &BoardQuery) -> Result<Board, UiError> {
    let year = q.year.unwrap_or_else(|| state.app.this_year());
    let actor = u.actor.clone();
    Ok(state.run(move |app| app.board(&actor, year)).await?)
}

pub async fn show_board(State(state): State<AppState>, u: StaffUser, Query(q): Query<BoardQuery>) -> UiResult {
    let b = load_board(&state, &u, &q).await?;
    let this_year = state.app.this_year();
    let body = html! {
        div.dash-head {
            h1 { (b.year) "年督办看板" }
            form.filter method="get" action="/console/board" {
                label for="year" { "年度" }
                select #year name="year" {
                    @for y in (this_year - 4..=this_year + 1).rev() { option value=(y) selected[y == b.year] { (y) } }
                }
                button type="submit" { "查看" }
            }
            div.exports {
                a.button href={"/console/board/export.xlsx?year=" (b.year)} { "导出 Excel" }
                " "
                a.button href={"/console/board/export.csv?year=" (b.year)} { "导出 CSV" }
            }
        }
        div.kpis {
            div.kpi { span.k-label { "目标任务" } span.k-value #kpi-total { (b.total) } }
            div.kpi { span.k-label { "绿灯" } span.k-value #kpi-green { (b.green) } }
            div.kpi { span.k-label { "黄灯" } span.k-value #kpi-yellow { (b.yellow) } }
            div.kpi.late-kpi { span.k-label { "红灯" } span.k-value #kpi-red { (b.red) } }
            div.kpi { span.k-label { "已销号/结项" } span.k-value #kpi-closed { (b.closed) } }
            div.kpi.late-kpi { span.k-label { "逾期未完成" } span.k-value #kpi-overdue { (b.overdue.len()) } }
        }
        @if b.total == 0 {
            section.card { p.muted.empty { (b.year) "年尚无督办任务。" } }
        }
        @if !b.overdue.is_empty() {
            section.card #overdue {
                h2 { "逾期未完成" }
                (task_table(&b.overdue, true, None))
            }
        }
        @for unit in &b.units {
            section.card.board-unit {
                h2 {
                    (unit.unit_name) " "
                    span.muted { "绿 " (unit.green) " · 黄 " (unit.yellow) " · 红 " (unit.red) " · 已销号/结项 " (unit.closed) }
                }
                (task_table(&unit.tasks, false, None))
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("督办看板", Chrome::Console(&u, "board"), body)))
}

fn board_table(b: &Board) -> Table {
    let rows = b
        .units
        .iter()
        .flat_map(|u| u.tasks.iter())
        .map(|t| {
            vec![
                Cell::from(t.id.as_str()),
                Cell::from(t.title.as_str()),
                Cell::from(t.lead_name.clone().unwrap_or_default()),
                Cell::from(target_text(t.direction, &t.target)),
                Cell::from(t.achieved),
                Cell::from(t.progress.map(|p| (p * 1000.0).round() / 10.0)),
                Cell::from(if t.status.is_open() { t.light_label } else { "" }),
                Cell::from(t.status_label),
                Cell::from(t.deadline.to_string()),
                Cell::from(t.grade.unwrap_or("")),
            ]
        })
        .collect();
    Table {
        name: "board",
        title: format!("{}年督办任务", b.year),
        header: vec!["编号", "任务", "牵头单位", "目标", "已完成", "进度（%）", "红黄绿灯", "状态", "完成时限", "等次"],
        rows,
    }
}

async fn export(state: AppState, u: StaffUser, q: BoardQuery, xlsx_file: bool) -> UiResult {
    let b = load_board(&state, &u, &q).await?;
    let t = board_table(&b);
    let (body, ty, ext) = if xlsx_file {
        (xlsx(&t), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    } else {
        (csv(&t), "text/csv; charset=utf-8", "csv")
    };
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"yiwang-board-{}.{ext}\"", b.year)).expect("ascii"),
    );
    Ok(r)
}

pub async fn export_board_csv(State(state): State<AppState>, u: StaffUser, Query(q): Query<BoardQuery>) -> UiResult {
    let actor = u.actor.clone();
    let r = export(state.clone(), u, q, false).await?;
    state.run(move |app| app.note_export(&actor, "督办看板（CSV）")).await?;
    Ok(r)
}

pub async fn export_board_xlsx(State(state): State<AppState>, u: StaffUser, Query(q): Query<BoardQuery>) -> UiResult {
    let actor = u.actor.clone();
    let r = export(state.clone(), u, q, true).await?;
    state.run(move |app| app.note_export(&actor, "督办看板（Excel）")).await?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn form(rows: &[(&str, &str)]) -> Fields {
        let mut f = Fields::default();
        f.push("count", "3");
        f.push("deadline", "2026-12-31");
        f.push("plan", "quarterly");
        f.push("task_type", "annual");
        for (k, v) in rows {
            f.push(k, *v);
        }
        f
    }

    fn row(f: &mut Fields, i: usize, title: &str, lead: &str) {
        for (k, v) in [
            ("keep", "1"),
            ("title", title),
            ("value", "8000"),
            ("unit", "人"),
            ("direction", "at_least"),
            ("lead", lead),
            ("source", title),
        ] {
            f.push(&format!("{k}_{i}"), v);
        }
    }

    #[test]
    fn quarterly_milestones_fall_between_today_and_the_deadline() {
        let m = milestones("quarterly", d(2026, 12, 31), d(2026, 5, 1), Direction::AtLeast);
        assert_eq!(m.iter().map(|m| m.date).collect::<Vec<_>>(), vec![d(2026, 6, 30), d(2026, 9, 30)]);
        assert!(milestones("quarterly", d(2026, 12, 31), d(2026, 1, 1), Direction::AtMost).is_empty());
    }

    #[test]
    fn a_merged_row_adds_its_sentence_and_is_not_opened_itself() {
        let mut f = form(&[]);
        row(&mut f, 0, "新增就业8000人", "rsj");
        row(&mut f, 1, "新增就业8000人（总结）", "rsj");
        f.push("merge_1", "1");
        let (tasks, index) = tasks_from(&f, d(2026, 1, 10)).unwrap();
        assert_eq!(index, vec![0]);
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].target.source, "新增就业8000人\n新增就业8000人（总结）");
    }

    #[test]
    fn rows_left_unchecked_are_dropped_and_a_row_without_a_lead_is_named() {
        let mut f = form(&[]);
        row(&mut f, 0, "新增就业8000人", "rsj");
        f.push("title_1", "改造老旧小区15个");
        let (tasks, _) = tasks_from(&f, d(2026, 1, 10)).unwrap();
        assert_eq!(tasks.len(), 1);
        let mut f = form(&[("keep_2", "1"), ("title_2", "手动"), ("value_2", "3"), ("direction_2", "at_least")]);
        row(&mut f, 0, "新增就业8000人", "rsj");
        assert_eq!(tasks_from(&f, d(2026, 1, 10)).unwrap_err(), (Some(2), "第 3 项：请选择牵头单位".into()));
    }

    #[test]
    fn merging_into_a_dropped_row_is_refused() {
        let mut f = form(&[]);
        row(&mut f, 1, "新增就业8000人", "rsj");
        f.push("merge_1", "1");
        assert_eq!(tasks_from(&f, d(2026, 1, 10)).unwrap_err().0, Some(1));
    }
}
