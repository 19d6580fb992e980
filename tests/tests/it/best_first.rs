//! Best-first settling of confidences (`engine/core/src/eval/loops/best_first.rs`) against
//! semi-naive rounds (`EvalOptions::best_first` off) on random weighted graphs and random rule
//! settings: the same facts, confidences (to 1e-9, relative), depths and origins, for linear
//! and nonlinear closures, mutual recursion with facts asserted into a derived relation, three-
//! atom bodies, negation and confidences read from an earlier stratum, both t-norms, rule
//! weights and thresholds.

use engram_engine::{Database, EvalOptions, Inputs, Program, Value};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// The programs: `W1`, `W2` are rule weights, `T1` a t-norm, `MIN` the threshold.
const PROGRAMS: [&str; 4] = [
    // A linear closure.
    r#"
path(x, y) :- edge(x, y).
@weight(W1) @tnorm(T1)
path(x, z) :- edge(x, y), path(y, z).
"#,
    // A nonlinear closure, and a linear rule with a negation.
    r#"
path(x, y) :- edge(x, y).
@weight(W1) @tnorm(T1)
path(x, z) :- path(x, y), path(y, z).
@weight(W2)
path(x, z) :- path(x, y), edge(y, z), !block(z).
"#,
    // Mutual recursion; `a` also has facts of its own.
    r#"
a(x, y) :- edge(x, y).
@weight(W1)
b(x, y) :- a(y, x).
@weight(W2) @tnorm(T1)
a(x, z) :- b(x, y), edge(y, z).
"#,
    // Three atoms, a constant, and an earlier stratum's confidence read into a variable.
    r#"
path(x, y) :- edge(x, y).
@weight(W1) @tnorm(T1)
path(x, w) :- edge(x, y), path(y, z), edge(z, w).
@weight(W2)
path(x, y) :- path(0, x), edge(x, y) @ c, c > 0.6.
"#,
];

const DECLS: &str = r#"
.pragma "min_confidence" "MIN"
.decl edge(x: number, y: number)
.decl block(x: number)
.decl path(x: number, y: number)
.decl a(x: number, y: number)
.decl b(x: number, y: number)
"#;

/// A fact: its values and its confidence, depth and origin.
type Facts = BTreeMap<(String, Vec<i64>), (f64, u32, String)>;

fn evaluate(src: &str, inputs: &Inputs, best_first: bool) -> (Facts, Database) {
    let program = Program::compile(src, "best.dl").unwrap();
    let options = EvalOptions {
        best_first,
        ..EvalOptions::default()
    };
    let db = program.evaluate_with(inputs, &options).unwrap();
    let mut out = Facts::new();
    for rel in ["path", "a", "b", "edge"] {
        for f in db.relation(rel).unwrap().facts() {
            let values = (f.values.iter())
                .map(|v| match v {
                    Value::Number(n) => *n,
                    other => panic!("a number: {other:?}"),
                })
                .collect();
            let origin = format!("{:?}", f.origin);
            out.insert((rel.to_string(), values), (f.confidence, f.depth, origin));
        }
    }
    (out, db)
}

/// A fact written as Datalog text (`path(0, 3)`) as a key of [`Facts`].
fn key_of(text: &str) -> (String, Vec<i64>) {
    let (name, args) = text.trim_end_matches(')').split_once('(').unwrap();
    let values = (args.split(',').filter(|a| !a.trim().is_empty()))
        .map(|a| a.trim().parse().unwrap())
        .collect();
    (name.to_string(), values)
}

/// The confidence of the derivation `db` (best-first) gives as the proof of `fact`, its
/// premises' confidences read from `rounds` instead, by its rule's weight and t-norm as
/// written in `src` (on the line where the rule starts).
fn proof_in(db: &mut Database, fact: &(String, Vec<i64>), src: &str, rounds: &Facts) -> f64 {
    let values: Vec<Value> = fact.1.iter().map(|&v| Value::Number(v)).collect();
    let proof = db.explain(&fact.0, &values).unwrap();
    let line: usize = proof.rule.rsplit(':').next().unwrap().parse().unwrap();
    let written = src.lines().nth(line - 1).unwrap_or("");
    let setting = |name: &str| {
        let at = written.find(&format!("@{name}("))?;
        let rest = &written[at + name.len() + 2..];
        Some(rest[..rest.find(')').unwrap()].to_string())
    };
    let weight: f64 = setting("weight").map_or(1.0, |w| w.parse().unwrap());
    let confs = (proof.premises.iter()).map(|p| rounds[&key_of(&p.fact)].0);
    let body = match setting("tnorm").as_deref() {
        Some("min") => confs.fold(1.0, f64::min),
        _ => confs.product(),
    };
    weight * body
}

/// Confidences that tie often (0.5, 0.8, 1) and ones that do not.
fn confidence() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.5), Just(0.8), Just(1.0), 0.05f64..=1.0]
}

fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![Just(1.0), Just(0.9), Just(0.5), 0.2f64..=1.0]
}

prop_compose! {
    fn case()(n in 2i64..14)(
        edges in prop::collection::vec((0..n, 0..n, confidence()), 0..45),
        own in prop::collection::vec((0..n, 0..n, confidence()), 0..6),
        block in prop::collection::vec(0..n, 0..3),
        program in 0..PROGRAMS.len(),
        w in (weight(), weight()),
        min in prop_oneof![Just(0.0), Just(0.01), Just(0.3)],
        tnorm in prop_oneof![Just("product"), Just("min")],
    ) -> (String, Inputs) {
        let src = format!("{DECLS}{}", PROGRAMS[program])
            .replace("W1", &format!("{:.6}", w.0))
            .replace("W2", &format!("{:.6}", w.1))
            .replace("T1", tnorm)
            .replace("MIN", &min.to_string());
        let mut inputs = Inputs::default();
        let pair = |a: i64, b: i64| vec![Value::Number(a), Value::Number(b)];
        for (a, b, c) in edges {
            inputs.add_with_confidence("edge", pair(a, b), c);
        }
        for (a, b, c) in own {
            inputs.add_with_confidence("a", pair(a, b), c);
        }
        for x in block {
            inputs.add("block", vec![Value::Number(x)]);
        }
        (src, inputs)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn best_first_settles_what_the_rounds_reach((src, inputs) in case()) {
        let ((best, mut db), (rounds, _)) =
            (evaluate(&src, &inputs, true), evaluate(&src, &inputs, false));
        prop_assert_eq!(best.keys().collect::<Vec<_>>(), rounds.keys().collect::<Vec<_>>());
        for (k, (c, d, o)) in &rounds {
            let (bc, bd, bo) = &best[k];
            prop_assert!((bc - c).abs() <= 1e-9 * c, "{:?}: best-first {} rounds {}", k, bc, c);
            prop_assert_eq!(bd, d, "depth of {:?}", k);
            if bo != o {
                // Two rules tie for the best derivation: best-first's is as confident, from
                // the rounds' own facts.
                let tied = proof_in(&mut db, k, &src, &rounds);
                prop_assert!((tied - c).abs() <= 1e-9 * c, "origin of {:?}: {} ({}) against {} ({})", k, bo, tied, o, c);
            }
        }
    }
}
