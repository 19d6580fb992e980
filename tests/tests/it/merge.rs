//! `.merge`: a program that merges through an identity gives the same facts as the same
//! program with the canonicalisation written out by hand (each symbol joined with its class's
//! label, the smallest member by text), on random graphs with random alias classes.

use engram_engine::{Inputs, Program, Value};
use proptest::prelude::*;
use std::collections::BTreeMap;

const MERGING: &str = r#"
.decl same_as(a: symbol, b: symbol) eqrel
.merge same_as
.decl e(x: symbol, y: symbol)
.decl p(x: symbol, y: symbol)
.decl r(x: symbol)
p(x, y) :- e(x, y).
@weight(0.9) p(x, z) :- e(x, y), p(y, z).
r(x) :- p("n9", x).
"#;

const BY_HAND: &str = r#"
.decl canon(x: symbol, c: symbol)
.decl e0(x: symbol, y: symbol)
.decl e(x: symbol, y: symbol)
.decl p(x: symbol, y: symbol)
.decl r(x: symbol)
e(cx, cy) :- e0(x, y), canon(x, cx), canon(y, cy).
p(x, y) :- e(x, y).
@weight(0.9) p(x, z) :- e(x, y), p(y, z).
r(x) :- p(c, x), canon("n9", c).
"#;

fn sym(i: u8) -> Value {
    Value::Symbol(format!("n{i}"))
}

/// Each node's label: the smallest member of its class by text.
fn labels(nodes: u8, aliases: &[(u8, u8)]) -> Vec<u8> {
    let mut parent: Vec<u8> = (0..nodes).collect();
    fn find(p: &mut [u8], x: u8) -> u8 {
        let mut x = x;
        while p[x as usize] != x {
            x = p[x as usize];
        }
        x
    }
    for &(a, b) in aliases {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent[ra.max(rb) as usize] = ra.min(rb);
    }
    // Smallest by text: "n10" < "n2".
    let mut out = vec![0; nodes as usize];
    for x in 0..nodes {
        let root = find(&mut parent, x);
        out[x as usize] = (0..nodes)
            .filter(|&y| find(&mut parent.clone(), y) == root)
            .min_by_key(|y| format!("n{y}"))
            .expect("a class has members");
    }
    out
}

type Facts = BTreeMap<String, Vec<(Vec<Value>, String)>>;

fn facts(program: &str, inputs: &Inputs) -> Facts {
    let p = Program::compile(program, "m.dl").expect("compiles");
    let db = p.evaluate(inputs).expect("evaluates");
    ["e", "p", "r"]
        .iter()
        .map(|name| {
            let rel = db.relation(name).expect("declared");
            let rows = rel
                .sorted_facts()
                .into_iter()
                .map(|f| (f.values, format!("{:.9}", f.confidence)))
                .collect();
            (name.to_string(), rows)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn merge_equals_canonicalisation_by_hand(
        nodes in 10u8..14,
        edges in prop::collection::vec((0u8..14, 0u8..14, 1u8..=10), 0..30),
        aliases in prop::collection::vec((0u8..14, 0u8..14), 0..8),
    ) {
        let edges: Vec<_> = edges.into_iter().filter(|e| e.0 < nodes && e.1 < nodes).collect();
        let aliases: Vec<_> = aliases.into_iter().filter(|a| a.0 < nodes && a.1 < nodes).collect();
        let mut merging = Inputs::default();
        let mut by_hand = Inputs::default();
        for &(x, y, c) in &edges {
            let c = f64::from(c) / 10.0;
            merging.add_with_confidence("e", vec![sym(x), sym(y)], c);
            by_hand.add_with_confidence("e0", vec![sym(x), sym(y)], c);
        }
        for &(a, b) in &aliases {
            merging.add("same_as", vec![sym(a), sym(b)]);
        }
        for (x, label) in labels(nodes, &aliases).into_iter().enumerate() {
            by_hand.add("canon", vec![sym(x as u8), sym(label)]);
        }
        let got = facts(MERGING, &merging);
        let want = facts(BY_HAND, &by_hand);
        prop_assert_eq!(got, want);
    }
}
