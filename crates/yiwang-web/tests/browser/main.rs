//! The whole story in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven over WebDriver against the real server on 127.0.0.1:0
//! with the demo district. A screenshot of every step goes to
//! `target/screenshots/`.
//!
//! A citizen submits an appeal with a photo; the operator dispatches it; the
//! department signs for it, summons a co-unit (which reports in and answers its part)
//! and replies; the centre calls back; the citizen sees the outcome; the dashboard
//! counts it. Then 督查督办: the 督查室 pastes a work report and confirms its targets;
//! the lead unit finds the task in 我的待办 and signs for it; time passes and the
//! light turns red with a 督办通知; the unit answers and reports progress with a photo;
//! the inspector accepts it, the light turns green, and the task is closed off (销号).
//! Then 网格巡查 on a phone, and 一网通办: the window registers an application, asks
//! once for what is missing (补正, with the printed notice) and takes it in; it is
//! reviewed, decided, certified and delivered; the applicant reads the guide and rates
//! the application on a phone, badly; the department verifies and answers it.

mod applicant;
mod bundle;
mod supervision;
mod webdriver;

use chrono::{TimeZone, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use webdriver::Driver;
use yiwang_app::{App, AppConfig, ManualClock};
use yiwang_store::SqliteStore;

const PHONE: &str = "13812345678";
const PASSWORD: &str = yiwang_app::DEMO_PASSWORD;
const PHONE_W: u32 = 412;
const PHONE_H: u32 = 915;
const DESK_W: u32 = 1440;
const DESK_H: u32 = 900;

struct Server {
    base: String,
    app: Arc<App>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

async fn start_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::sealed(
            &dir.path().join("yiwang.sqlite"),
            yiwang_core::kinds(),
            yiwang_store::PersonalKeys::new(vec![("browser".into(), [3; 32])], "browser").unwrap(),
        )
        .unwrap(),
    );
    // Friday 2026-11-20 10:00 in China.
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap()));
    // The story steps the clock by hours between one user's steps: sessions end only
    // at their absolute end here (the idle end has an API test).
    let mut config = AppConfig::default();
    config.login.idle_minutes = 24 * 60;
    config.demo = true;
    let app = Arc::new(App::new(store, clock.clone(), config).unwrap());
    let seeding = app.clone();
    tokio::task::spawn_blocking(move || seeding.seed_demo().unwrap()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let uploads = dir.path().join("uploads");
    let config = yiwang_web::WebConfig { uploads_dir: Some(uploads), public_url: base.clone(), ..Default::default() };
    tokio::spawn(yiwang_web::serve_with(listener, app.clone(), config, async move {
        let _ = stopped.await;
    }));
    Server { base, app, clock, _dir: dir, stop: Some(stop) }
}

/// `target/screenshots/` of the workspace, emptied.
/// `target/screenshots/<story>`, emptied: each story (a test of its own, run beside
/// the others) keeps its screenshots apart.
fn screenshots_dir(story: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots").join(story);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

/// A small PNG (a red square on white), made here so the test needs no files.
fn photo_png() -> Vec<u8> {
    fn crc(data: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in data {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc(&body).to_be_bytes());
    }
    let n = 64u32;
    let mut raw = vec![];
    for y in 0..n {
        raw.push(0); // filter: none
        for x in 0..n {
            let inside = (16..48).contains(&x) && (16..48).contains(&y);
            raw.extend_from_slice(if inside { &[200, 30, 30] } else { &[255, 255, 255] });
        }
    }
    // zlib, one stored block.
    let mut z = vec![0x78, 0x01, 0x01];
    z.extend_from_slice(&(raw.len() as u16).to_le_bytes());
    z.extend_from_slice(&(!(raw.len() as u16)).to_le_bytes());
    z.extend_from_slice(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = vec![];
    ihdr.extend_from_slice(&n.to_be_bytes());
    ihdr.extend_from_slice(&n.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

impl Server {
    /// Lets some time pass between the steps, as in a real day.
    fn later(&self, minutes: i64) {
        self.clock.advance(chrono::Duration::minutes(minutes));
    }
}

async fn login(d: &mut Driver, base: &str, user: &str) {
    d.goto(&format!("{base}/console/login")).await;
    d.type_in("#username", user).await;
    d.type_in("#password", PASSWORD).await;
    d.click_to_load("button[type=submit]").await;
    d.find("header .who").await;
}

async fn logout(d: &Driver) {
    d.click_to_load("header .who button").await;
    d.find("#username").await;
}

/// Submits one action form of the case page and waits for the page after it.
/// Submits the action's form on the case page; an action that cannot be undone is
/// confirmed first, as a person must.
async fn act(d: &Driver, action: &str) {
    let confirm = format!("#action-{action} input[name=confirmed]");
    if d.script(&format!("return !!document.querySelector('{confirm}');"), vec![]).await.as_bool() == Some(true) {
        d.click(&confirm).await;
    }
    d.click_to_load(&format!("#action-{action} button[type=submit]")).await;
    d.find("#case-status").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_whole_story_runs_in_a_real_browser() {
    let mut server = start_server().await;
    let base = server.base.clone();
    let shots = screenshots_dir("story");
    let mut d = Driver::start(&shots).await;
    let leader = server.app.actor_for(&yiwang_core::org::Staff {
        username: yiwang_core::id::Username::parse("leader1").unwrap(),
        name: String::new(),
        unit: yiwang_core::id::UnitCode::parse("district").unwrap(),
        roles: vec![yiwang_core::org::Role::Leader],
    });
    // The demo's 一网通办 shows a department every state of its work.
    let statuses = |kind: &'static str| {
        let q = yiwang_store::CaseQuery { kind: Some(kind), limit: 500, ..Default::default() };
        let mut s: Vec<String> =
            server.app.store().list_cases(&q).unwrap().rows.into_iter().map(|r| r.status).collect();
        s.sort();
        s.dedup();
        s
    };
    let applications = statuses("application");
    for want in ["received", "supplementing", "under_review", "reviewed", "certifying", "done", "rejected", "withdrawn"]
    {
        assert!(applications.iter().any(|s| s == want), "the demo has no {want} application: {applications:?}");
    }
    let fixes = statuses("rating_fix");
    assert!(fixes.contains(&"closed".to_owned()) && fixes.contains(&"verifying".to_owned()), "{fixes:?}");
    // A year: the demo's few months stay inside the window while the story's days pass.
    let before = server.app.dashboard(&leader.unwrap(), 365, "2026-11").unwrap().total;

    // ---- The citizen, on a phone.
    d.size(PHONE_W, PHONE_H).await;
    d.goto(&format!("{base}/")).await;
    d.find("form.appeal").await;
    d.shot("portal").await;
    assert!(d.fits_width().await, "the portal scrolls sideways on a phone");

    // A form with a mistake keeps what was typed and says what is wrong.
    d.type_in("#name", "张三").await;
    d.type_in("#phone", PHONE).await;
    d.click_to_load("form.appeal button[type=submit]").await;
    d.find(".alert").await;
    assert!(d.text(".alert").await.contains("诉求内容"), "{}", d.text(".alert").await);
    assert_eq!(d.value("#phone").await, PHONE);
    d.full_shot("portal-error", PHONE_W, PHONE_H).await;

    d.type_in("#title", "湖畔路路灯不亮").await;
    d.type_in("#text", "湖畔路望湖公园北门以西路灯一周不亮，晚上很黑，老人孩子出行不安全。").await;
    let counter = d.text("#text + small.counter").await;
    assert_eq!(counter.trim(), "33 / 5000 字", "the length limit is shown with a counter");
    d.click("svg.district path.cell[data-unit=\"gd-wh-2-2\"]").await;
    assert!(d.text("#picked").await.contains("网格"), "clicking the map picks a grid");
    assert!(!d.value("#lon").await.is_empty(), "clicking the map fills the longitude");
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("photo.png");
    std::fs::write(&photo, photo_png()).unwrap();
    d.type_in("#photos", photo.to_str().unwrap()).await;
    d.full_shot("portal-filled", PHONE_W, PHONE_H).await;
    d.click_to_load("form.appeal button[type=submit]").await;
    let case_id = d.text("#case-id").await;
    let code = d.text("#tracking-code").await;
    assert!(case_id.starts_with("YW"), "{case_id}");
    assert!(!d.url().await.contains(&code), "the tracking code stays out of the URL");
    d.shot("receipt").await;
    // 查询进度 carries the code in the fragment and fills it in.
    d.click_to_load("#track-link").await;
    let url = d.url().await;
    assert!(url.ends_with(&format!("/track#{code}")) && !url.contains('?'), "in the fragment, never a query: {url}");
    assert_eq!(d.value("#tracking_code").await, code, "prefilled from the fragment");
    let stored = server
        .app
        .load_as::<yiwang_core::appeal::AppealKind>(&yiwang_core::id::CaseId::parse(&case_id).unwrap())
        .unwrap();
    assert_eq!(stored.attachments.len(), 1, "the photo is attached");
    assert_eq!(
        stored.location.area.as_ref().map(|a| a.as_str()),
        Some("gd-wh-2-2"),
        "the point lies in the grid clicked"
    );

    // ---- The dispatcher, at a desk.
    server.later(25);
    d.size(DESK_W, DESK_H).await;
    d.goto(&format!("{base}/console")).await;
    d.find("#username").await;
    d.shot("login").await;
    login(&mut d, &base, "dispatcher1").await;
    assert!(d.body_text().await.contains(&case_id), "the new appeal waits in 待派单");
    d.shot("queue-to-dispatch").await;
    d.goto(&format!("{base}/console/cases/{case_id}")).await;
    d.find("#action-dispatch").await;
    assert!(
        d.script("return document.querySelector('.photos img').naturalWidth;", vec![]).await.as_u64() > Some(0),
        "staff see the photo"
    );
    d.full_shot("case-accepted", DESK_W, DESK_H).await;
    // Dispatching without a category is refused in Chinese.
    assert!(d.text("#action-dispatch .suggest").await.contains("分类建议"), "the dispatcher sees suggestions");
    d.select("#dispatch-category", "").await;
    act(&d, "dispatch").await;
    assert!(d.text(".alert").await.contains("请选择诉求分类"));
    // The streetlight's leaf, applied with one click, with the unit it routes to.
    assert!(d.text("#action-dispatch .suggested li").await.contains("城市建设和市政管理 → 城管委"));
    d.click("#action-dispatch button[data-apply-category]").await;
    assert_eq!(d.value("#dispatch-category").await, "cxjs-02");
    assert_eq!(d.value("#dispatch-unit").await, "cgw");
    d.type_in("#dispatch-note", "请尽快修复路灯").await;
    act(&d, "dispatch").await;
    assert!(d.text("#case-status").await.contains("待签收"));
    assert!(d.text("#case-unit").await.contains("城管委"));
    d.shot("case-dispatched").await;
    logout(&d).await;

    // ---- The department: sign for, contact, summon the street.
    server.later(40);
    login(&mut d, &base, "cgw-handler").await;
    assert!(d.body_text().await.contains(&case_id), "the case waits in 待签收");
    d.shot("queue-to-sign").await;
    d.goto(&format!("{base}/console/cases/{case_id}")).await;
    act(&d, "sign_for").await;
    assert!(d.text("#case-status").await.contains("办理中"));
    d.type_in("#contact-note", "已电话联系诉求人，说明将于三日内修复").await;
    act(&d, "contact").await;
    server.later(30);
    d.click("#action-summon summary").await;
    d.click("#action-summon input[value=\"st-wh\"]").await;
    d.type_in("#summon-note", "请望湖街道协助排查线路").await;
    act(&d, "summon").await;
    d.full_shot("case-summoned", DESK_W, DESK_H).await;
    // Replying before the co-unit has answered is refused, and the text is kept.
    d.type_in("#reply-text", "已更换路灯线路，路灯恢复正常。").await;
    act(&d, "reply").await;
    assert!(d.text(".alert").await.contains("协办单位尚未全部答复"));
    assert_eq!(d.value("#reply-text").await, "已更换路灯线路，路灯恢复正常。");
    d.shot("reply-refused").await;
    logout(&d).await;

    // ---- The co-unit reports in and answers its part.
    server.later(90);
    login(&mut d, &base, "st-wh-handler").await;
    d.goto(&format!("{base}/console/cases/{case_id}")).await;
    act(&d, "report_in").await;
    d.type_in("#answer_part-text", "街道已配合排查，线路老化点位已告知城管委").await;
    act(&d, "answer_part").await;
    d.shot("co-unit-answered").await;
    logout(&d).await;

    // ---- The department replies.
    server.later(24 * 60);
    login(&mut d, &base, "cgw-handler").await;
    d.goto(&format!("{base}/console/cases/{case_id}")).await;
    d.type_in("#reply-text", "已更换路灯线路，路灯恢复正常。").await;
    act(&d, "reply").await;
    assert!(d.text("#case-status").await.contains("待回访"));
    d.shot("replied").await;
    logout(&d).await;

    // ---- The centre calls back; the phone number is revealed on purpose.
    server.later(3 * 60);
    login(&mut d, &base, "operator1").await;
    d.goto(&format!("{base}/console?queue=to_callback")).await;
    assert!(d.body_text().await.contains(&case_id), "the case waits in 待回访");
    d.shot("queue-to-callback").await;
    d.goto(&format!("{base}/console/cases/{case_id}")).await;
    assert!(!d.body_text().await.contains(PHONE), "the phone number is masked");
    d.click_to_load("form.inline button").await;
    assert_eq!(d.text("#phone-full").await, PHONE);
    d.click("#action-callback input[name=solved][value=yes]").await;
    d.click("#action-callback input[name=satisfaction][value=satisfied]").await;
    d.type_in("#callback-note", "诉求人表示路灯已亮").await;
    act(&d, "callback").await;
    assert!(d.text("#case-status").await.contains("已办结"));
    d.full_shot("called-back", DESK_W, DESK_H).await;
    // The case printed: the district, the time, no buttons.
    d.goto(&format!("{base}/console/cases/{case_id}/print")).await;
    d.find("body.print-view").await;
    assert!(d.body_text().await.contains(&case_id));
    assert_eq!(d.script("return document.querySelectorAll('button, form, nav').length;", vec![]).await, 0);
    d.full_shot("case-print", DESK_W, DESK_H).await;
    // 工单检索 finds it by a word of its text.
    d.goto(&format!("{base}/console/search")).await;
    d.type_in("#q", "路灯").await;
    d.click_to_load("#case-search button[type=submit]").await;
    assert!(d.body_text().await.contains(&case_id), "the search finds the case");
    d.shot("search").await;
    // 通知记录: the citizen was told at each step.
    d.goto(&format!("{base}/console/outbox")).await;
    let outbox = d.body_text().await;
    assert!(outbox.contains("受理通知") && outbox.contains("答复通知") && outbox.contains(&case_id), "{outbox}");
    d.full_shot("outbox", DESK_W, DESK_H).await;

    // ---- The operator takes a call at a 1366×768 screen: a consultation answered from
    // the knowledge base, which shows as they type.
    d.size(1366, 768).await;
    d.goto(&format!("{base}/console/intake")).await;
    d.find("#intake-form").await;
    let in_sight = "const b = document.querySelector('#intake-form button[value=accept]').getBoundingClientRect();
                    return b.top >= 0 && b.bottom <= window.innerHeight;";
    assert_eq!(d.script(in_sight, vec![]).await, true, "受理 is in sight without scrolling at 1366×768");
    d.shot("intake").await;
    d.type_in("#phone", "13900001111").await;
    d.click("input[name=appeal_type][value=consultation]").await;
    d.script("window.__samePage = true;", vec![]).await;
    d.type_in("#text", "社保卡丢了怎么补办").await;
    d.find(".kb-item").await;
    assert_eq!(d.script("return window.__samePage === true;", vec![]).await, true, "no page reload");
    assert_eq!(d.script("return document.activeElement.id;", vec![]).await, "text", "the focus stays in the text");
    assert!(d.text("#intake-hints .suggested").await.contains("→"), "leaf suggestions with their unit");
    assert_eq!(d.script(in_sight, vec![]).await, true, "still in sight with the suggestions shown");
    assert_eq!(d.value("#phone").await, "13900001111", "looking up the knowledge base keeps what was typed");
    // Scrolled to, as a person does (the form's buttons stay at the bottom of the screen).
    d.script("document.querySelector('.kb-item button[data-answer]').scrollIntoView({block: 'center'});", vec![]).await;
    d.click(".kb-item button[data-answer]").await;
    assert!(d.value("#answer").await.contains("补卡"), "the answer is taken from the knowledge base");
    d.full_shot("intake-knowledge", DESK_W, DESK_H).await;
    d.click_to_load("button[value=answer]").await;
    // Back to an empty form for the next call, with the code to read out.
    let confirmation = d.text("#intake-confirmation").await;
    assert!(confirmation.contains("直接办结") && confirmation.contains("查询码"), "{confirmation}");
    assert_eq!(d.text("#tracking-code").await.trim().len(), 10, "a caller's code has ten characters");
    assert_eq!(d.value("#phone").await, "", "the form is empty for the next call");
    d.shot("intake-answered").await;
    d.click_to_load("#intake-confirmation a").await;
    assert!(d.text("#case-status").await.contains("已办结"), "answered on the spot");
    logout(&d).await;

    // ---- The citizen sees the outcome, photo included.
    d.size(PHONE_W, PHONE_H).await;
    d.goto(&format!("{base}/track")).await;
    d.type_in("#tracking_code", &code).await;
    d.type_in("#phone", PHONE).await;
    d.click_to_load("form button[type=submit]").await;
    d.find("#status").await;
    assert!(d.text("#status").await.contains("已办结"));
    assert!(d.text("#reply").await.contains("路灯恢复正常"));
    assert!(
        d.script("return document.querySelector('.photos img').naturalWidth;", vec![]).await.as_u64() > Some(0),
        "the citizen sees the photo"
    );
    assert!(d.fits_width().await, "the tracking page scrolls sideways on a phone");
    assert!(
        d.script("return !!document.querySelector('#track-map svg circle.pin');", vec![]).await.as_bool() == Some(true),
        "the place is shown on the map"
    );
    d.full_shot("citizen-outcome", PHONE_W, PHONE_H).await;
    // Without the tag or a session, the photo does not exist.
    let photo_url = d.script("return document.querySelector('.photos img').src;", vec![]).await;
    let bare = photo_url.as_str().unwrap().split('?').next().unwrap().to_owned();
    let anon = reqwest::get(&bare).await.unwrap().status();
    assert_eq!(anon, reqwest::StatusCode::NOT_FOUND, "a photo is served to no one else");

    // ---- The dashboard counts it.
    d.size(1920, 1080).await;
    login(&mut d, &base, "leader1").await;
    d.goto(&format!("{base}/console/dashboard?days=365")).await;
    let total: u64 = d.text("#kpi-total").await.trim().parse().unwrap();
    assert_eq!(total, before + 2, "the dashboard counts the citizen's appeal and the operator's call");
    d.goto(&format!("{base}/console/dashboard")).await;
    d.shot("dashboard-wall").await;
    d.size(1366, 768).await;
    d.full_shot("dashboard-laptop", 1366, 768).await;
    let csv = d
        .script_async(
            "const done = arguments[arguments.length - 1];
             fetch('/console/dashboard/export.csv?table=by_street').then(r => r.arrayBuffer()).then(b => {
               const head = Array.from(new Uint8Array(b).slice(0, 3)).join(',');
               done(head + '|' + new TextDecoder('utf-8', {ignoreBOM: true}).decode(b));
             });",
            vec![],
        )
        .await;
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("239,187,191|"), "the CSV starts with a UTF-8 byte order mark: {csv}");
    assert!(csv.contains("望湖街道"), "{csv}");
    let xlsx_type = d
        .script_async(
            "const done = arguments[arguments.length - 1];
             fetch('/console/dashboard/export.xlsx?table=measures').then(r => r.headers.get('content-type')).then(done);",
            vec![],
        )
        .await;
    assert!(xlsx_type.as_str().unwrap().contains("spreadsheetml"));

    // ---- Staff on a phone: queues, the case page and the dashboard fit 390 px.
    d.size(390, 844).await;
    for path in ["/console".to_owned(), format!("/console/cases/{case_id}"), "/console/dashboard".to_owned()] {
        d.goto(&format!("{base}{path}")).await;
        let width = d.script("return document.documentElement.scrollWidth;", vec![]).await.as_u64().unwrap();
        let name =
            if path.contains("cases") { "phone-case".to_owned() } else { format!("phone{}", path.replace('/', "-")) };
        d.full_shot(&name, 390, 844).await;
        assert!(width <= 390, "{path} is {width} px wide on a 390 px phone");
    }
    d.size(1366, 768).await;

    // ---- A unit's handler may not see the dashboard.
    logout(&d).await;
    login(&mut d, &base, "jtw-handler").await;
    d.goto(&format!("{base}/console/dashboard")).await;
    assert!(d.body_text().await.contains("仅供热线中心和区领导查看"));

    // ---- 督查督办: the 督查室 pastes a work report and confirms its targets.
    d.goto(&format!("{base}/console/todo")).await;
    logout(&d).await;
    login(&mut d, &base, "inspector1").await;
    d.goto(&format!("{base}/console/tasks")).await;
    d.click_to_load("a[href=\"/console/targets\"]").await;
    d.type_in("#text", "2026年，全区新增城镇就业800人，新建口袋公园3个。").await;
    d.shot("targets-paste").await;
    d.click_to_load("form button[type=submit].primary").await;
    d.find("table.targets").await;
    assert_eq!(d.value("[name=value_0]").await, "800");
    assert_eq!(d.value("[name=unit_0]").await, "人");
    assert_eq!(d.value("[name=value_1]").await, "3");
    d.clear("[name=title_0]").await;
    d.type_in("[name=title_0]", "城镇新增就业800人（浏览器）").await;
    d.click("[name=keep_1]").await; // the park is left for another day
    d.select("#plan", "none").await;
    d.click_to_load("form.targets button[type=submit]").await;
    assert!(d.text("#targets-error").await.contains("第 1 项：请选择牵头单位"));
    assert_eq!(d.value("[name=title_0]").await, "城镇新增就业800人（浏览器）", "what was typed is kept");
    d.select("[name=lead_0]", "rsj").await;
    d.select("[name=leader_0]", "leader1").await;
    d.full_shot("targets-confirm", DESK_W, DESK_H).await;
    d.click_to_load("form.targets button[type=submit]").await;
    assert!(d.text(".flash").await.contains("已立项交办 1 项任务"));
    let task_id = d
        .script(
            "return [...document.querySelectorAll('tr[data-id]')].find(r => r.textContent.includes('（浏览器）')).dataset.id;",
            vec![],
        )
        .await
        .as_str()
        .expect("the new task is listed")
        .to_owned();
    assert!(task_id.starts_with("DB"), "{task_id}");

    // ---- The lead unit finds it in 我的待办 and signs for it.
    logout(&d).await;
    login(&mut d, &base, "rsj-handler").await;
    d.goto(&format!("{base}/console/todo?kind=task")).await;
    assert!(d.text("#todo").await.contains(&task_id), "the task waits in 我的待办");
    d.shot("todo-tasks").await;
    d.click_to_load(&format!("#todo a[href=\"/console/tasks/{task_id}\"]")).await;
    assert!(d.text("#task-light").await.contains("绿灯"));
    d.click_to_load("#action-sign_for button[type=submit]").await;
    assert!(d.text("#task-status").await.contains("推进中"));

    // ---- Three weeks on, nothing done: red, and a 督办通知 the unit must answer.
    server.later(21 * 24 * 60);
    let ticking = server.app.clone();
    tokio::task::spawn_blocking(move || ticking.tick().unwrap()).await.unwrap();
    login(&mut d, &base, "rsj-handler").await;
    d.goto(&format!("{base}/console/tasks/{task_id}")).await;
    assert!(d.text("#task-light").await.contains("红灯"), "the light turned red");
    assert!(d.text("#notices").await.contains("未答复"));
    d.type_in("#answer_notice-text", "已召开专题会，本月内完成").await;
    d.click_to_load("#action-answer_notice button[type=submit]").await;
    d.type_in("#report-achieved", "820").await;
    d.type_in("#report-text", "全年新增城镇就业820人，目标已完成").await;
    d.type_in("#report-evidence", photo.to_str().unwrap()).await;
    d.full_shot("task-report", DESK_W, DESK_H).await;
    d.click_to_load("#action-report button[type=submit]").await;
    assert!(d.text("#reports").await.contains("待审核"));

    // ---- The inspector accepts the report; the light turns green; 销号.
    logout(&d).await;
    login(&mut d, &base, "inspector1").await;
    d.goto(&format!("{base}/console/tasks?queue=to_review")).await;
    d.click_to_load(&format!("a[href=\"/console/tasks/{task_id}\"]")).await;
    assert!(
        d.script("return document.querySelector('#reports img.thumb').naturalWidth;", vec![]).await.as_u64() > Some(0),
        "the inspector sees the evidence"
    );
    d.click_to_load("#action-review button[type=submit]").await;
    assert!(d.text("#task-light").await.contains("绿灯"), "met: green");
    assert!(d.text("#action-close").await.contains("良好"), "a notice along the way makes it 良好");
    d.click_to_load("#action-close button[type=submit]").await;
    assert!(d.text("#task-status").await.contains("已销号"));
    assert_eq!(d.text("#task-grade").await, "良好");
    d.full_shot("task-closed", DESK_W, DESK_H).await;
    d.goto(&format!("{base}/console/board")).await;
    d.full_shot("board", DESK_W, DESK_H).await;
    let closed_row =
        d.script(&format!("return document.querySelector('tr[data-id=\"{task_id}\"]').textContent;"), vec![]).await;
    assert!(closed_row.as_str().unwrap().contains("已销号"), "{closed_row}");

    // ---- 网格巡查: a grid worker on a phone patrols, reports what they find, ends.
    logout(&d).await;
    server.later(60);
    d.size(PHONE_W, PHONE_H).await;
    // Inside 府前第1网格.
    d.geolocation(116.2409, 39.8960).await;
    login(&mut d, &base, "gd-yx-1-1-worker").await;
    d.find("#start-patrol").await;
    assert!(d.url().await.ends_with("/console/patrol"), "a grid worker lands on the patrol page");
    assert!(d.fits_width().await, "the patrol page scrolls sideways on a phone");
    d.shot("patrol-start").await;
    d.click_to_load("#start-patrol").await;
    d.find("#patrol").await;
    // The phone's position comes in and is sent as the route.
    let mut located = false;
    for _ in 0..100 {
        if d.text("#gps-status").await.contains("定位正常") && d.text("#patrol-points").await != "0" {
            located = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(located, "the route is recorded: {}", d.text("#gps-status").await);
    assert!(!d.value("#lon").await.is_empty(), "the problem is placed where the phone is");
    assert!(d.fits_width().await, "the running patrol fits a phone");
    d.full_shot("patrol-running", PHONE_W, PHONE_H).await;
    d.type_in("#problem-text", "府前街路口井盖破损，已设置警示").await;
    d.select("#problem-category", "cxjs-02").await;
    d.click_to_load("#problem-form button[value='0']").await;
    d.find("#patrol-problems").await;
    assert!(d.text(".flash").await.contains("已上报"));
    let reported = d.text("#patrol-problems").await;
    assert!(reported.contains("YW") && reported.contains("井盖破损"), "{reported}");
    d.type_in("#problem-text", "人行道碎玻璃，已清扫").await;
    d.click_to_load("#problem-form button[value='1']").await;
    d.find("#patrol-problems").await;
    assert!(d.text("#patrol-problems").await.contains("当场处置"));
    d.full_shot("patrol-problems", PHONE_W, PHONE_H).await;
    d.click_to_load("#end-patrol").await;
    d.find("#start-patrol").await;
    assert!(d.text(".flash").await.contains("已结束"));
    logout(&d).await;

    // ---- The street sees its grids' coverage and the patrol's route.
    d.size(DESK_W, DESK_H).await;
    login(&mut d, &base, "st-yx-handler").await;
    d.goto(&format!("{base}/console/patrols")).await;
    d.find("#coverage").await;
    assert!(d.text("#coverage-summary").await.contains("1 / 12"), "{}", d.text("#coverage-summary").await);
    d.full_shot("patrol-coverage", DESK_W, DESK_H).await;
    d.click_to_load("#coverage a[href^='/console/patrols/XC']").await;
    d.find("svg polyline.route").await;
    assert!(d.body_text().await.contains("井盖破损"));
    d.full_shot("patrol-route", DESK_W, DESK_H).await;
    d.size(390, 844).await;
    d.goto(&format!("{base}/console/patrols")).await;
    d.find("#coverage").await;
    assert!(d.fits_width().await, "coverage fits a phone");

    // ---- 一网通办: the window registers an application, asks once for what is
    // missing, takes it in, and the department decides; the applicant rates it on a
    // phone, badly, and the department puts it right.
    d.size(DESK_W, DESK_H).await;
    server.later(60);
    login(&mut d, &base, "scjgj-clerk").await;
    d.goto(&format!("{base}/console/applications/new")).await;
    d.click_to_load("#services a[href='/console/applications/new?service=food-business']").await;
    d.type_in("#applicant-name", "刘海峰").await;
    d.type_in("#applicant-phone", PHONE).await;
    d.type_in("#enterprise-code", "91350100M000100Y43").await;
    d.type_in("#enterprise-name", "云溪区好味小厨餐饮店").await;
    d.type_in("#form-shop-name", "好味小厨").await;
    d.type_in("#form-address", "云溪区府前街18号").await;
    d.select("#form-kind", "热食类食品制售").await;
    d.type_in("#form-area-sqm", "85").await;
    d.click("input[name='mat.application-form'][value='paper']").await;
    d.click("input[name='mat.business-licence'][value='certificate']").await;
    d.type_in("input[name='cert.business-licence']", "YX-GSZZ-2026-000318").await;
    d.full_shot("application-register", DESK_W, DESK_H).await;
    d.click_to_load("form[action='/console/applications/new'] button[type=submit]").await;
    let application = d.text("#case-id").await;
    assert!(application.starts_with("BJ"), "{application}");
    assert!(d.text("#application-status").await.contains("待受理"));
    d.click("#action-ask_supplement input[name=missing][value=floor-plan]").await;
    d.click("#action-ask_supplement input[name=missing][value=safety-rules]").await;
    d.click("#action-ask_supplement input[name=on_the_spot]").await;
    d.click_to_load("#action-ask_supplement button[type=submit]").await;
    assert!(d.text("#application-status").await.contains("待补正"));
    assert!(d.text("#application-missing").await.contains("经营场所平面布局图"));
    d.full_shot("application-supplement", DESK_W, DESK_H).await;
    d.goto(&format!("{base}/console/applications/{application}/print/supplement")).await;
    assert!(d.text("#document-title").await.contains("补正材料告知书"));
    d.full_shot("application-supplement-notice", DESK_W, DESK_H).await;
    server.later(2 * 60);
    d.goto(&format!("{base}/console/applications/{application}")).await;
    d.click_to_load("#action-supplement button[type=submit]").await;
    assert_eq!(d.text("#application-visits").await, "2", "registered and completed at the window");
    // 请办事人评价: the applicant rates this visit on the window's tablet (phone width).
    d.size(PHONE_W, PHONE_H).await;
    d.click("#action-rate_visit input[name=rating][value=very_satisfied]").await;
    d.click("#action-rate_visit input[name=dim_efficiency][value=satisfied]").await;
    d.click("#action-rate_visit input[name=dim_attitude][value=very_satisfied]").await;
    assert!(d.fits_width().await, "the visit's rating fits a tablet held upright");
    d.full_shot("application-rate-visit", PHONE_W, PHONE_H).await;
    d.click_to_load("#action-rate_visit button[type=submit]").await;
    assert!(d.text("#application-ratings").await.contains("服务态度 非常满意"));
    d.size(DESK_W, DESK_H).await;
    d.click_to_load("#action-accept button[type=submit]").await;
    assert!(d.text("#application-status").await.contains("审查中"));
    logout(&d).await;
    login(&mut d, &base, "scjgj-reviewer").await;
    d.goto(&format!("{base}/console/applications/{application}")).await;
    d.type_in("#review-opinion", "材料齐全，现场核查符合要求").await;
    d.click_to_load("#action-review button[type=submit]").await;
    logout(&d).await;
    login(&mut d, &base, "scjgj-approver").await;
    d.goto(&format!("{base}/console/applications/{application}")).await;
    d.click_to_load("#action-decide button[type=submit]").await;
    assert!(d.text("#application-status").await.contains("待制证"));
    logout(&d).await;
    login(&mut d, &base, "scjgj-clerk").await;
    d.goto(&format!("{base}/console/applications/{application}")).await;
    d.type_in("#certify-number", "JY13501020260001").await;
    d.script("document.querySelector('#certify-valid_from').value = '2026-11-20';", vec![]).await;
    d.click_to_load("#action-certify button[type=submit]").await;
    d.select("#deliver-how", "post").await;
    d.click_to_load("#action-deliver button[type=submit]").await;
    assert!(d.text("#application-status").await.contains("已办结"));
    assert!(d.text("#application-certificate").await.contains("JY13501020260001"));
    d.full_shot("application-done", DESK_W, DESK_H).await;
    logout(&d).await;

    // The applicant, on a phone: the guide, then the application, rated.
    d.size(PHONE_W, PHONE_H).await;
    d.goto(&format!("{base}/services/food-business")).await;
    d.find("#guide").await;
    assert!(d.fits_width().await, "the guide fits a phone");
    d.full_shot("service-guide", PHONE_W, PHONE_H).await;
    let filed = server
        .app
        .load_as::<yiwang_core::application::ApplicationKind>(&yiwang_core::id::CaseId::parse(&application).unwrap())
        .unwrap();
    d.goto(&format!("{base}/services/track")).await;
    d.type_in("#tracking_code", filed.tracking_code.as_deref().unwrap()).await;
    d.type_in("#phone", PHONE).await;
    d.click_to_load("form[action='/services/track'] button[type=submit]").await;
    assert!(d.text("#applicant-status").await.contains("已办结"));
    assert!(!d.body_text().await.contains("需要补正的材料"), "the 补正 was handed in long ago");
    d.click("#rate input[name=rating][value=unsatisfied]").await;
    d.type_in("#comment", "证照寄错了地址，又跑了一趟").await;
    d.click("#rate input[name=dim_efficiency][value=unsatisfied]").await;
    d.click("#rate input[name=dim_guide][value=satisfied]").await;
    assert!(d.fits_width().await, "the rating form fits a phone");
    d.full_shot("application-rate", PHONE_W, PHONE_H).await;
    d.click_to_load("#rate button[type=submit]").await;
    assert!(d.text(".flash").await.contains("核实整改"));
    assert_eq!(d.text("#applicant-rating").await, "不满意");

    // The department verifies the bad rating and answers it.
    d.size(DESK_W, DESK_H).await;
    login(&mut d, &base, "scjgj-leader").await;
    d.goto(&format!("{base}/console/todo?kind=rating_fix")).await;
    d.click_to_load("#todo a[href^='/console/rating-fixes/CP']").await;
    d.type_in("#verify-finding", "邮寄地址录入错误").await;
    d.click_to_load("#action-verify button[type=submit]").await;
    assert!(d.text("#fix-status").await.contains("整改中"));
    d.type_in("#answer-measures", "重新寄送，并核对地址录入").await;
    d.type_in("#answer-reply", "已为您重新寄送证照，向您致歉").await;
    d.click_to_load("#action-answer button[type=submit]").await;
    assert!(d.text("#fix-status").await.contains("已办结"), "anonymous: closed at the answer");
    d.full_shot("rating-fix", DESK_W, DESK_H).await;
    logout(&d).await;

    // ---- The certificate verified offline: the server stopped, the verifier page
    // opened from disk with the certificate, the published keys and the status list.
    let app = server.app.clone();
    let issued = app
        .load_as::<yiwang_core::application::ApplicationKind>(&yiwang_core::id::CaseId::parse(&application).unwrap())
        .unwrap()
        .certificate
        .and_then(|c| c.signed)
        .expect("the application's certificate is signed");
    let sid = issued.document.status_id.clone();
    let json = |v: serde_json::Value| v.to_string();
    let certificate = json(serde_json::to_value(app.certificate_status(&sid).unwrap()).unwrap());
    // What its QR code says: the compact signed form, verified as a scanner gives it.
    let qr = app.certificate_status(&sid).unwrap().qr.expect("a compact QR form");
    let keys = json(serde_json::to_value(app.config().keyring.public_keys()).unwrap());
    let before = json(serde_json::to_value(app.status_list().unwrap()).unwrap());
    let approver = app.actor_for(&yiwang_core::org::Staff {
        username: yiwang_core::id::Username::parse("scjgj-approver").unwrap(),
        name: String::new(),
        unit: yiwang_core::id::UnitCode::parse("scjgj").unwrap(),
        roles: vec![yiwang_core::org::Role::Approver],
    });
    let revoke = yiwang_core::application::Command::Revoke { reason: "以欺骗手段取得".into() };
    let revoking = (app.clone(), approver.unwrap(), application.clone());
    tokio::task::spawn_blocking(move || {
        let (app, who, id) = revoking;
        app.act_application(&who, &yiwang_core::id::CaseId::parse(&id).unwrap(), &revoke).unwrap();
    })
    .await
    .unwrap();
    let after = json(serde_json::to_value(app.status_list().unwrap()).unwrap());
    // The certificate's own page, as a QR scan opens it on a phone: revoked now.
    d.size(PHONE_W, PHONE_H).await;
    d.goto(&format!("{base}/certificates/{sid}")).await;
    d.find("#certificate-qr svg").await;
    assert!(d.text("#certificate-status").await.contains("已吊销"));
    assert!(d.fits_width().await, "the certificate page fits a phone");
    d.full_shot("certificate-page", PHONE_W, PHONE_H).await;
    // A 核验员 at another window, on a phone: the scanner types the QR's text; the
    // verdict is the live status, and their console offers nothing else.
    login(&mut d, &base, "verifier1").await;
    assert_eq!(d.text("header nav").await, "证照核验");
    d.script("document.getElementById('presented').value = arguments[0];", vec![serde_json::json!(qr)]).await;
    d.click_to_load("#verify button[type=submit]").await;
    assert!(d.text("#verify-verdict").await.contains("已吊销"), "{}", d.body_text().await);
    assert!(d.text("#verify-result").await.contains("以欺骗手段取得"));
    assert!(d.fits_width().await, "the verification page fits a phone");
    d.full_shot("certificate-verifier", PHONE_W, PHONE_H).await;
    logout(&d).await;
    d.size(DESK_W, DESK_H).await;
    if let Some(s) = server.stop.take() {
        let _ = s.send(());
    }
    let page = files.path().join("yiwang-verify-certificate.html");
    std::fs::write(&page, include_str!("../../static/verify.html")).unwrap();
    d.goto(&format!("file://{}", page.display())).await;
    let fill = "document.getElementById(arguments[0]).value = arguments[1];";
    for (id, text) in [("certificate", qr.clone()), ("keys", keys), ("list", before)] {
        d.script(fill, vec![serde_json::json!(id), serde_json::json!(text)]).await;
    }
    d.click("#check").await;
    let mut verdict = String::new();
    for _ in 0..50 {
        verdict = d.text("#verdict").await;
        if !verdict.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(verdict, "结论：有效", "{}", d.body_text().await);
    assert!(d.body_text().await.contains("二维码 COSE"), "{}", d.body_text().await);
    d.full_shot("certificate-offline-valid", DESK_W, DESK_H).await;
    // The QR's payload changed (its issuer's code, re-encoded whole): the signature fails.
    use yiwang_core::application::certificate::compact;
    let mut cose = compact::unwrap(&qr).unwrap();
    let at = cose.windows(5).position(|w| w == b"scjgj").expect("the issuer's code is in the payload");
    cose[at] = b'x';
    let forged = compact::wrap(&cose);
    d.script(fill, vec![serde_json::json!("certificate"), serde_json::json!(forged)]).await;
    d.click("#check").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(d.text("#verdict").await, "结论：签名无效", "{}", d.body_text().await);
    // The file form still verifies, and the newer list says revoked.
    d.script(fill, vec![serde_json::json!("certificate"), serde_json::json!(certificate)]).await;
    d.script(fill, vec![serde_json::json!("list"), serde_json::json!(after)]).await;
    d.click("#check").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(d.text("#verdict").await, "结论：已吊销");
    d.full_shot("certificate-offline-revoked", DESK_W, DESK_H).await;

    d.quit().await;
    if let Some(s) = server.stop.take() {
        let _ = s.send(());
    }
}
