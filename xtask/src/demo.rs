//! `cargo xtask demo`: build the bundle (which the assets crate embeds),
//! then run the main example (`cargo run -p viser4d-examples --bin
//! quickstart --release`), a recorded scene served to the browser.

use anyhow::{Context as _, Result};

use crate::{dist, process, workspace::Workspace};

const EXAMPLES_PACKAGE: &str = "viser4d-examples";
const MAIN_EXAMPLE: &str = "quickstart";

pub fn run(workspace: &Workspace) -> Result<()> {
    let bundle = dist::run(workspace)?;
    let mut cargo = workspace.cargo();

    process::run(cargo.args([
        "run",
        "--package",
        EXAMPLES_PACKAGE,
        "--bin",
        MAIN_EXAMPLE,
        "--release",
    ]))
    .with_context(|| {
        format!(
            "running the demo (bundle in {})",
            workspace.display(&bundle.dir)
        )
    })
}
