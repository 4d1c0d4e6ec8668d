//! The scene API: nodes in the shared scene (every tab) or in one tab's
//! scene, with handles whose setters update them.
//!
//! Names follow viser's rules: `/a/b` is a child of `/a`; adding a node
//! whose parents do not exist creates them as hidden "virtual" frames;
//! removing a node removes its subtree, one `RemoveSceneNodeMessage` per
//! node, parents first; re-adding a name replaces the node and makes the
//! old handle inert.
//!
//! Each node kind lives in its own module and adds an `add_*` method and a
//! typed handle; they all go through [`SceneApi::add_node`].

pub(crate) mod events;
mod frame;
mod handle;
mod point_cloud;
mod pose;
mod registry;

use std::sync::Arc;

use viser4d_proto::Message;
use viser4d_proto::messages::{
    FrameMessage, FrameProps, Scale, SetOrientationMessage, SetPositionMessage,
    SetSceneNodeVisibilityMessage,
};

pub use frame::{FrameHandle, FrameOptions};
pub use handle::{ClickEvent, SceneNodeHandle};
pub use point_cloud::{PointCloudHandle, PointCloudOptions, PointColors, PointPrecision};
pub(crate) use pose::IDENTITY;
pub use pose::Pose;
pub(crate) use registry::SceneRegistry;

use crate::error::Result;
use crate::shared::{Scope, Shared, State};
use crate::validate;

/// The scene of every tab ([`crate::Server::scene`]) or of one tab
/// ([`crate::ClientHandle::scene`]).
#[derive(Clone)]
pub struct SceneApi {
    shared: Arc<Shared>,
    scope: Scope,
}

impl std::fmt::Debug for SceneApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SceneApi")
            .field("scope", &self.scope)
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
        SceneApi { shared, scope }
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
        let name = validate::node_name(name)?;
        pose.validate()?;
        let owner = self.scope.owner();
        let mut state = self.shared.lock();
        self.ensure_ancestors(&mut state, &name);
        let message = make(name.clone(), owner.clone());
        let generation = state.scene.insert(self.scope, &name, false);
        if let Some(entry) = state.scene.entry(self.scope, &name, generation) {
            entry.position = pose.position;
            entry.wxyz = pose.wxyz;
            entry.visible = pose.visible;
        }
        state.send(self.scope, message, None);
        // viser sends the pose only when it differs from the default.
        if pose.wxyz != IDENTITY {
            let m = SetOrientationMessage {
                name: name.clone(),
                wxyz: pose.wxyz,
                owner: owner.clone(),
            };
            state.send(self.scope, Message::from(m), None);
        }
        if pose.position != [0.0; 3] {
            let m = SetPositionMessage {
                name: name.clone(),
                position: pose.position,
                owner: owner.clone(),
            };
            state.send(self.scope, Message::from(m), None);
        }
        let visible = SetSceneNodeVisibilityMessage {
            name: name.clone(),
            visible: pose.visible,
            owner,
        };
        state.send(self.scope, Message::from(visible), None);
        drop(state);
        Ok(SceneNodeHandle::new(
            self.shared.clone(),
            self.scope,
            name,
            generation,
        ))
    }

    fn ensure_ancestors(&self, state: &mut State, name: &str) {
        let owner = self.scope.owner();
        let mut path = String::new();
        let segments: Vec<&str> = name.split('/').filter(|s| !s.is_empty()).collect();
        for segment in &segments[..segments.len().saturating_sub(1)] {
            path.push('/');
            path.push_str(segment);
            if state.scene.contains(self.scope, &path) {
                continue;
            }
            state.scene.insert(self.scope, &path, true);
            state.send(self.scope, virtual_frame(&path, &owner), None);
            state.send(
                self.scope,
                Message::from(SetSceneNodeVisibilityMessage {
                    name: path.clone(),
                    visible: true,
                    owner: owner.clone(),
                }),
                None,
            );
        }
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
        self.shared.send(
            self.scope,
            [Message::from(SetOrientationMessage {
                name: String::new(),
                wxyz,
                owner: self.scope.owner(),
            })],
        );
        Ok(())
    }

    /// Removes every node this scope added.
    pub fn reset(&self) -> Result<()> {
        let mut state = self.shared.lock();
        let roots = state.scene.roots(self.scope);
        for root in roots {
            registry::remove_subtree(&mut state, self.scope, &root);
        }
        Ok(())
    }

    /// Names of the nodes that exist in this scope, sorted.
    pub fn node_names(&self) -> Vec<String> {
        self.shared.lock().scene.names(self.scope)
    }
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
