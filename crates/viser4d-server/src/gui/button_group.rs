//! Button groups: a row of buttons, one per option.

use std::ops::Deref;

use viser4d_proto::Message;
use viser4d_proto::messages::{GuiButtonGroupMessage, GuiButtonGroupProps};

use crate::callbacks::CallbackId;
use crate::error::Result;
use crate::gui::registry::EntryKind;
use crate::gui::value::ValueRule;
use crate::gui::{GuiApi, GuiEvent, GuiInputHandle, InputOptions, check_options};

/// Options of [`GuiApi::add_button_group`].
pub type ButtonGroupOptions = InputOptions;

/// A button group. Its value is the option last clicked (the first option
/// until then); every click runs the [`ButtonGroupHandle::on_click`]
/// callbacks, even a click on the same option again.
#[derive(Debug, Clone)]
pub struct ButtonGroupHandle(GuiInputHandle<String>);

impl Deref for ButtonGroupHandle {
    type Target = GuiInputHandle<String>;
    fn deref(&self) -> &GuiInputHandle<String> {
        &self.0
    }
}

impl ButtonGroupHandle {
    /// Runs `callback` on every click, with the tab and the option clicked
    /// (`event.value`).
    pub fn on_click(
        &self,
        callback: impl Fn(&GuiEvent<String>) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        self.0.on_update(callback)
    }

    /// Unregisters a callback given to `on_click`; `false` if it is not
    /// registered on this element.
    pub fn remove_callback(&self, id: CallbackId) -> bool {
        self.0.remove_callback(id)
    }
}

impl GuiApi {
    /// Adds a button group with one button per option (at least one, no
    /// repeats).
    pub fn add_button_group<S: AsRef<str>>(
        &self,
        label: &str,
        options: &[S],
        settings: ButtonGroupOptions,
    ) -> Result<ButtonGroupHandle> {
        let options: Vec<String> = options.iter().map(|o| o.as_ref().to_owned()).collect();
        check_options(&options)?;
        let initial = options.first().cloned().unwrap_or_default();
        let handle = self.add_input(
            &initial,
            EntryKind::Button,
            ValueRule::OneOf(options.clone()),
            settings.order,
            |uuid, container_uuid, order| {
                Message::from(GuiButtonGroupMessage {
                    uuid,
                    value: initial.clone(),
                    container_uuid,
                    props: GuiButtonGroupProps {
                        order,
                        label: label.to_owned(),
                        hint: settings.hint,
                        visible: settings.visible,
                        disabled: settings.disabled,
                        options,
                    },
                })
            },
        )?;
        Ok(ButtonGroupHandle(handle))
    }
}
