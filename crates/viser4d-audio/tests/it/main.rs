//! Properties of the track model: appends and step-range cuts never drop
//! or duplicate a sample.

use proptest::prelude::*;
use viser4d_audio::Track;

fn cases() -> u32 {
    std::env::var("VISER4D_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Appending in any chunking gives the same track as one slice.
    #[test]
    fn chunked_appends_equal_one_slice(
        channels in 1u16..=3,
        chunks in prop::collection::vec(0usize..5_000, 0..12),
    ) {
        let mut track = Track::new("/t", &[], 8_000, channels, 0).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut all = Vec::new();
        let mut next = 0.0f32;
        for frames in chunks {
            let chunk: Vec<f32> = (0..frames * usize::from(channels)).map(|_| { next += 1.0; next }).collect();
            let added = track.append(&chunk).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(added.len(), frames);
            all.extend(chunk);
        }
        prop_assert_eq!(track.samples(), all);
    }

    /// Cutting a track at any block boundaries, at any fps and start step,
    /// and concatenating the pieces gives the whole track back.
    #[test]
    fn block_cuts_concatenate_to_the_whole(
        frames in 0usize..40_000,
        rate in prop::sample::select(vec![8_000u32, 16_000, 44_100, 48_000]),
        fps in prop::sample::select(vec![1.0f64, 7.5, 10.0, 29.97, 30.0, 60.0]),
        start in 0u32..20,
        block in 1u32..40,
        num_steps in 1u32..200,
    ) {
        let samples: Vec<f32> = (0..frames).map(|i| i as f32).collect();
        let track = Track::new("/t", &samples, rate, 1, start).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let num_blocks = num_steps.div_ceil(block);
        let mut joined = Vec::new();
        let mut expected_start = 0;
        for b in 0..num_blocks {
            let steps = b * block..((b + 1) * block).min(num_steps);
            let range = track.frames_for_steps(steps, fps, b + 1 == num_blocks);
            prop_assert_eq!(range.start, expected_start, "block {} starts where the last ended", b);
            expected_start = range.end;
            joined.extend(track.copy_frames(range));
        }
        prop_assert_eq!(joined, samples);
    }
}

/// The memory figure: a 10-minute 48 kHz stereo track appended in
/// 100 ms chunks takes within 10% of its raw `f32` size.
#[test]
fn ten_minutes_of_48k_stereo_cost_about_their_raw_size() {
    let chunk = vec![0.25f32; 4_800 * 2];
    let mut track = Track::new("/long", &[], 48_000, 2, 0).unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..6_000 {
        track.append(&chunk).unwrap_or_else(|e| panic!("{e}"));
    }
    let raw = 48_000 * 600 * 2 * std::mem::size_of::<f32>();
    assert_eq!(track.frames(), 48_000 * 600);
    let held = track.memory_bytes();
    println!(
        "MEASURED 10 min 48 kHz stereo: {held} bytes held for {raw} raw ({:.3}x)",
        held as f64 / raw as f64
    );
    assert!(held as f64 <= raw as f64 * 1.1, "{held} > 1.1 x {raw}");
}
