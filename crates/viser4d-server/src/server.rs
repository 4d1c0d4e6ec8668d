//! Starting and stopping the server. The server owns its tokio runtime,
//! so a plain `fn main()` can use it; every API call is blocking and
//! thread-safe.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::bundle::Bundle;
use crate::callbacks::{CallbackId, ClientCallback};
use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
use crate::gui::GuiApi;
use crate::scene::{FrameOptions, SceneApi};
use crate::shared::{Config, Scope, Shared};
use crate::timeline::{Retention, TimelineSettings};

/// Configures a [`Server`].
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    host: String,
    port: u16,
    bundle_dir: Option<PathBuf>,
    client_backlog_bytes: usize,
    num_steps: Option<u32>,
    open_ended: bool,
    retention: Retention,
    fps: Option<f64>,
    block_size: Option<u32>,
    max_block_bytes: Option<usize>,
    client_cache_bytes: Option<u64>,
    inject_runtime: bool,
    recording: Option<bytes::Bytes>,
    memory_budget_bytes: Option<usize>,
    spill_dir: Option<PathBuf>,
    token: Option<TokenChoice>,
    allowed_origins: Vec<String>,
    playback_speed: f64,
    looping: bool,
}

#[derive(Debug, Clone)]
enum TokenChoice {
    Given(String),
    Random,
}

/// Default steps per block.
pub const DEFAULT_BLOCK_SIZE: u32 = 32;
/// Default bytes of blocks a tab may cache (1 GB).
pub const DEFAULT_CLIENT_CACHE_BYTES: u64 = 1 << 30;
/// Default base step rate.
pub const DEFAULT_FPS: f64 = 30.0;
/// Environment variable overriding the default block size.
pub const BLOCK_SIZE_ENV: &str = "VISER4D_BLOCK_SIZE";
/// Environment variable overriding the default client cache size (bytes).
pub const CLIENT_CACHE_ENV: &str = "VISER4D_CLIENT_CHUNK_CACHE_SIZE";

/// A positive whole number from environment variable `var`, if set.
fn env_number(var: &'static str) -> Result<Option<u64>> {
    parse_env_number(var, std::env::var(var).ok())
}

fn parse_env_number(var: &'static str, value: Option<String>) -> Result<Option<u64>> {
    let Some(value) = value else {
        return Ok(None);
    };
    match value.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(ServerError::InvalidEnv {
            var,
            value,
            reason: "expected a positive whole number".to_owned(),
        }),
    }
}

impl Default for ServerBuilder {
    fn default() -> ServerBuilder {
        ServerBuilder {
            host: "127.0.0.1".to_owned(),
            port: 8080,
            bundle_dir: None,
            client_backlog_bytes: 256 << 20,
            num_steps: None,
            open_ended: false,
            retention: Retention::All,
            fps: None,
            block_size: None,
            max_block_bytes: None,
            client_cache_bytes: None,
            inject_runtime: true,
            recording: None,
            memory_budget_bytes: None,
            spill_dir: None,
            token: None,
            allowed_origins: Vec::new(),
            playback_speed: 1.0,
            looping: false,
        }
    }
}

impl ServerBuilder {
    /// The address to listen on (default `127.0.0.1`).
    pub fn host(mut self, host: impl Into<String>) -> ServerBuilder {
        self.host = host.into();
        self
    }

    /// The port (default 8080; 0 picks a free one, see [`Server::port`]).
    pub fn port(mut self, port: u16) -> ServerBuilder {
        self.port = port;
        self
    }

    /// Serves the client and runtime from this bundle directory (the layout
    /// `cargo xtask dist` writes: `index.html`, `viser4d/`) instead of the
    /// ones embedded in the program. `VISER4D_DIST_DIR` does the same
    /// without code; this wins over it.
    pub fn bundle_dir(mut self, dir: impl Into<PathBuf>) -> ServerBuilder {
        self.bundle_dir = Some(dir.into());
        self
    }

    /// How many bytes may wait for one slow tab: a tab whose backlog stays
    /// over this for 2 s, or goes past 4 times it, is disconnected (it
    /// reconnects and resyncs from the current state). Default 256 MiB.
    pub fn client_backlog_bytes(mut self, bytes: usize) -> ServerBuilder {
        self.client_backlog_bytes = bytes;
        self
    }

    /// Gives the server a timeline of `num_steps` steps (> 0): scene calls
    /// inside [`Server::at`] record into it, and every tab gets a playback
    /// bar. Without it (and without [`ServerBuilder::fps`] or
    /// [`ServerBuilder::open_ended`]) the server is live only.
    /// [`Server::at`]`(num_steps)` and [`Server::append_step`] still grow
    /// it a step at a time.
    pub fn num_steps(mut self, num_steps: u32) -> ServerBuilder {
        self.num_steps = Some(num_steps);
        self
    }

    /// The base step rate, steps per second (> 0; default 30). A tab plays
    /// at `fps x` its own speed. Given without `num_steps`, the server
    /// gets an open-ended timeline with no steps yet (see
    /// [`ServerBuilder::open_ended`]).
    pub fn fps(mut self, fps: f64) -> ServerBuilder {
        self.fps = Some(fps);
        self
    }

    /// The timeline is recorded while tabs watch and grows with
    /// [`Server::append_step`] (or `at(num_steps)`): a new tab follows the
    /// newest step, and a tab that plays into the end follows on instead
    /// of stopping. Without `num_steps` it starts with no steps. End it
    /// with [`Server::set_open_ended`]`(false)`.
    pub fn open_ended(mut self) -> ServerBuilder {
        self.open_ended = true;
        self
    }

    /// Whether new tabs loop from the last step back to the first
    /// (default false; viser4d's `loop=`). Each tab can change its own;
    /// [`Server::set_loop`] changes it for the tabs connected later too.
    pub fn looping(mut self, looping: bool) -> ServerBuilder {
        self.looping = looping;
        self
    }

    /// The speed factor new tabs start with (> 0, default 1; viser4d's
    /// `playback_speed=`): a tab plays at `fps x speed` steps a second.
    pub fn playback_speed(mut self, speed: f64) -> ServerBuilder {
        self.playback_speed = speed;
        self
    }

    /// What the timeline keeps as it grows (default [`Retention::All`]):
    /// a recording that runs for hours keeps its last steps, seconds or
    /// bytes, dropping the oldest blocks, so memory and disk stay bounded.
    pub fn retention(mut self, retention: Retention) -> ServerBuilder {
        self.retention = retention;
        self
    }

    /// Steps per block, the unit tabs fetch and cache (default 32, or
    /// `VISER4D_BLOCK_SIZE`).
    pub fn block_size(mut self, steps: u32) -> ServerBuilder {
        self.block_size = Some(steps);
        self
    }

    /// Bytes of recorded steps a block may hold before it closes early
    /// (default 4 MiB): a heavy timeline (a 200k-point cloud a step) gets
    /// blocks of a few steps, quick to fetch over a network, while a light
    /// one keeps blocks of `block_size` steps. A step heavier than this is
    /// a block of its own.
    pub fn max_block_bytes(mut self, bytes: usize) -> ServerBuilder {
        self.max_block_bytes = Some(bytes);
        self
    }

    /// Bytes of blocks each tab may cache (default 1 GB, or
    /// `VISER4D_CLIENT_CHUNK_CACHE_SIZE`).
    pub fn client_cache_bytes(mut self, bytes: u64) -> ServerBuilder {
        self.client_cache_bytes = Some(bytes);
        self
    }

    /// Requires `token` on every request: the page's URL carries it as
    /// `?token=` ([`Server::url`] includes it), and the page then keeps it
    /// in a cookie for its own requests. Use it whenever the server is
    /// reachable from other machines. It must be 8 to 256 characters of
    /// `[A-Za-z0-9._~-]`.
    pub fn token(mut self, token: impl Into<String>) -> ServerBuilder {
        self.token = Some(TokenChoice::Given(token.into()));
        self
    }

    /// Like [`ServerBuilder::token`], with a random 128-bit token chosen at
    /// [`ServerBuilder::start`] (see it in [`Server::url`]).
    pub fn random_token(mut self) -> ServerBuilder {
        self.token = Some(TokenChoice::Random);
        self
    }

    /// Also accepts WebSockets from pages of these origins
    /// (`"https://app.example:8443"`; `"null"` for pages opened from files;
    /// `"*"` for any page of any site, which gives every site the user
    /// visits the scene and the callbacks). By default only the server's
    /// own page (under any loopback name, on a loopback bind) may connect.
    pub fn allowed_origins<S: Into<String>>(
        mut self,
        origins: impl IntoIterator<Item = S>,
    ) -> ServerBuilder {
        self.allowed_origins.extend(
            origins
                .into_iter()
                .map(|o| o.into().trim().trim_end_matches('/').to_ascii_lowercase()),
        );
        self
    }

    /// The access rules, checked.
    fn access(&self, bound: &SocketAddr) -> Result<crate::access::Access> {
        let token = match &self.token {
            None => None,
            Some(TokenChoice::Random) => Some(crate::access::random_token().map_err(|e| {
                ServerError::invalid(
                    "random_token",
                    format!("no randomness from the OS: {e}; set token() instead"),
                )
            })?),
            Some(TokenChoice::Given(token)) => {
                let allowed = |c: char| c.is_ascii_alphanumeric() || "._~-".contains(c);
                if !(8..=256).contains(&token.len()) || !token.chars().all(allowed) {
                    return Err(ServerError::invalid(
                        "token",
                        "must be 8 to 256 characters of A-Z a-z 0-9 . _ ~ -",
                    ));
                }
                Some(token.clone())
            }
        };
        Ok(crate::access::Access {
            token,
            allowed_origins: self.allowed_origins.clone(),
            loopback_only: bound.ip().is_loopback(),
        })
    }

    /// Bytes of recorded blocks the server keeps in memory (default 256 MiB);
    /// past it the least recently used blocks are encoded, then spilled to
    /// disk. If the disk refuses, they stay in memory and the server logs it
    /// once: nothing recorded is lost.
    pub fn memory_budget_bytes(mut self, bytes: usize) -> ServerBuilder {
        self.memory_budget_bytes = Some(bytes);
        self
    }

    /// The directory in which the timeline creates its private spill
    /// directory (default: the system's temporary directory).
    pub fn spill_dir(mut self, dir: impl Into<PathBuf>) -> ServerBuilder {
        self.spill_dir = Some(dir.into());
        self
    }

    /// Whether the page loads the viser4d runtime (default true). Without
    /// it the page is viser's own, untouched: for content that carries its
    /// runtime itself (a recording with the single-script runtime inside).
    pub fn inject_runtime(mut self, inject: bool) -> ServerBuilder {
        self.inject_runtime = inject;
        self
    }

    /// Serves a `.viser` recording at `/recording.viser`; the page plays it
    /// at [`Server::recording_url`] (viser's `?playbackPath=`).
    pub fn recording(mut self, bytes: impl Into<bytes::Bytes>) -> ServerBuilder {
        self.recording = Some(bytes.into());
        self
    }

    /// The timeline settings, checked; `None` without `num_steps`, `fps`
    /// or `open_ended`.
    fn timeline_settings(&self) -> Result<Option<TimelineSettings>> {
        let open_ended = self.open_ended || (self.num_steps.is_none() && self.fps.is_some());
        let num_steps = match self.num_steps {
            Some(n) => n,
            None if open_ended => 0,
            None => return Ok(None),
        };
        if num_steps == 0 && !open_ended {
            return Err(ServerError::invalid("num_steps", "must be positive, got 0"));
        }
        let fps = self.fps.unwrap_or(DEFAULT_FPS);
        if !(fps.is_finite() && fps > 0.0) {
            return Err(ServerError::invalid(
                "fps",
                format!("must be positive and finite, got {fps}"),
            ));
        }
        let block_size = match self.block_size {
            Some(0) => {
                return Err(ServerError::invalid(
                    "block_size",
                    "must be positive, got 0",
                ));
            }
            Some(b) => b,
            None => match env_number(BLOCK_SIZE_ENV)? {
                Some(b) => u32::try_from(b).map_err(|_| ServerError::InvalidEnv {
                    var: BLOCK_SIZE_ENV,
                    value: b.to_string(),
                    reason: "too large".to_owned(),
                })?,
                None => DEFAULT_BLOCK_SIZE,
            },
        };
        let cache_bytes = match self.client_cache_bytes {
            Some(0) => {
                return Err(ServerError::invalid(
                    "client_cache_bytes",
                    "must be positive, got 0",
                ));
            }
            Some(c) => c,
            None => env_number(CLIENT_CACHE_ENV)?.unwrap_or(DEFAULT_CLIENT_CACHE_BYTES),
        };
        if self.max_block_bytes == Some(0) {
            return Err(ServerError::invalid(
                "max_block_bytes",
                "must be positive, got 0",
            ));
        }
        if self.memory_budget_bytes == Some(0) {
            return Err(ServerError::invalid(
                "memory_budget_bytes",
                "must be positive, got 0",
            ));
        }
        Ok(Some(TimelineSettings {
            num_steps,
            open_ended,
            retention: self.retention.check()?,
            fps,
            block_size,
            max_block_bytes: self.max_block_bytes,
            cache_bytes,
            memory_budget_bytes: self.memory_budget_bytes,
            spill_dir: self.spill_dir.clone(),
            playback_speed: crate::timeline::check_start_speed(self.playback_speed)?,
            looping: self.looping,
        }))
    }

    /// Binds the port and starts serving.
    pub fn start(self) -> Result<Server> {
        if self.client_backlog_bytes == 0 {
            return Err(ServerError::invalid("client_backlog_bytes", "must be > 0"));
        }
        let timeline = self.timeline_settings()?;
        let mut bundle = Bundle::resolve(self.bundle_dir.as_deref(), self.inject_runtime)?;
        bundle.recording = self.recording.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("viser4d")
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        let addr = format!("{}:{}", self.host, self.port);
        let listener = runtime
            .block_on(TcpListener::bind(&addr))
            .map_err(|source| ServerError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { addr, source })?;
        let access = self.access(&local_addr)?;
        if let Some(warning) = crate::access::exposure_warning(&self.host, access.token.is_some()) {
            tracing::warn!("{warning}");
        }
        let config = Config {
            access,
            outbox_budget_bytes: self.client_backlog_bytes,
            max_messages_per_frame: 128,
            min_frame_interval: Duration::from_micros(1_000_000 / 60),
        };
        let shared = Arc::new(Shared::new(bundle, config, timeline.as_ref())?);
        runtime.spawn(accept_loop(shared.clone(), listener));
        let jobs = shared
            .lock()
            .timeline
            .as_mut()
            .and_then(|t| t.jobs_rx.take());
        if let Some(jobs) = jobs {
            runtime.spawn(crate::timeline::encoder(shared.clone(), jobs));
        }
        if let Some(dirty) = shared.lock().timeline.as_ref().map(|t| t.dirty.clone()) {
            runtime.spawn(crate::timeline::refresher(shared.clone(), dirty));
        }
        let server = Server {
            shared,
            runtime: Some(runtime),
            local_addr,
        };
        server.init_scene();
        tracing::info!(url = %server.url(), "viser4d server listening");
        Ok(server)
    }
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shared.shutdown.notified() => break,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        stream.set_nodelay(true).ok();
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| crate::http::handle(shared.clone(), req));
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "http connection ended with an error");
            }
        });
    }
}

/// A snapshot of a running server, from [`Server::stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Tabs connected.
    pub tabs: usize,
    /// Bytes queued for the tabs and not yet written to their sockets.
    pub queued_bytes: usize,
    /// Tasks alive on the server's runtime (about two a tab, plus a few).
    pub tasks: usize,
}

/// A running viser4d server.
pub struct Server {
    pub(crate) shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
    local_addr: SocketAddr,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("url", &self.url()).finish()
    }
}

/// An open [`Server::atomic`] batch; dropping it sends the batch.
#[must_use = "the batch is sent when this guard is dropped"]
pub struct AtomicBatch {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for AtomicBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicBatch").finish_non_exhaustive()
    }
}

impl Drop for AtomicBatch {
    fn drop(&mut self) {
        self.shared.end_atomic();
    }
}

impl Server {
    /// A builder with the defaults (`127.0.0.1:8080`).
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The URL to open in a browser.
    pub fn url(&self) -> String {
        match &self.shared.config.access.token {
            Some(token) => format!("http://{}/?token={token}", self.local_addr),
            None => format!("http://{}", self.local_addr),
        }
    }

    /// The page playing the recording given to the builder.
    pub fn recording_url(&self) -> String {
        let token = match &self.shared.config.access.token {
            Some(token) => format!("&token={token}"),
            None => String::new(),
        };
        format!(
            "http://{}/?playbackPath={}{token}",
            self.local_addr,
            crate::bundle::RECORDING_PATH
        )
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// The scene every tab shares.
    pub fn scene(&self) -> SceneApi {
        SceneApi::new(self.shared.clone(), Scope::Broadcast)
    }

    /// The GUI every tab shares.
    pub fn gui(&self) -> GuiApi {
        GuiApi::new(self.shared.clone(), Scope::Broadcast)
    }

    /// The tabs connected now.
    pub fn clients(&self) -> Vec<ClientHandle> {
        self.shared
            .client_ids()
            .into_iter()
            .map(|id| ClientHandle::new(self.shared.clone(), id))
            .collect()
    }

    /// Runs `callback` for each tab that connects (after its state replay
    /// has been queued).
    pub fn on_client_connect(
        &self,
        callback: impl Fn(&ClientHandle) + Send + Sync + 'static,
    ) -> CallbackId {
        let callback: ClientCallback = Arc::new(callback);
        crate::callbacks::register(&self.shared.callbacks.connect, callback)
    }

    /// Runs `callback` for each tab that disconnects.
    pub fn on_client_disconnect(
        &self,
        callback: impl Fn(&ClientHandle) + Send + Sync + 'static,
    ) -> CallbackId {
        let callback: ClientCallback = Arc::new(callback);
        crate::callbacks::register(&self.shared.callbacks.disconnect, callback)
    }

    /// Unregisters a callback given to [`Self::on_client_connect`],
    /// [`Self::on_client_disconnect`], [`Self::on_timestep_change`] or
    /// [`Self::on_playback_change`]; `false` if it is not registered here.
    /// A run already under way finishes.
    pub fn remove_callback(&self, id: CallbackId) -> bool {
        self.shared.callbacks.remove(id)
    }

    /// Sends what every tab has queued now, without waiting for the next
    /// frame (viser's `flush`), and pending timeline edits with it. It does
    /// not wait for the tabs to receive it.
    pub fn flush(&self) -> Result<()> {
        if self.shared.lock().timeline.is_some() {
            crate::timeline::flush_now(&self.shared)?;
        }
        self.shared.flush_clients();
        Ok(())
    }

    /// Groups the calls made until the returned guard is dropped: each tab
    /// receives all of them in one frame, never some without the others
    /// (viser's `atomic`). Sending from other threads is held as well, so
    /// keep the batch short. Guards nest; the outermost one sends.
    ///
    /// ```no_run
    /// # use viser4d_server::{Server, scene::FrameOptions};
    /// let server = Server::builder().start()?;
    /// {
    ///     let _batch = server.atomic();
    ///     server.scene().add_frame("/a", FrameOptions::default())?;
    ///     server.scene().add_frame("/b", FrameOptions::default())?;
    /// } // both reach every tab together
    /// # Ok::<(), viser4d_server::ServerError>(())
    /// ```
    pub fn atomic(&self) -> AtomicBatch {
        self.shared.begin_atomic();
        AtomicBatch {
            shared: self.shared.clone(),
        }
    }

    /// Number of messages a new tab is sent before `ReplayDoneMessage`.
    ///
    /// For tests and benchmarks; not part of the stable API.
    #[doc(hidden)]
    pub fn replay_len(&self) -> usize {
        self.shared.replay_len()
    }

    /// Block encodings handed to the encoder task and not yet back
    /// (0 without a timeline). Installing one can spill or replace a
    /// spilled file, so a test that touches the spill directory waits for 0.
    ///
    /// For tests and benchmarks; not part of the stable API.
    #[doc(hidden)]
    pub fn encodings_in_flight(&self) -> usize {
        self.shared
            .lock()
            .timeline
            .as_ref()
            .map_or(0, crate::timeline::Timeline::encodings_in_flight)
    }

    /// Bytes queued for a tab and not yet written (diagnostics).
    ///
    /// For tests and benchmarks; not part of the stable API.
    #[doc(hidden)]
    pub fn client_backlog_bytes(&self, client: &ClientHandle) -> Option<usize> {
        self.shared.queued_bytes(client.id())
    }

    /// What the server holds now: tabs connected, bytes queued for them,
    /// tasks alive on its runtime. For monitoring a long-running server
    /// (and the load harness): after tabs leave, all three come back down.
    pub fn stats(&self) -> ServerStats {
        let (tabs, queued_bytes) = self.shared.totals();
        ServerStats {
            tabs,
            queued_bytes,
            tasks: self
                .runtime
                .as_ref()
                .map_or(0, |r| r.metrics().num_alive_tasks()),
        }
    }

    /// Blocks the calling thread until the process is killed.
    pub fn sleep_forever(&self) -> ! {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }

    /// Disconnects every tab and stops listening. Also done on drop.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if self.shared.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        self.shared.shutdown.notify_waiters();
        self.shared.kill_all();
        if let Some(runtime) = self.runtime.take() {
            // Waiting is not allowed inside an async context (a server
            // dropped from async code); there the runtime winds down in the
            // background instead.
            if tokio::runtime::Handle::try_current().is_ok() {
                runtime.shutdown_background();
            } else {
                runtime.shutdown_timeout(Duration::from_secs(2));
            }
        }
        tracing::info!("viser4d server stopped");
    }

    /// viser's initial scene: hidden world axes.
    fn init_scene(&self) {
        let axes = FrameOptions {
            axes_radius: 0.0125,
            ..FrameOptions::default()
        };
        if let Ok(handle) = self.scene().add_frame("/WorldAxes", axes) {
            handle.set_visible(false).ok();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_numbers_are_positive_integers_and_bad_ones_are_named() {
        assert_eq!(parse_env_number(BLOCK_SIZE_ENV, None).ok(), Some(None));
        assert_eq!(
            parse_env_number(BLOCK_SIZE_ENV, Some(" 64 ".into())).ok(),
            Some(Some(64))
        );
        for bad in ["0", "-3", "lots", "1.5", ""] {
            let error = parse_env_number(CLIENT_CACHE_ENV, Some(bad.into()))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                error.contains(CLIENT_CACHE_ENV) && error.contains(&format!("{bad:?}")),
                "{bad:?}: {error}"
            );
        }
    }
}
