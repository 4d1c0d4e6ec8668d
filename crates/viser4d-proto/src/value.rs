//! An ordered msgpack value tree, for the parts of the protocol that are
//! dynamic: `updates` dicts, uplot/theme configuration, messages of a
//! `type` we do not model, and the first pass of decoding (the `type` tag
//! of a viser message comes *last* in its map, so a message is read into a
//! [`Value`] before it can be dispatched to its Rust type).
//!
//! Maps keep their order so that re-encoding reproduces the input.

use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::typed_array::{BINARY_INDEX_KEY, DTYPE_KEY, INLINE_DATA_KEY, TypedArray};

/// A msgpack value. Numeric arrays are [`Value::Typed`], never a map.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `nil` (Python `None`).
    Nil,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer too large for `i64`.
    UInt(u64),
    /// A float (msgpack float32 widens to this).
    Float(f64),
    /// A UTF-8 string.
    Str(String),
    /// msgpack `bin` (Python `bytes`).
    Bin(Bytes),
    /// An array.
    Array(Vec<Value>),
    /// A map with string keys, in wire order.
    Map(Vec<(String, Value)>),
    /// A numeric array carried as a binary buffer.
    Typed(TypedArray),
}

impl Value {
    /// The entry `key` of a map, if this is a map and has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number as `f64`, if this is an integer or a float.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(i as f64),
            Value::UInt(u) => Some(u as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }

    /// A short name of the variant, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::UInt(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Bin(_) => "bin",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
            Value::Typed(_) => "typed array",
        }
    }

    /// Converts any serializable value (for example a message) to a tree.
    /// Numeric arrays stay [`Value::Typed`].
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Value, ValueError> {
        // Round-trip through msgpack with a collector active, so arrays keep
        // their bytes out of band and come back as `Typed` without copying.
        let (bytes, buffers) = crate::buffers::collecting(crate::buffers::Dedup::No, || {
            rmp_serde::to_vec_named(value)
        });
        let bytes = bytes.map_err(|e| ValueError::new(e.to_string()))?;
        crate::buffers::with_table(buffers, || crate::msgpack::from_slice(&bytes))
            .map_err(|e: rmp_serde::decode::Error| ValueError::new(e.to_string()))
    }
}

impl From<TypedArray> for Value {
    fn from(t: TypedArray) -> Value {
        Value::Typed(t)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Nil => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::UInt(u) => s.serialize_u64(*u),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Str(v) => s.serialize_str(v),
            Value::Bin(b) => s.serialize_bytes(b),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Value::Typed(t) => t.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any msgpack value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::UInt(v), Value::Int))
    }
    fn visit_f32<E>(self, v: f32) -> Result<Value, E> {
        Ok(Value::Float(f64::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bin(Bytes::copy_from_slice(v)))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bin(Bytes::from(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        // Cap the pre-allocation: the length hint comes from untrusted input.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(String, Value)> =
            Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(key) = map.next_key::<MapKey>()? {
            entries.push((key.0, map.next_value()?));
        }
        if is_array_placeholder(&entries) {
            // Same shape test as viser's client: both keys present. Outside
            // a frame or file there is nothing to resolve an index against,
            // so such a map stays a map (a typed field will then reject it).
            let typed = TypedArray::deserialize(Value::Map(entries)).map_err(de::Error::custom)?;
            return Ok(Value::Typed(typed));
        }
        Ok(Value::Map(entries))
    }
}

fn is_array_placeholder(entries: &[(String, Value)]) -> bool {
    let has = |k: &str| entries.iter().any(|(key, _)| key == k);
    entries.len() == 2
        && has(DTYPE_KEY)
        && (has(INLINE_DATA_KEY) || (has(BINARY_INDEX_KEY) && crate::buffers::table_active()))
}

/// Map keys are strings in every viser message; integer keys (which some
/// encoders produce for Python dicts with int keys) are kept as their
/// decimal text rather than rejected.
struct MapKey(String);

impl<'de> Deserialize<'de> for MapKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MapKey, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = MapKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or integer map key")
            }
            fn visit_str<E>(self, v: &str) -> Result<MapKey, E> {
                Ok(MapKey(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<MapKey, E> {
                Ok(MapKey(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<MapKey, E> {
                Ok(MapKey(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<MapKey, E> {
                Ok(MapKey(v.to_string()))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<MapKey, E> {
                String::from_utf8(v.to_vec())
                    .map(MapKey)
                    .map_err(|_| E::custom("map key is bytes that are not UTF-8"))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

/// Why a [`Value`] did not fit a Rust type; `path` names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// Field names and array indices from the outermost value inwards.
    pub path: Vec<String>,
    /// What was wrong.
    pub message: String,
}

impl ValueError {
    fn new(message: impl Into<String>) -> ValueError {
        ValueError {
            path: Vec::new(),
            message: message.into(),
        }
    }

    fn within(mut self, segment: impl Into<String>) -> ValueError {
        self.path.insert(0, segment.into());
        self
    }

    /// The path as `props.points` / `bindings[2].button`.
    pub fn path_string(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            if seg.starts_with('[') || out.is_empty() {
                out.push_str(seg);
            } else {
                out.push('.');
                out.push_str(seg);
            }
        }
        out
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "field `{}`: {}", self.path_string(), self.message)
        }
    }
}

impl std::error::Error for ValueError {}

impl de::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> ValueError {
        ValueError::new(msg.to_string())
    }
}

impl Value {
    fn unexpected(&self) -> de::Unexpected<'_> {
        match self {
            Value::Nil => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Int(i) => de::Unexpected::Signed(*i),
            Value::UInt(u) => de::Unexpected::Unsigned(*u),
            Value::Float(f) => de::Unexpected::Float(*f),
            Value::Str(s) => de::Unexpected::Str(s),
            Value::Bin(b) => de::Unexpected::Bytes(b),
            Value::Array(_) => de::Unexpected::Seq,
            Value::Map(_) | Value::Typed(_) => de::Unexpected::Map,
        }
    }

    /// An integral float where an integer is expected: JavaScript has one
    /// number type, so `3.0` and `3` are the same value to the client.
    fn integral(&self) -> Option<Value> {
        match *self {
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
                Some(Value::Int(f as i64))
            }
            _ => None,
        }
    }
}

/// Reading a Rust type out of a tree: integers are accepted where floats
/// are expected (serde's float impls already do that), integral floats
/// where integers are expected, and every error names its field.
impl<'de> Deserializer<'de> for Value {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Nil => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => visitor.visit_i64(i),
            Value::UInt(u) => visitor.visit_u64(u),
            Value::Float(f) => visitor.visit_f64(f),
            Value::Str(s) => visitor.visit_string(s),
            Value::Bin(b) => visitor.visit_byte_buf(b.into()),
            Value::Array(items) => visitor.visit_seq(SeqDeserializer {
                iter: items.into_iter(),
                index: 0,
            }),
            Value::Map(entries) => visitor.visit_map(MapDeserializer {
                iter: entries.into_iter(),
                pending: None,
            }),
            Value::Typed(t) => {
                // Hand the array over in our inline form: a zero-copy Bytes
                // clone that `TypedArray`'s visitor understands.
                let dtype = t.dtype().as_str().to_owned();
                let entries = vec![
                    (INLINE_DATA_KEY.to_owned(), Value::Bin(t.into_bytes())),
                    (DTYPE_KEY.to_owned(), Value::Str(dtype)),
                ];
                visitor.visit_map(MapDeserializer {
                    iter: entries.into_iter(),
                    pending: None,
                })
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Nil => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self {
            Value::Str(s) => visitor.visit_enum(s.into_deserializer()),
            other => Err(de::Error::invalid_type(other.unexpected(), &"a string")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Bin(b) => visitor.visit_byte_buf(b.into()),
            Value::Typed(t) => visitor.visit_byte_buf(t.into_bytes().into()),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.integral().unwrap_or(self).deserialize_any(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_i64(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool f32 f64 char str string unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any i128 u128
    }
}

struct SeqDeserializer {
    iter: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> SeqAccess<'de> for SeqDeserializer {
    type Error = ValueError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ValueError> {
        let Some(value) = self.iter.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(value)
            .map(Some)
            .map_err(|e| e.within(format!("[{index}]")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct MapDeserializer {
    iter: std::vec::IntoIter<(String, Value)>,
    pending: Option<(String, Value)>,
}

impl<'de> MapAccess<'de> for MapDeserializer {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        let Some((key, value)) = self.iter.next() else {
            return Ok(None);
        };
        let out = seed.deserialize(Value::Str(key.clone()))?;
        self.pending = Some((key, value));
        Ok(Some(out))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ValueError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(ValueError::new("map value requested before its key"));
        };
        seed.deserialize(value).map_err(|e| e.within(key))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}
