//! Every workload of the whole-process benchmark, at a tiny size, on the `engram` binary and
//! every peer: they must write the same rows. (The benchmark's figures come from `cargo bench
//! -p engram-bench --bench peers`; this test checks what it compares, never how fast.)

use engram_bench::whole::{Scale, run_workload, workloads};
use std::path::PathBuf;

#[test]
fn every_engine_writes_the_same_rows_on_every_workload() {
    let peer = PathBuf::from(env!("CARGO_BIN_EXE_peer"));
    let engram = peer.with_file_name(format!("engram{}", std::env::consts::EXE_SUFFIX));
    assert!(
        engram.exists(),
        "{} is not built: run `cargo build -p engram-cli` (or `cargo test --workspace`)",
        engram.display()
    );
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let all = workloads(Scale::Tiny, scratch.path()).expect("the inputs");
    assert!(all.len() >= 9, "{} workloads", all.len());
    for w in &all {
        let outcomes = run_workload(w, &engram, &peer, scratch.path(), 1).expect("every run");
        let first = &outcomes[0];
        assert!(first.rows > 0, "{}: engram wrote no rows", w.name);
        for o in &outcomes[1..] {
            assert_eq!(
                (o.rows, o.checksum),
                (first.rows, first.checksum),
                "{}: {} and {} differ",
                w.name,
                o.label,
                first.label
            );
        }
    }
}
