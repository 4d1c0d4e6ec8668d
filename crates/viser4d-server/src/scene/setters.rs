//! The macros that give handles their shared setters (scale, color,
//! shadows, surface, thickness and single-property setters), each with the
//! same checks as at creation.

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
                $crate::validate::check_scale(&scale)?;
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
                $crate::validate::check_receive_shadow(&receive_shadow)?;
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
                $crate::validate::check_opacity(opacity)?;
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
