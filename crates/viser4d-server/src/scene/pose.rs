//! The pose and visibility every node is created with.

use crate::error::Result;
use crate::validate;

pub(crate) const IDENTITY: [f64; 4] = [1.0, 0.0, 0.0, 0.0];

/// Where a node starts, relative to its parent, and whether it is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// Translation from the node to its parent frame.
    pub position: [f64; 3],
    /// Rotation from the node to its parent frame, `[w, x, y, z]`.
    pub wxyz: [f64; 4],
    /// Whether the node is visible.
    pub visible: bool,
}

impl Default for Pose {
    fn default() -> Pose {
        Pose {
            position: [0.0; 3],
            wxyz: IDENTITY,
            visible: true,
        }
    }
}

impl Pose {
    /// The identity pose at `position`.
    pub fn at(position: [f64; 3]) -> Pose {
        Pose {
            position,
            ..Pose::default()
        }
    }

    /// This pose with orientation `wxyz`.
    pub fn with_wxyz(self, wxyz: [f64; 4]) -> Pose {
        Pose { wxyz, ..self }
    }

    /// This pose, hidden.
    pub fn hidden(self) -> Pose {
        Pose {
            visible: false,
            ..self
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        validate::finite("position", &self.position)?;
        validate::quaternion("wxyz", &self.wxyz)
    }
}
