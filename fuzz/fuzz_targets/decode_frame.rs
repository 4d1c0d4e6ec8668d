#![no_main]
//! Any bytes into the frame decoder: an error, never a panic, and a frame
//! that decodes re-encodes to one that decodes to the same messages.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = viser4d_proto::decode_frame(bytes::Bytes::copy_from_slice(data)) {
        let again = viser4d_proto::encode_frame(&frame.messages, frame.timestamp_sec).expect("re-encodes");
        let decoded = viser4d_proto::decode_frame(again.into()).expect("decodes own output");
        assert_eq!(decoded.messages.len(), frame.messages.len());
    }
});
