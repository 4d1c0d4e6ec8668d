//! Streaming audio, as upstream's example: a track created at step 0, then
//! 120 chunks of 1,600 samples at 16 kHz appended as they "arrive", outside
//! any step. A sphere moves with the sound's loudness, and a GUI slider is
//! bound to the track's volume (a live override on every step).
//!
//! `cargo run -p viser4d-examples --bin streaming_audio -- [PORT]`

use std::f32::consts::TAU;
use std::time::Duration;

use viser4d::Server;
use viser4d::scene::IcosphereOptions;

const RATE: u32 = 16_000;
const CHUNK: usize = 1_600;
const CHUNKS: usize = 120;
const FPS: f64 = 10.0;

/// A chirp whose loudness swells and fades every 2 seconds.
fn chunk(index: usize) -> Vec<f32> {
    (0..CHUNK)
        .map(|i| {
            let t = (index * CHUNK + i) as f32 / RATE as f32;
            let envelope = 0.5 - 0.5 * (t * TAU / 2.0).cos();
            (t * TAU * (220.0 + 40.0 * t)).sin() * 0.3 * envelope
        })
        .collect()
}

fn loudness(samples: &[f32]) -> f64 {
    let power: f32 = samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32;
    f64::from(power.sqrt())
}

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    // One step per chunk: 120 steps of 100 ms.
    let server = Server::builder()
        .port(port)
        .num_steps(CHUNKS as u32)
        .fps(FPS)
        .start()?;
    let first = chunk(0);
    let (track, ball) = {
        let step = server.at(0)?;
        let track = step.audio().add_track("/speech", &first, RATE, 1)?;
        let ball = server
            .scene()
            .add_icosphere("/ball", IcosphereOptions::default())?;
        (track, ball)
    };
    let volume = server
        .gui()
        .add_slider("Volume", 0.0, 1.0, 0.05, 1.0, Default::default())?;
    {
        let track = track.clone();
        volume.on_update(move |event| {
            if let Err(error) = track.set_volume(event.value as f32) {
                tracing::warn!(%error, "volume");
            }
        })?;
    }
    println!("open {} (audio arrives over the next 12 s)", server.url());
    for i in 1..CHUNKS {
        std::thread::sleep(Duration::from_millis(100));
        let samples = chunk(i);
        // Outside any step: extends the track, as upstream's example does.
        track.append(&samples)?;
        let _step = server.at(i as u32)?;
        ball.set_position([0.0, 0.0, loudness(&samples) * 8.0])?;
    }
    println!("{} s of audio recorded", track.frames()? / RATE as usize);
    server.sleep_forever();
}
