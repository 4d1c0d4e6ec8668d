//! The files the server serves: the stock viser 1.1.1 client page with our
//! runtime injected before `</head>`, and our own assets under `/viser4d/`.
//! They come from the `viser4d-assets` crate, embedded in the program, or
//! from a bundle directory given to the builder or in `VISER4D_DIST_DIR`
//! (for trying another build of the runtime). Everything is held in memory
//! (about 3 MB), with a gzip copy of the page made on first use.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use viser4d_proto::timeline::PROTOCOL_REVISION;

use crate::error::{Result, ServerError};

/// URL prefix of our own assets.
pub const ASSET_PREFIX: &str = "/viser4d/";

/// Environment variable naming a bundle directory to serve instead of the
/// embedded one (the layout `cargo xtask dist` writes).
pub const DIST_DIR_ENV: &str = "VISER4D_DIST_DIR";

/// The runtime's files, below [`ASSET_PREFIX`] and in a bundle directory's
/// `viser4d/` folder; the page loads the first two.
const RUNTIME_FILES: [&str; 3] = [
    "viser4d_runtime.js",
    "viser4d_runtime_bg.wasm",
    "viser4d_runtime_inline.js",
];

/// What the runtime loader looks like inside the page.
const LOADER: &str = r#"<script type="module">
try {
  const runtime = await import("/viser4d/viser4d_runtime.js");
  await runtime.default({ module_or_path: "/viser4d/viser4d_runtime_bg.wasm" });
} catch (error) {
  console.error("viser4d runtime not loaded:", error);
}
</script>
"#;

#[derive(Debug)]
pub(crate) struct Bundle {
    /// viser's page as shipped (what an HTML export embeds a recording in).
    pub(crate) client_page: String,
    pub(crate) index_html: Bytes,
    /// Made on the first request that takes gzip: compressing the page
    /// costs ~20 ms, which a program that only records or exports never
    /// needs to pay at start.
    index_html_gzip: std::sync::OnceLock<Bytes>,
    /// Asset path below `/viser4d/` -> (content type, bytes).
    assets: HashMap<String, (&'static str, Bytes)>,
    /// A `.viser` recording served at [`RECORDING_PATH`], if any.
    pub(crate) recording: Option<Bytes>,
}

/// Where a recording given to the server is served.
pub const RECORDING_PATH: &str = "/recording.viser";

impl Bundle {
    /// The bundle in `dir`, else in `VISER4D_DIST_DIR`, else the embedded
    /// one; with `inject_runtime`, the page loads our runtime (without, it
    /// is viser's page untouched, for content that brings its own runtime).
    pub(crate) fn resolve(dir: Option<&Path>, inject_runtime: bool) -> Result<Bundle> {
        let from_env = std::env::var_os(DIST_DIR_ENV)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from);
        match dir.map(Path::to_path_buf).or(from_env) {
            Some(dir) => Bundle::load(&dir, inject_runtime),
            None => Bundle::embedded(inject_runtime),
        }
    }

    /// The files built into the program by the `viser4d-assets` crate.
    pub(crate) fn embedded(inject_runtime: bool) -> Result<Bundle> {
        let version = viser4d_assets::runtime_version();
        check_runtime_protocol(
            version.map(|(_, protocol)| protocol),
            "the embedded viser4d-assets",
            viser4d_assets::RUNTIME_VERSION_LINE,
        )?;
        let page = String::from_utf8_lossy(viser4d_assets::CLIENT_PAGE).into_owned();
        let assets = viser4d_assets::RUNTIME_FILES
            .iter()
            .map(|file| {
                (
                    file.name.to_owned(),
                    (file.content_type, Bytes::from_static(file.bytes)),
                )
            })
            .collect();
        Ok(Bundle::assemble(page, assets, inject_runtime))
    }

    /// The bundle in directory `dir` (as `cargo xtask dist` writes it).
    pub(crate) fn load(dir: &Path, inject_runtime: bool) -> Result<Bundle> {
        let index_path = dir.join("index.html");
        if !index_path.is_file() {
            return Err(ServerError::BundleMissing { path: index_path });
        }
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| ServerError::BundleRead {
                path: path.to_owned(),
                source,
            })
        };
        let page = String::from_utf8_lossy(&read(&index_path)?).into_owned();
        let version_path = dir.join("runtime-version");
        if version_path.is_file() {
            let line = String::from_utf8_lossy(&read(&version_path)?).into_owned();
            let protocol = viser4d_assets::parse_runtime_version(&line).map(|(_, p)| p);
            check_runtime_protocol(protocol, &dir.display().to_string(), line.trim())?;
        }
        let mut assets = HashMap::new();
        for name in RUNTIME_FILES {
            let path = dir.join("viser4d").join(name);
            if path.is_file() {
                assets.insert(
                    name.to_owned(),
                    (content_type(name), Bytes::from(read(&path)?)),
                );
            } else if inject_runtime {
                return Err(ServerError::RuntimeMissing { path });
            }
        }
        Ok(Bundle::assemble(page, assets, inject_runtime))
    }

    fn assemble(
        page: String,
        assets: HashMap<String, (&'static str, Bytes)>,
        inject_runtime: bool,
    ) -> Bundle {
        let served = if inject_runtime {
            inject_before_head_end(&page, LOADER)
        } else {
            page.clone()
        };
        Bundle {
            index_html_gzip: std::sync::OnceLock::new(),
            index_html: Bytes::from(served),
            assets,
            recording: None,
            client_page: page,
        }
    }

    /// The served page, gzipped (compressed once, on first use).
    pub(crate) fn index_html_gzip(&self) -> Bytes {
        self.index_html_gzip
            .get_or_init(|| Bytes::from(gzip(&self.index_html)))
            .clone()
    }

    /// The runtime's module and wasm (what a page loads), if the bundle
    /// has them.
    pub(crate) fn runtime_module(&self) -> Option<(Bytes, Bytes)> {
        let script = self.assets.get(RUNTIME_FILES[0])?.1.clone();
        let wasm = self.assets.get(RUNTIME_FILES[1])?.1.clone();
        Some((script, wasm))
    }

    /// An asset by request path, or `None` (also for anything that tries to
    /// leave the asset folder: only plain file names are ever looked up).
    pub(crate) fn asset(&self, path: &str) -> Option<&(&'static str, Bytes)> {
        let name = path.strip_prefix(ASSET_PREFIX)?;
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return None;
        }
        self.assets.get(name)
    }
}

pub(crate) fn inject_before_head_end(page: &str, snippet: &str) -> String {
    match page.rfind("</head>") {
        Some(at) => format!("{}{snippet}{}", &page[..at], &page[at..]),
        None => format!("{snippet}{page}"),
    }
}

/// A bundle whose runtime speaks another protocol revision would give every
/// tab an inert timeline: refuse it at start.
fn check_runtime_protocol(protocol: Option<u32>, bundle: &str, version_line: &str) -> Result<()> {
    if protocol == Some(PROTOCOL_REVISION) {
        return Ok(());
    }
    Err(ServerError::RuntimeMismatch {
        bundle: bundle.to_owned(),
        runtime: version_line.to_owned(),
        expected: PROTOCOL_REVISION,
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    encoder.write_all(data).ok();
    encoder.finish().unwrap_or_default()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injects_before_the_last_head_end() {
        assert_eq!(
            inject_before_head_end("<head>a</head><body/>", "X"),
            "<head>aX</head><body/>"
        );
        assert_eq!(inject_before_head_end("<body/>", "X"), "X<body/>");
    }

    #[test]
    fn asset_lookup_never_leaves_the_folder() {
        let mut assets = HashMap::new();
        assets.insert(
            "a.js".to_owned(),
            ("text/javascript", Bytes::from_static(b"1")),
        );
        let bundle = Bundle {
            index_html: Bytes::new(),
            index_html_gzip: std::sync::OnceLock::new(),
            assets,
            recording: None,
            client_page: String::new(),
        };
        assert!(bundle.asset("/viser4d/a.js").is_some());
        for bad in [
            "/viser4d/../index.html",
            "/viser4d/..",
            "/viser4d/x/a.js",
            "/viser4d/",
            "/a.js",
            "/viser4d/.hidden",
        ] {
            assert!(bundle.asset(bad).is_none(), "{bad}");
        }
    }
}
