//! GUI elements by uuid: what kind each is, where it sits, its current
//! value, the rule its value obeys, its callbacks; the containers (folders,
//! tabs, modals) elements can be added into; uploads in flight.
//!
//! The registry only keeps books. Sending the messages that go with a
//! change is the caller's job, under the same state lock.

use std::collections::HashMap;

use viser4d_proto::Value;

use crate::callbacks::CallbackList;
use crate::gui::handle::RawGuiCallback;
use crate::gui::upload::{PendingUpload, UploadCallback, UploadedFile};
use crate::gui::value::ValueCheck;
use crate::shared::{ClientId, Scope};

/// One tab of a tab group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tab {
    /// The container id its children go into.
    pub(crate) id: String,
    pub(crate) label: String,
}

/// What an upload button keeps.
pub(crate) struct UploadSlot {
    pub(crate) max_size_bytes: u64,
    pub(crate) callbacks: CallbackList<UploadCallback>,
    pub(crate) last: Option<UploadedFile>,
}

/// What a form keeps: its submit callbacks.
#[derive(Default)]
pub(crate) struct FormSlot {
    pub(crate) submit: CallbackList<crate::gui::form::SubmitCallback>,
}

/// A command of the command palette.
pub(crate) struct CommandEntry {
    pub(crate) scope: Scope,
    pub(crate) callbacks: CallbackList<crate::gui::command::CommandCallback>,
}

/// What a plot keeps: its data, to extend it sample by sample, and the
/// time axis it follows the timeline on, if bound.
pub(crate) struct PlotSlot {
    /// x, then one column per y series (uPlot; empty for Plotly).
    pub(crate) columns: Vec<Vec<f64>>,
    /// The figure (Plotly; `None` for uPlot).
    pub(crate) figure: Option<serde_json::Value>,
    pub(crate) axis: Option<crate::gui::PlotTimeAxis>,
}

/// The kinds of element, as far as the server treats them differently.
pub(crate) enum EntryKind {
    /// An input whose value tabs change; a change is synced to other tabs.
    Input,
    /// A button or button group: every click counts, even with an unchanged
    /// value, and clicks are not synced to other tabs.
    Button,
    /// Shown only: markdown, HTML, divider, progress bar.
    Display,
    /// A folder; its uuid is also the container of its children.
    Folder,
    /// A tab group, or a standalone panel (`panel`: removed with
    /// `GuiPanelRemoveMessage`); each tab's id is a container.
    TabGroup { tabs: Vec<Tab>, panel: bool },
    /// A form: a folder whose inputs are submitted together.
    Form(FormSlot),
    /// A modal; its uuid is also the container of its children. Removed
    /// with `GuiCloseModalMessage`, not `GuiRemoveMessage`.
    Modal,
    /// An upload button.
    Upload(UploadSlot),
    /// A plot (uPlot or Plotly).
    Plot(PlotSlot),
    /// The container of a 3D GUI scene node: no element of its own in the
    /// panel, only children (which the scene node shows).
    Container3d,
}

impl EntryKind {
    /// The container ids whose children this element owns.
    fn owned_containers(&self, uuid: &str) -> Vec<String> {
        match self {
            EntryKind::Folder | EntryKind::Modal | EntryKind::Container3d | EntryKind::Form(_) => {
                vec![uuid.to_owned()]
            }
            EntryKind::TabGroup { tabs, .. } => tabs.iter().map(|t| t.id.clone()).collect(),
            _ => Vec::new(),
        }
    }
}

/// Elements taken out of the registry, parents first, with their uuids.
pub(crate) type RemovedElements = Vec<(String, GuiEntry)>;

pub(crate) struct GuiEntry {
    pub(crate) scope: Scope,
    /// The container it was added into.
    pub(crate) container: String,
    pub(crate) kind: EntryKind,
    pub(crate) value: Value,
    /// How values from Rust and from tabs are checked (inputs only).
    pub(crate) check: Option<ValueCheck>,
    pub(crate) callbacks: CallbackList<RawGuiCallback>,
    /// Hold callbacks of a button, each with its rate in Hz.
    pub(crate) holds: CallbackList<(f64, crate::gui::form::HoldCallback)>,
}

impl GuiEntry {
    /// Whether the element is in `client`'s GUI (so the tab may change it).
    pub(crate) fn in_scope_of(&self, client: ClientId) -> bool {
        match self.scope {
            Scope::Broadcast | Scope::Timeline => true,
            Scope::Client(id) => id == client,
        }
    }
}

#[derive(Default)]
pub(crate) struct GuiRegistry {
    elements: HashMap<String, GuiEntry>,
    /// Container id -> uuid of the element that owns it ("root" is not
    /// listed: it always exists).
    containers: HashMap<String, String>,
    /// Uploads in flight, by transfer uuid.
    pub(crate) uploads: HashMap<String, PendingUpload>,
    /// Scopes that were sent Plotly's script (the shared one reaches
    /// every tab, now and later, through the replay state).
    #[cfg_attr(not(feature = "plotly"), allow(dead_code))]
    pub(crate) plotly_sent: std::collections::HashSet<Scope>,
    /// Commands of the command palette, by uuid.
    pub(crate) commands: HashMap<String, CommandEntry>,
    /// Panel layout commands sent per scope (viser's layout counter).
    pub(crate) layout_counter: HashMap<Scope, i64>,
    next_id: u64,
    next_order: f64,
}

impl std::fmt::Debug for GuiRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuiRegistry")
            .field("elements", &self.elements.len())
            .field("uploads", &self.uploads.len())
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

    /// Whether elements can be added into `container` now.
    pub(crate) fn container_exists(&self, container: &str) -> bool {
        container == crate::gui::ROOT_CONTAINER || self.containers.contains_key(container)
    }

    pub(crate) fn insert(&mut self, uuid: &str, entry: GuiEntry) {
        for id in entry.kind.owned_containers(uuid) {
            self.containers.insert(id, uuid.to_owned());
        }
        self.elements.insert(uuid.to_owned(), entry);
    }

    pub(crate) fn get(&self, uuid: &str) -> Option<&GuiEntry> {
        self.elements.get(uuid)
    }

    pub(crate) fn get_mut(&mut self, uuid: &str) -> Option<&mut GuiEntry> {
        self.elements.get_mut(uuid)
    }

    /// Adds a tab to tab group `group` and returns the group's tabs after it.
    pub(crate) fn add_tab(&mut self, group: &str, tab: Tab) -> Option<Vec<Tab>> {
        let entry = self.elements.get_mut(group)?;
        let EntryKind::TabGroup { tabs, .. } = &mut entry.kind else {
            return None;
        };
        self.containers.insert(tab.id.clone(), group.to_owned());
        tabs.push(tab);
        Some(tabs.clone())
    }

    /// Removes one tab of `group` and everything in it. Returns the group's
    /// remaining tabs and the removed elements (parents first), or `None` if
    /// the group or the tab is gone.
    pub(crate) fn remove_tab(
        &mut self,
        group: &str,
        tab_id: &str,
    ) -> Option<(Vec<Tab>, RemovedElements)> {
        let entry = self.elements.get_mut(group)?;
        let EntryKind::TabGroup { tabs, .. } = &mut entry.kind else {
            return None;
        };
        let index = tabs.iter().position(|t| t.id == tab_id)?;
        tabs.remove(index);
        let remaining = tabs.clone();
        self.containers.remove(tab_id);
        let mut removed = Vec::new();
        self.remove_children_of(tab_id, &mut removed);
        Some((remaining, removed))
    }

    /// Removes `uuid` and everything inside it, parents first.
    pub(crate) fn remove_subtree(&mut self, uuid: &str) -> RemovedElements {
        let mut removed = Vec::new();
        self.remove_into(uuid, &mut removed);
        removed
    }

    fn remove_into(&mut self, uuid: &str, removed: &mut RemovedElements) {
        let Some(entry) = self.elements.remove(uuid) else {
            return;
        };
        let owned = entry.kind.owned_containers(uuid);
        // An upload that can no longer land anywhere is dropped now rather
        // than buffered until its last part.
        if matches!(entry.kind, EntryKind::Upload(_)) {
            self.uploads.retain(|_, u| u.component != uuid);
        }
        removed.push((uuid.to_owned(), entry));
        for container in owned {
            self.containers.remove(&container);
            self.remove_children_of(&container, removed);
        }
    }

    fn remove_children_of(&mut self, container: &str, removed: &mut RemovedElements) {
        let children: Vec<String> = self
            .elements
            .iter()
            .filter(|(_, e)| e.container == container)
            .map(|(uuid, _)| uuid.clone())
            .collect();
        for child in children {
            self.remove_into(&child, removed);
        }
    }

    /// The uuids of every element of `scope`.
    /// `uuid` and the elements holding it (folder, tab group, ...), up to
    /// the root: what a viewer needs to show it.
    pub(crate) fn with_ancestors(&self, uuid: &str) -> Vec<String> {
        let mut out = vec![uuid.to_owned()];
        let mut at = uuid.to_owned();
        // Bounded by the element count: containers cannot form a cycle,
        // but a bound never hurts.
        for _ in 0..self.elements.len() {
            let Some(entry) = self.elements.get(&at) else {
                break;
            };
            let Some(owner) = self.containers.get(&entry.container) else {
                break;
            };
            out.push(owner.clone());
            at = owner.clone();
        }
        out
    }

    pub(crate) fn uuids_in_scope(&self, scope: Scope) -> Vec<String> {
        self.elements
            .iter()
            .filter(|(_, e)| e.scope == scope)
            .map(|(uuid, _)| uuid.clone())
            .collect()
    }

    /// Forgets a disconnected tab: its own elements and its uploads.
    pub(crate) fn forget_client(&mut self, id: ClientId) {
        for uuid in self.uuids_in_scope(Scope::Client(id)) {
            self.remove_subtree(&uuid);
        }
        self.uploads.retain(|_, u| u.client != id);
        self.commands.retain(|_, c| c.scope != Scope::Client(id));
        self.layout_counter.remove(&Scope::Client(id));
        self.plotly_sent.remove(&Scope::Client(id));
    }

    pub(crate) fn callbacks(&self, uuid: &str) -> Vec<RawGuiCallback> {
        self.elements
            .get(uuid)
            .map(|e| e.callbacks.to_vec())
            .unwrap_or_default()
    }
}
