//! The HTTP side of the port: the client page (plain and gzip, with our
//! loader injected), and 404 for everything else, `..` included. Requests
//! go over a raw socket so nothing normalizes the path on the way.

use std::io::{Read, Write};
use std::net::TcpStream;

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
fn runtime_assets_are_served_from_the_bundle() {
    let server = support::server();
    let dist = support::dist_dir();
    let runtime = dist.join("viser4d").join("viser4d_runtime.js");
    let response = get(server.port(), "/viser4d/viser4d_runtime.js", &[]);
    // A bundle without the runtime still serves the page; then the loader's
    // import is a 404 and the page goes on without it.
    let Ok(expected) = std::fs::read(&runtime) else {
        assert_eq!(response.status, 404);
        return;
    };
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|v| v.starts_with("text/javascript")),
        "{:?}",
        response.headers
    );
    assert!(response.body == expected, "served bytes are the bundle's");
}
