//! How much of a long recording the server keeps: [`Retention`].

use crate::error::{Result, ServerError};
use crate::timeline::Timeline;

/// What a timeline keeps as it grows (see
/// [`ServerBuilder::retention`](crate::ServerBuilder::retention)). Past
/// the limit the oldest blocks are dropped whole, so a little more than
/// the limit stays (up to one block); steps keep their numbers, and tabs
/// on dropped steps move to the oldest one kept.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Retention {
    /// Everything, spilling to disk past the memory budget (the default).
    #[default]
    All,
    /// The newest this many steps (> 0).
    LastSteps(u32),
    /// The newest this many seconds of steps at the timeline's fps (> 0).
    LastSeconds(f64),
    /// As many of the newest steps as fit in this many bytes (> 0), in
    /// memory and spilled together; the newest block is always kept.
    MaxBytes(u64),
}

impl Retention {
    pub(crate) fn check(self) -> Result<Retention> {
        let bad = |reason: String| Err(ServerError::invalid("retention", reason));
        match self {
            Retention::LastSteps(0) => bad("LastSteps must keep at least 1 step".to_owned()),
            Retention::LastSeconds(s) if !(s.is_finite() && s > 0.0) => {
                bad(format!("LastSeconds must be positive and finite, got {s}"))
            }
            Retention::MaxBytes(0) => bad("MaxBytes must be positive, got 0".to_owned()),
            ok => Ok(ok),
        }
    }
}

impl Timeline {
    /// Drops the oldest blocks past the retention limit (at the end of a
    /// step, when the timeline may have grown).
    pub(crate) fn apply_retention(&mut self) -> Result<()> {
        let len = self.len();
        if len == 0 {
            return Ok(());
        }
        match self.retention {
            Retention::All => {}
            Retention::LastSteps(n) => {
                self.store.retire_before(len.saturating_sub(n))?;
            }
            Retention::LastSeconds(seconds) => {
                let n = (seconds * self.fps).ceil().clamp(1.0, f64::from(u32::MAX)) as u32;
                self.store.retire_before(len.saturating_sub(n))?;
            }
            Retention::MaxBytes(max) => {
                let last = self.store.num_blocks() - 1;
                loop {
                    let memory = self.store.memory();
                    let held = (memory.resident_bytes + memory.spilled_bytes) as u64;
                    let next = self.store.retired_blocks() + 1;
                    if held <= max || next > last {
                        break;
                    }
                    self.store
                        .retire_before(self.store.block_steps(next).start)?;
                }
            }
        }
        Ok(())
    }
}
