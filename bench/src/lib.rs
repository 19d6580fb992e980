//! Benchmark support: the peer programs engram is measured against (hand-written datafrog),
//! input generation through `../shared/bench/gen.py`, and timing helpers.
#![warn(missing_docs)]

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

/// Compiles `program` and evaluates it on `dir`'s facts; returns the rows of `relation`.
pub fn engram_rows(program: &str, dir: &Path, relation: &str) -> anyhow::Result<usize> {
    let p = engram_engine::Program::compile(program, "bench.dl")?;
    let db = p.evaluate_dir(dir)?;
    Ok(db.relation(relation).map_or(0, |r| r.len()))
}

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
