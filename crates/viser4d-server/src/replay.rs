//! The state a newly connected client is sent before `ReplayDoneMessage`:
//! the latest message per redundancy key, in the order they were last set.
//!
//! Removing an entity drops everything stored for it (its creation and all
//! its updates), so a late joiner never sees a node that no longer exists;
//! re-creating an entity drops its old updates, because the creation
//! carries the full new state.

use std::collections::{BTreeMap, HashMap, HashSet};

use viser4d_proto::Message;
use viser4d_proto::entity::Phase;

#[derive(Debug, Default)]
pub(crate) struct Replay {
    next_seq: u64,
    messages: BTreeMap<u64, Message>,
    seq_by_key: HashMap<String, u64>,
    /// Sequence numbers stored per entity (`kind:id`).
    seqs_by_entity: HashMap<String, HashSet<u64>>,
}

impl Replay {
    /// Records `message` as part of the state (or, for a removal, removes
    /// what it removes).
    pub(crate) fn apply(&mut self, message: &Message) {
        let entity = message.entity();
        let entity_id = entity.map(|e| format!("{}:{}", e.kind.as_str(), e.id));
        if let (Some(e), Some(id)) = (entity, &entity_id) {
            if matches!(e.phase, Phase::Remove | Phase::Create) {
                self.forget_entity(id);
            }
            if e.phase == Phase::Remove {
                return;
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(key) = message.redundancy_key()
            && let Some(old) = self.seq_by_key.insert(key, seq)
        {
            self.messages.remove(&old);
            if let Some(id) = &entity_id
                && let Some(set) = self.seqs_by_entity.get_mut(id)
            {
                set.remove(&old);
            }
        }
        if let Some(id) = entity_id {
            self.seqs_by_entity.entry(id).or_default().insert(seq);
        }
        self.messages.insert(seq, message.clone());
    }

    fn forget_entity(&mut self, id: &str) {
        let Some(seqs) = self.seqs_by_entity.remove(id) else {
            return;
        };
        for seq in seqs {
            if let Some(m) = self.messages.remove(&seq)
                && let Some(key) = m.redundancy_key()
                && self.seq_by_key.get(&key) == Some(&seq)
            {
                self.seq_by_key.remove(&key);
            }
        }
    }

    /// The state, oldest first.
    pub(crate) fn messages(&self) -> impl Iterator<Item = &Message> {
        self.messages.values()
    }

    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }
}

#[cfg(test)]
mod tests {
    use viser4d_proto::messages::{
        RemoveSceneNodeMessage, SetPositionMessage, SetSceneNodeVisibilityMessage,
    };

    use super::*;

    fn pos(name: &str, x: f64) -> Message {
        Message::from(SetPositionMessage {
            name: name.into(),
            position: [x, 0.0, 0.0],
            owner: String::new(),
        })
    }

    #[test]
    fn latest_per_key_in_last_set_order() {
        let mut r = Replay::default();
        r.apply(&pos("/a", 1.0));
        r.apply(&pos("/b", 1.0));
        r.apply(&pos("/a", 2.0));
        let got: Vec<_> = r.messages().cloned().collect();
        assert_eq!(got, vec![pos("/b", 1.0), pos("/a", 2.0)]);
    }

    #[test]
    fn removal_forgets_the_entity() {
        let mut r = Replay::default();
        r.apply(&pos("/a", 1.0));
        r.apply(&Message::from(SetSceneNodeVisibilityMessage {
            name: "/a".into(),
            visible: false,
            owner: String::new(),
        }));
        r.apply(&pos("/b", 1.0));
        r.apply(&Message::from(RemoveSceneNodeMessage {
            name: "/a".into(),
            owner: String::new(),
        }));
        let got: Vec<_> = r.messages().cloned().collect();
        assert_eq!(got, vec![pos("/b", 1.0)]);
        assert_eq!(r.len(), 1);
    }
}
