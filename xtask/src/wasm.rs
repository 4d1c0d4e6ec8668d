//! The browser runtime: make sure the wasm32 target is installed, build
//! `viser4d-runtime-wasm` for it, and run wasm-bindgen (the library, pinned to
//! the same version as the `wasm-bindgen` crate) to get the JS glue and the
//! final `.wasm`.
//!
//! wasm-opt is deliberately not run: Debian's binaryen package is broken, and
//! the runtime is small enough that the saving does not justify a download.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context as _, Result, bail};

use crate::{digest, process, progress, workspace::Workspace};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
const RUNTIME_PACKAGE: &str = "viser4d-runtime-wasm";
/// The name the bundle uses: `viser4d_runtime.js` + `viser4d_runtime_bg.wasm`.
const OUT_NAME: &str = "viser4d_runtime";
/// Must equal the `=` pin of `wasm-bindgen-cli-support` in the workspace
/// manifest; part of the stamp so a version bump regenerates the glue.
const BINDGEN_VERSION: &str = "0.2.130";
/// The options passed to wasm-bindgen below, recorded in the stamp so that
/// changing them regenerates the output.
const BINDGEN_OPTIONS: &str = "web, no typescript, default module path";

/// The wasm-bindgen output for the runtime.
#[derive(Debug, Clone)]
pub struct Runtime {
    pub js: PathBuf,
    pub wasm: PathBuf,
}

/// Install the wasm32 target for the active toolchain if it is missing.
pub fn ensure_target() -> Result<()> {
    if target_installed()? {
        println!("toolchain: {WASM_TARGET} is installed");
        return Ok(());
    }
    println!("toolchain: installing {WASM_TARGET}");
    process::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
        .with_context(|| format!("installing the {WASM_TARGET} target"))
}

fn target_installed() -> Result<bool> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = process::capture(Command::new(rustc).args([
        "--print",
        "target-libdir",
        "--target",
        WASM_TARGET,
    ]))?;
    if !output.status.success() {
        return Ok(false);
    }
    let libdir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    // The directory exists only when the target's standard library is installed.
    let has_core = fs::read_dir(&libdir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("libcore-"))
    });
    Ok(has_core)
}

/// Build the runtime for wasm32 (cargo skips it when unchanged) and run
/// wasm-bindgen when the built module differs from the one last processed.
pub fn build_runtime(workspace: &Workspace) -> Result<Runtime> {
    ensure_target()?;
    process::run(workspace.cargo().args([
        "build",
        "--package",
        RUNTIME_PACKAGE,
        "--target",
        WASM_TARGET,
        "--release",
    ]))
    .context("building the wasm runtime")?;

    let input = workspace
        .target_dir
        .join(WASM_TARGET)
        .join("release")
        .join(format!("{}.wasm", RUNTIME_PACKAGE.replace('-', "_")));
    if !input.is_file() {
        bail!(
            "cargo built {RUNTIME_PACKAGE} but {} is missing",
            input.display()
        );
    }
    let out_dir = workspace.target_dir.join("wasm-bindgen");
    let runtime = Runtime {
        js: out_dir.join(format!("{OUT_NAME}.js")),
        wasm: out_dir.join(format!("{OUT_NAME}_bg.wasm")),
    };
    let stamp = out_dir.join(".input");
    let expected = format!(
        "wasm-bindgen {BINDGEN_VERSION} ({BINDGEN_OPTIONS}) {}",
        digest::sha256_file(&input)?
    );
    if runtime.js.is_file() && runtime.wasm.is_file() && digest::stamp_matches(&stamp, &expected) {
        println!(
            "wasm-bindgen: {} is up to date",
            workspace.display(&out_dir)
        );
        return Ok(runtime);
    }
    bindgen(&input, &out_dir)?;
    digest::write_stamp(&stamp, &expected)?;
    println!("wasm-bindgen: wrote {}", workspace.display(&out_dir));
    Ok(runtime)
}

fn bindgen(input: &Path, out_dir: &Path) -> Result<()> {
    if out_dir.exists() {
        fs::remove_dir_all(out_dir).with_context(|| format!("clearing {}", out_dir.display()))?;
    }
    fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let spinner = progress::spinner("running wasm-bindgen (web target)");
    let result = wasm_bindgen_cli_support::Bindgen::new()
        .input_path(input)
        .out_name(OUT_NAME)
        .web(true)
        .and_then(|bindgen| {
            // Unlike the CLI, the library leaves out the default module path by
            // default; with it, `init()` loads `viser4d_runtime_bg.wasm` from
            // beside the JS file.
            bindgen
                .typescript(false)
                .omit_default_module_path(false)
                .generate(out_dir)
        });
    spinner.finish_and_clear();
    result.with_context(|| format!("wasm-bindgen on {}", input.display()))
}
