//! Images in the GUI panel (viser's `gui.add_image`).

use viser4d_proto::messages::{GuiImageMessage, GuiImageProps};
use viser4d_proto::{Message, Value};

use crate::error::Result;
use crate::gui::{GuiApi, GuiElementHandle, NewEntry};
use crate::scene::EncodedImage;

/// Options of [`GuiApi::add_image`].
#[derive(Debug, Clone, PartialEq)]
pub struct GuiImageOptions {
    /// Caption shown with the image.
    pub label: Option<String>,
    /// Shown (default true).
    pub visible: bool,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for GuiImageOptions {
    fn default() -> GuiImageOptions {
        GuiImageOptions {
            label: None,
            visible: true,
            order: None,
        }
    }
}

/// An image in the GUI.
#[derive(Debug, Clone)]
pub struct GuiImageHandle(GuiElementHandle);

impl std::ops::Deref for GuiImageHandle {
    type Target = GuiElementHandle;
    fn deref(&self) -> &GuiElementHandle {
        &self.0
    }
}

impl GuiApi {
    /// Adds an image (JPEG or PNG; [`EncodedImage::from_rgb8`] encodes
    /// raw pixels).
    pub fn add_image(
        &self,
        image: EncodedImage,
        options: GuiImageOptions,
    ) -> Result<GuiImageHandle> {
        let (format, data) = image.into_parts();
        self.add_entry(
            NewEntry::display(),
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiImageMessage {
                    uuid,
                    container_uuid,
                    props: GuiImageProps {
                        order,
                        label: options.label,
                        data: Some(data),
                        format,
                        visible: options.visible,
                    },
                })
            },
        )
        .map(GuiImageHandle)
    }
}

impl GuiImageHandle {
    /// Replaces the image (its format may change too).
    pub fn set_image(&self, image: EncodedImage) -> Result<()> {
        let (format, data) = image.into_parts();
        self.0.update(|_| {
            Ok(vec![
                ("_format".to_owned(), Value::Str(format.as_str().to_owned())),
                ("_data".to_owned(), Value::Bin(data)),
            ])
        })
    }

    /// Changes the caption (`None` removes it).
    pub fn set_label(&self, label: Option<&str>) -> Result<()> {
        let value = label.map_or(Value::Nil, |l| Value::Str(l.to_owned()));
        self.0.set_prop("label", value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::testing::harness;

    #[test]
    fn an_image_carries_its_bytes_and_format() -> Result<()> {
        let h = harness();
        let tab = h.connect();
        let png = EncodedImage::from_rgb8(1, 1, &[[255, 0, 0]])?;
        let image = h.gui().add_image(png.clone(), GuiImageOptions::default())?;
        let sent = h.take(&tab);
        assert!(sent.iter().any(|m| matches!(m,
            Message::GuiImageMessage(i) if i.props.data.as_deref() == Some(png.data()))));
        image.set_label(Some("red"))?;
        assert!(!h.take(&tab).is_empty());
        Ok(())
    }
}
