//! yiwang-metrics: the process's operational counters, gauges and histograms, and
//! their Prometheus text exposition (format 0.0.4, what `/metrics` serves).
//!
//! It owns the statics every layer records into: `HTTP` (web: requests by route,
//! method and status, requests shed), `STORE` (the writers: batch sizes, commit and
//! fsync latency, the write queue's depth), `SCHEDULER` (the deadline scheduler's
//! ticks) and `AUTH` (logins and lock-outs). What is read from the database when
//! scraped (cases per kind, its size) is written by the web crate with `Text`.
//!
//! It must not do IO or depend on any other crate of yiwang: the store records into
//! it, so it sits below the store.
//!
//! Two rules hold for everything here:
//! - **Recording is cheap.** A record is one or two relaxed atomic adds; only a
//!   request's series is found under a shared read lock (a write lock the first time
//!   a route answers with a status, never again).
//! - **Label values come from bounded sets**: a route *template* (`/api/v1/appeals/{id}`,
//!   never the path a client sent), an HTTP method of a fixed list, a status code, a
//!   kind's name, a fixed reason. A client can therefore never grow the number of
//!   series.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// A count that only grows.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub const fn new() -> Self {
        Gauge(AtomicI64::new(0))
    }
    pub fn add(&self, n: i64) {
        self.0.fetch_add(n, Relaxed);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Relaxed)
    }
}

/// The most upper bounds a histogram has (its `+Inf` bucket comes on top).
const MAX_BOUNDS: usize = 15;

/// Upper bounds of latencies, in microseconds: 0.5 ms to 10 s.
pub const LATENCY_US: &[u64] = &[
    500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
    10_000_000,
];

/// Upper bounds of batch sizes (a writer's batch holds at most 1024 requests).
pub const BATCH_SIZES: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/// Observations counted in buckets of `bounds`, in whole units of which `per` make
/// one of what is exposed (a latency in microseconds is exposed in seconds with `per`
/// 1e6; dividing rather than multiplying by 1e-6 writes 0.0005, not 0.0005000000000000001).
/// Each bucket is counted alone and made cumulative when rendered, so an observation
/// is two atomic adds.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [u64],
    per: f64,
    buckets: [AtomicU64; MAX_BOUNDS + 1],
    sum: AtomicU64,
}

impl Histogram {
    pub const fn new(bounds: &'static [u64], per: f64) -> Self {
        assert!(bounds.len() <= MAX_BOUNDS);
        Histogram { bounds, per, buckets: [const { AtomicU64::new(0) }; MAX_BOUNDS + 1], sum: AtomicU64::new(0) }
    }

    /// A latency histogram, exposed in seconds.
    pub const fn latency() -> Self {
        Histogram::new(LATENCY_US, 1e6)
    }

    pub fn observe(&self, v: u64) {
        let i = self.bounds.iter().position(|&b| v <= b).unwrap_or(self.bounds.len());
        self.buckets[i].fetch_add(1, Relaxed);
        self.sum.fetch_add(v, Relaxed);
    }

    pub fn observe_duration(&self, d: Duration) {
        self.observe(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    /// How many observations there were.
    pub fn count(&self) -> u64 {
        self.buckets[..=self.bounds.len()].iter().map(|b| b.load(Relaxed)).sum()
    }
}

/// One route's series: a latency histogram per (method, status).
type RouteSeries = Vec<(&'static str, u16, Histogram)>;

/// The HTTP server's figures.
#[derive(Debug)]
pub struct Http {
    /// Per route template, its series.
    requests: RwLock<BTreeMap<Box<str>, RouteSeries>>,
    /// Answered 503 because every in-flight slot was taken (`overload`).
    pub shed_overloaded: Counter,
    /// Answered 429 by the guesses-per-minute limit (`rate`).
    pub shed_rate_limited: Counter,
    /// Answered 408 because the body came too slowly (`overload`).
    pub shed_slow_body: Counter,
}

/// The route label of a request that matched no route (404 pages, probes).
pub const UNMATCHED: &str = "unmatched";

/// The method label: one of a fixed list, so a client's invented method adds no series.
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("other")
}

impl Http {
    /// Counts a request answered with `status` after `took`. `route` must be the
    /// matched route's template (or `UNMATCHED`), never the request's path.
    pub fn observe(&self, route: &str, method: &'static str, status: u16, took: Duration) {
        {
            let map = self.requests.read().unwrap_or_else(|p| p.into_inner());
            if let Some(series) = map.get(route)
                && let Some((_, _, h)) = series.iter().find(|(m, s, _)| *m == method && *s == status)
            {
                h.observe_duration(took);
                return;
            }
        }
        let mut map = self.requests.write().unwrap_or_else(|p| p.into_inner());
        let series = map.entry(route.into()).or_default();
        let i = match series.iter().position(|(m, s, _)| *m == method && *s == status) {
            Some(i) => i,
            None => {
                series.push((method, status, Histogram::latency()));
                series.len() - 1
            }
        };
        series[i].2.observe_duration(took);
    }
}

/// The store writer's figures (SQLite's or PostgreSQL's: one store per process).
#[derive(Debug)]
pub struct Store {
    /// Requests per batch (one transaction, one COMMIT).
    pub batch_size: Histogram,
    /// From a batch's BEGIN to its COMMIT returning.
    pub commit: Histogram,
    /// SQLite only: the syncer's fsync of the WAL, after which a batch is answered.
    pub fsync: Histogram,
    /// Write requests submitted and not yet taken into a batch.
    pub queued: Gauge,
}

impl Store {
    /// A writer took `n` requests off the queue into one batch.
    pub fn batch_taken(&self, n: usize) {
        self.queued.add(-(n as i64));
        self.batch_size.observe(n as u64);
    }
}

/// The deadline scheduler's figures.
#[derive(Debug)]
pub struct Scheduler {
    /// When the last tick that succeeded ended, in milliseconds since the Unix epoch
    /// (0: none yet).
    last_ok_ms: AtomicU64,
    pub tick: Histogram,
    pub failed: Counter,
}

impl Scheduler {
    /// A tick ended after `took`, having succeeded or not.
    pub fn ticked(&self, took: Duration, ok: bool) {
        self.tick.observe_duration(took);
        if ok {
            self.last_ok_ms.store(unix_ms(), Relaxed);
        } else {
            self.failed.inc();
        }
    }

    /// Seconds since the last tick that succeeded ended, if one has.
    pub fn lag_seconds(&self) -> Option<f64> {
        let last = self.last_ok_ms.load(Relaxed);
        (last > 0).then(|| unix_ms().saturating_sub(last) as f64 / 1000.0)
    }
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Staff logins.
#[derive(Debug)]
pub struct Auth {
    pub login_succeeded: Counter,
    /// Wrong name, password or second factor.
    pub login_failed: Counter,
    /// Refused because the account is locked from the client's address.
    pub login_locked: Counter,
    /// Accounts locked (from one address) after too many failures.
    pub lockouts: Counter,
}

pub static HTTP: Http = Http {
    requests: RwLock::new(BTreeMap::new()),
    shed_overloaded: Counter::new(),
    shed_rate_limited: Counter::new(),
    shed_slow_body: Counter::new(),
};

pub static STORE: Store = Store {
    batch_size: Histogram::new(BATCH_SIZES, 1.0),
    commit: Histogram::latency(),
    fsync: Histogram::latency(),
    queued: Gauge::new(),
};

pub static SCHEDULER: Scheduler =
    Scheduler { last_ok_ms: AtomicU64::new(0), tick: Histogram::latency(), failed: Counter::new() };

pub static AUTH: Auth = Auth {
    login_succeeded: Counter::new(),
    login_failed: Counter::new(),
    login_locked: Counter::new(),
    lockouts: Counter::new(),
};

/// Prometheus text exposition being written: each family's `# HELP` and `# TYPE`,
/// then its samples.
#[derive(Debug, Default)]
pub struct Text(String);

/// A sample's value.
pub trait Value {
    fn write(&self, out: &mut String);
}

impl Value for u64 {
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl Value for i64 {
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl Value for f64 {
    fn write(&self, out: &mut String) {
        if self.is_nan() {
            out.push_str("NaN");
        } else if self.is_infinite() {
            out.push_str(if *self > 0.0 { "+Inf" } else { "-Inf" });
        } else {
            let _ = write!(out, "{self}");
        }
    }
}

impl Text {
    pub fn new() -> Self {
        Text::default()
    }

    /// Starts a family: `kind` is `counter`, `gauge` or `histogram`. `name` is the
    /// samples' name as the 0.0.4 text format wants it: a counter's ends in `_total`;
    /// a histogram's samples add `_bucket`, `_sum` and `_count` to it.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) -> &mut Self {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
        self
    }

    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], v: impl Value) -> &mut Self {
        self.0.push_str(name);
        self.labels(labels, None);
        self.0.push(' ');
        v.write(&mut self.0);
        self.0.push('\n');
        self
    }

    /// A histogram's `_bucket` (cumulative, `+Inf` last), `_sum` and `_count`.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &Histogram) -> &mut Self {
        let mut cumulative = 0;
        for i in 0..=h.bounds.len() {
            cumulative += h.buckets[i].load(Relaxed);
            let le = match h.bounds.get(i) {
                Some(&b) => {
                    let mut s = String::new();
                    (b as f64 / h.per).write(&mut s);
                    s
                }
                None => "+Inf".into(),
            };
            let _ = write!(self.0, "{name}_bucket");
            self.labels(labels, Some(&le));
            let _ = writeln!(self.0, " {cumulative}");
        }
        // Counted after the buckets, so `_count` is never below `+Inf`'s.
        let _ = write!(self.0, "{name}_sum");
        self.labels(labels, None);
        self.0.push(' ');
        (h.sum.load(Relaxed) as f64 / h.per).write(&mut self.0);
        let _ = write!(self.0, "\n{name}_count");
        self.labels(labels, None);
        let _ = writeln!(self.0, " {cumulative}");
        self
    }

    fn labels(&mut self, labels: &[(&str, &str)], le: Option<&str>) {
        let le = le.map(|v| ("le", v));
        if labels.is_empty() && le.is_none() {
            return;
        }
        self.0.push('{');
        for (i, (k, v)) in labels.iter().copied().chain(le).enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            let _ = write!(self.0, "{k}=\"");
            for c in v.chars() {
                match c {
                    '\\' => self.0.push_str("\\\\"),
                    '"' => self.0.push_str("\\\""),
                    '\n' => self.0.push_str("\\n"),
                    c => self.0.push(c),
                }
            }
            self.0.push('"');
        }
        self.0.push('}');
    }

    /// Every figure recorded in this process (`HTTP`, `STORE`, `SCHEDULER`, `AUTH`).
    pub fn process(&mut self) -> &mut Self {
        self.family(
            "yiwang_http_requests_total",
            "counter",
            "HTTP requests answered, by route template, method and status.",
        );
        let requests = HTTP.requests.read().unwrap_or_else(|p| p.into_inner());
        for (route, series) in requests.iter() {
            for (method, status, h) in series {
                let status = status.to_string();
                self.sample(
                    "yiwang_http_requests_total",
                    &[("route", route), ("method", method), ("status", &status)],
                    h.count(),
                );
            }
        }
        self.family(
            "yiwang_http_request_duration_seconds",
            "histogram",
            "Time from a request reaching the router to its answer, by route template, method and status.",
        );
        for (route, series) in requests.iter() {
            for (method, status, h) in series {
                let status = status.to_string();
                self.histogram(
                    "yiwang_http_request_duration_seconds",
                    &[("route", route), ("method", method), ("status", &status)],
                    h,
                );
            }
        }
        drop(requests);
        self.family("yiwang_http_shed_total", "counter", "Requests refused to protect the server, by reason.");
        for (reason, c) in [
            ("overloaded", &HTTP.shed_overloaded),
            ("rate_limited", &HTTP.shed_rate_limited),
            ("slow_body", &HTTP.shed_slow_body),
        ] {
            self.sample("yiwang_http_shed_total", &[("reason", reason)], c.get());
        }

        self.family("yiwang_store_batch_size", "histogram", "Write requests per writer batch (one transaction).")
            .histogram("yiwang_store_batch_size", &[], &STORE.batch_size);
        self.family("yiwang_store_commit_seconds", "histogram", "A writer batch's transaction, BEGIN to COMMIT.")
            .histogram("yiwang_store_commit_seconds", &[], &STORE.commit);
        self.family(
            "yiwang_store_fsync_seconds",
            "histogram",
            "SQLite: the fsync of the WAL that makes committed batches durable.",
        )
        .histogram("yiwang_store_fsync_seconds", &[], &STORE.fsync);
        self.family("yiwang_store_write_queue_depth", "gauge", "Write requests waiting for a writer.").sample(
            "yiwang_store_write_queue_depth",
            &[],
            STORE.queued.get().max(0),
        );

        if let Some(lag) = SCHEDULER.lag_seconds() {
            self.family(
                "yiwang_scheduler_lag_seconds",
                "gauge",
                "Seconds since the deadline scheduler last finished a tick that succeeded.",
            )
            .sample("yiwang_scheduler_lag_seconds", &[], lag);
        }
        self.family("yiwang_scheduler_tick_seconds", "histogram", "How long each scheduler tick took.").histogram(
            "yiwang_scheduler_tick_seconds",
            &[],
            &SCHEDULER.tick,
        );
        self.family("yiwang_scheduler_failures_total", "counter", "Scheduler ticks that failed.").sample(
            "yiwang_scheduler_failures_total",
            &[],
            SCHEDULER.failed.get(),
        );

        self.family("yiwang_logins_total", "counter", "Staff login attempts, by outcome.");
        for (outcome, c) in
            [("success", &AUTH.login_succeeded), ("failure", &AUTH.login_failed), ("locked", &AUTH.login_locked)]
        {
            self.sample("yiwang_logins_total", &[("outcome", outcome)], c.get());
        }
        self.family(
            "yiwang_lockouts_total",
            "counter",
            "Accounts locked from an address after too many failed logins.",
        )
        .sample("yiwang_lockouts_total", &[], AUTH.lockouts.get());
        self
    }

    pub fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_is_cumulative_with_inf_last_and_its_count_matches() {
        let h = Histogram::new(&[1, 4], 1.0);
        for v in [0, 1, 3, 4, 9] {
            h.observe(v);
        }
        let mut t = Text::new();
        t.histogram("x", &[("a", "b\"c")], &h);
        assert_eq!(
            t.finish(),
            "x_bucket{a=\"b\\\"c\",le=\"1\"} 2\nx_bucket{a=\"b\\\"c\",le=\"4\"} 4\nx_bucket{a=\"b\\\"c\",le=\"+Inf\"} 5\n\
             x_sum{a=\"b\\\"c\"} 17\nx_count{a=\"b\\\"c\"} 5\n"
        );
    }

    #[test]
    fn latencies_are_written_in_seconds_without_rounding_noise() {
        let h = Histogram::latency();
        h.observe_duration(Duration::from_micros(3641));
        let mut t = Text::new();
        t.histogram("t", &[], &h);
        let text = t.finish();
        assert!(text.starts_with("t_bucket{le=\"0.0005\"} 0\nt_bucket{le=\"0.001\"} 0\n"), "{text}");
        assert!(text.contains("t_bucket{le=\"0.005\"} 1\n"), "{text}");
        assert!(text.ends_with("t_sum 0.003641\nt_count 1\n"), "{text}");
    }

    #[test]
    fn an_unknown_method_is_labelled_other() {
        assert_eq!(method_label("POST"), "POST");
        assert_eq!(method_label("BREW"), "other");
    }
}
