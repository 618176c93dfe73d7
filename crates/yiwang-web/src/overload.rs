//! Shedding load instead of falling over, and slow clients that cannot lock others
//! out. A request is admitted in two steps:
//!
//! 1. **Its body is read whole first**, within the size limit of its route
//!    (`body_limit`) and within time limits: no more than `body_idle` between two
//!    pieces, and no more than `body_total` in all. A client that sends a
//!    `Content-Length: 1000` header and then one byte holds only its own connection
//!    (a task and a socket), and is answered 408 and disconnected when its time is up.
//! 2. **Then it takes an in-flight slot**: at most so many requests run at once; past
//!    that, a request is answered at once with 503 and `Retry-After`, and the server
//!    recovers by itself as the in-flight requests finish. `/healthz` takes no slot.
//!
//! Why a layer of yiwang's own rather than tower-http's `ConcurrencyLimit` or
//! `LoadShed`: those queue or shed at the service boundary, before the body is read,
//! which is exactly what let slow bodies hold every slot; and they answer with a bare
//! status rather than the API's JSON error. The header read timeout and the cap on
//! connections per address are in the server loop (`net`).

use crate::ApiError;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Requests in flight before new ones are shed. Each waits on at most one commit,
/// so this bounds memory and latency while leaving the writer full batches.
pub const MAX_IN_FLIGHT: usize = 2048;

/// How a request is admitted (see the module's text).
#[derive(Debug, Clone)]
pub struct Admission {
    pub max_in_flight: usize,
    /// The longest wait for the next piece of a body.
    pub body_idle: Duration,
    /// The longest time a whole body may take.
    pub body_total: Duration,
}

impl Default for Admission {
    fn default() -> Self {
        Admission {
            max_in_flight: MAX_IN_FLIGHT,
            body_idle: Duration::from_secs(10),
            body_total: Duration::from_secs(120),
        }
    }
}

struct Gate {
    permits: Semaphore,
    admission: Admission,
}

/// Wraps every route of `router` with the admission rules.
pub fn admit<S: Clone + Send + Sync + 'static>(router: Router<S>, admission: Admission) -> Router<S> {
    let gate = Arc::new(Gate { permits: Semaphore::new(admission.max_in_flight), admission });
    router.layer(from_fn_with_state(gate, admit_one))
}

/// The most a request to `path` may send: the upload forms' own limits, and axum's
/// default of 2 MiB everywhere else (the routes' `DefaultBodyLimit`s say the same).
fn body_limit(method: &Method, path: &str) -> usize {
    let upload = if method == Method::POST { crate::ui::upload_limit(path) } else { None };
    upload.unwrap_or(2 * 1024 * 1024)
}

async fn admit_one(State(gate): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let limit = body_limit(&parts.method, parts.uri.path());
    let body = match read_body(body, limit, &gate.admission).await {
        Ok(bytes) => Body::from(bytes),
        Err(refusal) => return refusal,
    };
    let req = Request::from_parts(parts, body);
    match gate.permits.try_acquire() {
        Ok(_permit) => next.run(req).await,
        Err(_) => {
            yiwang_metrics::HTTP.shed_overloaded.inc();
            let mut r =
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "系统繁忙，请稍后重试").into_response();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
    }
}

/// The whole body, or the answer that refuses it: 413 past `limit`, 408 (closing the
/// connection) when it comes too slowly, 400 when the client breaks off.
async fn read_body(mut body: Body, limit: usize, a: &Admission) -> Result<Bytes, Response> {
    use http_body::Body as _;
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("请求内容太大：最多 {} MB", limit / (1024 * 1024)),
        )
        .into_response()
    };
    if body.size_hint().lower() > limit as u64 {
        return Err(too_large());
    }
    let deadline = tokio::time::Instant::now() + a.body_total;
    let mut buf = Vec::with_capacity(body.size_hint().exact().unwrap_or(0).min(limit as u64) as usize);
    loop {
        let wait = a.body_idle.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        match tokio::time::timeout(wait, body.frame()).await {
            Err(_) => {
                yiwang_metrics::HTTP.shed_slow_body.inc();
                let mut r =
                    ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", "请求内容发送太慢，连接已断开")
                        .into_response();
                r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                return Err(r);
            }
            Ok(None) => return Ok(Bytes::from(buf)),
            Ok(Some(Err(_))) => {
                return Err(
                    ApiError::new(StatusCode::BAD_REQUEST, "incomplete_body", "请求内容没有发送完整").into_response()
                );
            }
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > limit {
                        return Err(too_large());
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tokio::sync::Notify;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_full_server_answers_503_with_retry_after_and_recovers() {
        let full = admit(Router::new().route("/x", get(|| async { "ok" })), slots(0));
        let r = full.oneshot(Request::get("/x").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");

        // One slot: a request that finished gives its slot back.
        let one = admit(Router::new().route("/x", get(|| async { "ok" })), slots(1));
        for _ in 0..3 {
            let r = one.clone().oneshot(Request::get("/x").body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
    }

    fn slots(n: usize) -> Admission {
        Admission { max_in_flight: n, ..Admission::default() }
    }

    fn get_req(path: &str) -> Request {
        Request::get(path).body(Body::empty()).unwrap()
    }

    /// The slot is held for the whole request, not only while it is admitted: while a
    /// handler is still working, the next request is shed; once it has answered, the
    /// next one is served.
    #[tokio::test]
    async fn a_request_holds_its_slot_until_its_handler_has_answered() {
        let entered = Arc::new(Notify::new());
        let release = Arc::new(Notify::new());
        let (e, r) = (entered.clone(), release.clone());
        let slow = move || async move {
            e.notify_one();
            r.notified().await;
            "slow"
        };
        let one = admit(Router::new().route("/slow", get(slow)).route("/x", get(|| async { "ok" })), slots(1));

        let first = tokio::spawn(one.clone().oneshot(get_req("/slow")));
        entered.notified().await;
        let r = one.clone().oneshot(get_req("/x")).await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "the one slot is taken by /slow");
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");

        release.notify_one();
        let r = first.await.unwrap().unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(&r.into_body().collect().await.unwrap().to_bytes()[..], b"slow");
        let r = one.oneshot(get_req("/x")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "the slot came back when /slow answered");
    }
}
