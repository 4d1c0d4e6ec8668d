//! A slow network on loopback: a TCP proxy that limits each direction's
//! bandwidth and delays every byte by a fixed latency, and counts what
//! crosses it. Browser tests open the page through it, so a tab sees a
//! link like a laptop's across an office network, the same on every run.
//!
//! The model of one direction: bytes are read as they come, then leave one
//! after another at the link's rate (each chunk waits for the ones before
//! it to be sent), and arrive `latency` after they were sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A link's shape.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    /// Bits per second, each direction.
    pub bits_per_sec: f64,
    /// One-way delay.
    pub latency: Duration,
}

impl Link {
    /// 100 Mbit/s with 20 ms each way: a good office or home link.
    pub const OFFICE: Link = Link {
        bits_per_sec: 100e6,
        latency: Duration::from_millis(20),
    };
}

/// Bytes that crossed the proxy, by direction.
#[derive(Debug, Default)]
pub struct Counters {
    /// Server to browser.
    pub down: AtomicU64,
    /// Browser to server.
    pub up: AtomicU64,
}

/// A running proxy; it stops with the runtime that drives it.
pub struct Throttle {
    /// The port to open instead of the server's.
    pub port: u16,
    /// What crossed it so far.
    pub counters: Arc<Counters>,
    _runtime: tokio::runtime::Runtime,
}

impl Throttle {
    /// Binds 127.0.0.1 on a free port; connections go to `target` once
    /// [`Throttle::forward_to`] is called (the port is known first, so a
    /// server can be told to allow the proxy's origin).
    pub fn bind(link: Link) -> (Throttle, PendingTarget) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the proxy");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("binding the proxy on loopback");
        let port = listener.local_addr().expect("its address").port();
        let counters = Arc::new(Counters::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<u16>();
        let c = counters.clone();
        runtime.spawn(async move {
            let Ok(target) = rx.await else { return };
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let c = c.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await {
                        relay(client, server, link, c).await;
                    }
                });
            }
        });
        (
            Throttle {
                port,
                counters,
                _runtime: runtime,
            },
            PendingTarget(tx),
        )
    }

    /// The URL of `server_url`'s page through the proxy.
    pub fn url(&self, server_url: &str) -> String {
        let rest = server_url
            .strip_prefix("http://")
            .and_then(|r| r.split_once('/').map(|(_, path)| path))
            .unwrap_or("");
        format!("http://127.0.0.1:{}/{rest}", self.port)
    }

    /// The origin a page opened through the proxy has.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Bytes sent from the server to the browser so far.
    pub fn down(&self) -> u64 {
        self.counters.down.load(Ordering::Relaxed)
    }
}

/// Where the proxy sends its connections, once known.
pub struct PendingTarget(tokio::sync::oneshot::Sender<u16>);

impl PendingTarget {
    /// Starts forwarding to `port` on loopback.
    pub fn forward_to(self, port: u16) {
        self.0.send(port).ok();
    }
}

async fn relay(client: TcpStream, server: TcpStream, link: Link, counters: Arc<Counters>) {
    client.set_nodelay(true).ok();
    server.set_nodelay(true).ok();
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pipe(client_read, server_write, link, counters.clone(), false);
    let down = pipe(server_read, client_write, link, counters, true);
    tokio::join!(up, down);
}

/// How late a timer may wake without the link losing the time.
const TIMER_SLACK: Duration = Duration::from_millis(5);

/// One direction of the link.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: Link,
    counters: Arc<Counters>,
    down: bool,
) {
    // Chunks in flight on the wire, with when each arrives. Bounded, so a
    // fast sender is slowed by the link as TCP would be, not buffered.
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(256);
    let sender = async move {
        let mut buf = vec![0u8; 64 << 10];
        let mut wire_free = Instant::now();
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let counter = if down { &counters.down } else { &counters.up };
            counter.fetch_add(n as u64, Ordering::Relaxed);
            let send_time = Duration::from_secs_f64(n as f64 * 8.0 / link.bits_per_sec);
            // A sleep wakes up to a timer tick late: a busy link keeps its
            // own schedule through that, or each chunk would lose the
            // overshoot and the link would carry half its rate. Only a
            // link idle for longer starts again from now.
            let now = Instant::now();
            let start = if now > wire_free + TIMER_SLACK {
                now
            } else {
                wire_free
            };
            wire_free = start + send_time;
            // The link is busy until this chunk is on it: read no faster.
            tokio::time::sleep_until(wire_free).await;
            if tx
                .send((wire_free + link.latency, buf[..n].to_vec()))
                .await
                .is_err()
            {
                break;
            }
        }
    };
    let receiver = async move {
        while let Some((arrives, chunk)) = rx.recv().await {
            tokio::time::sleep_until(arrives).await;
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        to.shutdown().await.ok();
    };
    tokio::join!(sender, receiver);
}

#[test]
fn the_proxy_limits_bandwidth_adds_latency_and_counts_bytes() {
    let link = Link {
        bits_per_sec: 8e6, // 1 MB/s
        latency: Duration::from_millis(50),
    };
    let (proxy, pending) = Throttle::bind(link);
    let rt = crate::support::runtime();
    rt.block_on(async {
        let echo = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        pending.forward_to(echo.local_addr().expect("addr").port());
        let server = tokio::spawn(async move {
            let (mut s, _) = echo.accept().await.expect("accept");
            let mut first = [0u8; 1];
            s.read_exact(&mut first).await.expect("a byte");
            s.write_all(&vec![7u8; 500_000]).await.expect("write");
        });
        let mut c = TcpStream::connect(("127.0.0.1", proxy.port))
            .await
            .expect("connect");
        let started = std::time::Instant::now();
        c.write_all(&[1]).await.expect("a byte");
        let mut got = vec![0u8; 500_000];
        c.read_exact(&mut got).await.expect("the reply");
        let took = started.elapsed();
        server.await.ok();
        // 0.5 MB at 1 MB/s plus two latencies: never faster than that.
        assert!(
            took >= Duration::from_millis(550),
            "took {took:?}: the link was not slowed"
        );
        assert_eq!(proxy.down(), 500_000);
        assert_eq!(proxy.counters.up.load(Ordering::Relaxed), 1);
    });
}
