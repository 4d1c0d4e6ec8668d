//! The tab's block cache: [`BlockCache`], least recently used first out,
//! within a byte budget.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use viser4d_proto::timeline::AudioSlice;
use viser4d_timeline::Block;

/// A block as the tab holds it: the decoded timeline block and the audio
/// of its steps.
#[derive(Debug)]
pub struct Cached {
    /// The timeline block.
    pub block: Block<Bytes>,
    /// Revision of its audio.
    pub audio_revision: u64,
    /// The samples of each track sounding during its steps.
    pub audio: Vec<AudioSlice>,
}

impl Cached {
    /// A block without audio.
    pub fn new(block: Block<Bytes>) -> Cached {
        Cached {
            block,
            audio_revision: 0,
            audio: Vec::new(),
        }
    }
}

/// A held block and what it cost.
#[derive(Debug)]
struct Slot {
    block: Arc<Cached>,
    bytes: u64,
    last_used: u64,
}

/// Blocks held by the tab.
#[derive(Debug, Default)]
pub struct BlockCache {
    slots: BTreeMap<u32, Slot>,
    budget: u64,
    used: u64,
    clock: u64,
}

impl BlockCache {
    /// An empty cache of `budget` bytes.
    pub fn new(budget: u64) -> BlockCache {
        BlockCache {
            budget,
            ..BlockCache::default()
        }
    }

    /// The budget.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Bytes held.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Number of blocks held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Whether block `index` is held.
    pub fn contains(&self, index: u32) -> bool {
        self.slots.contains_key(&index)
    }

    /// Block `index`, without marking it used.
    pub fn peek(&self, index: u32) -> Option<&Arc<Cached>> {
        self.slots.get(&index).map(|s| &s.block)
    }

    /// Block `index`, marked as used now.
    pub fn get(&mut self, index: u32) -> Option<Arc<Cached>> {
        self.clock += 1;
        let slot = self.slots.get_mut(&index)?;
        slot.last_used = self.clock;
        Some(slot.block.clone())
    }

    /// Holds `block` (`bytes` is its encoded size), replacing any copy;
    /// returns the blocks evicted to stay within the budget: the farthest
    /// by `distance` (from the playhead, in playing order) first, then the
    /// least recently used. The block `keep` (the one shown) and the new
    /// one are never evicted, so a budget smaller than one block still
    /// works, one block at a time.
    pub fn insert(
        &mut self,
        block: Cached,
        bytes: u64,
        keep: Option<u32>,
        distance: impl Fn(u32) -> u64,
    ) -> Vec<u32> {
        self.clock += 1;
        let index = block.block.index();
        if let Some(old) = self.slots.insert(
            index,
            Slot {
                block: Arc::new(block),
                bytes,
                last_used: self.clock,
            },
        ) {
            self.used -= old.bytes;
        }
        self.used += bytes;
        let mut evicted = Vec::new();
        while self.used > self.budget {
            let victim = self
                .slots
                .iter()
                .filter(|(i, _)| **i != index && Some(**i) != keep)
                .max_by_key(|(i, s)| (distance(**i), std::cmp::Reverse(s.last_used)))
                .map(|(i, _)| *i);
            let Some(victim) = victim else { break };
            if let Some(slot) = self.slots.remove(&victim) {
                self.used -= slot.bytes;
            }
            evicted.push(victim);
        }
        evicted
    }

    /// The block indices held, in order.
    pub fn indices(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots.keys().copied()
    }

    /// Every held block, without marking it used.
    pub fn blocks(&self) -> impl Iterator<Item = &Arc<Cached>> {
        self.slots.values().map(|s| &s.block)
    }

    /// Drops block `index`; whether it was held.
    pub fn remove(&mut self, index: u32) -> bool {
        match self.slots.remove(&index) {
            Some(slot) => {
                self.used -= slot.bytes;
                true
            }
            None => false,
        }
    }

    /// Drops everything (and sets a new budget).
    pub fn reset(&mut self, budget: u64) {
        self.slots.clear();
        self.used = 0;
        self.budget = budget;
    }
}

#[cfg(test)]
mod tests {
    use viser4d_timeline::Store;

    use super::*;

    fn blocks(n: u32) -> Vec<Cached> {
        let mut store = match Store::<Bytes>::new(n * 32) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        (0..n)
            .filter_map(|i| store.block(i).ok())
            .map(Cached::new)
            .collect()
    }

    #[test]
    fn evicts_least_recently_used_but_never_the_shown_block() {
        let mut cache = BlockCache::new(250);
        let mut b = blocks(4).into_iter();
        let mut next = || b.next().unwrap_or_else(|| panic!("no block"));
        assert!(cache.insert(next(), 100, None, |_| 0).is_empty());
        assert!(cache.insert(next(), 100, Some(0), |_| 0).is_empty());
        cache.get(0);
        // Block 1 is the least recently used; 0 is shown.
        assert_eq!(cache.insert(next(), 100, Some(0), |_| 0), vec![1]);
        assert_eq!(cache.used(), 200);
        assert_eq!(cache.insert(next(), 100, Some(0), |_| 0), vec![2]);
        assert!(cache.contains(0) && cache.contains(3));
    }

    #[test]
    fn evicts_the_farthest_from_the_playhead_first() {
        let mut cache = BlockCache::new(250);
        let mut b = blocks(4).into_iter();
        let mut next = || b.next().unwrap_or_else(|| panic!("no block"));
        // The playhead is in block 2: block 0 is farthest, behind it.
        let distance = |i: u32| [10, 5, 0, 1][i as usize];
        cache.insert(next(), 100, Some(2), distance);
        cache.insert(next(), 100, Some(2), distance);
        cache.get(0);
        assert_eq!(cache.insert(next(), 100, Some(2), distance), vec![0]);
        assert_eq!(cache.insert(next(), 100, Some(2), distance), vec![1]);
        assert_eq!(cache.indices().collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn a_budget_below_one_block_keeps_the_newest() {
        let mut cache = BlockCache::new(10);
        let mut b = blocks(2).into_iter();
        let mut next = || b.next().unwrap_or_else(|| panic!("no block"));
        cache.insert(next(), 100, None, |_| 0);
        assert_eq!(cache.insert(next(), 100, None, |_| 0), vec![0]);
        assert_eq!(cache.len(), 1);
        cache.reset(5);
        assert!(cache.is_empty() && cache.used() == 0 && cache.budget() == 5);
    }
}
