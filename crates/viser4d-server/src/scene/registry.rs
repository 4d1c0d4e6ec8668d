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

#[derive(Default)]
pub(crate) struct SceneRegistry {
    /// By scope, then name: a lookup by `&str` allocates nothing (every
    /// setter looks its node up).
    nodes: BTreeMap<Scope, BTreeMap<String, NodeEntry>>,
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
                &self.nodes.values().map(BTreeMap::len).sum::<usize>(),
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
        self.nodes.get(&scope).is_some_and(|m| m.contains_key(name))
    }

    /// Adds (or replaces) a node; returns its generation.
    pub(crate) fn insert(&mut self, scope: Scope, name: &str, is_virtual: bool) -> u64 {
        self.next_generation += 1;
        let generation = self.next_generation;
        self.nodes.entry(scope).or_default().insert(
            name.to_owned(),
            NodeEntry {
                generation,
                is_virtual,
                wxyz: [1.0, 0.0, 0.0, 0.0],
                visible: true,
                ..NodeEntry::default()
            },
        );
        generation
    }

    /// The live entry for a handle of `generation`, if the node still exists.
    pub(crate) fn entry(
        &mut self,
        scope: Scope,
        name: &str,
        generation: u64,
    ) -> Option<&mut NodeEntry> {
        self.nodes
            .get_mut(&scope)?
            .get_mut(name)
            .filter(|e| e.generation == generation)
    }

    /// The current entry of `name`, whatever its generation.
    pub(crate) fn get(&self, scope: Scope, name: &str) -> Option<&NodeEntry> {
        self.nodes.get(&scope)?.get(name)
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
        self.nodes.get_mut(&scope)?.get_mut(name)
    }

    /// Adds a timeline node, or keeps the entry (and the handles) of one
    /// created at another step: re-creating a node step after step is the
    /// usual way to record, and the old handle must keep working.
    pub(crate) fn insert_timeline(&mut self, name: &str, is_virtual: bool) -> u64 {
        if let Some(e) = self
            .nodes
            .get_mut(&Scope::Timeline)
            .and_then(|m| m.get_mut(name))
        {
            e.is_virtual &= is_virtual;
            return e.generation;
        }
        self.insert(Scope::Timeline, name, is_virtual)
    }

    /// `name` and its descendants, parents first.
    pub(crate) fn subtree(&self, scope: Scope, name: &str) -> Vec<String> {
        let prefix = format!("{name}/");
        let Some(nodes) = self.nodes.get(&scope) else {
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
        self.nodes
            .get(&scope)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn remove(&mut self, scope: Scope, name: &str) {
        if let Some(nodes) = self.nodes.get_mut(&scope) {
            nodes.remove(name);
        }
    }

    pub(crate) fn forget_client(&mut self, id: ClientId) {
        self.nodes.remove(&Scope::Client(id));
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
