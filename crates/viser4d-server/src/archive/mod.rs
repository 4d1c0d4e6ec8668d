//! `save_archive`: the recording as an archive (see
//! `viser4d_proto::archive`), a folder or object-store prefix that any
//! static host serves and the runtime plays block by block.
//!
//! Blocks are gathered one lock hold each, as an export gathers them, and
//! handed to a few writer threads that pack, hash and store them (uploads
//! to an object store go in parallel); a bounded queue between them keeps
//! memory at a few blocks however long the recording. A block whose
//! content-hashed file is already there with its size is not written
//! again, so an interrupted or repeated save resumes. The manifest goes
//! last: an archive is complete once it has one.

mod open;
mod page;
mod target;

use std::collections::HashMap;
use std::sync::mpsc;

use bytes::Bytes;
use viser4d_proto::AnyMessage;
use viser4d_proto::archive::{
    ARCHIVE_FORMAT, ARCHIVE_VERSION, ArchiveAudioTrack, ArchiveBlock, ArchiveManifest,
    ArchiveRuntime, ArchiveState, BLOCKS_DIR, INDEX_FILE, MANIFEST_FILE, STATE_FILES_MIN_BYTES,
    STATES_DIR, content_name,
};
use viser4d_proto::timeline::{PROTOCOL_REVISION, ServerMessage, TimelineBlock};

pub use target::ArchiveTarget;
pub(crate) use target::Store;

use crate::error::{Result, ServerError};
use crate::server::Server;

/// Threads that pack, hash and store blocks.
const WRITERS: usize = 4;

/// One block to store, with the folded states of its steps when it is
/// heavy (each a one-step block, encoded by the writer).
pub(crate) struct BlockJob {
    pub(crate) block: TimelineBlock,
    pub(crate) states: Vec<(u32, viser4d_timeline::Block<Bytes>)>,
    pub(crate) compression: viser4d_timeline::Compression,
}

/// What [`Server::save_archive`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArchiveSummary {
    /// Blocks in the archive.
    pub blocks: u32,
    /// Of those, the ones already there (same content), not written again.
    pub blocks_skipped: u32,
    /// Bytes written (files skipped excluded).
    pub bytes_written: u64,
    /// Bytes of the whole archive.
    pub archive_bytes: u64,
}

impl Server {
    /// Writes steps `start..=end` (`end` defaults to the last step) as an
    /// archive at `target`: a local folder, or an object-store URL with
    /// the `object-store` feature (see [`ArchiveTarget`]). Open its
    /// `index.html` from any static host to play it with no server.
    /// Streams block by block, a few blocks in memory at once; blocks
    /// already there with the same content are skipped, so running it
    /// again after an interruption finishes the archive. The range rules
    /// are [`Server::serialize`]'s.
    pub fn save_archive(
        &self,
        target: impl Into<ArchiveTarget>,
        start: u32,
        end: Option<u32>,
    ) -> Result<ArchiveSummary> {
        self.save_archive_with_progress(target, start, end, |_, _| {})
    }

    /// [`Server::save_archive`], calling `progress(blocks_done,
    /// blocks_total)` as blocks are stored.
    pub fn save_archive_with_progress(
        &self,
        target: impl Into<ArchiveTarget>,
        start: u32,
        end: Option<u32>,
        mut progress: impl FnMut(u32, u32),
    ) -> Result<ArchiveSummary> {
        let target = target.into();
        let store = target.open()?;
        let range = self.range_head(start, end)?;
        let existing = store.list()?;
        let mut configure = range.configure;
        configure.standalone = false;
        let audio_tracks = self.archive_audio_tracks();
        let head = ArchiveHead {
            scene: range
                .scene
                .into_iter()
                .map(|m| (0.0, AnyMessage::Viser(m)))
                .collect(),
            timeline: vec![configure.into(), range.overrides.into()],
            audio_tracks,
        };
        let blocks = range.first_block..=range.last_block;
        let total = blocks.end() - blocks.start() + 1;
        let starts = range.starts;
        let steps = configure_range(&head)?;
        write_archive(
            store.as_ref(),
            &existing,
            &self.shared.bundle,
            head,
            blocks.map(|index| self.archive_job(index, &starts, steps.clone())),
            total,
            &mut progress,
        )
    }

    /// Block `index` and, when heavy, the states of its steps in `steps`.
    fn archive_job(
        &self,
        index: u32,
        starts: &[u32],
        steps: std::ops::Range<u32>,
    ) -> Result<BlockJob> {
        let block = self.range_block(index, starts)?;
        let mut state = self.shared.lock();
        let t = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
        let compression = t.store.config().get_compression();
        let own = t.store.block_steps(index);
        let heavy = block.data.len() as u64 >= STATE_FILES_MIN_BYTES && own.len() > 1;
        let mut states = Vec::new();
        if heavy {
            for step in own.start.max(steps.start)..own.end.min(steps.end) {
                states.push((step, t.store.state_block(step)?));
            }
        }
        Ok(BlockJob {
            block,
            states,
            compression,
        })
    }

    fn archive_audio_tracks(&self) -> Vec<ArchiveAudioTrack> {
        let state = self.shared.lock();
        state.timeline.as_ref().map_or_else(Vec::new, |t| {
            t.tracks
                .values()
                .map(|track| ArchiveAudioTrack {
                    name: track.name().to_owned(),
                    sample_rate: track.sample_rate(),
                    channels: track.channels(),
                })
                .collect()
        })
    }
}

/// An archive's files besides its blocks.
pub(crate) struct ArchiveHead {
    /// The live scene, with when each message plays.
    pub(crate) scene: Vec<(f64, AnyMessage)>,
    /// `TimelineConfigure` (not standalone) and `TimelineOverrides`.
    pub(crate) timeline: Vec<ServerMessage>,
    pub(crate) audio_tracks: Vec<ArchiveAudioTrack>,
}

/// The steps an archive's configuration covers.
fn configure_range(head: &ArchiveHead) -> Result<std::ops::Range<u32>> {
    match head.timeline.first() {
        Some(ServerMessage::TimelineConfigure(c)) => Ok(c.first_step..c.num_steps),
        _ => Err(invalid(
            "an archive's timeline starts with its configuration",
        )),
    }
}

fn invalid(e: impl std::fmt::Display) -> ServerError {
    ServerError::invalid("archive", e.to_string())
}

/// Writes an archive: blocks first (in parallel), then the files they
/// need, the manifest last.
pub(crate) fn write_archive(
    store: &dyn Store,
    existing: &HashMap<String, u64>,
    bundle: &crate::bundle::Bundle,
    mut head: ArchiveHead,
    blocks: impl Iterator<Item = Result<BlockJob>>,
    total: u32,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<ArchiveSummary> {
    if !matches!(
        head.timeline.first(),
        Some(ServerMessage::TimelineConfigure(_))
    ) {
        return Err(invalid(
            "an archive's timeline starts with its configuration",
        ));
    }
    let mut summary = ArchiveSummary {
        blocks: 0,
        blocks_skipped: 0,
        bytes_written: 0,
        archive_bytes: 0,
    };
    let mut entries = Vec::with_capacity(total as usize);
    let (jobs, queue) = mpsc::sync_channel::<BlockJob>(WRITERS);
    let queue = std::sync::Mutex::new(queue);
    std::thread::scope(|scope| -> Result<()> {
        let (done, results) = mpsc::channel::<Result<(ArchiveBlock, bool)>>();
        for _ in 0..WRITERS {
            let (queue, done) = (&queue, done.clone());
            scope.spawn(move || {
                loop {
                    let job = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    let Ok(block) = job else { return };
                    if done.send(store_block(store, existing, block)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done);
        let mut handle = |result: Result<(ArchiveBlock, bool)>| -> Result<()> {
            let (entry, skipped) = result?;
            let state_bytes: u64 = entry.states.iter().map(|s| s.bytes).sum();
            summary.blocks += 1;
            summary.archive_bytes += entry.bytes + state_bytes;
            if skipped {
                summary.blocks_skipped += 1;
            } else {
                // A block written again has its states written again too
                // (names are content hashes: at worst a rewrite of the same).
                summary.bytes_written += entry.bytes + state_bytes;
            }
            entries.push(entry);
            progress(summary.blocks, total);
            Ok(())
        };
        let mut outcome = Ok(());
        for block in blocks {
            let sent = block.and_then(|b| jobs.send(b).map_err(|_| invalid("a writer stopped")));
            if let Err(e) = sent {
                outcome = Err(e);
                break;
            }
            while let Ok(result) = results.try_recv() {
                if let Err(e) = handle(result) {
                    outcome = Err(e);
                    break;
                }
            }
            if outcome.is_err() {
                break;
            }
        }
        drop(jobs);
        // Every result is collected, also after an error: the writers
        // finish what they took before the scope ends.
        for result in results {
            if outcome.is_ok() {
                outcome = handle(result);
            }
        }
        outcome
    })?;
    entries.sort_by_key(|e| e.index);
    let Some(ServerMessage::TimelineConfigure(configure)) = head.timeline.first_mut() else {
        return Err(invalid(
            "an archive's timeline starts with its configuration",
        ));
    };
    // The sizes the tab plans its reads with are those of the files, known
    // now (the live ones may not be yet): the same recording then gives
    // the same timeline file, byte for byte.
    for entry in &entries {
        let i = entry.index as usize;
        if configure.block_bytes.len() <= i {
            configure.block_bytes.resize(i + 1, None);
        }
        configure.block_bytes[i] = Some(entry.bytes);
    }
    let configure = configure.clone();
    let mut put = |name: &str, bytes: Bytes| -> Result<()> {
        summary.archive_bytes += bytes.len() as u64;
        if existing.get(name) == Some(&(bytes.len() as u64)) {
            return Ok(());
        }
        summary.bytes_written += bytes.len() as u64;
        store.put(name, bytes)
    };
    let (script, wasm) = bundle.runtime_module().ok_or(ServerError::RuntimeMissing {
        path: "viser4d/viser4d_runtime.js".into(),
    })?;
    let (script_name, _) = content_name("viser4d", "runtime", "js", &script);
    let (wasm_name, _) = content_name("viser4d", "runtime", "wasm", &wasm);
    put(&script_name, script)?;
    put(&wasm_name, wasm)?;
    let scene = viser4d_proto::encode_recording_at_level(0.0, &head.scene, 3).map_err(invalid)?;
    let (scene_name, _) = content_name("", "scene", "viser", &scene);
    put(&scene_name, scene.into())?;
    let timeline = viser4d_proto::timeline::pack_messages(&head.timeline).map_err(invalid)?;
    let (timeline_name, _) = content_name("", "timeline", "msgpack", &timeline);
    put(&timeline_name, timeline)?;
    let page = page::index_html(&bundle.client_page, &scene_name, &script_name, &wasm_name);
    put(INDEX_FILE, page.into())?;
    let manifest = ArchiveManifest {
        format: ARCHIVE_FORMAT.into(),
        version: ARCHIVE_VERSION,
        protocol: PROTOCOL_REVISION,
        writer: concat!("viser4d-server ", env!("CARGO_PKG_VERSION")).into(),
        num_steps: configure.num_steps,
        first_step: configure.first_step,
        fps: configure.fps,
        scene: scene_name,
        timeline: timeline_name,
        runtime: ArchiveRuntime {
            script: script_name,
            wasm: wasm_name,
        },
        blocks: entries,
        audio_tracks: head.audio_tracks,
    };
    let json = manifest.to_json();
    summary.archive_bytes += json.len() as u64;
    summary.bytes_written += json.len() as u64;
    // Always written, even when unchanged: it is what makes the archive.
    store.put(MANIFEST_FILE, json.into())?;
    Ok(summary)
}

/// Packs, hashes and stores one block (and its states) unless it is there
/// already; returns its entry and whether the block was skipped.
fn store_block(
    store: &dyn Store,
    existing: &HashMap<String, u64>,
    job: BlockJob,
) -> Result<(ArchiveBlock, bool)> {
    let BlockJob {
        block,
        states,
        compression,
    } = job;
    let (index, revision) = (block.index, block.revision);
    let (file, sha256, size, skipped) =
        store_message(store, existing, BLOCKS_DIR, "block", block.into())?;
    let mut entry = ArchiveBlock {
        index,
        file,
        bytes: size,
        sha256,
        revision,
        states: Vec::with_capacity(states.len()),
    };
    for (step, state) in states {
        let data = state.encode(compression).map_err(invalid)?;
        let message = viser4d_proto::timeline::TimelineState {
            step,
            revision,
            data: viser4d_proto::TypedArray::from_u8(data),
        };
        let (file, sha256, bytes, _) =
            store_message(store, existing, STATES_DIR, "state", message.into())?;
        entry.states.push(ArchiveState {
            step,
            file,
            bytes,
            sha256,
        });
    }
    Ok((entry, skipped))
}

/// Packs `message` into its content-named file under `dir` and stores it
/// unless it is there; returns (file, sha256, size, skipped).
fn store_message(
    store: &dyn Store,
    existing: &HashMap<String, u64>,
    dir: &str,
    ext: &str,
    message: ServerMessage,
) -> Result<(String, String, u64, bool)> {
    let value = message.to_value().map_err(invalid)?;
    let bytes = viser4d_proto::timeline::pack(&AnyMessage::Custom(value)).map_err(invalid)?;
    let (file, sha256) = content_name(dir, "", ext, &bytes);
    let size = bytes.len() as u64;
    let skipped = existing.get(&file) == Some(&size);
    if !skipped {
        store.put(&file, bytes)?;
    }
    Ok((file, sha256, size, skipped))
}

/// A `.viser` recording written by viser4d (its `serialize`, or `viser4d
/// html`'s input) as an archive at `target`, with the runtime of this
/// build, calling `progress(blocks_done, blocks_total)`: the recording is
/// opened as a timeline ([`crate::ServerBuilder::open_recording`], on a
/// loopback port nothing connects to) and saved like a live one, heavy
/// blocks' step states included. The file is read whole first (its format
/// is one compressed stream). A recording without a viser4d timeline
/// (Python viser's) is refused: an archive is a timeline's blocks.
pub fn recording_to_archive(
    recording: &[u8],
    target: impl Into<ArchiveTarget>,
    progress: impl FnMut(u32, u32),
) -> Result<ArchiveSummary> {
    let target = target.into();
    // Refused before any work: an unknown scheme, a missing feature.
    drop(target.open()?);
    let (server, first) = crate::Server::builder()
        .host("127.0.0.1")
        .port(0)
        .open_recording_range(recording)
        .map_err(|e| archive_error_for(&target, e))?;
    server.save_archive_with_progress(target, first, None, progress)
}

/// The runtime a viser4d export carries (an archive's page loads its own).
fn is_runtime_script(message: &AnyMessage) -> bool {
    matches!(
        message,
        AnyMessage::Viser(viser4d_proto::Message::RunJavascriptMessage(m))
            if m.source.contains("__viser4dRuntime")
    )
}

fn archive_error_for(target: &ArchiveTarget, reason: impl std::fmt::Display) -> ServerError {
    ServerError::Archive {
        target: target.to_string(),
        reason: reason.to_string(),
    }
}

/// Copies the archive at `from` to `to` (a folder to a bucket, a bucket to
/// a folder, …), checking every block against the manifest on the way;
/// files already at `to` with their size are skipped, the manifest goes
/// last. Calls `progress(files_done, files_total)`.
pub fn copy_archive(
    from: impl Into<ArchiveTarget>,
    to: impl Into<ArchiveTarget>,
    mut progress: impl FnMut(u32, u32),
) -> Result<ArchiveSummary> {
    let (from, to) = (from.into(), to.into());
    let source = from.open()?;
    let json = source.get(MANIFEST_FILE).map_err(|e| {
        archive_error_for(
            &from,
            format!("not an archive (no readable {MANIFEST_FILE}): {e}"),
        )
    })?;
    let manifest = ArchiveManifest::parse(&json).map_err(|e| archive_error_for(&from, e))?;
    let sink = to.open()?;
    let existing = sink.list()?;
    let files: Vec<&str> = manifest.files().chain([INDEX_FILE]).collect();
    let total = u32::try_from(files.len()).map_err(invalid)?;
    let mut summary = ArchiveSummary {
        blocks: manifest.blocks.len() as u32,
        blocks_skipped: 0,
        bytes_written: 0,
        archive_bytes: 0,
    };
    let blocks: HashMap<&str, &ArchiveBlock> = manifest
        .blocks
        .iter()
        .map(|b| (b.file.as_str(), b))
        .collect();
    let done = std::sync::atomic::AtomicU32::new(0);
    let written = std::sync::atomic::AtomicU64::new(0);
    let skipped = std::sync::atomic::AtomicU32::new(0);
    let all = std::sync::atomic::AtomicU64::new(0);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tick, ticks) = mpsc::channel::<()>();
    let copy_one = |file: &str| -> Result<()> {
        use std::sync::atomic::Ordering::Relaxed;
        let block = blocks.get(file).copied();
        if let (Some(block), Some(there)) = (block, existing.get(file))
            && block.bytes == *there
        {
            // Its name is its hash: the same size there is the same file.
            skipped.fetch_add(1, Relaxed);
            all.fetch_add(block.bytes, Relaxed);
            return Ok(());
        }
        let bytes = source.get(file)?;
        if let Some(block) = block {
            block
                .verify(&bytes)
                .map_err(|e| archive_error_for(&from, e))?;
        }
        all.fetch_add(bytes.len() as u64, Relaxed);
        // The page is the one file not named by its content.
        if file != INDEX_FILE && existing.get(file) == Some(&(bytes.len() as u64)) {
            return Ok(());
        }
        written.fetch_add(bytes.len() as u64, Relaxed);
        sink.put(file, bytes)
    };
    let outcome = std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let tick = tick.clone();
                let (files, next, done, copy_one) = (&files, &next, &done, &copy_one);
                scope.spawn(move || -> Result<()> {
                    use std::sync::atomic::Ordering::Relaxed;
                    loop {
                        let i = next.fetch_add(1, Relaxed);
                        let Some(file) = files.get(i) else {
                            return Ok(());
                        };
                        copy_one(file)?;
                        done.fetch_add(1, Relaxed);
                        let _ = tick.send(());
                    }
                })
            })
            .collect();
        drop(tick);
        for () in ticks {
            progress(done.load(std::sync::atomic::Ordering::Relaxed), total);
        }
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(invalid("a copy thread panicked")))
            })
            .collect()
    });
    outcome?;
    let json = manifest.to_json();
    sink.put(MANIFEST_FILE, json.clone().into())?;
    use std::sync::atomic::Ordering::Relaxed;
    summary.blocks_skipped = skipped.load(Relaxed);
    summary.bytes_written = written.load(Relaxed) + json.len() as u64;
    summary.archive_bytes = all.load(Relaxed) + json.len() as u64;
    Ok(summary)
}
