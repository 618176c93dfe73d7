//! The print view of an appeal (`/console/cases/{id}/print`, 打印 on the case page):
//! the facts, the text, the reply and the whole timeline on paper, headed with the
//! district's name and the time it was printed, and nothing to click: no buttons,
//! forms or navigation. The same access rule as the case page (a case the staff member
//! may not see is not found), and the citizen masked as there. Printing the case page
//! itself hides its chrome too (`@media print` in the stylesheet).

use super::console::{event_note, reply_photos};
use super::map::area_label;
use super::portal::staff_photo_url;
use super::{StaffUser, UiResult, assets, fmt_time, html_response};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, html};
use yiwang_app::CaseView;
use yiwang_core::appeal::ReplyOutcome;

pub async fn show_case_print(State(state): State<AppState>, u: StaffUser, Path(id): Path<String>) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    let view = state.run(move |app| app.case_view(&actor, &id)).await?;
    Ok(html_response(StatusCode::OK, print_page(&state, &u, &view)))
}

fn print_page(state: &AppState, u: &StaffUser, v: &CaseView) -> Markup {
    let a = &v.appeal;
    let r = state.app.reference();
    let district = r.org.district().map(|d| d.name.clone()).unwrap_or_default();
    let photos: Vec<String> = a.attachments.iter().filter_map(|x| staff_photo_url(&a.id, x)).collect();
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "工单 " (a.id) " · 打印" }
                link rel="stylesheet" href=(assets::CSS_PATH);
            }
            body.print-view {
                main {
                    header.print-head {
                        p.district #print-district { (district) }
                        h1 { "12345市民服务热线工单" }
                        p.meta {
                            "工单编号 " strong { (a.id) }
                            " · 打印时间 " span #print-time { (fmt_time(state.app.now())) }
                            " · 打印人 " (u.staff.name) "（" (u.unit_name) "）"
                        }
                    }
                    section {
                        h2 { "基本信息" }
                        dl.facts {
                            dt { "标题" } dd { (a.title.clone().unwrap_or_else(|| "（无标题）".into())) }
                            dt { "状态" } dd { (a.status.label()) @if let Some(o) = a.outcome { "（" (o.label()) "）" } @if a.suspended_since.is_some() { " · 挂起中" } }
                            dt { "类型 / 紧急程度" } dd { (a.appeal_type.label()) " / " (a.urgency.label()) }
                            dt { "来源" } dd { (a.channel.label()) }
                            dt { "受理时间" } dd { (fmt_time(a.accepted_at)) }
                            dt { "诉求分类" } dd { (v.category_name.clone().unwrap_or_else(|| "未分类".into())) }
                            dt { "承办单位" } dd { (v.unit_name.clone().unwrap_or_else(|| "—".into())) }
                            @if !a.co_units.is_empty() {
                                dt { "协办单位" }
                                dd { @for (i, c) in a.co_units.iter().enumerate() { @if i > 0 { "、" } (r.unit_name(&c.unit)) } }
                            }
                            @if let Some(into) = &a.merged_into { dt { "主工单" } dd { (into) } }
                            dt { "位置" }
                            dd {
                                @if let Some(area) = &a.location.area { (area_label(&r, area)) }
                                @if let Some(addr) = &a.location.address { " " (addr) }
                                @if a.location.area.is_none() && a.location.address.is_none() { "未提供" }
                            }
                            dt { "诉求人" }
                            dd {
                                @if a.citizen.is_none() { "匿名" } @else {
                                    (v.citizen_name.clone().unwrap_or_default()) " " (v.citizen_phone.clone().unwrap_or_else(|| "未留电话".into()))
                                }
                            }
                        }
                    }
                    section {
                        h2 { "诉求内容" }
                        p.text { (a.text) }
                        @if !photos.is_empty() {
                            div.photos { @for (i, p) in photos.iter().enumerate() { img src=(p) alt={"诉求照片 " (i + 1)}; } }
                        }
                    }
                    @if let Some(rep) = &a.reply {
                        section {
                            h2 { "答复" }
                            p.muted { (r.unit_name(&rep.unit)) " · " (fmt_time(rep.at)) " · "
                                (match rep.outcome { ReplyOutcome::Resolved => "已解决", ReplyOutcome::CannotSolve => "无法解决" })
                                @if !rep.on_time { " · 超期答复" } }
                            p.text { (rep.text) }
                            (reply_photos(&a.id, &rep.photos))
                        }
                    }
                    @if !v.merged_callers.is_empty() {
                        section {
                            h2 { "并案来电（" (v.merged_callers.len()) "）" }
                            table.compact {
                                thead { tr { th scope="col" { "工单号" } th scope="col" { "来电人" } th scope="col" { "受理时间" } th scope="col" { "状态" } } }
                                tbody { @for m in &v.merged_callers {
                                    tr { td { (m.case_id) } td { (m.citizen_name.clone().unwrap_or_else(|| "匿名".into())) } td { (fmt_time(m.accepted_at)) } td { (m.status_label) } }
                                } }
                            }
                        }
                    }
                    section {
                        h2 { "办理过程" }
                        table.print-timeline {
                            thead { tr { th scope="col" { "时间" } th scope="col" { "经办" } th scope="col" { "事项" } } }
                            tbody { @for t in &v.events {
                                tr {
                                    td { (fmt_time(t.at)) }
                                    td { (t.actor) }
                                    td { (t.summary) @if let Some(d) = t.detail.as_ref().and_then(event_note) { br; small { (d) } } }
                                }
                            } }
                        }
                    }
                    p.print-hint { "使用浏览器的打印功能（Ctrl+P）打印本页。" }
                }
            }
        }
    }
}
