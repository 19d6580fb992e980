//! Test support for engram: the Soufflé conformance runner and the paths of shared data.
#![warn(missing_docs)]

pub mod conformance;
pub mod fuzz;
pub mod reference;

use engram_engine::Value;
use engram_engine::{Database, Fact, Program};
use std::fmt::Write;
use std::path::PathBuf;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Every relation of a store with its facts' values, confidence, depth and time.
pub type Snapshot = std::collections::BTreeMap<String, Vec<(Vec<Value>, f64, u32, i64)>>;

/// What a store holds, relation by relation, to compare two stores.
pub fn snapshot(store: &mut engram_engine::store::Store) -> Snapshot {
    let mut out = Snapshot::new();
    for r in store.relations().expect("relations") {
        let facts: Vec<Fact> = store.facts(&r.name).expect("facts").unwrap_or_default();
        out.insert(
            r.name,
            facts
                .into_iter()
                .map(|f| (f.values, f.confidence, f.depth, f.time))
                .collect(),
        );
    }
    out
}

/// The shipped example memory (`examples/memories.jsonl`) with the standard rules, evaluated a
/// day after its last memory, as `engram demo` builds it: in a new store at `path`, or in
/// memory.
pub fn example_store(path: Option<&std::path::Path>) -> engram_engine::store::Store {
    use engram_engine::memory;
    let text = std::fs::read_to_string(workspace_root().join("examples/memories.jsonl"))
        .expect("the example memory");
    let read = memory::Format::Native.read(&text, false).expect("it reads");
    let last = (read.facts.iter().filter_map(|f| f.time).max()).expect("timed memories");
    let mut store = match path {
        Some(p) => engram_engine::store::Store::create(p).expect("a new store"),
        None => engram_engine::store::Store::in_memory(),
    };
    store.set_now(Some(last + 86_400_000));
    store
        .add_rule_files(&engram_engine::library::default_rules())
        .expect("the standard rules");
    let mut tx = store.transaction().expect("a transaction");
    memory::add_to_transaction(&mut tx, read.facts).expect("the memories");
    tx.commit().expect("a commit");
    store
}

/// Copies a store directory's files (not its `LOCK`) into `to`, created; returns the names
/// copied, sorted.
pub fn copy_store(from: &std::path::Path, to: &std::path::Path) -> Vec<std::ffi::OsString> {
    std::fs::create_dir_all(to).expect("the copy's directory");
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(from)
        .expect("the store's directory")
        .map(|e| e.expect("an entry").file_name())
        .filter(|n| n != "LOCK")
        .collect();
    names.sort();
    for n in &names {
        // Read and written whole, not `fs::copy`: its `copy_file_range` path gives up on EINTR,
        // which libFuzzer's timer signal causes.
        let bytes = std::fs::read(from.join(n)).expect("a store file");
        std::fs::write(to.join(n), bytes).expect("a copy");
    }
    names
}

/// `../shared` beside the workspace.
pub fn shared_dir() -> PathBuf {
    workspace_root().join("../shared")
}

/// One fact as a golden line: its values, then `@ confidence` (6 decimals), depth and origin.
pub fn render_fact(f: &Fact) -> String {
    let values: Vec<String> = f.values.iter().map(Value::to_string).collect();
    let values = if values.is_empty() {
        "()".to_string()
    } else {
        values.join("\t")
    };
    format!(
        "{values}\t@ {:.6}\tdepth {}\t{}",
        f.confidence, f.depth, f.origin
    )
}

/// The output relations (facts sorted by value, with confidence, depth and origin), query
/// answers and violations (with proofs) of an evaluation, then the proof of every fact that
/// a `// explain: FACT` line of the source asks for, as golden text.
pub fn render_outputs(program: &Program, db: &mut Database, src: &str) -> String {
    let mut out = String::new();
    for rel in program.relations().iter().filter(|r| r.is_output) {
        let view = db.relation(&rel.name).expect("declared relation");
        let facts = view.sorted_facts();
        writeln!(out, "== {} ({} rows)", rel.name, facts.len()).unwrap();
        for f in &facts {
            writeln!(out, "{}", render_fact(f)).unwrap();
        }
        // A functional relation's history: what newer facts replaced.
        let old = db.superseded(&rel.name);
        if !old.is_empty() {
            writeln!(out, "== {} superseded ({} rows)", rel.name, old.len()).unwrap();
            for s in &old {
                let by: Vec<String> = s.by.values.iter().map(ToString::to_string).collect();
                writeln!(out, "{}\tby {}", render_fact(&s.fact), by.join("\t")).unwrap();
            }
        }
    }
    out + &render_answers_and_proofs(db, src)
}

/// The query answers and violations (with proofs) of an evaluation, then the proof of every
/// fact that a `// explain: FACT` line of `src` asks for, and why each fact a `// why-not: FACT`
/// line asks about does not hold, as golden text.
pub fn render_answers_and_proofs(db: &mut Database, src: &str) -> String {
    let mut out = String::new();
    for q in db.queries() {
        writeln!(out, "== {} ({} answers)", q.text.trim(), q.answers.len()).unwrap();
        writeln!(out, "{}", q.columns.join("\t")).unwrap();
        for f in &q.answers {
            writeln!(out, "{}", render_fact(f)).unwrap();
        }
    }
    let violations = db.violations(None);
    if !violations.is_empty() {
        writeln!(out, "== violations ({})", violations.len()).unwrap();
        for v in &violations {
            out.push_str(&v.proof.to_text());
        }
    }
    for line in src.lines() {
        if let Some(fact) = line.trim().strip_prefix("// why-not:") {
            writeln!(out, "== why not {}", fact.trim()).unwrap();
            match db.why_not_text(fact.trim()) {
                Ok(why) => out.push_str(&why.to_text()),
                Err(e) => writeln!(out, "error: {e}").unwrap(),
            }
            continue;
        }
        let Some(fact) = line.trim().strip_prefix("// explain:") else {
            continue;
        };
        writeln!(out, "== explain {}", fact.trim()).unwrap();
        match db.explain_text(fact.trim()) {
            Ok(Some(proof)) => out.push_str(&proof.to_text()),
            Ok(None) => match db.superseded_by_text(fact.trim()) {
                Ok(Some(by)) => {
                    let by: Vec<String> = by.values.iter().map(ToString::to_string).collect();
                    writeln!(out, "superseded by {}", by.join("\t")).unwrap()
                }
                _ => writeln!(out, "not derived").unwrap(),
            },
            Err(e) => writeln!(out, "error: {e}").unwrap(),
        }
    }
    out
}

/// For every `*.dl` file in `dir` (sorted): renders it and compares the text with the file
/// `expected(path)`, or writes that file when `UPDATE_GOLDEN` is set. Panics listing every
/// mismatch.
pub fn check_pinned(
    dir: &std::path::Path,
    expected: impl Fn(&std::path::Path) -> PathBuf,
    render: impl Fn(&std::path::Path) -> String,
) {
    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .dl files in {}", dir.display());
    let mut failures = Vec::new();
    for path in files {
        let actual = render(&path);
        let pinned = expected(&path);
        if bless {
            std::fs::write(&pinned, &actual).expect("write pinned output");
            continue;
        }
        let want = std::fs::read_to_string(&pinned).unwrap_or_default();
        if want != actual {
            failures.push(format!(
                "{}:\n--- expected\n{want}--- actual\n{actual}",
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "mismatches (UPDATE_GOLDEN=1 rewrites them):\n{}",
        failures.join("\n")
    );
}

/// The rows of `relation` after evaluating `src` with or without provenance, each as its
/// values' debug text, sorted: for comparing the two evaluations of one program.
pub fn sorted_rows(src: &str, relation: &str, provenance: bool) -> Vec<String> {
    let p = Program::compile(src, "test.dl").expect("compiles");
    let db = p
        .evaluate_with(
            &Default::default(),
            &engram_engine::EvalOptions {
                provenance,
                ..engram_engine::EvalOptions::default()
            },
        )
        .expect("evaluates");
    let mut out: Vec<String> = db
        .relation(relation)
        .expect("the relation")
        .rows()
        .map(|r| format!("{r:?}"))
        .collect();
    out.sort();
    out
}

/// Whether the long runs are asked for (`ENGRAM_LONG_TESTS=1`, which `.ci/run` sets): the fuzz
/// harnesses at their CI size rather than a quarter of it.
pub fn long_tests() -> bool {
    std::env::var_os("ENGRAM_LONG_TESTS").is_some_and(|v| v != "0")
}
