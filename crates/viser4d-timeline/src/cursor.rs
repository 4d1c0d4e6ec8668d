//! One viewer's position on the timeline: [`Cursor`].

use std::sync::Arc;

use crate::block::Block;
use crate::diff::{Emit, diff, forward, remove_all};
use crate::error::SeekError;
use crate::overrides::Overrides;
use crate::payload::Payload;
use crate::state::State;

/// What a viewer shows, and the messages that move it to another step.
///
/// A browser tab (or any client) holds one cursor. [`Cursor::seek`] takes
/// the block holding the target step: moving forward inside the block it
/// was last moved with applies the crossed steps in order; any other move
/// (backward, to another block, or into a block whose revision changed) is a
/// [`diff`] from the current state to the target.
#[derive(Clone, Debug)]
pub struct Cursor<P> {
    state: State<P>,
    overrides: Arc<Overrides<P>>,
    at: Option<Position>,
}

/// Where a cursor's state came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Position {
    step: u32,
    block: u32,
    block_rev: u64,
}

impl<P> Default for Cursor<P> {
    fn default() -> Self {
        Self {
            state: State::default(),
            overrides: Arc::new(Overrides::default()),
            at: None,
        }
    }
}

impl<P: Payload> Cursor<P> {
    /// A cursor showing nothing, at no step.
    pub fn new() -> Self {
        Self::default()
    }

    /// The step shown, if any.
    pub fn step(&self) -> Option<u32> {
        self.at.map(|p| p.step)
    }

    /// The timeline's state at the current step (without overrides).
    pub fn state(&self) -> &State<P> {
        &self.state
    }

    /// The overrides applied on top of every step.
    pub fn overrides(&self) -> &Arc<Overrides<P>> {
        &self.overrides
    }

    /// The state as shown: [`Cursor::state`] with the overrides applied.
    pub fn shown_state(&self) -> State<P> {
        self.overrides.apply_to(&self.state)
    }

    /// Moves to `step` of `block`; returns the messages for the viewer, in order.
    pub fn seek<'a>(
        &'a mut self,
        block: &'a Block<P>,
        step: u32,
    ) -> Result<Vec<Emit<'a, P>>, SeekError> {
        block.check_step(step)?;
        let target = Position {
            step,
            block: block.index(),
            block_rev: block.revision(),
        };
        let forward_from = self
            .at
            .filter(|p| p.block == target.block && p.block_rev == target.block_rev)
            .map(|p| p.step)
            // Only through this block's own deltas: a one-step state block
            // carries its real block's index and revision, and from the step
            // of one state to a later state of the same block there are no
            // deltas to apply (a diff moves it).
            .filter(|&from| from <= step && block.contains(from));
        let was_shown = self.at.is_some();
        let Cursor {
            state,
            overrides,
            at,
        } = self;
        let overrides: &'a Overrides<P> = overrides;
        *at = Some(target);
        let mut out = Vec::new();
        if let Some(from) = forward_from {
            for s in from + 1..=step {
                forward(state, overrides, block.delta(s)?, &mut out);
            }
            return Ok(out);
        }
        let old = std::mem::replace(state, block.state_at(step)?);
        let state: &'a State<P> = state;
        if was_shown {
            Ok(diff(&old, overrides, state, overrides))
        } else {
            Ok(diff(&old, &Overrides::new(), state, overrides))
        }
    }

    /// Replaces the overrides; returns the messages that show the change
    /// (none while the cursor is at no step: it shows nothing).
    pub fn set_overrides(&mut self, overrides: Arc<Overrides<P>>) -> Vec<Emit<'_, P>> {
        let old = std::mem::replace(&mut self.overrides, overrides);
        if self.at.is_none() {
            return Vec::new();
        }
        let this: &Self = self;
        diff(&this.state, &old, &this.state, &this.overrides)
    }

    /// Forgets the position and shows nothing; returns the removals (and
    /// the globals to clear).
    pub fn clear(&mut self) -> Vec<Emit<'static, P>> {
        let old = std::mem::take(&mut self.state);
        if self.at.take().is_none() {
            return Vec::new();
        }
        remove_all(&old, &self.overrides)
    }
}
