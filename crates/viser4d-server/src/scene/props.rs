//! Property values shared by the node kinds: colors, scales, shadows,
//! surfaces and numeric arrays, each checked and then encoded the way viser
//! puts it on the wire (tuples as msgpack arrays, literals as strings,
//! arrays as binary buffers).
//!
//! The setter macros at the end give every handle the same setters for the
//! properties many kinds share, with the same checks as at creation.

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

/// A finite value > 0.
pub(crate) fn positive(argument: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ServerError::invalid(
            argument,
            format!("{value} must be finite and > 0"),
        ))
    }
}

/// A finite value.
pub(crate) fn finite(argument: &'static str, value: f64) -> Result<()> {
    validate::finite(argument, &[value])
}

/// Scales may be uniform or per axis; each factor must be finite and >= 0.
pub(crate) fn check_scale(scale: &Scale) -> Result<()> {
    match scale {
        Scale::Uniform(s) => validate::non_negative("scale", *s),
        Scale::PerAxis(xyz) => xyz
            .iter()
            .try_for_each(|&s| validate::non_negative("scale", s)),
    }
}

pub(crate) fn scale_value(scale: &Scale) -> Value {
    match scale {
        Scale::Uniform(s) => Value::Float(*s),
        Scale::PerAxis(xyz) => floats_value(xyz),
    }
}

/// A fixed shadow opacity must lie in [0, 1].
pub(crate) fn check_receive_shadow(receive_shadow: &ReceiveShadow) -> Result<()> {
    match receive_shadow {
        ReceiveShadow::Enabled(_) => Ok(()),
        ReceiveShadow::Opacity(o) => validate::unit_interval("receive_shadow", *o),
    }
}

pub(crate) fn receive_shadow_value(receive_shadow: &ReceiveShadow) -> Value {
    match receive_shadow {
        ReceiveShadow::Enabled(b) => Value::Bool(*b),
        ReceiveShadow::Opacity(o) => Value::Float(*o),
    }
}

/// `None` (opaque) or a value in [0, 1].
pub(crate) fn check_opacity(opacity: Option<f64>) -> Result<()> {
    opacity.map_or(Ok(()), |o| validate::unit_interval("opacity", o))
}

pub(crate) fn opacity_value(opacity: Option<f64>) -> Value {
    opacity.map_or(Value::Nil, Value::Float)
}

/// Explicit levels are (distance, ratio) pairs: finite and >= 0.
pub(crate) fn check_lod(lod: &Lod) -> Result<()> {
    match lod {
        Lod::Mode(_) => Ok(()),
        Lod::Levels(levels) => levels
            .iter()
            .flatten()
            .try_for_each(|&v| validate::non_negative("lod", v)),
    }
}

pub(crate) fn lod_value(lod: &Lod) -> Value {
    match lod {
        Lod::Mode(mode) => str_value(mode.as_str()),
        Lod::Levels(levels) => Value::Array(levels.iter().map(|l| floats_value(l)).collect()),
    }
}

/// A `<f4` array of 3-vectors whose components are all finite.
pub(crate) fn encode_vec3(argument: &'static str, values: &[[f32; 3]]) -> Result<TypedArray> {
    check_vec3(argument, values)?;
    Ok(TypedArray::from_vec3_f32(values))
}

pub(crate) fn check_vec3(argument: &'static str, values: &[[f32; 3]]) -> Result<()> {
    match values.iter().position(|v| v.iter().any(|c| !c.is_finite())) {
        None => Ok(()),
        Some(i) => Err(ServerError::invalid(
            argument,
            format!("element {i} is {:?}, not finite", values[i]),
        )),
    }
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

/// Faces that need `needed` vertices must have them.
pub(crate) fn check_faces_fit(needed: usize, vertex_count: usize) -> Result<()> {
    if needed <= vertex_count {
        Ok(())
    } else {
        Err(ServerError::invalid(
            "faces",
            format!(
                "a face uses vertex index {}, but there are only {vertex_count} vertices",
                needed - 1
            ),
        ))
    }
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

/// The value `new` items must have to agree with what a node already has
/// under `key` (when it records one).
pub(crate) fn check_len(
    lengths: &std::collections::HashMap<&'static str, usize>,
    key: &'static str,
    argument: &'static str,
    new: usize,
) -> Result<()> {
    match lengths.get(key) {
        Some(&have) if have != new => Err(ServerError::invalid(
            argument,
            format!("{new} given where the node has {have} {key}"),
        )),
        _ => Ok(()),
    }
}

/// Declares a handle type: a newtype over [`SceneNodeHandle`] that
/// dereferences to it, so the pose, visibility, click and removal methods
/// come along.
///
/// [`SceneNodeHandle`]: crate::scene::SceneNodeHandle
macro_rules! node_handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub(crate) $crate::scene::SceneNodeHandle);

        impl std::ops::Deref for $name {
            type Target = $crate::scene::SceneNodeHandle;
            fn deref(&self) -> &$crate::scene::SceneNodeHandle {
                &self.0
            }
        }
    };
}
pub(crate) use node_handle;

/// `set_scale`.
macro_rules! scale_setter {
    ($handle:ty) => {
        impl $handle {
            /// Sets the scale: uniform, or per axis (x, y, z).
            pub fn set_scale(
                &self,
                scale: viser4d_proto::messages::Scale,
            ) -> $crate::error::Result<()> {
                $crate::scene::props::check_scale(&scale)?;
                self.set_prop("scale", $crate::scene::props::scale_value(&scale))
            }
        }
    };
}
pub(crate) use scale_setter;

/// `set_color`, for kinds with one `color`.
macro_rules! color_setter {
    ($handle:ty) => {
        impl $handle {
            /// Sets the color.
            pub fn set_color(&self, color: [u8; 3]) -> $crate::error::Result<()> {
                self.set_prop("color", $crate::scene::props::rgb_value(color))
            }
        }
    };
}
pub(crate) use color_setter;

/// `set_cast_shadow` and `set_receive_shadow` (bool or fixed opacity).
macro_rules! shadow_setters {
    ($handle:ty) => {
        impl $handle {
            /// Sets whether the node casts shadows.
            pub fn set_cast_shadow(&self, cast_shadow: bool) -> $crate::error::Result<()> {
                self.set_prop("cast_shadow", viser4d_proto::Value::Bool(cast_shadow))
            }

            /// Sets whether the node receives shadows, or a fixed shadow
            /// opacity in [0, 1].
            pub fn set_receive_shadow(
                &self,
                receive_shadow: viser4d_proto::messages::ReceiveShadow,
            ) -> $crate::error::Result<()> {
                $crate::scene::props::check_receive_shadow(&receive_shadow)?;
                self.set_prop(
                    "receive_shadow",
                    $crate::scene::props::receive_shadow_value(&receive_shadow),
                )
            }
        }
    };
}
pub(crate) use shadow_setters;

/// `set_wireframe`, `set_opacity`, `set_material`, `set_flat_shading` and
/// `set_side`, for mesh-like kinds.
macro_rules! surface_setters {
    ($handle:ty) => {
        impl $handle {
            /// Draws the node as a wireframe (material and flat shading are
            /// then ignored by the client).
            pub fn set_wireframe(&self, wireframe: bool) -> $crate::error::Result<()> {
                self.set_prop("wireframe", viser4d_proto::Value::Bool(wireframe))
            }

            /// Sets the opacity in [0, 1]; `None` is opaque.
            pub fn set_opacity(&self, opacity: Option<f64>) -> $crate::error::Result<()> {
                $crate::scene::props::check_opacity(opacity)?;
                self.set_prop("opacity", $crate::scene::props::opacity_value(opacity))
            }

            /// Sets the material.
            pub fn set_material(
                &self,
                material: viser4d_proto::messages::Material,
            ) -> $crate::error::Result<()> {
                self.set_prop(
                    "material",
                    $crate::scene::props::str_value(material.as_str()),
                )
            }

            /// Sets flat (per-face) shading.
            pub fn set_flat_shading(&self, flat_shading: bool) -> $crate::error::Result<()> {
                self.set_prop("flat_shading", viser4d_proto::Value::Bool(flat_shading))
            }

            /// Sets which side of the faces is drawn.
            pub fn set_side(
                &self,
                side: viser4d_proto::messages::Side,
            ) -> $crate::error::Result<()> {
                self.set_prop("side", $crate::scene::props::str_value(side.as_str()))
            }
        }
    };
}
pub(crate) use surface_setters;

/// `set_thickness` and `set_thickness_units`, for line-drawing kinds.
macro_rules! thickness_setters {
    ($handle:ty) => {
        impl $handle {
            /// Sets the line thickness (in the node's thickness units).
            pub fn set_thickness(&self, thickness: f64) -> $crate::error::Result<()> {
                $crate::validate::non_negative("thickness", thickness)?;
                self.set_prop("thickness", viser4d_proto::Value::Float(thickness))
            }

            /// Sets the units of the thickness: world units or screen pixels.
            pub fn set_thickness_units(
                &self,
                units: viser4d_proto::messages::SizeUnits,
            ) -> $crate::error::Result<()> {
                self.set_prop(
                    "thickness_units",
                    $crate::scene::props::str_value(units.as_str()),
                )
            }
        }
    };
}
pub(crate) use thickness_setters;

/// A setter of one float property checked by `$check` (a function of
/// `(argument, value)`).
macro_rules! float_setter {
    ($handle:ty, $(#[$doc:meta])* $setter:ident, $prop:literal, $check:path) => {
        impl $handle {
            $(#[$doc])*
            pub fn $setter(&self, value: f64) -> $crate::error::Result<()> {
                $check($prop, value)?;
                self.set_prop($prop, viser4d_proto::Value::Float(value))
            }
        }
    };
}
pub(crate) use float_setter;

/// A setter of one bool property.
macro_rules! bool_setter {
    ($handle:ty, $(#[$doc:meta])* $setter:ident, $prop:literal) => {
        impl $handle {
            $(#[$doc])*
            pub fn $setter(&self, value: bool) -> $crate::error::Result<()> {
                self.set_prop($prop, viser4d_proto::Value::Bool(value))
            }
        }
    };
}
pub(crate) use bool_setter;

/// A setter of one RGB property.
macro_rules! rgb_setter {
    ($handle:ty, $(#[$doc:meta])* $setter:ident, $prop:literal) => {
        impl $handle {
            $(#[$doc])*
            pub fn $setter(&self, color: [u8; 3]) -> $crate::error::Result<()> {
                self.set_prop($prop, $crate::scene::props::rgb_value(color))
            }
        }
    };
}
pub(crate) use rgb_setter;

/// A setter of one literal-string property (a generated enum with
/// `as_str`).
macro_rules! literal_setter {
    ($handle:ty, $(#[$doc:meta])* $setter:ident, $prop:literal, $ty:ty) => {
        impl $handle {
            $(#[$doc])*
            pub fn $setter(&self, value: $ty) -> $crate::error::Result<()> {
                self.set_prop($prop, $crate::scene::props::str_value(value.as_str()))
            }
        }
    };
}
pub(crate) use literal_setter;

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
        assert!(check_faces_fit(4, 4).is_ok());
        assert!(check_faces_fit(5, 4).is_err());
    }

    #[test]
    fn values_are_checked() {
        assert!(check_scale(&Scale::PerAxis([1.0, f64::NAN, 1.0])).is_err());
        assert!(check_scale(&Scale::Uniform(-1.0)).is_err());
        assert!(check_receive_shadow(&ReceiveShadow::Opacity(1.5)).is_err());
        assert!(check_opacity(Some(f64::NAN)).is_err());
        assert!(check_opacity(None).is_ok());
        assert!(check_lod(&Lod::Levels(vec![[1.0, -0.5]])).is_err());
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
