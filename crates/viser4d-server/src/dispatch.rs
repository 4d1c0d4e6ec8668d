//! What the server does with each message a tab sends. Registries are
//! updated under the state lock; callbacks run after it is released.

use std::sync::Arc;

use viser4d_proto::messages::{GuiUpdateMessage, SceneNodeClickMessage, ViewerCameraMessage};
use viser4d_proto::{AnyMessage, Message, Value};

use crate::callbacks::run_blocking;
use crate::client::{ClientHandle, camera_state};
use crate::scene::ClickEvent;
use crate::shared::Shared;

pub(crate) fn client_message(shared: &Arc<Shared>, client: &ClientHandle, message: AnyMessage) {
    match message {
        AnyMessage::Viser(Message::ViewerCameraMessage(m)) => camera(shared, client, m),
        AnyMessage::Viser(Message::GuiUpdateMessage(m)) => gui_update(shared, client, m),
        AnyMessage::Viser(Message::SceneNodeClickMessage(m)) => node_click(shared, client, m),
        other => tracing::debug!(
            client = client.id(),
            r#type = other.type_name(),
            "client message not handled"
        ),
    }
}

fn camera(shared: &Shared, client: &ClientHandle, message: ViewerCameraMessage) {
    let state = camera_state(&message);
    shared.with_client(client.id(), |slot| slot.camera = Some(message));
    let callbacks = shared
        .lock()
        .scene
        .camera_callbacks
        .get(&client.id())
        .cloned()
        .unwrap_or_default();
    for cb in callbacks {
        run_blocking(|| cb(client, &state));
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

fn node_click(shared: &Shared, client: &ClientHandle, message: SceneNodeClickMessage) {
    let callbacks = {
        let state = shared.lock();
        let Some(entry) = state.scene.entry_by_owner(&message.owner, &message.name) else {
            return;
        };
        entry.click.clone()
    };
    let event = ClickEvent {
        client: client.clone(),
        node_name: message.name,
        instance_index: message.instance_index,
        ray_origin: message.ray_origin,
        ray_direction: message.ray_direction,
        screen_pos: message.screen_pos,
    };
    for cb in callbacks {
        run_blocking(|| cb(&event));
    }
}
