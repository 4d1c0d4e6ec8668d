//! Where things are: the workspace root, the target directory and the paths
//! the tasks share, plus the `cargo` command the tasks run.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context as _, Result};

#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory holding the workspace `Cargo.toml`.
    pub root: PathBuf,
    /// `CARGO_TARGET_DIR` when set, else `<root>/target`; always absolute.
    pub target_dir: PathBuf,
}

impl Workspace {
    pub fn locate() -> Result<Self> {
        // xtask lives one level below the workspace root.
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir
            .parent()
            .context("xtask's manifest directory has no parent")?
            .to_path_buf();
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => root.join(dir),
            _ => root.join("target"),
        };
        Ok(Self { root, target_dir })
    }

    /// Cache of the downloaded viser wheel (and, below it, the extracted files).
    pub fn viser_client_cache(&self) -> PathBuf {
        self.target_dir.join("viser-client")
    }

    /// The bundle `cargo xtask dist` assembles: inside the assets crate,
    /// which embeds it (git ignores it).
    pub fn dist_dir(&self) -> PathBuf {
        self.root.join("crates/viser4d-assets/assets")
    }

    /// Where criterion writes its estimates.
    pub fn criterion_dir(&self) -> PathBuf {
        self.target_dir.join("criterion")
    }

    /// A `cargo` command run from the workspace root, with the same cargo that
    /// runs xtask (so the pinned toolchain is used).
    pub fn cargo(&self) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let mut command = Command::new(cargo);
        command.current_dir(&self.root);
        command
    }

    /// Show a path relative to the workspace root when it is inside it.
    pub fn display<'a>(&self, path: &'a Path) -> std::path::Display<'a> {
        path.strip_prefix(&self.root).unwrap_or(path).display()
    }
}
