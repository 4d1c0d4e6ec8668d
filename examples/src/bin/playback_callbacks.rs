//! Playback callbacks and control from Rust: logs every tab's play/pause,
//! and every few seconds prints what each tab last reported. A GUI button
//! pauses every tab; another plays them all at 2x, looping.
//!
//! `cargo run -p viser4d-examples --bin playback_callbacks -- [PORT]`

use std::time::Duration;

use viser4d::Server;
use viser4d::scene::FrameOptions;

const STEPS: u32 = 200;

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    let server = Server::builder()
        .port(port)
        .num_steps(STEPS)
        .fps(30.0)
        .start()?;
    let frame = {
        let _step = server.at(0)?;
        server
            .scene()
            .add_frame("/spinner", FrameOptions::default())?
    };
    for t in 1..STEPS {
        let _step = server.at(t)?;
        let a = t as f64 / STEPS as f64 * std::f64::consts::TAU;
        frame.set_wxyz([(a / 2.0).cos(), 0.0, 0.0, (a / 2.0).sin()])?;
    }

    server.on_playback_change(|client, playing| {
        println!(
            "tab {} {}",
            client.id(),
            if playing { "plays" } else { "paused" }
        );
    });
    let gui = server.gui();
    let pause_all = gui.add_button("Pause every tab", Default::default())?;
    let play_all = gui.add_button("Play every tab at 2x, looping", Default::default())?;
    let server = std::sync::Arc::new(server);
    {
        let server = server.clone();
        pause_all.on_click(move |_| {
            if let Err(error) = server.pause() {
                tracing::warn!(%error, "pause");
            }
        })?;
    }
    {
        let server = server.clone();
        play_all.on_click(move |_| {
            if let Err(error) = server.play(Some(2.0), Some(true)) {
                tracing::warn!(%error, "play");
            }
        })?;
    }
    println!("open {}", server.url());
    loop {
        std::thread::sleep(Duration::from_secs(5));
        for p in server.client_playbacks().values() {
            if let (Ok(playing), Ok(step), Ok(speed)) =
                (p.is_playing(), p.current_timestep(), p.speed())
            {
                println!(
                    "tab {}: step {step}, {speed}x, playing: {playing}",
                    p.client_id()
                );
            }
        }
    }
}
