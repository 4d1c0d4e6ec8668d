//! Tab groups and their tabs.

use viser4d_proto::messages::{GuiTabGroupMessage, GuiTabGroupProps, GuiUpdateMessage};
use viser4d_proto::{Message, Value};

use crate::error::{Result, ServerError};
use crate::gui::registry::{EntryKind, Tab};
use crate::gui::{GuiApi, GuiElementHandle, NewEntry};
use crate::shared::State;

/// Options of [`GuiApi::add_tab_group`].
#[derive(Debug, Clone, PartialEq)]
pub struct TabGroupOptions {
    /// Shown (default true).
    pub visible: bool,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for TabGroupOptions {
    fn default() -> TabGroupOptions {
        TabGroupOptions {
            visible: true,
            order: None,
        }
    }
}

/// A tab group. Add tabs with [`TabGroupHandle::add_tab`]; removing the
/// group removes its tabs and everything in them.
#[derive(Debug, Clone)]
pub struct TabGroupHandle {
    element: GuiElementHandle,
    gui: GuiApi,
}

/// One tab of a tab group. Add elements into it through [`TabHandle::gui`].
#[derive(Debug, Clone)]
pub struct TabHandle {
    group: GuiElementHandle,
    id: String,
    gui: GuiApi,
}

/// The three parallel tab lists the client reads, as one update so they
/// never disagree in length.
fn tab_props(tabs: &[Tab]) -> Value {
    let strings = |f: fn(&Tab) -> &String| {
        Value::Array(tabs.iter().map(|t| Value::Str(f(t).clone())).collect())
    };
    Value::Map(vec![
        ("_tab_labels".to_owned(), strings(|t| &t.label)),
        (
            "_tab_icons_html".to_owned(),
            Value::Array(vec![Value::Nil; tabs.len()]),
        ),
        ("_tab_container_ids".to_owned(), strings(|t| &t.id)),
    ])
}

fn send_tabs(state: &mut State, group: &GuiElementHandle, tabs: &[Tab]) {
    let message = Message::from(GuiUpdateMessage {
        uuid: group.uuid().to_owned(),
        updates: tab_props(tabs),
    });
    state.send_live(group.scope(), message, None);
}

impl TabGroupHandle {
    pub(crate) fn from_parts(element: GuiElementHandle, gui: GuiApi) -> TabGroupHandle {
        TabGroupHandle { element, gui }
    }

    /// Adds a tab at the end.
    pub fn add_tab(&self, label: &str) -> Result<TabHandle> {
        let mut state = self.element.shared().lock();
        let id = state.gui.new_uuid();
        let tab = Tab {
            id: id.clone(),
            label: label.to_owned(),
        };
        let tabs = state
            .gui
            .add_tab(self.element.uuid(), tab)
            .ok_or_else(|| self.element.removed())?;
        send_tabs(&mut state, &self.element, &tabs);
        Ok(TabHandle {
            group: self.element.clone(),
            gui: self.gui.within(id.clone()),
            id,
        })
    }

    /// The element, for what every element can do.
    pub fn element(&self) -> &GuiElementHandle {
        &self.element
    }

    /// The tabs' labels, in order.
    pub fn tab_labels(&self) -> Result<Vec<String>> {
        self.element.read(|entry| match &entry.kind {
            EntryKind::TabGroup { tabs, .. } => tabs.iter().map(|t| t.label.clone()).collect(),
            _ => Vec::new(),
        })
    }

    /// Hides the group (or shows it).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.element.set_visible(visible)
    }

    /// Removes the group, its tabs and everything in them from every tab.
    pub fn remove(&self) -> Result<()> {
        self.element.remove()
    }
}

impl TabHandle {
    /// A GUI API that adds into this tab.
    pub fn gui(&self) -> &GuiApi {
        &self.gui
    }

    /// Removes this tab and everything in it.
    pub fn remove(&self) -> Result<()> {
        let mut state = self.group.shared().lock();
        let (tabs, removed) = state
            .gui
            .remove_tab(self.group.uuid(), &self.id)
            .ok_or_else(|| ServerError::Removed {
                what: "GUI tab",
                name: self.id.clone(),
            })?;
        send_tabs(&mut state, &self.group, &tabs);
        crate::gui::send_removals(&mut state, removed);
        Ok(())
    }
}

impl GuiApi {
    /// Adds a tab group, with no tabs yet.
    pub fn add_tab_group(&self, options: TabGroupOptions) -> Result<TabGroupHandle> {
        let entry = NewEntry {
            kind: EntryKind::TabGroup {
                tabs: Vec::new(),
                panel: false,
            },
            ..NewEntry::display()
        };
        let element = self.add_entry(entry, options.order, |uuid, container_uuid, order| {
            Message::from(GuiTabGroupMessage {
                uuid,
                container_uuid,
                props: GuiTabGroupProps {
                    tab_labels: Vec::new(),
                    tab_icons_html: Vec::new(),
                    tab_container_ids: Vec::new(),
                    order,
                    visible: options.visible,
                },
            })
        })?;
        Ok(TabGroupHandle {
            element,
            gui: self.clone(),
        })
    }
}
