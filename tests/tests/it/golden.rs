//! Golden tests: every `tests/golden/*.dl` is evaluated and its output relations and query
//! answers are compared with `*.expected` beside it (sorted rows). `UPDATE_GOLDEN=1` rewrites
//! the expected files.

use engram_engine::{EvalOptions, Program};
use engram_tests::{check_pinned, render_outputs, workspace_root};

#[test]
fn golden_programs() {
    check_pinned(
        &workspace_root().join("tests/golden"),
        |path| path.with_extension("expected"),
        |path| {
            let src = std::fs::read_to_string(path).expect("readable");
            let name = path.file_name().unwrap().to_string_lossy();
            // `// now: TIME` fixes what `now()` stands for.
            let now = src
                .lines()
                .find_map(|l| l.trim().strip_prefix("// now:"))
                .map(|t| engram_engine::parse_time(t).expect("a time"));
            let options = EvalOptions {
                now,
                ..EvalOptions::default()
            };
            match Program::compile(&src, &name).and_then(|p| {
                let mut db = p.evaluate_with(&Default::default(), &options)?;
                Ok(render_outputs(&p, &mut db, &src))
            }) {
                Ok(text) => text,
                Err(e) => format!("error: {e}\n"),
            }
        },
    );
}
