//! `viser4d-server`: the network server and the public Rust API of viser4d.
//!
//! Owns the HTTP + WebSocket listener (hyper and tokio-tungstenite on one
//! port), connected clients, the scene and GUI API, the recording API
//! (`at(t)`), playback control, callbacks, and export.
//!
//! It is the only crate that opens sockets or spawns a tokio runtime. It
//! depends on `viser4d-proto`, `viser4d-timeline` and `viser4d-audio`;
//! nothing depends on it except the examples and the `viser4d` facade.
//!
//! Status: the live server is specified by issue 4 and not built yet; this
//! crate exports nothing until then.
