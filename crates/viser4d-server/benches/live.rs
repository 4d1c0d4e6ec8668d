//! Live-edge latency: a program records a 100k-point cloud into an
//! open-ended timeline at 30 Hz while a tab follows the newest step. For
//! each step, the time from the end of its `append_step()` guard to the
//! step applied by the tab's runtime.
//!
//! The tab is a loopback WebSocket client running the browser runtime's
//! own controller (`shared/tab.rs`).
//!
//! Prints the figures and writes them where `cargo xtask bench` reads
//! criterion's (`target/criterion/live/latency_{p50,p95}/new/estimates.json`).
//! `LIVE_STEPS` sets how many steps are recorded (default 300, 10 s);
//! `LIVE_TRACE=1` prints every timeline message the tab handles.
//!
//! Then an hour of the same stream in simulated time (recorded as fast as
//! it goes, no tab), with a byte-budget retention: the process's RSS is
//! sampled every simulated three minutes and must stay flat under the
//! budget. `LIVE_HOUR_STEPS` sets its length (default 108,000 steps, one
//! hour at 30 Hz; 0 skips it).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use viser4d_runtime_wasm::controller::Controller;
use viser4d_server::Server;
use viser4d_server::scene::{PointCloudHandle, PointCloudOptions, PointColors};

#[path = "shared/tab.rs"]
mod tab;

const POINTS: usize = 100_000;
const HZ: f64 = 30.0;
/// No run lasts longer than this, whatever happens.
const DEADLINE: Duration = Duration::from_secs(120);

fn cloud(t: u32) -> Vec<[f32; 3]> {
    let phase = t as f32 * 0.05;
    (0..POINTS)
        .map(|i| {
            let a = i as f32 * 0.001 + phase;
            [
                a.cos() * (1.0 + i as f32 * 1e-5),
                a.sin(),
                (i % 100) as f32 * 0.01,
            ]
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn save(row: &str, ms: f64) {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("criterion")
        .join(row)
        .join("new");
    let json = format!("{{\"mean\":{{\"point_estimate\":{}}}}}", ms * 1e6);
    if let Err(error) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("estimates.json"), json))
    {
        eprintln!("cannot save {row}: {error}");
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it short.
    let quick = std::env::args().any(|a| a == "--test");
    let steps: u32 = std::env::var("LIVE_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 20 } else { 300 });
    let server = Server::builder()
        .host("127.0.0.1")
        .port(0)
        .fps(HZ)
        .start()
        .expect("starting the server (the bundle comes from `cargo xtask dist`)");
    let port = server.port();
    let clouds: Vec<Vec<[f32; 3]>> = (0..8).map(cloud).collect();
    let shown: Arc<Mutex<BTreeMap<u32, Instant>>> = Arc::default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a client runtime");
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let tab_shown = shown.clone();
    let trace = std::env::var_os("LIVE_TRACE").is_some();
    let tab = runtime.spawn(async move {
        let socket = tab::connect(port).await;
        let mut controller = Controller::new();
        let mut last_shown = None;
        let mut ready = Some(ready_tx);
        tab::drive(socket, &mut controller, trace, |controller, _| {
            if controller.configured()
                && controller.player().following()
                && let Some(tx) = ready.take()
            {
                let _ = tx.send(());
            }
            if controller.shown() != last_shown {
                last_shown = controller.shown();
                if let Some(step) = last_shown {
                    let now = Instant::now();
                    let mut shown = tab_shown.lock().unwrap_or_else(|p| p.into_inner());
                    shown.entry(step).or_insert(now);
                }
            }
            true
        })
        .await;
    });
    ready_rx
        .recv_timeout(DEADLINE)
        .expect("the tab to connect and follow");

    // Record at 30 Hz; note when each step's guard ends.
    let period = Duration::from_secs_f64(1.0 / HZ);
    let started = Instant::now();
    let mut ended = Vec::with_capacity(steps as usize);
    let mut handle = None;
    for t in 0..steps {
        let due = started + period * t;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        append(&server, &mut handle, &clouds[t as usize % clouds.len()]);
        ended.push(Instant::now());
        if std::env::var_os("LIVE_TRACE").is_some() {
            eprintln!(
                "{:>10.1} guard {t} ended",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
    // Wait for the last step, within the deadline.
    let last = steps - 1;
    let waited = Instant::now();
    while !shown
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains_key(&last)
        && waited.elapsed() < Duration::from_secs(10).min(DEADLINE)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    tab.abort();
    let shown = shown.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut latencies: Vec<f64> = ended
        .iter()
        .enumerate()
        .filter_map(|(t, end)| {
            let at = shown.get(&(t as u32))?;
            Some(at.saturating_duration_since(*end).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let (p50, p95, max) = (
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95),
        latencies.last().copied().unwrap_or(f64::NAN),
    );
    let recorded_secs = ended
        .last()
        .map_or(0.0, |e| e.duration_since(started).as_secs_f64());
    println!(
        "live edge, {POINTS} points at {HZ} Hz, {steps} steps in {recorded_secs:.1} s: step shown {} of {steps}; latency from the guard's end to the step applied: p50 {p50:.1} ms, p95 {p95:.1} ms, max {max:.1} ms (goal p95 < 50 ms)",
        latencies.len()
    );
    if !quick {
        save("live/latency_p50", p50);
        save("live/latency_p95", p95);
    }
    server.stop();
    let hour_steps: u32 = std::env::var("LIVE_HOUR_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 600 } else { 108_000 });
    if hour_steps > 0 {
        hour(hour_steps, &clouds);
    }
}

/// Records one step: the cloud's points (created by the first step).
fn append(server: &Server, cloud: &mut Option<PointCloudHandle>, points: &[[f32; 3]]) {
    let _step = server.append_step().expect("a step");
    match cloud {
        Some(c) => c.set_points(points).expect("points"),
        None => {
            let handle = server
                .scene()
                .add_point_cloud(
                    "/cloud",
                    points,
                    PointColors::Uniform([200, 80, 40]),
                    PointCloudOptions::default(),
                )
                .expect("the cloud");
            *cloud = Some(handle);
        }
    }
}

/// The retention limit of the simulated hour.
const HOUR_RETENTION_BYTES: u64 = 192 << 20;

/// The process's resident set, bytes (Linux; 0 elsewhere).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// `steps` steps of the 100k-point stream at simulated 30 Hz, kept to
/// [`HOUR_RETENTION_BYTES`].
fn hour(steps: u32, clouds: &[Vec<[f32; 3]>]) {
    use viser4d_server::Retention;
    let server = Server::builder()
        .host("127.0.0.1")
        .port(0)
        .fps(HZ)
        .retention(Retention::MaxBytes(HOUR_RETENTION_BYTES))
        .start()
        .expect("starting the server");
    let baseline = rss_bytes();
    let sample_every = (HZ * 180.0) as u32; // three simulated minutes
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut cloud = None;
    for t in 0..steps {
        append(&server, &mut cloud, &clouds[t as usize % clouds.len()]);
        if (t + 1).is_multiple_of(sample_every) || t + 1 == steps {
            samples.push((t + 1, rss_bytes()));
        }
        if started.elapsed() > Duration::from_secs(900) {
            println!("simulated hour: stopped at step {t} after 15 minutes");
            break;
        }
    }
    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    let line: Vec<String> = samples
        .iter()
        .map(|(t, rss)| format!("{:.0} min {:.0} MiB", f64::from(*t) / HZ / 60.0, mib(*rss)))
        .collect();
    let peak = samples.iter().map(|(_, r)| *r).max().unwrap_or(0);
    let after_first = samples.get(1..).unwrap_or_default();
    let (low, high) = after_first
        .iter()
        .fold((u64::MAX, 0), |(lo, hi), (_, r)| (lo.min(*r), hi.max(*r)));
    println!(
        "simulated hour, {POINTS} points at {HZ} Hz, retention {:.0} MiB: {} steps recorded in {:.0} s; RSS before {:.0} MiB, peak {:.0} MiB, from 6 min on {:.0}..{:.0} MiB; {}",
        mib(HOUR_RETENTION_BYTES),
        samples.last().map_or(0, |(t, _)| *t),
        started.elapsed().as_secs_f64(),
        mib(baseline),
        mib(peak),
        mib(if low == u64::MAX { 0 } else { low }),
        mib(high),
        line.join(", ")
    );
    server.stop();
}
