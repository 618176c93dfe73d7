//! 证照核验 in the console (`/console/verify`): the one page of a 核验员
//! (`Role::Verifier`). They paste what a scanner read from a certificate's QR code
//! (`YW1:…`), or upload the certificate file, and see whether the district signed it,
//! what it says (the holder as the certificate shows them) and its live status —
//! nothing of any case, queue or person beyond it (`App::verify_presented`).

use super::{Chrome, StaffUser, UiResult, fmt_time, html_response, page};
use crate::AppState;
use axum::extract::{FromRequest, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use yiwang_app::Verification;

/// The largest request: a certificate file is a few KiB; a QR code holds under 3 KiB.
pub const LIMIT: usize = 256 * 1024;

pub async fn show_verify(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match StaffUser::verifier(&state, &headers, "/console/verify").await {
        Ok(u) => render(&u, "", None, None, StatusCode::OK),
        Err(r) => r,
    }
}

pub async fn verify(State(state): State<AppState>, req: axum::extract::Request) -> UiResult {
    let u = match StaffUser::verifier(&state, req.headers(), "/console/verify").await {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let mut mp = match Multipart::from_request(req, &state).await {
        Ok(mp) => mp,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let (mut csrf, mut text, mut file) = (String::new(), String::new(), Vec::new());
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let Ok(bytes) = field.bytes().await else {
                    return Ok(render(&u, "", None, Some("上传失败，请重试".into()), StatusCode::BAD_REQUEST));
                };
                match name.as_str() {
                    "_csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                    "presented" => text = String::from_utf8_lossy(&bytes).into_owned(),
                    "file" => file = bytes.to_vec(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return Ok(render(&u, "", None, Some("上传失败，请重试".into()), StatusCode::BAD_REQUEST)),
        }
    }
    u.check_csrf(&super::Fields(vec![("_csrf".into(), csrf)]))?;
    // An uploaded file wins over the text box.
    let presented = if file.is_empty() {
        text.clone()
    } else {
        match String::from_utf8(file) {
            Ok(t) => t,
            Err(_) => {
                let e = "上传的文件不是证照文件（应为 JSON 或二维码文本）".to_owned();
                return Ok(render(&u, &text, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY));
            }
        }
    };
    let actor = u.actor.clone();
    let input = presented.clone();
    Ok(match state.run(move |app| app.verify_presented(&actor, &input)).await {
        Ok(v) => render(&u, &text, Some(&v), None, StatusCode::OK),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            render(&u, &text, None, Some(e.message), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return Err(super::UiError(e)),
    })
}

fn render(u: &StaffUser, text: &str, v: Option<&Verification>, error: Option<String>, status: StatusCode) -> Response {
    let body = html! {
        section.card #verify {
            h1 { "电子证照核验" }
            p { "扫描证照二维码（扫码枪会把内容输入下框），或粘贴二维码内容（以 YW1: 开头），也可以上传证照文件。" }
            @if let Some(e) = &error { div.alert role="alert" #verify-error { (e) } }
            form method="post" action="/console/verify" enctype="multipart/form-data" {
                input type="hidden" name="_csrf" value=(u.csrf);
                div.field {
                    label for="presented" { "二维码内容或证照文件内容" }
                    textarea #presented name="presented" rows="4" autofocus spellcheck="false" autocomplete="off" { (text) }
                }
                div.field {
                    label for="file" { "或上传证照文件" span.opt { "（/api/v1/certificates/… 下载的 JSON，或存有二维码内容的文本）" } }
                    input #file name="file" type="file" accept=".json,.txt,application/json,text/plain";
                }
                div.actions { button.primary type="submit" { "核验" } }
            }
        }
        @if let Some(v) = v {
            @let d = &v.document;
            @let good = matches!(v.verdict, "valid");
            @let signed = v.verdict != "bad_signature";
            section.card #verify-result {
                h2 { "核验结果" }
                p #verify-verdict class={"verdict " (v.verdict)} { strong { (v.verdict_label) } }
                @if let (Some(at), Some(r)) = (v.revoked_at, &v.revoked_reason) { p.alert { "已于 " (fmt_time(at)) " 吊销：" (r) } }
                @if !signed { p.alert { "签名无效，以下内容不可信，请勿据此办理。" } }
                dl.facts {
                    dt { "证照类型" } dd { (d.type_name) }
                    dt { "证照编号" } dd #verify-number { (d.number) }
                    dt { "持证主体" } dd #verify-holder { (d.holder) @if let Some(c) = &d.holder_code { "（" (c) "）" } }
                    dt { "发证机关" } dd { (d.issuer) }
                    dt { "发证日期" } dd { (d.issued_on) }
                    dt { "有效期" } dd { (d.valid_from) " 至 " (d.valid_until.map(|x| x.to_string()).unwrap_or_else(|| "长期".into())) }
                    @for i in &d.items { dt { (i.label) } dd { (i.value) } }
                }
                p.hint {
                    @if v.form == "qr" { "出示形式：二维码（COSE 签名）" } @else { "出示形式：证照文件（JSON 签名）" }
                    "；签名密钥 " (v.key_id) "（" (v.alg) "）。"
                    @if good { "签名有效，在线状态有效。" }
                }
            }
        }
    };
    html_response(status, page("电子证照核验", Chrome::Console(u, "verify"), body))
}
