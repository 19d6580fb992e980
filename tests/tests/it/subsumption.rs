//! Subsumption rules where a golden test cannot reach: shortest paths by subsumption against
//! a plain relaxation on random graphs (cycles, parallel edges, zero weights; with and
//! without provenance), why-not naming the fact that removed another, and a store keeping
//! them through commits.

use engram_engine::{EvalOptions, Inputs, Program, Store, Value};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const SHORTEST: &str = r#"
.decl edge(x: number, y: number, c: number)
.decl sp(x: number, y: number, c: number)
sp(x, y, c) :- edge(x, y, c).
sp(x, z, c1 + c2) :- sp(x, y, c1), edge(y, z, c2).
sp(x, y, c1) <= sp(x, y, c2) :- c2 <= c1.
"#;

/// The length of the shortest path of one edge or more between each pair joined by one.
fn shortest(edges: &[(i64, i64, i64)]) -> BTreeSet<(i64, i64, i64)> {
    let mut best: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for &(x, y, c) in edges {
        let e = best.entry((x, y)).or_insert(c);
        *e = (*e).min(c);
    }
    loop {
        let mut changed = false;
        for ((x, y), c1) in best.clone() {
            for &(_, z, c2) in edges.iter().filter(|e| e.0 == y) {
                let e = best.entry((x, z)).or_insert(i64::MAX);
                if c1 + c2 < *e {
                    *e = c1 + c2;
                    changed = true;
                }
            }
        }
        if !changed {
            return best.into_iter().map(|((x, y), c)| (x, y, c)).collect();
        }
    }
}

fn numbers(row: Vec<Value>) -> (i64, i64, i64) {
    let n = |v: &Value| match v {
        Value::Number(n) => *n,
        other => panic!("not a number: {other:?}"),
    };
    (n(&row[0]), n(&row[1]), n(&row[2]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Subsumption keeps exactly the shortest path per pair, however the graph cycles (which
    /// without it would give paths without end), with provenance or without.
    #[test]
    fn subsumption_keeps_the_shortest_paths(
        edges in prop::collection::vec((0i64..7, 0i64..7, 0i64..6), 0..24),
    ) {
        let program = Program::compile(SHORTEST, "shortest.dl").unwrap();
        let mut inputs = Inputs::default();
        for &(x, y, c) in &edges {
            inputs.add("edge", vec![Value::Number(x), Value::Number(y), Value::Number(c)]);
        }
        let expected = shortest(&edges);
        for provenance in [false, true] {
            let options = EvalOptions { provenance, ..EvalOptions::default() };
            let db = program.evaluate_with(&inputs, &options).unwrap();
            let got: BTreeSet<(i64, i64, i64)> =
                db.relation("sp").unwrap().rows().map(numbers).collect();
            prop_assert_eq!(&got, &expected, "provenance {}", provenance);
        }
    }
}

#[test]
fn why_not_names_the_fact_that_subsumed_another() {
    let text = format!("{SHORTEST}\nedge(1, 2, 1). edge(2, 3, 1). edge(1, 3, 5).");
    let program = Program::compile(&text, "shortest.dl").unwrap();
    let mut db = program.evaluate(&Default::default()).unwrap();
    let why = db.why_not_text("sp(1, 3, 5)").unwrap();
    let by = why.subsumed_by.as_ref().expect("subsumed");
    assert_eq!(by.rule, "shortest.dl:6");
    assert_eq!(by.by.fact, "sp(1, 3, 2)");
    let text = why.to_text();
    assert!(
        text.contains("removed by the subsumption rule at shortest.dl:6"),
        "{text}"
    );
    // A fact that holds is shown holding; one no rule could make names no subsumption.
    assert!(db.why_not_text("sp(1, 3, 2)").unwrap().holds.is_some());
    assert!(
        db.why_not_text("sp(3, 1, 2)")
            .unwrap()
            .subsumed_by
            .is_none()
    );
}

/// The `sp` facts a store holds.
fn store_paths(store: &mut Store) -> BTreeSet<(i64, i64, i64)> {
    let facts = store.facts("sp").unwrap().unwrap_or_default();
    facts.into_iter().map(|f| numbers(f.values)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A store keeps the shortest paths through commits that add and take back edges (each
    /// change that reaches `sp` evaluates its recursion again whole), and after reopening.
    #[test]
    fn a_store_keeps_the_shortest_paths_through_commits(
        steps in prop::collection::vec((any::<bool>(), 0i64..5, 0i64..5, 0i64..4), 1..16),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut store = Store::create(&path).unwrap();
        store.add_rules("paths", SHORTEST).unwrap();
        let mut edges: BTreeSet<(i64, i64, i64)> = BTreeSet::new();
        for (add, x, y, c) in steps {
            let fact = vec![Value::Number(x), Value::Number(y), Value::Number(c)];
            let mut tx = store.transaction().unwrap();
            if add {
                tx.add("edge", fact).unwrap();
                edges.insert((x, y, c));
            } else {
                tx.retract("edge", fact).unwrap();
                edges.remove(&(x, y, c));
            }
            tx.commit().unwrap();
            let list: Vec<(i64, i64, i64)> = edges.iter().copied().collect();
            prop_assert_eq!(store_paths(&mut store), shortest(&list));
        }
        drop(store);
        let mut store = Store::open(&path).unwrap();
        let list: Vec<(i64, i64, i64)> = edges.iter().copied().collect();
        prop_assert_eq!(store_paths(&mut store), shortest(&list));
    }
}

#[test]
fn a_store_explains_what_a_subsumption_rule_removed() {
    let mut store = Store::in_memory();
    store.add_rules("paths", SHORTEST).unwrap();
    let mut tx = store.transaction().unwrap();
    tx.add_text("edge(1, 2, 1). edge(2, 3, 1). edge(1, 3, 5).")
        .unwrap();
    let report = tx.commit().unwrap();
    assert!(report.rederived, "{report:?}");
    let why = store.why_not("sp(1, 3, 5)").unwrap();
    let by = why.subsumed_by.as_ref().expect("subsumed");
    assert_eq!(by.by.fact, "sp(1, 3, 2)");
    let proof = store.explain("sp(1, 3, 2)").unwrap().expect("holds");
    assert!(
        proof.to_text().contains("edge(2, 3, 1)"),
        "{}",
        proof.to_text()
    );
    // A change that does not reach `sp` is maintained as usual.
    store
        .add_rules(
            "plain",
            ".decl p(x: number)\np(x) :- q(x).\n.decl q(x: number)",
        )
        .unwrap();
    let mut tx = store.transaction().unwrap();
    tx.add_text("q(1).").unwrap();
    assert!(!tx.commit().unwrap().rederived);
    assert_eq!(store.query("?- p(x).").unwrap()[0].answers.len(), 1);
}
