//! A minimal WebDriver client for the console tests: headless Chromium driven through chromedriver
//! over the W3C WebDriver protocol (plain HTTP + JSON with ureq; no WebDriver crate), plus the
//! Chrome DevTools commands chromedriver passes through (`goog/cdp/execute`: phone emulation,
//! scripts before page load, print media, PDF). Screenshots land in `target/screenshots/`; when a
//! test fails, the page at that moment is saved there as `failure.png` and the browser console
//! goes to stderr.
//!
//! Needs `chromium` and `chromedriver` on the PATH (Debian: `chromium`, `chromium-driver`). Without
//! them the tests print a notice and pass, except under `CI=true`, where they fail.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::*;

/// How long a wait polls before the test fails.
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);
/// The W3C name of an element reference in WebDriver answers.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

// =====================================================================================
// A minimal WebDriver client
// =====================================================================================

fn find_in_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// The chromedriver process; killed when dropped.
pub struct Driver {
    child: Child,
    base: String,
}

impl Driver {
    pub fn start(chromedriver: &Path) -> Driver {
        let port = free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let agent = http();
        let started = Instant::now();
        loop {
            let ready = agent
                .get(&format!("{}/status", driver.base))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                return driver;
            }
            assert!(
                started.elapsed() < WAIT,
                "chromedriver did not become ready"
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An element reference.
#[derive(Clone)]
pub struct El(pub String);

/// One browser session. Dropping it closes the browser, then stops chromedriver; if the test is
/// failing at that moment, a screenshot of the page is saved first.
pub struct Browser {
    agent: ureq::Agent,
    url: String,
    shots: PathBuf,
    downloads: tempfile::TempDir,
    _driver: Driver,
}

impl Browser {
    pub fn start(chromedriver: &Path, chromium: &Path) -> Browser {
        Browser::start_with(chromedriver, chromium, &[])
    }

    /// A browser with more command-line switches (a fake camera, say).
    pub fn start_with(chromedriver: &Path, chromium: &Path, extra: &[String]) -> Browser {
        let driver = Driver::start(chromedriver);
        let downloads = tempfile::tempdir().expect("download dir");
        let agent = http();
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1280,900",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--lang=en-US",
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend_from_slice(extra);
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args,
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    "safebrowsing.enabled": false,
                },
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let mut r = agent
            .post(&format!("{}/session", driver.base))
            .send_json(&caps)
            .expect("chromedriver answers");
        let body: Value = r.body_mut().read_json().expect("JSON from chromedriver");
        let id = body["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {body}"))
            .to_owned();
        let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&shots).expect("screenshot dir");
        Browser {
            agent,
            url: format!("{}/session/{id}", driver.base),
            shots,
            downloads,
            _driver: driver,
        }
    }

    /// One WebDriver command; returns `value`, or panics with the driver's error.
    pub fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_cmd(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    pub fn try_cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.url);
        let res = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut res = res.map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let v: Value = res
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_json()
            .map_err(|e| e.to_string())?;
        if status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(format!(
                "{status} {}: {}",
                v["value"]["error"].as_str().unwrap_or("?"),
                v["value"]["message"].as_str().unwrap_or("")
            ))
        }
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs a script (a function body; `arguments` holds `args`) and returns its value.
    pub fn js(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    pub fn find_now(&self, css: &str) -> Option<El> {
        let v = self
            .try_cmd(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .ok()?;
        v[ELEMENT_KEY].as_str().map(|id| El(id.to_owned()))
    }

    /// Waits until an element matches `css` and is shown.
    pub fn find(&self, css: &str) -> El {
        self.wait(&format!("element {css} to be shown"), || {
            let el = self.find_now(css)?;
            let shown = self.try_cmd("GET", &format!("/element/{}/displayed", el.0), None);
            (shown.ok()? == true).then_some(el)
        })
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.cmd("POST", &format!("/element/{}/click", el.0), None);
    }

    /// Clears a field and types `text` into it, key by key.
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.cmd("POST", &format!("/element/{}/clear", el.0), None);
        self.cmd(
            "POST",
            &format!("/element/{}/value", el.0),
            Some(json!({ "text": text })),
        );
    }

    pub fn text(&self, css: &str) -> String {
        let el = self.find(css);
        self.cmd("GET", &format!("/element/{}/text", el.0), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Polls `f` until it gives a value; fails the test after `WAIT`.
    pub fn wait<T>(&self, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(v) = f() {
                return v;
            }
            if started.elapsed() > WAIT {
                let hash = self.js("return location.hash", json!([]));
                panic!("timed out waiting for {what} (page {hash})");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until the script returns a truthy value, and returns it.
    pub fn wait_js(&self, what: &str, script: &str, args: Value) -> Value {
        self.wait(what, || {
            let v = self.js(script, args.clone());
            let truthy = !(v.is_null() || v == false || v == "" || v == 0);
            truthy.then_some(v)
        })
    }

    pub fn screenshot(&self, name: &str) -> PathBuf {
        let b64 = self.cmd("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().expect("base64 screenshot"))
            .expect("valid base64");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// A Chrome DevTools command, through chromedriver.
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
    }

    /// Runs `source` in every page before its own scripts (e.g. to take a browser API away).
    pub fn before_each_page(&self, source: &str) {
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": source }),
        );
    }

    /// A phone's viewport (390 × 844 CSS pixels, touch, mobile layout).
    pub fn phone(&self) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
        );
    }

    /// Back to the desktop window.
    pub fn desktop(&self) {
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({}));
    }

    /// Screenshots at desktop and at phone size (`{name}-desktop.png`, `{name}-phone.png`), each
    /// once `visible` is shown; leaves the browser at desktop size.
    pub fn both_sizes(&self, name: &str, visible: &str) {
        self.desktop();
        self.find(visible);
        self.screenshot(&format!("{name}-desktop"));
        self.phone();
        self.find(visible);
        std::thread::sleep(Duration::from_millis(150)); // the layout settles
        self.screenshot(&format!("{name}-phone"));
        self.desktop();
    }

    /// Accepts a `confirm()` dialog, waiting for it to open.
    pub fn accept_dialog(&self) {
        self.wait("the dialog", || {
            self.try_cmd("POST", "/alert/accept", None).ok()
        });
    }

    /// The page printed to PDF, page sizes as its CSS `@page` rules say.
    pub fn pdf(&self) -> Vec<u8> {
        let r = self.cdp(
            "Page.printToPDF",
            json!({"preferCSSPageSize": true, "printBackground": true}),
        );
        base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().expect("PDF data"))
            .expect("base64 PDF")
    }

    /// The browser console so far (chromedriver's legacy log endpoint), as `LEVEL message` lines.
    pub fn console_log(&self) -> Vec<String> {
        self.try_cmd("POST", "/se/log", Some(json!({"type": "browser"})))
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|e| format!("{} {}", e["level"].as_str().unwrap_or("?"), e["message"]))
            .collect()
    }

    /// Waits for one finished download (Chromium writes `*.crdownload` until it is complete).
    pub fn downloaded(&self) -> PathBuf {
        self.wait("the download to finish", || {
            let files: Vec<PathBuf> = std::fs::read_dir(self.downloads.path())
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            if files
                .iter()
                .any(|p| p.extension().is_some_and(|x| x == "crdownload"))
            {
                return None;
            }
            // Chrome may reserve the final name with an empty file before the data is in:
            // done means a complete archive (its end-of-central-directory record is there).
            files.into_iter().find(|p| {
                p.extension().is_some_and(|x| x == "zip")
                    && std::fs::File::open(p)
                        .ok()
                        .is_some_and(|f| zip::ZipArchive::new(f).is_ok())
            })
        })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.try_cmd("GET", "/screenshot", None).map(|b64| {
                base64::engine::general_purpose::STANDARD
                    .decode(b64.as_str().unwrap_or_default())
                    .map(|png| std::fs::write(self.shots.join("failure.png"), png))
            });
            for line in self.console_log() {
                eprintln!("browser console: {line}");
            }
        }
        let _ = self.try_cmd("DELETE", "", None);
    }
}

/// chromedriver and chromium, or None (with a notice) when this machine has no browser; under
/// `CI=true` a missing browser fails the test.
pub fn browser_binaries() -> Option<(PathBuf, PathBuf)> {
    let driver = find_in_path(&["chromedriver"]);
    let chromium = find_in_path(&["chromium", "chromium-browser", "google-chrome"]);
    match (driver, chromium) {
        (Some(d), Some(c)) => Some((d, c)),
        (d, c) => {
            let missing = [("chromedriver", d.is_none()), ("chromium", c.is_none())]
                .iter()
                .filter(|(_, m)| *m)
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(" and ");
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{missing} not found on the PATH; CI must install chromium and chromium-driver"
                );
            }
            // Straight to stderr: the test harness would swallow an eprintln! of a passing test.
            let _ = writeln!(
                std::io::stderr(),
                "NOTICE: skipping the browser test of the console: {missing} not found on the PATH \
                 (Debian: apt-get install chromium chromium-driver)"
            );
            None
        }
    }
}
