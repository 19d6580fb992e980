//! Memories through the real binary: engram's memory format, the MCP reference memory
//! server's file and MemoryGraph's export load with every entity, observation, memory and
//! relation accounted for; exports give them back; bad lines are refused or skipped, never
//! dropped silently.

use serde_json::{Value, json};
use std::collections::BTreeSet;

use crate::common::{engram, ok};
use std::path::{Path, PathBuf};

fn data(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/memories")
        .join(name);
    p.to_str().unwrap().to_string()
}

/// The rows of a query, as TSV cells without the metadata columns.
fn rows(db: &Path, query: &str, columns: usize) -> BTreeSet<Vec<String>> {
    ok(db, &["query", "--format", "tsv", query])
        .lines()
        .skip(1)
        .map(|l| l.split('\t').take(columns).map(str::to_string).collect())
        .collect()
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_mcp_reference_servers_file_loads_whole_and_exports_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&db, &["init"]);
    let out = ok(&db, &["load", &data("mcp-memory.jsonl")]);
    assert!(out.contains("(mcp-memory)"), "{out}");
    assert!(
        out.contains("1 lines of a type the format does not define ignored"),
        "{out}"
    );
    let entities = rows(&db, "?- entity(e, t).", 2);
    // The two spellings of PostgreSQL are one entity after the merge rules; asserted,
    // both are there.
    assert_eq!(entities.len(), 4, "{entities:?}");
    let observations = rows(&db, "?- observation(e, o).", 2);
    assert_eq!(observations.len(), 5, "{observations:?}");
    let relations = rows(&db, "?- relation(a, t, b).", 3);
    assert!(relations.contains(&vec![
        "Alice Chen".into(),
        "WORKS_AT".into(),
        "Acme Corp".into()
    ]));
    assert!(relations.contains(&vec![
        "billing-service".into(),
        "DEPENDS_ON".into(),
        "PostgreSQL".into()
    ]));
    assert_eq!(relations.len(), 4, "{relations:?}");
    // Back to the server's format: every entity with its observations, every relation with
    // its type as it was written.
    let original: BTreeSet<String> = std::fs::read_to_string(data("mcp-memory.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "entity" || v["type"] == "relation")
        .map(|mut v| {
            v.as_object_mut().unwrap().remove("createdBy");
            if let Some(o) = v.get_mut("observations").and_then(Value::as_array_mut) {
                o.sort_by_key(|x| x.to_string());
            }
            v.to_string()
        })
        .collect();
    let exported: Vec<Value> = lines(&ok(&db, &["export", "--format", "mcp-memory"]));
    let first_relation = exported
        .iter()
        .position(|v| v["type"] == "relation")
        .unwrap();
    assert!(
        exported[first_relation..]
            .iter()
            .all(|v| v["type"] == "relation"),
        "entities first"
    );
    let back: BTreeSet<String> = exported.iter().map(Value::to_string).collect();
    assert_eq!(back, original);
}

#[test]
fn a_memorygraph_export_loads_with_every_field_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&db, &["init"]);
    let out = ok(&db, &["load", &data("memorygraph-export.json")]);
    assert!(out.contains("(memorygraph)"), "{out}");
    // What has no place in engram's memory is named, not dropped in silence.
    assert!(out.contains("memories.context"), "{out}");
    assert!(out.contains("relationships.properties.context"), "{out}");
    assert_eq!(rows(&db, "?- memory(m, t, title).", 3).len(), 3);
    assert_eq!(rows(&db, "?- tag(m, t).", 2).len(), 5);
    assert_eq!(rows(&db, "?- content(m, c).", 2).len(), 3);
    assert_eq!(rows(&db, "?- memory_summary(m, s).", 2).len(), 2);
    assert_eq!(rows(&db, "?- importance(m, x).", 2).len(), 3);
    assert_eq!(rows(&db, "?- memory_updated(m).", 1).len(), 3);
    let solves = ok(
        &db,
        &[
            "query",
            "--format",
            "tsv",
            r#"?- relation("mem-2", "SOLVES", x)."#,
        ],
    );
    assert!(
        solves.contains("mem-1\t0.850000"),
        "the relation's confidence: {solves}"
    );
    let depends = ok(
        &db,
        &[
            "query",
            "--format",
            "tsv",
            r#"?- relation("mem-1", "DEPENDS_ON", x)."#,
        ],
    );
    assert!(
        depends.contains("mem-3\t0.600000"),
        "strength when no confidence: {depends}"
    );
    // The memory's own confidence and creation time.
    let m1 = ok(
        &db,
        &["query", "--format", "tsv", r#"?- memory("mem-1", t, x)."#],
    );
    assert!(
        m1.contains("0.900000") && m1.contains("2026-10-01T09:00:00"),
        "{m1}"
    );
    // What the rules made of it: mem-2 solves, so it is a solution; mem-1 is solved by it.
    let types = ok(
        &db,
        &[
            "query",
            "--format",
            "tsv",
            r#"?- inferred_type("mem-2", t)."#,
        ],
    );
    assert!(types.contains("solution"), "{types}");
}

#[test]
fn native_memories_round_trip_through_export_and_bad_lines_are_never_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&db, &["init"]);
    let file = dir.path().join("memories.jsonl");
    write_memories_with_bad_lines(&file);
    bad_lines_are_never_dropped(&db, &file);
    the_export_marks_what_was_derived(&db);
    the_export_loads_back(dir.path(), &db);
}

/// Memories, entities and relations, with two bad lines (3 and 5) among them.
fn write_memories_with_bad_lines(file: &Path) {
    let good = [
        json!({"kind": "memory", "id": "m1", "type": "solution", "title": "Fix token validation",
               "content": "Check expiry first", "tags": ["auth", "jwt"], "project": "api",
               "importance": 0.7, "time": "2026-11-01T10:00:00Z"}),
        json!({"kind": "memory", "id": "m2", "title": "Tokens expire early",
               "time": "2026-11-01T09:00:00Z"}),
        json!({"kind": "entity", "id": "React", "type": "technology", "time": "2026-11-01T09:00:00Z"}),
        json!({"kind": "entity", "id": "react", "type": "technology", "time": "2026-11-01T09:00:00Z"}),
        json!({"kind": "relation", "from": "m1", "type": "SOLVES", "to": "m2", "confidence": 0.9,
               "time": "2026-11-01T10:00:00Z"}),
        json!({"kind": "relation", "from": "m1", "type": "uses", "to": "react",
               "time": "2026-11-01T10:00:00Z"}),
        json!({"kind": "relation", "from": "m1", "type": "CONFIRMS", "to": "m2",
               "time": "2026-11-01T10:00:00Z"}),
        json!({"kind": "relation", "from": "m1", "type": "CONTRADICTS", "to": "m2",
               "confidence": 0.5, "time": "2026-11-01T10:00:00Z"}),
    ];
    let mut text: Vec<String> = good.iter().map(Value::to_string).collect();
    text.insert(2, r#"{"kind": "memory", "title": "no id"}"#.into());
    text.insert(
        4,
        r#"{"kind": "memory", "id": "m9", "tag": ["typo"]}"#.into(),
    );
    std::fs::write(file, text.join("\n") + "\n").unwrap();
}

/// A bad line refuses the whole file, naming it, unless `--skip-bad`, which lists both.
fn bad_lines_are_never_dropped(db: &Path, file: &Path) {
    // By default a bad line refuses the whole file, naming the line.
    let refused = engram(db, &["load", file.to_str().unwrap()]);
    assert!(!refused.status.success());
    let e = String::from_utf8_lossy(&refused.stderr);
    assert!(
        e.contains("memories.jsonl:3") && e.contains("\"id\" is missing"),
        "{e}"
    );
    assert!(
        rows(db, "?- memory(m, t, x).", 1).is_empty(),
        "nothing loaded"
    );
    // --skip-bad loads the rest and lists both bad lines.
    let out = engram(db, &["load", "--skip-bad", file.to_str().unwrap()]);
    assert!(out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("memories.jsonl:3") && e.contains("memories.jsonl:5"),
        "{e}"
    );
    assert!(e.contains("unknown field(s) tag"), "{e}");
    assert_eq!(rows(db, "?- memory(m, t, x).", 1).len(), 2);
}

/// The export: asserted memories as written, times in ISO 8601, derived knowledge marked.
fn the_export_marks_what_was_derived(db: &Path) {
    let export = lines(&ok(db, &["export"]));
    let kinds = |k: &str| export.iter().filter(|v| v["kind"] == k).count();
    assert_eq!(kinds("memory"), 2);
    let m1 = export.iter().find(|v| v["id"] == "m1").unwrap();
    assert_eq!(m1["tags"], json!(["auth", "jwt"]));
    assert_eq!(m1["time"], json!("2026-11-01T10:00:00Z"));
    // Times are ISO 8601 in every JSON output, as in tables.
    let q: Value = serde_json::from_str(&ok(
        db,
        &["query", "--format", "json", r#"?- memory("m1", t, x)."#],
    ))
    .unwrap();
    assert_eq!(q[0]["answers"][0]["time"], json!("2026-11-01T10:00:00Z"));
    // The type as written comes back.
    assert!(
        export
            .iter()
            .any(|v| v["kind"] == "relation" && v["type"] == "uses")
    );
    // Derived knowledge, marked: the type of m1, the inverse relation, the merge of React,
    // the contradiction.
    let derived = |k: &str| {
        export
            .iter()
            .filter(|v| v["kind"] == k && v["inferred"] == json!(true))
            .count()
    };
    assert!(
        derived("type") >= 1 && derived("relation") >= 1,
        "{export:?}"
    );
    let merge = export
        .iter()
        .find(|v| v["kind"] == "same_as")
        .expect("a merge");
    assert_eq!(merge["id"], "react");
    assert_eq!(merge["canonical"], "React");
    let violation = export
        .iter()
        .find(|v| v["kind"] == "violation")
        .expect("a violation");
    assert_eq!(violation["constraint"], "confirms_and_contradicts");
    assert_eq!(violation["ids"], json!(["m1", "m2"]));
    let inferred_only = lines(&ok(db, &["export", "--inferred-only"]));
    assert!(inferred_only.iter().all(|v| v["inferred"] == json!(true)
        || v["kind"] == "same_as"
        || v["kind"] == "violation"));
}

/// Loading the export into a fresh store gives the same asserted facts.
fn the_export_loads_back(dir: &Path, db: &Path) {
    let again = dir.join("again.db");
    ok(&again, &["init"]);
    let exported = dir.join("export.jsonl");
    std::fs::write(&exported, ok(db, &["export"])).unwrap();
    let out = ok(&again, &["load", exported.to_str().unwrap()]);
    assert!(
        out.contains("not loaded: the rules derive them again"),
        "{out}"
    );
    for (q, n) in [
        ("?- memory(m, t, x).", 3),
        ("?- tag(m, t).", 2),
        ("?- relation(a, t, b).", 3),
        ("?- relation_written(a, t, b, w).", 4),
        ("?- entity(e, t).", 2),
    ] {
        assert_eq!(rows(&again, q, n), rows(db, q, n), "{q}");
    }
    assert_eq!(ok(&again, &["export"]), ok(db, &["export"]));
}

#[test]
fn the_demo_builds_the_example_memory_and_every_rule_fires() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = ok(&db, &["demo", "--into", db.to_str().unwrap()]);
    assert!(out.contains("341 memories"), "{out}");
    // The example exercises every rule of the library.
    for rule in [
        "asserted_relation",
        "transitive_depends_on",
        "transitive_requires",
        "type_from_solves",
        "type_from_fixes",
        "type_from_causes",
        "reverse_solves",
        "reverse_fixes",
        "reverse_addresses",
        "reverse_causes",
        "reverse_depends_on",
        "reverse_requires",
        "reverse_uses",
        "reverse_part_of",
        "reverse_confirms",
        "co_occurrence_affinity",
        "similar_tags_affinity",
        "high_overlap_merge",
        "temporal_consolidation",
        "summary_entity",
        "summary_member",
        "confirms_and_contradicts",
        "fix_causes_its_problem",
    ] {
        assert!(out.contains(rule), "{rule} never fired:\n{out}");
    }
    // Aliases merge within a type, never across: Redis the technology keeps "redis" the
    // datastore apart.
    assert!(
        out.contains("PostgreSQL = postgre sql, postgresql"),
        "{out}"
    );
    assert!(!out.contains("Redis = redis"), "{out}");
    assert!(out.contains("Why edge("), "a proof: {out}");
    // The store is left for the next commands it suggests.
    let q = ok(
        &db,
        &["query", "--format", "tsv", r#"?- entity("redis", t)."#],
    );
    assert!(q.contains("datastore") && !q.contains("technology"), "{q}");
    let q = ok(
        &db,
        &["query", "--format", "tsv", r#"?- entity("Redis", t)."#],
    );
    assert!(q.contains("technology") && !q.contains("datastore"), "{q}");
    assert!(ok(&db, &["violations"]).contains("fix_causes_its_problem"));
}

#[test]
fn a_relation_name_in_a_memory_file_is_data_never_program_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    ok(&db, &["init"]);
    let file = dir.path().join("evil.jsonl");
    let evil = json!({"relation": "x(a: symbol)\n.decl evil(y: symbol)\nevil(\"pwned\").\n.decl y", "values": ["a"]});
    let fine = json!({"relation": "note", "values": ["a"]});
    std::fs::write(&file, format!("{fine}\n{evil}\n")).unwrap();
    let out = engram(&db, &["load", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "refused");
    assert!(
        err.contains("2: ") && err.contains("must be identifiers"),
        "{err}"
    );
    // Nothing of the file was loaded, and no relation `evil` exists.
    for relation in ["evil", "note"] {
        let q = engram(&db, &["query", &format!("?- {relation}(x).")]);
        let err = String::from_utf8_lossy(&q.stderr);
        assert!(err.contains("unknown relation"), "{relation}: {err}");
    }
}
