//! Recall from a store by lookup: the index of what one question can reach, not of the whole
//! memory. Its hits are the ones [`RecallIndex::build`]'s index of everything gives.
//!
//! 1. The question's stems are looked up in the store's word postings: the texts that hold
//!    them.
//! 2. One pass over the memory's documents and their fields, as encoded facts (no text read):
//!    the whole memory's count of documents and their total length, from each field text's
//!    number of words in the postings (BM25's N and average length), and the documents one of
//!    those texts is a field of.
//! 3. Those documents' facts, by lookup, make an index of them: its text scores pick the seeds.
//! 4. The graph around the seeds, level by level to `depth` steps: each level's relations
//!    either way by lookup (through nodes that are not hubs, as the expansion goes).
//! 5. The index of the matched and reached documents with those relations answers the
//!    question as the index of everything would.

use crate::recall::{self, DocParts, HUB, Hit, RecallIndex, RecallOptions};
use engram_core::internal::eval::Rows;
use engram_core::internal::incremental::table::FactMeta;
use engram_store::{ReadError, Store};
use rustc_hash::{FxHashMap, FxHashSet};

/// The text fields of a document besides its title (and an entity's type), with their
/// weights: as [`RecallIndex::build`] reads them.
const FIELDS: [(&str, f64); 4] = [
    ("tag", 2.0),
    ("content", 1.0),
    ("memory_summary", 1.0),
    ("observation", 1.0),
];

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
    // Per text holding a stem of the question: those stems, with how often.
    let mut texts: Texts = FxHashMap::default();
    for (stem, list) in stems.iter().zip(store.symbols_with_stems(&stems)?) {
        for (sym, n) in list {
            texts.entry(sym).or_default().push((stem.as_str(), n));
        }
    }
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let state = store.state();
    let table = match kept.0.take() {
        Some((s, table)) if s == state => table,
        _ => DocTable::read(store)?,
    };
    let result = answer(store, &table, &texts, query, options);
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
    let totals = (
        table.docs.len(),
        table.length / table.docs.len().max(1) as f64,
    );
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
        for (&doc, &n) in per_doc {
            let length = table.docs.get(&doc).map_or(0.0, |d| d.length);
            *text.entry(doc).or_default() += recall::bm25(n_docs, df, n, length, totals.1);
        }
    }
    let best = text.values().copied().fold(0.0, f64::max);
    if best <= 0.0 {
        return Ok(Vec::new());
    }
    let seeds = recall::top_seeds(text.iter().map(|(&d, &s)| (d, s / best)).collect());
    let seed_syms: Vec<u64> = seeds.iter().map(|s| s.0).collect();
    let (edges, hubs, reached) = neighbourhood(store, &seed_syms, options.depth)?;
    // Only the documents that can rank among the best: a matched document's score is at
    // least its text's, and exactly that unless the graph reaches it, so one whose text
    // score is below the best few's cannot be among them unless it is reached.
    let pre = |doc: u64, s: f64| match table.docs.get(&doc) {
        Some(d) => recall::weighed(s / best, d.confidence, d.importance, d.time, options.now),
        None => 0.0,
    };
    let mut scored: Vec<(u64, f64)> = (text.iter()).map(|(&d, &s)| (d, pre(d, s))).collect();
    let pool = recall::pool_size(options.limit);
    if scored.len() > pool {
        let by_score = |a: &(u64, f64), b: &(u64, f64)| b.1.total_cmp(&a.1);
        let threshold = scored.select_nth_unstable_by(pool - 1, by_score).1.1;
        scored.retain(|s| s.1 >= threshold);
    }
    let mut docs: Vec<u64> = scored.into_iter().map(|s| s.0).collect();
    docs.extend(seed_syms);
    docs.extend(reached);
    docs.sort_unstable();
    docs.dedup();
    let db = store.database_with(&[])?;
    let graph = (&edges, hubs);
    let index = RecallIndex::from_parts(db, table.parts(&docs), &tf, graph, totals, df);
    let stems = |sym: u64| table.stems_of(sym, &|f| db.interner().resolve_enc(f).to_string());
    Ok(index.recall_with_fields(query, options, &stems))
}

/// Per text (symbol) holding a stem of the question: those stems, with how often.
type Texts<'q> = FxHashMap<u64, Vec<(&'q str, u32)>>;

/// The memory's documents as one pass over their encoded facts finds them: each document (its
/// symbol, type, title, length and ranking facts), every field, and their total length.
pub(crate) struct DocTable {
    docs: FxHashMap<u64, DocParts>,
    /// Every field: (text, document, weight), sorted by text.
    fields: Vec<(u64, u64, f64)>,
    /// Every field: (document, text), sorted.
    by_doc: Vec<(u64, u64)>,
    length: f64,
    /// The stems of documents' fields as diversity compares them ([`recall::stem_set`]),
    /// kept as questions ask for them.
    stems: std::sync::Mutex<FxHashMap<u64, Vec<u64>>>,
}

impl DocTable {
    /// One pass over the memory's documents (a memory or an entity each: the first fact of
    /// its symbol, memories first) and their fields, as encoded facts: what
    /// [`RecallIndex::build`] reads, without a text.
    fn read(store: &mut Store) -> Result<DocTable, ReadError> {
        let mut docs: FxHashMap<u64, DocParts> = FxHashMap::default();
        let mut all: Vec<(u64, u64, f64)> = Vec::new();
        // (document, text, weight) of the fields of one relation's pass.
        let mut fields: Vec<(u64, u64, f64)> = Vec::new();
        let part = |sym: u64, kind: &'static str, ty: u64, title: u64, m: FactMeta| DocParts {
            sym,
            kind,
            ty,
            title,
            fields: Vec::new(),
            length: 0.0,
            confidence: m.conf,
            importance: None,
            time: m.time,
        };
        store.each_encoded("memory", |key, m| {
            if key.len() > 2 && !docs.contains_key(&key[0]) {
                docs.insert(key[0], part(key[0], "memory", key[1], key[2], m));
                fields.push((key[0], key[2], 2.0));
            }
        })?;
        weigh(store, &mut fields, &mut docs, &mut all)?;
        store.each_encoded("entity", |key, m| {
            if key.len() > 1 && !docs.contains_key(&key[0]) {
                docs.insert(key[0], part(key[0], "entity", key[1], key[0], m));
                fields.push((key[0], key[0], 2.0));
                fields.push((key[0], key[1], 1.0));
            }
        })?;
        weigh(store, &mut fields, &mut docs, &mut all)?;
        for (relation, weight) in FIELDS {
            store.each_encoded(relation, |key, _| {
                if key.len() > 1 && docs.contains_key(&key[0]) {
                    fields.push((key[0], key[1], weight));
                }
            })?;
            weigh(store, &mut fields, &mut docs, &mut all)?;
        }
        store.each_encoded("importance", |key, _| {
            if key.len() > 1
                && let Some(d) = docs.get_mut(&key[0])
            {
                d.importance = Some(engram_core::internal::value::dec_float(key[1]));
            }
        })?;
        let mut by_doc: Vec<(u64, u64)> = all.iter().map(|f| (f.1, f.0)).collect();
        by_doc.sort_unstable();
        all.sort_unstable_by_key(|f| f.0);
        let length = docs.values().map(|d| d.length).sum();
        Ok(DocTable {
            docs,
            fields: all,
            by_doc,
            length,
            stems: Default::default(),
        })
    }

    /// The documents a text of the question is a field of (sorted), and per stem the
    /// documents holding it with its weighted count.
    fn matches(&self, texts: &Texts) -> (Vec<u64>, FxHashMap<String, FxHashMap<u64, f64>>) {
        let mut tf: FxHashMap<String, FxHashMap<u64, f64>> = FxHashMap::default();
        // The texts in order, each found past the one before (the fields are sorted by text).
        let mut ordered: Vec<(&u64, &Vec<(&str, u32)>)> = texts.iter().collect();
        ordered.sort_unstable_by_key(|t| *t.0);
        let mut rest = &self.fields[..];
        for (text, stems) in ordered {
            // Galloping: the next text is usually near.
            let mut end = 1;
            while end < rest.len() && rest[end - 1].0 < *text {
                end *= 2;
            }
            let end = end.min(rest.len());
            rest = &rest[rest[..end].partition_point(|f| f.0 < *text)..];
            for &(_, doc, weight) in rest.iter().take_while(|f| f.0 == *text) {
                for (stem, n) in stems {
                    let docs = match tf.get_mut(*stem) {
                        Some(docs) => docs,
                        None => tf.entry(stem.to_string()).or_default(),
                    };
                    *docs.entry(doc).or_default() += weight * f64::from(*n);
                }
            }
        }
        let mut matched: Vec<u64> = (tf.values()).flat_map(|d| d.keys().copied()).collect();
        matched.sort_unstable();
        matched.dedup();
        (matched, tf)
    }

    /// The documents among `syms` (their fields left to [`DocTable::fields_of`]).
    fn parts(&self, syms: &[u64]) -> Vec<DocParts> {
        (syms.iter())
            .filter_map(|s| self.docs.get(s).cloned())
            .collect()
    }

    /// Document `sym`'s distinct stems ([`recall::stem_set`] of its fields, whose texts
    /// `text` gives), kept for the next question.
    fn stems_of(&self, sym: u64, text: &dyn Fn(u64) -> String) -> Vec<u64> {
        let mut kept = self.stems.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(set) = kept.get(&sym) {
            return set.clone();
        }
        let texts: Vec<String> = self.fields_of(sym).into_iter().map(text).collect();
        let set = recall::stem_set(texts.iter().map(String::as_str));
        // Bounded: a memory's worth of sets at most.
        if kept.len() >= 1 << 16 {
            kept.clear();
        }
        kept.insert(sym, set.clone());
        set
    }

    /// The text fields of document `sym`.
    fn fields_of(&self, sym: u64) -> Vec<u64> {
        let at = self.by_doc.partition_point(|f| f.0 < sym);
        (self.by_doc[at..].iter())
            .take_while(|f| f.0 == sym)
            .map(|f| f.1)
            .collect()
    }
}

/// Adds the fields in `fields` (document, text, weight) to `all` as (text, document,
/// weight), with their words (each times its weight) to the documents' lengths; empties
/// `fields`.
fn weigh(
    store: &mut Store,
    fields: &mut Vec<(u64, u64, f64)>,
    docs: &mut FxHashMap<u64, DocParts>,
    all: &mut Vec<(u64, u64, f64)>,
) -> Result<(), ReadError> {
    let texts: Vec<u64> = fields.iter().map(|f| f.1).collect();
    let counts = store.word_counts(&texts)?;
    for (&(doc, text, weight), n) in fields.iter().zip(counts) {
        if let Some(d) = docs.get_mut(&doc) {
            d.length += weight * f64::from(n);
            all.push((text, doc, weight));
        }
    }
    fields.clear();
    Ok(())
}

/// The graph around `seeds`, level by level up to `depth` steps: the relations, either way,
/// of each node reached that is to be expanded, as `edge` rows in key order; the nodes among
/// those that are hubs (counted, their relations not read, never followed); and every node
/// reached.
fn neighbourhood(
    store: &mut Store,
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
        let out = store.count_where("edge", 0, &level)?;
        let into = store.count_where("edge", 2, &level)?;
        let mut open = Vec::with_capacity(level.len());
        for (i, &n) in level.iter().enumerate() {
            match out[i] + into[i] > HUB {
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
        let found = [
            store.rows_where("edge", 0, &open)?,
            store.rows_where("edge", 2, &open)?,
        ];
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
