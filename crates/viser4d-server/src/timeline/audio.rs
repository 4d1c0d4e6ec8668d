//! Audio tracks on the timeline: [`AudioApi`] and [`AudioHandle`].
//!
//! A track is created inside `at(t)` and stored in the timeline as the
//! creation of a node named like the track (so removal and seeking follow
//! the scene's rules); its volume is that node's `volume` property. Its
//! samples live beside the store, in a [`viser4d_audio::Track`], and every
//! block carries the samples of its own steps: seeking anywhere needs only
//! that block, and an append refreshes just the blocks it reaches.

use std::sync::Arc;

use viser4d_audio::Track;
use viser4d_proto::AnyMessage;
use viser4d_proto::timeline::{TimelineAudioTrack, TimelineAudioVolume, TimelineMessage, pack};
use viser4d_timeline::{Key, NodeName, Op};

use crate::error::{Result, ServerError};
use crate::shared::{Scope, Shared};
use crate::timeline::{Timeline, current_step};
use crate::validate;

/// Adds audio tracks to the timeline (see [`crate::Server::audio`]).
#[derive(Clone)]
pub struct AudioApi {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for AudioApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioApi").finish_non_exhaustive()
    }
}

/// A recorded audio track. Cloning the handle does not clone the track.
#[derive(Clone)]
pub struct AudioHandle {
    shared: Arc<Shared>,
    name: String,
}

impl std::fmt::Debug for AudioHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioHandle")
            .field("name", &self.name)
            .finish()
    }
}

fn packed(message: &impl TimelineMessage) -> Result<bytes::Bytes> {
    let value = message
        .to_value()
        .map_err(|e| ServerError::invalid("audio", e.to_string()))?;
    pack(&AnyMessage::Custom(value)).map_err(|e| ServerError::invalid("audio", e.to_string()))
}

fn key_error(e: viser4d_timeline::KeyError) -> ServerError {
    ServerError::invalid("name", e.to_string())
}

impl AudioApi {
    pub(crate) fn new(shared: Arc<Shared>) -> AudioApi {
        AudioApi { shared }
    }

    /// Adds a track at the step being recorded: interleaved `samples`
    /// (`channels` per frame, each finite) at `sample_rate` frames per
    /// second. It sounds from the time of this step on. Errors: outside
    /// `at(t)`, a name in use, or bad audio (see [`viser4d_audio::AudioError`]).
    pub fn add_track(
        &self,
        name: &str,
        samples: &[f32],
        sample_rate: u32,
        channels: u16,
    ) -> Result<AudioHandle> {
        let step = current_step(self.shared.id).ok_or(ServerError::AudioOutsideStep)?;
        let name = validate::node_name(name)?;
        let track = Track::new(&name, samples, sample_rate, channels, step)?;
        let mut state = self.shared.lock();
        for (scope, existing) in [(Scope::Broadcast, "live"), (Scope::Timeline, "timeline")] {
            if state.scene.contains(scope, &name) {
                return Err(ServerError::NameInUse { name, existing });
            }
        }
        let timeline = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
        if timeline.tracks.contains_key(&name) {
            return Err(ServerError::NameInUse {
                name,
                existing: "audio",
            });
        }
        let message = packed(&TimelineAudioTrack {
            name: name.clone(),
            sample_rate,
            channels,
            volume: track.volume(),
            start_step: step,
        })?;
        timeline.store.record(
            step,
            Op::Put(Key::create(&name).map_err(key_error)?, message),
        )?;
        let end = timeline.store.num_steps();
        timeline.tracks.insert(name.clone(), track);
        timeline.audio_changed(step..end);
        drop(state);
        Ok(AudioHandle {
            shared: self.shared.clone(),
            name,
        })
    }
}

impl AudioHandle {
    /// The track's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn removed(&self) -> ServerError {
        ServerError::Removed {
            what: "audio track",
            name: self.name.clone(),
        }
    }

    /// Runs `f` on the timeline, under one lock, if the track is in it.
    fn with_track<R>(&self, f: impl FnOnce(&mut Timeline) -> Result<R>) -> Result<R> {
        let mut state = self.shared.lock();
        let timeline = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
        if !timeline.tracks.contains_key(&self.name) {
            return Err(self.removed());
        }
        f(timeline)
    }

    /// This handle's track in `timeline`.
    fn track_in<'a>(&self, timeline: &'a mut Timeline) -> Result<&'a mut Track> {
        timeline
            .tracks
            .get_mut(&self.name)
            .ok_or_else(|| self.removed())
    }

    fn track<R>(&self, f: impl FnOnce(&Track) -> R) -> Result<R> {
        self.with_track(|t| Ok(f(self.track_in(t)?)))
    }

    /// Appends interleaved samples right after the track's last frame
    /// (same channel count), inside or outside `at(t)`. Tabs holding the
    /// blocks the new samples fall in receive them again.
    pub fn append(&self, samples: &[f32]) -> Result<()> {
        self.with_track(|t| {
            let fps = t.fps;
            let track = self.track_in(t)?;
            let frames = track.append(samples)?;
            if !frames.is_empty() {
                let steps = track.steps_for_frames(frames, fps);
                t.audio_changed(steps);
            }
            Ok(())
        })
    }

    /// The last volume set, in [0, 1].
    pub fn volume(&self) -> Result<f32> {
        self.track(Track::volume)
    }

    /// Sets the volume (in [0, 1]): at the step being recorded inside
    /// `at(t)`, or outside any step as a live override on every step (a
    /// GUI slider bound to it changes the gain in every tab at once).
    pub fn set_volume(&self, volume: f32) -> Result<()> {
        viser4d_audio::check_volume(volume)?;
        let step = current_step(self.shared.id);
        let message = packed(&TimelineAudioVolume {
            name: self.name.clone(),
            volume,
        })?;
        let key = Key::prop(&self.name, "volume").map_err(key_error)?;
        self.with_track(|t| {
            self.track_in(t)?.set_volume(volume)?;
            match step {
                Some(step) => t.store.record(step, Op::Put(key, message))?,
                None => t.store.overrides_mut().put(&key, message),
            }
            t.dirty.notify_one();
            Ok(())
        })
    }

    /// Removes the track: from the step being recorded on, or outside any
    /// step at every step. The handle stays usable (at other steps).
    pub fn remove(&self) -> Result<()> {
        let step = current_step(self.shared.id);
        let name = NodeName::new(&self.name).map_err(key_error)?;
        self.with_track(|t| {
            match step {
                Some(step) => t.store.record(step, Op::RemoveNode(name))?,
                None => t.store.overrides_mut().remove_node(&name),
            }
            t.dirty.notify_one();
            Ok(())
        })
    }

    /// Number of frames recorded.
    pub fn frames(&self) -> Result<usize> {
        self.track(Track::frames)
    }

    /// Every sample, interleaved (a copy).
    pub fn samples(&self) -> Result<Vec<f32>> {
        self.track(Track::samples)
    }

    /// Bytes the track's samples take on the server.
    pub fn memory_bytes(&self) -> Result<usize> {
        self.track(Track::memory_bytes)
    }
}

impl crate::Server {
    /// The audio tracks of the timeline: `add_track` inside `at(t)`.
    pub fn audio(&self) -> AudioApi {
        AudioApi::new(self.shared.clone())
    }
}

impl crate::StepGuard {
    /// [`crate::Server::audio`], for use inside the guard.
    pub fn audio(&self) -> AudioApi {
        AudioApi::new(self.shared().clone())
    }
}
