//! The recorded timeline on the server: the store scene calls record into
//! inside `at(t)`, the overrides they make outside it, each tab's session
//! (what its runtime holds and last reported), and the debounced refresh
//! that sends edited blocks to the tabs holding them.
//!
//! Everything here lives in [`State`] under the server's one lock, so a
//! recorded step and the blocks a tab is sent can never disagree.

mod audio;
mod classify;
pub(crate) mod events;
mod export;
pub(crate) use export::RangeLayout;

/// The most silence an opened archive's audio track may start with (a
/// range that starts into a track): 64 Mi samples, 256 MiB.
const MAX_ARCHIVE_AUDIO_GAP_SAMPLES: usize = 64 << 20;
mod guard;
mod playback;
mod retention;
mod server_api;
pub(crate) mod state_fold;
pub(crate) mod version;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use viser4d_proto::messages::{
    SetOrientationMessage, SetPositionMessage, SetSceneNodeVisibilityMessage,
};
use viser4d_proto::timeline::{
    AudioSlice, GlobalDefault, ServerMessage, TimelineBlock, TimelineConfigure, TimelineManifest,
    TimelineOverrides, TimelineState, pack_message, pack_orientation, pack_position,
    pack_visibility,
};
use viser4d_proto::{AnyMessage, Message, TypedArray};
use viser4d_timeline::{
    Block, BlockJob, Compression, EncodedBlock, Encoding, Key, NodeName, Op, Store, StoreConfig,
    StoreError, Symbol,
};

pub use audio::{AudioApi, AudioHandle};
pub use export::recording_to_html;
pub use guard::StepGuard;
pub(crate) use guard::current_step;
pub use playback::{ClientPlayback, PlaybackCallback, TimestepCallback};
pub use retention::Retention;

use crate::error::{Result, ServerError};
use crate::shared::{ClientId, Shared, State};

/// Most commands held for a tab whose runtime has not said it is ready;
/// older ones are dropped (a newer seek or play supersedes them anyway).
const MAX_PENDING: usize = 64;

/// The least time between two refreshes, so a burst of steps becomes one
/// refresh; the first edit after a quiet spell goes out at once (a tab
/// following a live recording sees each step with no wait).
const DEBOUNCE: Duration = Duration::from_millis(20);

/// The builder's `playback_speed`, checked as a tab's speed is.
pub(crate) fn check_start_speed(speed: f64) -> Result<f64> {
    playback::check_speed(speed).map(|()| speed).map_err(|_| {
        ServerError::invalid(
            "playback_speed",
            format!(
                "{speed} is not a finite factor in (0, {}]",
                playback::MAX_SPEED
            ),
        )
    })
}

/// The timeline settings a server starts with.
#[derive(Debug, Clone)]
pub(crate) struct TimelineSettings {
    /// 0 only when open-ended: no steps yet.
    pub(crate) num_steps: u32,
    /// Recorded while tabs watch, growing (see `ServerBuilder::open_ended`).
    pub(crate) open_ended: bool,
    /// What the timeline keeps as it grows (checked).
    pub(crate) retention: Retention,
    pub(crate) fps: f64,
    pub(crate) block_size: u32,
    /// The store's byte limit of a block (`None`: the store's default).
    pub(crate) max_block_bytes: Option<usize>,
    pub(crate) cache_bytes: u64,
    /// The store's memory budget (`None`: the store's default).
    pub(crate) memory_budget_bytes: Option<usize>,
    /// Where the store spills past it (`None`: the system's temp dir).
    pub(crate) spill_dir: Option<std::path::PathBuf>,
    /// The speed factor new tabs start with (checked).
    pub(crate) playback_speed: f64,
    /// Whether new tabs start looping.
    pub(crate) looping: bool,
}

/// What a tab last reported about its transport.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Transport {
    pub(crate) playing: bool,
    pub(crate) step: u32,
    pub(crate) speed: f64,
    pub(crate) looping: bool,
    pub(crate) following: bool,
}

impl Default for Transport {
    fn default() -> Transport {
        Transport {
            playing: false,
            step: 0,
            speed: 1.0,
            looping: false,
            following: false,
        }
    }
}

/// One tab's timeline session.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// Whether its runtime said it is ready (and was configured).
    ready: bool,
    /// Blocks it holds, with what it holds of each.
    held: BTreeMap<u32, Held>,
    /// Commands waiting for `ready`.
    pending: Vec<ServerMessage>,
    pub(crate) transport: Transport,
    /// Block requests answered (for tests and stats).
    pub(crate) blocks_sent: u64,
    /// The step whose state it was last sent, with its revision (kept
    /// current by the refresh while the tab may be showing it).
    state: Option<(u32, u64)>,
    /// State requests answered (for tests and stats).
    pub(crate) states_sent: u64,
    /// The step whose state it asked for last: an older one that went
    /// stale while encoding is not built again.
    state_wanted: Option<u32>,
    /// Where the tab was last told blocks start (and how many steps there
    /// were), and their sizes: a manifest sends only what changed from
    /// there on.
    told_starts: Vec<u32>,
    told_steps: u32,
    told_sizes: Vec<Option<u64>>,
}

/// What a tab holds of one block: the revisions (timeline, audio) and
/// the steps it covered when sent (a block that grew is sent again).
#[derive(Debug, Clone, PartialEq)]
struct Held {
    revision: u64,
    audio_revision: u64,
    steps: std::ops::Range<u32>,
}

/// Work for the encoder task, off the state lock.
pub(crate) enum Job {
    /// A block's encoding, for the tabs waiting for it.
    Block(BlockJob<Bytes>),
    /// One step's state, for the tab that asked.
    State {
        client: ClientId,
        step: u32,
        block: Block<Bytes>,
        compression: Compression,
    },
}

/// A finished [`Job`], for [`Timeline::finish`].
pub(crate) enum Done {
    Block {
        index: u32,
        done: std::result::Result<EncodedBlock, StoreError>,
    },
    State {
        client: ClientId,
        step: u32,
        revision: u64,
        done: std::result::Result<Vec<u8>, viser4d_timeline::EncodeError>,
        /// What was encoded, to tell whether the step really changed when
        /// its block's revision moved meanwhile.
        block: Block<Bytes>,
    },
}

impl Job {
    pub(crate) fn run(self) -> Done {
        match self {
            Job::Block(job) => Done::Block {
                index: job.index(),
                done: job.run(),
            },
            Job::State {
                client,
                step,
                block,
                compression,
            } => Done::State {
                client,
                step,
                revision: block.revision(),
                done: state_fold::encode_state(&block, compression),
                block,
            },
        }
    }
}

pub(crate) struct Timeline {
    /// The server this belongs to (for the per-thread recording step).
    server_id: u64,
    pub(crate) store: Store<Bytes>,
    pub(crate) fps: f64,
    cache_bytes: u64,
    /// GUI plots bound to the timeline, by uuid: library, axis, scope.
    plots: BTreeMap<String, (&'static str, crate::gui::PlotTimeAxis, crate::shared::Scope)>,
    /// What new tabs start with: speed factor and looping.
    pub(crate) start_speed: f64,
    pub(crate) start_looping: bool,
    /// Recorded while tabs watch, growing: tabs follow its newest step.
    pub(crate) open_ended: bool,
    retention: Retention,
    /// Open-ended with nothing recorded yet: the store's one step is a
    /// placeholder (a store has at least one), and the first
    /// `append_step` records into it instead of adding another.
    pub(crate) unstarted: bool,
    /// The layout the ready tabs were last told (by a configure or a
    /// manifest), to tell which blocks moved at the next flush.
    told: viser4d_timeline::BlockLayout,

    /// `at` guards alive, on any thread.
    pub(crate) recording: usize,
    pub(crate) sessions: BTreeMap<ClientId, Session>,
    /// Global message types recorded, for the runtime's defaults.
    globals: BTreeSet<String>,
    /// Encoded size of each block, where known.
    sizes: Vec<Option<u64>>,
    /// Audio tracks by name; their samples live here, not in the store.
    pub(crate) tracks: BTreeMap<String, viser4d_audio::Track>,
    /// Revision of each block's audio.
    audio_revs: Vec<u64>,
    audio_rev_counter: u64,
    /// Blocks whose audio changed since the last flush.
    audio_changed: BTreeSet<u32>,
    /// Woken on every edit; the refresher waits on it.
    pub(crate) dirty: Arc<Notify>,
    /// Runtime versions already reported as incompatible (each is logged
    /// once, not once per tab or reconnect).
    pub(crate) refused_runtimes: BTreeSet<(String, Option<u32>)>,
    /// Blocks being encoded off the lock, with the tabs waiting for each
    /// (`true`: the tab asked for it, not a refresh).
    encoding: BTreeMap<u32, BTreeMap<ClientId, bool>>,
    /// Where encoding work goes: the server's encoder task.
    jobs: tokio::sync::mpsc::UnboundedSender<Job>,
    /// The other end, until the server starts its encoder task.
    pub(crate) jobs_rx: Option<tokio::sync::mpsc::UnboundedReceiver<Job>>,
    /// Cores to encode on (asked once: on Linux the answer reads cgroup
    /// files, far too slow for every recorded call).
    parallel: usize,
    /// `record_all`'s ops, kept empty between calls.
    ops: Vec<Op<Bytes>>,
    /// The key symbols of [`Pose::TYPES`].
    pose_symbols: [Symbol; 3],
}

/// A pose or flag [`Timeline::record_pose`] records.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pose {
    Position([f64; 3]),
    Orientation([f64; 4]),
    Visible(bool),
}

impl Pose {
    /// The message types of the poses, in the order of `index`.
    const TYPES: [&'static str; 3] = [
        SetPositionMessage::TYPE,
        SetOrientationMessage::TYPE,
        SetSceneNodeVisibilityMessage::TYPE,
    ];

    fn index(self) -> usize {
        match self {
            Pose::Position(_) => 0,
            Pose::Orientation(_) => 1,
            Pose::Visible(_) => 2,
        }
    }
}

/// Ops `record_all` keeps room for between calls.
const MAX_KEPT_OPS: usize = 64;

impl std::fmt::Debug for Timeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timeline")
            .field("num_steps", &self.store.num_steps())
            .field("fps", &self.fps)
            .finish_non_exhaustive()
    }
}

impl Timeline {
    pub(crate) fn new(server_id: u64, settings: &TimelineSettings) -> Result<Timeline> {
        // Encoding past the memory budget goes to the encoder task, so the
        // recording thread does not compress.
        let mut config = StoreConfig::default()
            .block_size(settings.block_size)
            .defer_encoding(true);
        if let Some(bytes) = settings.max_block_bytes {
            config = config.max_block_bytes(bytes);
        }
        if let Some(budget) = settings.memory_budget_bytes {
            config = config.budget_bytes(budget);
        }
        if let Some(dir) = &settings.spill_dir {
            config = config.spill_dir(dir);
        }
        let store = Store::with_config(settings.num_steps.max(1), config)?;
        let told = store.layout().clone();
        let sizes = vec![None; store.num_blocks() as usize];
        let (jobs, jobs_rx) = tokio::sync::mpsc::unbounded_channel();
        let symbol = |ty| {
            Symbol::message_type(ty).map_err(|e| ServerError::invalid("timeline", e.to_string()))
        };
        let [position, orientation, visible] = Pose::TYPES;
        Ok(Timeline {
            server_id,
            store,
            fps: settings.fps,
            cache_bytes: settings.cache_bytes,
            plots: BTreeMap::new(),
            start_speed: settings.playback_speed,
            start_looping: settings.looping,
            open_ended: settings.open_ended,
            retention: settings.retention,
            unstarted: settings.num_steps == 0,
            told,

            recording: 0,
            sessions: BTreeMap::new(),
            globals: BTreeSet::new(),
            audio_revs: vec![0; sizes.len()],
            sizes,
            tracks: BTreeMap::new(),
            audio_rev_counter: 0,
            audio_changed: BTreeSet::new(),
            dirty: Arc::new(Notify::new()),
            refused_runtimes: BTreeSet::new(),
            encoding: BTreeMap::new(),
            jobs,
            jobs_rx: Some(jobs_rx),
            parallel: std::thread::available_parallelism().map_or(1, |n| n.get()),
            ops: Vec::new(),
            pose_symbols: [symbol(position)?, symbol(orientation)?, symbol(visible)?],
        })
    }

    /// Records `messages` at this thread's step, or, outside any step, as
    /// overrides (writes to a timeline node's handle outside `at`). All or
    /// nothing: every message is keyed and packed before the store changes,
    /// and the store takes one step's ops at once, so a failure leaves
    /// nothing half-recorded and reaches the caller.
    pub(crate) fn record_all(&mut self, messages: &[Message]) -> Result<()> {
        let step = current_step(self.server_id);
        // A buffer kept between calls: most calls record one pose, and
        // allocating a vector for it was a tenth of the call.
        let mut ops = std::mem::take(&mut self.ops);
        ops.clear();
        let mut globals = Vec::new();
        for message in messages {
            let message_type = message.type_name();
            let refused = |reason: String| ServerError::Record {
                message_type,
                reason,
            };
            let keyed = classify::classify(message)
                .map_err(|e| refused(e.to_string()))
                .and_then(|target| match target {
                    classify::Target::Put(key) => {
                        if key.node().is_none() {
                            globals.push(message_type);
                        }
                        let packed = pack_message(message).map_err(|e| refused(e.to_string()))?;
                        Ok(Op::Put(key, packed))
                    }
                    classify::Target::Remove(name) => Ok(Op::RemoveNode(name)),
                });
            match keyed {
                Ok(op) => ops.push(op),
                Err(e) => {
                    ops.clear();
                    self.keep_ops(ops);
                    return Err(e);
                }
            }
        }
        self.commit(step, ops, &globals)
    }

    /// Records a pose or flag of a timeline node: the key and bytes
    /// [`Self::record_all`] makes of the message, made without the
    /// message (recording poses is most of recording a moving scene, and
    /// building, classifying and dropping a message was a third of it).
    pub(crate) fn record_pose(&mut self, node: &NodeName, pose: Pose) -> Result<()> {
        let step = current_step(self.server_id);
        let packed = match pose {
            Pose::Position(p) => pack_position(node.as_str(), "", &p),
            Pose::Orientation(q) => pack_orientation(node.as_str(), "", &q),
            Pose::Visible(v) => pack_visibility(node.as_str(), "", v),
        };
        let symbol = self.pose_symbols[pose.index()].clone();
        let mut ops = std::mem::take(&mut self.ops);
        ops.clear();
        ops.push(Op::Put(Key::NodeMessage(symbol, node.clone()), packed));
        self.commit(step, ops, &[])
    }

    /// Keeps an emptied ops buffer for the next call, unless a long batch
    /// grew it.
    fn keep_ops(&mut self, ops: Vec<Op<Bytes>>) {
        if ops.capacity() <= MAX_KEPT_OPS {
            self.ops = ops;
        }
    }

    /// Stores keyed and packed ops at `step` (or as overrides outside any
    /// step), all or none, and keeps `ops`' room for the next call.
    fn commit(
        &mut self,
        step: Option<u32>,
        mut ops: Vec<Op<Bytes>>,
        globals: &[&'static str],
    ) -> Result<()> {
        let recorded = match step {
            Some(step) => self.store.record_all(step, ops.drain(..)),
            None => {
                let overrides = self.store.overrides_mut();
                for op in ops.drain(..) {
                    match op {
                        Op::Put(key, packed) => overrides.put(&key, packed),
                        Op::RemoveNode(name) => overrides.remove_node(&name),
                    }
                }
                Ok(())
            }
        };
        self.keep_ops(ops);
        recorded?;
        self.globals.extend(globals.iter().map(|g| (*g).to_owned()));
        let mut out = Vec::new();
        self.queue_encodings(&mut out);
        debug_assert!(
            out.is_empty(),
            "no tab waits for an encoding made for memory"
        );
        self.report_spill_error();
        // Inside a step the refresher would only find it half-recorded:
        // the guard's drop wakes it. Waking it on every call made it fight
        // the recording thread for the lock once per setter.
        if step.is_none() {
            self.dirty.notify_one();
        }
        Ok(())
    }

    /// Records one block of an archive being opened (see `crate::archive`):
    /// its steps into the store (the checkpoint too, for the first block
    /// loaded) and its audio into the tracks. Blocks come in order.
    pub(crate) fn load_archived_block(
        &mut self,
        message: TimelineBlock,
        first: bool,
    ) -> Result<()> {
        let index = message.index;
        let block = Block::<Bytes>::decode_shared(message.data.into_bytes()).map_err(|e| {
            ServerError::invalid("archive", format!("block {index} does not decode: {e}"))
        })?;
        self.store.load_block(&block, first)?;
        for slice in message.audio {
            let samples = slice.samples.to_f32_vec().ok_or_else(|| {
                ServerError::invalid("archive", format!("block {index}: audio that is not f32"))
            })?;
            let channels = usize::from(slice.channels.max(1));
            let track = match self.tracks.entry(slice.name.clone()) {
                std::collections::btree_map::Entry::Occupied(t) => t.into_mut(),
                std::collections::btree_map::Entry::Vacant(slot) => slot.insert(
                    viser4d_audio::Track::new(
                        &slice.name,
                        &[],
                        slice.sample_rate,
                        slice.channels,
                        slice.start_step,
                    )
                    .map_err(|e| ServerError::invalid("archive", e.to_string()))?,
                ),
            };
            if (track.sample_rate(), track.channels()) != (slice.sample_rate, slice.channels) {
                return Err(ServerError::invalid(
                    "archive",
                    format!(
                        "block {index}: audio of track {} at {} Hz x {} channels, the track is {} Hz x {}",
                        slice.name,
                        slice.sample_rate,
                        slice.channels,
                        track.sample_rate(),
                        track.channels()
                    ),
                ));
            }
            // Slices of consecutive blocks meet; a range archive's first
            // one may start late (silence before it, bounded: the samples
            // are held in memory), and frames already held are not
            // appended twice.
            let start = usize::try_from(slice.start_frame).unwrap_or(usize::MAX);
            let held = track.frames();
            let audio_error =
                |e: viser4d_audio::AudioError| ServerError::invalid("archive", e.to_string());
            if start > held {
                let gap = (start - held).saturating_mul(channels);
                if gap > MAX_ARCHIVE_AUDIO_GAP_SAMPLES {
                    return Err(ServerError::invalid(
                        "archive",
                        format!(
                            "block {index}: track {} resumes {} frames after the audio held; \
                             an archive of a range that starts this far into a track cannot be opened",
                            slice.name,
                            start - held
                        ),
                    ));
                }
                track.append(&vec![0.0; gap]).map_err(audio_error)?;
            }
            let skip = held.saturating_sub(start).saturating_mul(channels);
            if skip < samples.len() {
                track.append(&samples[skip..]).map_err(audio_error)?;
            }
        }
        Ok(())
    }

    /// After an archive's last block: the global types it uses, its
    /// overrides, and the steps before its first block dropped (an archive
    /// of a range holds none of them).
    pub(crate) fn finish_loading(
        &mut self,
        globals: impl IntoIterator<Item = String>,
        overrides: TimelineOverrides,
        first_step: u32,
    ) -> Result<()> {
        self.globals.extend(globals);
        let decoded = viser4d_timeline::Overrides::<Bytes>::decode(overrides.data.bytes())
            .map_err(|e| {
                ServerError::invalid("archive", format!("the overrides do not decode: {e}"))
            })?;
        *self.store.overrides_mut() = decoded;
        if first_step > 0 {
            self.store.retire_before(first_step)?;
        }
        let end = self.store.num_steps();
        self.audio_changed(0..end);
        self.report_spill_error();
        self.dirty.notify_one();
        Ok(())
    }

    /// Hands the encoder task the encodings that bring the store back
    /// under its memory budget (the store asks for them instead of
    /// compressing under the lock); a tab asking for one of those blocks
    /// meanwhile waits for it.
    fn queue_encodings(&mut self, out: &mut Outgoing) {
        for job in self.store.take_encode_jobs(self.parallel) {
            self.encoding.entry(job.index()).or_default();
            self.queue(Job::Block(job), out);
        }
    }

    /// Encodings out at the encoder task.
    pub(crate) fn encodings_in_flight(&self) -> usize {
        self.encoding.len()
    }

    /// Says once, loudly, that the store could not spill: the recording is
    /// safe in memory, but memory now grows past the budget.
    pub(crate) fn report_spill_error(&mut self) {
        if let Some(error) = self.store.take_spill_error() {
            tracing::error!(
                %error,
                budget_bytes = self.store.config().get_budget_bytes(),
                "the timeline cannot spill to disk; every block stays in memory from now on (nothing is lost; free disk space or set ServerBuilder::spill_dir)"
            );
        }
    }

    /// The number of steps recorded or made room for (0 for an open-ended
    /// timeline before its first step).
    pub(crate) fn len(&self) -> u32 {
        if self.unstarted {
            0
        } else {
            self.store.num_steps()
        }
    }

    /// Makes room for step `step` if it is the one after the last (`at(len)`
    /// grows the timeline by one); a step further out is an error.
    pub(crate) fn make_room(&mut self, step: u32) -> Result<()> {
        let len = self.len();
        if step < self.store.first_step() {
            return Err(StoreError::Retired {
                step,
                first_step: self.store.first_step(),
            }
            .into());
        }
        if step < len {
            return Ok(());
        }
        if step > len || step >= viser4d_proto::timeline::MAX_STEPS {
            return Err(ServerError::StepOutOfRange {
                step,
                num_steps: len,
            });
        }
        if self.unstarted {
            self.unstarted = false;
        } else {
            self.store.set_steps(step + 1)?;
        }
        Ok(())
    }

    pub(crate) fn configure_message(&self) -> TimelineConfigure {
        let global_defaults = self
            .globals
            .iter()
            .filter_map(|ty| {
                let message = classify::global_default(ty)?;
                let packed = pack_message(&message).ok()?;
                Some(GlobalDefault {
                    message_type: ty.clone(),
                    message: TypedArray::from_u8(packed),
                })
            })
            .collect();
        TimelineConfigure {
            num_steps: self.store.num_steps(),
            first_step: self.store.first_step(),
            standalone: false,
            fps: self.fps,
            block_size: self.store.block_size(),
            block_starts: self.block_starts(),
            cache_bytes: self.cache_bytes,
            // Sizes follow the layout at the next flush; never more than
            // the blocks there are now.
            block_bytes: self
                .sizes
                .iter()
                .take(self.store.num_blocks() as usize)
                .copied()
                .collect(),
            global_defaults,
            live: self.open_ended,
            speed: (self.start_speed != 1.0).then_some(self.start_speed),
            r#loop: self.start_looping.then_some(true),
            plots: self.plot_cursors(None),
        }
    }

    /// Where blocks start, for the tabs: nothing when every block is whole
    /// (the tab works it out), else every start.
    fn block_starts(&self) -> Vec<u32> {
        let layout = self.store.layout();
        let bs = self.store.block_size() as u64;
        let whole = layout
            .starts()
            .iter()
            .enumerate()
            .all(|(k, &start)| k as u64 * bs == u64::from(start))
            && layout.num_blocks() == layout.num_steps().div_ceil(self.store.block_size());
        if whole {
            Vec::new()
        } else {
            layout.starts().to_vec()
        }
    }

    pub(crate) fn overrides_message(&self) -> Result<TimelineOverrides> {
        let overrides = self.store.overrides();
        let data = overrides
            .encode()
            .map_err(|e| ServerError::Timeline(e.into()))?;
        Ok(TimelineOverrides {
            revision: overrides.revision(),
            data: TypedArray::from_u8(data),
        })
    }

    /// Block `index` as a message, with the audio of its steps, encoded
    /// here (for exports, which need every block at once).
    pub(crate) fn block_message(&mut self, index: u32) -> Result<TimelineBlock> {
        let data = self.store.encoded_block(index)?;
        let revision = self.store.block_revision(index)?;
        Ok(self.block_message_from(index, data, revision))
    }

    fn block_message_from(&mut self, index: u32, data: Bytes, revision: u64) -> TimelineBlock {
        let audio = self.audio_slices(index);
        let audio_bytes: usize = audio.iter().map(|a| a.samples.bytes().len()).sum();
        if let Some(size) = self.sizes.get_mut(index as usize) {
            *size = Some((data.len() + audio_bytes) as u64);
        }
        TimelineBlock {
            index,
            revision,
            audio_revision: self.audio_revs.get(index as usize).copied().unwrap_or(0),
            data: TypedArray::from_u8(data),
            audio,
        }
    }

    fn audio_slices(&self, index: u32) -> Vec<AudioSlice> {
        let steps = self.store.block_steps(index);
        let last = index + 1 == self.store.num_blocks();
        self.tracks
            .values()
            .filter_map(|track| {
                let frames = track.frames_for_steps(steps.clone(), self.fps, last);
                if frames.is_empty() {
                    return None;
                }
                Some(AudioSlice {
                    name: track.name().to_owned(),
                    sample_rate: track.sample_rate(),
                    channels: track.channels(),
                    start_step: track.start_step(),
                    start_frame: frames.start as u64,
                    samples: TypedArray::from_f32(&track.copy_frames(frames)),
                })
            })
            .collect()
    }

    /// Marks the audio of the blocks holding `steps` as changed.
    fn audio_changed(&mut self, steps: std::ops::Range<u32>) {
        let Some(blocks) = self.store.blocks_of_steps(steps) else {
            return;
        };
        self.audio_rev_counter += 1;
        for index in blocks {
            if let Some(rev) = self.audio_revs.get_mut(index as usize) {
                *rev = self.audio_rev_counter;
                self.audio_changed.insert(index);
            }
        }
        self.dirty.notify_one();
    }

    /// Queues `message` for `client`, or holds it until its runtime is ready.
    fn command(&mut self, client: ClientId, message: ServerMessage, out: &mut Outgoing) {
        let Some(session) = self.sessions.get_mut(&client) else {
            return;
        };
        if session.ready {
            out.push((client, message));
        } else {
            if session.pending.len() >= MAX_PENDING {
                session.pending.remove(0);
            }
            session.pending.push(message);
        }
    }

    /// Marks the timeline open-ended or finished, and tells the ready tabs.
    pub(crate) fn set_open_ended(&mut self, open_ended: bool, out: &mut Outgoing) {
        if self.open_ended == open_ended {
            return;
        }
        self.open_ended = open_ended;
        let manifest = TimelineManifest {
            block_bytes: Vec::new(),
            block_starts: None,
            num_steps: None,
            first_step: None,
            from_block: Some(self.store.num_blocks()),
            live: Some(open_ended),
        };
        for (id, session) in &self.sessions {
            if session.ready {
                out.push((*id, manifest.clone().into()));
            }
        }
    }

    /// Binds GUI plot `uuid` to the timeline (or re-binds it), and tells
    /// the ready tabs.
    pub(crate) fn bind_plot(
        &mut self,
        uuid: String,
        library: &'static str,
        axis: crate::gui::PlotTimeAxis,
        scope: crate::shared::Scope,
        out: &mut Outgoing,
    ) {
        self.plots.insert(uuid, (library, axis, scope));
        self.send_plots(out);
    }

    /// Forgets a plot that was removed; `true` if it was bound.
    pub(crate) fn unbind_plot(&mut self, uuid: &str, out: &mut Outgoing) -> bool {
        let bound = self.plots.remove(uuid).is_some();
        if bound {
            self.send_plots(out);
        }
        bound
    }

    fn send_plots(&self, out: &mut Outgoing) {
        for (id, session) in &self.sessions {
            if session.ready {
                let message = viser4d_proto::timeline::TimelinePlots {
                    plots: self.plot_cursors(Some(*id)),
                };
                out.push((*id, message.into()));
            }
        }
    }

    /// Forgets the plots of a tab that left.
    pub(crate) fn forget_client_plots(&mut self, client: ClientId) {
        self.plots
            .retain(|_, (_, _, scope)| *scope != crate::shared::Scope::Client(client));
    }

    /// The bound plots tab `client` has (the shared ones and its own; only
    /// the shared ones for `None`, an export), as the tabs take them.
    pub(crate) fn plot_cursors(
        &self,
        client: Option<ClientId>,
    ) -> Vec<viser4d_proto::timeline::PlotCursor> {
        self.plots
            .iter()
            .filter(|(_, (_, _, scope))| match scope {
                crate::shared::Scope::Client(id) => Some(*id) == client,
                _ => true,
            })
            .map(
                |(uuid, (library, axis, _))| viser4d_proto::timeline::PlotCursor {
                    uuid: uuid.clone(),
                    library: (*library).to_owned(),
                    x_per_step: match axis {
                        crate::gui::PlotTimeAxis::Step => 1.0,
                        crate::gui::PlotTimeAxis::Seconds => 1.0 / self.fps,
                    },
                },
            )
            .collect()
    }

    /// The uuids and scopes of the bound plots (for exports).
    pub(crate) fn bound_plots(&self) -> Vec<(String, crate::shared::Scope)> {
        self.plots
            .iter()
            .map(|(uuid, (_, _, scope))| (uuid.clone(), *scope))
            .collect()
    }

    /// A tab's runtime is ready: configure it, then send what was held.
    fn on_ready(&mut self, client: ClientId, out: &mut Outgoing) {
        if self.sessions.get(&client).is_some_and(|s| s.ready) {
            // A runtime says ready once installed and again to the Hello
            // (it cannot tell whether its first word reached a socket).
            // One connection is one runtime: configuring it again would
            // make it drop and fetch its first block a second time.
            tracing::debug!(client, "tab said ready again; already configured");
            return;
        }
        let mut configure = self.configure_message();
        // The shared plots and this tab's own, never another tab's.
        configure.plots = self.plot_cursors(Some(client));
        let overrides = self.overrides_message();
        let Some(session) = self.sessions.get_mut(&client) else {
            return;
        };
        session.ready = true;
        session.held.clear();
        session.state = None;
        session.told_starts = self.store.layout().starts().to_vec();
        session.told_steps = self.store.num_steps();
        session.told_sizes = configure.block_bytes.clone();
        session
            .told_sizes
            .resize(self.store.num_blocks() as usize, None);
        out.push((client, configure.into()));
        match overrides {
            Ok(m) => out.push((client, m.into())),
            Err(error) => tracing::error!(%error, "cannot encode the overrides"),
        }
        for m in std::mem::take(&mut session.pending) {
            out.push((client, m));
        }
    }

    fn on_block_request(&mut self, client: ClientId, index: u32, out: &mut Outgoing) {
        if !self.sessions.get(&client).is_some_and(|s| s.ready) {
            return;
        }
        if index >= self.store.num_blocks() {
            tracing::warn!(
                client,
                index,
                num_blocks = self.store.num_blocks(),
                "tab asked for a block past the end"
            );
            return;
        }
        if index < self.store.retired_blocks() {
            // Asked for before the tab heard of the drop; it will hear.
            tracing::debug!(client, index, "tab asked for a dropped block");
            return;
        }
        self.send_block(client, index, true, out);
    }

    /// Sends block `index` to `client` now if its encoding is cached; else
    /// queues the encoding for the encoder task (once, however many tabs
    /// wait for it) and sends it from [`Timeline::finish_block`].
    fn send_block(&mut self, client: ClientId, index: u32, requested: bool, out: &mut Outgoing) {
        if let Some(waiters) = self.encoding.get_mut(&index) {
            *waiters.entry(client).or_default() |= requested;
            return;
        }
        match self.store.encoded_block_or_job(index) {
            Ok(Encoding::Ready { bytes, revision }) => {
                self.deliver(client, index, bytes, revision, requested, out);
            }
            Ok(Encoding::Job(job)) => {
                self.encoding
                    .insert(index, BTreeMap::from([(client, requested)]));
                self.queue(Job::Block(job), out);
            }
            Err(error) => tracing::error!(%error, index, "cannot encode a block"),
        }
        self.report_spill_error();
    }

    /// Hands `job` to the encoder task.
    fn queue(&mut self, job: Job, out: &mut Outgoing) {
        if let Err(unsent) = self.jobs.send(job) {
            // No encoder task (the server is stopping): do it here.
            let done = unsent.0.run();
            self.finish(done, out);
        }
    }

    /// What the encoder task finished.
    pub(crate) fn finish(&mut self, done: Done, out: &mut Outgoing) {
        match done {
            Done::Block { index, done } => self.finish_block(index, done, out),
            Done::State {
                client,
                step,
                revision,
                done,
                block,
            } => self.finish_state(client, step, revision, block, done, out),
        }
    }

    /// A tab asks for the state at `step` (a seek to a block it lacks): the
    /// one-step block is built here and encoded by the encoder task.
    pub(crate) fn on_state_request(&mut self, client: ClientId, step: u32, out: &mut Outgoing) {
        if !self.sessions.get(&client).is_some_and(|s| s.ready) {
            return;
        }
        let num_steps = self.store.num_steps();
        if step >= num_steps {
            tracing::warn!(
                client,
                step,
                num_steps,
                "tab asked for a state past the end"
            );
            return;
        }
        if step < self.store.first_step() {
            tracing::debug!(client, step, "tab asked for the state of a dropped step");
            return;
        }
        if let Some(session) = self.sessions.get_mut(&client) {
            session.state_wanted = Some(step);
        }
        match self.store.state_block(step) {
            Ok(block) => {
                let compression = self.store.config().get_compression();
                self.queue(
                    Job::State {
                        client,
                        step,
                        block,
                        compression,
                    },
                    out,
                );
            }
            Err(error) => tracing::error!(%error, step, "cannot fold a step's state"),
        }
        self.report_spill_error();
    }

    /// A state the encoder task finished: sent if the step's block did not
    /// change meanwhile, else built again.
    fn finish_state(
        &mut self,
        client: ClientId,
        step: u32,
        revision: u64,
        encoded: Block<Bytes>,
        done: std::result::Result<Vec<u8>, viser4d_timeline::EncodeError>,
        out: &mut Outgoing,
    ) {
        if !self.sessions.get(&client).is_some_and(|s| s.ready) {
            return;
        }
        let current = self
            .store
            .block_of(step)
            .and_then(|k| self.store.block_revision(k));
        let (data, now) = match (done, current) {
            (Ok(data), Ok(now)) => (data, now),
            (Err(error), _) => {
                tracing::error!(%error, step, "cannot encode a step's state");
                return;
            }
            // The timeline shrank past the step, or retention dropped it;
            // the tab was told.
            (_, Err(_)) => return,
        };
        // A block that moved on may still hold this step as it was: a live
        // recording appends to its last block with every step. Then the
        // state goes out as of the block's current revision, instead of
        // being built again for ever while steps come faster than it
        // encodes.
        if now != revision && !self.same_state(step, &encoded) {
            // Built again only if the tab still wants it: one that asked
            // for a newer step since (a following tab) gets that instead.
            let wanted = self.sessions.get(&client).and_then(|s| s.state_wanted);
            if wanted == Some(step) {
                self.on_state_request(client, step, out);
            }
            return;
        }
        if let Some(session) = self.sessions.get_mut(&client) {
            session.state = Some((step, now));
            session.states_sent += 1;
        }
        let state = TimelineState {
            step,
            revision: now,
            data: TypedArray::from_u8(data),
        };
        out.push((client, state.into()));
    }

    /// Whether the state at `step` is still what `encoded` holds.
    fn same_state(&mut self, step: u32, encoded: &Block<Bytes>) -> bool {
        let Ok(block) = self.store.state_block(step) else {
            return false;
        };
        match (block.state_at(step), encoded.state_at(step)) {
            (Ok(now), Ok(then)) => now == then,
            _ => false,
        }
    }

    /// An encoding the encoder task finished: cached and sent to the tabs
    /// waiting for it, or, if the block changed meanwhile, asked for again.
    pub(crate) fn finish_block(
        &mut self,
        index: u32,
        done: std::result::Result<EncodedBlock, StoreError>,
        out: &mut Outgoing,
    ) {
        let waiters = self.encoding.remove(&index).unwrap_or_default();
        if index >= self.store.num_blocks() || index < self.store.retired_blocks() {
            // The timeline shrank, or retention dropped the block,
            // meanwhile; the tabs were told.
            self.store.abandon_encoding(index);
            return;
        }
        let encoded = match done {
            Ok(encoded) => encoded,
            Err(error) => {
                tracing::error!(%error, index, "cannot encode a block");
                self.store.abandon_encoding(index);
                return;
            }
        };
        let installed = self.store.install_encoded(encoded);
        self.queue_encodings(out);
        let revision = self.store.block_revision(index);
        for (client, requested) in waiters {
            if !self.sessions.get(&client).is_some_and(|s| s.ready) {
                continue;
            }
            match (&installed, &revision) {
                (Some(bytes), Ok(revision)) => {
                    self.deliver(client, index, bytes.clone(), *revision, requested, out)
                }
                _ => self.send_block(client, index, requested, out),
            }
        }
        self.report_spill_error();
    }

    /// Queues encoded block `index` for `client`, with its steps' audio.
    fn deliver(
        &mut self,
        client: ClientId,
        index: u32,
        data: Bytes,
        revision: u64,
        requested: bool,
        out: &mut Outgoing,
    ) {
        let block = self.block_message_from(index, data, revision);
        if let Some(session) = self.sessions.get_mut(&client) {
            let held = Held {
                revision: block.revision,
                audio_revision: block.audio_revision,
                steps: self.store.layout().steps(index),
            };
            session.held.insert(index, held);
            if requested {
                session.blocks_sent += 1;
            }
        }
        out.push((client, block.into()));
    }

    /// Sends `client` its state again if the step's block changed.
    fn refresh_state(
        &mut self,
        client: ClientId,
        changes: &viser4d_timeline::Changes,
        out: &mut Outgoing,
    ) {
        let Some((step, revision)) = self.sessions.get(&client).and_then(|s| s.state) else {
            return;
        };
        let Ok(index) = self.store.block_of(step) else {
            return;
        };
        if !changes.affects_block(index) {
            return;
        }
        if self.store.block_revision(index).ok() != Some(revision) {
            self.on_state_request(client, step, out);
        }
    }

    fn send_overrides(&self, tabs: &[ClientId], out: &mut Outgoing) {
        match self.overrides_message() {
            Ok(m) => {
                for &id in tabs {
                    out.push((id, m.clone().into()));
                }
            }
            Err(error) => tracing::error!(%error, "cannot encode the overrides"),
        }
    }

    /// Sends what changed since the last flush to the ready tabs: the new
    /// length and layout when they changed, the overrides, the held blocks
    /// whose revision moved or whose steps grew or shrank, and the sizes.
    fn flush(&mut self, out: &mut Outgoing) {
        if self.recording > 0 {
            // Half a step is not sent; the guard's drop wakes us again.
            return;
        }
        let changes = self.store.take_changes();
        let audio_changed = std::mem::take(&mut self.audio_changed);
        if changes.is_empty() && audio_changed.is_empty() {
            return;
        }
        let ready: Vec<ClientId> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.ready)
            .map(|(id, _)| *id)
            .collect();
        // Blocks re-sent because their steps grew or shrank, by tab.
        if changes.layout_changed() {
            self.relayout(&ready, out);
        }
        for (index, size) in self.sizes.iter_mut().enumerate() {
            if changes.affects_block(index as u32) || audio_changed.contains(&(index as u32)) {
                *size = None;
            }
        }
        if changes.overrides_changed() {
            self.send_overrides(&ready, out);
        }
        for &id in &ready {
            let held: Vec<(u32, Held)> = self
                .sessions
                .get(&id)
                .map(|s| s.held.iter().map(|(i, h)| (*i, h.clone())).collect())
                .unwrap_or_default();
            for (
                index,
                Held {
                    revision,
                    audio_revision,
                    ..
                },
            ) in held
            {
                let audio_now = self.audio_revs.get(index as usize).copied().unwrap_or(0);
                let audio_moved = audio_now != audio_revision;
                if !changes.affects_block(index) && !audio_moved {
                    continue;
                }
                match self.store.block_revision(index) {
                    Ok(now) if now == revision && !audio_moved => continue,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(%error, index, "cannot read a block revision");
                        continue;
                    }
                }
                self.send_block(id, index, false, out);
            }
            self.refresh_state(id, &changes, out);
        }
        for id in ready {
            let Some(session) = self.sessions.get_mut(&id) else {
                continue;
            };
            let from = first_difference(&session.told_sizes, &self.sizes);
            if from == self.sizes.len() && session.told_sizes.len() == self.sizes.len() {
                continue;
            }
            session.told_sizes.clone_from(&self.sizes);
            let manifest = TimelineManifest {
                block_bytes: self.sizes[from..].to_vec(),
                block_starts: None,
                num_steps: None,
                first_step: None,
                from_block: Some(from as u32),
                live: None,
            };
            out.push((id, manifest.into()));
        }
    }
}

/// The length of the common prefix of `a` and `b`.
fn first_difference<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl Timeline {
    /// The timeline grew, shrank, or its blocks start elsewhere (a heavy
    /// block split, blocks dropped by retention): tells the ready tabs the
    /// new length, starts and first step. A block whose steps did not move
    /// stays held and keeps its size; one whose steps moved (the last block
    /// grows with every step recorded live) is dropped from what each tab
    /// holds, as the tab drops it, and asked for again when needed: a tab
    /// following the newest step asks for that step's state instead of a
    /// block that keeps growing. What a tab shows stays on screen, so a tab
    /// watching a recording grow does not flicker.
    fn relayout(&mut self, ready: &[ClientId], out: &mut Outgoing) {
        let layout = self.store.layout().clone();
        let old = std::mem::replace(&mut self.told, layout.clone());
        let first_step = self.store.first_step();
        let retired = self.store.retired_blocks();
        let num_blocks = layout.num_blocks();
        let unmoved =
            |k: u32| k >= retired && k < old.num_blocks() && old.steps(k) == layout.steps(k);
        self.sizes = (0..num_blocks)
            .map(|k| {
                let size = self.sizes.get(k as usize).copied().flatten();
                size.filter(|_| unmoved(k))
            })
            .collect();
        self.audio_rev_counter += 1;
        let fresh = self.audio_rev_counter;
        self.audio_revs = (0..num_blocks)
            .map(|k| match self.audio_revs.get(k as usize) {
                Some(&rev) if unmoved(k) => rev,
                _ => fresh,
            })
            .collect();
        let starts = layout.starts();
        for &id in ready {
            let Some(session) = self.sessions.get_mut(&id) else {
                continue;
            };
            // The tab keeps a block that still holds its place's steps (one
            // cut at its end holds them); the same rule here.
            session.held.retain(|&k, h| {
                let place = layout.steps(k);
                k >= retired
                    && k < num_blocks
                    && place.start == h.steps.start
                    && h.steps.end >= place.end
            });
            // The tab drops its state when the state's block moved in the
            // layout it knew; the same rule here, from what this tab knew.
            let told = |k: usize| {
                let start = session.told_starts.get(k).copied()?;
                let end = session
                    .told_starts
                    .get(k + 1)
                    .copied()
                    .unwrap_or(session.told_steps);
                Some(start..end)
            };
            if let Some((step, _)) = session.state
                && layout
                    .block_of(step)
                    .is_none_or(|k| k < retired || told(k as usize) != Some(layout.steps(k)))
            {
                session.state = None;
            }
            // Only what changed for this tab: a live recording grows at its
            // end, so its manifest holds a block or two however long it is.
            let from = first_difference(&session.told_starts, starts)
                .min(first_difference(&session.told_sizes, &self.sizes));
            let manifest = TimelineManifest {
                block_bytes: self.sizes[from.min(self.sizes.len())..].to_vec(),
                block_starts: Some(starts[from.min(starts.len())..].to_vec()),
                num_steps: Some(layout.num_steps()),
                first_step: Some(first_step),
                from_block: Some(from as u32),
                live: None,
            };
            session.told_starts = starts.to_vec();
            session.told_steps = layout.num_steps();
            session.told_sizes.clone_from(&self.sizes);
            out.push((id, manifest.into()));
        }
    }
}

/// Messages to queue once the timeline is done with the state.
pub(crate) type Outgoing = Vec<(ClientId, ServerMessage)>;

impl State {
    /// Queues timeline messages for their tabs.
    pub(crate) fn send_timeline(&mut self, out: Outgoing) {
        for (id, message) in out {
            match message.to_value() {
                Ok(value) => self.push(id, AnyMessage::Custom(value)),
                Err(error) => tracing::error!(%error, "cannot encode a timeline message"),
            }
        }
    }

    /// Runs `f` on the timeline and queues what it produced.
    pub(crate) fn with_timeline<R>(
        &mut self,
        f: impl FnOnce(&mut Timeline, &mut Outgoing) -> R,
    ) -> Result<R> {
        let timeline = self.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
        let mut out = Vec::new();
        let r = f(timeline, &mut out);
        self.send_timeline(out);
        Ok(r)
    }
}

/// Sends edits to the tabs holding the edited blocks, at most every
/// [`DEBOUNCE`], until the server shuts down.
pub(crate) async fn refresher(shared: Arc<Shared>, dirty: Arc<Notify>) {
    loop {
        tokio::select! {
            () = dirty.notified() => {}
            () = shared.shutdown.notified() => break,
        }
        let deferred = {
            let mut state = shared.lock();
            state
                .with_timeline(|t, out| {
                    // Mid-step: nothing goes out, and the guard's drop
                    // wakes us again; no pause, so the step then goes at once.
                    let deferred = t.recording > 0;
                    t.flush(out);
                    deferred
                })
                .unwrap_or(false)
        };
        if !deferred {
            // Edits made meanwhile left a permit: they go out after the pause.
            tokio::time::sleep(DEBOUNCE).await;
        }
    }
}

/// Encodes blocks off the state lock and off the async workers, a few at
/// a time on the blocking pool, so a tab seeking through cold blocks does
/// not hold up live updates to the others; each result goes back through
/// [`Timeline::finish_block`].
pub(crate) async fn encoder(
    shared: Arc<Shared>,
    mut jobs: tokio::sync::mpsc::UnboundedReceiver<Job>,
) {
    let parallel = std::thread::available_parallelism().map_or(1, |n| n.get());
    let slots = Arc::new(tokio::sync::Semaphore::new(parallel));
    loop {
        let job = tokio::select! {
            job = jobs.recv() => job,
            () = shared.shutdown.notified() => None,
        };
        let Some(job) = job else { break };
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let shared = shared.clone();
        tokio::task::spawn_blocking(move || {
            let done = job.run();
            drop(slot);
            shared
                .lock()
                .with_timeline(|t, out| t.finish(done, out))
                .ok();
        });
    }
}

/// The number of steps.
pub(crate) fn num_steps(shared: &Shared) -> Result<u32> {
    let state = shared.lock();
    let timeline = state.timeline.as_ref().ok_or(ServerError::NoTimeline)?;
    Ok(timeline.len())
}

/// Sends pending edits now instead of after the debounce.
pub(crate) fn flush_now(shared: &Shared) -> Result<()> {
    shared.lock().with_timeline(|t, out| t.flush(out))
}

/// A new tab: a session paused at step 0, speed 1.
pub(crate) fn open_session(state: &mut State, id: ClientId) {
    if let Some(t) = state.timeline.as_mut() {
        t.sessions.insert(id, Session::default());
    }
}

pub(crate) fn close_session(state: &mut State, id: ClientId) {
    if let Some(t) = state.timeline.as_mut() {
        t.sessions.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use viser4d_timeline::Key;

    /// A pose recorded from its key parts stores what recording its
    /// message stores: the same key, the same bytes.
    #[test]
    fn a_pose_recorded_without_its_message_is_stored_as_the_message_is() {
        use viser4d_proto::messages::{
            SetOrientationMessage, SetPositionMessage, SetSceneNodeVisibilityMessage,
        };
        let node = NodeName::new("/frames/f1").expect("a name");
        let name = || node.as_str().to_owned();
        let cases = [
            (
                Pose::Position([1.0, -2.0, 0.5]),
                Message::from(SetPositionMessage {
                    name: name(),
                    position: [1.0, -2.0, 0.5],
                    owner: String::new(),
                }),
            ),
            (
                Pose::Orientation([0.5, 0.5, -0.5, 0.5]),
                Message::from(SetOrientationMessage {
                    name: name(),
                    wxyz: [0.5, 0.5, -0.5, 0.5],
                    owner: String::new(),
                }),
            ),
            (
                Pose::Visible(false),
                Message::from(SetSceneNodeVisibilityMessage {
                    name: name(),
                    visible: false,
                    owner: String::new(),
                }),
            ),
        ];
        for (pose, message) in cases {
            // Outside any step: both land in the overrides.
            let (mut direct, mut by_message) = (timeline(), timeline());
            direct.record_pose(&node, pose).expect("recorded");
            by_message.record_all(&[message]).expect("recorded");
            let entries = |t: &Timeline| -> Vec<(String, Bytes)> {
                t.store
                    .overrides()
                    .puts()
                    .iter()
                    .map(|(k, e)| (k.to_string(), e.value.clone()))
                    .collect()
            };
            assert_eq!(entries(&direct).len(), 1, "{pose:?}");
            assert_eq!(entries(&direct), entries(&by_message), "{pose:?}");
        }
    }

    fn timeline() -> Timeline {
        let settings = TimelineSettings {
            num_steps: 8,
            open_ended: false,
            retention: Retention::All,
            fps: 10.0,
            block_size: 4,
            max_block_bytes: None,
            cache_bytes: 1 << 20,
            memory_budget_bytes: None,
            spill_dir: None,
            playback_speed: 1.0,
            looping: false,
        };
        let mut t = Timeline::new(u64::MAX, &settings).expect("a timeline");
        let key = Key::create("/n").expect("a key");
        for step in 0..8 {
            t.store
                .put(step, key.clone(), Bytes::from(vec![step as u8; 4096]))
                .expect("recorded");
        }
        for client in [1, 2] {
            t.sessions.insert(
                client,
                Session {
                    ready: true,
                    ..Session::default()
                },
            );
        }
        t
    }

    fn blocks(out: &Outgoing) -> Vec<(ClientId, u32)> {
        out.iter()
            .filter_map(|(client, m)| match m {
                ServerMessage::TimelineBlock(b) => Some((*client, b.index)),
                _ => None,
            })
            .collect()
    }

    /// What the encoder task would do with every queued job.
    fn run_jobs(t: &mut Timeline, out: &mut Outgoing) -> usize {
        let mut rx = t.jobs_rx.take().expect("the receiver");
        let mut ran = 0;
        while let Ok(job) = rx.try_recv() {
            let done = std::thread::spawn(move || job.run())
                .join()
                .expect("the job thread");
            t.finish(done, out);
            ran += 1;
        }
        t.jobs_rx = Some(rx);
        ran
    }

    fn states(out: &Outgoing) -> Vec<(ClientId, u32, u64, usize)> {
        out.iter()
            .filter_map(|(client, m)| match m {
                ServerMessage::TimelineState(s) => {
                    Some((*client, s.step, s.revision, s.data.len()))
                }
                _ => None,
            })
            .collect()
    }

    fn manifests(out: &Outgoing) -> Vec<(ClientId, Option<u32>)> {
        out.iter()
            .filter_map(|(client, m)| match m {
                ServerMessage::TimelineManifest(m) if m.block_starts.is_some() => {
                    Some((*client, m.num_steps))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_growing_timeline_keeps_the_held_blocks_whose_steps_did_not_move() {
        let mut t = timeline();
        let mut out = Vec::new();
        for index in [0, 1] {
            t.on_block_request(1, index, &mut out);
        }
        run_jobs(&mut t, &mut out);
        assert_eq!(blocks(&out), [(1, 0), (1, 1)]);
        t.store.take_changes();
        out.clear();

        // Step 8 opens block 2; blocks 0 and 1 did not move.
        t.make_room(8).expect("room");
        let key = Key::create("/n").expect("a key");
        t.store
            .put(8, key.clone(), Bytes::from_static(b"8"))
            .expect("recorded");
        t.flush(&mut out);
        run_jobs(&mut t, &mut out);
        assert_eq!(manifests(&out), [(1, Some(9)), (2, Some(9))]);
        assert!(
            blocks(&out).is_empty(),
            "nothing held moved: {:?}",
            blocks(&out)
        );
        t.on_block_request(2, 2, &mut out);
        run_jobs(&mut t, &mut out);
        assert_eq!(blocks(&out), [(2, 2)]);
        out.clear();

        // Step 9 grows block 2: tab 2 holds it and gets it again.
        assert!(
            matches!(
                t.make_room(11),
                Err(ServerError::StepOutOfRange {
                    step: 11,
                    num_steps: 9
                })
            ),
            "no gaps"
        );
        t.make_room(9).expect("room");
        t.store
            .put(9, key, Bytes::from_static(b"9"))
            .expect("recorded");
        t.flush(&mut out);
        run_jobs(&mut t, &mut out);
        assert_eq!(manifests(&out), [(1, Some(10)), (2, Some(10))]);
        let grown = out.iter().find_map(|(_, m)| match m {
            ServerMessage::TimelineManifest(m) if m.block_starts.is_some() => Some(m.clone()),
            _ => None,
        });
        let grown = grown.expect("a manifest");
        assert_eq!(
            (grown.from_block, grown.block_starts.as_deref()),
            (Some(3), Some(&[][..])),
            "no start moved: the new length is all it says"
        );
        assert!(
            blocks(&out).is_empty(),
            "a grown block is not pushed: the tab asks when it needs it"
        );
        assert!(!t.sessions[&2].held.contains_key(&2), "tab 2 dropped it");
        assert_eq!(t.sessions[&1].held.len(), 2, "tab 1 keeps blocks 0 and 1");
        t.on_block_request(2, 2, &mut out);
        run_jobs(&mut t, &mut out);
        let sent = out.iter().find_map(|(_, m)| match m {
            ServerMessage::TimelineBlock(b) => Some(b.clone()),
            _ => None,
        });
        let block = viser4d_timeline::Block::<Bytes>::decode_shared(
            sent.expect("a block").data.into_bytes(),
        )
        .expect("decoded");
        assert_eq!(block.steps(), 8..10);
        assert_eq!(t.sessions[&2].held[&2].steps, 8..10);
    }

    #[test]
    fn a_state_whose_block_grew_while_it_encoded_goes_out_and_a_superseded_one_does_not() {
        let mut t = timeline();
        let mut out = Vec::new();
        let key = Key::create("/n").expect("a key");
        // Step 5 asked for; a later step of its block (4..8) recorded while
        // it encodes, as a live recording appends.
        let before = t.store.block_revision(1).expect("a revision");
        t.on_state_request(1, 5, &mut out);
        t.store
            .put(7, key.clone(), Bytes::from_static(b"7"))
            .expect("recorded");
        let now = t.store.block_revision(1).expect("a revision");
        assert_ne!(before, now);
        assert_eq!(run_jobs(&mut t, &mut out), 1);
        let sent = states(&out);
        assert_eq!(sent.len(), 1, "sent once, not built again: {sent:?}");
        assert_eq!(
            (sent[0].0, sent[0].1, sent[0].2),
            (1, 5, now),
            "as of the block's revision now"
        );
        out.clear();

        // Step 6 asked for, then step 7: step 6 changes while it encodes,
        // and is not built again, since the tab wants 7 now.
        t.on_state_request(1, 6, &mut out);
        t.store
            .put(6, key.clone(), Bytes::from_static(b"six"))
            .expect("recorded");
        t.on_state_request(1, 7, &mut out);
        run_jobs(&mut t, &mut out);
        let steps: Vec<u32> = states(&out).iter().map(|s| s.1).collect();
        assert_eq!(steps, [7]);
        out.clear();
        // A step that changed and is still wanted is built again.
        t.on_state_request(1, 5, &mut out);
        t.store
            .put(5, key, Bytes::from_static(b"five"))
            .expect("recorded");
        assert_eq!(run_jobs(&mut t, &mut out), 2, "the stale one, then again");
        let steps: Vec<u32> = states(&out).iter().map(|s| s.1).collect();
        assert_eq!(steps, [5]);
    }

    #[test]
    fn retention_drops_the_oldest_blocks_and_tells_the_tabs_where_steps_start_now() {
        let mut t = timeline();
        t.retention = Retention::LastSteps(5);
        let mut out = Vec::new();
        for index in [0, 1] {
            t.on_block_request(1, index, &mut out);
        }
        run_jobs(&mut t, &mut out);
        t.store.take_changes();
        t.flush(&mut out);
        out.clear();
        let key = Key::create("/n").expect("a key");
        for step in 8..12 {
            t.make_room(step).expect("room");
            t.store
                .put(step, key.clone(), Bytes::from_static(b"x"))
                .expect("recorded");
            t.apply_retention().expect("retention");
        }
        // 12 steps, the newest 5 kept: the block of step 7 (4..8) stays.
        assert_eq!(t.store.first_step(), 4);
        t.flush(&mut out);
        run_jobs(&mut t, &mut out);
        let firsts: Vec<(ClientId, Option<u32>)> = out
            .iter()
            .filter_map(|(c, m)| match m {
                ServerMessage::TimelineManifest(m) if m.block_starts.is_some() => {
                    Some((*c, m.first_step))
                }
                _ => None,
            })
            .collect();
        assert_eq!(firsts, [(1, Some(4)), (2, Some(4))]);
        assert_eq!(
            t.sessions[&1].held.keys().copied().collect::<Vec<_>>(),
            [1],
            "block 0 is dropped, block 1 kept"
        );
        assert!(
            blocks(&out).is_empty(),
            "nothing dropped is sent: {:?}",
            blocks(&out)
        );
        assert_eq!(
            t.configure_message().first_step,
            4,
            "a new tab starts there"
        );
        assert!(
            matches!(
                t.make_room(2),
                Err(ServerError::Timeline(StoreError::Retired { .. }))
            ),
            "recording into a dropped step is refused"
        );
        out.clear();
        t.on_block_request(2, 0, &mut out);
        run_jobs(&mut t, &mut out);
        assert!(blocks(&out).is_empty(), "a dropped block is not sent");
    }

    #[test]
    fn a_state_is_one_step_encoded_off_the_lock_and_kept_current_by_the_refresh() {
        let mut t = timeline();
        let mut out = Vec::new();
        t.on_state_request(1, 6, &mut out);
        assert!(states(&out).is_empty(), "encoded under the lock");
        assert_eq!(run_jobs(&mut t, &mut out), 1);
        let sent = states(&out);
        let [(1, 6, revision, bytes)] = sent[..] else {
            panic!("one state for tab 1: {sent:?}");
        };
        let block = t.store.encoded_block(1).expect("encoded").len();
        assert!(
            bytes * 2 < block,
            "a state of {bytes} bytes, a block of {block}"
        );
        assert_eq!(t.sessions[&1].states_sent, 1);

        // An edit before the step changes it: the tab gets it again.
        t.store.take_changes();
        let key = Key::create("/m").expect("a key");
        t.store
            .put(5, key, Bytes::from_static(b"new"))
            .expect("recorded");
        out.clear();
        t.flush(&mut out);
        assert_eq!(run_jobs(&mut t, &mut out), 1);
        let resent = states(&out);
        assert!(
            matches!(resent[..], [(1, 6, r, _)] if r > revision),
            "{resent:?}"
        );
        // Past the end: nothing.
        out.clear();
        t.on_state_request(2, 8, &mut out);
        assert_eq!(run_jobs(&mut t, &mut out), 0);
    }

    #[test]
    fn a_cold_block_is_encoded_off_the_lock_once_for_every_tab_waiting() {
        let mut t = timeline();
        let mut out = Vec::new();
        t.on_block_request(1, 1, &mut out);
        t.on_block_request(2, 1, &mut out);
        assert!(
            blocks(&out).is_empty(),
            "a cold block was encoded under the lock: {:?}",
            blocks(&out)
        );
        assert_eq!(run_jobs(&mut t, &mut out), 1, "one encoding for both tabs");
        assert_eq!(blocks(&out), vec![(1, 1), (2, 1)]);
        assert_eq!(t.sessions[&1].blocks_sent, 1);

        // Now it is cached: the next request is answered at once.
        out.clear();
        t.on_block_request(1, 1, &mut out);
        assert_eq!(blocks(&out), vec![(1, 1)]);
        assert_eq!(run_jobs(&mut t, &mut out), 0);
    }

    #[test]
    fn a_block_edited_while_encoding_is_encoded_again_and_sent_current() {
        let mut t = timeline();
        let mut out = Vec::new();
        t.on_block_request(1, 1, &mut out);
        let mut rx = t.jobs_rx.take().expect("the receiver");
        let job = rx.try_recv().expect("a queued job");
        t.jobs_rx = Some(rx);
        let key = Key::create("/n").expect("a key");
        t.store
            .put(5, key, Bytes::from_static(b"edited"))
            .expect("recorded");
        let done = job.run();
        t.finish(done, &mut out);
        assert!(blocks(&out).is_empty(), "a stale block was sent");
        assert_eq!(run_jobs(&mut t, &mut out), 1);
        let sent = out
            .iter()
            .find_map(|(_, m)| match m {
                ServerMessage::TimelineBlock(b) => Some(b.clone()),
                _ => None,
            })
            .expect("the block");
        assert_eq!(sent.revision, t.store.block_revision(1).expect("rev"));
        assert_eq!(
            sent.data.bytes(),
            &t.store.encoded_block(1).expect("encoded")[..]
        );
    }
}
