//! viser4d: the time dimension for [viser](https://viser.studio), the web
//! 3D viewer, in Rust.
//!
//! A program records what its scene looks like at each timestep; every
//! browser tab that opens the server's page plays that timeline on its own
//! (play, pause, scrub, speed, loop), with audio in sync; the recording
//! exports to a `.viser` file or one HTML page that plays with no server.
//! The viewer is the stock viser 1.1.1 web client, embedded in this crate's
//! dependencies together with the viser4d browser runtime: there is nothing
//! to build or install besides `cargo add viser4d`.
//!
//! This crate is the facade users depend on. It owns no logic: it
//! re-exports the server's API ([`Server`], [`scene`], [`gui`], [`audio`],
//! [`playback`], [`export`]) and the building blocks below it
//! ([`timeline`], [`proto`]).
//!
//! # Record
//!
//! [`Server::builder`] starts a server that owns its own tokio runtime, so
//! a plain `fn main()` can use it; every call is blocking and thread-safe.
//! Inside [`Server::at`] (a guard for the calling thread), scene calls
//! record at that step; a handle created there records its setters at
//! whatever step is active later.
//!
//! ```no_run
//! use viser4d::scene::{PointCloudOptions, PointColors};
//! use viser4d::Server;
//!
//! let ring = |t: u32| -> Vec<[f32; 3]> {
//!     (0..500)
//!         .map(|i| {
//!             let a = i as f32 * 0.0126 + t as f32 * 0.3;
//!             [a.cos(), a.sin(), t as f32 * 0.1]
//!         })
//!         .collect()
//! };
//! let server = Server::builder().port(8080).num_steps(10).fps(10.0).start()?;
//! let cloud = {
//!     let _step = server.at(0)?; // scene calls on this thread record at step 0
//!     server.scene().add_point_cloud(
//!         "/points",
//!         &ring(0),
//!         PointColors::Uniform([255, 90, 40]),
//!         PointCloudOptions::default(),
//!     )?
//! };
//! for t in 1..10 {
//!     let _step = server.at(t)?;
//!     cloud.set_points(&ring(t))?; // the same handle, recorded at step t
//! }
//! println!("open {}", server.url());
//! # Ok::<(), viser4d::ServerError>(())
//! ```
//!
//! Outside any step the scene and GUI are viser's live API: what you set is
//! sent to every tab at once. Setting a property of a recorded node outside
//! a step is an *override*, laid over every step.
//!
//! # Play
//!
//! Each tab has its own transport; the server never runs a clock. The
//! server-wide commands reach the tabs connected at that moment, and each
//! tab reports back what it does:
//!
//! ```no_run
//! # let server = viser4d::Server::builder().num_steps(10).start()?;
//! server.on_timestep_change(|tab, step| println!("tab {} shows step {step}", tab.id()));
//! server.on_playback_change(|tab, playing| println!("tab {} playing: {playing}", tab.id()));
//! server.play(Some(2.0), Some(true))?; // every tab open now plays at 2x, looping
//! for playback in server.client_playbacks().values() {
//!     playback.seek(3)?; // one tab only
//! }
//! # Ok::<(), viser4d::ServerError>(())
//! ```
//!
//! Audio tracks start at the step they are added in and play in sync with
//! each tab's own step and speed ([`audio`]).
//!
//! # Export
//!
//! ```no_run
//! # let server = viser4d::Server::builder().num_steps(10).start()?;
//! let recording: Vec<u8> = server.serialize(0, None)?; // every step, audio included
//! std::fs::write("run.viser", &recording).expect("writable");
//! let page: String = server.as_html(0, None, false)?; // plays from file://
//! std::fs::write("run.html", page).expect("writable");
//! # Ok::<(), viser4d::ServerError>(())
//! ```
//!
//! The `viser4d` command (`cargo install viser4d-cli`) serves, inspects and
//! converts such files.
//!
//! # Features
//!
//! - `glam`, `nalgebra`: poses and vectors from those crates' types.
//! - `object-store`: archives on S3, GCS and Azure ([`archive`]), through
//!   the `object_store` crate.
//! - `plotly`: `gui().add_plotly`; embeds Plotly's script
//!   (~4.6 MB), which is sent once to the tabs of a program that plots.
//!
//! # The rest of viser's API
//!
//! Every viser 1.1.1 message type maps to a call here, or is listed with
//! the reason it has none, in [`api_map`] (also `docs/viser-api.md` in the
//! repository): plots ([`gui::GuiApi::add_uplot`], which can follow each
//! tab's timestep), forms, panels, commands, skinned meshes with bones on
//! the timeline, pointer and drag events, renders of a tab's view
//! ([`ClientHandle::get_render`]), local storage, downloads, `flush` and
//! `atomic` batches.

#![deny(missing_docs)]

pub use viser4d_server::{
    AtomicBatch, BLOCK_SIZE_ENV, CLIENT_CACHE_ENV, CallbackId, CameraState, ClientHandle, ClientId,
    DEFAULT_BLOCK_SIZE, DEFAULT_CLIENT_CACHE_BYTES, DEFAULT_FPS, LocalStorage, RenderFormat,
    RenderOptions, RenderedImage, Result, Retention, Server, ServerBuilder, ServerError,
    ServerStats, StepGuard, api_map, gui, scene,
};

/// Audio tracks on the timeline: [`Server::audio`] inside `at(t)` adds one,
/// its [`AudioHandle`](crate::audio::AudioHandle) appends samples and sets the volume.
pub mod audio {
    pub use viser4d_audio::{AudioError, MAX_CHANNELS, Track};
    pub use viser4d_server::{AudioApi, AudioHandle};
}

/// Per-tab playback: what each tab reports and the commands for one tab.
pub mod playback {
    pub use viser4d_server::{ClientPlayback, PlaybackCallback, TimestepCallback};
}

/// Recordings: [`Server::serialize`], [`Server::write_recording`] and
/// [`Server::as_html`] write them;
/// these read and convert them.
pub mod export {
    pub use viser4d_proto::{Recording, decode_recording};
    pub use viser4d_server::recording_to_html;
}

/// Archives: a recording as a folder or object-store prefix that any
/// static host plays block by block with no server.
/// [`Server::save_archive`] writes one, [`ServerBuilder::open_archive`]
/// loads one back; these convert and copy them. Object-store URLs
/// (`s3://`, `gs://`, `az://`) need the `object-store` feature.
pub mod archive {
    pub use viser4d_proto::archive::{ARCHIVE_VERSION, ArchiveError, ArchiveManifest};
    pub use viser4d_server::{ArchiveSummary, ArchiveTarget, copy_archive, recording_to_archive};
}

/// The block timeline store (keyed scene state, blocks, overrides, diff),
/// generic over its payload, for tools that want it without the server.
pub use viser4d_timeline as timeline;

/// The viser 1.1.1 wire protocol: every message type and the codecs.
pub use viser4d_proto as proto;
