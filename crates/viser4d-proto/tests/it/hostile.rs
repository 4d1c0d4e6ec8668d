//! Arbitrary and corrupted bytes into every decoder: errors, never panics.

use bytes::Bytes;
use proptest::prelude::*;
use viser4d_proto::{
    decode_client_message, decode_frame, decode_recording, encode_frame, encode_recording,
};

use crate::strategies::{any_message, config};

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_frame(Bytes::from(bytes.clone()));
        let _ = decode_recording(&bytes);
        let _ = decode_client_message(&bytes);
    }

    #[test]
    fn corrupted_frames_never_panic(
        messages in prop::collection::vec(any_message(), 1..6),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut frame = encode_frame(&messages, 1.0).expect("encodes");
        let mut file = encode_recording(1.0, &messages.iter().cloned().map(|m| (0.0, m)).collect::<Vec<_>>())
            .expect("encodes");
        for (at, byte) in &flips {
            let i = at.index(frame.len());
            frame[i] ^= byte | 1;
            let j = at.index(file.len());
            file[j] ^= byte | 1;
        }
        let _ = decode_frame(Bytes::from(frame.clone()));
        let _ = decode_recording(&file);
        frame.truncate(cut.index(frame.len() + 1));
        file.truncate(cut.index(file.len() + 1));
        let _ = decode_frame(Bytes::from(frame));
        let _ = decode_recording(&file);
    }
}

#[test]
fn hostile_headers_are_rejected_without_allocating() {
    // A frame claiming an exabyte of msgpack.
    let mut frame = vec![0xff; 16];
    frame.extend_from_slice(&[0; 8]);
    assert!(decode_frame(Bytes::from(frame)).is_err());
    // A file claiming an exabyte of payload.
    assert!(decode_recording(&[0xff; 32]).is_err());
    // Deep nesting.
    let mut deep = vec![0x91u8; 100_000];
    deep.push(0xc0);
    assert!(decode_client_message(&deep).is_err());
}

#[test]
fn malformed_client_messages_name_type_and_field() {
    let bad = rmp_serde::to_vec_named(&viser4d_proto::Value::Map(vec![
        (
            "type".to_owned(),
            viser4d_proto::Value::Str("ViewerCameraMessage".to_owned()),
        ),
        (
            "wxyz".to_owned(),
            viser4d_proto::Value::Str("up".to_owned()),
        ),
    ]))
    .expect("encodes");
    let err = decode_client_message(&bad)
        .expect_err("must fail")
        .to_string();
    assert!(
        err.contains("ViewerCameraMessage") && err.contains("wxyz"),
        "{err}"
    );

    let unknown_shape = rmp_serde::to_vec_named(&vec![1, 2, 3]).expect("encodes");
    assert!(
        decode_client_message(&unknown_shape)
            .expect_err("not a map")
            .to_string()
            .contains("map")
    );

    let untyped = rmp_serde::to_vec_named(&viser4d_proto::Value::Map(vec![])).expect("encodes");
    assert!(
        decode_client_message(&untyped)
            .expect_err("no type")
            .to_string()
            .contains("type")
    );
}

/// Found by the `decode_recording` fuzz target: a file whose image width is
/// NaN. It decodes, and its re-encoding is stable byte for byte (the
/// messages cannot compare equal: NaN is not equal to itself).
#[test]
fn a_recording_with_a_nan_field_reencodes_stably() {
    let file = include_bytes!("../fixtures/fuzz/decode_recording_nan.viser");
    let recording = viser4d_proto::decode_recording(file).expect("decodes");
    let once = recording.encode().expect("encodes");
    let again = viser4d_proto::decode_recording(&once).expect("decodes its own output");
    assert_eq!(again.messages.len(), recording.messages.len());
    assert_eq!(again.encode().expect("encodes again"), once);
}
