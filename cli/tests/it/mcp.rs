//! `engram mcp` driven as agents drive it: the official Python MCP SDK (`mcp`, pinned in
//! `tests/mcp/setup.sh`) starts the real binary over stdio and calls its tools; the reference
//! memory server runs beside it for the scripted comparison. `tests/mcp/setup.sh` installs
//! both into `target/mcp-env` on first use (python3, node and the package registries needed).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The virtualenv's Python, installing it (and the reference server) once.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let out = Command::new("bash")
            .arg(root().join("tests/mcp/setup.sh"))
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "tests/mcp/setup.sh failed (it needs python3, node/npm and the package \
             registries):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// Runs one script of `tests/mcp/`; its checks must all pass. Only with the long runs asked for
/// (`ENGRAM_LONG_TESTS=1`): they need python3, node and the package registries.
fn run(script: &str) {
    if !crate::common::long_tests() {
        eprintln!("{script}: skipped (set ENGRAM_LONG_TESTS=1 to run the MCP client tests)");
        return;
    }
    let reference = root().join(
        "target/mcp-env/reference/node_modules/@modelcontextprotocol/server-memory/dist/index.js",
    );
    let python = python();
    let out = Command::new(python)
        .arg(root().join("tests/mcp").join(script))
        .current_dir(root().join("tests/mcp"))
        .env("ENGRAM_BIN", env!("CARGO_BIN_EXE_engram"))
        .env("MCP_REFERENCE", reference)
        .env("ENGRAM_EXAMPLE", root().join("examples/memories.jsonl"))
        .env_remove("ENGRAM_DB")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n--- stderr ---\n{stderr}"
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

#[test]
fn the_reference_tools_behave_as_the_reference_server() {
    run("reference_session.py");
}

#[test]
fn every_engram_tool_works_on_the_example_memory() {
    run("engram_tools.py");
}

#[test]
fn two_processes_and_the_cli_on_one_store_keep_every_write() {
    run("two_processes.py");
}

#[test]
fn what_agents_send_is_data_and_their_rules_are_bounded() {
    run("untrusted.py");
}
