//! The data directory and what it holds:
//!
//! | file | what |
//! |---|---|
//! | `yiwang.sqlite` | the database (with `-wal` and `-shm` beside it), unless `--database` names a PostgreSQL server |
//! | `secret.key` | the key of the keyed phone-number digest, made on first start |
//! | `limits.toml` | optional: time-limit policy overriding the defaults |
//! | `calendar/*.toml` | optional: holiday notices beyond those compiled in |
//! | `publication.toml` | optional: which cases Open311 publishes (`yiwang_app::Publication`) |
//! | `demo` | present in an installation started with `--demo` |
//! | `security.toml` | optional: lock-out, throttling and idle sessions (`yiwang_app::auth::LoginPolicy`) |
//! | `notify.toml` | optional: the SMS gateway and SMTP relay notifications go through (`yiwang_app::notify`), and `[webhooks]` networks |
//! | `stream.toml` | optional: `[stream]`, the NATS JetStream stream committed events are published to as CloudEvents (`stream.rs`) |
//! | `measures.toml` | optional: the cases a unit needs in a month to be ranked (`yiwang_app::Ranking`) |
//! | `keys/` | the keys checkpoints are signed with (`record.rs`) |
//! | `keys/personal/` | the keys personal data is sealed with (`yiwang_store::seal`), unless `--personal-keys` puts them elsewhere |
//! | `crypto` | `gm` in an installation switched to the 国密 algorithms (`--crypto gm`); absent for the standard ones |
//!
//! Settings come from flags, then `YIWANG_*` environment variables, then these files,
//! then defaults.

use anyhow::{Context, Result, bail};
use rand::RngCore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use yiwang_app::{App, AppConfig, SystemClock};
use yiwang_core::calendar::{Calendar, Notice};
use yiwang_core::deadline::TimeLimits;
use yiwang_store::{PgStore, SqliteStore, Store};

/// Where a command finds its data: the data directory, and the database when it is
/// not the SQLite file inside it.
#[derive(clap::Args, Clone)]
pub struct DataArgs {
    /// Where yiwang keeps its database (by default) and keys.
    #[arg(long, env = "YIWANG_DATA_DIR", default_value = "yiwang-data")]
    pub data_dir: PathBuf,
    /// A PostgreSQL server instead of the embedded SQLite file, e.g.
    /// postgres://yiwang@db.internal/yiwang. The keys and uploads stay in --data-dir.
    #[arg(long, env = "YIWANG_DATABASE_URL")]
    pub database: Option<String>,
    /// A read replica of the PostgreSQL --database (a streaming standby) for the
    /// dashboards, the measures and text search, which then lag behind by the
    /// replica's delay (README: Read replicas). Everything else reads the primary.
    #[arg(long, env = "YIWANG_READ_DATABASE_URL")]
    pub read_database: Option<String>,
    /// The directory of the keys that seal personal data at rest (names, phone and
    /// ID numbers), by default keys/personal in --data-dir. Keep it on another
    /// volume than the database, and back it up apart: without it the personal data
    /// cannot be read.
    #[arg(long, env = "YIWANG_PERSONAL_KEYS")]
    pub personal_keys: Option<PathBuf>,
    /// The cryptographic algorithms: standard (SHA-256 chains, Ed25519 signatures,
    /// AES-256-GCM personal data; the default) or gm (国密: SM3, SM2, SM4). Choosing gm
    /// switches the installation for good (kept in the data directory's `crypto`
    /// file, so later runs without the flag stay gm); what was written before stays
    /// verifiable and readable.
    #[arg(long, env = "YIWANG_CRYPTO", value_enum)]
    pub crypto: Option<Crypto>,
    /// Seconds a department's system behind the catalogue's gateway (一网共享) may
    /// take to answer one page; then the read fails as gateway_unavailable (502).
    #[arg(long, env = "YIWANG_GATEWAY_TIMEOUT_SECONDS", default_value_t = 10)]
    pub gateway_timeout_seconds: u64,
}

/// The algorithms an installation uses (`--crypto`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Crypto {
    /// SHA-256, Ed25519, AES-256-GCM.
    #[default]
    Standard,
    /// 国密: SM3 (GB/T 32905), SM2 (GB/T 32918), SM4 (GB/T 32907) in GCM mode.
    Gm,
}

impl DataArgs {
    pub fn open_or_create(&self) -> Result<DataDir> {
        DataDir::open_or_create(&self.data_dir).and_then(|d| self.place(d))
    }
    pub fn existing(&self) -> Result<DataDir> {
        match &self.database {
            Some(_) => DataDir::open_or_create(&self.data_dir).and_then(|d| self.place(d)),
            None => DataDir::existing(&self.data_dir).and_then(|d| self.place(d)),
        }
    }
    fn place(&self, d: DataDir) -> Result<DataDir> {
        let d = DataDir {
            read_database: self.read_database.clone(),
            gateway_timeout: std::time::Duration::from_secs(self.gateway_timeout_seconds.max(1)),
            ..d.with_database(self.database.clone())
        };
        let d = match &self.personal_keys {
            Some(p) => DataDir { personal_keys: p.clone(), ..d },
            None => d,
        };
        d.with_crypto(self.crypto)
    }
}

pub struct DataDir {
    pub path: PathBuf,
    database: Option<String>,
    /// A read replica for dashboards and search (PostgreSQL only).
    read_database: Option<String>,
    personal_keys: PathBuf,
    /// Only `bench intake --plaintext-personal` turns it off.
    seal_personal_data: bool,
    /// The algorithms: as kept in the `crypto` file, or as `with_crypto` switched them.
    crypto: Crypto,
    /// The catalogue's gateway: how long a department's system may take.
    gateway_timeout: std::time::Duration,
}

impl DataDir {
    /// The data directory, made readable by its owner only if it is new.
    pub fn open_or_create(path: &Path) -> Result<Self> {
        if !path.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(path).with_context(|| format!("creating data directory {}", path.display()))?;
        }
        Ok(DataDir {
            path: path.to_owned(),
            database: None,
            read_database: None,
            personal_keys: path.join("keys").join("personal"),
            seal_personal_data: true,
            crypto: Crypto::Standard,
            gateway_timeout: yiwang_app::catalogue::GatewayConfig::default().timeout,
        })
        .and_then(|d| d.with_crypto(None))
    }

    pub fn existing(path: &Path) -> Result<Self> {
        if !path.join("yiwang.sqlite").exists() {
            bail!("{} holds no yiwang database (yiwang.sqlite)", path.display());
        }
        Ok(DataDir {
            path: path.to_owned(),
            database: None,
            read_database: None,
            personal_keys: path.join("keys").join("personal"),
            seal_personal_data: true,
            crypto: Crypto::Standard,
            gateway_timeout: yiwang_app::catalogue::GatewayConfig::default().timeout,
        })
        .and_then(|d| d.with_crypto(None))
    }

    /// The algorithms the installation keeps (its `crypto` file), switched to 国密
    /// when `asked` says gm: the file is written then, and the keys of the new
    /// algorithms are made as they are first used (`keyring`, `personal_keys`).
    /// Asking for standard in an installation switched to gm is refused: its record
    /// would stay mixed anyway, and a 国密 installation should not lose it by a
    /// forgotten setting.
    pub fn with_crypto(self, asked: Option<Crypto>) -> Result<Self> {
        let file = self.path.join("crypto");
        let kept = match std::fs::read_to_string(&file) {
            Ok(text) if text.trim() == "gm" => Crypto::Gm,
            Ok(text) => bail!("{}: unknown algorithms {:?} (gm is the only value)", file.display(), text.trim()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Crypto::Standard,
            Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
        };
        let crypto = match (asked, kept) {
            (Some(Crypto::Standard), Crypto::Gm) => bail!(
                "this installation uses the 国密 algorithms ({} says gm) and cannot switch back to --crypto standard",
                file.display()
            ),
            (Some(Crypto::Gm), Crypto::Standard) => {
                std::fs::write(&file, "gm\n").with_context(|| format!("writing {}", file.display()))?;
                tracing::info!("switched to the 国密 algorithms (SM3, SM2, SM4); kept in {}", file.display());
                Crypto::Gm
            }
            (_, kept) => kept,
        };
        Ok(DataDir { crypto, ..self })
    }

    pub fn crypto(&self) -> Crypto {
        self.crypto
    }

    /// Uses the PostgreSQL server at `url` (when given) instead of the SQLite file.
    pub fn with_database(self, url: Option<String>) -> Self {
        DataDir { database: url, ..self }
    }

    /// Personal data written in plaintext: for measuring what sealing costs only.
    pub fn with_plaintext_personal_data(self) -> Self {
        DataDir { seal_personal_data: false, ..self }
    }

    /// The keys personal data is sealed with, made on first use.
    pub fn personal_keys(&self) -> Result<yiwang_store::PersonalKeys> {
        if !self.seal_personal_data {
            return Ok(yiwang_store::PersonalKeys::none());
        }
        match self.crypto {
            Crypto::Standard => yiwang_store::PersonalKeys::open_or_create(&self.personal_keys),
            Crypto::Gm => yiwang_store::PersonalKeys::open_or_create_for(
                &self.personal_keys,
                yiwang_store::seal::PersonalCipher::Sm4Gcm,
            ),
        }
        .with_context(|| format!("personal-data keys in {}", self.personal_keys.display()))
    }

    pub fn personal_keys_dir(&self) -> &Path {
        &self.personal_keys
    }

    /// What the store hashes with and seals personal data with.
    fn store_crypto(&self) -> Result<yiwang_store::Crypto> {
        let hash = match self.crypto {
            Crypto::Standard => yiwang_core::chain::HashAlg::Sha256,
            Crypto::Gm => yiwang_core::chain::HashAlg::Sm3,
        };
        Ok(yiwang_store::Crypto { hash, keys: self.personal_keys()? })
    }

    /// Opens the store: PostgreSQL when a URL was given, else the SQLite file. Either
    /// brings its schema up to date.
    pub fn open_store(&self) -> Result<Arc<dyn Store>> {
        if self.read_database.is_some() && self.database.is_none() {
            bail!("--read-database is a replica of a PostgreSQL --database; SQLite has none");
        }
        Ok(match &self.database {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let store = PgStore::sealed(url, yiwang_core::kinds(), self.store_crypto()?)
                    .with_context(|| format!("connecting to {}", redact(url)))?;
                Arc::new(match &self.read_database {
                    Some(r) => store
                        .with_read_replica(r)
                        .with_context(|| format!("connecting to the replica {}", redact(r)))?,
                    None => store,
                })
            }
            Some(other) => bail!("--database must be a postgres:// URL, not {}", redact(other)),
            None => {
                // A new database file is made readable by its owner only; SQLite gives
                // its -wal and -shm files the same mode.
                let db = self.database();
                if !db.exists() {
                    private_file(&db, b"")?;
                }
                Arc::new(SqliteStore::sealed(&db, yiwang_core::kinds(), self.store_crypto()?)?)
            }
        })
    }

    /// Whether the store is a PostgreSQL server rather than the SQLite file.
    pub fn is_postgres(&self) -> bool {
        self.database.is_some()
    }

    /// Where the data lives, for logs (no password).
    pub fn describe(&self) -> String {
        match &self.database {
            Some(url) => redact(url),
            None => self.database().display().to_string(),
        }
    }

    pub fn database(&self) -> PathBuf {
        self.path.join("yiwang.sqlite")
    }

    fn secret(&self) -> Result<Vec<u8>> {
        let p = self.path.join("secret.key");
        if !p.exists() {
            let mut key = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut key);
            private_file(&p, hex::encode(key).as_bytes())?;
        }
        let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        hex::decode(text.trim()).with_context(|| format!("{} is not hex", p.display()))
    }

    pub fn calendar(&self) -> Result<Calendar> {
        let mut cal = Calendar::bundled();
        let dir = self.path.join("calendar");
        if dir.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(&dir)?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            files.sort();
            for f in files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "toml")) {
                let text = std::fs::read_to_string(&f)?;
                let notice = Notice::parse(&text).with_context(|| format!("calendar file {}", f.display()))?;
                if cal.covers(notice.year) {
                    tracing::warn!(year = notice.year, file = %f.display(), "a notice for this year is compiled in; both apply");
                }
                cal.add(&notice).with_context(|| format!("calendar file {}", f.display()))?;
            }
        }
        Ok(cal)
    }

    fn limits(&self) -> Result<TimeLimits> {
        let p = self.path.join("limits.toml");
        if !p.exists() {
            return Ok(TimeLimits::default());
        }
        let text = std::fs::read_to_string(&p)?;
        TimeLimits::parse_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    }

    pub fn app_config(&self) -> Result<AppConfig> {
        let cal = self.calendar()?;
        let year = chrono::Datelike::year(&chrono::Utc::now());
        if !cal.covers(year) {
            tracing::warn!(year, "no holiday notice for this year: add data/calendar/{year}.toml (see README)");
        }
        Ok(AppConfig {
            digest_key: self.secret()?,
            limits: self.limits()?,
            calendar: cal,
            publication: self.publication()?,
            login: self.login_policy()?,
            ranking: self.ranking()?,
            demo: self.path.join("demo").exists(),
            keyring: std::sync::Arc::new(self.keyring()?),
            webhooks: self.notify()?.map(|n| n.webhooks).unwrap_or_default(),
            stream: self.stream()?.is_some(),
            gateway: yiwang_app::catalogue::GatewayConfig { timeout: self.gateway_timeout },
            ..AppConfig::default()
        })
    }

    /// Marks the installation as a demo (`serve --demo`): a file `demo` in the data
    /// directory, kept for good, so its published logins need no change at first login.
    pub fn mark_demo(&self) -> Result<()> {
        let p = self.path.join("demo");
        if !p.exists() {
            std::fs::write(
                &p,
                "This installation runs the demo district; its logins are published. Not for production.\n",
            )
            .with_context(|| format!("writing {}", p.display()))?;
        }
        Ok(())
    }

    /// Lock-out, throttling and idle sessions: `security.toml`, or the defaults.
    fn login_policy(&self) -> Result<yiwang_app::auth::LoginPolicy> {
        let p = self.path.join("security.toml");
        if !p.exists() {
            return Ok(Default::default());
        }
        let text = std::fs::read_to_string(&p)?;
        yiwang_app::auth::LoginPolicy::parse_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    }

    /// How the 三率 rankings treat small samples: `measures.toml`, or 5 cases.
    fn ranking(&self) -> Result<yiwang_app::Ranking> {
        let p = self.path.join("measures.toml");
        if !p.exists() {
            return Ok(Default::default());
        }
        let text = std::fs::read_to_string(&p)?;
        yiwang_app::Ranking::parse_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    }

    /// The event stream: `stream.toml`, or none (no events are published).
    pub fn stream(&self) -> Result<Option<crate::stream::StreamConfig>> {
        let p = self.path.join("stream.toml");
        if !p.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&p)?;
        crate::stream::StreamConfig::parse_toml(&text).map(Some).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    }

    /// The notification senders: `notify.toml`, or none (the outbox then waits).
    pub fn notify(&self) -> Result<Option<yiwang_app::notify::NotifyConfig>> {
        let p = self.path.join("notify.toml");
        if !p.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&p)?;
        yiwang_app::notify::NotifyConfig::parse_toml(&text)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    }

    /// How long the security log stays in the database: `security.toml`, or 180 days.
    pub fn audit_policy(&self) -> Result<yiwang_app::auth::AuditPolicy> {
        let p = self.path.join("security.toml");
        if !p.exists() {
            return Ok(Default::default());
        }
        let text = std::fs::read_to_string(&p)?;
        yiwang_app::auth::AuditPolicy::parse_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    }

    /// Which cases Open311 publishes: `publication.toml`, or the defaults.
    fn publication(&self) -> Result<yiwang_app::Publication> {
        let p = self.path.join("publication.toml");
        if !p.exists() {
            return Ok(yiwang_app::Publication::default());
        }
        let text = std::fs::read_to_string(&p)?;
        yiwang_app::Publication::parse_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    }

    pub fn open_app(&self) -> Result<(Arc<dyn Store>, Arc<App>)> {
        let store = self.open_store()?;
        let app =
            App::new(store.clone(), Arc::new(SystemClock), self.app_config()?).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok((store, Arc::new(app)))
    }
}

/// Writes a new file readable by its owner only.
fn private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).with_context(|| format!("writing {}", path.display()))
}

/// A database URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = &url[s + 3..at];
            let user = user.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
