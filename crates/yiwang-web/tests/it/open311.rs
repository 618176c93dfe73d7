//! Open311 GeoReport v2 conformance: every method in XML and JSON, the spec's error
//! bodies and statuses, and a request's life as an ordinary appeal.

use crate::harness::{Api, Backend};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use yiwang_core::org::Actor;

struct Reply {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        assert!(self.content_type.starts_with("application/json; charset=utf-8"), "{}", self.content_type);
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    fn xml(&self) -> &str {
        assert!(self.content_type.starts_with("text/xml; charset=utf-8"), "{}", self.content_type);
        assert!(self.body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<"), "{}", self.body);
        &self.body
    }
}

async fn send(api: &Api, method: &str, uri: &str, form: Option<&str>) -> Reply {
    let mut req = Request::builder().method(method).uri(uri).header("host", "yiwang.test");
    let req = match form {
        Some(f) => req
            .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
            .body(Body::from(f.to_owned()))
            .unwrap(),
        None => {
            req = req.header("content-length", "0");
            req.body(Body::empty()).unwrap()
        }
    };
    let resp = yiwang_web::router(api.app.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let body = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    Reply { status, content_type, body }
}

async fn get(api: &Api, uri: &str) -> Reply {
    send(api, "GET", uri, None).await
}

async fn post(api: &Api, uri: &str, form: &str) -> Reply {
    send(api, "POST", uri, Some(form)).await
}

/// The texts of every `<name>` element, in order.
fn tags(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = vec![];
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let j = after.find(&close).unwrap_or_else(|| panic!("unclosed <{name}> in {xml}"));
        out.push(after[..j].to_owned());
        rest = &after[j + close.len()..];
    }
    out
}

/// Asserts the spec's error body, in the format asked for, with the status as its code.
fn assert_error(r: &Reply, status: StatusCode, json: bool) -> String {
    assert_eq!(r.status, status, "{}", r.body);
    if json {
        let v = r.json();
        let errs = v.as_array().unwrap_or_else(|| panic!("errors are an array: {v}"));
        assert_eq!(errs[0]["code"], status.as_u16(), "{v}");
        errs[0]["description"].as_str().unwrap().to_owned()
    } else {
        let x = r.xml();
        assert!(x.contains("<errors><error><code>"), "{x}");
        assert_eq!(tags(x, "code"), [status.as_u16().to_string()], "{x}");
        tags(x, "description").remove(0)
    }
}

async fn key(api: &Api) -> String {
    api.blocking(|app| app.issue_api_key(&Actor::System, "测试客户端")).await.unwrap().key
}

/// A post to 水电气热 at the 湖畔路 point, with the contact fields and a photo.
fn water_report(key: &str) -> String {
    format!(
        "api_key={key}&service_code=cxjs-11&lat=39.876892&long=116.225087&address_string=%E6%B9%96%E7%95%94%E8%B7%AF12%E5%8F%B7\
         &first_name=%E4%B8%89&last_name=%E5%BC%A0&phone=13812345678&email=zhang%40example.com\
         &description=%E5%81%9C%E6%B0%B4%E4%B8%A4%E5%A4%A9&media_url=https%3A%2F%2Fexample.com%2Fp.jpg\
         &attribute[utility]=water&attribute[scope][]=building&attribute[scope][]=estate\
         &attribute[since]=2026-11-15T08:00:00%2B08:00&account_id=acc-1"
    )
}

async fn create(api: &Api, form: &str) -> String {
    let r = post(api, "/open311/v2/requests.json", form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()[0]["service_request_id"].as_str().unwrap().to_owned()
}

async fn one_request(api: &Api, id: String) -> Value {
    get(api, &format!("/open311/v2/requests/{id}.json")).await.json()[0].clone()
}

/// Reads nothing from the store, so it runs on SQLite only.
#[tokio::test]
async fn discovery_names_the_spec_the_endpoint_and_both_formats() {
    let api = Api::new();
    let v = get(&api, "/open311/v2/discovery.json").await.json();
    let e = &v["endpoints"][0];
    assert_eq!(e["specification"], "http://wiki.open311.org/GeoReport_v2");
    // The configured public address (here the default), not the request's Host.
    assert_eq!(e["url"], "http://127.0.0.1:8080/open311/v2");
    assert_eq!(e["formats"], json!(["text/xml", "application/json"]));
    assert!(v["changeset"].as_str().unwrap().ends_with("+08:00"));
    let r = get(&api, "/open311/v2/discovery.xml").await;
    let x = r.xml();
    assert!(x.contains("<discovery>") && x.contains("<endpoints><endpoint>"), "{x}");
    assert_eq!(tags(x, "format"), ["text/xml", "application/json"]);
}

async fn the_service_list_offers_the_leaf_categories_grouped_by_first_level(backend: Backend) {
    let api = Api::on(backend);
    let v = get(&api, "/open311/v2/services.json").await.json();
    let list = v.as_array().unwrap();
    let water = list.iter().find(|s| s["service_code"] == "cxjs-11").expect("水电气热 is a service");
    assert_eq!(water["service_name"], "水电气热");
    assert_eq!(water["group"], "城乡建设");
    assert_eq!(water["metadata"], true, "it asks questions");
    assert_eq!(water["type"], "realtime");
    let plain = list.iter().find(|s| s["service_code"] == "cxjs-02").unwrap();
    assert_eq!(plain["metadata"], false);
    assert!(list.iter().all(|s| s["service_code"] != "cxjs"), "a first level with children is a group, not a service");

    let r = get(&api, "/open311/v2/services.xml?jurisdiction_id=district").await;
    let x = r.xml();
    assert_eq!(tags(x, "service_code").len(), list.len());
    assert!(x.contains("<services><service><service_code>"), "{x}");
    assert!(x.contains("<metadata>true</metadata>"));
}

async fn a_service_definition_lists_the_questions_in_both_formats_and_an_unknown_one_is_404(backend: Backend) {
    let api = Api::on(backend);
    let v = get(&api, "/open311/v2/services/cxjs-11.json").await.json();
    assert_eq!(v["service_code"], "cxjs-11");
    let a = &v["attributes"];
    assert_eq!(a[0]["code"], "utility");
    assert_eq!(a[0]["datatype"], "singlevaluelist");
    assert_eq!(a[0]["required"], true);
    assert_eq!(a[0]["variable"], true);
    assert_eq!(a[0]["order"], 1);
    assert_eq!(a[0]["values"][1], json!({"key": "power", "name": "供电"}));
    assert_eq!(a[1]["datatype"], "multivaluelist");
    assert_eq!(a[2]["order"], 3);

    let r = get(&api, "/open311/v2/services/cxjs-11.xml").await;
    let x = r.xml();
    assert!(x.contains("<service_definition><service_code>cxjs-11</service_code><attributes><attribute>"), "{x}");
    assert_eq!(tags(x, "key"), ["water", "power", "gas", "heat", "home", "building", "estate"]);

    let v = get(&api, "/open311/v2/services/cxjs-02.json").await.json();
    assert_eq!(v["attributes"], json!([]));
    for (uri, json) in [("/open311/v2/services/nope-99.json", true), ("/open311/v2/services/nope-99.xml", false)] {
        assert_error(&get(&api, uri).await, StatusCode::NOT_FOUND, json);
    }
    assert_error(&get(&api, "/open311/v2/services/cxjs.json").await, StatusCode::NOT_FOUND, true);
    let d = assert_error(
        &get(&api, "/open311/v2/services.json?jurisdiction_id=elsewhere.gov").await,
        StatusCode::NOT_FOUND,
        true,
    );
    assert!(d.contains("jurisdiction_id"), "{d}");
}

async fn a_post_without_a_valid_api_key_gets_the_specs_403(backend: Backend) {
    let api = Api::on(backend);
    let valid = key(&api).await;
    let form = water_report(&valid);
    for (k, json) in [("", true), ("", false), ("wrong-key", true), ("wrong-key", false)] {
        let f = form.replace(&format!("api_key={valid}"), &format!("api_key={k}"));
        let uri = if json { "/open311/v2/requests.json" } else { "/open311/v2/requests.xml" };
        let d = assert_error(&post(&api, uri, &f).await, StatusCode::FORBIDDEN, json);
        assert!(d.contains("api_key"), "{d}");
    }
    let no_key = form.replace(&format!("api_key={valid}&"), "");
    assert_error(&post(&api, "/open311/v2/requests.json", &no_key).await, StatusCode::FORBIDDEN, true);
    // A revoked key is refused from then on.
    let id = api.blocking(|app| app.api_keys(&Actor::System)).await.unwrap()[0].id;
    assert_eq!(post(&api, "/open311/v2/requests.json", &form).await.status, StatusCode::OK);
    api.blocking(move |app| app.revoke_api_key(&Actor::System, id)).await.unwrap();
    assert_error(&post(&api, "/open311/v2/requests.json", &form).await, StatusCode::FORBIDDEN, true);
}

async fn a_posted_request_is_an_ordinary_open311_appeal_waiting_for_dispatch(backend: Backend) {
    let api = Api::on(backend);
    let k = key(&api).await;
    let r = post(&api, "/open311/v2/requests.xml", &water_report(&k)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let x = r.xml();
    let id = tags(x, "service_request_id").remove(0);
    assert!(id.starts_with("YW20261116"), "the case number: {id}");
    assert!(tags(x, "service_notice")[0].contains("查询码"), "{x}");
    assert_eq!(tags(x, "account_id"), ["acc-1"]);
    assert!(!x.contains("<token>"), "a realtime service returns no token");

    let dispatcher = api.login("dispatcher1").await;
    let (s, v) = api.call("GET", &format!("/api/v1/appeals/{id}"), Some(&dispatcher), None).await;
    assert_eq!(s, StatusCode::OK);
    let a = &v["appeal"];
    assert_eq!(a["channel"], "open311");
    assert_eq!(a["status"], "accepted", "it waits for dispatch like any other");
    assert_eq!(a["category"], "cxjs-11");
    assert_eq!(a["location"]["area"], "gd-wh-2-2", "the point found its grid");
    assert_eq!(a["attachments"], json!(["https://example.com/p.jpg"]));
    let text = a["text"].as_str().unwrap();
    assert!(text.starts_with("停水两天"), "{text}");
    assert!(text.contains("哪一类问题？：供水") && text.contains("影响范围：整栋楼、整个小区"), "{text}");
    assert_eq!(v["citizen_name"], "张*", "last name + first name, masked for staff lists");
    assert_eq!(v["citizen_phone"], "138****5678");
    assert_eq!(v["events"][0]["actor"], "测试客户端", "the client app is the actor");
    let (_, phone) = api.call("POST", &format!("/api/v1/appeals/{id}/reveal-phone"), Some(&dispatcher), None).await;
    assert_eq!(phone["phone"], "13812345678");

    // It shows in the dispatch queue.
    let (_, q) = api.call("GET", "/api/v1/queues/to_dispatch", Some(&dispatcher), None).await;
    assert!(q.to_string().contains(&id), "{q}");

    // Open311 shows it without personal data, times in China Standard Time.
    let v = get(&api, &format!("/open311/v2/requests/{id}.json")).await.json();
    let s = &v[0];
    assert_eq!(s["service_request_id"], id.as_str());
    assert_eq!(s["status"], "open");
    assert_eq!(s["service_code"], "cxjs-11");
    assert_eq!(s["service_name"], "水电气热");
    assert_eq!(s["requested_datetime"], "2026-11-16T09:00:00+08:00");
    assert!(s["expected_datetime"].as_str().unwrap().ends_with("+08:00"), "the dispatch due: {s}");
    assert_eq!(s["agency_responsible"], Value::Null, "no unit holds it yet");
    // Coordinates are published to three decimal places (about 100 m).
    assert_eq!(s["lat"], 39.877);
    assert_eq!(s["long"], 116.225);
    assert_eq!(s["address"], "湖畔路12号");
    assert_eq!(s["media_url"], "https://example.com/p.jpg");
    let all = v.to_string();
    assert!(!all.contains("13812345678") && !all.contains("张") && !all.contains("example.com\","), "{all}");
    let x = get(&api, &format!("/open311/v2/requests/{id}.xml")).await;
    assert_eq!(tags(x.xml(), "status"), ["open"]);
    assert!(x.body.contains("<zipcode/>"), "{}", x.body);
}

async fn a_request_yiwang_cannot_place_is_still_accepted_for_the_operator_to_locate(backend: Backend) {
    let api = Api::on(backend);
    let k = key(&api).await;
    let id = create(
        &api,
        &format!("api_key={k}&service_code=cxjs-02&address_string=%E4%B8%8D%E7%9F%A5%E9%81%93%E5%93%AA%E9%87%8C"),
    )
    .await;
    let far = create(&api, &format!("api_key={k}&service_code=cxjs-02&lat=31.2&long=121.5&description=x")).await;
    let other_id = create(&api, &format!("api_key={k}&service_code=cxjs-02&address_id=ext-4711&description=x")).await;
    let grid = create(&api, &format!("api_key={k}&service_code=cxjs-02&address_id=gd-wh-2-2&description=x")).await;
    let dispatcher = api.login("dispatcher1").await;
    let area = |v: &Value| v["appeal"]["location"]["area"].clone();
    for case in [&id, &far, &other_id] {
        let (s, v) = api.call("GET", &format!("/api/v1/appeals/{case}"), Some(&dispatcher), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(area(&v), Value::Null, "{v}");
    }
    let (_, v) = api.call("GET", &format!("/api/v1/appeals/{other_id}"), Some(&dispatcher), None).await;
    assert!(v["appeal"]["location"]["address"].as_str().unwrap().contains("ext-4711"));
    let (_, v) = api.call("GET", &format!("/api/v1/appeals/{grid}"), Some(&dispatcher), None).await;
    // An area a client names is the citizen's word, kept in the address; which area a
    // case belongs to is the operator's decision.
    assert_eq!(area(&v), Value::Null, "{v}");
    assert!(v["appeal"]["location"]["address"].as_str().unwrap().contains("诉求人所选区域"), "{v}");
    let v = get(&api, &format!("/open311/v2/requests/{grid}.json")).await.json();
    assert_eq!(v[0]["address_id"], Value::Null);
}

async fn bad_posts_get_the_specs_status_and_error_body_in_both_formats(backend: Backend) {
    let api = Api::on(backend);
    let k = key(&api).await;
    let good = water_report(&k);
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (good.replace("service_code=cxjs-11&", ""), StatusCode::BAD_REQUEST, "service_code"),
        (good.replace("service_code=cxjs-11", "service_code=zz-99"), StatusCode::NOT_FOUND, "service_code"),
        (good.replace("service_code=cxjs-11", "service_code=cxjs"), StatusCode::NOT_FOUND, "service_code"),
        (format!("api_key={k}&service_code=cxjs-02&description=no+location"), StatusCode::BAD_REQUEST, "location"),
        (good.replace("&long=116.225087", ""), StatusCode::BAD_REQUEST, "lat and long"),
        (good.replace("lat=39.876892", "lat=north"), StatusCode::BAD_REQUEST, "lat"),
        (good.replace("lat=39.876892", "lat=95"), StatusCode::BAD_REQUEST, "lat"),
        (good.replace("&attribute[utility]=water", ""), StatusCode::BAD_REQUEST, "attribute[utility]"),
        (
            good.replace("attribute[utility]=water", "attribute[utility]=wine"),
            StatusCode::BAD_REQUEST,
            "attribute[utility]",
        ),
        (
            good.replace("attribute[utility]=water", "attribute[utility]=water&attribute[utility]=gas"),
            StatusCode::BAD_REQUEST,
            "attribute[utility]",
        ),
        (
            good.replace("attribute[scope][]=estate", "attribute[scope][]=town"),
            StatusCode::BAD_REQUEST,
            "attribute[scope]",
        ),
        (good.replace("2026-11-15T08:00:00%2B08:00", "yesterday"), StatusCode::BAD_REQUEST, "attribute[since]"),
        (good.replace("phone=13812345678", "phone=12"), StatusCode::BAD_REQUEST, "联系电话"),
        (
            good.replace("https%3A%2F%2Fexample.com%2Fp.jpg", "javascript:alert(1)"),
            StatusCode::BAD_REQUEST,
            "media_url",
        ),
        (
            good.replace(
                "description=%E5%81%9C%E6%B0%B4%E4%B8%A4%E5%A4%A9",
                &format!("description={}", "a".repeat(4001)),
            ),
            StatusCode::BAD_REQUEST,
            "4,000",
        ),
        (format!("{good}&jurisdiction_id=elsewhere.gov"), StatusCode::NOT_FOUND, "jurisdiction_id"),
    ];
    for (form, status, mention) in cases {
        for json in [true, false] {
            let uri = if json { "/open311/v2/requests.json" } else { "/open311/v2/requests.xml" };
            let d = assert_error(&post(&api, uri, &form).await, status, json);
            assert!(d.contains(mention), "{mention}: {d}");
        }
    }
    // Nothing was filed by any of them.
    let v = get(&api, "/open311/v2/requests.json").await.json();
    assert_eq!(v, json!([]));
    // The body must be form-encoded.
    let req = Request::builder()
        .method("POST")
        .uri("/open311/v2/requests.json")
        .header("content-type", "application/json")
        .body(Body::from(json!({"api_key": k, "service_code": "cxjs-02"}).to_string()))
        .unwrap();
    let resp = yiwang_web::router(api.app.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // jurisdiction_id naming the district is accepted, and the body is UTF-8 throughout.
    let id = create(&api, &format!("{good}&jurisdiction_id=district")).await;
    let v = get(&api, &format!("/open311/v2/requests/{id}.json?jurisdiction_id=district")).await.json();
    assert!(v[0]["description"].as_str().unwrap().starts_with("停水两天"));
}

async fn get_requests_filters_by_id_service_status_and_dates(backend: Backend) {
    let api = Api::on(backend);
    let k = key(&api).await;
    let water = create(&api, &water_report(&k)).await;
    api.step(Duration::hours(1));
    let street =
        create(&api, &format!("api_key={k}&service_code=cxjs-02&lat=39.876892&long=116.225087&description=x")).await;
    let ids = |v: Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_owned()).collect()
    };
    let list = |q: &str| {
        let uri = format!("/open311/v2/requests.json{q}");
        let api = &api;
        async move { get(api, &uri).await }
    };
    assert_eq!(ids(list("").await.json()), [street.as_str(), water.as_str()], "newest first");
    assert_eq!(ids(list("?service_code=cxjs-11").await.json()), [water.as_str()]);
    assert_eq!(ids(list("?service_code=cxjs-11,cxjs-02").await.json()), [street.as_str(), water.as_str()]);
    assert_eq!(ids(list("?service_code=cxjs-11&service_code=cxjs-02").await.json()), [street.as_str(), water.as_str()]);
    assert_eq!(ids(list("?status=open").await.json()), [street.as_str(), water.as_str()]);
    assert_eq!(ids(list("?status=closed").await.json()), Vec::<String>::new());
    assert_eq!(ids(list("?status=open,closed").await.json()), [street.as_str(), water.as_str()]);
    // 09:00 and 10:00 China time on 16 November.
    assert_eq!(ids(list("?start_date=2026-11-16T09:30:00%2B08:00").await.json()), [street.as_str()]);
    assert_eq!(ids(list("?end_date=2026-11-16T01:30:00Z").await.json()), [water.as_str()]);
    assert_eq!(
        ids(list("?start_date=2026-11-16T09:00:00+08:00&end_date=2026-11-16T09:00:00+08:00").await.json()),
        [water.as_str()],
        "an unencoded + and an inclusive end"
    );
    let exactly_90_days = "?start_date=2026-08-18T09:00:00%2B08:00&end_date=2026-11-16T09:00:00%2B08:00";
    assert_eq!(ids(list(exactly_90_days).await.json()), [water.as_str()]);
    // service_request_id overrides every other argument.
    assert_eq!(
        ids(list(&format!("?service_request_id={water},{street}&status=closed")).await.json()),
        [water.as_str(), street.as_str()]
    );
    assert_eq!(ids(list("?service_request_id=YW20991231000001").await.json()), Vec::<String>::new());
    let x = get(&api, "/open311/v2/requests.xml?service_code=cxjs-11").await;
    assert_eq!(tags(x.xml(), "service_request_id"), [water.as_str()]);
    assert!(x.body.contains("<service_requests><request>"));

    for (q, mention) in [
        ("?status=pending", "status"),
        ("?start_date=yesterday", "start_date"),
        ("?start_date=2026-11-16T09:00:00", "start_date"),
        ("?start_date=2026-01-01T00:00:00Z&end_date=2026-11-16T00:00:00Z", "90 days"),
        ("?start_date=2026-08-17T00:00:00Z&end_date=2026-11-16T00:00:00Z", "90 days"),
        ("?start_date=2026-11-16T00:00:00Z&end_date=2026-11-01T00:00:00Z", "end_date"),
        ("?service_code=BAD%20CODE", "service_code"),
        ("?page=0", "page"),
        ("?page_size=1001", "page_size"),
    ] {
        for json in [true, false] {
            let ext = if json { "json" } else { "xml" };
            let d = assert_error(
                &get(&api, &format!("/open311/v2/requests.{ext}{q}")).await,
                StatusCode::BAD_REQUEST,
                json,
            );
            assert!(d.contains(mention), "{q}: {d}");
        }
    }
    assert_error(&get(&api, "/open311/v2/requests/YW20991231000001.xml").await, StatusCode::NOT_FOUND, false);
    assert_error(&get(&api, "/open311/v2/requests/nonsense.json").await, StatusCode::NOT_FOUND, true);
    assert_error(&get(&api, "/open311/v2/requests.csv").await, StatusCode::BAD_REQUEST, false);
    assert_error(&get(&api, "/open311/v2/complaints.json").await, StatusCode::NOT_FOUND, true);
}

async fn without_dates_only_the_most_recent_90_days_are_listed(backend: Backend) {
    let api = Api::on(backend);
    let k = key(&api).await;
    let old = create(&api, &water_report(&k)).await;
    api.step(Duration::days(91));
    let new = create(&api, &water_report(&k)).await;
    let v = get(&api, "/open311/v2/requests.json").await.json();
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [new.as_str()]);
    // The old one is still there for a window that holds it, and by its number.
    let v = get(&api, "/open311/v2/requests.json?start_date=2026-11-16T00:00:00%2B08:00").await.json();
    assert_eq!(v[0]["service_request_id"], old.as_str());
    assert_eq!(get(&api, &format!("/open311/v2/requests/{old}.json")).await.status, StatusCode::OK);
}

async fn page_and_page_size_split_the_list(backend: Backend) {
    let api = Api::on(backend);
    let k = key(&api).await;
    let mut made = vec![];
    for _ in 0..5 {
        made.push(create(&api, &water_report(&k)).await);
        api.step(Duration::minutes(1));
    }
    made.reverse();
    let page = |q: &str| {
        let api = &api;
        let q = q.to_owned();
        async move {
            let v = get(api, &format!("/open311/v2/requests.json?{q}")).await.json();
            v.as_array()
                .unwrap()
                .iter()
                .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(page("page_size=2").await, made[..2]);
    assert_eq!(page("page_size=2&page=2").await, made[2..4]);
    assert_eq!(page("page_size=2&page=3").await, made[4..]);
    assert_eq!(page("page_size=2&page=4").await, Vec::<String>::new());
    assert_eq!(page("page_size=2&page=2&service_code=cxjs-11,cxjs-02").await, made[2..4]);
}

async fn status_notes_agency_and_expected_time_follow_the_case_and_updates_list_its_steps(backend: Backend) {
    let api = Api::on(backend);
    let k = key(&api).await;
    let id = create(&api, &water_report(&k)).await;
    let dispatcher = api.login("dispatcher1").await;
    api.step(Duration::minutes(30));
    let v = api.act_ok(&dispatcher, &id, json!({"action": "dispatch", "category": "cxjs-11"})).await;
    let resolve_due =
        v["appeal"]["clocks"].as_array().unwrap().iter().find(|c| c["kind"] == "resolve").unwrap()["due"].clone();
    let s = one_request(&api, id.clone()).await;
    assert_eq!(s["status"], "open");
    assert_eq!(s["agency_responsible"], "城管委");
    assert_eq!(s["status_notes"], "待签收");
    let expected = chrono::DateTime::parse_from_rfc3339(s["expected_datetime"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(resolve_due.as_str().unwrap()).unwrap();
    assert_eq!(expected, due, "the resolve clock's due");

    let handler = api.login("cgw-handler").await;
    api.step(Duration::minutes(30));
    api.act_ok(&handler, &id, json!({"action": "sign_for"})).await;
    api.act_ok(&handler, &id, json!({"action": "contact", "note": "已联系，内部备注"})).await;
    api.step(Duration::hours(5));
    api.act_ok(&handler, &id, json!({"action": "reply", "outcome": "resolved", "text": "已抢修管道，恢复供水。"}))
        .await;
    let s = one_request(&api, id.clone()).await;
    assert_eq!(s["status"], "open", "open until the callback closes it");
    assert_eq!(s["status_notes"], "已抢修管道，恢复供水。");
    assert_eq!(s["expected_datetime"], Value::Null);
    let operator = api.login("operator1").await;
    api.step(Duration::hours(2));
    api.act_ok(&operator, &id, json!({"action": "callback", "solved": true, "satisfaction": "satisfied"})).await;
    let s = one_request(&api, id.clone()).await;
    assert_eq!(s["status"], "closed");
    assert_eq!(s["updated_datetime"], "2026-11-16T17:00:00+08:00", "the date it was closed");
    assert_eq!(s["agency_responsible"], "城管委");
    let v = get(&api, "/open311/v2/requests.json?status=closed").await.json();
    assert_eq!(v[0]["service_request_id"], id.as_str());

    // FixMyStreet's servicerequestupdates: one update per public step, richer statuses.
    let v = get(&api, "/open311/v2/servicerequestupdates.json").await.json();
    let steps: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["update_id"].as_str().unwrap().to_owned(), u["status"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        steps,
        [
            (format!("{id}-2"), "investigating".to_owned()),
            (format!("{id}-3"), "in_progress".to_owned()),
            (format!("{id}-5"), "fixed".to_owned()),
            (format!("{id}-6"), "fixed".to_owned()),
        ],
        "dispatch, sign for, reply, callback; the contact note stays internal"
    );
    assert_eq!(v[2]["description"], "已抢修管道，恢复供水。");
    assert_eq!(v[0]["description"], "派单至城管委");
    assert!(!v.to_string().contains("内部备注"));
    let x = get(&api, "/open311/v2/servicerequestupdates.xml?start_date=2026-11-16T13:00:00%2B08:00").await;
    let x = x.xml();
    assert!(x.contains("<service_requests_updates><request_update>"), "{x}");
    assert_eq!(tags(x, "status"), ["fixed", "fixed"]);
    assert_eq!(tags(x, "updated_datetime")[1], "2026-11-16T17:00:00+08:00");
}

async fn a_merged_duplicate_says_duplicate_until_its_master_is_answered(backend: Backend) {
    let api = Api::on(backend);
    let k = key(&api).await;
    let first = create(&api, &water_report(&k)).await;
    let second = create(&api, &water_report(&k)).await;
    let dispatcher = api.login("dispatcher1").await;
    api.act_ok(&dispatcher, &second, json!({"action": "merge", "into": first})).await;
    // Open until its master is answered, which it then is with.
    let v = get(&api, &format!("/open311/v2/requests/{second}.json")).await.json();
    assert_eq!(v[0]["status"], "open");
    assert!(v[0]["status_notes"].as_str().unwrap().contains(&first));
    let u = get(&api, "/open311/v2/servicerequestupdates.json").await.json();
    assert_eq!(u[0]["service_request_id"], second.as_str());
    assert_eq!(u[0]["status"], "duplicate");
    api.act_ok(&dispatcher, &first, json!({"action": "dispatch", "category": "cxjs-11"})).await;
    let handler = api.login("cgw-handler").await;
    api.act_ok(&handler, &first, json!({"action": "sign_for"})).await;
    api.act_ok(&handler, &first, json!({"action": "reply", "outcome": "resolved", "text": "管道已抢修，恢复供水。"}))
        .await;
    let v = get(&api, &format!("/open311/v2/requests/{second}.json")).await.json();
    assert_eq!(v[0]["status_notes"], "管道已抢修，恢复供水。");
}

async fn posting_an_update_is_refused_honestly_with_the_specs_errors(backend: Backend) {
    let api = Api::on(backend);
    let k = key(&api).await;
    let id = create(&api, &water_report(&k)).await;
    let uri = "/open311/v2/servicerequestupdates.json";
    let form = format!("api_key={k}&service_request_id={id}&description=still+broken&status=OPEN");
    assert_error(&post(&api, uri, &form.replace(&k, "nope")).await, StatusCode::FORBIDDEN, true);
    assert_error(&post(&api, uri, &form.replace(&id, "YW20991231000001")).await, StatusCode::NOT_FOUND, true);
    assert_error(
        &post(&api, "/open311/v2/servicerequestupdates.xml", &format!("api_key={k}")).await,
        StatusCode::BAD_REQUEST,
        false,
    );
    let d = assert_error(&post(&api, uri, &form).await, StatusCode::BAD_REQUEST, true);
    assert!(d.contains("does not take updates"), "{d}");
    let dispatcher = api.login("dispatcher1").await;
    let (_, v) = api.call("GET", &format!("/api/v1/appeals/{id}"), Some(&dispatcher), None).await;
    assert_eq!(v["events"].as_array().unwrap().len(), 1, "nothing was added to the case");
}

/// Reads nothing from the store, so it runs on SQLite only.
#[tokio::test]
async fn tokens_are_never_issued_so_none_is_found() {
    let api = Api::new();
    for json in [true, false] {
        let uri = if json { "/open311/v2/tokens/12345.json" } else { "/open311/v2/tokens/12345.xml" };
        let d = assert_error(&get(&api, uri).await, StatusCode::NOT_FOUND, json);
        assert!(d.contains("token"), "{d}");
    }
}

async fn an_administrator_issues_lists_and_revokes_keys_through_the_api(backend: Backend) {
    let api = Api::on(backend);
    let admin = api.login("secadmin").await;
    let dispatcher = api.login("dispatcher1").await;
    let (s, _) =
        api.call("POST", "/api/v1/admin/api-keys", Some(&dispatcher), Some(json!({"name": "区政务App"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api.call("GET", "/api/v1/admin/api-keys", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = api.call("POST", "/api/v1/admin/api-keys", Some(&admin), Some(json!({"name": "  "}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, issued) =
        api.call("POST", "/api/v1/admin/api-keys", Some(&admin), Some(json!({"name": "区政务App"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{issued}");
    let key = issued["key"].as_str().unwrap().to_owned();
    let id = issued["id"].as_i64().unwrap();
    let (s, list) = api.call("GET", "/api/v1/admin/api-keys", Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["name"], "区政务App");
    assert_eq!(list[0]["revoked_at"], Value::Null);
    assert!(!list.to_string().contains(&key), "a key is shown only when issued");

    let id_of_case = create(&api, &water_report(&key)).await;
    let staff = api.login("dispatcher1").await;
    let (_, v) = api.call("GET", &format!("/api/v1/appeals/{id_of_case}"), Some(&staff), None).await;
    assert_eq!(v["events"][0]["actor"], "区政务App");

    let (s, _) = api.call("DELETE", &format!("/api/v1/admin/api-keys/{id}"), Some(&dispatcher), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api.call("DELETE", &format!("/api/v1/admin/api-keys/{id}"), Some(&admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = api.call("DELETE", &format!("/api/v1/admin/api-keys/{id}"), Some(&admin), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&post(&api, "/open311/v2/requests.json", &water_report(&key)).await, StatusCode::FORBIDDEN, true);
    let (_, list) = api.call("GET", "/api/v1/admin/api-keys", Some(&admin), None).await;
    assert!(list[0]["revoked_at"].is_string());
}

on_both_stores!(
    the_service_list_offers_the_leaf_categories_grouped_by_first_level,
    a_service_definition_lists_the_questions_in_both_formats_and_an_unknown_one_is_404,
    a_post_without_a_valid_api_key_gets_the_specs_403,
    a_posted_request_is_an_ordinary_open311_appeal_waiting_for_dispatch,
    a_request_yiwang_cannot_place_is_still_accepted_for_the_operator_to_locate,
    bad_posts_get_the_specs_status_and_error_body_in_both_formats,
    get_requests_filters_by_id_service_status_and_dates,
    without_dates_only_the_most_recent_90_days_are_listed,
    page_and_page_size_split_the_list,
    status_notes_agency_and_expected_time_follow_the_case_and_updates_list_its_steps,
    a_merged_duplicate_says_duplicate_until_its_master_is_answered,
    posting_an_update_is_refused_honestly_with_the_specs_errors,
    an_administrator_issues_lists_and_revokes_keys_through_the_api,
);
