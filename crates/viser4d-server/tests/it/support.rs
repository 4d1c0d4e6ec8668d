//! What every test here shares: a server on loopback, a WebSocket client
//! that speaks viser's wire protocol, polling with a deadline, and a log
//! capture.
//!
//! The server's API is blocking and owns its own tokio runtime, so tests are
//! plain `#[test]` functions: they start the server on the test thread and
//! drive their clients on a separate runtime ([`runtime`]). A `Server` must
//! never be started or dropped inside that runtime's `block_on`.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use viser4d_proto::entity::{EntityKind, Phase};
use viser4d_proto::{AnyMessage, Frame, Message};
use viser4d_server::{Server, ServerBuilder};

/// How long any single wait in these tests may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A server on `127.0.0.1` and a free port, serving the embedded bundle.
pub fn server() -> Server {
    server_with(|builder| builder)
}

/// Like [`server`], with extra builder settings.
pub fn server_with(configure: impl FnOnce(ServerBuilder) -> ServerBuilder) -> Server {
    capture_logs();
    let builder = Server::builder().host("127.0.0.1").port(0);
    match configure(builder).start() {
        Ok(server) => server,
        Err(error) => panic!("cannot start the server: {error}"),
    }
}

/// A runtime for the test's clients, separate from the server's.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime for the test clients")
}

/// Polls `condition` every 20 ms until it holds; panics with `what` after
/// [`DEADLINE`].
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < DEADLINE,
            "timed out after {DEADLINE:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `message` creates the scene node `name`.
pub fn creates_node(message: &AnyMessage, name: &str) -> bool {
    matches!(message, AnyMessage::Viser(m) if m.entity().is_some_and(|e| {
        e.kind == EntityKind::Scene && e.phase == Phase::Create && e.id == name
    }))
}

/// Names of the scene nodes `messages` create, in order.
pub fn created_nodes(messages: &[AnyMessage]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|message| match message {
            AnyMessage::Viser(m) => m
                .entity()
                .filter(|e| e.kind == EntityKind::Scene && e.phase == Phase::Create),
            AnyMessage::Custom(_) => None,
        })
        .map(|e| e.id.to_owned())
        .collect()
}

/// Whether `message` is `ReplayDoneMessage`.
pub fn is_replay_done(message: &AnyMessage) -> bool {
    matches!(message, AnyMessage::Viser(Message::ReplayDoneMessage(_)))
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What a read from a [`WsClient`] produced.
#[derive(Debug)]
pub enum Received {
    /// A decoded frame.
    Frame(Frame),
    /// The server closed the socket (with this close frame, if any).
    Closed(Option<CloseFrame>),
}

/// A WebSocket client speaking the viser 1.1.1 protocol, as the browser does.
#[derive(Debug)]
pub struct WsClient {
    socket: Socket,
    /// The subprotocol the server selected.
    pub protocol: Option<String>,
}

/// Large enough for a frame holding a million points.
fn client_config() -> WebSocketConfig {
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(256 << 20);
    config.max_frame_size = Some(256 << 20);
    config
}

fn request(
    port: u16,
    protocol: &str,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut request = format!("ws://127.0.0.1:{port}/")
        .into_client_request()
        .expect("a valid WebSocket URL");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_str(protocol).expect("a valid header value"),
    );
    request
}

impl WsClient {
    /// Connects offering `viser-v1.1.1`, as the browser does.
    pub async fn connect(port: u16) -> WsClient {
        WsClient::connect_offering(port, viser4d_proto::SUBPROTOCOL).await
    }

    /// Connects offering `protocol`.
    pub async fn connect_offering(port: u16, protocol: &str) -> WsClient {
        let connecting = tokio_tungstenite::connect_async_with_config(
            request(port, protocol),
            Some(client_config()),
            true,
        );
        let (socket, response) = tokio::time::timeout(DEADLINE, connecting)
            .await
            .expect("the WebSocket handshake timed out")
            .expect("the WebSocket handshake failed");
        let protocol = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        WsClient { socket, protocol }
    }

    /// Connects with a receive buffer of `recv_buffer_bytes`, so a client
    /// that stops reading stalls the server's writes quickly (the kernel
    /// would otherwise absorb megabytes first).
    pub async fn connect_with_small_buffer(port: u16, recv_buffer_bytes: u32) -> WsClient {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .set_recv_buffer_size(recv_buffer_bytes)
            .expect("setting SO_RCVBUF");
        let stream = socket
            .connect(([127, 0, 0, 1], port).into())
            .await
            .expect("connecting to the server");
        let (socket, response) = tokio::time::timeout(
            DEADLINE,
            tokio_tungstenite::client_async_with_config(
                request(port, viser4d_proto::SUBPROTOCOL),
                MaybeTlsStream::Plain(stream),
                Some(client_config()),
            ),
        )
        .await
        .expect("the WebSocket handshake timed out")
        .expect("the WebSocket handshake failed");
        let protocol = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        WsClient { socket, protocol }
    }

    /// The next frame or close, within `timeout`; `None` on timeout.
    pub async fn receive_within(&mut self, timeout: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match next {
                Some(Ok(WsMessage::Binary(bytes))) => {
                    let frame =
                        viser4d_proto::decode_frame(bytes).expect("the server sent a valid frame");
                    return Some(Received::Frame(frame));
                }
                Some(Ok(WsMessage::Close(frame))) => return Some(Received::Closed(frame)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Some(Received::Closed(None)),
            }
        }
    }

    /// The next frame; panics on close or after [`DEADLINE`].
    pub async fn frame(&mut self) -> Frame {
        match self.receive_within(DEADLINE).await {
            Some(Received::Frame(frame)) => frame,
            Some(Received::Closed(close)) => panic!("the server closed the socket: {close:?}"),
            None => panic!("no frame within {DEADLINE:?}"),
        }
    }

    /// Messages up to and including the first one matching `stop`.
    pub async fn messages_until(&mut self, stop: impl Fn(&AnyMessage) -> bool) -> Vec<AnyMessage> {
        let started = Instant::now();
        let mut out = Vec::new();
        loop {
            assert!(
                started.elapsed() < DEADLINE,
                "the awaited message did not arrive within {DEADLINE:?}; got {:?}",
                out.iter().map(AnyMessage::type_name).collect::<Vec<_>>()
            );
            let frame = self.frame().await;
            for message in frame.messages {
                let done = stop(&message);
                out.push(message);
                if done {
                    return out;
                }
            }
        }
    }

    /// The initial state, through `ReplayDoneMessage`.
    pub async fn replay(&mut self) -> Vec<AnyMessage> {
        self.messages_until(is_replay_done).await
    }

    /// Sends a client message (plain msgpack, as the browser does).
    /// Says what a runtime of this build says when it is installed.
    pub async fn say_ready(&mut self) {
        let ready = viser4d_proto::timeline::TimelineReady::new(env!("CARGO_PKG_VERSION"));
        let ready = viser4d_proto::timeline::TimelineMessage::to_any(&ready).expect("encodable");
        self.send(&ready).await;
    }

    pub async fn send(&mut self, message: &AnyMessage) {
        let bytes = viser4d_proto::encode_client_message(message).expect("encodable message");
        self.send_raw(bytes).await;
    }

    /// Sends `bytes` as one binary WebSocket message.
    pub async fn send_raw(&mut self, bytes: impl Into<Bytes>) {
        self.socket
            .send(WsMessage::Binary(bytes.into()))
            .await
            .expect("sending to the server");
    }

    /// Closes the socket politely.
    pub async fn close(mut self) {
        self.socket.close(None).await.ok();
    }
}

/// Points on a spiral, for clouds that are not all one value.
pub fn spiral(count: usize, phase: f32) -> Vec<[f32; 3]> {
    (0..count)
        .map(|i| {
            let t = i as f32 / count.max(1) as f32;
            let angle = t * std::f32::consts::TAU * 8.0 + phase;
            [angle.cos() * (0.2 + t), angle.sin() * (0.2 + t), t * 2.0]
        })
        .collect()
}

/// Everything the server logs (at INFO and above), for tests that check a
/// warning was written. Installed once per process.
pub fn logs() -> String {
    let buffer = capture_logs();
    let bytes = buffer.lock().unwrap_or_else(|p| p.into_inner());
    String::from_utf8_lossy(&bytes).into_owned()
}

fn capture_logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        tracing_subscriber::fmt()
            .with_env_filter("viser4d_server=info")
            .with_ansi(false)
            .with_writer(move || LogWriter(sink.clone()))
            .try_init()
            .ok();
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self.0.lock().unwrap_or_else(|p| p.into_inner());
        buffer.extend_from_slice(bytes);
        if std::env::var_os("VISER4D_TEST_LOG").is_some() {
            std::io::stderr().write_all(bytes).ok();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
