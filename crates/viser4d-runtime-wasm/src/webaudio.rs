//! Web Audio playback of the tab's tracks: one `AudioContext` per tab, a
//! `GainNode` per track, and one `AudioBufferSourceNode` per track slice of
//! a held block, started ahead of the playhead at `playbackRate = speed`.
//! The audio clock is anchored to the transport; when they drift apart by
//! more than [`RESYNC_SEC`] (or the transport jumps: seek, loop, pause)
//! every source stops and playback restarts at the right offset.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use wasm_bindgen::JsValue;
use web_sys::{
    AudioBufferSourceNode, AudioContext, AudioContextState, AudioScheduledSourceNode, GainNode,
};

use crate::audio_plan::{Anchor, RESYNC_SEC, deinterleave, plan};
use crate::cache::Cached;

/// What the engine measured (exposed for tests).
#[derive(Debug, Clone, Default)]
pub struct AudioStats {
    /// Audio clock minus step clock at the last tick, seconds.
    pub drift_sec: f64,
    /// Largest |drift| seen between two transport jumps, seconds.
    pub max_drift_sec: f64,
    /// Restarts because of drift.
    pub resyncs: u64,
    /// Where the audio clock says the timeline is, seconds.
    pub audio_time_sec: Option<f64>,
    /// Where the transport is, seconds.
    pub timeline_time_sec: f64,
    /// Sources started so far.
    pub sources_started: u64,
    /// Playback rate of the last source started.
    pub last_rate: Option<f64>,
}

struct TrackOut {
    volume: f32,
    gain: Option<GainNode>,
}

struct Source {
    node: AudioBufferSourceNode,
    ends: f64,
}

/// The tab's audio output.
#[derive(Default)]
pub struct Engine {
    ctx: Option<AudioContext>,
    tracks: BTreeMap<String, TrackOut>,
    sources: HashMap<(String, u32, u64), Source>,
    anchor: Option<Anchor>,
    jumps: u64,
    pub(crate) stats: AudioStats,
}

fn warn(what: &str, error: &JsValue) {
    web_sys::console::warn_2(&what.into(), error);
}

impl Engine {
    /// Whether the context waits for a user gesture (and tracks exist).
    pub fn suspended(&self) -> bool {
        !self.tracks.is_empty()
            && self
                .ctx
                .as_ref()
                .is_some_and(|c| c.state() == AudioContextState::Suspended)
    }

    /// The context's state, for stats.
    pub fn state(&self) -> &'static str {
        match self.ctx.as_ref().map(AudioContext::state) {
            None => "none",
            Some(AudioContextState::Running) => "running",
            Some(AudioContextState::Suspended) => "suspended",
            Some(AudioContextState::Closed) => "closed",
            Some(_) => "unknown",
        }
    }

    /// Resumes a suspended context (call from a user gesture).
    pub fn resume(&self) {
        if let Some(ctx) = &self.ctx
            && let Err(e) = ctx.resume()
        {
            warn("viser4d: resuming audio failed", &e);
        }
    }

    /// Each track's gain value, for stats.
    pub fn gains(&self) -> Vec<(String, f32)> {
        self.tracks
            .iter()
            .map(|(n, t)| {
                (
                    n.clone(),
                    t.gain.as_ref().map_or(t.volume, |g| g.gain().value()),
                )
            })
            .collect()
    }

    /// Sources playing or scheduled.
    pub fn active_sources(&self) -> usize {
        self.sources.len()
    }

    fn ensure_ctx(&mut self) -> Option<AudioContext> {
        if self.ctx.is_none() {
            match AudioContext::new() {
                Ok(ctx) => self.ctx = Some(ctx),
                Err(e) => {
                    warn("viser4d: no AudioContext", &e);
                    return None;
                }
            }
        }
        self.ctx.clone()
    }

    fn gain_for(&mut self, name: &str) -> Option<GainNode> {
        let ctx = self.ensure_ctx()?;
        let track = self.tracks.get_mut(name)?;
        if track.gain.is_none() {
            match ctx.create_gain() {
                Ok(gain) => {
                    gain.gain().set_value(track.volume);
                    if let Err(e) = gain.connect_with_audio_node(&ctx.destination()) {
                        warn("viser4d: connecting a gain node failed", &e);
                    }
                    track.gain = Some(gain);
                }
                Err(e) => warn("viser4d: creating a gain node failed", &e),
            }
        }
        track.gain.clone()
    }

    /// A track became part of the shown state.
    pub fn add_track(&mut self, name: &str, volume: f32) {
        self.stop_track(name);
        let old = self
            .tracks
            .insert(name.to_owned(), TrackOut { volume, gain: None });
        if let Some(TrackOut { gain: Some(g), .. }) = old {
            let _ = g.disconnect();
        }
        // Create the context (suspended without a gesture) so the bar can
        // offer to enable it.
        self.ensure_ctx();
    }

    /// A track's volume changed.
    pub fn set_volume(&mut self, name: &str, volume: f32) {
        if let Some(track) = self.tracks.get_mut(name) {
            track.volume = volume;
            if let Some(g) = &track.gain {
                g.gain().set_value(volume);
            }
        }
    }

    /// A node was removed: if it (or an ancestor) is a track, silence it.
    pub fn remove(&mut self, name: &str) {
        let prefix = format!("{name}/");
        let gone: Vec<String> = self
            .tracks
            .keys()
            .filter(|t| *t == name || t.starts_with(&prefix))
            .cloned()
            .collect();
        for t in gone {
            self.stop_track(&t);
            if let Some(TrackOut { gain: Some(g), .. }) = self.tracks.remove(&t) {
                let _ = g.disconnect();
            }
        }
    }

    fn stop_track(&mut self, name: &str) {
        self.sources.retain(|(n, _, _), s| {
            if n == name {
                let _ = AudioScheduledSourceNode::stop(&s.node);
                false
            } else {
                true
            }
        });
    }

    fn stop_all(&mut self) {
        for (_, s) in self.sources.drain() {
            let _ = AudioScheduledSourceNode::stop(&s.node);
        }
    }

    /// Brings the audio to the transport: called every animation frame
    /// with whether it plays, where it is (seconds), its speed, the fps,
    /// how many jumps it made so far, and the held blocks.
    pub fn update<'a>(
        &mut self,
        playing: bool,
        timeline_sec: f64,
        speed: f64,
        fps: f64,
        jumps: u64,
        blocks: impl Iterator<Item = &'a Arc<Cached>>,
    ) {
        self.stats.timeline_time_sec = timeline_sec;
        let running = self
            .ctx
            .as_ref()
            .is_some_and(|c| c.state() == AudioContextState::Running);
        if !playing || self.tracks.is_empty() || !running {
            self.stop_all();
            self.anchor = None;
            self.stats.audio_time_sec = None;
            return;
        }
        let Some(ctx) = self.ctx.clone() else { return };
        let now = ctx.current_time();
        let jumped = jumps != self.jumps;
        self.jumps = jumps;
        match self.anchor {
            Some(a) if a.speed == speed && !jumped => {
                let drift = a.timeline_at(now) - timeline_sec;
                self.stats.drift_sec = drift;
                self.stats.max_drift_sec = self.stats.max_drift_sec.max(drift.abs());
                if drift.abs() > RESYNC_SEC {
                    self.stats.resyncs += 1;
                    self.stop_all();
                    self.anchor = None;
                }
            }
            _ => {
                self.stop_all();
                self.anchor = None;
            }
        }
        let anchor = *self.anchor.get_or_insert(Anchor {
            ctx0: now,
            tl0: timeline_sec,
            speed,
        });
        self.stats.audio_time_sec = Some(anchor.timeline_at(now));
        self.sources.retain(|_, s| s.ends > now);
        for cached in blocks {
            let index = cached.block.index();
            for slice in &cached.audio {
                let key = (slice.name.clone(), index, cached.audio_revision);
                if self.sources.contains_key(&key) || !self.tracks.contains_key(&slice.name) {
                    continue;
                }
                let Some(start) = plan(&anchor, now, slice, fps) else {
                    continue;
                };
                let Some(gain) = self.gain_for(&slice.name) else {
                    continue;
                };
                // A refreshed block (an append reached it) replaces the
                // older copy's source: never both at once.
                self.sources.retain(|(n, i, _), s| {
                    let stale = *n == slice.name && *i == index;
                    if stale {
                        let _ = AudioScheduledSourceNode::stop(&s.node);
                    }
                    !stale
                });
                match start_source(&ctx, &gain, slice, speed, start.when, start.offset) {
                    Ok(node) => {
                        self.stats.sources_started += 1;
                        self.stats.last_rate = Some(speed);
                        self.sources.insert(
                            key,
                            Source {
                                node,
                                ends: start.ends,
                            },
                        );
                    }
                    Err(e) => warn("viser4d: starting audio failed", &e),
                }
            }
        }
    }
}

fn start_source(
    ctx: &AudioContext,
    gain: &GainNode,
    slice: &viser4d_proto::timeline::AudioSlice,
    speed: f64,
    when: f64,
    offset: f64,
) -> Result<AudioBufferSourceNode, JsValue> {
    let channels = usize::from(slice.channels.max(1));
    let samples = slice.samples.to_f32_vec().unwrap_or_default();
    let frames = samples.len() / channels;
    let buffer = ctx.create_buffer(
        channels as u32,
        frames.max(1) as u32,
        slice.sample_rate as f32,
    )?;
    for (c, mut plane) in deinterleave(&samples, channels).into_iter().enumerate() {
        buffer.copy_to_channel(&mut plane, c as i32)?;
    }
    let node = ctx.create_buffer_source()?;
    node.set_buffer(Some(&buffer));
    node.playback_rate().set_value(speed as f32);
    node.connect_with_audio_node(gain)?;
    node.start_with_when_and_grain_offset(when, offset.max(0.0))?;
    Ok(node)
}
