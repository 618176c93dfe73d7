//! The hotline operator's intake screen, built for speed while on a call: the caller's
//! number first, then type (keys 1–5), the text, the place, and one of three ways to
//! finish: 受理 (register), 受理并派单 (register and dispatch by category, for
//! dispatchers) or 直接办结 (a consultation answered on the spot).

use super::console::takes_calls;
use super::form::{Fields, field_error};
use super::map::{MapUse, area_options, district_map};
use super::portal::{field_of, intake_from};
use super::{Chrome, StaffUser, UiError, UiResult, html_response, page};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use yiwang_app::{ArticleView, DispatchSuggestion, SuggestInput};
use yiwang_core::appeal::{Action, AppealType, Channel};
use yiwang_core::id::{CaseId, CategoryCode};
use yiwang_core::org::Role;

fn forbid_unless_operator(u: &StaffUser) -> Result<(), UiError> {
    if takes_calls(u) {
        Ok(())
    } else {
        Err(UiError(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "来电受理仅供热线中心话务员和派单员使用")))
    }
}

/// The intake form; after a registration (POST, then redirect here: a refresh
/// registers nothing twice), with what was registered, read once from a short-lived
/// cookie so neither the code nor the number is in a URL.
pub async fn show_intake(State(state): State<AppState>, u: StaffUser, headers: axum::http::HeaderMap) -> UiResult {
    forbid_unless_operator(&u)?;
    let registered = super::cookie(&headers, INTAKE_COOKIE).and_then(|v| {
        let mut parts = v.splitn(3, '.');
        let (case_id, tracking_code, done) = (parts.next()?, parts.next()?, parts.next()?);
        let done = match done {
            "dispatch" => "已受理并派单",
            "answer" => "已受理并直接办结",
            "merge" => "已受理，并作为重复件并入主工单（随主件答复）",
            "partial" => "已受理，但后续操作未完成，请到工单页完成",
            _ => "已受理",
        };
        Some(Registered { case_id: case_id.to_owned(), tracking_code: tracking_code.to_owned(), done })
    });
    let mut r = render_intake_after(&state, &u, &Fields::default(), None, None, registered, StatusCode::OK);
    if super::cookie(&headers, INTAKE_COOKIE).is_some() {
        let gone = format!("{INTAKE_COOKIE}=; Path=/console/intake; Max-Age=0; HttpOnly; SameSite=Strict");
        r.headers_mut().append(axum::http::header::SET_COOKIE, gone.parse().expect("ascii"));
    }
    Ok(r)
}

/// What the last registration was, for the next page only.
const INTAKE_COOKIE: &str = "yiwang_intake";

/// What the operator gets as they type: the suggested leaf categories (each applied
/// with one click, the first with Alt+G), the likely duplicates (for a dispatcher,
/// 受理并合并 into one with one key, Alt+M for the first) and knowledge-base answers.
/// The page swaps it in without a reload (`/console/intake/hints`).
fn hints(suggestion: Option<&DispatchSuggestion>, kb: Option<&[ArticleView]>, dispatcher: bool) -> Markup {
    html! {
        @if let Some(sg) = suggestion {
            div.suggest {
                (super::console::suggested_categories(sg, "category", None))
                @if let Some(a) = &sg.area_name { p.muted { "定位：" (a) } }
                @if !sg.duplicates.is_empty() {
                    p { "可能的重复件：" }
                    ul.duplicates { @for (i, d) in sg.duplicates.iter().enumerate() {
                        li { a href={"/console/cases/" (d.case_id)} target="_blank" { (d.case_id) } " "
                            (d.title.clone().unwrap_or_else(|| d.excerpt.clone())) " · " (d.status_label)
                            " " span.muted { "相似度 " (format!("{:.0}%", d.similarity * 100.0)) }
                            @if dispatcher {
                                " " button.small type="submit" name="then" value={"merge:" (d.case_id)}
                                    accesskey=[(i == 0).then_some("m")] title=[(i == 0).then_some("Alt+M")] { "受理并合并到此件" }
                            }
                        }
                    } }
                }
            }
        } @else {
            p.hint { "输入诉求内容，系统自动给出分类建议、可能的重复件和知识库答案（也可按 Alt+K）。" }
        }
        @if let Some(hits) = kb {
            section.kb aria-label="知识库答案" {
                h2 { "知识库" }
                @if hits.is_empty() { p.muted { "没有找到与诉求内容相符的答案。" } }
                @for a in hits {
                    article.kb-item {
                        h3 { (a.question) }
                        p { (a.answer) }
                        p.muted { (a.unit_name) }
                        button type="button" data-answer=(a.answer) hidden { "用作答复" }
                    }
                }
            }
        }
    }
}

/// The hints for what is typed so far, as a fragment the intake page swaps in.
pub async fn intake_hints(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    forbid_unless_operator(&u)?;
    u.check_csrf(&f)?;
    let (suggestion, hits) = lookup(&state, &u, &f).await?;
    let dispatcher = u.actor.has_role(Role::Dispatcher);
    Ok(html_response(StatusCode::OK, hints(suggestion.as_ref(), Some(&hits), dispatcher)))
}

/// Knowledge-base answers and the dispatch suggestion for the form as typed.
async fn lookup(
    state: &AppState,
    u: &StaffUser,
    f: &Fields,
) -> Result<(Option<DispatchSuggestion>, Vec<ArticleView>), UiError> {
    let (actor, text) = (u.actor.clone(), f.get("text").to_owned());
    let location = intake_from(state, f, Channel::Hotline).map(|i| i.location).unwrap_or_default();
    let input = SuggestInput { title: f.opt("title"), text: text.clone(), location };
    let (hits, sg) = state
        .run(move |app| {
            let hits = app.search_knowledge(&actor, &text, 5)?;
            // No suggestion (e.g. nothing typed yet) is no error for the operator.
            Ok((hits, app.suggest_dispatch(&actor, &input).ok()))
        })
        .await?;
    Ok((sg, hits))
}

fn render_intake(
    state: &AppState,
    u: &StaffUser,
    f: &Fields,
    e: Option<(String, String)>,
    kb: Option<(Vec<ArticleView>, Option<DispatchSuggestion>)>,
    status: StatusCode,
) -> axum::response::Response {
    render_intake_after(state, u, f, e, kb, None, status)
}

/// What the operator just registered, to read out to the caller: the case number and
/// its tracking code, shown here once (never on the case page, which other staff
/// read), and what was done with it.
struct Registered {
    case_id: String,
    tracking_code: String,
    done: &'static str,
}

fn render_intake_after(
    state: &AppState,
    u: &StaffUser,
    f: &Fields,
    e: Option<(String, String)>,
    kb: Option<(Vec<ArticleView>, Option<DispatchSuggestion>)>,
    registered: Option<Registered>,
    status: StatusCode,
) -> axum::response::Response {
    let r = state.app.reference();
    let e = e.as_ref();
    let chosen = f.get("appeal_type");
    let point = f.get("lon").parse::<f64>().ok().zip(f.get("lat").parse::<f64>().ok());
    let dispatcher = u.actor.has_role(Role::Dispatcher);
    let mut cats: Vec<_> = r.taxonomy.categories().filter(|c| c.parent.is_some()).collect();
    cats.sort_by(|a, b| a.code.cmp(&b.code));
    let suggestion = kb.as_ref().and_then(|k| k.1.as_ref());
    // The category chosen, or else the best suggestion.
    let chosen_category = match (f.get("category"), suggestion.and_then(|s| s.categories.first())) {
        ("", Some(best)) if !suggestion.is_some_and(|s| s.unsure) => best.category.as_str().to_owned(),
        (c, _) => c.to_owned(),
    };
    let body = html! {
        h1 { "来电受理" }
        p.hint { "快捷键：Alt+1…5 选择诉求类型，Alt+K 查建议和知识库，Alt+G 采用第一条分类建议，Ctrl+Enter 受理。带 * 的为必填项。" }
        @if let Some((_, msg)) = e { div.alert role="alert" { "未能受理：" (msg) } }
        @if let Some(r) = &registered {
            div.flash.confirm #intake-confirmation role="status" {
                strong { (r.done) } "　工单号 " a href={"/console/cases/" (r.case_id)} { (r.case_id) }
                "　查询码 " strong.code #tracking-code { (r.tracking_code) }
                br; small { "请向来电人读出查询码；留了手机号的来电人也会收到短信。" }
            }
        }
        form.card.intake #intake-form method="post" action="/console/intake" {
            input type="hidden" name="_csrf" value=(u.csrf);
            div.intake-grid {
                div {
                    div.row2 {
                        div.field {
                            label for="phone" { "来电号码" }
                            input #phone name="phone" type="tel" autofocus autocomplete="off" value=(f.get("phone"));
                            (field_error("phone", e, "citizen.phone"))
                        }
                        div.field {
                            label for="name" { "姓名" }
                            input #name name="name" autocomplete="off" value=(f.get("name"));
                            (field_error("name", e, "citizen.name"))
                        }
                    }
                    label.check { input type="checkbox" name="anonymous" value="1" checked[f.has("anonymous", "1")]; "来电人要求匿名" }
                    fieldset {
                        legend { "诉求类型 *" }
                        div.choices {
                            @for (i, t) in AppealType::ALL.iter().enumerate() {
                                @let v = serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                                label.choice {
                                    input type="radio" name="appeal_type" value=(v) accesskey=(i + 1)
                                        checked[chosen == v || (chosen.is_empty() && *t == AppealType::Complaint)];
                                    (t.label()) " " kbd { (i + 1) }
                                }
                            }
                        }
                        (field_error("appeal_type", e, "appeal_type"))
                    }
                    div.field {
                        label for="urgency" { "紧急程度" }
                        select #urgency name="urgency" {
                            @for (v, l) in [("normal", "一般"), ("urgent", "紧急"), ("emergency", "特急")] {
                                option value=(v) selected[f.get("urgency") == v] { (l) }
                            }
                        }
                    }
                    div.field {
                        label for="title" { "标题" }
                        input #title name="title" maxlength="60" value=(f.get("title"));
                    }
                    div.field {
                        label for="text" { "诉求内容 *" }
                        textarea #text name="text" rows="6" required maxlength=(yiwang_core::appeal::TEXT_MAX) { (f.get("text")) }
                        (field_error("text", e, "text"))
                    }
                    div.field {
                        label for="area" { "所在社区或网格" }
                        select #area name="area" {
                            option value="" { "— 请选择或在地图上点选 —" }
                            @for (code, name) in area_options(&r) { option value=(code) selected[f.get("area") == code] { (name) } }
                        }
                        (field_error("area", e, "area"))
                    }
                    div.field {
                        label for="address" { "详细地址" }
                        input #address name="address" maxlength="200" value=(f.get("address"));
                    }
                }
                div {
                    fieldset.location {
                        legend { "地图选点" }
                        (district_map(&r, MapUse::Picker { selected: point }))
                        p.picked aria-live="polite" #picked {}
                        input type="hidden" name="lon" #lon value=(f.get("lon"));
                        input type="hidden" name="lat" #lat value=(f.get("lat"));
                    }
                    div.field {
                        label for="category" { "诉求分类" @if dispatcher { "（受理并派单时必选）" } }
                        select #category name="category" {
                            option value="" { "— 请选择 —" }
                            @for c in cats {
                                option value=(c.code.as_str()) selected[chosen_category == c.code.as_str()] {
                                    (r.taxonomy.path_name(&c.code).unwrap_or_else(|| c.name.clone())) " → " (r.unit_name(&c.unit))
                                }
                            }
                        }
                        (field_error("category", e, "category"))
                    }
                    div #intake-hints aria-live="polite" { (hints(suggestion, kb.as_ref().map(|k| k.0.as_slice()), dispatcher)) }
                    div.field {
                        label for="answer" { "当场答复（直接办结时填写）" }
                        textarea #answer name="answer" rows="3" maxlength=(yiwang_core::appeal::TEXT_MAX) { (f.get("answer")) }
                        (field_error("answer", e, "answer"))
                    }
                }
            }
            div.actions {
                button.primary type="submit" name="then" value="accept" accesskey="s" { "受理" }
                @if dispatcher { button type="submit" name="then" value="dispatch" accesskey="d" { "受理并派单" } }
                button type="submit" name="then" value="answer" accesskey="a" { "直接办结（咨询）" }
                button type="submit" name="then" value="kb" accesskey="k" formnovalidate { "查建议和知识库" }
            }
        }
    };
    html_response(status, page("来电受理", Chrome::Console(u, "intake"), body))
}

pub async fn submit_intake(State(state): State<AppState>, u: StaffUser, axum::Form(f): axum::Form<Fields>) -> UiResult {
    forbid_unless_operator(&u)?;
    u.check_csrf(&f)?;
    if f.get("then") == "kb" {
        // Without the page's script: look the typed text up; nothing is registered.
        let (sg, hits) = lookup(&state, &u, &f).await?;
        return Ok(render_intake(&state, &u, &f, None, Some((hits, sg)), StatusCode::OK));
    }
    let bad = |field: &str, msg: &str| Some((field.to_owned(), msg.to_owned()));
    let mut input = match intake_from(&state, &f, Channel::Hotline) {
        Ok(i) => i,
        Err(e) => return Ok(render_intake(&state, &u, &f, Some(e), None, StatusCode::UNPROCESSABLE_ENTITY)),
    };
    let category = match f.opt("category").map(|c| CategoryCode::parse(&c)) {
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => {
            let e = bad("category", "所选分类不存在");
            return Ok(render_intake(&state, &u, &f, e, None, StatusCode::UNPROCESSABLE_ENTITY));
        }
        None => None,
    };
    input.category = category.clone();
    let then = f.get("then").to_owned();
    // 受理并合并到此件: registered, then merged into the duplicate named.
    let merge_into = match then.strip_prefix("merge:").map(CaseId::parse) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            let e = bad("then", "要并入的工单号不正确");
            return Ok(render_intake(&state, &u, &f, e, None, StatusCode::UNPROCESSABLE_ENTITY));
        }
        None => None,
    };
    // Check what would otherwise leave a registered case half done.
    let pre = match then.as_str() {
        "dispatch" if category.is_none() => bad("category", "受理并派单须先选择诉求分类"),
        "answer" if input.appeal_type != AppealType::Consultation => bad("appeal_type", "只有咨询类诉求可以直接办结"),
        "answer" if f.opt("answer").is_none() => bad("answer", "请填写当场答复的内容"),
        _ => None,
    };
    if pre.is_some() {
        return Ok(render_intake(&state, &u, &f, pre, None, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let follow = match then.as_str() {
        "dispatch" => category.map(|c| Action::Dispatch { category: c, unit: None, note: None }),
        "answer" => Some(Action::AnswerDirectly { answer: f.get("answer").to_owned() }),
        _ => merge_into.map(|into| Action::Merge { into }),
    };
    let actor = u.actor.clone();
    let done = state
        .run(move |app| {
            let receipt = app.submit_appeal(&actor, input)?;
            let ok = follow.is_none_or(|a| app.act(&actor, &receipt.case_id, &a).is_ok());
            Ok((receipt, ok))
        })
        .await;
    match done {
        // Registered: back to an empty form for the next call (a redirect, so that a
        // refresh registers nothing twice), with what to read out, also when the
        // follow-up failed (the confirmation says so and links the case).
        Ok((receipt, ok)) => {
            let done = match (ok, then.as_str()) {
                (false, _) => "partial",
                (true, "dispatch") => "dispatch",
                (true, "answer") => "answer",
                (true, t) if t.starts_with("merge:") => "merge",
                _ => "intake",
            };
            let mut resp = Redirect::to("/console/intake").into_response();
            let c = format!(
                "{INTAKE_COOKIE}={}.{}.{done}; Path=/console/intake; Max-Age=300; HttpOnly; SameSite=Strict{}",
                receipt.case_id,
                receipt.tracking_code.as_str(),
                if state.secure_cookies { "; Secure" } else { "" }
            );
            resp.headers_mut().insert(axum::http::header::SET_COOKIE, c.parse().expect("ascii"));
            Ok(resp)
        }
        Err(e) => {
            let status = e.status;
            Ok(render_intake(&state, &u, &f, Some(field_of(&state, &e)), None, status))
        }
    }
}
