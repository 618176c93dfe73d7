//! 网格巡查 in the console, phone first: the grid worker's patrol page (start, the
//! route recorded by the phone's position, problems fixed on the spot or reported with
//! photos and a place, end), a patrol's page with its route on the district map, and
//! the street's coverage of its grids.

use super::form::Fields;
use super::map::{MapUse, district_map};
use super::portal::{photo_kind, save_upload, staff_photo_url};
use super::{Chrome, StaffUser, UiError, UiResult, fmt_time, html_response, page};
use crate::{ApiError, AppState};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use yiwang_app::{PatrolView, ProblemInput};
use yiwang_core::appeal::Point;
use yiwang_core::id::{CaseId, CategoryCode, UnitCode};
use yiwang_core::org::{Role, UnitKind};
use yiwang_core::patrol::{PHOTOS_MAX, RoutePoint};

/// Photos of one problem: each at most this big.
pub(crate) const PHOTO_BYTES_MAX: usize = 5 * 1024 * 1024;

fn is_grid_worker(u: &StaffUser) -> bool {
    u.actor.has_role(Role::GridWorker)
        && matches!(&u.actor, yiwang_core::org::Actor::Staff { unit_kind: UnitKind::Grid, .. })
}

/// Who sees coverage: street staff (their own street), the centre and leaders.
pub(crate) fn sees_coverage(u: &StaffUser) -> bool {
    u.is_centre_or_leader() || matches!(&u.actor, yiwang_core::org::Actor::Staff { unit_kind: UnitKind::Street, .. })
}

fn forbidden(msg: &str) -> UiError {
    UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", msg))
}

fn parse_id(id: &str) -> Result<CaseId, UiError> {
    Ok(crate::appeal::case_id(id)?)
}

#[derive(Deserialize, Default)]
pub struct PatrolPage {
    #[serde(default)]
    done: String,
}

/// The grid worker's page: the running patrol, or a button to start one.
pub async fn show_patrol(State(state): State<AppState>, u: StaffUser, Query(q): Query<PatrolPage>) -> UiResult {
    if !is_grid_worker(&u) {
        return Err(forbidden("网格巡查仅限网格员使用"));
    }
    let actor = u.actor.clone();
    let current = state
        .run(move |app| match app.active_patrol(&actor)? {
            Some(p) => app.patrol_view(&actor, &p.id).map(Some),
            None => Ok(None),
        })
        .await?;
    Ok(render_patrol(&state, &u, current.as_ref(), &q.done, None, StatusCode::OK))
}

fn flash(done: &str) -> Option<&'static str> {
    match done {
        "started" => Some("已开始巡查。请保持本页打开，系统按手机定位记录巡查轨迹。"),
        "fixed" => Some("已记录：当场处置。"),
        "reported" => Some("已上报，等待派单。"),
        "ended" => Some("本次巡查已结束。"),
        _ => None,
    }
}

fn render_patrol(
    state: &AppState,
    u: &StaffUser,
    v: Option<&PatrolView>,
    done: &str,
    error: Option<(&str, &str)>,
    status: StatusCode,
) -> Response {
    let r = state.app.reference();
    let mut cats: Vec<_> =
        r.taxonomy.categories().filter(|c| r.taxonomy.is_leaf(&c.code) && c.parent.is_some()).collect();
    cats.sort_by(|a, b| a.code.cmp(&b.code));
    let body = html! {
        h1 { "网格巡查" }
        @if let Some(f) = flash(done) { div.flash role="status" { (f) } }
        @if let Some((_, msg)) = error { div.alert role="alert" { (msg) } }
        @match v {
            None => {
                section.card.patrol-start {
                    p { "开始巡查后，本页按手机定位记录巡查轨迹。发现问题可当场处置，或拍照上报派单。" }
                    form method="post" action="/console/patrol/start" {
                        input type="hidden" name="_csrf" value=(u.csrf);
                        button.primary.big #start-patrol type="submit" { "开始巡查" }
                    }
                }
            }
            Some(v) => {
                @let p = &v.patrol;
                section.card #patrol data-patrol=(p.id) data-csrf=(u.csrf) data-track=(format!("/console/patrol/{}/track", p.id)) {
                    h2 { (v.grid_name) " · " span #patrol-status { (v.status_label) } }
                    dl.facts {
                        dt { "开始" } dd { (fmt_time(p.started_at)) }
                        dt { "已巡查" } dd #patrol-minutes { (v.minutes) " 分钟" }
                        dt { "轨迹" } dd { span #patrol-points { (p.route.len()) } " 个点，" (format!("{:.1}", p.metres / 1000.0)) " 公里" }
                        dt { "发现问题" } dd { "当场处置 " (p.fixed()) " 件，上报 " (p.reported()) " 件" }
                    }
                    p.muted #gps-status aria-live="polite" { "正在获取定位…" }
                }
                section.card {
                    h2 { "发现问题" }
                    form #problem-form method="post" action={"/console/patrol/" (p.id) "/problem"} enctype="multipart/form-data" {
                        input type="hidden" name="_csrf" value=(u.csrf);
                        input #lon type="hidden" name="lon";
                        input #lat type="hidden" name="lat";
                        div.field {
                            label for="problem-text" { "问题描述 *" }
                            textarea #problem-text name="text" rows="3" required maxlength=(yiwang_core::patrol::PROBLEM_TEXT_MAX) {}
                            @if let Some(("text", m)) = error { p.error { (m) } }
                        }
                        div.field {
                            label for="problem-photos" { "现场照片" span.opt { "（最多3张）" } }
                            input #problem-photos type="file" name="photos" accept="image/jpeg,image/png,image/webp" capture="environment" multiple;
                        }
                        div.field {
                            label for="problem-category" { "问题分类" span.opt { "（上报时可选）" } }
                            select #problem-category name="category" {
                                option value="" { "— 不确定，由派单员判断 —" }
                                @for c in &cats { option value=(c.code.as_str()) { (r.taxonomy.path_name(&c.code).unwrap_or_else(|| c.name.clone())) } }
                            }
                        }
                        p.muted #picked { "位置：使用手机当前定位；也可在地图上点选。" }
                        (district_map(&r, MapUse::Picker { selected: None }))
                        div.actions {
                            button type="submit" name="fixed" value="1" { "已当场处置" }
                            button.primary type="submit" name="fixed" value="0" { "上报派单" }
                        }
                    }
                }
                @if !p.problems.is_empty() {
                    section.card {
                        h2 { "本次发现" }
                        ul.plain #patrol-problems { @for x in p.problems.iter().rev() {
                            li { (fmt_time(x.at)) " · " @if x.fixed { span.tag { "当场处置" } } @else { span.tag.warn { "已上报" } " " @if let Some(c) = &x.case { a href={"/console/cases/" (c)} { (c) } } } " " (x.text) }
                        } }
                    }
                }
                form.card method="post" action={"/console/patrol/" (p.id) "/end"} {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    button.danger #end-patrol type="submit" { "结束巡查" }
                }
            }
        }
        p { a href="/console/patrols" { "查看巡查记录与覆盖" } }
    };
    html_response(status, page("网格巡查", Chrome::Console(u, "patrol"), body))
}

pub async fn start(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    u.check_csrf(&f)?;
    let actor = u.actor.clone();
    match state.run(move |app| app.start_patrol(&actor)).await {
        Ok(_) => Ok(Redirect::to("/console/patrol?done=started").into_response()),
        Err(e) => {
            let actor = u.actor.clone();
            let v = state
                .run(move |app| match app.active_patrol(&actor)? {
                    Some(p) => app.patrol_view(&actor, &p.id).map(Some),
                    None => Ok(None),
                })
                .await?;
            Ok(render_patrol(&state, &u, v.as_ref(), "", Some(("", &e.message)), e.status))
        }
    }
}

/// Route points from the page's script: `points` is a JSON list of {lon, lat, at}.
pub async fn track(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let id = parse_id(&id)?;
    let points: Vec<RoutePoint> =
        serde_json::from_str(f.get("points")).map_err(|_| ApiError::invalid("points", "轨迹点格式不正确"))?;
    let sent = f.opt("sent").and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok()).map(|t| t.to_utc());
    let actor = u.actor.clone();
    let p = state.run(move |app| app.track_patrol(&actor, &id, points, sent)).await?;
    Ok(axum::Json(serde_json::json!({"points": p.route.len(), "metres": p.metres.round()})).into_response())
}

pub async fn problem(State(state): State<AppState>, u: StaffUser, Path(id): Path<String>, mp: Multipart) -> UiResult {
    let id = parse_id(&id)?;
    let (f, files) = match super::tasks::read_multipart(mp, "photos", PHOTOS_MAX, PHOTO_BYTES_MAX).await {
        Ok(x) => x,
        Err((_, msg)) => return failed(&state, &u, &id, "photos", &msg).await,
    };
    u.check_csrf(&f)?;
    let point = match (f.get("lon").parse::<f64>(), f.get("lat").parse::<f64>()) {
        (Ok(lon), Ok(lat)) => Some(Point { lon, lat }),
        _ => None,
    };
    let category = match f.opt("category") {
        Some(c) => Some(CategoryCode::parse(&c).map_err(|_| ApiError::invalid("category", "分类不存在"))?),
        None => None,
    };
    let fixed = f.get("fixed") == "1";
    // Photos are checked before anything is stored, and removed again if the problem is refused.
    let mut checked = vec![];
    for (name, bytes) in files {
        match photo_kind(&bytes) {
            Some(kind) => checked.push((bytes, kind)),
            None => {
                return failed(&state, &u, &id, "photos", &format!("“{name}”不是 JPEG、PNG 或 WebP 图片")).await;
            }
        }
    }
    let mut photos = vec![];
    if !checked.is_empty() {
        let Some(dir) = state.uploads_dir.clone() else {
            return failed(&state, &u, &id, "photos", "本站未配置上传目录，暂不接收照片").await;
        };
        for (bytes, kind) in checked {
            match save_upload(&dir, &bytes, kind).await {
                Ok((a, _)) => photos.push(a),
                Err(e) => {
                    tracing::error!(error = %e, "storing a patrol photo");
                    return failed(&state, &u, &id, "photos", "照片保存失败，请稍后重试").await;
                }
            }
        }
    }
    let input = ProblemInput { text: f.get("text").to_owned(), point, photos: photos.clone(), fixed, category };
    let actor = u.actor.clone();
    let pid = id.clone();
    match state.run(move |app| app.patrol_problem(&actor, &pid, input)).await {
        Ok(_) => Ok(Redirect::to(if fixed { "/console/patrol?done=fixed" } else { "/console/patrol?done=reported" })
            .into_response()),
        Err(e) => {
            if let Some(dir) = &state.uploads_dir {
                for p in photos.iter().filter_map(|p| super::portal::upload_name(p)) {
                    let _ = tokio::fs::remove_file(dir.join(p)).await;
                }
            }
            let field = e.field.clone().unwrap_or_default();
            failed(&state, &u, &id, &field, &e.message).await
        }
    }
}

async fn failed(state: &AppState, u: &StaffUser, id: &CaseId, field: &str, msg: &str) -> UiResult {
    let actor = u.actor.clone();
    let id = id.clone();
    let v = state.run(move |app| app.patrol_view(&actor, &id)).await?;
    let field = if field == "text" { "text" } else { "" };
    Ok(render_patrol(state, u, Some(&v), "", Some((field, msg)), StatusCode::UNPROCESSABLE_ENTITY))
}

pub async fn end(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let id = parse_id(&id)?;
    let actor = u.actor.clone();
    state.run(move |app| app.end_patrol(&actor, &id)).await?;
    Ok(Redirect::to("/console/patrol?done=ended").into_response())
}

/// One patrol, its route drawn on the district map.
pub async fn show_one(State(state): State<AppState>, u: StaffUser, Path(id): Path<String>) -> UiResult {
    let id = parse_id(&id)?;
    let actor = u.actor.clone();
    let v = state.run(move |app| app.patrol_view(&actor, &id)).await?;
    let r = state.app.reference();
    let p = &v.patrol;
    let route: Vec<(f64, f64)> = p.route.iter().map(|x| (x.lon, x.lat)).collect();
    let marks: Vec<(f64, f64)> = p.problems.iter().filter_map(|x| x.point.map(|pt| (pt.lon, pt.lat))).collect();
    let body = html! {
        h1 { "巡查 " (p.id) }
        section.card {
            dl.facts {
                dt { "网格" } dd { (v.grid_name) }
                dt { "网格员" } dd { (v.worker_name) }
                dt { "状态" } dd { (v.status_label) @if p.auto_ended { "（超时由系统结束）" } }
                dt { "时间" } dd { (fmt_time(p.started_at)) " 起，" (v.minutes) " 分钟" }
                dt { "轨迹" } dd { (p.route.len()) " 个点，" (format!("{:.1}", p.metres / 1000.0)) " 公里" }
            }
            (district_map(&r, MapUse::Route { points: &route, marks: &marks }))
        }
        section.card {
            h2 { "发现问题（" (p.problems.len()) "）" }
            @if p.problems.is_empty() { p.muted { "本次巡查未发现问题。" } }
            ul.plain { @for x in &p.problems {
                li {
                    (fmt_time(x.at)) " · " @if x.fixed { span.tag { "当场处置" } } @else { span.tag.warn { "上报" } " " @if let Some(c) = &x.case { a href={"/console/cases/" (c)} { (c) } } }
                    " " (x.text)
                    @for ph in x.photos.iter().filter_map(|a| staff_photo_url(&p.id, a)) { " " a href=(ph) { "照片" } }
                }
            } }
        }
    };
    Ok(html_response(StatusCode::OK, page(&format!("巡查 {}", v.patrol.id), Chrome::Console(&u, "patrols"), body)))
}

#[derive(Deserialize, Default)]
pub struct CoverageQuery {
    #[serde(default)]
    street: String,
    #[serde(default)]
    month: String,
}

/// 巡查覆盖: a street's grids in a month.
pub async fn show_coverage(State(state): State<AppState>, u: StaffUser, Query(q): Query<CoverageQuery>) -> UiResult {
    if !sees_coverage(&u) && !is_grid_worker(&u) {
        return Err(forbidden("巡查覆盖仅街道、热线中心和区领导可见"));
    }
    let street = match q.street.trim() {
        "" => None,
        s => Some(UnitCode::parse(s).map_err(|_| ApiError::invalid("street", "街道编码不正确"))?),
    };
    let actor = u.actor.clone();
    let month_in = q.month.clone();
    let (c, month) = state
        .run(move |app| {
            let month = if month_in.is_empty() { yiwang_core::measure::month_of(app.now()) } else { month_in };
            let (from, to) = yiwang_core::measure::month_bounds(&month)
                .ok_or_else(|| yiwang_app::AppError::invalid("month", "月份格式应为 YYYY-MM，例如 2026-11"))?;
            Ok((app.patrol_coverage(&actor, street.as_ref(), from, to)?, month))
        })
        .await?;
    let r = state.app.reference();
    let streets: Vec<_> = r.org.units().filter(|x| x.kind == UnitKind::Street).collect();
    let body = html! {
        h1 { "巡查覆盖 · " (c.street_name) }
        form.filter method="get" action="/console/patrols" {
            @if u.is_centre_or_leader() {
                label for="street" { "街道" }
                select #street name="street" { @for s in &streets { option value=(s.code.as_str()) selected[s.code == c.street] { (s.name) } } }
            }
            label for="month" { "月份" }
            input #month type="month" name="month" value=(month);
            button type="submit" { "查询" }
        }
        p #coverage-summary { "本月 " strong { (c.covered) } " / " (c.grids.len()) " 个网格有巡查记录。" }
        (coverage_table(&c))
    };
    Ok(html_response(StatusCode::OK, page("巡查覆盖", Chrome::Console(&u, "patrols"), body)))
}

fn coverage_table(c: &yiwang_app::Coverage) -> Markup {
    html! {
        div.table-wrap {
            table.list #coverage {
                thead { tr { th { "网格" } th { "社区" } th { "巡查次数" } th { "时长（小时）" } th { "里程（公里）" } th { "当场处置" } th { "上报" } th { "最近巡查" } th { "网格员" } } }
                tbody { @for g in &c.grids {
                    tr.uncovered[g.patrols == 0] {
                        td { (g.grid_name) }
                        td { (g.community_name) }
                        td { (g.patrols) }
                        td { (format!("{:.1}", g.minutes as f64 / 60.0)) }
                        td { (format!("{:.1}", g.metres / 1000.0)) }
                        td { (g.fixed) }
                        td { (g.reported) }
                        td { @match (g.last_started, &g.last_patrol) {
                            (Some(t), Some(id)) => { a href={"/console/patrols/" (id)} { (fmt_time(t)) } }
                            (Some(t), None) => { (fmt_time(t)) }
                            _ => { span.tag.late { "未巡查" } }
                        } }
                        td { (g.workers.join("、")) }
                    }
                } }
            }
        }
    }
}
