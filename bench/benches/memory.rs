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
//! - whole processes on the loaded store: `engram add` of one relation, a point query, `engram
//!   stats` and `engram recall`.
//!
//! `cargo bench -p engram-bench --bench memory`; `MEMORY_SCALE=10000` for 10,000 memories and
//! 100,000 relations; `ADD_RUNS` single adds (default 5; the first, which loads the writer's
//! tables, is reported on its own). With `ENGRAM_BASELINE` naming another engram binary, its
//! load and whole-process commands run beside this build's, each on a store of its own,
//! interleaved, and the ratios are printed.

use engram_bench::process::{build_release, measure, median, quantile, workspace};
use engram_engine::memory::MemoryExt;
use engram_engine::memory::RecallOptions;
use engram_engine::store::Store;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The bytes of every file in a directory (a store: its runs, strings, log and manifest).
fn dir_bytes(dir: &Path) -> u64 {
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
    let mut binaries = vec![("engram", root.join("target/release/engram"))];
    if let Some(b) = std::env::var_os("ENGRAM_BASELINE") {
        binaries.push(("baseline", b.into()));
    }
    let memories = env("MEMORY_SCALE", 100_000);
    let dir = std::env::temp_dir().join(format!("engram-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = generate(&dir, memories);
    let dbs: Vec<PathBuf> = (0..binaries.len())
        .map(|i| dir.join(format!("memory-{i}.db")))
        .collect();
    let loads: Vec<(f64, f64)> = (binaries.iter().zip(&dbs))
        .map(|((label, bin), db)| load(label, bin, db, &file))
        .collect();
    in_process(&dbs[0]);
    let commands = whole_processes(&binaries, &dbs);
    if binaries.len() == 2 {
        println!("engram / baseline:");
        ratio("load with full inference", loads[0], loads[1]);
        for (name, times) in &commands {
            ratio(name, times[0], times[1]);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Writes the synthetic memory (`memgen`) and says what it holds.
fn generate(dir: &Path, memories: usize) -> PathBuf {
    let file = dir.join("memories.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    let c = engram_bench::memgen::write(&mut out, memories, memories * 10, 1).unwrap();
    println!(
        "memory: {} memories, {} entities, {} relations",
        c.memories, c.entities, c.relations
    );
    file
}

/// `engram init` and `engram load` with `bin` into `db`: seconds and peak MB of the load.
fn load(label: &str, bin: &Path, db: &Path, file: &Path) -> (f64, f64) {
    let (e, d) = (bin.to_str().unwrap(), db.to_str().unwrap());
    measure(&[e, "--db", d, "init"]);
    let (secs, peak, out) = measure(&[e, "--db", d, "load", file.to_str().unwrap()]);
    let peak = peak.unwrap_or(0.0);
    println!(
        "{label}: full inference (load + every rule + store written): {secs:.2} s, {peak:.0} MB peak"
    );
    print!("{out}");
    (secs, peak)
}

/// What the library does in-process on the loaded store: its size, single adds, recall on a
/// warm index.
fn in_process(db: &Path) {
    let mut store = Store::open(db).unwrap();
    let stats = store.stats().unwrap();
    println!(
        "store: {} facts ({} asserted, {} derived), {:.1} bytes a fact on disk (strings included)",
        stats.facts,
        stats.asserted,
        stats.derived,
        dir_bytes(db) as f64 / stats.facts.max(1) as f64
    );
    single_adds(&mut store);
    let start = Instant::now();
    let index = store.recall_index().unwrap();
    let built = start.elapsed().as_secs_f64() * 1000.0;
    let options = RecallOptions {
        depth: 2,
        limit: 10,
        now: store.evaluation_time(),
        shown: None,
    };
    let mut recalls = Vec::new();
    for q in QUESTIONS {
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
    // By lookup, as `engram recall` and `engram mcp` recall: no index, the documents' table
    // kept between questions as a server keeps it.
    let mut cache = engram_engine::memory::RecallCache::default();
    let mut by_lookup = Vec::new();
    for q in QUESTIONS {
        for _ in 0..5 {
            let start = Instant::now();
            let hits = store.recall_with(&mut cache, q, &options).unwrap();
            by_lookup.push(start.elapsed().as_secs_f64() * 1000.0);
            let ids = |hs: &[engram_engine::memory::Hit]| -> Vec<String> {
                hs.iter().map(|h| h.id.clone()).collect()
            };
            assert_eq!(ids(&hits), ids(&index.recall(q, &options)), "{q}");
        }
    }
    println!(
        "recall by lookup: median {:.2} ms, p99 {:.2} ms (the first reads the documents' table)",
        median(by_lookup.clone()),
        quantile(by_lookup, 0.99)
    );
}

/// What recall is asked.
const QUESTIONS: [&str; 5] = [
    "retry timeout",
    "webhook queue topic 12",
    "cache index",
    "payment invoice",
    "deploy config lock",
];

/// `ADD_RUNS` single adds through the library: one memory with three relations each.
fn single_adds(store: &mut Store) {
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
}

/// Whole-process commands on each binary's store, interleaved, median of `BENCH_RUNS` (3):
/// per command, each binary's seconds and peak MB.
fn whole_processes(
    binaries: &[(&str, PathBuf)],
    dbs: &[PathBuf],
) -> Vec<(String, Vec<(f64, f64)>)> {
    let runs = env("BENCH_RUNS", 3);
    let commands: [(&str, Vec<String>); 4] = [
        (
            "engram add (one relation)",
            vec!["add".into(), r#"relation("m1", "USES", "entity-7")"#.into()],
        ),
        (
            "point query",
            vec!["query".into(), r#"?- relation("m5", t, x)."#.into()],
        ),
        ("engram stats", vec!["stats".into()]),
        (
            "engram recall",
            vec!["recall".into(), "retry timeout".into()],
        ),
    ];
    let mut out = Vec::new();
    for (name, args) in commands {
        let mut times = vec![Vec::new(); binaries.len()];
        let mut peaks = vec![Vec::new(); binaries.len()];
        for _ in 0..runs.max(1) {
            for (i, ((_, bin), db)) in binaries.iter().zip(dbs).enumerate() {
                let mut cmd = vec![bin.to_str().unwrap(), "--db", db.to_str().unwrap()];
                cmd.extend(args.iter().map(String::as_str));
                let (secs, peak, _) = measure(&cmd);
                times[i].push(secs);
                peaks[i].extend(peak);
            }
        }
        let figures: Vec<(f64, f64)> = (times.into_iter().zip(peaks))
            .map(|(t, p)| (median(t), if p.is_empty() { 0.0 } else { median(p) }))
            .collect();
        for ((label, _), (secs, peak)) in binaries.iter().zip(&figures) {
            println!("{label}: {name} as a whole process: {secs:.3} s, {peak:.0} MB peak");
        }
        out.push((name.to_string(), figures));
    }
    out
}

/// One line of the comparison: time and memory ratios.
fn ratio(name: &str, new: (f64, f64), old: (f64, f64)) {
    println!(
        "  {name:<40} time {:.2}x ({:.3} s against {:.3} s), memory {:.2}x",
        new.0 / old.0.max(1e-9),
        new.0,
        old.0,
        new.1 / old.1.max(1e-9)
    );
}
