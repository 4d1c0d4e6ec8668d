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
pub(crate) use target::{Store, archive_error};

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
        let layout = crate::timeline::RangeLayout {
            starts: &range.starts,
            end: range.end,
        };
        let first = configure_range(&head)?.start;
        write_archive(
            store.as_ref(),
            &existing,
            &self.shared.bundle,
            head,
            blocks.map(|index| self.archive_job(index, layout, first)),
            total,
            &mut progress,
        )
    }

    /// Block `index` and, when heavy, the states of its steps from
    /// `first` to the range's end, in one lock hold (so they are of the
    /// same layout, which is checked to be the range's).
    fn archive_job(
        &self,
        index: u32,
        layout: crate::timeline::RangeLayout<'_>,
        first: u32,
    ) -> Result<BlockJob> {
        let mut state = self.shared.lock();
        let t = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
        layout.check(t)?;
        let block = t.block_message(index)?;
        let compression = t.store.config().get_compression();
        let own = t.store.block_steps(index);
        let heavy = block.data.len() as u64 >= STATE_FILES_MIN_BYTES && own.len() > 1;
        let mut states = Vec::new();
        if heavy {
            for step in own.start.max(first)..own.end.min(layout.end + 1) {
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
    std::thread::scope(|scope| -> Result<()> {
        let (jobs, queue) = mpsc::sync_channel::<BlockJob>(WRITERS);
        // Shared by the writers only: once they all stop (an error, a
        // panic), sending a job fails instead of waiting forever.
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        let (done, results) = mpsc::channel::<Result<StoredBlock>>();
        for _ in 0..WRITERS {
            let (queue, done) = (queue.clone(), done.clone());
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
        drop((queue, done));
        let mut handle = |result: Result<StoredBlock>| -> Result<()> {
            let stored = result?;
            let state_bytes: u64 = stored.entry.states.iter().map(|s| s.bytes).sum();
            summary.blocks += 1;
            summary.archive_bytes += stored.entry.bytes + state_bytes;
            summary.bytes_written += stored.written;
            if stored.skipped {
                summary.blocks_skipped += 1;
            }
            entries.push(stored.entry);
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
    configure.block_bytes.iter_mut().for_each(|b| *b = None);
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
        summary.bytes_written += put_unless_there(store, existing, name, bytes)?;
        Ok(())
    };
    let (script, wasm) = bundle.runtime_module().ok_or(ServerError::RuntimeMissing {
        path: "viser4d/viser4d_runtime.js".into(),
    })?;
    let (script_name, _) = content_name("viser4d", "runtime", "js", &script);
    let (wasm_name, _) = content_name("viser4d", "runtime", "wasm", &wasm);
    put(&script_name, script)?;
    put(&wasm_name, wasm)?;
    // The scene file starts by loading the runtime (see `page`).
    let loader = viser4d_proto::messages::RunJavascriptMessage {
        source: page::runtime_loader(&script_name, &wasm_name),
    };
    head.scene.insert(
        0,
        (0.0, AnyMessage::Viser(viser4d_proto::Message::from(loader))),
    );
    let scene = viser4d_proto::encode_recording_at_level(0.0, &head.scene, 3).map_err(invalid)?;
    let (scene_name, _) = content_name("", "scene", "viser", &scene);
    put(&scene_name, scene.into())?;
    let timeline = viser4d_proto::timeline::pack_messages(&head.timeline).map_err(invalid)?;
    let (timeline_name, _) = content_name("", "timeline", "msgpack", &timeline);
    put(&timeline_name, timeline)?;
    let page = page::index_html(&bundle.client_page, &scene_name);
    // The page names the files of this save: written every time (it is
    // not named by its content, and another save's page has its size).
    summary.archive_bytes += page.len() as u64;
    summary.bytes_written += page.len() as u64;
    store.put(INDEX_FILE, page.into())?;
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

/// What a writer did with one block.
struct StoredBlock {
    entry: ArchiveBlock,
    /// The block file was there already.
    skipped: bool,
    /// Bytes written for it and its states.
    written: u64,
}

/// A heavy block's step states are written when a state is at most this
/// share of the block: per-step states of a big static scene with a small
/// animation would each be about the whole block, and multiply the
/// archive's size for little gain.
const STATE_SHARE_OF_BLOCK: f64 = 0.6;

/// Packs, hashes and stores one block (and its states) unless it is there
/// already.
fn store_block(
    store: &dyn Store,
    existing: &HashMap<String, u64>,
    job: BlockJob,
) -> Result<StoredBlock> {
    let BlockJob {
        block,
        states,
        compression,
    } = job;
    let (index, revision) = (block.index, block.revision);
    let stored = store_message(store, existing, BLOCKS_DIR, "block", block.into())?;
    let mut written = stored.written;
    let mut entry = ArchiveBlock {
        index,
        file: stored.file,
        bytes: stored.bytes,
        sha256: stored.sha256,
        revision,
        states: Vec::with_capacity(states.len()),
    };
    for (step, state) in states {
        let data =
            crate::timeline::state_fold::encode_state(&state, compression).map_err(invalid)?;
        if data.len() as f64 > STATE_SHARE_OF_BLOCK * entry.bytes as f64 {
            // The first state tells: the others hold as much.
            entry.states.clear();
            break;
        }
        let message = viser4d_proto::timeline::TimelineState {
            step,
            revision,
            data: viser4d_proto::TypedArray::from_u8(data),
        };
        let s = store_message(store, existing, STATES_DIR, "state", message.into())?;
        written += s.written;
        entry.states.push(ArchiveState {
            step,
            file: s.file,
            bytes: s.bytes,
            sha256: s.sha256,
        });
    }
    Ok(StoredBlock {
        entry,
        skipped: stored.written == 0,
        written,
    })
}

/// A message's content-named file.
struct StoredFile {
    file: String,
    sha256: String,
    bytes: u64,
    /// Bytes written: 0 when it was there already.
    written: u64,
}

/// Packs `message` into its content-named file under `dir` and stores it
/// unless it is there.
fn store_message(
    store: &dyn Store,
    existing: &HashMap<String, u64>,
    dir: &str,
    ext: &str,
    message: ServerMessage,
) -> Result<StoredFile> {
    let value = message.to_value().map_err(invalid)?;
    let bytes = viser4d_proto::timeline::pack(&AnyMessage::Custom(value)).map_err(invalid)?;
    let (file, sha256) = content_name(dir, "", ext, &bytes);
    let size = bytes.len() as u64;
    let written = put_unless_there(store, existing, &file, bytes)?;
    Ok(StoredFile {
        file,
        sha256,
        bytes: size,
        written,
    })
}

/// Stores a content-named file unless a file of its name and size is
/// there (its name is its hash: that is the same file). Returns the bytes
/// written.
fn put_unless_there(
    store: &dyn Store,
    existing: &HashMap<String, u64>,
    name: &str,
    bytes: Bytes,
) -> Result<u64> {
    let size = bytes.len() as u64;
    if existing.get(name) == Some(&size) {
        return Ok(0);
    }
    store.put(name, bytes)?;
    Ok(size)
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
        .map_err(|e| archive_error(&target, e))?;
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

/// The manifest at `target` (its bytes, and parsed), or why it is not an
/// archive.
pub(crate) fn read_manifest(
    store: &dyn Store,
    target: &ArchiveTarget,
) -> Result<(Bytes, ArchiveManifest)> {
    let json = store.get(MANIFEST_FILE).map_err(|e| {
        archive_error(
            target,
            format!("not an archive (no readable {MANIFEST_FILE}): {e}"),
        )
    })?;
    let manifest = ArchiveManifest::parse(&json).map_err(|e| archive_error(target, e))?;
    Ok((json, manifest))
}

/// Copies the archive at `from` to `to` (a folder to a bucket, a bucket to
/// a folder, …), checking every file against the manifest (blocks and
/// states by size and SHA-256, the other content-named files by the hash
/// in their names) on the way; files already at `to` with their size are
/// skipped, the manifest goes last, as it was. Calls `progress(files_done,
/// files_total)`.
pub fn copy_archive(
    from: impl Into<ArchiveTarget>,
    to: impl Into<ArchiveTarget>,
    mut progress: impl FnMut(u32, u32),
) -> Result<ArchiveSummary> {
    use std::sync::atomic::Ordering::Relaxed;
    use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};
    let (from, to) = (from.into(), to.into());
    let source = from.open()?;
    let (json, manifest) = read_manifest(source.as_ref(), &from)?;
    let sink = to.open()?;
    let existing = sink.list()?;
    // What each file is checked against: its size and SHA-256 from the
    // manifest, or (scene, timeline, runtime) the hash in its name.
    let mut checks: HashMap<&str, Option<(u64, &str)>> =
        manifest.files().map(|file| (file, None)).collect();
    for b in &manifest.blocks {
        checks.insert(&b.file, Some((b.bytes, &b.sha256)));
        for s in &b.states {
            checks.insert(&s.file, Some((s.bytes, &s.sha256)));
        }
    }
    let files: Vec<&str> = manifest.files().chain([INDEX_FILE]).collect();
    let total = u32::try_from(files.len()).map_err(invalid)?;
    let (done, skipped_blocks) = (AtomicU32::new(0), AtomicU32::new(0));
    let (written, all) = (AtomicU64::new(0), AtomicU64::new(0));
    let (next, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
    let is_block: std::collections::HashSet<&str> =
        manifest.blocks.iter().map(|b| b.file.as_str()).collect();
    let copy_one = |file: &str| -> Result<()> {
        let check = checks.get(file).copied().flatten();
        if let (Some((size, _)), Some(there)) = (check, existing.get(file))
            && size == *there
        {
            // Its name is its hash: the same size there is the same file.
            if is_block.contains(file) {
                skipped_blocks.fetch_add(1, Relaxed);
            }
            all.fetch_add(size, Relaxed);
            return Ok(());
        }
        let bytes = source.get(file)?;
        match check {
            Some((size, sha256)) => {
                let entry = ArchiveState {
                    step: 0,
                    file: file.to_owned(),
                    bytes: size,
                    sha256: sha256.to_owned(),
                };
                entry.verify(&bytes).map_err(|e| archive_error(&from, e))?;
            }
            None if file != INDEX_FILE => viser4d_proto::archive::verify_content_name(file, &bytes)
                .map_err(|e| archive_error(&from, e))?,
            None => {}
        }
        all.fetch_add(bytes.len() as u64, Relaxed);
        let size = bytes.len() as u64;
        // The page is the one file not named by its content: always copied.
        if file == INDEX_FILE {
            sink.put(file, bytes)?;
            written.fetch_add(size, Relaxed);
        } else {
            written.fetch_add(
                put_unless_there(sink.as_ref(), &existing, file, bytes)?,
                Relaxed,
            );
        }
        Ok(())
    };
    let (tick, ticks) = mpsc::channel::<()>();
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let tick = tick.clone();
                let (files, next, done, stop, copy_one) = (&files, &next, &done, &stop, &copy_one);
                scope.spawn(move || -> Result<()> {
                    while !stop.load(Relaxed) {
                        let Some(file) = files.get(next.fetch_add(1, Relaxed)) else {
                            return Ok(());
                        };
                        if let Err(e) = copy_one(file) {
                            // The others stop at their next file.
                            stop.store(true, Relaxed);
                            return Err(e);
                        }
                        done.fetch_add(1, Relaxed);
                        let _ = tick.send(());
                    }
                    Ok(())
                })
            })
            .collect();
        drop(tick);
        for () in ticks {
            progress(done.load(Relaxed), total);
        }
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err(invalid("a copy thread panicked")))
        })
    })?;
    // The manifest as it was: fields a newer writer added stay.
    sink.put(MANIFEST_FILE, Bytes::from(json.to_vec()))?;
    Ok(ArchiveSummary {
        blocks: manifest.blocks.len() as u32,
        blocks_skipped: skipped_blocks.load(Relaxed),
        bytes_written: written.load(Relaxed) + json.len() as u64,
        archive_bytes: all.load(Relaxed) + json.len() as u64,
    })
}
