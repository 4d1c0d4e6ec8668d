//! A training loop that logs a point cloud per iteration: the model's
//! current reconstruction of a target shape, getting closer as the loss
//! falls. Each iteration appends a step; only the newest 2,000 are kept,
//! however long training runs. Open the page at any time: the tab follows
//! the newest iteration, and the slider scrubs back through those kept.
//!
//! `cargo run -p viser4d-examples --bin training_loop -- [PORT] [ITERATIONS]`
//! (default 20,000 iterations; 0 runs until stopped)

use viser4d::scene::{PointCloudOptions, PointColors};
use viser4d::{Retention, Server};

const POINTS: usize = 5_000;

/// The target: points on a torus.
fn target() -> Vec<[f32; 3]> {
    (0..POINTS)
        .map(|i| {
            let u = i as f32 * 0.618_034 * std::f32::consts::TAU;
            let v = i as f32 / POINTS as f32 * std::f32::consts::TAU;
            let r = 1.0 + 0.35 * v.cos();
            [r * u.cos(), r * u.sin(), 0.35 * v.sin()]
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    let iterations: u64 = match std::env::args().nth(2) {
        Some(arg) => arg
            .parse()
            .map_err(|_| anyhow::anyhow!("ITERATIONS must be a number, got {arg:?}"))?,
        None => 20_000,
    };
    let server = Server::builder()
        .port(port)
        .fps(30.0)
        .retention(Retention::LastSteps(2_000))
        .start()?;
    println!("open {} to watch training", server.url());

    let target = target();
    let mut rng = viser4d_examples::Lcg(7);
    let mut model: Vec<[f32; 3]> = (0..POINTS)
        .map(|_| {
            [
                (rng.uniform() - 0.5) as f32 * 4.0,
                (rng.uniform() - 0.5) as f32 * 4.0,
                (rng.uniform() - 0.5) as f32 * 4.0,
            ]
        })
        .collect();
    let mut cloud = None;
    let mut iteration = 0u64;
    while iterations == 0 || iteration < iterations {
        // One "gradient step" towards the target, with noise.
        let mut loss = 0.0f64;
        for (p, q) in model.iter_mut().zip(&target) {
            for k in 0..3 {
                let error = q[k] - p[k];
                loss += f64::from(error * error);
                p[k] += 0.01 * error + 0.002 * (rng.uniform() - 0.5) as f32;
            }
        }
        let loss = loss / POINTS as f64;
        let colors: Vec<[u8; 3]> = model
            .iter()
            .zip(&target)
            .map(|(p, q)| {
                let d =
                    ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt();
                let hot = (d.min(1.0) * 255.0) as u8;
                [hot, 255 - hot, 80]
            })
            .collect();
        {
            let _step = server.append_step()?;
            match &cloud {
                None => {
                    cloud = Some(server.scene().add_point_cloud(
                        "/model",
                        &model,
                        PointColors::PerPoint(&colors),
                        PointCloudOptions::default(),
                    )?);
                }
                Some(handle) => {
                    handle.set_points(&model)?;
                    handle.set_colors(PointColors::PerPoint(&colors), model.len())?;
                }
            }
        }
        if iteration.is_multiple_of(500) {
            tracing::info!(iteration, loss, "training");
        }
        iteration += 1;
    }
    println!(
        "{iteration} iterations logged; the newest {} are kept",
        iteration.min(2_000)
    );
    server.sleep_forever();
}
