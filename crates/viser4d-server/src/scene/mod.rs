//! The scene API: nodes in the shared scene (every tab) or in one tab's
//! scene, with handles whose setters update them.
//!
//! Names follow viser's rules: `/a/b` is a child of `/a`; adding a node
//! whose parents do not exist creates them as hidden "virtual" frames;
//! removing a node removes its subtree, one `RemoveSceneNodeMessage` per
//! node, parents first; re-adding a name replaces the node and makes the
//! old handle inert.
//!
//! Each node kind lives in its own module and adds an `add_*` method, an
//! `XxxOptions` struct whose `Default` is viser's defaults, and a typed
//! handle whose setters check a value exactly as `add_*` does before
//! sending it. They all go through `SceneApi::add_node`, after every
//! argument has been checked, so a refused call sends nothing. Settings of
//! the scene as a whole (background, environment map, fog, default lights,
//! global visibility) are in `environment.rs`; the property encodings the
//! kinds share are in `props.rs`, the setter macros their handles share in
//! `setters.rs`, and the checks in `crate::validate`.

mod arrows;
mod batched_axes;
mod batched_meshes;
mod camera_frustum;
pub(crate) mod drag;
mod environment;
pub(crate) mod events;
mod frame;
mod gaussian_splats;
mod glb;
mod grid;
mod gui_3d;
mod handle;
mod image;
mod instances;
mod label;
mod light;
mod line_segments;
mod mesh;
mod png;
mod point_cloud;
pub(crate) mod pointer;
mod pose;
pub(crate) mod props;
mod registry;
pub(crate) mod setters;
mod shapes;
mod skinned_mesh;
mod spline;
#[cfg(test)]
mod testing;
pub(crate) mod transform_controls;

use std::collections::HashMap;
use std::sync::Arc;

use viser4d_proto::Message;
use viser4d_proto::messages::{
    FrameMessage, FrameProps, SetOrientationMessage, SetPositionMessage,
    SetSceneNodeVisibilityMessage,
};

pub use arrows::{ArrowsHandle, ArrowsOptions};
pub use batched_axes::{BatchedAxesHandle, BatchedAxesOptions};
pub use batched_meshes::{BatchedMeshesHandle, BatchedMeshesOptions};
pub use camera_frustum::{CameraFrustumHandle, CameraFrustumOptions, canonical_frustum_size};
pub use drag::DragEvent;
pub use environment::{DepthImage, EnvironmentMapOptions, FogOptions};
pub(crate) use environment::{default_environment_map, no_background_image};
pub use frame::{FrameHandle, FrameOptions};
pub use gaussian_splats::{GaussianSplatsHandle, GaussianSplatsOptions, Gaussians};
pub use glb::{BatchedGlbHandle, BatchedGlbOptions, GlbHandle, GlbOptions};
pub use grid::{GridHandle, GridOptions};
pub use gui_3d::Gui3dContainerHandle;
pub use handle::{ClickEvent, SceneNodeHandle};
pub use image::{EncodedImage, ImageHandle, ImageOptions};
pub use instances::{InstanceScales, Instances};
pub use label::{LabelHandle, LabelOptions};
pub use light::{
    AmbientLightHandle, AmbientLightOptions, DirectionalLightHandle, DirectionalLightOptions,
    HemisphereLightHandle, HemisphereLightOptions, PointLightHandle, PointLightOptions,
    RectAreaLightHandle, RectAreaLightOptions, SpotLightHandle, SpotLightOptions,
};
pub use line_segments::{LineSegmentsHandle, LineSegmentsOptions, SegmentColors};
pub use mesh::{MeshHandle, MeshOptions};
pub use point_cloud::{PointCloudHandle, PointCloudOptions, PointColors, PointPrecision};
pub use pointer::{PointerEvent, SceneClickEvent, SceneRectSelectEvent};
pub(crate) use pose::IDENTITY;
pub use pose::Pose;
pub use props::Colors;
pub(crate) use registry::{NodeEntry, SceneRegistry};
pub use shapes::{
    BoxHandle, BoxOptions, CylinderHandle, CylinderOptions, IcosphereHandle, IcosphereOptions,
};
pub use skinned_mesh::{BoneHandle, Skin, SkinnedMeshHandle, SkinnedMeshOptions};
pub use spline::{
    CatmullRomOptions, CatmullRomSplineHandle, CubicBezierOptions, CubicBezierSplineHandle,
};
pub use transform_controls::{
    TransformControlsEvent, TransformControlsHandle, TransformControlsOptions,
};

// The literal and union types the options and setters take, so users need
// not depend on `viser4d-proto` to name them.
pub use viser4d_proto::messages::{
    CameraFrustumPropsVariant, CatmullRomSplinePropsCurveType, DragButton, DragPhase,
    GridPropsFadeFrom, GridPropsPlane, ImageFormat, KeyModifier, LabelAnchor,
    LabelPropsFontSizeMode, Lod, LodMode, Material, PointCloudPropsPointShading,
    PointCloudPropsPointShape, ReceiveShadow, Scale, ScenePointerEventType, Side, SizeUnits,
};

pub use crate::convert::{ToWxyz, ToXyz, wxyz_f32_vec, xyz_f32_vec};

use crate::error::Result;
use crate::shared::{Scope, Shared, State};
use crate::validate;

/// The name of the world axes viser creates in the shared scene.
pub(crate) const WORLD_AXES: &str = "/WorldAxes";

/// The scene of every tab ([`crate::Server::scene`]) or of one tab
/// ([`crate::ClientHandle::scene`]).
#[derive(Clone)]
pub struct SceneApi {
    shared: Arc<Shared>,
    /// The scope outside any step; see [`SceneApi::scope`].
    base: Scope,
}

impl std::fmt::Debug for SceneApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SceneApi")
            .field("scope", &self.base)
            .finish()
    }
}

/// Which way is up in the world.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UpDirection {
    /// +Z (viser's default).
    PlusZ,
    /// +Y.
    PlusY,
    /// +X.
    PlusX,
    /// -Z.
    MinusZ,
    /// -Y.
    MinusY,
    /// -X.
    MinusX,
}

impl SceneApi {
    pub(crate) fn new(shared: Arc<Shared>, scope: Scope) -> SceneApi {
        SceneApi {
            shared,
            base: scope,
        }
    }

    /// Where this call goes: the shared scene records into the timeline
    /// while the calling thread is inside `at(t)`; a tab's own scene is
    /// always live.
    pub(crate) fn scope(&self) -> Scope {
        if self.base == Scope::Broadcast && crate::timeline::current_step(self.shared.id).is_some()
        {
            Scope::Timeline
        } else {
            self.base
        }
    }

    /// Creates node `name` from the create message `make` builds (given the
    /// normalized name and this scope's owner), creating missing ancestors
    /// as virtual frames, replacing any node of that name. All of it
    /// happens under one lock, so no client sees half of it.
    pub(crate) fn add_node(
        &self,
        name: &str,
        pose: &Pose,
        make: impl FnOnce(String, String) -> Message,
    ) -> Result<SceneNodeHandle> {
        self.add_node_with_lengths(name, pose, &[], make)
    }

    /// [`Self::add_node`] for kinds whose handles check later arrays
    /// against the node's: `lengths` seeds the entry's recorded lengths.
    pub(crate) fn add_node_with_lengths(
        &self,
        name: &str,
        pose: &Pose,
        lengths: &[(&'static str, usize)],
        make: impl FnOnce(String, String) -> Message,
    ) -> Result<SceneNodeHandle> {
        self.add_node_with(
            name,
            pose,
            |entry| entry.lengths = lengths.iter().copied().collect::<HashMap<_, _>>(),
            make,
        )
    }

    /// [`Self::add_node`], with `setup` run on the new registry entry
    /// before any client hears of the node.
    pub(crate) fn add_node_with(
        &self,
        name: &str,
        pose: &Pose,
        setup: impl FnOnce(&mut NodeEntry),
        make: impl FnOnce(String, String) -> Message,
    ) -> Result<SceneNodeHandle> {
        let name = validate::node_name(name)?;
        pose.validate()?;
        let scope = self.scope();
        let owner = scope.owner();
        let mut state = self.shared.lock();
        let other = match scope {
            Scope::Timeline => Some((Scope::Broadcast, "live")),
            Scope::Broadcast => Some((Scope::Timeline, "timeline")),
            Scope::Client(_) => None,
        };
        if let Some((other, existing)) = other
            && state.scene.contains(other, &name)
        {
            return Err(crate::error::ServerError::NameInUse { name, existing });
        }
        // Every message first, in viser's order, sent (or recorded) all or
        // none; the registry changes only once they went out.
        let ancestors = missing_ancestors(&state, scope, &name);
        let mut messages = Vec::new();
        for path in &ancestors {
            messages.push(virtual_frame(path, &owner));
            messages.push(Message::from(SetSceneNodeVisibilityMessage {
                name: path.clone(),
                visible: true,
                owner: owner.clone(),
            }));
        }
        let old = state.scene.get(scope, &name);
        let replaced = old.map(|e| (e.is_virtual, !e.click.is_empty()));
        // A timeline node re-created at another step keeps its entry and
        // callbacks (see `insert_timeline`), so its bindings stay too.
        let old_drag = scope != Scope::Timeline && old.is_some_and(|e| !e.drag.is_empty());
        let old_container = old.and_then(|e| e.gui_container.clone());
        if let Some((_, true)) = replaced {
            messages.push(registry::disable_click_message(scope, &name));
        }
        if old_drag {
            messages.push(registry::disable_drag_message(scope, &name));
        }
        messages.push(make(name.clone(), owner.clone()));
        // viser sends the pose only when it differs from the default, or
        // when the node replaces another: live clients keep a node's pose
        // across a create of the same name. A virtual frame never left the
        // default pose, so replacing one needs no reset. A timeline node
        // always carries its pose: a viewer may arrive at this step from
        // any other, where the node may have had any pose.
        let force_pose = scope == Scope::Timeline || matches!(replaced, Some((false, _)));
        if force_pose || pose.wxyz != IDENTITY {
            messages.push(Message::from(SetOrientationMessage {
                name: name.clone(),
                wxyz: pose.wxyz,
                owner: owner.clone(),
            }));
        }
        if force_pose || pose.position != [0.0; 3] {
            messages.push(Message::from(SetPositionMessage {
                name: name.clone(),
                position: pose.position,
                owner: owner.clone(),
            }));
        }
        messages.push(Message::from(SetSceneNodeVisibilityMessage {
            name: name.clone(),
            visible: pose.visible,
            owner,
        }));
        state.send_all(scope, messages, None)?;
        if let Some(container) = old_container {
            // The replaced 3D GUI container's elements go with it.
            crate::gui::remove_element(&mut state, &container);
        }

        for path in &ancestors {
            if scope == Scope::Timeline {
                state.scene.insert_timeline(path, true);
            } else {
                state.scene.insert(scope, path, true);
            }
        }
        let id = if scope == Scope::Timeline {
            state.scene.insert_timeline(&name, false)
        } else {
            state.scene.insert(scope, &name, false)
        };
        if let Some(entry) = state.scene.entry(id) {
            entry.position = pose.position;
            entry.wxyz = pose.wxyz;
            entry.visible = pose.visible;
            setup(entry);
        }
        drop(state);
        Ok(SceneNodeHandle::new(self.shared.clone(), scope, name, id))
    }

    /// Sets the world's up direction (viser rotates the root frame).
    pub fn set_up_direction(&self, direction: UpDirection) -> Result<()> {
        // Rotation taking +Z to the requested axis, as viser computes it.
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let wxyz = match direction {
            UpDirection::PlusZ => [1.0, 0.0, 0.0, 0.0],
            UpDirection::MinusZ => [0.0, 1.0, 0.0, 0.0],
            UpDirection::PlusY => [h, -h, 0.0, 0.0],
            UpDirection::MinusY => [h, h, 0.0, 0.0],
            UpDirection::PlusX => [h, 0.0, h, 0.0],
            UpDirection::MinusX => [h, 0.0, -h, 0.0],
        };
        let scope = self.scope();
        self.shared.send(
            scope,
            [Message::from(SetOrientationMessage {
                name: String::new(),
                wxyz,
                owner: scope.owner(),
            })],
        )
    }

    /// Removes every node this scope added and clears the background
    /// image, as viser's `reset` does. The shared scene keeps its world
    /// axes (see [`Self::world_axes`]).
    pub fn reset(&self) -> Result<()> {
        let scope = self.scope();
        let mut state = self.shared.lock();
        let roots = state.scene.roots(scope);
        for root in roots {
            if scope == Scope::Broadcast && root == WORLD_AXES {
                continue;
            }
            if scope == Scope::Timeline {
                // Removed from this step on; the handles stay usable at
                // other steps.
                let remove = viser4d_proto::messages::RemoveSceneNodeMessage {
                    name: root,
                    owner: String::new(),
                };
                state.send(scope, Message::from(remove), None)?;
            } else {
                registry::remove_subtree(&mut state, scope, &root)?;
            }
        }
        state.send(scope, environment::no_background_image(), None)
    }

    /// The world axes every server starts with (hidden until made
    /// visible). `None` on a tab's own scene, or once they were removed.
    pub fn world_axes(&self) -> Option<FrameHandle> {
        if self.base != Scope::Broadcast {
            return None;
        }
        let id = self
            .shared
            .lock()
            .scene
            .id_of(Scope::Broadcast, WORLD_AXES)?;
        Some(FrameHandle(SceneNodeHandle::new(
            self.shared.clone(),
            Scope::Broadcast,
            WORLD_AXES.to_owned(),
            id,
        )))
    }

    /// Names of the nodes that exist in this scope, sorted.
    pub fn node_names(&self) -> Vec<String> {
        self.shared.lock().scene.names(self.scope())
    }
}

/// The ancestors of `name` that `scope` does not have yet, outermost first:
/// each becomes a virtual frame. A timeline node may hang below a live one
/// (a static world frame with moving children).
fn missing_ancestors(state: &State, scope: Scope, name: &str) -> Vec<String> {
    let mut path = String::new();
    let mut missing = Vec::new();
    let segments: Vec<&str> = name.split('/').filter(|s| !s.is_empty()).collect();
    for segment in &segments[..segments.len().saturating_sub(1)] {
        path.push('/');
        path.push_str(segment);
        if state.scene.contains(scope, &path)
            || (scope == Scope::Timeline && state.scene.contains(Scope::Broadcast, &path))
        {
            continue;
        }
        missing.push(path.clone());
    }
    missing
}

fn virtual_frame(name: &str, owner: &str) -> Message {
    Message::from(FrameMessage {
        name: name.to_owned(),
        owner: owner.to_owned(),
        r#virtual: true,
        props: FrameProps {
            show_axes: false,
            axes_length: 0.5,
            axes_radius: 0.025,
            origin_radius: 0.05,
            origin_color: [236, 236, 0],
            scale: Scale::Uniform(1.0),
        },
    })
}
