//! Which scene nodes exist, per scope, with the state their handles read
//! back and their click callbacks.

use std::collections::{BTreeMap, HashMap};

use viser4d_proto::Message;
use viser4d_proto::messages::{
    DragBinding, DragButton, RemoveSceneNodeMessage, SetSceneNodeClickBindingsMessage,
};

use crate::client::CameraCallback;
use crate::scene::handle::ClickCallback;
use crate::shared::{ClientId, Scope, State};

#[derive(Default)]
pub(crate) struct NodeEntry {
    pub(crate) generation: u64,
    pub(crate) is_virtual: bool,
    pub(crate) position: [f64; 3],
    pub(crate) wxyz: [f64; 4],
    pub(crate) visible: bool,
    pub(crate) click: Vec<ClickCallback>,
}

#[derive(Default)]
pub(crate) struct SceneRegistry {
    nodes: BTreeMap<(Scope, String), NodeEntry>,
    next_generation: u64,
    pub(crate) camera_callbacks: HashMap<ClientId, Vec<CameraCallback>>,
}

impl std::fmt::Debug for SceneRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SceneRegistry")
            .field("nodes", &self.nodes.len())
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
        };
        key(self).cmp(&key(other))
    }
}

impl SceneRegistry {
    pub(crate) fn contains(&self, scope: Scope, name: &str) -> bool {
        self.nodes.contains_key(&(scope, name.to_owned()))
    }

    /// Adds (or replaces) a node; returns its generation.
    pub(crate) fn insert(&mut self, scope: Scope, name: &str, is_virtual: bool) -> u64 {
        self.next_generation += 1;
        let generation = self.next_generation;
        self.nodes.insert(
            (scope, name.to_owned()),
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
            .get_mut(&(scope, name.to_owned()))
            .filter(|e| e.generation == generation)
    }

    pub(crate) fn entry_by_owner(&self, owner: &str, name: &str) -> Option<&NodeEntry> {
        let scope = if owner.is_empty() {
            Scope::Broadcast
        } else {
            Scope::Client(owner.parse().ok()?)
        };
        self.nodes.get(&(scope, name.to_owned()))
    }

    /// `name` and its descendants, parents first.
    pub(crate) fn subtree(&self, scope: Scope, name: &str) -> Vec<String> {
        let prefix = format!("{name}/");
        self.nodes
            .range((scope, name.to_owned())..)
            .take_while(|((s, n), _)| {
                *s == scope && (n == name || n.starts_with(&prefix) || n.as_str() < prefix.as_str())
            })
            .filter(|((_, n), _)| n == name || n.starts_with(&prefix))
            .map(|((_, n), _)| n.clone())
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
            .keys()
            .filter(|(s, _)| *s == scope)
            .map(|(_, n)| n.clone())
            .collect()
    }

    fn remove(&mut self, scope: Scope, name: &str) {
        self.nodes.remove(&(scope, name.to_owned()));
    }

    pub(crate) fn forget_client(&mut self, id: ClientId) {
        self.nodes.retain(|(s, _), _| *s != Scope::Client(id));
        self.camera_callbacks.remove(&id);
    }
}

/// Removes `name` and its subtree from the registry and from the clients.
pub(crate) fn remove_subtree(state: &mut State, scope: Scope, name: &str) {
    let names = state.scene.subtree(scope, name);
    for n in names {
        state.scene.remove(scope, &n);
        state.send(
            scope,
            Message::from(RemoveSceneNodeMessage {
                name: n,
                owner: scope.owner(),
            }),
            None,
        );
    }
}

/// Makes `name` clickable with the left button (what `on_click` needs).
pub(crate) fn enable_click(state: &mut State, scope: Scope, name: &str) {
    let bindings = vec![DragBinding {
        button: DragButton::Left,
        modifier: None,
    }];
    state.send(
        scope,
        Message::from(SetSceneNodeClickBindingsMessage {
            name: name.to_owned(),
            bindings,
            owner: scope.owner(),
        }),
        None,
    );
}
