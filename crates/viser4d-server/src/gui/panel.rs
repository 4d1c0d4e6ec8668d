//! Standalone panels (viser's `add_panel`): movable windows of tabs outside
//! the control panel, and the control panel itself (`main_panel`). Placing
//! one (docking, floating, sizing, minimizing) is a command to the tabs,
//! not state read back: the user may move it afterwards, until the next
//! command. Each command carries a per-scope counter and this run's id, so
//! a tab that reconnects does not undo what its user arranged since.

use std::time::{SystemTime, UNIX_EPOCH};

use viser4d_proto::Message;
use viser4d_proto::messages::{
    EdgePlacement, EdgePlacementEdge, EdgePlacementKind, FloatPlacement, FloatPlacementKind,
    GuiPanelMessage, GuiPanelProps, GuiSetPanelCollapsedMessage, GuiSetPanelHeightMessage,
    GuiSetPanelPositionMessage, GuiSetPanelWidthMessage, PanelPlacement, SplitPlacement,
    SplitPlacementKind, SplitPlacementSide,
};

use crate::error::{Result, ServerError};
use crate::gui::registry::EntryKind;
use crate::gui::{GuiApi, GuiElementHandle, NewEntry, TabGroupHandle, TabHandle};
use crate::shared::{Scope, Shared};

/// The id viser gives the main control panel.
const CONTROL_PANEL_ID: &str = "viser-control-panel";

/// Options of [`GuiApi::add_panel`].
#[derive(Debug, Clone, PartialEq)]
pub struct PanelOptions {
    /// Shown (default true).
    pub visible: bool,
    /// Order among panels on a phone's bottom sheet; default: after them.
    pub order: Option<f64>,
}

impl Default for PanelOptions {
    fn default() -> PanelOptions {
        PanelOptions {
            visible: true,
            order: None,
        }
    }
}

/// Where a panel goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// Docked to the left edge (innermost of those there).
    DockLeft,
    /// Docked to the right edge (innermost of those there).
    DockRight,
    /// Stacked above another docked panel (`None`: the main panel).
    DockAbove(Option<PanelHandle>),
    /// Stacked below another docked panel (`None`: the main panel).
    DockBelow(Option<PanelHandle>),
    /// Floating at `x`, `y` CSS pixels from the viewport's left/top (a
    /// negative value: from the right/bottom); `None`: the client's choice.
    Float {
        /// Horizontal offset.
        x: Option<f64>,
        /// Vertical offset.
        y: Option<f64>,
    },
}

impl PartialEq for PanelHandle {
    fn eq(&self, other: &PanelHandle) -> bool {
        self.group.element().uuid() == other.group.element().uuid()
    }
}

/// A standalone panel: add tabs with [`PanelHandle::add_tab`], place it
/// with [`PanelHandle::place`].
#[derive(Debug, Clone)]
pub struct PanelHandle {
    group: TabGroupHandle,
}

/// The main control panel, placed like a standalone panel.
#[derive(Debug, Clone)]
pub struct MainPanelHandle {
    api: GuiApi,
}

impl GuiApi {
    /// Adds a standalone panel (top-level: not inside this API's folder).
    pub fn add_panel(&self, options: PanelOptions) -> Result<PanelHandle> {
        let root = GuiApi::new(self.shared().clone(), self.scope());
        let entry = NewEntry {
            kind: EntryKind::TabGroup {
                tabs: Vec::new(),
                panel: true,
            },
            ..NewEntry::display()
        };
        let element = root.add_entry(entry, options.order, |uuid, _container, order| {
            Message::from(GuiPanelMessage {
                uuid,
                props: GuiPanelProps {
                    tab_labels: Vec::new(),
                    tab_icons_html: Vec::new(),
                    tab_container_ids: Vec::new(),
                    order,
                    visible: options.visible,
                },
            })
        })?;
        Ok(PanelHandle {
            group: TabGroupHandle::from_parts(element, root),
        })
    }

    /// The main control panel of this scope's tabs.
    pub fn main_panel(&self) -> MainPanelHandle {
        MainPanelHandle { api: self.clone() }
    }
}

impl PanelHandle {
    /// Adds a tab (a panel with one tab shows it as a plain header).
    pub fn add_tab(&self, label: &str) -> Result<TabHandle> {
        self.group.add_tab(label)
    }

    /// The element, for what every element can do.
    pub fn element(&self) -> &GuiElementHandle {
        self.group.element()
    }

    /// Places the panel.
    pub fn place(&self, placement: Placement) -> Result<()> {
        let element = self.live()?;
        place(element.shared(), element.scope(), element.uuid(), placement)
    }

    /// Sets the width in pixels (docked column or floating window).
    pub fn set_width(&self, width: f64) -> Result<()> {
        let e = self.live()?;
        set_width(e.shared(), e.scope(), e.uuid(), width)
    }

    /// Sets the height in pixels (floating windows only).
    pub fn set_height(&self, height: f64) -> Result<()> {
        let e = self.live()?;
        set_height(e.shared(), e.scope(), e.uuid(), height)
    }

    /// Minimizes (`true`) or expands the panel's window or docked column.
    pub fn set_minimized(&self, minimized: bool) -> Result<()> {
        let e = self.live()?;
        collapse(e.shared(), e.scope(), e.uuid(), minimized)
    }

    /// The panel's element, if it was not removed.
    fn live(&self) -> Result<&GuiElementHandle> {
        let element = self.group.element();
        element.read(|_| ())?;
        Ok(element)
    }

    /// Hides the panel (or shows it).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.group.set_visible(visible)
    }

    /// Removes the panel and everything in it.
    pub fn remove(&self) -> Result<()> {
        self.group.remove()
    }
}

impl MainPanelHandle {
    /// Places the control panel (it floats by default).
    pub fn place(&self, placement: Placement) -> Result<()> {
        if matches!(
            placement,
            Placement::DockAbove(None) | Placement::DockBelow(None)
        ) {
            return Err(ServerError::invalid(
                "placement",
                "the main panel cannot be docked relative to itself",
            ));
        }
        place(
            self.api.shared(),
            self.api.scope(),
            CONTROL_PANEL_ID,
            placement,
        )
    }

    /// Sets the width in pixels.
    pub fn set_width(&self, width: f64) -> Result<()> {
        set_width(self.api.shared(), self.api.scope(), CONTROL_PANEL_ID, width)
    }

    /// Sets the height in pixels (when floating).
    pub fn set_height(&self, height: f64) -> Result<()> {
        set_height(
            self.api.shared(),
            self.api.scope(),
            CONTROL_PANEL_ID,
            height,
        )
    }

    /// Minimizes (`true`) or expands it.
    pub fn set_minimized(&self, minimized: bool) -> Result<()> {
        collapse(
            self.api.shared(),
            self.api.scope(),
            CONTROL_PANEL_ID,
            minimized,
        )
    }
}

/// This server process's layout run id (one per scope), as viser keys its
/// placement counters.
fn run_id(scope: Scope) -> String {
    use std::sync::OnceLock;
    static RUN: OnceLock<String> = OnceLock::new();
    let run = RUN.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("{nanos:x}-{}", std::process::id())
    });
    format!("{run}/{}", scope.owner())
}

/// Sends one placement command, stamped with the scope's next counter.
fn send(shared: &Shared, scope: Scope, make: impl FnOnce(i64, String) -> Message) {
    let mut state = shared.lock();
    let counter = state.gui.layout_counter.entry(scope).or_insert(0);
    *counter += 1;
    let message = make(*counter, run_id(scope));
    state.send_live(scope, message, None);
}

fn place(shared: &Shared, scope: Scope, uuid: &str, placement: Placement) -> Result<()> {
    let split = |anchor: Option<PanelHandle>, side| -> Result<PanelPlacement> {
        let anchor_uuid = match anchor {
            None => CONTROL_PANEL_ID.to_owned(),
            Some(a) => {
                let e = a.group.element();
                if e.uuid() == uuid {
                    return Err(ServerError::invalid(
                        "placement",
                        "a panel cannot be docked relative to itself",
                    ));
                }
                if e.scope() != scope {
                    return Err(ServerError::invalid(
                        "placement",
                        "the anchor panel belongs to another scope; anchor on the main panel instead",
                    ));
                }
                if e.read(|_| ()).is_err() {
                    return Err(e.removed());
                }
                e.uuid().to_owned()
            }
        };
        Ok(PanelPlacement::Split(SplitPlacement {
            kind: SplitPlacementKind::Split,
            anchor_uuid,
            side,
        }))
    };
    let position = match placement {
        Placement::DockLeft => PanelPlacement::Edge(EdgePlacement {
            kind: EdgePlacementKind::Edge,
            edge: EdgePlacementEdge::Left,
        }),
        Placement::DockRight => PanelPlacement::Edge(EdgePlacement {
            kind: EdgePlacementKind::Edge,
            edge: EdgePlacementEdge::Right,
        }),
        Placement::DockAbove(anchor) => split(anchor, SplitPlacementSide::Above)?,
        Placement::DockBelow(anchor) => split(anchor, SplitPlacementSide::Below)?,
        Placement::Float { x, y } => {
            for (name, v) in [("x", x), ("y", y)] {
                if let Some(v) = v
                    && !v.is_finite()
                {
                    return Err(ServerError::invalid(name, format!("{v} is not finite")));
                }
            }
            PanelPlacement::Float(FloatPlacement {
                kind: FloatPlacementKind::Float,
                x,
                y,
            })
        }
    };
    let uuid = uuid.to_owned();
    send(shared, scope, |counter, run_id| {
        Message::from(GuiSetPanelPositionMessage {
            uuid,
            position,
            counter,
            run_id,
        })
    });
    Ok(())
}

fn dimension(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ServerError::invalid(
            name,
            format!("{value} is not a size > 0 pixels"),
        ))
    }
}

fn set_width(shared: &Shared, scope: Scope, uuid: &str, width: f64) -> Result<()> {
    dimension("width", width)?;
    let uuid = uuid.to_owned();
    send(shared, scope, |counter, run_id| {
        Message::from(GuiSetPanelWidthMessage {
            uuid,
            width: Some(width),
            counter,
            run_id,
        })
    });
    Ok(())
}

fn set_height(shared: &Shared, scope: Scope, uuid: &str, height: f64) -> Result<()> {
    dimension("height", height)?;
    let uuid = uuid.to_owned();
    send(shared, scope, |counter, run_id| {
        Message::from(GuiSetPanelHeightMessage {
            uuid,
            height: Some(height),
            counter,
            run_id,
        })
    });
    Ok(())
}

fn collapse(shared: &Shared, scope: Scope, uuid: &str, collapsed: bool) -> Result<()> {
    let uuid = uuid.to_owned();
    send(shared, scope, |counter, run_id| {
        Message::from(GuiSetPanelCollapsedMessage {
            uuid,
            collapsed,
            counter,
            run_id,
        })
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::testing::harness;

    #[test]
    fn panels_hold_tabs_and_placements_count_up() -> Result<()> {
        let h = harness();
        let tab = h.connect();
        let panel = h.gui().add_panel(PanelOptions::default())?;
        let stats = panel.add_tab("Stats")?;
        stats.gui().add_markdown("hi", Default::default())?;
        panel.place(Placement::DockRight)?;
        panel.set_width(320.0)?;
        assert!(panel.set_width(-1.0).is_err());
        assert!(
            panel
                .place(Placement::DockAbove(Some(panel.clone())))
                .is_err()
        );
        h.gui().main_panel().place(Placement::DockLeft)?;
        let sent = h.take(&tab);
        assert!(
            sent.iter()
                .any(|m| matches!(m, Message::GuiPanelMessage(_)))
        );
        let counters: Vec<i64> = sent
            .iter()
            .filter_map(|m| match m {
                Message::GuiSetPanelPositionMessage(p) => Some(p.counter),
                Message::GuiSetPanelWidthMessage(p) => Some(p.counter),
                _ => None,
            })
            .collect();
        assert_eq!(counters, [1, 2, 3]);
        panel.remove()?;
        assert!(
            h.take(&tab)
                .iter()
                .any(|m| matches!(m, Message::GuiPanelRemoveMessage(_)))
        );
        assert!(
            panel.set_width(100.0).is_err(),
            "a removed panel takes no commands"
        );
        assert!(panel.set_minimized(true).is_err());
        Ok(())
    }
}
