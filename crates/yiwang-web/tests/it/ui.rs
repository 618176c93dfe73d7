//! The browser pages, in-process: sessions, form tokens, refusals in Chinese that keep
//! what was typed, and who may see the dashboard. The whole story in a real browser is
//! in `tests/browser`.

use crate::harness::Api;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub(crate) async fn send(api: &Api, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = yiwang_web::router(api.app.clone()).oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
}

pub(crate) fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut r = Request::builder().uri(path);
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::empty()).unwrap()
}

pub(crate) fn post_form(path: &str, cookie: Option<&str>, form: &str) -> Request<Body> {
    let mut r =
        Request::builder().method("POST").uri(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::from(form.to_owned())).unwrap()
}

/// Logs in through the login form; returns the session cookie and the page's form token.
pub(crate) async fn console_login(api: &Api, user: &str) -> (String, String) {
    let form = format!("username={user}&password={}&next=%2Fconsole", yiwang_app::DEMO_PASSWORD);
    let (status, headers, _) = send(api, post_form("/console/login", None, &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let set = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let cookie = set.split(';').next().unwrap().to_owned();
    let (_, _, page) = send(api, get("/console/todo", Some(&cookie))).await;
    let token = page.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    (cookie, token)
}

#[tokio::test]
async fn console_pages_send_a_visitor_without_a_session_to_the_login_page() {
    let api = Api::new();
    let (status, headers, _) = send(&api, get("/console/dashboard", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/console/login?next=/console/dashboard");
}

#[tokio::test]
async fn a_wrong_password_is_said_in_chinese_and_the_username_is_kept() {
    let api = Api::new();
    let (status, _, page) = send(&api, post_form("/console/login", None, "username=operator1&password=nope")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("用户名或密码错误"));
    assert!(page.contains("value=\"operator1\""));
}

#[tokio::test]
async fn a_console_form_without_the_session_form_token_is_refused() {
    let api = Api::new();
    let (id, _) = api.citizen_appeal().await;
    let (cookie, token) = console_login(&api, "dispatcher1").await;
    let path = format!("/console/cases/{id}/act");
    let (status, _, _) = send(&api, post_form(&path, Some(&cookie), "action=dispatch&category=cxjs-02")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let form = format!("_csrf={token}&action=dispatch&category=cxjs-02");
    let (status, headers, _) = send(&api, post_form(&path, Some(&cookie), &form)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], format!("/console/cases/{id}?done=dispatch").as_str());
}

#[tokio::test]
async fn a_refused_action_is_shown_in_chinese_with_what_was_typed() {
    let api = Api::new();
    let (id, _) = api.citizen_appeal().await;
    let (cookie, token) = console_login(&api, "dispatcher1").await;
    let form = format!("_csrf={token}&action=merge&into=not-a-case");
    let (status, _, page) = send(&api, post_form(&format!("/console/cases/{id}/act"), Some(&cookie), &form)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("工单编号格式不正确"), "{page}");
    assert!(page.contains("value=\"NOT-A-CASE\"") || page.contains("value=\"not-a-case\""));
}

#[tokio::test]
async fn a_photo_that_is_not_a_picture_is_refused_and_the_text_is_kept() {
    let api = Api::new();
    let b = "XyZboundary";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"appeal_type\"\r\n\r\ncomplaint\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n楼道灯坏了\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"phone\"\r\n\r\n13812345678\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nnot a picture\r\n\
         --{b}--\r\n"
    );
    let req = Request::builder()
        .method("POST")
        .uri("/")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
        .body(Body::from(body))
        .unwrap();
    let (status, _, page) = send(&api, req).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("第1张不是JPEG、PNG或WebP格式的图片"), "{page}");
    assert!(page.contains("楼道灯坏了"));
}

#[tokio::test]
async fn only_the_centre_and_leaders_may_export_the_dashboard() {
    let api = Api::new();
    let (cookie, _) = console_login(&api, "cgw-handler").await;
    let (status, _, page) = send(&api, get("/console/dashboard/export.csv?table=by_street", Some(&cookie))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("仅供热线中心和区领导查看"));
    let (cookie, _) = console_login(&api, "leader1").await;
    let (status, headers, csv) = send(&api, get("/console/dashboard/export.csv?table=by_street", Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains(".csv"));
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("望湖街道"));
}

#[tokio::test]
async fn the_stylesheet_and_script_are_served_from_the_binary() {
    let api = Api::new();
    let (status, headers, css) = send(&api, get("/static/yiwang.css", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(css.contains("Noto Sans CJK SC"));
    let (status, _, _) = send(&api, get("/static/other.js", None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_citizen_answers_the_callback_on_the_tracking_page() {
    let api = Api::new();
    let (id, code) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    let cgw = api.login("cgw-handler").await;
    api.act_ok(&dispatcher, &id, serde_json::json!({"action": "dispatch", "category": "cxjs-02"})).await;
    api.act_ok(&cgw, &id, serde_json::json!({"action": "sign_for"})).await;
    api.act_ok(&cgw, &id, serde_json::json!({"action": "reply", "outcome": "resolved", "text": "路灯已修复"})).await;

    let phone = crate::harness::PHONE;
    let (status, _, page) = send(&api, post_form("/track", None, &format!("tracking_code={code}&phone={phone}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("路灯已修复") && page.contains("评价办理结果"), "{page}");
    // The wrong phone finds nothing, and says so without telling which part is wrong.
    let (status, _, page) =
        send(&api, post_form("/track", None, &format!("tracking_code={code}&phone=13900000000"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("查询码或手机号不正确"));
    // Forgetting the satisfaction is said, and the choice made is kept.
    let form = format!("tracking_code={code}&phone={phone}&solved=yes");
    let (status, _, page) = send(&api, post_form("/track/callback", None, &form)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请选择满意度"));
    assert!(page.contains("value=\"yes\" checked"), "{page}");
    let form = format!("tracking_code={code}&phone={phone}&solved=yes&satisfaction=satisfied");
    let (status, _, page) = send(&api, post_form("/track/callback", None, &form)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("感谢您的评价") && page.contains("已办结"), "{page}");
}

/// The dashboard's overdue cases per unit count every one of them: more than a page of
/// a list (the store's lists stop at 500 rows, and the count once came from one).
#[tokio::test]
async fn the_dashboard_counts_every_overdue_case() {
    use yiwang_core::id::{UnitCode, Username};
    use yiwang_core::org::{Actor, Role, UnitKind};
    let api = Api::new();
    for _ in 0..501 {
        api.citizen_appeal().await;
    }
    // Not dispatched within 24 hours: every one is red at the centre.
    api.step(chrono::Duration::hours(25));
    api.app.tick().unwrap();
    let operator = Actor::Staff {
        username: Username::parse("operator1").unwrap(),
        unit: UnitCode::parse("centre").unwrap(),
        unit_kind: UnitKind::Centre,
        roles: vec![Role::Operator],
    };
    let d = api.app.dashboard(&operator, 30, "2026-11").unwrap();
    let centre = d.overdue.iter().find(|c| c.key == "centre").map(|c| c.count);
    assert_eq!(centre, Some(501), "{:?}", d.overdue);
    assert_eq!(d.total, 501);
}

/// After 受理 the operator gets an empty form for the next call, with the case number
/// and the tracking code to read out; the case page still never shows the code.
#[tokio::test]
async fn the_operator_reads_the_tracking_code_from_the_confirmation_and_takes_the_next_call() {
    let api = Api::new();
    let (cookie, csrf) = console_login(&api, "operator1").await;
    let form = format!(
        "_csrf={csrf}&phone=13900002222&name=%E7%8E%8B%E4%BA%94&appeal_type=help&text={}&then=intake",
        form_urlencoded::byte_serialize("小区门口井盖丢失，夜里有人差点踩空。".as_bytes()).collect::<String>()
    );
    let (s, headers, _) = send(&api, post_form("/console/intake", Some(&cookie), &form)).await;
    // Post, redirect, get: a refresh registers nothing twice.
    assert_eq!((s, headers["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console/intake"));
    let done = headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let (s, headers, page) = send(&api, get("/console/intake", Some(&format!("{cookie}; {done}")))).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"), "shown once");
    let confirmation = page.split("id=\"intake-confirmation\"").nth(1).expect("a confirmation");
    let case_id = confirmation.split("/console/cases/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let code = confirmation.split("id=\"tracking-code\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let stored = api
        .blocking({
            let id = case_id.clone();
            move |app| app.store().load(&yiwang_core::id::CaseId::parse(&id).unwrap()).unwrap().unwrap().project()
        })
        .await;
    assert_eq!(stored.header.tracking_code.as_deref(), Some(code.as_str()));
    assert_eq!(stored.header.title.as_deref(), Some("小区门口井盖丢失，夜里有人差点踩空"), "titled from its text");
    assert!(!page.contains("13900002222") && !page.contains("井盖丢失"), "the form is empty for the next call");
    let (_, _, case_page) = send(&api, get(&format!("/console/cases/{case_id}"), Some(&cookie))).await;
    assert!(case_page.contains(&case_id) && !case_page.contains(&code), "the case page never shows the code");
}

/// A handler's console opens on the queue with work in it, not on an empty first tab.
#[tokio::test]
async fn a_handler_lands_on_the_queue_with_work_in_it() {
    let api = Api::new();
    let (id, _) = api.citizen_appeal().await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &id, serde_json::json!({"action": "dispatch", "category": "cxjs-02"})).await;
    let handler = api.login("cgw-handler").await;
    api.act_ok(&handler, &id, serde_json::json!({"action": "sign_for"})).await;
    let (cookie, _) = console_login(&api, "cgw-handler").await;
    let (s, _, page) = send(&api, get("/console", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    let current = page.split("aria-current=\"page\"").nth(2).expect("a current tab after the current section");
    assert!(current.split("</a>").next().unwrap().contains("办理中"), "{page}");
    assert!(page.contains(&id));
}

/// The console searches by keyword, category, status, street and date, within what
/// the staff member may see; the queue pages carry the same form.
#[tokio::test]
async fn the_console_searches_by_keyword_category_status_street_and_date() {
    let api = Api::new();
    let (id, _) = api.citizen_appeal().await;
    let (cookie, _) = console_login(&api, "dispatcher1").await;
    let (_, _, queues) = send(&api, get("/console", Some(&cookie))).await;
    assert!(queues.contains("id=\"case-search\""), "the queue page has the search form");
    let found = |path: String| {
        let cookie = cookie.clone();
        let api = &api;
        async move {
            let (s, _, page) = send(api, get(&path, Some(&cookie))).await;
            assert_eq!(s, StatusCode::OK, "{path}: {page}");
            page
        }
    };
    let q = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    // The demo's appeal lies in 望湖街道 (st-wh), accepted 2026-11-16, status accepted.
    for hit in [
        format!("/console/search?q={}", q("路灯")),
        format!("/console/search?q={}&street=st-wh&status=accepted", q("路灯")),
        "/console/search?from=2026-11-16&to=2026-11-16".to_owned(),
    ] {
        assert!(found(hit.clone()).await.contains(&id), "{hit}");
    }
    for miss in [
        format!("/console/search?q={}", q("井盖")),
        "/console/search?status=closed".to_owned(),
        "/console/search?street=st-yx".to_owned(),
        "/console/search?from=2026-11-17".to_owned(),
    ] {
        assert!(!found(miss.clone()).await.contains(&id), "{miss}");
    }
    let (s, _, _) = send(&api, get("/console/search?from=2026-13-01", Some(&cookie))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // A unit sees only what it may: nothing dispatched to it yet.
    let (handler, _) = console_login(&api, "cgw-handler").await;
    let (_, _, page) = send(&api, get(&format!("/console/search?q={}", q("路灯")), Some(&handler))).await;
    assert!(!page.contains(&id));
}

/// Staff who meet an error in the console see it as a page under the console's
/// header (their name, the way back); a browser never gets JSON for a page address.
#[tokio::test]
async fn staff_error_pages_keep_the_console_header() {
    let api = Api::new();
    let (cookie, _) = console_login(&api, "cgw-handler").await;
    for (path, status, words) in [
        ("/console/cases/YW20990101000001", StatusCode::NOT_FOUND, "找不到页面"),
        ("/console/nowhere", StatusCode::NOT_FOUND, "没有这个页面"),
        ("/console/dashboard", StatusCode::FORBIDDEN, "无权访问"),
    ] {
        let (s, headers, page) = send(&api, get(path, Some(&cookie))).await;
        assert_eq!(s, status, "{path}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        assert!(
            page.contains(words) && page.contains("工作台导航") && page.contains("href=\"/console\""),
            "{path}: {page}"
        );
    }
    // Without a session the same address is a plain page; an API address stays JSON.
    let (s, _, page) = send(&api, get("/nowhere", None)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(page.contains("没有这个页面") && !page.contains("工作台导航"));
    let (s, headers, _) = send(&api, get("/api/v1/nowhere", None)).await;
    assert_eq!((s, headers["content-type"].to_str().unwrap()), (StatusCode::NOT_FOUND, "application/json"));
}

/// What cannot be undone (答复, 退单, 合并, 结案, 直接办结) asks to be confirmed: the form
/// carries a required box, and the server refuses the action without it.
#[tokio::test]
async fn irreversible_actions_ask_to_be_confirmed() {
    let api = Api::new();
    let (id, _) = api.citizen_appeal().await;
    let (cookie, token) = console_login(&api, "dispatcher1").await;
    let (_, _, page) = send(&api, get(&format!("/console/cases/{id}"), Some(&cookie))).await;
    assert!(page.contains("id=\"merge-confirmed\"") && page.contains("确认执行"), "{page}");
    let form = format!("_csrf={token}&action=merge&into=YW20261116000099");
    let (s, _, page) = send(&api, post_form(&format!("/console/cases/{id}/act"), Some(&cookie), &form)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请勾选“确认执行”"), "{page}");
    let (_, _, after) = send(&api, get(&format!("/console/cases/{id}"), Some(&cookie))).await;
    assert!(!after.contains("重复件合并"), "nothing was done");
}

/// The dispatcher's merge form offers the likely duplicates instead of asking for a
/// typed number; the master's page lists every caller merged into it, and the
/// duplicate's page links its master.
#[tokio::test]
async fn the_merge_form_offers_candidates_and_the_master_lists_its_callers() {
    let api = Api::new();
    let (master, _) = api.citizen_appeal().await;
    let (dup, _) = api.citizen_appeal().await;
    let (cookie, token) = console_login(&api, "dispatcher1").await;
    let (_, _, page) = send(&api, get(&format!("/console/cases/{dup}"), Some(&cookie))).await;
    let form = page.split("id=\"action-merge\"").nth(1).expect("a merge form");
    assert!(form.contains(&format!("data-value=\"{master}\"")), "the master is offered: {form}");
    assert!(form.contains(&format!("<option value=\"{master}\"")), "and in the field's list");
    let body = format!("_csrf={token}&action=merge&into={master}&confirmed=1");
    let (s, _, _) = send(&api, post_form(&format!("/console/cases/{dup}/act"), Some(&cookie), &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&api, get(&format!("/console/cases/{master}"), Some(&cookie))).await;
    let listed = page.split("id=\"merged-callers\"").nth(1).expect("the merged callers");
    assert!(listed.contains(&dup) && listed.contains("张*"), "{listed}");
    let (_, _, page) = send(&api, get(&format!("/console/cases/{dup}"), Some(&cookie))).await;
    assert!(page.split("id=\"merged-into\"").nth(1).is_some_and(|p| p.contains(&master)), "{page}");
    assert!(page.contains("已并案"));
}

/// 网格巡查 in the console: a grid worker lands on the patrol page, starts a patrol,
/// the page's script sends route points, a problem is reported with a photo and a
/// place (an appeal waiting for dispatch), the patrol ends; the street's coverage page
/// shows the grid patrolled and the others 未巡查; the patrol's page draws its route.
#[tokio::test]
async fn a_grid_worker_patrols_from_the_console_and_the_street_sees_coverage() {
    let api = Api::new();
    let (cookie, token) = console_login(&api, "gd-yx-1-1-worker").await;
    let (s, headers, _) = send(&api, get("/console", Some(&cookie))).await;
    assert_eq!((s, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/console/patrol"));
    let (s, _, page) = send(&api, get("/console/patrol", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"start-patrol\"") && page.contains("网格巡查"), "{page}");
    let (s, _, _) = send(&api, post_form("/console/patrol/start", Some(&cookie), &format!("_csrf={token}"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&api, get("/console/patrol?done=started", Some(&cookie))).await;
    let id = page.split("data-patrol=\"").nth(1).expect("the running patrol").split('"').next().unwrap().to_owned();
    assert!(page.contains("已开始巡查") && page.contains("id=\"problem-form\""), "{page}");

    let points = r#"[{"lon":116.21,"lat":39.9,"at":"2026-11-16T01:00:10Z"},{"lon":116.21,"lat":39.901,"at":"2026-11-16T01:00:20Z"}]"#;
    let form =
        format!("_csrf={token}&points={}", form_urlencoded::byte_serialize(points.as_bytes()).collect::<String>());
    let (s, _, body) = send(&api, post_form(&format!("/console/patrol/{id}/track"), Some(&cookie), &form)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("\"points\":2"), "{body}");
    let (s, _, _) =
        send(&api, post_form(&format!("/console/patrol/{id}/track"), Some(&cookie), "_csrf=nope&points=[]")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the form token is checked");

    let jpeg: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9";
    let fields = [
        ("_csrf", token.as_str()),
        ("text", "路口井盖破损"),
        ("lon", "116.21"),
        ("lat", "39.9005"),
        ("category", "cxjs-02"),
        ("fixed", "0"),
    ];
    let req = crate::task_pages::multipart(
        &format!("/console/patrol/{id}/problem"),
        &cookie,
        &fields,
        &[("photos", "井盖.jpg", jpeg)],
    );
    let uploads = tempfile::tempdir().unwrap();
    let (s, headers, page) = crate::task_pages::send_up(&api, uploads.path(), req).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&page));
    assert_eq!(std::fs::read_dir(uploads.path()).unwrap().count(), 1, "the photo is kept");
    assert_eq!(headers[header::LOCATION], "/console/patrol?done=reported");
    let (_, _, page) = send(&api, get("/console/patrol?done=reported", Some(&cookie))).await;
    let listed = page.split("id=\"patrol-problems\"").nth(1).expect("the problems found");
    assert!(listed.contains("已上报") && listed.contains("/console/cases/YW"), "{listed}");
    // An empty description is refused in Chinese, and the patrol goes on.
    let fields = [("_csrf", token.as_str()), ("text", " "), ("fixed", "1")];
    let req = crate::task_pages::multipart(&format!("/console/patrol/{id}/problem"), &cookie, &fields, &[]);
    let (s, _, page) = send(&api, req).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("不能为空") || page.contains("不符合要求"), "{page}");

    let (s, _, _) =
        send(&api, post_form(&format!("/console/patrol/{id}/end"), Some(&cookie), &format!("_csrf={token}"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&api, get("/console/patrol", Some(&cookie))).await;
    assert!(page.contains("id=\"start-patrol\""), "ended: a new one can start");

    let (street, _) = console_login(&api, "st-yx-handler").await;
    let (s, _, page) = send(&api, get("/console/patrols?month=2026-11", Some(&street))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("巡查覆盖") && page.contains("1</strong> / 12"), "{page}");
    assert!(page.contains("未巡查") && page.contains("白晨曦"), "{page}");
    let (s, _, page) = send(&api, get(&format!("/console/patrols/{id}"), Some(&street))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("polyline class=\"route\"") && page.contains("路口井盖破损"), "{page}");
    let (handler, _) = console_login(&api, "cgw-handler").await;
    let (s, _, _) = send(&api, get("/console/patrols", Some(&handler))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a department does not see the grids' coverage");
    let (s, _, _) = send(&api, get(&format!("/console/patrols/{id}"), Some(&handler))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// As the operator types, the hints come as a fragment (no reload): leaf categories,
/// the likely duplicate with 受理并合并到此件 for a dispatcher, knowledge-base answers.
/// Pressed, the call is registered and merged into that case at once.
#[tokio::test]
async fn intake_hints_come_as_a_fragment_and_a_duplicate_is_merged_with_one_key() {
    let api = Api::new();
    let (master, _) = api.citizen_appeal().await;
    let (cookie, token) = console_login(&api, "dispatcher1").await;
    let text =
        form_urlencoded::byte_serialize("湖畔路望湖公园北门路灯一周不亮，晚上很黑".as_bytes()).collect::<String>();
    let form = format!("_csrf={token}&text={text}&address=%E6%B9%96%E7%95%94%E8%B7%AF");
    let (s, _, fragment) = send(&api, post_form("/console/intake/hints", Some(&cookie), &form)).await;
    assert_eq!(s, StatusCode::OK, "{fragment}");
    assert!(!fragment.contains("<html") && fragment.contains("data-apply-category=\"cxjs-02\""), "{fragment}");
    let merge = format!("value=\"merge:{master}\"");
    assert!(fragment.contains(&merge) && fragment.contains("accesskey=\"m\""), "{fragment}");
    let (s, _, _) =
        send(&api, post_form("/console/intake/hints", Some(&cookie), &format!("_csrf=nope&text={text}"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the form token is checked");
    let (operator, op_token) = console_login(&api, "operator1").await;
    let (_, _, fragment) =
        send(&api, post_form("/console/intake/hints", Some(&operator), &format!("_csrf={op_token}&text={text}"))).await;
    assert!(!fragment.contains("value=\"merge:"), "an operator without the dispatcher's role does not merge");

    let form = format!("_csrf={token}&phone=13900003333&appeal_type=complaint&text={text}&then=merge%3A{master}");
    let (s, headers, _) = send(&api, post_form("/console/intake", Some(&cookie), &form)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let done = headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let (_, _, page) = send(&api, get("/console/intake", Some(&format!("{cookie}; {done}")))).await;
    let confirmation = page.split("id=\"intake-confirmation\"").nth(1).expect("a confirmation");
    assert!(confirmation.contains("并入主工单"), "{confirmation}");
    let (_, _, page) = send(&api, get(&format!("/console/cases/{master}"), Some(&cookie))).await;
    assert!(page.contains("id=\"merged-callers\""), "the master lists the new caller");
}
