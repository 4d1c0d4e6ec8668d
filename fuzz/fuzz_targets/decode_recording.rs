#![no_main]
//! Any bytes into the `.viser` decoder: an error, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rec) = viser4d_proto::decode_recording(data) {
        let again = rec.encode().expect("re-encodes");
        assert_eq!(viser4d_proto::decode_recording(&again).expect("decodes own output").messages, rec.messages);
    }
});
