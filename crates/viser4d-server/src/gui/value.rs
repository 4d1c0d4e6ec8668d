//! Rust types a GUI input can hold, and their wire form.

use viser4d_proto::Value;

/// A value a GUI input holds. The browser sends numbers as it likes
/// (`3` for `3.0`), so reading back is lenient about number kinds.
pub trait GuiValue: Clone + PartialEq + Send + Sync + 'static {
    /// The wire form.
    fn to_value(&self) -> Value;
    /// From the wire form; `None` if it has the wrong shape.
    fn from_value(value: &Value) -> Option<Self>;
}

impl GuiValue for f64 {
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
    fn from_value(value: &Value) -> Option<f64> {
        value.as_f64()
    }
}

impl GuiValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_value(value: &Value) -> Option<bool> {
        match value {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl GuiValue for String {
    fn to_value(&self) -> Value {
        Value::Str(self.clone())
    }
    fn from_value(value: &Value) -> Option<String> {
        value.as_str().map(str::to_owned)
    }
}

impl<const N: usize> GuiValue for [f64; N] {
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(|v| Value::Float(*v)).collect())
    }
    fn from_value(value: &Value) -> Option<[f64; N]> {
        let Value::Array(items) = value else {
            return None;
        };
        let numbers: Vec<f64> = items.iter().map(Value::as_f64).collect::<Option<_>>()?;
        numbers.try_into().ok()
    }
}

impl<const N: usize> GuiValue for [u8; N] {
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(|v| Value::Int(i64::from(*v))).collect())
    }
    fn from_value(value: &Value) -> Option<[u8; N]> {
        let Value::Array(items) = value else {
            return None;
        };
        let channels: Vec<u8> = items
            .iter()
            .map(|v| {
                v.as_f64()
                    .filter(|f| (0.0..=255.0).contains(f))
                    .map(|f| f.round() as u8)
            })
            .collect::<Option<_>>()?;
        channels.try_into().ok()
    }
}

impl GuiValue for Vec<f64> {
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(|v| Value::Float(*v)).collect())
    }
    fn from_value(value: &Value) -> Option<Vec<f64>> {
        let Value::Array(items) = value else {
            return None;
        };
        items.iter().map(Value::as_f64).collect()
    }
}

/// Wire form of a value from Rust or a tab, normalized through `T` (so a
/// tab's `3` becomes `3.0` for a float input); `None` if it has the wrong
/// shape for `T`.
pub(crate) fn normalize<T: GuiValue>(value: &Value) -> Option<Value> {
    T::from_value(value).map(|v| v.to_value())
}

/// How an input checks the values it is given.
#[derive(Debug, Clone)]
pub(crate) struct ValueCheck {
    /// Shape check and normalization (see [`normalize`]).
    pub(crate) normalize: fn(&Value) -> Option<Value>,
    /// What the value must satisfy beyond its shape.
    pub(crate) rule: ValueRule,
}

impl ValueCheck {
    pub(crate) fn new<T: GuiValue>(rule: ValueRule) -> ValueCheck {
        ValueCheck {
            normalize: normalize::<T>,
            rule,
        }
    }

    /// Checks a value set from Rust: shape, finiteness, and the whole rule.
    pub(crate) fn check_from_program(&self, value: &Value) -> Result<Value, String> {
        let value = (self.normalize)(value).ok_or("has the wrong shape")?;
        all_finite(&value)?;
        self.rule.check(&value, true)?;
        Ok(value)
    }

    /// Checks a value a tab sent: shape, finiteness and membership of an
    /// option list. Numeric bounds are not enforced: the stock client
    /// already keeps its widgets within them, and refusing a value the tab
    /// shows would leave the server disagreeing with what the user sees.
    pub(crate) fn check_from_tab(&self, value: &Value) -> Result<Value, String> {
        let value = (self.normalize)(value).ok_or("has the wrong shape")?;
        all_finite(&value)?;
        self.rule.check(&value, false)?;
        Ok(value)
    }
}

/// What an input's value must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ValueRule {
    /// Anything of the right shape.
    Any,
    /// Every number within `[min, max]`. A bound with one entry applies to
    /// every number (sliders, multi-sliders); otherwise component `i` is
    /// checked against entry `i` (vectors). `sorted` requires the numbers to
    /// be non-decreasing (multi-slider handles).
    Bounds {
        min: Option<Vec<f64>>,
        max: Option<Vec<f64>>,
        sorted: bool,
    },
    /// One of these strings (dropdowns, button groups).
    OneOf(Vec<String>),
}

impl ValueRule {
    /// `bounds` false skips numeric bounds (see [`ValueCheck::check_from_tab`]).
    fn check(&self, value: &Value, bounds: bool) -> Result<(), String> {
        match self {
            ValueRule::Any => Ok(()),
            ValueRule::OneOf(options) => {
                let text = value.as_str().ok_or("is not a string")?;
                if options.iter().any(|o| o == text) {
                    Ok(())
                } else {
                    Err(format!("{text:?} is not one of the options {options:?}"))
                }
            }
            ValueRule::Bounds { min, max, sorted } => {
                if !bounds {
                    return Ok(());
                }
                let numbers = numbers_of(value).ok_or("is not numeric")?;
                for (i, x) in numbers.iter().enumerate() {
                    let lo = min.as_deref().and_then(|m| bound_for(m, i));
                    let hi = max.as_deref().and_then(|m| bound_for(m, i));
                    if lo.is_some_and(|lo| *x < lo) || hi.is_some_and(|hi| *x > hi) {
                        return Err(format!(
                            "component {i} ({x}) is outside [{}, {}]",
                            lo.map_or("-inf".to_owned(), |v| v.to_string()),
                            hi.map_or("inf".to_owned(), |v| v.to_string()),
                        ));
                    }
                }
                if *sorted && numbers.windows(2).any(|w| w[1] < w[0]) {
                    return Err(format!("{numbers:?} is not in non-decreasing order"));
                }
                Ok(())
            }
        }
    }
}

fn bound_for(bounds: &[f64], i: usize) -> Option<f64> {
    match bounds {
        [single] => Some(*single),
        many => many.get(i).copied(),
    }
}

/// The numbers of a number or an array of numbers.
fn numbers_of(value: &Value) -> Option<Vec<f64>> {
    match value {
        Value::Array(items) => items.iter().map(Value::as_f64).collect(),
        other => other.as_f64().map(|x| vec![x]),
    }
}

fn all_finite(value: &Value) -> Result<(), String> {
    match value {
        Value::Float(x) if !x.is_finite() => Err(format!("{x} is not finite")),
        Value::Array(items) => items.iter().try_for_each(all_finite),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_numbers_are_normalized_to_the_input_type() {
        assert_eq!(normalize::<f64>(&Value::Int(3)), Some(Value::Float(3.0)));
        assert_eq!(
            normalize::<[f64; 2]>(&Value::Array(vec![Value::Int(1), Value::Float(2.5)])),
            Some(Value::Array(vec![Value::Float(1.0), Value::Float(2.5)]))
        );
        assert_eq!(
            normalize::<[u8; 3]>(&Value::Array(vec![
                Value::Float(1.0),
                Value::Int(2),
                Value::Int(255)
            ])),
            Some(Value::Array(vec![
                Value::Int(1),
                Value::Int(2),
                Value::Int(255)
            ]))
        );
        // Wrong shapes.
        assert_eq!(normalize::<[f64; 3]>(&Value::Array(vec![])), None);
        assert_eq!(
            normalize::<[u8; 3]>(&Value::Array(vec![Value::Int(256); 3])),
            None
        );
        assert_eq!(normalize::<bool>(&Value::Int(1)), None);
        assert_eq!(normalize::<String>(&Value::Float(1.0)), None);
    }

    #[test]
    fn bounds_apply_per_component_or_to_all() {
        let per_component = ValueCheck::new::<[f64; 2]>(ValueRule::Bounds {
            min: Some(vec![0.0, 10.0]),
            max: None,
            sorted: false,
        });
        assert!(
            per_component
                .check_from_program(&[1.0, 10.0].to_value())
                .is_ok()
        );
        assert!(
            per_component
                .check_from_program(&[1.0, 9.0].to_value())
                .is_err()
        );
        // Tabs are not held to the bounds, only to the shape.
        assert!(per_component.check_from_tab(&[1.0, 9.0].to_value()).is_ok());
        assert!(per_component.check_from_tab(&[1.0].to_value()).is_err());

        let multi = ValueCheck::new::<Vec<f64>>(ValueRule::Bounds {
            min: Some(vec![0.0]),
            max: Some(vec![1.0]),
            sorted: true,
        });
        assert!(
            multi
                .check_from_program(&vec![0.0, 0.5, 1.0].to_value())
                .is_ok()
        );
        assert!(
            multi
                .check_from_program(&vec![0.5, 0.2].to_value())
                .is_err()
        );
        assert!(
            multi
                .check_from_program(&vec![0.5, 2.0].to_value())
                .is_err()
        );
        assert!(
            multi
                .check_from_program(&vec![f64::NAN].to_value())
                .is_err()
        );
        assert!(
            multi
                .check_from_tab(&vec![f64::INFINITY].to_value())
                .is_err()
        );
    }

    #[test]
    fn options_are_enforced_for_program_and_tabs() {
        let check = ValueCheck::new::<String>(ValueRule::OneOf(vec!["a".into(), "b".into()]));
        assert!(check.check_from_program(&"a".to_owned().to_value()).is_ok());
        assert!(
            check
                .check_from_program(&"c".to_owned().to_value())
                .is_err()
        );
        assert!(check.check_from_tab(&"c".to_owned().to_value()).is_err());
    }
}
