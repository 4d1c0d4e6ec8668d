//! What the server does with each message a tab sends. Each area (scene,
//! GUI) gets a look at the message in turn and takes what is its own.
//! Registries are updated under the state lock; callbacks run after it is
//! released.

use std::sync::Arc;

use viser4d_proto::messages::ViewerCameraMessage;
use viser4d_proto::{AnyMessage, Message};

use crate::callbacks::run_blocking;
use crate::client::{ClientHandle, camera_state};
use crate::shared::Shared;

pub(crate) fn client_message(shared: &Arc<Shared>, client: &ClientHandle, message: AnyMessage) {
    let Some(message) = crate::timeline::events::handle(shared, client, message) else {
        return;
    };
    let Some(message) = crate::scene::events::handle(shared, client, message) else {
        return;
    };
    let Some(message) = crate::gui::events::handle(shared, client, message) else {
        return;
    };
    match message {
        AnyMessage::Viser(Message::ViewerCameraMessage(m)) => camera(shared, client, m),
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
