//! What `viser4d info` prints about a recording. Kept apart from `main`
//! so that the fuzz harness runs the same reader over hostile files.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use viser4d_proto::timeline::ServerMessage;

/// Appends one line to the report (writing to a `String` cannot fail).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

/// The report on `recording`, read from `path` (`len` bytes): messages by
/// type, the timeline's steps and blocks, the audio tracks. A timeline
/// configuration out of bounds is an error, not a report.
pub fn summary(path: &str, len: usize, recording: &viser4d_proto::Recording) -> Result<String> {
    let mut out = String::new();
    outln!(out, "file:          {} ({} bytes)", path, len);
    outln!(out, "viser version: {}", recording.viser_version);
    outln!(out, "duration:      {} s", recording.duration_sec);
    outln!(out, "messages:      {}", recording.messages.len());
    let buffer_bytes: usize = recording.buffers.iter().map(|b| b.len()).sum();
    outln!(
        out,
        "buffers:       {} ({} bytes)",
        recording.buffers.len(),
        buffer_bytes
    );
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for (_, m) in &recording.messages {
        *by_type.entry(m.type_name().to_owned()).or_default() += 1;
    }
    for (ty, n) in &by_type {
        outln!(out, "  {n:>7}  {ty}");
    }
    let timeline: Vec<ServerMessage> = recording
        .messages
        .iter()
        .filter_map(|(_, m)| ServerMessage::from_any(m))
        .collect();
    let Some(configure) = timeline.iter().find_map(|m| match m {
        ServerMessage::TimelineConfigure(c) => Some(c),
        _ => None,
    }) else {
        outln!(out, "timeline:      none (a plain viser recording)");
        return Ok(out);
    };
    configure.check().map_err(|reason| {
        anyhow::anyhow!("{}: its timeline configuration is invalid: {reason}", path)
    })?;
    let blocks: Vec<_> = timeline
        .iter()
        .filter_map(|m| match m {
            ServerMessage::TimelineBlock(b) => Some(b),
            _ => None,
        })
        .collect();
    outln!(
        out,
        "timeline:      steps {}..={} ({} steps) at {} fps, {} block(s) of up to {} steps, {} in the file",
        configure.first_step,
        configure.num_steps.saturating_sub(1),
        configure.num_steps - configure.first_step,
        configure.fps,
        configure.num_blocks(),
        configure.block_size,
        blocks.len()
    );
    // Audio: each track's slices across the blocks.
    let mut tracks: BTreeMap<&str, (u32, u16, u32, usize)> = BTreeMap::new();
    for block in &blocks {
        for slice in &block.audio {
            let entry = tracks.entry(slice.name.as_str()).or_insert((
                slice.sample_rate,
                slice.channels,
                slice.start_step,
                0,
            ));
            entry.3 += slice.samples.len() / usize::from(slice.channels.max(1));
        }
    }
    if tracks.is_empty() {
        outln!(out, "audio:         none");
    }
    for (name, (rate, channels, start, frames)) in tracks {
        outln!(
            out,
            "audio:         {name}: {channels} channel(s) at {rate} Hz from step {start}, {:.2} s in range",
            frames as f64 / f64::from(rate.max(1))
        );
    }
    Ok(out)
}
