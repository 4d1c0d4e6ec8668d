//! `serialize`: the recording as a `.viser` file the stock viser client
//! plays with no server behind it.
//!
//! The file holds, at time 0, the single-script runtime (a
//! `RunJavascriptMessage`) and the live scene; then the timeline as our own
//! messages: a standalone `TimelineConfigure` for the range, the overrides,
//! and every block the range touches as a binary buffer (with the audio of
//! its steps), exactly the bytes a live tab is sent. Blocks come from the
//! store's cache (encoded once, shared, not copied), one lock hold each.

use viser4d_proto::messages::RunJavascriptMessage;
use viser4d_proto::timeline::ServerMessage;
use viser4d_proto::{AnyMessage, Message};

use crate::error::{Result, ServerError};
use crate::server::Server;

/// When the timeline messages play in the file: after the runtime (at 0)
/// has installed itself, so they pass through its hook on viser's queue.
pub const TIMELINE_AT_SEC: f64 = 0.0;

/// zstd level of exported files.
pub const EXPORT_ZSTD_LEVEL: i32 = 3;

/// Where the runtime script is in the bundle.
const RUNTIME_SCRIPT: &str = "/viser4d/viser4d_runtime_inline.js";

impl Server {
    /// The recording of steps `start..=end` (`end` defaults to the last
    /// step) as `.viser` bytes: the live scene, the overrides, the
    /// timeline of the range and its audio (tracks started earlier play
    /// from the right offset), and the runtime that plays it. Errors name
    /// the bounds when the range is not within the timeline.
    pub fn serialize(&self, start: u32, end: Option<u32>) -> Result<Vec<u8>> {
        self.serialize_with_progress(start, end, |_, _| {})
    }

    /// Writes the recording of steps `start..=end` to `path`, whole or not
    /// at all: the bytes go to a temporary file beside it, which replaces
    /// `path` only once complete, so a full disk or an interrupted export
    /// never leaves a truncated recording (or destroys an older one) under
    /// that name. Returns the bytes written.
    pub fn write_recording(
        &self,
        path: impl AsRef<std::path::Path>,
        start: u32,
        end: Option<u32>,
    ) -> Result<u64> {
        let bytes = self.serialize(start, end)?;
        write_atomically(path.as_ref(), &bytes)?;
        Ok(bytes.len() as u64)
    }

    /// [`Server::serialize`], calling `progress(blocks_done, blocks_total)`
    /// as blocks are gathered.
    pub fn serialize_with_progress(
        &self,
        start: u32,
        end: Option<u32>,
        mut progress: impl FnMut(u32, u32),
    ) -> Result<Vec<u8>> {
        let script = self
            .shared
            .bundle
            .asset(RUNTIME_SCRIPT)
            .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
            .ok_or(ServerError::RuntimeScriptMissing)?;
        let mut messages: Vec<(f64, AnyMessage)> = vec![(
            0.0,
            AnyMessage::Viser(Message::from(RunJavascriptMessage { source: script })),
        )];
        let (first_block, last_block, configure, overrides) = {
            let mut state = self.shared.lock();
            for m in state.replay_messages() {
                if m.in_scene_serialization() {
                    messages.push((0.0, AnyMessage::Viser(m.clone())));
                }
            }
            let timeline = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
            let num_steps = timeline.store.num_steps();
            let end = end.unwrap_or(num_steps - 1);
            if start > end || end >= num_steps {
                return Err(ServerError::InvalidRange {
                    start,
                    end,
                    num_steps,
                });
            }
            let mut configure = timeline.configure_message();
            configure.num_steps = end + 1;
            configure.first_step = start;
            configure.standalone = true;
            // Room for every block of the file (a browser number holds it
            // exactly, unlike u64::MAX).
            configure.cache_bytes = 1 << 50;
            let (first_block, last_block) = (
                timeline.store.block_of(start)?,
                timeline.store.block_of(end)?,
            );
            configure.block_bytes.truncate(last_block as usize + 1);
            configure.block_starts.truncate(last_block as usize + 1);
            (
                first_block,
                last_block,
                configure,
                timeline.overrides_message()?,
            )
        };
        let total = last_block - first_block + 1;
        let mut timeline: Vec<ServerMessage> = vec![configure.into(), overrides.into()];
        for (done, index) in (first_block..=last_block).enumerate() {
            let block = {
                let mut state = self.shared.lock();
                let t = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
                t.block_message(index)?
            };
            timeline.push(block.into());
            progress(done as u32 + 1, total);
        }
        for m in timeline {
            let value = m
                .to_value()
                .map_err(|e| ServerError::invalid("timeline", e.to_string()))?;
            messages.push((TIMELINE_AT_SEC, AnyMessage::Custom(value)));
        }
        // Blocks are zstd-compressed already; viser's level 12 over them
        // costs seconds on a big recording and saves a few percent.
        viser4d_proto::encode_recording_at_level(TIMELINE_AT_SEC, &messages, EXPORT_ZSTD_LEVEL)
            .map_err(|e| ServerError::invalid("recording", e.to_string()))
    }
}

impl Server {
    /// The recording of steps `start..=end` as one self-contained HTML
    /// page: viser's client with the [`Server::serialize`] bytes embedded
    /// (`window.__VISER_EMBED_DATA__`, base64) and `darkMode`. It plays
    /// opened from `file://`, or mailed, with no server.
    pub fn as_html(&self, start: u32, end: Option<u32>, dark_mode: bool) -> Result<String> {
        let recording = self.serialize(start, end)?;
        Ok(embed_in_page(
            &self.shared.bundle.client_page,
            &recording,
            dark_mode,
        ))
    }
}

/// viser's page with `recording` embedded before `</head>`, as viser's own
/// `as_html` does.
pub fn embed_in_page(client_page: &str, recording: &[u8], dark_mode: bool) -> String {
    let script = format!(
        "<script>window.__VISER_EMBED_DATA__=\"{}\";window.__VISER_EMBED_CONFIG__={{darkMode:{dark_mode}}};</script>",
        viser4d_proto::base64_encode(recording)
    );
    crate::bundle::inject_before_head_end(client_page, &script)
}

/// A `.viser` recording (ours or Python viser's) as one self-contained
/// HTML page, with viser's client from the bundle in `bundle_dir` (default:
/// as the server finds it: `VISER4D_DIST_DIR`, else the embedded client).
pub fn recording_to_html(
    recording: &[u8],
    dark_mode: bool,
    bundle_dir: Option<&std::path::Path>,
) -> Result<String> {
    let bundle = crate::bundle::Bundle::resolve(bundle_dir, false)?;
    Ok(embed_in_page(&bundle.client_page, recording, dark_mode))
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename, so `path` holds either its old content or all of `bytes`.
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let failed = |source: std::io::Error| ServerError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".viser4d-write-")
        .tempfile_in(dir)
        .map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.as_file().sync_all().map_err(failed)?;
    // On any error above the temporary file is deleted when dropped.
    file.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}
