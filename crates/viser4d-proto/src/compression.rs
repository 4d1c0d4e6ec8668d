//! zstd, behind one small interface: the C library on native targets (it
//! is faster and does every level), the pure-Rust `ruzstd` on wasm32 where
//! the C library cannot be built.

/// Compresses `data` at `level` (viser: 1 live, 12 for files).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn compress(data: &[u8], level: i32) -> Result<Vec<u8>, String> {
    zstd::bulk::compress(data, level).map_err(|e| e.to_string())
}

/// Decompresses a frame whose content must be exactly `expected_len`
/// bytes; anything else is an error (the header lied or the data is bad).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn decompress_exact(data: &[u8], expected_len: usize) -> Result<Vec<u8>, String> {
    let decoder = zstd::stream::read::Decoder::new(data).map_err(|e| e.to_string())?;
    read_exact_len(decoder, expected_len)
}

/// ruzstd only has a fast encoder; that is all the browser needs (it never
/// writes files).
#[cfg(target_arch = "wasm32")]
pub(crate) fn compress(data: &[u8], _level: i32) -> Result<Vec<u8>, String> {
    Ok(ruzstd::encoding::compress_to_vec(
        data,
        ruzstd::encoding::CompressionLevel::Fastest,
    ))
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn decompress_exact(data: &[u8], expected_len: usize) -> Result<Vec<u8>, String> {
    let decoder = ruzstd::decoding::StreamingDecoder::new(data).map_err(|e| e.to_string())?;
    read_exact_len(decoder, expected_len)
}

/// Reads up to one byte more than expected so both short and long output
/// are detected, and never pre-allocates more than a sane amount on the
/// word of an untrusted header.
fn read_exact_len(reader: impl std::io::Read, expected_len: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    const MAX_PREALLOC: usize = 64 << 20;
    let mut out = Vec::with_capacity(expected_len.min(MAX_PREALLOC));
    reader
        .take(expected_len as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    if out.len() != expected_len {
        return Err(format!(
            "decompressed to {} bytes, header says {expected_len}",
            out.len()
        ));
    }
    Ok(out)
}

/// Compresses the concatenation of `parts` without building it first: a
/// recording's buffers can be gigabytes, and a joined copy would double the
/// peak memory of an export.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn compress_parts(parts: &[&[u8]], level: i32) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut encoder =
        zstd::stream::write::Encoder::new(Vec::new(), level).map_err(|e| e.to_string())?;
    encoder
        .set_pledged_src_size(Some(total as u64))
        .map_err(|e| e.to_string())?;
    encoder
        .include_contentsize(true)
        .map_err(|e| e.to_string())?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    if workers > 1 {
        encoder.multithread(workers).map_err(|e| e.to_string())?;
    }
    for part in parts {
        encoder.write_all(part).map_err(|e| e.to_string())?;
    }
    encoder.finish().map_err(|e| e.to_string())
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn compress_parts(parts: &[&[u8]], level: i32) -> Result<Vec<u8>, String> {
    compress(&parts.concat(), level)
}
