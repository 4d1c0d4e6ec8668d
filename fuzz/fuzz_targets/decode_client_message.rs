#![no_main]
//! Any bytes into the client-message decoder: an error, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = viser4d_proto::decode_client_message(data);
});
