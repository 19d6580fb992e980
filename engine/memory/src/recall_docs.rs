//! The memory's documents as recall ranks them, without their text: each memory and entity
//! (its symbol, type, title, length and ranking facts), every text field, and their total
//! length, read from encoded facts.
//!
//! Kept between questions and brought up to date by what commits change: every fact of a
//! document has the document's symbol first, so the documents whose facts the runs after the
//! table's marks set or remove are read again by lookup and the rest stay. A new table is read
//! from the layers' oldest runs (a checkpoint's; nearly everything) and brought up to date so.

use crate::recall::{self, DocParts};
use crate::recall_docs_base::{DocBase, Parts};
use engram_core::internal::incremental::table::FactMeta;
use engram_store::{LayerMark, ReadError, Store};
use rustc_hash::{FxHashMap, FxHashSet};

/// The text fields of a document besides its title (and an entity's type), with their
/// weights: as [`RecallIndex::build`](crate::RecallIndex::build) reads them.
const FIELDS: [(&str, f64); 4] = [
    ("tag", 2.0),
    ("content", 1.0),
    ("memory_summary", 1.0),
    ("observation", 1.0),
];

/// Every relation a document is read from: each fact's first column is its document.
const RELATIONS: [&str; 7] = [
    "memory",
    "entity",
    "tag",
    "content",
    "memory_summary",
    "observation",
    "importance",
];

/// The texts (symbols) holding a stem of a question: each with one of those stems (its place
/// among the question's stems) and how often, sorted by text.
pub(crate) struct Texts<'q> {
    /// The question's stems, in its order (a stem asked twice counts twice).
    pub stems: &'q [String],
    /// (text, stem, how often), sorted by text.
    pub holding: Vec<(u64, u32, u32)>,
}

/// Which facts a table is read from.
enum Facts<'a> {
    /// The relations' oldest runs alone.
    Base,
    /// What holds of these documents (sorted).
    Of(&'a [u64]),
}

/// The memory's documents: each document (its symbol, type, title, length and ranking
/// facts), every field, and their total length. What the relations' oldest runs hold, read in
/// place ([`DocBase`]), and the documents read again since (their facts changed) on top.
pub(crate) struct DocTable {
    base: DocBase,
    over: Over,
    /// How many documents, and their total length.
    count: usize,
    length: f64,
    /// The stems of documents' fields as diversity compares them ([`recall::stem_set`]),
    /// kept as questions ask for them.
    stems: std::sync::Mutex<FxHashMap<u64, Vec<u64>>>,
    /// Nodes' relations as questions read them, kept until the store moves.
    adjacency: crate::recall_adjacency::Adjacency,
    /// Where the relations stood when the table was last brought up to date (one per
    /// [`RELATIONS`]).
    marks: Vec<LayerMark>,
}

/// The documents read again since the base: what the base holds of them is not.
#[derive(Default)]
struct Over {
    /// Every document read again (the base's record of each is left out).
    gone: FxHashSet<u64>,
    /// Those of them that are documents now.
    docs: FxHashMap<u64, DocParts>,
    /// Their fields: (text, document, weight), sorted by text.
    fields: Vec<(u64, u64, f64)>,
    /// Their fields: (document, text), sorted.
    by_doc: Vec<(u64, u64)>,
}

/// Documents, fields and total length as one pass over some facts reads them.
struct Read {
    docs: FxHashMap<u64, DocParts>,
    fields: Vec<(u64, u64, f64)>,
    by_doc: Vec<(u64, u64)>,
    length: f64,
}

impl DocTable {
    /// The table of the store as it is: the base of the relations' oldest runs (as another
    /// process kept it, or read from them and kept) brought up to date by the documents the
    /// newer runs change. `fresh` reads the base from the runs whatever is kept.
    pub(crate) fn read(store: &mut Store, fresh: bool) -> Result<DocTable, ReadError> {
        let marks = self::marks(store, Store::base_mark)?;
        let base = match DocBase::kept(store, &marks).filter(|_| !fresh) {
            Some(base) => base,
            None => {
                let read = read_from(store, &Facts::Base)?;
                let parts = Parts {
                    docs: &read.docs,
                    fields: &read.fields,
                    by_doc: &read.by_doc,
                    length: read.length,
                };
                DocBase::keep(store, &marks, parts)
            }
        };
        let mut table = DocTable {
            count: base.len(),
            length: base.length,
            base,
            over: Over::default(),
            stems: Default::default(),
            adjacency: Default::default(),
            marks,
        };
        // A layer grows from its oldest run, so the base's marks always lead to now; were
        // they not to, the table would answer for another state: an error, not a guess.
        if !table.refresh(store)? {
            return Err(ReadError::Invalid(
                "recall's table of documents could not be brought from the oldest runs to \
                 the store's state"
                    .into(),
            ));
        }
        Ok(table)
    }

    /// Brings the table up to the store's state: the documents whose facts changed since its
    /// marks read again. `false` where it cannot be (a checkpoint rewrote a relation's
    /// oldest run): read it anew.
    pub(crate) fn refresh(&mut self, store: &mut Store) -> Result<bool, ReadError> {
        // Any commit may have changed relations.
        self.adjacency = Default::default();
        let now = marks(store, Store::layer_mark)?;
        let mut changed: Vec<u64> = Vec::new();
        for (relation, mark) in RELATIONS.iter().zip(&self.marks) {
            let grown = store.keys_since(relation, mark, |key| {
                changed.extend(key.first());
            })?;
            if !grown {
                return Ok(false);
            }
        }
        changed.sort_unstable();
        changed.dedup();
        if !changed.is_empty() {
            let fresh = read_from(store, &Facts::Of(&changed))?;
            self.replace(&changed, fresh);
        }
        self.marks = now;
        Ok(true)
    }

    /// Replaces what the table holds of documents `syms` (sorted) by what `fresh` (read of
    /// them alone) holds.
    fn replace(&mut self, syms: &[u64], fresh: Read) {
        for d in self.docs_of(syms).into_iter().flatten() {
            self.count -= 1;
            self.length -= d.length;
        }
        let over = &mut self.over;
        for sym in syms {
            over.docs.remove(sym);
        }
        over.gone.extend(syms);
        let changed: FxHashSet<u64> = syms.iter().copied().collect();
        over.fields.retain(|f| !changed.contains(&f.1));
        over.by_doc.retain(|f| !changed.contains(&f.0));
        over.fields = merge_by(std::mem::take(&mut over.fields), fresh.fields, |f| f.0);
        over.by_doc = merge_by(std::mem::take(&mut over.by_doc), fresh.by_doc, |f| *f);
        self.count += fresh.docs.len();
        self.length += fresh.length;
        over.docs.extend(fresh.docs);
        let mut stems = self.stems.lock().unwrap_or_else(|e| e.into_inner());
        stems.retain(|sym, _| !changed.contains(sym));
    }

    /// How many documents.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// The documents' average length.
    pub(crate) fn average_length(&self) -> f64 {
        self.length / self.count.max(1) as f64
    }

    /// Each of documents `syms` (sorted), if it is one.
    pub(crate) fn docs_of(&self, syms: &[u64]) -> Vec<Option<DocParts>> {
        let mut out = self.base.docs_of(syms);
        for (d, sym) in out.iter_mut().zip(syms) {
            if self.over.gone.contains(sym) {
                *d = self.over.docs.get(sym).cloned();
            }
        }
        out
    }

    /// Forgets the store's copy of the base (found damaged).
    pub(crate) fn forget(store: &Store) {
        DocBase::forget(store);
    }

    /// What a read of the base found damaged, if one did (its answers are not to be trusted):
    /// the base is forgotten and read from the runs again.
    pub(crate) fn damage(&self) -> Option<&str> {
        self.base.damage()
    }

    /// The documents a text of the question is a field of (sorted), and per stem the
    /// documents holding it with its weighted count.
    pub(crate) fn matches(
        &self,
        texts: &Texts,
    ) -> (Vec<u64>, FxHashMap<String, FxHashMap<u64, f64>>) {
        // Per stem of the question, the documents holding it with its weighted count.
        let mut per_stem: Vec<FxHashMap<u64, f64>> = vec![FxHashMap::default(); texts.stems.len()];
        // The distinct texts, and where each one's stems start in `texts.holding`.
        let mut ordered: Vec<u64> = Vec::new();
        let mut starts: Vec<usize> = Vec::new();
        for (i, h) in texts.holding.iter().enumerate() {
            if ordered.last() != Some(&h.0) {
                ordered.push(h.0);
                starts.push(i);
            }
        }
        starts.push(texts.holding.len());
        let mut count = |k: usize, doc: u64, weight: f64| {
            for &(_, stem, n) in &texts.holding[starts[k]..starts[k + 1]] {
                *per_stem[stem as usize].entry(doc).or_default() += weight * f64::from(n);
            }
        };
        let gone = &self.over.gone;
        self.base.fields_with(&ordered, |k, doc, weight| {
            if gone.is_empty() || !gone.contains(&doc) {
                count(k, doc, weight);
            }
        });
        for (k, &text) in ordered.iter().enumerate() {
            let at = self.over.fields.partition_point(|f| f.0 < text);
            for &(_, doc, weight) in self.over.fields[at..].iter().take_while(|f| f.0 == text) {
                count(k, doc, weight);
            }
        }
        let mut tf: FxHashMap<String, FxHashMap<u64, f64>> = FxHashMap::default();
        for (stem, docs) in texts.stems.iter().zip(per_stem) {
            if docs.is_empty() {
                continue;
            }
            match tf.get_mut(stem) {
                // A stem asked twice: its counts twice.
                Some(all) => docs
                    .into_iter()
                    .for_each(|(d, n)| *all.entry(d).or_default() += n),
                None => {
                    tf.insert(stem.clone(), docs);
                }
            }
        }
        let mut matched: Vec<u64> = (tf.values()).flat_map(|d| d.keys().copied()).collect();
        matched.sort_unstable();
        matched.dedup();
        (matched, tf)
    }

    /// The documents among `syms` (sorted; their fields left to [`DocTable::fields_of`]).
    pub(crate) fn parts(&self, syms: &[u64]) -> Vec<DocParts> {
        self.docs_of(syms).into_iter().flatten().collect()
    }

    /// Nodes' relations as questions read them at this commit.
    pub(crate) fn adjacency(&self) -> &crate::recall_adjacency::Adjacency {
        &self.adjacency
    }

    /// Document `sym`'s distinct stems ([`recall::stem_set`] of its fields, whose texts
    /// `text` gives), kept for the next question.
    pub(crate) fn stems_of(&self, sym: u64, text: &dyn Fn(u64) -> String) -> Vec<u64> {
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

    /// The memories beside each of `syms` (see [`recall::beside`]): per symbol, those it
    /// was recorded next to, with how far.
    pub(crate) fn beside(&self, syms: &[u64]) -> FxHashMap<u64, Vec<(u64, usize)>> {
        // The memories read again since the base, in symbol order.
        let mut over: Vec<(u64, i64)> = (self.over.docs.values())
            .filter(|d| d.kind == "memory")
            .map(|d| (d.sym, d.time))
            .collect();
        over.sort_unstable();
        let gone = |s: u64| self.over.gone.contains(&s);
        let mut out = FxHashMap::default();
        for (sym, d) in syms.iter().zip(self.docs_of_unsorted(syms)) {
            let Some(d) = d.filter(|d| d.kind == "memory") else {
                continue;
            };
            let mut seq = self.base.memories_around(*sym, recall::BESIDE, &gone);
            let at = over.partition_point(|m| m.0 < *sym);
            // (`sym` itself may be at `at`: one more after it.)
            let near = over
                [at.saturating_sub(recall::BESIDE)..(at + recall::BESIDE + 1).min(over.len())]
                .iter()
                .filter(|m| m.0 != *sym);
            seq.extend(near);
            seq.push((*sym, d.time));
            seq.sort_unstable();
            let at = seq.partition_point(|m| m.0 < *sym);
            out.insert(*sym, recall::beside(&seq, at));
        }
        out
    }

    /// [`DocTable::docs_of`] for symbols in any order.
    fn docs_of_unsorted(&self, syms: &[u64]) -> Vec<Option<DocParts>> {
        let mut sorted = syms.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let found = self.docs_of(&sorted);
        (syms.iter())
            .map(|s| found[sorted.binary_search(s).expect("sorted from them")].clone())
            .collect()
    }

    /// The texts of document `sym`'s fields.
    pub(crate) fn fields_of(&self, sym: u64) -> Vec<u64> {
        if !self.over.gone.contains(&sym) {
            return self.base.fields_of(sym);
        }
        let by_doc = &self.over.by_doc;
        let at = by_doc.partition_point(|f| f.0 < sym);
        (by_doc[at..].iter())
            .take_while(|f| f.0 == sym)
            .map(|f| f.1)
            .collect()
    }
}

/// One pass over the documents (a memory or an entity each: the first fact of its symbol,
/// memories first) and their fields in `facts`, as encoded facts: what
/// [`RecallIndex::build`](crate::RecallIndex::build) reads, without a text.
fn read_from(store: &mut Store, facts: &Facts) -> Result<Read, ReadError> {
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
    each(store, facts, "memory", |key, m| {
        if key.len() > 2 && !docs.contains_key(&key[0]) {
            docs.insert(key[0], part(key[0], "memory", key[1], key[2], m));
            fields.push((key[0], key[2], 2.0));
        }
    })?;
    weigh(store, &mut fields, &mut docs, &mut all)?;
    each(store, facts, "entity", |key, m| {
        if key.len() > 1 && !docs.contains_key(&key[0]) {
            docs.insert(key[0], part(key[0], "entity", key[1], key[0], m));
            fields.push((key[0], key[0], 2.0));
            fields.push((key[0], key[1], 1.0));
        }
    })?;
    weigh(store, &mut fields, &mut docs, &mut all)?;
    for (relation, weight) in FIELDS {
        each(store, facts, relation, |key, _| {
            if key.len() > 1 && docs.contains_key(&key[0]) {
                fields.push((key[0], key[1], weight));
            }
        })?;
        weigh(store, &mut fields, &mut docs, &mut all)?;
    }
    each(store, facts, "importance", |key, _| {
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
    Ok(Read {
        docs,
        fields: all,
        by_doc,
        length,
    })
}

/// The marks of every relation a document is read from (`mark` of each).
fn marks(
    store: &mut Store,
    mark: fn(&mut Store, &str) -> Result<LayerMark, ReadError>,
) -> Result<Vec<LayerMark>, ReadError> {
    (RELATIONS.iter()).map(|r| mark(store, r)).collect()
}

/// Calls `f` with each fact of `relation` among `facts`, encoded, in key order.
fn each(
    store: &mut Store,
    facts: &Facts,
    relation: &str,
    mut f: impl FnMut(&[u64], FactMeta),
) -> Result<(), ReadError> {
    match facts {
        Facts::Base => store.each_base_fact(relation, f),
        Facts::Of(docs) => {
            for (key, m) in store.encoded_where(relation, 0, docs)? {
                f(&key, m);
            }
            Ok(())
        }
    }
}

/// Two vectors sorted by `key` merged into one so sorted.
fn merge_by<T, K: Ord>(a: Vec<T>, b: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        let next = match key(x) <= key(y) {
            true => a.next(),
            false => b.next(),
        };
        out.extend(next);
    }
    out.extend(a);
    out.extend(b);
    out
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
