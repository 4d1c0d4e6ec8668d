//! Buttons.

use viser4d_proto::Message;
use viser4d_proto::messages::{ColorSpec, GuiButtonMessage, GuiButtonProps};

use crate::callbacks::CallbackId;
use crate::error::Result;
use crate::gui::registry::EntryKind;
use crate::gui::value::ValueRule;
use crate::gui::{GuiApi, GuiEvent, GuiInputHandle};

/// Options of [`GuiApi::add_button`].
#[derive(Debug, Clone, PartialEq)]
pub struct ButtonOptions {
    /// Greyed out.
    pub disabled: bool,
    /// Shown (default true).
    pub visible: bool,
    /// Hover text.
    pub hint: Option<String>,
    /// Button color.
    pub color: Option<ColorSpec>,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for ButtonOptions {
    fn default() -> ButtonOptions {
        ButtonOptions {
            disabled: false,
            visible: true,
            hint: None,
            color: None,
            order: None,
        }
    }
}

/// A button. Every click runs the [`ButtonHandle::on_click`] callbacks,
/// with the tab that clicked; clicks are not mirrored to other tabs.
#[derive(Debug, Clone)]
pub struct ButtonHandle(GuiInputHandle<bool>);

impl ButtonHandle {
    /// The element's uuid (what the browser calls it).
    pub fn uuid(&self) -> &str {
        self.0.uuid()
    }

    /// The element, for what every element can do.
    pub fn element(&self) -> &crate::gui::GuiElementHandle {
        self.0.element()
    }

    /// Runs `callback` with the tab that clicked, on every click.
    pub fn on_click(
        &self,
        callback: impl Fn(&GuiEvent<bool>) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        self.0.on_update(callback)
    }

    /// Unregisters a callback given to `on_click`; `false` if it is not
    /// registered on this element.
    pub fn remove_callback(&self, id: CallbackId) -> bool {
        self.0.remove_callback(id)
    }

    /// Greys the button out (or back).
    pub fn set_disabled(&self, disabled: bool) -> Result<()> {
        self.0.set_disabled(disabled)
    }

    /// Hides the button (or shows it).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.0.set_visible(visible)
    }

    /// Changes the label.
    pub fn set_label(&self, label: &str) -> Result<()> {
        self.0.set_label(label)
    }

    /// Changes the hint shown on hover (`None` removes it).
    pub fn set_hint(&self, hint: Option<&str>) -> Result<()> {
        self.0.set_hint(hint)
    }

    /// Changes the color (`None`: the theme's).
    pub fn set_color(&self, color: Option<ColorSpec>) -> Result<()> {
        let value = crate::gui::color::color_value(color.as_ref())?;
        self.0.element().set_prop("color", value)
    }

    /// Removes the button from every tab.
    pub fn remove(&self) -> Result<()> {
        self.0.remove()
    }
}

impl GuiApi {
    /// Adds a button.
    pub fn add_button(&self, label: &str, options: ButtonOptions) -> Result<ButtonHandle> {
        let handle = self.add_input(
            &false,
            EntryKind::Button,
            ValueRule::Any,
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiButtonMessage {
                    uuid,
                    value: false,
                    container_uuid,
                    props: GuiButtonProps {
                        order,
                        label: label.to_owned(),
                        hint: options.hint,
                        visible: options.visible,
                        disabled: options.disabled,
                        color: options.color,
                        icon_html: None,
                        hold_callback_freqs: Vec::new(),
                    },
                })
            },
        )?;
        Ok(ButtonHandle(handle))
    }
}
