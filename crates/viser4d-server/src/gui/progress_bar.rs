//! Progress bars.

use viser4d_proto::messages::{ColorSpec, GuiProgressBarMessage, GuiProgressBarProps};
use viser4d_proto::{Message, Value};

use crate::error::{Result, ServerError};
use crate::gui::registry::EntryKind;
use crate::gui::value::ValueRule;
use crate::gui::{GuiApi, GuiInputHandle};

/// Options of [`GuiApi::add_progress_bar`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressBarOptions {
    /// Striped and moving, for "working on it".
    pub animated: bool,
    /// Bar color (`None`: the theme's).
    pub color: Option<ColorSpec>,
    /// Shown (default true).
    pub visible: bool,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for ProgressBarOptions {
    fn default() -> ProgressBarOptions {
        ProgressBarOptions {
            animated: false,
            color: None,
            visible: true,
            order: None,
        }
    }
}

/// A progress bar; its value is a percentage in `[0, 100]`.
#[derive(Debug, Clone)]
pub struct ProgressBarHandle(GuiInputHandle<f64>);

impl ProgressBarHandle {
    /// The element's uuid (what the browser calls it).
    pub fn uuid(&self) -> &str {
        self.0.uuid()
    }

    /// The percentage shown.
    pub fn value(&self) -> Result<f64> {
        self.0.value()
    }

    /// Sets the percentage shown, in `[0, 100]`.
    pub fn set_value(&self, percent: f64) -> Result<()> {
        self.0.set_value(percent)
    }

    /// Starts or stops the animation.
    pub fn set_animated(&self, animated: bool) -> Result<()> {
        self.0.element().set_prop("animated", Value::Bool(animated))
    }

    /// Changes the color (`None`: the theme's).
    pub fn set_color(&self, color: Option<ColorSpec>) -> Result<()> {
        let value = crate::gui::color::color_value(color.as_ref())?;
        self.0.element().set_prop("color", value)
    }

    /// Hides the bar (or shows it).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.0.set_visible(visible)
    }

    /// Removes the bar from every tab.
    pub fn remove(&self) -> Result<()> {
        self.0.remove()
    }
}

impl GuiApi {
    /// Adds a progress bar at `percent` (in `[0, 100]`).
    pub fn add_progress_bar(
        &self,
        percent: f64,
        options: ProgressBarOptions,
    ) -> Result<ProgressBarHandle> {
        if !(0.0..=100.0).contains(&percent) {
            return Err(ServerError::invalid(
                "value",
                format!("{percent} is not a percentage in [0, 100]"),
            ));
        }
        let rule = ValueRule::Bounds {
            min: Some(vec![0.0]),
            max: Some(vec![100.0]),
            sorted: false,
        };
        let handle = self.add_input(
            &percent,
            EntryKind::Display,
            rule,
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiProgressBarMessage {
                    uuid,
                    value: percent,
                    container_uuid,
                    props: GuiProgressBarProps {
                        order,
                        animated: options.animated,
                        color: options.color,
                        visible: options.visible,
                    },
                })
            },
        )?;
        Ok(ProgressBarHandle(handle))
    }
}
