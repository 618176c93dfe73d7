//! 通知记录: the hotline centre's view of the notifications outbox. What was sent to
//! citizens and when, what waits for a retry and why, what failed for good, and 重发.

use super::form::{Fields, url_encode};
use super::{Chrome, StaffUser, UiResult, fmt_time, html_response, page};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::html;
use serde::Deserialize;
use yiwang_app::OutboxQuery;

/// Templates and their names for people.
fn template_label(t: &str) -> &str {
    match t {
        "appeal_accepted" => "受理通知（工单号、查询码）",
        "appeal_replied" => "答复通知（请评价）",
        "appeal_answered" => "直接答复",
        "appeal_reopened" => "重办通知",
        // A webhook's entry is its event as JSON (`yiwang_app::webhook`).
        webhook if webhook.starts_with('{') => "实时推送",
        other => other,
    }
}

const STATES: [(&str, &str); 4] =
    [("pending", "待发送"), ("failed", "发送失败"), ("sent", "已发送"), ("skipped", "已跳过")];

fn state_label(s: &str) -> &str {
    STATES.iter().find(|(k, _)| *k == s).map(|(_, l)| *l).unwrap_or(s)
}

#[derive(Deserialize, Default)]
pub struct OutboxPage {
    #[serde(default)]
    state: String,
    #[serde(default)]
    done: String,
}

pub async fn show_outbox(State(state): State<AppState>, u: StaffUser, Query(q): Query<OutboxPage>) -> UiResult {
    let filter = Some(q.state.clone()).filter(|s| STATES.iter().any(|(k, _)| k == s));
    // Messages and webhook deliveries; the event stream's entries are the relay's.
    let query = OutboxQuery { state: filter.clone(), without_stream: true, limit: 300, ..Default::default() };
    let actor = u.actor.clone();
    let rows = state.run(move |app| app.outbox_for(&actor, &query)).await?;
    let body = html! {
        h1 { "通知记录" }
        p.hint { "受理、答复和重办时，系统按诉求人留下的手机号（短信）或邮箱自动通知。发送失败的会在 1、5、30 分钟和 2、12 小时后重试，仍失败的列为“发送失败”，可以重发。" }
        @if q.done == "resend" { p.notice role="status" { "已安排重发。" } }
        form.filter method="get" action="/console/outbox" {
            label for="state" { "状态" }
            select #state name="state" {
                option value="" { "全部" }
                @for (k, l) in STATES { option value=(k) selected[filter.as_deref() == Some(k)] { (l) } }
            }
            button type="submit" { "查询" }
        }
        table.list {
            thead { tr { th { "生成时间" } th { "工单" } th { "内容" } th { "状态" } th { "尝试" } th { "说明" } th { "" } } }
            tbody {
                @for e in &rows {
                    tr {
                        td { (fmt_time(e.created_at)) }
                        td { @if let Some(c) = &e.case_id { a href={"/console/cases/" (c)} { (c) } } @else { "—" } }
                        td { (template_label(&e.template)) }
                        td { (state_label(e.state())) }
                        td { (e.attempts) }
                        td {
                            @match (e.state(), e.sent_at, e.next_at) {
                                ("sent", Some(at), _) => { "发送于 " (fmt_time(at)) }
                                ("pending", _, Some(at)) if e.attempts > 0 => { (e.last_error.as_deref().unwrap_or("")) "；" (fmt_time(at)) " 重试" }
                                ("pending", _, _) => { "等待发送" }
                                _ => { (e.last_error.as_deref().unwrap_or("")) }
                            }
                        }
                        td {
                            @if e.state() == "failed" {
                                form method="post" action={"/console/outbox/" (e.id) "/resend"} {
                                    input type="hidden" name="_csrf" value=(u.csrf);
                                    button type="submit" { "重发" }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if rows.is_empty() { p.muted { "没有通知记录。" } }
    };
    Ok(html_response(StatusCode::OK, page("通知记录", Chrome::Console(&u, "outbox"), body)))
}

pub async fn resend(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let actor = u.actor.clone();
    state.run(move |app| app.resend_notice(&actor, id)).await?;
    Ok(Redirect::to(&format!("/console/outbox?done={}", url_encode("resend"))).into_response())
}
