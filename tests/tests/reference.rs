//! The real evaluator against the naive reference evaluator, on random stratified programs
//! with recursion, negation, constants, comparisons, inline relations and the magic-set
//! transformation; and random text never panics.

use engram_engine::{Program, Value};
use engram_tests::reference::RandomProgram;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn engine_rows(program: &Program, rel: &str) -> BTreeSet<Vec<i64>> {
    unreachable_free(program)
        .relation(rel)
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

fn unreachable_free(program: &Program) -> engram_engine::Database {
    program.evaluate(&Default::default()).expect("evaluates")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn evaluator_matches_reference(seed in any::<u64>()) {
        let random = RandomProgram::generate(seed);
        let text = random.to_datalog();
        let program = Program::compile(&text, "random.dl")
            .unwrap_or_else(|e| panic!("generated program does not compile:\n{text}\n{e}"));
        let expected = random.evaluate();
        let db = unreachable_free(&program);
        for (i, rel) in random.rels.iter().enumerate() {
            if rel.level.is_none() || rel.inline || !rel.output {
                continue;
            }
            let name = format!("r{i}");
            let got = engine_rows(&program, &name);
            prop_assert_eq!(&got, &expected[i], "relation {} of\n{}", name, text);
            prop_assert_eq!(db.relation(&name).unwrap().len(), expected[i].len());
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
