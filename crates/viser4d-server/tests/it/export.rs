//! `.viser` export: decoded with our codec, and played by the stock viser
//! client (`?playbackPath=`) with no server behind the timeline.

use serde_json::json;
use viser4d_proto::timeline::ServerMessage;
use viser4d_proto::{AnyMessage, Message, decode_recording};
use viser4d_server::ServerError;

use crate::playback::{recorded, wait_for_step};
use crate::support::{self, runtime};
use crate::webdriver::{self, ChromeDriver, Tab};

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
        .filter_map(|(_, m)| ServerMessage::from_any(m))
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

/// The page's `/cloud` as JSON (type, points, visibility), for comparing
/// a live tab with an exported one.
pub(crate) const CLOUD: &str = "
    const n = window.__viserSceneTree && window.__viserSceneTree.getState()['/cloud'];
    return n ? JSON.stringify([n.message.type, Array.from(n.message.props.points), n.visibility]) : null;";

pub(crate) async fn seek_and_read(tab: &Tab, step: u32) -> serde_json::Value {
    tab.eval(
        &format!("window.__viser4dRuntime.seek({step}); return true;"),
        vec![],
    )
    .await;
    wait_for_step(tab, step).await;
    tab.eval(CLOUD, vec![]).await
}

#[test]
fn exports_play_in_the_stock_client_and_from_file_like_a_live_tab() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded(40, 10.0);
    let bytes = server.serialize(5, Some(30)).expect("an export");
    let html = server.as_html(5, Some(30), true).expect("an HTML export");
    let dir = tempfile::tempdir().expect("a temp dir");
    let html_path = dir.path().join("export.html");
    std::fs::write(&html_path, &html).expect("writing the page");
    let player = support::server_with(|b| b.inject_runtime(false).recording(bytes));
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let live = driver.session().await;
        live.open(&server.url()).await;
        let file = driver.session().await;
        file.open(&player.recording_url()).await;
        let page = driver.session().await;
        page.open(&format!("file://{}", html_path.display())).await;
        // Each starts at the first step of its range.
        wait_for_step(&file, 5).await;
        wait_for_step(&page, 5).await;
        let shots = crate::browser::screenshot_dir();
        std::fs::create_dir_all(&shots).expect("the screenshot dir");
        for (tab, name) in [
            (&file, "export_playback_path.png"),
            (&page, "export_html_file.png"),
        ] {
            let png = tab.client.screenshot().await.expect("a screenshot");
            std::fs::write(shots.join(name), &png).expect("saving");
        }
        for step in [5, 17, 30] {
            let expected = seek_and_read(&live, step).await;
            assert_eq!(
                seek_and_read(&file, step).await,
                expected,
                "step {step} from ?playbackPath="
            );
            assert_eq!(
                seek_and_read(&page, step).await,
                expected,
                "step {step} from file://"
            );
        }
        // The exported bar plays (and stops at the range's end).
        page.eval(
            "window.__viser4dRuntime.seek(25); window.__viser4dRuntime.play(); return true;",
            vec![],
        )
        .await;
        wait_for_step(&page, 30).await;
        let bar = page
            .eval(
                "return !!document.querySelector('[data-viser4d-role=play]');",
                vec![],
            )
            .await;
        assert_eq!(bar, json!(true));
        for tab in [live, file, page] {
            tab.close().await;
        }
    });
}

#[test]
fn exported_blocks_are_the_live_blocks_and_images_and_glb_survive() {
    use bytes::Bytes;
    use viser4d_proto::Value;
    use viser4d_proto::timeline::{TimelineBlockRequest, TimelineMessage, unpack};
    use viser4d_server::scene::{EncodedImage, GlbOptions, ImageOptions};
    use viser4d_timeline::{Block, Cursor, Emit};

    let server = support::server_with(|b| b.num_steps(12).fps(10.0).block_size(4));
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n"
        .iter()
        .copied()
        .chain(0..200u8)
        .collect();
    let glb: Vec<u8> = b"glTF"
        .iter()
        .copied()
        .chain((0..300u16).map(|v| v as u8))
        .collect();
    let cloud = {
        let _t = server.at(0).expect("step 0");
        let scene = server.scene();
        scene
            .add_image(
                "/img",
                EncodedImage::png(png.clone()).expect("a png"),
                1.0,
                1.0,
                ImageOptions::default(),
            )
            .expect("an image");
        scene
            .add_glb("/model", glb.clone(), GlbOptions::default())
            .expect("a glb");
        scene
            .add_point_cloud(
                "/cloud",
                &[[0.0, 0.0, 0.0]],
                viser4d_server::scene::PointColors::Uniform([1, 2, 3]),
                Default::default(),
            )
            .expect("a cloud")
    };
    for t in 1..12 {
        let _t = server.at(t).expect("a step");
        cloud.set_points(&[[t as f32, 0.0, 0.0]]).expect("points");
    }
    let recording =
        decode_recording(&server.serialize(2, Some(9)).expect("an export")).expect("decodable");
    let exported: Vec<_> = recording
        .messages
        .iter()
        .filter_map(|(_, m)| match ServerMessage::from_any(m) {
            Some(ServerMessage::TimelineBlock(b)) => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(
        exported.iter().map(|b| b.index).collect::<Vec<_>>(),
        [0, 1, 2]
    );

    // Byte for byte what a live tab gets.
    runtime().block_on(async {
        let mut client = support::WsClient::connect(server.port()).await;
        let is_hello = |m: &AnyMessage| {
            matches!(
                ServerMessage::from_any(m),
                Some(ServerMessage::TimelineHello(_))
            )
        };
        client.messages_until(is_hello).await;
        client.say_ready().await;
        for block in &exported {
            client
                .send(
                    &TimelineBlockRequest { index: block.index }
                        .to_any()
                        .expect("encodable"),
                )
                .await;
            let got = client
                .messages_until(|m| {
                    matches!(
                        ServerMessage::from_any(m),
                        Some(ServerMessage::TimelineBlock(_))
                    )
                })
                .await;
            let Some(ServerMessage::TimelineBlock(live)) =
                got.last().and_then(ServerMessage::from_any)
            else {
                panic!("a block");
            };
            assert_eq!(live.index, block.index);
            assert_eq!(
                live.data.bytes(),
                block.data.bytes(),
                "block {}",
                block.index
            );
        }
        client.close().await;
    });

    // Images and GLB bytes come back whole from the exported block.
    let block = Block::<Bytes>::decode(exported[0].data.bytes()).expect("a block");
    let mut cursor = Cursor::new();
    let values: Vec<Value> = cursor
        .seek(&block, 2)
        .expect("step 2")
        .iter()
        .filter_map(|e| match e {
            Emit::Put(_, p) => unpack(p).ok(),
            _ => None,
        })
        .collect();
    let bin_len = |ty: &str, field: &str| {
        values
            .iter()
            .find(|v| v.get("type").and_then(Value::as_str) == Some(ty))
            .and_then(|v| v.get("props"))
            .and_then(|p| p.get(field))
            .map(|d| match d {
                Value::Bin(b) => b.len(),
                Value::Typed(t) => t.bytes().len(),
                _ => 0,
            })
    };
    assert_eq!(
        bin_len("ImageMessage", "_data"),
        Some(png.len()),
        "{values:?}"
    );
    assert_eq!(bin_len("GlbMessage", "glb_data"), Some(glb.len()));
}

#[test]
fn an_export_to_a_file_is_whole_or_not_there() {
    let (server, _cloud) = recorded(20, 10.0);
    let dir = tempfile::tempdir().expect("a temp dir");
    let target = dir.path().join("run.viser");
    let written = server.write_recording(&target, 0, None).expect("written");
    let bytes = std::fs::read(&target).expect("the file");
    assert_eq!(bytes.len() as u64, written);
    // The whole recording: it decodes, with every message an export has.
    let file = decode_recording(&bytes).expect("a whole recording");
    let fresh = server.serialize(0, None).expect("an export");
    let fresh = decode_recording(&fresh).expect("decodable");
    assert_eq!(file.messages.len(), fresh.messages.len());
    assert_eq!(file.buffers.len(), fresh.buffers.len());

    // A failed export leaves the older file as it was, and no stray files.
    let error = server
        .write_recording(&target, 5, Some(99))
        .expect_err("a range past the end");
    assert!(matches!(error, ServerError::InvalidRange { .. }), "{error}");
    assert_eq!(std::fs::read(&target).expect("still there"), bytes);
    // A target that cannot be written: a typed error naming it, nothing left.
    let nowhere = dir.path().join("missing-dir/run.viser");
    let error = server
        .write_recording(&nowhere, 0, None)
        .expect_err("no such directory");
    assert!(
        matches!(&error, ServerError::Write { path, .. } if *path == nowhere),
        "{error}"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("listing")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["run.viser"], "no temporary files left");
}
