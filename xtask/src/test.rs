//! `cargo xtask test [--long]`: the one command that runs every check and
//! test, cheapest first, stopping at the first failure. `.ci/run` calls it.
//!
//! Tests get `VISER4D_CLIENT_DIR` (the extracted viser client and
//! `_messages.py`); the bundle reaches them embedded, through the assets
//! crate, as it reaches users. `--long` also sets
//! `VISER4D_PROPTEST_CASES=20000`.

use std::{ffi::OsString, process::Command, time::Instant};

use anyhow::{Result, bail};

use crate::{dist, process, progress, wasm, workspace::Workspace};

/// Crates that must keep compiling for the browser.
const WASM_CRATES: [&str; 4] = [
    "viser4d-proto",
    "viser4d-timeline",
    "viser4d-audio",
    "viser4d-runtime-wasm",
];
const LONG_PROPTEST_CASES: &str = "20000";

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub long: bool,
}

pub fn run(workspace: &Workspace, options: Options) -> Result<()> {
    let started = Instant::now();
    let mut stages = Stages::default();

    stages.run("rustfmt", || {
        process::run(workspace.cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    stages.run("wasm32 target", wasm::ensure_target)?;
    stages.run("browser test tools", check_browser_tools)?;
    let mut test_env: Vec<(&str, OsString)> = Vec::new();
    stages.run("dist (viser client + wasm runtime bundle)", || {
        let bundle = dist::run(workspace)?;
        test_env.push(("VISER4D_CLIENT_DIR", bundle.client.dir.into_os_string()));
        Ok(())
    })?;
    if options.long {
        test_env.push(("VISER4D_PROPTEST_CASES", LONG_PROPTEST_CASES.into()));
    }
    // Every later cargo invocation sees the same environment, so a crate that
    // reads these variables at build time is not rebuilt between stages.
    let cargo = || {
        let mut command = workspace.cargo();
        command.envs(test_env.iter().map(|(key, value)| (key, value)));
        command
    };

    stages.run("clippy", || {
        process::run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    stages.run("wasm32 check", || {
        let mut command = cargo();
        command.args(["check", "--target", wasm::WASM_TARGET]);
        for krate in WASM_CRATES {
            command.args(["--package", krate]);
        }
        process::run(&mut command)
    })?;
    if nextest_available(workspace) {
        // nextest does not run doctests; run them first so the last runner
        // summary printed is nextest's.
        stages.run("doctests", || {
            process::run(cargo().args(["test", "--workspace", "--doc"]))
        })?;
        stages.run("tests (nextest)", || {
            process::run(cargo().args(["nextest", "run", "--workspace", "--no-tests=warn"]))
        })?;
    } else {
        stages.run("tests", || {
            process::run(cargo().args(["test", "--workspace"]))
        })?;
    }

    println!(
        "\nxtask test: {} stages ok in {} ({})",
        stages.timings.len(),
        progress::seconds(started.elapsed()),
        stages.timings.join(", ")
    );
    Ok(())
}

#[derive(Debug, Default)]
struct Stages {
    timings: Vec<String>,
}

impl Stages {
    fn run(&mut self, name: &str, stage: impl FnOnce() -> Result<()>) -> Result<()> {
        let number = self.timings.len() + 1;
        println!("\n==> stage {number}: {name}");
        let started = Instant::now();
        let result = stage();
        let elapsed = progress::seconds(started.elapsed());
        if let Err(err) = result {
            bail!("stage {number} ({name}) failed after {elapsed}: {err:#}");
        }
        println!("<== stage {number}: {name} ok in {elapsed}");
        self.timings.push(format!("{name} {elapsed}"));
        Ok(())
    }
}

fn nextest_available(workspace: &Workspace) -> bool {
    process::capture(workspace.cargo().args(["nextest", "--version"]))
        .is_ok_and(|output| output.status.success())
}

/// The browser tests (ordinary cargo tests in `viser4d-server` driving
/// Chromium through ChromeDriver) need both programs; say so up front
/// instead of failing minutes later inside a test.
fn check_browser_tools() -> Result<()> {
    const INSTALL: &str = "apt-get install -y --no-install-recommends chromium chromium-driver";
    for tool in ["chromedriver", "chromium"] {
        if !process::on_path(tool) {
            bail!(
                "{tool} is not on PATH; the browser tests need Chromium and ChromeDriver (Debian: {INSTALL})"
            );
        }
    }
    match process::capture(Command::new("chromedriver").arg("--version")) {
        Ok(output) if output.status.success() => {
            println!(
                "chromedriver: {}",
                String::from_utf8_lossy(&output.stdout).trim()
            );
            Ok(())
        }
        _ => bail!("`chromedriver --version` failed; reinstall it ({INSTALL})"),
    }
}
