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
    /// For the server it starts: a PostgreSQL URL instead of a temporary SQLite file.
    pub database: Option<String>,
    /// Skip the trivial-handler phase.
    pub no_trivial: bool,
    /// Append `case_id<TAB>tracking_code<TAB>phone` of every acknowledged appeal to
    /// this file as it is acknowledged (for the crash procedure: kill the server,
    /// restart it, check each line).
    pub ack_log: Option<std::path::PathBuf>,
    /// For the server it starts: personal data in plaintext (what sealing costs).
    pub plaintext_personal: bool,
    /// For the server it starts: the algorithms.
    pub crypto: crate::config::Crypto,
    /// For the server it starts: a webhook subscription to a receiver the bench runs
    /// (every new appeal is delivered to it), measured after a phase without.
    pub webhook: bool,
    /// For the server it starts: the event stream to this NATS server (a stream of
    /// the bench's own, deleted after), read back by a JetStream consumer.
    pub stream: Option<String>,
}

/// Where acknowledged appeals are written, one line each, as they are acknowledged.
type AckLog = Arc<std::sync::Mutex<std::fs::File>>;

fn log_ack(log: &AckLog, request: &str, response: &[u8]) {
    let (Ok(req), Ok(resp)) =
        (serde_json::from_str::<serde_json::Value>(request), serde_json::from_slice::<serde_json::Value>(response))
    else {
        return;
    };
    let line = format!(
        "{}\t{}\t{}\n",
        resp["case_id"].as_str().unwrap_or_default(),
        resp["tracking_code"].as_str().unwrap_or_default(),
        req["citizen"]["phone"].as_str().unwrap_or_default()
    );
    let mut f = log.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(e) = std::io::Write::write_all(&mut *f, line.as_bytes()) {
        tracing::error!("ack log: {e}");
    }
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

    /// Sends a request and reads the whole response; returns the status and body.
    async fn request(&mut self, method: &str, path: &str, body: Option<&str>) -> Result<(u16, Vec<u8>)> {
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
        Ok((status, body))
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
    ack: Option<AckLog>,
) -> Result<Run> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = vec![];
    for c in 0..clients {
        let (addr, make, ack) = (addr.to_owned(), make.clone(), ack.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await.ok();
            let (mut ok, mut errors, mut shed, mut lat) = (0u64, 0u64, 0u64, Vec::with_capacity(4096));
            let mut i = c as u64 * 1_000_000;
            while Instant::now() < deadline {
                i += 1;
                let (method, path, body) = make(i);
                // A server that went away (crashed, restarting) is an error per
                // attempt, retried after a pause until the time is up.
                let Some(c) = conn.as_mut() else {
                    errors += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    conn = Conn::open(&addr).await.ok();
                    continue;
                };
                let t = Instant::now();
                match c.request(&method, &path, body.as_deref()).await {
                    Ok((s, resp)) if (200..300).contains(&s) => {
                        ok += 1;
                        lat.push(t.elapsed().as_micros() as u64);
                        if let (Some(log), Some(b)) = (&ack, &body) {
                            log_ack(log, b, &resp);
                        }
                    }
                    Ok((503, _)) => shed += 1,
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        conn = Conn::open(&addr).await.ok();
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

/// CPU seconds (user + system) used so far by each kind of thread of this process,
/// by thread name with any trailing number removed; empty where `/proc` is missing.
pub(crate) fn thread_cpu() -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return out };
    // Linux reports in clock ticks, which are 1/100 s on every platform Rust supports.
    const TICK: f64 = 0.01;
    for t in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else { continue };
        // "pid (comm) state ..." where comm may hold spaces: split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let name = stat[open + 1..close].trim_end_matches(|c: char| c.is_ascii_digit() || c == '-').to_owned();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // After the comm: state is field 3, utime 14 and stime 15 (proc(5)).
        let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        *out.entry(name).or_insert(0.0) += (ticks(14) + ticks(15)) * TICK;
    }
    out
}

/// CPU seconds by kind of thread since `before` (threads that ended are not counted).
/// Threads inherit their creator's name unless given one.
pub(crate) fn cpu_since(before: &std::collections::BTreeMap<String, f64>) -> std::collections::BTreeMap<String, f64> {
    thread_cpu()
        .into_iter()
        .map(|(k, v)| {
            let b = before.get(&k).copied().unwrap_or(0.0);
            (k, (v - b).max(0.0))
        })
        .filter(|(_, v)| *v > 0.0)
        .collect()
}

pub(crate) fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

pub fn intake(opts: IntakeOptions) -> Result<std::process::ExitCode> {
    // Our own server unless told otherwise: a fresh data directory, an empty district
    // (citizens' web appeals need none). The store is opened outside the async
    // runtime: the PostgreSQL client blocks.
    let own = match &opts.url {
        Some(_) => None,
        None => {
            let dir = std::env::temp_dir().join(format!("yiwang-bench-{}", std::process::id()));
            let mut data = crate::config::DataDir::open_or_create(&dir)?
                .with_database(opts.database.clone())
                .with_crypto(Some(opts.crypto))?;
            if opts.plaintext_personal {
                data = data.with_plaintext_personal_data();
            }
            if opts.webhook {
                // The receiver runs on loopback, which subscriptions may not reach
                // unless configured.
                std::fs::write(dir.join("notify.toml"), "[webhooks]\nallow_networks = [\"127.0.0.0/8\"]\n")?;
            }
            if let Some(url) = &opts.stream {
                let tag = std::process::id();
                std::fs::write(
                    dir.join("stream.toml"),
                    format!(
                        "[stream]\nnats_url = \"{url}\"\nstream = \"YIWANG_BENCH_{tag}\"\nsubject_prefix = \"ywbench{tag}\"\n"
                    ),
                )?;
            }
            let (store, app) = data.open_app()?;
            let stream = data.stream()?;
            if opts.webhook {
                // A district, so that the subscription has a unit (the hotline centre,
                // which sees every appeal). Its staff get the demo's password: the
                // bench's data directory is thrown away.
                app.setup_district(&yiwang_app::demo_files(), Some(yiwang_app::DEMO_PASSWORD))
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            // The first phase runs without the feeds.
            app.set_stream(false);
            let gm = opts.crypto == crate::config::Crypto::Gm;
            let sealed = match (opts.plaintext_personal, gm) {
                (true, _) => "in plaintext",
                (false, false) => "sealed (AES-256-GCM)",
                (false, true) => "sealed (SM4-GCM)",
            };
            let chain = if gm { "SM3" } else { "SHA-256" };
            println!("bench intake: server on {}, {chain} chains, personal data {sealed}", data.describe());
            Some((dir, app, store, stream))
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let mut _guard = None;
        let mut feeds = None;
        let addr = match own {
            None => opts.url.as_deref().unwrap_or_default().trim_start_matches("http://").trim_end_matches('/').to_owned(),
            Some((dir, app, store, stream)) => {
                feeds = Some((app.clone(), store, stream));
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

        let trivial = if opts.no_trivial {
            None
        } else {
            Some(drive(&addr, opts.clients, duration, Arc::new(|_| ("GET".into(), "/healthz".into(), None)), None).await?)
        };
        let ack = match &opts.ack_log {
            Some(p) => Some(Arc::new(std::sync::Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .with_context(|| format!("opening {}", p.display()))?,
            ))),
            None => None,
        };
        // Texts as long as real appeals (`bench_text`): the index's cost grows with them.
        let appeal = Arc::new(|i: u64| {
            let (title, text) = crate::bench_text::appeal(i);
            let body = serde_json::json!({
                "channel": "app",
                "appeal_type": "complaint",
                "title": title,
                "text": text,
                "citizen": {"name": "测试", "phone": format!("139{:08}", i % 100_000_000)},
            })
            .to_string();
            ("POST".to_owned(), "/api/v1/appeals".to_owned(), Some(body))
        });
        // With feeds: a phase without them first, then the feeds switched on.
        let mut baseline = None;
        let mut watch = None;
        if let Some((app, store, stream)) = feeds.filter(|_| opts.webhook || opts.stream.is_some()) {
            let b = drive(&addr, opts.clients, duration, appeal.clone(), None).await?;
            println!("without feeds: {:.0} appeals/s", b.ok as f64 / b.elapsed.as_secs_f64());
            baseline = Some(b);
            watch = Some(crate::bench_feeds::Feeds::start(app, store, stream, opts.webhook).await?);
        }
        let cpu_before = thread_cpu();
        let written_before = bytes_written();
        let run = drive(&addr, opts.clients, duration, appeal, ack).await?;
        let mut feed_figures = String::new();
        if let Some(w) = watch {
            let rate = run.ok as f64 / run.elapsed.as_secs_f64();
            feed_figures = w.finish(run.ok, rate, baseline.as_ref().map(|b| b.ok as f64 / b.elapsed.as_secs_f64())).await?;
        }
        let cpu = cpu_since(&cpu_before);
        let written = bytes_written().zip(written_before).map(|(a, b)| a.saturating_sub(b));

        let rate = run.ok as f64 / run.elapsed.as_secs_f64();
        let (p50, p99) = (pct(&run.latencies_us, 0.50), pct(&run.latencies_us, 0.99));
        let mut figures = format!("appeals_per_s={rate:.0} p50_ms={p50:.2} p99_ms={p99:.2}");
        if let Some(t) = &trivial {
            let trivial_rate = t.ok as f64 / t.elapsed.as_secs_f64();
            let (t50, t99) = (pct(&t.latencies_us, 0.5), pct(&t.latencies_us, 0.99));
            println!("trivial handler: {trivial_rate:.0} requests/s (p50 {t50:.2} ms, p99 {t99:.2} ms)");
            figures +=
                &format!(" trivial_per_s={trivial_rate:.0} ratio_to_trivial={:.3}", rate / trivial_rate.max(1.0));
        }
        println!(
            "appeals: {} acknowledged in {:.1} s = {rate:.0}/s; p50 {p50:.2} ms, p99 {p99:.2} ms; {} shed (503), {} errors",
            run.ok,
            run.elapsed.as_secs_f64(),
            run.shed,
            run.errors
        );
        // Where the time went, per acknowledged appeal: the writer thread is the one
        // that cannot be spread over cores, so it bounds the rate.
        if run.ok > 0 && !cpu.is_empty() && opts.url.is_none() {
            let per = |s: f64| s * 1e6 / run.ok as f64;
            let parts: Vec<String> = cpu.iter().map(|(name, s)| format!("{name} {:.0}", per(*s))).collect();
            let total: f64 = cpu.values().sum();
            println!("CPU µs per appeal (this process, by thread): {}; total {:.0}", parts.join(", "), per(total));
            figures += &format!(" cpu_us_per_appeal={:.0}", per(total));
            if let Some(w) = cpu.iter().find(|(n, _)| n.contains("-write")).map(|(_, s)| *s) {
                figures += &format!(" writer_cpu_us_per_appeal={:.0}", per(w));
            }
        }
        // What this process wrote to storage per appeal: the store's own writes on
        // SQLite (WAL, checkpoints). A PostgreSQL server writes in its own processes,
        // which this does not see.
        if let (Some(w), true, None) = (written, run.ok > 0, &opts.database)
            && opts.url.is_none()
        {
            let per = w as f64 / run.ok as f64;
            println!("written to storage: {:.1} MB, {per:.0} bytes per appeal", w as f64 / 1e6);
            figures += &format!(" bytes_written_per_appeal={per:.0}");
        }
        println!("{figures}{feed_figures} shed={} errors={}", run.shed, run.errors);
        if let Some((tx, dir)) = _guard.take() {
            let _ = tx.send(());
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = std::fs::remove_dir_all(dir);
        }
        anyhow::Ok(std::process::ExitCode::SUCCESS)
    })
}

/// What `bench lifecycle` plays.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LifecycleKind {
    /// 12345 appeals, intake to callback.
    Appeal,
    /// 一网通办 service applications, 收件 to 评价.
    Application,
}

pub struct LifecycleOptions {
    pub clients: usize,
    pub seconds: u64,
    /// Stop after this many lifecycles (0: run for `seconds`); the application mode's.
    pub count: u64,
    /// A PostgreSQL URL; a temporary SQLite file when absent.
    pub database: Option<String>,
}

/// `bench lifecycle`: each client thread plays whole appeals through the use-case
/// layer — intake, dispatch, sign-for, contact, reply, callback (which closes) — on
/// the demo district, as fast as the store commits them.
pub fn lifecycle(opts: LifecycleOptions) -> Result<std::process::ExitCode> {
    use yiwang_app::{App, CitizenInput, IntakeInput};
    use yiwang_core::appeal::{Action, AppealType, Channel, ReplyOutcome, Satisfaction, Status};
    use yiwang_core::deadline::Urgency;
    use yiwang_core::id::{UnitCode, Username};
    use yiwang_core::org::{Actor, Role, UnitKind};

    let dir = std::env::temp_dir().join(format!("yiwang-bench-lifecycle-{}", std::process::id()));
    let data = crate::config::DataDir::open_or_create(&dir)?.with_database(opts.database.clone());
    let (_store, app) = data.open_app()?;
    let anyhow_err = |e: yiwang_app::AppError| anyhow::anyhow!("{e}");
    if !app.has_district() {
        app.setup_district(&yiwang_app::demo_files(), Some("bench-only-password")).map_err(anyhow_err)?;
    }
    let r = app.reference();
    let staff = |name: &str, unit: &UnitCode, kind: UnitKind, roles: &[Role]| Actor::Staff {
        username: Username::parse(name).expect("bench usernames are valid"),
        unit: unit.clone(),
        unit_kind: kind,
        roles: roles.to_vec(),
    };
    let centre = r.org.units().find(|u| u.kind == UnitKind::Centre).context("the demo district has a centre")?;
    let operator = staff("operator1", &centre.code, UnitKind::Centre, &[Role::Operator]);
    let dispatcher = staff("dispatcher1", &centre.code, UnitKind::Centre, &[Role::Dispatcher, Role::Operator]);
    // Leaf categories with the handler of their owning unit.
    let work: Vec<_> = r
        .taxonomy
        .categories()
        .filter(|c| r.taxonomy.is_leaf(&c.code))
        .filter_map(|c| {
            let kind = r.org.get(&c.unit)?.kind;
            Some((c.code.clone(), staff(&format!("{}-handler", c.unit), &c.unit, kind, &[Role::Handler])))
        })
        .collect();
    anyhow::ensure!(!work.is_empty(), "the demo district has no categories");
    let work = Arc::new(work);
    println!(
        "bench lifecycle: {} client threads for {} s on {} (6 commands per lifecycle)",
        opts.clients,
        opts.seconds,
        data.describe()
    );

    let deadline = Instant::now() + Duration::from_secs(opts.seconds.max(1));
    let start = Instant::now();
    let threads: Vec<_> = (0..opts.clients.max(1))
        .map(|t| {
            let (app, work, operator, dispatcher): (Arc<App>, _, _, _) =
                (app.clone(), work.clone(), operator.clone(), dispatcher.clone());
            std::thread::spawn(move || -> Result<(u64, u64, Vec<u64>)> {
                let (mut done, mut failed, mut lat) = (0u64, 0u64, vec![]);
                let mut i = t as u64;
                while Instant::now() < deadline {
                    i += 64;
                    let (category, handler) = &work[(i % work.len() as u64) as usize];
                    let began = Instant::now();
                    let play = || -> Result<Status, yiwang_app::AppError> {
                        let receipt = app.submit_appeal(
                            &operator,
                            IntakeInput {
                                channel: Channel::Hotline,
                                appeal_type: AppealType::Complaint,
                                urgency: Urgency::Normal,
                                title: Some("小区门口占道经营".into()),
                                text: format!(
                                    "压测第{i}件：小区门口有摊贩占道经营，早晚高峰行人只能走机动车道，请尽快处理。"
                                ),
                                location: Default::default(),
                                citizen: Some(CitizenInput {
                                    name: Some("测试".into()),
                                    phone: Some(format!("139{:08}", i % 100_000_000)),
                                    ..Default::default()
                                }),
                                attachments: vec![],
                                category: Some(category.clone()),
                                private: false,
                            },
                        )?;
                        let id = receipt.case_id;
                        app.act(
                            &dispatcher,
                            &id,
                            &Action::Dispatch { category: category.clone(), unit: None, note: None },
                        )?;
                        app.act(handler, &id, &Action::SignFor)?;
                        app.act(handler, &id, &Action::Contact { note: "已电话联系诉求人".into() })?;
                        app.act(
                            handler,
                            &id,
                            &Action::Reply {
                                outcome: ReplyOutcome::Resolved,
                                text: "已联系城管中队现场清理。".into(),
                                photos: vec![],
                            },
                        )?;
                        let a = app.act(
                            &operator,
                            &id,
                            &Action::Callback { solved: true, satisfaction: Satisfaction::Satisfied, note: None },
                        )?;
                        Ok(a.status)
                    };
                    match play() {
                        Ok(Status::Closed) => {
                            done += 1;
                            lat.push(began.elapsed().as_micros() as u64);
                        }
                        Ok(other) => {
                            failed += 1;
                            tracing::warn!(?other, "a lifecycle did not end closed");
                        }
                        Err(e) => {
                            failed += 1;
                            tracing::warn!("a lifecycle failed: {e}");
                        }
                    }
                }
                Ok((done, failed, lat))
            })
        })
        .collect();
    let (mut done, mut failed, mut lat) = (0u64, 0u64, vec![]);
    for t in threads {
        let (d, f, l) = t.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
        done += d;
        failed += f;
        lat.extend(l);
    }
    let elapsed = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    let rate = done as f64 / elapsed;
    let (p50, p99) = (pct(&lat, 0.50), pct(&lat, 0.99));
    println!(
        "lifecycles: {done} closed in {elapsed:.1} s = {rate:.0}/s ({:.0} commands/s); per lifecycle p50 {p50:.2} ms, p99 {p99:.2} ms; {failed} failed",
        rate * 6.0
    );
    println!(
        "lifecycles_per_s={rate:.0} commands_per_s={:.0} p50_ms={p50:.2} p99_ms={p99:.2} failed={failed}",
        rate * 6.0
    );
    drop(app);
    drop(_store);
    if opts.database.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(if failed == 0 { std::process::ExitCode::SUCCESS } else { std::process::ExitCode::from(1) })
}

/// Bytes this process has caused to be written to storage so far (`write_bytes` of
/// `/proc/self/io`: what reaches the disk, not what sits in the page cache unwritten).
pub(crate) fn bytes_written() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines().find_map(|l| l.strip_prefix("write_bytes:")).and_then(|v| v.trim().parse().ok())
}
