//! GUI elements by uuid: current value, scope, callbacks.

use std::collections::HashMap;
use std::sync::Arc;

use viser4d_proto::Value;

use crate::gui::handle::RawGuiCallback;
use crate::shared::{ClientId, Scope};

pub(crate) struct GuiEntry {
    pub(crate) scope: Scope,
    pub(crate) value: Value,
    pub(crate) is_button: bool,
    pub(crate) callbacks: Vec<RawGuiCallback>,
}

#[derive(Default)]
pub(crate) struct GuiRegistry {
    elements: HashMap<String, GuiEntry>,
    next_id: u64,
    next_order: f64,
}

impl std::fmt::Debug for GuiRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuiRegistry")
            .field("elements", &self.elements.len())
            .finish()
    }
}

impl GuiRegistry {
    pub(crate) fn new_uuid(&mut self) -> String {
        self.next_id += 1;
        format!("viser4d-gui-{}", self.next_id)
    }

    pub(crate) fn next_order(&mut self) -> f64 {
        self.next_order += 1.0;
        self.next_order
    }

    pub(crate) fn insert(&mut self, uuid: &str, scope: Scope, value: Value, is_button: bool) {
        self.elements.insert(
            uuid.to_owned(),
            GuiEntry {
                scope,
                value,
                is_button,
                callbacks: Vec::new(),
            },
        );
    }

    pub(crate) fn get_mut(&mut self, uuid: &str) -> Option<&mut GuiEntry> {
        self.elements.get_mut(uuid)
    }

    pub(crate) fn remove(&mut self, uuid: &str) -> Option<GuiEntry> {
        self.elements.remove(uuid)
    }

    pub(crate) fn forget_client(&mut self, id: ClientId) {
        self.elements.retain(|_, e| e.scope != Scope::Client(id));
    }

    pub(crate) fn callbacks(&self, uuid: &str) -> Vec<RawGuiCallback> {
        self.elements
            .get(uuid)
            .map(|e| e.callbacks.iter().map(Arc::clone).collect())
            .unwrap_or_default()
    }
}
