//! Skinned meshes (viser's `add_mesh_skinned`): a triangle mesh deformed
//! by bones, each bone a pose of its own that [`BoneHandle`] moves. Inside
//! `at(t)` the bone poses record into the timeline like any node pose, one
//! key per bone, so an animated character plays back per tab.

use viser4d_proto::messages::{
    SetBoneOrientationMessage, SetBonePositionMessage, SkinnedMeshMessage, SkinnedMeshProps,
};
use viser4d_proto::{Message, TypedArray};

use crate::error::{Result, ServerError};
use crate::scene::mesh::checked_mesh;
use crate::scene::setters::{color_setter, scale_setter, shadow_setters, surface_setters};
use crate::scene::{SceneApi, SceneNodeHandle, props};
use crate::validate;

/// The most bones a rig may have: the client indexes them with `u16`.
const MAX_BONES: usize = u16::MAX as usize;

/// Options of [`SceneApi::add_mesh_skinned`], with viser's defaults: a
/// skinned mesh takes exactly the options of a plain mesh.
pub type SkinnedMeshOptions = crate::scene::MeshOptions;

/// The rig of a skinned mesh: each bone's rest pose (in the mesh's frame)
/// and, per vertex, how much each bone moves it.
#[derive(Debug, Clone, PartialEq)]
pub struct Skin<'a> {
    /// Orientation of each bone.
    pub bone_wxyzs: &'a [[f32; 4]],
    /// Position of each bone.
    pub bone_positions: &'a [[f32; 3]],
    /// Per vertex, a weight for each bone (`vertices x bones`, row-major).
    /// The four largest of each vertex are used, as in viser.
    pub skin_weights: &'a [f32],
}

/// A skinned mesh; [`SkinnedMeshHandle::bone`] moves its bones.
#[derive(Debug, Clone)]
pub struct SkinnedMeshHandle {
    node: SceneNodeHandle,
    bones: usize,
}

impl std::ops::Deref for SkinnedMeshHandle {
    type Target = SceneNodeHandle;
    fn deref(&self) -> &SceneNodeHandle {
        &self.node
    }
}

/// One bone of a skinned mesh.
#[derive(Debug, Clone)]
pub struct BoneHandle {
    mesh: SceneNodeHandle,
    index: usize,
}

impl SceneApi {
    /// Adds a mesh deformed by bones (viser's `add_mesh_skinned`). Needs at
    /// least one bone, as many positions as orientations, finite non-zero
    /// orientations, and `vertices x bones` finite, non-negative weights.
    pub fn add_mesh_skinned(
        &self,
        name: &str,
        vertices: &[[f32; 3]],
        faces: &[[u32; 3]],
        skin: Skin<'_>,
        options: SkinnedMeshOptions,
    ) -> Result<SkinnedMeshHandle> {
        let (geometry, lengths) = checked_mesh(&options, vertices, faces)?;
        let bones = skin.bone_wxyzs.len();
        if bones == 0 || bones > MAX_BONES {
            return Err(ServerError::invalid(
                "bone_wxyzs",
                format!("{bones} bones; a rig needs 1..={MAX_BONES}"),
            ));
        }
        if skin.bone_positions.len() != bones {
            return Err(ServerError::invalid(
                "bone_positions",
                format!(
                    "{} positions for {bones} bone orientations",
                    skin.bone_positions.len()
                ),
            ));
        }
        let bone_wxyzs = props::encode_quaternions("bone_wxyzs", skin.bone_wxyzs)?;
        let bone_positions = props::encode_vec3("bone_positions", skin.bone_positions)?;
        let (skin_indices, skin_weights) = top_four(vertices.len(), bones, skin.skin_weights)?;
        self.add_node_with_lengths(name, &options.pose, &lengths, |name, owner| {
            Message::from(SkinnedMeshMessage {
                name,
                owner,
                r#virtual: false,
                props: SkinnedMeshProps {
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
                    bone_wxyzs,
                    bone_positions,
                    skin_indices,
                    skin_weights,
                },
            })
        })
        .map(|node| SkinnedMeshHandle { node, bones })
    }
}

/// Each vertex's four heaviest bones and their weights, as the client
/// takes them (`<u2` indices, `<f4` weights, zero-weight padding when the
/// rig has fewer than four bones).
fn top_four(vertices: usize, bones: usize, weights: &[f32]) -> Result<(TypedArray, TypedArray)> {
    if weights.len() != vertices * bones {
        return Err(ServerError::invalid(
            "skin_weights",
            format!(
                "{} weights for {vertices} vertices x {bones} bones",
                weights.len()
            ),
        ));
    }
    if let Some(i) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        return Err(ServerError::invalid(
            "skin_weights",
            format!("weight {i} is {}, not finite and >= 0", weights[i]),
        ));
    }
    let mut indices = Vec::with_capacity(vertices * 4);
    let mut top = Vec::with_capacity(vertices * 4);
    let mut order: Vec<usize> = Vec::with_capacity(bones);
    for row in weights.chunks_exact(bones) {
        order.clear();
        order.extend(0..bones);
        // Heaviest first; ties keep the lower bone index.
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
        for slot in 0..4 {
            match order.get(slot) {
                Some(&bone) => {
                    indices.push(bone as u16);
                    top.push(row[bone]);
                }
                None => {
                    indices.push(0);
                    top.push(0.0);
                }
            }
        }
    }
    Ok((TypedArray::from_u16(&indices), TypedArray::from_f32(&top)))
}

impl SkinnedMeshHandle {
    /// How many bones the rig has.
    pub fn num_bones(&self) -> usize {
        self.bones
    }

    /// Bone `index` (`None` past the last).
    pub fn bone(&self, index: usize) -> Option<BoneHandle> {
        (index < self.bones).then(|| BoneHandle {
            mesh: self.node.clone(),
            index,
        })
    }

    /// Every bone, in order.
    pub fn bones(&self) -> Vec<BoneHandle> {
        (0..self.bones)
            .map(|index| BoneHandle {
                mesh: self.node.clone(),
                index,
            })
            .collect()
    }
}

impl BoneHandle {
    /// Which bone of the rig this is.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Sets the bone's orientation (mesh frame). Inside `at(t)` it is
    /// recorded at that step.
    pub fn set_wxyz(&self, wxyz: impl crate::scene::ToWxyz) -> Result<()> {
        let wxyz = wxyz.to_wxyz();
        validate::finite("wxyz", &wxyz)?;
        if wxyz.iter().all(|&c| c == 0.0) {
            return Err(ServerError::invalid(
                "wxyz",
                "a zero quaternion is no rotation",
            ));
        }
        let (name, owner, bone_index) = self.target();
        self.mesh
            .send_node(Message::from(SetBoneOrientationMessage {
                name,
                bone_index,
                wxyz,
                owner,
            }))
    }

    /// Sets the bone's position (mesh frame). Inside `at(t)` it is
    /// recorded at that step.
    pub fn set_position(&self, position: impl crate::scene::ToXyz) -> Result<()> {
        let position = position.to_xyz();
        validate::finite("position", &position)?;
        let (name, owner, bone_index) = self.target();
        self.mesh.send_node(Message::from(SetBonePositionMessage {
            name,
            bone_index,
            position,
            owner,
        }))
    }

    fn target(&self) -> (String, String, i64) {
        (
            self.mesh.name().to_owned(),
            self.mesh.scope().owner(),
            i64::try_from(self.index).unwrap_or(i64::MAX),
        )
    }
}

color_setter!(SkinnedMeshHandle);
surface_setters!(SkinnedMeshHandle);
shadow_setters!(SkinnedMeshHandle);
scale_setter!(SkinnedMeshHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    const TRI: [[f32; 3]; 3] = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];

    fn skin<'a>(weights: &'a [f32]) -> Skin<'a> {
        Skin {
            bone_wxyzs: &[[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]],
            bone_positions: &[[0.0; 3], [0.0, 1.0, 0.0]],
            skin_weights: weights,
        }
    }

    #[test]
    fn weights_become_four_per_vertex_heaviest_first() -> Result<()> {
        let (indices, weights) = top_four(2, 2, &[0.25, 0.75, 1.0, 0.0])?;
        assert_eq!(indices.to_u16_vec(), Some(vec![1, 0, 0, 0, 0, 1, 0, 0]));
        assert_eq!(
            weights.to_f32_vec(),
            Some(vec![0.75, 0.25, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
        );
        assert!(top_four(2, 2, &[1.0; 3]).is_err(), "wrong count");
        assert!(top_four(1, 2, &[f32::NAN, 1.0]).is_err(), "NaN weight");
        assert!(top_four(1, 2, &[-1.0, 1.0]).is_err(), "negative weight");
        Ok(())
    }

    #[test]
    fn bones_send_their_own_messages() -> Result<()> {
        let h = Harness::new()?;
        let weights = [1.0, 0.0, 0.5, 0.5, 0.0, 1.0];
        let mesh = h.scene.add_mesh_skinned(
            "/skin",
            &TRI,
            &[[0, 1, 2]],
            skin(&weights),
            SkinnedMeshOptions::default(),
        )?;
        assert_eq!(mesh.num_bones(), 2);
        assert!(mesh.bone(2).is_none());
        let bone = mesh.bone(1).ok_or(ServerError::Stopped)?;
        bone.set_position([0.0, 2.0, 0.0])?;
        bone.set_wxyz([0.0, 1.0, 0.0, 0.0])?;
        assert!(bone.set_wxyz([0.0; 4]).is_err());
        let sent = h.sent();
        assert!(sent.iter().any(|m| matches!(m,
            Message::SkinnedMeshMessage(s) if s.props.skin_indices.to_u16_vec().map(|v| v.len()) == Some(12))));
        assert!(sent.iter().any(|m| matches!(m,
            Message::SetBonePositionMessage(p) if p.bone_index == 1 && p.position == [0.0, 2.0, 0.0])));
        assert!(sent.iter().any(|m| matches!(m,
            Message::SetBoneOrientationMessage(p) if p.bone_index == 1)));
        Ok(())
    }

    #[test]
    fn a_bad_rig_sends_nothing() -> Result<()> {
        let h = Harness::new()?;
        let none = Skin {
            bone_wxyzs: &[],
            bone_positions: &[],
            skin_weights: &[],
        };
        assert!(
            h.scene
                .add_mesh_skinned(
                    "/s",
                    &TRI,
                    &[[0, 1, 2]],
                    none,
                    SkinnedMeshOptions::default()
                )
                .is_err()
        );
        let uneven = Skin {
            bone_positions: &[[0.0; 3]],
            ..skin(&[1.0; 6])
        };
        assert!(
            h.scene
                .add_mesh_skinned(
                    "/s",
                    &TRI,
                    &[[0, 1, 2]],
                    uneven,
                    SkinnedMeshOptions::default()
                )
                .is_err()
        );
        assert!(h.sent().is_empty());
        Ok(())
    }
}

#[cfg(test)]
mod timeline_tests {
    use super::*;
    use crate::Server;

    /// Bones set inside `at(t)` record at that step, one key per bone: a
    /// later step's pose of one bone leaves the other's as recorded.
    #[test]
    fn bone_poses_record_per_step_and_per_bone() -> Result<()> {
        let server = Server::builder().port(0).num_steps(3).fps(10.0).start()?;
        let weights = [1.0, 0.0, 0.5, 0.5, 0.0, 1.0];
        let skin = Skin {
            bone_wxyzs: &[[1.0, 0.0, 0.0, 0.0]; 2],
            bone_positions: &[[0.0; 3], [0.0, 1.0, 0.0]],
            skin_weights: &weights,
        };
        let tri = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        let mesh = {
            let _step = server.at(0)?;
            server.scene().add_mesh_skinned(
                "/rig",
                &tri,
                &[[0, 1, 2]],
                skin,
                SkinnedMeshOptions::default(),
            )?
        };
        let (b0, b1) = (mesh.bone(0), mesh.bone(1));
        let (Some(b0), Some(b1)) = (b0, b1) else {
            panic!("two bones");
        };
        for t in 0..3 {
            let _step = server.at(t)?;
            b0.set_position([f64::from(t), 0.0, 0.0])?;
            if t == 0 {
                b1.set_position([9.0, 9.0, 9.0])?;
            }
        }
        let mut state = server.shared.lock();
        let timeline = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
        let at2 = timeline.store.state_at(2)?;
        let node = at2.scene().node("/rig").ok_or(ServerError::Stopped)?;
        let keys: Vec<&str> = node.messages().iter().map(|(k, _)| k.as_str()).collect();
        assert!(keys.contains(&"SetBonePositionMessage#0"), "{keys:?}");
        assert!(keys.contains(&"SetBonePositionMessage#1"), "{keys:?}");
        let decode = |key: &str| -> Option<[f64; 3]> {
            let entry = node.messages().get(key)?;
            let value = viser4d_proto::timeline::unpack(&entry.value).ok()?;
            let p = value.get("position")?;
            match p {
                viser4d_proto::Value::Array(v) => {
                    Some([v[0].as_f64()?, v[1].as_f64()?, v[2].as_f64()?])
                }
                _ => None,
            }
        };
        assert_eq!(decode("SetBonePositionMessage#0"), Some([2.0, 0.0, 0.0]));
        assert_eq!(decode("SetBonePositionMessage#1"), Some([9.0, 9.0, 9.0]));
        Ok(())
    }
}
