//! How a viser scene message becomes a timeline operation: the keys of the
//! timeline model
//! (`create:{n}`, `update:{n}:{p}`, `{type}:{n}`, `{type}`).

use viser4d_proto::entity::{EntityKind, Phase};
use viser4d_proto::messages::{
    EnableLightsMessage, FogMessage, SetOrientationMessage, SetSceneNodeVisibilityMessage,
};
use viser4d_proto::{Message, Value};
use viser4d_timeline::{Key, KeyError, NodeName, Symbol};

/// What [`classify`] keeps between calls on one thread, so recording a
/// pose makes no key parts it made for the call before.
#[derive(Default)]
struct KeyParts {
    /// Each message type's symbol, by the address of its `&'static` name
    /// (a handful of types: a scan beats hashing). Making one (a check
    /// and an allocation) for every recorded pose was 6% of recording the
    /// heavy scene, and the node name another 5%.
    types: Vec<(&'static str, Symbol)>,
    /// The last node named: a handle's setters come in runs on one node.
    last_node: Option<NodeName>,
}

/// Types remembered at most (viser has about a hundred).
const MAX_TYPES: usize = 128;

thread_local! {
    static KEY_PARTS: std::cell::RefCell<KeyParts> = std::cell::RefCell::new(KeyParts::default());
}

fn type_symbol(ty: &'static str) -> Result<Symbol, KeyError> {
    KEY_PARTS.with_borrow_mut(|parts| {
        if let Some((_, symbol)) = parts.types.iter().find(|(t, _)| std::ptr::eq(*t, ty)) {
            return Ok(symbol.clone());
        }
        let symbol = Symbol::message_type(ty)?;
        if parts.types.len() < MAX_TYPES {
            parts.types.push((ty, symbol.clone()));
        }
        Ok(symbol)
    })
}

fn node_name(name: &str) -> Result<NodeName, KeyError> {
    KEY_PARTS.with_borrow_mut(|parts| {
        if let Some(last) = parts.last_node.as_ref().filter(|n| n.as_str() == name) {
            return Ok(last.clone());
        }
        let node = NodeName::new(name)?;
        parts.last_node = Some(node.clone());
        Ok(node)
    })
}

/// What a message does to the timeline state.
#[derive(Debug, PartialEq)]
pub(crate) enum Target {
    /// Stored under this key.
    Put(Key),
    /// Removes the node and its subtree.
    Remove(NodeName),
}

pub(crate) fn classify(message: &Message) -> Result<Target, KeyError> {
    let ty = message.type_name();
    let entity = message
        .entity()
        .filter(|e| e.kind == EntityKind::Scene && !e.id.is_empty());
    let Some(entity) = entity else {
        // Messages about the scene as a whole (background, fog, lights,
        // the root node's pose or visibility) hold one value per type.
        return type_symbol(ty).map(|t| Target::Put(Key::Global(t)));
    };
    let name = entity.id;
    Ok(match entity.phase {
        Phase::Create => Target::Put(Key::Create(node_name(name)?)),
        Phase::Remove => Target::Remove(NodeName::new(name)?),
        Phase::UpdateDict => {
            let props = match message {
                Message::SceneNodeUpdateMessage(m) => match &m.updates {
                    Value::Map(entries) => {
                        let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
                        keys.sort_unstable();
                        keys.join(",")
                    }
                    _ => String::new(),
                },
                _ => String::new(),
            };
            Target::Put(Key::Prop(node_name(name)?, Symbol::new(&props)?))
        }
        Phase::UpdateSimple => match message {
            // One key per bone: a rig's bones move independently.
            Message::SetBoneOrientationMessage(m) => {
                Target::Put(Key::node_message(&format!("{ty}#{}", m.bone_index), name)?)
            }
            Message::SetBonePositionMessage(m) => {
                Target::Put(Key::node_message(&format!("{ty}#{}", m.bone_index), name)?)
            }
            _ => Target::Put(Key::NodeMessage(type_symbol(ty)?, node_name(name)?)),
        },
    })
}

/// The message that restores viser's default for a global type, once no
/// step sets it any more; `None` for types without one (the runtime then
/// leaves the last value).
pub(crate) fn global_default(message_type: &str) -> Option<Message> {
    Some(match message_type {
        "BackgroundImageMessage" => crate::scene::no_background_image(),
        "EnvironmentMapMessage" => crate::scene::default_environment_map(),
        "FogMessage" => Message::from(FogMessage {
            near: 0.0,
            far: 100.0,
            color: [255, 255, 255],
            enabled: false,
        }),
        "EnableLightsMessage" => Message::from(EnableLightsMessage {
            enabled: true,
            cast_shadow: true,
        }),
        "SetSceneNodeVisibilityMessage" => Message::from(SetSceneNodeVisibilityMessage {
            name: String::new(),
            visible: true,
            owner: String::new(),
        }),
        "SetOrientationMessage" => Message::from(SetOrientationMessage {
            name: String::new(),
            wxyz: [1.0, 0.0, 0.0, 0.0],
            owner: String::new(),
        }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use viser4d_proto::messages::{
        RemoveSceneNodeMessage, SceneNodeUpdateMessage, SetPositionMessage,
    };

    use super::*;

    #[test]
    fn scene_messages_get_the_design_keys() -> Result<(), KeyError> {
        let position = Message::from(SetPositionMessage {
            name: "/a".into(),
            position: [0.0; 3],
            owner: String::new(),
        });
        assert_eq!(
            classify(&position)?,
            Target::Put(Key::node_message("SetPositionMessage", "/a")?)
        );
        let update = Message::from(SceneNodeUpdateMessage {
            name: "/a".into(),
            updates: Value::Map(vec![("points".into(), Value::Nil)]),
            owner: String::new(),
        });
        assert_eq!(classify(&update)?, Target::Put(Key::prop("/a", "points")?));
        let remove = Message::from(RemoveSceneNodeMessage {
            name: "/a".into(),
            owner: String::new(),
        });
        assert_eq!(classify(&remove)?, Target::Remove(NodeName::new("/a")?));
        let root = global_default("SetSceneNodeVisibilityMessage");
        assert!(root.is_some());
        assert_eq!(
            classify(root.as_ref().map_or(&position, |m| m))?,
            Target::Put(Key::global("SetSceneNodeVisibilityMessage")?)
        );
        Ok(())
    }

    #[test]
    fn each_bone_of_a_rig_has_its_own_key() -> Result<(), KeyError> {
        use viser4d_proto::messages::SetBoneOrientationMessage;
        let bone = |bone_index| {
            classify(&Message::from(SetBoneOrientationMessage {
                name: "/rig".into(),
                bone_index,
                wxyz: [1.0, 0.0, 0.0, 0.0],
                owner: String::new(),
            }))
        };
        assert_eq!(
            bone(2)?,
            Target::Put(Key::node_message("SetBoneOrientationMessage#2", "/rig")?)
        );
        assert_ne!(bone(0)?, bone(1)?);
        Ok(())
    }

    #[test]
    fn every_default_is_classified_as_its_own_global() -> Result<(), KeyError> {
        for ty in [
            "BackgroundImageMessage",
            "EnvironmentMapMessage",
            "FogMessage",
            "EnableLightsMessage",
            "SetSceneNodeVisibilityMessage",
            "SetOrientationMessage",
        ] {
            let Some(m) = global_default(ty) else {
                panic!("no default for {ty}");
            };
            assert_eq!(classify(&m)?, Target::Put(Key::global(ty)?));
        }
        Ok(())
    }
}
