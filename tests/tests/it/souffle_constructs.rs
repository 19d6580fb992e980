//! Soufflé's constructs that engram added for issue 32, where a golden test cannot reach:
//! in a store (kept up to date as facts come and go, the same as a fresh evaluation) and in
//! proofs.

use engram_engine::{Program, Store, Value};

/// The sorted answers of a query, as text.
fn answers(store: &mut Store, query: &str) -> Vec<String> {
    let answers = store.query(query).unwrap();
    let mut rows: Vec<String> = (answers[0].answers.iter())
        .map(|f| (f.values.iter().map(Value::to_string).collect::<Vec<_>>()).join(","))
        .collect();
    rows.sort();
    rows
}

/// What a fresh evaluation of `rules` over `facts` gives for `query`.
fn fresh(rules: &str, facts: &str, query: &str) -> Vec<String> {
    let program = Program::compile(&format!("{rules}\n{facts}\n{query}"), "fresh.dl").unwrap();
    let db = program.evaluate(&Default::default()).unwrap();
    let mut rows: Vec<String> = (db.queries()[0].answers.iter())
        .map(|f| (f.values.iter().map(Value::to_string).collect::<Vec<_>>()).join(","))
        .collect();
    rows.sort();
    rows
}

/// Applies each step (add or retract the facts) in its own commit, and checks after each that
/// every query answers as a fresh evaluation of `rules` over the facts held then.
fn follow(store: &mut Store, rules: &str, steps: &[(bool, &[&str])], queries: &[&str]) {
    let mut held: Vec<&str> = Vec::new();
    for &(add, facts) in steps {
        let mut tx = store.transaction().unwrap();
        if add {
            tx.add_text(&facts.concat()).unwrap();
            held.extend(facts);
        } else {
            tx.retract_text(&facts.concat()).unwrap();
            held.retain(|h| !facts.contains(h));
        }
        tx.commit().unwrap();
        for query in queries {
            let expected = fresh(rules, &held.concat(), query);
            assert_eq!(answers(store, query), expected, "{query} after {facts:?}");
        }
    }
}

const RANGES: &str = r#"
.decl size(n: number)
.decl below(n: number, x: number)
.decl count_below(c: number)
.decl gap(x: number)
below(n, x) :- size(n), x = range(0, n).
count_below(c) :- c = count : { below(_, x), x = range(0, 2) }.
gap(x) :- x = range(0, 8), !size(x).
"#;

#[test]
fn ranges_in_a_store_follow_the_facts() {
    let mut store = Store::in_memory();
    store.add_rules("ranges", RANGES).unwrap();
    let steps: [(bool, &[&str]); 4] = [
        (true, &["size(3).", "size(5)."]),
        (false, &["size(3)."]),
        (true, &["size(1).", "size(7)."]),
        (false, &["size(5).", "size(7)."]),
    ];
    follow(
        &mut store,
        RANGES,
        &steps,
        &["?- below(n, x).", "?- count_below(c).", "?- gap(x)."],
    );
    assert_eq!(answers(&mut store, "?- gap(x).").len(), 7, "0..8 without 1");
    // The proof of a fact derived through a range names the fact that bounded it.
    let proof = store.explain("below(1, 0)").unwrap().expect("holds");
    let text = proof.to_text();
    assert!(text.contains("size(1)"), "{text}");
}

#[test]
fn autoinc_in_a_store_numbers_every_fact_once() {
    let mut store = Store::in_memory();
    let rules = ".decl item(x: symbol)\n.decl numbered(n: number, x: symbol)\n\
                 numbered(autoinc(), x) :- item(x).\n";
    store.add_rules("numbers", rules).unwrap();
    for batch in [
        r#"item("a"). item("b")."#,
        r#"item("c"). item("d"). item("e")."#,
    ] {
        let mut tx = store.transaction().unwrap();
        tx.add_text(batch).unwrap();
        tx.commit().unwrap();
    }
    let mut tx = store.transaction().unwrap();
    tx.retract_text(r#"item("b")."#).unwrap();
    tx.commit().unwrap();
    // Numbered again whole after each change: 0..n, one each, as a fresh evaluation numbers.
    let rows = answers(&mut store, "?- numbered(n, x).");
    let mut numbers: Vec<i64> = rows
        .iter()
        .map(|r| r.split(',').next().unwrap().parse().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, [0, 1, 2, 3], "{rows:?}");
}

#[test]
fn a_choice_domain_in_a_store_follows_a_fresh_evaluation() {
    let rules = ".decl offer(x: number, y: number)\n\
                 .decl pick(x: number, y: number) choice-domain x\n\
                 .decl chain(x: number, y: number) choice-domain x\n\
                 pick(x, y) :- offer(x, y).\n\
                 chain(x, y) :- pick(x, y).\n\
                 chain(y, z) :- chain(_, y), offer(y, z).\n";
    let mut store = Store::in_memory();
    store.add_rules("choices", rules).unwrap();
    let steps: [(bool, &[&str]); 3] = [
        (
            true,
            &[
                "offer(1, 5).",
                "offer(1, 3).",
                "offer(3, 4).",
                "offer(3, 1).",
            ],
        ),
        (false, &["offer(1, 3)."]),
        (true, &["offer(1, 2).", "offer(2, 9)."]),
    ];
    follow(
        &mut store,
        rules,
        &steps,
        &["?- pick(x, y).", "?- chain(x, y)."],
    );
    // One fact per x, the smallest offer.
    assert_eq!(answers(&mut store, "?- pick(x, y)."), ["1,2", "2,9", "3,1"]);
}
