//! Throwaway PostgreSQL clusters for the operations tests (issue 19: failover, PITR,
//! TLS, read replicas): Debian's server binaries, `initdb` into a temporary directory,
//! a free loopback port, trust authentication. As root the server runs as `postgres`
//! (PostgreSQL refuses root), as `scripts/throwaway-postgres` does. A cluster is
//! stopped (immediate mode) and its directory removed when it is dropped, also when
//! the test panics. Without the binaries the tests fail, never skip:
//! `scripts/test` installs them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The newest installed server's `bin` directory.
fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).filter(|b| b.join("initdb").exists()).collect())
        .unwrap_or_default();
    found.sort_by_key(|p| p.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()).unwrap_or(0));
    found.pop().expect(
        "PostgreSQL's server binaries are missing (/usr/lib/postgresql/*/bin/initdb): \
         install Debian's postgresql, as ./scripts/test does",
    )
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("Uid:").map(|u| u.split_whitespace().next() == Some("0"))))
        .unwrap_or(false)
}

/// A command of the server's, run as the cluster's owner.
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) -> String {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed: {text}");
    text
}

/// A temporary directory the server's user owns (files it must read or write:
/// certificates, a WAL archive).
pub fn owned_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("yiwang-cluster").tempdir().unwrap();
    if is_root() {
        let mut c = Command::new("chown");
        c.arg("postgres").arg(dir.path());
        run(c, "chown");
    }
    dir
}

/// Runs `program` with `args` as the server's user, in `dir`; what it printed.
pub fn run_as_owner(dir: &Path, program: &str, args: &[&str]) -> String {
    let mut c = as_owner(Path::new(program));
    c.args(args).current_dir(dir);
    run(c, program)
}

pub struct Cluster {
    pub port: u16,
    bin: PathBuf,
    /// Holds `data/`, the server's log and its socket; removed on drop.
    dir: tempfile::TempDir,
}

impl Cluster {
    /// A new cluster with `settings` (lines of postgresql.conf) added, started.
    pub fn start(settings: &[&str]) -> Cluster {
        let c = Cluster::empty();
        run(
            {
                let mut i = as_owner(&c.bin.join("initdb"));
                i.arg("-D").arg(c.data()).args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
                i
            },
            "initdb",
        );
        c.configure(settings);
        c.pg_ctl_start();
        c
    }

    /// A streaming-replication standby of `primary`, copied with `pg_basebackup -R`,
    /// that names itself `name` to the primary (for `synchronous_standby_names`), with
    /// `settings` added, started.
    pub fn standby_of(primary: &Cluster, name: &str, settings: &[&str]) -> Cluster {
        let c = Cluster::empty();
        let mut b = as_owner(&c.bin.join("pg_basebackup"));
        b.args(["-h", "127.0.0.1", "-p", &primary.port.to_string(), "-U", "postgres", "-X", "stream", "-R", "-D"])
            .arg(c.data());
        run(b, "pg_basebackup");
        let conninfo =
            format!("primary_conninfo = 'host=127.0.0.1 port={} user=postgres application_name={name}'", primary.port);
        let mut all = vec![conninfo.as_str()];
        all.extend_from_slice(settings);
        c.configure(&all);
        c.pg_ctl_start();
        c
    }

    fn empty() -> Cluster {
        Cluster { port: super::free_port(), bin: bin_dir(), dir: owned_dir() }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A directory beside the data that the server may write (a WAL archive).
    pub fn path(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        if !p.exists() {
            run(
                {
                    let mut c = as_owner(Path::new("mkdir"));
                    c.arg(&p);
                    c
                },
                "mkdir",
            );
        }
        p
    }

    /// Appends `settings` to postgresql.auto.conf, which is read last (so they win
    /// over what `pg_basebackup -R` wrote there).
    pub fn configure(&self, settings: &[&str]) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(self.data().join("postgresql.auto.conf")).unwrap();
        for s in settings {
            writeln!(f, "{s}").unwrap();
        }
    }

    fn pg_ctl_start(&self) {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        let mut c = as_owner(&self.bin.join("pg_ctl"));
        c.arg("-D").arg(self.data()).arg("-l").arg(self.log()).args(["-w", "-t", "60", "-o", &opts, "start"]);
        let out = c.output().unwrap();
        assert!(out.status.success(), "pg_ctl start: {}", std::fs::read_to_string(self.log()).unwrap_or_default());
    }

    pub fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls).unwrap()
    }

    /// The first column of the first row of `sql`, as text.
    pub fn query(&self, sql: &str) -> String {
        let mut c = self.client();
        let row = c.query_one(&format!("SELECT ({sql})::text"), &[]).unwrap();
        row.get::<_, Option<String>>(0).unwrap_or_default()
    }

    /// Waits until `sql` answers `want`, for at most `within`.
    pub fn wait_for(&self, sql: &str, want: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let got = postgres::Client::connect(&self.url(), postgres::NoTls)
                .ok()
                .and_then(|mut c| c.query_one(&format!("SELECT ({sql})::text"), &[]).ok())
                .and_then(|r| r.get::<_, Option<String>>(0));
            if got.as_deref() == Some(want) {
                return;
            }
            assert!(Instant::now() < deadline, "{sql} is {got:?}, not {want}, after {within:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Restarts the server (for settings read only at start, such as `archive_mode`).
    pub fn restart(&self) {
        let mut c = as_owner(&self.bin.join("pg_ctl"));
        c.arg("-D").arg(self.data()).args(["-m", "fast", "-w", "stop"]);
        run(c, "pg_ctl stop");
        self.pg_ctl_start();
    }

    /// `pg_ctl promote`, waiting until the standby takes writes.
    pub fn promote(&self) {
        let mut c = as_owner(&self.bin.join("pg_ctl"));
        c.arg("-D").arg(self.data()).args(["-w", "-t", "60", "promote"]);
        run(c, "pg_ctl promote");
    }

    /// The server as if its machine died: SIGKILL to the postmaster and every
    /// process it started, so none of them answers or commits anything more.
    pub fn kill_9(&self) {
        let pid = std::fs::read_to_string(self.data().join("postmaster.pid")).unwrap();
        let pid = pid.lines().next().unwrap().trim().to_owned();
        let children: Vec<String> = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| {
                let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
                let after = &stat[stat.rfind(')')? + 1..];
                let ppid = after.split_whitespace().nth(1)?;
                (ppid == pid).then(|| e.file_name().to_string_lossy().into_owned())
            })
            .collect();
        let mut kill = Command::new("kill");
        kill.arg("-9").arg(&pid).args(&children);
        run(kill, "kill -9");
    }

    /// A base backup of this cluster into `to` (tar-less, WAL streamed alongside).
    pub fn base_backup(&self, to: &Path) {
        let mut b = as_owner(&self.bin.join("pg_basebackup"));
        b.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-X", "stream", "-D"]).arg(to);
        run(b, "pg_basebackup");
    }

    /// A cluster started on a copy of `data` (a base backup), with `settings` added
    /// and `recovery.signal` when `recover` (point-in-time recovery).
    pub fn from_backup(data: &Path, settings: &[&str], recover: bool) -> Cluster {
        let c = Cluster::empty();
        let mut cp = as_owner(Path::new("cp"));
        cp.arg("-a").arg(data).arg(c.data());
        run(cp, "copying the base backup");
        let mut chmod = as_owner(Path::new("chmod"));
        chmod.arg("700").arg(c.data());
        run(chmod, "chmod");
        if recover {
            let mut t = as_owner(Path::new("touch"));
            t.arg(c.data().join("recovery.signal"));
            run(t, "recovery.signal");
        }
        c.configure(settings);
        c.pg_ctl_start();
        c
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut c = as_owner(&self.bin.join("pg_ctl"));
        c.arg("-D").arg(self.data()).args(["-m", "immediate", "-w", "stop"]);
        let _ = c.output();
    }
}
