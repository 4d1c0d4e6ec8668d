//! Images: JPEG or PNG bytes shown on a rectangle in the scene. The same
//! [`EncodedImage`] also feeds camera frustums and the background.

use bytes::Bytes;
use viser4d_proto::messages::{ImageFormat, ImageMessage, ImageProps, ReceiveShadow, Scale};
use viser4d_proto::{Message, Value};

use crate::error::{Result, ServerError};
use crate::scene::png;
use crate::scene::props;
use crate::scene::setters::{float_setter, node_handle, scale_setter, shadow_setters};
use crate::scene::{Pose, SceneApi};
use crate::validate;

const JPEG_MAGIC: &[u8] = &[0xff, 0xd8, 0xff];
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// An image encoded as JPEG or PNG, the two formats the viser client
/// decodes. The bytes are checked to start like the format they claim.
#[derive(Clone, PartialEq)]
pub struct EncodedImage {
    format: ImageFormat,
    data: Bytes,
}

impl std::fmt::Debug for EncodedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The size, not the bytes: images run to megabytes.
        f.debug_struct("EncodedImage")
            .field("format", &self.format)
            .field("len_bytes", &self.data.len())
            .finish()
    }
}

impl EncodedImage {
    /// JPEG bytes.
    pub fn jpeg(data: impl Into<Bytes>) -> Result<EncodedImage> {
        EncodedImage::checked(ImageFormat::Jpeg, data.into())
    }

    /// PNG bytes.
    pub fn png(data: impl Into<Bytes>) -> Result<EncodedImage> {
        EncodedImage::checked(ImageFormat::Png, data.into())
    }

    /// JPEG or PNG bytes, the format read from their signature.
    pub fn from_bytes(data: impl Into<Bytes>) -> Result<EncodedImage> {
        let data = data.into();
        let format = if data.starts_with(JPEG_MAGIC) {
            ImageFormat::Jpeg
        } else if data.starts_with(PNG_MAGIC) {
            ImageFormat::Png
        } else {
            return Err(ServerError::invalid(
                "image",
                "the bytes are neither JPEG nor PNG",
            ));
        };
        Ok(EncodedImage { format, data })
    }

    /// Encodes RGB pixels (row-major, `width * height` of them) as PNG.
    /// viser would pick JPEG for an RGB image; we have no JPEG encoder, so
    /// this is lossless and larger: pass JPEG bytes to [`Self::jpeg`] when
    /// size matters.
    pub fn from_rgb8(width: u32, height: u32, pixels: &[[u8; 3]]) -> Result<EncodedImage> {
        check_pixel_count(width, height, pixels.len())?;
        Ok(EncodedImage {
            format: ImageFormat::Png,
            data: png::encode(width, height, png::ColorType::Rgb, pixels.as_flattened()),
        })
    }

    /// Encodes RGBA pixels (row-major, `width * height` of them) as PNG.
    pub fn from_rgba8(width: u32, height: u32, pixels: &[[u8; 4]]) -> Result<EncodedImage> {
        check_pixel_count(width, height, pixels.len())?;
        Ok(EncodedImage {
            format: ImageFormat::Png,
            data: png::encode(width, height, png::ColorType::Rgba, pixels.as_flattened()),
        })
    }

    fn checked(format: ImageFormat, data: Bytes) -> Result<EncodedImage> {
        let magic = match format {
            ImageFormat::Jpeg => JPEG_MAGIC,
            ImageFormat::Png => PNG_MAGIC,
        };
        if !data.starts_with(magic) {
            return Err(ServerError::invalid(
                "image",
                format!("the bytes do not start like {format} data"),
            ));
        }
        Ok(EncodedImage { format, data })
    }

    /// The format.
    pub fn format(&self) -> ImageFormat {
        self.format
    }

    /// The encoded bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub(crate) fn into_parts(self) -> (ImageFormat, Bytes) {
        (self.format, self.data)
    }
}

pub(crate) fn check_pixel_count(width: u32, height: u32, count: usize) -> Result<()> {
    let expected = u64::from(width) * u64::from(height);
    if expected == 0 || count as u64 != expected {
        return Err(ServerError::invalid(
            "pixels",
            format!("{count} pixels for a {width}x{height} image"),
        ));
    }
    Ok(())
}

/// Options of [`SceneApi::add_image`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageOptions {
    /// Whether the image casts shadows.
    pub cast_shadow: bool,
    /// Whether the image receives shadows, or a fixed shadow opacity.
    pub receive_shadow: ReceiveShadow,
    /// Scale of the node.
    pub scale: Scale,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for ImageOptions {
    fn default() -> ImageOptions {
        ImageOptions {
            cast_shadow: true,
            receive_shadow: ReceiveShadow::Enabled(true),
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// An image in the scene.
    ImageHandle
);

impl SceneApi {
    /// Adds an image drawn on a `render_width` x `render_height` rectangle
    /// (scene units) centered on the node.
    pub fn add_image(
        &self,
        name: &str,
        image: EncodedImage,
        render_width: f64,
        render_height: f64,
        options: ImageOptions,
    ) -> Result<ImageHandle> {
        validate::non_negative("render_width", render_width)?;
        validate::non_negative("render_height", render_height)?;
        validate::check_receive_shadow(&options.receive_shadow)?;
        validate::check_scale(&options.scale)?;
        let (format, data) = image.into_parts();
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(ImageMessage {
                name,
                owner,
                r#virtual: false,
                props: ImageProps {
                    format,
                    data,
                    render_width,
                    render_height,
                    cast_shadow: options.cast_shadow,
                    receive_shadow: options.receive_shadow,
                    scale: options.scale,
                },
            })
        })
        .map(ImageHandle)
    }
}

impl ImageHandle {
    /// Replaces the image.
    pub fn set_image(&self, image: EncodedImage) -> Result<()> {
        let (format, data) = image.into_parts();
        // Format first, then the bytes, as viser's handle assigns them.
        self.set_props(vec![
            ("_format", props::str_value(format.as_str())),
            ("_data", Value::Bin(data)),
        ])
    }
}

float_setter!(ImageHandle, /// Sets the width of the rectangle, in scene units.
    set_render_width, "render_width", validate::non_negative);
float_setter!(ImageHandle, /// Sets the height of the rectangle, in scene units.
    set_render_height, "render_height", validate::non_negative);
shadow_setters!(ImageHandle);
scale_setter!(ImageHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn formats_are_checked_and_sniffed() {
        assert!(EncodedImage::jpeg(vec![0xff, 0xd8, 0xff, 0xe0]).is_ok());
        assert!(EncodedImage::png(vec![0xff, 0xd8, 0xff, 0xe0]).is_err());
        let png = EncodedImage::from_rgb8(2, 1, &[[255, 0, 0], [0, 255, 0]]);
        assert_eq!(
            png.as_ref().map(EncodedImage::format).ok(),
            Some(ImageFormat::Png)
        );
        let sniffed = png.and_then(|p| EncodedImage::from_bytes(p.data().to_vec()));
        assert_eq!(sniffed.map(|p| p.format()).ok(), Some(ImageFormat::Png));
        assert!(EncodedImage::from_bytes(b"GIF89a".to_vec()).is_err());
        assert!(EncodedImage::from_rgb8(2, 2, &[[0; 3]; 3]).is_err());
        assert!(EncodedImage::from_rgba8(0, 0, &[]).is_err());
    }

    #[test]
    fn image_bytes_travel_as_bin() -> Result<()> {
        let h = Harness::new()?;
        let jpeg = EncodedImage::jpeg(vec![0xff, 0xd8, 0xff, 0xdb, 1, 2])?;
        let image = h
            .scene
            .add_image("/img", jpeg, 1.0, 0.5, ImageOptions::default())?;
        assert!(matches!(
            h.sent().first(),
            Some(Message::ImageMessage(m)) if m.props.format == ImageFormat::Jpeg && m.props.data.len() == 6
        ));
        image.set_image(EncodedImage::from_rgba8(1, 1, &[[1, 2, 3, 4]])?)?;
        let updates = h.updates();
        assert_eq!(updates[0].2, Value::Str("png".into()));
        assert!(matches!(&updates[1].2, Value::Bin(b) if b.starts_with(PNG_MAGIC)));
        Ok(())
    }
}
