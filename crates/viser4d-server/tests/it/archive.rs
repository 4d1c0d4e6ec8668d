//! Archives: written by `save_archive`, served by a plain static file
//! server through a slow link, and played by the stock client with our
//! runtime fetching blocks on demand: no viser4d process behind the page.

use serde_json::json;
use viser4d_proto::archive::{ArchiveManifest, MANIFEST_FILE};

use crate::export::{CLOUD, seek_and_read};
use crate::playback::{recorded, wait_for_step, wait_for_step_at_least};
use crate::static_host::StaticHost;
use crate::support::runtime;
use crate::throttle::{Link, Throttle};
use crate::webdriver::{self, ChromeDriver};

fn manifest(dir: &std::path::Path) -> ArchiveManifest {
    let json = std::fs::read(dir.join(MANIFEST_FILE)).expect("the manifest");
    ArchiveManifest::parse(&json).expect("a valid manifest")
}

#[test]
fn saving_again_skips_what_is_there_and_finishes_what_is_not() {
    let (server, _cloud) = recorded(80, 10.0);
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut progress = Vec::new();
    let first = server
        .save_archive_with_progress(dir.path(), 0, None, |d, t| progress.push((d, t)))
        .expect("an archive");
    assert_eq!((first.blocks, first.blocks_skipped), (3, 0));
    assert_eq!(progress, [(1, 3), (2, 3), (3, 3)]);
    let m = manifest(dir.path());
    assert_eq!((m.first_step, m.num_steps, m.blocks.len()), (0, 80, 3));
    for file in m.files() {
        assert!(dir.path().join(file).is_file(), "{file} is there");
    }
    assert!(dir.path().join("index.html").is_file());
    // Interrupted after two blocks: the third is written again, no more.
    std::fs::remove_file(dir.path().join(&m.blocks[2].file)).expect("removing a block");
    let again = server.save_archive(dir.path(), 0, None).expect("again");
    assert_eq!((again.blocks, again.blocks_skipped), (3, 2));
    assert!(again.bytes_written < first.bytes_written);
    assert_eq!(again.archive_bytes, first.archive_bytes);
    assert_eq!(
        manifest(dir.path()),
        m,
        "the same recording, the same archive"
    );
    // A range: its blocks only, and its first step.
    let part = tempfile::tempdir().expect("a temp dir");
    server
        .save_archive(part.path(), 40, Some(50))
        .expect("a range");
    let m = manifest(part.path());
    assert_eq!((m.first_step, m.num_steps), (40, 51));
    assert_eq!(m.blocks.iter().map(|b| b.index).collect::<Vec<_>>(), [1]);
    let err = server
        .save_archive(part.path(), 70, Some(90))
        .expect_err("out of range");
    assert!(err.to_string().contains("0..=79"), "{err}");
    #[cfg(not(feature = "object-store"))]
    {
        let err = server
            .save_archive("s3://bucket/x", 0, None)
            .expect_err("no feature");
        assert!(err.to_string().contains("object-store"), "{err}");
    }
}

#[test]
fn an_archive_plays_from_a_static_host_over_a_slow_link_like_a_live_tab() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded(80, 10.0);
    let dir = tempfile::tempdir().expect("a temp dir");
    server
        .save_archive(dir.path(), 0, None)
        .expect("an archive");
    let host = StaticHost::serve(dir.path());
    let (proxy, pending) = Throttle::bind(Link::OFFICE);
    pending.forward_to(host.port);
    let url = format!("{}/", proxy.origin());
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let live = driver.session().await;
        live.open(&server.url()).await;
        let archive = driver.session().await;
        archive.open(&url).await;
        wait_for_step(&archive, 0).await;
        let first = archive
            .eval(
                "return window.__viser4dRuntime.stats().firstShownMs;",
                vec![],
            )
            .await;
        println!("MEASURED archive first step shown {first} ms after navigation");
        // Only the block shown was fetched: the others wait for playback.
        assert_eq!(host.requests_under("/blocks/"), 1, "{:?}", host.requests);
        for step in [0, 40, 79] {
            let expected = seek_and_read(&live, step).await;
            seek_and_read(&archive, step).await;
            // viser settles a node's visibility over its next frames.
            archive
                .wait_until(&format!("step {step} as the live tab has it"), CLOUD, |v| {
                    *v == expected
                })
                .await;
        }
        assert_eq!(host.requests_under("/blocks/"), 3);
        let shots = crate::browser::screenshot_dir();
        std::fs::create_dir_all(&shots).expect("the screenshot dir");
        let png = archive.client.screenshot().await.expect("a screenshot");
        std::fs::write(shots.join("archive_static_host.png"), &png).expect("saving");
        // It plays on by itself, blocks already cached.
        archive
            .eval(
                "window.__viser4dRuntime.seek(60); window.__viser4dRuntime.play(); return true;",
                vec![],
            )
            .await;
        wait_for_step(&archive, 79).await;
        println!(
            "archive over a 100 Mbit/s, 20 ms link: {} bytes down for 3 blocks ({} bytes of files)",
            proxy.down(),
            host.bytes_sent.load(std::sync::atomic::Ordering::Relaxed)
        );
        for tab in [live, archive] {
            tab.close().await;
        }
    });
}

#[test]
fn a_damaged_block_file_is_named_in_the_page_and_the_rest_plays() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) = recorded(80, 10.0);
    let dir = tempfile::tempdir().expect("a temp dir");
    server
        .save_archive(dir.path(), 0, None)
        .expect("an archive");
    let m = manifest(dir.path());
    // Block 1 (steps 32..64) loses its second half, as an interrupted
    // upload would leave it.
    let path = dir.path().join(&m.blocks[1].file);
    let bytes = std::fs::read(&path).expect("the block");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("truncating");
    let host = StaticHost::serve(dir.path());
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&format!("http://127.0.0.1:{}/", host.port)).await;
        wait_for_step(&tab, 0).await;
        tab.eval(
            "window.__viser4dRuntime.seek(28); window.__viser4dRuntime.play(); return true;",
            vec![],
        )
        .await;
        // Past the damaged block, playing on.
        wait_for_step_at_least(&tab, 64).await;
        let alert = tab
            .wait_until(
                "the page to name the damaged block",
                "const n = document.querySelector('[data-viser4d-alert]'); return n ? n.textContent : null;",
                |t| t.is_string(),
            )
            .await;
        let text = alert.as_str().unwrap_or_default();
        assert!(
            text.contains("block 1 ") && text.contains(&m.blocks[1].file) && text.contains("bytes"),
            "{text}"
        );
        let shots = crate::browser::screenshot_dir();
        std::fs::create_dir_all(&shots).expect("the screenshot dir");
        let png = tab.client.screenshot().await.expect("a screenshot");
        std::fs::write(shots.join("archive_damaged_block.png"), &png).expect("saving");
        let broken = tab
            .eval("return window.__viser4dRuntime.stats().brokenBlocks;", vec![])
            .await;
        assert_eq!(broken, json!(1));
        tab.close().await;
    });
}

/// Every step's folded scene in an export, as (key, packed message) lists.
fn exported_states(server: &viser4d_server::Server) -> Vec<Vec<(String, Vec<u8>)>> {
    use viser4d_proto::timeline::ServerMessage;
    let bytes = server.serialize(0, None).expect("an export");
    let recording = viser4d_proto::decode_recording(&bytes).expect("it decodes");
    let mut out = Vec::new();
    for (_, m) in &recording.messages {
        if let Some(ServerMessage::TimelineBlock(b)) = ServerMessage::from_any(m) {
            let block = viser4d_timeline::Block::<bytes::Bytes>::decode_shared(b.data.into_bytes())
                .expect("a block");
            for step in block.steps().start..block.steps().end.min(server.num_steps().unwrap_or(0))
            {
                let state = block.state_at(step).expect("a state");
                out.push(
                    state
                        .scene()
                        .iter()
                        .map(|(k, e)| (k.to_string(), e.value.to_vec()))
                        .collect(),
                );
            }
        }
    }
    out
}

/// Every block's audio in an export: (block, track, first frame, samples).
fn exported_audio(server: &viser4d_server::Server) -> Vec<(u32, String, u64, Vec<u8>)> {
    use viser4d_proto::timeline::ServerMessage;
    let bytes = server.serialize(0, None).expect("an export");
    let recording = viser4d_proto::decode_recording(&bytes).expect("it decodes");
    let mut out = Vec::new();
    for (_, m) in &recording.messages {
        if let Some(ServerMessage::TimelineBlock(b)) = ServerMessage::from_any(m) {
            for a in b.audio {
                out.push((b.index, a.name, a.start_frame, a.samples.bytes().to_vec()));
            }
        }
    }
    out
}

#[test]
fn an_opened_archive_is_the_recording_again_and_records_on() {
    let (server, _cloud) = recorded(80, 10.0);
    server
        .scene()
        .add_frame(
            "/live/frame",
            viser4d_server::scene::FrameOptions::default(),
        )
        .expect("a live node");
    let track = {
        let _t = server.at(0).expect("step 0");
        server
            .audio()
            .add_track("/tone", &vec![0.25; 16_000], 16_000, 1)
            .expect("a track")
    };
    track.append(&vec![0.5; 160_000]).expect("appending");
    let dir = tempfile::tempdir().expect("a temp dir");
    server
        .save_archive(dir.path(), 0, None)
        .expect("an archive");
    let mut progress = Vec::new();
    let opened = viser4d_server::Server::builder()
        .host("127.0.0.1")
        .port(0)
        .open_archive_with_progress(dir.path(), |d, t| progress.push((d, t)))
        .expect("the archive opens");
    assert_eq!(progress, [(1, 3), (2, 3), (3, 3)]);
    assert_eq!(opened.num_steps(), Some(80));
    assert_eq!(exported_states(&opened), exported_states(&server));
    // Saved again, the blocks are the same files: nothing was lost or changed.
    let again = tempfile::tempdir().expect("a temp dir");
    opened
        .save_archive(again.path(), 0, None)
        .expect("saved again");
    let (a, b) = (manifest(dir.path()), manifest(again.path()));
    assert_eq!(a.audio_tracks, b.audio_tracks);
    assert_eq!(a.audio_tracks.len(), 1);
    assert_eq!(a.blocks.len(), b.blocks.len());
    assert_eq!(exported_audio(&opened), exported_audio(&server));
    assert!(!exported_audio(&server).is_empty());
    let scene = viser4d_proto::decode_recording(
        &std::fs::read(again.path().join(&b.scene)).expect("the scene"),
    )
    .expect("decodes");
    assert!(
        crate::support::created_nodes(
            &scene
                .messages
                .iter()
                .map(|(_, m)| m.clone())
                .collect::<Vec<_>>()
        )
        .contains(&"/live/frame".to_owned()),
        "the live scene came back"
    );
    // It records on: a new step, and an edit of an old one.
    {
        let _t = opened.at(80).expect("a step past the end");
        opened
            .scene()
            .add_frame("/new", viser4d_server::scene::FrameOptions::default())
            .expect("recording");
    }
    assert_eq!(opened.num_steps(), Some(81));
    let states = exported_states(&opened);
    assert!(states[80].iter().any(|(k, _)| k.contains("/new")));
    assert_eq!(&states[..80], &exported_states(&server)[..]);
    // A range archive opens at its first block.
    let part = tempfile::tempdir().expect("a temp dir");
    server
        .save_archive(part.path(), 40, Some(70))
        .expect("a range");
    let ranged = viser4d_server::Server::builder()
        .host("127.0.0.1")
        .port(0)
        .open_archive(part.path())
        .expect("opens");
    assert_eq!(ranged.num_steps(), Some(71));
    let e = viser4d_server::Server::builder()
        .host("127.0.0.1")
        .port(0)
        .open_archive(tempfile::tempdir().expect("dir").path())
        .expect_err("an empty folder is no archive");
    assert!(e.to_string().contains("not an archive"), "{e}");
}

#[test]
fn a_cold_seek_into_a_heavy_archive_moves_one_steps_state_file() {
    let _one_at_a_time = webdriver::exclusive();
    let (server, _cloud) =
        crate::playback::recorded_cloud(96, 30.0, crate::network::cloud_at, |b| b);
    let dir = tempfile::tempdir().expect("a temp dir");
    server
        .save_archive(dir.path(), 0, None)
        .expect("an archive");
    let m = manifest(dir.path());
    let heavy = m.blocks.iter().filter(|b| !b.states.is_empty()).count();
    assert_eq!(
        heavy,
        m.blocks.len(),
        "every block of 20k noisy points is heavy"
    );
    let target = m
        .blocks
        .iter()
        .flat_map(|b| b.states.iter())
        .find(|s| s.step == 90)
        .expect("a state file for step 90")
        .clone();
    let block_90 = m
        .blocks
        .iter()
        .find(|b| b.state(90).is_some())
        .expect("its block")
        .bytes;
    let host = StaticHost::serve(dir.path());
    let (proxy, pending) = Throttle::bind(Link::OFFICE);
    pending.forward_to(host.port);
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&format!("{}/", proxy.origin())).await;
        wait_for_step(&tab, 0).await;
        let down = proxy.down();
        tab.eval("window.__viser4dRuntime.seek(90); return true;", vec![])
            .await;
        wait_for_step(&tab, 90).await;
        let seek_bytes = proxy.down() - down;
        assert_eq!(host.requests_under(&format!("/{}", target.file)), 1);
        assert!(
            (seek_bytes as f64) <= 1.5 * target.bytes as f64,
            "a cold seek moved {seek_bytes} bytes for a {}-byte state",
            target.bytes
        );
        println!(
            "MEASURED archive cold seek over 100 Mbit/s, 20 ms: {seek_bytes} bytes for a {}-byte state file ({:.2}x); its block is {block_90} bytes",
            target.bytes,
            seek_bytes as f64 / target.bytes as f64
        );
        // Playing on fetches the block and plays through it.
        tab.eval("window.__viser4dRuntime.play(); return true;", vec![])
            .await;
        crate::playback::wait_for_step_at_least(&tab, 93).await;
        tab.close().await;
    });
}

#[test]
fn an_archive_plays_its_audio_in_step_with_its_steps() {
    use crate::audio::{f, tone_server, wait_audio};
    let _one_at_a_time = webdriver::exclusive();
    let (server, _track) = tone_server(20);
    let dir = tempfile::tempdir().expect("a temp dir");
    server
        .save_archive(dir.path(), 0, None)
        .expect("an archive");
    assert_eq!(manifest(dir.path()).audio_tracks.len(), 1);
    let host = StaticHost::serve(dir.path());
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&format!("http://127.0.0.1:{}/", host.port)).await;
        wait_audio(&tab, "the track to be known", |a| {
            a["gains"]["/tone"].is_number()
        })
        .await;
        tab.eval("window.__viser4dRuntime.play(); return true;", vec![])
            .await;
        let a = wait_audio(&tab, "audio to run", |a| {
            f(a, "sources") >= 1.0 && f(a, "timelineTimeSec") > 1.0
        })
        .await;
        assert_eq!(a["state"], json!("running"), "{a}");
        assert!(
            (f(&a, "audioTimeSec") - f(&a, "timelineTimeSec")).abs() < 0.25,
            "audio and timeline agree: {a}"
        );
        tab.close().await;
    });
}
