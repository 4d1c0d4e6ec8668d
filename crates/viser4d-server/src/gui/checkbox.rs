//! Checkboxes.

use viser4d_proto::Message;
use viser4d_proto::messages::{GuiCheckboxMessage, GuiCheckboxProps};

use crate::error::Result;
use crate::gui::registry::EntryKind;
use crate::gui::value::ValueRule;
use crate::gui::{GuiApi, GuiInputHandle, InputOptions};

/// Options of [`GuiApi::add_checkbox`].
pub type CheckboxOptions = InputOptions;

impl GuiApi {
    /// Adds a checkbox.
    pub fn add_checkbox(
        &self,
        label: &str,
        initial: bool,
        options: CheckboxOptions,
    ) -> Result<GuiInputHandle<bool>> {
        self.add_input(
            &initial,
            EntryKind::Input,
            ValueRule::Any,
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiCheckboxMessage {
                    uuid,
                    value: initial,
                    container_uuid,
                    props: GuiCheckboxProps {
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
