//! What each tool of `engram mcp` does: the reference memory server's nine over
//! [`engram_memory::graph`], and engram's own over the store. Everything a call
//! carries is data: names, types and observations become facts' values, never program text;
//! the only text read as Datalog is what a tool takes as Datalog (a query, a fact to explain or
//! retract, a rule file), through the parser, and a rule file may not name files.

use super::page::{Paging, size};
use engram_core::Fact;
use engram_memory::{
    self as memory, Graph, GraphEntity, GraphRelation, MemoryExt, Observations, RecallOptions,
    Relation,
};
use engram_store::{CommitReport, Store};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json, json};

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// There is no tool of that name.
    Unknown(String),
    /// The arguments do not fit the tool's schema.
    Arguments(String),
    /// The tool ran and refused or failed; the message goes back to the agent.
    Failed(String),
}

impl From<engram_store::ReadError> for CallError {
    fn from(e: engram_store::ReadError) -> Self {
        CallError::Failed(e.to_string())
    }
}

impl From<engram_store::WriteError> for CallError {
    fn from(e: engram_store::WriteError) -> Self {
        CallError::Failed(e.to_string())
    }
}

impl From<engram_memory::EditError> for CallError {
    fn from(e: engram_memory::EditError) -> Self {
        CallError::Failed(e.to_string())
    }
}

/// The argument of `add_observations`, in the reference server's shape.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObservationAdd {
    entity_name: String,
    contents: Vec<String>,
}

/// Reads one argument.
fn arg<T: DeserializeOwned>(args: &Json, key: &str) -> Result<T, CallError> {
    let v = args.get(key).cloned().unwrap_or(Json::Null);
    serde_json::from_value(v).map_err(|e| CallError::Arguments(format!("`{key}`: {e}")))
}

/// Reads an optional argument.
fn opt<T: DeserializeOwned>(args: &Json, key: &str) -> Result<Option<T>, CallError> {
    match args.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(_) => arg(args, key).map(Some),
    }
}

fn paging(args: &Json) -> Result<Paging, CallError> {
    Paging::of(args).map_err(CallError::Arguments)
}

/// Whether a tool changes the store (its errors leave the handle to be reopened).
pub fn writes(tool: &str) -> bool {
    matches!(
        tool,
        "create_entities"
            | "create_relations"
            | "add_observations"
            | "delete_entities"
            | "delete_observations"
            | "delete_relations"
            | "remember"
            | "relate"
            | "forget"
            | "add_rule"
    )
}

/// The text a result shows besides its structured content, where it is not that content's
/// JSON, as the reference server's tools show it: the deleting tools say their message, the
/// creating ones give the JSON of the list they made.
pub fn text_of(tool: &str, result: &Json) -> Option<String> {
    let list = |key: &str| Some(result[key].to_string());
    match tool {
        "create_entities" => list("entities"),
        "create_relations" => list("relations"),
        "add_observations" => list("results"),
        _ if tool.starts_with("delete_") => result["message"].as_str().map(String::from),
        _ => None,
    }
}

/// What calls keep between them: the recall index, for the generation it was built at.
#[derive(Default)]
pub struct Kept {
    recall: Option<(u64, memory::RecallIndex)>,
}

/// Runs the tool `name` with `args` on the store; its structured result.
pub fn call(
    store: &mut Store,
    kept: &mut Kept,
    name: &str,
    args: &Json,
) -> Result<Json, CallError> {
    let done = |message: &str| json!({"success": true, "message": message});
    match name {
        "create_entities" => {
            let created = store.create_entities(arg(args, "entities")?)?;
            Ok(json!({ "entities": created }))
        }
        "create_relations" => {
            let created = store.create_relations(arg(args, "relations")?)?;
            Ok(json!({ "relations": created }))
        }
        "add_observations" => {
            let adds: Vec<ObservationAdd> = arg(args, "observations")?;
            let adds = (adds.into_iter())
                .map(|a| Observations {
                    entity_name: a.entity_name,
                    observations: a.contents,
                })
                .collect();
            let results: Vec<Json> = (store.add_observations(adds)?.into_iter())
                .map(|r| json!({"entityName": r.entity_name, "addedObservations": r.observations}))
                .collect();
            Ok(json!({ "results": results }))
        }
        "delete_entities" => {
            let names: Vec<String> = arg(args, "entityNames")?;
            store.delete_entities(&names)?;
            Ok(done("Entities deleted successfully"))
        }
        "delete_observations" => {
            let deletions: Vec<Observations> = arg(args, "deletions")?;
            store.delete_observations(&deletions)?;
            Ok(done("Observations deleted successfully"))
        }
        "delete_relations" => {
            let relations: Vec<Relation> = arg(args, "relations")?;
            store.delete_relations(&relations)?;
            Ok(done("Relations deleted successfully"))
        }
        "read_graph" => {
            let names_only = opt(args, "names_only")?.unwrap_or(false);
            graph_page(read(store, args)?, paging(args)?, names_only)
        }
        "search_nodes" => {
            let query: String = arg(args, "query")?;
            let graph = store.search_nodes(&query, inferred(args)?)?;
            graph_page(graph, paging(args)?, false)
        }
        "open_nodes" => {
            let names: Vec<String> = arg(args, "names")?;
            let graph = store.open_nodes(&names, inferred(args)?)?;
            graph_page(graph, paging(args)?, false)
        }
        "remember" => remember(store, args),
        "relate" => relate(store, args),
        "recall" => recall(store, kept, args),
        "query" => query(store, args),
        "explain" => explain(store, args),
        "forget" => forget(store, args),
        "add_rule" => add_rule(store, args),
        "violations" => {
            let constraint: Option<String> = opt(args, "constraint")?;
            let violations: Vec<Json> = (store.violations(constraint.as_deref())?.iter())
                .map(|v| serde_json::from_str(&v.to_json()).unwrap_or(Json::Null))
                .collect();
            Ok(json!({ "violations": violations }))
        }
        "stats" => {
            let mut stats = store.stats()?.to_json();
            let rules: Vec<&str> = store.rules().iter().map(|r| r.name.as_str()).collect();
            stats["rule_files"] = json!(rules);
            Ok(stats)
        }
        other => Err(CallError::Unknown(other.to_string())),
    }
}

/// Whether to show what was inferred: unless `asserted_only`.
fn inferred(args: &Json) -> Result<bool, CallError> {
    Ok(!opt(args, "asserted_only")?.unwrap_or(false))
}

/// The graph, with what was inferred unless `asserted_only`.
fn read(store: &mut Store, args: &Json) -> Result<Graph, CallError> {
    Ok(store.read_graph(inferred(args)?)?)
}

/// One page of a graph: entities, then relations, as one list that `offset` counts in.
fn graph_page(graph: Graph, paging: Paging, names_only: bool) -> Result<Json, CallError> {
    let entity = |e: &GraphEntity| -> Json {
        let mut v = serde_json::to_value(e).unwrap_or(Json::Null);
        if names_only && let Some(o) = v.as_object_mut() {
            o.remove("observations");
        }
        v
    };
    let entities: Vec<Json> = graph.entities.iter().map(entity).collect();
    let relations: Vec<Json> = (graph.relations.iter())
        .map(|r: &GraphRelation| serde_json::to_value(r).unwrap_or(Json::Null))
        .collect();
    let total = entities.len() + relations.len();
    let sizes = entities.iter().chain(&relations).map(size);
    let n = paging.count(sizes.skip(paging.offset));
    let (start, end) = (paging.offset.min(total), (paging.offset + n).min(total));
    let split = entities.len();
    let mut out = Map::new();
    out.insert(
        "entities".into(),
        Json::Array(entities[start.min(split)..end.min(split)].to_vec()),
    );
    out.insert(
        "relations".into(),
        Json::Array(relations[start.max(split) - split..end.max(split) - split].to_vec()),
    );
    if let Some(page) = paging.report(end - start, total) {
        out.insert("page".into(), page);
    }
    Ok(Json::Object(out))
}

fn report_json(r: &CommitReport) -> Json {
    json!({
        "generation": r.generation, "asserted": r.asserted, "retracted": r.retracted,
        "added": r.added, "removed": r.removed, "changed": r.changed, "rederived": r.rederived,
    })
}

/// Asserts one object of engram's memory format (a memory or a relation), read as `load`
/// reads a line.
fn assert_object(
    store: &mut Store,
    object: Map<String, Json>,
    at: &str,
) -> Result<Json, CallError> {
    let facts = memory::Format::Native
        .read_object(&object, at)
        .map_err(|m| CallError::Arguments(format!("{at}: {m}")))?;
    let mut tx = store.transaction()?;
    memory::add_to_transaction(&mut tx, facts)?;
    Ok(report_json(&tx.commit()?))
}

/// The relations the rules derived that touch `id`, most confident first.
fn inferred_around(store: &mut Store, id: &str) -> Result<Vec<GraphRelation>, CallError> {
    let mut inferred = store.inferred_around(&[id.to_string()])?;
    inferred.truncate(20);
    Ok(inferred)
}

/// `remember`: a memory, as a line `{"kind": "memory", ...}` of engram's format.
fn remember(store: &mut Store, args: &Json) -> Result<Json, CallError> {
    let title: String = arg(args, "title")?;
    let content: Option<String> = opt(args, "content")?;
    let id = match opt::<String>(args, "id")? {
        Some(id) => id,
        None => {
            use engram_core::ColumnType::Symbol;
            let parts = ["memory", &title, content.as_deref().unwrap_or("")];
            engram_core::internal::value::skolem(&parts.map(|p| (Symbol, p.to_string())))
        }
    };
    let mut object = Map::new();
    object.insert("kind".into(), json!("memory"));
    object.insert("id".into(), json!(id));
    object.insert("title".into(), json!(title));
    for key in [
        "content",
        "type",
        "tags",
        "project",
        "importance",
        "confidence",
        "summary",
    ] {
        if let Some(v) = args.get(key).filter(|v| !v.is_null()) {
            object.insert(key.into(), v.clone());
        }
    }
    let report = assert_object(store, object, "remember")?;
    let inferred = inferred_around(store, &id)?;
    Ok(json!({"id": id, "report": report, "inferred": inferred}))
}

/// `relate`: a relation, as a line `{"kind": "relation", ...}` of engram's format.
fn relate(store: &mut Store, args: &Json) -> Result<Json, CallError> {
    let mut object = Map::new();
    object.insert("kind".into(), json!("relation"));
    for key in ["from", "type", "to"] {
        object.insert(key.into(), json!(arg::<String>(args, key)?));
    }
    if let Some(c) = args.get("confidence").filter(|v| !v.is_null()) {
        object.insert("confidence".into(), c.clone());
    }
    let relation = Json::Object(object.clone());
    let report = assert_object(store, object, "relate")?;
    Ok(json!({"relation": relation, "report": report}))
}

/// Hits a `recall` page holds unless told otherwise.
const RECALL_LIMIT: usize = 10;

/// Hits `recall` ranks to page through.
const RECALL_POOL: usize = 100;

/// `recall`: hits with why, a page of them.
fn recall(store: &mut Store, kept: &mut Kept, args: &Json) -> Result<Json, CallError> {
    let query: String = arg(args, "query")?;
    let paging = paging(args)?;
    let wanted = paging.limit.unwrap_or(RECALL_LIMIT);
    // Ranked greedily, so the first hits of a longer list are the hits of a shorter one: a
    // page is a slice of the first RECALL_POOL (or as many as the page reaches).
    let options = RecallOptions {
        depth: opt(args, "depth")?.unwrap_or(2),
        limit: (paging.offset + wanted).max(RECALL_POOL),
        now: store.evaluation_time(),
    };
    let generation = store.generation();
    let index = match kept.recall.take() {
        Some((g, index)) if g == generation => index,
        _ => store.recall_index()?,
    };
    let hits = index.recall(&query, &options);
    kept.recall = Some((generation, index));
    let paging = Paging {
        limit: Some(wanted),
        ..paging
    };
    let (hits, page) = paging.take(hits);
    let mut out = json!({ "hits": hits });
    if let Some(page) = page {
        out["page"] = page;
    }
    Ok(out)
}

/// `query`: the answers of one `?-` query, a page of them.
fn query(store: &mut Store, args: &Json) -> Result<Json, CallError> {
    let text: String = arg(args, "query")?;
    let text = match text.trim_start().starts_with("?-") {
        true => text,
        false => format!("?- {}", text.trim().trim_end_matches('.')) + ".",
    };
    let answers = store.query(&text)?;
    let [answer] = <[_; 1]>::try_from(answers)
        .map_err(|_| CallError::Arguments("write one query: `?- edge(\"m1\", t, x).`".into()))?;
    let rows: Vec<Json> = answer.answers.iter().map(Fact::to_json).collect();
    let (rows, page) = paging(args)?.take(rows);
    let mut out = json!({"query": answer.text.trim(), "columns": answer.columns, "rows": rows});
    if let Some(page) = page {
        out["page"] = page;
    }
    Ok(out)
}

/// `explain`: the proof of a fact, as text or JSON.
fn explain(store: &mut Store, args: &Json) -> Result<Json, CallError> {
    let fact: String = arg(args, "fact")?;
    let format: Option<String> = opt(args, "format")?;
    let fact = fact.trim().trim_end_matches('.');
    let Some(proof) = store.explain(fact)? else {
        return Ok(json!({"holds": false, "fact": fact}));
    };
    let proof = match format.as_deref() {
        None | Some("text") => json!(proof.to_text()),
        Some("json") => serde_json::from_str(&proof.to_json()).unwrap_or(Json::Null),
        Some(other) => {
            return Err(CallError::Arguments(format!(
                "`format` is text or json, not {other:?}"
            )));
        }
    };
    Ok(json!({"holds": true, "fact": fact, "proof": proof}))
}

/// `forget`: memories or entities by id, facts as Datalog, or a cleanup policy.
fn forget(store: &mut Store, args: &Json) -> Result<Json, CallError> {
    let ids: Vec<String> = opt(args, "ids")?.unwrap_or_default();
    let facts: Vec<String> = opt(args, "facts")?.unwrap_or_default();
    let min: Option<f64> = opt(args, "min_confidence")?;
    let age: Option<f64> = opt(args, "max_age_days")?;
    let dry_run = opt(args, "dry_run")?.unwrap_or(false);
    if ids.is_empty() && facts.is_empty() && min.is_none() && age.is_none() {
        return Err(CallError::Arguments(
            "say what to forget: `ids`, `facts`, or `min_confidence` and `max_age_days`".into(),
        ));
    }
    let mut out = json!({});
    if !ids.is_empty() {
        store.delete_entities(&ids)?;
        out["ids"] = json!(ids);
    }
    if !facts.is_empty() {
        let mut tx = store.transaction()?;
        for f in &facts {
            tx.retract_text(f)?;
        }
        out["facts"] = report_json(&tx.commit()?);
    }
    match (min, age) {
        (Some(min), Some(age)) => {
            let r = store.cleanup(min, age, dry_run)?;
            let forgotten: Vec<Json> = (r.forgotten.iter().take(100))
                .map(|(rel, f)| json!({"relation": rel, "fact": f.to_json()}))
                .collect();
            out["cleanup"] = json!({
                "dry_run": dry_run,
                "forgotten": r.forgotten.len(),
                "facts": forgotten,
                "report": r.commit.as_ref().map(report_json),
            });
        }
        (None, None) => {}
        _ => {
            return Err(CallError::Arguments(
                "a cleanup needs both `min_confidence` and `max_age_days`".into(),
            ));
        }
    }
    Ok(out)
}

/// `add_rule`: checks a rule file (it may not read or write files) and attaches it.
fn add_rule(store: &mut Store, args: &Json) -> Result<Json, CallError> {
    let name: String = arg(args, "name")?;
    let text: String = arg(args, "text")?;
    let ok_name = !name.is_empty()
        && name.len() <= 64
        && (name.chars()).all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok_name {
        return Err(CallError::Arguments(format!(
            "rule file name {name:?}: use 1 to 64 letters, digits, `_` and `-`"
        )));
    }
    // Errors name the rule file as the store does: by its name.
    let program =
        engram_parser::parse(&text, &name).map_err(|e| CallError::Failed(e.to_string()))?;
    for item in &program.items {
        if let engram_parser::Item::Directive(d) = item
            && let Some((key, _)) =
                (d.params.iter()).find(|(k, _)| !matches!(k.as_str(), "confidence" | "delimiter"))
        {
            let (line, col) = engram_parser::line_col(&text, d.span.start);
            return Err(CallError::Failed(format!(
                "{name}:{line}:{col}: error: `{key}=` is not allowed in a rule added through MCP: \
                 a memory's rules read and write no files (assert facts instead)"
            )));
        }
    }
    let report = store.add_rules(&name, &text)?;
    Ok(json!({"rule_file": name, "report": report_json(&report)}))
}
