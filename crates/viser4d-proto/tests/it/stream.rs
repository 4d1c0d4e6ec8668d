//! `RecordingEncoder`: a recording written message by message is the file
//! the one-shot encoder writes, and misuse is an error, not a bad file.

use bytes::Bytes;
use viser4d_proto::timeline::{TimelineBlock, TimelineMessage};
use viser4d_proto::{
    AnyMessage, EncodeError, RecordingEncoder, TypedArray, Value, decode_recording_values,
    encode_recording_at_level,
};

fn block(index: u32, fill: u8, len: usize) -> AnyMessage {
    TimelineBlock {
        index,
        revision: 1,
        audio_revision: 0,
        data: TypedArray::from_u8(vec![fill; len]),
        audio: Vec::new(),
    }
    .to_any()
    .expect("encodable")
}

fn data_of(message: &Value) -> Option<Bytes> {
    match message.get("data") {
        Some(Value::Typed(array)) => Some(array.bytes().clone()),
        _ => None,
    }
}

#[test]
fn a_streamed_recording_equals_the_one_shot_file_and_forgets_big_buffers() {
    let messages: Vec<(f64, AnyMessage)> = (0..6)
        .map(|k| (0.0, block(k, k as u8, 1000 + k as usize * 3)))
        .collect();
    let whole = encode_recording_at_level(0.0, &messages, 3).expect("encodes");

    let mut encoder = RecordingEncoder::new(0.0, 6)
        .expect("a header")
        .forget_buffers_from(512);
    let mut spool: Vec<Bytes> = Vec::new();
    for (t, m) in &messages {
        let added = encoder.push(*t, m).expect("pushed");
        assert_eq!(added.len(), 1, "one buffer a block");
        spool.extend(added);
    }
    assert_eq!(encoder.num_buffers(), 6);
    let mut asked = Vec::new();
    let streamed = encoder
        .finish(Vec::new(), 3, |i| {
            asked.push(i);
            Ok(spool[i].clone())
        })
        .expect("written");
    assert_eq!(asked, [0, 1, 2, 3, 4, 5], "asked once each, in order");
    assert_eq!(streamed[..8], whole[..8], "the same inner length");
    let a = decode_recording_values(&whole).expect("decodes");
    let b = decode_recording_values(&streamed).expect("decodes");
    assert_eq!(a.buffers, b.buffers);
    let data: Vec<Option<Bytes>> = b.messages.iter().map(|(_, m)| data_of(m)).collect();
    for (k, d) in data.iter().enumerate() {
        assert_eq!(d.as_deref(), Some(&vec![k as u8; 1000 + k * 3][..]));
    }
}

#[test]
fn identical_small_buffers_are_stored_once_across_messages() {
    let mut encoder = RecordingEncoder::new(0.0, 2).expect("a header");
    assert_eq!(
        encoder.push(0.0, &block(0, 7, 64)).expect("pushed").len(),
        1
    );
    assert!(
        encoder
            .push(0.0, &block(1, 7, 64))
            .expect("pushed")
            .is_empty(),
        "the same bytes again"
    );
    assert_eq!(encoder.num_buffers(), 1);
}

#[test]
fn misuse_is_an_error_naming_it() {
    let mut encoder = RecordingEncoder::new(0.0, 1).expect("a header");
    encoder.push(0.0, &block(0, 1, 8)).expect("pushed");
    let extra = encoder.push(0.0, &block(1, 1, 8));
    assert!(matches!(extra, Err(EncodeError::Stream(ref m)) if m.contains("more than")));

    let short = RecordingEncoder::new(0.0, 2).expect("a header");
    let missing = short.finish(Vec::new(), 3, |_| Ok(Bytes::new()));
    assert!(
        matches!(missing, Err(EncodeError::Stream(ref m)) if m.contains("1 of the 2") || m.contains("0 of the 2"))
    );

    let mut wrong = RecordingEncoder::new(0.0, 1).expect("a header");
    wrong.push(0.0, &block(0, 1, 8)).expect("pushed");
    let changed = wrong.finish(Vec::new(), 3, |_| Ok(Bytes::from_static(b"abc")));
    assert!(matches!(changed, Err(EncodeError::Stream(ref m)) if m.contains("pushed as 8")));

    let mut failing = RecordingEncoder::new(0.0, 1).expect("a header");
    failing.push(0.0, &block(0, 1, 8)).expect("pushed");
    let failed = failing.finish(Vec::new(), 3, |_| Err(std::io::Error::other("disk gone")));
    assert!(matches!(failed, Err(EncodeError::Write(ref m)) if m.contains("disk gone")));
}
