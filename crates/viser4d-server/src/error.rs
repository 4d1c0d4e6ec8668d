//! Typed errors of the server API. Each names the bad value.

use std::path::PathBuf;

/// Anything the server API can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A bundle directory given to the builder (or in `VISER4D_DIST_DIR`)
    /// has no client page.
    #[error(
        "no viser client page at {path}: the bundle directory given to the builder (or in VISER4D_DIST_DIR) must hold index.html and viser4d/; unset it to serve the embedded client"
    )]
    BundleMissing {
        /// Where we looked.
        path: PathBuf,
    },
    /// A bundle directory has the page but not the runtime, so tabs would
    /// get no timeline.
    #[error(
        "the bundle has no viser4d runtime at {path}: a bundle directory needs viser4d/viser4d_runtime.js, viser4d_runtime_bg.wasm and viser4d_runtime_inline.js (unset VISER4D_DIST_DIR to serve the embedded runtime)"
    )]
    RuntimeMissing {
        /// The first runtime file missing.
        path: PathBuf,
    },
    /// The bundle's runtime speaks another protocol revision than this
    /// server.
    #[error(
        "the viser4d runtime in {bundle} is {runtime:?}, but this server speaks protocol {expected}: use viser4d crates of one version (or rebuild the bundle with `cargo xtask dist`)"
    )]
    RuntimeMismatch {
        /// Where the bundle came from.
        bundle: String,
        /// The runtime's version line.
        runtime: String,
        /// The protocol revision this server speaks.
        expected: u32,
    },
    /// Reading the bundle failed.
    #[error("reading the client bundle at {path}: {source}")]
    BundleRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The tokio runtime could not start.
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
    /// An argument is invalid.
    #[error("invalid {argument}: {reason}")]
    InvalidArgument {
        /// Which argument.
        argument: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The handle's node or element was removed.
    #[error("{what} {name:?} was removed")]
    Removed {
        /// "scene node" or "GUI element".
        what: &'static str,
        /// Its name or label.
        name: String,
    },
    /// The client disconnected.
    #[error("client {0} is not connected")]
    ClientGone(u64),
    /// The server was stopped.
    #[error("the server is stopped")]
    Stopped,
    /// A tab did not answer a request (`get_render`, a local-storage read)
    /// within the time given.
    #[error("client {client} did not answer {what} within {seconds} s")]
    Timeout {
        /// The tab.
        client: u64,
        /// What was asked.
        what: &'static str,
        /// The time given.
        seconds: f64,
    },
    /// A tab answered a request with an error of its own.
    #[error("client {client} could not answer {what}: {reason}")]
    ClientFailed {
        /// The tab.
        client: u64,
        /// What was asked.
        what: &'static str,
        /// What the tab said.
        reason: String,
    },
    /// A timeline call on a server built without `num_steps`.
    #[error(
        "this server has no timeline: give the builder `num_steps(n)`, or `fps(f)` for one that grows"
    )]
    NoTimeline,
    /// A step past the end of the timeline.
    #[error(
        "step {step} is out of range: the timeline has {num_steps} steps (0..{num_steps}; `at({num_steps})` or `append_step()` adds one)"
    )]
    StepOutOfRange {
        /// The step asked for.
        step: u32,
        /// The number of steps.
        num_steps: u32,
    },
    /// `at(t)` inside another `at` on the same thread.
    #[error("at({inner}) inside at({outer}): steps do not nest; drop the outer guard first")]
    NestedStep {
        /// The step being recorded.
        outer: u32,
        /// The step asked for.
        inner: u32,
    },
    /// `set_steps` or `clear` while a step is being recorded.
    #[error("cannot change the timeline while a step is being recorded (an `at` guard is alive)")]
    StepActive,
    /// A node name already used by the live scene or the timeline.
    #[error(
        "node {name:?} already exists in the {existing} scene; live and timeline nodes need distinct names"
    )]
    NameInUse {
        /// The name.
        name: String,
        /// "live" or "timeline".
        existing: &'static str,
    },
    /// An environment variable holds an unusable value.
    #[error("environment variable {var}={value:?}: {reason}")]
    InvalidEnv {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An audio track was added outside `at(t)`.
    #[error("audio tracks are added inside `server.at(t)`: the step is where the track starts")]
    AudioOutsideStep,
    /// The audio samples or settings are invalid.
    #[error("audio: {0}")]
    Audio(#[from] viser4d_audio::AudioError),
    /// An export range outside the timeline.
    #[error("invalid step range {start}..={end}: the timeline has steps 0..={last}", last = num_steps.saturating_sub(1))]
    InvalidRange {
        /// First step asked for.
        start: u32,
        /// Last step asked for.
        end: u32,
        /// Number of steps.
        num_steps: u32,
    },
    /// The bundle has no single-script runtime to put in a recording.
    #[error(
        "the client bundle has no viser4d/viser4d_runtime_inline.js to put in the recording (the bundle directory given lacks it)"
    )]
    RuntimeScriptMissing,
    /// A scene call inside `at(t)` (or an override) could not be recorded;
    /// nothing of that call was recorded.
    #[error("cannot record a {message_type} into the timeline: {reason}")]
    Record {
        /// The viser message type of the call.
        message_type: &'static str,
        /// Why.
        reason: String,
    },
    /// An archive could not be written or read.
    #[error("archive {target}: {reason}")]
    Archive {
        /// The folder, URL or file.
        target: String,
        /// Why.
        reason: String,
    },
    /// A file could not be written; nothing was left under its name.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The target.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The timeline store refused an operation.
    #[error("timeline: {0}")]
    Timeline(#[from] viser4d_timeline::StoreError),
}

impl ServerError {
    pub(crate) fn invalid(argument: &'static str, reason: impl Into<String>) -> ServerError {
        ServerError::InvalidArgument {
            argument,
            reason: reason.into(),
        }
    }
}

/// Result with [`ServerError`].
pub type Result<T, E = ServerError> = std::result::Result<T, E>;
