//! `cargo xtask test [--long]`: the one command that runs every check and
//! test, cheapest first, stopping at the first failure. `.ci/run` calls it.
//!
//! Tests get `VISER4D_CLIENT_DIR` (the extracted viser client and
//! `_messages.py`) and `VISER4D_TEST_MOTO` (an S3-compatible server to
//! start); the bundle reaches them embedded, through the assets
//! crate, as it reaches users. `--long` also sets
//! `VISER4D_PROPTEST_CASES=20000`.

use std::{ffi::OsString, process::Command, time::Instant};

use anyhow::{Result, bail};

use crate::{dist, fuzz, msrv, package, process, progress, s3, wasm, workspace::Workspace};

/// Crates that must keep compiling for the browser.
const WASM_CRATES: [&str; 5] = [
    "viser4d-zstd",
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
    stages.run("browser test tools", ensure_browser_tools)?;
    stages.run("msrv (dependencies)", || msrv::check(workspace))?;
    let mut test_env: Vec<(&str, OsString)> = Vec::new();
    stages.run("dist (viser client + wasm runtime bundle)", || {
        let bundle = dist::run(workspace)?;
        test_env.push(("VISER4D_CLIENT_DIR", bundle.client.dir.into_os_string()));
        Ok(())
    })?;
    stages.run("S3-compatible test server (moto)", || {
        let moto = s3::ensure(workspace)?;
        test_env.push((s3::MOTO_ENV, moto.into_os_string()));
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
    stages.run("docs (published crates, warnings denied)", || {
        let mut command = cargo();
        command
            .env("RUSTDOCFLAGS", "-D warnings")
            .args(["doc", "--no-deps"]);
        for krate in package::PUBLISHED {
            command.args(["--package", krate]);
        }
        process::run(&mut command)
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

    stages.run("fuzz (every target, bounded)", || {
        let options = fuzz::Options {
            seconds: fuzz::TEST_SECONDS,
            runs: 0,
            targets: Vec::new(),
        };
        fuzz::run(workspace, &options).map(drop)
    })?;

    stages.run(
        "packaging (the published crates, used from outside)",
        || {
            let report = package::run(workspace)?;
            println!(
                "package: {} crates packaged, scratch build {}",
                report.crates.len(),
                progress::seconds(report.build)
            );
            Ok(())
        },
    )?;

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

const BROWSER_PACKAGES: [&str; 2] = ["chromium", "chromium-driver"];

/// The browser tests (ordinary cargo tests driving Chromium through
/// ChromeDriver) and the packaging check need both programs. As root on
/// Debian they are installed here, as the rest of the test set-up is; else
/// this says in one line what to install, instead of failing minutes later
/// inside a test.
fn ensure_browser_tools() -> Result<()> {
    let missing = || {
        ["chromedriver", "chromium"]
            .into_iter()
            .any(|t| !process::on_path(t))
    };
    if missing() {
        let install = format!(
            "apt-get install -y --no-install-recommends {}",
            BROWSER_PACKAGES.join(" ")
        );
        if !(is_root() && process::on_path("apt-get")) {
            bail!(
                "Chromium and ChromeDriver are needed for the browser tests and are not on PATH; install them as root (Debian: {install})"
            );
        }
        println!(
            "browser test tools: installing {}",
            BROWSER_PACKAGES.join(" ")
        );
        process::run(Command::new("apt-get").args(["update", "-qq"]))?;
        process::run(
            Command::new("apt-get")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(["install", "-y", "-qq", "--no-install-recommends"])
                .args(BROWSER_PACKAGES),
        )?;
        if missing() {
            bail!("`{install}` ran, but chromium or chromedriver is still not on PATH");
        }
    }
    check_browser_tools()
}

fn is_root() -> bool {
    process::capture(Command::new("id").arg("-u"))
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
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
