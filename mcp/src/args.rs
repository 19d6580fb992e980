//! Each tool's arguments as a typed struct: what a call is read into, and what its input JSON
//! Schema is generated from (`schemars`; the doc comments are the descriptions). The
//! reference server's nine keep its argument names (camelCase) and descriptions.

use schemars::JsonSchema;
use serde::Deserialize;

/// An entity as the reference server's tools take and give it.
#[derive(Clone, Debug, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntityShape {
    /// The name of the entity
    pub name: String,
    /// The type of the entity
    pub entity_type: String,
    /// An array of observation contents associated with the entity
    pub observations: Vec<String>,
}

/// A relation as the reference server's tools take and give it.
#[derive(Clone, Debug, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelationShape {
    /// The name of the entity where the relation starts
    pub from: String,
    /// The name of the entity where the relation ends
    pub to: String,
    /// The type of the relation
    pub relation_type: String,
}

/// `create_entities`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateEntities {
    /// The entities to create
    pub entities: Vec<EntityShape>,
}

/// `create_relations`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateRelations {
    /// The relations to create
    pub relations: Vec<RelationShape>,
}

/// Observations to add to one entity.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObservationAdd {
    /// The name of the entity to add the observations to
    pub entity_name: String,
    /// An array of observation contents to add
    pub contents: Vec<String>,
}

/// `add_observations`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddObservations {
    /// The observations to add, per entity
    pub observations: Vec<ObservationAdd>,
}

/// `delete_entities`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteEntities {
    /// An array of entity names to delete
    pub entity_names: Vec<String>,
}

/// Observations to delete from one entity.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObservationDeletion {
    /// The name of the entity containing the observations
    pub entity_name: String,
    /// An array of observations to delete
    pub observations: Vec<String>,
}

/// `delete_observations`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeleteObservations {
    /// The observations to delete, per entity
    pub deletions: Vec<ObservationDeletion>,
}

/// `delete_relations`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeleteRelations {
    /// An array of relations to delete
    pub relations: Vec<RelationShape>,
}

/// `limit` and `offset`, on the tools whose answers come in pages.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema)]
pub struct PageArgs {
    /// At most this many items (by default as many as fit in about 8,000 tokens)
    #[schemars(range(min = 1))]
    pub limit: Option<usize>,
    /// Skip this many items: the next_offset of a response that was cut
    pub offset: Option<usize>,
}

/// `read_graph`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ReadGraph {
    /// Entities as names and types only, without observations
    pub names_only: Option<bool>,
    /// Only what was asserted: leave out what engram's rules inferred (default false)
    pub asserted_only: Option<bool>,
    #[serde(flatten)]
    pub page: PageArgs,
}

/// `search_nodes`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchNodes {
    /// The search query to match against entity names, types, and observation content
    pub query: String,
    /// Only what was asserted: leave out what engram's rules inferred (default false)
    pub asserted_only: Option<bool>,
    #[serde(flatten)]
    pub page: PageArgs,
}

/// `open_nodes`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct OpenNodes {
    /// An array of entity names to retrieve
    pub names: Vec<String>,
    /// Only what was asserted: leave out what engram's rules inferred (default false)
    pub asserted_only: Option<bool>,
    #[serde(flatten)]
    pub page: PageArgs,
}

/// `remember`: the fields of a line `{"kind": "memory", ...}` of engram's memory format.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Remember {
    /// What the memory is about, in a line
    pub title: String,
    /// The memory's text
    pub content: Option<String>,
    /// solution, problem, decision, fix, ... (default memory)
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Tags
    pub tags: Option<Vec<String>>,
    /// The project it belongs to
    pub project: Option<String>,
    /// How much it matters, in [0, 1]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub importance: Option<f64>,
    /// How sure it is, in (0, 1] (default 1)
    #[schemars(range(max = 1.0), extend("exclusiveMinimum" = 0))]
    pub confidence: Option<f64>,
    /// A summary
    pub summary: Option<String>,
    /// Its id (without one, one is made from the title and content)
    pub id: Option<String>,
}

/// `relate`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Relate {
    /// The memory or entity it starts at
    pub from: String,
    /// Its type: SOLVES, DEPENDS_ON, CAUSES, ...
    #[serde(rename = "type")]
    pub ty: String,
    /// The memory or entity it ends at
    pub to: String,
    /// How sure it is, in (0, 1] (default 1)
    #[schemars(range(max = 1.0), extend("exclusiveMinimum" = 0))]
    pub confidence: Option<f64>,
}

/// `recall`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Recall {
    /// The question
    pub query: String,
    /// Steps of relations to follow (default 2)
    pub depth: Option<usize>,
    /// At most this many hits (default 10; the first 100 are ranked to page through)
    #[schemars(range(min = 1))]
    pub limit: Option<usize>,
    /// Skip this many hits: the next_offset of a response that was cut
    pub offset: Option<usize>,
}

/// `query`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Query {
    /// One Datalog query: ?- edge("m1", t, x).
    pub query: String,
    #[serde(flatten)]
    pub page: PageArgs,
}

/// How `explain` gives a proof.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProofFormat {
    /// An indented tree of text.
    #[default]
    Text,
    /// A tree of JSON objects.
    Json,
}

/// `explain`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Explain {
    /// The fact, written as Datalog: edge("m1", "RELATED_TO", "m7")
    pub fact: String,
    /// text (default) or json
    pub format: Option<ProofFormat>,
    /// Say why the fact does not hold: per rule that could derive it, the first body literal
    /// no fact satisfies (with the nearest facts), the negation that blocks it, the bound that
    /// cut it (max depth, min confidence, a forgetting policy), or the newer fact that
    /// superseded it
    pub why_not: Option<bool>,
}

/// `forget`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Forget {
    /// Memories or entities to forget, with everything asserted about them
    pub ids: Option<Vec<String>>,
    /// Asserted facts as Datalog: tag("m1", "auth")
    pub facts: Option<Vec<String>>,
    /// With max_age_days: forget derived facts below this confidence...
    pub min_confidence: Option<f64>,
    /// ...and older than this many days
    pub max_age_days: Option<f64>,
    /// List what a cleanup would forget, forgetting nothing
    pub dry_run: Option<bool>,
}

/// `add_rule`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddRule {
    /// Letters, digits, _ and -
    pub name: String,
    /// The rule file's text
    pub text: String,
    /// Set to replace (or, with an empty text, switch off) one of the standard rule files
    /// (schema, types, inverse, affinity, ...): refused without it
    pub replace_standard: Option<bool>,
}

/// `violations`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Violations {
    /// Only this constraint's violations
    pub constraint: Option<String>,
}

/// `stats`: no arguments.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Stats {}
