//! The one place msgpack is read, so that every decoder gets the same
//! nesting limit.

use serde::Deserialize;

/// Deepest nesting we decode. viser's deepest messages (uplot options) nest
/// about 6 levels; the limit keeps hostile input from overflowing the stack
/// in the recursive decoder (rmp-serde's own default of 1024 does not, on a
/// 2 MiB thread stack).
pub(crate) const MAX_DEPTH: usize = 128;

pub(crate) fn from_slice<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
) -> Result<T, rmp_serde::decode::Error> {
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    de.set_max_depth(MAX_DEPTH);
    T::deserialize(&mut de)
}

/// A writer that only counts what is written: the size of a message's
/// msgpack, cheaply (an inline array is one write of its length).
#[derive(Debug, Default)]
pub(crate) struct ByteCount(pub(crate) usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
