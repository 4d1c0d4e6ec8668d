//! Who may use the server: every HTTP request and WebSocket upgrade passes
//! [`Access::check`] first.
//!
//! Browsers let any page open a WebSocket to any address, so without
//! checks a page on any site a user visits could open `ws://127.0.0.1:8080`,
//! read the whole scene and fire GUI callbacks. Three checks close that:
//! - **Host** (on a loopback bind): the request must name a loopback host,
//!   so a site that re-points its DNS name at 127.0.0.1 (DNS rebinding)
//!   is refused even though its page is then "same origin".
//! - **Origin** (WebSocket upgrades): a browser always sends it; it must be
//!   the server's own page (the `Host` it asked), a loopback name of the
//!   same port, or one given to `ServerBuilder::allowed_origins`. Requests
//!   without an `Origin` (programs, not browsers) pass: a web page cannot
//!   leave it out.
//! - **Token** (when set): `?token=` in the URL or the cookie the page got
//!   with it, on every request.

use std::net::IpAddr;

use hyper::Request;
use hyper::header::{self, HeaderValue};

/// The cookie that carries the token after the first page load.
pub(crate) const TOKEN_COOKIE: &str = "viser4d_token";

/// The server's access rules.
#[derive(Debug, Clone, Default)]
pub(crate) struct Access {
    /// Required on every request when set.
    pub(crate) token: Option<String>,
    /// Origins allowed besides the server's own (lowercase, no trailing
    /// slash); `*` allows every origin, `null` pages opened from files.
    pub(crate) allowed_origins: Vec<String>,
    /// The server listens on a loopback address only: requests must name
    /// a loopback host.
    pub(crate) loopback_only: bool,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Denied {
    /// The `Host` header names a host that is not this loopback server.
    Host(String),
    /// A WebSocket from a page of another origin.
    Origin(String),
    /// No token, or a wrong one.
    Token,
}

/// What a granted request needs in its response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Granted {
    /// The token came in the URL: the response sets the cookie, so the
    /// page's own requests (the WebSocket, the runtime) carry it.
    pub(crate) set_cookie: Option<HeaderValue>,
}

impl Access {
    pub(crate) fn check<B>(&self, req: &Request<B>, websocket: bool) -> Result<Granted, Denied> {
        let host = header_str(req, header::HOST);
        if self.loopback_only
            && let Some(host) = host
            && !is_loopback_name(host_name(host))
            && !self.allows_host(host)
        {
            return Err(Denied::Host(host.to_owned()));
        }
        if websocket
            && let Some(origin) = header_str(req, header::ORIGIN)
            && !self.allows_origin(origin, host)
        {
            return Err(Denied::Origin(origin.to_owned()));
        }
        let Some(token) = &self.token else {
            return Ok(Granted::default());
        };
        if cookie(req, TOKEN_COOKIE).is_some_and(|t| same(t, token)) {
            return Ok(Granted::default());
        }
        if query_param(req.uri().query().unwrap_or(""), "token").is_some_and(|t| same(&t, token)) {
            let cookie = format!("{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
            return Ok(Granted {
                set_cookie: HeaderValue::from_str(&cookie).ok(),
            });
        }
        Err(Denied::Token)
    }

    fn allows_origin(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
        if self
            .allowed_origins
            .iter()
            .any(|o| o == "*" || *o == origin)
        {
            return true;
        }
        // `null`: a page opened from a file, or a sandboxed frame. Exports
        // play without a server, so nothing legitimate needs it by default.
        let Some(authority) = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
        else {
            return false;
        };
        let Some(host) = host.map(str::to_ascii_lowercase) else {
            return false;
        };
        if authority == host {
            return true;
        }
        // localhost:8080 and 127.0.0.1:8080 are the same server.
        is_loopback_name(host_name(authority))
            && is_loopback_name(host_name(&host))
            && port_of(authority) == port_of(&host)
    }

    fn allows_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.allowed_origins.iter().any(|o| {
            o == "*"
                || o.strip_prefix("http://")
                    .or_else(|| o.strip_prefix("https://"))
                    .is_some_and(|authority| authority == host)
        })
    }
}

/// What to tell the operator when the server listens beyond this machine
/// without a token; `None` when that is not the case.
pub(crate) fn exposure_warning(bind_host: &str, has_token: bool) -> Option<String> {
    if has_token || is_loopback_name(bind_host.trim_matches(['[', ']'])) {
        return None;
    }
    Some(format!(
        "listening on {bind_host} without an access token: anyone who can reach this address \
         can view the scene, read every recorded step and trigger the GUI and scene callbacks; \
         set ServerBuilder::token (or random_token) to require one"
    ))
}

/// Whether `name` (no port) is this machine's loopback.
fn is_loopback_name(name: &str) -> bool {
    let name = name.trim_matches(['[', ']']);
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `host[:port]` without the port (`[::1]:80` -> `[::1]`).
fn host_name(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .split_once(']')
            .map_or(authority, |(h, _)| &h[1..]);
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

fn port_of(authority: &str) -> Option<&str> {
    let after_host = if authority.starts_with('[') {
        authority.split_once(']').map(|(_, rest)| rest)?
    } else {
        authority
    };
    after_host.rsplit_once(':').map(|(_, p)| p)
}

fn header_str<B>(req: &Request<B>, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn cookie<'a, B>(req: &'a Request<B>, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// The value of `name` in a query string (percent-decoding `%XX`).
pub(crate) fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find_map(|(k, v)| (k == name).then(|| percent_decode(v)))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Compares in time independent of where the strings differ, so the
/// token cannot be guessed a byte at a time from response times.
fn same(given: &str, token: &str) -> bool {
    let (a, b) = (given.as_bytes(), token.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, expected) in b.iter().enumerate() {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ expected);
    }
    diff == 0
}

/// 32 hex digits from the operating system's randomness.
pub(crate) fn random_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)], uri: &str) -> Request<()> {
        let mut builder = Request::builder().uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).expect("a request")
    }

    fn loopback() -> Access {
        Access {
            loopback_only: true,
            ..Access::default()
        }
    }

    #[test]
    fn websockets_come_only_from_the_servers_own_pages() {
        let access = loopback();
        let host = ("host", "127.0.0.1:8080");
        let ok = |origin: &str| access.check(&request(&[host, ("origin", origin)], "/"), true);
        assert!(ok("http://127.0.0.1:8080").is_ok());
        assert!(ok("http://localhost:8080").is_ok());
        assert!(ok("http://[::1]:8080").is_ok());
        for bad in [
            "http://evil.example",
            "http://localhost:9999",
            "null",
            "file://",
            "http://127.0.0.1:8080.evil.example",
        ] {
            assert_eq!(ok(bad), Err(Denied::Origin(bad.to_owned())), "{bad}");
        }
        // Programs send no Origin; a page cannot leave it out.
        assert!(access.check(&request(&[host], "/"), true).is_ok());
        // Plain page loads are not origin-checked (the browser's
        // same-origin rule keeps other sites from reading them).
        assert!(
            access
                .check(
                    &request(&[host, ("origin", "http://evil.example")], "/"),
                    false
                )
                .is_ok()
        );
        let widened = Access {
            allowed_origins: vec!["https://app.example".to_owned(), "null".to_owned()],
            ..loopback()
        };
        for origin in ["https://app.example", "https://app.example/", "null"] {
            assert!(
                widened
                    .check(&request(&[host, ("origin", origin)], "/"), true)
                    .is_ok(),
                "{origin}"
            );
        }
    }

    #[test]
    fn a_rebound_dns_name_is_refused_on_a_loopback_server() {
        let access = loopback();
        let rebound = request(
            &[
                ("host", "evil.example:8080"),
                ("origin", "http://evil.example:8080"),
            ],
            "/",
        );
        assert_eq!(
            access.check(&rebound, true),
            Err(Denied::Host("evil.example:8080".to_owned()))
        );
        assert!(
            access
                .check(&request(&[("host", "localhost:8080")], "/"), false)
                .is_ok()
        );
        // Not bound to loopback: names are the operator's business.
        let open = Access::default();
        assert!(
            open.check(&request(&[("host", "robot.lan:8080")], "/"), false)
                .is_ok()
        );
    }

    #[test]
    fn the_token_comes_in_the_url_then_in_a_cookie() {
        let access = Access {
            token: Some("s3cret".to_owned()),
            ..loopback()
        };
        let host = ("host", "127.0.0.1:8080");
        assert_eq!(
            access.check(&request(&[host], "/"), false),
            Err(Denied::Token)
        );
        assert_eq!(
            access.check(&request(&[host], "/?token=wrong"), false),
            Err(Denied::Token)
        );
        assert_eq!(
            access.check(&request(&[host], "/?token=s3cre"), false),
            Err(Denied::Token)
        );
        let granted = access
            .check(&request(&[host], "/?a=1&token=s3cret"), false)
            .expect("granted");
        let cookie = granted.set_cookie.expect("a cookie");
        assert!(
            cookie
                .to_str()
                .is_ok_and(|c| c.starts_with("viser4d_token=s3cret;") && c.contains("HttpOnly"))
        );
        let with_cookie = request(
            &[host, ("cookie", "a=b; viser4d_token=s3cret")],
            "/viser4d/x.js",
        );
        assert_eq!(access.check(&with_cookie, true), Ok(Granted::default()));
    }

    #[test]
    fn only_an_open_bind_without_a_token_warns() {
        assert!(exposure_warning("127.0.0.1", false).is_none());
        assert!(exposure_warning("localhost", false).is_none());
        assert!(exposure_warning("::1", false).is_none());
        assert!(exposure_warning("0.0.0.0", true).is_none());
        let warning = exposure_warning("0.0.0.0", false).expect("a warning");
        assert!(
            warning.contains("anyone who can reach") && warning.contains("token"),
            "{warning}"
        );
    }

    #[test]
    fn random_tokens_differ() {
        let (a, b) = (
            random_token().expect("a token"),
            random_token().expect("a token"),
        );
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
