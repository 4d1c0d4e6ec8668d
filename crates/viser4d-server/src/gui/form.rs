//! Forms (viser's `add_form`): folders whose inputs are committed together
//! with Cmd/Ctrl+Enter or [`FormHandle::submit`]; and button holds
//! (viser's `on_hold`), which repeat while a tab holds a button down.
//! Both are events a tab sends about an element it can see.

use std::sync::Arc;

use viser4d_proto::messages::{
    GuiButtonHoldMessage, GuiFormDirtyMessage, GuiFormMessage, GuiFormSubmitMessage,
    GuiUpdateMessage,
};
use viser4d_proto::{Message, Value};

use crate::callbacks::{CallbackId, run_blocking};
use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
use crate::gui::registry::{EntryKind, FormSlot};
use crate::gui::{ButtonHandle, FolderOptions, GuiApi, GuiElementHandle, NewEntry};
use crate::shared::{Shared, State};

/// A form was submitted.
#[derive(Debug, Clone)]
pub struct FormSubmitEvent {
    /// The tab that submitted; `None` for [`FormHandle::submit`].
    pub client: Option<ClientHandle>,
    /// The form's uuid.
    pub uuid: String,
}

/// A tab holds a button down (sent at the rate the callback asked for).
#[derive(Debug, Clone)]
pub struct HoldEvent {
    /// The tab.
    pub client: ClientHandle,
    /// The button's uuid.
    pub uuid: String,
    /// The rate this callback runs at, Hz.
    pub frequency: f64,
}

pub(crate) type SubmitCallback = Arc<dyn Fn(&FormSubmitEvent) + Send + Sync>;
pub(crate) type HoldCallback = Arc<dyn Fn(&HoldEvent) + Send + Sync>;

/// A form; add its inputs through [`FormHandle::gui`].
#[derive(Debug, Clone)]
pub struct FormHandle {
    element: GuiElementHandle,
    gui: GuiApi,
}

impl std::ops::Deref for FormHandle {
    type Target = GuiElementHandle;
    fn deref(&self) -> &GuiElementHandle {
        &self.element
    }
}

impl GuiApi {
    /// Adds a form: a folder (same options) whose inputs a tab commits
    /// together with Cmd/Ctrl+Enter; it shows when they changed since.
    pub fn add_form(&self, label: &str, options: FolderOptions) -> Result<FormHandle> {
        let entry = NewEntry {
            kind: EntryKind::Form(FormSlot::default()),
            ..NewEntry::display()
        };
        let element = self.add_entry(entry, options.order, |uuid, container_uuid, order| {
            Message::from(GuiFormMessage {
                uuid,
                container_uuid,
                props: crate::gui::folder::folder_props(label, &options, order),
            })
        })?;
        let gui = self.within(element.uuid().to_owned());
        Ok(FormHandle { element, gui })
    }
}

impl FormHandle {
    /// A GUI API that adds into this form.
    pub fn gui(&self) -> &GuiApi {
        &self.gui
    }

    /// Runs `callback` on each submit, with the tab that submitted.
    pub fn on_submit(
        &self,
        callback: impl Fn(&FormSubmitEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        let callback: SubmitCallback = Arc::new(callback);
        let mut id = None;
        self.element.update(|entry| {
            if let EntryKind::Form(slot) = &mut entry.kind {
                id = Some(slot.submit.push(callback));
            }
            Ok(Vec::new())
        })?;
        id.ok_or_else(|| self.element.removed())
    }

    /// Submits from the program: runs the submit callbacks (with no tab)
    /// and clears every tab's changed mark.
    pub fn submit(&self) -> Result<()> {
        let callbacks = {
            let mut state = self.element.shared().lock();
            let Some(entry) = state.gui.get(self.element.uuid()) else {
                return Err(self.element.removed());
            };
            let callbacks = match &entry.kind {
                EntryKind::Form(slot) => slot.submit.to_vec(),
                _ => Vec::new(),
            };
            let message = Message::from(GuiFormSubmitMessage {
                uuid: self.element.uuid().to_owned(),
            });
            state.send_live(self.element.scope(), message, None);
            callbacks
        };
        let event = FormSubmitEvent {
            client: None,
            uuid: self.element.uuid().to_owned(),
        };
        for cb in callbacks {
            cb(&event);
        }
        Ok(())
    }
}

impl ButtonHandle {
    /// Runs `callback` when a tab presses this button and then
    /// `frequency` times a second until it is released (viser's
    /// `on_hold`; default rate there 10 Hz).
    pub fn on_hold(
        &self,
        frequency: f64,
        callback: impl Fn(&HoldEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        if !(frequency.is_finite() && frequency > 0.0 && frequency <= 1000.0) {
            return Err(ServerError::invalid(
                "frequency",
                format!("{frequency} Hz is not in (0, 1000]"),
            ));
        }
        let element = self.element();
        let mut state = element.shared().lock();
        let entry = state
            .gui
            .get_mut(element.uuid())
            .ok_or_else(|| element.removed())?;
        let id = entry.holds.push((frequency, Arc::new(callback)));
        send_hold_rates(&mut state, element.uuid());
        Ok(id)
    }
}

/// Tells the tabs at which rates button `uuid` reports holds.
pub(crate) fn send_hold_rates(state: &mut State, uuid: &str) {
    let Some(entry) = state.gui.get(uuid) else {
        return;
    };
    let mut rates: Vec<f64> = Vec::new();
    for (rate, _) in entry.holds.iter() {
        if !rates.contains(rate) {
            rates.push(*rate);
        }
    }
    let scope = entry.scope;
    let message = Message::from(GuiUpdateMessage {
        uuid: uuid.to_owned(),
        updates: Value::Map(vec![(
            "_hold_callback_freqs".to_owned(),
            Value::Array(rates.into_iter().map(Value::Float).collect()),
        )]),
    });
    state.send_live(scope, message, None);
}

/// A tab submitted a form (or marked it changed).
pub(crate) fn form_submit(shared: &Shared, client: &ClientHandle, message: GuiFormSubmitMessage) {
    let callbacks = {
        let mut state = shared.lock();
        let Some(entry) = state.gui.get(&message.uuid) else {
            return;
        };
        if !entry.in_scope_of(client.id()) {
            tracing::warn!(client = client.id(), uuid = %message.uuid, "tab submitted another tab's form; ignored");
            return;
        }
        let EntryKind::Form(slot) = &entry.kind else {
            return;
        };
        let callbacks = slot.submit.to_vec();
        let scope = entry.scope;
        // Every tab clears its changed mark.
        state.send_live(scope, Message::from(message.clone()), None);
        callbacks
    };
    let event = FormSubmitEvent {
        client: Some(client.clone()),
        uuid: message.uuid,
    };
    for cb in callbacks {
        run_blocking(|| cb(&event));
    }
}

pub(crate) fn form_dirty(shared: &Shared, client: &ClientHandle, message: GuiFormDirtyMessage) {
    let mut state = shared.lock();
    let Some(entry) = state.gui.get(&message.uuid) else {
        return;
    };
    if !entry.in_scope_of(client.id()) || !matches!(entry.kind, EntryKind::Form(_)) {
        return;
    }
    let scope = entry.scope;
    state.send_live(scope, Message::from(message), Some(client.id()));
}

pub(crate) fn button_hold(shared: &Shared, client: &ClientHandle, message: GuiButtonHoldMessage) {
    let callbacks: Vec<HoldCallback> = {
        let state = shared.lock();
        let Some(entry) = state.gui.get(&message.uuid) else {
            return;
        };
        if !entry.in_scope_of(client.id()) {
            return;
        }
        entry
            .holds
            .iter()
            .filter(|(rate, _)| *rate == message.frequency)
            .map(|(_, cb)| cb.clone())
            .collect()
    };
    let event = HoldEvent {
        client: client.clone(),
        uuid: message.uuid,
        frequency: message.frequency,
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
    fn a_submit_runs_callbacks_with_the_tab_and_clears_every_tab() -> Result<()> {
        let h = harness();
        let (a, b) = (h.connect(), h.connect());
        let form = h.gui().add_form("Params", FolderOptions::default())?;
        form.gui().add_checkbox("On", false, Default::default())?;
        let seen: Arc<Mutex<Vec<Option<u64>>>> = Arc::default();
        let log = seen.clone();
        form.on_submit(move |e| {
            if let Ok(mut s) = log.lock() {
                s.push(e.client.as_ref().map(ClientHandle::id));
            }
        })?;
        h.take(&a);
        h.take(&b);
        let uuid = form.uuid().to_owned();
        form_submit(&h.shared, &a, GuiFormSubmitMessage { uuid: uuid.clone() });
        form_dirty(&h.shared, &a, GuiFormDirtyMessage { uuid: uuid.clone() });
        form.submit()?;
        assert_eq!(
            seen.lock().map(|s| s.clone()).unwrap_or_default(),
            [Some(a.id()), None]
        );
        let to_b = h.take(&b);
        // Both submits clear b's mark (queued submits of one form coalesce).
        assert!(
            to_b.iter()
                .any(|m| matches!(m, Message::GuiFormSubmitMessage(_)))
        );
        assert!(
            to_b.iter()
                .any(|m| matches!(m, Message::GuiFormDirtyMessage(_)))
        );
        let to_a = h.take(&a);
        assert!(
            !to_a
                .iter()
                .any(|m| matches!(m, Message::GuiFormDirtyMessage(_))),
            "the tab that changed it is not told"
        );
        Ok(())
    }

    #[test]
    fn holds_run_at_their_rate() -> Result<()> {
        let h = harness();
        let tab = h.connect();
        let button = h.gui().add_button("Go", Default::default())?;
        let count = Arc::new(Mutex::new(0));
        let c = count.clone();
        let id = button.on_hold(30.0, move |_| {
            if let Ok(mut n) = c.lock() {
                *n += 1;
            }
        })?;
        assert!(button.on_hold(0.0, |_| {}).is_err());
        let hold = |frequency| GuiButtonHoldMessage {
            uuid: button.uuid().to_owned(),
            frequency,
        };
        button_hold(&h.shared, &tab, hold(30.0));
        button_hold(&h.shared, &tab, hold(10.0));
        assert_eq!(*count.lock().map_err(|_| ServerError::Stopped)?, 1);
        assert!(button.remove_callback(id));
        button_hold(&h.shared, &tab, hold(30.0));
        assert_eq!(*count.lock().map_err(|_| ServerError::Stopped)?, 1);
        let rates = h.take(&tab).into_iter().rev().find_map(|m| match m {
            Message::GuiUpdateMessage(u) => u.updates.get("_hold_callback_freqs").cloned(),
            _ => None,
        });
        assert_eq!(rates, Some(Value::Array(Vec::new())));
        Ok(())
    }
}
