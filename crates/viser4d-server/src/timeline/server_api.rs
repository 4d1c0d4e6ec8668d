//! The recording and playback methods of [`Server`].

use std::collections::BTreeMap;
use std::sync::Arc;

use viser4d_proto::timeline::{
    TimelineClear, TimelineFollow, TimelinePause, TimelinePlay, TimelineRefresh, TimelineSetLoop,
    TimelineSetSpeed,
};

use crate::callbacks::CallbackId;
use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
use crate::server::Server;
use crate::shared::ClientId;
use crate::timeline::playback::{ClientPlayback, check_speed, command};
use crate::timeline::{PlaybackCallback, StepGuard, TimestepCallback, flush_now};

impl Server {
    /// Records at step `step` until the returned guard is dropped: on this
    /// thread, scene calls (`server.scene()`, and setters of handles
    /// created inside any step) record into the timeline instead of acting
    /// live. `at(num_steps)` adds a step at the end first (so does
    /// [`Server::append_step`]); tabs see the timeline grow. Errors: no
    /// timeline configured, `step` further past the end, or already inside
    /// a step on this thread.
    ///
    /// ```no_run
    /// # use viser4d_server::{Server, scene::{PointCloudOptions, PointColors}};
    /// let server = Server::builder().num_steps(10).fps(10.0).start()?;
    /// let cloud = {
    ///     let _step = server.at(0)?;
    ///     server.scene().add_point_cloud("/cloud", &[[0.0, 0.0, 0.0]], PointColors::Uniform([255, 0, 0]), PointCloudOptions::default())?
    /// };
    /// for t in 1..10 {
    ///     let _step = server.at(t)?;
    ///     cloud.set_points(&[[t as f32 * 0.1, 0.0, 0.0]])?;
    /// }
    /// # Ok::<(), viser4d_server::ServerError>(())
    /// ```
    pub fn at(&self, step: u32) -> Result<StepGuard> {
        StepGuard::enter(self.shared.clone(), Some(step))
    }

    /// Records at a new step after the last, until the returned guard is
    /// dropped (the first step of an open-ended timeline with none yet is
    /// step 0). Threads appending at once each get their own step. Tabs
    /// following the newest step show it once the guard is dropped.
    ///
    /// ```no_run
    /// # use viser4d_server::{Server, scene::{PointCloudOptions, PointColors}};
    /// let server = Server::builder().fps(30.0).start()?; // open-ended
    /// for frame in 0..3 {
    ///     let step = server.append_step()?;
    ///     assert_eq!(step.step(), frame);
    ///     server.scene().add_point_cloud("/cloud", &[[frame as f32, 0.0, 0.0]], PointColors::Uniform([255, 0, 0]), PointCloudOptions::default())?;
    /// }
    /// assert_eq!(server.num_steps(), Some(3));
    /// # Ok::<(), viser4d_server::ServerError>(())
    /// ```
    pub fn append_step(&self) -> Result<StepGuard> {
        StepGuard::enter(self.shared.clone(), None)
    }

    /// The number of steps (`None` without a timeline; 0 for an open-ended
    /// timeline before its first step).
    pub fn num_steps(&self) -> Option<u32> {
        crate::timeline::num_steps(&self.shared).ok()
    }

    /// Whether the timeline is open-ended (being recorded while tabs watch).
    pub fn is_open_ended(&self) -> bool {
        self.shared
            .lock()
            .timeline
            .as_ref()
            .is_some_and(|t| t.open_ended)
    }

    /// Marks the timeline as being recorded while tabs watch (`true`) or
    /// finished (`false`): new tabs of an open-ended timeline follow its
    /// newest step, those of a finished one start paused at step 0, and a
    /// tab playing into the end of a finished one stops there. Connected
    /// tabs are told (they keep their transport).
    pub fn set_open_ended(&self, open_ended: bool) -> Result<()> {
        let mut state = self.shared.lock();
        state.with_timeline(|t, out| t.set_open_ended(open_ended, out))
    }

    /// The base step rate (`None` without a timeline).
    pub fn fps(&self) -> Option<f64> {
        self.shared.lock().timeline.as_ref().map(|t| t.fps)
    }

    fn idle_timeline<R>(
        &self,
        f: impl FnOnce(&mut crate::timeline::Timeline) -> Result<R>,
    ) -> Result<R> {
        let mut state = self.shared.lock();
        let timeline = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
        if timeline.recording > 0 {
            return Err(ServerError::StepActive);
        }
        f(timeline)
    }

    /// Grows or shrinks the timeline; steps cut are dropped. Tabs are told
    /// the new length and keep their transport (a step past the end moves
    /// to the last). Refused while a step is being recorded, and when
    /// shrinking into steps retention dropped.
    pub fn set_steps(&self, num_steps: u32) -> Result<()> {
        if num_steps == 0 {
            return Err(ServerError::invalid("num_steps", "must be at least 1"));
        }
        self.idle_timeline(|t| {
            t.store.set_steps(num_steps)?;
            t.unstarted = false;
            Ok(())
        })?;
        flush_now(&self.shared)
    }

    /// Empties every step and drops the overrides (the number of steps
    /// stays); tabs drop what they show of the timeline. Refused while a
    /// step is being recorded.
    pub fn clear(&self) -> Result<()> {
        self.idle_timeline(|t| {
            t.store.clear();
            t.tracks.clear();
            Ok(())
        })?;
        command(&self.shared, None, TimelineClear {}.into())?;
        flush_now(&self.shared)
    }

    /// Every connected tab plays from its own current step; `speed` and
    /// `looping` replace the tab's own settings when given. Tabs that
    /// connect later start paused, as always.
    pub fn play(&self, speed: Option<f64>, looping: Option<bool>) -> Result<()> {
        if let Some(s) = speed {
            check_speed(s)?;
        }
        command(
            &self.shared,
            None,
            TimelinePlay {
                speed,
                r#loop: looping,
            }
            .into(),
        )
    }

    /// Every connected tab follows the newest step (see
    /// [`ClientPlayback::follow`]).
    pub fn follow(&self) -> Result<()> {
        command(&self.shared, None, TimelineFollow {}.into())
    }

    /// Pauses every connected tab.
    pub fn pause(&self) -> Result<()> {
        command(&self.shared, None, TimelinePause {}.into())
    }

    /// Sets the speed factor of every connected tab, and of the tabs that
    /// connect later (as [`crate::ServerBuilder::playback_speed`]).
    pub fn set_playback_speed(&self, speed: f64) -> Result<()> {
        check_speed(speed)?;
        self.with_start(|t| t.start_speed = speed)?;
        command(&self.shared, None, TimelineSetSpeed { speed }.into())
    }

    /// Turns looping on or off in every connected tab, and for the tabs
    /// that connect later (as [`crate::ServerBuilder::looping`]); playing
    /// tabs keep playing.
    pub fn set_loop(&self, looping: bool) -> Result<()> {
        self.with_start(|t| t.start_looping = looping)?;
        command(
            &self.shared,
            None,
            TimelineSetLoop { r#loop: looping }.into(),
        )
    }

    /// What new tabs start with (speed, looping); also what exports start with.
    fn with_start(&self, f: impl FnOnce(&mut crate::timeline::Timeline)) -> Result<()> {
        let mut state = self.shared.lock();
        let timeline = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
        f(timeline);
        Ok(())
    }

    /// The speed factor new tabs start with (`None` without a timeline).
    pub fn playback_speed(&self) -> Option<f64> {
        self.shared.lock().timeline.as_ref().map(|t| t.start_speed)
    }

    /// Whether new tabs start looping (`None` without a timeline).
    pub fn is_looping(&self) -> Option<bool> {
        self.shared
            .lock()
            .timeline
            .as_ref()
            .map(|t| t.start_looping)
    }

    /// Sends pending edits, and makes every connected tab fetch its blocks
    /// again and re-show its step.
    pub fn refresh(&self) -> Result<()> {
        flush_now(&self.shared)?;
        command(&self.shared, None, TimelineRefresh {}.into())
    }

    /// Runs `callback(tab, step)` each time a tab shows a new step. With
    /// several tabs this is one stream for all: steps may repeat and come
    /// out of order.
    pub fn on_timestep_change(
        &self,
        callback: impl Fn(&ClientHandle, u32) + Send + Sync + 'static,
    ) -> CallbackId {
        let callback: TimestepCallback = Arc::new(callback);
        crate::callbacks::register(&self.shared.callbacks.timestep, callback)
    }

    /// Runs `callback(tab, is_playing)` each time a tab starts or stops
    /// playing.
    pub fn on_playback_change(
        &self,
        callback: impl Fn(&ClientHandle, bool) + Send + Sync + 'static,
    ) -> CallbackId {
        let callback: PlaybackCallback = Arc::new(callback);
        crate::callbacks::register(&self.shared.callbacks.playback, callback)
    }

    /// The transport of tab `client` (`None` if it is not connected or
    /// there is no timeline).
    pub fn client_playback(&self, client: ClientId) -> Option<ClientPlayback> {
        let state = self.shared.lock();
        let timeline = state.timeline.as_ref()?;
        timeline
            .sessions
            .contains_key(&client)
            .then(|| ClientPlayback::new(self.shared.clone(), client))
    }

    /// The transports of every connected tab, by tab id (viser4d's
    /// `get_client_playbacks()` dict).
    pub fn client_playbacks(&self) -> BTreeMap<ClientId, ClientPlayback> {
        let state = self.shared.lock();
        let Some(timeline) = state.timeline.as_ref() else {
            return BTreeMap::new();
        };
        timeline
            .sessions
            .keys()
            .map(|id| (*id, ClientPlayback::new(self.shared.clone(), *id)))
            .collect()
    }

    /// Block requests tab `client` made that were answered (diagnostics and tests).
    ///
    /// For tests and benchmarks; not part of the stable API.
    #[doc(hidden)]
    pub fn client_blocks_sent(&self, client: ClientId) -> Option<u64> {
        let state = self.shared.lock();
        state
            .timeline
            .as_ref()?
            .sessions
            .get(&client)
            .map(|s| s.blocks_sent)
    }
}
