//! Server-wide callbacks. Each list is cloned out of its lock before the
//! callbacks run, so a callback may register another or call any API.

use std::sync::{Arc, Mutex};

use crate::client::ClientHandle;

/// A callback that receives a client.
pub type ClientCallback = Arc<dyn Fn(&ClientHandle) + Send + Sync>;

#[derive(Default)]
pub(crate) struct Callbacks {
    pub(crate) connect: Mutex<Vec<ClientCallback>>,
    pub(crate) disconnect: Mutex<Vec<ClientCallback>>,
    pub(crate) timestep: Mutex<Vec<crate::timeline::TimestepCallback>>,
    pub(crate) playback: Mutex<Vec<crate::timeline::PlaybackCallback>>,
}

/// Clones a callback list out of its lock.
pub(crate) fn snapshot<T: Clone>(list: &Mutex<Vec<T>>) -> Vec<T> {
    list.lock().unwrap_or_else(|p| p.into_inner()).clone()
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
