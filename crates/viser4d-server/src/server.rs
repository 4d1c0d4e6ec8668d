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
use crate::callbacks::ClientCallback;
use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
use crate::gui::GuiApi;
use crate::scene::{FrameOptions, SceneApi};
use crate::shared::{Config, Scope, Shared};

/// Configures a [`Server`].
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    host: String,
    port: u16,
    bundle_dir: Option<PathBuf>,
    client_backlog_bytes: usize,
}

impl Default for ServerBuilder {
    fn default() -> ServerBuilder {
        ServerBuilder {
            host: "127.0.0.1".to_owned(),
            port: 8080,
            bundle_dir: None,
            client_backlog_bytes: 256 << 20,
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

    /// Where the client bundle is (default: `VISER4D_DIST_DIR`, else this
    /// workspace's `target/dist`, which `cargo xtask dist` fills).
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

    /// Binds the port and starts serving.
    pub fn start(self) -> Result<Server> {
        if self.client_backlog_bytes == 0 {
            return Err(ServerError::invalid("client_backlog_bytes", "must be > 0"));
        }
        let bundle = Bundle::load(&self.bundle_dir.unwrap_or_else(Bundle::default_dir))?;
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
        let config = Config {
            outbox_budget_bytes: self.client_backlog_bytes,
            max_messages_per_frame: 128,
            min_frame_interval: Duration::from_micros(1_000_000 / 60),
        };
        let shared = Arc::new(Shared::new(bundle, config));
        runtime.spawn(accept_loop(shared.clone(), listener));
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

/// A running viser4d server.
pub struct Server {
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
    local_addr: SocketAddr,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("url", &self.url()).finish()
    }
}

impl Server {
    /// A builder with the defaults (`127.0.0.1:8080`).
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The URL to open in a browser.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
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
    pub fn on_client_connect(&self, callback: impl Fn(&ClientHandle) + Send + Sync + 'static) {
        let callback: ClientCallback = Arc::new(callback);
        self.shared
            .callbacks
            .connect
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(callback);
    }

    /// Runs `callback` for each tab that disconnects.
    pub fn on_client_disconnect(&self, callback: impl Fn(&ClientHandle) + Send + Sync + 'static) {
        let callback: ClientCallback = Arc::new(callback);
        self.shared
            .callbacks
            .disconnect
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(callback);
    }

    /// Number of messages a new tab is sent before `ReplayDoneMessage`.
    pub fn replay_len(&self) -> usize {
        self.shared.replay_len()
    }

    /// Bytes queued for a tab and not yet written (diagnostics).
    pub fn client_backlog_bytes(&self, client: &ClientHandle) -> Option<usize> {
        self.shared.queued_bytes(client.id())
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
