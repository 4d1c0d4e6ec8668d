//! A run of consecutive steps with the state before them: [`Block`].

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use crate::compression::Compression;
use crate::delta::StepDelta;
use crate::error::{DecodeError, EncodeError, SeekError};
use crate::payload::Payload;
use crate::scene::SymbolMap;
use crate::state::State;
use crate::wire::{self, BlockMeta, NameTable, SectionRef};

/// `block_size` consecutive steps and the checkpoint before the first.
///
/// The state at any step of the block is its checkpoint with the block's
/// deltas folded up to that step, so a client needs this block alone.
/// The revision changes whenever the block's content changes; a cursor uses
/// it to tell whether it may keep moving forward through the block.
///
/// A block from a [`Store`](crate::Store) holds its deltas decoded. A block
/// decoded from bytes decodes its checkpoint at once and each step's delta
/// the first time it is asked for, straight from the shared bytes.
#[derive(Clone, Debug)]
pub struct Block<P> {
    pub(crate) meta: BlockMeta,
    pub(crate) checkpoint: Arc<State<P>>,
    pub(crate) deltas: Deltas<P>,
}

/// A block's deltas: decoded, or decoded step by step on demand.
#[derive(Clone, Debug)]
pub(crate) enum Deltas<P> {
    Decoded(Arc<Vec<StepDelta<P>>>),
    Lazy(Arc<LazyDeltas<P>>),
}

/// The encoded block and one slot per step, filled on first use.
pub(crate) struct LazyDeltas<P> {
    bytes: Bytes,
    names: NameTable,
    /// Each step's section: codec, decompressed length, place in `bytes`.
    steps: Vec<(u8, u64, Range<usize>)>,
    decoded: Vec<OnceLock<StepDelta<P>>>,
}

impl<P> std::fmt::Debug for LazyDeltas<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyDeltas")
            .field("bytes", &self.bytes.len())
            .field("steps", &self.steps.len())
            .finish_non_exhaustive()
    }
}

impl<P> Block<P> {
    /// The block's index in the timeline.
    pub fn index(&self) -> u32 {
        self.meta.index
    }

    /// The first step the block holds.
    pub fn first_step(&self) -> u32 {
        self.meta.first_step
    }

    /// How many steps the block holds.
    pub fn len(&self) -> u32 {
        self.meta.num_steps
    }

    /// Whether the block holds no step.
    pub fn is_empty(&self) -> bool {
        self.meta.num_steps == 0
    }

    /// The steps the block holds.
    pub fn steps(&self) -> Range<u32> {
        self.meta.first_step..self.meta.first_step.saturating_add(self.meta.num_steps)
    }

    /// Whether the block holds the step.
    pub fn contains(&self, step: u32) -> bool {
        self.steps().contains(&step)
    }

    /// Changes whenever the block's content changes.
    pub fn revision(&self) -> u64 {
        self.meta.deltas_rev.max(self.meta.checkpoint_rev)
    }

    /// The folded state before the block's first step.
    pub fn checkpoint(&self) -> &State<P> {
        &self.checkpoint
    }

    pub(crate) fn check_step(&self, step: u32) -> Result<(), SeekError> {
        if self.contains(step) {
            return Ok(());
        }
        Err(SeekError::StepNotInBlock {
            step,
            block: self.meta.index,
            first_step: self.meta.first_step,
            end_step: self.steps().end,
        })
    }
}

impl<P: Payload> Block<P> {
    /// The delta of one step of the block (decoded now if it was not yet).
    pub fn delta(&self, step: u32) -> Result<&StepDelta<P>, SeekError> {
        self.check_step(step)?;
        let offset = (step - self.meta.first_step) as usize;
        let missing = || SeekError::Decode {
            step,
            source: DecodeError::StepCount {
                declared: self.meta.num_steps,
                found: offset,
            },
        };
        match &self.deltas {
            Deltas::Decoded(deltas) => deltas.get(offset).ok_or_else(missing),
            Deltas::Lazy(lazy) => {
                let (Some(slot), Some((codec, raw_len, range))) =
                    (lazy.decoded.get(offset), lazy.steps.get(offset))
                else {
                    return Err(missing());
                };
                if let Some(delta) = slot.get() {
                    return Ok(delta);
                }
                let bytes = lazy.bytes.get(range.clone()).ok_or_else(missing)?;
                let section = SectionRef::new(*codec, *raw_len, bytes);
                let delta = wire::decode_step(section, &lazy.names)
                    .map_err(|source| SeekError::Decode { step, source })?;
                Ok(slot.get_or_init(|| delta))
            }
        }
    }

    /// Every delta of the block, in step order (decoding those not yet).
    pub fn deltas(&self) -> Result<Vec<&StepDelta<P>>, SeekError> {
        self.steps().map(|s| self.delta(s)).collect()
    }

    /// The timeline's state at `step` (without overrides).
    pub fn state_at(&self, step: u32) -> Result<State<P>, SeekError> {
        self.check_step(step)?;
        let mut state = State::clone(&self.checkpoint);
        for s in self.meta.first_step..=step {
            state.apply_delta(self.delta(s)?);
        }
        Ok(state)
    }

    /// This block with
    /// [`Scene::fold_props_into_creates`](crate::Scene::fold_props_into_creates)
    /// applied to its checkpoint: for a one-step state block (what
    /// [`Store::state_block`](crate::Store::state_block) gives), a smaller
    /// state that shows the same. Deltas are kept as they are; they apply
    /// on top as before.
    pub fn with_props_folded(&self, merge: impl Fn(&P, &SymbolMap<P>) -> Option<P>) -> Block<P>
    where
        P: Payload + Clone,
    {
        let mut checkpoint = State::clone(&self.checkpoint);
        checkpoint.scene.fold_props_into_creates(merge);
        Block {
            meta: self.meta,
            checkpoint: Arc::new(checkpoint),
            deltas: self.deltas.clone(),
        }
    }

    /// Encodes the block to its byte format (see the `wire` module).
    pub fn encode(&self, compression: Compression) -> Result<Vec<u8>, EncodeError> {
        let owned;
        let deltas: &[StepDelta<P>] = match &self.deltas {
            Deltas::Decoded(deltas) => deltas,
            Deltas::Lazy(_) => {
                owned = self
                    .deltas()
                    .map_err(|e| EncodeError::Undecodable(e.to_string()))?
                    .into_iter()
                    .cloned()
                    .collect::<Vec<_>>();
                &owned
            }
        };
        let checkpoint = wire::checkpoint_section(&self.checkpoint, compression)?;
        let deltas = wire::deltas_section(deltas, self.meta.num_steps, compression)?;
        wire::assemble(self.meta, Some(checkpoint.as_ref()), deltas.as_ref())
    }

    /// Decodes bytes made by [`Block::encode`] or a store (copying them once;
    /// see [`Block::decode_shared`]).
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_shared(Bytes::copy_from_slice(bytes))
    }

    /// Decodes a block without copying its bytes: the checkpoint now, each
    /// step when it is first asked for. Errors in a step's bytes surface
    /// then, as [`SeekError::Decode`].
    pub fn decode_shared(bytes: Bytes) -> Result<Self, DecodeError> {
        let header = wire::read_header(&bytes)?;
        let meta = header.meta;
        let Some(checkpoint) = header.checkpoint else {
            return Err(DecodeError::MissingCheckpoint { index: meta.index });
        };
        let checkpoint = Arc::new(wire::decode_checkpoint(checkpoint)?);
        let wire::StepTable(names, sections) = wire::read_steps(header.deltas, meta.num_steps)?;
        let names = NameTable::new(&names);
        let steps = sections
            .iter()
            .map(|s| {
                let range = s.range_in(&bytes).ok_or(DecodeError::NotABlock {
                    expected: "step sections inside the block",
                })?;
                Ok((s.codec(), s.raw_len(), range))
            })
            .collect::<Result<Vec<_>, DecodeError>>()?;
        let decoded = steps.iter().map(|_| OnceLock::new()).collect();
        let lazy = LazyDeltas {
            bytes: bytes.clone(),
            names,
            steps,
            decoded,
        };
        Ok(Self {
            meta,
            checkpoint,
            deltas: Deltas::Lazy(Arc::new(lazy)),
        })
    }
}

impl<P: Payload> PartialEq for Block<P> {
    /// Same position, revisions, checkpoint and deltas (decoding as needed;
    /// a step that fails to decode makes the blocks unequal).
    fn eq(&self, other: &Self) -> bool {
        self.meta == other.meta
            && self.checkpoint == other.checkpoint
            && self
                .steps()
                .all(|s| matches!((self.delta(s), other.delta(s)), (Ok(a), Ok(b)) if a == b))
    }
}
