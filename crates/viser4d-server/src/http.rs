//! The HTTP side of the one port: the client page, our assets, 404 for the
//! rest, and the WebSocket upgrade (accepted on any path, as viser does).

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::access::Denied;
use crate::shared::Shared;

pub(crate) type Body = Full<Bytes>;

pub(crate) async fn handle(
    shared: Arc<Shared>,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let websocket = is_websocket_upgrade(&req);
    let granted = match shared.config.access.check(&req, websocket) {
        Ok(granted) => granted,
        Err(denied) => return Ok(refuse(&denied, req.uri().path())),
    };
    let mut response = if websocket {
        upgrade(shared, &mut req)
    } else {
        serve(&shared, &req)
    };
    if let Some(cookie) = granted.set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// One log line naming what was refused, and a response that says why.
fn refuse(denied: &Denied, path: &str) -> Response<Body> {
    match denied {
        Denied::Origin(origin) => {
            tracing::warn!(%origin, path, "refused a WebSocket from a page of another origin (ServerBuilder::allowed_origins widens this)");
            plain(StatusCode::FORBIDDEN, "this origin may not connect")
        }
        Denied::Host(host) => {
            tracing::warn!(%host, path, "refused a request naming a host other than this loopback server (DNS rebinding?; a reverse proxy needs ServerBuilder::allowed_origins)");
            plain(StatusCode::FORBIDDEN, "unknown host")
        }
        Denied::Token => {
            tracing::warn!(path, "refused a request without the access token");
            plain(
                StatusCode::UNAUTHORIZED,
                "an access token is required: open the URL the server printed",
            )
        }
    }
}

fn serve(shared: &Shared, req: &Request<Incoming>) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET");
    }
    let path = req.uri().path();
    if path == "/" || path == "/index.html" {
        let accepts_gzip = req
            .headers()
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
        let bundle = &shared.bundle;
        let (body, gzip) = if accepts_gzip {
            (bundle.index_html_gzip(), true)
        } else {
            (bundle.index_html.clone(), false)
        };
        let mut response = Response::new(Full::new(body));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if gzip {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        return response;
    }
    if path == crate::bundle::RECORDING_PATH
        && let Some(bytes) = &shared.bundle.recording
    {
        let mut response = Response::new(Full::new(bytes.clone()));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        return response;
    }
    if let Some((content_type, bytes)) = shared.bundle.asset(path) {
        let mut response = Response::new(Full::new(bytes.clone()));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        return response;
    }
    plain(StatusCode::NOT_FOUND, "not found")
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

fn is_websocket_upgrade<B>(req: &Request<B>) -> bool {
    let has = |name: header::HeaderName, token: &str| {
        req.headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    req.method() == Method::GET
        && has(header::CONNECTION, "upgrade")
        && has(header::UPGRADE, "websocket")
}

/// Answers the upgrade and hands the socket to a connection task. The
/// subprotocol is selected when the client offers ours; a client offering
/// only another viser version is still upgraded, then closed with 1002 and
/// a reason naming both versions (a browser cannot read a refused
/// handshake's body, but it does see a close reason).
fn upgrade(shared: Arc<Shared>, req: &mut Request<Incoming>) -> Response<Body> {
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY).cloned() else {
        return plain(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key");
    };
    let offered: Vec<String> = req
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|p| p.trim().to_owned()))
        .filter(|p| !p.is_empty())
        .collect();
    let speaks_ours = offered.iter().any(|p| p == viser4d_proto::SUBPROTOCOL);

    let on_upgrade = hyper::upgrade::on(req);
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    let protocol = if speaks_ours {
        Some(viser4d_proto::SUBPROTOCOL.to_owned())
    } else {
        offered.first().cloned()
    };
    if let Some(p) = protocol
        .as_deref()
        .and_then(|p| HeaderValue::from_str(p).ok())
    {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, p);
    }
    let mismatch = (!speaks_ours).then(|| offered.join(", "));
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => crate::connection::run(shared, upgraded, mismatch).await,
            Err(error) => tracing::warn!(%error, "websocket upgrade failed"),
        }
    });
    response
}
