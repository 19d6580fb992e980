//! The memory as the MCP reference memory server shows it (`@modelcontextprotocol/server-memory`):
//! a knowledge graph of entities (a name, a type, observations) and relations (`from`,
//! `relationType`, `to`), read from the facts of the memory schema, with what the rules derived
//! marked `inferred`. `engram mcp` serves its nine tools from here and from
//! [`super::graph_edit`]; `engram export --format mcp-memory` writes the asserted part.
//!
//! How the schema's facts read as that graph:
//! - an `entity(id, type)` is an entity; its `observation(id, text)` facts are its
//!   observations;
//! - a `memory(id, type, title)` is an entity of its type whose observations are its title,
//!   content, summary and observations (a memory and an entity with one id are one entity);
//! - a `relation(from, TYPE, to)` is one relation for each way it was written
//!   (`relation_written(from, TYPE, to, written)`), or one of type `TYPE` when it was written
//!   only so;
//! - derived `entity` facts (consolidation's summaries) and derived `edge` facts that no asserted
//!   relation states are inferred: `"inferred": true`, with their confidence and rule.
//!
//! Entities and relations come in the order they were asserted (by time, then by name), and
//! each entity's observations likewise; inferred ones follow, most confident first. The
//! changes of [`super::graph_edit`] time what one call asserts a millisecond apart, in the
//! order given and after everything of its kind before, so that the order is the order of
//! creation, as in the reference server.

use super::export::Asserted;
use engram_core::Value;
use engram_core::{Fact, Origin};
use engram_store::ReadError as Error;
use engram_store::Store;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// An entity, in the reference server's shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    /// Its name (a memory's id).
    pub name: String,
    /// Its type.
    pub entity_type: String,
    /// What is known of it, in the order it was learned.
    pub observations: Vec<String>,
}

/// Observations of one entity: to add, what was added, or to delete.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observations {
    /// The entity.
    pub entity_name: String,
    /// The observations.
    pub observations: Vec<String>,
}

/// A relation, in the reference server's shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    /// The entity it starts at.
    pub from: String,
    /// The entity it ends at.
    pub to: String,
    /// Its type, as written.
    pub relation_type: String,
}

/// What a derived entity or relation carries besides the reference shape.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Inferred {
    /// Always `true`: the rules derived it.
    pub inferred: bool,
    /// How sure the rules are of it.
    pub confidence: f64,
    /// The rule of its best derivation.
    pub rule: String,
}

impl Inferred {
    fn of(f: &Fact) -> Option<Inferred> {
        match &f.origin {
            Origin::Asserted => None,
            origin => Some(Inferred {
                inferred: true,
                confidence: f.confidence,
                rule: origin.to_string(),
            }),
        }
    }
}

/// An entity of the graph: asserted, or derived (`inferred` set).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GraphEntity {
    /// The reference shape.
    #[serde(flatten)]
    pub entity: Entity,
    /// Set when the rules derived it.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<Inferred>,
}

/// A relation of the graph: asserted, or derived (`inferred` set).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GraphRelation {
    /// The reference shape.
    #[serde(flatten)]
    pub relation: Relation,
    /// Set when the rules derived it.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<Inferred>,
}

/// The graph, or part of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Graph {
    /// Entities: asserted ones first, in the order they were asserted.
    pub entities: Vec<GraphEntity>,
    /// Relations: asserted ones first, in the order they were asserted.
    pub relations: Vec<GraphRelation>,
}

impl Graph {
    /// The entities `keep` accepts, and the relations with at least one end among them (as the
    /// reference server's `search_nodes` and `open_nodes` answer).
    pub fn filter(self, mut keep: impl FnMut(&Entity) -> bool) -> Graph {
        let entities: Vec<GraphEntity> = (self.entities.into_iter())
            .filter(|e| keep(&e.entity))
            .collect();
        let names: HashSet<&str> = entities.iter().map(|e| e.entity.name.as_str()).collect();
        let relations = (self.relations.into_iter())
            .filter(|r| {
                names.contains(r.relation.from.as_str()) || names.contains(r.relation.to.as_str())
            })
            .collect();
        Graph {
            entities,
            relations,
        }
    }
}

/// The asserted facts the graph is read from.
pub(super) struct Sources {
    pub(super) asserted: Asserted,
}

impl Sources {
    pub(super) fn read(store: &mut Store) -> Result<Sources, Error> {
        // The graph orders facts by time: no need to sort them by value first.
        Ok(Sources {
            asserted: Asserted::read_in_order(store, false)?,
        })
    }

    /// The facts about the entities `names` and the relations that touch them, read by
    /// lookup (not the whole graph).
    pub(super) fn read_about(store: &mut Store, names: &[Value]) -> Result<Sources, Error> {
        Ok(Sources {
            asserted: Asserted::read_about(store, names)?,
        })
    }

    /// The facts that make the entities `names` (their types and observations), without the
    /// relations that touch them.
    pub(super) fn read_entities_about(
        store: &mut Store,
        names: &[Value],
    ) -> Result<Sources, Error> {
        let of = [
            "memory",
            "content",
            "memory_summary",
            "entity",
            "observation",
        ];
        Ok(Sources {
            asserted: Asserted::read_about_in(store, names, &of)?,
        })
    }

    /// Every asserted entity (entities and memories) by name, with its type and time.
    pub(super) fn entity_types(&self) -> HashMap<String, (String, i64)> {
        let mut out = HashMap::default();
        for m in self.asserted.of("memory") {
            out.insert(m.values[0].to_string(), (m.values[1].to_string(), m.time));
        }
        // An entity fact's type wins over a memory's.
        for e in self.asserted.of("entity") {
            out.insert(e.values[0].to_string(), (e.values[1].to_string(), e.time));
        }
        out
    }

    /// Each entity's observations with their times and the facts that hold them, in the
    /// order they were learned (a memory's title, content and summary, then `observation`
    /// facts, where the times are equal).
    pub(super) fn observations(&self) -> HashMap<String, Vec<(i64, String, Held)>> {
        let mut out: HashMap<String, Vec<(i64, String, Held)>> = HashMap::default();
        for m in self.asserted.of("memory") {
            let title = m.values[2].to_string();
            if !title.is_empty() {
                out.entry(m.values[0].to_string()).or_default().push((
                    m.time,
                    title,
                    Held::Title(m.clone()),
                ));
            }
        }
        for relation in ["content", "memory_summary", "observation"] {
            for f in self.asserted.of(relation) {
                out.entry(f.values[0].to_string()).or_default().push((
                    f.time,
                    f.values[1].to_string(),
                    Held::Fact(relation, f.values.clone()),
                ));
            }
        }
        for obs in out.values_mut() {
            // Stable: within one time, the title, content, summary, then observations.
            obs.sort_by_key(|o| o.0);
        }
        out
    }

    /// Each asserted relation (the `relation` fact's values) with the ways it was written.
    pub(super) fn relation_forms(&self) -> BTreeMap<(String, String, String), Forms> {
        let mut out: BTreeMap<(String, String, String), Forms> = BTreeMap::new();
        let key = |f: &Fact| {
            (
                f.values[0].to_string(),
                f.values[1].to_string(),
                f.values[2].to_string(),
            )
        };
        for f in self.asserted.of("relation") {
            let forms = out.entry(key(f)).or_default();
            forms.time = Some(f.time);
            forms.confidence = f.confidence;
        }
        for f in self.asserted.of("relation_written") {
            let form = (f.values[3].to_string(), f.time);
            out.entry(key(f)).or_default().written.push(form);
        }
        out
    }
}

/// Where an observation is held, so that it can be taken back.
#[derive(Clone, Debug)]
pub(super) enum Held {
    /// A memory's title: the `memory` fact.
    Title(Fact),
    /// A fact of this relation with these values.
    Fact(&'static str, Vec<engram_core::Value>),
}

/// The ways one asserted relation was written.
#[derive(Clone, Debug, Default)]
pub(super) struct Forms {
    /// The `relation` fact's time, when it is asserted.
    pub(super) time: Option<i64>,
    /// The `relation` fact's confidence.
    pub(super) confidence: f64,
    /// Its `relation_written` types, each with its time.
    pub(super) written: Vec<(String, i64)>,
}

impl Forms {
    /// The types it reads as, each with the time it was written so: the written ones, else
    /// its normalised type (nothing when the relation is not asserted).
    pub(super) fn types<'a>(&'a self, normalised: &'a str) -> Vec<(&'a str, i64)> {
        match (self.time, self.written.is_empty()) {
            (None, _) => Vec::new(),
            (Some(t), true) => vec![(normalised, t)],
            (Some(_), false) => self.written.iter().map(|(w, t)| (w.as_str(), *t)).collect(),
        }
    }

    /// Whether it reads as `written`.
    pub(super) fn has(&self, normalised: &str, written: &str) -> bool {
        self.types(normalised).iter().any(|(w, _)| *w == written)
    }
}

/// Reads the whole graph from the store; with `inferred`, derived entities and relations too.
pub fn read(store: &mut Store, inferred: bool) -> Result<Graph, Error> {
    let sources = Sources::read(store)?;
    read_where(store, inferred, None, sources, None)
}

/// `search_nodes`: the entities whose name, type or an observation contains `query`, ignoring
/// case, and the relations that touch them ; with `inferred`, derived
/// ones too. The strings that contain the query are found first, then only the facts about
/// the entities that hold them are read, by lookup.
pub fn search(store: &mut Store, query: &str, inferred: bool) -> Result<Graph, Error> {
    let q = query.to_lowercase();
    let keep = |e: &Entity| {
        e.name.to_lowercase().contains(&q)
            || e.entity_type.to_lowercase().contains(&q)
            || e.observations.iter().any(|o| o.to_lowercase().contains(&q))
    };
    let names = candidates(store, query, inferred)?;
    let sources = Sources::read_about(store, &names)?;
    read_where(store, inferred, Some(&keep), sources, Some(&names))
}

/// The names of the entities that may match a search for `query`: those of the facts where a
/// string containing it is an entity's name or type, a memory's title, or an observation
/// (a superset: the entities read from them are then filtered as the search says).
fn candidates(store: &mut Store, query: &str, inferred: bool) -> Result<Vec<Value>, Error> {
    let matched = store.symbols_containing(query)?;
    let mut names: BTreeSet<String> = BTreeSet::new();
    let columns: [(&str, &[usize]); 5] = [
        ("entity", &[0, 1]),
        ("memory", &[0, 1, 2]),
        ("content", &[1]),
        ("memory_summary", &[1]),
        ("observation", &[1]),
    ];
    for (relation, cols) in columns {
        for f in store.asserted_where(relation, cols, &matched)? {
            names.insert(f.values[0].to_string());
        }
    }
    if inferred {
        for f in store.facts_where("entity", &[0, 1], &matched)? {
            names.insert(f.values[0].to_string());
        }
    }
    Ok(names.into_iter().map(Value::Symbol).collect())
}

/// `open_nodes`: the entities named and the relations that touch them ;
/// with `inferred`, derived ones too. Only the facts about them are read, by lookup.
pub fn open(store: &mut Store, names: &[String], inferred: bool) -> Result<Graph, Error> {
    let values: Vec<Value> = names.iter().map(|n| Value::Symbol(n.clone())).collect();
    let sources = Sources::read_about(store, &values)?;
    let names: HashSet<&str> = names.iter().map(String::as_str).collect();
    let keep = |e: &Entity| names.contains(e.name.as_str());
    read_where(store, inferred, Some(&keep), sources, Some(&values))
}

/// The graph from `sources`, or with `keep` the entities it accepts and the relations that
/// touch them; `about`, when the sources hold only the facts about these names (derived
/// entities are then looked up by them too).
fn read_where(
    store: &mut Store,
    inferred: bool,
    keep: Option<&dyn Fn(&Entity) -> bool>,
    sources: Sources,
    about: Option<&[Value]>,
) -> Result<Graph, Error> {
    let mut entities = asserted_entities(&sources);
    if inferred {
        let known: HashSet<String> = (entities.iter()).map(|e| e.entity.name.clone()).collect();
        entities.extend(inferred_entities(store, &known, about)?);
    }
    if let Some(keep) = keep {
        entities.retain(|e| keep(&e.entity));
    }
    let forms = sources.relation_forms();
    let mut asserted: Vec<(i64, Relation)> = Vec::new();
    for ((from, ty, to), f) in &forms {
        for (written, time) in f.types(ty) {
            let relation = Relation {
                from: from.clone(),
                to: to.clone(),
                relation_type: written.to_string(),
            };
            asserted.push((time, relation));
        }
    }
    asserted.sort();
    let mut relations: Vec<GraphRelation> = (asserted.into_iter())
        .map(|(_, relation)| GraphRelation {
            relation,
            inferred: None,
        })
        .collect();
    let around: Option<Vec<String>> =
        keep.map(|_| entities.iter().map(|e| e.entity.name.clone()).collect());
    if inferred {
        relations.extend(inferred_relations(store, &forms, around.as_deref())?);
    }
    let graph = Graph {
        entities,
        relations,
    };
    Ok(match around {
        // Relations with at least one end among the entities kept.
        Some(_) => graph.filter(|_| true),
        None => graph,
    })
}

/// The asserted entities of `sources` (entities and memories, with their observations), in
/// the order they were asserted: by time, then by name.
pub(super) fn asserted_entities(sources: &Sources) -> Vec<GraphEntity> {
    let mut observations = sources.observations();
    let mut entities: Vec<(i64, GraphEntity)> = (sources.entity_types().into_iter())
        .map(|(name, (entity_type, time))| {
            let mut seen = HashSet::default();
            let obs = observations.remove(&name).unwrap_or_default();
            let entity = Entity {
                // A text held twice (a title that is also an observation) shows once.
                observations: (obs.into_iter().map(|o| o.1))
                    .filter(|o| seen.insert(o.clone()))
                    .collect(),
                name,
                entity_type,
            };
            (
                time,
                GraphEntity {
                    entity,
                    inferred: None,
                },
            )
        })
        .collect();
    entities.sort_by(|a, b| (a.0, &a.1.entity.name).cmp(&(b.0, &b.1.entity.name)));
    entities.into_iter().map(|e| e.1).collect()
}

/// The derived relations with an end among `names` that no asserted relation states, most
/// confident first: what the rules inferred around them. Reads only the rows that name them.
pub fn inferred_around(store: &mut Store, names: &[String]) -> Result<Vec<GraphRelation>, Error> {
    let values: Vec<Value> = names.iter().map(|n| Value::Symbol(n.clone())).collect();
    let relations = store.facts_where("relation", &[0, 2], &values)?;
    let mut forms: BTreeMap<(String, String, String), Forms> = BTreeMap::new();
    for f in relations
        .into_iter()
        .filter(|f| f.origin == Origin::Asserted)
    {
        let key = (
            f.values[0].to_string(),
            f.values[1].to_string(),
            f.values[2].to_string(),
        );
        forms.entry(key).or_default().time = Some(f.time);
    }
    inferred_relations(store, &forms, Some(names))
}

/// Derived entities (consolidation's summaries) that are not asserted ones (of those named
/// `about`, when given), most confident first.
pub(super) fn inferred_entities(
    store: &mut Store,
    known: &HashSet<String>,
    about: Option<&[Value]>,
) -> Result<Vec<GraphEntity>, Error> {
    let mut entities: Vec<GraphEntity> = Vec::new();
    let facts = match about {
        Some(names) => store.facts_where("entity", &[0], names)?,
        None => store.facts_in_order("entity", false)?.unwrap_or_default(),
    };
    for f in facts {
        let name = f.values[0].to_string();
        if let Some(inferred) = Inferred::of(&f).filter(|_| !known.contains(&name)) {
            let entity = Entity {
                name,
                entity_type: f.values[1].to_string(),
                observations: Vec::new(),
            };
            entities.push(GraphEntity {
                entity,
                inferred: Some(inferred),
            });
        }
    }
    entities.sort_by(|a, b| by_confidence(&a.inferred).total_cmp(&by_confidence(&b.inferred)));
    Ok(entities)
}

/// Most confident first.
fn by_confidence(i: &Option<Inferred>) -> f64 {
    i.as_ref().map_or(0.0, |i| -i.confidence)
}

/// Derived relations no asserted one states (those with an end `around` the names given),
/// most confident first.
fn inferred_relations(
    store: &mut Store,
    forms: &BTreeMap<(String, String, String), Forms>,
    around: Option<&[String]>,
) -> Result<Vec<GraphRelation>, Error> {
    let edges = match around {
        None => store.facts_in_order("edge", false)?.unwrap_or_default(),
        Some(names) => {
            let names: Vec<Value> = names.iter().map(|n| Value::Symbol(n.clone())).collect();
            store.facts_where("edge", &[0, 2], &names)?
        }
    };
    let mut relations: Vec<GraphRelation> = Vec::new();
    for f in edges {
        let Some(inferred) = Inferred::of(&f) else {
            continue;
        };
        let v: Vec<String> = f.values.iter().map(ToString::to_string).collect();
        let [from, ty, to] = <[String; 3]>::try_from(v).map_err(|_| {
            Error::Invalid("relation `edge` must have three columns (from, type, to)".into())
        })?;
        if forms
            .get(&(from.clone(), ty.clone(), to.clone()))
            .is_some_and(|f| f.time.is_some())
        {
            continue;
        }
        relations.push(GraphRelation {
            relation: Relation {
                from,
                to,
                relation_type: ty,
            },
            inferred: Some(inferred),
        });
    }
    relations.sort_by(|a, b| by_confidence(&a.inferred).total_cmp(&by_confidence(&b.inferred)));
    Ok(relations)
}
