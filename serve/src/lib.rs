//! engram-serve: one process serves a store over HTTP to every agent at once (`engram serve`).
//!
//! - `/mcp`: the Model Context Protocol over Streamable HTTP, the same server (tools and
//!   resource) as `engram mcp` over stdio ([`engram_mcp::Server`]), with sessions for clients
//!   of protocols before 2026-07-28 (unguessable ids) unless [`Options::stateless`].
//! - `/v1/...`: a REST API in JSON, one endpoint per capability, each calling the tool of the
//!   MCP server that does it; described at `/v1/openapi.json`.
//! - `/`: a web view (read-only) of what the agents' memory holds and what the rules derived.
//! - `/healthz`: `ok` while the server runs (no token needed).
//! - `/metrics`: requests, latencies and the store's figures, in Prometheus' text format.
//!
//! Every request but `/healthz` and the web view's page and assets needs `Authorization: Bearer <token>`, a token of the file
//! [`Options::auth`] names ([`tokens`]); a token that may only read cannot call a tool that
//! writes. Requests whose `Origin` is not the server's own (or one allowed) are refused with
//! 403, as are requests naming a `Host` that is not the server's (a DNS-rebinding page).
//! SIGTERM or Ctrl-C stops it after the requests in progress are answered (a commit in
//! progress finishes); SIGHUP reads the tokens file again.

mod guard;
mod metrics;
mod openapi;
mod rest;
pub mod tokens;
mod web;

use axum::Router;
use engram_mcp::Access;
use guard::Guard;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use tokens::{Tokens, TokensError};
use tokio_util::sync::CancellationToken;

/// The address `engram serve` listens on unless told another: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7437";

/// How many requests may be in progress at once unless told otherwise.
pub const DEFAULT_MAX_REQUESTS: usize = 256;

/// The largest request body the REST API reads (a batch of entities, a rule file).
const MAX_BODY: usize = 16 << 20;

/// Who may call the server.
#[derive(Clone, Debug)]
pub enum Auth {
    /// Bearers of the tokens of this file ([`tokens`]), read at start and on SIGHUP.
    Tokens(PathBuf),
    /// Anyone who can reach the address: only on a loopback address.
    None,
}

/// How to serve.
#[derive(Clone, Debug)]
pub struct Options {
    /// The store (created with the standard memory rules on first use).
    pub db: PathBuf,
    /// Where to listen (port 0: any free port, printed at start).
    pub listen: SocketAddr,
    /// Who may call it.
    pub auth: Auth,
    /// Browser origins allowed besides the server's own (`https://app.example.com`).
    pub allow_origins: Vec<String>,
    /// Host names clients may reach it by besides its address and `localhost`.
    pub allow_hosts: Vec<String>,
    /// MCP without sessions for every client (the 2026-07-28 protocol is always stateless).
    pub stateless: bool,
    /// At most this many requests in progress; past it a request gets `503` at once.
    pub max_requests: usize,
    /// How the store is opened and its commits bounded.
    pub mcp: engram_mcp::Options,
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `--no-auth` off loopback would hand the store to anyone on the network.
    #[error(
        "refusing to serve {0} without tokens: --no-auth is only for a loopback address \
         (127.0.0.1, ::1); give --token-file"
    )]
    NoAuthOffLoopback(SocketAddr),
    /// The tokens file.
    #[error(transparent)]
    Tokens(#[from] TokensError),
    /// The store could not be opened or created.
    #[error(transparent)]
    Mcp(#[from] engram_mcp::Error),
    /// The address could not be listened on, or the runtime not started.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Who may call, as the running server knows it (the tokens swapped on SIGHUP).
#[derive(Clone)]
enum Callers {
    Tokens(PathBuf, Arc<RwLock<Tokens>>),
    Anyone,
}

impl Callers {
    /// What the bearer of `token` may do.
    fn access(&self, token: Option<&[u8]>) -> Option<Access> {
        match self {
            Callers::Anyone => Some(Access::Write),
            Callers::Tokens(_, tokens) => {
                let tokens = tokens.read().unwrap_or_else(|e| e.into_inner());
                tokens.access(token?)
            }
        }
    }

    /// Reads the tokens file again; a file that cannot be used keeps the tokens there were.
    fn reload(&self) {
        if let Callers::Tokens(path, tokens) = self {
            match Tokens::read(path) {
                Ok(read) => {
                    *tokens.write().unwrap_or_else(|e| e.into_inner()) = read;
                    eprintln!("engram serve: read the tokens of {} again", path.display());
                }
                Err(e) => eprintln!("engram serve: {e}; the tokens there were are kept"),
            }
        }
    }
}

/// Serves `options.db` until SIGTERM or Ctrl-C (blocking; starts its own async runtime).
pub fn serve(options: Options) -> Result<(), Error> {
    let callers = match &options.auth {
        Auth::None if !options.listen.ip().is_loopback() => {
            return Err(Error::NoAuthOffLoopback(options.listen));
        }
        Auth::None => Callers::Anyone,
        Auth::Tokens(path) => {
            Callers::Tokens(path.clone(), Arc::new(RwLock::new(Tokens::read(path)?)))
        }
    };
    let server = engram_mcp::Server::open(&options.db, &options.mcp)?;
    let io = |what: &str| {
        let what = what.to_string();
        move |source| Error::Io { what, source }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(io("starting the async runtime"))?;
    runtime.block_on(async move {
        let listen = options.listen;
        let listener = (tokio::net::TcpListener::bind(listen).await)
            .map_err(io(&format!("listening on {listen}")))?;
        let local = listener.local_addr().map_err(io("reading the address"))?;
        let stop = CancellationToken::new();
        let app = router(server, &options, local, callers.clone(), stop.clone());
        // The handlers are in place before the server says it is serving: a SIGHUP sent
        // at once must not find the default action (which ends the process).
        use tokio::signal::unix::{SignalKind, signal};
        let handlers = [
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ];
        tokio::spawn(signals(handlers, callers, stop.clone()));
        eprintln!(
            "engram serve: serving {} at http://{local}/mcp",
            options.db.display()
        );
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
            .map_err(io("serving"))?;
        eprintln!("engram serve: stopped");
        Ok(())
    })
}

/// The routes, behind the guard (Host, Origin, token).
fn router(
    server: engram_mcp::Server,
    options: &Options,
    local: SocketAddr,
    callers: Callers,
    stop: CancellationToken,
) -> Router {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(!options.stateless)
        .with_cancellation_token(stop)
        // Hosts and origins are checked for every route by the guard, in one place.
        .disable_allowed_hosts()
        .disable_allowed_origins();
    let handler = server.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(handler.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let guard = Arc::new(Guard::new(options, local, callers));
    let metrics = Arc::new(metrics::Metrics::new(options.max_requests));
    let scraped = (metrics.clone(), server.clone());
    web::routes(rest::routes(server))
        .nest_service("/mcp", mcp)
        .route("/healthz", axum::routing::get(|| async { "ok\n" }))
        .route(
            "/metrics",
            axum::routing::get(move || async move { scraped.0.render(&scraped.1).await }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(guard, guard::check))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::count,
        ))
}

/// The streams of SIGTERM, SIGINT and SIGHUP, as made.
type Handlers = [std::io::Result<tokio::signal::unix::Signal>; 3];

/// Stops the server on SIGTERM or Ctrl-C; reads the tokens again on SIGHUP.
async fn signals(handlers: Handlers, callers: Callers, stop: CancellationToken) {
    let [Ok(mut term), Ok(mut int), Ok(mut hup)] = handlers else {
        eprintln!("engram serve: cannot listen for signals; Ctrl-C stops it");
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
        return;
    };
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => callers.reload(),
        }
    }
    eprintln!("engram serve: stopping after the requests in progress");
    stop.cancel();
}
