//! Client messages that belong to the scene: node clicks (and, per kind,
//! whatever else a node sends, such as transform-control drags).

use viser4d_proto::messages::SceneNodeClickMessage;
use viser4d_proto::{AnyMessage, Message};

use crate::callbacks::run_blocking;
use crate::client::ClientHandle;
use crate::scene::ClickEvent;
use crate::shared::Shared;

/// Handles `message` if it is the scene's; otherwise hands it back.
pub(crate) fn handle(
    shared: &Shared,
    client: &ClientHandle,
    message: AnyMessage,
) -> Option<AnyMessage> {
    match message {
        AnyMessage::Viser(Message::SceneNodeClickMessage(m)) => {
            node_click(shared, client, m);
            None
        }
        other => Some(other),
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
