//! The one integration-test binary of `viser4d-server`.
