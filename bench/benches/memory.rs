//! The agent-memory workload: a synthetic memory (`memgen`: by default 100,000 memories and
//! 1,000,000 relations, heavy-tailed, with hubs, aliases and contradictions) loaded into a
//! store with the standard rules (`rules/`), as users run it:
//!
//! - full inference: `engram init` then `engram load memories.jsonl` as whole processes
//!   (reading, every rule of the library, writing the store), wall time and peak memory;
//! - a single add: one new memory with three relations, committed with inference, on that
//!   store (in-process, the library's `Transaction`), median and p99;
//! - recall: `RecallIndex::recall` on a warm index (as a long-running agent server keeps it),
//!   median, and `engram recall` as a whole process;
//! - bytes a fact on disk.
//!
//! `cargo bench -p engram-bench --bench memory`; `MEMORY_SCALE=10000` for 10,000 memories and
//! 100,000 relations; `ADD_RUNS` single adds (default 5; the first, which loads the writer's
//! tables, is reported on its own).

use engram_bench::process::{build_release, measure, median, quantile, workspace};
use engram_engine::memory::MemoryExt;
use engram_engine::memory::RecallOptions;
use engram_engine::store::Store;
use std::time::Instant;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The bytes of every file in a directory (a store: its runs, strings, log and manifest).
fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    build_release();
    let root = workspace();
    let engram = root.join("target/release/engram");
    let memories = env("MEMORY_SCALE", 100_000);
    let relations = memories * 10;
    let dir = std::env::temp_dir().join(format!("engram-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("memories.jsonl");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        let c = engram_bench::memgen::write(&mut out, memories, relations, 1).unwrap();
        println!(
            "memory: {} memories, {} entities, {} relations",
            c.memories, c.entities, c.relations
        );
    }
    let db = dir.join("memory.db");
    let e = engram.to_str().unwrap();
    let d = db.to_str().unwrap();
    measure(&[e, "--db", d, "init"]);
    let (secs, peak, out) = measure(&[e, "--db", d, "load", file.to_str().unwrap()]);
    println!(
        "full inference (load + every rule + store written): {secs:.2} s, {:.0} MB peak",
        peak.unwrap_or(0.0)
    );
    print!("{out}");

    let mut store = Store::open(&db).unwrap();
    let stats = store.stats().unwrap();
    println!(
        "store: {} facts ({} asserted, {} derived), {:.1} bytes a fact on disk (strings included)",
        stats.facts,
        stats.asserted,
        stats.derived,
        dir_bytes(&db) as f64 / stats.facts.max(1) as f64
    );
    let mut adds = Vec::new();
    for i in 0..env("ADD_RUNS", 5) {
        let text = format!(
            r#"{{"kind":"memory","id":"new{i}","type":"solution","title":"Retry the webhook queue","tags":["topic-1","topic-1-core"],"time":"2026-11-18T00:00:00Z"}}
{{"kind":"relation","from":"new{i}","type":"SOLVES","to":"m{i}","time":"2026-11-18T00:00:00Z"}}
{{"kind":"relation","from":"new{i}","type":"USES","to":"entity-3","time":"2026-11-18T00:00:00Z"}}
{{"kind":"relation","from":"new{i}","type":"RELATED_TO","to":"m{}","time":"2026-11-18T00:00:00Z"}}"#,
            i + 1
        );
        let read = engram_engine::memory::Format::Native
            .read(&text, false)
            .unwrap();
        let start = Instant::now();
        let mut tx = store.transaction().unwrap();
        engram_engine::memory::add_to_transaction(&mut tx, read.facts).unwrap();
        tx.commit().unwrap();
        adds.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    // The first add after opening loads the relations into a writer's tables and builds
    // their indexes: reported on its own.
    if !adds.is_empty() {
        let first = adds.remove(0);
        println!("first add after opening the store (loads the writer's tables): {first:.0} ms");
    }
    if !adds.is_empty() {
        println!(
            "single add (one memory, three relations, inference, commit): median {:.2} ms, p99 {:.2} ms over {} adds",
            median(adds.clone()),
            quantile(adds.clone(), 0.99),
            adds.len()
        );
    }
    let start = Instant::now();
    let index = store.recall_index().unwrap();
    let built = start.elapsed().as_secs_f64() * 1000.0;
    let options = RecallOptions {
        depth: 2,
        limit: 10,
        now: store.evaluation_time(),
    };
    let mut recalls = Vec::new();
    for q in [
        "retry timeout",
        "webhook queue topic 12",
        "cache index",
        "payment invoice",
        "deploy config lock",
    ] {
        for _ in 0..5 {
            let start = Instant::now();
            let hits = index.recall(q, &options);
            recalls.push(start.elapsed().as_secs_f64() * 1000.0);
            assert!(!hits.is_empty(), "{q}");
        }
    }
    println!(
        "recall, warm index: median {:.2} ms, p99 {:.2} ms (index built in {built:.0} ms)",
        median(recalls.clone()),
        quantile(recalls, 0.99)
    );
    drop(store);
    let (secs, peak, _) = measure(&[e, "--db", d, "recall", "retry timeout"]);
    println!(
        "engram recall as a whole process: {secs:.2} s, {:.0} MB peak",
        peak.unwrap_or(0.0)
    );
    std::fs::remove_dir_all(&dir).ok();
}
