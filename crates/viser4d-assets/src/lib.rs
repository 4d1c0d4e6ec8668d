//! `viser4d-assets`: the files a viser4d server serves, inside the crate.
//!
//! It owns the stock viser 1.1.1 web client page (one self-contained HTML
//! file, from viser's wheel) and the built viser4d browser runtime: the
//! wasm module with its wasm-bindgen glue, and the same runtime as one
//! classic script with the wasm inline (what a `.viser` recording carries).
//! `cargo xtask dist` writes them into `assets/`; they are not in git, and
//! a packaged crate carries them, so a program that depends on viser4d from
//! a registry serves the viewer with no build step of its own.
//!
//! It is data only: no code beyond constants, no dependencies, no I/O. It
//! must never depend on another viser4d crate (the server depends on it).

#![deny(missing_docs)]

/// The viser client version the page is.
pub const VISER_VERSION: &str = "1.1.1";

/// The version of the viser4d runtime built into [`RUNTIME_WASM`]: the
/// workspace version it was built from, then its protocol revision, as
/// `"0.1.0 protocol 2"` (see [`runtime_version`]).
pub const RUNTIME_VERSION_LINE: &str = include_str!("../assets/runtime-version");

/// The stock viser 1.1.1 client page, unmodified.
pub const CLIENT_PAGE: &[u8] = include_bytes!("../assets/index.html");

/// The runtime's wasm-bindgen glue (ES module, `web` target).
pub const RUNTIME_JS: &[u8] = include_bytes!("../assets/viser4d/viser4d_runtime.js");

/// The runtime's wasm module.
pub const RUNTIME_WASM: &[u8] = include_bytes!("../assets/viser4d/viser4d_runtime_bg.wasm");

/// The runtime as one classic script with the wasm inline (base64): it
/// installs itself when run by `new Function`, as viser runs a
/// `RunJavascriptMessage`, and guards against running twice.
pub const RUNTIME_INLINE_JS: &[u8] = include_bytes!("../assets/viser4d/viser4d_runtime_inline.js");

/// Every file of the bundle with its size and sha256, as JSON.
pub const MANIFEST_JSON: &str = include_str!("../assets/manifest.json");

/// Plotly's browser bundle (`plotly.min.js` of the npm package
/// `plotly.js-dist-min`, MIT licensed), which the stock client needs to
/// draw Plotly figures.
#[cfg(feature = "plotly")]
pub const PLOTLY_JS: &[u8] = include_bytes!("../assets/plotly/plotly.min.js");

/// Plotly's licence, which covers [`PLOTLY_JS`].
#[cfg(feature = "plotly")]
pub const PLOTLY_LICENSE: &str = include_str!("../assets/plotly/LICENSE-plotly");

/// The licence text shipped in viser's wheel, which covers [`CLIENT_PAGE`].
pub const VISER_LICENSE: &str = include_str!("../assets/LICENSE-viser");

/// One file the server serves below its asset prefix.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The file name below the prefix (`viser4d_runtime.js`).
    pub name: &'static str,
    /// Its HTTP content type.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

/// The runtime's files, as served below the server's asset prefix.
pub const RUNTIME_FILES: [Asset; 3] = [
    Asset {
        name: "viser4d_runtime.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: RUNTIME_JS,
    },
    Asset {
        name: "viser4d_runtime_bg.wasm",
        content_type: "application/wasm",
        bytes: RUNTIME_WASM,
    },
    Asset {
        name: "viser4d_runtime_inline.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: RUNTIME_INLINE_JS,
    },
];

/// The embedded runtime's version and protocol revision, read from
/// [`RUNTIME_VERSION_LINE`]; `None` if that line is malformed.
pub fn runtime_version() -> Option<(&'static str, u32)> {
    parse_runtime_version(RUNTIME_VERSION_LINE)
}

/// Reads a `runtime-version` line (`"0.1.0 protocol 2"`, as `cargo xtask
/// dist` writes it, here or in a bundle directory); `None` if malformed.
pub fn parse_runtime_version(line: &str) -> Option<(&str, u32)> {
    let mut words = line.split_whitespace();
    let version = words.next()?;
    let protocol = match (words.next(), words.next()) {
        (Some("protocol"), Some(revision)) => revision.parse().ok()?,
        _ => return None,
    };
    Some((version, protocol))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_files_are_what_they_claim() {
        let page = std::str::from_utf8(CLIENT_PAGE).expect("the page is UTF-8");
        assert!(page.contains("</head>"), "viser's page has a head");
        assert_eq!(&RUNTIME_WASM[..4], b"\0asm", "the runtime is a wasm module");
        assert!(runtime_version().is_some(), "{RUNTIME_VERSION_LINE:?}");
        for file in RUNTIME_FILES {
            assert!(
                MANIFEST_JSON.contains(file.name),
                "{} in the manifest",
                file.name
            );
        }
    }
}
