//! What the store keeps under each key: the [`Payload`] trait.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A message the timeline stores under a key.
///
/// The store is generic so it can be reused without the viser protocol: the
/// server stores viser messages, tests store integers. A payload must be
/// cheap to clone (checkpoints and cursors clone it), so wrap large messages
/// in an `Arc` or keep their buffers in [`bytes::Bytes`].
///
/// Payloads are encoded into blocks with `rmp-serde`, structs as msgpack
/// maps (named fields), which is what the viser client reads.
pub trait Payload: Clone + PartialEq + Debug + Serialize + DeserializeOwned {
    /// Approximate heap size in bytes, used for the store's memory budget.
    /// It need not be exact; it must grow with the real size.
    fn size_bytes(&self) -> usize;
}

impl Payload for u32 {
    fn size_bytes(&self) -> usize {
        0
    }
}

impl Payload for u64 {
    fn size_bytes(&self) -> usize {
        0
    }
}

impl Payload for i64 {
    fn size_bytes(&self) -> usize {
        0
    }
}

impl Payload for String {
    fn size_bytes(&self) -> usize {
        self.capacity()
    }
}

impl Payload for Vec<u8> {
    fn size_bytes(&self) -> usize {
        self.capacity()
    }
}

/// Opaque encoded messages (the server and the browser runtime store each
/// viser message packed as msgpack): equality is a byte comparison, clones
/// share the buffer, and a block decodes without knowing the message types.
impl Payload for bytes::Bytes {
    fn size_bytes(&self) -> usize {
        self.len()
    }
}
