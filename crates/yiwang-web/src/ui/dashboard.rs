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
            // The screen's names, and the kind the screen shows as separate tables.
            header: vec![
                "名次",
                "单位",
                "类别",
                "派单",
                "办结",
                "回访",
                "响应率",
                "解决率",
                "满意率",
                "按期办结",
                "得分",
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
                        Cell::percent(m.rates.response),
                        Cell::percent(m.rates.resolution),
                        Cell::percent(m.rates.satisfaction),
                        Cell::percent(m.rates.on_time),
                        m.rates.score.map(|s| (s * 10.0).round() / 10.0).into(),
                    ]
                })
                .collect(),
        },
        // Dates with their year (the chart's labels leave it out).
        Table {
            name: "by_day",
            title: format!("每日诉求量 {}至{}", d.from, d.to),
            header: vec!["日期", "诉求量"],
            rows: d.by_day.iter().map(|c| vec![Cell::from(c.key.clone()), c.count.into()]).collect(),
        },
        Table {
            name: "by_category",
            title: "按分类".into(),
            header: vec!["分类", "诉求量", "占比"],
            rows: d
                .by_category
                .iter()
                .map(|c| vec![c.label.clone().into(), c.count.into(), Cell::Percent(c.count as f64 / total)])
                .collect(),
        },
        counts("by_street", "按街道", "街道", &d.by_street),
        counts("by_area", "按网格", "区域", &d.by_area),
        counts("overdue", "当前超时工单", "单位", &d.overdue),
    ]
}

/// Round values for the axis: 0, a round step, …, up to the maximum.
/// Round values for the axis: 0, a round step, …, up to the first at or above the
/// maximum, so the axis covers every bar.
fn ticks(max: u64) -> Vec<u64> {
    let raw = (max as f64 / 4.0).max(1.0);
    let mag = 10f64.powi(raw.log10().floor() as i32);
    let step = ([1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(raw) as u64).max(1);
    (0..=max.div_ceil(step)).map(|i| i * step).collect()
}

/// The days' counts in the bars a chart can show: by day up to a month, by week
/// (from the first day) up to four months, else by month. Says which.
fn periods(days: &[Count]) -> (Vec<Count>, &'static str) {
    let group = |key: &dyn Fn(usize, &Count) -> String, label: &dyn Fn(&Count) -> String| {
        let mut out: Vec<Count> = vec![];
        for (i, c) in days.iter().enumerate() {
            let k = key(i, c);
            match out.last_mut() {
                Some(last) if last.key == k => last.count += c.count,
                _ => out.push(Count { key: k, label: label(c), count: c.count }),
            }
        }
        out
    };
    match days.len() {
        0..=31 => (days.to_vec(), "日"),
        32..=120 => (group(&|i, _| days[i - i % 7].key.clone(), &|c| c.label.clone() + "起"), "周"),
        _ => (group(&|_, c| c.key[..7].to_owned(), &|c| c.key[..7].to_owned()), "月"),
    }
}

/// A vertical bar chart of counts over days, weeks or months (`periods`).
fn day_chart(days: &[Count]) -> Markup {
    let (list, unit) = periods(days);
    let (w, h, pad_l, pad_b) = (1400.0, 240.0, 40.0, 26.0);
    let max = list.iter().map(|c| c.count).max().unwrap_or(0).max(1);
    let top = ticks(max).last().copied().unwrap_or(max).max(1);
    let n = list.len().max(1) as f64;
    let bw = (w - pad_l) / n;
    let y = |v: f64| (h - pad_b) - v / top as f64 * (h - pad_b - 10.0);
    let every = (list.len() / 10).max(1);
    html! {
        svg.chart.days viewBox={"0 0 " (w) " " (h)} role="img" aria-label={"每" (unit) "诉求量柱状图，最高 " (max) " 件"} {
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

/// 一网通办's tile: the month's 好评率, 按时办结率, 全程网办率 and 差评整改率 of the
/// district, linking to the indicators by department and service.
fn services_tile(s: &yiwang_app::ServiceIndicators, month: &str) -> Markup {
    html! {
        section.kpis.services-tile #services-tile aria-label="一网通办" {
            a.kpi href={"/console/indicators?month=" (month)} {
                span.k-label { "一网通办 " (month) } span.k-value { (s.done) } span.k-label { "办结件数 · 查看指标 ›" }
            }
            div.kpi { span.k-label { "好评率" } span.k-value #kpi-good { (pct(s.good_rate())) } }
            div.kpi { span.k-label { "按时办结率" } span.k-value #kpi-on-time { (pct(s.on_time_rate())) } }
            div.kpi { span.k-label { "全程网办率" } span.k-value #kpi-online { (pct(s.online_rate())) } }
            div.kpi { span.k-label { "差评整改率" } span.k-value #kpi-fixed { (pct(s.fixed_rate())) } }
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
        (services_tile(&d.services, &month))
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

#[cfg(test)]
mod chart_tests {
    use super::*;

    fn days(n: i64) -> Vec<Count> {
        let start = chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        (0..n)
            .map(|i| {
                let d = start + chrono::Duration::days(i);
                Count { key: d.to_string(), label: d.format("%m-%d").to_string(), count: (i % 5) as u64 }
            })
            .collect()
    }

    #[test]
    fn the_axis_reaches_the_highest_bar() {
        for max in [1, 7, 9, 23, 101, 999, 1_234] {
            let t = ticks(max);
            assert!(t[0] == 0 && *t.last().unwrap() >= max && t.len() <= 6, "{max}: {t:?}");
        }
    }

    #[test]
    fn a_year_is_drawn_by_month_and_a_quarter_by_week() {
        let total = |c: &[Count]| c.iter().map(|c| c.count).sum::<u64>();
        let year = days(365);
        let (months, unit) = periods(&year);
        assert_eq!((months.len(), unit, months[0].label.as_str()), (12, "月", "2025-12"));
        assert_eq!(total(&months), total(&year));
        let quarter = days(90);
        let (weeks, unit) = periods(&quarter);
        assert_eq!((weeks.len(), unit), (13, "周"));
        assert_eq!(total(&weeks), total(&quarter));
        assert_eq!(weeks[1].label, "12-08起");
        assert_eq!(periods(&days(30)).0.len(), 30);
    }
}
