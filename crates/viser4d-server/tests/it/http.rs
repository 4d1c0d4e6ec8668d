//! The HTTP side of the port: the client page (plain and gzip, with our
//! loader injected), and 404 for everything else, `..` included. Requests
//! go over a raw socket so nothing normalizes the path on the way.

use std::io::{Read, Write};
use std::net::TcpStream;

use viser4d_server::{Server, ServerError};

use crate::support;

#[derive(Debug)]
struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` with `headers`, exactly as written (no path normalization).
fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    get_from_host(port, &format!("127.0.0.1:{port}"), path, headers)
}

/// [`get`] naming `host` in the `Host` header.
fn get_from_host(port: u16, host: &str, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting");
    stream
        .set_read_timeout(Some(support::DEADLINE))
        .expect("setting a read timeout");
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .expect("sending the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("reading the response");

    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

#[test]
fn index_has_our_script_before_head_end() {
    let server = support::server();
    for path in ["/", "/index.html"] {
        let response = get(server.port(), path, &[]);
        assert_eq!(response.status, 200, "{path}");
        assert!(
            response
                .header("content-type")
                .is_some_and(|v| v.starts_with("text/html")),
            "{path}: {:?}",
            response.headers
        );
        assert_eq!(response.header("content-encoding"), None, "{path}");
        let page = String::from_utf8(response.body).expect("a UTF-8 page");
        let head_end = page.rfind("</head>").expect("the page has </head>");
        let loader = page
            .find("/viser4d/viser4d_runtime.js")
            .expect("our loader is in the page");
        let script = page[..loader]
            .rfind("<script")
            .expect("our loader is a <script>");
        assert!(script < head_end, "our <script> comes before </head>");
        assert!(
            page[script..head_end].contains("</script>"),
            "our script is closed before </head>"
        );
    }
}

#[test]
fn index_is_gzipped_when_accepted() {
    let server = support::server();
    let plain = get(server.port(), "/", &[]);
    let gzipped = get(
        server.port(),
        "/",
        &[("Accept-Encoding", "br, gzip, deflate")],
    );
    assert_eq!(gzipped.status, 200);
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    // The page is mostly an already-compressed script, so gzip gains little.
    assert!(
        gzipped.body.len() < plain.body.len(),
        "the gzip copy is smaller ({} vs {} bytes)",
        gzipped.body.len(),
        plain.body.len()
    );
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gzipped.body[..])
        .read_to_end(&mut decoded)
        .expect("a valid gzip body");
    assert!(decoded == plain.body, "the gzip copy is the same page");
}

#[test]
fn unknown_and_escaping_paths_are_404() {
    let server = support::server();
    for path in [
        "/viser4d/../index.html",
        "/viser4d/..%2Findex.html",
        "/viser4d/",
        "/viser4d/nope.js",
        "/nope",
        "/index.htm",
        "/../../etc/passwd",
    ] {
        let response = get(server.port(), path, &[]);
        assert_eq!(response.status, 404, "{path}");
        assert!(
            !String::from_utf8_lossy(&response.body).contains("<html"),
            "{path} must not serve the page"
        );
    }
}

#[test]
fn runtime_assets_are_served_from_the_embedded_bundle() {
    let server = support::server();
    for file in viser4d_assets::RUNTIME_FILES {
        let response = get(server.port(), &format!("/viser4d/{}", file.name), &[]);
        assert_eq!(response.status, 200, "{}", file.name);
        assert_eq!(response.header("content-type"), Some(file.content_type));
        assert!(
            response.body == file.bytes,
            "{}: the embedded bytes",
            file.name
        );
    }
}

/// A bundle directory with the page and, optionally, the runtime files.
fn bundle_dir(with_runtime: bool, version_line: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("index.html"), viser4d_assets::CLIENT_PAGE).expect("page");
    if with_runtime {
        std::fs::create_dir(dir.path().join("viser4d")).expect("runtime dir");
        for file in viser4d_assets::RUNTIME_FILES {
            std::fs::write(dir.path().join("viser4d").join(file.name), file.bytes).expect("file");
        }
    }
    if let Some(line) = version_line {
        std::fs::write(dir.path().join("runtime-version"), line).expect("version");
    }
    dir
}

#[test]
fn a_bundle_directory_without_the_runtime_is_refused_at_start() {
    let dir = bundle_dir(false, None);
    let error = Server::builder()
        .host("127.0.0.1")
        .port(0)
        .bundle_dir(dir.path())
        .start()
        .expect_err("no runtime in the bundle");
    assert!(
        matches!(error, ServerError::RuntimeMissing { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("viser4d_runtime.js"), "{error}");
    // Without the runtime injected, viser's page alone is enough.
    let server = Server::builder()
        .host("127.0.0.1")
        .port(0)
        .bundle_dir(dir.path())
        .inject_runtime(false)
        .start()
        .expect("a page-only server");
    assert_eq!(get(server.port(), "/", &[]).status, 200);
}

#[test]
fn a_bundle_of_another_protocol_revision_is_refused_at_start() {
    let dir = bundle_dir(true, Some("0.0.1 protocol 1"));
    let error = Server::builder()
        .host("127.0.0.1")
        .port(0)
        .bundle_dir(dir.path())
        .start()
        .expect_err("a runtime of protocol 1");
    assert!(
        matches!(
            error,
            ServerError::RuntimeMismatch {
                expected: viser4d_proto::timeline::PROTOCOL_REVISION,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("0.0.1 protocol 1"), "{error}");
    let dir = bundle_dir(true, Some(viser4d_assets::RUNTIME_VERSION_LINE));
    let server = Server::builder()
        .host("127.0.0.1")
        .port(0)
        .bundle_dir(dir.path())
        .start()
        .expect("a bundle directory matching the server");
    let response = get(server.port(), "/viser4d/viser4d_runtime_bg.wasm", &[]);
    assert!(response.body == viser4d_assets::RUNTIME_WASM);
}

/// The headers of a WebSocket upgrade viser's client would send.
const UPGRADE: [(&str, &str); 4] = [
    ("Upgrade", "websocket"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Sec-WebSocket-Version", "13"),
    ("Sec-WebSocket-Protocol", "viser-v1.1.1"),
];

fn upgrade_from(port: u16, host: &str, extra: &[(&str, &str)]) -> HttpResponse {
    let mut headers: Vec<(&str, &str)> = UPGRADE.to_vec();
    headers.extend_from_slice(extra);
    headers.push(("Connection", "Upgrade"));
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("setting a read timeout");
    let mut request = format!("GET / HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in &headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("sending");
    // The head only: an accepted upgrade keeps the socket open.
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
        raw.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&raw).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("a status line in {head:?}"));
    HttpResponse {
        status,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

#[test]
fn websockets_from_other_origins_are_refused_and_logged() {
    let server = support::server();
    let port = server.port();
    let own = format!("127.0.0.1:{port}");
    for origin in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ] {
        let response = upgrade_from(port, &own, &[("Origin", &origin)]);
        assert_eq!(response.status, 101, "{origin}");
    }
    assert_eq!(
        upgrade_from(port, &own, &[]).status,
        101,
        "programs send no Origin"
    );
    for origin in ["http://evil.example", "null", "http://localhost:1"] {
        assert_eq!(
            upgrade_from(port, &own, &[("Origin", origin)]).status,
            403,
            "{origin}"
        );
    }
    let logs = support::logs();
    assert!(
        logs.contains("refused a WebSocket from a page of another origin")
            && logs.contains("http://evil.example"),
        "{logs}"
    );
    // DNS rebinding: a page of evil.example whose name now points here.
    let rebound = format!("evil.example:{port}");
    let origin = format!("http://{rebound}");
    assert_eq!(
        upgrade_from(port, &rebound, &[("Origin", &origin)]).status,
        403
    );
    assert_eq!(get_from_host(port, &rebound, "/", &[]).status, 403);

    let widened = support::server_with(|b| b.allowed_origins(["https://app.example"]));
    let own = format!("127.0.0.1:{}", widened.port());
    assert_eq!(
        upgrade_from(widened.port(), &own, &[("Origin", "https://app.example")]).status,
        101
    );
}

#[test]
fn a_token_is_required_on_every_request_and_kept_in_a_cookie() {
    let server = support::server_with(|b| b.token("correct-horse-battery"));
    let port = server.port();
    assert!(
        server.url().ends_with("/?token=correct-horse-battery"),
        "{}",
        server.url()
    );
    for path in [
        "/",
        "/viser4d/viser4d_runtime.js",
        "/?token=wrong-horse-battery",
    ] {
        assert_eq!(get(port, path, &[]).status, 401, "{path}");
    }
    let own = format!("127.0.0.1:{port}");
    assert_eq!(upgrade_from(port, &own, &[]).status, 401);
    let page = get(port, "/?token=correct-horse-battery", &[]);
    assert_eq!(page.status, 200);
    let cookie = page
        .header("set-cookie")
        .expect("the token cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap_or_default();
    assert_eq!(
        get(port, "/viser4d/viser4d_runtime.js", &[("Cookie", pair)]).status,
        200
    );
    assert_eq!(upgrade_from(port, &own, &[("Cookie", pair)]).status, 101);

    assert!(
        Server::builder().port(0).token("short").start().is_err(),
        "a guessable token is refused"
    );
    let random = support::server_with(|b| b.random_token());
    assert!(
        random.url().contains("?token=") && random.url().len() > 40,
        "{}",
        random.url()
    );
}
