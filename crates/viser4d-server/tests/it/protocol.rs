//! The WebSocket protocol, as a Rust client sees it: handshake, replay,
//! client messages, per-client scope, reconnects.

use std::sync::mpsc;

use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use viser4d_proto::messages::GuiUpdateMessage;
use viser4d_proto::{AnyMessage, Message, Value};
use viser4d_server::scene::{FrameOptions, PointCloudOptions, PointColors};
use viser4d_server::{ClientId, Server};

use crate::support::{
    self, Received, WsClient, created_nodes, creates_node, is_replay_done, runtime, wait_until,
};

/// Adds a node every client sees, to mark a point in each client's stream:
/// a client that has read up to the marker has read everything queued for
/// it before.
fn add_marker(server: &Server, name: &str) {
    server
        .scene()
        .add_frame(name, FrameOptions::default())
        .expect("adding a marker frame");
}

fn gui_update(uuid: &str, value: Value) -> AnyMessage {
    AnyMessage::Viser(Message::from(GuiUpdateMessage {
        uuid: uuid.to_owned(),
        updates: Value::Map(vec![("value".to_owned(), value)]),
    }))
}

/// The one id in `server.clients()` that is not in `known`.
fn new_client_id(server: &Server, known: &[ClientId]) -> ClientId {
    let mut found = None;
    wait_until("the new client to register", || {
        found = server
            .clients()
            .iter()
            .map(|c| c.id())
            .find(|id| !known.contains(id));
        found.is_some()
    });
    found.expect("checked by wait_until")
}

#[test]
fn handshake_selects_our_subprotocol() {
    let server = support::server();
    runtime().block_on(async {
        let client = WsClient::connect(server.port()).await;
        assert_eq!(client.protocol.as_deref(), Some("viser-v1.1.1"));
        client.close().await;
    });
}

#[test]
fn other_viser_version_is_closed_with_1002_naming_both() {
    let server = support::server();
    runtime().block_on(async {
        let mut client = WsClient::connect_offering(server.port(), "viser-v0.9.9").await;
        let Some(Received::Closed(Some(close))) = client.receive_within(support::DEADLINE).await
        else {
            panic!("expected a close frame, not a frame or a bare disconnect");
        };
        assert_eq!(close.code, CloseCode::Protocol, "{close:?}");
        assert_eq!(u16::from(close.code), 1002);
        assert!(close.reason.contains("viser-v1.1.1"), "{:?}", close.reason);
        assert!(close.reason.contains("viser-v0.9.9"), "{:?}", close.reason);
    });
    assert!(
        server.clients().is_empty(),
        "a refused client never registers"
    );
}

#[test]
fn connect_replays_the_full_state_then_replay_done() {
    let server = support::server();
    let points = support::spiral(1000, 0.0);
    server
        .scene()
        .add_point_cloud(
            "/cloud",
            &points,
            PointColors::Uniform([200, 30, 30]),
            PointCloudOptions::default(),
        )
        .expect("adding a point cloud");
    add_marker(&server, "/robot/arm");
    let slider = server
        .gui()
        .add_slider("Angle", 0.0, 100.0, 1.0, 5.0, Default::default())
        .expect("adding a slider");

    let replay = runtime().block_on(async {
        let mut client = WsClient::connect(server.port()).await;
        client.replay().await
    });
    assert!(replay.last().is_some_and(is_replay_done));
    assert_eq!(replay.iter().filter(|m| is_replay_done(m)).count(), 1);
    assert_eq!(
        replay.len(),
        server.replay_len() + 1,
        "the whole state, once"
    );
    let nodes = created_nodes(&replay);
    for name in ["/WorldAxes", "/cloud", "/robot", "/robot/arm"] {
        assert!(nodes.iter().any(|n| n == name), "{name} in {nodes:?}");
    }
    let parent = nodes.iter().position(|n| n == "/robot");
    let child = nodes.iter().position(|n| n == "/robot/arm");
    assert!(parent < child, "parents come before children: {nodes:?}");
    let cloud = replay.iter().find_map(|m| match m {
        AnyMessage::Viser(Message::PointCloudMessage(m)) if m.name == "/cloud" => Some(m),
        _ => None,
    });
    let cloud = cloud.expect("the point cloud is replayed");
    assert_eq!(cloud.props.points.len(), 3 * points.len());
    let has_slider = replay.iter().any(
        |m| matches!(m, AnyMessage::Viser(Message::GuiSliderMessage(s)) if s.uuid == slider.uuid()),
    );
    assert!(has_slider, "the slider is replayed");
}

#[test]
fn malformed_client_messages_are_logged_and_survived() {
    let server = support::server();
    let slider = server
        .gui()
        .add_slider("Angle", 0.0, 100.0, 1.0, 5.0, Default::default())
        .expect("adding a slider");
    runtime().block_on(async {
        let mut client = WsClient::connect(server.port()).await;
        client.replay().await;
        let garbage: [&[u8]; 5] = [
            &[0xc1, 0xff, 0x00, 0x13, 0x37],       // never-used msgpack byte
            &[0x93, 0x01, 0x02, 0x03],             // an array, not a map
            &[0x81, 0xa4, b't', b'y', b'p', b'e'], // truncated map
            &[],                                   // empty message
            b"\x81\xa4type\xb0GuiUpdateMessage",   // a viser type missing its fields
        ];
        for bytes in garbage {
            client.send_raw(bytes.to_vec()).await;
        }
        // A value of the wrong type for the slider: ignored by the GUI.
        client
            .send(&gui_update(slider.uuid(), Value::Str("high".into())))
            .await;

        // The same connection still works both ways.
        add_marker(&server, "/after_garbage");
        client
            .messages_until(|m| creates_node(m, "/after_garbage"))
            .await;
        client.send(&gui_update(slider.uuid(), Value::Int(9))).await;
        wait_until("the valid update after the garbage", || {
            slider.value().ok() == Some(9.0)
        });

        // And so does the server, for a new client.
        let mut other = WsClient::connect(server.port()).await;
        other.replay().await;
        assert_eq!(
            server.clients().len(),
            2,
            "the first client is still connected"
        );
    });
    let logs = support::logs();
    assert!(
        logs.matches("malformed client message ignored").count() >= 4,
        "each malformed message is logged:\n{logs}"
    );
}

#[test]
fn gui_update_reaches_rust_and_the_other_client() {
    let server = support::server();
    let slider = server
        .gui()
        .add_slider("Angle", 0.0, 100.0, 1.0, 5.0, Default::default())
        .expect("adding a slider");
    let (events, received) = mpsc::channel();
    slider
        .on_update(move |event| {
            events.send((event.client.id(), event.value)).ok();
        })
        .expect("registering a callback");
    let uuid = slider.uuid().to_owned();

    runtime().block_on(async {
        let mut a = WsClient::connect(server.port()).await;
        a.replay().await;
        let a_id = new_client_id(&server, &[]);
        let mut b = WsClient::connect(server.port()).await;
        b.replay().await;

        // The browser sends whole numbers as msgpack ints.
        a.send(&gui_update(&uuid, Value::Int(42))).await;
        let (client, value) = received
            .recv_timeout(support::DEADLINE)
            .expect("the callback ran");
        assert_eq!((client, value), (a_id, 42.0), "callback sees A and 42");
        assert_eq!(slider.value().ok(), Some(42.0));

        let to_b = b
            .messages_until(
                |m| matches!(m, AnyMessage::Viser(Message::GuiUpdateMessage(u)) if u.uuid == uuid),
            )
            .await;
        let Some(AnyMessage::Viser(Message::GuiUpdateMessage(update))) = to_b.last() else {
            unreachable!("messages_until stops on the update");
        };
        assert_eq!(
            update.updates.get("value").and_then(Value::as_f64),
            Some(42.0)
        );

        // A, the sender, is not echoed its own change.
        add_marker(&server, "/marker");
        let to_a = a.messages_until(|m| creates_node(m, "/marker")).await;
        let echoed = to_a.iter().any(
            |m| matches!(m, AnyMessage::Viser(Message::GuiUpdateMessage(u)) if u.uuid == uuid),
        );
        assert!(!echoed, "the sender is not sent its own change back");
    });
    assert!(received.try_recv().is_err(), "the callback ran once");
}

#[test]
fn per_client_node_reaches_only_that_client() {
    let server = support::server();
    runtime().block_on(async {
        let mut a = WsClient::connect(server.port()).await;
        a.replay().await;
        let a_id = new_client_id(&server, &[]);
        let mut b = WsClient::connect(server.port()).await;
        b.replay().await;

        let a_handle = server
            .clients()
            .into_iter()
            .find(|c| c.id() == a_id)
            .expect("A is connected");
        a_handle
            .scene()
            .add_frame("/private", FrameOptions::default())
            .expect("adding a per-client frame");
        add_marker(&server, "/marker");

        let to_a = a.messages_until(|m| creates_node(m, "/marker")).await;
        let private = to_a.iter().find_map(|m| match m {
            AnyMessage::Viser(Message::FrameMessage(f)) if f.name == "/private" => Some(f),
            _ => None,
        });
        let private = private.expect("A gets its own node");
        assert_eq!(private.owner, a_id.to_string(), "stamped with A's scope");

        let to_b = b.messages_until(|m| creates_node(m, "/marker")).await;
        assert!(
            !created_nodes(&to_b).iter().any(|n| n == "/private"),
            "B never sees A's node"
        );
    });
    assert!(!server.scene().node_names().iter().any(|n| n == "/private"));
}

#[test]
fn reconnect_replays_the_current_state() {
    let server = support::server();
    let cloud = server
        .scene()
        .add_point_cloud(
            "/cloud",
            &support::spiral(1000, 0.0),
            PointColors::Uniform([200, 30, 30]),
            PointCloudOptions::default(),
        )
        .expect("adding a point cloud");
    let gone = server
        .scene()
        .add_frame("/gone", FrameOptions::default())
        .expect("adding a frame");
    let slider = server
        .gui()
        .add_slider("Angle", 0.0, 100.0, 1.0, 5.0, Default::default())
        .expect("adding a slider");
    let rt = runtime();

    let first = rt.block_on(async {
        let mut client = WsClient::connect(server.port()).await;
        let replay = client.replay().await;
        client.close().await;
        replay
    });
    assert!(created_nodes(&first).iter().any(|n| n == "/gone"));
    wait_until("the first connection to go", || server.clients().is_empty());

    // Changes while nobody is connected.
    let moved = support::spiral(500, 1.0);
    cloud.set_points(&moved).expect("setting points");
    gone.remove().expect("removing a node");
    add_marker(&server, "/late");
    slider.set_value(77.0).expect("setting the slider");

    let (again, fresh) = rt.block_on(async {
        let mut client = WsClient::connect(server.port()).await;
        let again = client.replay().await;
        let mut other = WsClient::connect(server.port()).await;
        (again, other.replay().await)
    });
    let nodes = created_nodes(&again);
    assert!(nodes.iter().any(|n| n == "/late"), "{nodes:?}");
    assert!(nodes.iter().any(|n| n == "/cloud"), "{nodes:?}");
    assert!(!nodes.iter().any(|n| n == "/gone"), "{nodes:?}");

    // The points the cloud has now: the last `points` the replay sets.
    let last_points = again.iter().rev().find_map(|m| match m {
        AnyMessage::Viser(Message::SceneNodeUpdateMessage(u)) if u.name == "/cloud" => {
            u.updates.get("points").cloned()
        }
        AnyMessage::Viser(Message::PointCloudMessage(c)) if c.name == "/cloud" => {
            Some(Value::Typed(c.props.points.clone()))
        }
        _ => None,
    });
    let Some(Value::Typed(points)) = last_points else {
        panic!("the replay sets the cloud's points");
    };
    assert_eq!(points.len(), 3 * moved.len(), "the new points, not the old");

    let slider_value = again.iter().rev().find_map(|m| match m {
        AnyMessage::Viser(Message::GuiUpdateMessage(u)) if u.uuid == slider.uuid() => {
            u.updates.get("value").and_then(Value::as_f64)
        }
        AnyMessage::Viser(Message::GuiSliderMessage(s)) if s.uuid == slider.uuid() => Some(s.value),
        _ => None,
    });
    assert_eq!(slider_value, Some(77.0));
    assert!(
        again == fresh,
        "a reconnecting client gets exactly what a new one gets"
    );
}
