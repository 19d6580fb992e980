//! Handles on one store that take turns writing: each moves to the other's commits by the
//! commit log's new records (keeping the tables it holds) and must then read, and write, what
//! a handle opened afresh reads.

use engram_engine::store::Store;
use engram_engine::store::faults::{FaultStorage, Hook, Op, Outcome};
use engram_engine::{Fact, Value};
use proptest::prelude::*;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const RULES: &str = r#"
.decl e(x: symbol, y: symbol)
.decl p(x: symbol, y: symbol)
.decl isolated(x: symbol)
p(x, y) :- e(x, y).
@name("transitive") @weight(0.9) p(x, z) :- e(x, y), p(y, z).
isolated(x) :- e(x, _), !p(_, x).
"#;

fn sym(s: &str) -> Value {
    Value::Symbol(s.into())
}

/// Every relation's facts as a handle reads them.
fn contents(store: &mut Store) -> Vec<Vec<Fact>> {
    ["e", "p", "isolated"]
        .iter()
        .map(|r| store.facts(r).unwrap().unwrap_or_default())
        .collect()
}

/// One commit: adds and retracts of `e` between nodes named by small numbers (a retract of a
/// fact that does not hold is a no-op), each with its own confidence.
fn commit(store: &mut Store, changes: &[(bool, u8, u8, u8)]) {
    let mut tx = store.transaction().unwrap();
    for &(add, x, y, c) in changes {
        let key = vec![sym(&format!("n{x}")), sym(&format!("n{y}"))];
        if add {
            let conf = 0.5 + f64::from(c % 50) / 100.0;
            tx.add_with("e", key, conf, Some(1_700_000_000_000 + i64::from(c)))
                .unwrap();
        } else {
            tx.retract("e", key).unwrap();
        }
    }
    tx.commit().unwrap();
    store.unlock();
}

fn created(path: &Path) -> Store {
    let mut s = Store::create(path).unwrap();
    s.add_rules("paths", RULES).unwrap();
    s.unlock();
    s
}

/// Counts the runs of facts and strings a store reads.
#[derive(Default)]
struct RunsRead(AtomicUsize);

impl Hook for RunsRead {
    fn before(&self, _: &Op<'_>) -> Outcome {
        Outcome::Proceed
    }
    fn after(&self, op: &Op<'_>) {
        if let Op::Read(p) = op
            && p.extension().is_some_and(|e| e == "facts" || e == "str")
        {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[test]
fn a_handle_moves_forward_by_the_log_without_reading_the_store_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut a = created(&path);
    commit(&mut a, &[(true, 1, 2, 0), (true, 2, 3, 1)]);
    // Runs on disk, for b to open.
    a.compact().unwrap();
    a.unlock();
    let runs_read = Arc::new(RunsRead::default());
    let storage = FaultStorage::on_dir(&path, runs_read.clone());
    let mut b = Store::open_on(Arc::new(storage)).unwrap();
    assert!(runs_read.0.load(Ordering::Relaxed) > 0);
    // b writes once, so it holds its tables.
    commit(&mut b, &[(true, 3, 4, 2)]);
    commit(&mut a, &[(true, 4, 5, 3), (false, 1, 2, 0)]);
    let before = runs_read.0.load(Ordering::Relaxed);
    assert!(b.refresh().unwrap(), "a's commit is news to b");
    assert_eq!(
        runs_read.0.load(Ordering::Relaxed),
        before,
        "b moved forward by the log's new records alone"
    );
    assert_eq!(contents(&mut b), contents(&mut Store::open(&path).unwrap()));
    commit(&mut b, &[(true, 5, 1, 4)]);
    assert_eq!(contents(&mut b), contents(&mut Store::open(&path).unwrap()));
    // A query interned a symbol no commit holds; the logged strings take its id.
    b.query(r#"?- p("never-asserted", x)."#).unwrap();
    commit(&mut a, &[(true, 6, 7, 5)]);
    assert!(b.refresh().unwrap());
    assert_eq!(contents(&mut b), contents(&mut Store::open(&path).unwrap()));
}

#[test]
fn a_manifest_replaced_under_a_pinned_handle_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut a = created(&path);
    commit(&mut a, &[(true, 1, 2, 0)]);
    let mut b = Store::open(&path).unwrap();
    // Nothing new: the second refresh finds the manifest file it pinned and reads nothing.
    assert!(!b.refresh().unwrap());
    assert!(!b.refresh().unwrap());
    // A rule file changes: a checkpoint writes a new manifest over the pinned one.
    a.add_rules("more", ".decl q(x: symbol)\nq(x) :- e(x, _).\n")
        .unwrap();
    a.unlock();
    assert!(b.refresh().unwrap(), "the new manifest is news");
    assert_eq!(b.facts("q").unwrap().map(|f| f.len()), Some(1));
    a.compact().unwrap();
    a.unlock();
    b.refresh().unwrap();
    commit(&mut a, &[(true, 2, 3, 1)]);
    assert!(
        b.refresh().unwrap(),
        "a commit after the compaction is news"
    );
    assert!(!b.refresh().unwrap());
    assert_eq!(contents(&mut b), contents(&mut Store::open(&path).unwrap()));
}

/// Turns: which handle commits, and its changes (add or retract, two nodes, a confidence).
type Turns = Vec<(bool, Vec<(bool, u8, u8, u8)>)>;

fn turns() -> impl Strategy<Value = Turns> {
    let change = (prop::bool::weighted(0.7), 0u8..6, 0u8..6, any::<u8>());
    prop::collection::vec((any::<bool>(), prop::collection::vec(change, 1..4)), 1..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Two handles commit in random turns, each a few adds and retracts; after every commit
    /// the other handle refreshes and reads what a fresh handle reads (facts, confidences,
    /// depths, rules, times), and its next commit builds on that; the facts counted from the
    /// runs are those counted from the writer's tables.
    #[test]
    fn two_handles_taking_turns_read_what_a_fresh_handle_reads(turns in turns()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut handles = [created(&path), Store::open(&path).unwrap()];
        for (who, changes) in turns {
            let (w, r) = if who { (0, 1) } else { (1, 0) };
            commit(&mut handles[w], &changes);
            handles[r].refresh().unwrap();
            // Counted from the runs (a fresh handle) and from the tables (the writer's).
            let counted = Store::open(&path).unwrap().stats().unwrap();
            prop_assert_eq!(&handles[w].stats().unwrap().relations, &counted.relations);
            let fresh = contents(&mut Store::open(&path).unwrap());
            prop_assert_eq!(&contents(&mut handles[r]), &fresh);
            prop_assert_eq!(&contents(&mut handles[w]), &fresh);
        }
    }
}
