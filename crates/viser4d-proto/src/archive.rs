//! The archive format: a recording as a folder (or object-store prefix)
//! that any static host serves and the browser runtime plays block by
//! block, with no viser4d process behind it.
//!
//! ```text
//! archive.json                    the manifest (this module); written last
//! index.html                      viser's page, loading the runtime below
//! viser4d/runtime-<hash>.js       the runtime (wasm-bindgen glue)
//! viser4d/runtime-<hash>.wasm
//! scene-<hash>.viser              the live scene, as a .viser file the
//!                                 client plays (`?playbackPath=`)
//! timeline-<hash>.msgpack         TimelineConfigure + TimelineOverrides
//! blocks/<hash>.block             one TimelineBlock message each (msgpack)
//! states/<hash>.state             one TimelineState message each: the folded
//!                                 state at one step of a heavy block, so a
//!                                 cold seek there fetches one step, not the
//!                                 block (written for blocks of several steps
//!                                 and at least STATE_FILES_MIN_BYTES)
//! ```
//!
//! Every file but `archive.json` and `index.html` is named by the SHA-256
//! of its bytes ([`content_name`]), so a CDN may cache it forever and a
//! second write of the same recording skips what is already there. The
//! manifest lists each block with its size and full hash; a reader checks
//! both before it decodes a block.
//!
//! # Versioning
//!
//! [`ARCHIVE_VERSION`] counts incompatible layouts. Within a version,
//! writers only add optional fields, which older readers ignore; anything
//! an older reader would misread (a field's meaning, a file's encoding)
//! bumps the version, and [`ArchiveManifest::parse`] refuses a version it
//! does not know with an error that says which it reads. `protocol` is the
//! timeline protocol revision the blocks were encoded for: the archive's
//! own runtime always matches it; a server that loads an archive back
//! checks it against its own.

use serde::{Deserialize, Serialize};

use crate::timeline::{ServerMessage, TimelineBlock, TimelineState};

/// The manifest's `format` value.
pub const ARCHIVE_FORMAT: &str = "viser4d-archive";

/// The archive layout this crate reads and writes.
pub const ARCHIVE_VERSION: u32 = 1;

/// The manifest's file name at the archive's root.
pub const MANIFEST_FILE: &str = "archive.json";

/// The page's file name at the archive's root.
pub const INDEX_FILE: &str = "index.html";

/// Where block files go.
pub const BLOCKS_DIR: &str = "blocks";

/// Where step-state files go.
pub const STATES_DIR: &str = "states";

/// Blocks of several steps whose file is at least this large get a state
/// file for each step: the size from which the runtime asks a live server
/// (or an archive) for a step's state on a cold seek instead of the whole
/// block. At 100 Mbit/s it is ~5 ms of transfer, less than a round trip.
pub const STATE_FILES_MIN_BYTES: u64 = 64 << 10;

/// A block file bigger than this is refused (a block is bounded by the
/// store's byte budget; this only stops a crafted manifest).
pub const MAX_BLOCK_FILE_BYTES: u64 = 1 << 32;

/// `archive.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveManifest {
    /// Always [`ARCHIVE_FORMAT`].
    pub format: String,
    /// [`ARCHIVE_VERSION`] of the writer.
    pub version: u32,
    /// The timeline protocol revision the blocks were encoded for.
    pub protocol: u32,
    /// Who wrote it (`viser4d-server 0.1.0`).
    pub writer: String,
    /// Steps in the timeline (the range's last step + 1).
    pub num_steps: u32,
    /// The first step of the range.
    pub first_step: u32,
    /// Steps per second.
    pub fps: f64,
    /// The live scene: a `.viser` file the viser client plays.
    pub scene: String,
    /// The timeline's `TimelineConfigure` and `TimelineOverrides`, as a
    /// msgpack array of the two messages.
    pub timeline: String,
    /// The runtime's two files.
    pub runtime: ArchiveRuntime,
    /// The blocks of the range, by index.
    pub blocks: Vec<ArchiveBlock>,
    /// The audio tracks the recording holds (their samples are in the
    /// blocks).
    #[serde(default)]
    pub audio_tracks: Vec<ArchiveAudioTrack>,
}

/// The runtime's files in an archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveRuntime {
    /// The wasm-bindgen module (JavaScript).
    pub script: String,
    /// The wasm.
    pub wasm: String,
}

/// One block file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveBlock {
    /// Block index in the timeline.
    pub index: u32,
    /// Its file, relative to the archive root.
    pub file: String,
    /// The file's size.
    pub bytes: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// The block's revision when written.
    pub revision: u64,
    /// The folded state at each of its steps, for heavy blocks (see
    /// [`STATE_FILES_MIN_BYTES`]); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<ArchiveState>,
}

/// A step's state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveState {
    /// The step.
    pub step: u32,
    /// Its file, relative to the archive root.
    pub file: String,
    /// The file's size.
    pub bytes: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// An audio track of the recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveAudioTrack {
    /// Track name.
    pub name: String,
    /// Frames per second.
    pub sample_rate: u32,
    /// Channels per frame.
    pub channels: u16,
}

/// Why a manifest or a file of an archive was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// Not JSON, or not the shape of a manifest.
    #[error("the archive manifest is not valid: {0}")]
    Malformed(String),
    /// JSON, but not ours.
    #[error(
        "this is not a viser4d archive manifest (its format is {found:?}, not {ARCHIVE_FORMAT:?})"
    )]
    NotAnArchive {
        /// The `format` found, if any.
        found: Option<String>,
    },
    /// A layout this reader does not know.
    #[error(
        "the archive is format version {found}; this viser4d reads version {ARCHIVE_VERSION}: open it with the viser4d that wrote it ({writer})"
    )]
    UnknownVersion {
        /// Its version.
        found: u64,
        /// Its writer, as it says.
        writer: String,
    },
    /// A value out of bounds.
    #[error("the archive manifest is not valid: {0}")]
    Invalid(String),
    /// A file whose bytes are not what the manifest says.
    #[error("{file} is damaged: {reason}")]
    Damaged {
        /// The file.
        file: String,
        /// What differs.
        reason: String,
    },
}

impl ArchiveManifest {
    /// Reads a manifest, refusing what is not a manifest of a known
    /// version or names files outside the archive.
    pub fn parse(json: &[u8]) -> Result<ArchiveManifest, ArchiveError> {
        let value: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| ArchiveError::Malformed(e.to_string()))?;
        let format = value.get("format").and_then(|f| f.as_str());
        if format != Some(ARCHIVE_FORMAT) {
            return Err(ArchiveError::NotAnArchive {
                found: format.map(str::to_owned),
            });
        }
        let version = value.get("version").and_then(|v| v.as_u64());
        if version != Some(u64::from(ARCHIVE_VERSION)) {
            return Err(ArchiveError::UnknownVersion {
                found: version.unwrap_or(0),
                writer: value
                    .get("writer")
                    .and_then(|w| w.as_str())
                    .unwrap_or("unknown")
                    .to_owned(),
            });
        }
        let manifest: ArchiveManifest =
            serde_json::from_value(value).map_err(|e| ArchiveError::Malformed(e.to_string()))?;
        manifest.check()?;
        Ok(manifest)
    }

    /// The manifest as JSON (pretty: people read it).
    pub fn to_json(&self) -> Vec<u8> {
        // A struct of strings and numbers always serializes.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    fn check(&self) -> Result<(), ArchiveError> {
        let invalid = |m: String| Err(ArchiveError::Invalid(m));
        if self.num_steps == 0 || self.first_step >= self.num_steps {
            return invalid(format!(
                "first_step {} and num_steps {} do not make a range",
                self.first_step, self.num_steps
            ));
        }
        if !(self.fps.is_finite() && self.fps > 0.0) {
            return invalid(format!("fps {} is not positive and finite", self.fps));
        }
        for file in [
            &self.scene,
            &self.timeline,
            &self.runtime.script,
            &self.runtime.wasm,
        ] {
            check_file_name(file)?;
        }
        let mut previous: Option<u32> = None;
        for block in &self.blocks {
            check_file_name(&block.file)?;
            // Blocks follow one another: each holds on from the one before
            // (only the first is loaded with its checkpoint).
            if previous.is_some_and(|p| Some(block.index) != p.checked_add(1)) {
                return invalid(format!(
                    "block {} is listed after block {}: blocks must be consecutive",
                    block.index,
                    previous.unwrap_or_default()
                ));
            }
            previous = Some(block.index);
            if block.bytes > MAX_BLOCK_FILE_BYTES {
                return invalid(format!(
                    "block {} claims {} bytes",
                    block.index, block.bytes
                ));
            }
            check_hash(&block.sha256, &block.file)?;
            for state in &block.states {
                check_file_name(&state.file)?;
                check_hash(&state.sha256, &state.file)?;
                if state.bytes > MAX_BLOCK_FILE_BYTES {
                    return invalid(format!("{} claims {} bytes", state.file, state.bytes));
                }
            }
        }
        if self.blocks.is_empty() {
            return invalid("it lists no blocks".into());
        }
        Ok(())
    }

    /// The entry of block `index`, if the archive holds it.
    pub fn block(&self, index: u32) -> Option<&ArchiveBlock> {
        self.blocks
            .binary_search_by_key(&index, |b| b.index)
            .ok()
            .map(|i| &self.blocks[i])
    }

    /// Every file the manifest names, the manifest itself and the page
    /// excepted.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        [
            self.scene.as_str(),
            self.timeline.as_str(),
            self.runtime.script.as_str(),
            self.runtime.wasm.as_str(),
        ]
        .into_iter()
        .chain(self.blocks.iter().flat_map(|b| {
            std::iter::once(b.file.as_str()).chain(b.states.iter().map(|s| s.file.as_str()))
        }))
    }
}

impl ArchiveState {
    /// Checks that `bytes` are this state's file.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), ArchiveError> {
        verify_file(&self.file, self.bytes, &self.sha256, bytes)
    }

    /// This state's message from its file's bytes, checked.
    pub fn decode(&self, bytes: &[u8]) -> Result<TimelineState, ArchiveError> {
        self.verify(bytes)?;
        match decode_message(&self.file, bytes)? {
            ServerMessage::TimelineState(s) if s.step == self.step => Ok(s),
            _ => Err(self.damaged(format!("it does not hold the state of step {}", self.step))),
        }
    }

    fn damaged(&self, reason: String) -> ArchiveError {
        ArchiveError::Damaged {
            file: self.file.clone(),
            reason,
        }
    }
}

impl ArchiveBlock {
    /// This block's message from its file's bytes, checked.
    pub fn decode(&self, bytes: &[u8]) -> Result<TimelineBlock, ArchiveError> {
        self.verify(bytes)?;
        match decode_message(&self.file, bytes)? {
            ServerMessage::TimelineBlock(b) if b.index == self.index => Ok(b),
            _ => Err(ArchiveError::Damaged {
                file: self.file.clone(),
                reason: format!("it does not hold block {}", self.index),
            }),
        }
    }
}

fn decode_message(file: &str, bytes: &[u8]) -> Result<ServerMessage, ArchiveError> {
    let damaged = |reason: String| ArchiveError::Damaged {
        file: file.to_owned(),
        reason,
    };
    let value = crate::timeline::unpack(bytes).map_err(|e| damaged(e.to_string()))?;
    ServerMessage::from_value(value)
        .map_err(|e| damaged(e.to_string()))?
        .ok_or_else(|| damaged("it holds no timeline message".into()))
}

/// Checks a content-named file (`{stem}-{hash}.{ext}`, see
/// [`content_name`]) against the hash in its name.
pub fn verify_content_name(file: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
    let base = file.rsplit('/').next().unwrap_or(file);
    let stem = base.split('.').next().unwrap_or(base);
    let named = stem.rsplit('-').next().unwrap_or(stem);
    let hash = sha256_hex(bytes);
    if named.len() == 32 && hash.starts_with(&named.to_ascii_lowercase()) {
        return Ok(());
    }
    Err(ArchiveError::Damaged {
        file: file.to_owned(),
        reason: format!("its SHA-256 is {hash}, its name says {named}"),
    })
}

impl ArchiveBlock {
    /// Checks that `bytes` are this block's file.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), ArchiveError> {
        verify_file(&self.file, self.bytes, &self.sha256, bytes)
    }

    /// The state file of `step`, if the block has one.
    pub fn state(&self, step: u32) -> Option<&ArchiveState> {
        self.states.iter().find(|s| s.step == step)
    }
}

fn verify_file(file: &str, size: u64, sha256: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
    let damaged = |reason: String| ArchiveError::Damaged {
        file: file.to_owned(),
        reason,
    };
    if bytes.len() as u64 != size {
        return Err(damaged(format!(
            "it has {} bytes, the manifest says {size}",
            bytes.len()
        )));
    }
    let hash = sha256_hex(bytes);
    if hash != sha256.to_ascii_lowercase() {
        return Err(damaged(format!(
            "its SHA-256 is {hash}, the manifest says {sha256}"
        )));
    }
    Ok(())
}

fn check_hash(sha256: &str, file: &str) -> Result<(), ArchiveError> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(());
    }
    Err(ArchiveError::Invalid(format!(
        "{file} has no SHA-256 (found {sha256:?})"
    )))
}

/// Names inside an archive are relative paths of plain segments: nothing
/// a reader resolves outside the archive's root.
fn check_file_name(name: &str) -> Result<(), ArchiveError> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && name.split('/').all(|s| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
    if ok {
        Ok(())
    } else {
        Err(ArchiveError::Invalid(format!(
            "file name {name:?} is not a plain relative path"
        )))
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// The content-addressed name of a file: `{dir}/{stem}-{hash}.{ext}`
/// (no dir: at the root; empty stem: the hash alone), with the first 32
/// hex digits (128 bits) of its SHA-256. Returns the name and the full hash.
pub fn content_name(dir: &str, stem: &str, ext: &str, bytes: &[u8]) -> (String, String) {
    let hash = sha256_hex(bytes);
    let short = &hash[..32];
    let file = match stem {
        "" => format!("{short}.{ext}"),
        _ => format!("{stem}-{short}.{ext}"),
    };
    let name = match dir {
        "" => file,
        _ => format!("{dir}/{file}"),
    };
    (name, hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> ArchiveManifest {
        let block = b"block";
        let (file, sha256) = content_name(BLOCKS_DIR, "", "block", block);
        ArchiveManifest {
            format: ARCHIVE_FORMAT.into(),
            version: ARCHIVE_VERSION,
            protocol: crate::timeline::PROTOCOL_REVISION,
            writer: "test".into(),
            num_steps: 10,
            first_step: 0,
            fps: 10.0,
            scene: "scene-0.viser".into(),
            timeline: "timeline-0.msgpack".into(),
            runtime: ArchiveRuntime {
                script: "viser4d/runtime-0.js".into(),
                wasm: "viser4d/runtime-0.wasm".into(),
            },
            blocks: vec![ArchiveBlock {
                index: 0,
                file,
                bytes: block.len() as u64,
                sha256,
                revision: 1,
                states: vec![],
            }],
            audio_tracks: vec![],
        }
    }

    #[test]
    fn a_manifest_round_trips_and_its_blocks_verify() {
        let m = manifest();
        let parsed = ArchiveManifest::parse(&m.to_json()).expect("parses");
        assert_eq!(parsed, m);
        let block = parsed.block(0).expect("block 0");
        assert!(block.file.starts_with("blocks/") && block.file.ends_with(".block"));
        block.verify(b"block").expect("the same bytes verify");
        let e = block.verify(b"blocc").expect_err("other bytes do not");
        assert!(e.to_string().contains("SHA-256"), "{e}");
        let e = block.verify(b"bloc").expect_err("fewer bytes do not");
        assert!(e.to_string().contains("4 bytes"), "{e}");
        assert!(parsed.block(1).is_none());
        let (name, _) = content_name("", "timeline", "msgpack", b"abc");
        verify_content_name(&name, b"abc").expect("its own bytes");
        assert!(verify_content_name(&name, b"abd").is_err());
        assert!(verify_content_name("timeline.msgpack", b"abc").is_err());
    }

    #[test]
    fn what_is_not_a_known_manifest_is_refused_with_a_reason() {
        let mut newer: serde_json::Value =
            serde_json::from_slice(&manifest().to_json()).expect("json");
        newer["version"] = 2.into();
        newer["writer"] = "viser4d-server 9.0.0".into();
        let e = ArchiveManifest::parse(newer.to_string().as_bytes()).expect_err("v2");
        assert!(matches!(e, ArchiveError::UnknownVersion { found: 2, .. }));
        assert!(e.to_string().contains("9.0.0"), "{e}");
        let mut added =
            serde_json::from_slice::<serde_json::Value>(&manifest().to_json()).expect("json");
        added["a_field_from_later"] = 1.into();
        ArchiveManifest::parse(added.to_string().as_bytes()).expect("unknown fields are ignored");
        let e = ArchiveManifest::parse(b"{\"format\":\"other\"}").expect_err("not ours");
        assert!(matches!(e, ArchiveError::NotAnArchive { .. }));
        assert!(ArchiveManifest::parse(b"not json").is_err());
        for bad in ["../x.block", "/etc/passwd", "a//b", "a\\b", "", "blocks/ x"] {
            let mut m = manifest();
            m.blocks[0].file = bad.into();
            let e = ArchiveManifest::parse(&m.to_json()).expect_err(bad);
            assert!(e.to_string().contains("plain relative path"), "{bad}: {e}");
        }
        let mut m = manifest();
        m.blocks.push(m.blocks[0].clone());
        assert!(
            ArchiveManifest::parse(&m.to_json()).is_err(),
            "duplicate block"
        );
        let mut m = manifest();
        m.first_step = 10;
        assert!(ArchiveManifest::parse(&m.to_json()).is_err(), "empty range");
    }
}
