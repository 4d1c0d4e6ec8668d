//! Which step the calling thread records into: [`StepGuard`].
//!
//! The step is per thread, so a program can record on one thread while
//! others keep updating the live scene or the GUI; a handle's setter asks
//! "is *this* thread inside `at(t)`?" to decide between recording and an
//! override.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::error::{Result, ServerError};
use crate::scene::SceneApi;
use crate::shared::{Scope, Shared};

thread_local! {
    /// (server id, step) for each `at` guard alive on this thread.
    static ACTIVE: RefCell<Vec<(u64, u32)>> = const { RefCell::new(Vec::new()) };
}

/// The step this thread records into for server `server`, if any.
pub(crate) fn current_step(server: u64) -> Option<u32> {
    ACTIVE.with(|a| {
        a.borrow()
            .iter()
            .rev()
            .find(|(s, _)| *s == server)
            .map(|(_, t)| *t)
    })
}

/// Recording at one step, for as long as it lives (see
/// [`Server::at`](crate::Server::at)). Dropping it ends the step; clients
/// holding the blocks it touched receive them again shortly after.
///
/// The guard belongs to the thread that made it (it is not `Send`):
/// scene calls from that thread record, calls from other threads stay live.
#[must_use = "the step ends when the guard is dropped"]
pub struct StepGuard {
    shared: Arc<Shared>,
    step: u32,
    // Recording is a property of the calling thread.
    _not_send: PhantomData<*const ()>,
}

impl std::fmt::Debug for StepGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepGuard")
            .field("step", &self.step)
            .finish()
    }
}

impl StepGuard {
    /// Enters `step`, or with `None` the step after the last (made under
    /// the same lock, so threads appending at once get a step each).
    pub(crate) fn enter(shared: Arc<Shared>, step: Option<u32>) -> Result<StepGuard> {
        if let Some(outer) = current_step(shared.id) {
            let inner = match step {
                Some(step) => step,
                None => crate::timeline::num_steps(&shared)?,
            };
            return Err(ServerError::NestedStep { outer, inner });
        }
        let step = {
            let mut state = shared.lock();
            let timeline = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
            let step = step.unwrap_or(timeline.len());
            timeline.make_room(step)?;
            timeline.recording += 1;
            step
        };
        ACTIVE.with(|a| a.borrow_mut().push((shared.id, step)));
        Ok(StepGuard {
            shared,
            step,
            _not_send: PhantomData,
        })
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The step being recorded.
    pub fn step(&self) -> u32 {
        self.step
    }

    /// The shared scene; inside the guard its calls record at [`Self::step`].
    pub fn scene(&self) -> SceneApi {
        SceneApi::new(self.shared.clone(), Scope::Broadcast)
    }
}

impl Drop for StepGuard {
    fn drop(&mut self) {
        let id = self.shared.id;
        ACTIVE.with(|a| {
            let mut a = a.borrow_mut();
            if let Some(i) = a.iter().rposition(|(s, _)| *s == id) {
                a.remove(i);
            }
        });
        let mut state = self.shared.lock();
        if let Some(timeline) = state.timeline.as_mut() {
            timeline.recording = timeline.recording.saturating_sub(1);
            if let Err(error) = timeline.apply_retention() {
                // Nothing is lost: the blocks stay until the next step tries.
                tracing::error!(%error, "cannot drop the oldest blocks past the retention limit");
            }
            timeline.dirty.notify_one();
        }
    }
}
