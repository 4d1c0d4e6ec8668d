//! The state every part of the server shares: the replay state, connected
//! clients and their outboxes, the scene and GUI registries, callbacks.
//!
//! One mutex guards it. Sending is "apply to the replay state, then push
//! into every outbox" under that one lock, so a client that connects
//! concurrently gets each message exactly once: either in its initial
//! replay or in its outbox, never both, never neither. The lock is never
//! held while user callbacks run or while a socket is written.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::{Notify, watch};
use viser4d_proto::messages::{ReplayDoneMessage, ViewerCameraMessage};
use viser4d_proto::{AnyMessage, Message};

use crate::bundle::Bundle;
use crate::callbacks::Callbacks;
use crate::error::{Result, ServerError};
use crate::gui::GuiRegistry;
use crate::outbox::{Outbox, Pushed};
use crate::replay::Replay;
use crate::scene::SceneRegistry;
use crate::timeline::{Timeline, TimelineSettings};
use viser4d_proto::timeline::{TimelineHello, TimelineMessage};

/// A connected tab's id, unique for the life of the server.
pub type ClientId = u64;

/// Who a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    /// Every client, now and later (kept in the replay state).
    Broadcast,
    /// One client, for as long as it is connected.
    Client(ClientId),
    /// The timeline: recorded at the calling thread's step inside
    /// `at(t)`, an override outside it (see `crate::timeline`).
    Timeline,
}

impl Scope {
    /// The `owner` viser stamps on scene messages: "" for the broadcast
    /// scope, the client id otherwise.
    pub(crate) fn owner(self) -> String {
        match self {
            Scope::Broadcast | Scope::Timeline => String::new(),
            Scope::Client(id) => id.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Who may connect (origin, host, token).
    pub(crate) access: crate::access::Access,
    pub(crate) outbox_budget_bytes: usize,
    pub(crate) max_messages_per_frame: usize,
    pub(crate) min_frame_interval: std::time::Duration,
}

pub(crate) struct ClientSlot {
    outbox: Outbox,
    wake: Arc<Notify>,
    kill: watch::Sender<bool>,
    pub(crate) camera: Option<ViewerCameraMessage>,
    /// Send the next frame without waiting for the frame interval
    /// (`Server::flush`), taking at least this many messages (the end of
    /// an `atomic()` batch: everything queued then, so the batch is whole).
    urgent: Option<usize>,
}

pub(crate) struct State {
    replay: Replay,
    clients: BTreeMap<ClientId, ClientSlot>,
    pub(crate) scene: SceneRegistry,
    pub(crate) gui: GuiRegistry,
    pub(crate) timeline: Option<Timeline>,
    /// Live `Server::atomic` batches: while any is open no writer takes
    /// messages, so a batch reaches each tab whole, in one frame.
    atomic_depth: usize,
}

pub(crate) struct Shared {
    /// Unique per server in this process (keys the per-thread recording step).
    pub(crate) id: u64,
    pub(crate) bundle: Bundle,
    pub(crate) config: Config,
    state: Mutex<State>,
    pub(crate) callbacks: Callbacks,
    /// Requests to tabs waiting for their answers.
    pub(crate) pending: crate::requests::Pending,
    next_client_id: AtomicU64,
    pub(crate) started: Instant,
    pub(crate) stopped: AtomicBool,
    pub(crate) shutdown: Notify,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What a connection task needs to run its writer.
pub(crate) struct Registration {
    pub(crate) id: ClientId,
    pub(crate) wake: Arc<Notify>,
    pub(crate) kill: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn new(
        bundle: Bundle,
        config: Config,
        timeline: Option<&TimelineSettings>,
    ) -> Result<Shared> {
        static NEXT_SERVER_ID: AtomicU64 = AtomicU64::new(0);
        let id = NEXT_SERVER_ID.fetch_add(1, Ordering::Relaxed);
        let timeline = timeline.map(|t| Timeline::new(id, t)).transpose()?;
        Ok(Shared {
            id,
            bundle,
            config,
            state: Mutex::new(State {
                replay: Replay::default(),
                clients: BTreeMap::new(),
                scene: SceneRegistry::default(),
                gui: GuiRegistry::default(),
                timeline,
                atomic_depth: 0,
            }),
            callbacks: Callbacks::default(),
            pending: crate::requests::Pending::default(),
            next_client_id: AtomicU64::new(0),
            started: Instant::now(),
            stopped: AtomicBool::new(false),
            shutdown: Notify::new(),
        })
    }

    /// The state lock. A panic in another thread while it held the lock
    /// cannot leave the state half-updated in a way that matters more than
    /// stopping the whole server would, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends `messages`, in order, to `scope`.
    pub(crate) fn send(
        &self,
        scope: Scope,
        messages: impl IntoIterator<Item = Message>,
    ) -> Result<()> {
        self.lock()
            .send_all(scope, messages.into_iter().collect(), None)
    }

    pub(crate) fn register_client(&self) -> Registration {
        let id = self.next_client_id.fetch_add(1, Ordering::Relaxed);
        let wake = Arc::new(Notify::new());
        let (kill, kill_rx) = watch::channel(false);
        let mut state = self.lock();
        let replay: Vec<(Message, usize)> = state
            .replay
            .messages()
            .map(|m| (m.clone(), viser4d_proto::encoded_size_bytes(m)))
            .collect();
        let mut outbox = Outbox::new(self.config.outbox_budget_bytes);
        for (m, size) in replay {
            outbox.push_replay(AnyMessage::Viser(m), size);
        }
        outbox.push_replay(AnyMessage::Viser(Message::from(ReplayDoneMessage {})), 16);
        if state.timeline.is_some() {
            // Tells a runtime that is already running (the page reconnected)
            // to start over; a fresh runtime says ready on its own too.
            match TimelineHello::new(env!("CARGO_PKG_VERSION")).to_any() {
                Ok(hello) => outbox.push_replay(hello, 32),
                Err(error) => tracing::error!(%error, "cannot encode TimelineHello"),
            }
            crate::timeline::open_session(&mut state, id);
        }
        state.clients.insert(
            id,
            ClientSlot {
                outbox,
                wake: wake.clone(),
                kill,
                camera: None,
                urgent: None,
            },
        );
        wake.notify_one();
        Registration {
            id,
            wake,
            kill: kill_rx,
        }
    }

    pub(crate) fn unregister_client(&self, id: ClientId) {
        let mut state = self.lock();
        state.clients.remove(&id);
        crate::timeline::close_session(&mut state, id);
        if let Some(timeline) = state.timeline.as_mut() {
            timeline.forget_client_plots(id);
        }
        state.scene.forget_client(id);
        state.gui.forget_client(id);
    }

    /// Up to one frame's worth of queued messages for `id` (all of them
    /// after a flush or an atomic batch), and whether more are waiting;
    /// `None` once the client is gone. Nothing while an atomic batch is
    /// open.
    pub(crate) fn take_batch(&self, id: ClientId) -> Option<Batch> {
        let mut state = self.lock();
        let holding = state.atomic_depth > 0;
        let slot = state.clients.get_mut(&id)?;
        if holding {
            return Some(Batch::default());
        }
        let urgent = slot.urgent.take();
        let max = urgent.map_or(self.config.max_messages_per_frame, |at_least| {
            at_least.max(self.config.max_messages_per_frame)
        });
        let urgent = urgent.is_some();
        let messages = slot.outbox.take(max);
        Some(Batch {
            messages,
            more: slot.outbox.queued_bytes() > 0,
            urgent,
        })
    }

    /// Sends what every tab has queued now, each in one frame, without
    /// waiting for the frame interval.
    pub(crate) fn flush_clients(&self) {
        let mut state = self.lock();
        state.mark_urgent(false);
    }

    /// Whether an atomic batch is open (nothing goes out until it closes).
    pub(crate) fn in_atomic(&self) -> bool {
        self.lock().atomic_depth > 0
    }

    /// Opens an atomic batch (see `Server::atomic`).
    pub(crate) fn begin_atomic(&self) {
        self.lock().atomic_depth += 1;
    }

    /// Closes one; the last to close sends what the batch queued, whole.
    pub(crate) fn end_atomic(&self) {
        let mut state = self.lock();
        state.atomic_depth = state.atomic_depth.saturating_sub(1);
        if state.atomic_depth == 0 {
            state.mark_urgent(true);
        }
    }

    pub(crate) fn client_ids(&self) -> Vec<ClientId> {
        self.lock().clients.keys().copied().collect()
    }

    pub(crate) fn is_connected(&self, id: ClientId) -> bool {
        self.lock().clients.contains_key(&id)
    }

    pub(crate) fn with_client<R>(
        &self,
        id: ClientId,
        f: impl FnOnce(&mut ClientSlot) -> R,
    ) -> Option<R> {
        self.lock().clients.get_mut(&id).map(f)
    }

    /// Tabs connected and the bytes queued for all of them.
    pub(crate) fn totals(&self) -> (usize, usize) {
        let state = self.lock();
        let queued = state
            .clients
            .values()
            .map(|c| c.outbox.queued_bytes())
            .sum();
        (state.clients.len(), queued)
    }

    pub(crate) fn replay_len(&self) -> usize {
        self.lock().replay.len()
    }

    /// Bytes queued for `id` and not yet written (for tests and stats).
    pub(crate) fn queued_bytes(&self, id: ClientId) -> Option<usize> {
        self.lock()
            .clients
            .get(&id)
            .map(|c| c.outbox.queued_bytes())
    }

    pub(crate) fn elapsed_sec(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Disconnects every client (used by `stop`).
    pub(crate) fn kill_all(&self) {
        for slot in self.lock().clients.values() {
            slot.kill.send_replace(true);
        }
    }
}

/// What a writer takes from its outbox for one frame.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) messages: Vec<AnyMessage>,
    /// More are queued (a backlog: send without pacing).
    pub(crate) more: bool,
    /// A flush asked for it: send without pacing.
    pub(crate) urgent: bool,
}

impl State {
    /// The next frame of every tab goes out without pacing; `whole`: it
    /// takes everything queued now (an atomic batch), else one frame's worth.
    fn mark_urgent(&mut self, whole: bool) {
        for slot in self.clients.values_mut() {
            let at_least = if whole { slot.outbox.len() } else { 0 };
            slot.urgent = Some(slot.urgent.unwrap_or(0).max(at_least));
            slot.wake.notify_one();
        }
    }

    /// The replay state (what a new tab is sent first).
    pub(crate) fn replay_messages(&self) -> impl Iterator<Item = &Message> {
        self.replay.messages()
    }

    /// Applies `message` to `scope` (replay state for broadcasts) and
    /// queues it for the clients it reaches, leaving out `except` (the tab
    /// a change came from, which already shows it).
    ///
    /// Only a timeline scope can fail (the message cannot be recorded); then
    /// nothing was recorded and the error is the caller's to return.
    pub(crate) fn send(
        &mut self,
        scope: Scope,
        message: Message,
        except: Option<ClientId>,
    ) -> Result<()> {
        // One message needs no vector (a setter's call makes one).
        if scope == Scope::Timeline {
            return self.record(std::slice::from_ref(&message));
        }
        self.send_live(scope, message, except);
        Ok(())
    }

    fn record(&mut self, messages: &[Message]) -> Result<()> {
        match self.timeline.as_mut() {
            Some(timeline) => timeline.record_all(messages),
            None => Err(ServerError::NoTimeline),
        }
    }

    /// [`State::send`] for several messages that belong together (a node and
    /// its pose): into a timeline they are recorded all or none.
    pub(crate) fn send_all(
        &mut self,
        scope: Scope,
        messages: Vec<Message>,
        except: Option<ClientId>,
    ) -> Result<()> {
        if scope == Scope::Timeline {
            return self.record(&messages);
        }
        for message in messages {
            self.send_live(scope, message, except);
        }
        Ok(())
    }

    /// Sends to the shared scene or one tab, which cannot fail: for the GUI
    /// and the tabs' own events, which never record into the timeline.
    pub(crate) fn send_live(&mut self, scope: Scope, message: Message, except: Option<ClientId>) {
        match scope {
            Scope::Broadcast => {
                self.replay.apply(&message);
                let size = viser4d_proto::encoded_size_bytes(&message);
                let ids: Vec<ClientId> = self
                    .clients
                    .keys()
                    .copied()
                    .filter(|id| Some(*id) != except)
                    .collect();
                for id in ids {
                    self.push_sized(id, AnyMessage::Viser(message.clone()), size);
                }
            }
            Scope::Client(id) if except != Some(id) => {
                self.push(id, AnyMessage::Viser(message));
            }
            Scope::Client(_) => {}
            Scope::Timeline => {
                debug_assert!(false, "send_live to the timeline");
                tracing::error!(
                    r#type = message.type_name(),
                    "a live send named the timeline; not recorded"
                );
            }
        }
    }

    pub(crate) fn push(&mut self, id: ClientId, message: AnyMessage) {
        let size = viser4d_proto::encoded_size_bytes(&message);
        self.push_sized(id, message, size);
    }

    fn push_sized(&mut self, id: ClientId, message: AnyMessage, size: usize) {
        let Some(slot) = self.clients.get_mut(&id) else {
            return;
        };
        match slot.outbox.push(message, size) {
            Pushed::Queued => slot.wake.notify_one(),
            Pushed::Overflow => {
                // The tab stopped reading. Holding its backlog would grow
                // without bound; dropping it and closing the socket makes
                // the client reconnect and replay the current state.
                tracing::warn!(
                    client = id,
                    queued_bytes = slot.outbox.queued_bytes(),
                    "client is not keeping up; dropping its backlog and disconnecting it to resync"
                );
                slot.outbox.clear();
                slot.kill.send_replace(true);
            }
        }
    }
}
