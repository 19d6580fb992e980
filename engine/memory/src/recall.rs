//! Recall: the memories and entities that answer a question, found by text and by the graph.
//!
//! 1. **Seeds by text.** Every memory (title, tags, content, summary) and entity (name, type,
//!    observations) is a document. Words are lower-cased, split on what is not a letter or
//!    digit, common English words ("the", "and", "who") and the pieces contractions leave
//!    ("s" of "Tom's") dropped, and the rest stemmed
//!    (Snowball English, so "retries" finds "retry"); a question's word also looks for the
//!    forms a stemmer cannot join ("went" for "go": `recall_forms.rs`). Documents are scored
//!    by BM25 (k1 = 1.2, b = 0.75) with field weights: a title, tag or name counts twice.
//!    The memories recorded just before and after each of the best text matches (up to
//!    [`BESIDE`] each way in the order memories were first named, none more than an hour
//!    away) get a share of its relevance ([`spread_beside`]).
//! 2. **Expansion by the graph.** From the best seeds, relations are followed either way, the
//!    derived ones included (a `SOLVED_BY`, a `RELATED_TO` from affinity), up to `depth` steps:
//!    a node reached gets its seed's relevance x each relation's confidence x 0.5 a step, by its
//!    best path. Hubs (more than 50 relations, such as a person every memory mentions) are
//!    reached but never expanded from.
//! 3. **Ranking.** relevance x confidence (of the memory or entity fact) x importance (0.5 +
//!    0.5 x its `importance`, which is 0.5 when unknown) x recency (0.5 + 0.5 x
//!    2^(-age / 30 days)).
//! 4. **Diversity.** Among the best 10 candidates per hit asked for, hits are picked by
//!    maximal marginal relevance (λ = 0.7): each next hit
//!    maximises λ x rank - (1 - λ) x its greatest word overlap (Jaccard) with a hit already
//!    picked, so near-duplicates do not fill the list.
//!
//! Each hit says why: the query words it matched, or the path of relations (and the rules
//! that derived them) that reached it.

use engram_core::internal::eval::Rows;
use engram_core::{Database, Origin};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;

/// The relations recall reads.
pub const RELATIONS: &[&str] = &[
    "memory",
    "content",
    "memory_summary",
    "tag",
    "importance",
    "entity",
    "observation",
    "edge",
];

/// How to recall.
#[derive(Clone, Copy, Debug)]
pub struct RecallOptions {
    /// Steps of relations to follow from the text matches (0: text only).
    pub depth: usize,
    /// At most this many hits.
    pub limit: usize,
    /// The time recency is measured from (unix milliseconds).
    pub now: i64,
    /// Only the first this many hits are picked for diversity and given snippets (a page of
    /// the `limit` hits: the same hits, in the same order, as the whole list begins with);
    /// the rest follow bare, by score, so that they are counted. `None`: all of them.
    pub shown: Option<usize>,
}

/// One relation on the path that reached a hit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// Where it starts.
    pub from: String,
    /// Its type.
    pub relation: String,
    /// Where it ends.
    pub to: String,
    /// Its confidence.
    pub confidence: f64,
    /// `asserted`, or the rule that derived it.
    pub rule: String,
}

/// A memory or entity recalled, with why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    /// Its id.
    pub id: String,
    /// `memory` or `entity`.
    pub kind: &'static str,
    /// A memory's type, or an entity's.
    #[serde(rename = "type")]
    pub ty: String,
    /// A memory's title, or an entity's name.
    pub title: String,
    /// The rank it was picked by: relevance x confidence x importance x recency (written
    /// to four decimals).
    #[serde(serialize_with = "four_places")]
    pub score: f64,
    /// Its relevance to the query, in (0, 1]: its text score over the best one, or what a
    /// path passed on (written to four decimals).
    #[serde(serialize_with = "four_places")]
    pub relevance: f64,
    /// The query words it matches (as written), when it was found by its text.
    pub matched: Vec<String>,
    /// The relations that reached it from a text match, when it was found through the graph.
    pub path: Vec<Step>,
    /// The excerpt of its texts (title, content, tags, observations, ...) that holds the most
    /// of the question's words, about 160 characters at most; none when no text of its own
    /// matched (a hit the graph reached).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// When neither its text nor a relation reached it: the memory matching the question
    /// that it was recorded next to (the turn before or after, in one conversation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beside: Option<String>,
    /// Its document in the index.
    #[serde(skip)]
    doc: usize,
}

/// A score as JSON writes it: four decimals are what a ranking tells apart (seventeen
/// digits of a float's noise are not).
fn four_places<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((x * 10_000.0).round() / 10_000.0)
}

impl Hit {
    /// What to show of it in one line: its title when the title holds a word the question
    /// matched (or nothing matched: a hit the graph reached), else the snippet that matched
    /// (from its content or observations), so a hit found by its text shows that text.
    pub fn line(&self) -> &str {
        let matched: Vec<String> = (self.matched.iter())
            .flat_map(|w| words(w).into_iter().map(|s| s.0))
            .collect();
        let in_title = words(&self.title).iter().any(|s| matched.contains(&s.0));
        match (&self.snippet, in_title) {
            (Some(snippet), false) => snippet,
            _ => &self.title,
        }
    }

    /// Why it was returned, in a few words.
    pub fn why(&self) -> String {
        if let (true, true, Some(b)) = (self.path.is_empty(), self.matched.is_empty(), &self.beside)
        {
            format!("recorded next to {b}")
        } else if self.path.is_empty() {
            format!("matches {}", self.matched.join(", "))
        } else {
            let steps: Vec<String> = self
                .path
                .iter()
                .map(|s| format!("{} {} {} ({})", s.from, s.relation, s.to, s.rule))
                .collect();
            format!("via {}", steps.join(", "))
        }
    }
}

/// A document: a memory or an entity, its weighted word counts and what ranking needs.
struct Doc {
    /// Its id's symbol (texts are resolved only for the hits returned).
    sym: u64,
    kind: &'static str,
    /// Its type's and title's symbols.
    ty: u64,
    title: u64,
    /// Its text fields (symbols), for the words it holds.
    fields: Vec<u64>,
    length: f64,
    confidence: f64,
    importance: Option<f64>,
    time: i64,
}

/// A document as gathered from a store's facts: the symbols of its id, type and title, its
/// text fields and length (weighted words), and what ranking reads.
#[derive(Clone)]
pub(crate) struct DocParts {
    pub sym: u64,
    pub kind: &'static str,
    pub ty: u64,
    pub title: u64,
    pub fields: Vec<u64>,
    pub length: f64,
    pub confidence: f64,
    pub importance: Option<f64>,
    pub time: i64,
}

/// An index of a memory for recall: built once from the relations in `RELATIONS`, then
/// asked any number of questions.
pub struct RecallIndex {
    docs: Vec<Doc>,
    /// Per symbol id of a memory or entity: its document.
    by_sym: HashMap<u64, usize>,
    /// Per stemmed word: the documents holding it, with its weighted count in each.
    postings: HashMap<String, Vec<(usize, f64)>>,
    avg_length: f64,
    /// Every relation of `edge`: from, type, to (symbol ids), confidence, rule.
    edges: Vec<Edge>,
    /// Per node (any symbol): its relations either way, as (the other end, the edge).
    graph: HashMap<u64, Vec<(u64, u32)>>,
    /// The rules of the edges, by the rule id of their metadata.
    rules: HashMap<u32, String>,
    interner: engram_core::internal::value::Interner,
    /// How many memories and entities the memory holds (BM25's N): `docs.len()` for an index
    /// of everything, more for one of what a question reaches.
    total_docs: usize,
    /// Nodes known to be hubs whose relations the index does not hold (an index of what a
    /// question reaches): never expanded through, as a hub is not.
    hubs: FxHashSet<u64>,
    /// Per stem, how many documents of the memory hold it, where the index holds fewer of
    /// them (an index of the documents a question can rank); else its postings' length.
    df: FxHashMap<String, usize>,
    /// The memories as (symbol, time) in symbol order, for the memories beside each (an
    /// index of everything; an index of what a question reaches is told them).
    memories: Vec<(u64, i64)>,
}

/// The stems of a text's words with each word as written: the store's analysis, which its
/// word postings are kept by.
fn words(s: &str) -> Vec<(String, String)> {
    engram_store::words(s)
}

/// A candidate: its relevance, the query words it matched (bit `i`: the `i`th distinct one),
/// the edges of the path that reached it.
type Candidate = (f64, u64, Vec<u32>);

/// Candidates by symbol.
type Candidates = FxHashMap<u64, Candidate>;

/// A node with more relations than this is a hub: reached, never expanded through.
pub(crate) const HUB: usize = 50;
/// BM25's term saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Maximal marginal relevance: weight of rank against novelty.
const LAMBDA: f64 = 0.7;
/// Maximal marginal relevance picks among this many candidates per hit asked for.
const POOL: usize = 10;
/// How many text matches the graph is expanded from.
const SEEDS: usize = 20;
const DAY_MS: f64 = 86_400_000.0;

/// Text fields to index: (document, symbol of the text, weight).
type Fields = Vec<(usize, u64, f64)>;

/// A relation of `edge`: from, type, to (symbol ids), confidence, rule.
type Edge = (u64, u64, u64, f64, u32);

/// Per node (any symbol): its relations either way, as (the other end, the edge).
type Adjacency = HashMap<u64, Vec<(u64, u32)>>;

/// The documents: a memory or an entity each (the first row of a symbol), with their
/// importance; each symbol's document; and the text fields to index, as (document, symbol of
/// the text, weight).
fn documents<'r>(rows: &impl Fn(&str) -> &'r Rows) -> (Vec<Doc>, HashMap<u64, usize>, Fields) {
    let mut docs: Vec<Doc> = Vec::new();
    let mut by_sym: HashMap<u64, usize> = HashMap::new();
    let mut fields: Vec<(usize, u64, f64)> = Vec::new();
    for (kind, rel) in [("memory", "memory"), ("entity", "entity")] {
        let r = rows(rel);
        for i in 0..r.len() {
            let row = r.row(i);
            if by_sym.contains_key(&row[0]) {
                continue;
            }
            let m = r.meta(i);
            let title = if kind == "memory" { row[2] } else { row[0] };
            docs.push(Doc {
                sym: row[0],
                kind,
                ty: row[1],
                title,
                fields: Vec::new(),
                length: 0.0,
                confidence: m.conf,
                importance: None,
                time: m.time,
            });
            by_sym.insert(row[0], docs.len() - 1);
            fields.push((docs.len() - 1, title, 2.0));
            if kind == "entity" {
                fields.push((docs.len() - 1, row[1], 1.0));
            }
        }
    }
    for (rel, weight) in [
        ("tag", 2.0),
        ("content", 1.0),
        ("memory_summary", 1.0),
        ("observation", 1.0),
    ] {
        let r = rows(rel);
        for i in 0..r.len() {
            if let Some(&d) = by_sym.get(&r.row(i)[0]) {
                fields.push((d, r.row(i)[1], weight));
            }
        }
    }
    let r = rows("importance");
    for i in 0..r.len() {
        if let Some(&d) = by_sym.get(&r.row(i)[0]) {
            docs[d].importance = Some(engram_core::internal::value::dec_float(r.row(i)[1]));
        }
    }
    for &(d, sym, _) in &fields {
        docs[d].fields.push(sym);
    }
    (docs, by_sym, fields)
}

/// The relations of `edge` (from, type, to, confidence, rule), each node's relations either
/// way, and the name of each rule id.
fn edge_graph(db: &Database, r: &Rows) -> (Vec<Edge>, Adjacency, HashMap<u32, String>) {
    let mut edges = Vec::with_capacity(r.len());
    let mut graph: HashMap<u64, Vec<(u64, u32)>> = HashMap::new();
    let mut rules: HashMap<u32, String> = HashMap::new();
    for i in 0..r.len() {
        let (row, m) = (r.row(i), r.meta(i));
        rules.entry(m.rule).or_insert_with(|| match db.origin(m) {
            Origin::Rule(r) if r == "asserted_relation" => "asserted".into(),
            other => other.to_string(),
        });
        let e = edges.len() as u32;
        edges.push((row[0], row[1], row[2], m.conf, m.rule));
        graph.entry(row[0]).or_default().push((row[2], e));
        graph.entry(row[2]).or_default().push((row[0], e));
    }
    (edges, graph, rules)
}

impl RecallIndex {
    /// Builds the index from a database holding the memory relations (a store's view, or a
    /// program evaluated over memories). Rows are read as symbol ids; text is only looked at to
    /// be split into words.
    pub fn build(db: &Database) -> RecallIndex {
        let empty = engram_core::internal::eval::Rows::default();
        let rows = |name: &str| db.relation(name).map_or(&empty, |r| r.raw().1);
        let interner = db.interner();
        let mut index = RecallIndex::from_rows(db, &rows, &mut |sym| {
            engram_store::stem_counts(interner.resolve_enc(sym))
        });
        index.total_docs = index.docs.len();
        index.memories = (index.docs.iter())
            .filter(|d| d.kind == "memory")
            .map(|d| (d.sym, d.time))
            .collect();
        index.memories.sort_unstable();
        index.avg_length =
            index.docs.iter().map(|d| d.length).sum::<f64>() / index.docs.len().max(1) as f64;
        index
    }

    /// The index of the memories, entities and relations in `rows` (the relations of
    /// [`RELATIONS`] by name; `db` names rules and resolves symbols), where `text(sym)` gives
    /// a text field's number of words and the stems it holds with how often (every stem, or
    /// those a question asks for). Its `total_docs` and `avg_length` are left for the caller:
    /// the whole memory's.
    pub(crate) fn from_rows<'r>(
        db: &Database,
        rows: &impl Fn(&str) -> &'r Rows,
        text: &mut dyn FnMut(u64) -> (u32, Vec<(String, u32)>),
    ) -> RecallIndex {
        let interner = db.interner();
        let (mut docs, by_sym, fields) = documents(rows);
        let mut tf: HashMap<String, FxHashMap<usize, f64>> = HashMap::new();
        for (i, sym, w) in fields {
            let (n, stems) = text(sym);
            docs[i].length += w * f64::from(n);
            for (stem, k) in stems {
                *tf.entry(stem).or_default().entry(i).or_default() += w * f64::from(k);
            }
        }
        let postings = (tf.into_iter())
            .map(|(stem, per_doc)| {
                let mut list: Vec<(usize, f64)> = per_doc.into_iter().collect();
                list.sort_unstable_by_key(|e| e.0);
                (stem, list)
            })
            .collect();
        let (edges, graph, rules) = edge_graph(db, rows("edge"));
        RecallIndex {
            docs,
            by_sym,
            postings,
            avg_length: 0.0,
            edges,
            graph,
            rules,
            interner: interner.clone(),
            total_docs: 0,
            hubs: FxHashSet::default(),
            df: FxHashMap::default(),
            memories: Vec::new(),
        }
    }

    /// The index of documents gathered elsewhere (a store's lookups): `parts`, with the
    /// question's stems in them (`tf`: per stem, weighted counts by document symbol), the
    /// relations `edges` around them (`edge` rows in key order; `db` names their rules), the
    /// whole memory's count of documents and average length, and per stem how many
    /// documents hold it (`df`), when `parts` are fewer than all that do.
    pub(crate) fn from_parts(
        db: &Database,
        parts: Vec<DocParts>,
        tf: &FxHashMap<String, FxHashMap<u64, f64>>,
        (edges, hubs): (&Rows, FxHashSet<u64>),
        (total_docs, avg_length): (usize, f64),
        df: FxHashMap<String, usize>,
    ) -> RecallIndex {
        let interner = db.interner();
        let docs: Vec<Doc> = (parts.into_iter())
            .map(|p| Doc {
                sym: p.sym,
                kind: p.kind,
                ty: p.ty,
                title: p.title,
                fields: p.fields,
                length: p.length,
                confidence: p.confidence,
                importance: p.importance,
                time: p.time,
            })
            .collect();
        let by_sym: HashMap<u64, usize> =
            docs.iter().enumerate().map(|(i, d)| (d.sym, i)).collect();
        let postings = (tf.iter())
            .map(|(stem, per_doc)| {
                let mut list: Vec<(usize, f64)> = (per_doc.iter())
                    .filter_map(|(d, &n)| Some((*by_sym.get(d)?, n)))
                    .collect();
                list.sort_unstable_by_key(|e| e.0);
                (stem.clone(), list)
            })
            .collect();
        let (edges, graph, rules) = edge_graph(db, edges);
        RecallIndex {
            docs,
            by_sym,
            postings,
            avg_length,
            edges,
            graph,
            rules,
            interner: interner.clone(),
            total_docs,
            hubs,
            df,
            memories: Vec::new(),
        }
    }

    /// BM25 per document of the query's stems, and the query words each matched (bit `i`:
    /// the `i`th).
    fn text_scores(&self, query_words: &[(String, String)]) -> FxHashMap<usize, (f64, u64)> {
        let n = self.total_docs as f64;
        let mut scores: FxHashMap<usize, (f64, u64)> = FxHashMap::default();
        for (bit, (stem, _)) in query_words.iter().enumerate() {
            let Some(list) = self.postings.get(stem) else {
                continue;
            };
            let df = self.df.get(stem).copied().unwrap_or(list.len()) as f64;
            for &(i, tf) in list {
                let e = scores.entry(i).or_default();
                e.0 += bm25(n, df, tf, self.docs[i].length, self.avg_length);
                e.1 |= 1 << bit;
            }
        }
        scores
    }

    /// The candidates that are a memory or an entity, ranked by relevance x confidence x
    /// importance x recency: the best few (diversity is weighed among them, not all).
    fn rank(
        &self,
        cands: FxHashMap<u64, Candidate>,
        options: &RecallOptions,
        asked: Option<(i64, i64)>,
    ) -> Vec<(f64, usize, Candidate)> {
        let mut ranked: Vec<(f64, usize, Candidate)> = cands
            .into_iter()
            .filter_map(|(sym, c)| {
                let doc = *self.by_sym.get(&sym)?;
                let d = &self.docs[doc];
                let (facts, now) = ((d.confidence, d.importance), options.now);
                let score = weighed(c.0, facts, d.time, now, asked);
                Some((score, doc, c))
            })
            .collect();
        let order = |a: &(f64, usize, Candidate), b: &(f64, usize, Candidate)| {
            b.0.total_cmp(&a.0).then_with(|| {
                self.text(self.docs[a.1].sym)
                    .cmp(self.text(self.docs[b.1].sym))
            })
        };
        let pool = pool_size(options.limit);
        if ranked.len() > pool {
            ranked.select_nth_unstable_by(pool - 1, order);
            ranked.truncate(pool);
        }
        ranked.sort_by(order);
        ranked
    }

    /// The text of a symbol.
    fn text(&self, sym: u64) -> &str {
        self.interner.resolve_enc(sym)
    }

    /// A relation of the graph as a step of a path.
    fn step(&self, e: u32) -> Step {
        let (from, ty, to, confidence, rule) = self.edges[e as usize];
        let name = |v: u64| self.interner.resolve_enc(v).to_string();
        Step {
            from: name(from),
            relation: name(ty),
            to: name(to),
            confidence,
            rule: self.rules.get(&rule).cloned().unwrap_or_default(),
        }
    }

    /// Number of memories and entities indexed.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The memories and entities that answer `query`, best first (see the module's text).
    pub fn recall(&self, query: &str, options: &RecallOptions) -> Vec<Hit> {
        let fields = |sym: u64| {
            let fields = self.by_sym.get(&sym).map(|&d| &self.docs[d].fields);
            fields.into_iter().flatten().map(|&f| self.text(f))
        };
        let texts = |sym: u64| fields(sym).map(str::to_string).collect();
        let beside = |sym: u64| match self.memories.binary_search_by_key(&sym, |m| m.0) {
            Ok(at) => beside(&self.memories, at),
            Err(_) => Vec::new(),
        };
        let sources = Sources {
            fields: &|sym| stem_set(fields(sym)),
            texts: &texts,
            beside: &beside,
        };
        self.recall_with_fields(query, options, &sources)
    }

    /// [`RecallIndex::recall`] where `fields(sym)` gives a document's distinct stems, as
    /// [`stem_set`] makes them (for the word overlap of the hits diversity weighs), and
    /// `texts(sym)` its texts (for the hits' snippets): an index of what a question reaches
    /// holds no fields.
    pub(crate) fn recall_with_fields(
        &self,
        query: &str,
        options: &RecallOptions,
        sources: &Sources<'_>,
    ) -> Vec<Hit> {
        let query_words = query_words(query);
        let scores = self.text_scores(&query_words);
        // The words a mask names, as written, sorted and distinct.
        let matched_words = |mask: u64| -> Vec<String> {
            let set: BTreeSet<&String> = (0..query_words.len())
                .filter(|b| mask >> b & 1 == 1)
                .map(|b| &query_words[b].1)
                .collect();
            set.into_iter().cloned().collect()
        };
        let Some((mut cands, seeds)) = self.seeds(&scores) else {
            return Vec::new();
        };
        let next_to = spread_beside(&seeds, sources.beside, &mut cands);
        for (seed, relevance) in seeds {
            self.expand(seed, relevance, options.depth, &mut cands);
        }
        let ranked: Vec<Hit> = self
            .rank(
                cands,
                options,
                crate::recall_when::asked_time(query, options.now),
            )
            .into_iter()
            .map(|(score, doc, (relevance, matched, path))| {
                let d = &self.docs[doc];
                Hit {
                    id: self.text(d.sym).to_string(),
                    kind: d.kind,
                    ty: self.text(d.ty).to_string(),
                    title: self.text(d.title).to_string(),
                    score,
                    relevance,
                    matched: matched_words(matched),
                    beside: (path.is_empty() && matched == 0)
                        .then(|| next_to.get(&d.sym))
                        .flatten()
                        .map(|&s| self.text(s).to_string()),
                    path: path.into_iter().map(|e| self.step(e)).collect(),
                    snippet: None,
                    doc,
                }
            })
            .collect();
        let stems: Vec<String> = query_words.iter().map(|w| w.0.clone()).collect();
        let shown = options.shown.unwrap_or(options.limit).min(options.limit);
        let mut hits = self.diversify(ranked, options.limit, shown, sources.fields);
        for h in hits
            .iter_mut()
            .take(shown)
            .filter(|h| !h.matched.is_empty())
        {
            h.snippet =
                crate::recall_snippet::snippet(&(sources.texts)(self.docs[h.doc].sym), &stems);
        }
        hits
    }

    /// The text matches as candidates (relevance: score over the best), and the best
    /// [`SEEDS`] of them, which the graph is expanded from; `None` if nothing matched.
    fn seeds(
        &self,
        scores: &FxHashMap<usize, (f64, u64)>,
    ) -> Option<(Candidates, Vec<(u64, f64)>)> {
        let best = scores.values().map(|s| s.0).fold(0.0, f64::max);
        if best <= 0.0 {
            return None;
        }
        // Candidates: relevance and how they were reached.
        let mut cands: FxHashMap<u64, Candidate> = FxHashMap::default();
        for (&i, &(s, matched)) in scores {
            cands.insert(self.docs[i].sym, (s / best, matched, Vec::new()));
        }
        let seeds = top_seeds(cands.iter().map(|(&id, c)| (id, c.0)).collect());
        Some((cands, seeds))
    }

    /// Follows relations from `seed` up to `depth` steps, passing on relevance.
    fn expand(
        &self,
        seed: u64,
        relevance: f64,
        depth: usize,
        cands: &mut FxHashMap<u64, Candidate>,
    ) {
        let mut frontier: Vec<(u64, f64, Vec<u32>)> = vec![(seed, relevance, Vec::new())];
        for _ in 0..depth {
            let mut next = Vec::new();
            for (node, r, path) in frontier {
                let Some(edges) = self.graph.get(&node) else {
                    continue;
                };
                if edges.len() > HUB || self.hubs.contains(&node) {
                    continue;
                }
                for &(other, e) in edges {
                    let passed = r * self.edges[e as usize].3 * 0.5;
                    let better = cands.get(&other).is_none_or(|c| c.0 < passed);
                    if better && other != seed {
                        let mut p = path.clone();
                        p.push(e);
                        // A text match keeps the words it matched beside the better path.
                        let matched = cands.remove(&other).map(|c| c.1).unwrap_or_default();
                        cands.insert(other, (passed, matched, p.clone()));
                        next.push((other, passed, p));
                    }
                }
            }
            frontier = next;
        }
    }

    /// Picks up to `shown` hits by maximal marginal relevance (greedily: the first picks are
    /// the same however many are picked), then the rest up to `limit` as ranked.
    fn diversify(
        &self,
        ranked: Vec<Hit>,
        limit: usize,
        shown: usize,
        fields: &dyn Fn(u64) -> Vec<u64>,
    ) -> Vec<Hit> {
        // Only the candidates a pick can reach are compared: all of them while picking.
        let sets: Vec<Vec<u64>> = match shown {
            0 => vec![Vec::new(); ranked.len()],
            _ => (ranked.iter())
                .map(|h| fields(self.docs[h.doc].sym))
                .collect(),
        };
        let top = ranked.first().map_or(1.0, |h| h.score).max(1e-12);
        let mut picked: Vec<usize> = Vec::new();
        let mut left: Vec<usize> = (0..ranked.len()).collect();
        // Each candidate's largest overlap with a hit picked so far, kept up to date as hits
        // are picked (one comparison per candidate and pick, not per pick already made).
        let mut overlap = vec![0.0f64; ranked.len()];
        while picked.len() < shown && !left.is_empty() {
            let mmr = |i: usize| LAMBDA * ranked[i].score / top - (1.0 - LAMBDA) * overlap[i];
            let (k, _) = left
                .iter()
                .map(|&i| (i, mmr(i)))
                .enumerate()
                .max_by(|a, b| a.1.1.total_cmp(&b.1.1).then(b.1.0.cmp(&a.1.0)))
                .expect("not empty");
            let j = left.remove(k);
            picked.push(j);
            for &i in &left {
                overlap[i] = overlap[i].max(jaccard(&sets[i], &sets[j]));
            }
        }
        // The rest as ranked (`left` keeps rank order).
        picked.extend(left.into_iter().take(limit.saturating_sub(picked.len())));
        let mut ranked: Vec<Option<Hit>> = ranked.into_iter().map(Some).collect();
        picked
            .into_iter()
            .filter_map(|i| ranked[i].take())
            .collect()
    }
}

/// The distinct stems of `texts`' words, as sorted hashes (compared by a merge, not as
/// strings): what diversity compares two hits by.
pub(crate) fn stem_set<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<u64> {
    let mut set: Vec<u64> = Vec::new();
    for text in texts {
        engram_store::each_word(text, |stem, _| {
            set.push(rustc_hash::FxBuildHasher.hash_one(stem));
        });
    }
    set.sort_unstable();
    set.dedup();
    set
}

/// What [`RecallIndex::recall_with_fields`] reads besides the index: a document's distinct
/// stems, as [`stem_set`] makes them (for the word overlap diversity weighs), its texts (for
/// the snippets), and the memories beside a memory ([`beside`]): an index of what a question
/// reaches holds none of them itself.
pub(crate) struct Sources<'a> {
    pub fields: &'a dyn Fn(u64) -> Vec<u64>,
    pub texts: &'a dyn Fn(u64) -> Vec<String>,
    pub beside: &'a dyn Fn(u64) -> Vec<(u64, usize)>,
}

/// How many memories on each side of a text match share its relevance.
pub(crate) const BESIDE: usize = 2;
/// Memories more than this apart in time are not beside each other (another conversation).
const BESIDE_GAP_MS: i64 = 3_600_000;
/// The share of a text match's relevance a memory one place from it gets (halved again for
/// each place further).
const BESIDE_SHARE: f64 = 0.5;

/// The memories beside the one at `at` of `seq` ((symbol, time) in symbol order: the order
/// memories were first named in, which is the order they were recorded in): up to
/// [`BESIDE`] each way, up to the first more than an hour from it; each with how far.
pub(crate) fn beside(seq: &[(u64, i64)], at: usize) -> Vec<(u64, usize)> {
    let t = seq[at].1;
    let near = |i: &usize| (seq[*i].1 - t).abs() <= BESIDE_GAP_MS;
    let before = (at.saturating_sub(BESIDE)..at).rev().take_while(near);
    let after = (at + 1..seq.len().min(at + 1 + BESIDE)).take_while(near);
    before
        .chain(after)
        .map(|i| (seq[i].0, i.abs_diff(at)))
        .collect()
}

/// Gives the memories beside each seed (a text match the graph is expanded from) a share of
/// its relevance: a question's answer often lies in the turn after the one that names its
/// words ("where did you go?" - "to Porto"). A text match beside a seed adds the share to
/// its own; another memory gets it as its relevance. Returns, per memory reached this way
/// alone, the seed it is beside.
fn spread_beside(
    seeds: &[(u64, f64)],
    beside: &dyn Fn(u64) -> Vec<(u64, usize)>,
    cands: &mut Candidates,
) -> FxHashMap<u64, u64> {
    let mut next_to = FxHashMap::default();
    for &(seed, relevance) in seeds {
        for (other, far) in beside(seed) {
            let share = relevance * BESIDE_SHARE.powi(far as i32);
            match cands.get_mut(&other) {
                Some(c) if c.1 != 0 => c.0 = (c.0 + share).min(1.0),
                Some(c) if c.0 < share => {
                    c.0 = share;
                    next_to.insert(other, seed);
                }
                Some(_) => {}
                None => {
                    cands.insert(other, (share, 0, Vec::new()));
                    next_to.insert(other, seed);
                }
            }
        }
    }
    next_to
}

/// BM25's weight of a stem in a document: of `n` documents, `df` hold the stem; `tf` is its
/// weighted count in this one, of weighted length `length`; `avg` the average length.
pub(crate) fn bm25(n: f64, df: f64, tf: f64, length: f64, avg: f64) -> f64 {
    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
    let norm = K1 * (1.0 - B + B * length / avg.max(1e-9));
    idf * tf * (K1 + 1.0) / (tf + norm)
}

/// A candidate's score: its relevance weighed by its document's confidence, importance and
/// recency at `now`, or, when the question asks about a time (`asked`,
/// [`crate::recall_when`]) and the document is of it, by [`crate::recall_when::BOOST`]
/// instead of its recency.
pub(crate) fn weighed(
    relevance: f64,
    (confidence, importance): (f64, Option<f64>),
    time: i64,
    now: i64,
    asked: Option<(i64, i64)>,
) -> f64 {
    let importance = 0.5 + 0.5 * importance.unwrap_or(0.5).clamp(0.0, 1.0);
    let age = (now - time).max(0) as f64 / DAY_MS;
    let recency = match asked {
        // A question about a time asks for that time, however long ago.
        Some((start, end)) if (start..end).contains(&time) => crate::recall_when::BOOST,
        _ => 0.5 + 0.5 * (-age / 30.0).exp2(),
    };
    relevance * confidence * importance * recency
}

/// How many of the best candidates diversity is weighed among, for `limit` hits.
pub(crate) fn pool_size(limit: usize) -> usize {
    (limit * POOL).max(POOL)
}

/// The [`SEEDS`] most relevant of `cands` (symbol, relevance), which the graph is expanded
/// from: most relevant first, then by symbol.
pub(crate) fn top_seeds(mut cands: Vec<(u64, f64)>) -> Vec<(u64, f64)> {
    cands.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    cands.truncate(SEEDS);
    cands
}

/// The distinct stems of a question (at most 64), each with the word as written; then the
/// stems of its words' other forms a stemmer does not join ("went" for "go":
/// [`crate::recall_forms`]), each with the question's word it stands for.
pub(crate) fn query_words(query: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let push = |out: &mut Vec<(String, String)>, stem: String, written: &str| {
        if out.len() < 64 && !out.iter().any(|q| q.0 == stem) {
            out.push((stem, written.to_string()));
        }
    };
    let asked = words(query);
    for (stem, written) in &asked {
        push(&mut out, stem.clone(), &written.to_lowercase());
    }
    for (_, written) in &asked {
        let lower = written.to_lowercase();
        for form in crate::recall_forms::other_forms(&lower) {
            for (stem, _) in words(form) {
                push(&mut out, stem, &lower);
            }
        }
    }
    out
}

fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    // Both sorted and distinct: the intersection counted by a merge, without branches on the
    // comparisons (which a merge of hashes cannot predict).
    let (mut i, mut j, mut both) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        both += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        return 0.0;
    }
    both as f64 / union as f64
}
