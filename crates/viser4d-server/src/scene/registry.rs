//! Which scene nodes exist, per scope, with the state their handles read
//! back and their click callbacks.

use std::collections::{BTreeMap, HashMap};

use viser4d_proto::Message;
use viser4d_proto::messages::{
    DragBinding, DragButton, RemoveSceneNodeMessage, SetSceneNodeClickBindingsMessage,
};

use crate::callbacks::CallbackList;
use crate::client::CameraCallback;
use crate::error::Result;
use crate::scene::handle::ClickCallback;
use crate::scene::transform_controls::TransformControlsCallback;
use crate::shared::{ClientId, Scope, State};

// Clone: a setter snapshots the entry so a failed recording can put it back.
#[derive(Default, Clone)]
pub(crate) struct NodeEntry {
    pub(crate) generation: u64,
    pub(crate) is_virtual: bool,
    pub(crate) position: [f64; 3],
    pub(crate) wxyz: [f64; 4],
    pub(crate) visible: bool,
    pub(crate) click: CallbackList<ClickCallback>,
    /// Whether the node is a transform control, the only kind a tab may
    /// move (with `TransformControlsUpdateMessage`).
    pub(crate) is_transform_controls: bool,
    /// Transform-control callbacks.
    pub(crate) transform: CallbackList<TransformControlsCallback>,
    /// Drag callbacks with the bindings they take.
    pub(crate) drag: CallbackList<crate::scene::drag::DragEntry>,
    /// The GUI container a 3D GUI node holds: its elements go with it.
    pub(crate) gui_container: Option<String>,
    /// Lengths of the node's array properties that other properties must
    /// agree with (per-item colors with items, faces with vertices, ...),
    /// keyed by a name each kind documents. Handles check a new array
    /// against them under the state lock, so a node never gets a
    /// mismatched pair.
    pub(crate) lengths: HashMap<&'static str, usize>,
}

/// Where a handle's node lives: its slot in the registry and the insert
/// that made it. A handle reaches its entry by slot, with no lookup by
/// name (every setter does, and names such as `/frames/f123` share long
/// prefixes that made a tree search a tenth of recording a scene of poses).
/// Generations are never reused, so a slot freed and taken by another node
/// does not match an old handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NodeId {
    slot: u32,
    generation: u64,
}

#[derive(Default)]
pub(crate) struct SceneRegistry {
    /// By scope, then name, each a slot in `slots`: ordered, for subtrees
    /// and roots.
    names: BTreeMap<Scope, BTreeMap<String, u32>>,
    /// The entries; `None` for a free slot (listed in `free`).
    slots: Vec<Option<NodeEntry>>,
    free: Vec<u32>,
    next_generation: u64,
    pub(crate) camera_callbacks: HashMap<ClientId, CallbackList<CameraCallback>>,
    /// Scene-wide pointer callbacks per scope.
    pub(crate) pointer: HashMap<Scope, CallbackList<crate::scene::pointer::PointerEntry>>,
}

impl std::fmt::Debug for SceneRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SceneRegistry")
            .field(
                "nodes",
                &self.names.values().map(BTreeMap::len).sum::<usize>(),
            )
            .finish()
    }
}

impl PartialOrd for Scope {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scope {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let key = |s: &Scope| match s {
            Scope::Broadcast => (0, 0),
            Scope::Client(id) => (1, *id),
            Scope::Timeline => (2, 0),
        };
        key(self).cmp(&key(other))
    }
}

impl SceneRegistry {
    pub(crate) fn contains(&self, scope: Scope, name: &str) -> bool {
        self.slot_of(scope, name).is_some()
    }

    fn slot_of(&self, scope: Scope, name: &str) -> Option<u32> {
        self.names.get(&scope)?.get(name).copied()
    }

    /// Adds (or replaces) a node.
    pub(crate) fn insert(&mut self, scope: Scope, name: &str, is_virtual: bool) -> NodeId {
        self.next_generation += 1;
        let generation = self.next_generation;
        let entry = NodeEntry {
            generation,
            is_virtual,
            wxyz: [1.0, 0.0, 0.0, 0.0],
            visible: true,
            ..NodeEntry::default()
        };
        let slot = match self.slot_of(scope, name) {
            // A replaced node keeps its slot: its old handles fail on the
            // generation.
            Some(slot) => slot,
            None => {
                let slot = match self.free.pop() {
                    Some(slot) => slot,
                    None => {
                        self.slots.push(None);
                        // More nodes than u32 slots would not fit in memory.
                        u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
                    }
                };
                self.names
                    .entry(scope)
                    .or_default()
                    .insert(name.to_owned(), slot);
                slot
            }
        };
        if let Some(place) = self.slots.get_mut(slot as usize) {
            *place = Some(entry);
        }
        NodeId { slot, generation }
    }

    /// The live entry of a handle's node, if the node still exists.
    pub(crate) fn entry(&mut self, id: NodeId) -> Option<&mut NodeEntry> {
        self.slots
            .get_mut(id.slot as usize)?
            .as_mut()
            .filter(|e| e.generation == id.generation)
    }

    /// The current node of `name`, whatever its generation.
    pub(crate) fn id_of(&self, scope: Scope, name: &str) -> Option<NodeId> {
        let slot = self.slot_of(scope, name)?;
        let generation = self.slots.get(slot as usize)?.as_ref()?.generation;
        Some(NodeId { slot, generation })
    }

    /// The current entry of `name`, whatever its generation.
    pub(crate) fn get(&self, scope: Scope, name: &str) -> Option<&NodeEntry> {
        let slot = self.slot_of(scope, name)?;
        self.slots.get(slot as usize)?.as_ref()
    }

    fn get_mut(&mut self, scope: Scope, name: &str) -> Option<&mut NodeEntry> {
        let slot = self.slot_of(scope, name)?;
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// The node a tab's event names. Timeline nodes carry the shared
    /// scene's empty owner, so the shared scene is looked up first, then
    /// the timeline.
    pub(crate) fn entry_by_owner(&self, owner: &str, name: &str) -> Option<&NodeEntry> {
        let scope = owner_scope(owner)?;
        self.get(scope, name).or_else(|| {
            (scope == Scope::Broadcast)
                .then(|| self.get(Scope::Timeline, name))
                .flatten()
        })
    }

    pub(crate) fn entry_by_owner_mut(&mut self, owner: &str, name: &str) -> Option<&mut NodeEntry> {
        let scope = owner_scope(owner)?;
        let scope = if scope == Scope::Broadcast && !self.contains(scope, name) {
            Scope::Timeline
        } else {
            scope
        };
        self.get_mut(scope, name)
    }

    /// Adds a timeline node, or keeps the entry (and the handles) of one
    /// created at another step: re-creating a node step after step is the
    /// usual way to record, and the old handle must keep working.
    pub(crate) fn insert_timeline(&mut self, name: &str, is_virtual: bool) -> NodeId {
        if let Some(id) = self.id_of(Scope::Timeline, name) {
            if let Some(e) = self.entry(id) {
                e.is_virtual &= is_virtual;
            }
            return id;
        }
        self.insert(Scope::Timeline, name, is_virtual)
    }

    /// `name` and its descendants, parents first.
    pub(crate) fn subtree(&self, scope: Scope, name: &str) -> Vec<String> {
        let prefix = format!("{name}/");
        let Some(nodes) = self.names.get(&scope) else {
            return Vec::new();
        };
        nodes
            .range::<str, _>((std::ops::Bound::Included(name), std::ops::Bound::Unbounded))
            .take_while(|(n, _)| {
                n.as_str() == name || n.starts_with(&prefix) || n.as_str() < prefix.as_str()
            })
            .filter(|(n, _)| n.as_str() == name || n.starts_with(&prefix))
            .map(|(n, _)| n.clone())
            .collect()
    }

    pub(crate) fn roots(&self, scope: Scope) -> Vec<String> {
        self.names(scope)
            .into_iter()
            .filter(|n| n.matches('/').count() == 1)
            .collect()
    }

    pub(crate) fn names(&self, scope: Scope) -> Vec<String> {
        self.names
            .get(&scope)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn release(&mut self, slot: u32) {
        if let Some(place) = self.slots.get_mut(slot as usize)
            && place.take().is_some()
        {
            self.free.push(slot);
        }
    }

    fn remove(&mut self, scope: Scope, name: &str) {
        if let Some(slot) = self.names.get_mut(&scope).and_then(|m| m.remove(name)) {
            self.release(slot);
        }
    }

    pub(crate) fn forget_client(&mut self, id: ClientId) {
        if let Some(nodes) = self.names.remove(&Scope::Client(id)) {
            for slot in nodes.into_values() {
                self.release(slot);
            }
        }
        self.camera_callbacks.remove(&id);
        self.pointer.remove(&Scope::Client(id));
    }
}

/// The scope whose scene messages carry `owner` ("" is the broadcast
/// scope, a client id otherwise); `None` for an owner we never stamp.
pub(crate) fn owner_scope(owner: &str) -> Option<Scope> {
    if owner.is_empty() {
        Some(Scope::Broadcast)
    } else {
        owner.parse().ok().map(Scope::Client)
    }
}

/// Removes `name` and its subtree from the registry and from the clients.
/// The messages go out (or are recorded) first, all or none; the registry
/// changes only once they did.
pub(crate) fn remove_subtree(state: &mut State, scope: Scope, name: &str) -> Result<()> {
    let names = state.scene.subtree(scope, name);
    // Empty bindings first, as viser does: live clients keep a name's
    // bindings, and a later node of the same name must not inherit them.
    let mut messages: Vec<Message> = names
        .iter()
        .filter(|n| {
            state
                .scene
                .get(scope, n)
                .is_some_and(|e| !e.click.is_empty())
        })
        .map(|n| click_bindings_message(scope, n, Vec::new()))
        .collect();
    messages.extend(
        names
            .iter()
            .filter(|n| {
                state
                    .scene
                    .get(scope, n)
                    .is_some_and(|e| !e.drag.is_empty())
            })
            .map(|n| disable_drag_message(scope, n)),
    );
    let containers: Vec<String> = names
        .iter()
        .filter_map(|n| state.scene.get(scope, n)?.gui_container.clone())
        .collect();
    messages.extend(names.iter().map(|n| {
        Message::from(RemoveSceneNodeMessage {
            name: n.clone(),
            owner: scope.owner(),
        })
    }));
    state.send_all(scope, messages, None)?;
    for n in names {
        state.scene.remove(scope, &n);
    }
    for container in containers {
        crate::gui::remove_element(state, &container);
    }
    Ok(())
}

/// Makes `name` clickable with the left button (what `on_click` needs).
pub(crate) fn enable_click(state: &mut State, scope: Scope, name: &str) -> Result<()> {
    let bindings = vec![DragBinding {
        button: DragButton::Left,
        modifier: None,
    }];
    state.send(scope, click_bindings_message(scope, name, bindings), None)
}

/// The message that makes `name` not clickable any more. Live clients keep
/// a node's bindings when a node of the same name is created again, so
/// replacing a clickable node must say so explicitly, as viser does.
pub(crate) fn disable_click_message(scope: Scope, name: &str) -> Message {
    click_bindings_message(scope, name, Vec::new())
}

/// Makes `name` not draggable (bindings a later node of the name must not
/// inherit).
pub(crate) fn disable_drag_message(scope: Scope, name: &str) -> Message {
    Message::from(viser4d_proto::messages::SetSceneNodeDragBindingsMessage {
        name: name.to_owned(),
        bindings: Vec::new(),
        owner: scope.owner(),
    })
}

fn click_bindings_message(scope: Scope, name: &str, bindings: Vec<DragBinding>) -> Message {
    Message::from(SetSceneNodeClickBindingsMessage {
        name: name.to_owned(),
        bindings,
        owner: scope.owner(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_reaches_only_the_node_it_was_made_for() {
        let mut registry = SceneRegistry::default();
        let a = registry.insert(Scope::Broadcast, "/a", false);
        assert!(registry.entry(a).is_some());
        // Replaced under the same name: same slot, new generation.
        let a2 = registry.insert(Scope::Broadcast, "/a", false);
        assert!(registry.entry(a).is_none());
        assert!(registry.entry(a2).is_some());
        // Removed, and the slot taken by another node.
        registry.remove(Scope::Broadcast, "/a");
        assert!(registry.entry(a2).is_none());
        let b = registry.insert(Scope::Broadcast, "/b", false);
        assert_eq!(b.slot, a2.slot, "the freed slot is reused");
        assert!(registry.entry(a2).is_none());
        assert!(registry.get(Scope::Broadcast, "/a").is_none());
        assert!(registry.entry(b).is_some());
    }

    #[test]
    fn a_timeline_node_created_again_keeps_its_handles() {
        let mut registry = SceneRegistry::default();
        let first = registry.insert_timeline("/f", true);
        let again = registry.insert_timeline("/f", false);
        assert_eq!(first, again);
        assert!(registry.entry(first).is_some_and(|e| !e.is_virtual));
        assert_eq!(registry.id_of(Scope::Timeline, "/f"), Some(first));
        assert_eq!(registry.id_of(Scope::Broadcast, "/f"), None);
    }

    #[test]
    fn a_tab_that_leaves_frees_its_nodes_and_only_its_own() {
        let mut registry = SceneRegistry::default();
        let tab = registry.insert(Scope::Client(7), "/mine", false);
        let shared = registry.insert(Scope::Broadcast, "/mine", false);
        registry.forget_client(7);
        assert!(registry.entry(tab).is_none());
        assert!(registry.entry(shared).is_some());
        assert_eq!(registry.names(Scope::Client(7)), Vec::<String>::new());
        let next = registry.insert(Scope::Client(8), "/other", false);
        assert_eq!(next.slot, tab.slot);
        assert!(registry.entry(tab).is_none());
    }

    #[test]
    fn subtrees_come_parents_first_and_stop_at_siblings() {
        let mut registry = SceneRegistry::default();
        for name in ["/a", "/a/b", "/a/b/c", "/a-b", "/ab", "/a/d"] {
            registry.insert(Scope::Timeline, name, false);
        }
        assert_eq!(
            registry.subtree(Scope::Timeline, "/a"),
            ["/a", "/a/b", "/a/b/c", "/a/d"]
        );
        assert_eq!(registry.roots(Scope::Timeline), ["/a", "/a-b", "/ab"]);
    }
}
