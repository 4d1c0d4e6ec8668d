//! Typed errors of the codecs. Every decoder returns one of these for any
//! input; none of them panics on bytes from outside the process.

/// A message (a msgpack map) could not be turned into a typed message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not valid msgpack.
    #[error("malformed msgpack: {0}")]
    Msgpack(String),
    /// The message is not a msgpack map.
    #[error("a message must be a msgpack map, found {found}")]
    NotAMap {
        /// What was found instead.
        found: &'static str,
    },
    /// The map has no string `type` entry.
    #[error("message has no `type` string")]
    MissingType,
    /// The `type` is not a viser 1.1.1 message class.
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    /// A field is missing or has the wrong shape.
    #[error("{type_name}: field `{path}`: {message}")]
    Field {
        /// The message class.
        type_name: &'static str,
        /// The field, as a dotted path (`props.points`).
        path: String,
        /// What was wrong with it.
        message: String,
    },
}

/// A server-to-client frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Fewer bytes than the two length headers.
    #[error("frame of {len} bytes is shorter than its 16-byte header")]
    TooShort {
        /// The frame length.
        len: usize,
    },
    /// The compressed length runs past the end of the frame.
    #[error("compressed payload of {compressed_len} bytes does not fit a {frame_len}-byte frame")]
    CompressedOverrun {
        /// The length the header claims.
        compressed_len: u64,
        /// The frame length.
        frame_len: usize,
    },
    /// zstd failed or produced a different length than the header says.
    #[error("zstd: {0}")]
    Compression(String),
    /// The payload is not the map viser sends.
    #[error("payload: {0}")]
    Payload(String),
    /// The buffers named by `binaryBufferLengths` do not fit the frame.
    #[error(
        "binary buffer {index} ({len} bytes at offset {offset}) runs past the end ({total} bytes)"
    )]
    BufferOverrun {
        /// Which buffer.
        index: usize,
        /// Its start.
        offset: usize,
        /// Its length.
        len: u64,
        /// The length of what holds it.
        total: usize,
    },
    /// A message inside the frame is malformed.
    #[error("message {index}: {source}")]
    Message {
        /// Its position in the frame.
        index: usize,
        /// Why.
        source: DecodeError,
    },
}

/// A `.viser` file could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Fewer bytes than the 8-byte length header.
    #[error("file of {len} bytes is shorter than its 8-byte header")]
    TooShort {
        /// The file length.
        len: usize,
    },
    /// The declared decompressed size is over the limit we accept.
    #[error("declared payload of {declared} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// What the header says.
        declared: u64,
        /// The limit.
        limit: u64,
    },
    /// zstd failed or produced a different length than the header says.
    #[error("zstd: {0}")]
    Compression(String),
    /// The inner payload is not what viser writes.
    #[error("payload: {0}")]
    Payload(String),
    /// The buffers named by `binaryBufferLengths` do not fit.
    #[error(
        "binary buffer {index} ({len} bytes at offset {offset}) runs past the end ({total} bytes)"
    )]
    BufferOverrun {
        /// Which buffer.
        index: usize,
        /// Its start.
        offset: usize,
        /// Its length.
        len: u64,
        /// The length of what holds it.
        total: usize,
    },
    /// A recorded message is malformed.
    #[error("message {index}: {source}")]
    Message {
        /// Its position in the file.
        index: usize,
        /// Why.
        source: DecodeError,
    },
}

/// Encoding failed. With the types of this crate this only happens for a
/// value tree that is not a valid message (for example a `Custom` message
/// without a `type`), or when zstd fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// msgpack serialization failed.
    #[error("msgpack: {0}")]
    Msgpack(String),
    /// zstd failed.
    #[error("zstd: {0}")]
    Compression(String),
    /// A custom message is not a map with a string `type`.
    #[error("custom message must be a map with a string `type`")]
    UntypedCustomMessage,
    /// A streamed recording was used out of order (more or fewer messages
    /// than declared, a buffer of another length than it had).
    #[error("recording stream: {0}")]
    Stream(String),
    /// The output or a buffer's source failed.
    #[error("writing the recording: {0}")]
    Write(String),
}
