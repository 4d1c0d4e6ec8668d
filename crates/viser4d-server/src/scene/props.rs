//! Wire encoders for the property values shared by the node kinds:
//! colors, scales, shadows, surfaces and numeric arrays, encoded the way
//! viser puts them on the wire (tuples as msgpack arrays, literals as
//! strings, arrays as binary buffers).
//!
//! The checks these values must pass are in [`crate::validate`]; the
//! setter macros handles share are in [`crate::scene::setters`].

use viser4d_proto::messages::{Lod, ReceiveShadow, Scale};
use viser4d_proto::{TypedArray, Value};

use crate::error::{Result, ServerError};
use crate::validate;

/// One color for every item, or one color per item (per point, arrow,
/// instance, ...: as many as there are items).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Colors<'a> {
    /// One color for every item.
    Uniform([u8; 3]),
    /// One color per item.
    PerItem(&'a [[u8; 3]]),
}

impl Colors<'_> {
    /// The number of per-item colors, or `None` for a uniform color.
    pub(crate) fn per_item_len(&self) -> Option<usize> {
        match self {
            Colors::Uniform(_) => None,
            Colors::PerItem(c) => Some(c.len()),
        }
    }

    /// The `|u1` array viser sends: shape `(3,)` or `(count, 3)`.
    pub(crate) fn encode(&self, argument: &'static str, count: usize) -> Result<TypedArray> {
        match *self {
            Colors::Uniform(c) => Ok(TypedArray::from_u8(c.to_vec())),
            Colors::PerItem(c) if c.len() == count => Ok(TypedArray::from_rgb_u8(c)),
            Colors::PerItem(c) => Err(ServerError::invalid(
                argument,
                format!("{} colors for {count} items", c.len()),
            )),
        }
    }
}

/// An RGB triple as viser sends it (a tuple of ints).
pub(crate) fn rgb_value(color: [u8; 3]) -> Value {
    Value::Array(color.iter().map(|&c| Value::Int(i64::from(c))).collect())
}

/// A tuple of floats.
pub(crate) fn floats_value(values: &[f64]) -> Value {
    Value::Array(values.iter().map(|&v| Value::Float(v)).collect())
}

/// One of viser's literal strings.
pub(crate) fn str_value(literal: &str) -> Value {
    Value::Str(literal.to_owned())
}

pub(crate) fn scale_value(scale: &Scale) -> Value {
    match scale {
        Scale::Uniform(s) => Value::Float(*s),
        Scale::PerAxis(xyz) => floats_value(xyz),
    }
}

pub(crate) fn receive_shadow_value(receive_shadow: &ReceiveShadow) -> Value {
    match receive_shadow {
        ReceiveShadow::Enabled(b) => Value::Bool(*b),
        ReceiveShadow::Opacity(o) => Value::Float(*o),
    }
}

pub(crate) fn opacity_value(opacity: Option<f64>) -> Value {
    opacity.map_or(Value::Nil, Value::Float)
}

pub(crate) fn lod_value(lod: &Lod) -> Value {
    match lod {
        Lod::Mode(mode) => str_value(mode.as_str()),
        Lod::Levels(levels) => Value::Array(levels.iter().map(|l| floats_value(l)).collect()),
    }
}

/// A `<f4` array of 3-vectors whose components are all finite.
pub(crate) fn encode_vec3(argument: &'static str, values: &[[f32; 3]]) -> Result<TypedArray> {
    validate::check_vec3(argument, values)?;
    Ok(TypedArray::from_vec3_f32(values))
}

/// A `<f4` array of line segments (shape `(N, 2, 3)`), all finite.
pub(crate) fn encode_segments(
    argument: &'static str,
    segments: &[[[f32; 3]; 2]],
) -> Result<TypedArray> {
    let points = segments.as_flattened();
    match points.iter().position(|v| v.iter().any(|c| !c.is_finite())) {
        None => Ok(TypedArray::from_vec3_f32(points)),
        Some(i) => Err(ServerError::invalid(
            argument,
            format!("segment {} has {:?}, not finite", i / 2, points[i]),
        )),
    }
}

/// A `<u4` array of triangles (shape `(F, 3)`). Returns it with the
/// number of vertices the faces need (the largest index plus one).
pub(crate) fn encode_faces(faces: &[[u32; 3]]) -> (TypedArray, usize) {
    let needed = faces.iter().flatten().max().map_or(0, |&i| i as usize + 1);
    (TypedArray::from_u32(faces.as_flattened()), needed)
}

/// A `<f4` array of quaternions (shape `(N, 4)`): finite and not zero.
pub(crate) fn encode_quaternions(argument: &'static str, wxyzs: &[[f32; 4]]) -> Result<TypedArray> {
    if let Some(i) = wxyzs
        .iter()
        .position(|q| q.iter().any(|c| !c.is_finite()) || q.iter().all(|&c| c == 0.0))
    {
        return Err(ServerError::invalid(
            argument,
            format!(
                "quaternion {i} is {:?}, not a finite non-zero rotation",
                wxyzs[i]
            ),
        ));
    }
    Ok(TypedArray::from_f32(wxyzs.as_flattened()))
}

/// Floats that must be finite and within `[min, max]`, as a `<f4` array.
pub(crate) fn encode_bounded_f32(
    argument: &'static str,
    values: &[f32],
    min: f32,
    max: f32,
) -> Result<TypedArray> {
    match values.iter().position(|v| !(min..=max).contains(v)) {
        None => Ok(TypedArray::from_f32(values)),
        Some(i) => Err(ServerError::invalid(
            argument,
            format!("element {i} is {}, not in [{min}, {max}]", values[i]),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_must_match_the_item_count() {
        let two = [[1, 2, 3], [4, 5, 6]];
        assert!(Colors::PerItem(&two).encode("colors", 2).is_ok());
        assert!(Colors::PerItem(&two).encode("colors", 3).is_err());
        let uniform = Colors::Uniform([7, 8, 9]).encode("colors", 100);
        assert_eq!(uniform.ok().map(|a| a.len()), Some(3));
    }

    #[test]
    fn faces_report_the_vertices_they_need() {
        let (array, needed) = encode_faces(&[[0, 1, 2], [2, 3, 0]]);
        assert_eq!(needed, 4);
        assert_eq!(array.to_u32_vec(), Some(vec![0, 1, 2, 2, 3, 0]));
        assert_eq!(encode_faces(&[]).1, 0);
    }

    #[test]
    fn arrays_are_checked() {
        assert!(encode_vec3("points", &[[0.0, f32::INFINITY, 0.0]]).is_err());
        assert!(encode_quaternions("wxyzs", &[[0.0; 4]]).is_err());
        assert!(encode_bounded_f32("o", &[0.5, 1.5], 0.0, 1.0).is_err());
        assert!(encode_segments("points", &[[[0.0; 3], [f32::NAN, 0.0, 0.0]]]).is_err());
    }

    #[test]
    fn values_encode_like_python() {
        assert_eq!(
            scale_value(&Scale::PerAxis([1.0, 2.0, 3.0])),
            Value::Array(vec![
                Value::Float(1.0),
                Value::Float(2.0),
                Value::Float(3.0)
            ])
        );
        assert_eq!(
            rgb_value([1, 2, 3]),
            Value::Array(vec![Value::Int(1), Value::Int(2), Value::Int(3)])
        );
        assert_eq!(opacity_value(None), Value::Nil);
        assert_eq!(
            receive_shadow_value(&ReceiveShadow::Opacity(0.5)),
            Value::Float(0.5)
        );
    }
}
