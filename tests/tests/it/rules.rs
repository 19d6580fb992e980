//! The shipped rule library: every `rules/*.dl` parses and plans, and runs on its fixture
//! `tests/rules/<name>/memories.jsonl` (engram's memory format, read as `engram load` reads
//! it) to the expected output there: every relation the file's rules derive, with
//! confidence, depth and rule, then the violations (`UPDATE_GOLDEN=1` rewrites it).

use engram_engine::{EvalOptions, Inputs, Program, memory};
use engram_tests::{check_pinned, render_answers_and_proofs, render_fact, workspace_root};
use std::fmt::Write;
use std::path::Path;

/// What `now()` stands for in every fixture.
const NOW: &str = "2026-11-01T00:00:00Z";

fn fixture(path: &Path) -> std::path::PathBuf {
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    workspace_root().join("tests/rules").join(stem)
}

/// The relations a file declares itself.
fn declared_by(src: &str) -> Vec<String> {
    let parsed = engram_parser::parse(src, "<rules>").expect("parses");
    parsed
        .items
        .iter()
        .filter_map(|i| match i {
            engram_parser::Item::Decl(d) => Some(d.name.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_rule_file_plans_and_matches_its_fixture() {
    check_pinned(
        &workspace_root().join("rules"),
        |path| fixture(path).join("expected.txt"),
        |path| {
            // Compiled under its path in the repository, so origins do not depend on where the
            // repository is checked out.
            let name = format!("rules/{}", path.file_name().unwrap().to_string_lossy());
            let src = std::fs::read_to_string(path).unwrap();
            let program = Program::compile(&src, &name).unwrap_or_else(|e| panic!("{e}"));
            let dir = fixture(path);
            let text = std::fs::read_to_string(dir.join("memories.jsonl"))
                .unwrap_or_else(|e| panic!("{}: no fixture: {e}", path.display()));
            let read = memory::Format::Native
                .read(&text, false)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            let now = engram_engine::parse_time(NOW).unwrap();
            let mut inputs = Inputs::default();
            engram_engine::memory::add_to_inputs(&mut inputs, &read.facts, now);
            let options = EvalOptions {
                now: Some(now),
                ..EvalOptions::default()
            };
            let mut db = program.evaluate_with(&inputs, &options).expect("evaluates");
            let own = declared_by(&src);
            let mut out = String::new();
            for decl in program.relations() {
                let derived = decl.is_derived;
                // What this file derives: its own relations, its outputs, and the shared
                // `edge` and `entity`; helpers of the files it includes show in their own
                // fixtures.
                let shown = decl.is_output
                    || own.contains(&decl.name)
                    || ["edge", "entity"].contains(&decl.name.as_str());
                if !derived || !shown {
                    continue;
                }
                let facts = db.relation(&decl.name).unwrap().sorted_facts();
                writeln!(out, "== {} ({} rows)", decl.name, facts.len()).unwrap();
                for f in &facts {
                    writeln!(out, "{}", render_fact(f)).unwrap();
                }
            }
            out + &render_answers_and_proofs(&mut db, &src)
        },
    );
}
