//! Tables over the generated message types: dispatch by `type` tag, the
//! field names serde actually uses (for the drift test), and serialization
//! with `type` as the last key, which is where viser puts it.

use std::fmt;

use serde::de::{self, Visitor};
use serde::ser::{self, Impossible, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

use crate::messages::Message;
use crate::value::{Value, ValueError};

/// One message class: its `type` tag, how to decode it, its wire fields.
#[derive(Clone, Copy)]
pub(crate) struct MessageType {
    pub name: &'static str,
    pub decode: fn(Value) -> Result<Message, ValueError>,
}

/// One struct-like wire type (message, props dataclass, TypedDict).
#[derive(Clone, Copy)]
pub(crate) struct WireStruct {
    pub name: &'static str,
    pub fields: fn() -> Vec<&'static str>,
}

/// The wire names of every message class, in `_messages.py` order.
pub fn message_type_names() -> impl ExactSizeIterator<Item = &'static str> {
    crate::messages::generated::MESSAGE_TYPES
        .iter()
        .map(|m| m.name)
}

/// Every struct-like wire type by Python class name with the field names
/// serde reads and writes for it, in declaration order. The drift test
/// compares this with `_messages.py`.
pub fn wire_structs() -> Vec<(&'static str, Vec<&'static str>)> {
    crate::messages::generated::WIRE_STRUCTS
        .iter()
        .map(|s| (s.name, (s.fields)()))
        .collect()
}

pub(crate) fn lookup(type_name: &str) -> Option<&'static MessageType> {
    crate::messages::generated::MESSAGE_TYPES
        .iter()
        .find(|m| m.name == type_name)
}

/// The field names serde's derive uses for `T`, read by asking `T` to
/// deserialize itself from a probe that records them. This sees renames and
/// any later edit of the Rust type, which a hand-kept list would not.
pub(crate) fn fields_of<'de, T: Deserialize<'de>>() -> Vec<&'static str> {
    match T::deserialize(FieldProbe) {
        Err(ProbeResult::Fields(fields)) => fields.to_vec(),
        Err(ProbeResult::NotAStruct) | Ok(_) => Vec::new(),
    }
}

#[derive(Debug)]
enum ProbeResult {
    Fields(&'static [&'static str]),
    NotAStruct,
}

impl fmt::Display for ProbeResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for ProbeResult {}

impl de::Error for ProbeResult {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        ProbeResult::NotAStruct
    }
}

struct FieldProbe;

impl<'de> de::Deserializer<'de> for FieldProbe {
    type Error = ProbeResult;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ProbeResult> {
        Err(ProbeResult::NotAStruct)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, ProbeResult> {
        Err(ProbeResult::Fields(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

impl Message {
    /// Decodes a message from a value tree, dispatching on its `type`.
    pub fn from_value(value: Value) -> Result<Message, crate::DecodeError> {
        let Some(type_name) = value.get("type").and_then(Value::as_str) else {
            return Err(match value {
                Value::Map(_) => crate::DecodeError::MissingType,
                other => crate::DecodeError::NotAMap {
                    found: other.kind(),
                },
            });
        };
        let Some(entry) = lookup(type_name) else {
            return Err(crate::DecodeError::UnknownType(type_name.to_owned()));
        };
        (entry.decode)(value).map_err(|source| crate::DecodeError::Field {
            type_name: entry.name,
            path: source.path_string(),
            message: source.message,
        })
    }

    /// Encodes this message alone as msgpack (arrays inline, in our own
    /// inline form). Frames and files use their own codecs instead.
    pub fn to_msgpack(&self) -> Result<Vec<u8>, crate::EncodeError> {
        rmp_serde::to_vec_named(self).map_err(|e| crate::EncodeError::Msgpack(e.to_string()))
    }
}

/// Serializes `value` (a struct) with one more field, `type`, after its own.
pub(crate) fn serialize_type_last<T: Serialize, S: Serializer>(
    value: &T,
    type_name: &'static str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    value.serialize(TypeLast {
        inner: serializer,
        type_name,
    })
}

struct TypeLast<S> {
    inner: S,
    type_name: &'static str,
}

struct TypeLastStruct<S: SerializeStruct> {
    inner: S,
    type_name: &'static str,
}

impl<S: SerializeStruct> SerializeStruct for TypeLastStruct<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        self.inner.serialize_field(key, value)
    }

    fn end(mut self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_field("type", self.type_name)?;
        self.inner.end()
    }
}

fn not_a_struct<E: ser::Error>() -> E {
    E::custom("a viser message must serialize as a struct")
}

macro_rules! reject {
    ($($method:ident($($arg:ty),*);)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<S::Ok, S::Error> {
            Err(not_a_struct())
        }
    )*};
}

impl<S: Serializer> Serializer for TypeLast<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = TypeLastStruct<S::SerializeStruct>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(TypeLastStruct {
            inner: self.inner.serialize_struct(name, len + 1)?,
            type_name: self.type_name,
        })
    }

    reject! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_str(&str); serialize_bytes(&[u8]); serialize_none(); serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Err(not_a_struct())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        Err(not_a_struct())
    }
}
