//! The one integration-test binary of `viser4d-cli`: the `viser4d` command
//! as a user runs it.

mod archive;
mod cli;
mod support;
// The browser driver is the server's; one copy, shared by path.
#[path = "../../../viser4d-server/tests/it/webdriver.rs"]
#[allow(dead_code)] // this binary uses part of it
mod webdriver;
