//! Files and frames made by the real Python viser 1.1.1
//! (`tests/fixtures/make_fixtures.py`): we decode them, and our encoder
//! reproduces viser's msgpack byte for byte.

use std::path::PathBuf;

use bytes::Bytes;
use serde_json::Value as Json;
use viser4d_proto::{
    AnyMessage, Message, Value, decode_frame, decode_recording, encode_frame, encode_recording,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn sidecar(name: &str) -> Json {
    serde_json::from_slice(&read(name)).unwrap_or_else(|e| panic!("sidecar {name}: {e}"))
}

fn keys_of(message: &AnyMessage) -> Vec<String> {
    match Value::from_serialize(message) {
        Ok(Value::Map(entries)) => entries.into_iter().map(|(k, _)| k).collect(),
        other => panic!("message did not serialize to a map: {other:?}"),
    }
}

fn json_strings(v: &Json) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// The decompressed inner payload of a `.viser` file, for byte comparison.
fn inner_payload(file: &[u8]) -> Vec<u8> {
    zstd::stream::decode_all(&file[8..]).expect("valid zstd")
}

const RECORDINGS: &[&str] = &["frames", "pointcloud_mesh", "images_glb", "lights_env"];

#[test]
fn python_recordings_decode_as_their_sidecars_say() {
    for name in RECORDINGS {
        let side = sidecar(&format!("{name}.json"));
        let rec = decode_recording(&read(&format!("{name}.viser")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rec.viser_version, "1.1.1", "{name}");
        assert_eq!(
            Some(rec.duration_sec),
            side["durationSeconds"].as_f64(),
            "{name}"
        );
        let expected: Vec<(f64, String)> = side["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|p| {
                (
                    p[0].as_f64().expect("t"),
                    p[1].as_str().expect("type").to_owned(),
                )
            })
            .collect();
        let got: Vec<(f64, String)> = rec
            .messages
            .iter()
            .map(|(t, m)| (*t, m.type_name().to_owned()))
            .collect();
        assert_eq!(got, expected, "{name}");
        assert!(
            rec.messages
                .iter()
                .all(|(_, m)| matches!(m, AnyMessage::Viser(_))),
            "{name}: every message of a Python recording is a viser type"
        );
        let lengths: Vec<u64> = rec.buffers.iter().map(|b| b.len() as u64).collect();
        let expected_lengths: Vec<u64> = side["binaryBufferLengths"]
            .as_array()
            .expect("lengths")
            .iter()
            .filter_map(Json::as_u64)
            .collect();
        assert_eq!(lengths, expected_lengths, "{name}");
        for (i, (m, keys)) in rec
            .messages
            .iter()
            .zip(side["messageKeys"].as_array().expect("keys"))
            .enumerate()
        {
            assert_eq!(
                keys_of(&m.1),
                json_strings(keys),
                "{name}: key order of message {i}"
            );
        }
    }
}

#[test]
fn reencoded_recordings_match_python_byte_for_byte_before_compression() {
    for name in RECORDINGS {
        let original = read(&format!("{name}.viser"));
        let rec = decode_recording(&original).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ours = rec.encode().unwrap_or_else(|e| panic!("{name}: {e}"));
        // zstd builds may differ in their output; the payload must not.
        assert_eq!(
            inner_payload(&ours),
            inner_payload(&original),
            "{name}: inner payload differs from viser's"
        );
        let again = decode_recording(&ours).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(again, rec, "{name}: decode(encode(x)) != x");
    }
}

#[test]
fn identical_buffers_are_stored_once() {
    let side = sidecar("pointcloud_mesh.json");
    let placeholders = side["placeholders"].as_array().expect("placeholders").len();
    let rec = decode_recording(&read("pointcloud_mesh.viser")).expect("decodes");
    assert!(
        rec.buffers.len() < placeholders,
        "{} buffers for {placeholders} placeholders",
        rec.buffers.len()
    );
    let messages: Vec<(f64, AnyMessage)> = rec.messages.clone();
    let ours = decode_recording(&encode_recording(rec.duration_sec, &messages).expect("encodes"))
        .expect("decodes");
    assert_eq!(ours.buffers.len(), rec.buffers.len());
}

#[test]
fn python_live_frames_decode_and_reencode_identically() {
    for i in 0..3 {
        let name = format!("live_frame_{i:03}");
        let side = sidecar(&format!("{name}.json"));
        let bytes = read(&format!("{name}.bin"));
        let frame =
            decode_frame(Bytes::from(bytes.clone())).unwrap_or_else(|e| panic!("{name}: {e}"));
        let types: Vec<&str> = frame.messages.iter().map(AnyMessage::type_name).collect();
        assert_eq!(types, json_strings(&side["messageTypes"]), "{name}");
        let lengths: Vec<u64> = frame.buffers.iter().map(|b| b.len() as u64).collect();
        let expected: Vec<u64> = side["binaryBufferLengths"]
            .as_array()
            .expect("lengths")
            .iter()
            .filter_map(Json::as_u64)
            .collect();
        assert_eq!(lengths, expected, "{name}");

        // Same messages and timestamp through our encoder: the msgpack
        // payload must be viser's. Python passes ints into some float fields
        // (`order=1`), which we widen, so numbers compare by value; every
        // key, its order, and every other byte must match.
        let ours = encode_frame(&frame.messages, frame.timestamp_sec).expect("encodes");
        let payload = |f: &[u8]| {
            let len = u64::from_le_bytes(f[..8].try_into().expect("8 bytes")) as usize;
            let clen = u64::from_le_bytes(f[8..16].try_into().expect("8 bytes")) as usize;
            zstd::bulk::decompress(&f[16..16 + clen], len).expect("zstd")
        };
        let ours_payload = payload(&ours);
        let theirs_payload = payload(&bytes);
        let ours_tree: Value = rmp_serde::from_slice(&ours_payload).expect("our msgpack");
        let theirs_tree: Value = rmp_serde::from_slice(&theirs_payload).expect("viser's msgpack");
        if let Err(path) = same_value(&ours_tree, &theirs_tree, String::new()) {
            panic!("{name}: payload differs from viser's at {path}");
        }
        let again = decode_frame(Bytes::from(ours)).expect("decodes");
        assert_eq!(again.messages, frame.messages, "{name}");
        assert_eq!(again.buffers, frame.buffers, "{name}");
    }
}

#[test]
fn a_browser_style_client_message_decodes_leniently() {
    let msg = viser4d_proto::decode_client_message(&read("client_viewer_camera.msgpack"))
        .expect("decodes");
    let AnyMessage::Viser(Message::ViewerCameraMessage(camera)) = msg else {
        panic!("expected a ViewerCameraMessage, got {msg:?}");
    };
    // Integers on the wire where Python declares floats.
    assert_eq!(camera.position, [3.0, 3.0, 3.0]);
    assert_eq!(camera.far, 1000.0);
    assert_eq!(camera.image_width, 1280);
}

/// Structural equality where numbers compare by value (1 == 1.0) and maps
/// must have the same keys in the same order. `Err` names the first path
/// that differs.
fn same_value(a: &Value, b: &Value, path: String) -> Result<(), String> {
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => {
            let keys = |m: &[(String, Value)]| m.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
            if keys(x) != keys(y) {
                return Err(format!("{path}: keys {:?} vs {:?}", keys(x), keys(y)));
            }
            x.iter()
                .zip(y)
                .try_for_each(|((k, v), (_, w))| same_value(v, w, format!("{path}.{k}")))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .try_for_each(|(i, (v, w))| same_value(v, w, format!("{path}[{i}]"))),
        _ if a.as_f64().is_some() && a.as_f64() == b.as_f64() => Ok(()),
        _ if a == b => Ok(()),
        _ => Err(format!("{path}: {a:?} vs {b:?}")),
    }
}
