//! The one integration-test binary of `viser4d-proto`.

mod drift;
mod entity;
mod fixtures;
mod hostile;
mod roundtrip;
mod snapshots;
mod strategies;
mod stream;
