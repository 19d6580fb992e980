//! Supersession in a store: a `functional(...)` relation keeps the newest fact per key, the
//! older ones stay as history, and retracting the newest brings the one before it back; the
//! same after reopening, and the same as re-deriving from scratch.

use engram_engine::store::Store;
use engram_engine::{Program, Value};

const RULES: &str = r#"
.decl works_at(person: symbol, org: symbol) functional(person)
.decl colleague(a: symbol, b: symbol)
colleague(a, b) :- works_at(a, o), works_at(b, o), a != b.
"#;

fn sym(s: &str) -> Value {
    Value::Symbol(s.into())
}

fn rows(store: &mut Store, relation: &str) -> Vec<Vec<String>> {
    let facts = store.facts(relation).unwrap().unwrap();
    facts
        .iter()
        .map(|f| f.values.iter().map(ToString::to_string).collect())
        .collect()
}

fn strs(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect()
}

/// Asserts one fact without a time, in a commit of its own.
fn assert_fact(store: &mut Store, text: &str) {
    let mut tx = store.transaction().unwrap();
    tx.add_text(text).unwrap();
    tx.commit().unwrap();
}

#[test]
fn a_newer_fact_supersedes_and_retracting_it_brings_the_older_back() {
    // In memory, commits follow each other within a millisecond: the fact asserted last
    // must still be the newest, whatever the order of the values' text.
    let mut store = Store::in_memory();
    store.add_rules("r", RULES).unwrap();
    assert_fact(&mut store, r#"works_at("bob", "zeta")."#);
    assert_fact(&mut store, r#"works_at("alice", "zeta")."#);
    assert_fact(&mut store, r#"works_at("alice", "acme")."#);
    assert_eq!(
        rows(&mut store, "works_at"),
        strs(&[&["alice", "acme"], &["bob", "zeta"]])
    );
    assert!(rows(&mut store, "colleague").is_empty());
    let old = store.superseded("works_at").unwrap();
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].fact.values, vec![sym("alice"), sym("zeta")]);
    assert_eq!(old[0].by.values, vec![sym("alice"), sym("acme")]);
    assert!(old[0].by.time > old[0].fact.time);
    let proof = store
        .explain(r#"works_at("alice", "acme")"#)
        .unwrap()
        .unwrap();
    assert_eq!(proof.supersedes.len(), 1);
    assert_eq!(proof.supersedes[0].fact, r#"works_at("alice", "zeta")"#);
    assert!(
        store
            .explain(r#"works_at("alice", "zeta")"#)
            .unwrap()
            .is_none()
    );
    let by = store.superseded_by(r#"works_at("alice", "zeta")"#).unwrap();
    assert_eq!(by.unwrap().values, vec![sym("alice"), sym("acme")]);

    // Retracting the newest fact brings back the one it had replaced, and what it derives.
    let mut tx = store.transaction().unwrap();
    tx.retract_text(r#"works_at("alice", "acme")."#).unwrap();
    tx.commit().unwrap();
    assert_eq!(
        rows(&mut store, "works_at"),
        strs(&[&["alice", "zeta"], &["bob", "zeta"]])
    );
    assert_eq!(
        rows(&mut store, "colleague"),
        strs(&[&["alice", "bob"], &["bob", "alice"]])
    );
    assert!(store.superseded("works_at").unwrap().is_empty());
    assert!(
        store
            .superseded_by(r#"works_at("alice", "zeta")"#)
            .unwrap()
            .is_none()
    );
}

#[test]
fn within_one_transaction_the_last_assertion_wins() {
    for (first, last) in [("acme", "zeta"), ("zeta", "acme")] {
        let mut store = Store::in_memory();
        store.add_rules("r", RULES).unwrap();
        let mut tx = store.transaction().unwrap();
        tx.add("works_at", vec![sym("alice"), sym(first)]).unwrap();
        tx.add("works_at", vec![sym("alice"), sym(last)]).unwrap();
        tx.commit().unwrap();
        assert_eq!(rows(&mut store, "works_at"), strs(&[&["alice", last]]));
    }
}

#[test]
fn given_times_decide_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = Store::create(&path).unwrap();
    store.add_rules("r", RULES).unwrap();
    let mut tx = store.transaction().unwrap();
    // Asserted later, but timed earlier: it does not supersede.
    tx.add_with(
        "works_at",
        vec![sym("alice"), sym("acme")],
        1.0,
        Some(2_000),
    )
    .unwrap();
    tx.add_with(
        "works_at",
        vec![sym("alice"), sym("globex")],
        1.0,
        Some(1_000),
    )
    .unwrap();
    tx.add_with("works_at", vec![sym("bob"), sym("acme")], 1.0, Some(1_500))
        .unwrap();
    tx.commit().unwrap();
    let want = strs(&[&["alice", "acme"], &["bob", "acme"]]);
    assert_eq!(rows(&mut store, "works_at"), want);
    drop(store);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(rows(&mut store, "works_at"), want);
    assert_eq!(store.superseded("works_at").unwrap().len(), 1);
    // A full re-derivation agrees with what the commits kept.
    store.infer().unwrap();
    assert_eq!(rows(&mut store, "works_at"), want);
    assert_eq!(
        rows(&mut store, "colleague"),
        strs(&[&["alice", "bob"], &["bob", "alice"]])
    );
    // A program run on the same facts gives the same answer.
    let src = format!(
        "{RULES}\nworks_at(\"alice\", \"acme\") ~ 2000.\nworks_at(\"alice\", \"globex\") ~ 1000.\n\
         works_at(\"bob\", \"acme\") ~ 1500.\n"
    );
    let db = Program::compile(&src, "p.dl")
        .unwrap()
        .evaluate(&Default::default())
        .unwrap();
    let run: Vec<Vec<String>> = db.relation("works_at").unwrap().sorted_text_rows();
    assert_eq!(run, want);
}
