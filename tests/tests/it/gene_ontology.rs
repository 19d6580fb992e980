//! Real data: the transitive closure of the Gene Ontology graph over all relation types must be
//! exactly its `offspring` table (791,949 ancestor, descendant pairs).

use engram_engine::{Program, Value};
use engram_tests::shared_dir;
use flate2::read::GzDecoder;
use std::collections::HashSet;
use std::io::Read;

fn gunzip(name: &str) -> String {
    let path = shared_dir().join("data/gene-ontology").join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("valid gzip");
    text
}

#[test]
fn go_closure_equals_offspring() {
    let dir = tempfile::tempdir().expect("scratch dir");
    std::fs::write(dir.path().join("edge.facts"), gunzip("edge.tsv.gz")).expect("write facts");
    let program = Program::compile(
        r#"
        .decl edge(child: symbol, rel: symbol, parent: symbol)
        .input edge
        .decl ancestor(a: symbol, d: symbol)
        // ancestor(a, d): d is below a through any chain of edges of any relation type.
        ancestor(a, d) :- edge(d, _, a).
        ancestor(a, d) :- ancestor(a, m), edge(d, _, m).
        "#,
        "go.dl",
    )
    .expect("program compiles");
    let db = program.evaluate_dir(dir.path()).expect("evaluates");
    let ancestor = db.relation("ancestor").expect("relation exists");
    let got: HashSet<(String, String)> = ancestor
        .rows()
        .map(|r| match (&r[0], &r[1]) {
            (Value::Symbol(a), Value::Symbol(d)) => (a.clone(), d.clone()),
            other => panic!("unexpected row {other:?}"),
        })
        .collect();
    let expected: HashSet<(String, String)> = gunzip("offspring.tsv.gz")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(a, d)| (a.to_string(), d.to_string()))
        .collect();
    assert_eq!(expected.len(), 791_949);
    assert_eq!(ancestor.len(), got.len(), "rows are distinct");
    let missing: Vec<_> = expected.difference(&got).take(5).collect();
    let extra: Vec<_> = got.difference(&expected).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
}
