//! A connected tab, as the program sees it.

use std::sync::Arc;

use viser4d_proto::Message;
use viser4d_proto::messages::{
    SetCameraFarMessage, SetCameraFovMessage, SetCameraLookAtMessage,
    SetCameraMaxOrbitDistanceMessage, SetCameraMinOrbitDistanceMessage, SetCameraNearMessage,
    SetCameraPositionMessage, SetCameraUpDirectionMessage,
};

use crate::callbacks::CallbackId;
use crate::error::{Result, ServerError};
use crate::gui::GuiApi;
use crate::scene::SceneApi;
use crate::shared::{ClientId, Scope, Shared};
use crate::validate;

/// The camera of one tab, as it last reported it (OpenCV convention, +Z
/// forward; `wxyz` rotates camera to world).
#[derive(Debug, Clone, PartialEq)]
pub struct CameraState {
    /// Orientation, world from camera.
    pub wxyz: [f64; 4],
    /// Position in world coordinates.
    pub position: [f64; 3],
    /// Vertical field of view, radians.
    pub fov: f64,
    /// Near clipping plane.
    pub near: f64,
    /// Far clipping plane.
    pub far: f64,
    /// Canvas size in pixels.
    pub image_height: i64,
    /// Canvas size in pixels.
    pub image_width: i64,
    /// The point the camera orbits.
    pub look_at: [f64; 3],
    /// The up direction.
    pub up_direction: [f64; 3],
}

/// A callback on camera updates.
pub type CameraCallback = Arc<dyn Fn(&ClientHandle, &CameraState) + Send + Sync>;

/// A connected browser tab. Cheap to clone; calls on a handle whose tab
/// has gone return [`ServerError::ClientGone`] rather than panicking.
#[derive(Clone)]
pub struct ClientHandle {
    shared: Arc<Shared>,
    id: ClientId,
}

impl std::fmt::Debug for ClientHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientHandle")
            .field("id", &self.id)
            .finish()
    }
}

impl ClientHandle {
    pub(crate) fn new(shared: Arc<Shared>, id: ClientId) -> ClientHandle {
        ClientHandle { shared, id }
    }

    /// This tab's id, unique for the life of the server.
    pub fn id(&self) -> ClientId {
        self.id
    }

    /// Whether the tab is still connected.
    pub fn is_connected(&self) -> bool {
        self.shared.is_connected(self.id)
    }

    /// The scene of this tab only: nodes added here are seen by this tab
    /// alone and go away when it disconnects.
    pub fn scene(&self) -> SceneApi {
        SceneApi::new(self.shared.clone(), Scope::Client(self.id))
    }

    /// The GUI of this tab only: elements added here are seen by this tab
    /// alone and go away when it disconnects.
    pub fn gui(&self) -> GuiApi {
        GuiApi::new(self.shared.clone(), Scope::Client(self.id))
    }

    /// The camera as the tab last reported it; `None` until its first report
    /// (about 50 ms after connecting).
    pub fn camera(&self) -> Option<CameraState> {
        self.shared
            .with_client(self.id, |c| c.camera.as_ref().map(camera_state))
            .flatten()
    }

    /// Runs `callback` each time this tab reports a camera change.
    pub fn on_camera_update(
        &self,
        callback: impl Fn(&ClientHandle, &CameraState) + Send + Sync + 'static,
    ) -> CallbackId {
        self.shared
            .lock()
            .scene
            .camera_callbacks
            .entry(self.id)
            .or_default()
            .push(Arc::new(callback))
    }

    /// Unregisters a callback given to [`Self::on_camera_update`];
    /// `false` if it is not registered for this tab.
    pub fn remove_callback(&self, id: CallbackId) -> bool {
        let mut state = self.shared.lock();
        state
            .scene
            .camera_callbacks
            .get_mut(&self.id)
            .is_some_and(|list| list.remove(id))
    }

    /// Moves this tab's camera.
    pub fn set_camera_position(&self, position: [f64; 3]) -> Result<()> {
        validate::finite("position", &position)?;
        self.send(Message::from(SetCameraPositionMessage {
            position,
            initial: false,
        }))
    }

    /// Points this tab's camera at `look_at`.
    pub fn set_camera_look_at(&self, look_at: [f64; 3]) -> Result<()> {
        validate::finite("look_at", &look_at)?;
        self.send(Message::from(SetCameraLookAtMessage {
            look_at,
            initial: false,
        }))
    }

    /// Sets this tab's camera up direction.
    pub fn set_camera_up_direction(&self, up_direction: [f64; 3]) -> Result<()> {
        validate::finite("up_direction", &up_direction)?;
        self.send(Message::from(SetCameraUpDirectionMessage {
            position: up_direction,
            initial: false,
        }))
    }

    /// Sets this tab's vertical field of view, in radians (0, pi).
    pub fn set_camera_fov(&self, fov: f64) -> Result<()> {
        if !(fov > 0.0 && fov < std::f64::consts::PI) {
            return Err(ServerError::invalid(
                "fov",
                format!("{fov} is not in (0, pi) radians"),
            ));
        }
        self.send(Message::from(SetCameraFovMessage {
            fov,
            initial: false,
        }))
    }

    /// Sets this tab's near clipping plane (> 0, below the far plane).
    pub fn set_camera_near(&self, near: f64) -> Result<()> {
        positive("near", near)?;
        self.send(Message::from(SetCameraNearMessage {
            near,
            initial: false,
        }))
    }

    /// Sets this tab's far clipping plane (> 0, beyond the near plane).
    pub fn set_camera_far(&self, far: f64) -> Result<()> {
        positive("far", far)?;
        self.send(Message::from(SetCameraFarMessage {
            far,
            initial: false,
        }))
    }

    /// The closest this tab's camera may orbit to its look-at point (>= 0).
    pub fn set_camera_min_orbit_distance(&self, distance: f64) -> Result<()> {
        validate::non_negative("min_orbit_distance", distance)?;
        self.send(Message::from(SetCameraMinOrbitDistanceMessage {
            min_orbit_distance: distance,
        }))
    }

    /// The farthest this tab's camera may orbit from its look-at point
    /// (> 0; `f64::INFINITY` removes the limit).
    pub fn set_camera_max_orbit_distance(&self, distance: f64) -> Result<()> {
        // NaN is refused too; infinity lifts the limit.
        if distance.is_nan() || distance <= 0.0 {
            return Err(ServerError::invalid(
                "max_orbit_distance",
                format!("{distance} is not > 0"),
            ));
        }
        self.send(Message::from(SetCameraMaxOrbitDistanceMessage {
            max_orbit_distance: distance,
        }))
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn send(&self, message: Message) -> Result<()> {
        if !self.is_connected() {
            return Err(ServerError::ClientGone(self.id));
        }
        self.shared.send(Scope::Client(self.id), [message])
    }
}

pub(crate) fn camera_state(m: &viser4d_proto::messages::ViewerCameraMessage) -> CameraState {
    CameraState {
        wxyz: m.wxyz,
        position: m.position,
        fov: m.fov,
        near: m.near,
        far: m.far,
        image_height: m.image_height,
        image_width: m.image_width,
        look_at: m.look_at,
        up_direction: m.up_direction,
    }
}

/// A finite value > 0.
fn positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ServerError::invalid(
            name,
            format!("{value} is not a finite value > 0"),
        ))
    }
}
