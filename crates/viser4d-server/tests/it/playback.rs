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
use viser4d_server::{ClientId, Server};

use crate::support::{self, DEADLINE, runtime, wait_until};
use crate::webdriver::{self, ChromeDriver, Tab};

/// The cloud at step `t`: one point at x = t, so the page's scene tells
/// which step it shows.
fn points_at(t: u32) -> Vec<[f32; 3]> {
    vec![[t as f32, 0.0, 0.0], [t as f32, 1.0, 0.0]]
}

/// A timeline of `num_steps` steps whose `/cloud` sits at x = step.
fn recorded(num_steps: u32, fps: f64) -> (Server, PointCloudHandle) {
    let server = support::server_with(|b| b.num_steps(num_steps).fps(fps));
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
const CLOUD_X: &str = "
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

async fn stats(tab: &Tab) -> Json {
    tab.wait_for("the runtime to be configured", STATS, vec![])
        .await
}

async fn cloud_x(tab: &Tab) -> Option<f64> {
    tab.eval(CLOUD_X, vec![]).await.as_f64()
}

/// Waits until the page's cloud sits at step `t`.
async fn wait_for_step(tab: &Tab, t: u32) {
    let started = Instant::now();
    loop {
        if cloud_x(tab).await == Some(f64::from(t)) {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the page did not show step {t} within {DEADLINE:?}: cloud x {:?}, stats {}",
            cloud_x(tab).await,
            tab.eval(STATS, vec![]).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn new_client(server: &Server, known: &[ClientId]) -> ClientId {
    let mut found = None;
    wait_until("the page to connect", || {
        found = server
            .clients()
            .iter()
            .map(|c| c.id())
            .find(|id| !known.contains(id));
        found.is_some()
    });
    found.expect("checked by wait_until")
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
        wait_for_step(&tab, 5).await;
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
