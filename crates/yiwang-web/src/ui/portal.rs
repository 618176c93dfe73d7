//! The citizen portal, mobile first: file an appeal (type, text, a place on the map or
//! from the list, up to three photos, contact details or anonymous), get the case
//! number and tracking code, follow the appeal and answer the callback.

use super::form::{Fields, field_error};
use super::map::{MapUse, area_options, district_map};
use super::{Chrome, MAX_PHOTO_BYTES, MAX_PHOTOS, StaffUser, UiError, cookie, fmt_time, html_response, page, say};
use crate::{ApiError, AppState};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use maud::{Markup, html};
use rand::RngCore;
use sha2::Sha256;
use yiwang_app::{CitizenInput, IntakeInput, PublicView};
use yiwang_core::appeal::{AppealType, CallbackAnswer, Channel, Location, Point, Satisfaction};
use yiwang_core::deadline::Urgency;
use yiwang_core::id::{CaseId, UnitCode};
use yiwang_core::org::Actor;

const RECEIPT_COOKIE: &str = "yiwang_receipt";

type FieldError = (String, String);

fn err(field: &str, msg: impl Into<String>) -> FieldError {
    (field.to_owned(), msg.into())
}

// ---------------------------------------------------------------- submit

pub async fn show_portal(State(state): State<AppState>) -> Response {
    render_portal(&state, &Fields::default(), None, StatusCode::OK)
}

fn render_portal(state: &AppState, f: &Fields, e: Option<FieldError>, status: StatusCode) -> Response {
    let r = state.app.reference();
    let e = e.as_ref();
    let point = f.get("lon").parse::<f64>().ok().zip(f.get("lat").parse::<f64>().ok());
    let anonymous = f.has("anonymous", "1");
    let chosen_type = f.get("appeal_type");
    let invalid = |field: &str| e.is_some_and(|(x, _)| x == field);
    let body = html! {
        section.card.intro {
            h1 { "我要反映" }
            p { "向云溪区12345市民服务热线反映问题、提出建议或咨询政策。提交后您会得到工单编号和查询码，凭查询码和手机号可随时查看办理进度。" }
        }
        @if let Some((_, msg)) = e {
            div.alert role="alert" { "未能提交：" (msg) }
        }
        form.card.appeal method="post" action="/" enctype="multipart/form-data" novalidate {
            fieldset {
                legend { "诉求类型" span.req { "（必选）" } }
                div.choices {
                    @for t in AppealType::ALL {
                        @let v = type_value(t);
                        label.choice {
                            input type="radio" name="appeal_type" value=(v) checked[chosen_type == v || (chosen_type.is_empty() && t == AppealType::Complaint)];
                            (t.label())
                        }
                    }
                }
                (field_error("appeal_type", e, "appeal_type"))
            }
            div.field {
                label for="title" { "标题" span.opt { "（选填，一句话概括）" } }
                input #title name="title" maxlength="60" value=(f.get("title")) placeholder="例如：湖畔路路灯不亮";
            }
            div.field {
                label for="text" { "诉求内容" span.req { "（必填）" } }
                textarea #text name="text" rows="5" required aria-required="true" maxlength=(yiwang_core::appeal::TEXT_MAX) aria-invalid=[invalid("text").then_some("true")]
                    aria-describedby="text-hint text-err" placeholder="请写明发生了什么、在哪里、持续多久、希望如何解决" { (f.get("text")) }
                p.hint #text-hint { "最多5000字。请勿填写与诉求无关的个人隐私。" }
                (field_error("text", e, "text"))
            }
            fieldset.location {
                legend { "问题位置" }
                p.hint #map-hint { "在地图上点击问题所在位置，或从下面的列表中选择社区、网格。" }
                (district_map(&r, MapUse::Picker { selected: point }))
                p.picked aria-live="polite" #picked { @if point.is_some() { "已在地图上选定位置" } }
                input type="hidden" name="lon" #lon value=(f.get("lon"));
                input type="hidden" name="lat" #lat value=(f.get("lat"));
                div.field {
                    label for="area" { "所在社区或网格" }
                    select #area name="area" {
                        option value="" { "— 请选择（已在地图上选点可不选）—" }
                        @for (code, name) in area_options(&r) {
                            option value=(code) selected[f.get("area") == code] { (name) }
                        }
                    }
                    (field_error("area", e, "area"))
                }
                div.field {
                    label for="address" { "详细地址" span.opt { "（选填）" } }
                    input #address name="address" maxlength="200" value=(f.get("address")) placeholder="例如：望湖公园北门以西50米";
                }
            }
            div.field {
                label for="photos" { "照片" span.opt { "（选填，最多" (MAX_PHOTOS) "张，每张不超过5MB，JPEG/PNG/WebP）" } }
                input #photos type="file" name="photos" multiple accept="image/jpeg,image/png,image/webp" aria-describedby="photos-err";
                @if e.is_some() && !invalid("photos") { p.hint { "如需附照片，请重新选择（出错后浏览器不会保留已选的文件）。" } }
                (field_error("photos", e, "photos"))
            }
            fieldset {
                legend { "联系方式" }
                label.check {
                    input type="checkbox" name="anonymous" value="1" #anonymous checked[anonymous];
                    "匿名反映（不留姓名和电话；凭查询码即可查询，但无法接受回访）"
                }
                div.contact {
                    div.field {
                        label for="name" { "姓名" span.opt { "（选填）" } }
                        input #name name="name" maxlength="50" autocomplete="name" value=(f.get("name"));
                        (field_error("name", e, "citizen.name"))
                    }
                    div.field {
                        label for="phone" { "手机号" span.req { "（非匿名必填，查询进度时使用）" } }
                        input #phone name="phone" type="tel" inputmode="tel" autocomplete="tel" maxlength="20" value=(f.get("phone"))
                            aria-invalid=[invalid("citizen.phone").then_some("true")] aria-describedby="phone-err";
                        (field_error("phone", e, "citizen.phone"))
                    }
                }
                label.check {
                    input type="checkbox" name="private" value="1" #private checked[f.has("private", "1")];
                    "不公开（照常办理，但不在公开渠道展示本诉求）"
                }
            }
            div.actions {
                button.primary type="submit" { "提交诉求" }
            }
        }
    };
    html_response(status, page("我要反映", Chrome::Portal, body))
}

fn type_value(t: AppealType) -> &'static str {
    match t {
        AppealType::Consultation => "consultation",
        AppealType::Help => "help",
        AppealType::Complaint => "complaint",
        AppealType::Report => "report",
        AppealType::Suggestion => "suggestion",
    }
}

/// What kind of picture the bytes are, by their magic numbers.
pub(crate) fn photo_kind(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("webp")
    } else {
        None
    }
}

/// Stores an uploaded file of `kind` (its extension) under a random name in `dir`:
/// the attachment a case records (`uploads/<name>`) and the file's path.
pub(crate) async fn save_upload(
    dir: &std::path::Path,
    bytes: &[u8],
    kind: &str,
) -> std::io::Result<(String, std::path::PathBuf)> {
    let mut raw = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut raw);
    write_upload(dir, &format!("{}.{kind}", hex::encode(raw)), bytes).await
}

/// Stores a photo uploaded for `case` (a reply's 处置后照片, from the console's form or
/// the API) under a name bound to that case: 8 random bytes and a tag of them, the case
/// and the kind under the installation's key (`uploaded_for` checks it). A name so
/// made can be cited by that case alone, and needs no table to say so.
pub(crate) async fn save_case_upload(
    state: &AppState,
    dir: &std::path::Path,
    case: &CaseId,
    bytes: &[u8],
    kind: &str,
) -> std::io::Result<(String, std::path::PathBuf)> {
    let mut raw = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut raw);
    let nonce = hex::encode(raw);
    let tag = upload_mac(state, case, &nonce, kind).finalize().into_bytes();
    let tag = hex::encode(&tag[..8]);
    write_upload(dir, &format!("{nonce}{tag}.{kind}"), bytes).await
}

/// The keyed digest that binds an upload's name to its case.
fn upload_mac(state: &AppState, case: &CaseId, nonce: &str, kind: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&state.app.config().digest_key).expect("hmac takes any key length");
    mac.update(format!("yiwang-upload:{case}/{nonce}.{kind}").as_bytes());
    mac
}

/// Whether `attachment` names a file uploaded for `case` (`save_case_upload`). A
/// citizen's photo, another case's upload or any other name is not.
pub(crate) fn uploaded_for(state: &AppState, case: &CaseId, attachment: &str) -> bool {
    let Some((stem, kind)) = upload_name(attachment).and_then(|n| n.split_once('.')) else { return false };
    let (nonce, tag) = stem.split_at(16);
    let Ok(tag) = hex::decode(tag) else { return false };
    upload_mac(state, case, nonce, kind).verify_truncated_left(&tag).is_ok()
}

/// Refuses reply photos not uploaded for this case, or no longer stored: the rule that
/// keeps every file with its own case (a reply citing another case's photo would let
/// whoever may see this case open it).
pub(crate) async fn refuse_foreign_photos(state: &AppState, case: &CaseId, names: &[String]) -> Result<(), ApiError> {
    for n in names {
        let stored = match (state.uploads_dir.as_deref(), upload_name(n)) {
            (Some(dir), Some(file)) => tokio::fs::try_exists(dir.join(file)).await.unwrap_or(false),
            _ => false,
        };
        if !stored || !uploaded_for(state, case, n) {
            return Err(ApiError::invalid(
                "photos",
                format!("照片 {n} 不是为工单 {case} 上传的：请先上传到本工单（POST /api/v1/appeals/{case}/photos）"),
            ));
        }
    }
    Ok(())
}

/// Writes a new file `name` in `dir`: the attachment a case records (`uploads/<name>`)
/// and the file's path.
pub(crate) async fn write_upload(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> std::io::Result<(String, std::path::PathBuf)> {
    let path = dir.join(name);
    // Readable by the owner only, as the rest of the data directory.
    let mut d = tokio::fs::DirBuilder::new();
    d.recursive(true);
    #[cfg(unix)]
    d.mode(0o700);
    d.create(dir).await?;
    let mut o = tokio::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    o.mode(0o600);
    let mut f = o.open(&path).await?;
    tokio::io::AsyncWriteExt::write_all(&mut f, bytes).await?;
    f.sync_all().await?;
    Ok((format!("uploads/{name}"), path))
}

/// What kind of file evidence is: a photo, or a PDF (scanned documents, statistics).
pub(crate) fn file_kind(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(b"%PDF-") { Some("pdf") } else { photo_kind(b) }
}

/// The form as posted, and the photos (the `photos` field) with their kind: at most
/// `MAX_PHOTOS`, each JPEG, PNG or WebP of at most `MAX_PHOTO_BYTES`.
pub(crate) async fn read_multipart(
    mut mp: Multipart,
) -> Result<(Fields, Vec<(Vec<u8>, &'static str)>), (Fields, FieldError)> {
    let mut f = Fields::default();
    let mut photos = vec![];
    loop {
        let field = match mp.next_field().await {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(_) => return Err((f, err("photos", "上传的内容过大或不完整：照片最多3张，每张不超过5MB"))),
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "photos" {
            let bytes = match field.bytes().await {
                Ok(b) => b,
                Err(_) => return Err((f, err("photos", "照片过大或上传中断：每张不超过5MB"))),
            };
            if bytes.is_empty() {
                continue; // no file chosen
            }
            photos.push(bytes.to_vec());
        } else {
            let value = field.text().await.unwrap_or_default();
            f.push(&name, value);
        }
    }
    if photos.len() > MAX_PHOTOS {
        return Err((f, err("photos", format!("最多上传{MAX_PHOTOS}张照片，您选择了{}张", photos.len()))));
    }
    let mut out = vec![];
    for (i, p) in photos.into_iter().enumerate() {
        if p.len() > MAX_PHOTO_BYTES {
            let mb = p.len() as f64 / 1024.0 / 1024.0;
            return Err((f, err("photos", format!("第{}张照片为{mb:.1}MB，每张不能超过5MB", i + 1))));
        }
        let Some(kind) = photo_kind(&p) else {
            return Err((f, err("photos", format!("第{}张不是JPEG、PNG或WebP格式的图片", i + 1))));
        };
        out.push((p, kind));
    }
    Ok((f, out))
}

/// The appeal the form describes, or what is wrong with it.
pub(crate) fn intake_from(state: &AppState, f: &Fields, channel: Channel) -> Result<IntakeInput, FieldError> {
    let r = state.app.reference();
    let appeal_type: AppealType = serde_json::from_value(serde_json::Value::String(f.get("appeal_type").into()))
        .map_err(|_| err("appeal_type", "请选择诉求类型"))?;
    let point = match (f.opt("lon"), f.opt("lat")) {
        (Some(lon), Some(lat)) => {
            let p = lon.parse::<f64>().ok().zip(lat.parse::<f64>().ok()).and_then(|(x, y)| Point::parse(x, y).ok());
            Some(p.ok_or_else(|| err("area", "地图上的位置无效，请重新点选"))?)
        }
        _ => None,
    };
    let area = match f.opt("area") {
        Some(a) => {
            let code = UnitCode::parse(&a).ok().filter(|c| r.org.get(c).is_some());
            Some(code.ok_or_else(|| err("area", "所选社区或网格不存在，请重新选择"))?)
        }
        None => None,
    };
    let citizen = if f.has("anonymous", "1") {
        None
    } else {
        if f.opt("phone").is_none() && channel == Channel::Web {
            return Err(err("citizen.phone", "请填写手机号（查询进度时需要），或勾选“匿名反映”"));
        }
        Some(CitizenInput { name: f.opt("name"), phone: f.opt("phone"), id_number: None, contact: f.opt("contact") })
    };
    let urgency: Urgency =
        serde_json::from_value(serde_json::Value::String(f.get("urgency").into())).unwrap_or(Urgency::Normal);
    Ok(IntakeInput {
        channel,
        appeal_type,
        urgency,
        title: f.opt("title"),
        text: f.get("text").to_owned(),
        // A point picked on the map wins; the chosen area is kept when no point is.
        location: Location { point, address: f.opt("address"), area: if point.is_some() { None } else { area } },
        citizen,
        attachments: vec![],
        category: None,
        private: f.has("private", "1"),
    })
}

/// The message and field of an error from the app, for the form.
pub(crate) fn field_of(state: &AppState, e: &ApiError) -> FieldError {
    (e.field.clone().unwrap_or_default(), say(e, &state.app.reference()))
}

pub async fn submit_appeal(State(state): State<AppState>, mp: Multipart) -> Response {
    let (f, photos) = match read_multipart(mp).await {
        Ok(x) => x,
        Err((f, e)) => return render_portal(&state, &f, Some(e), StatusCode::UNPROCESSABLE_ENTITY),
    };
    let mut input = match intake_from(&state, &f, Channel::Web) {
        Ok(i) => i,
        Err(e) => return render_portal(&state, &f, Some(e), StatusCode::UNPROCESSABLE_ENTITY),
    };
    let mut saved = vec![];
    if !photos.is_empty() {
        let Some(dir) = state.uploads_dir.clone() else {
            let e = err("photos", "本站暂不接收照片，请去掉照片后提交");
            return render_portal(&state, &f, Some(e), StatusCode::UNPROCESSABLE_ENTITY);
        };
        for (bytes, kind) in photos {
            match save_upload(&dir, &bytes, kind).await {
                Ok((attachment, path)) => {
                    saved.push(path);
                    input.attachments.push(attachment);
                }
                Err(e) => {
                    tracing::error!(error = %e, dir = %dir.display(), "storing an uploaded photo");
                    let e = err("photos", "照片保存失败，请稍后重试或去掉照片后提交");
                    return render_portal(&state, &f, Some(e), StatusCode::INTERNAL_SERVER_ERROR);
                }
            }
        }
    }
    match state.app.intake(&Actor::Citizen, &input).await.map_err(ApiError::from) {
        Ok(receipt) => {
            let mut resp = Redirect::to("/receipt").into_response();
            let c = format!(
                "{RECEIPT_COOKIE}={}.{}; Path=/receipt; Max-Age=1800; HttpOnly; SameSite=Strict",
                receipt.case_id,
                receipt.tracking_code.as_str()
            );
            resp.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&c).expect("ascii"));
            resp
        }
        Err(e) => {
            for p in saved {
                let _ = tokio::fs::remove_file(p).await;
            }
            render_portal(&state, &f, Some(field_of(&state, &e)), e.status)
        }
    }
}

/// After a submission (PRG): the case number and the tracking code, from a short-lived
/// cookie so neither appears in a URL or the browser history.
pub async fn show_receipt(headers: HeaderMap) -> Response {
    let Some((case, code)) = cookie(&headers, RECEIPT_COOKIE).and_then(|v| v.split_once('.')) else {
        return Redirect::to("/track").into_response();
    };
    let body = html! {
        section.card.receipt {
            h1 { "提交成功" }
            p { "您的诉求已受理，热线中心将尽快派给承办单位办理。请记下以下信息：" }
            dl.big {
                dt { "工单编号" } dd #case-id { (case) }
                dt { "查询码" } dd #tracking-code { (code) }
            }
            p { "凭查询码和您留下的手机号可在“进度查询”中查看办理进度和答复，并对办理结果作出评价。" }
            // The code goes in the fragment, which no server log or Referer header carries.
            p.actions { a.button.primary #track-link href={"/track#" (code)} { "查询进度" } " " a.button href="/" { "继续反映" } }
        }
    };
    html_response(StatusCode::OK, page("提交成功", Chrome::Portal, body))
}

// ---------------------------------------------------------------- track

#[derive(serde::Deserialize)]
pub struct TrackQuery {
    #[serde(default)]
    code: String,
}

pub async fn show_track(Query(q): Query<TrackQuery>) -> Response {
    let mut f = Fields::default();
    f.push("tracking_code", q.code);
    render_track_form(&f, None, StatusCode::OK)
}

fn render_track_form(f: &Fields, e: Option<FieldError>, status: StatusCode) -> Response {
    let e = e.as_ref();
    let body = html! {
        section.card {
            h1 { "进度查询" }
            p { "输入提交诉求时得到的查询码和留下的手机号。匿名诉求只需查询码。" }
            @if let Some((_, msg)) = e { div.alert role="alert" { (msg) } }
            form method="post" action="/track" {
                div.field {
                    label for="tracking_code" { "查询码" }
                    input #tracking_code name="tracking_code" required autocapitalize="characters" autocomplete="off"
                        maxlength="16" value=(f.get("tracking_code")) aria-invalid=[e.map(|_| "true")];
                }
                div.field {
                    label for="phone" { "手机号" }
                    input #phone name="phone" type="tel" inputmode="tel" autocomplete="tel" maxlength="20" value=(f.get("phone"));
                }
                div.actions { button.primary type="submit" { "查询" } }
            }
        }
        section.card #resend {
            h2 { "忘记查询码？" }
            p { "输入工单编号和提交时留下的手机号，查询码将以短信发送到该手机。" }
            form method="post" action="/track/resend" {
                div.field {
                    label for="resend_case" { "工单编号" }
                    input #resend_case name="case_id" required autocapitalize="characters" autocomplete="off" maxlength="20";
                }
                div.field {
                    label for="resend_phone" { "手机号" }
                    input #resend_phone name="phone" type="tel" inputmode="tel" autocomplete="tel" maxlength="20" required;
                }
                div.actions { button type="submit" { "发送查询码" } }
            }
        }
    };
    html_response(status, page("进度查询", Chrome::Portal, body))
}

/// 忘记查询码: the same answer whether or not the case and phone match.
pub async fn resend_code(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    axum::Form(f): axum::Form<Fields>,
) -> Response {
    let (case, phone, address) = (f.get("case_id").to_owned(), f.get("phone").to_owned(), addr.0.clone());
    match state.run(move |app| app.resend_tracking_code(&case, &phone, address.as_deref())).await {
        Ok(()) => {
            let body = html! {
                section.card {
                    h1 { "已提交" }
                    p #resent role="status" { "如果工单编号与手机号相符，查询码将在几分钟内以短信发送到该手机。" }
                    p { a.button href="/track" { "返回进度查询" } }
                }
            };
            html_response(StatusCode::OK, page("补发查询码", Chrome::Portal, body))
        }
        Err(e) => UiError(e).into_response(),
    }
}

pub async fn track_appeal(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    axum::Form(f): axum::Form<Fields>,
) -> Response {
    show_tracked(&state, &addr, f, None, None).await
}

/// Looks the appeal up again and shows it, with a message after a callback.
async fn show_tracked(
    state: &AppState,
    addr: &crate::security::ClientAddr,
    f: Fields,
    e: Option<FieldError>,
    thanks: Option<&str>,
) -> Response {
    let address = addr.0.clone();
    let code = f.get("tracking_code").trim().to_uppercase();
    let phone = f.get("phone").trim().to_owned();
    let (c, p) = (code.clone(), phone.clone());
    let found = state
        .run(move |app| {
            let (v, photos, reply_photos) = app.track_with_attachments(&c, &p, address.as_deref())?;
            let id = v.case_id.clone();
            Ok((v, id, photos, reply_photos))
        })
        .await;
    let (view, id, photos, reply_photos) = match found {
        Ok(x) => x,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            let e = err("tracking_code", "查询码或手机号不正确，请核对后重试");
            return render_track_form(&f, Some(e), StatusCode::NOT_FOUND);
        }
        Err(e) => return UiError(e).into_response(),
    };
    let urls: Vec<String> = photos.iter().filter_map(|a| citizen_photo_url(state, &id, a)).collect();
    let reply_urls: Vec<String> = reply_photos.iter().filter_map(|a| citizen_photo_url(state, &id, a)).collect();
    let status = if e.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    // The place on the district map, as the citizen chose it.
    let map = view.location.point.as_ref().map(|p| district_map(&state.app.reference(), MapUse::Pin((p.lon, p.lat))));
    let body = track_result(&view, (&urls, &reply_urls), map, &code, &phone, &f, e, thanks);
    html_response(status, page("办理进度", Chrome::Portal, body))
}

#[allow(clippy::too_many_arguments)]
fn track_result(
    v: &PublicView,
    (photos, reply_photos): (&[String], &[String]),
    map: Option<Markup>,
    code: &str,
    phone: &str,
    f: &Fields,
    e: Option<FieldError>,
    thanks: Option<&str>,
) -> Markup {
    let e = e.as_ref();
    html! {
        @if let Some(t) = thanks { div.flash role="status" { (t) } }
        section.card.tracked {
            h1 { "办理进度" }
            dl.facts {
                dt { "工单编号" } dd #case-id { (v.case_id) }
                dt { "状态" } dd #status { span.status { (v.status_label) } @if let Some(o) = v.outcome { "（" (o) "）" } }
                dt { "类型" } dd { (v.appeal_type.label()) }
                dt { "受理时间" } dd { (fmt_time(v.accepted_at)) }
                @if let Some(u) = &v.unit_name { dt { "承办单位" } dd { (u) } }
                @if let Some(due) = v.reply_due { dt { "预计答复" } dd #reply-due { (fmt_time(due)) " 前" } }
                @if let Some(a) = &v.location.address { dt { "位置" } dd #place { (a) } }
            }
            @if let Some(t) = &v.title { h2 { (t) } }
            p.text { (v.text) }
            @if let Some(m) = map { div #track-map { (m) } }
            @if !photos.is_empty() {
                div.photos { @for (i, u) in photos.iter().enumerate() { a href=(u) { img src=(u) alt={"诉求照片 " (i + 1)} loading="lazy"; } } }
            }
        }
        @if let Some(reply) = &v.reply {
            section.card.reply {
                h2 { "办理答复" }
                @if let Some(at) = v.replied_at { p.muted { (fmt_time(at)) } }
                p #reply { (reply) }
                @if !reply_photos.is_empty() {
                    div.photos.reply-photos { @for (i, u) in reply_photos.iter().enumerate() { a href=(u) { img src=(u) alt={"处置后照片 " (i + 1)} loading="lazy"; } } }
                }
            }
        }
        @if v.can_answer_callback {
            section.card {
                h2 { "评价办理结果" }
                @if let Some((_, msg)) = e { div.alert role="alert" { (msg) } }
                form method="post" action="/track/callback" {
                    input type="hidden" name="tracking_code" value=(code);
                    input type="hidden" name="phone" value=(phone);
                    fieldset {
                        legend { "您反映的问题解决了吗？" }
                        div.choices {
                            label.choice { input type="radio" name="solved" value="yes" checked[f.get("solved") == "yes"]; "已解决" }
                            label.choice { input type="radio" name="solved" value="no" checked[f.get("solved") == "no"]; "未解决" }
                        }
                    }
                    fieldset {
                        legend { "您对办理结果满意吗？" }
                        div.choices {
                            @for (v, l) in [("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("unsatisfied", "不满意")] {
                                label.choice { input type="radio" name="satisfaction" value=(v) checked[f.get("satisfaction") == v]; (l) }
                            }
                        }
                    }
                    div.field {
                        label for="note" { "意见" span.opt { "（选填）" } }
                        textarea #note name="note" rows="3" maxlength="1000" { (f.get("note")) }
                    }
                    div.actions { button.primary type="submit" { "提交评价" } }
                }
            }
        }
        section.card {
            h2 { "办理过程" }
            ol.timeline {
                @for t in v.timeline.iter().rev() {
                    li { time { (fmt_time(t.at)) } span.actor { (t.actor) } span { (t.summary) } }
                }
            }
        }
        p { a href="/track" { "查询其他诉求" } }
    }
}

pub async fn answer_callback(
    State(state): State<AppState>,
    addr: crate::security::ClientAddr,
    axum::Form(f): axum::Form<Fields>,
) -> Response {
    let solved = match f.get("solved") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let satisfaction: Option<Satisfaction> =
        serde_json::from_value(serde_json::Value::String(f.get("satisfaction").into())).ok();
    let (Some(solved), Some(satisfaction)) = (solved, satisfaction) else {
        let msg = if solved.is_none() { "请选择问题是否已解决" } else { "请选择满意度" };
        return show_tracked(&state, &addr, f, Some(err("solved", msg)), None).await;
    };
    let code = f.get("tracking_code").trim().to_uppercase();
    let phone = f.get("phone").trim().to_owned();
    let note = f.opt("note");
    let answer = CallbackAnswer { solved, satisfaction };
    let address = addr.0.clone();
    match state.run(move |app| app.citizen_callback(&code, &phone, answer, note, address.as_deref())).await {
        Ok(_) => show_tracked(&state, &addr, f, None, Some("感谢您的评价！")).await,
        Err(e) => {
            let fe = field_of(&state, &e);
            show_tracked(&state, &addr, f, Some(fe), None).await
        }
    }
}

// ---------------------------------------------------------------- photos

/// How long a photo link on the tracking page works.
const PHOTO_LINK_HOURS: i64 = 24;

/// The tag of a citizen's photo link, valid until `expires` (Unix seconds).
fn photo_tag(state: &AppState, case: &str, file: &str, expires: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&state.app.config().digest_key).expect("hmac takes any key length");
    mac.update(format!("yiwang-photo:{case}/{file}@{expires}").as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// Refuses attachments that name files stored here (`uploads/…`): only the forms that
/// upload a file attach it, to the case they create, so no request can attach (and
/// then open) another case's photo.
pub(crate) fn refuse_stored_uploads(field: &str, names: &[String]) -> Result<(), ApiError> {
    if names.iter().any(|a| upload_name(a).is_some()) {
        return Err(ApiError::invalid(field, "不能引用本站已保存的文件：照片和材料请通过上传表单提交"));
    }
    Ok(())
}

/// The file name of an attachment stored by the portal or the console
/// ("uploads/<hex>.<ext>").
pub(crate) fn upload_name(attachment: &str) -> Option<&str> {
    let name = attachment.strip_prefix("uploads/")?;
    let (stem, ext) = name.split_once('.')?;
    let ok = stem.len() == 32
        && stem.bytes().all(|b| b.is_ascii_hexdigit())
        && matches!(ext, "jpg" | "png" | "webp" | "pdf");
    ok.then_some(name)
}

/// A link the citizen who proved the tracking code may open, for a day.
fn citizen_photo_url(state: &AppState, case: &CaseId, attachment: &str) -> Option<String> {
    let name = upload_name(attachment)?;
    let expires = (state.app.now() + chrono::Duration::hours(PHOTO_LINK_HOURS)).timestamp();
    Some(format!("/uploads/{case}/{name}?t={}&e={expires}", photo_tag(state, case.as_str(), name, expires)))
}

/// A link for staff (their session decides).
pub(crate) fn staff_photo_url(case: &CaseId, attachment: &str) -> Option<String> {
    Some(format!("/uploads/{case}/{}", upload_name(attachment)?))
}

#[derive(serde::Deserialize)]
pub struct PhotoQuery {
    #[serde(default)]
    t: String,
    /// When the link stops working (Unix seconds).
    #[serde(default)]
    e: i64,
}

/// A stored photo or evidence file: to staff who may see the case, or with the tag the tracking page
/// gave the citizen; to anyone else it does not exist.
pub async fn get_upload(
    State(state): State<AppState>,
    Path((case, file)): Path<(String, String)>,
    Query(q): Query<PhotoQuery>,
    headers: HeaderMap,
) -> Response {
    let not_found = || UiError(ApiError::new(StatusCode::NOT_FOUND, "not_found", "没有这张照片")).into_response();
    let attachment = format!("uploads/{file}");
    let (Some(name), Ok(id), Some(dir)) = (upload_name(&attachment), CaseId::parse(&case), state.uploads_dir.clone())
    else {
        return not_found();
    };
    let allowed = if !q.t.is_empty() {
        q.e > state.app.now().timestamp() && q.t == photo_tag(&state, id.as_str(), name, q.e)
    } else {
        match StaffUser::from_headers(&state, &headers, "/console").await {
            Ok(u) => {
                let a = attachment.clone();
                state.run(move |app| app.case_attachments(&u.actor, &id)).await.is_ok_and(|files| files.contains(&a))
            }
            Err(_) => false,
        }
    };
    if !allowed {
        return not_found();
    }
    let Ok(bytes) = tokio::fs::read(dir.join(name)).await else {
        return not_found();
    };
    let ty = match file_kind(&bytes) {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("pdf") => "application/pdf",
        _ => "image/jpeg",
    };
    let mut r = bytes.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    r.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r.headers_mut().insert("content-security-policy", HeaderValue::from_static("sandbox"));
    r
}
