//! Planner errors: every `tests/plan_errors/*.dl` gives exactly the errors pinned in its `.err`
//! file, with file, line, column and a caret (`UPDATE_GOLDEN=1` rewrites them).

use engram_engine::Program;
use engram_tests::workspace_root;

#[test]
fn plan_errors_are_pinned() {
    let dir = workspace_root().join("tests/plan_errors");
    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dl"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let actual = match Program::compile(&src, &name) {
            Ok(_) => "no error\n".to_string(),
            Err(e) => format!("{e}\n"),
        };
        let pinned = path.with_extension("err");
        if bless {
            std::fs::write(&pinned, &actual).unwrap();
        } else if std::fs::read_to_string(&pinned).unwrap_or_default() != actual {
            failures.push(format!("{name}:\n{actual}"));
        }
    }
    assert!(
        failures.is_empty(),
        "unexpected errors:\n{}",
        failures.join("\n")
    );
}
