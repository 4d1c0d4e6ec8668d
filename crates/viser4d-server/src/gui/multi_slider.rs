//! Multi-sliders: several handles on one range.

use viser4d_proto::Message;
use viser4d_proto::messages::{GuiMultiSliderMessage, GuiMultiSliderProps};

use crate::error::{Result, ServerError};
use crate::gui::precision::precision_covering;
use crate::gui::registry::EntryKind;
use crate::gui::slider::{SliderMark, check_marks, check_precision, check_range};
use crate::gui::value::ValueRule;
use crate::gui::{GuiApi, GuiInputHandle};
use crate::validate;

/// Options of [`GuiApi::add_multi_slider`].
#[derive(Debug, Clone, PartialEq)]
pub struct MultiSliderOptions {
    /// Smallest distance allowed between two handles.
    pub min_range: Option<f64>,
    /// The first and last handles cannot be moved.
    pub fixed_endpoints: bool,
    /// Ticks under the slider.
    pub marks: Vec<SliderMark>,
    /// Decimal places shown; `None` covers the step, bounds and values.
    pub precision: Option<i64>,
    /// Greyed out.
    pub disabled: bool,
    /// Shown (default true).
    pub visible: bool,
    /// Hover text.
    pub hint: Option<String>,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for MultiSliderOptions {
    fn default() -> MultiSliderOptions {
        MultiSliderOptions {
            min_range: None,
            fixed_endpoints: false,
            marks: Vec::new(),
            precision: None,
            disabled: false,
            visible: true,
            hint: None,
            order: None,
        }
    }
}

/// Checks the handles' initial values against the range.
fn check_initial(min: f64, max: f64, initial: &[f64]) -> Result<()> {
    if initial.is_empty() {
        return Err(ServerError::invalid("initial", "needs at least one handle"));
    }
    validate::finite("initial", initial)?;
    if let Some(x) = initial.iter().find(|x| !(min..=max).contains(*x)) {
        return Err(ServerError::invalid(
            "initial",
            format!("{x} is outside {min}..={max}"),
        ));
    }
    // The client constrains each handle against its neighbours assuming
    // they are sorted.
    if initial.windows(2).any(|w| w[1] < w[0]) {
        return Err(ServerError::invalid(
            "initial",
            format!("{initial:?} must be in non-decreasing order"),
        ));
    }
    Ok(())
}

impl GuiApi {
    /// Adds a slider over `[min, max]` in increments of `step` with one
    /// handle per initial value (sorted, at least one).
    pub fn add_multi_slider(
        &self,
        label: &str,
        min: f64,
        max: f64,
        step: f64,
        initial: &[f64],
        options: MultiSliderOptions,
    ) -> Result<GuiInputHandle<Vec<f64>>> {
        let step = check_range(min, max, step)?;
        check_initial(min, max, initial)?;
        if let Some(min_range) = options.min_range
            && !(min_range.is_finite() && min_range >= 0.0 && min_range <= max - min)
        {
            return Err(ServerError::invalid(
                "min_range",
                format!("{min_range} must be finite and in [0, {}]", max - min),
            ));
        }
        let marks = check_marks(&options.marks)?;
        check_precision(options.precision)?;
        let precision = options.precision.unwrap_or_else(|| {
            let mut covered = initial.to_vec();
            covered.extend([min, max, step]);
            precision_covering(&covered)
        });
        let initial = initial.to_vec();
        let rule = ValueRule::Bounds {
            min: Some(vec![min]),
            max: Some(vec![max]),
            sorted: true,
        };
        self.add_input(
            &initial,
            EntryKind::Input,
            rule,
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiMultiSliderMessage {
                    uuid,
                    value: initial.clone(),
                    container_uuid,
                    props: GuiMultiSliderProps {
                        order,
                        label: label.to_owned(),
                        hint: options.hint,
                        visible: options.visible,
                        disabled: options.disabled,
                        min,
                        max,
                        step,
                        min_range: options.min_range,
                        precision,
                        fixed_endpoints: options.fixed_endpoints,
                        marks,
                    },
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_values_are_checked() {
        assert!(check_initial(0.0, 1.0, &[0.0, 0.5, 1.0]).is_ok());
        for bad in [&[][..], &[0.5, 0.2], &[0.5, 2.0], &[f64::NAN]] {
            match check_initial(0.0, 1.0, bad) {
                Err(ServerError::InvalidArgument { argument, .. }) => {
                    assert_eq!(argument, "initial", "{bad:?}")
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn range_and_step_are_checked() {
        assert_eq!(check_range(0.0, 1.0, 5.0).ok(), Some(1.0));
        assert!(check_range(1.0, 1.0, 0.1).is_err());
        assert!(check_range(0.0, f64::INFINITY, 0.1).is_err());
        assert!(check_range(0.0, 1.0, 0.0).is_err());
    }
}
