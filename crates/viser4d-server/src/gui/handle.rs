//! Handles of GUI elements: properties, removal; and of inputs: value,
//! callbacks.

use std::marker::PhantomData;
use std::sync::Arc;

use viser4d_proto::messages::GuiUpdateMessage;
use viser4d_proto::{Message, Value};

use crate::callbacks::CallbackId;
use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
use crate::gui::registry::GuiEntry;
use crate::gui::value::GuiValue;
use crate::shared::{Scope, Shared};

/// A change a tab made to an input.
#[derive(Debug, Clone)]
pub struct GuiEvent<T> {
    /// The tab that made it.
    pub client: ClientHandle,
    /// The element's uuid.
    pub uuid: String,
    /// The new value.
    pub value: T,
}

/// Type-erased callback stored in the registry: given the tab and the new
/// wire value.
pub(crate) type RawGuiCallback = Arc<dyn Fn(&ClientHandle, &Value) + Send + Sync>;

/// Any GUI element: what every kind can do. Cloning the handle does not
/// clone the element; after `remove()` every call returns
/// [`ServerError::Removed`].
#[derive(Clone)]
pub struct GuiElementHandle {
    shared: Arc<Shared>,
    scope: Scope,
    uuid: String,
}

impl std::fmt::Debug for GuiElementHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuiElementHandle")
            .field("uuid", &self.uuid)
            .finish()
    }
}

impl GuiElementHandle {
    pub(crate) fn new(shared: Arc<Shared>, scope: Scope, uuid: String) -> GuiElementHandle {
        GuiElementHandle {
            shared,
            scope,
            uuid,
        }
    }

    pub(crate) fn removed(&self) -> ServerError {
        ServerError::Removed {
            what: "GUI element",
            name: self.uuid.clone(),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn scope(&self) -> Scope {
        self.scope
    }

    /// The element's uuid (what the browser calls it).
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// Hides the element (or shows it).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.set_prop("visible", Value::Bool(visible))
    }

    /// Removes the element, and everything inside it, from every tab.
    pub fn remove(&self) -> Result<()> {
        let mut state = self.shared.lock();
        if crate::gui::remove_element(&mut state, &self.uuid) {
            Ok(())
        } else {
            Err(self.removed())
        }
    }

    /// Unregisters a callback given to this element (`on_update`,
    /// `on_click`, `on_upload`, ...); `false` if it is not registered on it.
    /// A run already under way finishes.
    pub fn remove_callback(&self, id: CallbackId) -> bool {
        let mut state = self.shared.lock();
        let Some(entry) = state.gui.get_mut(&self.uuid) else {
            return false;
        };
        if entry.callbacks.remove(id) {
            return true;
        }
        if entry.holds.remove(id) {
            crate::gui::form::send_hold_rates(&mut state, &self.uuid);
            return true;
        }
        match &mut entry.kind {
            crate::gui::registry::EntryKind::Upload(slot) => slot.callbacks.remove(id),
            crate::gui::registry::EntryKind::Form(slot) => slot.submit.remove(id),
            _ => false,
        }
    }

    /// Sets one property in every tab.
    pub(crate) fn set_prop(&self, prop: &str, value: Value) -> Result<()> {
        self.update(|_| Ok(vec![(prop.to_owned(), value)]))
    }

    /// Runs `f` on the element's entry under the state lock and sends the
    /// property updates it returns (none: nothing is sent). `f` must check
    /// before it changes anything, so an error leaves the element as it was.
    pub(crate) fn update(
        &self,
        f: impl FnOnce(&mut GuiEntry) -> Result<Vec<(String, Value)>>,
    ) -> Result<()> {
        let mut state = self.shared.lock();
        let entry = state
            .gui
            .get_mut(&self.uuid)
            .ok_or_else(|| self.removed())?;
        let updates = f(entry)?;
        if updates.is_empty() {
            return Ok(());
        }
        let message = Message::from(GuiUpdateMessage {
            uuid: self.uuid.clone(),
            updates: Value::Map(updates),
        });
        state.send_live(self.scope, message, None);
        Ok(())
    }

    /// Reads the element's entry under the state lock.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&GuiEntry) -> R) -> Result<R> {
        let state = self.shared.lock();
        state
            .gui
            .get(&self.uuid)
            .map(f)
            .ok_or_else(|| self.removed())
    }
}

/// An input element holding a `T`. Cloning the handle does not clone the
/// element; after `remove()` every call returns [`ServerError::Removed`].
pub struct GuiInputHandle<T> {
    element: GuiElementHandle,
    _value: PhantomData<fn() -> T>,
}

impl<T> Clone for GuiInputHandle<T> {
    fn clone(&self) -> Self {
        GuiInputHandle {
            element: self.element.clone(),
            _value: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for GuiInputHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuiInputHandle")
            .field("uuid", &self.element.uuid)
            .finish()
    }
}

impl<T: GuiValue> GuiInputHandle<T> {
    pub(crate) fn new(element: GuiElementHandle) -> GuiInputHandle<T> {
        GuiInputHandle {
            element,
            _value: PhantomData,
        }
    }

    /// The element, for what every element can do.
    pub fn element(&self) -> &GuiElementHandle {
        &self.element
    }

    /// The element's uuid (what the browser calls it).
    pub fn uuid(&self) -> &str {
        &self.element.uuid
    }

    /// The current value: the last one set here or by any tab.
    pub fn value(&self) -> Result<T> {
        self.element
            .read(|entry| T::from_value(&entry.value))?
            .ok_or_else(|| ServerError::invalid("value", "stored value has the wrong type"))
    }

    /// Sets the value in every tab. It must satisfy what the input was
    /// created with (range, options), or nothing changes and the error names
    /// `value`. Callbacks do not run: they report tabs' changes.
    pub fn set_value(&self, value: T) -> Result<()> {
        let wire = value.to_value();
        self.element.update(|entry| {
            let wire = match &entry.check {
                Some(check) => check
                    .check_from_program(&wire)
                    .map_err(|reason| ServerError::invalid("value", reason))?,
                None => wire,
            };
            if entry.value == wire {
                return Ok(Vec::new());
            }
            entry.value = wire.clone();
            Ok(vec![("value".to_owned(), wire)])
        })
    }

    /// Greys the input out (or back).
    pub fn set_disabled(&self, disabled: bool) -> Result<()> {
        self.element.set_prop("disabled", Value::Bool(disabled))
    }

    /// Hides the input (or shows it).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.element.set_visible(visible)
    }

    /// Changes the label.
    pub fn set_label(&self, label: &str) -> Result<()> {
        self.element.set_prop("label", Value::Str(label.to_owned()))
    }

    /// Changes the hint shown on hover (`None` removes it).
    pub fn set_hint(&self, hint: Option<&str>) -> Result<()> {
        let value = hint.map_or(Value::Nil, |h| Value::Str(h.to_owned()));
        self.element.set_prop("hint", value)
    }

    /// Runs `callback` each time a tab changes the value, with the tab.
    pub fn on_update(
        &self,
        callback: impl Fn(&GuiEvent<T>) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        let uuid = self.element.uuid.clone();
        let raw: RawGuiCallback = Arc::new(move |client, value| {
            if let Some(value) = T::from_value(value) {
                callback(&GuiEvent {
                    client: client.clone(),
                    uuid: uuid.clone(),
                    value,
                });
            }
        });
        let mut id = None;
        self.element.update(|entry| {
            id = Some(entry.callbacks.push(raw));
            Ok(Vec::new())
        })?;
        id.ok_or_else(|| self.element.removed())
    }

    /// Unregisters a callback given to [`Self::on_update`]; `false` if it
    /// is not registered on this input.
    pub fn remove_callback(&self, id: CallbackId) -> bool {
        self.element.remove_callback(id)
    }

    /// Removes the input from every tab.
    pub fn remove(&self) -> Result<()> {
        self.element.remove()
    }
}
