//! The server loop, in place of `axum::serve`, for what that does not offer:
//! - a client must send a request's headers within `header_timeout` (hyper closes the
//!   connection otherwise), so a connection that trickles its headers is dropped;
//! - one client address may hold at most `max_connections_per_address` connections;
//!   past that, new ones are closed at once, so one address cannot take every socket
//!   the process may open;
//! - each request carries the client's address (`ConnectInfo`);
//! - on shutdown it stops accepting, lets the requests in flight finish (for at most
//!   `DRAIN`), then returns.
//!
//! Body timeouts and the in-flight limit are in `overload`, where the request is seen.

use crate::WebConfig;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;

/// How long shutdown waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(30);

/// Open connections per client address.
#[derive(Default)]
struct Connections(Mutex<HashMap<IpAddr, usize>>);

/// One open connection, counted until it is dropped.
struct Held(Arc<Connections>, IpAddr);

impl Connections {
    /// A place for one more connection from `ip`, unless it holds `max` already (0: no cap).
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<Held> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if max > 0 && *n >= max {
            return None;
        }
        *n += 1;
        Some(Held(self.clone(), ip))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut open = self.0.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    config: &WebConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let connections = Arc::new(Connections::default());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(config.header_timeout).max_buf_size(64 * 1024);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer): (tokio::net::TcpStream, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some to close.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(held) = connections.take(peer.ip(), config.max_connections_per_address) else {
            tracing::debug!(%peer, "connection refused: too many from this address");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, "connection: {e}");
            }
            drop(held);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("shutdown: requests still in flight after {} s were cut off", DRAIN.as_secs());
    }
    Ok(())
}
