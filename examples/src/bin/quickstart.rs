//! The viser4d quickstart, in Rust: a point cloud recorded at ten steps.
//! Every tab that opens the URL gets its own playback bar.
//!
//! `cargo run -p viser4d-examples --bin quickstart -- [PORT]`

use std::f32::consts::TAU;

use viser4d::Server;
use viser4d::scene::{PointCloudOptions, PointColors};

/// A ring of points, turned a little further at each step.
fn ring(t: u32) -> Vec<[f32; 3]> {
    (0..500)
        .map(|i| {
            let a = i as f32 / 500.0 * TAU + t as f32 * 0.3;
            [a.cos(), a.sin(), t as f32 * 0.1]
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    let server = Server::builder()
        .port(port)
        .num_steps(10)
        .fps(10.0)
        .start()?;

    let cloud = {
        let _step = server.at(0)?;
        server.scene().add_point_cloud(
            "/points",
            &ring(0),
            PointColors::Uniform([255, 90, 40]),
            PointCloudOptions {
                point_size: 0.05,
                ..PointCloudOptions::default()
            },
        )?
    };
    for t in 1..10 {
        let _step = server.at(t)?;
        cloud.set_points(&ring(t))?;
    }

    println!("open {}", server.url());
    server.sleep_forever();
}
