//! `viser4d-server`: the network server and the public Rust API of viser4d.
//!
//! It owns the HTTP + WebSocket listener (hyper and tokio-tungstenite on
//! one port), connected clients and their outboxes, the scene and GUI API,
//! the recording API (`Server::at`, `Server::audio`), playback control, and
//! export (`Server::serialize`, `Server::as_html`). The page and the
//! runtime it serves come embedded from `viser4d-assets`.
//!
//! It is the only crate that opens sockets or runs a tokio runtime. It
//! depends on `viser4d-proto`, `viser4d-timeline`, `viser4d-audio` and
//! `viser4d-assets`; only the `viser4d` facade, the `viser4d-cli` command
//! and the examples depend on it. Users depend on the facade.
//!
//! ```no_run
//! use viser4d_server::scene::{PointCloudOptions, PointColors};
//! use viser4d_server::Server;
//!
//! let server = Server::builder().port(8080).start()?;
//! let points: Vec<[f32; 3]> = (0..1000).map(|i| [i as f32 * 0.01, 0.0, 0.0]).collect();
//! server.scene().add_point_cloud("/points", &points, PointColors::Uniform([255, 0, 0]), PointCloudOptions::default())?;
//! println!("open {}", server.url());
//! server.sleep_forever();
//! # Ok::<(), viser4d_server::ServerError>(())
//! ```

#![deny(missing_docs)]

mod access;
pub mod api_map;
mod archive;
mod bundle;
mod callbacks;
mod client;
mod connection;
mod convert;
mod dispatch;
mod error;
pub mod gui;
mod http;
mod outbox;
mod replay;
mod requests;
pub mod scene;
mod server;
mod shared;
mod timeline;
mod validate;

pub use archive::{ArchiveSummary, ArchiveTarget, copy_archive, recording_to_archive};
pub use callbacks::CallbackId;
pub use client::{CameraState, ClientHandle};
pub use error::{Result, ServerError};
pub use requests::{LocalStorage, RenderFormat, RenderOptions, RenderedImage};
pub use server::{
    AtomicBatch, BLOCK_SIZE_ENV, CLIENT_CACHE_ENV, DEFAULT_BLOCK_SIZE, DEFAULT_CLIENT_CACHE_BYTES,
    DEFAULT_FPS, Server, ServerBuilder, ServerStats,
};
pub use shared::ClientId;
pub use timeline::{
    AudioApi, AudioHandle, ClientPlayback, PlaybackCallback, Retention, StepGuard,
    TimestepCallback, recording_to_html,
};
