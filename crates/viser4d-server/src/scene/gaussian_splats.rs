//! Gaussian splats (experimental in viser too): centers, covariances,
//! colors and opacities packed into the 32-byte-per-splat buffer the
//! client's renderer reads.

use viser4d_proto::messages::{GaussianSplatsMessage, GaussianSplatsProps, Scale};
use viser4d_proto::{Message, TypedArray, Value};

use crate::error::{Result, ServerError};
use crate::scene::point_cloud::f32_to_f16_bits;
use crate::scene::setters::{node_handle, scale_setter};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// The splats: four arrays with one entry per Gaussian each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gaussians<'a> {
    /// Centers.
    pub centers: &'a [[f32; 3]],
    /// Covariance matrices (symmetric; the upper triangle is sent, as
    /// half floats, so entries must stay within +-65504).
    pub covariances: &'a [[[f32; 3]; 3]],
    /// Colors.
    pub rgbs: &'a [[u8; 3]],
    /// Opacities in [0, 1].
    pub opacities: &'a [f32],
}

/// Options of [`SceneApi::add_gaussian_splats`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianSplatsOptions {
    /// Scale of the node.
    pub scale: Scale,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for GaussianSplatsOptions {
    fn default() -> GaussianSplatsOptions {
        GaussianSplatsOptions {
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// Gaussian splats.
    GaussianSplatsHandle
);

/// The largest finite half float.
const F16_MAX: f32 = 65504.0;

impl Gaussians<'_> {
    /// Packs the splats as viser does: per splat eight `u32` words, the
    /// center (3 x f32), one word reserved for the renderer, the upper
    /// triangle of the covariance (6 x f16: xx, xy, xz, yy, yz, zz) and
    /// RGBA bytes. The `u32` view is little-endian, as numpy's on the
    /// machines viser runs on.
    pub(crate) fn encode(&self) -> Result<TypedArray> {
        let count = self.centers.len();
        for (argument, len) in [
            ("covariances", self.covariances.len()),
            ("rgbs", self.rgbs.len()),
            ("opacities", self.opacities.len()),
        ] {
            if len != count {
                return Err(ServerError::invalid(
                    argument,
                    format!("{len} given for {count} centers"),
                ));
            }
        }
        validate::check_vec3("centers", self.centers)?;
        if let Some(i) = self.covariances.iter().position(|c| {
            c.as_flattened()
                .iter()
                .any(|v| v.is_nan() || v.abs() > F16_MAX)
        }) {
            return Err(ServerError::invalid(
                "covariances",
                format!(
                    "covariance {i} is {:?}: entries must be finite and within +-{F16_MAX}",
                    self.covariances[i]
                ),
            ));
        }
        if let Some(i) = self.opacities.iter().position(|o| !(0.0..=1.0).contains(o)) {
            return Err(ServerError::invalid(
                "opacities",
                format!("opacity {i} is {}, not in [0, 1]", self.opacities[i]),
            ));
        }
        let mut words = Vec::with_capacity(count * 8);
        for (((center, cov), rgb), &opacity) in self
            .centers
            .iter()
            .zip(self.covariances)
            .zip(self.rgbs)
            .zip(self.opacities)
        {
            words.extend(center.iter().map(|c| c.to_bits()));
            words.push(0);
            let triu = [
                cov[0][0], cov[0][1], cov[0][2], cov[1][1], cov[1][2], cov[2][2],
            ]
            .map(f32_to_f16_bits);
            for pair in triu.chunks_exact(2) {
                words.push(u32::from(pair[0]) | (u32::from(pair[1]) << 16));
            }
            // numpy's clip(x * 255, 0, 255).astype(uint8) truncates.
            let alpha = (opacity * 255.0) as u8;
            words.push(u32::from_le_bytes([rgb[0], rgb[1], rgb[2], alpha]));
        }
        Ok(TypedArray::from_u32(&words))
    }
}

impl SceneApi {
    /// Adds Gaussian splats.
    pub fn add_gaussian_splats(
        &self,
        name: &str,
        gaussians: Gaussians<'_>,
        options: GaussianSplatsOptions,
    ) -> Result<GaussianSplatsHandle> {
        validate::check_scale(&options.scale)?;
        let buffer = gaussians.encode()?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(GaussianSplatsMessage {
                name,
                owner,
                r#virtual: false,
                props: GaussianSplatsProps {
                    buffer,
                    scale: options.scale,
                },
            })
        })
        .map(GaussianSplatsHandle)
    }
}

impl GaussianSplatsHandle {
    /// Replaces all splats at once (their number may change).
    pub fn set_gaussians(&self, gaussians: Gaussians<'_>) -> Result<()> {
        self.set_prop("buffer", Value::Typed(gaussians.encode()?))
    }
}

scale_setter!(GaussianSplatsHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn splats_pack_like_viser() -> Result<()> {
        let identity = [[1.0, 0.5, 0.0], [0.5, 2.0, 0.0], [0.0, 0.0, 0.1]];
        let gaussians = Gaussians {
            centers: &[[1.0, -2.0, 3.0]],
            covariances: &[identity],
            rgbs: &[[10, 20, 30]],
            opacities: &[0.5],
        };
        let words = gaussians.encode()?.to_u32_vec().unwrap_or_default();
        assert_eq!(
            words,
            [
                1.0f32.to_bits(),
                (-2.0f32).to_bits(),
                3.0f32.to_bits(),
                0,
                // (1.0, 0.5), (0.0, 2.0), (0.0, 0.1) as half floats.
                0x3800_3c00,
                0x4000_0000,
                0x2e66_0000,
                u32::from_le_bytes([10, 20, 30, 127]),
            ]
        );
        Ok(())
    }

    #[test]
    fn splat_arrays_are_checked() -> Result<()> {
        let h = Harness::new()?;
        let cov = [[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]; 2];
        let good = Gaussians {
            centers: &[[0.0; 3]; 2],
            covariances: &cov,
            rgbs: &[[0; 3]; 2],
            opacities: &[1.0, 0.0],
        };
        let splats =
            h.scene
                .add_gaussian_splats("/splats", good, GaussianSplatsOptions::default())?;
        assert!(matches!(
            h.sent().first(),
            Some(Message::GaussianSplatsMessage(m)) if m.props.buffer.len() == 16
        ));
        let short = Gaussians {
            rgbs: &[[0; 3]],
            ..good
        };
        assert!(splats.set_gaussians(short).is_err());
        let opaque = Gaussians {
            opacities: &[1.5, 0.0],
            ..good
        };
        assert!(splats.set_gaussians(opaque).is_err());
        let huge = [[[1e6, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]; 2];
        let huge = Gaussians {
            covariances: &huge,
            ..good
        };
        assert!(splats.set_gaussians(huge).is_err());
        Ok(())
    }
}
