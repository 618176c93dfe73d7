//! Photos of the work done (处置后照片) on a reply: uploaded for a case over the API or
//! in the console's reply form, cited by that case's reply alone, shown on the case
//! page and to the citizen on /track.

use crate::harness::{Api, Backend, code_of};
use crate::task_pages::{PNG, multipart, send_up, text};
use crate::ui::{console_login, get, post_form};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

/// A JSON call on a router that keeps uploads in `dir`.
async fn call(api: &Api, dir: &std::path::Path, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (s, _, b) = send_up(api, dir, req).await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// Uploads `bytes` as a photo for `case`.
async fn upload(api: &Api, dir: &std::path::Path, case: &str, token: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/appeals/{case}/photos"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "image/png")
        .body(Body::from(bytes.to_vec()))
        .unwrap();
    let (s, _, b) = send_up(api, dir, req).await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// Two appeals, both dispatched to 城管委 and signed for.
async fn two_handled(api: &Api) -> (String, String) {
    let dispatcher = api.login("dispatcher1").await;
    let handler = api.login("cgw-handler").await;
    let mut ids = vec![];
    for _ in 0..2 {
        let (id, _) = api.citizen_appeal().await;
        api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
        api.act_ok(&handler, &id, json!({"action": "sign_for"})).await;
        ids.push(id);
    }
    (ids.remove(0), ids.remove(0))
}

async fn a_reply_carries_photos_uploaded_for_its_own_case(backend: Backend) {
    let api = Api::on(backend);
    let dir = tempfile::tempdir().unwrap();
    let uploads = dir.path().join("uploads");
    let (a, b) = two_handled(&api).await;
    let handler = api.login("cgw-handler").await;

    let (s, v) = upload(&api, &uploads, &a, &handler, PNG).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let photo = v["photo"].as_str().unwrap().to_owned();
    let file = photo.strip_prefix("uploads/").expect("an upload name");
    assert!(file.ends_with(".png") && uploads.join(file).exists(), "{photo}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(uploads.join(file)).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // Only who may reply now uploads: the centre sees the case but does not answer
    // it; another unit does not see it at all; and the body must be a picture.
    let dispatcher = api.login("dispatcher1").await;
    assert_eq!(upload(&api, &uploads, &a, &dispatcher, PNG).await.0, StatusCode::FORBIDDEN);
    let other = api.login("swj-handler").await;
    assert_eq!(upload(&api, &uploads, &a, &other, PNG).await.0, StatusCode::NOT_FOUND);
    let (s, e) = upload(&api, &uploads, &a, &handler, b"not a picture").await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("photo")), "{e}");

    // The photo belongs to the case it was uploaded for: another case's reply may not
    // cite it, nor a name no upload for that case gave (a citizen's photo, say).
    let reply =
        |photos: Vec<&str>| json!({"action": "reply", "outcome": "resolved", "text": "已修复", "photos": photos});
    let foreign = format!("uploads/{}.jpg", "0".repeat(32));
    for names in [vec![photo.as_str()], vec![foreign.as_str()], vec!["https://example.com/a.jpg"]] {
        let (s, e) =
            call(&api, &uploads, &format!("/api/v1/appeals/{b}/actions"), &handler, reply(names.clone())).await;
        assert_eq!(
            (s, code_of(&e), e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Some("photos")),
            "{names:?}: {e}"
        );
    }
    // Nothing was recorded: b still waits for its reply.
    let (_, v) = api.call("GET", &format!("/api/v1/appeals/{b}"), Some(&handler), None).await;
    assert_eq!(v["appeal"]["status"], "handling");

    let (s, v) = call(&api, &uploads, &format!("/api/v1/appeals/{a}/actions"), &handler, reply(vec![&photo])).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["appeal"]["reply"]["photos"], json!([photo]));
    let kinds: Vec<&str> = v["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.last(), Some(&"replied"));
    assert_eq!(v["events"].as_array().unwrap().last().unwrap()["detail"]["photos"], json!([photo]));
    // The case's files now include it: staff who may see the case open it.
    let id = yiwang_core::id::CaseId::parse(&a).unwrap();
    let files = api.blocking(move |app| app.store().load(&id).unwrap().unwrap().attachments()).await;
    assert!(files.contains(&photo), "{files:?}");
}

on_both_stores!(a_reply_carries_photos_uploaded_for_its_own_case);

/// The console's reply form takes photos (multipart), stores them with the case,
/// shows them on the case page and to the citizen on /track.
#[tokio::test]
async fn the_reply_form_uploads_photos_shown_to_staff_and_the_citizen() {
    let api = Api::new();
    let dir = tempfile::tempdir().unwrap();
    let uploads = dir.path().join("uploads");
    let (id, code) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let (cookie, token) = console_login(&api, "cgw-handler").await;
    let act = format!("/console/cases/{id}/act");
    let (s, _, _) =
        send_up(&api, &uploads, post_form(&act, Some(&cookie), &format!("_csrf={token}&action=sign_for"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    let (_, _, page) = send_up(&api, &uploads, get(&format!("/console/cases/{id}"), Some(&cookie))).await;
    let page = text(&page);
    let form = page.split("id=\"action-reply\"").nth(1).expect("the reply form").split("</form>").next().unwrap();
    assert!(form.contains("enctype=\"multipart/form-data\"") && form.contains("name=\"photos\""), "{form}");

    // A file that is no picture is refused with what was typed kept, and nothing stored.
    let reply = [
        ("_csrf", token.as_str()),
        ("action", "reply"),
        ("outcome", "resolved"),
        ("text", "已更换灯泡"),
        ("confirmed", "1"),
    ];
    let (s, _, page) =
        send_up(&api, &uploads, multipart(&act, &cookie, &reply, &[("photos", "a.png", b"not a picture")])).await;
    let page = text(&page);
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("第1张不是JPEG、PNG或WebP格式的图片") && page.contains("已更换灯泡"), "{page}");
    assert!(!uploads.exists() || std::fs::read_dir(&uploads).unwrap().next().is_none(), "nothing stored");
    // Photos go with a reply only.
    let contact = [("_csrf", token.as_str()), ("action", "contact"), ("note", "已电话联系")];
    let (s, _, page) = send_up(&api, &uploads, multipart(&act, &cookie, &contact, &[("photos", "a.png", PNG)])).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&page).contains("只有答复可以附照片"));

    let (s, headers, _) = send_up(&api, &uploads, multipart(&act, &cookie, &reply, &[("photos", "a.png", PNG)])).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], format!("/console/cases/{id}?done=reply").as_str());
    let case = yiwang_core::id::CaseId::parse(&id).unwrap();
    let stored = api.blocking(move |app| app.store().load(&case).unwrap().unwrap()).await;
    let replied = stored.state::<yiwang_core::appeal::AppealKind>().and_then(|a| a.reply.clone()).expect("replied");
    let photos = replied.photos;
    assert_eq!(photos.len(), 1, "{photos:?}");
    let file = photos[0].strip_prefix("uploads/").unwrap().to_owned();

    // Staff see it on the 答复 card and open it.
    let (_, _, page) = send_up(&api, &uploads, get(&format!("/console/cases/{id}"), Some(&cookie))).await;
    let page = text(&page);
    let link = format!("/uploads/{id}/{file}");
    assert!(page.contains(&format!("href=\"{link}\"")) && page.contains("处置后照片 1"), "{page}");
    let (s, _, bytes) = send_up(&api, &uploads, get(&link, Some(&cookie))).await;
    assert_eq!((s, bytes.as_slice()), (StatusCode::OK, PNG));

    // The citizen sees it with the reply, through a link of their own.
    let form = format!("tracking_code={code}&phone={}", crate::harness::PHONE);
    let (_, _, page) = send_up(&api, &uploads, post_form("/track", None, &form)).await;
    let page = text(&page);
    assert!(page.contains("处置后照片 1"), "{page}");
    let link = format!(
        "/uploads/{id}/{file}{}",
        page.split(&format!("/uploads/{id}/{file}")).nth(1).unwrap().split('"').next().unwrap()
    )
    .replace("&amp;", "&");
    assert!(link.contains("?t="), "{link}");
    let (s, _, bytes) = send_up(&api, &uploads, get(&link, None)).await;
    assert_eq!((s, bytes.as_slice()), (StatusCode::OK, PNG), "{link}");
}
