//! The one integration-test binary of `viser4d-proto`.

mod drift;
mod fixtures;
