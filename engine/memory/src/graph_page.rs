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
use rustc_hash::FxHashSet as HashSet;

/// What [`MemoryExt::read_graph_window_with`](crate::MemoryExt::read_graph_window_with)
/// keeps between pages: the graph's outline (its asserted entities in order, how many
/// entities and relations it holds), for the commit it was read at.
#[derive(Default)]
pub struct GraphCache(Option<((u64, u64), bool, Outline)>);

/// What a window of the graph needs besides the entities on it.
struct Outline {
    /// The asserted entities' names (encoded symbols), in the graph's order.
    order: Vec<u64>,
    /// Entities of the graph, derived ones too (with `inferred`).
    entities: usize,
    /// Relations of the graph.
    relations: usize,
}

/// The entities at `offset..offset + count` of the graph [`super::graph::read`] reads (with
/// `inferred`, derived ones too), and how many entities and relations that graph holds; `None`
/// when the window reaches past its entities (the caller then reads the graph). `kept` holds
/// the graph's outline while the store is at the same commit.
pub fn entity_window(
    store: &mut Store,
    kept: &mut GraphCache,
    inferred: bool,
    offset: usize,
    count: usize,
) -> Result<Option<(Vec<GraphEntity>, usize)>, Error> {
    let state = store.state();
    let outline = match kept.0.take() {
        Some((s, i, outline)) if s == state && i == inferred => outline,
        _ => Outline::read(store, inferred)?,
    };
    let window = window_of(store, &outline, inferred, offset, count);
    kept.0 = Some((state, inferred, outline));
    window
}

impl Outline {
    fn read(store: &mut Store, inferred: bool) -> Result<Outline, Error> {
        // Each asserted entity's time: a memory's, or its entity fact's, which wins (both
        // lists in key order, so by name id).
        let mut times: Vec<(u64, i64)> = Vec::new();
        store.each_encoded_in("memory", true, |key, m| times.push((key[0], m.time)))?;
        let mut entity: Vec<(u64, i64)> = Vec::new();
        store.each_encoded_in("entity", true, |key, m| entity.push((key[0], m.time)))?;
        times.extend(entity);
        // Stable: of a name's times, the entity fact's (pushed last) is kept.
        times.sort_by_key(|t| t.0);
        times.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                earlier.1 = later.1;
            }
            same
        });
        let mut derived = 0;
        if inferred {
            let asserted = |id: u64| times.binary_search_by_key(&id, |t| t.0).is_ok();
            store.each_encoded_in("entity", false, |key, m| {
                derived += usize::from(m.rule != 0 && !asserted(key[0]));
            })?;
        }
        let entities = times.len() + derived;
        let relations = relation_count(store, inferred)?;
        // By time, then by name: names compared only among equal times.
        times.sort_unstable_by_key(|t| (t.1, t.0));
        let interner = store.database_with(&[])?.interner();
        for group in times.chunk_by_mut(|a, b| a.1 == b.1) {
            if group.len() > 1 {
                let mut named: Vec<(&str, (u64, i64))> = (group.iter())
                    .map(|&t| (interner.resolve_enc(t.0), t))
                    .collect();
                named.sort_unstable();
                for (slot, (_, t)) in group.iter_mut().zip(named) {
                    *slot = t;
                }
            }
        }
        Ok(Outline {
            order: times.into_iter().map(|t| t.0).collect(),
            entities,
            relations,
        })
    }
}

/// The window `offset..offset + count` of the graph `outline` outlines.
fn window_of(
    store: &mut Store,
    outline: &Outline,
    inferred: bool,
    offset: usize,
    count: usize,
) -> Result<Option<(Vec<GraphEntity>, usize)>, Error> {
    if offset.saturating_add(count) > outline.entities {
        return Ok(None);
    }
    let asserted = outline.order.len();
    let mut window: Vec<GraphEntity> = Vec::new();
    if offset < asserted {
        let interner = store.database_with(&[])?.interner();
        let names: Vec<Value> = (outline.order[offset..asserted.min(offset + count)].iter())
            .map(|&n| Value::Symbol(interner.resolve_enc(n).to_string()))
            .collect();
        window = asserted_entities(&Sources::read_entities_about(store, &names)?);
    }
    if inferred && offset + count > asserted {
        let interner = store.database_with(&[])?.interner();
        let known: HashSet<String> = (outline.order.iter())
            .map(|&n| interner.resolve_enc(n).to_string())
            .collect();
        let skip = offset.saturating_sub(asserted);
        let take = offset + count - asserted.max(offset);
        let rest = inferred_entities(store, &known, None)?;
        window.extend(rest.into_iter().skip(skip).take(take));
    }
    Ok(Some((window, outline.entities + outline.relations)))
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
    // A relation written one way is one relation of the graph either way: only those written
    // more ways are looked up.
    groups.retain(|g| g.1 > 1);
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
