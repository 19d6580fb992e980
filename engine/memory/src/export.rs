//! Writing memories: everything a store holds in engram's memory format (asserted memories,
//! entities and relations in the shapes `load` reads, then what the rules derived, marked
//! `"inferred": true`), or the MCP reference memory server's format, to go back to it.

use engram_core::Value;
use engram_core::internal::value::format_time;
use engram_core::{Fact, Origin};
use engram_store::ReadError as Error;
use engram_store::Store;
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};

/// The schema's relations that the memory shapes hold; facts of them that fit no shape (a
/// tag of something that is not a memory) are written as generic fact lines.
pub(super) const SHAPED: &[&str] = &[
    "memory",
    "content",
    "memory_summary",
    "memory_updated",
    "tag",
    "project",
    "importance",
    "entity",
    "observation",
    "relation",
    "relation_written",
];

/// Confidence (when below 1) and time, as every asserted line carries them.
fn stamp(o: &mut Map<String, Json>, f: &Fact) {
    if f.confidence < 1.0 {
        o.insert("confidence".into(), json!(f.confidence));
    }
    o.insert("time".into(), json!(format_time(f.time)));
}

/// What a derived line adds: `"inferred": true`, confidence, rule, depth and time.
fn inferred(o: &mut Map<String, Json>, f: &Fact) {
    o.insert("inferred".into(), json!(true));
    o.insert("confidence".into(), json!(f.confidence));
    o.insert("rule".into(), json!(f.origin.to_string()));
    o.insert("depth".into(), json!(f.depth));
    o.insert("time".into(), json!(format_time(f.time)));
}

/// A fact as a generic line: `{"relation", "values", ...}`.
fn generic(relation: &str, f: &Fact) -> Json {
    let mut o = Map::new();
    o.insert("relation".into(), json!(relation));
    o.insert(
        "values".into(),
        Json::Array(f.values.iter().map(Value::to_json).collect()),
    );
    if f.origin == Origin::Asserted {
        stamp(&mut o, f);
    } else {
        inferred(&mut o, f);
    }
    Json::Object(o)
}

/// The asserted facts of the schema's relations, by relation.
pub(super) struct Asserted(BTreeMap<&'static str, Vec<Fact>>);

impl Asserted {
    pub(super) fn read(store: &mut Store) -> Result<Asserted, Error> {
        Asserted::read_in_order(store, true)
    }

    /// The asserted facts, sorted by value or (faster) not.
    pub(super) fn read_in_order(store: &mut Store, sorted: bool) -> Result<Asserted, Error> {
        let mut out = BTreeMap::new();
        for r in SHAPED {
            out.insert(*r, store.asserted_in_order(r, sorted)?);
        }
        Ok(Asserted(out))
    }

    /// The asserted facts of the graph's relations about `names`: those whose first column
    /// (for a relation, either end) is one of them, read by lookup, in storage order.
    pub(super) fn read_about(store: &mut Store, names: &[Value]) -> Result<Asserted, Error> {
        Asserted::read_about_in(store, names, SHAPED)
    }

    /// [`Asserted::read_about`] of the relations `of` only.
    pub(super) fn read_about_in(
        store: &mut Store,
        names: &[Value],
        of: &[&'static str],
    ) -> Result<Asserted, Error> {
        let mut out = BTreeMap::new();
        for r in of {
            let ends: &[usize] = match *r {
                "relation" | "relation_written" => &[0, 2],
                _ => &[0],
            };
            out.insert(*r, store.asserted_where(r, ends, names)?);
        }
        Ok(Asserted(out))
    }

    pub(super) fn of(&self, relation: &str) -> &[Fact] {
        self.0.get(relation).map_or(&[], Vec::as_slice)
    }

    /// Facts of `relation` by their first value.
    fn by_id(&self, relation: &str) -> BTreeMap<String, Vec<&Fact>> {
        let mut out: BTreeMap<String, Vec<&Fact>> = BTreeMap::new();
        for f in self.of(relation) {
            out.entry(f.values[0].to_string()).or_default().push(f);
        }
        out
    }

    /// The type each relation was written with, where it differed.
    fn written(&self) -> BTreeMap<(String, String, String), String> {
        self.of("relation_written")
            .iter()
            .map(|f| {
                let v: Vec<String> = f.values.iter().map(ToString::to_string).collect();
                ((v[0].clone(), v[1].clone(), v[2].clone()), v[3].clone())
            })
            .collect()
    }
}

/// Everything the store holds in engram's memory format, one JSON object per line: memories,
/// entities and relations as asserted (in the shapes `load` reads, so that loading the export
/// gives the same store), then what the rules derived: relations and entities with
/// `"inferred": true` and their confidence, rule and depth, inferred types (`"kind": "type"`),
/// merges (`"kind": "same_as"`), violations (`"kind": "violation"`), and the facts of every
/// other relation (but the library's intermediate ones, [`engram_core::library::HELPERS`]) as
/// generic `{"relation", "values"}` lines. With `inferred_only`, only the derived lines.
pub fn export(store: &mut Store, inferred_only: bool) -> Result<Vec<Json>, Error> {
    let mut out = Vec::new();
    export_each(store, inferred_only, |line| {
        out.push(line);
        Ok::<(), Error>(())
    })?;
    Ok(out)
}

/// [`export`] a line at a time: each line goes to `emit` as it is made, the derived facts
/// decoded one at a time ([`engram_core::RelationView::sorted`]), so that exporting millions of
/// derived facts never holds them all (`engram export` writes them so). Stops at `emit`'s first
/// error.
pub fn export_each<E: From<Error>>(
    store: &mut Store,
    inferred_only: bool,
    mut emit: impl FnMut(Json) -> Result<(), E>,
) -> Result<(), E> {
    let asserted = Asserted::read(store)?;
    if !inferred_only {
        let mut lines = Vec::new();
        asserted_lines(&asserted, &mut lines);
        for line in lines {
            emit(line)?;
        }
    }
    derived_lines(store, &mut emit)?;
    // Other relations: what users asserted, and what the rules derived.
    for rel in store.relations()? {
        let name = rel.name.as_str();
        if SHAPED.contains(&name) || DERIVED_SHAPES.contains(&name) {
            continue;
        }
        if !inferred_only {
            // In a functional relation, what a newer fact replaced says which.
            let replaced: BTreeMap<Vec<String>, Vec<Value>> = store
                .superseded(name)?
                .into_iter()
                .map(|s| {
                    (
                        s.fact.values.iter().map(ToString::to_string).collect(),
                        s.by.values,
                    )
                })
                .collect();
            for f in store.asserted_facts(name)? {
                let mut line = generic(name, &f);
                let key: Vec<String> = f.values.iter().map(ToString::to_string).collect();
                if let Some(by) = replaced.get(&key) {
                    line["superseded_by"] = Json::Array(by.iter().map(Value::to_json).collect());
                }
                emit(line)?;
            }
        }
        if !engram_core::library::HELPERS.contains(&name)
            && let Some(view) = store.relation(name)?
        {
            for f in view.sorted().filter(|f| f.origin != Origin::Asserted) {
                emit(generic(name, &f))?;
            }
        }
    }
    Ok(())
}

/// The facts of `relation` in value order, decoded one at a time (none without the relation).
fn sorted<'s>(
    store: &'s mut Store,
    relation: &str,
) -> Result<impl Iterator<Item = Fact> + 's, Error> {
    Ok(store
        .relation(relation)?
        .into_iter()
        .flat_map(|v| v.sorted()))
}

/// The relations whose derived facts have a shape of their own.
const DERIVED_SHAPES: &[&str] = &["edge", "inferred_type", "same_as"];

fn asserted_lines(a: &Asserted, out: &mut Vec<Json>) {
    let contents = a.by_id("content");
    let summaries = a.by_id("memory_summary");
    let updated = a.by_id("memory_updated");
    let tags = a.by_id("tag");
    let projects = a.by_id("project");
    let importance = a.by_id("importance");
    let mut placed: BTreeSet<(&str, String)> = BTreeSet::new();
    for m in a.of("memory") {
        let id = m.values[0].to_string();
        let mut o = Map::new();
        o.insert("kind".into(), json!("memory"));
        o.insert("id".into(), json!(id));
        o.insert("type".into(), json!(m.values[1].to_string()));
        o.insert("title".into(), json!(m.values[2].to_string()));
        let mut one = |key: &str, rel: &'static str, facts: &BTreeMap<String, Vec<&Fact>>| {
            if let Some([f, ..]) = facts.get(&id).map(Vec::as_slice) {
                o.insert(key.into(), f.values[1].to_json());
                placed.insert((rel, id.clone()));
            }
        };
        one("content", "content", &contents);
        one("summary", "memory_summary", &summaries);
        one("project", "project", &projects);
        one("importance", "importance", &importance);
        if let Some(ts) = tags.get(&id) {
            let list: Vec<Json> = ts.iter().map(|f| f.values[1].to_json()).collect();
            o.insert("tags".into(), Json::Array(list));
            placed.insert(("tag", id.clone()));
        }
        if let Some([u, ..]) = updated.get(&id).map(Vec::as_slice) {
            o.insert("updated".into(), json!(format_time(u.time)));
            placed.insert(("memory_updated", id.clone()));
        }
        stamp(&mut o, m);
        out.push(Json::Object(o));
    }
    let observations = a.by_id("observation");
    for e in a.of("entity") {
        let id = e.values[0].to_string();
        let mut o = Map::new();
        o.insert("kind".into(), json!("entity"));
        o.insert("id".into(), json!(id));
        o.insert("type".into(), json!(e.values[1].to_string()));
        if let Some(obs) = observations.get(&id) {
            let list: Vec<Json> = obs.iter().map(|f| f.values[1].to_json()).collect();
            o.insert("observations".into(), Json::Array(list));
            placed.insert(("observation", id.clone()));
        }
        stamp(&mut o, e);
        out.push(Json::Object(o));
    }
    let written = a.written();
    for r in a.of("relation") {
        let v: Vec<String> = r.values.iter().map(ToString::to_string).collect();
        let key = (v[0].clone(), v[1].clone(), v[2].clone());
        let ty = written.get(&key).unwrap_or(&v[1]);
        let mut o = Map::new();
        o.insert("kind".into(), json!("relation"));
        o.insert("from".into(), json!(v[0]));
        o.insert("type".into(), json!(ty));
        o.insert("to".into(), json!(v[2]));
        stamp(&mut o, r);
        out.push(Json::Object(o));
    }
    // What fits no shape (a tag of something that is no memory) goes out as it is.
    let attached = SHAPED
        .iter()
        .filter(|r| !["memory", "entity", "relation", "relation_written"].contains(r));
    for &rel in attached {
        for f in a.of(rel) {
            if !placed.contains(&(rel, f.values[0].to_string())) {
                out.push(generic(rel, f));
            }
        }
    }
}

fn derived_lines<E: From<Error>>(
    store: &mut Store,
    emit: &mut impl FnMut(Json) -> Result<(), E>,
) -> Result<(), E> {
    let derived = |f: &Fact| f.origin != Origin::Asserted;
    for f in sorted(store, "edge")? {
        // An asserted relation's mirror in `edge` is the relation itself.
        if !derived(&f) || f.origin == Origin::Rule("asserted_relation".into()) {
            continue;
        }
        let v: Vec<String> = f.values.iter().map(ToString::to_string).collect();
        let mut o = Map::new();
        o.insert("kind".into(), json!("relation"));
        o.insert("from".into(), json!(v[0]));
        o.insert("type".into(), json!(v[1]));
        o.insert("to".into(), json!(v[2]));
        inferred(&mut o, &f);
        emit(Json::Object(o))?;
    }
    for f in sorted(store, "entity")? {
        if derived(&f) && f.origin != Origin::Rule("merge".into()) {
            let mut o = Map::new();
            o.insert("kind".into(), json!("entity"));
            o.insert("id".into(), json!(f.values[0].to_string()));
            o.insert("type".into(), json!(f.values[1].to_string()));
            inferred(&mut o, &f);
            emit(Json::Object(o))?;
        }
    }
    for f in sorted(store, "inferred_type")? {
        let mut o = Map::new();
        o.insert("kind".into(), json!("type"));
        o.insert("id".into(), json!(f.values[0].to_string()));
        o.insert("type".into(), json!(f.values[1].to_string()));
        inferred(&mut o, &f);
        emit(Json::Object(o))?;
    }
    // Each member of a merged class, with the label every fact now reads it as.
    let mut canonical: BTreeMap<String, (String, f64)> = BTreeMap::new();
    for f in store.facts("same_as")?.unwrap_or_default() {
        let (a, b) = (f.values[0].to_string(), f.values[1].to_string());
        let e = canonical.entry(a).or_insert((b.clone(), f.confidence));
        if b < e.0 {
            *e = (b, f.confidence);
        }
    }
    for (id, (label, conf)) in &canonical {
        if id != label {
            emit(json!({"kind": "same_as", "id": id, "canonical": label, "confidence": conf}))?;
        }
    }
    for v in store.violations(None)? {
        let ids: Vec<Json> = v.bindings.iter().map(|(_, x)| x.to_json()).collect();
        emit(json!({
            "kind": "violation", "constraint": v.constraint, "ids": ids,
            "confidence": v.confidence,
        }))?;
    }
    Ok(())
}

/// The asserted entities and relations in the MCP reference memory server's format
/// (`{"type": "entity", "name", "entityType", "observations"}` lines first, then
/// `{"type": "relation", "from", "to", "relationType"}`), so a user can go back to it: the
/// graph `engram mcp` shows ([`super::graph::read`]) without what was inferred. A memory is an
/// entity of its type whose observations are its title, content and summary; a relation keeps
/// the type it was written with.
pub fn export_mcp(store: &mut Store) -> Result<Vec<Json>, Error> {
    let graph = super::graph::read(store, false)?;
    let entities = graph.entities.into_iter().map(|e| {
        let e = e.entity;
        json!({"type": "entity", "name": e.name, "entityType": e.entity_type, "observations": e.observations})
    });
    let relations = graph.relations.into_iter().map(|r| {
        let r = r.relation;
        json!({"type": "relation", "from": r.from, "to": r.to, "relationType": r.relation_type})
    });
    Ok(entities.chain(relations).collect())
}
