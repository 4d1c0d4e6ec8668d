//! Per-instance transforms of the batched kinds (batched axes, batched
//! meshes, batched GLB): one orientation, position and optional scale per
//! instance, sent as `<f4` arrays.

use viser4d_proto::{TypedArray, Value};

use crate::error::{Result, ServerError};
use crate::scene::props;

/// Per-instance scales.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InstanceScales<'a> {
    /// One uniform factor per instance.
    Uniform(&'a [f32]),
    /// One (x, y, z) factor per instance.
    PerAxis(&'a [[f32; 3]]),
}

impl InstanceScales<'_> {
    fn len(&self) -> usize {
        match self {
            InstanceScales::Uniform(s) => s.len(),
            InstanceScales::PerAxis(s) => s.len(),
        }
    }
}

/// The instances of a batched node: `wxyzs[i]` and `positions[i]` place
/// instance `i` in the node's frame (`T_parent_local`, like a node pose).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Instances<'a> {
    /// Orientations `[w, x, y, z]`, one per instance.
    pub wxyzs: &'a [[f32; 4]],
    /// Positions, one per instance.
    pub positions: &'a [[f32; 3]],
    /// Scales, one per instance; `None` is 1.
    pub scales: Option<InstanceScales<'a>>,
}

impl<'a> Instances<'a> {
    /// Instances with unit scale.
    pub fn new(wxyzs: &'a [[f32; 4]], positions: &'a [[f32; 3]]) -> Instances<'a> {
        Instances {
            wxyzs,
            positions,
            scales: None,
        }
    }

    /// These instances with per-instance scales.
    pub fn with_scales(self, scales: InstanceScales<'a>) -> Instances<'a> {
        Instances {
            scales: Some(scales),
            ..self
        }
    }

    /// Checks the arrays (same lengths, finite, non-zero quaternions,
    /// non-negative scales) and encodes them.
    pub(crate) fn encode(&self) -> Result<EncodedInstances> {
        let count = self.wxyzs.len();
        if self.positions.len() != count {
            return Err(ServerError::invalid(
                "positions",
                format!(
                    "{} positions for {count} orientations",
                    self.positions.len()
                ),
            ));
        }
        let wxyzs = props::encode_quaternions("wxyzs", self.wxyzs)?;
        let positions = props::encode_vec3("positions", self.positions)?;
        let scales = match self.scales {
            None => None,
            Some(scales) if scales.len() != count => {
                return Err(ServerError::invalid(
                    "scales",
                    format!("{} scales for {count} instances", scales.len()),
                ));
            }
            Some(InstanceScales::Uniform(s)) => {
                Some(props::encode_bounded_f32("scales", s, 0.0, f32::MAX)?)
            }
            Some(InstanceScales::PerAxis(s)) => Some(props::encode_bounded_f32(
                "scales",
                s.as_flattened(),
                0.0,
                f32::MAX,
            )?),
        };
        Ok(EncodedInstances {
            wxyzs,
            positions,
            scales,
            count,
        })
    }
}

/// Instances checked and encoded, ready for a create message or updates.
#[derive(Debug, Clone)]
pub(crate) struct EncodedInstances {
    pub(crate) wxyzs: TypedArray,
    pub(crate) positions: TypedArray,
    pub(crate) scales: Option<TypedArray>,
    pub(crate) count: usize,
}

/// The key under which batched nodes record their instance count.
pub(crate) const INSTANCES: &str = "instances";

impl EncodedInstances {
    /// The three property updates, orientations first as viser's handle
    /// assigns them.
    pub(crate) fn into_props(self) -> Vec<(&'static str, Value)> {
        vec![
            ("batched_wxyzs", Value::Typed(self.wxyzs)),
            ("batched_positions", Value::Typed(self.positions)),
            (
                "batched_scales",
                self.scales.map_or(Value::Nil, Value::Typed),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_arrays_must_agree() {
        let wxyzs = [[1.0, 0.0, 0.0, 0.0]; 2];
        let positions = [[0.0; 3]; 2];
        let ok = Instances::new(&wxyzs, &positions).encode();
        assert_eq!(ok.as_ref().map(|e| e.count).ok(), Some(2));
        assert!(Instances::new(&wxyzs, &positions[..1]).encode().is_err());
        let scales = [1.0];
        let bad = Instances::new(&wxyzs, &positions).with_scales(InstanceScales::Uniform(&scales));
        assert!(bad.encode().is_err());
        let negative = [1.0, -1.0];
        let bad =
            Instances::new(&wxyzs, &positions).with_scales(InstanceScales::Uniform(&negative));
        assert!(bad.encode().is_err());
        let per_axis = [[1.0, 2.0, 3.0]; 2];
        let good =
            Instances::new(&wxyzs, &positions).with_scales(InstanceScales::PerAxis(&per_axis));
        assert_eq!(
            good.encode().ok().and_then(|e| e.scales).map(|s| s.len()),
            Some(6)
        );
    }
}
