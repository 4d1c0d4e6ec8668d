//! What changed in a store since it was last asked: [`Changes`].

use std::collections::BTreeSet;

/// Blocks and settings that changed, for telling the clients that hold them.
///
/// Checkpoints are recomputed lazily, so an edit reports every later block
/// as possibly changed ([`Changes::checkpoints_from`]); a server that wants
/// to skip clients whose block did not really change compares
/// [`Store::block_revision`](crate::Store::block_revision) with the
/// revision the client holds.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    edited: BTreeSet<u32>,
    /// The block edited last (in `edited`): recording edits one block call
    /// after call, and asking the tree each time was a few percent of
    /// recording a pose.
    last_edited: Option<u32>,
    checkpoints_from: Option<u32>,
    num_steps: bool,
    layout: bool,
    overrides: bool,
}

impl PartialEq for Changes {
    fn eq(&self, other: &Self) -> bool {
        // `last_edited` is a shortcut, not a change.
        (
            &self.edited,
            self.checkpoints_from,
            self.num_steps,
            self.layout,
            self.overrides,
        ) == (
            &other.edited,
            other.checkpoints_from,
            other.num_steps,
            other.layout,
            other.overrides,
        )
    }
}

impl Eq for Changes {}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.edited.is_empty() && !self.num_steps && !self.layout && !self.overrides
    }

    /// Blocks whose own steps changed.
    pub fn edited_blocks(&self) -> impl Iterator<Item = u32> + '_ {
        self.edited.iter().copied()
    }

    /// The first block whose checkpoint may have changed; every later block
    /// may have changed too.
    pub fn checkpoints_from(&self) -> Option<u32> {
        self.checkpoints_from
    }

    /// Whether the number of steps changed.
    pub fn num_steps_changed(&self) -> bool {
        self.num_steps
    }

    /// Whether blocks start at other steps than before (a heavy block
    /// split, or the number of steps changed): block indices held under the
    /// old layout mean other steps now.
    pub fn layout_changed(&self) -> bool {
        self.layout || self.num_steps
    }

    /// Whether the overrides changed.
    pub fn overrides_changed(&self) -> bool {
        self.overrides
    }

    /// Whether a client holding this block must fetch it again.
    pub fn affects_block(&self, index: u32) -> bool {
        self.edited.contains(&index) || self.checkpoints_from.is_some_and(|from| index >= from)
    }

    pub(crate) fn edit(&mut self, index: u32) {
        // The checkpoint bound below was lowered by the first edit.
        if self.last_edited == Some(index) {
            return;
        }
        self.last_edited = Some(index);
        self.edited.insert(index);
        let next = index.saturating_add(1);
        self.checkpoints_from = Some(self.checkpoints_from.map_or(next, |f| f.min(next)));
    }

    pub(crate) fn set_num_steps(&mut self) {
        self.num_steps = true;
    }

    pub(crate) fn set_layout(&mut self) {
        self.layout = true;
    }

    pub(crate) fn set_overrides(&mut self) {
        self.overrides = true;
    }
}
