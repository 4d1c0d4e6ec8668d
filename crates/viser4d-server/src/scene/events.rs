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
        AnyMessage::Viser(Message::SceneNodeDragMessage(m)) => {
            if reachable_scope(client, &m.owner).is_some() {
                crate::scene::drag::dispatch(shared, client, m);
            }
            None
        }
        AnyMessage::Viser(Message::ScenePointerMessage(m)) => {
            crate::scene::pointer::dispatch(shared, client, m);
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
    // The owner names whose node it is; a tab may click only what it sees:
    // the shared scene and its own nodes, never another tab's.
    if reachable_scope(client, &message.owner).is_none() {
        tracing::warn!(
            client = client.id(),
            owner = %message.owner,
            node = %message.name,
            "tab clicked a node it cannot see; ignored"
        );
        return;
    }
    let callbacks = {
        let state = shared.lock();
        let Some(entry) = state.scene.entry_by_owner(&message.owner, &message.name) else {
            return;
        };
        entry.click.to_vec()
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
        let callbacks = entry.transform.to_vec();
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
        // A tab names only live scopes (the shared scene or its own).
        state.send_live(scope, Message::from(orientation), Some(client.id()));
        state.send_live(scope, Message::from(position), Some(client.id()));
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
        (entry.transform.to_vec(), entry.position, entry.wxyz)
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use viser4d_proto::messages::SceneNodeClickMessage;
    use viser4d_proto::{AnyMessage, Message};

    use crate::client::ClientHandle;
    use crate::error::Result;
    use crate::scene::testing::Harness;
    use crate::shared::ClientId;

    fn click(name: &str, owner: &str) -> AnyMessage {
        AnyMessage::Viser(Message::from(SceneNodeClickMessage {
            name: name.to_owned(),
            instance_index: None,
            ray_origin: [0.0; 3],
            ray_direction: [0.0, 0.0, 1.0],
            screen_pos: [0.5, 0.5],
            modifier: None,
            owner: owner.to_owned(),
        }))
    }

    #[test]
    fn a_tab_clicks_only_the_nodes_it_can_see() -> Result<()> {
        let h = Harness::new()?;
        let shared = h.scene.shared.clone();
        let (a, b) = (shared.register_client().id, shared.register_client().id);
        let (tab_a, tab_b) = (
            ClientHandle::new(shared.clone(), a),
            ClientHandle::new(shared.clone(), b),
        );
        let clicks: Arc<Mutex<Vec<(String, ClientId)>>> = Arc::default();
        let record = |clicks: &Arc<Mutex<Vec<(String, ClientId)>>>| {
            let clicks = clicks.clone();
            move |event: &crate::scene::ClickEvent| {
                if let Ok(mut c) = clicks.lock() {
                    c.push((event.node_name.clone(), event.client.id()));
                }
            }
        };
        let own = tab_a.scene().add_frame("/mine", Default::default())?;
        own.on_click(record(&clicks))?;
        let everyone = h.scene.add_frame("/shared", Default::default())?;
        everyone.on_click(record(&clicks))?;

        // Tab b names tab a's scope: it cannot see that node.
        assert!(super::handle(&shared, &tab_b, click("/mine", &a.to_string())).is_none());
        // Nor is a's node in the shared scene.
        super::handle(&shared, &tab_b, click("/mine", ""));
        // Tab a may click its own node, and every tab the shared one.
        super::handle(&shared, &tab_a, click("/mine", &a.to_string()));
        super::handle(&shared, &tab_b, click("/shared", ""));
        let got = clicks.lock().map(|c| c.clone()).unwrap_or_default();
        assert_eq!(
            got,
            [("/mine".to_owned(), a), ("/shared".to_owned(), b)],
            "only the reachable clicks ran"
        );
        Ok(())
    }
}
