//! A minimal PNG encoder (8-bit RGB or RGBA, no filtering, zlib through
//! `flate2`), enough to send raw pixels and viser's packed depth images
//! without an image crate.

use std::io::Write;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::ZlibEncoder;

/// Channels per pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColorType {
    Rgb,
    Rgba,
}

impl ColorType {
    fn channels(self) -> usize {
        match self {
            ColorType::Rgb => 3,
            ColorType::Rgba => 4,
        }
    }

    /// The PNG color type code.
    fn code(self) -> u8 {
        match self {
            ColorType::Rgb => 2,
            ColorType::Rgba => 6,
        }
    }
}

/// Encodes `pixels` (row-major, `width * height * channels` bytes; the
/// caller checks the count) as a PNG file.
pub(crate) fn encode(width: u32, height: u32, color: ColorType, pixels: &[u8]) -> Bytes {
    let row_bytes = width as usize * color.channels();
    // Fast compression: images may be replaced many times a second, and
    // the frame is zstd-compressed again anyway.
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::fast());
    for row in pixels.chunks_exact(row_bytes.max(1)) {
        // Writing into a Vec cannot fail. Filter type 0 (none) per row.
        zlib.write_all(&[0]).ok();
        zlib.write_all(row).ok();
    }
    let compressed = zlib.finish().unwrap_or_default();

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8; compression, filter and interlace methods 0.
    ihdr.extend_from_slice(&[8, color.code(), 0, 0, 0]);

    let mut out = Vec::with_capacity(compressed.len() + 64);
    out.extend_from_slice(&[0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n']);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &compressed);
    chunk(&mut out, b"IEND", &[]);
    Bytes::from(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Chunks are far below 4 GiB: an image that large could not be sent.
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(kind.iter().chain(data));
    out.extend_from_slice(&crc.to_be_bytes());
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// The CRC-32 PNG chunks carry (ISO 3309, as in zlib).
fn crc32<'a>(bytes: impl Iterator<Item = &'a u8>) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c = CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    c ^ 0xffff_ffff
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789".iter()), 0xcbf4_3926);
        // The IEND chunk's CRC every PNG ends with.
        assert_eq!(crc32(b"IEND".iter()), 0xae42_6082);
    }

    #[test]
    fn pixels_round_trip_through_the_idat() {
        let pixels = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        let png = encode(2, 2, ColorType::Rgb, &pixels);
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(&png[16..20], &2u32.to_be_bytes());
        assert_eq!(png[25], 2, "color type RGB");
        let idat_len = u32::from_be_bytes([png[33], png[34], png[35], png[36]]) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&png[41..41 + idat_len])
            .read_to_end(&mut raw)
            .ok();
        assert_eq!(raw, [0, 1, 2, 3, 4, 5, 6, 0, 7, 8, 9, 10, 11, 12]);
        assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]));
    }
}
