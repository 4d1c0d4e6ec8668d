//! The folded scene at one step: [`State`].

use std::ops::Deref;

use crate::scene::Scene;

/// The scene state at one step: every live key with its latest message.
///
/// A state reads as its [`Scene`] (through `Deref`). It changes only through
/// the fold rules ([`State::apply`], [`State::apply_delta`]), and its
/// [`revision`](State::revision) increases with every change. Equality
/// compares the keys and entries (revisions of entries included), not the
/// state's own revision counter.
#[derive(Clone, Debug)]
pub struct State<P> {
    pub(crate) scene: Scene<P>,
    pub(crate) revision: u64,
}

impl<P> Default for State<P> {
    fn default() -> Self {
        Self {
            scene: Scene::default(),
            revision: 0,
        }
    }
}

impl<P> State<P> {
    /// An empty state, as before step 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state's revision: increases whenever the state changes.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The keys and entries.
    pub fn scene(&self) -> &Scene<P> {
        &self.scene
    }
}

impl<P> Deref for State<P> {
    type Target = Scene<P>;
    fn deref(&self) -> &Scene<P> {
        &self.scene
    }
}

impl<P: PartialEq> PartialEq for State<P> {
    fn eq(&self, other: &Self) -> bool {
        self.scene == other.scene
    }
}
