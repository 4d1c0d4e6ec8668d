//! One client's queue of messages not yet written to its socket.
//!
//! Messages with the same redundancy key coalesce while they wait (only
//! the newest survives, at the newest position), and a removal drops the
//! buffered messages of the entity it removes. The queue counts its bytes;
//! past its budget it reports overflow and the connection is dropped so the
//! client reconnects and resyncs from full state, instead of the server
//! holding an unbounded backlog for a tab that stopped reading.
//!
//! A burst (a program adding a large scene at once) can exceed the budget
//! for a moment even for a healthy tab, so the budget is judged over time:
//! a tab is dropped once its backlog has stayed over budget for
//! [`OVER_BUDGET_GRACE`], or at once past [`HARD_LIMIT_FACTOR`] times the
//! budget, which bounds the memory a tab can hold either way.

/// How long a backlog may stay over budget before the tab is dropped.
pub(crate) const OVER_BUDGET_GRACE: std::time::Duration = std::time::Duration::from_secs(2);
/// Past this many budgets, the tab is dropped without waiting.
pub(crate) const HARD_LIMIT_FACTOR: usize = 4;

use std::collections::{HashMap, VecDeque};

use viser4d_proto::entity::Phase;
use viser4d_proto::{AnyMessage, Message};

/// A message waiting in an outbox with its redundancy key and size.
#[derive(Debug)]
struct Slot {
    message: Option<AnyMessage>,
    /// Part of the initial replay (counted against the allowance, not the budget).
    replay: bool,
    key: Option<String>,
    entity: Option<String>,
    size_bytes: usize,
}

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Queued.
    Queued,
    /// The budget is exceeded: drop this client's backlog and resync it.
    Overflow,
}

#[derive(Debug)]
pub(crate) struct Outbox {
    slots: VecDeque<Slot>,
    /// Index into `slots` (offset by `popped`) of the live slot for a key.
    by_key: HashMap<String, u64>,
    popped: u64,
    queued_bytes: usize,
    budget_bytes: usize,
    /// Bytes of initial replay still queued: the state itself, bounded by
    /// what the program put in the scene, allowed on top of the budget
    /// until it has been written.
    replay_bytes: usize,
    /// Since when the backlog has been over budget, if it is.
    over_budget_since: Option<std::time::Instant>,
}

impl Outbox {
    pub(crate) fn new(budget_bytes: usize) -> Outbox {
        Outbox {
            slots: VecDeque::new(),
            by_key: HashMap::new(),
            popped: 0,
            queued_bytes: 0,
            budget_bytes,
            replay_bytes: 0,
            over_budget_since: None,
        }
    }

    /// Queues a message of the initial replay.
    pub(crate) fn push_replay(&mut self, message: AnyMessage, size_bytes: usize) {
        self.replay_bytes += size_bytes;
        self.push_slot(message, size_bytes, true);
    }

    pub(crate) fn push(&mut self, message: AnyMessage, size_bytes: usize) -> Pushed {
        self.push_at(message, size_bytes, std::time::Instant::now())
    }

    fn push_at(
        &mut self,
        message: AnyMessage,
        size_bytes: usize,
        now: std::time::Instant,
    ) -> Pushed {
        self.push_slot(message, size_bytes, false);
        let allowed = self.budget_bytes + self.replay_bytes;
        if self.queued_bytes <= allowed {
            self.over_budget_since = None;
            return Pushed::Queued;
        }
        let since = *self.over_budget_since.get_or_insert(now);
        if self.queued_bytes > allowed.saturating_mul(HARD_LIMIT_FACTOR)
            || now.duration_since(since) >= OVER_BUDGET_GRACE
        {
            Pushed::Overflow
        } else {
            Pushed::Queued
        }
    }

    fn push_slot(&mut self, message: AnyMessage, size_bytes: usize, replay: bool) {
        let (key, entity, removes) = match &message {
            AnyMessage::Viser(m) => describe(m),
            AnyMessage::Custom(_) => (None, None, false),
        };
        if removes && let Some(id) = &entity {
            self.drop_entity(id);
        }
        if let Some(key) = &key {
            if let Some(&at) = self.by_key.get(key) {
                self.clear_slot(at);
            }
            self.by_key
                .insert(key.clone(), self.popped + self.slots.len() as u64);
        }
        self.queued_bytes += size_bytes;
        self.slots.push_back(Slot {
            message: Some(message),
            replay,
            key,
            entity,
            size_bytes,
        });
    }

    /// Accounts for a slot's message leaving the queue.
    fn release(&mut self, size_bytes: usize, replay: bool) {
        self.queued_bytes -= size_bytes;
        if replay {
            self.replay_bytes -= size_bytes;
        }
    }

    fn clear_slot(&mut self, at: u64) {
        let Some(index) = at.checked_sub(self.popped) else {
            return;
        };
        let freed = self
            .slots
            .get_mut(index as usize)
            .and_then(|slot| slot.message.take().map(|_| (slot.size_bytes, slot.replay)));
        if let Some((size, replay)) = freed {
            self.release(size, replay);
        }
    }

    fn drop_entity(&mut self, id: &str) {
        let mut freed = Vec::new();
        for slot in self
            .slots
            .iter_mut()
            .filter(|s| s.entity.as_deref() == Some(id))
        {
            if slot.message.take().is_some() {
                freed.push((slot.size_bytes, slot.replay));
                if let Some(key) = &slot.key {
                    self.by_key.remove(key);
                }
            }
        }
        for (size, replay) in freed {
            self.release(size, replay);
        }
    }

    /// Takes up to `max` messages, oldest first.
    pub(crate) fn take(&mut self, max: usize) -> Vec<AnyMessage> {
        let mut out = Vec::with_capacity(max.min(self.slots.len()));
        while out.len() < max {
            let Some(slot) = self.slots.pop_front() else {
                break;
            };
            let index = self.popped;
            self.popped += 1;
            if let Some(message) = slot.message {
                self.release(slot.size_bytes, slot.replay);
                if let Some(key) = slot.key
                    && self.by_key.get(&key) == Some(&index)
                {
                    self.by_key.remove(&key);
                }
                out.push(message);
            }
        }
        out
    }

    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.by_key.clear();
        self.queued_bytes = 0;
        self.replay_bytes = 0;
        self.over_budget_since = None;
    }

    pub(crate) fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Messages queued (each slot still holding one).
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.message.is_some()).count()
    }
}

/// Redundancy key, entity id (kind-qualified), and whether it removes.
/// Both carry the message's owner: one tab's outbox holds the shared
/// scene's messages and its own, and viser keeps the two scenes apart in
/// the page (a node `/a` in each, pointer filters per owner), so they must
/// never replace or cancel each other here.
fn describe(m: &Message) -> (Option<String>, Option<String>, bool) {
    let entity = m.entity();
    // A prefix, not a suffix: node names may hold `@`, keys and kinds
    // never start with it, and owners are client ids.
    let scoped = |s: String| match m.owner() {
        Some(owner) if !owner.is_empty() => format!("@{owner}@{s}"),
        _ => s,
    };
    let id = entity.map(|e| scoped(format!("{}:{}", e.kind.as_str(), e.id)));
    let removes = entity.is_some_and(|e| e.phase == Phase::Remove);
    (m.redundancy_key().map(scoped), id, removes)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use viser4d_proto::messages::{RemoveSceneNodeMessage, SetPositionMessage};

    use super::*;

    fn pos(name: &str, x: f64) -> AnyMessage {
        Message::from(SetPositionMessage {
            name: name.into(),
            position: [x, 0.0, 0.0],
            owner: String::new(),
        })
        .into()
    }

    #[test]
    fn same_key_keeps_only_the_newest() {
        let mut q = Outbox::new(1 << 20);
        q.push(pos("/a", 1.0), 10);
        q.push(pos("/b", 1.0), 10);
        q.push(pos("/a", 2.0), 10);
        assert_eq!(q.queued_bytes(), 20);
        assert_eq!(q.take(10), vec![pos("/b", 1.0), pos("/a", 2.0)]);
        assert!(q.take(10).is_empty());
        assert_eq!(q.queued_bytes(), 0);
    }

    #[test]
    fn removal_drops_the_entitys_buffered_messages() {
        let mut q = Outbox::new(1 << 20);
        q.push(pos("/a", 1.0), 10);
        let remove: AnyMessage = Message::from(RemoveSceneNodeMessage {
            name: "/a".into(),
            owner: String::new(),
        })
        .into();
        q.push(remove.clone(), 5);
        assert_eq!(q.take(10), vec![remove]);
    }

    #[test]
    fn a_tabs_node_and_the_shared_node_of_one_name_stay_apart() {
        let owned = |owner: &str, x: f64| -> AnyMessage {
            Message::from(SetPositionMessage {
                name: "/a".into(),
                position: [x, 0.0, 0.0],
                owner: owner.into(),
            })
            .into()
        };
        let mut q = Outbox::new(1 << 20);
        q.push(pos("/a", 1.0), 10);
        q.push(owned("3", 2.0), 10);
        q.push(owned("3", 3.0), 10);
        let remove_tabs: AnyMessage = Message::from(RemoveSceneNodeMessage {
            name: "/a".into(),
            owner: "3".into(),
        })
        .into();
        q.push(remove_tabs.clone(), 5);
        assert_eq!(
            q.take(10),
            vec![pos("/a", 1.0), remove_tabs.clone()],
            "the tab's own pose coalesced and cancelled, the shared one kept"
        );
        // A shared node whose name ends like an owner suffix is another node.
        q.push(pos("/a@3", 1.0), 10);
        q.push(remove_tabs.clone(), 5);
        assert_eq!(q.take(10), vec![pos("/a@3", 1.0), remove_tabs]);
    }

    #[test]
    fn a_short_burst_over_budget_is_tolerated() {
        let t0 = Instant::now();
        let mut q = Outbox::new(25);
        assert_eq!(q.push_at(pos("/a", 1.0), 10, t0), Pushed::Queued);
        assert_eq!(
            q.push_at(pos("/a", 2.0), 10, t0),
            Pushed::Queued,
            "coalesced, still 10 bytes"
        );
        assert_eq!(q.push_at(pos("/b", 1.0), 10, t0), Pushed::Queued);
        assert_eq!(
            q.push_at(pos("/c", 1.0), 10, t0),
            Pushed::Queued,
            "30 > 25, but only just now"
        );
        q.take(2);
        assert_eq!(
            q.push_at(pos("/d", 1.0), 10, t0 + OVER_BUDGET_GRACE),
            Pushed::Queued,
            "drained below budget"
        );
    }

    #[test]
    fn a_backlog_that_stays_over_budget_overflows() {
        let t0 = Instant::now();
        let mut q = Outbox::new(25);
        for (i, name) in ["/a", "/b", "/c"].into_iter().enumerate() {
            assert_eq!(
                q.push_at(pos(name, 1.0), 10, t0 + Duration::from_millis(i as u64)),
                Pushed::Queued
            );
        }
        assert_eq!(
            q.push_at(pos("/d", 1.0), 1, t0 + OVER_BUDGET_GRACE * 2),
            Pushed::Overflow
        );
        q.clear();
        assert_eq!(q.queued_bytes(), 0);
    }

    #[test]
    fn far_over_budget_overflows_at_once() {
        let t0 = Instant::now();
        let mut q = Outbox::new(25);
        assert_eq!(q.push_at(pos("/a", 1.0), 100, t0), Pushed::Queued);
        assert_eq!(
            q.push_at(pos("/b", 1.0), 1, t0),
            Pushed::Overflow,
            "101 > 4 x 25"
        );
    }

    #[test]
    fn the_initial_replay_does_not_count_once_written() {
        let t0 = Instant::now();
        let mut q = Outbox::new(25);
        q.push_replay(pos("/state", 0.0), 100);
        assert_eq!(
            q.push_at(pos("/a", 1.0), 10, t0),
            Pushed::Queued,
            "replay is on top of the budget"
        );
        assert_eq!(q.take(1), vec![pos("/state", 0.0)]);
        assert_eq!(q.push_at(pos("/b", 1.0), 10, t0), Pushed::Queued);
        assert_eq!(q.push_at(pos("/c", 1.0), 10, t0), Pushed::Queued);
        assert_eq!(
            q.push_at(pos("/e", 1.0), 10, t0 + OVER_BUDGET_GRACE),
            Pushed::Overflow,
            "over 25 for the whole grace once the replay is gone"
        );
    }

    #[test]
    fn take_respects_the_batch_size_and_order() {
        let mut q = Outbox::new(1 << 20);
        for i in 0..5 {
            q.push(pos(&format!("/n{i}"), 0.0), 1);
        }
        assert_eq!(q.take(2).len(), 2);
        q.push(pos("/n2", 9.0), 1);
        assert_eq!(
            q.take(10),
            vec![pos("/n3", 0.0), pos("/n4", 0.0), pos("/n2", 9.0)]
        );
    }
}
