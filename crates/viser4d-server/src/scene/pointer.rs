//! Pointer events on the scene as a whole (viser's `on_click`,
//! `on_rect_select` and `on_pointer_event`): a click anywhere in the
//! canvas or a rectangle dragged over it, reported with the modifier keys
//! held. Each scope (the shared scene, one tab's) keeps its own callbacks
//! and tells the tabs which gestures to report, as a set of modifier
//! filters per gesture; a tab draws the selection rectangle only when some
//! filter matches.

use std::sync::Arc;

use viser4d_proto::Message;
use viser4d_proto::messages::{
    KeyModifier, ScenePointerEnableMessage, ScenePointerEventType, ScenePointerMessage,
};

use crate::callbacks::{CallbackId, CallbackList, run_blocking};
use crate::client::ClientHandle;
use crate::error::Result;
use crate::scene::SceneApi;
use crate::shared::{Scope, Shared, State};

/// A pointer gesture on the scene, from [`SceneApi::on_pointer_event`].
#[derive(Debug, Clone)]
pub enum PointerEvent {
    /// A click.
    Click(SceneClickEvent),
    /// A rectangle dragged over the canvas.
    RectSelect(SceneRectSelectEvent),
}

/// A click anywhere in the scene.
#[derive(Debug, Clone)]
pub struct SceneClickEvent {
    /// The tab that clicked.
    pub client: ClientHandle,
    /// Ray origin (the camera position), world coordinates.
    pub ray_origin: [f64; 3],
    /// Ray direction through the clicked pixel, world coordinates.
    pub ray_direction: [f64; 3],
    /// The pixel, normalized to [0, 1] (OpenCV: (0, 0) top left).
    pub screen_pos: [f64; 2],
    /// The modifier keys held (`None`: none).
    pub modifier: Option<KeyModifier>,
}

/// A rectangle selected on the canvas.
#[derive(Debug, Clone)]
pub struct SceneRectSelectEvent {
    /// The tab that selected.
    pub client: ClientHandle,
    /// The rectangle's min corner, normalized to [0, 1] (OpenCV).
    pub screen_min: [f64; 2],
    /// The rectangle's max corner, normalized to [0, 1] (OpenCV).
    pub screen_max: [f64; 2],
    /// The modifier keys held when the gesture started (`None`: none).
    pub modifier: Option<KeyModifier>,
}

type PointerCallback = Arc<dyn Fn(&PointerEvent) + Send + Sync>;

/// One registered pointer callback: the gesture and modifiers it takes.
#[derive(Clone)]
pub(crate) struct PointerEntry {
    kind: ScenePointerEventType,
    modifier: Option<KeyModifier>,
    callback: PointerCallback,
}

impl SceneApi {
    /// Runs `callback` for each `kind` of gesture in the scene made with
    /// exactly `modifier` held (`None`: no modifier), in every tab of this
    /// scene's scope (viser's `on_pointer_event`; several callbacks may
    /// coexist). Remove it with [`Self::remove_pointer_callback`].
    pub fn on_pointer_event(
        &self,
        kind: ScenePointerEventType,
        modifier: Option<KeyModifier>,
        callback: impl Fn(&PointerEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        let scope = self.live_scope();
        let mut state = self.shared.lock();
        let id = state
            .scene
            .pointer
            .entry(scope)
            .or_default()
            .push(PointerEntry {
                kind,
                modifier,
                callback: Arc::new(callback),
            });
        sync_filters(&mut state, scope, kind);
        Ok(id)
    }

    /// Runs `callback` for each click anywhere in the scene with exactly
    /// `modifier` held (viser's `scene.on_click`).
    pub fn on_click(
        &self,
        modifier: Option<KeyModifier>,
        callback: impl Fn(&SceneClickEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        self.on_pointer_event(ScenePointerEventType::Click, modifier, move |e| {
            if let PointerEvent::Click(click) = e {
                callback(click);
            }
        })
    }

    /// Runs `callback` for each rectangle selected with exactly `modifier`
    /// held (viser's `scene.on_rect_select`).
    pub fn on_rect_select(
        &self,
        modifier: Option<KeyModifier>,
        callback: impl Fn(&SceneRectSelectEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        self.on_pointer_event(ScenePointerEventType::RectSelect, modifier, move |e| {
            if let PointerEvent::RectSelect(rect) = e {
                callback(rect);
            }
        })
    }

    /// Unregisters a pointer callback; once a gesture has no callback left
    /// the tabs stop reporting it (and drawing its rectangle). `false` if
    /// `id` is not one of this scope's pointer callbacks.
    pub fn remove_pointer_callback(&self, id: CallbackId) -> bool {
        let scope = self.live_scope();
        let mut state = self.shared.lock();
        let Some(list) = state.scene.pointer.get_mut(&scope) else {
            return false;
        };
        let kinds: Vec<ScenePointerEventType> = list.iter().map(|e| e.kind).collect();
        if !list.remove(id) {
            return false;
        }
        for kind in [
            ScenePointerEventType::Click,
            ScenePointerEventType::RectSelect,
        ] {
            if kinds.contains(&kind) {
                sync_filters(&mut state, scope, kind);
            }
        }
        true
    }

    /// The scope pointer and drag state belongs to: interaction is live,
    /// so a call inside `at(t)` means the shared scene.
    pub(crate) fn live_scope(&self) -> Scope {
        self.base
    }
}

/// Tells `scope`'s tabs which modifier combinations report `kind`.
fn sync_filters(state: &mut State, scope: Scope, kind: ScenePointerEventType) {
    let mut modifiers: Vec<Option<KeyModifier>> = Vec::new();
    if let Some(list) = state.scene.pointer.get(&scope) {
        for entry in list.iter().filter(|e| e.kind == kind) {
            if !modifiers.contains(&entry.modifier) {
                modifiers.push(entry.modifier);
            }
        }
    }
    let message = Message::from(ScenePointerEnableMessage {
        event_type: kind,
        modifiers,
        owner: scope.owner(),
    });
    state.send_live(scope, message, None);
}

/// Runs the pointer callbacks a tab's gesture reaches: the shared scene's
/// and the tab's own.
pub(crate) fn dispatch(shared: &Shared, client: &ClientHandle, message: ScenePointerMessage) {
    let event = match message.event_type {
        ScenePointerEventType::Click => {
            let (Some(ray_origin), Some(ray_direction), Some(&screen_pos)) = (
                message.ray_origin,
                message.ray_direction,
                message.screen_pos.first(),
            ) else {
                tracing::warn!(
                    client = client.id(),
                    "click without a ray or position; ignored"
                );
                return;
            };
            PointerEvent::Click(SceneClickEvent {
                client: client.clone(),
                ray_origin,
                ray_direction,
                screen_pos,
                modifier: message.modifier,
            })
        }
        ScenePointerEventType::RectSelect => {
            let [screen_min, screen_max] = message.screen_pos.as_slice() else {
                tracing::warn!(
                    client = client.id(),
                    "rectangle without two corners; ignored"
                );
                return;
            };
            PointerEvent::RectSelect(SceneRectSelectEvent {
                client: client.clone(),
                screen_min: *screen_min,
                screen_max: *screen_max,
                modifier: message.modifier,
            })
        }
    };
    let callbacks: Vec<PointerCallback> = {
        let state = shared.lock();
        [Scope::Broadcast, Scope::Client(client.id())]
            .iter()
            .filter_map(|scope| state.scene.pointer.get(scope))
            .flat_map(CallbackList::iter)
            .filter(|e| e.kind == message.event_type && e.modifier == message.modifier)
            .map(|e| e.callback.clone())
            .collect()
    };
    for cb in callbacks {
        run_blocking(|| cb(&event));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn filters_follow_the_callbacks_and_events_their_modifier() -> Result<()> {
        let h = Harness::new()?;
        let clicks: Arc<Mutex<Vec<Option<KeyModifier>>>> = Arc::default();
        let seen = clicks.clone();
        let plain = h.scene.on_click(None, move |e| {
            if let Ok(mut c) = seen.lock() {
                c.push(e.modifier);
            }
        })?;
        let shift = h.scene.on_click(Some(KeyModifier::Shift), |_| {})?;
        let enables: Vec<Vec<Option<KeyModifier>>> = h
            .sent()
            .into_iter()
            .filter_map(|m| match m {
                Message::ScenePointerEnableMessage(e) => Some(e.modifiers),
                _ => None,
            })
            .collect();
        // Each registration sends the whole set; the newest wins.
        assert_eq!(enables.last(), Some(&vec![None, Some(KeyModifier::Shift)]));

        let tab = ClientHandle::new(h.scene.shared.clone(), h.client);
        let click = |modifier| ScenePointerMessage {
            event_type: ScenePointerEventType::Click,
            ray_origin: Some([0.0; 3]),
            ray_direction: Some([0.0, 0.0, 1.0]),
            screen_pos: vec![[0.5, 0.5]],
            modifier,
        };
        dispatch(&h.scene.shared, &tab, click(None));
        dispatch(&h.scene.shared, &tab, click(Some(KeyModifier::Alt)));
        assert_eq!(clicks.lock().map(|c| c.clone()).unwrap_or_default(), [None]);

        assert!(h.scene.remove_pointer_callback(plain));
        assert!(!h.scene.remove_pointer_callback(plain));
        assert!(h.scene.remove_pointer_callback(shift));
        let last = h.sent().into_iter().rev().find_map(|m| match m {
            Message::ScenePointerEnableMessage(e) => Some(e.modifiers),
            _ => None,
        });
        assert_eq!(
            last,
            Some(Vec::new()),
            "no callback left: the gesture is off"
        );
        Ok(())
    }
}
