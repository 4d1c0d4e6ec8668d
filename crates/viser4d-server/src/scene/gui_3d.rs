//! 3D GUI containers (viser's `add_3d_gui_container`): a scene node that
//! shows a panel of GUI elements floating at its pose. The elements are
//! ordinary GUI elements added through [`Gui3dContainerHandle::gui`];
//! removing or replacing the node removes them too.

use viser4d_proto::Message;
use viser4d_proto::messages::{Gui3DMessage, Gui3DProps};

use crate::error::{Result, ServerError};
use crate::gui::GuiApi;
use crate::scene::{Pose, SceneApi, SceneNodeHandle};
use crate::shared::Scope;

/// A 3D GUI container; see the module docs.
#[derive(Debug, Clone)]
pub struct Gui3dContainerHandle {
    node: SceneNodeHandle,
    gui: GuiApi,
}

impl std::ops::Deref for Gui3dContainerHandle {
    type Target = SceneNodeHandle;
    fn deref(&self) -> &SceneNodeHandle {
        &self.node
    }
}

impl Gui3dContainerHandle {
    /// The GUI that adds elements into this container.
    pub fn gui(&self) -> GuiApi {
        self.gui.clone()
    }

    /// The GUI container id its elements go into.
    pub fn container_uuid(&self) -> &str {
        self.gui.container()
    }
}

impl SceneApi {
    /// Adds a node that shows a GUI panel in the scene at `pose`; add its
    /// elements through [`Gui3dContainerHandle::gui`]. The GUI is live, so
    /// this is refused inside `at(t)`.
    pub fn add_3d_gui_container(&self, name: &str, pose: Pose) -> Result<Gui3dContainerHandle> {
        let scope = self.scope();
        if scope == Scope::Timeline {
            return Err(ServerError::invalid(
                "name",
                "a 3D GUI container holds live GUI elements and cannot be recorded in a step",
            ));
        }
        let container = {
            let mut state = self.shared.lock();
            GuiApi::add_container_3d(&mut state, scope)
        };
        let order = self.shared.lock().gui.next_order();
        let added = self.add_node_with(
            name,
            &pose,
            |entry| entry.gui_container = Some(container.clone()),
            |name, owner| {
                Message::from(Gui3DMessage {
                    name,
                    owner,
                    r#virtual: false,
                    props: Gui3DProps {
                        order,
                        container_uuid: container.clone(),
                    },
                })
            },
        );
        match added {
            Ok(node) => Ok(Gui3dContainerHandle {
                node,
                gui: GuiApi::new(self.shared.clone(), scope).within(container),
            }),
            Err(error) => {
                crate::gui::remove_element(&mut self.shared.lock(), &container);
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn elements_go_with_their_container() -> Result<()> {
        let h = Harness::new()?;
        let panel = h.scene.add_3d_gui_container("/panel", Pose::default())?;
        let button = panel.gui().add_button("Press", Default::default())?;
        let sent = h.sent();
        let container = sent.iter().find_map(|m| match m {
            Message::Gui3DMessage(g) => Some(g.props.container_uuid.clone()),
            _ => None,
        });
        assert!(sent.iter().any(|m| matches!(m,
            Message::GuiButtonMessage(b) if Some(&b.container_uuid) == container.as_ref())));
        panel.remove()?;
        let sent = h.sent();
        assert!(sent.iter().any(|m| matches!(m,
            Message::GuiRemoveMessage(r) if r.uuid == button.uuid())));
        assert!(
            button.set_label("gone").is_err(),
            "the element went with the node"
        );
        Ok(())
    }
}
