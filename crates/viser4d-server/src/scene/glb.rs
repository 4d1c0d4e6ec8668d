//! glTF assets as binary GLB: one asset, or one asset instanced at many
//! poses. The client loads the bytes as they are (materials, textures,
//! vertex colors and animations included), so this is also the way to show
//! meshes `MeshProps` cannot describe.

use bytes::Bytes;
use viser4d_proto::messages::{
    BatchedGlbMessage, BatchedGlbProps, GlbMessage, GlbProps, Lod, LodMode, ReceiveShadow, Scale,
};
use viser4d_proto::{Message, Value};

use crate::error::{Result, ServerError};
use crate::scene::instances::{INSTANCES, Instances};
use crate::scene::props;
use crate::scene::setters::{bool_setter, node_handle, scale_setter, shadow_setters};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// A GLB file starts with the magic `glTF` and a 12-byte header.
fn check_glb(data: &[u8]) -> Result<()> {
    if data.len() >= 12 && data.starts_with(b"glTF") {
        Ok(())
    } else {
        Err(ServerError::invalid(
            "glb_data",
            "not GLB data (binary glTF starts with the magic \"glTF\")",
        ))
    }
}

/// Options of [`SceneApi::add_glb`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct GlbOptions {
    /// Scale of the asset.
    pub scale: Scale,
    /// Whether the asset casts shadows.
    pub cast_shadow: bool,
    /// Whether the asset receives shadows, or a fixed shadow opacity.
    pub receive_shadow: ReceiveShadow,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for GlbOptions {
    fn default() -> GlbOptions {
        GlbOptions {
            scale: Scale::Uniform(1.0),
            cast_shadow: true,
            receive_shadow: ReceiveShadow::Enabled(true),
            pose: Pose::default(),
        }
    }
}

/// Options of [`SceneApi::add_batched_glb`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchedGlbOptions {
    /// Level of detail: automatic, off, or (distance, ratio) pairs.
    pub lod: Lod,
    /// Whether the instances cast shadows.
    pub cast_shadow: bool,
    /// Whether the instances receive shadows.
    pub receive_shadow: bool,
    /// Scale of the whole batch.
    pub scale: Scale,
    /// Initial pose (applied to every instance) and visibility.
    pub pose: Pose,
}

impl Default for BatchedGlbOptions {
    fn default() -> BatchedGlbOptions {
        BatchedGlbOptions {
            lod: Lod::Mode(LodMode::Auto),
            cast_shadow: true,
            receive_shadow: true,
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// A GLB asset.
    GlbHandle
);
node_handle!(
    /// A GLB asset instanced at many poses.
    BatchedGlbHandle
);

impl SceneApi {
    /// Adds a glTF asset from the bytes of a `.glb` file.
    pub fn add_glb(
        &self,
        name: &str,
        glb_data: impl Into<Bytes>,
        options: GlbOptions,
    ) -> Result<GlbHandle> {
        let glb_data = glb_data.into();
        check_glb(&glb_data)?;
        validate::check_scale(&options.scale)?;
        validate::check_receive_shadow(&options.receive_shadow)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(GlbMessage {
                name,
                owner,
                r#virtual: false,
                props: GlbProps {
                    glb_data,
                    cast_shadow: options.cast_shadow,
                    receive_shadow: options.receive_shadow,
                    scale: options.scale,
                },
            })
        })
        .map(GlbHandle)
    }

    /// Adds a glTF asset drawn once per instance. The client flattens the
    /// asset's node hierarchy and plays no animations.
    pub fn add_batched_glb(
        &self,
        name: &str,
        glb_data: impl Into<Bytes>,
        instances: Instances<'_>,
        options: BatchedGlbOptions,
    ) -> Result<BatchedGlbHandle> {
        let glb_data = glb_data.into();
        check_glb(&glb_data)?;
        validate::check_scale(&options.scale)?;
        validate::check_lod(&options.lod)?;
        let instances = instances.encode()?;
        let lengths = [(INSTANCES, instances.count)];
        self.add_node_with_lengths(name, &options.pose, &lengths, |name, owner| {
            Message::from(BatchedGlbMessage {
                name,
                owner,
                r#virtual: false,
                props: BatchedGlbProps {
                    batched_wxyzs: instances.wxyzs,
                    batched_positions: instances.positions,
                    batched_scales: instances.scales,
                    lod: options.lod,
                    glb_data,
                    cast_shadow: options.cast_shadow,
                    receive_shadow: options.receive_shadow,
                    scale: options.scale,
                },
            })
        })
        .map(BatchedGlbHandle)
    }
}

impl GlbHandle {
    /// Replaces the asset.
    pub fn set_glb_data(&self, glb_data: impl Into<Bytes>) -> Result<()> {
        let glb_data = glb_data.into();
        check_glb(&glb_data)?;
        self.set_prop("glb_data", Value::Bin(glb_data))
    }
}

shadow_setters!(GlbHandle);
scale_setter!(GlbHandle);

impl BatchedGlbHandle {
    /// Replaces the asset.
    pub fn set_glb_data(&self, glb_data: impl Into<Bytes>) -> Result<()> {
        let glb_data = glb_data.into();
        check_glb(&glb_data)?;
        self.set_prop("glb_data", Value::Bin(glb_data))
    }

    /// Replaces the instances (their number may change).
    pub fn set_instances(&self, instances: Instances<'_>) -> Result<()> {
        let instances = instances.encode()?;
        self.set_props_checked(|lengths| {
            lengths.insert(INSTANCES, instances.count);
            Ok(instances.into_props())
        })
    }

    /// Sets the level of detail.
    pub fn set_lod(&self, lod: Lod) -> Result<()> {
        validate::check_lod(&lod)?;
        self.set_prop("lod", props::lod_value(&lod))
    }
}

bool_setter!(BatchedGlbHandle, /// Sets whether the instances cast shadows.
    set_cast_shadow, "cast_shadow");
bool_setter!(BatchedGlbHandle, /// Sets whether the instances receive shadows.
    set_receive_shadow, "receive_shadow");
scale_setter!(BatchedGlbHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    /// A GLB header with no chunks: enough for our check.
    const GLB: &[u8] = b"glTF\x02\x00\x00\x00\x0c\x00\x00\x00";

    #[test]
    fn glb_bytes_are_checked() -> Result<()> {
        let h = Harness::new()?;
        assert!(
            h.scene
                .add_glb("/g", b"not a glb file".to_vec(), GlbOptions::default())
                .is_err()
        );
        let glb = h.scene.add_glb("/g", GLB, GlbOptions::default())?;
        assert!(matches!(
            h.sent().first(),
            Some(Message::GlbMessage(m)) if m.props.glb_data.as_ref() == GLB
        ));
        assert!(glb.set_glb_data(&b"glTF"[..]).is_err());
        let wxyzs = [[1.0, 0.0, 0.0, 0.0]];
        let positions = [[0.0; 3]];
        let batch = h.scene.add_batched_glb(
            "/bg",
            GLB,
            Instances::new(&wxyzs, &positions),
            BatchedGlbOptions::default(),
        )?;
        batch.set_lod(Lod::Levels(vec![[10.0, 0.5]]))?;
        assert!(batch.set_lod(Lod::Levels(vec![[f64::NAN, 0.5]])).is_err());
        Ok(())
    }
}
