//! Number inputs.

use viser4d_proto::Message;
use viser4d_proto::messages::{GuiNumberMessage, GuiNumberProps};

use crate::error::{Result, ServerError};
use crate::gui::precision::{default_step, precision_covering};
use crate::gui::registry::EntryKind;
use crate::gui::value::ValueRule;
use crate::gui::{GuiApi, GuiInputHandle, finite};

/// Options of [`GuiApi::add_number`].
#[derive(Debug, Clone, PartialEq)]
pub struct NumberOptions {
    /// Smallest value allowed.
    pub min: Option<f64>,
    /// Largest value allowed.
    pub max: Option<f64>,
    /// Increment of the arrows; default: the finest decimal of the initial
    /// value and the bounds (`0.25` gives `0.01`, whole numbers give `1`).
    pub step: Option<f64>,
    /// Greyed out.
    pub disabled: bool,
    /// Shown (default true).
    pub visible: bool,
    /// Hover text.
    pub hint: Option<String>,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for NumberOptions {
    fn default() -> NumberOptions {
        NumberOptions {
            min: None,
            max: None,
            step: None,
            disabled: false,
            visible: true,
            hint: None,
            order: None,
        }
    }
}

/// What a number input is sent with, once its arguments are checked.
#[derive(Debug, Clone, PartialEq)]
struct Checked {
    step: f64,
    precision: i64,
}

fn check(initial: f64, options: &NumberOptions) -> Result<Checked> {
    finite("initial", initial)?;
    if let Some(min) = options.min {
        finite("min", min)?;
    }
    if let Some(max) = options.max {
        finite("max", max)?;
    }
    if let (Some(min), Some(max)) = (options.min, options.max) {
        // viser allows min == max: a number pinned to one value.
        if max < min {
            return Err(ServerError::invalid(
                "min/max",
                format!("max ({max}) must be >= min ({min})"),
            ));
        }
    }
    if options.min.is_some_and(|min| initial < min) || options.max.is_some_and(|max| initial > max)
    {
        return Err(ServerError::invalid(
            "initial",
            format!(
                "{initial} is outside [{}, {}]",
                options.min.map_or("-inf".to_owned(), |v| v.to_string()),
                options.max.map_or("inf".to_owned(), |v| v.to_string()),
            ),
        ));
    }
    let bounds: Vec<f64> = [Some(initial), options.min, options.max]
        .into_iter()
        .flatten()
        .collect();
    let step = match options.step {
        Some(step) if !(step.is_finite() && step > 0.0) => {
            return Err(ServerError::invalid(
                "step",
                format!("{step} must be finite and > 0"),
            ));
        }
        Some(step) => step,
        None => default_step(&bounds),
    };
    let mut covered = bounds;
    covered.push(step);
    Ok(Checked {
        step,
        precision: precision_covering(&covered),
    })
}

impl GuiApi {
    /// Adds a number input.
    pub fn add_number(
        &self,
        label: &str,
        initial: f64,
        options: NumberOptions,
    ) -> Result<GuiInputHandle<f64>> {
        let Checked { step, precision } = check(initial, &options)?;
        let rule = ValueRule::Bounds {
            min: options.min.map(|m| vec![m]),
            max: options.max.map(|m| vec![m]),
            sorted: false,
        };
        self.add_input(
            &initial,
            EntryKind::Input,
            rule,
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiNumberMessage {
                    uuid,
                    value: initial,
                    container_uuid,
                    props: GuiNumberProps {
                        order,
                        label: label.to_owned(),
                        hint: options.hint,
                        visible: options.visible,
                        disabled: options.disabled,
                        precision,
                        step,
                        min: options.min,
                        max: options.max,
                    },
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argument(result: Result<Checked>) -> &'static str {
        match result {
            Err(ServerError::InvalidArgument { argument, .. }) => argument,
            other => panic!("expected an invalid argument, got {other:?}"),
        }
    }

    #[test]
    fn defaults_follow_viser() {
        let checked = check(0.25, &NumberOptions::default()).expect("valid");
        assert_eq!(
            checked,
            Checked {
                step: 0.01,
                precision: 2
            }
        );
        let whole = check(3.0, &NumberOptions::default()).expect("valid");
        assert_eq!(
            whole,
            Checked {
                step: 1.0,
                precision: 0
            }
        );
        let explicit = NumberOptions {
            step: Some(0.5),
            ..NumberOptions::default()
        };
        // Precision covers the initial value, not only the step.
        assert_eq!(check(0.25, &explicit).expect("valid").precision, 2);
    }

    #[test]
    fn bad_arguments_are_named() {
        let bounded = |min, max| NumberOptions {
            min: Some(min),
            max: Some(max),
            ..NumberOptions::default()
        };
        assert_eq!(
            argument(check(f64::NAN, &NumberOptions::default())),
            "initial"
        );
        assert_eq!(argument(check(0.0, &bounded(1.0, 0.0))), "min/max");
        assert_eq!(argument(check(2.0, &bounded(0.0, 1.0))), "initial");
        assert_eq!(
            argument(check(0.0, &bounded(f64::NEG_INFINITY, 1.0))),
            "min"
        );
        let zero_step = NumberOptions {
            step: Some(0.0),
            ..NumberOptions::default()
        };
        assert_eq!(argument(check(0.0, &zero_step)), "step");
        assert!(check(1.0, &bounded(1.0, 1.0)).is_ok());
    }
}
