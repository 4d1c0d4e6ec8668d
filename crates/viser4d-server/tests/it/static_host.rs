//! A plain static file server on loopback, standing in for a static host
//! or a CDN: GET of files under a folder, nothing else, counting requests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A running file server; it stops when dropped.
pub struct StaticHost {
    pub port: u16,
    /// Requests answered so far, by path.
    pub requests: Arc<std::sync::Mutex<Vec<String>>>,
    pub bytes_sent: Arc<AtomicU64>,
    _runtime: tokio::runtime::Runtime,
}

impl StaticHost {
    /// Serves `root` on 127.0.0.1 at a free port.
    pub fn serve(root: &Path) -> StaticHost {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the file server");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("binding the file server on loopback");
        let port = listener.local_addr().expect("its address").port();
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let bytes_sent = Arc::new(AtomicU64::new(0));
        let (root, r, b) = (root.to_owned(), requests.clone(), bytes_sent.clone());
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(connection(stream, root.clone(), r.clone(), b.clone()));
            }
        });
        StaticHost {
            port,
            requests,
            bytes_sent,
            _runtime: runtime,
        }
    }

    /// Requests whose path starts with `prefix`.
    pub fn requests_under(&self, prefix: &str) -> usize {
        let requests = self.requests.lock().expect("requests");
        requests.iter().filter(|p| p.starts_with(prefix)).count()
    }
}

async fn connection(
    stream: TcpStream,
    root: PathBuf,
    requests: Arc<std::sync::Mutex<Vec<String>>>,
    sent: Arc<AtomicU64>,
) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    // Bounded: a test's page makes a few dozen requests per connection.
    for _ in 0..10_000 {
        let mut request_line = String::new();
        if read.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut header = String::new();
            if read.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" || header == "\n" {
                break;
            }
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let path = target.split(['?', '#']).next().unwrap_or("/");
        let path = if path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.to_owned()
        };
        requests.lock().expect("requests").push(path.clone());
        let file = (method == "GET" && !path.split('/').any(|s| s == ".."))
            .then(|| root.join(path.trim_start_matches('/')))
            .and_then(|p| std::fs::read(p).ok());
        let response = match &file {
            Some(body) => format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\n\r\n",
                content_type(&path),
                body.len()
            ),
            None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned(),
        };
        if write.write_all(response.as_bytes()).await.is_err() {
            return;
        }
        if let Some(body) = file {
            if write.write_all(&body).await.is_err() {
                return;
            }
            sent.fetch_add(body.len() as u64, Ordering::Relaxed);
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}
