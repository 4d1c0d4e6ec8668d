#![no_main]
//! Any bytes as the file `viser4d info` reads: the same reader and report,
//! an error, never a panic.
use libfuzzer_sys::fuzz_target;

#[path = "../../crates/viser4d-cli/src/summary.rs"]
mod summary;

fuzz_target!(|data: &[u8]| {
    if let Ok(recording) = viser4d_proto::decode_recording(data) {
        let _ = summary::summary("fuzz.viser", data.len(), &recording);
    }
});
