//! Runnable viser4d examples, one binary each under `examples/src/bin/`.
//!
//! The examples use only the public API of `viser4d-server`; they are the
//! first users of that API and must never reach into crate internals.
