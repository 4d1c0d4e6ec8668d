//! The viser4d browser runtime, compiled to WebAssembly and loaded into the
//! stock viser 1.1.1 client page (served under `/viser4d/` by the server, or
//! inlined into an exported `.viser` file / HTML page).
//!
//! # What it owns
//!
//! - The per-tab transport: play/pause, current step, speed and loop live here,
//!   in each tab, and never round-trip through the server to take effect.
//! - The block cache: fetching, preloading and evicting timeline blocks within
//!   the client's byte budget, and refetching blocks the server invalidates.
//! - Applying steps into the viser client: moving forward by step deltas or
//!   jumping by a diff, pushed into `window.__viserMutable.messageQueue` as the
//!   plain objects (with typed-array fields) the client expects.
//! - The playback bar and Web Audio playback kept in sync with the steps.
//!
//! # Architecture invariants
//!
//! - It never does I/O of its own: everything it receives or sends goes through
//!   the viser page (the `messageQueue` seam inbound, `sendMessage` outbound).
//! - It shares the fold/diff code with the server through `viser4d-timeline`
//!   (one copy of that logic, not two), and the wire types through
//!   `viser4d-proto`.
//! - It depends only on crates that compile to wasm32 (proto, timeline, audio,
//!   wasm-bindgen and its `*-sys` crates): never on `viser4d-server`, tokio or
//!   anything that opens sockets or files.
//!
//! # Who uses it
//!
//! `cargo xtask dist` builds it with wasm-bindgen's `web` target into the
//! bundle (`target/dist/viser4d/viser4d_runtime.js` and
//! `viser4d_runtime_bg.wasm`), which the server serves and injects into the
//! client page.
//!
//! # Status
//!
//! Only the loading hook exists so far. When the module starts it records that
//! it loaded, as `window.__viser4dRuntime = { version, status: "loaded" }`, and
//! logs one console line; it plays nothing yet. On the host this crate is an
//! empty library so that workspace-wide checks build it.

/// The runtime's version, as reported in `window.__viser4dRuntime.version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Name of the global the runtime sets on `window` once loaded; end-to-end
/// tests read it to know the runtime arrived.
pub const GLOBAL_NAME: &str = "__viser4dRuntime";

#[cfg(target_arch = "wasm32")]
mod load_marker {
    use wasm_bindgen::prelude::*;

    /// Runs once when the wasm module is instantiated: the glue's `init()`
    /// calls it.
    #[wasm_bindgen(start)]
    fn start() -> Result<(), JsValue> {
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("viser4d: no window"))?;
        let marker = js_sys::Object::new();
        js_sys::Reflect::set(&marker, &"version".into(), &super::VERSION.into())?;
        js_sys::Reflect::set(&marker, &"status".into(), &"loaded".into())?;
        js_sys::Reflect::set(&window, &super::GLOBAL_NAME.into(), &marker)?;
        // A literal rather than `format!` keeps the formatting machinery out of the module.
        web_sys::console::log_1(
            &concat!("viser4d runtime ", env!("CARGO_PKG_VERSION"), " loaded").into(),
        );
        Ok(())
    }
}
