//! Point clouds: positions (sent as float16 by default, as viser does,
//! which halves their size) and one color or a color per point.

use std::ops::Deref;

use viser4d_proto::messages::{
    PointCloudMessage, PointCloudProps, PointCloudPropsPointShading, PointCloudPropsPointShape,
    PointCloudPropsPrecision, Scale,
};
use viser4d_proto::{Message, TypedArray, Value};

use crate::error::{Result, ServerError};
use crate::scene::setters::{literal_setter, scale_setter};
use crate::scene::{Pose, SceneApi, SceneNodeHandle};
use crate::validate;

/// Colors of a point cloud.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PointColors<'a> {
    /// One color for every point.
    Uniform([u8; 3]),
    /// One color per point (as many as there are points).
    PerPoint(&'a [[u8; 3]]),
}

/// How positions travel to the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PointPrecision {
    /// IEEE half floats: half the bytes, about 3 significant digits.
    #[default]
    Float16,
    /// Full `f32`.
    Float32,
}

/// Options of [`SceneApi::add_point_cloud`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct PointCloudOptions {
    /// Point size, in world units.
    pub point_size: f64,
    /// Shape of each point.
    pub point_shape: PointCloudPropsPointShape,
    /// Position precision on the wire.
    pub precision: PointPrecision,
    /// Shading of each point.
    pub point_shading: PointCloudPropsPointShading,
    /// Uniform or per-axis scale.
    pub scale: Scale,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for PointCloudOptions {
    fn default() -> PointCloudOptions {
        PointCloudOptions {
            point_size: 0.1,
            point_shape: PointCloudPropsPointShape::Square,
            precision: PointPrecision::Float16,
            point_shading: PointCloudPropsPointShading::Gradient,
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

/// A point cloud.
#[derive(Debug, Clone)]
pub struct PointCloudHandle {
    node: SceneNodeHandle,
    precision: PointPrecision,
}

impl Deref for PointCloudHandle {
    type Target = SceneNodeHandle;
    fn deref(&self) -> &SceneNodeHandle {
        &self.node
    }
}

impl SceneApi {
    /// Adds a point cloud. Positions must be finite; per-point colors must
    /// match the number of points.
    pub fn add_point_cloud(
        &self,
        name: &str,
        points: &[[f32; 3]],
        colors: PointColors<'_>,
        options: PointCloudOptions,
    ) -> Result<PointCloudHandle> {
        validate::non_negative("point_size", options.point_size)?;
        validate::check_scale(&options.scale)?;
        let positions = encode_points(points, options.precision)?;
        let colors = encode_colors(colors, points.len())?;
        let node = self.add_node(name, &options.pose, |name, owner| {
            Message::from(PointCloudMessage {
                name,
                owner,
                r#virtual: false,
                props: PointCloudProps {
                    points: positions,
                    colors,
                    point_size: options.point_size,
                    point_shape: options.point_shape,
                    precision: match options.precision {
                        PointPrecision::Float16 => PointCloudPropsPrecision::Float16,
                        PointPrecision::Float32 => PointCloudPropsPrecision::Float32,
                    },
                    scale: options.scale,
                    point_shading: options.point_shading,
                },
            })
        })?;
        Ok(PointCloudHandle {
            node,
            precision: options.precision,
        })
    }
}

impl PointCloudHandle {
    /// Replaces the positions (same precision as at creation).
    pub fn set_points(&self, points: &[[f32; 3]]) -> Result<()> {
        let positions = encode_points(points, self.precision)?;
        self.set_prop("points", Value::Typed(positions))
    }

    /// Replaces the colors; per-point colors must be as many as `count`
    /// (the number of points the cloud now has).
    pub fn set_colors(&self, colors: PointColors<'_>, count: usize) -> Result<()> {
        self.set_prop("colors", Value::Typed(encode_colors(colors, count)?))
    }

    /// Sets the point size.
    pub fn set_point_size(&self, point_size: f64) -> Result<()> {
        validate::non_negative("point_size", point_size)?;
        self.set_prop("point_size", Value::Float(point_size))
    }
}

literal_setter!(
    PointCloudHandle,
    /// Sets the shape drawn for each point.
    set_point_shape,
    "point_shape",
    PointCloudPropsPointShape
);
literal_setter!(
    PointCloudHandle,
    /// Sets the shading of each point.
    set_point_shading,
    "point_shading",
    PointCloudPropsPointShading
);
scale_setter!(PointCloudHandle);

fn encode_points(points: &[[f32; 3]], precision: PointPrecision) -> Result<TypedArray> {
    let not_finite = |i: usize, what: &str| {
        ServerError::invalid("points", format!("point {i} is {:?}, {what}", points[i]))
    };
    match precision {
        PointPrecision::Float32 => {
            if let Some(i) = points.iter().position(|p| p.iter().any(|c| !c.is_finite())) {
                return Err(not_finite(i, "not finite"));
            }
            Ok(TypedArray::from_vec3_f32(points))
        }
        PointPrecision::Float16 => {
            let halves = f32_to_f16_slice(points.as_flattened());
            // One check covers NaN, infinities, and values past float16's
            // range (which would arrive as infinities).
            if let Some(i) = halves.iter().position(|h| !h.is_finite()) {
                return Err(not_finite(
                    i / 3,
                    "not finite or beyond float16's range (use Float32 precision)",
                ));
            }
            Ok(f16_array(halves))
        }
    }
}

/// The halves as a `<f2` array, without copying them: the vector becomes
/// the array's buffer (its bytes are already the little-endian wire form).
#[cfg(target_endian = "little")]
fn f16_array(halves: Vec<half::f16>) -> TypedArray {
    struct HalfBytes(Vec<half::f16>);
    impl AsRef<[u8]> for HalfBytes {
        fn as_ref(&self) -> &[u8] {
            bytemuck::cast_slice(&self.0)
        }
    }
    TypedArray::from_f16_bytes(bytes::Bytes::from_owner(HalfBytes(halves)))
}

#[cfg(target_endian = "big")]
fn f16_array(halves: Vec<half::f16>) -> TypedArray {
    let bits: Vec<u16> = halves.iter().map(|h| h.to_bits()).collect();
    TypedArray::from_f16_bits(&bits)
}

/// Bulk `f32` to IEEE half conversion: the `half` crate uses the CPU's F16C
/// instructions when present, which is what keeps a million-point cloud
/// near memcpy speed (the scalar loop was three quarters of the send time).
pub(crate) fn f32_to_f16_slice(values: &[f32]) -> Vec<half::f16> {
    use half::slice::HalfFloatSliceExt;
    let mut halves = vec![half::f16::ZERO; values.len()];
    halves.convert_from_f32_slice(values);
    halves
}

fn encode_colors(colors: PointColors<'_>, count: usize) -> Result<TypedArray> {
    match colors {
        PointColors::Uniform(c) => Ok(TypedArray::from_u8(c.to_vec())),
        PointColors::PerPoint(c) if c.len() == count => Ok(TypedArray::from_rgb_u8(c)),
        PointColors::PerPoint(c) => Err(ServerError::invalid(
            "colors",
            format!("{} colors for {count} points", c.len()),
        )),
    }
}

/// One `f32` to IEEE half bits, rounding to nearest even; out-of-range
/// values become infinity, as numpy's `astype(float16)` does. For values
/// interleaved with other data (gaussian splats); whole arrays go through
/// [`f32_to_f16_slice`].
pub(crate) fn f32_to_f16_bits(value: f32) -> u16 {
    half::f16::from_f32(value).to_bits()
}

#[cfg(test)]
mod tests {
    use super::f32_to_f16_bits;

    #[test]
    fn bulk_conversion_matches_the_scalar_one() {
        let values: Vec<f32> = (0..10_000)
            .map(|i| (i as f32 - 5000.0) * 0.37)
            .chain([1e-8, 6.0e-8, 65520.0])
            .collect();
        let bulk = super::f32_to_f16_slice(&values);
        for (v, h) in values.iter().zip(&bulk) {
            assert_eq!(h.to_bits(), f32_to_f16_bits(*v), "{v}");
        }
    }

    #[test]
    fn half_floats_match_numpy() {
        for (v, bits) in [
            (0.0f32, 0x0000u16),
            (-0.0, 0x8000),
            (1.0, 0x3c00),
            (-2.0, 0xc000),
            (0.5, 0x3800),
            (65504.0, 0x7bff),
            (65520.0, 0x7c00),
            (1e-8, 0x0000),
            (6.0e-8, 0x0001),
            (0.1, 0x2e66),
            (f32::INFINITY, 0x7c00),
        ] {
            assert_eq!(f32_to_f16_bits(v), bits, "{v}");
        }
        assert_eq!(f32_to_f16_bits(f32::NAN) & 0x7c00, 0x7c00);
    }
}
