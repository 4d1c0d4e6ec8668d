//! `cargo xtask load [SCENARIO...]`: the load harness. It builds
//! `load_target` (an example program: a real server in its own process),
//! then drives it from here with WebSocket tabs on loopback and reads the
//! server's RSS, threads and file descriptors from `/proc` and its tabs,
//! queued bytes and tasks from its `stats` answer.
//!
//! Scenarios (every loop bounded in count and in time):
//! - `idle`: 10,000 tabs connect, read their replay and stay: server RSS per tab.
//! - `live`: 100 tabs on a 100k-point cloud updated at 30 Hz: updates each
//!   tab receives per second.
//! - `stalled`: the same cloud, 20 reading tabs and one that never reads:
//!   the silent one is dropped at its backlog budget, the others unaffected.
//! - `churn`: 10,000 tabs that connect and vanish (before the handshake,
//!   mid-replay, after one frame): RSS, threads, descriptors and tasks after.
//! - `seek`: 20 tabs on a live 30 Hz cloud while another tab fetches every
//!   cold block of a timeline of 200k-point steps: p99 gap between live frames.
//!
//! Machines are shared and noisy: the figures are for reading, not asserting.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use viser4d_proto::timeline::{ClientMessage, TimelineBlockRequest, TimelineReady};

use crate::{process, progress, workspace::Workspace};

const SCENARIOS: [&str; 5] = ["idle", "live", "stalled", "churn", "seek"];
/// Connections opened at once.
const CONCURRENCY: usize = 200;
/// The server's default backlog budget a tab (`ServerBuilder::client_backlog_bytes`).
const BACKLOG_BUDGET: u64 = 256 << 20;
/// No scenario runs longer than this, whatever happens.
const SCENARIO_DEADLINE: Duration = Duration::from_secs(240);

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

pub fn run(workspace: &Workspace, args: &[String]) -> Result<()> {
    for arg in args {
        if !SCENARIOS.contains(&arg.as_str()) {
            bail!(
                "`cargo xtask load`: unknown scenario {arg:?} (known: {})",
                SCENARIOS.join(", ")
            );
        }
    }
    let chosen: Vec<&str> = if args.is_empty() {
        SCENARIOS.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    process::run(workspace.cargo().args([
        "build",
        "--release",
        "-p",
        "viser4d-examples",
        "--bin",
        "load_target",
    ]))?;
    // Another build of the target (an older commit's, say) for a before and
    // after comparison under the same harness.
    let binary = match std::env::var_os("VISER4D_LOAD_TARGET") {
        Some(path) => std::path::PathBuf::from(path),
        None => workspace.target_dir.join("release").join("load_target"),
    };
    println!("load: target {}", binary.display());
    let limit = raise_fd_limit();
    println!("load: file descriptors allowed per process: {limit}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut report = Vec::new();
    for scenario in chosen {
        println!("\n==> load: {scenario}");
        let run = async {
            match scenario {
                "idle" => idle(&binary, limit).await,
                "live" => live(&binary).await,
                "stalled" => stalled(&binary).await,
                "churn" => churn(&binary, limit).await,
                "seek" => seek(&binary).await,
                _ => unreachable!("checked above"),
            }
        };
        let lines = runtime
            .block_on(async { tokio::time::timeout(SCENARIO_DEADLINE, run).await })
            .with_context(|| format!("scenario {scenario} ran past its deadline"))??;
        for line in &lines {
            println!("{scenario}: {line}");
        }
        report.extend(lines.into_iter().map(|l| format!("{scenario:<8} {l}")));
    }
    println!("\nload report");
    for line in report {
        println!("  {line}");
    }
    Ok(())
}

/// Raises this process's soft descriptor limit to its hard limit (and, as
/// root, the hard limit too); children inherit it. Returns the soft limit.
fn raise_fd_limit() -> u64 {
    let read = || -> Option<(u64, u64)> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        let mut words = line.split_whitespace().skip(3);
        Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
    };
    let Some((soft, hard)) = read() else {
        return 1024;
    };
    let pid = std::process::id().to_string();
    for wanted in [1 << 20, hard] {
        if wanted <= soft {
            break;
        }
        let ok = Command::new("prlimit")
            .args([
                "--pid",
                &pid,
                &format!("--nofile={wanted}:{}", wanted.max(hard)),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            break;
        }
    }
    read().map_or(soft, |(soft, _)| soft)
}

/// The server process under load.
struct Target {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    port: u16,
}

/// What `/proc` and the server say about it at one moment.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    rss: u64,
    threads: u64,
    fds: u64,
    tabs: u64,
    queued: u64,
    tasks: u64,
}

impl Target {
    fn start(binary: &std::path::Path, args: &[&str]) -> Result<Target> {
        let mut child = Command::new(binary)
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdin = child.stdin.take().context("no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().context("no stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .with_context(|| format!("load_target said {line:?}, not `listening PORT`"))?;
        Ok(Target {
            child,
            stdin,
            stdout,
            port,
        })
    }

    fn sample(&mut self) -> Result<Sample> {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count) as u64;
        writeln!(self.stdin, "stats")?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        let stat = |name: &str| -> u64 {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok(Sample {
            rss: field("VmRSS:") * 1024,
            threads: field("Threads:"),
            fds,
            tabs: stat("tabs"),
            queued: stat("queued"),
            tasks: stat("tasks"),
        })
    }

    /// Samples until `done` says yes or `within` passes; the last sample.
    async fn settle(&mut self, within: Duration, done: impl Fn(&Sample) -> bool) -> Result<Sample> {
        let deadline = Instant::now() + within;
        loop {
            let sample = self.sample()?;
            if done(&sample) || Instant::now() >= deadline {
                return Ok(sample);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        writeln!(self.stdin, "quit").ok();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

async fn connect(port: u16) -> Result<Ws> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    handshake(stream, port).await
}

async fn handshake(stream: TcpStream, port: u16) -> Result<Ws> {
    let mut request = format!("ws://127.0.0.1:{port}/").into_client_request()?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(viser4d_proto::SUBPROTOCOL),
    );
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(512 << 20);
    config.max_frame_size = Some(512 << 20);
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(30),
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)),
    )
    .await
    .context("the WebSocket handshake timed out")??;
    Ok(ws)
}

/// Opens `count` tabs, [`CONCURRENCY`] at a time, each reading until its
/// first binary frame; returns them open.
async fn open_tabs(port: u16, count: usize) -> Result<Vec<Ws>> {
    let mut tabs = Vec::with_capacity(count);
    let mut pending = futures_util::stream::iter(0..count)
        .map(|_| async move {
            let mut ws = connect(port).await?;
            loop {
                match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
                    Ok(Some(Ok(WsMessage::Binary(_)))) => return Ok::<Ws, anyhow::Error>(ws),
                    Ok(Some(Ok(_))) => continue,
                    Ok(Some(Err(e))) => return Err(e.into()),
                    Ok(None) => bail!("closed before its replay"),
                    Err(_) => bail!("no replay within 30 s"),
                }
            }
        })
        .buffer_unordered(CONCURRENCY);
    while let Some(tab) = pending.next().await {
        tabs.push(tab?);
    }
    Ok(tabs)
}

/// Reads `tabs` until `stop`, counting for each the frames of at least
/// `big` bytes and the gaps between them (ms), from when `measure` is set.
fn spawn_readers(
    tabs: Vec<Ws>,
    big: usize,
    stop: Arc<AtomicBool>,
    measure: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<(u64, u64, Vec<f64>)>> {
    tabs.into_iter()
        .map(|mut ws| {
            let stop = stop.clone();
            let measure = measure.clone();
            tokio::spawn(async move {
                let (mut count, mut bytes, mut gaps) = (0u64, 0u64, Vec::new());
                let mut last: Option<Instant> = None;
                while !stop.load(Ordering::Relaxed) {
                    let next = tokio::time::timeout(Duration::from_millis(100), ws.next()).await;
                    let message = match next {
                        Err(_) => continue,
                        Ok(Some(Ok(m))) => m,
                        Ok(_) => break,
                    };
                    if let WsMessage::Binary(data) = message
                        && measure.load(Ordering::Relaxed)
                    {
                        bytes += data.len() as u64;
                        if data.len() >= big {
                            count += 1;
                            let now = Instant::now();
                            if let Some(last) = last {
                                gaps.push((now - last).as_secs_f64() * 1000.0);
                            }
                            last = Some(now);
                        }
                    }
                }
                (count, bytes, gaps)
            })
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

async fn idle(binary: &std::path::Path, fd_limit: u64) -> Result<Vec<String>> {
    let count = 10_000usize.min(fd_limit.saturating_sub(200) as usize);
    let mut target = Target::start(binary, &["--cloud", "1000"])?;
    let before = target.sample()?;
    let started = Instant::now();
    let tabs = open_tabs(target.port, count).await?;
    let opened = started.elapsed();
    let after = target
        .settle(Duration::from_secs(20), |s| {
            s.tabs as usize >= count && s.queued == 0
        })
        .await?;
    let per_tab = after.rss.saturating_sub(before.rss) / count as u64;
    let mut lines = vec![
        format!(
            "{} tabs open in {:.1} s; server RSS {} -> {} ({} KiB per tab; goal: all under 1 GiB)",
            after.tabs,
            opened.as_secs_f64(),
            progress::bytes(before.rss),
            progress::bytes(after.rss),
            per_tab / 1024
        ),
        format!(
            "server threads {}, descriptors {}, tasks {}",
            after.threads, after.fds, after.tasks
        ),
    ];
    if count < 10_000 {
        lines.push(format!(
            "only {count} tabs: this process may open {fd_limit} descriptors"
        ));
    }
    drop(tabs);
    let gone = target
        .settle(Duration::from_secs(20), |s| s.tabs == 0)
        .await?;
    lines.push(format!(
        "all closed: tabs {}, tasks {}, descriptors {}, RSS {}",
        gone.tabs,
        gone.tasks,
        gone.fds,
        progress::bytes(gone.rss)
    ));
    Ok(lines)
}

/// `tabs` reading a `points`-point cloud at 30 Hz for `seconds`: updates per
/// tab per second (min, median, max) and the bytes that moved.
async fn live_rates(
    target: &mut Target,
    tabs: Vec<Ws>,
    points: usize,
    seconds: f64,
) -> Result<(Vec<f64>, u64, Sample)> {
    let stop = Arc::new(AtomicBool::new(false));
    let measure = Arc::new(AtomicBool::new(false));
    // A live update carries at least its positions (float16: 6 bytes a point).
    let readers = spawn_readers(tabs, points * 6, stop.clone(), measure.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    measure.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let mut peak = Sample::default();
    while started.elapsed().as_secs_f64() < seconds {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let s = target.sample()?;
        peak.rss = peak.rss.max(s.rss);
        peak.queued = peak.queued.max(s.queued);
        peak.tabs = s.tabs;
    }
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut rates = Vec::new();
    let mut bytes = 0;
    for reader in readers {
        let (count, b, _) = reader.await?;
        rates.push(count as f64 / elapsed);
        bytes += b;
    }
    rates.sort_by(f64::total_cmp);
    Ok((rates, bytes, peak))
}

fn rates_line(rates: &[f64], bytes: u64, seconds: f64) -> String {
    format!(
        "updates per tab per second: min {:.1}, median {:.1}, max {:.1} (goal >= 29); {:.0} MB/s received in all",
        rates.first().copied().unwrap_or(0.0),
        percentile(rates, 0.5),
        rates.last().copied().unwrap_or(0.0),
        bytes as f64 / seconds / 1e6
    )
}

async fn live(binary: &std::path::Path) -> Result<Vec<String>> {
    const TABS: usize = 100;
    const POINTS: usize = 100_000;
    const SECONDS: f64 = 10.0;
    let mut lines = Vec::new();
    for (tabs, points) in [(TABS, POINTS), (TABS, 10_000), (10, POINTS)] {
        let points_arg = points.to_string();
        let mut target = Target::start(binary, &["--live", &points_arg, "--hz", "30"])?;
        let open = open_tabs(target.port, tabs).await?;
        let (rates, bytes, peak) = live_rates(&mut target, open, points, SECONDS).await?;
        lines.push(format!(
            "{tabs} tabs, {points} points at 30 Hz: {}; server peak RSS {}",
            rates_line(&rates, bytes, SECONDS),
            progress::bytes(peak.rss)
        ));
    }
    Ok(lines)
}

async fn stalled(binary: &std::path::Path) -> Result<Vec<String>> {
    const READERS: usize = 20;
    const POINTS: usize = 100_000;
    const SECONDS: f64 = 10.0;
    let mut target = Target::start(binary, &["--live", "100000", "--hz", "30"])?;
    let readers = open_tabs(target.port, READERS).await?;
    // The silent tab: a small receive buffer, read once (its replay), then never.
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(64 << 10)?;
    let stream = socket.connect(([127, 0, 0, 1], target.port).into()).await?;
    let silent = handshake(stream, target.port).await?;
    let (rates, bytes, peak) = live_rates(&mut target, readers, POINTS, SECONDS).await?;
    // `peak.tabs` is the last count while the readers were still reading.
    let after = peak;
    drop(silent);
    Ok(vec![
        format!(
            "{READERS} reading tabs and one that never reads: {}",
            rates_line(&rates, bytes, SECONDS)
        ),
        format!(
            "the silent tab: {} (tabs connected at the end {} of {}); peak queued for all tabs {} (budget {} a tab: its updates of one cloud coalesce, so its backlog stays one update), peak server RSS {}",
            if after.tabs as usize <= READERS {
                "dropped by the server"
            } else {
                "still connected, holding one update"
            },
            after.tabs,
            READERS + 1,
            progress::bytes(peak.queued),
            progress::bytes(BACKLOG_BUDGET),
            progress::bytes(peak.rss)
        ),
    ])
}

/// One tab that connects and goes away in the way `kind` picks.
async fn vanish(port: u16, kind: usize) -> Result<()> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    if kind == 0 {
        // Gone before the handshake.
        return Ok(());
    }
    let mut ws = handshake(stream, port).await?;
    match kind {
        // Mid-replay: the server is writing the scene.
        1 => {}
        // After its first frame, without a close frame.
        2 => {
            tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await
                .ok();
        }
        // A polite close after the first frame.
        _ => {
            tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await
                .ok();
            ws.close(None).await.ok();
        }
    }
    Ok(())
}

async fn churn(binary: &std::path::Path, fd_limit: u64) -> Result<Vec<String>> {
    const TABS: usize = 10_000;
    let _ = fd_limit;
    let mut target = Target::start(binary, &["--cloud", "20000"])?;
    let run = |count: usize, port: u16| async move {
        let failures = AtomicU64::new(0);
        futures_util::stream::iter(0..count)
            .for_each_concurrent(CONCURRENCY, |i| {
                let failures = &failures;
                async move {
                    if vanish(port, i % 4).await.is_err() {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .await;
        failures.into_inner()
    };
    // A first round warms the allocator and the runtime's worker pool, so
    // what is compared after is growth, not first use.
    run(1_000, target.port).await;
    let before = target
        .settle(Duration::from_secs(20), |s| s.tabs == 0 && s.queued == 0)
        .await?;
    let started = Instant::now();
    let failures = run(TABS, target.port).await;
    let took = started.elapsed();
    let after = target
        .settle(Duration::from_secs(20), |s| {
            s.tabs == 0 && s.tasks <= before.tasks && s.fds <= before.fds
        })
        .await?;
    Ok(vec![
        format!(
            "{TABS} tabs connected and vanished in {:.1} s (a quarter each: before the handshake, mid-replay, after one frame, with a close); {failures} could not connect",
            took.as_secs_f64()
        ),
        format!(
            "before -> after: RSS {} -> {}, threads {} -> {}, descriptors {} -> {}, tasks {} -> {}, tabs {} -> {}",
            progress::bytes(before.rss),
            progress::bytes(after.rss),
            before.threads,
            after.threads,
            before.fds,
            after.fds,
            before.tasks,
            after.tasks,
            before.tabs,
            after.tabs
        ),
    ])
}

fn client_message(message: ClientMessage) -> Result<WsMessage> {
    let value = message.to_value()?;
    let bytes = viser4d_proto::encode_client_message(&viser4d_proto::AnyMessage::Custom(value))?;
    Ok(WsMessage::Binary(bytes.into()))
}

async fn seek(binary: &std::path::Path) -> Result<Vec<String>> {
    let mut lines = seek_through(binary, 64, "in memory").await?;
    // Past the store's memory budget (256 MiB): blocks spill to disk.
    lines.extend(seek_through(binary, 160, "past the memory budget, spilled").await?);
    Ok(lines)
}

async fn seek_through(binary: &std::path::Path, steps: u32, what: &str) -> Result<Vec<String>> {
    const TABS: usize = 20;
    const LIVE_POINTS: usize = 10_000;
    const BLOCK: u32 = 4;
    let mut target = Target::start(
        binary,
        &[
            "--live",
            "10000",
            "--hz",
            "30",
            "--timeline-points",
            "200000",
            "--steps",
            &steps.to_string(),
            "--block-size",
            &BLOCK.to_string(),
        ],
    )?;
    let tabs = open_tabs(target.port, TABS).await?;
    let quiet = gaps_while(tabs, LIVE_POINTS * 6, async {
        tokio::time::sleep(Duration::from_secs(4)).await;
        Ok(0)
    })
    .await?;
    let tabs = open_tabs(target.port, TABS).await?;
    let port = target.port;
    let seeking = gaps_while(tabs, LIVE_POINTS * 6, async move {
        let mut ws = connect(port).await?;
        ws.send(client_message(
            TimelineReady::new(env!("CARGO_PKG_VERSION")).into(),
        )?)
        .await?;
        let mut received = 0u32;
        for index in 0..steps / BLOCK {
            ws.send(client_message(TimelineBlockRequest { index }.into())?)
                .await?;
            // The block is the one frame far larger than a live update.
            loop {
                let next = tokio::time::timeout(Duration::from_secs(30), ws.next())
                    .await
                    .context("a block took over 30 s")?;
                match next {
                    Some(Ok(WsMessage::Binary(data))) if data.len() > 1 << 20 => break,
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                    None => bail!("the seeking tab was closed"),
                }
            }
            received += 1;
        }
        Ok(received)
    })
    .await?;
    let sample = target.sample()?;
    let line = |name: &str, g: &Gaps| {
        format!(
            "{name}: gap between live frames at {TABS} tabs: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} gaps)",
            g.p50, g.p99, g.max, g.count
        )
    };
    Ok(vec![
        line(&format!("{steps} steps {what}, quiet"), &quiet),
        line(
            &format!(
                "{steps} steps {what}, while one tab fetched {} cold blocks of {BLOCK} x 200k points in {:.1} s",
                seeking.work, seeking.seconds
            ),
            &seeking,
        ),
        format!("server RSS after {}", progress::bytes(sample.rss)),
    ])
}

struct Gaps {
    p50: f64,
    p99: f64,
    max: f64,
    count: usize,
    work: u32,
    seconds: f64,
}

/// The gaps between live frames at `tabs` while `work` runs.
async fn gaps_while(
    tabs: Vec<Ws>,
    big: usize,
    work: impl std::future::Future<Output = Result<u32>>,
) -> Result<Gaps> {
    let stop = Arc::new(AtomicBool::new(false));
    let measure = Arc::new(AtomicBool::new(false));
    let readers = spawn_readers(tabs, big, stop.clone(), measure.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    measure.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let work = work.await?;
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut gaps = Vec::new();
    for reader in readers {
        gaps.extend(reader.await?.2);
    }
    gaps.sort_by(f64::total_cmp);
    Ok(Gaps {
        p50: percentile(&gaps, 0.5),
        p99: percentile(&gaps, 0.99),
        max: gaps.last().copied().unwrap_or(f64::NAN),
        count: gaps.len(),
        work,
        seconds,
    })
}
