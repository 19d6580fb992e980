//! Golden tests: every `tests/golden/*.dl` is evaluated and its output relations and query
//! answers are compared with `*.expected` beside it (sorted rows). `UPDATE_GOLDEN=1` rewrites
//! the expected files.

use engram_engine::{EvalOptions, Program};
use engram_tests::{check_pinned, render_outputs, workspace_root};
use std::path::Path;

/// The outputs and answers of the golden program at `path`, evaluated best-first or not.
fn golden_output(path: &Path, best_first: bool) -> String {
    let src = std::fs::read_to_string(path).expect("readable");
    let name = path.file_name().unwrap().to_string_lossy();
    // `// now: TIME` fixes what `now()` stands for.
    let now = src
        .lines()
        .find_map(|l| l.trim().strip_prefix("// now:"))
        .map(|t| engram_engine::parse_time(t).expect("a time"));
    let options = EvalOptions {
        now,
        best_first,
        ..EvalOptions::default()
    };
    match Program::compile(&src, &name).and_then(|p| {
        let mut db = p.evaluate_with(&Default::default(), &options)?;
        Ok(render_outputs(&p, &mut db, &src))
    }) {
        Ok(text) => text,
        Err(e) => format!("error: {e}\n"),
    }
}

#[test]
fn golden_programs() {
    check_pinned(
        &workspace_root().join("tests/golden"),
        |path| path.with_extension("expected"),
        |path| golden_output(path, false),
    );
}

/// Every golden program evaluated best-first gives what the rounds give.
#[test]
fn golden_programs_best_first() {
    let dir = workspace_root().join("tests/golden");
    let mut programs: Vec<_> = (std::fs::read_dir(&dir).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dl"))
        .collect();
    programs.sort();
    assert!(programs.len() > 20, "the golden programs");
    for path in programs {
        let (rounds, best) = (golden_output(&path, false), golden_output(&path, true));
        assert_eq!(best, rounds, "{}", path.display());
    }
}
