//! Camera frustums: the pyramid a camera sees, optionally with its image on
//! the far face. OpenCV convention, like every camera in viser: +Z
//! forward, +X right, +Y down.

use viser4d_proto::messages::{
    CameraFrustumMessage, CameraFrustumProps, CameraFrustumPropsVariant, ImageFormat,
    ReceiveShadow, Scale, SizeUnits,
};
use viser4d_proto::{Message, Value};

use crate::error::{Result, ServerError};
use crate::scene::image::EncodedImage;
use crate::scene::props;
use crate::scene::setters::{
    color_setter, literal_setter, node_handle, scale_setter, shadow_setters, thickness_setters,
};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// Options of [`SceneApi::add_camera_frustum`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraFrustumOptions {
    /// Size of the frustum (uniform or per axis); see
    /// [`canonical_frustum_size`].
    pub scale: Scale,
    /// Line thickness, in `thickness_units`.
    pub thickness: f64,
    /// World units or screen pixels.
    pub thickness_units: SizeUnits,
    /// Color of the lines.
    pub color: [u8; 3],
    /// An image to show on the far face.
    pub image: Option<EncodedImage>,
    /// Whether the frustum casts shadows.
    pub cast_shadow: bool,
    /// Whether the frustum receives shadows, or a fixed shadow opacity.
    pub receive_shadow: ReceiveShadow,
    /// Lines only, or lines with semi-transparent faces.
    pub variant: CameraFrustumPropsVariant,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for CameraFrustumOptions {
    fn default() -> CameraFrustumOptions {
        CameraFrustumOptions {
            scale: Scale::Uniform(0.3),
            thickness: 0.02,
            thickness_units: SizeUnits::World,
            color: [20, 20, 20],
            image: None,
            cast_shadow: true,
            receive_shadow: ReceiveShadow::Enabled(true),
            variant: CameraFrustumPropsVariant::Wireframe,
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// A camera frustum.
    CameraFrustumHandle
);

/// The x, y and z extent of a frustum at scale 1, as the client draws it.
/// The client scales frustums to keep their volume about constant across
/// field of view and aspect, so to put the image plane at distance 1, set
/// the scale to `1 / canonical_frustum_size(fov, aspect)[2]`.
pub fn canonical_frustum_size(fov: f64, aspect: f64) -> [f64; 3] {
    let y = (fov / 2.0).tan();
    let x = y * aspect;
    let volume_scale = (x * y / 3.0).cbrt();
    // x and y span [-1, 1] on the client, hence the doubling.
    [x * 2.0, y * 2.0, 1.0 / volume_scale]
}

/// A vertical field of view in radians, strictly between 0 and pi.
fn check_fov(fov: f64) -> Result<()> {
    if fov.is_finite() && fov > 0.0 && fov < std::f64::consts::PI {
        Ok(())
    } else {
        Err(ServerError::invalid(
            "fov",
            format!("{fov} is not a field of view in (0, pi) radians"),
        ))
    }
}

impl SceneApi {
    /// Adds a camera frustum. `fov` is the vertical field of view in
    /// radians; `aspect` is width over height.
    pub fn add_camera_frustum(
        &self,
        name: &str,
        fov: f64,
        aspect: f64,
        options: CameraFrustumOptions,
    ) -> Result<CameraFrustumHandle> {
        check_fov(fov)?;
        validate::positive("aspect", aspect)?;
        crate::validate::non_negative("thickness", options.thickness)?;
        validate::check_scale(&options.scale)?;
        validate::check_receive_shadow(&options.receive_shadow)?;
        // Without an image viser still sends a format, PNG.
        let (format, image_data) = match options.image {
            Some(image) => {
                let (format, data) = image.into_parts();
                (format, Some(data))
            }
            None => (ImageFormat::Png, None),
        };
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(CameraFrustumMessage {
                name,
                owner,
                r#virtual: false,
                props: CameraFrustumProps {
                    fov,
                    aspect,
                    thickness: options.thickness,
                    color: options.color,
                    format,
                    image_data,
                    cast_shadow: options.cast_shadow,
                    receive_shadow: options.receive_shadow,
                    variant: options.variant,
                    scale: options.scale,
                    thickness_units: options.thickness_units,
                },
            })
        })
        .map(CameraFrustumHandle)
    }
}

impl CameraFrustumHandle {
    /// Sets the vertical field of view, in radians.
    pub fn set_fov(&self, fov: f64) -> Result<()> {
        check_fov(fov)?;
        self.set_prop("fov", Value::Float(fov))
    }

    /// Sets the aspect ratio (width over height).
    pub fn set_aspect(&self, aspect: f64) -> Result<()> {
        validate::positive("aspect", aspect)?;
        self.set_prop("aspect", Value::Float(aspect))
    }

    /// Replaces the image on the far face; `None` removes it.
    pub fn set_image(&self, image: Option<EncodedImage>) -> Result<()> {
        match image {
            Some(image) => {
                let (format, data) = image.into_parts();
                self.set_props(vec![
                    ("_format", props::str_value(format.as_str())),
                    ("_image_data", Value::Bin(data)),
                ])
            }
            None => self.set_prop("_image_data", Value::Nil),
        }
    }
}

literal_setter!(CameraFrustumHandle, /// Draws lines only, or lines with faces.
    set_variant, "variant", CameraFrustumPropsVariant);
thickness_setters!(CameraFrustumHandle);
color_setter!(CameraFrustumHandle);
shadow_setters!(CameraFrustumHandle);
scale_setter!(CameraFrustumHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn canonical_size_matches_viser() {
        // Python: fov = pi / 2, aspect = 2 gives x = 4, y = 2 and
        // z = 1 / cbrt(2 / 3).
        let [x, y, z] = canonical_frustum_size(std::f64::consts::FRAC_PI_2, 2.0);
        assert!((x - 4.0).abs() < 1e-12 && (y - 2.0).abs() < 1e-12);
        assert!((z - 1.0 / (2.0f64 / 3.0).cbrt()).abs() < 1e-12);
    }

    #[test]
    fn frustum_with_and_without_image() -> Result<()> {
        let h = Harness::new()?;
        assert!(
            h.scene
                .add_camera_frustum("/cam", 4.0, 1.0, Default::default())
                .is_err()
        );
        assert!(
            h.scene
                .add_camera_frustum("/cam", 1.0, 0.0, Default::default())
                .is_err()
        );
        let cam = h
            .scene
            .add_camera_frustum("/cam", 1.0, 1.5, Default::default())?;
        assert!(matches!(
            h.sent().first(),
            Some(Message::CameraFrustumMessage(m))
                if m.props.format == ImageFormat::Png && m.props.image_data.is_none()
                    && m.props.scale == Scale::Uniform(0.3)
        ));
        let jpeg = EncodedImage::jpeg(vec![0xff, 0xd8, 0xff, 0xe0])?;
        cam.set_image(Some(jpeg))?;
        cam.set_image(None)?;
        let props: Vec<String> = h.updates().into_iter().map(|(_, p, _)| p).collect();
        // The removal supersedes the queued image bytes (same key).
        assert_eq!(props, ["_format", "_image_data"]);
        Ok(())
    }
}
