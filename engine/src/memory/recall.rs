//! Recall: the memories and entities that answer a question, found by text and by the graph.
//!
//! 1. **Seeds by text.** Every memory (title, tags, content, summary) and entity (name, type,
//!    observations) is a document. Words are lower-cased, split on what is not a letter or
//!    digit, common English words ("the", "and", "who") dropped, and the rest stemmed
//!    (Snowball English, so "retries" finds "retry"). Documents are scored
//!    by BM25 (k1 = 1.2, b = 0.75) with field weights: a title, tag or name counts twice.
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

use crate::database::{Database, Fact, Origin};
use crate::value::Value;
use rust_stemmers::{Algorithm, Stemmer};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

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
    /// The rank it was picked by: relevance x confidence x importance x recency.
    pub score: f64,
    /// Its relevance to the query, in (0, 1]: its text score over the best one, or what a
    /// path passed on.
    pub relevance: f64,
    /// The query words it matches (as written), when it was found by its text.
    pub matched: Vec<String>,
    /// The relations that reached it from a text match, when it was found through the graph.
    pub path: Vec<Step>,
}

impl Hit {
    /// Why it was returned, in a few words.
    pub fn why(&self) -> String {
        if self.path.is_empty() {
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
    id: String,
    kind: &'static str,
    ty: String,
    title: String,
    terms: HashMap<String, f64>,
    length: f64,
    confidence: f64,
    importance: Option<f64>,
    time: i64,
}

/// An index of a memory for recall: built once from the relations in [`RELATIONS`], then
/// asked any number of questions.
pub struct RecallIndex {
    docs: Vec<Doc>,
    by_id: HashMap<String, usize>,
    /// Per stemmed word: the documents holding it.
    postings: HashMap<String, Vec<usize>>,
    avg_length: f64,
    /// Per node (a document or any other symbol): its relations, either way.
    graph: HashMap<String, Vec<(String, Step)>>,
    stemmer: Stemmer,
}

fn text(v: &Value) -> String {
    match v {
        Value::Symbol(s) => s.clone(),
        other => other.to_string(),
    }
}

/// English words too common to tell documents apart: neither indexed nor searched.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "how",
    "i", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our",
    "so", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to",
    "too", "us", "was", "we", "were", "what", "when", "where", "which", "who", "why", "will",
    "with", "would", "you", "your",
];

/// The stems of a text's words, with each word as written (stop words left out).
fn words(stemmer: &Stemmer, s: &str) -> Vec<(String, String)> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter_map(|w| {
            let lower = w.to_lowercase();
            if STOP_WORDS.contains(&lower.as_str()) {
                return None;
            }
            Some((stemmer.stem(&lower).into_owned(), w.to_string()))
        })
        .collect()
}

/// A node with more relations than this is a hub: reached, never expanded through.
const HUB: usize = 50;
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

impl RecallIndex {
    /// Builds the index from a database holding the memory relations (a store's view, or a
    /// program evaluated over memories).
    pub fn build(db: &Database) -> RecallIndex {
        let stemmer = Stemmer::create(Algorithm::English);
        let facts = |name: &str| -> Vec<Fact> {
            db.relation(name)
                .map(|r| r.facts().collect())
                .unwrap_or_default()
        };
        let mut docs: Vec<Doc> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut fields: Vec<(usize, String, f64)> = Vec::new();
        for f in facts("memory") {
            let id = text(&f.values[0]);
            let i = add_doc(&mut docs, &mut by_id, id, "memory", &f);
            fields.push((i, text(&f.values[2]), 2.0));
        }
        for f in facts("entity") {
            let id = text(&f.values[0]);
            if by_id.contains_key(&id) {
                continue;
            }
            let i = add_doc(&mut docs, &mut by_id, id.clone(), "entity", &f);
            fields.push((i, id, 2.0));
            fields.push((i, text(&f.values[1]), 1.0));
        }
        for (rel, weight) in [
            ("tag", 2.0),
            ("content", 1.0),
            ("memory_summary", 1.0),
            ("observation", 1.0),
        ] {
            for f in facts(rel) {
                if let Some(&i) = by_id.get(&text(&f.values[0])) {
                    fields.push((i, text(&f.values[1]), weight));
                }
            }
        }
        for f in facts("importance") {
            if let (Some(&i), Value::Float(x)) = (by_id.get(&text(&f.values[0])), &f.values[1]) {
                docs[i].importance = Some(*x);
            }
        }
        let mut postings: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, s, w) in fields {
            for (stem, _) in words(&stemmer, &s) {
                let d = &mut docs[i];
                d.length += w;
                let tf = d.terms.entry(stem.clone()).or_insert(0.0);
                if *tf == 0.0 {
                    postings.entry(stem).or_default().push(i);
                }
                *tf += w;
            }
        }
        let avg_length = docs.iter().map(|d| d.length).sum::<f64>() / docs.len().max(1) as f64;
        let mut graph: HashMap<String, Vec<(String, Step)>> = HashMap::new();
        for f in facts("edge") {
            let v: Vec<String> = f.values.iter().map(text).collect();
            let step = Step {
                from: v[0].clone(),
                relation: v[1].clone(),
                to: v[2].clone(),
                confidence: f.confidence,
                rule: match &f.origin {
                    Origin::Rule(r) if r == "asserted_relation" => "asserted".into(),
                    other => other.to_string(),
                },
            };
            graph
                .entry(v[0].clone())
                .or_default()
                .push((v[2].clone(), step.clone()));
            graph
                .entry(v[2].clone())
                .or_default()
                .push((v[0].clone(), step));
        }
        RecallIndex {
            docs,
            by_id,
            postings,
            avg_length,
            graph,
            stemmer,
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
        let query_words = words(&self.stemmer, query);
        let n = self.docs.len() as f64;
        // BM25 per document, and the query words each matched.
        let mut scores: HashMap<usize, (f64, BTreeSet<String>)> = HashMap::new();
        let mut seen_stems = BTreeSet::new();
        for (stem, written) in &query_words {
            let Some(list) = self.postings.get(stem) else {
                continue;
            };
            if !seen_stems.insert(stem.clone()) {
                continue;
            }
            let df = list.len() as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for &i in list {
                let d = &self.docs[i];
                let tf = d.terms[stem];
                let norm = K1 * (1.0 - B + B * d.length / self.avg_length.max(1e-9));
                let e = scores.entry(i).or_default();
                e.0 += idf * tf * (K1 + 1.0) / (tf + norm);
                e.1.insert(written.to_lowercase());
            }
        }
        let best = scores.values().map(|s| s.0).fold(0.0, f64::max);
        if best <= 0.0 {
            return Vec::new();
        }
        // Candidates: relevance and how they were reached.
        let mut cands: HashMap<String, (f64, Vec<String>, Vec<Step>)> = HashMap::new();
        for (&i, (s, matched)) in &scores {
            cands.insert(
                self.docs[i].id.clone(),
                (s / best, matched.iter().cloned().collect(), Vec::new()),
            );
        }
        let mut seeds: Vec<(String, f64)> = cands.iter().map(|(id, c)| (id.clone(), c.0)).collect();
        seeds.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        seeds.truncate(SEEDS);
        for (seed, relevance) in seeds {
            self.expand(&seed, relevance, options.depth, &mut cands);
        }
        // Rank what is a memory or an entity.
        let mut ranked: Vec<Hit> = cands
            .into_iter()
            .filter_map(|(id, (relevance, matched, path))| {
                let d = &self.docs[*self.by_id.get(&id)?];
                let importance = 0.5 + 0.5 * d.importance.unwrap_or(0.5).clamp(0.0, 1.0);
                let age = (options.now - d.time).max(0) as f64 / DAY_MS;
                let recency = 0.5 + 0.5 * (-age / 30.0).exp2();
                Some(Hit {
                    id,
                    kind: d.kind,
                    ty: d.ty.clone(),
                    title: d.title.clone(),
                    score: relevance * d.confidence * importance * recency,
                    relevance,
                    matched,
                    path,
                })
            })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        // Diversity is weighed among the best few candidates, not all of them.
        ranked.truncate((options.limit * POOL).max(POOL));
        self.diversify(ranked, options.limit)
    }

    /// Follows relations from `seed` up to `depth` steps, passing on relevance.
    fn expand(
        &self,
        seed: &str,
        relevance: f64,
        depth: usize,
        cands: &mut HashMap<String, (f64, Vec<String>, Vec<Step>)>,
    ) {
        let mut frontier: Vec<(String, f64, Vec<Step>)> =
            vec![(seed.to_string(), relevance, Vec::new())];
        for _ in 0..depth {
            let mut next = Vec::new();
            for (node, r, path) in frontier {
                let Some(edges) = self.graph.get(&node) else {
                    continue;
                };
                if edges.len() > HUB {
                    continue;
                }
                for (other, step) in edges {
                    let passed = r * step.confidence * 0.5;
                    let better = cands.get(other).is_none_or(|c| c.0 < passed);
                    if better && other != seed {
                        let mut p = path.clone();
                        p.push(step.clone());
                        // A text match keeps the words it matched beside the better path.
                        let matched = cands.remove(other).map(|c| c.1).unwrap_or_default();
                        cands.insert(other.clone(), (passed, matched, p.clone()));
                        next.push((other.clone(), passed, p));
                    }
                }
            }
            frontier = next;
        }
    }

    /// Picks up to `limit` hits by maximal marginal relevance.
    fn diversify(&self, ranked: Vec<Hit>, limit: usize) -> Vec<Hit> {
        let words_of = |h: &Hit| -> BTreeSet<&str> {
            self.by_id
                .get(&h.id)
                .map(|&i| self.docs[i].terms.keys().map(String::as_str).collect())
                .unwrap_or_default()
        };
        let sets: Vec<BTreeSet<&str>> = ranked.iter().map(words_of).collect();
        let top = ranked.first().map_or(1.0, |h| h.score).max(1e-12);
        let mut picked: Vec<usize> = Vec::new();
        let mut left: Vec<usize> = (0..ranked.len()).collect();
        while picked.len() < limit && !left.is_empty() {
            let mmr = |i: usize| {
                let overlap = picked
                    .iter()
                    .map(|&j| jaccard(&sets[i], &sets[j]))
                    .fold(0.0, f64::max);
                LAMBDA * ranked[i].score / top - (1.0 - LAMBDA) * overlap
            };
            let (k, _) = left
                .iter()
                .enumerate()
                .max_by(|a, b| mmr(*a.1).total_cmp(&mmr(*b.1)).then(b.1.cmp(a.1)))
                .expect("not empty");
            picked.push(left.remove(k));
        }
        let mut ranked: Vec<Option<Hit>> = ranked.into_iter().map(Some).collect();
        picked
            .into_iter()
            .filter_map(|i| ranked[i].take())
            .collect()
    }
}

/// The document of a memory or entity fact, added on first sight.
fn add_doc(
    docs: &mut Vec<Doc>,
    by_id: &mut HashMap<String, usize>,
    id: String,
    kind: &'static str,
    f: &Fact,
) -> usize {
    *by_id.entry(id.clone()).or_insert_with(|| {
        let title = if kind == "memory" {
            text(&f.values[2])
        } else {
            id.clone()
        };
        docs.push(Doc {
            id,
            kind,
            ty: text(&f.values[1]),
            title,
            terms: HashMap::new(),
            length: 0.0,
            confidence: f.confidence,
            importance: None,
            time: f.time,
        });
        docs.len() - 1
    })
}

fn jaccard(a: &BTreeSet<&str>, b: &BTreeSet<&str>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}
