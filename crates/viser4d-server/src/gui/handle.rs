//! Handles of GUI inputs: value, properties, callbacks, removal.

use std::marker::PhantomData;
use std::sync::Arc;

use viser4d_proto::messages::{GuiRemoveMessage, GuiUpdateMessage};
use viser4d_proto::{Message, Value};

use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
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

/// An input element holding a `T`. Cloning the handle does not clone the
/// element; after `remove()` every call returns [`ServerError::Removed`].
pub struct GuiInputHandle<T> {
    shared: Arc<Shared>,
    scope: Scope,
    uuid: String,
    _value: PhantomData<fn() -> T>,
}

impl<T> Clone for GuiInputHandle<T> {
    fn clone(&self) -> Self {
        GuiInputHandle {
            shared: self.shared.clone(),
            scope: self.scope,
            uuid: self.uuid.clone(),
            _value: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for GuiInputHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuiInputHandle")
            .field("uuid", &self.uuid)
            .finish()
    }
}

impl<T: GuiValue> GuiInputHandle<T> {
    pub(crate) fn new(shared: Arc<Shared>, scope: Scope, uuid: String) -> GuiInputHandle<T> {
        GuiInputHandle {
            shared,
            scope,
            uuid,
            _value: PhantomData,
        }
    }

    fn removed(&self) -> ServerError {
        ServerError::Removed {
            what: "GUI element",
            name: self.uuid.clone(),
        }
    }

    /// The element's uuid (what the browser calls it).
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// The current value: the last one set here or by any tab.
    pub fn value(&self) -> Result<T> {
        let mut state = self.shared.lock();
        let entry = state
            .gui
            .get_mut(&self.uuid)
            .ok_or_else(|| self.removed())?;
        T::from_value(&entry.value)
            .ok_or_else(|| ServerError::invalid("value", "stored value has the wrong type"))
    }

    /// Sets the value in every tab. Callbacks do not run: they report tabs'
    /// changes.
    pub fn set_value(&self, value: T) -> Result<()> {
        let wire = value.to_value();
        self.update_props(vec![("value".to_owned(), wire.clone())], |entry| {
            entry.value = wire
        })
    }

    /// Greys the input out (or back).
    pub fn set_disabled(&self, disabled: bool) -> Result<()> {
        self.update_props(vec![("disabled".to_owned(), Value::Bool(disabled))], |_| {})
    }

    /// Hides the input (or shows it).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.update_props(vec![("visible".to_owned(), Value::Bool(visible))], |_| {})
    }

    /// Changes the label.
    pub fn set_label(&self, label: &str) -> Result<()> {
        self.update_props(
            vec![("label".to_owned(), Value::Str(label.to_owned()))],
            |_| {},
        )
    }

    /// Changes the hint shown on hover (`None` removes it).
    pub fn set_hint(&self, hint: Option<&str>) -> Result<()> {
        let value = hint.map_or(Value::Nil, |h| Value::Str(h.to_owned()));
        self.update_props(vec![("hint".to_owned(), value)], |_| {})
    }

    pub(crate) fn update_props(
        &self,
        updates: Vec<(String, Value)>,
        apply: impl FnOnce(&mut crate::gui::registry::GuiEntry),
    ) -> Result<()> {
        let mut state = self.shared.lock();
        let entry = state
            .gui
            .get_mut(&self.uuid)
            .ok_or_else(|| self.removed())?;
        apply(entry);
        let message = Message::from(GuiUpdateMessage {
            uuid: self.uuid.clone(),
            updates: Value::Map(updates),
        });
        state.send(self.scope, message, None);
        Ok(())
    }

    /// Runs `callback` each time a tab changes the value.
    pub fn on_update(&self, callback: impl Fn(&GuiEvent<T>) + Send + Sync + 'static) -> Result<()> {
        let uuid = self.uuid.clone();
        let raw: RawGuiCallback = Arc::new(move |client, value| {
            if let Some(value) = T::from_value(value) {
                callback(&GuiEvent {
                    client: client.clone(),
                    uuid: uuid.clone(),
                    value,
                });
            }
        });
        let mut state = self.shared.lock();
        let entry = state
            .gui
            .get_mut(&self.uuid)
            .ok_or_else(|| self.removed())?;
        entry.callbacks.push(raw);
        Ok(())
    }

    /// Removes the element from every tab.
    pub fn remove(&self) -> Result<()> {
        let mut state = self.shared.lock();
        state.gui.remove(&self.uuid).ok_or_else(|| self.removed())?;
        state.send(
            self.scope,
            Message::from(GuiRemoveMessage {
                uuid: self.uuid.clone(),
            }),
            None,
        );
        Ok(())
    }
}
