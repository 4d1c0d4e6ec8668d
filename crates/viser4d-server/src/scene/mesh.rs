//! Triangle meshes with one color (viser's `add_mesh_simple`).
//!
//! viser 1.1.1's `MeshProps` has a single `color` and no per-vertex
//! colors; viser itself sends vertex-colored or textured meshes as GLB
//! (`add_mesh_trimesh`). To show one, encode it as GLB and use
//! [`SceneApi::add_glb`].

use std::collections::HashMap;

use viser4d_proto::messages::{Material, MeshMessage, MeshProps, ReceiveShadow, Scale, Side};
use viser4d_proto::{Message, TypedArray, Value};

use crate::error::Result;
use crate::scene::props;
use crate::scene::setters::{
    color_setter, node_handle, scale_setter, shadow_setters, surface_setters,
};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// Options of [`SceneApi::add_mesh`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshOptions {
    /// Color of the mesh.
    pub color: [u8; 3],
    /// Draw as a wireframe (material and flat shading are then ignored).
    pub wireframe: bool,
    /// Opacity in [0, 1]; `None` is opaque.
    pub opacity: Option<f64>,
    /// Material.
    pub material: Material,
    /// Flat (per-face) shading.
    pub flat_shading: bool,
    /// Which side of the faces is drawn.
    pub side: Side,
    /// Scale of the mesh.
    pub scale: Scale,
    /// Whether the mesh casts shadows.
    pub cast_shadow: bool,
    /// Whether the mesh receives shadows, or a fixed shadow opacity.
    pub receive_shadow: ReceiveShadow,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for MeshOptions {
    fn default() -> MeshOptions {
        MeshOptions {
            color: [90, 200, 255],
            wireframe: false,
            opacity: None,
            material: Material::Standard,
            flat_shading: false,
            side: Side::Front,
            scale: Scale::Uniform(1.0),
            cast_shadow: true,
            receive_shadow: ReceiveShadow::Enabled(true),
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// A triangle mesh.
    MeshHandle
);

/// Recorded lengths: the vertex count, and the vertex count the faces
/// need (their largest index plus one).
pub(crate) const VERTICES: &str = "vertices";
pub(crate) const FACES_NEED: &str = "vertices needed by faces";

/// Vertices and faces, checked against each other and encoded.
pub(crate) struct EncodedGeometry {
    pub(crate) vertices: TypedArray,
    pub(crate) faces: TypedArray,
    pub(crate) vertex_count: usize,
    pub(crate) faces_need: usize,
}

pub(crate) fn encode_geometry(
    vertices: &[[f32; 3]],
    faces: &[[u32; 3]],
) -> Result<EncodedGeometry> {
    let encoded_vertices = props::encode_vec3("vertices", vertices)?;
    let (encoded_faces, faces_need) = props::encode_faces(faces);
    validate::check_faces_fit(faces_need, vertices.len())?;
    Ok(EncodedGeometry {
        vertices: encoded_vertices,
        faces: encoded_faces,
        vertex_count: vertices.len(),
        faces_need,
    })
}

/// A mesh's options and geometry checked, with the lengths its node
/// records (plain and skinned meshes).
pub(crate) fn checked_mesh(
    options: &MeshOptions,
    vertices: &[[f32; 3]],
    faces: &[[u32; 3]],
) -> Result<(EncodedGeometry, [(&'static str, usize); 2])> {
    validate::check_opacity(options.opacity)?;
    validate::check_scale(&options.scale)?;
    validate::check_receive_shadow(&options.receive_shadow)?;
    let geometry = encode_geometry(vertices, faces)?;
    let lengths = [
        (VERTICES, geometry.vertex_count),
        (FACES_NEED, geometry.faces_need),
    ];
    Ok((geometry, lengths))
}

/// Geometry setters shared by meshes and batched meshes: each checks the
/// new array against the other one the node has.
pub(crate) fn vertices_update(
    lengths: &mut HashMap<&'static str, usize>,
    vertices: TypedArray,
    vertex_count: usize,
) -> Result<Vec<(&'static str, Value)>> {
    validate::check_faces_fit(lengths.get(FACES_NEED).copied().unwrap_or(0), vertex_count)?;
    lengths.insert(VERTICES, vertex_count);
    Ok(vec![("vertices", Value::Typed(vertices))])
}

pub(crate) fn faces_update(
    lengths: &mut HashMap<&'static str, usize>,
    faces: TypedArray,
    faces_need: usize,
) -> Result<Vec<(&'static str, Value)>> {
    validate::check_faces_fit(faces_need, lengths.get(VERTICES).copied().unwrap_or(0))?;
    lengths.insert(FACES_NEED, faces_need);
    Ok(vec![("faces", Value::Typed(faces))])
}

pub(crate) fn geometry_update(
    lengths: &mut HashMap<&'static str, usize>,
    geometry: EncodedGeometry,
) -> Vec<(&'static str, Value)> {
    lengths.insert(VERTICES, geometry.vertex_count);
    lengths.insert(FACES_NEED, geometry.faces_need);
    // Vertices first: faces may index vertices only the new array has.
    vec![
        ("vertices", Value::Typed(geometry.vertices)),
        ("faces", Value::Typed(geometry.faces)),
    ]
}

impl SceneApi {
    /// Adds a triangle mesh (viser's `add_mesh_simple`). Vertices must be
    /// finite, and every face index must name a vertex.
    pub fn add_mesh(
        &self,
        name: &str,
        vertices: &[[f32; 3]],
        faces: &[[u32; 3]],
        options: MeshOptions,
    ) -> Result<MeshHandle> {
        let (geometry, lengths) = checked_mesh(&options, vertices, faces)?;
        self.add_node_with_lengths(name, &options.pose, &lengths, |name, owner| {
            Message::from(MeshMessage {
                name,
                owner,
                r#virtual: false,
                props: MeshProps {
                    vertices: geometry.vertices,
                    faces: geometry.faces,
                    color: options.color,
                    wireframe: options.wireframe,
                    opacity: options.opacity,
                    flat_shading: options.flat_shading,
                    side: options.side,
                    material: options.material,
                    scale: options.scale,
                    cast_shadow: options.cast_shadow,
                    receive_shadow: options.receive_shadow,
                },
            })
        })
        .map(MeshHandle)
    }
}

impl MeshHandle {
    /// Replaces the vertices; the current faces must still fit them.
    pub fn set_vertices(&self, vertices: &[[f32; 3]]) -> Result<()> {
        let encoded = props::encode_vec3("vertices", vertices)?;
        self.set_props_checked(|lengths| vertices_update(lengths, encoded, vertices.len()))
    }

    /// Replaces the faces; they must index the current vertices.
    pub fn set_faces(&self, faces: &[[u32; 3]]) -> Result<()> {
        let (encoded, need) = props::encode_faces(faces);
        self.set_props_checked(|lengths| faces_update(lengths, encoded, need))
    }

    /// Replaces vertices and faces together (to change the vertex count
    /// when the old faces would not fit the new vertices).
    pub fn set_geometry(&self, vertices: &[[f32; 3]], faces: &[[u32; 3]]) -> Result<()> {
        let geometry = encode_geometry(vertices, faces)?;
        self.set_props_checked(|lengths| Ok(geometry_update(lengths, geometry)))
    }
}

color_setter!(MeshHandle);
surface_setters!(MeshHandle);
shadow_setters!(MeshHandle);
scale_setter!(MeshHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServerError;
    use crate::scene::testing::Harness;

    const SQUARE: [[f32; 3]; 4] = [
        [0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [1.0, 1.0, 0.0],
        [0.0, 1.0, 0.0],
    ];
    const FACES: [[u32; 3]; 2] = [[0, 1, 2], [0, 2, 3]];

    #[test]
    fn faces_must_index_vertices() -> Result<()> {
        let h = Harness::new()?;
        let err = h
            .scene
            .add_mesh("/m", &SQUARE[..3], &FACES, MeshOptions::default());
        assert!(matches!(
            err,
            Err(ServerError::InvalidArgument {
                argument: "faces",
                ..
            })
        ));
        assert!(h.sent().is_empty(), "nothing is sent for a refused mesh");
        let mesh = h
            .scene
            .add_mesh("/m", &SQUARE, &FACES, MeshOptions::default())?;
        let sent = h.sent();
        assert!(matches!(
            sent.first(),
            Some(Message::MeshMessage(m)) if m.props.faces.to_u32_vec() == Some(vec![0, 1, 2, 0, 2, 3])
        ));
        // Shrinking the vertices below what the faces use is refused...
        assert!(mesh.set_vertices(&SQUARE[..3]).is_err());
        assert!(mesh.set_faces(&[[0, 1, 4]]).is_err());
        // ...but changing both at once is fine.
        mesh.set_geometry(&SQUARE[..3], &[[0, 1, 2]])?;
        mesh.set_vertices(&SQUARE[..3])?;
        // The second vertex update supersedes the first one still queued
        // (same redundancy key), at the newer position.
        let props: Vec<String> = h.updates().into_iter().map(|(_, p, _)| p).collect();
        assert_eq!(props, ["faces", "vertices"]);
        assert!(mesh.set_opacity(Some(1.5)).is_err());
        Ok(())
    }

    #[test]
    fn nan_vertices_are_refused() -> Result<()> {
        let h = Harness::new()?;
        let mut vertices = SQUARE;
        vertices[2][1] = f32::NAN;
        assert!(matches!(
            h.scene
                .add_mesh("/m", &vertices, &FACES, MeshOptions::default()),
            Err(ServerError::InvalidArgument {
                argument: "vertices",
                ..
            })
        ));
        Ok(())
    }
}
