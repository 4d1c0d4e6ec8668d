//! What one step changes: [`StepDelta`].

use std::collections::BTreeSet;

use crate::key::NodeName;
use crate::payload::Payload;
use crate::scene::Scene;

/// The keyed puts and node removals of one step, plus its audio events.
///
/// A delta is kept in a normal form equivalent to the ops recorded into it,
/// in order (see [`StepDelta::record`]): first the subtrees in
/// [`removed`](StepDelta::removed) go (topmost names only), then the
/// [`puts`](StepDelta::puts) apply, each node's creation before its
/// properties. Puts that a later op of the same step overwrote or removed
/// are dropped, so a delta holds at most one message per key.
///
/// Audio events are opaque payloads carried with the step; the audio model
/// gives them meaning.
#[derive(Clone, Debug)]
pub struct StepDelta<P> {
    pub(crate) removed: BTreeSet<NodeName>,
    pub(crate) puts: Scene<P>,
    pub(crate) audio: Vec<P>,
    pub(crate) audio_bytes: usize,
    /// What `removed` costs in [`StepDelta::approx_bytes`], kept as it
    /// changes: the store asks before and after every recorded op, and
    /// walking the removals each time was a tenth of recording a step of
    /// 300 frames with 30 of them re-created.
    pub(crate) removed_bytes: usize,
}

impl<P> Default for StepDelta<P> {
    fn default() -> Self {
        Self {
            removed: BTreeSet::new(),
            puts: Scene::default(),
            audio: Vec::new(),
            audio_bytes: 0,
            removed_bytes: 0,
        }
    }
}

impl<P: PartialEq> PartialEq for StepDelta<P> {
    fn eq(&self, other: &Self) -> bool {
        self.removed == other.removed && self.puts == other.puts && self.audio == other.audio
    }
}

/// Rough bookkeeping cost of one removal or audio event, for the memory budget.
pub(crate) const ITEM_OVERHEAD_BYTES: usize = 48;

fn removal_bytes(name: &NodeName) -> usize {
    ITEM_OVERHEAD_BYTES + name.as_str().len()
}

impl<P> StepDelta<P> {
    /// An empty delta.
    pub fn new() -> Self {
        Self::default()
    }

    /// Topmost removed nodes; each removal takes the node's whole subtree.
    pub fn removed(&self) -> &BTreeSet<NodeName> {
        &self.removed
    }

    /// Keys stored by this step.
    pub fn puts(&self) -> &Scene<P> {
        &self.puts
    }

    /// Audio events of this step, in recording order.
    pub fn audio(&self) -> &[P] {
        &self.audio
    }

    /// Whether the step changes nothing and has no audio.
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.puts.is_empty() && self.audio.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn approx_bytes(&self) -> usize {
        self.puts.approx_bytes() + self.audio_bytes + self.removed_bytes
    }

    /// Adds a topmost removal (the caller keeps the set topmost).
    pub(crate) fn insert_removed(&mut self, name: NodeName) {
        let bytes = removal_bytes(&name);
        if self.removed.insert(name) {
            self.removed_bytes += bytes;
        }
    }

    /// Drops the removals `drop` picks.
    pub(crate) fn drop_removed(&mut self, mut drop: impl FnMut(&NodeName) -> bool) {
        let mut freed = 0;
        self.removed.retain(|name| {
            let dropped = drop(name);
            if dropped {
                freed += removal_bytes(name);
            }
            !dropped
        });
        self.removed_bytes -= freed;
    }
}

impl<P: Payload> StepDelta<P> {
    /// Appends an audio event to the step.
    pub fn push_audio(&mut self, event: P) {
        self.audio_bytes += ITEM_OVERHEAD_BYTES + event.size_bytes();
        self.audio.push(event);
    }
}
