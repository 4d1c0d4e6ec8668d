//! `viser4d-timeline`: the block timeline store.
//!
//! # What it owns
//!
//! The recorded timeline and the logic that plays it back: keyed scene
//! state and its fold rules ([`State`], [`Op`], [`Key`]), per-step deltas
//! ([`StepDelta`]), blocks of steps with checkpoints ([`Block`]) and where they start
//! ([`BlockLayout`]: at most `block_size` steps and a few MiB each), the
//! editable, memory-bounded store ([`Store`]), overrides made outside any
//! step ([`Overrides`]), and the ordered messages that move a viewer from
//! one state to another ([`Cursor`], [`diff`], [`Emit`]).
//!
//! # Who uses it
//!
//! The server records into a [`Store`] and sends encoded blocks; the browser
//! runtime decodes blocks and moves a [`Cursor`]. Both run this same code, so
//! there is one fold and one diff, not two. Other tools can reuse it with
//! their own payload type (anything implementing [`Payload`]).
//!
//! # What it must never depend on
//!
//! No tokio, no sockets, no server, no viser protocol types (the payload is
//! generic), and no I/O, with one exception: when the store outgrows its
//! memory budget it spills encoded blocks to files ([`StoreConfig::spill_dir`]).
//! That code lives in the `spill` module alone, compiled only for native
//! targets; a timeline larger than memory is a headline feature and files are
//! the only place for it. The crate builds for `wasm32-unknown-unknown`,
//! where spilling is off and zstd decoding uses the pure-Rust `ruzstd`.
//!
//! # Example: record, seek, diff
//!
//! ```
//! use viser4d_timeline::{Cursor, Emit, Key, NodeName, Store};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A timeline of 3 steps whose payloads are plain strings.
//! let mut store = Store::<String>::new(3)?;
//! store.put(0, Key::create("/robot")?, "frame".into())?;
//! store.put(0, Key::prop("/robot", "position")?, "x=0".into())?;
//! store.put(1, Key::prop("/robot", "position")?, "x=1".into())?;
//! store.remove_node(2, NodeName::new("/robot")?)?;
//!
//! // A viewer's cursor moves through the block holding the steps.
//! let block = store.block(store.block_of(0)?)?;
//! let mut cursor = Cursor::new();
//! let messages: Vec<String> = cursor
//!     .seek(&block, 0)?
//!     .iter()
//!     .map(|m| match m {
//!         Emit::Put(key, value) => format!("{key} = {value}"),
//!         other => format!("{other:?}"),
//!     })
//!     .collect();
//! assert_eq!(messages, ["create:/robot = frame", "update:/robot:position = x=0"]);
//!
//! // Forward within the block applies the step's own delta...
//! assert_eq!(cursor.seek(&block, 1)?.len(), 1);
//! // ...and jumping back is a diff: only what differs is sent.
//! let back = cursor.seek(&block, 0)?;
//! assert!(matches!(back.as_slice(), [Emit::Put(_, v)] if v.as_str() == "x=0"));
//!
//! // The state at any step equals a fold of all earlier steps.
//! assert!(store.state_at(2)?.is_empty());
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod block;
mod changes;
mod compression;
mod cursor;
mod delta;
mod diff;
mod error;
mod fold;
mod hasher;
mod key;
mod layout;
mod overrides;
mod payload;
mod scene;
mod spill;
mod state;
mod store;
mod wire;

pub use block::Block;
pub use changes::Changes;
pub use compression::Compression;
pub use cursor::Cursor;
pub use delta::StepDelta;
pub use diff::{Emit, diff};
pub use error::{DecodeError, EncodeError, KeyError, SeekError, StoreError};
pub use key::{Key, KeyRef, NodeName, Op, Symbol};
pub use layout::BlockLayout;
pub use overrides::Overrides;
pub use payload::Payload;
pub use scene::{Entry, Node, Scene, SymbolIter, SymbolMap};
pub use state::State;
pub use store::{
    BlockJob, DEFAULT_MAX_BLOCK_BYTES, EncodedBlock, Encoding, MAX_STEPS, MemoryStats, Store,
    StoreConfig,
};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
