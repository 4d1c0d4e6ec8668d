//! Lights, as scene nodes: directional, ambient, hemisphere, point,
//! rectangular area and spot lights. They add to the default lights and
//! the environment map (see [`SceneApi::configure_default_lights`]).

use viser4d_proto::Message;
use viser4d_proto::messages::{
    AmbientLightMessage, AmbientLightProps, DirectionalLightMessage, DirectionalLightProps,
    HemisphereLightMessage, HemisphereLightProps, PointLightMessage, PointLightProps,
    RectAreaLightMessage, RectAreaLightProps, SpotLightMessage, SpotLightProps,
};

use crate::error::{Result, ServerError};
use crate::scene::props;
use crate::scene::setters::{bool_setter, float_setter, node_handle, rgb_setter};
use crate::scene::{Pose, SceneApi};
use crate::validate;

const WHITE: [u8; 3] = [255, 255, 255];

/// Options of [`SceneApi::add_light_directional`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectionalLightOptions {
    /// Color.
    pub color: [u8; 3],
    /// Intensity.
    pub intensity: f64,
    /// Whether the light casts shadows.
    pub cast_shadow: bool,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for DirectionalLightOptions {
    fn default() -> DirectionalLightOptions {
        DirectionalLightOptions {
            color: WHITE,
            intensity: 1.0,
            cast_shadow: false,
            pose: Pose::default(),
        }
    }
}

/// Options of [`SceneApi::add_light_ambient`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AmbientLightOptions {
    /// Color.
    pub color: [u8; 3],
    /// Intensity.
    pub intensity: f64,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for AmbientLightOptions {
    fn default() -> AmbientLightOptions {
        AmbientLightOptions {
            color: WHITE,
            intensity: 1.0,
            pose: Pose::default(),
        }
    }
}

/// Options of [`SceneApi::add_light_hemisphere`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct HemisphereLightOptions {
    /// Color from above.
    pub sky_color: [u8; 3],
    /// Color from below.
    pub ground_color: [u8; 3],
    /// Intensity.
    pub intensity: f64,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for HemisphereLightOptions {
    fn default() -> HemisphereLightOptions {
        HemisphereLightOptions {
            sky_color: WHITE,
            ground_color: WHITE,
            intensity: 1.0,
            pose: Pose::default(),
        }
    }
}

/// Options of [`SceneApi::add_light_point`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct PointLightOptions {
    /// Color.
    pub color: [u8; 3],
    /// Intensity.
    pub intensity: f64,
    /// Range of the light; 0 is unlimited.
    pub distance: f64,
    /// How fast the light dims with distance.
    pub decay: f64,
    /// Whether the light casts shadows.
    pub cast_shadow: bool,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for PointLightOptions {
    fn default() -> PointLightOptions {
        PointLightOptions {
            color: WHITE,
            intensity: 1.0,
            distance: 0.0,
            decay: 2.0,
            cast_shadow: false,
            pose: Pose::default(),
        }
    }
}

/// Options of [`SceneApi::add_light_rectarea`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct RectAreaLightOptions {
    /// Color.
    pub color: [u8; 3],
    /// Intensity.
    pub intensity: f64,
    /// Width of the rectangle.
    pub width: f64,
    /// Height of the rectangle.
    pub height: f64,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for RectAreaLightOptions {
    fn default() -> RectAreaLightOptions {
        RectAreaLightOptions {
            color: WHITE,
            intensity: 1.0,
            width: 10.0,
            height: 10.0,
            pose: Pose::default(),
        }
    }
}

/// Options of [`SceneApi::add_light_spot`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct SpotLightOptions {
    /// Color.
    pub color: [u8; 3],
    /// Intensity.
    pub intensity: f64,
    /// Range of the light; 0 is unlimited.
    pub distance: f64,
    /// Half-angle of the cone, in radians, in (0, pi/2].
    pub angle: f64,
    /// Fraction of the cone that fades at its edge, in [0, 1].
    pub penumbra: f64,
    /// How fast the light dims with distance.
    pub decay: f64,
    /// Whether the light casts shadows.
    pub cast_shadow: bool,
    /// Direction the light points in its own frame.
    pub direction: [f64; 3],
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for SpotLightOptions {
    fn default() -> SpotLightOptions {
        SpotLightOptions {
            color: WHITE,
            intensity: 1.0,
            distance: 0.0,
            angle: std::f64::consts::FRAC_PI_3,
            penumbra: 0.0,
            decay: 2.0,
            cast_shadow: false,
            direction: [0.0, 0.0, -1.0],
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// A directional light.
    DirectionalLightHandle
);
node_handle!(
    /// An ambient light.
    AmbientLightHandle
);
node_handle!(
    /// A hemisphere light.
    HemisphereLightHandle
);
node_handle!(
    /// A point light.
    PointLightHandle
);
node_handle!(
    /// A rectangular area light.
    RectAreaLightHandle
);
node_handle!(
    /// A spot light.
    SpotLightHandle
);

/// A cone half-angle in (0, pi/2] radians.
fn check_angle(argument: &'static str, angle: f64) -> Result<()> {
    if angle.is_finite() && angle > 0.0 && angle <= std::f64::consts::FRAC_PI_2 {
        Ok(())
    } else {
        Err(ServerError::invalid(
            argument,
            format!("{angle} is not in (0, pi/2] radians"),
        ))
    }
}

/// A finite, non-zero direction.
fn check_direction(direction: &[f64; 3]) -> Result<()> {
    validate::finite("direction", direction)?;
    if direction.iter().all(|&d| d == 0.0) {
        return Err(ServerError::invalid(
            "direction",
            "the zero vector points nowhere",
        ));
    }
    Ok(())
}

impl SceneApi {
    /// Adds a directional light: parallel rays, like sunlight.
    pub fn add_light_directional(
        &self,
        name: &str,
        options: DirectionalLightOptions,
    ) -> Result<DirectionalLightHandle> {
        validate::non_negative("intensity", options.intensity)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(DirectionalLightMessage {
                name,
                owner,
                r#virtual: false,
                props: DirectionalLightProps {
                    color: options.color,
                    intensity: options.intensity,
                    cast_shadow: options.cast_shadow,
                },
            })
        })
        .map(DirectionalLightHandle)
    }

    /// Adds an ambient light, which lights everything evenly.
    pub fn add_light_ambient(
        &self,
        name: &str,
        options: AmbientLightOptions,
    ) -> Result<AmbientLightHandle> {
        validate::non_negative("intensity", options.intensity)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(AmbientLightMessage {
                name,
                owner,
                r#virtual: false,
                props: AmbientLightProps {
                    color: options.color,
                    intensity: options.intensity,
                },
            })
        })
        .map(AmbientLightHandle)
    }

    /// Adds a hemisphere light: sky color from above, ground color from
    /// below.
    pub fn add_light_hemisphere(
        &self,
        name: &str,
        options: HemisphereLightOptions,
    ) -> Result<HemisphereLightHandle> {
        validate::non_negative("intensity", options.intensity)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(HemisphereLightMessage {
                name,
                owner,
                r#virtual: false,
                props: HemisphereLightProps {
                    sky_color: options.sky_color,
                    ground_color: options.ground_color,
                    intensity: options.intensity,
                },
            })
        })
        .map(HemisphereLightHandle)
    }

    /// Adds a point light, shining from the node's origin in every
    /// direction.
    pub fn add_light_point(
        &self,
        name: &str,
        options: PointLightOptions,
    ) -> Result<PointLightHandle> {
        validate::non_negative("intensity", options.intensity)?;
        validate::non_negative("distance", options.distance)?;
        validate::non_negative("decay", options.decay)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(PointLightMessage {
                name,
                owner,
                r#virtual: false,
                props: PointLightProps {
                    color: options.color,
                    intensity: options.intensity,
                    distance: options.distance,
                    decay: options.decay,
                    cast_shadow: options.cast_shadow,
                },
            })
        })
        .map(PointLightHandle)
    }

    /// Adds a rectangular area light.
    pub fn add_light_rectarea(
        &self,
        name: &str,
        options: RectAreaLightOptions,
    ) -> Result<RectAreaLightHandle> {
        validate::non_negative("intensity", options.intensity)?;
        validate::non_negative("width", options.width)?;
        validate::non_negative("height", options.height)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(RectAreaLightMessage {
                name,
                owner,
                r#virtual: false,
                props: RectAreaLightProps {
                    color: options.color,
                    intensity: options.intensity,
                    width: options.width,
                    height: options.height,
                },
            })
        })
        .map(RectAreaLightHandle)
    }

    /// Adds a spot light: a cone from the node's origin along `direction`.
    pub fn add_light_spot(&self, name: &str, options: SpotLightOptions) -> Result<SpotLightHandle> {
        validate::non_negative("intensity", options.intensity)?;
        validate::non_negative("distance", options.distance)?;
        check_angle("angle", options.angle)?;
        validate::unit_interval("penumbra", options.penumbra)?;
        validate::non_negative("decay", options.decay)?;
        check_direction(&options.direction)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(SpotLightMessage {
                name,
                owner,
                r#virtual: false,
                props: SpotLightProps {
                    color: options.color,
                    intensity: options.intensity,
                    distance: options.distance,
                    angle: options.angle,
                    penumbra: options.penumbra,
                    decay: options.decay,
                    cast_shadow: options.cast_shadow,
                    direction: options.direction,
                },
            })
        })
        .map(SpotLightHandle)
    }
}

rgb_setter!(DirectionalLightHandle, /// Sets the color.
    set_color, "color");
float_setter!(DirectionalLightHandle, /// Sets the intensity.
    set_intensity, "intensity", validate::non_negative);
bool_setter!(DirectionalLightHandle, /// Sets whether the light casts shadows.
    set_cast_shadow, "cast_shadow");

rgb_setter!(AmbientLightHandle, /// Sets the color.
    set_color, "color");
float_setter!(AmbientLightHandle, /// Sets the intensity.
    set_intensity, "intensity", validate::non_negative);

rgb_setter!(HemisphereLightHandle, /// Sets the color from above.
    set_sky_color, "sky_color");
rgb_setter!(HemisphereLightHandle, /// Sets the color from below.
    set_ground_color, "ground_color");
float_setter!(HemisphereLightHandle, /// Sets the intensity.
    set_intensity, "intensity", validate::non_negative);

rgb_setter!(PointLightHandle, /// Sets the color.
    set_color, "color");
float_setter!(PointLightHandle, /// Sets the intensity.
    set_intensity, "intensity", validate::non_negative);
float_setter!(PointLightHandle, /// Sets the range; 0 is unlimited.
    set_distance, "distance", validate::non_negative);
float_setter!(PointLightHandle, /// Sets how fast the light dims with distance.
    set_decay, "decay", validate::non_negative);
bool_setter!(PointLightHandle, /// Sets whether the light casts shadows.
    set_cast_shadow, "cast_shadow");

rgb_setter!(RectAreaLightHandle, /// Sets the color.
    set_color, "color");
float_setter!(RectAreaLightHandle, /// Sets the intensity.
    set_intensity, "intensity", validate::non_negative);
float_setter!(RectAreaLightHandle, /// Sets the width.
    set_width, "width", validate::non_negative);
float_setter!(RectAreaLightHandle, /// Sets the height.
    set_height, "height", validate::non_negative);

rgb_setter!(SpotLightHandle, /// Sets the color.
    set_color, "color");
float_setter!(SpotLightHandle, /// Sets the intensity.
    set_intensity, "intensity", validate::non_negative);
float_setter!(SpotLightHandle, /// Sets the range; 0 is unlimited.
    set_distance, "distance", validate::non_negative);
float_setter!(SpotLightHandle, /// Sets the half-angle of the cone, in (0, pi/2] radians.
    set_angle, "angle", check_angle);
float_setter!(SpotLightHandle, /// Sets the fraction of the cone that fades at its edge, in [0, 1].
    set_penumbra, "penumbra", validate::unit_interval);
float_setter!(SpotLightHandle, /// Sets how fast the light dims with distance.
    set_decay, "decay", validate::non_negative);
bool_setter!(SpotLightHandle, /// Sets whether the light casts shadows.
    set_cast_shadow, "cast_shadow");

impl SpotLightHandle {
    /// Sets the direction the light points in its own frame.
    pub fn set_direction(&self, direction: [f64; 3]) -> Result<()> {
        check_direction(&direction)?;
        self.set_prop("direction", props::floats_value(&direction))
    }
}

#[cfg(test)]
mod tests {
    use viser4d_proto::Value;

    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn every_light_kind_is_created() -> Result<()> {
        let h = Harness::new()?;
        let scene = &h.scene;
        scene.add_light_directional("/l/dir", Default::default())?;
        scene.add_light_ambient("/l/amb", Default::default())?;
        scene.add_light_hemisphere("/l/hemi", Default::default())?;
        scene.add_light_point("/l/point", Default::default())?;
        scene.add_light_rectarea("/l/rect", Default::default())?;
        let spot = scene.add_light_spot("/l/spot", Default::default())?;
        let kinds: Vec<&str> = h
            .sent()
            .iter()
            .map(|m| m.type_name())
            .filter(|t| t.contains("Light"))
            .collect();
        assert_eq!(
            kinds,
            [
                "DirectionalLightMessage",
                "AmbientLightMessage",
                "HemisphereLightMessage",
                "PointLightMessage",
                "RectAreaLightMessage",
                "SpotLightMessage"
            ]
        );
        spot.set_direction([1.0, 0.0, 0.0])?;
        assert!(spot.set_direction([0.0; 3]).is_err());
        assert!(spot.set_angle(2.0).is_err());
        assert!(spot.set_penumbra(-0.1).is_err());
        assert_eq!(
            h.updates(),
            [(
                "/l/spot".to_owned(),
                "direction".to_owned(),
                Value::Array(vec![
                    Value::Float(1.0),
                    Value::Float(0.0),
                    Value::Float(0.0)
                ])
            )]
        );
        let bad = SpotLightOptions {
            angle: 0.0,
            ..Default::default()
        };
        assert!(scene.add_light_spot("/bad", bad).is_err());
        Ok(())
    }
}
