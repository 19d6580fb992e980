//! The real evaluator against the naive reference evaluator, on random stratified programs
//! with recursion, negation, constants, comparisons, inline relations and the magic-set
//! transformation; and random text never panics.

use engram_engine::{Database, EvalOptions, Program, Value};
use engram_tests::reference::RandomProgram;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn engine_rows(db: &Database, rel: &str) -> BTreeSet<Vec<i64>> {
    db.relation(rel)
        .expect("relation exists")
        .rows()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    Value::Number(n) => *n,
                    other => panic!("unexpected value {other:?}"),
                })
                .collect()
        })
        .collect()
}

fn evaluate(program: &Program, provenance: bool) -> Database {
    program
        .evaluate_with(
            &Default::default(),
            &EvalOptions {
                provenance,
                ..EvalOptions::default()
            },
        )
        .expect("evaluates")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Plain Datalog (boolean), the same program with provenance tracking, and the program
    /// rewritten with neutral confidence syntax (weights 1, both t-norms, a threshold) all give
    /// the reference evaluator's facts.
    #[test]
    fn evaluator_matches_reference(seed in any::<u64>()) {
        let random = RandomProgram::generate(seed);
        let expected = random.evaluate();
        let plain = random.to_datalog();
        let neutral = random.to_datalog_with_neutral_confidence();
        for (text, provenance) in [(&plain, false), (&plain, true), (&neutral, false)] {
            let program = Program::compile(text, "random.dl")
                .unwrap_or_else(|e| panic!("generated program does not compile:\n{text}\n{e}"));
            let db = evaluate(&program, provenance);
            prop_assert_eq!(db.provenance(), provenance || text == &neutral);
            for (i, rel) in random.rels.iter().enumerate() {
                if rel.level.is_none() || rel.inline || !rel.output {
                    continue;
                }
                let name = format!("r{i}");
                let got = engine_rows(&db, &name);
                prop_assert_eq!(&got, &expected[i], "relation {} of\n{}", name, text);
                let view = db.relation(&name).unwrap();
                prop_assert_eq!(view.len(), expected[i].len());
                prop_assert!(view.facts().all(|f| f.confidence == 1.0));
            }
        }
    }

    #[test]
    fn random_text_never_panics(src in "[a-z(),.:!_ \\-\"0-9<=>+*/{};@?\n]{0,80}") {
        let _ = Program::compile(&src, "fuzz.dl");
    }

    #[test]
    fn mutated_programs_never_panic(seed in any::<u64>(), cut in 0usize..400, insert in "[(),.:!_\" ;{}]{0,3}") {
        let text = RandomProgram::generate(seed).to_datalog();
        let mut cut = cut.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let mutated = format!("{}{}{}", &text[..cut], insert, &text[cut..]);
        if let Ok(p) = Program::compile(&mutated, "mutated.dl") {
            let _ = p.evaluate(&Default::default());
        }
    }
}
