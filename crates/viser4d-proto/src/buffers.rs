//! The side channel between [`TypedArray`](crate::TypedArray)'s serde impls
//! and the frame / file codecs.
//!
//! serde gives a `Serialize` impl no way to reach its caller, so the codecs
//! install a per-thread scope: while encoding, arrays register their bytes
//! here and write a placeholder; while decoding, placeholders look their
//! bytes up here. Scopes nest and are always restored, even on error.

use std::cell::RefCell;
use std::collections::HashMap;

use bytes::Bytes;

/// How the encoder stores buffers: every array gets its own index (the live
/// wire), or identical bytes share one (the `.viser` file, as viser does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dedup {
    No,
    Identical,
}

pub(crate) struct Collector {
    buffers: Vec<Bytes>,
    dedup: Dedup,
    /// Indices of the collected buffers by byte length (only when deduplicating).
    by_len: HashMap<usize, Vec<usize>>,
}

impl Collector {
    pub(crate) fn new(dedup: Dedup) -> Collector {
        Collector {
            buffers: Vec::new(),
            dedup,
            by_len: HashMap::new(),
        }
    }

    /// Hands out the buffers collected from `from` on, keeping only the
    /// ones shorter than `keep_below` for later deduplication (a dropped
    /// buffer stays an empty slot, equal to nothing of its length).
    pub(crate) fn take_from(&mut self, from: usize, keep_below: usize) -> Vec<Bytes> {
        let taken: Vec<Bytes> = self.buffers.get(from..).unwrap_or_default().to_vec();
        for b in self.buffers.iter_mut().skip(from) {
            if b.len() >= keep_below {
                *b = Bytes::new();
            }
        }
        taken
    }

    pub(crate) fn len(&self) -> usize {
        self.buffers.len()
    }
}

thread_local! {
    static COLLECTOR: RefCell<Option<Collector>> = const { RefCell::new(None) };
    static TABLE: RefCell<Option<Vec<Bytes>>> = const { RefCell::new(None) };
}

/// Registers `data` with the active collector and returns its index, or
/// `None` when no collector is active (the caller then writes it inline).
pub(crate) fn collect(data: &Bytes) -> Option<u64> {
    COLLECTOR.with(|c| {
        let mut c = c.borrow_mut();
        let c = c.as_mut()?;
        let index = c.buffers.len();
        if c.dedup == Dedup::Identical {
            // Equal bytes need equal lengths, so only same-length buffers are
            // compared; a memcmp is cheaper than hashing the whole buffer.
            let same_len = c.by_len.entry(data.len()).or_default();
            if let Some(&i) = same_len.iter().find(|&&i| {
                let b = &c.buffers[i];
                b.as_ptr() == data.as_ptr() || b == data
            }) {
                return Some(i as u64);
            }
            same_len.push(index);
        }
        c.buffers.push(data.clone());
        Some(index as u64)
    })
}

/// Runs `f` with a fresh collector and returns what it collected.
pub(crate) fn collecting<T>(dedup: Dedup, f: impl FnOnce() -> T) -> (T, Vec<Bytes>) {
    let (out, collector) = collecting_into(Collector::new(dedup), f);
    (out, collector.buffers)
}

/// Runs `f` collecting into `collector` (which goes on from what it holds)
/// and gives it back.
pub(crate) fn collecting_into<T>(collector: Collector, f: impl FnOnce() -> T) -> (T, Collector) {
    let previous = COLLECTOR.with(|c| c.borrow_mut().replace(collector));
    let out = f();
    let collected = COLLECTOR.with(|c| std::mem::replace(&mut *c.borrow_mut(), previous));
    let collector = collected.unwrap_or_else(|| Collector::new(Dedup::No));
    (out, collector)
}

/// Looks up buffer `index` of the active decode table.
pub(crate) fn resolve(index: u64) -> Result<Bytes, String> {
    TABLE.with(|t| match t.borrow().as_ref() {
        None => Err("binary placeholder outside a frame or file".to_owned()),
        Some(table) => usize::try_from(index)
            .ok()
            .and_then(|i| table.get(i))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "binary placeholder index {index} out of range ({} buffers)",
                    table.len()
                )
            }),
    })
}

/// Runs `f` with `table` as the decode table.
pub(crate) fn with_table<T>(table: Vec<Bytes>, f: impl FnOnce() -> T) -> T {
    let previous = TABLE.with(|t| t.borrow_mut().replace(table));
    let out = f();
    TABLE.with(|t| *t.borrow_mut() = previous);
    out
}

/// The byte lengths of what the active collector holds so far.
pub(crate) fn collected_lengths() -> Vec<usize> {
    COLLECTOR.with(|c| {
        c.borrow()
            .as_ref()
            .map(|c| c.buffers.iter().map(Bytes::len).collect())
            .unwrap_or_default()
    })
}

/// Whether a decode table is installed (placeholders can be resolved).
pub(crate) fn table_active() -> bool {
    TABLE.with(|t| t.borrow().is_some())
}
