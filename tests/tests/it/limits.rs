//! Bounded evaluation (`Limits`): a program that runs away stops with an error naming the
//! relation that grew, whichever bound it passes, from the library, a rule file's pragmas and
//! a store.

use engram_engine::{EvalOptions, Inputs, Limits, Program, Store};
use std::time::{Duration, Instant};

fn evaluate(text: &str, limits: Limits) -> Result<usize, String> {
    let program = Program::compile(text, "t.dl").map_err(|e| e.to_string())?;
    let options = EvalOptions {
        limits,
        ..EvalOptions::default()
    };
    let db = program
        .evaluate_with(&Inputs::default(), &options)
        .map_err(|e| e.to_string())?;
    Ok(db.relations().map(|r| r.len()).sum())
}

/// A Skolem-style loop: every number makes the next.
const COUNTER: &str = ".decl n(x: number)\nn(0).\nn(x + 1) :- n(x).\n";

/// One round that explodes: a cross product of 3,000 x 3,000 x 3,000 rows.
const CROSS: &str = ".decl a(x: number)\na(0).\na(x + 1) :- a(x), x < 2999.\n\
                     .decl c(x: number, y: number, z: number)\n\
                     c(x, y, z) :- a(x), a(y), a(z).\n";

#[test]
fn a_counter_stops_at_the_limit_on_facts_naming_its_relation() {
    let e = evaluate(
        COUNTER,
        Limits {
            max_facts: Some(1000),
            ..Limits::NONE
        },
    )
    .unwrap_err();
    assert!(e.contains("relation `n` grew past 1000 facts"), "{e}");
    // A program's evaluation has no store to speak of.
    assert!(!e.contains("store"), "{e}");
}

#[test]
fn a_counter_stops_at_the_time_limit() {
    let t = Instant::now();
    let e = evaluate(
        COUNTER,
        Limits {
            timeout: Some(Duration::from_millis(300)),
            ..Limits::NONE
        },
    )
    .unwrap_err();
    assert!(
        e.contains("relation `n`") && e.contains("the time limit"),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_round_that_explodes_stops_at_the_memory_limit_inside_the_round() {
    // 27 billion rows would take hundreds of GB: the budget stops the round that makes them.
    let e = evaluate(
        CROSS,
        Limits {
            max_memory: Some(64 << 20),
            ..Limits::NONE
        },
    )
    .unwrap_err();
    assert!(e.contains("the memory limit"), "{e}");
}

#[test]
fn a_round_that_explodes_stops_at_the_time_limit_inside_the_round() {
    let e = evaluate(
        CROSS,
        Limits {
            timeout: Some(Duration::from_millis(500)),
            max_memory: Some(4 << 30),
            ..Limits::NONE
        },
    )
    .unwrap_err();
    assert!(
        e.contains("the time limit") || e.contains("the memory limit"),
        "{e}"
    );
}

#[test]
fn a_rule_file_bounds_itself_with_pragmas() {
    let text = format!(".pragma \"max_facts\" \"500\"\n{COUNTER}");
    let e = evaluate(&text, Limits::NONE).unwrap_err();
    assert!(e.contains("grew past 500 facts"), "{e}");
    // The tighter of the program's and the caller's bound holds.
    let e = evaluate(
        &text,
        Limits {
            max_facts: Some(100),
            ..Limits::NONE
        },
    )
    .unwrap_err();
    assert!(e.contains("grew past 100 facts"), "{e}");
    let bad = evaluate(".pragma \"max_memory\" \"lots\"\n", Limits::NONE).unwrap_err();
    assert!(
        bad.contains("max_memory `lots`") && bad.contains('^'),
        "{bad}"
    );
}

#[test]
fn a_bounded_program_that_stays_inside_its_bounds_answers_in_full() {
    let text = ".decl n(x: number)\nn(0).\nn(x + 1) :- n(x), x < 99.\n";
    let limits = Limits {
        max_facts: Some(1000),
        timeout: Some(Duration::from_secs(60)),
        max_memory: Some(1 << 30),
    };
    assert_eq!(evaluate(text, limits).unwrap(), 100);
}

#[test]
fn a_store_rule_file_with_a_pragma_bounds_the_commit_and_the_store_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path().join("s")).unwrap();
    store.add_rules("base", ".decl n(x: number)\n").unwrap();
    let mut tx = store.transaction().unwrap();
    tx.add_text("n(0).").unwrap();
    tx.commit().unwrap();
    let e = store
        .add_rules(
            "count",
            ".pragma \"max_facts\" \"200\"\nn(x + 1) :- n(x).\n",
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("relation `n` grew past 200 facts"), "{e}");
    assert!(e.ends_with("; the store is unchanged"), "{e}");
    assert_eq!(store.facts("n").unwrap().unwrap().len(), 1);
    assert!(store.rules().iter().all(|r| r.name != "count"));
}

/// A failed commit leaves an in-memory store as it was (it has no disk to reload from): the
/// asserted facts the commit changed are put back and a rule change is undone.
#[test]
fn a_failed_commit_leaves_an_in_memory_store_as_it_was() {
    let mut store = Store::in_memory();
    store.set_limits(Limits {
        max_facts: Some(200),
        ..Limits::NONE
    });
    store
        .add_rules("base", ".decl n(x: number)\n.decl m(x: number)\n")
        .unwrap();
    let mut tx = store.transaction().unwrap();
    tx.add_text("n(0). m(5).").unwrap();
    tx.commit().unwrap();
    let before = engram_tests::snapshot(&mut store);
    let e = store
        .add_rules("count", "n(x + 1) :- n(x).\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("relation `n` grew past 200 facts"), "{e}");
    assert!(e.ends_with("; the store is unchanged"), "{e}");
    assert_eq!(engram_tests::snapshot(&mut store), before);
    assert!(store.rules().iter().all(|r| r.name != "count"));
    // A commit of many changes (evaluated whole) that runs away is undone too.
    store
        .add_rules("bounded", "n(x + 1) :- n(x), m(k), x < k.\n")
        .unwrap();
    let before = engram_tests::snapshot(&mut store);
    let mut tx = store.transaction().unwrap();
    tx.add_text("m(100000).").unwrap();
    tx.retract_text("n(0).").unwrap();
    tx.add_text("n(-1).").unwrap();
    assert!(tx.commit().is_err());
    assert_eq!(engram_tests::snapshot(&mut store), before);
    // And the store goes on.
    let mut tx = store.transaction().unwrap();
    tx.add_text("m(7).").unwrap();
    tx.commit().unwrap();
    assert_eq!(store.facts("n").unwrap().unwrap().len(), 8);
}
