#![no_main]
//! Any bytes as a block's or the overrides' data, decoded the way the
//! runtime decodes them, then every step of the block folded: an error,
//! never a panic.
use libfuzzer_sys::fuzz_target;
use viser4d_timeline::{Block, Overrides};

fuzz_target!(|data: &[u8]| {
    if let Ok(block) = Block::<bytes::Bytes>::decode_shared(bytes::Bytes::copy_from_slice(data)) {
        for step in block.steps().take(4096) {
            let _ = block.state_at(step);
        }
    }
    let _ = Overrides::<bytes::Bytes>::decode(data);
});
