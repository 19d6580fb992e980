//! The shipped rule library: every `rules/*.dl` parses and plans, and runs on its fixture in
//! `tests/rules/<name>/` to the expected output there (`UPDATE_GOLDEN=1` rewrites it).

use engram_engine::Program;
use engram_tests::{check_pinned, render_outputs, workspace_root};
use std::path::Path;

fn fixture(path: &Path) -> std::path::PathBuf {
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    workspace_root().join("tests/rules").join(stem)
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
            assert!(
                dir.is_dir(),
                "{} has no fixture in {}",
                path.display(),
                dir.display()
            );
            let mut db = program.evaluate_dir(&dir).expect("evaluates");
            render_outputs(&program, &mut db, &src)
        },
    );
}
