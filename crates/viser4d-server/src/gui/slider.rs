//! Sliders, and what multi-sliders share with them.

use viser4d_proto::Message;
use viser4d_proto::messages::{GuiSliderMark, GuiSliderMessage, GuiSliderProps};

use crate::error::{Result, ServerError};
use crate::gui::precision::precision_covering;
use crate::gui::registry::EntryKind;
use crate::gui::value::ValueRule;
use crate::gui::{GuiApi, GuiInputHandle, finite};

/// A labeled tick under a slider.
#[derive(Debug, Clone, PartialEq)]
pub struct SliderMark {
    /// Where.
    pub value: f64,
    /// Text shown under it (`None`: the number).
    pub label: Option<String>,
}

/// Options of [`GuiApi::add_slider`].
#[derive(Debug, Clone, PartialEq)]
pub struct SliderOptions {
    /// Greyed out.
    pub disabled: bool,
    /// Shown.
    pub visible: bool,
    /// Hover text.
    pub hint: Option<String>,
    /// Decimal places shown; `None` covers the step, bounds and value.
    pub precision: Option<i64>,
    /// Ticks under the slider.
    pub marks: Vec<SliderMark>,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for SliderOptions {
    fn default() -> SliderOptions {
        SliderOptions {
            disabled: false,
            visible: true,
            hint: None,
            precision: None,
            marks: Vec::new(),
            order: None,
        }
    }
}

/// Checks a slider's range and step; returns the step to send (viser
/// clamps it to the range's width).
pub(crate) fn check_range(min: f64, max: f64, step: f64) -> Result<f64> {
    if !(min.is_finite() && max.is_finite() && min < max) {
        return Err(ServerError::invalid(
            "min/max",
            format!("need finite min < max, got {min}..{max}"),
        ));
    }
    if !(step.is_finite() && step > 0.0) {
        return Err(ServerError::invalid(
            "step",
            format!("{step} must be finite and > 0"),
        ));
    }
    Ok(step.min(max - min))
}

/// Checks and converts marks (`None` for no marks, as viser sends it).
pub(crate) fn check_marks(marks: &[SliderMark]) -> Result<Option<Vec<GuiSliderMark>>> {
    if marks.is_empty() {
        return Ok(None);
    }
    marks
        .iter()
        .map(|m| {
            finite("marks", m.value)?;
            Ok(GuiSliderMark {
                value: m.value,
                label: m.label.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// Checks a precision given by the caller.
pub(crate) fn check_precision(precision: Option<i64>) -> Result<()> {
    match precision {
        Some(p) if !(0..=20).contains(&p) => Err(ServerError::invalid(
            "precision",
            format!("{p} is not in 0..=20 decimal places"),
        )),
        _ => Ok(()),
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
        let step = check_range(min, max, step)?;
        if !(min..=max).contains(&initial) {
            return Err(ServerError::invalid(
                "initial",
                format!("{initial} is outside {min}..={max}"),
            ));
        }
        let marks = check_marks(&options.marks)?;
        check_precision(options.precision)?;
        let precision = options
            .precision
            .unwrap_or_else(|| precision_covering(&[initial, min, max, step]));
        let rule = ValueRule::Bounds {
            min: Some(vec![min]),
            max: Some(vec![max]),
            sorted: false,
        };
        self.add_input(
            &initial,
            EntryKind::Input,
            rule,
            options.order,
            |uuid, container_uuid, order| {
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
                        marks,
                    },
                })
            },
        )
    }
}
