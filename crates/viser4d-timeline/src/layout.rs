//! Where blocks start: [`BlockLayout`].
//!
//! Blocks are not all the same length. A block closes at the store's step
//! limit or, when its steps are heavy, at its byte limit, so a step of a
//! 200k-point cloud and a step of one moving frame both travel in blocks
//! cheap to fetch and cache. The layout is the one answer to "which block
//! holds this step", shared by the store, the server and the browser
//! runtime; nobody divides by a block size.

use std::ops::{Range, RangeInclusive};

/// The first step of every block of a timeline of `num_steps` steps.
///
/// Invariants: block 0 starts at step 0, starts increase strictly, and
/// every start is below `num_steps`; a timeline of 0 steps has no block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockLayout {
    starts: Vec<u32>,
    num_steps: u32,
}

impl BlockLayout {
    /// Blocks of `block_size` steps (the last one shorter).
    pub fn fixed(num_steps: u32, block_size: u32) -> BlockLayout {
        let block_size = block_size.max(1);
        BlockLayout {
            starts: (0..num_steps).step_by(block_size as usize).collect(),
            num_steps,
        }
    }

    /// The layout with these block starts; the error says which start
    /// breaks the invariants (for layouts that arrive from outside).
    pub fn from_starts(starts: Vec<u32>, num_steps: u32) -> Result<BlockLayout, String> {
        check_starts(&starts, num_steps)?;
        Ok(BlockLayout { starts, num_steps })
    }

    /// Steps in the timeline.
    pub fn num_steps(&self) -> u32 {
        self.num_steps
    }

    /// Blocks in the timeline.
    pub fn num_blocks(&self) -> u32 {
        self.starts.len() as u32
    }

    /// The first step of every block.
    pub fn starts(&self) -> &[u32] {
        &self.starts
    }

    /// The block holding `step`, if the step is in the timeline.
    pub fn block_of(&self, step: u32) -> Option<u32> {
        if step >= self.num_steps {
            return None;
        }
        Some(self.starts.partition_point(|&s| s <= step) as u32 - 1)
    }

    /// The steps of block `index` (empty past the last block).
    pub fn steps(&self, index: u32) -> Range<u32> {
        let Some(&start) = self.starts.get(index as usize) else {
            return self.num_steps..self.num_steps;
        };
        let end = self
            .starts
            .get(index as usize + 1)
            .copied()
            .unwrap_or(self.num_steps);
        start..end
    }

    /// The blocks holding any of `steps`, as an inclusive range; steps past
    /// the end count as the last step. `None` for an empty timeline or
    /// range.
    pub fn blocks_of_steps(&self, steps: Range<u32>) -> Option<RangeInclusive<u32>> {
        let last_step = self.num_steps.checked_sub(1)?;
        if steps.is_empty() {
            return None;
        }
        let first = self.block_of(steps.start.min(last_step))?;
        let last = self.block_of((steps.end - 1).min(last_step))?;
        Some(first..=last)
    }

    /// Splits block `index` so a new block starts at `step`, which must lie
    /// strictly inside it. Returns whether it did.
    pub(crate) fn split(&mut self, index: u32, step: u32) -> bool {
        let steps = self.steps(index);
        if !(steps.start < step && step < steps.end) {
            return false;
        }
        self.starts.insert(index as usize + 1, step);
        true
    }

    /// Appends a block starting at the current end, growing the timeline to
    /// `end`.
    pub(crate) fn push(&mut self, end: u32) {
        if end > self.num_steps {
            self.starts.push(self.num_steps);
            self.num_steps = end;
        }
    }

    /// Changes the end of the last block (which must stay non-empty), or
    /// of the timeline when there is no block.
    pub(crate) fn set_end(&mut self, end: u32) {
        debug_assert!(self.starts.last().is_none_or(|&s| s < end));
        self.num_steps = end;
    }

    /// Drops the last block; the timeline ends where it started.
    pub(crate) fn pop(&mut self) {
        if let Some(start) = self.starts.pop() {
            self.num_steps = start;
        }
    }
}

/// Checks block starts against [`BlockLayout`]'s invariants.
fn check_starts(starts: &[u32], num_steps: u32) -> Result<(), String> {
    if num_steps == 0 {
        if starts.is_empty() {
            return Ok(());
        }
        return Err(format!(
            "{} block starts for an empty timeline",
            starts.len()
        ));
    }
    match starts.first() {
        Some(0) => {}
        Some(first) => return Err(format!("the first block starts at step {first}, not 0")),
        None => return Err(format!("no block for {num_steps} steps")),
    }
    for pair in starts.windows(2) {
        if pair[1] <= pair[0] {
            return Err(format!(
                "block starts {} then {}: starts must increase",
                pair[0], pair[1]
            ));
        }
    }
    if let Some(&last) = starts.last()
        && last >= num_steps
    {
        return Err(format!(
            "a block starts at step {last}, past the last step {}",
            num_steps - 1
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_layout_has_blocks_of_the_size_and_a_short_last_one() {
        let layout = BlockLayout::fixed(10, 4);
        assert_eq!(layout.starts(), [0, 4, 8]);
        assert_eq!(layout.steps(2), 8..10);
        assert_eq!(layout.block_of(7), Some(1));
        assert_eq!(layout.block_of(10), None);
        assert_eq!(layout.blocks_of_steps(3..9), Some(0..=2));
        assert_eq!(layout.blocks_of_steps(9..40), Some(2..=2));
        assert_eq!(BlockLayout::fixed(0, 4).num_blocks(), 0);
    }

    #[test]
    fn blocks_of_any_length_answer_by_their_starts() {
        let layout = BlockLayout::from_starts(vec![0, 1, 5, 6], 9).expect("valid");
        let holding: Vec<Option<u32>> = (0..10).map(|s| layout.block_of(s)).collect();
        assert_eq!(
            holding,
            [
                Some(0),
                Some(1),
                Some(1),
                Some(1),
                Some(1),
                Some(2),
                Some(3),
                Some(3),
                Some(3),
                None
            ]
        );
        assert_eq!(layout.steps(1), 1..5);
        assert_eq!(layout.steps(3), 6..9);
        assert_eq!(layout.steps(4), 9..9);
    }

    #[test]
    fn starts_from_outside_are_checked() {
        for (starts, steps, says) in [
            (vec![], 3, "no block"),
            (vec![1], 3, "not 0"),
            (vec![0, 2, 2], 3, "must increase"),
            (vec![0, 3], 3, "past the last step"),
            (vec![0], 0, "empty timeline"),
        ] {
            let error = BlockLayout::from_starts(starts, steps).expect_err("refused");
            assert!(error.contains(says), "{error}");
        }
    }

    #[test]
    fn split_push_and_pop_keep_the_invariants() {
        let mut layout = BlockLayout::fixed(8, 4);
        assert!(layout.split(0, 2));
        assert!(!layout.split(0, 2), "a split at a block's own start");
        assert!(!layout.split(1, 4), "a split at a block's end");
        assert_eq!(layout.starts(), [0, 2, 4]);
        layout.push(12);
        assert_eq!(layout.steps(3), 8..12);
        layout.pop();
        assert_eq!(layout.num_steps(), 8);
        layout.set_end(6);
        assert_eq!(layout.steps(2), 4..6);
        check_starts(layout.starts(), layout.num_steps()).expect("still valid");
    }
}
