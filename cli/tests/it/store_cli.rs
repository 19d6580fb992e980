//! The store commands, run as the real binary on a fresh store.

use crate::common::{engram, err, ok};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const RULES: &str = r#"
.decl link(x: symbol, y: symbol)
.decl reach(x: symbol, y: symbol)
reach(x, y) :- link(x, y).
@name("transitive") @weight(0.9) reach(x, z) :- link(x, y), reach(y, z).
"#;

/// `init`, then `rules add` of [`RULES`] written into `dir`.
fn init_with_rules(db: &Path, dir: &Path) {
    ok(db, &["init", "--no-default-rules"]);
    let rules = dir.join("paths.dl");
    std::fs::write(&rules, RULES).unwrap();
    ok(db, &["rules", "add", rules.to_str().unwrap()]);
}

#[test]
fn a_fresh_store_takes_facts_rules_queries_and_retractions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    assert!(ok(&db, &["init", "--no-default-rules"]).contains("created store"));
    assert!(err(&db, &["init"]).contains("a store already exists"));
    let rules = dir.path().join("paths.dl");
    std::fs::write(&rules, RULES).unwrap();
    let added = ok(&db, &["rules", "add", rules.to_str().unwrap()]);
    assert!(added.contains("`paths` added"), "{added}");
    // A rule change evaluates every rule, and says so; a small add maintains what it touched.
    assert!(added.contains("; every rule re-derived"), "{added}");
    assert_eq!(ok(&db, &["rules", "list"]), "paths\t5 lines\n");
    let out = ok(
        &db,
        &["add", r#"link("a", "b") @ 0.5."#, r#"link("b", "c")."#],
    );
    assert!(out.contains("2 asserted"), "{out}");
    assert!(out.contains("3 facts added"), "{out}");
    assert!(!out.contains("re-derived"), "{out}");
    let table = ok(&db, &["query", r#"?- reach("a", x)."#]);
    assert!(
        table.contains("c | 0.450000   | 2     | transitive"),
        "{table}"
    );
    let tsv = ok(&db, &["query", "--format", "tsv", r#"?- reach(x, "c")."#]);
    assert!(
        tsv.starts_with("x\tconfidence\tdepth\trule\ttime\n"),
        "{tsv}"
    );
    let json = ok(
        &db,
        &["query", "--format", "json", r#"?- reach("a", "c")."#],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["answers"][0]["rule"], "transitive");
    let proof = ok(&db, &["explain", r#"reach("a", "c")"#]);
    assert!(
        proof.starts_with("reach(\"a\", \"c\")  @ 0.450000  depth 2  transitive\n"),
        "{proof}"
    );
    let missing = engram(&db, &["explain", r#"reach("c", "a")"#]);
    assert_eq!(missing.status.code(), Some(1));
    let out = ok(&db, &["retract", r#"link("b", "c")"#]);
    assert!(
        out.contains("1 retracted") && out.contains("2 removed"),
        "{out}"
    );
    assert!(ok(&db, &["query", r#"?- reach(x, "c")."#]).contains("(0 answers)"));
    let stats = ok(&db, &["stats"]);
    assert!(
        stats.contains("facts: 2 (1 asserted, 1 derived)"),
        "{stats}"
    );
    let export = ok(&db, &["export"]);
    assert!(export.contains(r#""relation":"reach""#), "{export}");
    assert!(ok(&db, &["infer"]).contains("0 facts added, 0 removed"));
    assert!(ok(&db, &["compact"]).contains("compacted"));
    assert!(ok(&db, &["rules", "remove", "paths"]).contains("removed"));
    assert!(err(&db, &["rules", "remove", "paths"]).contains("no rule file named `paths`"));
}

#[test]
fn the_store_comes_from_engram_db_when_no_db_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("env.db");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_engram"))
            .args(args)
            .env("ENGRAM_DB", &db)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    assert!(run(&["init"]).status.success());
    assert!(run(&["add", r#"likes("ann", "tea")."#]).status.success());
    assert!(db.join("MANIFEST").exists());
    let out = run(&["query", "?- likes(x, y)."]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("ann | tea"));
}

#[test]
fn load_reads_tab_separated_and_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    init_with_rules(&db, dir.path());
    let tsv = dir.path().join("link.facts");
    std::fs::write(&tsv, "a\tb\t0.5\nb\tc\t1\n").unwrap();
    let out = ok(
        &db,
        &[
            "load",
            tsv.to_str().unwrap(),
            "--relation",
            "link",
            "--confidence",
        ],
    );
    assert!(out.contains("loaded 2 facts"), "{out}");
    let jsonl = dir.path().join("more.jsonl");
    std::fs::write(
        &jsonl,
        "{\"relation\": \"link\", \"values\": [\"c\", \"d\"], \"confidence\": 0.8, \"time\": 1700000000000}\n\
         {\"relation\": \"note\", \"values\": [\"d\", 3, 2.5]}\n",
    )
    .unwrap();
    ok(&db, &["load", jsonl.to_str().unwrap()]);
    let q = ok(&db, &["query", "--format", "tsv", r#"?- reach("a", "d")."#]);
    assert!(q.contains("0.324000\t3\ttransitive"), "{q}");
    let q = ok(&db, &["query", "--format", "tsv", "?- note(x, n, f)."]);
    assert!(q.contains("d\t3\t2.5\t1.000000\t0\tasserted"), "{q}");
    // Bad input names the file and line, and changes nothing.
    std::fs::write(&tsv, "a\tb\t0.5\nb\n").unwrap();
    let e = err(
        &db,
        &[
            "load",
            tsv.to_str().unwrap(),
            "--relation",
            "link",
            "--confidence",
        ],
    );
    assert!(e.contains("link.facts:2"), "{e}");
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"relation\": \"link\", \"values\": [\"x\"]}\n").unwrap();
    let e = err(&db, &["load", bad.to_str().unwrap()]);
    assert!(
        e.contains("bad.jsonl:1") && e.contains("1 values given, 2 expected"),
        "{e}"
    );
    // A relation the file itself introduces: a later line of another arity names its line.
    std::fs::write(
        &bad,
        "{\"relation\": \"fresh\", \"values\": [\"x\", \"y\"]}\n\
         {\"relation\": \"fresh\", \"values\": [\"x\"]}\n",
    )
    .unwrap();
    let e = err(&db, &["load", bad.to_str().unwrap()]);
    assert!(
        e.contains("bad.jsonl:2") && e.contains("1 values given, 2 expected"),
        "{e}"
    );
    // An integer too big for a number is refused (it was once stored as a float).
    for big in [
        "9223372036854775808",
        "100000000000000000000",
        "-9223372036854775809",
    ] {
        std::fs::write(
            &bad,
            format!("{{\"relation\": \"n\", \"values\": [{big}]}}\n"),
        )
        .unwrap();
        let e = err(&db, &["load", bad.to_str().unwrap()]);
        assert!(
            e.contains(&format!("bad.jsonl:1: {big} is too big for a number")),
            "{e}"
        );
    }
    // Text that is not UTF-8 names its line, in JSON Lines and in tab-separated rows.
    std::fs::write(&bad, b"{\"relation\": \"link\", \"values\": [\"a\", \"b\"]}\n{\"relation\": \"link\", \"values\": [\"\xff\", \"b\"]}\n").unwrap();
    let e = err(&db, &["load", bad.to_str().unwrap()]);
    assert!(e.contains("bad.jsonl:2: invalid UTF-8"), "{e}");
    std::fs::write(&tsv, b"a\tb\nc\xff\td\n").unwrap();
    let e = err(&db, &["load", tsv.to_str().unwrap(), "--relation", "link"]);
    assert!(e.contains("link.facts:2: invalid UTF-8 at byte 2"), "{e}");
    // Nothing of the refused files was loaded, and 1.5e3 is still a float.
    let e = err(&db, &["query", "?- fresh(x, y)."]);
    assert!(e.contains("unknown relation `fresh`"), "{e}");
    std::fs::write(&bad, "{\"relation\": \"f\", \"values\": [1.5e3, 12]}\n").unwrap();
    ok(&db, &["load", bad.to_str().unwrap()]);
    let q = ok(&db, &["query", "--format", "tsv", "?- f(x, n)."]);
    assert!(q.contains("1500\t12\t"), "{q}");
}

#[test]
fn cleanup_forgets_weak_old_derivations_and_keeps_them_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    init_with_rules(&db, dir.path());
    let old = dir.path().join("old.jsonl");
    std::fs::write(
        &old,
        "{\"relation\": \"link\", \"values\": [\"a\", \"b\"], \"confidence\": 0.2, \"time\": 1000}\n\
         {\"relation\": \"link\", \"values\": [\"b\", \"c\"], \"time\": 1000}\n",
    )
    .unwrap();
    ok(&db, &["load", old.to_str().unwrap()]);
    let dry = ok(
        &db,
        &[
            "cleanup",
            "--min-confidence",
            "0.3",
            "--max-age-days",
            "30",
            "--dry-run",
        ],
    );
    assert!(
        dry.contains("reach\ta\tb\t0.200000") && dry.contains("reach\ta\tc\t0.180000"),
        "{dry}"
    );
    assert!(dry.contains("would forget 2 derived facts"), "{dry}");
    assert_eq!(
        ok(&db, &["query", "--format", "tsv", "?- reach(x, y)."])
            .lines()
            .count(),
        4
    );
    let done = ok(
        &db,
        &["cleanup", "--min-confidence", "0.3", "--max-age-days", "30"],
    );
    assert!(done.contains("forgot 2 derived facts"), "{done}");
    ok(&db, &["infer"]);
    let q = ok(&db, &["query", "--format", "tsv", "?- reach(\"a\", y)."]);
    assert_eq!(q.lines().count(), 1, "still forgotten after infer: {q}");
    // New evidence makes a derivation new: a fact derived through a new link is not old.
    ok(&db, &["add", r#"link("c", "d")."#]);
    let q = ok(&db, &["query", "--format", "tsv", "?- reach(\"a\", y)."]);
    assert_eq!(q.lines().count(), 2, "only the new derivation: {q}");
    assert!(q.contains("d\t0.162000\t3\ttransitive"), "{q}");
    // The asserted fact itself stays.
    let q = ok(&db, &["query", "--format", "tsv", "?- link(\"a\", y)."]);
    assert!(
        q.contains("\nb\t0.200000\t0\tasserted\t1970-01-01T00:00:01Z\n"),
        "{q}"
    );
}

#[test]
fn errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    assert!(err(&db, &["query", "?- x(y)."]).contains("no engram store here"));
    ok(&db, &["init", "--no-default-rules"]);
    let e = err(&db, &["add", r#"e("a", "b"."#]);
    assert!(e.contains("<facts>:1:"), "{e}");
    ok(&db, &["add", r#"e("a", "b")."#]);
    assert!(err(&db, &["add", r#"e("a", 3)."#]).contains("`3` is not a symbol constant"));
    let bad = dir.path().join("bad.dl");
    std::fs::write(&bad, ".decl e(x: number, y: number)\n").unwrap();
    let e = err(&db, &["rules", "add", bad.to_str().unwrap()]);
    assert!(
        e.contains("relation `e` holds facts of types (symbol, symbol)"),
        "{e}"
    );
    std::fs::write(&bad, ".decl q(x: symbol)\nq(x) :- nothere(x).\n").unwrap();
    let e = err(&db, &["rules", "add", bad.to_str().unwrap()]);
    assert!(e.contains("bad:2:9"), "{e}");
}

#[test]
fn the_repl_takes_facts_rules_and_queries() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&db, &["init", "--no-default-rules"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_engram"))
        .arg("--db")
        .arg(&db)
        .arg("repl")
        .env("HOME", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b".help\nlink(\"a\", \"b\").\nlink(\"b\",\n \"c\") @ 0.5.\n.decl reach(x: symbol, y: symbol)\n\
              reach(x, y) :- link(x, y).\nreach(x, z) :-\n  link(x, y), reach(y, z).\n\
              ?- reach(\"a\", y).\n.explain reach(\"a\", \"c\")\n.nonsense\n.quit\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("retract an asserted fact"), "{stdout}");
    assert!(
        stdout.contains("c | 0.500000   | 2     | repl:3"),
        "{stdout}"
    );
    assert!(
        stdout.contains("└── reach(\"b\", \"c\")  @ 0.500000  depth 1  repl:2"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown command `.nonsense`"));
}

#[test]
fn a_store_merges_aliases_lists_violations_and_unmerges_on_retract() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&db, &["init", "--no-default-rules"]);
    let rules = dir.path().join("memory.dl");
    std::fs::write(
        &rules,
        r#"
        .decl same_as(a: symbol, b: symbol) eqrel
        .merge same_as
        .decl uses(app: symbol, db: symbol)
        .decl avoids(app: symbol, db: symbol)
        @name("uses_and_avoids") :- uses(a, d), avoids(a, d).
        "#,
    )
    .unwrap();
    ok(&db, &["rules", "add", rules.to_str().unwrap()]);
    ok(
        &db,
        &[
            "add",
            r#"same_as("pg", "postgres") @ 0.9."#,
            r#"uses("api", "pg")."#,
            r#"avoids("api", "postgres")."#,
        ],
    );
    let q = ok(&db, &["query", "--format", "tsv", r#"?- uses("api", d)."#]);
    assert!(q.contains("pg\t1.000000"), "`pg` is the label: {q}");
    let by_alias = ok(
        &db,
        &["query", "--format", "tsv", r#"?- avoids(a, "postgres")."#],
    );
    assert!(by_alias.contains("api\t"), "{by_alias}");
    let proof = ok(&db, &["explain", r#"uses("api", "postgres")"#]);
    assert!(proof.starts_with("uses(\"api\", \"pg\")"), "{proof}");
    let v = ok(&db, &["violations"]);
    assert!(
        v.contains("uses_and_avoids: a = \"api\", d = \"pg\""),
        "{v}"
    );
    assert!(
        v.contains("avoids(\"api\", \"postgres\")  @ 1.000000  depth 0  asserted"),
        "{v}"
    );
    ok(&db, &["retract", r#"same_as("pg", "postgres")"#]);
    let after = ok(&db, &["violations"]);
    assert!(after.contains("no violations"), "{after}");
    let q = ok(&db, &["query", "--format", "tsv", r#"?- avoids(a, d)."#]);
    assert!(q.contains("api\tpostgres"), "un-merged: {q}");
}

#[test]
fn a_store_evaluates_now_at_its_last_inference_or_at_now() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    ok(&db, &["init", "--no-default-rules"]);
    let rules = dir.path().join("stale.dl");
    std::fs::write(
        &rules,
        ".decl claim(id: symbol)\n.decl stale(id: symbol)\n\
         stale(c) :- claim(c) ~ t, t < now() - 7 * 86400000.\n",
    )
    .unwrap();
    ok(
        &db,
        &[
            "--now",
            "2026-10-02T00:00:00Z",
            "rules",
            "add",
            rules.to_str().unwrap(),
        ],
    );
    let facts = dir.path().join("claims.jsonl");
    // 2026-10-01T00:00:00Z in milliseconds.
    std::fs::write(
        &facts,
        "{\"relation\": \"claim\", \"values\": [\"c1\"], \"time\": 1790812800000}\n",
    )
    .unwrap();
    ok(
        &db,
        &[
            "--now",
            "2026-10-02T00:00:00Z",
            "load",
            facts.to_str().unwrap(),
        ],
    );
    let q = ok(&db, &["query", "--format", "tsv", "?- stale(c)."]);
    assert_eq!(q.lines().count(), 1, "not stale a day later: {q}");
    // Time does not tick on its own: a later infer moves now().
    ok(&db, &["--now", "2026-11-01T00:00:00Z", "infer"]);
    let q = ok(&db, &["query", "--format", "tsv", "?- stale(c)."]);
    assert!(q.contains("c1\t1.000000\t1\t"), "stale a month later: {q}");
    assert!(
        q.contains("2026-10-01T00:00:00Z"),
        "times print as ISO 8601: {q}"
    );
}

#[test]
fn a_newer_fact_supersedes_in_export_and_explain_until_it_is_retracted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    ok(&db, &["init", "--no-default-rules"]);
    let rules = dir.path().join("work.dl");
    std::fs::write(
        &rules,
        ".decl works_at(person: symbol, org: symbol) functional(person)\n\
         .decl colleague(a: symbol, b: symbol)\n\
         colleague(a, b) :- works_at(a, o), works_at(b, o), a != b.\n",
    )
    .unwrap();
    ok(&db, &["rules", "add", rules.to_str().unwrap()]);
    ok(
        &db,
        &[
            "add",
            r#"works_at("alice", "globex") ~ "2026-01-01T00:00:00Z"."#,
            r#"works_at("bob", "globex") ~ "2026-01-01T00:00:00Z"."#,
        ],
    );
    ok(&db, &["add", r#"works_at("alice", "acme")."#]);
    let q = ok(
        &db,
        &["query", "--format", "tsv", r#"?- works_at("alice", o)."#],
    );
    assert!(q.contains("acme") && !q.contains("globex"), "{q}");
    let c = ok(&db, &["query", "--format", "tsv", "?- colleague(a, b)."]);
    assert!(
        !c.contains("alice"),
        "the replaced fact derives nothing: {c}"
    );
    let export = ok(&db, &["export"]);
    let line = export
        .lines()
        .find(|l| l.contains(r#""superseded_by""#))
        .unwrap_or_else(|| panic!("no superseded line: {export}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["values"], serde_json::json!(["alice", "globex"]));
    assert_eq!(v["superseded_by"], serde_json::json!(["alice", "acme"]));
    let proof = ok(&db, &["explain", r#"works_at("alice", "acme")"#]);
    assert!(
        proof.contains(r#"supersedes works_at("alice", "globex")"#)
            && proof.contains("2026-01-01T00:00:00"),
        "{proof}"
    );
    let old = engram(&db, &["explain", r#"works_at("alice", "globex")"#]);
    assert_eq!(old.status.code(), Some(1));
    let text = String::from_utf8_lossy(&old.stdout);
    assert!(
        text.contains(r#"superseded by works_at("alice", "acme")"#),
        "{text}"
    );
    // Retracted, the newer fact gives its key back to the one it replaced.
    ok(&db, &["retract", r#"works_at("alice", "acme")"#]);
    let c = ok(&db, &["query", "--format", "tsv", "?- colleague(a, b)."]);
    assert!(c.contains("alice\tbob"), "{c}");
    let export = ok(&db, &["export"]);
    assert!(!export.contains("superseded_by"), "{export}");
}

/// `query --format tsv|json` streams big answers: every answer, in value order (numbers
/// numerically, symbols by text, whatever order they were interned in), several queries in one
/// valid JSON array, an empty answer too.
#[test]
fn query_streams_big_answers_in_value_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&db, &["init", "--no-default-rules"]);
    let decl = dir.path().join("item.dl");
    std::fs::write(&decl, ".decl item(s: symbol, k: number)\n").unwrap();
    ok(&db, &["rules", "add", decl.to_str().unwrap()]);
    let n = 20_000;
    let mut text = String::new();
    for i in (0..n).rev() {
        text.push_str(&format!("s{}\t{i}\n", (i * 7919) % n));
    }
    let facts = dir.path().join("item.facts");
    std::fs::write(&facts, text).unwrap();
    ok(
        &db,
        &["load", facts.to_str().unwrap(), "--relation", "item"],
    );

    let tsv = ok(&db, &["query", "--format", "tsv", "?- item(s, k)."]);
    let rows: Vec<&str> = tsv.lines().collect();
    assert_eq!(rows[0], "s\tk\tconfidence\tdepth\trule\ttime");
    assert_eq!(rows.len(), n + 1);
    let symbols: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r.split('\t').next().unwrap())
        .collect();
    let mut sorted = symbols.clone();
    sorted.sort_unstable();
    assert_eq!(symbols, sorted, "symbols by text");

    let json = ok(
        &db,
        &[
            "query",
            "--format",
            "json",
            "?- item(\"s0\", k). ?- item(s, k), k < 3. ?- item(\"none\", k).",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[0]["answers"][0]["values"], serde_json::json!([0]));
    let ks: Vec<i64> = (v[1]["answers"].as_array().unwrap().iter())
        .map(|a| a["values"][1].as_i64().unwrap())
        .collect();
    let s: Vec<&str> = (v[1]["answers"].as_array().unwrap().iter())
        .map(|a| a["values"][0].as_str().unwrap())
        .collect();
    assert_eq!((ks.len(), s), (3, vec!["s0", "s15838", "s7919"]));
    assert_eq!(v[2]["answers"], serde_json::json!([]));
    assert_eq!(v[2]["columns"], serde_json::json!(["k"]));
}

/// Regression (issue 29): a rule file named as a standard one (`schema`, `affinity`, ...)
/// replaced it without a word, switching off what it derived. `rules add` refuses to replace
/// one the store holds unless `--replace-standard` says so; a name of one the store does not
/// hold (`--no-default-rules`) is the user's.
#[test]
fn the_standard_rule_files_are_replaced_only_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&db, &["init"]);
    let empty = dir.path().join("schema.dl");
    std::fs::write(&empty, "").unwrap();
    let refused = err(&db, &["rules", "add", empty.to_str().unwrap()]);
    assert!(refused.contains("--replace-standard"), "{refused}");
    assert!(ok(&db, &["rules", "list"]).contains("schema\t"));
    let mine = ok(
        &db,
        &["rules", "add", empty.to_str().unwrap(), "--name", "mine"],
    );
    assert!(mine.contains("`mine` added"), "{mine}");
    let types = dir.path().join("types.dl");
    std::fs::write(&types, engram_core::library::FILES[2].1).unwrap();
    let on_purpose = ok(
        &db,
        &[
            "rules",
            "add",
            types.to_str().unwrap(),
            "--replace-standard",
        ],
    );
    assert!(on_purpose.contains("`types` added"), "{on_purpose}");
    let bare = dir.path().join("bare.db");
    ok(&bare, &["init", "--no-default-rules"]);
    assert!(ok(&bare, &["rules", "add", empty.to_str().unwrap()]).contains("`schema` added"));
}

/// Regression (issue 29): `--db` naming a directory that holds other files (a project folder)
/// wrote a store into it; `init` and `mcp` (which creates its store on first use) now refuse
/// it, `add` finds no store, and the folder is left as it was. And
/// `ENGRAM_DB=""` was an error: it names no store, so the default `./engram.db` is used.
#[test]
fn a_store_is_not_written_into_a_folder_of_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join("notes.txt"), "mine").unwrap();
    for (args, why) in [
        (&["init"][..], "holds other files"),
        (&["mcp"], "holds other files"),
        (&["add", r#"e("a", "b")."#], "no engram store here"),
    ] {
        let refused = err(&project, args);
        assert!(refused.contains(why), "{args:?}: {refused}");
    }
    let left: Vec<String> = (std::fs::read_dir(&project).unwrap().flatten())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["notes.txt"]);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(ok(&empty, &["init"]).contains("created store"));
    let cwd = dir.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["init", "--no-default-rules"])
        .env("ENGRAM_DB", "")
        .current_dir(&cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(cwd.join("engram.db").join("MANIFEST").exists());
}

/// Records and ADT values through the store commands: asserted as Soufflé writes them,
/// derived, queried, explained, exported, and read back after the process ends.
#[test]
fn a_store_takes_records_and_adt_values_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&db, &["init", "--no-default-rules"]);
    let rules = dir.path().join("shapes.dl");
    std::fs::write(
        &rules,
        ".type Point = [x: number, y: number]\n.type Shape = Circle {c: Point, r: number} | Dot {}\n\
         .decl shape(s: Shape)\n.decl centre(p: Point)\ncentre(c) :- shape($Circle(c, _)).\n",
    )
    .unwrap();
    ok(&db, &["rules", "add", rules.to_str().unwrap()]);
    let out = ok(&db, &["add", "shape($Circle([1, 2], 5)).", "shape($Dot)."]);
    assert!(out.contains("2 asserted"), "{out}");
    let table = ok(&db, &["query", "--format", "tsv", "?- centre(p)."]);
    assert!(table.contains("[1, 2]\t"), "{table}");
    let proof = ok(&db, &["explain", "centre([1, 2])"]);
    assert!(proof.contains("shape($Circle([1, 2], 5))"), "{proof}");
    let export = ok(&db, &["export"]);
    assert!(export.contains("$Dot"), "{export}");
    // Another process reads them back.
    let table = ok(&db, &["query", "--format", "tsv", "?- shape(s)."]);
    assert!(table.contains("$Circle([1, 2], 5)"), "{table}");
}
