//! The one integration-test binary of `viser4d-server`.

mod backpressure;
mod browser;
mod http;
mod load;
mod playback;
mod recording;
mod protocol;
mod support;
mod webdriver;
