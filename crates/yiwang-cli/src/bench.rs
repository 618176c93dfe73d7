//! `yiwang bench …`: measured figures, printed, ending with one `key=value` line.
//!
//! `bench intake` drives concurrent HTTP clients (keep-alive HTTP/1.1 over loopback)
//! posting appeals to a running server — by default one it starts itself on a
//! temporary data directory — and, in the same run, the same clients against a
//! trivial handler (`GET /healthz`), so the figure can be read against what the
//! machine and HTTP stack can do at all.

use anyhow::{Context, Result, bail};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub struct IntakeOptions {
    pub url: Option<String>,
    pub clients: usize,
    pub seconds: u64,
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Conn {
    async fn open(addr: &str) -> Result<Self> {
        let s = TcpStream::connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
        s.set_nodelay(true)?;
        Ok(Conn { stream: BufReader::new(s), host: addr.to_owned() })
    }

    /// Sends a request and reads the whole response; returns the status.
    async fn request(&mut self, method: &str, path: &str, body: Option<&str>) -> Result<u16> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if let Some(b) = body {
            req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
        }
        req.push_str("\r\n");
        if let Some(b) = body {
            req.push_str(b);
        }
        self.stream.get_mut().write_all(req.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("bad status line")?;
        let mut len = 0usize;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                bail!("connection closed");
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body).await?;
        Ok(status)
    }
}

struct Run {
    ok: u64,
    errors: u64,
    shed: u64,
    latencies_us: Vec<u64>,
    elapsed: Duration,
}

async fn drive(
    addr: &str,
    clients: usize,
    duration: Duration,
    make: Arc<dyn Fn(u64) -> (String, String, Option<String>) + Send + Sync>,
) -> Result<Run> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = vec![];
    for c in 0..clients {
        let (addr, make) = (addr.to_owned(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await?;
            let (mut ok, mut errors, mut shed, mut lat) = (0u64, 0u64, 0u64, Vec::with_capacity(4096));
            let mut i = c as u64 * 1_000_000;
            while Instant::now() < deadline {
                i += 1;
                let (method, path, body) = make(i);
                let t = Instant::now();
                match conn.request(&method, &path, body.as_deref()).await {
                    Ok(s) if (200..300).contains(&s) => {
                        ok += 1;
                        lat.push(t.elapsed().as_micros() as u64);
                    }
                    Ok(503) => shed += 1,
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        conn = Conn::open(&addr).await?;
                    }
                }
            }
            anyhow::Ok((ok, errors, shed, lat))
        }));
    }
    let mut run = Run { ok: 0, errors: 0, shed: 0, latencies_us: vec![], elapsed: Duration::ZERO };
    for t in tasks {
        let (ok, errors, shed, lat) = t.await??;
        run.ok += ok;
        run.errors += errors;
        run.shed += shed;
        run.latencies_us.extend(lat);
    }
    run.elapsed = start.elapsed();
    run.latencies_us.sort_unstable();
    Ok(run)
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

pub fn intake(opts: IntakeOptions) -> Result<std::process::ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        // Our own server unless told otherwise: a fresh data directory, an empty
        // district (citizens' web appeals need none).
        let mut _guard = None;
        let addr = match &opts.url {
            Some(u) => u.trim_start_matches("http://").trim_end_matches('/').to_owned(),
            None => {
                let dir = std::env::temp_dir().join(format!("yiwang-bench-{}", std::process::id()));
                std::fs::create_dir_all(&dir)?;
                let data = crate::config::DataDir::open_or_create(&dir)?;
                let (_store, app) = data.open_app()?;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                let addr = listener.local_addr()?.to_string();
                let (tx, rx) = tokio::sync::oneshot::channel::<()>();
                tokio::spawn(yiwang_web::serve(listener, app, async move {
                    let _ = rx.await;
                }));
                _guard = Some((tx, dir));
                addr
            }
        };
        let duration = Duration::from_secs(opts.seconds.max(1));
        println!("bench intake: {} clients, {} s each phase, server {addr}", opts.clients, duration.as_secs());

        let trivial = drive(&addr, opts.clients, duration, Arc::new(|_| ("GET".into(), "/healthz".into(), None))).await?;
        let appeal = Arc::new(|i: u64| {
            let body = format!(
                r#"{{"channel":"app","appeal_type":"complaint","text":"压测第{i}条：小区门口占道经营，早晚高峰堵车","citizen":{{"name":"测试","phone":"139{:08}"}}}}"#,
                i % 100_000_000
            );
            ("POST".to_owned(), "/api/v1/appeals".to_owned(), Some(body))
        });
        let run = drive(&addr, opts.clients, duration, appeal).await?;

        let rate = run.ok as f64 / run.elapsed.as_secs_f64();
        let trivial_rate = trivial.ok as f64 / trivial.elapsed.as_secs_f64();
        let (p50, p99) = (pct(&run.latencies_us, 0.50), pct(&run.latencies_us, 0.99));
        println!("trivial handler: {:.0} requests/s (p50 {:.2} ms, p99 {:.2} ms)", trivial_rate, pct(&trivial.latencies_us, 0.5), pct(&trivial.latencies_us, 0.99));
        println!(
            "appeals: {} acknowledged in {:.1} s = {rate:.0}/s; p50 {p50:.2} ms, p99 {p99:.2} ms; {} shed (503), {} errors",
            run.ok,
            run.elapsed.as_secs_f64(),
            run.shed,
            run.errors
        );
        println!(
            "appeals_per_s={rate:.0} p50_ms={p50:.2} p99_ms={p99:.2} trivial_per_s={trivial_rate:.0} ratio_to_trivial={:.3} shed={} errors={}",
            rate / trivial_rate.max(1.0),
            run.shed,
            run.errors
        );
        if let Some((tx, dir)) = _guard.take() {
            let _ = tx.send(());
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = std::fs::remove_dir_all(dir);
        }
        anyhow::Ok(std::process::ExitCode::SUCCESS)
    })
}
