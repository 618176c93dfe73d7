//! `yiwang backup` and `yiwang restore`: a consistent copy of a SQLite installation,
//! taken while the server serves, in one file; and that file back into a fresh data
//! directory, checked before anything is written and verified after.
//!
//! The file is a ZIP archive (stored, not compressed: a database is mostly unique
//! bytes and speed matters more) holding `MANIFEST.json` (format, when, from where,
//! and each file's length and SHA-256), the database as `yiwang.sqlite` (a snapshot by
//! `VACUUM INTO`: one read transaction, so it is consistent whatever the server
//! writes meanwhile, and it never restarts as the backup API does under writes) and
//! every other file of the data directory (`secret.key`, the keyrings in `keys/`,
//! limits, calendar, settings, uploads). Personal-data keys kept elsewhere
//! (`--personal-keys`) are not in it: back them up apart, as they are kept apart.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// What the manifest says the archive is.
const FORMAT: &str = "yiwang-backup/1";
const MANIFEST: &str = "MANIFEST.json";
const DATABASE: &str = "yiwang.sqlite";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    yiwang: String,
    created_at: chrono::DateTime<chrono::Utc>,
    source: String,
    files: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct FileEntry {
    path: String,
    bytes: u64,
    sha256: String,
}

/// Files of the data directory the backup leaves out: the live database and its
/// write-ahead log (the snapshot stands for them), and half-written temporaries.
fn skipped(rel: &str) -> bool {
    rel == DATABASE || rel.starts_with("yiwang.sqlite-") || rel.ends_with(".tmp")
}

/// Every file under `dir`, as paths relative to it with `/` separators, sorted.
fn files_under(dir: &Path) -> Result<Vec<String>> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let e = e?;
            let t = e.file_type()?;
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                let rel = e
                    .path()
                    .strip_prefix(dir)?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Copies `from` into the archive, hashing as it goes.
fn add_file(zip: &mut zip::ZipWriter<std::fs::File>, name: &str, from: &Path) -> Result<FileEntry> {
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true)
        .unix_permissions(0o600);
    zip.start_file(name, opts)?;
    let mut f = std::fs::File::open(from).with_context(|| format!("reading {}", from.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        zip.write_all(&buf[..n])?;
        bytes += n as u64;
    }
    Ok(FileEntry { path: name.to_owned(), bytes, sha256: hex::encode(h.finalize()) })
}

/// A progress line on a terminal while `done()` grows towards `total`.
fn progress(label: &'static str, total: u64, done: impl Fn() -> u64 + Send + 'static) -> impl FnOnce() {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let show = std::io::stderr().is_terminal() && total > 64 << 20;
    let flag = stop.clone();
    let t = std::thread::spawn(move || {
        while show && !flag.load(std::sync::atomic::Ordering::Relaxed) {
            let d = done().min(total);
            let pct = d * 100 / total.max(1);
            let bar = "#".repeat((pct / 4) as usize);
            eprint!("\r{label} [{bar:<25}] {pct:>3}%  {} / {} MB", d >> 20, total >> 20);
            std::thread::sleep(Duration::from_millis(300));
        }
        if show {
            eprintln!();
        }
    });
    move || {
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = t.join();
    }
}

/// `yiwang backup`: the data directory `dir` (its SQLite database) into `to`.
pub fn backup(dir: &Path, to: &Path) -> Result<ExitCode> {
    let db = dir.join(DATABASE);
    if !db.exists() {
        bail!(
            "{} holds no SQLite database (yiwang.sqlite); on PostgreSQL use pg_basebackup (README: Backups)",
            dir.display()
        );
    }
    let started = Instant::now();
    let work = tempfile::Builder::new()
        .prefix(".yiwang-backup-")
        .tempdir_in(to.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
        .context("a working directory beside the backup file")?;
    let snapshot = work.path().join(DATABASE);
    // One read transaction: a consistent copy while the server goes on writing.
    let c = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", db.display()))?;
    c.busy_timeout(Duration::from_secs(30))?;
    let total: u64 =
        c.query_row("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", [], |r| r.get(0))?;
    let watched = snapshot.clone();
    let finish = progress("备份数据库", total, move || std::fs::metadata(&watched).map(|m| m.len()).unwrap_or(0));
    let vacuum = c.execute("VACUUM INTO ?1", [snapshot.to_string_lossy()]);
    finish();
    vacuum.context("copying the database (VACUUM INTO)")?;
    drop(c);
    let db_seconds = started.elapsed().as_secs_f64();

    let part = to.with_extension("partial");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&part)
        .with_context(|| format!("writing {}", part.display()))?;
    #[cfg(unix)]
    std::fs::set_permissions(&part, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    let mut zip = zip::ZipWriter::new(file);
    let mut files = vec![add_file(&mut zip, DATABASE, &snapshot)?];
    for rel in files_under(dir)?.into_iter().filter(|r| !skipped(r)) {
        files.push(add_file(&mut zip, &rel, &dir.join(&rel))?);
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        yiwang: env!("CARGO_PKG_VERSION").into(),
        created_at: chrono::Utc::now(),
        source: dir.display().to_string(),
        files,
    };
    zip.start_file(
        MANIFEST,
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
    )?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest)?)?;
    let file = zip.finish()?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&part, to).with_context(|| format!("moving the backup to {}", to.display()))?;
    let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
    println!(
        "backed up {} files, {:.1} MB, to {} in {:.1} s (database snapshot {:.1} s)",
        manifest.files.len(),
        bytes as f64 / 1e6,
        to.display(),
        started.elapsed().as_secs_f64(),
        db_seconds
    );
    Ok(ExitCode::SUCCESS)
}

/// `yiwang restore`: checks the whole file against its manifest, then writes a fresh
/// data directory `dir` (which must not exist, or be empty) and verifies its record.
pub fn restore(from: &Path, dir: &Path, personal_keys: Option<&Path>) -> Result<ExitCode> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} is not empty: restore only into a new or empty directory", dir.display());
    }
    let started = Instant::now();
    let damaged =
        |why: String| anyhow::anyhow!("the backup {} is damaged: {why}; nothing was restored", from.display());
    let f = std::fs::File::open(from).with_context(|| format!("reading {}", from.display()))?;
    let mut zip = zip::ZipArchive::new(f).map_err(|e| damaged(e.to_string()))?;
    let manifest: Manifest = {
        let mut m = zip.by_name(MANIFEST).map_err(|_| damaged("no MANIFEST.json".into()))?;
        let mut s = String::new();
        m.read_to_string(&mut s).map_err(|e| damaged(e.to_string()))?;
        serde_json::from_str(&s).map_err(|e| damaged(format!("MANIFEST.json: {e}")))?
    };
    if manifest.format != FORMAT {
        bail!("{} is not a yiwang backup of a known format ({})", from.display(), manifest.format);
    }
    let mut names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| damaged(e.to_string()))?;
    names.retain(|n| n != MANIFEST);
    names.sort();
    let mut listed: Vec<String> = manifest.files.iter().map(|f| f.path.clone()).collect();
    listed.sort();
    if names != listed || !listed.iter().any(|n| n == DATABASE) {
        return Err(damaged("its files are not the ones its manifest lists".into()));
    }
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let work = tempfile::Builder::new().prefix(".yiwang-restore-").tempdir_in(parent)?;
    #[cfg(unix)]
    std::fs::set_permissions(work.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    let total: u64 = manifest.files.iter().map(|f| f.bytes).sum();
    let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = written.clone();
    let finish = progress("校验并恢复", total, move || seen.load(std::sync::atomic::Ordering::Relaxed));
    let result = (|| -> Result<()> {
        for entry in &manifest.files {
            // Names come from the file: nothing may climb out of the directory.
            let rel = PathBuf::from(&entry.path);
            if rel.is_absolute() || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
                return Err(damaged(format!("a file named {}", entry.path)));
            }
            let out_path = work.path().join(&rel);
            if let Some(p) = out_path.parent() {
                std::fs::create_dir_all(p)?;
                #[cfg(unix)]
                std::fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
            }
            let mut src = zip.by_name(&entry.path).map_err(|e| damaged(e.to_string()))?;
            let mut out = std::fs::OpenOptions::new().write(true).create_new(true).open(&out_path)?;
            #[cfg(unix)]
            std::fs::set_permissions(&out_path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            let mut bytes = 0u64;
            loop {
                let n = src.read(&mut buf).map_err(|e| damaged(format!("{}: {e}", entry.path)))?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
                out.write_all(&buf[..n])?;
                bytes += n as u64;
                written.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            }
            if bytes != entry.bytes || hex::encode(h.finalize()) != entry.sha256 {
                return Err(damaged(format!("{} does not match its checksum", entry.path)));
            }
            out.sync_all()?;
        }
        Ok(())
    })();
    finish();
    result?;
    if dir.exists() {
        std::fs::remove_dir(dir)?;
    }
    let kept = work.keep();
    std::fs::rename(&kept, dir).with_context(|| format!("moving the restored files to {}", dir.display()))?;
    println!(
        "restored {} files, {:.1} MB, from {} (taken {}) into {} in {:.1} s",
        manifest.files.len(),
        total as f64 / 1e6,
        from.display(),
        manifest.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    // The record as restored: every chain, the anchor, the signed checkpoints.
    let data = crate::config::DataArgs {
        data_dir: dir.to_owned(),
        database: None,
        read_database: None,
        personal_keys: personal_keys.map(Path::to_owned),
        crypto: None,
        gateway_timeout_seconds: 10,
    };
    crate::record::audit(crate::record::AuditCommand::Verify { data, witness: None, archive: vec![] })
}
