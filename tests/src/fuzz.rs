//! The fuzz harnesses: each takes arbitrary bytes and checks what must hold for any input
//! (no panic, errors that name where they are, bounded work). The same functions run as
//! proptest cases on stable (`tests/tests/it/fuzz.rs`, a few hundred cases in CI) and as
//! cargo-fuzz targets on nightly (`fuzz/`, see `fuzz/README.md`).
//!
//! - [`compile_any`]: the parser and planner on any bytes.
//! - [`compile_generated`]: the planner and evaluator on programs generated from the bytes
//!   (declarations, facts and rules that mostly parse, so the planner is what is tested).
//! - [`open_mutated`]: a store whose files were changed and their checksums recomputed, so
//!   what is tested is the validation behind the checksums.
//! - [`load_jsonl`] and [`load_tsv`]: the loaders of `engram load`.
//! - [`faulty_commits`]: commits on a storage backend that fails operations as the bytes say.

mod faulty;
mod generate;
mod mutate;

pub use faulty::faulty_commits;
pub use generate::{Choices, program};
pub use mutate::{open_mutated, template_store};

use engram_engine::OutputTarget;
use engram_engine::{EvalOptions, Inputs, Limits, Program, Store, memory};
use engram_parser::Span;
use std::time::Duration;

/// The bounds every harness evaluates under: a generated program may count forever.
pub const LIMITS: Limits = Limits {
    max_facts: Some(20_000),
    timeout: Some(Duration::from_secs(2)),
    max_memory: Some(256 << 20),
};

/// Checks that a span lies inside `text`, on character boundaries.
fn assert_span(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} outside a text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} splits a character"
    );
}

/// The parser and the planner on any bytes (read as UTF-8, lossily): no panic; every error
/// has a span inside the text and renders with the file name and a caret; a program that
/// plans evaluates under [`LIMITS`] and its outputs print.
pub fn compile_any(bytes: &[u8]) {
    compile_text(&String::from_utf8_lossy(bytes));
}

/// [`compile_any`] on a program generated from the bytes ([`program`]).
pub fn compile_generated(bytes: &[u8]) {
    compile_text(&program(&mut Choices::new(bytes)));
}

/// [`compile_any`] on text.
pub fn compile_text(text: &str) {
    if let Err(e) = engram_parser::parse(text, "fuzz.dl") {
        assert!(!e.errors.is_empty(), "a parse failure without an error");
        for err in &e.errors {
            assert_span(text, err.span, &err.message);
        }
        let shown = e.to_string();
        assert!(shown.contains("fuzz.dl:") && shown.contains('^'), "{shown}");
    }
    match Program::compile(text, "fuzz.dl") {
        Err(engram_core::Error::Plan(p)) => {
            assert!(!p.errors().is_empty(), "a plan failure without an error");
            for err in p.errors() {
                assert_span(text, err.span, &err.message);
            }
            let shown = p.to_string();
            assert!(shown.contains("fuzz.dl:") && shown.contains('^'), "{shown}");
        }
        Err(_) => {}
        Ok(program) => evaluate(&program),
    }
}

/// Evaluates a program under [`LIMITS`] with no input files, printing its outputs to memory
/// (never to files: a generated `filename` could name anything).
fn evaluate(program: &Program) {
    let options = EvalOptions {
        limits: LIMITS,
        ..EvalOptions::default()
    };
    if let Ok(db) = program.evaluate_with(&Inputs::default(), &options) {
        let mut out = Vec::new();
        db.write_outputs(&OutputTarget::Stdout, &mut out)
            .expect("writing to memory");
        for q in db.queries() {
            assert!(
                q.answers
                    .iter()
                    .all(|a| a.confidence > 0.0 && a.confidence <= 1.0)
            );
        }
    }
}

/// The JSON Lines loader on any bytes, read as each memory format and as detected: no panic;
/// a refused line is one of the text's lines; what is read commits to an in-memory store
/// under [`LIMITS`].
pub fn load_jsonl(bytes: &[u8]) {
    let Ok(text) = engram_core::internal::io::utf8("fuzz.jsonl".as_ref(), bytes, 1) else {
        return;
    };
    let lines = text.lines().count().max(1);
    let formats = [
        Some(memory::Format::Native),
        Some(memory::Format::McpMemory),
        Some(memory::Format::MemoryGraph),
        memory::Format::detect(text),
    ];
    for format in formats.into_iter().flatten() {
        for skip_bad in [false, true] {
            match format.read(text, skip_bad) {
                Err(bad) => {
                    // A line number, or an entry of a MemoryGraph export (`memories[3]`).
                    if let Ok(line) = bad.at.parse::<usize>() {
                        assert!(line >= 1 && line <= lines, "{bad}: a text of {lines} lines");
                    }
                }
                Ok(import) => {
                    let mut store = Store::in_memory();
                    store.set_limits(LIMITS);
                    let Ok(mut tx) = store.transaction() else {
                        continue;
                    };
                    if memory::add_to_transaction(&mut tx, import.facts).is_ok() {
                        let _ = tx.commit();
                    }
                }
            }
        }
    }
}

/// The tab-separated loader on any bytes, into a relation nothing declares (symbol columns)
/// and into a declared one of every column type, with and without a confidence column: no
/// panic; an error names the file and a line of it.
pub fn load_tsv(bytes: &[u8]) {
    let lines = bytes.split(|&b| b == b'\n').count();
    for (relation, confidence) in [("any", false), ("any", true), ("t", false), ("t", true)] {
        let mut store = Store::in_memory();
        store.set_limits(LIMITS);
        store
            .add_rules("t", ".decl t(s: symbol, n: number, u: unsigned, f: float)")
            .expect("the declaration compiles");
        let mut tx = store.transaction().expect("an in-memory transaction");
        match tx.add_tsv(bytes, "fuzz.tsv".as_ref(), relation, confidence) {
            Ok(_) => {
                let _ = tx.commit();
            }
            Err(engram_store::WriteError::Input { path, line, .. }) => {
                assert_eq!(path.to_str(), Some("fuzz.tsv"));
                assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            }
            Err(e) => {
                let shown = e.to_string();
                assert!(!shown.is_empty());
            }
        }
    }
}
