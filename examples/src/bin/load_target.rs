//! The server `cargo xtask load` puts under load: a scene sized by flags, a
//! live point cloud updated at a fixed rate, optionally a timeline of large
//! clouds. It prints `listening PORT` once serving, answers each `stats` line
//! on stdin with one line of [`viser4d::ServerStats`], and exits on `quit`
//! or when stdin closes (so it never outlives the harness).
//!
//! ```text
//! load_target [--port N] [--cloud POINTS] [--live POINTS] [--hz RATE]
//!             [--timeline-points POINTS --steps N --block-size N]
//! ```

use std::io::BufRead as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use viser4d::Server;
use viser4d::scene::{PointCloudOptions, PointColors};

#[derive(Debug, Default)]
struct Args {
    port: u16,
    cloud: usize,
    live: usize,
    hz: f64,
    timeline_points: usize,
    steps: u32,
    block_size: u32,
}

fn parse() -> Result<Args> {
    let mut args = Args {
        hz: 30.0,
        steps: 64,
        block_size: 4,
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        let bad = || format!("{flag} {value:?} is not a valid number");
        match flag.as_str() {
            "--port" => args.port = value.parse().with_context(bad)?,
            "--cloud" => args.cloud = value.parse().with_context(bad)?,
            "--live" => args.live = value.parse().with_context(bad)?,
            "--hz" => args.hz = value.parse().with_context(bad)?,
            "--timeline-points" => args.timeline_points = value.parse().with_context(bad)?,
            "--steps" => args.steps = value.parse().with_context(bad)?,
            "--block-size" => args.block_size = value.parse().with_context(bad)?,
            other => bail!("unknown option {other:?}"),
        }
    }
    if !(args.hz > 0.0 && args.hz <= 1000.0) {
        bail!("--hz must be in (0, 1000]");
    }
    Ok(args)
}

/// `n` points of a noisy sphere; `seed` makes each cloud distinct (and hard
/// to compress, like a real scan).
fn cloud(n: usize, seed: u64) -> Vec<[f32; 3]> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    (0..n)
        .map(|_| {
            let (u, v, r) = (
                next() * std::f32::consts::TAU,
                next() * std::f32::consts::PI,
                1.0 + 0.05 * next(),
            );
            [r * v.sin() * u.cos(), r * v.sin() * u.sin(), r * v.cos()]
        })
        .collect()
}

fn options() -> PointCloudOptions {
    PointCloudOptions {
        point_size: 0.01,
        ..PointCloudOptions::default()
    }
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_writer(std::io::stderr)
        .init();
    let args = parse()?;
    let mut builder = Server::builder().port(args.port);
    if args.timeline_points > 0 {
        builder = builder
            .num_steps(args.steps)
            .block_size(args.block_size)
            .fps(30.0);
    }
    let server = builder.start()?;

    if args.cloud > 0 {
        server.scene().add_point_cloud(
            "/static",
            &cloud(args.cloud, 1),
            PointColors::Uniform([120, 120, 120]),
            options(),
        )?;
    }
    if args.timeline_points > 0 {
        // Eight distinct clouds, cycled: every step's payload is as large as
        // a real one and encodes as slowly, at a fraction of the memory.
        let clouds: Vec<Vec<[f32; 3]>> = (0..8)
            .map(|i| cloud(args.timeline_points, 100 + i))
            .collect();
        let handle = {
            let _step = server.at(0)?;
            server.scene().add_point_cloud(
                "/recorded",
                &clouds[0],
                PointColors::Uniform([40, 90, 255]),
                options(),
            )?
        };
        for t in 1..args.steps {
            let _step = server.at(t)?;
            handle.set_points(&clouds[t as usize % clouds.len()])?;
        }
    }

    let stop = Arc::new(AtomicBool::new(false));
    let updater = (args.live > 0).then(|| {
        let clouds: Vec<Vec<[f32; 3]>> = (0..4).map(|i| cloud(args.live, 10 + i)).collect();
        let live = server.scene().add_point_cloud(
            "/live",
            &clouds[0],
            PointColors::Uniform([255, 90, 40]),
            options(),
        );
        let stop = stop.clone();
        let period = Duration::from_secs_f64(1.0 / args.hz);
        std::thread::spawn(move || -> Result<()> {
            let live = live?;
            let started = Instant::now();
            let mut tick = 0u64;
            while !stop.load(Ordering::Relaxed) {
                tick += 1;
                live.set_points(&clouds[tick as usize % clouds.len()])?;
                let due = started + period.mul_f64(tick as f64);
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
            }
            Ok(())
        })
    });

    println!("listening {}", server.port());
    for line in std::io::stdin().lock().lines() {
        match line?.trim() {
            "stats" => {
                let stats = server.stats();
                println!(
                    "tabs={} queued={} tasks={}",
                    stats.tabs, stats.queued_bytes, stats.tasks
                );
            }
            "quit" => break,
            "" => {}
            other => eprintln!("load_target: unknown command {other:?}"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(updater) = updater {
        updater
            .join()
            .map_err(|_| anyhow::anyhow!("the updater panicked"))??;
    }
    server.stop();
    Ok(())
}
