//! The tab's timeline logic, free of the browser: [`Controller`] takes the
//! server's messages, the playback bar's intents and animation-frame ticks,
//! and gives a [`Sink`] the scene messages to apply and the replies to
//! send. The browser glue (`app`) is a thin [`Sink`] over viser's page;
//! tests drive the same code on the host.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use viser4d_proto::timeline::{
    ClientMessage, MAX_STEPS, PROTOCOL_REVISION, PlotCursor, ServerMessage, TimelineBlockDiscard,
    TimelineBlockRequest, TimelinePlaybackState, TimelineReady, TimelineStateRequest,
    TimelineTimestep,
};
use viser4d_timeline::{Block, BlockLayout, Cursor, Emit, Overrides};

use crate::cache::{BlockCache, Cached};
use crate::player::{Player, Position};

/// Size assumed for a block whose size is not known yet.
const UNKNOWN_BLOCK_BYTES: u64 = 1 << 20;

/// A seek to a block not held asks for the step's state first when the
/// block is at least this big; a smaller one comes whole in one round trip.
/// At 100 Mbit/s this is ~5 ms of transfer, less than the round trip that
/// fetching the block after the state costs when playback goes on; the
/// heavy scene's blocks (~270 KB for a ~20 KB state) are past it. An
/// archive writes state files from the same size.
/// (A fresh tab asks for its first block whole: it will play from it.)
const STATE_FIRST_MIN_BYTES: u64 = viser4d_proto::archive::STATE_FILES_MIN_BYTES;

/// While playing, the blocks of the next this many seconds are kept in
/// flight or cached (within the cache budget).
pub const READ_AHEAD_SEC: f64 = 4.0;

/// After running dry, playback holds until this many seconds ahead are
/// buffered (or the rest of the timeline), instead of stuttering step by
/// step as each block lands.
pub const RESUME_AFTER_SEC: f64 = 1.0;

/// How the tab fetches: the defaults above, or another policy for
/// benchmarks that compare designs on the same recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fetching {
    /// A jump into a block not held, at least this big, asks for the
    /// step's state first; `None`: blocks only, whole.
    pub state_first_min_bytes: Option<u64>,
    /// Seconds ahead kept in flight or cached while playing (0: only the
    /// block the next step needs).
    pub read_ahead_sec: f64,
    /// Seconds buffered before playback resumes after running dry (0: as
    /// soon as the next step is here).
    pub resume_after_sec: f64,
}

impl Default for Fetching {
    fn default() -> Fetching {
        Fetching {
            state_first_min_bytes: Some(STATE_FIRST_MIN_BYTES),
            read_ahead_sec: READ_AHEAD_SEC,
            resume_after_sec: RESUME_AFTER_SEC,
        }
    }
}

impl Fetching {
    /// The design before byte-bounded reads: seeks fetch whole blocks, and
    /// a block is asked for only when the next step needs it.
    pub const BLOCKS_ON_DEMAND: Fetching = Fetching {
        state_first_min_bytes: None,
        read_ahead_sec: 0.0,
        resume_after_sec: 0.0,
    };
}

/// Most blocks asked for and not yet received at once.
const MAX_IN_FLIGHT: usize = 4;

/// Most steps applied in one animation frame while moving forward.
pub const MAX_STEPS_PER_TICK: u32 = 256;

/// Most apply times kept for the stats.
const MAX_SAMPLES: usize = 100_000;

/// One message for viser's queue.
#[derive(Debug, Clone, PartialEq)]
pub enum SceneOut {
    /// A packed viser message (`viser4d_proto::timeline::pack`).
    Packed(Bytes),
    /// Remove this node (and its subtree).
    Remove(String),
}

/// Where the controller's effects go.
pub trait Sink {
    /// Milliseconds on a monotonic clock (`performance.now()`).
    fn now_ms(&self) -> f64;
    /// Applies scene messages, in order.
    fn push_scene(&mut self, messages: Vec<SceneOut>);
    /// Sends a message to the server.
    fn send(&mut self, message: ClientMessage);
}

/// What the runtime measured, for tests and the numbers.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Time to apply each shown step (cursor move, conversion, push), ms.
    pub apply_ms: Vec<f64>,
    /// Block requests sent.
    pub block_requests: u64,
    /// Blocks received.
    pub blocks_received: u64,
    /// One-step states asked for (seeks to a block not held).
    pub state_requests: u64,
    /// One-step states received.
    pub states_received: u64,
    /// Bytes of blocks, their audio and states received.
    pub bytes_received: u64,
    /// Time from the last seek until its step was applied, ms.
    pub last_seek_ms: Option<f64>,
    /// When the first step was shown, on the sink's clock (in a page,
    /// ms since navigation began).
    pub first_shown_ms: Option<f64>,
    /// Steps applied.
    pub steps_applied: u64,
    /// While playing: steps the clock was ahead of what was shown, at most.
    pub max_lag_steps: u32,
    /// Times playback ran dry and held to buffer.
    pub stalls: u64,
    /// For the last block received: ms from its request to its arrival.
    pub last_block_wait_ms: Option<f64>,
    /// For the last block received: ms to decode it.
    pub last_block_decode_ms: Option<f64>,
}

/// The tab's timeline: transport, cache, cursor.
#[derive(Debug, Default)]
pub struct Controller {
    configured: bool,
    /// Where each block starts (blocks are not all the same length).
    layout: BlockLayout,
    /// The most steps a block holds (the layout of whole blocks).
    block_size: u32,
    /// The timeline is being recorded and grows.
    live: bool,
    /// GUI plots whose cursor follows the step.
    plots: Vec<PlotCursor>,
    /// The tab was moved off steps the server dropped (retention), to this
    /// first kept one; the bar says so until the user moves it.
    dropped_before: Option<u32>,
    sizes: Vec<Option<u64>>,
    defaults: HashMap<String, Bytes>,
    cache: BlockCache,
    cursor: Cursor<Bytes>,
    player: Player,
    shown: Option<u32>,
    /// Show the player's step again from scratch (a jump, an edit).
    needs_show: bool,
    /// Move by a diff, not by stepping forward.
    jump: bool,
    /// Blocks requested and not received, with when they were asked for.
    in_flight: BTreeMap<u32, f64>,
    /// Blocks that cannot be had (an archive's file is damaged or
    /// missing): their steps are skipped, the rest plays.
    broken: BTreeSet<u32>,
    /// Blocks come from files that never change (an archive): one that
    /// does not decode or fit its place is broken, not stale, and asking
    /// again would loop.
    static_source: bool,
    /// The state of one step, sent for a seek to a block not held: shown
    /// until the block comes (a one-step block with the real block's index
    /// and revision, so the cursor steps on into the real one).
    state: Option<Block<Bytes>>,
    /// The step whose state was asked for last.
    state_requested: Option<u32>,
    /// Playback ran dry: the clock holds until enough is buffered.
    buffering: bool,
    /// Bumped whenever the blocks held change (the bar redraws the
    /// buffered ranges then).
    held_revision: u64,
    seek_started: Option<f64>,
    /// No server: nothing is requested or reported.
    standalone: bool,
    /// Jumps of the transport so far (seeks, wraps, holds, reconfigures):
    /// the audio restarts at each.
    jumps: u64,
    stats: Stats,
    fetching: Fetching,
    /// Set when the server speaks another protocol revision: what to tell
    /// the user. Nothing plays until a compatible hello.
    mismatch: Option<String>,
    /// Set when the configuration is out of bounds (a crafted or broken
    /// recording): what to tell the user. Nothing plays until a valid one.
    refused: Option<String>,
}

impl Controller {
    /// A controller waiting for its configuration.
    pub fn new() -> Controller {
        Controller::default()
    }

    /// A controller that fetches by `fetching` instead of the defaults.
    pub fn with_fetching(fetching: Fetching) -> Controller {
        Controller {
            fetching,
            ..Controller::default()
        }
    }

    /// Whether the server configured it.
    pub fn configured(&self) -> bool {
        self.configured
    }

    /// The transport.
    pub fn player(&self) -> &Player {
        &self.player
    }

    /// The step shown, if any.
    pub fn shown(&self) -> Option<u32> {
        self.shown
    }

    /// How many times the transport jumped (the audio follows).
    pub fn jumps(&self) -> u64 {
        self.jumps
    }

    /// What it measured.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The cache (for stats).
    pub fn cache(&self) -> &BlockCache {
        &self.cache
    }

    /// The GUI plots whose cursor follows this tab's step.
    pub fn plots(&self) -> &[PlotCursor] {
        &self.plots
    }

    /// Whether the timeline is being recorded and grows.
    pub fn live(&self) -> bool {
        self.live
    }

    /// Set when the tab was moved off steps the server dropped: the first
    /// step kept. Cleared by the next seek, play or follow.
    pub fn dropped_before(&self) -> Option<u32> {
        self.dropped_before
    }

    /// The step the transport is on (the one shown once its block is here).
    pub fn step(&self, now_ms: f64) -> u32 {
        match self.player.position(now_ms) {
            Position::At(s) => s,
            Position::Wrapped | Position::Ended => self.player.num_steps() - 1,
        }
    }

    /// The runtime is installed: tell the server.
    pub fn announce(&mut self, sink: &mut dyn Sink) {
        self.tell(sink, TimelineReady::new(crate::VERSION).into());
    }

    /// Why this runtime cannot play what the server sends, if it cannot.
    pub fn mismatch(&self) -> Option<&str> {
        self.mismatch.as_deref()
    }

    /// Why the timeline's configuration was refused, if it was.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// Sends `message` to the server, if there is one.
    fn tell(&self, sink: &mut dyn Sink, message: ClientMessage) {
        if !self.standalone {
            sink.send(message);
        }
    }

    /// Blocks come from files that never change (an archive).
    pub fn set_static_source(&mut self, static_source: bool) {
        self.static_source = static_source;
    }

    /// Whether the tab plays a recording with no server behind it.
    pub fn standalone(&self) -> bool {
        self.standalone
    }

    /// A message from the server.
    pub fn handle(&mut self, message: ServerMessage, sink: &mut dyn Sink) {
        let now = sink.now_ms();
        if !self.configured
            && !matches!(
                message,
                ServerMessage::TimelineHello(_) | ServerMessage::TimelineConfigure(_)
            )
        {
            log(&format!(
                "viser4d: {} before TimelineConfigure; ignored",
                message.type_name()
            ));
            return;
        }
        if self.mismatch.is_some() && !matches!(message, ServerMessage::TimelineHello(_)) {
            return;
        }
        match message {
            ServerMessage::TimelineHello(hello) => {
                self.mismatch = (hello.protocol != Some(PROTOCOL_REVISION)).then(|| {
                    format!(
                        "viser4d: this page's runtime {} (protocol {PROTOCOL_REVISION}) cannot play \
                         this server's timeline (server {}, protocol {}). Reload the page; if this \
                         stays, the server and its runtime bundle come from different versions.",
                        crate::VERSION,
                        hello.server_version.as_deref().unwrap_or("unknown"),
                        hello
                            .protocol
                            .map_or_else(|| "1".to_owned(), |p| p.to_string()),
                    )
                });
                if let Some(text) = &self.mismatch {
                    log(text);
                }
                // Answer even when incompatible: the server logs both versions.
                self.tell(sink, TimelineReady::new(crate::VERSION).into());
            }
            ServerMessage::TimelineConfigure(m)
                if self.configured
                    && self.standalone
                    && m.standalone
                    && m.num_steps == self.player.num_steps()
                    && m.first_step == self.player.first()
                    && m.starts() == self.layout.starts() =>
            {
                // The same recording again (viser replays a looping file,
                // and the runtime also reads it directly): nothing to redo.
            }
            // `check` runs again only on this rare path: `if let` guards
            // are newer than the crates' MSRV.
            ServerMessage::TimelineConfigure(m) if m.check().is_err() => {
                let reason = m.check().err().unwrap_or_default();
                self.refuse(&reason, sink);
            }
            ServerMessage::TimelineConfigure(m) => {
                self.refused = None;
                self.clear_shown(sink);
                self.cache.reset(m.cache_bytes);
                self.held_revision += 1;
                self.in_flight.clear();
                self.broken.clear();
                self.state = None;
                self.state_requested = None;
                // `check` passed, so the starts are valid; a layout that
                // still fails is refused like a bad configuration.
                self.layout = match BlockLayout::from_starts(m.starts(), m.num_steps) {
                    Ok(layout) => layout,
                    Err(reason) => {
                        self.refuse(&reason, sink);
                        return;
                    }
                };
                let num_blocks = m.num_blocks() as usize;
                self.sizes = m.block_bytes;
                self.sizes.resize(num_blocks, None);
                self.defaults = m
                    .global_defaults
                    .into_iter()
                    .map(|d| (d.message_type, d.message.into_bytes()))
                    .collect();
                self.standalone = m.standalone;
                self.block_size = m.block_size;
                self.player
                    .configure_range(m.first_step, m.num_steps, m.fps, now);
                if !self.configured {
                    // What the server says new tabs start with; a tab
                    // configured again keeps the transport its user set.
                    if let Some(speed) = m.speed {
                        self.player.set_speed(speed, now);
                    }
                    if let Some(looping) = m.r#loop {
                        self.player.set_looping(looping);
                    }
                }
                if m.live && !self.configured && !self.live {
                    // A new tab of a live recording watches it grow.
                    self.player.follow(now);
                }
                self.live = m.live;
                self.plots = m.plots;
                self.configured = true;
                self.shown = None;
                self.needs_show = true;
                self.jump = true;
                self.jumps += 1;
                self.report(sink);
                self.sync(sink);
            }
            ServerMessage::TimelineManifest(m) => {
                let num_steps = m.num_steps.unwrap_or(self.layout.num_steps());
                let first = m.first_step.unwrap_or(self.player.first());
                let from = m.from_block.unwrap_or(0) as usize;
                let known = self.layout.starts();
                let layout = match m.block_starts {
                    _ if num_steps == 0 || num_steps > MAX_STEPS => {
                        Err(format!("num_steps {num_steps} is outside 1..={MAX_STEPS}"))
                    }
                    _ if first >= num_steps => Err(format!(
                        "first_step {first} is not below num_steps {num_steps}"
                    )),
                    _ if from > known.len() => {
                        Err(format!("it starts at block {from} of {}", known.len()))
                    }
                    None if m.first_step.is_some() => Ok(Some(self.layout.clone())),
                    Some(tail) if from > 0 => {
                        let starts = known[..from].iter().copied().chain(tail).collect();
                        BlockLayout::from_starts(starts, num_steps).map(Some)
                    }
                    Some(starts) if !starts.is_empty() => {
                        BlockLayout::from_starts(starts, num_steps).map(Some)
                    }
                    Some(_) => Ok(Some(BlockLayout::fixed(num_steps, self.block_size))),
                    None if m.num_steps.is_some() => {
                        Ok(Some(BlockLayout::fixed(num_steps, self.block_size)))
                    }
                    None => Ok(None),
                };
                match layout {
                    Ok(Some(layout)) => self.relayout(layout, first, sink),
                    Ok(None) => {}
                    Err(reason) => {
                        log(&format!("viser4d: ignoring a manifest: {reason}"));
                        return;
                    }
                }
                if let Some(live) = m.live {
                    self.live = live;
                }
                let num_blocks = self.layout.num_blocks() as usize;
                self.sizes.truncate(from);
                self.sizes.resize(from, None);
                self.sizes.extend(m.block_bytes);
                self.sizes.resize(num_blocks, None);
                self.sync(sink);
            }
            ServerMessage::TimelineBlock(m)
                if self.standalone
                    && self
                        .cache
                        .peek(m.index)
                        .is_some_and(|c| c.block.revision() == m.revision) => {}
            ServerMessage::TimelineBlock(m) => {
                self.stats.blocks_received += 1;
                self.stats.last_block_wait_ms = self.in_flight.remove(&m.index).map(|t| now - t);
                let bytes = m.data.len() as u64
                    + m.audio
                        .iter()
                        .map(|a| a.samples.bytes().len() as u64)
                        .sum::<u64>();
                let block = match Block::<Bytes>::decode_shared(m.data.into_bytes()) {
                    Ok(b) => b,
                    Err(error) => {
                        log(&format!(
                            "viser4d: dropping undecodable block {}: {error}",
                            m.index
                        ));
                        if self.static_source {
                            self.block_failed(m.index, sink);
                        }
                        return;
                    }
                };
                let place = self.layout.steps(m.index);
                let dropped = self
                    .layout
                    .block_of(self.player.first())
                    .is_some_and(|first| m.index < first);
                if dropped {
                    // Sent before the server dropped it (retention).
                    self.sync(sink);
                    return;
                }
                if block.index() != m.index || !covers(&block, &place) {
                    // Sent under another layout (it crossed a manifest);
                    // asked for again when needed.
                    log(&format!(
                        "viser4d: dropping block {} of steps {:?}: this layout has it at {place:?}",
                        m.index,
                        block.steps()
                    ));
                    if self.static_source {
                        self.block_failed(m.index, sink);
                        return;
                    }
                    self.sync(sink);
                    return;
                }
                self.stats.last_block_decode_ms = Some(sink.now_ms() - now);
                self.stats.bytes_received += bytes;
                if self.state.as_ref().is_some_and(|s| s.index() == m.index) {
                    // The block itself is here: its state is not needed.
                    self.state = None;
                }
                if self
                    .state_requested
                    .is_some_and(|step| block.contains(step))
                {
                    // A state asked for and answered with its block (an
                    // archive has no state file for it): a later seek to
                    // that step must be able to ask again.
                    self.state_requested = None;
                }
                if let Some(size) = self.sizes.get_mut(m.index as usize) {
                    *size = Some(bytes);
                }
                // The block the transport is on stays; the one shown may be
                // on its way out (a seek elsewhere is waiting for this one).
                let keep = self.layout.block_of(self.step(now));
                if self.shown.and_then(|s| self.layout.block_of(s)) == Some(m.index) {
                    // The shown block changed under us: show it again.
                    self.needs_show = true;
                    self.jump = true;
                }
                let cached = Cached {
                    block,
                    audio_revision: m.audio_revision,
                    audio: m.audio,
                };
                let distances: BTreeMap<u32, u64> = self
                    .cache
                    .indices()
                    .map(|index| (index, self.distance(index, now)))
                    .collect();
                let distance = |index| distances.get(&index).copied().unwrap_or(0);
                let evicted = self.cache.insert(cached, bytes, keep, distance);
                self.held_revision += 1;
                for evicted in evicted {
                    self.tell(sink, TimelineBlockDiscard { index: evicted }.into());
                }
                self.sync(sink);
            }
            ServerMessage::TimelineState(m) => {
                self.stats.states_received += 1;
                self.stats.bytes_received += m.data.len() as u64;
                if self.state_requested == Some(m.step) {
                    self.state_requested = None;
                }
                let index = self.layout.block_of(m.step);
                let block = match Block::<Bytes>::decode_shared(m.data.into_bytes()) {
                    Ok(b) if b.steps() == (m.step..m.step + 1) && Some(b.index()) == index => b,
                    Ok(_) => {
                        log(&format!(
                            "viser4d: dropping the state of step {}: it is not one step of block {index:?}",
                            m.step
                        ));
                        self.state_unusable(index, sink);
                        return;
                    }
                    Err(error) => {
                        log(&format!(
                            "viser4d: dropping an undecodable state of step {}: {error}",
                            m.step
                        ));
                        self.state_unusable(index, sink);
                        return;
                    }
                };
                if index.is_some_and(|k| self.cache.contains(k)) {
                    return;
                }
                if self.shown == Some(m.step) {
                    // An edit of the step shown from its state: show it again.
                    self.needs_show = true;
                    self.jump = true;
                }
                self.state = Some(block);
                self.sync(sink);
            }
            ServerMessage::TimelineOverrides(m) => match Overrides::decode(m.data.bytes()) {
                Ok(overrides) => {
                    let emits = self.cursor.set_overrides(Arc::new(overrides));
                    let out = emits
                        .iter()
                        .filter_map(|e| scene_out(&self.defaults, e))
                        .collect();
                    sink.push_scene(out);
                }
                Err(error) => log(&format!("viser4d: dropping undecodable overrides: {error}")),
            },
            ServerMessage::TimelineSeek(m) => self.seek(m.step, sink),
            ServerMessage::TimelinePlay(m) => self.play(m.speed, m.r#loop, sink),
            ServerMessage::TimelinePause(_) => self.pause(sink),
            ServerMessage::TimelineFollow(_) => self.follow(sink),
            ServerMessage::TimelineSetSpeed(m) => self.set_speed(m.speed, sink),
            ServerMessage::TimelineSetLoop(m) => self.set_looping(m.r#loop, sink),
            ServerMessage::TimelinePlots(m) => self.plots = m.plots,
            ServerMessage::TimelineClear(_) => {
                self.clear_shown(sink);
                self.drop_blocks();
                self.sync(sink);
            }
            ServerMessage::TimelineRefresh(_) => {
                self.drop_blocks();
                self.sync(sink);
            }
        }
    }

    /// Refuses the configuration: says why, and plays nothing until a
    /// valid one.
    fn refuse(&mut self, reason: &str, sink: &mut dyn Sink) {
        let text = format!(
            "viser4d: this timeline cannot be played: its configuration is invalid ({reason})."
        );
        log(&text);
        self.refused = Some(text);
        // Whatever was configured before is not this timeline.
        self.clear_shown(sink);
        self.configured = false;
    }

    /// The timeline grew, shrank, or its blocks start elsewhere: the
    /// cached blocks that no longer hold their place's steps are dropped
    /// (the server drops them from what it thinks the tab holds, too) and
    /// asked for again when needed; the rest stay. The transport keeps its step,
    /// clamped, and what is shown stays on screen until the next step
    /// replaces it by a diff, so nothing flickers.
    ///
    /// Steps before `first` were dropped by the server (a long recording
    /// keeps its newest steps): their blocks go, and a tab on one of them
    /// moves to `first`, saying so in the bar.
    fn relayout(&mut self, layout: BlockLayout, first: u32, sink: &mut dyn Sink) {
        let now = sink.now_ms();
        let old = std::mem::replace(&mut self.layout, layout);
        let num_blocks = self.layout.num_blocks();
        let first_block = self.layout.block_of(first).unwrap_or(0);
        let moved: Vec<u32> = self
            .cache
            .indices()
            .filter(|&k| {
                k >= num_blocks
                    || k < first_block
                    || !self
                        .cache
                        .peek(k)
                        .is_some_and(|c| covers(&c.block, &self.layout.steps(k)))
            })
            .collect();
        for k in moved {
            self.cache.remove(k);
        }
        self.in_flight
            .retain(|&k, _| k >= first_block && k < num_blocks);
        if self.state.as_ref().is_some_and(|s| {
            s.first_step() < first || self.layout.steps(s.index()) != old.steps(s.index())
        }) {
            self.state = None;
            self.state_requested = None;
        }
        self.held_revision += 1;
        let num_steps = self.layout.num_steps();
        if num_steps != self.player.num_steps() || first != self.player.first() {
            let was = self.step(now);
            let fps = self.player.fps();
            self.player.configure_range(first, num_steps, fps, now);
            if was < first {
                self.dropped_before = Some(first);
            }
            if self.shown.is_some_and(|s| s >= num_steps || s < first) {
                // The step shown was cut or dropped: show the one the
                // transport is on now by a diff.
                self.needs_show = true;
                self.jump = true;
                self.jumps += 1;
            }
            self.report(sink);
        }
        if self
            .shown
            .and_then(|s| self.layout.block_of(s))
            .is_some_and(|k| !self.cache.contains(k))
        {
            // The cursor holds the shown step's scene, which stays on
            // screen; it is shown again, by a diff, once its block is here.
            self.needs_show = true;
            self.jump = true;
        }
    }

    /// Removes everything the timeline shows (and clears its globals).
    fn clear_shown(&mut self, sink: &mut dyn Sink) {
        let removals: Vec<SceneOut> = self
            .cursor
            .clear()
            .iter()
            .filter_map(|e| scene_out(&self.defaults, e))
            .collect();
        sink.push_scene(removals);
    }

    fn drop_blocks(&mut self) {
        let budget = self.cache.budget();
        self.cache.reset(budget);
        self.held_revision += 1;
        self.in_flight.clear();
        self.state = None;
        self.state_requested = None;
        self.needs_show = true;
        self.jump = true;
        self.jumps += 1;
    }

    fn report(&mut self, sink: &mut dyn Sink) {
        let now = sink.now_ms();
        self.tell(
            sink,
            TimelinePlaybackState {
                playing: self.player.playing(),
                step: self.step(now),
                speed: self.player.speed(),
                r#loop: self.player.looping(),
                following: self.player.following(),
            }
            .into(),
        );
    }

    /// Plays (speed and loop replace the tab's when given).
    pub fn play(&mut self, speed: Option<f64>, looping: Option<bool>, sink: &mut dyn Sink) {
        if !self.configured {
            return;
        }
        let now = sink.now_ms();
        let was_at_end = self.step(now) + 1 >= self.player.num_steps() && !self.player.playing();
        self.player.play(speed, looping, now);
        self.dropped_before = None;
        if was_at_end {
            self.jump = true;
            self.jumps += 1;
        }
        self.report(sink);
        self.sync(sink);
    }

    /// Pauses on the current step (after applying every step crossed).
    pub fn pause(&mut self, sink: &mut dyn Sink) {
        if !self.configured {
            return;
        }
        self.sync(sink);
        let now = sink.now_ms();
        self.player.pause(now);
        self.sync(sink);
        self.report(sink);
    }

    /// Follows the newest step (the live edge) until a seek, pause or
    /// play.
    pub fn follow(&mut self, sink: &mut dyn Sink) {
        if !self.configured {
            return;
        }
        let now = sink.now_ms();
        let was = self.step(now);
        self.player.follow(now);
        self.dropped_before = None;
        self.buffering = false;
        if self.step(now) != was {
            self.jumps += 1;
            self.seek_started = Some(now);
            self.needs_show = true;
            self.jump = true;
        }
        self.report(sink);
        self.sync(sink);
    }

    /// The End key: follow the newest step of a live timeline; on one that
    /// is not growing, go to the last step.
    pub fn end_key(&mut self, sink: &mut dyn Sink) {
        if self.live {
            self.follow(sink);
        } else {
            self.seek(self.player.num_steps() - 1, sink);
        }
    }

    /// Follow mode on, or off (staying on the step).
    pub fn toggle_follow(&mut self, sink: &mut dyn Sink) {
        if self.player.following() {
            self.pause(sink);
        } else {
            self.follow(sink);
        }
    }

    /// Play or pause (a following tab pauses on its step).
    pub fn toggle(&mut self, sink: &mut dyn Sink) {
        if self.player.playing() || self.player.following() {
            self.pause(sink);
        } else {
            self.play(None, None, sink);
        }
    }

    /// Shows `step` (clamped), playing on if it was.
    pub fn seek(&mut self, step: u32, sink: &mut dyn Sink) {
        if !self.configured {
            return;
        }
        let now = sink.now_ms();
        let was_following = self.player.following();
        self.player.seek(step, now);
        self.dropped_before = None;
        if was_following {
            self.report(sink);
        }
        // A seek is a new place to buffer for, not the old one.
        self.buffering = false;
        self.jumps += 1;
        self.seek_started = Some(now);
        self.needs_show = true;
        self.jump = true;
        self.sync(sink);
    }

    /// One step back.
    pub fn prev(&mut self, sink: &mut dyn Sink) {
        let now = sink.now_ms();
        let step = self.step(now).saturating_sub(1).max(self.player.first());
        self.seek(step, sink);
    }

    /// One step forward (applied as a step, not a jump).
    pub fn next(&mut self, sink: &mut dyn Sink) {
        if !self.configured {
            return;
        }
        let now = sink.now_ms();
        let step = (self.step(now) + 1).min(self.player.num_steps() - 1);
        let was_following = self.player.following();
        self.player.seek(step, now);
        if was_following {
            self.report(sink);
        }
        self.buffering = false;
        self.sync(sink);
    }

    /// Changes the speed.
    pub fn set_speed(&mut self, speed: f64, sink: &mut dyn Sink) {
        let now = sink.now_ms();
        self.player.set_speed(speed, now);
        self.report(sink);
    }

    /// Turns looping on or off.
    pub fn set_looping(&mut self, looping: bool, sink: &mut dyn Sink) {
        self.player.set_looping(looping);
        self.report(sink);
    }

    /// An animation frame: moves playback on, and preloads.
    pub fn tick(&mut self, sink: &mut dyn Sink) {
        if !self.configured {
            return;
        }
        self.sync(sink);
        if self.player.playing() {
            self.prefetch(sink);
        }
    }

    /// Brings what is shown to where the transport is.
    fn sync(&mut self, sink: &mut dyn Sink) {
        if !self.configured {
            return;
        }
        let now = sink.now_ms();
        let last = self.player.num_steps() - 1;
        if self.buffering {
            match self.shown {
                Some(shown) if self.player.playing() && !self.buffered_enough(shown) => {
                    self.player.hold(shown, now);
                    return;
                }
                _ => self.buffering = false,
            }
        }
        match self.player.position(now) {
            Position::At(step) => {
                if self.player.playing()
                    && let Some(shown) = self.shown
                {
                    let lag = step.saturating_sub(shown);
                    self.stats.max_lag_steps = self.stats.max_lag_steps.max(lag);
                }
                self.advance_to(step, sink);
            }
            Position::Wrapped => {
                if self.advance_to(last, sink) {
                    self.player.wrap(now);
                    self.jumps += 1;
                    self.needs_show = true;
                    self.jump = true;
                    self.advance_to(self.player.first(), sink);
                }
            }
            Position::Ended => {
                if self.advance_to(last, sink) {
                    if self.live {
                        // Played into the edge of a recording that grows:
                        // watch it grow instead of stopping.
                        self.player.follow(now);
                    } else {
                        self.player.end(now);
                    }
                    self.report(sink);
                }
            }
        }
    }

    /// Shows `target`: moving forward (playing, or "next"), every crossed
    /// step's messages in order, at most [`MAX_STEPS_PER_TICK`] per call —
    /// past that (a stalled page, a tab back from the background) the clock
    /// is held at the last step applied, so playback falls behind rather
    /// than skipping steps; any other move (a seek, a wrap, a new
    /// configuration) is a diff. Returns whether `target` is shown.
    fn advance_to(&mut self, target: u32, sink: &mut dyn Sink) -> bool {
        match self.shown {
            Some(shown) if shown == target && !self.needs_show => true,
            Some(shown) if !self.jump && target > shown => {
                let end = target.min(shown.saturating_add(MAX_STEPS_PER_TICK));
                for step in shown + 1..=end {
                    if self.is_broken(step) {
                        return self.skip_broken(step, sink);
                    }
                    if !self.show(step, sink) {
                        // Wait for the block, then go on from here once a
                        // little is buffered.
                        let now = sink.now_ms();
                        self.player.hold(step - 1, now);
                        self.jumps += 1;
                        if self.player.playing() && !self.buffering {
                            self.buffering = true;
                            self.stats.stalls += 1;
                        }
                        return false;
                    }
                }
                if end < target {
                    let now = sink.now_ms();
                    self.player.hold(end, now);
                    self.jumps += 1;
                    return false;
                }
                true
            }
            _ if self.is_broken(target) => self.skip_broken(target, sink),
            _ => self.show(target, sink),
        }
    }

    /// Block `index` cannot be had (an archive's block file is damaged or
    /// missing): its steps are skipped from now on, and the rest plays.
    pub fn block_failed(&mut self, index: u32, sink: &mut dyn Sink) {
        self.in_flight.remove(&index);
        if self
            .state_requested
            .is_some_and(|s| self.layout.block_of(s) == Some(index))
        {
            self.state_requested = None;
        }
        self.broken.insert(index);
        self.held_revision += 1;
        self.sync(sink);
    }

    /// A state that came back unusable: from files that never change,
    /// asking again would loop, so the block is fetched instead (it holds
    /// the step too).
    fn state_unusable(&mut self, index: Option<u32>, sink: &mut dyn Sink) {
        if self.static_source
            && let Some(index) = index
        {
            self.request(index, sink);
        }
    }

    /// The blocks that cannot be had.
    pub fn broken(&self) -> &BTreeSet<u32> {
        &self.broken
    }

    fn is_broken(&self, step: u32) -> bool {
        !self.broken.is_empty()
            && self
                .layout
                .block_of(step)
                .is_some_and(|i| self.broken.contains(&i))
    }

    /// Moves the transport past the broken block holding `step`: to the
    /// start of the next good block (wrapping when looping), or, with none,
    /// back to the step shown, paused. Returns false (nothing shown yet).
    fn skip_broken(&mut self, step: u32, sink: &mut dyn Sink) -> bool {
        let now = sink.now_ms();
        let Some(index) = self.layout.block_of(step) else {
            return false;
        };
        let first = self.player.first();
        let first_block = self.layout.block_of(first).unwrap_or(0);
        let num_blocks = self.layout.num_blocks();
        let good = |i: &u32| !self.broken.contains(i);
        // A move back (a seek, "previous") skips back; any other forward.
        let back = self.shown.is_some_and(|s| step < s) && !self.player.playing();
        let next = if back {
            (first_block..index)
                .rev()
                .find(good)
                .map(|i| self.layout.steps(i).end.min(self.player.num_steps()) - 1)
        } else {
            let after = (index + 1..num_blocks).find(good);
            let wrapped = || {
                self.player
                    .looping()
                    .then(|| (first_block..index).find(good))
                    .flatten()
            };
            after
                .or_else(wrapped)
                .map(|i| self.layout.steps(i).start.max(first))
        };
        match next {
            Some(target) => {
                self.player.seek(target, now);
            }
            None => {
                // Nowhere to go: stay on the step shown (if any), paused.
                let stay = self.shown.filter(|s| !self.is_broken(*s));
                match stay {
                    Some(s) => {
                        self.player.seek(s, now);
                    }
                    None if !self.player.playing() => return false,
                    None => {}
                }
                if self.player.playing() {
                    self.player.pause(now);
                    self.report(sink);
                }
                if stay.is_none() {
                    return false;
                }
            }
        }
        self.jumps += 1;
        self.needs_show = true;
        self.jump = true;
        false
    }

    /// Applies `step` from its block, or from its state after a seek; asks
    /// for what is missing.
    fn show(&mut self, step: u32, sink: &mut dyn Sink) -> bool {
        let Some(index) = self.layout.block_of(step) else {
            return false;
        };
        let cached = self.cache.contains(index);
        let from_state = !cached && self.state.as_ref().is_some_and(|s| s.contains(step));
        if !cached && !from_state {
            let many_steps =
                self.shown.is_some() && !self.standalone && self.layout.steps(index).len() > 1;
            let worth_a_state = many_steps
                && self
                    .known_size(index)
                    .zip(self.fetching.state_first_min_bytes)
                    .is_some_and(|(b, min)| b >= min);
            // Following a live recording, only the newest step is wanted:
            // its block grows with every step recorded (and is encoded
            // again each time), and holds the steps before too, while its
            // state is never more than one step's scene and stays valid
            // while later steps are appended.
            let following = self.player.following() && !self.standalone && self.shown.is_some();
            if (self.jump && worth_a_state) || following {
                // A jump to a block not held: one step's state shows it at a
                // fraction of the block's bytes. The block itself is needed
                // only to play on.
                self.request_state(step, sink);
                if self.player.playing() {
                    self.request(index, sink);
                }
            } else {
                self.request(index, sink);
            }
            return false;
        }
        let cached_block = if cached { self.cache.get(index) } else { None };
        let block: &Block<Bytes> = match (&cached_block, self.state.as_ref()) {
            (Some(c), _) => &c.block,
            (None, Some(state)) => state,
            (None, None) => return false,
        };
        let start = sink.now_ms();
        let out: Vec<SceneOut> = match self.cursor.seek(block, step) {
            Ok(emits) => emits
                .iter()
                .filter_map(|e| scene_out(&self.defaults, e))
                .collect(),
            Err(error) => {
                log(&format!("viser4d: cannot show step {step}: {error}"));
                return false;
            }
        };
        sink.push_scene(out);
        let end = sink.now_ms();
        if self.stats.apply_ms.len() < MAX_SAMPLES {
            self.stats.apply_ms.push(end - start);
        }
        self.stats.steps_applied += 1;
        self.stats.first_shown_ms.get_or_insert(end);
        if let Some(started) = self.seek_started.take() {
            self.stats.last_seek_ms = Some(end - started);
        }
        self.shown = Some(step);
        self.needs_show = false;
        self.jump = false;
        self.tell(sink, TimelineTimestep { step }.into());
        true
    }

    fn request_state(&mut self, step: u32, sink: &mut dyn Sink) {
        if self.state_requested != Some(step) {
            self.state_requested = Some(step);
            self.stats.state_requests += 1;
            self.tell(sink, TimelineStateRequest { step }.into());
        }
    }

    fn request(&mut self, index: u32, sink: &mut dyn Sink) {
        if self.broken.contains(&index) {
            return;
        }
        if let std::collections::btree_map::Entry::Vacant(slot) = self.in_flight.entry(index) {
            slot.insert(sink.now_ms());
            self.stats.block_requests += 1;
            self.tell(sink, TimelineBlockRequest { index }.into());
        }
    }

    fn estimated_size(&self, index: u32) -> u64 {
        self.known_size(index).unwrap_or(UNKNOWN_BLOCK_BYTES)
    }

    /// The block's size, or the mean of those known; `None` when no size
    /// is known yet.
    fn known_size(&self, index: u32) -> Option<u64> {
        if let Some(Some(size)) = self.sizes.get(index as usize) {
            return Some(*size);
        }
        let known: Vec<u64> = self.sizes.iter().flatten().copied().collect();
        (!known.is_empty()).then(|| known.iter().sum::<u64>() / known.len() as u64)
    }

    /// While playing: keeps the blocks of the next
    /// [`Fetching::read_ahead_sec`] in
    /// flight or cached, nearest first, a few requests at a time, as long
    /// as that window fits the cache budget.
    fn prefetch(&mut self, sink: &mut dyn Sink) {
        let Some(shown) = self.shown else { return };
        let ahead = (self.player.rate() * self.fetching.read_ahead_sec)
            .ceil()
            .max(1.0) as u64;
        let mut window_bytes = 0;
        for index in self.blocks_ahead(shown, ahead) {
            window_bytes += self.estimated_size(index);
            if self.cache.contains(index) || self.in_flight.contains_key(&index) {
                continue;
            }
            // Past the budget only the nearest missing block is asked for
            // (nothing else in flight): playback needs it whatever the
            // budget, one block at a time.
            let over_budget = window_bytes > self.cache.budget() && !self.in_flight.is_empty();
            if over_budget || self.in_flight.len() >= MAX_IN_FLIGHT {
                break;
            }
            self.request(index, sink);
        }
    }

    /// The blocks holding the `steps` steps after `from`, in playing order
    /// (wrapping when looping), starting with `from`'s own; each at most
    /// once.
    fn blocks_ahead(&self, from: u32, steps: u64) -> Vec<u32> {
        let (first, num_steps) = (self.player.first(), self.player.num_steps());
        let mut out: Vec<u32> = Vec::new();
        let mut step = from;
        let mut covered = 0u64;
        while covered <= steps {
            let Some(index) = self.layout.block_of(step) else {
                break;
            };
            if out.contains(&index) {
                break;
            }
            out.push(index);
            let end = self.layout.steps(index).end.min(num_steps);
            covered += u64::from(end - step);
            step = end;
            if step >= num_steps {
                if !self.player.looping() {
                    break;
                }
                step = first;
            }
        }
        out
    }

    /// Whether playback may go on from `shown`: the next
    /// [`Fetching::resume_after_sec`] of steps (or all that is left) are
    /// held.
    fn buffered_enough(&self, shown: u32) -> bool {
        let want = (self.player.rate() * self.fetching.resume_after_sec)
            .ceil()
            .max(1.0) as u64;
        let last = self.player.num_steps() - 1;
        let need = if self.player.looping() {
            want
        } else {
            want.min(u64::from(last - shown.min(last)))
        };
        let mut held = 0u64;
        let mut window_bytes = 0;
        for index in self.blocks_ahead(shown, need) {
            if held >= need {
                break;
            }
            window_bytes += self.estimated_size(index);
            if !self.cache.contains(index) && !self.broken.contains(&index) {
                // A second ahead does not fit the cache: go on with what
                // does, as long as the next step is here.
                return held > 0 && window_bytes > self.cache.budget();
            }
            let steps = self.layout.steps(index);
            let from = if steps.contains(&shown) {
                shown + 1
            } else {
                steps.start
            };
            held += u64::from(steps.end.saturating_sub(from));
        }
        true
    }

    /// How far block `index` is from the playhead in playing order, for
    /// eviction: blocks ahead by the steps until they start; blocks behind
    /// (played again only when looping) past everything ahead.
    fn distance(&self, index: u32, now: f64) -> u64 {
        let (first, num_steps) = (self.player.first(), self.player.num_steps());
        let at = self.step(now);
        let steps = self.layout.steps(index);
        if steps.contains(&at) {
            return 0;
        }
        if steps.start > at {
            u64::from(steps.start - at)
        } else if self.player.looping() {
            u64::from(num_steps - at) + u64::from(steps.start.saturating_sub(first))
        } else {
            u64::from(num_steps - first) + u64::from(at - steps.end.min(at))
        }
    }

    /// The step ranges the tab holds blocks for, merged.
    pub fn buffered(&self) -> Vec<std::ops::Range<u32>> {
        let mut out: Vec<std::ops::Range<u32>> = Vec::new();
        for index in self.cache.indices() {
            let steps = self.layout.steps(index);
            match out.last_mut() {
                Some(last) if last.end == steps.start => last.end = steps.end,
                _ => out.push(steps),
            }
        }
        out
    }

    /// Bumped whenever the blocks held change.
    pub fn held_revision(&self) -> u64 {
        self.held_revision
    }

    /// Whether playback is holding until enough is buffered.
    pub fn buffering(&self) -> bool {
        self.buffering
    }
}

/// Whether `block` holds every step of the layout's place for it: it
/// starts there and ends there or later (an exported range, or a timeline
/// that shrank, ends inside its last block; a block that ends earlier was
/// sent before the timeline grew).
fn covers(block: &Block<Bytes>, place: &std::ops::Range<u32>) -> bool {
    block.first_step() == place.start && block.steps().end >= place.end
}

/// The viser message for one emitted change; `None` for a global without
/// a default (the viewer keeps its last value).
fn scene_out(defaults: &HashMap<String, Bytes>, emit: &Emit<'_, Bytes>) -> Option<SceneOut> {
    match emit {
        Emit::Remove(name) => Some(SceneOut::Remove(name.as_str().to_owned())),
        Emit::ClearGlobal(ty) => defaults.get(ty.as_str()).cloned().map(SceneOut::Packed),
        Emit::Put(_, packed) => Some(SceneOut::Packed((*packed).clone())),
    }
}

#[cfg(target_arch = "wasm32")]
fn log(message: &str) {
    web_sys::console::warn_1(&message.into());
}

#[cfg(not(target_arch = "wasm32"))]
fn log(message: &str) {
    eprintln!("{message}");
}
