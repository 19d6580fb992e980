//! Golden tests: every `tests/golden/*.dl` is evaluated and its output relations and query
//! answers are compared with `*.expected` beside it (sorted rows). `UPDATE_GOLDEN=1` rewrites
//! the expected files.

use engram_engine::Program;
use engram_tests::{render_outputs, workspace_root};

#[test]
fn golden_programs() {
    let dir = workspace_root().join("tests/golden");
    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/golden exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dl"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for path in files {
        let src = std::fs::read_to_string(&path).expect("readable");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let actual = match Program::compile(&src, &name) {
            Ok(p) => match p.evaluate(&Default::default()) {
                Ok(db) => render_outputs(&p, &db),
                Err(e) => format!("error: {e}\n"),
            },
            Err(e) => format!("error: {e}\n"),
        };
        let expected_path = path.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &actual).expect("write expected");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{name}:\n--- expected\n{expected}--- actual\n{actual}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatches (UPDATE_GOLDEN=1 to bless):\n{}",
        failures.join("\n")
    );
}
