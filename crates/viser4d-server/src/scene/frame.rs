//! Coordinate frames: axes plus an origin sphere.

use viser4d_proto::messages::{FrameMessage, FrameProps, Scale};
use viser4d_proto::{Message, Value};

use crate::error::Result;
use crate::scene::setters::{node_handle, rgb_setter, scale_setter};
use crate::scene::{Pose, SceneApi};
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
    /// Uniform or per-axis scale.
    pub scale: Scale,
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
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// A coordinate frame.
    FrameHandle
);

impl SceneApi {
    /// Adds a coordinate frame.
    pub fn add_frame(&self, name: &str, options: FrameOptions) -> Result<FrameHandle> {
        validate::non_negative("axes_length", options.axes_length)?;
        validate::non_negative("axes_radius", options.axes_radius)?;
        validate::check_scale(&options.scale)?;
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
                    scale: options.scale,
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

    /// Sets the radius of the origin sphere.
    pub fn set_origin_radius(&self, origin_radius: f64) -> Result<()> {
        validate::non_negative("origin_radius", origin_radius)?;
        self.set_prop("origin_radius", Value::Float(origin_radius))
    }
}

rgb_setter!(
    FrameHandle,
    /// Sets the origin color.
    set_origin_color,
    "origin_color"
);
scale_setter!(FrameHandle);
