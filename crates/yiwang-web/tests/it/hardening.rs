//! What an attacker tries first at the HTTP layer: errors the framework answers by
//! itself, missing security headers, a `Host` header echoed back, and slow clients
//! that hold the server's slots. The slow-client tests run a real server on a real
//! socket.

use crate::harness::{Api, code_of};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Every error under `/api` is the JSON error body with a stable code, whether a
/// handler or the framework answered it.
#[tokio::test]
async fn every_api_error_is_json_with_a_stable_code() {
    let api = Api::new();
    let t = api.login("dispatcher1").await;
    let long = format!("/api/v1/search?q={}", "a".repeat(9_000));
    let checks: [(&str, &str, StatusCode, &str); 5] = [
        ("PUT", "/api/v1/knowledge/abc", StatusCode::BAD_REQUEST, "bad_request"),
        ("GET", "/api/v1/appeals/%FF", StatusCode::BAD_REQUEST, "bad_request"),
        ("DELETE", "/api/v1/appeals", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ("GET", "/api/v1/appeals", StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ("GET", &long, StatusCode::URI_TOO_LONG, "uri_too_long"),
    ];
    for (method, path, status, code) in checks {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::empty())
            .unwrap();
        let (s, v) = api.raw(req).await;
        assert_eq!((s, code_of(&v)), (status, code), "{method} {}: {v}", &path[..path.len().min(60)]);
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    // 405 still says which methods the address takes.
    let resp = send(&api, Request::delete("/api/v1/appeals").body(Body::empty()).unwrap()).await;
    assert_eq!(resp.headers()[header::ALLOW], "POST");

    // A body past the limit is too large, not malformed.
    let big = json!({"channel": "web", "appeal_type": "help", "text": "x".repeat(3 * 1024 * 1024)}).to_string();
    let req = Request::post("/api/v1/appeals").header(header::CONTENT_TYPE, "application/json").body(Body::from(big));
    let (s, v) = api.raw(req.unwrap()).await;
    assert_eq!((s, code_of(&v)), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"), "{v}");

    // Open311 answers with the spec's error document, in the format asked for.
    let resp = send(&api, Request::delete("/open311/v2/requests.xml").body(Body::empty()).unwrap()).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body = body_text(resp).await;
    assert!(body.contains("<errors><error><code>405</code>"), "{body}");
}

/// Every answer, page or API, error or not, carries the security headers.
#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let api = Api::new();
    for path in ["/", "/console/login", "/api/v1/nowhere", "/static/yiwang.css", "/open311/v2/services.json"] {
        let resp = send(&api, Request::get(path).body(Body::empty()).unwrap()).await;
        let h = resp.headers();
        let csp = h.get(header::CONTENT_SECURITY_POLICY).map(|v| v.to_str().unwrap()).unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(h.get(header::X_FRAME_OPTIONS).map(|v| v.to_str().unwrap()), Some("DENY"), "{path}");
        assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).map(|v| v.to_str().unwrap()), Some("nosniff"), "{path}");
        assert!(h.contains_key(header::REFERRER_POLICY), "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
}

/// Open311 discovery names the configured address, not one the client made up.
#[tokio::test]
async fn discovery_names_the_configured_public_url_not_the_host_header() {
    let api = Api::new();
    let config = yiwang_web::WebConfig { public_url: "https://12345.yunxi.gov.cn/".into(), ..Default::default() };
    let router = yiwang_web::router_with(api.app.clone(), &config);
    let req = Request::get("/open311/v2/discovery.json")
        .header(header::HOST, "evil.example")
        .header("x-forwarded-proto", "gopher")
        .body(Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(router, req).await.unwrap();
    let v: Value = serde_json::from_str(&body_text(resp).await).unwrap();
    assert_eq!(v["endpoints"][0]["url"], "https://12345.yunxi.gov.cn/open311/v2", "{v}");
}

async fn send(api: &Api, req: Request<Body>) -> axum::response::Response {
    tower::ServiceExt::oneshot(yiwang_web::router(api.app.clone()), req).await.unwrap()
}

async fn body_text(resp: axum::response::Response) -> String {
    use http_body_util::BodyExt;
    String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

/// A real server on a free port with `config`; returns its address and the sender
/// that stops it.
async fn start(api: &Api, config: yiwang_web::WebConfig) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(yiwang_web::serve_with(listener, api.app.clone(), config, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// One ordinary request on a connection of its own; its status and how long it took.
async fn ordinary(addr: &str) -> (u16, Duration) {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /api/v1/nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut buf = vec![];
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await.expect("an answer in 10 s").unwrap();
    let head = String::from_utf8_lossy(&buf);
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, started.elapsed())
}

/// Raises this process's open-file limit to what the test needs, or fails saying so.
fn allow_open_files(n: u64) {
    let got = rlimit::increase_nofile_limit(n).expect("raise the open-file limit");
    assert!(got >= n, "this test needs {n} open files; the hard limit allows {got}");
}

/// 2,100 connections each promise a 1,000-byte body and send one byte: more than
/// there are in-flight slots (2,048). Ordinary requests are still served, at once,
/// because a request takes a slot only once its body is in; each slow one is
/// answered 408 and closed when its time is up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_cannot_take_every_slot() {
    const SLOW: usize = 2_100;
    allow_open_files(3 * SLOW as u64 + 256);
    let api = Api::new();
    let mut config = yiwang_web::WebConfig { max_connections_per_address: 0, ..Default::default() };
    config.admission.body_idle = Duration::from_secs(3);
    let (addr, _stop) = start(&api, config).await;

    let mut slow = Vec::with_capacity(SLOW);
    for _ in 0..SLOW {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(
            b"POST /api/v1/appeals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        )
        .await
        .unwrap();
        slow.push(s);
    }
    let opened = Instant::now();
    let mut answers = std::collections::BTreeMap::new();
    let mut worst = Duration::ZERO;
    for _ in 0..50 {
        let (status, took) = ordinary(&addr).await;
        *answers.entry(status).or_insert(0) += 1;
        worst = worst.max(took);
    }
    let served_within = opened.elapsed();
    assert_eq!(answers.get(&404), Some(&50), "{SLOW} slow bodies open, 50 ordinary requests answered {answers:?}");

    // The slow ones are answered 408 and closed once they have sent nothing for 3 s.
    let mut timed_out = 0;
    for s in &mut slow {
        let mut buf = vec![];
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut buf)).await {
            timed_out += usize::from(buf.starts_with(b"HTTP/1.1 408"));
        }
    }
    eprintln!(
        "{SLOW} slow bodies open: 50 ordinary requests answered {answers:?} in {} ms (slowest {} ms); \
         {timed_out} slow ones answered 408 and closed",
        served_within.as_millis(),
        worst.as_millis()
    );
    assert_eq!(timed_out, SLOW);
}

/// A client that trickles its headers is cut off after the header timeout, and one
/// address cannot hold more connections than its cap.
#[tokio::test]
async fn slow_headers_are_cut_off_and_connections_per_address_are_capped() {
    let api = Api::new();
    let config = yiwang_web::WebConfig {
        header_timeout: Duration::from_secs(1),
        max_connections_per_address: 20,
        ..Default::default()
    };
    let (addr, _stop) = start(&api, config).await;

    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let started = Instant::now();
    let mut buf = vec![];
    let closed = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "a connection with half its headers was not closed in 5 s");
    assert!(started.elapsed() >= Duration::from_millis(900), "closed before the timeout");
    drop(s);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let mut held = vec![];
    for _ in 0..20 {
        let s = TcpStream::connect(&addr).await.unwrap();
        held.push(s);
    }
    // The 21st is accepted by the kernel and closed by the server without an answer.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = vec![];
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await.expect("closed");
    assert!(buf.is_empty(), "{}", String::from_utf8_lossy(&buf));
    // Once one closes, the address may connect again.
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, _) = ordinary(&addr).await;
    assert_eq!(status, 404);
}
