//! Recall from a store by lookup: the index of what one question can reach, not of the whole
//! memory. Its hits are the ones [`RecallIndex::build`]'s index of everything gives.
//!
//! 1. The question's stems are looked up in the store's word postings: the texts that hold
//!    them.
//! 2. The memory's documents and their fields, as encoded facts (no text read;
//!    [`DocTable`], kept between questions and brought up to date by the documents commits
//!    change): the whole memory's count of documents and their total length, from each field
//!    text's number of words in the postings (BM25's N and average length), and the documents
//!    one of those texts is a field of.
//! 3. Those documents' facts, by lookup, make an index of them: its text scores pick the seeds.
//! 4. The graph around the seeds, level by level to `depth` steps: each level's relations
//!    either way by lookup (through nodes that are not hubs, as the expansion goes).
//! 5. The index of the matched and reached documents with those relations answers the
//!    question as the index of everything would.

use crate::recall::{self, HUB, Hit, RecallIndex, RecallOptions};
use crate::recall_docs::{DocTable, Texts};
use engram_core::internal::eval::Rows;
use engram_store::{ReadError, Store};
use rustc_hash::{FxHashMap, FxHashSet};

/// The memories and entities that answer `query`, best first: [`RecallIndex::recall`] on the
/// index of what the question reaches. `kept` holds the memory's documents between questions
/// while the store is at the same commit.
pub(crate) fn recall(
    store: &mut Store,
    kept: &mut RecallCache,
    query: &str,
    options: &RecallOptions,
) -> Result<Vec<Hit>, ReadError> {
    let stems: Vec<String> = (recall::query_words(query).into_iter())
        .map(|w| w.0)
        .collect();
    // The texts holding a stem of the question: with which, and how often.
    let mut holding: Vec<(u64, u32, u32)> = Vec::new();
    for (i, list) in store.symbols_with_stems(&stems)?.into_iter().enumerate() {
        holding.extend(list.into_iter().map(|(sym, n)| (sym, i as u32, n)));
    }
    if holding.is_empty() {
        return Ok(Vec::new());
    }
    holding.sort_unstable();
    let texts = Texts {
        stems: &stems,
        holding,
    };
    let state = store.state();
    let mut table = match kept.0.take() {
        Some((s, table)) if s == state => table,
        // Another commit: the documents it changed read again, unless a checkpoint
        // rewrote what the table was read from.
        Some((_, mut table)) => match table.refresh(store)? {
            true => table,
            false => DocTable::read(store, false)?,
        },
        None => DocTable::read(store, false)?,
    };
    let mut result = answer(store, &table, &texts, query, options);
    if table.damage().is_some() {
        // The base another process kept was found damaged as it was read: forgotten, and
        // read from the runs again.
        DocTable::forget(store);
        table = DocTable::read(store, true)?;
        result = answer(store, &table, &texts, query, options);
        if let Some(what) = table.damage() {
            return Err(ReadError::Invalid(what.to_string()));
        }
    }
    kept.0 = Some((state, table));
    result
}

/// What [`MemoryExt::recall_with`](crate::MemoryExt::recall_with) keeps between questions:
/// the memory's documents (their symbols, lengths, fields and ranking facts, no text), for
/// the commit they were read at.
#[derive(Default)]
pub struct RecallCache(Option<((u64, u64), DocTable)>);

/// [`recall`] with the documents read.
fn answer(
    store: &mut Store,
    table: &DocTable,
    texts: &Texts,
    query: &str,
    options: &RecallOptions,
) -> Result<Vec<Hit>, ReadError> {
    let (matched, tf) = table.matches(texts);
    if matched.is_empty() {
        return Ok(Vec::new());
    }
    let found = table.docs_of(&matched);
    let doc = |sym: u64| (matched.binary_search(&sym).ok()).and_then(|i| found[i].as_ref());
    let totals = (table.len(), table.average_length());
    // BM25 of every matched document, as an index of them all scores it (per stem in the
    // question's order, over the documents holding it).
    let df: FxHashMap<String, usize> = (tf.iter())
        .map(|(stem, docs)| (stem.clone(), docs.len()))
        .collect();
    let mut text: FxHashMap<u64, f64> = FxHashMap::default();
    for (stem, _) in recall::query_words(query) {
        let Some(per_doc) = tf.get(&stem) else {
            continue;
        };
        let (n_docs, df) = (totals.0 as f64, per_doc.len() as f64);
        for (&sym, &n) in per_doc {
            let length = doc(sym).map_or(0.0, |d| d.length);
            *text.entry(sym).or_default() += recall::bm25(n_docs, df, n, length, totals.1);
        }
    }
    let best = text.values().copied().fold(0.0, f64::max);
    if best <= 0.0 {
        return Ok(Vec::new());
    }
    let seeds = recall::top_seeds(text.iter().map(|(&d, &s)| (d, s / best)).collect());
    let seed_syms: Vec<u64> = seeds.iter().map(|s| s.0).collect();
    let (edges, hubs, reached) = neighbourhood(store, table, &seed_syms, options.depth)?;
    // Only the documents that can rank among the best: a matched document's score is at
    // least its text's, and exactly that unless the graph reaches it, so one whose text
    // score is below the best few's cannot be among them unless it is reached.
    let asked = crate::recall_when::asked_time(query, options.now);
    let pre = |sym: u64, s: f64| match doc(sym) {
        Some(d) => {
            let facts = (d.confidence, d.importance);
            recall::weighed(s / best, facts, d.time, options.now, asked)
        }
        None => 0.0,
    };
    let mut scored: Vec<(u64, f64)> = (text.iter()).map(|(&d, &s)| (d, pre(d, s))).collect();
    let pool = recall::pool_size(options.limit);
    if scored.len() > pool {
        let by_score = |a: &(u64, f64), b: &(u64, f64)| b.1.total_cmp(&a.1);
        let threshold = scored.select_nth_unstable_by(pool - 1, by_score).1.1;
        scored.retain(|s| s.1 >= threshold);
    }
    let beside = table.beside(&seed_syms);
    let mut docs: Vec<u64> = scored.into_iter().map(|s| s.0).collect();
    docs.extend(beside.values().flatten().map(|b| b.0));
    docs.extend(seed_syms);
    docs.extend(reached);
    docs.sort_unstable();
    docs.dedup();
    let db = store.database_with(&[])?;
    let graph = (&edges, hubs);
    let index = RecallIndex::from_parts(db, table.parts(&docs), &tf, graph, totals, df);
    let text = |f: u64| db.interner().resolve_enc(f).to_string();
    let stems = |sym: u64| table.stems_of(sym, &text);
    let texts = |sym: u64| table.fields_of(sym).into_iter().map(text).collect();
    let beside = |sym: u64| beside.get(&sym).cloned().unwrap_or_default();
    let sources = recall::Sources {
        fields: &stems,
        texts: &texts,
        beside: &beside,
    };
    Ok(index.recall_with_fields(query, options, &sources))
}

/// The graph around `seeds`, level by level up to `depth` steps: the relations, either way,
/// of each node reached that is to be expanded, as `edge` rows in key order; the nodes among
/// those that are hubs (counted, their relations not read, never followed); and every node
/// reached.
fn neighbourhood(
    store: &mut Store,
    table: &DocTable,
    seeds: &[u64],
    depth: usize,
) -> Result<(Rows, FxHashSet<u64>, Vec<u64>), ReadError> {
    let mut edges: FxHashMap<Vec<u64>, usize> = FxHashMap::default();
    let mut rows: Vec<Rows> = Vec::new();
    let mut expanded: FxHashSet<u64> = FxHashSet::default();
    let mut hubs: FxHashSet<u64> = FxHashSet::default();
    let mut reached: Vec<u64> = seeds.to_vec();
    let mut level: Vec<u64> = seeds.to_vec();
    for _ in 0..depth {
        level.retain(|&n| expanded.insert(n));
        level.sort_unstable();
        // A node's relations either way (a loop counts at both ends, as in the index).
        let degrees = table.adjacency().degrees(&level, |nodes| {
            let out = store.count_where("edge", 0, nodes)?;
            let into = store.count_where("edge", 2, nodes)?;
            Ok(out.iter().zip(&into).map(|(o, i)| o + i).collect())
        })?;
        let mut open = Vec::with_capacity(level.len());
        for (i, &n) in level.iter().enumerate() {
            match degrees[i] > HUB {
                true => hubs.insert(n),
                false => {
                    open.push(n);
                    false
                }
            };
        }
        if open.is_empty() {
            break;
        }
        let found = (table.adjacency()).edges(&open, |nodes, column| {
            store.rows_where("edge", column, nodes)
        })?;
        let mut next: Vec<u64> = Vec::new();
        for (j, r) in found.iter().enumerate() {
            for i in 0..r.len() {
                let key = &r.row(i)[..3];
                for (node, other) in [(key[0], key[2]), (key[2], key[0])] {
                    if open.binary_search(&node).is_ok() {
                        next.push(other);
                    }
                }
                if !edges.contains_key(key) {
                    edges.insert(key.to_vec(), ((rows.len() + j) << 32) + i);
                }
            }
        }
        rows.extend(found);
        next.sort_unstable();
        next.dedup();
        reached.extend(&next);
        level = next;
    }
    let mut keys: Vec<(Vec<u64>, usize)> = edges.into_iter().collect();
    keys.sort_unstable();
    let Some(shape) = rows.first() else {
        return Ok((Rows::default(), hubs, reached));
    };
    let mut out = Rows {
        arity: shape.arity,
        width: shape.width,
        meta: shape.meta,
        data: Vec::with_capacity(keys.len() * shape.width),
    };
    for (_, at) in keys {
        let (r, i) = (&rows[at >> 32], at & 0xffff_ffff);
        out.data
            .extend_from_slice(&r.data[i * r.width..(i + 1) * r.width]);
    }
    Ok((out, hubs, reached))
}
