//! 工单检索: keyword search with category, status, street and date filters over the
//! cases the staff member may see, on the queue pages and a page of its own, and saved
//! views (kept in the browser: a view is the search's address).

use super::console::queue_table;
use super::{Chrome, StaffUser, UiResult, html_response, page};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;
use yiwang_app::SearchFilter;
use yiwang_core::appeal::Status;
use yiwang_core::id::{CategoryCode, UnitCode};
use yiwang_core::org::UnitKind;

/// Results per page.
const PAGE: u32 = 50;

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    street: String,
    /// Accepted on or after this day (China), `YYYY-MM-DD`.
    #[serde(default)]
    from: String,
    /// Accepted on or before this day.
    #[serde(default)]
    to: String,
    page: Option<u32>,
}

/// The start of a day in China, as an instant.
fn day_start(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let tz = yiwang_core::calendar::china_tz();
    Some(d.and_hms_opt(0, 0, 0)?.and_local_timezone(tz).single()?.with_timezone(&chrono::Utc))
}

/// The search form, filled in with `q`.
pub(crate) fn search_form(state: &AppState, q: &SearchQuery) -> Markup {
    let r = state.app.reference();
    let mut cats: Vec<_> = r.taxonomy.categories().filter(|c| c.parent.is_some()).collect();
    cats.sort_by(|a, b| a.code.cmp(&b.code));
    let streets: Vec<_> = r.org.in_tree_order().into_iter().filter(|(u, _)| u.kind == UnitKind::Street).collect();
    html! {
        form.filter.search #case-search method="get" action="/console/search" role="search" {
            label for="q" { "关键词" }
            input #q name="q" type="search" value=(q.q) placeholder="标题、内容、地址";
            label for="s-category" { "分类" }
            select #s-category name="category" {
                option value="" { "全部分类" }
                @for c in &cats { option value=(c.code.as_str()) selected[q.category == c.code.as_str()] { (c.name) } }
            }
            label for="s-status" { "状态" }
            select #s-status name="status" {
                option value="" { "全部状态" }
                @for s in Status::ALL { option value=(s.as_str()) selected[q.status == s.as_str()] { (s.label()) } }
            }
            label for="s-street" { "街道" }
            select #s-street name="street" {
                option value="" { "全部街道" }
                @for (u, _) in &streets { option value=(u.code.as_str()) selected[q.street == u.code.as_str()] { (u.display_name()) } }
            }
            label for="s-from" { "受理日期" }
            input #s-from name="from" type="date" value=(q.from);
            label for="s-to" { "至" }
            input #s-to name="to" type="date" value=(q.to);
            button type="submit" { "检索" }
        }
    }
}

pub async fn show_search(State(state): State<AppState>, u: StaffUser, Query(q): Query<SearchQuery>) -> UiResult {
    let bad = |field: &str, msg: &str| crate::ApiError::invalid(field, msg.to_owned());
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let filter = SearchFilter {
        unit: None,
        street: opt(&q.street).map(|s| UnitCode::parse(&s)).transpose().map_err(|_| bad("street", "所选街道不存在"))?,
        category: opt(&q.category)
            .map(|c| CategoryCode::parse(&c))
            .transpose()
            .map_err(|_| bad("category", "所选分类不存在"))?,
        status: opt(&q.status).map(|s| Status::parse(&s).ok_or_else(|| bad("status", "状态不合法"))).transpose()?,
        from: opt(&q.from).map(|d| day_start(&d).ok_or_else(|| bad("from", "日期格式应为 2026-11-20"))).transpose()?,
        to: opt(&q.to)
            .map(|d| {
                day_start(&d).map(|t| t + chrono::Duration::days(1)).ok_or_else(|| bad("to", "日期格式应为 2026-11-20"))
            })
            .transpose()?,
    };
    let page_no = q.page.unwrap_or(1).max(1);
    let (actor, text) = (u.actor.clone(), q.q.clone());
    let list = state.run(move |app| app.search_cases(&actor, &text, filter, PAGE, (page_no - 1) * PAGE)).await?;
    let body = html! {
        h1 { "工单检索" }
        (search_form(&state, &q))
        div.saved-views {
            button.link type="button" data-save-view { "保存为常用检索" }
            ul #saved-views aria-label="常用检索" {}
        }
        (queue_table(&list, "检索结果"))
        @if list.more || list.total > (page_no * PAGE) as u64 {
            p { a href={"?" (next_page(&q, page_no + 1))} { "下一页" } }
        }
    };
    Ok(html_response(StatusCode::OK, page("工单检索", Chrome::Console(&u, "search"), body)))
}

/// The query string of the same search at another page.
fn next_page(q: &SearchQuery, page: u32) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &q.q),
        ("category", &q.category),
        ("status", &q.status),
        ("street", &q.street),
        ("from", &q.from),
        ("to", &q.to),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.append_pair("page", &page.to_string());
    s.finish()
}
