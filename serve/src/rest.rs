//! The REST API at `/v1/...`: one endpoint per capability, each a tool of the MCP server called
//! through [`engram_mcp::Server::call`] (one implementation): the endpoint's path and query
//! parameters, and its JSON body, become the tool's arguments, and the tool's result is the
//! response. [`ENDPOINTS`] is the one table the routes and `/v1/openapi.json` are made from.
//!
//! Errors are `{error, detail}`: 400 for arguments that do not fit, 403 for a write with a
//! read token, 422 for a call the store refused. A page cut short has `next_cursor`, which
//! the same request with `cursor=` continues.

use crate::guard::refusal;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use engram_mcp::{Access, CallError, Server};
use http::StatusCode;
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, HashMap};

/// How a parameter's text becomes an argument.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// As written.
    Text,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// Every occurrence, as a list.
    List,
    /// One value, as a list of one.
    One,
    /// A page's position: the tool's `offset`.
    Cursor,
}

/// A path or query parameter of an endpoint.
pub(crate) struct Param {
    /// Its name in the URL.
    pub name: &'static str,
    /// The tool's argument it gives.
    pub arg: &'static str,
    pub kind: Kind,
    /// In the path (`{name}`), else in the query.
    pub in_path: bool,
    pub required: bool,
    pub doc: &'static str,
}

/// What an endpoint's request body is.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Body {
    None,
    /// A JSON object: the tool's arguments (the parameters are added to it).
    Json,
    /// Text, given as this argument (a rule file).
    Text(&'static str),
}

/// One endpoint: a method and path, the tool it calls, its parameters and body.
pub(crate) struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub tool: &'static str,
    pub summary: &'static str,
    pub params: &'static [Param],
    pub body: Body,
    /// Arguments always given (`{"asserted_only": false}`), as JSON text.
    pub fixed: &'static str,
}

const fn query(name: &'static str, arg: &'static str, kind: Kind, doc: &'static str) -> Param {
    Param {
        name,
        arg,
        kind,
        in_path: false,
        required: false,
        doc,
    }
}

const fn needed(name: &'static str, arg: &'static str, kind: Kind, doc: &'static str) -> Param {
    Param {
        required: true,
        ..query(name, arg, kind, doc)
    }
}

const fn path(name: &'static str, arg: &'static str, kind: Kind, doc: &'static str) -> Param {
    Param {
        in_path: true,
        required: true,
        ..query(name, arg, kind, doc)
    }
}

const LIMIT: Param = query("limit", "limit", Kind::Number, "at most this many items");
const CURSOR: Param = query(
    "cursor",
    "offset",
    Kind::Cursor,
    "where the page starts: the next_cursor of the page before",
);
const ASSERTED: Param = query(
    "asserted_only",
    "asserted_only",
    Kind::Bool,
    "leave out what the rules inferred",
);

/// An endpoint whose JSON body is the tool's arguments.
const fn with_body(
    method: &'static str,
    path: &'static str,
    tool: &'static str,
    summary: &'static str,
) -> Endpoint {
    Endpoint {
        method,
        path,
        tool,
        summary,
        params: &[],
        body: Body::Json,
        fixed: "{}",
    }
}

/// An endpoint without a body, whose parameters are the tool's arguments.
const fn with_params(
    method: &'static str,
    path: &'static str,
    tool: &'static str,
    summary: &'static str,
    params: &'static [Param],
) -> Endpoint {
    Endpoint {
        params,
        body: Body::None,
        ..with_body(method, path, tool, summary)
    }
}

/// Every endpoint of the REST API.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    with_params(
        "GET",
        "/v1/graph",
        "read_graph",
        "The knowledge graph (entities and relations, inferred ones marked), a page at a time",
        &[
            query(
                "names_only",
                "names_only",
                Kind::Bool,
                "entities without observations",
            ),
            ASSERTED,
            LIMIT,
            CURSOR,
        ],
    ),
    with_params(
        "GET",
        "/v1/search",
        "search_nodes",
        "Entities whose name, type or observations contain the text, and their relations",
        &[
            needed("q", "query", Kind::Text, "the text"),
            ASSERTED,
            LIMIT,
            CURSOR,
        ],
    ),
    with_params(
        "GET",
        "/v1/entities",
        "open_nodes",
        "The entities named (repeat name=) and the relations between them",
        &[
            needed("name", "names", Kind::List, "an entity's name (repeatable)"),
            ASSERTED,
            LIMIT,
            CURSOR,
        ],
    ),
    with_params(
        "GET",
        "/v1/neighbourhood",
        "neighbourhood",
        "An entity's or memory's relations (asserted and inferred, each with its fact), the entities at their ends and the relations among those, merged names as one (the web view's graph)",
        &[
            needed("name", "name", Kind::Text, "the entity's or memory's name"),
            query(
                "limit",
                "limit",
                Kind::Number,
                "at most this many of its relations (default 40)",
            ),
        ],
    ),
    with_body(
        "POST",
        "/v1/entities",
        "create_entities",
        "Creates entities (those that exist are left as they are)",
    ),
    with_params(
        "DELETE",
        "/v1/entities/{name}",
        "delete_entities",
        "Deletes an entity with its observations and relations",
        &[path("name", "entityNames", Kind::One, "the entity's name")],
    ),
    with_body(
        "POST",
        "/v1/observations",
        "add_observations",
        "Adds observations to entities",
    ),
    with_body(
        "DELETE",
        "/v1/observations",
        "delete_observations",
        "Deletes observations of entities",
    ),
    with_body(
        "POST",
        "/v1/relations",
        "create_relations",
        "Creates relations between entities, in the reference memory server's form",
    ),
    with_body(
        "DELETE",
        "/v1/relations",
        "delete_relations",
        "Deletes relations",
    ),
    with_body(
        "POST",
        "/v1/relate",
        "relate",
        "States one typed relation with a confidence; the rules infer from it at once",
    ),
    with_body(
        "POST",
        "/v1/memories",
        "remember",
        "Stores a memory (title, content, type, tags, project, importance, ...)",
    ),
    with_params(
        "DELETE",
        "/v1/memories/{id}",
        "forget",
        "Forgets a memory or entity by id",
        &[path("id", "ids", Kind::One, "its id")],
    ),
    with_body(
        "DELETE",
        "/v1/facts",
        "forget",
        "Retracts asserted facts ({\"facts\": [\"edge(\\\"a\\\", \\\"b\\\")\"]})",
    ),
    with_params(
        "POST",
        "/v1/inference/cleanup",
        "forget",
        "Forgets what is below a confidence and older than an age (dry_run: only counts)",
        &[
            needed(
                "min_confidence",
                "min_confidence",
                Kind::Number,
                "forget below this confidence",
            ),
            needed(
                "max_age_days",
                "max_age_days",
                Kind::Number,
                "and older than this many days",
            ),
            query(
                "dry_run",
                "dry_run",
                Kind::Bool,
                "count what would go, forget nothing",
            ),
        ],
    ),
    with_params(
        "GET",
        "/v1/recall",
        "recall",
        "The memories and entities that answer a question, each with why",
        &[
            needed("q", "query", Kind::Text, "the question"),
            query(
                "depth",
                "depth",
                Kind::Number,
                "steps of relations to follow (default 2)",
            ),
            LIMIT,
            query("offset", "offset", Kind::Number, "skip this many hits"),
        ],
    ),
    Endpoint {
        body: Body::Json,
        ..with_params(
            "POST",
            "/v1/query",
            "query",
            "Answers a Datalog query ({\"query\": \"?- path(\\\"a\\\", x).\"})",
            &[LIMIT, CURSOR],
        )
    },
    Endpoint {
        fixed: r#"{"format": "json"}"#,
        ..with_params(
            "GET",
            "/v1/explain",
            "explain",
            "The proof of a fact that holds, or why one does not (why_not=true)",
            &[
                needed(
                    "fact",
                    "fact",
                    Kind::Text,
                    "the fact, as Datalog: edge(\"a\", \"b\")",
                ),
                query("why_not", "why_not", Kind::Bool, "why it does not hold"),
                query("format", "format", Kind::Text, "json (default) or text"),
            ],
        )
    },
    with_params(
        "GET",
        "/v1/rules",
        "rule_files",
        "The rule files: name, standard or not, number of rules",
        &[],
    ),
    with_params(
        "GET",
        "/v1/rules/{name}",
        "rule_file",
        "A rule file with its text",
        &[path("name", "name", Kind::Text, "the rule file's name")],
    ),
    with_params(
        "DELETE",
        "/v1/rules/{name}",
        "remove_rule",
        "Removes a rule file (a standard one only with replace_standard=true)",
        &[
            path("name", "name", Kind::Text, "the rule file's name"),
            query(
                "replace_standard",
                "replace_standard",
                Kind::Bool,
                "allow removing a standard rule file",
            ),
        ],
    ),
    with_params(
        "GET",
        "/v1/export",
        EXPORT,
        "The store as JSON Lines, streamed: engram's memory format (what POST /v1/import reads back), or the MCP reference server's memory.jsonl",
        &[
            query(
                "format",
                "format",
                Kind::Text,
                "engram (default) or mcp-memory",
            ),
            query(
                "inferred_only",
                "inferred_only",
                Kind::Bool,
                "only what the rules derived (engram format)",
            ),
        ],
    ),
    Endpoint {
        body: Body::Text("text"),
        ..with_params(
            "POST",
            "/v1/import",
            "import_memories",
            "Imports memories (a file engram load reads: JSON Lines) in one commit",
            &[query(
                "format",
                "format",
                Kind::Text,
                "engram, mcp-memory or memorygraph (detected when not given)",
            )],
        )
    },
    with_body(
        "POST",
        "/v1/facts",
        "assert_facts",
        "Asserts facts written as Datalog ({\"facts\": [\"edge(\\\"a\\\", \\\"b\\\") @ 0.8\"]})",
    ),
    Endpoint {
        body: Body::Text("text"),
        ..with_params(
            "PUT",
            "/v1/rules/{name}",
            "add_rule",
            "Adds or replaces a rule file (the body is its text)",
            &[
                path("name", "name", Kind::Text, "the rule file's name"),
                query(
                    "replace_standard",
                    "replace_standard",
                    Kind::Bool,
                    "allow replacing a standard rule file",
                ),
            ],
        )
    },
    with_params(
        "GET",
        "/v1/violations",
        "violations",
        "The violations of the integrity constraints, each with its proof",
        &[query(
            "constraint",
            "constraint",
            Kind::Text,
            "only this constraint",
        )],
    ),
    with_params(
        "GET",
        "/v1/stats",
        "stats",
        "Counts of facts, memories, entities, relations, rules; bytes on disk",
        &[],
    ),
];

/// The endpoint that streams an export ([`Server::export`]) rather than calling a tool.
pub(crate) const EXPORT: &str = "export";

/// The routes of [`ENDPOINTS`], each calling its tool on `server`.
pub(crate) fn routes(server: Server) -> Router {
    let mut by_path: BTreeMap<&str, MethodRouter> = BTreeMap::new();
    for ep in ENDPOINTS {
        let server = server.clone();
        let handler = move |Extension(access): Extension<Access>,
                            Path(params): Path<HashMap<String, String>>,
                            RawQuery(raw): RawQuery,
                            body: Bytes| async move {
            match arguments(ep, &params, raw.as_deref(), &body) {
                Ok(args) if ep.tool == EXPORT => export(server, &args),
                Ok(args) => answer(server.call(ep.tool, args, access).await),
                Err(why) => refusal(StatusCode::BAD_REQUEST, "bad_request", &why),
            }
        };
        let filter = match ep.method {
            "GET" => MethodFilter::GET,
            "POST" => MethodFilter::POST,
            "PUT" => MethodFilter::PUT,
            _ => MethodFilter::DELETE,
        };
        let route = by_path.remove(ep.path).unwrap_or_default();
        by_path.insert(ep.path, route.on(filter, handler));
    }
    let mut router = Router::new();
    for (path, route) in by_path {
        router = router.route(path, route);
    }
    router.route(
        "/v1/openapi.json",
        on(MethodFilter::GET, move || async move {
            axum::Json(crate::openapi::document(&server)).into_response()
        }),
    )
}

/// An export as the response, streamed a line at a time as it is made: the status (200) is
/// sent first, so an error while exporting ends the stream early (the client sees a body cut
/// short, never a partial export that looks whole).
fn export(server: Server, args: &Json) -> Response {
    let mcp_memory = match args["format"].as_str() {
        None | Some("engram") => false,
        Some("mcp-memory") => true,
        Some(other) => {
            let why = format!("format {other:?}: engram or mcp-memory");
            return refusal(StatusCode::BAD_REQUEST, "bad_request", &why);
        }
    };
    let inferred_only = args["inferred_only"].as_bool().unwrap_or(false);
    let (lines, received) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(1024);
    tokio::spawn(async move {
        let sender = lines.clone();
        let emit = move |line: String| sender.blocking_send(Ok(line + "\n")).is_ok();
        if let Err(e) = server.export(mcp_memory, inferred_only, emit).await {
            let _ = lines.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    let body = axum::body::Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(received));
    let kind = http::HeaderValue::from_static("application/x-ndjson");
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, kind);
    response
}

/// The tool's arguments for a request: its body, then its parameters, then the endpoint's
/// fixed arguments where neither gave them; or why the request does not fit.
fn arguments(
    ep: &Endpoint,
    path: &HashMap<String, String>,
    raw: Option<&str>,
    body: &[u8],
) -> Result<Json, String> {
    let mut args = match ep.body {
        Body::Json if body.iter().any(|b| !b.is_ascii_whitespace()) => {
            match serde_json::from_slice::<Json>(body) {
                Ok(Json::Object(map)) => map,
                Ok(_) => return Err("the body is a JSON object: the call's arguments".into()),
                Err(e) => return Err(format!("the body is not JSON: {e}")),
            }
        }
        Body::Text(arg) => {
            let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8 text")?;
            Map::from_iter([(arg.to_string(), json!(text))])
        }
        _ => Map::new(),
    };
    let pairs: Vec<(String, String)> = match raw {
        Some(q) => query_pairs(q)?,
        None => Vec::new(),
    };
    if let Some((name, _)) =
        (pairs.iter()).find(|(n, _)| !ep.params.iter().any(|p| !p.in_path && p.name == n))
    {
        let known: Vec<&str> = ep
            .params
            .iter()
            .filter(|p| !p.in_path)
            .map(|p| p.name)
            .collect();
        return Err(format!(
            "no parameter {name:?} here (there are: {})",
            known.join(", ")
        ));
    }
    for p in ep.params {
        let given: Vec<&str> = match p.in_path {
            true => path.get(p.name).map(String::as_str).into_iter().collect(),
            false => (pairs.iter())
                .filter(|(n, _)| n == p.name)
                .map(|(_, v)| v.as_str())
                .collect(),
        };
        if given.is_empty() {
            if p.required {
                return Err(format!("{:?} is required: {}", p.name, p.doc));
            }
            continue;
        }
        args.insert(p.arg.to_string(), value(p, &given)?);
    }
    if let Ok(Json::Object(fixed)) = serde_json::from_str::<Json>(ep.fixed) {
        for (k, v) in fixed {
            args.entry(k).or_insert(v);
        }
    }
    Ok(Json::Object(args))
}

/// A parameter's value as its argument.
fn value(p: &Param, given: &[&str]) -> Result<Json, String> {
    let last = given[given.len() - 1];
    let bad = |what: &str| format!("{:?} is {what}, not {last:?}", p.name);
    Ok(match p.kind {
        Kind::Text => json!(last),
        Kind::List => json!(given),
        Kind::One => json!([last]),
        Kind::Bool => match last {
            "true" | "1" | "" => json!(true),
            "false" | "0" => json!(false),
            _ => return Err(bad("true or false")),
        },
        Kind::Number => match last.parse::<u64>() {
            Ok(n) => json!(n),
            Err(_) => match last.parse::<f64>() {
                Ok(x) if x.is_finite() => json!(x),
                _ => return Err(bad("a number")),
            },
        },
        Kind::Cursor => match last.parse::<u64>() {
            Ok(n) => json!(n),
            Err(_) => return Err(bad("a cursor this server gave")),
        },
    })
}

/// The `name=value` pairs of a query string, decoded.
fn query_pairs(q: &str) -> Result<Vec<(String, String)>, String> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{q}")
            .parse()
            .map_err(|_| "the query string is not a URI's")?,
    )
    .map(|axum::extract::Query(v)| v)
    .map_err(|e| format!("the query string: {e}"))
}

/// A tool's result as the response: its JSON, with `next_cursor` when a page was cut short.
fn answer(result: Result<Json, CallError>) -> Response {
    match result {
        Ok(mut value) => {
            let next = value.pointer("/page/next_offset").and_then(Json::as_u64);
            if let (Some(next), Some(map)) = (next, value.as_object_mut()) {
                map.insert("next_cursor".into(), json!(next.to_string()));
            }
            axum::Json(value).into_response()
        }
        Err(e @ CallError::Arguments(_)) => {
            refusal(StatusCode::BAD_REQUEST, "bad_request", &e.to_string())
        }
        Err(e @ CallError::ReadOnly(_)) => {
            refusal(StatusCode::FORBIDDEN, "forbidden", &e.to_string())
        }
        Err(e @ (CallError::Unknown(_) | CallError::NotFound(_))) => {
            refusal(StatusCode::NOT_FOUND, "not_found", &e.to_string())
        }
        Err(e) => refusal(StatusCode::UNPROCESSABLE_ENTITY, "failed", &e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/http.md's table names every endpoint with the tool it calls.
    #[test]
    fn the_docs_list_every_endpoint() {
        let docs = include_str!("../../docs/http.md");
        for ep in ENDPOINTS {
            let line = format!("`{} {}", ep.method, ep.path);
            let row = docs.lines().find(|l| l.starts_with(&format!("| {line}")));
            let row = row.unwrap_or_else(|| panic!("docs/http.md lacks {line}"));
            assert!(row.contains(&format!("`{}`", ep.tool)), "{row}");
        }
    }

    /// Parameters become typed arguments; what an endpoint does not have is refused.
    #[test]
    fn parameters_become_arguments() {
        let recall = ENDPOINTS.iter().find(|e| e.tool == "recall").unwrap();
        let args = arguments(recall, &HashMap::new(), Some("q=a+b%21&limit=3"), b"").unwrap();
        assert_eq!(args, json!({"query": "a b!", "limit": 3}));
        let err = arguments(recall, &HashMap::new(), Some("q=x&limt=3"), b"").unwrap_err();
        assert!(err.contains("limt"), "{err}");
        let err = arguments(recall, &HashMap::new(), Some("limit=3"), b"").unwrap_err();
        assert!(err.contains("\"q\" is required"), "{err}");
        let graph = ENDPOINTS.iter().find(|e| e.tool == "read_graph").unwrap();
        let args = arguments(
            graph,
            &HashMap::new(),
            Some("cursor=40&asserted_only=true"),
            b"",
        );
        assert_eq!(args.unwrap(), json!({"offset": 40, "asserted_only": true}));
        let open = ENDPOINTS.iter().find(|e| e.tool == "open_nodes").unwrap();
        let args = arguments(open, &HashMap::new(), Some("name=a&name=b"), b"").unwrap();
        assert_eq!(args, json!({"names": ["a", "b"]}));
    }
}
