#![no_main]
//! Any bytes into the `.viser` decoder: an error, never a panic, and a
//! recording that decodes re-encodes stably: encoding what its own output
//! decodes to gives the same bytes. (Bytes, not messages, are compared: a
//! NaN field decodes faithfully but never equals itself.)
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rec) = viser4d_proto::decode_recording(data) {
        let once = rec.encode().expect("re-encodes");
        let decoded = viser4d_proto::decode_recording(&once).expect("decodes own output");
        assert_eq!(decoded.messages.len(), rec.messages.len());
        let twice = decoded.encode().expect("re-encodes again");
        assert!(once == twice, "re-encoding is not stable");
    }
});
