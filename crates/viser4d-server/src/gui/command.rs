//! Commands of the command palette (viser's `add_command`): a label, an
//! optional hotkey, and callbacks run with the tab that triggered it.
//! Commands are their own kind of entity in viser (not panel elements), so
//! they are kept apart from the panel's registry entries.

use std::sync::Arc;

use viser4d_proto::messages::{
    CommandProps, CommandTriggerMessage, CommandUpdateMessage, HotkeyKey, KeyModifier,
    RegisterCommandMessage, RemoveCommandMessage,
};
use viser4d_proto::{Message, Value};

use crate::callbacks::{CallbackId, CallbackList, run_blocking};
use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
use crate::gui::GuiApi;
use crate::gui::registry::CommandEntry;
use crate::shared::{Scope, Shared};

/// Options of [`GuiApi::add_command`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommandOptions {
    /// Shown below the label.
    pub description: Option<String>,
    /// A key that triggers it.
    pub hotkey: Option<HotkeyKey>,
    /// Modifiers to hold with the hotkey (needs `hotkey`).
    pub modifier: Option<KeyModifier>,
    /// Icon, as HTML (an inline SVG).
    pub icon_html: Option<String>,
    /// Listed but not triggerable.
    pub disabled: bool,
}

/// A tab triggered a command.
#[derive(Debug, Clone)]
pub struct CommandEvent {
    /// The tab.
    pub client: ClientHandle,
    /// The command's uuid.
    pub uuid: String,
}

pub(crate) type CommandCallback = Arc<dyn Fn(&CommandEvent) + Send + Sync>;

/// A command of the palette.
#[derive(Debug, Clone)]
pub struct CommandHandle {
    api: GuiApi,
    uuid: String,
}

impl GuiApi {
    /// Registers a command in the command palette of every tab (or of this
    /// tab, for a tab's GUI).
    pub fn add_command(&self, label: &str, options: CommandOptions) -> Result<CommandHandle> {
        if options.hotkey.is_none() && options.modifier.is_some() {
            return Err(ServerError::invalid(
                "modifier",
                "a modifier needs a hotkey to go with",
            ));
        }
        let mut state = self.shared().lock();
        let uuid = state.gui.new_uuid();
        state.gui.commands.insert(
            uuid.clone(),
            CommandEntry {
                scope: self.scope(),
                callbacks: CallbackList::default(),
            },
        );
        let message = Message::from(RegisterCommandMessage {
            uuid: uuid.clone(),
            props: CommandProps {
                label: label.to_owned(),
                description: options.description,
                hotkey: options.hotkey,
                modifier: options.modifier,
                icon_html: options.icon_html,
                disabled: options.disabled,
            },
        });
        state.send_live(self.scope(), message, None);
        Ok(CommandHandle {
            api: self.clone(),
            uuid,
        })
    }
}

impl CommandHandle {
    /// The command's uuid.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// Runs `callback` each time a tab triggers the command.
    pub fn on_trigger(
        &self,
        callback: impl Fn(&CommandEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        let mut state = self.api.shared().lock();
        let entry = state
            .gui
            .commands
            .get_mut(&self.uuid)
            .ok_or_else(|| self.removed())?;
        Ok(entry.callbacks.push(Arc::new(callback)))
    }

    /// Unregisters a callback given to [`Self::on_trigger`].
    pub fn remove_callback(&self, id: CallbackId) -> bool {
        let mut state = self.api.shared().lock();
        state
            .gui
            .commands
            .get_mut(&self.uuid)
            .is_some_and(|e| e.callbacks.remove(id))
    }

    /// Changes the label.
    pub fn set_label(&self, label: &str) -> Result<()> {
        self.update("label", Value::Str(label.to_owned()))
    }

    /// Changes the description (`None` removes it).
    pub fn set_description(&self, description: Option<&str>) -> Result<()> {
        let value = description.map_or(Value::Nil, |d| Value::Str(d.to_owned()));
        self.update("description", value)
    }

    /// Greys the command out (or back).
    pub fn set_disabled(&self, disabled: bool) -> Result<()> {
        self.update("disabled", Value::Bool(disabled))
    }

    /// Removes the command from the palette.
    pub fn remove(&self) -> Result<()> {
        let mut state = self.api.shared().lock();
        let entry = state
            .gui
            .commands
            .remove(&self.uuid)
            .ok_or_else(|| self.removed())?;
        let message = Message::from(RemoveCommandMessage {
            uuid: self.uuid.clone(),
        });
        state.send_live(entry.scope, message, None);
        Ok(())
    }

    fn update(&self, prop: &str, value: Value) -> Result<()> {
        let mut state = self.api.shared().lock();
        let scope = state
            .gui
            .commands
            .get(&self.uuid)
            .map(|e| e.scope)
            .ok_or_else(|| self.removed())?;
        let message = Message::from(CommandUpdateMessage {
            uuid: self.uuid.clone(),
            updates: Value::Map(vec![(prop.to_owned(), value)]),
        });
        state.send_live(scope, message, None);
        Ok(())
    }

    fn removed(&self) -> ServerError {
        ServerError::Removed {
            what: "command",
            name: self.uuid.clone(),
        }
    }
}

/// A tab triggered command `uuid`: run its callbacks if the tab has it.
pub(crate) fn trigger(shared: &Shared, client: &ClientHandle, message: CommandTriggerMessage) {
    let callbacks = {
        let state = shared.lock();
        match state.gui.commands.get(&message.uuid) {
            Some(entry)
                if matches!(entry.scope, Scope::Broadcast)
                    || entry.scope == Scope::Client(client.id()) =>
            {
                entry.callbacks.to_vec()
            }
            Some(_) => {
                tracing::warn!(client = client.id(), uuid = %message.uuid, "tab triggered another tab's command; ignored");
                return;
            }
            None => return,
        }
    };
    let event = CommandEvent {
        client: client.clone(),
        uuid: message.uuid,
    };
    for cb in callbacks {
        run_blocking(|| cb(&event));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::gui::testing::harness;

    #[test]
    fn commands_trigger_in_their_scope_only() -> Result<()> {
        let h = harness();
        let (a, b) = (h.connect(), h.connect());
        assert!(
            h.gui()
                .add_command(
                    "x",
                    CommandOptions {
                        modifier: Some(KeyModifier::Shift),
                        ..Default::default()
                    }
                )
                .is_err()
        );
        let mine = a.gui().add_command("Mine", CommandOptions::default())?;
        let hits: Arc<Mutex<Vec<u64>>> = Arc::default();
        let log = hits.clone();
        mine.on_trigger(move |e| {
            if let Ok(mut h) = log.lock() {
                h.push(e.client.id());
            }
        })?;
        let msg = || CommandTriggerMessage {
            uuid: mine.uuid().to_owned(),
        };
        trigger(&h.shared, &b, msg());
        trigger(&h.shared, &a, msg());
        assert_eq!(hits.lock().map(|h| h.clone()).unwrap_or_default(), [a.id()]);
        assert!(
            h.take(&a)
                .iter()
                .any(|m| matches!(m, Message::RegisterCommandMessage(_)))
        );
        assert!(
            !h.take(&b)
                .iter()
                .any(|m| matches!(m, Message::RegisterCommandMessage(_)))
        );
        mine.set_label("Renamed")?;
        mine.remove()?;
        assert!(mine.set_label("gone").is_err());
        Ok(())
    }
}
