//! Coordinate frames: axes plus an origin sphere.

use std::ops::Deref;

use viser4d_proto::messages::{FrameMessage, FrameProps, Scale};
use viser4d_proto::{Message, Value};

use crate::error::Result;
use crate::scene::{Pose, SceneApi, SceneNodeHandle};
use crate::validate;

/// Options of [`SceneApi::add_frame`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameOptions {
    /// Draw the axes and origin sphere (false: an invisible grouping frame).
    pub show_axes: bool,
    /// Length of each axis.
    pub axes_length: f64,
    /// Radius of each axis.
    pub axes_radius: f64,
    /// Radius of the origin sphere; `None` is twice `axes_radius`.
    pub origin_radius: Option<f64>,
    /// Color of the origin sphere.
    pub origin_color: [u8; 3],
    /// Uniform scale.
    pub scale: f64,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for FrameOptions {
    fn default() -> FrameOptions {
        FrameOptions {
            show_axes: true,
            axes_length: 0.5,
            axes_radius: 0.025,
            origin_radius: None,
            origin_color: [236, 236, 0],
            scale: 1.0,
            pose: Pose::default(),
        }
    }
}

/// A coordinate frame.
#[derive(Debug, Clone)]
pub struct FrameHandle(SceneNodeHandle);

impl Deref for FrameHandle {
    type Target = SceneNodeHandle;
    fn deref(&self) -> &SceneNodeHandle {
        &self.0
    }
}

impl SceneApi {
    /// Adds a coordinate frame.
    pub fn add_frame(&self, name: &str, options: FrameOptions) -> Result<FrameHandle> {
        validate::non_negative("axes_length", options.axes_length)?;
        validate::non_negative("axes_radius", options.axes_radius)?;
        validate::non_negative("scale", options.scale)?;
        let origin_radius = options.origin_radius.unwrap_or(2.0 * options.axes_radius);
        validate::non_negative("origin_radius", origin_radius)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(FrameMessage {
                name,
                owner,
                r#virtual: false,
                props: FrameProps {
                    show_axes: options.show_axes,
                    axes_length: options.axes_length,
                    axes_radius: options.axes_radius,
                    origin_radius,
                    origin_color: options.origin_color,
                    scale: Scale::Uniform(options.scale),
                },
            })
        })
        .map(FrameHandle)
    }
}

impl FrameHandle {
    /// Shows or hides the axes.
    pub fn set_show_axes(&self, show_axes: bool) -> Result<()> {
        self.set_prop("show_axes", Value::Bool(show_axes))
    }

    /// Sets the axis length.
    pub fn set_axes_length(&self, axes_length: f64) -> Result<()> {
        validate::non_negative("axes_length", axes_length)?;
        self.set_prop("axes_length", Value::Float(axes_length))
    }

    /// Sets the axis radius.
    pub fn set_axes_radius(&self, axes_radius: f64) -> Result<()> {
        validate::non_negative("axes_radius", axes_radius)?;
        self.set_prop("axes_radius", Value::Float(axes_radius))
    }

    /// Sets the origin color.
    pub fn set_origin_color(&self, color: [u8; 3]) -> Result<()> {
        self.set_prop("origin_color", rgb_value(color))
    }
}

/// An RGB triple as viser sends it (a tuple of ints).
pub(crate) fn rgb_value(color: [u8; 3]) -> Value {
    Value::Array(color.iter().map(|&c| Value::Int(i64::from(c))).collect())
}
