//! engram against its peers as whole processes: the `engram` binary and the `peer` binary
//! (datafrog by hand, Ascent, Crepe) read the same inputs, evaluate, and write their output
//! files, interleaved, median of `BENCH_RUNS` (3) runs; prints one table, and JSON to
//! `target/bench-peers.json`.
//!
//! `cargo bench -p engram-bench --bench peers` (`BENCH_ONLY=closure` runs the workloads whose
//! name contains it).

use engram_bench::process::{build_release, workspace};
use engram_bench::whole::{Scale, report, run_workload, souffle_on_path, to_json, workloads};

fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    build_release();
    let release = workspace().join("target/release");
    let scratch = std::env::temp_dir().join("engram-bench-whole");
    let mut results = Vec::new();
    println!(
        "whole processes, median of {runs} runs (time and peak memory; ratio = engram / peer)"
    );
    if !souffle_on_path() {
        println!("souffle: not on PATH, skipped (bench/README.md says how to build it)");
    }
    for w in workloads(Scale::Full, &scratch)? {
        if !w.name.contains(&only) {
            continue;
        }
        let outcomes = run_workload(
            &w,
            &release.join("engram"),
            &release.join("peer"),
            &scratch,
            runs,
        )?;
        print!("{}", report(&w.name, &outcomes));
        results.push((w.name.clone(), outcomes));
    }
    let json = workspace().join("target/bench-peers.json");
    std::fs::write(&json, serde_json::to_string_pretty(&to_json(&results))?)?;
    println!("JSON: {}", json.display());
    Ok(())
}
