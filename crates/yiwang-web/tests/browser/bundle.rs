//! 一件事一次办 in a real browser, at phone and desktop sizes: the applicant finds
//! 开办餐饮店 in the guide on a phone; the 市场监管局's window answers its questions,
//! sees which parts apply, fills the shared form once and takes the materials once;
//! the bundle's two parts go to two departments, the 城管委 finds its part in its
//! queue marked 联办 and grants the sign, the 市场监管局 grants the food licence; the
//! bundle is done. Screenshots go to `target/screenshots/bundle/`.

use super::webdriver::Driver;
use super::{DESK_H, DESK_W, PHONE, PHONE_H, PHONE_W, login, logout, screenshots_dir, start_server};

/// Opens the part for `service` from the bundle's page.
async fn open_part(d: &Driver, base: &str, bundle: &str, service: &str) -> String {
    d.goto(&format!("{base}/console/bundles/{bundle}")).await;
    let id = d.text(&format!("#bundle-parts tr[data-part='{service}'] a")).await;
    d.goto(&format!("{base}/console/applications/{id}")).await;
    d.find("#application-bundle").await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bundle_with_two_departments_runs_in_a_real_browser() {
    let mut server = start_server().await;
    let base = server.base.clone();
    let mut d = Driver::start(&screenshots_dir("bundle")).await;

    // The applicant reads the guide on a phone.
    d.size(PHONE_W, PHONE_H).await;
    d.goto(&format!("{base}/services")).await;
    assert!(d.text("#bundle-list").await.contains("开办餐饮店"));
    d.click_to_load("#bundle-list a[href='/services/bundles/open-restaurant']").await;
    let guide = d.text("#bundle-guide").await;
    assert!(guide.contains("承诺时限") && guide.contains("5 个工作日"), "{guide}");
    assert!(d.body_text().await.contains("门头招牌设置审批"));
    assert!(d.fits_width().await, "the bundle's guide fits a phone");
    d.full_shot("bundle-guide-phone", PHONE_W, PHONE_H).await;

    // The window, on a desktop: the questions first, then the parts that apply.
    d.size(DESK_W, DESK_H).await;
    login(&mut d, &base, "scjgj-clerk").await;
    d.goto(&format!("{base}/console/bundles/new")).await;
    d.click_to_load("#bundle-choices a[href='/console/bundles/new?bundle=open-restaurant']").await;
    d.click("input[name='q.signboard'][value='是']").await;
    d.click("input[name='q.wastewater'][value='否']").await;
    d.click("input[name='q.size'][value='150平方米以下']").await;
    d.click_to_load("#bundle-questions button[type=submit]").await;
    let parts = d.text("#bundle-parts").await;
    assert!(parts.contains("食品经营许可") && parts.contains("门头招牌设置审批"), "{parts}");
    assert!(parts.contains("无需办理：城镇污水排入排水管网许可"), "{parts}");
    d.type_in("#applicant-name", "刘海峰").await;
    d.type_in("#applicant-phone", PHONE).await;
    d.type_in("#enterprise-code", "91350100M000100Y43").await;
    d.type_in("#enterprise-name", "云溪区好味小厨餐饮店").await;
    d.type_in("#form-shop-name", "好味小厨").await;
    d.type_in("#form-address", "云溪区府前街18号").await;
    d.select("#form-kind", "热食类食品制售").await;
    d.type_in("#form-area-sqm", "85").await;
    d.type_in("#form-size", "4.5").await;
    for m in ["application-form", "floor-plan", "safety-rules", "design", "safety-commitment"] {
        d.click(&format!("input[name='mat.{m}'][value='paper']")).await;
    }
    d.click("input[name='mat.business-licence'][value='certificate']").await;
    d.type_in("input[name='cert.business-licence']", "YX-GSZZ-2026-000318").await;
    d.full_shot("bundle-register", DESK_W, DESK_H).await;
    d.click_to_load("#bundle-form button[type=submit]").await;
    let bundle = d.text("#case-id").await;
    assert!(bundle.starts_with("YJ"), "{bundle}");
    assert!(d.text("#bundle-status").await.contains("办理中"));
    let parts = d.text("#bundle-parts").await;
    assert!(parts.contains("市场监管局") && parts.contains("城管委") && parts.contains("待受理"), "{parts}");
    assert!(d.text("#bundle-clocks").await.contains("联合办理法定时限"));
    d.full_shot("bundle-registered", DESK_W, DESK_H).await;
    logout(&d).await;

    // The 城管委: its part waits in its queue, marked 联办, linked to the bundle.
    server.later(60);
    login(&mut d, &base, "cgw-clerk").await;
    d.goto(&format!("{base}/console/todo?kind=application")).await;
    assert!(d.text("#todo").await.contains("【一件事·联办】门头招牌设置审批"), "{}", d.text("#todo").await);
    d.shot("bundle-part-in-queue").await;
    let sign = open_part(&d, &base, &bundle, "signboard").await;
    assert!(d.text("#application-bundle").await.contains(&bundle));
    d.click_to_load("#action-accept button[type=submit]").await;
    logout(&d).await;
    login(&mut d, &base, "cgw-reviewer").await;
    d.goto(&format!("{base}/console/applications/{sign}")).await;
    d.type_in("#review-opinion", "招牌尺寸、位置符合设置导则").await;
    d.click_to_load("#action-review button[type=submit]").await;
    d.click_to_load("#action-decide button[type=submit]").await;
    logout(&d).await;
    login(&mut d, &base, "cgw-clerk").await;
    d.goto(&format!("{base}/console/applications/{sign}")).await;
    d.select("#deliver-how", "electronic").await;
    d.click_to_load("#action-deliver button[type=submit]").await;
    assert!(d.text("#application-status").await.contains("已办结"));
    d.goto(&format!("{base}/console/bundles/{bundle}")).await;
    assert!(d.text("#bundle-parts tr[data-part='signboard']").await.contains("已办结"));
    assert!(d.text("#bundle-status").await.contains("办理中"), "one part still runs");
    d.full_shot("bundle-one-part-done", DESK_W, DESK_H).await;
    logout(&d).await;

    // The 市场监管局 decides its part; the bundle is done.
    server.later(120);
    login(&mut d, &base, "scjgj-clerk").await;
    let food = open_part(&d, &base, &bundle, "food-business").await;
    d.click_to_load("#action-accept button[type=submit]").await;
    logout(&d).await;
    login(&mut d, &base, "scjgj-reviewer").await;
    d.goto(&format!("{base}/console/applications/{food}")).await;
    d.type_in("#review-opinion", "现场核查符合要求").await;
    d.click_to_load("#action-review button[type=submit]").await;
    logout(&d).await;
    login(&mut d, &base, "scjgj-approver").await;
    d.goto(&format!("{base}/console/applications/{food}")).await;
    d.click_to_load("#action-decide button[type=submit]").await;
    logout(&d).await;
    login(&mut d, &base, "scjgj-clerk").await;
    d.goto(&format!("{base}/console/applications/{food}")).await;
    d.type_in("#certify-number", "JY13501020260077").await;
    d.script("document.querySelector('#certify-valid_from').value = '2026-11-20';", vec![]).await;
    d.click_to_load("#action-certify button[type=submit]").await;
    d.select("#deliver-how", "electronic").await;
    d.click_to_load("#action-deliver button[type=submit]").await;
    d.goto(&format!("{base}/console/bundles/{bundle}")).await;
    assert!(d.text("#bundle-status").await.contains("已办结"), "{}", d.text("#bundle-status").await);
    d.full_shot("bundle-done", DESK_W, DESK_H).await;
    d.size(PHONE_W, PHONE_H).await;
    d.goto(&format!("{base}/console/bundles/{bundle}")).await;
    assert!(d.fits_width().await, "the bundle's page fits a phone");
    d.full_shot("bundle-done-phone", PHONE_W, PHONE_H).await;

    d.quit().await;
    if let Some(s) = server.stop.take() {
        let _ = s.send(());
    }
}
