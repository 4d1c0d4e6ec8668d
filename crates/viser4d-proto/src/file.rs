//! `.viser` recordings, exactly as viser 1.1.1 writes them:
//!
//! ```text
//! u64 LE  length of inner
//! zstd(inner), level 12
//! inner = u64 LE msgpack length
//!         msgpack {"durationSeconds": f64, "messages": [[t_sec, message], ...],
//!                  "viserVersion": "1.1.1", "binaryBufferLengths": [u64, ...]}
//!         buffers, each 8-byte aligned from the start of inner,
//!         identical buffers stored once
//! ```

use bytes::Bytes;
use serde::Serialize;
use serde::ser::SerializeTuple;

use crate::any_message::AnyMessage;
use crate::buffers::{self, Dedup};
use crate::error::{EncodeError, FileError};
use crate::frame::{decode_with_buffers, read_buffer_lengths, slice_aligned};
use crate::value::Value;

/// The viser version this crate speaks; written into every recording.
pub const VISER_VERSION: &str = "1.1.1";

/// zstd level viser uses for recordings.
pub const FILE_ZSTD_LEVEL: i32 = 12;

/// Largest inner payload a file may declare (64 GiB).
pub const MAX_FILE_PAYLOAD_BYTES: u64 = 64 << 30;

/// A decoded recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// `durationSeconds`: the playback length (may exceed the last message time).
    pub duration_sec: f64,
    /// `viserVersion` of the writer.
    pub viser_version: String,
    /// `(time in seconds, message)`, in file order (non-decreasing time).
    pub messages: Vec<(f64, AnyMessage)>,
    /// The distinct binary buffers (slices of the decompressed payload).
    pub buffers: Vec<Bytes>,
}

/// Encodes a recording. `messages` are `(time_sec, message)` pairs; arrays
/// with identical bytes are stored once.
pub fn encode_recording<T: Serialize>(
    duration_sec: f64,
    messages: &[(f64, T)],
) -> Result<Vec<u8>, EncodeError> {
    encode_recording_at_level(duration_sec, messages, FILE_ZSTD_LEVEL)
}

/// [`encode_recording`] at another zstd level (any level decodes the
/// same; a recording whose buffers are already compressed gains little
/// from a slow level).
pub fn encode_recording_at_level<T: Serialize>(
    duration_sec: f64,
    messages: &[(f64, T)],
    level: i32,
) -> Result<Vec<u8>, EncodeError> {
    let count = u32::try_from(messages.len())
        .map_err(|_| EncodeError::Stream(format!("{} messages", messages.len())))?;
    let mut encoder = RecordingEncoder::new(duration_sec, count)?;
    let mut buffers = Vec::new();
    for (t, m) in messages {
        buffers.extend(encoder.push(*t, m)?);
    }
    encoder.finish(Vec::new(), level, |i| Ok(buffers[i].clone()))
}

/// Writes a recording one message at a time, so that an export of
/// gigabytes never holds all its buffers at once.
///
/// The file's layout puts the msgpack of every message (which names each
/// buffer by index and ends with all their lengths) before the first
/// buffer, and the total length before that. So [`RecordingEncoder::push`]
/// serializes a message and hands its new buffers back to the caller, who
/// keeps them where it likes (a spool file, say) and drops them;
/// [`RecordingEncoder::finish`] then asks for each buffer, in order, and
/// streams everything through the compressor into the output. Identical
/// buffers are stored once, as viser does, among those the encoder still
/// holds: buffers from [`RecordingEncoder::forget_buffers_from`] bytes on
/// are only compared within their own message.
pub struct RecordingEncoder {
    msgpack: Vec<u8>,
    collector: Option<buffers::Collector>,
    lengths: Vec<usize>,
    declared: u32,
    pushed: u32,
    forget_from: usize,
}

impl std::fmt::Debug for RecordingEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingEncoder")
            .field("declared", &self.declared)
            .field("pushed", &self.pushed)
            .field("buffers", &self.lengths.len())
            .finish_non_exhaustive()
    }
}

fn msgpack_error(e: &dyn std::fmt::Display) -> EncodeError {
    EncodeError::Msgpack(e.to_string())
}

impl RecordingEncoder {
    /// A recording of `num_messages` messages lasting `duration_sec`.
    pub fn new(duration_sec: f64, num_messages: u32) -> Result<RecordingEncoder, EncodeError> {
        let mut out = Vec::new();
        let err = |e: rmp::encode::ValueWriteError| msgpack_error(&e);
        rmp::encode::write_map_len(&mut out, 4).map_err(err)?;
        rmp::encode::write_str(&mut out, "durationSeconds").map_err(err)?;
        rmp::encode::write_f64(&mut out, duration_sec).map_err(err)?;
        rmp::encode::write_str(&mut out, "messages").map_err(err)?;
        rmp::encode::write_array_len(&mut out, num_messages).map_err(err)?;
        Ok(RecordingEncoder {
            msgpack: out,
            collector: Some(buffers::Collector::new(Dedup::Identical)),
            lengths: Vec::new(),
            declared: num_messages,
            pushed: 0,
            forget_from: usize::MAX,
        })
    }

    /// Buffers of at least `bytes` are not kept for deduplication once
    /// their message is pushed (default: every buffer is kept).
    pub fn forget_buffers_from(mut self, bytes: usize) -> RecordingEncoder {
        self.forget_from = bytes;
        self
    }

    /// Appends `message` at `t_sec`; returns the buffers it added, which
    /// [`RecordingEncoder::finish`] asks for by index (counted over every
    /// push, from 0).
    pub fn push<T: Serialize>(
        &mut self,
        t_sec: f64,
        message: &T,
    ) -> Result<Vec<Bytes>, EncodeError> {
        if self.pushed == self.declared {
            return Err(EncodeError::Stream(format!(
                "more than the {} messages declared",
                self.declared
            )));
        }
        let collector = self
            .collector
            .take()
            .unwrap_or_else(|| buffers::Collector::new(Dedup::Identical));
        let from = collector.len();
        let msgpack = &mut self.msgpack;
        let (written, mut collector) = buffers::collecting_into(collector, || {
            Timed(t_sec, message)
                .serialize(&mut rmp_serde::Serializer::new(&mut *msgpack).with_struct_map())
                .map_err(|e| msgpack_error(&e))
        });
        let added = collector.take_from(from, self.forget_from);
        self.collector = Some(collector);
        written?;
        self.pushed += 1;
        self.lengths.extend(added.iter().map(Bytes::len));
        Ok(added)
    }

    /// Buffers pushed so far.
    pub fn num_buffers(&self) -> usize {
        self.lengths.len()
    }

    /// Writes the recording into `out`, asking `buffer(i)` for each buffer
    /// in order, and returns `out`.
    pub fn finish<W: std::io::Write>(
        mut self,
        mut out: W,
        level: i32,
        mut buffer: impl FnMut(usize) -> std::io::Result<Bytes>,
    ) -> Result<W, EncodeError> {
        if self.pushed != self.declared {
            return Err(EncodeError::Stream(format!(
                "{} of the {} messages declared were pushed",
                self.pushed, self.declared
            )));
        }
        let err = |e: rmp::encode::ValueWriteError| msgpack_error(&e);
        let msgpack = &mut self.msgpack;
        rmp::encode::write_str(msgpack, "viserVersion").map_err(err)?;
        rmp::encode::write_str(msgpack, VISER_VERSION).map_err(err)?;
        rmp::encode::write_str(msgpack, "binaryBufferLengths").map_err(err)?;
        rmp::encode::write_array_len(msgpack, self.lengths.len() as u32).map_err(err)?;
        for &len in &self.lengths {
            rmp::encode::write_uint(msgpack, len as u64).map_err(err)?;
        }
        // Padding and buffers are laid out relative to the start of inner,
        // which begins with the 8-byte length header.
        let mut total = 8 + msgpack.len();
        for &len in &self.lengths {
            total = total.next_multiple_of(8) + len;
        }
        let write = |e: std::io::Error| EncodeError::Write(e.to_string());
        out.write_all(&(total as u64).to_le_bytes())
            .map_err(write)?;
        let mut stream = viser4d_zstd::StreamCompressor::new(out, total as u64, level)
            .map_err(|e| EncodeError::Compression(e.to_string()))?;
        stream
            .write_all(&(msgpack.len() as u64).to_le_bytes())
            .map_err(write)?;
        stream.write_all(msgpack).map_err(write)?;
        const ZEROS: [u8; 8] = [0; 8];
        let mut at = 8 + msgpack.len();
        for (i, &len) in self.lengths.iter().enumerate() {
            let bytes = buffer(i).map_err(write)?;
            if bytes.len() != len {
                return Err(EncodeError::Stream(format!(
                    "buffer {i} is {} bytes, pushed as {len}",
                    bytes.len()
                )));
            }
            let pad = at.next_multiple_of(8) - at;
            stream.write_all(&ZEROS[..pad]).map_err(write)?;
            stream.write_all(&bytes).map_err(write)?;
            at += pad + len;
        }
        debug_assert_eq!(at, total);
        stream.finish().map_err(write)
    }
}

struct Timed<'a, T>(f64, &'a T);

impl<T: Serialize> Serialize for Timed<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(2)?;
        t.serialize_element(&self.0)?;
        t.serialize_element(self.1)?;
        t.end()
    }
}

/// A recording whose messages are left as value trees (arrays resolved to
/// their buffers), for readers that need only some types: the browser
/// runtime takes the `Timeline*` ones without linking viser's types.
#[derive(Debug, Clone)]
pub struct RawRecording {
    /// `durationSeconds`.
    pub duration_sec: f64,
    /// `viserVersion` of the writer.
    pub viser_version: String,
    /// `(time in seconds, message)`, in file order.
    pub messages: Vec<(f64, Value)>,
    /// The distinct binary buffers.
    pub buffers: Vec<Bytes>,
}

/// Decodes a recording (ours or one written by Python viser).
pub fn decode_recording(file: &[u8]) -> Result<Recording, FileError> {
    let raw = decode_recording_values(file)?;
    let mut messages = Vec::with_capacity(raw.messages.len());
    for (index, (t, m)) in raw.messages.into_iter().enumerate() {
        let m = AnyMessage::from_value(m).map_err(|source| FileError::Message { index, source })?;
        messages.push((t, m));
    }
    Ok(Recording {
        duration_sec: raw.duration_sec,
        viser_version: raw.viser_version,
        messages,
        buffers: raw.buffers,
    })
}

/// Decodes a recording, leaving each message a value tree.
pub fn decode_recording_values(file: &[u8]) -> Result<RawRecording, FileError> {
    let Some(header) = file.get(..8).and_then(|h| <[u8; 8]>::try_from(h).ok()) else {
        return Err(FileError::TooShort { len: file.len() });
    };
    let inner_len = u64::from_le_bytes(header);
    let limit = MAX_FILE_PAYLOAD_BYTES.min(usize::MAX as u64);
    if inner_len > limit {
        return Err(FileError::TooLarge {
            declared: inner_len,
            limit,
        });
    }
    let inner = Bytes::from(
        viser4d_zstd::decompress_exact(&file[8..], inner_len as usize)
            .map_err(|e| FileError::Compression(e.to_string()))?,
    );
    decode_inner(inner)
}

fn decode_inner(inner: Bytes) -> Result<RawRecording, FileError> {
    let Some(msgpack_len) = inner
        .get(..8)
        .and_then(|h| <[u8; 8]>::try_from(h).ok())
        .map(u64::from_le_bytes)
    else {
        return Err(FileError::Payload(
            "inner payload shorter than its 8-byte header".to_owned(),
        ));
    };
    let msgpack_end = usize::try_from(msgpack_len)
        .ok()
        .and_then(|l| l.checked_add(8))
        .filter(|&end| end <= inner.len())
        .ok_or_else(|| {
            FileError::Payload(format!(
                "msgpack length {msgpack_len} runs past the payload"
            ))
        })?;
    let msgpack = &inner[8..msgpack_end];
    let lengths = read_buffer_lengths(msgpack).map_err(FileError::Payload)?;
    let buffers =
        slice_aligned(&inner, msgpack_end, &lengths).map_err(|(index, offset, len)| {
            FileError::BufferOverrun {
                index,
                offset,
                len,
                total: inner.len(),
            }
        })?;
    let root = decode_with_buffers(msgpack, buffers.clone()).map_err(FileError::Payload)?;

    let duration_sec = root
        .get("durationSeconds")
        .and_then(Value::as_f64)
        .ok_or_else(|| FileError::Payload("no numeric `durationSeconds`".to_owned()))?;
    let viser_version = root
        .get("viserVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| FileError::Payload("no `viserVersion` string".to_owned()))?
        .to_owned();
    let Some(Value::Array(items)) = root.get("messages").cloned() else {
        return Err(FileError::Payload("no `messages` array".to_owned()));
    };
    let mut messages = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let pair = match item {
            Value::Array(pair) if pair.len() == 2 => pair,
            other => {
                return Err(FileError::Payload(format!(
                    "message {index} is a {} instead of a [time, message] pair",
                    other.kind()
                )));
            }
        };
        let mut pair = pair.into_iter();
        let (Some(t), Some(m)) = (pair.next(), pair.next()) else {
            return Err(FileError::Payload(format!("message {index} is not a pair")));
        };
        let Some(t) = t.as_f64() else {
            return Err(FileError::Payload(format!(
                "message {index} has a {} as its time",
                t.kind()
            )));
        };
        messages.push((t, m));
    }
    Ok(RawRecording {
        duration_sec,
        viser_version,
        messages,
        buffers,
    })
}

impl Recording {
    /// Re-encodes this recording.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        encode_recording(self.duration_sec, &self.messages)
    }
}
