//! Benchmark support: the peer programs engram is measured against (hand-written datafrog),
//! input generation through `../shared/bench/gen.py`, and timing helpers.
#![warn(missing_docs)]

pub mod memgen;
pub mod process;

use datafrog::{Iteration, Relation};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `../shared/bench/gen.py`.
pub fn gen_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/gen.py")
}

/// Runs `gen.py` with `args` into `dir` (skipped when the output file already exists).
pub fn generate(args: &[&str], dir: &Path, file: &str) -> anyhow::Result<PathBuf> {
    let out = dir.join(file);
    if out.exists() {
        return Ok(out);
    }
    let status = std::process::Command::new("python3")
        .arg(gen_script())
        .args(args)
        .arg(dir)
        .status()?;
    anyhow::ensure!(status.success(), "gen.py {args:?} failed");
    Ok(out)
}

/// Reads a two-column tab-separated file of names, interning them as dense ids.
pub fn read_pairs(path: &Path) -> anyhow::Result<Vec<(u32, u32)>> {
    let text = std::fs::read_to_string(path)?;
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut pairs = Vec::new();
    for line in text.lines() {
        let Some((a, b)) = line.split_once('\t') else {
            continue;
        };
        let b = b.split('\t').next().unwrap_or(b);
        let next = ids.len() as u32;
        let a = *ids.entry(a).or_insert(next);
        let next = ids.len() as u32;
        let b = *ids.entry(b).or_insert(next);
        pairs.push((a, b));
    }
    Ok(pairs)
}

/// Hand-written datafrog transitive closure; returns the number of `path` rows.
pub fn datafrog_tc(edges: &[(u32, u32)]) -> usize {
    let mut iteration = Iteration::new();
    let edge_by_dst: Relation<(u32, u32)> = edges.iter().map(|&(x, y)| (y, x)).collect();
    let path = iteration.variable::<(u32, u32)>("path");
    path.extend(edges.iter().copied());
    while iteration.changed() {
        // path(x, z) :- edge(x, y), path(y, z).
        path.from_join(&path, &edge_by_dst, |_y, &z, &x| (x, z));
    }
    path.complete().len()
}

/// Hand-written datafrog same-generation over `parent(child, parent)`; returns the `sg` rows.
pub fn datafrog_sg(parent: &[(u32, u32)]) -> usize {
    let mut iteration = Iteration::new();
    let by_parent: Relation<(u32, u32)> = parent.iter().map(|&(c, p)| (p, c)).collect();
    let sg = iteration.variable::<(u32, u32)>("sg");
    let t = iteration.variable::<(u32, u32)>("t");
    // sg(x, y) :- parent(x, p), parent(y, p), x != y.
    sg.insert(
        Relation::from_join(&by_parent, &by_parent, |_p, &x, &y| (x, y)).filter(|&(x, y)| x != y),
    );
    while iteration.changed() {
        // t(b, x) :- parent(x, a), sg(a, b).
        t.from_join(&sg, &by_parent, |_a, &b, &x| (b, x));
        // sg(x, y) :- t(b, x), parent(y, b).
        sg.from_join(&t, &by_parent, |_b, &x, &y| (x, y));
    }
    sg.complete().len()
}

trait FilterRelation<T: Ord> {
    fn filter(self, keep: impl FnMut(&T) -> bool) -> Relation<T>;
}

impl<T: Ord> FilterRelation<T> for Relation<T> {
    fn filter(mut self, mut keep: impl FnMut(&T) -> bool) -> Relation<T> {
        self.elements.retain(|t| keep(t));
        self
    }
}

/// Compiles `program` and evaluates it on `dir`'s facts as plain Datalog (no provenance unless
/// the program uses confidence syntax); returns the rows of `relation`.
pub fn engram_rows(program: &str, dir: &Path, relation: &str) -> anyhow::Result<usize> {
    let p = engram_engine::Program::compile(program, "bench.dl")?;
    let options = engram_engine::EvalOptions {
        provenance: false,
        ..engram_engine::EvalOptions::default()
    };
    let db = p.evaluate_dir_with(dir, &options)?;
    Ok(db.relation(relation).map_or(0, |r| r.len()))
}

/// A deterministic confidence in [0.9, 1) for an edge, from its text.
pub fn edge_confidence(a: &str, b: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in a.bytes().chain([0]).chain(b.bytes()) {
        h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    0.9 + (h % 100_000) as f64 / 1_000_000.0
}

/// Copies a two-column `.facts` file to `dst` with a third column, [`edge_confidence`].
pub fn add_confidences(src: &Path, dst: &Path) -> anyhow::Result<()> {
    if dst.exists() {
        return Ok(());
    }
    let text = std::fs::read_to_string(src)?;
    let mut out = String::with_capacity(text.len() * 2);
    for line in text.lines() {
        if let Some((a, b)) = line.split_once('\t') {
            out.push_str(&format!("{a}\t{b}\t{:.6}\n", edge_confidence(a, b)));
        }
    }
    if let Some(dir) = dst.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(dst, out)?;
    Ok(())
}

/// Edges with a confidence: (source, target, confidence).
pub type WeightedEdges = Vec<(u32, u32, f64)>;

/// Reads a three-column `.facts` file (name, name, confidence), interning names as dense ids;
/// returns the number of names and the edges.
pub fn read_weighted(path: &Path) -> anyhow::Result<(usize, WeightedEdges)> {
    let text = std::fs::read_to_string(path)?;
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut edges = Vec::new();
    for line in text.lines() {
        let mut fields = line.split('\t');
        let (Some(a), Some(b), Some(c)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let next = ids.len() as u32;
        let a = *ids.entry(a).or_insert(next);
        let next = ids.len() as u32;
        let b = *ids.entry(b).or_insert(next);
        edges.push((a, b, c.parse()?));
    }
    Ok((ids.len(), edges))
}

/// Hand-written max-product closure, the best a plain loop does: an adjacency index of edges
/// by target, a dense best-confidence table per pair, and a worklist of pairs whose confidence
/// improved. Returns the number of pairs.
///
/// `path(x, y) @ c :- edge(x, y) @ c.` and
/// `path(x, z) @ w * c1 * c2 :- edge(x, y) @ c1, path(y, z) @ c2.`
pub fn best_per_key_closure(n: usize, edges: &[(u32, u32, f64)], w: f64) -> usize {
    let mut into: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    for &(x, y, c) in edges {
        into[y as usize].push((x, c));
    }
    let mut best = vec![0.0f64; n * n];
    let mut delta: Vec<(u32, u32)> = Vec::new();
    for &(x, y, c) in edges {
        let slot = &mut best[x as usize * n + y as usize];
        if c > *slot {
            if *slot == 0.0 {
                delta.push((x, y));
            }
            *slot = c;
        }
    }
    delta.sort_unstable();
    delta.dedup();
    let mut next = Vec::new();
    while !delta.is_empty() {
        for &(y, z) in &delta {
            let c2 = best[y as usize * n + z as usize];
            for &(x, c1) in &into[y as usize] {
                let cand = w * c1 * c2;
                let slot = &mut best[x as usize * n + z as usize];
                if cand > *slot * (1.0 + 1e-9) {
                    *slot = cand;
                    next.push((x, z));
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        std::mem::swap(&mut delta, &mut next);
        next.clear();
    }
    best.iter().filter(|&&c| c > 0.0).count()
}

/// Transitive closure with confidences: weighted input edges, a rule weight of 0.9.
pub const TC_CONFIDENCE_PROGRAM: &str = r#"
.decl edge(x: symbol, y: symbol)
.input edge(confidence=true)
.decl path(x: symbol, y: symbol)
path(x, y) :- edge(x, y).
@weight(0.9)
path(x, z) :- edge(x, y), path(y, z).
"#;

/// The median wall time of `runs` runs of `f`, and its last result.
pub fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let r = f();
        times.push(start.elapsed());
        last = Some(r);
    }
    times.sort();
    (times[times.len() / 2], last.expect("at least one run"))
}

/// Boolean transitive closure in Soufflé's dialect.
pub const TC_PROGRAM: &str = r#"
.decl edge(x: symbol, y: symbol)
.input edge
.decl path(x: symbol, y: symbol)
path(x, y) :- edge(x, y).
path(x, z) :- edge(x, y), path(y, z).
"#;

/// Same generation in Soufflé's dialect.
pub const SG_PROGRAM: &str = r#"
.decl parent(x: symbol, y: symbol)
.input parent
.decl sg(x: symbol, y: symbol)
sg(x, y) :- parent(x, p), parent(y, p), x != y.
sg(x, y) :- parent(x, a), sg(a, b), parent(y, b).
"#;
