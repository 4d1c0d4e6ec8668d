//! `cargo xtask fixtures`: regenerate the proto crate's byte fixtures with
//! the real Python viser 1.1.1, installed into a throwaway venv under
//! `target/`. Needs network access to PyPI; CI does not run it (the fixtures
//! are committed).

use std::{path::Path, process::Command};

use anyhow::{Context as _, Result, bail};

use crate::{client::VISER_VERSION, process, progress, workspace::Workspace};

const FIXTURES_DIR: &str = "crates/viser4d-proto/tests/fixtures";
const SCRIPT: &str = "make_fixtures.py";

pub fn run(workspace: &Workspace) -> Result<()> {
    let fixtures = workspace.root.join(FIXTURES_DIR);
    let script = fixtures.join(SCRIPT);
    if !script.is_file() {
        bail!(
            "{} does not exist yet; it generates the fixtures",
            workspace.display(&script)
        );
    }
    let venv = workspace.target_dir.join("fixtures-venv");
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        create_venv(&venv)?;
    }
    if installed_viser_version(&python).as_deref() == Some(VISER_VERSION) {
        println!(
            "fixtures: viser {VISER_VERSION} already in {}",
            workspace.display(&venv)
        );
    } else {
        install_viser(&python)?;
    }
    process::run(
        Command::new(&python)
            .current_dir(&workspace.root)
            // Relative to the workspace root, as a person would type them.
            .arg(format!("{FIXTURES_DIR}/{SCRIPT}"))
            .arg(FIXTURES_DIR),
    )
    .context("generating the fixtures")?;
    println!("fixtures: wrote {}", workspace.display(&fixtures));
    Ok(())
}

fn create_venv(venv: &Path) -> Result<()> {
    let output = process::capture(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(venv),
    )?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("ensurepip") || stderr.contains("No module named venv") {
        bail!(
            "python3 cannot create a venv: install venv support (Debian: apt-get install python3-venv)"
        );
    }
    bail!(
        "`python3 -m venv` failed: {}",
        process::last_line(&output.stderr)
    )
}

fn installed_viser_version(python: &Path) -> Option<String> {
    let output = process::capture(Command::new(python).args([
        "-c",
        "import importlib.metadata as m; print(m.version('viser'))",
    ]))
    .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn install_viser(python: &Path) -> Result<()> {
    let spinner = progress::spinner(format!(
        "pip install viser=={VISER_VERSION} into the fixtures venv"
    ));
    let output = process::capture(
        Command::new(python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
            ])
            .arg(format!("viser=={VISER_VERSION}")),
    );
    spinner.finish_and_clear();
    let output = output?;
    if !output.status.success() {
        bail!(
            "pip install viser=={VISER_VERSION} failed (needs network access to PyPI): {}",
            process::last_line(&output.stderr)
        );
    }
    Ok(())
}
