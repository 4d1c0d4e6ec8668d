//! The files the server serves: the stock viser 1.1.1 client page with our
//! runtime injected before `</head>`, and our own assets under `/viser4d/`.
//! Everything is read once at start and held in memory (about 1 MB), with a
//! gzip copy of the page.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::error::{Result, ServerError};

/// URL prefix of our own assets.
pub const ASSET_PREFIX: &str = "/viser4d/";

/// What the runtime loader looks like inside the page. It only runs if the
/// runtime was built into the bundle; the page works without it.
const LOADER: &str = r#"<script type="module">
try {
  const runtime = await import("/viser4d/viser4d_runtime.js");
  await runtime.default({ module_or_path: "/viser4d/viser4d_runtime_bg.wasm" });
} catch (error) {
  console.warn("viser4d runtime not loaded:", error);
}
</script>
"#;

#[derive(Debug)]
pub(crate) struct Bundle {
    /// viser's page as shipped (what an HTML export embeds a recording in).
    pub(crate) client_page: String,
    pub(crate) index_html: Bytes,
    pub(crate) index_html_gzip: Bytes,
    /// Asset path below `/viser4d/` -> (content type, bytes).
    assets: HashMap<String, (&'static str, Bytes)>,
    /// A `.viser` recording served at [`RECORDING_PATH`], if any.
    pub(crate) recording: Option<Bytes>,
}

/// Where a recording given to the server is served.
pub const RECORDING_PATH: &str = "/recording.viser";

impl Bundle {
    /// The bundle directory to use when none is given: `VISER4D_DIST_DIR`,
    /// else this workspace's `target/dist` (where `cargo xtask dist` puts it).
    pub(crate) fn default_dir() -> PathBuf {
        std::env::var_os("VISER4D_DIST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/dist"))
    }

    /// Loads the bundle in `dir`; with `inject_runtime`, the page loads our
    /// runtime (without, it is viser's page untouched, for content that
    /// brings its own runtime).
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
        let client_page = page.clone();
        let page = if inject_runtime {
            inject_before_head_end(&page, LOADER)
        } else {
            page
        };
        let index_html_gzip = gzip(page.as_bytes());

        let mut assets = HashMap::new();
        let asset_dir = dir.join("viser4d");
        if let Ok(entries) = std::fs::read_dir(&asset_dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned)
                else {
                    continue;
                };
                if path.is_file() {
                    assets.insert(
                        name.clone(),
                        (content_type(&name), Bytes::from(read(&path)?)),
                    );
                }
            }
        }
        Ok(Bundle {
            index_html: Bytes::from(page),
            index_html_gzip: Bytes::from(index_html_gzip),
            assets,
            recording: None,
            client_page,
        })
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
            index_html_gzip: Bytes::new(),
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
