//! The recorded timeline: [`Store`], its [`StoreConfig`] and [`MemoryStats`].
//!
//! The store keeps one slot per block. A slot's content can live in three
//! forms, any of which may be missing as long as the content is recoverable:
//!
//! - decoded step deltas (needed to record into the block),
//! - a decoded checkpoint (the state before the block's first step),
//! - the encoded block (the bytes sent to clients), in memory or spilled to
//!   a file.
//!
//! Two invariants keep everything recoverable: a slot's deltas are decoded
//! or in an encoded block of the same revision; a valid checkpoint is
//! decoded or in an encoded block of the same revision. Eviction therefore
//! encodes before it drops, and spills encoded bytes before it drops them.
//!
//! Blocks hold at most `block_size` steps, and a block whose decoded steps
//! pass `max_block_bytes` splits in two at a step boundary (see
//! [`BlockLayout`]): a heavy timeline gets short blocks, a light one keeps
//! whole ones. A split renumbers every later block, so it is reported as a
//! layout change ([`Changes::layout_changed`]).
//!
//! Checkpoints are valid for blocks `0..valid_checkpoints`. An edit in block
//! `k` lowers that mark to `k + 1`; the next read of a later block folds the
//! checkpoints forward from the mark, one block at a time. A recomputed
//! checkpoint equal to the one it replaces (when that one is still decoded)
//! keeps its revision, so its block's encoding stays valid.
//!
//! Retention: [`Store::retire_before`] drops whole blocks from the front
//! of a long recording (a live stream kept to its last minutes). Blocks
//! `0..retired` are then tombstones: their slots stay, so indices and
//! steps keep their numbers, but their content is gone and reads and
//! edits of their steps are refused ([`StoreError::Retired`]). The first
//! kept block's checkpoint is computed before the drop and stays valid,
//! since no edit can reach a block before it.
//!
//! Revisions: one counter stamps every recorded write, and a block's deltas
//! carry the revision of their last write. A checkpoint's revision is the
//! newest deltas revision before it. A block's revision, the larger of its
//! two, therefore grows with every change of the block, and entry revisions
//! depend only on the order of recording.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use crate::block::{Block, Deltas};
use crate::changes::Changes;
use crate::compression::Compression;
use crate::delta::StepDelta;
use crate::error::{DecodeError, StoreError};
use crate::key::{Key, NodeName, Op};
use crate::layout::BlockLayout;
use crate::overrides::Overrides;
use crate::payload::Payload;
use crate::spill::{SpillDir, SpillFile};
use crate::state::State;
use crate::wire::{self, BlockMeta};

/// The most steps a timeline may have: 2^24, over three days at 60 steps a
/// second. Every block costs a little memory even when empty, so a bound
/// keeps a mistaken step count an error instead of an out-of-memory abort.
pub const MAX_STEPS: u32 = 1 << 24;

/// The default byte limit of a block's steps: a few MiB, so one block is
/// quick to fetch over a network and cheap to cache whatever a step weighs.
pub const DEFAULT_MAX_BLOCK_BYTES: usize = 4 << 20;

/// How a [`Store`] groups steps and how much memory it may keep.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    block_size: u32,
    max_block_bytes: usize,
    defer_encoding: bool,
    budget_bytes: usize,
    spill_dir: Option<PathBuf>,
    compression: Compression,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            block_size: 32,
            max_block_bytes: DEFAULT_MAX_BLOCK_BYTES,
            defer_encoding: false,
            budget_bytes: 256 << 20,
            spill_dir: None,
            compression: Compression::default(),
        }
    }
}

impl StoreConfig {
    /// Steps per block (default 32). Larger blocks mean fewer fetches and
    /// larger ones; a seek folds at most this many steps.
    pub fn block_size(mut self, steps: u32) -> Self {
        self.block_size = steps;
        self
    }

    /// Bytes of recorded steps a block may hold before it splits (default
    /// [`DEFAULT_MAX_BLOCK_BYTES`], counted as the decoded steps' size,
    /// which is their packed payloads plus a little bookkeeping). A single
    /// step heavier than this is a block of its own.
    pub fn max_block_bytes(mut self, bytes: usize) -> Self {
        self.max_block_bytes = bytes;
        self
    }

    /// Leaves the encoding that memory pressure calls for to the owner
    /// (default: off, the store encodes inline). Past the budget the store
    /// then only drops what is already encoded and spills; the blocks that
    /// need encoding first come from [`Store::take_encode_jobs`], so a
    /// server compresses them on other cores while its recording thread
    /// goes on. Past twice the budget the store encodes inline again, so
    /// memory stays bounded however far the encoders fall behind.
    pub fn defer_encoding(mut self, defer: bool) -> Self {
        self.defer_encoding = defer;
        self
    }

    /// Bytes of decoded and encoded blocks kept in memory (default 256 MiB).
    /// Past it, least recently used blocks are encoded, then spilled.
    pub fn budget_bytes(mut self, bytes: usize) -> Self {
        self.budget_bytes = bytes;
        self
    }

    /// Directory in which the store creates its private spill directory
    /// (default: the system's temporary directory). Ignored on wasm32.
    pub fn spill_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spill_dir = Some(dir.into());
        self
    }

    /// How block sections are compressed (default zstd level 1).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// How block sections are compressed.
    pub fn get_compression(&self) -> Compression {
        self.compression
    }

    /// Steps per block.
    pub fn get_block_size(&self) -> u32 {
        self.block_size
    }

    /// The byte limit of a block's steps.
    pub fn get_max_block_bytes(&self) -> usize {
        self.max_block_bytes
    }

    /// The memory budget in bytes.
    pub fn get_budget_bytes(&self) -> usize {
        self.budget_bytes
    }
}

/// Where a store's bytes are, at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryStats {
    /// The configured budget.
    pub budget_bytes: usize,
    /// Everything counted against the budget.
    pub resident_bytes: usize,
    /// Decoded deltas and checkpoints (approximate, from [`Payload::size_bytes`]).
    pub decoded_bytes: usize,
    /// Encoded blocks held in memory.
    pub encoded_bytes: usize,
    /// Encoded blocks on disk.
    pub spilled_bytes: usize,
    /// Number of blocks with a file on disk.
    pub spilled_blocks: usize,
    /// The spill directory, once created.
    pub spill_dir: Option<PathBuf>,
}

/// A recorded timeline, grouped into blocks.
///
/// Record ops into steps with [`Store::record`] (any step, in any order),
/// then read the state at a step ([`Store::state_at`]), a decoded block
/// ([`Store::block`]) or its encoded bytes ([`Store::encoded_block`]).
/// Reads take `&mut self` because they fill caches and may evict others.
#[derive(Debug)]
pub struct Store<P> {
    config: StoreConfig,
    /// Where each slot's steps start; always one start per slot.
    layout: BlockLayout,
    slots: Vec<Slot<P>>,
    /// Blocks `0..valid_checkpoints` have an up-to-date checkpoint.
    valid_checkpoints: usize,
    overrides: Arc<Overrides<P>>,
    last_rev: u64,
    tick: u64,
    resident_bytes: usize,
    spill: Option<SpillDir>,
    /// Set when spilling is impossible here (wasm32), or failed once (an
    /// unwritable or full spill directory): then everything stays in memory.
    spill_unavailable: bool,
    /// Why spilling failed, until the owner takes it.
    spill_error: Option<StoreError>,
    /// Blocks handed out by [`Store::take_encode_jobs`] and not installed.
    encoding_out: std::collections::BTreeSet<usize>,
    /// Blocks `0..retired` were dropped by [`Store::retire_before`].
    retired: usize,
    changes: Changes,
}

/// One block's storage. Its decoded `deltas` may be shorter than the block:
/// the steps past its end are empty, so an empty timeline costs no memory
/// per step.
#[derive(Debug)]
struct Slot<P> {
    deltas_rev: u64,
    /// Revision of the current checkpoint, meaningful while it is valid.
    checkpoint_rev: u64,
    deltas: Option<Arc<Vec<StepDelta<P>>>>,
    deltas_bytes: usize,
    /// A decoded checkpoint and the revision it was computed as (stale when
    /// that is not `checkpoint_rev` or the checkpoint is invalid).
    checkpoint: Option<(u64, Arc<State<P>>)>,
    checkpoint_bytes: usize,
    packed: Option<Packed>,
    last_used: u64,
}

/// An encoded block, in memory, on disk, or both.
#[derive(Debug)]
struct Packed {
    /// The block's place when it was encoded (its header says it): a split
    /// before it moves the block, and its header must then be rewritten.
    place: (u32, u32, u32),
    deltas_rev: u64,
    checkpoint_rev: Option<u64>,
    resident: Option<Bytes>,
    file: Option<SpillFile>,
}

impl<P> Slot<P> {
    /// An empty block: no step allocated until one is recorded into.
    fn new(deltas_rev: u64) -> Self {
        Self {
            deltas_rev,
            checkpoint_rev: 0,
            deltas_bytes: 0,
            deltas: Some(Arc::new(Vec::new())),
            checkpoint: None,
            checkpoint_bytes: 0,
            packed: None,
            last_used: 0,
        }
    }

    fn resident_bytes(&self) -> usize {
        self.decoded_bytes() + self.encoded_bytes()
    }

    fn decoded_bytes(&self) -> usize {
        let deltas = if self.deltas.is_some() {
            self.deltas_bytes
        } else {
            0
        };
        let checkpoint = if self.checkpoint.is_some() {
            self.checkpoint_bytes
        } else {
            0
        };
        deltas + checkpoint
    }

    fn encoded_bytes(&self) -> usize {
        self.packed
            .as_ref()
            .and_then(|p| p.resident.as_ref())
            .map_or(0, Bytes::len)
    }
}

fn check_num_steps(num_steps: u32) -> Result<(), StoreError> {
    if num_steps > MAX_STEPS {
        return Err(StoreError::TooManySteps {
            num_steps,
            max: MAX_STEPS,
        });
    }
    Ok(())
}

fn deltas_bytes<P>(deltas: &[StepDelta<P>]) -> usize {
    deltas
        .iter()
        .map(|d| size_of::<StepDelta<P>>() + d.approx_bytes())
        .sum()
}

/// A block ready to send, or the work of encoding it: see
/// [`Store::encoded_block_or_job`].
#[derive(Debug)]
pub enum Encoding<P> {
    /// The cached encoding.
    Ready {
        /// The encoded block (shared, not copied).
        bytes: Bytes,
        /// Its revision, as [`Store::block_revision`] gives it.
        revision: u64,
    },
    /// Encoding is needed: run it, then [`Store::install_encoded`].
    Job(BlockJob<P>),
}

/// The inputs of one block's encoding (msgpack, then zstd where it pays),
/// shared with the store, not copied: [`BlockJob::run`] needs no access to
/// the store, so it can run on another thread while the store serves reads
/// and takes edits.
#[derive(Debug)]
pub struct BlockJob<P> {
    meta: BlockMeta,
    compression: Compression,
    checkpoint_valid: bool,
    /// The previous encoding, when one of its sections is still current.
    old: Option<Bytes>,
    reuse_deltas: bool,
    reuse_checkpoint: bool,
    deltas: Option<Arc<Vec<StepDelta<P>>>>,
    checkpoint: Option<Arc<State<P>>>,
}

/// A finished [`BlockJob`], for [`Store::install_encoded`].
#[derive(Debug)]
pub struct EncodedBlock {
    meta: BlockMeta,
    checkpoint_rev: Option<u64>,
    bytes: Bytes,
}

impl EncodedBlock {
    /// The block's index.
    pub fn index(&self) -> u32 {
        self.meta.index
    }

    /// The encoded bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }
}

impl<P: Payload> BlockJob<P> {
    /// The block's index.
    pub fn index(&self) -> u32 {
        self.meta.index
    }

    /// The revision the encoded block will carry.
    pub fn revision(&self) -> u64 {
        self.meta.deltas_rev.max(self.meta.checkpoint_rev)
    }

    /// Encodes the block.
    pub fn run(self) -> Result<EncodedBlock, StoreError> {
        let k = self.meta.index as usize;
        let lost = || Store::<P>::lost(k);
        let old = match &self.old {
            Some(bytes) => Some(wire::read_header(bytes).map_err(Store::<P>::corrupt(k))?),
            None => None,
        };
        let fresh_deltas;
        let deltas = match (&old, &self.deltas) {
            (Some(header), _) if self.reuse_deltas => header.deltas,
            (_, Some(deltas)) => {
                fresh_deltas = wire::deltas_section(deltas, self.meta.num_steps, self.compression)?;
                fresh_deltas.as_ref()
            }
            (_, None) => return Err(lost()),
        };
        let fresh_checkpoint;
        let checkpoint = match (&old, &self.checkpoint) {
            _ if !self.checkpoint_valid => None,
            (Some(header), _) if self.reuse_checkpoint => Some(header.checkpoint.ok_or_else(lost)?),
            (_, Some(state)) => {
                fresh_checkpoint = wire::checkpoint_section(state, self.compression)?;
                Some(fresh_checkpoint.as_ref())
            }
            (_, None) => return Err(lost()),
        };
        let bytes = Bytes::from(wire::assemble(self.meta, checkpoint, deltas)?);
        Ok(EncodedBlock {
            meta: self.meta,
            checkpoint_rev: checkpoint.map(|_| self.meta.checkpoint_rev),
            bytes,
        })
    }
}

impl<P: Payload> Store<P> {
    /// An empty timeline of `num_steps` steps with the default configuration.
    pub fn new(num_steps: u32) -> Result<Self, StoreError> {
        Self::with_config(num_steps, StoreConfig::default())
    }

    /// An empty timeline of `num_steps` steps.
    pub fn with_config(num_steps: u32, config: StoreConfig) -> Result<Self, StoreError> {
        if config.block_size == 0 {
            return Err(StoreError::InvalidConfig("block_size must be at least 1"));
        }
        check_num_steps(num_steps)?;
        let mut store = Self::empty(config);
        store.build_slots(num_steps);
        Ok(store)
    }

    fn empty(config: StoreConfig) -> Self {
        Self {
            config,
            layout: BlockLayout::default(),
            slots: Vec::new(),
            valid_checkpoints: 1,
            overrides: Arc::new(Overrides::new()),
            last_rev: 0,
            tick: 0,
            resident_bytes: 0,
            spill: None,
            spill_unavailable: false,
            spill_error: None,
            encoding_out: std::collections::BTreeSet::new(),
            retired: 0,
            changes: Changes::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// Steps in the timeline.
    pub fn num_steps(&self) -> u32 {
        self.layout.num_steps()
    }

    /// The first step kept: 0, or the first step of the oldest block that
    /// [`Store::retire_before`] kept.
    pub fn first_step(&self) -> u32 {
        match self.retired {
            0 => 0,
            k => self.layout.steps(k as u32).start,
        }
    }

    /// Blocks dropped from the front (`0..retired_blocks()` hold nothing).
    pub fn retired_blocks(&self) -> u32 {
        self.retired as u32
    }

    /// Drops every block before the one holding `step`, with everything
    /// recorded in them, to bound a long recording's memory and disk; steps
    /// keep their numbers. Steps before [`Store::first_step`] are refused
    /// from then on. Returns the first step kept. The kept block's
    /// checkpoint (the state its first step starts from) is computed first,
    /// which may read spilled blocks; nothing is dropped if that fails.
    pub fn retire_before(&mut self, step: u32) -> Result<u32, StoreError> {
        let k = self.block_of(step.max(self.first_step()))? as usize;
        if k <= self.retired {
            return Ok(self.first_step());
        }
        self.compute_checkpoints(k)?;
        self.load_checkpoint(k)?;
        for j in self.retired..k {
            self.encoding_out.remove(&j);
            let slot = &mut self.slots[j];
            self.resident_bytes = self.resident_bytes.saturating_sub(slot.resident_bytes());
            let file = slot.packed.take().and_then(|p| p.file);
            slot.deltas = None;
            slot.deltas_bytes = 0;
            slot.checkpoint = None;
            slot.checkpoint_bytes = 0;
            if let (Some(spill), Some(file)) = (&self.spill, file) {
                spill.remove(file);
            }
        }
        self.retired = k;
        // No block's content changed: a layout change (a new first step)
        // says it all, and the kept blocks' encodings stay valid.
        self.changes.set_layout();
        Ok(self.first_step())
    }

    /// Where every block starts.
    pub fn layout(&self) -> &BlockLayout {
        &self.layout
    }

    /// The most steps a block holds (heavy blocks hold fewer).
    pub fn block_size(&self) -> u32 {
        self.config.block_size
    }

    /// Blocks in the timeline.
    pub fn num_blocks(&self) -> u32 {
        self.slots.len() as u32
    }

    /// The block holding `step`.
    pub fn block_of(&self, step: u32) -> Result<u32, StoreError> {
        self.check_step(step)?;
        self.layout
            .block_of(step)
            .ok_or_else(|| self.step_out_of_range(step))
    }

    /// The steps of block `index` (empty past the last block). Callers ask
    /// the store instead of multiplying by the block size, so the store
    /// alone decides where blocks start.
    pub fn block_steps(&self, index: u32) -> std::ops::Range<u32> {
        self.layout.steps(index)
    }

    /// The blocks holding any of `steps`, as an inclusive range; steps past
    /// the end count as the last step (the last block carries what runs
    /// past the timeline, such as the tail of an audio track). `None` for
    /// an empty timeline or range.
    pub fn blocks_of_steps(
        &self,
        steps: std::ops::Range<u32>,
    ) -> Option<std::ops::RangeInclusive<u32>> {
        self.layout.blocks_of_steps(steps)
    }

    /// Records one op into `step`, after the ops already there.
    pub fn record(&mut self, step: u32, op: Op<P>) -> Result<(), StoreError> {
        self.record_all(step, std::iter::once(op))
    }

    /// Records ops into `step`, in order.
    pub fn record_all(
        &mut self,
        step: u32,
        ops: impl IntoIterator<Item = Op<P>>,
    ) -> Result<(), StoreError> {
        self.edit_step(step, |delta, rev| {
            for op in ops {
                delta.record(op, rev());
            }
        })
    }

    /// Records the steps of `block` (one this store's format encoded,
    /// perhaps by another store) into the same steps here, each step's ops
    /// in their normal order: removals, then puts. With `from_checkpoint`
    /// the block's checkpoint is recorded into its first step too, for the
    /// first block of a timeline loaded from its middle. Steps past this
    /// store's end are left out. Loading blocks in order into an empty
    /// store gives the timeline they came from.
    pub fn load_block(
        &mut self,
        block: &Block<P>,
        from_checkpoint: bool,
    ) -> Result<(), StoreError> {
        let steps = block.first_step()..block.steps().end.min(self.num_steps());
        for step in steps {
            let delta = block.delta(step).map_err(|e| StoreError::Load {
                step,
                reason: e.to_string(),
            })?;
            let checkpoint = (from_checkpoint && step == block.first_step())
                .then(|| block.checkpoint().scene().iter())
                .into_iter()
                .flatten()
                .map(|(key, entry)| Op::Put(key.to_key(), entry.value.clone()));
            let removed = delta.removed().iter().cloned().map(Op::RemoveNode);
            let puts = delta
                .puts()
                .iter()
                .map(|(key, entry)| Op::Put(key.to_key(), entry.value.clone()));
            self.record_all(step, checkpoint.chain(removed).chain(puts))?;
            for event in delta.audio() {
                self.record_audio(step, event.clone())?;
            }
        }
        Ok(())
    }

    /// Records `Put(key, value)` into `step`.
    pub fn put(&mut self, step: u32, key: Key, value: P) -> Result<(), StoreError> {
        self.record(step, Op::Put(key, value))
    }

    /// Records the removal of a node (and its subtree) into `step`.
    pub fn remove_node(&mut self, step: u32, name: NodeName) -> Result<(), StoreError> {
        self.record(step, Op::RemoveNode(name))
    }

    /// Appends an audio event to `step`.
    pub fn record_audio(&mut self, step: u32, event: P) -> Result<(), StoreError> {
        self.edit_step(step, |delta, _| delta.push_audio(event))
    }

    fn edit_step(
        &mut self,
        step: u32,
        edit: impl FnOnce(&mut StepDelta<P>, &mut dyn FnMut() -> u64),
    ) -> Result<(), StoreError> {
        let k = self.block_of(step)? as usize;
        let offset = (step - self.layout.steps(k as u32).start) as usize;
        self.ensure_deltas(k)?;
        let mut last_rev = self.last_rev;
        let slot = &mut self.slots[k];
        let Some(deltas) = slot.deltas.as_mut() else {
            return Err(Self::lost(k));
        };
        // Steps past the end of a block's vector are empty (see `Slot`).
        let deltas = Arc::make_mut(deltas);
        let grown_bytes = (offset + 1).saturating_sub(deltas.len()) * size_of::<StepDelta<P>>();
        if deltas.len() <= offset {
            deltas.resize_with(offset + 1, StepDelta::new);
        }
        // A step usually touches as many nodes as the one before it: size
        // its map once instead of growing it through every power of two.
        let previous_nodes = offset
            .checked_sub(1)
            .and_then(|p| deltas.get(p))
            .map_or(0, |d| d.puts.nodes.len());
        let Some(delta) = deltas.get_mut(offset) else {
            return Err(Self::lost(k));
        };
        if delta.puts.nodes.capacity() == 0 {
            delta.puts.nodes.reserve(previous_nodes);
        }
        let before = delta.approx_bytes();
        edit(delta, &mut || {
            last_rev += 1;
            last_rev
        });
        let after = delta.approx_bytes() + grown_bytes;
        last_rev += 1;
        slot.deltas_rev = last_rev;
        self.last_rev = last_rev;
        slot.deltas_bytes = (slot.deltas_bytes + after).saturating_sub(before);
        self.resident_bytes = (self.resident_bytes + after).saturating_sub(before);
        self.valid_checkpoints = self.valid_checkpoints.min(k + 1);
        self.changes.edit(k as u32);
        self.touch(k);
        self.split_heavy(k);
        self.enforce_budget(&[k]);
        Ok(())
    }

    /// Splits block `k` while its decoded steps pass the byte limit, each
    /// time before the first step that takes it over (a step heavier than
    /// the limit alone becomes a block of its own).
    fn split_heavy(&mut self, mut k: usize) {
        let max = self.config.max_block_bytes;
        // What the steps hold, not how they are held (a block decoded from
        // its encoding has every step allocated; one being recorded only
        // those up to the last written), so a recording splits the same
        // whatever the memory budget did to it.
        // `deltas_bytes` (content plus bookkeeping) bounds the content from
        // above: under the limit, nothing to count, so a light recording
        // pays one comparison an edit, not a walk over its block.
        while let Some(slot) = self.slots.get(k)
            && slot.deltas_bytes > max
            && let Some(deltas) = &slot.deltas
        {
            let mut sum = 0usize;
            let over = deltas.iter().position(|d| {
                sum = sum.saturating_add(d.approx_bytes());
                sum > max
            });
            // Trailing empty steps are not content either.
            let recorded = deltas
                .iter()
                .rposition(|d| !d.is_empty())
                .map_or(0, |i| i + 1);
            let cut = match over {
                Some(i) if i.max(1) < recorded => i.max(1),
                _ => return,
            };
            let first = self.layout.steps(k as u32).start;
            if !self.layout.split(k as u32, first + cut as u32) {
                return;
            }
            self.last_rev += 1;
            let head_rev = self.last_rev;
            self.last_rev += 1;
            let tail_rev = self.last_rev;
            let mut tail = Vec::new();
            self.account(k, |slot| {
                if let Some(deltas) = slot.deltas.as_mut() {
                    tail = Arc::make_mut(deltas).split_off(cut);
                    slot.deltas_bytes = deltas_bytes(deltas);
                }
                slot.deltas_rev = head_rev;
            });
            let mut slot = Slot::new(tail_rev);
            slot.deltas_bytes = deltas_bytes(&tail);
            slot.deltas = Some(Arc::new(tail));
            slot.last_used = self.slots[k].last_used;
            self.resident_bytes += slot.resident_bytes();
            self.slots.insert(k + 1, slot);
            // Jobs out name blocks by index; those indices moved. A job
            // that comes back is checked against the block's place anyway.
            self.encoding_out.clear();
            self.valid_checkpoints = self.valid_checkpoints.min(k + 1);
            // Every later block has a new index.
            for index in k..self.slots.len() {
                self.changes.edit(index as u32);
            }
            self.changes.set_layout();
            k += 1;
        }
    }

    /// Grows or shrinks the timeline to `num_steps` steps. Steps added are
    /// empty (the last block grows up to `block_size` steps, then new
    /// blocks follow); steps cut are dropped with everything recorded in
    /// them.
    pub fn set_steps(&mut self, num_steps: u32) -> Result<(), StoreError> {
        check_num_steps(num_steps)?;
        let old_steps = self.num_steps();
        if num_steps == old_steps {
            return Ok(());
        }
        if self.retired > 0 && num_steps <= self.first_step() {
            return Err(StoreError::Retired {
                step: num_steps.saturating_sub(1),
                first_step: self.first_step(),
            });
        }
        let bs = self.config.block_size;
        // The block that changes length: when shrinking, the one that will
        // be last, unless it ends there already; when growing, the last one,
        // if shorter than a whole block. Decode it first: that may fail,
        // and nothing has changed yet then.
        let resized = if num_steps < old_steps {
            num_steps
                .checked_sub(1)
                .and_then(|s| self.layout.block_of(s))
                .filter(|&k| self.layout.steps(k).end != num_steps)
        } else {
            self.num_blocks()
                .checked_sub(1)
                .filter(|&k| self.layout.steps(k).len() < bs as usize)
        }
        .map(|k| k as usize);
        if let Some(k) = resized {
            self.ensure_deltas(k)?;
        }
        while self.layout.starts().last().is_some_and(|&s| s >= num_steps) {
            self.drop_slot(self.slots.len() - 1);
        }
        if let Some(k) = resized {
            let start = self.layout.steps(k as u32).start;
            let end = num_steps.min(start + bs);
            self.layout.set_end(end);
            let len = (end - start) as usize;
            let Some(deltas) = self.slots[k].deltas.as_mut() else {
                return Err(Self::lost(k));
            };
            if deltas.len() > len {
                Arc::make_mut(deltas).truncate(len);
            }
            let bytes = deltas_bytes(deltas);
            self.last_rev += 1;
            let rev = self.last_rev;
            self.account(k, |slot| {
                slot.deltas_bytes = bytes;
                slot.deltas_rev = rev;
            });
            self.changes.edit(k as u32);
        }
        while self.num_steps() < num_steps {
            let end = num_steps.min(self.num_steps() + bs);
            self.layout.push(end);
            self.push_slot(self.slots.len());
        }
        self.valid_checkpoints = self.valid_checkpoints.min(self.slots.len().max(1));
        self.changes.set_num_steps();
        self.enforce_budget(&[]);
        Ok(())
    }

    /// Empties every step and drops the overrides; the number of steps stays.
    pub fn clear(&mut self) {
        let num_steps = self.num_steps();
        let split = self.layout != BlockLayout::fixed(num_steps, self.config.block_size)
            || self.retired > 0;
        for k in (0..self.slots.len()).rev() {
            self.drop_slot(k);
        }
        if !self.overrides.is_empty() {
            self.overrides = Arc::new(Overrides::new());
            self.changes.set_overrides();
        }
        self.build_slots(num_steps);
        if split {
            // Whole blocks again, from step 0: indices tabs hold mean
            // other steps.
            self.changes.set_layout();
        }
    }

    fn build_slots(&mut self, num_steps: u32) {
        self.layout = BlockLayout::fixed(num_steps, self.config.block_size);
        self.valid_checkpoints = 1;
        self.retired = 0;
        for k in 0..self.layout.num_blocks() as usize {
            self.push_slot(k);
        }
    }

    fn push_slot(&mut self, k: usize) {
        self.last_rev += 1;
        let slot = Slot::new(self.last_rev);
        self.resident_bytes += slot.resident_bytes();
        self.slots.push(slot);
        self.changes.edit(k as u32);
    }

    fn drop_slot(&mut self, k: usize) {
        if k + 1 != self.slots.len() {
            return;
        }
        let Some(slot) = self.slots.pop() else {
            return;
        };
        self.encoding_out.remove(&k);
        self.layout.pop();
        self.resident_bytes = self.resident_bytes.saturating_sub(slot.resident_bytes());
        if let (Some(spill), Some(file)) = (&self.spill, slot.packed.and_then(|p| p.file)) {
            spill.remove(file);
        }
        self.changes.edit(k as u32);
    }

    /// The overrides applied on top of every step.
    pub fn overrides(&self) -> &Arc<Overrides<P>> {
        &self.overrides
    }

    /// Changes the overrides (copy on write when a cursor shares them).
    pub fn overrides_mut(&mut self) -> &mut Overrides<P> {
        self.changes.set_overrides();
        Arc::make_mut(&mut self.overrides)
    }

    /// What changed since the last call.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    /// The timeline's state at `step` (without overrides).
    pub fn state_at(&mut self, step: u32) -> Result<State<P>, StoreError> {
        let k = self.block_of(step)?;
        let block = self.block(k)?;
        block
            .state_at(step)
            .map_err(|_| StoreError::StepOutOfRange {
                step,
                num_steps: self.num_steps(),
            })
    }

    /// The state at `step` as a viewer shows it: with the overrides applied.
    pub fn shown_state_at(&mut self, step: u32) -> Result<State<P>, StoreError> {
        let state = self.state_at(step)?;
        Ok(self.overrides.apply_to(&state))
    }

    /// Block `index`, decoded: its checkpoint (computed if needed) and deltas.
    pub fn block(&mut self, index: u32) -> Result<Block<P>, StoreError> {
        let k = self.check_block(index)?;
        let checkpoint = self.checkpoint(k)?;
        self.ensure_deltas(k)?;
        let len = self.meta(k).num_steps as usize;
        let slot = &mut self.slots[k];
        let Some(deltas) = slot.deltas.as_mut() else {
            return Err(Self::lost(k));
        };
        if deltas.len() < len {
            // A block hands out every step: allocate the empty ones now.
            let grown = (len - deltas.len()) * size_of::<StepDelta<P>>();
            Arc::make_mut(deltas).resize_with(len, StepDelta::new);
            slot.deltas_bytes += grown;
            self.resident_bytes += grown;
        }
        let deltas = deltas.clone();
        let block = Block {
            meta: self.meta(k),
            checkpoint,
            deltas: Deltas::Decoded(deltas),
        };
        self.touch(k);
        self.enforce_budget(&[k]);
        Ok(block)
    }

    /// The state at `step` as a block of its own: one step, whose
    /// checkpoint is the folded state at `step` and whose delta is empty,
    /// with the index and revision of the block holding `step`. A viewer
    /// jumping to `step` shows it at the cost of one state instead of a
    /// whole block, and a cursor moved with it steps on into the real
    /// block (same index and revision) by that block's deltas.
    pub fn state_block(&mut self, step: u32) -> Result<Block<P>, StoreError> {
        let k = self.block_of(step)? as usize;
        let block = self.block(k as u32)?;
        let state = block
            .state_at(step)
            .map_err(|_| self.step_out_of_range(step))?;
        let meta = BlockMeta {
            first_step: step,
            num_steps: 1,
            ..block.meta
        };
        Ok(Block {
            meta,
            checkpoint: Arc::new(state),
            deltas: Deltas::Decoded(Arc::new(vec![StepDelta::new()])),
        })
    }

    /// Block `index`, encoded for sending. Encoded once and cached until the
    /// block changes; the bytes are shared, not copied.
    pub fn encoded_block(&mut self, index: u32) -> Result<Bytes, StoreError> {
        let k = self.check_block(index)?;
        self.compute_checkpoints(k)?;
        if !self.packed_complete(k) {
            self.pack(k)?;
        }
        let bytes = self.packed_bytes(k)?;
        self.touch(k);
        self.enforce_budget(&[k]);
        Ok(bytes)
    }

    /// Block `index`, encoded, when the store has it ready; else the work of
    /// encoding it as a [`BlockJob`] that runs without the store (on another
    /// thread, while the store goes on serving). Hand the job's result to
    /// [`Store::install_encoded`].
    pub fn encoded_block_or_job(&mut self, index: u32) -> Result<Encoding<P>, StoreError> {
        let k = self.check_block(index)?;
        self.compute_checkpoints(k)?;
        if !self.packed_complete(k) {
            return Ok(Encoding::Job(self.plan_pack(k)?));
        }
        let bytes = self.packed_bytes(k)?;
        let slot = &self.slots[k];
        let revision = slot.deltas_rev.max(slot.checkpoint_rev);
        self.touch(k);
        self.enforce_budget(&[k]);
        Ok(Encoding::Ready { bytes, revision })
    }

    /// Caches a finished [`BlockJob`] and returns its bytes, if the block is
    /// still what the job encoded and the bytes can be sent; `None` if it
    /// changed meanwhile, or if the encoding lacks the checkpoint a tab
    /// needs (ask again with [`Store::encoded_block_or_job`]).
    pub fn install_encoded(&mut self, encoded: EncodedBlock) -> Option<Bytes> {
        let k = encoded.meta.index as usize;
        self.encoding_out.remove(&k);
        let slot = self.slots.get(k)?;
        if k < self.retired || self.meta(k) != encoded.meta {
            // Retired while it was encoded: its content is gone on purpose.
            return None;
        }
        // Sent to tabs: with the current checkpoint. Kept only to free
        // memory (from `take_encode_jobs`, for a block whose checkpoint is
        // not computed yet): without one, never handed out as sendable.
        let sendable =
            k < self.valid_checkpoints && encoded.checkpoint_rev == Some(slot.checkpoint_rev);
        let memory_only = k >= self.valid_checkpoints && encoded.checkpoint_rev.is_none();
        if !(sendable || memory_only) {
            return None;
        }
        let bytes = self.install_packed(encoded);
        self.touch(k);
        // A block about to be sent stays; one encoded to free memory may
        // go at once.
        let pinned = if sendable { vec![k] } else { Vec::new() };
        self.enforce_budget(&pinned);
        sendable.then_some(bytes)
    }

    /// With [`StoreConfig::defer_encoding`]: the encodings that would bring
    /// memory back under the budget, least recently used blocks first, at
    /// most `max` (none while under the budget, and none for a block whose
    /// job is still out). Run each and hand it to
    /// [`Store::install_encoded`]; the store then drops the decoded forms.
    pub fn take_encode_jobs(&mut self, max: usize) -> Vec<BlockJob<P>> {
        // Under the budget (while recording, almost every call): nothing
        // to hand out, whatever is out already.
        if self.resident_bytes <= self.config.budget_bytes || !self.config.defer_encoding {
            return Vec::new();
        }
        // What the jobs already out will free counts as freed.
        let out: usize = self
            .encoding_out
            .iter()
            .filter_map(|&k| self.slots.get(k))
            .map(Slot::decoded_bytes)
            .sum();
        let over = self
            .resident_bytes
            .saturating_sub(self.config.budget_bytes)
            .saturating_sub(out);
        if over == 0 || !self.config.defer_encoding {
            return Vec::new();
        }
        let mut candidates: Vec<usize> = (0..self.slots.len())
            .filter(|&k| {
                !self.encoding_out.contains(&k)
                    && self.slots[k].decoded_bytes() > 0
                    && self.needs_pack_to_demote(k)
            })
            .collect();
        candidates.sort_by_key(|&k| self.slots[k].last_used);
        let mut jobs = Vec::new();
        let mut freed = 0;
        for k in candidates {
            if jobs.len() >= max || freed >= over {
                break;
            }
            match self.plan_pack(k) {
                Ok(job) => {
                    freed += self.slots[k].decoded_bytes();
                    self.encoding_out.insert(k);
                    jobs.push(job);
                }
                Err(error) => {
                    self.spill_error.get_or_insert(error);
                }
            }
        }
        jobs
    }

    /// A job from [`Store::take_encode_jobs`] that will not be installed
    /// (it failed): the block may be handed out again.
    pub fn abandon_encoding(&mut self, index: u32) {
        self.encoding_out.remove(&(index as usize));
    }

    /// Whether block `k` holds decoded forms that only an encoding can
    /// replace.
    fn needs_pack_to_demote(&self, k: usize) -> bool {
        let slot = &self.slots[k];
        let current_checkpoint = k < self.valid_checkpoints && self.decoded_checkpoint(k).is_some();
        !self.packed_complete(k) && (slot.deltas.is_some() || current_checkpoint)
    }

    /// The revision of block `index` (computing its checkpoint if needed):
    /// equal revisions mean equal blocks.
    pub fn block_revision(&mut self, index: u32) -> Result<u64, StoreError> {
        let k = self.check_block(index)?;
        self.compute_checkpoints(k)?;
        let slot = &self.slots[k];
        Ok(slot.deltas_rev.max(slot.checkpoint_rev))
    }

    /// Drops every in-memory encoded block whose content is also held
    /// decoded, and the spill files of those blocks. Nothing is lost; the
    /// next [`Store::encoded_block`] encodes again.
    pub fn drop_encoded_cache(&mut self) {
        for k in 0..self.slots.len() {
            let has_checkpoint =
                k == 0 || k >= self.valid_checkpoints || self.decoded_checkpoint(k).is_some();
            let slot = &mut self.slots[k];
            let resident = slot.packed.as_ref().is_some_and(|p| p.resident.is_some());
            if !(resident && slot.deltas.is_some() && has_checkpoint) {
                continue;
            }
            let freed = slot.encoded_bytes();
            if let (Some(spill), Some(file)) =
                (&self.spill, slot.packed.take().and_then(|p| p.file))
            {
                spill.remove(file);
            }
            self.resident_bytes = self.resident_bytes.saturating_sub(freed);
        }
    }

    /// Why the store could not spill to disk, once: from then on it keeps
    /// every block in memory, past its budget. Nothing recorded is lost.
    pub fn take_spill_error(&mut self) -> Option<StoreError> {
        self.spill_error.take()
    }

    /// Where the store's bytes are.
    pub fn memory(&self) -> MemoryStats {
        let mut stats = MemoryStats {
            budget_bytes: self.config.budget_bytes,
            resident_bytes: self.resident_bytes,
            decoded_bytes: 0,
            encoded_bytes: 0,
            spilled_bytes: 0,
            spilled_blocks: 0,
            spill_dir: self.spill.as_ref().map(|s| s.path().to_path_buf()),
        };
        // Retired blocks hold nothing: a long recording's tombstones are
        // not walked on every call.
        for slot in &self.slots[self.retired..] {
            stats.decoded_bytes += slot.decoded_bytes();
            stats.encoded_bytes += slot.encoded_bytes();
            if let Some(file) = slot.packed.as_ref().and_then(|p| p.file.as_ref()) {
                stats.spilled_bytes += file.len();
                stats.spilled_blocks += 1;
            }
        }
        stats
    }

    // ------------------------------------------------------------ internals

    fn check_step(&self, step: u32) -> Result<(), StoreError> {
        if step >= self.num_steps() {
            return Err(self.step_out_of_range(step));
        }
        if self.retired > 0 && step < self.first_step() {
            return Err(StoreError::Retired {
                step,
                first_step: self.first_step(),
            });
        }
        Ok(())
    }

    fn step_out_of_range(&self, step: u32) -> StoreError {
        StoreError::StepOutOfRange {
            step,
            num_steps: self.num_steps(),
        }
    }

    fn check_block(&self, index: u32) -> Result<usize, StoreError> {
        if (index as usize) < self.retired {
            return Err(StoreError::Retired {
                step: self.layout.steps(index).start,
                first_step: self.first_step(),
            });
        }
        if (index as usize) < self.slots.len() {
            return Ok(index as usize);
        }
        Err(StoreError::BlockOutOfRange {
            index,
            num_blocks: self.num_blocks(),
        })
    }

    fn meta(&self, k: usize) -> BlockMeta {
        let slot = &self.slots[k];
        let steps = self.layout.steps(k as u32);
        BlockMeta {
            index: k as u32,
            first_step: steps.start,
            num_steps: steps.end - steps.start,
            deltas_rev: slot.deltas_rev,
            checkpoint_rev: slot.checkpoint_rev,
        }
    }

    /// Index, first step and length of block `k`, as its header says them.
    fn place(&self, k: usize) -> (u32, u32, u32) {
        let meta = self.meta(k);
        (meta.index, meta.first_step, meta.num_steps)
    }

    /// An internal invariant broke: the block's content is nowhere.
    fn lost(k: usize) -> StoreError {
        StoreError::Corrupt {
            index: k as u32,
            source: DecodeError::MissingCheckpoint { index: k as u32 },
        }
    }

    fn touch(&mut self, k: usize) {
        self.tick += 1;
        self.slots[k].last_used = self.tick;
    }

    /// Adjusts the byte count around a change of one slot.
    fn account(&mut self, k: usize, change: impl FnOnce(&mut Slot<P>)) {
        let slot = &mut self.slots[k];
        let before = slot.resident_bytes();
        change(slot);
        let after = slot.resident_bytes();
        self.resident_bytes = (self.resident_bytes + after).saturating_sub(before);
    }

    /// The encoded block's bytes, read back from disk if spilled.
    fn packed_bytes(&mut self, k: usize) -> Result<Bytes, StoreError> {
        let Some(packed) = self.slots[k].packed.as_ref() else {
            return Err(Self::lost(k));
        };
        if let Some(bytes) = &packed.resident {
            return Ok(bytes.clone());
        }
        let (Some(spill), Some(file)) = (&self.spill, &packed.file) else {
            return Err(Self::lost(k));
        };
        let bytes = spill.read(file)?;
        let kept = bytes.clone();
        self.account(k, |slot| {
            if let Some(p) = slot.packed.as_mut() {
                p.resident = Some(kept);
            }
        });
        Ok(bytes)
    }

    fn corrupt(k: usize) -> impl FnOnce(DecodeError) -> StoreError {
        move |source| StoreError::Corrupt {
            index: k as u32,
            source,
        }
    }

    fn ensure_deltas(&mut self, k: usize) -> Result<(), StoreError> {
        let slot = &self.slots[k];
        if slot.deltas.is_some() {
            return Ok(());
        }
        let current = slot.packed.as_ref().map(|p| p.deltas_rev) == Some(slot.deltas_rev);
        if !current {
            return Err(Self::lost(k));
        }
        let num_steps = self.meta(k).num_steps;
        let bytes = self.packed_bytes(k)?;
        let header = wire::read_header(&bytes).map_err(Self::corrupt(k))?;
        let deltas = wire::decode_deltas(header.deltas, num_steps).map_err(Self::corrupt(k))?;
        self.account(k, |slot| {
            slot.deltas_bytes = deltas_bytes(&deltas);
            slot.deltas = Some(Arc::new(deltas));
        });
        Ok(())
    }

    /// The decoded checkpoint of block `k` if it is current.
    fn decoded_checkpoint(&self, k: usize) -> Option<Arc<State<P>>> {
        let slot = &self.slots[k];
        match &slot.checkpoint {
            Some((rev, state)) if *rev == slot.checkpoint_rev => Some(state.clone()),
            _ => None,
        }
    }

    /// The checkpoint of block `k`, computing checkpoints up to it if needed.
    fn checkpoint(&mut self, k: usize) -> Result<Arc<State<P>>, StoreError> {
        self.compute_checkpoints(k)?;
        self.load_checkpoint(k)
    }

    /// The checkpoint of block `k < valid_checkpoints`, decoded.
    fn load_checkpoint(&mut self, k: usize) -> Result<Arc<State<P>>, StoreError> {
        if let Some(state) = self.decoded_checkpoint(k) {
            return Ok(state);
        }
        if k == 0 {
            return Ok(Arc::new(State::new()));
        }
        let slot = &self.slots[k];
        let want = Some(slot.checkpoint_rev);
        if slot.packed.as_ref().map(|p| p.checkpoint_rev) != Some(want) {
            return Err(Self::lost(k));
        }
        let bytes = self.packed_bytes(k)?;
        let header = wire::read_header(&bytes).map_err(Self::corrupt(k))?;
        let Some(section) = header.checkpoint else {
            return Err(Self::lost(k));
        };
        let state = Arc::new(wire::decode_checkpoint(section).map_err(Self::corrupt(k))?);
        let kept = state.clone();
        self.account(k, |slot| {
            slot.checkpoint_bytes = kept.approx_bytes();
            slot.checkpoint = Some((slot.checkpoint_rev, kept));
        });
        Ok(state)
    }

    fn compute_checkpoints(&mut self, k: usize) -> Result<(), StoreError> {
        if self.valid_checkpoints > k {
            return Ok(());
        }
        // A checkpoint's revision is the newest revision of the blocks
        // before it: it changes when they change, needs no counter of its
        // own (so entry revisions do not depend on when checkpoints are
        // computed), and grows with every change.
        let mut newest_before = self.slots[..self.valid_checkpoints - 1]
            .iter()
            .map(|s| s.deltas_rev)
            .max()
            .unwrap_or(0);
        while self.valid_checkpoints <= k {
            let j = self.valid_checkpoints;
            newest_before = newest_before.max(self.slots[j - 1].deltas_rev);
            let previous = self.load_checkpoint(j - 1)?;
            self.ensure_deltas(j - 1)?;
            let Some(deltas) = self.slots[j - 1].deltas.clone() else {
                return Err(Self::lost(j - 1));
            };
            let mut state = State::clone(&previous);
            drop(previous);
            for delta in deltas.iter() {
                state.apply_delta(delta);
            }
            drop(deltas);
            let unchanged = self.slots[j]
                .checkpoint
                .as_ref()
                .is_some_and(|(_, old)| **old == state);
            let rev = if unchanged {
                self.slots[j].checkpoint_rev
            } else {
                newest_before
            };
            self.account(j, |slot| {
                slot.checkpoint_rev = rev;
                match &mut slot.checkpoint {
                    Some((old_rev, _)) if unchanged => *old_rev = rev,
                    _ => {
                        slot.checkpoint_bytes = state.approx_bytes();
                        slot.checkpoint = Some((rev, Arc::new(state)));
                    }
                }
            });
            self.valid_checkpoints = j + 1;
            self.touch(j - 1);
            self.touch(j);
            self.enforce_budget(&[j - 1, j]);
        }
        Ok(())
    }

    /// Whether the encoded block holds the current deltas and, if the
    /// checkpoint is valid, the current checkpoint.
    fn packed_complete(&self, k: usize) -> bool {
        let slot = &self.slots[k];
        let Some(packed) = &slot.packed else {
            return false;
        };
        let checkpoint_ok =
            k >= self.valid_checkpoints || packed.checkpoint_rev == Some(slot.checkpoint_rev);
        packed.deltas_rev == slot.deltas_rev && checkpoint_ok && packed.place == self.place(k)
    }

    /// Encodes block `k` from its freshest forms, reusing the sections of
    /// its previous encoding that are still current.
    fn pack(&mut self, k: usize) -> Result<(), StoreError> {
        let encoded = self.plan_pack(k)?.run()?;
        self.install_packed(encoded);
        Ok(())
    }

    /// What encoding block `k` needs, taken out of the store: the sections
    /// of its previous encoding that are still current, or the decoded
    /// forms to encode afresh (shared, not copied).
    fn plan_pack(&mut self, k: usize) -> Result<BlockJob<P>, StoreError> {
        let compression = self.config.compression;
        let meta = self.meta(k);
        let checkpoint_valid = k < self.valid_checkpoints;
        let decoded_checkpoint = if checkpoint_valid {
            self.decoded_checkpoint(k)
        } else {
            None
        };
        let slot = &self.slots[k];
        let (old_deltas_ok, old_checkpoint_ok, old_resident) = match &slot.packed {
            Some(p) => (
                p.deltas_rev == slot.deltas_rev,
                checkpoint_valid && p.checkpoint_rev == Some(slot.checkpoint_rev),
                p.resident.is_some(),
            ),
            None => (false, false, false),
        };
        // Reuse a current section when it is in memory or the only copy.
        let reuse_deltas = old_deltas_ok && (old_resident || slot.deltas.is_none());
        let reuse_checkpoint = old_checkpoint_ok && (old_resident || decoded_checkpoint.is_none());
        let old = if reuse_deltas || reuse_checkpoint {
            Some(self.packed_bytes(k)?)
        } else {
            None
        };
        let slot = &self.slots[k];
        let deltas = if reuse_deltas {
            None
        } else {
            Some(slot.deltas.clone().ok_or_else(|| Self::lost(k))?)
        };
        let checkpoint = match decoded_checkpoint {
            _ if !checkpoint_valid || reuse_checkpoint => None,
            Some(state) => Some(state),
            None if k == 0 => Some(Arc::new(State::new())),
            None => return Err(Self::lost(k)),
        };
        Ok(BlockJob {
            meta,
            compression,
            checkpoint_valid,
            old,
            reuse_deltas,
            reuse_checkpoint,
            deltas,
            checkpoint,
        })
    }

    /// Keeps `encoded` as block `k`'s encoding, whatever it held before.
    fn install_packed(&mut self, encoded: EncodedBlock) -> Bytes {
        let k = encoded.meta.index as usize;
        let bytes = encoded.bytes.clone();
        let meta = encoded.meta;
        let packed = Packed {
            place: (meta.index, meta.first_step, meta.num_steps),
            deltas_rev: encoded.meta.deltas_rev,
            checkpoint_rev: encoded.checkpoint_rev,
            resident: Some(encoded.bytes),
            file: None,
        };
        let mut replaced = None;
        self.account(k, |slot| replaced = slot.packed.replace(packed));
        if let (Some(spill), Some(file)) = (&self.spill, replaced.and_then(|p| p.file)) {
            spill.remove(file);
        }
        bytes
    }

    /// Evicts least recently used content until the budget holds: first
    /// decoded forms (encoding them if needed), then encoded bytes (spilling
    /// them to disk). Slots in `pinned` stay.
    /// Brings memory back under the budget where it can. Best effort: the
    /// edit or read that called it already happened, and must not be
    /// reported as failed because its bytes could not go to disk. If
    /// spilling fails (the directory is unwritable or the disk full), what
    /// could not be spilled stays in memory, the store stops trying, and
    /// the error waits in [`Store::take_spill_error`].
    fn enforce_budget(&mut self, pinned: &[usize]) {
        if let Err(error) = self.try_enforce_budget(pinned) {
            self.spill_unavailable = true;
            self.spill_error.get_or_insert(error);
        }
    }

    fn try_enforce_budget(&mut self, pinned: &[usize]) -> Result<(), StoreError> {
        while self.resident_bytes > self.config.budget_bytes {
            let deferring =
                self.config.defer_encoding && self.resident_bytes <= 2 * self.config.budget_bytes;
            if deferring {
                // Only what needs no encoding here: decoded forms whose
                // encoding is complete, then encoded bytes to disk. The rest
                // waits for `take_encode_jobs`.
                let cheap = (0..self.slots.len())
                    .filter(|k| !pinned.contains(k))
                    .filter(|&k| {
                        let s = &self.slots[k];
                        (s.deltas.is_some() || s.checkpoint.is_some())
                            && !self.needs_pack_to_demote(k)
                    })
                    .min_by_key(|&k| self.slots[k].last_used);
                if let Some(k) = cheap {
                    self.demote(k)?;
                    continue;
                }
                let resident =
                    |s: &Slot<P>| s.packed.as_ref().is_some_and(|p| p.resident.is_some());
                match self.lru(pinned, resident) {
                    Some(k) if !self.spill_unavailable => {
                        self.spill(k)?;
                        continue;
                    }
                    _ => break,
                }
            }
            if let Some(k) = self.lru(pinned, |s| s.deltas.is_some() || s.checkpoint.is_some()) {
                self.demote(k)?;
                continue;
            }
            if self.spill_unavailable {
                break;
            }
            let resident = |s: &Slot<P>| s.packed.as_ref().is_some_and(|p| p.resident.is_some());
            let Some(k) = self.lru(pinned, resident) else {
                break;
            };
            self.spill(k)?;
        }
        Ok(())
    }

    fn lru(&self, pinned: &[usize], eligible: impl Fn(&Slot<P>) -> bool) -> Option<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(k, s)| !pinned.contains(k) && eligible(s))
            .min_by_key(|(_, s)| s.last_used)
            .map(|(k, _)| k)
    }

    /// Drops the decoded forms of block `k`, encoding them first if needed.
    fn demote(&mut self, k: usize) -> Result<(), StoreError> {
        let current_checkpoint = k < self.valid_checkpoints && self.decoded_checkpoint(k).is_some();
        let needs_pack =
            !self.packed_complete(k) && (self.slots[k].deltas.is_some() || current_checkpoint);
        if needs_pack {
            self.pack(k)?;
        }
        self.account(k, |slot| {
            slot.deltas = None;
            slot.checkpoint = None;
        });
        Ok(())
    }

    /// Moves the encoded bytes of block `k` to disk.
    fn spill(&mut self, k: usize) -> Result<(), StoreError> {
        if self.spill.is_none() {
            self.spill = SpillDir::create(self.config.spill_dir.as_deref().map(Path::new))?;
            if self.spill.is_none() {
                self.spill_unavailable = true;
                return Ok(());
            }
        }
        let Some(spill) = self.spill.as_mut() else {
            return Ok(());
        };
        let Some(packed) = self.slots[k].packed.as_mut() else {
            return Ok(());
        };
        if packed.file.is_none()
            && let Some(bytes) = &packed.resident
        {
            packed.file = Some(spill.write(k as u32, bytes)?);
        }
        self.account(k, |slot| {
            if let Some(p) = slot.packed.as_mut() {
                p.resident = None;
            }
        });
        Ok(())
    }
}
