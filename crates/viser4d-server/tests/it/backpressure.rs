//! A tab that stops reading must not make the server hold an unbounded
//! backlog: once its backlog stays past `client_backlog_bytes` (for 2 s, or
//! at once past 4 times it) it is disconnected (to reconnect and resync),
//! while the other tabs keep receiving everything.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use viser4d_server::scene::{FrameOptions, PointCloudOptions, PointColors};

use crate::support::{self, WsClient, created_nodes, creates_node, runtime, wait_until};

const BUDGET_BYTES: usize = 2 << 20;
/// Each cloud is 50,000 float16 points: 300 kB on the wire.
const POINTS_PER_CLOUD: usize = 50_000;
const MAX_CLOUDS: usize = 400;

#[test]
fn stalled_client_is_dropped_past_its_budget_while_others_keep_receiving() {
    let server = support::server_with(|b| b.client_backlog_bytes(BUDGET_BYTES));
    let (gone_tx, gone_rx) = mpsc::channel();
    server.on_client_disconnect(move |client| {
        gone_tx.send(client.id()).ok();
    });
    let port = server.port();
    let rt = runtime();

    let mut reader = rt.block_on(async {
        let mut reader = WsClient::connect(port).await;
        reader.replay().await;
        reader
    });
    let reader_id = server.clients()[0].id();
    // Connects, then never reads (not even its replay). A small receive
    // buffer keeps the kernel from absorbing megabytes first.
    let stalled = rt.block_on(WsClient::connect_with_small_buffer(port, 16 << 10));
    wait_until("the stalled client to register", || {
        server.clients().len() == 2
    });
    let stalled_id = server
        .clients()
        .into_iter()
        .map(|c| c.id())
        .find(|&id| id != reader_id)
        .expect("two clients");

    let reading = rt.spawn(async move {
        let messages = reader.messages_until(|m| creates_node(m, "/done")).await;
        let clouds = created_nodes(&messages)
            .iter()
            .filter(|n| n.starts_with("/burst/"))
            .count();
        (clouds, reader)
    });

    let points = support::spiral(POINTS_PER_CLOUD, 0.0);
    let add_cloud = |i: usize| {
        // Distinct nodes: updates of one node would coalesce in the outbox
        // and never reach the budget.
        server
            .scene()
            .add_point_cloud(
                &format!("/burst/{i}"),
                &points,
                PointColors::Uniform([30, 30, 200]),
                PointCloudOptions::default(),
            )
            .expect("adding a point cloud");
    };
    let started = Instant::now();
    let mut sent = 0;
    let mut peak_backlog = 0;
    let mut dropped_after = None;
    while sent < MAX_CLOUDS {
        add_cloud(sent);
        sent += 1;
        let stalled_handle = server.clients().into_iter().find(|c| c.id() == stalled_id);
        match stalled_handle {
            Some(handle) => {
                let backlog = server.client_backlog_bytes(&handle).unwrap_or(0);
                peak_backlog = peak_backlog.max(backlog);
                // The hard limit (4 budgets), plus the small initial replay
                // and the one cloud that crossed it.
                assert!(
                    backlog <= 4 * BUDGET_BYTES + (64 << 10) + POINTS_PER_CLOUD * 6 + 4096,
                    "backlog {backlog} went past the hard limit"
                );
            }
            None => {
                dropped_after = Some((sent, started.elapsed()));
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let Some((clouds_before_drop, time_to_drop)) = dropped_after else {
        panic!("the stalled client was never dropped after {sent} clouds of 300 kB");
    };
    // Life goes on for the reader.
    for _ in 0..5 {
        add_cloud(sent);
        sent += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    server
        .scene()
        .add_frame("/done", FrameOptions::default())
        .expect("adding the end marker");

    let (clouds_read, _reader) = rt
        .block_on(async { tokio::time::timeout(support::DEADLINE, reading).await })
        .expect("the reader finished in time")
        .expect("the reader task did not panic");
    println!(
        "stalled client dropped after {clouds_before_drop} clouds ({:.1} MB) in {time_to_drop:?}, \
         peak backlog {peak_backlog} bytes; the reader got all {clouds_read}",
        clouds_before_drop as f64 * (POINTS_PER_CLOUD * 6) as f64 / 1e6
    );
    assert_eq!(clouds_read, sent, "the reader received every cloud");
    assert!(
        server.clients().iter().any(|c| c.id() == reader_id),
        "the reader is still connected"
    );
    assert_eq!(
        gone_rx.recv_timeout(support::DEADLINE).ok(),
        Some(stalled_id),
        "the disconnect callback saw the stalled client"
    );
    assert!(
        support::logs().contains("client is not keeping up"),
        "the drop is logged"
    );

    // The dropped client, reading at last, finds its stream ended, and so
    // knows to reconnect.
    let (frames_left, close) = rt.block_on(async {
        let mut stalled = stalled;
        let mut frames_left = 0;
        loop {
            match stalled.receive_within(support::DEADLINE).await {
                Some(support::Received::Frame(_)) => frames_left += 1,
                Some(support::Received::Closed(close)) => break (frames_left, close),
                None => panic!("the dropped client's stream never ended"),
            }
        }
    });
    println!("the dropped client then read {frames_left} frames and the end: {close:?}");
}
