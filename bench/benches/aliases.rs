//! Equivalence relations as classes: the `engram` binary against a hand-written union-find
//! (Soufflé's published approach to `eqrel`), both as whole processes on the same input (read
//! the facts, evaluate, write the output), with wall time and peak memory.
//!
//! `cargo bench -p engram-bench --bench aliases` (builds the release binaries first).

use engram_bench::process::{build_release, measure, median, workspace};
use std::path::Path;

const PROGRAM: &str = "\
.decl eq(x: symbol, y: symbol) eqrel
.input eq
.decl alias(x: symbol)
.output alias
.printsize eq
alias(x) :- eq(\"a0\", x).
";

fn main() {
    let root = workspace();
    build_release();
    let engram = root.join("target/release/engram");
    let peer = root.join("target/release/union_find");
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = std::env::temp_dir().join(format!("engram-aliases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("aliases.dl"), PROGRAM).unwrap();
    // A chain of 3,001 aliases; 100,000 random aliases among 150,000 symbols.
    let chain: Vec<(usize, usize)> = (0..3000).map(|i| (i, i + 1)).collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let random: Vec<(usize, usize)> = (0..100_000)
        .map(|_| (next(150_000), next(150_000)))
        .collect();
    println!("| workload | eq pairs | engram | union-find by hand | engram / by hand |");
    println!("|---|---|---|---|---|");
    for (name, pairs) in [
        ("chain of 3,001 aliases", chain),
        ("100,000 random aliases", random),
    ] {
        let facts = dir.join("in");
        std::fs::create_dir_all(&facts).unwrap();
        let text: String = pairs.iter().map(|(a, b)| format!("a{a}\ta{b}\n")).collect();
        std::fs::write(facts.join("eq.facts"), text).unwrap();
        let (out_e, out_p) = (dir.join("out-engram"), dir.join("out-peer"));
        std::fs::create_dir_all(&out_e).unwrap();
        std::fs::create_dir_all(&out_p).unwrap();
        let (mut te, mut tp, mut me, mut mp) = (Vec::new(), Vec::new(), 0.0f64, 0.0f64);
        let mut printed = (String::new(), String::new());
        for _ in 0..runs {
            let (t, m, s) = measure(&[
                engram.to_str().unwrap(),
                "run",
                "-F",
                facts.to_str().unwrap(),
                "-D",
                out_e.to_str().unwrap(),
                dir.join("aliases.dl").to_str().unwrap(),
            ]);
            te.push(t);
            me = me.max(m.unwrap_or(0.0));
            printed.0 = s;
            let (t, m, s) = measure(&[
                peer.to_str().unwrap(),
                facts.to_str().unwrap(),
                out_p.to_str().unwrap(),
                "a0",
            ]);
            tp.push(t);
            mp = mp.max(m.unwrap_or(0.0));
            printed.1 = s;
        }
        assert_eq!(printed.0, printed.1, "both count the same pairs");
        let alias = |d: &Path| std::fs::read_to_string(d.join("alias.csv")).unwrap();
        assert_eq!(alias(&out_e), alias(&out_p), "both list the same aliases");
        let (te, tp) = (median(te), median(tp));
        println!(
            "| {name} | {} | {te:.3} s, {me:.0} MB | {tp:.3} s, {mp:.0} MB | {:.2}x time, {:.2}x memory |",
            printed.0.trim().trim_start_matches("eq\t"),
            te / tp,
            me / mp.max(1.0),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
