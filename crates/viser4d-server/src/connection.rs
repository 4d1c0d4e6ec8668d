//! One WebSocket connection: replay, then a writer that batches the
//! client's outbox into frames (at most ~60 a second, at most 128 messages
//! each) and a reader that decodes client messages and dispatches them.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use viser4d_proto::{AnyMessage, FrameEncoder};

use crate::callbacks::{run_blocking, snapshot};
use crate::client::ClientHandle;
use crate::shared::{ClientId, Shared};

/// Initial read buffer of a tab's socket.
const READ_BUFFER_BYTES: usize = 8 << 10;

pub(crate) async fn run(shared: Arc<Shared>, upgraded: Upgraded, mismatch: Option<String>) {
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(viser4d_proto::MAX_CLIENT_MESSAGE_BYTES);
    // tungstenite reserves its whole read buffer up front (128 KiB by
    // default): most of an idle tab's cost. Tabs send small messages; the
    // buffer still grows for a large upload chunk.
    config.read_buffer_size = READ_BUFFER_BYTES;
    let mut ws =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;

    if let Some(offered) = mismatch {
        let reason = format!(
            "this server speaks {}, the client offered {}",
            viser4d_proto::SUBPROTOCOL,
            if offered.is_empty() {
                "no viser version"
            } else {
                offered.as_str()
            }
        );
        tracing::warn!(%reason, "refusing a client of another viser version");
        let frame = CloseFrame {
            code: CloseCode::Protocol,
            reason: reason.into(),
        };
        ws.close(Some(frame)).await.ok();
        return;
    }
    if shared.stopped.load(std::sync::atomic::Ordering::Relaxed) {
        ws.close(None).await.ok();
        return;
    }

    let registration = shared.register_client();
    let id = registration.id;
    tracing::info!(client = id, "client connected");
    let handle = ClientHandle::new(shared.clone(), id);
    {
        // The socket is not served until these return: a request to this
        // tab from one of them is refused instead of waiting forever.
        let _handling = crate::callbacks::Handling::enter(id);
        for cb in snapshot(&shared.callbacks.connect) {
            run_blocking(|| cb(&handle));
        }
    }

    let (sink, stream) = ws.split();
    // The writer watches the kill signal itself, so that a dropped client
    // still gets its close frame (1013, "reconnect to resync").
    let writer = write_loop(
        &shared,
        id,
        sink,
        registration.wake.clone(),
        registration.kill,
    );
    let reader = read_loop(&shared, &handle, stream);
    tokio::select! {
        () = writer => {}
        () = reader => {}
    }

    shared.unregister_client(id);
    tracing::info!(client = id, "client disconnected");
    for cb in snapshot(&shared.callbacks.disconnect) {
        run_blocking(|| cb(&handle));
    }
}

type Sink = futures_util::stream::SplitSink<WebSocketStream<TokioIo<Upgraded>>, WsMessage>;
type Stream = futures_util::stream::SplitStream<WebSocketStream<TokioIo<Upgraded>>>;

async fn write_loop(
    shared: &Shared,
    id: ClientId,
    mut sink: Sink,
    wake: Arc<tokio::sync::Notify>,
    mut kill: tokio::sync::watch::Receiver<bool>,
) {
    let mut encoder = FrameEncoder::new();
    let mut last_frame: Option<Instant> = None;
    let mut backlogged = false;
    loop {
        if *kill.borrow() {
            break;
        }
        let Some(crate::shared::Batch {
            messages: batch,
            more,
            urgent,
        }) = shared.take_batch(id)
        else {
            break;
        };
        if batch.is_empty() {
            tokio::select! {
                () = wake.notified() => {}
                _ = kill.changed() => {}
            }
            continue;
        }
        if let Some(last) = last_frame.filter(|_| !backlogged && !urgent && !timeline_only(&batch))
        {
            // viser sends at most ~60 frames a second; waiting also lets
            // small updates coalesce. A backlog is sent at once instead, and
            // so are the timeline's own messages (the runtime's answers and
            // a live timeline's growth), which nothing would coalesce and a
            // tab following a live recording waits for.
            tokio::time::sleep_until(last + shared.config.min_frame_interval).await;
        }
        backlogged = more;
        last_frame = Some(Instant::now());
        let frame = match encoder.encode(&batch, shared.elapsed_sec()) {
            Ok(frame) => frame,
            Err(error) => {
                tracing::error!(client = id, %error, "cannot encode a frame; dropping it");
                continue;
            }
        };
        let sent = tokio::select! {
            sent = sink.send(WsMessage::Binary(frame.into())) => sent,
            // A stalled peer can block a send forever; the kill must win.
            _ = kill.wait_for(|k| *k) => break,
        };
        if let Err(error) = sent {
            tracing::debug!(client = id, %error, "socket closed while writing");
            return;
        }
    }
    if *kill.borrow() {
        let frame = CloseFrame {
            code: CloseCode::Again,
            reason: "resync: reconnect for the current state".into(),
        };
        // A stalled peer may never accept the close frame; don't wait on it.
        tokio::time::timeout(
            Duration::from_secs(1),
            sink.send(WsMessage::Close(Some(frame))),
        )
        .await
        .ok();
    }
}

/// Whether every message of `batch` is one of viser4d's timeline messages.
fn timeline_only(batch: &[AnyMessage]) -> bool {
    batch.iter().all(|m| match m {
        AnyMessage::Custom(value) => value
            .get("type")
            .and_then(viser4d_proto::Value::as_str)
            .is_some_and(|t| t.starts_with(viser4d_proto::timeline::TIMELINE_TYPE_PREFIX)),
        AnyMessage::Viser(_) => false,
    })
}

async fn read_loop(shared: &Arc<Shared>, client: &ClientHandle, mut stream: Stream) {
    while let Some(message) = stream.next().await {
        match message {
            Ok(WsMessage::Binary(bytes)) => match viser4d_proto::decode_client_message(&bytes) {
                Ok(message) => crate::dispatch::client_message(shared, client, message),
                Err(error) => {
                    tracing::warn!(client = client.id(), %error, "malformed client message ignored")
                }
            },
            Ok(WsMessage::Close(_)) => break,
            Ok(_) => {}
            Err(error) => {
                tracing::debug!(client = client.id(), %error, "websocket read error");
                break;
            }
        }
    }
}
