//! Encoded blocks moved out of memory: the only file I/O in this crate.
//!
//! Native builds write each spilled block to its own file in a private
//! directory (a fresh temporary directory, created inside the directory the
//! user chose if any) that is deleted with the store. The wasm32 build has no
//! file system: [`SpillDir::create`] returns `None` there and the store keeps
//! its encoded blocks in memory, past the budget if it must.

use bytes::Bytes;

use crate::error::StoreError;

/// Where one spilled block lives.
#[derive(Debug)]
pub(crate) struct SpillFile {
    #[cfg(not(target_arch = "wasm32"))]
    path: std::path::PathBuf,
    len: usize,
}

impl SpillFile {
    /// Bytes on disk.
    pub fn len(&self) -> usize {
        self.len
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::SpillDir;

#[cfg(target_arch = "wasm32")]
pub(crate) use unsupported::SpillDir;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::fs;
    use std::path::Path;

    use super::{Bytes, SpillFile, StoreError};

    /// A private directory of spilled blocks, deleted on drop.
    #[derive(Debug)]
    pub(crate) struct SpillDir {
        dir: tempfile::TempDir,
        next: u64,
    }

    impl SpillDir {
        /// Creates the directory inside `parent`, or in the system's
        /// temporary directory.
        pub fn create(parent: Option<&Path>) -> Result<Option<Self>, StoreError> {
            let mut builder = tempfile::Builder::new();
            builder.prefix("viser4d-spill-");
            let dir = match parent {
                Some(parent) => builder.tempdir_in(parent),
                None => builder.tempdir(),
            };
            let dir = dir.map_err(|source| StoreError::Spill {
                path: parent.map_or_else(std::env::temp_dir, Path::to_path_buf),
                source,
            })?;
            Ok(Some(Self { dir, next: 0 }))
        }

        /// The directory's path.
        pub fn path(&self) -> &Path {
            self.dir.path()
        }

        pub fn write(&mut self, index: u32, bytes: &[u8]) -> Result<SpillFile, StoreError> {
            self.next += 1;
            let path = self
                .dir
                .path()
                .join(format!("block-{index}-{}.v4d", self.next));
            fs::write(&path, bytes).map_err(|source| StoreError::Spill {
                path: path.clone(),
                source,
            })?;
            Ok(SpillFile {
                path,
                len: bytes.len(),
            })
        }

        pub fn read(&self, file: &SpillFile) -> Result<Bytes, StoreError> {
            let bytes = fs::read(&file.path).map_err(|source| StoreError::Spill {
                path: file.path.clone(),
                source,
            })?;
            Ok(Bytes::from(bytes))
        }

        /// Deletes a file no longer needed. A failure only leaves garbage
        /// that the directory's removal on drop takes care of.
        pub fn remove(&self, file: SpillFile) {
            fs::remove_file(&file.path).ok();
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod unsupported {
    use std::path::Path;

    use super::{Bytes, SpillFile, StoreError};

    /// No file system on wasm32: never created.
    #[derive(Debug)]
    pub(crate) enum SpillDir {}

    impl SpillDir {
        pub fn create(_parent: Option<&Path>) -> Result<Option<Self>, StoreError> {
            Ok(None)
        }

        pub fn path(&self) -> &Path {
            match *self {}
        }

        pub fn write(&mut self, _index: u32, _bytes: &[u8]) -> Result<SpillFile, StoreError> {
            match *self {}
        }

        pub fn read(&self, _file: &SpillFile) -> Result<Bytes, StoreError> {
            match *self {}
        }

        pub fn remove(&self, _file: SpillFile) {
            match *self {}
        }
    }
}
