//! `viser4d-zstd`: zstd behind one small interface, the same on every
//! target. The C library natively (it is faster and does every level); the
//! pure-Rust `ruzstd` on wasm32, where the C library cannot be built.
//!
//! It owns only compression: the frame and `.viser` codecs of
//! `viser4d-proto` and the block sections of `viser4d-timeline` both call
//! it, so there is one wrapper, not one per crate. It must never depend on
//! another viser4d crate, do I/O or start threads of its own beyond zstd's
//! multithreaded compressor.

#![deny(missing_docs)]

/// What went wrong compressing or decompressing.
#[derive(Debug, thiserror::Error)]
pub enum ZstdError {
    /// The codec refused the data (corrupt input, a failed context).
    #[error("zstd: {0}")]
    Codec(String),
    /// The data decompressed to another size than declared.
    #[error("zstd data decompressed to {found} bytes, declared {expected}")]
    Length {
        /// The declared size.
        expected: u64,
        /// What came out (at most one byte past the declared size is read).
        found: u64,
    },
}

/// Never pre-allocate more than this on the word of an untrusted header.
const MAX_PREALLOC: usize = 64 << 20;

fn codec(error: impl std::fmt::Display) -> ZstdError {
    ZstdError::Codec(error.to_string())
}

/// Compresses `data` at `level` (viser: 1 live, 12 for files). On wasm32
/// the level is ignored: `ruzstd` has one fast encoder, which is all the
/// browser needs (it never writes files).
pub fn compress(data: &[u8], level: i32) -> Result<Vec<u8>, ZstdError> {
    Compressor::new(level)?.compress(data)
}

/// Compresses the concatenation of `parts` without building it first (a
/// recording's buffers can be gigabytes; a joined copy would double the
/// peak memory of an export), on every core natively.
#[cfg(not(target_arch = "wasm32"))]
pub fn compress_parts(parts: &[&[u8]], level: i32) -> Result<Vec<u8>, ZstdError> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut stream = StreamCompressor::new(Vec::new(), total as u64, level)?;
    for part in parts {
        stream.write_all(part).map_err(codec)?;
    }
    stream.finish().map_err(codec)
}

/// Compresses the concatenation of `parts`.
#[cfg(target_arch = "wasm32")]
pub fn compress_parts(parts: &[&[u8]], level: i32) -> Result<Vec<u8>, ZstdError> {
    compress(&parts.concat(), level)
}

/// Compresses a stream of known total length into `out` as it is written
/// (a recording of gigabytes never sits in memory compressed or not), on
/// every core natively. Write exactly the pledged bytes, then
/// [`StreamCompressor::finish`].
#[cfg(not(target_arch = "wasm32"))]
pub struct StreamCompressor<W: std::io::Write> {
    encoder: zstd::stream::write::Encoder<'static, W>,
}

/// Compresses a stream of known total length into `out`. On wasm32 the
/// input is gathered and compressed at [`StreamCompressor::finish`].
#[cfg(target_arch = "wasm32")]
pub struct StreamCompressor<W: std::io::Write> {
    out: W,
    data: Vec<u8>,
}

impl<W: std::io::Write> std::fmt::Debug for StreamCompressor<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamCompressor").finish_non_exhaustive()
    }
}

impl<W: std::io::Write> StreamCompressor<W> {
    /// A compressor at `level` into `out`, for `total` bytes of input.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(out: W, total: u64, level: i32) -> Result<StreamCompressor<W>, ZstdError> {
        let mut encoder = zstd::stream::write::Encoder::new(out, level).map_err(codec)?;
        encoder.set_pledged_src_size(Some(total)).map_err(codec)?;
        encoder.include_contentsize(true).map_err(codec)?;
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        if workers > 1 {
            encoder.multithread(workers).map_err(codec)?;
        }
        Ok(StreamCompressor { encoder })
    }

    /// A compressor at `level` into `out`, for `total` bytes of input.
    #[cfg(target_arch = "wasm32")]
    pub fn new(out: W, total: u64, level: i32) -> Result<StreamCompressor<W>, ZstdError> {
        let _ = level;
        let data = Vec::with_capacity(usize::try_from(total).unwrap_or(0).min(MAX_PREALLOC));
        Ok(StreamCompressor { out, data })
    }

    /// Compresses `data` (errors of `out` come back as I/O errors).
    pub fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.encoder.write_all(data)
        }
        #[cfg(target_arch = "wasm32")]
        {
            self.data.write_all(data)
        }
    }

    /// Ends the stream and returns `out`.
    pub fn finish(self) -> std::io::Result<W> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.encoder.finish()
        }
        #[cfg(target_arch = "wasm32")]
        {
            let mut out = self.out;
            let compressed = compress(&self.data, 0).map_err(std::io::Error::other)?;
            out.write_all(&compressed)?;
            Ok(out)
        }
    }
}

/// A compressor to reuse across many small inputs: setting a context up
/// per input costs a tenth of compressing a block's sections.
pub struct Compressor {
    #[cfg(not(target_arch = "wasm32"))]
    context: zstd::bulk::Compressor<'static>,
}

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compressor").finish_non_exhaustive()
    }
}

impl Compressor {
    /// A compressor at `level`.
    pub fn new(level: i32) -> Result<Compressor, ZstdError> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            Ok(Compressor {
                context: zstd::bulk::Compressor::new(level).map_err(codec)?,
            })
        }
        #[cfg(target_arch = "wasm32")]
        {
            let _ = level;
            Ok(Compressor {})
        }
    }

    /// One zstd frame holding `data`, with its size in the header.
    pub fn compress(&mut self, data: &[u8]) -> Result<Vec<u8>, ZstdError> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.context.compress(data).map_err(codec)
        }
        #[cfg(target_arch = "wasm32")]
        {
            Ok(ruzstd::encoding::compress_to_vec(
                data,
                ruzstd::encoding::CompressionLevel::Fastest,
            ))
        }
    }
}

/// Decompresses zstd data that must expand to exactly `expected_len`
/// bytes; anything else is an error (the header lied or the data is bad).
#[cfg(not(target_arch = "wasm32"))]
pub fn decompress_exact(data: &[u8], expected_len: usize) -> Result<Vec<u8>, ZstdError> {
    if expected_len <= MAX_PREALLOC {
        // One allocation of the declared size, which the bulk decoder never
        // writes past; a shorter output is caught below.
        let out = zstd::bulk::decompress(data, expected_len).map_err(codec)?;
        return check_len(out, expected_len);
    }
    let decoder = zstd::stream::read::Decoder::new(data).map_err(codec)?;
    read_exact_len(decoder, expected_len)
}

/// Decompresses zstd data that must expand to exactly `expected_len` bytes.
#[cfg(target_arch = "wasm32")]
pub fn decompress_exact(data: &[u8], expected_len: usize) -> Result<Vec<u8>, ZstdError> {
    decompress_exact_ruzstd(data, expected_len)
}

/// The browser's decoder (natively with the `ruzstd` feature, for tests).
/// It streams, so corrupt bytes claiming a huge size cannot make it zero a
/// huge buffer.
#[cfg(any(target_arch = "wasm32", feature = "ruzstd"))]
pub fn decompress_exact_ruzstd(data: &[u8], expected_len: usize) -> Result<Vec<u8>, ZstdError> {
    let decoder = ruzstd::decoding::StreamingDecoder::new(data).map_err(codec)?;
    read_exact_len(decoder, expected_len)
}

/// Reads up to one byte more than expected, so both short and long output
/// are detected.
fn read_exact_len(reader: impl std::io::Read, expected_len: usize) -> Result<Vec<u8>, ZstdError> {
    use std::io::Read;
    let mut out = Vec::with_capacity(expected_len.min(MAX_PREALLOC));
    reader
        .take(expected_len as u64 + 1)
        .read_to_end(&mut out)
        .map_err(codec)?;
    check_len(out, expected_len)
}

fn check_len(out: Vec<u8>, expected_len: usize) -> Result<Vec<u8>, ZstdError> {
    if out.len() != expected_len {
        return Err(ZstdError::Length {
            expected: expected_len as u64,
            found: out.len() as u64,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect()
    }

    #[test]
    fn round_trips_and_rejects_a_wrong_declared_size() {
        let raw = sample();
        let packed = compress(&raw, 3).expect("compresses");
        assert!(packed.len() < raw.len() / 4);
        assert_eq!(decompress_exact(&packed, raw.len()).expect("decodes"), raw);
        assert!(matches!(
            decompress_exact(&packed, raw.len() + 1),
            Err(ZstdError::Length { .. })
        ));
        assert!(decompress_exact(&packed, raw.len() - 1).is_err());
        assert!(decompress_exact(b"not zstd at all", 10).is_err());
    }

    #[test]
    fn parts_compress_like_their_concatenation() {
        let raw = sample();
        let (a, b) = raw.split_at(12_345);
        let packed = compress_parts(&[a, b], 3).expect("compresses");
        assert_eq!(decompress_exact(&packed, raw.len()).expect("decodes"), raw);
    }

    #[test]
    fn a_huge_declared_size_is_not_allocated() {
        let packed = compress(&[1, 2, 3], 1).expect("compresses");
        assert!(decompress_exact(&packed, usize::MAX / 2).is_err());
    }
}
