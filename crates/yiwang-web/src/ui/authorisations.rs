//! 企业授权 at the window (`yiwang-app/src/authorisation.rs`): the clerk checks an
//! enterprise's written authorisation and records the agent's phone, which may then
//! act for the enterprise on the portal; and one authorisation's page, to revoke it.

use super::form::{Fields, field_error};
use super::portal::field_of;
use super::{Chrome, StaffUser, UiError, UiResult, fmt_time, html_response, page};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::html;
use yiwang_app::{AuthorisationInput, CitizenInput};

fn forbidden() -> UiError {
    UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "企业授权由窗口受理员登记"))
}

pub async fn show_new(u: StaffUser) -> UiResult {
    if !super::applications::is_clerk(&u) {
        return Err(forbidden());
    }
    Ok(render_new(&u, &Fields::default(), None, StatusCode::OK))
}

fn render_new(u: &StaffUser, f: &Fields, e: Option<(String, String)>, status: StatusCode) -> axum::response::Response {
    let e = e.as_ref();
    let body = html! {
        section.card #authorisation-new {
            h1 { "企业授权登记" }
            p { "核验企业的授权委托书、营业执照和经办人身份证后登记。被授权人用登记的手机号登录办事大厅网站，即可在授权期限内以企业名义在线办事。" }
            @if let Some((_, msg)) = e { div.alert role="alert" { (msg) } }
            form method="post" action="/console/authorisations/new" {
                input type="hidden" name="_csrf" value=(u.csrf);
                fieldset {
                    legend { "企业" }
                    div.field {
                        label for="enterprise" { "统一社会信用代码" }
                        input #enterprise name="enterprise" required maxlength="18" value=(f.get("enterprise"));
                        (field_error("enterprise", e, "enterprise"))
                    }
                    div.field {
                        label for="enterprise_name" { "企业名称" }
                        input #enterprise_name name="enterprise_name" required maxlength="100" value=(f.get("enterprise_name"));
                    }
                }
                fieldset {
                    legend { "被授权人（经办人）" }
                    div.field {
                        label for="agent_name" { "姓名" }
                        input #agent_name name="agent_name" required maxlength="50" value=(f.get("agent_name"));
                    }
                    div.field {
                        label for="agent_phone" { "手机号" }
                        input #agent_phone name="agent_phone" type="tel" inputmode="numeric" required maxlength="11" value=(f.get("agent_phone"));
                        (field_error("agent_phone", e, "agent"))
                    }
                }
                div.field {
                    label for="document" { "核验的材料" }
                    input #document name="document" required maxlength="200" placeholder="如：授权委托书（编号）、营业执照副本、经办人身份证" value=(f.get("document"));
                }
                div.field {
                    label for="valid_until" { "授权截止日期" }
                    input #valid_until name="valid_until" type="date" required value=(f.get("valid_until"));
                    (field_error("valid_until", e, "valid_until"))
                }
                div.actions { button.primary type="submit" { "登记授权" } }
            }
        }
    };
    html_response(status, page("企业授权登记", Chrome::Console(u, "applications"), body))
}

pub async fn register(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    u.check_csrf(&f)?;
    if !super::applications::is_clerk(&u) {
        return Err(forbidden());
    }
    let Ok(valid_until) = chrono::NaiveDate::parse_from_str(f.get("valid_until"), "%Y-%m-%d") else {
        let e = ("valid_until".to_owned(), "请选择授权截止日期".to_owned());
        return Ok(render_new(&u, &f, Some(e), StatusCode::UNPROCESSABLE_ENTITY));
    };
    let input = AuthorisationInput {
        enterprise: f.get("enterprise").trim().to_owned(),
        enterprise_name: f.get("enterprise_name").trim().to_owned(),
        document: f.get("document").trim().to_owned(),
        valid_until,
        agent: CitizenInput { name: f.opt("agent_name"), phone: f.opt("agent_phone"), id_number: None, contact: None },
    };
    let actor = u.actor.clone();
    match state.run(move |app| app.grant_authorisation(&actor, input)).await {
        Ok(a) => Ok(Redirect::to(&format!("/console/authorisations/{}?done=1", a.id)).into_response()),
        Err(e) => {
            let status = e.status;
            Ok(render_new(&u, &f, Some(field_of(&state, &e)), status))
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

pub async fn show_one(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> UiResult {
    let id = crate::appeal::case_id(&id)?;
    let actor = u.actor.clone();
    let v = state.run(move |app| app.authorisation_view(&actor, &id)).await?;
    let a = &v.authorisation;
    let body = html! {
        @if q.done.is_some() { div.flash role="status" { "已完成" } }
        section.card #authorisation {
            h1 { "企业授权 " span #case-id { (a.id) } }
            dl.facts {
                dt { "状态" } dd #authorisation-status { span.status { (v.status_label) } }
                dt { "企业" } dd { (a.enterprise_name) "（" (a.enterprise) "）" }
                dt { "被授权人" } dd { (v.agent) }
                dt { "核验的材料" } dd { (a.document) }
                dt { "授权期限" } dd { "至 " (a.valid_until) }
                dt { "登记窗口" } dd { (v.unit_name) "，" (fmt_time(a.granted_at)) }
            }
            @if v.in_force && super::applications::is_clerk(&u) {
                form method="post" action={"/console/authorisations/" (a.id) "/revoke"} {
                    input type="hidden" name="_csrf" value=(u.csrf);
                    div.field {
                        label for="reason" { "解除原因" }
                        input #reason name="reason" required maxlength="200";
                    }
                    div.actions { button.danger type="submit" { "解除授权" } }
                }
            }
        }
    };
    Ok(html_response(StatusCode::OK, page(&format!("企业授权 {}", a.id), Chrome::Console(&u, "applications"), body)))
}

pub async fn revoke(
    State(state): State<AppState>,
    u: StaffUser,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<Fields>,
) -> UiResult {
    u.check_csrf(&f)?;
    let id = crate::appeal::case_id(&id)?;
    let (actor, reason, to) =
        (u.actor.clone(), f.get("reason").to_owned(), format!("/console/authorisations/{id}?done=1"));
    state.run(move |app| app.revoke_authorisation(&actor, &id, &reason)).await?;
    Ok(Redirect::to(&to).into_response())
}
