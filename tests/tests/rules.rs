//! The shipped rule library: every `rules/*.dl` parses and plans, and runs on its fixture in
//! `tests/rules/<name>/` to the expected output there (`UPDATE_GOLDEN=1` rewrites it).

use engram_engine::Program;
use engram_tests::{render_outputs, workspace_root};

#[test]
fn every_rule_file_plans_and_matches_its_fixture() {
    let rules = workspace_root().join("rules");
    let bless = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut files: Vec<_> = std::fs::read_dir(&rules)
        .expect("rules/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dl"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let program = Program::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let fixture = workspace_root().join("tests/rules").join(&stem);
        assert!(
            fixture.is_dir(),
            "rules/{stem}.dl has no fixture in tests/rules/{stem}/"
        );
        let db = program.evaluate_dir(&fixture).expect("evaluates");
        let actual = render_outputs(&program, &db);
        let expected_path = fixture.join("expected.txt");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
        } else {
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
            assert_eq!(expected, actual, "rules/{stem}.dl on its fixture");
        }
    }
}
