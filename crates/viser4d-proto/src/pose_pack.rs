//! Msgpack written by hand for the messages a recording makes most often:
//! a node's position, orientation and visibility. Each is a name, a few
//! numbers and an owner; serde's generic path (struct walk, tuple
//! buffering, type-last wrapper) cost several times the bytes' own writing
//! and was a fifth of recording a scene of poses.
//!
//! The bytes must equal what `rmp_serde` writes for the same message with
//! struct maps and the `type` field last (the tests below and the
//! `timeline` tests compare them), since the timeline compares payloads as
//! bytes.

use bytes::Bytes;

use crate::messages::{
    Message, SetOrientationMessage, SetPositionMessage, SetSceneNodeVisibilityMessage,
};

/// The packed message, if it is one of the kinds written here.
pub(crate) fn pack(message: &Message) -> Option<Bytes> {
    Some(match message {
        Message::SetPositionMessage(m) => pack_position(&m.name, &m.owner, &m.position),
        Message::SetOrientationMessage(m) => pack_orientation(&m.name, &m.owner, &m.wxyz),
        Message::SetSceneNodeVisibilityMessage(m) => pack_visibility(&m.name, &m.owner, m.visible),
        _ => return None,
    })
}

/// A `SetPositionMessage` packed as [`pack`](crate::timeline::pack) packs
/// it, from its fields (a caller recording a pose need not build the
/// message).
pub fn pack_position(name: &str, owner: &str, position: &[f64; 3]) -> Bytes {
    write(
        (name, owner, SetPositionMessage::TYPE),
        floats_len("position", 3),
        |w| w.key_floats("position", position),
    )
}

/// A `SetOrientationMessage` packed as [`pack`](crate::timeline::pack)
/// packs it, from its fields.
pub fn pack_orientation(name: &str, owner: &str, wxyz: &[f64; 4]) -> Bytes {
    write(
        (name, owner, SetOrientationMessage::TYPE),
        floats_len("wxyz", 4),
        |w| w.key_floats("wxyz", wxyz),
    )
}

/// A `SetSceneNodeVisibilityMessage` packed as
/// [`pack`](crate::timeline::pack) packs it, from its fields.
pub fn pack_visibility(name: &str, owner: &str, visible: bool) -> Bytes {
    write(
        (name, owner, SetSceneNodeVisibilityMessage::TYPE),
        str_len("visible") + 1,
        |w| w.key_bool("visible", visible),
    )
}

/// Bytes of a msgpack string's marker and length.
fn str_header_len(len: usize) -> usize {
    match len {
        0..32 => 1,
        32..256 => 2,
        256..65_536 => 3,
        _ => 5,
    }
}

fn str_len(s: &str) -> usize {
    str_header_len(s.len()) + s.len()
}

/// The middle field of each kind: its key and value.
struct Field<'a> {
    out: &'a mut Vec<u8>,
}

impl Field<'_> {
    fn key_floats(&mut self, key: &str, values: &[f64]) {
        put_str(self.out, key);
        // Arrays here are 3 or 4 long: a fixarray.
        debug_assert!(values.len() < 16);
        self.out.push(0x90 | values.len() as u8);
        for v in values {
            self.out.push(0xcb);
            self.out.extend_from_slice(&v.to_be_bytes());
        }
    }

    fn key_bool(&mut self, key: &str, value: bool) {
        put_str(self.out, key);
        self.out.push(if value { 0xc3 } else { 0xc2 });
    }
}

/// Bytes of a key and a fixarray of `n` f64s.
fn floats_len(key: &str, n: usize) -> usize {
    str_len(key) + 1 + n * 9
}

/// `{name, <field>, owner, type}`, sized exactly (the middle field takes
/// `field_len`) so the buffer becomes `Bytes` without another allocation
/// or copy.
fn write(
    (name, owner, type_name): (&str, &str, &str),
    field_len: usize,
    field: impl FnOnce(&mut Field<'_>),
) -> Bytes {
    let len = 1
        + str_len("name")
        + str_len(name)
        + field_len
        + str_len("owner")
        + str_len(owner)
        + str_len("type")
        + str_len(type_name);
    let mut out = Vec::with_capacity(len);
    out.push(0x84);
    put_str(&mut out, "name");
    put_str(&mut out, name);
    field(&mut Field { out: &mut out });
    put_str(&mut out, "owner");
    put_str(&mut out, owner);
    put_str(&mut out, "type");
    put_str(&mut out, type_name);
    debug_assert_eq!(out.len(), len);
    Bytes::from(out)
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let len = s.len();
    // Lengths past u32 cannot reach here: a node name that long is refused
    // long before (and would not fit a websocket frame).
    match len {
        0..32 => out.push(0xa0 | len as u8),
        32..256 => out.extend_from_slice(&[0xd9, len as u8]),
        256..65_536 => {
            out.push(0xda);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0xdb);
            out.extend_from_slice(&(u32::try_from(len).unwrap_or(u32::MAX)).to_be_bytes());
        }
    }
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Serialize as _;

    use super::*;

    fn by_serde(message: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        let result = message.serialize(&mut rmp_serde::Serializer::new(&mut out).with_struct_map());
        assert!(result.is_ok(), "{result:?}");
        out
    }

    /// "" (the root's name in a global default), then "/", "/n", ...
    fn name_of_len(len: usize) -> String {
        match len {
            0 => String::new(),
            _ => format!("/{}", "n".repeat(len - 1)),
        }
    }

    proptest! {
        #[test]
        fn poses_and_flags_pack_as_serde_packs_them(
            name_len in prop_oneof![0usize..40, 250usize..300, 65_530usize..65_540],
            owner in "[0-9]{0,3}",
            position in prop::array::uniform3(any::<f64>()),
            wxyz in prop::array::uniform4(any::<f64>()),
            visible in any::<bool>(),
        ) {
            let name = name_of_len(name_len);
            for message in [
                Message::from(SetPositionMessage { name: name.clone(), position, owner: owner.clone() }),
                Message::from(SetOrientationMessage { name: name.clone(), wxyz, owner: owner.clone() }),
                Message::from(SetSceneNodeVisibilityMessage { name: name.clone(), visible, owner: owner.clone() }),
            ] {
                let expected = by_serde(&message);
                let packed = pack(&message);
                prop_assert_eq!(packed.as_deref(), Some(expected.as_slice()));
            }
        }
    }

    #[test]
    fn other_kinds_are_left_to_serde() {
        let message = Message::from(crate::messages::RemoveSceneNodeMessage {
            name: "/a".into(),
            owner: String::new(),
        });
        assert!(pack(&message).is_none());
    }
}
