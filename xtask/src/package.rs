//! The packaging check: what a user gets from a registry, tried outside
//! this checkout.
//!
//! 1. `cargo package` every published crate (cargo resolves their
//!    dependencies on each other through a local overlay of the packages
//!    just made); each `.crate` must stay under the registry's 10 MB cap.
//! 2. Unpack them in a directory outside the workspace, next to a scratch
//!    program whose manifest depends on `viser4d = "0.1.0"` only, as a
//!    user's would, with `[patch.crates-io]` pointing the viser4d crates at
//!    the unpacked packages (they are not on the registry yet). The
//!    packaged `viser4d-cli` is built in the same scratch workspace.
//!    No xtask, no `VISER4D_*` variable, no path into the checkout: the
//!    build runs with the environment cleared of them and its own target
//!    directory. Building the packaged sources is the verification, so
//!    `cargo package` runs with `--no-verify`.
//! 3. Run the program: it records a short timeline and exports it. Headless
//!    Chromium opens its page, sees the playback bar, presses play and
//!    waits for the last step.
//! 4. Run the packaged `viser4d info` on the export, then `viser4d serve`
//!    it; Chromium plays the served recording to its last step.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::webdriver::ChromeDriver;
use crate::{process, progress, workspace::Workspace};

/// The crates users get from the registry, in dependency order.
pub const PUBLISHED: [&str; 8] = [
    "viser4d-zstd",
    "viser4d-proto",
    "viser4d-timeline",
    "viser4d-audio",
    "viser4d-assets",
    "viser4d-server",
    "viser4d",
    "viser4d-cli",
];

/// crates.io refuses larger crates.
const MAX_CRATE_BYTES: u64 = 10 * 1000 * 1000;

/// How long the browser may take for any one thing.
const DEADLINE: Duration = Duration::from_secs(60);

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Steps the scratch program records.
const STEPS: u32 = 12;

const APP_MAIN: &str = r#"//! A user's program: records a short timeline with viser4d from the
//! registry, exports it, serves it until stdin closes.

use std::io::BufRead as _;

use viser4d::scene::{PointCloudOptions, PointColors};
use viser4d::Server;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: app OUT.viser")?;
    let steps: u32 = 12;
    let server = Server::builder().host("127.0.0.1").port(0).num_steps(steps).fps(10.0).start()?;
    let ring = |t: u32| -> Vec<[f32; 3]> {
        (0..200)
            .map(|i| {
                let a = i as f32 * 0.0314 + t as f32 * 0.2;
                [a.cos(), a.sin(), t as f32 * 0.05]
            })
            .collect()
    };
    let cloud = {
        let _step = server.at(0)?;
        server.scene().add_point_cloud("/ring", &ring(0), PointColors::Uniform([230, 80, 30]), PointCloudOptions::default())?
    };
    for t in 1..steps {
        let _step = server.at(t)?;
        cloud.set_points(&ring(t))?;
    }
    std::fs::write(&out, server.serialize(0, None)?)?;
    println!("{}", server.url());
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(())
}
"#;

/// What the packaging check measured, for the summary.
#[derive(Debug)]
pub struct Report {
    pub crates: Vec<(String, u64)>,
    pub build: Duration,
}

pub fn run(workspace: &Workspace) -> Result<Report> {
    let crates = package(workspace)?;
    let scratch = scratch_dir()?;
    let unpacked = scratch.join("crates");
    if unpacked.exists() {
        std::fs::remove_dir_all(&unpacked)
            .with_context(|| format!("clearing {}", unpacked.display()))?;
    }
    for (name, _) in &crates {
        let file = workspace
            .target_dir
            .join("package")
            .join(format!("{name}-{VERSION}.crate"));
        unpack(&file, &unpacked)?;
    }
    write_scratch(&scratch, workspace)?;

    let started = Instant::now();
    let mut build = scrubbed(Command::new(cargo()));
    build
        .current_dir(&scratch)
        .args(["build", "--workspace"])
        .env("CARGO_TARGET_DIR", scratch.join("target"));
    process::run(&mut build).context("building the scratch program against the packages")?;
    let build_time = started.elapsed();
    println!(
        "package: the scratch program and viser4d-cli built from the packages in {}",
        progress::seconds(build_time)
    );

    let bin = scratch.join("target/debug");
    let export = scratch.join("run.viser");
    let driver = ChromeDriver::start(&scratch.join("browser"))?;
    let screenshots = workspace.target_dir.join("test-screenshots");

    // The program, its page, the bar, play to the end.
    let mut app = Served::spawn(
        scrubbed(Command::new(bin.join("app")))
            .arg(&export)
            .current_dir(&scratch),
    )?;
    let url = app.first_line()?;
    play_to_the_end(&driver, &url, &screenshots.join("package_app.png"))
        .context("the scratch program's page")?;
    drop(app);

    // The packaged command on the export.
    let info = process::capture(
        scrubbed(Command::new(bin.join("viser4d")))
            .arg("info")
            .arg(&export),
    )?;
    let text = String::from_utf8_lossy(&info.stdout);
    if !info.status.success() || !text.contains(&format!("{STEPS} steps")) {
        bail!(
            "`viser4d info` on the export: status {}, output:\n{text}{}",
            info.status,
            String::from_utf8_lossy(&info.stderr)
        );
    }
    println!("package: `viser4d info` read the export");
    let mut serve = Served::spawn(
        scrubbed(Command::new(bin.join("viser4d")))
            .arg("serve")
            .arg(&export)
            .args(["--port", "0"])
            .current_dir(&scratch),
    )?;
    let line = serve.first_line()?;
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .with_context(|| format!("no URL in `viser4d serve`'s line {line:?}"))?
        .to_owned();
    play_to_the_end(&driver, &url, &screenshots.join("package_cli_serve.png"))
        .context("`viser4d serve` of the export")?;
    drop(serve);
    Ok(Report {
        crates,
        build: build_time,
    })
}

/// `cargo package` the published crates; their `.crate` sizes.
fn package(workspace: &Workspace) -> Result<Vec<(String, u64)>> {
    let mut cargo = workspace.cargo();
    cargo.args(["package", "--no-verify", "--allow-dirty"]);
    for name in PUBLISHED {
        cargo.args(["--package", name]);
    }
    process::run(&mut cargo)?;
    let mut sizes = Vec::new();
    for name in PUBLISHED {
        let file = workspace
            .target_dir
            .join("package")
            .join(format!("{name}-{VERSION}.crate"));
        let bytes = std::fs::metadata(&file)
            .with_context(|| format!("reading {}", file.display()))?
            .len();
        if bytes > MAX_CRATE_BYTES {
            bail!(
                "{name} packages to {} (the registry's cap is 10 MB)",
                progress::bytes(bytes)
            );
        }
        println!(
            "  {:<18} {:>10}",
            format!("{name}.crate"),
            progress::bytes(bytes)
        );
        sizes.push((name.to_owned(), bytes));
    }
    Ok(sizes)
}

/// A fixed directory outside the checkout (so a second run builds
/// incrementally).
fn scratch_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join("viser4d-package-check");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn unpack(file: &Path, into: &Path) -> Result<()> {
    std::fs::create_dir_all(into).with_context(|| format!("creating {}", into.display()))?;
    // `-m`: the files get the time of unpacking, not the fixed time cargo
    // stamps into packages; else the scratch build's cache, kept between
    // runs, would look newer than changed sources and not rebuild them.
    let status = Command::new("tar")
        .arg("-xzmf")
        .arg(file)
        .arg("-C")
        .arg(into)
        .status()
        .context("running tar (the packages are .tar.gz)")?;
    if !status.success() {
        bail!("tar could not unpack {}", file.display());
    }
    Ok(())
}

/// The scratch workspace: the program, and the packaged CLI as a member.
fn write_scratch(scratch: &Path, workspace: &Workspace) -> Result<()> {
    let patches: String = PUBLISHED
        .iter()
        .map(|name| format!("{name} = {{ path = \"crates/{name}-{VERSION}\" }}\n"))
        .collect();
    let manifest = format!(
        "[workspace]\nresolver = \"3\"\nmembers = [\"app\", \"crates/viser4d-cli-{VERSION}\"]\n\n\
         # Not on the registry yet: the packages stand in for it.\n[patch.crates-io]\n{patches}"
    );
    let app_manifest = format!(
        "[package]\nname = \"app\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nviser4d = \"{VERSION}\"\n"
    );
    let write = |path: PathBuf, text: &str| -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    };
    write(scratch.join("Cargo.toml"), &manifest)?;
    write(scratch.join("app/Cargo.toml"), &app_manifest)?;
    write(scratch.join("app/src/main.rs"), APP_MAIN)?;
    // The same dependency versions as the workspace, so the check tests
    // the code and not a new release of a dependency (cargo drops what the
    // scratch workspace does not use).
    let lock = std::fs::read(workspace.root.join("Cargo.lock")).context("reading Cargo.lock")?;
    std::fs::write(scratch.join("Cargo.lock"), lock).context("writing the scratch Cargo.lock")
}

/// The cargo that runs xtask.
fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// `command` without anything that could point it back at the checkout.
fn scrubbed(mut command: Command) -> Command {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("VISER4D_")
            || key.starts_with("CARGO_PKG")
            || key.starts_with("CARGO_MANIFEST")
            || key == "CARGO_TARGET_DIR"
            || key == "RUSTFLAGS"
        {
            command.env_remove(&key);
        }
    }
    command
}

/// Opens `url`, waits for the bar and step 0, presses play, waits for the
/// last step, screenshots.
fn play_to_the_end(driver: &ChromeDriver, url: &str, screenshot: &Path) -> Result<()> {
    let tab = driver.session()?;
    tab.open(url)?;
    tab.wait_for(
        "the playback bar at step 0",
        "const bar = document.querySelector('[data-viser4d-playback]');
         const r = window.__viser4dRuntime;
         return bar && bar.getBoundingClientRect().width > 0 && r && r.stats && r.stats().shown === 0;",
        DEADLINE,
    )?;
    tab.eval("document.querySelector('[data-viser4d-role=play]').click(); return true;")?;
    tab.wait_for(
        "playback to reach the last step",
        &format!(
            "const s = window.__viser4dRuntime.stats(); return s.shown === {};",
            STEPS - 1
        ),
        DEADLINE,
    )?;
    tab.screenshot(screenshot)?;
    println!(
        "package: {url} played to step {} ({})",
        STEPS - 1,
        screenshot.display()
    );
    Ok(())
}

/// A process that prints a URL line first, killed when dropped.
struct Served {
    child: Child,
}

impl Served {
    fn spawn(command: &mut Command) -> Result<Served> {
        let child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", process::describe(command)))?;
        Ok(Served { child })
    }

    fn first_line(&mut self) -> Result<String> {
        let stdout = self.child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the program's first line")?;
        if line.trim().is_empty() {
            let status = self.child.wait().ok();
            bail!("the program printed no URL (exit: {status:?})");
        }
        Ok(line.trim().to_owned())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
