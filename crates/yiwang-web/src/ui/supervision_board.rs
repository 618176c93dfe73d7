//! The supervision dashboard (监管看板, `yiwang-app/src/supervision.rs`): the register
//! by credit class on the district map and by street, and every kind of the
//! supervision network by status — plans and their completion, inspections by result,
//! rectifications on time, 信用修复, policies and grants with the amounts paid. Every
//! table exports as CSV and Excel.

use super::export::{Cell, Table, csv, xlsx};
use super::map::{MapUse, district_map};
use super::{Chrome, StaffUser, UiError, UiResult, html_response, page};
use crate::{ApiError, AppState};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use maud::html;
use yiwang_app::SupervisionBoard;
use yiwang_core::enterprise::CreditClass;

/// Each class's colour on the map, and its label.
const CLASSES: [(&str, &str, &str); 4] = [
    ("A", "#16a34a", "A类 低风险"),
    ("B", "#2563eb", "B类 中风险"),
    ("C", "#f59e0b", "C类 中高风险"),
    ("D", "#dc2626", "D类 高风险"),
];

async fn load(
    state: &AppState,
    u: &StaffUser,
) -> Result<(SupervisionBoard, std::sync::Arc<yiwang_app::Reference>), ApiError> {
    let actor = u.actor.clone();
    state.run(move |app| Ok((app.supervision_board(&actor)?, app.reference()))).await
}

fn tables(b: &SupervisionBoard, r: &yiwang_app::Reference) -> Vec<Table> {
    let mut out = vec![];
    let mut rows = vec![];
    for (street, by) in &b.register.by_street {
        let name = yiwang_core::id::UnitCode::parse(street)
            .ok()
            .map(|c| r.unit_name(&c).to_owned())
            .unwrap_or_else(|| "（未标注街道）".into());
        let mut row: Vec<Cell> = vec![name.into()];
        let mut total = 0;
        for c in CreditClass::ALL {
            let n = by.get(c.as_str()).copied().unwrap_or(0);
            total += n;
            row.push(n.into());
        }
        row.push(total.into());
        rows.push(row);
    }
    out.push(Table {
        name: "register",
        title: "企业信用风险分类（按街道）".into(),
        header: vec!["街道", "A类", "B类", "C类", "D类", "合计"],
        rows,
    });
    let mut rows = vec![];
    for k in &b.kinds {
        for (status, label, n) in &k.by_status {
            rows.push(vec![
                k.label.into(),
                if label.is_empty() { status.clone().into() } else { (*label).into() },
                (*n).into(),
            ]);
        }
        rows.push(vec![k.label.into(), "超时未办结".into(), k.overdue.into()]);
        for (what, n) in &k.by_result {
            rows.push(vec![k.label.into(), format!("检查结果：{what}").into(), (*n).into()]);
        }
        for (what, sum, _) in &k.sums {
            rows.push(vec![k.label.into(), (*what).into(), Cell::Number(*sum)]);
        }
    }
    out.push(Table {
        name: "kinds",
        title: "一网通管各类事项（按状态）".into(),
        header: vec!["事项", "状态", "件数"],
        rows,
    });
    out
}

pub async fn show(State(state): State<AppState>, u: StaffUser) -> UiResult {
    let (b, r) = load(&state, &u).await?;
    let dots: Vec<(f64, f64, &'static str)> = b.places.iter().map(|(x, y, c)| (*x, *y, c.as_str())).collect();
    let map = district_map(&r, MapUse::Dots { dots: &dots, classes: &CLASSES });
    let tables = tables(&b, &r);
    let reg = &b.register;
    let body = html! {
        section.card #supervision {
            h1 { "一网通管 · 监管看板" }
            section.kpis aria-label="企业名录" {
                div.kpi { span.k-label { "在册企业" } span.k-value #kpi-enterprises { (reg.total) } }
                @for c in CreditClass::ALL {
                    div.kpi { span.k-label { (c.label()) } span.k-value id={"kpi-class-" (c.as_str())} { (reg.by_class.get(c.as_str()).copied().unwrap_or(0)) } }
                }
                div.kpi { span.k-label { "经营异常" } span.k-value #kpi-abnormal { (reg.abnormal) } }
            }
            h2 { "企业信用风险分类分布" }
            (map)
            @for t in &tables {
                h2 { (t.title) }
                span.exports {
                    "导出：" a href={"/console/supervision/export.xlsx?table=" (t.name)} { "Excel" } " · "
                    a href={"/console/supervision/export.csv?table=" (t.name)} { "CSV" }
                }
                table.data id={"table-" (t.name)} {
                    thead { tr { @for h in &t.header { th { (h) } } } }
                    tbody {
                        @for row in &t.rows {
                            tr { @for c in row { td { (match c { Cell::Text(s) => s.clone(), Cell::Number(n) => format!("{n}"), Cell::Percent(p) => format!("{:.1}%", p * 100.0), Cell::Empty => String::new() }) } } }
                        }
                    }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("监管看板", Chrome::Console(&u, "supervision"), body)))
}

#[derive(serde::Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    table: Option<String>,
}

async fn export(state: AppState, u: StaffUser, q: ExportQuery, xlsx_file: bool) -> UiResult {
    let (b, r) = load(&state, &u).await?;
    let name = q.table.unwrap_or_default();
    let Some(t) = tables(&b, &r).into_iter().find(|t| t.name == name) else {
        return Err(UiError(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("没有名为“{name}”的表格"))));
    };
    let (body, ty, ext) = if xlsx_file {
        (xlsx(&t), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    } else {
        (csv(&t), "text/csv; charset=utf-8", "csv")
    };
    let actor = u.actor.clone();
    let what = format!("监管看板：{}（{ext}）", t.title);
    state.run(move |app| app.note_export(&actor, &what)).await?;
    let mut resp = body.into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"yiwang-supervision-{}.{ext}\"", t.name))
            .expect("ascii file name"),
    );
    Ok(resp)
}

pub async fn export_csv(State(state): State<AppState>, u: StaffUser, Query(q): Query<ExportQuery>) -> UiResult {
    export(state, u, q, false).await
}

pub async fn export_xlsx(State(state): State<AppState>, u: StaffUser, Query(q): Query<ExportQuery>) -> UiResult {
    export(state, u, q, true).await
}
