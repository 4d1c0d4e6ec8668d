//! The GUI API: panels of inputs in every tab's control panel (or in one
//! tab's, through [`crate::ClientHandle::gui`]). Input handles read back
//! the value any tab last set, set it from Rust, and run callbacks (with the
//! tab that changed it) when a tab changes it. A value changed in one tab is
//! synchronized to the others, as viser does.
//!
//! Folders, tabs and modals are containers: their handles give a [`GuiApi`]
//! that adds into them, and removing one removes everything inside it.
//!
//! Each element kind lives in its own module and goes through
//! `GuiApi::add_entry`; every `add_*` checks all its arguments before
//! anything is registered or sent, so a refused call leaves no trace.

mod button;
mod button_group;
mod checkbox;
mod color;
pub(crate) mod command;
mod dropdown;
pub(crate) mod events;
pub(crate) mod folder;
pub(crate) mod form;
mod handle;
mod image;
mod markdown;
mod modal;
mod multi_slider;
mod notification;
mod number;
mod panel;
pub(crate) mod plot;
mod plotly;
mod precision;
mod progress_bar;
pub(crate) mod registry;
mod slider;
mod tabs;
mod text;
mod theme;
pub(crate) mod upload;
mod value;
mod vector;

use std::sync::Arc;

use viser4d_proto::messages::{GuiCloseModalMessage, GuiRemoveMessage};
use viser4d_proto::{Message, Value};

pub use button::{ButtonHandle, ButtonOptions};
pub use button_group::{ButtonGroupHandle, ButtonGroupOptions};
pub use checkbox::CheckboxOptions;
pub use color::{RgbOptions, RgbaOptions};
pub use command::{CommandEvent, CommandHandle, CommandOptions};
pub use dropdown::{DropdownHandle, DropdownOptions};
pub use folder::{FolderHandle, FolderOptions};
pub use form::{FormHandle, FormSubmitEvent, HoldEvent};
pub use handle::{GuiElementHandle, GuiEvent, GuiInputHandle};
pub use image::{GuiImageHandle, GuiImageOptions};
pub use markdown::{
    ContentOptions, DividerHandle, DividerOptions, HtmlHandle, HtmlOptions, MarkdownHandle,
    MarkdownOptions,
};
pub use modal::ModalHandle;
pub use multi_slider::MultiSliderOptions;
pub use notification::{NotificationHandle, NotificationOptions};
pub use number::NumberOptions;
pub use panel::{MainPanelHandle, PanelHandle, PanelOptions, Placement};
pub use plot::{PlotTimeAxis, UplotHandle, UplotMode, UplotOptions, UplotSeries};
pub(crate) use plotly::is_plotly_loader;
#[cfg(feature = "plotly")]
pub use plotly::{PlotlyHandle, PlotlyOptions};
pub use progress_bar::{ProgressBarHandle, ProgressBarOptions};
pub(crate) use registry::GuiRegistry;
pub use slider::{SliderMark, SliderOptions};
pub use tabs::{TabGroupHandle, TabGroupOptions, TabHandle};
pub use text::TextOptions;
pub use theme::{
    ControlLayout, ControlWidth, ThemeOptions, Titlebar, TitlebarButton, TitlebarImage,
};
pub use upload::{
    DEFAULT_MAX_UPLOAD_BYTES, UploadButtonHandle, UploadButtonOptions, UploadEvent, UploadedFile,
};
pub use value::GuiValue;
pub use vector::VectorOptions;

use crate::error::{Result, ServerError};
use crate::gui::registry::{EntryKind, GuiEntry, PlotSlot, RemovedElements};
use crate::gui::value::{ValueCheck, ValueRule};
use crate::shared::{Scope, Shared, State};

/// The root container every element goes into unless a folder says
/// otherwise.
pub(crate) const ROOT_CONTAINER: &str = "root";

/// The GUI of every tab ([`crate::Server::gui`]), of one tab
/// ([`crate::ClientHandle::gui`]), or of one folder, tab or modal in either.
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

/// The options every labeled input has; the options of inputs that have
/// no others ([`CheckboxOptions`], [`RgbOptions`], ...).
#[derive(Debug, Clone, PartialEq)]
pub struct InputOptions {
    /// Greyed out.
    pub disabled: bool,
    /// Shown (default true).
    pub visible: bool,
    /// Hover text.
    pub hint: Option<String>,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for InputOptions {
    fn default() -> InputOptions {
        InputOptions {
            disabled: false,
            visible: true,
            hint: None,
            order: None,
        }
    }
}

/// What a new element is registered with.
pub(crate) struct NewEntry {
    pub(crate) kind: EntryKind,
    pub(crate) value: Value,
    pub(crate) check: Option<ValueCheck>,
}

impl NewEntry {
    /// An element tabs send nothing for.
    pub(crate) fn display() -> NewEntry {
        NewEntry {
            kind: EntryKind::Display,
            value: Value::Nil,
            check: None,
        }
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

    /// A GUI API that adds into `container` (a folder, tab or modal) instead.
    pub(crate) fn within(&self, container: String) -> GuiApi {
        GuiApi {
            shared: self.shared.clone(),
            scope: self.scope,
            container,
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn container(&self) -> &str {
        &self.container
    }

    pub(crate) fn scope(&self) -> Scope {
        self.scope
    }

    /// What `add_entry` checks before anything is sent: a finite order,
    /// and a container that still exists.
    pub(crate) fn check_can_add(&self, state: &State, order: Option<f64>) -> Result<()> {
        check_order(order)?;
        if !state.gui.container_exists(&self.container) {
            return Err(ServerError::Removed {
                what: "GUI container",
                name: self.container.clone(),
            });
        }
        Ok(())
    }

    /// Registers an element and sends its create message, built by `make`
    /// from the new uuid, this API's container and the element's order (the
    /// given one, else the next in sequence). Under one lock, so no tab sees
    /// half of it. Fails if the container was removed.
    pub(crate) fn add_entry(
        &self,
        entry: NewEntry,
        order: Option<f64>,
        make: impl FnOnce(String, String, f64) -> Message,
    ) -> Result<GuiElementHandle> {
        let mut state = self.shared.lock();
        self.check_can_add(&state, order)?;
        let uuid = state.gui.new_uuid();
        let order = order.unwrap_or_else(|| state.gui.next_order());
        state.gui.insert(
            &uuid,
            GuiEntry {
                scope: self.scope,
                container: self.container.clone(),
                kind: entry.kind,
                value: entry.value,
                check: entry.check,
                callbacks: crate::callbacks::CallbackList::default(),
                holds: crate::callbacks::CallbackList::default(),
            },
        );
        let message = make(uuid.clone(), self.container.clone(), order);
        state.send_live(self.scope, message, None);
        drop(state);
        Ok(GuiElementHandle::new(self.shared.clone(), self.scope, uuid))
    }

    /// Registers an input holding `initial` (already checked against
    /// `rule` by the caller) and returns its typed handle.
    pub(crate) fn add_input<T: GuiValue>(
        &self,
        initial: &T,
        kind: EntryKind,
        rule: ValueRule,
        order: Option<f64>,
        make: impl FnOnce(String, String, f64) -> Message,
    ) -> Result<GuiInputHandle<T>> {
        let entry = NewEntry {
            kind,
            value: initial.to_value(),
            check: Some(ValueCheck::new::<T>(rule)),
        };
        self.add_entry(entry, order, make).map(GuiInputHandle::new)
    }

    /// Registers the container of a 3D GUI node (nothing is sent: the
    /// scene node shows it) and returns its id.
    pub(crate) fn add_container_3d(state: &mut State, scope: Scope) -> String {
        let uuid = state.gui.new_uuid();
        state.gui.insert(
            &uuid,
            GuiEntry {
                scope,
                container: ROOT_CONTAINER.to_owned(),
                kind: EntryKind::Container3d,
                value: Value::Nil,
                check: None,
                callbacks: crate::callbacks::CallbackList::default(),
                holds: crate::callbacks::CallbackList::default(),
            },
        );
        uuid
    }

    /// Removes every element and closes every modal of this GUI's scope
    /// (every tab's shared GUI, or this tab's own), wherever they are.
    /// Notifications stay: they are not part of the panel.
    ///
    /// viser's `ResetGuiMessage` is not sent: the client would clear the
    /// other scope's elements too, and new tabs would still be replayed
    /// everything. Each element is removed as `remove()` would.
    pub fn reset(&self) {
        let mut state = self.shared.lock();
        for uuid in state.gui.uuids_in_scope(self.scope) {
            // A 3D GUI container belongs to its scene node, which stays:
            // its elements go (they are in the list), the container not.
            if matches!(
                state.gui.get(&uuid).map(|e| &e.kind),
                Some(EntryKind::Container3d)
            ) {
                continue;
            }
            // Elements inside a removed container are already gone.
            remove_element(&mut state, &uuid);
        }
    }
}

/// Removes `uuid` and everything inside it from the registry and from the
/// tabs (parents first). `false` if it was already gone.
pub(crate) fn remove_element(state: &mut State, uuid: &str) -> bool {
    let removed = state.gui.remove_subtree(uuid);
    if removed.is_empty() {
        return false;
    }
    send_removals(state, removed);
    true
}

/// Tells the tabs that `removed` elements are gone.
pub(crate) fn send_removals(state: &mut State, removed: RemovedElements) {
    for (uuid, entry) in removed {
        if let EntryKind::Plot(PlotSlot { axis: Some(_), .. }) = &entry.kind {
            // Nothing to do without a timeline: then nothing was bound.
            let _ = state.with_timeline(|t, out| t.unbind_plot(&uuid, out));
        }
        let message = match entry.kind {
            // The scene node goes with its own removal message.
            EntryKind::Container3d => continue,
            EntryKind::Modal => Message::from(GuiCloseModalMessage { uuid }),
            EntryKind::TabGroup { panel: true, .. } => {
                Message::from(viser4d_proto::messages::GuiPanelRemoveMessage { uuid })
            }
            _ => Message::from(GuiRemoveMessage { uuid }),
        };
        state.send_live(entry.scope, message, None);
    }
}

/// An explicit `order` must be a finite number.
fn check_order(order: Option<f64>) -> Result<()> {
    match order {
        Some(o) if !o.is_finite() => Err(ServerError::invalid(
            "order",
            format!("{o} is not a finite number"),
        )),
        _ => Ok(()),
    }
}

/// Checks that `value` is finite.
pub(crate) fn finite(argument: &'static str, value: f64) -> Result<()> {
    crate::validate::finite(argument, &[value])
}

/// Checks an option list: not empty, no repeats.
pub(crate) fn check_options(options: &[String]) -> Result<()> {
    if options.is_empty() {
        return Err(ServerError::invalid("options", "needs at least one option"));
    }
    for (i, option) in options.iter().enumerate() {
        if options[..i].contains(option) {
            return Err(ServerError::invalid(
                "options",
                format!("{option:?} is listed twice"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testing;
