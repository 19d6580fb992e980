//! The graph's first pages without reading the graph: the entities come first in the graph's
//! order (asserted ones by the time they were asserted, then by name; then the inferred ones),
//! so a page that ends among them needs only their order, the facts about the entities on
//! it, and how many entities and relations the graph holds, which are counted on the store's
//! encoded facts rather than decoded.

use super::graph::{Sources, asserted_entities, inferred_entities};
use crate::GraphEntity;
use engram_core::Value;
use engram_store::ReadError as Error;
use engram_store::Store;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// The entities at `offset..offset + count` of the graph [`super::graph::read`] reads (with
/// `inferred`, derived ones too), and how many entities and relations that graph holds; `None`
/// when the window reaches past its entities (the caller then reads the graph).
pub fn entity_window(
    store: &mut Store,
    inferred: bool,
    offset: usize,
    count: usize,
) -> Result<Option<(Vec<GraphEntity>, usize)>, Error> {
    // Each asserted entity's time: a memory's, or its entity fact's, which wins.
    let mut times: HashMap<u64, i64> = HashMap::default();
    for relation in ["memory", "entity"] {
        for (key, m) in store.encoded_facts(relation, true)? {
            times.insert(key[0], m.time);
        }
    }
    let derived: Vec<u64> = match inferred {
        true => (store.encoded_facts("entity", false)?.into_iter())
            .filter(|(key, m)| m.rule != 0 && !times.contains_key(&key[0]))
            .map(|(key, _)| key[0])
            .collect(),
        false => Vec::new(),
    };
    let entities = times.len() + derived.len();
    if offset.saturating_add(count) > entities {
        return Ok(None);
    }
    let relations = relation_count(store, inferred)?;
    let order: Vec<String> = {
        let interner = store.database_with(&[])?.interner();
        let mut order: Vec<(i64, &str)> = (times.iter())
            .map(|(&id, &time)| (time, interner.resolve_enc(id)))
            .collect();
        order.sort_unstable();
        order.into_iter().map(|(_, n)| n.to_string()).collect()
    };
    let asserted = order.len();
    let mut window: Vec<GraphEntity> = Vec::new();
    if offset < asserted {
        let names: Vec<Value> = (order[offset..asserted.min(offset + count)].iter())
            .map(|n| Value::Symbol(n.clone()))
            .collect();
        window = asserted_entities(&Sources::read_entities_about(store, &names)?);
    }
    if offset + count > asserted {
        let known: HashSet<String> = order.into_iter().collect();
        let skip = offset.saturating_sub(asserted);
        let take = offset + count - asserted.max(offset);
        let rest = inferred_entities(store, &known, None)?;
        window.extend(rest.into_iter().skip(skip).take(take));
    }
    Ok(Some((window, entities + relations)))
}

/// How many relations the graph holds: each asserted relation once per way it was written
/// (once when written only so), and with `inferred` each derived one no asserted relation
/// states.
fn relation_count(store: &mut Store, inferred: bool) -> Result<usize, Error> {
    let asserted = store.fact_counts("relation")?.map_or(0, |c| c.0);
    // Ways written, per relation (consecutive in key order): a relation written n ways is n
    // relations of the graph, if it is asserted.
    let mut groups: Vec<(Vec<u64>, usize)> = Vec::new();
    for (key, _) in store.encoded_facts("relation_written", true)? {
        match groups.last_mut() {
            Some((k, n)) if k.as_slice() == &key[..3] => *n += 1,
            _ => groups.push((key[..3].to_vec(), 1)),
        }
    }
    let keys: Vec<Vec<u64>> = groups.iter().map(|g| g.0.clone()).collect();
    let held = store.asserted_keys("relation", &keys)?;
    let written: usize = (groups.iter().zip(held))
        .filter(|(_, held)| *held)
        .map(|((_, n), _)| n - 1)
        .sum();
    let derived = match inferred {
        true => store.count_derived_not_in("edge", "relation")?,
        false => 0,
    };
    Ok(asserted + written + derived)
}
