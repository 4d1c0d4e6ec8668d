//! `viser4d-audio`: the audio track model of viser4d.
//!
//! Owns tracks ([`Track`]: name, sample rate, channel count, interleaved
//! `f32` samples, volume, start step), contiguous appends, and cutting the
//! samples that cover a step range ([`Track::frames_for_steps`]) so a
//! timeline block carries exactly its own audio.
//!
//! It is pure data: no I/O, no tokio, no Web Audio. It builds for
//! `wasm32-unknown-unknown` and is shared by the server and the browser
//! runtime. It never depends on the server or the timeline store.
//!
//! # Steps and samples
//!
//! A track starts at the time of its start step, `start_step / fps`. Step
//! `s` begins at frame [`Track::frame_at_step`]`(s) = round((s - start) *
//! rate / fps)`, clamped to the track. The frames of consecutive step
//! ranges are therefore consecutive and never overlap: cutting a track at
//! block boundaries and concatenating the pieces gives the whole track back,
//! sample for sample (the property tests check it). The last range of a
//! timeline takes everything to the end of the track, so nothing recorded
//! is dropped even when the audio outlasts the steps.
//!
//! ```
//! use viser4d_audio::Track;
//!
//! let mut track = Track::new("/speech", &[0.0; 1600], 16_000, 1, 0)?;
//! track.append(&[0.5; 1600])?;
//! assert_eq!(track.frames(), 3200);
//! // At 10 steps per second a step is 1600 frames: steps 1..2 hold the append.
//! assert_eq!(track.frames_for_steps(1..2, 10.0, false), 1600..3200);
//! assert!(track.set_volume(1.5).is_err());
//! # Ok::<(), viser4d_audio::AudioError>(())
//! ```

#![deny(missing_docs)]

use std::ops::Range;

/// Samples per storage chunk: appends fill chunks of this size, so a long
/// track wastes at most one partly filled chunk, and appending never copies
/// what is already stored.
const CHUNK_SAMPLES: usize = 1 << 16;

/// Most channels a track may have (what browsers' Web Audio guarantees).
pub const MAX_CHANNELS: u16 = 32;

/// What a track refuses, naming the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AudioError {
    /// The name is empty.
    #[error("an audio track needs a non-empty name")]
    EmptyName,
    /// The sample rate is zero.
    #[error("sample_rate must be a positive integer, got {0}")]
    SampleRate(u32),
    /// The channel count is zero or too large.
    #[error("channels must be between 1 and {MAX_CHANNELS}, got {0}")]
    Channels(u16),
    /// The samples are not whole frames.
    #[error(
        "{len} interleaved samples are not a whole number of {channels}-channel frames (shape mismatch)"
    )]
    Shape {
        /// Number of samples given.
        len: usize,
        /// The track's channel count.
        channels: u16,
    },
    /// A sample is NaN or infinite.
    #[error("sample {index} is {value}, not a finite number")]
    NotFinite {
        /// Its index in the given slice.
        index: usize,
        /// Its value.
        value: f32,
    },
    /// The volume is outside [0, 1].
    #[error("volume must be within [0, 1], got {0}")]
    Volume(f32),
}

/// One audio track.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    name: String,
    sample_rate: u32,
    channels: u16,
    volume: f32,
    start_step: u32,
    /// Full chunks of `CHUNK_SAMPLES` samples each, then a partial one.
    chunks: Vec<Vec<f32>>,
    len: usize,
}

fn check_samples(samples: &[f32], channels: u16) -> Result<(), AudioError> {
    if !samples.len().is_multiple_of(usize::from(channels)) {
        return Err(AudioError::Shape {
            len: samples.len(),
            channels,
        });
    }
    if let Some(index) = samples.iter().position(|s| !s.is_finite()) {
        return Err(AudioError::NotFinite {
            index,
            value: samples[index],
        });
    }
    Ok(())
}

/// Checks a volume.
pub fn check_volume(volume: f32) -> Result<(), AudioError> {
    if (0.0..=1.0).contains(&volume) {
        Ok(())
    } else {
        Err(AudioError::Volume(volume))
    }
}

impl Track {
    /// A track of interleaved `samples` (`channels` per frame) at
    /// `sample_rate`, starting at `start_step`, volume 1.
    pub fn new(
        name: &str,
        samples: &[f32],
        sample_rate: u32,
        channels: u16,
        start_step: u32,
    ) -> Result<Track, AudioError> {
        if name.is_empty() {
            return Err(AudioError::EmptyName);
        }
        if sample_rate == 0 {
            return Err(AudioError::SampleRate(sample_rate));
        }
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(AudioError::Channels(channels));
        }
        check_samples(samples, channels)?;
        let mut track = Track {
            name: name.to_owned(),
            sample_rate,
            channels,
            volume: 1.0,
            start_step,
            chunks: Vec::new(),
            len: 0,
        };
        track.push(samples);
        Ok(track)
    }

    fn push(&mut self, mut samples: &[f32]) {
        while !samples.is_empty() {
            let room = match self.chunks.last() {
                Some(last) if last.len() < CHUNK_SAMPLES => CHUNK_SAMPLES - last.len(),
                _ => {
                    self.chunks.push(Vec::with_capacity(CHUNK_SAMPLES));
                    CHUNK_SAMPLES
                }
            };
            let (now, rest) = samples.split_at(room.min(samples.len()));
            if let Some(last) = self.chunks.last_mut() {
                last.extend_from_slice(now);
            }
            self.len += now.len();
            samples = rest;
        }
    }

    /// Appends interleaved samples right after the last frame (same
    /// channel count); returns the frames added. Nothing stored is copied.
    pub fn append(&mut self, samples: &[f32]) -> Result<Range<usize>, AudioError> {
        check_samples(samples, self.channels)?;
        let first = self.frames();
        self.push(samples);
        Ok(first..self.frames())
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Frames per second.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Channels per frame.
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// The volume, in [0, 1].
    pub fn volume(&self) -> f32 {
        self.volume
    }

    /// Sets the volume (within [0, 1]).
    pub fn set_volume(&mut self, volume: f32) -> Result<(), AudioError> {
        check_volume(volume)?;
        self.volume = volume;
        Ok(())
    }

    /// The step at which the track starts.
    pub fn start_step(&self) -> u32 {
        self.start_step
    }

    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.len / usize::from(self.channels)
    }

    /// Length in seconds.
    pub fn duration_sec(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate)
    }

    /// Bytes held (allocated capacity, not just length).
    pub fn memory_bytes(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| c.capacity() * std::mem::size_of::<f32>())
            .sum::<usize>()
            + self.chunks.capacity() * std::mem::size_of::<Vec<f32>>()
            + self.name.capacity()
    }

    /// The interleaved samples of `frames` (clamped to the track), copied.
    pub fn copy_frames(&self, frames: Range<usize>) -> Vec<f32> {
        let c = usize::from(self.channels);
        let end = frames.end.min(self.frames()) * c;
        let mut at = frames.start.min(frames.end) * c;
        let mut out = Vec::with_capacity(end.saturating_sub(at));
        while at < end {
            let chunk = &self.chunks[at / CHUNK_SAMPLES];
            let from = at % CHUNK_SAMPLES;
            let take = (chunk.len() - from).min(end - at);
            out.extend_from_slice(&chunk[from..from + take]);
            at += take;
        }
        out
    }

    /// Every sample, interleaved, copied.
    pub fn samples(&self) -> Vec<f32> {
        self.copy_frames(0..self.frames())
    }

    /// The first frame of step `step` at `fps` steps per second (0 before
    /// the track starts, the end after it).
    pub fn frame_at_step(&self, step: u32, fps: f64) -> usize {
        let Some(offset) = step.checked_sub(self.start_step) else {
            return 0;
        };
        let frame = (f64::from(offset) * f64::from(self.sample_rate) / fps).round();
        if frame.is_finite() && frame >= 0.0 {
            // Clamped below, so the cast cannot truncate meaningfully.
            (frame as usize).min(self.frames())
        } else {
            self.frames()
        }
    }

    /// The frames that sound during `steps`; with `to_end`, up to the end
    /// of the track (for the last range of a timeline).
    pub fn frames_for_steps(&self, steps: Range<u32>, fps: f64, to_end: bool) -> Range<usize> {
        let start = self.frame_at_step(steps.start, fps);
        let end = if to_end {
            self.frames()
        } else {
            self.frame_at_step(steps.end, fps)
        };
        start..end.max(start)
    }

    /// The steps whose audio includes any of `frames` (to know which
    /// blocks an append changes), as a half-open range.
    pub fn steps_for_frames(&self, frames: Range<usize>, fps: f64) -> Range<u32> {
        let rate = f64::from(self.sample_rate);
        let to_step = |frame: usize| f64::from(self.start_step) + frame as f64 * fps / rate;
        let first = to_step(frames.start).floor();
        let last = to_step(frames.end).ceil() + 1.0;
        let clamp = |v: f64| v.clamp(0.0, f64::from(u32::MAX)) as u32;
        clamp(first)..clamp(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_refused_naming_the_value() {
        let e = |r: Result<Track, AudioError>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e(Track::new("", &[], 16_000, 1, 0)).contains("name"));
        assert!(e(Track::new("/a", &[], 0, 1, 0)).contains("sample_rate"));
        assert!(e(Track::new("/a", &[], 16_000, 0, 0)).contains("channels"));
        assert!(e(Track::new("/a", &[0.0; 3], 16_000, 2, 0)).contains("shape"));
        assert!(e(Track::new("/a", &[0.0, f32::NAN], 16_000, 1, 0)).contains("sample 1 is NaN"));
        let mut t = Track::new("/a", &[0.0; 4], 16_000, 2, 0).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            t.append(&[1.0]),
            Err(AudioError::Shape {
                len: 1,
                channels: 2
            })
        ));
        assert!(matches!(t.set_volume(-0.1), Err(AudioError::Volume(_))));
        assert!(t.set_volume(0.25).is_ok() && t.volume() == 0.25);
        assert_eq!(t.frames(), 2, "a refused append changes nothing");
    }

    #[test]
    fn appends_across_chunks_keep_every_sample_in_order() {
        let mut t = Track::new("/a", &[], 48_000, 2, 3).unwrap_or_else(|e| panic!("{e}"));
        let mut all = Vec::new();
        for i in 0..50 {
            let chunk: Vec<f32> = (0..3_000).map(|j| (i * 3_000 + j) as f32).collect();
            assert_eq!(t.append(&chunk).ok(), Some(i * 1_500..(i + 1) * 1_500));
            all.extend(chunk);
        }
        assert_eq!(t.samples(), all);
        assert_eq!(t.copy_frames(32_000..32_770), all[64_000..65_540].to_vec());
        let waste = t.memory_bytes() - all.len() * 4;
        assert!(waste <= CHUNK_SAMPLES * 4 + 4096, "{waste} bytes unused");
    }

    #[test]
    fn steps_map_to_frames_from_the_start_step() {
        let t = Track::new("/a", &[0.0; 16_000], 16_000, 1, 10).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.frame_at_step(5, 10.0), 0, "before the start");
        assert_eq!(t.frame_at_step(11, 10.0), 1_600);
        assert_eq!(t.frames_for_steps(0..12, 10.0, false), 0..3_200);
        assert_eq!(t.frames_for_steps(30..40, 10.0, false), 16_000..16_000);
        assert_eq!(t.frames_for_steps(12..13, 10.0, true), 3_200..16_000);
        let steps = t.steps_for_frames(1_600..3_200, 10.0);
        assert!(steps.start <= 11 && steps.end >= 12, "{steps:?}");
    }
}
