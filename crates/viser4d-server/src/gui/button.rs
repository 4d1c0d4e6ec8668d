//! Buttons.

use std::ops::Deref;

use viser4d_proto::Message;
use viser4d_proto::messages::{ColorSpec, GuiButtonMessage, GuiButtonProps};

use crate::error::Result;
use crate::gui::{GuiApi, GuiEvent, GuiInputHandle};

/// Options of [`GuiApi::add_button`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ButtonOptions {
    /// Greyed out.
    pub disabled: bool,
    /// Hidden.
    pub hidden: bool,
    /// Hover text.
    pub hint: Option<String>,
    /// Button color.
    pub color: Option<ColorSpec>,
}

/// A button. Its value is meaningless; use [`ButtonHandle::on_click`].
#[derive(Debug, Clone)]
pub struct ButtonHandle(GuiInputHandle<bool>);

impl Deref for ButtonHandle {
    type Target = GuiInputHandle<bool>;
    fn deref(&self) -> &GuiInputHandle<bool> {
        &self.0
    }
}

impl ButtonHandle {
    /// Runs `callback` with the tab that clicked, on every click.
    pub fn on_click(
        &self,
        callback: impl Fn(&GuiEvent<bool>) + Send + Sync + 'static,
    ) -> Result<()> {
        self.0.on_update(callback)
    }
}

impl GuiApi {
    /// Adds a button.
    pub fn add_button(&self, label: &str, options: ButtonOptions) -> Result<ButtonHandle> {
        let order = self.next_order();
        let container_uuid = self.container_uuid().to_owned();
        Ok(ButtonHandle(self.add_input(false, true, |uuid| {
            Message::from(GuiButtonMessage {
                uuid,
                value: false,
                container_uuid,
                props: GuiButtonProps {
                    order,
                    label: label.to_owned(),
                    hint: options.hint,
                    visible: !options.hidden,
                    disabled: options.disabled,
                    color: options.color,
                    icon_html: None,
                    hold_callback_freqs: Vec::new(),
                },
            })
        })))
    }
}
