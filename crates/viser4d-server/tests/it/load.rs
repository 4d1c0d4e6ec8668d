//! Load: 50 WebSocket clients on loopback while the server broadcasts a
//! point cloud update at about 20 Hz. One client never reads. The other 49
//! must keep receiving, the silent one must be dropped once its backlog
//! passes the budget, and memory must stay bounded.
//!
//! `VISER4D_LOAD_TEST_SEC` sets how long it broadcasts (default 10 s).
//! The server runs in this process, so the peak RSS reported covers the
//! server and all 50 clients.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use viser4d_proto::{AnyMessage, Message};
use viser4d_server::scene::{FrameOptions, PointCloudHandle, PointCloudOptions, PointColors};

use crate::support::{self, Received, WsClient, creates_node, runtime, wait_until};

const CLIENTS: usize = 50;
/// Updates go round-robin over this many clouds. Updates of one cloud
/// coalesce in a slow client's outbox, so only distinct clouds add up:
/// 32 x 120 kB is more than the budget, so the silent client overflows;
/// and the scene, hence the server's memory, stays the same size.
const CLOUDS: usize = 32;
const POINTS_PER_CLOUD: usize = 20_000;
const BUDGET_BYTES: usize = 2 << 20;
const TICK: Duration = Duration::from_millis(50);
const PEAK_RSS_LIMIT_BYTES: u64 = 1 << 30;

fn broadcast_duration() -> Duration {
    let seconds = std::env::var("VISER4D_LOAD_TEST_SEC")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(10.0);
    Duration::from_secs_f64(seconds)
}

/// `VmHWM` (peak) and `VmRSS` (now) of this process, in bytes.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[derive(Debug, Default)]
struct ReaderStats {
    frames: usize,
    cloud_updates: usize,
    bytes: usize,
    saw_end: bool,
    closed: bool,
}

async fn read_until_end(mut client: WsClient) -> ReaderStats {
    let mut stats = ReaderStats::default();
    while !stats.saw_end {
        match client.receive_within(support::DEADLINE).await {
            Some(Received::Frame(frame)) => {
                stats.frames += 1;
                stats.bytes += frame.buffers.iter().map(|b| b.len()).sum::<usize>();
                for message in &frame.messages {
                    if let AnyMessage::Viser(Message::SceneNodeUpdateMessage(update)) = message
                        && update.updates.get("points").is_some()
                    {
                        stats.cloud_updates += 1;
                    }
                    stats.saw_end |= creates_node(message, "/load/done");
                }
            }
            Some(Received::Closed(_)) => {
                stats.closed = true;
                break;
            }
            None => break,
        }
    }
    stats
}

#[test]
fn fifty_clients_one_silent_at_20_hz() {
    let duration = broadcast_duration();
    let server = support::server_with(|b| b.client_backlog_bytes(BUDGET_BYTES));
    let (gone_tx, gone_rx) = mpsc::channel();
    server.on_client_disconnect(move |client| {
        gone_tx.send((client.id(), Instant::now())).ok();
    });
    let port = server.port();
    let rt = runtime();

    // Everyone connects first, then the program builds its scene and
    // streams. (A client's budget also covers the state it was replayed on
    // connecting, so the scene must grow after the silent client joins for
    // it to fall behind by more than the budget.)
    let readers: Vec<WsClient> = rt.block_on(async {
        let mut readers = Vec::new();
        for _ in 0..CLIENTS - 1 {
            let mut client = WsClient::connect(port).await;
            client.replay().await;
            readers.push(client);
        }
        readers
    });
    let reader_ids: Vec<_> = server.clients().iter().map(|c| c.id()).collect();
    assert_eq!(reader_ids.len(), CLIENTS - 1);
    let silent = rt.block_on(WsClient::connect(port));
    wait_until("the silent client to register", || {
        server.clients().len() == CLIENTS
    });
    let silent_id = server
        .clients()
        .iter()
        .map(|c| c.id())
        .find(|id| !reader_ids.contains(id))
        .expect("the silent client's id");

    let frames: Vec<Vec<[f32; 3]>> = (0..4)
        .map(|i| support::spiral(POINTS_PER_CLOUD, i as f32 * 0.5))
        .collect();
    let clouds: Vec<PointCloudHandle> = (0..CLOUDS)
        .map(|k| {
            server
                .scene()
                .add_point_cloud(
                    &format!("/load/cloud_{k}"),
                    &frames[0],
                    PointColors::Uniform([200, 60, 20]),
                    PointCloudOptions::default(),
                )
                .expect("adding a point cloud")
        })
        .collect();
    let tasks: Vec<_> = readers
        .into_iter()
        .map(|client| rt.spawn(read_until_end(client)))
        .collect();

    let (_, rss_before) = memory();
    let started = Instant::now();
    let mut ticks = 0usize;
    let mut silent_dropped_at = None;
    let mut rss_samples = Vec::new();
    // Broadcast for `duration`, and on until the silent client is dropped
    // (bounded: the test fails if that takes more than DEADLINE longer).
    while started.elapsed() < duration || silent_dropped_at.is_none() {
        assert!(
            started.elapsed() < duration + support::DEADLINE,
            "the silent client was not dropped after {ticks} updates"
        );
        let cloud = &clouds[ticks % CLOUDS];
        cloud
            .set_points(&frames[ticks % frames.len()])
            .expect("updating a cloud");
        ticks += 1;
        if silent_dropped_at.is_none() && !server.clients().iter().any(|c| c.id() == silent_id) {
            silent_dropped_at = Some(started.elapsed());
        }
        rss_samples.push(memory().1);
        let next = started + TICK * ticks as u32;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    let broadcast_for = started.elapsed();
    let connected_at_end = server.clients().len();
    server
        .scene()
        .add_frame("/load/done", FrameOptions::default())
        .expect("adding the end marker");

    let stats: Vec<ReaderStats> = rt.block_on(async {
        let mut stats = Vec::new();
        for task in tasks {
            stats.push(task.await.expect("a reader task panicked"));
        }
        stats
    });
    let (peak_rss, rss_after) = memory();
    let silent_gone = gone_rx
        .try_iter()
        .find(|(id, _)| *id == silent_id)
        .map(|(_, at)| at.saturating_duration_since(started));

    let min_updates = stats.iter().map(|s| s.cloud_updates).min().unwrap_or(0);
    let max_updates = stats.iter().map(|s| s.cloud_updates).max().unwrap_or(0);
    let total_frames: usize = stats.iter().map(|s| s.frames).sum();
    let total_bytes: usize = stats.iter().map(|s| s.bytes).sum();
    let mb = |bytes: u64| bytes as f64 / (1 << 20) as f64;
    let third = rss_samples.len() / 3;
    let early_max = rss_samples[..third.max(1)]
        .iter()
        .max()
        .copied()
        .unwrap_or(0);
    let late_max = rss_samples[rss_samples.len() - third.max(1)..]
        .iter()
        .max()
        .copied()
        .unwrap_or(0);
    println!(
        "load: {CLIENTS} clients, {ticks} updates of {POINTS_PER_CLOUD} points in {broadcast_for:.1?} \
         ({:.1} Hz)\n\
         load: the 49 readers got {total_frames} frames, {:.0} MB of buffers; \
         cloud updates per reader {min_updates}..={max_updates}\n\
         load: silent client dropped after {silent_dropped_at:?} (disconnect callback at {silent_gone:?})\n\
         load: RSS before {:.0} MB, max in first third {:.0} MB, max in last third {:.0} MB, \
         after {:.0} MB, peak (VmHWM) {:.0} MB",
        ticks as f64 / broadcast_for.as_secs_f64(),
        mb(total_bytes as u64),
        mb(rss_before),
        mb(early_max),
        mb(late_max),
        mb(rss_after),
        mb(peak_rss),
    );

    assert!(
        silent_gone.is_some(),
        "the disconnect callback saw the silent client"
    );
    for (i, s) in stats.iter().enumerate() {
        assert!(s.saw_end && !s.closed, "reader {i} was cut off: {s:?}");
        // Updates of one cloud may coalesce for a reader that falls behind,
        // but a reader that keeps up sees most of them.
        assert!(
            s.cloud_updates * 4 >= ticks,
            "reader {i} got only {} of {ticks} updates",
            s.cloud_updates
        );
    }
    assert_eq!(
        connected_at_end,
        CLIENTS - 1,
        "every reader is still connected at the end"
    );
    assert!(
        peak_rss < PEAK_RSS_LIMIT_BYTES,
        "peak RSS {:.0} MB",
        mb(peak_rss)
    );
    drop(silent);
}
