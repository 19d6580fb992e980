//! engram-mcp: a Model Context Protocol server (on `rmcp`) that serves a store as an agent's
//! memory: the MCP reference memory server's nine tools, with what engram's rules
//! infer shown in them, and engram's own tools (`remember`, `recall`, `query`, `explain`, ...).
//! [`Server`] is the handler, for any of rmcp's transports; [`serve_stdio`] runs it over stdio
//! (`engram mcp`), where stdout is the transport and everything else goes to stderr.
//!
//! Several processes may serve one store (two agent windows, and the CLI beside them): each
//! call first moves to the latest commit, a write takes the writer lock for the call only
//! (waiting for another process's write, up to the lock wait) and gives it back after.

mod args;
mod calls;
mod group;
mod page;
mod remote;
mod rest_calls;
mod results;
mod stdio;
mod tools;
mod view_calls;

use engram_core::Limits;
use engram_memory::MemoryExt;
use engram_store::{OpenError, Store, WriteError};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents,
    ResourceUpdatedNotificationParam, ServerCapabilities, ServerConfig, SubscribeRequestParams,
    SubscriptionFilter, Tool, UnsubscribeRequestParams,
};
use rmcp::service::{Peer, RequestContext, SubscriptionContext, SubscriptionSink};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The store `engram mcp` serves when neither `--db` nor `ENGRAM_DB` names one:
/// `$XDG_DATA_HOME/engram/memory.db`, else `~/.local/share/engram/memory.db`.
pub fn default_db() -> PathBuf {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("engram").join("memory.db")
}

/// How a served store is opened and bounded.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long a write waits for another process's writer lock.
    pub lock_wait: Duration,
    /// Bounds on each commit's inference (the rules agents add may run away).
    pub limits: Limits,
    /// What `now()` stands for in the store's evaluations (unix milliseconds), when fixed for
    /// reproducible runs; `None`: the store's own clock.
    pub now: Option<i64>,
    /// Handles that serve the tools that only read, each at the latest commit, beside the
    /// one that writes: reads run at once, and never wait for a write. 0: every call on the
    /// one handle, one at a time (`engram mcp`, one client).
    pub readers: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            lock_wait: engram_store::DEFAULT_LOCK_WAIT,
            limits: Limits::NONE,
            now: None,
            readers: 0,
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store could not be opened.
    #[error("opening {}: {source}", path.display())]
    Open {
        /// The store directory.
        path: PathBuf,
        /// Why.
        source: OpenError,
    },
    /// The store could not be created with the standard memory rules.
    #[error("creating {}: {source}", path.display())]
    Create {
        /// The store directory.
        path: PathBuf,
        /// Why.
        source: WriteError,
    },
    /// The async runtime or the transport failed.
    #[error("{what}: {source}")]
    Transport {
        /// What was being done.
        what: &'static str,
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// What a client may do, as the transport that carried its request established it (over
/// HTTP, its bearer token): put in the request's extensions (`http::request::Parts`), where a
/// tool call finds it. A call with none (stdio) may write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Only the tools that read.
    Read,
    /// Every tool.
    Write,
}

pub use calls::{CallError, writes};
pub use remote::relay_stdio;

/// The served store.
struct Session {
    db: PathBuf,
    store: Store,
    options: Options,
    kept: calls::Kept,
}

impl Session {
    /// Opens the store at `db`, creating it with the standard rules on first use.
    fn open(db: &Path, options: &Options) -> Result<Session, Error> {
        let (mut store, created) = engram_memory::open_or_create(db).map_err(|e| match e {
            engram_memory::OpenMemoryError::Open(source) => Error::Open {
                path: db.to_path_buf(),
                source,
            },
            engram_memory::OpenMemoryError::Rules(source) => Error::Create {
                path: db.to_path_buf(),
                source,
            },
        })?;
        if created {
            eprintln!(
                "engram: created {} with the standard memory rules",
                db.display()
            );
        }
        store.set_lock_wait(options.lock_wait);
        store.set_limits(options.limits);
        store.set_now(options.now);
        Ok(Session::of(db, store, options))
    }

    /// A handle that only reads the store at `db` (which exists).
    fn reader(db: &Path, options: &Options) -> Result<Session, Error> {
        let mut store = Store::open_read_only(db).map_err(|source| Error::Open {
            path: db.to_path_buf(),
            source,
        })?;
        store.set_limits(options.limits);
        store.set_now(options.now);
        Ok(Session::of(db, store, options))
    }

    fn of(db: &Path, store: Store, options: &Options) -> Session {
        Session {
            db: db.to_path_buf(),
            store,
            options: options.clone(),
            kept: calls::Kept::default(),
        }
    }

    /// Runs one tool call: at the latest commit, with the writer lock for the call only.
    fn call(&mut self, name: &str, args: &Json) -> Result<Json, calls::CallError> {
        self.store.refresh()?;
        let result = calls::call(&mut self.store, &mut self.kept, name, args);
        self.store.unlock();
        if result.is_err() && calls::writes(name) {
            self.reopen();
        }
        result
    }

    /// After a write failed: what failed was not committed, and the handle may hold part of
    /// it, so the store is read again as committed.
    fn reopen(&mut self) {
        match Session::open(&self.db, &self.options) {
            Ok(fresh) => *self = fresh,
            Err(e) => eprintln!("engram mcp: reopening {}: {e:#}", self.db.display()),
        }
    }
}

/// The resource the reference server offers beside its tools: the whole graph as JSON.
const GRAPH_URI: &str = "memory://knowledge-graph";

/// The MCP server, a handler for any of rmcp's transports: the handle that writes behind a
/// lock (writes run one at a time, off the async runtime's threads), and the handles that
/// read ([`Options::readers`]), each behind its own.
#[derive(Clone)]
pub struct Server {
    session: Arc<Mutex<Session>>,
    /// The writes waiting for the next group (see `group`).
    queue: Arc<Mutex<Vec<group::Queued>>>,
    counts: Arc<group::Counts>,
    readers: Arc<Vec<Mutex<Session>>>,
    /// The reader the next read tries first.
    next_reader: Arc<std::sync::atomic::AtomicUsize>,
    /// The latest commit (generation) the subscribers were told of.
    seen: Arc<Mutex<u64>>,
    tools: Arc<Vec<Tool>>,
    /// Who subscribed to the graph resource, told when a call finds the store changed (by
    /// its own write or another process's commit).
    subscribers: Arc<Mutex<Subscribers>>,
}

/// The subscriptions to the graph resource: a client of a protocol before 2026-07-28 by
/// `resources/subscribe`, and each open `subscriptions/listen` stream (by its request id).
#[derive(Default)]
struct Subscribers {
    legacy: Option<Peer<RoleServer>>,
    streams: Vec<(String, SubscriptionSink)>,
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_resources_subscribe()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("engram", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "engram is a long-term memory that reasons: the knowledge-graph tools \
                 (create_entities, create_relations, add_observations, search_nodes, open_nodes, \
                 read_graph, ...) work as in the reference memory server, and show what engram's \
                 rules inferred (\"inferred\": true, with confidence and rule). remember and \
                 relate store memories and typed relations; recall finds what answers a \
                 question; query asks Datalog; explain gives the proof of an inferred fact.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let graph = Resource::new(GRAPH_URI, "knowledge-graph")
            .with_title("Knowledge Graph")
            .with_description(
                "The full knowledge graph with all entities and relations, what the rules \
                 inferred marked \"inferred\"",
            )
            .with_mime_type("application/json");
        Ok(ListResourcesResult::with_all_items(vec![graph]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != GRAPH_URI {
            return Err(ErrorData::resource_not_found(
                format!("no resource {:?}; there is {GRAPH_URI}", request.uri),
                None,
            ));
        }
        // The whole graph, as the reference server gives it: one page as long as the graph.
        let args = serde_json::json!({"limit": u32::MAX});
        match self.call("read_graph", args, Access::Read).await {
            Ok(graph) => {
                let text = ResourceContents::text(graph.to_string(), GRAPH_URI)
                    .with_mime_type("application/json");
                Ok(ReadResourceResult::new(vec![text]).into())
            }
            Err(e) => Err(ErrorData::internal_error(e.to_string(), None)),
        }
    }

    #[allow(deprecated)] // `resources/subscribe` is what clients of protocols before 2026-07-28 send
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if request.uri != GRAPH_URI {
            return Err(ErrorData::resource_not_found(
                format!("no resource {:?}; there is {GRAPH_URI}", request.uri),
                None,
            ));
        }
        self.subscribers().legacy = Some(context.peer);
        Ok(())
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        _request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscribers().legacy = None;
        Ok(())
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let mut accepted = SubscriptionFilter::new();
        let graph = (requested.resource_subscriptions.iter().flatten()).any(|u| u == GRAPH_URI);
        if graph {
            accepted.resource_subscriptions = Some(vec![GRAPH_URI.to_string()]);
        }
        Some(accepted)
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let id = format!("{:?}", context.request_context().id);
        let graph =
            (context.accepted().resource_subscriptions.iter().flatten()).any(|u| u == GRAPH_URI);
        if graph {
            let sink = context.sink().clone();
            self.subscribers().streams.push((id.clone(), sink));
        }
        context.cancelled().await;
        self.subscribers().streams.retain(|(s, _)| *s != id);
        Ok(())
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        let access = (context.extensions.get::<http::request::Parts>())
            .and_then(|parts| parts.extensions.get::<Access>().copied())
            .unwrap_or(Access::Write);
        let args = Json::Object(request.arguments.unwrap_or_default());
        if !self.tools.iter().any(|t| t.name == name) {
            let message = format!("no tool named {name:?}");
            return Err(ErrorData::invalid_params(message, None));
        }
        match self.call(&name, args, access).await {
            Ok(value) => {
                let text = calls::text_of(&name, &value);
                let mut result = CallToolResult::structured(value);
                if let Some(text) = text {
                    result.content = vec![ContentBlock::text(text)];
                }
                Ok(result.into())
            }
            Err(e @ CallError::Unknown(_)) => Err(ErrorData::invalid_params(e.to_string(), None)),
            Err(e) => Ok(CallToolResult::error(vec![ContentBlock::text(e.to_string())]).into()),
        }
    }
}

impl Server {
    /// Runs the tool `tool` with `args` (its JSON arguments) as a call over MCP runs it, for a
    /// caller who may do what `access` says: at the latest commit, off the async runtime's
    /// threads, telling the graph's subscribers when the store changed. A write runs in a
    /// group with the writes queued beside it (group commit, see `group`) and is answered once
    /// its commit is durable. (`engram serve`'s REST API calls the tools through this.)
    pub async fn call(&self, tool: &str, args: Json, access: Access) -> Result<Json, CallError> {
        if access == Access::Read && calls::writes(tool) {
            return Err(CallError::ReadOnly(tool.to_string()));
        }
        let server = self.clone();
        let name = tool.to_string();
        let (result, generation) = tokio::task::spawn_blocking(move || {
            if calls::writes(&name) {
                return server.write_in_group(&name, args);
            }
            let mut session = server.reader();
            let result = session.call(&name, &args);
            (result, session.store.state().1)
        })
        .await
        .map_err(|e| CallError::Failed(format!("tool {tool} failed: {e}")))?;
        let changed = {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            let newer = generation > *seen;
            *seen = generation.max(*seen);
            newer
        };
        if changed {
            self.tell_subscribers().await;
        }
        result
    }

    /// The handle a read runs on, locked: the first reader free, from the one after the last
    /// read's (or, all busy, the next in turn, waited for); the writer's when there are no
    /// readers.
    fn reader(&self) -> std::sync::MutexGuard<'_, Session> {
        let unpoison = |e: std::sync::PoisonError<_>| e.into_inner();
        if self.readers.is_empty() {
            return self.session.lock().unwrap_or_else(unpoison);
        }
        let n = self.readers.len();
        let start = (self.next_reader).fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for k in 0..n {
            match self.readers[(start + k) % n].try_lock() {
                Ok(guard) => return guard,
                Err(std::sync::TryLockError::Poisoned(e)) => return e.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        self.readers[start % n].lock().unwrap_or_else(unpoison)
    }

    /// Exports the store, as `engram export` does (`mcp_memory`: the reference server's
    /// `memory.jsonl`; else engram's memory format, only the derived lines with
    /// `inferred_only`), one JSON line at a time to `emit`, on a reader's handle at the
    /// latest commit, off the async runtime's threads; stops early when `emit` says false
    /// (the client went away).
    pub async fn export(
        &self,
        mcp_memory: bool,
        inferred_only: bool,
        mut emit: impl FnMut(String) -> bool + Send + 'static,
    ) -> Result<(), CallError> {
        let server = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut session = server.reader();
            session.store.refresh()?;
            let store = &mut session.store;
            if mcp_memory {
                for line in store.export_mcp()? {
                    if !emit(line.to_string()) {
                        break;
                    }
                }
                return Ok(());
            }
            /// Why an export ended early: the client went away (not an error), or a read.
            enum Ended {
                Gone,
                Read(engram_store::ReadError),
            }
            impl From<engram_store::ReadError> for Ended {
                fn from(e: engram_store::ReadError) -> Ended {
                    Ended::Read(e)
                }
            }
            let result = store.export_memory_each(inferred_only, |line| {
                emit(line.to_string()).then_some(()).ok_or(Ended::Gone)
            });
            match result {
                Ok(()) | Err(Ended::Gone) => Ok(()),
                Err(Ended::Read(e)) => Err(e.into()),
            }
        })
        .await
        .map_err(|e| CallError::Failed(format!("export failed: {e}")))?
    }

    /// The tools it serves, with their input and output schemas.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The subscriptions to the graph resource.
    fn subscribers(&self) -> std::sync::MutexGuard<'_, Subscribers> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tells every subscriber that the graph resource changed (one gone is forgotten).
    async fn tell_subscribers(&self) {
        let (legacy, streams) = {
            let s = self.subscribers();
            (s.legacy.clone(), s.streams.clone())
        };
        if let Some(peer) = legacy {
            let sent = peer
                .notify_resource_updated(ResourceUpdatedNotificationParam::new(GRAPH_URI))
                .await;
            if sent.is_err() {
                self.subscribers().legacy = None;
            }
        }
        for (id, sink) in streams {
            if sink.notify_resource_updated(GRAPH_URI).await.is_err() {
                self.subscribers().streams.retain(|(s, _)| *s != id);
            }
        }
    }

    /// Opens (or creates, with the standard memory rules) the store at `db` to serve it.
    pub fn open(db: &Path, options: &Options) -> Result<Server, Error> {
        let writer = Session::open(db, options)?;
        let seen = writer.store.state().1;
        let readers = (0..options.readers)
            .map(|_| Session::reader(db, options).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Server {
            session: Arc::new(Mutex::new(writer)),
            queue: Arc::default(),
            counts: Arc::default(),
            readers: Arc::new(readers),
            next_reader: Arc::default(),
            seen: Arc::new(Mutex::new(seen)),
            tools: Arc::new(tools::all()),
            subscribers: Arc::default(),
        })
    }
}

/// Serves `server` over stdio until the client closes it (`engram mcp`).
pub fn serve_stdio(server: Server) -> Result<(), Error> {
    fn transport<E: std::error::Error + Send + Sync + 'static>(
        what: &'static str,
    ) -> impl FnOnce(E) -> Error {
        move |e| Error::Transport {
            what,
            source: Box::new(e),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(transport("starting the async runtime"))?;
    runtime.block_on(async move {
        // Requests pass through `stdio::relay`, which makes each line readable (a lone
        // surrogate or a byte that is not UTF-8 would otherwise drop the request unanswered).
        let (relayed, reader) = tokio::io::duplex(1 << 16);
        tokio::spawn(stdio::relay(tokio::io::stdin(), relayed));
        let service = server
            .serve((reader, tokio::io::stdout()))
            .await
            .map_err(transport("starting the MCP session"))?;
        service.waiting().await.map_err(transport("serving MCP"))?;
        Ok(())
    })
}
