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
/// index of what the question reaches.
pub(crate) fn recall(
    store: &mut Store,
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
            texts.entry(sym).or_default().push((stem.clone(), n));
        }
    }
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let mut survey = survey(store, &texts)?;
    if survey.matched.is_empty() {
        return Ok(Vec::new());
    }
    let totals = (
        survey.docs.len(),
        survey.length / survey.docs.len().max(1) as f64,
    );
    let seeds = {
        let db = store.database_with(&[])?;
        let parts = survey.take(&survey.matched.clone(), false);
        RecallIndex::from_parts(db, parts, &survey.tf, &Rows::default(), totals).seed_symbols(query)
    };
    let (edges, reached) = neighbourhood(store, &seeds, options.depth)?;
    let mut docs = survey.matched.clone();
    docs.extend(reached);
    docs.sort_unstable();
    docs.dedup();
    let parts = survey.take(&docs, true);
    let db = store.database_with(&[])?;
    let index = RecallIndex::from_parts(db, parts, &survey.tf, &edges, totals);
    Ok(index.recall(query, options))
}

/// Per text (symbol) holding a stem of the question: those stems, with how often.
type Texts = FxHashMap<u64, Vec<(String, u32)>>;

/// What one pass over the documents finds: every document (its symbol, type, title, fields,
/// length and ranking facts), their total length, and the documents a text of the question
/// is a field of (sorted), with the question's stems in them.
struct Survey {
    docs: FxHashMap<u64, DocParts>,
    /// Every field: (document, text), in the order the passes read them.
    fields: Vec<(u64, u64)>,
    length: f64,
    matched: Vec<u64>,
    /// Per stem: the matched documents holding it, with its weighted count.
    tf: FxHashMap<String, FxHashMap<u64, f64>>,
}

impl Survey {
    /// The documents among `syms` (sorted) with their fields (moved out when `last`, else
    /// copied).
    fn take(&mut self, syms: &[u64], last: bool) -> Vec<DocParts> {
        let mut out: FxHashMap<u64, DocParts> = (syms.iter())
            .filter_map(|s| match last {
                true => self.docs.remove_entry(s),
                false => self.docs.get(s).map(|d| (*s, d.clone())),
            })
            .collect();
        for &(doc, text) in &self.fields {
            if let Some(d) = out.get_mut(&doc) {
                d.fields.push(text);
            }
        }
        out.into_values().collect()
    }
}

/// One pass over the memory's documents (a memory or an entity each: the first fact of its
/// symbol, memories first) and their fields, as encoded facts: what
/// [`RecallIndex::build`] reads, without a text.
fn survey(store: &mut Store, texts: &Texts) -> Result<Survey, ReadError> {
    let mut docs: FxHashMap<u64, DocParts> = FxHashMap::default();
    let mut all_fields: Vec<(u64, u64)> = Vec::new();
    let mut tf: FxHashMap<String, FxHashMap<u64, f64>> = FxHashMap::default();
    // (document, text, weight) of the fields of one relation's pass.
    let mut fields: Vec<(u64, u64, f64)> = Vec::new();
    let mut note = |doc: u64, text: u64, weight: f64, fields: &mut Vec<(u64, u64, f64)>| {
        fields.push((doc, text, weight));
        for (stem, n) in texts.get(&text).into_iter().flatten() {
            *tf.entry(stem.clone()).or_default().entry(doc).or_default() += weight * f64::from(*n);
        }
    };
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
            note(key[0], key[2], 2.0, &mut fields);
        }
    })?;
    weigh(store, &mut fields, &mut docs, &mut all_fields)?;
    store.each_encoded("entity", |key, m| {
        if key.len() > 1 && !docs.contains_key(&key[0]) {
            docs.insert(key[0], part(key[0], "entity", key[1], key[0], m));
            note(key[0], key[0], 2.0, &mut fields);
            note(key[0], key[1], 1.0, &mut fields);
        }
    })?;
    weigh(store, &mut fields, &mut docs, &mut all_fields)?;
    for (relation, weight) in FIELDS {
        store.each_encoded(relation, |key, _| {
            if key.len() > 1 && docs.contains_key(&key[0]) {
                note(key[0], key[1], weight, &mut fields);
            }
        })?;
        weigh(store, &mut fields, &mut docs, &mut all_fields)?;
    }
    store.each_encoded("importance", |key, _| {
        if key.len() > 1
            && let Some(d) = docs.get_mut(&key[0])
        {
            d.importance = Some(engram_core::internal::value::dec_float(key[1]));
        }
    })?;
    let length = docs.values().map(|d| d.length).sum();
    let mut matched: Vec<u64> = (tf.values()).flat_map(|d| d.keys().copied()).collect();
    matched.sort_unstable();
    matched.dedup();
    Ok(Survey {
        docs,
        fields: all_fields,
        length,
        matched,
        tf,
    })
}

/// Adds the texts in `fields` to their documents, with their words (each times its weight)
/// to the documents' lengths; empties `fields`.
fn weigh(
    store: &mut Store,
    fields: &mut Vec<(u64, u64, f64)>,
    docs: &mut FxHashMap<u64, DocParts>,
    all: &mut Vec<(u64, u64)>,
) -> Result<(), ReadError> {
    let texts: Vec<u64> = fields.iter().map(|f| f.1).collect();
    let counts = store.word_counts(&texts)?;
    for (&(doc, text, weight), n) in fields.iter().zip(counts) {
        if let Some(d) = docs.get_mut(&doc) {
            d.length += weight * f64::from(n);
            all.push((doc, text));
        }
    }
    fields.clear();
    Ok(())
}

/// The relations of the graph around `seeds`, level by level up to `depth` steps (a node's
/// relations either way, read once it is reached and is to be expanded; a hub's neighbours
/// are not followed), as `edge` rows in key order; and every node reached.
fn neighbourhood(
    store: &mut Store,
    seeds: &[u64],
    depth: usize,
) -> Result<(Rows, Vec<u64>), ReadError> {
    let mut edges: FxHashMap<Vec<u64>, usize> = FxHashMap::default();
    let mut rows: Vec<Rows> = Vec::new();
    let mut expanded: FxHashSet<u64> = FxHashSet::default();
    let mut reached: Vec<u64> = seeds.to_vec();
    let mut level: Vec<u64> = seeds.to_vec();
    for _ in 0..depth {
        level.retain(|&n| expanded.insert(n));
        level.sort_unstable();
        if level.is_empty() {
            break;
        }
        let (out, into) = (
            store.rows_where("edge", 0, &level)?,
            store.rows_where("edge", 2, &level)?,
        );
        // Each relation once, and each node's relations (a loop counts at both ends).
        let mut at: FxHashMap<u64, Vec<u64>> = FxHashMap::default();
        for (j, r) in [&out, &into].into_iter().enumerate() {
            for i in 0..r.len() {
                let key = r.row(i)[..3].to_vec();
                if edges.contains_key(&key) {
                    continue;
                }
                edges.insert(key.clone(), ((rows.len() + j) << 32) + i);
                for (node, other) in [(key[0], key[2]), (key[2], key[0])] {
                    if level.binary_search(&node).is_ok() {
                        at.entry(node).or_default().push(other);
                    }
                }
            }
        }
        rows.push(out);
        rows.push(into);
        let mut next: Vec<u64> = Vec::new();
        for (_, others) in at.into_iter().filter(|(_, o)| o.len() <= HUB) {
            next.extend(others);
        }
        next.sort_unstable();
        next.dedup();
        reached.extend(&next);
        level = next;
    }
    let mut keys: Vec<(Vec<u64>, usize)> = edges.into_iter().collect();
    keys.sort_unstable();
    let Some(shape) = rows.first() else {
        return Ok((Rows::default(), reached));
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
    Ok((out, reached))
}
