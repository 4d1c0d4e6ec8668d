//! viser's entity lifecycle markers (`EntityLifecycle` in `_messages.py`):
//! which messages create, update and remove a scene node, GUI element,
//! notification, modal or command, and the redundancy keys derived from
//! them. A server needs these to coalesce buffered messages and to keep
//! the state it replays to new clients.

use crate::value::Value;

/// The kind of entity a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// GUI elements, keyed by `uuid`.
    Gui,
    /// Scene nodes, keyed by `name`.
    Scene,
    /// Commands, keyed by `uuid`.
    Command,
    /// Notifications, keyed by `uuid`.
    Notification,
    /// Modals, keyed by `uuid`.
    Modal,
}

impl EntityKind {
    /// viser's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Gui => "gui",
            EntityKind::Scene => "scene",
            EntityKind::Command => "command",
            EntityKind::Notification => "notification",
            EntityKind::Modal => "modal",
        }
    }
}

/// Where in its entity's life a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Creates (or re-creates) the entity.
    Create,
    /// Updates properties through an `updates` dict.
    UpdateDict,
    /// A single-purpose update (position, visibility, ...).
    UpdateSimple,
    /// Removes the entity.
    Remove,
}

/// A message's entity: kind, phase and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entity<'a> {
    /// What kind of entity.
    pub kind: EntityKind,
    /// Which phase.
    pub phase: Phase,
    /// Its id (`name` for scene nodes, `uuid` otherwise).
    pub id: &'a str,
}

/// viser's rule: create and remove share a key so a removal supersedes a
/// pending creation; dict updates coalesce per set of properties; simple
/// updates per message type.
pub(crate) fn entity_key(entity: Entity<'_>, type_name: &str, updates: Option<&Value>) -> String {
    let Entity { kind, phase, id } = entity;
    let kind = kind.as_str();
    match phase {
        Phase::Create | Phase::Remove => format!("{kind}:{id}:create-or-remove"),
        Phase::UpdateDict => {
            let mut props: Vec<&str> = match updates {
                Some(Value::Map(entries)) => entries.iter().map(|(k, _)| k.as_str()).collect(),
                _ => Vec::new(),
            };
            props.sort_unstable();
            format!("{kind}:{id}:update:{}", props.join(","))
        }
        Phase::UpdateSimple => format!("{kind}:{id}:update:{type_name}"),
    }
}
