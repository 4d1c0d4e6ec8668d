//! Two- and three-component vector inputs.

use viser4d_proto::Message;
use viser4d_proto::messages::{
    GuiVector2Message, GuiVector2Props, GuiVector3Message, GuiVector3Props,
};

use crate::error::{Result, ServerError};
use crate::gui::precision::{default_step, precision_covering};
use crate::gui::registry::EntryKind;
use crate::gui::value::ValueRule;
use crate::gui::{GuiApi, GuiInputHandle};
use crate::validate;

/// Options of [`GuiApi::add_vector2`] (`N` = 2) and [`GuiApi::add_vector3`]
/// (`N` = 3).
#[derive(Debug, Clone, PartialEq)]
pub struct VectorOptions<const N: usize> {
    /// Smallest value of each component.
    pub min: Option<[f64; N]>,
    /// Largest value of each component.
    pub max: Option<[f64; N]>,
    /// Increment of every component; default: the finest decimal of the
    /// initial value and the bounds.
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

impl<const N: usize> Default for VectorOptions<N> {
    fn default() -> VectorOptions<N> {
        VectorOptions {
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

/// Checks a vector input's arguments; returns its step and precision.
fn check<const N: usize>(initial: &[f64; N], options: &VectorOptions<N>) -> Result<(f64, i64)> {
    validate::finite("initial", initial)?;
    if let Some(min) = &options.min {
        validate::finite("min", min)?;
    }
    if let Some(max) = &options.max {
        validate::finite("max", max)?;
    }
    if let (Some(min), Some(max)) = (&options.min, &options.max)
        && let Some(i) = (0..N).find(|&i| min[i] > max[i])
    {
        return Err(ServerError::invalid(
            "min/max",
            format!("component {i}: min ({}) > max ({})", min[i], max[i]),
        ));
    }
    let below = |i: usize| options.min.is_some_and(|m| initial[i] < m[i]);
    let above = |i: usize| options.max.is_some_and(|m| initial[i] > m[i]);
    if let Some(i) = (0..N).find(|&i| below(i) || above(i)) {
        return Err(ServerError::invalid(
            "initial",
            format!(
                "component {i} ({}) is outside [min, max] = [{:?}, {:?}]",
                initial[i], options.min, options.max
            ),
        ));
    }
    let mut values: Vec<f64> = initial.to_vec();
    values.extend(options.min.iter().flatten());
    values.extend(options.max.iter().flatten());
    let step = match options.step {
        Some(step) if !(step.is_finite() && step > 0.0) => {
            return Err(ServerError::invalid(
                "step",
                format!("{step} must be finite and > 0"),
            ));
        }
        Some(step) => step,
        None => default_step(&values),
    };
    values.push(step);
    Ok((step, precision_covering(&values)))
}

fn rule<const N: usize>(options: &VectorOptions<N>) -> ValueRule {
    ValueRule::Bounds {
        min: options.min.map(|m| m.to_vec()),
        max: options.max.map(|m| m.to_vec()),
        sorted: false,
    }
}

impl GuiApi {
    /// Adds a two-component vector input.
    pub fn add_vector2(
        &self,
        label: &str,
        initial: [f64; 2],
        options: VectorOptions<2>,
    ) -> Result<GuiInputHandle<[f64; 2]>> {
        let (step, precision) = check(&initial, &options)?;
        self.add_input(
            &initial,
            EntryKind::Input,
            rule(&options),
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiVector2Message {
                    uuid,
                    value: initial,
                    container_uuid,
                    props: GuiVector2Props {
                        order,
                        label: label.to_owned(),
                        hint: options.hint,
                        visible: options.visible,
                        disabled: options.disabled,
                        min: options.min,
                        max: options.max,
                        step,
                        precision,
                    },
                })
            },
        )
    }

    /// Adds a three-component vector input.
    pub fn add_vector3(
        &self,
        label: &str,
        initial: [f64; 3],
        options: VectorOptions<3>,
    ) -> Result<GuiInputHandle<[f64; 3]>> {
        let (step, precision) = check(&initial, &options)?;
        self.add_input(
            &initial,
            EntryKind::Input,
            rule(&options),
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiVector3Message {
                    uuid,
                    value: initial,
                    container_uuid,
                    props: GuiVector3Props {
                        order,
                        label: label.to_owned(),
                        hint: options.hint,
                        visible: options.visible,
                        disabled: options.disabled,
                        min: options.min,
                        max: options.max,
                        step,
                        precision,
                    },
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argument<T: std::fmt::Debug>(result: Result<T>) -> &'static str {
        match result {
            Err(ServerError::InvalidArgument { argument, .. }) => argument,
            other => panic!("expected an invalid argument, got {other:?}"),
        }
    }

    #[test]
    fn step_and_precision_cover_all_components() {
        let options = VectorOptions::<3> {
            min: Some([-1.0, -1.5, 0.0]),
            ..VectorOptions::default()
        };
        assert_eq!(
            check(&[0.0, 0.25, 1.0], &options).expect("valid"),
            (0.01, 2)
        );
        assert_eq!(
            check(&[1.0, 2.0], &VectorOptions::default()).expect("valid"),
            (1.0, 0)
        );
    }

    #[test]
    fn bad_arguments_are_named() {
        let bounded = VectorOptions::<2> {
            min: Some([0.0, 0.0]),
            max: Some([1.0, 1.0]),
            ..VectorOptions::default()
        };
        assert_eq!(argument(check(&[0.5, 2.0], &bounded)), "initial");
        assert_eq!(argument(check(&[f64::NAN, 0.0], &bounded)), "initial");
        let crossed = VectorOptions::<2> {
            min: Some([0.0, 2.0]),
            max: Some([1.0, 1.0]),
            ..VectorOptions::default()
        };
        assert_eq!(argument(check(&[0.5, 1.0], &crossed)), "min/max");
        let negative_step = VectorOptions::<2> {
            step: Some(-1.0),
            ..VectorOptions::default()
        };
        assert_eq!(argument(check(&[0.0, 0.0], &negative_step)), "step");
    }
}
