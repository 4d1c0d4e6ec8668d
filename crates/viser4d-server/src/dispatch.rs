//! What the server does with each message a tab sends. Each area (scene,
//! GUI) gets a look at the message in turn and takes what is its own.
//! Registries are updated under the state lock; callbacks run after it is
//! released.

use std::sync::Arc;

use viser4d_proto::messages::ViewerCameraMessage;
use viser4d_proto::{AnyMessage, Message};

use crate::callbacks::{CallbackList, run_blocking};
use crate::client::{ClientHandle, camera_state};
use crate::requests::Reply;
use crate::shared::Shared;

pub(crate) fn client_message(shared: &Arc<Shared>, client: &ClientHandle, message: AnyMessage) {
    let _handling = crate::callbacks::Handling::enter(client.id());
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
        AnyMessage::Viser(Message::GetRenderResponseMessage(m)) => {
            shared
                .pending
                .answer(client.id(), &m.render_uuid, Reply::Render(m.payload));
        }
        AnyMessage::Viser(Message::LocalStorageGetItemResponseMessage(m)) => {
            shared.pending.answer(
                client.id(),
                &m.request_uuid,
                Reply::StorageItem {
                    value: m.value,
                    error: m.error,
                },
            );
        }
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
        .map(CallbackList::to_vec)
        .unwrap_or_default();
    for cb in callbacks {
        run_blocking(|| cb(client, &state));
    }
}
