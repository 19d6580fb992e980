//! What each tool of `engram mcp` does: the reference memory server's nine over
//! [`engram_memory::graph`], and engram's own over the store. Everything a call
//! carries is data: names, types and observations become facts' values, never program text;
//! the only text read as Datalog is what a tool takes as Datalog (a query, a fact to explain or
//! retract, a rule file), through the parser, and a rule file may not name files.

use super::page::{Paging, size};
use crate::args as a;
use crate::results as r;
use engram_core::{Fact, Proof};
use engram_memory::{
    self as memory, Entity, Graph, GraphEntity, GraphRelation, MemoryExt, Observations,
    RecallOptions, Relation,
};
use engram_store::Store;
use serde::de::DeserializeOwned;
use serde_json::{Value as Json, json};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// There is no tool of that name.
    #[error("no tool named {0:?}")]
    Unknown(String),
    /// The arguments do not fit the tool's schema.
    #[error("{0}")]
    Arguments(String),
    /// The tool ran and refused or failed; the message goes back to the agent.
    #[error("{0}")]
    Failed(String),
    /// The tool writes and the caller may only read ([`crate::Access::Read`]).
    #[error("{0} changes the store; this client's token may only read")]
    ReadOnly(String),
    /// What the call names does not exist (a rule file).
    #[error("{0}")]
    NotFound(String),
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

/// Reads a call's arguments as the tool's typed arguments; an error names the argument.
pub(crate) fn args<T: DeserializeOwned>(args: &Json) -> Result<T, CallError> {
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // A missing field is named by its own path (`entities[0].entityType`), as the
        // reference server names it, not by the object it is missing from.
        let missing =
            (message.strip_prefix("missing field `")).and_then(|rest| rest.strip_suffix('`'));
        match (path.as_str(), missing) {
            (".", Some(field)) => CallError::Arguments(format!("`{field}`: required")),
            (_, Some(field)) => CallError::Arguments(format!("`{path}.{field}`: required")),
            (".", None) => CallError::Arguments(message),
            (_, None) => CallError::Arguments(format!("`{path}`: {message}")),
        }
    })
}

/// A result as the JSON of its typed struct.
pub(crate) fn json_of<T: serde::Serialize>(result: T) -> Result<Json, CallError> {
    serde_json::to_value(result).map_err(|e| CallError::Failed(e.to_string()))
}

/// Whether a tool changes the store (its errors leave the handle to be reopened; a client
/// that may only read cannot call it).
pub fn writes(tool: &str) -> bool {
    let more = crate::rest_calls::CALLS
        .iter()
        .any(|&(name, w)| w && name == tool);
    more || matches!(
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

/// What calls keep between them, for the commit they read it at: what recall read of the
/// memory's documents, and the graph's outline that `read_graph` pages read.
#[derive(Default)]
pub struct Kept {
    recall: memory::RecallCache,
    graph: memory::GraphCache,
}

/// Runs the tool `name` with `arguments` on the store; its structured result.
pub fn call(
    store: &mut Store,
    kept: &mut Kept,
    name: &str,
    arguments: &Json,
) -> Result<Json, CallError> {
    let a = arguments;
    match name {
        "create_entities" => create_entities(store, args(a)?),
        "create_relations" => create_relations(store, args(a)?),
        "add_observations" => add_observations(store, args(a)?),
        "delete_entities" => {
            let call: a::DeleteEntities = args(a)?;
            store.delete_entities(&call.entity_names)?;
            done("Entities deleted successfully")
        }
        "delete_observations" => delete_observations(store, args(a)?),
        "delete_relations" => {
            let call: a::DeleteRelations = args(a)?;
            let relations: Vec<Relation> = call.relations.into_iter().map(relation).collect();
            store.delete_relations(&relations)?;
            done("Relations deleted successfully")
        }
        "read_graph" => {
            let call: a::ReadGraph = args(a)?;
            let (inferred, paging) = (!call.asserted_only.unwrap_or(false), paging(call.page)?);
            let names_only = call.names_only.unwrap_or(false);
            if let Some(page) = entity_page(store, &mut kept.graph, inferred, paging, names_only)? {
                return Ok(page);
            }
            let graph = store.read_graph(inferred)?;
            graph_page(graph, paging, names_only)
        }
        "search_nodes" => {
            let call: a::SearchNodes = args(a)?;
            let graph = store.search_nodes(&call.query, !call.asserted_only.unwrap_or(false))?;
            graph_page(graph, paging(call.page)?, false)
        }
        "open_nodes" => {
            let call: a::OpenNodes = args(a)?;
            let graph = store.open_nodes(&call.names, !call.asserted_only.unwrap_or(false))?;
            graph_page(graph, paging(call.page)?, false)
        }
        "remember" => remember(store, args(a)?),
        "relate" => relate(store, args(a)?),
        "recall" => recall(store, kept, args(a)?),
        "query" => query(store, args(a)?),
        "explain" => explain(store, args(a)?),
        "forget" => forget(store, args(a)?),
        "add_rule" => add_rule(store, args(a)?),
        "violations" => {
            let call: a::Violations = args(a)?;
            let violations: Vec<Json> = (store.violations(call.constraint.as_deref())?.iter())
                .map(|v| serde_json::from_str(&v.to_json()).unwrap_or(Json::Null))
                .collect();
            json_of(r::Violations { violations })
        }
        "stats" => {
            let _: a::Stats = args(a)?;
            let Json::Object(figures) = store.stats()?.to_json() else {
                return Err(CallError::Failed("statistics are not an object".into()));
            };
            let rule_files = store.rules().iter().map(|r| r.name.clone()).collect();
            json_of(r::Stats {
                figures,
                rule_files,
            })
        }
        other => crate::rest_calls::call(store, other, a)
            .unwrap_or_else(|| Err(CallError::Unknown(other.to_string()))),
    }
}

/// The deleting tools' answer.
fn done(message: &str) -> Result<Json, CallError> {
    json_of(r::Success {
        success: true,
        message: message.to_string(),
    })
}

fn entity(e: Entity) -> a::EntityShape {
    a::EntityShape {
        name: e.name,
        entity_type: e.entity_type,
        observations: e.observations,
    }
}

fn relation(r: a::RelationShape) -> Relation {
    Relation {
        from: r.from,
        to: r.to,
        relation_type: r.relation_type,
    }
}

fn relation_shape(r: Relation) -> a::RelationShape {
    a::RelationShape {
        from: r.from,
        to: r.to,
        relation_type: r.relation_type,
    }
}

/// `create_entities`: the entities not yet present.
fn create_entities(store: &mut Store, call: a::CreateEntities) -> Result<Json, CallError> {
    let entities = (call.entities.into_iter())
        .map(|e| Entity {
            name: e.name,
            entity_type: e.entity_type,
            observations: e.observations,
        })
        .collect();
    let created = store.create_entities(entities)?;
    json_of(r::Entities {
        entities: created.into_iter().map(entity).collect(),
    })
}

/// `create_relations`: the relations not yet asserted as written.
fn create_relations(store: &mut Store, call: a::CreateRelations) -> Result<Json, CallError> {
    let relations = call.relations.into_iter().map(relation).collect();
    let created = store.create_relations(relations)?;
    json_of(r::Relations {
        relations: created.into_iter().map(relation_shape).collect(),
    })
}

/// `add_observations`: what each entity did not have.
fn add_observations(store: &mut Store, call: a::AddObservations) -> Result<Json, CallError> {
    let adds = (call.observations.into_iter())
        .map(|o| Observations {
            entity_name: o.entity_name,
            observations: o.contents,
        })
        .collect();
    let results = (store.add_observations(adds)?.into_iter())
        .map(|o| r::AddedObservations {
            entity_name: o.entity_name,
            added_observations: o.observations,
        })
        .collect();
    json_of(r::Observations { results })
}

/// `delete_observations`.
fn delete_observations(store: &mut Store, call: a::DeleteObservations) -> Result<Json, CallError> {
    let deletions: Vec<Observations> = (call.deletions.into_iter())
        .map(|d| Observations {
            entity_name: d.entity_name,
            observations: d.observations,
        })
        .collect();
    store.delete_observations(&deletions)?;
    done("Observations deleted successfully")
}

/// The paging a call asked for.
fn paging(page: a::PageArgs) -> Result<Paging, CallError> {
    if page.limit == Some(0) {
        return Err(CallError::Arguments("`limit` must be at least 1".into()));
    }
    Ok(Paging {
        limit: page.limit,
        offset: page.offset.unwrap_or(0),
    })
}

/// What a derived entity or relation adds, as the result shows it.
fn inferred_out(i: Option<memory::Inferred>) -> Option<r::Inferred> {
    i.map(|i| r::Inferred {
        inferred: i.inferred,
        confidence: i.confidence,
        rule: i.rule,
    })
}

fn graph_relation(g: GraphRelation) -> r::GraphRelation {
    r::GraphRelation {
        relation: relation_shape(g.relation),
        inferred: inferred_out(g.inferred),
    }
}

/// One page of a graph: entities, then relations, as one list that `offset` counts in.
fn graph_page(graph: Graph, paging: Paging, names_only: bool) -> Result<Json, CallError> {
    let entities: Vec<r::GraphEntity> = (graph.entities.into_iter())
        .map(|e| entity_out(e, names_only))
        .collect();
    let relations: Vec<r::GraphRelation> =
        graph.relations.into_iter().map(graph_relation).collect();
    let total = entities.len() + relations.len();
    let sizes = (entities.iter().map(size)).chain(relations.iter().map(size));
    let n = paging.count(sizes.skip(paging.offset));
    let (start, end) = (paging.offset.min(total), (paging.offset + n).min(total));
    let split = entities.len();
    let (first, last) = (start.max(split) - split, end.max(split) - split);
    let page = r::GraphPage {
        entities: (entities
            .into_iter()
            .skip(start)
            .take(end.min(split).saturating_sub(start)))
        .collect(),
        relations: relations
            .into_iter()
            .skip(first)
            .take(last - first)
            .collect(),
        page: paging.report(end - start, total),
    };
    json_of(page)
}

/// An entity as a page shows it (without its observations when `names_only`).
fn entity_out(e: GraphEntity, names_only: bool) -> r::GraphEntity {
    r::GraphEntity {
        name: e.entity.name,
        entity_type: e.entity.entity_type,
        observations: (!names_only).then_some(e.entity.observations),
        inferred: inferred_out(e.inferred),
    }
}

/// Entities a `read_graph` page without a `limit` reads ahead: more than fit in the budget
/// (a name alone is some 60 characters of JSON).
const WINDOW: usize = 512;

/// A `read_graph` page that ends among the graph's entities, read without reading the graph
/// ([`MemoryExt::read_graph_window`]): what [`graph_page`] makes of the whole graph. `None`
/// when the page may reach the relations (then the whole graph is read).
fn entity_page(
    store: &mut Store,
    kept: &mut memory::GraphCache,
    inferred: bool,
    paging: Paging,
    names_only: bool,
) -> Result<Option<Json>, CallError> {
    let window = paging.limit.unwrap_or(WINDOW);
    if window == 0 {
        return Ok(None);
    }
    let window = store.read_graph_window_with(kept, inferred, paging.offset, window)?;
    let Some((entities, total)) = window else {
        return Ok(None);
    };
    let entities: Vec<r::GraphEntity> = (entities.into_iter())
        .map(|e| entity_out(e, names_only))
        .collect();
    let n = paging.count(entities.iter().map(size));
    if n == entities.len() && paging.limit.is_none() {
        // The budget might hold more than the window read.
        return Ok(None);
    }
    let page = r::GraphPage {
        entities: entities.into_iter().take(n).collect(),
        relations: Vec::new(),
        page: paging.report(n, total),
    };
    json_of(page).map(Some)
}

/// A `remember` or `relate` refused for its arguments is the caller's to fix.
fn edit_error(e: memory::EditError) -> CallError {
    match e {
        memory::EditError::Refused(m) => CallError::Arguments(m),
        other => other.into(),
    }
}

/// `remember`: a memory, as a line `{"kind": "memory", ...}` of engram's format.
fn remember(store: &mut Store, call: a::Remember) -> Result<Json, CallError> {
    let memory = memory::NewMemory {
        id: call.id,
        title: call.title,
        content: call.content,
        ty: call.ty,
        tags: call.tags,
        project: call.project,
        importance: call.importance,
        confidence: call.confidence,
        summary: call.summary,
    };
    let mut done = memory::remember(store, memory).map_err(edit_error)?;
    done.inferred.truncate(20);
    json_of(r::Remembered {
        id: done.id,
        report: r::Report::from(&done.report),
        inferred: done.inferred.into_iter().map(graph_relation).collect(),
    })
}

/// `relate`: a relation, as a line `{"kind": "relation", ...}` of engram's format.
fn relate(store: &mut Store, call: a::Relate) -> Result<Json, CallError> {
    let relation = memory::NewRelation {
        from: call.from,
        ty: call.ty,
        to: call.to,
        confidence: call.confidence,
    };
    let done = memory::relate(store, relation).map_err(edit_error)?;
    json_of(r::Related {
        relation: done.relation,
        report: r::Report::from(&done.report),
    })
}

/// Hits a `recall` page holds unless told otherwise.
const RECALL_LIMIT: usize = 10;

/// Hits `recall` ranks to page through.
const RECALL_POOL: usize = 100;

/// `recall`: hits with why, a page of them.
fn recall(store: &mut Store, kept: &mut Kept, call: a::Recall) -> Result<Json, CallError> {
    let paging = paging(a::PageArgs {
        limit: call.limit,
        offset: call.offset,
    })?;
    let wanted = paging.limit.unwrap_or(RECALL_LIMIT);
    // Ranked greedily, so the first hits of a longer list are the hits of a shorter one: a
    // page is a slice of the first RECALL_POOL (or as many as the page reaches).
    let options = RecallOptions {
        depth: call.depth.unwrap_or(2),
        limit: (paging.offset + wanted).max(RECALL_POOL),
        now: store.evaluation_time(),
        shown: Some(paging.offset + wanted),
    };
    let hits = store.recall_with(&mut kept.recall, &call.query, &options)?;
    let paging = Paging {
        limit: Some(wanted),
        ..paging
    };
    let (hits, page) = paging.take(hits);
    let hits = hits
        .iter()
        .map(|h| serde_json::to_value(h).unwrap_or(Json::Null));
    json_of(r::Recalled {
        hits: hits.collect(),
        page,
    })
}

/// `query`: the answers of one `?-` query, a page of them.
fn query(store: &mut Store, call: a::Query) -> Result<Json, CallError> {
    let answers = store.query(&engram_core::query_text(&call.query))?;
    let one = |a: &engram_core::QueryAnswer| (a.text.clone(), a.columns.clone());
    let Some(first) = answers.first().map(one) else {
        return Err(CallError::Arguments(
            "write one query: `?- edge(\"m1\", t, x).`".into(),
        ));
    };
    // A query whose body is a disjunction is answered per disjunct: one answer each, the
    // best confidence of those that give it, in the order the disjuncts give them.
    if answers.iter().any(|a| one(a) != first) {
        return Err(CallError::Arguments(
            "write one query: `?- edge(\"m1\", t, x).`".into(),
        ));
    }
    let mut rows: Vec<Json> = Vec::new();
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for fact in answers.iter().flat_map(|a| &a.answers) {
        let row = Fact::to_json(fact);
        let key = row["values"].to_string();
        match at.get(&key) {
            Some(&i) => {
                let better = row["confidence"].as_f64() > rows[i]["confidence"].as_f64();
                if better {
                    rows[i] = row;
                }
            }
            None => {
                at.insert(key, rows.len());
                rows.push(row);
            }
        }
    }
    let (rows, page) = paging(call.page)?.take(rows);
    json_of(r::Answers {
        query: first.0.trim().to_string(),
        columns: first.1,
        rows,
        page,
    })
}

/// `explain`: the proof of a fact, as text or JSON.
fn explain(store: &mut Store, call: a::Explain) -> Result<Json, CallError> {
    let fact = call.fact.trim().trim_end_matches('.').to_string();
    let format = call.format.unwrap_or_default();
    let proof_of = |proof: Proof| match format {
        a::ProofFormat::Text => json!(proof.to_text()),
        a::ProofFormat::Json => serde_json::to_value(proof).unwrap_or(Json::Null),
    };
    if call.why_not == Some(true) {
        let mut why = store.why_not(&fact)?;
        let proof = why.holds.take();
        let holds = proof.is_some();
        return json_of(r::Explained {
            holds,
            fact,
            proof: proof.map(proof_of),
            why_not: (!holds).then(|| match format {
                a::ProofFormat::Text => json!(why.to_text()),
                a::ProofFormat::Json => serde_json::to_value(&why).unwrap_or(Json::Null),
            }),
        });
    }
    let proof = store.explain(&fact)?.map(proof_of);
    json_of(r::Explained {
        holds: proof.is_some(),
        fact,
        proof,
        why_not: None,
    })
}

/// `forget`: memories or entities by id, facts as Datalog, or a cleanup policy.
fn forget(store: &mut Store, call: a::Forget) -> Result<Json, CallError> {
    let ids = call.ids.unwrap_or_default();
    let facts = call.facts.unwrap_or_default();
    let (min, age) = (call.min_confidence, call.max_age_days);
    if ids.is_empty() && facts.is_empty() && min.is_none() && age.is_none() {
        return Err(CallError::Arguments(
            "say what to forget: `ids`, `facts`, or `min_confidence` and `max_age_days`".into(),
        ));
    }
    let mut out = r::Forgotten::default();
    let mut forgot = false;
    if !ids.is_empty() {
        let found = store.delete_entities(&ids)?;
        for id in ids.iter().filter(|id| !found.contains(id)) {
            out.not_forgotten.push(r::NotForgotten {
                what: id.clone(),
                why: "no memory or entity has this id".into(),
            });
        }
        forgot |= !found.is_empty();
        out.ids = Some(found);
    }
    if !facts.is_empty() {
        let asserted = asserted_of(store, &facts, &mut out.not_forgotten)?;
        if !asserted.is_empty() {
            let mut tx = store.transaction()?;
            for (relation, values) in asserted {
                tx.retract(&relation, values)?;
            }
            out.facts = Some(r::Report::from(&tx.commit()?));
            forgot = true;
        }
    }
    match (min, age) {
        (Some(min), Some(age)) => {
            let dry_run = call.dry_run.unwrap_or(false);
            let done = store.cleanup(min, age, dry_run)?;
            let facts = (done.forgotten.iter().take(100))
                .map(|(rel, f)| json!({"relation": rel, "fact": f.to_json()}))
                .collect();
            out.cleanup = Some(r::Cleanup {
                dry_run,
                forgotten: done.forgotten.len(),
                facts,
                report: done.commit.as_ref().map(r::Report::from),
            });
        }
        (None, None) => {}
        _ => {
            return Err(CallError::Arguments(
                "a cleanup needs both `min_confidence` and `max_age_days`".into(),
            ));
        }
    }
    if !forgot && out.cleanup.is_none() {
        let why: Vec<String> = (out.not_forgotten.iter())
            .map(|n| format!("{}: {}", n.what, n.why))
            .collect();
        return Err(CallError::Failed(format!(
            "nothing was forgotten: {}",
            why.join("; ")
        )));
    }
    json_of(out)
}

/// The facts of `facts` (Datalog text) that are asserted, as (relation, values), with the
/// written forms of each relation among them (`relation_written`, which would otherwise
/// outlive it); each that is not, with why, in `not`.
fn asserted_of(
    store: &mut Store,
    facts: &[String],
    not: &mut Vec<r::NotForgotten>,
) -> Result<Vec<(String, Vec<engram_core::Value>)>, CallError> {
    let mut out = Vec::new();
    for text in facts {
        let parsed = store.database_with(&[])?.parse_fact(text);
        let (relation, values) = parsed.map_err(|e| CallError::Failed(format!("{text}: {e}")))?;
        // Looked up by its first value (a lookup of several columns finds any of them).
        let asserted = match values.first() {
            Some(first) => (store.asserted_where(&relation, &[0], std::slice::from_ref(first))?)
                .into_iter()
                .any(|f| f.values == values),
            None => !store.asserted_facts(&relation)?.is_empty(),
        };
        if !asserted {
            let why = match store.explain(text)? {
                Some(p) => format!(
                    "not asserted: derived by the rule `{}` (forget what it is derived from)",
                    p.rule
                ),
                None => "no such fact".to_string(),
            };
            not.push(r::NotForgotten {
                what: text.clone(),
                why,
            });
            continue;
        }
        if relation == "relation" && values.len() == 3 {
            for w in store.asserted_where("relation_written", &[0], &values[..1])? {
                if w.values[..3] == values[..] {
                    out.push(("relation_written".to_string(), w.values));
                }
            }
        }
        out.push((relation, values));
    }
    Ok(out)
}

/// `add_rule`: checks a rule file (it may not read or write files) and attaches it.
fn add_rule(store: &mut Store, call: a::AddRule) -> Result<Json, CallError> {
    let a::AddRule {
        name,
        text,
        replace_standard,
    } = call;
    let ok_name = !name.is_empty()
        && name.len() <= 64
        && (name.chars()).all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok_name {
        return Err(CallError::Arguments(format!(
            "rule file name {name:?}: use 1 to 64 letters, digits, `_` and `-`"
        )));
    }
    if store.replaces_standard_rules(&name) && replace_standard != Some(true) {
        return Err(CallError::Failed(format!(
            "`{name}` is one of engram's standard rule files: replacing it (or emptying it) \
             changes what every memory derives. Give your rule file another name, or pass \
             \"replace_standard\": true to replace it on purpose"
        )));
    }
    // Errors name the rule file as the store does: by its name.
    let (program, read) = engram_parser::parse_file_alone(&text, &name)
        .map_err(|e| CallError::Failed(e.to_string()))?;
    // Directives inside components too: an instance reads what its component's say.
    let mut items: Vec<&engram_parser::Item> = program.items.iter().collect();
    while let Some(item) = items.pop() {
        if let engram_parser::Item::Component(c) = item {
            items.extend(&c.items);
        }
        if let engram_parser::Item::Directive(d) = item
            && let Some((key, _)) =
                (d.params.iter()).find(|(k, _)| !matches!(k.as_str(), "confidence" | "delimiter"))
        {
            let (line, col) = engram_parser::line_col(&read, d.span.start);
            return Err(CallError::Failed(format!(
                "{name}:{line}:{col}: error: `{key}=` is not allowed in a rule added through MCP: \
                 a memory's rules read and write no files (assert facts instead)"
            )));
        }
    }
    let report = r::Report::from(&store.add_rules(&name, &text)?);
    json_of(r::RuleAdded {
        rule_file: name,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `read_graph` page read from a window of the entities is the page the whole graph
    /// gives, for pages by budget and by limit, with and without observations and inferred
    /// facts.
    #[test]
    fn a_page_of_entities_is_the_page_of_the_whole_graph() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/memories.jsonl");
        let read = memory::Format::Native
            .read(&std::fs::read_to_string(example).unwrap(), false)
            .unwrap();
        let mut store = Store::in_memory();
        (store.add_rule_files(&engram_core::library::default_rules())).unwrap();
        let mut tx = store.transaction().unwrap();
        memory::add_to_transaction(&mut tx, read.facts).unwrap();
        tx.commit().unwrap();
        let mut windowed = 0;
        // Kept across the pages, as a server keeps it.
        let mut kept = memory::GraphCache::default();
        for inferred in [false, true] {
            for names_only in [false, true] {
                for offset in [0, 5, 40] {
                    for limit in [None, Some(1), Some(7)] {
                        let paging = Paging { limit, offset };
                        let Some(page) =
                            entity_page(&mut store, &mut kept, inferred, paging, names_only)
                                .unwrap()
                        else {
                            continue;
                        };
                        windowed += 1;
                        let graph = store.read_graph(inferred).unwrap();
                        assert_eq!(
                            page,
                            graph_page(graph, paging, names_only).unwrap(),
                            "{paging:?}, inferred {inferred}, names only {names_only}"
                        );
                    }
                }
            }
        }
        assert!(windowed >= 12, "{windowed} pages came from the window");
    }
}
