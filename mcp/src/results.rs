//! Each tool's structured result as a typed struct: what a call serializes, and what its
//! output JSON Schema is generated from, so the two cannot differ. Values whose shape is the
//! engine's (a proof, an answer row, a recall hit) are JSON the engine makes.

use crate::args::{EntityShape, RelationShape};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value as Json;

/// `create_entities`: the entities created.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Entities {
    pub entities: Vec<EntityShape>,
}

/// `create_relations`: the relations created.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Relations {
    pub relations: Vec<RelationShape>,
}

/// The observations one entity got.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddedObservations {
    pub entity_name: String,
    pub added_observations: Vec<String>,
}

/// `add_observations`: what each entity got.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Observations {
    pub results: Vec<AddedObservations>,
}

/// The deleting tools' answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Success {
    pub success: bool,
    pub message: String,
}

/// What a derived entity or relation adds to the reference shape.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Inferred {
    /// Derived by engram's rules, not asserted
    pub inferred: bool,
    pub confidence: f64,
    /// The rule of its best derivation
    pub rule: String,
}

/// An entity of the graph (without observations when names only were asked for).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GraphEntity {
    pub name: String,
    pub entity_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observations: Option<Vec<String>>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<Inferred>,
}

/// A relation of the graph.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GraphRelation {
    #[serde(flatten)]
    pub relation: RelationShape,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<Inferred>,
}

/// Present when the answer was cut to fit a context window: how many items were left out
/// and the offset of the next page.
#[derive(Clone, Debug, Serialize, JsonSchema, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub returned: usize,
    pub total: usize,
    pub omitted: usize,
    pub next_offset: Option<usize>,
}

/// `read_graph`, `search_nodes`, `open_nodes`: entities then relations, inferred ones marked.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GraphPage {
    pub entities: Vec<GraphEntity>,
    pub relations: Vec<GraphRelation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<Page>,
}

/// What a commit did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {
    pub generation: u64,
    pub asserted: usize,
    pub retracted: usize,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub rederived: bool,
}

impl From<&engram_store::CommitReport> for Report {
    fn from(r: &engram_store::CommitReport) -> Report {
        Report {
            generation: r.generation,
            asserted: r.asserted,
            retracted: r.retracted,
            added: r.added,
            removed: r.removed,
            changed: r.changed,
            rederived: r.rederived,
        }
    }
}

/// `remember`: the memory's id, the commit, and what the rules inferred around it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Remembered {
    pub id: String,
    pub report: Report,
    pub inferred: Vec<GraphRelation>,
}

/// `relate`: the relation as asserted, and the commit.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Related {
    pub relation: serde_json::Map<String, Json>,
    pub report: Report,
}

/// `recall`: hits, each with why.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Recalled {
    pub hits: Vec<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<Page>,
}

/// `query`: the answers, each with its values, confidence, depth and rule.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Answers {
    pub query: String,
    pub columns: Vec<String>,
    pub rows: Vec<Json>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<Page>,
}

/// `explain`: whether the fact holds, and its proof (or, asked why not, why it does not).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Explained {
    pub holds: bool,
    pub fact: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Json>,
    /// With `why_not`, when the fact does not hold: why (text, or JSON with one entry per
    /// rule and its `reason`: missing_premise, blocked_by_negation, condition_fails,
    /// depth_bound, confidence_bound, forgotten, head_mismatch, ...; and `superseded_by`)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_not: Option<Json>,
}

/// A cleanup's part of `forget`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Cleanup {
    pub dry_run: bool,
    /// How many derived facts it forgets (or would)
    pub forgotten: usize,
    /// The first hundred of them
    pub facts: Vec<Json>,
    pub report: Option<Report>,
}

/// `forget`: what each way of forgetting did.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Forgotten {
    /// The ids forgotten (those that named a memory or an entity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts: Option<Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<Cleanup>,
    /// Each id or fact asked for that was not forgotten, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_forgotten: Vec<NotForgotten>,
}

/// An id or fact `forget` was asked for and did not forget.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NotForgotten {
    /// The id, or the fact as given.
    pub what: String,
    /// Why: no such memory, entity or fact, or a fact a rule derives (not asserted).
    pub why: String,
}

/// `add_rule`: the rule file attached, and the commit.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleAdded {
    pub rule_file: String,
    pub report: Report,
}

/// `violations`: each with its proof.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Violations {
    pub violations: Vec<Json>,
}

/// `stats`: the store's figures (as `engram stats --json` gives them) and its rule files.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Stats {
    #[serde(flatten)]
    pub figures: serde_json::Map<String, Json>,
    pub rule_files: Vec<String>,
}
