//! The dashboard for leaders and the 12345 centre: readable at a glance on a laptop and
//! on a 1080p wall screen. Charts are SVG drawn here; every table exports to CSV and
//! Excel.

use super::export::{Cell, Table, csv, xlsx};
use super::map::{MapUse, district_map};
use super::{Chrome, StaffUser, UiError, UiResult, html_response, page};
use crate::{ApiError, AppState};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::HashMap;
use yiwang_app::{Count, Dashboard};
use yiwang_core::org::UnitKind;

#[derive(Deserialize)]
pub struct DashQuery {
    days: Option<u32>,
    month: Option<String>,
    table: Option<String>,
}

impl DashQuery {
    fn days(&self) -> u32 {
        self.days.unwrap_or(30).clamp(1, 366)
    }
}

async fn load(state: &AppState, u: &StaffUser, q: &DashQuery) -> Result<Dashboard, UiError> {
    let month =
        q.month.clone().filter(|m| !m.is_empty()).unwrap_or_else(|| yiwang_core::measure::month_of(state.app.now()));
    let (actor, days) = (u.actor.clone(), q.days());
    Ok(state.run(move |app| app.dashboard(&actor, days, &month)).await?)
}

/// This month and the ones before it, newest first (YYYY-MM).
fn recent_months(state: &AppState, n: usize) -> Vec<String> {
    let now = yiwang_core::calendar::civil_date(state.app.now());
    let (mut y, mut m) = (chrono::Datelike::year(&now), chrono::Datelike::month(&now));
    let mut out = vec![];
    for _ in 0..n {
        out.push(format!("{y:04}-{m:02}"));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    out
}

fn pct(r: Option<f64>) -> String {
    r.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_else(|| "—".into())
}

fn score(s: Option<f64>) -> String {
    s.map(|s| format!("{s:.1}")).unwrap_or_else(|| "—".into())
}

/// Every table of the dashboard, as exported.
fn tables(d: &Dashboard) -> Vec<Table> {
    let counts = |name, title: &str, col: &'static str, list: &[Count]| Table {
        name,
        title: title.to_owned(),
        header: vec![col, "诉求量"],
        rows: list.iter().map(|c| vec![Cell::from(c.label.clone()), c.count.into()]).collect(),
    };
    let total = d.total.max(1) as f64;
    vec![
        Table {
            name: "measures",
            title: format!("{} 三率排名", d.measures.month),
            header: vec![
                "排名",
                "单位",
                "类别",
                "派单数",
                "办结数",
                "回访数",
                "响应率",
                "解决率",
                "满意率",
                "按期办结率",
                "综合得分",
            ],
            rows: d
                .measures
                .units
                .iter()
                .map(|m| {
                    let rank = match m.rank {
                        Some(r) => Cell::Number(r as f64),
                        None if m.too_few => "样本不足".into(),
                        None => Cell::Empty,
                    };
                    vec![
                        rank,
                        m.unit_name.clone().into(),
                        m.kind.label().into(),
                        m.tally.dispatched.into(),
                        m.tally.replied.into(),
                        m.tally.callbacks.into(),
                        m.rates.response.into(),
                        m.rates.resolution.into(),
                        m.rates.satisfaction.into(),
                        m.rates.on_time.into(),
                        m.rates.score.into(),
                    ]
                })
                .collect(),
        },
        counts("by_day", &format!("每日诉求量 {}至{}", d.from, d.to), "日期", &d.by_day),
        Table {
            name: "by_category",
            title: "按分类".into(),
            header: vec!["分类", "诉求量", "占比"],
            rows: d
                .by_category
                .iter()
                .map(|c| vec![c.label.clone().into(), c.count.into(), Cell::Number(c.count as f64 / total)])
                .collect(),
        },
        counts("by_street", "按街道", "街道", &d.by_street),
        counts("by_area", "按网格", "区域", &d.by_area),
        counts("overdue", "当前超时工单", "单位", &d.overdue),
    ]
}

/// Round values for the axis: 0, a round step, …, up to the maximum.
fn ticks(max: u64) -> Vec<u64> {
    let raw = (max as f64 / 4.0).max(1.0);
    let mag = 10f64.powi(raw.log10().floor() as i32);
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(raw) as u64;
    (0..=max / step.max(1)).map(|i| i * step.max(1)).collect()
}

/// A vertical bar chart of counts over days.
fn day_chart(list: &[Count]) -> Markup {
    let (w, h, pad_l, pad_b) = (1400.0, 240.0, 40.0, 26.0);
    let max = list.iter().map(|c| c.count).max().unwrap_or(0).max(1);
    let n = list.len().max(1) as f64;
    let bw = (w - pad_l) / n;
    let y = |v: f64| (h - pad_b) - v / max as f64 * (h - pad_b - 10.0);
    let every = (list.len() / 10).max(1);
    html! {
        svg.chart.days viewBox={"0 0 " (w) " " (h)} role="img" aria-label={"每日诉求量柱状图，最高 " (max) " 件"} {
            line.axis x1=(pad_l) y1=(h - pad_b) x2=(w) y2=(h - pad_b) {}
            @for t in ticks(max) {
                text.tick x=(pad_l - 4.0) y=(format!("{:.0}", y(t as f64) + 4.0)) text-anchor="end" { (t) }
                line.grid x1=(pad_l) y1=(format!("{:.1}", y(t as f64))) x2=(w) y2=(format!("{:.1}", y(t as f64))) {}
            }
            @for (i, c) in list.iter().enumerate() {
                @let x = pad_l + i as f64 * bw;
                rect.bar x=(format!("{:.1}", x + bw * 0.15)) y=(format!("{:.1}", y(c.count as f64)))
                    width=(format!("{:.1}", (bw * 0.7).max(1.0))) height=(format!("{:.1}", (h - pad_b) - y(c.count as f64))) {
                    title { (c.key) "：" (c.count) " 件" }
                }
                @if i % every == 0 {
                    text.tick x=(format!("{:.1}", x + bw / 2.0)) y=(h - 6.0) text-anchor="middle" { (c.label) }
                }
            }
        }
    }
}

/// Horizontal bars with labels and values, one row per count.
fn bar_list(list: &[Count], label: &str) -> Markup {
    let max = list.iter().map(|c| c.count).max().unwrap_or(0).max(1);
    let row_h = 24.0;
    let h = row_h * list.len().max(1) as f64 + 4.0;
    html! {
        svg.chart.bars viewBox={"0 0 420 " (h)} role="img" aria-label=(label) {
            @for (i, c) in list.iter().enumerate() {
                @let y = i as f64 * row_h + 2.0;
                @let bw = c.count as f64 / max as f64 * 250.0;
                text.name x="118" y=(format!("{:.0}", y + 16.0)) text-anchor="end" { (c.label) }
                rect.bar x="124" y=(format!("{:.0}", y + 4.0)) width=(format!("{:.1}", bw.max(1.0))) height="16" rx="2" {}
                text.value x=(format!("{:.0}", 130.0 + bw)) y=(format!("{:.0}", y + 16.0)) { (c.count) }
            }
        }
    }
}

fn export_links(name: &str, days: u32, month: &str) -> Markup {
    html! {
        span.exports {
            "导出："
            a href={"/console/dashboard/export.xlsx?table=" (name) "&days=" (days) "&month=" (month)} { "Excel" }
            " · "
            a href={"/console/dashboard/export.csv?table=" (name) "&days=" (days) "&month=" (month)} { "CSV" }
        }
    }
}

pub async fn show_dashboard(State(state): State<AppState>, u: StaffUser, Query(q): Query<DashQuery>) -> UiResult {
    let d = load(&state, &u, &q).await?;
    let days = q.days();
    let month = d.measures.month.clone();
    let r = state.app.reference();
    let counts: HashMap<String, u64> = d.by_area.iter().map(|c| (c.key.clone(), c.count)).collect();
    let overdue: u64 = d.overdue.iter().map(|c| c.count).sum();
    let rates = d.measures.district_rates;
    let ranking = state.app.config().ranking.clone();
    let listed = |kind: UnitKind| d.measures.units.iter().filter(move |m| m.kind == kind && m.sample > 0);
    let body = html! {
        div.dash-head {
            h1 { "数据看板" }
            form.filter method="get" action="/console/dashboard" {
                label for="days" { "统计期" }
                select #days name="days" {
                    @for (v, l) in [(7, "近7天"), (30, "近30天"), (90, "近90天"), (365, "近一年")] {
                        option value=(v) selected[days == v] { (l) }
                    }
                }
                label for="month" { "考核月份" }
                select #month name="month" {
                    @for m in recent_months(&state, 12) { option value=(m) selected[m == month] { (m) } }
                }
                button type="submit" { "刷新" }
            }
        }
        section.kpis aria-label="关键指标" {
            div.kpi { span.k-label { "诉求量（" (d.from) " 至 " (d.to) "）" } span.k-value #kpi-total { (d.total) } }
            div.kpi.late-kpi[overdue > 0] { span.k-label { "当前超时工单" } span.k-value #kpi-overdue { (overdue) } }
            div.kpi { span.k-label { (month) " 响应率" } span.k-value { (pct(rates.response)) } }
            div.kpi { span.k-label { (month) " 解决率" } span.k-value { (pct(rates.resolution)) } }
            div.kpi { span.k-label { (month) " 满意率" } span.k-value { (pct(rates.satisfaction)) } }
            div.kpi { span.k-label { (month) " 综合得分" } span.k-value { (score(rates.score)) } }
        }
        div.dash-grid {
            section.card.wide {
                h2 { "诉求量走势" (export_links("by_day", days, &month)) }
                (day_chart(&d.by_day))
            }
            section.card {
                h2 { "诉求分布地图" (export_links("by_area", days, &month)) }
                (district_map(&r, MapUse::Counts(&counts)))
            }
            section.card {
                h2 { "按分类" (export_links("by_category", days, &month)) }
                (bar_list(&d.by_category, "按分类的诉求量条形图"))
            }
            section.card {
                h2 { "按街道" (export_links("by_street", days, &month)) }
                (bar_list(&d.by_street, "按街道的诉求量条形图"))
            }
            section.card {
                h2 { "当前超时工单" (export_links("overdue", days, &month)) }
                @if d.overdue.is_empty() { p.muted { "目前没有超时工单。" } } @else {
                    table.data { thead { tr { th scope="col" { "单位" } th.num scope="col" { "超时件数" } } }
                        tbody { @for c in &d.overdue { tr { td { (c.label) } td.num { (c.count) } } } } }
                }
            }
            section.card.wide {
                h2 { (month) " 三率排名" (export_links("measures", days, &month)) }
                div.rank-grid {
                    @for (kind, title) in [(UnitKind::Street, "街道排名"), (UnitKind::Department, "委办局排名"), (UnitKind::Community, "社区排名")] {
                        @if listed(kind).next().is_some() {
                            div.table-wrap {
                                table.data.rank {
                                    caption { (title) }
                                    thead { tr {
                                        th scope="col" { "名次" } th scope="col" { "单位" } th.num scope="col" { "派单" }
                                        th.num scope="col" { "办结" } th.num scope="col" { "回访" }
                                        th.num scope="col" { "响应率" } th.num scope="col" { "解决率" } th.num scope="col" { "满意率" }
                                        th.num scope="col" { "按期办结" } th.num scope="col" { "得分" }
                                    } }
                                    tbody {
                                        @for m in listed(kind) {
                                            tr.too-few[m.rank.is_none()] {
                                                td { @match m.rank { Some(r) => { (r) }, None => { span.muted title={"本月不足 " (ranking.min_cases) " 件，不参与排名"} { "样本不足" } } } }
                                                td { (m.unit_name) } td.num { (m.tally.dispatched) }
                                                td.num { (m.tally.replied) } td.num { (m.tally.callbacks) }
                                                td.num { (pct(m.rates.response)) } td.num { (pct(m.rates.resolution)) }
                                                td.num { (pct(m.rates.satisfaction)) } td.num { (pct(m.rates.on_time)) }
                                                td.num { strong { (score(m.rates.score)) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if d.measures.units.iter().all(|m| m.sample == 0) { p.muted { "本月尚无可考核的数据。" } }
                    p.hint { "每月至少 " (ranking.min_cases) " 件方参与排名；得分相同的单位名次相同。" }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("数据看板", Chrome::Console(&u, "dashboard"), body)))
}

async fn export(state: AppState, u: StaffUser, q: DashQuery, xlsx_file: bool) -> UiResult {
    let d = load(&state, &u, &q).await?;
    let name = q.table.clone().unwrap_or_default();
    let Some(t) = tables(&d).into_iter().find(|t| t.name == name) else {
        return Err(UiError(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("没有名为“{name}”的表格"))));
    };
    let (body, ty, ext) = if xlsx_file {
        (xlsx(&t), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    } else {
        (csv(&t), "text/csv; charset=utf-8", "csv")
    };
    let file = format!("yiwang-{}-{}.{ext}", t.name, d.to);
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")).expect("ascii file name"),
    );
    Ok(r)
}

pub async fn export_csv(State(state): State<AppState>, u: StaffUser, Query(q): Query<DashQuery>) -> UiResult {
    let actor = u.actor.clone();
    let r = export(state.clone(), u, q, false).await?;
    state.run(move |app| app.note_export(&actor, "数据看板（CSV）")).await?;
    Ok(r)
}

pub async fn export_xlsx(State(state): State<AppState>, u: StaffUser, Query(q): Query<DashQuery>) -> UiResult {
    let actor = u.actor.clone();
    let r = export(state.clone(), u, q, true).await?;
    state.run(move |app| app.note_export(&actor, "数据看板（Excel）")).await?;
    Ok(r)
}
