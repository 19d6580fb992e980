//! Planner errors: every `tests/plan_errors/*.dl` gives exactly the errors pinned in its `.err`
//! file, with file, line, column and a caret (`UPDATE_GOLDEN=1` rewrites them).

use engram_engine::Program;
use engram_tests::{check_pinned, workspace_root};

#[test]
fn plan_errors_are_pinned() {
    check_pinned(
        &workspace_root().join("tests/plan_errors"),
        |path| path.with_extension("err"),
        |path| {
            let src = std::fs::read_to_string(path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy();
            match Program::compile(&src, &name) {
                Ok(_) => "no error\n".to_string(),
                Err(e) => format!("{e}\n"),
            }
        },
    );
}
