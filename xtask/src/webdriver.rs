//! Just enough of the WebDriver protocol to drive headless Chromium from
//! xtask (new session, navigate, run a script, screenshot), over plain
//! HTTP/1.1 to a `chromedriver` on loopback. The crates' own browser tests
//! use fantoccini; xtask keeps to std and serde_json so building it stays
//! cheap.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde_json::{Value, json};

/// The flags headless Chromium needs on this kind of machine (no GPU, no
/// sandbox as root, no network beyond loopback).
const CHROMIUM_ARGS: [&str; 11] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1200,800",
];

/// A `chromedriver` on a free loopback port, killed (with its browsers)
/// when dropped.
#[derive(Debug)]
pub struct ChromeDriver {
    child: Child,
    port: u16,
    home: PathBuf,
}

impl ChromeDriver {
    /// Starts chromedriver with its own XDG dirs below `home`.
    pub fn start(home: &Path) -> Result<ChromeDriver> {
        let port = free_port()?;
        for dir in ["config", "cache", "profile"] {
            std::fs::create_dir_all(home.join(dir))
                .with_context(|| format!("creating {}", home.join(dir).display()))?;
        }
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?;
        let driver = ChromeDriver {
            child,
            port,
            home: home.to_owned(),
        };
        let started = Instant::now();
        loop {
            if let Ok(status) = driver.request("GET", "/status", None)
                && status["value"]["ready"] == json!(true)
            {
                return Ok(driver);
            }
            if started.elapsed() > Duration::from_secs(20) {
                bail!("chromedriver did not become ready on port {port} within 20 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A new headless Chromium session.
    pub fn session(&self) -> Result<Session<'_>> {
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!(
            "--user-data-dir={}",
            self.home.join("profile").display()
        ));
        let capabilities = json!({
            "capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args},
            }}
        });
        let reply = self.request("POST", "/session", Some(&capabilities))?;
        let id = reply["value"]["sessionId"]
            .as_str()
            .with_context(|| format!("no session id in {reply}"))?
            .to_owned();
        Ok(Session { driver: self, id })
    }

    /// One WebDriver command; the reply's JSON, or its error as an error.
    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))
            .with_context(|| format!("connecting to chromedriver on port {}", self.port))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .context("setting a read timeout")?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
             Content-Length: {len}\r\nConnection: close\r\n\r\n{body}",
            port = self.port,
            len = body.len(),
        )
        .context("writing to chromedriver")?;
        // chromedriver keeps the connection open whatever the request
        // says, so read exactly the body its headers announce.
        let mut reader = std::io::BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            let read = std::io::BufRead::read_line(&mut reader, &mut line)
                .context("reading chromedriver's answer")?;
            if read == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (key, value) = l.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
        };
        let payload = if let Some(length) = header("content-length") {
            let length: usize = length
                .parse()
                .with_context(|| format!("chromedriver sent Content-Length {length:?}"))?;
            let mut body = vec![0; length];
            reader
                .read_exact(&mut body)
                .context("reading chromedriver's answer")?;
            String::from_utf8_lossy(&body).into_owned()
        } else {
            let mut body = Vec::new();
            reader
                .read_to_end(&mut body)
                .context("reading chromedriver's answer")?;
            let body = String::from_utf8_lossy(&body).into_owned();
            if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
                dechunk(&body)
            } else {
                body
            }
        };
        let value: Value = serde_json::from_str(&payload)
            .with_context(|| format!("chromedriver's answer to {method} {path}: {payload:?}"))?;
        if let Some(error) = value["value"]["error"].as_str() {
            bail!(
                "{method} {path}: {error}: {}",
                value["value"]["message"].as_str().unwrap_or("")
            );
        }
        Ok(value)
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// One browser.
#[derive(Debug)]
pub struct Session<'a> {
    driver: &'a ChromeDriver,
    id: String,
}

impl Session<'_> {
    /// Opens `url`.
    pub fn open(&self, url: &str) -> Result<()> {
        self.driver
            .request(
                "POST",
                &format!("/session/{}/url", self.id),
                Some(&json!({ "url": url })),
            )
            .map(drop)
    }

    /// Runs `script` (a function body) in the page; its return value.
    pub fn eval(&self, script: &str) -> Result<Value> {
        let reply = self.driver.request(
            "POST",
            &format!("/session/{}/execute/sync", self.id),
            Some(&json!({ "script": script, "args": [] })),
        )?;
        Ok(reply["value"].clone())
    }

    /// Polls `script` until it returns something other than null or false;
    /// fails naming `what` after `deadline`.
    pub fn wait_for(&self, what: &str, script: &str, deadline: Duration) -> Result<Value> {
        let started = Instant::now();
        loop {
            let value = self.eval(script)?;
            if !(value.is_null() || value == json!(false)) {
                return Ok(value);
            }
            if started.elapsed() > deadline {
                let runtime = self
                    .eval("const r = window.__viser4dRuntime; return r ? [r.status, r.error || null, r.stats ? r.stats() : null] : 'no runtime';")
                    .unwrap_or(Value::Null);
                bail!("timed out after {deadline:?} waiting for {what} (runtime: {runtime})");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG of the window, written to `path`.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let reply =
            self.driver
                .request("GET", &format!("/session/{}/screenshot", self.id), None)?;
        let encoded = reply["value"].as_str().context("no screenshot data")?;
        let png = base64_decode(encoded).context("decoding the screenshot")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        self.driver
            .request("DELETE", &format!("/session/{}", self.id), None)
            .ok();
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr().context("finding a free port")?.port())
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

fn base64_decode(text: &str) -> Result<Vec<u8>> {
    fn digit(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    for chunk in clean.chunks(4) {
        let mut acc = 0u32;
        let mut count = 0;
        for &c in chunk {
            if c == b'=' {
                break;
            }
            let Some(d) = digit(c) else {
                bail!("not base64: byte {c}");
            };
            acc = (acc << 6) | d;
            count += 1;
        }
        acc <<= 6 * (4 - count);
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..count.max(1)]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_chunks_decode() {
        assert_eq!(base64_decode("aGVsbG8=").ok(), Some(b"hello".to_vec()));
        assert_eq!(base64_decode("aGk=").ok(), Some(b"hi".to_vec()));
        assert_eq!(base64_decode("YWJj").ok(), Some(b"abc".to_vec()));
        assert_eq!(dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), "abcde");
    }
}
