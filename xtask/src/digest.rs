//! SHA-256 of files and bytes, and "stamp" files that record which input a
//! derived file was made from, so tasks skip work whose input is unchanged.

use std::{fs, io, path::Path};

use anyhow::{Context as _, Result};
use sha2::{Digest as _, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher).with_context(|| format!("reading {}", path.display()))?;
    Ok(hex(&hasher.finalize()))
}

/// Whether `stamp` holds exactly `expected` (a missing stamp is not a match).
pub fn stamp_matches(stamp: &Path, expected: &str) -> bool {
    fs::read_to_string(stamp).is_ok_and(|text| text == expected)
}

pub fn write_stamp(stamp: &Path, value: &str) -> Result<()> {
    fs::write(stamp, value).with_context(|| format!("writing {}", stamp.display()))
}

/// Write `bytes` to `path` unless it already holds them, through a temporary
/// file and a rename so a reader never sees half a file. Returns whether it wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool> {
    if fs::read(path).is_ok_and(|current| current == bytes) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(true)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            write!(out, "{byte:02x}").ok();
            out
        })
}
