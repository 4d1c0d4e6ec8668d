//! Timeline playback in the stock viser client with our wasm runtime, in
//! headless Chromium: per-tab transport, the playback bar, block requests,
//! edits and callbacks. Each test reads the scene the page holds
//! (`window.__viserSceneTree`) and what the runtime reports
//! (`window.__viser4dRuntime.stats()`).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{Value as Json, json};
use viser4d_server::scene::{PointCloudHandle, PointCloudOptions, PointColors, PointPrecision};
use viser4d_server::{Server, ServerBuilder};

use crate::browser::new_client;
use crate::support::{self, DEADLINE, runtime, wait_until};
use crate::webdriver::{self, ChromeDriver, Tab};

/// The cloud at step `t`: one point at x = t, so the page's scene tells
/// which step it shows.
fn points_at(t: u32) -> Vec<[f32; 3]> {
    vec![[t as f32, 0.0, 0.0], [t as f32, 1.0, 0.0]]
}

/// A timeline of `num_steps` steps whose `/cloud` sits at x = step.
pub(crate) fn recorded(num_steps: u32, fps: f64) -> (Server, PointCloudHandle) {
    recorded_with(num_steps, fps, |b| b)
}

/// [`recorded`], with more builder settings.
pub(crate) fn recorded_with(
    num_steps: u32,
    fps: f64,
    configure: impl FnOnce(ServerBuilder) -> ServerBuilder,
) -> (Server, PointCloudHandle) {
    recorded_cloud(num_steps, fps, points_at, configure)
}

/// A timeline of `num_steps` steps whose `/cloud` (f32 positions) is
/// `points(t)` at step `t`.
pub(crate) fn recorded_cloud(
    num_steps: u32,
    fps: f64,
    points_at: impl Fn(u32) -> Vec<[f32; 3]>,
    configure: impl FnOnce(ServerBuilder) -> ServerBuilder,
) -> (Server, PointCloudHandle) {
    let server = support::server_with(|b| configure(b.num_steps(num_steps).fps(fps)));
    let cloud = {
        let _step = server.at(0).expect("step 0");
        server
            .scene()
            .add_point_cloud(
                "/cloud",
                &points_at(0),
                PointColors::Uniform([255, 0, 0]),
                PointCloudOptions {
                    precision: PointPrecision::Float32,
                    ..PointCloudOptions::default()
                },
            )
            .expect("adding the cloud")
    };
    for t in 1..num_steps {
        let _step = server.at(t).expect("a step");
        cloud.set_points(&points_at(t)).expect("setting points");
    }
    (server, cloud)
}

/// The x of the page's `/cloud` (the step it shows), or null.
pub(crate) const CLOUD_X: &str = "
    const tree = window.__viserSceneTree;
    const node = tree && tree.getState()['/cloud'];
    return node ? node.message.props.points[0] : null;";

/// The runtime's stats, once it is configured.
const STATS: &str = "
    const r = window.__viser4dRuntime;
    if (!r || !r.stats) return null;
    const s = r.stats();
    if (!s.configured) return null;
    return Object.assign({}, s, {applyMs: Array.from(s.applyMs)});";

pub(crate) async fn stats(tab: &Tab) -> Json {
    tab.wait_for("the runtime to be configured", STATS, vec![])
        .await
}

async fn cloud_x(tab: &Tab) -> Option<f64> {
    tab.eval(CLOUD_X, vec![]).await.as_f64()
}

/// Waits until the page's cloud sits at step `t`.
pub(crate) async fn wait_for_step(tab: &Tab, t: u32) {
    let t = f64::from(t);
    tab.wait_until(&format!("the page to show step {t}"), CLOUD_X, |x| {
        x.as_f64() == Some(t)
    })
    .await;
}

/// Waits until the page's cloud sits at step `t` or later (while playing,
/// a step may be on screen for less time than one poll takes).
pub(crate) async fn wait_for_step_at_least(tab: &Tab, t: u32) {
    let t = f64::from(t);
    tab.wait_until(&format!("the page to reach step {t}"), CLOUD_X, |x| {
        x.as_f64().is_some_and(|x| x >= t)
    })
    .await;
}

#[test]
fn a_tab_starts_paused_at_step_zero_and_plays() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded(20, 10.0);
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        wait_for_step(&tab, 0).await;
        let s = stats(&tab).await;
        assert_eq!(s["playing"], json!(false), "{s}");
        assert_eq!(s["step"], json!(0));
        assert_eq!(s["speed"].as_f64(), Some(1.0));
        let playback = server.client_playback(id).expect("a playback handle");
        assert!(!playback.is_playing().expect("connected"));

        server.play(None, None).expect("play");
        wait_for_step_at_least(&tab, 5).await;
        wait_until("the tab to report playing", || {
            playback.is_playing().unwrap_or(false)
        });
        // Without looping it stops at the last step.
        wait_for_step(&tab, 19).await;
        wait_until("the tab to report it stopped", || {
            playback.is_playing().ok() == Some(false)
        });
        assert_eq!(playback.current_timestep().ok(), Some(19));
        tab.close().await;
    });
}

#[test]
fn a_runtime_facing_another_protocol_revision_says_so_in_the_page() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded(10, 10.0);
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        new_client(&server, &[]);
        wait_for_step(&tab, 0).await;
        // What a server of protocol revision 1 sent: a hello with no version.
        tab.eval(
            "window.__viserMutable.messageQueue.push({type: 'TimelineHello'});",
            vec![],
        )
        .await;
        let notice = tab
            .wait_for(
                "the version notice",
                "const n = document.querySelector('[data-viser4d-notice]');
                 return n && window.__viser4dRuntime.status === 'mismatch' ? n.textContent : null;",
                vec![],
            )
            .await;
        let text = notice.as_str().unwrap_or_default();
        assert!(
            text.contains(&format!(
                "protocol {}",
                viser4d_proto::timeline::PROTOCOL_REVISION
            )) && text.contains("protocol 1")
                && text.contains("Reload"),
            "{text}"
        );
        tab.close().await;
    });
}

#[test]
fn two_tabs_sit_on_different_steps_and_server_play_reaches_only_open_tabs() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded(64, 20.0);
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab_a = driver.session().await;
        tab_a.open(&url).await;
        let a = new_client(&server, &[]);
        let tab_b = driver.session().await;
        tab_b.open(&url).await;
        let b = new_client(&server, &[a]);
        wait_for_step(&tab_a, 0).await;
        wait_for_step(&tab_b, 0).await;

        let pa = server.client_playback(a).expect("tab a");
        let pb = server.client_playback(b).expect("tab b");
        pa.seek(40).expect("seek a");
        pb.seek(7).expect("seek b");
        wait_for_step(&tab_a, 40).await;
        wait_for_step(&tab_b, 7).await;
        wait_until("both tabs to report their steps", || {
            pa.current_timestep().ok() == Some(40) && pb.current_timestep().ok() == Some(7)
        });

        // Server-wide play with a speed and loop reaches both tabs, each
        // from its own step.
        server.play(Some(2.0), Some(true)).expect("play");
        wait_until("both tabs to report playing at 2x", || {
            [&pa, &pb]
                .iter()
                .all(|p| p.is_playing().ok() == Some(true) && p.speed().ok() == Some(2.0))
        });
        assert_eq!(pa.looping().ok(), Some(true));
        // Looping: tab A (from 40) comes round past the start again.
        wait_until("tab A to wrap around", || {
            pa.current_timestep().is_ok_and(|s| s < 40)
        });

        // A tab opened afterwards starts paused at 0, speed 1.
        let tab_c = driver.session().await;
        tab_c.open(&url).await;
        let c = new_client(&server, &[a, b]);
        wait_for_step(&tab_c, 0).await;
        let s = stats(&tab_c).await;
        assert_eq!(s["playing"], json!(false), "{s}");
        assert_eq!(s["speed"].as_f64(), Some(1.0), "{s}");
        let pc = server.client_playback(c).expect("tab c");
        assert_eq!(pc.is_playing().ok(), Some(false));
        assert_eq!(server.client_playbacks().len(), 3);

        server.pause().expect("pause all");
        for p in [&pa, &pb] {
            wait_until("the tab to report paused", || {
                p.is_playing().ok() == Some(false)
            });
        }
        // Paused tabs stay where each stopped, and show what they report.
        let (step_a, step_b) = (
            pa.current_timestep().unwrap_or(0),
            pb.current_timestep().unwrap_or(0),
        );
        wait_for_step(&tab_a, step_a).await;
        wait_for_step(&tab_b, step_b).await;
        for tab in [tab_a, tab_b, tab_c] {
            tab.close().await;
        }
    });
}

#[test]
fn seeking_to_the_last_step_of_a_long_timeline_fetches_only_its_block() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded(512, 30.0);
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        wait_for_step(&tab, 0).await;
        let before = stats(&tab).await;
        assert_eq!(before["blockRequests"], json!(1), "block 0 only: {before}");

        server
            .client_playback(id)
            .expect("tab")
            .seek(511)
            .expect("seek");
        wait_for_step(&tab, 511).await;
        let after = stats(&tab).await;
        assert_eq!(
            after["blockRequests"],
            json!(2),
            "block 0 and the last block (15), nothing between: {after}"
        );
        assert_eq!(server.client_blocks_sent(id), Some(2));
        println!(
            "seek to the last block applied in {} ms",
            after["lastSeekMs"]
        );
        tab.close().await;
    });
}

#[test]
fn an_edit_of_the_step_a_paused_tab_shows_appears_after_refresh() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, cloud) = recorded(40, 10.0);
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        server
            .client_playback(id)
            .expect("tab")
            .seek(33)
            .expect("seek");
        wait_for_step(&tab, 33).await;
        {
            let _step = server.at(33).expect("step 33");
            cloud
                .set_points(&[[100.0, 0.0, 0.0]])
                .expect("editing step 33");
        }
        server.refresh().expect("refresh");
        let started = Instant::now();
        while cloud_x(&tab).await != Some(100.0) {
            assert!(started.elapsed() < DEADLINE, "the edit never showed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Outside any step, a handle's setter is an override on every step.
        cloud.set_points(&[[-5.0, 0.0, 0.0]]).expect("override");
        let started = Instant::now();
        while cloud_x(&tab).await != Some(-5.0) {
            assert!(started.elapsed() < DEADLINE, "the override never showed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tab.close().await;
    });
}

#[test]
fn callbacks_fire_with_the_tab_and_its_values() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded(30, 30.0);
    let (steps_tx, steps) = mpsc::channel();
    let (plays_tx, plays) = mpsc::channel();
    server.on_timestep_change(move |client, step| {
        steps_tx.send((client.id(), step)).ok();
    });
    server.on_playback_change(move |client, playing| {
        plays_tx.send((client.id(), playing)).ok();
    });
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        wait_for_step(&tab, 0).await;
        assert_eq!(steps.recv_timeout(DEADLINE).ok(), Some((id, 0)));
        let playback = server.client_playback(id).expect("tab");
        playback.seek(12).expect("seek");
        wait_for_step(&tab, 12).await;
        let mut seen = Vec::new();
        while let Ok(event) = steps.recv_timeout(DEADLINE) {
            seen.push(event);
            if event.1 == 12 {
                break;
            }
        }
        assert_eq!(seen.last(), Some(&(id, 12)), "{seen:?}");
        playback.play(Some(4.0)).expect("play");
        assert_eq!(plays.recv_timeout(DEADLINE).ok(), Some((id, true)));
        // It reaches the end and stops by itself.
        assert_eq!(plays.recv_timeout(DEADLINE).ok(), Some((id, false)));
        let mut last = 0;
        while let Ok((client, step)) = steps.recv_timeout(Duration::from_millis(500)) {
            assert_eq!(client, id);
            last = step;
        }
        assert_eq!(last, 29, "every step up to the last is committed");
        tab.close().await;
    });
}

#[test]
fn the_playback_bar_answers_a_click_and_the_space_key() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded(200, 10.0);
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        wait_for_step(&tab, 0).await;
        let playback = server.client_playback(id).expect("tab");
        let play = tab
            .client
            .wait()
            .at_most(DEADLINE)
            .for_element(Locator::Css("[data-viser4d-role=play]"))
            .await
            .expect("the play button");
        play.click().await.expect("clicking play");
        wait_until("the click to start playback", || {
            playback.is_playing().ok() == Some(true)
        });
        let label = tab
            .eval("return document.querySelector('[data-viser4d-role=play]').getAttribute('aria-label');", vec![])
            .await;
        assert_eq!(label, json!("Pause"));

        // Space on the page (not in a text field) toggles.
        let body = tab.client.find(Locator::Css("body")).await.expect("the body");
        body.send_keys(" ").await.expect("pressing space");
        wait_until("space to pause", || playback.is_playing().ok() == Some(false));
        let paused_at = playback.current_timestep().unwrap_or(0);
        // The right arrow steps forward by one.
        body.send_keys(&char::from(fantoccini::key::Key::Right).to_string())
            .await
            .expect("pressing the right arrow");
        wait_for_step(&tab, paused_at + 1).await;

        let dir = crate::browser::screenshot_dir();
        std::fs::create_dir_all(&dir).expect("creating the screenshot dir");
        let png = tab.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join("playback_bar.png"), &png).expect("saving the screenshot");
        tab.close().await;
    });
}

/// The timeline benchmark's heavy scene (300 frames x 180 steps, 30 frames
/// re-created every 4th step), recorded through the public API.
fn heavy_scene() -> Server {
    use viser4d_server::scene::{FrameHandle, FrameOptions};
    const FRAMES: usize = 300;
    const STEPS: u32 = 180;
    let server = support::server_with(|b| b.num_steps(STEPS).fps(30.0));
    let add = |i: usize| -> FrameHandle {
        server
            .scene()
            .add_frame(&format!("/frames/f{i}"), FrameOptions::default())
            .expect("adding a frame")
    };
    let mut seed = 42u64;
    let mut rand = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut frames: Vec<FrameHandle> = {
        let _t = server.at(0).expect("step 0");
        (0..FRAMES).map(add).collect()
    };
    for t in 0..STEPS {
        let _t = server.at(t).expect("a step");
        if t % 4 == 3 {
            for (i, f) in frames.iter_mut().enumerate().take(30) {
                f.remove().expect("removing");
                *f = add(i);
            }
        }
        for f in &frames {
            f.set_position([rand() * 10.0 - 5.0, rand() * 10.0 - 5.0, rand() * 4.0])
                .expect("position");
            let half = rand() * std::f64::consts::PI;
            f.set_wxyz([half.cos(), 0.0, 0.0, half.sin()])
                .expect("wxyz");
            f.set_visible(rand() > 0.1).expect("visibility");
        }
    }
    server
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Measures (prints, never asserts on time): the runtime's time to apply
/// one step of the heavy scene, a cold seek to the last block, and whether
/// 30 fps x 2 playback keeps up. Correctness is asserted.
#[test]
fn heavy_scene_playback_measurements() {
    let _one_at_a_time = webdriver::exclusive();
    let server = heavy_scene();
    let url = server.url();
    // The server's share of a cold seek: a client (standing in for the
    // runtime) asks for the last block first; time until it has it.
    let server_ms = runtime().block_on(async {
        use viser4d_proto::AnyMessage;
        use viser4d_proto::timeline::{ServerMessage, TimelineBlockRequest, TimelineMessage};
        let is_timeline = |m: &AnyMessage, block: bool| match ServerMessage::from_any(m) {
            Some(ServerMessage::TimelineBlock(_)) => true,
            Some(_) => !block,
            None => false,
        };
        let mut client = support::WsClient::connect(server.port()).await;
        client.messages_until(|m| is_timeline(m, false)).await;
        client.say_ready().await;
        let started = Instant::now();
        client
            .send(
                &TimelineBlockRequest { index: 4 }
                    .to_any()
                    .expect("encodable"),
            )
            .await;
        client.messages_until(|m| is_timeline(m, true)).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        client.close().await;
        ms
    });
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        tab.wait_for(
            "step 0 with all 300 frames",
            "const t = window.__viserSceneTree; const s = window.__viser4dRuntime && window.__viser4dRuntime.stats && window.__viser4dRuntime.stats();
             return !!(t && s && s.shown === 0 && Object.keys(t.getState()).filter((k) => k.startsWith('/frames/')).length === 300);",
            vec![],
        )
        .await;

        // A cold seek from the first block to the last one.
        tab.eval("window.__viser4dRuntime.seek(179); return true;", vec![]).await;
        let seek = tab
            .wait_for(
                "the last step to be shown",
                "const s = window.__viser4dRuntime.stats();
                 return s.shown === 179 ? [s.lastSeekMs, s.lastBlockWaitMs, s.lastBlockDecodeMs, s.applyMs[s.applyMs.length - 1]] : null;",
                vec![],
            )
            .await;
        let seek = format!(
            "{:.0} ms (block request to arrival {:.0}, decode {:.0}, apply {:.0})",
            seek[0].as_f64().unwrap_or(f64::NAN),
            seek[1].as_f64().unwrap_or(f64::NAN),
            seek[2].as_f64().unwrap_or(f64::NAN),
            seek[3].as_f64().unwrap_or(f64::NAN)
        );

        // Back to 0, then play the whole timeline at 30 fps x 2.
        let playback = server.client_playback(id).expect("tab");
        playback.seek(0).expect("seek 0");
        tab.wait_for(
            "step 0 again",
            "return window.__viser4dRuntime.stats().shown === 0;",
            vec![],
        )
        .await;
        let before = stats(&tab).await;
        let started = Instant::now();
        playback.play(Some(2.0)).expect("play at 2x");
        wait_until("the tab to start", || playback.is_playing().ok() == Some(true));
        wait_until("the tab to reach the end", || {
            playback.is_playing().ok() == Some(false)
        });
        let wall = started.elapsed();
        let after = stats(&tab).await;
        assert_eq!(after["shown"], json!(179), "{after}");
        let applied = after["stepsApplied"].as_f64().unwrap_or(0.0)
            - before["stepsApplied"].as_f64().unwrap_or(0.0);
        assert!(applied >= 179.0, "every step applied on the way: {applied}");

        let skip = before["applyMs"].as_array().map_or(0, Vec::len);
        let mut apply: Vec<f64> = after["applyMs"]
            .as_array()
            .map(|a| a.iter().skip(skip).filter_map(Json::as_f64).collect())
            .unwrap_or_default();
        apply.sort_by(f64::total_cmp);
        println!(
            "MEASURED heavy scene (300 frames x 180 steps): apply one step median {:.2} ms, p99 {:.2} ms over {} steps; \
             server answers a request for block 4 in {server_ms:.0} ms (Rust client); \
             cold seek to the last block {}; 180 steps at 30 fps x 2 took {:.2} s (ideal 2.98 s), max lag {} steps",
            percentile(&apply, 0.5),
            percentile(&apply, 0.99),
            apply.len(),
            seek,
            wall.as_secs_f64(),
            after["maxLagSteps"],
        );
        tab.close().await;
    });
}

#[test]
fn the_single_script_runtime_installs_itself_in_an_untouched_page() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded_with(10, 10.0, |b| b.inject_runtime(false));
    let script = String::from_utf8_lossy(viser4d_assets::RUNTIME_INLINE_JS).into_owned();
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        tab.wait_for(
            "viser's state",
            "return !!(window.__viserMutable && window.__viserMutable.messageQueue);",
            vec![],
        )
        .await;
        let before = tab
            .eval("return window.__viser4dRuntime === undefined;", vec![])
            .await;
        assert_eq!(
            before,
            json!(true),
            "the page was served without the runtime"
        );
        // What viser does with a RunJavascriptMessage: `new Function(source)()`;
        // twice, as after a reconnect: the second run must do nothing.
        tab.eval(
            "new Function(arguments[0])(); new Function(arguments[0])(); return true;",
            vec![json!(script)],
        )
        .await;
        wait_for_step(&tab, 0).await;
        server
            .client_playback(id)
            .expect("tab")
            .seek(7)
            .expect("seek");
        wait_for_step(&tab, 7).await;
        tab.close().await;
    });
}

#[test]
fn the_bar_follows_the_dark_theme_and_fits_a_narrow_window() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded(50, 10.0);
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        wait_for_step(&tab, 0).await;
        let light = tab
            .wait_for(
                "the bar",
                "const b = document.querySelector('[data-viser4d-playback]');
                 return b && getComputedStyle(b).display === 'flex' ? getComputedStyle(b).backgroundColor : null;",
                vec![],
            )
            .await;
        // viser's dark theme, as a ThemeConfigurationMessage would set it.
        tab.eval(
            "window.__viserMutable.messageQueue.push({type: 'ThemeConfigurationMessage', titlebar_content: null,
               control_layout: 'floating', control_width: 'medium', show_logo: true, show_share_button: true,
               dark_mode: true, colors: null});
             return true;",
            vec![],
        )
        .await;
        let dark = tab
            .wait_for(
                "the bar to turn dark",
                "const b = document.querySelector('[data-viser4d-playback]');
                 const c = getComputedStyle(b).backgroundColor;
                 return c !== arguments[0] ? c : null;",
                vec![light.clone()],
            )
            .await;
        assert_ne!(light, dark);
        tab.client
            .set_window_size(420, 700)
            .await
            .expect("resizing the window");
        let fits = tab
            .wait_for(
                "the bar to fit the narrow window",
                "const r = document.querySelector('[data-viser4d-playback]').getBoundingClientRect();
                 const s = document.querySelector('[data-viser4d-role=slider]').getBoundingClientRect();
                 return r.left >= 0 && r.right <= window.innerWidth && s.width >= 30 ? [r.width, window.innerWidth] : null;",
                vec![],
            )
            .await;
        println!("narrow window: bar {fits}");
        let dir = crate::browser::screenshot_dir();
        std::fs::create_dir_all(&dir).expect("creating the screenshot dir");
        let png = tab.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join("playback_bar_dark_narrow.png"), &png).expect("saving");
        tab.close().await;
    });
}

#[test]
fn a_token_server_plays_in_the_browser_and_other_sites_cannot_connect() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded_with(10, 10.0, |b| b.token("browser-test-token"));
    // Another site the user has open: any page on another origin.
    let other_site = support::server();
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        // The printed URL carries the token; the page keeps it in a cookie
        // for the runtime's files and the WebSocket.
        tab.open(&url).await;
        new_client(&server, &[]);
        wait_for_step(&tab, 0).await;

        tab.open(&other_site.url()).await;
        tab.eval(
            "window.__probe = 'pending';
             const ws = new WebSocket(arguments[0], 'viser-v1.1.1');
             ws.onopen = () => { window.__probe = 'open'; };
             ws.onerror = () => { window.__probe = 'refused'; };",
            vec![json!(format!("ws://127.0.0.1:{}/", server.port()))],
        )
        .await;
        let probe = tab
            .wait_for(
                "the cross-site WebSocket to settle",
                "return window.__probe === 'pending' ? null : window.__probe;",
                vec![],
            )
            .await;
        assert_eq!(
            probe,
            json!("refused"),
            "a page of another origin must not connect"
        );
        tab.close().await;
    });
    assert!(support::logs().contains("refused a WebSocket from a page of another origin"));
}

/// The number of points of the page's `/cloud`, or null.
const CLOUD_POINTS: &str = "
    const tree = window.__viserSceneTree;
    const node = tree && tree.getState()['/cloud'];
    return node ? node.message.props.points.length / 3 : null;";

#[test]
fn blocks_closed_by_bytes_play_through_and_a_split_under_a_watching_tab_keeps_its_step() {
    let _one_at_a_time = webdriver::exclusive();
    // About 200 bytes a step against a 1 KiB limit: blocks of a few steps.
    let (server, cloud) = recorded_with(40, 30.0, |b| b.max_block_bytes(1024));
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        wait_for_step(&tab, 0).await;
        let playback = server.client_playback(id).expect("a playback handle");
        playback.seek(37).expect("seek");
        wait_for_step(&tab, 37).await;
        let s = stats(&tab).await;
        assert_eq!(
            s["blockRequests"],
            json!(2),
            "block 0 and the one of step 37: {s}"
        );

        playback.seek(0).expect("seek");
        wait_for_step(&tab, 0).await;
        server.play(None, None).expect("play");
        wait_for_step(&tab, 39).await;
        let s = stats(&tab).await;
        let requests = s["blockRequests"].as_u64().unwrap_or(0);
        assert!(requests > 8, "40 steps in short blocks, all fetched: {s}");
        assert_eq!(
            s["stepsApplied"].as_u64().map(|n| n >= 41),
            Some(true),
            "every step applied: {s}"
        );

        // Step 2 becomes heavy: its block splits and every later block moves,
        // while the tab shows step 39.
        {
            let _step = server.at(2).expect("step 2");
            cloud
                .set_points(&vec![[2.0, 0.0, 0.0]; 500])
                .expect("setting points");
        }
        wait_until("the split to reach the tab", || {
            server.client_blocks_sent(id).is_some_and(|n| n > requests)
        });
        wait_for_step(&tab, 39).await;
        playback.seek(2).expect("seek");
        tab.wait_until("the heavy step", CLOUD_POINTS, |n| {
            n.as_f64() == Some(500.0)
        })
        .await;
        playback.seek(3).expect("seek");
        wait_for_step(&tab, 3).await;
        assert_eq!(tab.eval(CLOUD_POINTS, vec![]).await.as_f64(), Some(2.0));
        tab.close().await;
    });
}
