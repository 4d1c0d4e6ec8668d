//! Timestep callbacks: each tab, as it shows a step, gets its own overlay
//! drawn from Rust (a label in that tab's scene only, saying which step it
//! is on). Two tabs on different steps show different labels.
//!
//! `cargo run -p viser4d-examples --bin timestep_callbacks -- [PORT]`

use viser4d::Server;
use viser4d::scene::{IcosphereOptions, LabelOptions, Pose};

const STEPS: u32 = 120;

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    let server = Server::builder()
        .port(port)
        .num_steps(STEPS)
        .fps(20.0)
        .start()?;
    let ball = {
        let _step = server.at(0)?;
        server
            .scene()
            .add_icosphere("/ball", IcosphereOptions::default())?
    };
    for t in 1..STEPS {
        let _step = server.at(t)?;
        let h = (t as f64 / STEPS as f64 * std::f64::consts::PI).sin() * 2.0;
        ball.set_position([0.0, 0.0, h])?;
    }

    server.on_timestep_change(|client, step| {
        // The overlay lives in this tab's own scene (live, not recorded).
        let text = format!("tab {} at step {step}", client.id());
        let options = LabelOptions {
            pose: Pose {
                position: [0.0, 0.0, 2.5],
                ..Pose::default()
            },
            ..LabelOptions::default()
        };
        if let Err(error) = client.scene().add_label("/overlay", &text, options) {
            tracing::warn!(%error, "cannot draw the overlay");
        }
    });
    println!("open {} in two tabs and play them separately", server.url());
    server.sleep_forever();
}
