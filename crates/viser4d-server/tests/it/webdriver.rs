//! Driving headless Chromium through ChromeDriver with fantoccini.
//!
//! Each test starts its own `chromedriver` on a free loopback port (nextest
//! runs every test in its own process, so there is nothing to share across
//! tests) and kills it, with every browser it started, when dropped.
//! Software rendering draws a few frames a second and viser applies scene
//! messages once per frame, so every wait polls a condition with a deadline.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::support::DEADLINE;

const CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL_HINT: &str = "the browser tests need Chromium and ChromeDriver \
     (Debian: apt-get install -y --no-install-recommends chromium chromium-driver; .ci/run installs them)";

/// What the viser4d runtime says about itself (for failure messages).
const RUNTIME_STATE: &str = "
    const r = window.__viser4dRuntime;
    if (!r) return 'not loaded';
    const s = r.stats ? Object.assign({}, r.stats(), {applyMs: undefined}) : null;
    return [r.status, r.panic || null, s];";

/// Browser tests run one at a time within a process: two software-rendered
/// Chromiums on a two-core machine starve each other.
pub fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running `chromedriver`.
#[derive(Debug)]
pub struct ChromeDriver {
    child: Child,
    port: u16,
    /// XDG config and cache dirs for chromedriver's children.
    home: tempfile::TempDir,
}

impl ChromeDriver {
    /// Starts chromedriver; panics with what to install if it or Chromium is
    /// missing.
    pub fn start() -> ChromeDriver {
        let chromium = chromium_binary();
        assert!(
            chromium.is_file(),
            "{} is missing: {INSTALL_HINT}",
            chromium.display()
        );
        let port = free_port();
        let home = tempfile::tempdir().expect("a temp dir");
        let config = home.path().join("config");
        let cache = home.path().join("cache");
        std::fs::create_dir_all(&config).expect("creating XDG_CONFIG_HOME");
        std::fs::create_dir_all(&cache).expect("creating XDG_CACHE_HOME");
        let mut command = Command::new("chromedriver");
        command
            .arg(format!("--port={port}"))
            .env("XDG_CONFIG_HOME", &config)
            .env("XDG_CACHE_HOME", &cache)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so dropping it can end the browsers too.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = match command.spawn() {
            Ok(child) => child,
            Err(error) => panic!("cannot run chromedriver ({error}): {INSTALL_HINT}"),
        };
        let driver = ChromeDriver { child, port, home };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < DEADLINE,
                "chromedriver did not listen on port {port} within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    /// A new browser session (its own Chromium, with a fresh profile).
    pub async fn session(&self) -> Tab {
        self.session_with(true).await
    }

    /// A session under the browser's default autoplay policy: audio waits
    /// for a user gesture.
    pub async fn session_requiring_gesture(&self) -> Tab {
        self.session_with(false).await
    }

    async fn session_with(&self, autoplay: bool) -> Tab {
        let profile = tempfile::tempdir_in(self.home.path()).expect("a profile dir");
        let autoplay = if autoplay {
            // The audio tests play without a click.
            "--autoplay-policy=no-user-gesture-required"
        } else {
            "--autoplay-policy=document-user-activation-required"
        };
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": chromium_binary(),
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--use-angle=swiftshader",
                    "--enable-unsafe-swiftshader",
                    format!("--user-data-dir={}", profile.path().display()),
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    "--window-size=1200,800",
                    autoplay,
                ]
            }
        });
        let Json::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = fantoccini::ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|error| {
                panic!("cannot start a Chromium session: {error}; {INSTALL_HINT}")
            });
        Tab {
            client,
            _profile: profile,
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole process group: chromedriver and the browsers it started
        // (a failed test never closed its sessions).
        let group = format!("-{}", self.child.id());
        Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status()
            .ok();
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn chromium_binary() -> PathBuf {
    std::env::var_os("VISER4D_CHROMIUM").map_or_else(|| PathBuf::from(CHROMIUM), PathBuf::from)
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("its address").port()
}

/// One browser session showing one page.
#[derive(Debug)]
pub struct Tab {
    pub client: fantoccini::Client,
    _profile: tempfile::TempDir,
}

impl Tab {
    /// Navigates to `url`.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("navigating");
    }

    /// Evaluates `body` (a function body: use `return`) with `args`.
    pub async fn eval(&self, body: &str, args: Vec<Json>) -> Json {
        self.client
            .execute(body, args)
            .await
            .unwrap_or_else(|error| panic!("script failed: {error}\n{body}"))
    }

    /// Polls `body` every 100 ms until it returns something truthy, and
    /// returns that; panics with `what` after [`DEADLINE`].
    pub async fn wait_for(&self, what: &str, body: &str, args: Vec<Json>) -> Json {
        self.poll(what, body, args, truthy).await
    }

    /// Polls `body` (no arguments) until `ok` accepts its value, and
    /// returns that; panics with `what`, the last value and the viser4d
    /// runtime's state after [`DEADLINE`].
    pub async fn wait_until(&self, what: &str, body: &str, ok: impl Fn(&Json) -> bool) -> Json {
        self.poll(what, body, Vec::new(), ok).await
    }

    async fn poll(
        &self,
        what: &str,
        body: &str,
        args: Vec<Json>,
        ok: impl Fn(&Json) -> bool,
    ) -> Json {
        let started = Instant::now();
        loop {
            let value = self.eval(body, args.clone()).await;
            if ok(&value) {
                return value;
            }
            if started.elapsed() >= DEADLINE {
                let runtime = self.eval(RUNTIME_STATE, Vec::new()).await;
                panic!(
                    "timed out after {DEADLINE:?} waiting for {what} (last value {value}; viser4d runtime: {runtime})"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ends the session (and its browser).
    pub async fn close(self) {
        self.client.close().await.ok();
    }
}

fn truthy(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Json::String(s) => !s.is_empty(),
        Json::Array(_) | Json::Object(_) => true,
    }
}
