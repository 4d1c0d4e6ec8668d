//! Client messages that belong to the scene: node clicks and
//! transform-control drags.
//!
//! Each message echoes the `owner` of the node variant the tab interacted
//! with, which names the scope whose node it is; a tab can only reach the
//! shared scene and its own.

use viser4d_proto::messages::{
    DragPhase, SceneNodeClickMessage, SetOrientationMessage, SetPositionMessage,
    TransformControlsUpdateMessage,
};
use viser4d_proto::{AnyMessage, Message};

use crate::callbacks::run_blocking;
use crate::client::ClientHandle;
use crate::scene::registry::owner_scope;
use crate::scene::{ClickEvent, TransformControlsEvent};
use crate::shared::{Scope, Shared};

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
        AnyMessage::Viser(Message::TransformControlsUpdateMessage(m)) => {
            transform_update(shared, client, m);
            None
        }
        AnyMessage::Viser(Message::TransformControlsDragStartMessage(m)) => {
            transform_phase(shared, client, &m.owner, m.name, DragPhase::Start);
            None
        }
        AnyMessage::Viser(Message::TransformControlsDragEndMessage(m)) => {
            transform_phase(shared, client, &m.owner, m.name, DragPhase::End);
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

/// The scope of the node a transform-control message names, if this tab
/// may drag it.
fn reachable_scope(client: &ClientHandle, owner: &str) -> Option<Scope> {
    match owner_scope(owner)? {
        Scope::Client(id) if id != client.id() => None,
        scope => Some(scope),
    }
}

fn transform_update(
    shared: &Shared,
    client: &ClientHandle,
    message: TransformControlsUpdateMessage,
) {
    if !message
        .position
        .iter()
        .chain(&message.wxyz)
        .all(|v| v.is_finite())
    {
        tracing::warn!(client = client.id(), name = %message.name, "transform-control update with a non-finite pose; ignored");
        return;
    }
    let Some(scope) = reachable_scope(client, &message.owner) else {
        return;
    };
    let callbacks = {
        let mut state = shared.lock();
        let Some(entry) = state
            .scene
            .entry_by_owner_mut(&message.owner, &message.name)
            .filter(|e| e.is_transform_controls)
        else {
            // Removed while the tab was dragging it, or not a gizmo.
            return;
        };
        entry.position = message.position;
        entry.wxyz = message.wxyz;
        let callbacks = entry.transform.clone();
        // Show the new pose to every other tab (and to tabs that connect
        // later); the dragging tab already shows it.
        let orientation = SetOrientationMessage {
            name: message.name.clone(),
            wxyz: message.wxyz,
            owner: scope.owner(),
        };
        let position = SetPositionMessage {
            name: message.name.clone(),
            position: message.position,
            owner: scope.owner(),
        };
        state.send(scope, Message::from(orientation), Some(client.id()));
        state.send(scope, Message::from(position), Some(client.id()));
        callbacks
    };
    let event = TransformControlsEvent {
        client: client.clone(),
        node_name: message.name,
        phase: DragPhase::Update,
        position: message.position,
        wxyz: message.wxyz,
    };
    for cb in callbacks {
        run_blocking(|| cb(&event));
    }
}

fn transform_phase(
    shared: &Shared,
    client: &ClientHandle,
    owner: &str,
    name: String,
    phase: DragPhase,
) {
    if reachable_scope(client, owner).is_none() {
        return;
    }
    let (callbacks, position, wxyz) = {
        let state = shared.lock();
        let Some(entry) = state
            .scene
            .entry_by_owner(owner, &name)
            .filter(|e| e.is_transform_controls)
        else {
            return;
        };
        (entry.transform.clone(), entry.position, entry.wxyz)
    };
    let event = TransformControlsEvent {
        client: client.clone(),
        node_name: name,
        phase,
        position,
        wxyz,
    };
    for cb in callbacks {
        run_blocking(|| cb(&event));
    }
}
