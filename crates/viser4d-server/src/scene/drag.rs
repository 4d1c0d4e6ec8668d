//! Dragging scene nodes (viser's `on_drag`): a node with drag callbacks
//! tells the tabs which mouse button and modifier combinations grab it, and
//! a tab reports each drag segment as start, updates and end, with the grab
//! point and the pointer projected on the drag plane. The server only
//! reports; moving the node (or anything else) is the callback's choice.

use std::sync::Arc;

use viser4d_proto::Message;
use viser4d_proto::messages::{
    DragBinding, DragButton, DragPhase, KeyModifier, SceneNodeDragMessage,
    SetSceneNodeDragBindingsMessage,
};

use crate::callbacks::{CallbackId, run_blocking};
use crate::client::ClientHandle;
use crate::error::Result;
use crate::scene::SceneNodeHandle;
use crate::scene::registry::NodeEntry;
use crate::shared::Shared;

/// One drag segment's report, from [`SceneNodeHandle::on_drag`].
#[derive(Debug, Clone)]
pub struct DragEvent {
    /// The tab that drags.
    pub client: ClientHandle,
    /// The dragged node.
    pub node_name: String,
    /// Start, update or end of the segment.
    pub phase: DragPhase,
    /// For batched nodes, which instance (fixed for the drag).
    pub instance_index: Option<i64>,
    /// Where the grab point is now, world coordinates.
    pub start_position: [f64; 3],
    /// The grab point on screen, normalized to [0, 1] (OpenCV).
    pub start_screen_pos: [f64; 2],
    /// The pointer projected on the drag plane, world coordinates.
    pub end_position: [f64; 3],
    /// The pointer on screen, normalized to [0, 1] (OpenCV).
    pub end_screen_pos: [f64; 2],
    /// The mouse button held.
    pub button: DragButton,
    /// The modifier keys held for this segment (`None`: none).
    pub modifier: Option<KeyModifier>,
}

type DragCallback = Arc<dyn Fn(&DragEvent) + Send + Sync>;

/// One registered drag callback and the input it takes.
#[derive(Clone)]
pub(crate) struct DragEntry {
    binding: DragBinding,
    callback: DragCallback,
}

impl SceneNodeHandle {
    /// Runs `callback` through each drag of this node with `button` and
    /// exactly `modifier` held (`None`: no modifier): once at
    /// [`DragPhase::Start`], on each move, and at [`DragPhase::End`] (also
    /// when the drag is cancelled). Dragging a node with the left button
    /// no longer orbits the camera. Remove it with
    /// [`SceneNodeHandle::remove_callback`]; with no drag callback left
    /// the node is not draggable.
    pub fn on_drag(
        &self,
        button: DragButton,
        modifier: Option<KeyModifier>,
        callback: impl Fn(&DragEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        let entry = DragEntry {
            binding: DragBinding { button, modifier },
            callback: Arc::new(callback),
        };
        let (name, owner) = (self.name().to_owned(), self.scope().owner());
        let mut id = None;
        self.update(|node| {
            id = Some(node.drag.push(entry));
            vec![bindings_message(node, None, name, owner)]
        })?;
        id.ok_or_else(|| self.removed())
    }
}

/// The message telling the tabs which drag bindings `node` has, leaving out
/// the callback `without` (about to be removed); none: not draggable.
pub(crate) fn bindings_message(
    node: &NodeEntry,
    without: Option<CallbackId>,
    name: String,
    owner: String,
) -> Message {
    let mut bindings: Vec<DragBinding> = Vec::new();
    for (id, entry) in node.drag.iter_with_ids() {
        if Some(id) != without && !bindings.contains(&entry.binding) {
            bindings.push(entry.binding.clone());
        }
    }
    Message::from(SetSceneNodeDragBindingsMessage {
        name,
        bindings,
        owner,
    })
}

/// Runs the drag callbacks a tab's report reaches.
pub(crate) fn dispatch(shared: &Shared, client: &ClientHandle, message: SceneNodeDragMessage) {
    if !message
        .start_position
        .iter()
        .chain(&message.end_position)
        .chain(&message.start_screen_pos)
        .chain(&message.end_screen_pos)
        .all(|v| v.is_finite())
    {
        tracing::warn!(client = client.id(), name = %message.name, "drag report with non-finite coordinates; ignored");
        return;
    }
    let callbacks: Vec<DragCallback> = {
        let state = shared.lock();
        let Some(node) = state.scene.entry_by_owner(&message.owner, &message.name) else {
            // Removed while the tab was dragging it.
            return;
        };
        node.drag
            .iter()
            .filter(|e| {
                e.binding.button == message.button && e.binding.modifier == message.modifier
            })
            .map(|e| e.callback.clone())
            .collect()
    };
    let event = DragEvent {
        client: client.clone(),
        node_name: message.name,
        phase: message.phase,
        instance_index: message.instance_index,
        start_position: message.start_position,
        start_screen_pos: message.start_screen_pos,
        end_position: message.end_position,
        end_screen_pos: message.end_screen_pos,
        button: message.button,
        modifier: message.modifier,
    };
    for cb in callbacks {
        run_blocking(|| cb(&event));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::scene::testing::Harness;

    fn report(
        name: &str,
        owner: &str,
        button: DragButton,
        phase: DragPhase,
    ) -> SceneNodeDragMessage {
        SceneNodeDragMessage {
            phase,
            name: name.to_owned(),
            instance_index: None,
            start_position: [0.0; 3],
            start_screen_pos: [0.5; 2],
            end_position: [1.0, 0.0, 0.0],
            end_screen_pos: [0.6, 0.5],
            button,
            modifier: None,
            owner: owner.to_owned(),
        }
    }

    #[test]
    fn bindings_follow_callbacks_and_reports_reach_their_button() -> Result<()> {
        let h = Harness::new()?;
        let node = h.scene.add_frame("/box", Default::default())?;
        let phases: Arc<Mutex<Vec<DragPhase>>> = Arc::default();
        let seen = phases.clone();
        let left = node.on_drag(DragButton::Left, None, move |e| {
            if let Ok(mut p) = seen.lock() {
                p.push(e.phase);
            }
        })?;
        node.on_drag(DragButton::Right, Some(KeyModifier::Shift), |_| {})?;
        let bindings = h.sent().into_iter().rev().find_map(|m| match m {
            Message::SetSceneNodeDragBindingsMessage(b) => Some(b.bindings),
            _ => None,
        });
        assert_eq!(bindings.map(|b| b.len()), Some(2));

        let tab = ClientHandle::new(h.scene.shared.clone(), h.client);
        for phase in [DragPhase::Start, DragPhase::Update, DragPhase::End] {
            dispatch(
                &h.scene.shared,
                &tab,
                report("/box", "", DragButton::Left, phase),
            );
        }
        dispatch(
            &h.scene.shared,
            &tab,
            report("/box", "", DragButton::Middle, DragPhase::Start),
        );
        dispatch(
            &h.scene.shared,
            &tab,
            report("/gone", "", DragButton::Left, DragPhase::Start),
        );
        assert_eq!(
            phases.lock().map(|p| p.clone()).unwrap_or_default(),
            [DragPhase::Start, DragPhase::Update, DragPhase::End]
        );
        assert!(node.remove_callback(left)?);
        let bindings = h.sent().into_iter().rev().find_map(|m| match m {
            Message::SetSceneNodeDragBindingsMessage(b) => Some(b.bindings),
            _ => None,
        });
        assert_eq!(
            bindings.map(|b| b.len()),
            Some(1),
            "the right-button binding stays"
        );
        Ok(())
    }
}
