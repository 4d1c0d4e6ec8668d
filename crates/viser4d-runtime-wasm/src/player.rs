//! The per-tab transport clock: [`Player`]. Wall-clock anchored, so a
//! slow frame never slows playback down; it only makes the next frame
//! cross more steps. Times are milliseconds (`performance.now()`).

/// Speeds the playback bar offers.
pub const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 1.5, 2.0, 4.0];

/// Where playback is, and how it moves.
#[derive(Debug, Clone, PartialEq)]
pub struct Player {
    /// The first step played (an exported range may start later than 0).
    first: u32,
    num_steps: u32,
    fps: f64,
    speed: f64,
    looping: bool,
    playing: bool,
    /// On the newest step, whatever the length becomes (a live timeline's
    /// edge); not playing meanwhile.
    following: bool,
    /// The (fractional) step at `anchor_ms`.
    anchor_step: f64,
    anchor_ms: f64,
}

/// What the clock says at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Inside the timeline, at this step.
    At(u32),
    /// Past the last step: wrapped to 0 (looping), after crossing the last.
    Wrapped,
    /// Past the last step without looping: playback ends there.
    Ended,
}

impl Default for Player {
    fn default() -> Player {
        Player {
            first: 0,
            num_steps: 1,
            fps: 30.0,
            speed: 1.0,
            looping: false,
            playing: false,
            following: false,
            anchor_step: 0.0,
            anchor_ms: 0.0,
        }
    }
}

impl Player {
    /// Paused at step 0, speed 1, not looping.
    pub fn new() -> Player {
        Player::default()
    }

    /// Sets the timeline's length and rate, keeping the step (clamped).
    pub fn configure(&mut self, num_steps: u32, fps: f64, now_ms: f64) {
        self.configure_range(0, num_steps, fps, now_ms);
    }

    /// Like [`Player::configure`], playing only steps `first..num_steps`.
    pub fn configure_range(&mut self, first: u32, num_steps: u32, fps: f64, now_ms: f64) {
        let step = self.fractional(now_ms);
        self.num_steps = num_steps.max(1);
        self.first = first.min(self.num_steps - 1);
        if fps.is_finite() && fps > 0.0 {
            self.fps = fps;
        }
        let step = step.clamp(f64::from(self.first), f64::from(self.num_steps - 1));
        self.anchor(step, now_ms);
    }

    /// The first step played.
    pub fn first(&self) -> u32 {
        self.first
    }

    /// Number of steps.
    pub fn num_steps(&self) -> u32 {
        self.num_steps
    }

    /// Whether it plays.
    pub fn playing(&self) -> bool {
        self.playing
    }

    /// Whether it follows the newest step.
    pub fn following(&self) -> bool {
        self.following
    }

    /// Follows the newest step: the clock stays on the last step however
    /// the length changes, until a seek, pause or play.
    pub fn follow(&mut self, now_ms: f64) {
        self.playing = false;
        self.following = true;
        self.anchor(f64::from(self.num_steps - 1), now_ms);
    }

    /// The speed factor.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Whether it loops.
    pub fn looping(&self) -> bool {
        self.looping
    }

    /// Steps per second while playing (`fps x speed`).
    pub fn rate(&self) -> f64 {
        self.fps * self.speed
    }

    /// The transport's time on the timeline, seconds (`step / fps`,
    /// fractional while playing), clamped to the timeline.
    pub fn time_sec(&self, now_ms: f64) -> f64 {
        self.fractional(now_ms).min(f64::from(self.num_steps)) / self.fps
    }

    /// Base steps per second.
    pub fn fps(&self) -> f64 {
        self.fps
    }

    fn fractional(&self, now_ms: f64) -> f64 {
        if self.following {
            f64::from(self.num_steps - 1)
        } else if self.playing {
            self.anchor_step + (now_ms - self.anchor_ms).max(0.0) / 1000.0 * self.rate()
        } else {
            self.anchor_step
        }
    }

    fn anchor(&mut self, step: f64, now_ms: f64) {
        self.anchor_step = step;
        self.anchor_ms = now_ms;
    }

    /// Where the clock is now.
    pub fn position(&self, now_ms: f64) -> Position {
        let step = self.fractional(now_ms).floor();
        if step < f64::from(self.num_steps) {
            // In range and non-negative, so the cast is exact.
            Position::At(step.max(0.0) as u32)
        } else if self.looping {
            Position::Wrapped
        } else {
            Position::Ended
        }
    }

    /// Plays from the current step; `speed` and `looping` replace the
    /// settings when given. At the end without looping, starts over.
    pub fn play(&mut self, speed: Option<f64>, looping: Option<bool>, now_ms: f64) {
        let step = self.fractional(now_ms);
        if let Some(s) = speed.filter(|s| s.is_finite() && *s > 0.0) {
            self.speed = s;
        }
        if let Some(l) = looping {
            self.looping = l;
        }
        let last = f64::from(self.num_steps - 1);
        // At the end it starts over, unless it was following the newest
        // step: then it plays on from there as steps arrive.
        let start = if step >= last && !self.following {
            f64::from(self.first)
        } else {
            step
        };
        self.following = false;
        self.playing = true;
        self.anchor(start.floor(), now_ms);
    }

    /// Stops at the current step.
    pub fn pause(&mut self, now_ms: f64) {
        let step = self.fractional(now_ms).min(f64::from(self.num_steps - 1));
        self.playing = false;
        self.following = false;
        self.anchor(step.floor(), now_ms);
    }

    /// Jumps to `step` (clamped), playing on if it was.
    pub fn seek(&mut self, step: u32, now_ms: f64) -> u32 {
        let step = step.clamp(self.first, self.num_steps - 1);
        self.following = false;
        self.anchor(f64::from(step), now_ms);
        step
    }

    /// Holds the clock at `step` (its block is not here yet); it moves on
    /// from there once it can.
    pub fn hold(&mut self, step: u32, now_ms: f64) {
        self.anchor(f64::from(step), now_ms);
    }

    /// Restarts from step 0 after a wrap.
    pub fn wrap(&mut self, now_ms: f64) {
        self.anchor(f64::from(self.first), now_ms);
    }

    /// Stops at the last step (the end without looping).
    pub fn end(&mut self, now_ms: f64) {
        self.playing = false;
        self.anchor(f64::from(self.num_steps - 1), now_ms);
    }

    /// Changes the speed without a jump.
    pub fn set_speed(&mut self, speed: f64, now_ms: f64) {
        if !(speed.is_finite() && speed > 0.0) {
            return;
        }
        let step = self.fractional(now_ms).min(f64::from(self.num_steps - 1));
        self.speed = speed;
        self.anchor(step, now_ms);
    }

    /// Turns looping on or off.
    pub fn set_looping(&mut self, looping: bool) {
        self.looping = looping;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_at_fps_times_speed_and_ends_or_wraps() {
        let mut p = Player::new();
        p.configure(10, 10.0, 0.0);
        assert_eq!(p.position(5000.0), Position::At(0), "paused stays");
        p.play(Some(2.0), None, 0.0);
        assert_eq!(p.position(250.0), Position::At(5));
        assert_eq!(p.position(499.0), Position::At(9));
        assert_eq!(p.position(500.0), Position::Ended);
        p.set_looping(true);
        assert_eq!(p.position(500.0), Position::Wrapped);
        p.pause(300.0);
        assert_eq!(p.position(10_000.0), Position::At(6));
    }

    #[test]
    fn speed_changes_and_holds_do_not_jump() {
        let mut p = Player::new();
        p.configure(100, 10.0, 0.0);
        p.play(None, None, 0.0);
        p.set_speed(4.0, 1000.0);
        assert_eq!(p.position(1000.0), Position::At(10));
        assert_eq!(p.position(1500.0), Position::At(30));
        p.hold(12, 1500.0);
        assert_eq!(p.position(1500.0), Position::At(12));
        p.set_speed(-1.0, 1500.0);
        assert_eq!(p.speed(), 4.0, "bad speeds are ignored");
    }

    #[test]
    fn play_at_the_end_starts_over_and_seek_clamps() {
        let mut p = Player::new();
        p.configure(5, 30.0, 0.0);
        assert_eq!(p.seek(99, 0.0), 4);
        p.configure_range(2, 5, 30.0, 0.0);
        assert_eq!(
            p.seek(0, 0.0),
            2,
            "an exported range starts at its first step"
        );
        p.configure(5, 30.0, 0.0);
        p.seek(4, 0.0);
        p.play(None, None, 0.0);
        assert_eq!(p.position(0.0), Position::At(0));
        p.configure(3, 30.0, 0.0);
        assert!(p.num_steps() == 3);
    }

    #[test]
    fn following_stays_on_the_newest_step_until_a_seek_pause_or_play() {
        let mut p = Player::new();
        p.configure(5, 10.0, 0.0);
        p.play(None, None, 0.0);
        p.follow(100.0);
        assert!(p.following() && !p.playing());
        assert_eq!(p.position(5000.0), Position::At(4));
        p.configure(9, 10.0, 6000.0);
        assert_eq!(
            p.position(6000.0),
            Position::At(8),
            "it grows with the timeline"
        );
        p.configure(3, 10.0, 7000.0);
        assert_eq!(p.position(7000.0), Position::At(2), "and shrinks with it");
        p.seek(1, 7000.0);
        assert!(!p.following());
        assert_eq!(p.position(9000.0), Position::At(1));
        p.follow(9000.0);
        p.pause(9000.0);
        assert!(!p.following());
        p.configure(6, 10.0, 9000.0);
        assert_eq!(p.position(9000.0), Position::At(2), "paused holds its step");
        p.follow(9000.0);
        p.play(None, None, 9000.0);
        assert!(!p.following() && p.playing(), "play leaves it");
    }
}
