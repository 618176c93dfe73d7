//! Shedding load instead of falling over: at most so many requests are in flight at
//! once; past that a request is answered at once with 503 and `Retry-After`, and the
//! server recovers by itself as the in-flight requests finish. `/healthz` is never shed.

use crate::ApiError;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Requests in flight before new ones are shed. Each waits on at most one commit,
/// so this bounds memory and latency while leaving the writer full batches.
pub const MAX_IN_FLIGHT: usize = 2048;

/// Wraps every route of `router` with the in-flight limit.
pub fn limit_in_flight<S: Clone + Send + Sync + 'static>(router: Router<S>, max: usize) -> Router<S> {
    router.layer(from_fn_with_state(Arc::new(Semaphore::new(max)), shed))
}

async fn shed(State(permits): State<Arc<Semaphore>>, req: Request, next: Next) -> Response {
    match permits.try_acquire() {
        Ok(_permit) => next.run(req).await,
        Err(_) => {
            let mut r =
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "系统繁忙，请稍后重试").into_response();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
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
        let full = limit_in_flight(Router::new().route("/x", get(|| async { "ok" })), 0);
        let r = full.oneshot(Request::get("/x").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");

        // One slot: a request that finished gives its slot back.
        let one = limit_in_flight(Router::new().route("/x", get(|| async { "ok" })), 1);
        for _ in 0..3 {
            let r = one.clone().oneshot(Request::get("/x").body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
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
        let one = limit_in_flight(Router::new().route("/slow", get(slow)).route("/x", get(|| async { "ok" })), 1);

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
