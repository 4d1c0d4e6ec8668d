//! Modals: a window over the viewer, holding other elements.

use viser4d_proto::Message;
use viser4d_proto::messages::GuiModalMessage;

use crate::error::Result;
use crate::gui::registry::EntryKind;
use crate::gui::{GuiApi, GuiElementHandle, NewEntry, ROOT_CONTAINER};

/// A modal. Add elements into it through [`ModalHandle::gui`];
/// [`ModalHandle::close`] closes it and removes them.
#[derive(Debug, Clone)]
pub struct ModalHandle {
    element: GuiElementHandle,
    gui: GuiApi,
}

impl ModalHandle {
    /// A GUI API that adds into this modal.
    pub fn gui(&self) -> &GuiApi {
        &self.gui
    }

    /// The modal's uuid (what the browser calls it).
    pub fn uuid(&self) -> &str {
        self.element.uuid()
    }

    /// Closes the modal in every tab and removes everything in it.
    pub fn close(&self) -> Result<()> {
        self.element.remove()
    }
}

impl GuiApi {
    /// Opens a modal titled `title`. It is not part of any folder: it stays
    /// open until [`ModalHandle::close`] or [`GuiApi::reset`].
    pub fn add_modal(&self, title: &str) -> Result<ModalHandle> {
        let entry = NewEntry {
            kind: EntryKind::Modal,
            ..NewEntry::display()
        };
        // Registered at the root, so removing the folder it was opened from
        // does not close it (as in viser).
        let root = self.within(ROOT_CONTAINER.to_owned());
        let element = root.add_entry(entry, None, |uuid, _container_uuid, order| {
            Message::from(GuiModalMessage {
                order,
                uuid,
                title: title.to_owned(),
            })
        })?;
        let gui = self.within(element.uuid().to_owned());
        Ok(ModalHandle { element, gui })
    }
}
