//! Changing the memory as the MCP reference memory server's tools change its graph
//! (`create_entities`, `create_relations`, `add_observations`, `delete_entities`,
//! `delete_observations`, `delete_relations`), as facts of the memory schema: see
//! [`super::graph`] for how the facts read as the graph.
//!
//! Each call takes the store's writer lock before it reads what exists ([`Store::lock`]), so
//! that two processes on one store never both think they created the same entity, and commits
//! once: all of a call is made, or (an error) none. Where the reference server is loose, engram
//! is strict on purpose: a batch that names one entity (or relation, or observation) twice
//! creates it once.

use super::export::SHAPED;
use super::graph::{Entity, Held, Observations, Relation, Sources};
use super::normalize_type;
use crate::EditError as Error;
use engram_core::Value;
use engram_store::{CommitReport, Store};
use rustc_hash::FxHashSet as HashSet;

fn sym(s: &str) -> Value {
    Value::Symbol(s.to_string())
}

/// The facts about the entities these names name (and the relations that touch them), read
/// by lookup: what an edit needs to know of what exists.
fn about<'a>(store: &mut Store, names: impl Iterator<Item = &'a str>) -> Result<Sources, Error> {
    let mut values: Vec<Value> = names.map(sym).collect();
    values.dedup();
    Ok(Sources::read_about(store, &values)?)
}

/// The graph's relations whose facts carry an observation's time.
const OBSERVED: [&str; 4] = ["memory", "content", "memory_summary", "observation"];

/// Times for what one call asserts: a millisecond apart, from now or from just after the
/// latest time of what came before, whichever is later, so that the graph's order is the
/// order of creation.
struct Clock(i64);

impl Clock {
    fn after(latest: impl Iterator<Item = i64>) -> Clock {
        Clock(
            latest
                .max()
                .map_or(i64::MIN, |t| t + 1)
                .max(engram_core::internal::value::now_ms()),
        )
    }

    fn tick(&mut self) -> Option<i64> {
        self.0 += 1;
        Some(self.0 - 1)
    }
}

/// Commits what `change` adds to a transaction, if it added anything.
fn commit(
    store: &mut Store,
    change: impl FnOnce(&mut engram_store::Transaction<'_>) -> Result<usize, Error>,
) -> Result<Option<CommitReport>, Error> {
    let mut tx = store.transaction()?;
    match change(&mut tx)? {
        0 => Ok(None),
        _ => Ok(Some(tx.commit()?)),
    }
}

/// `create_entities`: asserts each entity whose name is not yet an entity (or a memory) with
/// its type and observations; returns the ones it created.
pub fn create_entities(store: &mut Store, entities: Vec<Entity>) -> Result<Vec<Entity>, Error> {
    store.lock()?;
    let existing = about(store, entities.iter().map(|e| e.name.as_str()))?.entity_types();
    let mut clock = Clock::after(
        store
            .latest_asserted_time(&["memory", "entity"])?
            .into_iter(),
    );
    let mut seen = HashSet::default();
    let new: Vec<Entity> = (entities.into_iter())
        .filter(|e| !existing.contains_key(&e.name) && seen.insert(e.name.clone()))
        .map(|mut e| {
            let mut once = HashSet::default();
            e.observations.retain(|o| once.insert(o.clone()));
            e
        })
        .collect();
    commit(store, |tx| {
        for e in &new {
            let values = vec![sym(&e.name), sym(&e.entity_type)];
            tx.add_with("entity", values, 1.0, clock.tick())?;
            for o in &e.observations {
                tx.add_with("observation", vec![sym(&e.name), sym(o)], 1.0, clock.tick())?;
            }
        }
        Ok(new.len())
    })?;
    Ok(new)
}

/// `create_relations`: asserts each relation not yet asserted as written (same `from`, `to`
/// and `relationType`); returns the ones it created. The rules read the type normalised
/// (`works_at` is `WORKS_AT`, see [`normalize_type`]); the type as written is kept, and a
/// relation written two ways is two relations of the graph, as in the reference server. An
/// empty type is refused.
pub fn create_relations(
    store: &mut Store,
    relations: Vec<Relation>,
) -> Result<Vec<Relation>, Error> {
    for r in &relations {
        super::rule_type(&r.relation_type)
            .map_err(|m| Error::Refused(format!("{m} (from {:?} to {:?})", r.from, r.to)))?;
    }
    store.lock()?;
    let ends = relations
        .iter()
        .flat_map(|r| [r.from.as_str(), r.to.as_str()]);
    let mut forms = about(store, ends)?.relation_forms();
    let mut clock = Clock::after(store.latest_asserted_time(&["relation"])?.into_iter());
    let mut new = Vec::new();
    commit(store, |tx| {
        for r in relations {
            let ty = normalize_type(&r.relation_type);
            let key = (r.from.clone(), ty.clone(), r.to.clone());
            let f = forms.entry(key).or_default();
            if f.has(&ty, &r.relation_type) {
                continue;
            }
            let asserted = f.time.is_some();
            let time = clock.tick();
            let written = |tx: &mut engram_store::Transaction<'_>, w: &str, time: Option<i64>| {
                let values = vec![sym(&r.from), sym(&ty), sym(&r.to), sym(w)];
                tx.add_with("relation_written", values, 1.0, time)
                    .map(|_| ())
            };
            if asserted && f.written.is_empty() {
                // Written so before: that way is recorded too (with its time), now that there
                // are two.
                written(tx, &ty, f.time)?;
                f.written.push((ty.clone(), f.time.unwrap_or(0)));
            }
            if r.relation_type != ty || !f.written.is_empty() {
                written(tx, &r.relation_type, time)?;
                f.written.push((r.relation_type.clone(), time.unwrap_or(0)));
            }
            if !asserted {
                tx.add_with(
                    "relation",
                    vec![sym(&r.from), sym(&ty), sym(&r.to)],
                    1.0,
                    time,
                )?;
                f.time = time;
            }
            new.push(r);
        }
        Ok(new.len())
    })?;
    Ok(new)
}

/// `add_observations`: adds to each entity the observations it does not have; returns what
/// each got (the observations that were new). An entity that does not exist refuses the whole call (nothing is added), with
/// the reference server's message.
pub fn add_observations(
    store: &mut Store,
    adds: Vec<Observations>,
) -> Result<Vec<Observations>, Error> {
    store.lock()?;
    let sources = about(store, adds.iter().map(|a| a.entity_name.as_str()))?;
    let existing = sources.entity_types();
    let mut observations = sources.observations();
    let mut clock = Clock::after(store.latest_asserted_time(&OBSERVED)?.into_iter());
    let mut results = Vec::new();
    for add in adds {
        if !existing.contains_key(&add.entity_name) {
            return Err(Error::Refused(format!(
                "Entity with name {} not found",
                add.entity_name
            )));
        }
        let has = observations.entry(add.entity_name.clone()).or_default();
        let mut known: HashSet<String> = has.iter().map(|o| o.1.clone()).collect();
        let added: Vec<String> = (add.observations.into_iter())
            .filter(|c| known.insert(c.clone()))
            .collect();
        results.push(Observations {
            entity_name: add.entity_name,
            observations: added,
        });
    }
    commit(store, |tx| {
        let mut n = 0;
        for r in &results {
            for o in &r.observations {
                let values = vec![sym(&r.entity_name), sym(o)];
                tx.add_with("observation", values, 1.0, clock.tick())?;
                n += 1;
            }
        }
        Ok(n)
    })?;
    Ok(results)
}

/// `delete_entities`: takes back everything asserted about each named entity or memory (its
/// type, observations, content, tags, ...) and every relation from or to it. Names that are
/// not entities are ignored; returned are those that were.
pub fn delete_entities(store: &mut Store, names: &[String]) -> Result<Vec<String>, Error> {
    store.lock()?;
    let values: Vec<Value> = names.iter().map(|n| sym(n)).collect();
    let mut gone: Vec<(&str, Vec<Value>)> = Vec::new();
    // The schema's relations whose first column names a memory or an entity, and those
    // with an end at one.
    for relation in SHAPED {
        let ends: &[usize] = match relation.starts_with("relation") {
            true => &[0, 2],
            false => &[0],
        };
        for f in store.asserted_where(relation, ends, &values)? {
            gone.push((*relation, f.values));
        }
    }
    // The names some fact was asserted about, in the order given.
    let named = |n: &String| {
        let v = sym(n);
        (gone.iter()).any(|(relation, f)| {
            f.first() == Some(&v) || (relation.starts_with("relation") && f.get(2) == Some(&v))
        })
    };
    let found: Vec<String> = names.iter().filter(|n| named(n)).cloned().collect();
    retract(store, gone)?;
    Ok(found)
}

/// Retracts the facts, in one commit.
fn retract(store: &mut Store, facts: Vec<(&str, Vec<Value>)>) -> Result<(), Error> {
    commit(store, |tx| {
        let n = facts.len();
        for (relation, values) in facts {
            tx.retract(relation, values)?;
        }
        Ok(n)
    })?;
    Ok(())
}

/// `delete_observations`: takes the named observations from each entity (a memory's title
/// becomes empty; its content or summary is retracted). Unknown entities and observations
/// are ignored.
pub fn delete_observations(store: &mut Store, deletions: &[Observations]) -> Result<(), Error> {
    store.lock()?;
    let observations =
        about(store, deletions.iter().map(|d| d.entity_name.as_str()))?.observations();
    let mut gone = Vec::new();
    let mut retitled = Vec::new();
    for d in deletions {
        let texts: HashSet<&str> = d.observations.iter().map(String::as_str).collect();
        for (_, text, held) in observations.get(&d.entity_name).into_iter().flatten() {
            if !texts.contains(text.as_str()) {
                continue;
            }
            match held {
                Held::Fact(relation, values) => gone.push((*relation, values.clone())),
                Held::Title(memory) => retitled.push(memory.clone()),
            }
        }
    }
    commit(store, |tx| {
        let n = gone.len() + retitled.len();
        for (relation, values) in gone {
            tx.retract(relation, values)?;
        }
        for m in retitled {
            let mut values = m.values.clone();
            values[2] = sym("");
            tx.retract("memory", m.values)?;
            tx.add_with("memory", values, m.confidence, Some(m.time))?;
        }
        Ok(n)
    })?;
    Ok(())
}

/// `delete_relations`: takes back each relation as written (same `from`, `to` and
/// `relationType`); the others written between the same entities with the same normalised
/// type stay. Relations that do not exist are ignored.
pub fn delete_relations(store: &mut Store, relations: &[Relation]) -> Result<(), Error> {
    store.lock()?;
    let ends = relations
        .iter()
        .flat_map(|r| [r.from.as_str(), r.to.as_str()]);
    let mut forms = about(store, ends)?.relation_forms();
    let mut gone = Vec::new();
    let mut retimed = Vec::new();
    for r in relations {
        let ty = normalize_type(&r.relation_type);
        let key = (r.from.clone(), ty.clone(), r.to.clone());
        let Some(f) = forms.get_mut(&key).filter(|f| f.time.is_some()) else {
            continue;
        };
        let relation = || vec![sym(&r.from), sym(&ty), sym(&r.to)];
        let written = |w: &str| vec![sym(&r.from), sym(&ty), sym(&r.to), sym(w)];
        if f.written.is_empty() {
            if r.relation_type == ty {
                gone.push(("relation", relation()));
                f.time = None;
            }
            continue;
        }
        let Some(at) = f.written.iter().position(|w| w.0 == r.relation_type) else {
            continue;
        };
        f.written.remove(at);
        gone.push(("relation_written", written(&r.relation_type)));
        match f.written.as_slice() {
            [] => {
                gone.push(("relation", relation()));
                f.time = None;
            }
            // Only the normalised way is left: it is the relation itself, timed as it was
            // written.
            [only] if only.0 == ty => {
                gone.push(("relation_written", written(&ty)));
                retimed.push((relation(), f.confidence, only.1));
                f.written.clear();
            }
            _ => {}
        }
    }
    commit(store, |tx| {
        let n = gone.len();
        for (relation, values) in gone {
            tx.retract(relation, values)?;
        }
        for (values, confidence, time) in retimed {
            tx.add_with("relation", values, confidence, Some(time))?;
        }
        Ok(n)
    })?;
    Ok(())
}
