//! Playback control from Rust: commands to the tabs connected now, and
//! per-tab handles showing what each tab last reported. There is no server
//! clock: every tab plays on its own, and a command changes a tab's values
//! only once the tab reports back.

use std::sync::Arc;

use viser4d_proto::timeline::{
    ServerMessage, TimelineFollow, TimelinePause, TimelinePlay, TimelineRefresh, TimelineSeek,
    TimelineSetLoop, TimelineSetSpeed,
};

use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
use crate::shared::{ClientId, Shared};
use crate::timeline::Transport;

/// Called with the tab and the step it now shows.
pub type TimestepCallback = Arc<dyn Fn(&ClientHandle, u32) + Send + Sync>;

/// Called with the tab and whether it now plays.
pub type PlaybackCallback = Arc<dyn Fn(&ClientHandle, bool) + Send + Sync>;

/// The fastest playback factor a tab may be asked for or may report: past
/// it a step lasts less than a microsecond at any sane fps, and a tab that
/// reports more is broken or hostile.
pub(crate) const MAX_SPEED: f64 = 1000.0;

pub(crate) fn check_speed(speed: f64) -> Result<()> {
    if speed.is_finite() && speed > 0.0 && speed <= MAX_SPEED {
        Ok(())
    } else {
        Err(ServerError::invalid(
            "speed",
            format!("{speed} is not a finite factor in (0, {MAX_SPEED}]"),
        ))
    }
}

/// Sends `message` to `clients` (every tab when `None`), holding it for
/// tabs whose runtime is not ready yet.
pub(crate) fn command(
    shared: &Shared,
    clients: Option<&[ClientId]>,
    message: ServerMessage,
) -> Result<()> {
    let mut state = shared.lock();
    state.with_timeline(|t, out| {
        let ids: Vec<ClientId> = match clients {
            Some(ids) => ids.to_vec(),
            None => t.sessions.keys().copied().collect(),
        };
        for id in ids {
            if matches!(message, ServerMessage::TimelineRefresh(_))
                && let Some(s) = t.sessions.get_mut(&id)
            {
                // The tab drops its blocks and asks again.
                s.held.clear();
            }
            t.command(id, message.clone(), out);
        }
    })
}

/// One tab's transport: what it last reported, and commands for it alone.
#[derive(Clone)]
pub struct ClientPlayback {
    shared: Arc<Shared>,
    id: ClientId,
}

impl std::fmt::Debug for ClientPlayback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientPlayback")
            .field("client", &self.id)
            .finish()
    }
}

impl ClientPlayback {
    pub(crate) fn new(shared: Arc<Shared>, id: ClientId) -> ClientPlayback {
        ClientPlayback { shared, id }
    }

    /// The tab's id.
    pub fn client_id(&self) -> ClientId {
        self.id
    }

    fn transport(&self) -> Result<Transport> {
        let state = self.shared.lock();
        let timeline = state.timeline.as_ref().ok_or(ServerError::NoTimeline)?;
        timeline
            .sessions
            .get(&self.id)
            .map(|s| s.transport)
            .ok_or(ServerError::ClientGone(self.id))
    }

    /// Whether the tab last reported playing.
    pub fn is_playing(&self) -> Result<bool> {
        Ok(self.transport()?.playing)
    }

    /// The step the tab last reported showing.
    pub fn current_timestep(&self) -> Result<u32> {
        Ok(self.transport()?.step)
    }

    /// The speed factor the tab last reported.
    pub fn speed(&self) -> Result<f64> {
        Ok(self.transport()?.speed)
    }

    /// Whether the tab last reported looping.
    pub fn looping(&self) -> Result<bool> {
        Ok(self.transport()?.looping)
    }

    fn send(&self, message: ServerMessage) -> Result<()> {
        if !self.shared.is_connected(self.id) {
            return Err(ServerError::ClientGone(self.id));
        }
        command(&self.shared, Some(&[self.id]), message)
    }

    /// Shows `step` in this tab (it keeps playing if it was).
    pub fn seek(&self, step: u32) -> Result<()> {
        let num_steps = crate::timeline::num_steps(&self.shared)?;
        if step >= num_steps {
            return Err(ServerError::StepOutOfRange { step, num_steps });
        }
        self.send(TimelineSeek { step }.into())
    }

    /// Plays from the tab's current step, at `speed` (or the tab's own).
    pub fn play(&self, speed: Option<f64>) -> Result<()> {
        if let Some(s) = speed {
            check_speed(s)?;
        }
        self.send(
            TimelinePlay {
                speed,
                r#loop: None,
            }
            .into(),
        )
    }

    /// Makes the tab follow the newest step: it shows each step as soon as
    /// it is recorded, until it seeks, pauses or plays (in the page, or
    /// from here). The live toggle and the End key do the same.
    pub fn follow(&self) -> Result<()> {
        self.send(TimelineFollow {}.into())
    }

    /// Whether the tab last reported following the newest step.
    pub fn is_following(&self) -> Result<bool> {
        self.transport().map(|t| t.following)
    }

    /// Pauses the tab.
    pub fn pause(&self) -> Result<()> {
        self.send(TimelinePause {}.into())
    }

    /// Sets the tab's speed factor (on top of the timeline's fps).
    pub fn set_speed(&self, speed: f64) -> Result<()> {
        check_speed(speed)?;
        self.send(TimelineSetSpeed { speed }.into())
    }

    /// Turns looping on or off in this tab (it keeps playing or paused).
    pub fn set_loop(&self, looping: bool) -> Result<()> {
        self.send(TimelineSetLoop { r#loop: looping }.into())
    }

    /// Makes the tab fetch its blocks again and re-show its step.
    pub fn refresh(&self) -> Result<()> {
        crate::timeline::flush_now(&self.shared)?;
        self.send(TimelineRefresh {}.into())
    }
}
