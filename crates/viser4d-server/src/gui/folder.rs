//! Folders: collapsible sections that hold other elements.

use viser4d_proto::messages::{GuiFolderMessage, GuiFolderProps};
use viser4d_proto::{Message, Value};

use crate::error::Result;
use crate::gui::registry::EntryKind;
use crate::gui::{GuiApi, GuiElementHandle, NewEntry};

/// Options of [`GuiApi::add_folder`].
#[derive(Debug, Clone, PartialEq)]
pub struct FolderOptions {
    /// Open at first (default true).
    pub expand_by_default: bool,
    /// No header and no border: the folder only groups its elements (the
    /// label is not shown, and the folder cannot be collapsed).
    pub headerless: bool,
    /// Shown (default true).
    pub visible: bool,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for FolderOptions {
    fn default() -> FolderOptions {
        FolderOptions {
            expand_by_default: true,
            headerless: false,
            visible: true,
            order: None,
        }
    }
}

/// A folder. Add elements into it through [`FolderHandle::gui`]; removing
/// it removes them too.
#[derive(Debug, Clone)]
pub struct FolderHandle {
    element: GuiElementHandle,
    gui: GuiApi,
}

impl FolderHandle {
    /// A GUI API that adds into this folder.
    pub fn gui(&self) -> &GuiApi {
        &self.gui
    }

    /// The element, for what every element can do.
    pub fn element(&self) -> &GuiElementHandle {
        &self.element
    }

    /// Changes the label (`None`: no header and no border).
    pub fn set_label(&self, label: Option<&str>) -> Result<()> {
        let value = label.map_or(Value::Nil, |l| Value::Str(l.to_owned()));
        self.element.set_prop("label", value)
    }

    /// Hides the folder and its contents (or shows them).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.element.set_visible(visible)
    }

    /// Removes the folder and everything in it from every tab.
    pub fn remove(&self) -> Result<()> {
        self.element.remove()
    }
}

/// A folder's props (forms share them).
pub(crate) fn folder_props(label: &str, options: &FolderOptions, order: f64) -> GuiFolderProps {
    GuiFolderProps {
        order,
        label: (!options.headerless).then(|| label.to_owned()),
        visible: options.visible,
        expand_by_default: options.expand_by_default,
    }
}

impl GuiApi {
    /// Adds a folder.
    pub fn add_folder(&self, label: &str, options: FolderOptions) -> Result<FolderHandle> {
        let entry = NewEntry {
            kind: EntryKind::Folder,
            ..NewEntry::display()
        };
        let element = self.add_entry(entry, options.order, |uuid, container_uuid, order| {
            Message::from(GuiFolderMessage {
                uuid,
                container_uuid,
                props: folder_props(label, &options, order),
            })
        })?;
        let gui = self.within(element.uuid().to_owned());
        Ok(FolderHandle { element, gui })
    }
}
