//! engram against hand-written datafrog and Ascent, same inputs, same run; prints ratios.
//!
//! `cargo bench -p engram-bench --bench peers` (inputs from `../shared/bench/gen.py`).

use ascent::ascent;
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

fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let scratch = std::env::temp_dir().join("engram-bench-inputs");
    // Transitive closure of a random graph.
    let graph_dir = scratch.join("graph-2000-4000");
    let edge_file = generate(&["graph", "2000", "4000"], &graph_dir, "edge.facts")?;
    let (t_engram, rows) = median(runs, || engram_rows(TC_PROGRAM, &graph_dir, "path"));
    let rows = rows?;
    let (t_frog, frog_rows) = median(runs, || datafrog_tc(&read_pairs(&edge_file).unwrap()));
    let (t_ascent, ascent_rows) = median(runs, || {
        let mut p = AscentTc {
            edge: read_pairs(&edge_file).unwrap(),
            ..Default::default()
        };
        p.run();
        p.path.len()
    });
    report(
        "transitive closure, graph 2000 4000",
        rows,
        t_engram,
        &[
            ("datafrog (by hand)", t_frog, frog_rows),
            ("ascent", t_ascent, ascent_rows),
        ],
    );
    // Same generation on a forest.
    let tree_dir = scratch.join("tree-20000-300");
    let parent_file = generate(&["tree", "20000", "300"], &tree_dir, "parent.facts")?;
    let (t_engram, rows) = median(runs, || engram_rows(SG_PROGRAM, &tree_dir, "sg"));
    let rows = rows?;
    let (t_frog, frog_rows) = median(runs, || datafrog_sg(&read_pairs(&parent_file).unwrap()));
    let (t_ascent, ascent_rows) = median(runs, || {
        let mut p = AscentSg {
            parent: read_pairs(&parent_file).unwrap(),
            ..Default::default()
        };
        p.run();
        p.sg.len()
    });
    report(
        "same generation, tree 20000 300",
        rows,
        t_engram,
        &[
            ("datafrog (by hand)", t_frog, frog_rows),
            ("ascent", t_ascent, ascent_rows),
        ],
    );
    Ok(())
}
