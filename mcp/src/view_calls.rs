//! Calls for `engram serve`'s web view (REST only, never an MCP tool): an entity's or a
//! memory's neighbourhood as a graph to draw, the names merged into it shown as one node.

use crate::calls::{CallError, json_of};
use engram_core::Value;
use engram_memory::{GraphEntity, GraphRelation, MemoryExt};
use engram_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// Relations drawn around the centre, unless the call says.
const DEFAULT_LIMIT: usize = 40;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Around {
    /// An entity's or a memory's name (any name of a merged class).
    name: String,
    /// At most this many relations of the centre (asserted first, then the most confident).
    limit: Option<usize>,
}

#[derive(Serialize)]
struct Neighbourhood {
    /// The centre, as the store reads it: under a merge, its class's name.
    name: String,
    /// The other names merged into it.
    merged: Vec<String>,
    /// The centre and its neighbours, one per merged class.
    entities: Vec<Node>,
    /// The relations among them, their ends read as their classes' names: the centre's (at
    /// most `limit`), and its neighbours' among themselves.
    relations: Vec<Drawn>,
    /// The centre's relations left out past `limit`.
    more: usize,
}

/// An entity or memory drawn, with the other names merged into it.
#[derive(Serialize)]
struct Node {
    #[serde(flatten)]
    entity: GraphEntity,
    merged: Vec<String>,
}

/// A relation drawn, with the fact that states it as Datalog (for `GET /v1/explain`), as
/// written (under a merge, the names it was written with).
#[derive(Serialize)]
struct Drawn {
    #[serde(flatten)]
    relation: GraphRelation,
    fact: String,
}

/// Each name's merged class (the names `same_as` puts with it, itself included), by name.
fn classes(
    store: &mut Store,
    names: &BTreeSet<String>,
) -> Result<BTreeMap<String, BTreeSet<String>>, CallError> {
    let values: Vec<Value> = names.iter().map(|n| Value::Symbol(n.clone())).collect();
    let mut classes: BTreeMap<String, BTreeSet<String>> = (names.iter())
        .map(|n| (n.clone(), BTreeSet::from([n.clone()])))
        .collect();
    for f in store.facts_where("same_as", &[0], &values)? {
        let (a, b) = (f.values[0].to_string(), f.values[1].to_string());
        classes.entry(a).or_default().insert(b);
    }
    Ok(classes)
}

/// The neighbourhood of `call.name`: the relations that touch it (any name of its class),
/// asserted and inferred, the entities at their other ends, and the relations among those;
/// every name read as its class's (the smallest, as `.merge` reads it).
pub(crate) fn neighbourhood(store: &mut Store, call: Around) -> Result<Json, CallError> {
    let asked = BTreeSet::from([call.name.clone()]);
    let class = classes(store, &asked)?
        .remove(&call.name)
        .unwrap_or_default();
    let members: Vec<String> = class.iter().cloned().collect();
    let limit = call.limit.unwrap_or(DEFAULT_LIMIT);
    let around = store.open_nodes(&members, true)?;
    let touching = around.relations.len();
    let chosen = choose(&around.relations, limit);
    let mut nodes: BTreeSet<String> = class.clone();
    for r in &chosen {
        nodes.insert(r.relation.from.clone());
        nodes.insert(r.relation.to.clone());
    }
    let names = classes(store, &nodes)?;
    let label = |n: &str| -> String {
        let first = names.get(n).and_then(|c| c.first());
        first.map_or_else(|| n.to_string(), String::clone)
    };
    let graph = store.open_nodes(&nodes.iter().cloned().collect::<Vec<_>>(), true)?;
    let of_centre =
        |r: &GraphRelation| class.contains(&r.relation.from) || class.contains(&r.relation.to);
    let kept: BTreeSet<(String, String, String)> = chosen.iter().map(|r| key(r)).collect();
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    let relations = (graph.relations.into_iter())
        .filter(|r| nodes.contains(&r.relation.from) && nodes.contains(&r.relation.to))
        .filter(|r| !of_centre(r) || kept.contains(&key(r)))
        .filter_map(|mut relation| {
            let r = &relation.relation;
            let values = [&r.from, &r.relation_type, &r.to].map(|s| Value::Symbol(s.clone()));
            let fact = engram_core::fact_text("edge", &values);
            relation.relation.from = label(&relation.relation.from);
            relation.relation.to = label(&relation.relation.to);
            // One edge per relation between two classes (asserted ones come first).
            seen.insert(key(&relation))
                .then_some(Drawn { relation, fact })
        })
        .take(limit * 3)
        .collect();
    let mut entities: BTreeMap<String, Node> = BTreeMap::new();
    for e in graph.entities {
        let name = label(&e.entity.name);
        let node = entities.entry(name.clone()).or_insert_with(|| {
            let merged = names.get(&name).into_iter().flatten();
            Node {
                merged: merged.filter(|m| **m != name).cloned().collect(),
                entity: GraphEntity {
                    entity: engram_memory::Entity {
                        name: name.clone(),
                        ..e.entity.clone()
                    },
                    inferred: e.inferred.clone(),
                },
            }
        });
        for o in e.entity.observations {
            if !node.entity.entity.observations.contains(&o) {
                node.entity.entity.observations.push(o);
            }
        }
    }
    let name = label(&call.name);
    json_of(Neighbourhood {
        merged: class.into_iter().filter(|m| *m != name).collect(),
        name,
        entities: entities.into_values().collect(),
        relations,
        more: touching.saturating_sub(limit),
    })
}

/// At most `limit` of the centre's relations: half asserted (in the order asserted) and half
/// inferred (the most confident first), the rest of either when the other has fewer.
fn choose(relations: &[GraphRelation], limit: usize) -> Vec<&GraphRelation> {
    let (asserted, inferred): (Vec<_>, Vec<_>) =
        relations.iter().partition(|r| r.inferred.is_none());
    let half = limit.div_ceil(2);
    let from_inferred = inferred.len().min(limit - half.min(asserted.len()));
    let from_asserted = asserted.len().min(limit - from_inferred);
    (asserted.into_iter().take(from_asserted))
        .chain(inferred.into_iter().take(from_inferred))
        .collect()
}

fn key(r: &GraphRelation) -> (String, String, String) {
    let r = &r.relation;
    (r.from.clone(), r.relation_type.clone(), r.to.clone())
}
