//! The ordered messages that move a viewer from one shown state to another:
//! [`Emit`], [`diff`] and the forward application of a step.
//!
//! What a viewer shows is a timeline state with the overrides applied, and
//! only its *created* nodes: properties of a node that was never created are
//! kept in the state (a later creation resets them anyway) but never sent.
//! See [`Emit`] for what a receiver does with each message.

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::delta::StepDelta;
use crate::key::{KeyRef, NodeName, Symbol, ancestors};
use crate::overrides::Overrides;
use crate::payload::Payload;
use crate::scene::{Entry, Node, SymbolMap, sorted};
use crate::state::State;

/// One message for the viewer.
///
/// What a viewer shows is a timeline state with the overrides applied, and
/// only its *created* nodes: properties of a node that was never created
/// stay in the state (a later creation resets them anyway) but are never
/// sent. What the receiver must do:
///
/// - `Remove(name)`: remove the node and everything below it (whether or
///   not the node itself exists).
/// - `ClearGlobal(type)`: the global message of that type no longer holds;
///   restore the viewer's default for it.
/// - `Put(Create(name), msg)`: create the node, or re-create it: its own
///   properties and per-node messages reset, its children stay.
/// - `Put(_, msg)`: apply the message (to an existing node, for node keys).
///
/// A diff comes in phases: removals (topmost only), globals, creations
/// (parents before children), then properties and per-node messages. A
/// property cannot be "unset" in viser, so when a node loses a property
/// between two states the diff re-creates the node and sends the
/// properties it keeps. Moving forward through a block sends each crossed
/// step's messages in these phases, step after step.
#[derive(Clone, Debug, PartialEq)]
pub enum Emit<'a, P> {
    /// Remove the node and its whole subtree.
    Remove(NodeName),
    /// The global message of this type was shown and is not anymore.
    ClearGlobal(Symbol),
    /// Send the message stored under the key.
    Put(KeyRef<'a>, &'a P),
}

/// A symbol map seen through an overlay: entries of `top` win over `base`.
struct Overlay<'a, P> {
    base: &'a [(Symbol, Entry<P>)],
    top: &'a [(Symbol, Entry<P>)],
}

impl<'a, P> Overlay<'a, P> {
    fn new(base: &'a SymbolMap<P>, top: Option<&'a SymbolMap<P>>) -> Self {
        Self {
            base: base.as_slice(),
            top: top.map_or(&[], SymbolMap::as_slice),
        }
    }
}

impl<'a, P> Iterator for Overlay<'a, P> {
    type Item = (&'a Symbol, &'a Entry<P>);

    fn next(&mut self) -> Option<Self::Item> {
        let order = match (self.base.first(), self.top.first()) {
            (Some(b), Some(t)) => b.0.cmp(&t.0),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => return None,
        };
        let take_base = |o: &mut Self| {
            let (first, rest) = o.base.split_first()?;
            o.base = rest;
            Some((&first.0, &first.1))
        };
        let take_top = |o: &mut Self| {
            let (first, rest) = o.top.split_first()?;
            o.top = rest;
            Some((&first.0, &first.1))
        };
        match order {
            Ordering::Less => take_base(self),
            Ordering::Greater => take_top(self),
            Ordering::Equal => {
                take_base(self);
                take_top(self)
            }
        }
    }
}

/// A created, not tombstoned node as shown: its keys with overrides on top.
struct NodeView<'a, P> {
    name: &'a NodeName,
    create: &'a Entry<P>,
    base: &'a Node<P>,
    top: Option<&'a Node<P>>,
}

impl<'a, P> NodeView<'a, P> {
    fn of(
        state: &'a State<P>,
        overrides: &'a Overrides<P>,
        name: &NodeName,
    ) -> Option<NodeView<'a, P>> {
        let (name, base) = state.scene.nodes.get_key_value(name)?;
        Self::visible(overrides, name, base)
    }

    fn visible(
        overrides: &'a Overrides<P>,
        name: &'a NodeName,
        base: &'a Node<P>,
    ) -> Option<NodeView<'a, P>> {
        let base_create = base.create.as_ref()?;
        if overrides.is_tombstoned(name.as_str()) {
            return None;
        }
        let top = overrides.node(name.as_str());
        let create = top.and_then(|t| t.create.as_ref()).unwrap_or(base_create);
        Some(NodeView {
            name,
            create,
            base,
            top,
        })
    }

    fn prop(&self, prop: &str) -> Option<&'a Entry<P>> {
        let top = self.top.and_then(|t| t.props.get(prop));
        top.or_else(|| self.base.props.get(prop))
    }

    fn message(&self, ty: &str) -> Option<&'a Entry<P>> {
        let top = self.top.and_then(|t| t.messages.get(ty));
        top.or_else(|| self.base.messages.get(ty))
    }

    fn props(&self) -> Overlay<'a, P> {
        Overlay::new(&self.base.props, self.top.map(|t| &t.props))
    }

    fn messages(&self) -> Overlay<'a, P> {
        Overlay::new(&self.base.messages, self.top.map(|t| &t.messages))
    }
}

fn differs<P: PartialEq>(old: Option<&Entry<P>>, new: &Entry<P>) -> bool {
    // Values, not revisions: states of two server runs may reuse revisions.
    old.is_none_or(|o| o.value != new.value)
}

/// Messages that take a viewer showing `from` (with `from_overrides`) to
/// showing `to` (with `to_overrides`). Values are borrowed from `to` and
/// `to_overrides`.
pub fn diff<'a, P: Payload>(
    from: &State<P>,
    from_overrides: &Overrides<P>,
    to: &'a State<P>,
    to_overrides: &'a Overrides<P>,
) -> Vec<Emit<'a, P>> {
    let mut out = Vec::new();

    // Removals, topmost only: a removal takes the subtree.
    let mut removed: HashSet<&str> = HashSet::new();
    for (name, node) in sorted(&from.scene.nodes) {
        if NodeView::visible(from_overrides, name, node).is_none()
            || NodeView::of(to, to_overrides, name).is_some()
            || ancestors(name.as_str()).any(|a| removed.contains(a))
        {
            continue;
        }
        removed.insert(name.as_str());
        out.push(Emit::Remove(name.clone()));
    }

    // Globals.
    let old_globals = Overlay::new(&from.scene.globals, Some(&from_overrides.scene.globals));
    for (ty, _) in old_globals {
        let now = to_overrides.global(ty.as_str());
        if now.or_else(|| to.scene.globals.get(ty.as_str())).is_none() {
            out.push(Emit::ClearGlobal(ty.clone()));
        }
    }
    let new_globals = Overlay::new(&to.scene.globals, Some(&to_overrides.scene.globals));
    for (ty, entry) in new_globals {
        let old = from_overrides.global(ty.as_str());
        if differs(old.or_else(|| from.scene.globals.get(ty.as_str())), entry) {
            out.push(Emit::Put(KeyRef::Global(ty), &entry.value));
        }
    }

    // Creations, parents first (name order puts a parent before its children).
    let mut updates = Vec::new();
    for (name, node) in sorted(&to.scene.nodes) {
        let Some(new) = NodeView::visible(to_overrides, name, node) else {
            continue;
        };
        let under_removed =
            !removed.is_empty() && ancestors(name.as_str()).any(|a| removed.contains(a));
        let old = if under_removed {
            None
        } else {
            NodeView::of(from, from_overrides, name)
        };
        // A node keeps its viewer-side copy only if its creation is the same
        // and it lost no key (a lost key can only be undone by re-creating).
        let keep = old.as_ref().is_some_and(|o| {
            !differs(Some(o.create), new.create)
                && o.props().all(|(p, _)| new.prop(p.as_str()).is_some())
                && o.messages().all(|(t, _)| new.message(t.as_str()).is_some())
        });
        if !keep {
            out.push(Emit::Put(KeyRef::Create(name), &new.create.value));
        }
        updates.push((new, if keep { old } else { None }));
    }

    // Properties and per-node messages.
    for (new, old) in updates {
        for (prop, entry) in new.props() {
            if differs(old.as_ref().and_then(|o| o.prop(prop.as_str())), entry) {
                out.push(Emit::Put(KeyRef::Prop(new.name, prop), &entry.value));
            }
        }
        for (ty, entry) in new.messages() {
            if differs(old.as_ref().and_then(|o| o.message(ty.as_str())), entry) {
                out.push(Emit::Put(KeyRef::NodeMessage(ty, new.name), &entry.value));
            }
        }
    }
    out
}

/// Messages that take a viewer showing `from` (with `from_overrides`) to
/// showing nothing.
pub(crate) fn remove_all<P: Payload>(
    from: &State<P>,
    from_overrides: &Overrides<P>,
) -> Vec<Emit<'static, P>> {
    let empty_state = State::new();
    let empty_overrides = Overrides::new();
    diff(from, from_overrides, &empty_state, &empty_overrides)
        .into_iter()
        .filter_map(|emit| match emit {
            Emit::Remove(name) => Some(Emit::Remove(name)),
            Emit::ClearGlobal(ty) => Some(Emit::ClearGlobal(ty)),
            Emit::Put(..) => None,
        })
        .collect()
}

/// Folds one step into `state` and appends the messages that take a viewer
/// showing `state` (with `overrides`) along: the step's own messages, minus
/// what overrides mask, plus the overrides a creation has to restore.
pub(crate) fn forward<'a, P: Payload>(
    state: &mut State<P>,
    overrides: &'a Overrides<P>,
    delta: &'a StepDelta<P>,
    out: &mut Vec<Emit<'a, P>>,
) {
    for name in &delta.removed {
        let shown = |n: &NodeName, node: &Node<P>| {
            node.create.is_some() && !overrides.is_tombstoned(n.as_str())
        };
        let any_shown = state
            .scene
            .nodes
            .get_key_value(name.as_str())
            .is_some_and(|(n, node)| shown(n, node))
            || state
                .scene
                .descendants(name.as_str())
                .any(|(n, node)| shown(n, node));
        if any_shown {
            out.push(Emit::Remove(name.clone()));
        }
        state.scene.remove_subtree(name.as_str());
    }

    for (ty, entry) in &delta.puts.globals {
        state.scene.set_global(ty, entry.clone());
        if overrides.global(ty.as_str()).is_none() {
            out.push(Emit::Put(KeyRef::Global(ty), &entry.value));
        }
    }

    let nodes = sorted(&delta.puts.nodes);
    for &(name, node) in &nodes {
        let Some(create) = &node.create else {
            continue;
        };
        state.scene.put(KeyRef::Create(name), create.clone());
        if overrides.is_tombstoned(name.as_str()) {
            continue;
        }
        let top = overrides
            .node(name.as_str())
            .and_then(|t| t.create.as_ref());
        out.push(Emit::Put(
            KeyRef::Create(name),
            &top.unwrap_or(create).value,
        ));
    }

    for &(name, node) in &nodes {
        for (prop, entry) in &node.props {
            state.scene.set_prop(name, prop, entry.clone());
        }
        for (ty, entry) in &node.messages {
            state.scene.set_message(name, ty, entry.clone());
        }
        let created = state
            .scene
            .nodes
            .get(name)
            .is_some_and(|n| n.create.is_some());
        if !created || overrides.is_tombstoned(name.as_str()) {
            continue;
        }
        let top = overrides.node(name.as_str());
        if node.create.is_some() {
            // The viewer reset the node: send all of its keys as shown.
            for (prop, entry) in Overlay::new(&node.props, top.map(|t| &t.props)) {
                out.push(Emit::Put(KeyRef::Prop(name, prop), &entry.value));
            }
            for (ty, entry) in Overlay::new(&node.messages, top.map(|t| &t.messages)) {
                out.push(Emit::Put(KeyRef::NodeMessage(ty, name), &entry.value));
            }
            continue;
        }
        for (prop, entry) in &node.props {
            if !top.is_some_and(|t| t.props.contains_key(prop.as_str())) {
                out.push(Emit::Put(KeyRef::Prop(name, prop), &entry.value));
            }
        }
        for (ty, entry) in &node.messages {
            if !top.is_some_and(|t| t.messages.contains_key(ty.as_str())) {
                out.push(Emit::Put(KeyRef::NodeMessage(ty, name), &entry.value));
            }
        }
    }

    if !(delta.removed.is_empty() && delta.puts.is_empty()) {
        state.revision += 1;
    }
}
