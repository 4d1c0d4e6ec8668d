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
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting");
    stream
        .set_read_timeout(Some(support::DEADLINE))
        .expect("setting a read timeout");
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
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
        matches!(error, ServerError::RuntimeMismatch { expected: 2, .. }),
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
