//! What every scene node handle can do: pose, visibility, typed property
//! updates, click callbacks, removal.

use std::collections::HashMap;
use std::sync::Arc;

use viser4d_proto::messages::{
    SceneNodeUpdateMessage, SetOrientationMessage, SetPositionMessage,
    SetSceneNodeVisibilityMessage,
};
use viser4d_proto::{Message, Value};
use viser4d_timeline::NodeName;

use crate::callbacks::CallbackId;
use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
use crate::scene::registry::{self, NodeEntry, NodeId};
use crate::shared::{Scope, Shared};
use crate::timeline::Pose;
use crate::validate;

/// A click on a node, with the ray through the clicked pixel.
#[derive(Debug, Clone)]
pub struct ClickEvent {
    /// The tab that clicked.
    pub client: ClientHandle,
    /// The clicked node.
    pub node_name: String,
    /// For batched nodes, which instance.
    pub instance_index: Option<i64>,
    /// Ray origin (the camera position), world coordinates.
    pub ray_origin: [f64; 3],
    /// Ray direction, world coordinates.
    pub ray_direction: [f64; 3],
    /// Clicked pixel, normalized to [0, 1] (OpenCV convention).
    pub screen_pos: [f64; 2],
}

pub(crate) type ClickCallback = Arc<dyn Fn(&ClickEvent) + Send + Sync>;

/// The message that sets `pose` on the node `name`.
fn pose_message(name: &str, owner: String, pose: Pose) -> Message {
    let name = name.to_owned();
    match pose {
        Pose::Position(position) => Message::from(SetPositionMessage {
            name,
            position,
            owner,
        }),
        Pose::Orientation(wxyz) => Message::from(SetOrientationMessage { name, wxyz, owner }),
        Pose::Visible(visible) => Message::from(SetSceneNodeVisibilityMessage {
            name,
            visible,
            owner,
        }),
    }
}

/// A node in a scene. Cloning the handle does not clone the node. Once the
/// node is removed (or replaced by another with its name) every call
/// returns [`ServerError::Removed`].
#[derive(Clone)]
pub struct SceneNodeHandle {
    shared: Arc<Shared>,
    scope: Scope,
    name: String,
    id: NodeId,
    /// The timeline key's node name, made once: a timeline node's poses
    /// are recorded straight from it (see `Timeline::record_pose`).
    timeline_node: Option<NodeName>,
}

impl std::fmt::Debug for SceneNodeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SceneNodeHandle")
            .field("name", &self.name)
            .field("scope", &self.scope)
            .finish()
    }
}

impl SceneNodeHandle {
    pub(crate) fn new(
        shared: Arc<Shared>,
        scope: Scope,
        name: String,
        id: NodeId,
    ) -> SceneNodeHandle {
        // A name the timeline refuses records through the message path,
        // which reports why.
        let timeline_node = (scope == Scope::Timeline)
            .then(|| NodeName::new(&name).ok())
            .flatten();
        SceneNodeHandle {
            shared,
            scope,
            name,
            id,
            timeline_node,
        }
    }

    /// The normalized node name (`/a/b`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn removed(&self) -> ServerError {
        ServerError::Removed {
            what: "scene node",
            name: self.name.clone(),
        }
    }

    /// Runs `f` on the node's entry and sends what it returns, under one
    /// lock so that the state handles read and what clients get agree.
    pub(crate) fn update(&self, f: impl FnOnce(&mut NodeEntry) -> Vec<Message>) -> Result<()> {
        let mut state = self.shared.lock();
        let entry = state.scene.entry(self.id).ok_or_else(|| self.removed())?;
        let before = entry.clone();
        let messages = f(entry);
        let sent = state.send_all(self.scope, messages, None);
        if sent.is_err()
            && let Some(entry) = state.scene.entry(self.id)
        {
            // Not recorded: the handle must not claim otherwise.
            *entry = before;
        }
        sent
    }

    /// Sends (or records) one message about this node, once it is
    /// checked that the node still exists.
    pub(crate) fn send_node(&self, message: Message) -> Result<()> {
        self.send_then(message, |_| {})
    }

    /// Sends `message` about this node and, once it went (or was
    /// recorded), applies `apply` to the node's entry: a failed recording
    /// leaves the entry as it was without the snapshot [`Self::update`]
    /// takes (poses are set far more often than anything else).
    fn send_then(&self, message: Message, apply: impl FnOnce(&mut NodeEntry)) -> Result<()> {
        let mut state = self.shared.lock();
        state.scene.entry(self.id).ok_or_else(|| self.removed())?;
        state.send(self.scope, message, None)?;
        if let Some(entry) = state.scene.entry(self.id) {
            apply(entry);
        }
        Ok(())
    }

    /// Sets a pose or flag: recorded straight from the key parts on a
    /// timeline node, as a message elsewhere.
    fn set_pose(&self, pose: Pose, apply: impl FnOnce(&mut NodeEntry)) -> Result<()> {
        match &self.timeline_node {
            Some(node) => self.record_pose(node, pose, apply),
            None => self.send_then(pose_message(&self.name, self.scope.owner(), pose), apply),
        }
    }

    /// [`Self::send_then`] for a timeline node's pose or flag.
    fn record_pose(
        &self,
        node: &NodeName,
        pose: Pose,
        apply: impl FnOnce(&mut NodeEntry),
    ) -> Result<()> {
        let mut state = self.shared.lock();
        state.scene.entry(self.id).ok_or_else(|| self.removed())?;
        match state.timeline.as_mut() {
            Some(timeline) => timeline.record_pose(node, pose)?,
            None => return Err(ServerError::NoTimeline),
        }
        if let Some(entry) = state.scene.entry(self.id) {
            apply(entry);
        }
        Ok(())
    }

    pub(crate) fn scope(&self) -> Scope {
        self.scope
    }

    fn read<R>(&self, f: impl FnOnce(&NodeEntry) -> R) -> Result<R> {
        let mut state = self.shared.lock();
        let entry = state.scene.entry(self.id).ok_or_else(|| self.removed())?;
        Ok(f(entry))
    }

    /// Position relative to the parent.
    pub fn set_position(&self, position: [f64; 3]) -> Result<()> {
        validate::finite("position", &position)?;
        self.set_pose(Pose::Position(position), |e| e.position = position)
    }

    /// Orientation relative to the parent, as a quaternion `[w, x, y, z]`.
    pub fn set_wxyz(&self, wxyz: [f64; 4]) -> Result<()> {
        validate::quaternion("wxyz", &wxyz)?;
        self.set_pose(Pose::Orientation(wxyz), |e| e.wxyz = wxyz)
    }

    /// Shows or hides the node (and its subtree).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.set_pose(Pose::Visible(visible), |e| e.visible = visible)
    }

    /// The last position set.
    pub fn position(&self) -> Result<[f64; 3]> {
        self.read(|e| e.position)
    }

    /// The last orientation set.
    pub fn wxyz(&self) -> Result<[f64; 4]> {
        self.read(|e| e.wxyz)
    }

    /// The last visibility set.
    pub fn visible(&self) -> Result<bool> {
        self.read(|e| e.visible)
    }

    /// Sends a property update (`SceneNodeUpdateMessage`); the typed handles
    /// call this after validating the value.
    pub(crate) fn set_prop(&self, prop: &'static str, value: Value) -> Result<()> {
        self.set_props(vec![(prop, value)])
    }

    /// Sends several property updates in order, under one lock, so no
    /// client sees some of them without the others.
    pub(crate) fn set_props(&self, props: Vec<(&'static str, Value)>) -> Result<()> {
        self.set_props_checked(|_| Ok(props))
    }

    /// Like [`Self::set_props`], after `check` has approved the update
    /// against the node's recorded array lengths (and recorded the new
    /// ones). `check` runs under the state lock, so the check and the send
    /// cannot interleave with another update of the same node; an error
    /// sends nothing.
    pub(crate) fn set_props_checked(
        &self,
        check: impl FnOnce(&mut HashMap<&'static str, usize>) -> Result<Vec<(&'static str, Value)>>,
    ) -> Result<()> {
        let mut state = self.shared.lock();
        let entry = state.scene.entry(self.id).ok_or_else(|| self.removed())?;
        let lengths_before = entry.lengths.clone();
        let props = check(&mut entry.lengths)?;
        // One property per message: viser keys buffered updates by the set
        // of properties they carry, and so does our timeline.
        let messages = props
            .into_iter()
            .map(|(prop, value)| {
                Message::from(SceneNodeUpdateMessage {
                    name: self.name.clone(),
                    updates: Value::Map(vec![(prop.to_owned(), value)]),
                    owner: self.scope.owner(),
                })
            })
            .collect();
        let sent = state.send_all(self.scope, messages, None);
        if sent.is_err()
            && let Some(entry) = state.scene.entry(self.id)
        {
            entry.lengths = lengths_before;
        }
        sent
    }

    /// Runs `f` on the node's registry entry under the state lock (for
    /// kinds that keep more per-node state, such as callbacks).
    pub(crate) fn with_entry<R>(&self, f: impl FnOnce(&mut NodeEntry) -> R) -> Result<R> {
        let mut state = self.shared.lock();
        let entry = state.scene.entry(self.id).ok_or_else(|| self.removed())?;
        Ok(f(entry))
    }

    /// Runs `callback` when a tab clicks this node.
    pub fn on_click(
        &self,
        callback: impl Fn(&ClickEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        let mut state = self.shared.lock();
        let entry = state.scene.entry(self.id).ok_or_else(|| self.removed())?;
        if entry.click.is_empty() {
            registry::enable_click(&mut state, self.scope, &self.name)?;
        }
        let entry = state.scene.entry(self.id).ok_or_else(|| self.removed())?;
        Ok(entry.click.push(Arc::new(callback)))
    }

    /// Unregisters a callback given to this node (`on_click`, `on_drag`, or a
    /// transform control's `on_update`, `on_drag_start`, `on_drag_end`);
    /// `false` if it is not registered on it. Once its last click callback
    /// is gone, tabs stop reporting clicks on the node.
    pub fn remove_callback(&self, id: CallbackId) -> Result<bool> {
        let mut state = self.shared.lock();
        let Some(entry) = state.scene.entry(self.id) else {
            return Ok(false);
        };
        if entry.transform.remove(id) {
            return Ok(true);
        }
        // Bindings change: the message goes first (recording it may fail),
        // and the callback goes only once it went.
        let (message, drag) = if entry.drag.iter_ids().any(|i| i == id) {
            let message = crate::scene::drag::bindings_message(
                entry,
                Some(id),
                self.name.clone(),
                self.scope.owner(),
            );
            (Some(message), true)
        } else if entry.click.iter_ids().any(|i| i == id) {
            let last = entry.click.iter().count() == 1;
            (
                last.then(|| registry::disable_click_message(self.scope, &self.name)),
                false,
            )
        } else {
            return Ok(false);
        };
        if let Some(message) = message {
            state.send(self.scope, message, None)?;
        }
        if let Some(entry) = state.scene.entry(self.id) {
            if drag {
                entry.drag.remove(id);
            } else {
                entry.click.remove(id);
            }
        }
        Ok(true)
    }

    /// Removes the node and its subtree.
    ///
    /// A timeline node is removed at the step being recorded (from then
    /// on, until created again), or outside any step as an override that
    /// hides it at every step; its handle stays usable at other steps.
    pub fn remove(&self) -> Result<()> {
        let mut state = self.shared.lock();
        state.scene.entry(self.id).ok_or_else(|| self.removed())?;
        if self.scope == Scope::Timeline {
            let remove = viser4d_proto::messages::RemoveSceneNodeMessage {
                name: self.name.clone(),
                owner: String::new(),
            };
            state.send(self.scope, Message::from(remove), None)
        } else {
            registry::remove_subtree(&mut state, self.scope, &self.name)
        }
    }
}
