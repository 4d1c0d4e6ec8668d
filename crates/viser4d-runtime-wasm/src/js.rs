//! Between value trees and JavaScript objects: what viser's queue holds
//! (plain objects, numeric arrays as typed-array views) and what
//! `sendMessage` takes.

use std::cell::RefCell;
use std::collections::HashMap;

use bytes::Bytes;
use js_sys::{
    Array, Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Object, Reflect,
    Uint8Array, Uint16Array, Uint32Array,
};
use viser4d_proto::{Dtype, TypedArray, Value};
use wasm_bindgen::{JsCast, JsValue};

/// Longest string kept in the cache below.
const MAX_CACHED_LEN: usize = 64;
/// Most strings kept; the cache is dropped whole when it fills.
const MAX_CACHED: usize = 16_384;

thread_local! {
    /// JavaScript copies of short strings: field names, message types and
    /// node names repeat in every step, and crossing the wasm boundary
    /// with a fresh string each time was a large part of applying a step.
    static STRINGS: RefCell<HashMap<String, JsValue>> = RefCell::new(HashMap::new());
}

fn js_string(s: &str) -> JsValue {
    if s.len() > MAX_CACHED_LEN {
        return JsValue::from_str(s);
    }
    STRINGS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(v) = cache.get(s) {
            return v.clone();
        }
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        let v = JsValue::from_str(s);
        cache.insert(s.to_owned(), v.clone());
        v
    })
}

/// A value tree as a JavaScript value. Numeric arrays become typed arrays
/// of their own kind (a copy out of wasm memory, aligned for the view).
pub fn to_js(value: &Value) -> JsValue {
    match value {
        Value::Nil => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        // JavaScript numbers are doubles; viser's own decoder does the same.
        Value::Int(i) => JsValue::from_f64(*i as f64),
        Value::UInt(u) => JsValue::from_f64(*u as f64),
        Value::Float(f) => JsValue::from_f64(*f),
        Value::Str(s) => js_string(s),
        Value::Bin(b) => Uint8Array::from(b.as_ref()).into(),
        Value::Array(items) => {
            let array = Array::new_with_length(items.len() as u32);
            for (i, item) in items.iter().enumerate() {
                array.set(i as u32, to_js(item));
            }
            array.into()
        }
        Value::Map(entries) => {
            let object = Object::new();
            for (k, v) in entries {
                // Setting a property on a fresh plain object cannot fail.
                let _ = Reflect::set(&object, &js_string(k), &to_js(v));
            }
            object.into()
        }
        Value::Typed(t) => typed_to_js(t),
    }
}

fn typed_to_js(t: &TypedArray) -> JsValue {
    let bytes = Uint8Array::from(t.bytes().as_ref());
    let buffer = bytes.buffer();
    let n = t.len() as u32;
    match t.dtype() {
        Dtype::U8 => bytes.into(),
        Dtype::F16 | Dtype::U16 => {
            Uint16Array::new_with_byte_offset_and_length(&buffer, 0, n).into()
        }
        Dtype::F32 => Float32Array::new_with_byte_offset_and_length(&buffer, 0, n).into(),
        Dtype::F64 => Float64Array::new_with_byte_offset_and_length(&buffer, 0, n).into(),
        Dtype::U32 => Uint32Array::new_with_byte_offset_and_length(&buffer, 0, n).into(),
        Dtype::I8 => Int8Array::new_with_byte_offset_and_length(&buffer, 0, n).into(),
        Dtype::I16 => Int16Array::new_with_byte_offset_and_length(&buffer, 0, n).into(),
        Dtype::I32 => Int32Array::new_with_byte_offset_and_length(&buffer, 0, n).into(),
    }
}

/// A JavaScript value (a message from viser's queue) as a value tree.
/// Typed arrays become byte arrays (`|u1`); functions and symbols `Nil`.
pub fn from_js(value: &JsValue, depth: usize) -> Value {
    if depth > 64 || value.is_null() || value.is_undefined() {
        return Value::Nil;
    }
    if let Some(b) = value.as_bool() {
        return Value::Bool(b);
    }
    if let Some(f) = value.as_f64() {
        if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
            return Value::Int(f as i64);
        }
        if f.fract() == 0.0 && f >= 0.0 && f < 1.844_674_407_370_955_2e19 {
            // A large whole number (a byte budget): keep it unsigned.
            return Value::UInt(f as u64);
        }
        return Value::Float(f);
    }
    if let Some(s) = value.as_string() {
        return Value::Str(s);
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return Value::Typed(TypedArray::from_u8(Bytes::from(bytes.to_vec())));
    }
    if js_sys::ArrayBuffer::is_view(value) {
        // Another typed array: its bytes, under the dtype its kind means
        // (`Uint16Array` may hold half floats; it comes back as `<u2`).
        let dtype = if value.is_instance_of::<Float32Array>() {
            Dtype::F32
        } else if value.is_instance_of::<Float64Array>() {
            Dtype::F64
        } else if value.is_instance_of::<Uint16Array>() {
            Dtype::U16
        } else if value.is_instance_of::<Uint32Array>() {
            Dtype::U32
        } else if value.is_instance_of::<Int8Array>() {
            Dtype::I8
        } else if value.is_instance_of::<Int16Array>() {
            Dtype::I16
        } else if value.is_instance_of::<Int32Array>() {
            Dtype::I32
        } else {
            Dtype::U8
        };
        let view: &js_sys::Object = value.unchecked_ref();
        let buffer = Reflect::get(view, &"buffer".into()).unwrap_or(JsValue::UNDEFINED);
        let number = |key: &str| {
            Reflect::get(view, &key.into())
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0)
        };
        let (offset, length) = (number("byteOffset"), number("byteLength"));
        if let Some(buffer) = buffer.dyn_ref::<js_sys::ArrayBuffer>() {
            let bytes =
                Uint8Array::new_with_byte_offset_and_length(buffer, offset as u32, length as u32);
            return TypedArray::new(dtype, Bytes::from(bytes.to_vec()))
                .map(Value::Typed)
                .unwrap_or(Value::Nil);
        }
        return Value::Nil;
    }
    if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        return Value::Array(array.iter().map(|v| from_js(&v, depth + 1)).collect());
    }
    if value.is_object() {
        let object: &Object = value.unchecked_ref();
        let entries = Object::entries(object);
        let mut out = Vec::with_capacity(entries.length() as usize);
        for entry in entries.iter() {
            let pair: Array = entry.unchecked_into();
            if let Some(key) = pair.get(0).as_string() {
                out.push((key, from_js(&pair.get(1), depth + 1)));
            }
        }
        return Value::Map(out);
    }
    Value::Nil
}
