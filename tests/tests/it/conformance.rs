//! Soufflé's own evaluation tests: every test listed in `tests/conformance/expected-pass.txt`
//! must pass. The list only grows.

use engram_tests::conformance::{Outcome, cases, run_case};
use engram_tests::workspace_root;

#[test]
fn listed_souffle_tests_pass() {
    let listed =
        std::fs::read_to_string(workspace_root().join("tests/conformance/expected-pass.txt"))
            .expect("expected-pass.txt is readable");
    let listed: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(listed.len() >= 90, "the list holds at least 90 tests");
    let all = cases().expect("the conformance manifest is readable");
    let mut failures = Vec::new();
    for id in &listed {
        let Some(case) = all.iter().find(|c| c.id() == *id) else {
            failures.push(format!("{id}: not in MANIFEST.tsv"));
            continue;
        };
        let outcome = run_case(case);
        if outcome != Outcome::Pass {
            failures.push(format!("{id}: {outcome}"));
        }
    }
    assert!(
        failures.is_empty(),
        "conformance regressions:\n{}",
        failures.join("\n")
    );
}
