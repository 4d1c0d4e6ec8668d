//! What a tab sees across a slow link, our fetching against the design
//! before it, on the same recordings: every tab runs the browser runtime's
//! controller (`shared/tab.rs`) through the throttling proxy (100 Mbit/s, 20 ms
//! each way), and the bytes that cross it are counted.
//!
//! - **Cold seek**: a fresh tab shows step 0, then jumps into the middle.
//!   Bytes through the link, and ms from the seek to the step applied.
//!   The yardstick is the target step's encoded state (what a tab asked
//!   to fetch one gets).
//! - **Playback**: 10 s at 1x from a fresh tab's play: steps shown against
//!   steps due, and how often playback ran dry (stalls).
//!
//! "Before" is the runtime with [`Fetching::BLOCKS_ON_DEMAND`]: whole
//! blocks, each asked for when the next step needs it. "Ours" is the
//! default: one step's state for a jump into a heavy block, blocks read
//! ahead by time, and holds until a second is buffered.
//!
//! Prints the figures and writes them to `target/criterion/network.json`
//! for `cargo xtask bench`. `NETWORK_TRACE=1` prints every timeline message
//! a tab handles; `--test` (as `cargo test --benches` passes) runs short.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use viser4d_runtime_wasm::controller::{Controller, Fetching, Sink as _, Stats};
use viser4d_server::Server;
use viser4d_server::scene::{PointCloudOptions, PointColors};

#[path = "../tests/it/noise.rs"]
mod noise;
#[path = "shared/tab.rs"]
mod tab;
#[path = "../tests/it/throttle.rs"]
#[allow(dead_code)]
mod throttle;
#[allow(dead_code)]
#[path = "shared/workloads.rs"]
mod workloads;

use throttle::{Link, Throttle};

/// No measurement lasts longer than this, whatever happens.
const DEADLINE: Duration = Duration::from_secs(90);

/// Points of the heavy cloud (f16 positions, new noise every step).
const CLOUD_POINTS: usize = 200_000;

fn server(num_steps: u32, fps: f64) -> Server {
    Server::builder()
        .host("127.0.0.1")
        .port(0)
        .num_steps(num_steps)
        .fps(fps)
        .start()
        .expect("starting the server (the bundle comes from `cargo xtask dist`)")
}

/// `num_steps` steps of `/cloud` = `points(t)`.
fn recorded(num_steps: u32, fps: f64, points: impl Fn(u32) -> Vec<[f32; 3]>) -> Server {
    let server = server(num_steps, fps);
    let cloud = {
        let _t = server.at(0).expect("step 0");
        server
            .scene()
            .add_point_cloud(
                "/cloud",
                &points(0),
                PointColors::Uniform([255, 0, 0]),
                PointCloudOptions::default(),
            )
            .expect("the cloud")
    };
    for t in 1..num_steps {
        let _t = server.at(t).expect("a step");
        cloud.set_points(&points(t)).expect("points");
    }
    server
}

/// What one tab measured.
#[derive(Debug, Clone, Copy)]
struct Seen {
    /// Bytes from the server through the link, in the measured phase.
    bytes_down: u64,
    /// Bytes of states received in the measured phase.
    state_bytes: u64,
    ms: f64,
    steps_shown: u64,
    steps_due: u64,
    stalls: u64,
}

enum Phase {
    /// Until the first step is shown.
    Opening,
    Measuring {
        started_ms: f64,
        down: u64,
        before: Stats,
    },
}

/// A fresh tab through a new proxy to `server`: once it shows step 0, it
/// seeks to `target`, measured until that step is applied.
fn cold_seek(server: &Server, fetching: Fetching, target: u32) -> Seen {
    through_the_link(
        server,
        fetching,
        |controller, sink| controller.seek(target, sink),
        |controller, _| controller.shown() == Some(target),
    )
}

/// A fresh tab through a new proxy to `server`: once it shows step 0, it
/// plays for `secs` at 1x.
fn playback(server: &Server, fetching: Fetching, secs: f64) -> Seen {
    through_the_link(
        server,
        fetching,
        |controller, sink| controller.play(Some(1.0), Some(false), sink),
        |_, elapsed_ms| elapsed_ms >= secs * 1000.0,
    )
}

/// Opens a tab through a fresh proxy; when it shows step 0, `start` begins
/// the measured phase, which ends when `done` (given the ms since) says so.
fn through_the_link(
    server: &Server,
    fetching: Fetching,
    start: impl FnOnce(&mut Controller, &mut tab::TabSink),
    done: impl Fn(&Controller, f64) -> bool,
) -> Seen {
    let (proxy, pending) = Throttle::bind(Link::OFFICE);
    pending.forward_to(server.port());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tab runtime");
    let trace = std::env::var_os("NETWORK_TRACE").is_some();
    let fps = server.fps().expect("a timeline");
    let mut seen = None;
    let mut start = Some(start);
    let opened = Instant::now();
    runtime.block_on(async {
        let socket = tab::connect(proxy.port).await;
        let mut controller = Controller::with_fetching(fetching);
        let mut phase = Phase::Opening;
        tab::drive(socket, &mut controller, trace, |controller, sink| {
            assert!(
                opened.elapsed() < DEADLINE,
                "a tab measured nothing in {DEADLINE:?} (shown {:?})",
                controller.shown()
            );
            match &phase {
                Phase::Opening => {
                    if controller.shown() == Some(0)
                        && let Some(start) = start.take()
                    {
                        phase = Phase::Measuring {
                            started_ms: sink.now_ms(),
                            down: proxy.down(),
                            before: controller.stats().clone(),
                        };
                        start(controller, sink);
                    }
                    true
                }
                Phase::Measuring {
                    started_ms,
                    down,
                    before,
                } => {
                    let elapsed = sink.now_ms() - started_ms;
                    if !done(controller, elapsed) {
                        return true;
                    }
                    let now = controller.stats();
                    let last = controller.player().num_steps().saturating_sub(1);
                    seen = Some(Seen {
                        bytes_down: proxy.down() - down,
                        state_bytes: if now.states_received > before.states_received {
                            now.bytes_received - before.bytes_received
                        } else {
                            0
                        },
                        ms: elapsed,
                        steps_shown: now.steps_applied - before.steps_applied,
                        steps_due: ((elapsed / 1000.0 * fps).floor() as u64).min(u64::from(last)),
                        stalls: now.stalls - before.stalls,
                    });
                    false
                }
            }
        })
        .await;
    });
    seen.expect("the tab's connection closed before it measured")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let mut figures: BTreeMap<String, f64> = BTreeMap::new();
    let designs = [
        ("ours", Fetching::default()),
        ("before", Fetching::BLOCKS_ON_DEMAND),
    ];
    // A state is what a tab asked for one gets, whatever the block weighs.
    let state_only = Fetching {
        state_first_min_bytes: Some(0),
        ..Fetching::default()
    };

    let cloud_steps = if quick { 12 } else { 90 };
    let seeks: [(&str, Server, u32); 2] = [
        (
            "cloud_200k",
            recorded(cloud_steps, 5.0, |t| noise::noisy_cloud(t, CLOUD_POINTS)),
            cloud_steps / 2 + 1,
        ),
        ("heavy", workloads::heavy(), 150),
    ];
    for (workload, server, target) in &seeks {
        let state = cold_seek(server, state_only, *target).state_bytes;
        figures.insert(format!("seek/{workload}/state_bytes"), state as f64);
        for (design, fetching) in designs {
            let seen = cold_seek(server, fetching, *target);
            println!(
                "cold seek to step {target}, {workload}, {design}: {} bytes through the link ({:.2}x the step's {state}-byte state), applied after {:.0} ms",
                seen.bytes_down,
                seen.bytes_down as f64 / state.max(1) as f64,
                seen.ms
            );
            figures.insert(
                format!("seek/{workload}/{design}/bytes"),
                seen.bytes_down as f64,
            );
            figures.insert(format!("seek/{workload}/{design}/ms"), seen.ms);
        }
    }
    drop(seeks);

    let secs = if quick { 2.0 } else { 10.0 };
    let playbacks: [(&str, Server); 2] = [
        (
            "light_600_at_10fps",
            recorded(600, 10.0, |t| {
                vec![[t as f32, 0.0, 0.0], [t as f32, 1.0, 0.0]]
            }),
        ),
        (
            "cloud_200k_at_5fps",
            recorded(cloud_steps, 5.0, |t| noise::noisy_cloud(t, CLOUD_POINTS)),
        ),
    ];
    for (workload, server) in &playbacks {
        for (design, fetching) in designs {
            let seen = playback(server, fetching, secs);
            println!(
                "playback {secs} s at 1x, {workload}, {design}: {} steps shown of {} due, {} stalls, {} bytes through the link",
                seen.steps_shown, seen.steps_due, seen.stalls, seen.bytes_down
            );
            let key = |what: &str| format!("playback/{workload}/{design}/{what}");
            figures.insert(key("shown"), seen.steps_shown as f64);
            figures.insert(key("due"), seen.steps_due as f64);
            figures.insert(key("stalls"), seen.stalls as f64);
        }
    }
    if quick {
        return;
    }
    let path = target_dir().join("criterion").join("network.json");
    let json = serde_json::to_string(&figures).expect("figures as JSON");
    if let Err(error) = std::fs::create_dir_all(path.parent().unwrap_or(&path))
        .and_then(|()| std::fs::write(&path, json))
    {
        eprintln!("cannot save {}: {error}", path.display());
    }
}
