//! The benchmark's heavy scene in a browser: 300 frames moving over 180
//! steps (every frame gets a new position, orientation and visibility at
//! every step; every 4th step 30 frames are removed and re-created).
//!
//! `cargo run -p viser4d-examples --bin heavy --release -- [PORT]`

use std::time::Instant;

use viser4d::Server;
use viser4d::scene::{FrameHandle, FrameOptions};

const FRAMES: usize = 300;
const STEPS: u32 = 180;
const CHURN: usize = 30;

fn frame(server: &Server, i: usize) -> anyhow::Result<FrameHandle> {
    let options = FrameOptions {
        axes_length: 0.2,
        axes_radius: 0.01,
        ..FrameOptions::default()
    };
    Ok(server
        .scene()
        .add_frame(&format!("/frames/f{i}"), options)?)
}

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    let server = Server::builder()
        .port(port)
        .num_steps(STEPS)
        .fps(30.0)
        .start()?;
    let started = Instant::now();
    let mut rng = viser4d_examples::Lcg(42);
    let mut frames = Vec::with_capacity(FRAMES);
    {
        let _step = server.at(0)?;
        for i in 0..FRAMES {
            frames.push(frame(&server, i)?);
        }
    }
    for t in 0..STEPS {
        let _step = server.at(t)?;
        if t % 4 == 3 {
            for f in frames.iter().take(CHURN) {
                f.remove()?;
            }
            for (i, slot) in frames.iter_mut().enumerate().take(CHURN) {
                *slot = frame(&server, i)?;
            }
        }
        for f in &frames {
            let p = [
                rng.uniform() * 10.0 - 5.0,
                rng.uniform() * 10.0 - 5.0,
                rng.uniform() * 4.0,
            ];
            let half = rng.uniform() * std::f64::consts::PI;
            f.set_position(p)?;
            f.set_wxyz([half.cos(), 0.0, 0.0, half.sin()])?;
            f.set_visible(rng.uniform() > 0.1)?;
        }
    }
    println!(
        "recorded {FRAMES} frames x {STEPS} steps in {:.0} ms; open {}",
        started.elapsed().as_secs_f64() * 1000.0,
        server.url()
    );
    server.sleep_forever();
}
