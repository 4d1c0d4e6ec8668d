//! Audio tracks in headless Chromium (`--autoplay-policy=no-user-gesture-required`):
//! the runtime's Web Audio follows each tab's transport. Read through the
//! stats the runtime exposes: where the audio clock says the timeline is
//! versus where the transport is, the sources playing, each track's gain.

use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use viser4d_server::Server;

use crate::browser::new_client;
use crate::support::{self, runtime, wait_until};
use crate::webdriver::{self, ChromeDriver, Tab};

const RATE: u32 = 16_000;
const FPS: f64 = 10.0;

fn tone(frames: usize, phase: usize) -> Vec<f32> {
    (0..frames)
        .map(|i| ((i + phase) as f32 * 440.0 * std::f32::consts::TAU / RATE as f32).sin() * 0.2)
        .collect()
}

/// `seconds` of a tone on a timeline as long, the way the reference
/// example streams it: one chunk at step 0, the rest appended outside any
/// step.
pub(crate) fn tone_server(seconds: u32) -> (Server, viser4d_server::AudioHandle) {
    let steps = seconds * FPS as u32;
    let server = support::server_with(|b| b.num_steps(steps).fps(FPS));
    let chunk = RATE as usize / 10;
    let track = {
        let _t = server.at(0).expect("step 0");
        server
            .audio()
            .add_track("/tone", &tone(chunk, 0), RATE, 1)
            .expect("adding a track")
    };
    for i in 1..steps as usize {
        track.append(&tone(chunk, i * chunk)).expect("appending");
    }
    (server, track)
}

const AUDIO: &str = "
    const r = window.__viser4dRuntime;
    if (!r || !r.stats) return null;
    const s = r.stats();
    return s.configured ? s.audio : null;";

async fn audio(tab: &Tab) -> Json {
    tab.wait_for("the runtime's audio stats", AUDIO, vec![])
        .await
}

pub(crate) async fn wait_audio(tab: &Tab, what: &str, ok: impl Fn(&Json) -> bool) -> Json {
    tab.wait_until(what, AUDIO, |a| !a.is_null() && ok(a)).await
}

pub(crate) fn f(a: &Json, key: &str) -> f64 {
    a[key].as_f64().unwrap_or(f64::NAN)
}

#[test]
fn audio_follows_play_pause_seek_speed_and_volume() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, track) = tone_server(20);
    assert_eq!(track.frames().ok(), Some(20 * RATE as usize));
    let slider = server
        .gui()
        .add_slider("Volume", 0.0, 1.0, 0.05, 1.0, Default::default())
        .expect("a slider");
    {
        let track = track.clone();
        slider
            .on_update(move |event| {
                track.set_volume(event.value as f32).ok();
            })
            .expect("binding the slider");
    }
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        let a = wait_audio(&tab, "the track to be known", |a| a["gains"]["/tone"].is_number()).await;
        assert_eq!(a["sources"], json!(0), "paused: silent: {a}");
        let playback = server.client_playback(id).expect("tab");

        // Play: sources start and the audio clock runs with the transport.
        playback.play(None).expect("play");
        let a = wait_audio(&tab, "audio to run", |a| {
            f(a, "sources") >= 1.0 && f(a, "timelineTimeSec") > 1.0
        })
        .await;
        assert_eq!(a["state"], json!("running"), "{a}");
        assert!(
            (f(&a, "audioTimeSec") - f(&a, "timelineTimeSec")).abs() < 0.25,
            "audio and timeline agree: {a}"
        );
        assert_eq!(a["playbackRate"].as_f64(), Some(1.0));

        // Pause: every source stops.
        playback.pause().expect("pause");
        wait_audio(&tab, "silence after pause", |a| {
            a["sources"] == json!(0) && a["audioTimeSec"].is_null()
        })
        .await;

        // Seek while playing: the audio restarts at the new place.
        playback.play(None).expect("play");
        wait_audio(&tab, "audio to run again", |a| f(a, "sources") >= 1.0).await;
        playback.seek(150).expect("seek");
        let a = wait_audio(&tab, "audio at the seek target", |a| {
            f(a, "audioTimeSec") >= 15.0 && f(a, "timelineTimeSec") >= 15.0
        })
        .await;
        assert!(
            (f(&a, "audioTimeSec") - f(&a, "timelineTimeSec")).abs() < 0.25,
            "after the seek: {a}"
        );

        // 2x: sources play at rate 2 and stay with the transport.
        playback.seek(10).expect("seek back");
        playback.set_speed(2.0).expect("2x");
        let a = wait_audio(&tab, "audio at 2x", |a| {
            a["playbackRate"].as_f64() == Some(2.0) && f(a, "timelineTimeSec") > 2.0
        })
        .await;
        assert!(
            (f(&a, "audioTimeSec") - f(&a, "timelineTimeSec")).abs() < 0.25,
            "at 2x: {a}"
        );

        // The GUI slider's callback sets the volume outside any step: an
        // override, live in the tab's gain.
        tab.eval(
            "window.__viserMutable.sendMessage({type: 'GuiUpdateMessage', uuid: arguments[0], updates: {value: 0.25}}); return true;",
            vec![json!(slider.uuid())],
        )
        .await;
        wait_until("the handle to take the volume", || track.volume().ok() == Some(0.25));
        wait_audio(&tab, "the gain to follow the slider", |a| {
            a["gains"]["/tone"].as_f64() == Some(0.25)
        })
        .await;
        tab.close().await;
    });
}

/// Drift between the audio clock and the step clock while playing
/// (`VISER4D_AUDIO_DRIFT_SEC` seconds at 1x, then at 2x; 5 by default).
/// Prints the maxima; asserts only that audio played throughout.
#[test]
fn audio_drift_measurement() {
    let _one_at_a_time = webdriver::exclusive();
    let seconds: u64 = std::env::var("VISER4D_AUDIO_DRIFT_SEC")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let (server, _track) = tone_server(70);
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        wait_audio(&tab, "the track", |a| a["gains"]["/tone"].is_number()).await;
        let playback = server.client_playback(id).expect("tab");
        let mut report = Vec::new();
        for speed in [1.0, 2.0] {
            playback.pause().expect("pause");
            wait_audio(&tab, "silence", |a| a["sources"] == json!(0)).await;
            playback.seek(0).expect("seek");
            let before = audio(&tab).await;
            server.play(Some(speed), Some(true)).expect("play");
            let started = Instant::now();
            let mut max_sample = 0.0f64;
            while started.elapsed() < Duration::from_secs(seconds) {
                let a = audio(&tab).await;
                if a["audioTimeSec"].is_number() {
                    max_sample = max_sample.max(f(&a, "driftMs").abs());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let after = audio(&tab).await;
            assert!(f(&after, "sourcesStarted") > f(&before, "sourcesStarted"), "{after}");
            report.push(format!(
                "{speed}x for {seconds} s: max |drift| {:.1} ms (runtime, every frame), {max_sample:.1} ms (sampled), resyncs {}",
                f(&after, "maxDriftMs"),
                f(&after, "resyncs") - f(&before, "resyncs"),
            ));
        }
        println!("MEASURED audio drift: {}", report.join("; "));
        tab.close().await;
    });
}

#[test]
fn a_page_without_a_gesture_offers_to_enable_audio_and_a_click_does() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _track) = tone_server(5);
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session_requiring_gesture().await;
        tab.open(&url).await;
        let a = audio(&tab).await;
        const PROMPT: &str = "const b = document.querySelector('[data-viser4d-role=audio]');
                              return b ? getComputedStyle(b).display : null;";
        if a["state"] == json!("running") {
            // This browser build lets audio start anyway: no prompt is due.
            let shown = tab.eval(PROMPT, vec![]).await;
            assert_ne!(shown, json!("flex"), "a prompt while audio runs");
            println!("audio started without a gesture here; no prompt shown");
            tab.close().await;
            return;
        }
        tab.wait_until("the audio prompt", PROMPT, |d| d == &json!("flex"))
            .await;
        let button = tab
            .client
            .find(fantoccini::Locator::Css("[data-viser4d-role=audio]"))
            .await
            .expect("the prompt button");
        button.click().await.expect("clicking the prompt");
        wait_audio(&tab, "audio to be enabled", |a| {
            a["state"] == json!("running")
        })
        .await;
        tab.wait_until("the prompt to go", PROMPT, |d| d == &json!("none"))
            .await;
        tab.close().await;
    });
}

#[test]
fn an_exported_recording_plays_its_audio_with_no_server() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _track) = tone_server(10);
    // From step 30: the track started at 0, so it plays from 3 s in.
    let bytes = server.serialize(30, None).expect("an export");
    drop(server);
    let player = support::server_with(|b| b.inject_runtime(false).recording(bytes));
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&player.recording_url()).await;
        wait_audio(&tab, "the track", |a| a["gains"]["/tone"].is_number()).await;
        tab.eval("window.__viser4dRuntime.play(); return true;", vec![])
            .await;
        let a = wait_audio(&tab, "audio from the file", |a| {
            f(a, "sources") >= 1.0 && f(a, "timelineTimeSec") > 3.5
        })
        .await;
        assert!(
            (f(&a, "audioTimeSec") - f(&a, "timelineTimeSec")).abs() < 0.25,
            "{a}"
        );
        tab.close().await;
    });
}
