//! A plot that follows each tab's timestep: a point cloud breathes over
//! 200 steps, and a uPlot chart of its radius draws a cursor at the step
//! each tab shows, moved by the tab itself as it plays, seeks or scrubs.
//! The chart's samples are pushed inside `at(t)`, so they extend it step
//! by step as the recording grows.
//!
//! `cargo run -p viser4d-examples --bin synced_plot -- [PORT]`

use std::f32::consts::TAU;

use viser4d::Server;
use viser4d::gui::{PlotTimeAxis, UplotOptions, UplotSeries};
use viser4d::scene::{PointCloudOptions, PointColors};

const STEPS: u32 = 200;
const FPS: f64 = 20.0;

fn radius(t: u32) -> f32 {
    1.0 + 0.4 * (t as f32 / 40.0 * TAU).sin()
}

fn sphere(r: f32) -> Vec<[f32; 3]> {
    let n = 4000;
    (0..n)
        .map(|i| {
            let y = 1.0 - 2.0 * (i as f32 + 0.5) / n as f32;
            let ring = (1.0 - y * y).sqrt();
            let a = i as f32 * 2.399_963;
            [r * ring * a.cos(), r * ring * a.sin(), r * y]
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    let server = Server::builder()
        .port(port)
        .num_steps(STEPS)
        .fps(FPS)
        .start()?;
    let plot = server.gui().add_uplot(
        &[&[], &[]],
        &[
            UplotSeries::default(),
            UplotSeries::new("radius", "#e4572e"),
        ],
        UplotOptions {
            title: Some("Cloud radius".into()),
            aspect: 1.6,
            // Seconds as plain numbers (uPlot reads x as a date by default).
            scales: Some(serde_json::json!({"x": {"time": false}})),
            ..UplotOptions::default()
        },
    )?;
    plot.bind_to_timeline(PlotTimeAxis::Seconds)?;

    let cloud = {
        let _step = server.at(0)?;
        server.scene().add_point_cloud(
            "/cloud",
            &sphere(radius(0)),
            PointColors::Uniform([40, 140, 240]),
            PointCloudOptions {
                point_size: 0.03,
                ..PointCloudOptions::default()
            },
        )?
    };
    for t in 0..STEPS {
        let _step = server.at(t)?;
        cloud.set_points(&sphere(radius(t)))?;
        plot.push_at_step(&[f64::from(radius(t))])?;
    }

    println!("open {}", server.url());
    server.sleep_forever();
}
