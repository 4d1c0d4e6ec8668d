//! Streaming ingest: a synthetic sensor produces a frame 30 times a second,
//! forever, and each frame is recorded as a new step of an open-ended
//! timeline. Tabs opened at any time follow the newest step (the LIVE
//! toggle in the playback bar, or End); scrub back to look at the past
//! while recording goes on, then press End to return to the live edge.
//! The last five minutes are kept, so the program runs for hours in
//! bounded memory.
//!
//! `cargo run -p viser4d-examples --bin streaming_ingest -- [PORT]`

use std::time::{Duration, Instant};

use viser4d::scene::{BoxOptions, PointCloudOptions, PointColors, Pose};
use viser4d::{Retention, Server};

const HZ: f64 = 30.0;
/// Points of the sensor's scan.
const POINTS: usize = 2_000;

/// The scan at time `t` (seconds): a ring around the vehicle, breathing.
fn scan(t: f64, center: [f64; 2]) -> Vec<[f32; 3]> {
    (0..POINTS)
        .map(|i| {
            let a = i as f64 / POINTS as f64 * std::f64::consts::TAU;
            let r = 1.0 + 0.15 * (3.0 * a + 2.0 * t).sin();
            [
                (center[0] + r * a.cos()) as f32,
                (center[1] + r * a.sin()) as f32,
                (0.05 * (5.0 * a).cos()) as f32,
            ]
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    let server = Server::builder()
        .port(port)
        .fps(HZ) // fps without num_steps: an open-ended timeline
        .retention(Retention::LastSeconds(300.0))
        .start()?;
    println!(
        "open {} : the tab follows the newest step; Ctrl-C to stop",
        server.url()
    );

    let period = Duration::from_secs_f64(1.0 / HZ);
    let started = Instant::now();
    let mut handles = None;
    for frame in 0u64.. {
        // Paced by the clock, not by the work: a slow frame does not slow
        // the sensor down.
        let due = started + period.mul_f64(frame as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let t = frame as f64 / HZ;
        let center = [2.0 * (0.2 * t).cos(), 2.0 * (0.2 * t).sin()];
        let step = server.append_step()?;
        match &handles {
            None => {
                let scene = server.scene();
                let body = scene.add_box(
                    "/vehicle",
                    BoxOptions {
                        dimensions: [0.6, 0.3, 0.2],
                        color: [40, 160, 220],
                        ..BoxOptions::default()
                    },
                )?;
                let cloud = scene.add_point_cloud(
                    "/scan",
                    &scan(t, center),
                    PointColors::Uniform([250, 120, 40]),
                    PointCloudOptions::default(),
                )?;
                handles = Some((body, cloud));
            }
            Some((body, cloud)) => {
                body.set_position([center[0], center[1], 0.1])?;
                body.set_wxyz(Pose::default().wxyz)?;
                cloud.set_points(&scan(t, center))?;
            }
        }
        let recorded = step.step();
        drop(step);
        if recorded.is_multiple_of(300) {
            tracing::info!(step = recorded, "recorded");
        }
    }
    Ok(())
}
