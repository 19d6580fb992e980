//! `/v1/openapi.json`: the REST API described as OpenAPI 3.1, made from the one table of
//! endpoints ([`crate::rest::ENDPOINTS`]) and the tools' own JSON Schemas (a body is the tool's
//! arguments, a response its result), so the description cannot differ from what is served.

use crate::rest::{Body, ENDPOINTS, Kind};
use engram_mcp::Server;
use serde_json::{Map, Value as Json, json};

/// The OpenAPI document of the REST API `server` serves.
pub(crate) fn document(server: &Server) -> Json {
    let tool = |name: &str| server.tools().iter().find(|t| t.name == name);
    let mut paths = Map::new();
    for ep in ENDPOINTS {
        let params: Vec<Json> = (ep.params.iter())
            .map(|p| {
                let schema = match p.kind {
                    Kind::Number => json!({"type": "number"}),
                    Kind::Bool => json!({"type": "boolean"}),
                    Kind::List => json!({"type": "array", "items": {"type": "string"}}),
                    Kind::Text | Kind::One | Kind::Cursor => json!({"type": "string"}),
                };
                json!({
                    "name": p.name,
                    "in": if p.in_path { "path" } else { "query" },
                    "required": p.required,
                    "description": p.doc,
                    "schema": schema,
                })
            })
            .collect();
        let t = tool(ep.tool);
        let result = (t.and_then(|t| t.output_schema.as_ref()))
            .map_or(json!({"type": "object"}), |s| Json::Object((**s).clone()));
        let result_kind = match ep.tool {
            crate::rest::EXPORT => "application/x-ndjson",
            _ => "application/json",
        };
        let mut op = json!({
            "operationId": format!("{}_{}", ep.method.to_lowercase(), ep.path.trim_start_matches("/v1/").replace(['/', '{', '}'], "_")),
            "summary": ep.summary,
            "parameters": params,
            "responses": {
                "200": {"description": "the result", "content": {result_kind: {"schema": result}}},
                "400": error_response("the arguments do not fit"),
                "401": error_response("no token, or one this server does not accept"),
                "403": error_response("a write with a read token, or a foreign Origin or Host"),
                "422": error_response("the store refused the call"),
            },
        });
        let body = match ep.body {
            Body::Json => {
                let schema = t.map_or(json!({"type": "object"}), |t| {
                    Json::Object((*t.input_schema).clone())
                });
                Some(json!({"required": true, "content": {"application/json": {"schema": schema}}}))
            }
            Body::Text(_) => Some(
                json!({"required": true, "content": {"text/plain": {"schema": {"type": "string"}}}}),
            ),
            Body::None => None,
        };
        if let Some(body) = body {
            op["requestBody"] = body;
        }
        let entry = paths
            .entry(ep.path.to_string())
            .or_insert_with(|| json!({}));
        entry[ep.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "engram",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A store of memories, entities and relations that reasons: each endpoint calls the MCP tool of the same capability.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {
                "type": "object",
                "required": ["error", "detail"],
                "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
            }},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    })
}

fn error_response(description: &str) -> Json {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    })
}
