//! Fails the build with one clear sentence when the embedded files are
//! missing, instead of a wall of `include_bytes!` errors: in a checkout they
//! are written by `cargo xtask dist`; a packaged crate carries them.

use std::path::Path;

/// Every file `src/lib.rs` embeds, relative to `assets/`.
const FILES: [&str; 7] = [
    "index.html",
    "manifest.json",
    "runtime-version",
    "LICENSE-viser",
    "viser4d/viser4d_runtime.js",
    "viser4d/viser4d_runtime_bg.wasm",
    "viser4d/viser4d_runtime_inline.js",
];

/// What the `plotly` feature embeds.
const PLOTLY_FILES: [&str; 2] = ["plotly/plotly.min.js", "plotly/LICENSE-plotly"];

fn main() {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let assets = Path::new(&manifest_dir).join("assets");
    println!("cargo::rerun-if-changed=assets");
    let missing: Vec<&str> = FILES
        .iter()
        .copied()
        .filter(|name| !assets.join(name).is_file())
        .collect();
    let plotly = std::env::var_os("CARGO_FEATURE_PLOTLY").is_some();
    let missing: Vec<&str> = missing
        .into_iter()
        .chain(
            PLOTLY_FILES
                .iter()
                .copied()
                .filter(|name| plotly && !assets.join(name).is_file()),
        )
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "viser4d-assets: the viser client and the built runtime are missing from {} ({}); \
             in a viser4d-rs checkout, run `cargo xtask dist` to build them.",
            assets.display(),
            missing.join(", ")
        );
        std::process::exit(1);
    }
    for name in FILES.iter().chain(&PLOTLY_FILES) {
        println!("cargo::rerun-if-changed=assets/{name}");
    }
}
