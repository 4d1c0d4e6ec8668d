//! Streaming ingest: steps are recorded as frames "arrive" (one every
//! 100 ms here), while tabs are already open and playing. A tab that sits
//! on a block that grows receives it again shortly after each step.
//!
//! `cargo run -p viser4d-examples --bin streaming_ingest -- [PORT]`

use std::time::Duration;

use viser4d::Server;
use viser4d::scene::{BoxOptions, Pose};

const STEPS: u32 = 300;

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    let server = Server::builder()
        .port(port)
        .num_steps(STEPS)
        .fps(10.0)
        .start()?;
    println!(
        "open {} (frames arrive for the next {} s)",
        server.url(),
        STEPS / 10
    );

    let body = {
        let _step = server.at(0)?;
        server.scene().add_box(
            "/vehicle",
            BoxOptions {
                dimensions: [0.6, 0.3, 0.2],
                color: [40, 160, 220],
                ..BoxOptions::default()
            },
        )?
    };
    // A "sensor" producing one pose per frame.
    for t in 1..STEPS {
        std::thread::sleep(Duration::from_millis(100));
        let a = t as f64 * 0.05;
        let _step = server.at(t)?;
        body.set_position([2.0 * a.cos(), 2.0 * a.sin(), 0.1])?;
        body.set_wxyz(Pose::default().wxyz)?;
        if t % 50 == 0 {
            tracing::info!(step = t, "recorded");
        }
    }
    println!("all {STEPS} steps recorded");
    server.sleep_forever();
}
