//! Client messages that belong to the GUI: value changes (and, per kind,
//! whatever else a GUI element sends).

use viser4d_proto::messages::GuiUpdateMessage;
use viser4d_proto::{AnyMessage, Message, Value};

use crate::callbacks::run_blocking;
use crate::client::ClientHandle;
use crate::shared::Shared;

/// Handles `message` if it is the GUI's; otherwise hands it back.
pub(crate) fn handle(
    shared: &Shared,
    client: &ClientHandle,
    message: AnyMessage,
) -> Option<AnyMessage> {
    match message {
        AnyMessage::Viser(Message::GuiUpdateMessage(m)) => {
            gui_update(shared, client, m);
            None
        }
        other => Some(other),
    }
}

fn gui_update(shared: &Shared, client: &ClientHandle, message: GuiUpdateMessage) {
    let Value::Map(updates) = message.updates else {
        tracing::warn!(client = client.id(), uuid = %message.uuid, "GuiUpdateMessage without an updates map");
        return;
    };
    let mut state = shared.lock();
    let Some(entry) = state.gui.get_mut(&message.uuid) else {
        // Removed while the tab was still showing it.
        return;
    };
    let is_button = entry.is_button;
    let scope = entry.scope;
    let mut value_changed = None;
    for (prop, value) in &updates {
        if prop == "value" && (is_button || &entry.value != value) {
            if !is_button {
                entry.value = value.clone();
            }
            value_changed = Some(value.clone());
        }
    }
    let Some(value) = value_changed else { return };
    if !is_button && scope == crate::shared::Scope::Broadcast {
        // Keep the other tabs (and late joiners) in sync.
        let sync = Message::from(GuiUpdateMessage {
            uuid: message.uuid.clone(),
            updates: Value::Map(vec![("value".to_owned(), value.clone())]),
        });
        state.send(scope, sync, Some(client.id()));
    }
    let callbacks = state.gui.callbacks(&message.uuid);
    drop(state);
    for cb in callbacks {
        run_blocking(|| cb(client, &value));
    }
}
