//! Transform controls: a gizmo a tab drags to move and turn the node (and
//! so its children). The tab reports each pose change; the server records
//! it, shows it to the other tabs, and runs the handle's callbacks.

use std::sync::Arc;

use viser4d_proto::messages::{DragPhase, TransformControlsMessage, TransformControlsProps};
use viser4d_proto::{Message, Value};

use crate::callbacks::CallbackId;
use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
use crate::scene::props;
use crate::scene::setters::{bool_setter, float_setter, node_handle};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// A drag of a transform gizmo by a tab.
#[derive(Debug, Clone)]
pub struct TransformControlsEvent {
    /// The tab that dragged.
    pub client: ClientHandle,
    /// The gizmo's node.
    pub node_name: String,
    /// Start of the drag, a pose change, or the release.
    pub phase: DragPhase,
    /// The node's position relative to its parent, after this event.
    pub position: [f64; 3],
    /// The node's orientation `[w, x, y, z]` relative to its parent, after
    /// this event.
    pub wxyz: [f64; 4],
}

pub(crate) type TransformControlsCallback = Arc<dyn Fn(&TransformControlsEvent) + Send + Sync>;

/// Options of [`SceneApi::add_transform_controls`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformControlsOptions {
    /// Size of the gizmo.
    pub scale: f64,
    /// Width of its lines.
    pub line_width: f64,
    /// Keep the gizmo's size fixed on screen.
    pub fixed: bool,
    /// Which of x, y, z can be moved along and turned about.
    pub active_axes: [bool; 3],
    /// Hide the arrows that translate along one axis.
    pub disable_axes: bool,
    /// Hide the squares that translate in a plane.
    pub disable_sliders: bool,
    /// Hide the rings that rotate.
    pub disable_rotations: bool,
    /// `[min, max]` translation along x, y and z.
    pub translation_limits: [[f64; 2]; 3],
    /// `[min, max]` rotation about x, y and z.
    pub rotation_limits: [[f64; 2]; 3],
    /// Hide the gizmo behind nearer geometry (false: always on top).
    pub depth_test: bool,
    /// Opacity of the gizmo, in [0, 1].
    pub opacity: f64,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for TransformControlsOptions {
    fn default() -> TransformControlsOptions {
        TransformControlsOptions {
            scale: 1.0,
            line_width: 2.5,
            fixed: false,
            active_axes: [true; 3],
            disable_axes: false,
            disable_sliders: false,
            disable_rotations: false,
            translation_limits: [[-1000.0, 1000.0]; 3],
            rotation_limits: [[-1000.0, 1000.0]; 3],
            depth_test: true,
            opacity: 1.0,
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// A transform gizmo. Its position and orientation (read with
    /// [`SceneNodeHandle::position`] and [`SceneNodeHandle::wxyz`]) follow
    /// the drags of every tab.
    ///
    /// [`SceneNodeHandle::position`]: crate::scene::SceneNodeHandle::position
    /// [`SceneNodeHandle::wxyz`]: crate::scene::SceneNodeHandle::wxyz
    TransformControlsHandle
);

/// Limits are finite `[min, max]` pairs with `min <= max`.
fn check_limits(argument: &'static str, limits: &[[f64; 2]; 3]) -> Result<()> {
    for [min, max] in limits {
        validate::finite(argument, &[*min, *max])?;
        if min > max {
            return Err(ServerError::invalid(
                argument,
                format!("min {min} is above max {max}"),
            ));
        }
    }
    Ok(())
}

fn limits_value(limits: &[[f64; 2]; 3]) -> Value {
    Value::Array(limits.iter().map(|l| props::floats_value(l)).collect())
}

impl SceneApi {
    /// Adds a transform gizmo. Nodes added below it (`name/child`) move
    /// with it.
    pub fn add_transform_controls(
        &self,
        name: &str,
        options: TransformControlsOptions,
    ) -> Result<TransformControlsHandle> {
        validate::non_negative("scale", options.scale)?;
        validate::non_negative("line_width", options.line_width)?;
        validate::unit_interval("opacity", options.opacity)?;
        check_limits("translation_limits", &options.translation_limits)?;
        check_limits("rotation_limits", &options.rotation_limits)?;
        self.add_node_with(
            name,
            &options.pose,
            |entry| entry.is_transform_controls = true,
            |name, owner| {
                Message::from(TransformControlsMessage {
                    name,
                    owner,
                    r#virtual: false,
                    props: TransformControlsProps {
                        scale: options.scale,
                        line_width: options.line_width,
                        fixed: options.fixed,
                        active_axes: options.active_axes,
                        disable_axes: options.disable_axes,
                        disable_sliders: options.disable_sliders,
                        disable_rotations: options.disable_rotations,
                        translation_limits: options.translation_limits,
                        rotation_limits: options.rotation_limits,
                        depth_test: options.depth_test,
                        opacity: options.opacity,
                    },
                })
            },
        )
        .map(TransformControlsHandle)
    }
}

impl TransformControlsHandle {
    /// Runs `callback` through each drag, as viser's `on_update` does:
    /// once when a tab grabs the gizmo ([`DragPhase::Start`]), on every
    /// pose change ([`DragPhase::Update`]) and at the release
    /// ([`DragPhase::End`]). The node's pose is already updated when it
    /// runs.
    pub fn on_update(
        &self,
        callback: impl Fn(&TransformControlsEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        let callback: TransformControlsCallback = Arc::new(callback);
        self.with_entry(|entry| entry.transform.push(callback))
    }

    /// Runs `callback` when a tab grabs the gizmo.
    pub fn on_drag_start(
        &self,
        callback: impl Fn(&TransformControlsEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        self.on_update(move |event| {
            if event.phase == DragPhase::Start {
                callback(event);
            }
        })
    }

    /// Runs `callback` when a tab releases the gizmo.
    pub fn on_drag_end(
        &self,
        callback: impl Fn(&TransformControlsEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        self.on_update(move |event| {
            if event.phase == DragPhase::End {
                callback(event);
            }
        })
    }

    /// Sets which of x, y, z can be moved along and turned about.
    pub fn set_active_axes(&self, active_axes: [bool; 3]) -> Result<()> {
        let value = Value::Array(active_axes.iter().map(|&a| Value::Bool(a)).collect());
        self.set_prop("active_axes", value)
    }

    /// Sets the `[min, max]` translation along x, y and z.
    pub fn set_translation_limits(&self, limits: [[f64; 2]; 3]) -> Result<()> {
        check_limits("translation_limits", &limits)?;
        self.set_prop("translation_limits", limits_value(&limits))
    }

    /// Sets the `[min, max]` rotation about x, y and z.
    pub fn set_rotation_limits(&self, limits: [[f64; 2]; 3]) -> Result<()> {
        check_limits("rotation_limits", &limits)?;
        self.set_prop("rotation_limits", limits_value(&limits))
    }
}

float_setter!(TransformControlsHandle, /// Sets the size of the gizmo.
    set_scale, "scale", validate::non_negative);
float_setter!(TransformControlsHandle, /// Sets the width of its lines.
    set_line_width, "line_width", validate::non_negative);
bool_setter!(TransformControlsHandle, /// Keeps the gizmo's size fixed on screen (or not).
    set_fixed, "fixed");
bool_setter!(TransformControlsHandle, /// Hides the single-axis translation arrows (or shows them).
    set_disable_axes, "disable_axes");
bool_setter!(TransformControlsHandle, /// Hides the plane translation squares (or shows them).
    set_disable_sliders, "disable_sliders");
bool_setter!(TransformControlsHandle, /// Hides the rotation rings (or shows them).
    set_disable_rotations, "disable_rotations");
bool_setter!(TransformControlsHandle, /// Hides the gizmo behind nearer geometry (or draws it on top).
    set_depth_test, "depth_test");
float_setter!(TransformControlsHandle, /// Sets the opacity, in [0, 1].
    set_opacity, "opacity", validate::unit_interval);

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use viser4d_proto::AnyMessage;
    use viser4d_proto::messages::{
        TransformControlsDragEndMessage, TransformControlsDragStartMessage,
        TransformControlsUpdateMessage,
    };

    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn limits_are_checked() {
        let mut limits = [[-1.0, 1.0]; 3];
        assert!(check_limits("l", &limits).is_ok());
        limits[1] = [2.0, 1.0];
        assert!(check_limits("l", &limits).is_err());
        limits[1] = [f64::NEG_INFINITY, 1.0];
        assert!(check_limits("l", &limits).is_err());
    }

    #[test]
    fn drags_update_the_pose_and_run_callbacks() -> Result<()> {
        let h = Harness::new()?;
        let gizmo = h
            .scene
            .add_transform_controls("/gizmo", TransformControlsOptions::default())?;
        let phases = Arc::new(Mutex::new(Vec::new()));
        let seen = phases.clone();
        gizmo.on_update(move |event| {
            if let Ok(mut seen) = seen.lock() {
                seen.push((event.phase, event.position));
            }
        })?;
        let ends = Arc::new(Mutex::new(0));
        let counted = ends.clone();
        gizmo.on_drag_end(move |_| {
            if let Ok(mut n) = counted.lock() {
                *n += 1;
            }
        })?;
        // A second tab drags; the first (the harness's) must be told.
        let dragger = h.scene.shared.register_client().id;
        let client = ClientHandle::new(h.scene.shared.clone(), dragger);
        let name = "/gizmo".to_owned();
        let messages = [
            Message::from(TransformControlsDragStartMessage {
                name: name.clone(),
                owner: String::new(),
            }),
            Message::from(TransformControlsUpdateMessage {
                name: name.clone(),
                wxyz: [0.0, 1.0, 0.0, 0.0],
                position: [1.0, 2.0, 3.0],
                owner: String::new(),
            }),
            Message::from(TransformControlsDragEndMessage {
                name: name.clone(),
                owner: String::new(),
            }),
        ];
        h.sent();
        for m in messages {
            let rest = crate::scene::events::handle(&h.scene.shared, &client, AnyMessage::Viser(m));
            assert!(rest.is_none(), "the scene takes transform-control messages");
        }
        assert_eq!(gizmo.position()?, [1.0, 2.0, 3.0]);
        assert_eq!(gizmo.wxyz()?, [0.0, 1.0, 0.0, 0.0]);
        let got = phases.lock().map(|p| p.clone()).unwrap_or_default();
        assert_eq!(
            got,
            [
                (DragPhase::Start, [0.0; 3]),
                (DragPhase::Update, [1.0, 2.0, 3.0]),
                (DragPhase::End, [1.0, 2.0, 3.0]),
            ]
        );
        assert_eq!(ends.lock().map(|n| *n).unwrap_or(0), 1);
        let sent = h.sent();
        assert!(sent.iter().any(|m| matches!(
            m,
            Message::SetPositionMessage(p) if p.name == "/gizmo" && p.position == [1.0, 2.0, 3.0]
        )));
        // The dragging tab is not echoed its own pose.
        let echoed = h
            .scene
            .shared
            .take_batch(dragger)
            .map(|b| b.messages)
            .unwrap_or_default();
        assert!(!echoed.iter().any(|m| matches!(
            m,
            AnyMessage::Viser(Message::SetPositionMessage(p)) if p.name == "/gizmo"
        )));
        Ok(())
    }

    #[test]
    fn other_nodes_cannot_be_dragged() -> Result<()> {
        let h = Harness::new()?;
        let frame = h.scene.add_frame("/frame", Default::default())?;
        let client = ClientHandle::new(h.scene.shared.clone(), 0);
        let m = Message::from(TransformControlsUpdateMessage {
            name: "/frame".to_owned(),
            wxyz: [1.0, 0.0, 0.0, 0.0],
            position: [5.0, 5.0, 5.0],
            owner: String::new(),
        });
        crate::scene::events::handle(&h.scene.shared, &client, AnyMessage::Viser(m));
        assert_eq!(frame.position()?, [0.0; 3]);
        Ok(())
    }
}
