//! engram against hand-written datafrog and Ascent, same inputs, same run; prints ratios.
//!
//! `cargo bench -p engram-bench --bench peers` (inputs from `../shared/bench/gen.py`).

use ascent::ascent;

// The allocator the `engram` binary uses; every engine in this process runs on it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use engram_bench::*;
use std::time::Duration;

ascent! {
    struct AscentTc;
    relation edge(u32, u32);
    relation path(u32, u32);
    path(x, y) <-- edge(x, y);
    path(x, z) <-- edge(x, y), path(y, z);
}

ascent! {
    struct AscentSg;
    relation parent(u32, u32);
    relation sg(u32, u32);
    sg(x, y) <-- parent(x, p), parent(y, p), if x != y;
    sg(x, y) <-- parent(x, a), sg(a, b), parent(y, b);
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn report(name: &str, rows: usize, engram: Duration, peers: &[(&str, Duration, usize)]) {
    println!("{name}: {rows} rows");
    println!("  {:<22} {:>8.3} s", "engram", secs(engram));
    for (peer, t, peer_rows) in peers {
        let ok = if *peer_rows == rows {
            ""
        } else {
            "  ROW COUNT DIFFERS"
        };
        println!(
            "  {:<22} {:>8.3} s   engram / {peer} = {:.2}x{ok}",
            peer,
            secs(*t),
            secs(engram) / secs(*t)
        );
    }
}

/// One workload: generate its input, run engram and both peers on it, print the ratios.
struct Workload<'a> {
    name: &'a str,
    gen_args: &'a [&'a str],
    file: &'a str,
    program: &'a str,
    relation: &'a str,
    datafrog: fn(&[(u32, u32)]) -> usize,
    ascent: fn(Vec<(u32, u32)>) -> usize,
}

fn measure(w: &Workload<'_>, scratch: &std::path::Path, runs: usize) -> anyhow::Result<()> {
    let dir = scratch.join(w.gen_args.join("-"));
    let file = generate(w.gen_args, &dir, w.file)?;
    let (t_engram, rows) = median(runs, || engram_rows(w.program, &dir, w.relation));
    let rows = rows?;
    let (t_frog, frog_rows) = median(runs, || (w.datafrog)(&read_pairs(&file).unwrap()));
    let (t_ascent, ascent_rows) = median(runs, || (w.ascent)(read_pairs(&file).unwrap()));
    report(
        w.name,
        rows,
        t_engram,
        &[
            ("datafrog (by hand)", t_frog, frog_rows),
            ("ascent", t_ascent, ascent_rows),
        ],
    );
    Ok(())
}

/// Confidence closure against engram's boolean closure and the hand-written best-per-key loop,
/// on the same graph (the weighted copy of the boolean input).
fn measure_confidence(scratch: &std::path::Path, runs: usize) -> anyhow::Result<()> {
    let args = ["graph", "2000", "4000"];
    let dir = scratch.join(args.join("-"));
    let plain = generate(&args, &dir, "edge.facts")?;
    let wdir = scratch.join(format!("{}-confidence", args.join("-")));
    add_confidences(&plain, &wdir.join("edge.facts"))?;
    // Interleaved (confidence, boolean, by hand, confidence, ...) so that drift in the
    // machine's speed during the run hits all three alike.
    let (mut t_conf, mut t_bool, mut t_hand) = (Vec::new(), Vec::new(), Vec::new());
    let (mut rows, mut bool_rows, mut hand_rows) = (0, 0, 0);
    for _ in 0..runs.max(1) {
        let (t, r) = median(1, || engram_rows(TC_CONFIDENCE_PROGRAM, &wdir, "path"));
        t_conf.push(t);
        rows = r?;
        let (t, r) = median(1, || engram_rows(TC_PROGRAM, &dir, "path"));
        t_bool.push(t);
        bool_rows = r?;
        let (t, r) = median(1, || {
            let (n, edges) = read_weighted(&wdir.join("edge.facts")).unwrap();
            best_per_key_closure(n, &edges, 0.9)
        });
        t_hand.push(t);
        hand_rows = r;
    }
    let mid = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (t_conf, t_bool, t_hand) = (mid(t_conf), mid(t_bool), mid(t_hand));
    report(
        "confidence closure (max-product, weight 0.9), graph 2000 4000",
        rows,
        t_conf,
        &[
            ("engram boolean", t_bool, bool_rows),
            ("best-per-key by hand", t_hand, hand_rows),
        ],
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let scratch = std::env::temp_dir().join("engram-bench-inputs");
    measure(
        &Workload {
            name: "transitive closure, graph 2000 4000",
            gen_args: &["graph", "2000", "4000"],
            file: "edge.facts",
            program: TC_PROGRAM,
            relation: "path",
            datafrog: datafrog_tc,
            ascent: |edge| {
                let mut p = AscentTc {
                    edge,
                    ..Default::default()
                };
                p.run();
                p.path.len()
            },
        },
        &scratch,
        runs,
    )?;
    measure_confidence(&scratch, runs)?;
    measure(
        &Workload {
            name: "same generation, tree 20000 300",
            gen_args: &["tree", "20000", "300"],
            file: "parent.facts",
            program: SG_PROGRAM,
            relation: "sg",
            datafrog: datafrog_sg,
            ascent: |parent| {
                let mut p = AscentSg {
                    parent,
                    ..Default::default()
                };
                p.run();
                p.sg.len()
            },
        },
        &scratch,
        runs,
    )
}
