//! Export: record a short timeline with audio, then write it as `run.viser`
//! (open with `viser4d serve run.viser`, or any viser 1.1.1 client with
//! `?playbackPath=`) and as `run.html` (one file that plays from disk).
//!
//! `cargo run -p viser4d-examples --bin export_recording -- [OUT_DIR]`

use std::path::PathBuf;

use viser4d::Server;
use viser4d::scene::{PointCloudOptions, PointColors};

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".to_owned()));
    // Port 0: this program only records and exports.
    let server = Server::builder().port(0).num_steps(60).fps(20.0).start()?;
    let ring = |t: u32| -> Vec<[f32; 3]> {
        (0..2_000)
            .map(|i| {
                let a = i as f32 * 0.00314 + t as f32 * 0.1;
                [a.cos(), a.sin(), (t as f32 * 0.2).sin() * 0.3]
            })
            .collect()
    };
    let tone: Vec<f32> = (0..16_000 * 3)
        .map(|i| (i as f32 * 330.0 * std::f32::consts::TAU / 16_000.0).sin() * 0.2)
        .collect();
    let cloud = {
        let step = server.at(0)?;
        step.audio().add_track("/tone", &tone, 16_000, 1)?;
        server.scene().add_point_cloud(
            "/ring",
            &ring(0),
            PointColors::Uniform([30, 140, 230]),
            PointCloudOptions {
                point_size: 0.03,
                ..PointCloudOptions::default()
            },
        )?
    };
    for t in 1..60 {
        let _step = server.at(t)?;
        cloud.set_points(&ring(t))?;
    }
    let bar = indicatif::ProgressBar::new(0);
    let bytes = server.serialize_with_progress(0, None, |done, total| {
        bar.set_length(u64::from(total));
        bar.set_position(u64::from(done));
    })?;
    bar.finish_and_clear();
    std::fs::write(out.join("run.viser"), &bytes)?;
    std::fs::write(out.join("run.html"), server.as_html(0, None, false)?)?;
    println!(
        "wrote {} ({} bytes) and run.html",
        out.join("run.viser").display(),
        bytes.len()
    );
    Ok(())
}
