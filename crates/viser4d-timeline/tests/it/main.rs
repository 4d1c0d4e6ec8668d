//! Integration tests of `viser4d-timeline`: one binary, one module per topic.

mod blocks;
mod client;
mod cursor;
mod model;
mod properties;
mod script;
mod spill;
mod store;
