//! The one integration-test binary of `viser4d-server`.

mod archive;
mod audio;
mod backpressure;
mod browser;
mod export;
mod http;
mod live;
mod load;
mod network;
mod noise;
mod playback;
mod protocol;
mod recording;
mod static_host;
mod support;
mod throttle;
mod viser_api;
mod webdriver;
