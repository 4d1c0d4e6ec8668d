//! The scene's surroundings rather than its nodes: background image (with
//! optional depth), environment map, fog, the default lights, and the
//! visibility of everything at once. Each is one message per scope; a new
//! call replaces the previous setting (also for tabs that connect later).

use bytes::Bytes;
use viser4d_proto::Message;
use viser4d_proto::messages::{
    BackgroundImageMessage, EnableLightsMessage, EnvironmentMapMessage, FogMessage, ImageFormat,
    SetSceneNodeVisibilityMessage,
};

use crate::error::{Result, ServerError};
use crate::scene::image::{EncodedImage, check_pixel_count};
use crate::scene::{IDENTITY, SceneApi, png};
use crate::validate;

/// A depth image for the background: one depth per pixel, row-major, in
/// scene units. The client composites scene nodes against it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepthImage<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height` depths, each >= 0 (`+inf` is allowed: farthest).
    pub depth: &'a [f32],
}

/// Depth resolution of viser's fixed-point encoding: 1e-5 scene units,
/// up to (2^24 - 1) / 1e5, about 167.77.
const DEPTH_STEPS_PER_UNIT: f32 = 100_000.0;
const DEPTH_MAX_STEPS: f32 = 16_777_215.0;

impl DepthImage<'_> {
    /// Packs the depths as viser does: 24-bit fixed point in an RGBA PNG,
    /// the most significant byte in red, least in blue, alpha 0 (the bytes
    /// of the little-endian `u32`, as OpenCV writes a BGRA array).
    fn encode(&self) -> Result<Bytes> {
        check_pixel_count(self.width, self.height, self.depth.len())?;
        if let Some(i) = self.depth.iter().position(|d| d.is_nan() || *d < 0.0) {
            return Err(ServerError::invalid(
                "depth",
                format!("depth {i} is {}; depths must be >= 0", self.depth[i]),
            ));
        }
        let pixels: Vec<[u8; 4]> = self
            .depth
            .iter()
            .map(|&d| {
                // Truncation toward zero, as numpy's astype(uint32).
                let steps = (d * DEPTH_STEPS_PER_UNIT).clamp(0.0, DEPTH_MAX_STEPS) as u32;
                let [b0, b1, b2, b3] = steps.to_le_bytes();
                [b2, b1, b0, b3]
            })
            .collect();
        Ok(png::encode(
            self.width,
            self.height,
            png::ColorType::Rgba,
            pixels.as_flattened(),
        ))
    }
}

/// Options of [`SceneApi::configure_environment_map`], with viser's
/// defaults except the map itself.
#[derive(Clone, PartialEq)]
pub struct EnvironmentMapOptions {
    /// The environment as HDR JPEG (gain map) bytes, which is what viser
    /// sends; `None` removes the environment map. viser reads its presets
    /// (default "warehouse") from files in its wheel, under
    /// `viser/_assets/hdri/`; this crate ships none, so pass the bytes of
    /// such a file (or your own) here.
    pub hdri: Option<Bytes>,
    /// Show the environment as the background.
    pub background: bool,
    /// Blur of the background, in [0, 1].
    pub background_blurriness: f64,
    /// Intensity of the background.
    pub background_intensity: f64,
    /// Orientation of the background `[w, x, y, z]`.
    pub background_wxyz: [f64; 4],
    /// Intensity of the environment lighting.
    pub environment_intensity: f64,
    /// Orientation of the environment lighting `[w, x, y, z]`.
    pub environment_wxyz: [f64; 4],
}

impl Default for EnvironmentMapOptions {
    fn default() -> EnvironmentMapOptions {
        EnvironmentMapOptions {
            hdri: None,
            background: false,
            background_blurriness: 0.0,
            background_intensity: 1.0,
            background_wxyz: IDENTITY,
            environment_intensity: 1.0,
            environment_wxyz: IDENTITY,
        }
    }
}

impl std::fmt::Debug for EnvironmentMapOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The size of the map, not its bytes.
        f.debug_struct("EnvironmentMapOptions")
            .field("hdri_len_bytes", &self.hdri.as_ref().map(Bytes::len))
            .field("background", &self.background)
            .field("background_blurriness", &self.background_blurriness)
            .field("background_intensity", &self.background_intensity)
            .field("background_wxyz", &self.background_wxyz)
            .field("environment_intensity", &self.environment_intensity)
            .field("environment_wxyz", &self.environment_wxyz)
            .finish()
    }
}

/// Options of [`SceneApi::configure_fog`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct FogOptions {
    /// Color the scene fades into.
    pub color: [u8; 3],
    /// Whether the fog is on.
    pub enabled: bool,
}

impl Default for FogOptions {
    fn default() -> FogOptions {
        FogOptions {
            color: [255, 255, 255],
            enabled: true,
        }
    }
}

/// viser's default environment map (for a timeline step that stops setting one).
pub(crate) fn default_environment_map() -> Message {
    let o = EnvironmentMapOptions::default();
    Message::from(EnvironmentMapMessage {
        hdri_data: o.hdri,
        background: o.background,
        background_blurriness: o.background_blurriness,
        background_intensity: o.background_intensity,
        background_wxyz: o.background_wxyz,
        environment_intensity: o.environment_intensity,
        environment_wxyz: o.environment_wxyz,
    })
}

/// The message that clears the background, as viser's
/// `set_background_image(None)` sends it.
pub(crate) fn no_background_image() -> Message {
    Message::from(BackgroundImageMessage {
        format: ImageFormat::Png,
        rgb_data: None,
        depth_data: None,
    })
}

impl SceneApi {
    /// Sets the background image, optionally with a depth image so nodes
    /// behind the pictured surfaces are hidden; `None` and `None` clear it.
    pub fn set_background_image(
        &self,
        image: Option<EncodedImage>,
        depth: Option<DepthImage<'_>>,
    ) -> Result<()> {
        let depth_data = depth.map(|d| d.encode()).transpose()?;
        let (format, rgb_data) = match image {
            Some(image) => {
                let (format, data) = image.into_parts();
                (format, Some(data))
            }
            None => (ImageFormat::Png, None),
        };
        let message = BackgroundImageMessage {
            format,
            rgb_data,
            depth_data,
        };
        self.shared.send(self.scope(), [Message::from(message)])
    }

    /// Configures the environment map: image-based lighting and,
    /// optionally, the background.
    pub fn configure_environment_map(&self, options: EnvironmentMapOptions) -> Result<()> {
        if let Some(hdri) = &options.hdri
            && !hdri.starts_with(&[0xff, 0xd8, 0xff])
        {
            return Err(ServerError::invalid(
                "hdri",
                "not JPEG data (viser's client takes HDR JPEG environment maps)",
            ));
        }
        validate::unit_interval("background_blurriness", options.background_blurriness)?;
        validate::non_negative("background_intensity", options.background_intensity)?;
        validate::non_negative("environment_intensity", options.environment_intensity)?;
        validate::quaternion("background_wxyz", &options.background_wxyz)?;
        validate::quaternion("environment_wxyz", &options.environment_wxyz)?;
        let message = EnvironmentMapMessage {
            hdri_data: options.hdri,
            background: options.background,
            background_blurriness: options.background_blurriness,
            background_intensity: options.background_intensity,
            background_wxyz: options.background_wxyz,
            environment_intensity: options.environment_intensity,
            environment_wxyz: options.environment_wxyz,
        };
        self.shared.send(self.scope(), [Message::from(message)])
    }

    /// Configures linear fog: nodes fade into `color` from `near` to `far`
    /// (distances from the camera).
    pub fn configure_fog(&self, near: f64, far: f64, options: FogOptions) -> Result<()> {
        validate::non_negative("near", near)?;
        validate::non_negative("far", far)?;
        if far < near {
            return Err(ServerError::invalid(
                "far",
                format!("{far} is nearer than near ({near})"),
            ));
        }
        let message = FogMessage {
            near,
            far,
            color: options.color,
            enabled: options.enabled,
        };
        self.shared.send(self.scope(), [Message::from(message)])
    }

    /// Turns the client's default lights on or off, and their shadows
    /// (off is cheaper). The environment map's lighting is separate.
    pub fn configure_default_lights(&self, enabled: bool, cast_shadow: bool) -> Result<()> {
        let message = EnableLightsMessage {
            enabled,
            cast_shadow,
        };
        self.shared.send(self.scope(), [Message::from(message)])
    }

    /// Shows or hides every node at once (for example to leave only the
    /// background image). Nodes keep their own visibility.
    pub fn set_global_visibility(&self, visible: bool) -> Result<()> {
        // The root node has the empty name.
        let message = SetSceneNodeVisibilityMessage {
            name: String::new(),
            visible,
            owner: self.scope().owner(),
        };
        self.shared.send(self.scope(), [Message::from(message)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;
    use crate::scene::{FrameOptions, Pose};

    #[test]
    fn depth_packs_like_viser() -> Result<()> {
        let depth = DepthImage {
            width: 2,
            height: 1,
            // 1.5 units = 150000 steps = 0x0249F0; +inf saturates.
            depth: &[1.5, f32::INFINITY],
        };
        let png = depth.encode()?;
        let idat_len = u32::from_be_bytes([png[33], png[34], png[35], png[36]]) as usize;
        let mut raw = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::ZlibDecoder::new(&png[41..41 + idat_len]),
            &mut raw,
        )
        .ok();
        assert_eq!(raw, [0, 0x02, 0x49, 0xf0, 0, 0xff, 0xff, 0xff, 0]);
        let bad = DepthImage {
            depth: &[f32::NAN, 1.0],
            ..depth
        };
        assert!(bad.encode().is_err());
        Ok(())
    }

    #[test]
    fn scene_settings_are_sent_and_checked() -> Result<()> {
        let h = Harness::new()?;
        let scene = &h.scene;
        scene.configure_fog(1.0, 10.0, FogOptions::default())?;
        assert!(
            scene
                .configure_fog(10.0, 1.0, FogOptions::default())
                .is_err()
        );
        scene.configure_default_lights(false, false)?;
        scene.set_global_visibility(false)?;
        let hdri = Bytes::from_static(&[0xff, 0xd8, 0xff, 0xe0]);
        scene.configure_environment_map(EnvironmentMapOptions {
            hdri: Some(hdri),
            ..EnvironmentMapOptions::default()
        })?;
        let not_jpeg = EnvironmentMapOptions {
            hdri: Some(Bytes::from_static(b"#?RADIANCE")),
            ..EnvironmentMapOptions::default()
        };
        assert!(scene.configure_environment_map(not_jpeg).is_err());
        scene.set_background_image(Some(EncodedImage::from_rgb8(1, 1, &[[0, 0, 0]])?), None)?;
        let types: Vec<&str> = h.sent().iter().map(|m| m.type_name()).collect();
        assert_eq!(
            types,
            [
                "FogMessage",
                "EnableLightsMessage",
                "SetSceneNodeVisibilityMessage",
                "EnvironmentMapMessage",
                "BackgroundImageMessage"
            ]
        );
        Ok(())
    }

    #[test]
    fn reset_keeps_the_world_axes_and_clears_the_background() -> Result<()> {
        let h = Harness::new()?;
        let scene = &h.scene;
        scene.add_frame("/a/b", FrameOptions::default())?;
        scene.add_frame(
            "/c",
            FrameOptions {
                pose: Pose::at([1.0, 0.0, 0.0]),
                ..FrameOptions::default()
            },
        )?;
        scene.set_background_image(Some(EncodedImage::from_rgb8(1, 1, &[[0, 0, 0]])?), None)?;
        h.sent();
        scene.reset()?;
        assert_eq!(scene.node_names(), ["/WorldAxes"]);
        let sent = h.sent();
        assert!(matches!(
            sent.last(),
            Some(Message::BackgroundImageMessage(m)) if m.rgb_data.is_none()
        ));
        let removed = sent
            .iter()
            .filter(|m| matches!(m, Message::RemoveSceneNodeMessage(_)))
            .count();
        assert_eq!(removed, 3);
        // The axes are still there to show.
        let axes = scene.world_axes();
        assert!(axes.is_some());
        if let Some(axes) = axes {
            axes.set_visible(true)?;
        }
        Ok(())
    }
}
