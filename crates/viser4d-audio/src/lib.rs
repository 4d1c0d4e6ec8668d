//! `viser4d-audio`: the audio track model of viser4d.
//!
//! Owns tracks (name, sample rate, channel count, interleaved `f32` samples,
//! volume, start step), contiguous appends, and cutting the samples that
//! cover a step range so a timeline block carries exactly its own audio.
//!
//! It is pure data: no I/O, no tokio, no Web Audio. It builds for
//! `wasm32-unknown-unknown` and is shared by the server and the browser
//! runtime. It depends only on `viser4d-proto`, never on the server or the
//! timeline store.
//!
//! Status: the track model is specified by the audio issue and not built
//! yet; this crate exports nothing until then.
