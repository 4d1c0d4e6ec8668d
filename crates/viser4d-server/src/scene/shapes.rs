//! Solid primitives the client builds itself: boxes, icospheres and
//! cylinders. Only their parameters travel, not their triangles.

use viser4d_proto::messages::{
    BoxMessage, BoxProps, CylinderMessage, CylinderProps, IcosphereMessage, IcosphereProps,
    Material, ReceiveShadow, Scale, Side,
};
use viser4d_proto::{Message, Value};

use crate::error::{Result, ServerError};
use crate::scene::props;
use crate::scene::setters::{
    color_setter, float_setter, node_handle, scale_setter, shadow_setters, surface_setters,
};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// The look shared by the primitives (and meshes), with viser's defaults
/// except `flat_shading`, which each kind sets.
macro_rules! surface_options {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty = $default:expr,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)*
            /// Draw as a wireframe (material and flat shading are then
            /// ignored).
            pub wireframe: bool,
            /// Opacity in [0, 1]; `None` is opaque.
            pub opacity: Option<f64>,
            /// Material.
            pub material: Material,
            /// Which side of the faces is drawn.
            pub side: Side,
            /// Whether the node casts shadows.
            pub cast_shadow: bool,
            /// Whether the node receives shadows, or a fixed shadow opacity.
            pub receive_shadow: ReceiveShadow,
            /// Scale.
            pub scale: Scale,
            /// Initial pose and visibility.
            pub pose: Pose,
        }

        impl Default for $name {
            fn default() -> $name {
                $name {
                    $($field: $default,)*
                    wireframe: false,
                    opacity: None,
                    material: Material::Standard,
                    side: Side::Front,
                    cast_shadow: true,
                    receive_shadow: ReceiveShadow::Enabled(true),
                    scale: Scale::Uniform(1.0),
                    pose: Pose::default(),
                }
            }
        }

        impl $name {
            fn check_surface(&self) -> Result<()> {
                validate::check_opacity(self.opacity)?;
                validate::check_receive_shadow(&self.receive_shadow)?;
                validate::check_scale(&self.scale)
            }
        }
    };
}

surface_options!(
    /// Options of [`SceneApi::add_box`], with viser's defaults.
    BoxOptions {
        /// Color.
        color: [u8; 3] = [255, 0, 0],
        /// Size along x, y and z.
        dimensions: [f64; 3] = [1.0, 1.0, 1.0],
        /// Flat (per-face) shading.
        flat_shading: bool = true,
    }
);

surface_options!(
    /// Options of [`SceneApi::add_icosphere`], with viser's defaults.
    IcosphereOptions {
        /// Radius.
        radius: f64 = 1.0,
        /// Color.
        color: [u8; 3] = [255, 0, 0],
        /// How many times the icosahedron's faces are subdivided.
        subdivisions: u32 = 3,
        /// Flat (per-face) shading.
        flat_shading: bool = false,
    }
);

surface_options!(
    /// Options of [`SceneApi::add_cylinder`], with viser's defaults.
    CylinderOptions {
        /// Radius.
        radius: f64 = 1.0,
        /// Height.
        height: f64 = 1.0,
        /// Color.
        color: [u8; 3] = [255, 0, 0],
        /// Number of faces around the circumference (at least 3).
        radial_segments: u32 = 32,
        /// Flat (per-face) shading.
        flat_shading: bool = false,
    }
);

node_handle!(
    /// A box.
    BoxHandle
);
node_handle!(
    /// An icosphere.
    IcosphereHandle
);
node_handle!(
    /// A cylinder.
    CylinderHandle
);

fn check_dimensions(dimensions: &[f64; 3]) -> Result<()> {
    dimensions
        .iter()
        .try_for_each(|&d| validate::non_negative("dimensions", d))
}

fn check_radial_segments(radial_segments: u32) -> Result<()> {
    if radial_segments >= 3 {
        Ok(())
    } else {
        Err(ServerError::invalid(
            "radial_segments",
            format!("{radial_segments} is fewer than 3"),
        ))
    }
}

impl SceneApi {
    /// Adds a box centered on its origin.
    pub fn add_box(&self, name: &str, options: BoxOptions) -> Result<BoxHandle> {
        options.check_surface()?;
        check_dimensions(&options.dimensions)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(BoxMessage {
                name,
                owner,
                r#virtual: false,
                props: BoxProps {
                    dimensions: options.dimensions,
                    color: options.color,
                    wireframe: options.wireframe,
                    opacity: options.opacity,
                    flat_shading: options.flat_shading,
                    side: options.side,
                    material: options.material,
                    cast_shadow: options.cast_shadow,
                    receive_shadow: options.receive_shadow,
                    scale: options.scale,
                },
            })
        })
        .map(BoxHandle)
    }

    /// Adds an icosphere (a subdivided icosahedron) centered on its origin.
    pub fn add_icosphere(&self, name: &str, options: IcosphereOptions) -> Result<IcosphereHandle> {
        options.check_surface()?;
        validate::non_negative("radius", options.radius)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(IcosphereMessage {
                name,
                owner,
                r#virtual: false,
                props: IcosphereProps {
                    radius: options.radius,
                    subdivisions: i64::from(options.subdivisions),
                    color: options.color,
                    wireframe: options.wireframe,
                    opacity: options.opacity,
                    flat_shading: options.flat_shading,
                    side: options.side,
                    material: options.material,
                    cast_shadow: options.cast_shadow,
                    receive_shadow: options.receive_shadow,
                    scale: options.scale,
                },
            })
        })
        .map(IcosphereHandle)
    }

    /// Adds a cylinder centered on its origin.
    pub fn add_cylinder(&self, name: &str, options: CylinderOptions) -> Result<CylinderHandle> {
        options.check_surface()?;
        validate::non_negative("radius", options.radius)?;
        validate::non_negative("height", options.height)?;
        check_radial_segments(options.radial_segments)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(CylinderMessage {
                name,
                owner,
                r#virtual: false,
                props: CylinderProps {
                    radius: options.radius,
                    height: options.height,
                    color: options.color,
                    radial_segments: i64::from(options.radial_segments),
                    wireframe: options.wireframe,
                    opacity: options.opacity,
                    flat_shading: options.flat_shading,
                    side: options.side,
                    material: options.material,
                    cast_shadow: options.cast_shadow,
                    receive_shadow: options.receive_shadow,
                    scale: options.scale,
                },
            })
        })
        .map(CylinderHandle)
    }
}

impl BoxHandle {
    /// Sets the size along x, y and z.
    pub fn set_dimensions(&self, dimensions: [f64; 3]) -> Result<()> {
        check_dimensions(&dimensions)?;
        self.set_prop("dimensions", props::floats_value(&dimensions))
    }
}

impl IcosphereHandle {
    /// Sets the number of subdivisions.
    pub fn set_subdivisions(&self, subdivisions: u32) -> Result<()> {
        self.set_prop("subdivisions", Value::Int(i64::from(subdivisions)))
    }
}

impl CylinderHandle {
    /// Sets the number of faces around the circumference (at least 3).
    pub fn set_radial_segments(&self, radial_segments: u32) -> Result<()> {
        check_radial_segments(radial_segments)?;
        self.set_prop("radial_segments", Value::Int(i64::from(radial_segments)))
    }
}

float_setter!(IcosphereHandle, /// Sets the radius.
    set_radius, "radius", validate::non_negative);
float_setter!(CylinderHandle, /// Sets the radius.
    set_radius, "radius", validate::non_negative);
float_setter!(CylinderHandle, /// Sets the height.
    set_height, "height", validate::non_negative);

color_setter!(BoxHandle);
surface_setters!(BoxHandle);
shadow_setters!(BoxHandle);
scale_setter!(BoxHandle);
color_setter!(IcosphereHandle);
surface_setters!(IcosphereHandle);
shadow_setters!(IcosphereHandle);
scale_setter!(IcosphereHandle);
color_setter!(CylinderHandle);
surface_setters!(CylinderHandle);
shadow_setters!(CylinderHandle);
scale_setter!(CylinderHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn primitives_use_viser_defaults() -> Result<()> {
        let h = Harness::new()?;
        h.scene.add_box("/box", BoxOptions::default())?;
        h.scene.add_icosphere("/ico", IcosphereOptions::default())?;
        let cylinder = h.scene.add_cylinder("/cyl", CylinderOptions::default())?;
        let sent = h.sent();
        assert!(sent.iter().any(|m| matches!(
            m,
            Message::BoxMessage(b) if b.props.flat_shading && b.props.color == [255, 0, 0]
        )));
        assert!(sent.iter().any(|m| matches!(
            m,
            Message::IcosphereMessage(i) if i.props.subdivisions == 3
        )));
        assert!(sent.iter().any(|m| matches!(
            m,
            Message::CylinderMessage(c) if c.props.radial_segments == 32
        )));
        assert!(cylinder.set_radial_segments(2).is_err());
        cylinder.set_receive_shadow(ReceiveShadow::Opacity(0.3))?;
        assert_eq!(
            h.updates(),
            [(
                "/cyl".to_owned(),
                "receive_shadow".to_owned(),
                Value::Float(0.3)
            )]
        );
        let bad = BoxOptions {
            dimensions: [1.0, -2.0, 1.0],
            ..BoxOptions::default()
        };
        assert!(h.scene.add_box("/bad", bad).is_err());
        let bad = IcosphereOptions {
            opacity: Some(2.0),
            ..IcosphereOptions::default()
        };
        assert!(h.scene.add_icosphere("/bad", bad).is_err());
        Ok(())
    }
}
