//! A small W3C WebDriver client (the part of the protocol these tests use), over the
//! HTTP client the workspace already has. It starts `chromedriver` and drives the
//! system's Chromium headless.

use base64::Engine;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Driver {
    child: Child,
    http: reqwest::Client,
    base: String,
    _profile: tempfile::TempDir,
    /// The browser's main process, as chromedriver reports it.
    browser_pid: Option<u64>,
    pub shots: PathBuf,
    shot_no: u32,
}

#[derive(Clone)]
pub struct Element(String);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Driver {
    /// Starts chromedriver and a headless Chromium. Panics with what to install when
    /// either is missing: a browser test that cannot run must fail, never pass.
    pub async fn start(shots: &Path) -> Driver {
        for (bin, package) in [(CHROMEDRIVER, "chromium-driver"), (CHROMIUM, "chromium")] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: install Debian's `{package}` (scripts/test installs it)"
            );
        }
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not become ready");
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--lang=zh-CN".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}
        }}});
        std::fs::create_dir_all(shots).unwrap();
        let mut d =
            Driver { child, http, base, _profile: profile, browser_pid: None, shots: shots.to_owned(), shot_no: 0 };
        let v = d.call("POST", "/session", Some(caps)).await;
        d.browser_pid = v["capabilities"]["goog:processID"].as_u64();
        d.base = format!("{}/session/{}", d.base, v["sessionId"].as_str().expect("a session id"));
        d
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self.http.post(&url).json(&body.unwrap_or(json!({}))),
        };
        let resp = req.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path} → {status}: {v}");
        v["value"].clone()
    }

    async fn try_find(&self, css: &str) -> Option<Element> {
        let url = format!("{}/element", self.base);
        let r = self.http.post(&url).json(&json!({"using": "css selector", "value": css})).send().await.ok()?;
        if !r.status().is_success() {
            return None;
        }
        let v: Value = r.json().await.ok()?;
        v["value"][ELEMENT].as_str().map(|s| Element(s.to_owned()))
    }

    /// The phone's position, as its GPS would give it (Chrome DevTools Protocol), with
    /// the page allowed to read it.
    pub async fn geolocation(&self, lon: f64, lat: f64) {
        let cdp = |cmd: &str, params: Value| json!({"cmd": cmd, "params": params});
        self.call(
            "POST",
            "/goog/cdp/execute",
            Some(cdp("Browser.grantPermissions", json!({"permissions": ["geolocation"]}))),
        )
        .await;
        let at = json!({"latitude": lat, "longitude": lon, "accuracy": 8});
        self.call("POST", "/goog/cdp/execute", Some(cdp("Emulation.setGeolocationOverride", at))).await;
    }

    pub async fn size(&self, w: u32, h: u32) {
        self.call("POST", "/window/rect", Some(json!({"width": w, "height": h}))).await;
    }

    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url}))).await;
    }

    /// The element, waiting for it to appear (pages load after a click).
    pub async fn find(&self, css: &str) -> Element {
        for _ in 0..100 {
            if let Some(e) = self.try_find(css).await {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let url = self.url().await;
        panic!("no element {css} on {url}")
    }

    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.call("POST", &format!("/element/{}/click", e.0), None).await;
    }

    /// Clicks something that loads a new page (a form's submit button, a link) and
    /// waits until the new page has replaced the old one. Without this, an element
    /// looked up right after the click may be found on the old page, which is about
    /// to go away, and reading it then fails with "stale element reference".
    pub async fn click_to_load(&self, css: &str) {
        // A mark on the old page's window: the new page's window does not have it.
        self.script("window.__yiwangOldPage = true;", vec![]).await;
        self.click(css).await;
        for _ in 0..100 {
            // While the page changes, a script may fail (the document is unloading):
            // that is not an answer yet, so try again.
            if let Some(v) = self
                .try_call(
                    "POST",
                    "/execute/sync",
                    json!({"script": "return window.__yiwangOldPage === undefined && document.readyState === 'complete';", "args": []}),
                )
                .await
                && v == Value::Bool(true)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let url = self.url().await;
        panic!("clicking {css} did not load a new page (still on {url})")
    }

    /// A command whose failure is an answer, not a test failure.
    async fn try_call(&self, method: &str, path: &str, body: Value) -> Option<Value> {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(&url),
            _ => self.http.post(&url).json(&body),
        };
        let resp = req.send().await.ok()?;
        if !resp.status().is_success() {
            return None;
        }
        let v: Value = resp.json().await.ok()?;
        Some(v["value"].clone())
    }

    pub async fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call("POST", &format!("/element/{}/value", e.0), Some(json!({"text": text}))).await;
    }

    /// Empties an input or text area.
    pub async fn clear(&self, css: &str) {
        let e = self.find(css).await;
        self.call("POST", &format!("/element/{}/clear", e.0), Some(json!({}))).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.call("GET", &format!("/element/{}/text", e.0), None).await.as_str().unwrap_or("").to_owned()
    }

    pub async fn value(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.call("GET", &format!("/element/{}/property/value", e.0), None).await.as_str().unwrap_or("").to_owned()
    }

    /// Chooses an option of a select by its value.
    pub async fn select(&self, select_css: &str, value: &str) {
        self.click(&format!("{select_css} option[value=\"{value}\"]")).await;
    }

    pub async fn url(&self) -> String {
        self.call("GET", "/url", None).await.as_str().unwrap_or("").to_owned()
    }

    pub async fn body_text(&self) -> String {
        self.text("body").await
    }

    pub async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": script, "args": args}))).await
    }

    pub async fn script_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.call("POST", "/execute/async", Some(json!({"script": script, "args": args}))).await
    }

    /// Saves a screenshot as `NN-name.png` and returns its path.
    pub async fn shot(&mut self, name: &str) -> PathBuf {
        self.shot_no += 1;
        let v = self.call("GET", "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
        let path = self.shots.join(format!("{:02}-{name}.png", self.shot_no));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// The whole page, not only the viewport: the window is resized to the page's
    /// height for the shot, then back.
    pub async fn full_shot(&mut self, name: &str, w: u32, h: u32) -> PathBuf {
        let height = self.script("return document.documentElement.scrollHeight;", vec![]).await.as_u64().unwrap_or(900);
        self.size(w, (height as u32 + 140).clamp(h, 6000)).await;
        let p = self.shot(name).await;
        self.size(w, h).await;
        p
    }

    /// Whether the page fits the window's width (nothing to scroll sideways).
    pub async fn fits_width(&self) -> bool {
        self.script("return document.documentElement.scrollWidth <= window.innerWidth + 1;", vec![])
            .await
            .as_bool()
            .unwrap_or(false)
    }

    pub async fn quit(mut self) {
        if self.http.delete(&self.base).send().await.is_ok_and(|r| r.status().is_success()) {
            // The browser has closed: its process id must not be used again.
            self.browser_pid = None;
        }
        // Drop stops chromedriver, and the browser if it is still there.
    }

    /// Ends the browser (by the process id chromedriver gave) and chromedriver, also
    /// when a test panics half-way.
    fn stop(&mut self) {
        if let Some(pid) = self.browser_pid.take() {
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}
