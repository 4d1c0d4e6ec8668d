//! When each piece of audio starts, free of Web Audio: the tab's audio
//! clock is anchored to the timeline (`timeline = tl0 + (ctx - ctx0) x
//! speed`), and each track's slice in a held block becomes a source started
//! at the context time its first frame is due, or at once part-way in if
//! that time has passed.

use viser4d_proto::timeline::AudioSlice;

/// How far ahead of the playhead sources are started, in context seconds.
pub const LOOKAHEAD_SEC: f64 = 1.0;

/// Drift between the audio clock and the step clock beyond which audio is
/// restarted at the right offset.
pub const RESYNC_SEC: f64 = 0.05;

/// The audio clock's link to the timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    /// Context time (`AudioContext.currentTime`) at the anchor.
    pub ctx0: f64,
    /// Timeline time (seconds) at the anchor.
    pub tl0: f64,
    /// Speed factor.
    pub speed: f64,
}

impl Anchor {
    /// Where the audio clock says the timeline is at context time `ctx`.
    pub fn timeline_at(&self, ctx: f64) -> f64 {
        self.tl0 + (ctx - self.ctx0) * self.speed
    }

    /// The context time at which timeline time `tl` is due.
    pub fn ctx_at(&self, tl: f64) -> f64 {
        self.ctx0 + (tl - self.tl0) / self.speed
    }
}

/// A slice's span on the timeline, seconds.
pub fn slice_span(slice: &AudioSlice, fps: f64) -> (f64, f64) {
    let rate = f64::from(slice.sample_rate.max(1));
    let channels = usize::from(slice.channels.max(1));
    let start = f64::from(slice.start_step) / fps + slice.start_frame as f64 / rate;
    let frames = slice.samples.len() / channels;
    (start, start + frames as f64 / rate)
}

/// How to start one slice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Start {
    /// Context time to start at.
    pub when: f64,
    /// Seconds into the slice (buffer time) to start from.
    pub offset: f64,
    /// Context time at which it ends.
    pub ends: f64,
}

/// Whether and how to start `slice` now (`ctx_now`), given the anchor;
/// `None` if it is over or not due within the lookahead.
pub fn plan(anchor: &Anchor, ctx_now: f64, slice: &AudioSlice, fps: f64) -> Option<Start> {
    let (t0, t1) = slice_span(slice, fps);
    let now = anchor.timeline_at(ctx_now);
    if t1 <= now || t0 > anchor.timeline_at(ctx_now + LOOKAHEAD_SEC) {
        return None;
    }
    let due = anchor.ctx_at(t0);
    let (when, offset) = if due >= ctx_now {
        (due, 0.0)
    } else {
        (ctx_now, now - t0)
    };
    Some(Start {
        when,
        offset,
        ends: anchor.ctx_at(t1),
    })
}

/// Splits interleaved samples into one vector per channel.
pub fn deinterleave(samples: &[f32], channels: usize) -> Vec<Vec<f32>> {
    let channels = channels.max(1);
    let frames = samples.len() / channels;
    (0..channels)
        .map(|c| (0..frames).map(|f| samples[f * channels + c]).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use viser4d_proto::TypedArray;

    use super::*;

    fn slice(start_step: u32, start_frame: u64, frames: usize) -> AudioSlice {
        AudioSlice {
            name: "/a".into(),
            sample_rate: 1000,
            channels: 2,
            start_step,
            start_frame,
            samples: TypedArray::from_f32(&vec![0.0; frames * 2]),
        }
    }

    #[test]
    fn a_due_slice_starts_at_its_time_and_a_late_one_part_way_in() {
        // Timeline second 2 at context second 10, double speed.
        let anchor = Anchor {
            ctx0: 10.0,
            tl0: 2.0,
            speed: 2.0,
        };
        // Starts at timeline 2.5 (step 25 at 10 fps, frame 0): context 10.25.
        let s = plan(&anchor, 10.0, &slice(25, 0, 1000), 10.0);
        assert_eq!(
            s,
            Some(Start {
                when: 10.25,
                offset: 0.0,
                ends: 10.75
            })
        );
        // Started at timeline 1.5 and lasting 1 s: half a second in.
        let s = plan(&anchor, 10.0, &slice(0, 1500, 1000), 10.0);
        assert_eq!(s.map(|s| (s.when, s.offset)), Some((10.0, 0.5)));
        // Over, or beyond the lookahead (timeline 2 + 2 x 1 s).
        assert_eq!(plan(&anchor, 10.0, &slice(0, 0, 1000), 10.0), None);
        assert_eq!(plan(&anchor, 10.0, &slice(41, 0, 10), 10.0), None);
    }

    #[test]
    fn deinterleaving_keeps_every_sample() {
        let planar = deinterleave(&[1.0, 10.0, 2.0, 20.0, 3.0, 30.0], 2);
        assert_eq!(planar, vec![vec![1.0, 2.0, 3.0], vec![10.0, 20.0, 30.0]]);
    }
}
