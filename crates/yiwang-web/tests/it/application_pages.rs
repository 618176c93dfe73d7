//! 一网通办 in the console, in-process: the window's registration form built from the
//! service's own fields and materials, the application's page offering only what the
//! caller may do now, a 补正 given once and printed as the 补正材料告知书 with the law's
//! text, and bad input answered on the form.

use crate::harness::Api;
use crate::ui::{console_login, get, post_form, send};
use axum::http::{StatusCode, header};

/// A form body, percent-encoded.
fn encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn registration<'a>(csrf: &'a str, credit_code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("service", "food-business"),
        ("applicant_name", "刘海峰"),
        ("applicant_phone", "13812345678"),
        ("enterprise_code", credit_code),
        ("enterprise_name", "云溪区好味小厨餐饮店"),
        ("form.shop-name", "好味小厨"),
        ("form.address", "云溪区府前街18号"),
        ("form.kind", "热食类食品制售"),
        ("form.area-sqm", "85"),
        ("mat.application-form", "paper"),
        ("mat.business-licence", "certificate"),
        ("cert.business-licence", "YX-GSZZ-2026-000318"),
        ("mat.floor-plan", ""),
        ("mat.safety-rules", ""),
    ]
}

#[tokio::test]
async fn the_window_registers_an_application_asks_once_for_what_is_missing_and_prints_the_notice() {
    let api = Api::new();
    let (cookie, csrf) = console_login(&api, "scjgj-clerk").await;

    // The form is the service's own: its fields and its materials.
    let (s, _, page) = send(&api, get("/console/applications/new", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("窗口收件") && page.contains("食品经营许可") && page.contains("生育登记"), "{page}");
    let (s, _, page) = send(&api, get("/console/applications/new?service=food-business", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    for want in [
        "统一社会信用代码",
        "经营场所平面布局图和设备布局图",
        "热食类食品制售",
        "以电子证照代替",
        "name=\"form.area-sqm\"",
    ] {
        assert!(page.contains(want), "{want} missing from the form");
    }

    // A wrong check character is answered on the form, and nothing is filed.
    let bad = encode(&registration(&csrf, "91350100M000100Y44"));
    let (s, _, page) = send(&api, post_form("/console/applications/new", Some(&cookie), &bad)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("统一社会信用代码校验位不正确") && page.contains("value=\"好味小厨\""),
        "the form keeps what was typed"
    );
    let (_, _, todo) = send(&api, get("/console/todo?kind=application", Some(&cookie))).await;
    assert!(todo.contains("没有待办的工作"), "{todo}");

    let body = encode(&registration(&csrf, "91350100M000100Y43"));
    let (s, headers, _) = send(&api, post_form("/console/applications/new", Some(&cookie), &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let to = headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(to.starts_with("/console/applications/BJ") && to.ends_with("?done=register"), "{to}");
    let id = to.trim_start_matches("/console/applications/").split('?').next().unwrap().to_owned();
    let (_, _, page) = send(&api, get(&to, Some(&cookie))).await;
    assert!(page.contains("已完成：窗口收件") && page.contains("待受理"), "{page}");
    assert!(page.contains("纸质材料（窗口已核）") && page.contains("电子证照 YX-GSZZ-2026-000318"));
    // The clerk may accept, ask for 补正, refuse or record a withdrawal; not decide.
    for form in ["action-accept", "action-ask_supplement", "action-reject", "action-withdraw"] {
        assert!(page.contains(&format!("id=\"{form}\"")), "{form} offered");
    }
    assert!(!page.contains("id=\"action-decide\""), "a clerk does not decide");
    // It is in 我的待办, linked to its page.
    let (_, _, todo) = send(&api, get("/console/todo?kind=application", Some(&cookie))).await;
    assert!(todo.contains(&format!("href=\"/console/applications/{id}\"")), "{todo}");

    let act = format!("/console/applications/{id}/act");
    let ask = encode(&[
        ("_csrf", &csrf),
        ("action", "ask_supplement"),
        ("missing", "floor-plan"),
        ("missing", "safety-rules"),
        ("other", "申请书须经法定代表人签字"),
        ("on_the_spot", "1"),
    ]);
    let (s, headers, _) = send(&api, post_form(&act, Some(&cookie), &ask)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&api, get(headers[header::LOCATION].to_str().unwrap(), Some(&cookie))).await;
    assert!(page.contains("待补正") && page.contains("申请书须经法定代表人签字"), "{page}");
    assert!(!page.contains("id=\"action-ask_supplement\""), "asked once: not offered again");
    // Posted anyway, it is refused with the law's reason.
    let (s, _, page) = send(&api, post_form(&act, Some(&cookie), &ask)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(page.contains("一次性告知"), "{page}");

    // The notice, printed for the applicant: every item, the period, the law.
    let (s, _, doc) = send(&api, get(&format!("/console/applications/{id}/print/supplement"), Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    for want in [
        "补正材料告知书",
        "云溪区市场监督管理局",
        "云溪区好味小厨餐饮店",
        "经营场所平面布局图和设备布局图",
        "申请书须经法定代表人签字",
        "30 个工作日内补正",
        "《中华人民共和国行政许可法》第三十二条",
    ] {
        assert!(doc.contains(want), "{want} missing from the notice");
    }
    assert!(!doc.contains("<form"), "a printed document has nothing to click");
    let (s, _, _) = send(&api, get(&format!("/console/applications/{id}/print/accept"), Some(&cookie))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not accepted yet: no 受理通知书");

    // The rest handed in at the window: the second visit; then accepted.
    let rest =
        encode(&[("_csrf", &csrf), ("action", "supplement"), ("paper", "floor-plan"), ("paper", "safety-rules")]);
    let (s, _, _) = send(&api, post_form(&act, Some(&cookie), &rest)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let accept = encode(&[("_csrf", &csrf), ("action", "accept")]);
    let (s, headers, _) = send(&api, post_form(&act, Some(&cookie), &accept)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&api, get(headers[header::LOCATION].to_str().unwrap(), Some(&cookie))).await;
    assert!(page.contains("审查中") && page.contains("id=\"application-visits\">2<"), "{page}");
    let (s, _, doc) = send(&api, get(&format!("/console/applications/{id}/print/accept"), Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc.contains("受理通知书") && doc.contains("20 个工作日内作出决定") && doc.contains("承诺 5 个工作日"),
        "{doc}"
    );

    // Decided, certified and collected at the window: the month's indicators count it.
    let (approver, approver_csrf) = console_login(&api, "scjgj-approver").await;
    let decide = encode(&[("_csrf", &approver_csrf), ("action", "decide"), ("grant", "yes")]);
    let (s, _, _) = send(&api, post_form(&act, Some(&approver), &decide)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, doc) = send(&api, get(&format!("/console/applications/{id}/print/decision"), Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc.contains("准予行政许可决定书") && doc.contains("第三十八条第一款") && doc.contains("颁发食品经营许可证"),
        "{doc}"
    );
    let certify = encode(&[
        ("_csrf", &csrf),
        ("action", "certify"),
        ("number", "JY1350102026"),
        ("valid_from", "2026-11-16"),
        ("valid_until", ""),
    ]);
    let (s, _, _) = send(&api, post_form(&act, Some(&cookie), &certify)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let deliver = encode(&[("_csrf", &csrf), ("action", "deliver"), ("how", "window")]);
    let (s, _, _) = send(&api, post_form(&act, Some(&cookie), &deliver)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // The certificate's public page, for anyone who scans it.
    let (_, _, page) = send(&api, get(&format!("/console/applications/{id}"), Some(&cookie))).await;
    let link = page
        .split("href=\"/certificates/")
        .nth(1)
        .expect("a link to the certificate's page")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (s, _, public) = send(&api, get(&format!("/certificates/{link}"), None)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        public.contains("有效") && public.contains("JY1350102026") && public.contains("91350100******0Y43"),
        "{public}"
    );
    let (leader, _) = console_login(&api, "leader1").await;
    let (s, _, page) = send(&api, get("/console/indicators?month=2026-11", Some(&leader))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"kpi-done\">1<") && page.contains("id=\"kpi-visits\">3.00<"), "{page}");
    assert!(page.contains("市场监管局") && page.contains("食品经营许可"), "{page}");
    let (s, headers, csv) = send(&api, get("/console/indicators?month=2026-11&format=csv", Some(&leader))).await;
    assert_eq!((s, headers[header::CONTENT_TYPE].to_str().unwrap()), (StatusCode::OK, "text/csv; charset=utf-8"));
    assert!(csv.contains("范围,名称,办结件数,按时办结率") && csv.contains("事项,食品经营许可,1,100.0%"), "{csv}");

    // Another department's staff do not see it.
    let (other, _) = console_login(&api, "cgw-clerk").await;
    let (s, _, _) = send(&api, get(&format!("/console/applications/{id}"), Some(&other))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A handler is no window clerk.
    let (handler, _) = console_login(&api, "scjgj-handler").await;
    let (s, _, _) = send(&api, get("/console/applications/new", Some(&handler))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn anyone_finds_a_service_and_reads_its_guide_in_plain_chinese() {
    let api = Api::new();
    let (s, _, page) = send(&api, get("/services", None)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("href=\"/services/residence-permit\"") && page.contains("办事指南"), "{page}");
    let (_, _, found) = send(&api, get("/services?q=%E5%B1%85%E4%BD%8F", None)).await; // 居住
    assert!(found.contains("居住证签发") && !found.contains("食品经营许可"), "{found}");
    let (_, _, none) = send(&api, get("/services?q=%E6%B8%B8%E8%89%87", None)).await; // 游艇
    assert!(none.contains("没有找到相关事项"));

    let (s, _, guide) = send(&api, get("/services/public-place-hygiene", None)).await;
    assert_eq!(s, StatusCode::OK);
    for want in [
        "云溪区卫生健康委员会",
        "《公共场所卫生管理条例》第八条",
        "承诺 <strong>7</strong> 个工作日办结（法定时限 20 个工作日）",
        "需到现场 1 次：云溪区政务服务中心二楼卫健窗口",
        "不收费",
        "已有电子证照的，无需提交",
        "卫生检测（所需时间不计入办结时限，将书面告知）",
        "公共场所卫生许可证，有效期 4 年",
        "打印本指南",
    ] {
        assert!(guide.contains(want), "{want} missing from the guide");
    }
    let (s, _, printed) = send(&api, get("/services/public-place-hygiene?print=1", None)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(printed.contains("公共场所卫生许可办事指南") && !printed.contains("<nav"), "{printed}");
    let (s, _, page) = send(&api, get("/services/no-such-thing", None)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(page.contains("没有这个事项"), "{page}");
}

#[tokio::test]
async fn the_applicant_follows_and_rates_on_the_portal_and_the_department_answers_in_the_console() {
    let api = Api::new();
    let token = api.login("scjgj-clerk").await;
    let body = serde_json::json!({
        "service": "sole-trader",
        "applicant": {"name": "王小二", "phone": "13812345678"},
        "form": {"trade-name": "王小二便利店", "scope": "日用百货零售"},
        "materials": [{"material": "id-card", "certificate": "ID-350102"}]
    });
    let (_, v) = api.call("POST", "/api/v1/applications", Some(&token), Some(body)).await;
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    let code = v["application"]["tracking_code"].as_str().unwrap().to_owned();

    // Before it ends there is nothing to rate.
    let track = encode(&[("tracking_code", &code), ("phone", "13812345678")]);
    let (s, _, page) = send(&api, post_form("/services/track", None, &track)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("个体工商户设立登记") && page.contains("待受理") && !page.contains("id=\"rate\""), "{page}");
    let wrong = encode(&[("tracking_code", &code), ("phone", "13900000000")]);
    let (s, _, page) = send(&api, post_form("/services/track", None, &wrong)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(page.contains("role=\"alert\""), "{page}");

    // A 即办件, decided and handed over on the spot: now it can be rated.
    let act = |action: serde_json::Value| {
        let (token, path) = (token.clone(), format!("/api/v1/applications/{id}/actions"));
        let api = &api;
        async move { api.call("POST", &path, Some(&token), Some(action)).await }
    };
    let (s, v) = act(serde_json::json!({"action": "accept", "verdict": {"grant": true}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = act(serde_json::json!({"action": "certify", "number": "GT350102", "valid_from": "2026-11-16"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = act(serde_json::json!({"action": "deliver", "how": "on_the_spot"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, _, page) = send(&api, post_form("/services/track", None, &track)).await;
    assert!(page.contains("已办结") && page.contains("id=\"rate\"") && page.contains("非常不满意"), "{page}");

    // A bad rating without a reason is refused on the form; with one it is taken.
    let bad = |comment: &str| {
        encode(&[("tracking_code", &code), ("phone", "13812345678"), ("rating", "unsatisfied"), ("comment", comment)])
    };
    let (s, _, page) = send(&api, post_form("/services/track/rate", None, &bad(""))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("差评请说明不满意的原因"), "{page}");
    let (s, _, page) = send(&api, post_form("/services/track/rate", None, &bad("营业执照上的经营范围漏了一项"))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("办理部门将在规定时限内核实整改") && page.contains("id=\"applicant-rating\">不满意<"),
        "{page}"
    );
    assert!(!page.contains("id=\"rate\""), "rated once");

    // The department finds it in 我的待办 and answers it on its page.
    let (cookie, csrf) = console_login(&api, "scjgj-leader").await;
    let (_, _, todo) = send(&api, get("/console/todo?kind=rating_fix", Some(&cookie))).await;
    let fix = todo
        .split("href=\"/console/rating-fixes/")
        .nth(1)
        .expect("a 差评整改 in 我的待办")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (s, _, page) = send(&api, get(&format!("/console/rating-fixes/{fix}"), Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("营业执照上的经营范围漏了一项") && page.contains("id=\"action-verify\""), "{page}");
    let path = format!("/console/rating-fixes/{fix}/act");
    let verify =
        encode(&[("_csrf", &csrf), ("action", "verify"), ("founded", "yes"), ("finding", "登记时漏录一项经营范围")]);
    let (s, _, _) = send(&api, post_form(&path, Some(&cookie), &verify)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let empty = encode(&[("_csrf", &csrf), ("action", "answer"), ("measures", ""), ("reply", "")]);
    let (s, _, page) = send(&api, post_form(&path, Some(&cookie), &empty)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("整改答复未完成"), "{page}");
    let answer = encode(&[
        ("_csrf", &csrf),
        ("action", "answer"),
        ("measures", "已变更登记补录经营范围"),
        ("reply", "已为您补录并换发营业执照"),
    ]);
    let (s, headers, _) = send(&api, post_form(&path, Some(&cookie), &answer)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&api, get(headers[header::LOCATION].to_str().unwrap(), Some(&cookie))).await;
    assert!(
        page.contains("已办结") && page.contains("已为您补录并换发营业执照"),
        "anonymous: closed at the answer: {page}"
    );
}

#[tokio::test]
async fn a_special_step_and_a_refusal_are_told_in_writing() {
    let api = Api::new();
    let clerk = api.login("wjw-clerk").await;
    let body = serde_json::json!({
        "service": "public-place-hygiene",
        "applicant": {"name": "周敏", "phone": "13812345678"},
        "enterprise": {"code": "91350100M000100Y43", "name": "云溪区清泉浴室"},
        "form": {"place-type": "沐浴场所"},
        "materials": [{"material": "application-form", "paper": true}, {"material": "test-report", "paper": true},
                      {"material": "business-licence", "certificate": "YX-GSZZ-2026-000999"}]
    });
    let (_, v) = api.call("POST", "/api/v1/applications", Some(&clerk), Some(body)).await;
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/applications/{id}/actions");
    let (s, _) = api.call("POST", &path, Some(&clerk), Some(serde_json::json!({"action": "accept"}))).await;
    assert_eq!(s, StatusCode::OK);
    let reviewer = api.login("wjw-reviewer").await;
    let suspend = serde_json::json!({"action": "suspend", "step": "testing", "reason": "需对水质进行卫生检测"});
    let (s, v) = api.call("POST", &path, Some(&reviewer), Some(suspend)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (cookie, _) = console_login(&api, "wjw-reviewer").await;
    let (s, _, doc) = send(&api, get(&format!("/console/applications/{id}/print/suspension"), Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc.contains("特别程序告知书")
            && doc.contains("卫生检测")
            && doc.contains("第四十五条")
            && doc.contains("云溪区卫生健康委员会"),
        "{doc}"
    );
    api.call("POST", &path, Some(&reviewer), Some(serde_json::json!({"action": "resume", "result": "检测不合格"})))
        .await;
    let refuse = serde_json::json!({"action": "decide", "verdict": {"grant": false, "reasons": "水质检测不符合《公共场所卫生指标及限值要求》"}});
    let (s, v) = api.call("POST", &path, Some(&reviewer), Some(refuse)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _, doc) = send(&api, get(&format!("/console/applications/{id}/print/decision"), Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    for want in ["不予行政许可决定书", "水质检测不符合", "第三十八条第二款", "行政复议", "行政诉讼"]
    {
        assert!(doc.contains(want), "{want} missing from the decision");
    }
    let (s, _, _) = send(&api, get(&format!("/console/applications/{id}/print/suspension"), Some(&cookie))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "the step is over");
}

/// The cells of an .xlsx file's first sheet, by reference (`B2`), shared strings
/// resolved: read from the ZIP's XML, as a spreadsheet program would.
fn xlsx_cells(bytes: &[u8]) -> std::collections::HashMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an xlsx is a zip");
    let mut part = |name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).expect(name), &mut text).unwrap();
        text
    };
    let (strings, sheet) = (part("xl/sharedStrings.xml"), part("xl/worksheets/sheet1.xml"));
    let inner = |s: &str, open: &str, close: &str| -> Option<String> {
        let from = s.find(open)?;
        let rest = &s[from..];
        let start = rest.find('>')? + 1;
        let end = rest.find(close)?;
        Some(rest[start..end].to_owned())
    };
    let shared: Vec<String> =
        strings.split("<si>").skip(1).map(|si| inner(si, "<t", "</t>").unwrap_or_default()).collect();
    let mut cells = std::collections::HashMap::new();
    for c in sheet.split("<c ").skip(1) {
        let attrs = &c[..c.find('>').unwrap()];
        let r = attrs.split("r=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let Some(v) = inner(c, "<v", "</v>") else { continue };
        let shared_string = attrs.contains("t=\"s\"");
        cells.insert(r, if shared_string { shared[v.parse::<usize>().unwrap()].clone() } else { v });
    }
    cells
}

/// The column letter of the header `name` in row 1.
fn column(cells: &std::collections::HashMap<String, String>, name: &str) -> String {
    let r = cells.iter().find(|(r, v)| r.ends_with('1') && r.len() <= 3 && v.as_str() == name);
    r.unwrap_or_else(|| panic!("no column {name}")).0.trim_end_matches('1').to_owned()
}

#[tokio::test]
async fn the_window_asks_the_applicant_to_rate_the_visit_and_leaders_read_the_dimensions_in_excel_and_on_the_dashboard()
{
    let api = Api::new();
    let token = api.login("scjgj-clerk").await;
    let body = serde_json::json!({
        "service": "sole-trader",
        "applicant": {"name": "王小二", "phone": "13812345678"},
        "form": {"trade-name": "王小二便利店", "scope": "日用百货零售"},
        "materials": [{"material": "id-card", "certificate": "ID-350102"}]
    });
    let (_, v) = api.call("POST", "/api/v1/applications", Some(&token), Some(body)).await;
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    let code = v["application"]["tracking_code"].as_str().unwrap().to_owned();

    // Registered at the window: the clerk's page offers 请办事人评价 with the hall's
    // dimensions, not the online ones.
    let (cookie, csrf) = console_login(&api, "scjgj-clerk").await;
    let page_of = format!("/console/applications/{id}");
    let (_, _, page) = send(&api, get(&page_of, Some(&cookie))).await;
    assert!(page.contains("id=\"action-rate_visit\"") && page.contains("请办事人评价"), "{page}");
    assert!(page.contains("服务效率") && page.contains("服务态度") && !page.contains("平台操作性"), "{page}");
    let act = format!("/console/applications/{id}/act");
    let rated = |level: &str| {
        encode(&[
            ("_csrf", &csrf),
            ("action", "rate_visit"),
            ("visit", "1"),
            ("rating", "very_satisfied"),
            ("dim_efficiency", "satisfied"),
            ("dim_attitude", level),
        ])
    };
    let (s, _, page) = send(&api, post_form(&act, Some(&cookie), &rated("great"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("“服务态度”的评价等级无效"), "{page}");
    let (s, headers, _) = send(&api, post_form(&act, Some(&cookie), &rated("very_satisfied"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&api, get(headers[header::LOCATION].to_str().unwrap(), Some(&cookie))).await;
    let card = page.split("id=\"application-ratings\"").nth(1).expect("the ratings card");
    assert!(
        card.contains("第 1 次到窗口") && card.contains("服务态度 非常满意") && card.contains("服务效率 满意"),
        "{card}"
    );
    assert!(!page.contains("id=\"action-rate_visit\""), "the visit is rated once");

    // The 即办件 ends; the applicant rates it on the portal with the online dimensions.
    for action in [
        serde_json::json!({"action": "accept", "verdict": {"grant": true}}),
        serde_json::json!({"action": "certify", "number": "GT350199", "valid_from": "2026-11-16"}),
        serde_json::json!({"action": "deliver", "how": "on_the_spot"}),
    ] {
        let (s, v) = api.call("POST", &format!("/api/v1/applications/{id}/actions"), Some(&token), Some(action)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let track = encode(&[("tracking_code", &code), ("phone", "13812345678")]);
    let (_, _, page) = send(&api, post_form("/services/track", None, &track)).await;
    assert!(page.contains("id=\"rate\"") && page.contains("办事指南精确度") && page.contains("平台操作性"), "{page}");
    let rate = encode(&[
        ("tracking_code", &code),
        ("phone", "13812345678"),
        ("rating", "satisfied"),
        ("dim_guide", "basic"),
        ("dim_platform", "very_satisfied"),
    ]);
    let (s, _, page) = send(&api, post_form("/services/track/rate", None, &rate)).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"applicant-rating\">满意<"), "{page}");

    // The leaders' Excel: the district's row has each dimension's average.
    let (leader, _) = console_login(&api, "leader1").await;
    let req = get("/console/indicators?format=xlsx&month=2026-11", Some(&leader));
    let resp = tower::ServiceExt::oneshot(yiwang_web::router(api.app.clone()), req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"));
    assert!(resp.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("yiwang-services-2026-11.xlsx"));
    let bytes = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
    let cells = xlsx_cells(&bytes);
    assert_eq!(cells["A2"], "全区", "{cells:?}");
    let at = |name: &str| cells.get(&format!("{}2", column(&cells, name))).cloned();
    assert_eq!(at("办事指南精确度").as_deref(), Some("3"), "{cells:?}");
    assert_eq!(at("平台操作性").as_deref(), Some("5"));
    assert_eq!(at("网办整体满意度").as_deref(), Some("4"));
    assert_eq!(at("现场整体满意度").as_deref(), Some("5"));
    assert_eq!(at("服务态度").as_deref(), Some("5"));
    assert_eq!(at("服务水平"), None, "not given");
    assert_eq!((at("现场评价数").as_deref(), at("好评率").as_deref()), (Some("1"), Some("1")));
    // The page shows the same, and links the Excel file.
    let (_, _, page) = send(&api, get("/console/indicators?month=2026-11", Some(&leader))).await;
    assert!(page.contains("format=xlsx&amp;month=2026-11") && page.contains("id=\"indicators-scores\""), "{page}");

    // The dashboard's 一网通办 tile: this month's rates, linking to the indicators.
    let (_, _, page) = send(&api, get("/console/dashboard", Some(&leader))).await;
    let tile = page.split("id=\"services-tile\"").nth(1).expect("the 一网通办 tile");
    assert!(tile.contains("href=\"/console/indicators?month=2026-11\""), "{tile}");
    assert!(tile.contains("id=\"kpi-good\">100.0%<") && tile.contains("id=\"kpi-on-time\">100.0%<"), "{tile}");
    assert!(tile.contains("全程网办率") && tile.contains("差评整改率"), "{tile}");
}

#[tokio::test]
async fn the_window_records_the_payment_of_a_fee_and_the_decision_says_it_was_paid() {
    let api = Api::new();
    // 食品经营许可 with a fee of 12.50 元, loaded as a district would load its catalogue.
    let with_fee = yiwang_app::DEMO_SERVICES.replacen(
        "certificate = { code = \"food-business-licence\"",
        "fees = [{ name = \"工本费\", amount = \"12.50\", basis = \"按规定\" }]\ncertificate = { code = \"food-business-licence\"",
        1,
    );
    let admin = api.login("admin").await;
    let req = axum::http::Request::builder()
        .method("PUT")
        .uri("/api/v1/services")
        .header("authorization", format!("Bearer {admin}"))
        .header("content-type", "application/toml")
        .body(axum::body::Body::from(with_fee))
        .unwrap();
    let (s, r) = api.raw(req).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let token = api.login("scjgj-clerk").await;
    let body = serde_json::json!({
        "service": "food-business",
        "applicant": {"name": "刘海峰", "phone": "13812345678"},
        "enterprise": {"code": "91350100M000100Y43", "name": "云溪区好味小厨餐饮店"},
        "form": {"shop-name": "好味小厨", "address": "云溪区府前街18号", "kind": "热食类食品制售", "area-sqm": "85"},
        "materials": [{"material": "application-form", "paper": true}]
    });
    let (_, v) = api.call("POST", "/api/v1/applications", Some(&token), Some(body)).await;
    let id = v["application"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/applications/{id}/actions");
    let (s, v) = api.call("POST", &path, Some(&token), Some(serde_json::json!({"action": "accept"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let approver = api.login("scjgj-approver").await;
    let decide = serde_json::json!({"action": "decide", "verdict": {"grant": true}});
    let (s, v) = api.call("POST", &path, Some(&approver), Some(decide)).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let (cookie, csrf) = console_login(&api, "scjgj-clerk").await;
    let (_, _, page) = send(&api, get(&format!("/console/applications/{id}"), Some(&cookie))).await;
    assert!(page.contains("id=\"action-record_payment\"") && page.contains("工本费：12.50 元"), "{page}");
    assert!(page.contains("未缴费") && !page.contains("id=\"action-certify\""), "pay before 制证: {page}");
    let (_, _, doc) = send(&api, get(&format!("/console/applications/{id}/print/decision"), Some(&cookie))).await;
    assert!(doc.contains("本事项依法收费 12.50 元。请缴费后凭缴费凭证领取证照。"), "{doc}");

    let act = format!("/console/applications/{id}/act");
    let pay = |amount: &str| {
        encode(&[
            ("_csrf", &csrf),
            ("action", "record_payment"),
            ("reference", "FS-2026-000777"),
            ("amount", amount),
            ("paid_on", "2026-11-16"),
        ])
    };
    let (s, _, page) = send(&api, post_form(&act, Some(&cookie), &pay("12.555"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请填写金额，如 12.50"), "{page}");
    let (s, _, page) = send(&api, post_form(&act, Some(&cookie), &pay("10"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("缴费金额应为本事项收费合计 12.50 元"), "{page}");
    let (s, headers, _) = send(&api, post_form(&act, Some(&cookie), &pay("12.5"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&api, get(headers[header::LOCATION].to_str().unwrap(), Some(&cookie))).await;
    let paid = page.split("id=\"application-payment\"").nth(1).expect("the payment line");
    assert!(paid.contains("已缴费（凭证号 FS-2026-000777，2026-11-16）"), "{paid}");
    assert!(page.contains("id=\"action-certify\"") && !page.contains("id=\"action-record_payment\""), "{page}");
    let (_, _, doc) = send(&api, get(&format!("/console/applications/{id}/print/decision"), Some(&cookie))).await;
    assert!(doc.contains("已于 2026-11-16 缴纳，缴费凭证号 FS-2026-000777。"), "{doc}");
}
