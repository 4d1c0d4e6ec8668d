//! Batched meshes: one triangle mesh drawn at many poses as one instanced
//! node (viser's `add_batched_meshes_simple`), with optional per-instance
//! colors and opacities.

use std::collections::HashMap;

use viser4d_proto::messages::{
    BatchedMeshesMessage, BatchedMeshesProps, Lod, LodMode, Material, Scale, Side,
};
use viser4d_proto::{Message, TypedArray, Value};

use crate::error::Result;
use crate::scene::instances::{EncodedInstances, INSTANCES, Instances};
use crate::scene::mesh::{self, FACES_NEED, VERTICES};
use crate::scene::props::{self, Colors};
use crate::scene::setters::{bool_setter, node_handle, scale_setter, surface_setters};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// Recorded lengths besides the instance count: per-instance colors and
/// opacities, when the node has them.
const COLORS: &str = "colors";
const OPACITIES: &str = "opacities";

/// Options of [`SceneApi::add_batched_meshes`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchedMeshesOptions {
    /// Per-instance opacity factors in [0, 1] (multiplied with `opacity`),
    /// one per instance; `None` gives every instance `opacity`.
    pub opacities: Option<Vec<f32>>,
    /// Level of detail: automatic, off, or (distance, ratio) pairs.
    pub lod: Lod,
    /// Draw as wireframes (material and flat shading are then ignored).
    pub wireframe: bool,
    /// Opacity in [0, 1]; `None` is opaque.
    pub opacity: Option<f64>,
    /// Material.
    pub material: Material,
    /// Flat (per-face) shading.
    pub flat_shading: bool,
    /// Which side of the faces is drawn.
    pub side: Side,
    /// Whether the meshes cast shadows.
    pub cast_shadow: bool,
    /// Whether the meshes receive shadows (viser 1.1.1 takes no fixed
    /// shadow opacity here, unlike single meshes).
    pub receive_shadow: bool,
    /// Scale of the whole batch.
    pub scale: Scale,
    /// Initial pose (applied to every instance) and visibility.
    pub pose: Pose,
}

impl Default for BatchedMeshesOptions {
    fn default() -> BatchedMeshesOptions {
        BatchedMeshesOptions {
            opacities: None,
            lod: Lod::Mode(LodMode::Auto),
            wireframe: false,
            opacity: None,
            material: Material::Standard,
            flat_shading: false,
            side: Side::Front,
            cast_shadow: true,
            receive_shadow: true,
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// Batched meshes.
    BatchedMeshesHandle
);

fn encode_opacities(opacities: Option<&[f32]>, count: usize) -> Result<Option<TypedArray>> {
    let Some(o) = opacities else {
        return Ok(None);
    };
    if o.len() != count {
        return Err(crate::ServerError::invalid(
            "opacities",
            format!("{} opacities for {count} instances", o.len()),
        ));
    }
    props::encode_bounded_f32("opacities", o, 0.0, 1.0).map(Some)
}

fn record_styles(
    lengths: &mut HashMap<&'static str, usize>,
    colors: Option<usize>,
    opacities: Option<usize>,
) {
    match colors {
        Some(n) => lengths.insert(COLORS, n),
        None => lengths.remove(COLORS),
    };
    match opacities {
        Some(n) => lengths.insert(OPACITIES, n),
        None => lengths.remove(OPACITIES),
    };
}

impl SceneApi {
    /// Adds one mesh drawn once per instance (viser's
    /// `add_batched_meshes_simple`). `colors` is one color for all, or one
    /// per instance (viser's default is `Colors::Uniform([90, 200, 255])`).
    pub fn add_batched_meshes(
        &self,
        name: &str,
        vertices: &[[f32; 3]],
        faces: &[[u32; 3]],
        instances: Instances<'_>,
        colors: Colors<'_>,
        options: BatchedMeshesOptions,
    ) -> Result<BatchedMeshesHandle> {
        validate::check_opacity(options.opacity)?;
        validate::check_scale(&options.scale)?;
        validate::check_lod(&options.lod)?;
        let geometry = mesh::encode_geometry(vertices, faces)?;
        let EncodedInstances {
            wxyzs,
            positions,
            scales,
            count,
        } = instances.encode()?;
        let batched_colors = colors.encode("colors", count)?;
        let batched_opacities = encode_opacities(options.opacities.as_deref(), count)?;
        let mut lengths = vec![
            (INSTANCES, count),
            (VERTICES, geometry.vertex_count),
            (FACES_NEED, geometry.faces_need),
        ];
        if let Some(n) = colors.per_item_len() {
            lengths.push((COLORS, n));
        }
        if batched_opacities.is_some() {
            lengths.push((OPACITIES, count));
        }
        self.add_node_with_lengths(name, &options.pose, &lengths, |name, owner| {
            Message::from(BatchedMeshesMessage {
                name,
                owner,
                r#virtual: false,
                props: BatchedMeshesProps {
                    batched_wxyzs: wxyzs,
                    batched_positions: positions,
                    batched_scales: scales,
                    lod: options.lod,
                    vertices: geometry.vertices,
                    faces: geometry.faces,
                    batched_colors,
                    wireframe: options.wireframe,
                    opacity: options.opacity,
                    flat_shading: options.flat_shading,
                    side: options.side,
                    material: options.material,
                    cast_shadow: options.cast_shadow,
                    receive_shadow: options.receive_shadow,
                    batched_opacities,
                    scale: options.scale,
                },
            })
        })
        .map(BatchedMeshesHandle)
    }
}

impl BatchedMeshesHandle {
    /// Replaces the instances. If the node has per-instance colors or
    /// opacities, their number must not change: use [`Self::set_batch`]
    /// to change everything at once.
    pub fn set_instances(&self, instances: Instances<'_>) -> Result<()> {
        let instances = instances.encode()?;
        self.set_props_checked(|lengths| {
            validate::check_len(lengths, COLORS, "instances", instances.count)?;
            validate::check_len(lengths, OPACITIES, "instances", instances.count)?;
            lengths.insert(INSTANCES, instances.count);
            Ok(instances.into_props())
        })
    }

    /// Replaces the colors: one for all, or one per instance.
    pub fn set_colors(&self, colors: Colors<'_>) -> Result<()> {
        self.set_props_checked(|lengths| {
            let count = lengths.get(INSTANCES).copied().unwrap_or(0);
            let encoded = colors.encode("colors", count)?;
            let opacities = lengths.get(OPACITIES).copied();
            record_styles(lengths, colors.per_item_len(), opacities);
            Ok(vec![("batched_colors", Value::Typed(encoded))])
        })
    }

    /// Replaces the per-instance opacity factors (one per instance, in
    /// [0, 1]); `None` removes them.
    pub fn set_opacities(&self, opacities: Option<&[f32]>) -> Result<()> {
        self.set_props_checked(|lengths| {
            let count = lengths.get(INSTANCES).copied().unwrap_or(0);
            let encoded = encode_opacities(opacities, count)?;
            let colors = lengths.get(COLORS).copied();
            record_styles(lengths, colors, opacities.map(<[f32]>::len));
            Ok(vec![(
                "batched_opacities",
                encoded.map_or(Value::Nil, Value::Typed),
            )])
        })
    }

    /// Replaces instances, colors and opacity factors together (the way
    /// to change the number of instances of a node with per-instance
    /// colors or opacities).
    pub fn set_batch(
        &self,
        instances: Instances<'_>,
        colors: Colors<'_>,
        opacities: Option<&[f32]>,
    ) -> Result<()> {
        let instances = instances.encode()?;
        let count = instances.count;
        let encoded_colors = colors.encode("colors", count)?;
        let encoded_opacities = encode_opacities(opacities, count)?;
        self.set_props_checked(|lengths| {
            lengths.insert(INSTANCES, count);
            record_styles(lengths, colors.per_item_len(), opacities.map(<[f32]>::len));
            let mut updates = instances.into_props();
            updates.push(("batched_colors", Value::Typed(encoded_colors)));
            updates.push((
                "batched_opacities",
                encoded_opacities.map_or(Value::Nil, Value::Typed),
            ));
            Ok(updates)
        })
    }

    /// Replaces the mesh vertices; the current faces must still fit them.
    pub fn set_vertices(&self, vertices: &[[f32; 3]]) -> Result<()> {
        let encoded = props::encode_vec3("vertices", vertices)?;
        self.set_props_checked(|lengths| mesh::vertices_update(lengths, encoded, vertices.len()))
    }

    /// Replaces the mesh faces; they must index the current vertices.
    pub fn set_faces(&self, faces: &[[u32; 3]]) -> Result<()> {
        let (encoded, need) = props::encode_faces(faces);
        self.set_props_checked(|lengths| mesh::faces_update(lengths, encoded, need))
    }

    /// Replaces mesh vertices and faces together.
    pub fn set_geometry(&self, vertices: &[[f32; 3]], faces: &[[u32; 3]]) -> Result<()> {
        let geometry = mesh::encode_geometry(vertices, faces)?;
        self.set_props_checked(|lengths| Ok(mesh::geometry_update(lengths, geometry)))
    }

    /// Sets the level of detail.
    pub fn set_lod(&self, lod: Lod) -> Result<()> {
        validate::check_lod(&lod)?;
        self.set_prop("lod", props::lod_value(&lod))
    }
}

surface_setters!(BatchedMeshesHandle);
bool_setter!(BatchedMeshesHandle, /// Sets whether the meshes cast shadows.
    set_cast_shadow, "cast_shadow");
bool_setter!(BatchedMeshesHandle, /// Sets whether the meshes receive shadows.
    set_receive_shadow, "receive_shadow");
scale_setter!(BatchedMeshesHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    const TRIANGLE: [[f32; 3]; 3] = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];

    #[test]
    fn per_instance_arrays_must_match_the_instances() -> Result<()> {
        let h = Harness::new()?;
        let wxyzs = [[1.0, 0.0, 0.0, 0.0]; 2];
        let positions = [[0.0; 3], [1.0, 0.0, 0.0]];
        let colors = [[255, 0, 0], [0, 255, 0]];
        let instances = Instances::new(&wxyzs, &positions);
        let refused = h.scene.add_batched_meshes(
            "/b",
            &TRIANGLE,
            &[[0, 1, 2]],
            instances,
            Colors::PerItem(&colors[..1]),
            BatchedMeshesOptions::default(),
        );
        assert!(refused.is_err());
        let batch = h.scene.add_batched_meshes(
            "/b",
            &TRIANGLE,
            &[[0, 1, 2]],
            instances,
            Colors::PerItem(&colors),
            BatchedMeshesOptions {
                opacities: Some(vec![1.0, 0.5]),
                ..BatchedMeshesOptions::default()
            },
        )?;
        assert!(matches!(
            h.sent().first(),
            Some(Message::BatchedMeshesMessage(m))
                if m.props.batched_colors.len() == 6 && m.props.batched_opacities.is_some()
        ));
        let one = Instances::new(&wxyzs[..1], &positions[..1]);
        assert!(batch.set_instances(one).is_err());
        assert!(batch.set_opacities(Some(&[0.5])).is_err());
        batch.set_batch(one, Colors::Uniform([90, 200, 255]), None)?;
        batch.set_instances(Instances::new(&wxyzs, &positions))?;
        assert!(batch.set_colors(Colors::PerItem(&colors[..1])).is_err());
        batch.set_colors(Colors::PerItem(&colors))?;
        Ok(())
    }
}
