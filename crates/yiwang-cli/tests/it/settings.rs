//! The configuration file (`--config`, `YIWANG_CONFIG`): which value wins, and the
//! errors a bad file gets.

use super::{bin, free_port};
use std::path::Path;
use std::time::{Duration, Instant};

/// `yiwang calendar` makes the data directory it is given: which one it made tells
/// which setting won.
fn made_data_dir(cwd: &Path, config: &Path, env: Option<&str>, flag: Option<&str>) -> Vec<String> {
    let mut cmd = bin();
    cmd.current_dir(cwd).arg("--config").arg(config).arg("calendar");
    if let Some(dir) = env {
        cmd.env("YIWANG_DATA_DIR", dir);
    }
    if let Some(dir) = flag {
        cmd.args(["--data-dir", dir]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut dirs: Vec<String> = std::fs::read_dir(cwd)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    for d in &dirs {
        std::fs::remove_dir_all(cwd.join(d)).unwrap();
    }
    dirs
}

#[test]
fn a_flag_wins_over_the_environment_which_wins_over_the_file_which_wins_over_the_default() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let with = tmp.path().join("with.toml");
    std::fs::write(&with, "data_dir = \"from-file\"\n").unwrap();
    let without = tmp.path().join("without.toml");
    std::fs::write(&without, "# no data_dir here\nlisten = \"127.0.0.1:1\"\n").unwrap();

    assert_eq!(made_data_dir(&cwd, &without, None, None), ["yiwang-data"], "the default");
    assert_eq!(made_data_dir(&cwd, &with, None, None), ["from-file"], "the file over the default");
    assert_eq!(made_data_dir(&cwd, &with, Some("from-env"), None), ["from-env"], "the environment over the file");
    assert_eq!(
        made_data_dir(&cwd, &with, Some("from-env"), Some("from-flag")),
        ["from-flag"],
        "the flag over the environment"
    );
}

#[test]
fn the_server_takes_its_address_and_switches_from_the_file_named_by_yiwang_config() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let port = free_port();
    let file = tmp.path().join("yiwang.toml");
    std::fs::write(
        &file,
        format!(
            "data_dir = {:?}\nlisten = \"127.0.0.1:{port}\"\ndemo = true\ncheckpoint_seconds = 3600\n",
            data.display()
        ),
    )
    .unwrap();
    // Every other setting at its default: none from this test's environment.
    let mut child = Killed(bin().args(["serve"]).env("YIWANG_CONFIG", &file).spawn().unwrap());
    let child = &mut child.0;
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !client.get(format!("http://127.0.0.1:{port}/healthz")).send().is_ok_and(|r| r.status().is_success()) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server stopped: {status}");
        }
        assert!(Instant::now() < deadline, "the server did not answer on the file's address");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(data.join("yiwang.sqlite").exists(), "the database is in the file's data_dir");
    assert!(data.join("demo").exists(), "demo = true in the file started the demo district");
}

/// A child process killed when the test ends, passed or failed.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `yiwang calendar` with a file holding `text`; its exit code and standard error.
fn refused(text: &str) -> (Option<i32>, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("settings.toml");
    std::fs::write(&file, text).unwrap();
    let out = bin().current_dir(tmp.path()).arg("--config").arg(&file).arg("calendar").output().unwrap();
    assert!(!tmp.path().join("yiwang-data").exists(), "nothing ran for {text}");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned(), file.display().to_string())
}

#[test]
fn unknown_keys_and_values_of_the_wrong_type_are_refused_naming_the_file_and_the_key() {
    for (text, says) in [
        ("listn = \"127.0.0.1:8080\"\n", "unknown setting `listn`; did you mean `listen`?"),
        ("[serve]\nlisten = \"127.0.0.1:8080\"\n", "unknown setting `serve`"),
        ("password = \"Secret-1234\"\n", "unknown setting `password`"),
        ("checkpoint_seconds = \"60\"\n", "`checkpoint_seconds` must be a whole number, not string (\"60\")"),
        ("tick_seconds = -5\n", "`tick_seconds` = -5 is not valid"),
        ("secure_cookies = \"yes\"\n", "`secure_cookies` must be true or false, not string (\"yes\")"),
        ("data_dir = 7\n", "`data_dir` must be a string (in quotes), not integer (7)"),
        ("log_format = \"xml\"\n", "`log_format` must be one of text, json, not \"xml\""),
        ("listen = \n", "not valid TOML"),
    ] {
        let (code, stderr, file) = refused(text);
        assert_eq!(code, Some(2), "{text}: {stderr}");
        assert!(stderr.contains(&format!("configuration file {file}")), "{text}: names the file: {stderr}");
        assert!(stderr.contains(says), "{text}: says {says:?}: {stderr}");
    }
    let out = bin().args(["--config", "/nonexistent/yiwang.toml", "calendar"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("reading the configuration file /nonexistent/yiwang.toml"), "{stderr}");
}
