//! The tools `engram mcp` lists: the MCP reference memory server's nine, with its names,
//! argument names and result shapes (engram adds optional arguments and fields, never takes
//! one away), and engram's own. Each is a name, a title, a description, JSON Schemas for its
//! arguments and result, and hints (read-only, destructive, idempotent).

use rmcp::model::{Tool, ToolAnnotations};
use serde_json::{Value as Json, json};
use std::sync::Arc;

/// `{name, entityType, observations}`.
fn entity_schema() -> Json {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "The name of the entity"},
            "entityType": {"type": "string", "description": "The type of the entity"},
            "observations": {
                "type": "array", "items": {"type": "string"},
                "description": "An array of observation contents associated with the entity"
            }
        },
        "required": ["name", "entityType", "observations"]
    })
}

/// `{from, to, relationType}`.
fn relation_schema() -> Json {
    json!({
        "type": "object",
        "properties": {
            "from": {"type": "string", "description": "The name of the entity where the relation starts"},
            "to": {"type": "string", "description": "The name of the entity where the relation ends"},
            "relationType": {"type": "string", "description": "The type of the relation"}
        },
        "required": ["from", "to", "relationType"]
    })
}

/// What a derived entity or relation adds to the reference shape.
fn with_inferred(mut schema: Json) -> Json {
    let props = schema["properties"]
        .as_object_mut()
        .expect("an object schema");
    props.insert(
        "inferred".into(),
        json!({"type": "boolean", "description": "Derived by engram's rules, not asserted"}),
    );
    props.insert("confidence".into(), json!({"type": "number"}));
    props.insert(
        "rule".into(),
        json!({"type": "string", "description": "The rule of its best derivation"}),
    );
    schema
}

/// How much of a long answer a response left out, and where the next page starts.
fn page_schema() -> Json {
    json!({
        "type": "object",
        "description": "Present when the answer was cut to fit a context window: how many items were left out and the offset of the next page",
        "properties": {
            "offset": {"type": "integer"},
            "returned": {"type": "integer"},
            "total": {"type": "integer"},
            "omitted": {"type": "integer"},
            "next_offset": {"type": ["integer", "null"]}
        }
    })
}

/// `{entities, relations}` with inferred ones marked, and a page when cut.
fn graph_schema() -> Json {
    let mut entity = with_inferred(entity_schema());
    // A names-only `read_graph` leaves observations out.
    entity["required"] = json!(["name", "entityType"]);
    json!({
        "type": "object",
        "properties": {
            "entities": {"type": "array", "items": entity},
            "relations": {"type": "array", "items": with_inferred(relation_schema())},
            "page": page_schema()
        },
        "required": ["entities", "relations"]
    })
}

/// `limit` and `offset`.
fn paging(mut properties: serde_json::Map<String, Json>) -> serde_json::Map<String, Json> {
    properties.insert(
        "limit".into(),
        json!({"type": "integer", "minimum": 1, "description": "At most this many items (by default as many as fit in about 8,000 tokens)"}),
    );
    properties.insert(
        "offset".into(),
        json!({"type": "integer", "minimum": 0, "description": "Skip this many items: the next_offset of a response that was cut"}),
    );
    properties
}

fn asserted_only() -> Json {
    json!({"type": "boolean", "description": "Only what was asserted: leave out what engram's rules inferred (default false)"})
}

fn success() -> Json {
    json!({
        "type": "object",
        "properties": {"success": {"type": "boolean"}, "message": {"type": "string"}},
        "required": ["success", "message"]
    })
}

/// Hints: read-only, destructive, idempotent (a memory is a closed world).
fn hints(read_only: bool, destructive: bool, idempotent: bool) -> ToolAnnotations {
    ToolAnnotations::from_raw(
        None,
        Some(read_only),
        Some(destructive),
        Some(idempotent),
        Some(false),
    )
}

fn object(properties: serde_json::Map<String, Json>, required: &[&str]) -> Json {
    json!({"type": "object", "properties": properties, "required": required})
}

fn props(pairs: Vec<(&str, Json)>) -> serde_json::Map<String, Json> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn tool(
    name: &'static str,
    title: &str,
    description: &'static str,
    input: Json,
    output: Json,
    annotations: ToolAnnotations,
) -> Tool {
    let schema = |j: Json| Arc::new(j.as_object().expect("an object schema").clone());
    Tool::new(name, description, schema(input))
        .with_title(title)
        .with_raw_output_schema(schema(output))
        .with_annotations(annotations)
}

/// The reference memory server's nine tools.
fn reference() -> Vec<Tool> {
    let string_list =
        |d: &str| json!({"type": "array", "items": {"type": "string"}, "description": d});
    vec![
        tool(
            "create_entities",
            "Create Entities",
            "Create multiple new entities in the knowledge graph",
            object(
                props(vec![(
                    "entities",
                    json!({"type": "array", "items": entity_schema()}),
                )]),
                &["entities"],
            ),
            object(
                props(vec![(
                    "entities",
                    json!({"type": "array", "items": entity_schema()}),
                )]),
                &["entities"],
            ),
            hints(false, false, false),
        ),
        tool(
            "create_relations",
            "Create Relations",
            "Create multiple new relations between entities in the knowledge graph. Relations should be in active voice",
            object(
                props(vec![(
                    "relations",
                    json!({"type": "array", "items": relation_schema()}),
                )]),
                &["relations"],
            ),
            object(
                props(vec![(
                    "relations",
                    json!({"type": "array", "items": relation_schema()}),
                )]),
                &["relations"],
            ),
            hints(false, false, false),
        ),
        tool(
            "add_observations",
            "Add Observations",
            "Add new observations to existing entities in the knowledge graph",
            object(
                props(vec![(
                    "observations",
                    json!({"type": "array", "items": {
                        "type": "object",
                        "properties": {
                            "entityName": {"type": "string", "description": "The name of the entity to add the observations to"},
                            "contents": {"type": "array", "items": {"type": "string"}, "description": "An array of observation contents to add"}
                        },
                        "required": ["entityName", "contents"]
                    }}),
                )]),
                &["observations"],
            ),
            object(
                props(vec![(
                    "results",
                    json!({"type": "array", "items": {
                        "type": "object",
                        "properties": {
                            "entityName": {"type": "string"},
                            "addedObservations": {"type": "array", "items": {"type": "string"}}
                        },
                        "required": ["entityName", "addedObservations"]
                    }}),
                )]),
                &["results"],
            ),
            hints(false, false, false),
        ),
        tool(
            "delete_entities",
            "Delete Entities",
            "Delete multiple entities and their associated relations from the knowledge graph",
            object(
                props(vec![(
                    "entityNames",
                    string_list("An array of entity names to delete"),
                )]),
                &["entityNames"],
            ),
            success(),
            hints(false, true, true),
        ),
        tool(
            "delete_observations",
            "Delete Observations",
            "Delete specific observations from entities in the knowledge graph",
            object(
                props(vec![(
                    "deletions",
                    json!({"type": "array", "items": {
                        "type": "object",
                        "properties": {
                            "entityName": {"type": "string", "description": "The name of the entity containing the observations"},
                            "observations": {"type": "array", "items": {"type": "string"}, "description": "An array of observations to delete"}
                        },
                        "required": ["entityName", "observations"]
                    }}),
                )]),
                &["deletions"],
            ),
            success(),
            hints(false, true, true),
        ),
        tool(
            "delete_relations",
            "Delete Relations",
            "Delete multiple relations from the knowledge graph",
            object(
                props(vec![(
                    "relations",
                    json!({"type": "array", "items": relation_schema(), "description": "An array of relations to delete"}),
                )]),
                &["relations"],
            ),
            success(),
            hints(false, true, true),
        ),
        tool(
            "read_graph",
            "Read Graph",
            "Read the entire knowledge graph (long graphs come in pages: see page.next_offset)",
            object(
                paging(props(vec![
                    (
                        "names_only",
                        json!({"type": "boolean", "description": "Entities as names and types only, without observations"}),
                    ),
                    ("asserted_only", asserted_only()),
                ])),
                &[],
            ),
            graph_schema(),
            hints(true, false, true),
        ),
        tool(
            "search_nodes",
            "Search Nodes",
            "Search for nodes in the knowledge graph based on a query",
            object(
                paging(props(vec![
                    (
                        "query",
                        json!({"type": "string", "description": "The search query to match against entity names, types, and observation content"}),
                    ),
                    ("asserted_only", asserted_only()),
                ])),
                &["query"],
            ),
            graph_schema(),
            hints(true, false, true),
        ),
        tool(
            "open_nodes",
            "Open Nodes",
            "Open specific nodes in the knowledge graph by their names",
            object(
                paging(props(vec![
                    ("names", string_list("An array of entity names to retrieve")),
                    ("asserted_only", asserted_only()),
                ])),
                &["names"],
            ),
            graph_schema(),
            hints(true, false, true),
        ),
    ]
}

/// engram's own tools.
fn own() -> Vec<Tool> {
    let any = || json!({"type": "object"});
    vec![
        tool(
            "remember",
            "Remember",
            "Store a memory (a solution, a decision, a problem, ...): engram's rules then relate it to the rest. Without an id, one is made from the title and content (the same memory gives the same id)",
            object(
                props(vec![
                    ("title", json!({"type": "string"})),
                    ("content", json!({"type": "string"})),
                    (
                        "type",
                        json!({"type": "string", "description": "solution, problem, decision, fix, ... (default memory)"}),
                    ),
                    (
                        "tags",
                        json!({"type": "array", "items": {"type": "string"}}),
                    ),
                    ("project", json!({"type": "string"})),
                    (
                        "importance",
                        json!({"type": "number", "minimum": 0, "maximum": 1}),
                    ),
                    (
                        "confidence",
                        json!({"type": "number", "exclusiveMinimum": 0, "maximum": 1}),
                    ),
                    ("summary", json!({"type": "string"})),
                    ("id", json!({"type": "string"})),
                ]),
                &["title"],
            ),
            object(
                props(vec![("id", json!({"type": "string"})), ("report", any())]),
                &["id"],
            ),
            hints(false, false, true),
        ),
        tool(
            "relate",
            "Relate",
            "Assert a typed relation between two memories or entities (SOLVES, DEPENDS_ON, CAUSES, ...), with a confidence in (0, 1] (default 1)",
            object(
                props(vec![
                    ("from", json!({"type": "string"})),
                    ("type", json!({"type": "string"})),
                    ("to", json!({"type": "string"})),
                    (
                        "confidence",
                        json!({"type": "number", "exclusiveMinimum": 0, "maximum": 1}),
                    ),
                ]),
                &["from", "type", "to"],
            ),
            object(
                props(vec![("relation", any()), ("report", any())]),
                &["relation"],
            ),
            hints(false, false, true),
        ),
        tool(
            "recall",
            "Recall",
            "Find the memories and entities that answer a question: text matches, then what relations (inferred ones too) lead to from them, ranked by relevance, confidence, importance and recency; each hit says why",
            object(
                paging(props(vec![
                    ("query", json!({"type": "string"})),
                    (
                        "depth",
                        json!({"type": "integer", "minimum": 0, "description": "Steps of relations to follow (default 2)"}),
                    ),
                ])),
                &["query"],
            ),
            object(
                props(vec![
                    ("hits", json!({"type": "array"})),
                    ("page", page_schema()),
                ]),
                &["hits"],
            ),
            hints(true, false, true),
        ),
        tool(
            "query",
            "Query",
            "Answer a Datalog query over the memory and everything inferred, e.g. ?- edge(\"m1\", t, x). Each row has the values, confidence, depth and rule",
            object(
                paging(props(vec![("query", json!({"type": "string"}))])),
                &["query"],
            ),
            object(
                props(vec![
                    ("columns", json!({"type": "array"})),
                    ("rows", json!({"type": "array"})),
                    ("page", page_schema()),
                ]),
                &["columns", "rows"],
            ),
            hints(true, false, true),
        ),
        tool(
            "explain",
            "Explain",
            "The proof of a fact: how the rules derived it, each step with its confidence, depth and rule, e.g. edge(\"m1\", \"RELATED_TO\", \"m7\")",
            object(
                props(vec![
                    ("fact", json!({"type": "string"})),
                    (
                        "format",
                        json!({"type": "string", "enum": ["text", "json"], "description": "text (default) or json"}),
                    ),
                ]),
                &["fact"],
            ),
            object(
                props(vec![
                    ("holds", json!({"type": "boolean"})),
                    ("proof", json!({})),
                ]),
                &["holds"],
            ),
            hints(true, false, true),
        ),
        tool(
            "forget",
            "Forget",
            "Take knowledge back: memories or entities by id (with everything asserted about them), facts written as Datalog, or by policy: derived facts below min_confidence and older than max_age_days (dry_run lists them)",
            object(
                props(vec![
                    ("ids", json!({"type": "array", "items": {"type": "string"}})),
                    (
                        "facts",
                        json!({"type": "array", "items": {"type": "string"}, "description": "Asserted facts as Datalog: tag(\"m1\", \"auth\")"}),
                    ),
                    ("min_confidence", json!({"type": "number"})),
                    ("max_age_days", json!({"type": "number"})),
                    ("dry_run", json!({"type": "boolean"})),
                ]),
                &[],
            ),
            any(),
            hints(false, true, true),
        ),
        tool(
            "add_rule",
            "Add Rule",
            "Attach a rule file (Datalog, Soufflé's dialect with engram's additions) to the memory, or replace the one of that name. It is checked first: errors come back with line, column and message, and nothing changes",
            object(
                props(vec![
                    (
                        "name",
                        json!({"type": "string", "description": "Letters, digits, _ and -"}),
                    ),
                    ("text", json!({"type": "string"})),
                ]),
                &["name", "text"],
            ),
            any(),
            hints(false, false, true),
        ),
        tool(
            "violations",
            "Violations",
            "The violations of the memory's integrity constraints (contradictions and the like), each with its proof",
            object(props(vec![("constraint", json!({"type": "string"}))]), &[]),
            object(
                props(vec![("violations", json!({"type": "array"}))]),
                &["violations"],
            ),
            hints(true, false, true),
        ),
        tool(
            "stats",
            "Stats",
            "What the memory holds: facts per relation, asserted and derived, and the rule files",
            object(props(vec![]), &[]),
            any(),
            hints(true, false, true),
        ),
    ]
}

/// Every tool `engram mcp` serves.
pub fn all() -> Vec<Tool> {
    let mut tools = reference();
    tools.extend(own());
    tools
}
