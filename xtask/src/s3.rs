//! An S3-compatible server for the archive tests: `moto` (server mode)
//! from PyPI, installed once into a venv under `target/`. The tests start
//! it themselves, on loopback, from the path this returns
//! (`VISER4D_TEST_MOTO`).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Result, bail};

use crate::{process, progress, workspace::Workspace};

/// The moto release the tests are written against.
const MOTO: &str = "moto[server]==5.2.5";

/// Environment variable naming the `moto_server` program for the tests.
pub const MOTO_ENV: &str = "VISER4D_TEST_MOTO";

/// The `moto_server` program, installing it first if needed.
pub fn ensure(workspace: &Workspace) -> Result<PathBuf> {
    let venv = workspace.target_dir.join("moto-venv");
    let server = venv.join("bin").join("moto_server");
    let stamp = venv.join(".installed");
    if server.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == MOTO) {
        return Ok(server);
    }
    let spinner = progress::spinner(format!("installing {MOTO} with pip"));
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        process::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    let output = process::capture(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        MOTO,
    ]))?;
    spinner.finish_and_clear();
    if !output.status.success() {
        bail!(
            "installing {MOTO} failed: {}",
            process::last_line(&output.stderr)
        );
    }
    if !server.is_file() {
        bail!("pip installed {MOTO} but {} is missing", server.display());
    }
    std::fs::write(&stamp, MOTO)?;
    println!("moto: {}", server.display());
    Ok(server)
}
