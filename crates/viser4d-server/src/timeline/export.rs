//! `serialize`: the recording as a `.viser` file the stock viser client
//! plays with no server behind it.
//!
//! The file holds, at time 0, the single-script runtime (a
//! `RunJavascriptMessage`) and the live scene; then the timeline as our own
//! messages: a standalone `TimelineConfigure` for the range, the overrides,
//! and every block the range touches as a binary buffer (with the audio of
//! its steps), exactly the bytes a live tab is sent. Blocks come from the
//! store's cache (encoded once, shared, not copied), one lock hold each,
//! and go to a spool file as they are gathered; the file is then streamed
//! from the spool through the compressor into the output, so an export
//! holds about one block in memory however long it is.

use std::io::Write as _;
use viser4d_proto::messages::RunJavascriptMessage;
use viser4d_proto::timeline::ServerMessage;

use viser4d_proto::{AnyMessage, Message, RecordingEncoder};

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
    /// the bounds when the range is not within the timeline. An
    /// open-ended timeline gives the steps recorded so far; one whose
    /// oldest steps were dropped (see [`crate::Retention`]) starts at the
    /// oldest kept, whatever `start` says; a drop that reaches the range
    /// while the export runs (recording goes on meanwhile) makes it fail
    /// with [`ServerError::Timeline`] rather than write a partial file.
    pub fn serialize(&self, start: u32, end: Option<u32>) -> Result<Vec<u8>> {
        self.serialize_with_progress(start, end, |_, _| {})
    }

    /// Writes the recording of steps `start..=end` to `path`, whole or not
    /// at all: the bytes go to a temporary file beside it, which replaces
    /// `path` only once complete, so a full disk or an interrupted export
    /// never leaves a truncated recording (or destroys an older one) under
    /// that name. Block by block: memory stays at about one block however
    /// long the recording. Returns the bytes written.
    pub fn write_recording(
        &self,
        path: impl AsRef<std::path::Path>,
        start: u32,
        end: Option<u32>,
    ) -> Result<u64> {
        self.write_recording_with_progress(path, start, end, |_, _| {})
    }

    /// [`Server::write_recording`], calling `progress(blocks_done,
    /// blocks_total)` as blocks are gathered.
    pub fn write_recording_with_progress(
        &self,
        path: impl AsRef<std::path::Path>,
        start: u32,
        end: Option<u32>,
        progress: impl FnMut(u32, u32),
    ) -> Result<u64> {
        let path = path.as_ref();
        let failed = |source: std::io::Error| ServerError::Write {
            path: path.to_owned(),
            source,
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => std::path::Path::new("."),
        };
        let file = tempfile::Builder::new()
            .prefix(".viser4d-write-")
            .tempfile_in(dir)
            .map_err(failed)?;
        let spool = tempfile::tempfile_in(dir).map_err(failed)?;
        let counted = Counted::new(std::io::BufWriter::new(file));
        let mut counted = self.stream_recording(counted, spool, start, end, progress)?;
        counted.inner.flush().map_err(failed)?;
        let written = counted.written;
        let file = counted
            .inner
            .into_inner()
            .map_err(|e| failed(e.into_error()))?;
        file.as_file().sync_all().map_err(failed)?;
        // On any error above the temporary file is deleted when dropped.
        file.persist(path).map_err(|e| failed(e.error))?;
        Ok(written)
    }

    /// [`Server::serialize`], calling `progress(blocks_done, blocks_total)`
    /// as blocks are gathered.
    pub fn serialize_with_progress(
        &self,
        start: u32,
        end: Option<u32>,
        progress: impl FnMut(u32, u32),
    ) -> Result<Vec<u8>> {
        let spool = tempfile::tempfile().map_err(|source| ServerError::Write {
            path: std::env::temp_dir(),
            source,
        })?;
        self.stream_recording(Vec::new(), spool, start, end, progress)
    }

    /// Writes the recording into `out`. Every message is serialized as it
    /// is gathered, one lock hold a block; its large buffers (the blocks)
    /// go to `spool` and are dropped, and the file is then streamed through
    /// the compressor from the spool. The file's layout needs every
    /// message's msgpack before the first buffer, hence the spool.
    fn stream_recording<W: std::io::Write>(
        &self,
        out: W,
        spool: std::fs::File,
        start: u32,
        end: Option<u32>,
        mut progress: impl FnMut(u32, u32),
    ) -> Result<W> {
        let script = self
            .shared
            .bundle
            .asset(RUNTIME_SCRIPT)
            .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
            .ok_or(ServerError::RuntimeScriptMissing)?;
        let range = self.range_head(start, end)?;
        let mut configure = range.configure;
        configure.standalone = true;
        // Room for every block of the file (a browser number holds it
        // exactly, unlike u64::MAX).
        configure.cache_bytes = 1 << 50;
        let mut head: Vec<(f64, AnyMessage)> = vec![(
            0.0,
            AnyMessage::Viser(Message::from(RunJavascriptMessage { source: script })),
        )];
        head.extend(range.scene.into_iter().map(|m| (0.0, AnyMessage::Viser(m))));
        let (first_block, last_block, starts, end) =
            (range.first_block, range.last_block, range.starts, range.end);
        let total = last_block - first_block + 1;
        head.push((TIMELINE_AT_SEC, custom(configure.into())?));
        head.push((TIMELINE_AT_SEC, custom(range.overrides.into())?));
        let count = u32::try_from(head.len() + total as usize)
            .map_err(|_| ServerError::invalid("recording", "too many messages"))?;
        let encode =
            |e: viser4d_proto::EncodeError| ServerError::invalid("recording", e.to_string());
        let mut encoder = RecordingEncoder::new(TIMELINE_AT_SEC, count)
            .map_err(encode)?
            .forget_buffers_from(SPOOL_FROM_BYTES);
        let mut spool = Spool::new(spool);
        for (t, m) in &head {
            spool.keep(encoder.push(*t, m).map_err(encode)?)?;
        }
        drop(head);
        for (done, index) in (first_block..=last_block).enumerate() {
            let layout = RangeLayout {
                starts: &starts,
                end,
            };
            let block = self.range_block(index, &layout)?;
            let message = custom(block.into())?;
            spool.keep(encoder.push(TIMELINE_AT_SEC, &message).map_err(encode)?)?;
            progress(done as u32 + 1, total);
        }
        let mut reader = spool.into_reader()?;
        // Blocks are zstd-compressed already; viser's level 12 over them
        // costs seconds on a big recording and saves a few percent.
        encoder
            .finish(out, EXPORT_ZSTD_LEVEL, |i| reader.next(i))
            .map_err(encode)
    }
}

/// A timeline message as a custom message of a recording.
fn custom(m: ServerMessage) -> Result<AnyMessage> {
    let value = m
        .to_value()
        .map_err(|e| ServerError::invalid("timeline", e.to_string()))?;
    Ok(AnyMessage::Custom(value))
}

/// What an export of a range holds besides its blocks, gathered in one
/// lock hold.
pub(crate) struct RangeHead {
    /// The live scene (the messages a replay sends that belong in a file).
    pub(crate) scene: Vec<Message>,
    /// The timeline's configuration for the range, as a live tab gets it.
    pub(crate) configure: viser4d_proto::timeline::TimelineConfigure,
    pub(crate) overrides: viser4d_proto::timeline::TimelineOverrides,
    pub(crate) first_block: u32,
    pub(crate) last_block: u32,
    /// Block starts up to the last block (the layout the blocks must keep
    /// while they are gathered).
    pub(crate) starts: Vec<u32>,
    /// The range's last step.
    pub(crate) end: u32,
}

impl Server {
    /// The head of an export of steps `start..=end`: errors name the
    /// bounds when the range is not within the timeline.
    pub(crate) fn range_head(&self, start: u32, end: Option<u32>) -> Result<RangeHead> {
        let mut state = self.shared.lock();
        // Plots that follow the timeline are part of the recording: their
        // GUI messages go into the export with the scene (other GUI does
        // not, as in viser), and Plotly's script only when one is a Plotly
        // plot.
        let plots: std::collections::BTreeSet<String> = state
            .timeline
            .as_ref()
            .map(|t| t.bound_plots())
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, scope)| *scope == crate::shared::Scope::Broadcast)
            .map(|(uuid, _)| uuid)
            .collect();
        // With the folders and tabs that hold them, so the viewer can show them.
        let plots: std::collections::BTreeSet<String> = plots
            .iter()
            .flat_map(|uuid| state.gui.with_ancestors(uuid))
            .collect();
        let with_plotly = plots.iter().any(|uuid| {
            matches!(
                state.gui.get(uuid).map(|e| &e.kind),
                Some(crate::gui::registry::EntryKind::Plot(p)) if p.figure.is_some()
            )
        });
        let scene = state
            .replay_messages()
            .filter(|m| {
                if crate::gui::is_plotly_loader(m) {
                    return with_plotly;
                }
                m.in_scene_serialization()
                    || m.entity().is_some_and(|e| {
                        e.kind == viser4d_proto::entity::EntityKind::Gui && plots.contains(e.id)
                    })
            })
            .cloned()
            .collect();
        let timeline = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
        if timeline.unstarted {
            return Err(ServerError::invalid(
                "range",
                "the timeline has no steps yet: record one (append_step) before exporting",
            ));
        }
        // An open-ended timeline exports the steps recorded so far, and
        // one with a retention limit those it still keeps.
        let num_steps = timeline.store.num_steps();
        let start = start.max(timeline.store.first_step());
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
        configure.live = false;
        let (first_block, last_block) = (
            timeline.store.block_of(start)?,
            timeline.store.block_of(end)?,
        );
        configure.block_bytes.truncate(last_block as usize + 1);
        configure.block_starts.truncate(last_block as usize + 1);
        Ok(RangeHead {
            scene,
            configure,
            overrides: timeline.overrides_message()?,
            first_block,
            last_block,
            starts: timeline.store.layout().starts()[..=last_block as usize].to_vec(),
            end,
        })
    }

    /// Block `index` of an export whose head is `head`, one lock hold.
    pub(crate) fn range_block(
        &self,
        index: u32,
        head: &RangeLayout<'_>,
    ) -> Result<viser4d_proto::timeline::TimelineBlock> {
        let mut state = self.shared.lock();
        let t = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
        head.check(t)?;
        t.block_message(index)
    }
}

/// Where an export's blocks start and where its range ends: what must not
/// move while its blocks are gathered.
#[derive(Clone, Copy)]
pub(crate) struct RangeLayout<'a> {
    pub(crate) starts: &'a [u32],
    pub(crate) end: u32,
}

impl RangeLayout<'_> {
    /// Fails if a block of the range split since its head was gathered
    /// (steps recorded meanwhile): the file's configuration would name
    /// other steps than its blocks. The last block splitting at or before
    /// the range's end counts too.
    pub(crate) fn check(&self, t: &crate::timeline::Timeline) -> Result<()> {
        let now = t.store.layout().starts();
        let same = now.get(..self.starts.len()) == Some(self.starts)
            && now
                .get(self.starts.len())
                .is_none_or(|&next| next > self.end);
        if same {
            return Ok(());
        }
        Err(ServerError::invalid(
            "recording",
            "the timeline's blocks moved during the export (steps were recorded meanwhile); export again",
        ))
    }
}

/// Buffers at least this large go to the spool; smaller ones stay in memory.
const SPOOL_FROM_BYTES: usize = 64 << 10;

/// The buffers of a recording being written, in order: the large ones in
/// a file (written once, read back once, in order), the rest in memory.
struct Spool {
    file: std::io::BufWriter<std::fs::File>,
    buffers: Vec<Spooled>,
}

enum Spooled {
    Memory(bytes::Bytes),
    File(usize),
}

impl Spool {
    fn new(file: std::fs::File) -> Spool {
        Spool {
            file: std::io::BufWriter::with_capacity(1 << 20, file),
            buffers: Vec::new(),
        }
    }

    fn keep(&mut self, added: Vec<bytes::Bytes>) -> Result<()> {
        use std::io::Write;
        for b in added {
            if b.len() >= SPOOL_FROM_BYTES {
                self.file.write_all(&b).map_err(spool_error)?;
                self.buffers.push(Spooled::File(b.len()));
            } else {
                self.buffers.push(Spooled::Memory(b));
            }
        }
        Ok(())
    }

    fn into_reader(self) -> Result<SpoolReader> {
        use std::io::Seek;
        let mut file = self
            .file
            .into_inner()
            .map_err(|e| spool_error(e.into_error()))?;
        file.rewind().map_err(spool_error)?;
        Ok(SpoolReader {
            file: std::io::BufReader::with_capacity(1 << 20, file),
            buffers: self.buffers,
        })
    }
}

struct SpoolReader {
    file: std::io::BufReader<std::fs::File>,
    buffers: Vec<Spooled>,
}

impl SpoolReader {
    /// Buffer `i`, asked for in order.
    fn next(&mut self, i: usize) -> std::io::Result<bytes::Bytes> {
        use std::io::Read;
        match self.buffers.get_mut(i) {
            Some(Spooled::Memory(b)) => Ok(std::mem::take(b)),
            Some(Spooled::File(len)) => {
                let mut bytes = vec![0; *len];
                self.file.read_exact(&mut bytes)?;
                Ok(bytes.into())
            }
            None => Err(std::io::Error::other(format!("no spooled buffer {i}"))),
        }
    }
}

fn spool_error(source: std::io::Error) -> ServerError {
    ServerError::Write {
        path: std::env::temp_dir(),
        source,
    }
}

/// A writer that counts what passes through it.
struct Counted<W> {
    inner: W,
    written: u64,
}

impl<W> Counted<W> {
    fn new(inner: W) -> Counted<W> {
        Counted { inner, written: 0 }
    }
}

impl<W: std::io::Write> std::io::Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
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
