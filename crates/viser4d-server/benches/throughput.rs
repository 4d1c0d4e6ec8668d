//! Live-server throughput: one 1,000,000-point cloud update to one
//! WebSocket client on loopback, against raw tokio-tungstenite sending the
//! same frame bytes.
//!
//! - `viser4d_1m_points`: from `PointCloudHandle::set_points` (float16
//!   conversion, outbox, frame encoding, socket write) until the client has
//!   received the frame and decoded it with `viser4d_proto::decode_frame`.
//! - `raw_tungstenite_same_bytes`: a bare tokio-tungstenite server sends the
//!   very bytes our server sent, and a client receives them.
//!
//! Between iterations both wait, untimed, for longer than the server's
//! frame interval (it sends at most ~60 frames a second by design), so the
//! pacing is not what is measured. `cargo xtask bench` reads
//! `target/criterion/server_throughput/<function>/new/estimates.json`.

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use viser4d_proto::{AnyMessage, Message};
use viser4d_server::Server;
use viser4d_server::scene::{PointCloudOptions, PointColors};

const POINTS: usize = 1_000_000;
/// Longer than the server's minimum frame interval (1/60 s).
const GAP: Duration = Duration::from_millis(20);

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn ws_config() -> WebSocketConfig {
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(256 << 20);
    config.max_frame_size = Some(256 << 20);
    config
}

/// Connects, offering viser's subprotocol when `viser` (the raw server
/// selects none, and a client that offered one would refuse that).
async fn connect(port: u16, viser: bool) -> Client {
    let mut request = format!("ws://127.0.0.1:{port}/")
        .into_client_request()
        .expect("a valid URL");
    if viser {
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(viser4d_proto::SUBPROTOCOL),
        );
    }
    let (client, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(ws_config()), true)
            .await
            .expect("connecting");
    client
}

async fn next_binary(client: &mut Client) -> Bytes {
    loop {
        match client.next().await {
            Some(Ok(WsMessage::Binary(bytes))) => return bytes,
            Some(Ok(_)) => {}
            other => panic!("the connection ended: {other:?}"),
        }
    }
}

/// Receives frames until one updates `/cloud`'s points; returns its bytes.
async fn receive_cloud_update(client: &mut Client) -> Bytes {
    loop {
        let bytes = next_binary(client).await;
        let frame = viser4d_proto::decode_frame(bytes.clone()).expect("a valid frame");
        let updates_cloud = frame.messages.iter().any(|m| {
            matches!(m, AnyMessage::Viser(Message::SceneNodeUpdateMessage(u))
                if u.name == "/cloud" && u.updates.get("points").is_some())
        });
        if updates_cloud {
            return bytes;
        }
    }
}

fn spiral(count: usize) -> Vec<[f32; 3]> {
    (0..count)
        .map(|i| {
            let t = i as f32 / count as f32;
            let angle = t * std::f32::consts::TAU * 64.0;
            [angle.cos() * (0.2 + t), angle.sin() * (0.2 + t), t * 2.0]
        })
        .collect()
}

fn server_throughput(c: &mut Criterion) {
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a client runtime");
    let points = spiral(POINTS);

    // Ours.
    let server = Server::builder()
        .host("127.0.0.1")
        .port(0)
        .start()
        .expect("starting the server (the bundle comes from `cargo xtask dist`)");
    let cloud = server
        .scene()
        .add_point_cloud(
            "/cloud",
            &points,
            PointColors::Uniform([255, 0, 0]),
            PointCloudOptions::default(),
        )
        .expect("adding the cloud");
    let mut client = client_rt.block_on(async {
        let mut client = connect(server.port(), true).await;
        loop {
            let frame =
                viser4d_proto::decode_frame(next_binary(&mut client).await).expect("a valid frame");
            let done = frame
                .messages
                .iter()
                .any(|m| matches!(m, AnyMessage::Viser(Message::ReplayDoneMessage(_))));
            if done {
                break client;
            }
        }
    });
    // The exact bytes our server sends for one update, for the raw baseline.
    cloud.set_points(&points).expect("setting points");
    let frame = client_rt.block_on(receive_cloud_update(&mut client));

    let mut group = c.benchmark_group("server_throughput");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Bytes(frame.len() as u64));

    group.bench_function("viser4d_1m_points", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                std::thread::sleep(GAP);
                let started = Instant::now();
                cloud.set_points(&points).expect("setting points");
                client_rt.block_on(receive_cloud_update(&mut client));
                total += started.elapsed();
            }
            total
        });
    });

    // Raw tokio-tungstenite: a server task on its own two-worker runtime
    // (like ours) sends the frame whenever asked.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a raw server runtime");
    let listener = server_rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("binding loopback");
    let port = listener.local_addr().expect("its address").port();
    let (send_tx, mut send_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let raw_frame = frame.clone();
    server_rt.spawn(async move {
        let (stream, _) = listener.accept().await.expect("accepting");
        stream.set_nodelay(true).ok();
        let mut ws = tokio_tungstenite::accept_async_with_config(stream, Some(ws_config()))
            .await
            .expect("the raw handshake");
        while send_rx.recv().await.is_some() {
            if ws.send(WsMessage::Binary(raw_frame.clone())).await.is_err() {
                break;
            }
        }
    });
    let mut raw_client = client_rt.block_on(connect(port, false));
    group.bench_function("raw_tungstenite_same_bytes", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                std::thread::sleep(GAP);
                let started = Instant::now();
                send_tx.send(()).expect("the raw server is running");
                let received = client_rt.block_on(next_binary(&mut raw_client));
                total += started.elapsed();
                assert_eq!(received.len(), frame.len());
            }
            total
        });
    });
    group.finish();

    drop(send_tx);
    server_rt.shutdown_timeout(Duration::from_secs(1));
    drop(client);
    server.stop();
}

criterion_group!(benches, server_throughput);
criterion_main!(benches);
