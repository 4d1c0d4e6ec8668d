//! Live recording in headless Chromium: an open-ended timeline grows while
//! tabs watch; a following tab shows each new step, a scrubbed one holds
//! its step, tabs are independent, and `set_steps` shrinking moves tabs
//! back inside the timeline.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;
use viser4d_server::Server;
use viser4d_server::scene::{PointCloudHandle, PointCloudOptions, PointColors, PointPrecision};

use crate::browser::new_client;
use crate::playback::{CLOUD_X, stats, wait_for_step};
use crate::support::{self, DEADLINE, runtime, wait_until};
use crate::webdriver::{self, ChromeDriver, Tab};

/// Records one more step whose `/cloud` sits at x = its step (the cloud is
/// created by the first).
fn append(server: &Server, cloud: &mut Option<PointCloudHandle>) -> u32 {
    let guard = server.append_step().expect("a new step");
    let t = guard.step();
    let points = [[t as f32, 0.0, 0.0], [t as f32, 1.0, 0.0]];
    match cloud {
        Some(cloud) => cloud.set_points(&points).expect("setting points"),
        None => {
            let options = PointCloudOptions {
                precision: PointPrecision::Float32,
                ..PointCloudOptions::default()
            };
            let handle = server
                .scene()
                .add_point_cloud(
                    "/cloud",
                    &points,
                    PointColors::Uniform([255, 0, 0]),
                    options,
                )
                .expect("adding the cloud");
            *cloud = Some(handle);
        }
    }
    t
}

async fn slider_max(tab: &Tab) -> Option<f64> {
    tab.eval(
        "const s = document.querySelector('[data-viser4d-role=slider]'); return s ? Number(s.max) : null;",
        vec![],
    )
    .await
    .as_f64()
}

#[test]
fn a_tab_opened_before_any_step_follows_the_live_edge_and_a_scrubbed_one_holds_its_step() {
    let _one_at_a_time = webdriver::exclusive();
    let server = support::server_with(|b| b.fps(30.0).block_size(4));
    assert_eq!(server.num_steps(), Some(0), "open-ended, nothing yet");
    assert!(server.is_open_ended());
    let reported: std::sync::Arc<std::sync::Mutex<Vec<u32>>> = Default::default();
    let sink = reported.clone();
    server.on_timestep_change(move |_, step| {
        sink.lock().unwrap_or_else(|p| p.into_inner()).push(step);
    });
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let a = new_client(&server, &[]);
        let s = stats(&tab).await;
        assert_eq!(s["live"], json!(true), "{s}");
        assert_eq!(s["following"], json!(true), "a new tab of a live recording follows");

        // Steps arrive one at a time, about 30 a second; the tab follows.
        let mut cloud = None;
        let mut latencies = Vec::new();
        for _ in 0..10 {
            let t = append(&server, &mut cloud);
            let recorded = Instant::now();
            wait_for_step(&tab, t).await;
            latencies.push(recorded.elapsed());
        }
        let playback = server.client_playback(a).expect("a handle");
        wait_until("the tab to report following", || {
            playback.is_following().unwrap_or(false)
        });
        assert_eq!(slider_max(&tab).await, Some(9.0), "the slider grew");
        wait_until("the callback to hear of step 9", || {
            reported.lock().unwrap_or_else(|p| p.into_inner()).contains(&9)
        });
        let heard = reported.lock().unwrap_or_else(|p| p.into_inner()).clone();
        assert!(
            heard.windows(2).all(|w| w[0] <= w[1]),
            "a following tab reports its steps as it shows them, in order (a step shown again repeats): {heard:?}"
        );
        latencies.sort();
        println!(
            "MEASURED live edge in headless Chromium (software rendering, loopback): step recorded -> shown, median {:?}, max {:?} over {} steps",
            latencies[latencies.len() / 2],
            latencies[latencies.len() - 1],
            latencies.len()
        );

        // Scrubbing back leaves follow mode: the step holds as steps come.
        tab.eval("window.__viser4dRuntime.seek(3);", vec![]).await;
        wait_for_step(&tab, 3).await;
        wait_until("the tab to report it stopped following", || {
            playback.is_following().ok() == Some(false)
        });
        for _ in 0..5 {
            append(&server, &mut cloud);
        }
        tab.wait_until("the tab to learn of 15 steps", "return window.__viser4dRuntime.stats().numSteps;", |n| {
            n.as_u64() == Some(15)
        })
        .await;
        assert_eq!(tab.eval(CLOUD_X, vec![]).await.as_f64(), Some(3.0));
        assert_eq!(playback.current_timestep().ok(), Some(3));

        // A second tab is on its own: it follows, the first stays.
        let tab_b = driver.session().await;
        tab_b.open(&url).await;
        let b = new_client(&server, &[a]);
        wait_for_step(&tab_b, 14).await;
        let playback_b = server.client_playback(b).expect("a handle");
        wait_until("tab b to report following", || {
            playback_b.is_following().unwrap_or(false)
        });
        assert_eq!(tab.eval(CLOUD_X, vec![]).await.as_f64(), Some(3.0));

        // End returns the first to the live edge; the live toggle leaves it.
        let body = tab.client.find(Locator::Css("body")).await.expect("the body");
        body.send_keys(&char::from(fantoccini::key::Key::End).to_string())
            .await
            .expect("pressing End");
        wait_for_step(&tab, 14).await;
        wait_until("End to follow", || playback.is_following().ok() == Some(true));
        let t = append(&server, &mut cloud);
        wait_for_step(&tab, t).await;
        wait_for_step(&tab_b, t).await;
        let pressed = tab
            .eval("return document.querySelector('[data-viser4d-role=live]').getAttribute('aria-pressed');", vec![])
            .await;
        assert_eq!(pressed, json!("true"));
        let dir = crate::browser::screenshot_dir();
        std::fs::create_dir_all(&dir).expect("creating the screenshot dir");
        let png = tab.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join("live_following.png"), &png).expect("saving the screenshot");
        let live = tab
            .client
            .find(Locator::Css("[data-viser4d-role=live]"))
            .await
            .expect("the live toggle");
        live.click().await.expect("clicking live");
        wait_until("the click to leave follow mode", || {
            playback.is_following().ok() == Some(false)
        });
        append(&server, &mut cloud);
        wait_for_step(&tab_b, t + 1).await;
        assert_eq!(tab.eval(CLOUD_X, vec![]).await.as_f64(), Some(f64::from(t)));

        // From code: follow() and pause() per tab.
        playback.follow().expect("follow");
        wait_for_step(&tab, t + 1).await;
        playback.pause().expect("pause");
        wait_until("pause to leave follow mode", || {
            playback.is_following().ok() == Some(false)
        });

        // Shrinking moves both tabs back inside the timeline.
        server.set_steps(8).expect("shrinking");
        wait_for_step(&tab, 7).await;
        wait_for_step(&tab_b, 7).await;
        assert_eq!(slider_max(&tab).await, Some(7.0));
        // The following tab follows on from the new end.
        let t = append(&server, &mut cloud);
        assert_eq!(t, 8);
        wait_for_step(&tab_b, 8).await;
        let deadline = Instant::now() + Duration::from_millis(500).min(DEADLINE);
        while Instant::now() < deadline {
            assert_eq!(tab.eval(CLOUD_X, vec![]).await.as_f64(), Some(7.0), "the paused tab holds");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tab_b.close().await;
        tab.close().await;
    });
}

#[test]
fn a_tab_playing_into_the_end_of_a_live_recording_follows_on() {
    let _one_at_a_time = webdriver::exclusive();
    let server = support::server_with(|b| b.fps(30.0).block_size(8));
    let mut cloud = None;
    for _ in 0..12 {
        append(&server, &mut cloud);
    }
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let a = new_client(&server, &[]);
        wait_for_step(&tab, 11).await;
        let playback = server.client_playback(a).expect("a handle");
        playback.seek(2).expect("seek");
        wait_for_step(&tab, 2).await;
        playback.play(Some(2.0)).expect("play");
        wait_until("the tab to reach the edge and follow", || {
            playback.is_following().unwrap_or(false)
        });
        assert!(!playback.is_playing().unwrap_or(true));
        let t = append(&server, &mut cloud);
        wait_for_step(&tab, t).await;

        // Once the recording is over, a new tab starts paused at step 0.
        server.set_open_ended(false).expect("finished");
        let tab_b = driver.session().await;
        tab_b.open(&url).await;
        let b = new_client(&server, &[a]);
        wait_for_step(&tab_b, 0).await;
        let s = stats(&tab_b).await;
        assert_eq!(s["following"], json!(false), "{s}");
        assert_eq!(s["live"], json!(false), "{s}");
        let playback_b = server.client_playback(b).expect("a handle");
        assert!(!playback_b.is_following().unwrap_or(true));
        // The first tab was told, and keeps following what it shows.
        wait_for_step(&tab, t).await;
        tab_b.close().await;
        tab.close().await;
    });
}

#[test]
fn retention_drops_the_oldest_steps_without_breaking_a_tab_that_was_on_them() {
    use viser4d_server::Retention;
    let _one_at_a_time = webdriver::exclusive();
    let server =
        support::server_with(|b| b.fps(30.0).block_size(4).retention(Retention::LastSteps(8)));
    let mut cloud = None;
    for _ in 0..8 {
        append(&server, &mut cloud);
    }
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let a = new_client(&server, &[]);
        wait_for_step(&tab, 7).await;
        let playback = server.client_playback(a).expect("a handle");
        playback.seek(1).expect("seek");
        wait_for_step(&tab, 1).await;

        // Eight more steps: the newest eight are kept, from step 8.
        for _ in 0..8 {
            append(&server, &mut cloud);
        }
        wait_for_step(&tab, 8).await;
        let s = stats(&tab).await;
        assert_eq!(s["first"], json!(8), "{s}");
        assert_eq!(s["droppedBefore"], json!(8), "{s}");
        let notice = tab
            .eval(
                "const n = document.querySelector('[data-viser4d-role=dropped]'); return n && n.style.display !== 'none' ? n.textContent : null;",
                vec![],
            )
            .await;
        assert_eq!(notice, json!("steps before 8 were dropped"));
        let dir = crate::browser::screenshot_dir();
        std::fs::create_dir_all(&dir).expect("creating the screenshot dir");
        let png = tab.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join("retention_dropped.png"), &png).expect("saving the screenshot");
        wait_until("the tab to report step 8", || {
            playback.current_timestep().ok() == Some(8)
        });
        // It plays on from there.
        playback.seek(12).expect("seek");
        wait_for_step(&tab, 12).await;
        // An export takes what is kept.
        let bytes = server.serialize(0, None).expect("an export");
        let recording = viser4d_proto::decode_recording(&bytes).expect("decodable");
        let configure = recording.messages.iter().find_map(|(_, m)| {
            match viser4d_proto::timeline::ServerMessage::from_any(m) {
                Some(viser4d_proto::timeline::ServerMessage::TimelineConfigure(c)) => Some(c),
                _ => None,
            }
        });
        let configure = configure.expect("a configure");
        assert_eq!((configure.first_step, configure.num_steps), (8, 16));
        tab.close().await;
    });
}
