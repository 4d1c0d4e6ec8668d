//! The viser4d browser runtime, compiled to WebAssembly and loaded into the
//! stock viser 1.1.1 client page (served under `/viser4d/` by the server, or
//! inlined into an exported `.viser` file / HTML page as one JS source).
//!
//! # What it owns
//!
//! - The per-tab transport ([`player`]): play/pause, current step, speed and
//!   loop live here, in each tab, and never round-trip through the server to
//!   take effect.
//! - The block cache ([`cache`]): fetching the blocks a step needs,
//!   preloading ahead while playing within the byte budget (one speculative
//!   request at a time), evicting least recently used blocks and telling the
//!   server, and taking the blocks the server refreshes.
//! - Applying steps into the viser client ([`controller`]): moving forward
//!   by each crossed step's messages or jumping by a diff, with the same
//!   `viser4d-timeline` cursor the server uses, pushed into
//!   `window.__viserMutable.messageQueue` as the plain objects (typed-array
//!   fields) viser expects.
//! - Audio ([`audio_plan`]; Web Audio in module `webaudio`, wasm only): each
//!   block carries its steps' samples; sources start ahead of the playhead
//!   at `playbackRate = speed`, a gain per track follows its volume, and
//!   drift beyond 50 ms (or any jump) restarts them at the right offset.
//! - The playback bar (module `ui`, wasm only, with a "click to enable
//!   audio" prompt while the browser holds audio back) and
//!   `window.__viser4dRuntime` (status, stats, controls for tests).
//!
//! # Architecture invariants
//!
//! - It never does I/O of its own: everything it receives or sends goes
//!   through the viser page (the `messageQueue` seam inbound, `sendMessage`
//!   outbound).
//! - One copy of the fold/diff logic: `viser4d-timeline`, shared with the
//!   server; the wire types come from `viser4d-proto::timeline`. Payloads
//!   stay packed msgpack until the moment they are pushed, so the runtime
//!   links none of viser's 119 message types.
//! - It depends only on crates that compile to wasm32 (proto, timeline,
//!   wasm-bindgen and its `*-sys` crates): never on `viser4d-server`, tokio
//!   or anything that opens sockets or files.
//! - The browser glue is thin: the logic ([`controller`], [`player`],
//!   [`cache`]) builds and is tested on the host.

pub mod audio_plan;
pub mod cache;
pub mod controller;
pub mod player;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod archive;
#[cfg(target_arch = "wasm32")]
mod js;
#[cfg(target_arch = "wasm32")]
mod plot_cursor;
#[cfg(target_arch = "wasm32")]
mod recording;
#[cfg(target_arch = "wasm32")]
mod ui;
#[cfg(target_arch = "wasm32")]
mod webaudio;

/// The runtime's version, as reported in `window.__viser4dRuntime.version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Name of the global the runtime sets on `window`; end-to-end tests read
/// its `status` and `stats()`.
pub const GLOBAL_NAME: &str = "__viser4dRuntime";

#[cfg(target_arch = "wasm32")]
mod entry {
    use wasm_bindgen::prelude::*;

    /// Runs once when the wasm module is instantiated. A page that already
    /// has a runtime (the served page plus one inlined in a recording)
    /// keeps the first.
    #[wasm_bindgen(start)]
    fn start() -> Result<(), JsValue> {
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("viser4d: no window"))?;
        let existing = js_sys::Reflect::get(&window, &super::GLOBAL_NAME.into())?;
        if existing.is_object() {
            return Ok(());
        }
        let global = js_sys::Object::new();
        js_sys::Reflect::set(&global, &"version".into(), &super::VERSION.into())?;
        js_sys::Reflect::set(&global, &"status".into(), &"loaded".into())?;
        js_sys::Reflect::set(&window, &super::GLOBAL_NAME.into(), &global)?;
        // A panic traps the module; say why, on the console and on the
        // global object (where tests and users look first).
        let on_panic = global.clone();
        std::panic::set_hook(Box::new(move |info| {
            let message = format!("viser4d runtime panicked: {info}");
            web_sys::console::error_1(&message.as_str().into());
            let _ = js_sys::Reflect::set(&on_panic, &"panic".into(), &message.as_str().into());
            let _ = js_sys::Reflect::set(&on_panic, &"status".into(), &"panicked".into());
        }));
        web_sys::console::log_1(
            &concat!("viser4d runtime ", env!("CARGO_PKG_VERSION"), " loaded").into(),
        );
        super::app::start(global.into())
    }
}
