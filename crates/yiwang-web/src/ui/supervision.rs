//! 一网通管's pages: the inspector's inspections as a phone-friendly list and the
//! on-site form (findings, photos, the phone's place, the drawn signature or 拒签),
//! the department's answers, publication, rectifications and re-inspection, the
//! referral of an appeal's enterprise; the enterprise's pages on the portal (its
//! inspections, 陈述申辩, its rectification report); the public results page.

use super::applicant::PortalApplicant;
use super::form::Fields;
use super::{Chrome, StaffUser, UiError, UiResult, fmt_time, html_response, page, stage_badge};
use crate::{ApiError, AppState};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use maud::{Markup, html};
use yiwang_app::{InspectionRow, InspectionView, RectificationView, ReferralInput};
use yiwang_core::id::{CaseId, UnitCode};
use yiwang_core::inspection::{
    Command, Conformity, Finding, InspectionStatus, InspectorRef, OnSite, Outcome, Signature,
};
use yiwang_core::org::Role;
use yiwang_core::rectification::Command as RectCommand;

/// The on-site form's body: photos and the signature.
pub(crate) const RECORD_LIMIT: usize = 9 * super::MAX_PHOTO_BYTES + 2 * 1024 * 1024;

fn bad(field: &str, msg: &str) -> UiError {
    UiError(ApiError::invalid(field, msg.to_owned()))
}

fn rows_table(rows: &[InspectionRow], base: &str) -> Markup {
    html! {
        @if rows.is_empty() { p.muted { "暂无" } }
        @else {
            ul.cards #inspection-list {
                @for r in rows {
                    li.card data-id=(r.id) {
                        a href={(base) "/" (r.id)} { strong { (r.title) } }
                        div { (stage_badge(r.stage, r.status_label)) " " span.muted { (r.id) } }
                        @if let Some(o) = &r.outcome { div { (o) } }
                        div.muted { "立项 " (fmt_time(r.opened_at)) @if let Some(d) = r.next_due { "；期限 " (fmt_time(d)) } }
                    }
                }
            }
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// 检查任务: the inspector's own, or the department's for a 监管人员.
pub async fn show_queue(State(state): State<AppState>, u: StaffUser, Query(q): Query<QueueQuery>) -> UiResult {
    let actor = u.actor.clone();
    let status = q.status.clone();
    let (rows, rects) = state
        .run(move |app| {
            Ok((app.inspection_queue(&actor, status.as_deref())?, app.rectification_queue(&actor, Some(true))?))
        })
        .await?;
    let body = html! {
        section.card {
            h1 { "检查任务" }
            nav.tabs {
                a href="/console/inspections" { "全部" }
                @for s in InspectionStatus::ALL { " " a href={"/console/inspections?status=" (s.as_str())} { (s.label()) } }
            }
            (rows_table(&rows, "/console/inspections"))
        }
        section.card {
            h2 { "整改中" }
            (rows_table(&rects, "/console/rectifications"))
        }
    };
    Ok(html_response(StatusCode::OK, page("检查任务", Chrome::Console(&u, "inspections"), body)))
}

fn inspection_facts(v: &InspectionView) -> Markup {
    let s = &v.inspection;
    html! {
        dl.facts {
            dt { "状态" } dd #inspection-status { (stage_badge(v.stage, v.status_label)) }
            dt { "企业" } dd { (s.enterprise_name) "（" (s.enterprise) "）" }
            dt { "检查事项" } dd { (s.matter_name) }
            dt { "来源" } dd { (s.source.label()) " " span.muted { (s.source.case()) } }
            @if let yiwang_core::inspection::Source::Referral { reason, .. } = &s.source { dt { "移送事由" } dd { (reason) } }
            dt { "检查部门" } dd { (v.unit_name) }
            dt { "检查人员" } dd { @for i in &s.inspectors { (i.name) "（" (i.id) "） " } }
            @if let Some(o) = v.outcome_label { dt { "检查结果" } dd #inspection-outcome { (o) } }
            @if let Some(d) = v.publish_due { dt { "公示期限" } dd { (fmt_time(d)) } }
            @if let Some(d) = s.statement_due { dt { "陈述申辩期限" } dd { (fmt_time(d)) } }
            @if let Some(r) = &s.rectification { dt { "整改" } dd { (r) } }
        }
        @if let Some(o) = &s.on_site {
            h2 { "现场检查记录" }
            table {
                thead { tr { th { "检查内容" } th { "结果" } th { "说明" } } }
                tbody {
                    @for item in &s.items {
                        @let f = o.findings.iter().find(|f| f.item == item.code);
                        tr { td { (item.name) } td { (f.map(|f| f.conformity.label()).unwrap_or("—")) } td { (f.map(|f| f.note.as_str()).unwrap_or("")) } }
                    }
                }
            }
            p { "检查时间 " (fmt_time(o.inspected_at))
                @if let Some((lon, lat)) = o.place { "；位置 " (format!("{lon:.6}，{lat:.6}")) } }
            p { (o.summary) }
            p { @match &o.signature {
                Signature::Signed { signer, .. } => { "企业签名：" (signer) }
                Signature::Refused { reason } => { "企业拒签：" (reason) }
                Signature::Absent => { "无人签名" }
            } }
        }
        @if let Some(st) = &s.statement {
            h2 { "陈述申辩" }
            p { (st.text) }
            @if let Some(r) = &st.reply { p { (if st.accepted == Some(true) { "已采纳：" } else { "不予采纳：" }) (r) } }
        }
    }
}

pub async fn show_one(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    Query(q): Query<QueueQuery>,
) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    let v = state.run(move |app| app.inspection_view(&actor, &id)).await?;
    Ok(render_one(&u, &v, q.done.is_some(), None, StatusCode::OK))
}

fn render_one(u: &StaffUser, v: &InspectionView, done: bool, error: Option<&str>, status: StatusCode) -> Response {
    let s = &v.inspection;
    let act = format!("/console/inspections/{}/act", s.id);
    let body = html! {
        @if done { div.flash role="status" { "已完成" } }
        @if let Some(e) = error { div.alert role="alert" { (e) } }
        section.card #inspection {
            h1 { "检查 " span #case-id { (s.id) } }
            (inspection_facts(v))
        }
        @if v.actions.contains(&"record") {
            section.card {
                h2 { "现场检查" }
                form #inspection-form method="post" action=(act) enctype="multipart/form-data" {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    input type="hidden" name="action" value="record";
                    input #lon type="hidden" name="lon";
                    input #lat type="hidden" name="lat";
                    @for item in &s.items {
                        fieldset {
                            legend { (item.name) }
                            @for c in Conformity::ALL {
                                label.inline { input type="radio" name={"c." (item.code)} value=(c.as_str()) required; " " (c.label()) }
                            }
                            input name={"n." (item.code)} maxlength="500" placeholder="说明（不符合时必填）";
                        }
                    }
                    div.field {
                        label for="outcome" { "检查结果" }
                        select #outcome name="outcome" required {
                            @for o in Outcome::ALL { option value=(o.as_str()) { (o.label()) } }
                        }
                    }
                    div.field { label for="rectify_days" { "整改期限（天，责令整改时填写）" } input #rectify_days name="rectify_days" type="number" min="1" max="90"; }
                    div.field { label for="summary" { "检查情况" } textarea #summary name="summary" rows="3" required maxlength="2000" {} }
                    div.field { label for="photos" { "现场照片" span.opt { "（最多9张）" } } input #photos type="file" name="photos" accept="image/jpeg,image/png,image/webp" capture="environment" multiple; }
                    div.field {
                        label { "企业签名" }
                        canvas #sig-canvas width="300" height="120" style="border:1px solid #999;touch-action:none" {}
                        input #signature_png type="hidden" name="signature_png";
                        input name="signer" maxlength="40" placeholder="签名人姓名";
                        button.link #sig-clear type="button" { "重签" }
                    }
                    div.field { label for="refusal" { "拒签理由（企业拒绝签名时填写）" } input #refusal name="refusal" maxlength="200"; }
                    p.muted #gps-status aria-live="polite" { "正在获取定位…" }
                    div.actions { button.primary type="submit" { "提交检查结果" } }
                }
            }
        }
        @if v.actions.contains(&"answer") {
            section.card {
                h2 { "答复陈述申辩" }
                form method="post" action=(act) enctype="multipart/form-data" {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    input type="hidden" name="action" value="answer";
                    div.field { label { input type="radio" name="accepted" value="false" checked; " 不予采纳" } label { input type="radio" name="accepted" value="true"; " 采纳，结果改为：" }
                        select name="outcome" { option value="" { "—" } @for o in Outcome::ALL { option value=(o.as_str()) { (o.label()) } } } }
                    div.field { label for="rectify_days2" { "整改期限（天）" } input #rectify_days2 name="rectify_days" type="number" min="1" max="90"; }
                    div.field { label for="reply" { "答复" } textarea #reply name="reply" rows="3" required maxlength="2000" {} }
                    div.actions { button.primary type="submit" { "答复" } }
                }
            }
        }
        @if v.actions.contains(&"publish") {
            section.card {
                form method="post" action=(act) enctype="multipart/form-data" {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    input type="hidden" name="action" value="publish";
                    div.actions { button.primary #publish type="submit" { "公示检查结果" } }
                }
            }
        }
        @if v.actions.contains(&"assign") {
            section.card {
                h2 { "指派检查人员" }
                form method="post" action=(act) enctype="multipart/form-data" {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    input type="hidden" name="action" value="assign";
                    div.field { label for="inspectors" { "每行一人：执法证号,姓名,登录名" } textarea #inspectors name="inspectors" rows="3" required {} }
                    div.actions { button.primary type="submit" { "指派" } }
                }
            }
        }
    };
    html_response(status, page(&format!("检查 {}", s.id), Chrome::Console(u, "inspections"), body))
}

fn days(f: &Fields) -> Option<u32> {
    f.get("rectify_days").trim().parse().ok()
}

pub async fn act(State(state): State<AppState>, u: StaffUser, Path(id): Path<String>, mp: Multipart) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let (f, files) = match super::tasks::read_multipart(mp, "photos", 9, super::MAX_PHOTO_BYTES).await {
        Ok(x) => x,
        Err((_, e)) => return Err(bad("photos", &e)),
    };
    u.check_csrf(&f)?;
    let command = match f.get("action") {
        "record" => {
            let probe = (u.actor.clone(), id.clone());
            let v = state.run(move |app| app.inspection_view(&probe.0, &probe.1)).await?;
            let findings = v
                .inspection
                .items
                .iter()
                .filter_map(|i| {
                    Conformity::parse(f.get(&format!("c.{}", i.code))).map(|c| Finding {
                        item: i.code.clone(),
                        conformity: c,
                        note: f.get(&format!("n.{}", i.code)).to_owned(),
                    })
                })
                .collect();
            let Some(outcome) = Outcome::parse(f.get("outcome")) else {
                return Err(bad("outcome", "请选择检查结果"));
            };
            let mut photos = vec![];
            let dir = state.uploads_dir.clone();
            for (_, bytes) in &files {
                let (Some(dir), Some(kind)) = (dir.as_deref(), super::photo_kind(bytes)) else {
                    return Err(bad("photos", "照片应为JPEG、PNG或WebP，且本站已配置上传目录"));
                };
                let (name, _) = super::save_case_upload(&state, dir, &id, bytes, kind)
                    .await
                    .map_err(|e| UiError(yiwang_app::AppError::Internal(format!("storing an upload: {e}")).into()))?;
                photos.push(name);
            }
            let png = f.get("signature_png").strip_prefix("data:image/png;base64,").unwrap_or("");
            let signature = if !png.is_empty() && f.get("refusal").trim().is_empty() {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(png)
                    .map_err(|_| bad("signature", "签名图片无法读取"))?;
                let Some(dir) = dir.as_deref().filter(|_| super::photo_kind(&bytes) == Some("png")) else {
                    return Err(bad("signature", "签名图片无法保存"));
                };
                let (image, _) = super::save_case_upload(&state, dir, &id, &bytes, "png")
                    .await
                    .map_err(|e| UiError(yiwang_app::AppError::Internal(format!("storing an upload: {e}")).into()))?;
                Signature::Signed { image, signer: f.get("signer").to_owned() }
            } else if !f.get("refusal").trim().is_empty() {
                Signature::Refused { reason: f.get("refusal").to_owned() }
            } else {
                Signature::Absent
            };
            let place = match (f.get("lon").parse::<f64>(), f.get("lat").parse::<f64>()) {
                (Ok(lon), Ok(lat)) => Some((lon, lat)),
                _ => None,
            };
            let now = state.app.now();
            Command::Record {
                on_site: OnSite {
                    findings,
                    outcome,
                    summary: f.get("summary").to_owned(),
                    place,
                    inspected_at: now,
                    photos,
                    signature,
                    rectify_days: days(&f),
                },
            }
        }
        "answer" => Command::Answer {
            accepted: f.get("accepted") == "true",
            reply: f.get("reply").to_owned(),
            outcome: Outcome::parse(f.get("outcome")),
            rectify_days: days(&f),
        },
        "publish" => Command::Publish,
        "assign" => {
            let unit = u.actor.unit().cloned().unwrap_or_else(|| UnitCode::parse("district").expect("valid"));
            let inspectors = f
                .get("inspectors")
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let p: Vec<&str> = l.split([',', '，']).map(str::trim).collect();
                    InspectorRef {
                        id: p.first().copied().unwrap_or("").into(),
                        name: p.get(1).copied().unwrap_or("").into(),
                        unit: unit.clone(),
                        username: p.get(2).map(|s| s.to_string()),
                    }
                })
                .collect();
            Command::Assign { inspectors }
        }
        _ => return Err(bad("action", "未知的操作")),
    };
    let actor = u.actor.clone();
    let idc = id.clone();
    match state.run(move |app| app.act_on_inspection(&actor, &idc, &command)).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/inspections/{id}?done=1")).into_response()),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT => {
            let actor = u.actor.clone();
            let v = state.run(move |app| app.inspection_view(&actor, &id)).await?;
            Ok(render_one(&u, &v, false, Some(&e.message), e.status))
        }
        Err(e) => Err(UiError(e)),
    }
}

fn rect_facts(v: &RectificationView) -> Markup {
    let s = &v.rectification;
    html! {
        dl.facts {
            dt { "状态" } dd #rectification-status { (stage_badge(v.stage, v.status_label)) }
            dt { "企业" } dd { (s.enterprise_name) "（" (s.enterprise) "）" }
            dt { "检查" } dd { (s.inspection) "，" (s.matter_name) }
            dt { "整改期限" } dd { (fmt_time(s.due)) }
            dt { "整改部门" } dd { (v.unit_name) }
            @if let Some(t) = s.on_time { dt { "按期" } dd { (if t { "按期完成" } else { "逾期" }) } }
        }
        h2 { "需整改的问题" }
        ul { @for p in &s.problems { li { (p) } } }
        @for r in &s.reports {
            h2 { "整改报告 " (fmt_time(r.at)) }
            p { (r.text) }
            @if let Some(p) = r.passed { p { "复查" (if p { "通过" } else { "未通过" }) "：" (r.note.as_deref().unwrap_or("")) } }
        }
        @if let Some(e) = &s.escalation { p { "转立案查处：" (e) } }
    }
}

pub async fn show_rect(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    Query(q): Query<QueueQuery>,
) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    let v = state.run(move |app| app.rectification_view(&actor, &id)).await?;
    let s = &v.rectification;
    let act = format!("/console/rectifications/{}/act", s.id);
    let body = html! {
        @if q.done.is_some() { div.flash role="status" { "已完成" } }
        section.card #rectification {
            h1 { "整改 " span #case-id { (s.id) } }
            (rect_facts(&v))
        }
        @if v.actions.contains(&"recheck") {
            section.card {
                h2 { "复查" }
                form method="post" action=(act) {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    input type="hidden" name="action" value="recheck";
                    div.field { label { input type="radio" name="passed" value="true" checked; " 复查通过，销号" } label { input type="radio" name="passed" value="false"; " 未通过，继续整改" } }
                    div.field { label for="note" { "复查情况" } textarea #note name="note" rows="3" required maxlength="2000" {} }
                    div.actions { button.primary type="submit" { "提交复查" } }
                }
            }
        }
        @if v.actions.contains(&"escalate") {
            section.card {
                form method="post" action=(act) {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    input type="hidden" name="action" value="escalate";
                    div.field { label for="reason" { "转立案查处的理由" } input #reason name="reason" required maxlength="1000"; }
                    div.actions { button.danger type="submit" { "转立案查处" } }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page(&format!("整改 {}", s.id), Chrome::Console(&u, "inspections"), body)))
}

pub async fn rect_act(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let id = crate::appeal::case_id(&id)?;
    let c = match f.get("action") {
        "recheck" => {
            RectCommand::Recheck { passed: f.get("passed") == "true", note: f.get("note").to_owned(), photos: vec![] }
        }
        "escalate" => RectCommand::Escalate { reason: f.get("reason").to_owned() },
        _ => return Err(bad("action", "未知的操作")),
    };
    let (actor, idc) = (u.actor.clone(), id.clone());
    state.run(move |app| app.act_on_rectification(&actor, &idc, &c)).await?;
    Ok(Redirect::to(&format!("/console/rectifications/{id}?done=1")).into_response())
}

/// 移送监管: the form on an appeal's or patrol's behalf.
pub async fn show_refer(State(state): State<AppState>, u: StaffUser, Path(id): Path<String>) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let (actor, idc) = (u.actor.clone(), id.clone());
    let caused = state.run(move |app| app.inspections_from(&actor, &idc)).await?;
    let departments: Vec<(String, String)> = state
        .app
        .reference()
        .org
        .units()
        .filter(|x| x.kind == yiwang_core::org::UnitKind::Department)
        .map(|x| (x.code.to_string(), x.display_name().to_owned()))
        .collect();
    let body = html! {
        section.card #referral {
            h1 { "移送监管：" (id) }
            p { "诉求或巡查发现的问题涉及企业的，移送监管部门开展定向检查（不经随机抽取）。" }
            form method="post" action={"/console/cases/" (id) "/refer"} {
                input type="hidden" name="_csrf" value=(u.csrf);
                div.field { label for="enterprise" { "统一社会信用代码" } input #enterprise name="enterprise" required maxlength="18"; }
                div.field { label for="enterprise_name" { "企业名称" span.opt { "（名录中有的可不填）" } } input #enterprise_name name="enterprise_name" maxlength="100"; }
                div.field { label for="unit" { "监管部门" } select #unit name="unit" { @for (c, n) in &departments { option value=(c) { (n) } } } }
                div.field { label for="reason" { "移送事由" } textarea #reason name="reason" rows="3" required maxlength="500" {} }
                div.actions { button.primary type="submit" { "移送" } }
            }
            h2 { "已引起的检查" }
            (rows_table(&caused, "/console/inspections"))
        }
    };
    Ok(html_response(StatusCode::OK, page("移送监管", Chrome::Console(&u, "queues"), body)))
}

pub async fn refer(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let id = crate::appeal::case_id(&id)?;
    let unit = UnitCode::parse(f.get("unit")).map_err(|_| bad("unit", "请选择监管部门"))?;
    let input = ReferralInput {
        enterprise: f.get("enterprise").to_owned(),
        enterprise_name: f.opt("enterprise_name"),
        unit,
        matter: None,
        matter_name: None,
        items: vec![],
        reason: f.get("reason").to_owned(),
        inspectors: vec![],
    };
    let actor = u.actor.clone();
    let s = state.run(move |app| app.refer_to_inspection(&actor, &id, input)).await?;
    Ok(Redirect::to(&format!("/console/inspections/{}?done=1", s.id)).into_response())
}

/// Whether the console shows the inspection pages.
pub(crate) fn sees_inspections(u: &StaffUser) -> bool {
    u.actor.has_any_role(&[Role::Enforcer, Role::Regulator])
}

// The enterprise's pages on the portal.

#[derive(serde::Deserialize, Default)]
pub struct EnterpriseQuery {
    #[serde(default)]
    enterprise: String,
}

fn portal_error(e: ApiError) -> Response {
    UiError(e).into_response()
}

/// 检查与整改: an enterprise's inspections (after the visit) and rectifications.
pub async fn show_mine(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Query(q): Query<EnterpriseQuery>,
) -> Response {
    let code = q.enterprise.clone();
    let found = state
        .run(move |app| Ok((app.enterprise_inspections(&who, &code)?, app.enterprise_rectifications(&who, &code)?)))
        .await;
    let (inspections, rects) = match found {
        Ok(x) => x,
        Err(e) => return portal_error(e),
    };
    let body = html! {
        section.card #my-inspections {
            h1 { "检查记录" }
            p.muted { "统一社会信用代码 " (q.enterprise) }
            @if inspections.is_empty() { p { "暂无检查记录" } }
            ul.cards { @for v in &inspections {
                li.card { a href={"/my/inspections/" (v.inspection.id)} { strong { (v.inspection.matter_name) } }
                    div { (v.status_label) " · " (v.outcome_label.unwrap_or("")) }
                    @if v.actions.contains(&"state") { @if let Some(d) = v.inspection.statement_due { div { "可在 " (fmt_time(d)) " 前陈述申辩" } } } }
            } }
        }
        section.card #my-rectifications {
            h1 { "整改" }
            @if rects.is_empty() { p { "暂无整改" } }
            ul.cards { @for v in &rects {
                li.card { a href={"/my/rectifications/" (v.rectification.id)} { strong { (v.rectification.matter_name) } }
                    div { (stage_badge(v.stage, v.status_label)) " 期限 " (fmt_time(v.rectification.due)) } }
            } }
        }
    };
    html_response(StatusCode::OK, page("检查与整改", Chrome::Portal, body))
}

pub async fn show_my_inspection(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = CaseId::parse(&id) else { return portal_error(ApiError::invalid("id", "没有这项检查")) };
    match state.run(move |app| app.my_inspection(&who, &id)).await {
        Ok(v) => render_my_inspection(&v, None, StatusCode::OK),
        Err(e) => portal_error(e),
    }
}

fn render_my_inspection(v: &InspectionView, error: Option<&str>, status: StatusCode) -> Response {
    let s = &v.inspection;
    let body = html! {
        @if let Some(e) = error { div.alert role="alert" { (e) } }
        section.card #my-inspection {
            h1 { "检查 " (s.id) }
            (inspection_facts(v))
        }
        @if v.actions.contains(&"state") {
            section.card {
                h2 { "陈述申辩" }
                form method="post" action={"/my/inspections/" (s.id)} enctype="multipart/form-data" {
                    div.field { label for="text" { "陈述和申辩的事实、理由" } textarea #text name="text" rows="4" required maxlength="2000" {} }
                    div.field { label for="files" { "证明材料" span.opt { "（可选）" } } input #files type="file" name="files" multiple accept="image/jpeg,image/png,image/webp,application/pdf"; }
                    div.actions { button.primary type="submit" { "提交陈述申辩" } }
                }
            }
        }
    };
    html_response(status, page("检查记录", Chrome::Portal, body))
}

async fn applicant_files(
    state: &AppState,
    who: &yiwang_app::Applicant,
    mp: Multipart,
) -> Result<(Fields, Vec<String>), ApiError> {
    let (f, files) = super::tasks::read_multipart(mp, "files", 9, crate::applicant::MATERIAL_BYTES_MAX)
        .await
        .map_err(|(_, e)| ApiError::invalid("files", e))?;
    let mut names = vec![];
    for (_, bytes) in files {
        names.push(crate::applicant::save_applicant_upload(state, who, &bytes).await?);
    }
    Ok((f, names))
}

pub async fn state_on(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(id): Path<String>,
    mp: Multipart,
) -> Response {
    let Ok(id) = CaseId::parse(&id) else { return portal_error(ApiError::invalid("id", "没有这项检查")) };
    let (f, files) = match applicant_files(&state, &who, mp).await {
        Ok(x) => x,
        Err(e) => return portal_error(e),
    };
    let text = f.get("text").to_owned();
    let (w, idc) = (who.clone(), id.clone());
    match state.run(move |app| app.state_on_inspection(&w, &idc, &text, files)).await {
        Ok(v) => render_my_inspection(&v, None, StatusCode::OK),
        Err(e) => match state.run(move |app| app.my_inspection(&who, &id)).await {
            Ok(v) => render_my_inspection(&v, Some(&e.message), e.status),
            Err(e) => portal_error(e),
        },
    }
}

fn render_my_rect(v: &RectificationView, error: Option<&str>, status: StatusCode) -> Response {
    let s = &v.rectification;
    let body = html! {
        @if let Some(e) = error { div.alert role="alert" { (e) } }
        section.card #my-rectification {
            h1 { "整改 " (s.id) }
            (rect_facts(v))
        }
        @if v.actions.contains(&"report") {
            section.card {
                h2 { "提交整改报告" }
                form method="post" action={"/my/rectifications/" (s.id)} enctype="multipart/form-data" {
                    div.field { label for="text" { "整改情况" } textarea #text name="text" rows="4" required maxlength="2000" {} }
                    div.field { label for="files" { "整改证明材料（照片或PDF）" } input #files type="file" name="files" multiple required accept="image/jpeg,image/png,image/webp,application/pdf"; }
                    div.actions { button.primary type="submit" { "提交" } }
                }
            }
        }
    };
    html_response(status, page("整改", Chrome::Portal, body))
}

pub async fn show_my_rect(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = CaseId::parse(&id) else { return portal_error(ApiError::invalid("id", "没有这项整改")) };
    match state.run(move |app| app.my_rectification(&who, &id)).await {
        Ok(v) => render_my_rect(&v, None, StatusCode::OK),
        Err(e) => portal_error(e),
    }
}

pub async fn report(
    State(state): State<AppState>,
    PortalApplicant(who): PortalApplicant,
    Path(id): Path<String>,
    mp: Multipart,
) -> Response {
    let Ok(id) = CaseId::parse(&id) else { return portal_error(ApiError::invalid("id", "没有这项整改")) };
    let (f, files) = match applicant_files(&state, &who, mp).await {
        Ok(x) => x,
        Err(e) => return portal_error(e),
    };
    let text = f.get("text").to_owned();
    let (w, idc) = (who.clone(), id.clone());
    match state.run(move |app| app.report_rectification(&w, &idc, &text, files)).await {
        Ok(v) => render_my_rect(&v, None, StatusCode::OK),
        Err(e) => match state.run(move |app| app.my_rectification(&who, &id)).await {
            Ok(v) => render_my_rect(&v, Some(&e.message), e.status),
            Err(e) => portal_error(e),
        },
    }
}

/// 抽查结果公示: the public page, with the open data's links.
pub async fn show_results(State(state): State<AppState>) -> UiResult {
    let rows = state.run(|app| app.published_results(500)).await?;
    let body = html! {
        section.card #supervision-results {
            h1 { "双随机、一公开：检查结果公示" }
            p { "开放数据：" a href="/api/v1/supervision/results.csv" { "CSV" } " · " a href="/api/v1/supervision/results" { "JSON" } }
            @if rows.is_empty() { p { "暂无公示的检查结果" } }
            @else {
                table {
                    thead { tr { th { "企业" } th { "统一社会信用代码" } th { "检查事项" } th { "检查部门" } th { "检查方式" } th { "结果" } th { "检查日期" } } }
                    tbody { @for r in &rows {
                        tr { td { (r.enterprise_name) } td { (r.enterprise) } td { (r.matter_name) } td { (r.department) }
                            td { (match r.source.as_str() { "draw" => "双随机抽查", "referral" => "问题移送", _ => "整改复查" }) }
                            td { (r.outcome_label) } td { (r.inspected_at.map(|t| yiwang_core::calendar::civil_date(t).to_string()).unwrap_or_default()) } }
                    } }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page("检查结果公示", Chrome::Portal, body)))
}
