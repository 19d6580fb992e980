//! Runs the real `engram` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn engram(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn runs_the_shipped_example_to_stdout() {
    let out = engram(&["run", "-D", "-", "examples/dependencies.dl"], &root());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("---------------\nreaches\n===============\n"));
    assert!(
        stdout.contains("Postgres\t5\n"),
        "fan_in counts everything reaching Postgres"
    );
    assert!(
        stdout
            .contains("?- reaches(\"Dashboard\", x).\nx            | confidence | depth | rule\n")
    );
    assert!(
        stdout.contains("Postgres     | 0.656100   | 3     | transitive\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Dashboard\tPostgres\t0.656100\n"),
        "{stdout}"
    );
    assert!(stdout.contains("(6 answers)"));
}

#[test]
fn reads_facts_and_writes_csv_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("tc.dl"),
        ".decl edge(x: symbol, y: number)\n.input edge\n.decl path(x: symbol, y: number)\n\
         .output path\n.printsize path\npath(x, y) :- edge(x, y).\n",
    )
    .unwrap();
    std::fs::create_dir(d.join("in")).unwrap();
    std::fs::write(d.join("in/edge.facts"), "a b\t2\nc\t-3\n").unwrap();
    let out = engram(&["run", "-F", "in", "-D", "out", "tc.dl"], d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "path\t2\n");
    let csv = std::fs::read_to_string(d.join("out/path.csv")).unwrap();
    assert_eq!(csv, "a b\t2\nc\t-3\n");
}

/// `IO=stdin` reads the facts piped in; `IO=stdout` with `headers=true` frames the column
/// names; `IO=stdoutprintsize` is `.printsize`.
#[test]
fn reads_stdin_and_writes_stdout_with_headers() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("p.dl"),
        ".decl e(a: symbol, b: number)\n.input e(IO=stdin)\n\
         .output e(IO=stdout, headers=true)\n.output e(IO=stdoutprintsize)\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["run", "p.dl"])
        .current_dir(d)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"y\t2\nx\t1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "---------------\ne\na\tb\n===============\nx\t1\ny\t2\n===============\ne\t2\n"
    );
}

#[test]
fn bad_facts_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("p.dl"), ".decl e(x: number)\n.input e\n").unwrap();
    std::fs::write(d.join("e.facts"), "1\nnot-a-number\n").unwrap();
    let out = engram(&["run", "p.dl"], d);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("e.facts:2: column 1: `not-a-number` is not a number"),
        "{err}"
    );
}

#[test]
fn check_reports_every_error_with_a_caret_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("bad.dl"),
        ".decl e(x: number)\ne(1 2).\ne(3)\np(x) :- e(x).\n",
    )
    .unwrap();
    let out = engram(&["check", "bad.dl"], d);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad.dl:2:5: error:"), "{err}");
    assert!(
        err.contains("bad.dl:3:5: error: expected `,`, `.`, `:-`, `<=`, `@` or `~`"),
        "{err}"
    );
    assert!(err.contains("  |     ^"), "{err}");
    let good = engram(&["check", "examples/dependencies.dl"], &root());
    assert!(good.status.success(), "{}", text(&good.stderr));
}

#[test]
fn planner_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("p.dl"),
        ".decl e(x: number)\n.decl p(x: number)\np(y) :- e(x).\n",
    )
    .unwrap();
    let out = engram(&["run", "p.dl"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("p.dl:3:3: error: variable `y` in the head is not bound"));
}

#[test]
fn missing_input_file_is_empty_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("p.dl"),
        ".decl e(x: number)\n.input e\n.printsize e\n",
    )
    .unwrap();
    let out = engram(&["run", "p.dl"], d);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "e\t0\n");
    assert!(
        text(&out.stderr).contains("warning: no input file ./e.facts for `e`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn missing_program_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let out = engram(&["run", "nope.dl"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nope.dl"));
    assert!(!text(&out.stderr).contains("panicked"));
}

const WEIGHTED: &str = r#".decl edge(x: symbol, y: symbol)
.input edge(confidence=true)
.decl path(x: symbol, y: symbol)
.output path(confidence=true)
path(x, y) :- edge(x, y).
@name("transitive") @weight(0.9)
path(x, z) :- edge(x, y), path(y, z).
?- path("a", x).
"#;

fn weighted_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.dl"), WEIGHTED).unwrap();
    // A missing confidence column means 1.
    std::fs::write(
        dir.path().join("edge.facts"),
        "a\tb\t0.8\nb\tc\nc\td\t0.5\n",
    )
    .unwrap();
    dir
}

#[test]
fn confidence_columns_in_and_out_and_query_metadata() {
    let dir = weighted_dir();
    let d = dir.path();
    let out = engram(&["run", "-D", "out", "p.dl"], d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(d.join("out/path.csv")).unwrap();
    assert_eq!(
        csv,
        "a\tb\t0.800000\na\tc\t0.720000\na\td\t0.324000\nb\tc\t1.000000\nb\td\t0.450000\n\
         c\td\t0.500000\n"
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("x | confidence | depth | rule\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("d | 0.324000   | 3     | transitive\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("b | 0.800000   | 1     | p.dl:5\n"),
        "{stdout}"
    );
}

/// `--best-first` settles each fact once: on a cycle, with a direct edge a longer path beats,
/// the same file and the same answers (confidence, depth, rule) as the rounds.
#[test]
fn best_first_writes_what_the_rounds_write() {
    let dir = weighted_dir();
    let d = dir.path();
    std::fs::write(
        d.join("edge.facts"),
        "a\tb\t0.8\nb\tc\nc\td\t0.5\nd\ta\t0.9\na\tc\t0.1\n",
    )
    .unwrap();
    let rounds = engram(&["run", "-D", "rounds", "p.dl"], d);
    let best = engram(&["run", "--best-first", "-D", "best", "p.dl"], d);
    assert!(best.status.success(), "{}", text(&best.stderr));
    let csv = |dir: &str| std::fs::read_to_string(d.join(dir).join("path.csv")).unwrap();
    assert_eq!(csv("best"), csv("rounds"));
    assert!(csv("best").contains("a\tc\t0.720000\n"), "{}", csv("best"));
    assert_eq!(text(&best.stdout), text(&rounds.stdout));
    assert!(
        text(&best.stdout).contains("c | 0.720000   | 1     | transitive\n"),
        "{}",
        text(&best.stdout)
    );
}

#[test]
fn bad_confidence_in_an_input_file_names_file_and_line() {
    let dir = weighted_dir();
    std::fs::write(dir.path().join("edge.facts"), "a\tb\n b\tc\t7\n").unwrap();
    let out = engram(&["run", "p.dl"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("edge.facts:2: confidence `7` is not a number in (0, 1]"),
        "{err}"
    );
}

#[test]
fn explain_prints_the_proof_tree_as_text_and_json() {
    let dir = weighted_dir();
    let d = dir.path();
    let out = engram(&["explain", "p.dl", r#"path("a", "c")"#], d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "path(\"a\", \"c\")  @ 0.720000  depth 2  transitive\n\
         ├── edge(\"a\", \"b\")  @ 0.800000  depth 0  asserted\n\
         └── path(\"b\", \"c\")  @ 1.000000  depth 1  p.dl:5\n\
         \x20   └── edge(\"b\", \"c\")  @ 1.000000  depth 0  asserted\n"
    );
    let out = engram(
        &["explain", "--format", "json", "p.dl", r#"path("a", "c")."#],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    assert!(
        json.starts_with("{\n  \"fact\": \"path(\\\"a\\\", \\\"c\\\")\",\n  \"confidence\": 0.72"),
        "{json}"
    );
    assert!(json.contains("\"rule\": \"transitive\""), "{json}");
    assert!(json.contains("\"premises\": []"), "{json}");
    let out = engram(&["explain", "p.dl", r#"path("d", "a")"#], d);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "path(\"d\", \"a\"): not derived\n");
    let out = engram(&["explain", "p.dl", "nope(1)"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("relation `nope`: no such relation"));
}

#[test]
fn violations_print_after_the_outputs_and_strict_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("c.dl"),
        ".decl confirms(a: symbol, b: symbol)\n.decl contradicts(a: symbol, b: symbol)\n\
         .output confirms\nconfirms(\"m1\", \"m2\") @ 0.9. contradicts(\"m1\", \"m2\").\n\
         @name(\"no_contradiction\")\n:- confirms(a, b), contradicts(a, b).\n",
    )
    .unwrap();
    let out = engram(&["run", "-D", "-", "c.dl"], d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let outputs = stdout.find("confirms\n===").expect("outputs first");
    let violations = stdout.find("violations (1)\n").expect("then violations");
    assert!(outputs < violations, "{stdout}");
    assert!(
        stdout.contains("no_contradiction: a = \"m1\", b = \"m2\"  @ 0.900000"),
        "{stdout}"
    );
    assert!(
        stdout.contains("└── contradicts(\"m1\", \"m2\")"),
        "{stdout}"
    );
    let strict = engram(&["run", "--strict", "-D", "-", "c.dl"], d);
    assert_eq!(strict.status.code(), Some(3));
    let explained = engram(
        &["explain", "--format", "json", "c.dl", ":- no_contradiction"],
        d,
    );
    assert!(explained.status.success(), "{}", text(&explained.stderr));
    let json: serde_json::Value = serde_json::from_slice(&explained.stdout).unwrap();
    assert_eq!(json[0]["bindings"]["a"], "m1");
    assert_eq!(
        json[0]["proof"]["premises"][1]["fact"],
        "contradicts(\"m1\", \"m2\")"
    );
    let none = engram(&["explain", "c.dl", ":- other"], d);
    assert_eq!(none.status.code(), Some(1));
}

/// Regression (found with issue 9): `@ c` in a body, the program's only confidence syntax,
/// read 0 because `run` evaluated it without tracking confidence.
#[test]
fn a_bound_confidence_is_read_without_other_confidence_syntax() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("c.dl"),
        ".decl e(x: symbol, y: symbol)\n.decl s(x: symbol)\n.output s\ne(\"a\", \"b\").\n\
         s(x) :- e(x, _) @ c, c > 0.5.\n",
    )
    .unwrap();
    let out = engram(&["run", "-D", "-", "c.dl"], d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("===============\na\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn now_fixes_the_time_rules_see() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("t.dl"),
        ".decl claim(id: symbol)\n.decl stale(id: symbol)\n.output stale\n\
         claim(\"a\") ~ \"2026-10-01T00:00:00Z\".\n\
         stale(c) :- claim(c) ~ t, t < now() - 7 * 86400000.\n",
    )
    .unwrap();
    let before = engram(
        &["--now", "2026-10-05T00:00:00Z", "run", "-D", "-", "t.dl"],
        d,
    );
    assert!(before.status.success(), "{}", text(&before.stderr));
    assert!(
        !text(&before.stdout).contains("\na\n"),
        "{}",
        text(&before.stdout)
    );
    let after = engram(
        &["run", "--now", "2026-11-01T00:00:00Z", "-D", "-", "t.dl"],
        d,
    );
    assert!(
        text(&after.stdout).contains("===============\na\n"),
        "{}",
        text(&after.stdout)
    );
    let bad = engram(&["--now", "yesterday", "run", "t.dl"], d);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("`yesterday` is not a time"),
        "{}",
        text(&bad.stderr)
    );
}

/// `--max-facts`, `--timeout` and `--max-memory` bound `engram run`: a program that counts
/// forever stops with exit 2 (an error) and an error naming the relation that grew; no output is written.
#[test]
fn run_stops_a_runaway_program_at_its_bounds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("count.dl"),
        ".decl n(x: number)\n.output n\nn(0).\nn(x + 1) :- n(x).\n",
    )
    .unwrap();
    for (flag, value, says) in [
        (
            "--max-facts",
            "5000",
            "grew past 5000 facts (the limit on facts)",
        ),
        ("--timeout", "0.3", "(the time limit)"),
        ("--max-memory", "64M", "(the memory limit)"),
    ] {
        let out = engram(&["run", flag, value, "-D", "out", "count.dl"], dir.path());
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("relation `n`") && stderr.contains(says),
            "{flag}: {stderr}"
        );
        assert!(
            !dir.path().join("out/n.csv").exists(),
            "{flag}: no output written"
        );
    }
    let out = engram(&["run", "--max-memory", "lots", "count.dl"], dir.path());
    assert!(text(&out.stderr).contains("give bytes, or a size such as 512M"));
}

/// Soufflé's `-I` and `-M`: `#include <...>` found in an include directory, macros given on
/// the command line; `check` reads the program the same way, and without them names what is
/// missing.
#[test]
fn include_dirs_and_macros_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("lib")).unwrap();
    std::fs::write(d.join("lib/schema.inc"), ".decl r(x: number)\n.output r\n").unwrap();
    std::fs::write(
        d.join("p.dl"),
        "#include <schema.inc>\n#if defined(BIG)\nr(N * 10).\n#else\nr(N).\n#endif\n",
    )
    .unwrap();
    let out = engram(&["run", "-I", "lib", "-M", "N=4 BIG", "-D", "-", "p.dl"], d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("r\n===============\n40\n"),
        "{}",
        text(&out.stdout)
    );
    let out = engram(
        &[
            "run",
            "--include-dir",
            "lib",
            "--macro",
            "N=4",
            "-D",
            "-",
            "p.dl",
        ],
        d,
    );
    assert!(
        text(&out.stdout).contains("r\n===============\n4\n"),
        "{}",
        text(&out.stdout)
    );
    let out = engram(&["check", "-I", "lib", "-M", "N=1", "p.dl"], d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = engram(&["check", "p.dl"], d);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("p.dl:1:1: error: cannot find `schema.inc` to include"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn refuses_a_program_whose_functor_has_no_function() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = ".functor inc(x: number): number\n.decl a(x: number)\n.output a\na(@inc(1)).\n";
    std::fs::write(d.join("f.dl"), src).unwrap();
    let out = engram(&["run", "-D", "-", "f.dl"], d);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("functor `inc` (`.functor` at f.dl:1) has no function"),
        "{err}"
    );
    assert!(err.contains("Program::with_functor"), "{err}");
    assert!(out.stdout.is_empty(), "nothing is written");
}
