//! Text inputs.

use viser4d_proto::Message;
use viser4d_proto::messages::{GuiTextMessage, GuiTextProps};

use crate::error::Result;
use crate::gui::registry::EntryKind;
use crate::gui::value::ValueRule;
use crate::gui::{GuiApi, GuiInputHandle};

/// Options of [`GuiApi::add_text`].
#[derive(Debug, Clone, PartialEq)]
pub struct TextOptions {
    /// A multi-line text area (lines separated by `\n`).
    pub multiline: bool,
    /// Greyed out.
    pub disabled: bool,
    /// Shown (default true).
    pub visible: bool,
    /// Hover text.
    pub hint: Option<String>,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for TextOptions {
    fn default() -> TextOptions {
        TextOptions {
            multiline: false,
            disabled: false,
            visible: true,
            hint: None,
            order: None,
        }
    }
}

impl GuiApi {
    /// Adds a text input.
    pub fn add_text(
        &self,
        label: &str,
        initial: &str,
        options: TextOptions,
    ) -> Result<GuiInputHandle<String>> {
        let initial = initial.to_owned();
        self.add_input(
            &initial,
            EntryKind::Input,
            ValueRule::Any,
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiTextMessage {
                    uuid,
                    value: initial.clone(),
                    container_uuid,
                    props: GuiTextProps {
                        order,
                        label: label.to_owned(),
                        hint: options.hint,
                        visible: options.visible,
                        disabled: options.disabled,
                        multiline: options.multiline,
                    },
                })
            },
        )
    }
}
