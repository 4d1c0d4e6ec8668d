//! Checks on user input, each returning a typed error naming the argument.

use viser4d_proto::messages::{Lod, ReceiveShadow, Scale};

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

/// A finite value > 0.
pub(crate) fn positive(argument: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ServerError::invalid(
            argument,
            format!("{value} must be finite and > 0"),
        ))
    }
}

/// A finite value.
pub(crate) fn finite_value(argument: &'static str, value: f64) -> Result<()> {
    finite(argument, &[value])
}

/// Scales may be uniform or per axis; each factor must be finite and >= 0.
pub(crate) fn check_scale(scale: &Scale) -> Result<()> {
    match scale {
        Scale::Uniform(s) => non_negative("scale", *s),
        Scale::PerAxis(xyz) => xyz.iter().try_for_each(|&s| non_negative("scale", s)),
    }
}

/// A fixed shadow opacity must lie in [0, 1].
pub(crate) fn check_receive_shadow(receive_shadow: &ReceiveShadow) -> Result<()> {
    match receive_shadow {
        ReceiveShadow::Enabled(_) => Ok(()),
        ReceiveShadow::Opacity(o) => unit_interval("receive_shadow", *o),
    }
}

/// `None` (opaque) or a value in [0, 1].
pub(crate) fn check_opacity(opacity: Option<f64>) -> Result<()> {
    opacity.map_or(Ok(()), |o| unit_interval("opacity", o))
}

/// Explicit levels are (distance, ratio) pairs: finite and >= 0.
pub(crate) fn check_lod(lod: &Lod) -> Result<()> {
    match lod {
        Lod::Mode(_) => Ok(()),
        Lod::Levels(levels) => levels
            .iter()
            .flatten()
            .try_for_each(|&v| non_negative("lod", v)),
    }
}

/// 3-vectors whose components must all be finite.
pub(crate) fn check_vec3(argument: &'static str, values: &[[f32; 3]]) -> Result<()> {
    match values.iter().position(|v| v.iter().any(|c| !c.is_finite())) {
        None => Ok(()),
        Some(i) => Err(ServerError::invalid(
            argument,
            format!("element {i} is {:?}, not finite", values[i]),
        )),
    }
}

/// Faces that need `needed` vertices must have them.
pub(crate) fn check_faces_fit(needed: usize, vertex_count: usize) -> Result<()> {
    if needed <= vertex_count {
        Ok(())
    } else {
        Err(ServerError::invalid(
            "faces",
            format!(
                "a face uses vertex index {}, but there are only {vertex_count} vertices",
                needed - 1
            ),
        ))
    }
}

/// The value `new` items must have to agree with what a node already has
/// under `key` (when it records one).
pub(crate) fn check_len(
    lengths: &std::collections::HashMap<&'static str, usize>,
    key: &'static str,
    argument: &'static str,
    new: usize,
) -> Result<()> {
    match lengths.get(key) {
        Some(&have) if have != new => Err(ServerError::invalid(
            argument,
            format!("{new} given where the node has {have} {key}"),
        )),
        _ => Ok(()),
    }
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

    #[test]
    fn values_are_checked() {
        assert!(check_scale(&Scale::PerAxis([1.0, f64::NAN, 1.0])).is_err());
        assert!(check_scale(&Scale::Uniform(-1.0)).is_err());
        assert!(check_receive_shadow(&ReceiveShadow::Opacity(1.5)).is_err());
        assert!(check_opacity(Some(f64::NAN)).is_err());
        assert!(check_opacity(None).is_ok());
        assert!(check_lod(&Lod::Levels(vec![[1.0, -0.5]])).is_err());
    }

    #[test]
    fn faces_must_fit_the_vertices() {
        assert!(check_faces_fit(4, 4).is_ok());
        assert!(check_faces_fit(5, 4).is_err());
    }
}
