//! The 督查督办 pages, in-process: extraction from an uploaded file and the confirmed
//! rows becoming tasks, a report with evidence files and who may open them, the board
//! and its exports, and 我的待办 with its kind filter.

use crate::harness::Api;
use crate::ui::{console_login, get, post_form, send};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

const REPORT: &str = "2026年，全区新增城镇就业8000人，改造老旧小区15个，城镇调查失业率控制在3.8%以内。";
pub(crate) const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/// A multipart body: text fields, then files (field, file name, bytes).
pub(crate) fn multipart(
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> Request<Body> {
    let b = "TaskBoundary42";
    let mut body = vec![];
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    for (k, name, bytes) in files {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap()
}

/// As `send`, on a router that keeps uploads in `dir`.
pub(crate) async fn send_up(
    api: &Api,
    dir: &std::path::Path,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let config = yiwang_web::WebConfig { uploads_dir: Some(dir.to_owned()), ..Default::default() };
    let router = yiwang_web::router_with(api.app.clone(), &config);
    let resp = router.oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A task led by `lead`, opened over the API by an inspector.
async fn open_task(api: &Api, lead: &str) -> String {
    let token = api.login("inspector1").await;
    let task = json!({"tasks": [{
        "title": "城镇新增就业8000人", "task_type": "annual",
        "target": {"value": "8000", "unit": "人", "what": "城镇新增就业", "direction": "at_least", "source": REPORT},
        "lead": lead, "deadline": "2026-12-31"
    }]});
    let (s, v) = api.call("POST", "/api/v1/tasks", Some(&token), Some(task)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["ids"][0].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_inspector_extracts_targets_from_a_file_and_confirms_them_as_tasks() {
    let api = Api::new();
    let (cookie, token) = console_login(&api, "inspector1").await;
    let fields = [("_csrf", token.as_str()), ("document", "云溪区2026年政府工作报告"), ("text", "")];
    let (status, _, page) =
        send(&api, multipart("/console/targets", &cookie, &fields, &[("file", "报告.txt", REPORT.as_bytes())])).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for (i, v) in ["8000", "15", "3.8"].iter().enumerate() {
        assert!(page.contains(&format!("name=\"value_{i}\" value=\"{v}\"")), "row {i} holds {v}");
    }
    assert!(page.contains("name=\"title_3\""), "one empty row to add a target by hand");
    assert!(!page.contains("name=\"title_4\""));

    // An old Word file and an empty paste are refused in words.
    let (status, _, page) =
        send(&api, multipart("/console/targets", &cookie, &fields, &[("file", "报告.doc", b"\xD0\xCF\x11\xE0")])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("不支持旧版 .doc 文件"), "{page}");
    let (status, _, page) = send(&api, multipart("/console/targets", &cookie, &fields, &[])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请粘贴或上传工作报告的文字"), "{page}");

    // Confirming: the second row has no lead unit yet; the third is dropped.
    let rows = "count=4&deadline=2026-12-31&plan=quarterly&task_type=annual&document=report\
        &keep_0=1&title_0=%E5%B0%B1%E4%B8%9A8000%E4%BA%BA&value_0=8000&unit_0=%E4%BA%BA&direction_0=at_least&lead_0=rsj&co_0=mzj&source_0=s0&sum_0=1\
        &keep_1=1&title_1=%E6%94%B9%E9%80%A0%E5%B0%8F%E5%8C%BA15%E4%B8%AA&value_1=15&unit_1=%E4%B8%AA&direction_1=at_least&source_1=s1\
        &title_2=x&value_2=3.8&unit_2=%25&direction_2=at_most&lead_2=rsj";
    let (status, _, page) =
        send(&api, post_form("/console/targets/open", Some(&cookie), &format!("_csrf={token}&{rows}"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("第 2 项：请选择牵头单位"), "{page}");
    assert!(page.contains("value=\"改造小区15个\""), "what was typed is kept");
    assert!(api.app.task_queue(&inspector(), yiwang_app::TaskQueue::All, 10).unwrap().is_empty());

    let (status, headers, _) =
        send(&api, post_form("/console/targets/open", Some(&cookie), &format!("_csrf={token}&{rows}&lead_1=zjw")))
            .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/console/tasks?queue=all&done=opened:2");
    let tasks = api.app.task_queue(&inspector(), yiwang_app::TaskQueue::All, 10).unwrap();
    let mut got: Vec<_> = tasks.iter().map(|t| (t.title.clone(), t.lead.as_ref().unwrap().to_string())).collect();
    got.sort();
    assert_eq!(got, vec![("就业8000人".into(), "rsj".into()), ("改造小区15个".into(), "zjw".into())]);
    let jobs = tasks.iter().find(|t| t.title == "就业8000人").unwrap();
    let jobs = api.app.load_as::<yiwang_core::task::TaskKind>(&jobs.id).unwrap();
    assert!(jobs.sum_co_units, "the row said the co-units' values add up");
    assert_eq!(jobs.co_units.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>(), vec!["mzj"]);
    assert_eq!(jobs.milestones.len(), 0, "no quarter ends between today (11-16) and the deadline");

    // Only the 督查室 extracts and opens.
    let (cookie, _) = console_login(&api, "rsj-handler").await;
    let (status, _, _) = send(&api, get("/console/targets", Some(&cookie))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

fn inspector() -> yiwang_core::org::Actor {
    yiwang_core::org::Actor::Staff {
        username: yiwang_core::id::Username::parse("inspector1").unwrap(),
        unit: yiwang_core::id::UnitCode::parse("dcs").unwrap(),
        unit_kind: yiwang_core::org::UnitKind::Department,
        roles: vec![yiwang_core::org::Role::Inspector],
    }
}

#[tokio::test]
async fn evidence_is_stored_with_a_report_and_opened_only_by_who_may_see_the_task() {
    let api = Api::new();
    let dir = tempfile::tempdir().unwrap();
    let id = open_task(&api, "rsj").await;
    let (cookie, token) = console_login(&api, "rsj-handler").await;
    let act = format!("/console/tasks/{id}/act");
    let (status, headers, _) =
        send_up(&api, dir.path(), multipart(&act, &cookie, &[("_csrf", &token), ("action", "sign_for")], &[])).await;
    assert_eq!(
        (status, headers[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, format!("/console/tasks/{id}?done=sign_for").as_str())
    );

    let report = [("_csrf", token.as_str()), ("action", "report"), ("achieved", "8,200"), ("text", "全年目标已完成")];
    // A file that is neither a picture nor a PDF is refused, the text kept, nothing stored.
    let (status, _, page) =
        send_up(&api, dir.path(), multipart(&act, &cookie, &report, &[("evidence", "说明.exe", b"MZ\x90\0")])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&page).contains("不是 JPEG、PNG、WebP 图片或 PDF 文件"), "{}", text(&page));
    assert!(text(&page).contains("全年目标已完成"));
    assert_eq!(std::fs::read_dir(dir.path()).map(|d| d.count()).unwrap_or(0), 0);
    // A report refused by the task's rules leaves no file behind.
    let no_text = [("_csrf", token.as_str()), ("action", "report"), ("achieved", "1"), ("text", "")];
    let (status, _, _) =
        send_up(&api, dir.path(), multipart(&act, &cookie, &no_text, &[("evidence", "a.png", PNG)])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(std::fs::read_dir(dir.path()).map(|d| d.count()).unwrap_or(0), 0);

    let files: [(&str, &str, &[u8]); 2] =
        [("evidence", "现场.png", PNG), ("evidence", "统计表.pdf", b"%PDF-1.4 table")];
    let (status, _, _) = send_up(&api, dir.path(), multipart(&act, &cookie, &report, &files)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = send_up(&api, dir.path(), get(&format!("/console/tasks/{id}"), Some(&cookie))).await;
    let page = text(&page);
    let links: Vec<String> = page
        .split(&format!("href=\"/uploads/{id}/"))
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(links.len(), 2, "{page}");
    assert!(page.contains("累计完成 <strong>8200人</strong>"), "{page}");

    let png = links.iter().find(|l| l.ends_with(".png")).unwrap();
    let pdf = links.iter().find(|l| l.ends_with(".pdf")).unwrap();
    let (status, headers, bytes) = send_up(&api, dir.path(), get(&format!("/uploads/{id}/{png}"), Some(&cookie))).await;
    assert_eq!(
        (status, headers[header::CONTENT_TYPE].to_str().unwrap(), bytes.as_slice()),
        (StatusCode::OK, "image/png", PNG)
    );
    let (status, headers, _) = send_up(&api, dir.path(), get(&format!("/uploads/{id}/{pdf}"), Some(&cookie))).await;
    assert_eq!((status, headers[header::CONTENT_TYPE].to_str().unwrap()), (StatusCode::OK, "application/pdf"));
    let (inspector_cookie, _) = console_login(&api, "inspector1").await;
    let (status, _, _) = send_up(&api, dir.path(), get(&format!("/uploads/{id}/{png}"), Some(&inspector_cookie))).await;
    assert_eq!(status, StatusCode::OK);
    let (other, _) = console_login(&api, "zjw-handler").await;
    let (status, _, _) = send_up(&api, dir.path(), get(&format!("/uploads/{id}/{png}"), Some(&other))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another unit cannot open it");
    let (status, _, _) = send_up(&api, dir.path(), get(&format!("/uploads/{id}/{png}"), None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nor can anyone without a session");
}

#[tokio::test]
async fn the_board_and_its_exports_are_for_leaders_and_inspectors() {
    let api = Api::new();
    open_task(&api, "rsj").await;
    let (leader, _) = console_login(&api, "leader1").await;
    let (status, _, page) = send(&api, get("/console/board?year=2026", Some(&leader))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("城镇新增就业8000人") && page.contains("<h2>人社局 "), "{page}");
    let (status, headers, csv) = send(&api, get("/console/board/export.csv?year=2026", Some(&leader))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("yiwang-board-2026.csv"));
    assert!(csv.starts_with('\u{feff}') && csv.contains("城镇新增就业8000人,"), "{csv}");
    let (status, headers, _) = send(&api, get("/console/board/export.xlsx?year=2026", Some(&leader))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"));
    let (handler, _) = console_login(&api, "rsj-handler").await;
    for path in ["/console/board", "/console/board/export.csv"] {
        let (status, _, page) = send(&api, get(path, Some(&handler))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.contains("督查督办看板仅供区领导和督查室查看"), "{page}");
    }
    let (status, _, _) = send(&api, get("/console/board?year=1999", Some(&leader))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn my_todo_lists_every_kind_and_filters_by_kind() {
    let api = Api::new();
    let (appeal, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &appeal, json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let task = open_task(&api, "cgw").await;
    let (cookie, _) = console_login(&api, "cgw-handler").await;
    let (status, _, page) = send(&api, get("/console/todo", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("href=\"/console/cases/{appeal}\"")), "{page}");
    assert!(page.contains(&format!("href=\"/console/tasks/{task}\"")), "{page}");
    assert!(page.contains("督办任务 <span class=\"count\">1</span>"), "{page}");
    let (_, _, page) = send(&api, get("/console/todo?kind=task", Some(&cookie))).await;
    assert!(page.contains(&format!("/console/tasks/{task}")) && !page.contains(&format!("/console/cases/{appeal}")));
    let (status, _, page) = send(&api, get("/console/todo?kind=dragon", Some(&cookie))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("没有这类工作"), "{page}");
}

/// A photo a citizen uploads belongs to the case it came with: no JSON request may
/// attach it to another case or to a task's report, the citizen's link to it works
/// for a day, and the file is readable by its owner only.
#[tokio::test]
async fn uploaded_files_stay_with_their_case_and_citizens_links_expire() {
    let api = Api::new();
    let dir = tempfile::tempdir().unwrap();
    let uploads = dir.path().join("uploads");
    let fields = [("appeal_type", "help"), ("text", "楼道灯坏了"), ("phone", crate::harness::PHONE)];
    let (status, headers, _) = send_up(&api, &uploads, multipart("/", "", &fields, &[("photos", "a.png", PNG)])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let receipt = headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().split_once('=').unwrap().1;
    let (id, code) = receipt.split_once('.').unwrap();
    let case = yiwang_core::id::CaseId::parse(id).unwrap();
    let attachments = api.blocking(move |app| app.store().load(&case).unwrap().unwrap().attachments()).await;
    assert_eq!(attachments.len(), 1);
    let stored = &attachments[0];
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let name = stored.strip_prefix("uploads/").unwrap();
        assert_eq!(std::fs::metadata(uploads.join(name)).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(&uploads).unwrap().permissions().mode() & 0o777, 0o700);
    }

    let (s, e) = api
        .call(
            "POST",
            "/api/v1/appeals",
            None,
            Some(json!({"channel": "web", "appeal_type": "help", "text": "x", "attachments": [stored]})),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("attachments")), "{e}");
    let task = open_task(&api, "rsj").await;
    let rsj = api.login("rsj-handler").await;
    api.call("POST", &format!("/api/v1/tasks/{task}/actions"), Some(&rsj), Some(json!({"action": "sign_for"}))).await;
    let report = json!({"action": "report", "achieved": 10, "text": "进展", "evidence": [stored]});
    let (s, e) = api.call("POST", &format!("/api/v1/tasks/{task}/actions"), Some(&rsj), Some(report)).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("evidence")), "{e}");

    // The tracking page's link opens the photo for a day.
    let form = format!("tracking_code={code}&phone={}", crate::harness::PHONE);
    let (_, _, page) = send_up(&api, &uploads, post_form("/track", None, &form)).await;
    let page = text(&page);
    let link =
        format!("/uploads/{id}/{}", page.split(&format!("/uploads/{id}/")).nth(1).unwrap().split('"').next().unwrap())
            .replace("&amp;", "&");
    let (status, _, bytes) = send_up(&api, &uploads, get(&link, None)).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PNG), "{link}");
    api.step(chrono::Duration::hours(25));
    let (status, _, _) = send_up(&api, &uploads, get(&link, None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an expired link");
}
