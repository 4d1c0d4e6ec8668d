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
