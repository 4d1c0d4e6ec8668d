//! Server-wide callbacks. Each list is cloned out of its lock before the
//! callbacks run, so a callback may register another or call any API.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::client::ClientHandle;

/// A callback that receives a client.
pub type ClientCallback = Arc<dyn Fn(&ClientHandle) + Send + Sync>;

/// What registering a callback returns: give it to the same object's
/// `remove_callback` to unregister it. Unique in the process, so an id
/// never removes a callback it was not given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallbackId(u64);

impl CallbackId {
    fn next() -> CallbackId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        CallbackId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Registered callbacks in registration order, each under its id.
pub(crate) struct CallbackList<T> {
    entries: Vec<(CallbackId, T)>,
}

impl<T> Default for CallbackList<T> {
    fn default() -> CallbackList<T> {
        CallbackList {
            entries: Vec::new(),
        }
    }
}

impl<T: Clone> Clone for CallbackList<T> {
    fn clone(&self) -> CallbackList<T> {
        CallbackList {
            entries: self.entries.clone(),
        }
    }
}

impl<T> CallbackList<T> {
    pub(crate) fn push(&mut self, callback: T) -> CallbackId {
        let id = CallbackId::next();
        self.entries.push((id, callback));
        id
    }

    /// `false` if `id` is not here (already removed, or another list's).
    pub(crate) fn remove(&mut self, id: CallbackId) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(i, _)| *i != id);
        self.entries.len() != before
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().map(|(_, c)| c)
    }

    pub(crate) fn iter_ids(&self) -> impl Iterator<Item = CallbackId> + '_ {
        self.entries.iter().map(|(id, _)| *id)
    }

    pub(crate) fn iter_with_ids(&self) -> impl Iterator<Item = (CallbackId, &T)> {
        self.entries.iter().map(|(id, c)| (*id, c))
    }
}

impl<T: Clone> CallbackList<T> {
    /// The callbacks, cloned so they run with no lock held.
    pub(crate) fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }
}

#[derive(Default)]
pub(crate) struct Callbacks {
    pub(crate) connect: Mutex<CallbackList<ClientCallback>>,
    pub(crate) disconnect: Mutex<CallbackList<ClientCallback>>,
    pub(crate) timestep: Mutex<CallbackList<crate::timeline::TimestepCallback>>,
    pub(crate) playback: Mutex<CallbackList<crate::timeline::PlaybackCallback>>,
}

impl Callbacks {
    /// Removes `id` from whichever server-wide list holds it.
    pub(crate) fn remove(&self, id: CallbackId) -> bool {
        remove_from(&self.connect, id)
            || remove_from(&self.disconnect, id)
            || remove_from(&self.timestep, id)
            || remove_from(&self.playback, id)
    }
}

/// Adds a callback to a list behind its lock.
pub(crate) fn register<T>(list: &Mutex<CallbackList<T>>, callback: T) -> CallbackId {
    list.lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(callback)
}

fn remove_from<T>(list: &Mutex<CallbackList<T>>, id: CallbackId) -> bool {
    list.lock().unwrap_or_else(|p| p.into_inner()).remove(id)
}

/// Clones a callback list out of its lock.
pub(crate) fn snapshot<T: Clone>(list: &Mutex<CallbackList<T>>) -> Vec<T> {
    list.lock().unwrap_or_else(|p| p.into_inner()).to_vec()
}

thread_local! {
    /// The tab whose message (or connection) this thread is handling: its
    /// socket is not read or written until the handling returns.
    static HANDLING: std::cell::Cell<Option<crate::shared::ClientId>> = const { std::cell::Cell::new(None) };
}

/// Marks this thread as handling `client`'s message until dropped.
pub(crate) struct Handling(Option<crate::shared::ClientId>);

impl Handling {
    pub(crate) fn enter(client: crate::shared::ClientId) -> Handling {
        Handling(HANDLING.with(|h| h.replace(Some(client))))
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        HANDLING.with(|h| h.set(self.0));
    }
}

/// Whether this thread is inside a callback run for `client`'s message.
pub(crate) fn handling(client: crate::shared::ClientId) -> bool {
    HANDLING.with(|h| h.get()) == Some(client)
}

/// Runs user code from inside the runtime. Callbacks are plain blocking
/// functions; `block_in_place` lets them block (or call back into the
/// blocking API) without stalling other connections.
pub(crate) fn run_blocking(f: impl FnOnce()) {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_removes_its_own_callback_once() {
        let mut a: CallbackList<u8> = CallbackList::default();
        let mut b: CallbackList<u8> = CallbackList::default();
        let one = a.push(1);
        let two = a.push(2);
        let other = b.push(3);
        assert!(!a.remove(other), "another list's id removes nothing");
        assert!(a.remove(one));
        assert!(!a.remove(one), "removed once only");
        assert_eq!(a.to_vec(), [2]);
        assert!(a.remove(two));
        assert!(a.is_empty());
        assert_eq!(b.to_vec(), [3]);
    }
}
