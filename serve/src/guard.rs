//! What every request passes before a route sees it: its `Host` is one the server answers to
//! (a page on another site that rebinds its name to 127.0.0.1 names its own host), its
//! `Origin`, when a browser sent one, is the server's own or one allowed (a page on another
//! site cannot call it), and it bears a token ([`crate::tokens`]), whose [`Access`] is put in
//! the request's extensions for the tools to check. Refusals are JSON `{error, detail}`.

use crate::{Callers, Options};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engram_mcp::Access;
use http::{HeaderMap, StatusCode, header};
use std::net::SocketAddr;
use std::sync::Arc;

/// The hosts, origins and callers a server accepts.
pub(crate) struct Guard {
    /// Host names (without port) a request may name; empty: any (listening on every
    /// address, with tokens, and no host named).
    hosts: Vec<String>,
    /// Origins (`scheme://host:port`, lower case) a browser request may come from.
    origins: Vec<String>,
    callers: Callers,
}

impl Guard {
    pub(crate) fn new(options: &Options, local: SocketAddr, callers: Callers) -> Guard {
        let port = local.port();
        let mut hosts: Vec<String> = options.allow_hosts.iter().map(|h| lower(h)).collect();
        let mut origins: Vec<String> = (options.allow_origins.iter())
            .map(|o| with_port(&lower(o.trim_end_matches('/'))))
            .collect();
        let ip = local.ip();
        let mut own = vec!["localhost".to_string(), "127.0.0.1".into(), "[::1]".into()];
        if !ip.is_unspecified() {
            own.push(match ip {
                std::net::IpAddr::V6(v6) => format!("[{v6}]"),
                v4 => v4.to_string(),
            });
        }
        for host in &own {
            origins.push(format!("http://{host}:{port}"));
        }
        if !(ip.is_unspecified() && hosts.is_empty()) {
            hosts.extend(own);
        }
        Guard {
            hosts,
            origins,
            callers,
        }
    }

    /// Why a request's `Host` or `Origin` is refused, if it is.
    fn refuses(&self, headers: &HeaderMap) -> Option<String> {
        if !self.hosts.is_empty() {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let Some(host) = host else {
                return Some("the request names no Host".into());
            };
            if !self.hosts.contains(&host_name(host)) {
                return Some(format!(
                    "this server does not answer to the host {host:?} (--allow-host adds one)"
                ));
            }
        }
        let origin = headers.get(header::ORIGIN)?;
        let origin = lower(origin.to_str().unwrap_or("?").trim_end_matches('/'));
        let allowed = self.origins.contains(&with_port(&origin));
        (!allowed).then(|| {
            format!("requests from the origin {origin:?} are refused (--allow-origin adds one)")
        })
    }
}

/// Refuses a request from another host or origin, or without a valid token; else passes it
/// on with what its token may do.
pub(crate) async fn check(
    State(guard): State<Arc<Guard>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(why) = guard.refuses(request.headers()) {
        return refusal(StatusCode::FORBIDDEN, "forbidden", &why);
    }
    if request.uri().path() == "/healthz" || crate::web::is_asset(request.uri().path()) {
        return next.run(request).await;
    }
    let token = (request.headers().get(header::AUTHORIZATION))
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        .map(<[u8]>::trim_ascii);
    let Some(access) = guard.callers.access(token) else {
        let why = match token {
            None => "give a token: Authorization: Bearer <token>",
            Some(_) => "the token is not one this server accepts",
        };
        let mut response = refusal(StatusCode::UNAUTHORIZED, "unauthorized", why);
        let challenge = http::HeaderValue::from_static("Bearer");
        (response.headers_mut()).insert(header::WWW_AUTHENTICATE, challenge);
        return response;
    };
    request.extensions_mut().insert::<Access>(access);
    next.run(request).await
}

/// A refusal: `{error, detail}` with its status.
pub(crate) fn refusal(status: StatusCode, error: &str, detail: &str) -> Response {
    let body = serde_json::json!({"error": error, "detail": detail});
    (status, axum::Json(body)).into_response()
}

fn lower(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

/// The host of a `Host` header, without its port (an IPv6 address keeps its brackets).
fn host_name(host: &str) -> String {
    let host = lower(host);
    match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => host[..i].to_string(),
        _ => host,
    }
}

/// An origin with its port written out (80 for http, 443 for https when it has none).
fn with_port(origin: &str) -> String {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return origin.to_string();
    };
    if host_name(rest) != rest {
        return origin.to_string();
    }
    match scheme {
        "http" => format!("{origin}:80"),
        "https" => format!("{origin}:443"),
        _ => origin.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_lose_their_ports_and_origins_gain_them() {
        assert_eq!(host_name("LOCALHOST:7437"), "localhost");
        assert_eq!(host_name("[::1]:7437"), "[::1]");
        assert_eq!(host_name("[::1]"), "[::1]");
        assert_eq!(host_name("example.com"), "example.com");
        assert_eq!(with_port("http://example.com"), "http://example.com:80");
        assert_eq!(with_port("https://example.com"), "https://example.com:443");
        assert_eq!(with_port("http://127.0.0.1:7437"), "http://127.0.0.1:7437");
        assert_eq!(with_port("null"), "null");
    }
}
