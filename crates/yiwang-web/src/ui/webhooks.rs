//! 实时推送: the hotline centre's page of webhook subscriptions (`yiwang_app::webhook`):
//! the list, a new subscription (its secret shown once), 轮换密钥, 停用/启用, and the
//! dead-lettered deliveries with 重放 and 跳过.

use super::form::{Fields, url_encode};
use super::{Chrome, StaffUser, UiResult, fmt_time, html_response, page};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::html;
use serde::Deserialize;
use yiwang_app::webhook::{EVENT_TYPES, WebhookInput};

#[derive(Deserialize, Default)]
pub struct WebhooksPage {
    #[serde(default)]
    done: String,
    /// A secret just made, shown this once.
    #[serde(default)]
    secret: String,
    #[serde(default)]
    error: String,
}

fn event_label(t: &str) -> &str {
    EVENT_TYPES.iter().find(|(k, _)| *k == t).map(|(_, l)| *l).unwrap_or(t)
}

pub async fn show_webhooks(State(state): State<AppState>, u: StaffUser, Query(q): Query<WebhooksPage>) -> UiResult {
    let actor = u.actor.clone();
    let (subs, dead) =
        state.run(move |app| Ok((app.webhooks(&actor)?, app.webhook_dead_letters(&actor, 200)?))).await?;
    let body = html! {
        h1 { "实时推送" }
        p.hint {
            "各部门系统订阅本单位可见工单的事件（新工单、交办、状态变化、答复），按 Standard Webhooks 规范签名推送。"
            "失败后在 5 秒、5 分钟、30 分钟、2、5、10、14、20、24 小时后重试，仍失败的进入“投递失败”，可重放或跳过；"
            "同一工单的后续事件在此之前暂停推送。"
        }
        @match q.done.as_str() {
            "added" => p.notice role="status" { "已添加订阅。签名密钥只显示这一次，请交给接收方：" code { (q.secret) } },
            "rotated" => p.notice role="status" { "已轮换密钥，旧密钥 24 小时内仍同时签名。新密钥：" code { (q.secret) } },
            "disabled" => p.notice role="status" { "已停用。" },
            "enabled" => p.notice role="status" { "已启用。" },
            "replayed" => p.notice role="status" { "已安排重放。" },
            "skipped" => p.notice role="status" { "已跳过，该工单的后续事件继续推送。" },
            _ => {}
        }
        @if !q.error.is_empty() { p.error role="alert" { (q.error) } }
        h2 { "订阅" }
        table.list {
            thead { tr { th { "编号" } th { "接收地址" } th { "单位" } th { "事件" } th { "筛选" } th { "状态" } th { "失败" } th { "" } } }
            tbody {
                @for s in &subs {
                    tr {
                        td { (s.id) }
                        td { code { (s.url) } }
                        td { (s.unit_name) }
                        td {
                            @if s.events.is_empty() { "全部" }
                            @else { (s.events.iter().map(|e| event_label(e)).collect::<Vec<_>>().join("、")) }
                        }
                        td {
                            @if !s.kinds.is_empty() { "类型：" (s.kinds.join("、")) " " }
                            @if !s.categories.is_empty() { "分类：" (s.categories.join("、")) " " }
                            @if !s.areas.is_empty() { "区域：" (s.areas.join("、")) }
                        }
                        td {
                            @if s.enabled { "启用" @if s.signing_secrets > 1 { "（轮换中，双签名）" } }
                            @else { "停用" @if let Some(r) = &s.disabled_reason { "：" (r) } }
                        }
                        td { (s.dead_letters) }
                        td {
                            form method="post" action={"/console/webhooks/" (s.id) "/rotate"} {
                                input type="hidden" name="_csrf" value=(u.csrf);
                                button type="submit" { "轮换密钥" }
                            }
                            @let (to, label) = if s.enabled { ("disable", "停用") } else { ("enable", "启用") };
                            form method="post" action={"/console/webhooks/" (s.id) "/" (to)} {
                                input type="hidden" name="_csrf" value=(u.csrf);
                                button type="submit" { (label) }
                            }
                        }
                    }
                }
            }
        }
        @if subs.is_empty() { p.muted { "还没有订阅。" } }
        h2 { "添加订阅" }
        form.stack method="post" action="/console/webhooks" {
            input type="hidden" name="_csrf" value=(u.csrf);
            label for="url" { "接收地址" }
            input #url name="url" type="url" required placeholder="https://system.dept.gov.cn/yiwang/events";
            label for="unit" { "订阅单位（编码）" }
            input #unit name="unit" required;
            fieldset {
                legend { "事件（不选为全部）" }
                @for (t, l) in EVENT_TYPES {
                    label { input type="checkbox" name="events" value=(t); " " (l) }
                }
            }
            label for="kinds" { "工单类型（如 appeal，逗号分隔，可空）" }
            input #kinds name="kinds";
            label for="categories" { "分类编码（逗号分隔，可空）" }
            input #categories name="categories";
            label for="areas" { "街镇编码（逗号分隔，可空）" }
            input #areas name="areas";
            button type="submit" { "添加" }
        }
        h2 { "投递失败" }
        table.list {
            thead { tr { th { "编号" } th { "生成时间" } th { "订阅" } th { "工单" } th { "事件" } th { "尝试" } th { "原因" } th { "" } } }
            tbody {
                @for e in &dead {
                    tr {
                        td { (e.id) }
                        td { (fmt_time(e.created_at)) }
                        td { (e.to.as_deref().unwrap_or("").trim_start_matches("webhook:")) }
                        td { @if let Some(c) = &e.case_id { a href={"/console/cases/" (c)} { (c) } } }
                        td { (event_label(e.template.split('"').nth(3).unwrap_or(""))) }
                        td { (e.attempts) }
                        td { (e.last_error.as_deref().unwrap_or("")) }
                        td {
                            form method="post" action={"/console/webhooks/dead-letters/" (e.id) "/replay"} {
                                input type="hidden" name="_csrf" value=(u.csrf);
                                button type="submit" { "重放" }
                            }
                            form method="post" action={"/console/webhooks/dead-letters/" (e.id) "/skip"} {
                                input type="hidden" name="_csrf" value=(u.csrf);
                                button type="submit" { "跳过" }
                            }
                        }
                    }
                }
            }
        }
        @if dead.is_empty() { p.muted { "没有投递失败的推送。" } }
    };
    Ok(html_response(StatusCode::OK, page("实时推送", Chrome::Console(&u, "webhooks"), body)))
}

fn list(f: &Fields, name: &str) -> Vec<String> {
    f.get(name).split([',', '，', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn back(done: &str, secret: &str) -> axum::response::Response {
    Redirect::to(&format!("/console/webhooks?done={}&secret={}", url_encode(done), url_encode(secret))).into_response()
}

pub async fn add(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    u.check_csrf(&f)?;
    let input = WebhookInput {
        url: f.get("url").trim().to_owned(),
        unit: f.get("unit").trim().to_owned(),
        kinds: list(&f, "kinds"),
        categories: list(&f, "categories"),
        areas: list(&f, "areas"),
        events: f.all("events").into_iter().map(str::to_owned).collect(),
    };
    let actor = u.actor.clone();
    match state.run(move |app| app.add_webhook(&actor, &input)).await {
        Ok(made) => Ok(back("added", &made.secret)),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            Ok(Redirect::to(&format!("/console/webhooks?error={}", url_encode(&e.message))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn rotate(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<u32>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let actor = u.actor.clone();
    let made = state.run(move |app| app.rotate_webhook(&actor, id)).await?;
    Ok(back("rotated", &made.secret))
}

pub async fn disable(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<u32>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let actor = u.actor.clone();
    state.run(move |app| app.set_webhook_enabled(&actor, id, false)).await?;
    Ok(back("disabled", ""))
}

pub async fn enable(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<u32>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let actor = u.actor.clone();
    state.run(move |app| app.set_webhook_enabled(&actor, id, true)).await?;
    Ok(back("enabled", ""))
}

pub async fn replay(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let actor = u.actor.clone();
    state.run(move |app| app.replay_webhook(&actor, id)).await?;
    Ok(back("replayed", ""))
}

pub async fn skip(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let actor = u.actor.clone();
    state.run(move |app| app.skip_webhook(&actor, id)).await?;
    Ok(back("skipped", ""))
}
