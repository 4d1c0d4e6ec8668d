//! Typed errors of the server API. Each names the bad value.

use std::path::PathBuf;

/// Anything the server API can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The client bundle (`index.html`) is not where we looked.
    #[error(
        "viser client bundle not found at {path}: run `cargo xtask dist`, or point the builder (or VISER4D_DIST_DIR) at a bundle"
    )]
    BundleMissing {
        /// Where we looked.
        path: PathBuf,
    },
    /// Reading the bundle failed.
    #[error("reading the client bundle at {path}: {source}")]
    BundleRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The tokio runtime could not start.
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
    /// An argument is invalid.
    #[error("invalid {argument}: {reason}")]
    InvalidArgument {
        /// Which argument.
        argument: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The handle's node or element was removed.
    #[error("{what} {name:?} was removed")]
    Removed {
        /// "scene node" or "GUI element".
        what: &'static str,
        /// Its name or label.
        name: String,
    },
    /// The client disconnected.
    #[error("client {0} is not connected")]
    ClientGone(u64),
    /// The server was stopped.
    #[error("the server is stopped")]
    Stopped,
}

impl ServerError {
    pub(crate) fn invalid(argument: &'static str, reason: impl Into<String>) -> ServerError {
        ServerError::InvalidArgument {
            argument,
            reason: reason.into(),
        }
    }
}

/// Result with [`ServerError`].
pub type Result<T, E = ServerError> = std::result::Result<T, E>;
