//! A tab without a browser, for the benches that measure what a tab sees:
//! a WebSocket client running the browser runtime's own [`Controller`]
//! (its host build), with the block cache, cursor, read-ahead and follow
//! logic the page runs, but not Chromium's rendering, which on a machine
//! without a GPU would measure the software rasterizer instead.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use viser4d_proto::timeline::{ClientMessage, ServerMessage};
use viser4d_runtime_wasm::controller::{Controller, SceneOut, Sink};

/// The tab's side: its clock, and what the controller asks to send.
#[derive(Debug)]
pub struct TabSink {
    started: Instant,
    outbox: Vec<ClientMessage>,
}

impl Sink for TabSink {
    fn now_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }
    fn push_scene(&mut self, _messages: Vec<SceneOut>) {}
    fn send(&mut self, message: ClientMessage) {
        self.outbox.push(message);
    }
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens the viewer's WebSocket at `port` on 127.0.0.1 (the server's, or a
/// proxy's in front of it).
pub async fn connect(port: u16) -> Socket {
    let mut request = format!("ws://127.0.0.1:{port}/")
        .into_client_request()
        .expect("a valid URL");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(viser4d_proto::SUBPROTOCOL),
    );
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(256 << 20);
    config.max_frame_size = Some(256 << 20);
    let (socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .expect("connecting");
    socket
}

/// Runs `controller` as a page would (an animation frame at most every
/// 4 ms), calling `each` after every frame, until `each` returns false or
/// the socket closes. With `trace`, prints every timeline message handled.
pub async fn drive(
    mut socket: Socket,
    controller: &mut Controller,
    trace: bool,
    mut each: impl FnMut(&mut Controller, &mut TabSink) -> bool,
) {
    let mut sink = TabSink {
        started: Instant::now(),
        outbox: Vec::new(),
    };
    controller.announce(&mut sink);
    loop {
        for message in std::mem::take(&mut sink.outbox) {
            let any = message.to_value().map(viser4d_proto::AnyMessage::Custom);
            let bytes = any
                .ok()
                .and_then(|m| viser4d_proto::encode_client_message(&m).ok());
            if let Some(bytes) = bytes
                && socket.send(WsMessage::Binary(bytes.into())).await.is_err()
            {
                return;
            }
        }
        let next = tokio::time::timeout(Duration::from_millis(4), socket.next()).await;
        match next {
            Ok(Some(Ok(WsMessage::Binary(bytes)))) => {
                let Ok(frame) = viser4d_proto::decode_frame(bytes) else {
                    continue;
                };
                for message in &frame.messages {
                    if let Some(m) = ServerMessage::from_any(message) {
                        let what = trace.then(|| describe(&m));
                        let t0 = Instant::now();
                        controller.handle(m, &mut sink);
                        if let Some(what) = what {
                            eprintln!(
                                "{:>10.1} {what} handled in {:.1} ms, shown {:?}",
                                sink.now_ms(),
                                t0.elapsed().as_secs_f64() * 1000.0,
                                controller.shown()
                            );
                        }
                    }
                }
            }
            Ok(Some(Ok(_))) => {}
            Ok(_) => return,
            Err(_) => {}
        }
        controller.tick(&mut sink);
        if !each(controller, &mut sink) {
            return;
        }
    }
}

fn describe(m: &ServerMessage) -> String {
    match m {
        ServerMessage::TimelineManifest(x) => format!("manifest n={:?}", x.num_steps),
        ServerMessage::TimelineState(x) => format!("state {} {}B", x.step, x.data.len()),
        ServerMessage::TimelineBlock(x) => format!("block {} {}B", x.index, x.data.len()),
        other => other.type_name().to_owned(),
    }
}
