//! Encode/decode round trips for frames, client messages and `.viser`
//! files, over generated messages.

use bytes::Bytes;
use proptest::prelude::*;
use viser4d_proto::{
    AnyMessage, Message, TypedArray, decode_client_message, decode_frame, decode_recording,
    encode_client_message, encode_frame, encode_recording,
};

use crate::strategies::{any_message, camera, config, typed_array};

proptest! {
    #![proptest_config(config())]

    #[test]
    fn frames_round_trip(messages in prop::collection::vec(any_message(), 0..12), ts in -1e9f64..1e9) {
        let bytes = encode_frame(&messages, ts).expect("encodes");
        let frame = decode_frame(Bytes::from(bytes.clone())).expect("decodes");
        prop_assert_eq!(&frame.messages, &messages);
        prop_assert_eq!(frame.timestamp_sec, ts);
        // Every buffer starts 8-byte aligned from the frame start.
        let base = frame.buffers.first().map(|b| b.as_ptr() as usize);
        for b in &frame.buffers {
            let offset = b.as_ptr() as usize - base.unwrap_or(0);
            prop_assert_eq!(offset % 8, 0);
        }
    }

    #[test]
    fn recordings_round_trip(
        messages in prop::collection::vec((0.0f64..100.0, any_message()), 0..10),
        duration in 0.0f64..200.0,
    ) {
        let bytes = encode_recording(duration, &messages).expect("encodes");
        let rec = decode_recording(&bytes).expect("decodes");
        prop_assert_eq!(rec.duration_sec, duration);
        prop_assert_eq!(rec.viser_version.as_str(), "1.1.1");
        prop_assert_eq!(&rec.messages, &messages);
    }

    #[test]
    fn recordings_store_repeated_arrays_once(array in typed_array(), copies in 1usize..5) {
        let messages: Vec<(f64, AnyMessage)> = (0..copies)
            .map(|i| {
                let value = viser4d_proto::Value::Map(vec![
                    ("data".to_owned(), viser4d_proto::Value::Typed(array.clone())),
                    ("type".to_owned(), viser4d_proto::Value::Str("TimelineTest".to_owned())),
                ]);
                (i as f64, AnyMessage::Custom(value))
            })
            .collect();
        let rec = decode_recording(&encode_recording(1.0, &messages).expect("encodes")).expect("decodes");
        prop_assert_eq!(rec.buffers.len(), 1);
        prop_assert_eq!(&rec.messages, &messages);
    }

    #[test]
    fn client_messages_round_trip(message in any_message()) {
        // Clients send plain msgpack; arrays travel inline.
        let bytes = encode_client_message(&message).expect("encodes");
        prop_assert_eq!(decode_client_message(&bytes).expect("decodes"), message);
    }

    #[test]
    fn client_numbers_are_lenient(camera in camera()) {
        // A browser writes whole-number floats as msgpack integers.
        let mut value = viser4d_proto::Value::from_serialize(&Message::from(camera.clone())).expect("tree");
        if let viser4d_proto::Value::Map(entries) = &mut value {
            for (key, v) in entries.iter_mut() {
                if key == "near" { *v = viser4d_proto::Value::Int(3); }
                if key == "image_width" { *v = viser4d_proto::Value::Float(640.0); }
            }
        }
        let bytes = rmp_serde::to_vec_named(&value).expect("encodes");
        let decoded = decode_client_message(&bytes).expect("decodes");
        let AnyMessage::Viser(Message::ViewerCameraMessage(got)) = decoded else {
            return Err(TestCaseError::fail("not a camera message"));
        };
        prop_assert_eq!(got.near, 3.0);
        prop_assert_eq!(got.image_width, 640);
        prop_assert_eq!(got.position, camera.position);
    }
}

#[test]
fn typed_arrays_keep_their_numbers() {
    let points = [[1.0f32, -2.5, 3.25], [0.0, 1e-3, f32::MAX]];
    let array = TypedArray::from_vec3_f32(&points);
    assert_eq!(array.len(), 6);
    assert_eq!(array.to_f32_vec(), Some(points.as_flattened().to_vec()));
    assert_eq!(array.to_u32_vec(), None);
    assert!(TypedArray::new(viser4d_proto::Dtype::F32, vec![0u8; 6]).is_err());
}
