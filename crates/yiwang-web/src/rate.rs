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
pub const GUARDED: [&str; 20] = [
    "/api/v1/login",
    "/api/v1/password",
    "/api/v1/totp",
    "/api/v1/track",
    "/api/v1/track/callback",
    "/api/v1/track/resend-code",
    "/api/v1/application-tracking",
    "/api/v1/application-ratings",
    "/api/v1/applicant/code",
    "/api/v1/applicant/login",
    "/console/login",
    "/console/password",
    "/console/totp",
    "/track",
    "/track/callback",
    "/track/resend",
    "/services/track",
    "/services/track/rate",
    "/my/code",
    "/my/login",
];

/// Addresses remembered at most before the idle ones are forgotten.
const REMEMBERED: usize = 100_000;

#[derive(Clone)]
pub struct Limiter(Arc<DefaultKeyedRateLimiter<IpAddr>>, Arc<std::sync::atomic::AtomicU64>);

/// The client a request counts against: its IPv4 address, or the /64 of its IPv6
/// address (one subscriber's network, which it can rotate addresses within).
fn client(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

impl Limiter {
    /// `per_minute` requests to the guarded routes per address, in a burst of as
    /// many; none for no limit.
    pub fn new(per_minute: u32) -> Option<Self> {
        let n = NonZeroU32::new(per_minute)?;
        Some(Limiter(Arc::new(governor::RateLimiter::keyed(Quota::per_minute(n))), Default::default()))
    }
}

pub(crate) async fn guard(State(limiter): State<Limiter>, req: Request, next: Next) -> Response {
    let guarded = req.method() == Method::POST && GUARDED.contains(&req.uri().path());
    let address = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| client(c.0.ip()));
    let (true, Some(address)) = (guarded, address) else { return next.run(req).await };
    let l = &limiter.0;
    // Forgetting idle addresses scans them all: once in a while, not per request.
    if l.len() > REMEMBERED && limiter.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 1024 == 0 {
        l.retain_recent();
    }
    match l.check_key(&address) {
        Ok(()) => next.run(req).await,
        Err(not_until) => {
            yiwang_metrics::HTTP.shed_rate_limited.inc();
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

#[cfg(test)]
mod tests {
    #[test]
    fn an_ipv6_network_counts_as_one_client() {
        let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: std::net::IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(super::client(a), super::client(b));
        assert_ne!(super::client(a), super::client(c));
        let v4: std::net::IpAddr = "10.0.0.7".parse().unwrap();
        assert_eq!(super::client(v4), v4);
    }
}
