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
/// The cargo profile for the runtime (size-optimized; see the workspace manifest).
const WASM_PROFILE: &str = "wasm-release";
/// The name the bundle uses: `viser4d_runtime.js` + `viser4d_runtime_bg.wasm`.
const OUT_NAME: &str = "viser4d_runtime";
/// Must equal the `=` pin of `wasm-bindgen-cli-support` in the workspace
/// manifest; part of the stamp so a version bump regenerates the glue.
const BINDGEN_VERSION: &str = "0.2.130";
/// The options passed to wasm-bindgen below, recorded in the stamp so that
/// changing them regenerates the output.
const BINDGEN_OPTIONS: &str = "web, no typescript, default module path; no-modules inlined as base64 with a queue prelude (v2)";

/// The wasm-bindgen output for the runtime.
#[derive(Debug, Clone)]
pub struct Runtime {
    pub js: PathBuf,
    pub wasm: PathBuf,
    /// One classic script with the wasm inside (base64): what a `.viser`
    /// recording carries in a `RunJavascriptMessage`.
    pub inline_js: PathBuf,
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
        "--profile",
        WASM_PROFILE,
    ]))
    .context("building the wasm runtime")?;

    let input = workspace
        .target_dir
        .join(WASM_TARGET)
        .join(WASM_PROFILE)
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
        inline_js: out_dir.join(format!("{OUT_NAME}_inline.js")),
    };
    let stamp = out_dir.join(".input");
    let expected = format!(
        "wasm-bindgen {BINDGEN_VERSION} ({BINDGEN_OPTIONS}) {}",
        digest::sha256_file(&input)?
    );
    if runtime.js.is_file()
        && runtime.wasm.is_file()
        && runtime.inline_js.is_file()
        && digest::stamp_matches(&stamp, &expected)
    {
        println!(
            "wasm-bindgen: {} is up to date",
            workspace.display(&out_dir)
        );
        return Ok(runtime);
    }
    bindgen(&input, &out_dir)?;
    write_inline(&input, &out_dir, &runtime)?;
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

/// Runs before the (asynchronous) wasm start: in a recording, viser runs
/// this script and then, in the same batch, the timeline messages after it.
/// Until the runtime installs, they are kept in `window.__viser4dPending`
/// (taken from the queue and from later pushes); the runtime takes the
/// queue back and replays them first.
const PRELUDE: &str = r#"(function () {
  const m = window.__viserMutable;
  if (!m || !Array.isArray(m.messageQueue) || window.__viser4dPending) return;
  const q = m.messageQueue;
  const mine = (x) => x && typeof x.type === 'string' && x.type.startsWith('Timeline');
  const pending = q.filter(mine);
  const push = q.push;
  q.push = function (...xs) {
    const rest = [];
    for (const x of xs) (mine(x) ? pending : rest).push(x);
    return rest.length ? push.apply(this, rest) : this.length;
  };
  window.__viser4dPending = { messages: pending, restore: () => { q.push = push; } };
})();"#;

/// The single-source runtime: wasm-bindgen's `no-modules` glue and the
/// wasm bytes (base64) in one classic script that guards itself, so viser
/// can run it with `new Function` (again after every reconnect) and an
/// HTML page can inline it.
fn write_inline(input: &Path, out_dir: &Path, runtime: &Runtime) -> Result<()> {
    let dir = out_dir.join("no-modules");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let spinner = progress::spinner("running wasm-bindgen (no-modules target)");
    let result = wasm_bindgen_cli_support::Bindgen::new()
        .input_path(input)
        .out_name(OUT_NAME)
        .no_modules(true)
        .and_then(|bindgen| bindgen.typescript(false).generate(&dir));
    spinner.finish_and_clear();
    result.with_context(|| format!("wasm-bindgen (no-modules) on {}", input.display()))?;
    let glue_path = dir.join(format!("{OUT_NAME}.js"));
    let glue = fs::read_to_string(&glue_path)
        .with_context(|| format!("reading {}", glue_path.display()))?;
    let wasm_path = dir.join(format!("{OUT_NAME}_bg.wasm"));
    let wasm = fs::read(&wasm_path).with_context(|| format!("reading {}", wasm_path.display()))?;
    let script = format!(
        "// viser4d runtime {version}: wasm-bindgen glue and the module inline.\n\
         (function () {{\n\
         if (typeof window === 'undefined' || window.__viser4dRuntime) return;\n\
         {prelude}\n\
         {glue}\n\
         const b64 = \"{b64}\";\n\
         const bin = atob(b64);\n\
         const bytes = new Uint8Array(bin.length);\n\
         for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);\n\
         wasm_bindgen({{ module_or_path: bytes }}).catch((e) => console.error('viser4d runtime failed to start', e));\n\
         }})();\n",
        version = env!("CARGO_PKG_VERSION"),
        prelude = PRELUDE,
        b64 = viser4d_proto::base64_encode(&wasm),
    );
    fs::write(&runtime.inline_js, script)
        .with_context(|| format!("writing {}", runtime.inline_js.display()))
}
