//! The stock viser 1.1.1 web client: download its wheel from PyPI with pip
//! (cached under `target/viser-client/`), check the wheel's sha256, and
//! extract the files we use into `target/viser-client/1.1.1/`:
//! `index.html` (the self-contained client page we serve), `_messages.py`
//! (the message definitions the proto crate is checked against) and the
//! wheel's licence file.

use std::{
    fs,
    io::Read as _,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context as _, Result, bail};

use crate::{digest, process, progress, workspace::Workspace};

pub const VISER_VERSION: &str = "1.1.1";
const WHEEL_FILE: &str = "viser-1.1.1-py3-none-any.whl";
const WHEEL_SHA256: &str = "f528877553c56e1c01d43b861a1434920a2e7ba4fdc7b2e7ff03721e3c3f5b3d";

/// (path inside the wheel, file name in the extracted directory)
const EXTRACTED: [(&str, &str); 3] = [
    ("viser/client/build/index.html", "index.html"),
    ("viser/_messages.py", "_messages.py"),
    ("viser-1.1.1.dist-info/licenses/LICENSE", "LICENSE-viser"),
];

/// Records which wheel the extracted files came from.
const STAMP_FILE: &str = ".wheel-sha256";

/// The extracted client files.
#[derive(Debug, Clone)]
pub struct Client {
    /// `target/viser-client/1.1.1/`, exported to tests as `VISER4D_CLIENT_DIR`.
    pub dir: PathBuf,
    pub index_html: PathBuf,
    /// The licence file shipped in the wheel (it covers the client page).
    pub license: PathBuf,
}

pub fn ensure(workspace: &Workspace) -> Result<Client> {
    let cache = workspace.viser_client_cache();
    let wheel = cache.join(WHEEL_FILE);
    ensure_wheel(workspace, &wheel)?;

    let dir = cache.join(VISER_VERSION);
    let stamp = dir.join(STAMP_FILE);
    let all_present = EXTRACTED.iter().all(|(_, name)| dir.join(name).is_file());
    if all_present && digest::stamp_matches(&stamp, WHEEL_SHA256) {
        println!("client: {} is up to date", workspace.display(&dir));
    } else {
        extract(&wheel, &dir)?;
        digest::write_stamp(&stamp, WHEEL_SHA256)?;
        println!(
            "client: extracted {} into {}",
            WHEEL_FILE,
            workspace.display(&dir)
        );
    }
    Ok(Client {
        index_html: dir.join("index.html"),
        license: dir.join("LICENSE-viser"),
        dir,
    })
}

fn ensure_wheel(workspace: &Workspace, wheel: &Path) -> Result<()> {
    if wheel.is_file() {
        let actual = digest::sha256_file(wheel)?;
        if actual == WHEEL_SHA256 {
            println!("client: cached {} verified", workspace.display(wheel));
            return Ok(());
        }
        println!(
            "client: cached wheel has sha256 {actual}, expected {WHEEL_SHA256}; downloading again"
        );
        fs::remove_file(wheel).with_context(|| format!("removing {}", wheel.display()))?;
    }

    let cache = wheel.parent().context("wheel path has no parent")?;
    fs::create_dir_all(cache).with_context(|| format!("creating {}", cache.display()))?;
    let mut pip = Command::new("python3");
    pip.args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args([
            "--disable-pip-version-check",
            "--quiet",
            "--retries",
            "1",
            "--timeout",
            "20",
        ])
        .arg("--dest")
        .arg(cache)
        .arg(format!("viser=={VISER_VERSION}"));
    let spinner = progress::spinner(format!("downloading viser {VISER_VERSION} with pip"));
    let output = process::capture(&mut pip);
    spinner.finish_and_clear();
    let output = output?;
    if !output.status.success() {
        bail!("{}", pip_failure(&output.stderr, cache));
    }
    if !wheel.is_file() {
        bail!(
            "pip reported success but {} is missing (did the index serve another build of viser {VISER_VERSION}?)",
            wheel.display()
        );
    }
    let actual = digest::sha256_file(wheel)?;
    if actual != WHEEL_SHA256 {
        fs::remove_file(wheel).ok();
        bail!(
            "downloaded {WHEEL_FILE} has sha256 {actual}, expected {WHEEL_SHA256}; refusing to use it"
        );
    }
    println!(
        "client: downloaded and verified {}",
        workspace.display(wheel)
    );
    Ok(())
}

/// One line saying why `pip download` failed and what to do about it.
fn pip_failure(stderr: &[u8], cache: &Path) -> String {
    let text = String::from_utf8_lossy(stderr);
    let last = process::last_line(stderr);
    if text.contains("No module named pip") {
        return "python3 has no pip: install it (Debian: apt-get install python3-pip)".to_owned();
    }
    const NETWORK_SIGNS: [&str; 7] = [
        "NewConnectionError",
        "Failed to establish a new connection",
        "Temporary failure in name resolution",
        "Network is unreachable",
        "Max retries exceeded",
        "No matching distribution found",
        "ConnectTimeout",
    ];
    if NETWORK_SIGNS.iter().any(|sign| text.contains(sign)) {
        return format!(
            "could not download viser=={VISER_VERSION} from PyPI (no network access?): connect to PyPI, \
             or place {WHEEL_FILE} (sha256 {WHEEL_SHA256}) in {} [pip: {last}]",
            cache.display()
        );
    }
    format!("`python3 -m pip download viser=={VISER_VERSION}` failed: {last}")
}

fn extract(wheel: &Path, dir: &Path) -> Result<()> {
    let file = fs::File::open(wheel).with_context(|| format!("opening {}", wheel.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("reading {} as a zip archive", wheel.display()))?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (inner, name) in EXTRACTED {
        let mut entry = archive
            .by_name(inner)
            .with_context(|| format!("{} has no {inner}", wheel.display()))?;
        let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        entry
            .read_to_end(&mut bytes)
            .with_context(|| format!("extracting {inner} from {}", wheel.display()))?;
        digest::write_if_changed(&dir.join(name), &bytes)?;
    }
    Ok(())
}
