//! Plotly's browser bundle for the `plotly` feature: the npm package
//! `plotly.js-dist-min` (MIT), fetched with `npm pack` into
//! `target/plotly/`, its sha256 checked, and `package/plotly.min.js` and
//! `package/LICENSE` read out of the tarball.

use std::{fs, io::Read as _, path::Path, process::Command};

use anyhow::{Context as _, Result, bail};

use crate::{digest, process, progress, workspace::Workspace};

pub const PLOTLY_VERSION: &str = "3.0.1";
const TARBALL: &str = "plotly.js-dist-min-3.0.1.tgz";
const TARBALL_SHA256: &str = "6ca037de62a24c4df486ab38ce296126996adbd976fc0132e8176edb76c95ef4";

/// Plotly's files, read from the checked tarball.
pub struct Plotly {
    pub js: Vec<u8>,
    pub license: Vec<u8>,
}

pub fn ensure(workspace: &Workspace) -> Result<Plotly> {
    let cache = workspace.target_dir.join("plotly");
    let tarball = cache.join(TARBALL);
    ensure_tarball(workspace, &cache, &tarball)?;
    let bytes = fs::read(&tarball).with_context(|| format!("reading {}", tarball.display()))?;
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(bytes.as_slice())
        .read_to_end(&mut unpacked)
        .with_context(|| format!("decompressing {}", tarball.display()))?;
    let js = tar_file(&unpacked, "package/plotly.min.js")?;
    let license = tar_file(&unpacked, "package/LICENSE")?;
    Ok(Plotly { js, license })
}

fn ensure_tarball(workspace: &Workspace, cache: &Path, tarball: &Path) -> Result<()> {
    if tarball.is_file() && digest::sha256_file(tarball)? == TARBALL_SHA256 {
        println!("plotly: cached {} verified", workspace.display(tarball));
        return Ok(());
    }
    fs::create_dir_all(cache).with_context(|| format!("creating {}", cache.display()))?;
    if !process::on_path("npm") {
        bail!(
            "npm is needed to fetch plotly.js-dist-min {PLOTLY_VERSION} (install Node.js), \
             or place {TARBALL} (sha256 {TARBALL_SHA256}) in {}",
            cache.display()
        );
    }
    let mut npm = Command::new("npm");
    npm.args(["pack", "--silent", "--pack-destination"])
        .arg(cache)
        .arg(format!("plotly.js-dist-min@{PLOTLY_VERSION}"));
    let spinner = progress::spinner(format!(
        "downloading plotly.js-dist-min {PLOTLY_VERSION} with npm"
    ));
    let output = process::capture(&mut npm);
    spinner.finish_and_clear();
    let output = output?;
    if !output.status.success() {
        bail!(
            "`npm pack plotly.js-dist-min@{PLOTLY_VERSION}` failed: {}; or place {TARBALL} (sha256 {TARBALL_SHA256}) in {}",
            process::last_line(&output.stderr),
            cache.display()
        );
    }
    let actual = digest::sha256_file(tarball).with_context(|| {
        format!(
            "npm reported success but {} is unreadable",
            tarball.display()
        )
    })?;
    if actual != TARBALL_SHA256 {
        fs::remove_file(tarball).ok();
        bail!(
            "downloaded {TARBALL} has sha256 {actual}, expected {TARBALL_SHA256}; refusing to use it"
        );
    }
    println!(
        "plotly: downloaded and verified {}",
        workspace.display(tarball)
    );
    Ok(())
}

/// The bytes of regular file `name` in a (ustar) tar archive.
fn tar_file(tar: &[u8], name: &str) -> Result<Vec<u8>> {
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let field = |range: std::ops::Range<usize>| {
            let raw = &header[range];
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            String::from_utf8_lossy(&raw[..end]).into_owned()
        };
        let prefix = field(345..500);
        let file = field(0..100);
        let path = if prefix.is_empty() {
            file
        } else {
            format!("{prefix}/{file}")
        };
        let size_text = field(124..136);
        let size = u64::from_str_radix(size_text.trim(), 8)
            .with_context(|| format!("tar entry {path:?} has size {size_text:?}"))?;
        let size = usize::try_from(size).context("tar entry too large")?;
        let data = at + 512;
        if data + size > tar.len() {
            bail!("tar entry {path:?} runs past the end of the archive");
        }
        if path == name && matches!(header[156], b'0' | 0) {
            return Ok(tar[data..data + size].to_vec());
        }
        at = data + size.div_ceil(512) * 512;
    }
    bail!("{name} is not in the plotly tarball")
}
