//! When block sections are compressed, and with what context. zstd itself
//! is `viser4d-zstd` (the C library natively, `ruzstd` on wasm32). The wasm
//! build never compresses; it only reads what a native store wrote.

use crate::error::{DecodeError, EncodeError};

/// How block sections are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Store sections as plain msgpack.
    None,
    /// zstd at this level, kept only where it pays: for sections of 512 bytes
    /// or more that shrink by at least an eighth.
    /// On wasm32 this falls back to [`Compression::None`].
    Zstd {
        /// zstd level; 1 is what viser uses live.
        level: i32,
    },
}

impl Default for Compression {
    fn default() -> Self {
        Self::Zstd { level: 1 }
    }
}

/// Sections smaller than this are never compressed: zstd's frame overhead
/// and the decoder's setup cost more than they save.
const MIN_COMPRESS_BYTES: usize = 512;

impl Compression {
    /// A packer for one encoding pass (one zstd context, reused).
    pub(crate) fn packer(self) -> Packer {
        Packer {
            compression: self,
            context: None,
        }
    }
}

/// Compresses sections for one encoding pass, reusing one zstd context:
/// a block has a section per step, and setting a context up per section
/// cost a tenth of the compression.
pub(crate) struct Packer {
    compression: Compression,
    context: Option<viser4d_zstd::Compressor>,
}

impl Packer {
    /// The compressed bytes if compression pays (at least 1/8 smaller), else `None`.
    pub(crate) fn compress(&mut self, raw: &[u8]) -> Result<Option<Vec<u8>>, EncodeError> {
        let Compression::Zstd { level } = self.compression else {
            return Ok(None);
        };
        if raw.len() < MIN_COMPRESS_BYTES {
            return Ok(None);
        }
        let packed = self.zstd_compress(raw, level)?;
        Ok(packed.filter(|p| p.len() <= raw.len() - raw.len() / 8))
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn zstd_compress(&mut self, raw: &[u8], level: i32) -> Result<Option<Vec<u8>>, EncodeError> {
        let context = match &mut self.context {
            Some(context) => context,
            None => self
                .context
                .insert(viser4d_zstd::Compressor::new(level).map_err(EncodeError::Compress)?),
        };
        context
            .compress(raw)
            .map(Some)
            .map_err(EncodeError::Compress)
    }

    #[cfg(target_arch = "wasm32")]
    fn zstd_compress(&mut self, _raw: &[u8], _level: i32) -> Result<Option<Vec<u8>>, EncodeError> {
        self.context = None;
        Ok(None)
    }
}

/// Decompresses one zstd frame that must expand to exactly `raw_len` bytes.
pub(crate) fn zstd_decompress(data: &[u8], raw_len: usize) -> Result<Vec<u8>, DecodeError> {
    viser4d_zstd::decompress_exact(data, raw_len).map_err(decode_error)
}

fn decode_error(error: viser4d_zstd::ZstdError) -> DecodeError {
    match error {
        viser4d_zstd::ZstdError::Length { expected, found } => DecodeError::LengthMismatch {
            declared: expected,
            found,
        },
        other => DecodeError::Decompress(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_only_where_it_pays() {
        let mut zstd = Compression::Zstd { level: 1 }.packer();
        assert!(zstd.compress(&[7; 100]).expect("ok").is_none(), "too small");
        let mut seed = 42u64;
        let noise: Vec<u8> = (0..512)
            .flat_map(|_| {
                // splitmix64
                seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = seed;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                (z ^ (z >> 31)).to_le_bytes()
            })
            .collect();
        assert!(
            zstd.compress(&noise).expect("ok").is_none(),
            "incompressible"
        );
        assert!(zstd.compress(&[7; 4096]).expect("ok").is_some());
        assert!(
            Compression::None
                .packer()
                .compress(&[7; 4096])
                .expect("ok")
                .is_none()
        );
    }

    #[test]
    fn ruzstd_reads_what_zstd_writes() {
        let raw: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let packed = Compression::default()
            .packer()
            .compress(&raw)
            .expect("ok")
            .expect("compressible");
        let pure = |len| viser4d_zstd::decompress_exact_ruzstd(&packed, len).map_err(decode_error);
        assert_eq!(pure(raw.len()).expect("decodes"), raw);
        assert_eq!(zstd_decompress(&packed, raw.len()).expect("decodes"), raw);
        assert!(matches!(
            pure(raw.len() - 1),
            Err(DecodeError::LengthMismatch { .. } | DecodeError::Decompress(_))
        ));
    }
}
