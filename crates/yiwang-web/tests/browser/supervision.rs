//! 一网通管 and 免申即享 in a real browser, at desktop and phone sizes: the 市场监管局
//! draws a random inspection plan against a real drand quicknet round (123, recorded:
//! the clock is set to just before it), and the published record re-verifies as
//! `yiwang verify-draw` checks it; an enforcer inspects a drawn enterprise on a phone
//! and finds a problem; the enterprise reports its rectification and the enforcer's
//! re-inspection closes it; a penalty changes the enterprise's credit class, with its
//! reasons; a policy officer's 免申即享 policy grants to the enterprises it finds; the
//! supervision dashboard counts it all. Screenshots go to `target/screenshots/supervision/`.

use super::webdriver::Driver;
use super::{DESK_H, DESK_W, PHONE_H, PHONE_W, login, logout, screenshots_dir, start_server};
use chrono::{TimeZone, Utc};
use yiwang_app::Clock;
use yiwang_core::case::Kind;
use yiwang_core::inspection::InspectionKind;
use yiwang_store::CaseQuery;

/// Quicknet round 123's signature (drand-verify's own test vector).
const SIGNATURE: &str =
    "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";

/// Submits the plan page's form for `action`.
async fn plan_act(d: &Driver, action: &str) {
    d.click_to_load(&format!("form.act:has(input[name='action'][value='{action}']) button[type=submit]")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn supervision_and_benefits_run_in_a_real_browser() {
    let mut server = start_server().await;
    let base = server.base.clone();
    let app = server.app.clone();
    let mut d = Driver::start(&screenshots_dir("supervision")).await;
    let today = server.clock.now();

    // 双随机: the 市场监管局 plans and commits, just before quicknet round 123.
    server.clock.set(Utc.with_ymd_and_hms(2023, 8, 23, 15, 12, 0).unwrap());
    d.size(DESK_W, DESK_H).await;
    login(&mut d, &base, "scjgj-regulator").await;
    d.goto(&format!("{base}/console/plans")).await;
    d.type_in("#title", "餐饮服务食品安全双随机抽查").await;
    d.script(
        "document.querySelector('#period_start').value='2023-09-01';document.querySelector('#period_end').value='2023-12-31';",
        vec![],
    )
    .await;
    d.click_to_load("#plan-new button[type=submit]").await;
    let plan = d.text("#case-id").await;
    assert!(plan.starts_with("CC"), "{plan}");
    d.clear("#round").await;
    d.type_in("#round", "123").await;
    plan_act(&d, "commit").await;
    assert!(d.text("#plan-status").await.contains("已承诺待抽取"), "{}", d.text("#plan").await);
    d.full_shot("plan-committed", DESK_W, DESK_H).await;
    // The round is out: its signature pasted, the draw made.
    server.clock.set(Utc.with_ymd_and_hms(2023, 8, 23, 15, 20, 0).unwrap());
    d.goto(&format!("{base}/console/plans/{plan}")).await;
    d.type_in("#signature", SIGNATURE).await;
    plan_act(&d, "draw").await;
    assert!(d.text("#plan-status").await.contains("已抽取"), "{}", d.text("#plan").await);
    d.full_shot("plan-drawn", DESK_W, DESK_H).await;
    plan_act(&d, "publish").await;
    d.full_shot("plan-published", DESK_W, DESK_H).await;
    logout(&d).await;

    // Anyone re-verifies the published record: the public page, and the record file
    // checked as `yiwang verify-draw FILE` checks it.
    d.goto(&format!("{base}/supervision/draws/{plan}")).await;
    assert!(d.body_text().await.contains("verify-draw"));
    d.full_shot("draw-public", DESK_W, DESK_H).await;
    let record = reqwest::get(format!("{base}/api/v1/draws/{plan}/1")).await.unwrap().bytes().await.unwrap();
    let verified = yiwang_core::plan::draw::verify_record(&record).expect("the published record verifies");
    assert!(!verified.result.is_empty(), "targets were drawn");
    let mut changed = record.to_vec();
    let at = changed.iter().position(|b| *b == b'9').unwrap();
    changed[at] = b'8';
    assert!(yiwang_core::plan::draw::verify_record(&changed).is_err(), "one byte changed fails");

    // Back to today: an enforcer inspects a drawn enterprise on a phone.
    server.clock.set(today + chrono::Duration::hours(1));
    let (inspection, enforcer, enterprise) = {
        let app = app.clone();
        let plan = plan.clone();
        tokio::task::spawn_blocking(move || {
            let q = CaseQuery { kind: Some(InspectionKind::NAME), limit: 500, ..Default::default() };
            let rows = app.store().list_cases(&q).unwrap().rows;
            let s = rows
                .iter()
                .map(|r| app.load_as::<InspectionKind>(&r.id).unwrap())
                .find(|s| {
                    s.inspectors.iter().any(|i| i.username.is_some()) && format!("{:?}", s.source).contains(&plan)
                })
                .expect("an inspection of the plan with an enforcer's login");
            let who = s.inspectors.iter().find_map(|i| i.username.clone()).unwrap();
            (s.id.to_string(), who, s.enterprise.to_string())
        })
        .await
        .unwrap()
    };
    d.size(PHONE_W, PHONE_H).await;
    d.geolocation(116.2444, 39.8967).await;
    login(&mut d, &base, &enforcer).await;
    d.goto(&format!("{base}/console/inspections")).await;
    assert!(d.text("#inspection-list").await.contains(&inspection), "{}", d.text("#inspection-list").await);
    d.full_shot("inspections-phone", PHONE_W, PHONE_H).await;
    d.goto(&format!("{base}/console/inspections/{inspection}")).await;
    // The first item fails, the others conform.
    d.script(
        "const groups = {}; document.querySelectorAll('#inspection-form input[type=radio]').forEach(r => { (groups[r.name] = groups[r.name] || []).push(r); });
         let first = true;
         for (const name in groups) {
           const want = first ? 'fails' : 'conforms';
           groups[name].find(r => r.value === want).checked = true;
           if (first) { document.querySelector(`input[name='n.${name.slice(2)}']`).value = '后厨未设置防鼠网，食品与杂物混放'; }
           first = false;
         }",
        vec![],
    )
    .await;
    d.select("#outcome", "rectify").await;
    d.type_in("#rectify_days", "15").await;
    d.type_in("#summary", "现场检查发现后厨防鼠设施缺失，责令15日内整改。").await;
    d.type_in("#refusal", "负责人不在场，店员拒绝签字").await;
    d.full_shot("inspection-form-phone", PHONE_W, PHONE_H).await;
    assert!(d.fits_width().await, "the on-site form fits a phone");
    d.click_to_load("#inspection-form button[type=submit]").await;
    let outcome = d.text("#inspection-outcome").await;
    assert!(outcome.contains("整改"), "{outcome}");
    d.full_shot("inspection-recorded-phone", PHONE_W, PHONE_H).await;
    logout(&d).await;

    // The statement period passes without a statement: the finding is final and a
    // rectification opens; the enterprise reports it done (its bound phone, online).
    server.later(8 * 24 * 60);
    let rect = {
        let app = app.clone();
        let enterprise = enterprise.clone();
        tokio::task::spawn_blocking(move || {
            app.tick().unwrap();
            let e = app.enterprise(&yiwang_core::id::CreditCode::parse(&enterprise).unwrap()).unwrap().unwrap();
            let phone = app.store().person(e.person.unwrap()).unwrap().unwrap().data.phone.unwrap();
            let who = yiwang_app::Applicant { phone: yiwang_core::id::PhoneNumber::parse(&phone).unwrap() };
            let r = app.enterprise_rectifications(&who, &enterprise).unwrap();
            let id = r.first().expect("a rectification opened").rectification.id.clone();
            let evidence = "uploads/0123456789abcdef0123456789abcdef.jpg".to_owned();
            app.report_rectification(&who, &id, "已加装防鼠网，食品与杂物分区存放。", vec![evidence]).unwrap();
            id.to_string()
        })
        .await
        .unwrap()
    };
    // The enforcer re-inspects and closes it.
    d.size(DESK_W, DESK_H).await;
    login(&mut d, &base, &enforcer).await;
    d.goto(&format!("{base}/console/rectifications/{rect}")).await;
    d.type_in("#note", "复查：防鼠网已安装，整改到位。").await;
    d.click_to_load("form:has(input[name='action'][value='recheck']) button[type=submit]").await;
    let status = d.text("#rectification-status").await;
    assert!(status.contains("已整改销号"), "{status}");
    d.full_shot("rectification-closed", DESK_W, DESK_H).await;
    logout(&d).await;

    // A penalty changes an enterprise's credit class, with its reasons: the demo's
    // restaurant, of class A for its inspection without problems.
    login(&mut d, &base, "scjgj-regulator").await;
    d.goto(&format!("{base}/console/enterprises/{}", yiwang_app::DEMO_ENTERPRISE.0)).await;
    let before = d.text("#enterprise-class").await;
    d.select("#kind", "penalty").await;
    let day = yiwang_core::calendar::civil_date(server.clock.now()).to_string();
    d.script(&format!("document.querySelector('#date').value='{day}';"), vec![]).await;
    d.type_in("#record-fact #note", "云市监罚〔2026〕101号").await;
    d.click_to_load("#record-fact button[type=submit]").await;
    let after = d.text("#enterprise-class").await;
    assert!(before.contains("A类") && after.contains("C类"), "{before} → {after}");
    assert!(d.text("#class-reasons").await.contains("行政处罚"));
    d.full_shot("credit-class-changed", DESK_W, DESK_H).await;
    logout(&d).await;

    // 免申即享: the 发改委's draft policy, dry-run, enabled and run.
    login(&mut d, &base, "fgw-policy").await;
    d.goto(&format!("{base}/console/policies")).await;
    d.click_to_load("#policies a[href^='/console/policies/ZC']").await;
    assert!(d.text("#dry-run-total").await.contains("户"), "{}", d.body_text().await);
    d.full_shot("policy-dry-run", DESK_W, DESK_H).await;
    d.click_to_load("form:has(input[name='action'][value='enable']) button[type=submit]").await;
    d.click_to_load("#run-policy").await;
    let granted = d.text("#policy-granted").await;
    assert!(!granted.starts_with("0 "), "{granted}");
    d.full_shot("policy-granted", DESK_W, DESK_H).await;
    logout(&d).await;

    // The dashboard counts it, on a desktop and on a phone.
    login(&mut d, &base, "leader1").await;
    d.goto(&format!("{base}/console/supervision")).await;
    assert!(d.text("#kpi-enterprises").await.contains("2000"));
    let kinds = d.text("#table-kinds").await;
    for want in ["检查结果：发现问题，责令整改", "按期整改（件）", "已核定企业（户）", "核定金额（元）"]
    {
        assert!(kinds.contains(want), "{want} missing from {kinds}");
    }
    d.full_shot("supervision-dashboard", DESK_W, DESK_H).await;
    d.size(PHONE_W, PHONE_H).await;
    d.full_shot("supervision-dashboard-phone", PHONE_W, PHONE_H).await;
    d.quit().await;
    if let Some(s) = server.stop.take() {
        let _ = s.send(());
    }
}
