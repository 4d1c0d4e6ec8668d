//! The keyed map shared by states, step deltas and overrides: [`Scene`],
//! [`Node`] and [`Entry`].
//!
//! A scene groups keys by node so that resetting a node's own keys touches
//! one entry. Nodes sit in a hash map (a put is one lookup); walks that need
//! an order sort by name, which puts every parent before its children, and a
//! subtree removal scans the nodes. A node's properties and messages are
//! small sorted vectors ([`SymbolMap`]). This module only stores and counts;
//! the rules live in `fold.rs`.

use std::collections::HashMap;

use crate::hasher::FxBuild;
use crate::key::{KeyRef, NodeName, Symbol, is_strict_ancestor};
use crate::payload::Payload;

/// Rough bookkeeping cost of one map entry, for the memory budget.
const ENTRY_OVERHEAD_BYTES: usize = 48;
/// Rough bookkeeping cost of one node, for the memory budget.
const NODE_OVERHEAD_BYTES: usize = 96;

/// A stored message and the revision of the write that stored it.
///
/// Revisions come from one counter per store (or per [`Overrides`](crate::Overrides)),
/// so two entries with the same revision from the same store hold the same write.
#[derive(Clone, PartialEq, Debug)]
pub struct Entry<P> {
    /// The revision of the write.
    pub rev: u64,
    /// The message.
    pub value: P,
}

/// Entries by symbol (property name or message type), sorted by symbol.
///
/// A node has a handful of properties, so a sorted vector beats a tree: one
/// small allocation, no per-entry nodes, binary search.
#[derive(Clone, PartialEq, Debug)]
pub struct SymbolMap<P>(Vec<(Symbol, Entry<P>)>);

impl<P> Default for SymbolMap<P> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<P> SymbolMap<P> {
    fn position(&self, symbol: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(s, _)| s.as_str().cmp(symbol))
    }

    fn position_of(&self, symbol: &Symbol) -> Result<usize, usize> {
        self.0.binary_search_by(|(s, _)| s.cmp(symbol))
    }

    /// The entry under a symbol.
    pub fn get(&self, symbol: &str) -> Option<&Entry<P>> {
        let i = self.position(symbol).ok()?;
        self.0.get(i).map(|(_, e)| e)
    }

    /// Whether the symbol has an entry.
    pub fn contains_key(&self, symbol: &str) -> bool {
        self.position(symbol).is_ok()
    }

    /// Entries in symbol order.
    pub fn iter(&self) -> SymbolIter<'_, P> {
        self.into_iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn as_slice(&self) -> &[(Symbol, Entry<P>)] {
        &self.0
    }

    pub(crate) fn insert(&mut self, symbol: &Symbol, entry: Entry<P>) -> Option<Entry<P>> {
        match self.position_of(symbol) {
            Ok(i) => self.0.get_mut(i).map(|(_, e)| std::mem::replace(e, entry)),
            Err(i) => {
                self.0.insert(i, (symbol.clone(), entry));
                None
            }
        }
    }

    pub(crate) fn remove(&mut self, symbol: &str) -> Option<Entry<P>> {
        let i = self.position(symbol).ok()?;
        Some(self.0.remove(i).1)
    }

    pub(crate) fn clear(&mut self) {
        self.0 = Vec::new();
    }

    /// Builds from pairs in any order (the last of equal symbols wins).
    pub(crate) fn from_unsorted(mut pairs: Vec<(Symbol, Entry<P>)>) -> Self {
        if !pairs.is_sorted_by(|a, b| a.0 < b.0) {
            pairs.reverse();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            pairs.dedup_by(|later, earlier| later.0 == earlier.0);
        }
        Self(pairs)
    }
}

/// Iterator over a [`SymbolMap`], in symbol order.
pub type SymbolIter<'a, P> = std::iter::Map<
    std::slice::Iter<'a, (Symbol, Entry<P>)>,
    fn(&'a (Symbol, Entry<P>)) -> (&'a Symbol, &'a Entry<P>),
>;

impl<'a, P> IntoIterator for &'a SymbolMap<P> {
    type Item = (&'a Symbol, &'a Entry<P>);
    type IntoIter = SymbolIter<'a, P>;

    fn into_iter(self) -> SymbolIter<'a, P> {
        self.0.iter().map(|(s, e)| (s, e))
    }
}

/// All keys of one node: its creation message, its updated properties and
/// its per-node messages.
#[derive(Clone, PartialEq, Debug)]
pub struct Node<P> {
    pub(crate) create: Option<Entry<P>>,
    pub(crate) props: SymbolMap<P>,
    pub(crate) messages: SymbolMap<P>,
}

impl<P> Default for Node<P> {
    fn default() -> Self {
        Self {
            create: None,
            props: SymbolMap::default(),
            messages: SymbolMap::default(),
        }
    }
}

impl<P> Node<P> {
    /// The creation message, if the node has been created.
    pub fn create(&self) -> Option<&Entry<P>> {
        self.create.as_ref()
    }

    /// Updated properties, by property name.
    pub fn props(&self) -> &SymbolMap<P> {
        &self.props
    }

    /// Per-node messages, by message type.
    pub fn messages(&self) -> &SymbolMap<P> {
        &self.messages
    }

    /// Whether the node holds no key at all.
    pub fn is_empty(&self) -> bool {
        self.create.is_none() && self.props.is_empty() && self.messages.is_empty()
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        usize::from(self.create.is_some()) + self.props.len() + self.messages.len()
    }
}

/// Nodes by name. A hash map: puts look nodes up far more often than
/// anything walks them in order, and the few ordered walks (encoding,
/// diffs, removals) sort or scan.
pub(crate) type NodeMap<P> = HashMap<NodeName, Node<P>, FxBuild>;

/// The nodes in name order, which puts every parent before its children.
pub(crate) fn sorted<P>(nodes: &NodeMap<P>) -> Vec<(&NodeName, &Node<P>)> {
    let mut sorted: Vec<_> = nodes.iter().collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
    sorted
}

/// Globals and nodes, each key holding an [`Entry`].
#[derive(Clone, Debug)]
pub struct Scene<P> {
    pub(crate) globals: SymbolMap<P>,
    pub(crate) nodes: NodeMap<P>,
    /// Approximate heap bytes, kept up to date by every mutation here.
    bytes: usize,
}

impl<P> Default for Scene<P> {
    fn default() -> Self {
        Self {
            globals: SymbolMap::default(),
            nodes: NodeMap::default(),
            bytes: 0,
        }
    }
}

impl<P: PartialEq> PartialEq for Scene<P> {
    fn eq(&self, other: &Self) -> bool {
        self.globals == other.globals && self.nodes == other.nodes
    }
}

pub(crate) fn entry_bytes<P: Payload>(symbol_len: usize, entry: &Entry<P>) -> usize {
    ENTRY_OVERHEAD_BYTES + symbol_len + entry.value.size_bytes()
}

fn node_bytes<P: Payload>(name: &str, node: &Node<P>) -> usize {
    NODE_OVERHEAD_BYTES
        + name.len()
        + node.create.as_ref().map_or(0, |e| entry_bytes(0, e))
        + node
            .props
            .iter()
            .chain(node.messages.iter())
            .map(|(s, e)| entry_bytes(s.as_str().len(), e))
            .sum::<usize>()
}

impl<P> Scene<P> {
    /// Global messages by type.
    pub fn globals(&self) -> &SymbolMap<P> {
        &self.globals
    }

    /// Nodes in name order (parents before children).
    pub fn nodes(&self) -> impl Iterator<Item = (&NodeName, &Node<P>)> {
        sorted(&self.nodes).into_iter()
    }

    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// One node's keys.
    pub fn node(&self, name: &str) -> Option<&Node<P>> {
        self.nodes.get(name)
    }

    /// Whether the node has a creation entry.
    pub fn has_create(&self, name: &str) -> bool {
        self.nodes.get(name).is_some_and(|n| n.create.is_some())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.globals.len() + self.nodes.values().map(Node::len).sum::<usize>()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.globals.is_empty() && self.nodes.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn approx_bytes(&self) -> usize {
        self.bytes
    }

    /// Folds each created node's property updates into its creation
    /// message: `merge(create, props)` gives the creation message with the
    /// properties in it, or `None` to leave the node as it is. A viewer
    /// that creates the node from the merged message shows what creating it
    /// and then applying the updates shows, from one copy of each property
    /// (a point cloud's state otherwise carries its first points beside its
    /// current ones). The merged entry takes the newest revision among
    /// those it replaces.
    pub fn fold_props_into_creates(&mut self, merge: impl Fn(&P, &SymbolMap<P>) -> Option<P>)
    where
        P: Payload,
    {
        for (name, node) in &mut self.nodes {
            let Some(create) = node.create.as_ref().filter(|_| !node.props.is_empty()) else {
                continue;
            };
            let Some(value) = merge(&create.value, &node.props) else {
                continue;
            };
            let rev = node
                .props
                .iter()
                .map(|(_, e)| e.rev)
                .fold(create.rev, u64::max);
            let before = node_bytes(name.as_str(), node);
            node.create = Some(Entry { rev, value });
            node.props = SymbolMap::default();
            self.bytes = (self.bytes + node_bytes(name.as_str(), node)).saturating_sub(before);
        }
    }

    /// Every key and entry: globals first, then nodes in name order (each
    /// node's creation, then its properties, then its per-node messages).
    pub fn iter(&self) -> impl Iterator<Item = (KeyRef<'_>, &Entry<P>)> {
        let globals = self.globals.iter().map(|(t, e)| (KeyRef::Global(t), e));
        let nodes = sorted(&self.nodes).into_iter().flat_map(|(n, node)| {
            let create = node.create.iter().map(move |e| (KeyRef::Create(n), e));
            let props = node.props.iter().map(move |(p, e)| (KeyRef::Prop(n, p), e));
            let messages = node
                .messages
                .iter()
                .map(move |(t, e)| (KeyRef::NodeMessage(t, n), e));
            create.chain(props).chain(messages)
        });
        globals.chain(nodes)
    }

    /// Names of `name` and its descendants present in this scene (a scan).
    pub(crate) fn subtree_names(&self, name: &str) -> Vec<NodeName> {
        self.nodes
            .keys()
            .filter(|n| n.as_str() == name || is_strict_ancestor(name, n.as_str()))
            .cloned()
            .collect()
    }

    /// Nodes strictly below `name` (a scan, in no particular order).
    pub(crate) fn descendants<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = (&'s NodeName, &'s Node<P>)> + 's {
        self.nodes
            .iter()
            .filter(move |(n, _)| is_strict_ancestor(name, n.as_str()))
    }
}

/// Mutations. Each keeps `bytes` in step; none applies a fold rule by itself.
impl<P: Payload> Scene<P> {
    pub(crate) fn set_global(&mut self, ty: &Symbol, entry: Entry<P>) {
        self.bytes += entry_bytes(ty.as_str().len(), &entry);
        if let Some(old) = self.globals.insert(ty, entry) {
            self.bytes = self
                .bytes
                .saturating_sub(entry_bytes(ty.as_str().len(), &old));
        }
    }

    pub(crate) fn remove_global(&mut self, ty: &str) -> Option<Entry<P>> {
        let old = self.globals.remove(ty)?;
        self.bytes = self.bytes.saturating_sub(entry_bytes(ty.len(), &old));
        Some(old)
    }

    /// Runs `f` on the node, created empty if missing. (A closure, because
    /// returning the reference from a `get_mut` branch does not borrow-check,
    /// and `entry` would clone the name on every call.)
    fn with_node<R>(&mut self, name: &NodeName, f: impl FnOnce(&mut Node<P>) -> R) -> R {
        if let Some(node) = self.nodes.get_mut(name) {
            return f(node);
        }
        self.bytes += NODE_OVERHEAD_BYTES + name.as_str().len();
        f(self.nodes.entry(name.clone()).or_default())
    }

    pub(crate) fn set_create(&mut self, name: &NodeName, entry: Entry<P>) {
        let added = entry_bytes(0, &entry);
        let removed = self.with_node(name, |node| {
            node.create.replace(entry).map_or(0, |e| entry_bytes(0, &e))
        });
        self.bytes = (self.bytes + added).saturating_sub(removed);
    }

    pub(crate) fn set_prop(&mut self, name: &NodeName, prop: &Symbol, entry: Entry<P>) {
        let len = prop.as_str().len();
        let added = entry_bytes(len, &entry);
        let removed = self.with_node(name, |node| {
            node.props
                .insert(prop, entry)
                .map_or(0, |e| entry_bytes(len, &e))
        });
        self.bytes = (self.bytes + added).saturating_sub(removed);
    }

    pub(crate) fn set_message(&mut self, name: &NodeName, ty: &Symbol, entry: Entry<P>) {
        let len = ty.as_str().len();
        let added = entry_bytes(len, &entry);
        let removed = self.with_node(name, |node| {
            node.messages
                .insert(ty, entry)
                .map_or(0, |e| entry_bytes(len, &e))
        });
        self.bytes = (self.bytes + added).saturating_sub(removed);
    }

    /// Stores a key's entry as is (no fold rule).
    pub(crate) fn set(&mut self, key: KeyRef<'_>, entry: Entry<P>) {
        match key {
            KeyRef::Global(t) => self.set_global(t, entry),
            KeyRef::Create(n) => self.set_create(n, entry),
            KeyRef::Prop(n, p) => self.set_prop(n, p, entry),
            KeyRef::NodeMessage(t, n) => self.set_message(n, t, entry),
        }
    }

    /// Removes one key (no fold rule); drops the node when it holds nothing.
    pub(crate) fn unset(&mut self, key: KeyRef<'_>) -> Option<Entry<P>> {
        let (name, removed) = match key {
            KeyRef::Global(t) => return self.remove_global(t.as_str()),
            KeyRef::Create(n) => (n, self.nodes.get_mut(n.as_str())?.create.take()),
            KeyRef::Prop(n, p) => (n, self.nodes.get_mut(n.as_str())?.props.remove(p.as_str())),
            KeyRef::NodeMessage(t, n) => (
                n,
                self.nodes.get_mut(n.as_str())?.messages.remove(t.as_str()),
            ),
        };
        let removed = removed?;
        let symbol_len = match key {
            KeyRef::Prop(_, s) | KeyRef::NodeMessage(s, _) => s.as_str().len(),
            KeyRef::Create(_) | KeyRef::Global(_) => 0,
        };
        self.bytes = self.bytes.saturating_sub(entry_bytes(symbol_len, &removed));
        self.drop_if_empty(name.as_str());
        Some(removed)
    }

    /// Removes the node's properties and per-node messages, keeping its creation.
    pub(crate) fn clear_own_keys(&mut self, name: &str) {
        let Some(node) = self.nodes.get_mut(name) else {
            return;
        };
        let freed: usize = node
            .props
            .iter()
            .chain(node.messages.iter())
            .map(|(s, e)| entry_bytes(s.as_str().len(), e))
            .sum();
        node.props.clear();
        node.messages.clear();
        self.bytes = self.bytes.saturating_sub(freed);
        self.drop_if_empty(name);
    }

    /// Removes whole nodes by name.
    pub(crate) fn remove_nodes(&mut self, names: &[NodeName]) {
        for name in names {
            if let Some(node) = self.nodes.remove(name.as_str()) {
                self.bytes = self.bytes.saturating_sub(node_bytes(name.as_str(), &node));
            }
        }
    }

    fn drop_if_empty(&mut self, name: &str) {
        if self.nodes.get(name).is_some_and(Node::is_empty) {
            self.bytes = self.bytes.saturating_sub(NODE_OVERHEAD_BYTES + name.len());
            self.nodes.remove(name);
        }
    }

    /// Recomputes the byte count from scratch (after bulk construction).
    pub(crate) fn recount_bytes(&mut self) {
        self.bytes = self
            .globals
            .iter()
            .map(|(t, e)| entry_bytes(t.as_str().len(), e))
            .sum::<usize>()
            + self
                .nodes
                .iter()
                .map(|(n, node)| node_bytes(n.as_str(), node))
                .sum::<usize>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> NodeName {
        NodeName::new(s).expect("valid name")
    }

    #[test]
    fn byte_count_follows_mutations() {
        let mut scene = Scene::<String>::default();
        let (a, b) = (name("/a"), name("/a/b"));
        let p = Symbol::new("position").expect("valid");
        scene.set_create(
            &a,
            Entry {
                rev: 1,
                value: "x".repeat(100),
            },
        );
        scene.set_prop(
            &a,
            &p,
            Entry {
                rev: 2,
                value: "y".repeat(10),
            },
        );
        scene.set_create(
            &b,
            Entry {
                rev: 3,
                value: String::new(),
            },
        );
        let mut fresh = scene.clone();
        fresh.recount_bytes();
        assert_eq!(scene.approx_bytes(), fresh.approx_bytes());
        scene.clear_own_keys("/a");
        scene.remove_nodes(&scene.subtree_names("/a"));
        assert!(scene.is_empty());
        assert_eq!(scene.approx_bytes(), 0);
    }

    #[test]
    fn props_fold_into_creates_the_merge_accepts() {
        let mut scene = Scene::<String>::default();
        let (a, b, c) = (name("/a"), name("/b"), name("/c"));
        let points = Symbol::new("points").expect("valid");
        let entry = |rev: u64, value: &str| Entry {
            rev,
            value: value.to_owned(),
        };
        scene.set_create(&a, entry(1, "cloud(p0)"));
        scene.set_prop(&a, &points, entry(5, "p9"));
        scene.set_create(&b, entry(2, "frame"));
        scene.set_prop(&b, &points, entry(3, "refused"));
        scene.set_create(&c, entry(4, "bare"));
        scene.fold_props_into_creates(|create, props| {
            let p = props.get("points")?;
            (p.value != "refused").then(|| create.replace("p0", &p.value))
        });
        let a = scene.node("/a").expect("/a");
        assert_eq!(a.create(), Some(&entry(5, "cloud(p9)")), "newest revision");
        assert!(a.props().is_empty());
        let b = scene.node("/b").expect("/b");
        assert_eq!(b.create(), Some(&entry(2, "frame")), "left as it was");
        assert_eq!(b.props().len(), 1);
        assert_eq!(
            scene.node("/c").and_then(Node::create),
            Some(&entry(4, "bare"))
        );
        let mut fresh = scene.clone();
        fresh.recount_bytes();
        assert_eq!(scene.approx_bytes(), fresh.approx_bytes());
    }

    #[test]
    fn subtree_skips_lookalike_siblings() {
        let mut scene = Scene::<u32>::default();
        for n in ["/a", "/a-b", "/a/b", "/a/b/c", "/ab", "/b"] {
            scene.set_create(&name(n), Entry { rev: 0, value: 0 });
        }
        let names: Vec<_> = scene
            .subtree_names("/a")
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, ["/a", "/a/b", "/a/b/c"]);
        assert_eq!(scene.subtree_names("/").len(), 6);
    }
}
