//! Benchmark support: the peer programs engram is measured against (`peers`), the
//! whole-process benchmark (`whole`), input generators (`../shared/bench/gen.py`, `memgen`,
//! `elgen`, `lubmgen`), and timing helpers (`process`).
#![warn(missing_docs)]

pub mod elgen;
pub mod lubmgen;
pub mod memgen;
pub mod peers;
pub mod process;
pub mod whole;

use std::path::{Path, PathBuf};

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

/// A deterministic confidence in [low, 1) for an edge, from its text.
pub fn edge_confidence(a: &str, b: &str, low: f64) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in a.bytes().chain([0]).chain(b.bytes()) {
        h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    low + (1.0 - low) * (h % 100_000) as f64 / 100_000.0
}

/// Copies a two-column `.facts` file to `dst` with a third column, [`edge_confidence`] in
/// [low, 1).
pub fn add_confidences(src: &Path, dst: &Path, low: f64) -> anyhow::Result<()> {
    if dst.exists() {
        return Ok(());
    }
    let text = std::fs::read_to_string(src)?;
    let mut out = String::with_capacity(text.len() * 2);
    for line in text.lines() {
        if let Some((a, b)) = line.split_once('\t') {
            out.push_str(&format!("{a}\t{b}\t{:.6}\n", edge_confidence(a, b, low)));
        }
    }
    if let Some(dir) = dst.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(dst, out)?;
    Ok(())
}

/// Hand-written max-product closure, the best a plain loop does: an adjacency index of edges
/// by target, a dense best-confidence table per pair, and a worklist of pairs whose confidence
/// improved. Returns the pairs.
///
/// `path(x, y) @ c :- edge(x, y) @ c.` and
/// `path(x, z) @ w * c1 * c2 :- edge(x, y) @ c1, path(y, z) @ c2.`
pub fn best_per_key_closure(n: usize, edges: &[(u32, u32, f64)], w: f64) -> Vec<(u32, u32)> {
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
    let mut pairs = Vec::new();
    for (i, &c) in best.iter().enumerate() {
        if c > 0.0 {
            pairs.push(((i / n) as u32, (i % n) as u32));
        }
    }
    pairs
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
