//! What every example shares: logging and the port to listen on.

/// Starts `info` logging and returns the port from the first argument
/// (default 8080).
pub fn init() -> anyhow::Result<u16> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    match std::env::args().nth(1) {
        Some(p) => p.parse().map_err(|e| anyhow::anyhow!("port {p:?}: {e}")),
        None => Ok(8080),
    }
}
