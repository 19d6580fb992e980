//! The tools `engram mcp` lists: the MCP reference memory server's nine, with its names,
//! argument names and result shapes (engram adds optional arguments and fields, never takes
//! one away), and engram's own. Each is a name, a title, a description, the JSON Schemas of
//! its arguments and result (generated from the typed structs of `args.rs` and `results.rs`)
//! and hints (read-only, destructive, idempotent).

use crate::args as a;
use crate::results as r;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use std::sync::Arc;

/// The JSON Schema of `T`, self-contained (no `$ref`s: some clients do not follow them).
fn schema<T: JsonSchema>() -> Arc<JsonObject> {
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    settings.meta_schema = None;
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut object = schema.as_object().cloned().unwrap_or_default();
    // The struct's name and doc say nothing to an agent; the tool's title and description do.
    object.remove("title");
    object.remove("description");
    Arc::new(object)
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

/// A tool taking arguments `I` and giving results `O`.
fn tool<I: JsonSchema, O: JsonSchema>(
    name: &'static str,
    title: &str,
    description: &'static str,
    annotations: ToolAnnotations,
) -> Tool {
    Tool::new(name, description, schema::<I>())
        .with_title(title)
        .with_raw_output_schema(schema::<O>())
        .with_annotations(annotations)
}

/// Every tool `engram mcp` serves: the reference server's nine, then engram's own.
pub fn all() -> Vec<Tool> {
    let mut tools = reference();
    tools.extend(own());
    tools
}

/// The reference memory server's nine tools.
fn reference() -> Vec<Tool> {
    vec![
        tool::<a::CreateEntities, r::Entities>(
            "create_entities",
            "Create Entities",
            "Create multiple new entities in the knowledge graph",
            hints(false, false, false),
        ),
        tool::<a::CreateRelations, r::Relations>(
            "create_relations",
            "Create Relations",
            "Create multiple new relations between entities in the knowledge graph. Relations should be in active voice",
            hints(false, false, false),
        ),
        tool::<a::AddObservations, r::Observations>(
            "add_observations",
            "Add Observations",
            "Add new observations to existing entities in the knowledge graph",
            hints(false, false, false),
        ),
        tool::<a::DeleteEntities, r::Success>(
            "delete_entities",
            "Delete Entities",
            "Delete multiple entities and their associated relations from the knowledge graph",
            hints(false, true, true),
        ),
        tool::<a::DeleteObservations, r::Success>(
            "delete_observations",
            "Delete Observations",
            "Delete specific observations from entities in the knowledge graph",
            hints(false, true, true),
        ),
        tool::<a::DeleteRelations, r::Success>(
            "delete_relations",
            "Delete Relations",
            "Delete multiple relations from the knowledge graph",
            hints(false, true, true),
        ),
        tool::<a::ReadGraph, r::GraphPage>(
            "read_graph",
            "Read Graph",
            "Read the entire knowledge graph (long graphs come in pages: see page.next_offset)",
            hints(true, false, true),
        ),
        tool::<a::SearchNodes, r::GraphPage>(
            "search_nodes",
            "Search Nodes",
            "Search for nodes in the knowledge graph based on a query",
            hints(true, false, true),
        ),
        tool::<a::OpenNodes, r::GraphPage>(
            "open_nodes",
            "Open Nodes",
            "Open specific nodes in the knowledge graph by their names",
            hints(true, false, true),
        ),
    ]
}

/// engram's own tools.
fn own() -> Vec<Tool> {
    vec![
        tool::<a::Remember, r::Remembered>(
            "remember",
            "Remember",
            "Store a memory (a solution, a decision, a problem, ...): engram's rules then relate it to the rest. Without an id, one is made from the title and content (the same memory gives the same id)",
            hints(false, false, true),
        ),
        tool::<a::Relate, r::Related>(
            "relate",
            "Relate",
            "Assert a typed relation between two memories or entities (SOLVES, DEPENDS_ON, CAUSES, ...), with a confidence in (0, 1] (default 1)",
            hints(false, false, true),
        ),
        tool::<a::Recall, r::Recalled>(
            "recall",
            "Recall",
            "Find the memories and entities that answer a question: text matches, then what relations (inferred ones too) lead to from them, ranked by relevance, confidence, importance and recency; each hit says why",
            hints(true, false, true),
        ),
        tool::<a::Query, r::Answers>(
            "query",
            "Query",
            "Answer a Datalog query over the memory and everything inferred, e.g. ?- edge(\"m1\", t, x). Each row has the values, confidence, depth and rule",
            hints(true, false, true),
        ),
        tool::<a::Explain, r::Explained>(
            "explain",
            "Explain",
            "The proof of a fact: how the rules derived it, each step with its confidence, depth and rule, e.g. edge(\"m1\", \"RELATED_TO\", \"m7\"). With why_not: true, why a fact does not hold: per rule, the missing premise, the blocking negation, the bound that cut it, or the newer fact that superseded it",
            hints(true, false, true),
        ),
        tool::<a::Forget, r::Forgotten>(
            "forget",
            "Forget",
            "Take knowledge back: memories or entities by id (with everything asserted about them), facts written as Datalog, or by policy: derived facts below min_confidence and older than max_age_days (dry_run lists them)",
            hints(false, true, true),
        ),
        tool::<a::AddRule, r::RuleAdded>(
            "add_rule",
            "Add Rule",
            "Attach a rule file (Datalog, Soufflé's dialect with engram's additions) to the memory, or replace the one of that name. It is checked first: errors come back with line, column and message, and nothing changes",
            hints(false, false, true),
        ),
        tool::<a::Violations, r::Violations>(
            "violations",
            "Violations",
            "The violations of the memory's integrity constraints (contradictions and the like), each with its proof",
            hints(true, false, true),
        ),
        tool::<a::Stats, r::Stats>(
            "stats",
            "Stats",
            "What the memory holds: facts per relation, asserted and derived, and the rule files",
            hints(true, false, true),
        ),
    ]
}
