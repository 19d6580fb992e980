//! The Python package (`python/`): its wheel built with maturin, its pytest suite run against
//! it (which drives this real binary for the CLI-interop test), and its examples run in a fresh
//! virtualenv, by `python/run-tests.sh`. Only with the long runs asked for
//! (`ENGRAM_LONG_TESTS=1`): it needs python3 and the package registries.

use std::path::Path;
use std::process::Command;

#[test]
fn the_python_package_builds_passes_its_tests_and_runs_its_examples() {
    if !crate::common::long_tests() {
        eprintln!("python: skipped (set ENGRAM_LONG_TESTS=1 to build and test the wheel)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("bash")
        .arg(root.join("python/run-tests.sh"))
        .env("ENGRAM_BIN", env!("CARGO_BIN_EXE_engram"))
        .env("ENGRAM_EXAMPLE", root.join("examples/memories.jsonl"))
        .env_remove("ENGRAM_DB")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "python/run-tests.sh failed:\n{stdout}\n--- stderr ---\n{stderr}"
    );
    assert!(stdout.contains("python: all passed"), "{stdout}");
    assert!(stdout.contains(" passed"), "pytest ran: {stdout}");
}
