//! `Store::count_derived_not_in` (what `read_graph` counts its inferred relations with) equals
//! the count over the facts themselves after random assertions, retractions (of facts both
//! asserted and derived too), compactions and reopenings: the count kept over the oldest runs
//! and corrected by the newer runs' keys, and the pass over a writer's tables, alike; and a
//! reader that follows the commits (keeping its folds of the newer runs) reads the same; and
//! `stats`' counts of facts and derived facts (each run's derived rows as the manifest
//! records them) are those of the facts.

use engram_engine::store::Store;
use engram_engine::{Origin, Value};
use proptest::prelude::*;
use std::collections::HashSet;

const PROGRAM: &str = "
.decl r(a: symbol, b: symbol)
.decl e(a: symbol, b: symbol)
e(a, b) :- r(a, b).
e(b, a) :- r(a, b), a != b.
";

#[derive(Clone, Debug)]
enum Op {
    /// An `r` fact asserted (or with `true`, an `e` fact).
    Add(u8, u8, bool),
    /// Likewise taken back.
    Retract(u8, u8, bool),
    Compact,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..6, 0u8..6, prop::bool::weighted(0.2)).prop_map(|(a, b, e)| Op::Add(a, b, e)),
        3 => (0u8..6, 0u8..6, prop::bool::weighted(0.2)).prop_map(|(a, b, e)| Op::Retract(a, b, e)),
        1 => Just(Op::Compact),
        1 => Just(Op::Reopen),
    ]
}

fn key(a: u8, b: u8) -> Vec<Value> {
    vec![
        Value::Symbol(format!("n{a}")),
        Value::Symbol(format!("n{b}")),
    ]
}

/// Per relation, its facts and those that hold by a rule, counted over the facts.
fn fact_counts(store: &mut Store) -> Vec<(String, usize, usize)> {
    ["e", "r"]
        .iter()
        .map(|rel| {
            let facts = store.facts(rel).unwrap().unwrap_or_default();
            let derived = (facts.iter())
                .filter(|f| !matches!(f.origin, Origin::Asserted))
                .count();
            (rel.to_string(), facts.len(), derived)
        })
        .collect()
}

/// What `stats` says of the same relations (counted from the runs, the manifest's counts of
/// each run's derived rows among them).
fn stats_counts(store: &mut Store) -> Vec<(String, usize, usize)> {
    let stats = store.stats().unwrap();
    ["e", "r"]
        .iter()
        .map(|rel| {
            let r = stats.relations.iter().find(|r| r.name == *rel);
            (
                rel.to_string(),
                r.map_or(0, |r| r.facts),
                r.map_or(0, |r| r.derived),
            )
        })
        .collect()
}

/// The derived `e` facts whose key is no asserted `r` fact, counted over the facts.
fn naive(store: &mut Store) -> usize {
    let held: HashSet<String> = (store.asserted_facts("r").unwrap().into_iter())
        .map(|f| format!("{:?}", f.values))
        .collect();
    (store.facts("e").unwrap().unwrap_or_default().into_iter())
        .filter(|f| {
            !matches!(f.origin, Origin::Asserted) && !held.contains(&format!("{:?}", f.values))
        })
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_count_equals_a_count_of_the_facts(ops in prop::collection::vec(op(), 1..30)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut store = Store::create(&path).unwrap();
        store.add_rules("p", PROGRAM).unwrap();
        // A reader that stays open and follows the commits by the log (its folds of the
        // newer runs kept from one lookup to the next).
        let mut follower = Store::open_read_only(&path).unwrap();
        for op in ops {
            match op {
                Op::Add(a, b, e) | Op::Retract(a, b, e) => {
                    let rel = if e { "e" } else { "r" };
                    let mut tx = store.transaction().unwrap();
                    match matches!(op, Op::Add(..)) {
                        true => tx.add(rel, key(a, b)).unwrap(),
                        false => tx.retract(rel, key(a, b)).unwrap(),
                    };
                    tx.commit().unwrap();
                }
                Op::Compact => {
                    store.compact().unwrap();
                }
                Op::Reopen => {
                    drop(store);
                    store = Store::open(&path).unwrap();
                }
            }
            let want = naive(&mut store);
            prop_assert_eq!(store.count_derived_not_in("e", "r").unwrap(), want);
            // A handle opened afresh reads the runs only.
            let mut reader = Store::open_read_only(&path).unwrap();
            prop_assert_eq!(reader.count_derived_not_in("e", "r").unwrap(), want);
            let counted = fact_counts(&mut reader);
            prop_assert_eq!(stats_counts(&mut reader), counted.clone());
            prop_assert_eq!(stats_counts(&mut store), counted);
            follower.refresh().unwrap();
            prop_assert_eq!(follower.count_derived_not_in("e", "r").unwrap(), want);
            prop_assert_eq!(naive(&mut follower), want);
        }
    }
}
