//! `.viser` export: decoded with our codec, and played by the stock viser
//! client (`?playbackPath=`) with no server behind the timeline.

use serde_json::json;
use viser4d_proto::timeline::ServerMessage;
use viser4d_proto::{AnyMessage, Message, decode_recording};
use viser4d_server::ServerError;

use crate::playback::{CLOUD_X, recorded};
use crate::support::{self, DEADLINE, runtime};
use crate::webdriver::{self, ChromeDriver, Tab};

async fn wait_for_x(tab: &Tab, x: f64) {
    let started = std::time::Instant::now();
    loop {
        if tab.eval(CLOUD_X, vec![]).await.as_f64() == Some(x) {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the recording never showed x = {x}: {} / {}",
            tab.eval(CLOUD_X, vec![]).await,
            tab.eval("const r = window.__viser4dRuntime; return r ? [r.status, r.panic || null, r.stats && r.stats()] : 'no runtime';", vec![]).await,
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[test]
fn an_export_decodes_to_the_runtime_scene_and_timeline_and_bad_ranges_are_named() {
    let (server, _cloud) = recorded(40, 10.0);
    let err = server.serialize(30, Some(20)).err().map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("30..=20") && e.contains("0..=39")));
    assert!(matches!(
        server.serialize(40, None),
        Err(ServerError::InvalidRange { .. })
    ));
    let mut progress = Vec::new();
    let bytes = server
        .serialize_with_progress(10, Some(35), |done, total| progress.push((done, total)))
        .expect("an export");
    // Steps 10..=35 touch blocks 0 and 1 (32 steps each).
    assert_eq!(progress, [(1, 2), (2, 2)]);
    let recording = decode_recording(&bytes).expect("our codec reads it");
    let first = &recording.messages[0].1;
    assert!(
        matches!(first, AnyMessage::Viser(Message::RunJavascriptMessage(m)) if m.source.contains("wasm_bindgen"))
    );
    let timeline: Vec<ServerMessage> = recording
        .messages
        .iter()
        .filter_map(|(_, m)| match m {
            AnyMessage::Custom(v) => ServerMessage::from_value(v.clone()).ok().flatten(),
            AnyMessage::Viser(_) => None,
        })
        .collect();
    let kinds: Vec<&str> = timeline.iter().map(|m| m.type_name()).collect();
    assert_eq!(
        kinds,
        [
            "TimelineConfigure",
            "TimelineOverrides",
            "TimelineBlock",
            "TimelineBlock"
        ]
    );
    let ServerMessage::TimelineConfigure(c) = &timeline[0] else {
        panic!("configure first");
    };
    assert_eq!((c.first_step, c.num_steps, c.standalone), (10, 36, true));
}

#[test]
fn the_stock_client_plays_an_export_with_our_bar() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded(40, 10.0);
    let bytes = server.serialize(5, Some(30)).expect("an export");
    drop(server);
    let player = support::server_with(|b| b.inject_runtime(false).recording(bytes));
    let url = player.recording_url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        wait_for_x(&tab, 5.0).await;
        tab.eval("window.__viser4dRuntime.seek(30); return true;", vec![])
            .await;
        wait_for_x(&tab, 30.0).await;
        tab.eval("window.__viser4dRuntime.seek(12); return true;", vec![])
            .await;
        wait_for_x(&tab, 12.0).await;
        let bar = tab
            .eval(
                "return !!document.querySelector('[data-viser4d-role=play]');",
                vec![],
            )
            .await;
        assert_eq!(bar, json!(true));
        tab.close().await;
    });
}
