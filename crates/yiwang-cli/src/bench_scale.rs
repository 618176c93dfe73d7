//! `yiwang bench scale`: a district's year at full size. Bulk-loads synthetic appeals
//! (ten million by default) with their whole history through `Store::import_cases`,
//! then measures, through the app's own use cases, what staff feel at that size: a
//! unit's queue page, a full-text search, the month's rates for every unit, and the
//! resident memory of a process serving them.
//!
//! The appeals are realistic rather than random: the demo district's units,
//! categories and places; texts made from the demo appeals' with other places,
//! numbers and phrasing; and every event decided by core's rules (`decide_intake`,
//! `decide`, the scheduler's `Tick`) at its own time, so clocks, overdue marks and
//! measure facts are what the live system would have recorded. Accepted times spread
//! over the twelve months before now; recent cases are still open at every stage.

use crate::bench_text::Rng;
use crate::config::DataDir;
use anyhow::{Context as _, Result, anyhow, bail};
use chrono::{Datelike, Duration as Hours};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Instant;
use yiwang_app::{App, AppConfig, Queue, Reference, SearchFilter};
use yiwang_core::appeal::{
    self, Action, Appeal, AppealEvent, AppealKind, AppealType, Channel, Context, Envelope, Intake, Location, Point,
    ReplyOutcome, Satisfaction,
};
use yiwang_core::calendar::civil_date;
use yiwang_core::deadline::Urgency;
use yiwang_core::id::{CaseId, CategoryCode, TrackingCode, UnitCode, Username};
use yiwang_core::org::{Actor, Role, UnitKind};
use yiwang_store::{ImportedCase, ImportedEvent, PersonData, Store};

const DEMO_APPEALS: &str = include_str!("../../../data/demo/appeals.json");
const DEMO_PLACES: &str = include_str!("../../../data/demo/places.json");

/// Cases per `import_cases` call: one transaction each.
const BATCH: usize = 5_000;
/// Generator threads; with the store's writer thread, enough for two cores.
const GENERATORS: usize = 2;

pub struct ScaleOptions {
    pub appeals: u64,
    pub data_dir: PathBuf,
    pub keep: bool,
    pub database: Option<String>,
    /// Load nothing; measure what an earlier run kept.
    pub reuse: bool,
}

pub fn scale(o: ScaleOptions) -> Result<ExitCode> {
    if o.reuse {
        let dir = DataDir::open_or_create(&o.data_dir)?.with_database(o.database.clone());
        return measure_only(&dir, &o.data_dir).map(|_| ExitCode::SUCCESS);
    }
    if o.appeals == 0 {
        bail!("--appeals must be at least 1");
    }
    if o.data_dir.join("yiwang.sqlite").exists() {
        bail!("{} already holds a database; remove it or choose another --data-dir", o.data_dir.display());
    }
    let dir = DataDir::open_or_create(&o.data_dir)?.with_database(o.database.clone());
    let result = run(&o, &dir);
    if !o.keep {
        match std::fs::remove_dir_all(&o.data_dir) {
            Ok(()) => eprintln!("removed {} (--keep keeps it)", o.data_dir.display()),
            Err(e) => eprintln!("could not remove {}: {e}", o.data_dir.display()),
        }
        if o.database.is_some() {
            eprintln!("the PostgreSQL database keeps the loaded cases; drop it when done");
        }
    }
    result
}

fn run(o: &ScaleOptions, dir: &DataDir) -> Result<ExitCode> {
    println!("bench scale: {} appeals into {}", o.appeals, dir.describe());
    let (store, app) = dir.open_app()?;
    if store.count_cases(&Default::default())? > 0 {
        bail!("{} already holds cases; bench scale loads into an empty store", dir.describe());
    }
    app.setup_district(&yiwang_app::demo_files(), Some(yiwang_app::DEMO_PASSWORD)).map_err(|e| anyhow!("{e}"))?;
    let world = Arc::new(World::new(app.reference(), app.config().clone(), app.now())?);

    // Load.
    let started = Instant::now();
    let (cpu_before, written_before) = (crate::bench::thread_cpu(), crate::bench::bytes_written());
    let totals = load(&world, store.as_ref(), o.appeals)?;
    let load_s = started.elapsed().as_secs_f64();
    let cpu = crate::bench::cpu_since(&cpu_before);
    let written = crate::bench::bytes_written().zip(written_before).map(|(a, b)| a.saturating_sub(b));
    eprintln!();
    let per_case = totals.events as f64 / totals.cases as f64;
    println!(
        "loaded {} appeals with {} events ({per_case:.1} per appeal; closed: {} with at least {} each, {} still open) \
         in {load_s:.0} s: {:.0} appeals/s",
        totals.cases,
        totals.events,
        totals.closed,
        totals.min_closed_events,
        totals.cases - totals.closed,
        totals.cases as f64 / load_s
    );
    if !cpu.is_empty() {
        let per = |s: f64| s * 1e6 / totals.cases.max(1) as f64;
        let parts: Vec<String> = cpu.iter().map(|(name, s)| format!("{name} {:.0}", per(*s))).collect();
        println!("CPU µs per appeal while loading, by thread: {}", parts.join(", "));
    }
    // On PostgreSQL the server writes, not this process.
    if let Some(w) = written.filter(|_| !dir.is_postgres()) {
        println!(
            "written to disk while loading: {:.1} GB ({:.0} bytes per appeal)",
            w as f64 / 1e9,
            w as f64 / totals.cases.max(1) as f64
        );
    }
    if totals.refused > 0 {
        println!("{} actions refused by core's rules; those cases stay where they were", totals.refused);
    }
    drop(app);
    drop(store);

    // Measured by a fresh process, as a restarted server would be: not this one, which
    // holds the loader's leftovers.
    let mut child = std::process::Command::new(std::env::current_exe().context("finding this program")?);
    child.args(["bench", "scale", "--reuse", "--data-dir"]).arg(&o.data_dir);
    if let Some(db) = &o.database {
        child.args(["--database", db]);
    }
    let out = child.stderr(std::process::Stdio::inherit()).output().context("running the measurement")?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    if !out.status.success() {
        bail!("the measurement failed ({})", out.status);
    }
    let figures = text.lines().rev().find(|l| l.starts_with("queue_p50_ms=")).context("no figures measured")?;
    let value = |key: &str| -> f64 {
        figures
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!(
        "targets: load < 15 min {}; queue p99 < 50 ms {}; search p95 < 100 ms {}; month rates < 200 ms {}; \
         memory < 1 GB {}",
        verdict(load_s < 900.0),
        verdict(value("queue_p99_ms") < 50.0),
        verdict(value("fts_p95_ms") < 100.0),
        verdict(value("rates_ms") < 200.0),
        verdict(value("rss_mb") < 1024.0)
    );
    println!(
        "appeals={} events={} load_s={load_s:.0} load_per_s={:.0} {figures}",
        totals.cases,
        totals.events,
        totals.cases as f64 / load_s,
    );
    Ok(ExitCode::SUCCESS)
}

/// Times the queries on a store loaded by an earlier run and prints the figures,
/// ending with one `key=value` line.
fn measure_only(dir: &DataDir, data_dir: &std::path::Path) -> Result<()> {
    let (store, app) = dir.open_app()?;
    let cases = store.count_cases(&Default::default())?;
    if cases == 0 {
        bail!("{} holds no cases: load some first (bench scale --keep)", dir.describe());
    }
    println!("measuring on {} ({cases} cases or more) in a fresh process", dir.describe());
    let world = World::new(app.reference(), app.config().clone(), app.now())?;
    let figures = measure(&app, &world)?;
    let rss_mb = resident_mb().unwrap_or(f64::NAN);
    println!("resident memory after the queries: {rss_mb:.0} MB");
    let db_gb = if dir.is_postgres() { f64::NAN } else { disk_usage(data_dir) as f64 / 1e9 };
    if !dir.is_postgres() {
        println!("database on disk: {db_gb:.2} GB");
    }
    println!(
        "queue_p50_ms={:.2} queue_p99_ms={:.2} fts_p50_ms={:.2} fts_p95_ms={:.2} rates_p50_ms={:.1} rates_ms={:.1} \
         dashboard_p50_ms={:.1} dashboard_ms={:.1} rss_mb={rss_mb:.0} db_gb={db_gb:.2}",
        figures.queue_p50,
        figures.queue_p99,
        figures.fts_p50,
        figures.fts_p95,
        figures.rates_p50,
        figures.rates_max,
        figures.dashboard_p50,
        figures.dashboard_max,
    );
    Ok(())
}

// Loading -------------------------------------------------------------------------

#[derive(Default)]
struct Totals {
    cases: u64,
    events: u64,
    closed: u64,
    min_closed_events: u64,
    refused: u64,
}

/// Cases to generate: consecutive indexes, with their accepted time and number.
struct Chunk {
    first: u64,
    plan: Vec<(yiwang_core::Instant, CaseId)>,
}

struct Generated {
    cases: Vec<ImportedCase>,
    events: u64,
    closed: u64,
    min_closed_events: u64,
    refused: u64,
}

fn load(world: &Arc<World>, store: &dyn Store, n: u64) -> Result<Totals> {
    // Accepted times rise evenly over the year, so numbers rise with time within a
    // day; the planner numbers them in order, the generators build them in parallel.
    let (plan_tx, plan_rx) = mpsc::sync_channel::<Chunk>(GENERATORS * 2);
    let (out_tx, out_rx) = mpsc::sync_channel::<Generated>(GENERATORS * 2);
    let plan_rx = Arc::new(std::sync::Mutex::new(plan_rx));
    let start = world.end - Hours::days(365);
    let span_ms = (world.end - start).num_milliseconds() as u64 - 3_600_000;
    let planner = {
        let prefix = <AppealKind as yiwang_core::case::Kind>::PREFIX;
        std::thread::Builder::new().name("yiwang-plan".into()).spawn(move || {
            let (mut day, mut seq) = (None, 0u32);
            let mut i = 0u64;
            while i < n {
                let first = i;
                let mut plan = Vec::with_capacity(BATCH);
                while i < n && plan.len() < BATCH {
                    let at = start + Hours::milliseconds((i as u128 * span_ms as u128 / n as u128) as i64);
                    let d = civil_date(at);
                    seq = if day == Some(d) { seq + 1 } else { 1 };
                    day = Some(d);
                    plan.push((at, CaseId::new(prefix, d, seq)));
                    i += 1;
                }
                if plan_tx.send(Chunk { first, plan }).is_err() {
                    return;
                }
            }
        })?
    };
    let generators: Vec<_> = (0..GENERATORS)
        .map(|_| {
            let (rx, tx, world) = (plan_rx.clone(), out_tx.clone(), world.clone());
            // Named, so the CPU each thread spends shows the bench's own generating
            // apart from the import it measures.
            std::thread::Builder::new().name("yiwang-generate".into()).spawn(move || {
                loop {
                    let chunk = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
                        Ok(c) => c,
                        Err(_) => return,
                    };
                    if tx.send(world.generate(chunk)).is_err() {
                        return;
                    }
                }
            })
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    // Only the generators hold the plan's receiver and the results' sender now, so a
    // generator that fails ends the load instead of leaving the others waiting.
    drop(plan_rx);
    drop(out_tx);

    let mut t = Totals { min_closed_events: u64::MAX, ..Default::default() };
    let progress = Progress::new(n);
    // One batch is written while the next is prepared: `import_cases` links and
    // projects a batch on this thread, then answers once the writer has committed it.
    let mut writing: Option<(yiwang_store::Pending<()>, u64)> = None;
    for g in out_rx {
        t.events += g.events;
        t.closed += g.closed;
        t.min_closed_events = t.min_closed_events.min(g.min_closed_events);
        t.refused += g.refused;
        let cases = g.cases.len() as u64;
        let next = store.import_cases(g.cases, world.end);
        if let Some((done, n)) = writing.replace((next, cases)) {
            done.wait().context("importing a batch of cases")?;
            t.cases += n;
            progress.show(t.cases);
        }
    }
    if let Some((done, n)) = writing {
        done.wait().context("importing a batch of cases")?;
        t.cases += n;
        progress.show(t.cases);
    }
    planner.join().map_err(|_| anyhow!("the planner thread panicked"))?;
    for g in generators {
        g.join().map_err(|_| anyhow!("a generator thread panicked"))?;
    }
    if t.min_closed_events == u64::MAX {
        t.min_closed_events = 0;
    }
    Ok(t)
}

/// One line on stderr, redrawn in place: loaded, rate, time left.
struct Progress {
    total: u64,
    started: Instant,
    last: AtomicU64,
}

impl Progress {
    fn new(total: u64) -> Self {
        Progress { total, started: Instant::now(), last: AtomicU64::new(0) }
    }
    fn show(&self, done: u64) {
        let secs = self.started.elapsed().as_secs_f64();
        // At most a few redraws a second (a batch can take a few milliseconds).
        let tenth = (secs * 4.0) as u64;
        if done < self.total && self.last.swap(tenth, Ordering::Relaxed) == tenth {
            return;
        }
        let rate = done as f64 / secs.max(1e-9);
        let left = (self.total - done) as f64 / rate.max(1e-9);
        let width = 30;
        let filled = (done as f64 / self.total as f64 * width as f64) as usize;
        eprint!(
            "\r[{}{}] {done}/{} {:.1}% {rate:.0}/s elapsed {} ETA {}   ",
            "#".repeat(filled),
            ".".repeat(width - filled),
            self.total,
            done as f64 * 100.0 / self.total as f64,
            mmss(secs),
            mmss(left)
        );
        let _ = std::io::stderr().flush();
    }
}

fn mmss(s: f64) -> String {
    let s = s as u64;
    format!("{}m{:02}s", s / 60, s % 60)
}

struct Template {
    appeal_type: AppealType,
    urgency: Urgency,
    category: CategoryCode,
    title: String,
    text: String,
    place: String,
    address: String,
    reply: String,
}

struct Place {
    name: String,
    point: Point,
    area: Option<UnitCode>,
    street: Option<UnitCode>,
}

const OPENERS: [&str; 12] = [
    "",
    "",
    "来电人反映：",
    "市民来电称，",
    "网友留言：",
    "来电人再次反映，",
    "居民反映，",
    "来电人称近一周以来，",
    "来电人表示，",
    "有市民反映，",
    "来电人咨询并反映，",
    "群众来电：",
];
const CLOSERS: [&str; 14] = [
    "",
    "",
    "",
    "希望尽快处理。",
    "请相关部门核实处理。",
    "此前已向物业反映过，但一直没有解决。",
    "影响周边居民正常生活，望尽快解决。",
    "家中有老人和孩子，十分着急。",
    "每天晚上十点以后尤其严重。",
    "已持续两个多月，请尽快答复。",
    "周边商户和居民意见很大。",
    "希望有关部门加强巡查，形成长效机制。",
    "来电人要求回复处理结果。",
    "不希望透露个人信息。",
];
const REPLY_CLOSERS: [&str; 6] = [
    "",
    "",
    "已向来电人说明情况，来电人表示理解。",
    "后续将加强日常巡查，防止问题反复。",
    "已建立台账，纳入常态化管理。",
    "来电人对处理结果表示认可。",
];
const SURNAMES: [&str; 16] =
    ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"];
const GIVEN: [&str; 16] =
    ["秀英", "建国", "丽", "伟", "芳", "强", "桂兰", "洋", "敏", "静", "磊", "军", "海燕", "志刚", "玉兰", "晓东"];

/// Everything the generators read: the district, its rules, the templates and places.
struct World {
    reference: Arc<Reference>,
    config: AppConfig,
    end: yiwang_core::Instant,
    templates: Vec<Template>,
    places: Vec<Place>,
    operator: Actor,
    dispatcher: Actor,
    supervisor: Actor,
}

fn staff(username: &str, unit: &UnitCode, kind: UnitKind, roles: &[Role]) -> Actor {
    Actor::Staff {
        username: Username::parse(username).expect("bench usernames are valid"),
        unit: unit.clone(),
        unit_kind: kind,
        roles: roles.to_vec(),
    }
}

/// The handler of a unit (`<unit>-handler`, as in the demo district).
fn handler(r: &Reference, unit: &UnitCode) -> Actor {
    let kind = r.org.get(unit).map(|u| u.kind).unwrap_or(UnitKind::Department);
    staff(&format!("{unit}-handler"), unit, kind, &[Role::Handler])
}

/// Every `(at, actor, event)` of a case as it is decided, with its state.
struct Recorder<'w> {
    w: &'w World,
    id: CaseId,
    state: Option<Appeal>,
    events: Vec<ImportedEvent<AppealEvent>>,
    refused: u64,
}

impl Recorder<'_> {
    fn ctx<'a>(&'a self, actor: &'a Actor, now: yiwang_core::Instant) -> Context<'a> {
        Context {
            now,
            actor,
            calendar: &self.w.config.calendar,
            limits: &self.w.config.limits,
            org: &self.w.reference.org,
            taxonomy: &self.w.reference.taxonomy,
        }
    }

    fn record(&mut self, at: yiwang_core::Instant, actor: &Actor, events: Vec<AppealEvent>) {
        for event in events {
            let seq = self.events.len() as u32 + 1;
            let env = Envelope { case: self.id.clone(), seq, at, actor: actor.clone(), event };
            self.state = appeal::evolve(self.state.take(), &env);
            self.events.push(ImportedEvent { at, actor: env.actor, event: env.event });
        }
    }

    /// The scheduler's work up to `now`: each warning and overdue mark at its time.
    fn tick_until(&mut self, now: yiwang_core::Instant) {
        for _ in 0..8 {
            let Some(s) = &self.state else { return };
            let Some(alarm) = s.next_alarm().filter(|a| *a <= now && s.is_open()) else { return };
            let events = appeal::decide(s, &Action::Tick, &self.ctx(&Actor::System, alarm)).unwrap_or_default();
            if events.is_empty() {
                return;
            }
            self.record(alarm, &Actor::System, events);
        }
    }

    /// Decides and records `action` at `at`; false when core refuses it.
    fn act(&mut self, at: yiwang_core::Instant, actor: &Actor, action: Action) -> bool {
        self.tick_until(at);
        let Some(s) = &self.state else { return false };
        match appeal::decide(s, &action, &self.ctx(actor, at)) {
            Ok(events) => {
                self.record(at, actor, events);
                true
            }
            Err(_) => {
                self.refused += 1;
                false
            }
        }
    }
}

impl World {
    fn new(reference: Arc<Reference>, config: AppConfig, end: yiwang_core::Instant) -> Result<Self> {
        let templates = templates().context("reading the demo appeals")?;
        let files: Vec<serde_json::Value> = serde_json::from_str(DEMO_PLACES).context("reading the demo places")?;
        let places = files
            .into_iter()
            .filter_map(|p| {
                let point = Point::parse(p["lon"].as_f64()?, p["lat"].as_f64()?).ok()?;
                let loc = Location { point: Some(point), address: None, area: None };
                let area = reference.locate(&loc).area;
                let street = area.as_ref().and_then(|a| reference.org.street_of(a)).map(|u| u.code.clone());
                Some(Place { name: p["name"].as_str()?.to_owned(), point, area, street })
            })
            .collect::<Vec<_>>();
        if places.is_empty() || templates.is_empty() {
            bail!("the demo district has no places or appeals");
        }
        let centre = reference
            .org
            .units()
            .find(|u| u.kind == UnitKind::Centre)
            .map(|u| u.code.clone())
            .context("the demo district has no centre")?;
        Ok(World {
            operator: staff("operator1", &centre, UnitKind::Centre, &[Role::Operator]),
            dispatcher: staff("dispatcher1", &centre, UnitKind::Centre, &[Role::Dispatcher, Role::Operator]),
            supervisor: staff("supervisor1", &centre, UnitKind::Centre, &[Role::Supervisor]),
            reference,
            config,
            end,
            templates,
            places,
        })
    }

    fn generate(&self, chunk: Chunk) -> Generated {
        let mut g = Generated {
            cases: Vec::with_capacity(chunk.plan.len()),
            events: 0,
            closed: 0,
            min_closed_events: u64::MAX,
            refused: 0,
        };
        for (k, (at, id)) in chunk.plan.into_iter().enumerate() {
            let index = chunk.first + k as u64;
            let (case, n, refused, closed) = self.case(index, at, id);
            g.events += n;
            g.refused += refused;
            if closed {
                g.closed += 1;
                g.min_closed_events = g.min_closed_events.min(n);
            }
            g.cases.push(case);
        }
        g
    }

    /// One case: intake at `at`, then its life until now, the way the demo story
    /// walks its appeals (seed_demo), with more variety.
    /// Returns the case, its number of events, how many of its actions core refused,
    /// and whether it is closed.
    fn case(&self, index: u64, at: yiwang_core::Instant, id: CaseId) -> (ImportedCase, u64, u64, bool) {
        let r = &self.reference;
        let mut rng = Rng(index.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5DEE_CE66);
        let t = self.templates.get(rng.below(self.templates.len() as u64) as usize).expect("in range");
        // Another place half of the time, and other numbers always.
        let own = self.places.iter().find(|p| p.name == t.place);
        let place = match own {
            Some(p) if rng.one_in(2) => p,
            _ => rng.pick(&self.places),
        };
        let swap = |s: &str, rng: &mut Rng| renumber(&s.replace(&t.place, &place.name), rng);
        let text = format!("{}{}{}", rng.pick(&OPENERS), swap(&t.text, &mut rng), rng.pick(&CLOSERS));
        let address = swap(&t.address, &mut rng);
        let title = swap(&t.title, &mut rng);
        let reply = format!("{}{}", swap(&t.reply, &mut rng), rng.pick(&REPLY_CLOSERS));
        let channel = match rng.below(20) {
            0..=12 => Channel::Hotline,
            13..=15 => Channel::Web,
            16..=18 => Channel::App,
            _ => Channel::GridPatrol,
        };
        let person = (!rng.one_in(10)).then(|| {
            let mut digest = [0u8; 32];
            digest.iter_mut().for_each(|b| *b = rng.next() as u8);
            PersonData {
                name: Some(format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN))),
                phone: Some(format!("13{}{:08}", 5 + rng.below(5), rng.below(100_000_000))),
                // Stands for the keyed digest (same size); no key is needed here.
                phone_digest: Some(hex::encode(digest)),
                ..Default::default()
            }
        });
        let intake = Intake {
            channel,
            appeal_type: t.appeal_type,
            urgency: t.urgency,
            title: Some(title),
            text,
            location: Location { point: Some(place.point), address: Some(address), area: place.area.clone() },
            citizen: None,
            attachments: vec![],
            category: Some(t.category.clone()),
            tracking_code: tracking_code(index, at),
            private: false,
        };
        let mut c = Recorder { w: self, id: id.clone(), state: None, events: vec![], refused: 0 };
        // Who files it depends on the channel: the citizen online, a grid worker on
        // patrol, an operator on the phone.
        let filer = match channel {
            Channel::Web | Channel::App => Actor::Citizen,
            Channel::GridPatrol => match &place.area {
                Some(a) => staff(&format!("{a}-grid"), a, UnitKind::Grid, &[Role::GridWorker]),
                None => self.operator.clone(),
            },
            _ => self.operator.clone(),
        };
        let accepted = match appeal::decide_intake(&intake, &c.ctx(&filer, at)) {
            Ok(events) => (filer, events),
            Err(_) => {
                c.refused += 1;
                let by_phone = Intake { channel: Channel::Hotline, ..intake };
                let events =
                    appeal::decide_intake(&by_phone, &c.ctx(&self.operator, at)).expect("the demo appeals are valid");
                (self.operator.clone(), events)
            }
        };
        c.record(at, &accepted.0, accepted.1);
        self.walk(&mut c, &mut rng, at, t, place, &reply);
        c.tick_until(self.end);
        let closed = c.state.as_ref().is_some_and(|s| !s.is_open());
        let n = c.events.len() as u64;
        (ImportedCase::new::<AppealKind>(r.tenant.clone(), id, person, c.events), n, c.refused, closed)
    }

    fn walk(
        &self,
        c: &mut Recorder<'_>,
        rng: &mut Rng,
        at: yiwang_core::Instant,
        t: &Template,
        place: &Place,
        reply: &str,
    ) {
        let r = &self.reference;
        let mut now = at;
        // The next step `h` hours on, unless that is still in the future.
        let mut step = |h: i64| -> Option<yiwang_core::Instant> {
            now += Hours::hours(h) + Hours::minutes(rng_minutes(h));
            (now < self.end).then_some(now)
        };
        let Some(owner) = r.taxonomy.get(&t.category).map(|c| c.unit.clone()) else { return };
        let dispatch_after = if t.urgency == Urgency::Emergency { 0 } else { 1 + rng.below(6) as i64 };
        let Some(t1) = step(dispatch_after) else { return };
        // Some are first sent to the street, which returns them as not its own.
        let mut t1 = t1;
        if let Some(st) = place.street.as_ref().filter(|s| **s != owner && rng.one_in(12)) {
            let d = Action::Dispatch { category: t.category.clone(), unit: Some(st.clone()), note: None };
            if !c.act(t1, &self.dispatcher, d) {
                return;
            }
            let Some(t2) = step(2) else { return };
            let back = Action::Return { reason: "经核实不属于本街道职责，请改派主管部门".into() };
            if !c.act(t2, &handler(r, st), back) {
                return;
            }
            let Some(t3) = step(1) else { return };
            t1 = t3;
        }
        let note = rng.one_in(3).then(|| "请按时限办理并及时答复诉求人".to_owned());
        if !c.act(
            t1,
            &self.dispatcher,
            Action::Dispatch { category: t.category.clone(), unit: Some(owner.clone()), note },
        ) {
            return;
        }
        let h = handler(r, &owner);
        // Most sign within the limit; some late.
        let Some(t2) = step(if rng.one_in(8) { 30 } else { 1 }) else { return };
        if !c.act(t2, &h, Action::SignFor) {
            return;
        }
        let Some(t3) = step(if rng.one_in(6) { 30 } else { 2 + rng.below(8) as i64 }) else { return };
        if !c.act(t3, &h, Action::Contact { note: "已电话联系诉求人，了解具体情况".into() }) {
            return;
        }
        if let Some(st) = place.street.as_ref().filter(|s| **s != owner && rng.one_in(8)) {
            let summon =
                Action::Summon { units: vec![st.clone()], note: Some("请属地街道协助现场核查".into()) };
            if !c.act(t3, &h, summon) {
                return;
            }
            let sh = handler(r, st);
            let Some(t4) = step(4) else { return };
            if !c.act(t4, &sh, Action::ReportIn) {
                return;
            }
            let Some(t5) = step(20) else { return };
            if !c.act(t5, &sh, Action::AnswerPart { text: "街道已派员现场核查并配合处置".into() }) {
                return;
            }
        }
        if rng.one_in(10) {
            let Some(t4) = step(24) else { return };
            if !c.act(t4, &self.supervisor, Action::Remind { note: "请抓紧办理，按时答复诉求人".into() }) {
                return;
            }
        }
        // Replies take one to twenty working days, some longer than allowed.
        let Some(t5) = step(24 * (1 + rng.below(20) as i64)) else { return };
        let outcome = if rng.one_in(15) { ReplyOutcome::CannotSolve } else { ReplyOutcome::Resolved };
        if !c.act(t5, &h, Action::Reply { outcome, text: reply.to_owned(), photos: vec![] }) {
            return;
        }
        let Some(t6) = step(6 + rng.below(30) as i64) else { return };
        let (solved, satisfaction) = match rng.below(20) {
            0..=12 => (true, Satisfaction::Satisfied),
            13..=16 => (true, Satisfaction::BasicallySatisfied),
            17 => (false, Satisfaction::BasicallySatisfied),
            _ => (false, Satisfaction::Unsatisfied),
        };
        if !c.act(t6, &self.operator, Action::Callback { solved, satisfaction, note: None }) || solved {
            return;
        }
        // Not solved: the centre reopens half, and closes the rest with a note.
        let Some(t7) = step(2) else { return };
        if rng.one_in(2) {
            let close =
                Action::Close { note: Some("经核实已按政策答复，诉求人诉求超出政策范围".into()) };
            c.act(t7, &self.supervisor, close);
            return;
        }
        if !c.act(t7, &self.supervisor, Action::Reopen { reason: "诉求人反映问题未解决，请重新办理".into() })
        {
            return;
        }
        let Some(t8) = step(24 * (1 + rng.below(5) as i64)) else { return };
        let again =
            Action::Reply {
                outcome: ReplyOutcome::Resolved, text: format!("经再次核查处理：{reply}"), photos: vec![]
            };
        if !c.act(t8, &h, again) {
            return;
        }
        let Some(t9) = step(6 + rng.below(20) as i64) else { return };
        c.act(
            t9,
            &self.operator,
            Action::Callback { solved: true, satisfaction: Satisfaction::BasicallySatisfied, note: None },
        );
    }
}

/// The demo appeals (data/demo/appeals.json), the templates of the texts.
fn templates() -> Result<Vec<Template>> {
    let raw: Vec<serde_json::Value> = serde_json::from_str(DEMO_APPEALS)?;
    raw.into_iter()
        .map(|v| {
            let text = |k: &str| v[k].as_str().map(str::to_owned).with_context(|| format!("no {k}"));
            Ok(Template {
                appeal_type: serde_json::from_value(v["type"].clone())?,
                urgency: serde_json::from_value(v["urgency"].clone())?,
                category: CategoryCode::parse(&text("category")?)?,
                title: text("title")?,
                text: text("text")?,
                place: text("place")?,
                address: text("address")?,
                reply: text("reply")?,
            })
        })
        .collect()
}

/// A few minutes' jitter so steps do not all fall on the hour.
fn rng_minutes(h: i64) -> i64 {
    (h * 7919) % 53
}

/// Replaces each number in `s` with another of the same number of digits.
fn renumber(s: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch.is_ascii_digit() {
            let mut len = 1;
            while chars.next_if(char::is_ascii_digit).is_some() {
                len += 1;
            }
            let len = len.min(6);
            let lo = if len == 1 { 1 } else { 10u64.pow(len - 1) };
            let hi = 10u64.pow(len);
            out.push_str(&(lo + rng.below(hi - lo)).to_string());
        } else {
            out.push(ch);
        }
    }
    out
}

/// A distinct tracking code per case, as intake makes them: the day it was accepted,
/// then the index through a bijection of 31^7, so the rest looks random and never
/// collides.
fn tracking_code(index: u64, at: yiwang_core::Instant) -> TrackingCode {
    const SPACE: u64 = 31u64.pow(7);
    let mut x = (index.wrapping_mul(2_654_435_761) + 97_531) % SPACE;
    let mut bytes = [0u8; 7];
    for b in &mut bytes {
        *b = (x % 31) as u8;
        x /= 31;
    }
    TrackingCode::dated(civil_date(at), bytes)
}

// Measuring ------------------------------------------------------------------------

struct Figures {
    queue_p50: f64,
    queue_p99: f64,
    fts_p50: f64,
    fts_p95: f64,
    rates_p50: f64,
    rates_max: f64,
    dashboard_p50: f64,
    dashboard_max: f64,
}

/// Common words of 12345 appeals, to search for.
const TERMS: [&str; 12] =
    ["噪音", "占道经营", "停车", "路灯", "油烟", "漏水", "垃圾", "暖气", "停水", "施工", "物业", "井盖"];

fn measure(app: &App, w: &World) -> Result<Figures> {
    let r = app.reference();
    let e = |e: yiwang_app::AppError| anyhow!("{e}");
    // Units that hold cases: category owners and streets.
    let mut units: Vec<UnitCode> = w.places.iter().filter_map(|p| p.street.clone()).collect();
    units.extend(w.templates.iter().filter_map(|t| r.taxonomy.get(&t.category)).map(|c| c.unit.clone()));
    units.sort();
    units.dedup();
    let mut rng = Rng(42);

    // A warm-up pass, as a server that has run a while would be.
    for u in &units {
        app.queue(&handler(&r, u), Queue::Handling, None, 20, 0).map_err(e)?;
    }
    let queues = [Queue::ToSign, Queue::Handling, Queue::Warning, Queue::Overdue];
    let mut lat = vec![];
    let mut rows = 0usize;
    for _ in 0..500 {
        let (u, q) = (rng.pick(&units), *rng.pick(&queues));
        let h = handler(&r, u);
        let t = Instant::now();
        let page = app.queue(&h, q, None, 20, 0).map_err(e)?;
        lat.push(ms(t));
        rows += page.items.len();
    }
    let (queue_p50, queue_p99) = (pct(&mut lat, 50.0), pct(&mut lat, 99.0));
    println!(
        "queue page (20 rows; to sign, handling, warning, overdue; {} units): p50 {queue_p50:.2} ms, p99 \
         {queue_p99:.2} ms, max {:.2} ms over 500 ({:.1} rows a page)",
        units.len(),
        lat.last().copied().unwrap_or_default(),
        rows as f64 / 500.0
    );

    // Each word once first, as a server that has run a while has its index pages in
    // memory.
    for term in TERMS {
        app.search_cases(&w.operator, term, SearchFilter::default(), 20, 0).map_err(e)?;
    }
    let mut lat = vec![];
    let mut hits = 0u64;
    for i in 0..200 {
        let term = TERMS[i % TERMS.len()];
        let t = Instant::now();
        let page = app.search_cases(&w.operator, term, SearchFilter::default(), 20, 0).map_err(e)?;
        lat.push(ms(t));
        hits += page.total;
    }
    let (fts_p50, fts_p95) = (pct(&mut lat, 50.0), pct(&mut lat, 95.0));
    println!(
        "full-text search (centre, newest 20 with the total; {}): p50 {fts_p50:.2} ms, p95 {fts_p95:.2} ms, max \
         {:.2} ms over 200 ({:.0} matches a query)",
        TERMS.join(" "),
        lat.last().copied().unwrap_or_default(),
        hits as f64 / 200.0
    );

    // The latest full month.
    let now = app.now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset"));
    let (y, m) = if now.month() == 1 { (now.year() - 1, 12) } else { (now.year(), now.month() - 1) };
    let month = format!("{y:04}-{m:02}");
    let mut lat = vec![];
    let mut n_units = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let measures = app.measures(&month).map_err(e)?;
        lat.push(ms(t));
        n_units = measures.units.len();
    }
    let (rates_p50, rates_max) = (pct(&mut lat, 50.0), pct(&mut lat, 100.0));
    println!("month's rates ({month}, {n_units} units, ranked): p50 {rates_p50:.1} ms, max {rates_max:.1} ms over 20");

    // The dashboard over the last year: volumes by day, status, category, street and
    // channel, the overdue cases per unit, and the month's measures.
    let mut lat = vec![];
    let mut total = 0;
    for _ in 0..20 {
        let t = Instant::now();
        total = app.dashboard(&w.operator, 366, &month).map_err(e)?.total;
        lat.push(ms(t));
    }
    let (dashboard_p50, dashboard_max) = (pct(&mut lat, 50.0), pct(&mut lat, 100.0));
    println!(
        "dashboard (last 366 days, {total} appeals): p50 {dashboard_p50:.1} ms, max {dashboard_max:.1} ms over 20"
    );
    Ok(Figures { queue_p50, queue_p99, fts_p50, fts_p95, rates_p50, rates_max, dashboard_p50, dashboard_max })
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// The `p`th percentile (nearest rank); sorts `xs`.
fn pct(xs: &mut [f64], p: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    if xs.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * xs.len() as f64).ceil().max(1.0) as usize;
    xs[rank.min(xs.len()) - 1]
}

/// VmRSS of this process, in MB.
fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Bytes of the files in `dir` (the database, its WAL and shared memory).
fn disk_usage(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_codes_of_distinct_cases_differ() {
        let codes: std::collections::HashSet<String> =
            (0..100_000).map(|i| tracking_code(i, chrono::Utc::now()).as_str().to_owned()).collect();
        assert_eq!(codes.len(), 100_000);
    }

    #[test]
    fn renumbering_keeps_the_text_and_the_number_of_digits() {
        let mut rng = Rng(1);
        let s = renumber("杏林湾小区6号楼2单元502室", &mut rng);
        assert!(s.starts_with("杏林湾小区") && s.contains("号楼") && s.ends_with("室"), "{s}");
        assert_eq!(s.chars().filter(char::is_ascii_digit).count(), 5);
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let mut xs: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(pct(&mut xs, 99.0), 99.0);
        assert_eq!(pct(&mut xs, 50.0), 50.0);
        assert_eq!(pct(&mut xs, 100.0), 100.0);
    }
}
