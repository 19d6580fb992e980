//! The Rust side of the Python package's per-call benchmark (bench/python.sh): opens a store as
//! `engram.Store(path)` does and answers each query of a file (one a line) `CALLS` times
//! through `Store::query`, printing per query the mean microseconds a call and the answers, as
//! `bench/python/query_calls.py` does through Python.
//!
//! `query_calls STORE QUERIES_FILE CALLS [refresh]`: with `refresh`, each call first moves the
//! handle to the latest commit (`Store::refresh`), as every call of the Python package does.

use engram_engine::Store;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (db, queries, calls, refresh) = match args.as_slice() {
        [_, db, queries, calls] => (db, queries, calls, false),
        [_, db, queries, calls, r] if r == "refresh" => (db, queries, calls, true),
        _ => {
            eprintln!("usage: query_calls STORE QUERIES_FILE CALLS [refresh]");
            std::process::exit(2);
        }
    };
    let calls: usize = calls.parse()?;
    let mut store = Store::open(db)?;
    for query in std::fs::read_to_string(queries)?.lines() {
        let answers = store.query(query)?;
        let n: usize = answers.iter().map(|a| a.answers.len()).sum();
        let started = Instant::now();
        for _ in 0..calls {
            if refresh {
                store.refresh()?;
            }
            std::hint::black_box(store.query(query)?);
        }
        let micros = started.elapsed().as_secs_f64() * 1e6 / calls as f64;
        println!("{micros:.1}\t{n}\t{query}");
    }
    Ok(())
}
