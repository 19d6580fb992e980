//! Soufflé's `.plan` and `.limitsize` where a golden test cannot reach: any order a `.plan`
//! gives a recursive rule derives what the planner's own order does (random graphs, every
//! version's order random), and `.limitsize` stops a recursion after the round that reaches
//! the limit, as breadth-first layers say (with provenance and without).

use engram_engine::{EvalOptions, Inputs, Program, Value};
use proptest::prelude::*;
use std::collections::BTreeSet;

const PATHS: &str = r#"
.decl e(x: number, y: number)
.decl t(x: number, y: number)
t(x, y) :- e(x, y).
t(x, w) :- t(x, y), e(y, z), t(z, w), x != w.
"#;

fn pairs(db: &engram_engine::Database, rel: &str) -> BTreeSet<(i64, i64)> {
    let n = |v: &Value| match v {
        Value::Number(n) => *n,
        other => panic!("not a number: {other:?}"),
    };
    (db.relation(rel).unwrap().rows())
        .map(|r| (n(&r[0]), n(&r[1])))
        .collect()
}

fn edges(list: &[(i64, i64)]) -> Inputs {
    let mut inputs = Inputs::default();
    for &(x, y) in list {
        inputs.add("e", vec![Value::Number(x), Value::Number(y)]);
    }
    inputs
}

/// `.plan 0:(..), 1:(..)`, the atoms counted from 1.
fn written(v0: &[usize], v1: &[usize]) -> String {
    let order = |o: &[usize]| {
        let list: Vec<String> = o.iter().map(|p| (p + 1).to_string()).collect();
        list.join(",")
    };
    format!(".plan 0:({}), 1:({})", order(v0), order(v1))
}

/// Nodes reachable from 0 in the rounds a `.limitsize` of `limit` allows: layer by layer,
/// stopping once `limit` nodes or more are reached.
fn layers(list: &[(i64, i64)], limit: usize) -> BTreeSet<i64> {
    let mut seen = BTreeSet::from([0]);
    let mut frontier = seen.clone();
    while !frontier.is_empty() && seen.len() < limit {
        let next: BTreeSet<i64> = (list.iter())
            .filter(|(x, y)| frontier.contains(x) && !seen.contains(y))
            .map(|&(_, y)| y)
            .collect();
        seen.extend(&next);
        frontier = next;
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever order `.plan` gives each version (the delta atom first, last or between),
    /// the facts are the same.
    #[test]
    fn any_written_order_derives_the_same_facts(
        list in prop::collection::vec((0i64..6, 0i64..6), 0..16),
        v0 in Just(vec![0usize, 1, 2]).prop_shuffle(),
        v1 in Just(vec![0usize, 1, 2]).prop_shuffle(),
    ) {
        let plain = Program::compile(PATHS, "paths.dl").unwrap();
        let planned = Program::compile(&format!("{PATHS}{}\n", written(&v0, &v1)), "paths.dl")
            .unwrap();
        let inputs = edges(&list);
        for provenance in [false, true] {
            let options = EvalOptions { provenance, ..EvalOptions::default() };
            let want = pairs(&plain.evaluate_with(&inputs, &options).unwrap(), "t");
            let got = pairs(&planned.evaluate_with(&inputs, &options).unwrap(), "t");
            prop_assert_eq!(&got, &want, "provenance {}", provenance);
        }
    }

    /// `.limitsize` stops reachability after the round that reaches the limit.
    #[test]
    fn limitsize_stops_after_the_round_that_reaches_it(
        list in prop::collection::vec((0i64..10, 0i64..10), 0..20),
        limit in 1usize..10,
    ) {
        let src = format!(
            ".decl e(x: number, y: number)\n.decl reach(x: number)\n\
             .limitsize reach(n={limit})\nreach(0).\nreach(y) :- reach(x), e(x, y).\n"
        );
        let program = Program::compile(&src, "reach.dl").unwrap();
        let want = layers(&list, limit);
        for provenance in [false, true] {
            let options = EvalOptions { provenance, ..EvalOptions::default() };
            let db = program.evaluate_with(&edges(&list), &options).unwrap();
            let got: BTreeSet<i64> = (db.relation("reach").unwrap().rows())
                .map(|r| match r[0] { Value::Number(n) => n, _ => panic!("a number") })
                .collect();
            prop_assert_eq!(&got, &want, "provenance {}", provenance);
        }
    }
}

#[test]
fn a_store_refuses_limitsize_by_name() {
    let mut store = engram_engine::Store::in_memory();
    let src = ".decl n(x: number)\n.limitsize n(n=3)\nn(0).\nn(x + 1) :- n(x), x < 9.\n";
    let err = store.add_rules("count", src).unwrap_err().to_string();
    assert!(err.contains("`.limitsize n`"), "{err}");
}

/// A fact a `.limitsize` kept from being derived: why-not names the limit that stopped the
/// recursion (of the fact's relation or another of the same recursion), and nothing for a
/// recursion that ended on its own.
#[test]
fn why_not_names_the_limit_that_stopped_the_recursion() {
    let text = ".decl e(x: number, y: number)\n.decl r(x: number)\n.decl s(x: number)\n\
                .limitsize s(n = 2)\nr(0).\nr(y) :- s(x), e(x, y).\ns(x) :- r(x).\n";
    let program = Program::compile(text, "limit.dl").unwrap();
    let chain: Vec<(i64, i64)> = (0..6).map(|i| (i, i + 1)).collect();
    let mut db = program.evaluate(&edges(&chain)).unwrap();
    let why = db.why_not_text("r(5)").unwrap();
    let limit = why.size_limit.clone().expect("the limit stopped it");
    assert_eq!((limit.relation.as_str(), limit.limit), ("s", 2));
    assert!(limit.facts >= 2, "{limit:?}");
    let shown = why.to_text();
    assert!(shown.contains("reached its `.limitsize` of 2"), "{shown}");
    // Without the limit the same recursion ends on its own: no limit to name.
    let free = Program::compile(&text.replace(".limitsize s(n = 2)\n", ""), "free.dl").unwrap();
    let mut db = free.evaluate(&edges(&chain[..2])).unwrap();
    assert!(db.why_not_text("r(5)").unwrap().size_limit.is_none());
}
