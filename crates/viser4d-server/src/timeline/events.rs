//! What the server does with the messages a tab's runtime sends.

use std::sync::Arc;

use viser4d_proto::timeline::{ClientMessage, TIMELINE_TYPE_PREFIX};
use viser4d_proto::{AnyMessage, Value};

use crate::callbacks::{run_blocking, snapshot};
use crate::client::ClientHandle;
use crate::shared::Shared;
use crate::timeline::playback::{MAX_SPEED, check_speed};

/// Takes the runtime's messages; passes anything else back.
pub(crate) fn handle(
    shared: &Arc<Shared>,
    client: &ClientHandle,
    message: AnyMessage,
) -> Option<AnyMessage> {
    let value = match message {
        AnyMessage::Custom(value)
            if value
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with(TIMELINE_TYPE_PREFIX)) =>
        {
            value
        }
        other => return Some(other),
    };
    let message = match ClientMessage::from_value(value) {
        Ok(Some(m)) => m,
        Ok(None) => {
            tracing::warn!(client = client.id(), "unknown timeline message from a tab");
            return None;
        }
        Err(error) => {
            tracing::warn!(client = client.id(), %error, "malformed timeline message from a tab");
            return None;
        }
    };
    let id = client.id();
    if let ClientMessage::TimelineReady(ready) = &message
        && !ready.compatible()
    {
        crate::timeline::version::refuse(&mut shared.lock(), id, ready);
        return None;
    }
    let mut timestep = None;
    let mut playing_changed = None;
    {
        let mut state = shared.lock();
        let handled = state.with_timeline(|t, out| match message {
            ClientMessage::TimelineReady(_) => t.on_ready(id, out),
            ClientMessage::TimelineBlockRequest(m) => t.on_block_request(id, m.index, out),
            ClientMessage::TimelineStateRequest(m) => t.on_state_request(id, m.step, out),
            ClientMessage::TimelineBlockDiscard(m) => {
                if let Some(s) = t.sessions.get_mut(&id) {
                    s.held.remove(&m.index);
                }
            }
            ClientMessage::TimelineTimestep(m) => {
                let num_steps = t.store.num_steps();
                if m.step >= num_steps || m.step < t.store.first_step() || t.unstarted {
                    // Stale after a shrink or a retention drop, the
                    // placeholder of a timeline with no steps yet, or made
                    // up: never handed to user code.
                    tracing::warn!(client = id, step = m.step, num_steps, "tab reported a step outside the timeline; ignored");
                } else if let Some(s) = t.sessions.get_mut(&id) {
                    s.transport.step = m.step;
                    timestep = Some(m.step);
                }
            }
            ClientMessage::TimelinePlaybackState(m) => {
                let num_steps = t.store.num_steps();
                if m.step >= num_steps
                    || m.step < t.store.first_step()
                    || check_speed(m.speed).is_err()
                {
                    tracing::warn!(
                        client = id,
                        step = m.step,
                        num_steps,
                        speed = m.speed,
                        "tab reported a playback state outside the timeline or a speed outside (0, {MAX_SPEED}]; ignored"
                    );
                } else if let Some(s) = t.sessions.get_mut(&id) {
                    let was_playing = s.transport.playing;
                    s.transport.playing = m.playing;
                    s.transport.step = m.step;
                    s.transport.speed = m.speed;
                    s.transport.looping = m.r#loop;
                    s.transport.following = m.following;
                    if was_playing != m.playing {
                        playing_changed = Some(m.playing);
                    }
                }
            }
        });
        if handled.is_err() {
            tracing::debug!(
                client = id,
                "timeline message to a server without a timeline"
            );
        }
    }
    if let Some(step) = timestep {
        for cb in snapshot(&shared.callbacks.timestep) {
            run_blocking(|| cb(client, step));
        }
    }
    if let Some(playing) = playing_changed {
        for cb in snapshot(&shared.callbacks.playback) {
            run_blocking(|| cb(client, playing));
        }
    }
    None
}
