//! The naive model: every step replayed from step 0, op by op, over a flat
//! map of keys. Written apart from the crate's fold so that they check
//! each other.

use std::collections::{BTreeMap, BTreeSet};

use viser4d_timeline::Key;

/// Test payload.
pub type V = u32;

/// A flat state: key to value.
pub type Flat = BTreeMap<Key, V>;

/// One recorded op.
#[derive(Clone, Debug)]
pub enum MOp {
    Put(Key, V),
    Remove(String),
}

/// One change of the overrides.
#[derive(Clone, Debug)]
pub enum OvOp {
    Put(Key, V),
    RemoveNode(String),
    ClearKey(Key),
    ClearNode(String),
    ClearAll,
}

/// Whether `node` is `root` or lies below it.
pub fn under(node: &str, root: &str) -> bool {
    node == root
        || (root == "/" && node.starts_with('/'))
        || (node.len() > root.len()
            && node.starts_with(root)
            && node[root.len()..].starts_with('/'))
}

/// Applies one op to a flat state, by the fold rules read literally.
pub fn apply(state: &mut Flat, op: &MOp) {
    match op {
        MOp::Put(key, v) => {
            if let Key::Create(n) = key {
                state.retain(|k, _| match k {
                    Key::Prop(m, _) | Key::NodeMessage(_, m) => m != n,
                    _ => true,
                });
            }
            state.insert(key.clone(), *v);
        }
        MOp::Remove(root) => state.retain(|k, _| k.node().is_none_or(|n| !under(n.as_str(), root))),
    }
}

/// The timeline, as a list of op lists.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub steps: Vec<Vec<MOp>>,
    pub audio: Vec<Vec<V>>,
    pub overrides: Vec<OvOp>,
}

impl Model {
    pub fn new(num_steps: u32) -> Self {
        Self {
            steps: vec![Vec::new(); num_steps as usize],
            audio: vec![Vec::new(); num_steps as usize],
            overrides: Vec::new(),
        }
    }

    /// Full replay from step 0.
    pub fn state_at(&self, step: u32) -> Flat {
        let mut state = Flat::new();
        for ops in &self.steps[..=step as usize] {
            for op in ops {
                apply(&mut state, op);
            }
        }
        state
    }

    /// The state with the overrides applied.
    pub fn shown_at(&self, step: u32) -> Flat {
        self.shown(self.state_at(step))
    }

    pub fn shown(&self, mut state: Flat) -> Flat {
        let mut puts = Flat::new();
        let mut tombstones = BTreeSet::<String>::new();
        for op in &self.overrides {
            match op {
                OvOp::Put(k, v) => {
                    puts.insert(k.clone(), *v);
                }
                OvOp::RemoveNode(n) => {
                    puts.retain(|k, _| k.node().is_none_or(|m| !under(m.as_str(), n)));
                    tombstones.insert(n.clone());
                }
                OvOp::ClearKey(k) => {
                    puts.remove(k);
                }
                OvOp::ClearNode(n) => {
                    puts.retain(|k, _| k.node().is_none_or(|m| !under(m.as_str(), n)));
                    tombstones.retain(|t| !under(t, n));
                }
                OvOp::ClearAll => {
                    puts.clear();
                    tombstones.clear();
                }
            }
        }
        state.retain(|k, _| {
            k.node()
                .is_none_or(|n| !tombstones.iter().any(|t| under(n.as_str(), t)))
        });
        for (k, v) in puts {
            let exists = match k.node() {
                None => true,
                Some(n) => state.contains_key(&Key::Create(n.clone())),
            };
            if exists {
                state.insert(k, v);
            }
        }
        state
    }
}

/// A crate state flattened for comparison with the model.
pub fn flatten(state: &viser4d_timeline::State<V>) -> Flat {
    state.iter().map(|(k, e)| (k.to_key(), e.value)).collect()
}
