//! Namespaces of rule files (issue 29, defect 12): a user's rule file declares its own
//! relation of a name the standard rules use with other columns, in a store with the standard
//! rules, and both work; the user's rules read the library's relation as `memory.<name>`.

use engram_engine::{Store, Value};

/// A store with the standard memory rules.
fn store() -> Store {
    let mut s = Store::in_memory();
    s.add_rule_files(&engram_engine::library::default_rules())
        .unwrap();
    s
}

const GRAPH: &str = r#"
.decl edge(x: symbol, y: symbol)
.decl path(x: symbol, y: symbol)
.decl depends(x: symbol, y: symbol)
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
depends(x, y) :- memory.edge(x, "DEPENDS_ON", y).
"#;

fn rows(store: &mut Store, query: &str) -> Vec<Vec<String>> {
    let answers = store.query(query).unwrap();
    (answers[0].answers.iter())
        .map(|f| f.values.iter().map(Value::to_string).collect())
        .collect()
}

#[test]
fn a_rule_file_declares_its_own_edge_beside_the_librarys() {
    let mut s = store();
    s.add_rules("graph", GRAPH).unwrap();
    let mut tx = s.transaction().unwrap();
    tx.add_text(r#"graph.edge("a", "b"). graph.edge("b", "c")."#)
        .unwrap();
    tx.add_text(r#"relation("api", "DEPENDS_ON", "db"). relation("db", "DEPENDS_ON", "disk")."#)
        .unwrap();
    tx.commit().unwrap();
    assert_eq!(
        rows(&mut s, r#"?- path("a", x)."#),
        [["b"], ["c"]].map(|r| r.map(String::from).to_vec())
    );
    // The library's rules still derive over its own edge: the transitive dependency.
    assert_eq!(
        rows(&mut s, r#"?- edge("api", "DEPENDS_ON", x)."#),
        [["db"], ["disk"]].map(|r| r.map(String::from).to_vec())
    );
    assert_eq!(
        rows(&mut s, r#"?- depends("api", x)."#),
        [["db"], ["disk"]].map(|r| r.map(String::from).to_vec())
    );
    // From outside, `memory.edge` is the library's too, and the file's own is qualified.
    assert_eq!(
        rows(&mut s, r#"?- memory.edge("db", "DEPENDS_ON", x)."#).len(),
        1
    );
    assert_eq!(rows(&mut s, "?- graph.edge(x, y).").len(), 2);
    let err = s.query("?- edge(x, y).").unwrap_err().to_string();
    assert!(err.contains("`graph.edge`"), "{err}");
    let proof = s.explain(r#"path("a", "c")"#).unwrap().expect("derived");
    assert!(
        proof.to_text().contains(r#"graph.edge("b", "c")"#),
        "{}",
        proof.to_text()
    );
}

#[test]
fn a_declaration_like_the_librarys_shares_its_relation() {
    let mut s = store();
    s.add_rules(
        "mine",
        r#"
        .decl edge(a: symbol, type: symbol, b: symbol)
        .decl uses(a: symbol, b: symbol)
        uses(a, b) :- edge(a, "USES", b).
        "#,
    )
    .unwrap();
    let mut tx = s.transaction().unwrap();
    tx.add_text(r#"relation("api", "USES", "db")."#).unwrap();
    tx.commit().unwrap();
    assert_eq!(rows(&mut s, "?- uses(x, y).").len(), 1);
}

#[test]
fn two_files_of_ones_own_each_keep_theirs() {
    let mut s = store();
    s.add_rules("one", ".decl node(x: number)\n node(1).\n")
        .unwrap();
    s.add_rules(
        "two",
        ".decl node(x: symbol, y: symbol)\n node(\"a\", \"b\").\n",
    )
    .unwrap();
    assert_eq!(rows(&mut s, "?- one.node(x).").len(), 1);
    assert_eq!(rows(&mut s, "?- two.node(x, y).").len(), 1);
    // The library's `node` (one symbol column) is untouched.
    assert!(s.query("?- node(x).").is_ok());
}
