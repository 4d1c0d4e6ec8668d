//! `cargo xtask demo`: build the bundle, then run the main example, a live
//! scene served to the browser.
//!
//! Until the live server lands the `viser4d-examples` package has no
//! `quickstart` binary: then the demo builds the examples and says so. Once the
//! binary exists it is run (`cargo run -p viser4d-examples --bin quickstart
//! --release`) with no change here.

use anyhow::{Context as _, Result};

use crate::{dist, process, workspace::Workspace};

const EXAMPLES_PACKAGE: &str = "viser4d-examples";
const MAIN_EXAMPLE: &str = "quickstart";

pub fn run(workspace: &Workspace) -> Result<()> {
    let bundle = dist::run(workspace)?;
    let mut cargo = workspace.cargo();
    cargo
        .env("VISER4D_DIST_DIR", &bundle.dir)
        .env("VISER4D_CLIENT_DIR", &bundle.client.dir);

    if has_main_example(workspace)? {
        return process::run(cargo.args([
            "run",
            "--package",
            EXAMPLES_PACKAGE,
            "--bin",
            MAIN_EXAMPLE,
            "--release",
        ]));
    }
    process::run(cargo.args(["build", "--package", EXAMPLES_PACKAGE, "--release"]))?;
    println!(
        "\ndemo: built {EXAMPLES_PACKAGE} and the bundle in {}.\n\
         demo: serving a scene arrives with the live-server issue (the `{MAIN_EXAMPLE}` example); \
         nothing to run yet.",
        workspace.display(&bundle.dir)
    );
    Ok(())
}

/// Whether the examples package declares the `quickstart` binary.
fn has_main_example(workspace: &Workspace) -> Result<bool> {
    let output = process::capture(workspace.cargo().args([
        "metadata",
        "--no-deps",
        "--format-version",
        "1",
    ]))?;
    if !output.status.success() {
        anyhow::bail!(
            "`cargo metadata` failed: {}",
            process::last_line(&output.stderr)
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("parsing `cargo metadata`")?;
    let packages = metadata["packages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let found = packages
        .iter()
        .filter(|package| package["name"] == EXAMPLES_PACKAGE)
        .flat_map(|package| {
            package["targets"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
        })
        .any(|target| {
            target["name"] == MAIN_EXAMPLE
                && target["kind"]
                    .as_array()
                    .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"))
        });
    Ok(found)
}
