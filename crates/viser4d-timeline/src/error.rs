//! Typed errors. Each names the value that was wrong.

use std::path::PathBuf;

/// A node name, symbol or key string that does not follow the key rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The node name is the empty string.
    #[error("a node name must not be empty")]
    EmptyName,
    /// The node name has an empty component (`/a//b`) or ends with `/`.
    #[error("node name {0:?} has an empty component or a trailing '/'")]
    EmptyComponent(String),
    /// A message type or property name is empty or holds a `:`.
    #[error("symbol {0:?} must be non-empty and must not contain ':'")]
    InvalidSymbol(String),
    /// `create` and `update` cannot be message types: they start other keys.
    #[error("message type {0:?} is reserved for key prefixes")]
    ReservedType(String),
    /// The string is not a canonical key.
    #[error("{0:?} is not a key string (expected `update:{{name}}:{{prop}}`)")]
    Unparsable(String),
}

/// Encoding a block or an overlay failed.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// A payload could not be serialized.
    #[error("msgpack encoding failed: {0}")]
    Msgpack(#[from] rmp_serde::encode::Error),
    /// A block decoded from bytes has a step that no longer decodes.
    #[error("the block cannot be re-encoded: {0}")]
    Undecodable(String),
    /// zstd refused the data.
    #[error("zstd compression failed: {0}")]
    Compress(viser4d_zstd::ZstdError),
}

/// Bytes that are not a valid block (or overlay) of this format.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The bytes do not start like a viser4d block.
    #[error("not a viser4d block (missing magic {expected:?})")]
    NotABlock {
        /// The magic string a block starts with.
        expected: &'static str,
    },
    /// The block was written by another format version.
    #[error("block format version {found} is not supported (this build reads {expected})")]
    Version {
        /// Version in the bytes.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// The msgpack structure is wrong.
    #[error("msgpack decoding failed: {0}")]
    Msgpack(#[from] rmp_serde::decode::Error),
    /// A section names a codec this build does not know.
    #[error("section codec {0} is unknown")]
    UnknownCodec(u8),
    /// A section claims a size past the limit.
    #[error("section of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Claimed decompressed size.
        size: u64,
        /// Largest accepted size.
        limit: u64,
    },
    /// zstd could not decompress a section.
    #[error("zstd decompression failed: {0}")]
    Decompress(String),
    /// A section decompressed to another size than it declared.
    #[error("section decompressed to {found} bytes, declared {declared}")]
    LengthMismatch {
        /// Declared size.
        declared: u64,
        /// Actual size.
        found: u64,
    },
    /// A name index points outside the section's name table.
    #[error("name index {index} is outside the name table of {len} names")]
    NameIndex {
        /// The index found.
        index: u32,
        /// Size of the table.
        len: usize,
    },
    /// A name is used as a node name or symbol but is not a valid one.
    #[error("name {index} of the name table is not a valid {kind}")]
    NameKind {
        /// The name's index.
        index: u32,
        /// What it was used as.
        kind: &'static str,
    },
    /// A name in the bytes is not a valid node name or symbol.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The block carries no checkpoint, so no step can be built from it.
    #[error("block {index} carries no checkpoint")]
    MissingCheckpoint {
        /// The block's index.
        index: u32,
    },
    /// The block declares a step count that its deltas do not match.
    #[error("block declares {declared} steps but holds {found}")]
    StepCount {
        /// Declared count.
        declared: u32,
        /// Deltas present.
        found: usize,
    },
}

/// A cursor was asked for a step its block does not hold or cannot decode.
#[derive(Debug, thiserror::Error)]
pub enum SeekError {
    /// The step's delta in a block decoded from bytes is corrupt.
    #[error("step {step} of the block cannot be decoded: {source}")]
    Decode {
        /// The step.
        step: u32,
        /// What was wrong.
        source: DecodeError,
    },
    /// The step lies outside the block.
    #[error("step {step} is not in block {block}, which holds steps {first_step}..{end_step}")]
    StepNotInBlock {
        /// The step asked for.
        step: u32,
        /// The block's index.
        block: u32,
        /// The block's first step.
        first_step: u32,
        /// One past the block's last step.
        end_step: u32,
    },
}

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A block given to load does not decode.
    #[error("cannot load step {step} of the block: {reason}")]
    Load {
        /// The step.
        step: u32,
        /// Why.
        reason: String,
    },
    /// The step is past the end of the timeline.
    #[error("step {step} is out of range: the timeline has {num_steps} steps")]
    StepOutOfRange {
        /// The step asked for.
        step: u32,
        /// Steps in the timeline.
        num_steps: u32,
    },
    /// The step was dropped by [`Store::retire_before`](crate::Store::retire_before).
    #[error("step {step} was dropped to bound the recording: the oldest step kept is {first_step}")]
    Retired {
        /// The step asked for.
        step: u32,
        /// The oldest step kept.
        first_step: u32,
    },
    /// More steps than a store takes.
    #[error("{num_steps} steps is more than the {max} a timeline may have")]
    TooManySteps {
        /// The count asked for.
        num_steps: u32,
        /// The limit.
        max: u32,
    },
    /// The block is past the end of the timeline.
    #[error("block {index} is out of range: the timeline has {num_blocks} blocks")]
    BlockOutOfRange {
        /// The block asked for.
        index: u32,
        /// Blocks in the timeline.
        num_blocks: u32,
    },
    /// The configuration cannot work.
    #[error("invalid store configuration: {0}")]
    InvalidConfig(&'static str),
    /// A block could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A spilled or cached block could not be read back.
    #[error("stored block {index} is corrupt: {source}")]
    Corrupt {
        /// The block's index.
        index: u32,
        /// What was wrong.
        source: DecodeError,
    },
    /// Reading or writing the spill directory failed.
    #[error("spill file {path:?}: {source}")]
    Spill {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}
