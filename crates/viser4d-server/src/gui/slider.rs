//! Sliders.

use viser4d_proto::Message;
use viser4d_proto::messages::{GuiSliderMessage, GuiSliderProps};

use crate::error::{Result, ServerError};
use crate::gui::{GuiApi, GuiInputHandle};

/// Options of [`GuiApi::add_slider`].
#[derive(Debug, Clone, PartialEq)]
pub struct SliderOptions {
    /// Greyed out.
    pub disabled: bool,
    /// Shown.
    pub visible: bool,
    /// Hover text.
    pub hint: Option<String>,
    /// Decimal places shown; `None` derives it from `step`.
    pub precision: Option<i64>,
}

impl Default for SliderOptions {
    fn default() -> SliderOptions {
        SliderOptions {
            disabled: false,
            visible: true,
            hint: None,
            precision: None,
        }
    }
}

impl GuiApi {
    /// Adds a slider over `[min, max]` in increments of `step`.
    pub fn add_slider(
        &self,
        label: &str,
        min: f64,
        max: f64,
        step: f64,
        initial: f64,
        options: SliderOptions,
    ) -> Result<GuiInputHandle<f64>> {
        if !(min.is_finite() && max.is_finite() && min < max) {
            return Err(ServerError::invalid(
                "min/max",
                format!("need finite min < max, got {min}..{max}"),
            ));
        }
        if !(step.is_finite() && step > 0.0) {
            return Err(ServerError::invalid("step", format!("{step} must be > 0")));
        }
        if !(min..=max).contains(&initial) {
            return Err(ServerError::invalid(
                "initial",
                format!("{initial} is outside {min}..={max}"),
            ));
        }
        let precision = options.precision.unwrap_or_else(|| precision_of(step));
        let order = self.next_order();
        let container_uuid = self.container_uuid().to_owned();
        Ok(self.add_input(initial, false, |uuid| {
            Message::from(GuiSliderMessage {
                uuid,
                value: initial,
                container_uuid,
                props: GuiSliderProps {
                    order,
                    label: label.to_owned(),
                    hint: options.hint,
                    visible: options.visible,
                    disabled: options.disabled,
                    min,
                    max,
                    step,
                    precision,
                    marks: None,
                },
            })
        }))
    }
}

/// Decimal places needed to show multiples of `step` (viser's rule).
pub(crate) fn precision_of(step: f64) -> i64 {
    let mut digits = 0;
    let mut scaled = step;
    while digits < 10 && (scaled - scaled.round()).abs() > 1e-9 {
        scaled *= 10.0;
        digits += 1;
    }
    digits
}
