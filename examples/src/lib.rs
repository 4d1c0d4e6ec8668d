//! What every example shares: logging, the port to listen on, and a
//! deterministic generator (runs repeat, with no dependency).

/// Starts `info` logging and returns the port from the first argument
/// (default 8080).
pub fn init() -> anyhow::Result<u16> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    match std::env::args().nth(1) {
        Some(p) => p.parse().map_err(|e| anyhow::anyhow!("port {p:?}: {e}")),
        None => Ok(8080),
    }
}

/// A small deterministic generator, so an example's scene is the same on
/// every run without a dependency.
#[derive(Debug, Clone)]
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number, uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}
