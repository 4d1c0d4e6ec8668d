//! `cargo xtask dist`: the bundle the server serves, written into the
//! assets crate (`crates/viser4d-assets/assets/`, not in git), which embeds
//! it and ships it when packaged:
//!
//! ```text
//! index.html                        the stock viser 1.1.1 client, unmodified
//! LICENSE-viser                     the licence file of viser's wheel
//! viser4d/viser4d_runtime.js        wasm-bindgen glue (web target)
//! viser4d/viser4d_runtime_bg.wasm   the browser runtime
//! viser4d/viser4d_runtime_inline.js the same, one classic script with the wasm inline
//! runtime-version                   "<version> protocol <revision>" of that runtime
//! plotly/plotly.min.js              plotly.js-dist-min (MIT), for the `plotly` feature
//! plotly/LICENSE-plotly             its licence
//! manifest.json                     every file above with its size and sha256
//! ```
//!
//! Each step is skipped when its input is unchanged (wheel hash, extraction
//! stamp, cargo's own freshness, wasm-bindgen input hash, file contents), so a
//! second run only costs a `cargo build` no-op and a few hashes.

use std::{
    fs,
    io::Write as _,
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::{Context as _, Result};

use crate::{client, digest, plotly, progress, wasm, workspace::Workspace};

/// The assembled bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// `crates/viser4d-assets/assets/`.
    pub dir: PathBuf,
    /// The extracted client, exported to tests as `VISER4D_CLIENT_DIR`.
    pub client: client::Client,
}

pub fn run(workspace: &Workspace) -> Result<Bundle> {
    let started = Instant::now();
    let client = client::ensure(workspace).context("obtaining the viser client")?;
    let runtime = wasm::build_runtime(workspace)?;
    let plotly = plotly::ensure(workspace).context("obtaining plotly.min.js")?;

    let dir = workspace.dist_dir();
    let read = |path: &Path| fs::read(path).with_context(|| format!("reading {}", path.display()));
    let sources: [(&str, Vec<u8>); 8] = [
        ("index.html", read(&client.index_html)?),
        ("LICENSE-viser", read(&client.license)?),
        ("viser4d/viser4d_runtime.js", read(&runtime.js)?),
        ("viser4d/viser4d_runtime_bg.wasm", read(&runtime.wasm)?),
        (
            "viser4d/viser4d_runtime_inline.js",
            read(&runtime.inline_js)?,
        ),
        ("runtime-version", runtime_version_line().into_bytes()),
        ("plotly/plotly.min.js", plotly.js),
        ("plotly/LICENSE-plotly", plotly.license),
    ];
    let mut entries = Vec::with_capacity(sources.len());
    let mut changed = 0;
    for (name, bytes) in sources {
        if digest::write_if_changed(&dir.join(name), &bytes)? {
            changed += 1;
        }
        entries.push(Entry {
            name,
            sha256: digest::sha256_hex(&bytes),
            gzip_bytes: name
                .ends_with(".wasm")
                .then(|| gzip_len(&bytes))
                .transpose()?,
            bytes,
        });
    }
    let manifest = manifest_json(&entries)?;
    if digest::write_if_changed(&dir.join("manifest.json"), manifest.as_bytes())? {
        changed += 1;
    }
    remove_strays(&dir, &entries)?;

    let bundle = Bundle { dir, client };
    print_summary(workspace, &bundle, &entries, changed, started);
    Ok(bundle)
}

#[derive(Debug)]
struct Entry {
    name: &'static str,
    bytes: Vec<u8>,
    sha256: String,
    gzip_bytes: Option<u64>,
}

/// What the assets crate reads back as the runtime's version: the runtime
/// is built from this workspace, so it has xtask's version.
fn runtime_version_line() -> String {
    format!(
        "{} protocol {}",
        env!("CARGO_PKG_VERSION"),
        viser4d_proto::timeline::PROTOCOL_REVISION
    )
}

fn manifest_json(entries: &[Entry]) -> Result<String> {
    let files: Vec<serde_json::Value> = entries
        .iter()
        .map(|entry| {
            serde_json::json!({
                "path": entry.name,
                "bytes": entry.bytes.len(),
                "sha256": entry.sha256,
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "viserVersion": client::VISER_VERSION,
        "runtimeVersion": env!("CARGO_PKG_VERSION"),
        "protocolRevision": viser4d_proto::timeline::PROTOCOL_REVISION,
        "files": files,
    });
    let mut text = serde_json::to_string_pretty(&manifest).context("encoding manifest.json")?;
    text.push('\n');
    Ok(text)
}

/// Delete files a previous layout of the bundle left behind, so the
/// directory holds exactly what the manifest lists.
fn remove_strays(dir: &Path, entries: &[Entry]) -> Result<()> {
    let mut keep: Vec<PathBuf> = entries.iter().map(|entry| dir.join(entry.name)).collect();
    keep.push(dir.join("manifest.json"));
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in
            fs::read_dir(&current).with_context(|| format!("listing {}", current.display()))?
        {
            let path = entry
                .with_context(|| format!("listing {}", current.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if !keep.contains(&path) {
                fs::remove_file(&path)
                    .with_context(|| format!("removing stray {}", path.display()))?;
            }
        }
    }
    Ok(())
}

fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).context("gzip")?;
    let compressed = encoder.finish().context("gzip")?;
    Ok(compressed.len() as u64)
}

fn print_summary(
    workspace: &Workspace,
    bundle: &Bundle,
    entries: &[Entry],
    changed: usize,
    started: Instant,
) {
    let total: usize = entries.iter().map(|entry| entry.bytes.len()).sum();
    println!(
        "dist: bundle {} ({} files, {}; {changed} updated) in {}",
        workspace.display(&bundle.dir),
        entries.len() + 1,
        progress::bytes(total as u64),
        progress::seconds(started.elapsed()),
    );
    for entry in entries {
        let gzip = entry
            .gzip_bytes
            .map(|gzip| format!("  (gzip {})", progress::bytes(gzip)))
            .unwrap_or_default();
        println!(
            "  {:<34} {:>10}{gzip}",
            entry.name,
            progress::bytes(entry.bytes.len() as u64)
        );
    }
}
