//! Checks on user input, each returning a typed error naming the argument.

use crate::error::{Result, ServerError};

pub(crate) fn finite(argument: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(ServerError::invalid(
            argument,
            format!("component {i} is {}", values[i]),
        )),
    }
}

pub(crate) fn non_negative(argument: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ServerError::invalid(
            argument,
            format!("{value} must be finite and >= 0"),
        ))
    }
}

pub(crate) fn unit_interval(argument: &'static str, value: f64) -> Result<()> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(ServerError::invalid(
            argument,
            format!("{value} is not in [0, 1]"),
        ))
    }
}

/// A quaternion must be finite and not zero (it is normalized by the client).
pub(crate) fn quaternion(argument: &'static str, wxyz: &[f64; 4]) -> Result<()> {
    finite(argument, wxyz)?;
    if wxyz.iter().all(|v| *v == 0.0) {
        return Err(ServerError::invalid(
            argument,
            "the zero quaternion is not a rotation",
        ));
    }
    Ok(())
}

/// Normalizes a scene node name the way viser does: a leading `/`, no
/// trailing `/`, no empty segments.
pub(crate) fn node_name(name: &str) -> Result<String> {
    let trimmed = name.trim();
    let segments: Vec<&str> = trimmed.split('/').filter(|s| !s.is_empty()).collect();
    if segments.is_empty() {
        return Err(ServerError::invalid(
            "name",
            format!("{name:?} names no node (it must have a segment, like \"/a\")"),
        ));
    }
    Ok(format!("/{}", segments.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized() {
        assert_eq!(node_name("a/b").ok().as_deref(), Some("/a/b"));
        assert_eq!(node_name("/a//b/").ok().as_deref(), Some("/a/b"));
        assert!(node_name("").is_err());
        assert!(node_name("///").is_err());
    }

    #[test]
    fn numbers_are_checked() {
        assert!(finite("p", &[0.0, f64::NAN]).is_err());
        assert!(quaternion("q", &[0.0; 4]).is_err());
        assert!(unit_interval("o", 1.5).is_err());
        assert!(non_negative("r", -1.0).is_err());
    }
}
