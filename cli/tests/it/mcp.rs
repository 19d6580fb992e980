//! `engram mcp` driven as agents drive it: the official Python MCP SDK (`mcp`, pinned in
//! `tests/mcp/setup.sh`) starts the real binary over stdio (and `engram serve` over
//! Streamable HTTP) and calls its tools; the reference
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

/// Regression (issue 29): a request holding a lone surrogate escape (`"\ud83e"`, what a
/// JavaScript client sends for half an emoji) or bytes that are not UTF-8 was dropped by the
/// protocol's reader, unanswered, and the client waited for ever. Each is answered, the
/// character read as U+FFFD; the session goes on.
#[test]
fn requests_with_lone_surrogates_or_bad_utf8_are_answered() {
    use std::io::{BufRead, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["--db", &dir.path().join("m.db").to_string_lossy(), "mcp"])
        .env_remove("ENGRAM_DB")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let reply = |id: u64| -> serde_json::Value {
        loop {
            let line = rx
                .recv_timeout(std::time::Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no reply to request {id}"));
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if v["id"] == id {
                return v;
            }
        }
    };
    let mut send = |bytes: &[u8]| {
        stdin.write_all(bytes).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    };
    send(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#);
    assert!(reply(1)["result"].is_object());
    send(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    let call = |id: u64, tool: &str, args: &[u8]| -> Vec<u8> {
        let head = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":"#
        );
        [head.as_bytes(), args, b"}}"].concat()
    };
    send(&call(
        2,
        "create_entities",
        br#"{"entities":[{"name":"brain \ud83e","entityType":"t","observations":["x"]}]}"#,
    ));
    let made = reply(2);
    assert_eq!(made["result"]["isError"], false, "{made}");
    send(&call(3, "search_nodes", b"{\"query\":\"brain \xff\xfe\"}"));
    let found = reply(3);
    assert_eq!(found["result"]["isError"], false, "{found}");
    send(&call(4, "open_nodes", br#"{"names":["brain \ufffd"]}"#));
    let opened = reply(4);
    let text = opened["result"]["structuredContent"]["entities"][0]["name"].clone();
    assert_eq!(text, "brain \u{fffd}", "{opened}");
    drop(stdin);
    let _ = child.wait();
}

#[test]
fn engram_serve_answers_over_streamable_http_with_tokens() {
    run("served.py");
}

/// Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).
#[test]
fn engram_serve_web_view_works_in_a_real_browser() {
    if crate::common::long_tests() {
        for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: apt-get install chromium chromium-driver"
            );
        }
    }
    run("web_view.py");
}
