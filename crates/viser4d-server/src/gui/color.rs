//! RGB and RGBA color pickers, and the color values other elements take.

use viser4d_proto::messages::{
    ColorSpec, GuiRgbMessage, GuiRgbProps, GuiRgbaMessage, GuiRgbaProps,
};
use viser4d_proto::{Message, Value};

use crate::error::{Result, ServerError};
use crate::gui::registry::EntryKind;
use crate::gui::value::ValueRule;
use crate::gui::{GuiApi, GuiInputHandle, InputOptions};

/// Options of [`GuiApi::add_rgb`].
pub type RgbOptions = InputOptions;

/// Options of [`GuiApi::add_rgba`].
pub type RgbaOptions = InputOptions;

impl GuiApi {
    /// Adds an RGB color picker; channels are 0-255.
    pub fn add_rgb(
        &self,
        label: &str,
        initial: [u8; 3],
        options: RgbOptions,
    ) -> Result<GuiInputHandle<[u8; 3]>> {
        self.add_input(
            &initial,
            EntryKind::Input,
            ValueRule::Any,
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiRgbMessage {
                    uuid,
                    value: initial,
                    container_uuid,
                    props: GuiRgbProps {
                        order,
                        label: label.to_owned(),
                        hint: options.hint,
                        visible: options.visible,
                        disabled: options.disabled,
                    },
                })
            },
        )
    }

    /// Adds an RGBA color picker; channels (alpha too) are 0-255.
    pub fn add_rgba(
        &self,
        label: &str,
        initial: [u8; 4],
        options: RgbaOptions,
    ) -> Result<GuiInputHandle<[u8; 4]>> {
        self.add_input(
            &initial,
            EntryKind::Input,
            ValueRule::Any,
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiRgbaMessage {
                    uuid,
                    value: initial,
                    container_uuid,
                    props: GuiRgbaProps {
                        order,
                        label: label.to_owned(),
                        hint: options.hint,
                        visible: options.visible,
                        disabled: options.disabled,
                    },
                })
            },
        )
    }
}

/// The wire form of a `color` property (`None`: the theme's color).
pub(crate) fn color_value(color: Option<&ColorSpec>) -> Result<Value> {
    Value::from_serialize(&color).map_err(|e| ServerError::invalid("color", e.to_string()))
}
