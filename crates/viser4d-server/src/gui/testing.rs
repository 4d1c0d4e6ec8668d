//! A server without sockets, for the GUI's unit tests: tabs are registered
//! directly, their outboxes are read directly, and their messages go
//! through the same dispatch as a socket's.

use std::sync::Arc;
use std::time::Duration;

use viser4d_proto::{AnyMessage, Message};

use crate::bundle::Bundle;
use crate::client::ClientHandle;
use crate::gui::GuiApi;
use crate::shared::{Config, Scope, Shared};

pub(crate) struct Harness {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) fn harness() -> Harness {
    let bundle = Bundle::embedded(true).expect("the embedded bundle");
    let config = Config {
        access: crate::access::Access::default(),
        outbox_budget_bytes: 64 << 20,
        max_messages_per_frame: 10_000,
        min_frame_interval: Duration::ZERO,
    };
    Harness {
        shared: Arc::new(Shared::new(bundle, config, None).expect("a server without a timeline")),
    }
}

impl Harness {
    /// The GUI every tab shares.
    pub(crate) fn gui(&self) -> GuiApi {
        GuiApi::new(self.shared.clone(), Scope::Broadcast)
    }

    /// A new tab, with its initial replay already read.
    pub(crate) fn connect(&self) -> ClientHandle {
        let registration = self.shared.register_client();
        let client = ClientHandle::new(self.shared.clone(), registration.id);
        self.take(&client);
        client
    }

    /// The viser messages queued for `client` since the last call.
    pub(crate) fn take(&self, client: &ClientHandle) -> Vec<Message> {
        let mut out = Vec::new();
        while let Some(batch) = self.shared.take_batch(client.id()).map(|b| b.messages) {
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

    /// What a new tab would be replayed now.
    pub(crate) fn replay(&self) -> Vec<Message> {
        let client = self.connect_raw();
        let messages = self.take(&client);
        self.shared.unregister_client(client.id());
        messages
    }

    fn connect_raw(&self) -> ClientHandle {
        let registration = self.shared.register_client();
        ClientHandle::new(self.shared.clone(), registration.id)
    }

    /// `client` sends `message`.
    pub(crate) fn send(&self, client: &ClientHandle, message: Message) {
        crate::dispatch::client_message(&self.shared, client, AnyMessage::Viser(message));
    }
}
