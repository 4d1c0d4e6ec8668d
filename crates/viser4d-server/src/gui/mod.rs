//! The GUI API: panels of inputs in every tab's control panel. Input
//! handles read back the value any tab last set, set it from Rust, and run
//! callbacks (with the tab that changed it) when a tab changes it. A value
//! changed in one tab is synchronized to the others, as viser does.
//!
//! Each element kind lives in its own module and goes through
//! [`GuiApi::add_input`].

mod button;
pub(crate) mod events;
mod handle;
mod registry;
mod slider;
mod value;

use std::sync::Arc;

use viser4d_proto::Message;

pub use button::{ButtonHandle, ButtonOptions};
pub use handle::{GuiEvent, GuiInputHandle};
pub(crate) use registry::GuiRegistry;
pub use slider::SliderOptions;
pub use value::GuiValue;

use crate::shared::{Scope, Shared};

/// The root container every element goes into unless a folder says
/// otherwise.
pub(crate) const ROOT_CONTAINER: &str = "root";

/// The GUI of every tab ([`crate::Server::gui`]).
#[derive(Clone)]
pub struct GuiApi {
    shared: Arc<Shared>,
    scope: Scope,
    container: String,
}

impl std::fmt::Debug for GuiApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuiApi")
            .field("scope", &self.scope)
            .field("container", &self.container)
            .finish()
    }
}

impl GuiApi {
    pub(crate) fn new(shared: Arc<Shared>, scope: Scope) -> GuiApi {
        GuiApi {
            shared,
            scope,
            container: ROOT_CONTAINER.to_owned(),
        }
    }

    /// A GUI API that adds into `container` (a folder or tab) instead.
    pub(crate) fn within(&self, container: String) -> GuiApi {
        GuiApi {
            shared: self.shared.clone(),
            scope: self.scope,
            container,
        }
    }

    pub(crate) fn container_uuid(&self) -> &str {
        &self.container
    }

    /// Registers an input element and sends its create message (built by
    /// `make` from the new uuid), returning its typed handle.
    pub(crate) fn add_input<T: GuiValue>(
        &self,
        initial: T,
        is_button: bool,
        make: impl FnOnce(String) -> Message,
    ) -> GuiInputHandle<T> {
        let mut state = self.shared.lock();
        let uuid = state.gui.new_uuid();
        state
            .gui
            .insert(&uuid, self.scope, initial.to_value(), is_button);
        state.send(self.scope, make(uuid.clone()), None);
        drop(state);
        GuiInputHandle::new(self.shared.clone(), self.scope, uuid)
    }

    /// Registers a non-input element (markdown, folder, ...).
    pub(crate) fn add_element(&self, make: impl FnOnce(String) -> Message) -> String {
        let mut state = self.shared.lock();
        let uuid = state.gui.new_uuid();
        state
            .gui
            .insert(&uuid, self.scope, viser4d_proto::Value::Nil, false);
        state.send(self.scope, make(uuid.clone()), None);
        uuid
    }

    /// The next `order` value, so elements appear in the order added.
    pub(crate) fn next_order(&self) -> f64 {
        self.shared.lock().gui.next_order()
    }
}
