//! The recording API and the timeline protocol, spoken by a Rust client
//! standing in for the browser runtime.

use std::sync::Arc;

use bytes::Bytes;
use viser4d_proto::timeline::{
    ServerMessage, TimelineBlockRequest, TimelineMessage, TimelineReady, unpack,
};
use viser4d_proto::{AnyMessage, Message, Value};
use viser4d_server::scene::{FrameOptions, PointCloudOptions, PointColors};
use viser4d_server::{Server, ServerError};
use viser4d_timeline::{Block, Cursor, Emit};

use crate::support::{self, WsClient, runtime};

fn timeline_message(message: &AnyMessage) -> Option<ServerMessage> {
    ServerMessage::from_any(message)
}

fn cloud_server(num_steps: u32) -> (Server, viser4d_server::scene::PointCloudHandle) {
    let server = support::server_with(|b| b.num_steps(num_steps).fps(5.0).block_size(4));
    let cloud = {
        let _t = server.at(0).expect("step 0");
        server
            .scene()
            .add_point_cloud(
                "/world/cloud",
                &[[0.0, 0.0, 0.0]],
                PointColors::Uniform([1, 2, 3]),
                PointCloudOptions::default(),
            )
            .expect("adding a cloud")
    };
    for t in 1..num_steps {
        let _t = server.at(t).expect("a step");
        cloud
            .set_points(&[[t as f32, 0.0, 0.0]])
            .expect("set points");
    }
    (server, cloud)
}

#[test]
fn builder_and_recording_errors_are_typed_and_name_the_value() {
    let bad = |configure: fn(viser4d_server::ServerBuilder) -> viser4d_server::ServerBuilder| {
        match configure(Server::builder().host("127.0.0.1").port(0)).start() {
            Ok(_) => panic!("accepted a bad setting"),
            Err(e) => e.to_string(),
        }
    };
    assert!(bad(|b| b.num_steps(0)).contains("num_steps"));
    assert!(bad(|b| b.num_steps(3).fps(0.0)).contains("fps"));
    assert!(bad(|b| b.num_steps(3).fps(f64::NAN)).contains("fps"));
    assert!(
        bad(|b| b
            .fps(10.0)
            .retention(viser4d_server::Retention::LastSteps(0)))
        .contains("retention")
    );
    assert!(
        bad(|b| b
            .fps(10.0)
            .retention(viser4d_server::Retention::LastSeconds(f64::NAN)))
        .contains("retention")
    );
    assert!(
        bad(|b| b
            .fps(10.0)
            .retention(viser4d_server::Retention::MaxBytes(0)))
        .contains("retention")
    );
    assert!(bad(|b| b.num_steps(3).block_size(0)).contains("block_size"));

    let live = support::server();
    assert!(matches!(live.at(0), Err(ServerError::NoTimeline)));

    let (server, cloud) = cloud_server(8);
    // `at(8)` would add a step; past that is a gap.
    assert!(matches!(
        server.at(9),
        Err(ServerError::StepOutOfRange {
            step: 9,
            num_steps: 8
        })
    ));
    {
        let _outer = server.at(1).expect("step 1");
        let nested = server.at(2);
        assert!(matches!(
            nested,
            Err(ServerError::NestedStep { outer: 1, inner: 2 })
        ));
        assert!(matches!(server.set_steps(3), Err(ServerError::StepActive)));
        assert!(matches!(server.clear(), Err(ServerError::StepActive)));
        // A name the live scene owns cannot be recorded.
        let taken = server
            .scene()
            .add_frame("/WorldAxes", FrameOptions::default());
        assert!(
            matches!(
                &taken,
                Err(ServerError::NameInUse {
                    existing: "live",
                    ..
                })
            ),
            "{taken:?}"
        );
    }
    // ...nor can the live scene take a timeline name.
    let taken = server
        .scene()
        .add_frame("/world/cloud", FrameOptions::default());
    assert!(matches!(
        taken,
        Err(ServerError::NameInUse {
            existing: "timeline",
            ..
        })
    ));
    // Outside any step a timeline handle still works (as an override).
    cloud.set_point_size(0.5).expect("an override");
    assert!(server.play(Some(0.0), None).is_err());
    assert!(server.set_playback_speed(f64::INFINITY).is_err());
    server.set_steps(4).expect("set_steps when idle");
    assert_eq!(server.num_steps(), Some(4));
    assert!(server.set_steps(0).is_err());
    server.clear().expect("clear when idle");
}

#[test]
fn a_runtime_is_configured_on_ready_and_fetches_blocks_it_can_decode() {
    let (server, _cloud) = cloud_server(10);
    runtime().block_on(async {
        let mut client = WsClient::connect(server.port()).await;
        let hello = client
            .messages_until(|m| timeline_message(m).is_some())
            .await;
        let done = hello.iter().position(support::is_replay_done);
        assert_eq!(done, Some(hello.len() - 2), "Hello right after ReplayDone");
        assert!(matches!(
            hello.last().and_then(timeline_message),
            Some(ServerMessage::TimelineHello(_))
        ));
        // A command before the tab is ready is held for it.
        server.play(Some(2.0), Some(true)).expect("play");
        client.say_ready().await;
        let got = client
            .messages_until(|m| matches!(timeline_message(m), Some(ServerMessage::TimelinePlay(_))))
            .await;
        let kinds: Vec<&str> = got
            .iter()
            .filter_map(timeline_message)
            .map(|m| m.type_name())
            .collect();
        assert_eq!(
            kinds,
            ["TimelineConfigure", "TimelineOverrides", "TimelinePlay"]
        );
        let Some(ServerMessage::TimelineConfigure(config)) = got.first().and_then(timeline_message)
        else {
            panic!("configure first: {kinds:?}");
        };
        assert_eq!(
            (config.num_steps, config.block_size, config.fps),
            (10, 4, 5.0)
        );
        assert_eq!(config.block_bytes.len(), 3);

        // A runtime says ready when installed and again to the Hello; the
        // second must not configure it again (it would drop and fetch its
        // first block a second time).
        client.say_ready().await;
        client
            .send(
                &TimelineBlockRequest { index: 1 }
                    .to_any()
                    .expect("encodable"),
            )
            .await;
        let got = client
            .messages_until(|m| {
                matches!(timeline_message(m), Some(ServerMessage::TimelineBlock(_)))
            })
            .await;
        let again: Vec<&str> = got
            .iter()
            .filter_map(timeline_message)
            .map(|m| m.type_name())
            .collect();
        assert_eq!(
            again,
            ["TimelineBlock"],
            "a second ready configured the tab again"
        );
        let Some(ServerMessage::TimelineBlock(block)) = got.last().and_then(timeline_message)
        else {
            panic!("a block");
        };
        assert_eq!(block.index, 1);
        let block = Block::<Bytes>::decode(block.data.bytes()).expect("a block our codec reads");
        let mut cursor = Cursor::new();
        let emits = cursor.seek(&block, 6).expect("step 6 is in block 1");
        let messages: Vec<Value> = emits
            .iter()
            .filter_map(|e| match e {
                Emit::Put(_, packed) => Some(unpack(packed).expect("a packed message")),
                _ => None,
            })
            .collect();
        let types: Vec<&str> = messages
            .iter()
            .filter_map(|m| m.get("type").and_then(Value::as_str))
            .collect();
        assert!(
            types.contains(&"FrameMessage"),
            "the virtual parent /world: {types:?}"
        );
        assert!(types.contains(&"PointCloudMessage"), "{types:?}");
        let update = messages
            .iter()
            .find(|m| m.get("type").and_then(Value::as_str) == Some("SceneNodeUpdateMessage"))
            .expect("the points of step 6");
        let Some(Value::Map(updates)) = update.get("updates") else {
            panic!("updates map");
        };
        let Value::Typed(points) = &updates[0].1 else {
            panic!("points as a typed array");
        };
        assert_eq!(points.len(), 3);
        assert_eq!(server.client_blocks_sent(server.clients()[0].id()), Some(1));
        client.close().await;
    });
}

#[test]
fn audio_tracks_are_checked_and_appends_refresh_the_blocks_a_tab_holds() {
    let server = support::server_with(|b| b.num_steps(40).fps(10.0).block_size(8));
    assert!(matches!(
        server.audio().add_track("/a", &[0.0; 16], 16_000, 1),
        Err(ServerError::AudioOutsideStep)
    ));
    let track = {
        let step = server.at(0).expect("step 0");
        let bad = step.audio().add_track("/a", &[0.0; 3], 16_000, 2);
        assert!(
            bad.as_ref()
                .err()
                .is_some_and(|e| e.to_string().contains("shape")),
            "{bad:?}"
        );
        let bad = step.audio().add_track("/a", &[0.0; 4], 0, 1);
        assert!(
            bad.as_ref()
                .err()
                .is_some_and(|e| e.to_string().contains("sample_rate")),
            "{bad:?}"
        );
        let track = step
            .audio()
            .add_track("/a", &[0.1; 1_600], 16_000, 1)
            .expect("a track");
        assert!(matches!(
            step.audio().add_track("/a", &[0.0; 4], 16_000, 1),
            Err(ServerError::NameInUse {
                existing: "audio",
                ..
            })
        ));
        track
    };
    assert!(track.set_volume(1.5).is_err());
    assert!(track.append(&[f32::NAN]).is_err());
    track.set_volume(0.5).expect("an override volume");
    assert_eq!(track.volume().ok(), Some(0.5));

    runtime().block_on(async {
        let mut client = WsClient::connect(server.port()).await;
        client
            .messages_until(|m| timeline_message(m).is_some())
            .await;
        client.say_ready().await;
        client
            .send(
                &TimelineBlockRequest { index: 0 }
                    .to_any()
                    .expect("encodable"),
            )
            .await;
        let first = client
            .messages_until(|m| {
                matches!(timeline_message(m), Some(ServerMessage::TimelineBlock(_)))
            })
            .await;
        let Some(ServerMessage::TimelineBlock(block)) = first.last().and_then(timeline_message)
        else {
            panic!("a block");
        };
        assert_eq!(block.audio.len(), 1);
        assert_eq!(block.audio[0].samples.len(), 1_600, "0.1 s recorded so far");

        // Outside any step: 0.5 s more; block 0 (steps 0..8 = 0.8 s) grows.
        track.append(&[0.2; 8_000]).expect("append");
        let again = client
            .messages_until(|m| {
                matches!(timeline_message(m), Some(ServerMessage::TimelineBlock(_)))
            })
            .await;
        let Some(ServerMessage::TimelineBlock(refreshed)) = again.last().and_then(timeline_message)
        else {
            panic!("a refreshed block");
        };
        assert_eq!(refreshed.index, 0);
        assert!(refreshed.audio_revision > block.audio_revision);
        assert_eq!(refreshed.audio[0].samples.len(), 9_600);
        client.close().await;
    });
}

#[test]
fn a_stale_runtime_is_told_in_the_page_and_logged_once() {
    let (server, _cloud) = cloud_server(10);
    runtime().block_on(async {
        for tab in 0..2 {
            let mut client = WsClient::connect(server.port()).await;
            client
                .messages_until(|m| timeline_message(m).is_some())
                .await;
            // What a runtime of protocol revision 1 said: no version at all.
            let stale = TimelineReady {
                runtime_version: None,
                protocol: None,
            };
            client.send(&stale.to_any().expect("encodable")).await;
            let got = client
                .messages_until(|m| {
                    matches!(m, AnyMessage::Viser(Message::NotificationShowMessage(_)))
                        || timeline_message(m).is_some()
                })
                .await;
            let Some(AnyMessage::Viser(Message::NotificationShowMessage(notice))) = got.last()
            else {
                panic!("tab {tab}: a notification, not {got:?}");
            };
            assert!(
                notice.props.body.contains("runtime unknown (protocol 1)")
                    && notice.props.body.contains(&format!(
                        "protocol {}",
                        viser4d_proto::timeline::PROTOCOL_REVISION
                    )),
                "{}",
                notice.props.body
            );
            // The stale tab is never configured, so it never misreads a block.
            client
                .send(
                    &TimelineBlockRequest { index: 0 }
                        .to_any()
                        .expect("encodable"),
                )
                .await;
            let more = client
                .receive_within(std::time::Duration::from_millis(300))
                .await;
            assert!(more.is_none(), "tab {tab}: nothing more, got {more:?}");
        }
    });
    let logs = support::logs();
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("cannot drive"))
        .collect();
    assert_eq!(lines.len(), 1, "logged once for two tabs: {logs}");
    assert!(
        lines[0].contains("runtime_protocol=1")
            && lines[0].contains(&format!(
                "server_protocol={}",
                viser4d_proto::timeline::PROTOCOL_REVISION
            )),
        "{}",
        lines[0]
    );
}

#[test]
fn reported_steps_and_speeds_outside_the_timeline_are_ignored() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use viser4d_proto::timeline::{TimelinePlaybackState, TimelineTimestep};

    let (server, _cloud) = cloud_server(10);
    let reported = Arc::new(AtomicU32::new(u32::MAX));
    let seen = reported.clone();
    server.on_timestep_change(move |_, step| seen.store(step, Ordering::SeqCst));
    runtime().block_on(async {
        let mut client = WsClient::connect(server.port()).await;
        client
            .messages_until(|m| timeline_message(m).is_some())
            .await;
        client.say_ready().await;
        support::wait_until("the tab's session", || server.client_playbacks().len() == 1);
        let Some((_, playback)) = server.client_playbacks().pop_first() else {
            panic!("no session");
        };
        let bad: [AnyMessage; 4] = [
            TimelineTimestep { step: 10 }.to_any().expect("encodable"),
            TimelineTimestep { step: u32::MAX }
                .to_any()
                .expect("encodable"),
            TimelinePlaybackState {
                playing: true,
                step: 3,
                speed: f64::NAN,
                r#loop: false,
                following: false,
            }
            .to_any()
            .expect("encodable"),
            TimelinePlaybackState {
                playing: true,
                step: 11,
                speed: 2.0,
                r#loop: false,
                following: false,
            }
            .to_any()
            .expect("encodable"),
        ];
        for message in &bad {
            client.send(message).await;
        }
        // A good report after the bad ones: once it lands, the bad ones were seen.
        client
            .send(&TimelineTimestep { step: 9 }.to_any().expect("encodable"))
            .await;
        support::wait_until("the good report", || reported.load(Ordering::SeqCst) == 9);
        assert_eq!(playback.current_timestep().ok(), Some(9));
        assert_eq!(
            playback.speed().ok(),
            Some(1.0),
            "the NaN speed never landed"
        );
        assert_eq!(playback.is_playing().ok(), Some(false));
        client
            .send(
                &TimelinePlaybackState {
                    playing: true,
                    step: 4,
                    speed: 2.0,
                    r#loop: true,
                    following: false,
                }
                .to_any()
                .expect("encodable"),
            )
            .await;
        support::wait_until("the good state", || playback.speed().ok() == Some(2.0));
        assert_eq!(playback.current_timestep().ok(), Some(4));
    });
    let logs = support::logs();
    assert!(
        logs.contains("tab reported a step outside the timeline"),
        "{logs}"
    );
    assert!(
        logs.contains("tab reported a playback state outside"),
        "{logs}"
    );
}

#[test]
fn a_step_that_cannot_be_recorded_is_an_error_and_nothing_of_it_lands() {
    use viser4d_server::scene::FrameOptions;
    let spill = tempfile::tempdir().expect("a temp dir");
    let server = support::server_with(|b| {
        b.num_steps(120)
            .block_size(4)
            .memory_budget_bytes(32 * 1024)
            .spill_dir(spill.path())
    });
    let points = |t: u32| -> Vec<[f32; 3]> {
        (0..2000)
            .map(|i| [i as f32 * 0.001, t as f32, (i * 7 % 13) as f32])
            .collect()
    };
    let cloud = {
        let _step = server.at(0).expect("step 0");
        server
            .scene()
            .add_point_cloud(
                "/cloud",
                &points(0),
                PointColors::Uniform([1, 2, 3]),
                PointCloudOptions::default(),
            )
            .expect("a cloud")
    };
    for t in 1..120 {
        let _step = server.at(t).expect("a step");
        cloud.set_points(&points(t)).expect("recorded");
    }
    // Encodings still coming back from the encoder task install, spill and
    // replace spilled files: the directory is left alone until they are in.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.encodings_in_flight() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "encodings still out after 20 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // The blocks went to disk; take the files of all but the last block
    // away, as a disk fault (or a cleaner of temporary files) would.
    // Spill files are named `block-{index}-{serial}.v4d`.
    let files: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir(spill.path())
        .expect("the spill dir")
        .flatten()
        .flat_map(|dir| {
            std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .filter_map(|file| {
            let name = file.file_name().into_string().ok()?;
            let index = name
                .strip_prefix("block-")?
                .split('-')
                .next()?
                .parse()
                .ok()?;
            Some((index, file.path()))
        })
        .collect();
    let last = files.iter().map(|(index, _)| *index).max().unwrap_or(0);
    let mut removed = 0;
    for (index, path) in files {
        if index != last {
            match std::fs::remove_file(path) {
                Ok(()) => removed += 1,
                // The store replaced it meanwhile.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("removing a spilled block: {e}"),
            }
        }
    }
    assert!(removed > 0, "blocks were spilled");
    {
        let _step = server.at(0).expect("step 0");
        let error = cloud
            .set_points(&points(500))
            .expect_err("block 0 cannot be read back");
        assert!(
            matches!(
                error,
                ServerError::Timeline(viser4d_timeline::StoreError::Spill { .. })
            ),
            "{error}"
        );
        let error = server
            .scene()
            .add_frame("/frame", FrameOptions::default())
            .expect_err("nor can a node be created there");
        assert!(matches!(error, ServerError::Timeline(_)), "{error}");
    }
    // The failed create left no node behind: the name is free at a step
    // whose block can be read.
    let _step = server.at(119).expect("the last step");
    server
        .scene()
        .add_frame("/frame", FrameOptions::default())
        .expect("the name was never taken");
}

#[test]
fn an_open_ended_timeline_grows_by_append_step_and_at_num_steps() {
    let server = support::server_with(|b| b.fps(30.0));
    assert!(server.is_open_ended());
    assert_eq!(server.num_steps(), Some(0));
    let empty = server.serialize(0, None);
    assert!(
        matches!(&empty, Err(ServerError::InvalidArgument { .. })),
        "nothing to export yet: {empty:?}"
    );
    for expected in 0..3 {
        let step = server.append_step().expect("a step");
        assert_eq!(step.step(), expected);
    }
    assert_eq!(server.num_steps(), Some(3));
    drop(server.at(3).expect("at(num_steps) adds one"));
    assert_eq!(server.num_steps(), Some(4));
    assert!(matches!(
        server.at(6),
        Err(ServerError::StepOutOfRange {
            step: 6,
            num_steps: 4
        })
    ));
    {
        let _outer = server.append_step().expect("a step");
        assert!(
            matches!(server.append_step(), Err(ServerError::NestedStep { .. })),
            "steps do not nest"
        );
    }
    // Threads appending at once each get a step of their own.
    let steps: Vec<u32> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    (0..50)
                        .map(|_| server.append_step().expect("a step").step())
                        .collect::<Vec<u32>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker"))
            .collect()
    });
    let mut sorted = steps.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 100, "no step handed out twice");
    assert_eq!(server.num_steps(), Some(105));
    // An export takes the steps recorded so far.
    assert!(server.serialize(0, None).is_ok());
    // A fixed-length timeline grows the same way, and is not open-ended.
    let fixed = support::server_with(|b| b.num_steps(2));
    assert!(!fixed.is_open_ended());
    drop(fixed.append_step().expect("a third step"));
    assert_eq!(fixed.num_steps(), Some(3));
}
