//! Writes made outside any step to timeline nodes: [`Overrides`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::DecodeError;
use crate::key::{Key, NodeName, ancestors, is_strict_ancestor};
use crate::payload::Payload;
use crate::scene::{Entry, Node, Scene};
use crate::state::State;

/// A keyed overlay applied on top of the state of every step.
///
/// When a program changes a timeline node outside any step (hides it, sets
/// its color, removes it), the change must hold at every step and survive
/// later edits of the timeline. Such writes are kept here, apart from the
/// recorded steps:
///
/// - an override **put** replaces the key's value at every step where its
///   node exists (has a creation entry); a global override applies at every
///   step. An override of a node's creation replaces the creation message
///   without resetting the step's properties.
/// - a **tombstone** hides a node and its subtree at every step.
///
/// Tombstoning a node also drops the override puts of its subtree, like a
/// removal does. Entries are stamped with the overlay's own revision counter.
#[derive(Clone, Debug)]
pub struct Overrides<P> {
    pub(crate) tombstones: BTreeSet<NodeName>,
    pub(crate) scene: Scene<P>,
    revision: u64,
}

impl<P> Default for Overrides<P> {
    fn default() -> Self {
        Self {
            tombstones: BTreeSet::new(),
            scene: Scene::default(),
            revision: 0,
        }
    }
}

impl<P: PartialEq> PartialEq for Overrides<P> {
    fn eq(&self, other: &Self) -> bool {
        self.tombstones == other.tombstones && self.scene == other.scene
    }
}

impl<P> Overrides<P> {
    /// No override.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether there is no put and no tombstone.
    pub fn is_empty(&self) -> bool {
        self.tombstones.is_empty() && self.scene.is_empty()
    }

    /// Increases with every change.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The override puts.
    pub fn puts(&self) -> &Scene<P> {
        &self.scene
    }

    /// Topmost tombstoned nodes.
    pub fn tombstones(&self) -> &BTreeSet<NodeName> {
        &self.tombstones
    }

    /// Whether the node or one of its ancestors is tombstoned.
    pub fn is_tombstoned(&self, name: &str) -> bool {
        if self.tombstones.is_empty() {
            return false;
        }
        self.tombstones.contains(name) || ancestors(name).any(|a| self.tombstones.contains(a))
    }

    /// The override puts of one node.
    pub fn node(&self, name: &str) -> Option<&Node<P>> {
        self.scene.nodes.get(name)
    }

    /// A global override.
    pub fn global(&self, ty: &str) -> Option<&Entry<P>> {
        self.scene.globals.get(ty)
    }
}

impl<P: Payload> Overrides<P> {
    /// Overrides one key at every step where its node exists.
    pub fn put(&mut self, key: &Key, value: P) {
        self.revision += 1;
        let entry = Entry {
            rev: self.revision,
            value,
        };
        self.scene.set(key.as_key_ref(), entry);
    }

    /// Hides the node and its subtree at every step.
    pub fn remove_node(&mut self, name: &NodeName) {
        self.revision += 1;
        self.scene.remove_subtree(name.as_str());
        if self.is_tombstoned(name.as_str()) {
            return;
        }
        self.tombstones
            .retain(|t| !is_strict_ancestor(name.as_str(), t.as_str()));
        self.tombstones.insert(name.clone());
    }

    /// Drops one override put; the timeline's own value shows again.
    pub fn clear_key(&mut self, key: &Key) {
        if self.scene.unset(key.as_key_ref()).is_some() {
            self.revision += 1;
        }
    }

    /// Drops every override put and tombstone at or below the node.
    pub fn clear_node(&mut self, name: &NodeName) {
        self.revision += 1;
        self.scene.remove_subtree(name.as_str());
        self.tombstones
            .retain(|t| t != name && !is_strict_ancestor(name.as_str(), t.as_str()));
    }

    /// Drops every override.
    pub fn clear(&mut self) {
        self.revision += 1;
        self.tombstones.clear();
        self.scene = Scene::default();
    }

    /// The state as shown: `state` with the overrides applied.
    pub fn apply_to(&self, state: &State<P>) -> State<P> {
        let mut shown = state.clone();
        if self.is_empty() {
            return shown;
        }
        for name in &self.tombstones {
            shown.scene.remove_subtree(name.as_str());
        }
        for (ty, entry) in &self.scene.globals {
            shown.scene.set_global(ty, entry.clone());
        }
        for (name, node) in &self.scene.nodes {
            if !shown.scene.has_create(name.as_str()) {
                continue;
            }
            if let Some(create) = &node.create {
                shown.scene.set_create(name, create.clone());
            }
            for (prop, entry) in &node.props {
                shown.scene.set_prop(name, prop, entry.clone());
            }
            for (ty, entry) in &node.messages {
                shown.scene.set_message(name, ty, entry.clone());
            }
        }
        shown.revision += 1;
        shown
    }

    /// Encodes the overlay (msgpack), for sending it to a browser runtime.
    pub fn encode(&self) -> Result<Vec<u8>, crate::EncodeError> {
        let wire = WireOverrides {
            revision: self.revision,
            tombstones: self.tombstones.iter().map(NodeName::as_str).collect(),
            puts: self
                .scene
                .iter()
                .map(|(k, e)| (k.to_string(), e.rev, &e.value))
                .collect(),
        };
        let mut out = Vec::new();
        wire.serialize(&mut rmp_serde::Serializer::new(&mut out).with_struct_map())
            .map_err(crate::EncodeError::from)?;
        Ok(out)
    }

    /// Decodes what [`Overrides::encode`] produced.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let wire: WireOverridesOwned<P> = rmp_serde::from_slice(bytes)?;
        let mut out = Self {
            revision: wire.revision,
            ..Self::default()
        };
        for name in wire.tombstones {
            out.tombstones.insert(NodeName::new(&name)?);
        }
        for (key, rev, value) in wire.puts {
            let key: Key = key.parse()?;
            out.scene.set(key.as_key_ref(), Entry { rev, value });
        }
        Ok(out)
    }
}

/// The overlay on the wire: tombstones and `(canonical key, rev, value)` puts.
#[derive(Serialize)]
struct WireOverrides<'a, P> {
    revision: u64,
    tombstones: Vec<&'a str>,
    puts: Vec<(String, u64, &'a P)>,
}

#[derive(Deserialize)]
struct WireOverridesOwned<P> {
    revision: u64,
    tombstones: Vec<String>,
    puts: Vec<(String, u64, P)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        s.parse().expect("valid key")
    }

    fn name(s: &str) -> NodeName {
        NodeName::new(s).expect("valid name")
    }

    fn state(ops: &[(&str, u32)]) -> State<u32> {
        let mut s = State::new();
        for (k, v) in ops {
            s.apply(crate::Op::Put(key(k), *v), 0);
        }
        s
    }

    fn dump(state: &State<u32>) -> Vec<(String, u32)> {
        state
            .iter()
            .map(|(k, e)| (k.to_string(), e.value))
            .collect()
    }

    #[test]
    fn puts_apply_only_where_the_node_exists() {
        let mut o = Overrides::new();
        o.put(&key("update:/a:color"), 9);
        o.put(&key("update:/b:color"), 9);
        o.put(&key("Fog"), 8);
        let shown = o.apply_to(&state(&[("create:/a", 1), ("update:/a:color", 2)]));
        assert_eq!(
            dump(&shown),
            [
                ("Fog".into(), 8),
                ("create:/a".into(), 1),
                ("update:/a:color".into(), 9)
            ]
        );
    }

    #[test]
    fn tombstones_hide_subtrees_and_drop_puts_below() {
        let mut o = Overrides::new();
        o.put(&key("update:/a/b:color"), 9);
        o.remove_node(&name("/a"));
        assert!(o.puts().is_empty());
        assert!(o.is_tombstoned("/a/b"));
        let shown = o.apply_to(&state(&[
            ("create:/a", 1),
            ("create:/a/b", 2),
            ("create:/c", 3),
        ]));
        assert_eq!(dump(&shown), [("create:/c".into(), 3)]);
        o.clear_node(&name("/a"));
        assert!(o.is_empty());
    }

    #[test]
    fn overrides_round_trip_through_bytes() {
        let mut o = Overrides::<u32>::new();
        o.put(&key("update:/a:color"), 9);
        o.put(&key("Vis:/a"), 1);
        o.remove_node(&name("/z"));
        let back = Overrides::<u32>::decode(&o.encode().expect("encodes")).expect("decodes");
        assert_eq!(back, o);
        assert_eq!(back.revision(), o.revision());
    }
}
