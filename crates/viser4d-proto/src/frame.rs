//! Server-to-client WebSocket frames, exactly as viser 1.1.1 writes them:
//!
//! ```text
//! u64 LE  msgpack length before compression
//! u64 LE  compressed length
//! bytes   zstd(msgpack {"messages": [...], "timestampSec": f64,
//!                       "binaryBufferLengths": [u64, ...]})
//! then, for each buffer: zero padding to a multiple of 8 counted from the
//! frame start, then the buffer (no padding after the last one)
//! ```

use bytes::Bytes;
use serde::Serialize;

use crate::any_message::AnyMessage;
use crate::buffers::{self, Dedup};
use crate::error::{EncodeError, FrameError};
use crate::value::Value;

/// zstd level viser uses on the live wire.
pub const LIVE_ZSTD_LEVEL: i32 = 1;

/// Largest decompressed msgpack payload a frame may declare. Arrays travel
/// outside the payload, so real payloads are small; the cap keeps a hostile
/// header from reserving memory.
pub const MAX_FRAME_PAYLOAD_BYTES: u64 = 1 << 30;

/// A decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// `timestampSec` (viser: `time.perf_counter()`, an arbitrary clock).
    pub timestamp_sec: f64,
    /// The messages in order.
    pub messages: Vec<AnyMessage>,
    /// The binary buffers: zero-copy slices of the frame.
    pub buffers: Vec<Bytes>,
}

/// Encodes frames, reusing its scratch buffer between calls.
#[derive(Debug, Default)]
pub struct FrameEncoder {
    msgpack: Vec<u8>,
}

impl FrameEncoder {
    /// A new encoder.
    pub fn new() -> FrameEncoder {
        FrameEncoder::default()
    }

    /// Encodes `messages` (viser messages, [`AnyMessage`]s, or anything
    /// that serializes as a message map) into one frame. Each array is
    /// copied exactly once, into the returned frame.
    pub fn encode<T: Serialize>(
        &mut self,
        messages: &[T],
        timestamp_sec: f64,
    ) -> Result<Vec<u8>, EncodeError> {
        self.msgpack.clear();
        let msgpack = &mut self.msgpack;
        let (written, arrays) = buffers::collecting(Dedup::No, || {
            write_payload(msgpack, messages, timestamp_sec)
        });
        written?;
        let compressed = viser4d_zstd::compress(&self.msgpack, LIVE_ZSTD_LEVEL)
            .map_err(|e| EncodeError::Compression(e.to_string()))?;
        let mut out = Vec::with_capacity(aligned_len(16 + compressed.len(), &arrays));
        out.extend_from_slice(&(self.msgpack.len() as u64).to_le_bytes());
        out.extend_from_slice(&(compressed.len() as u64).to_le_bytes());
        out.extend_from_slice(&compressed);
        append_aligned(&mut out, 0, &arrays);
        Ok(out)
    }
}

/// Encodes one frame with a fresh encoder.
pub fn encode_frame<T: Serialize>(
    messages: &[T],
    timestamp_sec: f64,
) -> Result<Vec<u8>, EncodeError> {
    FrameEncoder::new().encode(messages, timestamp_sec)
}

fn write_payload<T: Serialize>(
    out: &mut Vec<u8>,
    messages: &[T],
    timestamp_sec: f64,
) -> Result<(), EncodeError> {
    let msgpack_err = |e: &dyn std::fmt::Display| EncodeError::Msgpack(e.to_string());
    rmp::encode::write_map_len(out, 3).map_err(|e| msgpack_err(&e))?;
    rmp::encode::write_str(out, "messages").map_err(|e| msgpack_err(&e))?;
    messages
        .serialize(&mut rmp_serde::Serializer::new(&mut *out).with_struct_map())
        .map_err(|e| msgpack_err(&e))?;
    rmp::encode::write_str(out, "timestampSec").map_err(|e| msgpack_err(&e))?;
    rmp::encode::write_f64(out, timestamp_sec).map_err(|e| msgpack_err(&e))?;
    rmp::encode::write_str(out, "binaryBufferLengths").map_err(|e| msgpack_err(&e))?;
    // The lengths are only known once the messages are written; the
    // collector is still active, so read them from it.
    let lengths = buffers::collected_lengths();
    rmp::encode::write_array_len(out, lengths.len() as u32).map_err(|e| msgpack_err(&e))?;
    for len in lengths {
        rmp::encode::write_uint(out, len as u64).map_err(|e| msgpack_err(&e))?;
    }
    Ok(())
}

/// Length after appending `buffers` with 8-byte alignment to `start` bytes
/// (offsets counted from the start of what `start` measures).
pub(crate) fn aligned_len(start: usize, buffers: &[Bytes]) -> usize {
    buffers
        .iter()
        .fold(start, |at, b| at.next_multiple_of(8) + b.len())
}

/// Appends `buffers`, each starting 8-byte aligned relative to `origin`.
pub(crate) fn append_aligned(out: &mut Vec<u8>, origin: usize, buffers: &[Bytes]) {
    for b in buffers {
        let at = out.len() - origin;
        out.resize(out.len() + (at.next_multiple_of(8) - at), 0);
        out.extend_from_slice(b);
    }
}

/// Slices the buffers out of `data` (zero-copy), starting at `start`,
/// each aligned to 8 relative to `data`'s start.
pub(crate) fn slice_aligned(
    data: &Bytes,
    start: usize,
    lengths: &[u64],
) -> Result<Vec<Bytes>, (usize, usize, u64)> {
    let mut at = start;
    let mut out = Vec::with_capacity(lengths.len().min(4096));
    for (index, &len) in lengths.iter().enumerate() {
        let offset = at.next_multiple_of(8);
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| offset.checked_add(l));
        match end {
            Some(end) if end <= data.len() => {
                out.push(data.slice(offset..end));
                at = end;
            }
            _ => return Err((index, offset, len)),
        }
    }
    Ok(out)
}

/// Decodes a frame. Buffers are slices of `frame`, not copies.
pub fn decode_frame(frame: Bytes) -> Result<Frame, FrameError> {
    let header = |at: usize| -> Option<u64> {
        let b: [u8; 8] = frame.get(at..at + 8)?.try_into().ok()?;
        Some(u64::from_le_bytes(b))
    };
    let (Some(payload_len), Some(compressed_len)) = (header(0), header(8)) else {
        return Err(FrameError::TooShort { len: frame.len() });
    };
    let compressed_end = usize::try_from(compressed_len)
        .ok()
        .and_then(|l| l.checked_add(16))
        .filter(|&end| end <= frame.len())
        .ok_or(FrameError::CompressedOverrun {
            compressed_len,
            frame_len: frame.len(),
        })?;
    if payload_len > MAX_FRAME_PAYLOAD_BYTES {
        return Err(FrameError::Payload(format!(
            "declared msgpack length {payload_len} is over the {MAX_FRAME_PAYLOAD_BYTES}-byte limit"
        )));
    }
    let payload = viser4d_zstd::decompress_exact(&frame[16..compressed_end], payload_len as usize)
        .map_err(|e| FrameError::Compression(e.to_string()))?;

    let lengths = read_buffer_lengths(&payload).map_err(FrameError::Payload)?;
    let buffers =
        slice_aligned(&frame, compressed_end, &lengths).map_err(|(index, offset, len)| {
            FrameError::BufferOverrun {
                index,
                offset,
                len,
                total: frame.len(),
            }
        })?;
    let root = decode_with_buffers(&payload, buffers.clone()).map_err(FrameError::Payload)?;

    let timestamp_sec = root
        .get("timestampSec")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let Some(Value::Array(items)) = root.get("messages").cloned() else {
        return Err(FrameError::Payload("no `messages` array".to_owned()));
    };
    let messages = items
        .into_iter()
        .enumerate()
        .map(|(index, v)| {
            AnyMessage::from_value(v).map_err(|source| FrameError::Message { index, source })
        })
        .collect::<Result<_, _>>()?;
    Ok(Frame {
        timestamp_sec,
        messages,
        buffers,
    })
}

/// Reads `binaryBufferLengths` without building the rest of the tree (the
/// buffers must be located before placeholders can be resolved).
pub(crate) fn read_buffer_lengths(payload: &[u8]) -> Result<Vec<u64>, String> {
    #[derive(serde::Deserialize)]
    struct Lengths {
        #[serde(rename = "binaryBufferLengths", default)]
        lengths: Vec<u64>,
    }
    crate::msgpack::from_slice::<Lengths>(payload)
        .map(|l| l.lengths)
        .map_err(|e| e.to_string())
}

/// Decodes msgpack into a tree, resolving array placeholders to `buffers`.
pub(crate) fn decode_with_buffers(payload: &[u8], buffers: Vec<Bytes>) -> Result<Value, String> {
    buffers::with_table(buffers, || crate::msgpack::from_slice::<Value>(payload))
        .map_err(|e| e.to_string())
}

/// Bytes `message` adds to a frame before compression: its msgpack plus its
/// arrays. Arrays are counted, not copied, so this is cheap even for a
/// large point cloud; servers use it to bound what a slow client may queue.
pub fn encoded_size_bytes<T: Serialize>(message: &T) -> usize {
    let mut count = crate::msgpack::ByteCount::default();
    let (_, arrays) = buffers::collecting(Dedup::No, || {
        message
            .serialize(&mut rmp_serde::Serializer::new(&mut count).with_struct_map())
            .ok()
    });
    count.0
        + arrays
            .iter()
            .map(|a| a.len().next_multiple_of(8))
            .sum::<usize>()
}
