//! `yiwang audit …` and `yiwang keys …`: checking the record, sealing checkpoints,
//! exporting them to a witness, and the keyring.

use crate::config::{DataArgs, DataDir};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use std::process::ExitCode;
use yiwang_app::App;
use yiwang_app::keyring::Keyring;
use yiwang_store::anchor::Checkpoint;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the whole record: every case's event chain; the log of chain heads and
    /// of access-log entries against the events and the signed checkpoints; and, with
    /// --witness, the checkpoints against those exported. Exits 2 naming what was
    /// altered, removed, rewritten or rolled back.
    Verify {
        #[command(flatten)]
        data: DataArgs,
        /// Checkpoints exported by `serve --checkpoint-export` (one JSON per line): a
        /// database rolled back to an earlier copy lacks the later ones.
        #[arg(long)]
        witness: Option<std::path::PathBuf>,
        /// Security-log archives written by `audit archive` (repeat for several):
        /// the checkpoints whose events they hold are re-digested with them.
        #[arg(long)]
        archive: Vec<std::path::PathBuf>,
    },
    /// Move the security log's events older than its retention period (security.toml:
    /// [audit] keep_days, 180 at least, 网络安全法 §21) out of the database, whole
    /// checkpoints at a time, appending them to FILE. Keep the file: `audit verify
    /// --archive FILE` needs it to re-check those checkpoints. Run it from a timer.
    Archive {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Seal a checkpoint now (the server does so every --checkpoint-seconds and when
    /// it stops), and print it as exported.
    Checkpoint {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        export: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// The signing keys: id, algorithm, public key, and which is current.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Add a new signing key and make it current; the old ones stay, to verify what
    /// they signed. With --personal, a new key for personal data instead: yiwang
    /// uses it from its next start, when it seals every person with it.
    Rotate {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        personal: bool,
    },
    /// Seal the personal data still in plaintext (written before sealing existed) or
    /// under an older key, with the current key. The server does it as it starts;
    /// run this with the server stopped.
    Seal {
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Seals, in batches, every person in plaintext or under an older key; how many.
/// Stops between batches once `stop` is set (the rest is sealed at the next start).
pub fn seal_people(store: &dyn yiwang_store::Store, stop: &std::sync::atomic::AtomicBool) -> Result<u64> {
    let (mut after, mut total) = (yiwang_core::id::PersonId(0), 0);
    while !stop.load(std::sync::atomic::Ordering::Relaxed)
        && let Some((last, n)) = store.seal_people(after, 1000)?
    {
        (after, total) = (last, total + n);
        if n > 0 && total % 100_000 < n {
            tracing::info!(persons = total, "sealing personal data");
        }
    }
    Ok(total)
}

pub fn audit(what: AuditCommand) -> Result<ExitCode> {
    match what {
        AuditCommand::Archive { data, to } => {
            let dir = data.existing()?;
            let policy = dir.audit_policy()?;
            let (_store, app) = dir.open_app()?;
            let a = app.archive_security_log(&policy, &to).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "archived {} security events of {} checkpoints sealed more than {} days ago to {}",
                a.events,
                a.checkpoints,
                policy.keep_days,
                to.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { data, witness, archive } => {
            let dir = data.existing()?;
            let keys = dir.keyring()?;
            let (_store, app) = dir.open_app()?;
            let witness = match witness {
                Some(p) => read_witness(&p)?,
                None => vec![],
            };
            let mut archived = yiwang_store::anchor::SecurityArchive::new();
            for p in &archive {
                let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
                let a =
                    yiwang_app::read_security_archive(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                archived.extend(a);
            }
            let r = app.verify_record(&keys.public_keys(), &witness, &archived).map_err(|e| anyhow::anyhow!("{e}"))?;
            for (case, b) in &r.chains.breaks {
                println!("BROKEN case {case}: {b}");
            }
            for p in &r.problems {
                println!("BROKEN {p}");
            }
            println!("checked {} cases, {} events: {} broken", r.chains.cases, r.chains.events, r.chains.breaks.len());
            println!(
                "anchor: {} checkpoints ({} exported ones compared); {} heads and {} access-log entries written \
                 since the last one are not sealed yet; {} problems",
                r.anchor.checkpoints.len(),
                witness.len(),
                r.anchor.unsealed_heads,
                r.anchor.unsealed_accesses,
                r.problems.len()
            );
            if !r.anchor.archived.is_empty() {
                println!(
                    "security log: the events of {} checkpoints are archived; {} of them not re-checked (give the \
                     archive with --archive FILE)",
                    r.anchor.archived.len(),
                    r.anchor.unchecked.len()
                );
            }
            Ok(if r.is_intact() { ExitCode::SUCCESS } else { ExitCode::from(2) })
        }
        AuditCommand::Checkpoint { data, export } => {
            let dir = data.existing()?;
            let keys = dir.keyring()?;
            let (_store, app) = dir.open_app()?;
            let export = export.map(|e| Export::parse(&e)).transpose()?;
            match checkpoint(&app, &keys, export.as_ref())? {
                Some(c) => println!("{}", serde_json::to_string(&c)?),
                None => println!("nothing new to seal"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn keys(what: KeysCommand) -> Result<ExitCode> {
    let (data, rotate, personal) = match what {
        KeysCommand::List { data } => (data, false, false),
        KeysCommand::Rotate { data, personal } => (data, true, personal),
        KeysCommand::Seal { data } => {
            let (store, _app) = data.existing()?.open_app()?;
            println!(
                "sealed {} persons with the current personal-data key",
                seal_people(store.as_ref(), &Default::default())?
            );
            return Ok(ExitCode::SUCCESS);
        }
    };
    let dir = data.open_or_create()?;
    let mut ring = dir.keyring()?;
    if rotate && personal {
        let id = yiwang_store::PersonalKeys::rotate(dir.personal_keys_dir())?;
        println!("new personal-data key {id}: yiwang seals with it from its next start");
    } else if rotate {
        let id = ring.rotate().map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("new current key {id}");
    }
    for k in ring.public_keys() {
        println!("{}\t{}\t{}{}", k.id, k.alg, k.public_key, if k.current { "\tcurrent" } else { "" });
    }
    // The personal-data keys are secret: their ids only.
    let personal = dir.personal_keys()?;
    for id in personal.ids() {
        let current = if Some(id) == personal.current_id() { "\tcurrent" } else { "" };
        let cipher = personal.cipher_of(id).map(|c| c.as_str()).unwrap_or("?");
        println!("{id}\t{cipher}\t(personal data, secret){current}");
    }
    Ok(ExitCode::SUCCESS)
}

fn read_witness(path: &std::path::Path) -> Result<Vec<Checkpoint>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("{} line {}", path.display(), i + 1)))
        .collect()
}

/// Where checkpoints go as they are sealed: the outside witness.
#[derive(Debug, Clone)]
pub enum Export {
    /// Appended to a file, one JSON per line (on another machine's mount, ideally).
    File(std::path::PathBuf),
    /// Printed to standard output, one JSON per line (for a log collector).
    Stdout,
    /// POSTed as JSON to an http:// address.
    Url(String),
}

impl Export {
    pub fn parse(s: &str) -> Result<Self> {
        Ok(if s == "-" {
            Export::Stdout
        } else if s.starts_with("http://") {
            Export::Url(s.to_owned())
        } else if s.starts_with("https://") {
            bail!("--checkpoint-export: https witnesses are not supported yet; use http:// on the intranet or a file")
        } else {
            Export::File(s.into())
        })
    }

    fn send(&self, c: &Checkpoint) -> Result<()> {
        let line = serde_json::to_string(c)?;
        match self {
            Export::Stdout => println!("{line}"),
            Export::File(p) => {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .with_context(|| format!("opening {}", p.display()))?;
                writeln!(f, "{line}").and_then(|_| f.sync_all()).with_context(|| format!("writing {}", p.display()))?;
            }
            Export::Url(u) => {
                let r = reqwest::blocking::Client::new()
                    .post(u)
                    .header("content-type", "application/json")
                    .body(line)
                    .timeout(std::time::Duration::from_secs(10))
                    .send()
                    .with_context(|| format!("posting the checkpoint to {u}"))?;
                if !r.status().is_success() {
                    bail!("the witness at {u} answered {}", r.status());
                }
            }
        }
        Ok(())
    }
}

/// Seals a checkpoint and exports it. A checkpoint that could not be exported stays
/// sealed; the next export carries only the next one, so the failure is logged.
pub fn checkpoint(app: &App, keys: &Keyring, export: Option<&Export>) -> Result<Option<Checkpoint>> {
    let c = app.checkpoint(keys).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let (Some(c), Some(e)) = (&c, export) {
        e.send(c).with_context(|| format!("exporting checkpoint {}", c.n))?;
    }
    Ok(c)
}

impl DataDir {
    /// The keyring in the data directory's `keys/`, made on first use.
    pub fn keyring(&self) -> Result<Keyring> {
        let dir = self.path.join("keys");
        match self.crypto() {
            crate::config::Crypto::Standard => Keyring::open_or_create(&dir),
            crate::config::Crypto::Gm => Keyring::open_or_create_for(&dir, yiwang_app::keyring::SignAlg::Sm2),
        }
        .map_err(|e| anyhow::anyhow!("{e}"))
    }
}
