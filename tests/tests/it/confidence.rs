//! Confidence semantics against independent computations: the transitive-closure program with
//! a rule weight equals an exact max-product best-path search (Dijkstra on products) on random
//! weighted graphs, to 1e-9 relative, with depth equal to the fewest hops; and the library
//! entry points return typed confidence, depth, origin and proofs.

use engram_engine::{Inputs, Origin, Program, Value};
use proptest::prelude::*;
use std::collections::BTreeMap;

const TC: &str = r#"
.pragma "min_confidence" "0"
.decl edge(x: number, y: number)
.decl path(x: number, y: number)
path(x, y) :- edge(x, y).
@name("transitive") @weight(WEIGHT)
path(x, z) :- edge(x, y), path(y, z).
"#;

/// For every source: the best product over paths of `conf(e1) * w^(hops - 1) * ...`, and the
/// fewest hops, found by Dijkstra on the graph whose edge values are `conf * w` (a constant
/// factor `1/w` turns the best of those into the rule's value).
fn best_paths(
    n: usize,
    edges: &[(usize, usize, f64)],
    w: f64,
) -> BTreeMap<(usize, usize), (f64, u32)> {
    let mut out = BTreeMap::new();
    for s in 0..n {
        let mut best = vec![0.0f64; n];
        let mut done = vec![false; n];
        for &(a, b, c) in edges {
            if a == s {
                best[b] = best[b].max(c * w);
            }
        }
        while let Some(u) = (0..n)
            .filter(|&u| !done[u] && best[u] > 0.0)
            .max_by(|&a, &b| best[a].total_cmp(&best[b]))
        {
            done[u] = true;
            for &(a, b, c) in edges {
                if a == u && best[u] * c * w > best[b] {
                    best[b] = best[u] * c * w;
                }
            }
        }
        // Fewest hops, by breadth-first search.
        let mut hops = vec![u32::MAX; n];
        let mut frontier: Vec<usize> = edges.iter().filter(|e| e.0 == s).map(|e| e.1).collect();
        let mut d = 1;
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for v in frontier {
                if hops[v] == u32::MAX {
                    hops[v] = d;
                    next.extend(edges.iter().filter(|e| e.0 == v).map(|e| e.1));
                }
            }
            frontier = next;
            d += 1;
        }
        for t in 0..n {
            if best[t] > 0.0 {
                out.insert((s, t), (best[t] / w, hops[t]));
            }
        }
    }
    out
}

fn graph() -> impl Strategy<Value = (usize, Vec<(usize, usize, f64)>, f64)> {
    (2usize..24).prop_flat_map(|n| {
        (
            Just(n),
            prop::collection::vec((0..n, 0..n, 0.05f64..=1.0), 0..70),
            0.3f64..=1.0,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn closure_confidence_is_the_best_path_product((n, edges, w) in graph()) {
        let program = Program::compile(&TC.replace("WEIGHT", &format!("{w:.17}")), "tc.dl").unwrap();
        let w: f64 = format!("{w:.17}").parse().unwrap();
        let mut inputs = Inputs::default();
        // A repeated edge keeps its best confidence, as the engine does.
        let mut dedup: BTreeMap<(usize, usize), f64> = BTreeMap::new();
        for &(a, b, c) in &edges {
            let e = dedup.entry((a, b)).or_insert(c);
            *e = e.max(c);
            inputs.add_with_confidence("edge", vec![Value::Number(a as i64), Value::Number(b as i64)], c);
        }
        let edges: Vec<(usize, usize, f64)> = dedup.into_iter().map(|((a, b), c)| (a, b, c)).collect();
        let want = best_paths(n, &edges, w);
        let db = program.evaluate(&inputs).unwrap();
        let mut got = BTreeMap::new();
        for f in db.relation("path").unwrap().facts() {
            let [Value::Number(a), Value::Number(b)] = f.values[..] else { unreachable!() };
            got.insert((a as usize, b as usize), (f.confidence, f.depth));
        }
        prop_assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
        for (k, &(c, d)) in &want {
            let (gc, gd) = got[k];
            prop_assert!((gc - c).abs() <= 1e-9 * c, "{:?}: engine {} reference {}", k, gc, c);
            prop_assert_eq!(gd, d, "depth of {:?}", k);
        }
    }
}

/// A closure through a three-atom rule (evaluated by index nested loops, with provenance on
/// their tables: the lattice step in place) against the same closure split into two-atom
/// rules through an intermediate relation (evaluated by datafrog's merge joins): the same
/// facts with the same best confidences.
const THREE_ATOMS: &str = r#"
.pragma "min_confidence" "0"
.decl edge(x: number, y: number)
.decl path(x: number, y: number)
path(x, y) :- edge(x, y).
path(x, w) :- edge(x, y), path(y, z), edge(z, w).
"#;

const SPLIT: &str = r#"
.pragma "min_confidence" "0"
.decl edge(x: number, y: number)
.decl path(x: number, y: number)
.decl mid(y: number, w: number)
path(x, y) :- edge(x, y).
mid(y, w) :- path(y, z), edge(z, w).
path(x, w) :- edge(x, y), mid(y, w).
"#;

fn confidences(src: &str, edges: &[(usize, usize, f64)]) -> BTreeMap<(i64, i64), f64> {
    let program = Program::compile(src, "closure.dl").unwrap();
    let mut inputs = Inputs::default();
    for &(a, b, c) in edges {
        inputs.add_with_confidence(
            "edge",
            vec![Value::Number(a as i64), Value::Number(b as i64)],
            c,
        );
    }
    let db = program.evaluate(&inputs).unwrap();
    let facts = db.relation("path").unwrap().facts();
    facts
        .map(|f| {
            let [Value::Number(a), Value::Number(b)] = f.values[..] else {
                unreachable!()
            };
            ((a, b), f.confidence)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn a_three_atom_closure_on_the_loops_keeps_the_best_confidence((_, edges, _) in graph()) {
        let (loops, split) = (confidences(THREE_ATOMS, &edges), confidences(SPLIT, &edges));
        prop_assert_eq!(loops.keys().collect::<Vec<_>>(), split.keys().collect::<Vec<_>>());
        for (k, &c) in &split {
            prop_assert!((loops[k] - c).abs() <= 1e-9 * c, "{:?}: loops {} split {}", k, loops[k], c);
        }
    }
}

#[test]
fn library_returns_confidence_depth_origin_and_proofs() {
    let program = Program::compile(
        r#"
        .decl edge(x: symbol, y: symbol)
        .decl path(x: symbol, y: symbol)
        path(x, y) :- edge(x, y).
        @name("transitive") @weight(0.5)
        path(x, z) :- edge(x, y), path(y, z).
        "#,
        "lib.dl",
    )
    .unwrap();
    let sym = |s: &str| Value::Symbol(s.into());
    let mut inputs = Inputs::default();
    inputs
        .add_with_confidence("edge", vec![sym("a"), sym("b")], 0.8)
        .add("edge", vec![sym("b"), sym("c")]);
    let mut db = program.evaluate(&inputs).unwrap();
    let path = db.relation("path").unwrap();
    let ac = path.get(&[sym("a"), sym("c")]).expect("derived");
    assert!((ac.confidence - 0.4).abs() < 1e-12);
    assert_eq!(ac.depth, 2);
    assert_eq!(ac.origin, Origin::Rule("transitive".into()));
    let ab = path.get(&[sym("a"), sym("b")]).unwrap();
    assert_eq!(ab.origin, Origin::Rule("lib.dl:4".into()));
    let edge = db
        .relation("edge")
        .unwrap()
        .get(&[sym("a"), sym("b")])
        .unwrap();
    assert_eq!(
        (edge.confidence, edge.depth, edge.origin),
        (0.8, 0, Origin::Asserted)
    );
    assert!(path.get(&[sym("c"), sym("a")]).is_none());
    let proof = db.explain("path", &[sym("a"), sym("c")]).expect("holds");
    assert_eq!(proof.rule, "transitive");
    assert_eq!(proof.premises.len(), 2);
    assert_eq!(proof.premises[0].fact, r#"edge("a", "b")"#);
    assert_eq!(proof.premises[1].premises[0].fact, r#"edge("b", "c")"#);
    assert!(db.explain_text(r#"path("c", "a")"#).unwrap().is_none());
    assert!(
        db.explain_text("path(1, 2)").is_err(),
        "wrong types are an error"
    );
    let mut bad = Inputs::default();
    bad.add_with_confidence("edge", vec![sym("x"), sym("y")], 1.5);
    let err = program.evaluate(&bad).unwrap_err().to_string();
    assert!(err.contains("confidence 1.5 is not in (0, 1]"), "{err}");
}

/// A proof deeper than [`engram_engine::MAX_PROOF_DEPTH`] levels is shown to that depth, its
/// last fact marked truncated, in text and JSON (a 20,000-step derivation once overflowed the
/// stack: proof building, printing and serializing recursed once per level).
#[test]
fn a_very_deep_proof_is_truncated_not_a_stack_overflow() {
    let src = "
        .decl n(x: number)
        n(0).
        n(x + 1) :- n(x), x < 20000.
    ";
    let mut db = Program::compile(src, "deep.dl")
        .unwrap()
        .evaluate(&Inputs::default())
        .unwrap();
    let proof = db.explain_text("n(20000)").unwrap().expect("holds");
    let mut levels = 0;
    let mut node = &proof;
    while let Some(p) = node.premises.first() {
        levels += 1;
        node = p;
    }
    assert_eq!(levels, engram_engine::MAX_PROOF_DEPTH);
    assert!(node.truncated && !proof.truncated);
    assert_eq!(node.fact, format!("n({})", 20000 - levels));
    assert!(proof.to_text().contains("premises not shown"));
    assert_eq!(proof.to_json().matches("\"truncated\": true").count(), 1);
    // A shallow proof is whole.
    let proof = db.explain_text("n(3)").unwrap().expect("holds");
    assert!(!proof.to_text().contains("premises not shown"));
    assert!(!proof.to_json().contains("truncated"));
}
