//! The subcommands.

use crate::config::{DataArgs, DataDir};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use yiwang_app::DistrictFiles;
use yiwang_core::org::Role;

#[derive(Parser)]
#[command(name = "yiwang", version, about = "一网: a district's 12345 appeals platform")]
pub struct Cli {
    /// A configuration file (TOML): each key is a setting's environment variable
    /// without YIWANG_, in lower case (data_dir, listen, …). A flag wins over its
    /// environment variable, which wins over the file, which wins over the default.
    #[arg(long, global = true, env = crate::settings::CONFIG_ENV, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to log: a tracing filter, e.g. info, or warn,yiwang_web=debug.
    #[arg(long, global = true, env = "YIWANG_LOG", default_value = "info", value_name = "FILTER")]
    pub log: String,
    /// How to log (to standard error): text, or json (one object per line, with the
    /// request's id, method and path on every line logged while serving it).
    #[arg(long, global = true, env = "YIWANG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API and scheduler) on an embedded database.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// Address to listen on.
        #[arg(long, env = "YIWANG_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// On first start, load the demo district (云溪区) with a few months of appeals.
        #[arg(long, env = "YIWANG_DEMO")]
        demo: bool,
        /// Seconds between scheduler runs (deadline warnings and overdue marks).
        #[arg(long, env = "YIWANG_TICK_SECONDS", default_value_t = 10)]
        tick_seconds: u64,
        /// The address yiwang is reached at from outside, e.g. https://12345.yunxi.gov.cn
        /// (Open311 discovery names it); by default http://LISTEN.
        #[arg(long, env = "YIWANG_PUBLIC_URL")]
        public_url: Option<String>,
        /// Connections one client address may hold open at once; 0 for no cap (set 0
        /// behind a reverse proxy, and cap there).
        #[arg(long, env = "YIWANG_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 256)]
        max_connections_per_address: usize,
        /// Seconds between signed checkpoints of the record (one is also sealed when
        /// the server stops). What is written after the last exported checkpoint is
        /// the window in which a rewrite by a database administrator goes unseen.
        #[arg(long, env = "YIWANG_CHECKPOINT_SECONDS", default_value_t = 60)]
        checkpoint_seconds: u64,
        /// Where each checkpoint is exported as it is sealed, for an outside witness:
        /// a file (appended, one JSON per line), - for standard output, or an http://
        /// address it is POSTed to.
        #[arg(long, env = "YIWANG_CHECKPOINT_EXPORT")]
        checkpoint_export: Option<String>,
        /// Mark the console's session cookie Secure (set it when yiwang is reached over TLS).
        #[arg(long, env = "YIWANG_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Logins, password changes and tracking-code lookups one client address may
        /// make per minute (then 429); 0 for no limit (set 0 behind a reverse proxy,
        /// and limit there).
        #[arg(long, env = "YIWANG_GUESSES_PER_MINUTE", default_value_t = 60)]
        guesses_per_minute: u32,
        /// Serve /metrics (Prometheus text format) on this address too, without
        /// authentication: bind it to loopback or a monitoring network only.
        #[arg(long, env = "YIWANG_METRICS_LISTEN")]
        metrics_listen: Option<String>,
        /// Serve /metrics on the main address to `Authorization: Bearer TOKEN` (401
        /// otherwise). Without this or --metrics-listen, /metrics is 404.
        #[arg(long, env = "YIWANG_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
    },
    /// Set up or update a district from a directory holding units.json,
    /// categories.json, staff.json, boundaries.geojson, places.json and routing.json
    /// (any of them).
    Import {
        #[command(flatten)]
        data: DataArgs,
        /// The directory with the files (the format of data/demo; enterprises.json or
        /// enterprises.csv is the enterprise register).
        #[arg(long)]
        from: PathBuf,
        /// Password for new staff whose entry has none.
        #[arg(long, env = "YIWANG_DEFAULT_PASSWORD")]
        default_password: Option<String>,
    },
    /// Add or update a staff member.
    Staff {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        username: String,
        /// Deactivate the account instead: it can no longer log in, and its sessions
        /// end at once.
        #[arg(long)]
        deactivate: bool,
        #[arg(long, required_unless_present = "deactivate")]
        name: Option<String>,
        #[arg(long, required_unless_present = "deactivate")]
        unit: Option<String>,
        /// Comma-separated: admin, operator, dispatcher, supervisor, handler, unit_leader, leader, grid_worker.
        #[arg(long, required_unless_present = "deactivate")]
        roles: Option<String>,
        /// At least 8 characters of 3 of the 4 kinds (lower case, upper case, digits,
        /// others), not the username and not a common password.
        #[arg(long, env = "YIWANG_PASSWORD", required_unless_present = "deactivate")]
        password: Option<String>,
    },
    /// Check the record (every event chain, the anchored log, the signed
    /// checkpoints), or seal a checkpoint now.
    Audit {
        #[command(subcommand)]
        what: crate::record::AuditCommand,
    },
    /// The keys yiwang signs checkpoints with, kept in the data directory's keys/.
    Keys {
        #[command(subcommand)]
        what: crate::record::KeysCommand,
    },
    /// A consistent copy of the data directory (its SQLite database, keys, settings,
    /// uploads) in one file, taken while the server serves (README: Backups).
    Backup {
        #[arg(long, env = "YIWANG_DATA_DIR", default_value = "yiwang-data")]
        data_dir: PathBuf,
        /// The backup file to write.
        #[arg(long)]
        to: PathBuf,
    },
    /// A backup into a new (or empty) data directory: the whole file is checked
    /// against its checksums first, and the record is verified after.
    Restore {
        #[arg(long)]
        from: PathBuf,
        #[arg(long, env = "YIWANG_DATA_DIR")]
        data_dir: PathBuf,
        /// Where the personal-data keys are, when they were kept outside the data
        /// directory (and so are not in the backup).
        #[arg(long, env = "YIWANG_PERSONAL_KEYS")]
        personal_keys: Option<PathBuf>,
    },
    /// Rebuild every projection (state, queues, measures) from the events.
    Reindex {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Run the deadline scheduler once.
    Tick {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Erase a person's personal data (name, phone, ID number, contact); the events
    /// that refer to them stay valid.
    ErasePerson {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        id: i64,
    },
    /// Working-day calendar: check a notice file, or list the years known.
    Calendar {
        #[command(flatten)]
        data: DataArgs,
        /// A notice file to check (and, with --install, copy into DATA_DIR/calendar/).
        file: Option<PathBuf>,
        #[arg(long)]
        install: bool,
    },
    /// Train a model.
    Train {
        #[command(subcommand)]
        what: TrainCommand,
    },
    /// Evaluate a model on the fixed evaluation rows.
    Eval {
        #[command(subcommand)]
        what: EvalCommand,
    },
    /// Print the measurable targets of a work report or plan (.txt or .docx), one per
    /// line: value, unit and sentence, separated by tabs.
    ExtractTargets {
        /// The document.
        file: PathBuf,
    },
    /// Verify an e-certificate offline, with no server: its signature against the
    /// published keys (a copy of GET /api/v1/keys), its dates, and, given a copy of the
    /// signed status list (GET /api/v1/certificate-status-list), whether it was
    /// revoked. Exits 0 for a valid certificate, 1 otherwise.
    VerifyCertificate {
        /// The certificate: the file GET /api/v1/certificates/ID gives, or its
        /// `certificate` part, or a text file holding what its QR code says (`YW1:…`).
        #[arg(required_unless_present = "qr", conflicts_with = "qr")]
        file: Option<PathBuf>,
        /// What the certificate's QR code says (`YW1:…`), as a scanner reads it.
        #[arg(long)]
        qr: Option<String>,
        /// The published public keys (JSON).
        #[arg(long)]
        keys: PathBuf,
        /// The signed list of revoked certificates (JSON).
        #[arg(long)]
        status_list: Option<PathBuf>,
        /// The day to check the dates on (YYYY-MM-DD); today by default.
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
    },
    /// Re-verify a published draw of 双随机一公开 offline (the JSON record the portal
    /// offers for download): the snapshot's hash, the seed against its commitment, the
    /// drand quicknet beacon's signature, and every target and inspector recomputed.
    /// Prints OK, or each difference; exits 0 when it verifies, 1 otherwise.
    VerifyDraw {
        /// The draw record (JSON), exactly as downloaded.
        file: PathBuf,
    },
    /// API keys of Open311 client apps: issue, list, revoke.
    Apikey {
        #[command(subcommand)]
        what: crate::apikey::ApikeyCommand,
    },
    /// Measure: print figures, ending with one line of key=value pairs.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Concurrent HTTP clients posting appeals (and, for comparison, calling a trivial
    /// handler) against a server: its own on a temporary data directory, or --url.
    Intake {
        /// A running server, e.g. http://127.0.0.1:8080 (default: start one).
        #[arg(long)]
        url: Option<String>,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Seconds per phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// For the server it starts: a PostgreSQL URL instead of a temporary SQLite
        /// file (use a database of its own: the bench's appeals stay there).
        #[arg(long)]
        database: Option<String>,
        /// Skip the trivial-handler phase.
        #[arg(long)]
        no_trivial: bool,
        /// Append each acknowledged appeal (case id, tracking code, phone) to this
        /// file as it is acknowledged; see README, "Crash check".
        #[arg(long)]
        ack_log: Option<PathBuf>,
        /// Write personal data in plaintext, to measure what sealing it costs.
        #[arg(long)]
        plaintext_personal: bool,
        /// For the server it starts: the algorithms (standard, or gm for SM3 chains
        /// and SM4 personal data), to measure what 国密 costs.
        #[arg(long, value_enum, default_value = "standard")]
        crypto: crate::config::Crypto,
        /// For the server it starts: subscribe a webhook receiver the bench runs, and
        /// print its delivery rate and latency (commit to receipt) and what it costs
        /// intake (a phase without it first).
        #[arg(long)]
        webhook: bool,
        /// For the server it starts: publish the events to a JetStream stream on this
        /// NATS server (e.g. nats://127.0.0.1:4222), read them back, and print the
        /// same figures.
        #[arg(long)]
        stream: Option<String>,
    },
    /// Whole lifecycles per second through the use-case layer, on the demo district:
    /// appeals (intake, dispatch, sign-for, contact, reply, callback), or with
    /// `--kind application` service applications (收件, 受理, 审查, 决定, 制证 signed,
    /// 送达, 评价), with each step's p50/p99 and the writer's CPU per application.
    Lifecycle {
        #[arg(long, default_value_t = 32)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// What to play: appeal or application.
        #[arg(long, value_enum, default_value = "appeal")]
        kind: crate::bench::LifecycleKind,
        /// Stop after this many applications (0: run for --seconds); application mode.
        #[arg(long, default_value_t = 0)]
        count: u64,
        /// A PostgreSQL URL instead of a temporary SQLite file (use a database of its
        /// own: the bench's appeals stay there).
        #[arg(long)]
        database: Option<String>,
    },
    /// Target extraction (督查督办) on a report of --chars characters: the given
    /// .txt/.docx repeated to that length, or a report the bench writes itself
    /// (denser in targets than a real one).
    Targets {
        #[arg(long, default_value_t = 60_000)]
        chars: usize,
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long, default_value_t = 50)]
        rounds: u32,
    },
    /// 免申即享: a policy run over a synthetic register of --enterprises (loaded
    /// through the register's import first, timed apart): the register read, the dry
    /// run and the run (grants opened with their traces), each with its peak RSS.
    Policy {
        #[arg(long, default_value_t = 100_000)]
        enterprises: u64,
        /// A PostgreSQL URL (an empty database of its own) instead of a temporary SQLite file.
        #[arg(long)]
        database: Option<String>,
    },
    /// Bulk-load synthetic appeals with their whole history (a district's year at
    /// full size), then, in a fresh process as a restarted server would be, time a
    /// unit's queue page, a full-text search and the month's rates, and read the
    /// resident memory.
    Scale {
        /// How many appeals to load.
        #[arg(long, default_value_t = 10_000_000)]
        appeals: u64,
        /// Where the database is created (must not hold one yet); removed at the end
        /// unless --keep.
        #[arg(long, default_value = "bench-scale-data")]
        data_dir: PathBuf,
        /// Keep the data directory (and the loaded district) afterwards.
        #[arg(long)]
        keep: bool,
        /// Load into this PostgreSQL database (postgres://…, empty) instead of SQLite.
        #[arg(long)]
        database: Option<String>,
        /// Load nothing: time the queries on what an earlier `--keep` run loaded.
        #[arg(long)]
        reuse: bool,
    },
}

#[derive(Subcommand)]
enum TrainCommand {
    /// The dispatch classifier, from a directory of labelled messages (the format of
    /// shared/data/appeals).
    Dispatch {
        #[arg(long)]
        data: PathBuf,
        /// Where to write the model file.
        #[arg(long, default_value = "dispatch-classifier.bin")]
        out: PathBuf,
        /// Also learn from this installation's corrected cases (category changed,
        /// returned as not ours, reassigned) in its data directory.
        #[arg(long)]
        corrections_from: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Accuracy, macro-F1, per-category precision and recall, confusion matrix.
    Dispatch {
        #[arg(long)]
        data: PathBuf,
        /// A model file; the shipped model when absent.
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Duplicate detection on the real repeated postings of messages_hot.csv:
    /// recall@1, recall@5 and MRR of rewritten and exact repeats.
    Duplicates {
        #[arg(long)]
        data: PathBuf,
        /// The similarity from which a candidate is shown as a likely duplicate.
        #[arg(long, default_value_t = yiwang_dispatch::duplicate::DuplicateParams::default().min_similarity)]
        min_similarity: f32,
    },
    /// Target extraction on a labelled set of work reports (data/targets): precision
    /// and recall on its held-out split (an extracted target matches a label when value
    /// and unit are equal and both come from the same sentence).
    Targets {
        #[arg(long)]
        data: PathBuf,
        /// The split to score: heldout (the figures to report) or dev.
        #[arg(long, default_value = "heldout")]
        split: String,
        /// Also list every miss and every extraction that matches no label.
        #[arg(long)]
        errors: bool,
    },
    /// Leaf-category suggestion on a hand-labelled set (data/dispatch/leaf_eval.csv):
    /// the right leaf first and among the first three, and the right unit first; then
    /// the same, cross-validated, with the set's other folds as the district's
    /// corrected cases.
    Leaves {
        #[arg(long)]
        labelled: PathBuf,
        /// The category tree (the demo district's when absent).
        #[arg(long)]
        categories: Option<PathBuf>,
        /// The routing rules (the demo district's when absent).
        #[arg(long)]
        routing: Option<PathBuf>,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Also score a grid of weights, one line each: for tuning on the development
        /// set (leaf_dev.csv), never on the evaluation set.
        #[arg(long)]
        grid: bool,
    },
    /// Hot-topic clustering on messages_hot.csv: how repeated postings group, how
    /// much support (likes) the largest topics gather, and the top topics.
    Topics {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value_t = yiwang_dispatch::topic::TopicParams::default().min_similarity)]
        min_similarity: f32,
    },
}

fn app_err(e: yiwang_app::AppError) -> anyhow::Error {
    anyhow!("{e}")
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve {
            data,
            listen,
            demo,
            tick_seconds,
            public_url,
            max_connections_per_address,
            checkpoint_seconds,
            checkpoint_export,
            secure_cookies,
            guesses_per_minute,
            metrics_listen,
            metrics_token,
        } => {
            let public_url = public_url.unwrap_or_else(|| format!("http://{listen}"));
            if !(public_url.starts_with("http://") || public_url.starts_with("https://"))
                || public_url.contains(char::is_whitespace)
            {
                bail!("--public-url must be an http:// or https:// address, e.g. https://12345.yunxi.gov.cn");
            }
            // An empty variable sets nothing; a short token could be guessed.
            let metrics_token = metrics_token.filter(|t| !t.is_empty());
            if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
                bail!("--metrics-token must be at least 16 characters, e.g. from `openssl rand -hex 32`");
            }
            let web = yiwang_web::WebConfig {
                public_url,
                max_connections_per_address,
                secure_cookies,
                guesses_per_minute,
                metrics_token,
                ..Default::default()
            };
            let export = checkpoint_export.map(|e| crate::record::Export::parse(&e)).transpose()?;
            let every = Periods { tick_seconds, checkpoint_seconds, notify_seconds: 5 };
            serve(data, listen, demo, every, web, export, metrics_listen)
        }
        Command::Import { data, from, default_password } => {
            let dir = data.open_or_create()?;
            let (_store, app) = dir.open_app()?;
            let read = |name: &str| -> Result<Option<String>> {
                let p = from.join(name);
                if p.exists() {
                    Ok(Some(std::fs::read_to_string(&p).with_context(|| p.display().to_string())?))
                } else {
                    Ok(None)
                }
            };
            let files = DistrictFiles {
                units: read("units.json")?,
                categories: read("categories.json")?,
                staff: read("staff.json")?,
                boundaries: read("boundaries.geojson")?,
                places: read("places.json")?,
                routing: read("routing.json")?,
                services: read("services.toml")?,
                supervision: read("supervision.toml")?,
            };
            let r = app.setup_district(&files, default_password.as_deref()).map_err(app_err)?;
            println!(
                "imported {} units, {} categories, {} staff, {} boundaries, {} places, {} routing rules, {} services (new or changed), {} supervision matters, {} inspectors",
                r.units,
                r.categories,
                r.staff,
                r.boundaries,
                r.places,
                r.routing_rules,
                r.services,
                r.matters,
                r.inspectors
            );
            // The enterprise register, checked whole (every bad row named, nothing
            // stored of a bad file): enterprises.json or enterprises.csv.
            for name in ["enterprises.json", "enterprises.csv"] {
                if let Some(text) = read(name)? {
                    let system = yiwang_core::org::Actor::System;
                    let r = app.import_register(&system, &text).map_err(app_err)?;
                    println!(
                        "{name}: registered {} enterprises, updated {}, unchanged {}",
                        r.registered, r.updated, r.unchanged
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Staff { data, username, deactivate: true, .. } => {
            let dir = data.existing()?;
            let (_store, app) = dir.open_app()?;
            let ended = app.deactivate_staff(&username).map_err(app_err)?;
            println!("staff {username} deactivated; {ended} sessions ended");
            Ok(ExitCode::SUCCESS)
        }
        Command::Staff { data, username, name, unit, roles, password, .. } => {
            let dir = data.existing()?;
            let (_store, app) = dir.open_app()?;
            let (name, unit, password) =
                (name.unwrap_or_default(), unit.unwrap_or_default(), password.unwrap_or_default());
            let roles = roles
                .unwrap_or_default()
                .split(',')
                .map(|r| Role::parse(r.trim()).map_err(|e| anyhow!("{e}")))
                .collect::<Result<Vec<_>>>()?;
            app.put_staff(&username, &name, &unit, &roles, &password).map_err(app_err)?;
            println!("staff {username} saved");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { what } => crate::record::audit(what),
        Command::Backup { data_dir, to } => crate::backup::backup(&data_dir, &to),
        Command::Restore { from, data_dir, personal_keys } => {
            crate::backup::restore(&from, &data_dir, personal_keys.as_deref())
        }
        Command::Keys { what } => crate::record::keys(what),
        Command::Reindex { data } => {
            let dir = data.existing()?;
            let store = dir.open_store()?;
            let n = store.reindex()?;
            println!("rebuilt projections of {n} cases");
            Ok(ExitCode::SUCCESS)
        }
        Command::Tick { data } => {
            let dir = data.existing()?;
            let (_store, app) = dir.open_app()?;
            let r = app.tick().map_err(app_err)?;
            println!("marked {} events on {} cases", r.events, r.cases);
            Ok(ExitCode::SUCCESS)
        }
        Command::ErasePerson { data, id } => {
            let dir = data.existing()?;
            let (_store, app) = dir.open_app()?;
            let Some(files) = app.erase_person(yiwang_core::id::PersonId(id)).map_err(app_err)? else {
                println!("no such person, or already erased");
                return Ok(ExitCode::from(1));
            };
            // The photos and documents of their cases go with them.
            let mut removed = 0;
            for f in files.iter().filter_map(|f| f.strip_prefix("uploads/")) {
                let path = dir.path.join("uploads").join(f);
                if !f.contains('/') && path.exists() {
                    std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
                    removed += 1;
                }
            }
            println!("erased; {removed} files removed");
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { data, file, install } => {
            let dir = data.open_or_create()?;
            if let Some(f) = file {
                let text = std::fs::read_to_string(&f).with_context(|| f.display().to_string())?;
                let n = yiwang_core::calendar::Notice::parse(&text).map_err(|e| anyhow!("{}: {e}", f.display()))?;
                let mut cal = dir.calendar()?;
                cal.add(&n).map_err(|e| anyhow!("{}: {e}", f.display()))?;
                println!("{}: {} holidays for {} ({})", f.display(), n.holidays.len(), n.year, n.notice);
                if install {
                    let target = dir.path.join("calendar");
                    std::fs::create_dir_all(&target)?;
                    let dest = target.join(format!("{}.toml", n.year));
                    std::fs::write(&dest, text)?;
                    println!("installed as {} (takes effect at the next start)", dest.display());
                }
            }
            let cal = dir.calendar()?;
            println!("years known: {}", cal.years().map(|y| y.to_string()).collect::<Vec<_>>().join(", "));
            Ok(ExitCode::SUCCESS)
        }
        Command::Train { what: TrainCommand::Dispatch { data, out, corrections_from } } => {
            train_dispatch(&data, &out, corrections_from.as_deref())
        }
        Command::Bench {
            what:
                BenchCommand::Intake {
                    url,
                    clients,
                    seconds,
                    database,
                    no_trivial,
                    ack_log,
                    plaintext_personal,
                    crypto,
                    webhook,
                    stream,
                },
        } => {
            let o = crate::bench::IntakeOptions {
                url,
                clients,
                seconds,
                database,
                no_trivial,
                ack_log,
                plaintext_personal,
                crypto,
                webhook,
                stream,
            };
            crate::bench::intake(o)
        }
        Command::Bench { what: BenchCommand::Lifecycle { clients, seconds, kind, count, database } } => {
            let opts = crate::bench::LifecycleOptions { clients, seconds, count, database };
            match kind {
                crate::bench::LifecycleKind::Appeal => crate::bench::lifecycle(opts),
                crate::bench::LifecycleKind::Application => crate::bench_application::lifecycle(opts),
            }
        }
        Command::Bench { what: BenchCommand::Policy { enterprises, database } } => {
            crate::bench_policy::policy_run(crate::bench_policy::PolicyOptions { enterprises, database })
        }
        Command::Bench { what: BenchCommand::Targets { chars, file, rounds } } => {
            bench_targets(chars, file.as_deref(), rounds)
        }
        Command::Bench { what: BenchCommand::Scale { appeals, data_dir, keep, database, reuse } } => {
            crate::bench_scale::scale(crate::bench_scale::ScaleOptions { appeals, data_dir, keep, database, reuse })
        }
        Command::Eval { what: EvalCommand::Dispatch { data, model } } => eval_dispatch(&data, model.as_deref()),
        Command::Eval { what: EvalCommand::Duplicates { data, min_similarity } } => {
            print!("{}", yiwang_dispatch::hot::evaluate_duplicates(&data, min_similarity).map_err(|e| anyhow!(e))?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { what: EvalCommand::Topics { data, min_similarity } } => {
            let params = yiwang_dispatch::topic::TopicParams { min_similarity, ..Default::default() };
            print!("{}", yiwang_dispatch::hot::evaluate_topics(&data, params).map_err(|e| anyhow!(e))?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { what: EvalCommand::Targets { data, split, errors } } => eval_targets(&data, &split, errors),
        Command::Eval { what: EvalCommand::Leaves { labelled, categories, routing, folds, grid } } => {
            eval_leaves(&labelled, categories.as_deref(), routing.as_deref(), folds, grid)
        }
        Command::ExtractTargets { file } => extract_targets(&file),
        Command::VerifyCertificate { file, qr, keys, status_list, on } => {
            let presented = match (qr, file) {
                (Some(text), _) => text,
                (None, Some(f)) => std::fs::read_to_string(&f).with_context(|| f.display().to_string())?,
                (None, None) => bail!("give the certificate file or --qr"),
            };
            verify_certificate(&presented, &keys, status_list.as_deref(), on)
        }
        Command::Apikey { what } => crate::apikey::run(what),
        Command::VerifyDraw { file } => {
            let bytes = std::fs::read(&file).with_context(|| file.display().to_string())?;
            Ok(verify_draw(&bytes))
        }
    }
}

/// `yiwang verify-draw`: OK and what was verified, or each difference on a line.
fn verify_draw(bytes: &[u8]) -> ExitCode {
    match yiwang_core::plan::draw::verify_record(bytes) {
        Ok(r) => {
            let c = &r.commitment;
            println!("OK：抽取记录验证通过");
            println!("计划 {}《{}》第 {} 次抽取", c.plan, c.title, c.number);
            println!(
                "名单快照 SHA-256 {}（对象 {} 户，检查人员 {} 名）",
                c.snapshot_sha256,
                r.snapshot.targets.len(),
                r.snapshot.inspectors.len()
            );
            println!("种子承诺 {} 与公开的种子相符", c.seed_sha256);
            println!("drand quicknet 第 {} 轮签名有效，该轮晚于承诺时间 {}", c.round, c.committed_at);
            println!("重算结果一致：抽中 {} 户", r.result.len());
            ExitCode::SUCCESS
        }
        Err(diffs) => {
            println!("验证失败：");
            for d in diffs {
                println!("- {d}");
            }
            ExitCode::FAILURE
        }
    }
}

/// `yiwang verify-certificate`: what an offline verifier can know, said in Chinese,
/// one finding per line; 0 when the certificate is valid. `presented` is the file
/// form (JSON) or the QR code's text (`YW1:…`, `certificate::compact`); each is
/// checked against its own signature.
fn verify_certificate(
    presented: &str,
    keys: &std::path::Path,
    status_list: Option<&std::path::Path>,
    on: Option<chrono::NaiveDate>,
) -> Result<ExitCode> {
    use yiwang_app::keyring::{PublicKey, verifies};
    use yiwang_core::application::certificate::{SignedCertificate, compact};
    #[derive(serde::Deserialize)]
    struct Key {
        id: String,
        alg: String,
        public_key: String,
    }
    let read = |p: &std::path::Path| std::fs::read_to_string(p).with_context(|| p.display().to_string());
    let keys: Vec<Key> = serde_json::from_str(&read(keys)?).context("the keys are not the JSON of GET /api/v1/keys")?;
    let keys: Vec<PublicKey> = keys
        .into_iter()
        .map(|k| PublicKey { id: k.id, alg: k.alg, public_key: k.public_key, current: false })
        .collect();
    // The document, the key's id and algorithm, whether the signature holds, the form.
    let (d, key_id, alg, good, form) = if presented.trim_start().starts_with(compact::PREFIX) {
        let c = match compact::parse_qr(presented) {
            Ok(c) => c,
            Err(e) => {
                println!("结论：无法读取二维码内容：{e}");
                return Ok(ExitCode::FAILURE);
            }
        };
        // The header's algorithm must be the key's: a key is never used as another kind.
        let same_alg = keys.iter().any(|k| k.id == c.key_id && k.alg == c.alg);
        let good = same_alg && verifies(&keys, &c.key_id, &c.to_be_signed(), &c.signature);
        (c.document, c.key_id, c.alg, good, "二维码（COSE）")
    } else {
        let value: serde_json::Value =
            serde_json::from_str(presented).context("the certificate is neither JSON nor a QR text (YW1:…)")?;
        // The status page's answer holds the certificate under `certificate`.
        let c: SignedCertificate = serde_json::from_value(value.get("certificate").cloned().unwrap_or(value))
            .context("not a yiwang certificate")?;
        let good = verifies(&keys, &c.key_id, &c.document.message(), &c.signature);
        (c.document, c.key_id, c.alg, good, "证照文件")
    };
    println!("证照：{}，编号 {}，持证主体 {}，发证机关 {}", d.type_name, d.number, d.holder, d.issuer);
    if !good {
        println!("结论：签名无效（证照被改动，或不是以这些公钥签发的）");
        return Ok(ExitCode::FAILURE);
    }
    println!("签名：有效（{form}，密钥 {key_id}，{alg}）");
    let today = on.unwrap_or_else(|| yiwang_core::calendar::civil_date(chrono::Utc::now()));
    if let Some(p) = status_list {
        let list: yiwang_app::StatusList = serde_json::from_str(&read(p)?).context("not a yiwang status list")?;
        if !verifies(&keys, &list.key_id, &list.list.message(), &list.signature) {
            println!("结论：状态清单的签名无效，无法判断是否吊销");
            return Ok(ExitCode::FAILURE);
        }
        let age = chrono::Utc::now() - list.list.issued_at;
        let when = list.list.issued_at.format("%Y-%m-%d %H:%M UTC");
        match age.num_days() {
            d if d >= 0 => println!("状态清单：签发于 {when}（{d} 天前）"),
            _ => println!("状态清单：签发于 {when}（晚于本机时钟，请核对本机日期）"),
        }
        if list.list.revoked.contains(&d.status_id) {
            println!("结论：已吊销");
            return Ok(ExitCode::FAILURE);
        }
    } else {
        println!("状态清单：未提供，无法判断是否吊销");
    }
    if !d.in_force(today) {
        println!(
            "结论：已过期或尚未生效（有效期 {} 至 {}）",
            d.valid_from,
            d.valid_until.map(|u| u.to_string()).unwrap_or_else(|| "长期".into())
        );
        return Ok(ExitCode::FAILURE);
    }
    println!("结论：有效");
    Ok(ExitCode::SUCCESS)
}

fn extract_targets(file: &std::path::Path) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| file.display().to_string())?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let text = yiwang_app::App::document_text(&name, &bytes).map_err(app_err)?;
    let mut out = String::new();
    for t in yiwang_dispatch::targets::extract(&text) {
        // One line each: a sentence's own tabs and line breaks would split it.
        let sentence: String = t.sentence.chars().map(|c| if c == '\t' || c == '\n' { ' ' } else { c }).collect();
        out.push_str(&format!("{}\t{}\t{}\n", t.value, t.unit, sentence));
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn bench_targets(chars: usize, file: Option<&std::path::Path>, rounds: u32) -> Result<ExitCode> {
    let report = match file {
        Some(f) => {
            let bytes = std::fs::read(f).with_context(|| f.display().to_string())?;
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let text = yiwang_app::App::document_text(&name, &bytes).map_err(app_err)?;
            if text.trim().is_empty() {
                bail!("{} holds no text", f.display());
            }
            let mut report = String::new();
            while report.chars().count() < chars {
                report.push_str(&text);
                report.push('\n');
            }
            report
        }
        None => yiwang_dispatch::targets::synthetic_report(chars),
    };
    let mut times = Vec::with_capacity(rounds as usize);
    let mut found = 0;
    for _ in 0..rounds.max(1) {
        let started = std::time::Instant::now();
        found = std::hint::black_box(yiwang_dispatch::targets::extract(std::hint::black_box(&report))).len();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let (p50, max) = (times[times.len() / 2], times[times.len() - 1]);
    let n = report.chars().count();
    println!("{n} characters: {found} targets; extract p50 {p50:.2} ms, max {max:.2} ms over {} rounds", times.len());
    println!("target: a 60,000-character report well under a second: {}", if max < 1000.0 { "ok" } else { "MISSED" });
    println!("chars={n} targets={found} extract_p50_ms={p50:.2} extract_max_ms={max:.2}");
    Ok(ExitCode::SUCCESS)
}

fn eval_targets(data: &std::path::Path, split: &str, errors: bool) -> Result<ExitCode> {
    let d = yiwang_dispatch::targets::load_dataset(data, split).map_err(|e| anyhow!("{e}"))?;
    let started = std::time::Instant::now();
    let score = yiwang_dispatch::targets::evaluate(&d.docs, &d.labels);
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let chars: usize = d.docs.values().map(|t| t.chars().count()).sum();
    println!("split {split}: {} documents, {} characters, {} labelled targets", d.docs.len(), chars, d.labels.len());
    if errors {
        for m in &score.misses {
            println!("MISSED\t{}\t{}\t{}\t{}", m.doc, m.value, m.unit, m.sentence);
        }
        for m in &score.spurious {
            println!("EXTRA\t{}\t{}\t{}\t{}", m.doc, m.value, m.unit, m.sentence);
        }
    }
    println!("extracted in {ms:.1} ms");
    println!(
        "precision={:.3} recall={:.3} f1={:.3} tp={} fp={} fn={}",
        score.precision, score.recall, score.f1, score.true_positives, score.false_positives, score.false_negatives
    );
    Ok(ExitCode::SUCCESS)
}

fn train_dispatch(
    data: &std::path::Path,
    out: &std::path::Path,
    corrections: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let extra: Vec<yiwang_dispatch::Example> = match corrections {
        Some(dir) => {
            let (_store, app) = DataDir::existing(dir)?.open_app()?;
            let ex = app.corrected_examples().map_err(app_err)?;
            println!("adding {} corrected cases from {}", ex.len(), dir.display());
            ex.into_iter().map(|(text, label)| yiwang_dispatch::Example::new(text, label)).collect()
        }
        None => vec![],
    };
    let summary = yiwang_dispatch::run_train(data, &extra, out).map_err(|e| anyhow!("{e}"))?;
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

fn eval_leaves(
    labelled: &std::path::Path,
    categories: Option<&std::path::Path>,
    routing: Option<&std::path::Path>,
    folds: usize,
    grid: bool,
) -> Result<ExitCode> {
    use yiwang_dispatch::leaf::{self, LeafParams};
    let demo = yiwang_app::demo_files();
    let read = |path: Option<&std::path::Path>, bundled: Option<String>| -> Result<String> {
        match path {
            Some(p) => std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display())),
            None => bundled.context("the demo district has no such file"),
        }
    };
    let cats: Vec<yiwang_core::taxonomy::Category> =
        serde_json::from_str(&read(categories, demo.categories)?).context("categories")?;
    let taxonomy = yiwang_core::taxonomy::Taxonomy::new(cats).map_err(|e| anyhow!("{e}"))?;
    let rules: Vec<yiwang_dispatch::routing::Rule> =
        serde_json::from_str(&read(routing, demo.routing)?).context("routing")?;
    let rules = yiwang_dispatch::routing::RoutingRules::new(rules);
    let leaves = yiwang_app::leaves_of(&taxonomy);
    // Where no area is known: the unit a leaf routes to district-wide.
    let units: Vec<String> = leaves
        .iter()
        .map(|l| {
            let code = yiwang_core::id::CategoryCode::parse(&l.code).map_err(|e| anyhow!("{e}"))?;
            let cat = taxonomy.get(&code).ok_or_else(|| anyhow!("no category {code}"))?;
            Ok(yiwang_app::route_of(&taxonomy, &rules, cat, &[], "district").0.to_string())
        })
        .collect::<Result<_>>()?;
    let rows = leaf::read_labelled(labelled).map_err(|e| anyhow!("{e}"))?;
    let unknown = rows.iter().filter(|r| !leaves.iter().any(|l| l.code == r.leaf)).count();
    let clf = yiwang_dispatch::Classifier::shipped();
    let first = |t: &str| clf.predict(t).into_iter().map(|p| (p.label, p.confidence)).collect::<Vec<_>>();
    let params = LeafParams::default();
    println!(
        "{} labelled messages ({unknown} with a leaf the tree lacks, left out), {} leaves",
        rows.len(),
        leaves.len()
    );
    println!("first-level model, tree and keywords: {}", leaf::score(&leaves, &units, &rows, &first, None, params));
    println!(
        "with corrected cases ({folds}-fold): {}",
        leaf::cross_validate(&leaves, &units, &rows, &first, folds, params)
    );
    if grid {
        for first_level in [0.5, 1.0, 1.5, 2.0] {
            for keyword in [0.5, 1.0, 1.5, 2.0] {
                for catch_all in [0.5, 1.5, 3.0] {
                    let p = LeafParams { first_level, keyword, catch_all, ..params };
                    let s = leaf::score(&leaves, &units, &rows, &first, None, p);
                    println!("first_level={first_level} keyword={keyword} catch_all={catch_all}: {s}");
                }
            }
        }
        for sharpness in [1.0, 1.5, 2.0, 2.5, 3.0, 4.0] {
            let p = LeafParams { sharpness, ..params };
            println!("sharpness={sharpness}: {}", leaf::score(&leaves, &units, &rows, &first, None, p));
            println!(
                "sharpness={sharpness} ({folds}-fold): {}",
                leaf::cross_validate(&leaves, &units, &rows, &first, folds, p)
            );
        }
        for neighbour in [1.0, 2.0, 4.0, 8.0] {
            for neighbours in [5, 10, 20] {
                let p = LeafParams { neighbour, neighbours, ..params };
                let s = leaf::cross_validate(&leaves, &units, &rows, &first, folds, p);
                println!("neighbour={neighbour} neighbours={neighbours} ({folds}-fold): {s}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn eval_dispatch(data: &std::path::Path, model: Option<&std::path::Path>) -> Result<ExitCode> {
    print!("{}", yiwang_dispatch::run_eval(data, model).map_err(|e| anyhow!("{e}"))?);
    Ok(ExitCode::SUCCESS)
}

/// How often the server's background work runs.
struct Periods {
    tick_seconds: u64,
    checkpoint_seconds: u64,
    notify_seconds: u64,
}

fn serve(
    data: DataArgs,
    listen: String,
    demo: bool,
    every: Periods,
    web: yiwang_web::WebConfig,
    export: Option<crate::record::Export>,
    metrics_listen: Option<String>,
) -> Result<ExitCode> {
    let dir = data.open_or_create()?;
    if demo {
        dir.mark_demo()?;
    }
    let (store, app) = dir.open_app()?;
    let keys = dir.keyring()?;
    if dir.crypto() == crate::config::Crypto::Gm {
        tracing::info!(
            signing_key = keys.current_id(),
            "国密: SM3 chains and checkpoints, SM2 signatures, SM4 personal data"
        );
    }
    // The demo without a notify.toml writes its SMS and e-mail to the log instead
    // (an applicant's login code among them), so that everything can be tried.
    let notify = match dir.notify()? {
        Some(config) => Some(config.senders()),
        None if demo => {
            tracing::warn!("demo: no notify.toml, so text messages and e-mail are written to this log, not sent");
            Some(yiwang_app::notify::Senders::log())
        }
        None => None,
    };
    if demo {
        tracing::warn!(
            "this installation runs the demo district, whose logins are published (README): it is not for \
             production use"
        );
    }
    if demo && !app.has_district() {
        tracing::info!("loading the demo district (first start)");
        let (r, n) = app.seed_demo().map_err(app_err)?;
        tracing::info!(units = r.units, staff = r.staff, appeals = n, "demo district loaded");
    } else if !app.has_district() {
        tracing::warn!("no district is set up: run `yiwang import --from DIR` or start with --demo");
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("binding {listen}"))?;
        tracing::info!(addr = %listener.local_addr()?, data_dir = %dir.path.display(), database = %dir.describe(), "yiwang is serving");
        // /metrics on an address of its own, stopped with the server.
        let (metrics_stop, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics_server = match &metrics_listen {
            Some(addr) => {
                let l = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
                tracing::info!(addr = %l.local_addr()?, "metrics are served");
                let stopped = async move {
                    let _ = metrics_stopped.await;
                };
                Some(tokio::spawn(yiwang_web::serve_metrics(l, app.clone(), stopped)))
            }
            None => None,
        };
        let scheduler = {
            let app = app.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(every.tick_seconds.max(1)));
                loop {
                    every.tick().await;
                    let app = app.clone();
                    match tokio::task::spawn_blocking(move || app.tick()).await {
                        Ok(Ok(r)) if r.events > 0 => {
                            tracing::info!(cases = r.cases, events = r.events, "deadlines marked")
                        }
                        Ok(Err(e)) => tracing::error!("scheduler: {e}"),
                        _ => {}
                    }
                }
            })
        };
        // Rows written before personal data was sealed, or under a key rotated since,
        // are sealed with the current key while the server serves.
        let stop_sealing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let resealer = {
            let (store, stop) = (store.clone(), stop_sealing.clone());
            tokio::task::spawn_blocking(move || match crate::record::seal_people(store.as_ref(), &stop) {
                Ok(0) => {}
                Ok(n) => tracing::info!(persons = n, "personal data sealed with the current key"),
                Err(e) => tracing::error!("sealing personal data: {e:#}"),
            })
        };
        // The outbox, sent through the senders of notify.toml every few seconds.
        let notifier = notify.map(|senders| {
            let app = app.clone();
            let senders = std::sync::Arc::new(senders);
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(std::time::Duration::from_secs(every.notify_seconds.max(1)));
                loop {
                    ticks.tick().await;
                    let (app, senders) = (app.clone(), senders.clone());
                    match tokio::task::spawn_blocking(move || app.send_notices(&senders, 200)).await {
                        Ok(Ok(r)) if r != Default::default() => {
                            tracing::info!(sent = r.sent, retrying = r.retrying, given_up = r.given_up, "notifications")
                        }
                        Ok(Err(e)) => tracing::error!("notifications: {e}"),
                        _ => {}
                    }
                }
            })
        });
        // Webhooks (实时推送), delivered in a pass of their own so that an endpoint
        // that is down holds up neither intake nor the SMS; always on, as a
        // subscription is made in the console.
        let webhooks = {
            let app = app.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(std::time::Duration::from_secs(every.notify_seconds.max(1)));
                loop {
                    ticks.tick().await;
                    let app = app.clone();
                    match tokio::task::spawn_blocking(move || app.deliver_webhooks(500)).await {
                        Ok(Ok(r)) if r != Default::default() => tracing::info!(
                            delivered = r.delivered,
                            retrying = r.retrying,
                            dead = r.dead,
                            deferred = r.deferred,
                            "webhooks"
                        ),
                        Ok(Err(e)) => tracing::error!("webhooks: {e}"),
                        _ => {}
                    }
                }
            })
        };
        // The event stream: committed events to NATS JetStream, from the outbox.
        let streamer = dir.stream()?.map(|config| {
            tokio::spawn(crate::stream::run(store.clone(), config, std::time::Duration::from_millis(200)))
        });
        // Photos citizens attach in the portal live beside the database.
        let sealer = {
            let (app, keys, export) = (app.clone(), keys.clone(), export.clone());
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(std::time::Duration::from_secs(every.checkpoint_seconds.max(1)));
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    let (app, keys, export) = (app.clone(), keys.clone(), export.clone());
                    match tokio::task::spawn_blocking(move || crate::record::checkpoint(&app, &keys, export.as_ref())).await {
                        Ok(Ok(Some(c))) => tracing::info!(n = c.n, heads = c.heads, accesses = c.accesses, "checkpoint sealed"),
                        Ok(Err(e)) => tracing::error!("checkpoint: {e:#}"),
                        _ => {}
                    }
                }
            })
        };
        let web =
            yiwang_web::WebConfig { uploads_dir: Some(dir.path.join("uploads")), public_keys: keys.public_keys(), ..web };
        yiwang_web::serve_with(listener, app.clone(), web, shutdown_signal()).await?;
        let _ = metrics_stop.send(());
        if let Some(m) = metrics_server {
            let _ = m.await;
        }
        scheduler.abort();
        sealer.abort();
        webhooks.abort();
        if let Some(s) = streamer {
            s.abort();
        }
        if let Some(n) = notifier {
            n.abort();
        }
        stop_sealing.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = resealer.await;
        // The last checkpoint, after the last request: a clean stop leaves nothing unsealed.
        let (a, k) = (app.clone(), keys.clone());
        match tokio::task::spawn_blocking(move || crate::record::checkpoint(&a, &k, export.as_ref())).await {
            Ok(Ok(Some(c))) => tracing::info!(n = c.n, "checkpoint sealed at shutdown"),
            Ok(Err(e)) => tracing::error!("checkpoint at shutdown: {e:#}"),
            _ => {}
        }
        anyhow::Ok(())
    })?;
    // Dropping the last handles stops the writer after its queued commits.
    drop(app);
    drop(store);
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
