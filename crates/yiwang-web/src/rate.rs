//! Rate limiting of what guesses a secret: logins, password and second-factor
//! changes, and citizens' tracking-code lookups, per client address (GCRA from the
//! `governor` crate). The lock-out (`yiwang_app::auth`) answers repeated failures on
//! one account; this answers one address trying many accounts or many codes, before
//! any of it reaches the database.
//!
//! Why `governor` directly and not `tower_governor`'s layer: one limiter must cover a
//! named set of routes spread over the API, the console and the portal (`GUARDED`,
//! audited in one place), keyed by the address the server loop saw (`net`), answered
//! with yiwang's JSON error (or a page, for a browser). A request with no address (in
//! process, in tests) is not limited.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

/// The routes limited (all POST): where a secret is guessed.
pub const GUARDED: [&str; 10] = [
    "/api/v1/login",
    "/api/v1/password",
    "/api/v1/totp",
    "/api/v1/track",
    "/api/v1/track/callback",
    "/api/v1/track/resend-code",
    "/console/login",
    "/track",
    "/track/callback",
    "/track/resend",
];

/// Addresses remembered at most before the idle ones are forgotten.
const REMEMBERED: usize = 100_000;

#[derive(Clone)]
pub struct Limiter(Arc<DefaultKeyedRateLimiter<IpAddr>>);

impl Limiter {
    /// `per_minute` requests to the guarded routes per address, in a burst of as
    /// many; none for no limit.
    pub fn new(per_minute: u32) -> Option<Self> {
        let n = NonZeroU32::new(per_minute)?;
        Some(Limiter(Arc::new(governor::RateLimiter::keyed(Quota::per_minute(n)))))
    }
}

pub(crate) async fn guard(State(limiter): State<Limiter>, req: Request, next: Next) -> Response {
    let guarded = req.method() == Method::POST && GUARDED.contains(&req.uri().path());
    let address = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let (true, Some(address)) = (guarded, address) else { return next.run(req).await };
    let l = &limiter.0;
    if l.len() > REMEMBERED {
        l.retain_recent();
    }
    match l.check_key(&address) {
        Ok(()) => next.run(req).await,
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now()).as_secs() + 1;
            refuse(req.uri().path().starts_with("/api/"), wait)
        }
    }
}

fn refuse(api: bool, wait: u64) -> Response {
    let message = format!("尝试过于频繁，请 {wait} 秒后再试");
    let mut r = if api {
        crate::ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message).into_response()
    } else {
        let page = format!(
            "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>请稍后再试</title>\
             <p>{message}。</p><p><a href=\"/\">返回首页</a></p></html>"
        );
        (StatusCode::TOO_MANY_REQUESTS, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
    };
    r.headers_mut().insert(header::RETRY_AFTER, wait.into());
    r
}
