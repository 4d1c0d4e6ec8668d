//! Test support: a server on a free port with a stub client page, and a
//! fake tab registered straight on the shared state whose outbox shows
//! exactly what a real tab would be sent.

use viser4d_proto::messages::SceneNodeUpdateMessage;
use viser4d_proto::{AnyMessage, Message, Value};

use crate::error::Result;
use crate::scene::SceneApi;
use crate::server::Server;
use crate::shared::ClientId;

pub(crate) struct Harness {
    // Kept alive for the scene API's sake.
    _server: Server,
    pub(crate) scene: SceneApi,
    pub(crate) client: ClientId,
}

impl Harness {
    /// A server and one fake tab, whose outbox is drained of the initial
    /// replay.
    pub(crate) fn new() -> Result<Harness> {
        let server = Server::builder().host("127.0.0.1").port(0).start()?;
        let scene = server.scene();
        let client = scene.shared.register_client().id;
        let harness = Harness {
            _server: server,
            scene,
            client,
        };
        harness.sent();
        Ok(harness)
    }

    /// Everything sent to the fake tab since the last call.
    pub(crate) fn sent(&self) -> Vec<Message> {
        let mut out = Vec::new();
        while let Some(batch) = self
            .scene
            .shared
            .take_batch(self.client)
            .map(|b| b.messages)
        {
            if batch.is_empty() {
                break;
            }
            out.extend(batch.into_iter().filter_map(|m| match m {
                AnyMessage::Viser(m) => Some(m),
                AnyMessage::Custom(_) => None,
            }));
        }
        out
    }

    /// The property updates sent since the last call, as (node, prop, value).
    pub(crate) fn updates(&self) -> Vec<(String, String, Value)> {
        self.sent()
            .into_iter()
            .filter_map(|m| match m {
                Message::SceneNodeUpdateMessage(SceneNodeUpdateMessage {
                    name,
                    updates: Value::Map(entries),
                    ..
                }) => Some(
                    entries
                        .into_iter()
                        .map(move |(k, v)| (name.clone(), k, v))
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect()
    }
}
