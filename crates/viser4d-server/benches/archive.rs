//! Archives against `.viser` files, for a recording whose archive is
//! about 1 GB (a 200,000-point cloud with per-point colours, new noise
//! every step: 300 MB of raw steps; blocks carry their checkpoints and
//! heavy steps their own state files, so the archive is about 3.5 times
//! that and the `.viser` about twice):
//!
//! - `archive/write_folder_1gb`, `archive/write_s3_1gb`: `save_archive` to
//!   a local folder and to an S3-compatible server (moto on loopback, when
//!   `VISER4D_TEST_MOTO` names it; `cargo xtask bench` installs it).
//! - `archive/first_step_archive`, `archive/first_step_viser`: headless
//!   Chromium opens the archive from a plain static file server through a
//!   100 Mbit/s, 20 ms link (the test harness's throttling proxy), or the
//!   same recording as a `.viser` file (`?playbackPath=`) from the same
//!   host: the time from navigation to the first step shown.
//! - sizes (`target/criterion/<row>/new/size.json`): the tab's memory then
//!   (its renderer process's RSS: JavaScript heap, wasm memory and array
//!   buffers together), the bytes of a cold seek to the middle of the
//!   archive, the step's own bytes, and the archive's size.
//!
//! `ARCHIVE_MB` sets the raw steps' size (default 300; `--test` runs 16).
//! Every wait is bounded.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use viser4d_server::Server;
use viser4d_server::scene::{PointCloudOptions, PointColors, PointPrecision};

#[path = "../tests/it/static_host.rs"]
#[allow(dead_code)]
mod static_host;
#[path = "../tests/it/throttle.rs"]
#[allow(dead_code)]
mod throttle;
#[path = "../tests/it/webdriver.rs"]
#[allow(dead_code)]
mod webdriver;

/// What the harness modules above take from the tests' support module.
mod support {
    pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);
}

const POINTS: usize = 200_000;
/// The longest a page may take to show its first step (the `.viser`
/// downloads whole at 100 Mbit/s first: ~90 s for 1 GB).
const PAGE_DEADLINE: Duration = Duration::from_secs(600);

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn save_time(row: &str, ms: f64) {
    save(
        row,
        "estimates.json",
        format!("{{\"mean\":{{\"point_estimate\":{}}}}}", ms * 1e6),
    );
}

fn save_size(row: &str, bytes: u64) {
    save(row, "size.json", format!("{{\"bytes\":{bytes}}}"));
}

fn save(row: &str, file: &str, json: String) {
    let dir = target_dir().join("criterion").join(row).join("new");
    if let Err(error) =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(file), json))
    {
        eprintln!("cannot save {row}: {error}");
    }
}

/// xorshift: noise that zstd cannot shrink, the same every run.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn record(steps: u32) -> Server {
    let server = Server::builder()
        .host("127.0.0.1")
        .port(0)
        .num_steps(steps)
        .fps(30.0)
        .start()
        .expect("a server");
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let cloud = |noise: &mut Noise| -> (Vec<[f32; 3]>, Vec<[u8; 3]>) {
        let points = (0..POINTS)
            .map(|_| {
                let v = noise.next();
                let f = |s: u32| ((v >> s) & 0xffff) as f32 / 65535.0 - 0.5;
                [f(0), f(16), f(32)]
            })
            .collect();
        let colors = (0..POINTS)
            .map(|_| {
                let v = noise.next();
                [v as u8, (v >> 8) as u8, (v >> 16) as u8]
            })
            .collect();
        (points, colors)
    };
    let handle = {
        let _t = server.at(0).expect("step 0");
        let (points, colors) = cloud(&mut noise);
        server
            .scene()
            .add_point_cloud(
                "/cloud",
                &points,
                PointColors::PerPoint(&colors),
                PointCloudOptions {
                    precision: PointPrecision::Float16,
                    ..PointCloudOptions::default()
                },
            )
            .expect("a cloud")
    };
    for t in 1..steps {
        let _t = server.at(t).expect("a step");
        let (points, colors) = cloud(&mut noise);
        handle.set_points(&points).expect("points");
        handle
            .set_colors(PointColors::PerPoint(&colors), POINTS)
            .expect("colors");
    }
    server
}

/// RSS of every Chromium renderer process (one tab is open at a time).
fn renderer_rss() -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(cmdline) = std::fs::read(path.join("cmdline")) else {
            continue;
        };
        if !String::from_utf8_lossy(&cmdline).contains("--type=renderer") {
            continue;
        }
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0);
        total += kb * 1024;
    }
    total
}

const SHOWN: &str = "const r = window.__viser4dRuntime;
    const s = r && r.stats && r.stats();
    return s && s.configured && s.shown !== null ? s.shown : null;";

/// Opens `url` and returns when the runtime showed its first step: by the
/// page's own clock (ms since navigation began: what the user waits for)
/// and by the wall clock of this driver (which waits for the page's main
/// thread, busy with software rendering, to answer).
async fn time_to_first_step(tab: &webdriver::Tab, url: &str) -> Option<(f64, Duration)> {
    let started = Instant::now();
    tab.open(url).await;
    while started.elapsed() < PAGE_DEADLINE {
        if !tab.eval(SHOWN, vec![]).await.is_null() {
            let wall = started.elapsed();
            let page = tab
                .eval(
                    "return window.__viser4dRuntime.stats().firstShownMs;",
                    vec![],
                )
                .await
                .as_f64()?;
            return Some((page, wall));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let mb: u64 = std::env::var("ARCHIVE_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 16 } else { 300 });
    let step_bytes = POINTS as u64 * (6 + 3);
    let steps = ((mb << 20) / step_bytes).max(2) as u32;
    let started = Instant::now();
    let server = record(steps);
    println!(
        "archive: recorded {steps} steps of {POINTS} points ({:.1} MB a step) in {:.1} s",
        step_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let site = tempfile::tempdir().expect("a temp dir");
    // Encode once (the store caches blocks), so the writes below measure
    // packing, hashing and storing.
    let viser = site.path().join("rec.viser");
    let t = Instant::now();
    let viser_bytes = server.write_recording(&viser, 0, None).expect("a .viser");
    println!(
        "archive: .viser {:.0} MB written in {:.1} s",
        viser_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let summary = server
        .save_archive(site.path(), 0, None)
        .expect("an archive");
    let write = t.elapsed();
    let archive_bytes = summary.archive_bytes;
    println!(
        "archive: {} blocks, {:.0} MB, to a folder in {:.2} s ({:.0} MB/s)",
        summary.blocks,
        archive_bytes as f64 / 1e6,
        write.as_secs_f64(),
        archive_bytes as f64 / 1e6 / write.as_secs_f64()
    );
    save_time("archive/write_folder_1gb", write.as_secs_f64() * 1e3);
    save_size("archive/bytes", archive_bytes);
    if let Some(moto) = std::env::var_os("VISER4D_TEST_MOTO") {
        match s3_write(&server, &moto) {
            Ok(d) => {
                println!(
                    "archive: to S3 (moto on loopback) in {:.2} s ({:.0} MB/s)",
                    d.as_secs_f64(),
                    archive_bytes as f64 / 1e6 / d.as_secs_f64()
                );
                save_time("archive/write_s3_1gb", d.as_secs_f64() * 1e3);
            }
            Err(e) => eprintln!("archive: S3 write skipped: {e}"),
        }
    } else {
        println!("archive: VISER4D_TEST_MOTO unset, no S3 row (cargo xtask bench sets it)");
    }
    drop(server);
    // The stock client for the .viser: its page with nothing injected.
    std::fs::write(site.path().join("viser.html"), viser4d_assets::CLIENT_PAGE)
        .expect("the client page");
    let host = static_host::StaticHost::serve(site.path());
    let (proxy, pending) = throttle::Throttle::bind(throttle::Link::OFFICE);
    pending.forward_to(host.port);
    let base = proxy.origin();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let driver = webdriver::ChromeDriver::start();
    rt.block_on(async {
        let tab = driver.session().await;
        let down = proxy.down();
        match time_to_first_step(&tab, &format!("{base}/")).await {
            Some((page_ms, wall)) => {
                let rss = renderer_rss();
                println!(
                    "archive: first step {page_ms:.0} ms after navigation by the page's clock ({:.2} s by the driver's), through the proxy ({:.1} MB moved), tab RSS {:.0} MB",
                    wall.as_secs_f64(),
                    (proxy.down() - down) as f64 / 1e6,
                    rss as f64 / 1e6
                );
                let stats = tab
                    .eval(
                        "const s = window.__viser4dRuntime.stats();
                         return [s.blockRequests, s.blocksReceived, s.lastBlockWaitMs,
                                 s.lastBlockDecodeMs, Array.from(s.applyMs), s.cacheBytes,
                                 performance.timing.domContentLoadedEventEnd - performance.timing.navigationStart,
                                 s.firstShownMs];",
                        vec![],
                    )
                    .await;
                println!(
                    "archive: runtime [requests, received, wait ms, decode ms, apply ms, cache bytes, DOMContentLoaded ms, first shown ms] {stats}"
                );
                save_time("archive/first_step_archive", page_ms);
                save_size("archive/tab_rss_archive", rss);
            }
            None => eprintln!("archive: the archive page showed no step in {PAGE_DEADLINE:?}"),
        }
        // A cold seek to the middle.
        let middle = steps / 2;
        let before = proxy.down();
        let t = Instant::now();
        tab.eval(&format!("window.__viser4dRuntime.seek({middle}); return true;"), vec![])
            .await;
        while t.elapsed() < PAGE_DEADLINE {
            if tab.eval(SHOWN, vec![]).await.as_u64() == Some(u64::from(middle)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let seek_bytes = proxy.down() - before;
        let stats = tab
            .eval(
                "const s = window.__viser4dRuntime.stats();
                 return [s.stateRequests, s.statesReceived, s.blockRequests, s.blocksReceived, s.bytesReceived, s.lastSeekMs];",
                vec![],
            )
            .await;
        println!("archive: after the seek [state requests, states, block requests, blocks, bytes, seek ms] {stats}");
        println!(
            "archive: cold seek to step {middle} moved {:.2} MB in {:.2} s (a step is {:.2} MB raw)",
            seek_bytes as f64 / 1e6,
            t.elapsed().as_secs_f64(),
            step_bytes as f64 / 1e6
        );
        save_size("archive/cold_seek_bytes", seek_bytes);
        save_size("archive/step_bytes", step_bytes);
        let state_bytes = std::fs::read(site.path().join("archive.json"))
            .ok()
            .and_then(|j| viser4d_proto::archive::ArchiveManifest::parse(&j).ok())
            .and_then(|m| {
                m.blocks
                    .iter()
                    .find_map(|b| b.state(middle).map(|s| s.bytes))
            });
        match state_bytes {
            Some(bytes) => {
                println!(
                    "archive: step {middle}'s state file is {:.2} MB (its cloud's creation message, kept in the state, holds the first step's points)",
                    bytes as f64 / 1e6
                );
                save_size("archive/state_bytes", bytes);
            }
            None => println!("archive: step {middle} has no state file"),
        }
        tab.close().await;
        let tab = driver.session().await;
        match time_to_first_step(&tab, &format!("{base}/viser.html?playbackPath=rec.viser")).await {
            Some((page_ms, wall)) => {
                let rss = renderer_rss();
                println!(
                    "archive: the .viser showed its first step {page_ms:.0} ms after navigation ({:.2} s by the driver's clock), tab RSS {:.0} MB",
                    wall.as_secs_f64(),
                    rss as f64 / 1e6
                );
                save_time("archive/first_step_viser", page_ms);
                save_size("archive/tab_rss_viser", rss);
            }
            None => eprintln!("archive: the .viser page showed no step in {PAGE_DEADLINE:?}"),
        }
        tab.close().await;
    });
    println!("archive: total {:.0} s", started.elapsed().as_secs_f64());
}

/// `save_archive` to a fresh moto on loopback.
fn s3_write(server: &Server, moto: &std::ffi::OsStr) -> Result<Duration, String> {
    use std::io::{Read as _, Write as _};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut child = std::process::Command::new(moto)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let result = (|| {
        let started = Instant::now();
        let mut stream = loop {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => break s,
                Err(_) if started.elapsed() < Duration::from_secs(30) => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(format!("moto did not start: {e}")),
            }
        };
        write!(
            stream,
            "PUT /bench HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .map_err(|e| e.to_string())?;
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .map_err(|e| e.to_string())?;
        if !response.starts_with("HTTP/1.1 200") {
            return Err(format!("creating the bucket: {response}"));
        }
        let target = viser4d_server::ArchiveTarget::parse("s3://bench/rec").with_options([
            ("aws_endpoint", format!("http://127.0.0.1:{port}")),
            ("aws_allow_http", "true".into()),
            ("aws_access_key_id", "test".into()),
            ("aws_secret_access_key", "test".into()),
            ("aws_region", "us-east-1".into()),
        ]);
        let t = Instant::now();
        server
            .save_archive(target, 0, None)
            .map_err(|e| e.to_string())?;
        Ok(t.elapsed())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}
