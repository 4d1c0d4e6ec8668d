//! Numeric arrays that travel as out-of-band binary buffers.
//!
//! viser never puts a numpy array inside its msgpack: the array's bytes go
//! after the payload and the field holds `{"__binary_index": i, "dtype": s}`.
//! [`TypedArray`] is that field. Which side of the placeholder we are on is
//! decided by [`crate::buffers`]: while a frame or file is being encoded the
//! array's bytes are collected (a refcount bump, never a copy); while one is
//! being decoded the placeholder resolves to a zero-copy slice of the frame.

use std::fmt;

use bytes::Bytes;
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::buffers;

/// Key of a binary placeholder, exactly as viser's client tests for it.
pub const BINARY_INDEX_KEY: &str = "__binary_index";
/// Key holding the numpy dtype string of a binary placeholder.
pub const DTYPE_KEY: &str = "dtype";
/// Key of our own inline form, used when no buffer collector is active
/// (for example when a timeline block is encoded on its own). viser never
/// produces it.
pub const INLINE_DATA_KEY: &str = "__viser4d_inline";

/// The numpy dtype strings the viser 1.1.1 client turns into typed arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// `<f2`: IEEE half floats, delivered to JS as raw `Uint16Array` bits.
    F16,
    /// `<f4`
    F32,
    /// `<f8`
    F64,
    /// `|u1`
    U8,
    /// `<u2`
    U16,
    /// `<u4`
    U32,
    /// `|i1`
    I8,
    /// `<i2`
    I16,
    /// `<i4`
    I32,
}

impl Dtype {
    /// All dtypes the client knows.
    pub const ALL: [Dtype; 9] = [
        Dtype::F16,
        Dtype::F32,
        Dtype::F64,
        Dtype::U8,
        Dtype::U16,
        Dtype::U32,
        Dtype::I8,
        Dtype::I16,
        Dtype::I32,
    ];

    /// The numpy dtype string (`"<f4"`, `"|u1"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Dtype::F16 => "<f2",
            Dtype::F32 => "<f4",
            Dtype::F64 => "<f8",
            Dtype::U8 => "|u1",
            Dtype::U16 => "<u2",
            Dtype::U32 => "<u4",
            Dtype::I8 => "|i1",
            Dtype::I16 => "<i2",
            Dtype::I32 => "<i4",
        }
    }

    /// Parses a numpy dtype string; `None` for one the client does not know.
    pub fn parse(s: &str) -> Option<Dtype> {
        Dtype::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Bytes per element.
    pub fn item_size_bytes(self) -> usize {
        match self {
            Dtype::U8 | Dtype::I8 => 1,
            Dtype::F16 | Dtype::U16 | Dtype::I16 => 2,
            Dtype::F32 | Dtype::U32 | Dtype::I32 => 4,
            Dtype::F64 => 8,
        }
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The byte length of an array does not fit its dtype.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{len_bytes} bytes is not a whole number of {dtype} elements ({item} bytes each)", item = dtype.item_size_bytes())]
pub struct TypedArrayLengthError {
    /// The dtype asked for.
    pub dtype: Dtype,
    /// The byte length given.
    pub len_bytes: usize,
}

/// A flat little-endian numeric array plus its dtype. Cloning is cheap
/// (the bytes are reference counted). It carries no shape: like the viser
/// client, readers infer the shape from the field's meaning.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TypedArray {
    dtype: Dtype,
    data: Bytes,
}

macro_rules! from_numbers {
    ($(#[$doc:meta] $name:ident, $t:ty, $dtype:expr;)*) => {$(
        #[$doc]
        pub fn $name(values: &[$t]) -> TypedArray {
            const N: usize = std::mem::size_of::<$t>();
            // Fixed-size chunks let the compiler vectorize this into
            // (close to) a memcpy on little-endian targets.
            let mut data = vec![0u8; values.len() * N];
            for (out, v) in data.chunks_exact_mut(N).zip(values) {
                out.copy_from_slice(&v.to_le_bytes());
            }
            TypedArray { dtype: $dtype, data: Bytes::from(data) }
        }
    )*};
}

macro_rules! to_numbers {
    ($(#[$doc:meta] $name:ident, $t:ty, [$($dtype:pat_param)|+];)*) => {$(
        #[$doc]
        pub fn $name(&self) -> Option<Vec<$t>> {
            if !matches!(self.dtype, $($dtype)|+) {
                return None;
            }
            const N: usize = std::mem::size_of::<$t>();
            Some(
                self.data
                    .chunks_exact(N)
                    .map(|c| {
                        let mut b = [0u8; N];
                        b.copy_from_slice(c);
                        <$t>::from_le_bytes(b)
                    })
                    .collect(),
            )
        }
    )*};
}

impl TypedArray {
    /// Wraps bytes that already hold little-endian elements of `dtype`.
    pub fn new(dtype: Dtype, data: impl Into<Bytes>) -> Result<TypedArray, TypedArrayLengthError> {
        let data = data.into();
        if data.len() % dtype.item_size_bytes() != 0 {
            return Err(TypedArrayLengthError {
                dtype,
                len_bytes: data.len(),
            });
        }
        Ok(TypedArray { dtype, data })
    }

    from_numbers! {
        /// A `<f4` array.
        from_f32, f32, Dtype::F32;
        /// A `<f8` array.
        from_f64, f64, Dtype::F64;
        /// A `<u2` array.
        from_u16, u16, Dtype::U16;
        /// A `<u4` array.
        from_u32, u32, Dtype::U32;
        /// A `|i1` array.
        from_i8, i8, Dtype::I8;
        /// A `<i2` array.
        from_i16, i16, Dtype::I16;
        /// A `<i4` array.
        from_i32, i32, Dtype::I32;
    }

    /// A `<f2` array from raw IEEE half-float bit patterns.
    pub fn from_f16_bits(bits: &[u16]) -> TypedArray {
        TypedArray {
            dtype: Dtype::F16,
            ..TypedArray::from_u16(bits)
        }
    }

    /// A `<f2` array from bytes that already hold little-endian IEEE half
    /// floats (an odd trailing byte is dropped rather than misread).
    pub fn from_f16_bytes(data: Bytes) -> TypedArray {
        let whole = data.len() & !1;
        TypedArray {
            dtype: Dtype::F16,
            data: data.slice(..whole),
        }
    }

    /// A `|u1` array.
    pub fn from_u8(values: impl Into<Bytes>) -> TypedArray {
        TypedArray {
            dtype: Dtype::U8,
            data: values.into(),
        }
    }

    /// A `<f4` array of 3-vectors, flattened row-major (shape `(N, 3)`).
    pub fn from_vec3_f32(values: &[[f32; 3]]) -> TypedArray {
        TypedArray::from_f32(values.as_flattened())
    }

    /// A `|u1` array of RGB triples, flattened row-major (shape `(N, 3)`).
    pub fn from_rgb_u8(values: &[[u8; 3]]) -> TypedArray {
        TypedArray {
            dtype: Dtype::U8,
            data: Bytes::from(values.as_flattened().to_vec()),
        }
    }

    to_numbers! {
        /// The elements as `f32`, if the dtype is `<f4`.
        to_f32_vec, f32, [Dtype::F32];
        /// The elements as `f64`, if the dtype is `<f8`.
        to_f64_vec, f64, [Dtype::F64];
        /// The elements (or raw half-float bits) as `u16`, if the dtype is `<u2` or `<f2`.
        to_u16_vec, u16, [Dtype::U16 | Dtype::F16];
        /// The elements as `u32`, if the dtype is `<u4`.
        to_u32_vec, u32, [Dtype::U32];
        /// The elements as `i32`, if the dtype is `<i4`.
        to_i32_vec, i32, [Dtype::I32];
    }

    /// The dtype.
    pub fn dtype(&self) -> Dtype {
        self.dtype
    }

    /// The raw little-endian bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.data
    }

    /// Consumes the array, returning its bytes.
    pub fn into_bytes(self) -> Bytes {
        self.data
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len() / self.dtype.item_size_bytes()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl fmt::Debug for TypedArray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TypedArray({}, {} elements)", self.dtype, self.len())
    }
}

impl Serialize for TypedArray {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        match buffers::collect(&self.data) {
            Some(index) => {
                map.serialize_entry(BINARY_INDEX_KEY, &index)?;
            }
            None => {
                map.serialize_entry(INLINE_DATA_KEY, serde_bytes::Bytes::new(&self.data))?;
            }
        }
        map.serialize_entry(DTYPE_KEY, self.dtype.as_str())?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for TypedArray {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TypedArrayVisitor)
    }
}

struct TypedArrayVisitor;

impl<'de> Visitor<'de> for TypedArrayVisitor {
    type Value = TypedArray;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a binary array placeholder {\"__binary_index\", \"dtype\"} or bytes")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<TypedArray, E> {
        Ok(TypedArray::from_u8(Bytes::copy_from_slice(v)))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<TypedArray, E> {
        Ok(TypedArray::from_u8(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TypedArray, A::Error> {
        let mut index: Option<u64> = None;
        let mut dtype: Option<String> = None;
        let mut inline: Option<serde_bytes::ByteBuf> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                BINARY_INDEX_KEY => index = Some(map.next_value()?),
                DTYPE_KEY => dtype = Some(map.next_value()?),
                INLINE_DATA_KEY => inline = Some(map.next_value()?),
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        let dtype_str = dtype.ok_or_else(|| de::Error::missing_field(DTYPE_KEY))?;
        let dtype = Dtype::parse(&dtype_str)
            .ok_or_else(|| de::Error::custom(format_args!("unknown dtype {dtype_str:?}")))?;
        let data = match (index, inline) {
            (Some(i), _) => buffers::resolve(i).map_err(de::Error::custom)?,
            (None, Some(b)) => Bytes::from(b.into_vec()),
            (None, None) => return Err(de::Error::missing_field(BINARY_INDEX_KEY)),
        };
        TypedArray::new(dtype, data).map_err(de::Error::custom)
    }
}
