//! The store's figures (issue 4, DESIGN §6-7), each beside a peer measured in the same run:
//!
//! - open time and first-query latency at 1M and 10M facts, against reading the same facts
//!   from a tab-separated `.facts` file (the way without a store);
//! - bytes a fact on disk (fact runs; strings reported apart) and in a writer's memory;
//! - single-fact add with incremental re-inference on a store of 1M facts with the
//!   transitive-closure program (median and p99, on disk with fsync and in memory), against
//!   re-deriving everything.
//!
//! `cargo bench -p engram-bench --bench store` (`STORE_SIZES=1000000` to skip 10M).

use engram_engine::store::Store;
use engram_engine::{EvalOptions, Program, Value};
use std::path::Path;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TC: &str = r#"
.decl e(x: symbol, y: symbol)
.decl p(x: symbol, y: symbol)
p(x, y) :- e(x, y).
p(x, z) :- e(x, y), p(y, z).
"#;

/// Chains of this many edges: each holds `L (L + 1) / 2` paths.
const L: usize = 10;

fn node(c: usize, i: usize) -> String {
    format!("c{c}_{i}")
}

/// Chains enough for about `facts` facts (edges and paths).
fn chains_for(facts: usize) -> usize {
    facts / (L + L * (L + 1) / 2)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn build(dir: &Path, chains: usize) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let db = dir.join(format!("tc{chains}.db"));
    let tsv = dir.join(format!("e{chains}.facts"));
    if db.exists() {
        return Ok((db, tsv));
    }
    let mut text = String::new();
    let mut s = Store::create(&db)?;
    s.add_rules("tc", TC)?;
    let mut tx = s.transaction()?;
    for c in 0..chains {
        for i in 0..L {
            let (a, b) = (node(c, i), node(c, i + 1));
            text.push_str(&format!("{a}\t{b}\n"));
            tx.add("e", vec![Value::Symbol(a), Value::Symbol(b)])?;
        }
    }
    tx.commit()?;
    s.compact()?;
    std::fs::write(&tsv, text)?;
    Ok((db, tsv))
}

/// Reading the facts without a store: parse the `.facts` file into a relation.
fn tsv_program() -> Program {
    Program::compile(".decl e(x: symbol, y: symbol)\n.input e\n", "tsv.dl").expect("valid")
}

fn open_and_query(db: &Path, runs: usize, chains: usize) -> anyhow::Result<()> {
    let mut opens = Vec::new();
    let mut firsts = Vec::new();
    let mut answers = 0;
    for r in 0..runs {
        let t = Instant::now();
        let mut s = Store::open_read_only(db)?;
        opens.push(t.elapsed());
        let q = format!("?- p(\"{}\", x).", node((r * 7919) % chains, 0));
        let a = s.query(&q)?;
        firsts.push(t.elapsed());
        answers = a[0].answers.len();
    }
    let stats = Store::open_read_only(db)?.stats()?;
    let program = tsv_program();
    let dir = db.parent().expect("in a directory");
    let facts_dir = dir.join(format!("tsv{chains}"));
    std::fs::create_dir_all(&facts_dir)?;
    let edges = dir.join(format!("e{chains}.facts"));
    std::fs::copy(&edges, facts_dir.join("e.facts"))?;
    let mut tsv = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let db = program.evaluate_dir_with(
            &facts_dir,
            &EvalOptions {
                provenance: false,
                ..EvalOptions::default()
            },
        )?;
        assert_eq!(db.relation("e").expect("declared").len(), chains * L);
        tsv.push(t.elapsed());
    }
    let (open, first, tsv) = (median(opens), median(firsts), median(tsv));
    println!(
        "{:>10} facts: open {:.2} ms, open + first query {:.2} ms ({answers} answers); \
         reading only the {} asserted edges from TSV {:.1} ms (open / TSV = {:.3}x, first query / TSV = {:.3}x)",
        stats.facts,
        ms(open),
        ms(first),
        chains * L,
        ms(tsv),
        open.as_secs_f64() / tsv.as_secs_f64(),
        first.as_secs_f64() / tsv.as_secs_f64()
    );
    let tsv_bytes = std::fs::metadata(&edges)?.len() as f64 / (chains * L) as f64;
    println!(
        "{:>10} facts: {:.1} bytes a fact on disk (fact runs) + {} string bytes for {} strings; \
         TSV {:.1} bytes an edge",
        stats.facts, stats.bytes_per_fact, stats.string_bytes, stats.strings, tsv_bytes
    );
    Ok(())
}

fn adds(dir: &Path, chains: usize, n: usize) -> anyhow::Result<()> {
    let (db, _) = build(dir, chains)?;
    let work = dir.join("adds.db");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    for f in std::fs::read_dir(&db)? {
        let f = f?;
        std::fs::copy(f.path(), work.join(f.file_name()))?;
    }
    let mut s = Store::open(&work)?;
    let mut mem = Store::in_memory();
    mem.add_rules("tc", TC)?;
    {
        let mut tx = mem.transaction()?;
        for c in 0..chains {
            for i in 0..L {
                tx.add(
                    "e",
                    vec![Value::Symbol(node(c, i)), Value::Symbol(node(c, i + 1))],
                )?;
            }
        }
        tx.commit()?;
    }
    let add = |s: &mut Store, k: usize| -> anyhow::Result<Duration> {
        // Extend chain k's end by a new node: L + 1 new paths.
        let c = (k * 7919) % chains;
        let t = Instant::now();
        let mut tx = s.transaction()?;
        tx.add(
            "e",
            vec![
                Value::Symbol(node(c, L + k)),
                Value::Symbol(format!("new{k}")),
            ],
        )?;
        tx.add(
            "e",
            vec![Value::Symbol(node(c, L)), Value::Symbol(node(c, L + k))],
        )?;
        let r = tx.commit()?;
        assert!(r.added >= 2, "{r:?}");
        Ok(t.elapsed())
    };
    // The first write loads the tables and builds the indexes.
    let t = Instant::now();
    add(&mut s, 0)?;
    let warm_disk = t.elapsed();
    add(&mut mem, 0)?;
    let mut disk = Vec::new();
    let mut memory = Vec::new();
    for k in 1..=n {
        disk.push(add(&mut s, k)?);
        memory.push(add(&mut mem, k)?);
    }
    let stats = s.stats()?;
    let t = Instant::now();
    s.infer()?;
    let full = t.elapsed();
    println!(
        "{:>10} facts: add (2 facts, new node at a chain's end) with incremental inference: \
         on disk median {:.3} ms, p99 {:.3} ms; in memory median {:.3} ms, p99 {:.3} ms; \
         first add (loads tables) {:.0} ms; re-deriving everything {:.0} ms \
         (full / incremental on disk = {:.0}x)",
        stats.facts,
        ms(median(disk.clone())),
        ms(pct(disk.clone(), 0.99)),
        ms(median(memory.clone())),
        ms(pct(memory, 0.99)),
        ms(warm_disk),
        ms(full),
        full.as_secs_f64() / median(disk).as_secs_f64()
    );
    println!(
        "{:>10} facts: a writer holds {:.1} bytes a fact in memory (tables and indexes)",
        stats.facts,
        stats.memory_bytes as f64 / stats.facts as f64
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(9);
    let sizes: Vec<usize> = std::env::var("STORE_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000_000, 10_000_000]);
    let scratch = std::env::temp_dir().join("engram-store-bench");
    std::fs::create_dir_all(&scratch)?;
    for &size in &sizes {
        let chains = chains_for(size);
        let t = Instant::now();
        let (db, _) = build(&scratch, chains)?;
        eprintln!(
            "store of {size} facts ready ({:.1} s)",
            t.elapsed().as_secs_f64()
        );
        open_and_query(&db, runs, chains)?;
    }
    adds(&scratch, chains_for(1_000_000), 200)?;
    Ok(())
}
