//! Rust types for every viser 1.1.1 message class and the dataclasses and
//! TypedDicts they contain, generated from `viser/_messages.py`.

pub(crate) mod generated;

pub use generated::*;
