//! `remember` and `relate`: one memory, or one relation, asserted as the line of engram's memory
//! format that says it would be (so it is checked as `load` checks a line), in a commit of its
//! own. The MCP tools of the same names and the Python package's `Store.remember` /
//! `Store.relate` are these.

use crate::graph::{GraphRelation, inferred_around};
use crate::{EditError, Format, normalize_type};
use engram_store::{CommitReport, Store};
use serde_json::{Map, Value as Json, json};

/// A memory to remember: the fields of a line `{"kind": "memory", ...}`.
#[derive(Clone, Debug, Default)]
pub struct NewMemory {
    /// Its id; without one, one is made from the title and content (the same memory
    /// remembered twice is one memory).
    pub id: Option<String>,
    /// What it is about, in a line.
    pub title: String,
    /// Its text.
    pub content: Option<String>,
    /// `solution`, `problem`, `decision`, ... (`memory` when absent).
    pub ty: Option<String>,
    /// Its tags.
    pub tags: Option<Vec<String>>,
    /// The project it belongs to.
    pub project: Option<String>,
    /// How much it matters, in [0, 1].
    pub importance: Option<f64>,
    /// How sure it is, in (0, 1] (1 when absent).
    pub confidence: Option<f64>,
    /// A summary.
    pub summary: Option<String>,
}

/// What [`remember`] did.
#[derive(Clone, Debug)]
pub struct Remembered {
    /// The memory's id (made from its title and content when none was given).
    pub id: String,
    /// The commit.
    pub report: CommitReport,
    /// The relations around the memory that the rules derived (inverse relations, affinity,
    /// ...), so that an agent sees what the memory connected to.
    pub inferred: Vec<GraphRelation>,
}

/// A relation to assert: the fields of a line `{"kind": "relation", ...}`.
#[derive(Clone, Debug, Default)]
pub struct NewRelation {
    /// The memory or entity it starts at.
    pub from: String,
    /// Its type as written (`SOLVES`, `works at`, ...): the rules read it normalised
    /// ([`normalize_type`]), and the form written is kept.
    pub ty: String,
    /// The memory or entity it ends at.
    pub to: String,
    /// How sure it is, in (0, 1] (1 when absent).
    pub confidence: Option<f64>,
}

/// What [`relate`] did.
#[derive(Clone, Debug)]
pub struct Related {
    /// The relation as the rules read it: `kind`, `from`, `type` (normalised), `to`,
    /// `confidence` when given, and `written` when the type was written another way.
    pub relation: Map<String, Json>,
    /// The commit.
    pub report: CommitReport,
}

/// Asserts one object of engram's memory format, read as `load` reads a line (`at` names it
/// in an error: a field that does not fit is [`EditError::Refused`]).
fn assert_object(
    store: &mut Store,
    object: &Map<String, Json>,
    at: &str,
) -> Result<CommitReport, EditError> {
    let facts = Format::Native
        .read_object(object, at)
        .map_err(|m| EditError::Refused(format!("{at}: {m}")))?;
    let mut tx = store.transaction()?;
    crate::add_to_transaction(&mut tx, facts)?;
    Ok(tx.commit()?)
}

/// The id a memory without one gets: a hash of its title and content, as a rule's `skolem`
/// would make it.
fn memory_id(title: &str, content: Option<&str>) -> String {
    use engram_core::ColumnType::Symbol;
    let parts = ["memory", title, content.unwrap_or("")];
    engram_core::internal::value::skolem(&parts.map(|p| (Symbol, p.to_string())))
}

/// Remembers a memory: asserts it (and its tags, project, ...) in one commit, and reads back
/// what the rules derived around it.
pub fn remember(store: &mut Store, memory: NewMemory) -> Result<Remembered, EditError> {
    let id = match memory.id {
        Some(id) => id,
        None => memory_id(&memory.title, memory.content.as_deref()),
    };
    let mut object = Map::new();
    object.insert("kind".into(), json!("memory"));
    object.insert("id".into(), json!(id));
    object.insert("title".into(), json!(memory.title));
    let fields = [
        ("content", memory.content.map(Json::from)),
        ("type", memory.ty.map(Json::from)),
        ("tags", memory.tags.map(Json::from)),
        ("project", memory.project.map(Json::from)),
        ("importance", memory.importance.map(Json::from)),
        ("confidence", memory.confidence.map(Json::from)),
        ("summary", memory.summary.map(Json::from)),
    ];
    for (key, value) in fields {
        if let Some(v) = value {
            object.insert(key.into(), v);
        }
    }
    let report = assert_object(store, &object, "remember")?;
    let inferred = inferred_around(store, std::slice::from_ref(&id))?;
    Ok(Remembered {
        id,
        report,
        inferred,
    })
}

/// Relates two memories or entities: asserts the relation in one commit.
pub fn relate(store: &mut Store, relation: NewRelation) -> Result<Related, EditError> {
    let mut object = Map::new();
    object.insert("kind".into(), json!("relation"));
    object.insert("from".into(), json!(relation.from));
    object.insert("type".into(), json!(relation.ty));
    object.insert("to".into(), json!(relation.to));
    if let Some(c) = relation.confidence {
        object.insert("confidence".into(), json!(c));
    }
    let report = assert_object(store, &object, "relate")?;
    // Said back as the rules read it, with the form it was written in when that differs.
    let ty = normalize_type(&relation.ty);
    if ty != relation.ty {
        object.insert("written".into(), json!(relation.ty));
    }
    object.insert("type".into(), json!(ty));
    Ok(Related {
        relation: object,
        report,
    })
}
