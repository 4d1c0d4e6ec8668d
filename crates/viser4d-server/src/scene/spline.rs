//! Splines: smooth curves through points, Catmull-Rom or cubic Bezier. For
//! many curves, line segments are cheaper.

use viser4d_proto::messages::{
    CatmullRomSplineMessage, CatmullRomSplineProps, CatmullRomSplinePropsCurveType,
    CubicBezierSplineMessage, CubicBezierSplineProps, Scale, SizeUnits,
};
use viser4d_proto::{Message, TypedArray, Value};

use crate::error::{Result, ServerError};
use crate::scene::props;
use crate::scene::setters::{
    bool_setter, color_setter, float_setter, literal_setter, node_handle, scale_setter,
    thickness_setters,
};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// Options of [`SceneApi::add_spline_catmull_rom`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct CatmullRomOptions {
    /// Parametrization of the curve.
    pub curve_type: CatmullRomSplinePropsCurveType,
    /// Tension (used by the `Catmullrom` curve type).
    pub tension: f64,
    /// Close the curve into a loop.
    pub closed: bool,
    /// Line thickness, in `thickness_units`.
    pub thickness: f64,
    /// World units or screen pixels.
    pub thickness_units: SizeUnits,
    /// Color.
    pub color: [u8; 3],
    /// Number of line pieces to draw; `None` lets the client choose.
    pub segments: Option<u32>,
    /// Scale of the node.
    pub scale: Scale,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for CatmullRomOptions {
    fn default() -> CatmullRomOptions {
        CatmullRomOptions {
            curve_type: CatmullRomSplinePropsCurveType::Centripetal,
            tension: 0.5,
            closed: false,
            thickness: 0.01,
            thickness_units: SizeUnits::World,
            color: [20, 20, 20],
            segments: None,
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

/// Options of [`SceneApi::add_spline_cubic_bezier`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct CubicBezierOptions {
    /// Line thickness, in `thickness_units`.
    pub thickness: f64,
    /// World units or screen pixels.
    pub thickness_units: SizeUnits,
    /// Color.
    pub color: [u8; 3],
    /// Number of line pieces to draw; `None` lets the client choose.
    pub segments: Option<u32>,
    /// Scale of the node.
    pub scale: Scale,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for CubicBezierOptions {
    fn default() -> CubicBezierOptions {
        CubicBezierOptions {
            thickness: 0.01,
            thickness_units: SizeUnits::World,
            color: [20, 20, 20],
            segments: None,
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// A Catmull-Rom spline.
    CatmullRomSplineHandle
);
node_handle!(
    /// A cubic Bezier spline.
    CubicBezierSplineHandle
);

/// The recorded number of key points of a Bezier spline, which fixes the
/// number of control points.
const POINTS: &str = "points";

/// A curve needs two points to go anywhere.
fn encode_points(points: &[[f32; 3]]) -> Result<TypedArray> {
    if points.len() < 2 {
        return Err(ServerError::invalid(
            "points",
            format!("{} points; a spline needs at least 2", points.len()),
        ));
    }
    props::encode_vec3("points", points)
}

fn check_segments(segments: Option<u32>) -> Result<()> {
    match segments {
        Some(0) => Err(ServerError::invalid("segments", "must be at least 1")),
        _ => Ok(()),
    }
}

fn segments_value(segments: Option<u32>) -> Value {
    segments.map_or(Value::Nil, |s| Value::Int(i64::from(s)))
}

/// `2 * points - 2` control points: two between each pair of key points.
fn encode_control_points(control_points: &[[f32; 3]], points: usize) -> Result<TypedArray> {
    let expected = 2 * points.saturating_sub(1);
    if control_points.len() != expected {
        return Err(ServerError::invalid(
            "control_points",
            format!(
                "{} control points for {points} points; a cubic Bezier spline needs {expected}",
                control_points.len()
            ),
        ));
    }
    props::encode_vec3("control_points", control_points)
}

impl SceneApi {
    /// Adds a Catmull-Rom spline through `points` (at least 2).
    pub fn add_spline_catmull_rom(
        &self,
        name: &str,
        points: &[[f32; 3]],
        options: CatmullRomOptions,
    ) -> Result<CatmullRomSplineHandle> {
        validate::finite_value("tension", options.tension)?;
        validate::non_negative("thickness", options.thickness)?;
        check_segments(options.segments)?;
        validate::check_scale(&options.scale)?;
        let encoded = encode_points(points)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(CatmullRomSplineMessage {
                name,
                owner,
                r#virtual: false,
                props: CatmullRomSplineProps {
                    points: encoded,
                    curve_type: options.curve_type,
                    tension: options.tension,
                    closed: options.closed,
                    thickness: options.thickness,
                    color: options.color,
                    segments: options.segments.map(i64::from),
                    scale: options.scale,
                    thickness_units: options.thickness_units,
                },
            })
        })
        .map(CatmullRomSplineHandle)
    }

    /// Adds a cubic Bezier spline through `points` (at least 2), shaped by
    /// two control points between each pair of consecutive points
    /// (`2 * points.len() - 2` in all).
    pub fn add_spline_cubic_bezier(
        &self,
        name: &str,
        points: &[[f32; 3]],
        control_points: &[[f32; 3]],
        options: CubicBezierOptions,
    ) -> Result<CubicBezierSplineHandle> {
        validate::non_negative("thickness", options.thickness)?;
        check_segments(options.segments)?;
        validate::check_scale(&options.scale)?;
        let encoded_points = encode_points(points)?;
        let encoded_controls = encode_control_points(control_points, points.len())?;
        let lengths = [(POINTS, points.len())];
        self.add_node_with_lengths(name, &options.pose, &lengths, |name, owner| {
            Message::from(CubicBezierSplineMessage {
                name,
                owner,
                r#virtual: false,
                props: CubicBezierSplineProps {
                    points: encoded_points,
                    control_points: encoded_controls,
                    thickness: options.thickness,
                    color: options.color,
                    segments: options.segments.map(i64::from),
                    scale: options.scale,
                    thickness_units: options.thickness_units,
                },
            })
        })
        .map(CubicBezierSplineHandle)
    }
}

impl CatmullRomSplineHandle {
    /// Replaces the points (at least 2).
    pub fn set_points(&self, points: &[[f32; 3]]) -> Result<()> {
        self.set_prop("points", Value::Typed(encode_points(points)?))
    }

    /// Sets the number of line pieces; `None` lets the client choose.
    pub fn set_segments(&self, segments: Option<u32>) -> Result<()> {
        check_segments(segments)?;
        self.set_prop("segments", segments_value(segments))
    }
}

literal_setter!(CatmullRomSplineHandle, /// Sets the parametrization of the curve.
    set_curve_type, "curve_type", CatmullRomSplinePropsCurveType);
float_setter!(CatmullRomSplineHandle, /// Sets the tension.
    set_tension, "tension", validate::finite_value);
bool_setter!(CatmullRomSplineHandle, /// Closes the curve into a loop (or opens it).
    set_closed, "closed");
thickness_setters!(CatmullRomSplineHandle);
color_setter!(CatmullRomSplineHandle);
scale_setter!(CatmullRomSplineHandle);

impl CubicBezierSplineHandle {
    /// Replaces the key points, keeping their number (so the control
    /// points still fit); [`Self::set_curve`] changes both.
    pub fn set_points(&self, points: &[[f32; 3]]) -> Result<()> {
        let encoded = encode_points(points)?;
        self.set_props_checked(|lengths| {
            validate::check_len(lengths, POINTS, "points", points.len())?;
            Ok(vec![("points", Value::Typed(encoded))])
        })
    }

    /// Replaces the control points (`2 * points - 2` of them).
    pub fn set_control_points(&self, control_points: &[[f32; 3]]) -> Result<()> {
        self.set_props_checked(|lengths| {
            let points = lengths.get(POINTS).copied().unwrap_or(0);
            let encoded = encode_control_points(control_points, points)?;
            Ok(vec![("control_points", Value::Typed(encoded))])
        })
    }

    /// Replaces key points and control points together.
    pub fn set_curve(&self, points: &[[f32; 3]], control_points: &[[f32; 3]]) -> Result<()> {
        let encoded_points = encode_points(points)?;
        let encoded_controls = encode_control_points(control_points, points.len())?;
        self.set_props_checked(|lengths| {
            lengths.insert(POINTS, points.len());
            Ok(vec![
                ("points", Value::Typed(encoded_points)),
                ("control_points", Value::Typed(encoded_controls)),
            ])
        })
    }

    /// Sets the number of line pieces; `None` lets the client choose.
    pub fn set_segments(&self, segments: Option<u32>) -> Result<()> {
        check_segments(segments)?;
        self.set_prop("segments", segments_value(segments))
    }
}

thickness_setters!(CubicBezierSplineHandle);
color_setter!(CubicBezierSplineHandle);
scale_setter!(CubicBezierSplineHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    const POINTS3: [[f32; 3]; 3] = [[0.0; 3], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]];

    #[test]
    fn catmull_rom_needs_two_points() -> Result<()> {
        let h = Harness::new()?;
        let options = CatmullRomOptions::default;
        assert!(
            h.scene
                .add_spline_catmull_rom("/s", &POINTS3[..1], options())
                .is_err()
        );
        let spline = h.scene.add_spline_catmull_rom("/s", &POINTS3, options())?;
        assert!(matches!(
            h.sent().first(),
            Some(Message::CatmullRomSplineMessage(m)) if m.props.segments.is_none()
        ));
        spline.set_segments(Some(40))?;
        assert!(spline.set_segments(Some(0)).is_err());
        assert_eq!(
            h.updates(),
            [("/s".to_owned(), "segments".to_owned(), Value::Int(40))]
        );
        Ok(())
    }

    #[test]
    fn bezier_control_points_follow_the_points() -> Result<()> {
        let h = Harness::new()?;
        let controls = [[0.5, 0.0, 0.0]; 4];
        assert!(
            h.scene
                .add_spline_cubic_bezier("/b", &POINTS3, &controls[..3], Default::default())
                .is_err()
        );
        let spline =
            h.scene
                .add_spline_cubic_bezier("/b", &POINTS3, &controls, Default::default())?;
        assert!(spline.set_points(&POINTS3[..2]).is_err());
        assert!(spline.set_control_points(&controls[..2]).is_err());
        spline.set_curve(&POINTS3[..2], &controls[..2])?;
        spline.set_control_points(&controls[..2])?;
        spline.set_points(&POINTS3[1..])?;
        Ok(())
    }
}
