//! The store's substring search (`search_nodes` reads it) finds through its trigrams exactly
//! what a scan of every string finds: after random commits (strings in the commit log, then
//! in runs with trigram files), compactions (every string rewritten into one run) and
//! reopenings, some with the trigram files deleted (a store written before they were kept:
//! they are built in memory).

use engram_engine::Value;
use engram_engine::store::Store;
use proptest::prelude::*;
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
enum Op {
    /// Strings added in one commit.
    Add(Vec<String>),
    /// Every run compacted into one.
    Compact,
    /// Dropped and opened again; with `true`, its trigram files deleted first.
    Reopen(bool),
}

/// Texts over a small alphabet with upper case, a space, a dash and letters whose lower case
/// is longer or context-dependent in UTF-8, so that trigrams collide and case folding matters.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!['a', 'b', 'B', 'c', '-', ' ', 'é', 'É', 'Σ', 'İ', 'ß']),
        0..9,
    )
    .prop_map(|c| c.into_iter().collect())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => prop::collection::vec(text(), 1..6).prop_map(Op::Add),
        1 => Just(Op::Compact),
        1 => any::<bool>().prop_map(Op::Reopen),
    ]
}

/// Deletes a store's trigram files.
fn delete_trigrams(path: &std::path::Path) {
    for f in std::fs::read_dir(path).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "grams") {
            std::fs::remove_file(f).unwrap();
        }
    }
}

/// Every string added that contains `needle` ignoring case is found, and everything found
/// contains it.
fn check(store: &mut Store, added: &BTreeSet<String>, needle: &str) -> Result<(), TestCaseError> {
    let lower = needle.to_lowercase();
    let found: BTreeSet<String> = (store.symbols_containing(needle).unwrap().into_iter())
        .map(|v| match v {
            Value::Symbol(s) => s,
            other => panic!("a symbol, not {other:?}"),
        })
        .collect();
    for s in &found {
        prop_assert!(s.to_lowercase().contains(&lower), "{s:?} for {needle:?}");
    }
    for s in added {
        if s.to_lowercase().contains(&lower) {
            prop_assert!(found.contains(s), "{s:?} missed for {needle:?}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn trigrams_find_what_a_scan_finds(
        ops in prop::collection::vec(op(), 1..12),
        needles in prop::collection::vec(text(), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut store = Store::create(&path).unwrap();
        store.add_rules("t", ".decl t(x: symbol)").unwrap();
        let mut added: BTreeSet<String> = BTreeSet::new();
        for op in ops {
            match op {
                Op::Add(texts) => {
                    let mut tx = store.transaction().unwrap();
                    for t in &texts {
                        tx.add("t", vec![Value::Symbol(t.clone())]).unwrap();
                    }
                    tx.commit().unwrap();
                    added.extend(texts);
                }
                Op::Compact => {
                    store.compact().unwrap();
                }
                Op::Reopen(delete) => {
                    drop(store);
                    if delete {
                        delete_trigrams(&path);
                    }
                    store = Store::open(&path).unwrap();
                }
            }
            // Pieces of what was added, and the random needles.
            let pieces = added.iter().flat_map(|s| {
                let c: Vec<char> = s.chars().collect();
                (0..c.len()).map(move |i| c[i..c.len().min(i + 4)].iter().collect::<String>())
            });
            let asks: BTreeSet<String> = pieces.chain(needles.iter().cloned()).collect();
            for needle in &asks {
                check(&mut store, &added, needle)?;
            }
        }
    }
}
