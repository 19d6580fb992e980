//! Kills a writer with SIGKILL at random moments during repeated commits: every reopen must
//! give exactly some committed state (a prefix of the facts sent, with all and only their
//! consequences), never a partial one. `ENGRAM_CRASH_KILLS` sets the number of kills (50 by
//! default; the benchmark harness runs more).

use crate::common::{Rng, clock_seed, env_count};
use engram_store::Store;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

const RULES: &str = r#"
.decl e(x: symbol, y: symbol)
.decl p(x: symbol, y: symbol)
p(x, y) :- e(x, y).
p(x, z) :- e(x, y), p(y, z).
"#;

/// The chain length a store holds: e(n0, n1), ..., e(n{m-1}, n{m}); panics unless it is
/// exactly a prefix with its full closure.
fn committed_prefix(store: &mut Store, seed: u64) -> usize {
    let edges = store.facts("e").unwrap().unwrap_or_default();
    let m = edges.len();
    let mut firsts: Vec<usize> = edges
        .iter()
        .map(|f| f.values[0].to_string()[1..].parse().unwrap())
        .collect();
    firsts.sort();
    assert_eq!(
        firsts,
        (0..m).collect::<Vec<_>>(),
        "seed {seed}: not a prefix"
    );
    let paths = store.facts("p").unwrap().unwrap_or_default().len();
    assert_eq!(paths, m * (m + 1) / 2, "seed {seed}: closure of {m} edges");
    m
}

#[test]
fn a_killed_writer_leaves_a_committed_state() {
    let kills = env_count("ENGRAM_CRASH_KILLS", 10, 50) as usize;
    let seed = clock_seed();
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let mut store = Store::create(&db).unwrap();
    store.add_rules("paths", RULES).unwrap();
    drop(store);
    let mut committed = 0;
    let mut killed_mid_commit = 0;
    for _ in 0..kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_engram"))
            .arg("--db")
            .arg(&db)
            .arg("repl")
            .env("HOME", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut input = String::new();
        for i in committed..committed + 400 {
            input.push_str(&format!("e(\"n{i}\", \"n{}\").\n", i + 1));
        }
        let mut stdin = child.stdin.take().unwrap();
        // The writer may die while we write: ignore a broken pipe.
        let _ = stdin.write_all(input.as_bytes());
        std::thread::sleep(Duration::from_micros(rng.next() % 40_000));
        child.kill().unwrap();
        child.wait().unwrap();
        drop(stdin);
        let mut store = Store::open(&db).unwrap();
        let now = committed_prefix(&mut store, seed);
        assert!(now >= committed, "seed {seed}: committed facts were lost");
        if now < committed + 400 {
            killed_mid_commit += 1;
        }
        committed = now;
    }
    assert!(
        killed_mid_commit * 2 >= kills,
        "seed {seed}: most writers should die mid-run ({killed_mid_commit} of {kills})"
    );
    // Writing goes on after all those deaths: the lock is free and the files are sound.
    let mut store = Store::open(&db).unwrap();
    let mut tx = store.transaction().unwrap();
    tx.add_text(&format!("e(\"n{committed}\", \"n{}\").", committed + 1))
        .unwrap();
    tx.commit().unwrap();
    assert_eq!(committed_prefix(&mut store, seed), committed + 1);
    store.infer().unwrap();
    assert_eq!(committed_prefix(&mut store, seed), committed + 1);
}
