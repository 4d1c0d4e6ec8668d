//! The fold rules: how ops change a state, and how a step's ops collapse
//! into its [`StepDelta`].
//!
//! 1. Removing a node removes every key of the node and of its descendants.
//! 2. Creating a node (again or for the first time) resets its own
//!    properties and per-node messages and keeps its children.
//! 3. Otherwise the last write wins per key.
//! 4. Ops of one step apply in the order they were recorded: a node created
//!    under a parent removed earlier in the same step survives the removal.
//!    (Upstream 0.20 applies a step's removals after its puts and loses it.)

use crate::delta::StepDelta;
use crate::key::{KeyRef, NodeName, Op, ancestors};
use crate::payload::Payload;
use crate::scene::{Entry, Scene};
use crate::state::State;

impl<P: Payload> Scene<P> {
    /// Rules 2 and 3: stores the entry; a creation first clears the node's
    /// own properties and per-node messages.
    pub(crate) fn put(&mut self, key: KeyRef<'_>, entry: Entry<P>) {
        if let KeyRef::Create(name) = key {
            self.clear_own_keys(name.as_str());
        }
        self.set(key, entry);
    }

    /// Rule 1: removes the node and its descendants.
    pub(crate) fn remove_subtree(&mut self, name: &str) {
        let names = self.subtree_names(name);
        self.remove_nodes(&names);
    }
}

impl<P: Payload> State<P> {
    /// Folds one op into the state; `rev` becomes the revision of a put's entry.
    pub fn apply(&mut self, op: Op<P>, rev: u64) {
        match op {
            Op::Put(key, value) => self.scene.put(key.as_key_ref(), Entry { rev, value }),
            Op::RemoveNode(name) => self.scene.remove_subtree(name.as_str()),
        }
        self.revision += 1;
    }

    /// Folds a whole step into the state.
    pub fn apply_delta(&mut self, delta: &StepDelta<P>) {
        if delta.removed.is_empty() && delta.puts.is_empty() {
            return;
        }
        for name in &delta.removed {
            self.scene.remove_subtree(name.as_str());
        }
        for (ty, entry) in &delta.puts.globals {
            self.scene.set_global(ty, entry.clone());
        }
        for (name, node) in &delta.puts.nodes {
            if let Some(create) = &node.create {
                self.scene.put(KeyRef::Create(name), create.clone());
            }
            for (prop, entry) in &node.props {
                self.scene.set_prop(name, prop, entry.clone());
            }
            for (ty, entry) in &node.messages {
                self.scene.set_message(name, ty, entry.clone());
            }
        }
        self.revision += 1;
    }
}

impl<P: Payload> StepDelta<P> {
    /// Records one op after those already in the step.
    ///
    /// The delta stays in normal form: applying it equals applying every op
    /// recorded so far, in order. A removal drops the puts it covers and the
    /// removals it subsumes; a put overwrites the same key; a creation drops
    /// the node's earlier property puts (rule 2 will reset them anyway).
    pub fn record(&mut self, op: Op<P>, rev: u64) {
        match op {
            Op::Put(key, value) => self.puts.put(key.as_key_ref(), Entry { rev, value }),
            Op::RemoveNode(name) => self.record_removal(name),
        }
    }

    fn record_removal(&mut self, name: NodeName) {
        self.puts.remove_subtree(name.as_str());
        let subsumed = self.removed.contains(name.as_str())
            || ancestors(name.as_str()).any(|a| self.removed.contains(a));
        if subsumed {
            // An earlier removal in this step already took everything from
            // before the step; what was put since is dropped above.
            return;
        }
        self.drop_removed(|r| name.is_ancestor_of(r.as_str()));
        self.insert_removed(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Key;

    fn key(s: &str) -> Key {
        s.parse().expect("valid key")
    }

    fn put(s: &str, v: u32) -> Op<u32> {
        Op::Put(key(s), v)
    }

    fn remove(s: &str) -> Op<u32> {
        Op::RemoveNode(NodeName::new(s).expect("valid name"))
    }

    /// Canonical `(key, value)` list of a state.
    fn dump(state: &State<u32>) -> Vec<(String, u32)> {
        state
            .iter()
            .map(|(k, e)| (k.to_string(), e.value))
            .collect()
    }

    fn fold(ops: Vec<Op<u32>>) -> State<u32> {
        let mut state = State::new();
        for (rev, op) in (1..).zip(ops) {
            state.apply(op, rev);
        }
        state
    }

    /// The state after one step recorded as a delta from `before`.
    fn fold_as_delta(before: &State<u32>, ops: Vec<Op<u32>>) -> State<u32> {
        let mut delta = StepDelta::new();
        for (rev, op) in (100..).zip(ops) {
            delta.record(op, rev);
        }
        let mut state = before.clone();
        state.apply_delta(&delta);
        state
    }

    fn pairs(items: &[(&str, u32)]) -> Vec<(String, u32)> {
        items.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    /// The removals' share of a delta's size follows every removal that
    /// subsumes, repeats or is subsumed by another.
    #[test]
    fn a_deltas_removal_bytes_follow_its_removals() {
        let mut delta = StepDelta::new();
        let ops = [
            remove("/a/b/c"),
            remove("/a/b/d"),
            remove("/a/b/c"),
            remove("/x"),
            remove("/a/b"),
            remove("/a/b/e"),
            put("create:/a/b/f", 1),
            remove("/a"),
        ];
        for (rev, op) in (1..).zip(ops) {
            delta.record(op, rev);
            let walked: usize = delta
                .removed
                .iter()
                .map(|n| crate::delta::ITEM_OVERHEAD_BYTES + n.as_str().len())
                .sum();
            assert_eq!(delta.removed_bytes, walked);
        }
        let names: Vec<&str> = delta.removed.iter().map(NodeName::as_str).collect();
        assert_eq!(names, ["/a", "/x"]);
    }

    #[test]
    fn removing_a_node_removes_its_subtree() {
        let state = fold(vec![
            put("create:/a", 1),
            put("update:/a:position", 2),
            put("create:/a/b", 3),
            put("Vis:/a/b/c", 4),
            put("create:/a-b", 5),
            put("Fog", 6),
            remove("/a"),
        ]);
        assert_eq!(dump(&state), pairs(&[("Fog", 6), ("create:/a-b", 5)]));
    }

    #[test]
    fn recreating_a_node_resets_own_keys_and_keeps_children() {
        let state = fold(vec![
            put("create:/a", 1),
            put("update:/a:position", 2),
            put("Vis:/a", 3),
            put("create:/a/b", 4),
            put("update:/a/b:position", 5),
            put("create:/a", 6),
        ]);
        assert_eq!(
            dump(&state),
            pairs(&[
                ("create:/a", 6),
                ("create:/a/b", 4),
                ("update:/a/b:position", 5)
            ])
        );
    }

    #[test]
    fn last_write_wins_per_key() {
        let state = fold(vec![
            put("create:/a", 1),
            put("update:/a:position", 2),
            put("update:/a:position", 3),
            put("Fog", 4),
            put("Fog", 5),
        ]);
        assert_eq!(
            dump(&state),
            pairs(&[("Fog", 5), ("create:/a", 1), ("update:/a:position", 3)])
        );
    }

    #[test]
    fn create_under_parent_removed_earlier_in_the_same_step_survives() {
        let before = fold(vec![put("create:/a", 1), put("create:/a/old", 2)]);
        let ops = vec![remove("/a"), put("create:/a/b", 3), put("update:/a/b:p", 4)];
        let after = fold_as_delta(&before, ops);
        assert_eq!(
            dump(&after),
            pairs(&[("create:/a/b", 3), ("update:/a/b:p", 4)])
        );
    }

    #[test]
    fn removal_then_recreation_in_one_step_drops_the_children() {
        let before = fold(vec![put("create:/a", 1), put("create:/a/b", 2)]);
        let after = fold_as_delta(&before, vec![remove("/a"), put("create:/a", 3)]);
        assert_eq!(dump(&after), pairs(&[("create:/a", 3)]));
    }

    #[test]
    fn delta_normal_form_equals_sequential_fold() {
        let before = fold(vec![
            put("create:/a", 1),
            put("create:/a/b", 2),
            put("update:/a:p", 3),
            put("create:/c", 4),
        ]);
        let ops = vec![
            put("update:/a/b:p", 10),
            remove("/a/b"),
            put("create:/a/b/c", 11),
            remove("/a"),
            put("update:/c:p", 12),
            put("create:/c", 13),
            put("update:/c:q", 14),
            put("create:/a/x", 15),
            remove("/a/x/y"),
        ];
        let mut sequential = before.clone();
        for op in ops.clone() {
            sequential.apply(op, 0);
        }
        let via_delta = fold_as_delta(&before, ops);
        assert_eq!(dump(&via_delta), dump(&sequential));
        assert_eq!(
            dump(&via_delta),
            pairs(&[("create:/a/x", 15), ("create:/c", 13), ("update:/c:q", 14)])
        );
    }

    #[test]
    fn delta_keeps_topmost_removals_only() {
        let mut delta = StepDelta::<u32>::new();
        for op in [remove("/a/b"), remove("/c"), remove("/a"), remove("/a/b/c")] {
            delta.record(op, 0);
        }
        let removed: Vec<_> = delta.removed().iter().map(NodeName::as_str).collect();
        assert_eq!(removed, ["/a", "/c"]);
    }

    #[test]
    fn entries_carry_the_revision_of_their_write() {
        let state = fold(vec![put("create:/a", 7), put("update:/a:p", 8)]);
        let revs: Vec<_> = state.iter().map(|(_, e)| e.rev).collect();
        assert_eq!(revs, [1, 2]);
        assert_eq!(state.revision(), 2);
    }
}
